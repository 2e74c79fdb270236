package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// guardBankSend makes `tx bank send` refuse coins of a denom that does not
// exist on the chain before anything is signed. Without it the transaction
// is broadcast, rejected in CheckTx with "insufficient funds", and the CLI
// still exits 0, which hides a typo such as "10tensor" for "10utensor".
func guardBankSend(root *cobra.Command) {
	send, _, err := root.Find([]string{"tx", "bank", "send"})
	if err != nil || send == nil || send.Name() != "send" {
		return
	}
	prev := send.PreRunE
	send.PreRunE = func(cmd *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(cmd, args); err != nil {
				return err
			}
		}
		if len(args) < 3 || skipChainChecks(cmd) {
			return nil
		}
		return checkDenomsExist(cmd, args[2:])
	}
}

// skipChainChecks reports whether the command runs without a node.
func skipChainChecks(cmd *cobra.Command) bool {
	for _, name := range []string{flags.FlagOffline, flags.FlagGenerateOnly, flags.FlagDryRun} {
		if v, err := cmd.Flags().GetBool(name); err == nil && v {
			return true
		}
	}
	return false
}

func checkDenomsExist(cmd *cobra.Command, amounts []string) error {
	coins, err := sdk.ParseCoinsNormalized(strings.Join(amounts, ","))
	if err != nil {
		return fmt.Errorf("invalid amount %q: %w", strings.Join(amounts, " "), err)
	}
	clientCtx, err := client.GetClientQueryContext(cmd)
	if err != nil {
		return err
	}
	q := banktypes.NewQueryClient(clientCtx)
	for _, c := range coins {
		res, err := q.SupplyOf(cmd.Context(), &banktypes.QuerySupplyOfRequest{Denom: c.Denom})
		if err != nil {
			// No node to ask: let the normal flow report the connection error.
			return nil
		}
		if res.Amount.Amount.IsZero() {
			return fmt.Errorf("unknown denom %q: no %s exists on this chain (the staking and fee denom is utensor; 1 TENSOR = 1000000utensor)", c.Denom, c.Denom)
		}
	}
	return nil
}
