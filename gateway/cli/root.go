// Package cli builds the tensorcosm-gateway command tree: run (the daemon)
// and keys (API keys and their usage).
package cli

import "github.com/spf13/cobra"

// EnvPrefix prefixes the environment variables that set config keys: key
// store.dsn is TENSORCOSM_GATEWAY_STORE_DSN.
const EnvPrefix = "TENSORCOSM_GATEWAY"

// NewRootCmd returns the tensorcosm-gateway root command.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "tensorcosm-gateway",
		Short: "Serve a tensorcosm network to applications: OIP v2 inference with provenance",
		// A failing command prints "Error: ..." once; the usage text would bury it.
		SilenceUsage: true,
	}
	root.AddCommand(NewRunCmd(), NewKeysCmd())
	root.AddCommand(NewSamplePayloadCmd())
	return root
}
