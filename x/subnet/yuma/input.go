package yuma

import (
	"errors"
	"fmt"
	"slices"
)

// MaxUIDs is the largest number of UIDs one epoch accepts: UIDs are u16.
const MaxUIDs = 1 << 16

// Weight is one entry of a sparse weight row: the raw u16 weight the row's UID gives to
// UID. Rows need not be normalised or sorted; Run normalises the entries that survive
// masking so that each row sums to one.
type Weight struct {
	UID   uint16
	Value uint16
}

// Bond is one entry of a sparse bonds row: the bond the row's validator holds on UID.
type Bond struct {
	UID   uint16
	Value Fixed
}

// Input is everything one epoch of one subnet reads. The number of UIDs n is len(Stake);
// every other per-UID slice has length n, except Weights and Bonds which may be nil
// (no rows at all) and whose rows may be nil (empty).
type Input struct {
	// Block is the current block; activity and the bonds reset are measured from it.
	Block uint64
	// Stake is the stake behind each UID.
	Stake []uint64
	// LastUpdate is the block of each UID's last weight update (its registration block
	// if it never set weights).
	LastUpdate []uint64
	// RegisteredAt is the block at which the current hotkey of each UID registered.
	RegisteredAt []uint64
	// ValidatorPermit holds the permits computed by the previous epoch; only rows of
	// permitted UIDs count as validator weights this epoch.
	ValidatorPermit []bool
	// Weights are the sparse weight rows, by setting UID. No duplicate targets per row.
	Weights [][]Weight
	// Bonds are the bonds rows stored by the previous epoch (Output.Bonds), by UID.
	// Values are at most One. No duplicate targets per row.
	Bonds [][]Bond
	// Emission is the amount this epoch pays out, after the subnet owner's cut.
	Emission uint64
	// OwnerUID, when HasOwner is set, is the subnet owner's UID, whose self-weight is
	// kept (subtensor keeps the owner's diagonal entry).
	OwnerUID uint16
	HasOwner bool
	// Params are the subnet's hyperparameters.
	Params Params
}

// Output is the result of one epoch; every slice has one entry per UID.
type Output struct {
	// Active marks UIDs whose last weight update is within the activity cutoff.
	Active []bool
	// ValidatorPermit are the new permits (top MaxAllowedValidators by stake); pass
	// them as Input.ValidatorPermit to the next epoch.
	ValidatorPermit []bool
	// Consensus is the stake-weighted kappa-quantile of the weights each UID received.
	Consensus []Fixed
	// Trust is the share of each UID's rank that survives clipping: R_j / P_j, where
	// P_j = sum_i W_ij S_i is the rank before clipping (subtensor's "pre-rank"). It is One
	// when no validator's weight on j was clipped and zero when no active stake weights j.
	Trust []Fixed
	// ValidatorTrust is the sum of each validator's weights after clipping at consensus.
	ValidatorTrust []Fixed
	// Rank is the active stake behind the clipped weights each UID received, before
	// normalisation (subtensor stores the normalised rank, which equals Incentive).
	Rank []Fixed
	// Incentive is Rank normalised to sum to one: each miner's share of the miner part.
	Incentive []Fixed
	// Dividends is each validator's share of the validator part, summing to one.
	Dividends []Fixed
	// Bonds are the new bonds rows to store, sorted by UID, without zero entries; empty
	// for UIDs without a new permit. The default mode stores each column scaled so that
	// its largest entry is One (as subtensor does); Yuma3 stores absolute bonds.
	Bonds [][]Bond
	// MinerEmission and ValidatorEmission split Input.Emission: together they sum to
	// it exactly. Emission is their per-UID sum.
	MinerEmission     []uint64
	ValidatorEmission []uint64
	Emission          []uint64
}

// validate checks the shape of the input; rows are checked by sortedWeights and
// sortedBonds.
func (in *Input) validate() error {
	n := len(in.Stake)
	if n == 0 {
		return errors.New("yuma: no UIDs (empty Stake)")
	}
	if n > MaxUIDs {
		return fmt.Errorf("yuma: %d UIDs, more than %d", n, MaxUIDs)
	}
	for _, f := range []struct {
		name string
		len  int
	}{{"LastUpdate", len(in.LastUpdate)}, {"RegisteredAt", len(in.RegisteredAt)}, {"ValidatorPermit", len(in.ValidatorPermit)}} {
		if f.len != n {
			return fmt.Errorf("yuma: %s has %d entries, want %d", f.name, f.len, n)
		}
	}
	if in.Weights != nil && len(in.Weights) != n {
		return fmt.Errorf("yuma: Weights has %d rows, want %d", len(in.Weights), n)
	}
	if in.Bonds != nil && len(in.Bonds) != n {
		return fmt.Errorf("yuma: Bonds has %d rows, want %d", len(in.Bonds), n)
	}
	if in.HasOwner && int(in.OwnerUID) >= n {
		return fmt.Errorf("yuma: OwnerUID %d out of range (n=%d)", in.OwnerUID, n)
	}
	return in.Params.Validate()
}

// sortedWeights returns the rows sorted by target UID, copying only rows that are not
// strictly increasing already, and rejects targets out of range and duplicates.
func sortedWeights(rows [][]Weight, n int) ([][]Weight, error) {
	out := make([][]Weight, n)
	for i, row := range rows {
		if !weightsInOrder(row, n) {
			row = slices.Clone(row)
			slices.SortFunc(row, cmpWeight)
			if err := checkSortedWeights(row, n); err != nil {
				return nil, fmt.Errorf("yuma: Weights[%d]: %w", i, err)
			}
		}
		out[i] = row
	}
	return out, nil
}

// weightsInOrder is the fast check that a row is valid as it is: targets strictly
// increasing and below n.
func weightsInOrder(row []Weight, n int) bool {
	prev := -1
	for _, w := range row {
		if int(w.UID) <= prev {
			return false
		}
		prev = int(w.UID)
	}
	return prev < n
}

// checkSortedWeights rejects targets out of range and duplicates in a sorted row.
func checkSortedWeights(row []Weight, n int) error {
	for k, w := range row {
		if int(w.UID) >= n {
			return fmt.Errorf("target UID %d out of range (n=%d)", w.UID, n)
		}
		if k > 0 && row[k-1].UID == w.UID {
			return fmt.Errorf("duplicate target UID %d", w.UID)
		}
	}
	return nil
}

// sortedBonds is sortedWeights for bonds rows, and also rejects values above One. It
// returns the column sums of the bonds that survive the reset (neither the row nor the
// column recent), summed while each row is still in cache.
func sortedBonds(rows [][]Bond, n int, recent []bool) ([][]Bond, []u128, error) {
	out := make([][]Bond, n)
	sums := make([]u128, n)
	for i, row := range rows {
		if !bondsInOrder(row, n) {
			row = slices.Clone(row)
			slices.SortFunc(row, cmpBond)
			if err := checkSortedBonds(row, n); err != nil {
				return nil, nil, fmt.Errorf("yuma: Bonds[%d]: %w", i, err)
			}
		}
		out[i] = row
		if !recent[i] {
			for _, b := range row {
				if !recent[b.UID] {
					sums[b.UID] = sums[b.UID].add64(uint64(b.Value)) // at most 2^16 * One
				}
			}
		}
	}
	return out, sums, nil
}

func bondsInOrder(row []Bond, n int) bool {
	prev := -1
	for _, b := range row {
		if int(b.UID) <= prev || b.Value > One {
			return false
		}
		prev = int(b.UID)
	}
	return prev < n
}

func checkSortedBonds(row []Bond, n int) error {
	for k, b := range row {
		switch {
		case int(b.UID) >= n:
			return fmt.Errorf("target UID %d out of range (n=%d)", b.UID, n)
		case k > 0 && row[k-1].UID == b.UID:
			return fmt.Errorf("duplicate target UID %d", b.UID)
		case b.Value > One:
			return fmt.Errorf("bond %s on UID %d is above 1", b.Value.Decimal(JSONPlaces), b.UID)
		}
	}
	return nil
}

// CheckWeightsRow returns the error Run would give for row, a weight row of an epoch with
// n UIDs in any order: a target out of range or duplicated. Callers that build inputs
// elsewhere (the scenario simulator) check rows with it the way Run will.
func CheckWeightsRow(row []Weight, n int) error {
	if weightsInOrder(row, n) {
		return nil
	}
	row = slices.Clone(row)
	slices.SortFunc(row, cmpWeight)
	return checkSortedWeights(row, n)
}

// CheckBondsRow is CheckWeightsRow for a bonds row, which Run also rejects for a bond
// above One.
func CheckBondsRow(row []Bond, n int) error {
	if bondsInOrder(row, n) {
		return nil
	}
	row = slices.Clone(row)
	slices.SortFunc(row, cmpBond)
	return checkSortedBonds(row, n)
}

func cmpWeight(a, b Weight) int { return int(a.UID) - int(b.UID) }

func cmpBond(a, b Bond) int { return int(a.UID) - int(b.UID) }
