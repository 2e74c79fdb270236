package digits

import (
	"bytes"
	"compress/gzip"
	"github.com/tensorcosm/tensorcosm/onnx"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// csvRow returns a valid CSV line with every feature set to v.
func csvRow(v string, label string) string {
	return strings.Repeat(v+",", NumFeatures) + label
}

func TestParseDigitsCSV(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		wantN   int
		wantErr string
	}{
		{name: "two rows", csv: csvRow("16", "3") + "\n" + csvRow("0", "9") + "\n", wantN: 2},
		{name: "float notation and blank lines", csv: "\n" + csvRow("8.0", "7.0") + "\n\n", wantN: 1},
		{name: "empty", csv: "", wantErr: "no samples"},
		{name: "too few columns", csv: "1,2,3", wantErr: "line 1: got 3 columns"},
		{name: "feature above 16", csv: csvRow("17", "1"), wantErr: "not a number in [0, 16]"},
		{name: "negative feature", csv: csvRow("-1", "1"), wantErr: "not a number in [0, 16]"},
		{name: "feature not a number", csv: csvRow("x", "1"), wantErr: "not a number in [0, 16]"},
		{name: "label 10", csv: csvRow("1", "10"), wantErr: "not a digit"},
		{name: "fractional label", csv: csvRow("1", "2.5"), wantErr: "not a digit"},
		{name: "error names the line", csv: csvRow("1", "1") + "\n" + csvRow("1", "x"), wantErr: "line 2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDigitsCSV(strings.NewReader(tc.csv))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() != tc.wantN || len(d.Features) != tc.wantN*NumFeatures {
				t.Fatalf("got %d samples and %d features, want %d samples", d.Len(), len(d.Features), tc.wantN)
			}
		})
	}
}

func TestParseDigitsCSVScalesFeatures(t *testing.T) {
	d, err := parseDigitsCSV(strings.NewReader(csvRow("8", "4")))
	if err != nil {
		t.Fatal(err)
	}
	if d.Row(0)[0] != 0.5 || d.Labels[0] != 4 {
		t.Fatalf("feature %v label %d, want 0.5 and 4", d.Row(0)[0], d.Labels[0])
	}
}

func TestLoadDigitsErrors(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "plain.csv")
	if err := os.WriteFile(notGzip, []byte(csvRow("1", "1")), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte("1,2\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	badRows := filepath.Join(dir, "bad.csv.gz")
	if err := os.WriteFile(badRows, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{name: "missing file points at the script", path: filepath.Join(dir, "nope.csv.gz"), wantErr: "scripts/fetch-digits.sh"},
		{name: "not gzip", path: notGzip, wantErr: "gzip"},
		{name: "bad rows", path: badRows, wantErr: "got 2 columns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadDigits(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestDataPath(t *testing.T) {
	tests := []struct {
		name, digits, cache, want string
	}{
		{name: "explicit path wins", digits: "/d/digits.csv.gz", cache: "/c", want: "/d/digits.csv.gz"},
		{name: "cache directory", cache: "/c", want: "/c/data/digits.csv.gz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(DigitsPathEnv, tc.digits)
			t.Setenv(onnx.CacheEnv, tc.cache)
			if got := DataPath(); got != tc.want {
				t.Fatalf("DataPath() = %q, want %q", got, tc.want)
			}
		})
	}
}

// synthetic returns n samples per class, with the class index in feature 0
// and the sample index in feature 1 so rows can be told apart.
func synthetic(perClass []int) *Dataset {
	d := &Dataset{}
	for class, n := range perClass {
		for i := range n {
			row := make([]float32, NumFeatures)
			row[0], row[1] = float32(class), float32(i)
			d.Features = append(d.Features, row...)
			d.Labels = append(d.Labels, class)
		}
	}
	return d
}

func TestSplit(t *testing.T) {
	perClass := []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 180}
	d := synthetic(perClass)
	train, held := Split(d, SplitSeed)
	t.Run("every sample lands in exactly one set", func(t *testing.T) {
		seen := map[[2]float32]int{}
		for _, s := range []*Dataset{train, held} {
			for i := range s.Len() {
				seen[[2]float32{s.Row(i)[0], s.Row(i)[1]}]++
			}
		}
		if len(seen) != d.Len() || train.Len()+held.Len() != d.Len() {
			t.Fatalf("%d distinct samples in %d+%d, want %d", len(seen), train.Len(), held.Len(), d.Len())
		}
	})
	t.Run("stratified 20 percent per class", func(t *testing.T) {
		got := make([]int, NumClasses)
		for _, y := range held.Labels {
			got[y]++
		}
		for class, n := range perClass {
			if want := int(HeldOutFraction*float64(n) + 0.5); got[class] != want {
				t.Errorf("class %d: %d held out, want %d", class, got[class], want)
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		_, again := Split(d, SplitSeed)
		if !equalFloats(again.Features, held.Features) {
			t.Fatal("the same seed gave a different split")
		}
	})
	t.Run("seed matters", func(t *testing.T) {
		_, other := Split(d, SplitSeed+1)
		if equalFloats(other.Features, held.Features) {
			t.Fatal("a different seed gave the same split")
		}
	})
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
