package keeper_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// epochRun is one EventEpoch as EndBlocker emitted it.
type epochRun struct {
	netuid        uint32
	height, due   int64
	work, neurons uint64
}

// epochRuns parses the EventEpoch events emitted so far.
func (e *env) epochRuns() []epochRun {
	var runs []epochRun
	for _, ev := range e.Ctx.EventManager().Events() {
		if ev.Type != "tensorcosm.subnet.v1.EventEpoch" {
			continue
		}
		var r epochRun
		for _, a := range ev.Attributes {
			v := strings.Trim(a.Value, `"`)
			switch a.Key {
			case "netuid":
				n, _ := strconv.ParseUint(v, 10, 32)
				r.netuid = uint32(n)
			case "height":
				r.height, _ = strconv.ParseInt(v, 10, 64)
			case "due_height":
				r.due, _ = strconv.ParseInt(v, 10, 64)
			case "work":
				r.work, _ = strconv.ParseUint(v, 10, 64)
			case "neurons":
				r.neurons, _ = strconv.ParseUint(v, 10, 64)
			}
		}
		runs = append(runs, r)
	}
	return runs
}

func (e *env) setParams(edit func(*types.Params)) {
	e.t.Helper()
	p, err := e.Keeper.Params.Get(e.Ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	edit(&p)
	if err := e.Keeper.Params.Set(e.Ctx, p); err != nil {
		e.t.Fatal(err)
	}
}

// TestCreateSubnetGovOnlyLimits is attack 2's first half: an account could
// create a 4096-UID subnet with 4096 validator permits, min_burn 1 and tempo
// 1, bounds an owner may not update to. Now an account is held to the
// default hyperparameters' size and price and everyone to the tempo range;
// only the authority may create a bigger or cheaper subnet.
func TestCreateSubnetGovOnlyLimits(t *testing.T) {
	attack := func(h *types.Hyperparams) {
		h.MaxAllowedUids, h.MaxAllowedValidators, h.MinBurn, h.Tempo = 4096, 4096, math.OneInt(), types.DefaultMinTempo
	}
	cases := []struct {
		name    string
		byGov   bool
		edit    func(*types.Hyperparams)
		want    error
		mention string
	}{
		{"account: 4096 x 4096, min_burn 1", false, attack, types.ErrGovOnlyHyperparam, "[max_allowed_uids max_allowed_validators min_burn]"},
		{"account: more validator permits", false, func(h *types.Hyperparams) { h.MaxAllowedValidators = 65 }, types.ErrGovOnlyHyperparam, "max_allowed_validators"},
		{"account: longer immunity", false, func(h *types.Hyperparams) { h.ImmunityPeriod++ }, types.ErrGovOnlyHyperparam, "immunity_period"},
		{"account: tempo 1", false, func(h *types.Hyperparams) { h.Tempo = 1 }, types.ErrInvalidHyperparams, "min_tempo 4"},
		{"account: tempo above max_tempo", false, func(h *types.Hyperparams) { h.Tempo = types.DefaultMaxTempo + 1 }, types.ErrInvalidHyperparams, "max_tempo 1000"},
		{"gov: tempo 1", true, func(h *types.Hyperparams) { h.Tempo = 1 }, types.ErrInvalidHyperparams, "min_tempo 4"},
		{"account: smaller and dearer", false, func(h *types.Hyperparams) {
			h.MaxAllowedUids, h.MaxAllowedValidators, h.ImmunityPeriod, h.MinBurn = 128, 16, 100, h.MinBurn.MulRaw(2)
		}, nil, ""},
		{"gov: 4096 x 4096, min_burn 1", true, attack, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			creator := e.account("creator")
			if tc.byGov {
				creator = e.Authority
				e.Bank.Fund(mustAddr(e, creator), coins(1_000_000_000_000))
			}
			hp := types.DefaultHyperparams()
			tc.edit(&hp)
			_, err := e.Msgs.CreateSubnet(e.Ctx, &types.MsgCreateSubnet{Creator: creator, Name: "x", Task: digitsTask(), Hyperparams: &hp})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			expectErr(t, err, tc.want, tc.mention)
		})
	}
}

// TestUpdateHyperparamsTempoBounds: the owner cannot update its way below
// min_tempo or above max_tempo, nor can the authority.
func TestUpdateHyperparamsTempoBounds(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	netuid := e.createSubnet(owner, nil)
	for _, signer := range []string{owner, e.Authority} {
		for _, tempo := range []uint32{types.DefaultMinTempo - 1, types.DefaultMaxTempo + 1} {
			hp := types.DefaultHyperparams()
			hp.Tempo = tempo
			_, err := e.Msgs.UpdateSubnetHyperparams(e.Ctx, &types.MsgUpdateSubnetHyperparams{Signer: signer, Netuid: netuid, Hyperparams: hp})
			expectErr(t, err, types.ErrInvalidHyperparams, fmt.Sprintf("got %d", tempo))
		}
	}
	hp := types.DefaultHyperparams()
	hp.Tempo = types.DefaultMinTempo
	if _, err := e.Msgs.UpdateSubnetHyperparams(e.Ctx, &types.MsgUpdateSubnetHyperparams{Signer: owner, Netuid: netuid, Hyperparams: hp}); err != nil {
		t.Fatalf("tempo at min_tempo refused: %v", err)
	}
}

// TestParamsEpochBounds: params whose budget cannot fit one default-size
// epoch, or whose tempo range excludes the default tempo, are refused.
func TestParamsEpochBounds(t *testing.T) {
	cases := []struct {
		name string
		edit func(*types.Params)
	}{
		{"budget below a default-size epoch", func(p *types.Params) { p.MaxEpochWorkPerBlock = types.EpochWorkBound(256) - 1 }},
		{"min_tempo 0", func(p *types.Params) { p.MinTempo = 0 }},
		{"min_tempo above max_tempo", func(p *types.Params) { p.MinTempo, p.MaxTempo = 50, 40 }},
		{"default tempo above max_tempo", func(p *types.Params) { p.MaxTempo = 99 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := types.DefaultParams()
			tc.edit(&p)
			if err := p.Validate(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestEpochQueueIsFair is attack 6: 16 tempo-1 subnets (netuids 1-16,
// allowed here by setting min_tempo 1, as governance could) fill every
// block's epoch slots. On the old scheduler (lowest netuid first, 8 per
// block) netuid 17 ran no epoch in 200 blocks and piled up 180M utensor of
// pending emission. Queued oldest due first, netuid 17 runs every epoch it
// is due within ceil(17/8) = 3 blocks, and its pending emission stays within
// what 14 blocks mint.
func TestEpochQueueIsFair(t *testing.T) {
	e := newEnv(t)
	e.setParams(func(p *types.Params) { p.MinTempo = 1 })
	owner := e.account("owner")
	fast := types.DefaultHyperparams()
	fast.Tempo = 1
	for i := 0; i < 16; i++ {
		e.createSubnet(owner, &fast)
	}
	slow := types.DefaultHyperparams()
	slow.Tempo = 10
	netuid := e.createSubnet(owner, &slow)
	if netuid != 17 {
		t.Fatalf("netuid %d, want 17", netuid)
	}
	hot := e.key("hot")
	e.register(e.account("cold"), hot, netuid)
	if _, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: e.account("s"), Hotkey: hot, Amount: math.NewInt(1_000_000)}); err != nil {
		t.Fatal(err)
	}
	start := e.Ctx.BlockHeight()
	perBlock := types.DefaultParams().BlockEmission.MulRaw(9).QuoRaw(10) // all of it goes to the only staked subnet
	maxPending := math.ZeroInt()
	for i := 0; i < 200; i++ {
		e.step()
		if p, _ := e.Keeper.Pending(e.Ctx, netuid); p.GT(maxPending) {
			maxPending = p
		}
	}
	var due int
	for h := start + 1; h <= e.Ctx.BlockHeight(); h++ {
		if types.IsEpochBlock(netuid, slow.Tempo, h) {
			due++
		}
	}
	var ran int
	perHeight := map[int64]int{}
	for _, r := range e.epochRuns() {
		perHeight[r.height]++
		if r.netuid != netuid {
			continue
		}
		ran++
		if r.height-r.due > 2 || !types.IsEpochBlock(netuid, slow.Tempo, r.due) {
			t.Errorf("netuid 17's epoch due at %d ran at %d", r.due, r.height)
		}
	}
	for h, n := range perHeight {
		if n > 8 {
			t.Errorf("block %d ran %d epochs, max_epochs_per_block is 8", h, n)
		}
	}
	if ran < due-1 || ran == 0 {
		t.Errorf("netuid 17 ran %d epochs in 200 blocks, %d were due", ran, due)
	}
	if bound := perBlock.MulRaw(int64(slow.Tempo) + 1 + 3); maxPending.GT(bound) {
		t.Errorf("netuid 17's pending emission reached %s, above %s (14 blocks of emission)", maxPending, bound)
	}
	t.Logf("netuid 17: %d of %d due epochs ran; pending emission peaked at %s utensor", ran, due, maxPending)
}

// TestEpochWorkStaysUnderBudget is attack 2's second half: before, up to 8
// epochs ran per block whatever their size (4,096 validators x 4,096-entry
// rows: 5.7-12.3 s per epoch). Now six of the biggest subnets an account
// may create, all with full rows on every UID and all due at once, run
// oldest due first within max_epoch_work_per_block: every block's charged
// work stays within the budget (or is one epoch), each epoch is charged
// its estimate, and all six run within ceil(6 x estimate / budget) blocks.
func TestEpochWorkStaysUnderBudget(t *testing.T) {
	const subnets = 6
	e := newEnv(t)
	gs := budgetGenesis(t, e.SubnetFixture, subnets, 256)
	for netuid := uint32(1); netuid <= subnets; netuid++ {
		gs.DueEpochs = append(gs.DueEpochs, netuid)
	}
	if err := e.Keeper.InitGenesis(e.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	e.Bank.Fund(moduleAddress(), coins(2_000_000_000_000))
	estimate, err := e.Keeper.EpochWorkEstimate(e.Ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 256 UIDs + 64 permit slots x ValidatorWork + 256 rows of 256 entries
	if want := uint64(256 + 64*types.ValidatorWork + 256*256); estimate != want {
		t.Fatalf("estimate %d, want %d", estimate, want)
	}
	budget := types.DefaultParams().MaxEpochWorkPerBlock
	perBlock := budget / estimate
	blocks := (subnets + perBlock - 1) / perBlock
	for h := int64(20); h < 20+int64(blocks); h++ { // no subnet is due by tempo at these heights
		e.SetHeight(h)
		if err := e.Keeper.EndBlocker(e.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	work, count := map[int64]uint64{}, map[int64]int{}
	var order []uint32
	for _, r := range e.epochRuns() {
		if r.work != estimate {
			t.Errorf("netuid %d charged %d work units, its estimate is %d", r.netuid, r.work, estimate)
		}
		work[r.height] += r.work
		count[r.height]++
		order = append(order, r.netuid)
	}
	for h, w := range work {
		if w > budget && count[h] > 1 {
			t.Errorf("block %d ran %d epochs charging %d work units, budget %d", h, count[h], w, budget)
		}
	}
	if fmt.Sprint(order) != "[1 2 3 4 5 6]" {
		t.Errorf("epochs ran in order %v, want queue order [1 2 3 4 5 6]", order)
	}
	if has, _ := e.Keeper.DueEpochs.Has(e.Ctx, subnets); has {
		t.Error("the last subnet is still queued")
	}
	t.Logf("estimate %d per epoch, budget %d: %d epochs per block over %d blocks", estimate, budget, perBlock, blocks)
}

// TestEpochWorkCounter: EpochWork follows weight sets and dissolve, the
// estimate adds UIDs and permit slots, and CheckDerivedState catches a
// counter that disagrees with the stored rows (the epoch tests check it
// after every block, bonds writes included).
func TestEpochWorkCounter(t *testing.T) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.CommitReveal, hp.WeightsRateLimit, hp.MaxRegistrationsPerBlock = false, 0, 8
	owner := e.account("owner")
	netuid := e.createSubnet(owner, &hp)
	hots := []string{e.key("a"), e.key("b"), e.key("c")}
	for _, h := range hots {
		e.register(e.account("cold-"+h), h, netuid)
	}
	// a non-permit neuron may set only a self-weight: one entry
	if _, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: hots[1], Netuid: netuid, Uids: []uint32{1}, Values: []uint32{1}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.Keeper.EpochWork.Get(e.Ctx, netuid); got != 1 {
		t.Fatalf("EpochWork %d after a 1-entry row, want 1", got)
	}
	if err := e.Keeper.CheckDerivedState(e.Ctx); err != nil {
		t.Fatal(err)
	}
	estimate, err := e.Keeper.EpochWorkEstimate(e.Ctx, netuid)
	if want := uint64(3 + 3*types.ValidatorWork + 1); err != nil || estimate != want {
		t.Fatalf("estimate %d (%v), want 3 UIDs + 3 permit slots + 1 entry = %d", estimate, err, want)
	}
	if err := e.Keeper.EpochWork.Set(e.Ctx, netuid, 7); err != nil {
		t.Fatal(err)
	}
	if err := e.Keeper.CheckDerivedState(e.Ctx); err == nil || !strings.Contains(err.Error(), "EpochWork 7 != 1") {
		t.Fatalf("damaged counter: got %v", err)
	}
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: netuid}); err != nil {
		t.Fatal(err)
	}
	if has, _ := e.Keeper.EpochWork.Has(e.Ctx, netuid); has {
		t.Error("EpochWork of a dissolved subnet still stored")
	}
	if err := e.Keeper.CheckDerivedState(e.Ctx); err != nil {
		t.Error(err)
	}
}
