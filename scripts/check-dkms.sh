#!/bin/sh
# DKMS builds the tree (make check): the source files only (git ls-files, so
# no build output or VM cache), added and built with a private DKMS tree for
# the packaged headers (scripts/kernel-version.sh). Checks that dkms.conf's
# version is the module's (KORACLE_VERSION) and that the built koracle.ko
# says so in modinfo. Prints "check-dkms: koracle VERSION built for RELEASE".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
command -v dkms >/dev/null || { echo "check-dkms: dkms not installed; run: make deps" >&2; exit 1; }
kver=$("$top/scripts/kernel-version.sh")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
kver_src=$(sed -n 's/^#define KORACLE_VERSION\t"\(.*\)"/\1/p' "$top/kmod/koracle.h")
[ -n "$ver" ] && [ "$ver" = "$kver_src" ] ||
	{ echo "check-dkms: dkms.conf version '$ver' is not KORACLE_VERSION '$kver_src'" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src/koracle-$ver
mkdir -p "$src" "$tmp/dkms"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp --parents -t "$src")
d="dkms --sourcetree $tmp/src --dkmstree $tmp/dkms"
$d add -m koracle -v "$ver" >"$tmp/log" 2>&1 &&
	$d build -m koracle -v "$ver" -k "$kver" >>"$tmp/log" 2>&1 ||
	{ cat "$tmp/log" >&2; echo "check-dkms: dkms build failed" >&2; exit 1; }
ko=$(find "$tmp/dkms/koracle/$ver/$kver" -name 'koracle.ko*' | head -n 1)
[ -n "$ko" ] || { cat "$tmp/log" >&2; echo "check-dkms: no koracle.ko in the DKMS tree" >&2; exit 1; }
got=$(modinfo -F version "$ko")
[ "$got" = "$ver" ] || { echo "check-dkms: built module has version '$got', expected $ver" >&2; exit 1; }
echo "check-dkms: koracle $ver built for $kver"
