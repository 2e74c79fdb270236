// Package cli builds the tensorcosm-validator command tree.
package cli

import "github.com/spf13/cobra"

// NewRootCmd returns the tensorcosm-validator root command.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tensorcosm-validator",
		Short: "Score the miners of a tensorcosm subnet and set their weights on chain",
		// A failing command prints "Error: ..." once; the usage text would
		// bury it.
		SilenceUsage: true,
	}
	root.AddCommand(NewRunCmd())
	return root
}
