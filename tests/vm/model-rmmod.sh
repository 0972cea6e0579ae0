#!/bin/sh
# rmmod with a model loaded and a collection running under load: rmmod
# succeeds, the collector ends with the unload message (exit 1, end=unload),
# its file is valid.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

ko_insmod
ko_upload "$(ko_blob a)"
hackbench -g 2 -f "$(ko_scaled 10)" -l 1000000 >/dev/null 2>&1 &
hb=$!
koracle collect -o /tmp/r.kot --duration 600 >/tmp/collect.out 2>/tmp/collect.err &
col=$!
cleanup() {
	kill $hb $col 2>/dev/null || true
	killall hackbench 2>/dev/null || true
}

# Wait until records reach the file (header 256 bytes), at most 60 s.
i=0
while [ "$(stat -c %s /tmp/r.kot 2>/dev/null || echo 0)" -le 256 ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $col 2>/dev/null; then
		cleanup
		ko_fail "no records in /tmp/r.kot after $((i / 5)) s: $(cat /tmp/collect.err)"
	fi
	sleep 0.2
done
sleep 1
[ "$(koracle stats | ko_kv collecting)" = 1 ] || { cleanup; ko_fail "module is not collecting"; }
ko_expect "$(cat "$KO_SYSFS/hits")" -gt 0 "model hits before rmmod"

out=$(ko_rmmod) || { cleanup; ko_fail "rmmod with a model and a collection failed: $out"; }
ko_loaded && { cleanup; ko_fail "koracle still loaded after rmmod"; }
[ -e "$KO_SYSFS" ] && { cleanup; ko_fail "$KO_SYSFS still present after rmmod"; }

i=0
while kill -0 $col 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 150 ] || { cleanup; ko_fail "collector still running 30 s after rmmod"; }
	sleep 0.2
done
rc=0
wait $col || rc=$?
cleanup
wait $hb 2>/dev/null || true
cat /tmp/collect.err
ko_check_unloaded_collect "$rc" /tmp/r.kot /tmp/collect.err
records=$(ko_summary records </tmp/collect.err)
ko_check_kmsg
echo "model-rmmod ok: $records records kept"
