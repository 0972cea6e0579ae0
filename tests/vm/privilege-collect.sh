#!/bin/sh
# Who may collect: CAP_PERFMON (or CAP_SYS_ADMIN) in the initial network
# namespace. A user holding only CAP_NET_ADMIN is refused (EPERM), the same
# user holding CAP_PERFMON collects; root in another network namespace is
# refused, while the statistics stay readable there.
set -eu
. /tests/lib/koracle.sh

ko_insmod
as_user_with() { # CAP COMMAND...
	cap=$1
	shift
	/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups \
		--inh-caps=+"$cap" --ambient-caps=+"$cap" "$@"
}

rc=0
as_user_with net_admin koracle collect -o /tmp/na.kot --duration 1 >/tmp/na.txt 2>&1 || rc=$?
cat /tmp/na.txt
ko_expect "$rc" -eq 1 "exit status of a CAP_NET_ADMIN-only collect"
grep -q 'Operation not permitted' /tmp/na.txt || ko_fail "CAP_NET_ADMIN-only collect does not report EPERM"

rc=0
as_user_with perfmon koracle collect -o /tmp/pm.kot --duration 1 >/tmp/pm.txt 2>&1 || rc=$?
cat /tmp/pm.txt
ko_expect "$rc" -eq 0 "exit status of a CAP_PERFMON collect"
ko_expect "$(ko_summary records </tmp/pm.txt)" -gt 0 "records collected with CAP_PERFMON"

rc=0
/usr/bin/unshare --net koracle collect -o /tmp/ns.kot --duration 1 >/tmp/ns.txt 2>&1 || rc=$?
cat /tmp/ns.txt
ko_expect "$rc" -eq 1 "exit status of a collect from another network namespace"
grep -q 'Operation not permitted' /tmp/ns.txt || ko_fail "collect from another netns does not report EPERM"
/usr/bin/unshare --net koracle stats >/tmp/nsstats.txt 2>&1 || ko_fail "stats from another netns failed: $(cat /tmp/nsstats.txt)"
ko_expect "$(ko_kv collecting </tmp/nsstats.txt)" -eq 0 "collecting, seen from another netns"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "privilege-collect ok: NET_ADMIN refused, PERFMON collects, other netns refused"
