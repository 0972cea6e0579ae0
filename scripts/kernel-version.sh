#!/bin/sh
# Print the kernel release the module is built for and the VM boots:
# the running kernel's when its build tree exists, else the one Debian's
# linux-headers-amd64 metapackage points at (resolved now, never hard-coded).
#
# Env: KORACLE_DEBIAN_KERNEL (set: Debian's, even where the running kernel
#      has a build tree), KORACLE_KERNEL_META (the metapackage, default
#      linux-headers-amd64; linux-headers-rt-amd64 for make check-rt).
set -eu
meta=${KORACLE_KERNEL_META:-linux-headers-amd64}
if [ -z "${KORACLE_DEBIAN_KERNEL:-}" ] && [ -d "/lib/modules/$(uname -r)/build" ]; then
	uname -r
	exit 0
fi
dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null || true)
[ -n "$dep" ] || dep=$(apt-cache depends "$meta" 2>/dev/null |
	sed -n 's/.*Depends: //p' | head -n1)
ver=$(printf '%s\n' "$dep" | tr ',' '\n' |
	sed -n 's/^ *linux-headers-\([0-9][^ ]*-amd64\).*/\1/p' | head -n1)
if [ -z "$ver" ]; then
	echo "kernel-version: cannot resolve the Debian kernel from $meta; run scripts/install-deps.sh" >&2
	exit 1
fi
echo "$ver"
