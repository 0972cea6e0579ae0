#!/bin/sh
# A well-formed blob over the per-switch budget (blob a one residual block
# deeper, made by ko-blobmut) is refused: koracle upload exits 1 with the
# kernel's EINVAL, the kernel logs one line naming the budget, model_info
# keeps blob a, and blob a goes on predicting (scored switches grow under
# load). Then blob a itself, inside the budget, still uploads.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

a=$(ko_blob a)
crc_a=$(ko_blob_crc "$a")
command -v ko-blobmut >/dev/null || ko_fail "ko-blobmut missing from the image"
check=$(ko-blobmut "$a" /tmp/deep.blob deeper) || ko_fail "ko-blobmut deeper failed"

ko_insmod
ko_upload "$a"
ko_kmsg_mark budget
rc=0
koracle upload /tmp/deep.blob >/tmp/u.out 2>&1 || rc=$?
cat /tmp/u.out
ko_expect "$rc" -eq 1 "exit status of uploading the over-budget blob"
grep -q "Invalid argument" /tmp/u.out || ko_fail "upload does not report the kernel's EINVAL"
lines=$(ko_kmsg_since budget | grep 'koracle: ' || true)
echo "$lines"
n=$(echo "$lines" | grep -c . || true)
ko_expect "$n" -eq 1 "kernel lines for the over-budget blob"
echo "$lines" | grep -q "koracle: model upload refused: $check" ||
	ko_fail "the kernel line does not name '$check'"
[ "$(ko_model_field crc)" = "$crc_a" ] ||
	ko_fail "model_info crc is $(ko_model_field crc) after the refusal, expected $crc_a"

n0=$(cat "$KO_SYSFS/predictions")
hackbench -g 1 -f 5 -l "$(ko_scaled 200)" >/dev/null 2>&1 || ko_fail "hackbench failed"
n1=$(cat "$KO_SYSFS/predictions")
ko_expect "$n1" -gt "$n0" "scored switches with blob a after the refusal"
[ "$(cat "$KO_SYSFS/hits")" -gt 0 ] || ko_fail "blob a predicts nothing after the refusal"
ko_upload "$a"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "model-budget ok: refused '$check', crc $crc_a kept, predictions $n0 -> $n1"
