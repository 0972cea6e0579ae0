#!/bin/bash
# `make demo`: the main job end to end.
#  1. Boot Debian's kernel in QEMU (this machine's kernel takes no modules),
#     load koracle.ko and collect traces of a few workloads over netlink
#     (tests/vm/demo/demo.sh); the traces come back to build/demo/.
#  2. On the host: train the TCN on the shipped real ftrace fixtures, then
#     evaluate it, every rule and the online selector on the traces the
#     module collected: workloads and a kernel it never trained on.
#  3. Train again with the collected traces too (their kernel-only slot
#     features included), quantize, boot again, upload the blob and read the
#     live accuracy of the in-kernel model and of the selector from sysfs
#     while workloads run that no training trace contains
#     (tests/vm/demo/live.sh).
# Env: those of scripts/vm-run.sh; KORACLE_BIN (default user/koracle).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
out=$top/build/demo
mkdir -p "$out"
port=$out/port.txt console=$out/console.log kernlog=$out/kernel.log

# boot MODE [mkinitramfs args]: one guest run; its port output lands in $port.
boot() {
	local mode=$1 initrd qemu status=0
	shift
	: >"$port"
	initrd=$("$top/scripts/mkinitramfs.sh" -o "$top/build/vm/initramfs.cpio.gz" "$@")
	"$top/scripts/vm-run.sh" --initrd "$initrd" --port "$port" --port "$kernlog" \
		--append "koracle_mode=$mode" </dev/null >"$console" 2>&1 &
	qemu=$!
	# progress: the guest's "demo:" console lines, as they come
	tail -n +1 -f "$console" --pid=$qemu 2>/dev/null | grep --line-buffered '^demo: ' || true
	wait $qemu || status=$?
	sed -i 's/\r$//' "$port" "$kernlog" "$console"
	if ! grep -qx 'koracle-vm: done' "$port" || grep -qx 'koracle-vm: demo failed' "$port"; then
		echo "demo: the guest failed (qemu status $status); see $console" >&2
		tail -n 20 "$console" >&2
		exit 1
	fi
	if grep -E -f "$top/tests/vm/lib/kmsg-bad.re" "$kernlog" |
		grep -v -E -f "$top/tests/vm/lib/kmsg-ok.re"; then
		echo "demo: the guest's kernel log shows the warnings above" >&2
		exit 1
	fi
}

echo "demo: building the initramfs and booting the VM (TCG, about a minute)"
boot demo

# The traces, base64 between markers on the port.
traces=()
for name in $(sed -n 's/^koracle-vm: trace //p' "$port"); do
	sed -n "/^koracle-vm: trace $name\$/,/^koracle-vm: trace-end\$/p" "$port" |
		sed '1d;$d' | base64 -d >"$out/$name.kot"
	traces+=("$out/$name.kot")
	echo "demo: $out/$name.kot: $("$bin" dump --stats "$out/$name.kot" |
		awk '$1 == "records" || $1 == "switches" || $1 == "lost" { printf "%s=%s ", $1, $2 }')"
done
[ ${#traces[@]} -gt 0 ] || { echo "demo: no trace came back from the guest" >&2; exit 1; }

echo "demo: training on the shipped ftrace fixtures (tests/fixtures/*.gz)"
mkdir -p "$out/fixtures"
for f in "$top"/tests/fixtures/*.gz; do
	name=$(basename "$f"); name=${name%%.*}
	"$bin" import --format ftrace "$f" -o "$out/fixtures/$name.ktr" 2>/dev/null
done
"$bin" train "$out"/fixtures/*.ktr -o "$out/model.kom" | grep '^train:' || true
echo "demo: the model, the rules and the online selector on the traces koracle.ko collected:"
"$bin" eval --model "$out/model.kom" "${traces[@]}"
"$bin" eval --model "$out/model.kom" "${traces[@]}" --json >"$out/eval.json"

echo "demo: training again with the collected traces (kernel-only features on), quantizing"
fx=()
for f in "$out"/fixtures/*.ktr; do
	[ "$(basename "$f")" = mixed-io.ktr ] || fx+=("$f")
done
"$bin" train "${fx[@]}" "${traces[@]}" --val "$out/fixtures/mixed-io.ktr" \
	-o "$out/model-live.kom" | grep '^train: model=' || true
calib=()
for t in "${traces[@]}"; do
	calib+=(--calib "$t")
done
"$bin" quantize "$out/model-live.kom" -o "$out/demo.kob" "${calib[@]}" >"$out/quantize.txt"
sed 's/^/demo: /' "$out/quantize.txt"

echo "demo: booting again: upload the blob, run workloads it never saw, read sysfs"
boot demo-live --data "$out/demo.kob"
echo "demo: live, in the kernel (top-1 on the switches scored while each workload ran):"
printf 'demo: %-20s %11s %8s %9s\n' workload predictions model selector
sed -n 's/^live: //p' "$port" | while read -r name p h b; do
	p=${p#*=} h=${h#*=} b=${b#*=}
	awk -v n="$name" -v p="$p" -v h="$h" -v b="$b" 'BEGIN {
		printf "demo: %-20s %11d %7.1f%% %8.1f%%\n", n, p,
			p ? 100 * h / p : 0, p ? 100 * b / p : 0 }'
done
echo "demo: results in $out (eval.json, traces, model.kom, demo.kob, console.log)"
