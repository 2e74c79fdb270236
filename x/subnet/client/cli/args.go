package cli

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cosmossdk.io/math"
)

const (
	// BaseDenom is the on-chain denom of every x/subnet amount.
	BaseDenom = "utensor"
	// DisplayDenom is the human unit: 1 TENSOR = 1000000 utensor.
	DisplayDenom = "TENSOR"
	// MaxWeight is the largest weight value: weights are u16.
	MaxWeight = 65535
)

var amountRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)([A-Za-z][A-Za-z0-9/:._-]*)?$`)

// ParseAmount reads an amount argument as Cosmos users write it: "100utensor",
// "1.5TENSOR" (1 TENSOR = 1000000utensor) or a bare integer of utensor. It
// refuses any other denom and any fraction of a utensor, so that a typo
// cannot move a million times more or less than meant.
func ParseAmount(name, s string) (math.Int, error) {
	m := amountRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return math.Int{}, fmt.Errorf("%s %q is not an amount: write 100utensor, 1.5TENSOR or 100 (utensor)", name, s)
	}
	num, denom := m[1], m[2]
	dec, err := math.LegacyNewDecFromStr(num)
	if err != nil {
		return math.Int{}, fmt.Errorf("%s %q: %w", name, s, err)
	}
	switch denom {
	case "", BaseDenom:
	case DisplayDenom:
		dec = dec.MulInt64(1_000_000)
	default:
		return math.Int{}, fmt.Errorf("%s %q: denom %q is not accepted; amounts are in utensor (100utensor, or a bare 100) or TENSOR (1.5TENSOR = 1500000utensor)", name, s, denom)
	}
	if !dec.IsInteger() {
		return math.Int{}, fmt.Errorf("%s %q is not a whole number of utensor (the smallest unit; 1 TENSOR = 1000000utensor)", name, s)
	}
	return dec.TruncateInt(), nil
}

// ParseUint32Arg reads a numeric positional argument and names it in the error.
func ParseUint32Arg(name, s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("argument %s: %q is not a non-negative integer below 2^32", name, s)
	}
	return uint32(v), nil
}

func parseUint64Arg(name, s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("argument %s: %q is not a non-negative integer", name, s)
	}
	return v, nil
}

func errArg(name, s string, err error) error {
	return fmt.Errorf("argument %s: %q is not an address: %w", name, s, err)
}

// ParseWeights reads the --uids and --values comma lists of set-weights and
// reveal-weights and refuses before signing what the chain would refuse:
// an empty list, lists of different lengths, a repeated UID or a value
// above 65535.
func ParseWeights(uidsStr, valuesStr string) (uids, values []uint32, err error) {
	if strings.TrimSpace(uidsStr) == "" || strings.TrimSpace(valuesStr) == "" {
		return nil, nil, fmt.Errorf("no weights: give --uids and --values as comma lists of the same length, e.g. --uids 0,1 --values 65535,1000")
	}
	uids, err = parseList("--uids", uidsStr, 1<<32-1, "a UID is a u32")
	if err != nil {
		return nil, nil, err
	}
	values, err = parseList("--values", valuesStr, MaxWeight, "weights are u16: 0..65535")
	if err != nil {
		return nil, nil, err
	}
	if len(uids) != len(values) {
		return nil, nil, fmt.Errorf("%d uids but %d values: --uids and --values pair up one to one", len(uids), len(values))
	}
	seen := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		if seen[u] {
			return nil, nil, fmt.Errorf("--uids: uid %d is given twice", u)
		}
		seen[u] = true
	}
	return uids, values, nil
}

func parseList(flag, s string, maxV uint64, hint string) ([]uint32, error) {
	parts := strings.Split(s, ",")
	out := make([]uint32, 0, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: item %d %q is not a non-negative integer", flag, i+1, p)
		}
		if v > maxV {
			return nil, fmt.Errorf("%s: item %d is %d, above the largest allowed %d (%s)", flag, i+1, v, maxV, hint)
		}
		out = append(out, uint32(v))
	}
	return out, nil
}

// ParseSalt reads the base64 --salt of reveal-weights; it must not be empty.
func ParseSalt(s string) ([]byte, error) {
	salt, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("--salt %q is not base64: %w", s, err)
	}
	if len(salt) == 0 {
		return nil, fmt.Errorf("--salt is required: the base64 salt the commit was made with")
	}
	return salt, nil
}
