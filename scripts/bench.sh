#!/usr/bin/env bash
# The headline benchmarks in one run, printed as one table (make bench): the
# Yuma engine beside the plain dense float64 implementation (internal/yumaref)
# at 256x64, 1024x128 and 4096x256, the whole EndBlocker epoch, the metagraph
# query at 4,096 neurons, weights tx/s on a localnet, the axon's overhead and
# the gateway's added latency.
# Each row gives the median over the rounds, its target and figure/target.
#
#   scripts/bench.sh
#
# The in-process benchmarks run in BENCH_ROUNDS rounds, each round running
# every one of them once, so that the two sides of a Yuma ratio are timed back
# to back and a busy moment of the machine hits both; the Yuma ratio is the
# median of the rounds' ratios. Then the gateway benchmark runs BENCH_ROUNDS
# times (each run sets up its own in-process chain, miner and gateway), and the
# weights load runs on a localnet of its own (scripts/load-weights.sh, ports
# from 28700).
#
# Environment:
#   BENCH_ROUNDS        rounds of the in-process benchmarks (default 5)
#   BENCH_LOAD_SECONDS  length of the weights load (default 30)
#   BENCH_OUT           directory for the raw output and the load's log (default:
#                       a new temporary directory, printed); the test binaries
#                       built there are deleted at the end
#   BUILD_TAGS          Go build tags (make passes its own)
#   TENSORCOSMD         node binary for the load (default: build it)
set -euo pipefail
LOG_TAG=bench
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit 0
fi

rounds="${BENCH_ROUNDS:-5}"
load_seconds="${BENCH_LOAD_SECONDS:-30}"
out="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tensorcosm-bench.XXXXXX")}"
mkdir -p "$out"
raw="$out/bench.txt"
: >"$raw"
tags=()
[[ -z "${BUILD_TAGS:-}" ]] || tags=(-tags "$BUILD_TAGS")
started="$(date +%s)"
cd "$ROOT"

machine="machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
log "$machine"
log "raw output: $raw"

log "building the benchmark binaries"
for pkg in yuma:./x/subnet/yuma keeper:./x/subnet/keeper subnet:./tests/subnet axon:./axon gateway:./gateway; do
	go test "${tags[@]}" -c -o "$out/${pkg%%:*}.test" "${pkg#*:}" || die "building ${pkg#*:} failed"
done

# bench DIR BINARY ARGS... runs one test binary in its package directory (as go
# test does) and appends its benchmark lines to the raw output.
bench() {
	local dir="$1" bin="$2"
	shift 2
	(cd "$dir" && "$out/$bin" -test.run '^$' "$@") | tee -a "$raw" | grep '^Benchmark' >&2 || die "$bin $* failed"
}

for ((r = 1; r <= rounds; r++)); do
	log "round $r of $rounds"
	bench x/subnet/yuma yuma.test -test.bench 'BenchmarkEngine/dense' -test.cpu 1 -test.benchmem
	bench x/subnet/keeper keeper.test -test.bench '^BenchmarkEpoch$' -test.benchtime 10x
	bench axon axon.test -test.bench '^BenchmarkAxonRoundTrip$'
	bench tests/subnet subnet.test -test.bench '^BenchmarkMetagraphGRPC$' -test.benchtime 10x
done

log "gateway latency, ${rounds} runs"
bench gateway gateway.test -test.bench '^BenchmarkGatewayLatency$' -test.benchtime 1s -test.count "$rounds"

log "weights load, ${load_seconds} s"
load_json="$out/load.json"
LOCALNET_HOME="$out/load" LOCALNET_PORT_BASE="${BENCH_LOAD_PORT_BASE:-28700}" LOAD_JSON="$load_json" \
	"$ROOT/scripts/load-weights.sh" --duration "${load_seconds}s" >"$out/load.txt" 2>&1 ||
	{ tail -20 "$out/load.txt" >&2; die "the weights load failed (log: $out/load.txt)"; }
rate="$(tr -d ' \n\t' <"$load_json" | sed -nE 's/.*"sustained_tx_per_s":([0-9.eE+-]+).*/\1/p')"
[[ -n "$rate" ]] || die "no sustained_tx_per_s in $load_json"
echo "BenchmarkLoadWeights 1 0 ns/op $rate tx/s" >>"$raw"

rm -f "$out"/*.test
elapsed=$(($(date +%s) - started))
go run ./internal/benchtable -machine "$machine" \
	-wall "$(printf 'wall time %dm%02ds, rounds: %d; load average at the end %s' $((elapsed / 60)) $((elapsed % 60)) "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)")" "$raw"
