package yuma_test

import (
	"fmt"
	"testing"

	"github.com/tensorcosm/tensorcosm/internal/yumaref"
	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// BenchmarkEngine times the fixed-point engine beside the plain dense float64
// implementation (internal/yumaref) for each size and density; bench.sh and make bench
// run it and print the ratios.
func BenchmarkEngine(b *testing.B) {
	for _, s := range yuma.BenchSizes {
		for _, dense := range []bool{true, false} {
			in := yuma.BenchInput(s.Uids, s.Validators, dense)
			name := benchName(s.Uids, s.Validators, dense)
			b.Run(name+"/fixed", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := yuma.Run(in); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/float64", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					yumaref.Run(in)
				}
			})
		}
	}
}

func benchName(uids, validators int, dense bool) string {
	d := "sparse"
	if dense {
		d = "dense"
	}
	return fmt.Sprintf("n=%d_v=%d_%s", uids, validators, d)
}
