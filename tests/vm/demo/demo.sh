#!/bin/sh
# make demo, guest side: load koracle.ko, collect a trace of each workload
# over generic netlink, and send each file to the host as base64 between
# "koracle-vm: trace NAME" and "koracle-vm: trace-end" lines on stdout (the
# verdict serial port). Progress goes to the console.
set -e
. /tests/lib/koracle.sh

log() {
	echo "demo: $*" >/dev/console
}

collect() {
	name=$1
	shift
	log "collecting $name: $*"
	koracle collect -o "/tmp/$name.kot" --label "$name" -- "$@" \
		>/dev/null 2>"/tmp/$name.log"
	grep '^collect: ' "/tmp/$name.log" | sed "s/^/demo: $name: /" >/dev/console
	echo "koracle-vm: trace $name"
	base64 "/tmp/$name.kot"
	echo "koracle-vm: trace-end"
	rm -f "/tmp/$name.kot"
}

insmod /koracle.ko
log "koracle.ko loaded: $(cat /sys/kernel/koracle/enabled) = enabled"
collect hackbench-pipe hackbench -p -g 2 -f 10 -l 100
collect hackbench-socket hackbench -g 2 -f 10 -l 100
# three busy loops on two CPUs: preemption decides who runs next
collect cpu-burner sh -c 'for i in 1 2 3; do
	timeout 2 sh -c "while :; do :; done" & done; wait; true'
ko_rmmod
log "done"
