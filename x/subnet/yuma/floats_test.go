package yuma

import "math"

// fl converts a Fixed to float64 for comparisons with hand-computed fractions.
func fl(x Fixed) float64 { return float64(x) / float64(One) }

// denseRow returns a sparse bonds row as a dense float64 row of n entries.
func denseRow(row []Bond, n int) []float64 {
	out := make([]float64, n)
	for _, b := range row {
		out[b.UID] = fl(b.Value)
	}
	return out
}

// refSigmoid is the liquid-alpha sigmoid in float64.
func refSigmoid(steep int16, d float64) float64 {
	return 1 / (1 + math.Exp(-float64(steep)/100*(d-0.5)))
}
