package yuma

import (
	"errors"
	"fmt"
)

// BondsMovingAverageScale is the denominator of Params.BondsMovingAverage: the EMA keeps
// BondsMovingAverage/1e6 of the old bonds each epoch (subtensor's "millionths").
const BondsMovingAverageScale = 1_000_000

// Params are the subnet hyperparameters one epoch needs. Fractions are Fixed in [0, 1].
type Params struct {
	// Kappa is the share of active stake that must support a weight for it to be
	// consensus (subtensor default 0.5).
	Kappa Fixed
	// BondsMovingAverage, in millionths, is the share of the old bonds the EMA keeps:
	// alpha = 1 - BondsMovingAverage/1e6 is the share of the new bonds (default 900000).
	BondsMovingAverage uint64
	// BondsPenalty in [0, 1] interpolates the weights bonds are built from between the
	// raw weights (0) and the weights clipped at consensus (1, the default).
	BondsPenalty Fixed
	// ActivityCutoff is the number of blocks after its last weight update that a UID
	// still counts as active (default 5000).
	ActivityCutoff uint64
	// MaxAllowedValidators is how many UIDs, by stake, receive a validator permit
	// (default 64). Permits take effect at the next epoch.
	MaxAllowedValidators uint16
	// Tempo is the number of blocks between two epochs of the subnet. Bonds towards a
	// UID registered after the previous epoch (RegisteredAt > Block - Tempo) are reset.
	Tempo uint64
	// Yuma3 selects subtensor's Yuma3 bonds: absolute bonds updated per entry and
	// dividends weighted by the validator's own active stake.
	Yuma3 bool
	// LiquidAlpha, with Yuma3, gives each bond its own EMA rate between AlphaLow and
	// AlphaHigh from a sigmoid of how far the weight is from consensus. As in subtensor
	// it has no effect without Yuma3.
	LiquidAlpha bool
	// AlphaLow and AlphaHigh bound the liquid-alpha EMA rate (defaults 0.7 and 0.9).
	AlphaLow, AlphaHigh Fixed
	// AlphaSigmoidSteepness sets the slope of the liquid-alpha sigmoid; the exponent is
	// -(steepness/100) * (difference - 1/2) (default 1000).
	AlphaSigmoidSteepness int16
}

// DefaultParams returns subtensor's defaults, with the values written in DESIGN.md
// (kappa 0.5, alpha 0.7/0.9) and a tempo of 360 blocks.
func DefaultParams() Params {
	return Params{
		Kappa:                 One / 2,
		BondsMovingAverage:    900_000,
		BondsPenalty:          One,
		ActivityCutoff:        5000,
		MaxAllowedValidators:  64,
		Tempo:                 360,
		AlphaLow:              mustDecimal("0.7"),
		AlphaHigh:             mustDecimal("0.9"),
		AlphaSigmoidSteepness: 1000,
	}
}

// mustDecimal parses a decimal constant written in this file; the constants are valid,
// so the error branch is unreachable and returns zero rather than panicking.
func mustDecimal(s string) Fixed {
	v, err := ParseFixed(s)
	if err != nil {
		return 0
	}
	return v
}

// Validate reports the first hyperparameter outside its range.
func (p Params) Validate() error {
	for _, f := range []struct {
		name string
		v    Fixed
	}{{"kappa", p.Kappa}, {"bonds_penalty", p.BondsPenalty}, {"alpha_low", p.AlphaLow}, {"alpha_high", p.AlphaHigh}} {
		if f.v > One {
			return fmt.Errorf("yuma: invalid params: %s %s is above 1", f.name, f.v.Decimal(JSONPlaces))
		}
	}
	switch {
	case p.BondsMovingAverage > BondsMovingAverageScale:
		return fmt.Errorf("yuma: invalid params: bonds_moving_average %d is above %d", p.BondsMovingAverage, BondsMovingAverageScale)
	case p.MaxAllowedValidators == 0:
		return errors.New("yuma: invalid params: max_allowed_validators must be at least 1")
	case p.Tempo == 0:
		return errors.New("yuma: invalid params: tempo must be at least 1")
	case p.AlphaLow > p.AlphaHigh:
		return fmt.Errorf("yuma: invalid params: alpha_low %s is above alpha_high %s", p.AlphaLow.Decimal(JSONPlaces), p.AlphaHigh.Decimal(JSONPlaces))
	}
	return nil
}

// emaAlpha returns the default-mode EMA rate 1 - BondsMovingAverage/1e6, rounded down.
func (p Params) emaAlpha() Fixed {
	a, err := FromRatio(BondsMovingAverageScale-p.BondsMovingAverage, BondsMovingAverageScale)
	if err != nil {
		return 0 // unreachable after Validate: the ratio is at most 1
	}
	return a
}
