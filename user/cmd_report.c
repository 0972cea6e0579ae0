// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle report --eval EVAL.json [--bench FILE]... [--latency FILE]...
 * [--seen LABEL]... [--title TEXT] -o DIR`: turns the accuracy koracle eval
 * measured offline, the live figures of bench runs and the module's step
 * cost histogram into DIR/report.md, DIR/report.gp and DIR/report.png
 * (gnuplot), and prints the per-workload table on stdout, then
 * "report: DIR/report.png" and "report: DIR/report.md".
 *
 * Reading: report_input.c (eval JSON), report_lines.c (bench, step_ns);
 * writing: report_table.c, report_markdown.c, report_plot.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "report.h"

#define KO_RPT_DEFAULT_TITLE	"koracle: next-task prediction per workload"
#define KO_RPT_MAX_FILES		64	/* per repeatable option */

static void report_usage(FILE *f)
{
	fprintf(f,
"usage: koracle report --eval EVAL.json [--bench FILE]... [--latency FILE]...\n"
"                      [--seen LABEL]... [--title TEXT] -o DIR\n"
"\n"
"Turn eval and bench results into DIR/report.md (tables), DIR/report.png\n"
"(chart: top-1 accuracy per workload for koracle vs the baselines, and the\n"
"in-kernel step cost histogram) and DIR/report.gp (the gnuplot script that\n"
"draws it, data inline). Prints the per-workload table, then\n"
"'report: DIR/report.png' and 'report: DIR/report.md'.\n"
"\n"
"  -e, --eval FILE     the output of 'koracle eval --json' (required); traces\n"
"                      with the same label are pooled into one workload\n"
"  -b, --bench FILE    'bench: NAME VALUE [UNIT]' lines (make bench, make\n"
"                      demo); other lines are skipped. Per workload LABEL:\n"
"                      live_koracle_top1_LABEL, live_model_top1_LABEL,\n"
"                      live_selector_top1_LABEL (fractions),\n"
"                      live_predictions_LABEL (count),\n"
"                      step_median_ns_LABEL (ns), overhead_ratio_LABEL (x);\n"
"                      every other bench line is listed as written\n"
"  -l, --latency FILE  /sys/kernel/debug/koracle/step_ns as read (summed\n"
"                      over several files)\n"
"  -s, --seen LABEL    a workload the model trained on (adds a column)\n"
"  -t, --title TEXT    title of the report and the chart\n"
"  -o, --output DIR    where the three files go (created if missing)\n"
"  -h, --help          this help\n"
"\n"
"Needs gnuplot (Debian: gnuplot-nox). Exit 0 ok, 1 failure, 2 usage.\n");
}

/* mkdir -p; 0 or -errno. */
static int report_mkdirs(const char *dir)
{
	char path[4096], *p;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool report_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Appends @arg to a repeatable option's list; false when full. */
static bool report_push(const char **list, int *n, const char *arg)
{
	if (*n == KO_RPT_MAX_FILES)
		return false;
	list[(*n)++] = arg;
	return true;
}

/* Options into @o; KO_EXIT_OK to go on, else the exit code. */
static int report_parse(int argc, char **argv, struct ko_rpt_opts *o,
			const char **bench, const char **lat, const char **seen,
			bool *help)
{
	static const struct option lopts[] = {
		{ "eval", required_argument, NULL, 'e' },
		{ "bench", required_argument, NULL, 'b' },
		{ "latency", required_argument, NULL, 'l' },
		{ "seen", required_argument, NULL, 's' },
		{ "title", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool ok = true;
	int c;

	o->bench = bench;
	o->latency = lat;
	o->seen = seen;
	o->title = KO_RPT_DEFAULT_TITLE;
	optind = 0;
	while (ok && (c = getopt_long(argc, argv, "e:b:l:s:t:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (o->eval) {
				fprintf(stderr, "koracle: report: --eval given twice: one eval JSON per report (eval several traces at once instead)\n");
				return KO_EXIT_USAGE;
			}
			o->eval = optarg;
			break;
		case 'b': ok = report_push(bench, &o->nbench, optarg); break;
		case 'l': ok = report_push(lat, &o->nlatency, optarg); break;
		case 's': ok = report_push(seen, &o->nseen, optarg); break;
		case 't': o->title = optarg; break;
		case 'o': o->dir = optarg; break;
		case 'h': *help = true; return KO_EXIT_OK;
		default: report_usage(stderr); return KO_EXIT_USAGE;
		}
	}
	if (!ok) {
		fprintf(stderr, "koracle: report: more than %d --%s options\n",
			KO_RPT_MAX_FILES, c == 'b' ? "bench" : c == 'l' ? "latency" : "seen");
		return KO_EXIT_USAGE;
	}
	if (!o->eval || !o->dir || !*o->dir || optind < argc) {
		fprintf(stderr, "koracle: report: %s\n",
			!o->eval ? "no eval results given: add --eval EVAL.json (koracle eval --json)" :
			!o->dir || !*o->dir ? "no output directory given: add -o DIR" :
			"unexpected argument (every input takes an option: --eval, --bench, --latency)");
		report_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (!report_printable(o->title)) {
		fprintf(stderr, "koracle: report: --title: control characters (newline, tab, ...) cannot go into a title\n");
		return KO_EXIT_USAGE;
	}
	return KO_EXIT_OK;
}

/* The inputs into @in, --seen applied; false (said on stderr) on error. */
static bool report_read(struct ko_rpt_input *in, const struct ko_rpt_opts *o)
{
	struct ko_rpt_workload *w;
	char err[KO_ERR_LEN];
	int i;

	if (ko_rpt_read_eval(in, o->eval, err))
		goto fail;
	for (i = 0; i < o->nbench; i++)
		if (ko_rpt_read_bench(in, o->bench[i], err))
			goto fail;
	for (i = 0; i < o->nlatency; i++)
		if (ko_rpt_read_latency(in, o->latency[i], err))
			goto fail;
	for (i = 0; i < o->nseen; i++) {
		w = ko_rpt_find(in, o->seen[i]);
		if (w)
			w->seen = true;
	}
	return true;
fail:
	fprintf(stderr, "koracle: report: %s\n", err);
	return false;
}

/* Write @path with @emit; false after saying why. */
static bool report_write(const char *path,
			 void (*emit)(FILE *f, const struct ko_rpt_doc *d),
			 const struct ko_rpt_doc *d)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		fprintf(stderr, "koracle: report: cannot create %s: %s\n", path,
			strerror(errno));
		return false;
	}
	emit(f, d);
	err = ferror(f) ? EIO : 0;
	if (fclose(f) && !err)
		err = errno;
	if (err)
		fprintf(stderr, "koracle: report: cannot write %s: %s\n", path,
			strerror(err));
	return !err;
}

int cmd_report(int argc, char **argv)
{
	const char *bench[KO_RPT_MAX_FILES], *lat[KO_RPT_MAX_FILES], *seen[KO_RPT_MAX_FILES];
	char err[KO_ERR_LEN], md[4200], gp[4200], png[4200], *dir = NULL;
	struct ko_rpt_opts o = { 0 };
	struct ko_rpt_table t = { 0 };
	struct ko_rpt_doc doc;
	struct ko_rpt_input in;
	bool help = false;
	struct stat st;
	size_t n;
	int ret, r;

	ko_rpt_input_init(&in);
	ret = report_parse(argc, argv, &o, bench, lat, seen, &help);
	if (help)
		report_usage(stdout);
	if (ret || help)
		return ret;
	ret = KO_EXIT_FAIL;
	dir = strdup(o.dir);
	if (!dir) {
		fprintf(stderr, "koracle: report: out of memory\n");
		goto out;
	}
	for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = '\0';
	o.dir = dir;
	if (snprintf(png, sizeof(png), "%s/report.png", dir) >= (int)sizeof(png)) {
		fprintf(stderr, "koracle: report: -o %s: path too long\n", dir);
		goto out;
	}
	snprintf(md, sizeof(md), "%s/report.md", dir);
	snprintf(gp, sizeof(gp), "%s/report.gp", dir);
	if (!report_read(&in, &o))
		goto out;
	if (ko_rpt_table_build(&in, o.nseen > 0, &t)) {
		fprintf(stderr, "koracle: report: out of memory\n");
		goto out;
	}
	r = report_mkdirs(dir);
	if (r) {
		fprintf(stderr, "koracle: report: cannot create the directory %s: %s\n",
			dir, strerror(-r));
		goto out;
	}
	doc = (struct ko_rpt_doc){ .in = &in, .t = &t, .o = &o };
	if (!report_write(md, ko_rpt_emit_markdown, &doc) ||
	    !report_write(gp, ko_rpt_emit_gnuplot, &doc))
		goto out;
	ko_rpt_table_print(&t, stdout);
	if (remove(png) && errno != ENOENT) {
		fprintf(stderr, "koracle: report: cannot replace %s: %s\n", png,
			strerror(errno));
		goto out;
	}
	if (ko_rpt_run_gnuplot(dir, err)) {
		fprintf(stderr, "koracle: report: %s; the tables are in %s\n", err, md);
		goto out;
	}
	if (stat(png, &st) || !st.st_size) {
		fprintf(stderr, "koracle: report: gnuplot succeeded but wrote no %s\n", png);
		goto out;
	}
	printf("report: %s\nreport: %s\n", png, md);
	if (fflush(stdout)) {
		fprintf(stderr, "koracle: report: cannot write to stdout: %s\n",
			strerror(errno));
		goto out;
	}
	ret = KO_EXIT_OK;
out:
	ko_rpt_table_free(&t);
	ko_rpt_input_free(&in);
	free(dir);
	return ret;
}
