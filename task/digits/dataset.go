package digits

import (
	"github.com/tensorcosm/tensorcosm/onnx"

	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	// DigitsPathEnv names the environment variable that overrides where the
	// digits data set is read from.
	DigitsPathEnv = "TENSORCOSM_DIGITS_PATH"

	// SplitSeed seeds the train/held-out split. It is fixed so that every
	// miner and validator agrees on which samples are held out.
	SplitSeed uint64 = 20261122
	// HeldOutFraction is the share of each class that is held out.
	HeldOutFraction = 0.2

	// maxPixel is the largest raw feature value: each feature counts the set
	// pixels in a 4x4 block of the original 32x32 bitmap.
	maxPixel = 16
	// digitsSamples bounds how many rows LoadDigits accepts, far above the
	// 1,797 of the real file, so a wrong file cannot exhaust memory.
	digitsSamples = 100_000
)

// Dataset is a set of labelled digit images with features already scaled to
// [0, 1], the form the ONNX model takes as its input.
type Dataset struct {
	// Features holds Len() rows of NumFeatures values, row-major, so that a
	// contiguous range of rows can be fed to the model as one batch.
	Features []float32
	// Labels holds the digit (0..9) of each row.
	Labels []int
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Labels) }

// Row returns the features of sample i; the slice aliases d.Features.
func (d *Dataset) Row(i int) []float32 {
	return d.Features[i*NumFeatures : (i+1)*NumFeatures]
}

// subset returns the samples at the given indices, in that order.
func (d *Dataset) subset(idx []int) *Dataset {
	out := &Dataset{
		Features: make([]float32, 0, len(idx)*NumFeatures),
		Labels:   make([]int, 0, len(idx)),
	}
	for _, i := range idx {
		out.Features = append(out.Features, d.Row(i)...)
		out.Labels = append(out.Labels, d.Labels[i])
	}
	return out
}

// DataPath returns where the digits data set is read from by default:
// $TENSORCOSM_DIGITS_PATH, else digits.csv.gz in the cache directory, where
// scripts/fetch-digits.sh puts it.
func DataPath() string {
	if p := os.Getenv(DigitsPathEnv); p != "" {
		return p
	}
	return filepath.Join(onnx.CacheDir(), "data", "digits.csv.gz")
}

// LoadDigits reads the digits data set from a gzipped CSV file (64 integer
// features in 0..16 and the label in the last column, one sample per line)
// and scales the features to [0, 1]. An empty path means DataPath().
func LoadDigits(path string) (*Dataset, error) {
	if path == "" {
		path = DataPath()
	}
	f, err := os.Open(filepath.Clean(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("digits data set %s not found: run scripts/fetch-digits.sh or set %s: %w",
			path, DigitsPathEnv, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open digits data set: %w", err)
	}
	defer closeQuietly(f)
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read digits data set %s: %w", path, err)
	}
	defer closeQuietly(zr)
	d, err := parseDigitsCSV(zr)
	if err != nil {
		return nil, fmt.Errorf("parse digits data set %s: %w", path, err)
	}
	return d, nil
}

// parseDigitsCSV parses the uncompressed CSV described at LoadDigits.
func parseDigitsCSV(r io.Reader) (*Dataset, error) {
	d := &Dataset{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if d.Len() >= digitsSamples {
			return nil, fmt.Errorf("more than %d samples", digitsSamples)
		}
		if err := d.appendCSVRow(text); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, errors.New("no samples")
	}
	return d, nil
}

// appendCSVRow parses one sample and appends it to d.
func (d *Dataset) appendCSVRow(text string) error {
	fields := strings.Split(text, ",")
	if len(fields) != NumFeatures+1 {
		return fmt.Errorf("got %d columns, want %d", len(fields), NumFeatures+1)
	}
	row := make([]float32, NumFeatures)
	for i, s := range fields[:NumFeatures] {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v < 0 || v > maxPixel {
			return fmt.Errorf("column %d: feature %q is not a number in [0, %d]", i+1, s, maxPixel)
		}
		row[i] = float32(v / maxPixel)
	}
	label, err := strconv.ParseFloat(strings.TrimSpace(fields[NumFeatures]), 64)
	if err != nil || label < 0 || label >= NumClasses || label != float64(int(label)) {
		return fmt.Errorf("label %q is not a digit", fields[NumFeatures])
	}
	d.Features = append(d.Features, row...)
	d.Labels = append(d.Labels, int(label))
	return nil
}

// Split divides d into a training set and a held-out set, stratified by
// class: within each class the sample indices (in file order) are shuffled by
// a Fisher-Yates shuffle driven by splitmix64 seeded with seed+class, and the
// first round(HeldOutFraction * class size) of them are held out. Both sets
// keep file order. The procedure is simple enough to reproduce elsewhere, so
// every miner reports the same held-out accuracy. Validators do not score on
// it: the split is public, so a miner could train on it (see Augment).
func Split(d *Dataset, seed uint64) (train, heldOut *Dataset) {
	var byClass [NumClasses][]int
	for i, y := range d.Labels {
		byClass[y] = append(byClass[y], i)
	}
	var trainIdx, heldIdx []int
	for class, idx := range byClass {
		rng := newSplitMix64(seed + uint64(class))
		rng.shuffle(idx)
		n := int(HeldOutFraction*float64(len(idx)) + 0.5)
		heldIdx = append(heldIdx, idx[:n]...)
		trainIdx = append(trainIdx, idx[n:]...)
	}
	slices.Sort(trainIdx)
	slices.Sort(heldIdx)
	return d.subset(trainIdx), d.subset(heldIdx)
}

// LoadDigitsSplit loads the data set (see LoadDigits) and splits it with
// SplitSeed.
func LoadDigitsSplit(path string) (train, heldOut *Dataset, err error) {
	d, err := LoadDigits(path)
	if err != nil {
		return nil, nil, err
	}
	train, heldOut = Split(d, SplitSeed)
	return train, heldOut, nil
}

// closeQuietly closes a file that was only read.
func closeQuietly(c io.Closer) { _ = c.Close() }
