#!/bin/sh
# make demo in the VM (koracle_mode=demo): run the stage command the host
# put in /data/demo-stage (collect.sh or live.sh, writing into
# /tmp/demo-out), its progress on the console, then send /tmp/demo-out to
# the host on stdout (the verdict port) as a gzipped tar in base64 between
# "koracle-vm: demo-out" and "koracle-vm: demo-out-end".
set -e
mkdir -p /tmp/demo-out
sh /data/demo-stage >/dev/console 2>&1
echo "koracle-vm: demo-out"
tar -C /tmp/demo-out -cf - . | gzip -1 | base64
echo "koracle-vm: demo-out-end"
