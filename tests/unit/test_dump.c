// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle import` and `koracle dump` through the CLI ($KORACLE_BIN) on the
 * real fixtures: the import summary line, dump --stats numbers against the
 * source's own event counts, dump --csv read back by the ko2csv importer
 * with the same switch sequence, errors and usage.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "trace_io.h"

#define FIX "tests/fixtures/"

struct dir {
	char path[64];
};

static void mkdir_tmp(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/ko-dump-test-XXXXXX");
	cr_assert(mkdtemp(d->path), "mkdtemp: %s", strerror(errno));
}

static void rm_tmp(const struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	cr_expect_eq(system(cmd), 0);
}

/* Runs the CLI with @args, stdout to @out, stderr to @err; exit status. */
static int run(const char *out, const char *err, const char *const args[])
{
	const char *bin = getenv("KORACLE_BIN");
	const char *argv[16];
	int i, st;
	pid_t pid;

	if (!bin)
		bin = "user/koracle";
	argv[0] = bin;
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "%s did not exit", bin);
	cr_assert_neq(WEXITSTATUS(st), 127, "cannot run %s: set KORACLE_BIN", bin);
	return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 16];
	size_t n;

	cr_assert(f, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Value of "KEY VALUE" in @text, as a number; asserts the key exists. */
static unsigned long long key_num(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "%s ", key);
	for (p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, pat, strlen(pat)))
			return strtoull(p + strlen(pat), NULL, 10);
	cr_assert_fail("no key %s in:\n%s", key, text);
	return 0;
}

struct src {
	unsigned long long sw, wk, wkn, mig, ex;
};

static void count_source(const char *path, struct src *s)
{
	char line[4096];
	gzFile gz = gzopen(path, "rb");

	memset(s, 0, sizeof(*s));
	cr_assert(gz);
	while (gzgets(gz, line, sizeof(line))) {
		const char *p = strstr(line, " sched_migrate_task: ");
		int o, d;

		s->sw += !!strstr(line, " sched_switch: ");
		s->wk += !!strstr(line, " sched_wakeup: ");
		s->wkn += !!strstr(line, " sched_wakeup_new: ");
		s->ex += !!strstr(line, " sched_process_exit: ");
		if (p) {
			cr_assert(sscanf(strstr(p, "orig_cpu=") + 9, "%d", &o) == 1);
			cr_assert(sscanf(strstr(p, "dest_cpu=") + 9, "%d", &d) == 1);
			s->mig += o == d ? 1 : 2;
		}
	}
	gzclose(gz);
}

Test(dump, stats_match_the_source, .timeout = 120)
{
	static const char *const keys[] = { "records", "switches", "wakeups",
		"wakeups_new", "migrates", "exits", "lost", "chain_breaks",
		"label", "source", "cpu0", "cpu1" };
	char kot[128], out[128], err[128], *text;
	unsigned long long breaks;
	struct dir d;
	struct src s;
	const char *p;
	size_t i;

	mkdir_tmp(&d);
	snprintf(kot, sizeof(kot), "%s/m.kot", d.path);
	snprintf(out, sizeof(out), "%s/out", d.path);
	snprintf(err, sizeof(err), "%s/err", d.path);
	count_source(FIX "mixed-io.trace.gz", &s);

	cr_assert_eq(run(out, err, (const char *const[]){ "import", "--format", "ftrace",
		FIX "mixed-io.trace.gz", "-o", kot, NULL }), 0, "%s", slurp(err));
	text = slurp(err);
	p = strstr(text, "import: records=");
	cr_assert(p, "summary line: %s", text);
	{
		unsigned long long r, sw, ig, br, bad;
		char file[128];

		cr_assert_eq(sscanf(p, "import: records=%llu switches=%llu ignored=%llu chain_breaks=%llu bad=%llu file=%127s",
				    &r, &sw, &ig, &br, &bad, file), 6, "%s", p);
		cr_expect_eq(r, s.sw + s.wk + s.wkn + s.mig + s.ex);
		cr_expect_eq(sw, s.sw);
		cr_expect_eq(bad, 0);
		cr_expect_str_eq(file, kot);
		breaks = br;
	}

	cr_assert_eq(run(out, err, (const char *const[]){ "dump", "--stats", kot, NULL }), 0,
		     "%s", slurp(err));
	text = slurp(out);
	/* exactly these keys, in this order */
	for (i = 0, p = text; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cr_assert(!strncmp(p, keys[i], strlen(keys[i])) && p[strlen(keys[i])] == ' ',
			  "line %zu is %s:\n%s", i + 1, keys[i], text);
		p = strchr(p, '\n');
		cr_assert(p);
		p++;
	}
	cr_expect_eq(*p, '\0', "nothing after the CPUs:\n%s", text);
	cr_expect_eq(key_num(text, "records"), s.sw + s.wk + s.wkn + s.mig + s.ex);
	cr_expect_eq(key_num(text, "switches"), s.sw);
	cr_expect_eq(key_num(text, "wakeups"), s.wk);
	cr_expect_eq(key_num(text, "wakeups_new"), s.wkn);
	cr_expect_eq(key_num(text, "migrates"), s.mig);
	cr_expect_eq(key_num(text, "exits"), s.ex);
	cr_expect_eq(key_num(text, "lost"), 0);
	cr_expect_eq(key_num(text, "chain_breaks"), breaks, "same as import's");
	cr_expect_eq(key_num(text, "cpu0") + key_num(text, "cpu1"), key_num(text, "records"));
	cr_expect(strstr(text, "\nlabel mixed-io\n"), "label from the file name:\n%s", text);
	cr_expect(strstr(text, "\nsource ftrace\n"), "%s", text);

	/* --json: the same keys and values, one object */
	text = strdup(text);	/* slurp()'s buffer is reused */
	cr_assert_not_null(text);
	cr_assert_eq(run(out, err, (const char *const[]){ "dump", "--stats", "--json", kot,
		NULL }), 0, "%s", slurp(err));
	{
		json_object *o = json_tokener_parse(slurp(out)), *v;

		cr_assert_not_null(o, "not JSON: %s", slurp(out));
		cr_expect_eq((size_t)json_object_object_length(o), sizeof(keys) / sizeof(keys[0]));
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			cr_assert(json_object_object_get_ex(o, keys[i], &v), "no %s", keys[i]);
			if (json_object_is_type(v, json_type_string))
				continue;
			cr_expect_eq((unsigned long long)json_object_get_uint64(v),
				     key_num(text, keys[i]), "%s", keys[i]);
		}
		json_object_put(o);
	}
	free(text);
	rm_tmp(&d);
}

Test(dump, text_has_one_line_per_record, .timeout = 120)
{
	char kot[128], out[128], err[128], line[512];
	unsigned long long lines = 0, records;
	bool seen_spaces = false;
	struct dir d;
	FILE *f;

	mkdir_tmp(&d);
	snprintf(kot, sizeof(kot), "%s/m.kot", d.path);
	snprintf(out, sizeof(out), "%s/out", d.path);
	snprintf(err, sizeof(err), "%s/err", d.path);
	cr_assert_eq(run(out, err, (const char *const[]){ "import", "--format", "ftrace",
		FIX "mixed-io.trace.gz", "-o", kot, "--label", "my label", NULL }), 0);
	cr_assert_eq(run(out, err, (const char *const[]){ "dump", kot, "--stats", NULL }), 0);
	records = key_num(slurp(out), "records");
	cr_expect(strstr(slurp(out), "\nlabel my label\n"), "--label: %s", slurp(out));
	cr_assert_eq(run(out, err, (const char *const[]){ "dump", kot, NULL }), 0);
	f = fopen(out, "r");
	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		lines++;
		if (strstr(line, " switch prev_pid=10115 prev_state=D next_pid=10117 next_comm=koracle io 1 next_prio=120\n"))
			seen_spaces = true;
	}
	fclose(f);
	cr_expect_eq(lines, records);
	cr_expect(seen_spaces, "the switch between two \"koracle io 1\" tasks is there");
	rm_tmp(&d);
}

/* Switch records of a trace file, in order. */
static struct koracle_event *switches_of(const char *path, size_t *n)
{
	struct ko_trace_reader *r;
	struct koracle_event e, *v = NULL;
	char err[KO_ERR_LEN];
	size_t cap = 0;
	int ret;

	*n = 0;
	cr_assert_eq(ko_trace_open(path, &r, err), 0, "%s", err);
	while ((ret = ko_trace_next(r, &e)) == 1) {
		if (e.type != KORACLE_EV_SWITCH)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			v = realloc(v, cap * sizeof(*v));
			cr_assert(v);
		}
		v[(*n)++] = e;
	}
	cr_assert_eq(ret, 0, "%s", ko_trace_error(r));
	ko_trace_close(r);
	return v;
}

Test(dump, csv_round_trips_through_ko2csv, .timeout = 120)
{
	char kot[128], csv[128], back[128], err[128];
	struct koracle_event *a, *b;
	size_t na, nb, i, diff_prev = 0, unknown = 0;
	s32 last[2] = { -1, -1 };
	struct dir d;

	mkdir_tmp(&d);
	snprintf(kot, sizeof(kot), "%s/l.kot", d.path);
	snprintf(csv, sizeof(csv), "%s/l.csv", d.path);
	snprintf(back, sizeof(back), "%s/back.kot", d.path);
	snprintf(err, sizeof(err), "%s/err", d.path);
	cr_assert_eq(run(csv, err, (const char *const[]){ "import", "--format", "ftrace",
		FIX "loopback-http.trace.gz", "-o", kot, NULL }), 0, "%s", slurp(err));
	cr_assert_eq(run(csv, err, (const char *const[]){ "dump", "--csv", kot, NULL }), 0,
		     "%s", slurp(err));
	cr_assert_eq(run(back, err, (const char *const[]){ "import", "--format", "ko2csv",
		csv, "-o", back, NULL }), 0, "%s", slurp(err));
	a = switches_of(kot, &na);
	b = switches_of(back, &nb);
	cr_assert_gt(na, 1000);
	cr_assert_eq(na, nb);
	for (i = 0; i < na; i++) {
		cr_assert_eq(a[i].ts_ns / 1000, b[i].ts_ns / 1000, "row %zu", i);
		cr_assert_eq(a[i].cpu, b[i].cpu, "row %zu", i);
		cr_assert_eq(a[i].next_pid, b[i].next_pid, "row %zu", i);
		cr_assert_eq(a[i].prev_state, b[i].prev_state, "row %zu", i);
		cr_assert_eq(a[i].flags, b[i].flags, "row %zu", i);
		cr_assert_eq(memcmp(a[i].comm, b[i].comm, KORACLE_COMM_LEN), 0, "row %zu", i);
		cr_assert_lt(a[i].cpu, 2);
		/* where the chain held and the CSV knew the comm, prev_pid survives */
		if (b[i].prev_pid == -1)
			unknown++;
		else if (b[i].prev_pid != a[i].prev_pid)
			diff_prev++;
		if (last[a[i].cpu] != -1 && a[i].prev_pid == last[a[i].cpu])
			cr_assert(b[i].prev_pid == a[i].prev_pid || b[i].prev_pid == -1,
				  "row %zu: prev_pid %d became %d", i, a[i].prev_pid,
				  b[i].prev_pid);
		last[a[i].cpu] = a[i].next_pid;
	}
	/* inferred prev_pids differ only at the source's own chain breaks */
	cr_expect_lt(diff_prev, 30, "%zu of %zu", diff_prev, na);
	cr_expect_lt(unknown * 100, na, "%zu unknown of %zu", unknown, na);
	free(a);
	free(b);
	rm_tmp(&d);
}

Test(dump, import_errors_and_usage, .timeout = 120)
{
	char in[128], kot[128], out[128], err[128], want[160];
	struct dir d;
	FILE *f;

	mkdir_tmp(&d);
	snprintf(in, sizeof(in), "%s/bad.trace", d.path);
	snprintf(kot, sizeof(kot), "%s/bad.kot", d.path);
	snprintf(out, sizeof(out), "%s/out", d.path);
	snprintf(err, sizeof(err), "%s/err", d.path);
	f = fopen(in, "w");
	cr_assert(f);
	/* a real line, then the same line cut short */
	fputs("# tracer: nop\n"
	      "          <idle>-0       [001]   3240.987725: sched_wakeup: comm=memfd:sealed-91 pid=5287 prio=120 target_cpu=001\n"
	      "          <idle>-0       [001]   3240.987725: sched_wakeup: comm=memfd:sealed-91 pid=5287 pr\n", f);
	fclose(f);
	cr_expect_eq(run(out, err, (const char *const[]){ "import", "--format", "ftrace",
		in, "-o", kot, NULL }), 1);
	snprintf(want, sizeof(want), "%s:3:", in);
	cr_expect(strstr(slurp(err), want), "names %s: %s", want, slurp(err));
	cr_expect_neq(access(kot, F_OK), 0, "no partial output left behind");

	cr_expect_eq(run(out, err, (const char *const[]){ "import", "--format", "ftrace",
		in, "-o", kot, "--skip-bad", NULL }), 0, "%s", slurp(err));
	cr_expect(strstr(slurp(err), "records=1 switches=0 ignored=0 chain_breaks=0 bad=1"),
		  "%s", slurp(err));

	cr_expect_eq(run(out, err, (const char *const[]){ "import", in, "-o", kot, NULL }), 2);
	cr_expect(strstr(slurp(err), "--format"), "%s", slurp(err));
	cr_expect_eq(run(out, err, (const char *const[]){ "import", "--format", "pcap",
		in, "-o", kot, NULL }), 2);
	cr_expect_eq(run(out, err, (const char *const[]){ "import", "--format", "ftrace",
		in, NULL }), 2);
	cr_expect_eq(run(out, err, (const char *const[]){ "dump", NULL }), 2);
	cr_expect_eq(run(out, err, (const char *const[]){ "dump", kot, kot, NULL }), 2);
	cr_expect_eq(run(out, err, (const char *const[]){ "dump", "--csv", "--stats", kot, NULL }), 2);
	cr_expect_eq(run(out, err, (const char *const[]){ "dump", in, NULL }), 1,
		     "a text file is not a trace file");
	cr_expect(strstr(slurp(err), in), "names the file: %s", slurp(err));
	rm_tmp(&d);
}
