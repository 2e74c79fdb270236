// Command benchtable reads `go test -bench` output (several rounds of the same
// benchmarks, in any order) and prints the headline table of `make bench`: each
// figure as the median over the rounds, its target, and the figure's ratio to the
// target. The Yuma rows divide the engine's time by the plain float64 reference's
// time measured in the same run (the median of the per-round ratios, so that both
// sides of a ratio come from the same moment of a noisy machine).
//
//	go run ./internal/benchtable [-machine TEXT] [FILE...]   (stdin without FILE)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	machine := flag.String("machine", "", "a line naming the machine, printed above the table")
	wall := flag.String("wall", "", "the run's wall time, printed below the table")
	flag.Parse()
	var in io.Reader = os.Stdin
	if flag.NArg() > 0 {
		var rs []io.Reader
		for _, name := range flag.Args() {
			f, err := os.Open(name) //nolint:gosec // G304: reading the files named on the command line is the point
			if err != nil {
				fmt.Fprintln(os.Stderr, "benchtable:", err)
				os.Exit(1)
			}
			defer f.Close()
			rs = append(rs, f)
		}
		in = io.MultiReader(rs...)
	}
	results, err := Parse(bufio.NewScanner(in))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	if *machine != "" {
		fmt.Fprintln(w, *machine)
	}
	err = Print(w, Rows(results))
	if *wall != "" {
		fmt.Fprintln(w, *wall)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}
