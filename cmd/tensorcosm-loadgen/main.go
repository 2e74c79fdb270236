// Command tensorcosm-loadgen sends weight transactions from many validators
// to a local tensorcosm node and reports the sustained rate.
package main

import (
	"os"

	"github.com/tensorcosm/tensorcosm/internal/loadgen"
)

func main() {
	// Cobra has already printed the error.
	if err := loadgen.NewCommand().Execute(); err != nil {
		os.Exit(1)
	}
}
