#!/bin/sh
# Malformed blobs (ko-blobmut, made from blob b) are refused: koracle upload
# exits 1 saying the kernel refused the blob, the kernel logs exactly one
# line naming the failed check, and model_info still shows blob a, the
# running model. A blob shorter than its header says never reaches the
# kernel (it would wait for the rest); the CLI refuses it. Afterwards a good
# upload still works, and a raw write of a partial blob followed by a full
# one installs the full one (each write from offset 0 restarts the upload).
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

a=$(ko_blob a)
b=$(ko_blob b)
crc_a=$(ko_blob_crc "$a")
crc_b=$(ko_blob_crc "$b")
command -v ko-blobmut >/dev/null || ko_fail "ko-blobmut missing from the image"

ko_insmod
ko_upload "$a"

for case in magic version crc channels offset truncated long; do
	bad=/tmp/bad-$case.blob
	check=$(ko-blobmut "$b" "$bad" $case) || ko_fail "ko-blobmut $case failed"
	ko_kmsg_mark "bad-$case"
	rc=0
	koracle upload "$bad" >/tmp/u.out 2>&1 || rc=$?
	cat /tmp/u.out
	ko_expect "$rc" -eq 1 "exit status of uploading the $case blob"
	grep -q "the kernel refused $bad (write .*: Invalid argument)" /tmp/u.out ||
		ko_fail "upload of the $case blob does not report the kernel's EINVAL"
	[ "$(ko_model_field crc)" = "$crc_a" ] ||
		ko_fail "after the $case blob model_info crc is $(ko_model_field crc), expected $crc_a"
	lines=$(ko_kmsg_since "bad-$case" | grep 'koracle: ' || true)
	echo "$lines"
	n=$(echo "$lines" | grep -c . || true)
	ko_expect "$n" -eq 1 "kernel lines for the $case blob"
	echo "$lines" | grep -q "koracle: model upload refused: .*$check" ||
		ko_fail "the kernel line for the $case blob does not name '$check'"
done

# Shorter than its own header says: the CLI refuses, the kernel sees nothing.
ko-blobmut "$b" /tmp/bad-short.blob short >/dev/null || ko_fail "ko-blobmut short failed"
ko_kmsg_mark bad-short
rc=0
koracle upload /tmp/bad-short.blob >/tmp/u.out 2>&1 || rc=$?
cat /tmp/u.out
ko_expect "$rc" -eq 1 "exit status of uploading a short blob"
grep -q 'is truncated' /tmp/u.out || ko_fail "upload of a short blob does not say it is truncated"
n=$(ko_kmsg_since bad-short | grep -c 'koracle: ' || true)
ko_expect "$n" -eq 0 "kernel lines for a short blob the CLI refused"
[ "$(ko_model_field crc)" = "$crc_a" ] || ko_fail "model changed after the short blob"

# Raw writes: a partial blob stays staged (no model change), a full write
# from offset 0 replaces the staging and installs.
head -c 100 "$b" >"$KO_SYSFS/model" || ko_fail "raw partial write failed"
[ "$(ko_model_field crc)" = "$crc_a" ] || ko_fail "a partial write changed the model"
cat "$b" >"$KO_SYSFS/model" || ko_fail "raw full write of blob b failed"
[ "$(ko_model_field crc)" = "$crc_b" ] ||
	ko_fail "after a raw write of blob b model_info crc is $(ko_model_field crc), expected $crc_b"
ko_upload "$a"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "model-bad-blobs ok: 7 refused by the kernel, 1 by the CLI, crc $crc_a kept"
