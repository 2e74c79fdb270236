// Package cli holds the x/subnet commands autocli cannot build well: the
// weights commands, whose repeated uint32 fields autocli cannot bind, and
// the commands taking an amount, which accept coins with a denom
// ("100utensor", "1.5TENSOR") as every other Cosmos command does. Autocli
// adds the other commands to the same `tx subnet` command.
package cli

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"cosmossdk.io/math"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	flagUIDs       = "uids"
	flagValues     = "values"
	flagSalt       = "salt"
	flagVersionKey = "version-key"
)

// GetTxCmd returns the `tx subnet` command with the hand-written commands;
// autocli (EnhanceCustomCommand) adds the rest.
func GetTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Transactions commands for the subnet module",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(SetWeightsCmd(), CommitWeightsCmd(), RevealWeightsCmd(), AddStakeCmd(), RemoveStakeCmd(), CancelUnbondingCmd(), RegisterCmd())
	return cmd
}

// txCmd builds a command that signs one message made by build from the
// client context and the arguments.
func txCmd(use, short, example string, nargs int, build func(clientCtx client.Context, cmd *cobra.Command, args []string) (sdk.Msg, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			// arguments first: a bad weight list is reported even without a key
			clientCtx, ctxErr := client.GetClientTxContext(cmd)
			msg, err := build(clientCtx, cmd, args)
			if err != nil {
				return err
			}
			if ctxErr != nil {
				return ctxErr
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// SetWeightsCmd sets weights on a subnet without commit-reveal.
func SetWeightsCmd() *cobra.Command {
	cmd := txCmd("set-weights [netuid] --uids 0,1 --values 65535,1000",
		"Set weights (subnets without commit-reveal); --from is the hotkey",
		"tensorcosmd tx subnet set-weights 1 --uids 0,1 --values 65535,1000 --from validator-hot", 1,
		func(clientCtx client.Context, cmd *cobra.Command, args []string) (sdk.Msg, error) {
			netuid, uids, values, version, err := weightsArgs(cmd, args)
			if err != nil {
				return nil, err
			}
			return &types.MsgSetWeights{Hotkey: clientCtx.GetFromAddress().String(), Netuid: netuid, Uids: uids, Values: values, VersionKey: version}, nil
		})
	addWeightsFlags(cmd)
	return cmd
}

// CommitWeightsCmd commits to weights by hash: the hash given in base64, or
// computed from --uids, --values, --salt and --version-key with the hotkey
// (--from), exactly as reveal-weights will need to match it.
func CommitWeightsCmd() *cobra.Command {
	cmd := txCmd("commit-weights [netuid] [commit-hash-base64]",
		"Commit to weights by hash, given or computed from --uids --values --salt; --from is the hotkey (validators do this for you)",
		"tensorcosmd tx subnet commit-weights 1 --uids 0,1 --values 65535,1000 --salt c2FsdA== --from validator-hot\n"+
			"tensorcosmd tx subnet commit-weights 1 3q2+7w... --from validator-hot", 1,
		func(clientCtx client.Context, cmd *cobra.Command, args []string) (sdk.Msg, error) {
			netuid, err := ParseUint32Arg("[netuid]", args[0])
			if err != nil {
				return nil, err
			}
			hotkey := clientCtx.GetFromAddress().String()
			hash, err := commitHash(cmd, args, hotkey, netuid)
			return &types.MsgCommitWeights{Hotkey: hotkey, Netuid: netuid, CommitHash: hash}, err
		})
	cmd.Args = cobra.RangeArgs(1, 2) // the hash is optional
	addWeightsFlags(cmd)
	cmd.Flags().String(flagSalt, "", "base64 salt to compute the hash with (keep it for the reveal)")
	return cmd
}

// commitHash is the base64 hash argument, or the hash of the weights flags.
func commitHash(cmd *cobra.Command, args []string, hotkey string, netuid uint32) ([]byte, error) {
	uidsStr, _ := cmd.Flags().GetString(flagUIDs)
	if len(args) == 2 {
		if uidsStr != "" {
			return nil, fmt.Errorf("give either [commit-hash-base64] or --uids/--values/--salt, not both")
		}
		hash, err := base64.StdEncoding.DecodeString(args[1])
		if err != nil || len(hash) != sha256.Size {
			return nil, fmt.Errorf("argument [commit-hash-base64]: %q is not a base64 SHA-256 hash (32 bytes)", args[1])
		}
		return hash, nil
	}
	_, uids, values, version, err := weightsArgs(cmd, args)
	if err != nil {
		return nil, err
	}
	saltStr, _ := cmd.Flags().GetString(flagSalt)
	salt, err := ParseSalt(saltStr)
	if err != nil {
		return nil, err
	}
	if hotkey == "" {
		return nil, fmt.Errorf("--from (the hotkey) is needed to compute the commit hash")
	}
	return types.CommitHash(hotkey, netuid, uids, values, salt, version), nil
}

// RevealWeightsCmd reveals committed weights in their reveal epoch.
func RevealWeightsCmd() *cobra.Command {
	cmd := txCmd("reveal-weights [netuid] --uids 0,1 --values 65535,1000 --salt BASE64",
		"Reveal committed weights in their reveal epoch; --from is the hotkey (validators do this for you)",
		"tensorcosmd tx subnet reveal-weights 1 --uids 0,1 --values 65535,1000 --salt c2FsdA== --from validator-hot", 1,
		func(clientCtx client.Context, cmd *cobra.Command, args []string) (sdk.Msg, error) {
			netuid, uids, values, version, err := weightsArgs(cmd, args)
			if err != nil {
				return nil, err
			}
			saltStr, _ := cmd.Flags().GetString(flagSalt)
			salt, err := ParseSalt(saltStr)
			if err != nil {
				return nil, err
			}
			return &types.MsgRevealWeights{Hotkey: clientCtx.GetFromAddress().String(), Netuid: netuid, Uids: uids, Values: values, Salt: salt, VersionKey: version}, nil
		})
	addWeightsFlags(cmd)
	cmd.Flags().String(flagSalt, "", "base64 salt the weights were committed with")
	return cmd
}

func addWeightsFlags(cmd *cobra.Command) {
	cmd.Flags().String(flagUIDs, "", "comma list of UIDs, e.g. 0,1")
	cmd.Flags().String(flagValues, "", "comma list of weights (0..65535), one per UID")
	cmd.Flags().Uint64(flagVersionKey, 0, "weights version key (at least the subnet's weights_version_key)")
}

func weightsArgs(cmd *cobra.Command, args []string) (netuid uint32, uids, values []uint32, version uint64, err error) {
	if netuid, err = ParseUint32Arg("[netuid]", args[0]); err != nil {
		return 0, nil, nil, 0, err
	}
	uidsStr, _ := cmd.Flags().GetString(flagUIDs)
	valuesStr, _ := cmd.Flags().GetString(flagValues)
	if uids, values, err = ParseWeights(uidsStr, valuesStr); err != nil {
		return 0, nil, nil, 0, err
	}
	version, err = cmd.Flags().GetUint64(flagVersionKey)
	return netuid, uids, values, version, err
}

// AddStakeCmd stakes on a hotkey.
func AddStakeCmd() *cobra.Command {
	return txCmd("add-stake [hotkey] [amount]",
		"Stake utensor on a registered hotkey (it counts after stake_warmup_blocks); amount as 100utensor, 1.5TENSOR or 100",
		"tensorcosmd tx subnet add-stake tensor1... 5000000utensor --from bob", 2,
		func(clientCtx client.Context, _ *cobra.Command, args []string) (sdk.Msg, error) {
			hotkey, amount, err := hotkeyAmount(clientCtx, args)
			return &types.MsgAddStake{Staker: clientCtx.GetFromAddress().String(), Hotkey: hotkey, Amount: amount}, err
		})
}

// RemoveStakeCmd unstakes from a hotkey.
func RemoveStakeCmd() *cobra.Command {
	return txCmd("remove-stake [hotkey] [amount]",
		"Unstake from a hotkey: warming stake is paid at once, counted stake unbonds for unbonding_blocks",
		"tensorcosmd tx subnet remove-stake tensor1... 1TENSOR --from bob", 2,
		func(clientCtx client.Context, _ *cobra.Command, args []string) (sdk.Msg, error) {
			hotkey, amount, err := hotkeyAmount(clientCtx, args)
			return &types.MsgRemoveStake{Staker: clientCtx.GetFromAddress().String(), Hotkey: hotkey, Amount: amount}, err
		})
}

func hotkeyAmount(_ client.Context, args []string) (string, math.Int, error) {
	if _, err := sdk.AccAddressFromBech32(args[0]); err != nil {
		return "", math.Int{}, errArg("[hotkey]", args[0], err)
	}
	amount, err := ParseAmount("[amount]", args[1])
	return args[0], amount, err
}

// CancelUnbondingCmd returns part or all of an unbonding to counted stake.
func CancelUnbondingCmd() *cobra.Command {
	return txCmd("cancel-unbonding [id] [amount]",
		"Return all or part of one of your unbondings to counted stake on its hotkey",
		"tensorcosmd tx subnet cancel-unbonding 7 1000000utensor --from bob", 2,
		func(clientCtx client.Context, _ *cobra.Command, args []string) (sdk.Msg, error) {
			id, err := parseUint64Arg("[id]", args[0])
			if err != nil {
				return nil, err
			}
			amount, err := ParseAmount("[amount]", args[1])
			return &types.MsgCancelUnbonding{Staker: clientCtx.GetFromAddress().String(), Id: id, Amount: amount}, err
		})
}

// RegisterCmd registers a hotkey in a subnet; both keys sign.
func RegisterCmd() *cobra.Command {
	cmd := txCmd("register [hotkey] [netuid] [max-burn]",
		"Register a hotkey in a subnet; --from is the coldkey, and the hotkey must sign too",
		"tensorcosmd tx subnet register $HOTKEY 1 2000000utensor --from coldkey --generate-only > reg.json", 3,
		func(clientCtx client.Context, _ *cobra.Command, args []string) (sdk.Msg, error) {
			if _, err := sdk.AccAddressFromBech32(args[0]); err != nil {
				return nil, errArg("[hotkey]", args[0], err)
			}
			netuid, err := ParseUint32Arg("[netuid]", args[1])
			if err != nil {
				return nil, err
			}
			maxBurn, err := ParseAmount("[max-burn]", args[2])
			return &types.MsgRegister{Coldkey: clientCtx.GetFromAddress().String(), Hotkey: args[0], Netuid: netuid, MaxBurn: maxBurn}, err
		})
	cmd.Long = "Both keys sign: build with --generate-only, sign with the coldkey and the hotkey (tensorcosmd tx sign), then broadcast. The tensorcosm-miner does this for you."
	return cmd
}
