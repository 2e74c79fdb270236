package yuma

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestFromRatio(t *testing.T) {
	tests := []struct {
		name     string
		num, den uint64
		want     Fixed
		wantErr  bool
	}{
		{"half is exact", 1, 2, One / 2, false},
		{"one", 7, 7, One, false},
		{"a third rounds down", 1, 3, Fixed((uint64(One) - 1) / 3), false},
		{"two thirds rounds down", 2, 3, Fixed(2 * (uint64(One) - 1) / 3), false},
		{"above one fits", 3, 2, One + One/2, false},
		{"zero denominator", 1, 0, 0, true},
		{"quotient too large", math.MaxUint64, 1, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromRatio(tt.num, tt.den)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("FromRatio(%d, %d) = %d, %v; want %d, error %v", tt.num, tt.den, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestU16RoundTrip checks every u16: FromU16 then ToU16 gives it back, and both round to
// nearest (within half a unit of the exact value).
func TestU16RoundTrip(t *testing.T) {
	for u := 0; u <= math.MaxUint16; u++ {
		f := FromU16(uint16(u))
		if back := f.ToU16(); back != uint16(u) {
			t.Fatalf("FromU16(%d).ToU16() = %d", u, back)
		}
		exact := new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(int64(u)), FracBits), big.NewInt(math.MaxUint16))
		diff := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(int64(f)))
		if diff.Abs(diff).Cmp(big.NewRat(1, 2)) > 0 {
			t.Fatalf("FromU16(%d) = %d, more than half a unit from %s", u, f, exact.FloatString(3))
		}
	}
	if got := (One + 5).ToU16(); got != math.MaxUint16 {
		t.Fatalf("ToU16 above one = %d, want saturation at 65535", got)
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		name   string
		x      Fixed
		places int
		want   string
	}{
		{"zero", 0, 10, "0"},
		{"one", One, 10, "1"},
		{"half", One / 2, 10, "0.5"},
		{"smallest unit exactly", 1, 48, "0.000000000000003552713678800500929355621337890625"},
		{"smallest unit to ten places", 1, 10, "0"},
		{"a third to ten places", Fixed(uint64(One) / 3), 10, "0.3333333333"},
		{"two thirds rounds up", Fixed(2 * uint64(One) / 3), 10, "0.6666666667"},
		{"carry into the integer part", One - 1, 10, "1"},
		{"three quarters, trailing zeros trimmed", 3 * One / 4, 10, "0.75"},
		{"negative places act as zero", One + One/2, -1, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.x.Decimal(tt.places); got != tt.want {
				t.Fatalf("Decimal(%d) = %s, want %s", tt.places, got, tt.want)
			}
		})
	}
}

// TestStringIsExact checks String against the exact rational value for random inputs.
func TestStringIsExact(t *testing.T) {
	g := &gen{s: 1}
	for range 2000 {
		x := Fixed(g.u64() >> g.intn(64))
		r, ok := new(big.Rat).SetString(x.String())
		if !ok || r.Cmp(new(big.Rat).SetFrac(new(big.Int).SetUint64(uint64(x)), new(big.Int).Lsh(big.NewInt(1), FracBits))) != 0 {
			t.Fatalf("String(%d) = %s is not exact", x, x.String())
		}
	}
}

func TestParseFixed(t *testing.T) {
	tests := []struct {
		in      string
		want    Fixed
		wantErr string
	}{
		{"0.5", One / 2, ""},
		{"1", One, ""},
		{"1.0", One, ""},
		{"5e-1", One / 2, ""},
		{"0.25E0", One / 4, ""},
		{"0", 0, ""},
		{"0.7", Fixed(197032483697459), ""}, // round(0.7 * 2^48) = 197032483697459.2
		{"1e-300", 0, ""},
		{"65535.5", 65535*One + One/2, ""},
		{"-0.5", 0, "negative"},
		{".5", 0, "invalid"},
		{"5.", 0, "invalid"},
		{"01", 0, "invalid"},
		{"1e", 0, "invalid"},
		{"1e1000000", 0, "invalid"},
		{"70000", 0, "out of range"},
		{"0x1", 0, "invalid"},
		{"", 0, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFixed(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFixed(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFixed(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestParseFixedTiesToEven checks the rounding of a value exactly halfway between two
// Fixed units: 2^-49 is half a unit and rounds to 0, 3 * 2^-49 to 2 units.
func TestParseFixedTiesToEven(t *testing.T) {
	half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), FracBits+1))
	for _, tt := range []struct {
		mult int64
		want Fixed
	}{{1, 0}, {3, 2}, {5, 2}} {
		s := new(big.Rat).Mul(half, big.NewRat(tt.mult, 1)).FloatString(60)
		s = strings.TrimRight(s, "0")
		if got, err := ParseFixed(s); err != nil || got != tt.want {
			t.Fatalf("ParseFixed(%d/2 unit) = %d, %v; want %d", tt.mult, got, err, tt.want)
		}
	}
}

func TestFixedJSON(t *testing.T) {
	b, err := json.Marshal(struct{ X, Y Fixed }{One / 3, One})
	if err != nil || string(b) != `{"X":0.3333333333,"Y":1}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var v struct{ X Fixed }
	if err := json.Unmarshal([]byte(`{"X": 0.75}`), &v); err != nil || v.X != 3*One/4 {
		t.Fatalf("Unmarshal = %d, %v", v.X, err)
	}
	if err := json.Unmarshal([]byte(`{"X": -1}`), &v); err == nil {
		t.Fatal("Unmarshal of a negative number succeeded")
	}
}

func TestMulFixed(t *testing.T) {
	tests := []struct {
		name    string
		a, b    Fixed
		want    Fixed
		wantSat bool
	}{
		{"one times one", One, One, One, false},
		{"half times half", One / 2, One / 2, One / 4, false},
		{"rounds down", 1, One / 2, 0, false},
		{"saturates", math.MaxUint64, 2 * One, math.MaxUint64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mulFixed(tt.a, tt.b); got != tt.want {
				t.Fatalf("mulFixed = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestConstants recomputes the two transcendental constants of the sigmoid with exact
// rational arithmetic: ln 2 = sum 1/(k 2^k).
func TestConstants(t *testing.T) {
	ln2 := new(big.Rat)
	for k := int64(1); k <= 200; k++ {
		ln2.Add(ln2, new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(k), new(big.Int).Lsh(big.NewInt(1), uint(k)))))
	}
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	floorLn2 := new(big.Int).Quo(new(big.Rat).Mul(ln2, new(big.Rat).SetInt(two64)).Num(), new(big.Rat).Mul(ln2, new(big.Rat).SetInt(two64)).Denom())
	if floorLn2.Uint64() != ln2Q64 {
		t.Fatalf("ln2Q64 = %#x, want %#x", uint64(ln2Q64), floorLn2.Uint64())
	}
	inv := new(big.Rat).Quo(new(big.Rat).SetInt(two64), new(big.Rat).Mul(ln2, big.NewRat(100, 1)))
	rounded := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(inv.Num(), big.NewInt(2)), inv.Denom()), new(big.Int).Mul(inv.Denom(), big.NewInt(2)))
	if rounded.Uint64() != invLn2Per100Q64 {
		t.Fatalf("invLn2Per100Q64 = %d, want %d", uint64(invLn2Per100Q64), rounded.Uint64())
	}
}
