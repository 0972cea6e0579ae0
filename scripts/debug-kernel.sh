#!/bin/sh
# Build, once, a debug kernel from Debian's linux-source-6.1 (the source of
# the packaged headers) with tinyconfig plus config fragments kept in the tree
# (default tests/debug-kernel/debug.config: KASAN, lockdep, kmemleak, ...;
# later fragments override earlier ones), and print the path of its build
# tree: the kernel is arch/x86/boot/bzImage there, and out-of-tree modules
# build against it with make -C TREE M=DIR.
#
#   scripts/debug-kernel.sh [FRAGMENT...]
#
# The tree is cached under .cache/debug-kernel/, keyed by the source
# package's version, the fragments' text and the compiler: a second run with
# the same three prints the cached tree at once; a new key replaces the old
# tree of the same last fragment (1.7 GB each). Build output goes to
# build.log beside the tree.
#
# Env: KORACLE_CACHE (default .cache), KORACLE_JOBS (default nproc).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$top/tests/debug-kernel/debug.config"
fragments=''
for f in "$@"; do
	case $f in /*) ;; *) f=$PWD/$f ;; esac
	[ -f "$f" ] || { echo "debug-kernel: no config fragment $f" >&2; exit 1; }
	fragments="$fragments $f"
done
cache=${KORACLE_CACHE:-$top/.cache}/debug-kernel
jobs=${KORACLE_JOBS:-$(nproc)}

die() { echo "debug-kernel: $*" >&2; exit 1; }

# linux-source-X.Y for the X.Y of the kernel the module is built for.
kver=$(KORACLE_DEBIAN_KERNEL=1 "$top/scripts/kernel-version.sh")
series=$(echo "$kver" | cut -d. -f1,2)
srcpkg=linux-source-$series
tarball=/usr/src/$srcpkg.tar.xz
srcver=$(dpkg-query -W -f='${Version}' "$srcpkg" 2>/dev/null || true)
if [ -z "$srcver" ] || [ ! -f "$tarball" ]; then
	die "$srcpkg is not installed; try: scripts/install-deps.sh debug"
fi
hdrver=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
if [ -n "$hdrver" ] && [ "$hdrver" != "$srcver" ]; then
	# Still a 6.1 debug kernel, but not the code the stock lane tests.
	echo "debug-kernel: warning: $srcpkg is $srcver, linux-headers-$kver is $hdrver;" \
		"try: apt-get install $srcpkg" >&2
fi

# shellcheck disable=SC2086 # $fragments is a list of paths without blanks
key=$({ echo "$srcver"; echo tinyconfig; cat $fragments; ${CC:-gcc} --version | head -n1; } |
	sha256sum | cut -c1-12)
name=$(basename "${fragments##* }" .config)
dir=$cache/$name-$(echo "$srcver" | tr ':~' '__')-$key
tree=$dir/linux
stamp=$dir/built

if [ -f "$stamp" ]; then
	echo "debug-kernel: cached $tree ($srcpkg $srcver, $name, key $key)" >&2
	echo "$tree"
	exit 0
fi

# A half-built or stale tree of this fragment goes; other fragments' stay.
rm -rf "$dir" "$cache/$name"-*
mkdir -p "$dir"
log=$dir/build.log
echo "debug-kernel: building $srcpkg $srcver with$fragments" \
	"(-j$jobs; about 7 minutes on 2 cores; log $log)" >&2
start=$(date +%s)
tar -xJf "$tarball" -C "$dir"
mv "$dir/$srcpkg" "$tree"

kmake() {
	make -C "$tree" ARCH=x86_64 "$@" >>"$log" 2>&1 ||
		{ tail -n 40 "$log" >&2; die "make $* failed; see $log"; }
}
kmake tinyconfig
# shellcheck disable=SC2086
(cd "$tree" && scripts/kconfig/merge_config.sh -m .config $fragments) >>"$log" 2>&1 ||
	die "merge_config failed; see $log"
kmake olddefconfig
# Kconfig drops what it cannot satisfy without a word: a debug lane that lost
# KASAN would pass for the wrong reason. Each option's last setting counts.
# shellcheck disable=SC2086
lost=$(cat $fragments | grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' |
	awk '{ o = $1 == "#" ? $2 : substr($1, 1, index($1, "=") - 1) }
		!(o in v) { order[n++] = o } { v[o] = $0 }
		END { for (i = 0; i < n; i++) print v[order[i]] }' |
	while read -r line; do
		case $line in
		'# '*) # unset: no value at all (hidden options vanish) counts too
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$tree/.config" || echo "$line" ;;
		*) grep -qxF "$line" "$tree/.config" || echo "$line" ;;
		esac
	done)
[ -z "$lost" ] || die "the config lost what the fragments ask for:
$lost"
kmake -j"$jobs"
[ -f "$tree/arch/x86/boot/bzImage" ] || die "no bzImage after the build; see $log"
touch "$stamp"
echo "debug-kernel: built $(cat "$tree/include/config/kernel.release")" \
	"in $(( $(date +%s) - start )) s" >&2
echo "$tree"
