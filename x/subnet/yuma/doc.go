// Package yuma implements Yuma consensus, the per-epoch reward mechanism of a tensorcosm
// subnet, as a pure and deterministic function (Run). The JSON scenario simulator built on
// it lives in the scenario subpackage, so that this package holds only the math.
//
// The semantics follow subtensor's pallets/subtensor/src/epoch/run_epoch.rs and math.rs:
// activity mask, stake normalisation, top-k validator permits, weight masking and row
// normalisation, stake-weighted kappa-quantile consensus, clipping, validator trust,
// rank and incentive, bonds (EMA, Yuma3, liquid alpha), dividends and the emission split.
// README.md in this directory is the specification and lists where this package departs
// from subtensor on purpose.
//
// All arithmetic is integer: fractions are Fixed values (unsigned, 48 fractional bits)
// and every operation rounds in a documented direction, so the same Input gives
// bit-identical Output on every platform. The package imports only the standard library,
// starts no goroutines, reads no clock and returns errors instead of panicking.
package yuma
