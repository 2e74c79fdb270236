package keeper_test

import (
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

var goodModel = types.ModelCommitment{Sha256: strings.Repeat("ab", 32), Size_: 10_240, Uri: "file:///models/digits.onnx"}

func goodAxon() types.AxonInfo {
	return types.AxonInfo{Host: "127.0.0.1", Port: 8091, Protocol: "grpc"}
}

func TestServeAxon(t *testing.T) {
	e := newEnv(t)
	netuid := e.createSubnet(e.account("owner"), nil)
	hot := e.key("hot")
	e.register(e.account("cold"), hot, netuid)
	if _, err := e.Msgs.ServeAxon(e.Ctx, &types.MsgServeAxon{Hotkey: hot, Netuid: netuid, Axon: goodAxon(), Model: goodModel}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Queries.NeuronByHotkey(e.Ctx, &types.QueryNeuronByHotkeyRequest{Netuid: netuid, Hotkey: hot})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Neuron.Neuron
	if n.Axon == nil || n.Axon.Port != 8091 || n.Axon.Block != e.Ctx.BlockHeight() || n.Model == nil || n.Model.Sha256 != goodModel.Sha256 {
		t.Errorf("axon not stored: %+v %+v", n.Axon, n.Model)
	}
	// after serving_rate_limit blocks a new announcement is accepted
	e.SetHeight(e.Ctx.BlockHeight() + int64(types.DefaultHyperparams().ServingRateLimit))
	ax := goodAxon()
	ax.Port = 9000
	if _, err := e.Msgs.ServeAxon(e.Ctx, &types.MsgServeAxon{Hotkey: hot, Netuid: netuid, Axon: ax, Model: goodModel}); err != nil {
		t.Fatalf("serve after the rate limit: %v", err)
	}
}

func TestServeAxonRejections(t *testing.T) {
	mut := func(f func(*types.AxonInfo, *types.ModelCommitment)) func() (types.AxonInfo, types.ModelCommitment) {
		return func() (types.AxonInfo, types.ModelCommitment) {
			a, m := goodAxon(), goodModel
			f(&a, &m)
			return a, m
		}
	}
	cases := []struct {
		name    string
		input   func() (types.AxonInfo, types.ModelCommitment)
		hotkey  string
		twice   bool
		want    error
		wantMsg string
	}{
		{"empty host", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.Host = "" }), "hot", false, types.ErrInvalidAxon, "host"},
		{"bad host", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.Host = "exa mple!" }), "hot", false, types.ErrInvalidAxon, "neither an IP"},
		{"unspecified host", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.Host = "0.0.0.0" }), "hot", false, types.ErrInvalidAxon, "unspecified"},
		{"port 0", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.Port = 0 }), "hot", false, types.ErrInvalidAxon, "port"},
		{"port too big", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.Port = 70_000 }), "hot", false, types.ErrInvalidAxon, "port"},
		{"protocol", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.Protocol = "http" }), "hot", false, types.ErrInvalidAxon, "protocol"},
		{"tls fingerprint", mut(func(a *types.AxonInfo, _ *types.ModelCommitment) { a.TlsFingerprint = "xyz" }), "hot", false, types.ErrInvalidAxon, "tls_fingerprint"},
		{"short sha256", mut(func(_ *types.AxonInfo, m *types.ModelCommitment) { m.Sha256 = "abcd" }), "hot", false, types.ErrInvalidModel, "sha256"},
		{"uppercase sha256", mut(func(_ *types.AxonInfo, m *types.ModelCommitment) { m.Sha256 = strings.Repeat("AB", 32) }), "hot", false, types.ErrInvalidModel, "sha256"},
		{"zero size", mut(func(_ *types.AxonInfo, m *types.ModelCommitment) { m.Size_ = 0 }), "hot", false, types.ErrInvalidModel, "size"},
		{"unregistered hotkey", mut(func(*types.AxonInfo, *types.ModelCommitment) {}), "other", false, types.ErrHotkeyNotRegistered, "subnet 1"},
		{"rate limit", mut(func(*types.AxonInfo, *types.ModelCommitment) {}), "hot", true, types.ErrServingRateLimit, "next allowed at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			netuid := e.createSubnet(e.account("owner"), nil)
			e.register(e.account("cold"), e.key("hot"), netuid)
			if tc.twice {
				if _, err := e.Msgs.ServeAxon(e.Ctx, &types.MsgServeAxon{Hotkey: e.key("hot"), Netuid: netuid, Axon: goodAxon(), Model: goodModel}); err != nil {
					t.Fatal(err)
				}
				e.SetHeight(e.Ctx.BlockHeight() + 1)
			}
			a, m := tc.input()
			_, err := e.Msgs.ServeAxon(e.Ctx, &types.MsgServeAxon{Hotkey: e.key(tc.hotkey), Netuid: netuid, Axon: a, Model: m})
			expectErr(t, err, tc.want, tc.wantMsg)
		})
	}
}
