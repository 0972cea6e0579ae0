#!/bin/sh
# koracle collect -- hackbench at the default ring size: records from both
# CPUs, contiguous batch sequence numbers, no loss, and a trace file whose
# record counts agree with what the collector reported.
set -eu
. /tests/lib/koracle.sh

ko_insmod
online=$(grep -c ^processor /proc/cpuinfo)

rc=0
koracle collect -o /tmp/t.kot --label hackbench -- hackbench -g 2 -f 10 -l "$(ko_scaled 200)" \
	>/tmp/collect.out 2>/tmp/collect.err || rc=$?
cat /tmp/collect.err
ko_expect "$rc" -eq 0 "exit status of collect"
grep -q '^collect: records=' /tmp/collect.err || ko_fail "collect printed no summary line"
records=$(ko_summary records </tmp/collect.err)
ko_expect "$records" -gt 0 "summary records"
ko_expect "$(ko_summary lost </tmp/collect.err)" -eq 0 "summary lost"
ko_expect "$(ko_summary seq_gaps </tmp/collect.err)" -eq 0 "summary seq_gaps"
ko_expect "$(ko_summary cpus </tmp/collect.err)" -eq "$online" "summary cpus"
[ "$(ko_summary end </tmp/collect.err)" = command ] ||
	ko_fail "summary end=$(ko_summary end </tmp/collect.err), expected command"
[ "$(ko_summary file </tmp/collect.err)" = /tmp/t.kot ] ||
	ko_fail "summary file=$(ko_summary file </tmp/collect.err), expected /tmp/t.kot"

koracle dump --stats /tmp/t.kot >/tmp/stats.txt 2>&1 ||
	ko_fail "dump --stats failed: $(cat /tmp/stats.txt)"
cat /tmp/stats.txt
ko_expect "$(ko_kv records </tmp/stats.txt)" -eq "$records" "dump records vs summary"
ko_expect "$(ko_kv switches </tmp/stats.txt)" -gt 0 "dump switches"
ko_expect "$(ko_kv wakeups </tmp/stats.txt)" -gt 0 "dump wakeups"
ko_expect "$(ko_kv lost </tmp/stats.txt)" -eq 0 "dump lost"
c=0
while [ $c -lt "$online" ]; do
	ko_expect "$(ko_kv cpu$c </tmp/stats.txt)" -gt 0 "records of cpu$c"
	c=$((c + 1))
done
[ "$(ko_kv label </tmp/stats.txt)" = hackbench ] ||
	ko_fail "dump label is '$(ko_kv label </tmp/stats.txt)', expected hackbench"

# The module agrees: nothing dropped, the session is over.
koracle stats >/tmp/kstats.txt 2>&1 || ko_fail "koracle stats failed: $(cat /tmp/kstats.txt)"
ko_expect "$(ko_kv dropped </tmp/kstats.txt)" -eq 0 "module dropped"
ko_expect "$(ko_kv collecting </tmp/kstats.txt)" -eq 0 "module collecting after collect"
ko_expect "$(cat "$KO_SYSFS/dropped")" -eq 0 "sysfs dropped"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "collected $records records on $online CPUs, no loss"
