# tensorcosm build, test and localnet targets. `make help` lists them.

SHELL       := /usr/bin/env bash
ROOT        := $(abspath .)
BUILD_DIR   := $(ROOT)/build
BIN_DIR     := $(BUILD_DIR)/bin
GO          ?= go
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X github.com/cosmos/cosmos-sdk/version.Name=tensorcosm \
               -X github.com/cosmos/cosmos-sdk/version.AppName=tensorcosmd \
               -X github.com/cosmos/cosmos-sdk/version.Version=$(VERSION) \
               -X github.com/cosmos/cosmos-sdk/version.Commit=$(COMMIT)
# tests run one package binary per core; the chain tests start real nodes
TEST_FLAGS  ?= -timeout 30m
PKGS        := ./...

.DEFAULT_GOAL := help

##@ Build

build: ## build tensorcosmd and tensorcosm-miner into build/
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BUILD_DIR)/tensorcosmd ./cmd/tensorcosmd
	$(GO) build -o $(BUILD_DIR)/tensorcosm-miner ./cmd/tensorcosm-miner

install: ## install tensorcosmd into $GOBIN (or $GOPATH/bin)
	$(GO) install -ldflags '$(LDFLAGS)' ./cmd/tensorcosmd

tools: ## build the pinned tools (buf, protoc plugins, golangci-lint) into build/bin
	cd tools && GOBIN=$(BIN_DIR) $(GO) install tool

##@ Test

test: deps ## run every test: unit, in-process network, localnet and multinode (the README's test command)
	$(GO) test $(TEST_FLAGS) $(PKGS)

test-unit: ## run the fast tests only: everything but tests/ (which start real node processes and networks)
	$(GO) test $(TEST_FLAGS) $$($(GO) list ./... | grep -v /tests/)

deps: ## install what the tests need: Go modules, the ONNX Runtime library, the digits data
	$(GO) mod download
	./scripts/install-onnxruntime.sh
	./scripts/fetch-digits.sh

lint: tools ## gofmt, go vet and golangci-lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)
	$(BIN_DIR)/golangci-lint run $(PKGS)

##@ Protobuf

proto-gen: ## generate Go code from proto/ (works offline, from the module cache)
	./scripts/protocgen.sh

proto-check: proto-gen ## regenerate and fail if the committed code differs
	@git diff --exit-code -- '*.pb.go' '*.pb.gw.go' || { echo "generated code is stale: run make proto-gen and commit"; exit 1; }

##@ Local networks

localnet: build ## start a one-node chain on 127.0.0.1 (1 s blocks) and print its endpoints
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd ./scripts/localnet.sh start

localnet-stop: ## stop the localnet and every process it started
	./scripts/localnet.sh stop

localnet-clean: ## stop the localnet and delete its home directory
	./scripts/localnet.sh clean

multinode: build ## start a 4-validator chain on 127.0.0.1 (scripts/multinode.sh)
	TENSORCOSMD=$(BUILD_DIR)/tensorcosmd ./scripts/multinode.sh start 4

multinode-stop: ## stop the multinode chain
	./scripts/multinode.sh stop

help: ## show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
		/^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: build install tools test test-unit deps lint proto-gen proto-check localnet localnet-stop localnet-clean multinode multinode-stop help
