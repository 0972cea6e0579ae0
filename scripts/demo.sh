#!/bin/bash
# `make demo`: the main job end to end, as far as it goes today.
#  1. Boot Debian's kernel in QEMU (this machine's kernel takes no modules),
#     load koracle.ko and collect traces of a few workloads over netlink
#     (tests/vm/demo/demo.sh); the traces come back to build/demo/.
#  2. On the host: train the TCN on the shipped real ftrace fixtures, then
#     evaluate it, every rule and the online selector on the traces the
#     module collected: workloads and a kernel it never trained on.
# Env: those of scripts/vm-run.sh; KORACLE_BIN (default user/koracle).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin=${KORACLE_BIN:-$top/user/koracle}
out=$top/build/demo
mkdir -p "$out"
port=$out/port.txt console=$out/console.log kernlog=$out/kernel.log
: >"$port"

echo "demo: building the initramfs and booting the VM (TCG, about a minute)"
initrd=$("$top/scripts/mkinitramfs.sh" -o "$top/build/vm/initramfs.cpio.gz")
"$top/scripts/vm-run.sh" --initrd "$initrd" --port "$port" --port "$kernlog" \
	--append "koracle_mode=demo" </dev/null >"$console" 2>&1 &
qemu=$!
# progress: the guest's "demo:" console lines, as they come
tail -n +1 -f "$console" --pid=$qemu 2>/dev/null | grep --line-buffered '^demo: ' || true
status=0
wait $qemu || status=$?
sed -i 's/\r$//' "$port" "$kernlog" "$console"
if ! grep -qx 'koracle-vm: done' "$port" || grep -qx 'koracle-vm: demo failed' "$port"; then
	echo "demo: the guest failed (qemu status $status); see $console" >&2
	tail -n 20 "$console" >&2
	exit 1
fi

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
echo "demo: results in $out (eval.json, traces, model.kom)"
