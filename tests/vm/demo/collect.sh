#!/bin/sh
# make demo, stage 1 (in the VM, or with sudo on a machine whose kernel takes
# modules): load koracle.ko and collect a trace of each workload over generic
# netlink into OUTDIR/NAME.kot, with its collect summary in
# OUTDIR/NAME.collect.txt. Progress lines ("demo: ...") go to stderr.
#
#   collect.sh OUTDIR NAME...      (names: tests/vm/demo/workloads.sh)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
KO_LIB=${KO_LIB:-$here/../lib}
. "$KO_LIB/koracle.sh"
. "$here/workloads.sh"
export DEMO_SHORT DEMO_WORK

dir=$1
shift
log() {
	echo "demo: $*" >&2
}

ko_loaded && { log "koracle is already loaded: rmmod it first"; exit 1; }
ko_insmod
log "koracle.ko loaded; enabled=$(cat "$KO_SYSFS/enabled")"
for name in "$@"; do
	log "collecting $name"
	demo_collect "$name" "$dir/$name" || { ko_rmmod; exit 1; }
	grep '^collect: ' "$dir/$name.collect.txt" | sed "s/^/demo:   /" >&2
done
ko_rmmod
