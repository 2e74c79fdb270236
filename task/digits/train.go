package digits

import (
	"errors"
	"fmt"
	"math"
)

// TrainOptions configures Train. The zero value is not useful: start from
// DefaultTrainOptions.
type TrainOptions struct {
	// Epochs is the number of passes over the training set; 0 returns the
	// freshly initialised (untrained) model.
	Epochs int
	// Hidden is the hidden layer width.
	Hidden int
	// BatchSize is the number of samples per Adam step.
	BatchSize int
	// LearningRate is Adam's step size.
	LearningRate float64
	// Seed drives the initial weights and the batch order.
	Seed uint64
	// Progress, when set, is called after every epoch.
	Progress func(EpochStats)
}

// EpochStats reports the state of training after one epoch.
type EpochStats struct {
	// Epoch counts from 1 to Epochs.
	Epoch, Epochs int
	// Loss is the mean cross-entropy over the epoch's training batches.
	Loss float64
	// HeldOutAccuracy is the pure-Go accuracy on the held-out set, or -1
	// when Train was given none.
	HeldOutAccuracy float64
}

// DefaultTrainOptions returns the settings that `tensorcosm-miner model
// train` uses: they reach about 0.97 held-out accuracy in well under a second.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Epochs: 30, Hidden: 32, BatchSize: 32, LearningRate: 0.01, Seed: 1}
}

// Validate reports whether the options can be used for training.
func (o TrainOptions) Validate() error {
	switch {
	case o.Epochs < 0 || o.Epochs > 100_000:
		return fmt.Errorf("epochs %d is not in [0, 100000]", o.Epochs)
	case o.Hidden < 1 || o.Hidden > MaxHidden:
		return fmt.Errorf("hidden width %d is not in [1, %d]", o.Hidden, MaxHidden)
	case o.BatchSize < 1:
		return fmt.Errorf("batch size %d is not positive", o.BatchSize)
	case !(o.LearningRate > 0) || math.IsInf(o.LearningRate, 0):
		return fmt.Errorf("learning rate %v is not a positive number", o.LearningRate)
	}
	return nil
}

// Adam's usual constants (Kingma and Ba, 2015).
const (
	adamBeta1   = 0.9
	adamBeta2   = 0.999
	adamEpsilon = 1e-8
)

// Train fits an MLP to train with mini-batch Adam on the cross-entropy loss,
// computing in float64 and rounding the result to float32. heldOut may be nil;
// it is only used to report progress. Training is deterministic: the same
// data, options and seed give the same weights, and so the same model hash, on
// the same kind of machine (math.Exp and fused multiply-adds may differ in the
// last bit between CPU architectures).
func Train(train, heldOut *Dataset, opts TrainOptions) (*MLP, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("train options: %w", err)
	}
	if train == nil || train.Len() == 0 {
		return nil, errors.New("empty training set")
	}
	rng := newSplitMix64(opts.Seed)
	t := newTrainer(opts.Hidden, min(opts.BatchSize, train.Len()), rng)
	order := make([]int, train.Len())
	for i := range order {
		order[i] = i
	}
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		rng.shuffle(order)
		var lossSum float64
		batches := 0
		for start := 0; start < len(order); start += t.batch {
			end := min(start+t.batch, len(order))
			lossSum += t.step(train, order[start:end], opts.LearningRate)
			batches++
		}
		if opts.Progress != nil {
			opts.Progress(t.stats(epoch, opts.Epochs, lossSum/float64(batches), heldOut))
		}
	}
	m := t.mlp()
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("training diverged (try a lower learning rate): %w", err)
	}
	return m, nil
}

// trainer holds the float64 parameters and Adam state. All parameters live
// in one flat slice (W1, B1, W2, B2 in that order) so that the Adam update is
// a single loop.
type trainer struct {
	hidden, batch    int
	params, grads    []float64
	moment1, moment2 []float64
	steps            int
	// Per-batch activations, reused across steps.
	h, dh, p []float64
}

func newTrainer(hidden, batch int, rng *splitMix64) *trainer {
	n := NumFeatures*hidden + hidden + hidden*NumClasses + NumClasses
	t := &trainer{
		hidden: hidden, batch: batch,
		params: make([]float64, n), grads: make([]float64, n),
		moment1: make([]float64, n), moment2: make([]float64, n),
		h: make([]float64, batch*hidden), dh: make([]float64, batch*hidden),
		p: make([]float64, batch*NumClasses),
	}
	// He-uniform initialisation suits ReLU; biases start at zero. Uniform
	// rather than normal so no transcendental function (whose last bit may
	// differ between platforms) touches the weights.
	w1, _, w2, _ := t.split(t.params)
	for i := range w1 {
		w1[i] = rng.uniform(math.Sqrt(6.0 / NumFeatures))
	}
	for i := range w2 {
		w2[i] = rng.uniform(math.Sqrt(6.0 / float64(hidden)))
	}
	return t
}

// split returns the W1, B1, W2 and B2 views of a flat parameter slice.
func (t *trainer) split(v []float64) (w1, b1, w2, b2 []float64) {
	a := NumFeatures * t.hidden
	b := a + t.hidden
	c := b + t.hidden*NumClasses
	return v[:a], v[a:b], v[b:c], v[c:]
}

// step runs forward and backward over the rows idx and applies one Adam
// update; it returns the batch's mean cross-entropy.
func (t *trainer) step(d *Dataset, idx []int, lr float64) float64 {
	loss := t.forwardBackward(d, idx)
	t.steps++
	c1 := 1 - math.Pow(adamBeta1, float64(t.steps))
	c2 := 1 - math.Pow(adamBeta2, float64(t.steps))
	for i, g := range t.grads {
		t.moment1[i] = adamBeta1*t.moment1[i] + (1-adamBeta1)*g
		t.moment2[i] = adamBeta2*t.moment2[i] + (1-adamBeta2)*g*g
		t.params[i] -= lr * (t.moment1[i] / c1) / (math.Sqrt(t.moment2[i]/c2) + adamEpsilon)
	}
	return loss
}

// forwardBackward fills t.grads with the gradient of the mean cross-entropy
// over the rows idx and returns that loss.
func (t *trainer) forwardBackward(d *Dataset, idx []int) float64 {
	H := t.hidden
	w1, b1, w2, b2 := t.split(t.params)
	gw1, gb1, gw2, gb2 := t.split(t.grads)
	clear(t.grads)
	inv := 1 / float64(len(idx))
	var loss float64
	for r, i := range idx {
		x, h, p := d.Row(i), t.h[r*H:(r+1)*H], t.p[r*NumClasses:(r+1)*NumClasses]
		copy(h, b1)
		for f, xf := range x {
			if xf != 0 {
				axpy(h, float64(xf), w1[f*H:(f+1)*H])
			}
		}
		copy(p, b2)
		for j := range h {
			h[j] = max(h[j], 0)
			if h[j] != 0 {
				axpy(p, h[j], w2[j*NumClasses:(j+1)*NumClasses])
			}
		}
		softmax(p)
		y := d.Labels[i]
		loss -= math.Log(max(p[y], 1e-300))
		// p becomes dLoss/dLogits for this row: (softmax - onehot) / batch.
		p[y]--
		for k := range p {
			p[k] *= inv
		}
		axpy(gb2, 1, p)
		dh := t.dh[r*H : (r+1)*H]
		for j, hj := range h {
			if hj == 0 {
				dh[j] = 0 // ReLU passes no gradient where it was inactive
				continue
			}
			axpy(gw2[j*NumClasses:(j+1)*NumClasses], hj, p)
			dh[j] = dot(w2[j*NumClasses:(j+1)*NumClasses], p)
		}
		axpy(gb1, 1, dh)
		for f, xf := range x {
			if xf != 0 {
				axpy(gw1[f*H:(f+1)*H], float64(xf), dh)
			}
		}
	}
	return loss * inv
}

// axpy adds a*x to y.
func axpy(y []float64, a float64, x []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

// dot returns the dot product of a and b.
func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// mlp rounds the current parameters to a float32 MLP.
func (t *trainer) mlp() *MLP {
	w1, b1, w2, b2 := t.split(t.params)
	return &MLP{Hidden: t.hidden, W1: toFloat32(w1), B1: toFloat32(b1), W2: toFloat32(w2), B2: toFloat32(b2)}
}

func (t *trainer) stats(epoch, epochs int, loss float64, heldOut *Dataset) EpochStats {
	s := EpochStats{Epoch: epoch, Epochs: epochs, Loss: loss, HeldOutAccuracy: -1}
	if heldOut != nil && heldOut.Len() > 0 {
		if acc, err := t.mlp().Accuracy(heldOut); err == nil {
			s.HeldOutAccuracy = acc
		}
	}
	return s
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
