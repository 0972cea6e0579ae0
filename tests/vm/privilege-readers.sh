#!/bin/sh
# What a prediction reveals depends on who reads it. While root runs
# hackbench, an unprivileged user reading every CPU's next_pid and next_comm
# learns no root task (never a hackbench pid or name, never the idle task);
# root reading the same files does see them (so the check can fail). A root
# reader in a new pid namespace sees its own numbering: the pids it is shown
# are those of its namespace's /proc, not the initial namespace's.
set -eu
. /tests/lib/koracle.sh

# sample N: N rounds of every CPU's "pid comm", one per line
cat >/tmp/sample.sh <<'EOS'
n=0
while [ $n -lt "$1" ]; do
	for d in /sys/kernel/koracle/cpu*; do
		echo "$(cat $d/next_pid) $(cat $d/next_comm)"
	done
	n=$((n + 1))
done
EOS
chmod 755 /tmp/sample.sh

ko_insmod
# hackbench throughout both readers' sampling, at nice 19: the readers,
# one task against its 80, still get the CPU (on a debug kernel they were
# starved past the test's timeout)
rm -f /tmp/hb.stop
# (busybox has renice, not nice; the loop's hackbench runs inherit it)
(sleep 0.1
while [ ! -e /tmp/hb.stop ]; do hackbench -g 4 -f 10 -l "$(ko_scaled 500)" >/dev/null; done) &
hb=$!
renice -n 19 -p $hb >/dev/null
sleep 0.5
sh /tmp/sample.sh 20 >/tmp/root.txt
su -s /bin/sh "$KO_USER" -c 'sh /tmp/sample.sh 40' >/tmp/user.txt
touch /tmp/hb.stop
wait $hb

user_named=$(awk '$1 != -1' /tmp/user.txt | wc -l)
# A line is one next_pid read, then one next_comm read: two predictions, so
# "-1 sh" is a hidden task followed by the reader's own shell (seen once on
# the debug kernel). A name is root's when it is none of the reader's own
# tasks' (sh, cat, su): hackbench, a kernel thread.
user_root=$(awk '$1 == 0 || ($2 != "" && $2 != "sh" && $2 != "cat" && $2 != "su")' /tmp/user.txt | wc -l)
awk '$1 == 0 || ($2 != "" && $2 != "sh" && $2 != "cat" && $2 != "su")' /tmp/user.txt |
	sed 's/^/# unprivileged read named: /'
root_hb=$(awk '$2 == "hackbench"' /tmp/root.txt | wc -l)
ko_log "unprivileged: $(wc -l </tmp/user.txt) reads, $user_named named a task, $user_root named root's; root: $root_hb of $(wc -l </tmp/root.txt) named hackbench"
ko_expect "$root_hb" -gt 0 "root's reads naming hackbench"
ko_expect "$user_root" -eq 0 "unprivileged reads naming root's tasks"
# whatever the user was shown is its own (the sampling shell, cat)
awk '$1 > 0 { print $1 }' /tmp/user.txt | sort -u | while read -r pid; do
	[ -d /proc/"$pid" ] || continue
	uid=$(awk '/^Uid:/ { print $2 }' /proc/"$pid"/status)
	[ "$uid" = 1000 ] || ko_fail "the unprivileged reader was shown pid $pid of uid $uid"
done

# A pid namespace: hackbench and the reader inside it, root everywhere; $1
# is hackbench's loop count.
cat >/tmp/ns.sh <<'EOS'
sh -c 'renice -n 19 -p $$ >/dev/null; exec hackbench -g 4 -f 10 -l "$1"' sh "$1" >/dev/null &
sleep 0.5
n=0 inner=0 other=0
while [ $n -lt 60 ]; do
	for d in /sys/kernel/koracle/cpu*; do
		pid=$(cat $d/next_pid)
		[ "$pid" -gt 0 ] || continue
		if [ "$(cat /proc/$pid/comm 2>/dev/null)" = hackbench ]; then
			inner=$((inner + 1))
		else
			other=$((other + 1))
		fi
	done
	n=$((n + 1))
done
# no wait: this shell is the namespace's init, its exit ends hackbench
echo "$inner $other"
EOS
set -- $(/usr/bin/unshare --pid --fork --mount-proc sh /tmp/ns.sh "$(ko_scaled 2000)")
ko_log "pid namespace reader: $1 predictions named a hackbench of its /proc, $2 anything else"
ko_expect "$1" -ge 10 "namespace reads naming its own hackbench"
# a pid of the initial namespace would almost never be a hackbench here
ko_expect "$1" -ge $((9 * ($1 + $2) / 10)) "namespace reads that resolve in its /proc"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "privilege-readers ok: unprivileged $user_named named of $(wc -l </tmp/user.txt), none root's; namespace $1 own of $(($1 + $2))"
