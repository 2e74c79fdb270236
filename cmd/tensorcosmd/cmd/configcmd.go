package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"
)

// clientConfigKeys are the settings of client.toml (the SDK's ClientConfig).
var clientConfigKeys = []string{"chain-id", "keyring-backend", "keyring-default-keyname", "output", "node", "broadcast-mode"}

// configCmd reads and edits the client settings in HOME/config/client.toml,
// with the syntax of the SDK's confix (`config get|set|view client ...`),
// which this chain cannot depend on. Edits keep the file's comments.
func configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Read and set the CLI settings in client.toml (chain-id, node, keyring-backend, ...)",
		Example: "tensorcosmd config set client chain-id tensorcosm-local\n" +
			"tensorcosmd config get client node\ntensorcosmd config view client",
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		&cobra.Command{
			Use: "get client [key]", Short: "Print one client.toml setting", Args: clientArgs(2),
			Example: "tensorcosmd config get client chain-id",
			RunE: func(cmd *cobra.Command, args []string) error {
				text, err := readClientConfig(cmd)
				if err != nil {
					return err
				}
				v, err := getSetting(text, args[1])
				if err == nil {
					cmd.Println(v)
				}
				return err
			},
		},
		&cobra.Command{
			Use: "set client [key] [value]", Short: "Change one client.toml setting", Args: clientArgs(3),
			Example: "tensorcosmd config set client node tcp://127.0.0.1:26657",
			RunE: func(cmd *cobra.Command, args []string) error {
				text, err := readClientConfig(cmd)
				if err != nil {
					return err
				}
				out, err := setSetting(text, args[1], args[2])
				if err != nil {
					return err
				}
				return os.WriteFile(clientConfigPath(cmd), []byte(out), 0o600)
			},
		},
		&cobra.Command{
			Use: "view client", Short: "Print client.toml", Args: clientArgs(1),
			Example: "tensorcosmd config view client",
			RunE: func(cmd *cobra.Command, _ []string) error {
				text, err := readClientConfig(cmd)
				if err == nil {
					cmd.Print(text)
				}
				return err
			},
		},
	)
	return cmd
}

// clientArgs wants n arguments, the first of them "client": the only file
// these commands edit (app.toml and config.toml are the node operator's).
func clientArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return err
		}
		if args[0] != "client" {
			return fmt.Errorf("unknown config file %q: only client (client.toml) can be read and set here; edit app.toml and config.toml directly", args[0])
		}
		return nil
	}
}

func clientConfigPath(cmd *cobra.Command) string {
	home, _ := cmd.Flags().GetString(flags.FlagHome)
	return filepath.Join(home, "config", "client.toml")
}

func readClientConfig(cmd *cobra.Command) (string, error) {
	b, err := os.ReadFile(clientConfigPath(cmd))
	if err != nil {
		return "", fmt.Errorf("reading client.toml (run `tensorcosmd init` first, or pass --home): %w", err)
	}
	return string(b), nil
}

func settingRe(key string) (*regexp.Regexp, error) {
	for _, k := range clientConfigKeys {
		if k == key {
			return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=\s*(.*)$`), nil
		}
	}
	return nil, fmt.Errorf("unknown client setting %q; the settings are %s", key, strings.Join(clientConfigKeys, ", "))
}

func getSetting(text, key string) (string, error) {
	re, err := settingRe(key)
	if err != nil {
		return "", err
	}
	m := re.FindStringSubmatch(text)
	if m == nil {
		return "", nil
	}
	if v, err := strconv.Unquote(strings.TrimSpace(m[1])); err == nil {
		return v, nil
	}
	return strings.TrimSpace(m[1]), nil
}

func setSetting(text, key, value string) (string, error) {
	re, err := settingRe(key)
	if err != nil {
		return "", err
	}
	line := key + " = " + strconv.Quote(value)
	if !re.MatchString(text) {
		return strings.TrimRight(text, "\n") + "\n" + line + "\n", nil
	}
	return re.ReplaceAllLiteralString(text, line), nil
}
