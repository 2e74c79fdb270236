package textline

import "testing"

func TestEditDistanceAndScore(t *testing.T) {
	for _, tc := range []struct {
		pred, truth string
		dist        int
		score       float64
	}{
		{"hello", "hello", 0, 1},
		{"", "hello", 5, 0},
		{"helo", "hello", 1, 0.8},                // one deletion
		{"hallo", "hello", 1, 0.8},               // one substitution
		{"hello!", "hello", 1, 0.8},              // one insertion
		{"kitten", "sitting", 3, 1 - 3.0/7},      // the textbook case
		{"héllo", "hello", 1, 0.8},               // runes, not bytes
		{"xxxxxxxxxxxx", "ab", 12, 0},            // CER above 1 clips to 0
		{"12,500 Tom", "12.500 Tom", 1, 1 - 0.1}, // punctuation counts
	} {
		if got := EditDistance(tc.pred, tc.truth); got != tc.dist {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", tc.pred, tc.truth, got, tc.dist)
		}
		if got := EditDistance(tc.truth, tc.pred); got != tc.dist {
			t.Errorf("EditDistance is not symmetric for %q, %q: %d", tc.truth, tc.pred, got)
		}
		if got := LineScore(tc.pred, tc.truth); got < tc.score-1e-12 || got > tc.score+1e-12 {
			t.Errorf("LineScore(%q, %q) = %v, want %v", tc.pred, tc.truth, got, tc.score)
		}
	}
	if CER("", "") != 0 || CER("a", "") != 1 {
		t.Errorf("CER with an empty truth: %v, %v; want 0, 1", CER("", ""), CER("a", ""))
	}
}

func FuzzEditDistance(f *testing.F) {
	f.Add("kitten", "sitting")
	f.Add("", "abc")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := EditDistance(a, b)
		la, lb := len([]rune(a)), len([]rune(b))
		if d < max(la, lb)-min(la, lb) || d > max(la, lb) || d != EditDistance(b, a) || (d == 0) != (string([]rune(a)) == string([]rune(b))) {
			t.Fatalf("EditDistance(%q, %q) = %d breaks a metric bound", a, b, d)
		}
		if s := LineScore(a, b); s < 0 || s > 1 {
			t.Fatalf("LineScore(%q, %q) = %v outside [0, 1]", a, b, s)
		}
	})
}
