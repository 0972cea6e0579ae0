#!/bin/sh
# Self-test of the debug lane (make check-debug; never in the default suite):
# load and unload a module that leaks at unload. This script passes; the
# harness's kmemleak scan after it must fail the test.
set -eu
. /tests/lib/koracle.sh

insmod /data/koracle_selftest_leak.ko || ko_fail "insmod koracle_selftest_leak.ko failed"
rmmod koracle_selftest_leak || ko_fail "rmmod koracle_selftest_leak failed"
ko_log "loaded and unloaded koracle_selftest_leak; kmemleak should now report it"
