package types

import (
	"fmt"

	"cosmossdk.io/math"
)

// U16Max is 1.0 for u16-normalised fractions.
const U16Max = 65535

// maxTempo is the largest tempo any params allow.
const maxTempo = 10_000

// DefaultDenom is the token of the module when the app config names none.
const DefaultDenom = "utensor"

// DefaultParams returns the module defaults: a 1,000 TENSOR subnet lock,
// 32 subnets, an 18% delegate take cap.
func DefaultParams() Params {
	return Params{
		SubnetLockCost:        math.NewInt(1_000_000_000),
		MaxSubnets:            32,
		MaxDelegateTake:       11_796, // 18% of 65535
		DelegateTakeRateLimit: 1_000,
		DefaultHyperparams:    DefaultHyperparams(),
		BlockEmission:         math.NewInt(1_000_000),                    // 1 TENSOR per block
		MaxSupply:             math.NewInt(21_000_000).MulRaw(1_000_000), // 21M TENSOR
		ValidatorShareBps:     1_000,                                     // 10% to CometBFT validators
		OwnerCutBps:           1_800,                                     // 18% to the subnet owner
		MaxEpochsPerBlock:     8,
		MinTempo:              DefaultMinTempo,
		MaxTempo:              DefaultMaxTempo,
		MaxEpochWorkPerBlock:  DefaultMaxEpochWorkPerBlock,
		WeightsGasPerEntry:    DefaultWeightsGasPerEntry,
		StakeWarmupBlocks:     DefaultStakeWarmupBlocks,
		UnbondingBlocks:       DefaultUnbondingBlocks,
		StakeRateLimit:        DefaultStakeRateLimit,
	}
}

const (
	// DefaultStakeWarmupBlocks: added stake counts after about an hour of
	// 1 s blocks. It must be at least max_tempo (so counted stake was held
	// through a whole tempo of any subnet); 3,600 leaves governance room to
	// raise max_tempo from 1,000 without touching it.
	DefaultStakeWarmupBlocks = 3_600
	// DefaultUnbondingBlocks: removed stake is paid after 3 days of 1 s
	// blocks, so stake cannot leave right after the epoch it weighed in.
	DefaultUnbondingBlocks = 259_200
	// DefaultStakeRateLimit: one stake operation per staker and hotkey per
	// 100 blocks (a default tempo), which bounds the warm-up and unbonding
	// queue entries one pair can make.
	DefaultStakeRateLimit = 100
	// maxStakeBlocks bounds the stake delays (about 115 days of 1 s blocks).
	maxStakeBlocks = 10_000_000
)

const (
	// DefaultMinTempo keeps a subnet from running an epoch more often than
	// every 5 blocks (tempo 4, the shortest the localnet load test uses).
	DefaultMinTempo = 4
	// DefaultMaxTempo: an epoch at least every 1,001 blocks (about 17 min at
	// 1 s blocks), so stake moves and emission reach neurons within that.
	DefaultMaxTempo = 1_000
	// DefaultMaxEpochWorkPerBlock fits one epoch of the largest subnet an
	// account may create (EpochWorkBound(256): 262,400 units). Measured
	// (BenchmarkEndBlockerBudget, medians of 5), a block of it runs four
	// 256-UID, 64-validator epochs with full validator rows (262,912 units)
	// in 26 ms, or two with full rows on every UID (229,760) in 31 ms;
	// BenchmarkEpoch's subnet (4096 UIDs, 256 validators x 256 weights,
	// about 266,000 units) takes 75 ms.
	DefaultMaxEpochWorkPerBlock = 300_000
	// DefaultWeightsGasPerEntry is charged per weight entry (per uid) of
	// SetWeights, CommitWeights and RevealWeights: a 4096-entry set costs
	// 4096 x 100 = 409,600 gas on top of the store gas, in proportion to the
	// epoch work each entry adds.
	DefaultWeightsGasPerEntry = 100
)

// ValidatorWork is the work units an epoch is charged per validator permit
// slot (min(max_allowed_validators, UIDs)) on top of one per UID and one per
// stored weight or bond entry: paying a validator's dividends (take, stake
// compounding over its stakers, totals) costs about what 512 entries do.
const ValidatorWork = 512

// EpochWorkBound is the most work units one epoch of a subnet with n UIDs
// can cost: its UIDs, a full n-entry weight row and bonds row per UID, and
// every UID holding a validator permit.
func EpochWorkBound(n uint32) uint64 {
	return uint64(n)*(1+ValidatorWork) + 2*uint64(n)*uint64(n)
}

// CheckTempo checks a tempo against the min_tempo and max_tempo params.
func (p Params) CheckTempo(tempo uint32) error {
	if tempo < p.MinTempo || tempo > p.MaxTempo {
		return fmt.Errorf("%w: tempo must be in [min_tempo %d, max_tempo %d], got %d", ErrInvalidHyperparams, p.MinTempo, p.MaxTempo, tempo)
	}
	return nil
}

// DefaultHyperparams are subtensor's defaults, except a shorter tempo (100
// blocks) and registration price bounds in utensor, since tensorcosm blocks
// are 1 s rather than 12 s.
func DefaultHyperparams() Hyperparams {
	return Hyperparams{
		Tempo:                    100,
		Kappa:                    32_767,
		BondsMovingAverage:       900_000,
		BondsPenalty:             U16Max,
		ImmunityPeriod:           4_096,
		MaxAllowedUids:           256,
		MaxAllowedValidators:     64,
		MinAllowedWeights:        1,
		MaxWeightLimit:           U16Max,
		WeightsRateLimit:         100,
		ActivityCutoff:           5_000,
		CommitReveal:             true,
		RevealPeriod:             1,
		LiquidAlpha:              false,
		AlphaLow:                 45_875, // 0.7
		AlphaHigh:                58_982, // 0.9
		AlphaSigmoidSteepness:    1_000,
		Yuma3:                    false,
		WeightsVersionKey:        0,
		ServingRateLimit:         50,
		MinBurn:                  math.NewInt(1_000_000),      // 1 TENSOR
		MaxBurn:                  math.NewInt(10_000_000_000), // 10,000 TENSOR
		BurnHalfLife:             360,
		BurnIncreaseBps:          12_600,
		MaxRegistrationsPerBlock: 1,
		ModelDownload:            false,
	}
}

// Validate checks the params.
func (p Params) Validate() error {
	if p.SubnetLockCost.IsNil() || p.SubnetLockCost.IsNegative() {
		return fmt.Errorf("%w: subnet_lock_cost must be >= 0", ErrInvalidParams)
	}
	if p.MaxSubnets == 0 || p.MaxSubnets > 1024 {
		return fmt.Errorf("%w: max_subnets must be in [1, 1024], got %d", ErrInvalidParams, p.MaxSubnets)
	}
	if p.MaxDelegateTake > U16Max {
		return fmt.Errorf("%w: max_delegate_take must be <= 65535, got %d", ErrInvalidParams, p.MaxDelegateTake)
	}
	if err := p.DefaultHyperparams.Validate(); err != nil {
		return fmt.Errorf("%w: default_hyperparams: %w", ErrInvalidParams, err)
	}
	if p.BlockEmission.IsNil() || p.BlockEmission.IsNegative() || p.MaxSupply.IsNil() || p.MaxSupply.IsNegative() {
		return fmt.Errorf("%w: block_emission and max_supply must be >= 0", ErrInvalidParams)
	}
	if p.ValidatorShareBps > 10_000 || p.OwnerCutBps > 10_000 {
		return fmt.Errorf("%w: validator_share_bps and owner_cut_bps must be <= 10000", ErrInvalidParams)
	}
	if p.MaxEpochsPerBlock == 0 {
		return fmt.Errorf("%w: max_epochs_per_block must be >= 1", ErrInvalidParams)
	}
	if err := p.validateEpochBounds(); err != nil {
		return err
	}
	return p.validateStakeDelays()
}

// validateStakeDelays checks the warm-up, unbonding and rate limit: the
// warm-up must cover the longest tempo a subnet may have, so stake that
// counts in an epoch was held since before the subnet's previous epoch.
func (p Params) validateStakeDelays() error {
	if p.StakeWarmupBlocks < uint64(p.MaxTempo) || p.StakeWarmupBlocks > maxStakeBlocks {
		return fmt.Errorf("%w: stake_warmup_blocks must be in [max_tempo %d, %d], got %d", ErrInvalidParams, p.MaxTempo, maxStakeBlocks, p.StakeWarmupBlocks)
	}
	if p.UnbondingBlocks == 0 || p.UnbondingBlocks > maxStakeBlocks {
		return fmt.Errorf("%w: unbonding_blocks must be in [1, %d], got %d", ErrInvalidParams, maxStakeBlocks, p.UnbondingBlocks)
	}
	if p.StakeRateLimit > maxStakeBlocks {
		return fmt.Errorf("%w: stake_rate_limit must be <= %d, got %d", ErrInvalidParams, maxStakeBlocks, p.StakeRateLimit)
	}
	return nil
}

// validateEpochBounds checks the tempo range and the epoch work budget:
// the default hyperparameters must obey both, and the budget must fit one
// epoch of the largest subnet an account may create (the defaults' size).
func (p Params) validateEpochBounds() error {
	if p.MinTempo == 0 || p.MinTempo > p.MaxTempo || p.MaxTempo > maxTempo {
		return fmt.Errorf("%w: need 1 <= min_tempo (%d) <= max_tempo (%d) <= %d", ErrInvalidParams, p.MinTempo, p.MaxTempo, maxTempo)
	}
	if err := p.CheckTempo(p.DefaultHyperparams.Tempo); err != nil {
		return fmt.Errorf("%w: default_hyperparams: %w", ErrInvalidParams, err)
	}
	if need := EpochWorkBound(p.DefaultHyperparams.MaxAllowedUids); p.MaxEpochWorkPerBlock < need {
		return fmt.Errorf("%w: max_epoch_work_per_block %d cannot fit one epoch of a default-size subnet (%d UIDs: %d units)",
			ErrInvalidParams, p.MaxEpochWorkPerBlock, p.DefaultHyperparams.MaxAllowedUids, need)
	}
	return nil
}

// BlockEmissionAt is what one block mints after issued tokens have been
// minted: block_emission halved once for every time issuance has crossed
// half of what was left of max_supply (10.5M, 15.75M, ... of 21M), and never
// more than what is left.
func (p Params) BlockEmissionAt(issued math.Int) math.Int {
	left := p.MaxSupply.Sub(issued)
	if !left.IsPositive() || !p.BlockEmission.IsPositive() {
		return math.ZeroInt()
	}
	e := p.BlockEmission
	// halvings k: the largest k with left * 2^k <= max_supply
	for threshold := left.MulRaw(2); threshold.LTE(p.MaxSupply) && e.IsPositive(); threshold = threshold.MulRaw(2) {
		e = e.QuoRaw(2)
	}
	if e.GT(left) {
		e = left
	}
	return e
}

// hyperparamRule is one range check on a hyperparameter.
type hyperparamRule struct {
	name     string
	value    uint64
	min, max uint64
}

// Validate checks every hyperparameter against its range.
func (h Hyperparams) Validate() error {
	rules := []hyperparamRule{
		{"tempo", uint64(h.Tempo), 1, maxTempo},
		{"kappa", uint64(h.Kappa), 0, U16Max},
		{"bonds_moving_average", h.BondsMovingAverage, 0, 1_000_000},
		{"bonds_penalty", uint64(h.BondsPenalty), 0, U16Max},
		{"immunity_period", h.ImmunityPeriod, 0, 1_000_000},
		{"max_allowed_uids", uint64(h.MaxAllowedUids), 1, 4_096},
		{"max_allowed_validators", uint64(h.MaxAllowedValidators), 1, uint64(h.MaxAllowedUids)},
		{"min_allowed_weights", uint64(h.MinAllowedWeights), 0, uint64(h.MaxAllowedUids)},
		{"max_weight_limit", uint64(h.MaxWeightLimit), 1, U16Max},
		{"weights_rate_limit", h.WeightsRateLimit, 0, 1_000_000},
		{"activity_cutoff", h.ActivityCutoff, 1, 1_000_000},
		{"reveal_period", h.RevealPeriod, 1, 100},
		{"alpha_low", uint64(h.AlphaLow), 1, U16Max},
		{"alpha_high", uint64(h.AlphaHigh), uint64(h.AlphaLow), U16Max},
		{"alpha_sigmoid_steepness", h.AlphaSigmoidSteepness, 1, 32_767},
		{"serving_rate_limit", h.ServingRateLimit, 0, 1_000_000},
		{"burn_half_life", h.BurnHalfLife, 1, 10_000_000},
		{"burn_increase_bps", uint64(h.BurnIncreaseBps), 10_000, 100_000},
		{"max_registrations_per_block", uint64(h.MaxRegistrationsPerBlock), 1, 256},
	}
	for _, r := range rules {
		if r.value < r.min || r.value > r.max {
			return fmt.Errorf("%w: %s must be in [%d, %d], got %d", ErrInvalidHyperparams, r.name, r.min, r.max, r.value)
		}
	}
	if h.MinBurn.IsNil() || h.MaxBurn.IsNil() || !h.MinBurn.IsPositive() {
		return fmt.Errorf("%w: min_burn must be > 0", ErrInvalidHyperparams)
	}
	if h.MaxBurn.LT(h.MinBurn) {
		return fmt.Errorf("%w: max_burn %s is below min_burn %s", ErrInvalidHyperparams, h.MaxBurn, h.MinBurn)
	}
	return nil
}

// GovOnlyChanges lists the hyperparameters that differ between old and new
// and that only the module authority may change: the size of the subnet and
// the registration price bounds, which protect neurons already in it.
func GovOnlyChanges(old, new Hyperparams) []string {
	var changed []string
	check := func(name string, differ bool) {
		if differ {
			changed = append(changed, name)
		}
	}
	check("max_allowed_uids", old.MaxAllowedUids != new.MaxAllowedUids)
	check("max_allowed_validators", old.MaxAllowedValidators != new.MaxAllowedValidators)
	check("immunity_period", old.ImmunityPeriod != new.ImmunityPeriod)
	check("min_burn", !old.MinBurn.Equal(new.MinBurn))
	check("max_burn", !old.MaxBurn.Equal(new.MaxBurn))
	check("burn_half_life", old.BurnHalfLife != new.BurnHalfLife)
	check("burn_increase_bps", old.BurnIncreaseBps != new.BurnIncreaseBps)
	check("max_registrations_per_block", old.MaxRegistrationsPerBlock != new.MaxRegistrationsPerBlock)
	return changed
}

// CreationLimitViolations lists the governance-only hyperparameters of hp
// that go beyond defaults in the direction that costs the chain or the
// neurons: more UIDs or validator permits (more epoch work per block), a
// longer immunity period (squatting) or a lower min_burn (cheap sybils).
// Smaller, stricter subnets are fine. An account's CreateSubnet must have
// none; the authority's may.
func CreationLimitViolations(defaults, hp Hyperparams) []string {
	var over []string
	check := func(name string, beyond bool) {
		if beyond {
			over = append(over, name)
		}
	}
	check("max_allowed_uids", hp.MaxAllowedUids > defaults.MaxAllowedUids)
	check("max_allowed_validators", hp.MaxAllowedValidators > defaults.MaxAllowedValidators)
	check("immunity_period", hp.ImmunityPeriod > defaults.ImmunityPeriod)
	check("min_burn", hp.MinBurn.LT(defaults.MinBurn))
	return over
}

// IsEpochBlock reports whether the subnet's epoch runs at height. Epochs are
// staggered by netuid, as in subtensor, so subnets with the same tempo do not
// all run in the same block.
func IsEpochBlock(netuid uint32, tempo uint32, height int64) bool {
	if tempo == 0 || height < 0 {
		return false
	}
	return (uint64(height)+uint64(netuid)+1)%(uint64(tempo)+1) == 0
}

// NextEpochBlock returns the first height >= from at which the subnet's
// epoch runs.
func NextEpochBlock(netuid uint32, tempo uint32, from int64) int64 {
	if from < 0 {
		from = 0
	}
	period := uint64(tempo) + 1
	rem := (uint64(from) + uint64(netuid) + 1) % period
	if rem == 0 {
		return from
	}
	return from + int64(period-rem)
}

// SaturatingUint64 converts an amount to uint64, capping at the maximum
// instead of wrapping: stake as the Yuma engine and axon priorities take it.
func SaturatingUint64(x math.Int) uint64 {
	switch {
	case x.IsNil() || !x.IsPositive():
		return 0
	case x.IsUint64():
		return x.Uint64()
	}
	return ^uint64(0)
}
