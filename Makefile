# tensorcosm build, test and localnet targets. `make help` lists them.

SHELL       := /usr/bin/env bash
ROOT        := $(abspath .)
BUILD_DIR   := $(ROOT)/build
BIN_DIR     := $(BUILD_DIR)/bin
GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# version.AppName is set per binary (appname BINARY), so `version --long`
# names the binary that prints it.
VERSION_FLAGS := -X github.com/cosmos/cosmos-sdk/version.Name=tensorcosm \
               -X github.com/cosmos/cosmos-sdk/version.Version=$(VERSION) \
               -X github.com/cosmos/cosmos-sdk/version.Commit=$(COMMIT)
appname      = $(VERSION_FLAGS) -X github.com/cosmos/cosmos-sdk/version.AppName=$(1)
LDFLAGS     := $(call appname,tensorcosmd)
# Build tags for every build, install, test and vet. libsecp256k1_sdk makes the
# Cosmos SDK sign and verify secp256k1 with libsecp256k1 (C, bundled in the SDK's
# module and compiled by cgo, which ONNX Runtime needs anyway) instead of pure Go:
# about 2.5x faster verification for the chain's ante handler and every axon
# request and receipt. `make BUILD_TAGS=` builds and tests the pure-Go path.
BUILD_TAGS  ?= libsecp256k1_sdk
TAGS        := -tags '$(BUILD_TAGS)'
# tests run one package binary per core; the chain tests start real nodes
TEST_FLAGS  ?= -timeout 30m
PKGS        := ./...

.DEFAULT_GOAL := help

##@ Build

build: ## build tensorcosmd, tensorcosm-miner, tensorcosm-validator and tensorcosm-gateway into build/
	$(GO) build $(TAGS) -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/tensorcosmd ./cmd/tensorcosmd
	$(GO) build $(TAGS) -ldflags '$(call appname,tensorcosm-miner)' -o $(BUILD_DIR)/tensorcosm-miner ./cmd/tensorcosm-miner
	$(GO) build $(TAGS) -ldflags '$(call appname,tensorcosm-validator)' -o $(BUILD_DIR)/tensorcosm-validator ./cmd/tensorcosm-validator
	$(GO) build $(TAGS) -ldflags '$(call appname,tensorcosm-gateway)' -o $(BUILD_DIR)/tensorcosm-gateway ./cmd/tensorcosm-gateway

install: ## install tensorcosmd into $GOBIN (or $GOPATH/bin)
	$(GO) install $(TAGS) -ldflags '$(LDFLAGS)' ./cmd/tensorcosmd

tools: ## build the pinned tools (buf, protoc plugins, golangci-lint) into build/bin
	cd tools && GOBIN=$(BIN_DIR) $(GO) install tool

##@ Test

test: deps ## run every test: unit, in-process networks, then the process tests of tests/ one package at a time (the README's test command)
	$(GO) test $(TAGS) $(TEST_FLAGS) $$($(GO) list ./... | grep -v /tests/)
	@# tests/ start real node and daemon processes under block-time deadlines, and the
	@# weights load test saturates the machine: one package at a time keeps them fair
	$(GO) test $(TAGS) $(TEST_FLAGS) -p 1 ./tests/...

test-unit: ## run the fast tests only: everything but tests/ (which start real node processes and networks)
	$(GO) test $(TAGS) $(TEST_FLAGS) $$($(GO) list ./... | grep -v /tests/)

bench: build ## the headline benchmarks in one run, one table with targets and ratios (Yuma vs plain float64, epoch, metagraph, weights tx/s, axon, gateway; about 10 min)
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd BUILD_TAGS='$(BUILD_TAGS)' ./scripts/bench.sh

bench-gateway: deps ## issue 18's gateway load benchmark: added latency at 1,000 req/s for 30 s, then the highest sustained req/s (BENCH_GATEWAY_RATE, BENCH_GATEWAY_SECONDS; about 3 min)
	set -o pipefail; $(GO) test $(TAGS) -run '^$$' -bench '^BenchmarkGatewayLoad$$' -benchtime 1x -v -timeout 30m ./gateway | grep -E '^(Benchmark|ok|FAIL|---)|load_bench_test'

bench-axon: deps ## axon and ONNX Runtime benchmarks of axon/README.md's Performance section (fetches the OCR model)
	./scripts/fetch-ocr-model.sh
	$(GO) test $(TAGS) -run '^$$' -bench 'AxonRoundTrip|AxonParallel|Handshake|RequestMAC|GRPCBaseline|AxonORT|Sign$$|Verify$$' -count 5 ./axon
	$(GO) test $(TAGS) -run '^$$' -bench 'OCRRecognizer|^BenchmarkRun$$' -count 5 ./task/digits

# The app simulation (app/sim_test.go): random operations of every module,
# x/subnet's invariants and epochs checked after every block. A plain
# `go test ./app` runs a short one (150 blocks); these run the long ones on
# an on-disk database. SIM_SEED picks the run; the same seed replays it.
SIM_SEED       ?= 42
SIM_BLOCK_SIZE ?= 100
SIM_FLAGS       = -BlockSize=$(SIM_BLOCK_SIZE) -Seed=$(SIM_SEED) -DBBackend=goleveldb

test-sim: ## app simulation, 2,000 blocks, x/subnet invariants checked every block (SIM_SEED=42)
	$(GO) test $(TAGS) ./app -run '^TestFullAppSimulation$$' -count=1 -timeout 2h -v -NumBlocks=2000 $(SIM_FLAGS)

test-sim-long: ## app simulation, 10,000 blocks (about an hour on 2 cores)
	$(GO) test $(TAGS) ./app -run '^TestFullAppSimulation$$' -count=1 -timeout 8h -v -NumBlocks=10000 $(SIM_FLAGS)

deps: ## install what the tests need: Go modules, the ONNX Runtime library, the digits data, the textline model, dictionary, fonts and words, system packages (scripts/ci-deps.sh)
	$(GO) mod download
	./scripts/ci-deps.sh
	./scripts/install-onnxruntime.sh
	./scripts/fetch-digits.sh
	./scripts/fetch-ocr-model.sh
	./scripts/fetch-fonts.sh

lint: tools ## gofmt, go vet and golangci-lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(TAGS) $(PKGS)
	$(BIN_DIR)/golangci-lint run --build-tags '$(BUILD_TAGS)' $(PKGS)

##@ Protobuf

proto-gen: ## generate Go code, the OpenAPI document and the TypeScript of ts/ from proto/ (offline, from the module cache and ts/node_modules)
	./scripts/protocgen.sh

proto-check: proto-gen ## regenerate and fail if the committed code differs
	@git diff --exit-code -- '*.pb.go' '*.pb.gw.go' app/openapi/openapi.json ts/src/generated || { echo "generated code is stale: run make proto-gen and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- ts/src/generated)" || { git status --porcelain -- ts/src/generated; echo "generated TypeScript is stale: run make proto-gen and commit"; exit 1; }

##@ Local networks

localnet: deps build ## the main job: a one-node chain, a digits subnet (3 miners) and a textline subnet (2 miners), 2 validators in both, emissions flowing, and the gateway (OIP v2 API, an API key, sample curls)
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd ./scripts/localnet.sh up

localnet-chain: build ## start only the one-node chain on 127.0.0.1 (1 s blocks) and print its endpoints
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd ./scripts/localnet.sh start

localnet-status: ## show the localnet's height, endpoints and daemons
	./scripts/localnet.sh status

localnet-stop: ## stop the gateway, the validators, the miners and the node
	./scripts/localnet.sh stop

localnet-clean: ## stop the localnet and delete its home directory
	./scripts/localnet.sh clean

multinode: build ## start a 4-validator chain on 127.0.0.1 (scripts/multinode.sh)
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd ./scripts/multinode.sh start 4

multinode-stop: ## stop the multinode chain
	./scripts/multinode.sh stop

load-weights: build ## weights load on its own localnet: 256 validators send SetWeights/Commit/Reveal for 60 s, prints the sustained tx/s (LOAD_ARGS=... for flags)
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd BUILD_TAGS='$(BUILD_TAGS)' ./scripts/load-weights.sh $(LOAD_ARGS)

help: ## show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
		/^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: build install tools test test-unit test-sim test-sim-long bench bench-gateway bench-axon deps lint proto-gen proto-check localnet localnet-chain localnet-status localnet-stop localnet-clean multinode multinode-stop load-weights help
