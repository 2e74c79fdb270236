package keeper

import (
	"testing"

	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/tensorcosm/tensorcosm/x/subnet"
	subnetkeeper "github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Bech32Prefix is the account prefix the fixtures use.
const Bech32Prefix = "tensor"

// SubnetFixture is an x/subnet keeper on an in-memory store with a fake bank.
type SubnetFixture struct {
	Ctx       sdk.Context
	Keeper    subnetkeeper.Keeper
	Msgs      types.MsgServer
	Queries   types.QueryServer
	Bank      *Bank
	Authority string
	Codec     address.Codec
	cms       storetypes.CommitMultiStore
}

// NewSubnetFixture builds the fixture at block height 1 with default genesis.
func NewSubnetFixture(t testing.TB) *SubnetFixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	enc := moduletestutil.MakeTestEncodingConfig(subnet.AppModule{})
	ac := addresscodec.NewBech32Codec(Bech32Prefix)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	if err != nil {
		t.Fatal(err)
	}
	bank := NewBank()
	k, err := subnetkeeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), ac, bank, authority, types.DefaultDenom)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tctx.Ctx.WithBlockHeight(1)
	if err := k.InitGenesis(ctx, types.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	return &SubnetFixture{
		Ctx: ctx, Keeper: k, Bank: bank, Authority: authority, Codec: ac, cms: tctx.CMS,
		Msgs: subnetkeeper.NewMsgServerImpl(k), Queries: subnetkeeper.NewQueryServerImpl(k),
	}
}

// Addr returns a deterministic test address and its bech32 string.
func (f *SubnetFixture) Addr(t testing.TB, name string) (sdk.AccAddress, string) {
	t.Helper()
	addr := authtypes.NewModuleAddress("test/" + name)
	s, err := f.Codec.BytesToString(addr)
	if err != nil {
		t.Fatal(err)
	}
	return addr, s
}

// SetHeight moves the fixture to block height h.
func (f *SubnetFixture) SetHeight(h int64) {
	f.Ctx = f.Ctx.WithBlockHeight(h)
}

// Commit commits the fixture's store as a block commit does. Until then
// every write sits in the IAVL tree's unsaved set, which each new iterator
// scans whole; on a running chain EndBlocker reads committed state plus
// the block's cache, so benchmarks commit their setup first.
func (f *SubnetFixture) Commit() {
	f.cms.Commit()
}
