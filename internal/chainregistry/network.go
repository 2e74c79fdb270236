package chainregistry

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
)

// Network is what differs between deployments of tensorcosm: its chain ID,
// its name in the registry, where its endpoints are and what gas costs.
type Network struct {
	// ChainID is the CometBFT chain ID, e.g. "tensorcosm-local".
	ChainID string
	// ChainName is the registry key: lower-case letters and digits only.
	ChainName string
	// PrettyName is the name wallets show, e.g. "Tensorcosm Localnet".
	PrettyName string
	// NetworkType is "mainnet", "testnet" or "devnet".
	NetworkType string
	// Status is "live", "upcoming" or "killed".
	Status string
	// RPC is the CometBFT RPC URL, e.g. "http://127.0.0.1:26657".
	RPC string
	// REST is the API (gRPC-gateway) URL, e.g. "http://127.0.0.1:26617".
	REST string
	// GRPC is the gRPC address as host:port.
	GRPC string
	// Provider names who runs the endpoints.
	Provider string
	// Gas is the network's gas prices in utensor per unit of gas.
	Gas GasPrices
}

// GasPrices are prices in utensor per unit of gas. Min is what validators'
// nodes require (their minimum-gas-prices); Low, Average and High are the
// steps wallets offer, and Low must not be under Min.
type GasPrices struct {
	Min, Low, Average, High float64
}

// chainNamePattern is the registry's convention for chain names (its
// schema's own pattern is unanchored).
var chainNamePattern = regexp.MustCompile(`^[a-z0-9]+$`)

// Validate reports the first field that a registry file or a wallet would
// reject.
func (n Network) Validate() error {
	switch {
	case n.ChainID == "":
		return errors.New("chain ID is empty")
	case !chainNamePattern.MatchString(n.ChainName):
		return fmt.Errorf("chain name %q: want lower-case letters and digits", n.ChainName)
	case n.PrettyName == "":
		return errors.New("pretty name is empty")
	case !oneOf(n.NetworkType, "mainnet", "testnet", "devnet"):
		return fmt.Errorf("network type %q: want mainnet, testnet or devnet", n.NetworkType)
	case !oneOf(n.Status, "live", "upcoming", "killed"):
		return fmt.Errorf("status %q: want live, upcoming or killed", n.Status)
	case n.Provider == "":
		return errors.New("provider is empty")
	}
	for _, u := range []struct{ name, url string }{{"rpc", n.RPC}, {"rest", n.REST}} {
		if err := checkHTTPURL(u.url); err != nil {
			return fmt.Errorf("%s: %w", u.name, err)
		}
	}
	if _, _, err := net.SplitHostPort(n.GRPC); err != nil {
		return fmt.Errorf("grpc %q: want host:port: %w", n.GRPC, err)
	}
	g := n.Gas
	if g.Min < 0 || g.Low < g.Min || g.Average < g.Low || g.High < g.Average {
		return fmt.Errorf("gas prices min %v, low %v, average %v, high %v: want 0 <= min <= low <= average <= high", g.Min, g.Low, g.Average, g.High)
	}
	if g.High == 0 {
		return errors.New("gas prices are all zero: wallets need a non-zero high step")
	}
	return nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", s)
	}
	return nil
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
