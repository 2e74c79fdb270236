package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the module's messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgUpdateParams{},
		&MsgCreateSubnet{},
		&MsgDissolveSubnet{},
		&MsgUpdateSubnetHyperparams{},
		&MsgRegister{},
		&MsgServeAxon{},
		&MsgAddStake{},
		&MsgRemoveStake{},
		&MsgCancelUnbonding{},
		&MsgSetDelegateTake{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
