package digits

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// legacyPerturb is the perturbation of the challenges before issue 15, the
// attacker's augmentation in TestMemorisingTheHeldOutSplitDoesNotPay: with
// probability 1/2 a shift by up to one pixel per axis (where no ink leaves
// the image), then Gaussian noise of one raw pixel unit, clamped to [0, 1].
func legacyPerturb(rng *rand.Rand, src, dst []float32) {
	const side = 8
	dx, dy := 0, 0
	if rng.Float64() < 0.5 {
		dx = legacyFitShift(src, rng.IntN(3)-1, true)
		dy = legacyFitShift(src, rng.IntN(3)-1, false)
	}
	for y := range side {
		for x := range side {
			sx, sy := x-dx, y-dy
			var v float64
			if sx >= 0 && sx < side && sy >= 0 && sy < side {
				v = float64(src[sy*side+sx])
			}
			v += rng.NormFloat64() / maxPixel
			dst[y*side+x] = float32(min(1, max(0, v)))
		}
	}
}

// legacyFitShift returns d, or 0 when shifting by d would push ink out.
func legacyFitShift(img []float32, d int, horizontal bool) int {
	const side = 8
	lo, hi := side-d, side
	if d < 0 {
		lo, hi = 0, -d
	}
	for line := lo; line < hi; line++ {
		for k := range side {
			i := line*side + k
			if horizontal {
				i = k*side + line
			}
			if img[i] != 0 {
				return 0
			}
		}
	}
	return d
}

// legacyChallenge is a challenge of the old kind: held-out images, legacy
// perturbation.
func legacyChallenge(rng *rand.Rand, held *Dataset, x []float32, labels []int) {
	for r := range labels {
		i := rng.IntN(held.Len())
		labels[r] = held.Labels[i]
		legacyPerturb(rng, held.Row(i), x[r*NumFeatures:(r+1)*NumFeatures])
	}
}

// digitsModels are the localnet's three miners (scripts/lib/neurons.sh),
// trained on the training split, with both splits.
type digitsModels struct {
	train, held               *Dataset
	strong, medium, untrained *MLP
}

var trained struct {
	sync.Once
	models *digitsModels
	err    error
}

// trainDigitsModels trains the localnet's models once per test binary.
func trainDigitsModels(t *testing.T) *digitsModels {
	t.Helper()
	path := ortlib.DigitsPath(t)
	trained.Do(func() {
		train, held, err := LoadDigitsSplit(path)
		if err != nil {
			trained.err = err
			return
		}
		m := &digitsModels{train: train, held: held}
		opts := DefaultTrainOptions()
		m.strong, trained.err = Train(train, nil, opts)
		opts.Epochs, opts.Hidden = 2, 6
		m.medium, _ = Train(train, nil, opts)
		opts.Epochs = 0
		m.untrained, _ = Train(train, nil, opts)
		trained.models = m
	})
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	return trained.models
}

// trainMLP trains a model with the default options on d.
func trainMLP(t *testing.T, d *Dataset) *MLP {
	t.Helper()
	m, err := Train(d, nil, DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// score returns m's accuracy on the challenge x.
func score(t *testing.T, m *MLP, x []float32, labels []int) float64 {
	t.Helper()
	probs, err := m.Forward(x, len(labels))
	if err != nil {
		t.Fatal(err)
	}
	return accuracy(probs, labels)
}

// challengeRounds and challengeRows size the challenges the tests score:
// 100 steps of one default challenge.
const (
	challengeRounds = 100
	challengeRows   = 16
)

// newInstance returns the digits task on the default spec and the real
// data set.
func newInstance(t *testing.T) *Instance {
	t.Helper()
	inst, err := Task{}.New(Task{}.DefaultSpec(), task.Env{Settings: map[string]any{"data_path": ortlib.DigitsPath(t)}})
	if err != nil {
		t.Fatal(err)
	}
	return inst.(*Instance)
}

// seededRand is a ChaCha8 stream keyed by (seed, round, stream), as the
// validator keys its challenges: a fixed key gives a fixed challenge.
func seededRand(seed [32]byte, round, stream uint64) *rand.Rand {
	b := append([]byte(nil), seed[:]...)
	b = binary.LittleEndian.AppendUint64(b, round)
	b = binary.LittleEndian.AppendUint64(b, stream)
	return rand.New(rand.NewChaCha8(sha256.Sum256(b)))
}

// drawChallenge draws one challenge of challengeRows rows from inst and
// returns its images and labels.
func drawChallenge(t *testing.T, inst *Instance, rng *rand.Rand) ([]float32, []int) {
	t.Helper()
	c, err := inst.Challenge(rng, challengeRows)
	if err != nil {
		t.Fatal(err)
	}
	return c.Inputs[InputName].Float32, c.Truth.([]int)
}

// newChallenges returns the challenges of rounds 1..challengeRounds of seed
// (stream 1), as a validator's steps draw them.
func newChallenges(t *testing.T, seed [32]byte) ([]float32, []int) {
	t.Helper()
	inst := newInstance(t)
	var x []float32
	var labels []int
	for r := range challengeRounds {
		xr, lr := drawChallenge(t, inst, seededRand(seed, uint64(r+1), 1))
		x, labels = append(x, xr...), append(labels, lr...)
	}
	return x, labels
}

// legacyChallenges returns as many challenges of the old kind.
func legacyChallenges(held *Dataset) ([]float32, []int) {
	const n = challengeRounds * challengeRows
	x, labels := make([]float32, n*NumFeatures), make([]int, n)
	legacyChallenge(rand.New(rand.NewPCG(5, 6)), held, x, labels)
	return x, labels
}

// TestMemorisingTheHeldOutSplitDoesNotPay is the attack of issue 15: challenges
// came from the fixed public held-out split, so a miner could train on exactly
// the evaluation set with the validator's own perturbation and beat every
// honest model. Challenges now are fresh variants of images drawn from the
// whole data set: the memoriser must score no better than the honest model
// trained on the training split.
func TestMemorisingTheHeldOutSplitDoesNotPay(t *testing.T) {
	ms := trainDigitsModels(t)
	// The attacker: 20 legacy-perturbed copies of each held-out image.
	rng := rand.New(rand.NewPCG(1, 2))
	attack := &Dataset{}
	for range 20 {
		for i := range ms.held.Len() {
			row := make([]float32, NumFeatures)
			legacyPerturb(rng, ms.held.Row(i), row)
			attack.Features = append(attack.Features, row...)
			attack.Labels = append(attack.Labels, ms.held.Labels[i])
		}
	}
	memoriser := trainMLP(t, attack)

	oldX, oldLabels := legacyChallenges(ms.held)
	oldHonest, oldMemoriser := score(t, ms.strong, oldX, oldLabels), score(t, memoriser, oldX, oldLabels)
	t.Logf("old challenges (held-out split, shifts and noise): honest %.3f, memoriser %.3f", oldHonest, oldMemoriser)
	if oldMemoriser < oldHonest+0.1 {
		t.Errorf("the attack does not reproduce on the old challenges: memoriser %.3f, honest %.3f", oldMemoriser, oldHonest)
	}

	newX, newLabels := newChallenges(t, [32]byte{7})
	newHonest, newMemoriser := score(t, ms.strong, newX, newLabels), score(t, memoriser, newX, newLabels)
	t.Logf("new challenges (%d rounds of %d variants of the whole set): honest %.3f, memoriser %.3f",
		challengeRounds, challengeRows, newHonest, newMemoriser)
	if newMemoriser > newHonest {
		t.Errorf("memorising the held-out split pays: memoriser %.3f, honest %.3f", newMemoriser, newHonest)
	}
}

// TestNoPublicSubsetIsPrivileged checks the two ways left to profit from
// the public data: knowing every image the challenges come from, and training
// on the old evaluation split with the validator's new variants. Knowing all
// the sources must be worth almost nothing (what is scored is the variant),
// and the held-out split must be worth no more than any other public data:
// augmenting the larger training split beats augmenting the held-out one.
func TestNoPublicSubsetIsPrivileged(t *testing.T) {
	ms := trainDigitsModels(t)
	all, err := LoadDigits(ortlib.DigitsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	x, labels := newChallenges(t, [32]byte{7})
	honest := score(t, ms.strong, x, labels)
	sources := score(t, trainMLP(t, all), x, labels)
	aug := DefaultAugment()
	heldVariants := score(t, trainMLP(t, aug.Dataset(ms.held, 20, rand.New(rand.NewPCG(1, 1)))), x, labels)
	trainVariants := score(t, trainMLP(t, aug.Dataset(ms.train, 5, rand.New(rand.NewPCG(1, 1)))), x, labels)
	t.Logf("honest %.3f; trained on every source image %.3f; on variants of the held-out split %.3f, of the training split %.3f",
		honest, sources, heldVariants, trainVariants)
	if sources > honest+0.02 {
		t.Errorf("knowing every source image pays: %.3f against the honest %.3f", sources, honest)
	}
	if heldVariants > trainVariants {
		t.Errorf("the held-out split is privileged: variants of it give %.3f, of the training split %.3f", heldVariants, trainVariants)
	}
}

// TestChallengesKeepTheirLabels checks that the variants are still the
// digits they are labelled: the localnet's models keep their order with wide
// gaps (strong >= 0.8), the strong model loses little against the clean
// images, and a model trained on variants of the training split recognises
// variants of held-out images it has never seen, which it could not if the
// transforms destroyed the labels.
func TestChallengesKeepTheirLabels(t *testing.T) {
	ms := trainDigitsModels(t)
	x, labels := newChallenges(t, [32]byte{9})
	strong, medium, untrained := score(t, ms.strong, x, labels), score(t, ms.medium, x, labels), score(t, ms.untrained, x, labels)
	t.Logf("challenges: strong %.3f, medium %.3f, untrained %.3f", strong, medium, untrained)
	if strong < 0.8 || strong-medium < 0.15 || medium-untrained < 0.15 {
		t.Errorf("strong %.3f, medium %.3f, untrained %.3f: want strong >= 0.8 and gaps of at least 0.15", strong, medium, untrained)
	}

	aug := DefaultAugment()
	variants := aug.Dataset(ms.held, 4, rand.New(rand.NewPCG(3, 4)))
	clean := score(t, ms.strong, ms.held.Features, ms.held.Labels)
	varied := score(t, ms.strong, variants.Features, variants.Labels)
	robust := trainMLP(t, aug.Dataset(ms.train, 5, rand.New(rand.NewPCG(5, 6))))
	robustVaried := score(t, robust, variants.Features, variants.Labels)
	t.Logf("held-out images: strong %.3f clean, %.3f varied; trained on variants of the training split: %.3f varied",
		clean, varied, robustVaried)
	if clean-varied > 0.15 {
		t.Errorf("the strong model drops from %.3f to %.3f on variants of held-out images", clean, varied)
	}
	if robustVaried < 0.9 {
		t.Errorf("a model trained on variants reaches %.3f on unseen variants, want >= 0.9", robustVaried)
	}
}

// TestChallengesAreReproducibleAndFresh checks that a challenge is a function
// of its rng's key (seed, round, stream) and that no image repeats across rounds, streams
// or seeds, nor equals a public image: a miner can look nothing up.
func TestChallengesAreReproducibleAndFresh(t *testing.T) {
	inst := newInstance(t)
	draw := func(seed [32]byte, round, stream uint64) ([]float32, []int) {
		return drawChallenge(t, inst, seededRand(seed, round, stream))
	}
	x, labels := draw([32]byte{1}, 5, 1)
	again, againLabels := draw([32]byte{1}, 5, 1)
	if !slices.Equal(x, again) || !slices.Equal(labels, againLabels) {
		t.Fatal("one (seed, round, stream) gave two challenges")
	}
	for r, label := range labels {
		if label < 0 || label >= NumClasses {
			t.Fatalf("row %d: label %d is not a digit", r, label)
		}
	}
	seen := map[string]string{}
	for i := range inst.Data().Len() {
		seen[imageKey(inst.Data().Row(i))] = "a public image"
	}
	for _, seed := range [][32]byte{{1}, {2}} {
		for round := range uint64(50) {
			for stream := range uint64(3) {
				x, _ := draw(seed, round, stream)
				for r := range challengeRows {
					k := imageKey(x[r*NumFeatures : (r+1)*NumFeatures])
					where := fmt.Sprintf("seed %d round %d stream %d row %d", seed[0], round, stream, r)
					if prev, ok := seen[k]; ok {
						t.Fatalf("%s repeats %s", where, prev)
					}
					seen[k] = where
				}
			}
		}
	}
}

// imageKey returns the bytes of img, as a map key.
func imageKey(img []float32) string {
	b := make([]byte, 0, 4*len(img))
	for _, v := range img {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return string(b)
}
