#!/bin/sh
# Small guest workloads for the live-accuracy bench (bench.sh), besides
# hackbench. Busybox only.
#   workload.sh burner SECS     5 busy shells (2 x CPUs + 1) and a 10 ms sleeper
#   workload.sh forkexec N      N fork+exec of /bin/true, one after another
#   workload.sh gzip MIB        MIB of /dev/urandom through gzip | gzip -d
set -eu

case ${1:-} in
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
	echo "usage: $0 burner SECS | forkexec N | gzip MIB" >&2
	exit 2
	;;
esac
