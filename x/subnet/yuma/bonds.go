package yuma

// Bonds in both modes are computed row by row by merging the sorted row of old bonds
// with the sorted row of bond weights. Rows and columns of UIDs registered since the
// previous epoch are dropped from the old bonds: the new hotkey inherits nothing and
// nobody keeps bonds on it.
//
// Column normalisations here multiply by per-column reciprocals (scaler): each value is
// rounded down and less than 4 units of 2^-62 below the exact quotient. Intermediate bonds
// are wide (62 fractional bits), so that error stays far below one unit of a Fixed.

// wideUp converts a Fixed numerator k into the wide scale: k * 2^(62-48).
const wideUp = wideBits - FracBits

// oldBonds returns row i of the previous bonds, or nil if i re-registered.
func (e *epoch) oldBonds(i int) []Bond {
	if e.recent[i] {
		return nil
	}
	return e.bonds[i]
}

// bondsDefault runs subtensor's default bonds: B = col_norm(alpha * col_norm(Wb * S) +
// (1 - alpha) * col_norm(B_old)), dividends D_i = sum_j B_ij I_j normalised, and stores
// B with each column scaled so that its largest entry is One.
//
// The bonds delta multiplies the wide bond weight by the integer active stake, not by its
// normalised Fixed share, so that a validator with a tiny share that alone weights a UID
// still forms that UID's bonds (normalising a column cancels the scale of the stake
// anyway). The stake is exact unless the total active stake reaches 2^66; then it is
// shifted so the total stays below 2^66 and a column sum below 2^62 * 2^66 = 2^128.
func (e *epoch) bondsDefault() {
	alpha := e.p.emaAlpha()
	deltaScale := scalers(uint64(alpha)<<wideUp, e.deltaSum)
	// Columns registered since the previous epoch have no old bonds left in these sums,
	// so their scalers are zero and drop the reset bonds without a check per entry.
	oldScale := scalers(uint64(One-alpha)<<wideUp, e.oldSums)
	cons, pen := e.out.Consensus, e.p.BondsPenalty
	ema := newBondRows(e.n, max(len(e.w.col), countBonds(e.bonds)))
	cols := emaColumns{sum: make([]uint64, e.n), max: make([]uint64, e.n)}
	all := ema.all
	for i := range e.n {
		s := e.deltaStake[i]
		var wcols []uint16
		var wvals []Fixed
		if e.raw[i] != 0 {
			wcols, wvals = e.w.row(i)
		}
		old, m := e.oldBonds(i), 0
		for k, j := range wcols {
			for ; m < len(old) && old[m].UID < j; m++ {
				all = cols.put(all, old[m].UID, oldScale[old[m].UID].of64(uint64(old[m].Value)))
			}
			v := deltaScale[j].of(mul128(bondWeightWide(wvals[k], cons[j], pen), s))
			if m < len(old) && old[m].UID == j {
				v += oldScale[j].of64(uint64(old[m].Value))
				m++
			}
			all = cols.put(all, j, v)
		}
		for ; m < len(old); m++ {
			all = cols.put(all, old[m].UID, oldScale[old[m].UID].of64(uint64(old[m].Value)))
		}
		ema.start[i+1] = len(all)
	}
	ema.all = all
	e.defaultDividends(ema, cols)
	e.storeBonds(ema)
}

// emaColumns holds the column sums and maxima of the wide EMA bonds.
type emaColumns struct{ sum, max []uint64 }

// put appends a non-zero wide bond v on column j to all and adds it to the column's
// sum (a column of wide shares sums to at most 1) and maximum.
func (c emaColumns) put(all []Bond, j uint16, v uint64) []Bond {
	if v == 0 {
		return all
	}
	c.sum[j] += v
	c.max[j] = max(c.max[j], v)
	return append(all, Bond{UID: j, Value: Fixed(v)})
}

// defaultDividends pays dividends sum_j col_norm(B)_ij I_j from the wide EMA bonds and,
// in the same pass, scales each column in place so that its largest entry is exactly One,
// dropping the entries that round to zero.
func (e *epoch) defaultDividends(ema *bondRows, cols emaColumns) {
	type column struct {
		share, up scaler
		max       uint64
	}
	col := make([]column, e.n)
	for j, inc := range e.out.Incentive {
		col[j] = column{
			share: newScaler(uint64(inc)<<wideUp, u128{lo: cols.sum[j]}),
			up:    newScaler(uint64(One), u128{lo: cols.max[j]}),
			max:   cols.max[j],
		}
	}
	div := make([]uint64, e.n)
	all, p, from := ema.all, 0, 0 // write and read positions: rows shrink in place
	for i := range e.n {
		to := ema.start[i+1]
		var d uint64
		for _, b := range all[from:to] {
			c := &col[b.UID]
			v := uint64(b.Value)
			d += c.share.of64(v)
			b.Value = One
			if v != c.max {
				b.Value = Fixed(c.up.of64(v))
			}
			if b.Value != 0 {
				all[p] = b
				p++
			}
		}
		div[i] = d
		ema.start[i+1], from = p, to
	}
	ema.all = all[:p]
	normalizeWide(div, e.out.Dividends)
}

// bondsYuma3 runs subtensor's Yuma3 bonds: B_ij = min(1, (1 - a_ij) B_old_ij + a_ij Wb_ij)
// with a fixed or liquid a, dividends D_i proportional to Sa_i * sum_j col_norm(B)_ij I_j,
// and stores B as absolute proportions.
func (e *epoch) bondsYuma3() {
	rate := e.bondRate()
	ema := newBondRows(e.n, max(len(e.w.col), countBonds(e.bonds)))
	emaSum := make([]u128, e.n) // absolute bonds: a column can sum to 2^16 * One = 2^64
	for i := range e.n {
		r := e.merge(i, true)
		for {
			j, w, b, ok := r.next()
			if !ok {
				break
			}
			if w != 0 {
				w = e.bondWeight(j, w)
			}
			a := rate(j, w, b)
			if v := min(One, mulFixed(One-a, b)+mulFixed(a, w)); v != 0 {
				ema.add(j, v)
				emaSum[j] = emaSum[j].add64(uint64(v))
			}
		}
		ema.endRow(i)
	}
	share := make([]scaler, e.n)
	for j, inc := range e.out.Incentive {
		share[j] = newScaler(uint64(inc)<<wideUp, emaSum[j])
	}
	div := make([]uint64, e.n)
	for i := range e.n {
		var total uint64
		for _, b := range ema.row(i) {
			total += share[b.UID].of64(uint64(b.Value))
		}
		div[i] = mulWideFixed(total, e.sa[i])
	}
	normalizeWide(div, e.out.Dividends)
	e.storeBonds(ema)
}

// bondRate returns the Yuma3 EMA rate for bond (j, w, b): fixed at 1 - moving average,
// or liquid when enabled and some consensus is non-zero (as subtensor).
func (e *epoch) bondRate() func(j uint16, w, b Fixed) Fixed {
	alpha := e.p.emaAlpha()
	fixed := func(uint16, Fixed, Fixed) Fixed { return alpha }
	if !e.p.LiquidAlpha {
		return fixed
	}
	for _, c := range e.out.Consensus {
		if c != 0 {
			lr := newLiquidRate(e.p)
			return func(j uint16, w, b Fixed) Fixed { return lr.alpha(e.out.Consensus[j], w, b) }
		}
	}
	return fixed
}

// storeBonds keeps the new rows of UIDs that hold a permit for the next epoch; the
// others lose their bonds, as in subtensor.
func (e *epoch) storeBonds(ema *bondRows) {
	for i := range e.n {
		if e.out.ValidatorPermit[i] {
			e.out.Bonds[i] = ema.row(i)
		}
	}
}

// merge walks the union of row i of the weights (if withWeights) and of the old bonds.
func (e *epoch) merge(i int, withWeights bool) rowMerge {
	r := rowMerge{old: e.oldBonds(i), recent: e.recent}
	if withWeights {
		r.cols, r.vals = e.w.row(i)
	}
	return r
}

// rowMerge iterates over the union of a sorted weights row and a sorted old bonds row,
// skipping bonds on recently registered columns.
type rowMerge struct {
	cols   []uint16
	vals   []Fixed
	old    []Bond
	recent []bool
	k, m   int
}

// next returns the next column with its weight and old bond (zero when absent).
func (r *rowMerge) next() (j uint16, w, b Fixed, ok bool) {
	for {
		switch {
		case r.k < len(r.cols) && (r.m == len(r.old) || r.cols[r.k] < r.old[r.m].UID):
			r.k++
			return r.cols[r.k-1], r.vals[r.k-1], 0, true
		case r.m < len(r.old) && (r.k == len(r.cols) || r.old[r.m].UID < r.cols[r.k]):
			o := r.old[r.m]
			r.m++
			if !r.recent[o.UID] {
				return o.UID, 0, o.Value, true
			}
		case r.k < len(r.cols):
			j, w, b = r.cols[r.k], r.vals[r.k], r.old[r.m].Value
			r.k++
			r.m++
			if r.recent[j] {
				b = 0
			}
			return j, w, b, true
		default:
			return 0, 0, 0, false
		}
	}
}

func countBonds(rows [][]Bond) int {
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	return n
}

// bondRows builds sparse rows in one backing array, so the output rows share it.
type bondRows struct {
	all   []Bond
	start []int
}

func newBondRows(n, capacity int) *bondRows {
	return &bondRows{all: make([]Bond, 0, capacity), start: make([]int, n+1)}
}

func (r *bondRows) add(j uint16, v Fixed) { r.all = append(r.all, Bond{UID: j, Value: v}) }

func (r *bondRows) endRow(i int) { r.start[i+1] = len(r.all) }

// row returns row i with its capacity capped, so a caller appending to it cannot
// overwrite the next row.
func (r *bondRows) row(i int) []Bond {
	a, b := r.start[i], r.start[i+1]
	return r.all[a:b:b]
}
