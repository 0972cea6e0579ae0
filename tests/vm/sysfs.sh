#!/bin/sh
# /sys/kernel/koracle: enabled (0644) toggles and refuses bad values and
# unprivileged writers; the counters (0444) refuse writes; one cpuN directory
# per possible CPU, each with its own read-only counters.
set -eu
. /tests/lib/koracle.sh

mode_of() {
	stat -c %a "$1" 2>/dev/null || ko_fail "stat $1 failed: missing?"
}

ko_insmod

[ "$(mode_of "$KO_SYSFS/enabled")" = 644 ] ||
	ko_fail "enabled has mode $(mode_of "$KO_SYSFS/enabled"), expected 644"
for f in events dropped; do
	[ "$(mode_of "$KO_SYSFS/$f")" = 444 ] ||
		ko_fail "$f has mode $(mode_of "$KO_SYSFS/$f"), expected 444"
	v=$(cat "$KO_SYSFS/$f")
	ko_expect "$v" -ge 0 "$f"
	if (echo 5 >"$KO_SYSFS/$f") 2>/dev/null; then
		ko_fail "writing $f succeeded; counters must be read-only"
	fi
done
# Nothing in the tree is writable by group or others.
loose=$(find "$KO_SYSFS/" -perm /022 ! -type l ! -type d)
[ -z "$loose" ] || ko_fail "group/world-writable files: $loose"

# One directory per possible CPU, no more, no fewer.
ncpus=$(ko_possible_cpus)
ndirs=$(find "$KO_SYSFS/" -mindepth 1 -maxdepth 1 -type d -name 'cpu[0-9]*' | wc -l)
ko_expect "$ndirs" -eq "$ncpus" "cpuN directories (possible CPUs: $(cat /sys/devices/system/cpu/possible))"
c=0
while [ $c -lt "$ncpus" ]; do
	d=$KO_SYSFS/cpu$c
	[ -d "$d" ] || ko_fail "$d missing"
	for f in events dropped; do
		[ "$(mode_of "$d/$f")" = 444 ] || ko_fail "$d/$f has mode $(mode_of "$d/$f"), expected 444"
		ko_expect "$(cat "$d/$f")" -ge 0 "$d/$f"
	done
	c=$((c + 1))
done

# enabled toggles and reads back.
orig=$(cat "$KO_SYSFS/enabled")
[ "$orig" = 1 ] || ko_fail "enabled is '$orig' after insmod, expected 1"
echo 0 >"$KO_SYSFS/enabled" || ko_fail "writing 0 to enabled failed"
[ "$(cat "$KO_SYSFS/enabled")" = 0 ] || ko_fail "enabled reads $(cat "$KO_SYSFS/enabled") after writing 0"
# A disabled module refuses to start a session, and says why.
rc=0
koracle collect -o /tmp/disabled.kot --duration 1 >/tmp/collect.txt 2>&1 || rc=$?
ko_expect "$rc" -eq 1 "exit status of collect while disabled"
grep -q 'disabled' /tmp/collect.txt ||
	ko_fail "collect while disabled does not say so: $(cat /tmp/collect.txt)"
echo 1 >"$KO_SYSFS/enabled" || ko_fail "writing 1 to enabled failed"
[ "$(cat "$KO_SYSFS/enabled")" = 1 ] || ko_fail "enabled reads $(cat "$KO_SYSFS/enabled") after writing 1"

# Bad values are refused and change nothing. (kstrtobool takes the first
# character: "foo" would be a valid "false", so the examples avoid y/n/t/f/o.)
for bad in xyz 2 -1 ''; do
	if (echo "$bad" >"$KO_SYSFS/enabled") 2>/dev/null; then
		ko_fail "writing '$bad' to enabled succeeded"
	fi
	[ "$(cat "$KO_SYSFS/enabled")" = 1 ] || ko_fail "enabled changed after refused write '$bad'"
done
# So are unprivileged writers.
if su -s /bin/sh "$KO_USER" -c "echo 0 >$KO_SYSFS/enabled" >/dev/null 2>&1; then
	ko_fail "$KO_USER could write enabled"
fi
[ "$(cat "$KO_SYSFS/enabled")" = 1 ] || ko_fail "enabled changed after an unprivileged write"
# But may read.
su -s /bin/sh "$KO_USER" -c "cat $KO_SYSFS/enabled $KO_SYSFS/events" >/dev/null ||
	ko_fail "$KO_USER cannot read the sysfs files"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "sysfs ok: $ncpus cpu directories"
