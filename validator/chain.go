package validator

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// neuronView is one neuron as the validator uses it.
type neuronView struct {
	UID    uint32
	Hotkey string
	// Address is the axon's host:port, "" without an axon.
	Address string
	// TLSFingerprint is the axon's announced certificate pin, "" for a
	// plaintext axon.
	TLSFingerprint string
	// ModelSHA256 (hex) and ModelSize are the model commitment; "" without one.
	ModelSHA256 string
	ModelSize   uint64
	Permit      bool
}

// target is the neuron's axon as the axon client addresses it.
func (n neuronView) target(netuid uint32) axon.AxonTarget {
	return axon.AxonTarget{Hotkey: n.Hotkey, Netuid: netuid, Address: n.Address, TLSFingerprint: n.TLSFingerprint}
}

// snapshot is the metagraph at one height, never changed once built.
type snapshot struct {
	Height  int64
	Subnet  subnettypes.Subnet
	Neurons []neuronView // by UID
	// Self is this validator's neuron; SelfFound is false when the hotkey
	// holds no UID.
	Self      neuronView
	SelfFound bool
	SyncedAt  time.Time
}

// epoch is the subnet epoch a transaction sent now lands in.
func (s *snapshot) epoch() uint64 {
	return subnettypes.EpochIndex(s.Subnet.Netuid, s.Subnet.Hyperparams.Tempo, s.Height+1)
}

// miners returns the neurons to query: every other neuron that serves an
// axon and has committed to a model. Validators announce no axon.
func (s *snapshot) miners() []neuronView {
	out := make([]neuronView, 0, len(s.Neurons))
	for _, n := range s.Neurons {
		if n.Address != "" && n.ModelSHA256 != "" && !(s.SelfFound && n.UID == s.Self.UID) {
			out = append(out, n)
		}
	}
	return out
}

// newSnapshot builds a snapshot from query results.
func newSnapshot(subnet subnettypes.Subnet, infos []subnettypes.NeuronInfo, height int64, self string, at time.Time) *snapshot {
	s := &snapshot{Height: height, Subnet: subnet, Neurons: make([]neuronView, 0, len(infos)), SyncedAt: at}
	for _, ni := range infos {
		n := ni.Neuron
		v := neuronView{UID: n.Uid, Hotkey: n.Hotkey, Permit: n.ValidatorPermit}
		if a := n.Axon; a != nil && a.Host != "" && a.Port != 0 && a.Port <= 65535 {
			v.Address = net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10))
			v.TLSFingerprint = a.TlsFingerprint
		}
		if m := n.Model; m != nil {
			v.ModelSHA256, v.ModelSize = m.Sha256, m.Size_
		}
		s.Neurons = append(s.Neurons, v)
		if n.Hotkey == self {
			s.Self, s.SelfFound = v, true
		}
	}
	return s
}

// grpcChain is the validator's chain access over gRPC.
type grpcChain struct {
	client     *chainclient.Client
	query      subnettypes.QueryClient
	tm         cmtservice.ServiceClient
	hotkeyName string
	hotkey     string
	netuid     uint32
}

var _ weightsChain = (*grpcChain)(nil)

func newGRPCChain(acct *neuron.Account) *grpcChain {
	return &grpcChain{client: acct.Chain, query: acct.Query, tm: cmtservice.NewServiceClient(acct.Chain.Conn()),
		hotkeyName: acct.HotkeyName, hotkey: acct.Hotkey, netuid: acct.Netuid}
}

// Height returns the latest block height.
func (c *grpcChain) Height(ctx context.Context) (int64, error) {
	res, err := c.tm.GetLatestBlock(ctx, &cmtservice.GetLatestBlockRequest{})
	if err != nil {
		return 0, fmt.Errorf("query latest block: %w", err)
	}
	return res.SdkBlock.Header.Height, nil
}

// Subnet reads the subnet.
func (c *grpcChain) Subnet(ctx context.Context) (subnettypes.Subnet, error) {
	res, err := c.query.Subnet(ctx, &subnettypes.QuerySubnetRequest{Netuid: c.netuid})
	if err != nil {
		return subnettypes.Subnet{}, fmt.Errorf("query subnet %d: %w", c.netuid, err)
	}
	return res.Subnet, nil
}

// State reads what a weights tick needs.
func (c *grpcChain) State(ctx context.Context) (chainState, error) {
	height, err := c.Height(ctx)
	if err != nil {
		return chainState{}, err
	}
	subnet, err := c.Subnet(ctx)
	if err != nil {
		return chainState{}, err
	}
	st := chainState{Height: height, Hyper: subnet.Hyperparams}
	acct := neuron.Account{Query: c.query, Hotkey: c.hotkey, Netuid: c.netuid}
	if st.Neuron, st.Registered, err = acct.Neuron(ctx); err != nil || !st.Registered {
		return st, err
	}
	err = neuron.AllPages(ctx, func(page *query.PageRequest) (*query.PageResponse, error) {
		res, err := c.query.Commits(ctx, &subnettypes.QueryCommitsRequest{Netuid: c.netuid, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, nc := range res.Commits {
			if nc.Uid == st.Neuron.Uid {
				st.Commits = nc.Commits.Commits
			}
		}
		return res.Pagination, nil
	})
	if err != nil {
		return chainState{}, fmt.Errorf("query commits of subnet %d: %w", c.netuid, err)
	}
	return st, nil
}

// Commit sends MsgCommitWeights.
func (c *grpcChain) Commit(ctx context.Context, hash []byte) (string, int64, error) {
	return c.send(ctx, &subnettypes.MsgCommitWeights{Hotkey: c.hotkey, Netuid: c.netuid, CommitHash: hash})
}

// Reveal sends MsgRevealWeights for a saved commit.
func (c *grpcChain) Reveal(ctx context.Context, r commitRecord) (string, int64, error) {
	salt, err := hex.DecodeString(r.Salt)
	if err != nil {
		return "", 0, fmt.Errorf("%w: saved salt %q: %v", chainclient.ErrTxFailed, r.Salt, err)
	}
	return c.send(ctx, &subnettypes.MsgRevealWeights{Hotkey: c.hotkey, Netuid: c.netuid, Uids: r.UIDs,
		Values: r.Values, Salt: salt, VersionKey: r.VersionKey})
}

// SetWeights sends MsgSetWeights.
func (c *grpcChain) SetWeights(ctx context.Context, row weightRow, versionKey uint64) (string, int64, error) {
	return c.send(ctx, &subnettypes.MsgSetWeights{Hotkey: c.hotkey, Netuid: c.netuid, Uids: row.UIDs,
		Values: row.Values, VersionKey: versionKey})
}

// send signs msg with the hotkey and waits for its block.
func (c *grpcChain) send(ctx context.Context, msg sdk.Msg) (string, int64, error) {
	res, err := c.client.Broadcast(ctx, []string{c.hotkeyName}, msg)
	if err != nil {
		return "", 0, err
	}
	return res.TxHash, res.Height, nil
}
