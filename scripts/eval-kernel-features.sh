#!/bin/bash
# What the module's own slot features (vruntime rank, weight class) are worth,
# on traces collected by koracle.ko (make demo leaves some in build/demo):
# leave one module trace out, train on the other module traces plus the
# ftrace fixtures (mixed-io held back for validation), once with and once
# without the kernel-only features, and score the trace left out.
# Usage: scripts/eval-kernel-features.sh [MODULE_TRACE...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
traces=("$@")
[ ${#traces[@]} -gt 0 ] || traces=("$top"/build/demo/*.kot)
[ ${#traces[@]} -ge 2 ] && [ -f "${traces[0]}" ] ||
	{ echo "eval-kernel-features: need at least 2 module traces (run make demo)" >&2; exit 1; }
for f in "$top"/tests/fixtures/*.gz; do
	name=$(basename "$f"); name=${name%%.*}
	"$bin" import --format ftrace "$f" -o "$tmp/$name.kot" 2>/dev/null
done
mv "$tmp/mixed-io.kot" "$tmp/val.kot"

for t in "${traces[@]}"; do
	mapfile -t others < <(printf '%s\n' "${traces[@]}" | grep -vxF "$t")
	for mode in with without; do
		flag=()
		[ $mode = without ] && flag=(--no-kernel-features)
		"$bin" train $(ls "$tmp"/*.kot | grep -v /val.kot) "${others[@]}" --val "$tmp/val.kot" \
			"${flag[@]}" -o "$tmp/m.kom" >/dev/null 2>&1
		"$bin" eval --model "$tmp/m.kom" "$t" --json | python3 -c "
import json, sys
t = json.load(sys.stdin)['traces'][0]
print('%-20s %-7s kernel features: top1 %5.1f  raw model %5.1f  selector %5.1f  coverage %5.1f' %
      (t['label'], sys.argv[1], 100 * t['top1'], 100 * t['model_top1'],
       100 * t['baselines']['selector'], 100 * t['coverage']))" "$mode"
	done
done
