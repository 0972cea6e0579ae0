#!/bin/sh
# Self-test of the debug lane (make check-debug; never in the default suite):
# load a module that takes a mutex under a raw spinlock. This script passes;
# the kernel's lockdep / atomic-sleep report must fail the test.
set -eu
. /tests/lib/koracle.sh

insmod /data/koracle_selftest_sleep.ko || ko_fail "insmod koracle_selftest_sleep.ko failed"
rmmod koracle_selftest_sleep || ko_fail "rmmod koracle_selftest_sleep failed"
ko_log "loaded and unloaded koracle_selftest_sleep; the kernel should have reported it"
