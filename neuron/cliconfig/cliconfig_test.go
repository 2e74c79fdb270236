package cliconfig_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
)

type sub struct {
	Mode  string        `mapstructure:"mode"`
	Every time.Duration `mapstructure:"every"`
}

type config struct {
	Name  string  `mapstructure:"name"`
	Count uint64  `mapstructure:"count"`
	Ratio float64 `mapstructure:"ratio"`
	Sub   sub     `mapstructure:"sub"`
}

var flags = []cliconfig.Flag{
	{Name: "name", Key: "name", Usage: "name"},
	{Name: "ratio", Key: "ratio", Usage: "ratio"},
	{Name: "every", Key: "sub.every", Usage: "every"},
}

// TestLoad checks the layers and the decoding of file values: a YAML
// boolean for a string key stays "true", a duration string parses.
func TestLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("count: 7\nsub: {mode: true, every: 1m30s}\nname: file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	def := config{Name: "default", Ratio: 0.5, Sub: sub{Mode: "auto", Every: time.Second}}
	t.Setenv("TEST_NAME", "env")
	v := viper.New()
	f := pflag.NewFlagSet("t", pflag.ContinueOnError)
	cliconfig.DefineFlags(f, v, def, flags)
	if err := f.Parse([]string{"--ratio", "0.25"}); err != nil {
		t.Fatal(err)
	}
	var got config
	if err := cliconfig.Load(v, file, "TEST", def, &got); err != nil {
		t.Fatal(err)
	}
	want := config{Name: "env", Count: 7, Ratio: 0.25, Sub: sub{Mode: "true", Every: 90 * time.Second}}
	if got != want {
		t.Fatalf("config = %+v, want %+v", got, want)
	}
	var out bytes.Buffer
	if err := cliconfig.Write(&out, got); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"every: 1m30s", `mode: "true"`, "ratio: 0.25"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("written config lacks %q:\n%s", w, out.String())
		}
	}
}

type shared struct {
	Netuid uint32 `mapstructure:"netuid"`
	Sub    sub    `mapstructure:"sub"`
}

type daemon struct {
	shared `mapstructure:",squash"`
	Own    string `mapstructure:"own"`
}

// TestSquashedSectionKeepsItsKeys: a section embedded with ",squash" keeps
// its keys at the top level in Flatten, the file, the environment and the
// written config, so daemons can share one section without renaming keys.
func TestSquashedSectionKeepsItsKeys(t *testing.T) {
	def := daemon{shared: shared{Sub: sub{Mode: "auto"}}, Own: "x"}
	keys := cliconfig.Flatten(def)
	for _, k := range []string{"netuid", "sub.mode", "sub.every", "own"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("Flatten lacks key %s: %v", k, keys)
		}
	}
	if len(keys) != 4 {
		t.Errorf("Flatten = %v, want 4 keys", keys)
	}
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("netuid: 3\nsub: {mode: file}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SQ_OWN", "env")
	var got daemon
	if err := cliconfig.Load(viper.New(), file, "SQ", def, &got); err != nil {
		t.Fatal(err)
	}
	if want := (daemon{shared: shared{Netuid: 3, Sub: sub{Mode: "file"}}, Own: "env"}); got != want {
		t.Fatalf("config = %+v, want %+v", got, want)
	}
	var out bytes.Buffer
	if err := cliconfig.Write(&out, got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "netuid: 3") {
		t.Errorf("written config lacks the top-level netuid:\n%s", out.String())
	}
}
