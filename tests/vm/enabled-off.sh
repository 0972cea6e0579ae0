#!/bin/sh
# Off means off. Loaded with enabled=0 the probes are not attached: under
# hackbench nothing is produced, predicted or timed. Enabling attaches them;
# disabling again freezes every counter and cost histogram under load. The
# rings exist only while a collection runs: vmalloc grows by about one ring
# per online CPU while collecting and gives it back after.
set -eu
. /tests/lib/koracle.sh

hist_total() { # debugfs histogram: total count
	awk '$1 != "median_ns" { s += $2 } END { print s + 0 }' /sys/kernel/debug/koracle/"$1"
}
vmalloc_kib() {
	awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo
}
counters() {
	echo "$(cat $KO_SYSFS/events) $(cat $KO_SYSFS/predictions) $(hist_total switch_ns)"
}
HB="hackbench -g 2 -f 10 -l $(ko_scaled 300)"

ko_insmod enabled=0
ko_expect "$(cat $KO_SYSFS/enabled)" -eq 0 "enabled after insmod enabled=0"
$HB >/dev/null
set -- $(counters)
ko_log "loaded disabled, after hackbench: events=$1 predictions=$2 switch samples=$3"
ko_expect "$2" -eq 0 "predictions with the probes detached"
ko_expect "$3" -eq 0 "timed switches with the probes detached"
rc=0
koracle collect -o /tmp/off.kot --duration 1 >/tmp/off.txt 2>&1 || rc=$?
ko_expect "$rc" -eq 1 "exit status of collect while disabled"

echo 1 >$KO_SYSFS/enabled
$HB >/dev/null
set -- $(counters)
ko_log "enabled, after hackbench: events=$1 predictions=$2 switch samples=$3"
ko_expect "$2" -gt 0 "predictions once enabled"
ko_expect "$3" -gt 0 "timed switches once enabled"

echo 0 >$KO_SYSFS/enabled
before=$(counters)
$HB >/dev/null
after=$(counters)
ko_log "disabled under load: $before -> $after"
[ "$before" = "$after" ] || ko_fail "counters moved while disabled: $before -> $after"
echo 1 >$KO_SYSFS/enabled

# Rings: none idle, one per online CPU while collecting, none after.
ring_kib=$(( $(koracle stats | ko_kv ring_records) * 64 / 1024 ))
online=$(grep -c '^processor' /proc/cpuinfo)
idle=$(vmalloc_kib)
koracle collect -o /tmp/c.kot --duration 3 >/tmp/c.txt 2>&1 &
col=$!
sleep 1.5
during=$(vmalloc_kib)
wait $col || ko_fail "collect failed: $(cat /tmp/c.txt)"
sleep 0.5
after=$(vmalloc_kib)
ko_log "VmallocUsed: idle $idle KiB, collecting $during KiB, after $after KiB (ring $ring_kib KiB x $online CPUs)"
ko_expect $((during - idle)) -ge $((online * ring_kib * 9 / 10)) "vmalloc growth while collecting (KiB)"
left=$((after - idle))
[ $left -ge 0 ] || left=0
ko_expect $left -le 512 "vmalloc left after the collection (KiB)"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "enabled-off ok: nothing while off, frozen when disabled, rings only while collecting"
