#!/bin/sh
# Install everything koracle needs on Debian 12 with apt. Idempotent; safe to
# run again. The kernel image the VM boots is fetched (not installed) on first
# use by scripts/fetch-kernel.sh.
#
#   scripts/install-deps.sh [debug] [rt]
#
# debug adds what make check-debug needs to build a kernel: Debian's
# linux-source for the packaged kernel's series and the kernel's build tools;
# rt adds linux-headers-rt-amd64 for make check-rt.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PKGS="build-essential pkg-config linux-headers-amd64 kmod
libnl-3-dev libnl-genl-3-dev libblis-dev libblis-openmp-dev libcriterion-dev zlib1g-dev
qemu-system-x86 busybox-static cpio gzip rt-tests python3 libjson-c-dev gnuplot-nox
clang dkms"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
updated=0

# install_missing PKG...: only what is listed (QEMU's recommends alone are
# hundreds of MB).
install_missing() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "install-deps: installing:$missing"
	if [ $updated -eq 0 ]; then
		$SUDO apt-get update -qq
		updated=1
	fi
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
}

# shellcheck disable=SC2086 # a list of package names
install_missing $PKGS

for lane in "$@"; do
	case $lane in
	debug)
		# The source of the series linux-headers-amd64 points at (6.1 on
		# Debian 12), resolved now that the headers are in.
		series=$(KORACLE_DEBIAN_KERNEL=1 "$top/scripts/kernel-version.sh" | cut -d. -f1,2)
		install_missing "linux-source-$series" \
			bc bison flex libelf-dev libssl-dev xz-utils
		;;
	rt) install_missing linux-headers-rt-amd64 ;;
	*) echo "install-deps: unknown lane '$lane' (debug, rt)" >&2; exit 2 ;;
	esac
done
