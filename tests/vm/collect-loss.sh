#!/bin/sh
# With the rings forced tiny (ring_records=16), hackbench overflows them: the
# loss is counted by the module, reported by the collector and recorded in
# the trace file as LOST records, never silent.
set -eu
. /tests/lib/koracle.sh

ko_insmod ring_records=16
ring=$(koracle stats | ko_kv ring_records) || ko_fail "koracle stats shows no ring_records"
ko_expect "$ring" -eq 16 "ring_records reported by the module"

rc=0
koracle collect -o /tmp/l.kot -- hackbench -g 2 -f 10 -l "$(ko_scaled 200)" \
	>/tmp/collect.out 2>/tmp/collect.err || rc=$?
cat /tmp/collect.err
ko_expect "$rc" -eq 0 "exit status of collect"
lost=$(ko_summary lost </tmp/collect.err)
ko_expect "$lost" -gt 0 "summary lost"
ko_expect "$(ko_summary records </tmp/collect.err)" -gt 0 "summary records"

koracle dump --stats /tmp/l.kot >/tmp/stats.txt 2>&1 ||
	ko_fail "dump --stats failed: $(cat /tmp/stats.txt)"
cat /tmp/stats.txt
# Every loss the collector heard of is in the file, as LOST pseudo-records
# (counted among the file's records, on top of the events received).
ko_expect "$(ko_kv lost </tmp/stats.txt)" -eq "$lost" "lost in the file vs the summary"
ko_expect "$(ko_kv records </tmp/stats.txt)" -gt "$(ko_summary records </tmp/collect.err)" \
	"records in the file (events + LOST records) vs events received"

koracle stats >/tmp/kstats.txt 2>&1 || ko_fail "koracle stats failed: $(cat /tmp/kstats.txt)"
dropped=$(ko_kv dropped </tmp/kstats.txt)
ko_expect "$dropped" -gt 0 "module dropped (netlink)"
ko_expect "$dropped" -ge "$lost" "module dropped vs collector lost"
ko_expect "$(cat "$KO_SYSFS/dropped")" -eq "$dropped" "sysfs dropped vs netlink dropped"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "ring of 16: $lost records reported lost, module dropped $dropped"
