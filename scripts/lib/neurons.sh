# Subnets 1 (digits) and 2 (textline) and their miners and validators on the
# localnet, and the gateway in front of both. Sourced by scripts/localnet.sh
# after lib/common.sh and its HOME_DIR/PORT_BASE settings.
#
# Layout under $HOME_DIR/neurons/NAME: config.yaml, NAME.log, pid and state/,
# kept across restarts: a miner's axon TLS certificate (state/axon-tls), a validator's scores
# and commit state, the gateway's key store (state/gateway.db). The daemons run
# with dev: true, which lets them use the localnet's unencrypted test keyring.
# neurons/gateway also holds the localnet's API key token (api-key, mode 600)
# and the sample request bodies the summary's curl commands send.

NETUID=1
TEMPO="${LOCALNET_TEMPO:-10}"
NEURONS_DIR="$HOME_DIR/neurons"
CACHE_DIR="${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}"
MODELS_DIR="$CACHE_DIR/models"
MINER_BIN="${TENSORCOSM_MINER:-$ROOT/build/tensorcosm-miner}"
VALIDATOR_BIN="${TENSORCOSM_VALIDATOR:-$ROOT/build/tensorcosm-validator}"
GATEWAY_BIN="${TENSORCOSM_GATEWAY:-$ROOT/build/tensorcosm-gateway}"

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

# Subnet 2 (textline, task/textline's DefaultSpec) with the same tempo: two
# miners, the PP-OCRv4 recognizer (scripts/fetch-ocr-model.sh) and the
# untrained baseline (`model init --task textline`), and the same two
# validators. A validator process serves one netuid, so each validator runs
# a second process, validator-N-textline, with validator-N's keys (stake is
# the hotkey's, split over its subnets: only validator-N stakes). Its queries are
# kept cheap for a 2-core machine: 4 lines per challenge every 4 s
# (PP-OCRv4 takes about 15 ms a line on a CPU), with a 3 s query timeout.
NETUID2=2
TEXTLINE_MINERS=(ppocr baseline)
TEXTLINE_BATCH=4
TEXTLINE_STEP=4s
TEXTLINE_QUERY_TIMEOUT=3s
OCR_MODEL="$MODELS_DIR/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx"
# The gateway (tensorcosm-gateway) serves both subnets on BASE+100 (OIP v2,
# predict, receipts), /metrics and /healthz on BASE+101. It signs axon
# sessions with validator-1's hotkey, registered in both subnets (its
# sessions are separate from validator-1's and validator-1-textline's).
# `up` creates one API key, named localnet, and keeps its token in
# neurons/gateway/api-key.
GATEWAY=gateway
GATEWAY_DIR="$NEURONS_DIR/$GATEWAY"
GATEWAY_PORT=$((PORT_BASE + 100))
GATEWAY_METRICS_PORT=$((PORT_BASE + 101))
GATEWAY_HOTKEY=validator-1-hot
GATEWAY_KEY_NAME=localnet
GATEWAY_TOKEN_FILE="$GATEWAY_DIR/api-key"
GATEWAY_DIGIT_SAMPLE="$GATEWAY_DIR/sample-digit-oip.json"
GATEWAY_LINE_SAMPLE="$GATEWAY_DIR/sample-line.png"

TEXTLINE_TASK_JSON='{"kind":"textline","inputs":[{"name":"x","dtype":"float32","shape":[-1,3,48,-1]}],"outputs":[{"name":"softmax_11.tmp_0","dtype":"float32","shape":[-1,-1,6625]}],"scoring":"cer"}'

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
textline_miner_names() { local m; for m in "${TEXTLINE_MINERS[@]}"; do echo "miner-$m"; done; }
textline_validator_names() { local v; for v in "${VALIDATORS[@]}"; do echo "validator-$v-textline"; done; }
# subnet_names NETUID prints the daemons serving NETUID.
subnet_names() {
	if [[ "$1" == "$NETUID" ]]; then miner_names && validator_names; else textline_miner_names && textline_validator_names; fi
}
# key_name NAME prints the keys' name of daemon NAME (validator-N-textline
# signs with validator-N's keys).
key_name() { echo "${1%-textline}"; }
# textline_model M prints the model file of textline miner M.
textline_model() { [[ "$1" == ppocr ]] && echo "$OCR_MODEL" || echo "$MODELS_DIR/textline-$1.onnx"; }

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
	[[ -x "$GATEWAY_BIN" ]] || die "no gateway binary at $GATEWAY_BIN (make build)"
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
	if [[ ! -f "$OCR_MODEL" ]]; then
		log "fetching the PP-OCRv4 recognizer (scripts/fetch-ocr-model.sh)"
		"$ROOT/scripts/fetch-ocr-model.sh" >&2 || die "fetching the PP-OCRv4 recognizer failed"
	fi
	file="$(textline_model baseline)"
	if [[ ! -f "$file" ]]; then
		log "writing the untrained textline baseline (model init --task textline)"
		"$MINER_BIN" model init --task textline --out "$file" >"$file.txt" || die "model init --task textline failed"
	fi
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
	for name in $(miner_names) $(validator_names) $(textline_miner_names); do
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
		tx_wait tx bank multi-send alice "${missing[@]}" "$NEURON_FUND$DENOM" --gas 1000000 --keyring-backend test
	fi
}

# ensure_subnet [NETUID NAME TASK_JSON] creates the subnet (default: subnet
# 1, digits) owned by alice unless it exists; any answer but "not found"
# stops the script rather than risk a second subnet. Subnets are numbered
# in creation order, so subnet 2 is created after subnet 1.
ensure_subnet() {
	local netuid="${1:-$NETUID}" name="${2:-digits}" spec="${3:-$TASK_JSON}" out
	if out="$(cli q subnet subnet "$netuid" --output json 2>&1)"; then
		log "subnet $netuid exists, not created again"
		return
	fi
	grep -q 'not found' <<<"$out" || die "querying subnet $netuid failed: $out"
	log "creating subnet $netuid ($name, tempo $TEMPO) owned by alice"
	tx_wait tx subnet create-subnet "$name" "$spec" --hyperparams "$(subnet_hyperparams)" \
		--from alice --keyring-backend test
	cli q subnet subnet "$netuid" --output json >/dev/null 2>&1 || die "subnet $name was not created as subnet $netuid"
}

# write_common_config KEY [NETUID]: the keys' name and the subnet.
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
netuid: ${2:-$NETUID}
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

# write_textline_miner_config M I: miner-M in subnet 2, axon BASE+203+I and
# metrics BASE+213+I (after subnet 1's three miners).
write_textline_miner_config() {
	local m="$1" i="$2" name="miner-$1"
	write_common_config "$name" "$NETUID2"
	cat <<YAML
state_dir: $NEURONS_DIR/$name/state
axon:
  listen_address: 127.0.0.1:$((PORT_BASE + 203 + i))
  tls: on
model:
  path: $(textline_model "$m")
  device: cpu
metagraph_refresh: 3s
metrics_listen_address: 127.0.0.1:$((PORT_BASE + 213 + i))
YAML
}

# write_textline_validator_config V I: validator-V's process in subnet 2,
# metrics BASE+222+I. It stakes nothing: validator-V's stake counts here too.
write_textline_validator_config() {
	local v="$1" i="$2" name="validator-$1-textline"
	write_common_config "validator-$v" "$NETUID2"
	cat <<YAML
state_dir: $NEURONS_DIR/$name/state
metrics_listen_address: 127.0.0.1:$((PORT_BASE + 222 + i))
challenge_batch: $TEXTLINE_BATCH
step_interval: $TEXTLINE_STEP
query_timeout: $TEXTLINE_QUERY_TIMEOUT
verify:
  sample: 2
YAML
}

daemon_bin() {
	case "$1" in
	miner-*) echo "$MINER_BIN" ;;
	"$GATEWAY") echo "$GATEWAY_BIN" ;;
	*) echo "$VALIDATOR_BIN" ;;
	esac
}

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
	i=0
	for m in "${TEXTLINE_MINERS[@]}"; do
		name="miner-$m"
		mkdir -p "$NEURONS_DIR/$name/state"
		write_textline_miner_config "$m" "$i" >"$NEURONS_DIR/$name/config.yaml"
		start_daemon "$name"
		i=$((i + 1))
	done
}

# start_textline_validators starts validator-N-textline. up starts them once
# validator-N is registered in subnet 1: validator-N creates the hotkey's
# account, and two processes doing that at once send the same transaction.
start_textline_validators() {
	local i=0 v name
	for v in "${VALIDATORS[@]}"; do
		name="validator-$v-textline"
		mkdir -p "$NEURONS_DIR/$name/state"
		write_textline_validator_config "$v" "$i" >"$NEURONS_DIR/$name/config.yaml"
		start_daemon "$name"
		i=$((i + 1))
	done
}

# write_gateway_config: both subnets, validator-1's hotkey, the key store
# (and the dashboard's epoch history, read from the node's RPC) in state/,
# and the API and dashboard on BASE+100 (metrics BASE+101).
write_gateway_config() {
	cat <<YAML
chain:
  grpc_address: 127.0.0.1:$((PORT_BASE + 90))
  chain_id: $CHAIN_ID
keyring:
  backend: test
  dir: $HOME_DIR
  hotkey: $GATEWAY_HOTKEY
dev: true
subnets: "$NETUID,$NETUID2"
listen_address: 127.0.0.1:$GATEWAY_PORT
metrics_listen_address: 127.0.0.1:$GATEWAY_METRICS_PORT
data_dir: $GATEWAY_DIR/state
store:
  driver: sqlite
anonymous: false
dashboard:
  enabled: true
  rpc_address: http://127.0.0.1:$((PORT_BASE + 57))
log_level: info
YAML
}

# gateway_cmd ARGS runs tensorcosm-gateway ARGS with the gateway's config.
gateway_cmd() { "$GATEWAY_BIN" "$@" --config "$GATEWAY_DIR/config.yaml"; }

# ensure_api_key creates the API key named localnet and writes its token to
# GATEWAY_TOKEN_FILE (mode 600), unless the store has an active key of
# that name and the file holds its token: a resumed localnet keeps its key.
# A key whose token file is gone is revoked and made again.
ensure_api_key() {
	local keys out token
	keys="$(gateway_cmd keys list -o json)" || die "listing the gateway's API keys failed"
	if jq -e --arg n "$GATEWAY_KEY_NAME" 'any(.[]; .name == $n and (.revoked_at // "") == "")' <<<"$keys" >/dev/null; then
		if [[ -s "$GATEWAY_TOKEN_FILE" ]]; then
			log "API key $GATEWAY_KEY_NAME exists, not created again (token in $GATEWAY_TOKEN_FILE)"
			return
		fi
		log "API key $GATEWAY_KEY_NAME exists but $GATEWAY_TOKEN_FILE is gone: revoking it and creating it again"
		gateway_cmd keys revoke "$GATEWAY_KEY_NAME" >/dev/null || die "revoking API key $GATEWAY_KEY_NAME failed"
	fi
	out="$(gateway_cmd keys create "$GATEWAY_KEY_NAME" -o json)" || die "creating API key $GATEWAY_KEY_NAME failed"
	token="$(jq -r '.token // empty' <<<"$out")"
	[[ -n "$token" ]] || die "keys create printed no token"
	(umask 077 && printf '%s\n' "$token" >"$GATEWAY_TOKEN_FILE")
	chmod 600 "$GATEWAY_TOKEN_FILE"
	log "created API key $GATEWAY_KEY_NAME, token in $GATEWAY_TOKEN_FILE"
}

# ensure_gateway_samples writes the request bodies of the summary's curl
# commands once: a digits item as an OIP v2 infer request and a rendered
# text line as a PNG, drawn as the validators draw their challenges.
ensure_gateway_samples() {
	if [[ ! -s "$GATEWAY_DIGIT_SAMPLE" ]]; then
		"$GATEWAY_BIN" sample-payload --task digits --format oip --out "$GATEWAY_DIGIT_SAMPLE" ||
			die "writing the digits sample failed"
	fi
	if [[ ! -s "$GATEWAY_LINE_SAMPLE" ]]; then
		"$GATEWAY_BIN" sample-payload --task textline --format png --out "$GATEWAY_LINE_SAMPLE" ||
			die "writing the textline sample failed"
	fi
}

# start_gateway writes the gateway's config, its API key and samples, and
# starts it. up starts it once validator-1's hotkey holds a UID in both
# subnets.
start_gateway() {
	mkdir -p "$GATEWAY_DIR/state"
	write_gateway_config >"$GATEWAY_DIR/config.yaml"
	ensure_api_key
	ensure_gateway_samples
	start_daemon "$GATEWAY"
}

# wait_gateway waits until the gateway serves both subnets: each model is
# ready (its metagraph read, a miner serving it).
wait_gateway() {
	local deadline=$((SECONDS + 180)) url="http://127.0.0.1:$GATEWAY_PORT" netuid left
	while :; do
		if ! kill -0 "$(cat "$GATEWAY_DIR/pid" 2>/dev/null || echo -)" 2>/dev/null; then
			tail -5 "$GATEWAY_DIR/$GATEWAY.log" >&2 || true
			die "the gateway exited; its log is $GATEWAY_DIR/$GATEWAY.log"
		fi
		left=()
		for netuid in "$NETUID" "$NETUID2"; do
			curl -fsS -o /dev/null --max-time 2 "$url/v2/models/$netuid/ready" 2>/dev/null || left+=("$netuid")
		done
		((${#left[@]} == 0)) && break
		((SECONDS < deadline)) || die "the gateway does not serve subnets ${left[*]} after 180 s; its log is $GATEWAY_DIR/$GATEWAY.log"
		log "waiting for the gateway to serve subnets: ${left[*]}"
		sleep 2
	done
	log "the gateway serves subnets $NETUID and $NETUID2 on $url"
}

# registered_names [NETUID] prints the daemons whose hotkeys hold a UID in
# the subnet (default: subnet 1).
registered_names() {
	local netuid="${1:-$NETUID}" mg name
	mg="$(cli q subnet metagraph "$netuid" --output json 2>/dev/null || true)"
	grep -q '"hotkey"' <<<"$mg" || return 0
	for name in $(subnet_names "$netuid"); do
		grep -q "\"$(key_address "$(key_name "$name")-hot")\"" <<<"$mg" && echo "$name"
	done
	return 0
}

# report_registered [NETUID] says which daemons resume with the UID they
# hold: a daemon registers itself only when its hotkey has none.
report_registered() {
	local netuid="${1:-$NETUID}" names
	names="$(registered_names "$netuid" | tr '\n' ' ')"
	[[ -z "$names" ]] || log "already registered in subnet $netuid, not registered again: ${names% }"
}

# wait_registered [NETUID] waits until every daemon's hotkey holds a UID in
# the subnet (default: subnet 1).
wait_registered() {
	local netuid="${1:-$NETUID}" deadline=$((SECONDS + 180)) name hot mg left
	while :; do
		mg="$(cli q subnet metagraph "$netuid" --output json 2>/dev/null || true)"
		left=()
		for name in $(subnet_names "$netuid"); do
			hot="$(key_address "$(key_name "$name")-hot")"
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
	if [[ "$netuid" == "$NETUID" ]]; then
		log "all ${#MINERS[@]} miners and ${#VALIDATORS[@]} validators are registered in subnet $NETUID"
	else
		log "all ${#TEXTLINE_MINERS[@]} miners and ${#VALIDATORS[@]} validators are registered in subnet $netuid"
	fi
}

stop_neurons() {
	local name
	for name in "$GATEWAY" $(textline_validator_names) $(validator_names) $(textline_miner_names) $(miner_names); do
		if [[ -f "$NEURONS_DIR/$name/pid" ]]; then
			log "stopping $name (pid $(cat "$NEURONS_DIR/$name/pid"))"
			stop_pidfile "$NEURONS_DIR/$name/pid"
		fi
	done
}

restart_neuron() {
	local name="${1:-}"
	[[ -f "$NEURONS_DIR/$name/config.yaml" ]] || die "no daemon named '$name' (try: $(subnet_names "$NETUID" | tr '\n' ' ')$(subnet_names "$NETUID2" | tr '\n' ' ')$GATEWAY)"
	stop_pidfile "$NEURONS_DIR/$name/pid"
	start_daemon "$name"
}

daemon_state() {
	local pid
	pid="$(cat "$NEURONS_DIR/$1/pid" 2>/dev/null || echo -)"
	if kill -0 "$pid" 2>/dev/null; then echo "pid $pid"; else echo stopped; fi
}

# print_textline_neurons prints subnet 2's daemons as print_neurons does
# subnet 1's.
print_textline_neurons() {
	local i=0 m v name
	printf '\n  subnet %d (textline), tempo %d blocks, %d lines every %s per validator\n' \
		"$NETUID2" "$TEMPO" "$TEXTLINE_BATCH" "$TEXTLINE_STEP" >&2
	for m in "${TEXTLINE_MINERS[@]}"; do
		name="miner-$m"
		printf '  %-20s %-10s axon 127.0.0.1:%d  metrics http://127.0.0.1:%d/metrics\n' \
			"$name" "$(daemon_state "$name")" $((PORT_BASE + 203 + i)) $((PORT_BASE + 213 + i)) >&2
		i=$((i + 1))
	done
	i=0
	for v in "${VALIDATORS[@]}"; do
		name="validator-$v-textline"
		printf '  %-20s %-10s validator-%s keys     metrics http://127.0.0.1:%d/metrics\n' \
			"$name" "$(daemon_state "$name")" "$v" $((PORT_BASE + 222 + i)) >&2
		i=$((i + 1))
	done
}

# print_gateway prints the gateway's address, its API key and a curl
# command per subnet: an OIP v2 infer request on digits, a PNG of a text
# line to textline's predict endpoint.
print_gateway() {
	local url="http://127.0.0.1:$GATEWAY_PORT" auth="Authorization: Bearer \$(cat $GATEWAY_TOKEN_FILE)"
	printf '\n  gateway (OIP v2 and predict for subnets %d and %d, signs as %s)\n' "$NETUID" "$NETUID2" "$GATEWAY_HOTKEY" >&2
	printf '  %-20s %-10s api %s  metrics http://127.0.0.1:%d/metrics\n' \
		"$GATEWAY" "$(daemon_state "$GATEWAY")" "$url" "$GATEWAY_METRICS_PORT" >&2
	cat >&2 <<INFO
  dashboard $url/ (open it in a browser; "Try it" asks for the API key below)
  API key   $GATEWAY_KEY_NAME, token in $GATEWAY_TOKEN_FILE (more: $GATEWAY_BIN keys create NAME --config $GATEWAY_DIR/config.yaml)
  try the gateway (the answer carries its miner, model and receipt in tensorcosm_* parameters):
        curl -sS -H "$auth" -H 'Content-Type: application/json' --data-binary @$GATEWAY_DIGIT_SAMPLE $url/v2/models/digits/infer
        curl -sS -H "$auth" -H 'Content-Type: image/png' --data-binary @$GATEWAY_LINE_SAMPLE $url/v1/subnets/$NETUID2/predict
INFO
}

# print_miner_table NETUID prints the subnet's miners with their UID and
# model file and, once an epoch has paid, their last epoch's incentive
# (of 65535) and emission.
print_miner_table() {
	local netuid="$1" mg name m model row uid inc emission paid
	mg="$(cli q subnet metagraph "$netuid" --output json 2>/dev/null)" || return 0
	paid="$(jq -r '[.neurons[]?.neuron.last_epoch.emission // "0" | tonumber] | add // 0 | . > 0' <<<"$mg" 2>/dev/null)"
	printf '\n  subnet %d miners:\n' "$netuid" >&2
	for name in $(subnet_names "$netuid"); do
		[[ "$name" == miner-* ]] || continue
		m="${name#miner-}"
		if [[ "$netuid" == "$NETUID" ]]; then model="$MODELS_DIR/digits-$m.onnx"; else model="$(textline_model "$m")"; fi
		row="$(jq -r --arg hot "$(key_address "$name-hot")" '.neurons[]? | select(.neuron.hotkey == $hot) | .neuron |
			"\(.uid // 0) \(.last_epoch.incentive // 0) \(.last_epoch.emission // "0")"' <<<"$mg" 2>/dev/null)"
		if [[ -z "$row" ]]; then
			printf '  %-18s not registered  model %s\n' "$name" "$model" >&2
			continue
		fi
		read -r uid inc emission <<<"$row"
		if [[ "$paid" != true ]]; then
			printf '  %-18s uid %-3s model %s  (no epoch paid yet)\n' "$name" "$uid" "$model" >&2
		else
			printf '  %-18s uid %-3s model %s  incentive %s emission %s%s\n' "$name" "$uid" "$model" "$inc" "$emission" "$DENOM" >&2
		fi
	done
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
	print_textline_neurons
	print_gateway
	print_miner_table "$NETUID"
	print_miner_table "$NETUID2"
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
	ensure_subnet "$NETUID2" textline "$TEXTLINE_TASK_JSON"
	report_registered
	report_registered "$NETUID2"
	start_neurons
	write_prometheus_config
	wait_registered
	start_textline_validators
	wait_registered "$NETUID2"
	start_gateway
	wait_gateway
	print_neurons
	[[ -z "${RESUMED_FROM:-}" ]] || log "resumed localnet from $HOME_DIR (height $RESUMED_FROM) in ${SECONDS}s"
}
