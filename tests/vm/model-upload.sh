#!/bin/sh
# koracle upload: model is write-only for root (0200) and model_info (0444)
# says "none" after insmod; an upload installs the blob (model_info shows its
# crc and the architecture it was trained with, a load time, one "model
# loaded" kernel line); a second blob replaces the first; unprivileged users
# are refused with a root hint; the model goes with the module (none after a
# reload); koracle status shows it.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

a=$(ko_blob a)
b=$(ko_blob b)
crc_a=$(ko_blob_crc "$a")
crc_b=$(ko_blob_crc "$b")
[ "$crc_a" != "$crc_b" ] || ko_fail "blobs a and b have the same crc $crc_a"

ko_insmod
[ "$(stat -c %a "$KO_SYSFS/model")" = 200 ] ||
	ko_fail "model has mode $(stat -c %a "$KO_SYSFS/model"), expected 200"
[ "$(stat -c %a "$KO_SYSFS/model_info")" = 444 ] ||
	ko_fail "model_info has mode $(stat -c %a "$KO_SYSFS/model_info"), expected 444"
[ "$(cat "$KO_SYSFS/model_info")" = none ] ||
	ko_fail "model_info is '$(cat "$KO_SYSFS/model_info")' after insmod, expected none"

# Unprivileged: refused, with the hint, and nothing changes.
rc=0
su -s /bin/sh "$KO_USER" -c "koracle upload $a" >/tmp/u.out 2>&1 || rc=$?
cat /tmp/u.out
ko_expect "$rc" -eq 1 "exit status of an unprivileged upload"
grep -q 'needs root' /tmp/u.out || ko_fail "unprivileged upload does not say root is needed"
[ "$(cat "$KO_SYSFS/model_info")" = none ] || ko_fail "model_info changed after an unprivileged upload"

ko_kmsg_mark upload-a
before=$(date +%s)
koracle upload "$a" >/tmp/u.out 2>&1 || ko_fail "upload $a failed: $(cat /tmp/u.out)"
after=$(date +%s)
cat /tmp/u.out
cat "$KO_SYSFS/model_info"
[ "$(ko_model_field crc)" = "$crc_a" ] || ko_fail "model_info crc $(ko_model_field crc), expected $crc_a"
grep -q "^upload: crc=$crc_a channels=" /tmp/u.out || ko_fail "upload did not print its crc line"
for k in channels blocks hidden; do
	want=$(ko_info_field $k "$KO_DATA/a.info")
	[ "$(ko_model_field $k)" = "$want" ] ||
		ko_fail "model_info $k=$(ko_model_field $k), trained with $want"
done
ko_expect "$(ko_model_field slots)" -eq 16 "model_info slots"
ko_expect "$(ko_model_field kernel)" -ge 1 "model_info kernel"
ko_expect "$(ko_model_field macs)" -gt 0 "model_info macs"
loaded=$(ko_model_field loaded)
ko_expect "$loaded" -ge "$before" "model_info loaded vs the time before the upload"
ko_expect "$loaded" -le "$after" "model_info loaded vs the time after the upload"
n=$(ko_kmsg_since upload-a | grep -c "koracle: model loaded: crc=$crc_a" || true)
ko_expect "$n" -eq 1 "'model loaded' kernel lines for blob a"

# The model file cannot be read back, even by root.
if cat "$KO_SYSFS/model" >/dev/null 2>&1; then
	ko_fail "reading $KO_SYSFS/model succeeded; it must be write-only"
fi

# Replace, then replace back.
ko_upload "$b"
for k in channels blocks hidden; do
	[ "$(ko_model_field $k)" = "$(ko_info_field $k "$KO_DATA/b.info")" ] ||
		ko_fail "after blob b model_info $k=$(ko_model_field $k)"
done
ko_upload "$a"

koracle status >/tmp/status.out 2>&1 || ko_fail "koracle status failed: $(cat /tmp/status.out)"
cat /tmp/status.out
grep -q "^model crc=$crc_a channels=" /tmp/status.out || ko_fail "status does not show the model"
grep -q '^cpu0 ' /tmp/status.out || ko_fail "status shows no cpu0 row"
# --watch, piped: one snapshot per interval, until --count or Ctrl-C (exit 0).
koracle status --watch 0.2 --count 3 >/tmp/watch.out 2>&1 ||
	ko_fail "status --watch --count 3 failed: $(cat /tmp/watch.out)"
ko_expect "$(grep -c '^total ' /tmp/watch.out)" -eq 3 "snapshots of status --watch --count 3"
koracle status --watch 0.2 >/tmp/watch.out 2>&1 &
w=$!
sleep 1
kill -INT $w
rc=0
wait $w || rc=$?
ko_expect "$rc" -eq 0 "exit status of status --watch after SIGINT"
ko_expect "$(grep -c '^total ' /tmp/watch.out)" -ge 2 "snapshots of status --watch in 1 s"

# The model lives and dies with the module.
out=$(ko_rmmod) || ko_fail "rmmod with a model loaded failed: $out"
rc=0
koracle upload "$a" >/tmp/u.out 2>&1 || rc=$?
ko_expect "$rc" -eq 1 "exit status of upload without the module"
grep -q 'is the module loaded? try: sudo insmod koracle.ko' /tmp/u.out ||
	ko_fail "upload without the module gives no insmod hint: $(cat /tmp/u.out)"
ko_insmod
[ "$(cat "$KO_SYSFS/model_info")" = none ] || ko_fail "model_info not none after a reload"
out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "model-upload ok: a=$crc_a b=$crc_b"
