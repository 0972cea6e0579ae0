#!/bin/sh
# CPU hotplug under load: with a model loaded and a collection running,
# take CPU 1 offline and back three times while hackbench runs. The module
# keeps per-possible-CPU state and no hotplug callbacks, so this must just
# work: the collector ends normally with every record (lost=0, seq_gaps=0),
# the kernel's predictions still replay exactly in userspace (the tasks
# pushed off CPU 1 arrive as migrations in both streams), CPU 1 predicts
# again once back, and the kernel log stays clean.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

online=/sys/devices/system/cpu/cpu1/online
[ -w "$online" ] || ko_fail "$online is not writable: this guest cannot take CPU 1 offline"

ko_insmod
a=$(ko_blob a)
ko_upload "$a"

rc=0
koracle collect -o /tmp/hotplug.kot --label hotplug -- sh -c '
	hackbench -g 2 -f 10 -l 300 >/dev/null & hb=$!
	for i in 1 2 3; do
		sleep 0.3
		echo 0 >"$1"
		sleep 0.3
		echo 1 >"$1"
	done
	wait $hb' hotplug "$online" >/dev/null 2>/tmp/hotplug.err || rc=$?
cat /tmp/hotplug.err
[ "$(cat "$online")" = 1 ] || { echo 1 >"$online"; ko_fail "CPU 1 was left offline"; }
ko_expect "$rc" -eq 0 "exit status of collect across hotplug"
ko_expect "$(ko_kmsg_since "$KO_TEST" | grep -c 'CPU 1 is now offline')" -eq 3 \
	"times the kernel took CPU 1 offline"
ko_expect "$(ko_summary lost </tmp/hotplug.err)" -eq 0 "lost records"
ko_expect "$(ko_summary seq_gaps </tmp/hotplug.err)" -eq 0 "sequence gaps"
ko_expect "$(ko_summary cpus </tmp/hotplug.err)" -eq 2 "CPUs that sent records"

rc=0
koracle eval --model "$a" /tmp/hotplug.kot --check-kernel >/tmp/hotplug.eval 2>&1 || rc=$?
cat /tmp/hotplug.eval
ko_expect "$rc" -eq 0 "exit status of eval --check-kernel"
line=$(grep '^check: points=' /tmp/hotplug.eval) || ko_fail "no check line"
points=$(echo "$line" | tr ' ' '\n' | sed -n 's/^points=//p')
ko_expect "$points" -gt 0 "replayed points"
ko_expect "$(echo "$line" | tr ' ' '\n' | sed -n 's/^pred_mismatch=//p')" -eq 0 "model mismatches"
ko_expect "$(echo "$line" | tr ' ' '\n' | sed -n 's/^base_mismatch=//p')" -eq 0 "selector mismatches"

# CPU 1 is back: it scores predictions again.
p0=$(cat "$KO_SYSFS/cpu1/predictions")
hackbench -g 2 -f 10 -l "$(ko_scaled 100)" >/dev/null
p1=$(cat "$KO_SYSFS/cpu1/predictions")
ko_expect "$p1" -gt "$p0" "cpu1 predictions after it came back"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "hotplug ok: $points switches replayed across 3 offline/online cycles, cpu1 predictions $p0 -> $p1"
