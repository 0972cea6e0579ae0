#!/bin/sh
# Boot Debian's kernel (scripts/fetch-kernel.sh; or KORACLE_VM_KERNEL) in
# QEMU with the koracle initramfs: 2 vCPUs, 1 GiB, serial console on stdout,
# no disk, no reboot, a hard timeout. TCG by default: KVM hangs on the
# development machine.
#
#   vm-run.sh --shell                 interactive guest shell, module and CLI
#                                     present (Ctrl-A X quits QEMU)
#   vm-run.sh [--append ARGS] [--port FILE]... [--initrd FILE]
#                                     boot once; each --port adds a serial
#                                     port (ttyS1, ttyS2, ...) written to FILE
#
# Env: KORACLE_VM_TIMEOUT   seconds before the guest is killed (default 1500;
#                           0 = none, the default for --shell)
#      KORACLE_VM_ACCEL     tcg (default) or kvm
#      KORACLE_VM_TCG_THREAD single (default) or multi: how many host threads
#                           run the vCPUs. With multi, a vCPU once kept running
#                           a stale int3 after text_poke_bp() (tracepoint
#                           unregister at rmmod) and the guest locked up; one
#                           thread also ran hackbench faster on 2 host cores.
#      KORACLE_VM_CPU       QEMU CPU model under TCG (default max)
#      KORACLE_VM_MEM, KORACLE_VM_CPUS   (default 1024, 2)
#      KORACLE_VM_KERNEL    the kernel image to boot instead of Debian's (the
#                           debug lane's own build)
#      KORACLE_VM_APPEND    more kernel command line, after --append's
# Exit status: QEMU's, or 124 when the timeout killed the guest.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
shell=0 append='' initrd='' ports=''
while [ $# -gt 0 ]; do
	case $1 in
	--shell) shell=1; shift ;;
	--append) append="$append $2"; shift 2 ;;
	--port) ports="$ports $2"; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "vm-run: unknown argument '$1'; see --help" >&2; exit 2 ;;
	esac
done

kernel=${KORACLE_VM_KERNEL:-}
[ -n "$kernel" ] || kernel=$("$top/scripts/fetch-kernel.sh")
append="$append ${KORACLE_VM_APPEND:-}"
if [ -z "$initrd" ]; then
	# Interactive use gets a fresh image; the test runner builds its own.
	initrd=$("$top/scripts/mkinitramfs.sh")
fi

accel=${KORACLE_VM_ACCEL:-tcg}
case $accel in
tcg) accel_args="-accel tcg,thread=${KORACLE_VM_TCG_THREAD:-single} -cpu ${KORACLE_VM_CPU:-max}" ;;
kvm) accel_args="-accel kvm -cpu host" ;;
*) echo "vm-run: KORACLE_VM_ACCEL must be tcg or kvm, not '$accel'" >&2; exit 2 ;;
esac

if [ $shell -eq 1 ]; then
	timeout_s=${KORACLE_VM_TIMEOUT:-0}
	append="koracle_mode=shell $append"
else
	timeout_s=${KORACLE_VM_TIMEOUT:-1500}
fi

# Extra serial ports: the first becomes the guest's ttyS1, and so on.
port_args='' i=1
for p in $ports; do
	: >"$p"
	port_args="$port_args -chardev file,id=port$i,path=$p -device isa-serial,chardev=port$i"
	i=$((i + 1))
done

# panic=-1 and -no-reboot turn a guest panic into a QEMU exit; lockups and
# RCU stalls panic, so a hung guest ends the run at once instead of at the
# timeout (the host's log filter reports them either way).
# shellcheck disable=SC2086 # word splitting of the argument lists is wanted
set -- qemu-system-x86_64 $accel_args \
	-m "${KORACLE_VM_MEM:-1024}" -smp "${KORACLE_VM_CPUS:-2}" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1 printk.devkmsg=on $append" \
	-nographic -no-reboot -nodefaults -serial mon:stdio $port_args

if [ "$timeout_s" -eq 0 ]; then
	exec "$@"
fi
status=0
timeout --foreground -k 10 "$timeout_s" "$@" || status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
	echo "vm-run: guest killed after the $timeout_s s timeout (KORACLE_VM_TIMEOUT)" >&2
	exit 124
fi
exit $status
