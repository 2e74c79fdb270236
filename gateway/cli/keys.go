package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
)

// storeFlags are the flags of every keys command: where the store is.
var storeFlags = []cliconfig.Flag{
	{Name: "data-dir", Key: "data_dir", Usage: "directory of the SQLite key store"},
	{Name: "store-driver", Key: "store.driver", Usage: "key store: sqlite or postgres"},
	{Name: "store-dsn", Key: "store.dsn", Usage: "SQLite file or PostgreSQL connection string"},
}

// NewKeysCmd returns `keys`: create, list, revoke and usage.
func NewKeysCmd() *cobra.Command {
	var configFile, output string
	v := viper.New()
	open := func(ctx context.Context) (store.Store, error) {
		var cfg gateway.Config
		if err := cliconfig.Load(v, configFile, EnvPrefix, gateway.DefaultConfig(), &cfg); err != nil {
			return nil, err
		}
		switch cfg.Store.Driver {
		case "sqlite", "postgres":
		default:
			return nil, fmt.Errorf("store.driver %q: want sqlite or postgres", cfg.Store.Driver)
		}
		return store.Open(ctx, cfg.Store.Driver, cfg.StoreDSN())
	}
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Manage the gateway's API keys and read their usage",
		Long: `Manage API keys in the gateway's store (the run command's store.* and data_dir
settings, from the same --config file, TENSORCOSM_GATEWAY_* variables or flags).
A key's token is printed once, at creation; the store keeps only its hash.`,
	}
	pf := keys.PersistentFlags()
	pf.StringVar(&configFile, "config", "", "the gateway's config file (YAML or TOML)")
	pf.StringVarP(&output, "output", "o", "text", "output format: text or json")
	cliconfig.DefineFlags(pf, v, gateway.DefaultConfig(), storeFlags)
	checkOutput := func() error {
		if output != "text" && output != "json" {
			return fmt.Errorf("--output %q: want text or json", output)
		}
		return nil
	}

	var spec store.KeySpec
	var subnets string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an API key and print its token (shown only once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(); err != nil {
				return err
			}
			spec.Name = args[0]
			var err error
			if spec.Subnets, err = gateway.ParseNetuids(subnets); err != nil {
				return fmt.Errorf("--subnets: %w", err)
			}
			if spec.RatePerSec < 0 || spec.Burst < 0 || spec.DailyQuota < 0 {
				return fmt.Errorf("--rate, --burst and --quota must not be negative")
			}
			if spec.RatePerSec > 0 && spec.Burst == 0 {
				spec.Burst = max(1, int(spec.RatePerSec))
			}
			s, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer func() { _ = s.Close() }()
			k, tok, err := s.CreateKey(cmd.Context(), spec)
			if err != nil {
				return err
			}
			if output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
					keyJSON
					Token string `json:"token"`
				}{toJSON(k), tok})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created API key %s (%s): %s\n", k.ID, k.Name, describe(k.KeySpec))
			fmt.Fprintf(cmd.OutOrStdout(), "token (shown once, the store keeps only its hash):\n%s\n", tok)
			return nil
		},
	}
	create.Flags().Float64Var(&spec.RatePerSec, "rate", 0, "requests per second (0: unlimited)")
	create.Flags().IntVar(&spec.Burst, "burst", 0, "burst above the rate (default: the rate, at least 1)")
	create.Flags().Int64Var(&spec.DailyQuota, "quota", 0, "requests per UTC day (0: unlimited)")
	create.Flags().StringVar(&subnets, "subnets", "", "netuids the key may use, comma-separated (empty: all served)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never their tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(); err != nil {
				return err
			}
			s, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer func() { _ = s.Close() }()
			ks, err := s.ListKeys(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				out := make([]keyJSON, 0, len(ks))
				for _, k := range ks {
					out = append(out, toJSON(k))
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
			}
			return writeKeys(cmd.OutOrStdout(), ks)
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke NAME|ID",
		Short: "Revoke an API key (requests with it are refused within key_cache_ttl)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer func() { _ = s.Close() }()
			if err := s.RevokeKey(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("revoke %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}

	var from, to string
	usage := &cobra.Command{
		Use:   "usage [NAME|ID]",
		Short: "Requests and errors per key, subnet and UTC day",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(); err != nil {
				return err
			}
			for _, d := range []string{from, to} {
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					return fmt.Errorf("--from/--to %q: want YYYY-MM-DD", d)
				}
			}
			s, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer func() { _ = s.Close() }()
			id := ""
			if len(args) == 1 {
				if id, err = resolveKey(cmd.Context(), s, args[0]); err != nil {
					return err
				}
			}
			us, err := s.UsageOf(cmd.Context(), id, from, to)
			if err != nil {
				return err
			}
			if output == "json" {
				if us == nil {
					us = []store.Usage{}
				}
				return json.NewEncoder(cmd.OutOrStdout()).Encode(us)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tNETUID\tDAY\tREQUESTS\tERRORS")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\n", u.KeyID, u.Netuid, u.Day, u.Requests, u.Errors)
			}
			return tw.Flush()
		},
	}
	today := time.Now().UTC()
	usage.Flags().StringVar(&from, "from", today.AddDate(0, 0, -29).Format(time.DateOnly), "first UTC day, YYYY-MM-DD")
	usage.Flags().StringVar(&to, "to", today.Format(time.DateOnly), "last UTC day, YYYY-MM-DD")

	keys.AddCommand(create, list, revoke, usage)
	return keys
}

// resolveKey turns a name or ID into the ID of a key.
func resolveKey(ctx context.Context, s store.Store, nameOrID string) (string, error) {
	ks, err := s.ListKeys(ctx)
	if err != nil {
		return "", err
	}
	for _, k := range ks {
		if k.ID == nameOrID || k.Name == nameOrID {
			return k.ID, nil
		}
	}
	return "", fmt.Errorf("key %q: %w", nameOrID, store.ErrNotFound)
}

// keyJSON is a key as `keys list -o json` prints it.
type keyJSON struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	RatePerSec float64  `json:"rate_per_sec"`
	Burst      int      `json:"burst"`
	DailyQuota int64    `json:"daily_quota"`
	Subnets    []uint32 `json:"subnets"`
	CreatedAt  string   `json:"created_at"`
	RevokedAt  string   `json:"revoked_at,omitempty"`
}

func toJSON(k store.Key) keyJSON {
	j := keyJSON{ID: k.ID, Name: k.Name, RatePerSec: k.RatePerSec, Burst: k.Burst, DailyQuota: k.DailyQuota,
		Subnets: k.Subnets, CreatedAt: k.CreatedAt.UTC().Format(time.RFC3339)}
	if j.Subnets == nil {
		j.Subnets = []uint32{}
	}
	if !k.RevokedAt.IsZero() {
		j.RevokedAt = k.RevokedAt.UTC().Format(time.RFC3339)
	}
	return j
}

func describe(s store.KeySpec) string {
	rate, quota, subnets := "unlimited rate", "no daily quota", "all subnets"
	if s.RatePerSec > 0 {
		rate = fmt.Sprintf("%g/s burst %d", s.RatePerSec, s.Burst)
	}
	if s.DailyQuota > 0 {
		quota = fmt.Sprintf("%d requests/day", s.DailyQuota)
	}
	if len(s.Subnets) > 0 {
		var ns []string
		for _, n := range s.Subnets {
			ns = append(ns, strconv.FormatUint(uint64(n), 10))
		}
		subnets = "subnets " + strings.Join(ns, ",")
	}
	return rate + ", " + quota + ", " + subnets
}

func writeKeys(w io.Writer, ks []store.Key) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tLIMITS\tCREATED")
	for _, k := range ks {
		status := "active"
		if !k.RevokedAt.IsZero() {
			status = "revoked " + k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, status, describe(k.KeySpec), k.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}
