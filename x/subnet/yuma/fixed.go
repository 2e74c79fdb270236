package yuma

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Fixed is a non-negative fixed-point number with FracBits fractional bits: the value of x
// is uint64(x) / 2^48. Every fraction in this package (stake shares, weights, consensus,
// trust, incentive, dividends, bonds, hyperparameters) is a Fixed in [0, One].
//
// The chain can persist a Fixed exactly as its uint64; ToU16 and FromU16 convert to and
// from subtensor's u16 "per 65535" form, String and Decimal print it without floats.
// Arithmetic inside the package rounds down (towards zero) unless a comment says otherwise.
type Fixed uint64

// FracBits is the number of fractional bits of a Fixed. Subtensor's I32F32 has 32; the
// 16 more used here keep the relative error of a small weight (1e-4 of a row, say) near
// 1e-11 rather than 1e-6, which matters because bonds normalise each column and so
// magnify the relative error of the weights in it. The 16 integer bits are enough for
// every quantity of an epoch (all of them are shares, at most 1).
const FracBits = 48

// One is the Fixed value 1.
const One Fixed = 1 << FracBits

// JSONPlaces is the number of decimal places MarshalJSON writes: readable output that
// still resolves one part in 10^10 of a share.
const JSONPlaces = 10

const (
	fracMask      = 1<<FracBits - 1
	maxDecimalLen = 1000
)

// FromRatio returns num/den rounded down. It fails when den is zero or the quotient does
// not fit in a Fixed.
func FromRatio(num, den uint64) (Fixed, error) {
	if den == 0 {
		return 0, errors.New("yuma: ratio with zero denominator")
	}
	if num>>(64-FracBits) >= den {
		return 0, fmt.Errorf("yuma: ratio %d/%d out of range", num, den)
	}
	q, _ := bits.Div64(num>>(64-FracBits), num<<FracBits, den)
	return Fixed(q), nil
}

// FromU16 converts subtensor's u16 proportion (u/65535) to a Fixed, rounded to nearest so
// that FromU16(u).ToU16() == u for every u.
func FromU16(u uint16) Fixed {
	num := uint64(u)<<FracBits + math.MaxUint16/2
	return Fixed(num / math.MaxUint16)
}

// ToU16 converts x to subtensor's u16 proportion x*65535, rounded to nearest (ties up) and
// saturating at 65535 for x >= 1. It is the compact form for per-UID results in state.
func (x Fixed) ToU16() uint16 {
	if x >= One {
		return math.MaxUint16
	}
	v := (uint64(x)*math.MaxUint16 + 1<<(FracBits-1)) >> FracBits
	return uint16(v)
}

// String returns the exact decimal value of x (at most 48 fractional digits, trailing
// zeros removed), e.g. "0.5" or "1".
func (x Fixed) String() string {
	return x.Decimal(FracBits)
}

// Decimal returns x rounded half up to at most places fractional digits, trailing zeros
// removed. With places >= FracBits the result is exact.
func (x Fixed) Decimal(places int) string {
	return string(x.AppendDecimal(nil, places))
}

// AppendDecimal appends x.Decimal(places) to dst.
func (x Fixed) AppendDecimal(dst []byte, places int) []byte {
	places = max(0, min(places, FracBits))
	ip := uint64(x) >> FracBits
	f := uint64(x) & fracMask
	var buf [FracBits]byte
	digits := buf[:places]
	for i := range digits {
		f *= 10
		digits[i] = byte(f >> FracBits)
		f &= fracMask
	}
	if f >= 1<<(FracBits-1) && roundUp(digits) {
		ip++
	}
	end := len(digits)
	for end > 0 && digits[end-1] == 0 {
		end--
	}
	dst = strconv.AppendUint(dst, ip, 10)
	if end > 0 {
		dst = append(dst, '.')
		for _, d := range digits[:end] {
			dst = append(dst, '0'+d)
		}
	}
	return dst
}

// roundUp adds one unit in the last place of digits and reports a carry out of them.
func roundUp(digits []byte) bool {
	for i := len(digits) - 1; i >= 0; i-- {
		if digits[i] < 9 {
			digits[i]++
			return false
		}
		digits[i] = 0
	}
	return true
}

// MarshalJSON writes x as a JSON number with JSONPlaces decimal places (half up), built
// from the exact decimal expansion so no float64 is involved.
func (x Fixed) MarshalJSON() ([]byte, error) {
	return []byte(x.Decimal(JSONPlaces)), nil
}

// UnmarshalJSON reads a JSON number with ParseFixed.
func (x *Fixed) UnmarshalJSON(b []byte) error {
	v, err := ParseFixed(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// ParseFixed parses a non-negative decimal number in JSON number syntax (e.g. "0.5",
// "1", "7e-1") exactly and rounds it to the nearest Fixed, ties to even.
func ParseFixed(s string) (Fixed, error) {
	mant, exp, err := splitDecimal(s)
	if err != nil {
		return 0, err
	}
	m, ok := new(big.Int).SetString(mant, 10)
	if !ok {
		return 0, fmt.Errorf("yuma: invalid number %q", s)
	}
	return ratToFixed(s, m, exp)
}

// splitDecimal turns "12.5e-3" into mantissa digits "125" and exponent -4.
func splitDecimal(s string) (string, int64, error) {
	if len(s) == 0 || len(s) > maxDecimalLen {
		return "", 0, fmt.Errorf("yuma: invalid number %q", truncate(s))
	}
	if s[0] == '-' {
		return "", 0, fmt.Errorf("yuma: negative number %s", truncate(s))
	}
	num, expPart, hasExp := strings.Cut(strings.ToLower(s), "e")
	ip, fp, hasDot := strings.Cut(num, ".")
	if !isDigits(ip) || (hasDot && !isDigits(fp)) || (len(ip) > 1 && ip[0] == '0') {
		return "", 0, fmt.Errorf("yuma: invalid number %q", truncate(s))
	}
	var exp int64
	if hasExp {
		e, err := parseExponent(expPart)
		if err != nil {
			return "", 0, fmt.Errorf("yuma: invalid number %q", truncate(s))
		}
		exp = e
	}
	return ip + fp, exp - int64(len(fp)), nil
}

func parseExponent(s string) (int64, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if !isDigits(s) || len(s) > 6 {
		return 0, errors.New("bad exponent")
	}
	var e int64
	for _, c := range s {
		e = e*10 + int64(c-'0')
	}
	if neg {
		e = -e
	}
	return e, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ratToFixed rounds m*10^exp*2^48 to the nearest integer, ties to even.
func ratToFixed(s string, m *big.Int, exp int64) (Fixed, error) {
	if m.Sign() == 0 {
		return 0, nil
	}
	digits := int64(len(m.String()))
	switch {
	case digits+exp > 5:
		return 0, fmt.Errorf("yuma: number %s out of range", truncate(s))
	case digits+exp < -16:
		return 0, nil // below 10^-16 < 2^-49: rounds to zero
	}
	num := new(big.Int).Lsh(m, FracBits)
	den := big.NewInt(1)
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(exp)), nil)
	if exp >= 0 {
		num.Mul(num, pow)
	} else {
		den = pow
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	switch r.Lsh(r, 1).Cmp(den) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsUint64() {
		return 0, fmt.Errorf("yuma: number %s out of range", truncate(s))
	}
	return Fixed(q.Uint64()), nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// mulFixed returns a*b rounded down, saturating at the largest Fixed.
func mulFixed(a, b Fixed) Fixed {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi>>FracBits != 0 {
		return math.MaxUint64
	}
	return Fixed(hi<<(64-FracBits) | lo>>FracBits)
}

// Wide values are internal accumulators with 62 fractional bits (values below 4). Sums
// and products that are normalised afterwards are kept wide so that a column or a vector
// made of tiny values keeps its proportions instead of collapsing to a few Fixed units.
const wideBits = 62

// mulWide returns a*b as a wide value, rounded down; a*b must be below 4.
func mulWide(a, b Fixed) uint64 {
	const s = 2*FracBits - wideBits
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return hi<<(64-s) | lo>>s
}

// wideToFixed rounds a wide value down to a Fixed.
func wideToFixed(w uint64) Fixed {
	return Fixed(w >> (wideBits - FracBits))
}

// mulWideFixed returns w*f (wide times Fixed) as a wide value, rounded down.
func mulWideFixed(w uint64, f Fixed) uint64 {
	hi, lo := bits.Mul64(w, uint64(f))
	return hi<<(64-FracBits) | lo>>FracBits
}
