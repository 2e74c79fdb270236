package cmd

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func init() {
	extraCommands = append(extraCommands, receiptCommand)
}

// receiptCommand is `tensorcosmd receipt`: tools for the receipts miners
// sign over their answers (axon/README.md, "Receipts").
func receiptCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipt",
		Short: "Axon receipt tools",
	}
	cmd.AddCommand(receiptVerifyCommand())
	return cmd
}

func receiptVerifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify a miner's receipt: its signature, Merkle path and on-chain model commitment",
		Long: `Reads a receipt (protojson, as axon.MarshalReceipt writes it; FILE may be - for
standard input) and checks it:
  1. offline: field sizes, that the public key derives the miner's hotkey, that the
     leaf and its Merkle path lead to the signed root, and the miner's signature;
  2. on chain (--node): that the leaf's model_sha256 was the miner's model commitment
     in the receipt's netuid at the leaf's block height.
The chain is queried at that height, so the node must still hold its state: a pruning
node that dropped it is reported as such (query an archive node instead).
Exits non-zero if any check fails.`,
		Example: `  tensorcosmd receipt verify receipt.json --node tcp://localhost:26657
  tensorcosmd receipt verify - --output json < receipt.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := readReceipt(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			rep := verifyReceipt(cmd.Context(), nodeCommitments{clientCtx}, r)
			if err := printReceiptReport(cmd.OutOrStdout(), clientCtx.OutputFormat, rep); err != nil {
				return err
			}
			if !rep.Valid {
				return errors.New(rep.Error)
			}
			return nil
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	// the query height is the receipt's block_height, never a flag's
	_ = cmd.Flags().MarkHidden(flags.FlagHeight)
	return cmd
}

// maxReceiptFile bounds what is read: a receipt is about 1.5 KB of JSON.
const maxReceiptFile = 1 << 20

func readReceipt(stdin io.Reader, name string) (*axonpb.Receipt, error) {
	in := stdin
	if name != "-" {
		f, err := os.Open(name) //nolint:gosec // G304: the user names the file to read
		if err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
		defer f.Close()
		in = f
	}
	b, err := io.ReadAll(io.LimitReader(in, maxReceiptFile+1))
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", name, err)
	}
	if len(b) > maxReceiptFile {
		return nil, fmt.Errorf("receipt %s: larger than %d bytes", name, maxReceiptFile)
	}
	r, err := axon.UnmarshalReceipt(b)
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", name, err)
	}
	return r, nil
}

// commitmentQuerier is what receipt verify asks the chain.
type commitmentQuerier interface {
	// ModelAt returns the hex SHA-256 of the model hotkey had committed in
	// netuid in the state after block height; the errors below say why not.
	ModelAt(ctx context.Context, height int64, netuid uint32, hotkey string) (string, error)
	// HasState reports whether the node still holds the state at height.
	HasState(ctx context.Context, height int64) (bool, error)
	// LatestHeight is the node's latest block.
	LatestHeight(ctx context.Context) (int64, error)
}

// Why ModelAt found no commitment.
var (
	errHeightPruned = errors.New("the node no longer holds the state at that height")
	errHeightFuture = errors.New("the node has not reached that height")
	errNotNeuron    = errors.New("the hotkey is not a neuron of the subnet at that height")
)

// nodeCommitments queries x/subnet through the CLI's client context (the
// --node RPC, or --grpc-addr), at a height given in the
// x-cosmos-block-height header, which both transports honour.
type nodeCommitments struct{ ctx client.Context }

func atHeight(ctx context.Context, height int64) context.Context {
	return metadata.AppendToOutgoingContext(ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(height, 10))
}

func (n nodeCommitments) ModelAt(ctx context.Context, height int64, netuid uint32, hotkey string) (string, error) {
	res, err := subnettypes.NewQueryClient(n.ctx).NeuronByHotkey(atHeight(ctx, height),
		&subnettypes.QueryNeuronByHotkeyRequest{Netuid: netuid, Hotkey: hotkey})
	if err != nil {
		return "", classifyHeightError(err)
	}
	if m := res.Neuron.Neuron.Model; m != nil {
		return m.Sha256, nil
	}
	return "", nil
}

func (n nodeCommitments) HasState(ctx context.Context, height int64) (bool, error) {
	_, err := subnettypes.NewQueryClient(n.ctx).Params(atHeight(ctx, height), &subnettypes.QueryParamsRequest{})
	switch err := classifyHeightError(err); {
	case err == nil:
		return true, nil
	case errors.Is(err, errHeightPruned):
		return false, nil
	default:
		return false, err
	}
}

func (n nodeCommitments) LatestHeight(ctx context.Context) (int64, error) {
	node, err := n.ctx.GetNode()
	if err != nil {
		return 0, err
	}
	st, err := node.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("node status: %w", err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// classifyHeightError maps the node's answers about a height to the
// errors above. The SDK reports a pruned or never stored height as
// "failed to load state at height H; version does not exist", and a height
// past its tip as "cannot query with height in the future": strings are
// all the ABCI query path keeps of them.
func classifyHeightError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to load state at height"), strings.Contains(msg, "version does not exist"):
		return fmt.Errorf("%w: %s", errHeightPruned, msg)
	case strings.Contains(msg, "cannot query with height in the future"):
		return fmt.Errorf("%w: %s", errHeightFuture, msg)
	case status.Code(err) == codes.NotFound:
		return fmt.Errorf("%w: %s", errNotNeuron, status.Convert(err).Message())
	}
	return err
}

// earliestState finds the lowest height above pruned that the node holds,
// by bisection: a pruning node keeps a contiguous run of recent heights.
func earliestState(ctx context.Context, q commitmentQuerier, pruned, latest int64) (int64, error) {
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

// receiptReport is what receipt verify prints (--output json as is).
type receiptReport struct {
	Valid        bool   `json:"valid"`
	MinerHotkey  string `json:"miner_hotkey"`
	Netuid       uint32 `json:"netuid"`
	Batch        uint64 `json:"batch"`
	Index        uint64 `json:"index"`
	LeafCount    uint64 `json:"leaf_count"`
	Root         string `json:"root"`
	SessionID    string `json:"session_id"`
	Sequence     uint64 `json:"sequence"`
	BlockHeight  int64  `json:"block_height"`
	ModelSHA256  string `json:"model_sha256"`
	ChainModel   string `json:"chain_model_sha256,omitempty"`
	Signature    string `json:"signature_check"`
	Commitment   string `json:"commitment_check"`
	FailedCheck  string `json:"failed_check,omitempty"`
	Error        string `json:"error,omitempty"`
	EarliestHeld int64  `json:"earliest_available_height,omitempty"`
}

// Check states in a report.
const (
	checkOK      = "ok"
	checkFailed  = "failed"
	checkSkipped = "not run"
)

// verifyReceipt runs the offline checks, then the chain check, and
// reports both; Valid only if both pass.
func verifyReceipt(ctx context.Context, q commitmentQuerier, r *axonpb.Receipt) receiptReport {
	l, root := r.GetLeaf(), r.GetRoot()
	rep := receiptReport{
		MinerHotkey: root.GetMinerHotkey(), Netuid: root.GetNetuid(), Batch: root.GetBatch(),
		Index: r.GetIndex(), LeafCount: root.GetLeafCount(), Root: hex.EncodeToString(root.GetRoot()),
		SessionID: hex.EncodeToString(l.GetSessionId()), Sequence: l.GetSequence(),
		BlockHeight: l.GetBlockHeight(), ModelSHA256: hex.EncodeToString(l.GetModelSha256()),
		Signature: checkOK, Commitment: checkSkipped,
	}
	if err := axon.VerifyReceipt(r); err != nil {
		rep.Signature, rep.Error = checkFailed, err.Error()
		var re *axon.ReceiptError
		if errors.As(err, &re) {
			rep.FailedCheck = string(re.Check)
		}
		return rep
	}
	rep.Commitment = checkFailed
	rep.FailedCheck = "commitment"
	onChain, err := q.ModelAt(ctx, l.GetBlockHeight(), root.GetNetuid(), root.GetMinerHotkey())
	switch {
	case errors.Is(err, errHeightPruned):
		rep.Error = prunedMessage(ctx, q, l.GetBlockHeight(), &rep)
	case errors.Is(err, errHeightFuture):
		latest, lerr := q.LatestHeight(ctx)
		rep.Error = fmt.Sprintf("the node is at height %d, below the receipt's height %d: is it synced, and on the miner's chain?", latest, l.GetBlockHeight())
		if lerr != nil {
			rep.Error = fmt.Sprintf("the node has not reached the receipt's height %d: is it synced, and on the miner's chain?", l.GetBlockHeight())
		}
	case errors.Is(err, errNotNeuron):
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
		rep.Valid, rep.Commitment, rep.FailedCheck = true, checkOK, ""
	}
	return rep
}

// prunedMessage says that the node pruned height h and, if it can tell,
// the earliest height it still holds.
func prunedMessage(ctx context.Context, q commitmentQuerier, h int64, rep *receiptReport) string {
	latest, err := q.LatestHeight(ctx)
	if err == nil && latest > h {
		if e, err := earliestState(ctx, q, h, latest); err == nil {
			rep.EarliestHeld = e
			return fmt.Sprintf("the node has pruned height %d (earliest available %d); query an archive node", h, e)
		}
	}
	return fmt.Sprintf("the node has pruned height %d; query an archive node", h)
}

func printReceiptReport(w io.Writer, format string, rep receiptReport) error {
	if format == flags.OutputFormatJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	verdict := "VALID"
	if !rep.Valid {
		verdict = "INVALID"
	}
	_, err := fmt.Fprintf(w, `receipt:    %s
miner:      %s, netuid %d
batch:      %d, leaf %d of %d, root %s
request:    session %s, sequence %d, block height %d
model:      %s
signature:  %s (public key, Merkle path, root signature)
commitment: %s
`, verdict, rep.MinerHotkey, rep.Netuid, rep.Batch, rep.Index, rep.LeafCount, rep.Root,
		rep.SessionID, rep.Sequence, rep.BlockHeight, rep.ModelSHA256, rep.Signature, commitmentLine(rep))
	if err == nil && rep.Error != "" {
		_, err = fmt.Fprintf(w, "error:      %s\n", rep.Error)
	}
	return err
}

func commitmentLine(rep receiptReport) string {
	switch rep.Commitment {
	case checkOK:
		return fmt.Sprintf("ok (the miner's model at height %d)", rep.BlockHeight)
	case checkFailed:
		if rep.ChainModel != "" {
			return fmt.Sprintf("failed (on chain at height %d: %s)", rep.BlockHeight, rep.ChainModel)
		}
		return "failed"
	}
	return rep.Commitment
}
