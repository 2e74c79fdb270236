package simulation

import (
	"context"
	"errors"
	"math/rand"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// chain reads x/subnet state for the factories. Every list comes from a
// collections walk, in key order, so choices made from it with the
// simulation's rand are deterministic.
type chain struct {
	k keeper.Keeper
}

func height(ctx context.Context) int64 { return sdk.UnwrapSDKContext(ctx).BlockHeight() }

// walk collects the values of a map in key order.
func walk[K, V any](ctx context.Context, m interface {
	Walk(context.Context, collections.Ranger[K], func(K, V) (bool, error)) error
}, rng collections.Ranger[K],
) []V {
	var out []V
	err := m.Walk(ctx, rng, func(_ K, v V) (bool, error) {
		out = append(out, v)
		return false, nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

func (c chain) params(ctx context.Context) types.Params {
	p, err := c.k.Params.Get(ctx)
	if err != nil {
		panic(err)
	}
	return p
}

func (c chain) subnets(ctx context.Context) []types.Subnet {
	return walk[uint32, types.Subnet](ctx, c.k.Subnets, nil)
}

func (c chain) neurons(ctx context.Context, netuid uint32) []types.Neuron {
	return walk[keeper.NeuronKey, types.Neuron](ctx, c.k.Neurons, collections.NewPrefixedPairRange[uint32, uint32](netuid))
}

func (c chain) allNeurons(ctx context.Context) []types.Neuron {
	return walk[keeper.NeuronKey, types.Neuron](ctx, c.k.Neurons, nil)
}

func (c chain) neuronCount(ctx context.Context, netuid uint32) uint32 {
	n, err := c.k.NeuronCounts.Get(ctx, netuid)
	if err != nil {
		panic(err)
	}
	return n
}

// hotkeyOwner returns the coldkey a hotkey is bound to, if any.
func (c chain) hotkeyOwner(ctx context.Context, hotkey sdk.AccAddress) (sdk.AccAddress, bool) {
	owner, err := c.k.HotkeyOwners.Get(ctx, hotkey)
	if err != nil {
		return nil, false
	}
	return owner, true
}

// hotkeyOwners lists every (hotkey, coldkey) binding.
func (c chain) hotkeyOwners(ctx context.Context) [][2]sdk.AccAddress {
	var out [][2]sdk.AccAddress
	err := c.k.HotkeyOwners.Walk(ctx, nil, func(hot, cold sdk.AccAddress) (bool, error) {
		out = append(out, [2]sdk.AccAddress{hot, cold})
		return false, nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

func (c chain) isRegistered(ctx context.Context, hotkey sdk.AccAddress, netuid uint32) bool {
	has, err := c.k.HotkeySubnets.Has(ctx, collections.Join(hotkey, netuid))
	if err != nil {
		panic(err)
	}
	return has
}

// stake is one (hotkey, staker) stake.
type stake struct {
	hotkey, staker sdk.AccAddress
	amount         math.Int
}

func (c chain) stakes(ctx context.Context) []stake {
	var out []stake
	err := c.k.Stakes.Walk(ctx, nil, func(key keeper.StakeKey, amt math.Int) (bool, error) {
		out = append(out, stake{hotkey: key.K1(), staker: key.K2(), amount: amt})
		return false, nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

// unbondings lists every unbonding, in id order.
func (c chain) unbondings(ctx context.Context) []types.Unbonding {
	var out []types.Unbonding
	err := c.k.Unbondings.Walk(ctx, nil, func(_ uint64, u types.Unbonding) (bool, error) {
		out = append(out, u)
		return false, nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

// rateLimited reports whether stake_rate_limit refuses a stake operation
// of staker on hotkey in this block.
func (c chain) rateLimited(ctx context.Context, hotkey, staker sdk.AccAddress) bool {
	last, err := c.k.StakeOps.Get(ctx, collections.Join(hotkey, staker))
	if errors.Is(err, collections.ErrNotFound) {
		return false
	}
	if err != nil {
		panic(err)
	}
	return height(ctx) < last+int64(c.params(ctx).StakeRateLimit)
}

// pick returns a random element of xs; ok is false when xs is empty.
func pick[T any](r *rand.Rand, xs []T) (T, bool) {
	var zero T
	if len(xs) == 0 {
		return zero, false
	}
	return xs[r.Intn(len(xs))], true
}

// filter returns the elements of xs that keep accepts.
func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// simAccount returns the simulation account of a bech32 address; ok is
// false when the address is not one (the reporter is not touched).
func simAccount(data *simsx.ChainDataSource, reporter simsx.SimulationReporter, addr string) (simsx.SimAccount, bool) {
	if !data.HasAccount(addr) {
		return simsx.SimAccount{}, false
	}
	return data.GetAccount(reporter, addr), true
}

// anyAccount returns a random simulation account accepted by keep, trying
// a few times.
func anyAccount(data *simsx.ChainDataSource, reporter simsx.SimulationReporter, keep func(simsx.SimAccount) bool) (simsx.SimAccount, bool) {
	r := data.Rand()
	for range 8 {
		acc := data.AccountAt(reporter, r.Intn(data.AccountsCount()))
		if keep(acc) {
			return acc, true
		}
	}
	return simsx.SimAccount{}, false
}

// coin is amount of the module denom.
func (c chain) coin(amount math.Int) sdk.Coin { return sdk.NewCoin(c.k.Denom(), amount) }
