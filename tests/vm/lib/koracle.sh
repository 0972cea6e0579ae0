# Helpers for the VM tests (sourced; busybox sh). Each test is a script in
# tests/vm/ that exits 0 when the behaviour holds and non-zero, after saying
# why, when it does not. Kernel-log patterns live in kmsg-bad.re (what fails a
# test) and kmsg-ok.re (known harmless lines that may match nothing else);
# the host's filter reads the same two files.

# shellcheck disable=SC2034 # used by the tests that source this file
KO_MODULE=${KO_MODULE:-/koracle.ko}
KO_SYSFS=/sys/kernel/koracle
KO_LIB=${KO_LIB:-/tests/lib}
KO_USER=kouser

# Print why the test fails and end it.
ko_fail() {
	echo "FAIL: $*"
	exit 1
}

ko_log() {
	echo "# $*"
}

# Write a marker into the kernel log so checks can look only past it.
ko_kmsg_mark() {
	echo "koracle-vm: mark $1" >/dev/kmsg
}

# Kernel log lines after marker $1 that look like a warning, oops, lockup or
# stall, known harmless lines removed. Prints them; true when there are none.
ko_kmsg_clean() {
	bad=$(dmesg | awk -v m="koracle-vm: mark $1" '
		substr($0, length($0) - length(m) + 1) == m { buf = ""; next }
		{ buf = buf $0 "\n" }
		END { printf "%s", buf }' |
		grep -E -f "$KO_LIB/kmsg-bad.re" | grep -v -E -f "$KO_LIB/kmsg-ok.re")
	[ -z "$bad" ] && return 0
	echo "kernel log after mark '$1' has warnings:"
	echo "$bad"
	return 1
}

# Fail the test if the kernel log shows a warning since the test began.
ko_check_kmsg() {
	ko_kmsg_clean "$KO_TEST" || ko_fail "kernel warnings during $KO_TEST"
}

ko_loaded() {
	[ -d /sys/module/koracle ]
}

# insmod the module with optional parameters; fail the test if it refuses.
ko_insmod() {
	ko_loaded && ko_fail "koracle already loaded before insmod"
	[ -f "$KO_MODULE" ] || ko_fail "$KO_MODULE is not in the initramfs"
	insmod "$KO_MODULE" "$@" || ko_fail "insmod $KO_MODULE $* failed"
	ko_loaded || ko_fail "insmod succeeded but /sys/module/koracle is missing"
}

# rmmod, retrying while the module is busy (a netlink socket or worker can
# hold a reference for a moment after a collector exits). Returns rmmod's
# last status; prints nothing on success.
ko_rmmod() {
	tries=0
	while ! out=$(rmmod koracle 2>&1); do
		tries=$((tries + 1))
		if [ $tries -ge 50 ] || ! echo "$out" | grep -q -i 'busy\|in use'; then
			echo "$out"
			return 1
		fi
		sleep 0.2
	done
	return 0
}

# Value of KEY in "KEY VALUE" lines on stdin (dump --stats, stats).
ko_kv() {
	awk -v k="$1" '$1 == k { print $2; found = 1; exit } END { if (!found) exit 1 }'
}

# Value of key=value field $1 in the collect summary line on stdin.
ko_summary() {
	grep '^collect: records=' | tail -n1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# Fail unless $1 is an integer and its relation $2 to $3 holds, e.g.
# ko_expect "$lost" -eq 0 "lost records".
ko_expect() {
	case $1 in
	''|*[!0-9]*) ko_fail "$4: '$1' is not a number" ;;
	esac
	case $2 in
	-eq|-ne|-lt|-le|-gt|-ge) ;;
	*) ko_fail "ko_expect: bad operator '$2'" ;;
	esac
	test "$1" "$2" "$3" || ko_fail "$4: expected $2 $3, got $1"
}

# Number of possible CPUs (0-N ranges in /sys/devices/system/cpu/possible).
ko_possible_cpus() {
	tr ',' '\n' </sys/devices/system/cpu/possible |
		awk -F- '{ n += (NF == 2 ? $2 - $1 + 1 : 1) } END { print n }'
}

# A collector ended by rmmod: exit status $1 is 1, its stderr $3 has the
# unload message and end=unload, and its file $2 is valid and holds as many
# records as the summary says, switches among them.
ko_check_unloaded_collect() {
	ko_expect "$1" -eq 1 "exit status of the collector after rmmod"
	grep -q "koracle: collect: koracle.ko was unloaded during collection; $2 holds the [0-9]* records received" \
		"$3" || ko_fail "collector did not print the unload message"
	[ "$(ko_summary end <"$3")" = unload ] ||
		ko_fail "summary end=$(ko_summary end <"$3"), expected unload"
	unl_records=$(ko_summary records <"$3")
	ko_expect "$unl_records" -gt 0 "summary records"
	koracle dump --stats "$2" >/tmp/unload-stats.txt 2>&1 ||
		ko_fail "dump --stats of the file after rmmod failed: $(cat /tmp/unload-stats.txt)"
	cat /tmp/unload-stats.txt
	ko_expect "$(ko_kv records </tmp/unload-stats.txt)" -eq "$unl_records" "dump records vs summary"
	ko_expect "$(ko_kv switches </tmp/unload-stats.txt)" -gt 0 "dump switches"
}

# Seconds since boot (10 ms resolution): wall-clock stamps for timings.
ko_now() {
	cut -d' ' -f1 /proc/uptime
}

# Context switches on all CPUs since boot (/proc/stat ctxt).
ko_ctxt() {
	awk '$1 == "ctxt" { print $2 }' /proc/stat
}

# The prediction counters of DIR ($KO_SYSFS or one of its cpuN) into KO_PUB
# (published_hits), KO_HITS, KO_BASE (baseline_hits) and KO_PRED
# (predictions). The probes may still run: the hit counters are read first,
# predictions last (as koracle status reads them), so a switch scored
# between the reads can raise predictions but never lift a hit counter
# above it. Each counter only grows between uploads.
ko_counts() {
	KO_PUB=$(cat "$1/published_hits")
	KO_HITS=$(cat "$1/hits")
	KO_BASE=$(cat "$1/baseline_hits")
	KO_PRED=$(cat "$1/predictions")
}

# The module's totals as one frozen snapshot (ko_counts): detaching the
# probes first (enabled=0 keeps the counters) stops them changing at all,
# so hits and predictions count exactly the same switches.
ko_read_counts() {
	echo 0 >"$KO_SYSFS/enabled"
	ko_counts "$KO_SYSFS"
}

# Median of the numbers on stdin, one per line; fails on no input.
ko_median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Run functions $2... with the rep number R for R = 0 .. $1 - 1, in order
# on even reps and in reverse on odd ones (ABC CBA ...), so that drift over
# the run (page cache, a busy host) falls on every side equally.
ko_interleave() {
	il_reps=$1 il_r=0
	shift
	il_rev=
	for il_f in "$@"; do
		il_rev="$il_f $il_rev"
	done
	while [ $il_r -lt "$il_reps" ]; do
		if [ $((il_r % 2)) -eq 0 ]; then
			il_order="$*"
		else
			il_order=$il_rev
		fi
		for il_f in $il_order; do
			"$il_f" $il_r
		done
		il_r=$((il_r + 1))
	done
}

# kmemleak (debug kernels only: make check-debug). The harness scans after
# every test, once the module is gone, and fails the test on any report; the
# boot-time reports (ACPI's, before any module) are shown, then set aside.
KO_KMEMLEAK=/sys/kernel/debug/kmemleak
# kmemleak reports no object younger than 5 s (MSECS_MIN_AGE): wait that out
# so what the last rmmod let go is seen by this scan, not the next test's.
KO_KMEMLEAK_AGE=6

ko_kmemleak_present() {
	[ -w "$KO_KMEMLEAK" ]
}

# Scan twice and print the suspected leaks, if any. Twice because kmemleak
# holds back an unreferenced object whose contents changed since the scan
# before (a freshly leaked one always has): one scan reports it only at the
# next test, or never (seen here: ACPI's boot leaks and the self-test's
# leak slipped past single scans). Each scan costs about 13 s under TCG.
ko_kmemleak_scan() {
	sleep "$KO_KMEMLEAK_AGE"
	echo scan >"$KO_KMEMLEAK" && echo scan >"$KO_KMEMLEAK" && cat "$KO_KMEMLEAK"
}

# Before the first test: show the boot's own reports, then clear them so
# that every later report is new. The kernel-log marks let the host tell the
# boot scan's count line from a test's.
ko_kmemleak_baseline() {
	ko_kmsg_mark kmemleak-baseline-begin
	bl_report=$(ko_kmemleak_scan)
	echo "koracle-vm: kmemleak at boot, before any module:" \
		"$(echo "$bl_report" | grep -c '^unreferenced object') suspected leaks (set aside)"
	echo "$bl_report" | grep -A3 '^unreferenced object' | sed 's/^/    boot: /'
	echo clear >"$KO_KMEMLEAK"
	ko_kmsg_mark kmemleak-baseline-end
}

# After test $1 unloaded everything: true when the scan finds no new leak,
# else prints the reports and clears them (one test's leak fails that test
# only).
ko_kmemleak_check() {
	# A scan that fails (kmemleak switched itself off) checks nothing.
	kc_report=$(ko_kmemleak_scan) || {
		echo "kmemleak: the scan after $1 failed: $(dmesg | grep kmemleak | tail -n 3)"
		return 1
	}
	[ -z "$kc_report" ] && return 0
	echo "kmemleak after $1 (new since boot):"
	echo "$kc_report"
	echo clear >"$KO_KMEMLEAK"
	return 1
}

# Workload sizes on a slow kernel. The debug lane's kernel (KASAN, lockdep,
# kmemleak under TCG) runs hackbench about five times slower than Debian's;
# koracle_scale=N on the kernel command line divides the tests' loop counts
# by N, so they keep their checks and fit their timeouts.
KO_SCALE=$(sed -n 's/.*koracle_scale=\([0-9][0-9]*\).*/\1/p' /proc/cmdline 2>/dev/null)
KO_SCALE=${KO_SCALE:-1}

# N divided by the scale, at least 1.
ko_scaled() {
	echo "$1 $KO_SCALE" | awk '{ n = int($1 / $2); print n < 1 ? 1 : n }'
}

# Slab + VmallocUsed (/proc/meminfo, KiB): what the kernel's own memory
# counters hold (the module's slab objects, rings and vmalloc'd text).
ko_mem_kib() {
	awk '$1 == "Slab:" || $1 == "VmallocUsed:" { s += $2 } END { print s }' /proc/meminfo
}

# ko_mem_kib once the guest is quiet: caches dropped (reclaimable dentries
# and inodes would drift), empty slabs released (/sys/kernel/slab/*/shrink),
# RCU-deferred frees and vfree()s given time; the smallest of three samples.
# Used by the bench (module_memory_kib) and the soak (leaked_kib).
ko_settled_mem_kib() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# Empty slabs parked on the caches' partial lists go back too.
	for ko_sh_f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$ko_sh_f"
	done 2>/dev/null
	sleep 2
	ko_sm_min=''
	for _ in 1 2 3; do
		echo 3 >/proc/sys/vm/drop_caches
		ko_sm_v=$(ko_mem_kib)
		{ [ -z "$ko_sm_min" ] || [ "$ko_sm_v" -lt "$ko_sm_min" ]; } && ko_sm_min=$ko_sm_v
		sleep 1
	done
	echo "$ko_sm_min"
}
