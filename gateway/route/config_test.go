package route

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // substring of the error; "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"hedge off", func(c *Config) { c.Hedge = false }, ""},
		{"zero hedge min", func(c *Config) { c.HedgeMin = 0 }, ""},
		{"no breaker failures", func(c *Config) { c.BreakerFailures = 0 }, "breaker_failures"},
		{"no open time", func(c *Config) { c.BreakerOpen = 0 }, "breaker_open"},
		{"alpha zero", func(c *Config) { c.EWMAAlpha = 0 }, "ewma_alpha"},
		{"alpha above one", func(c *Config) { c.EWMAAlpha = 1.5 }, "ewma_alpha"},
		{"alpha NaN", func(c *Config) { c.EWMAAlpha = math.NaN() }, "ewma_alpha"},
		{"no attempts", func(c *Config) { c.MaxAttempts = 0 }, "max_attempts"},
		{"negative hedge min", func(c *Config) { c.HedgeMin = -time.Millisecond }, "hedge_min"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestNewFillsDefaultsAndPanicsOnInvalid(t *testing.T) {
	r := New(Config{}, nil)
	want := DefaultConfig()
	want.Hedge = false // a zero bool is a choice
	if r.cfg != want {
		t.Fatalf("New(Config{}) config = %+v, want %+v", r.cfg, want)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("New with a negative MaxAttempts did not panic")
		}
	}()
	New(Config{MaxAttempts: -1}, nil)
}
