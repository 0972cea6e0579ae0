// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle status on a fake /sys/kernel/koracle ($KORACLE_SYSFS): the table's
 * numbers and accuracies come from the files, "-" where nothing can be
 * scored, a missing module is exit 1 with the insmod hint, --watch prints one
 * snapshot per interval when piped. The real module is read in the VM tests
 * (tests/vm/predict-hackbench.sh).
 */
#include <criterion/criterion.h>
#include <json-c/json.h>

#include "cli_run.h"

static char fake_dir[64];

/*
 * A module with two CPUs and no model: cpu0 scored 200 switches, cpu1 none
 * yet; what it published is the selector's pick, so published_hits equals
 * baseline_hits.
 */
static void fake_module(void)
{
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/koracle-status-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_dir));
	fake_write(fake_dir, "enabled", "1\n");
	fake_write(fake_dir, "model_info", "none\n");
	fake_write(fake_dir, "predictions", "200\n");
	fake_write(fake_dir, "hits", "0\n");
	fake_write(fake_dir, "baseline_hits", "90\n");
	fake_write(fake_dir, "published_hits", "90\n");
	fake_mkdir(fake_dir, "cpu0");
	fake_mkdir(fake_dir, "cpu1");
	fake_write(fake_dir, "cpu0/next_pid", "4242\n");
	fake_write(fake_dir, "cpu0/next_comm", "koracle io 1\n");
	fake_write(fake_dir, "cpu0/predictions", "200\n");
	fake_write(fake_dir, "cpu0/hits", "0\n");
	fake_write(fake_dir, "cpu0/baseline_hits", "90\n");
	fake_write(fake_dir, "cpu0/published_hits", "90\n");
	fake_write(fake_dir, "cpu1/next_pid", "-1\n");
	fake_write(fake_dir, "cpu1/next_comm", "\n");
	fake_write(fake_dir, "cpu1/predictions", "0\n");
	fake_write(fake_dir, "cpu1/hits", "0\n");
	fake_write(fake_dir, "cpu1/baseline_hits", "0\n");
	fake_write(fake_dir, "cpu1/published_hits", "0\n");
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

/* Word @col (0-based) of @line is @expect. */
static void assert_word(const char *line, int col, const char *expect)
{
	char w[64];

	word(line, col, w, sizeof(w));
	cr_assert_str_eq(w, expect, "word %d of: %s", col, line);
}

TestSuite(status, .timeout = 30, .init = fake_module, .fini = fake_remove);

Test(status, selector_only_table_without_a_model)
{
	char line[256];
	struct cli_run r;

	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "model none"), "%s", r.out);
	cr_assert(strstr(r.out, "enabled 1\n"), "%s", r.out);
	cr_assert(line_of(r.out, "cpu0 ", line, sizeof(line)), "%s", r.out);
	cr_assert(line_of(r.out, "cpu ", line, sizeof(line)), "%s", r.out);
	cr_assert(strstr(line, " predictions koracle_top1 model_top1 selector_top1 "),
		  "header: %s", line);
	cr_assert(line_of(r.out, "cpu0 ", line, sizeof(line)), "%s", r.out);
	/*
	 * cpu predictions koracle_top1 model_top1 selector_top1 hits
	 * baseline_hits next_pid next_comm
	 */
	assert_word(line, 1, "200");
	assert_word(line, 2, "45.0%");	/* published 90/200 */
	assert_word(line, 3, "-");	/* no model: no model accuracy */
	assert_word(line, 4, "45.0%");	/* selector 90/200 */
	assert_word(line, 7, "4242");
	cr_assert(strstr(line, "  koracle io 1"), "comm with spaces, last: %s", line);
	cr_assert(line_of(r.out, "cpu1 ", line, sizeof(line)), "%s", r.out);
	assert_word(line, 2, "-");	/* nothing scored on cpu1 */
	assert_word(line, 4, "-");	/* nothing scored on cpu1 */
	assert_word(line, 7, "-1");
	assert_word(line, 8, "-");	/* no task predicted */
	cr_assert(line_of(r.out, "total ", line, sizeof(line)), "%s", r.out);
	assert_word(line, 1, "200");
	assert_word(line, 2, "45.0%");
}

Test(status, model_accuracy_and_info_with_a_model)
{
	char line[256];
	struct cli_run r;

	fake_write(fake_dir, "model_info",
		   "crc=0x1234abcd channels=8 blocks=2 kernel=2 hidden=8 slots=16 macs=712 loaded=1\n");
	/* the gate published the better pick of the two: 161 of 200 hit */
	fake_write(fake_dir, "hits", "150\n");
	fake_write(fake_dir, "published_hits", "161\n");
	fake_write(fake_dir, "cpu0/hits", "150\n");
	fake_write(fake_dir, "cpu0/published_hits", "161\n");
	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "model crc=0x1234abcd channels=8 blocks=2"), "%s", r.out);
	cr_assert(line_of(r.out, "cpu0 ", line, sizeof(line)), "%s", r.out);
	assert_word(line, 2, "80.5%");	/* published 161/200 */
	assert_word(line, 3, "75.0%");	/* model 150/200 */
	assert_word(line, 4, "45.0%");	/* selector 90/200 */
	assert_word(line, 5, "150");	/* hits */
	assert_word(line, 6, "90");	/* baseline_hits */
	cr_assert(line_of(r.out, "total ", line, sizeof(line)), "%s", r.out);
	assert_word(line, 2, "80.5%");
	assert_word(line, 3, "75.0%");
	assert_word(line, 4, "45.0%");
}

/* --json: the text's figures, null where the text shows "-" */
Test(status, json_has_the_text_fields)
{
	json_object *o, *cpus, *c0, *v;
	struct cli_run r;

	CLI_RUN(&r, fake_dir, "status", "--json");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	o = json_tokener_parse(r.out);
	cr_assert_not_null(o, "not JSON: %s", r.out);
	cr_assert(json_object_object_get_ex(o, "model", &v) && !v, "model: %s", r.out);
	cr_assert(json_object_object_get_ex(o, "enabled", &v));
	cr_expect_eq(json_object_get_int(v), 1);
	cr_assert(json_object_object_get_ex(o, "cpus", &cpus));
	c0 = json_object_array_get_idx(cpus, 0);
	cr_assert_not_null(c0);
	cr_assert(json_object_object_get_ex(c0, "predictions", &v));
	cr_expect_eq(json_object_get_int(v), 200);
	cr_assert(json_object_object_get_ex(c0, "koracle_top1", &v));
	cr_expect(json_object_get_double(v) > 0.4499 && json_object_get_double(v) < 0.4501);
	cr_assert(json_object_object_get_ex(c0, "model_top1", &v) && !v, "no model: null");
	cr_assert(json_object_object_get_ex(c0, "next_pid", &v));
	cr_expect_eq(json_object_get_int(v), 4242);
	cr_assert(json_object_object_get_ex(c0, "next_comm", &v));
	cr_expect_str_eq(json_object_get_string(v), "koracle io 1");
	cr_assert(json_object_object_get_ex(o, "total", &v));
	json_object_put(o);
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

/* `status` on the fake sysfs fails (exit 1) with @needle in its stderr. */
static void status_fails_with(const char *needle)
{
	struct cli_run r;

	CLI_RUN(&r, fake_dir, "status");
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, needle), "expected '%s' in: %s", needle, r.err);
}

/* Remove file @rel of the fake sysfs. */
static void fake_unlink(const char *rel)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", fake_dir, rel);
	cr_assert_eq(remove(path), 0, "remove %s", path);
}

Test(status, unreadable_value_names_the_file)
{
	fake_write(fake_dir, "cpu1/predictions", "lots\n");
	status_fails_with("cpu1/predictions: unexpected contents");
	fake_write(fake_dir, "cpu1/predictions", "0\n");
	fake_unlink("cpu1/next_comm");
	status_fails_with("cpu1/next_comm: No such file");
	fake_write(fake_dir, "cpu1/next_comm", "\n");
	fake_write(fake_dir, "published_hits", "-3\n");
	status_fails_with("/published_hits: unexpected contents");
	fake_write(fake_dir, "published_hits", "90\n");
	fake_unlink("cpu0/published_hits");
	status_fails_with("cpu0/published_hits: No such file");
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
