// Package chainclient builds, signs and broadcasts tensorcosm transactions
// over gRPC, with any number of signers, and waits for them to be included.
// The miner, the validator and the tests use it; it needs no node home.
package chainclient

import (
	"cosmossdk.io/x/tx/signing"
	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Bech32Prefix is the account address prefix of tensorcosm.
const Bech32Prefix = "tensor"

// Encoding is the codec and transaction config for tensorcosm messages.
type Encoding struct {
	Registry codectypes.InterfaceRegistry
	Codec    *codec.ProtoCodec
	TxConfig client.TxConfig
}

// NewEncoding returns an encoding that knows the auth, bank and subnet
// messages, with tensorcosm's address prefixes. It does not touch the SDK's
// global config.
func NewEncoding() (Encoding, error) {
	reg, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles: proto.HybridResolver,
		SigningOptions: signing.Options{
			AddressCodec:          addresscodec.NewBech32Codec(Bech32Prefix),
			ValidatorAddressCodec: addresscodec.NewBech32Codec(Bech32Prefix + "valoper"),
		},
	})
	if err != nil {
		return Encoding{}, err
	}
	std.RegisterInterfaces(reg)
	authtypes.RegisterInterfaces(reg)
	banktypes.RegisterInterfaces(reg)
	subnettypes.RegisterInterfaces(reg)
	cdc := codec.NewProtoCodec(reg)
	return Encoding{Registry: reg, Codec: cdc, TxConfig: authtx.NewTxConfig(cdc, authtx.DefaultSignModes)}, nil
}
