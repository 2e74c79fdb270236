package textline

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseDictionaryLayout(t *testing.T) {
	d, err := ParseDictionary([]byte("a\r\nb\nc\n"))
	if err != nil {
		t.Fatal(err)
	}
	// PaddleOCR: blank first, the lines in order, the space last.
	want := map[rune]int32{'a': 1, 'b': 2, 'c': 3, ' ': 4}
	for r, c := range want {
		if got, ok := d.Class(r); !ok || got != c {
			t.Errorf("Class(%q) = %d, %v; want %d", r, got, ok, c)
		}
	}
	if d.Classes() != 5 {
		t.Errorf("Classes() = %d, want 5", d.Classes())
	}
	if _, ok := d.Class('d'); ok || d.Covers("abd") || !d.Covers("ab c") {
		t.Error("coverage is wrong for a character the dictionary lacks")
	}
	if _, err := d.Encode("ad"); err == nil {
		t.Error("Encode of an unknown character succeeded")
	}
}

func TestParseDictionaryRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         "",
		"two runes":     "a\nbc\n",
		"empty line":    "a\n\nb\n",
		"repeat":        "a\nb\na\n",
		"space in file": "a\n \n",
		"invalid utf-8": "a\n\xff\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseDictionary([]byte(in)); err == nil {
				t.Fatalf("ParseDictionary(%q) succeeded", in)
			}
		})
	}
}

func TestSubnetDictionary(t *testing.T) {
	env := testEnv(t)
	d, err := LoadDictionary(DictionaryPath(env.CacheDir))
	if err != nil {
		t.Fatal(err)
	}
	if d.Classes() != referenceClasses {
		t.Fatalf("Classes() = %d, want %d", d.Classes(), referenceClasses)
	}
	if c, _ := d.Class(' '); c != referenceClasses-1 {
		t.Errorf("space is class %d, want the last, %d", c, referenceClasses-1)
	}
	// Everything the line generator writes must be readable.
	for r := rune('!'); r <= '~'; r++ {
		if _, ok := d.Class(r); !ok {
			t.Errorf("printable ASCII %q is not in the dictionary", r)
		}
	}
	// Another file, even a valid dictionary, is refused by its checksum.
	other := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(other, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDictionary(other); err == nil || !strings.Contains(err.Error(), DictionarySHA256) {
		t.Fatalf("LoadDictionary(other file) = %v, want a checksum error", err)
	}
	if _, err := LoadDictionary(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "fetch-ocr-model.sh") {
		t.Fatalf("LoadDictionary(missing) = %v, want an error naming the script", err)
	}
}

// steps builds a [steps][classes] score row from per-step class scores.
func steps(classes int, rows ...map[int]float32) []float32 {
	out := make([]float32, len(rows)*classes)
	for s, r := range rows {
		for c, v := range r {
			out[s*classes+c] = v
		}
	}
	return out
}

func TestDecodeRowCTC(t *testing.T) {
	d, err := ParseDictionary([]byte("a\nb\nc\n")) // a=1 b=2 c=3 space=4
	if err != nil {
		t.Fatal(err)
	}
	C := d.Classes()
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name  string
		rows  []map[int]float32
		text  string
		conf  []float32
		valid bool
	}{
		{"blanks only", []map[int]float32{{0: 1}, {0: 1}}, "", nil, true},
		{"repeats collapse", []map[int]float32{{1: .9}, {1: .8}, {2: .7}}, "ab", []float32{.9, .7}, true},
		{"blank splits a double letter", []map[int]float32{{1: .9}, {0: 1}, {1: .6}}, "aa", []float32{.9, .6}, true},
		{"leading and trailing blanks", []map[int]float32{{0: 1}, {3: .5}, {0: 1}}, "c", []float32{.5}, true},
		{"space class", []map[int]float32{{1: 1}, {4: 1}, {2: 1}}, "a b", []float32{1, 1, 1}, true},
		{"first class wins a tie", []map[int]float32{{2: .5, 3: .5}}, "b", []float32{.5}, true},
		{"highest score wins", []map[int]float32{{0: .2, 1: .3, 3: .5}}, "c", []float32{.5}, true},
		{"negative logits", []map[int]float32{{0: -3, 1: -1, 2: -2, 3: -5, 4: -4}}, "a", []float32{-1}, true},
		{"NaN", []map[int]float32{{1: 1}, {2: nan}}, "", nil, false},
		{"infinity", []map[int]float32{{1: float32(math.Inf(1))}}, "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := d.DecodeRow(steps(C, tc.rows...), len(tc.rows))
			if got.Text != tc.text || got.Finite != tc.valid || !slices.Equal(got.Confidences, tc.conf) {
				t.Fatalf("DecodeRow = %+v, want text %q confidences %v finite %v", got, tc.text, tc.conf, tc.valid)
			}
		})
	}
}
