#!/usr/bin/env bash
# One-node tensorcosm chain on 127.0.0.1 for development, with a digits subnet
# (three miners, two validators) and a textline subnet (two miners, the same
# two validators) on top, and the gateway serving both to applications.
#
#   scripts/localnet.sh up       the whole network: chain, subnet 1 (digits), 3 miners
#                                (strong, medium, untrained models), 2 validators;
#                                subnet 2 (textline), 2 miners (PP-OCRv4, untrained
#                                baseline), the 2 validators again (validator-N-textline);
#                                the gateway (tensorcosm-gateway, both subnets, signing
#                                as validator-1-hot) with an API key named localnet
#                                (token in LOCALNET_HOME/neurons/gateway/api-key);
#                                on an existing home it resumes them: no funding,
#                                subnet, registration or API key the home already holds
#   scripts/localnet.sh start    the chain only: init (first time) and start in the background
#   scripts/localnet.sh stop     stop the gateway, the validators, the miners and the node
#   scripts/localnet.sh status   show height, endpoints and daemons
#   scripts/localnet.sh clean    stop and delete the home directory
#   scripts/localnet.sh restart-neuron NAME   restart one daemon (miner-strong, validator-1, gateway, ...)
#   scripts/localnet.sh prometheus-config     print the Prometheus scrape config `up` writes
#                                to LOCALNET_HOME/prometheus.yml (node and every daemon)
#
# Environment:
#   LOCALNET_HOME        home directory      (default: <repo>/.localnet/node)
#   LOCALNET_BLOCK_TIME  block time          (default: 1s; e.g. 200ms)
#   LOCALNET_PORT_BASE   ports: rpc BASE+57, p2p BASE+56, gRPC BASE+90,
#                        REST BASE+17, metrics BASE+60 (default: 26600,
#                        i.e. rpc 26657, gRPC 26690, REST 26617); miners' axons
#                        BASE+200.., miners' metrics BASE+210.., validators'
#                        metrics BASE+220.. (subnet 1: axons BASE+200-202,
#                        metrics BASE+210-212 and 220-221; subnet 2: axons
#                        BASE+203-204, metrics BASE+213-214 and 222-223);
#                        the gateway's API BASE+100, its metrics BASE+101
#                        (default: http://127.0.0.1:26700)
#   LOCALNET_TEMPO       both subnets' tempo in blocks (default: 10)
#   TENSORCOSMD          use this binary instead of building build/tensorcosmd
#   TENSORCOSM_MINER, TENSORCOSM_VALIDATOR, TENSORCOSM_GATEWAY   the same for the daemons
# Dev accounts (test keyring in LOCALNET_HOME): validator, alice, bob, charlie;
# `up` adds miner-{strong,medium,untrained,ppocr,baseline}-{cold,hot} and
# validator-{1,2}-{cold,hot}.
set -euo pipefail
LOG_TAG=localnet
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

HOME_DIR="${LOCALNET_HOME:-$ROOT/.localnet/node}"
BLOCK_TIME="${LOCALNET_BLOCK_TIME:-1s}"
PORT_BASE="${LOCALNET_PORT_BASE:-26600}"
PIDFILE="$HOME_DIR/tensorcosmd.pid"
LOGFILE="$HOME_DIR/tensorcosmd.log"
ACCOUNTS=(alice bob charlie)
FUND="1000000000000$DENOM"   # 1,000,000 TENSOR each
SELF_BOND="100000000000$DENOM" # 100,000 TENSOR
source "$ROOT/scripts/lib/neurons.sh"
source "$ROOT/scripts/lib/monitoring.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# init_home builds the home in HOME_DIR.init and renames it to HOME_DIR
# when it is complete, so a genesis in HOME_DIR means a finished init: a run
# killed half-way through init starts over instead of resuming a broken home.
init_home() {
	local home="$HOME_DIR.init"
	local kr=(--keyring-backend test --home "$home")
	log "initialising $HOME_DIR (chain-id $CHAIN_ID)"
	rm -rf "$HOME_DIR" "$home"
	"$BINARY" init localnet --chain-id "$CHAIN_ID" --home "$home" >/dev/null 2>&1 || die "tensorcosmd init failed"
	for name in validator "${ACCOUNTS[@]}"; do
		"$BINARY" keys add "$name" "${kr[@]}" --output json >"$home/$name.key.json" 2>&1 || die "keys add $name failed"
		chmod 600 "$home/$name.key.json"
		"$BINARY" genesis add-genesis-account "$name" "$FUND" "${kr[@]}" || die "add-genesis-account $name failed"
	done
	"$BINARY" genesis gentx validator "$SELF_BOND" --chain-id "$CHAIN_ID" "${kr[@]}" >/dev/null 2>&1 || die "gentx failed"
	"$BINARY" genesis collect-gentxs --home "$home" >/dev/null 2>&1 || die "collect-gentxs failed"
	dev_subnet_params "$home/config/genesis.json" "$TEMPO"
	"$BINARY" genesis validate --home "$home" >/dev/null || die "genesis does not validate"
	configure_node "$home" "$PORT_BASE" "$BLOCK_TIME"
	configure_telemetry "$home"
	configure_client "$home" "$((PORT_BASE + 57))"
	enable_cors "$home"
	mv "$home" "$HOME_DIR"
}

# enable_cors HOME lets browser dApps and wallets on any origin call the
# node's CometBFT RPC and REST API (CORS). The dev chain only: a node made by
# `tensorcosmd init` keeps CORS off.
enable_cors() {
	toml_set "$1/config/config.toml" rpc cors_allowed_origins '["*"]'
	toml_set "$1/config/app.toml" api enabled-unsafe-cors true
}

# write_registry writes chain.json, assetlist.json and keplr-chain-info.json
# for this localnet, with its ports, into HOME_DIR/registry.
write_registry() {
	"$BINARY" registry write "$HOME_DIR/registry" --preset localnet --chain-id "$CHAIN_ID" \
		--rpc "http://127.0.0.1:$((PORT_BASE + 57))" --rest "http://127.0.0.1:$((PORT_BASE + 17))" \
		--grpc "127.0.0.1:$((PORT_BASE + 90))" >/dev/null || die "writing the chain registry files failed"
}

# signed_height prints the last height the node's validator signed, 0 for
# a chain that has made no block yet.
signed_height() {
	local f="$HOME_DIR/data/priv_validator_state.json" h=""
	[[ -f "$f" ]] && h="$(sed -n 's/.*"height": *"\([0-9]*\)".*/\1/p' "$f" | head -1)"
	echo "${h:-0}"
}

# resume_home HEIGHT keeps an initialised home (genesis, keys, chain data)
# and re-applies only what a run may change: ports, block time, telemetry.
resume_home() {
	RESUMED_FROM="$1"
	log "resuming localnet from $HOME_DIR at height $1 (genesis, keys and chain data kept; scripts/localnet.sh clean starts over)"
	configure_node "$HOME_DIR" "$PORT_BASE" "$BLOCK_TIME"
	configure_telemetry "$HOME_DIR"
	configure_client "$HOME_DIR" "$((PORT_BASE + 57))"
	enable_cors "$HOME_DIR"
}

is_running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

print_endpoints() {
	cat >&2 <<INFO

  tensorcosm localnet ($CHAIN_ID), block time $BLOCK_TIME
  home      $HOME_DIR
  log       $LOGFILE
  RPC       http://127.0.0.1:$((PORT_BASE + 57))
  gRPC      127.0.0.1:$((PORT_BASE + 90))
  REST      http://127.0.0.1:$((PORT_BASE + 17))
  metrics   http://127.0.0.1:$((PORT_BASE + 60))/metrics (CometBFT)
            http://127.0.0.1:$((PORT_BASE + 17))/metrics?format=prometheus (app telemetry, x/subnet)
  accounts  validator ${ACCOUNTS[*]} (keyring-backend test)
  wallets   $HOME_DIR/registry: chain.json, assetlist.json, keplr-chain-info.json (CORS on)

  try:  $BINARY q bank balances \$($BINARY keys show alice -a --home $HOME_DIR --keyring-backend test) --home $HOME_DIR
        $BINARY tx bank send alice \$($BINARY keys show bob -a --home $HOME_DIR --keyring-backend test) 1000$DENOM --home $HOME_DIR -y
  stop: make localnet-stop   (or scripts/localnet.sh stop)

INFO
}

start() {
	ensure_binary
	if is_running; then
		log "already running (pid $(cat "$PIDFILE"))"
		print_endpoints
		return
	fi
	for p in 56 57 90 17; do
		port_in_use $((PORT_BASE + p)) && die "port $((PORT_BASE + p)) on 127.0.0.1 is in use (set LOCALNET_PORT_BASE)"
	done
	local from=0
	if [[ ! -f "$HOME_DIR/config/genesis.json" ]]; then
		init_home
	else
		from="$(signed_height)"
		resume_home "$from"
	fi
	write_registry
	log "starting tensorcosmd, log: $LOGFILE"
	nohup "$BINARY" start --home "$HOME_DIR" >>"$LOGFILE" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
	# a resumed chain must make a new block, not just serve its old height
	if ! wait_height $((PORT_BASE + 57)) $((from + 1 > 2 ? from + 1 : 2)) 60; then
		tail -20 "$LOGFILE" >&2 || true
		stop_pidfile "$PIDFILE"
		die "node did not produce blocks"
	fi
	log "height $(rpc_height $((PORT_BASE + 57))) reached"
	print_endpoints
}

stop() {
	stop_neurons
	if [[ -f "$PIDFILE" ]]; then
		log "stopping tensorcosmd (pid $(cat "$PIDFILE"))"
		stop_pidfile "$PIDFILE"
	else
		log "not running"
	fi
}

status() {
	if is_running; then
		log "running, pid $(cat "$PIDFILE"), height $(rpc_height $((PORT_BASE + 57)))"
		print_endpoints
		[[ -d "$NEURONS_DIR" ]] && print_neurons
	else
		log "not running"
		return 1
	fi
}

case "${1:-start}" in
up) up ;;
start) start ;;
restart-neuron) restart_neuron "${2:-}" ;;
prometheus-config) prometheus_config ;;
stop) stop ;;
status) status ;;
clean)
	stop
	log "removing $HOME_DIR"
	rm -rf "$HOME_DIR" "$HOME_DIR.init"
	;;
-h | --help | help) usage ;;
*)
	usage
	exit 2
	;;
esac
