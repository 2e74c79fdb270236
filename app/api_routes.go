package app

import (
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"

	"github.com/tensorcosm/tensorcosm/app/openapi"
)

// RegisterAPIRoutes registers every module's REST gateway routes and, when
// app.toml's api.swagger is on, the OpenAPI document and Swagger UI under
// /swagger/. runtime.App ignores api.swagger, which left /swagger/ to the
// gateway's 501.
func (app *App) RegisterAPIRoutes(apiSvr *api.Server, apiConfig config.APIConfig) {
	app.App.RegisterAPIRoutes(apiSvr, apiConfig)
	if apiConfig.Swagger {
		openapi.Register(apiSvr.Router)
	}
}
