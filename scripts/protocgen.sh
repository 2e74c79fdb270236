#!/usr/bin/env bash
# Generates Go code from proto/ without any network access:
#   1. copies third-party protos from the Go module cache into third_party/proto
#   2. runs buf (pinned in tools/go.mod) with the gogoproto and grpc-gateway plugins
#   3. moves the generated files into the package directories
#   4. writes the OpenAPI document of the REST gateway to app/openapi/openapi.json
#   5. generates the TypeScript of x/subnet's protos into ts/src/generated with
#      the ts-proto plugin in ts/node_modules (pinned in ts/package-lock.json).
# The module cache must hold the modules (any prior `go mod download` or build
# does) and ts/node_modules the npm packages (`make deps` runs `npm ci --prefix ts`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/build/bin"
export PATH="$BIN:$PATH"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

log() { printf '[protocgen] %s\n' "$*" >&2; }

ensure_tools() {
	local missing=0
	for t in buf protoc-gen-gocosmos protoc-gen-grpc-gateway protoc-gen-go protoc-gen-go-grpc protoc-gen-openapiv2; do
		[[ -x "$BIN/$t" ]] || missing=1
	done
	if [[ $missing == 1 ]]; then
		log "building pinned tools from tools/go.mod into build/bin"
		(cd tools && GOBIN="$BIN" go install tool)
	fi
}

moddir() { go list -m -f '{{.Dir}}' "$1"; }

third_party() {
	local tp="$ROOT/third_party/proto" sdk gogo cproto gw
	sdk="$(moddir github.com/cosmos/cosmos-sdk)"
	gogo="$(moddir github.com/cosmos/gogoproto)"
	cproto="$(moddir github.com/cosmos/cosmos-proto)"
	gw="$(moddir github.com/grpc-ecosystem/grpc-gateway)"
	for d in "$sdk" "$gogo" "$cproto" "$gw"; do
		[[ -n "$d" && -d "$d" ]] || { log "module missing from the Go module cache; run 'go mod download' once online"; exit 1; }
	done
	rm -rf "$tp"
	mkdir -p "$tp/gogoproto" "$tp/cosmos_proto" "$tp/google/api"
	cp -r "$sdk/proto/amino" "$sdk/proto/cosmos" "$sdk/proto/tendermint" "$tp/"
	cp "$gogo/gogoproto/gogo.proto" "$tp/gogoproto/"
	cp "$cproto/proto/cosmos_proto/cosmos.proto" "$tp/cosmos_proto/"
	for f in annotations http httpbody; do
		cp "$gw/third_party/googleapis/google/api/$f.proto" "$tp/google/api/"
	done
	chmod -R u+w "$tp"
	log "third_party/proto filled from the module cache"
}

generate() {
	rm -rf .gen
	# chain modules (gogoproto) are everything but the off-chain protocols
	if find proto/tensorcosm -name '*.proto' -not -path '*/axon/*' | grep -q .; then
		log "buf generate (proto/buf.gen.gogo.yaml)"
		buf generate --template proto/buf.gen.gogo.yaml
	fi
	log "buf generate (proto/buf.gen.go.yaml)"
	buf generate --template proto/buf.gen.go.yaml
	local src=".gen/github.com/tensorcosm/tensorcosm"
	if [[ ! -d "$src" ]]; then
		log "no Go files generated (check go_package options)"
		rm -rf .gen
		exit 1
	fi
	(cd "$src" && find . -name '*.go' -print0) | while IFS= read -r -d '' f; do
		mkdir -p "$(dirname "$f")"
		cp "$src/$f" "$f"
	done
	log "generated $(cd "$src" && find . -name '*.go' | wc -l) files"
	rm -rf .gen
}

# openapi merges the query services into one Swagger 2.0 document and gives
# each operation a unique ID (tools/openapi). AddressStringToBytes shares
# its route with AddressBytesToString, which the gateway registers first and
# so always answers: the document leaves the unreachable one out.
openapi() {
	local doc="$ROOT/app/openapi/openapi.json"
	rm -rf .gen
	log "buf generate (proto/buf.gen.openapi.yaml)"
	buf generate --template proto/buf.gen.openapi.yaml
	(cd tools && go run ./openapi -in "$ROOT/.gen/openapi/merged.swagger.json" -out "$doc" \
		-unreachable cosmos.auth.v1beta1.Query.AddressStringToBytes)
	rm -rf .gen
	log "wrote ${doc#"$ROOT"/}"
}

# typescript generates the ts/ package's protobuf code. The plugin is
# ts/node_modules/.bin/protoc-gen-ts_proto: without it (or with a
# node_modules older than ts/package-lock.json) this runs `npm ci`, which
# needs the npm registry once.
typescript() {
	local plugin="$ROOT/ts/node_modules/.bin/protoc-gen-ts_proto"
	local stamp="$ROOT/ts/node_modules/.package-lock.sha256" want
	want="$(sha256sum "$ROOT/ts/package-lock.json" | cut -d' ' -f1)"
	if [[ ! -x "$plugin" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
		command -v npm >/dev/null || { log "ts/node_modules is missing and npm is not installed: install Node.js 20 and run 'make deps'"; exit 1; }
		log "npm ci --prefix ts (ts-proto for the TypeScript client)"
		npm ci --prefix "$ROOT/ts" --no-audit --no-fund >&2 ||
			{ log "npm ci --prefix ts failed: it needs the npm registry once ('make deps' while online)"; exit 1; }
		echo "$want" >"$stamp"
	fi
	rm -rf .gen
	log "buf generate (proto/buf.gen.ts.yaml)"
	buf generate --template proto/buf.gen.ts.yaml
	rm -rf ts/src/generated
	mkdir -p ts/src/generated
	cp -r .gen/ts/. ts/src/generated/
	log "generated $(find ts/src/generated -name '*.ts' | wc -l) TypeScript files"
	rm -rf .gen
}

ensure_tools
third_party
generate
openapi
typescript
