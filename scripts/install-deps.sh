#!/bin/sh
# Install everything koracle needs on Debian 12 with apt. Idempotent; safe to
# run again. The kernel image the VM boots is fetched (not installed) on first
# use by scripts/fetch-kernel.sh.
set -eu

PKGS="build-essential pkg-config linux-headers-amd64 kmod
libnl-3-dev libnl-genl-3-dev libblis-dev libblis-openmp-dev libcriterion-dev zlib1g-dev
qemu-system-x86 busybox-static cpio gzip rt-tests python3 libjson-c-dev gnuplot-nox
clang dkms"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	$SUDO apt-get update -qq
	# only what is listed: QEMU's recommends alone are hundreds of MB
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $missing
fi
