package chainregistry

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/chain.schema.json schemas/assetlist.schema.json
var schemaFiles embed.FS

// Schema files, as named in schemas/ and in the registry.
const (
	ChainSchema     = "chain.schema.json"
	AssetListSchema = "assetlist.schema.json"
)

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

// schemas compiles the vendored schemas once.
func schemas() (map[string]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		compiled = map[string]*jsonschema.Schema{}
		for _, name := range []string{ChainSchema, AssetListSchema} {
			bz, err := schemaFiles.ReadFile("schemas/" + name)
			if err != nil {
				compileErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(bz))
			if err != nil {
				compileErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := c.AddResource(name, doc); err != nil {
				compileErr = fmt.Errorf("%s: %w", name, err)
				return
			}
			if compiled[name], err = c.Compile(name); err != nil {
				compileErr = fmt.Errorf("%s: %w", name, err)
				return
			}
		}
	})
	return compiled, compileErr
}

// ValidateJSON checks the JSON document doc against the vendored registry
// schema named schema (ChainSchema or AssetListSchema).
func ValidateJSON(schema string, doc []byte) error {
	all, err := schemas()
	if err != nil {
		return fmt.Errorf("compiling the chain registry schemas: %w", err)
	}
	s, ok := all[schema]
	if !ok {
		return fmt.Errorf("no schema %q", schema)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%s: %w", schema, err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("against %s: %w", schema, err)
	}
	return nil
}
