#!/bin/sh
# An unprivileged user cannot start a collection (EPERM from the kernel) and
# receives nothing; reading the statistics is allowed.
set -eu
. /tests/lib/koracle.sh

ko_insmod

rc=0
su -s /bin/sh "$KO_USER" -c 'koracle collect -o /tmp/u.kot --duration 2' \
	>/tmp/collect.txt 2>&1 || rc=$?
cat /tmp/collect.txt
ko_expect "$rc" -eq 1 "exit status of unprivileged collect"
grep -q 'Operation not permitted' /tmp/collect.txt ||
	ko_fail "unprivileged collect does not report EPERM"
# Nothing received: whatever file was left behind holds at most the 256-byte
# header, no record.
size=$(stat -c %s /tmp/u.kot 2>/dev/null || echo 0)
ko_expect "$size" -le 256 "size of the unprivileged collector's file"

rc=0
su -s /bin/sh "$KO_USER" -c 'koracle stats' >/tmp/stats.txt 2>&1 || rc=$?
cat /tmp/stats.txt
ko_expect "$rc" -eq 0 "exit status of unprivileged stats"
ko_expect "$(ko_kv collecting </tmp/stats.txt)" -eq 0 "collecting"
# No session ever ran: nothing was produced or sent.
ko_expect "$(ko_kv sent </tmp/stats.txt)" -eq 0 "records sent"
ko_expect "$(ko_kv events </tmp/stats.txt)" -eq 0 "records produced"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "unprivileged collect refused, stats readable"
