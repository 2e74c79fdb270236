#!/usr/bin/env bash
# gen-onnxpb.sh: regenerate internal/onnxpb/onnx.pb.go, the Go types for the
# ONNX model format, from onnx.proto.
#
# Usage: scripts/gen-onnxpb.sh
#
# The Go ONNX modules are not reachable through the project's module proxy, so
# the project generates its own types. onnx.proto (ONNX 1.12, Apache-2.0) comes
# from Debian's libonnx-dev package (apt-get download + dpkg -x, nothing is
# installed) and is kept in internal/onnxpb/onnx/onnx.proto with its licence
# header; when that copy is already there with the pinned checksum it is used
# as is, so regeneration works offline. protoc comes from Debian's
# protobuf-compiler (installed with apt-get when missing) and protoc-gen-go is
# built at the version of google.golang.org/protobuf that go.mod resolves
# (v1.36.10 through the cosmos-sdk requirement); keep the two in step.
set -euo pipefail

log() { printf 'gen-onnxpb: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# sha256 of usr/include/onnx/onnx.proto in libonnx-dev 1.12.0-2+b4 (Debian bookworm).
proto_sha="a96f50c0fe1ff9180b6025843d4f7efcf53b024c83db55a36cd24a1e44345182"
protoc_gen_go_version="v1.36.10"
gopkg="github.com/tensorcosm/tensorcosm/internal/onnxpb"

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/internal/onnxpb"
proto="$out/onnx/onnx.proto"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch_proto() {
	log "fetching onnx.proto from libonnx-dev with apt-get download"
	mkdir -p "$tmp/deb"
	# Let apt download as its _apt user instead of warning about falling back to root.
	if [[ "$(id -u)" == 0 ]] && id _apt >/dev/null 2>&1; then
		chmod 0755 "$tmp"
		chown _apt "$tmp/deb"
	fi
	if ! (cd "$tmp/deb" && apt-get download -q libonnx-dev >&2); then
		log "apt-get download failed, running apt-get update and retrying"
		apt-get update -q >&2 || die "apt-get update failed"
		(cd "$tmp/deb" && apt-get download -q libonnx-dev >&2) || die "apt-get download libonnx-dev failed"
	fi
	dpkg -x "$tmp"/deb/libonnx-dev_*.deb "$tmp/root"
	local src="$tmp/root/usr/include/onnx/onnx.proto"
	[[ -f "$src" ]] || die "onnx.proto not found in libonnx-dev"
	local got
	got="$(sha256_of "$src")"
	[[ "$got" == "$proto_sha" ]] || die "sha256 mismatch for onnx.proto: got $got, want $proto_sha"
	mkdir -p "$(dirname "$proto")"
	install -m 0644 "$src" "$proto"
	log "installed $proto"
}

if [[ -f "$proto" && "$(sha256_of "$proto")" == "$proto_sha" ]]; then
	log "using $proto (checksum matches)"
else
	fetch_proto
fi

if ! command -v protoc >/dev/null; then
	log "protoc not found, installing Debian's protobuf-compiler"
	apt-get install -y -q protobuf-compiler >&2 || {
		apt-get update -q >&2 && apt-get install -y -q protobuf-compiler >&2
	} || die "could not install protobuf-compiler"
fi
log "using $(protoc --version)"

log "building protoc-gen-go $protoc_gen_go_version"
GOBIN="$tmp/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protoc_gen_go_version" ||
	die "go install protoc-gen-go failed"

log "generating $out/onnx.pb.go"
protoc \
	--plugin=protoc-gen-go="$tmp/bin/protoc-gen-go" \
	--proto_path="$out" \
	--go_out="$out" \
	--go_opt=module="$gopkg" \
	--go_opt=Monnx/onnx.proto="$gopkg;onnxpb" \
	onnx/onnx.proto
log "done"
