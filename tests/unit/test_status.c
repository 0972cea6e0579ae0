// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle status on a fake /sys/kernel/koracle ($KORACLE_SYSFS): the table's
 * numbers and accuracies come from the files, "-" where nothing can be
 * scored, a missing module is exit 1 with the insmod hint, --watch prints one
 * snapshot per interval when piped. The real module is read in the VM tests
 * (tests/vm/predict-hackbench.sh).
 */
#include <criterion/criterion.h>

#include "cli_run.h"

static char fake_dir[64];

/* A module with two CPUs: cpu0 scored 200 switches, cpu1 none yet. */
static void fake_module(void)
{
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/koracle-status-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_dir));
	fake_write(fake_dir, "enabled", "1\n");
	fake_write(fake_dir, "model_info", "none\n");
	fake_write(fake_dir, "predictions", "200\n");
	fake_write(fake_dir, "hits", "0\n");
	fake_write(fake_dir, "baseline_hits", "90\n");
	fake_mkdir(fake_dir, "cpu0");
	fake_mkdir(fake_dir, "cpu1");
	fake_write(fake_dir, "cpu0/next_pid", "4242\n");
	fake_write(fake_dir, "cpu0/next_comm", "koracle io 1\n");
	fake_write(fake_dir, "cpu0/predictions", "200\n");
	fake_write(fake_dir, "cpu0/hits", "0\n");
	fake_write(fake_dir, "cpu0/baseline_hits", "90\n");
	fake_write(fake_dir, "cpu1/next_pid", "-1\n");
	fake_write(fake_dir, "cpu1/next_comm", "\n");
	fake_write(fake_dir, "cpu1/predictions", "0\n");
	fake_write(fake_dir, "cpu1/hits", "0\n");
	fake_write(fake_dir, "cpu1/baseline_hits", "0\n");
}

static void fake_remove(void)
{
	fake_rmtree(fake_dir);
}

/* The line of @out that starts with @prefix, copied to @line. */
static bool line_of(const char *out, const char *prefix, char *line, size_t len)
{
	const char *p = out, *nl;
	size_t n;

	while (*p) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (!strncmp(p, prefix, strlen(prefix))) {
			snprintf(line, len, "%.*s", (int)n, p);
			return true;
		}
		p += n + (nl ? 1 : 0);
	}
	return false;
}

/* The @col-th whitespace-separated word (0-based) of @line as a string. */
static void word(const char *line, int col, char *out, size_t len)
{
	const char *p = line;
	int i;

	for (i = 0; i < col; i++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
	}
	p += strspn(p, " ");
	snprintf(out, len, "%.*s", (int)strcspn(p, " "), p);
}

TestSuite(status, .timeout = 30, .init = fake_module, .fini = fake_remove);

Test(status, selector_only_table_without_a_model)
{
	char line[256], w[64];
	struct cli_run r;

	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "model none"), "%s", r.out);
	cr_assert(strstr(r.out, "enabled 1\n"), "%s", r.out);
	cr_assert(line_of(r.out, "cpu0 ", line, sizeof(line)), "%s", r.out);
	/* cpu predictions model_top1 selector_top1 hits baseline_hits next_pid next_comm */
	word(line, 1, w, sizeof(w));
	cr_assert_str_eq(w, "200");
	word(line, 2, w, sizeof(w));
	cr_assert_str_eq(w, "-", "no model: no model accuracy: %s", line);
	word(line, 3, w, sizeof(w));
	cr_assert_str_eq(w, "45.0%", "selector 90/200: %s", line);
	word(line, 6, w, sizeof(w));
	cr_assert_str_eq(w, "4242");
	cr_assert(strstr(line, "  koracle io 1"), "comm with spaces, last: %s", line);
	cr_assert(line_of(r.out, "cpu1 ", line, sizeof(line)), "%s", r.out);
	word(line, 3, w, sizeof(w));
	cr_assert_str_eq(w, "-", "nothing scored on cpu1: %s", line);
	word(line, 6, w, sizeof(w));
	cr_assert_str_eq(w, "-1");
	word(line, 7, w, sizeof(w));
	cr_assert_str_eq(w, "-", "no task predicted: %s", line);
	cr_assert(line_of(r.out, "total ", line, sizeof(line)), "%s", r.out);
	word(line, 1, w, sizeof(w));
	cr_assert_str_eq(w, "200");
}

Test(status, model_accuracy_and_info_with_a_model)
{
	char line[256], w[64];
	struct cli_run r;

	fake_write(fake_dir, "model_info",
		   "crc=0x1234abcd channels=8 blocks=2 kernel=2 hidden=8 slots=16 macs=712 loaded=1\n");
	fake_write(fake_dir, "hits", "150\n");
	fake_write(fake_dir, "cpu0/hits", "150\n");
	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "model crc=0x1234abcd channels=8 blocks=2"), "%s", r.out);
	cr_assert(line_of(r.out, "cpu0 ", line, sizeof(line)), "%s", r.out);
	word(line, 2, w, sizeof(w));
	cr_assert_str_eq(w, "75.0%", "model 150/200: %s", line);
	cr_assert(line_of(r.out, "total ", line, sizeof(line)), "%s", r.out);
	word(line, 2, w, sizeof(w));
	cr_assert_str_eq(w, "75.0%", "%s", line);
	word(line, 3, w, sizeof(w));
	cr_assert_str_eq(w, "45.0%", "%s", line);
}

Test(status, missing_module_exits_1_with_the_insmod_hint)
{
	char gone[96];
	struct cli_run r;

	snprintf(gone, sizeof(gone), "%s/not-there", fake_dir);
	CLI_RUN(&r, gone, "status");
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "is the module loaded? try: sudo insmod koracle.ko"), "%s", r.err);
	cr_assert_str_eq(r.out, "");
}

Test(status, unreadable_value_names_the_file)
{
	char path[128];
	struct cli_run r;

	fake_write(fake_dir, "cpu1/predictions", "lots\n");
	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "cpu1/predictions"), "%s", r.err);
	cr_assert(strstr(r.err, "unexpected contents"), "%s", r.err);
	fake_write(fake_dir, "cpu1/predictions", "0\n");
	snprintf(path, sizeof(path), "%s/cpu1/next_comm", fake_dir);
	cr_assert_eq(remove(path), 0);
	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "cpu1/next_comm: No such file"), "%s", r.err);
}

Test(status, watch_when_piped_prints_one_snapshot_per_interval)
{
	struct cli_run r;
	const char *p;
	int n = 0;

	CLI_RUN(&r, fake_dir, "status", "--watch", "0.05", "--count", "3");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	for (p = r.out; (p = strstr(p, "\ntotal ")); p++)
		n++;
	cr_assert_eq(n, 3, "%s", r.out);
	cr_assert_null(strchr(r.out, '\033'), "no terminal escapes when piped");
	CLI_RUN(&r, fake_dir, "status", "--watch=0.05", "-n", "2");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
}

Test(status, usage_errors_exit_2)
{
	static const char *const bad[][5] = {
		{ "status", "--watch", "0", NULL },	/* 0 is no number of seconds: an argument */
		{ "status", "--watch=-1", NULL },
		{ "status", "--watch=1e9", NULL },
		{ "status", "--count", "2", NULL },	/* --count without --watch */
		{ "status", "--watch", "--count", "0" },
		{ "status", "extra", NULL },
		{ "status", "--bogus", NULL },
	};
	struct cli_run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli_run(&r, fake_dir, bad[i]);
		cr_assert_eq(r.status, 2, "case %zu: stderr: %s", i, r.err);
		cr_assert(strstr(r.err, "usage"), "case %zu: %s", i, r.err);
	}
	CLI_RUN(&r, fake_dir, "status", "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "--watch"), "%s", r.out);
}
