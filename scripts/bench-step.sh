#!/bin/bash
# bench-step.sh [BLOB [TRACE...]]: ns per integer TCN step (shared/tcn_q.c)
# built with the kernel's code-generation flags, on real fixture features.
#
# Without a BLOB, trains the default kernel model (koracle train's defaults,
# chosen by scripts/sweep-step.sh: see user/train.h) on tests/fixtures for a
# few epochs, quantizes it and measures that. The step code is compiled with
# the module's Kbuild code-generation flags (scripts/kernel-cflags.sh); the
# replay that produces the tuples with the ordinary userspace flags. Prints
# "bench: NAME VALUE UNIT" lines.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
[ -x "$bin" ] || { echo "bench-step: $bin not found: run 'make cli'" >&2; exit 1; }
KFLAGS=$("$top/scripts/kernel-cflags.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The step (and the shared code it calls) with kernel flags, the rest normal.
cc $KFLAGS -Wall -Wextra -Werror -iquote "$top/shared" -c "$top/shared/tcn_q.c" -o "$tmp/tcn_q.o"
cc -c "$top/tests/bench/thunks.S" -o "$tmp/thunks.o"
user=(shared/blob.c shared/features.c shared/feature_vocab.c shared/rules.c user/replay.c user/trace_io.c)
objs=("$tmp/tcn_q.o" "$tmp/thunks.o")
for f in "${user[@]}"; do
	o="$tmp/$(basename "$f" .c).o"
	cc -std=c11 -D_GNU_SOURCE -O2 -iquote "$top/shared" -iquote "$top/user" -c "$top/$f" -o "$o"
	objs+=("$o")
done
cc -std=c11 -D_GNU_SOURCE -O2 -iquote "$top/shared" -iquote "$top/user" \
	-c "$top/tests/bench/bench_step.c" -o "$tmp/bench_step.o"
cc -no-pie -o "$tmp/bench_step" "$tmp/bench_step.o" "${objs[@]}" -lz

import() { # DIR FILE...
	local dir=$1 f name
	shift
	mkdir -p "$dir"
	for f in "$@"; do
		name=$(basename "$f"); name=${name%%.*}
		"$bin" import --format ftrace "$f" -o "$dir/$name.kot" >/dev/null 2>&1
	done
}

if [ $# -ge 1 ]; then
	blob=$1
	shift
else
	import "$tmp/fx" "$top"/tests/fixtures/*.gz
	"$bin" train "$tmp"/fx/*.kot -o "$tmp/model" --epochs 5 >/dev/null 2>&1
	"$bin" quantize "$tmp/model" -o "$tmp/blob" >/dev/null
	blob=$tmp/blob
fi
if [ $# -eq 0 ]; then
	[ -d "$tmp/fx" ] || import "$tmp/fx" "$top"/tests/fixtures/*.gz
	set -- "$tmp"/fx/*.kot
fi
"$tmp/bench_step" "$blob" "$@"
