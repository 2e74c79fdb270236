// Command tensorcosmd is the tensorcosm node and command line client.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/tensorcosm/tensorcosm/app"
	"github.com/tensorcosm/tensorcosm/cmd/tensorcosmd/cmd"
)

func main() {
	rootCmd, err := cmd.NewRootCmd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tensorcosmd:", err)
		os.Exit(1)
	}
	if err := svrcmd.Execute(rootCmd, "TENSORCOSM", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(rootCmd.ErrOrStderr(), "Error:", err)
		os.Exit(1)
	}
}
