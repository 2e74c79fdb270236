package types

import errorsmod "cosmossdk.io/errors"

// x/subnet errors. Codes start at 2 (0 and 1 are reserved by the SDK) and
// are never renumbered.
var (
	ErrInvalidSigner        = errorsmod.Register(ModuleName, 2, "invalid signer")
	ErrInvalidParams        = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidHyperparams   = errorsmod.Register(ModuleName, 4, "invalid hyperparameters")
	ErrSubnetNotFound       = errorsmod.Register(ModuleName, 5, "subnet not found")
	ErrTooManySubnets       = errorsmod.Register(ModuleName, 6, "too many subnets")
	ErrInvalidTask          = errorsmod.Register(ModuleName, 7, "invalid task spec")
	ErrInvalidName          = errorsmod.Register(ModuleName, 8, "invalid subnet name")
	ErrPriceAboveMax        = errorsmod.Register(ModuleName, 9, "registration price above max_burn")
	ErrRegistrationLimit    = errorsmod.Register(ModuleName, 10, "too many registrations in this block")
	ErrAlreadyRegistered    = errorsmod.Register(ModuleName, 11, "hotkey already registered in this subnet")
	ErrHotkeyOwnedByOther   = errorsmod.Register(ModuleName, 12, "hotkey belongs to another coldkey")
	ErrSubnetFullImmune     = errorsmod.Register(ModuleName, 13, "subnet full and every neuron is immune")
	ErrNeuronNotFound       = errorsmod.Register(ModuleName, 14, "neuron not found")
	ErrHotkeyNotRegistered  = errorsmod.Register(ModuleName, 15, "hotkey not registered")
	ErrInvalidAxon          = errorsmod.Register(ModuleName, 16, "invalid axon")
	ErrInvalidModel         = errorsmod.Register(ModuleName, 17, "invalid model commitment")
	ErrServingRateLimit     = errorsmod.Register(ModuleName, 18, "serving rate limit")
	ErrInvalidAmount        = errorsmod.Register(ModuleName, 19, "invalid amount")
	ErrInsufficientFunds    = errorsmod.Register(ModuleName, 20, "insufficient funds")
	ErrInsufficientStake    = errorsmod.Register(ModuleName, 21, "insufficient stake")
	ErrTakeTooHigh          = errorsmod.Register(ModuleName, 22, "delegate take above max_delegate_take")
	ErrTakeRateLimit        = errorsmod.Register(ModuleName, 23, "delegate take rate limit")
	ErrNotHotkeyOwner       = errorsmod.Register(ModuleName, 24, "signer does not own the hotkey")
	ErrInvalidGenesis       = errorsmod.Register(ModuleName, 25, "invalid genesis")
	ErrGovOnlyHyperparam    = errorsmod.Register(ModuleName, 26, "hyperparameter can only be changed by governance")
	ErrUIDsInUse            = errorsmod.Register(ModuleName, 27, "max_allowed_uids below the registered neurons")
	ErrInvalidWeights       = errorsmod.Register(ModuleName, 28, "invalid weights")
	ErrVersionKey           = errorsmod.Register(ModuleName, 29, "weights version key too old")
	ErrWeightsRateLimit     = errorsmod.Register(ModuleName, 30, "weights rate limit")
	ErrNoValidatorPermit    = errorsmod.Register(ModuleName, 31, "no validator permit")
	ErrCommitRevealEnabled  = errorsmod.Register(ModuleName, 32, "commit-reveal is on: commit and reveal weights instead")
	ErrCommitRevealDisabled = errorsmod.Register(ModuleName, 33, "commit-reveal is off: set weights directly")
	ErrTooManyCommits       = errorsmod.Register(ModuleName, 34, "too many unrevealed commits")
	ErrNoMatchingCommit     = errorsmod.Register(ModuleName, 35, "no commit matches the revealed weights")
	ErrRevealTooEarly       = errorsmod.Register(ModuleName, 36, "reveal before the commit's reveal epoch")
	ErrCommitExpired        = errorsmod.Register(ModuleName, 37, "commit expired: its reveal epoch has passed")

	// Stake warm-up, unbonding and rate limit (codes from 60, apart from
	// the epoch and weights errors).
	ErrStakeRateLimit        = errorsmod.Register(ModuleName, 60, "stake rate limit")
	ErrUnbondingNotFound     = errorsmod.Register(ModuleName, 61, "unbonding not found")
	ErrInsufficientUnbonding = errorsmod.Register(ModuleName, 62, "unbonding holds less than asked")
)
