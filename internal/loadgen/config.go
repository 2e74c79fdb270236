// Package loadgen drives weight traffic at a tensorcosm node: it creates
// subnets, registers and stakes many validator hotkeys, then sends
// MsgSetWeights, MsgCommitWeights and MsgRevealWeights from all of them at
// once for a fixed time, and reports what CheckTx accepted, what the blocks
// included (from the block results) and the sustained rate. Sequences are
// tracked locally; transactions are broadcast over gRPC in sync mode.
package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Config configures a load run.
type Config struct {
	// GRPCAddr is the node's gRPC address (host:port, loopback only).
	GRPCAddr string
	// RPCAddr is the node's CometBFT RPC address (tcp://host:port, loopback only).
	RPCAddr string
	// ChainID is the chain the transactions are signed for.
	ChainID string
	// KeyringDir holds the funder's key in a test keyring (the localnet home).
	KeyringDir string
	// Funder is the key that pays for the subnets, stake and hotkey accounts.
	Funder string
	// Seed derives the coldkey and hotkeys: the same seed, the same keys.
	Seed string

	// Subnets is how many subnets to create.
	Subnets int
	// CommitRevealSubnets of them run commit-reveal; the rest take MsgSetWeights.
	CommitRevealSubnets int
	// Validators is the number of validator hotkeys per subnet.
	Validators int
	// Tempo of the subnets, in blocks.
	Tempo uint32
	// RowLen is the number of UIDs in each weight row.
	RowLen int

	// Duration of the measured load.
	Duration time.Duration
	// Depth is how many transactions a hotkey may have waiting for a block.
	Depth int
	// Gas is the gas limit of each weight transaction.
	Gas uint64
	// Progress is the interval between progress lines.
	Progress time.Duration
	// NodePID, when set, is the node process whose CPU use is reported.
	NodePID int
	// DrainTimeout bounds the wait for accepted transactions after the load stops.
	DrainTimeout time.Duration
	// NodePprof, with CPUProfile, is the node's pprof address (host:port); a
	// CPU profile of the node over the load is written to CPUProfile.
	NodePprof  string
	CPUProfile string
}

// DefaultConfig is 256 validators over four subnets, two with
// commit-reveal, for 60 s against the default localnet ports.
func DefaultConfig() Config {
	return Config{
		GRPCAddr:            "127.0.0.1:26690",
		RPCAddr:             "tcp://127.0.0.1:26657",
		ChainID:             "tensorcosm-local",
		Funder:              "alice",
		Seed:                "tensorcosm-loadgen",
		Subnets:             4,
		CommitRevealSubnets: 2,
		Validators:          64,
		Tempo:               10,
		RowLen:              32,
		Duration:            60 * time.Second,
		Depth:               4,
		Gas:                 400_000,
		Progress:            5 * time.Second,
		DrainTimeout:        30 * time.Second,
	}
}

// maxValidatorsPerSubnet keeps every validator inside max_allowed_uids.
const maxValidatorsPerSubnet = 4096

// Validate checks the config; the node must be on a loopback address.
func (c Config) Validate() error {
	if c.ChainID == "" || c.Funder == "" || c.KeyringDir == "" || c.Seed == "" {
		return errors.New("chain-id, funder, keyring-dir and seed are required")
	}
	if err := loopback(c.GRPCAddr); err != nil {
		return fmt.Errorf("grpc address: %w", err)
	}
	u, err := url.Parse(c.RPCAddr)
	if err != nil || u.Host == "" {
		return fmt.Errorf("rpc address %q: want tcp://host:port", c.RPCAddr)
	}
	if err := loopback(u.Host); err != nil {
		return fmt.Errorf("rpc address: %w", err)
	}
	switch {
	case c.Subnets < 1:
		return errors.New("subnets must be >= 1")
	case c.CommitRevealSubnets < 0 || c.CommitRevealSubnets > c.Subnets:
		return fmt.Errorf("commit-reveal subnets must be in [0, %d]", c.Subnets)
	case c.Validators < 1 || c.Validators > maxValidatorsPerSubnet:
		return fmt.Errorf("validators per subnet must be in [1, %d]", maxValidatorsPerSubnet)
	case c.Tempo < 3:
		return errors.New("tempo must be >= 3 blocks, so that commits can be revealed in time")
	case c.RowLen < 1:
		return errors.New("row length must be >= 1")
	case c.Duration <= 0 || c.Duration > time.Hour:
		return errors.New("duration must be in (0, 1h]")
	case c.Depth < 1:
		return errors.New("depth must be >= 1")
	case c.Gas == 0:
		return errors.New("gas must be > 0")
	case c.Progress <= 0 || c.DrainTimeout <= 0:
		return errors.New("progress and drain timeout must be > 0")
	case (c.NodePprof == "") != (c.CPUProfile == ""):
		return errors.New("node pprof address and cpu profile file go together")
	}
	if c.NodePprof != "" {
		if err := loopback(c.NodePprof); err != nil {
			return fmt.Errorf("pprof address: %w", err)
		}
	}
	return nil
}

// loopback accepts host:port on a loopback address only: the generator
// floods its target and must never point at someone else's node.
func loopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", host)
	}
	return nil
}
