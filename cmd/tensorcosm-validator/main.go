// Command tensorcosm-validator scores the miners of a tensorcosm subnet and
// commits and reveals their weights on chain.
package main

import (
	"os"

	"github.com/tensorcosm/tensorcosm/validator/cli"
)

func main() {
	// Cobra has already printed the error.
	if err := cli.NewRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}
