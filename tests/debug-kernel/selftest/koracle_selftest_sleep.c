// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the debug lane (make check-debug): take a mutex, a sleeping
 * lock, inside a raw spinlock, the mistake a probe that runs under the
 * scheduler's rq lock must never make. The debug kernel must say so (lockdep's
 * "Invalid wait context" with PROVE_RAW_LOCK_NESTING, and DEBUG_ATOMIC_SLEEP's
 * "sleeping function called from invalid context"), and the harness must
 * turn that into a failed test. The mutex is free, so nothing really sleeps.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

static DEFINE_RAW_SPINLOCK(selftest_raw_lock);
static DEFINE_MUTEX(selftest_mutex);

static int __init selftest_sleep_init(void)
{
	raw_spin_lock(&selftest_raw_lock);
	mutex_lock(&selftest_mutex);
	mutex_unlock(&selftest_mutex);
	raw_spin_unlock(&selftest_raw_lock);
	return 0;
}

static void __exit selftest_sleep_exit(void)
{
}

module_init(selftest_sleep_init);
module_exit(selftest_sleep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("koracle debug-lane self-test: a mutex under a raw spinlock");
