#!/bin/bash
# bench-probe.sh [BLOB [TRACE...]]: ns per switch of the whole probe path
# (shared/predictor.h: encoder, rules, selector, gate, model, scoring) built
# with the kernel's code-generation flags, replaying real traces
# (tests/bench/bench_probe.c); the native context switch cost of this
# machine (tests/bench/host_switch.c); their ratio, the projected
# scheduler overhead; the VM bench's hackbench run natively, with the
# probes' projected share of it; and, if valgrind is installed, the
# instructions per switch of each path. Prints "bench: NAME VALUE UNIT" lines.
#
# Without a BLOB, trains the default model (koracle train's defaults) on the
# imports of tests/fixtures for a few epochs and quantizes it, as
# bench-step.sh does, and also the largest shapes the per-switch budget
# admits (shared/tcn_q.h): their model time and instructions against the
# default's, measured side by side, say what the budget lets a blob cost.
# Without TRACEs, replays the imports of tests/fixtures and
# tests/fixtures/heldout; module-collected traces (.kot) may be given
# instead.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
[ -x "$bin" ] || { echo "bench-probe: $bin not found: run 'make cli'" >&2; exit 1; }
# The module's Kbuild code-generation flags on x86-64.
KFLAGS=$("$top/scripts/kernel-cflags.sh")
UFLAGS="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The probe path with kernel flags; -iquote, not -I: shared/features.h
# would shadow glibc's <features.h>.
objs=()
for f in features feature_vocab rules tcn_q predictor blob; do
	cc $KFLAGS -Wall -Wextra -Werror -iquote "$top/shared" \
		-c "$top/shared/$f.c" -o "$tmp/$f.o"
	objs+=("$tmp/$f.o")
done
cc $UFLAGS -iquote "$top/shared" -iquote "$top/user" -c "$top/user/trace_io.c" -o "$tmp/trace_io.o"
cc $UFLAGS -iquote "$top/shared" -iquote "$top/user" \
	-c "$top/tests/bench/bench_probe.c" -o "$tmp/bench_probe.o"
cc -c "$top/tests/bench/thunks.S" -o "$tmp/thunks.o"
cc -no-pie -o "$tmp/bench_probe" "$tmp/bench_probe.o" "$tmp/trace_io.o" \
	"${objs[@]}" "$tmp/thunks.o" -lz
cc $UFLAGS -o "$tmp/host_switch" "$top/tests/bench/host_switch.c"

import() { # DIR FILE...
	local dir=$1 f name
	shift
	mkdir -p "$dir"
	for f in "$@"; do
		name=$(basename "$f"); name=${name%%.*}
		"$bin" import --format ftrace "$f" -o "$dir/$name.kot" >/dev/null 2>&1 ||
			{ echo "bench-probe: cannot import $f" >&2; return 1; }
	done
}

edge=0
if [ $# -ge 1 ]; then
	blob=$1
	shift
else
	edge=1
	import "$tmp/fx" "$top"/tests/fixtures/*.gz
	"$bin" train "$tmp"/fx/*.kot -o "$tmp/model" --epochs 5 >/dev/null 2>&1 ||
		{ echo "bench-probe: koracle train failed" >&2; exit 1; }
	"$bin" quantize "$tmp/model" -o "$tmp/blob" >/dev/null
	blob=$tmp/blob
fi
if [ $# -eq 0 ]; then
	[ -d "$tmp/fx" ] || import "$tmp/fx" "$top"/tests/fixtures/*.gz
	import "$tmp/ho" "$top"/tests/fixtures/heldout/*.gz
	set -- "$tmp"/fx/*.kot "$tmp"/ho/*.kot
fi

out=$("$tmp/bench_probe" "$blob" "$@")
echo "$out"
host=$("$tmp/host_switch")
echo "$host"
probe=$(awk '$2 == "probe_ns_per_switch" { print $3 }' <<<"$out")
switch=$(awk '$2 == "host_switch_ns" { print $3 }' <<<"$host")
[ -n "$probe" ] && [ -n "$switch" ] ||
	{ echo "bench-probe: missing probe or host switch result" >&2; exit 1; }
awk -v p="$probe" -v s="$switch" \
	'BEGIN { printf "bench: projected_overhead_pct %.1f\n", 100 * p / s }'

# The VM's hackbench natively (workload.sh): 5 runs, each with the
# context switches the whole machine took meanwhile (/proc/stat ctxt), and
# the probe path's time for those switches added to the median run's wall
# time, all of it, as if nothing ran in parallel. Under TCG the same command
# takes tens of times as many switches, and the probes cost some 50 times
# more per switch.
hb="sh $top/tests/vm/bench/workload.sh hackbench ${KORACLE_BENCH_LOOPS:-}"
if command -v hackbench >/dev/null; then
	for _ in 1 2 3 4 5; do
		c0=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
		t=$($hb | sed -n 's/^Time: *//p')
		c1=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
		[ -n "$t" ] || { echo "bench-probe: hackbench printed no Time: line" >&2; exit 1; }
		echo "$t $((c1 - c0))"
	done | sort -n | sed -n 3p | awk -v p="$probe" '{
		printf "bench: host_hackbench_s %.3f s\n", $1
		printf "bench: host_hackbench_switches %d switches\n", $2
		printf "bench: projected_hackbench_ratio %.3f x\n", 1 + $2 * p * 1e-9 / $1 }'
else
	echo "bench: skipped the native hackbench (rt-tests not installed)"
fi

# The budget's edge: the largest shapes it admits (one block, a 4-wide head,
# 18 channels), trained as briefly, timed alternately with the default.
edge_shapes=("b1|--blocks 1" "h4|--hidden 4" "c18|--channels 18")
model_ns() { # BLOB
	"$tmp/bench_probe" -n 3 "$1" "${traces[@]}" |
		awk '$2 == "model_ns_per_switch" { print $3 }'
}
traces=("$@")
if [ "$edge" = 1 ]; then
	for a in "${edge_shapes[@]}"; do
		n=${a%%|*}
		# shellcheck disable=SC2086 # the options are words
		"$bin" train "$tmp"/fx/*.kot -o "$tmp/$n.model" --epochs 2 ${a#*|} >/dev/null 2>&1 &&
			"$bin" quantize "$tmp/$n.model" -o "$tmp/$n.blob" >/dev/null ||
			{ echo "bench-probe: cannot make the $n blob (is it over the budget?)" >&2; exit 1; }
		d=0 e=0
		for _ in 1 2 3; do
			d=$(awk -v a="$d" -v b="$(model_ns "$blob")" 'BEGIN { print a + b }')
			e=$(awk -v a="$e" -v b="$(model_ns "$tmp/$n.blob")" 'BEGIN { print a + b }')
		done
		awk -v n="$n" -v d="$d" -v e="$e" 'BEGIN {
			printf "bench: budget_edge_model_ns.%s %.1f ns\n", n, e / 3
			printf "bench: budget_edge_model_ratio.%s %.2f x\n", n, e / d }'
	done
fi

# Instructions per switch over all the traces, each path counted alone by
# callgrind in one pass: the figure a noisy host cannot blur, and the same on
# any x86-64 CPU. Optional: valgrind is a benchmark tool, not a dependency.
if ! command -v valgrind >/dev/null; then
	echo "bench: skipped instruction counts (valgrind not installed)"
	exit 0
fi
switches=$(awk '$2 == "switches_replayed" { print $3 }' <<<"$out")
for path in probe encoder; do
	valgrind --tool=callgrind --toggle-collect="run_pass_$path" \
		--callgrind-out-file="$tmp/callgrind.$path" \
		"$tmp/bench_probe" -n 1 "$blob" "$@" >/dev/null 2>&1 ||
		{ echo "bench-probe: callgrind run failed" >&2; exit 1; }
	ir=$(sed -n 's/^totals: *//p' "$tmp/callgrind.$path")
	[ -n "$ir" ] || { echo "bench-probe: no totals in the callgrind output" >&2; exit 1; }
	awk -v i="$ir" -v s="$switches" -v p="$path" \
		'BEGIN { printf "bench: %s_instructions_per_switch %.0f instructions\n", p, i / s }'
done
[ "$edge" = 1 ] || exit 0
# The model alone (both halves of the step), default against each edge shape.
model_ir() { # BLOB
	valgrind --tool=callgrind --toggle-collect=koracle_qscore \
		--toggle-collect=koracle_qadvance --callgrind-out-file="$tmp/callgrind.model" \
		"$tmp/bench_probe" -n 1 "$1" "${traces[@]}" >/dev/null 2>&1 ||
		{ echo "bench-probe: callgrind run failed" >&2; exit 1; }
	sed -n 's/^totals: *//p' "$tmp/callgrind.model"
}
base=$(model_ir "$blob")
for a in "${edge_shapes[@]}"; do
	n=${a%%|*}
	awk -v n="$n" -v e="$(model_ir "$tmp/$n.blob")" -v d="$base" \
		'BEGIN { printf "bench: budget_edge_instructions_ratio.%s %.2f x\n", n, e / d }'
done
