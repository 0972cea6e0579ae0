#!/bin/sh
# Exact replay: collect with a model active (hackbench over sockets, then
# over pipes with threads), replay each trace through the shared integer
# code in userspace (koracle eval --model BLOB --check-kernel): the model's
# and the selector's predictions equal the kernel's on every scored switch
# (pred_mismatch=0 base_mismatch=0, points > 0). The eval's accuracy table
# goes to the log.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

a=$(ko_blob a)
ko_insmod
ko_upload "$a"

# replay NAME HACKBENCH-ARGS...
replay() {
	name=$1
	shift
	rc=0
	koracle collect -o "/tmp/$name.kot" --label "$name" -- hackbench "$@" \
		>/tmp/collect.out 2>/tmp/collect.err || rc=$?
	cat /tmp/collect.err
	ko_expect "$rc" -eq 0 "$name: exit status of collect"
	ko_expect "$(ko_summary lost </tmp/collect.err)" -eq 0 "$name: lost records"
	switches=$(koracle dump --stats "/tmp/$name.kot" | ko_kv switches) ||
		ko_fail "$name: dump --stats failed"
	rc=0
	koracle eval --model "$a" "/tmp/$name.kot" --check-kernel >/tmp/eval.out 2>&1 || rc=$?
	cat /tmp/eval.out
	ko_expect "$rc" -eq 0 "$name: exit status of eval --check-kernel"
	line=$(grep '^check: points=' /tmp/eval.out | tail -n 1) ||
		ko_fail "$name: eval --check-kernel printed no check line"
	points=$(echo "$line" | tr ' ' '\n' | sed -n 's/^points=//p')
	pm=$(echo "$line" | tr ' ' '\n' | sed -n 's/^pred_mismatch=//p')
	bm=$(echo "$line" | tr ' ' '\n' | sed -n 's/^base_mismatch=//p')
	ko_expect "$points" -gt 0 "$name: replayed points"
	ko_expect "$points" -le "$switches" "$name: points vs switches in the trace"
	ko_expect "$pm" -eq 0 "$name: model predictions differing from the kernel's"
	ko_expect "$bm" -eq 0 "$name: selector predictions differing from the kernel's"
	ko_log "$name: $points of $switches switches replayed, all identical"
}

replay hackbench-socket -g 2 -f 10 -l "$(ko_scaled 200)"
replay hackbench-pipe-threads -p -T -g 2 -f 10 -l "$(ko_scaled 200)"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "model-replay ok"
