#!/usr/bin/env bash
# N tensorcosm validators as separate processes on 127.0.0.1.
#
#   scripts/multinode.sh start [N]   init (first time) and start N validators (default 4)
#   scripts/multinode.sh stop        stop every node
#   scripts/multinode.sh kill I      stop node I (0-based) only
#   scripts/multinode.sh restart I   start node I again (it catches up from its peers)
#   scripts/multinode.sh status      height of every node
#   scripts/multinode.sh clean       stop and delete every home directory
#
# Environment:
#   MULTINODE_HOME        base directory (default: <repo>/.localnet/multinode), node I in node<I>/
#   MULTINODE_BLOCK_TIME  block time (default: 1s)
#   MULTINODE_PORT_BASE   node I uses ports BASE+100*I+{56 p2p, 57 rpc, 90 gRPC, 17 REST}
#                         (default: 27000)
#   TENSORCOSMD           use this binary instead of building build/tensorcosmd
set -euo pipefail
LOG_TAG=multinode
CHAIN_ID="${CHAIN_ID:-tensorcosm-multinode}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

BASE_DIR="${MULTINODE_HOME:-$ROOT/.localnet/multinode}"
BLOCK_TIME="${MULTINODE_BLOCK_TIME:-1s}"
PORT_BASE="${MULTINODE_PORT_BASE:-27000}"

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
node_home() { echo "$BASE_DIR/node$1"; }
node_base() { echo $((PORT_BASE + 100 * $1)); }
rpc_port() { echo $(($(node_base "$1") + 57)); }
count_nodes() { find "$BASE_DIR" -maxdepth 1 -name 'node*' -type d 2>/dev/null | wc -l; }

init_nodes() {
	local n="$1" i home peers="" id
	log "initialising $n validators in $BASE_DIR (chain-id $CHAIN_ID)"
	rm -rf "$BASE_DIR"
	mkdir -p "$BASE_DIR/gentxs"
	for ((i = 0; i < n; i++)); do
		home="$(node_home "$i")"
		"$BINARY" init "node$i" --chain-id "$CHAIN_ID" --home "$home" >/dev/null 2>&1 || die "init node$i failed"
		"$BINARY" keys add validator --keyring-backend test --home "$home" --output json >"$home/validator.key.json" 2>&1 || die "keys add on node$i failed"
		chmod 600 "$home/validator.key.json"
	done
	# every validator account is funded in node0's genesis, then each node
	# signs its gentx against that same genesis
	local genesis
	genesis="$(node_home 0)/config/genesis.json"
	for ((i = 0; i < n; i++)); do
		home="$(node_home "$i")"
		"$BINARY" genesis add-genesis-account "$("$BINARY" keys show validator -a --keyring-backend test --home "$home")" \
			"1000000000000$DENOM" --home "$(node_home 0)" || die "add-genesis-account node$i failed"
	done
	for ((i = 0; i < n; i++)); do
		home="$(node_home "$i")"
		[[ $i -eq 0 ]] || cp "$genesis" "$home/config/genesis.json"
		"$BINARY" genesis gentx validator "100000000000$DENOM" --chain-id "$CHAIN_ID" --keyring-backend test \
			--home "$home" --output-document "$BASE_DIR/gentxs/node$i.json" >/dev/null 2>&1 || die "gentx node$i failed"
	done
	"$BINARY" genesis collect-gentxs --gentx-dir "$BASE_DIR/gentxs" --home "$(node_home 0)" >/dev/null 2>&1 || die "collect-gentxs failed"
	"$BINARY" genesis validate --home "$(node_home 0)" >/dev/null || die "genesis does not validate"
	for ((i = 0; i < n; i++)); do
		id="$("$BINARY" comet show-node-id --home "$(node_home "$i")")"
		peers+="${peers:+,}$id@127.0.0.1:$(($(node_base "$i") + 56))"
	done
	for ((i = 0; i < n; i++)); do
		home="$(node_home "$i")"
		[[ $i -eq 0 ]] || cp "$genesis" "$home/config/genesis.json"
		configure_node "$home" "$(node_base "$i")" "$BLOCK_TIME"
		configure_client "$home" "$(rpc_port "$i")"
		toml_set "$home/config/config.toml" p2p persistent_peers "\"$peers\""
	done
	echo "$n" >"$BASE_DIR/initialized"
}

start_node() {
	local i="$1" home pidfile
	home="$(node_home "$i")"
	pidfile="$home/tensorcosmd.pid"
	[[ -d "$home" ]] || die "node$i does not exist (start the network first)"
	if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		log "node$i already running (pid $(cat "$pidfile"))"
		return
	fi
	port_in_use "$(rpc_port "$i")" && die "port $(rpc_port "$i") in use (set MULTINODE_PORT_BASE)"
	nohup "$BINARY" start --home "$home" >>"$home/tensorcosmd.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	log "node$i started (pid $!), rpc 127.0.0.1:$(rpc_port "$i"), log $home/tensorcosmd.log"
}

start() {
	local n="${1:-4}" i
	[[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 ]] || die "N must be a positive integer, got '$n'"
	ensure_binary
	if [[ "$(cat "$BASE_DIR/initialized" 2>/dev/null)" != "$n" ]]; then
		init_nodes "$n"
	fi
	for ((i = 0; i < n; i++)); do start_node "$i"; done
	for ((i = 0; i < n; i++)); do
		wait_height "$(rpc_port "$i")" 2 90 || die "node$i made no progress (log: $(node_home "$i")/tensorcosmd.log)"
	done
	status
}

stop() {
	local i n
	n="$(count_nodes)"
	for ((i = 0; i < n; i++)); do
		if [[ -f "$(node_home "$i")/tensorcosmd.pid" ]]; then
			log "stopping node$i"
			stop_pidfile "$(node_home "$i")/tensorcosmd.pid"
		fi
	done
}

status() {
	local i n pidfile state
	n="$(count_nodes)"
	[[ "$n" -gt 0 ]] || { log "no network in $BASE_DIR"; return 1; }
	for ((i = 0; i < n; i++)); do
		pidfile="$(node_home "$i")/tensorcosmd.pid"
		if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then state="running"; else state="stopped"; fi
		printf '  node%-3s %-8s height %-6s rpc http://127.0.0.1:%s  gRPC 127.0.0.1:%s  REST http://127.0.0.1:%s  home %s\n' \
			"$i" "$state" "$(rpc_height "$(rpc_port "$i")")" "$(rpc_port "$i")" "$(($(node_base "$i") + 90))" \
			"$(($(node_base "$i") + 17))" "$(node_home "$i")" >&2
	done
}

case "${1:-}" in
start) start "${2:-4}" ;;
stop) stop ;;
kill)
	[[ -n "${2:-}" ]] || die "usage: multinode.sh kill I"
	log "stopping node$2"
	stop_pidfile "$(node_home "$2")/tensorcosmd.pid"
	;;
restart)
	[[ -n "${2:-}" ]] || die "usage: multinode.sh restart I"
	start_node "$2"
	;;
status) status ;;
clean)
	stop
	log "removing $BASE_DIR"
	rm -rf "$BASE_DIR"
	;;
-h | --help | help | "") usage ;;
*)
	usage
	exit 2
	;;
esac
