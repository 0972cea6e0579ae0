// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * scripts/console-unsplice.sh, which the VM harness runs on the guest's
 * console log before it looks for the "=== koracle-vm: BEGIN/END NAME"
 * markers: kernel records cut into userspace lines go on lines of their own
 * and the cut lines are whole again. The inputs are the shapes seen in CI
 * consoles (a test's kmsg mark cutting its BEGIN marker, which made
 * check-debug's self-test miss its section).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run the filter on @in; the output goes to @out (NUL-terminated). */
static void unsplice(const char *in, char *out, size_t size)
{
	char path[] = "/tmp/ko-unsplice-XXXXXX", cmd[128];
	size_t n;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, in, strlen(in)), (ssize_t)strlen(in));
	close(fd);
	snprintf(cmd, sizeof(cmd), "scripts/console-unsplice.sh <'%s'", path);
	f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s", cmd);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
	unlink(path);
}

Test(console_unsplice, a_mark_cutting_a_marker)
{
	char out[512];

	unsplice("=== koracle-vm: END selftest/leak\n"
		 "=== koracle-vm: [   54.585661] koracle-vm: mark selftest/atomic-sleep\n"
		 "BEGIN selftest/atomic-sleep\n"
		 "=== koracle-vm: BEGIN model-budg[  579.779003] koracle-vm: mark model-budget\n"
		 "et\n", out, sizeof(out));
	cr_expect_str_eq(out,
			 "=== koracle-vm: END selftest/leak\n"
			 "[   54.585661] koracle-vm: mark selftest/atomic-sleep\n"
			 "=== koracle-vm: BEGIN selftest/atomic-sleep\n"
			 "[  579.779003] koracle-vm: mark model-budget\n"
			 "=== koracle-vm: BEGIN model-budget\n");
}

Test(console_unsplice, a_line_cut_by_several_records)
{
	char out[512];

	unsplice("=== kora[   60.100000] BUG: sleeping function called\n"
		 "[   60.100001] Call Trace:\n"
		 "cle-vm: BE[   60.100002]  dump_stack_lvl+0x5b/0x77\n"
		 "GIN t\n"
		 "# loaded[   61.000000] last record\n", out, sizeof(out));
	cr_expect_str_eq(out,
			 "[   60.100000] BUG: sleeping function called\n"
			 "[   60.100001] Call Trace:\n"
			 "[   60.100002]  dump_stack_lvl+0x5b/0x77\n"
			 "=== koracle-vm: BEGIN t\n"
			 "[   61.000000] last record\n"
			 "# loaded\n");
}

Test(console_unsplice, whole_lines_and_the_firmware_line_kept)
{
	const char *whole = "[    1.000000] a record\n"
			    "plain text [not a record]\n"
			    "=== koracle-vm: END t\n";
	char out[512];

	unsplice(whole, out, sizeof(out));
	cr_expect_str_eq(out, whole);
	unsplice("Booting from ROM..[    0.000000] Linux version 6.1\n"
		 "[    0.100000] Command line: console=ttyS0\n"
		 "koracle-vm: kernel 6.1, 2 CPUs, mode test\n", out, sizeof(out));
	cr_expect_str_eq(out,
			 "Booting from ROM..\n"
			 "[    0.000000] Linux version 6.1\n"
			 "[    0.100000] Command line: console=ttyS0\n"
			 "koracle-vm: kernel 6.1, 2 CPUs, mode test\n");
}
