// Command tensorcosm-miner serves an ONNX model to the tensorcosm network and
// trains, evaluates and inspects models for the default digits task.
package main

import (
	"os"

	"github.com/tensorcosm/tensorcosm/miner/cli"
)

func main() {
	// Cobra has already printed the error.
	if err := cli.NewRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}
