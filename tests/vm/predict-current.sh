#!/bin/sh
# The published prediction is current: a task woken onto CPU 1 while CPU 1
# keeps running something else shows in cpu1/next_pid at once, with no
# switch on CPU 1 in between (a prediction formed at switches would not
# move). CPU 1 runs a SCHED_FIFO busy loop (RT throttling off, so ordinary
# tasks cannot run there). Toggling enabled restarts every predictor: CPU 1's
# list is then empty and its selector uses FIFO. The woken task, an ordinary
# one pinned to CPU 1, is then the only one waiting there, and FIFO names
# it. A kernel thread may still wake onto or switch in on CPU 1 meanwhile:
# such an attempt proves nothing either way and is made again (3 at most).
#
# Only on kernels without full preemption (Debian's stock kernel; not make
# check-debug's PREEMPT kernel nor make check-rt's PREEMPT_RT). There the
# loop starves CPU 1's kernel threads, which RCU's grace periods need
# (ksoftirqd/1; rcuc/1 on RT): the enabled toggle never returned and the
# guest stalled. Throttling RT tasks to let them run (0.5 s every 10 s)
# made CPU 1 switch 10-50 times in every measurement, and restarting the
# predictors before the loop let a starved thread that woke afterwards
# wait ahead of the reader. What is checked here does not depend on the
# preemption model.
set -eu
. /tests/lib/koracle.sh

case " $(uname -v) " in
*" PREEMPT "* | *" PREEMPT_RT "*)
	echo "predict-current: not run on a fully preemptible kernel ($(uname -v))"
	exit 0
	;;
esac

[ "$(ko_possible_cpus)" -ge 2 ] || ko_fail "needs 2 CPUs"
command -v chrt >/dev/null || ko_fail "chrt missing from the image"
d=$KO_SYSFS/cpu1
rt=/proc/sys/kernel/sched_rt_runtime_us
taskset -p -c 0 $$ >/dev/null || ko_fail "cannot pin the test to CPU 0"

ko_insmod
old_rt=$(cat $rt)
echo -1 >$rt

# One attempt: 0 the prediction named the woken task with no switch, 1 it
# did not (the test fails), 2 something else happened on CPU 1 (again).
attempt() {
	rm -f /tmp/wake
	mkfifo /tmp/wake
	# the reader opens the FIFO and sleeps there until a writer comes
	taskset -c 1 sh -c 'read x </tmp/wake' &
	reader=$!
	sleep 0.5
	taskset -c 1 chrt -f 10 sh -c 'while :; do :; done' &
	hog=$!
	sleep 0.5
	echo 0 >"$KO_SYSFS/enabled"
	echo 1 >"$KO_SYSFS/enabled"
	switches=$(cat "$d/predictions")
	before=$(cat "$d/next_pid")
	echo wake >/tmp/wake
	sleep 0.3
	after=$(cat "$d/next_pid")
	switches2=$(cat "$d/predictions")
	kill $hog
	wait $hog 2>/dev/null || true
	wait $reader 2>/dev/null || true
	ko_log "reader $reader: next_pid $before -> $after, cpu1 scored switches $switches -> $switches2"
	[ "$switches2" -eq "$switches" ] && [ "$before" = -1 ] || return 2
	[ "$after" = "$reader" ] && return 0
	return 1
}

n=0 rc=2
while [ $n -lt 3 ] && [ $rc -eq 2 ]; do
	n=$((n + 1))
	rc=0
	attempt || rc=$?
done
echo "$old_rt" >$rt
case $rc in
1) ko_fail "with no switch on CPU 1, cpu1/next_pid went $before -> $after, expected the woken reader $reader" ;;
2) ko_fail "CPU 1 was not quiet during any of $n attempts" ;;
esac

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "predict-current ok (attempt $n): next_pid $before -> $after on a wakeup, no switch"
