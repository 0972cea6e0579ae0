#!/bin/bash
# Accuracy on real traces, split by file, never by event:
#  1. leave one fixture out: train on the other tests/fixtures/*.gz, evaluate
#     on the one left out;
#  2. train on all fixtures, evaluate on tests/fixtures/heldout/*.gz, workloads
#     that no training file contains.
# Prints one line per held-out trace: model top-1, the online selector, the
# margin and the candidate-list coverage (the ceiling), all at the current
# horizon, then top-1 and coverage at the lead horizon; then the mean margin.
# Extra arguments go to `koracle train` (e.g. --epochs 10).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
[ -x "$bin" ] || { echo "eval-holdout: $bin not found: run 'make cli'" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/fx" "$tmp/ho"

import() { # DIR FILE...
	local dir=$1 f name
	shift
	for f in "$@"; do
		name=$(basename "$f"); name=${name%%.*}
		"$bin" import --format ftrace "$f" -o "$dir/$name.kot" 2>/dev/null
	done
}
import "$tmp/fx" "$top"/tests/fixtures/*.gz
import "$tmp/ho" "$top"/tests/fixtures/heldout/*.gz

row() { # SPLIT JSON
	python3 - "$1" "$2" <<'PY'
import json, sys
for t in json.load(open(sys.argv[2]))["traces"]:
    b = t["baselines"]["selector"]
    print("%-9s %-28s top1 %5.1f  selector %5.1f  margin %+5.1f  coverage %5.1f  lead_top1 %5.1f  lead_coverage %5.1f" %
          (sys.argv[1], t["label"], 100 * t["top1"], 100 * b,
           100 * (t["top1"] - b), 100 * t["coverage"], 100 * t["lead_top1"],
           100 * t["lead_coverage"]))
PY
}

for f in "$tmp"/fx/*.kot; do
	mapfile -t train < <(ls "$tmp"/fx/*.kot | grep -vx "$f")
	"$bin" train "${train[@]}" -o "$tmp/m" "$@" >/dev/null 2>&1
	"$bin" eval --model "$tmp/m" "$f" --json >"$tmp/e.json"
	row fixture "$tmp/e.json"
done | tee "$tmp/rows"
"$bin" train "$tmp"/fx/*.kot -o "$tmp/m" "$@" >/dev/null 2>&1
"$bin" eval --model "$tmp/m" "$tmp"/ho/*.kot --json >"$tmp/e.json"
row heldout "$tmp/e.json" | tee -a "$tmp/rows"
awk '{ m[$1] += $8; n[$1]++ } END { for (s in m) printf "mean margin %s %+.1f points over %d traces\n", s, m[s] / n[s], n[s] }' "$tmp/rows"
