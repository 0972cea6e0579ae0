#!/bin/bash
# `make demo`: the main job end to end, with no arguments.
#  1. Collect: load koracle.ko and collect traces of five workloads over
#     generic netlink (tests/vm/demo/collect.sh): hackbench pipe and socket,
#     a CPU-bound load, mixed I/O, a loopback HTTP client/server.
#  2. Train on the shipped real ftrace fixtures and evaluate on the module's
#     traces: a kernel and workloads the model never saw.
#  3. Train again with the collected traces too (their kernel-only slot
#     features included) and quantize.
#  4. Live (tests/vm/demo/live.sh): upload the blob; for every workload, the
#     five trained on and three never seen, read the live accuracy of the
#     in-kernel model and the selector from sysfs, the in-kernel step cost
#     from debugfs and the wall time with the module absent vs loaded, and
#     collect it with the model running.
#  5. Replay the live traces through the same integer code in userspace:
#     every kernel prediction must match, and every rule gets scored on the
#     same switches. `koracle report` draws the chart and writes the table.
# Where the running kernel takes modules and its build tree is present, the
# stages run on this machine (with sudo); otherwise in a QEMU VM booting
# Debian's kernel (scripts/vm-run.sh), and the script says which.
#
#   demo.sh [--short] [--vm | --host] [-o DIR]
#     --short   two trained workloads, one unseen, shorter runs, one rep
#               (the pipeline test in make check)
#     -o DIR    results (default build/demo, or build/demo-short)
# Env: KORACLE_BIN (default user/koracle), those of scripts/vm-run.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${KORACLE_BIN:-$top/user/koracle}")
short=0 where=auto out=''
while [ $# -gt 0 ]; do
	case $1 in
	--short) short=1; shift ;;
	--vm) where=vm; shift ;;
	--host) where=host; shift ;;
	-o) out=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument '$1'; see --help" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { [ $short = 1 ] && out=$top/build/demo-short || out=$top/build/demo; }
mkdir -p "$out"
out=$(realpath "$out")
# what the demo prints: relative to where it runs (the checkout, for make)
shown=$(realpath --relative-to="$PWD" "$out")

# The workload lists (DEMO_TRAINED, DEMO_UNSEEN) for this length.
# shellcheck disable=SC2034 # read by workloads.sh
DEMO_SHORT=$short
# shellcheck source=../tests/vm/demo/workloads.sh
. "$top/tests/vm/demo/workloads.sh"
read -r -a trained <<<"$DEMO_TRAINED"
read -r -a unseen <<<"$DEMO_UNSEEN"
reps=3 epochs=()
[ $short = 1 ] && reps=1 epochs=(--epochs 2)

t0=$SECONDS
step() {
	printf 'demo: [%3d s] %s\n' $((SECONDS - t0)) "$*"
}
die() {
	echo "demo: $*" >&2
	exit 1
}

# --- where the module runs -----------------------------------------------
kver=$("$top/scripts/kernel-version.sh")
module=$top/koracle.ko
[ -f "$module" ] || die "$module is missing: run make first"
why=''
if [ ! -r /proc/modules ]; then
	why="the running kernel ($(uname -r)) cannot load modules"
elif [ "$kver" != "$(uname -r)" ]; then
	why="no build tree for the running kernel at /lib/modules/$(uname -r)/build (apt-get install linux-headers-$(uname -r))"
fi
if [ $where = auto ]; then
	if [ -z "$why" ]; then where=host; else where=vm; fi
fi
as=()
if [ $where = host ]; then
	[ -z "$why" ] || die "--host: $why"
	[ "$(id -u)" -eq 0 ] || as=(sudo)
	where_text="on this machine, kernel $(uname -r)"
	step "running on this machine: kernel $(uname -r) takes modules; koracle.ko is built for it (${as[*]:-as root})"
else
	where_text="in a QEMU VM (TCG, 2 vCPUs), Debian kernel $kver"
	step "running in a QEMU VM (TCG) booting Debian's $kver: ${why:-asked for with --vm}"
fi

# stage NAME DIR ARGS...: run tests/vm/demo/NAME.sh DIR ARGS on the host, or
# in a fresh VM boot whose DIR comes back over the serial port. In the VM,
# $stage_data is shipped into /data and an argument equal to it becomes
# /data/BASENAME.
stage_data=''
stage() {
	local name=$1 dir=$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ $where = host ]; then
		local rc=0
		"${as[@]}" env PATH="$(dirname "$bin"):$PATH" KO_MODULE="$module" \
			DEMO_SHORT=$short DEMO_WORK=/var/tmp \
			sh "$top/tests/vm/demo/$name.sh" "$dir" "$@" || rc=$?
		[ ${#as[@]} -eq 0 ] || "${as[@]}" chown -R "$(id -u):$(id -g)" "$dir"
		[ $rc -eq 0 ] || die "stage $name failed ($rc)"
		return
	fi
	local port=$out/vm-$name.port console=$out/vm-$name.console.log
	local kernlog=$out/vm-$name.kernel.log initrd qemu status=0 a args=() bad
	local data=("--data" "$out/demo-stage")
	for a in "$@"; do
		if [ -n "$stage_data" ] && [ "$a" = "$stage_data" ]; then
			args+=("/data/$(basename "$a")")
			data+=(--data "$a")
		else
			args+=("$a")
		fi
	done
	printf 'DEMO_SHORT=%s sh /tests/demo/%s.sh /tmp/demo-out%s\n' "$short" "$name" \
		"$(printf ' %s' "${args[@]}")" >"$out/demo-stage"
	initrd=$("$top/scripts/mkinitramfs.sh" -o "$out/initramfs.cpio.gz" "${data[@]}" \
		2>"$out/mkinitramfs.log") || { cat "$out/mkinitramfs.log" >&2; die "mkinitramfs failed"; }
	"$top/scripts/vm-run.sh" --initrd "$initrd" --port "$port" --port "$kernlog" \
		--append "koracle_mode=demo" </dev/null >"$console" 2>&1 &
	qemu=$!
	# progress: the guest's "demo:" console lines, as they come
	tail -n +1 -f "$console" --pid=$qemu 2>/dev/null |
		sed -u -n 's/\r$//; /^demo: /p' || true
	wait $qemu || status=$?
	sed -i 's/\r$//' "$port" "$kernlog" "$console"
	if ! grep -qx 'koracle-vm: done' "$port" || grep -qx 'koracle-vm: demo failed' "$port"; then
		tail -n 20 "$console" >&2
		die "the guest failed in stage $name (qemu status $status); see $console"
	fi
	bad=$("$top/scripts/kmsg-warnings.sh" "$kernlog")
	[ -z "$bad" ] || die "the guest's kernel log ($kernlog) shows warnings:"$'\n'"$bad"
	sed -n '/^koracle-vm: demo-out$/,/^koracle-vm: demo-out-end$/p' "$port" | sed '1d;$d' |
		base64 -d | tar -xzf - -C "$dir" || die "stage $name: no output came back"
	rm -f "$initrd"
}

# --- 1. collect ------------------------------------------------------------
step "1/5 collecting ${trained[*]} with koracle.ko over netlink"
stage collect "$out/collect" "${trained[@]}"
traces=()
for name in "${trained[@]}"; do
	t=$out/collect/$name.kot
	[ -s "$t" ] || die "no trace of $name came back"
	traces+=("$t")
done

# --- 2. train on the fixtures, evaluate on the module's traces ------------
step "2/5 training on the shipped ftrace fixtures, evaluating on the module's traces"
mkdir -p "$out/fixtures"
for f in "$top"/tests/fixtures/*.gz; do
	name=$(basename "$f")
	"$bin" import --format ftrace "$f" -o "$out/fixtures/${name%%.*}.kot" \
		>/dev/null 2>"$out/import.log" || { cat "$out/import.log" >&2; die "import of $f failed"; }
done
"$bin" train "$out"/fixtures/*.kot "${epochs[@]}" -o "$out/model-fixtures.kom" 2>&1 |
	grep '^train: model=' | sed 's/^/demo:   /' || true
"$bin" eval --model "$out/model-fixtures.kom" "${traces[@]}" | sed 's/^/demo:   /'
"$bin" eval --model "$out/model-fixtures.kom" "${traces[@]}" --json >"$out/eval-transfer.json"

# --- 3. retrain with the module's traces, quantize -------------------------
step "3/5 training again with the module's traces (kernel-only features on), quantizing"
fx=()
for f in "$out"/fixtures/*.kot; do
	[ "$(basename "$f")" = mixed-io.kot ] || fx+=("$f")
done
calib=()
for t in "${traces[@]}"; do
	calib+=(--calib "$t")
done
"$bin" train "${fx[@]}" "${traces[@]}" --val "$out/fixtures/mixed-io.kot" "${epochs[@]}" \
	-o "$out/model.kom" 2>&1 | grep '^train: model=' | sed 's/^/demo:   /' || true
"$bin" quantize "$out/model.kom" -o "$out/demo.kob" "${calib[@]}" | sed 's/^/demo:   /'

# --- 4. live ---------------------------------------------------------------
live=("${trained[@]}" "${unseen[@]}")
step "4/5 live: upload, then ${live[*]} ($reps x absent vs loaded, then one collected run each)"
stage_data=$out/demo.kob
stage live "$out/live" "$out/demo.kob" "$reps" "${live[@]}"
stage_data=''

# --- 5. replay, score, report ----------------------------------------------
step "5/5 replaying the live traces: every kernel prediction must match userspace"
live_traces=()
for name in "${live[@]}"; do
	t=$out/live/live-$name.kot
	[ -s "$t" ] || die "no live trace of $name came back"
	live_traces+=("$t")
	line=$("$bin" eval --model "$out/demo.kob" "$t" --check-kernel | grep '^check: ') ||
		die "$name: eval --check-kernel failed"
	echo "demo:   $name: $line"
	case $line in
	*" pred_mismatch=0 base_mismatch=0") ;;
	*) die "$name: the kernel's predictions differ from the userspace replay" ;;
	esac
done
"$bin" eval --model "$out/demo.kob" "${live_traces[@]}" --json >"$out/eval-live.json"
KORACLE_BIN=$bin "$top/scripts/bench-step.sh" "$out/demo.kob" "$out"/fixtures/*.kot \
	>"$out/bench-native.txt" || die "scripts/bench-step.sh failed"
opts=()
for name in "${trained[@]}"; do
	opts+=(--seen "$name")
done
for f in "$out"/live/latency-*.txt; do
	opts+=(--latency "$f")
done
step "summary (live traces replayed through the kernel's integer code; live = sysfs; step = debugfs; overhead = wall time loaded / absent)"
"$bin" report --eval "$out/eval-live.json" --bench "$out/live/bench.txt" \
	--bench "$out/bench-native.txt" "${opts[@]}" --title "koracle demo: $where_text" \
	-o "$shown/report"
[ -s "$out/report/report.md" ] || die "koracle report wrote no $out/report/report.md"
[ "$(head -c 8 "$out/report/report.png" | od -A n -t x1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	die "$out/report/report.png is not a PNG"
step "done; everything is in $shown"
