package app

import (
	"encoding/json"
)

// GenesisState is the application genesis: module name to its raw JSON state.
type GenesisState map[string]json.RawMessage
