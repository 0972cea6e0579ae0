# Helpers for the model tests (sourced after koracle.sh; busybox sh): the
# weight blobs scripts/vm-blobs.sh built into /data, model_info's fields,
# kernel log lines since a mark.

KO_DATA=/data

# Path of blob NAME (a, b, d), failing the test if the image lacks it.
ko_blob() {
	[ -s "$KO_DATA/$1.blob" ] ||
		ko_fail "$KO_DATA/$1.blob missing: scripts/vm-blobs.sh failed when the image was built"
	echo "$KO_DATA/$1.blob"
}

# The crc field of blob file $1 (bytes 8..11, little endian) as 0x%08x.
ko_blob_crc() {
	# od prints a 4-byte word in host order: this guest is x86, little endian.
	printf '0x%s\n' "$(od -A n -t x4 -j 8 -N 4 "$1" | tr -d ' \n')"
}

# Field $1 of model_info (crc, channels, ...), or "none" without a model.
ko_model_field() {
	info=$(cat "$KO_SYSFS/model_info")
	[ "$info" = none ] && { echo none; return 0; }
	echo "$info" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# Value of key $1 in "channels=C blocks=B hidden=H" file $2 (/data/NAME.info).
ko_info_field() {
	tr ' ' '\n' <"$2" | sed -n "s/^$1=//p"
}

# Upload blob $1 with the CLI; fail the test unless it succeeds and
# model_info then shows the blob's crc.
ko_upload() {
	out=$(koracle upload "$1" 2>&1) || ko_fail "koracle upload $1 failed: $out"
	want=$(ko_blob_crc "$1")
	got=$(ko_model_field crc)
	[ "$got" = "$want" ] || ko_fail "after uploading $1 model_info crc is $got, expected $want"
	echo "$out" | grep -q "^upload: crc=$want " || ko_fail "upload printed: $out"
}

# Kernel log lines after the last "koracle-vm: mark $1" line.
ko_kmsg_since() {
	dmesg | awk -v m="koracle-vm: mark $1" '
		substr($0, length($0) - length(m) + 1) == m { buf = ""; next }
		{ buf = buf $0 "\n" }
		END { printf "%s", buf }'
}

# Sum of cpuN/$1 over the possible CPUs.
ko_cpu_sum() {
	s=0 c=0
	n=$(ko_possible_cpus)
	while [ $c -lt "$n" ]; do
		s=$((s + $(cat "$KO_SYSFS/cpu$c/$1")))
		c=$((c + 1))
	done
	echo $s
}

# hits*1000/predictions as 0.xxx (top-1 accuracy), or "nan" without predictions.
ko_ratio() {
	awk -v h="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f\n", h / n; else print "nan" }'
}
