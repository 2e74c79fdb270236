package subnet

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// The subnet of TestYumaEpochsOnNetwork: validators first, so V1, V2, A, B, C are
// UIDs 0 to 4 (they register in this order).
var (
	integrationNeurons = []string{"v1", "v2", "a", "b", "c"}
	integrationMiners  = []uint32{2, 3, 4}
	// integrationWeights are the rows V1 and V2 commit and reveal over A, B, C. Both
	// favour A; V2 (the minority) puts more on C than V1, so consensus clips it there.
	integrationWeights = map[string][]uint32{"v1": {65535, 20000, 5000}, "v2": {65535, 5000, 30000}}
)

// TestYumaEpochsOnNetwork is the acceptance test, on an in-process network
// with real signed transactions: a subnet (tempo 10, commit-reveal on) with validators
// V1 and V2 (stake 3,000,001 from its coldkey and a delegator, and 1,000,000) and
// miners A, B and C. After the first epoch hands out the permits, V1 and V2 commit
// their weights, and reveal them in the next subnet epoch. For each of the two epochs
// that follow the reveal it checks that
//   - A has the highest incentive, V1 earns more dividends than V2, and the dividends
//     are what the stored bonds and incentives give; trust is 1 except on C, where V2
//     was clipped;
//   - the results in state (permits, consensus, trust, validator trust, rank,
//     incentive, dividends as u16, bonds exactly, emission) are what `tensorcosmd yuma
//     simulate` prints for a scenario built from the chain's own inputs before the
//     first of the two epochs;
//   - every account moved by exactly its share: the owner's cut to the owner, each
//     miner's emission to its coldkey, each validator's take to its coldkey and the
//     rest to the stakers of its hotkey pro rata (rounded down), with the rounding
//     dust, and nothing else, left pending.
func TestYumaEpochsOnNetwork(t *testing.T) {
	h := newHarnessWith(t, 150*time.Millisecond)
	names := []string{"owner", "delegator"}
	for _, n := range integrationNeurons {
		names = append(names, "cold-"+n, "hot-"+n)
	}
	h.newAccounts(10_000_000_000, names...)

	hp := types.DefaultHyperparams()
	require.True(t, hp.CommitReveal, "commit-reveal is on by default")
	hp.Tempo, hp.WeightsRateLimit, hp.MaxRegistrationsPerBlock = 10, 0, uint32(len(integrationNeurons))
	h.exec([]string{"owner"}, &types.MsgCreateSubnet{Creator: h.addrs["owner"], Name: "digits", Task: integrationTask(), Hyperparams: &hp})
	const netuid = 1
	staked := h.registerAndStake(netuid)

	// the first epoch once the stake has warmed up hands out the validator
	// permits, by stake
	h.waitFor(types.NextEpochBlock(netuid, hp.Tempo, staked+int64(h.params().StakeWarmupBlocks)))
	permits := h.snapshotAt(h.height(), netuid, nil)
	for uid, n := range permits.neurons {
		require.Equal(t, uid < 2, n.Neuron.ValidatorPermit, "uid %d permit", uid)
	}

	// commit now; reveal once the next subnet epoch has begun
	committed := h.exec([]string{"hot-v1", "hot-v2"}, h.weightMsgs(netuid, true)...)
	revealEpoch := types.NextEpochBlock(netuid, hp.Tempo, committed.Height+1)
	h.waitFor(revealEpoch)
	revealed := h.exec([]string{"hot-v1", "hot-v2"}, h.weightMsgs(netuid, false)...)
	epochs := []int64{types.NextEpochBlock(netuid, hp.Tempo, revealed.Height+1)}
	epochs = append(epochs, epochs[0]+int64(hp.Tempo)+1)
	h.waitFor(epochs[1])

	pre := []snapshot{h.snapshotAt(epochs[0]-1, netuid, names), h.snapshotAt(epochs[1]-1, netuid, names)}
	post := []snapshot{h.snapshotAt(epochs[0], netuid, names), h.snapshotAt(epochs[1], netuid, names)}
	for uid, n := range pre[0].neurons {
		if uid < 2 {
			require.Equal(t, committed.Height, n.Neuron.LastUpdate, "a revealed row dates from its commit")
			require.Len(t, pre[0].weights[uint32(uid)].Entries, len(integrationMiners))
		}
		// nothing but stake changes between the two epochs: the scenario relies on it
		later := pre[1].neurons[uid].Neuron
		require.Equal(t, n.Neuron.LastUpdate, later.LastUpdate)
		require.Equal(t, n.Neuron.RegistrationBlock, later.RegistrationBlock)
		require.Equal(t, pre[0].weights[uint32(uid)], pre[1].weights[uint32(uid)])
	}

	events := make([]epochEvents, len(epochs))
	emissions := make([]uint64, len(epochs))
	for k, height := range epochs {
		events[k] = h.epochEventsAt(height, netuid)
		checkEpochEmission(t, h.params(), pre[k], post[k], events[k].epoch)
		emissions[k] = mustInt(t, events[k].epoch.Emission).Sub(mustInt(t, events[k].epoch.OwnerCut)).Uint64()
	}
	scenario := scenarioFrom(t, pre, emissions)
	t.Logf("scenario replayed by yuma simulate: %s", scenario)
	sim := yumaSimulate(t, scenario)
	require.Len(t, sim, len(epochs))
	for k := range epochs {
		t.Run(fmt.Sprintf("epoch at block %d", epochs[k]), func(t *testing.T) {
			require.Equal(t, epochs[k], sim[k].Block)
			checkRanking(t, post[k])
			checkMatchesSimulation(t, post[k], sim[k])
			checkDistribution(t, pre[k], post[k], events[k], sim[k])
		})
	}
}

func integrationTask() types.TaskSpec {
	return types.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
		Scoring: "accuracy",
	}
}

// registerAndStake registers the neurons in order, a few per transaction (each
// coldkey and hotkey signs; a transaction carries at most 7 signatures), then stakes
// on the validators, and returns the height of the stake.
func (h *harness) registerAndStake(netuid uint32) int64 {
	for chunk := range slices.Chunk(integrationNeurons, 3) {
		var msgs []sdk.Msg
		var signers []string
		for _, n := range chunk {
			msgs = append(msgs, &types.MsgRegister{Coldkey: h.addrs["cold-"+n], Hotkey: h.addrs["hot-"+n], Netuid: netuid, MaxBurn: math.NewInt(1_000_000_000)})
			signers = append(signers, "cold-"+n, "hot-"+n)
		}
		h.exec(signers, msgs...)
	}
	stake := func(staker, hotkey string, amount int64) sdk.Msg {
		return &types.MsgAddStake{Staker: h.addrs[staker], Hotkey: h.addrs[hotkey], Amount: math.NewInt(amount)}
	}
	// V1's stake is split between two stakers so that compounding rounds
	return h.exec([]string{"cold-v1", "delegator", "cold-v2"},
		stake("cold-v1", "hot-v1", 2_000_000), stake("delegator", "hot-v1", 1_000_001), stake("cold-v2", "hot-v2", 1_000_000)).Height
}

// weightMsgs returns V1's and V2's commits (commit) or reveals of integrationWeights.
func (h *harness) weightMsgs(netuid uint32, commit bool) []sdk.Msg {
	var msgs []sdk.Msg
	for _, v := range []string{"v1", "v2"} {
		hot, salt := h.addrs["hot-"+v], []byte("salt of "+v)
		if commit {
			hash := types.CommitHash(hot, netuid, integrationMiners, integrationWeights[v], salt, 0)
			msgs = append(msgs, &types.MsgCommitWeights{Hotkey: hot, Netuid: netuid, CommitHash: hash})
		} else {
			msgs = append(msgs, &types.MsgRevealWeights{Hotkey: hot, Netuid: netuid, Uids: integrationMiners, Values: integrationWeights[v], Salt: salt})
		}
	}
	return msgs
}

func (h *harness) waitFor(height int64) {
	h.t.Helper()
	_, err := h.net.WaitForHeightWithTimeout(height, time.Minute)
	require.NoError(h.t, err)
}

func (h *harness) params() types.Params {
	res, err := types.NewQueryClient(h.client.Conn()).Params(h.ctx, &types.QueryParamsRequest{})
	require.NoError(h.t, err)
	return res.Params
}

// epochEvents are the events of one subnet's epoch.
type epochEvents struct {
	epoch *types.EventEpoch
	dists map[uint32]*types.EventDistribution // by UID
}

// epochEventsAt reads the end-block events of height from CometBFT.
func (h *harness) epochEventsAt(height int64, netuid uint32) epochEvents {
	h.t.Helper()
	res, err := h.net.Validators[0].RPCClient.BlockResults(context.Background(), &height)
	require.NoError(h.t, err)
	out := epochEvents{dists: map[uint32]*types.EventDistribution{}}
	for _, ev := range res.FinalizeBlockEvents {
		if !strings.HasPrefix(ev.Type, "tensorcosm.subnet.v1.Event") {
			continue
		}
		// ParseTypedEvent reads every attribute as JSON; "mode" is added by the SDK
		ev.Attributes = slices.DeleteFunc(slices.Clone(ev.Attributes), func(a abci.EventAttribute) bool { return a.Key == "mode" })
		msg, err := sdk.ParseTypedEvent(ev)
		require.NoError(h.t, err)
		switch e := msg.(type) {
		case *types.EventEpoch:
			if e.Netuid == netuid {
				out.epoch = e
			}
		case *types.EventDistribution:
			if e.Netuid == netuid {
				out.dists[e.Uid] = e
			}
		}
	}
	require.NotNil(h.t, out.epoch, "no EventEpoch for subnet %d at block %d", netuid, height)
	return out
}

// checkEpochEmission: the epoch paid what was pending plus the subnet's share of its
// own block's emission, and the owner's cut of it.
func checkEpochEmission(t *testing.T, p types.Params, pre, post snapshot, ev *types.EventEpoch) {
	minted := post.issued.Sub(pre.issued)
	toSubnets := minted.Sub(minted.MulRaw(int64(p.ValidatorShareBps)).QuoRaw(10_000))
	emission := mustInt(t, ev.Emission)
	require.True(t, emission.Equal(pre.pending.Add(toSubnets)), "epoch emission %s, want pending %s + minted %s", emission, pre.pending, toSubnets)
	require.True(t, mustInt(t, ev.OwnerCut).Equal(emission.MulRaw(int64(p.OwnerCutBps)).QuoRaw(10_000)), "owner cut %s of %s", ev.OwnerCut, emission)
	require.True(t, post.pending.Equal(mustInt(t, ev.Dust)), "pending after the epoch %s, dust %s", post.pending, ev.Dust)
}

// checkRanking: A earns the most incentive, V1 more dividends than V2, the dividends
// are sum_j B_ij I_j with B the stored bonds normalised by column, and trust shows
// that only V2's weight on C was clipped.
func checkRanking(t *testing.T, post snapshot) {
	r := func(uid int) types.EpochResult { return post.neurons[uid].Neuron.LastEpoch }
	require.Greater(t, r(2).Incentive, r(3).Incentive, "A over B")
	require.Greater(t, r(2).Incentive, r(4).Incentive, "A over C")
	require.Greater(t, r(0).Dividends, r(1).Dividends, "V1 (3x the stake) over V2")
	require.Positive(t, r(1).Dividends)
	require.Equal(t, []uint32{types.U16Max, types.U16Max}, []uint32{r(2).Trust, r(3).Trust}, "nobody is clipped on A and B")
	require.Less(t, r(4).Trust, uint32(types.U16Max), "V2 is clipped on C")
	require.Positive(t, r(4).Trust)
	require.Equal(t, uint32(types.U16Max), r(0).ValidatorTrust, "V1 holds the majority: its row is consensus")
	require.Less(t, r(1).ValidatorTrust, uint32(types.U16Max))

	n := len(post.neurons)
	colSum := make([]float64, n)
	for _, row := range post.bonds {
		for _, e := range row.Entries {
			colSum[e.Uid] += float64(e.Value)
		}
	}
	div := make([]float64, n)
	total := 0.0
	for i, row := range post.bonds {
		for _, e := range row.Entries {
			div[i] += float64(e.Value) / colSum[e.Uid] * float64(r(int(e.Uid)).Incentive) / types.U16Max
		}
		total += div[i]
	}
	for i := range n {
		require.InDelta(t, div[i]/total, float64(r(i).Dividends)/types.U16Max, 1e-4, "uid %d dividends against bonds x incentive", i)
	}
}

// checkMatchesSimulation compares every stored result with the simulator's output:
// fractions after the keeper's u16 quantisation, bonds and emission exactly.
func checkMatchesSimulation(t *testing.T, post snapshot, sim simEpoch) {
	for uid, info := range post.neurons {
		n, r := info.Neuron, info.Neuron.LastEpoch
		require.Equal(t, sim.ValidatorPermit[uid], n.ValidatorPermit, "uid %d permit", uid)
		for _, f := range []struct {
			name    string
			printed []json.Number
			stored  uint32
		}{
			{"consensus", sim.Consensus, r.Consensus}, {"trust", sim.Trust, r.Trust},
			{"validator_trust", sim.ValidatorTrust, r.ValidatorTrust}, {"rank", sim.Rank, r.Rank},
			{"incentive", sim.Incentive, r.Incentive}, {"dividends", sim.Dividends, r.Dividends},
		} {
			lo, hi := quantised(t, f.printed[uid])
			require.LessOrEqual(t, hi-lo, uint32(1))
			require.True(t, lo <= f.stored && f.stored <= hi, "uid %d %s: stored %d, simulated %s (u16 %d..%d)", uid, f.name, f.stored, f.printed[uid], lo, hi)
		}
		require.Equal(t, sim.Emission[uid].String(), r.Emission.String(), "uid %d emission", uid)
		dense := make([]string, len(post.neurons))
		for j := range dense {
			dense[j] = "0"
		}
		for _, e := range post.bonds[uint32(uid)].Entries {
			dense[e.Uid] = yuma.Fixed(e.Value).Decimal(yuma.JSONPlaces)
		}
		printed := make([]string, len(sim.Bonds[uid]))
		for j, b := range sim.Bonds[uid] {
			printed[j] = b.String()
		}
		require.Equal(t, printed, dense, "uid %d bonds", uid)
	}
}

// checkDistribution follows each UID's simulated emission to the accounts: a miner's
// to its coldkey; a validator's take to its coldkey and the rest to its hotkey's
// stakers, floor(rest * stake / total) each; the owner's cut to the owner. Every
// account's balance plus stake moved by exactly that, and what the stakers' rounding
// left is the dust that stayed pending.
func checkDistribution(t *testing.T, pre, post snapshot, ev epochEvents, sim simEpoch) {
	want := map[string]math.Int{}
	for name := range pre.balances {
		want[name] = math.ZeroInt()
	}
	want["owner"] = mustInt(t, ev.epoch.OwnerCut)
	dust := math.ZeroInt()
	for uid, info := range pre.neurons {
		name := integrationNeurons[uid]
		amount := mustInt(t, sim.Emission[uid].String())
		dist := ev.dists[uint32(uid)]
		require.Equal(t, amount.IsPositive(), dist != nil, "uid %d: a distribution event exactly when paid", uid)
		if uid >= 2 { // a miner: no permit, so no dividends; all of it is incentive
			require.Equal(t, "0", sim.Dividends[uid].String())
			want["cold-"+name] = amount
			if dist != nil {
				require.Equal(t, []string{amount.String(), "0", "0"}, []string{dist.Miner, dist.Take, dist.Staked}, "uid %d distribution event", uid)
			}
			continue
		}
		require.Equal(t, "0", sim.Incentive[uid].String(), "nobody weights a validator")
		take := amount.MulRaw(int64(info.DelegateTake)).QuoRaw(types.U16Max)
		rest := amount.Sub(take)
		want["cold-"+name] = take
		staked := math.ZeroInt()
		for _, staker := range stakersOf(name) {
			share := rest.Mul(pre.staked[staker]).Quo(info.Stake)
			want[staker] = want[staker].Add(share)
			staked = staked.Add(share)
		}
		dust = dust.Add(rest.Sub(staked))
		require.Equal(t, []string{"0", take.String(), staked.String()}, []string{dist.Miner, dist.Take, dist.Staked}, "uid %d distribution event", uid)
	}
	paid := math.ZeroInt()
	for name, w := range want {
		got := post.balances[name].Sub(pre.balances[name]).Add(post.staked[name].Sub(pre.staked[name]))
		require.True(t, got.Equal(w), "%s: balance + stake moved by %s, want %s", name, got, w)
		paid = paid.Add(got)
	}
	require.True(t, dust.Equal(mustInt(t, ev.epoch.Dust)), "dust %s, event says %s", dust, ev.epoch.Dust)
	require.True(t, paid.Add(dust).Equal(mustInt(t, ev.epoch.Emission)), "paid %s + dust %s != emission %s", paid, dust, ev.epoch.Emission)
}

// stakersOf names the accounts staked on a validator's hotkey.
func stakersOf(validator string) []string {
	if validator == "v1" {
		return []string{"cold-v1", "delegator"}
	}
	return []string{"cold-" + validator}
}
