#!/bin/sh
# rmmod while a collection runs under load: rmmod succeeds, the collector
# ends with the unload message and exit status 1, and its file is valid.
set -eu
. /tests/lib/koracle.sh

ko_insmod
hackbench -g 2 -f "$(ko_scaled 10)" -l 1000000 >/dev/null 2>&1 &
hb=$!
koracle collect -o /tmp/r.kot --duration 600 >/tmp/collect.out 2>/tmp/collect.err &
col=$!

# Wait until records reach the file (header 256 bytes), at most 60 s.
i=0
while [ "$(stat -c %s /tmp/r.kot 2>/dev/null || echo 0)" -le 256 ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $col 2>/dev/null; then
		kill $hb $col 2>/dev/null || true
		ko_fail "no records in /tmp/r.kot after $((i / 5)) s: $(cat /tmp/collect.err)"
	fi
	sleep 0.2
done
sleep 1
[ "$(koracle stats | ko_kv collecting)" = 1 ] || ko_fail "module is not collecting"

out=$(ko_rmmod) || { kill $hb $col 2>/dev/null; ko_fail "rmmod during collection failed: $out"; }
ko_loaded && ko_fail "koracle still loaded after rmmod"
[ -e "$KO_SYSFS" ] && ko_fail "$KO_SYSFS still present after rmmod"

# The collector must notice on its own, well before its 600 s are up.
i=0
while kill -0 $col 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 150 ]; then
		kill $hb $col 2>/dev/null || true
		ko_fail "collector still running 30 s after rmmod"
	fi
	sleep 0.2
done
rc=0
wait $col || rc=$?
kill $hb 2>/dev/null || true
killall hackbench 2>/dev/null || true
wait $hb 2>/dev/null || true
cat /tmp/collect.err
ko_check_unloaded_collect "$rc" /tmp/r.kot /tmp/collect.err
records=$(ko_summary records </tmp/collect.err)
ko_check_kmsg
echo "rmmod mid-collection: $records records kept"
