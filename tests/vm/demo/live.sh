#!/bin/sh
# make demo, stage 2: the model the host trained and quantized (BLOB) runs
# in the kernel. For each workload, into OUTDIR:
#  - scheduler overhead: REPS runs with the module absent and REPS with it
#    loaded and the model uploaded, interleaved (ABBA) so drift falls on
#    both sides; the ratio of the medians of the wall times;
#  - the in-kernel step cost: debugfs step_ns after each model run
#    (latency-NAME-R.txt; each upload restarts the histogram);
#  - live accuracy: one more run with the model uploaded, collected over
#    netlink (live-NAME.kot, which the host replays to check the kernel's
#    predictions and to score every rule), and the sysfs counters of that run:
#    what the module published (published_hits, the gate's pick), the raw
#    model (hits) and the selector (baseline_hits), each over predictions.
# The figures go to OUTDIR/bench.txt as "bench: NAME VALUE UNIT" lines
# (koracle report reads them). Progress ("demo: ...") goes to stderr.
#
#   live.sh OUTDIR BLOB REPS NAME...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
KO_LIB=${KO_LIB:-$here/../lib}
. "$KO_LIB/koracle.sh"
. "$KO_LIB/model.sh"
. "$here/workloads.sh"
export DEMO_SHORT DEMO_WORK

dir=$1 blob=$2 reps=$3
shift 3
bench=$dir/bench.txt
step_ns=/sys/kernel/debug/koracle/step_ns
: >"$bench"

log() {
	echo "demo: $*" >&2
}

# Wall seconds of one run of workload $1.
timed() {
	t0=$(ko_now)
	demo_run "$1" || { log "$1 failed"; return 1; }
	t1=$(ko_now)
	echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}

load_model() {
	ko_insmod
	koracle upload "$blob" >/dev/null
}

absent_run() { # REP, of workload $name
	t=$(timed "$name")
	echo "$t" >>"$dir/absent-$name.txt"
}

model_run() { # REP, of workload $name
	load_model
	t=$(timed "$name")
	echo "$t" >>"$dir/model-$name.txt"
	[ -r "$step_ns" ] || { log "$step_ns missing: mount debugfs"; return 1; }
	cp "$step_ns" "$dir/latency-$name-$1.txt"
	ko_rmmod
}

ko_loaded && { log "koracle is already loaded: rmmod it first"; exit 1; }
for name in "$@"; do
	log "$name: $reps x (module absent, model loaded), then a collected run"
	: >"$dir/absent-$name.txt"
	: >"$dir/model-$name.txt"
	ko_interleave "$reps" absent_run model_run
	absent_s=$(ko_median <"$dir/absent-$name.txt")
	model_s=$(ko_median <"$dir/model-$name.txt")
	kstep=$(for f in "$dir"/latency-"$name"-*.txt; do ko_kv median_ns <"$f"; done | ko_median)

	load_model
	rc=0
	demo_collect "$name" "$dir/live-$name" || rc=$?
	ko_read_counts
	p=$KO_PRED k=$KO_PUB h=$KO_HITS b=$KO_BASE
	ko_rmmod
	[ $rc -eq 0 ] || exit 1
	[ "$p" -gt 0 ] || { log "$name: the kernel scored no prediction"; exit 1; }
	{
		echo "bench: live_predictions_$name $p count"
		echo "bench: live_koracle_top1_$name $(ko_ratio "$k" "$p") fraction"
		echo "bench: live_model_top1_$name $(ko_ratio "$h" "$p") fraction"
		echo "bench: live_selector_top1_$name $(ko_ratio "$b" "$p") fraction"
		echo "bench: step_median_ns_$name $kstep ns"
		echo "bench: overhead_ratio_$name $(echo "$model_s $absent_s" | awk '{ printf "%.3f", $1 / $2 }') x"
		echo "bench: wall_s_absent_$name $absent_s s"
		echo "bench: wall_s_model_$name $model_s s"
	} >>"$bench"
	log "$(echo "$name $p $h $b $kstep $absent_s $model_s $k" | awk '{
		printf "%-18s live koracle %5.1f%%  model %5.1f%%  selector %5.1f%%  (%d switches)  step %d ns  wall %.2f s -> %.2f s\n",
			$1, 100 * $8 / $2, 100 * $3 / $2, 100 * $4 / $2, $2, $5, $6, $7 }')"
done
