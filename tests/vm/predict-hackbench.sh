#!/bin/sh
# Live predictions during hackbench, first with the rule selector alone, then
# with a model: on every CPU next_pid changes while hackbench runs (and names
# hackbench at times), switches are scored (predictions > 0) and the
# selector hits, and so does what was published (published_hits: the gate's
# pick); with the model the model hits too, and the upload restarted the
# counters. koracle status agrees with sysfs and prints the three accuracies
# (koracle = published, model, selector).
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

ncpus=$(ko_possible_cpus)
online=$(grep -c ^processor /proc/cpuinfo)
[ "$online" -eq "$ncpus" ] || ko_fail "$online CPUs online of $ncpus possible; this test wants all online"

# Runs hackbench while sampling every CPU's next_pid/next_comm into
# /tmp/samples-$1 ("cpu pid comm" lines).
run_sampled() {
	: >"/tmp/samples-$1"
	hackbench -g 2 -f 10 -l "$(ko_scaled 1500)" >/dev/null 2>&1 &
	hb=$!
	while kill -0 $hb 2>/dev/null; do
		c=0
		while [ $c -lt "$ncpus" ]; do
			echo "$c $(cat "$KO_SYSFS/cpu$c/next_pid") $(cat "$KO_SYSFS/cpu$c/next_comm")" \
				>>"/tmp/samples-$1"
			c=$((c + 1))
		done
		sleep 0.1
	done
	wait $hb || ko_fail "hackbench failed ($1)"
}

# Checks the samples and counters of phase $1; $2 = 1 if a model is loaded.
check_phase() {
	c=0
	while [ $c -lt "$ncpus" ]; do
		d=$KO_SYSFS/cpu$c
		ko_counts "$d"
		p=$KO_PRED pub=$KO_PUB h=$KO_HITS bh=$KO_BASE
		pids=$(awk -v c=$c '$1 == c { print $2 }' "/tmp/samples-$1" | sort -u | wc -l)
		hb=$(awk -v c=$c '$1 == c && $3 == "hackbench"' "/tmp/samples-$1" | wc -l)
		ko_log "$1: cpu$c predictions=$p published_hits=$pub hits=$h baseline_hits=$bh distinct_next_pids=$pids hackbench_samples=$hb"
		ko_expect "$p" -gt 0 "$1: cpu$c predictions"
		ko_expect "$pub" -gt 0 "$1: cpu$c published_hits"
		ko_expect "$pub" -le "$p" "$1: cpu$c published_hits vs predictions"
		ko_expect "$bh" -gt 0 "$1: cpu$c baseline_hits"
		ko_expect "$bh" -le "$p" "$1: cpu$c baseline_hits vs predictions"
		ko_expect "$h" -le "$p" "$1: cpu$c hits vs predictions"
		if [ "$2" = 1 ]; then
			ko_expect "$h" -gt 0 "$1: cpu$c model hits"
		else
			ko_expect "$h" -eq 0 "$1: cpu$c hits without a model"
		fi
		ko_expect "$pids" -ge 2 "$1: distinct next_pid values on cpu$c during hackbench"
		ko_expect "$hb" -gt 0 "$1: samples where cpu$c predicted a hackbench task"
		c=$((c + 1))
	done
}

ko_insmod
[ "$(cat "$KO_SYSFS/model_info")" = none ] || ko_fail "model_info not none after insmod"
run_sampled selector
check_phase selector 0
before=$(cat "$KO_SYSFS/predictions")

ko_upload "$(ko_blob a)"
# The upload restarted the counters; an idle moment adds far fewer than the
# thousands hackbench scored.
after=$(cat "$KO_SYSFS/predictions")
ko_log "predictions before the upload $before, just after $after"
ko_expect "$after" -lt "$before" "total predictions just after the upload (counters restart)"

run_sampled model
check_phase model 1

koracle status >/tmp/status.out 2>&1 || ko_fail "koracle status failed: $(cat /tmp/status.out)"
cat /tmp/status.out
grep -q "^model crc=$(ko_blob_crc "$(ko_blob a)") " /tmp/status.out || ko_fail "status does not show the model"
c=0
while [ $c -lt "$ncpus" ]; do
	row=$(grep "^cpu$c " /tmp/status.out) || ko_fail "status has no cpu$c row"
	# cpu predictions koracle_top1 model_top1 selector_top1 hits baseline_hits
	# next_pid next_comm
	echo "$row" | awk '{ exit !($3 ~ /%$/ && $4 ~ /%$/ && $5 ~ /%$/) }' ||
		ko_fail "cpu$c row lacks the three accuracies: $row"
	sp=$(echo "$row" | awk '{ print $2 }')
	ko_expect "$sp" -le "$(cat "$KO_SYSFS/cpu$c/predictions")" "status cpu$c predictions vs sysfs read after"
	ko_expect "$sp" -gt 0 "status cpu$c predictions"
	c=$((c + 1))
done
grep -q '^collecting 0$' /tmp/status.out || ko_fail "status does not say collecting 0"
ko_counts "$KO_SYSFS"
p=$KO_PRED pub=$KO_PUB h=$KO_HITS bh=$KO_BASE

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "predict-hackbench ok: koracle top1 $(ko_ratio "$pub" "$p"), model top1 $(ko_ratio "$h" "$p"), selector top1 $(ko_ratio "$bh" "$p") over $p predictions"
