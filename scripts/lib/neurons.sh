# Subnet 1 and its miners and validators on the localnet. Sourced by
# scripts/localnet.sh after lib/common.sh and its HOME_DIR/PORT_BASE settings.
#
# Layout under $HOME_DIR/neurons/NAME: config.yaml, NAME.log, pid and state/,
# kept across restarts: a miner's axon TLS certificate (state/axon-tls), a validator's scores
# and commit state. The daemons run with dev: true, which lets them use the
# localnet's unencrypted test keyring.

NETUID=1
TEMPO="${LOCALNET_TEMPO:-10}"
NEURONS_DIR="$HOME_DIR/neurons"
CACHE_DIR="${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}"
MODELS_DIR="$CACHE_DIR/models"
MINER_BIN="${TENSORCOSM_MINER:-$ROOT/build/tensorcosm-miner}"
VALIDATOR_BIN="${TENSORCOSM_VALIDATOR:-$ROOT/build/tensorcosm-validator}"

# Three miners of different quality: `model train` flags per model. The
# default settings reach about 0.97 held-out accuracy, "medium" about 0.63,
# and "untrained" (random weights) about 0.15.
MINERS=(strong medium untrained)
declare -A TRAIN_ARGS=([strong]="" [medium]="--epochs 2 --hidden 6" [untrained]="--epochs 0")
# Two validators with unequal stake (utensor): 20,000 and 10,000 TENSOR.
VALIDATORS=(1 2)
declare -A VALIDATOR_STAKE=([1]=20000000000 [2]=10000000000)
NEURON_FUND=100000000000 # 100,000 TENSOR per coldkey
MAX_BURN=100000000       # the most a registration may cost: 100 TENSOR

TASK_JSON='{"kind":"digits-classification","inputs":[{"name":"input","dtype":"float32","shape":[-1,64]}],"outputs":[{"name":"probabilities","dtype":"float32","shape":[-1,10]}],"scoring":"accuracy"}'

# subnet_hyperparams prints subnet 1's hyperparameters: the module defaults
# except a short tempo, a weights rate limit of half a tempo (so validators
# can commit every tempo), model download for validators, and up to 8
# registrations per block (all five daemons register at once).
subnet_hyperparams() {
	local rate=$((TEMPO / 2 > 0 ? TEMPO / 2 : 1))
	printf '{"tempo":%d,"kappa":32767,"bonds_moving_average":"900000","bonds_penalty":65535,' "$TEMPO"
	printf '"immunity_period":"4096","max_allowed_uids":256,"max_allowed_validators":64,'
	printf '"min_allowed_weights":1,"max_weight_limit":65535,"weights_rate_limit":"%d",' "$rate"
	printf '"activity_cutoff":"5000","commit_reveal":true,"reveal_period":"1",'
	printf '"alpha_low":45875,"alpha_high":58982,"alpha_sigmoid_steepness":"1000",'
	printf '"serving_rate_limit":"5","min_burn":"1000000","max_burn":"10000000000",'
	printf '"burn_half_life":"360","burn_increase_bps":12600,"max_registrations_per_block":8,'
	printf '"model_download":true}'
}

miner_names() { local m; for m in "${MINERS[@]}"; do echo "miner-$m"; done; }
validator_names() { local v; for v in "${VALIDATORS[@]}"; do echo "validator-$v"; done; }

cli() { "$BINARY" "$@" --home "$HOME_DIR"; }
key_address() { cli keys show "$1" -a --keyring-backend test 2>/dev/null; }

# tx_wait runs a tx command (its JSON output) and waits for its block; it
# dies with the log unless the tx succeeded.
tx_wait() {
	local out hash code
	out="$(cli "$@" --yes --output json 2>&1)" || die "$* failed: $out"
	code="$(sed -n 's/.*"code":\([0-9]*\).*/\1/p' <<<"$out" | head -1)"
	[[ "${code:-0}" == 0 ]] || die "$* rejected: $out"
	hash="$(sed -n 's/.*"txhash":"\([0-9A-F]*\)".*/\1/p' <<<"$out")"
	out="$(cli q wait-tx "$hash" --timeout 120s --output json 2>&1)" || die "waiting for $hash: $out"
	code="$(sed -n 's/.*"code":\([0-9]*\).*/\1/p' <<<"$out" | head -1)"
	[[ "${code:-0}" == 0 ]] || die "$* failed in block: $out"
}

ensure_daemon_binaries() {
	[[ -x "$MINER_BIN" ]] || die "no miner binary at $MINER_BIN (make build)"
	[[ -x "$VALIDATOR_BIN" ]] || die "no validator binary at $VALIDATOR_BIN (make build)"
}

# ensure_models trains the three miner models once and keeps them in the
# cache; a model is retrained when its flags change.
ensure_models() {
	mkdir -p "$MODELS_DIR"
	local m file
	for m in "${MINERS[@]}"; do
		file="$MODELS_DIR/digits-$m.onnx"
		if [[ -f "$file" && "$(cat "$file.args" 2>/dev/null)" == "${TRAIN_ARGS[$m]}" ]]; then
			continue
		fi
		log "training the $m model (model train ${TRAIN_ARGS[$m]:-with default settings})"
		# shellcheck disable=SC2086 # the flags are words
		"$MINER_BIN" model train --out "$file" ${TRAIN_ARGS[$m]} >"$file.txt" || die "model train failed"
		grep -E 'sha256|held-out score' "$file.txt" | sed 's/^/    /' >&2
		printf '%s' "${TRAIN_ARGS[$m]}" >"$file.args"
	done
}

# balance_of ADDR prints ADDR's utensor balance (0 for an unknown
# account); it dies when the query fails, so an unreachable node is never
# taken for an unfunded key.
balance_of() {
	local out
	out="$(cli q bank balance "$1" "$DENOM" --output json 2>&1)" || die "querying the balance of $1 failed: $out"
	out="$(sed -n 's/.*"amount": *"\([0-9]*\)".*/\1/p' <<<"$out" | head -1)"
	echo "${out:-0}"
}

# ensure_neuron_keys creates the daemons' keys and funds the coldkeys that
# have no balance, in one multi-send from alice. A coldkey that has a
# balance was funded by an earlier run and is not funded again.
ensure_neuron_keys() {
	local name role addr missing=() funded=()
	for name in $(miner_names) $(validator_names); do
		for role in cold hot; do
			if ! key_address "$name-$role" >/dev/null; then
				cli keys add "$name-$role" --keyring-backend test --output json >"$HOME_DIR/$name-$role.key.json" 2>&1 ||
					die "keys add $name-$role failed"
				chmod 600 "$HOME_DIR/$name-$role.key.json"
			fi
		done
		addr="$(key_address "$name-cold")"
		if [[ "$(balance_of "$addr")" -gt 0 ]]; then funded+=("$name"); else missing+=("$addr"); fi
	done
	((${#funded[@]} == 0)) || log "coldkeys already funded, not funded again: ${funded[*]}"
	if ((${#missing[@]})); then
		log "funding ${#missing[@]} coldkeys with $NEURON_FUND$DENOM each from alice"
		tx_wait tx bank multi-send alice "${missing[@]}" "$NEURON_FUND$DENOM" --keyring-backend test
	fi
}

# ensure_subnet creates subnet 1 (digits) owned by alice unless it exists;
# any answer but "not found" stops the script rather than risk a second
# subnet.
ensure_subnet() {
	local out
	if out="$(cli q subnet subnet "$NETUID" --output json 2>&1)"; then
		log "subnet $NETUID exists, not created again"
		return
	fi
	grep -q 'not found' <<<"$out" || die "querying subnet $NETUID failed: $out"
	log "creating subnet $NETUID (digits, tempo $TEMPO) owned by alice"
	tx_wait tx subnet create-subnet digits "$TASK_JSON" --hyperparams "$(subnet_hyperparams)" \
		--from alice --keyring-backend test
}

write_common_config() {
	local name="$1"
	cat <<YAML
chain:
  grpc_address: 127.0.0.1:$((PORT_BASE + 90))
  chain_id: $CHAIN_ID
  tx_timeout: 30s
keyring:
  backend: test
  dir: $HOME_DIR
  hotkey: $name-hot
  coldkey: $name-cold
dev: true
netuid: $NETUID
register: true
max_burn: $MAX_BURN
log_level: info
YAML
}

write_miner_config() {
	local m="$1" i="$2" name="miner-$1"
	write_common_config "$name"
	cat <<YAML
state_dir: $NEURONS_DIR/$name/state
axon:
  listen_address: 127.0.0.1:$((PORT_BASE + 200 + i))
  tls: on   # self-signed, its fingerprint announced on chain and pinned by the validators
model:
  path: $MODELS_DIR/digits-$m.onnx
  device: cpu
metagraph_refresh: 3s
metrics_listen_address: 127.0.0.1:$((PORT_BASE + 210 + i))
YAML
}

write_validator_config() {
	local v="$1" i="$2" name="validator-$1"
	write_common_config "$name"
	cat <<YAML
stake: ${VALIDATOR_STAKE[$v]}
state_dir: $NEURONS_DIR/$name/state
metrics_listen_address: 127.0.0.1:$((PORT_BASE + 220 + i))
YAML
}

daemon_bin() { [[ "$1" == miner-* ]] && echo "$MINER_BIN" || echo "$VALIDATOR_BIN"; }

# start_daemon NAME starts NAME from its config.yaml unless it runs.
start_daemon() {
	local name="$1" dir="$NEURONS_DIR/$1"
	if [[ -f "$dir/pid" ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		log "$name already running (pid $(cat "$dir/pid"))"
		return
	fi
	nohup "$(daemon_bin "$name")" run --config "$dir/config.yaml" >>"$dir/$name.log" 2>&1 </dev/null &
	echo $! >"$dir/pid"
	log "started $name (pid $!), log $dir/$name.log"
}

start_neurons() {
	local i=0 m v name
	for m in "${MINERS[@]}"; do
		name="miner-$m"
		mkdir -p "$NEURONS_DIR/$name/state"
		write_miner_config "$m" "$i" >"$NEURONS_DIR/$name/config.yaml"
		start_daemon "$name"
		i=$((i + 1))
	done
	i=0
	for v in "${VALIDATORS[@]}"; do
		name="validator-$v"
		mkdir -p "$NEURONS_DIR/$name/state"
		write_validator_config "$v" "$i" >"$NEURONS_DIR/$name/config.yaml"
		start_daemon "$name"
		i=$((i + 1))
	done
}

# registered_names prints the daemons whose hotkeys hold a UID in subnet 1.
registered_names() {
	local mg name
	mg="$(cli q subnet metagraph "$NETUID" --output json 2>/dev/null || true)"
	grep -q '"hotkey"' <<<"$mg" || return 0
	for name in $(miner_names) $(validator_names); do
		grep -q "\"$(key_address "$name-hot")\"" <<<"$mg" && echo "$name"
	done
	return 0
}

# report_registered says which daemons resume with the UID they hold: a
# daemon registers itself only when its hotkey has none.
report_registered() {
	local names
	names="$(registered_names | tr '\n' ' ')"
	[[ -z "$names" ]] || log "already registered in subnet $NETUID, not registered again: ${names% }"
}

# wait_registered waits until every daemon's hotkey holds a UID in subnet 1.
wait_registered() {
	local deadline=$((SECONDS + 180)) name hot mg left
	while :; do
		mg="$(cli q subnet metagraph "$NETUID" --output json 2>/dev/null || true)"
		left=()
		for name in $(miner_names) $(validator_names); do
			hot="$(key_address "$name-hot")"
			grep -q "\"$hot\"" <<<"$mg" || left+=("$name")
			if [[ -f "$NEURONS_DIR/$name/pid" ]] && ! kill -0 "$(cat "$NEURONS_DIR/$name/pid")" 2>/dev/null; then
				tail -5 "$NEURONS_DIR/$name/$name.log" >&2 || true
				die "$name exited; its log is $NEURONS_DIR/$name/$name.log"
			fi
		done
		((${#left[@]} == 0)) && break
		((SECONDS < deadline)) || die "not registered after 180 s: ${left[*]}"
		log "waiting for registration: ${left[*]}"
		sleep 2
	done
	log "all ${#MINERS[@]} miners and ${#VALIDATORS[@]} validators are registered in subnet $NETUID"
}

stop_neurons() {
	local name
	for name in $(validator_names) $(miner_names); do
		if [[ -f "$NEURONS_DIR/$name/pid" ]]; then
			log "stopping $name (pid $(cat "$NEURONS_DIR/$name/pid"))"
			stop_pidfile "$NEURONS_DIR/$name/pid"
		fi
	done
}

restart_neuron() {
	local name="${1:-}"
	[[ -f "$NEURONS_DIR/$name/config.yaml" ]] || die "no daemon named '$name' (try: $(miner_names | tr '\n' ' ')$(validator_names | tr '\n' ' '))"
	stop_pidfile "$NEURONS_DIR/$name/pid"
	start_daemon "$name"
}

print_neurons() {
	local i=0 m v name pid state
	printf '\n  subnet %d (digits), tempo %d blocks\n' "$NETUID" "$TEMPO" >&2
	for m in "${MINERS[@]}"; do
		name="miner-$m"
		pid="$(cat "$NEURONS_DIR/$name/pid" 2>/dev/null || echo -)"
		state=stopped
		kill -0 "$pid" 2>/dev/null && state="pid $pid"
		printf '  %-18s %-10s axon 127.0.0.1:%d  metrics http://127.0.0.1:%d/metrics\n' \
			"$name" "$state" $((PORT_BASE + 200 + i)) $((PORT_BASE + 210 + i)) >&2
		i=$((i + 1))
	done
	i=0
	for v in "${VALIDATORS[@]}"; do
		name="validator-$v"
		pid="$(cat "$NEURONS_DIR/$name/pid" 2>/dev/null || echo -)"
		state=stopped
		kill -0 "$pid" 2>/dev/null && state="pid $pid"
		printf '  %-18s %-10s stake %d TENSOR      metrics http://127.0.0.1:%d/metrics\n' \
			"$name" "$state" $((VALIDATOR_STAKE[$v] / 1000000)) $((PORT_BASE + 220 + i)) >&2
		i=$((i + 1))
	done
	cat >&2 <<INFO
  logs      $NEURONS_DIR/NAME/NAME.log
  scrape    $HOME_DIR/prometheus.yml (Prometheus config; dashboards in deploy/grafana/)

  watch the incentive loop (the strong miner should lead within a few tempos):
        $BINARY q subnet metagraph $NETUID --home $HOME_DIR
        $BINARY q subnet emission $NETUID --home $HOME_DIR
        tail -f $NEURONS_DIR/validator-1/validator-1.log
  stop: make localnet-stop   (or scripts/localnet.sh stop)

INFO
}

up() {
	ensure_binary
	ensure_daemon_binaries
	ensure_models
	start
	ensure_neuron_keys
	ensure_subnet
	report_registered
	start_neurons
	write_prometheus_config
	wait_registered
	print_neurons
	[[ -z "${RESUMED_FROM:-}" ]] || log "resumed localnet from $HOME_DIR (height $RESUMED_FROM) in ${SECONDS}s"
}
