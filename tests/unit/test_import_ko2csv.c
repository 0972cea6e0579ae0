// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The KernelOracle2 CSV importer: CSV quoting, prev_pid inference per CPU
 * and trace_id, chain breaks seen through prev_comm, errors with file:line.
 * Row values come from a real mixed-io ftrace run on this machine (an
 * earlier collection than tests/fixtures/), written the way KernelOracle2's
 * collect_traces.py writes them (header row, %.6f timestamps, ftrace's
 * zero-padded CPU, Python csv quoting); the quoted comm is made up.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import_ko2csv.h"

struct evlist {
	struct koracle_event ev[64];
	size_t n;
};

static int collect(void *ctx, const struct koracle_event *ev, char err[KO_ERR_LEN])
{
	struct evlist *l = ctx;

	if (l->n == 64) {
		snprintf(err, KO_ERR_LEN, "too many records");
		return -E2BIG;
	}
	l->ev[l->n++] = *ev;
	return 0;
}

static void write_tmp(char path[64], const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/ko-csv-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

static int import_text(const char *text, bool skip_bad, struct evlist *l,
		       struct ko_import_stats *st, char err[KO_ERR_LEN],
		       char path[64])
{
	struct ko_import_opts o = { .skip_bad = skip_bad, .quiet = true,
				    .emit = collect, .ctx = l };
	int ret;

	write_tmp(path, text);
	memset(st, 0, sizeof(*st));
	memset(l, 0, sizeof(*l));
	err[0] = '\0';
	ret = ko_ko2csv_import(path, &o, st, err);
	ko_import_stats_release(st);
	return ret;
}

Test(import_ko2csv, csv_split_quoting)
{
	char line[] = "a,\"b,c\",\"say \"\"hi\"\"\",,\"\"";
	char *f[8];

	cr_assert_eq(ko_csv_split(line, f, 8), 5);
	cr_expect_str_eq(f[0], "a");
	cr_expect_str_eq(f[1], "b,c");
	cr_expect_str_eq(f[2], "say \"hi\"");
	cr_expect_str_eq(f[3], "");
	cr_expect_str_eq(f[4], "");
}

Test(import_ko2csv, csv_split_errors)
{
	char open_quote[] = "a,\"b,c";
	char stray[] = "a,b\"c";
	char after[] = "\"a\"b,c";
	char many[] = "1,2,3";
	char *f[2];

	cr_expect_eq(ko_csv_split(open_quote, f, 2), -EINVAL);
	cr_expect_eq(ko_csv_split(stray, f, 2), -EINVAL);
	cr_expect_eq(ko_csv_split(after, f, 2), -EINVAL);
	cr_expect_eq(ko_csv_split(many, f, 2), -E2BIG);
}

static const char csv_ok[] =
	"timestamp,time_diff,task_name,pid,cpu,prev_state,prev_comm,workload_type,trace_id\n"
	"2226.635095,0.000000000,cc1,30195,000,R,swapper/0,io_mixed,io_mixed_run0\n"
	"2226.635096,0.000001000,qemu-system-x86,27403,001,D,collect-fixture,io_mixed,io_mixed_run0\n"
	"2226.639655,0.004559000,koracle io 1,30207,001,R+,qemu-system-x86,io_mixed,io_mixed_run0\n"
	"2226.640353,0.000698000,\"a,\"\"b\"\"\",555,001,D|K,koracle io 1,io_mixed,io_mixed_run0\n"
	"2226.641000,0.000647000,rcu_preempt,15,000,I,kworker/0:1,io_mixed,io_mixed_run0\n"
	"2227.000001,0.359001000,cc1,30195,000,S,rcu_preempt,io_mixed,io_mixed_run1\n"
	"2227.000002,0.000001000,rcu_preempt,15,0,S,cc1,io_mixed,io_mixed_run1\n";

Test(import_ko2csv, rows_become_switches)
{
	char path[64], err[KO_ERR_LEN];
	struct ko_import_stats st;
	struct evlist l;
	const struct koracle_event *e = l.ev;
	size_t i;

	cr_assert_eq(import_text(csv_ok, false, &l, &st, err, path), 0, "%s", err);
	cr_assert_eq(l.n, 7);
	cr_expect_eq(st.switches, 7);
	cr_expect_eq(st.records, 7);
	cr_expect_eq(st.ncpus, 2);
	cr_expect_str_eq(st.workload, "io_mixed");
	for (i = 0; i < l.n; i++) {
		cr_expect_eq(e[i].type, KORACLE_EV_SWITCH);
		cr_expect_eq(e[i].prio, 0, "not in the CSV");
	}
	cr_expect_eq(e[0].ts_ns, 2226635095000ull);
	cr_expect_eq(e[0].cpu, 0);
	cr_expect_eq(e[0].next_pid, 30195);
	cr_expect_str_eq(e[0].comm, "cc1");
	cr_expect_eq(e[0].prev_pid, -1, "first switch on its CPU");
	cr_expect_eq(e[1].cpu, 1);
	cr_expect_eq(e[1].prev_state, KORACLE_PS_D);
	cr_expect_eq(e[1].prev_pid, -1);
	cr_expect_eq(e[2].prev_pid, 27403, "the previous row on CPU 1");
	cr_expect_eq(e[2].flags, KORACLE_RF_PREEMPT);
	cr_expect_str_eq(e[2].comm, "koracle io 1");
	cr_expect_str_eq(e[3].comm, "a,\"b\"");
	cr_expect_eq(e[3].prev_pid, 30207);
	cr_expect_eq(e[3].prev_state, KORACLE_PS_D, "D|K");
	/* CPU 0 ran cc1, but kworker/0:1 switched out: a switch is missing */
	cr_expect_eq(e[4].prev_pid, -1);
	cr_expect_eq(e[4].prev_state, KORACLE_PS_I);
	/* a new trace_id starts fresh chains; its seam on CPU 0 is a break too */
	cr_expect_eq(e[5].prev_pid, -1);
	cr_expect_eq(st.chain_breaks, 2);
	cr_expect_eq(e[6].prev_pid, 30195, "cpu 0 spelled \"0\" or \"000\"");
	unlink(path);
}

Test(import_ko2csv, malformed_rows_name_file_and_line)
{
	static const char text[] =
		"timestamp,time_diff,task_name,pid,cpu,prev_state,prev_comm,workload_type,trace_id\n"
		"2226.635095,0.000000000,cc1,30195,000,R,swapper/0,io_mixed,io_mixed_run0\n"
		"2226.635096,0.000001000,qemu-system-x86,27x03,001,D,collect-fixture,io_mixed,io_mixed_run0\n"
		"2226.639655,0.004559000,\"koracle io 1,30207,001,R+,qemu-system-x86,io_mixed,io_mixed_run0\n"
		"2226.640353,0.000698000,cc1,30203,001,Q,koracle io 1,io_mixed,io_mixed_run0\n"
		"2226.641000,0.000647000,rcu_preempt,15,000,I,cc1,io_mixed\n"
		"2226.641001,0.000001000,cc1,30195,000,R,rcu_preempt,io_mixed,io_mixed_run0\n";
	char path[64], err[KO_ERR_LEN], want[96];
	struct ko_import_stats st;
	struct evlist l;

	cr_expect_eq(import_text(text, false, &l, &st, err, path), -EINVAL);
	snprintf(want, sizeof(want), "%s:3:", path);
	cr_expect(strstr(err, want), "names %s: %s", want, err);
	cr_expect(strstr(err, "pid"), "and the field: %s", err);
	cr_expect_eq(l.n, 1);
	unlink(path);

	cr_expect_eq(import_text(text, true, &l, &st, err, path), 0, "%s", err);
	cr_expect_eq(st.bad, 4, "bad pid, open quote, bad state, short row");
	cr_expect_eq(l.n, 2);
	unlink(path);
}

Test(import_ko2csv, header_without_required_column)
{
	static const char text[] =
		"timestamp,time_diff,task_name,cpu,prev_state,prev_comm,workload_type,trace_id\n"
		"2226.635095,0.000000000,cc1,000,R,swapper/0,io_mixed,io_mixed_run0\n";
	char path[64], err[KO_ERR_LEN], want[96];
	struct ko_import_stats st;
	struct evlist l;

	cr_expect_eq(import_text(text, true, &l, &st, err, path), -EINVAL);
	snprintf(want, sizeof(want), "%s:1:", path);
	cr_expect(strstr(err, want), "names %s: %s", want, err);
	cr_expect(strstr(err, "'pid'"), "names the column: %s", err);
	unlink(path);
}

Test(import_ko2csv, empty_file_is_an_error)
{
	char path[64], err[KO_ERR_LEN];
	struct ko_import_stats st;
	struct evlist l;

	cr_expect_eq(import_text("", false, &l, &st, err, path), -EINVAL);
	cr_expect(strstr(err, "no header"), "%s", err);
	unlink(path);
}

Test(import_ko2csv, peek_workload_reads_first_row)
{
	char path[64], err[KO_ERR_LEN], wl[65];

	write_tmp(path, csv_ok);
	cr_assert_eq(ko_ko2csv_peek_workload(path, wl, sizeof(wl), err), 0, "%s", err);
	cr_expect_str_eq(wl, "io_mixed");
	unlink(path);
}
