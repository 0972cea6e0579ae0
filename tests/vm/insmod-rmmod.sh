#!/bin/sh
# 20 insmod/rmmod cycles: each load brings up /sys/kernel/koracle and the
# netlink family, each unload removes both and leaves no warning behind.
set -eu
. /tests/lib/koracle.sh

cycles=20
i=1
while [ $i -le $cycles ]; do
	ko_insmod
	grep -q '^koracle ' /proc/modules || ko_fail "cycle $i: koracle not in /proc/modules"
	[ -d "$KO_SYSFS" ] || ko_fail "cycle $i: $KO_SYSFS missing after insmod"
	if [ $i -eq 1 ] || [ $i -eq $cycles ]; then
		# The netlink family answers while loaded.
		koracle stats >/tmp/stats.txt 2>&1 ||
			ko_fail "cycle $i: koracle stats failed: $(cat /tmp/stats.txt)"
		ko_kv collecting </tmp/stats.txt >/dev/null ||
			ko_fail "cycle $i: koracle stats printed no 'collecting': $(cat /tmp/stats.txt)"
	fi
	out=$(ko_rmmod) || ko_fail "cycle $i: rmmod failed: $out"
	ko_loaded && ko_fail "cycle $i: /sys/module/koracle still present after rmmod"
	[ -e "$KO_SYSFS" ] && ko_fail "cycle $i: $KO_SYSFS still present after rmmod"
	ko_check_kmsg
	i=$((i + 1))
done

# And after the last unload, the family is gone: the CLI says how to load it.
rc=0
koracle collect -o /tmp/none.kot --duration 1 >/tmp/collect.txt 2>&1 || rc=$?
ko_expect "$rc" -eq 1 "exit status of collect without the module"
grep -q 'generic netlink family "koracle" not found: is the module loaded?' /tmp/collect.txt ||
	ko_fail "collect without the module: unexpected message: $(cat /tmp/collect.txt)"
echo "$cycles insmod/rmmod cycles clean"
