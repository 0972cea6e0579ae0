#!/bin/sh
# Print the lines of a guest's kernel log (FILE..., or stdin) that look like a
# warning, oops, lockup or stall (tests/vm/lib/kmsg-bad.re), minus the known
# harmless ones (kmsg-ok.re), each once. Prints nothing when there are none;
# exits 0 either way. The guest's tests filter with the same two files.
top=$(cd "$(dirname "$0")/.." && pwd)
cat "$@" | grep -E -f "$top/tests/vm/lib/kmsg-bad.re" |
	grep -v -E -f "$top/tests/vm/lib/kmsg-ok.re" | sort -u
exit 0
