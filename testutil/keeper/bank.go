// Package keeper provides small keeper fixtures for module tests.
package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
)

// Bank is an in-memory bank for keeper tests: balances by address, module
// accounts by name, and a total supply that only minting and burning change.
type Bank struct {
	balances map[string]sdk.Coins
	supply   sdk.Coins
	// PanicOn names a method (e.g. "MintCoins") that panics instead of
	// running, for tests of how block work survives a bug.
	PanicOn string
}

// maybePanic panics when method is PanicOn.
func (b *Bank) maybePanic(method string) {
	if b.PanicOn == method {
		panic("test bank: " + method + " panics")
	}
}

// NewBank returns an empty bank.
func NewBank() *Bank {
	return &Bank{balances: map[string]sdk.Coins{}}
}

// Fund mints coins to addr, as a genesis account would have them.
func (b *Bank) Fund(addr sdk.AccAddress, coins sdk.Coins) {
	b.balances[string(addr)] = b.balances[string(addr)].Add(coins...)
	b.supply = b.supply.Add(coins...)
}

// Supply returns the total supply of denom.
func (b *Bank) Supply(denom string) sdk.Coin {
	return sdk.NewCoin(denom, b.supply.AmountOf(denom))
}

// ModuleBalance returns a module account's balance of denom.
func (b *Bank) ModuleBalance(module, denom string) sdk.Coin {
	return b.GetBalance(context.Background(), authtypes.NewModuleAddress(module), denom)
}

// SpendableCoins implements types.BankKeeper.
func (b *Bank) SpendableCoins(_ context.Context, addr sdk.AccAddress) sdk.Coins {
	return b.balances[string(addr)]
}

// GetBalance implements types.BankKeeper.
func (b *Bank) GetBalance(_ context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, b.balances[string(addr)].AmountOf(denom))
}

func (b *Bank) send(from, to sdk.AccAddress, amt sdk.Coins) error {
	have := b.balances[string(from)]
	left, neg := have.SafeSub(amt...)
	if neg {
		return fmt.Errorf("spendable balance %s is smaller than %s: insufficient funds", have, amt)
	}
	b.balances[string(from)] = left
	b.balances[string(to)] = b.balances[string(to)].Add(amt...)
	return nil
}

// SendCoinsFromAccountToModule implements types.BankKeeper.
func (b *Bank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error {
	return b.send(from, authtypes.NewModuleAddress(module), amt)
}

// SendCoinsFromModuleToAccount implements types.BankKeeper.
func (b *Bank) SendCoinsFromModuleToAccount(_ context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error {
	b.maybePanic("SendCoinsFromModuleToAccount")
	return b.send(authtypes.NewModuleAddress(module), to, amt)
}

// BurnCoins implements types.BankKeeper.
func (b *Bank) BurnCoins(_ context.Context, module string, amt sdk.Coins) error {
	addr := authtypes.NewModuleAddress(module)
	left, neg := b.balances[string(addr)].SafeSub(amt...)
	if neg {
		return fmt.Errorf("module %s cannot burn %s: insufficient funds", module, amt)
	}
	b.balances[string(addr)] = left
	b.supply = b.supply.Sub(amt...)
	return nil
}

// MintCoins mints amt into a module account.
func (b *Bank) MintCoins(_ context.Context, module string, amt sdk.Coins) error {
	b.maybePanic("MintCoins")
	addr := authtypes.NewModuleAddress(module)
	b.balances[string(addr)] = b.balances[string(addr)].Add(amt...)
	b.supply = b.supply.Add(amt...)
	return nil
}

// SendCoinsFromModuleToModule implements types.BankKeeper.
func (b *Bank) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	return b.send(authtypes.NewModuleAddress(from), authtypes.NewModuleAddress(to), amt)
}
