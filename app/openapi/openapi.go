// Package openapi serves the OpenAPI (Swagger 2.0) document of the node's
// REST gateway and a Swagger UI for it under /swagger/.
//
// openapi.json is generated from the query protos by `make proto-gen`
// (scripts/protocgen.sh) and kept current by `make proto-check`; it is
// embedded, so a node serves the document of the code it runs. The UI's
// scripts and styles are the Swagger UI assets the Cosmos SDK already embeds
// (client/docs): nothing is fetched from a CDN, and the SDK's own
// swagger.yaml, which describes modules this chain does not run, is not
// served.
package openapi

import (
	"embed"
	"io/fs"
	"net/http"

	sdkdocs "github.com/cosmos/cosmos-sdk/client/docs"
	"github.com/gorilla/mux"
)

const (
	// Prefix is the URL path under which the node serves the document and UI.
	Prefix = "/swagger/"
	// DocumentPath is the URL path of the OpenAPI document.
	DocumentPath = Prefix + "openapi.json"
)

//go:embed openapi.json index.html
var files embed.FS

// uiAssets are the files of the SDK's Swagger UI that index.html loads.
var uiAssets = []string{"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"}

// Document returns the embedded OpenAPI document.
func Document() []byte {
	b, err := files.ReadFile("openapi.json")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return b
}

// Register adds the document and the UI to the node's API router. The
// node's REST gateway catches every other path, so Register must run before
// the gateway is mounted (RegisterAPIRoutes does).
func Register(r *mux.Router) {
	r.Path("/swagger").Handler(http.RedirectHandler(Prefix, http.StatusMovedPermanently))
	r.PathPrefix(Prefix).Handler(Handler())
}

// Handler serves GET Prefix (the UI), DocumentPath and the UI's assets, and
// answers 404 for anything else under Prefix.
func Handler() http.Handler {
	h := http.NewServeMux()
	h.HandleFunc("GET "+Prefix+"{$}", serveEmbedded("index.html", "text/html; charset=utf-8"))
	h.HandleFunc("GET "+DocumentPath, serveEmbedded("openapi.json", "application/json"))
	ui, err := fs.Sub(sdkdocs.SwaggerUI, "swagger-ui")
	if err != nil {
		panic(err) // a fixed directory of an embedded FS: cannot fail
	}
	assets := http.StripPrefix(Prefix, http.FileServerFS(ui))
	for _, name := range uiAssets {
		h.Handle("GET "+Prefix+name, assets)
	}
	return h
}

func serveEmbedded(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		b, err := files.ReadFile(name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}
}
