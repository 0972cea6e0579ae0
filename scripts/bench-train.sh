#!/bin/bash
# Training throughput of `koracle train` for the default model on the shipped
# fixtures (tests/fixtures/*.gz, imported with `koracle import`), and, when
# Debian's python3-torch is importable, the same architecture, windows, batch,
# step count and thread count in PyTorch (scripts/bench_torch.py) as a ratio.
# Prints "bench: NAME VALUE UNIT" lines; a benchmark, never a test.
#
# Env: KORACLE_BIN (default user/koracle), KORACLE_BENCH_THREADS (default
#      nproc), KORACLE_BENCH_EPOCHS (default 3), KORACLE_PYTHON (a python
#      with torch; default: python3, then /usr/bin/python3).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
threads=${KORACLE_BENCH_THREADS:-$(nproc)}
epochs=${KORACLE_BENCH_EPOCHS:-3}
[ -x "$bin" ] || { echo "bench-train: $bin not found: run 'make cli' (or set KORACLE_BIN)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shopt -s nullglob
fixtures=("$top"/tests/fixtures/*.gz)
[ ${#fixtures[@]} -ge 2 ] || { echo "bench-train: need at least 2 fixtures in tests/fixtures" >&2; exit 1; }
for f in "${fixtures[@]}"; do
	name=$(basename "$f" .gz)
	"$bin" import --format ftrace "$f" -o "$tmp/${name%%.*}.kot" 2>/dev/null
done

# patience = epochs: every epoch runs, so both trainers do the same steps
"$bin" train "$tmp"/*.kot -o "$tmp/model" --epochs "$epochs" --patience "$epochs" \
	--threads "$threads" --export-windows "$tmp/windows" >"$tmp/train.txt" 2>"$tmp/train.err" ||
	{ cat "$tmp/train.err" >&2; exit 1; }
wps=$(sed -n 's/.* windows_per_s=\([0-9.]*\).*/\1/p' "$tmp/train.txt")
steps=$(sed -n 's/.* steps=\([0-9]*\).*/\1/p' "$tmp/train.txt")
[ -n "$wps" ] && [ -n "$steps" ] || { echo "bench-train: no summary from koracle train" >&2; cat "$tmp/train.txt" >&2; exit 1; }
echo "bench: train_windows_per_s $wps windows/s"

# Debian's python3-torch lives under /usr/bin/python3, which another python3
# first in PATH (pyenv, venv) would hide
py=
for cand in ${KORACLE_PYTHON:-} python3 /usr/bin/python3; do
	if "$cand" -c 'import torch' 2>/dev/null; then
		py=$cand
		break
	fi
done
if [ -n "$py" ]; then
	twps=$("$py" "$top/scripts/bench_torch.py" "$tmp/windows" --threads "$threads" \
		--steps "$steps" | sed -n 's/^windows_per_s //p')
	[ -n "$twps" ] || { echo "bench-train: bench_torch.py printed no rate" >&2; exit 1; }
	echo "bench: torch_train_windows_per_s $twps windows/s"
	echo "bench: train_speedup_vs_torch $(awk -v a="$wps" -v b="$twps" 'BEGIN { printf "%.2f", a / b }') x"
else
	echo "bench: skipped torch (python3-torch not installed)" >&2
fi
