#!/bin/sh
# make style: checkpatch --strict on the kernel-side code (kmod/, shared/).
#
# checkpatch.pl is not in Debian's headers package, so it is taken once from
# the linux-source package of the same series (fetched with apt-get download,
# never installed) and kept under .cache/checkpatch/. Exits non-zero on any
# error, warning or check.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache/checkpatch"
cp="$cache/scripts/checkpatch.pl"

fetch() {
	series=$(echo "$("$top/scripts/kernel-version.sh")" | cut -d. -f1,2)
	pkg="linux-source-$series"
	mkdir -p "$cache"
	deb=$(ls "$cache"/"$pkg"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get download "$pkg") || {
			echo "checkpatch: apt-get download $pkg failed; try: apt-get update" >&2
			exit 1
		}
		deb=$(ls "$cache"/"$pkg"_*.deb | head -n1)
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$tmp" --wildcards "*usr/src/$pkg.tar.*"
	tarball=$(ls "$tmp/usr/src/$pkg".tar.*)
	tar -x -C "$cache" --strip-components=1 -f "$tarball" \
		"$pkg/scripts/checkpatch.pl" "$pkg/scripts/spelling.txt" \
		"$pkg/scripts/const_structs.checkpatch"
	rm -f "$deb"
	rm -rf "$tmp"
	trap - EXIT
}

[ -x "$cp" ] || fetch

files=$(ls "$top"/kmod/*.[ch] "$top"/shared/*.[ch] 2>/dev/null || true)
if [ -z "$files" ]; then
	echo "checkpatch: no files under kmod/ or shared/" >&2
	exit 1
fi

# Per-file exceptions, each the point of its file:
#   kmod/compat.h          the one place allowed to test LINUX_VERSION_CODE
#   shared/koracle_types.h maps <stdint.h> to u8..s64 (and defines
#                          __packed/__aligned) for userspace
ignore_for() {
	case $1 in
	*/kmod/compat.h) echo "--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON" ;;
	*/shared/koracle_types.h) echo "--ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO" ;;
	esac
}

status=0
for f in $files; do
	# shellcheck disable=SC2046
	out=$("$cp" --strict --no-tree --quiet --show-types --terse \
		$(ignore_for "$f") -f "$f" 2>&1) || status=1
	out=$(printf "%s\n" "$out" | grep -v "^total: 0 errors, 0 warnings, 0 checks" || true)
	[ -z "$out" ] || printf "%s\n" "$out"
done
if [ "$status" -ne 0 ]; then
	echo "checkpatch: FAILED" >&2
	exit 1
fi
echo "checkpatch: $(echo "$files" | wc -w) files clean"
