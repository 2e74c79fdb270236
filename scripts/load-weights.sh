#!/usr/bin/env bash
# Weights load on a one-node localnet: many validators send MsgSetWeights,
# MsgCommitWeights and MsgRevealWeights at once; prints the sustained rate.
#
#   scripts/load-weights.sh [tensorcosm-loadgen flags]
#     e.g. scripts/load-weights.sh --duration 30s --validators 32
#
# If a node is already running in LOCALNET_HOME it is used (on the ports in
# its config) and left running; otherwise a fresh localnet is started there
# and stopped (and its home deleted, unless LOAD_KEEP_HOME=1) when the run
# ends. Each run creates new subnets, so max_subnets (32 by default) bounds
# how many runs one chain takes.
#
# Environment:
#   LOCALNET_HOME        node home         (default: <repo>/.localnet/load)
#   LOCALNET_PORT_BASE   ports of a node started here, as localnet.sh (default:
#                        28600: rpc 28657, gRPC 28690, pprof 28661)
#   LOCALNET_BLOCK_TIME  block time        (default: 1s)
#   LOAD_PROFILE         write a CPU profile of the node over the load here
#                        (starts the node with pprof on 127.0.0.1:PORT_BASE+61)
#   LOAD_JSON            also write the report as JSON here
#   TENSORCOSMD          use this node binary instead of building build/tensorcosmd
#   BUILD_TAGS           Go build tags for the load generator (make passes its own)
set -euo pipefail
LOG_TAG=load-weights
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

export LOCALNET_HOME="${LOCALNET_HOME:-$ROOT/.localnet/load}"
export LOCALNET_PORT_BASE="${LOCALNET_PORT_BASE:-28600}"
export LOCALNET_BLOCK_TIME="${LOCALNET_BLOCK_TIME:-1s}"
PIDFILE="$LOCALNET_HOME/tensorcosmd.pid"
LOADGEN="$ROOT/build/tensorcosm-loadgen"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit 0
fi

ensure_binary
export TENSORCOSMD="$BINARY"
log "building tensorcosm-loadgen -> $LOADGEN"
(cd "$ROOT" && go build ${BUILD_TAGS:+-tags "$BUILD_TAGS"} -o "$LOADGEN" ./cmd/tensorcosm-loadgen) || die "building the load generator failed"

started=0
if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
	log "using the node running in $LOCALNET_HOME (pid $(cat "$PIDFILE"))"
else
	fresh=0
	[[ -d "$LOCALNET_HOME" ]] || fresh=1
	[[ -z "${LOAD_PROFILE:-}" ]] || export LOCALNET_PPROF=1
	cleanup() {
		"$ROOT/scripts/localnet.sh" stop || true
		if [[ $fresh == 1 && "${LOAD_KEEP_HOME:-0}" != 1 ]]; then
			rm -rf "$LOCALNET_HOME"
		fi
	}
	trap cleanup EXIT
	"$ROOT/scripts/localnet.sh" start
	started=1
fi

# toml_get FILE SECTION KEY prints KEY's value in [SECTION] ("" for the top
# level), without quotes.
toml_get() {
	awk -v section="$2" -v key="$3" '
		/^\[.*\]$/ { cur = substr($0, 2, length($0) - 2); next }
		cur == section && $0 ~ "^" key "[ ]*=" {
			sub(/^[^=]*=[ ]*/, ""); gsub(/"/, ""); print; exit
		}' "$1"
}

# The endpoints come from the node's own config, so that a running node on
# any ports can be used.
cfg="$LOCALNET_HOME/config/config.toml" appcfg="$LOCALNET_HOME/config/app.toml"
rpc="$(toml_get "$cfg" rpc laddr)"
grpc="$(toml_get "$appcfg" grpc address)"
pprof="$(toml_get "$cfg" rpc pprof_laddr)"
chain_id="$(toml_get "$LOCALNET_HOME/config/client.toml" "" chain-id)"
args=(
	--home "$LOCALNET_HOME" --chain-id "${chain_id:-$CHAIN_ID}" --funder alice
	--grpc "$grpc" --rpc "$rpc" --node-pid "$(cat "$PIDFILE")"
)
if [[ -n "${LOAD_PROFILE:-}" ]]; then
	[[ -n "$pprof" ]] || die "LOAD_PROFILE: the node in $LOCALNET_HOME has no pprof listener (start it with LOCALNET_PPROF=1)"
	args+=(--node-pprof "$pprof" --cpu-profile "$LOAD_PROFILE")
fi
[[ -z "${LOAD_JSON:-}" ]] || args+=(--json "$LOAD_JSON")
log "machine: $(nproc) cores; node: timeout_commit $(toml_get "$cfg" consensus timeout_commit), rpc $rpc, gRPC $grpc, started here: $([[ $started == 1 ]] && echo yes || echo no)"
"$LOADGEN" "${args[@]}" "$@"
