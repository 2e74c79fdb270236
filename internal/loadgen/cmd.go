package loadgen

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// NewCommand returns the tensorcosm-loadgen command.
func NewCommand() *cobra.Command {
	cfg := DefaultConfig()
	var jsonOut string
	cmd := &cobra.Command{
		Use:   "tensorcosm-loadgen",
		Short: "Send MsgSetWeights, MsgCommitWeights and MsgRevealWeights from many validators to a local node and measure the sustained rate",
		Long: `tensorcosm-loadgen creates subnets (the owner sets a zero weights rate limit, the tempo,
and commit-reveal on for the first --commit-reveal-subnets of them), registers and stakes
--validators hotkeys in each, waits for the epoch that gives them validator permits, then
sends weight transactions from every hotkey at once for --duration: MsgSetWeights on the
subnets without commit-reveal, MsgCommitWeights and, in the reveal epoch, MsgRevealWeights
on the others. Each hotkey keeps at most --depth transactions waiting for a block. It reports
what CheckTx accepted, what the blocks included (from the block results, by message type,
with the reasons of failures), the sustained included tx/s, block times and CPU use.

The funder (a key in the test keyring of --home, e.g. the localnet's alice) pays for the
subnets and the stake. Only loopback addresses are accepted. scripts/load-weights.sh starts
a localnet and runs this against it.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			g, err := New(cfg, log, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer func() { _ = g.Close() }()
			report, err := g.Run(ctx)
			if err != nil {
				return err
			}
			report.Print(cmd.OutOrStdout())
			if jsonOut == "" {
				return nil
			}
			bz, err := json.MarshalIndent(report, "", "  ")
			if err != nil {
				return err
			}
			return os.WriteFile(jsonOut, append(bz, '\n'), 0o600)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.GRPCAddr, "grpc", cfg.GRPCAddr, "node gRPC address (loopback)")
	f.StringVar(&cfg.RPCAddr, "rpc", cfg.RPCAddr, "node CometBFT RPC address (loopback)")
	f.StringVar(&cfg.ChainID, "chain-id", cfg.ChainID, "chain ID")
	f.StringVar(&cfg.KeyringDir, "home", cfg.KeyringDir, "directory of the test keyring holding the funder key (the localnet home)")
	f.StringVar(&cfg.Funder, "funder", cfg.Funder, "key that pays for subnets, stake and hotkey accounts")
	f.StringVar(&cfg.Seed, "seed", cfg.Seed, "seed the coldkey and hotkeys are derived from")
	f.IntVar(&cfg.Subnets, "subnets", cfg.Subnets, "subnets to create")
	f.IntVar(&cfg.CommitRevealSubnets, "commit-reveal-subnets", cfg.CommitRevealSubnets, "how many of the subnets use commit-reveal")
	f.IntVar(&cfg.Validators, "validators", cfg.Validators, "validator hotkeys per subnet")
	f.Uint32Var(&cfg.Tempo, "tempo", cfg.Tempo, "subnet tempo in blocks")
	f.IntVar(&cfg.RowLen, "row", cfg.RowLen, "UIDs per weight row")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send")
	f.IntVar(&cfg.Depth, "depth", cfg.Depth, "transactions a hotkey may have waiting for a block")
	f.Uint64Var(&cfg.Gas, "gas", cfg.Gas, "gas limit of each weight transaction")
	f.DurationVar(&cfg.Progress, "progress", cfg.Progress, "interval between progress lines")
	f.IntVar(&cfg.NodePID, "node-pid", 0, "pid of the node, to report its CPU use")
	f.DurationVar(&cfg.DrainTimeout, "drain-timeout", cfg.DrainTimeout, "how long to wait for accepted transactions after the load")
	f.StringVar(&cfg.NodePprof, "node-pprof", "", "node pprof address (host:port); with --cpu-profile, profile the node during the load")
	f.StringVar(&cfg.CPUProfile, "cpu-profile", "", "write the node's CPU profile over the load to this file")
	f.StringVar(&jsonOut, "json", "", "also write the report as JSON to this file")
	return cmd
}
