// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * user/sysfs_client.c: the model_info line parser and the sysfs readers, on a
 * fake directory ($KORACLE_SYSFS). The real files are read in the VM tests.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "cli_run.h"
#include "sysfs_client.h"

static char fake_dir[64];

static void fake_setup(void)
{
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/koracle-sysfs-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_dir));
	cr_assert_eq(setenv(KO_SYSFS_ENV, fake_dir, 1), 0);
}

static void fake_teardown(void)
{
	fake_rmtree(fake_dir);
	unsetenv(KO_SYSFS_ENV);
}

TestSuite(sysfs_client, .timeout = 10);

Test(sysfs_client, model_info_none_means_no_model)
{
	struct ko_model_info mi;

	mi.loaded = true;
	cr_assert_eq(ko_model_info_parse("none", &mi), 0);
	cr_assert_not(mi.loaded);
}

Test(sysfs_client, model_info_line_fills_every_field)
{
	struct ko_model_info mi;

	cr_assert_eq(ko_model_info_parse("crc=0xdeadbeef channels=12 blocks=3 kernel=2 hidden=16 slots=16 macs=2345 loaded=1795679946",
					 &mi), 0);
	cr_assert(mi.loaded);
	cr_assert_eq(mi.crc, 0xdeadbeefu);
	cr_assert_eq(mi.channels, 12);
	cr_assert_eq(mi.blocks, 3);
	cr_assert_eq(mi.kernel, 2);
	cr_assert_eq(mi.hidden, 16);
	cr_assert_eq(mi.slots, 16);
	cr_assert_eq(mi.macs, 2345);
	cr_assert_eq(mi.loaded_at, 1795679946ull);
}

Test(sysfs_client, model_info_ignores_unknown_fields_a_newer_module_adds)
{
	struct ko_model_info mi;

	cr_assert_eq(ko_model_info_parse("crc=0x00000001 channels=8 future=7 blocks=2", &mi), 0);
	cr_assert_eq(mi.crc, 1);
	cr_assert_eq(mi.blocks, 2);
}

Test(sysfs_client, model_info_malformed_lines_are_refused)
{
	static const char *const bad[] = {
		"",				/* neither none nor fields */
		"channels=8 blocks=2",		/* no crc */
		"crc=0x12345678",		/* no channels */
		"crc=0x123456789 channels=8",	/* crc beyond 32 bits */
		"crc=0x12 channels=8 crc=0x13",	/* duplicate key */
		"crc=0x12 channels=eight",	/* not a number */
		"crc=0x12 channels=-8",		/* negative */
		"crc=0x12 channels=8 junk",	/* token without '=' */
		"crc=0x12 channels=8x",		/* trailing garbage */
		"None",
	};
	struct ko_model_info mi;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ko_model_info_parse(bad[i], &mi), -EINVAL, "accepted '%s'", bad[i]);
}

Test(sysfs_client, default_dir_unless_the_env_overrides_it)
{
	unsetenv(KO_SYSFS_ENV);
	cr_assert_str_eq(ko_sysfs_dir(), "/sys/kernel/koracle");
	setenv(KO_SYSFS_ENV, "", 1);
	cr_assert_str_eq(ko_sysfs_dir(), "/sys/kernel/koracle");
	setenv(KO_SYSFS_ENV, "/tmp/x", 1);
	cr_assert_str_eq(ko_sysfs_dir(), "/tmp/x");
	unsetenv(KO_SYSFS_ENV);
}

Test(sysfs_client, reads_values_and_strips_one_newline, .init = fake_setup,
     .fini = fake_teardown)
{
	char buf[16];
	u64 u;
	s64 s;

	fake_write(fake_dir, "n", "18446744073709551615\n");
	fake_write(fake_dir, "p", "-1\n");
	fake_write(fake_dir, "c", "kworker/0:1\n");
	cr_assert_eq(ko_sysfs_read_u64("n", &u), 0);
	cr_assert_eq(u, UINT64_MAX);
	cr_assert_eq(ko_sysfs_read_s64("p", &s), 0);
	cr_assert_eq(s, -1);
	cr_assert_eq(ko_sysfs_read("c", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "kworker/0:1");
	/* Truncated to the buffer, still NUL-terminated. */
	cr_assert_eq(ko_sysfs_read("c", buf, 5), 0);
	cr_assert_str_eq(buf, "kwor");
}

Test(sysfs_client, bad_numbers_and_missing_files_are_errors, .init = fake_setup,
     .fini = fake_teardown)
{
	u64 u;
	s64 s;

	fake_write(fake_dir, "neg", "-1\n");
	fake_write(fake_dir, "word", "many\n");
	fake_write(fake_dir, "big", "18446744073709551616\n");
	fake_write(fake_dir, "empty", "");
	cr_assert_eq(ko_sysfs_read_u64("neg", &u), -EINVAL);
	cr_assert_eq(ko_sysfs_read_u64("word", &u), -EINVAL);
	cr_assert_eq(ko_sysfs_read_u64("big", &u), -EINVAL);
	cr_assert_eq(ko_sysfs_read_u64("empty", &u), -EINVAL);
	cr_assert_eq(ko_sysfs_read_s64("word", &s), -EINVAL);
	cr_assert_eq(ko_sysfs_read_s64("empty", &s), -EINVAL);
	cr_assert_eq(ko_sysfs_read_u64("absent", &u), -ENOENT);
}

Test(sysfs_client, model_info_read_from_the_file, .init = fake_setup, .fini = fake_teardown)
{
	struct ko_model_info mi;

	fake_write(fake_dir, "model_info", "crc=0x0badf00d channels=8 blocks=2 kernel=2 hidden=8 slots=16 macs=712 loaded=5\n");
	cr_assert_eq(ko_model_info_read(&mi), 0);
	cr_assert_eq(mi.crc, 0x0badf00du);
	fake_write(fake_dir, "model_info", "none\n");
	cr_assert_eq(ko_model_info_read(&mi), 0);
	cr_assert_not(mi.loaded);
}

Test(sysfs_client, cpu_directories_listed_in_numeric_order, .init = fake_setup,
     .fini = fake_teardown)
{
	unsigned int cpus[4];
	size_t n;

	fake_mkdir(fake_dir, "cpu10");
	fake_mkdir(fake_dir, "cpu2");
	fake_mkdir(fake_dir, "cpu0");
	fake_mkdir(fake_dir, "cpufreq");	/* not a cpuN directory */
	fake_write(fake_dir, "cpux", "");
	cr_assert_eq(ko_sysfs_cpus(cpus, 4, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(cpus[0], 0);
	cr_assert_eq(cpus[1], 2);
	cr_assert_eq(cpus[2], 10);
	cr_assert_eq(ko_sysfs_cpus(cpus, 2, &n), -E2BIG);
}
