package chainregistry

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// File names Write uses.
const (
	ChainFile     = "chain.json"
	AssetListFile = "assetlist.json"
	KeplrFile     = "keplr-chain-info.json"
)

// Files renders n's chain.json, assetlist.json and Keplr ChainInfo,
// keyed by file name, after checking n and validating the registry files
// against the registry's schemas.
func Files(n Network) (map[string][]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range []struct {
		name, schema string
		v            any
	}{
		{ChainFile, ChainSchema, BuildChain(n)},
		{AssetListFile, AssetListSchema, BuildAssetList(n)},
		{KeplrFile, "", BuildKeplr(n)},
	} {
		bz, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		bz = append(bz, '\n')
		if f.schema != "" {
			if err := ValidateJSON(f.schema, bz); err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
		}
		files[f.name] = bz
	}
	return files, nil
}

// Write writes Files(n) into dir, creating it. The files are public
// descriptions of the network, meant to be served to wallets, so they and
// dir are world-readable.
func Write(dir string, n Network) error {
	files, err := Files(n)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // G301: public files, see above
		return err
	}
	for _, name := range []string{ChainFile, AssetListFile, KeplrFile} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil { //nolint:gosec // G306: public files, see above
			return err
		}
	}
	return nil
}
