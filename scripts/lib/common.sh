# Shared helpers for the localnet scripts. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHAIN_ID="${CHAIN_ID:-tensorcosm-local}"
DENOM="utensor"
BINARY="${TENSORCOSMD:-$ROOT/build/tensorcosmd}"

log() { printf '\033[1m[%s]\033[0m %s\n' "${LOG_TAG:-localnet}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ensure_binary builds tensorcosmd unless TENSORCOSMD points at one.
ensure_binary() {
	if [[ -n "${TENSORCOSMD:-}" ]]; then
		[[ -x "$BINARY" ]] || die "TENSORCOSMD=$BINARY is not an executable"
		return
	fi
	log "building tensorcosmd -> $BINARY"
	(cd "$ROOT" && make --no-print-directory build >/dev/null) || die "build failed"
}

# toml_set FILE SECTION KEY VALUE sets KEY inside [SECTION] ("" for the top
# level) to VALUE, written verbatim (quote strings yourself).
toml_set() {
	local file="$1" section="$2" key="$3" value="$4" tmp
	tmp="$(mktemp)"
	awk -v section="$section" -v key="$key" -v value="$value" '
		BEGIN { cur = ""; done = 0 }
		/^\[.*\]$/ { cur = substr($0, 2, length($0) - 2) }
		{
			if (!done && cur == section && $0 ~ "^" key "[ ]*=") {
				print key " = " value; done = 1; next
			}
			print
		}
		END { if (!done) { exit 3 } }
	' "$file" >"$tmp" || { rm -f "$tmp"; die "$file: no key $key in [$section]"; }
	mv "$tmp" "$file"
}

# dev_subnet_params GENESIS TEMPO shortens x/subnet's tempo bound and stake
# delays in a fresh genesis so a dev chain ranks miners within a few tempos:
# max_tempo and the default tempo = TEMPO, stake_warmup_blocks = TEMPO (the
# chain requires warm-up >= max_tempo: stake counts from the next tempo),
# unbonding_blocks 20 and stake_rate_limit 1. The real network's defaults
# (x/subnet/README.md) are an hour of warm-up and three days of unbonding.
# The default hyperparameters also bound what an account may create: the
# dev chain lets accounts create load-test subnets (tensorcosm-loadgen: up
# to 256 validators, registration at 1 utensor) with default min_burn 1 and
# max_allowed_validators 256; the real network keeps 1 TENSOR and 64.
dev_subnet_params() {
	local genesis="$1" tempo="$2"
	local edits=(
		"s/\"tempo\": [0-9]+,/\"tempo\": $tempo,/"
		"s/\"max_tempo\": [0-9]+/\"max_tempo\": $tempo/"
		"s/\"stake_warmup_blocks\": \"[0-9]+\"/\"stake_warmup_blocks\": \"$tempo\"/"
		"s/\"unbonding_blocks\": \"[0-9]+\"/\"unbonding_blocks\": \"20\"/"
		"s/\"stake_rate_limit\": \"[0-9]+\"/\"stake_rate_limit\": \"1\"/"
		"s/\"min_burn\": \"[0-9]+\"/\"min_burn\": \"1\"/"
		"s/\"max_allowed_validators\": [0-9]+/\"max_allowed_validators\": 256/"
	)
	local e
	for e in "${edits[@]}"; do
		# each key must be there exactly once (the default hyperparams' tempo
		# is the only "tempo" of a genesis without subnets)
		local key="${e#s/\"}"
		key="${key%%\"*}"
		[[ "$(grep -c "\"$key\": " "$genesis")" == 1 ]] || die "$genesis: want exactly one \"$key\""
		sed -E -i "$e" "$genesis" || die "$genesis: setting $key failed"
	done
}

# configure_node HOME PORT_BASE BLOCK_TIME binds every listener of the node
# to 127.0.0.1 on ports derived from PORT_BASE and sets the block time.
#   rpc PORT_BASE+57  p2p PORT_BASE+56  grpc PORT_BASE+90  api PORT_BASE+17
#   prometheus PORT_BASE+60  pprof PORT_BASE+61 (only with LOCALNET_PPROF=1)
configure_node() {
	local home="$1" base="$2" block_time="$3"
	local cfg="$home/config/config.toml" appcfg="$home/config/app.toml"
	local pprof='""'
	[[ "${LOCALNET_PPROF:-0}" == 1 ]] && pprof="\"127.0.0.1:$((base + 61))\""
	toml_set "$cfg" "" proxy_app "\"tcp://127.0.0.1:$((base + 58))\""
	toml_set "$cfg" rpc laddr "\"tcp://127.0.0.1:$((base + 57))\""
	toml_set "$cfg" rpc pprof_laddr "$pprof"
	toml_set "$cfg" p2p laddr "\"tcp://127.0.0.1:$((base + 56))\""
	toml_set "$cfg" p2p allow_duplicate_ip true
	toml_set "$cfg" p2p addr_book_strict false
	toml_set "$cfg" consensus timeout_commit "\"$block_time\""
	toml_set "$cfg" instrumentation prometheus true
	toml_set "$cfg" instrumentation prometheus_listen_addr "\"127.0.0.1:$((base + 60))\""
	# a dev chain: free transactions (a new node's default is 0.025utensor)
	toml_set "$appcfg" "" minimum-gas-prices "\"0$DENOM\""
	toml_set "$appcfg" api enable true
	toml_set "$appcfg" api address "\"tcp://127.0.0.1:$((base + 17))\""
	toml_set "$appcfg" api swagger true # OpenAPI document and UI at /swagger/
	toml_set "$appcfg" grpc address "\"127.0.0.1:$((base + 90))\""
}

# configure_client HOME RPC_PORT points the CLI in HOME at the node and the
# test keyring, so commands need only --home.
configure_client() {
	local f="$1/config/client.toml"
	toml_set "$f" "" chain-id "\"$CHAIN_ID\""
	toml_set "$f" "" keyring-backend '"test"'
	toml_set "$f" "" node "\"tcp://127.0.0.1:$2\""
}

# port_in_use PORT reports whether something listens on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# rpc_height PORT prints the latest block height served on 127.0.0.1:PORT, or 0.
rpc_height() {
	local out
	out="$(timeout 5 "$BINARY" status --node "tcp://127.0.0.1:$1" 2>/dev/null)" || { echo 0; return; }
	sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p' <<<"$out" | head -1
}

# wait_height PORT HEIGHT TIMEOUT_S waits until the node reaches HEIGHT.
wait_height() {
	local port="$1" want="$2" timeout="$3" h=0 i
	for ((i = 0; i < timeout * 5; i++)); do
		h="$(rpc_height "$port")"
		[[ "${h:-0}" -ge "$want" ]] && return 0
		sleep 0.2
	done
	log "node on port $port is at height ${h:-0}, wanted $want after ${timeout}s"
	return 1
}

# stop_pidfile FILE stops the process in FILE (TERM, then KILL after 10 s).
stop_pidfile() {
	local file="$1" pid i
	[[ -f "$file" ]] || return 0
	pid="$(cat "$file")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid ignored SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$file"
}
