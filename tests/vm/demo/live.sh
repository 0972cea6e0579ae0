#!/bin/sh
# make demo, second boot: the model the host trained on the first boot's
# traces (/data/demo.kob) runs in the kernel. For each workload it never
# saw, print on stdout (the verdict port) the switches scored while it ran
# and how often the model and the online selector predicted them right:
#   live: NAME predictions=N model_hits=H selector_hits=B
set -e
. /tests/lib/koracle.sh

log() {
	echo "demo: $*" >/dev/console
}

totals() {
	echo "$(cat "$KO_SYSFS/predictions") $(cat "$KO_SYSFS/hits") $(cat "$KO_SYSFS/baseline_hits")"
}

live() {
	name=$1
	shift
	log "running $name (never trained on): $*"
	set -- $(totals) "$@"
	p0=$1 h0=$2 b0=$3
	shift 3
	"$@" >/dev/null 2>&1 || true
	set -- $(totals)
	echo "live: $name predictions=$(($1 - p0)) model_hits=$(($2 - h0)) selector_hits=$(($3 - b0))"
}

insmod /koracle.ko
koracle upload /data/demo.kob | sed 's/^/demo: /' >/dev/console
live hackbench-threads hackbench -T -g 2 -f 10 -l 100
live fork-exec sh -c 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done'
live gzip-pipe sh -c 'head -c 4000000 /dev/urandom | gzip -1 | gzip -d | wc -c'
koracle status >/dev/console
ko_rmmod
log "done"
