#!/usr/bin/env bash
# fetch-fonts.sh: fetch the fonts and the word list the textline task
# (task/textline) renders its challenge lines with.
#
# Usage: scripts/fetch-fonts.sh [DEST_DIR]
#
# Both come from Debian packages, downloaded with `apt-get download` (nothing
# is installed, no root needed), unpacked with `dpkg -x` into a temporary
# directory and checked file by file against pinned sha256 sums:
#   fonts-dejavu-core   DejaVu Sans, Sans Bold, Serif, Serif Bold, Sans Mono
#                       (Bitstream Vera license, free)
#   fonts-liberation    Liberation Sans, Sans Bold, Serif, Serif Bold, Mono,
#                       Sans Narrow (SIL Open Font License 1.1)
#   wamerican           /usr/share/dict/american-english, 104,334 words from
#                       SCOWL (permissive, see the package's copyright file)
#
# Default destination: ${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/data/textline
# holding fonts/*.ttf and words.txt. Running the script again is a no-op when
# every file is already there with the right checksum. It prints the
# destination directory on stdout.
set -euo pipefail

# usage prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
log() { printf 'fetch-fonts: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

packages=(fonts-dejavu-core fonts-liberation wamerican)
# destination (relative to DEST_DIR), path inside the packages, sha256.
# Debian bookworm: fonts-dejavu-core 2.37-6, fonts-liberation 1:1.07.4-11,
# wamerican 2020.12.07-2. task/textline/README.md lists the same sums.
files=(
	"fonts/DejaVuSans.ttf usr/share/fonts/truetype/dejavu/DejaVuSans.ttf abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322"
	"fonts/DejaVuSans-Bold.ttf usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf 0d977336a6d5fba34eab8e3199eb218327161b5143749f802982c2bc34df0c96"
	"fonts/DejaVuSerif.ttf usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf 13e61509f5c81d7c3132810f4f903e3523df89c802bf6e0674621e8f659cdfe1"
	"fonts/DejaVuSerif-Bold.ttf usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf e2fd85eba2de65ac270d1cdb1685e252eb827f600850cf62af2d20c41b22e945"
	"fonts/DejaVuSansMono.ttf usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf 0f5db4f1749979d961019838b160bec74abdf7f9eca69553fe1aa856bbff49a4"
	"fonts/LiberationSans-Regular.ttf usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf f8ace1f892b2bd9dc1792ba7f097fa7588f84fed48321480e04de5390828221f"
	"fonts/LiberationSans-Bold.ttf usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf 361c61b82d575c5c35fd9157fda8b0194bcfcd0d88ea8521a4fb5dd53d33dddc"
	"fonts/LiberationSerif-Regular.ttf usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf 1c9c77c2cd0f3c2d2aeef53ea50a4d5d3d684ac73a431d7c70d7864887d194a3"
	"fonts/LiberationSerif-Bold.ttf usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf af228b9de767e5162168e433351b3d0e086648219c6c12ed888fba0bda3694d5"
	"fonts/LiberationMono-Regular.ttf usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf a2e642d350acb1c5e368f375db8a4ef5a2f4ff2b79056d8c3be8bd8a7e9fcb44"
	"fonts/LiberationSansNarrow-Regular.ttf usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf ab9719545aeb24156c462601f92bf4897130beaac59ad79bea7da264bce69b19"
	"words.txt usr/share/dict/american-english 9f513f1ceadb6a01c5485b7dbdfd5118dc66cd70b59cae2851292112d4066a32"
)

case "${1:-}" in
-h | --help) usage; exit 0 ;;
-*) die "unknown flag $1" ;;
esac
dest="${1:-${TENSORCOSM_CACHE:-$HOME/.cache/tensorcosm}/data/textline}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

all_present() {
	local entry name src sum
	for entry in "${files[@]}"; do
		read -r name src sum <<<"$entry"
		[[ -f "$dest/$name" && "$(sha256_of "$dest/$name")" == "$sum" ]] || return 1
	done
}

if all_present; then
	log "already present: $dest (${#files[@]} files, checksums match), nothing to do"
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

download() { (cd "$tmp/deb" && apt-get download -q "${packages[@]}" >&2); }
log "downloading ${packages[*]} with apt-get download"
if ! download; then
	# A fresh machine has no package lists yet.
	log "apt-get download failed, running apt-get update and retrying"
	apt-get update -q >&2 || die "apt-get update failed"
	download || die "apt-get download ${packages[*]} failed"
fi
for p in "${packages[@]}"; do
	deb="$(ls "$tmp"/deb/"${p}"_*.deb 2>/dev/null | head -n1)"
	[[ -n "$deb" ]] || die "no $p .deb was downloaded"
	log "unpacking $(basename "$deb")"
	dpkg -x "$deb" "$tmp/root"
done

# Check everything before installing anything.
for entry in "${files[@]}"; do
	read -r name src sum <<<"$entry"
	[[ -f "$tmp/root/$src" ]] || die "$src not found in ${packages[*]}"
	got="$(sha256_of "$tmp/root/$src")"
	[[ "$got" == "$sum" ]] || die "sha256 mismatch for $src: got $got, want $sum"
done
log "sha256 ok for ${#files[@]} files"

mkdir -p "$dest/fonts"
for entry in "${files[@]}"; do
	read -r name src sum <<<"$entry"
	# Copy then rename so a reader never sees a half-written file.
	install -m 0644 "$tmp/root/$src" "$dest/$name.tmp"
	mv -f "$dest/$name.tmp" "$dest/$name"
done
log "installed ${#files[@]} files in $dest"
echo "$dest"
