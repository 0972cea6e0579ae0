#!/bin/bash
# make check-rt: the whole VM suite on Debian's PREEMPT_RT kernel, where
# spinlocks sleep: whatever the probes take must be raw, and whatever they
# call must be safe there. The module is built against linux-headers-rt-amd64
# under build/rt/ (the normal build stays as it is); the image is fetched and
# unpacked under .cache/ like the stock one (scripts/fetch-kernel.sh, which
# reads the release from the module's vermagic), never installed.
#
# Prints "check-rt: kernel RELEASE" and the guest's uname -v (it must name
# PREEMPT_RT), then the suite's "N passed, N failed" last.
#
# Env: KORACLE_VM_TIMEOUT (default 3000), and those of scripts/vm-run-tests.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/rt
start=$(date +%s)
say() { echo "check-rt: $*"; }
die() { echo "check-rt: $*" >&2; exit 1; }

kver=$(KORACLE_DEBIAN_KERNEL=1 KORACLE_KERNEL_META=linux-headers-rt-amd64 \
	"$top/scripts/kernel-version.sh")
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || die "no $kdir; try: scripts/install-deps.sh rt"
"$top/scripts/build-module-for.sh" "$kdir" "$out/module" >/dev/null

export KORACLE_KO=$out/module/koracle.ko
export KORACLE_VM_TIMEOUT=${KORACLE_VM_TIMEOUT:-3000}
. "$top/scripts/lane-lib.sh"
lane_suite "$out"
release=$(lane_guest "uname -r")
version=$(lane_guest "uname -v")
rt_ok=1
case " $version " in
*" PREEMPT_RT "*) ;;
*) say "the guest's kernel is not PREEMPT_RT"; rt_ok=0 ;;
esac
[ "$release" = "$kver" ] || { say "the guest booted '$release', not $kver"; rt_ok=0; }

say "kernel ${release:-?}"
say "uname -v ${version:-?}"
say "done in $(( $(date +%s) - start )) s; logs in $out"
echo "$lane_verdict"
[ "$lane_status" -eq 0 ] && [ $rt_ok -eq 1 ]
