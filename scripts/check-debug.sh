#!/bin/bash
# make check-debug: the whole VM suite on a debug kernel (KASAN, lockdep with
# raw-lock nesting, atomic-sleep checks, kmemleak, UBSAN, list debugging,
# full preemption), then the lane's own self-test.
#
#   scripts/check-debug.sh [FRAGMENT]     (default tests/debug-kernel/debug.config)
#
# 1. scripts/debug-kernel.sh builds the kernel once (cached under .cache/).
# 2. koracle.ko and the self-test modules are built against it under
#    build/debug/ (the normal build stays as it is).
# 3. The suite runs on it: any BUG, WARNING, lockdep, KASAN or UBSAN report
#    fails the test it came in, and so does any kmemleak report after the
#    test's rmmod. The guest's /proc/config.gz must show the checks on.
# 4. Self-test, a second boot: a module that leaks at unload and one that
#    takes a mutex under a raw spinlock must each fail, on the kernel's own
#    report, although their scripts pass.
# Prints "check-debug: kernel RELEASE KASAN=y PROVE_LOCKING=y
# DEBUG_KMEMLEAK=y", then the suite's "N passed, N failed" last.
#
# Env: KORACLE_VM_TIMEOUT (default 5400: KASAN under TCG is slow),
# KORACLE_DEBUG_SCALE (default 4: divides the tests' workload sizes), and
# those of scripts/vm-run-tests.sh. For other FRAGMENTs (make check-kcsan:
# KCSAN in place of KASAN): KORACLE_LANE (the name printed),
# KORACLE_LANE_DIR (under build/), KORACLE_LANE_REQUIRE (the options the
# guest must show =y).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
lane=${KORACLE_LANE:-check-debug}
out=$top/build/${KORACLE_LANE_DIR:-debug}
start=$(date +%s)
say() { echo "$lane: $*"; }
die() { echo "$lane: $*" >&2; exit 1; }

tree=$("$top/scripts/debug-kernel.sh" "$@")
say "kernel tree $tree ($(( $(date +%s) - start )) s)"
"$top/scripts/build-module-for.sh" "$tree" "$out/module" >/dev/null
"$top/scripts/build-module-for.sh" "$tree" "$out/selftest" \
	"$top/tests/debug-kernel/selftest" >/dev/null

export KORACLE_VM_KERNEL=$tree/arch/x86/boot/bzImage
export KORACLE_KO=$out/module/koracle.ko
# reboot -f: ACPI without PCI halts on poweroff instead of leaving QEMU; a
# 4 MB log buffer keeps a whole run (lockdep's reports are long). This kernel
# runs hackbench about five times slower than Debian's under TCG (50 uploads
# under load took over 600 s): the tests' workloads shrink by
# KORACLE_DEBUG_SCALE (tests/vm/lib/koracle.sh, ko_scaled).
export KORACLE_VM_APPEND="log_buf_len=4M koracle_halt=reboot koracle_scale=${KORACLE_DEBUG_SCALE:-4}"
export KORACLE_VM_TIMEOUT=${KORACLE_VM_TIMEOUT:-5400}

# The suite.
. "$top/scripts/lane-lib.sh"
lane_suite "$out"

# What the guest booted, from its own /proc/config.gz.
release=$(lane_guest "uname -r")
config=$(lane_guest config)
opt() {
	v=$(echo " $config " | tr ' ' '\n' | sed -n "s/^CONFIG_$1=//p")
	echo "$1=${v:-n}"
}
kernel_line="kernel ${release:-?} $(opt KASAN) $(opt PROVE_LOCKING) $(opt DEBUG_KMEMLEAK)"
[ "$(opt KCSAN)" = KCSAN=n ] || kernel_line="$kernel_line $(opt KCSAN)"
checks_on=1
for o in ${KORACLE_LANE_REQUIRE:-KASAN PROVE_LOCKING PROVE_RAW_LOCK_NESTING DEBUG_ATOMIC_SLEEP \
	DEBUG_KMEMLEAK UBSAN}; do
	[ "$(opt "$o")" = "$o=y" ] || { say "the guest kernel lacks CONFIG_$o"; checks_on=0; }
done

# Self-test: each test script passes; only the kernel's report, seen by the
# harness, can fail it. Each finding is said after the self-test's own log,
# so that a failing CI's tail shows it.
self_log=$out/selftest.log
self_dir=$out/selftest-log
self_bad=()
KORACLE_VM_LOGDIR=$self_dir KORACLE_VM_DATA="$(echo "$out"/selftest/*.ko)" \
	"$top/scripts/vm-run-tests.sh" selftest/leak selftest/atomic-sleep >"$self_log" 2>&1 &&
	self_bad+=("the harness passed both faulty modules")
# The console lines of test $1. Matched from a variable, never through a
# pipe into grep -q: under pipefail grep's early exit is sed's SIGPIPE, a
# failure (seen in CI: 1 run in 5 on the long lockdep report).
section() {
	sed -n "\\|^=== koracle-vm: BEGIN $1\$|,\\|^=== koracle-vm: END $1\$|p" "$self_dir/console.log"
}
expect() { # TEST WHAT REGEX
	ex_text=$(section "$1")
	if ! grep -qx "TEST $1 FAIL" "$self_dir/verdict.txt"; then
		self_bad+=("$1 did not fail")
	elif ! grep -q '^# loaded and unloaded' <<<"$ex_text"; then
		self_bad+=("$1 failed before its script had loaded and unloaded the module")
	elif ! grep -qE "$3" <<<"$ex_text"; then
		self_bad+=("$1 failed, but not on a $2 report")
	else
		say "self-test: $1 failed on the kernel's $2 report, as it must"
	fi
}
expect selftest/leak kmemleak 'unreferenced object'
# The hex dump's text column splits the string at 16 bytes.
grep -q 'koracle-selftest' <<<"$(section selftest/leak)" ||
	self_bad+=("the kmemleak report does not show the leaked buffer")
expect selftest/atomic-sleep 'lockdep or atomic-sleep' \
	'BUG: Invalid wait context|BUG: sleeping function called from invalid context'
if [ ${#self_bad[@]} -gt 0 ]; then
	sed 's/^/    | /' "$self_log"
	for b in "${self_bad[@]}"; do
		say "self-test: $b"
	done
fi

say "$kernel_line"
say "done in $(( $(date +%s) - start )) s; logs in $out"
echo "$lane_verdict"
[ "$lane_status" -eq 0 ] && [ $checks_on -eq 1 ] && [ ${#self_bad[@]} -eq 0 ]
