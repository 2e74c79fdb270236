package cmd

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma/scenario"
)

func init() {
	extraCommands = append(extraCommands, yumaCommand)
}

// yumaCommand is `tensorcosmd yuma`: offline tools around the Yuma engine
// the chain runs every tempo.
func yumaCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "yuma",
		Short: "Yuma consensus tools (offline)",
	}
	cmd.AddCommand(yumaSimulateCommand())
	return cmd
}

func yumaSimulateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "simulate FILE",
		Short: "Run a Yuma scenario and print every epoch's results as JSON",
		Long: `Reads a scenario (JSON; FILE may be - for standard input) and runs the same
fixed-point Yuma engine the chain runs, epoch by epoch, printing permits,
consensus, trust, validator trust, rank, incentive, dividends, bonds and
emission per UID as JSON. A scenario may start from a chain's state (its
"state", epoch blocks and emissions) to replay the chain's epochs exactly.
The format is documented in x/subnet/yuma/scenario/README.md.`,
		Example: "tensorcosmd yuma simulate x/subnet/yuma/scenario/testdata/lazy_validator.json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader
			if args[0] == "-" {
				in = cmd.InOrStdin()
			} else {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("scenario: %w", err)
				}
				defer f.Close()
				in = f
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			if err := scenario.SimulateJSON(bufio.NewReader(in), out); err != nil {
				return fmt.Errorf("scenario %s: %w", args[0], err)
			}
			return out.Flush()
		},
	}
}
