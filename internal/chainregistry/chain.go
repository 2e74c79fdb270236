package chainregistry

import (
	cmtversion "github.com/cometbft/cometbft/version"

	"github.com/tensorcosm/tensorcosm/app"
)

const (
	// SLIP44 is the BIP-44 coin type of tensorcosm keys: the Cosmos Hub's
	// 118, which `tensorcosmd keys` derives with (m/44'/118'/0'/0/0).
	SLIP44 = 118
	// DaemonName is the node binary.
	DaemonName = "tensorcosmd"
	// NodeHome is the node's default home directory.
	NodeHome = "$HOME/.tensorcosm"
	// GitRepo is where the chain's code lives.
	GitRepo = "https://github.com/tensorcosm/tensorcosm"
	// Description is the chain's one-line description in chain.json.
	Description = "tensorcosm: an incentive network for AI models. Subnets rank their miners' models with Yuma consensus and the chain pays emission accordingly."
)

// Chain is a chain registry chain.json (the fields tensorcosm fills).
type Chain struct {
	Schema       string       `json:"$schema"`
	ChainName    string       `json:"chain_name"`
	ChainType    string       `json:"chain_type"`
	ChainID      string       `json:"chain_id"`
	PrettyName   string       `json:"pretty_name"`
	Status       string       `json:"status"`
	NetworkType  string       `json:"network_type"`
	Description  string       `json:"description"`
	Bech32Prefix string       `json:"bech32_prefix"`
	Bech32Config Bech32Config `json:"bech32_config"`
	DaemonName   string       `json:"daemon_name"`
	NodeHome     string       `json:"node_home"`
	KeyAlgos     []string     `json:"key_algos"`
	Slip44       int          `json:"slip44"`
	Fees         Fees         `json:"fees"`
	Staking      Staking      `json:"staking"`
	Codebase     Codebase     `json:"codebase"`
	APIs         APIs         `json:"apis"`
	Keywords     []string     `json:"keywords"`
}

// Bech32Config lists every bech32 prefix of the chain. Keplr's
// bech32Config has the same keys.
type Bech32Config struct {
	AccAddr  string `json:"bech32PrefixAccAddr"`
	AccPub   string `json:"bech32PrefixAccPub"`
	ValAddr  string `json:"bech32PrefixValAddr"`
	ValPub   string `json:"bech32PrefixValPub"`
	ConsAddr string `json:"bech32PrefixConsAddr"`
	ConsPub  string `json:"bech32PrefixConsPub"`
}

// Fees lists the coins fees may be paid in.
type Fees struct {
	FeeTokens []FeeToken `json:"fee_tokens"`
}

// FeeToken is a fee coin and its gas prices.
type FeeToken struct {
	Denom            string  `json:"denom"`
	FixedMinGasPrice float64 `json:"fixed_min_gas_price"`
	LowGasPrice      float64 `json:"low_gas_price"`
	AverageGasPrice  float64 `json:"average_gas_price"`
	HighGasPrice     float64 `json:"high_gas_price"`
}

// Staking lists the coins validators stake.
type Staking struct {
	StakingTokens []Denom `json:"staking_tokens"`
}

// Denom names a coin by its base denom.
type Denom struct {
	Denom string `json:"denom"`
}

// Codebase says where the code is and what it is built on.
type Codebase struct {
	GitRepo   string     `json:"git_repo"`
	SDK       *Component `json:"sdk,omitempty"`
	Consensus *Component `json:"consensus,omitempty"`
}

// Component is the Cosmos SDK or the consensus engine and its version.
type Component struct {
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// APIs lists the network's public endpoints.
type APIs struct {
	RPC  []Endpoint `json:"rpc"`
	REST []Endpoint `json:"rest"`
	GRPC []Endpoint `json:"grpc"`
}

// Endpoint is one endpoint and who runs it.
type Endpoint struct {
	Address  string `json:"address"`
	Provider string `json:"provider"`
}

// BuildChain returns n's chain.json.
func BuildChain(n Network) Chain {
	return Chain{
		Schema:       schemaPath(n, "chain.schema.json"),
		ChainName:    n.ChainName,
		ChainType:    "cosmos",
		ChainID:      n.ChainID,
		PrettyName:   n.PrettyName,
		Status:       n.Status,
		NetworkType:  n.NetworkType,
		Description:  Description,
		Bech32Prefix: app.Bech32Prefix,
		Bech32Config: bech32Config(),
		DaemonName:   DaemonName,
		NodeHome:     NodeHome,
		KeyAlgos:     []string{"secp256k1"},
		Slip44:       SLIP44,
		Fees: Fees{FeeTokens: []FeeToken{{
			Denom:            app.BondDenom,
			FixedMinGasPrice: n.Gas.Min,
			LowGasPrice:      n.Gas.Low,
			AverageGasPrice:  n.Gas.Average,
			HighGasPrice:     n.Gas.High,
		}}},
		Staking: Staking{StakingTokens: []Denom{{Denom: app.BondDenom}}},
		Codebase: Codebase{
			GitRepo:   GitRepo,
			SDK:       &Component{Type: "cosmos", Version: SDKVersion},
			Consensus: &Component{Type: "cometbft", Version: ConsensusVersion},
		},
		APIs: APIs{
			RPC:  []Endpoint{{Address: n.RPC, Provider: n.Provider}},
			REST: []Endpoint{{Address: n.REST, Provider: n.Provider}},
			GRPC: []Endpoint{{Address: n.GRPC, Provider: n.Provider}},
		},
		Keywords: []string{"ai", "machine-learning", "subnets", "yuma"},
	}
}

// schemaPath is the relative $schema of a registry file: mainnets sit at
// the registry's root, testnets and devnets under testnets/.
func schemaPath(n Network, file string) string {
	if n.NetworkType == "mainnet" {
		return "../" + file
	}
	return "../../" + file
}

func bech32Config() Bech32Config {
	return Bech32Config{
		AccAddr:  app.Bech32Prefix,
		AccPub:   app.Bech32PrefixAccPub,
		ValAddr:  app.Bech32PrefixValAddr,
		ValPub:   app.Bech32PrefixValPub,
		ConsAddr: app.Bech32PrefixConsAddr,
		ConsPub:  app.Bech32PrefixConsPub,
	}
}

// SDKVersion is the Cosmos SDK release the chain is built on; a test
// checks it against go.mod. (The SDK has no version constant of its own, and
// test binaries carry no dependency versions to read at run time.)
const SDKVersion = "v0.53.8"

// ConsensusVersion is the CometBFT release the chain is built on.
const ConsensusVersion = "v" + cmtversion.TMCoreSemVer
