#!/bin/bash
# sweep-step.sh [--hidden H (4)] [--epochs N (8)] [--channels "8 16 32"] [--blocks "2 3 4"]:
# the accuracy/latency sweep behind the default model size.
#
# For each channels x blocks: train on tests/fixtures/*.gz (koracle train,
# few epochs, its automatic validation split), quantize, score the blob's
# integer step on tests/fixtures/heldout/*.gz (workloads no training file
# contains; macro mean over workloads), and time the step with the kernel's
# flags (scripts/bench-step.sh) on the training fixtures' features. Prints
#   bench: sweep C=.. B=.. top1=.. ns=.. gated=.. selector=.. macs=.. agree=..
# top1 is the raw quantized model, gated what the kernel publishes (model or
# selector per CPU, shared/gate.h), selector the rule baseline.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
[ -x "$bin" ] || { echo "sweep-step: $bin not found: run 'make cli'" >&2; exit 1; }
hidden=4 epochs=8 chans="8 16 32" blocks="2 3 4"
while [ $# -gt 0 ]; do
	case $1 in
	--hidden) hidden=$2; shift 2 ;;
	--epochs) epochs=$2; shift 2 ;;
	--channels) chans=$2; shift 2 ;;
	--blocks) blocks=$2; shift 2 ;;
	*) echo "usage: sweep-step.sh [--hidden H] [--epochs N] [--channels LIST] [--blocks LIST]" >&2; exit 2 ;;
	esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/fx" "$tmp/ho"
for f in "$top"/tests/fixtures/*.gz; do
	n=$(basename "$f"); n=${n%%.*}
	"$bin" import --format ftrace "$f" -o "$tmp/fx/$n.kot" >/dev/null 2>&1
done
for f in "$top"/tests/fixtures/heldout/*.gz; do
	n=$(basename "$f"); n=${n%%.*}
	"$bin" import --format ftrace "$f" -o "$tmp/ho/$n.kot" >/dev/null 2>&1
done
for C in $chans; do
	for B in $blocks; do
		m="$tmp/m-$C-$B" b="$tmp/b-$C-$B"
		"$bin" train "$tmp"/fx/*.kot -o "$m" --channels "$C" --blocks "$B" \
			--hidden "$hidden" --epochs "$epochs" >/dev/null 2>&1
		agree=$("$bin" quantize "$m" -o "$b" | awk '/total/{sub("agree=","",$NF); print $NF}')
		"$bin" eval --model "$b" "$tmp"/ho/*.kot --json >"$tmp/e.json"
		read -r top1 gated sel < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["macro"]
print("%.4f %.4f %.4f" % (m["model_top1"], m["top1"], m["baselines"]["selector"]))' "$tmp/e.json")
		out=$(KORACLE_BIN=$bin "$top/scripts/bench-step.sh" "$b" "$tmp"/fx/*.kot)
		ns=$(echo "$out" | awk '/step_ns_median/{print $3}')
		macs=$(echo "$out" | awk '/step_macs/{print $3}')
		echo "bench: sweep C=$C B=$B top1=$top1 ns=$ns gated=$gated selector=$sel macs=$macs agree=$agree H=$hidden"
	done
done
