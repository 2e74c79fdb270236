# Monitoring for the localnet: node telemetry and a Prometheus scrape
# config. Sourced by scripts/localnet.sh after lib/common.sh, lib/neurons.sh
# and their HOME_DIR/PORT_BASE settings.
#
# The node serves one Prometheus registry on two ports: CometBFT's
# instrumentation listener (PORT_BASE+60, /metrics) and the REST server's
# /metrics?format=prometheus (PORT_BASE+17, the SDK's telemetry with
# x/subnet's subnet_* metrics). The scrape config takes cometbft_* from the
# first and everything else from the second, so no series is scraped twice.

PROMETHEUS_YML="$HOME_DIR/prometheus.yml"

# configure_telemetry HOME turns on the SDK's telemetry with a Prometheus
# sink (series not updated for 10 minutes are dropped) and labels every
# metric it emits with the chain id. CometBFT's Prometheus listener is set
# by configure_node.
configure_telemetry() {
	local appcfg="$1/config/app.toml"
	toml_set "$appcfg" telemetry enabled true
	toml_set "$appcfg" telemetry prometheus-retention-time 600
	set_global_labels "$appcfg" "[[\"chain_id\", \"$CHAIN_ID\"]]"
}

# set_global_labels FILE VALUE replaces [telemetry] global-labels, which
# the SDK writes over several lines, with VALUE on one line.
set_global_labels() {
	local file="$1" value="$2" tmp
	tmp="$(mktemp)"
	awk -v value="$value" '
		/^\[.*\]$/ { cur = substr($0, 2, length($0) - 2) }
		skip { if ($0 ~ /^\][ ]*$/) { skip = 0 }; next }
		cur == "telemetry" && /^global-labels[ ]*=/ {
			print "global-labels = " value; done = 1
			open = gsub(/\[/, "[") - gsub(/\]/, "]")
			if (open > 0) { skip = 1 }
			next
		}
		{ print }
		END { if (!done) { exit 3 } }
	' "$file" >"$tmp" || { rm -f "$tmp"; die "$file: no global-labels in [telemetry]"; }
	mv "$tmp" "$file"
}

# prometheus_config prints a Prometheus config that scrapes the node and
# every daemon `up` starts, at the addresses their configs set.
prometheus_config() {
	local i m v
	cat <<YAML
# Prometheus scrape config for the tensorcosm localnet ($CHAIN_ID), written by
# scripts/localnet.sh up. Run: prometheus --config.file=$PROMETHEUS_YML
# Dashboards: deploy/grafana/ (their queries use the job and daemon labels).
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels:
    chain_id: $CHAIN_ID
scrape_configs:
  - job_name: tensorcosmd
    metrics_path: /metrics
    params:
      format: [prometheus]
    static_configs:
      - targets: ["127.0.0.1:$((PORT_BASE + 17))"]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: cometbft_.*
        action: drop
  - job_name: cometbft
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$((PORT_BASE + 60))"]
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: cometbft_.*
        action: keep
  - job_name: tensorcosm-miner
    static_configs:
YAML
	i=0
	for m in "${MINERS[@]}"; do
		printf '      - targets: ["127.0.0.1:%d"]\n        labels:\n          daemon: miner-%s\n' $((PORT_BASE + 210 + i)) "$m"
		i=$((i + 1))
	done
	i=0
	for m in "${TEXTLINE_MINERS[@]}"; do
		printf '      - targets: ["127.0.0.1:%d"]\n        labels:\n          daemon: miner-%s\n' $((PORT_BASE + 213 + i)) "$m"
		i=$((i + 1))
	done
	printf '  - job_name: tensorcosm-validator\n    static_configs:\n'
	i=0
	for v in "${VALIDATORS[@]}"; do
		printf '      - targets: ["127.0.0.1:%d"]\n        labels:\n          daemon: validator-%s\n' $((PORT_BASE + 220 + i)) "$v"
		i=$((i + 1))
	done
	i=0
	for v in "${VALIDATORS[@]}"; do
		printf '      - targets: ["127.0.0.1:%d"]\n        labels:\n          daemon: validator-%s-textline\n' $((PORT_BASE + 222 + i)) "$v"
		i=$((i + 1))
	done
	printf '  - job_name: tensorcosm-gateway\n    static_configs:\n'
	printf '      - targets: ["127.0.0.1:%d"]\n        labels:\n          daemon: gateway\n' $((PORT_BASE + 101))
}

# write_prometheus_config writes prometheus_config to $PROMETHEUS_YML.
write_prometheus_config() {
	mkdir -p "$HOME_DIR"
	prometheus_config >"$PROMETHEUS_YML"
	log "Prometheus config: $PROMETHEUS_YML (prometheus --config.file=$PROMETHEUS_YML)"
}
