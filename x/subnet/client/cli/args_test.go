package cli

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{"100", "100", ""},
		{"100utensor", "100", ""},
		{"1.5TENSOR", "1500000", ""},
		{"0.000001TENSOR", "1", ""},
		{"2TENSOR", "2000000", ""},
		{"0", "0", ""},
		{"1.5utensor", "", "not a whole number"},
		{"0.0000001TENSOR", "", "not a whole number"},
		{"10tensor", "", `denom "tensor" is not accepted`},
		{"5uatom", "", `denom "uatom" is not accepted`},
		{"-5", "", "not an amount"},
		{"abc", "", "not an amount"},
		{"", "", "not an amount"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseAmount("[amount]", c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("ParseAmount(%q) = %v, %v; want error with %q", c.in, got, err, c.err)
				}
				return
			}
			if err != nil || got.String() != c.want {
				t.Fatalf("ParseAmount(%q) = %v, %v; want %s", c.in, got, err, c.want)
			}
		})
	}
}

func TestParseWeights(t *testing.T) {
	for _, c := range []struct {
		name, uids, values string
		wantUIDs, wantVals string
		err                string
	}{
		{"two", "1,2", "65535,1000", "[1 2]", "[65535 1000]", ""},
		{"spaces", " 0 , 3", "7, 0", "[0 3]", "[7 0]", ""},
		{"empty", "", "", "", "", "no weights"},
		{"no values", "1", "", "", "", "no weights"},
		{"mismatch", "1,2", "5", "", "", "2 uids but 1 values"},
		{"above u16", "1", "65536", "", "", "above the largest allowed 65535"},
		{"negative", "1", "-1", "", "", "not a non-negative integer"},
		{"repeated uid", "1,1", "5,6", "", "", "uid 1 is given twice"},
		{"uid above u32", "4294967296", "5", "", "", "a UID is a u32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			uids, vals, err := ParseWeights(c.uids, c.values)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v %v %v; want error with %q", uids, vals, err, c.err)
				}
				return
			}
			if err != nil || fmtList(uids) != c.wantUIDs || fmtList(vals) != c.wantVals {
				t.Fatalf("got %v %v %v; want %s %s", uids, vals, err, c.wantUIDs, c.wantVals)
			}
		})
	}
}

func fmtList(v []uint32) string { return fmt.Sprint(v) }

func TestParseSalt(t *testing.T) {
	if _, err := ParseSalt(""); err == nil || !strings.Contains(err.Error(), "--salt is required") {
		t.Errorf("empty salt: %v", err)
	}
	if _, err := ParseSalt("!!"); err == nil || !strings.Contains(err.Error(), "not base64") {
		t.Errorf("bad salt: %v", err)
	}
	if s, err := ParseSalt("c2FsdA=="); err != nil || string(s) != "salt" {
		t.Errorf("salt: %q %v", s, err)
	}
}
