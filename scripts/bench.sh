#!/bin/bash
# `make bench`: boot the VM once and run tests/vm/bench/bench.sh in it. Prints
# the guest's "bench: NAME VALUE UNIT" lines (they travel over the second
# serial port, apart from console noise). A benchmark, not a test: no
# thresholds; it fails only if the guest or a measurement fails, or the
# kernel log shows a warning.
#
# Env: KORACLE_BENCH_REPS (hackbench runs per phase, default 5),
#      KORACLE_BENCH_LOOPS (hackbench -l, default 300), those of vm-run.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=${KORACLE_VM_LOGDIR:-$top/build/vm/bench-log}
mkdir -p "$logdir"
console=$logdir/console.log
out=$logdir/bench.txt
kernlog=$logdir/kernel.log

initrd=$("$top/scripts/mkinitramfs.sh" -o "$top/build/vm/initramfs.cpio.gz")
append="koracle_mode=bench koracle_bench_reps=${KORACLE_BENCH_REPS:-5}"
append="$append koracle_bench_loops=${KORACLE_BENCH_LOOPS:-300}"
echo "bench: # one VM boot (TCG unless KORACLE_VM_ACCEL=kvm); console log in $console" >&2
status=0
"$top/scripts/vm-run.sh" --initrd "$initrd" --port "$out" --port "$kernlog" \
	--append "$append" </dev/null >"$console" 2>&1 || status=$?
sed -i 's/\r$//' "$out" "$kernlog" "$console"

grep '^bench: ' "$out" || true
fail=0
if ! grep -qx 'koracle-vm: done' "$out"; then
	echo "bench: the guest did not finish (qemu status $status); see $console" >&2
	tail -n 20 "$console" >&2
	fail=1
fi
if grep -qx 'koracle-vm: bench failed' "$out"; then
	echo "bench: a measurement failed; guest log:" >&2
	grep '^bench: #' "$console" >&2 || true
	grep -v '^bench: \|^koracle-vm: ' "$out" >&2 || true
	fail=1
fi
bad=$("$top/scripts/kmsg-warnings.sh" "$kernlog")
if [ -n "$bad" ]; then
	echo "bench: the kernel log shows warnings:" >&2
	echo "$bad" >&2
	fail=1
fi
exit $fail
