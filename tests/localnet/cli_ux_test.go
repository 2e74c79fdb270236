package localnet

import (
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// num reads a JSON integer that protojson writes as a number (32-bit) or
// as a string (64-bit).
type num int64

func (n *num) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*n = num(v)
	return err
}

// setHyperparams changes subnet 1's hyperparams with update-hyperparams and
// waits for the epoch boundary at which they apply.
func setHyperparams(t *testing.T, l localnet, change map[string]any) {
	t.Helper()
	var sub struct {
		Subnet struct {
			Hyperparams map[string]any `json:"hyperparams"`
		} `json:"subnet"`
	}
	l.query(t, &sub, "q", "subnet", "subnet", "1")
	for k, v := range change {
		sub.Subnet.Hyperparams[k] = v
	}
	hp, err := json.Marshal(sub.Subnet.Hyperparams)
	if err != nil {
		t.Fatal(err)
	}
	l.txOK(t, "tx", "subnet", "update-hyperparams", "1", string(hp), "--from", "alice")
	if !waitFor(60*time.Second, func() bool {
		sub.Subnet.Hyperparams = nil
		l.query(t, &sub, "q", "subnet", "subnet", "1")
		for k, v := range change {
			if jsonScalar(t, sub.Subnet.Hyperparams[k]) != jsonScalar(t, v) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("hyperparams %v not applied: %v", change, sub.Subnet.Hyperparams)
	}
}

// jsonScalar is v as the query prints it: 64-bit integers are quoted, and
// zero values (false, 0) are left out.
func jsonScalar(t *testing.T, v any) string {
	t.Helper()
	switch s := strings.Trim(mustJSON(t, v), `"`); s {
	case "null", "false", "0":
		return ""
	default:
		return s
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSubnetCLIWeightsAndStake runs the CLI commands TestSubnetCLI leaves
// out against a localnet: amounts with a denom, set-weights on a subnet with
// commit-reveal off, commit-weights and reveal-weights (in the reveal
// epoch) with it on, cancel-unbonding, and the query of every effect.
func TestSubnetCLIWeightsAndStake(t *testing.T) {
	const tempo = 20
	l := startLocalnet(t, "200ms", "LOCALNET_TEMPO="+strconv.Itoa(tempo))
	hot := createAndRegister(t, l)
	bob := l.addr(t, "bob")

	staked := atHeight(t, l.txOK(t, "tx", "subnet", "add-stake", hot, "0.5TENSOR", "--from", "bob"))
	var warming struct {
		Warming []struct {
			Amount string `json:"amount"`
		} `json:"warming"`
	}
	l.query(t, &warming, append([]string{"q", "subnet", "warming-stakes", hot}, staked...)...)
	if len(warming.Warming) != 1 || warming.Warming[0].Amount != "500000" {
		t.Fatalf("warming stake after add-stake 0.5TENSOR: %+v, want 500000", warming)
	}

	setHyperparams(t, l, map[string]any{"commit_reveal": false, "weights_rate_limit": 0})
	l.txOK(t, "tx", "subnet", "set-weights", "1", "--uids", "0", "--values", "1000", "--from", "miner-hot")
	var w struct {
		Weights []struct {
			UID num `json:"uid"`
			Row struct {
				Entries []struct {
					UID   num `json:"uid"`
					Value num `json:"value"`
				} `json:"entries"`
			} `json:"row"`
		} `json:"weights"`
	}
	l.query(t, &w, "q", "subnet", "weights", "1")
	if len(w.Weights) != 1 || len(w.Weights[0].Row.Entries) != 1 || w.Weights[0].Row.Entries[0].Value != 65535 {
		t.Fatalf("weights after set-weights --uids 0 --values 1000: %+v, want uid 0 -> 65535 (max-upscaled)", w)
	}

	// once the stake has warmed up (warm-up = tempo): unbond some, cancel part
	if !waitFor(30*time.Second, func() bool {
		warming.Warming = nil
		l.query(t, &warming, "q", "subnet", "warming-stakes", hot)
		return len(warming.Warming) == 0
	}) {
		t.Fatalf("stake never matured: %+v", warming)
	}
	l.txOK(t, "tx", "subnet", "remove-stake", hot, "200000utensor", "--from", "bob")
	var unb struct {
		Unbondings []struct {
			ID     num    `json:"id"`
			Amount string `json:"amount"`
		} `json:"unbondings"`
	}
	l.query(t, &unb, "q", "subnet", "unbondings-by-staker", bob)
	if len(unb.Unbondings) != 1 || unb.Unbondings[0].Amount != "200000" {
		t.Fatalf("unbondings after remove-stake 200000utensor: %+v", unb)
	}
	before := bobStake(t, l, bob)
	l.txOK(t, "tx", "subnet", "cancel-unbonding", strconv.Itoa(int(unb.Unbondings[0].ID)), "150000utensor", "--from", "bob")
	unb.Unbondings = nil
	l.query(t, &unb, "q", "subnet", "unbondings-by-hotkey", hot)
	if len(unb.Unbondings) != 1 || unb.Unbondings[0].Amount != "50000" {
		t.Fatalf("unbondings after cancel-unbonding 150000utensor: %+v, want 50000 left", unb)
	}
	// emission may add to the stake meanwhile, never take from it
	if after := bobStake(t, l, bob); after-before < 150000 {
		t.Fatalf("bob's stake went from %d to %d on cancelling 150000", before, after)
	}

	setHyperparams(t, l, map[string]any{"commit_reveal": true})
	// the CLI computes the hash; the reveal below matches only if it is right
	salt := base64.StdEncoding.EncodeToString([]byte("cli-test-salt"))
	l.txOK(t, "tx", "subnet", "commit-weights", "1", "--uids", "0", "--values", "7", "--salt", salt, "--from", "miner-hot")
	var cm struct {
		Commits []struct {
			Commits struct {
				Commits []struct {
					Block num `json:"block"`
					Epoch num `json:"epoch"`
				} `json:"commits"`
			} `json:"commits"`
		} `json:"commits"`
	}
	l.query(t, &cm, "q", "subnet", "commits", "1")
	if len(cm.Commits) != 1 || len(cm.Commits[0].Commits.Commits) != 1 {
		t.Fatalf("commits after commit-weights: %+v", cm)
	}
	commit := cm.Commits[0].Commits.Commits[0]
	due := uint64(commit.Epoch) + 1 // reveal_period 1
	if !waitFor(30*time.Second, func() bool { return types.EpochIndex(1, tempo, height(t, l.rpc())) >= due }) {
		t.Fatalf("reveal epoch %d never came", due)
	}
	l.txOK(t, "tx", "subnet", "reveal-weights", "1", "--uids", "0", "--values", "7",
		"--salt", salt, "--from", "miner-hot")
	cm.Commits = nil // an empty list is left out of the output
	l.query(t, &cm, "q", "subnet", "commits", "1")
	if len(cm.Commits) != 0 {
		t.Errorf("commits after reveal: %+v, want none", cm)
	}
	var n struct {
		Neuron struct {
			Neuron struct {
				LastUpdate num `json:"last_update"`
			} `json:"neuron"`
		} `json:"neuron"`
	}
	l.query(t, &n, "q", "subnet", "neuron", "1", "0")
	if n.Neuron.Neuron.LastUpdate != commit.Block {
		t.Errorf("neuron last_update after reveal: %d, want the commit block %d", n.Neuron.Neuron.LastUpdate, commit.Block)
	}
	l.query(t, &n, "q", "subnet", "neuron-by-hotkey", "1", hot)
	if n.Neuron.Neuron.LastUpdate != commit.Block {
		t.Errorf("neuron-by-hotkey last_update: %d, want %d", n.Neuron.Neuron.LastUpdate, commit.Block)
	}

	// the remaining queries answer with their documented fields
	for _, q := range []struct {
		args []string
		key  string
	}{
		{[]string{"params"}, "params"},
		{[]string{"emission", "1"}, "pending"},
		{[]string{"bonds", "1"}, "pagination"}, // no bonds yet: one neuron, no epoch with a permit
		{[]string{"registration-price", "1"}, "price"},
	} {
		var v map[string]json.RawMessage
		l.query(t, &v, append([]string{"q", "subnet"}, q.args...)...)
		if _, ok := v[q.key]; !ok {
			t.Errorf("q subnet %s: no %q in %v", strings.Join(q.args, " "), q.key, v)
		}
	}

	t.Run("errors are explained before signing", func(t *testing.T) {
		for _, c := range []struct {
			name string
			args []string
			msg  string
		}{
			{"empty weights", []string{"tx", "subnet", "set-weights", "1", "--from", "miner-hot"}, "no weights"},
			{"mismatched lengths", []string{"tx", "subnet", "set-weights", "1", "--uids", "0,1", "--values", "5", "--from", "miner-hot"}, "2 uids but 1 values"},
			{"value above u16", []string{"tx", "subnet", "reveal-weights", "1", "--uids", "0", "--values", "65536", "--salt", "c2FsdA==", "--from", "miner-hot"}, "above the largest allowed 65535"},
			{"reveal without salt", []string{"tx", "subnet", "reveal-weights", "1", "--uids", "0", "--values", "5", "--from", "miner-hot"}, "--salt is required"},
			{"other denom", []string{"tx", "subnet", "add-stake", hot, "5uatom", "--from", "bob"}, `denom "uatom" is not accepted`},
			{"fraction of a utensor", []string{"tx", "subnet", "remove-stake", hot, "0.0000001TENSOR", "--from", "bob"}, "not a whole number of utensor"},
			{"positional name, not --0", []string{"q", "subnet", "subnet", "abc"}, `invalid argument "abc" for [netuid] (argument 1)`},
			{"not found once", []string{"q", "subnet", "subnet", "9"}, "NotFound: "},
		} {
			t.Run(c.name, func(t *testing.T) {
				args := append(c.args, "--home", l.home)
				if c.args[0] == "tx" {
					args = append(args, "--yes")
				}
				_, errOut, err := cli(t, args...)
				expectCleanFailure(t, err, errOut, c.msg)
				for _, bad := range []string{`"--0"`, "desc = rpc error"} {
					if strings.Contains(errOut, bad) {
						t.Errorf("stderr has %q:\n%s", bad, errOut)
					}
				}
			})
		}
	})
}

// bobStake is bob's stake on his one hotkey, from stake-by-staker.
func bobStake(t *testing.T, l localnet, bob string) int64 {
	t.Helper()
	var res struct {
		Stakes []struct {
			Amount string `json:"amount"`
		} `json:"stakes"`
	}
	l.query(t, &res, "q", "subnet", "stake-by-staker", bob)
	if len(res.Stakes) != 1 {
		t.Fatalf("stake-by-staker %s: %+v, want one stake", bob, res)
	}
	return atoi(t, res.Stakes[0].Amount)
}

// TestSubnetCLIOffline checks the CLI without a chain: the weights lists
// autocli used to panic on, `q --help`, `config` and the daemons' version.
func TestSubnetCLIOffline(t *testing.T) {
	home := t.TempDir()
	mustCLI(t, "init", "cli-test", "--chain-id", "cli-test", "--home", home)
	mustCLI(t, "keys", "add", "v", "--keyring-backend", "test", "--home", home)

	t.Run("set-weights builds the lists", func(t *testing.T) {
		out := mustCLI(t, "tx", "subnet", "set-weights", "1", "--uids", "1,2", "--values", "65535,1000",
			"--from", "v", "--keyring-backend", "test", "--home", home, "--generate-only")
		var tx struct {
			Body struct {
				Messages []struct {
					Type   string `json:"@type"`
					Netuid num    `json:"netuid"`
					UIDs   []num  `json:"uids"`
					Values []num  `json:"values"`
				} `json:"messages"`
			} `json:"body"`
		}
		if err := json.Unmarshal([]byte(out), &tx); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		m := tx.Body.Messages
		if len(m) != 1 || m[0].Type != "/tensorcosm.subnet.v1.MsgSetWeights" || m[0].Netuid != 1 ||
			mustJSON(t, m[0].UIDs) != "[1,2]" || mustJSON(t, m[0].Values) != "[65535,1000]" {
			t.Fatalf("generated tx: %s", out)
		}
	})
	t.Run("commit-weights takes a hash or computes it", func(t *testing.T) {
		addr := strings.TrimSpace(mustCLI(t, "keys", "show", "v", "-a", "--keyring-backend", "test", "--home", home))
		want := base64.StdEncoding.EncodeToString(types.CommitHash(addr, 1, []uint32{1, 2}, []uint32{65535, 1000}, []byte("salt"), 3))
		for _, args := range [][]string{
			{want},
			{"--uids", "1,2", "--values", "65535,1000", "--salt", "c2FsdA==", "--version-key", "3"},
		} {
			out := mustCLI(t, append(append([]string{"tx", "subnet", "commit-weights", "1"}, args...),
				"--from", "v", "--keyring-backend", "test", "--home", home, "--generate-only")...)
			if !strings.Contains(out, `"commit_hash":"`+want+`"`) {
				t.Errorf("commit-weights %v: want hash %s in %s", args, want, out)
			}
		}
		_, errOut, err := cli(t, "tx", "subnet", "commit-weights", "1", "c2FsdA==", "--from", "v", "--keyring-backend", "test", "--home", home, "--generate-only")
		expectCleanFailure(t, err, errOut, "is not a base64 SHA-256 hash")
	})
	t.Run("register takes max-burn with a denom", func(t *testing.T) {
		addr := strings.TrimSpace(mustCLI(t, "keys", "show", "v", "-a", "--keyring-backend", "test", "--home", home))
		out := mustCLI(t, "tx", "subnet", "register", addr, "1", "2TENSOR", "--from", "v", "--keyring-backend", "test", "--home", home, "--generate-only")
		if !strings.Contains(out, `"max_burn":"2000000"`) {
			t.Fatalf("register 2TENSOR: %s", out)
		}
	})
	t.Run("wait-tx listed once", func(t *testing.T) {
		if n := strings.Count(mustCLI(t, "q", "--help"), "\n  wait-tx "); n != 1 {
			t.Fatalf("wait-tx listed %d times in q --help", n)
		}
	})
	t.Run("config set and get", func(t *testing.T) {
		mustCLI(t, "config", "set", "client", "chain-id", "other-chain", "--home", home)
		if got := strings.TrimSpace(mustCLI(t, "config", "get", "client", "chain-id", "--home", home)); got != "other-chain" {
			t.Fatalf("config get client chain-id: %q", got)
		}
		_, errOut, err := cli(t, "config", "set", "client", "colour", "red", "--home", home)
		expectCleanFailure(t, err, errOut, `unknown client setting "colour"`)
	})
	t.Run("every subnet command has an example", func(t *testing.T) {
		for _, group := range []string{"tx", "q"} {
			help := mustCLI(t, group, "subnet", "--help")
			cmds := help[strings.Index(help, "Available Commands:"):strings.Index(help, "Flags:")]
			lines := strings.Split(strings.TrimSpace(cmds), "\n")[1:]
			if len(lines) < 10 {
				t.Fatalf("%s subnet lists %d commands", group, len(lines))
			}
			for _, line := range lines {
				name := strings.Fields(line)[0]
				if sub := mustCLI(t, group, "subnet", name, "--help"); !strings.Contains(sub, "Examples:") {
					t.Errorf("%s subnet %s has no example", group, name)
				}
			}
		}
	})
	for _, daemon := range []string{"tensorcosm-miner", "tensorcosm-validator"} {
		t.Run(daemon+" version", func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), daemon)
			build := exec.Command("go", "build", "-ldflags", "-X github.com/cosmos/cosmos-sdk/version.Version=v9.9.9-test", "-o", bin, "./cmd/"+daemon)
			build.Dir = repoRoot
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build %s: %v\n%s", daemon, err, out)
			}
			out, err := exec.Command(bin, "version").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "v9.9.9-test" {
				t.Fatalf("%s version: %v %q", daemon, err, out)
			}
		})
	}
}
