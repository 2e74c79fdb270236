// Command tensorcosm-validator scores the miners of a tensorcosm subnet and
// commits and reveals their weights on chain.
package main

import (
	"os"

	"github.com/cosmos/cosmos-sdk/version"

	"github.com/tensorcosm/tensorcosm/validator/cli"

	// the task kinds this validator can score, reached through the task registry
	_ "github.com/tensorcosm/tensorcosm/task/digits"
	_ "github.com/tensorcosm/tensorcosm/task/textline"
)

func main() {
	// Cobra has already printed the error.
	root := cli.NewRootCmd()
	// the same build information as `tensorcosmd version` (set by make's ldflags)
	root.AddCommand(version.NewVersionCommand())
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
