package keeper_test

import (
	"bytes"
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// weightsEnv is a subnet with 4 neurons (uid 0 a validator with a permit),
// past the rate limit, with commit-reveal set as asked.
func weightsEnv(t *testing.T, commitReveal bool) (*env, uint32, []string) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.CommitReveal = commitReveal
	hp.MaxRegistrationsPerBlock = 8
	hp.WeightsRateLimit = 5
	hp.MinAllowedWeights = 2
	hp.Tempo = 10
	netuid := e.createSubnet(e.account("owner"), &hp)
	var hots []string
	for i := 0; i < 4; i++ {
		hot := e.key(string(rune('a' + i)))
		e.register(e.account("cold"), hot, netuid)
		hots = append(hots, hot)
	}
	n, err := e.Keeper.Neurons.Get(e.Ctx, collections.Join(netuid, uint32(0)))
	if err != nil {
		t.Fatal(err)
	}
	n.ValidatorPermit = true
	if err := e.Keeper.Neurons.Set(e.Ctx, collections.Join(netuid, uint32(0)), n); err != nil {
		t.Fatal(err)
	}
	e.SetHeight(e.Ctx.BlockHeight() + 10)
	return e, netuid, hots
}

func TestSetWeightsStoresUpscaledRow(t *testing.T) {
	e, netuid, hots := weightsEnv(t, false)
	_, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: hots[0], Netuid: netuid, Uids: []uint32{3, 1, 2}, Values: []uint32{100, 50, 0}})
	if err != nil {
		t.Fatal(err)
	}
	row, err := e.Keeper.Weights.Get(e.Ctx, collections.Join(netuid, uint32(0)))
	if err != nil {
		t.Fatal(err)
	}
	// sorted by uid, zero dropped, max scaled to 65535: 50/100*65535 = 32767
	want := []types.WeightEntry{{Uid: 1, Value: 32767}, {Uid: 3, Value: 65535}}
	if len(row.Entries) != 2 || row.Entries[0] != want[0] || row.Entries[1] != want[1] {
		t.Fatalf("row: got %+v, want %+v", row.Entries, want)
	}
	n, _ := e.Keeper.Neurons.Get(e.Ctx, collections.Join(netuid, uint32(0)))
	if n.LastUpdate != e.Ctx.BlockHeight() {
		t.Errorf("last update: got %d, want %d", n.LastUpdate, e.Ctx.BlockHeight())
	}
	// a neuron without a permit may weight itself only
	if _, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: hots[2], Netuid: netuid, Uids: []uint32{2}, Values: []uint32{1}}); err != nil {
		t.Errorf("self-weight without permit: %v", err)
	}
}

func TestSetWeightsRejections(t *testing.T) {
	cases := []struct {
		name  string
		msg   func(netuid uint32, hots []string) *types.MsgSetWeights
		setup func(e *env, netuid uint32)
		want  error
		text  string
	}{
		{"lengths differ", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{1}}
		}, nil, types.ErrInvalidWeights, "2 uids but 1 values"},
		{"unregistered sender", func(n uint32, _ []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: sdk.MustBech32ifyAddressBytes("tensor", make([]byte, 20)), Netuid: n, Uids: []uint32{1}, Values: []uint32{1}}
		}, nil, types.ErrHotkeyNotRegistered, "in subnet 1"},
		{"unknown subnet", func(_ uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: 9, Uids: []uint32{1}, Values: []uint32{1}}
		}, nil, types.ErrSubnetNotFound, "netuid 9"},
		{"old version key", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{1, 1}, VersionKey: 1}
		}, func(e *env, n uint32) { setHP(e, n, func(hp *types.Hyperparams) { hp.WeightsVersionKey = 2 }) }, types.ErrVersionKey, "version_key 1 < the subnet's 2"},
		{"rate limit", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{1, 1}}
		}, func(e *env, n uint32) { setHP(e, n, func(hp *types.Hyperparams) { hp.WeightsRateLimit = 100 }) }, types.ErrWeightsRateLimit, "next allowed at"},
		{"no permit", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[1], Netuid: n, Uids: []uint32{0, 2}, Values: []uint32{1, 1}}
		}, nil, types.ErrNoValidatorPermit, "may only set a weight on itself"},
		{"duplicate uid", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 1}, Values: []uint32{1, 1}}
		}, nil, types.ErrInvalidWeights, "is repeated"},
		{"unknown uid", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 7}, Values: []uint32{1, 1}}
		}, nil, types.ErrInvalidWeights, "has 4 UIDs"},
		{"value above u16", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{70000, 1}}
		}, nil, types.ErrInvalidWeights, "not a u16"},
		{"too few weights", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{5, 0}}
		}, nil, types.ErrInvalidWeights, "min_allowed_weights is 2"},
		{"above max weight limit", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{90, 10}}
		}, func(e *env, n uint32) { setHP(e, n, func(hp *types.Hyperparams) { hp.MaxWeightLimit = 32768 }) }, types.ErrInvalidWeights, "max_weight_limit"},
		{"commit-reveal on", func(n uint32, h []string) *types.MsgSetWeights {
			return &types.MsgSetWeights{Hotkey: h[0], Netuid: n, Uids: []uint32{1, 2}, Values: []uint32{1, 1}}
		}, func(e *env, n uint32) { setHP(e, n, func(hp *types.Hyperparams) { hp.CommitReveal = true }) }, types.ErrCommitRevealEnabled, "subnet 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, netuid, hots := weightsEnv(t, false)
			if tc.setup != nil {
				tc.setup(e, netuid)
			}
			_, err := e.Msgs.SetWeights(e.Ctx, tc.msg(netuid, hots))
			expectErr(t, err, tc.want, tc.text)
		})
	}
}

// setHP changes a subnet's current hyperparameters directly (tests only).
func setHP(e *env, netuid uint32, f func(*types.Hyperparams)) {
	s, err := e.Keeper.GetSubnet(e.Ctx, netuid)
	if err != nil {
		e.t.Fatal(err)
	}
	f(&s.Hyperparams)
	if err := e.Keeper.Subnets.Set(e.Ctx, netuid, s); err != nil {
		e.t.Fatal(err)
	}
}

// TestCommitRevealWindow commits at some block and checks the reveal is
// refused before its epoch, accepted in it, and refused after it.
func TestCommitRevealWindow(t *testing.T) {
	uids, values, salt := []uint32{1, 2}, []uint32{3, 1}, []byte("pepper")
	for _, tc := range []struct {
		name   string
		offset int64 // blocks after the commit's epoch starts, as epochs of tempo+1 blocks
		want   error
	}{
		{"same epoch: too early", 0, types.ErrRevealTooEarly},
		{"next epoch: accepted", 11, nil},
		{"two epochs later: expired", 22, types.ErrCommitExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, netuid, hots := weightsEnv(t, true)
			hash := types.CommitHash(hots[0], netuid, uids, values, salt, 0)
			res, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash})
			if err != nil {
				t.Fatal(err)
			}
			commitBlock := e.Ctx.BlockHeight()
			if want := types.EpochIndex(netuid, 10, commitBlock) + 1; res.RevealEpoch != want {
				t.Fatalf("reveal epoch: got %d, want %d", res.RevealEpoch, want)
			}
			e.SetHeight(commitBlock + tc.offset)
			_, err = e.Msgs.RevealWeights(e.Ctx, &types.MsgRevealWeights{Hotkey: hots[0], Netuid: netuid, Uids: uids, Values: values, Salt: salt})
			if tc.want != nil {
				expectErr(t, err, tc.want, "epoch")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n, _ := e.Keeper.Neurons.Get(e.Ctx, collections.Join(netuid, uint32(0)))
			if n.LastUpdate != commitBlock {
				t.Errorf("last update after reveal: got %d, want the commit block %d", n.LastUpdate, commitBlock)
			}
			if _, err := e.Keeper.WeightCommits.Get(e.Ctx, collections.Join(netuid, uint32(0))); err == nil {
				t.Error("revealed commit still stored")
			}
			row, _ := e.Keeper.Weights.Get(e.Ctx, collections.Join(netuid, uint32(0)))
			if len(row.Entries) != 2 || row.Entries[0].Value != 65535 {
				t.Errorf("revealed row: %+v", row.Entries)
			}
		})
	}
}

func TestCommitRevealRejections(t *testing.T) {
	uids, values, salt := []uint32{1, 2}, []uint32{3, 1}, []byte("salt")
	t.Run("commit with commit-reveal off", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, false)
		_, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: make([]byte, 32)})
		expectErr(t, err, types.ErrCommitRevealDisabled, "subnet 1")
	})
	t.Run("bad hash length", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, true)
		_, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: []byte{1, 2}})
		expectErr(t, err, types.ErrInvalidWeights, "32 bytes")
	})
	t.Run("commit rate limit", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, true)
		if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: make([]byte, 32)}); err != nil {
			t.Fatal(err)
		}
		_, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: bytes.Repeat([]byte{1}, 32)})
		expectErr(t, err, types.ErrWeightsRateLimit, "next allowed")
	})
	t.Run("wrong salt does not match", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, true)
		hash := types.CommitHash(hots[0], netuid, uids, values, salt, 0)
		if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash}); err != nil {
			t.Fatal(err)
		}
		e.SetHeight(e.Ctx.BlockHeight() + 11)
		_, err := e.Msgs.RevealWeights(e.Ctx, &types.MsgRevealWeights{Hotkey: hots[0], Netuid: netuid, Uids: uids, Values: values, Salt: []byte("other")})
		expectErr(t, err, types.ErrNoMatchingCommit, "1 commits")
	})
	t.Run("another hotkey cannot reveal", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, true)
		hash := types.CommitHash(hots[0], netuid, uids, values, salt, 0)
		if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash}); err != nil {
			t.Fatal(err)
		}
		e.SetHeight(e.Ctx.BlockHeight() + 11)
		_, err := e.Msgs.RevealWeights(e.Ctx, &types.MsgRevealWeights{Hotkey: hots[1], Netuid: netuid, Uids: uids, Values: values, Salt: salt})
		expectErr(t, err, types.ErrNoMatchingCommit, "0 commits")
	})
	t.Run("revealed weights fail the checks", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, true)
		bad := []uint32{1, 9}
		hash := types.CommitHash(hots[0], netuid, bad, values, salt, 0)
		if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash}); err != nil {
			t.Fatal(err)
		}
		e.SetHeight(e.Ctx.BlockHeight() + 11)
		_, err := e.Msgs.RevealWeights(e.Ctx, &types.MsgRevealWeights{Hotkey: hots[0], Netuid: netuid, Uids: bad, Values: values, Salt: salt})
		expectErr(t, err, types.ErrInvalidWeights, "has 4 UIDs")
	})
	t.Run("too many commits", func(t *testing.T) {
		e, netuid, hots := weightsEnv(t, true)
		setHP(e, netuid, func(hp *types.Hyperparams) { hp.WeightsRateLimit = 0; hp.RevealPeriod = 100 })
		for i := 0; i < types.MaxWeightCommits; i++ {
			h := bytes.Repeat([]byte{byte(i)}, 32)
			if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: h}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: bytes.Repeat([]byte{99}, 32)})
		expectErr(t, err, types.ErrTooManyCommits, "10 unrevealed")
	})
}

// TestPrunedUIDLosesWeightsAndCommits checks a replaced UID starts without
// the old hotkey's weights and commits.
func TestPrunedUIDLosesWeightsAndCommits(t *testing.T) {
	e, netuid, hots := weightsEnv(t, true)
	hash := types.CommitHash(hots[0], netuid, []uint32{1, 2}, []uint32{1, 1}, nil, 0)
	if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash}); err != nil {
		t.Fatal(err)
	}
	key := collections.Join(netuid, uint32(0))
	if err := e.Keeper.Weights.Set(e.Ctx, key, types.WeightsRow{Entries: []types.WeightEntry{{Uid: 1, Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: e.account("owner"), Netuid: netuid}); err != nil {
		t.Fatal(err)
	}
	if has, _ := e.Keeper.Weights.Has(e.Ctx, key); has {
		t.Error("weights survived dissolution")
	}
	if has, _ := e.Keeper.WeightCommits.Has(e.Ctx, key); has {
		t.Error("commits survived dissolution")
	}
}

// TestEpochBoundaryDropsExpiredCommits commits, lets the reveal epoch pass,
// and checks the epoch-boundary work removes the stale commit.
func TestEpochBoundaryDropsExpiredCommits(t *testing.T) {
	e, netuid, hots := weightsEnv(t, true)
	if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	key := collections.Join(netuid, uint32(0))
	start := e.Ctx.BlockHeight()
	for h := start; h < start+40; h++ {
		e.SetHeight(h)
		if err := e.Keeper.EndBlocker(e.Ctx); err != nil {
			t.Fatal(err)
		}
		has, _ := e.Keeper.WeightCommits.Has(e.Ctx, key)
		expired := types.EpochIndex(netuid, 10, h) > types.EpochIndex(netuid, 10, start)+1
		if has && expired && types.IsEpochBlock(netuid, 10, h) {
			t.Fatalf("block %d: expired commit still stored after the epoch boundary", h)
		}
		if !has && !expired {
			t.Fatalf("block %d: commit dropped while still revealable", h)
		}
	}
	if has, _ := e.Keeper.WeightCommits.Has(e.Ctx, key); has {
		t.Fatal("commit never dropped")
	}
}
