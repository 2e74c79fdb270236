// Package chainregistry describes a tensorcosm network the way wallets and
// front ends look chains up: a chain.json and an assetlist.json in the
// format of the Cosmos chain registry (github.com/cosmos/chain-registry),
// and a Keplr ChainInfo for window.keplr.experimentalSuggestChain.
//
// All three are built from one Network value and the constants of app/
// (bech32 prefixes, denoms, exponent, bank denom metadata), so they cannot
// disagree with each other or with the chain. Write validates chain.json and
// assetlist.json against the registry's JSON schemas, vendored in schemas/,
// before anything reaches the disk.
package chainregistry
