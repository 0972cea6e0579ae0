#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Collect the real ftrace fixtures in tests/fixtures/ on THIS machine, with a
# private tracefs instance so the host's own tracing is left alone:
#
#   sudo scripts/collect-fixtures.sh [OUTDIR]      (default tests/fixtures)
#
# Each workload runs for one or two seconds with the five scheduler events the
# module hooks enabled; the instance's `trace` text is gzip-compressed into
# OUTDIR/<workload>.trace.gz. The fixtures exercise the importer's line
# variants on purpose: most use the default line format (irq-flags column),
# hackbench-socket adds the TGID column (options/record-tgid), cpu-burner drops
# the irq-flags column (options/irq-info off). When trace-cmd is installed, one
# more run goes through `trace-cmd extract` + `trace-cmd report` (its sched
# plugin output) into OUTDIR/hackbench-pipe-tracecmd.report.gz.
#
# A fixture whose ring buffer overflowed (overrun != 0) is refused: the
# importer tests count events and the trace must hold all of them.
set -eu

OUT=${1:-tests/fixtures}
TRACEFS=/sys/kernel/tracing
NAME=koracle-fixtures
INST=$TRACEFS/instances/$NAME
BUF_KB=65536		# per CPU; a 1 s hackbench run needs ~10 MB
EVENTS="sched_switch sched_wakeup sched_wakeup_new sched_migrate_task sched_process_exit"
WORK=$(mktemp -d /tmp/koracle-fixtures.XXXXXX)
SERVER_PID=

die() {
	echo "collect-fixtures: $*" >&2
	exit 1
}

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -d "$INST" ]; then
		echo 0 > "$INST/tracing_on" || true
		rmdir "$INST" || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || die "must run as root (tracefs): try sudo $0"
if [ ! -e "$TRACEFS/instances" ]; then
	mount -t tracefs nodev "$TRACEFS" ||
		die "cannot mount tracefs on $TRACEFS"
fi
command -v hackbench >/dev/null ||
	die "hackbench not found: install rt-tests (scripts/install-deps.sh)"
mkdir -p "$OUT"

# instance_start [OPTION...]: fresh instance, options like "record-tgid" or
# "noirq-info", the five events on, tracing on.
instance_start() {
	[ -d "$INST" ] && rmdir "$INST"
	mkdir "$INST"
	echo "$BUF_KB" > "$INST/buffer_size_kb"
	for opt in "$@"; do
		echo "$opt" > "$INST/trace_options"
	done
	for ev in $EVENTS; do
		echo 1 > "$INST/events/sched/$ev/enable"
	done
	echo 1 > "$INST/tracing_on"
}

# instance_stop: tracing off, refuse the run if any CPU's buffer overflowed.
instance_stop() {
	echo 0 > "$INST/tracing_on"
	for st in "$INST"/per_cpu/cpu*/stats; do
		ov=$(sed -n 's/^overrun: //p' "$st")
		[ "$ov" = 0 ] || die "$st: overrun $ov: raise BUF_KB"
	done
}

# save WORKLOAD: the instance's trace text to OUT/WORKLOAD.trace.gz.
save() {
	# gzip reading the pseudo-file directly warns that its size changed
	# shellcheck disable=SC2002
	cat "$INST/trace" | gzip -9 -n > "$OUT/$1.trace.gz"
	rmdir "$INST"
	printf '%-22s %8s bytes  %7s sched_switch lines\n' "$1.trace.gz" \
		"$(stat -c %s "$OUT/$1.trace.gz")" \
		"$(zcat "$OUT/$1.trace.gz" | grep -c ' sched_switch: ')"
}

# Run "$@" repeatedly until SECS seconds have passed.
for_secs() {
	secs=$1
	shift
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" > /dev/null
	done
}

hackbench_pipe() { for_secs 1 hackbench -p -g 2 -l 40; }
hackbench_socket() { for_secs 1 hackbench -g 2 -l 40; }

# More always-runnable processes than CPUs, plus one sleeper that wakes every
# 10 ms, so the trace has tick preemptions and wakeup preemptions.
cpu_burner() {
	n=$(($(nproc) * 2 + 1))
	i=0
	while [ $i -lt $n ]; do
		timeout 2 sh -c 'while :; do :; done' &
		i=$((i + 1))
	done
	timeout 2 sh -c 'while :; do sleep 0.01; done' &
	wait
}

# Writes with fsync, compression, a tree walk: disk waits (D) and kworkers.
# One sleeper names itself "koracle io 1": real lines whose comm has spaces.
mixed_io() {
	sh -c 'printf "koracle io 1" > /proc/self/comm
		i=0; while [ $i -lt 50 ]; do sleep 0.01; i=$((i + 1)); done' &
	dd if=/dev/urandom of="$WORK/blob" bs=1M count=32 conv=fsync 2>/dev/null
	gzip -1 -c "$WORK/blob" > "$WORK/blob.gz" &
	find /usr/share -type f 2>/dev/null | head -n 20000 | wc -l > /dev/null &
	dd if="$WORK/blob" of="$WORK/copy" bs=64k oflag=direct 2>/dev/null || true
	sync
	wait
	rm -f "$WORK/blob" "$WORK/blob.gz" "$WORK/copy"
}

# python3 http.server on 127.0.0.1 and a bounded curl loop.
loopback_http() {
	i=0
	while [ $i -lt 60 ]; do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/blob"
		i=$((i + 1))
	done
}

instance_start
hackbench_pipe
instance_stop
save hackbench-pipe

instance_start record-tgid
hackbench_socket
instance_stop
save hackbench-socket

instance_start noirq-info
cpu_burner
instance_stop
save cpu-burner

instance_start
mixed_io
instance_stop
save mixed-io

# The server starts (and imports its modules) before tracing begins.
command -v curl >/dev/null || die "curl not found: apt-get install curl"
PORT=18089
head -c 262144 /dev/urandom > "$WORK/blob"
/usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 \
	--directory "$WORK" > /dev/null 2>&1 &
SERVER_PID=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
	i=$((i + 1))
	[ $i -lt 50 ] || die "http.server on 127.0.0.1:$PORT did not start"
	sleep 0.1
done
instance_start
loopback_http
instance_stop
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
save loopback-http

if command -v trace-cmd >/dev/null; then
	# trace-cmd record needs /proc/sys/kernel/ftrace_enabled writable; extract
	# only reads the instance's ring buffers, so it works everywhere.
	instance_start
	for_secs 1 hackbench -p -g 1 -l 40
	instance_stop
	trace-cmd extract -B "$NAME" -o "$WORK/tc.dat" > /dev/null 2>&1 ||
		die "trace-cmd extract -B $NAME failed"
	# extract removes the instance it read from (trace-cmd 3.1).
	[ ! -d "$INST" ] || rmdir "$INST"
	trace-cmd report -i "$WORK/tc.dat" 2>/dev/null |
		gzip -9 -n > "$OUT/hackbench-pipe-tracecmd.report.gz"
	printf '%-22s %8s bytes\n' "hackbench-pipe-tracecmd.report.gz" \
		"$(stat -c %s "$OUT/hackbench-pipe-tracecmd.report.gz")"
fi

echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
