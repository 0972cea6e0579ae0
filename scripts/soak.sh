#!/bin/bash
# `make soak`: boot the VM once and run tests/vm/soak/soak.sh in it for
# SOAK_SECONDS (default 600): hackbench and a collection throughout, an upload
# every second (every tenth malformed), CPU 1 offline and back every 10 s,
# enabled toggled every 15 s. Ends with exactly one line
#   soak: seconds=N uploads=N hotplugs=N toggles=N records=N lost=N
#         unaccounted=N warnings=N leaked_kib=N
# where unaccounted counts records the module produced (events + dropped)
# that no collector received or was told were lost, warnings the distinct
# kernel log lines that look like a warning, oops, lockup or stall
# (scripts/kmsg-warnings.sh, the VM tests' filter), and leaked_kib the
# growth of Slab + VmallocUsed from before insmod to after the final rmmod
# (the guest script's header explains both). Exits 0 only if unaccounted=0,
# warnings=0, leaked_kib <= 1024 and the guest saw nothing else go wrong
# (a refused valid upload, an accepted malformed one, a failed hotplug, a
# collector that died; listed on stderr). Not part of make check.
#
# Env: SOAK_SECONDS, KORACLE_VM_LOGDIR (default build/vm/soak-log), and those
# of scripts/vm-run.sh (KORACLE_VM_TIMEOUT defaults to SOAK_SECONDS + 900).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${SOAK_SECONDS:-600}
case $seconds in
'' | *[!0-9]*) echo "soak: SOAK_SECONDS must be a number of seconds, not '$seconds'" >&2; exit 2 ;;
esac
logdir=${KORACLE_VM_LOGDIR:-$top/build/vm/soak-log}
mkdir -p "$logdir"
console=$logdir/console.log
out=$logdir/soak.txt
kernlog=$logdir/kernel.log
leak_max_kib=1024

initrd=$("$top/scripts/mkinitramfs.sh" -o "$top/build/vm/soak-initramfs.cpio.gz")
export KORACLE_VM_TIMEOUT=${KORACLE_VM_TIMEOUT:-$((seconds + 900))}
echo "soak: # one VM boot for ${seconds} s of soak (TCG unless KORACLE_VM_ACCEL=kvm); console log in $console" >&2
status=0
# A 4 MiB kernel log: the soak's upload and hotplug lines must not push an
# early warning out before the guest sends its log.
"$top/scripts/vm-run.sh" --initrd "$initrd" --port "$out" --port "$kernlog" \
	--append "koracle_mode=soak koracle_soak_seconds=$seconds log_buf_len=4M" \
	</dev/null >"$console" 2>&1 || status=$?
sed -i 's/\r$//' "$out" "$kernlog" "$console"

# The guest's diagnostics, for the reader.
grep '^soak: # ' "$console" >&2 || true

fail=0
guest=$(grep '^soak-guest: ' "$out" | tail -n 1 || true)
if [ -z "$guest" ] || ! grep -qx 'koracle-vm: done' "$out"; then
	echo "soak: # the guest did not finish (qemu status $status); last console lines:" >&2
	tail -n 30 "$console" | sed 's/^/soak: #   | /' >&2
	fail=1
fi
if grep -qx 'koracle-vm: soak failed' "$out"; then
	echo "soak: # the guest script failed; see $console" >&2
	fail=1
fi

# Warnings anywhere in the boot: the guest's full log, and the console's
# kernel lines in case the guest died first or its log buffer wrapped.
bad=$( { cat "$kernlog"; grep -E '^\[ *[0-9]+\.[0-9]+\]' "$console" || true; } |
	"$top/scripts/kmsg-warnings.sh")
warnings=0
if [ -n "$bad" ]; then
	warnings=$(echo "$bad" | wc -l)
	echo "soak: # the kernel log shows warnings:" >&2
	echo "$bad" | sed 's/^/soak: #   | /' >&2
fi

field() {
	echo "$guest" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
f() {
	v=$(field "$1")
	echo "${v:-?}"
}
echo "soak: seconds=$(f seconds) uploads=$(f uploads) hotplugs=$(f hotplugs) toggles=$(f toggles)" \
	"records=$(f records) lost=$(f lost) unaccounted=$(f unaccounted) warnings=$warnings" \
	"leaked_kib=$(f leaked_kib)"

[ "$(f unaccounted)" = 0 ] || fail=1
[ "$warnings" -eq 0 ] || fail=1
leaked=$(f leaked_kib)
case $leaked in
'' | '?') fail=1 ;;
*) [ "$leaked" -le "$leak_max_kib" ] || fail=1 ;;
esac
problems=$(f problems)
if [ "$problems" != 0 ]; then
	echo "soak: # the guest reported $problems problem(s) (soak: # PROBLEM lines above)" >&2
	fail=1
fi
exit $fail
