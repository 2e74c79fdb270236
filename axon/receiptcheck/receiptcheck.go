package receiptcheck

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// Querier is what Verify asks the chain.
type Querier interface {
	// ModelAt returns the hex SHA-256 of the model hotkey had committed in
	// netuid in the state after block height, or "" if it had none; an
	// error wrapping ErrHeightPruned, ErrHeightFuture or ErrNotNeuron says
	// why the node could not tell.
	ModelAt(ctx context.Context, height int64, netuid uint32, hotkey string) (string, error)
	// HasState reports whether the node still holds the state at height.
	HasState(ctx context.Context, height int64) (bool, error)
	// LatestHeight is the node's latest block.
	LatestHeight(ctx context.Context) (int64, error)
}

// Why ModelAt found no commitment.
var (
	// ErrHeightPruned: the node no longer holds (or never held) the state
	// at the height asked; an archive node may.
	ErrHeightPruned = errors.New("the node no longer holds the state at that height")
	// ErrHeightFuture: the height asked is past the node's latest block.
	ErrHeightFuture = errors.New("the node has not reached that height")
	// ErrNotNeuron: the hotkey was not registered in the subnet at the
	// height asked.
	ErrNotNeuron = errors.New("the hotkey is not a neuron of the subnet at that height")
)

// ClassifyHeightError maps a node's answer to a query at a height to the
// errors above, wrapping them with the node's message; any other error is
// returned unchanged, and nil as nil. The SDK reports a pruned or never
// stored height as "failed to load state at height H; version does not
// exist", and a height past its tip as "cannot query with height in the
// future": strings are all the ABCI query path keeps of them. A gRPC
// NotFound status (x/subnet's answer for an unknown hotkey) is
// ErrNotNeuron.
func ClassifyHeightError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to load state at height"), strings.Contains(msg, "version does not exist"):
		return fmt.Errorf("%w: %s", ErrHeightPruned, msg)
	case strings.Contains(msg, "cannot query with height in the future"):
		return fmt.Errorf("%w: %s", ErrHeightFuture, msg)
	case status.Code(err) == codes.NotFound:
		return fmt.Errorf("%w: %s", ErrNotNeuron, status.Convert(err).Message())
	}
	return err
}

// earliestState finds the lowest height above pruned that the node holds,
// by bisection: a pruning node keeps a contiguous run of recent heights.
func earliestState(ctx context.Context, q Querier, pruned, latest int64) (int64, error) {
	lo, hi := pruned, latest
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := q.HasState(ctx, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}

// Report is the outcome of Verify: what the receipt claims, the state of
// each check, and why it is not valid. `tensorcosmd receipt verify
// --output json` prints it as is.
type Report struct {
	// Valid is true only if both the signature and the commitment checks
	// passed.
	Valid bool `json:"valid"`
	// MinerHotkey, Netuid, Batch, Index, LeafCount and Root (hex) are the
	// receipt's signed root and the leaf's place under it.
	MinerHotkey string `json:"miner_hotkey"`
	Netuid      uint32 `json:"netuid"`
	Batch       uint64 `json:"batch"`
	Index       uint64 `json:"index"`
	LeafCount   uint64 `json:"leaf_count"`
	Root        string `json:"root"`
	// SessionID (hex), Sequence, BlockHeight and ModelSHA256 (hex) are the
	// leaf's request: the session, its sequence number, the height the
	// miner answered at and the model it claims to have run.
	SessionID   string `json:"session_id"`
	Sequence    uint64 `json:"sequence"`
	BlockHeight int64  `json:"block_height"`
	ModelSHA256 string `json:"model_sha256"`
	// ChainModel is the miner's commitment (lower-case hex) at BlockHeight,
	// when the chain had one.
	ChainModel string `json:"chain_model_sha256,omitempty"`
	// Signature is the offline checks' state: CheckOK or CheckFailed.
	Signature string `json:"signature_check"`
	// Commitment is the chain check's state: CheckOK, CheckFailed, or
	// CheckSkipped when the offline checks failed.
	Commitment string `json:"commitment_check"`
	// FailedCheck names the check that failed: an axon.ReceiptCheck for the
	// offline ones, or "commitment".
	FailedCheck string `json:"failed_check,omitempty"`
	// Error says why the receipt is not valid.
	Error string `json:"error,omitempty"`
	// EarliestHeld is the earliest height the node still holds, when it
	// had pruned BlockHeight and could tell.
	EarliestHeld int64 `json:"earliest_available_height,omitempty"`
}

// Check states in a Report.
const (
	// CheckOK: the check passed.
	CheckOK = "ok"
	// CheckFailed: the check failed; Report.Error says why.
	CheckFailed = "failed"
	// CheckSkipped: the check was not run, since an earlier one failed.
	CheckSkipped = "not run"
)

// Verify runs the offline checks, then, only if they pass, the chain
// check, and reports both; the report is Valid only if both pass.
func Verify(ctx context.Context, q Querier, r *axonpb.Receipt) Report {
	l, root := r.GetLeaf(), r.GetRoot()
	rep := Report{
		MinerHotkey: root.GetMinerHotkey(), Netuid: root.GetNetuid(), Batch: root.GetBatch(),
		Index: r.GetIndex(), LeafCount: root.GetLeafCount(), Root: hex.EncodeToString(root.GetRoot()),
		SessionID: hex.EncodeToString(l.GetSessionId()), Sequence: l.GetSequence(),
		BlockHeight: l.GetBlockHeight(), ModelSHA256: hex.EncodeToString(l.GetModelSha256()),
		Signature: CheckOK, Commitment: CheckSkipped,
	}
	if err := axon.VerifyReceipt(r); err != nil {
		rep.Signature, rep.Error = CheckFailed, err.Error()
		var re *axon.ReceiptError
		if errors.As(err, &re) {
			rep.FailedCheck = string(re.Check)
		}
		return rep
	}
	rep.Commitment = CheckFailed
	rep.FailedCheck = "commitment"
	onChain, err := q.ModelAt(ctx, l.GetBlockHeight(), root.GetNetuid(), root.GetMinerHotkey())
	switch {
	case errors.Is(err, ErrHeightPruned):
		rep.Error = prunedMessage(ctx, q, l.GetBlockHeight(), &rep)
	case errors.Is(err, ErrHeightFuture):
		latest, lerr := q.LatestHeight(ctx)
		rep.Error = fmt.Sprintf("the node is at height %d, below the receipt's height %d: is it synced, and on the miner's chain?", latest, l.GetBlockHeight())
		if lerr != nil {
			rep.Error = fmt.Sprintf("the node has not reached the receipt's height %d: is it synced, and on the miner's chain?", l.GetBlockHeight())
		}
	case errors.Is(err, ErrNotNeuron):
		rep.Error = fmt.Sprintf("%s was not a neuron of netuid %d at height %d", rep.MinerHotkey, rep.Netuid, rep.BlockHeight)
	case err != nil:
		rep.Error = fmt.Sprintf("querying the miner's model commitment at height %d: %v", l.GetBlockHeight(), err)
	case onChain == "":
		rep.Error = fmt.Sprintf("%s had no model commitment in netuid %d at height %d", rep.MinerHotkey, rep.Netuid, rep.BlockHeight)
	default:
		rep.ChainModel = strings.ToLower(onChain)
		if rep.ChainModel != rep.ModelSHA256 {
			rep.Error = fmt.Sprintf("the receipt's model %s is not %s's commitment at height %d (%s)", rep.ModelSHA256, rep.MinerHotkey, rep.BlockHeight, rep.ChainModel)
			break
		}
		rep.Valid, rep.Commitment, rep.FailedCheck = true, CheckOK, ""
	}
	return rep
}

// prunedMessage says that the node pruned height h and, if it can tell,
// the earliest height it still holds (also set in rep.EarliestHeld).
func prunedMessage(ctx context.Context, q Querier, h int64, rep *Report) string {
	latest, err := q.LatestHeight(ctx)
	if err == nil && latest > h {
		if e, err := earliestState(ctx, q, h, latest); err == nil {
			rep.EarliestHeld = e
			return fmt.Sprintf("the node has pruned height %d (earliest available %d); query an archive node", h, e)
		}
	}
	return fmt.Sprintf("the node has pruned height %d; query an archive node", h)
}
