package yuma

import "slices"

// benchSizes are the subnet shapes of the acceptance table: UIDs x validators.
var benchSizes = []struct{ Uids, Validators int }{{256, 64}, {1024, 128}, {4096, 256}}

// sparseTargets is how many miners each validator weights in the sparse case.
const sparseTargets = 32

// benchInput builds a steady-state epoch: the first v UIDs are permitted, active
// validators with large stakes, the rest are miners with small stakes; each validator
// weights every other UID (dense) or sparseTargets of them, and holds bonds on the same
// UIDs.
func benchInput(n, v int, dense bool) Input {
	g := &gen{s: uint64(n*1000 + v)}
	in := Input{
		Block:           1000,
		Stake:           make([]uint64, n),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]Weight, n),
		Bonds:           make([][]Bond, n),
		Emission:        1_000_000_000,
		Params:          DefaultParams(),
	}
	in.Params.MaxAllowedValidators = uint16(v)
	for i := range n {
		in.Stake[i] = 1 + g.u64()%1_000_000
		in.LastUpdate[i] = 990
		if i < v {
			in.Stake[i] = 1_000_000_000_000 + g.u64()%1_000_000_000_000
			in.ValidatorPermit[i] = true
			in.Weights[i], in.Bonds[i] = benchRow(g, n, i, dense)
		}
	}
	return in
}

func benchRow(g *gen, n, self int, dense bool) ([]Weight, []Bond) {
	var targets []int
	if dense {
		for j := range n {
			if j != self {
				targets = append(targets, j)
			}
		}
	} else {
		for len(targets) < sparseTargets {
			if j := g.intn(n); j != self && !slices.Contains(targets, j) {
				targets = append(targets, j)
			}
		}
		slices.Sort(targets)
	}
	w := make([]Weight, len(targets))
	b := make([]Bond, len(targets))
	for k, j := range targets {
		w[k] = Weight{UID: uint16(j), Value: uint16(1 + g.intn(65535))}
		b[k] = Bond{UID: uint16(j), Value: g.fixed()}
	}
	return w, b
}
