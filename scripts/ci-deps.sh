#!/usr/bin/env bash
# Installs the system packages the tests use, only those missing, so it is
# cheap to run again. Run by `make deps` and .ci/run; needs root (or sudo)
# only when something is missing.
#   promtool   Debian's prometheus package: tests check the localnet's
#              Prometheus config with `promtool check config`
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

if ((${#missing[@]})); then
	apt_install "${missing[@]}"
fi
command -v promtool >/dev/null || { log "promtool is still missing after installing prometheus"; exit 1; }
log "promtool: $(promtool --version 2>&1 | head -1)"
