package localnet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
)

// localnet is a running scripts/localnet.sh node.
type localnet struct {
	home string
	base int
	env  []string
}

func (l localnet) rpc() string  { return fmt.Sprintf("tcp://127.0.0.1:%d", l.base+57) }
func (l localnet) grpc() string { return fmt.Sprintf("127.0.0.1:%d", l.base+90) }
func (l localnet) rest() string { return fmt.Sprintf("http://127.0.0.1:%d", l.base+17) }

func (l localnet) addr(t *testing.T, name string) string {
	return strings.TrimSpace(mustCLI(t, "keys", "show", name, "-a", "--keyring-backend", "test", "--home", l.home))
}

func startLocalnet(t *testing.T, blockTime string, env ...string) localnet {
	t.Helper()
	l := newLocalnet(t, freePortBase(t), blockTime, env...)
	out, err := script(t, l.env, "localnet.sh", "start")
	t.Cleanup(func() { l.stop(t) })
	if err != nil {
		t.Fatalf("localnet.sh start: %v\n%s", err, out)
	}
	for _, want := range []string{"RPC", l.rpc()[len("tcp://"):], "gRPC", l.grpc(), "REST", l.rest(), "home", l.home} {
		if !strings.Contains(out, want) {
			t.Errorf("localnet.sh start output lacks %q:\n%s", want, out)
		}
	}
	return l
}

// newLocalnet returns the settings of a localnet in a new temporary home on
// ports from base; nothing is started.
func newLocalnet(t *testing.T, base int, blockTime string, env ...string) localnet {
	l := localnet{home: filepath.Join(t.TempDir(), "node"), base: base}
	l.env = append([]string{
		"LOCALNET_HOME=" + l.home,
		"LOCALNET_PORT_BASE=" + strconv.Itoa(l.base),
		"LOCALNET_BLOCK_TIME=" + blockTime,
	}, env...)
	return l
}

// stop runs `localnet.sh stop` and fails the test if the node or a daemon
// it started still runs afterwards.
func (l localnet) stop(t *testing.T) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(l.home, "neurons", "*", "pid"))
	files = append(files, filepath.Join(l.home, "tensorcosmd.pid"))
	pids := map[string]int{}
	for _, f := range files {
		pids[f] = readPID(f)
	}
	if out, err := script(t, l.env, "localnet.sh", "stop"); err != nil {
		t.Errorf("localnet.sh stop: %v\n%s", err, out)
	}
	for f, pid := range pids {
		if pid > 0 && processAlive(pid) {
			t.Errorf("pid %d (%s) still running after localnet.sh stop", pid, f)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func readPID(file string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// TestLocalnetBankSend starts the chain the way `make localnet` does, sends
// utensor from alice to bob with the CLI, and reads bob's balance back over
// the CLI, gRPC and REST.
func TestLocalnetBankSend(t *testing.T) {
	l := startLocalnet(t, "200ms")
	alice, bob := l.addr(t, "alice"), l.addr(t, "bob")
	before := cliBalance(t, l, bob)

	const amount = 12345
	l.txOK(t, "tx", "bank", "send", "alice", bob, fmt.Sprintf("%dutensor", amount))
	want := before + amount
	if !waitFor(30*time.Second, func() bool { return cliBalance(t, l, bob) == want }) {
		t.Fatalf("bob's balance over CLI: got %d, want %d", cliBalance(t, l, bob), want)
	}
	if got := grpcBalance(t, l, bob); got != want {
		t.Errorf("bob's balance over gRPC: got %d, want %d", got, want)
	}
	if got := restBalance(t, l, bob); got != want {
		t.Errorf("bob's balance over REST: got %d, want %d", got, want)
	}
	if got := cliBalance(t, l, alice); got != 1_000_000_000_000-amount {
		t.Errorf("alice's balance: got %d, want %d", got, 1_000_000_000_000-amount)
	}

	t.Run("unknown denom is refused before signing", func(t *testing.T) {
		_, errOut, err := cli(t, "tx", "bank", "send", "alice", bob, "10tensor", "--home", l.home, "--yes")
		expectCleanFailure(t, err, errOut, `unknown denom "tensor"`)
	})
	t.Run("bad recipient address", func(t *testing.T) {
		_, errOut, err := cli(t, "tx", "bank", "send", "alice", "tensor1notanaddress", "10utensor", "--home", l.home, "--yes")
		expectCleanFailure(t, err, errOut, "decoding bech32 failed")
	})
	t.Run("bad address in a query", func(t *testing.T) {
		_, errOut, err := cli(t, "q", "bank", "balances", "cosmos1xyz", "--home", l.home)
		expectCleanFailure(t, err, errOut, "invalid account address")
	})
	t.Run("OpenAPI document matches the REST gateway", func(t *testing.T) {
		checkOpenAPI(t, l, alice)
	})
	t.Run("wallet access: denom metadata, CORS, registry files", func(t *testing.T) {
		checkWalletAccess(t, l)
	})
}

// expectCleanFailure checks a CLI run failed with a non-zero exit, printed
// msg, and printed no panic trace.
func expectCleanFailure(t *testing.T, err error, stderr, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("command succeeded, want failure with %q", msg)
	}
	if !strings.Contains(stderr, msg) {
		t.Errorf("stderr lacks %q:\n%s", msg, stderr)
	}
	for _, bad := range []string{"panic:", "goroutine "} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr has a panic trace (%q):\n%s", bad, stderr)
		}
	}
}

func cliBalance(t *testing.T, l localnet, addr string) int64 {
	t.Helper()
	out := mustCLI(t, "q", "bank", "balance", addr, "utensor", "--node", l.rpc(), "--output", "json")
	var res struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("balance output: %v\n%s", err, out)
	}
	return atoi(t, res.Balance.Amount)
}

func grpcBalance(t *testing.T, l localnet, addr string) int64 {
	t.Helper()
	client, err := chainclient.New(chainclient.Config{GRPCAddr: l.grpc(), ChainID: "tensorcosm-local"}, nil)
	if err != nil {
		t.Fatalf("dial gRPC %s: %v", l.grpc(), err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := banktypes.NewQueryClient(client.Conn()).Balance(ctx, &banktypes.QueryBalanceRequest{Address: addr, Denom: "utensor"})
	if err != nil {
		t.Fatalf("gRPC balance: %v", err)
	}
	return res.Balance.Amount.Int64()
}

func restBalance(t *testing.T, l localnet, addr string) int64 {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(l.rest() + "/cosmos/bank/v1beta1/balances/" + addr)
	if err != nil {
		t.Fatalf("REST balances: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("REST balances: status %s", resp.Status)
	}
	var res struct {
		Balances []struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"balances"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatalf("REST balances JSON: %v", err)
	}
	for _, c := range res.Balances {
		if c.Denom == "utensor" {
			return atoi(t, c.Amount)
		}
	}
	return 0
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}
