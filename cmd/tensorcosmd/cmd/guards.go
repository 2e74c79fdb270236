package cmd

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
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

// guardStart makes `start` validate the genesis file before the node boots.
// The SDK's InitChain decodes module genesis with MustUnmarshalJSON and
// panics on a malformed state; checking first turns that into a clear error
// and a non-zero exit.
func guardStart(root *cobra.Command, txConfig client.TxConfig, basics module.BasicManager) {
	start, _, err := root.Find([]string{"start"})
	if err != nil || start == nil || start.Name() != "start" {
		return
	}
	prev := start.PreRunE
	start.PreRunE = func(cmd *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(cmd, args); err != nil {
				return err
			}
		}
		return validateGenesisFile(cmd, txConfig, basics)
	}
}

func validateGenesisFile(cmd *cobra.Command, txConfig client.TxConfig, basics module.BasicManager) error {
	serverCtx := server.GetServerContextFromCmd(cmd)
	file := serverCtx.Config.GenesisFile()
	appGenesis, err := genutiltypes.AppGenesisFromFile(file)
	if err != nil {
		return fmt.Errorf("genesis file %s: %w", file, err)
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(appGenesis.AppState, &state); err != nil {
		return fmt.Errorf("genesis file %s: app_state is not a JSON object: %w", file, err)
	}
	cdc := client.GetClientContextFromCmd(cmd).Codec
	if err := basics.ValidateGenesis(cdc, txConfig, state); err != nil {
		return fmt.Errorf("genesis file %s is invalid: %w (see `tensorcosmd genesis validate`)", file, err)
	}
	return nil
}
