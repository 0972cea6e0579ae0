#!/bin/sh
# Build the VM tests' initramfs: busybox (static) with its applet links,
# koracle.ko, the koracle CLI and hackbench with every shared library they
# load, the VM tests, bench and soak scripts, weight blobs for the model tests
# (/data, scripts/vm-blobs.sh), an unprivileged user, and /init
# (scripts/vm-init). Written to build/vm/initramfs.cpio.gz unless -o says;
# each --data FILE is copied into the image's /data as well.
#
# Env: KORACLE_KO (default koracle.ko), KORACLE_BIN (default user/koracle).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/vm/initramfs.cpio.gz
data=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--data) data="$data $2"; shift 2 ;;
	-h|--help)
		echo "usage: $0 [-o OUT.cpio.gz] [--data FILE]..."
		exit 0 ;;
	*) echo "mkinitramfs: unknown argument '$1'; see --help" >&2; exit 2 ;;
	esac
done
case $out in /*) ;; *) out=$PWD/$out ;; esac

ko=${KORACLE_KO:-$top/koracle.ko}
cli=${KORACLE_BIN:-$top/user/koracle}
case $cli in /*) ;; *) cli=$top/$cli ;; esac
busybox=$(command -v busybox || true)
hackbench=$(command -v hackbench || true)

die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ -n "$busybox" ] || die "busybox not found; try: scripts/install-deps.sh"
[ -n "$hackbench" ] || die "hackbench not found (rt-tests); try: scripts/install-deps.sh"
# A dynamic busybox would need its libraries too; the tests assume the
# static build (busybox-static), which runs before anything else is copied.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static"
fi
[ -f "$ko" ] || die "$ko not found; build it first: make module"
[ -x "$cli" ] || die "$cli not found; build it first: make cli"

root=$(mktemp -d "${TMPDIR:-/tmp}/koracle-initramfs.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT INT TERM

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run" \
	"$root/root" "$root/home/kouser" "$root/tests"
chmod 1777 "$root/tmp"

cp "$busybox" "$root/bin/busybox"
# --list-full prints each applet with its install directory (bin/ls, ...).
"$busybox" --list-full | while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# Copy a dynamically linked program and every library ldd resolves for it
# (including the loader) to the same paths inside the image.
copy_prog() {
	src=$1 dst=$2
	# never through a busybox applet link: that would overwrite busybox
	rm -f "$root/$dst"
	cp "$src" "$root/$dst"
	ldd "$src" 2>/dev/null | awk '
		/=> \// { print $3 }
		/^[ \t]*\// { print $1 }' | while read -r lib; do
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}
copy_prog "$cli" /bin/koracle
copy_prog "$hackbench" /usr/bin/hackbench
# util-linux's chrt: busybox has none (tests/vm/predict-current.sh)
copy_prog "$(command -v chrt)" /usr/bin/chrt
# util-linux's setpriv and unshare: capability sets and namespaces for the
# privilege tests (tests/vm/privilege-*.sh)
copy_prog "$(command -v setpriv)" /usr/bin/setpriv
copy_prog "$(command -v unshare)" /usr/bin/unshare
cp "$ko" "$root/koracle.ko"
# test-only modules (make test-modules), same kernel as koracle.ko
mkdir -p "$root/test-modules"
for t in "$(dirname "$ko")"/tests/kmod/*/*.ko; do
	[ -f "$t" ] && cp "$t" "$root/test-modules/"
done

# Weight blobs for the model tests and the bench, trained and quantized here
# by the same CLI (scripts/vm-blobs.sh), and the malformed-blob maker. A
# failure leaves them out (the model tests then say so) but not the image.
mkdir -p "$root/data"
if "$top/scripts/vm-blobs.sh" "$cli" "$top/build/vm/model"; then
	cp "$top"/build/vm/model/*.blob "$top"/build/vm/model/*.info "$root/data/"
	copy_prog "$top/build/vm/model/ko-blobmut" /bin/ko-blobmut
else
	echo "mkinitramfs: warning: no model blobs in the image (scripts/vm-blobs.sh failed)" >&2
fi

for f in $data; do
	cp "$f" "$root/data/" || die "cannot copy --data $f"
done

cp "$top/scripts/vm-init" "$root/init"
chmod 0755 "$root/init"
cp "$top"/tests/vm/*.sh "$root/tests/" 2>/dev/null || true
for d in lib bench demo soak selftest; do
	[ -d "$top/tests/vm/$d" ] && cp -r "$top/tests/vm/$d" "$root/tests/"
done
chmod -R a+rX "$root/tests"

# root plus one unprivileged user (uid 1000) for the permission tests.
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
kouser:x:1000:1000:koracle test user:/home/kouser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
kouser:x:1000:
nogroup:x:65534:
GROUP
# cpio -R 0:0 makes every file root's: let kouser write its home anyway.
chmod 1777 "$root/home/kouser"
echo koracle-vm >"$root/etc/hostname"
# The module version the image carries, for the guest's banner.
basename "$ko" >"$root/etc/koracle-module"
modinfo -F vermagic "$ko" >>"$root/etc/koracle-module" 2>/dev/null || true

mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "$out"
