#!/bin/sh
# Small workloads for the bench (bench.sh in the guest; the native
# hackbench of scripts/bench-probe.sh). Busybox only.
#   workload.sh hackbench [LOOPS]  the bench's hackbench (-l LOOPS, 300)
#   workload.sh burner SECS     5 busy shells (2 x CPUs + 1) and a 10 ms sleeper
#   workload.sh forkexec N      N fork+exec of /bin/true, one after another
#   workload.sh gzip MIB        MIB of /dev/urandom through gzip | gzip -d
set -eu

case ${1:-} in
hackbench)
	exec hackbench -g 4 -f 10 -l "${2:-300}"
	;;
burner)
	pids=''
	for i in 1 2 3 4 5; do
		sh -c 'while :; do :; done' &
		pids="$pids $!"
	done
	sh -c 'while :; do sleep 0.01; done' &
	pids="$pids $!"
	sleep "$2"
	# shellcheck disable=SC2086 # a list of pids
	kill $pids
	wait 2>/dev/null || true
	;;
forkexec)
	i=0
	while [ $i -lt "$2" ]; do
		/bin/true
		i=$((i + 1))
	done
	;;
gzip)
	dd if=/dev/urandom bs=1M count="$2" 2>/dev/null | gzip -1 | gzip -d >/dev/null
	;;
*)
	echo "usage: $0 hackbench [LOOPS] | burner SECS | forkexec N | gzip MIB" >&2
	exit 2
	;;
esac
