// Command tensorcosm-gateway serves a tensorcosm network to applications:
// the Open Inference Protocol v2 REST API and task-level predict endpoints,
// with every answer's provenance and receipt, behind API keys.
package main

import (
	"os"

	"github.com/cosmos/cosmos-sdk/version"

	"github.com/tensorcosm/tensorcosm/gateway/cli"

	// the task kinds whose predict payloads this gateway decodes
	_ "github.com/tensorcosm/tensorcosm/task/digits"
	_ "github.com/tensorcosm/tensorcosm/task/textline"
)

func main() {
	root := cli.NewRootCmd()
	root.AddCommand(version.NewVersionCommand())
	if err := root.Execute(); err != nil {
		os.Exit(1) // cobra has printed the error
	}
}
