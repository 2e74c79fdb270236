package chainregistry

import (
	"github.com/tensorcosm/tensorcosm/app"
)

// KeplrChainInfo is the ChainInfo that Keplr's
// window.keplr.experimentalSuggestChain takes.
type KeplrChainInfo struct {
	ChainID       string             `json:"chainId"`
	ChainName     string             `json:"chainName"`
	RPC           string             `json:"rpc"`
	REST          string             `json:"rest"`
	BIP44         KeplrBIP44         `json:"bip44"`
	Bech32Config  Bech32Config       `json:"bech32Config"`
	Currencies    []KeplrCurrency    `json:"currencies"`
	FeeCurrencies []KeplrFeeCurrency `json:"feeCurrencies"`
	StakeCurrency KeplrCurrency      `json:"stakeCurrency"`
	Features      []string           `json:"features"`
}

// KeplrBIP44 holds the key derivation coin type.
type KeplrBIP44 struct {
	CoinType int `json:"coinType"`
}

// KeplrCurrency is a coin as Keplr shows it: CoinDenom (display) is
// 10^CoinDecimals CoinMinimalDenom (base).
type KeplrCurrency struct {
	CoinDenom        string `json:"coinDenom"`
	CoinMinimalDenom string `json:"coinMinimalDenom"`
	CoinDecimals     uint32 `json:"coinDecimals"`
}

// KeplrFeeCurrency is a fee coin with the gas prices Keplr offers.
type KeplrFeeCurrency struct {
	KeplrCurrency
	GasPriceStep KeplrGasPriceStep `json:"gasPriceStep"`
}

// KeplrGasPriceStep are Keplr's low, average and high gas prices.
type KeplrGasPriceStep struct {
	Low     float64 `json:"low"`
	Average float64 `json:"average"`
	High    float64 `json:"high"`
}

// BuildKeplr returns n's Keplr ChainInfo.
func BuildKeplr(n Network) KeplrChainInfo {
	coin := KeplrCurrency{
		CoinDenom:        app.DisplayDenom,
		CoinMinimalDenom: app.BondDenom,
		CoinDecimals:     app.DenomExponent,
	}
	return KeplrChainInfo{
		ChainID:      n.ChainID,
		ChainName:    n.PrettyName,
		RPC:          n.RPC,
		REST:         n.REST,
		BIP44:        KeplrBIP44{CoinType: SLIP44},
		Bech32Config: bech32Config(),
		Currencies:   []KeplrCurrency{coin},
		FeeCurrencies: []KeplrFeeCurrency{{
			KeplrCurrency: coin,
			GasPriceStep:  KeplrGasPriceStep{Low: n.Gas.Low, Average: n.Gas.Average, High: n.Gas.High},
		}},
		StakeCurrency: coin,
		Features:      []string{},
	}
}
