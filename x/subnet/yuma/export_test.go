package yuma

// Exports for the external tests (package yuma_test), which compare the engine with
// internal/yumaref: that package imports yuma, so tests inside package yuma cannot
// import it.

// RandomInputs returns a generator of the random epochs of the property tests, with
// 1 to maxN UIDs, drawn from seed.
func RandomInputs(seed uint64, maxN int) func() Input {
	g := &gen{s: seed}
	return func() Input { return randomInput(g, 1+g.intn(maxN)) }
}

// BenchInput is benchInput: a steady-state epoch of n UIDs and v validators.
var BenchInput = benchInput

// BenchSizes are the subnet shapes of the benchmarks: UIDs x validators.
var BenchSizes = benchSizes
