#!/bin/sh
# Guest side of `make soak` (scripts/soak.sh): for koracle_soak_seconds (kernel
# command line), with the module loaded, run at once
#   - hackbench, back to back (at nice 10);
#   - a collection: `koracle collect` restarted whenever its session ends
#     (an enabled=0 ends it; a start refused while disabled is retried);
#   - an upload every second, alternating blobs a and b, and every tenth a
#     malformed one (ko-blobmut, cycling through its cases), which the
#     kernel must refuse;
#   - CPU 1 offline and back (2 s offline) every 10 s;
#   - enabled=0 and back to 1 (1 s off) every 15 s;
# then stops everything, unloads the module, and prints one line on stdout
# (the host's verdict port):
#   soak-guest: seconds=N uploads=N hotplugs=N toggles=N records=N lost=N
#               unaccounted=N leaked_kib=N problems=N
# The host adds the kernel log's warnings and prints the final "soak:" line.
# Diagnostics ("soak: # ...") go to stderr, the console.
#
# Accounting (kmod/ring.c, kmod/genl.c): the module counts, per CPU, in
# `events` every record it put in a ring and in `dropped` every record it
# lost, on a full ring or thrown away undelivered when a session was torn
# down; both count only while a session runs. Every delivered batch tells
# the collector the drops since the last one (KORACLE_A_LOST), and a session
# ended by STOP or enabled=0 delivers all its records and drops before END.
# Each collector's summary says what it received (records=) and was told
# was lost (lost=). So over the whole soak
#   unaccounted = (events + dropped, growth since insmod)
#               - sum over all collections of (records + lost)
# is 0 when nothing vanished. A record thrown away at teardown without a
# LOST report (a collector that died) shows up here twice: once in events,
# once in dropped; the soak's collectors never die, so any such record is a
# module fault either way.
#
# Memory: Slab + VmallocUsed (/proc/meminfo, KiB) after dropping caches and
# settling, before insmod and after the final rmmod; both samples follow
# the same warm-up (a hackbench run, a CPU 1 offline/online cycle), so the
# difference is what the module left behind.
set -u
. /tests/lib/koracle.sh
. /tests/lib/model.sh

SOAK_SECONDS=600
for arg in $(cat /proc/cmdline); do
	case $arg in
	koracle_soak_seconds=*) SOAK_SECONDS=${arg#*=} ;;
	esac
done

S=/tmp/soak
ONLINE=/sys/devices/system/cpu/cpu1/online
HACKBENCH="hackbench -g 2 -f 10 -l 500"
BAD_CASES="magic version crc channels offset truncated long"
mkdir -p $S
rm -f $S/*

log() {
	echo "soak: # $*" >&2
}

# Something that should not happen, for the final count; the run goes on.
problem() {
	echo "$*" >>$S/problems
	log "PROBLEM: $*"
}

# Seconds since boot in centiseconds (/proc/uptime has two decimals).
now_cs() {
	cut -d' ' -f1 /proc/uptime | tr -d .
}

# Sleep until uptime reaches $1 cs, in steps of at most 0.5 s; return early
# (false) once the stop flag is up.
sleep_until() {
	while [ ! -e $S/stop ]; do
		left=$(($1 - $(now_cs)))
		[ $left -le 0 ] && return 0
		[ $left -gt 50 ] && left=50
		sleep "$((left / 100)).$(printf %02d $((left % 100)))"
	done
	return 1
}

# Keep what the memory counters are made of at a sample, so that a leak
# can be told from the system's own churn: the caches by size
# (/proc/slabinfo: num_objs * objsize), vmalloc pages by caller
# (/proc/vmallocinfo), kernel stacks and the task count.
mem_snapshot() {
	awk 'NR > 2 { printf "%s %d\n", $1, $3 * $4 / 1024 }' /proc/slabinfo >"$S/$1.slab"
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^pages=/) { sub(/^pages=/, "", $i); p[$3] += $i * 4 } }
		END { for (c in p) print c, p[c] }' /proc/vmallocinfo >"$S/$1.vmalloc"
	awk '$1 == "Slab:" || $1 == "VmallocUsed:" || $1 == "KernelStack:" { printf "%s %d KiB ", $1, $2 }' \
		/proc/meminfo >"$S/$1.meminfo"
	echo "tasks $(find /proc -maxdepth 1 -name "[0-9]*" | wc -l)" >>"$S/$1.meminfo"
}

# Log the largest changes between snapshots $1 and $2 (KiB).
mem_diff() {
	log "memory $1: $(cat "$S/$1.meminfo")"
	log "memory $2: $(cat "$S/$2.meminfo")"
	for kind in slab vmalloc; do
		awk -v kind=$kind 'FNR == NR { a[$1] = $2; next } { d = $2 - a[$1]; delete a[$1]; if (d) print d, $1 }
			END { for (k in a) if (a[k]) print -a[k], k }' "$S/$1.$kind" "$S/$2.$kind" |
			sort -rn | head -n 8 | while read -r d name; do
				log "  $kind $name: ${d} KiB"
			done
	done
}

hotplug_cycle() {
	echo 0 >$ONLINE || { problem "taking CPU 1 offline failed"; return 1; }
	sleep 2
	echo 1 >$ONLINE || { problem "bringing CPU 1 back online failed"; return 1; }
	return 0
}

# --- the load -------------------------------------------------------------

hackbench_loop() {
	runs=0
	while [ ! -e $S/stop ]; do
		$HACKBENCH >/dev/null 2>$S/hackbench.err ||
			problem "hackbench failed: $(head -n 3 $S/hackbench.err)"
		runs=$((runs + 1))
	done
	echo $runs >$S/hackbench.runs
}

# One collection after another. Each summary line adds "records lost" to
# collect.tally; a start refused because enabled is 0 (or the previous
# session still ending) is retried; anything else is a problem.
collect_loop() {
	while [ ! -e $S/stop ]; do
		koracle collect -o - --label soak >/dev/null 2>$S/collect.err &
		echo $! >$S/collect.pid
		rc=0
		wait $! || rc=$?
		line=$(grep '^collect: records=' $S/collect.err | tail -n 1)
		if [ -n "$line" ]; then
			r=$(echo "$line" | ko_summary records)
			l=$(echo "$line" | ko_summary lost)
			g=$(echo "$line" | ko_summary seq_gaps)
			echo "$r $l" >>$S/collect.tally
			[ "$rc" -eq 0 ] || problem "collect exited $rc: $line"
			[ "$g" = 0 ] || problem "collect saw sequence gaps: $line"
		elif grep -q 'enabled is 0\|another collection session' $S/collect.err; then
			echo refused >>$S/collect.refused
			sleep 0.1
		else
			problem "collect exited $rc without a summary: $(head -n 3 $S/collect.err)"
			sleep 0.5
		fi
	done
}

# An upload per second: a, b, a, ... and every tenth a malformed blob.
upload_loop() {
	n=0 t0=$(now_cs) crc=''
	a=$(ko_blob a) b=$(ko_blob b)
	ncases=$(echo "$BAD_CASES" | wc -w)
	while [ ! -e $S/stop ]; do
		n=$((n + 1))
		if [ $((n % 10)) -eq 0 ]; then
			bad=$(echo "$BAD_CASES" | cut -d' ' -f$(((n / 10 - 1) % ncases + 1)))
			rc=0
			koracle upload "$S/bad-$bad.blob" >$S/upload.out 2>&1 || rc=$?
			# Refused: the upload fails and the running model stays.
			if [ $rc -eq 0 ]; then
				problem "malformed blob ($bad) accepted: $(cat $S/upload.out)"
			elif [ -n "$crc" ] && [ "$(ko_model_field crc)" != "$crc" ]; then
				problem "after the refused $bad blob model_info crc is $(ko_model_field crc), expected $crc"
			fi
		else
			if [ $((n % 2)) -eq 1 ]; then blob=$a; else blob=$b; fi
			crc=$(ko_blob_crc "$blob")
			u0=$(now_cs)
			if ! koracle upload "$blob" >$S/upload.out 2>&1; then
				problem "upload $n ($blob) failed: $(cat $S/upload.out)"
				crc=''
			elif [ "$(ko_model_field crc)" != "$crc" ]; then
				problem "after upload $n model_info crc is $(ko_model_field crc), expected $crc"
			fi
			echo $(($(now_cs) - u0)) >>$S/upload.cs
		fi
		sleep_until $((t0 + n * 100)) || break
	done
	echo $n >$S/uploads
}

hotplug_loop() {
	n=0 t0=$(now_cs)
	while sleep_until $((t0 + (n + 1) * 1000)); do
		hotplug_cycle && n=$((n + 1))
	done
	echo $n >$S/hotplugs
}

toggle_loop() {
	n=0 t0=$(now_cs)
	while sleep_until $((t0 + (n + 1) * 1500)); do
		echo 0 >"$KO_SYSFS/enabled" || problem "writing enabled=0 failed"
		[ "$(cat "$KO_SYSFS/enabled")" = 0 ] || problem "enabled reads $(cat "$KO_SYSFS/enabled") after writing 0"
		sleep 1
		echo 1 >"$KO_SYSFS/enabled" || problem "writing enabled=1 failed"
		[ "$(cat "$KO_SYSFS/enabled")" = 1 ] || problem "enabled reads $(cat "$KO_SYSFS/enabled") after writing 1"
		n=$((n + 1))
	done
	echo $n >$S/toggles
}

# --- the soak -------------------------------------------------------------

[ -w $ONLINE ] || { echo "soak: $ONLINE is not writable: this guest cannot take CPU 1 offline" >&2; exit 1; }
command -v ko-blobmut >/dev/null || { echo "soak: ko-blobmut missing from the image" >&2; exit 1; }
for c in $BAD_CASES; do
	ko-blobmut "$(ko_blob b)" "$S/bad-$c.blob" "$c" >/dev/null ||
		{ echo "soak: ko-blobmut $c failed" >&2; exit 1; }
done

# Warm-up, so that what the first hackbench and the first hotplug allocate
# for good (caches, per-CPU structures) is in both memory samples.
$HACKBENCH >/dev/null
hotplug_cycle || exit 1
mem0=$(ko_settled_mem_kib)
mem_snapshot before
log "Slab+VmallocUsed before insmod: $mem0 KiB"

ko_kmsg_mark soak
insmod "$KO_MODULE" || { echo "soak: insmod $KO_MODULE failed" >&2; exit 1; }
ev0=$(cat "$KO_SYSFS/events") dr0=$(cat "$KO_SYSFS/dropped")

log "${SOAK_SECONDS} s: $HACKBENCH in a loop at nice 10, a collection throughout, an upload/s" \
	"(every 10th malformed), CPU 1 off and on every 10 s, enabled toggled every 15 s"
start=$(now_cs)
hackbench_loop & hb_pid=$!
# The load runs at nice 10 (its runs inherit it): it still keeps both CPUs
# busy, but the drivers keep their cadence; at nice 0 an upload took ~2.7 s
# in a TCG guest.
renice -n 10 -p $hb_pid >/dev/null
collect_loop & col_pid=$!
upload_loop & up_pid=$!
hotplug_loop & hp_pid=$!
toggle_loop & tg_pid=$!

minute=1
while [ $(($(now_cs) - start)) -lt $((SOAK_SECONDS * 100)) ]; do
	sleep 1
	el=$((($(now_cs) - start) / 100))
	if [ $el -ge $((minute * 60)) ]; then
		log "${el} s: events=$(cat "$KO_SYSFS/events") dropped=$(cat "$KO_SYSFS/dropped")" \
			"collections=$(wc -l <$S/collect.tally 2>/dev/null || echo 0)" \
			"problems=$(wc -l <$S/problems 2>/dev/null || echo 0)"
		minute=$((minute + 1))
	fi
done
touch $S/stop
seconds=$((($(now_cs) - start) / 100))

# The drivers first (each ends its step), then the load, then the collector:
# the last session ends with STOP (SIGINT) and drains like every other.
wait $up_pid $hp_pid $tg_pid
[ "$(cat $ONLINE)" = 1 ] || { problem "CPU 1 left offline"; echo 1 >$ONLINE; }
[ "$(cat "$KO_SYSFS/enabled")" = 1 ] || { problem "enabled left at 0"; echo 1 >"$KO_SYSFS/enabled"; }
wait $hb_pid
# SIGINT only once a session runs: START is sent after collect blocks the
# signal, so it never dies of it before its summary.
tries=0
while kill -0 $col_pid 2>/dev/null; do
	[ "$(koracle stats 2>/dev/null | ko_kv collecting)" = 1 ] &&
		kill -INT "$(cat $S/collect.pid)" 2>/dev/null
	tries=$((tries + 1))
	[ $tries -le 60 ] || { problem "the collector did not stop within 30 s of SIGINT"; kill -9 $col_pid; break; }
	sleep 0.5
done
wait $col_pid 2>/dev/null

ev1=$(cat "$KO_SYSFS/events") dr1=$(cat "$KO_SYSFS/dropped")
koracle stats >&2 || problem "koracle stats failed"
records=$(awk '{ s += $1 } END { print s + 0 }' $S/collect.tally 2>/dev/null || echo 0)
lost=$(awk '{ s += $2 } END { print s + 0 }' $S/collect.tally 2>/dev/null || echo 0)
collections=$(wc -l <$S/collect.tally 2>/dev/null || echo 0)
refused=$(wc -l <$S/collect.refused 2>/dev/null || echo 0)
unaccounted=$(((ev1 - ev0) + (dr1 - dr0) - records - lost))
log "module: events $ev0 -> $ev1, dropped $dr0 -> $dr1;" \
	"$collections collections received $records records and $lost reported lost" \
	"($refused starts refused while disabled); hackbench runs: $(cat $S/hackbench.runs)"
log "valid uploads: $(awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%d, %.2f s each on average, %.2f s at most", NR, NR ? s / NR / 100 : 0, m / 100 }' $S/upload.cs)"

out=$(ko_rmmod) || problem "rmmod failed: $out"
ko_loaded && problem "koracle still loaded after rmmod"
mem1=$(ko_settled_mem_kib)
mem_snapshot after
log "Slab+VmallocUsed after rmmod: $mem1 KiB"
mem_diff before after

nproblems=$(wc -l <$S/problems 2>/dev/null || echo 0)
echo "soak-guest: seconds=$seconds uploads=$(cat $S/uploads) hotplugs=$(cat $S/hotplugs)" \
	"toggles=$(cat $S/toggles) records=$records lost=$lost unaccounted=$unaccounted" \
	"leaked_kib=$((mem1 - mem0)) problems=$nproblems"
