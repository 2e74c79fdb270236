// Package grafana holds the Grafana dashboards for a tensorcosm network as
// JSON (chain.json, miners.json, validators.json; see README.md). Its test
// checks that every PromQL query in them names a metric the code exports:
// the miner's, validator's and axon's collectors, CometBFT's, and x/subnet's
// telemetry as go-metrics' Prometheus sink names it.
package grafana
