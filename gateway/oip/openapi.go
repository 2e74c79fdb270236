package oip

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3 document describing every gateway endpoint
// (served at GET /openapi.json). The caller must not modify the slice.
func OpenAPI() []byte {
	return openAPIDoc
}

// ErrNonConformant marks an exchange that does not match the OpenAPI
// document.
var ErrNonConformant = errors.New("exchange does not conform to the OpenAPI document")

// validator is the parsed document and its router, built once.
var validator = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate openapi.json: %w", err)
	}
	for _, ct := range []string{"image/png", "image/jpeg"} {
		if openapi3filter.RegisteredBodyDecoder(ct) == nil {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
	}
	return gorillamux.NewRouter(doc)
})

// ValidateExchange validates an HTTP request and the response the gateway
// gave it against OpenAPI(), for the server's conformance tests. The
// request must match a documented operation. When status is below 400 the
// request must also satisfy its parameters, body schema and security (a
// Bearer token or an X-API-Key header); for an error status those are not
// required, since refusing a bad request is the right answer. The response
// must use a documented status, carry the documented headers (Retry-After on
// 429) and a body matching its schema. Errors wrap ErrNonConformant.
func ValidateExchange(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) error {
	router, err := validator()
	if err != nil {
		return err
	}
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrNonConformant, req.Method, req.URL.Path, err)
	}
	ctx := req.Context()
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: authenticate,
			MultiError:         false,
		},
	}
	if status < 400 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("%w: request %s %s: %v", ErrNonConformant, req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%w: response %d to %s %s: %v", ErrNonConformant, status, req.Method, req.URL.Path, err)
	}
	return nil
}

// authenticate checks that a request carries the credential a security
// scheme names; whether the key is valid is the server's business.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	switch s := in.SecurityScheme; {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		scheme, token, ok := strings.Cut(h.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return errors.New("no Bearer token")
		}
	case s.Type == "apiKey" && s.In == "header":
		if h.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %q is not checked", in.SecuritySchemeName)
	}
	return nil
}
