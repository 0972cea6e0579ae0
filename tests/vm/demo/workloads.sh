# The demo's workloads (sourced by collect.sh and live.sh). POSIX sh with
# hackbench and busybox (httpd, wget), so they run the same in the VM's
# busybox and on a real machine. `demo_run NAME` runs one to completion;
# DEMO_SHORT=1 shrinks the lists and each workload for the pipeline test
# (make check).
#
# Trained on (collected in the first stage): hackbench pipe and socket, a
# CPU-bound load, mixed I/O and a loopback client/server. Never trained on
# (run only live, with the model loaded): threaded hackbench, fork+exec and
# a compression pipeline.
DEMO_SHORT=${DEMO_SHORT:-0}
# shellcheck disable=SC2034 # the lists are read by scripts/demo.sh
if [ "$DEMO_SHORT" = 1 ]; then
	DEMO_TRAINED="hackbench-pipe loopback-http"
	DEMO_UNSEEN="hackbench-threads"
else
	DEMO_TRAINED="hackbench-pipe hackbench-socket cpu-burner mixed-io loopback-http"
	DEMO_UNSEEN="hackbench-threads fork-exec gzip-pipe"
fi
# Scratch space: tmpfs in the VM (no disk there), the disk's /var/tmp on a
# real machine.
DEMO_WORK=${DEMO_WORK:-/tmp}

demo_loops() {
	if [ "$DEMO_SHORT" = 1 ]; then echo 30; else echo 100; fi
}

# Three busy loops and a 10 ms sleeper on the CPUs for $1 seconds:
# preemption and wakeups decide who runs next.
demo_burner() {
	pids=''
	for i in 1 2 3; do
		sh -c 'while :; do :; done' &
		pids="$pids $!"
	done
	sh -c 'while :; do sleep 0.01; done' &
	pids="$pids $!"
	sleep "$1"
	# shellcheck disable=SC2086 # a list of pids
	kill $pids
	wait 2>/dev/null || true
}

# File writes with fsync, compression, a checksum, a tree walk and a sleeper
# at once: I/O waits, page-cache work and kworkers mixed with CPU work.
demo_mixed_io() {
	dir=$(mktemp -d "$DEMO_WORK/koracle-demo-io.XXXXXX")
	mib=16
	[ "$DEMO_SHORT" = 1 ] && mib=4
	sh -c 'i=0; while [ $i -lt 50 ]; do sleep 0.01; i=$((i + 1)); done' &
	dd if=/dev/urandom of="$dir/blob" bs=1M count=$mib conv=fsync 2>/dev/null
	gzip -1 -c "$dir/blob" >"$dir/blob.gz" &
	find / -xdev -type f 2>/dev/null | head -n 5000 | wc -l >/dev/null &
	md5sum "$dir/blob" >/dev/null
	dd if="$dir/blob" of="$dir/copy" bs=64k conv=fsync 2>/dev/null
	sync
	wait
	rm -rf "$dir"
}

# busybox httpd on 127.0.0.1 and two clients fetching a 256 KiB file over
# and over: socket wakeups between a server and its clients.
demo_loopback_http() {
	dir=$(mktemp -d "$DEMO_WORK/koracle-demo-www.XXXXXX")
	port=${DEMO_HTTP_PORT:-18080}
	n=40
	[ "$DEMO_SHORT" = 1 ] && n=10
	dd if=/dev/urandom of="$dir/blob" bs=1k count=256 2>/dev/null
	busybox httpd -f -p "127.0.0.1:$port" -h "$dir" &
	httpd=$!
	# wait (up to 5 s) for the server to answer
	i=0
	until busybox wget -q -O /dev/null "http://127.0.0.1:$port/blob" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			kill $httpd 2>/dev/null
			rm -rf "$dir"
			echo "demo: loopback-http: httpd on 127.0.0.1:$port never answered" >&2
			return 1
		fi
		sleep 0.1
	done
	rc=0 clients=''
	for c in 1 2; do
		sh -c 'i=0; while [ $i -lt "$1" ]; do
			busybox wget -q -O /dev/null "http://127.0.0.1:$2/blob" || exit 1
			i=$((i + 1)); done' client "$n" "$port" &
		clients="$clients $!"
	done
	for c in $clients; do
		wait "$c" || rc=1
	done
	kill $httpd 2>/dev/null
	wait $httpd 2>/dev/null || true
	rm -rf "$dir"
	return $rc
}

demo_fork_exec() {
	n=300
	[ "$DEMO_SHORT" = 1 ] && n=100
	i=0
	while [ $i -lt $n ]; do
		/bin/true
		i=$((i + 1))
	done
}

demo_gzip_pipe() {
	mib=4
	[ "$DEMO_SHORT" = 1 ] && mib=1
	dd if=/dev/urandom bs=1M count=$mib 2>/dev/null | gzip -1 | gzip -d | wc -c >/dev/null
}

# Run workload $1 to completion, its output discarded. Non-zero when it
# failed or is unknown.
demo_run() {
	case $1 in
	hackbench-pipe) hackbench -p -g 2 -f 10 -l "$(demo_loops)" >/dev/null ;;
	hackbench-socket) hackbench -g 2 -f 10 -l "$(demo_loops)" >/dev/null ;;
	hackbench-threads) hackbench -T -g 2 -f 10 -l "$(demo_loops)" >/dev/null ;;
	cpu-burner) if [ "$DEMO_SHORT" = 1 ]; then demo_burner 1; else demo_burner 2; fi ;;
	mixed-io) demo_mixed_io ;;
	loopback-http) demo_loopback_http ;;
	fork-exec) demo_fork_exec ;;
	gzip-pipe) demo_gzip_pipe ;;
	*) echo "demo: no workload named '$1'" >&2; return 2 ;;
	esac
}

# Collect workload $1 with koracle.ko into $2.kot, its collect summary in
# $2.collect.txt. On failure print that log and return non-zero. The caller
# sets $here to the directory of this file.
# shellcheck disable=SC2154 # $here: set by the sourcing stage script
demo_collect() {
	dc_rc=0
	koracle collect -o "$2.kot" --label "$1" -- \
		sh -c '. "$1"; demo_run "$2"' demo "$here/workloads.sh" "$1" \
		>/dev/null 2>"$2.collect.txt" || dc_rc=$?
	[ $dc_rc -eq 0 ] && return 0
	echo "demo: collecting $1 failed ($dc_rc):" >&2
	cat "$2.collect.txt" >&2
	return $dc_rc
}
