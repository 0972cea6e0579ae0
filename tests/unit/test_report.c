// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle report` end to end on the real binary ($KORACLE_BIN): real
 * fixtures are imported, a tiny model trained and evaluated (eval --json),
 * then the report's Markdown must carry the JSON's own numbers (pooled by
 * label), the median of a step_ns histogram computed here by hand, the bench
 * lines in the right places, and a PNG of the size the script asks for.
 * Every refusal names its file (and line) and exits 1, or 2 for usage.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>

#include "cli_run.h"

#define RUN(r, ...) CLI_RUN((r), NULL, __VA_ARGS__)

static char dir[64];
static char eval_json[128], model[128];

static char *path_in(const char *name)
{
	static char bufs[8][256];
	static int next;
	char *p = bufs[next++ % 8];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void import(const char *fixture, const char *name, const char *label)
{
	struct cli_run r;
	char in[128];

	snprintf(in, sizeof(in), "tests/fixtures/%s", fixture);
	if (label)
		RUN(&r, "import", "--format", "ftrace", in, "-o", path_in(name),
		    "--label", label);
	else
		RUN(&r, "import", "--format", "ftrace", in, "-o", path_in(name));
	cr_assert_eq(r.status, 0, "import %s: %s", fixture, r.err);
}

/* eval --json of @traces (NULL-terminated) into eval.json */
static void eval_to_file(const char *const *traces)
{
	const char *args[16] = { "eval", "--model", model, "--json" };
	struct cli_run r;
	int n = 4;

	for (; *traces; traces++)
		args[n++] = path_in(*traces);
	args[n] = NULL;
	cli_run(&r, NULL, args);
	cr_assert_eq(r.status, 0, "eval: %s", r.err);
	fake_write(dir, "eval.json", r.out);
}

static void setup(void)
{
	struct cli_run r;

	strcpy(dir, "/tmp/koracle-report-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(eval_json, sizeof(eval_json), "%s/eval.json", dir);
	snprintf(model, sizeof(model), "%s/m", dir);
	import("loopback-http.trace.gz", "lh.kot", NULL);
	import("cpu-burner.trace.gz", "cb.kot", NULL);
	import("hackbench-pipe.trace.gz", "hp1.kot", NULL);
	/* the same workload recorded by trace-cmd: pooled with hp1 */
	import("hackbench-pipe-tracecmd.report.gz", "hp2.kot", "hackbench-pipe");
	RUN(&r, "train", path_in("cb.kot"), "--val", path_in("lh.kot"), "-o", model,
	    "--epochs", "1", "--threads", "2", "--seed", "3");
	cr_assert_eq(r.status, 0, "train: %s", r.err);
	eval_to_file((const char *const[]){ "lh.kot", "hp1.kot", "hp2.kot",
					    "cb.kot", NULL });
}

static void teardown(void)
{
	fake_rmtree(dir);
}

TestSuite(report, .init = setup, .fini = teardown, .timeout = 120);

/* Pooled @key (top1, or a baseline when @base) of @label, from eval.json. */
static double json_pooled(const char *label, const char *key, bool base)
{
	struct json_object *root = json_object_from_file(eval_json), *traces;
	double num = 0, den = 0;
	size_t i, n;

	cr_assert_not_null(root, "%s is not JSON", eval_json);
	cr_assert(json_object_object_get_ex(root, "traces", &traces));
	n = json_object_array_length(traces);
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(traces, i), *x, *o = t;
		double p;

		cr_assert(json_object_object_get_ex(t, "label", &x));
		if (strcmp(json_object_get_string(x), label))
			continue;
		cr_assert(json_object_object_get_ex(t, "predictions", &x));
		p = json_object_get_double(x);
		if (base)
			cr_assert(json_object_object_get_ex(t, "baselines", &o));
		cr_assert(json_object_object_get_ex(o, key, &x));
		num += json_object_get_double(x) * p;
		den += p;
	}
	json_object_put(root);
	cr_assert_gt(den, 0, "no trace labelled %s", label);
	return num / den;
}

/* The cells of the Markdown table line that starts with "| @first |". */
static int md_cells(const char *md, const char *first, char cells[][96], int max)
{
	char start[128];
	const char *p, *end;
	int n = 0;

	snprintf(start, sizeof(start), "\n| %s |", first);
	p = strstr(md, start);
	cr_assert_not_null(p, "no table row '%s' in:\n%s", first, md);
	p += 2;
	end = strchr(p, '\n');
	while (p < end && n < max) {
		const char *q = strchr(p, '|');

		if (!q || q >= end)
			break;
		if (q > p) {
			const char *a = p, *b = q;

			while (a < b && *a == ' ')
				a++;
			while (b > a && b[-1] == ' ')
				b--;
			snprintf(cells[n], 96, "%.*s", (int)(b - a), a);
			n++;
		}
		p = q + 1;
	}
	return n;
}

/* The cell of row @row under the header @col. */
static const char *md_cell(const char *md, const char *row, const char *col)
{
	static char head[32][96], cells[32][96];
	int nh = md_cells(md, "workload", head, 32), nc, i;

	nc = md_cells(md, row, cells, 32);
	cr_assert_eq(nc, nh, "row '%s' has %d cells, the header %d", row, nc, nh);
	for (i = 0; i < nh; i++)
		if (!strcmp(head[i], col))
			return cells[i];
	cr_assert_fail("no column '%s'", col);
	return NULL;
}

static void assert_pct(const char *md, const char *row, const char *col, double frac)
{
	const char *cell = md_cell(md, row, col);
	double v = strtod(cell, NULL);

	cr_assert(fabs(v - 100 * frac) <= 0.05 + 1e-9,
		  "%s / %s: report says '%s', eval.json %.4f%%", row, col, cell, 100 * frac);
}

/* The PNG's signature and its IHDR width and height. */
static void assert_png(const char *path, uint32_t w, uint32_t h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char b[24];
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	cr_assert_eq(fread(b, 1, sizeof(b), f), sizeof(b), "%s is too short", path);
	fclose(f);
	cr_assert_arr_eq(b, sig, 8, "%s is not a PNG", path);
	cr_assert_arr_eq(b + 12, "IHDR", 4);
	cr_assert_eq((uint32_t)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19], w);
	cr_assert_eq((uint32_t)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23], h);
}

/*
 * Two step_ns files in the kernel's format. Summed: bucket 0 (0 ns) 2,
 * bucket 2 ([2,4) ns) 1, bucket 10 ([512,1024)) 3, 11 ([1024,2048)) 10,
 * 12 6, 13 1: 23 steps, rank 23/2 = 11; buckets below 11 hold 2+1+3 = 6,
 * so the median is 1024 + 1024 * (11 - 6) / 10 = 1536 ns.
 */
static void write_latency(void)
{
	fake_write(dir, "lat1", "0 0\n1 0\n2 0\n4 0\n8 0\n16 0\n32 0\n64 0\n128 0\n"
		   "256 0\n512 3\n1024 10\n2048 6\n4096 1\nmedian_ns 1740\n");
	fake_write(dir, "lat2", "0 2\n1 0\n2 1\nmedian_ns 0\n");
}

static const char bench_text[] =
	"demo: some progress line\n"
	"bench: # a comment\n"
	"bench: live_koracle_top1_loopback-http 0.637 fraction\n"
	"bench: live_model_top1_loopback-http 0.612 fraction\n"
	"bench: live_selector_top1_loopback-http 0.405 fraction\n"
	"bench: live_predictions_loopback-http 2185 count\n"
	"bench: step_median_ns_loopback-http 10079 ns\n"
	"bench: overhead_ratio_loopback-http 1.277 x\n"
	"bench: live_model_top1_not-in-eval 0.5 fraction\n"
	"bench: step_macs 352\n";

Test(report, tables_carry_the_inputs_numbers_and_the_png_is_drawn)
{
	static const char *const labels[] = { "loopback-http", "hackbench-pipe",
					      "cpu-burner" };
	char out[128], want[512], *md, *gp;
	struct cli_run r;

	write_latency();
	fake_write(dir, "bench.txt", bench_text);
	snprintf(out, sizeof(out), "%s/a/b", dir);
	RUN(&r, "report", "--eval", eval_json, "--bench", path_in("bench.txt"),
	    "--latency", path_in("lat1"), "--latency", path_in("lat2"),
	    "--seen", "cpu-burner", "--title", "unit test report", "-o", path_in("a/b/"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	snprintf(want, sizeof(want), "\nreport: %s/report.png\nreport: %s/report.md\n",
		 out, out);
	cr_assert(strlen(r.out) > strlen(want) &&
		  !strcmp(r.out + strlen(r.out) - strlen(want), want),
		  "stdout ends with the two report: lines: %s", r.out);

	md = slurp(path_in("a/b/report.md"));
	cr_assert(strstr(md, "# unit test report\n"), "%s", md);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		assert_pct(md, labels[i], "koracle top-1 %", json_pooled(labels[i], "top1", false));
		assert_pct(md, labels[i], "selector %", json_pooled(labels[i], "selector", true));
		assert_pct(md, labels[i], "markov2 %", json_pooled(labels[i], "markov2", true));
		assert_pct(md, labels[i], "coverage %", json_pooled(labels[i], "coverage", false));
		/* and the stdout table has the row too */
		snprintf(want, sizeof(want), "\n%s ", labels[i]);
		cr_assert(strstr(r.out, want), "stdout row %s: %s", labels[i], r.out);
	}
	cr_assert(strstr(r.out, "\nmacro (mean per workload) "), "%s", r.out);
	cr_assert(strstr(md, "| *macro (mean per workload)* |"), "%s", md);
	cr_assert_str_eq(md_cell(md, "cpu-burner", "trained on"), "yes");
	cr_assert_str_eq(md_cell(md, "loopback-http", "trained on"), "no");

	/* live figures where bench has them, a dash elsewhere */
	cr_assert_str_eq(md_cell(md, "loopback-http", "live koracle %"), "63.7");
	cr_assert_str_eq(md_cell(md, "loopback-http", "live model %"), "61.2");
	cr_assert_str_eq(md_cell(md, "loopback-http", "live selector %"), "40.5");
	cr_assert_str_eq(md_cell(md, "loopback-http", "live predictions"), "2185");
	cr_assert_str_eq(md_cell(md, "loopback-http", "ns/step (median)"), "10079");
	cr_assert_str_eq(md_cell(md, "loopback-http", "overhead ×"), "1.277");
	cr_assert_str_eq(md_cell(md, "cpu-burner", "live model %"), "–");
	cr_assert_str_eq(md_cell(md, "cpu-burner", "live koracle %"), "–");
	/* what the module published comes first among the live accuracies */
	cr_assert(strstr(md, " | live predictions | live koracle % | live model % | live selector % |"),
		  "%s", md);
	cr_assert(strstr(r.out, "  live_preds  live_kor%  live_model%  live_sel%"), "%s", r.out);
	snprintf(want, sizeof(want), "  2185       63.7         61.2       40.5");
	cr_assert(strstr(r.out, want), "stdout loopback-http live cells '%s': %s", want, r.out);
	cr_assert_str_eq(md_cell(md, "hackbench-pipe", "overhead ×"), "–");

	/* a hand-computed median of the summed histograms */
	cr_assert(strstr(md, "**23 steps, median 1536 ns**"), "%s", md);
	cr_assert(strstr(md, "| [1.02 µs, 2.05 µs) | 10 | 43.5 | 69.6 |"), "%s", md);
	cr_assert(strstr(md, "| [4 ns, 512 ns) | 0 |"), "empty buckets merged: %s", md);

	/* everything else verbatim, nothing of the comment or other output */
	cr_assert(strstr(md, "| `live_model_top1_not-in-eval` | 0.5 | fraction |"), "%s", md);
	cr_assert(strstr(md, "| `step_macs` | 352 |  |"), "%s", md);
	cr_assert_null(strstr(md, "`live_model_top1_loopback-http`"), "%s", md);
	cr_assert_null(strstr(md, "`live_koracle_top1_loopback-http`"), "%s", md);
	cr_assert_null(strstr(md, "comment"), "%s", md);
	cr_assert(strstr(md, "![accuracy and latency](report.png)"));

	assert_png(path_in("a/b/report.png"), 1200, 900);
	gp = slurp(path_in("a/b/report.gp"));
	cr_assert(strstr(gp, "set output 'report.png'"), "%s", gp);
	cr_assert(strstr(gp, "'hackbench-pipe' 1"), "%s", gp);
	free(gp);
	free(md);
}

Test(report, usage_errors_exit_2)
{
	struct cli_run r;

	RUN(&r, "report", "-o", path_in("out"));
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--eval"), "%s", r.err);
	RUN(&r, "report", "--eval", eval_json);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "-o DIR"), "%s", r.err);
	RUN(&r, "report", "--eval", eval_json, "--eval", eval_json, "-o", path_in("out"));
	cr_assert_eq(r.status, 2);
	RUN(&r, "report", "--eval", eval_json, "-o", path_in("out"), "stray");
	cr_assert_eq(r.status, 2);
	RUN(&r, "report", "--eval", eval_json, "-o", path_in("out"), "--title", "a\nb");
	cr_assert_eq(r.status, 2);
	RUN(&r, "report", "--bogus");
	cr_assert_eq(r.status, 2);
	RUN(&r, "report", "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "usage: koracle report"), "%s", r.out);
	cr_assert_eq(access(path_in("out"), F_OK), -1, "no output on usage errors");
}

/* report with @eval and one @opt FILE pair; expects exit 1 and @msg. */
static void expect_fail(const char *eval, const char *opt, const char *file,
			const char *msg)
{
	struct cli_run r;

	if (opt)
		RUN(&r, "report", "--eval", eval, opt, file, "-o", path_in("out"));
	else
		RUN(&r, "report", "--eval", eval, "-o", path_in("out"));
	cr_assert_eq(r.status, 1, "%s: exit %d, stderr: %s", msg, r.status, r.err);
	cr_assert(strstr(r.err, msg), "wanted '%s' in: %s", msg, r.err);
	cr_assert_null(strstr(r.out, "report: "), "%s", r.out);
}

Test(report, bad_json_names_the_file)
{
	char where[256];

	fake_write(dir, "cut.json", "{\"traces\":[{\"file\":\"a\",\"label\":");
	expect_fail(path_in("cut.json"), NULL, NULL, path_in("cut.json"));
	expect_fail(path_in("cut.json"), NULL, NULL, "ends early");
	fake_write(dir, "bad.json", "{\"traces\": [1, 2,, 3]}");
	expect_fail(path_in("bad.json"), NULL, NULL, "cannot parse");
	fake_write(dir, "other.json", "[1, 2, 3]\n");
	expect_fail(path_in("other.json"), NULL, NULL, "no \"traces\" array");
	fake_write(dir, "range.json",
		   "{\"traces\":[{\"label\":\"x\",\"events\":5,\"predictions\":3,\"top1\":1.5}]}");
	snprintf(where, sizeof(where), "%s: traces[0]", path_in("range.json"));
	expect_fail(path_in("range.json"), NULL, NULL, where);
	expect_fail(path_in("missing.json"), NULL, NULL, "No such file");
}

Test(report, bad_bench_line_names_file_and_line)
{
	char where[256];

	fake_write(dir, "b1", "bench: # fine\nnot a bench line\nbench: step_macs\n");
	snprintf(where, sizeof(where), "%s:3:", path_in("b1"));
	expect_fail(eval_json, "--bench", path_in("b1"), where);
	fake_write(dir, "b2", "bench: step_macs lots\n");
	snprintf(where, sizeof(where), "%s:1:", path_in("b2"));
	expect_fail(eval_json, "--bench", path_in("b2"), where);
	fake_write(dir, "b3", "\nbench: live_model_top1_cpu-burner 1.5 fraction\n");
	snprintf(where, sizeof(where), "%s:2: live_model_top1_cpu-burner is 1.5", path_in("b3"));
	expect_fail(eval_json, "--bench", path_in("b3"), where);
	fake_write(dir, "b6", "bench: live_koracle_top1_cpu-burner -0.1 fraction\n");
	snprintf(where, sizeof(where), "%s:1: live_koracle_top1_cpu-burner is -0.1", path_in("b6"));
	expect_fail(eval_json, "--bench", path_in("b6"), where);
	fake_write(dir, "b4", "bench: overhead_ratio_cpu-burner 1.1 x\n"
		   "bench: overhead_ratio_cpu-burner 1.2 x\n");
	snprintf(where, sizeof(where), "%s:2:", path_in("b4"));
	expect_fail(eval_json, "--bench", path_in("b4"), where);
	fake_write(dir, "b5", "bench: a b c d\n");
	expect_fail(eval_json, "--bench", path_in("b5"), "NAME VALUE [UNIT]");
}

Test(report, bad_latency_line_names_file_and_line)
{
	char where[256];

	fake_write(dir, "l1", "0 1\n1 x\nmedian_ns 0\n");
	snprintf(where, sizeof(where), "%s:2:", path_in("l1"));
	expect_fail(eval_json, "--latency", path_in("l1"), where);
	fake_write(dir, "l2", "0 1\n1 0\n4 2\nmedian_ns 0\n");	/* bucket 2 is "2" */
	snprintf(where, sizeof(where), "%s:3:", path_in("l2"));
	expect_fail(eval_json, "--latency", path_in("l2"), where);
	fake_write(dir, "l3", "0 1\n1 2\n");
	expect_fail(eval_json, "--latency", path_in("l3"), "median_ns");
	fake_write(dir, "l4", "0 1\nmedian_ns 0\n1 2\n");
	snprintf(where, sizeof(where), "%s:3:", path_in("l4"));
	expect_fail(eval_json, "--latency", path_in("l4"), where);
}

/*
 * Labels come from trace headers: quotes, backslashes, backquotes and '@'
 * reach gnuplot inertly (the backquote would run a shell command if it
 * were expanded) and Markdown escaped; control characters are refused.
 */
Test(report, labels_are_quoted_safely_or_refused)
{
	char label[256], *md, *gp, want[300];
	struct cli_run r;

	snprintf(label, sizeof(label), "it's \"q\" `touch %s/pwned` a\\b @x", dir);
	import("loopback-http.trace.gz", "odd.kot", label);
	eval_to_file((const char *const[]){ "odd.kot", "cb.kot", NULL });
	RUN(&r, "report", "--eval", eval_json, "-o", path_in("out"));
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_eq(access(path_in("pwned"), F_OK), -1, "gnuplot ran the backquotes");
	assert_png(path_in("out/report.png"), 1200, 900);
	gp = slurp(path_in("out/report.gp"));
	snprintf(want, sizeof(want), "'it''s \"q\" `touch %s/pwned` a\\b @x' 0", dir);
	cr_assert(strstr(gp, want), "wanted %s in:\n%s", want, gp);
	md = slurp(path_in("out/report.md"));
	snprintf(want, sizeof(want), "| it's \"q\" \\`touch %s/pwned\\` a\\\\b @x |", dir);
	cr_assert(strstr(md, want), "wanted %s in:\n%s", want, md);
	cr_assert(strstr(md, "No step\\_ns histogram was given"), "%s", md);
	cr_assert(strstr(r.out, label), "%s", r.out);
	free(gp);
	free(md);

	import("loopback-http.trace.gz", "nl.kot", "two\nlines");
	eval_to_file((const char *const[]){ "nl.kot", NULL });
	expect_fail(eval_json, NULL, NULL, "control character 0x0a");
	expect_fail(eval_json, NULL, NULL, "\"two\\nlines\"");
}

Test(report, without_gnuplot_the_markdown_is_still_written)
{
	struct cli_run r;

	cr_assert_eq(setenv("PATH", "/nonexistent", 1), 0);
	RUN(&r, "report", "--eval", eval_json, "-o", path_in("out"));
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "gnuplot not found; install gnuplot-nox"), "%s", r.err);
	cr_assert_eq(access(path_in("out/report.md"), R_OK), 0);
	cr_assert_eq(access(path_in("out/report.png"), F_OK), -1);
	cr_assert_null(strstr(r.out, "report: "), "%s", r.out);
}
