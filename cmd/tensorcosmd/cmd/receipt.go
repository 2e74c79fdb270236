package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
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
			rep := receiptcheck.Verify(cmd.Context(), nodeCommitments{clientCtx}, r)
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

// nodeCommitments is the receiptcheck.Querier of receipt verify: it queries
// x/subnet through the CLI's client context (the --node RPC, or
// --grpc-addr), at a height given in the x-cosmos-block-height header,
// which both transports honour, and asks the Comet RPC for the latest
// height.
type nodeCommitments struct{ ctx client.Context }

var _ receiptcheck.Querier = nodeCommitments{}

// ModelAt implements receiptcheck.Querier.
func (n nodeCommitments) ModelAt(ctx context.Context, height int64, netuid uint32, hotkey string) (string, error) {
	return receiptcheck.NewGRPC(n.ctx).ModelAt(ctx, height, netuid, hotkey)
}

// HasState implements receiptcheck.Querier.
func (n nodeCommitments) HasState(ctx context.Context, height int64) (bool, error) {
	return receiptcheck.NewGRPC(n.ctx).HasState(ctx, height)
}

// LatestHeight implements receiptcheck.Querier with the node's status.
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

func printReceiptReport(w io.Writer, format string, rep receiptcheck.Report) error {
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

func commitmentLine(rep receiptcheck.Report) string {
	switch rep.Commitment {
	case receiptcheck.CheckOK:
		return fmt.Sprintf("ok (the miner's model at height %d)", rep.BlockHeight)
	case receiptcheck.CheckFailed:
		if rep.ChainModel != "" {
			return fmt.Sprintf("failed (on chain at height %d: %s)", rep.BlockHeight, rep.ChainModel)
		}
		return "failed"
	}
	return rep.Commitment
}
