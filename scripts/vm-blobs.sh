#!/bin/bash
# Build what the model VM tests and the VM bench need, on the host, into
# build/vm/model/ (called by scripts/mkinitramfs.sh; nothing binary is
# committed):
#   a.blob  tiny model with a residual block (C=4, B=1, H=2: the largest
#           block the budget admits), trained briefly on fixtures, quantized
#   b.blob  another (C=8, B=0, H=2, other seed): a second CRC to swap to
#   d.blob  the default architecture (koracle train's defaults), trained on
#           every tests/fixtures/*.trace.gz for a few epochs: the bench's model
#   ko-blobmut  tests/vm/tools/blobmut.c, makes the malformed blobs in the guest
# and a.info/b.info/d.info: the architecture each was trained with
# (channels=C blocks=B hidden=H), for the tests to compare with model_info.
#
# Rebuilt only when missing or older than the CLI or this script. Training
# takes a few seconds; the held-out fixtures (tests/fixtures/heldout) are
# never used.
#
#   vm-blobs.sh CLI OUTDIR
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 CLI OUTDIR" >&2; exit 2; }
cli=$1 out=$2
mkdir -p "$out"

die() { echo "vm-blobs: $*" >&2; exit 1; }

fresh() {
	[ -s "$1" ] && [ "$1" -nt "$cli" ] && [ "$1" -nt "$0" ]
}

work=$(mktemp -d "${TMPDIR:-/tmp}/koracle-blobs.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

traces=''
import_fixtures() {
	[ -n "$traces" ] && return 0
	# (sh has no locals: these names differ from train_blob's)
	for fx in "$top"/tests/fixtures/*.trace.gz; do
		fxname=$(basename "$fx" .trace.gz)
		"$cli" import --format ftrace "$fx" -o "$work/$fxname.kot" --label "$fxname" \
			>"$work/import.log" 2>&1 || die "import $fx failed: $(cat "$work/import.log")"
		traces="$traces $work/$fxname.kot"
	done
}

# train_blob NAME SEED EPOCHS [train options...]: $out/NAME.blob and NAME.info
train_blob() {
	name=$1 seed=$2 epochs=$3
	shift 3
	fresh "$out/$name.blob" && return 0
	import_fixtures
	# shellcheck disable=SC2086 # $traces is a list of paths without spaces
	"$cli" train $traces -o "$work/$name.model" --seed "$seed" --epochs "$epochs" \
		--threads 2 "$@" >"$work/train-$name.log" 2>&1 ||
		die "train $name failed: $(tail -n 5 "$work/train-$name.log")"
	"$cli" quantize "$work/$name.model" -o "$work/$name.blob" >"$work/q-$name.log" 2>&1 ||
		die "quantize $name failed: $(tail -n 5 "$work/q-$name.log")"
	sed -n 's/^train: model=.* \(channels=[0-9]*\) \(blocks=[0-9]*\) .* \(hidden=[0-9]*\).*/\1 \2 \3/p' \
		"$work/train-$name.log" >"$work/$name.info"
	[ -s "$work/$name.info" ] || die "train $name printed no architecture line"
	# Rename last: a concurrent build never sees half a file.
	mv "$work/$name.info" "$out/$name.info"
	mv "$work/$name.blob" "$out/$name.blob"
	echo "vm-blobs: $out/$name.blob: $(grep '^quantize: blob=' "$work/q-$name.log")" >&2
}

train_blob a 1 4 --channels 4 --blocks 1 --hidden 2 --max-windows 256
train_blob b 2 4 --channels 8 --blocks 0 --hidden 2 --max-windows 256
train_blob d 1 10

mut=$out/ko-blobmut
if [ ! -x "$mut" ] || [ "$top/tests/vm/tools/blobmut.c" -nt "$mut" ] ||
	[ "$top/shared/blob.h" -nt "$mut" ] || [ "$top/shared/koracle_types.h" -nt "$mut" ]; then
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow \
		-Wstrict-prototypes -Wmissing-prototypes -iquote "$top/shared" \
		-o "$work/ko-blobmut" "$top/tests/vm/tools/blobmut.c" -lz ||
		die "building tests/vm/tools/blobmut.c failed"
	mv "$work/ko-blobmut" "$mut"
fi
