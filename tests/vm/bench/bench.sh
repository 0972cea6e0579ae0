#!/bin/sh
# Guest side of `make bench` (scripts/bench.sh): measures, in one boot,
# hackbench without the module and with the module loaded and collecting to a
# tmpfs file, and prints one "bench: NAME VALUE UNIT" line per figure on
# stdout (the host's verdict port). Diagnostics go to stderr (the console).
#
# To add a figure: a measure_* function that sets variables, a bench_*
# function that prints one line from them, and both names in the lists at the
# bottom. Kernel command line knobs: koracle_bench_reps=N (hackbench runs per
# phase, median taken), koracle_bench_loops=N (hackbench -l).
set -eu
. /tests/lib/koracle.sh

REPS=5
LOOPS=300
for arg in $(cat /proc/cmdline); do
	case $arg in
	koracle_bench_reps=*) REPS=${arg#*=} ;;
	koracle_bench_loops=*) LOOPS=${arg#*=} ;;
	esac
done
HACKBENCH="hackbench -g 4 -f 10 -l $LOOPS"

log() {
	echo "bench: # $*" >&2
}

now() {
	cut -d' ' -f1 /proc/uptime
}

# Median of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Run hackbench $REPS times; print each run's own "Time:" (seconds).
hackbench_reps() {
	r=0
	while [ $r -lt "$REPS" ]; do
		t=$($HACKBENCH | sed -n 's/^Time: *//p')
		[ -n "$t" ] || { log "hackbench printed no Time: line"; return 1; }
		log "$1 run $r: $t s"
		echo "$t"
		r=$((r + 1))
	done
}

# --- measurements ---------------------------------------------------------

measure_base() {
	ko_loaded && ko_rmmod
	$HACKBENCH >/dev/null	# warm-up: page cache, first fork costs
	BASE_S=$(hackbench_reps base | median)
}

# Module loaded, probes attached, no session: what the gate costs.
measure_loaded() {
	ko_insmod
	$HACKBENCH >/dev/null
	LOADED_S=$(hackbench_reps loaded | median)
	ko_rmmod
}

measure_collect() {
	ko_insmod
	koracle collect -o /tmp/bench.kot --duration 100000 --label bench \
		>/dev/null 2>/tmp/bench-collect.err &
	col=$!
	i=0
	until [ "$(koracle stats 2>/dev/null | ko_kv collecting)" = 1 ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { log "collector did not start: $(cat /tmp/bench-collect.err)"; return 1; }
		sleep 0.1
	done
	$HACKBENCH >/dev/null
	ev0=$(cat "$KO_SYSFS/events")
	t0=$(now)
	COLLECT_S=$(hackbench_reps collect | median)
	t1=$(now)
	ev1=$(cat "$KO_SYSFS/events")
	kill -INT $col
	rc=0
	wait $col || rc=$?
	cat /tmp/bench-collect.err >&2
	[ $rc -eq 0 ] || { log "collect exited $rc"; return 1; }
	COLLECT_EVENTS_PER_S=$(echo "$ev0 $ev1 $t0 $t1" | awk '{ printf "%.0f", ($2 - $1) / ($4 - $3) }')
	COLLECT_LOST=$(ko_summary lost </tmp/bench-collect.err)
	COLLECT_RECORDS=$(ko_summary records </tmp/bench-collect.err)
	[ -n "$COLLECT_LOST" ] || { log "collect printed no summary line"; return 1; }
	log "collect: $COLLECT_RECORDS records in the file ($(stat -c %s /tmp/bench.kot) bytes)"
	rm -f /tmp/bench.kot
	ko_rmmod
}

# --- figures --------------------------------------------------------------

bench_probe_hackbench_ratio() {
	echo "$COLLECT_S $BASE_S" | awk '{ printf "bench: probe_hackbench_ratio %.3f x\n", $1 / $2 }'
}

bench_loaded_hackbench_ratio() {
	echo "$LOADED_S $BASE_S" | awk '{ printf "bench: loaded_hackbench_ratio %.3f x\n", $1 / $2 }'
}

bench_hackbench_loaded_s() {
	echo "bench: hackbench_loaded_s $LOADED_S s"
}

bench_hackbench_base_s() {
	echo "bench: hackbench_base_s $BASE_S s"
}

bench_hackbench_collect_s() {
	echo "bench: hackbench_collect_s $COLLECT_S s"
}

bench_collect_events_per_s() {
	echo "bench: collect_events_per_s $COLLECT_EVENTS_PER_S events/s"
}

bench_collect_lost() {
	echo "bench: collect_lost $COLLECT_LOST records"
}

MEASURES="measure_base measure_loaded measure_collect"
FIGURES="bench_probe_hackbench_ratio bench_hackbench_base_s bench_hackbench_collect_s
bench_collect_events_per_s bench_collect_lost bench_loaded_hackbench_ratio
bench_hackbench_loaded_s"

log "$HACKBENCH, $REPS runs per phase, median"
for m in $MEASURES; do
	$m
done
for f in $FIGURES; do
	$f
done
