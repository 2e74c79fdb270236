package cli

import (
	"testing"

	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
	"github.com/tensorcosm/tensorcosm/validator"
)

// TestEveryKeyHasAFlag: each config key can be set by exactly one flag;
// tasks.<kind>.<key>, whose keys each kind defines, by --task-setting.
func TestEveryKeyHasAFlag(t *testing.T) {
	flags := map[string]int{}
	for _, f := range runFlags {
		flags[f.Key]++
	}
	keys := cliconfig.Flatten(validator.DefaultConfig())
	for key := range keys {
		if key == "tasks" {
			continue
		}
		if flags[key] != 1 {
			t.Errorf("config key %s has %d flags, want 1", key, flags[key])
		}
	}
	for key := range flags {
		if _, ok := keys[key]; !ok {
			t.Errorf("flag for unknown key %s", key)
		}
	}
}
