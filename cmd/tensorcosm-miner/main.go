// Command tensorcosm-miner serves an ONNX model to the tensorcosm network and
// makes, trains, evaluates and inspects models for the task kinds linked in
// below.
package main

import (
	"os"

	"github.com/cosmos/cosmos-sdk/version"

	"github.com/tensorcosm/tensorcosm/miner/cli"

	// the task kinds `model init|train|eval --task` reach through the task registry
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
