// Package cli builds the tensorcosm-miner command tree.
package cli

import "github.com/spf13/cobra"

// NewRootCmd returns the tensorcosm-miner root command: the daemon (`run`)
// and the model tooling (`model`).
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tensorcosm-miner",
		Short: "Serve an ONNX model on the tensorcosm network, and build models for its subnets",
		// A failing command prints "Error: ..." once; the usage text would
		// bury it.
		SilenceUsage: true,
	}
	root.AddCommand(NewModelCmd(), NewRunCmd())
	return root
}
