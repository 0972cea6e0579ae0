// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the debug lane (make check-debug): allocate at load, forget
 * the allocation at unload. Once the module's data is gone nothing points at
 * the buffer, and kmemleak must report it; the harness must turn that report
 * into a failed test. The buffer's text is what the host looks for in the
 * report's hex dump (the allocation's stack names an unloaded module only
 * by address).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#define SELFTEST_LEAK_TEXT "koracle-selftest-leak"

static char *selftest_leak_buf;

static int __init selftest_leak_init(void)
{
	selftest_leak_buf = kmalloc(128, GFP_KERNEL);
	if (!selftest_leak_buf)
		return -ENOMEM;
	strscpy(selftest_leak_buf, SELFTEST_LEAK_TEXT, 128);
	return 0;
}

static void __exit selftest_leak_exit(void)
{
	/* The leak under test: no kfree(). */
	selftest_leak_buf = NULL;
}

module_init(selftest_leak_init);
module_exit(selftest_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("koracle debug-lane self-test: leaks 128 bytes at unload");
