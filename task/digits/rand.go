package digits

// splitMix64 is a tiny, fully specified pseudo-random generator. The model
// code uses it instead of math/rand so that the held-out split, the initial
// weights and the batch order depend only on the seed, never on the Go
// release, and can be reproduced in any language.
type splitMix64 struct{ state uint64 }

func newSplitMix64(seed uint64) *splitMix64 { return &splitMix64{state: seed} }

// next returns the next 64 random bits (Steele, Lea and Flood, 2014).
func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float64 returns a uniform value in [0, 1) from the top 53 bits.
func (r *splitMix64) float64() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// intn returns a value in [0, n). The modulo bias is below 2^-50 for the
// sizes used here, and plain modulo is easy to reproduce.
func (r *splitMix64) intn(n int) int {
	return int(r.next() % uint64(n))
}

// shuffle permutes s in place with a Fisher-Yates shuffle from the end.
func (r *splitMix64) shuffle(s []int) {
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}

// uniform returns a uniform value in [-limit, limit).
func (r *splitMix64) uniform(limit float64) float64 {
	return limit * (2*r.float64() - 1)
}
