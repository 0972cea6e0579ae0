#!/bin/sh
# The guest has what the other tests rely on: 2 online CPUs, the module file,
# a CLI and a hackbench whose shared libraries all resolve, an unprivileged
# user that su can switch to, tracefs and debugfs mounted.
set -eu
. /tests/lib/koracle.sh

online=$(grep -c ^processor /proc/cpuinfo)
ko_expect "$online" -ge 2 "online CPUs"
[ -f "$KO_MODULE" ] || ko_fail "$KO_MODULE missing from the initramfs"
koracle --help >/tmp/help.txt 2>&1 || ko_fail "koracle --help failed: $(cat /tmp/help.txt)"
hackbench -g 1 -f 2 -l 10 >/tmp/hb.txt 2>&1 || ko_fail "hackbench failed: $(cat /tmp/hb.txt)"
grep -q '^Time:' /tmp/hb.txt || ko_fail "hackbench printed no Time: line: $(cat /tmp/hb.txt)"
uid=$(su -s /bin/sh "$KO_USER" -c 'id -u')
ko_expect "$uid" -eq 1000 "uid of $KO_USER under su"
grep -q ' /sys/kernel/tracing tracefs\| /sys/kernel/debug/tracing tracefs' /proc/mounts ||
	ko_fail "tracefs is not mounted"
grep -q ' /sys/kernel/debug debugfs' /proc/mounts || ko_fail "debugfs is not mounted"
ko_check_kmsg
echo "environment ok: $online CPUs, $(uname -r)"
