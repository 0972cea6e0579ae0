// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle train` and `koracle eval` end to end on the real binary
 * ($KORACLE_BIN) and real fixtures (tests/fixtures, imported on the fly):
 * a model trains, is deterministic for a seed and thread count, evaluates to
 * sane JSON, and every refusal is an error message with exit 1 or 2, never a
 * crash.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_io.h"

static char dir[64];
static char out[1 << 16], err[1 << 16];

static const char *bin(void)
{
	const char *b = getenv("KORACLE_BIN");

	return b && *b ? b : "user/koracle";
}

static void read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs "koracle ARGS" (a shell fragment); returns the exit code. */
static int run(const char *args)
{
	char cmd[4096], o[128], e[128];
	int st;

	snprintf(o, sizeof(o), "%s/stdout", dir);
	snprintf(e, sizeof(e), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>%s", bin(), args, o, e);
	st = system(cmd);
	read_file(o, out, sizeof(out));
	read_file(e, err, sizeof(err));
	cr_assert(WIFEXITED(st), "'%s' did not exit normally", cmd);
	return WEXITSTATUS(st);
}

static void import(const char *fixture, const char *name)
{
	char args[512];

	snprintf(args, sizeof(args),
		 "import --format ftrace tests/fixtures/%s -o %s/%s", fixture, dir, name);
	cr_assert_eq(run(args), 0, "import %s: %s", fixture, err);
}

static void setup(void)
{
	strcpy(dir, "/tmp/koracle-train-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	import("hackbench-socket.trace.gz", "a.kot");
	import("cpu-burner.trace.gz", "b.kot");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		cr_log_warn("could not remove %s", dir);
}

static bool same_file(const char *a, const char *b)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	return system(cmd) == 0;
}

TestSuite(train_cli, .init = setup, .fini = teardown, .timeout = 120);

Test(train_cli, trains_deterministically_and_evaluates)
{
	char args[1024], m1[128], m2[128];
	double top1, cov, sel;
	char *p;

	snprintf(m1, sizeof(m1), "%s/m1", dir);
	snprintf(m2, sizeof(m2), "%s/m2", dir);
	snprintf(args, sizeof(args),
		 "train %s/b.kot --val %s/a.kot -o %s --epochs 2 --threads 2 --seed 3",
		 dir, dir, m1);
	cr_assert_eq(run(args), 0, "%s", err);
	cr_assert(strstr(out, "train: epochs=2 "), "%s", out);
	cr_assert(strstr(out, "windows_per_s="), "%s", out);
	snprintf(args, sizeof(args),
		 "train %s/b.kot --val %s/a.kot -o %s --epochs 2 --threads 2 --seed 3",
		 dir, dir, m2);
	cr_assert_eq(run(args), 0, "%s", err);
	cr_assert(same_file(m1, m2), "same seed and threads, different models");
	snprintf(args, sizeof(args),
		 "train %s/b.kot --val %s/a.kot -o %s --epochs 2 --threads 2 --seed 4"
		 " --export-windows %s/w", dir, dir, m2, dir);
	cr_assert_eq(run(args), 0, "%s", err);
	cr_assert(!same_file(m1, m2), "another seed, same model");
	snprintf(args, sizeof(args), "%s/w", dir);
	read_file(args, out, 9);
	cr_assert_str_eq(out, "KOWIN1", "window export magic");

	snprintf(args, sizeof(args), "eval --model %s %s/a.kot --json", m1, dir);
	cr_assert_eq(run(args), 0, "%s", err);
	cr_assert(strstr(out, "\"label\":\"hackbench-socket\""), "%s", out);
	p = strstr(out, "\"overall\"");
	cr_assert_not_null(p, "%s", out);
	cr_assert_eq(sscanf(strstr(p, "\"top1\":"), "\"top1\":%lf", &top1), 1);
	cr_assert_eq(sscanf(strstr(p, "\"coverage\":"), "\"coverage\":%lf", &cov), 1);
	cr_assert_eq(sscanf(strstr(p, "\"selector\":"), "\"selector\":%lf", &sel), 1);
	cr_assert(top1 > 0.05 && top1 <= cov && cov <= 1.0,
		  "top1 %g coverage %g", top1, cov);
	cr_assert(sel > 0.0 && sel <= cov, "selector %g", sel);
	/* the table names every baseline */
	snprintf(args, sizeof(args), "eval --model %s %s/a.kot %s/b.kot", m1, dir, dir);
	cr_assert_eq(run(args), 0, "%s", err);
	cr_assert(strstr(out, "select") && strstr(out, "macro"), "%s", out);
}

Test(train_cli, one_file_without_val_is_refused)
{
	char args[512];

	snprintf(args, sizeof(args), "train %s/a.kot -o %s/m", dir, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "need at least 2 trace files or --val"), "%s", err);
}

Test(train_cli, usage_errors_exit_2)
{
	char args[512];

	snprintf(args, sizeof(args), "train %s/a.kot %s/b.kot", dir, dir);
	cr_assert_eq(run(args), 2);
	cr_assert(strstr(err, "-o MODEL"), "%s", err);
	snprintf(args, sizeof(args), "train %s/a.kot -o %s/m --window 10 --blocks 4", dir, dir);
	cr_assert_eq(run(args), 2);
	cr_assert(strstr(err, "warm-up"), "%s", err);
	snprintf(args, sizeof(args), "train %s/a.kot -o %s/m --lr banana", dir, dir);
	cr_assert_eq(run(args), 2);
	cr_assert_eq(run("eval a.kot"), 2);
	cr_assert(strstr(err, "--model"), "%s", err);
	cr_assert_eq(run("train --help"), 0);
	cr_assert(strstr(out, "--val"));
	cr_assert_eq(run("eval --help"), 0);
}

/* A trace with too few switches to make a window or a scored point. */
static void tiny_trace(const char *path, int switches)
{
	struct ko_trace_info info = { .version = KORACLE_TRACE_VERSION,
				      .source = KORACLE_SRC_FTRACE, .ncpus = 1 };
	struct ko_trace_writer *w;
	char e[KO_ERR_LEN];

	strcpy(info.label, "tiny");
	cr_assert_eq(ko_trace_create(path, &info, &w, e), 0, "%s", e);
	for (int i = 0; i < switches; i++) {
		struct koracle_event ev = {
			.ts_ns = 1000000 + i * 1000, .type = KORACLE_EV_SWITCH,
			.prev_pid = 100 + i % 2, .next_pid = 100 + (i + 1) % 2,
			.prev_state = KORACLE_PS_S,
		};

		strcpy(ev.comm, "t");
		cr_assert_eq(ko_trace_write(w, &ev), 0);
	}
	cr_assert_eq(ko_trace_finish(w), 0);
}

Test(train_cli, too_few_events_are_errors)
{
	char args[512], t[128];

	snprintf(t, sizeof(t), "%s/tiny.kot", dir);
	tiny_trace(t, 1);
	snprintf(args, sizeof(args), "train %s/a.kot -o %s/m --val %s", dir, dir, t);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "too few events"), "%s", err);
	snprintf(args, sizeof(args), "train %s/a.kot %s -o %s/m --epochs 1", dir, t, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "too few events"), "%s", err);
	snprintf(args, sizeof(args), "train %s/b.kot --val %s/a.kot -o %s/m --epochs 1",
		 dir, dir, dir);
	cr_assert_eq(run(args), 0, "%s", err);
	snprintf(args, sizeof(args), "eval --model %s/m %s", dir, t);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "too few events"), "%s", err);
}

Test(train_cli, eval_refuses_bad_models_and_traces)
{
	char args[512], path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/junk", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("this is not a model\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "eval --model %s %s/a.kot", path, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "not a koracle model file"), "%s", err);
	/* a trace file given as the model, and a model given as the trace */
	snprintf(args, sizeof(args), "train %s/b.kot --val %s/a.kot -o %s/m --epochs 1",
		 dir, dir, dir);
	cr_assert_eq(run(args), 0, "%s", err);
	snprintf(args, sizeof(args), "eval --model %s/m %s/m", dir, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "koracle: eval:"), "%s", err);
	snprintf(args, sizeof(args), "eval --model %s/m %s/missing.kot", dir, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "missing.kot"), "%s", err);
	/* a directory: its own error, not an I/O error */
	snprintf(args, sizeof(args), "eval --model %s/m %s", dir, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "Is a directory"), "%s", err);
}

/* A missing file is named as missing, not counted as too few files. */
Test(train_cli, missing_trace_is_named)
{
	char args[512];

	snprintf(args, sizeof(args), "train %s/missing.kot -o %s/m", dir, dir);
	cr_assert_eq(run(args), 1);
	cr_assert(strstr(err, "cannot open trace") && strstr(err, "missing.kot") &&
		  strstr(err, "No such file"), "%s", err);
}
