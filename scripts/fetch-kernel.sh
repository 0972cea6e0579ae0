#!/bin/sh
# Fetch (never install) the Debian kernel image the module is built for,
# unpack it under .cache/kernel/ and print the path of its vmlinuz.
# The release is, in order: $KVER; the vermagic of a built koracle.ko; what
# scripts/kernel-version.sh resolves (the same rule the Makefile builds with).
# Never hard-coded. A second run finds the cached image and does nothing.
#
# Env: KVER (the release), KORACLE_KO (the module, default koracle.ko),
#      KORACLE_CACHE (default .cache).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
ko=${KORACLE_KO:-$top/koracle.ko}
if [ -z "${KVER:-}" ] && [ -f "$ko" ]; then
	# vermagic is "6.1.0-56-amd64 SMP preempt mod_unload modversions".
	KVER=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1 || true)
fi
if [ -z "${KVER:-}" ]; then
	KVER=$("$top/scripts/kernel-version.sh")
fi
cache=${KORACLE_CACHE:-$top/.cache}/kernel
dest=$cache/$KVER
vmlinuz=$dest/boot/vmlinuz-$KVER

if [ -f "$vmlinuz" ]; then
	echo "$vmlinuz"
	exit 0
fi

# The signed package is what Debian boots; the -unsigned one carries the same
# image and is the fallback where the signed one is not in the archive.
find_pkg() {
	for cand in "linux-image-$KVER" "linux-image-$KVER-unsigned"; do
		if apt-cache show "$cand" >/dev/null 2>&1; then
			echo "$cand"
			return 0
		fi
	done
	return 1
}
pkg=$(find_pkg || true)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ] && [ ! -r "/boot/vmlinuz-$KVER" ]; then
	# A fresh machine (CI) may have empty or stale apt lists.
	echo "fetch-kernel: linux-image-$KVER not in the apt lists; running apt-get update" >&2
	apt-get update -qq >&2 || true
	pkg=$(find_pkg || true)
fi
if [ -z "$pkg" ] && [ -r "/boot/vmlinuz-$KVER" ]; then
	# A host running a kernel that has left the archive: boot its own image.
	mkdir -p "$dest/boot"
	cp "/boot/vmlinuz-$KVER" "$dest/boot/"
	echo "$vmlinuz"
	exit 0
fi
if [ -z "$pkg" ]; then
	echo "fetch-kernel: no package linux-image-${KVER}[-unsigned] in the apt lists;" \
		"try: apt-get update" >&2
	exit 1
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# apt-get download writes into the current directory, as the _apt user when
# it can: make the directory world-writable for the download only.
chmod 0777 "$tmp"
if ! (cd "$tmp" && apt-get download -qq "$pkg" >&2); then
	echo "fetch-kernel: apt-get download $pkg failed" >&2
	exit 1
fi
deb=$(find "$tmp" -maxdepth 1 -name "*.deb" | head -n1)
if [ -z "$deb" ]; then
	echo "fetch-kernel: apt-get download $pkg produced no .deb in $tmp" >&2
	exit 1
fi
dpkg -x "$deb" "$tmp/root"
if [ ! -f "$tmp/root/boot/vmlinuz-$KVER" ]; then
	echo "fetch-kernel: $deb holds no boot/vmlinuz-$KVER" >&2
	exit 1
fi
# Keep only what the VM needs: the kernel image and its config.
mkdir -p "$tmp/keep/boot"
mv "$tmp/root/boot/vmlinuz-$KVER" "$tmp/keep/boot/"
[ -f "$tmp/root/boot/config-$KVER" ] && mv "$tmp/root/boot/config-$KVER" "$tmp/keep/boot/"
rm -rf "$dest"
mv "$tmp/keep" "$dest"
echo "$vmlinuz"
