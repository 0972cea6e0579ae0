#!/bin/bash
# fuzz.sh [SECONDS [NAME...]]: coverage-guided fuzzing (libFuzzer) of every
# parser of untrusted input (tests/fuzz/fuzz_NAME.c):
#   blob          weight-blob validator + the integer step on what it accepts
#   ftrace        ftrace / trace-cmd text line parser
#   ko2csv        KernelOracle2 CSV importer (and the line reader under it)
#   trace         trace-file reader + the per-CPU replay of its records
#   report_bench  report's bench lines, step_ns histograms and eval JSON
#
# Builds the targets with clang into $BUILD/fuzz/ (make fuzz-build), makes
# each seed corpus $BUILD/fuzz/corpus-NAME/ from real data (fixtures imported
# and trained on for 2 epochs, the blobs quantized from those models, CSV
# from `koracle dump --csv`, records of the imported traces, eval's JSON,
# bench-step.sh's bench lines); nothing binary is committed. Then runs each
# target SECONDS (default 60) and prints one line per target:
#   fuzz: NAME runs=N cov=C crashes=K
# and, for a crash, the reproducer's path and how to replay it. The corpus
# keeps what earlier runs found. Exit 1 if any target crashed.
#
# FUZZ_JOBS=2 runs two targets at a time (this machine has two cores).
# A benchmark of the parsers' robustness, not a test: not part of make check.
# shellcheck disable=SC2317 # the seed_NAME functions are called by name
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
all=(blob ftrace ko2csv trace report_bench)
secs=${1:-60}
[ $# -gt 0 ] && shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
build=${BUILD:-build}
out=$build/fuzz
cc=${FUZZ_CC:-clang}
jobs=${FUZZ_JOBS:-1}

die() { echo "fuzz: $*" >&2; exit 1; }

case $secs in
'' | *[!0-9]*) die "SECONDS must be a whole number, not '$secs' (usage: fuzz.sh [SECONDS [NAME...]])" ;;
esac
for n in "${names[@]}"; do
	[ -f "tests/fuzz/fuzz_$n.c" ] || die "no target '$n' (targets: ${all[*]})"
done
command -v "$cc" >/dev/null ||
	die "$cc not found: install it with scripts/install-deps.sh (make deps)"

make -s -j2 BUILD="$build" FUZZ_CC="$cc" fuzz-build
cli=$out/cli/koracle
make -s -j2 BUILD="$out/cli" CLI_BIN="$cli" cli

work=$(mktemp -d "${TMPDIR:-/tmp}/koracle-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# ---- seed corpora -----------------------------------------------------------

# Seeds are remade when missing or older than the CLI or this script.
fresh() {
	[ -f "$1" ] && [ "$1" -nt "$cli" ] && [ "$1" -nt "$0" ]
}

# First lines of a gzip file (head closing the pipe is not an error).
zhead() { # FILE N
	gzip -dc "$1" | head -n "$2" || true
}

fx=$work/fx
imported=0
import_fixtures() {
	local f n
	[ "$imported" -eq 1 ] && return 0
	mkdir -p "$fx"
	for f in tests/fixtures/*.trace.gz; do
		n=$(basename "$f" .trace.gz)
		"$cli" import --format ftrace "$f" -o "$fx/$n.kot" --label "$n" \
			>"$work/import.log" 2>&1 || die "import $f failed: $(cat "$work/import.log")"
	done
	imported=1
}

# train_blob NAME TRAIN-OPTIONS...: $work/NAME.blob, 2 epochs on the fixtures
train_blob() {
	local name=$1
	shift
	[ -f "$work/$name.blob" ] && return 0
	import_fixtures
	"$cli" train "$fx"/*.kot -o "$work/$name.model" --epochs 2 --max-windows 128 \
		--threads 2 "$@" >"$work/train-$name.log" 2>&1 ||
		die "train $name failed: $(tail -n 3 "$work/train-$name.log")"
	"$cli" quantize "$work/$name.model" -o "$work/$name.blob" \
		--calib "$fx/loopback-http.kot" >"$work/quantize-$name.log" 2>&1 ||
		die "quantize $name failed: $(tail -n 3 "$work/quantize-$name.log")"
}

# Blobs of six architectures, all inside the per-switch budget (koracle
# quantize refuses the rest): the kernel's default, its neighbours with
# constant widths (one block; H = 4), generic widths with k = 3, the widest
# (C = 18) and the narrowest block (C = 2), each as is
# and with tails: a flag byte (fuzz_blob.c: 0x01 extreme, 0x02 shift -31,
# 0x04 multiplier 2^30, 0x08 margin, 0x10 one sign for all, 0x20 negative
# weights, 0x40 negative tables, 0x80 negative biases; 0x71 and 0xd1 are the
# largest positive and negative accumulators) and real record bytes for
# the tuples.
seed_blob() {
	local d=$1 a n t
	for a in "def|" \
		"b1|--blocks 1 --use-comm" \
		"h4|--hidden 4" \
		"k3|--channels 2 --blocks 1 --kernel 3" \
		"c18|--channels 18" \
		"c2|--channels 2 --blocks 1"; do
		n=${a%%|*}
		# shellcheck disable=SC2086 # the options are words
		train_blob "$n" ${a#*|}
		cp "$work/$n.blob" "$d/seed-$n.blob"
		for t in 011 017 161 321; do	# octal: 0x09 0x0f 0x71 0xd1
			{ cat "$work/$n.blob"; printf '%b' "\\0$t"
			  head -c $((256 + 668)) "$fx/mixed-io.kot" | tail -c 668; } >"$d/seed-$n-$t"
		done
	done
}

# Lines of every fixture (tracefs with and without irq flags or TGID,
# trace-cmd report): the head, and lines of each kind the parser knows.
seed_ftrace() {
	local d=$1 f n i pat
	for f in tests/fixtures/*.gz; do
		n=$(basename "$f" .gz)
		zhead "$f" 40 >"$d/seed-$n-head"
		i=0
		for pat in sched_migrate_task sched_process_exit sched_wakeup_new \
			'LOST\|DROPPED\|is empty\|^cpus=\|^version' \
			'prev_state=[^SR]\|\] [DTtXZI] ==>' '^#'; do
			i=$((i + 1))
			{ gzip -dc "$f" | grep -m 8 -e "$pat" || true; } >"$d/seed-$n-$i"
			[ -s "$d/seed-$n-$i" ] || rm -f "$d/seed-$n-$i"
		done
	done
}

# `koracle dump --csv` of imported fixtures: plain, and one gzip'd.
seed_ko2csv() {
	local d=$1 n
	import_fixtures
	for n in loopback-http cpu-burner hackbench-socket; do
		{ "$cli" dump --csv "$fx/$n.kot" 2>/dev/null || true; } | head -n 40 >"$d/seed-$n.csv"
		[ "$(wc -l <"$d/seed-$n.csv")" -eq 40 ] || die "dump --csv $n gave no rows"
	done
	head -n 20 "$d/seed-loopback-http.csv" | gzip -n >"$d/seed-loopback-http.csv.gz"
}

# The header and first 48 records of imported fixtures; one bare header.
seed_trace() {
	local d=$1 n
	import_fixtures
	for n in loopback-http cpu-burner hackbench-socket mixed-io; do
		head -c $((256 + 64 * 48)) "$fx/$n.kot" >"$d/seed-$n.kot"
	done
	head -c 256 "$fx/loopback-http.kot" >"$d/seed-header.kot"
}

# The step_ns format (debugfs: "LOW_NS COUNT" per log2 bucket, then
# "median_ns N", the median interpolated as kmod/latency.c does) over real
# nanosecond figures: the times between one CPU's switches in a fixture.
step_ns_file() { # KOT
	"$cli" dump "$1" | awk '
	$3 == "switch" {
		split($1, t, "."); ns = t[1] * 1e9 + t[2]
		if ($2 in last) {
			d = ns - last[$2]; b = 0
			if (d > 0) { b = 1; while (2 ^ b <= d) b++ }
			c[b]++; n++; if (b > top) top = b
		}
		last[$2] = ns
	}
	END {
		rank = int(n / 2); below = 0
		for (b = 0; b <= top; b++) {
			printf "%d %d\n", b ? 2 ^ (b - 1) : 0, c[b]
			if (!found && below + c[b] > rank) { mb = b; found = 1 }
			if (!found) below += c[b]
		}
		low = mb ? 2 ^ (mb - 1) : 0; w = mb ? low : 1
		printf "median_ns %d\n", low + int(w * (rank - below) / c[mb])
	}'
}

# Byte 0 picks the reader (fuzz_report_bench.c): 0 bench lines (the log of
# bench-step.sh and a training run), 1 step_ns, 2 eval JSON, 3 JSON NUL bench
# (with per-workload live_* lines naming the eval's labels).
seed_report_bench() {
	local d=$1
	import_fixtures
	train_blob def
	KORACLE_BIN=$cli scripts/bench-step.sh "$work/def.blob" "$fx/loopback-http.kot" \
		>"$work/bench.txt" 2>"$work/bench.log" ||
		die "bench-step.sh failed: $(tail -n 3 "$work/bench.log")"
	grep -q '^bench: ' "$work/bench.txt" || die "bench-step.sh printed no bench line"
	cat "$work/train-def.log" >>"$work/bench.txt"
	"$cli" eval --model "$work/def.blob" "$fx/loopback-http.kot" "$fx/cpu-burner.kot" \
		--json >"$work/eval.json" 2>"$work/eval.log" ||
		die "eval failed: $(tail -n 3 "$work/eval.log")"
	{ printf '\000'; cat "$work/bench.txt"; } >"$d/seed-bench"
	{ printf '\001'; step_ns_file "$fx/loopback-http.kot"; } >"$d/seed-step_ns-a"
	{ printf '\001'; step_ns_file "$fx/mixed-io.kot"; } >"$d/seed-step_ns-b"
	{ printf '\002'; cat "$work/eval.json"; } >"$d/seed-eval"
	# the live figures the VM bench gives per workload, here from the same
	# replay's numbers, so the names match the eval's labels
	python3 - "$work/eval.json" "$work/bench.txt" >"$work/live.txt" <<'PY'
import json, re, sys
step = re.search(r"^bench: step_ns_median (\S+)", open(sys.argv[2]).read(), re.M)
for t in json.load(open(sys.argv[1]))["traces"]:
    l = t["label"]
    print("bench: live_koracle_top1_%s %.6f fraction" % (l, t["top1"]))
    print("bench: live_model_top1_%s %.6f fraction" % (l, t["model_top1"]))
    print("bench: live_selector_top1_%s %.6f fraction" % (l, t["baselines"]["selector"]))
    print("bench: live_predictions_%s %d" % (l, t["predictions"]))
    print("bench: step_median_ns_%s %s ns" % (l, step.group(1)))
PY
	{ printf '\003'; cat "$work/eval.json"; printf '\000'; cat "$work/bench.txt" "$work/live.txt"; } \
		>"$d/seed-eval-bench"
}

for n in "${names[@]}"; do
	stamp=$out/seeds-$n.stamp
	mkdir -p "$out/corpus-$n" "$out/crashes-$n"
	fresh "$stamp" && continue
	"seed_$n" "$out/corpus-$n"
	touch "$stamp"
done

# ---- runs -------------------------------------------------------------------

# run_one NAME: one line on stdout; $out/result-NAME holds the crash count.
run_one() {
	local n=$1
	local log=$out/log-$n.txt opts=() rc=0 runs cov repro
	opts=(-max_total_time="$secs" -timeout=20 -rss_limit_mb=2048
	      -print_final_stats=1 -error_exitcode=77 -timeout_exitcode=77
	      -artifact_prefix="$out/crashes-$n/")
	[ -f "tests/fuzz/$n.dict" ] && opts+=(-dict="tests/fuzz/$n.dict")
	# its reader warns on stderr about edited files: keep the log readable
	[ "$n" = report_bench ] && opts+=(-close_fd_mask=2)
	"$out/fuzz_$n" "${opts[@]}" "$out/corpus-$n" >"$log" 2>&1 || rc=$?
	# a crash while loading the corpus leaves no "cov:" line
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$runs" ] || runs=$({ grep -o '^#[0-9]*' "$log" || true; } | tail -n 1 | tr -d '#')
	cov=$({ grep -o 'cov: [0-9]*' "$log" || true; } | tail -n 1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		echo 0 >"$out/result-$n"
		echo "fuzz: $n runs=${runs:-0} cov=${cov:-0} crashes=0"
		return 0
	fi
	echo 1 >"$out/result-$n"
	repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "fuzz: $n runs=${runs:-0} cov=${cov:-0} crashes=1"
	echo "fuzz: $n: reproducer ${repro:-(none written; exit status $rc)}; log $log;" \
		"replay: $out/fuzz_$n ${repro:-FILE}"
}

for n in "${names[@]}"; do
	rm -f "$out/result-$n"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	run_one "$n" &
done
wait

status=0
for n in "${names[@]}"; do
	[ "$(cat "$out/result-$n" 2>/dev/null || echo 1)" = 0 ] || status=1
done
exit $status
