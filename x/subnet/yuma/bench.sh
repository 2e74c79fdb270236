#!/usr/bin/env bash
# bench.sh runs BenchmarkEngine on one core (-cpu 1) COUNT times (default 5) and prints,
# for each subnet shape, the median time per epoch of the fixed-point engine and of the
# plain dense float64 implementation (internal/yumaref), and their ratio (fixed /
# float64). Extra arguments go to go test, e.g. ./bench.sh -benchtime 20x. Set RAW=1 to
# also print go test's output.
set -euo pipefail
cd "$(dirname "$0")"
count="${COUNT:-5}"
raw="$(go test -run '^$' -bench '^BenchmarkEngine$' -benchmem -cpu 1 -count "$count" "$@" .)"
if [ "${RAW:-0}" = 1 ]; then
	printf '%s\n' "$raw"
fi
printf '%s\n' "$raw" | awk -v count="$count" '
function median(key,    m, i, j, v, a) {
	m = runs[key]
	for (i = 1; i <= m; i++) a[i] = ns[key, i]
	for (i = 2; i <= m; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]
		a[j + 1] = v
	}
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
/^BenchmarkEngine\// {
	split($1, part, "/")
	shape = part[2]
	impl = part[3]
	sub(/-[0-9]+$/, "", impl)
	key = shape SUBSEP impl
	ns[key, ++runs[key]] = $3
	if (!(shape in seen)) {
		seen[shape] = 1
		order[++shapes] = shape
	}
}
END {
	printf "median of %d runs, one core\n", count
	printf "%-24s %14s %14s %10s\n", "shape", "fixed ms", "float64 ms", "ratio"
	for (i = 1; i <= shapes; i++) {
		s = order[i]
		f = median(s SUBSEP "fixed")
		r = median(s SUBSEP "float64")
		printf "%-24s %14.3f %14.3f %10.4f\n", s, f / 1e6, r / 1e6, f / r
	}
}'
