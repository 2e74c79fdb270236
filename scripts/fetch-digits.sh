#!/usr/bin/env bash
# fetch-digits.sh: fetch the UCI optical handwritten digits data set (8x8 images,
# 1,797 samples) used by the default subnet task.
#
# Usage: scripts/fetch-digits.sh [DEST_FILE]
#
# The only copy reachable from the project's build machines is the one that
# Debian ships inside python3-sklearn, so the package is downloaded with
# `apt-get download` (nothing is installed), unpacked with `dpkg -x` into a
# temporary directory, and digits.csv.gz is checked against a pinned sha256.
#
# Default destination: ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/data/digits.csv.gz
# (digits.DataPath() in task/digits also honours TENSORCOSM_DIGITS_PATH). Running the script
# again is a no-op when the file is already there with the right checksum.
set -euo pipefail

# usage prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
log() { printf 'fetch-digits: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# sha256 of sklearn/datasets/data/digits.csv.gz in python3-sklearn 1.2.1+dfsg-1
# (Debian bookworm); the file has not changed across scikit-learn releases.
want="46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"

case "${1:-}" in
-h | --help) usage; exit 0 ;;
-*) die "unknown flag $1" ;;
esac
dest="${1:-${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/data/digits.csv.gz}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$dest" && "$(sha256_of "$dest")" == "$want" ]]; then
	log "already present: $dest (checksum matches), nothing to do"
	echo "$dest"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get is required (Debian or Ubuntu)"
command -v dpkg >/dev/null || die "dpkg is required"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/deb"
# apt downloads as its _apt user where it can; without access it falls back to
# root and warns, which is harmless but looks like a failure.
if [[ "$(id -u)" == 0 ]] && id _apt >/dev/null 2>&1; then
	chmod 0755 "$tmp"
	chown _apt "$tmp/deb"
fi

download() { (cd "$tmp/deb" && apt-get download -q python3-sklearn >&2); }
log "downloading python3-sklearn with apt-get download"
if ! download; then
	# A fresh machine has no package lists yet.
	log "apt-get download failed, running apt-get update and retrying"
	apt-get update -q >&2 || die "apt-get update failed"
	download || die "apt-get download python3-sklearn failed"
fi
deb="$(ls "$tmp"/deb/python3-sklearn_*.deb 2>/dev/null | head -n1)"
[[ -n "$deb" ]] || die "no python3-sklearn .deb was downloaded"
log "unpacking $(basename "$deb")"
dpkg -x "$deb" "$tmp/root"
src="$(find "$tmp/root" -name digits.csv.gz -path '*sklearn/datasets/data/*' | head -n1)"
[[ -n "$src" ]] || die "digits.csv.gz not found in $(basename "$deb")"
got="$(sha256_of "$src")"
[[ "$got" == "$want" ]] || die "sha256 mismatch for digits.csv.gz: got $got, want $want"
log "sha256 ok: $want"

mkdir -p "$(dirname "$dest")"
# Copy then rename so a reader never sees a half-written file.
install -m 0644 "$src" "$dest.tmp"
mv -f "$dest.tmp" "$dest"
log "installed $dest"
echo "$dest"
