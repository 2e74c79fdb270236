package chainregistry

import (
	"github.com/tensorcosm/tensorcosm/app"
)

// AssetList is a chain registry assetlist.json.
type AssetList struct {
	Schema    string  `json:"$schema"`
	ChainName string  `json:"chain_name"`
	Assets    []Asset `json:"assets"`
}

// Asset is one coin of an asset list.
type Asset struct {
	Description string      `json:"description"`
	DenomUnits  []DenomUnit `json:"denom_units"`
	TypeAsset   string      `json:"type_asset"`
	Base        string      `json:"base"`
	Name        string      `json:"name"`
	Display     string      `json:"display"`
	Symbol      string      `json:"symbol"`
	Keywords    []string    `json:"keywords,omitempty"`
}

// DenomUnit is a unit of a coin: 10^Exponent base units.
type DenomUnit struct {
	Denom    string   `json:"denom"`
	Exponent uint32   `json:"exponent"`
	Aliases  []string `json:"aliases,omitempty"`
}

// BuildAssetList returns n's assetlist.json: the chain's coin as its
// genesis bank metadata (app.DenomMetadata) describes it.
func BuildAssetList(n Network) AssetList {
	md := app.DenomMetadata()
	units := make([]DenomUnit, 0, len(md.DenomUnits))
	for _, u := range md.DenomUnits {
		units = append(units, DenomUnit{Denom: u.Denom, Exponent: u.Exponent, Aliases: u.Aliases})
	}
	return AssetList{
		Schema:    schemaPath(n, "assetlist.schema.json"),
		ChainName: n.ChainName,
		Assets: []Asset{{
			Description: md.Description,
			DenomUnits:  units,
			TypeAsset:   "sdk.coin",
			Base:        md.Base,
			Name:        md.Name,
			Display:     md.Display,
			Symbol:      md.Symbol,
			Keywords:    []string{"staking", "fees"},
		}},
	}
}
