#!/bin/sh
# Live prediction without a model: from insmod on, the rule selector predicts
# on every CPU. During hackbench each CPU publishes a next_pid that is a live
# task (or idle), scores its predictions and counts the selector's hits; the
# totals are the per-CPU sums; hits stay 0 with no model; the in-kernel cost
# histogram fills. enabled=0 withdraws the predictions and freezes the
# counters: then, per CPU and in total, what was published (published_hits)
# hit exactly as often as the selector (baseline_hits), since without a model
# the gate publishes the selector's pick.
set -eu
. /tests/lib/koracle.sh

ko_insmod
[ "$(cat "$KO_SYSFS/model_info")" = none ] ||
	ko_fail "model_info is '$(cat "$KO_SYSFS/model_info")' after insmod, expected none"
ncpus=$(ko_possible_cpus)

hackbench -g 2 -f 10 -l "$(ko_scaled 2000)" >/dev/null 2>&1 &
hb=$!
# next_pid and next_comm are two reads: the prediction may change between
# them, so a sample only counts as named when both agree on the name.
seen=0 named=0
while kill -0 $hb 2>/dev/null; do
	c=0
	while [ $c -lt "$ncpus" ]; do
		d=$KO_SYSFS/cpu$c
		pid=$(cat "$d/next_pid")
		comm=$(cat "$d/next_comm")
		[ "$pid" -ge -1 ] || ko_fail "cpu$c next_pid '$pid'"
		[ "$pid" -gt 0 ] && seen=$((seen + 1))
		case $pid:$comm in
		0:swapper/$c|[1-9]*:hackbench) named=$((named + 1)) ;;
		esac
		c=$((c + 1))
	done
	sleep 0.2
done
wait $hb || ko_fail "hackbench failed"
ko_expect "$seen" -gt 0 "samples with a task predicted"
ko_expect "$named" -gt 0 "samples naming the idle task or hackbench"

tp=0 tb=0
c=0
while [ $c -lt "$ncpus" ]; do
	d=$KO_SYSFS/cpu$c
	ko_counts "$d"
	p=$KO_PRED pub=$KO_PUB h=$KO_HITS b=$KO_BASE
	ko_log "cpu$c predictions=$p published_hits=$pub baseline_hits=$b hits=$h next_pid=$(cat "$d/next_pid") next_comm=$(cat "$d/next_comm")"
	ko_expect "$p" -gt 100 "cpu$c predictions"
	ko_expect "$b" -gt 0 "cpu$c baseline_hits"
	ko_expect "$b" -le "$p" "cpu$c baseline_hits vs predictions"
	ko_expect "$pub" -le "$p" "cpu$c published_hits vs predictions"
	ko_expect "$h" -eq 0 "cpu$c hits without a model"
	tp=$((tp + p)) tb=$((tb + b))
	c=$((c + 1))
done
# Totals are sums of the same counters read a moment apart: idle switches
# may add a few in between, never remove any.
ko_expect "$(cat "$KO_SYSFS/predictions")" -ge "$tp" "total predictions"
ko_expect "$(cat "$KO_SYSFS/baseline_hits")" -ge "$tb" "total baseline_hits"
ko_expect "$(cat "$KO_SYSFS/hits")" -eq 0 "total hits without a model"

# The cost of a switch (encoder + selector) is measured; no model, no steps.
sw=/sys/kernel/debug/koracle/switch_ns
[ -r "$sw" ] || ko_fail "$sw missing"
cat "$sw"
n=$(awk '$1 != "median_ns" { s += $2 } END { print s + 0 }' "$sw")
ko_expect "$n" -gt 100 "switches in $sw"
med=$(ko_kv median_ns <"$sw") || ko_fail "no median_ns line in $sw"
ko_expect "$med" -gt 0 "switch median_ns"
n=$(awk '$1 != "median_ns" { s += $2 } END { print s + 0 }' /sys/kernel/debug/koracle/step_ns)
ko_expect "$n" -eq 0 "model steps without a model"

# Disabled: nothing is predicted, nothing is scored, the counters stay. On
# that still snapshot the published pick and the selector's have the same
# hits, exactly.
echo 0 >"$KO_SYSFS/enabled"
sleep 0.5
c=0
while [ $c -lt "$ncpus" ]; do
	d=$KO_SYSFS/cpu$c
	[ "$(cat "$d/next_pid")" = -1 ] ||
		ko_fail "cpu$c still predicts $(cat "$d/next_pid") while disabled"
	ko_counts "$d"
	p=$KO_PRED b=$KO_BASE pub=$KO_PUB
	ko_log "disabled: cpu$c predictions=$p published_hits=$pub baseline_hits=$b"
	ko_expect "$pub" -eq "$b" "disabled, no model: cpu$c published_hits vs baseline_hits"
	ko_expect "$pub" -gt 0 "cpu$c published_hits"
	c=$((c + 1))
done
fp=$(cat "$KO_SYSFS/predictions") fpub=$(cat "$KO_SYSFS/published_hits")
ko_expect "$fpub" -eq "$(cat "$KO_SYSFS/baseline_hits")" "disabled, no model: total published_hits vs baseline_hits"
sleep 0.5
ko_expect "$(cat "$KO_SYSFS/predictions")" -eq "$fp" "total predictions while disabled (frozen)"
echo 1 >"$KO_SYSFS/enabled"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "predict-selector ok: predictions=$tp baseline_hits=$tb median_switch_ns=$med; disabled: predictions=$fp published_hits=$fpub (= baseline_hits)"
