#!/bin/sh
# 50 uploads (fewer on a slow kernel: ko_scaled), alternating two blobs,
# while hackbench runs and a reader keeps reading every CPU's
# next_pid/next_comm and model_info: every upload is installed (koracle
# upload checks model_info's crc), the last one (blob b) stays, the model
# still predicts and hits afterwards, and the kernel log shows one "model
# loaded" line per upload and no warning.
set -eu
. /tests/lib/koracle.sh
. /tests/lib/model.sh

a=$(ko_blob a)
b=$(ko_blob b)
ncpus=$(ko_possible_cpus)

ko_insmod
hackbench -g 2 -f "$(ko_scaled 10)" -l 1000000 >/dev/null 2>&1 &
hb=$!
(
	while :; do
		c=0
		while [ $c -lt "$ncpus" ]; do
			cat "$KO_SYSFS/cpu$c/next_pid" "$KO_SYSFS/cpu$c/next_comm" >/dev/null
			c=$((c + 1))
		done
		cat "$KO_SYSFS/model_info" >/dev/null
	done
) 2>/dev/null &
reader=$!
stop_bg() {
	kill $hb $reader 2>/dev/null || true
	killall hackbench 2>/dev/null || true
	wait $hb $reader 2>/dev/null || true
}

# An even count, so that the last upload is b's.
uploads=$(( $(ko_scaled 50) / 2 * 2 ))
[ "$uploads" -ge 2 ] || uploads=2
ko_kmsg_mark stress-uploads
i=0
while [ $i -lt "$uploads" ]; do
	if [ $((i % 2)) -eq 0 ]; then blob=$a; else blob=$b; fi
	if ! out=$(koracle upload "$blob" 2>&1); then
		stop_bg
		ko_fail "upload $i ($blob) failed: $out"
	fi
	i=$((i + 1))
done
kill -0 $hb 2>/dev/null || { stop_bg; ko_fail "hackbench ended during the uploads"; }
# Let the last model (b) predict under load for a moment.
sleep 2
stop_bg

[ "$(ko_model_field crc)" = "$(ko_blob_crc "$b")" ] ||
	ko_fail "model_info crc $(ko_model_field crc) after $uploads uploads, expected blob b's"
n=$(ko_kmsg_since stress-uploads | grep -c 'koracle: model loaded: crc=' || true)
ko_expect "$n" -eq "$uploads" "'model loaded' kernel lines"
p=$(cat "$KO_SYSFS/predictions") h=$(cat "$KO_SYSFS/hits")
ko_expect "$p" -gt 0 "predictions after the last upload"
ko_expect "$h" -gt 0 "model hits after the last upload"

out=$(ko_rmmod) || ko_fail "rmmod failed: $out"
ko_check_kmsg
echo "model-upload-stress ok: $uploads uploads under hackbench, then predictions=$p hits=$h"
