package loadgen

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"cosmossdk.io/math"
	"github.com/cosmos/gogoproto/proto"

	cmtservice "github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	// setupGas is the gas limit of a setup transaction, which may carry
	// hundreds of messages (the localnet has no block gas limit).
	setupGas = 200_000_000
	// registersPerTx keeps a registration transaction within the auth
	// module's default tx_sig_limit of 7: the coldkey and six hotkeys.
	registersPerTx = 6
	// stakePerValidator is each hotkey's stake (plus its index, so that the
	// stake order, and with it the permits, are unambiguous).
	stakePerValidator = 1_000_000
)

// setup creates the subnets, registers and stakes every hotkey, and waits
// for the epoch that gives them validator permits.
func (g *Generator) setup(ctx context.Context) error {
	if err := g.fund(ctx); err != nil {
		return fmt.Errorf("funding the coldkey and hotkeys: %w", err)
	}
	if err := g.loadAccounts(ctx); err != nil {
		return err
	}
	if err := g.createSubnets(ctx); err != nil {
		return fmt.Errorf("creating subnets: %w", err)
	}
	if err := g.register(ctx); err != nil {
		return fmt.Errorf("registering hotkeys: %w", err)
	}
	height, err := g.stake(ctx)
	if err != nil {
		return fmt.Errorf("staking: %w", err)
	}
	return g.awaitPermits(ctx, height)
}

// fund sends the coldkey its subnet locks and stake, and every hotkey 1
// utensor so that its account exists, in one MsgMultiSend from the funder.
func (g *Generator) fund(ctx context.Context) error {
	rec, err := g.keyring.Key(g.cfg.Funder)
	if err != nil {
		return fmt.Errorf("funder %q in %s: %w", g.cfg.Funder, g.cfg.KeyringDir, err)
	}
	from, err := rec.GetAddress()
	if err != nil {
		return err
	}
	params, err := types.NewQueryClient(g.client.Conn()).Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		return err
	}
	// the locks, the stake (with its per-hotkey extra) and 1 utensor per registration
	n := int64(len(g.workers))
	coldAmount := params.Params.SubnetLockCost.MulRaw(int64(g.cfg.Subnets)).
		AddRaw(n*stakePerValidator + n*n + n)
	outputs := []banktypes.Output{{Address: g.cold.bech, Coins: sdk.NewCoins(sdk.NewCoin(g.denom, coldAmount))}}
	for _, w := range g.workers {
		outputs = append(outputs, banktypes.Output{Address: w.acct.bech, Coins: g.coins(1)})
	}
	total := sdk.NewCoins(sdk.NewCoin(g.denom, coldAmount.AddRaw(n)))
	fromBech, err := sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, from)
	if err != nil {
		return err
	}
	// addresses spelled out: AccAddress.String uses the SDK's global prefix
	msg := &banktypes.MsgMultiSend{Inputs: []banktypes.Input{{Address: fromBech, Coins: total}}, Outputs: outputs}
	g.log.Info("funding", "funder", g.cfg.Funder, "coldkey", g.cold.bech, "hotkeys", n)
	_, err = g.client.Broadcast(ctx, []string{g.cfg.Funder}, msg)
	return err
}

func (g *Generator) coins(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(g.denom, n)) }

// loadAccounts reads the account number and sequence of the coldkey and of
// every hotkey, once; from here on the generator counts sequences itself.
func (g *Generator) loadAccounts(ctx context.Context) error {
	accts := []*account{g.cold}
	for _, w := range g.workers {
		accts = append(accts, w.acct)
	}
	for _, a := range accts {
		if err := g.resync(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// resync reads an account's number and sequence from the chain.
func (g *Generator) resync(ctx context.Context, a *account) error {
	info, err := g.client.Account(ctx, a.addr)
	if err != nil {
		return fmt.Errorf("account %s: %w", a.bech, err)
	}
	a.number, a.seq = info.AccountNumber, info.Sequence
	return nil
}

// subnetHyperparams are the owner's settings for a load subnet: room and
// permits for every validator, registration at 1 utensor with no per-block
// limit, no weights rate limit, and commit-reveal as asked.
func (g *Generator) subnetHyperparams(commitReveal bool) types.Hyperparams {
	hp := types.DefaultHyperparams()
	v := uint32(g.cfg.Validators)
	hp.Tempo = g.cfg.Tempo
	hp.MaxAllowedUids, hp.MaxAllowedValidators = v, v
	hp.MinAllowedWeights = 1
	hp.MaxWeightLimit = types.U16Max
	hp.WeightsRateLimit = 0
	hp.CommitReveal, hp.RevealPeriod = commitReveal, 1
	hp.MinBurn, hp.MaxBurn, hp.BurnIncreaseBps = math.NewInt(1), math.NewInt(1), 10_000
	hp.MaxRegistrationsPerBlock = 256
	return hp
}

// createSubnets creates every subnet in one transaction from the coldkey
// and reads their netuids from the message responses.
func (g *Generator) createSubnets(ctx context.Context) error {
	msgs := make([]sdk.Msg, len(g.subnets))
	for i, s := range g.subnets {
		hp := g.subnetHyperparams(s.commitReveal)
		s.hp = hp
		msgs[i] = &types.MsgCreateSubnet{Creator: g.cold.bech, Name: fmt.Sprintf("load-%d", i), Task: loadTask(), Hyperparams: &hp}
	}
	res, err := g.sendAndWait(ctx, []*account{g.cold}, msgs...)
	if err != nil {
		return err
	}
	var data sdk.TxMsgData
	bz, err := hex.DecodeString(res.Data)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(bz, &data); err != nil {
		return err
	}
	if len(data.MsgResponses) != len(g.subnets) {
		return fmt.Errorf("%d responses for %d subnets", len(data.MsgResponses), len(g.subnets))
	}
	for i, s := range g.subnets {
		var r types.MsgCreateSubnetResponse
		if err := proto.Unmarshal(data.MsgResponses[i].Value, &r); err != nil {
			return err
		}
		s.netuid = r.Netuid
		g.log.Info("subnet created", "netuid", s.netuid, "commit_reveal", s.commitReveal, "tempo", s.hp.Tempo)
	}
	return nil
}

// loadTask is the digits task; the load never serves a model.
func loadTask() types.TaskSpec {
	return types.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
		Scoring: "accuracy",
	}
}

// register registers every hotkey, six to a transaction signed by the
// coldkey and the six hotkeys, all broadcast before waiting for any.
func (g *Generator) register(ctx context.Context) error {
	var hashes []string
	for _, s := range g.subnets {
		for start := 0; start < len(s.workers); start += registersPerTx {
			chunk := s.workers[start:min(start+registersPerTx, len(s.workers))]
			signers := []*account{g.cold}
			var msgs []sdk.Msg
			for _, w := range chunk {
				signers = append(signers, w.acct)
				msgs = append(msgs, &types.MsgRegister{Coldkey: g.cold.bech, Hotkey: w.acct.bech, Netuid: s.netuid, MaxBurn: s.hp.MaxBurn})
			}
			hash, err := g.sendSync(ctx, signers, msgs...)
			if err != nil {
				return err
			}
			hashes = append(hashes, hash)
		}
	}
	g.log.Info("registering", "hotkeys", len(g.workers), "txs", len(hashes))
	for _, h := range hashes {
		if _, err := g.client.WaitTx(ctx, h); err != nil {
			return err
		}
	}
	return g.readUIDs(ctx)
}

// readUIDs reads each hotkey's UID from the metagraph.
func (g *Generator) readUIDs(ctx context.Context) error {
	q := types.NewQueryClient(g.client.Conn())
	for _, s := range g.subnets {
		res, err := q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: s.netuid})
		if err != nil {
			return err
		}
		uids := map[string]uint32{}
		for _, n := range res.Neurons {
			uids[n.Neuron.Hotkey] = n.Neuron.Uid
		}
		for _, w := range s.workers {
			uid, ok := uids[w.acct.bech]
			if !ok {
				return fmt.Errorf("hotkey %s is not in subnet %d after registering", w.acct.bech, s.netuid)
			}
			w.uid = uid
		}
		s.size = uint32(len(res.Neurons))
	}
	return nil
}

// stake stakes on every hotkey from the coldkey in one transaction and
// returns the height it was included at.
func (g *Generator) stake(ctx context.Context) (int64, error) {
	msgs := make([]sdk.Msg, len(g.workers))
	for i, w := range g.workers {
		msgs[i] = &types.MsgAddStake{Staker: g.cold.bech, Hotkey: w.acct.bech, Amount: math.NewInt(stakePerValidator + int64(i))}
	}
	res, err := g.sendAndWait(ctx, []*account{g.cold}, msgs...)
	if err != nil {
		return 0, err
	}
	return res.Height, nil
}

// awaitPermits waits for every subnet's first epoch after the stake has
// warmed up (stake_warmup_blocks after it was added), which gives the
// staked hotkeys their validator permits, and checks them.
func (g *Generator) awaitPermits(ctx context.Context, stakedAt int64) error {
	q := types.NewQueryClient(g.client.Conn())
	params, err := q.Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		return err
	}
	mature := stakedAt + int64(params.Params.StakeWarmupBlocks)
	var until int64
	for _, s := range g.subnets {
		until = max(until, types.NextEpochBlock(s.netuid, s.hp.Tempo, mature))
	}
	g.log.Info("waiting for the epoch that grants validator permits", "height", until, "stake_counts_from", mature)
	if err := g.waitHeight(ctx, until); err != nil {
		return err
	}
	for _, s := range g.subnets {
		res, err := q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: s.netuid})
		if err != nil {
			return err
		}
		permits := 0
		for _, n := range res.Neurons {
			if n.Neuron.ValidatorPermit {
				permits++
			}
		}
		if permits != len(s.workers) {
			return fmt.Errorf("subnet %d: %d of %d validators have a permit after the epoch", s.netuid, permits, len(s.workers))
		}
	}
	return nil
}

// waitHeight waits until the chain has committed height.
func (g *Generator) waitHeight(ctx context.Context, height int64) error {
	svc := cmtservice.NewServiceClient(g.client.Conn())
	for {
		res, err := svc.GetLatestBlock(ctx, &cmtservice.GetLatestBlockRequest{})
		if err == nil && res.SdkBlock.Header.Height >= height {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// sendSync signs and broadcasts a setup transaction and advances the
// signers' sequences; it returns the transaction hash.
func (g *Generator) sendSync(ctx context.Context, signers []*account, msgs ...sdk.Msg) (string, error) {
	tx, err := signTx(g.cfg.ChainID, setupGas, signers, msgs...)
	if err != nil {
		return "", err
	}
	res, err := g.txs.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: tx.bytes, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	if err != nil {
		return "", err
	}
	if r := res.TxResponse; r.Code != 0 {
		return "", fmt.Errorf("CheckTx rejected %s: code %d (%s): %s", sdk.MsgTypeURL(msgs[0]), r.Code, r.Codespace, r.RawLog)
	}
	for _, s := range signers {
		s.seq++
	}
	return res.TxResponse.TxHash, nil
}

// sendAndWait is sendSync followed by waiting for the block.
func (g *Generator) sendAndWait(ctx context.Context, signers []*account, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	hash, err := g.sendSync(ctx, signers, msgs...)
	if err != nil {
		return nil, err
	}
	return g.client.WaitTx(ctx, hash)
}
