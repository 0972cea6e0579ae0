#!/bin/sh
# Build koracle.ko (or another Kbuild directory's modules) against kernel
# tree KDIR in OUTDIR, a copy of the sources, so the normal in-tree build
# (make module, for Debian's kernel) is never touched; print OUTDIR.
#
#   scripts/build-module-for.sh KDIR OUTDIR [SRCDIR]
#
# SRCDIR defaults to the top of the tree: koracle.ko, then the test-only
# modules of tests/kmod/ against its Module.symvers (OUTDIR/tests/kmod/NAME/,
# where scripts/mkinitramfs.sh looks for them). Only sources are copied:
# objects of another kernel's build must not come along.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 KDIR OUTDIR [SRCDIR]" >&2; exit 2; }
kdir=$1 out=$2 src=${3:-$top}
paths=.
[ $# -ge 3 ] || paths='Kbuild kmod shared include tests/kmod'
[ -f "$kdir/Makefile" ] || { echo "build-module-for: no kernel tree at $kdir" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2086 # $paths is a list
(cd "$src" && find $paths \( -name Kbuild -o -name '*.[ch]' \) ! -name '*.mod.c' -print) |
	while read -r f; do
		mkdir -p "$out/$(dirname "$f")"
		cp "$src/$f" "$out/$f"
	done
make -C "$kdir" M="$out" modules >"$out/build.log" 2>&1 || {
	cat "$out/build.log" >&2
	echo "build-module-for: building $src against $kdir failed" >&2
	exit 1
}
if [ $# -lt 3 ]; then
	for d in "$out"/tests/kmod/*/; do
		[ -f "$d/Kbuild" ] || continue
		make -C "$kdir" M="${d%/}" KBUILD_EXTRA_SYMBOLS="$out/Module.symvers" \
			modules >>"$out/build.log" 2>&1 || {
			cat "$out/build.log" >&2
			echo "build-module-for: building $d against $kdir failed" >&2
			exit 1
		}
	done
fi
echo "$out"
