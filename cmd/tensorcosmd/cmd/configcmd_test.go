package cmd

import (
	"strings"
	"testing"
)

func TestClientSettings(t *testing.T) {
	const toml = "# comment kept\nchain-id = \"a\"\nnode = \"tcp://localhost:26657\"\n"
	out, err := setSetting(toml, "chain-id", "b")
	if err != nil || out != "# comment kept\nchain-id = \"b\"\nnode = \"tcp://localhost:26657\"\n" {
		t.Fatalf("set chain-id: %q %v", out, err)
	}
	if v, err := getSetting(out, "node"); err != nil || v != "tcp://localhost:26657" {
		t.Errorf("get node: %q %v", v, err)
	}
	if out, err = setSetting(out, "output", "json"); err != nil || !strings.HasSuffix(out, "\noutput = \"json\"\n") {
		t.Errorf("set a missing key: %q %v", out, err)
	}
	if _, err := setSetting(toml, "colour", "red"); err == nil {
		t.Error("unknown key accepted")
	}
}
