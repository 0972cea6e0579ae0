#!/bin/bash
# Run the VM tests: build the initramfs, boot the guest once, run every
# tests/vm/*.sh (or the NAMEs given) inside it, and give one verdict.
#
#   scripts/vm-run-tests.sh [NAME...]      (make check-vm, make vm-test T=NAME)
#
# The guest reports "TEST NAME PASS|FAIL" lines and a final "koracle-vm: done"
# over its second serial port and its whole kernel log over the third; the
# console (test output and kernel messages) goes to a log file. The host prints
# one line per test, the console log of each failed test, and a last line
# "N passed, N failed". It exits non-zero if a test fails, a verdict is missing
# (guest crash or timeout), or the kernel log shows a warning, oops, lockup or
# stall (tests/vm/lib/kmsg-bad.re, minus the harmless kmsg-ok.re).
#
# On a kmemleak kernel (make check-debug) the guest scans after every test and
# fails the test on any leak; the boot's own reports are set aside first.
#
# Env: KORACLE_VM_TIMEOUT (whole boot, seconds), KORACLE_VM_TEST_TIMEOUT (each
# test, default 600), KORACLE_VM_LOGDIR (default build/vm/log), KORACLE_VM_DATA
# (files for the image's /data, e.g. test-only modules), and those of
# scripts/vm-run.sh and scripts/mkinitramfs.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=${KORACLE_VM_LOGDIR:-$top/build/vm/log}

if [ -t 1 ]; then
	red=$'\e[31m' green=$'\e[32m' bold=$'\e[1m' reset=$'\e[0m'
else
	red='' green='' bold='' reset=''
fi

tests=()
for arg in "$@"; do
	case $arg in
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "vm-run-tests: unknown option '$arg'; see --help" >&2; exit 2 ;;
	*) tests+=("${arg%.sh}") ;;
	esac
done
if [ ${#tests[@]} -eq 0 ]; then
	for f in "$top"/tests/vm/*.sh; do
		[ -f "$f" ] && tests+=("$(basename "$f" .sh)")
	done
fi
for t in "${tests[@]}"; do
	if [ ! -f "$top/tests/vm/$t.sh" ]; then
		echo "vm-run-tests: no test tests/vm/$t.sh" >&2
		exit 2
	fi
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "vm-run-tests: no tests in tests/vm/" >&2
	exit 2
fi

mkdir -p "$logdir"
console=$logdir/console.log
verdict=$logdir/verdict.txt
kernlog=$logdir/kernel.log
data_args=()
for f in ${KORACLE_VM_DATA:-}; do
	data_args+=(--data "$f")
done
initrd=$(KORACLE_BIN=${KORACLE_BIN:-} "$top/scripts/mkinitramfs.sh" \
	-o "$top/build/vm/initramfs.cpio.gz" ${data_args[@]+"${data_args[@]}"})

list=$(IFS=,; echo "${tests[*]}")
echo "vm-run-tests: booting the guest for ${#tests[@]} test(s): ${tests[*]}"
echo "vm-run-tests: console log in $console"
start=$(date +%s)
vm_status=0
"$top/scripts/vm-run.sh" --initrd "$initrd" --port "$verdict" --port "$kernlog" \
	--append "koracle_mode=test koracle_tests=$list koracle_test_timeout=${KORACLE_VM_TEST_TIMEOUT:-600}" \
	</dev/null >"$console" 2>&1 || vm_status=$?
elapsed=$(( $(date +%s) - start ))

# Serial lines end in CRLF; kernel records cut into userspace lines (the
# markers below among them) are moved onto lines of their own.
sed -i 's/\r$//' "$verdict" "$kernlog"
sed 's/\r$//' "$console" | "$top/scripts/console-unsplice.sh" >"$console.tmp"
mv "$console.tmp" "$console"

passed=0 failed=0
for t in "${tests[@]}"; do
	if grep -qx "TEST $t PASS" "$verdict"; then
		echo "${green}PASS${reset} $t"
		passed=$((passed + 1))
		continue
	fi
	failed=$((failed + 1))
	if grep -qx "TEST $t FAIL" "$verdict"; then
		echo "${red}FAIL${reset} $t"
	else
		echo "${red}FAIL${reset} $t (no verdict: the guest crashed or timed out)"
	fi
	# That test's console output, kernel lines included, for the reader.
	# (Test names may have a slash: tests/vm/selftest/NAME.)
	re=${t//\//\\/}
	sed -n "/^=== koracle-vm: BEGIN $re\$/,/^=== koracle-vm: END $re\$/p" "$console" |
		sed 's/^/    | /'
done

problems=0
if ! grep -qx 'koracle-vm: done' "$verdict"; then
	echo "${red}${bold}vm-run-tests: the guest did not finish (qemu status $vm_status);" \
		"last console lines:${reset}"
	tail -n 30 "$console" | sed 's/^/    | /'
	problems=1
fi
# Kernel warnings anywhere in the boot: from the guest's full log, and from the
# console's kernel lines (timestamped) in case the guest died before sending it.
# The one line of kmemleak's boot scan, which the guest shows and sets aside
# (tests/vm/lib/koracle.sh), is not a warning; the same line after a test is.
bad=$( { cat "$kernlog"; grep -E '^\[ *[0-9]+\.[0-9]+\]' "$console" || true; } |
	awk '/koracle-vm: mark kmemleak-baseline-begin$/ { b = 1 }
		/koracle-vm: mark kmemleak-baseline-end$/ { b = 0 }
		!(b && /kmemleak: [0-9]+ new suspected memory leaks/)' |
	"$top/scripts/kmsg-warnings.sh")
if [ -n "$bad" ]; then
	echo "${red}${bold}vm-run-tests: the kernel log shows warnings:${reset}"
	echo "$bad" | sed 's/^/    | /'
	problems=1
fi

echo "vm-run-tests: guest ran ${elapsed} s; logs in $logdir"
if [ $failed -eq 0 ] && [ $problems -eq 0 ]; then
	echo "${green}${bold}$passed passed, $failed failed${reset}"
	exit 0
fi
echo "${red}${bold}$passed passed, $failed failed${reset}"
exit 1
