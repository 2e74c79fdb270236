package cmd

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestClarifyError(t *testing.T) {
	for _, c := range []struct {
		name string
		use  string
		err  error
		want string
	}{
		{"nil", "subnet [netuid]", nil, ""},
		{"positional named from Use", "neuron [netuid] [uid]",
			errors.New(`invalid argument "x" for "--1" flag: strconv.ParseUint: parsing "x": invalid syntax`),
			`invalid argument "x" for [uid] (argument 2): strconv.ParseUint: parsing "x": invalid syntax`},
		{"positional beyond Use", "params",
			errors.New(`invalid argument "x" for "--0" flag: bad`), `invalid argument "x" for argument 1: bad`},
		{"double gRPC status", "subnet [netuid]",
			status.Error(codes.NotFound, "rpc error: code = NotFound desc = subnet 9: subnet not found"),
			"NotFound: subnet 9: subnet not found"},
		{"other errors unchanged", "subnet [netuid]", errors.New("connection refused"), "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := clarifyError(c.use, c.err)
			if c.want == "" {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			if got == nil || got.Error() != c.want {
				t.Fatalf("got %v\nwant %s", got, c.want)
			}
		})
	}
}
