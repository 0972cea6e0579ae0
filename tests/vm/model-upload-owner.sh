#!/bin/sh
# An upload belongs to the file that started it. While one file's upload is
# under way a second writer gets EBUSY; the first one then completes and
# installs its blob, once. An upload abandoned halfway (the file closed)
# installs nothing, is freed within about a second, and does not keep the
# next upload waiting. The kernel checks CAP_SYS_ADMIN itself: a world-writable model file
# still refuses an unprivileged writer.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

a=$(ko_blob a) b=$(ko_blob b)
crc_a=$(ko_blob_crc "$a") crc_b=$(ko_blob_crc "$b")
ko_insmod

# Kernel log lines since marker $1.
since() {
	dmesg | awk -v m="koracle-vm: mark $1" '
		substr($0, length($0) - length(m) + 1) == m { buf = ""; next }
		{ buf = buf $0 "\n" }
		END { printf "%s", buf }'
}

# 1. Two writers: the first keeps its file open between two pieces.
ko_kmsg_mark two-writers
exec 3>"$KO_SYSFS/model"
head -c 100 "$a" >&3
rc=0
koracle upload "$b" >/tmp/second.txt 2>&1 || rc=$?
cat /tmp/second.txt
ko_expect "$rc" -eq 1 "exit status of the second upload"
grep -q 'another upload' /tmp/second.txt || ko_fail "the second upload does not report EBUSY"
[ "$(ko_model_field crc)" = none ] || ko_fail "a model was installed before the first upload completed"
tail -c +101 "$a" >&3
exec 3>&-
[ "$(ko_model_field crc)" = "$crc_a" ] ||
	ko_fail "model_info crc $(ko_model_field crc) after the first upload completed, expected $crc_a"
loaded=$(since two-writers | grep -c "koracle: model loaded: crc=$crc_a") || true
ko_expect "$loaded" -eq 1 "times blob a was installed"

# 2. Abandoned halfway (the file closed): nothing installed; the staging is
# freed within about a second, and the next upload works at once.
ko_kmsg_mark abandon
exec 3>"$KO_SYSFS/model"
head -c 100 "$b" >&3
exec 3>&-
sleep 2
since abandon | grep -q 'koracle: model upload abandoned after 100 of' ||
	ko_fail "the abandoned upload was not freed: $(since abandon)"
[ "$(ko_model_field crc)" = "$crc_a" ] || ko_fail "the abandoned upload changed the model"
exec 3>"$KO_SYSFS/model"
head -c 100 "$b" >&3
exec 3>&-
koracle upload "$b" >/tmp/after.txt 2>&1 || ko_fail "upload right after an abandoned one failed: $(cat /tmp/after.txt)"
[ "$(ko_model_field crc)" = "$crc_b" ] || ko_fail "model_info crc $(ko_model_field crc), expected $crc_b"

# 3. The file mode is not the check.
chmod 666 "$KO_SYSFS/model"
rc=0
su -s /bin/sh "$KO_USER" -c "koracle upload $a" >/tmp/user.txt 2>&1 || rc=$?
chmod 200 "$KO_SYSFS/model"
cat /tmp/user.txt
ko_expect "$rc" -eq 1 "exit status of an unprivileged upload to a 0666 file"
grep -q 'Operation not permitted' /tmp/user.txt || ko_fail "unprivileged upload to a 0666 file is not EPERM"
[ "$(ko_model_field crc)" = "$crc_b" ] || ko_fail "an unprivileged writer changed the model"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "model-upload-owner ok: EBUSY for the second writer, abandoned upload freed, CAP_SYS_ADMIN checked"
