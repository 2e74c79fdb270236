// Package simulation is x/subnet's part of the SDK simulator: a randomised
// genesis and message factories for every x/subnet message. The factories
// read the chain state and build messages that must succeed; a delivery
// that fails stops the simulation, so a keeper that rejects a valid message
// is caught as surely as one that breaks an invariant.
package simulation

import (
	"fmt"
	"math/rand"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// between returns a random int in [lo, hi], both included.
func between(r *rand.Rand, lo, hi int) int {
	return lo + r.Intn(hi-lo+1)
}

// edgy returns lo or hi one time in ten each, else a value in [lo, hi]:
// the ends of a range are where rounding bugs live.
func edgy(r *rand.Rand, lo, hi int) int {
	switch r.Intn(10) {
	case 0:
		return lo
	case 1:
		return hi
	}
	return between(r, lo, hi)
}

// RandomHyperparams returns valid hyperparameters sized for a simulation:
// short tempos so epochs run often, few UIDs so subnets fill and prune,
// short immunity and rate limits, and registration prices the simulation
// accounts can pay.
func RandomHyperparams(r *rand.Rand) types.Hyperparams {
	maxUIDs := between(r, 2, 24)
	alphaLow := edgy(r, 1, types.U16Max)
	minBurn := int64(between(r, 1, 1_000_000))
	return types.Hyperparams{
		Tempo:                    uint32(between(r, 1, maxSimTempo)),
		Kappa:                    uint32(edgy(r, 0, types.U16Max)),
		BondsMovingAverage:       uint64(edgy(r, 0, 1_000_000)),
		BondsPenalty:             uint32(edgy(r, 0, types.U16Max)),
		ImmunityPeriod:           uint64(between(r, 0, 100)),
		MaxAllowedUids:           uint32(maxUIDs),
		MaxAllowedValidators:     uint32(between(r, 1, maxUIDs)),
		MinAllowedWeights:        uint32(between(r, 0, min(maxUIDs, 4))),
		MaxWeightLimit:           uint32(between(r, types.U16Max/4, types.U16Max)),
		WeightsRateLimit:         uint64(between(r, 0, 20)),
		ActivityCutoff:           uint64(edgy(r, 1, 5_000)),
		CommitReveal:             r.Intn(2) == 0,
		RevealPeriod:             uint64(between(r, 1, 3)),
		LiquidAlpha:              r.Intn(2) == 0,
		AlphaLow:                 uint32(alphaLow),
		AlphaHigh:                uint32(edgy(r, alphaLow, types.U16Max)),
		AlphaSigmoidSteepness:    uint64(edgy(r, 1, 32_767)),
		Yuma3:                    r.Intn(2) == 0,
		WeightsVersionKey:        uint64(between(r, 0, 2)),
		ServingRateLimit:         uint64(between(r, 0, 50)),
		MinBurn:                  math.NewInt(minBurn),
		MaxBurn:                  math.NewInt(minBurn * int64(between(r, 1, 10_000))),
		BurnHalfLife:             uint64(between(r, 1, 500)),
		BurnIncreaseBps:          uint32(between(r, 10_000, 20_000)),
		MaxRegistrationsPerBlock: uint32(between(r, 1, 4)),
		ModelDownload:            r.Intn(2) == 0,
	}
}

// supplyMultiple returns max_supply over block_emission. The first halving
// comes after multiple/2 blocks and each later one multiple/2 blocks after
// it: one time in four every 1,000 to 10,000 blocks, so that long runs
// halve, else rarely within a run. Governance proposals may also cap the
// supply within a few hundred blocks (MsgUpdateParamsFactory), but the SDK's
// gov simulation schedules votes for only 1% of proposals, so they seldom
// pass: the cap itself is tested in the keeper tests.
func supplyMultiple(r *rand.Rand) int64 {
	if r.Intn(4) == 0 {
		return int64(between(r, 2_000, 20_000))
	}
	return int64(between(r, 20_000, 1_000_000))
}

// validatorShare returns validator_share_bps: one time in twenty all of the
// emission goes to the CometBFT validators (the subnets get nothing), else
// at most 90%, the ends of that range one time in ten each.
func validatorShare(r *rand.Rand) uint32 {
	if r.Intn(20) == 0 {
		return 10_000
	}
	return uint32(edgy(r, 0, 9_000))
}

// maxSimTempo is the longest tempo simulated subnets get.
const maxSimTempo = 40

// RandomParams returns valid module params: a lock the accounts can afford,
// few subnets, an emission that flows through a long run and sometimes
// halves within it (supplyMultiple), and a small max_epochs_per_block and
// an epoch work budget from one to three default-size epochs, so that
// deferred epochs happen.
func RandomParams(r *rand.Rand) types.Params {
	emission := int64(edgy(r, 1, 10_000_000))
	hp := RandomHyperparams(r)
	work := types.EpochWorkBound(hp.MaxAllowedUids)
	p := types.Params{
		SubnetLockCost:        math.NewInt(int64(edgy(r, 0, 1_000_000_000))),
		MaxSubnets:            uint32(between(r, 3, 12)),
		MaxDelegateTake:       uint32(edgy(r, 0, types.U16Max)),
		DelegateTakeRateLimit: uint64(between(r, 0, 200)),
		DefaultHyperparams:    hp,
		BlockEmission:         math.NewInt(emission),
		MaxSupply:             math.NewInt(emission).MulRaw(supplyMultiple(r)),
		ValidatorShareBps:     validatorShare(r),
		OwnerCutBps:           uint32(edgy(r, 0, 10_000)),
		MaxEpochsPerBlock:     uint32(between(r, 1, 4)),
		MinTempo:              1,
		MaxTempo:              maxSimTempo,
		MaxEpochWorkPerBlock:  work + uint64(between(r, 0, int(2*work))),
		WeightsGasPerEntry:    uint64(between(r, 0, 200)),
		// short stake delays, so that warm-up, unbonding and cancels all
		// happen within a run
		StakeWarmupBlocks: uint64(between(r, 1, 60)),
		UnbondingBlocks:   uint64(between(r, 1, 100)),
		StakeRateLimit:    uint64(edgy(r, 0, 20)),
	}
	// the warm-up must cover the longest tempo
	p.StakeWarmupBlocks = max(p.StakeWarmupBlocks, uint64(p.MaxTempo))
	return p
}

// tasks are the task specs simulated subnets choose from.
var tasks = []types.TaskSpec{
	{
		Kind:    "digits-classification",
		Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
		Scoring: "accuracy",
	},
	{
		Kind:    "text-embedding",
		Inputs:  []types.TensorSpec{{Name: "tokens", Dtype: "int64", Shape: []int64{-1, -1}}},
		Outputs: []types.TensorSpec{{Name: "embedding", Dtype: "float32", Shape: []int64{-1, 384}}},
		Scoring: "cosine",
	},
}

// randomTask returns one of the simulated task specs.
func randomTask(r *rand.Rand) types.TaskSpec {
	return tasks[r.Intn(len(tasks))]
}

// RandomizedGenState writes a random x/subnet genesis: random params and up
// to three subnets owned by simulation accounts, the first with a few
// neurons. Genesis subnets lock nothing and nothing is staked, so the
// module account starts empty, as the invariants require.
func RandomizedGenState(simState *module.SimulationState) {
	r := simState.Rand
	gs := types.DefaultGenesis()
	gs.Params = RandomParams(r)
	accs := simState.Accounts
	for i := range r.Intn(4) {
		netuid := uint32(i + 1)
		hp := RandomHyperparams(r)
		gs.Subnets = append(gs.Subnets, types.Subnet{
			Netuid:      netuid,
			Owner:       accs[r.Intn(len(accs))].AddressBech32,
			Name:        fmt.Sprintf("genesis-%d", netuid),
			Task:        randomTask(r),
			Hyperparams: hp,
			Locked:      math.ZeroInt(),
		})
		gs.Burns = append(gs.Burns, types.SubnetBurn{Netuid: netuid, State: types.BurnState{Price: hp.MinBurn}})
		gs.NextNetuid = netuid + 1
	}
	if len(gs.Subnets) > 0 && len(accs) >= 4 {
		genesisNeurons(r, gs, accs)
	}
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}

// genesisNeurons registers a few hotkeys in the first genesis subnet, each
// owned by a different coldkey. UIDs are dense from 0, as the epoch needs.
func genesisNeurons(r *rand.Rand, gs *types.GenesisState, accs []simtypes.Account) {
	s := gs.Subnets[0]
	n := min(between(r, 0, 4), int(s.Hyperparams.MaxAllowedUids), len(accs)/2)
	perm := r.Perm(len(accs))
	for uid := range n {
		hot, cold := accs[perm[2*uid]].AddressBech32, accs[perm[2*uid+1]].AddressBech32
		gs.Neurons = append(gs.Neurons, types.Neuron{
			Netuid: s.Netuid, Uid: uint32(uid), Hotkey: hot, Coldkey: cold,
			LastEpoch: types.EpochResult{Emission: math.ZeroInt()},
		})
		gs.HotkeyOwners = append(gs.HotkeyOwners, types.HotkeyOwner{Hotkey: hot, Coldkey: cold})
	}
}
