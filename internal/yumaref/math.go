package yumaref

import "math"

// Sigmoid is 1 / (1 + e^(-steepness/100 * (d - 1/2))), the liquid-alpha curve.
func Sigmoid(steepness int16, d float64) float64 {
	return 1 / (1 + math.Exp(-float64(steepness)/100*(d-0.5)))
}

func total(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// normalize returns x divided by its sum, or zeros if the sum is zero.
func normalize(x []float64) []float64 {
	out := make([]float64, len(x))
	s := total(x)
	if s == 0 {
		return out
	}
	for i, v := range x {
		out[i] = v / s
	}
	return out
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}

func satSub(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return 0
}

// inverses returns 1/x[j] for each j, and 0 where x[j] is 0.
func inverses(x []float64) []float64 {
	inv := make([]float64, len(x))
	for j, v := range x {
		if v != 0 {
			inv[j] = 1 / v
		}
	}
	return inv
}
