#!/bin/sh
# The published prediction is current: a task woken onto CPU 1 while CPU 1
# keeps running something else shows in cpu1/next_pid at once, with no
# switch on CPU 1 in between. CPU 1 runs a SCHED_FIFO busy loop (RT
# throttling off, so ordinary tasks cannot run there), the woken task is an
# ordinary one pinned to CPU 1: it waits, and the list's FIFO/LIFO rules
# name it. CPU 1's selector is first taught on a pipe ping-pong pinned there,
# where the rule that names the waiting task is the one that hits. A
# higher-priority kernel thread may still switch in on CPU 1 now and then:
# such an attempt proves nothing either way and is made again (3 at most).
set -eu
. /tests/lib/koracle.sh

[ "$(ko_possible_cpus)" -ge 2 ] || ko_fail "needs 2 CPUs"
command -v chrt >/dev/null || ko_fail "chrt missing from the image"
d=$KO_SYSFS/cpu1
rt=/proc/sys/kernel/sched_rt_runtime_us
taskset -p -c 0 $$ >/dev/null || ko_fail "cannot pin the test to CPU 0"

ko_insmod
taskset -c 1 hackbench -p -g 1 -f 1 -l 400 >/dev/null 2>&1 ||
	ko_fail "pinned hackbench failed"
old_rt=$(cat $rt)
echo -1 >$rt

# One attempt: 0 the prediction followed the wakeup with no switch, 1 it
# did not (the test fails), 2 CPU 1 switched meanwhile (try again).
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
	[ "$switches2" -eq "$switches" ] || return 2
	[ "$after" = "$reader" ] && [ "$before" != "$reader" ] && return 0
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
2) ko_fail "CPU 1 switched during each of $n attempts: no quiet CPU to test on" ;;
esac

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "predict-current ok (attempt $n): next_pid $before -> $after on a wakeup, no switch"
