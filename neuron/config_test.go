package neuron_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/neuron"
)

func TestKeyringBackends(t *testing.T) {
	tests := []struct {
		name    string
		backend string
		dev     bool
		wantErr string // "" accepted
	}{
		{name: "file", backend: neuron.BackendFile},
		{name: "os", backend: neuron.BackendOS},
		{name: "test refused", backend: neuron.BackendTest, wantErr: "the test keyring stores keys unencrypted on disk; " +
			"use --keyring-backend file or os, or pass --dev for a local network"},
		{name: "test in dev mode", backend: neuron.BackendTest, dev: true},
		{name: "memory", backend: "memory", dev: true, wantErr: `keyring.backend "memory"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := neuron.KeyringConfig{Backend: tc.backend, Dir: "/keys", Hotkey: "hot"}
			err := errors.Join(k.Validate("", tc.dev)...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if got := neuron.DefaultKeyringConfig().Backend; got != neuron.BackendFile {
		t.Fatalf("default backend %q, want file", got)
	}
}

func TestWarnDev(t *testing.T) {
	tests := []struct {
		name    string
		backend string
		dev     bool
		warns   int
	}{
		{"dev with the test keyring", neuron.BackendTest, true, 1},
		{"dev with the file keyring", neuron.BackendFile, true, 0},
		{"file keyring", neuron.BackendFile, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			neuron.KeyringConfig{Backend: tc.backend, Dir: "/keys"}.WarnDev(slog.New(slog.NewJSONHandler(&out, nil)), tc.dev)
			if got := strings.Count(out.String(), `"level":"WARN"`); got != tc.warns {
				t.Fatalf("%d warnings, want %d:\n%s", got, tc.warns, out.String())
			}
		})
	}
}
