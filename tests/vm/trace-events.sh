#!/bin/sh
# koracle's trace event: koracle:koracle_switch, one per scored switch,
# through tracefs as trace-cmd and perf use it. Under hackbench with a model
# loaded it fires, every record's fields hold together (hit is published ==
# next, pids are -1 or real, the CPU exists), and disabled it records
# nothing.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

T=/sys/kernel/tracing
[ -d $T/events ] || T=/sys/kernel/debug/tracing
ev=$T/events/koracle/koracle_switch
ko_insmod
[ -d $ev ] || ko_fail "no $ev: the module defines no trace event"
grep -q 'field:int published' $ev/format || ko_fail "format lacks 'published': $(cat $ev/format)"
koracle upload "$(ko_blob a)" >/dev/null || ko_fail "upload failed"

echo 8192 >$T/buffer_size_kb
echo >$T/trace
echo 1 >$ev/enable
hackbench -g 2 -f 10 -l "$(ko_scaled 200)" >/dev/null
echo 0 >$ev/enable
grep 'koracle_switch:' $T/trace >/tmp/ev.txt || true
n=$(wc -l </tmp/ev.txt)
ko_expect "$n" -gt 100 "koracle_switch events under hackbench"
head -n 3 /tmp/ev.txt
ncpus=$(ko_possible_cpus)
bad=$(sed 's/.*koracle_switch: //' /tmp/ev.txt | awk -v n="$ncpus" '{
	for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (f["cpu"] >= n || f["published"] < -1 || f["model"] < -1 ||
	    f["selector"] < -1 || f["next"] < 0 ||
	    f["hit"] != (f["published"] == f["next"]))
		print
}' | head -n 5)
[ -z "$bad" ] || ko_fail "inconsistent koracle_switch records: $bad"
models=$(grep -c 'model=[0-9]' /tmp/ev.txt) || true
ko_expect "$models" -gt 0 "records with a model pick"

echo >$T/trace
hackbench -g 2 -f 10 -l "$(ko_scaled 50)" >/dev/null
left=$(grep -c 'koracle_switch:' $T/trace) || true
ko_expect "$left" -eq 0 "records with the event disabled"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "trace-events ok: $n koracle_switch records, $models with a model pick"
