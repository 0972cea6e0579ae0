#!/bin/sh
# rmmod with a model loaded and a collection running under load: rmmod
# succeeds, the collector ends with the unload message (exit 1, end=unload),
# its file is valid.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

ko_insmod
ko_upload "$(ko_blob a)"
hackbench -g 2 -f 10 -l 1000000 >/dev/null 2>&1 &
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
ko_expect "$rc" -eq 1 "exit status of the collector after rmmod"
grep -q 'koracle: collect: koracle.ko was unloaded during collection; /tmp/r.kot holds the [0-9]* records received' \
	/tmp/collect.err || ko_fail "collector did not print the unload message"
[ "$(ko_summary end </tmp/collect.err)" = unload ] ||
	ko_fail "summary end=$(ko_summary end </tmp/collect.err), expected unload"
records=$(ko_summary records </tmp/collect.err)
ko_expect "$records" -gt 0 "summary records"
koracle dump --stats /tmp/r.kot >/tmp/stats.txt 2>&1 ||
	ko_fail "dump --stats of the file after rmmod failed: $(cat /tmp/stats.txt)"
ko_expect "$(ko_kv records </tmp/stats.txt)" -eq "$records" "dump records vs summary"
ko_expect "$(ko_kv switches </tmp/stats.txt)" -gt 0 "dump switches"
ko_check_kmsg
echo "model-rmmod ok: $records records kept"
