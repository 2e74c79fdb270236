package cmd

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// waitTxPoll is how often wait-tx asks the node's tx index for the hash.
const waitTxPoll = 200 * time.Millisecond

// waitTxCmd replaces the SDK's wait-tx. That one subscribes over the
// websocket without waiting for the node to confirm the subscription, then
// looks the hash up once: a tx committed between the lookup and the node
// registering the subscription is never reported, and the command times out
// although the tx is in a block (seen in CI with 200 ms blocks). This one
// asks the tx index until the tx is there, which has no such window.
func waitTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wait-tx [hash]",
		Short: "Wait for a transaction to be included in a block",
		Long: `Waits until the transaction with the given hash is in a block and prints its result.
It asks the node's tx index every 200 ms, so the node must index txs (indexer = "kv",
the default). The hash is read from the argument, or from a tx command's output on stdin.`,
		Example: `  tensorcosmd q wait-tx 0B14EA4C3B139EEF2191802A15939241AD9B8267F1FD81F885F42D878CD5C4EF
  tensorcosmd tx bank send alice <address> 1000utensor -y --output json | tensorcosmd q wait-tx`,
		Aliases: []string{"event-query-tx-for"},
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			timeout, err := cmd.Flags().GetDuration("timeout")
			if err != nil {
				return err
			}
			var hash []byte
			if len(args) == 1 {
				hash, err = hex.DecodeString(args[0])
				if err != nil {
					return fmt.Errorf("hash %q is not hex: %w", args[0], err)
				}
			} else {
				in, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return err
				}
				if hash, err = hashFromTxOutput(in); err != nil {
					return err
				}
			}
			node, err := clientCtx.GetNode()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			timedOut := fmt.Errorf("tx %X is not in a block after %s; it may still be in the mempool, or it was dropped (look again with: q tx %X)", hash, timeout, hash)
			for {
				res, err := node.Tx(ctx, hash, false)
				switch {
				case err == nil:
					return clientCtx.PrintProto(txResponse(res))
				case ctx.Err() != nil:
					return timedOut
				case !strings.Contains(err.Error(), "not found"):
					return fmt.Errorf("looking up tx %X: %w", hash, err)
				}
				select {
				case <-ctx.Done():
					return timedOut
				case <-time.After(waitTxPoll):
				}
			}
		},
	}
	cmd.Flags().Duration("timeout", 15*time.Second, "how long to wait for the transaction to be included in a block")
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

// hashFromTxOutput finds the txhash in a tx command's JSON or YAML output.
func hashFromTxOutput(in []byte) ([]byte, error) {
	var res struct {
		TxHash string `json:"txhash"`
	}
	if err := json.Unmarshal(in, &res); err == nil && res.TxHash != "" {
		return hex.DecodeString(res.TxHash)
	}
	for _, line := range strings.Split(string(in), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "txhash:"); ok {
			return hex.DecodeString(strings.Trim(strings.TrimSpace(rest), `"`))
		}
	}
	return nil, errors.New("no txhash in the input: pass the hash as an argument, or pipe a tx command's output")
}

// txResponse is the result wait-tx prints, the same fields as the SDK's.
func txResponse(res *coretypes.ResultTx) *sdk.TxResponse {
	logs, _ := sdk.ParseABCILogs(res.TxResult.Log)
	return &sdk.TxResponse{
		Height:    res.Height,
		TxHash:    res.Hash.String(),
		Codespace: res.TxResult.Codespace,
		Code:      res.TxResult.Code,
		Data:      strings.ToUpper(hex.EncodeToString(res.TxResult.Data)),
		RawLog:    res.TxResult.Log,
		Logs:      logs,
		Info:      res.TxResult.Info,
		GasWanted: res.TxResult.GasWanted,
		GasUsed:   res.TxResult.GasUsed,
		Events:    res.TxResult.Events,
	}
}
