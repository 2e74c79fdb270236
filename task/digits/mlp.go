package digits

import (
	"errors"
	"fmt"
	"math"
)

// MaxHidden bounds the hidden layer width accepted by Train and by an MLP's
// Validate: far above what the digits task needs, low enough that a typo
// cannot allocate gigabytes.
const MaxHidden = 4096

// MLP is a two-layer perceptron for the digits task:
//
//	probabilities = softmax(relu(x·W1 + B1)·W2 + B2)
//
// The weights are float32 because that is what the ONNX file stores and ONNX
// Runtime computes with.
type MLP struct {
	// Hidden is the width of the hidden layer.
	Hidden int
	// W1 is the NumFeatures x Hidden input weight matrix, row-major, laid out
	// as ONNX MatMul expects its right operand.
	W1 []float32
	// B1 is the hidden layer bias, Hidden values.
	B1 []float32
	// W2 is the Hidden x NumClasses output weight matrix, row-major.
	W2 []float32
	// B2 is the output bias, NumClasses values.
	B2 []float32
}

// Validate reports whether the parameter slices have the sizes Hidden implies
// and hold only finite values.
func (m *MLP) Validate() error {
	if err := m.checkSizes(); err != nil {
		return err
	}
	for _, p := range m.params() {
		for _, x := range p.v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s holds a non-finite value", p.name)
			}
		}
	}
	return nil
}

type namedParam struct {
	name string
	v    []float32
	want int
}

func (m *MLP) params() []namedParam {
	return []namedParam{
		{"W1", m.W1, NumFeatures * m.Hidden},
		{"B1", m.B1, m.Hidden},
		{"W2", m.W2, m.Hidden * NumClasses},
		{"B2", m.B2, NumClasses},
	}
}

// checkSizes is the cheap part of Validate, enough to make Forward safe.
func (m *MLP) checkSizes() error {
	if m.Hidden < 1 || m.Hidden > MaxHidden {
		return fmt.Errorf("hidden width %d is not in [1, %d]", m.Hidden, MaxHidden)
	}
	for _, p := range m.params() {
		if len(p.v) != p.want {
			return fmt.Errorf("%s has %d values, want %d", p.name, len(p.v), p.want)
		}
	}
	return nil
}

// NumParams returns the number of trainable parameters.
func (m *MLP) NumParams() int {
	return len(m.W1) + len(m.B1) + len(m.W2) + len(m.B2)
}

// Forward computes the class probabilities for the n rows in x (n x
// NumFeatures, row-major) and returns them as n x NumClasses, row-major. It
// is the pure-Go reference for what ONNX Runtime computes from the exported
// file.
func (m *MLP) Forward(x []float32, n int) ([]float32, error) {
	if len(x) != n*NumFeatures {
		return nil, fmt.Errorf("got %d features for %d rows, want %d", len(x), n, n*NumFeatures)
	}
	if err := m.checkSizes(); err != nil {
		return nil, fmt.Errorf("invalid model: %w", err)
	}
	out := make([]float32, n*NumClasses)
	hidden := make([]float64, m.Hidden)
	logits := make([]float64, NumClasses)
	for r := range n {
		m.forwardRow(x[r*NumFeatures:(r+1)*NumFeatures], hidden, logits)
		for k, p := range logits {
			out[r*NumClasses+k] = float32(p)
		}
	}
	return out, nil
}

// forwardRow computes one row's probabilities into logits, using hidden as
// scratch space.
func (m *MLP) forwardRow(x []float32, hidden, logits []float64) {
	for j := range hidden {
		hidden[j] = float64(m.B1[j])
	}
	for i, xi := range x {
		if xi == 0 {
			continue // most pixels are blank; skipping them changes nothing
		}
		row := m.W1[i*m.Hidden : (i+1)*m.Hidden]
		for j, w := range row {
			hidden[j] += float64(xi) * float64(w)
		}
	}
	for k := range logits {
		logits[k] = float64(m.B2[k])
	}
	for j, h := range hidden {
		if h <= 0 {
			continue
		}
		row := m.W2[j*NumClasses : (j+1)*NumClasses]
		for k, w := range row {
			logits[k] += h * float64(w)
		}
	}
	softmax(logits)
}

// softmax replaces z by softmax(z), shifted by its maximum so that exp never
// overflows.
func softmax(z []float64) {
	maxZ := z[0]
	for _, v := range z[1:] {
		maxZ = max(maxZ, v)
	}
	var sum float64
	for k, v := range z {
		z[k] = math.Exp(v - maxZ)
		sum += z[k]
	}
	for k := range z {
		z[k] /= sum
	}
}

// argmax returns the index of the largest value, the first one on ties.
func argmax[T float32 | float64](v []T) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// Accuracy returns the share of d that the model classifies correctly,
// computed in pure Go.
func (m *MLP) Accuracy(d *Dataset) (float64, error) {
	if d.Len() == 0 {
		return 0, errors.New("empty data set")
	}
	probs, err := m.Forward(d.Features, d.Len())
	if err != nil {
		return 0, err
	}
	return accuracy(probs, d.Labels), nil
}

// accuracy compares the argmax of each row of probs (len(labels) x
// NumClasses) with its label.
func accuracy(probs []float32, labels []int) float64 {
	correct := 0
	for i, y := range labels {
		if argmax(probs[i*NumClasses:(i+1)*NumClasses]) == y {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}
