#!/bin/sh
# The in-kernel API (include/koracle.h): a test module asks koracle for
# every online CPU's prediction from process context, with irqs off and from
# a hard-irq timer while hackbench runs. Every answer is a task that exists
# (or idle), or "none"; under load some CPU has one. While the consumer is
# loaded koracle cannot be unloaded (it uses koracle's symbol).
set -eu
. /tests/lib/koracle.sh

consumer=/test-modules/koracle_consumer.ko
[ -f $consumer ] || ko_fail "$consumer missing: make test-modules"
ko_insmod
hackbench -g 4 -f 10 -l "$(ko_scaled 3000)" >/dev/null &
hb=$!
# under load: hackbench's groups started and switching (a debug kernel takes
# seconds to fork them), at most 30 s
sum_predictions() {
	cat "$KO_SYSFS"/cpu*/predictions | awk '{ s += $1 } END { print s }'
}
p0=$(sum_predictions)
i=0
while [ "$(sum_predictions)" -lt $((p0 + 2000)) ]; do
	i=$((i + 1))
	[ $i -le 300 ] || ko_fail "hackbench made no 2000 switches in 30 s"
	sleep 0.1
done
ko_kmsg_mark consumer
insmod $consumer || ko_fail "insmod $consumer failed"
lines=$(dmesg | awk '/koracle-vm: mark consumer$/ { buf = ""; next } { buf = buf $0 "\n" } END { printf "%s", buf }' |
	grep 'koracle_consumer: cpu' || true)
echo "$lines"
ko_expect "$(echo "$lines" | grep -c 'koracle_consumer: cpu')" -eq "$(grep -c '^processor' /proc/cpuinfo)" "consumer lines (one per online CPU)"
named=0
for pid in $(echo "$lines" | sed 's/.*process=//; s/ irqsoff=/ /; s/ hardirq=/ /'); do
	[ "$pid" = -1 ] && continue
	named=$((named + 1))
	[ "$pid" = 0 ] || [ -d /proc/"$pid" ] || ko_log "pid $pid has exited since (fine if hackbench)"
	[ "$pid" -ge 0 ] || ko_fail "consumer got pid $pid"
done
ko_expect "$named" -gt 0 "API answers naming a task under load"
rmmod koracle 2>/dev/null && ko_fail "koracle unloaded while its API user is loaded"
rmmod koracle_consumer || ko_fail "rmmod koracle_consumer failed"
# the load has served: no need to wait for its end
killall hackbench 2>/dev/null || true
wait $hb || true
out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "api-consumer ok: $named answers named a task"
