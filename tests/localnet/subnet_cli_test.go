package localnet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// txOK runs a `tx` command with -y, waits for its block, and fails the test
// unless the transaction succeeded. It returns the tx result JSON.
func (l localnet) txOK(t *testing.T, args ...string) string {
	t.Helper()
	out := mustCLI(t, append(args, "--home", l.home, "--yes", "--output", "json")...)
	return l.waitTx(t, out)
}

// waitTx waits for the tx whose broadcast output is out and checks its code.
func (l localnet) waitTx(t *testing.T, out string) string {
	t.Helper()
	var res struct {
		Code   uint32 `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("tx output is not JSON: %v\n%s", err, out)
	}
	if res.Code != 0 {
		t.Fatalf("tx rejected: code %d: %s", res.Code, res.RawLog)
	}
	got := mustCLI(t, "q", "wait-tx", res.TxHash, "--timeout", "30s", "--node", l.rpc(), "--output", "json")
	var done struct {
		Code   uint32 `json:"code"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal([]byte(got), &done); err != nil {
		t.Fatalf("wait-tx output: %v\n%s", err, got)
	}
	if done.Code != 0 {
		t.Fatalf("tx failed in block: code %d: %s", done.Code, done.RawLog)
	}
	return got
}

// atHeight returns the query flags that read the state as the block of the
// tx result out (from txOK) left it.
func atHeight(t *testing.T, out string) []string {
	t.Helper()
	var res struct {
		Height string `json:"height"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Height == "" || res.Height == "0" {
		t.Fatalf("tx result has no height: %v\n%s", err, out)
	}
	return []string{"--height", res.Height}
}

func (l localnet) query(t *testing.T, v any, args ...string) {
	t.Helper()
	out := mustCLI(t, append(args, "--home", l.home, "--output", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestSubnetCLI runs every x/subnet transaction from the CLI against the
// localnet, as x/subnet/README.md documents them.
func TestSubnetCLI(t *testing.T) {
	l := startLocalnet(t, "200ms")
	hot := createAndRegister(t, l)

	l.txOK(t, "tx", "subnet", "serve-axon", "1", `{"host":"127.0.0.1","port":8091,"protocol":"grpc"}`,
		`{"sha256":"`+strings.Repeat("cd", 32)+`","size":10240}`, "--from", "miner-hot")
	// read the state as the add-stake block left it: with 200 ms blocks the
	// warm-up (the localnet's tempo) can be over by the time the CLI asks
	atStake := atHeight(t, l.txOK(t, "tx", "subnet", "add-stake", hot, "5000000", "--from", "bob"))

	var mg struct {
		Neurons []struct {
			Neuron struct {
				Hotkey string `json:"hotkey"`
				Axon   struct {
					Port int `json:"port"`
				} `json:"axon"`
				Model struct {
					Sha256 string `json:"sha256"`
				} `json:"model"`
			} `json:"neuron"`
			Stake string `json:"stake"`
		} `json:"neurons"`
	}
	l.query(t, &mg, append([]string{"q", "subnet", "metagraph", "1"}, atStake...)...)
	if len(mg.Neurons) != 1 || mg.Neurons[0].Neuron.Hotkey != hot || mg.Neurons[0].Stake != "0" ||
		mg.Neurons[0].Neuron.Axon.Port != 8091 || mg.Neurons[0].Neuron.Model.Sha256 != strings.Repeat("cd", 32) {
		t.Fatalf("metagraph after register/serve/stake: %+v", mg)
	}
	// the stake warms up first (stake_warmup_blocks; the localnet's tempo)
	var byHot struct {
		Total   string `json:"total"`
		Warming string `json:"warming"`
	}
	l.query(t, &byHot, append([]string{"q", "subnet", "stake-by-hotkey", hot}, atStake...)...)
	if byHot.Total != "0" || byHot.Warming != "5000000" {
		t.Fatalf("stake by hotkey after add-stake: %+v, want 5000000 warming", byHot)
	}

	l.txOK(t, "tx", "subnet", "remove-stake", hot, "5000000", "--from", "bob")
	l.txOK(t, "tx", "subnet", "set-delegate-take", hot, "6553", "--from", "alice")
	var takes struct {
		Neurons []struct {
			DelegateTake int `json:"delegate_take"`
		} `json:"neurons"`
	}
	l.query(t, &takes, "q", "subnet", "metagraph", "1")
	if len(takes.Neurons) != 1 || takes.Neurons[0].DelegateTake != 6553 {
		t.Fatalf("delegate take after set-delegate-take 6553: %+v", takes)
	}

	var sub struct {
		Subnet struct {
			Hyperparams map[string]any `json:"hyperparams"`
		} `json:"subnet"`
	}
	l.query(t, &sub, "q", "subnet", "subnet", "1")
	sub.Subnet.Hyperparams["tempo"] = 8 // within [min_tempo 4, max_tempo 10] of the localnet
	hp, err := json.Marshal(sub.Subnet.Hyperparams)
	if err != nil {
		t.Fatal(err)
	}
	l.txOK(t, "tx", "subnet", "update-hyperparams", "1", string(hp), "--from", "alice")

	var price struct {
		Price string `json:"price"`
	}
	l.query(t, &price, "q", "subnet", "registration-price", "1")
	if price.Price == "" || price.Price == "0" {
		t.Errorf("registration price: %+v", price)
	}

	l.txOK(t, "tx", "subnet", "dissolve-subnet", "1", "--from", "alice")
	var subs struct {
		Subnets []any `json:"subnets"`
	}
	l.query(t, &subs, "q", "subnet", "subnets")
	if len(subs.Subnets) != 0 {
		t.Errorf("subnets after dissolve: %+v", subs)
	}
}

const digitsTaskJSON = `{"kind":"digits-classification","inputs":[{"name":"input","dtype":"float32","shape":[-1,64]}],"outputs":[{"name":"probabilities","dtype":"float32","shape":[-1,10]}],"scoring":"accuracy"}`

// createAndRegister creates subnet 1 (owner alice) and registers a new
// hotkey "miner-hot" for coldkey alice, both keys signing with amino-json.
func createAndRegister(t *testing.T, l localnet) string {
	t.Helper()
	l.txOK(t, "tx", "subnet", "create-subnet", "digits", digitsTaskJSON, "--from", "alice")
	mustCLI(t, "keys", "add", "miner-hot", "--keyring-backend", "test", "--home", l.home)
	hot := l.addr(t, "miner-hot")
	l.txOK(t, "tx", "bank", "send", "alice", hot, "1utensor")

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unsigned := mustCLI(t, "tx", "subnet", "register", hot, "1", "2000000", "--from", "alice", "--home", l.home, "--generate-only")
	signed1 := mustCLI(t, "tx", "sign", write("reg.json", unsigned), "--from", "alice", "--sign-mode", "amino-json", "--home", l.home)
	signed2 := mustCLI(t, "tx", "sign", write("reg1.json", signed1), "--from", "miner-hot", "--sign-mode", "amino-json", "--home", l.home)
	l.waitTx(t, mustCLI(t, "tx", "broadcast", write("reg2.json", signed2), "--home", l.home, "--output", "json"))
	return hot
}

// TestSubnetGenesisExportImport exports a chain with x/subnet state with
// `tensorcosmd export`, starts a new chain from that genesis, and checks the
// subnet state read back is the same. Tempo and stake warm-up are 300
// blocks (a minute): no epoch runs and the stake is still warming between
// the two reads, so the warming stake itself goes through the export.
func TestSubnetGenesisExportImport(t *testing.T) {
	l := startLocalnet(t, "200ms", "LOCALNET_TEMPO=300")
	hot := createAndRegister(t, l)
	l.txOK(t, "tx", "subnet", "serve-axon", "1", `{"host":"127.0.0.1","port":8091,"protocol":"grpc"}`,
		`{"sha256":"`+strings.Repeat("ef", 32)+`","size":4096}`, "--from", "miner-hot")
	l.txOK(t, "tx", "subnet", "add-stake", hot, "777", "--from", "bob")

	snapshot := func(l localnet) []string {
		var out []string
		for _, q := range [][]string{
			{"q", "subnet", "metagraph", "1"},
			{"q", "subnet", "subnets"},
			{"q", "subnet", "stake-by-hotkey", hot},
			{"q", "subnet", "params"},
		} {
			var v map[string]any
			l.query(t, &v, q...)
			delete(v, "block")
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		return out
	}
	before := snapshot(l)
	if out, err := script(t, l.env, "localnet.sh", "stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	exported := mustCLI(t, "export", "--home", l.home)

	// a new node from the exported genesis, same validator key
	l2 := localnet{home: filepath.Join(t.TempDir(), "node"), base: freePortBase(t)}
	l2.env = []string{"LOCALNET_HOME=" + l2.home, "LOCALNET_PORT_BASE=" + strconv.Itoa(l2.base), "LOCALNET_BLOCK_TIME=200ms", "LOCALNET_TEMPO=300"}
	if err := os.CopyFS(l2.home, os.DirFS(l.home)); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(l2.home, "tensorcosmd.pid"))
	if err := os.WriteFile(filepath.Join(l2.home, "config", "genesis.json"), []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "comet", "unsafe-reset-all", "--home", l2.home)
	out, err := script(t, l2.env, "localnet.sh", "start")
	t.Cleanup(func() { _, _ = script(t, l2.env, "localnet.sh", "stop") })
	if err != nil {
		t.Fatalf("start from exported genesis: %v\n%s", err, out)
	}
	after := snapshot(l2)
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("state differs after export/import:\nbefore %s\nafter  %s", before[i], after[i])
		}
	}
}
