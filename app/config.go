package app

import (
	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// Name is the application name used for the node home and the CLI.
	Name = "tensorcosm"

	// Bech32Prefix is the human readable part of account addresses.
	Bech32Prefix = "tensor"

	// BondDenom is the base denomination used for staking, fees and emission.
	// 1 TENSOR = 10^6 utensor.
	BondDenom = "utensor"

	// DisplayDenom is the human facing denomination.
	DisplayDenom = "TENSOR"

	// DenomExponent is the number of decimals between BondDenom and DisplayDenom.
	DenomExponent = 6
)

var (
	// Bech32PrefixValAddr is the prefix of validator operator addresses.
	Bech32PrefixValAddr = Bech32Prefix + "valoper"
	// Bech32PrefixValPub is the prefix of validator operator public keys.
	Bech32PrefixValPub = Bech32Prefix + "valoperpub"
	// Bech32PrefixConsAddr is the prefix of consensus node addresses.
	Bech32PrefixConsAddr = Bech32Prefix + "valcons"
	// Bech32PrefixConsPub is the prefix of consensus node public keys.
	Bech32PrefixConsPub = Bech32Prefix + "valconspub"
	// Bech32PrefixAccPub is the prefix of account public keys.
	Bech32PrefixAccPub = Bech32Prefix + "pub"
)

// The SDK reads the global config and the default bond denom while building
// default genesis states and parsing addresses, long before any command runs,
// so both are set when the package is loaded.
func init() {
	SetAddressPrefixes(sdk.GetConfig())
	sdk.DefaultBondDenom = BondDenom
}

// SetAddressPrefixes sets the tensorcosm bech32 prefixes on cfg unless it is
// already sealed with them.
func SetAddressPrefixes(cfg *sdk.Config) {
	if cfg.GetBech32AccountAddrPrefix() == Bech32Prefix {
		return
	}
	cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32PrefixAccPub)
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
}
