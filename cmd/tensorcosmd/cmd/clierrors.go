package cmd

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/status"
)

// clarifyErrors rewrites two unhelpful error shapes of the autocli `query`
// and `tx` commands:
//   - a bad positional argument is reported by autocli as a flag named by
//     its index (`invalid argument "abc" for "--0" flag`); it becomes
//     `invalid argument "abc" for [netuid] (argument 1)`, named from Use.
//   - a gRPC error that crossed ABCI carries its status twice
//     (`rpc error: code = NotFound desc = rpc error: code = NotFound desc = ...`);
//     it becomes `NotFound: ...`.
func clarifyErrors(root *cobra.Command) {
	for _, name := range []string{"query", "tx"} {
		if c, _, err := root.Find([]string{name}); err == nil && c.Name() == name {
			walkLeaves(c, wrapRunE)
		}
	}
}

func walkLeaves(c *cobra.Command, f func(*cobra.Command)) {
	if !c.HasSubCommands() {
		f(c)
		return
	}
	for _, sub := range c.Commands() {
		walkLeaves(sub, f)
	}
}

func wrapRunE(c *cobra.Command) {
	run := c.RunE
	if run == nil {
		return
	}
	c.RunE = func(cmd *cobra.Command, args []string) error {
		return clarifyError(cmd.Use, run(cmd, args))
	}
}

var (
	positionalFlagRe = regexp.MustCompile(`for "--([0-9]+)" flag`)
	grpcPrefixRe     = regexp.MustCompile(`^(rpc error: code = [A-Za-z]+ desc = )+`)
)

// clarifyError returns err with the rewrites clarifyErrors describes; use
// is the command's Use line, whose [words] name the positional arguments.
func clarifyError(use string, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok && grpcPrefixRe.MatchString(err.Error()) {
		return errors.New(st.Code().String() + ": " + grpcPrefixRe.ReplaceAllString(st.Message(), ""))
	}
	msg := err.Error()
	m := positionalFlagRe.FindStringSubmatchIndex(msg)
	if m == nil {
		return err
	}
	i, _ := strconv.Atoi(msg[m[2]:m[3]])
	name := fmt.Sprintf("argument %d", i+1)
	if words := argNames(use); i < len(words) {
		name = fmt.Sprintf("%s (argument %d)", words[i], i+1)
	}
	return errors.New(msg[:m[0]] + "for " + name + msg[m[1]:])
}

// argNames returns the [name] words of a Use line in order.
func argNames(use string) []string {
	var out []string
	for _, f := range strings.Fields(use) {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			out = append(out, f)
		}
	}
	return out
}
