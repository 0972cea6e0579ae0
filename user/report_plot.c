// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * report.png through gnuplot (report.h): report.gp holds its data inline
 * and writes report.png next to itself, so `gnuplot report.gp` in the
 * report's directory redraws it anywhere.
 *
 * Top panel: clustered bars of top-1 % per workload (koracle, the selector
 * and four rules) under a dashed coverage line, the ceiling. Bottom panel:
 * the step_ns histogram, one bar per log2 bucket (share of steps), with the
 * median marked.
 *
 * Labels come from trace headers: the reader refuses control characters,
 * and every string goes into the script single-quoted, where gnuplot
 * expands nothing (no backquote commands, no @macros, no backslash escapes)
 * and a quote is written twice. Enhanced text is off, so '_' and '^' print
 * as themselves.
 */
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

extern char **environ;

/* The bars, left to right: name, the rate they plot, colour. */
struct ko_rpt_series {
	const char *title;
	int base;		/* KO_BASE_*, or -1 for koracle's top1 */
	const char *rgb;
};

static const struct ko_rpt_series ko_rpt_bars[] = {
	{ "koracle", -1, "#d62728" },
	{ "selector", KO_BASE_SELECTOR, "#ff7f0e" },
	{ "markov2", KO_BASE_MARKOV2, "#1f77b4" },
	{ "lifo", KO_BASE_LIFO, "#2ca02c" },
	{ "fifo", KO_BASE_FIFO, "#9467bd" },
	{ "slot1", KO_BASE_SLOT1, "#8c8c8c" },
};

#define KO_RPT_NBARS	(sizeof(ko_rpt_bars) / sizeof(ko_rpt_bars[0]))
#define KO_RPT_CLUSTER	0.84	/* x units a workload's bars span (1 apart) */
#define KO_RPT_PLOT_PX	(KO_RPT_PNG_WIDTH - 100)	/* plot area width, px */
#define KO_RPT_CHAR_PX	8	/* a character of the 11 pt tic font, px */

/* @s as a gnuplot single-quoted string. */
static void ko_rpt_gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		/* the reader refuses them; never break the script anyway */
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
	}
	fputc('\'', f);
}

/*
 * Would two neighbouring workload names overlap side by side? Each is
 * centred under its group, KO_RPT_PLOT_PX / nw px apart; keep a character
 * between them.
 */
static bool ko_rpt_gp_crowded(const struct ko_rpt_input *in)
{
	size_t i, a, b, room = KO_RPT_PLOT_PX / in->nw;

	for (i = 0; i + 1 < in->nw; i++) {
		a = strlen(in->w[i].label);
		b = strlen(in->w[i + 1].label);
		if (((a + b) / 2 + 1) * KO_RPT_CHAR_PX > room)
			return true;
	}
	return false;
}

static void ko_rpt_gp_accuracy(FILE *f, const struct ko_rpt_input *in,
			    const struct ko_rpt_opts *o)
{
	double w = KO_RPT_CLUSTER / KO_RPT_NBARS, x;
	size_t i, s;

	fputs("# top-1 % per workload: x, then", f);
	for (s = 0; s < KO_RPT_NBARS; s++)
		fprintf(f, " %s", ko_rpt_bars[s].title);
	fputs(" coverage\n$acc << EOD\n", f);
	for (i = 0; i < in->nw; i++) {
		const struct ko_rates *r = &in->w[i].r;

		fprintf(f, "%zu", i);
		for (s = 0; s < KO_RPT_NBARS; s++)
			fprintf(f, " %.3f", 100 * (ko_rpt_bars[s].base < 0 ? r->top1 :
						   r->base[ko_rpt_bars[s].base]));
		fprintf(f, " %.3f\n", 100 * r->coverage);
	}
	fputs("EOD\n\n", f);

	fputs("set origin 0, 0.42\nset size 1, 0.53\n", f);
	fputs("set title 'Top-1 accuracy per workload: offline replay of the traces (koracle eval)", f);
	if (o->nseen)
		fputs(", (trained) = the model trained on it", f);
	fputs("'\n", f);
	fputs("set ylabel 'top-1 %'\nset yrange [0:104]\nset ytics 0, 10, 100\n"
	      "set grid ytics lc rgb '#d0d0d0'\n", f);
	fprintf(f, "set xrange [-0.5:%zu.5]\n", in->nw - 1);
	fputs("set xtics nomirror scale 0 (", f);
	for (i = 0; i < in->nw; i++) {
		fputs(i ? ", " : "", f);
		ko_rpt_gp_str(f, in->w[i].label);
		if (o->nseen && in->w[i].seen)
			fputs(".\"\\n(trained)\"", f);
		fprintf(f, " %zu", i);
	}
	fprintf(f, ")%s\n", ko_rpt_gp_crowded(in) ? " rotate by -25" : "");
	fputs("set key outside top center horizontal reverse Left samplen 2 width -1\n"
	      "set style fill solid 0.9 border lc rgb '#404040'\n", f);
	fprintf(f, "set boxwidth %.4f absolute\nplot ", w);
	for (s = 0; s < KO_RPT_NBARS; s++) {
		x = (s + 0.5) * w - KO_RPT_CLUSTER / 2;
		fprintf(f, "%s($1%+.4f):%zu with boxes lc rgb '%s' title '%s', \\\n     ",
			s ? "'' using " : "$acc using ", x, s + 2, ko_rpt_bars[s].rgb,
			ko_rpt_bars[s].title);
	}
	fprintf(f, "'' using ($1-%.3f):%zu:(%.3f):(0) with vectors nohead lw 2.5 lc rgb 'black' title 'coverage (ceiling)'\n\n",
		KO_RPT_CLUSTER / 2 + 0.03, KO_RPT_NBARS + 2, KO_RPT_CLUSTER + 0.06);
}

static void ko_rpt_gp_reset(FILE *f)
{
	fputs("unset key\nunset label\nunset arrow\nunset grid\nunset title\n"
	      "unset xlabel\nunset ylabel\nset autoscale\nset xtics autofreq norotate\n"
	      "set ytics autofreq\n", f);
}

/* The segment's tic: its lower bound, or "LOW … LOW" for merged buckets. */
static void ko_rpt_gp_seg_tic(FILE *f, const struct ko_rpt_seg *sg)
{
	char lo[32], hi[32];

	ko_rpt_fmt_ns(lo, sizeof(lo), ko_rpt_bucket_low(sg->first));
	ko_rpt_fmt_ns(hi, sizeof(hi), ko_rpt_bucket_low(sg->last));
	if (sg->first == sg->last)
		fprintf(f, "'%s'", lo);
	else
		fprintf(f, "'%s … %s'", lo, hi);
}

static void ko_rpt_gp_latency(FILE *f, const struct ko_rpt_input *in)
{
	const struct ko_rpt_latency *l = &in->lat;
	uint64_t med = ko_rpt_median(l->count, l->total), low;
	struct ko_rpt_seg seg[KO_RPT_LAT_BUCKETS];
	size_t i, n = ko_rpt_lat_segments(l, seg);
	unsigned int b;
	char ns[32];
	double pos;

	fputs("set origin 0, 0\nset size 1, 0.42\n", f);
	ko_rpt_gp_reset(f);
	if (!n) {
		fprintf(f, "set title 'In-kernel step cost: %s'\n",
			in->lat.nfiles ? "the step_ns histogram is empty (no step ran)" :
			"no step_ns histogram given (koracle report --latency FILE)");
		fputs("unset border\nunset tics\nplot [0:1] [0:1] NaN notitle\n", f);
		return;
	}
	fputs("# step_ns: category, share % of steps, steps, buckets first..last\n"
	      "$lat << EOD\n", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%zu %.4f %" PRIu64 " %u %u\n", i,
			100.0 * (double)seg[i].count / (double)l->total,
			seg[i].count, seg[i].first, seg[i].last);
	fputs("EOD\n\n", f);
	ko_rpt_fmt_ns(ns, sizeof(ns), med);
	fprintf(f, "set title 'In-kernel cost of one model step (debugfs step_ns, as measured): %" PRIu64 " steps, median %s'\n",
		l->total, ns);
	fputs("set xlabel 'step cost: log2 buckets, each labelled by its lower bound (a … b: empty buckets)'\n"
	      "set ylabel '% of steps'\nset yrange [0:*]\nset offsets 0, 0, graph 0.15, 0\n"
	      "set grid ytics lc rgb '#d0d0d0'\nset xtics nomirror scale 0 (", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		ko_rpt_gp_seg_tic(f, &seg[i]);
		fprintf(f, " %zu", i);
	}
	fprintf(f, ")%s\n", n > 10 ? " rotate by -30" : "");
	fprintf(f, "set xrange [-0.6:%zu.6]\n", n - 1);
	/* The median inside its bucket's bar, which spans [i-0.5, i+0.5]. */
	for (i = 0; i < n - 1 && med >= ko_rpt_bucket_low(seg[i].last + 1); i++)
		;
	b = seg[i].first;
	low = ko_rpt_bucket_low(b);
	pos = (double)i - 0.5 + (double)(med - low) / (double)(b ? low : 1);
	/* behind see-through bars and the boxed counts: it crosses no text */
	fprintf(f, "set arrow from %.4f, graph 0 to %.4f, graph 1 nohead dt (8, 6) lw 2 lc rgb '#d62728' back\n"
		"set label 'median %s' at %.4f, graph 0.94 offset 0.8, 0 front tc rgb '#d62728'\n",
		pos, pos, ns, pos);
	fputs("set style fill transparent solid 0.75 border lc rgb '#404040'\n"
	      "set boxwidth 0.9 relative\nset style textbox opaque noborder margins 2, 1\n"
	      "plot $lat using 1:2 with boxes lc rgb '#1f77b4' notitle, \\\n"
	      "     '' using 1:2:(sprintf('%d', $3)) with labels boxed offset 0, 0.8 font ',9' notitle\n", f);
}

void ko_rpt_emit_gnuplot(FILE *f, const struct ko_rpt_doc *d)
{
	fputs("# The chart of report.md, written by koracle report. Redraw it with\n"
	      "# `gnuplot report.gp` in this directory: the data is inline.\n", f);
	fprintf(f, "set encoding utf8\n"
		"set terminal pngcairo size %d,%d noenhanced font 'sans,11'\n"
		"set output 'report.png'\n\n", KO_RPT_PNG_WIDTH, KO_RPT_PNG_HEIGHT);
	fputs("set multiplot title ", f);
	ko_rpt_gp_str(f, d->o->title);
	fputs(" font ',15'\n", f);
	ko_rpt_gp_accuracy(f, d->in, d->o);
	ko_rpt_gp_latency(f, d->in);
	fputs("unset multiplot\n", f);
}

int ko_rpt_run_gnuplot(const char *dir, char err[KO_ERR_LEN])
{
	char *const argv[] = { "gnuplot", "report.gp", NULL };
	posix_spawn_file_actions_t fa;
	int ret, st;
	pid_t pid;

	ret = posix_spawn_file_actions_init(&fa);
	if (ret) {
		snprintf(err, KO_ERR_LEN, "run gnuplot: %s", strerror(ret));
		return -ret;
	}
	/* in DIR, so report.gp's relative output lands there; its chatter on
	 * our stderr, so stdout stays the table and the report: lines */
	ret = posix_spawn_file_actions_addchdir_np(&fa, dir);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (!ret) {
		fflush(NULL);
		ret = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (ret == ENOENT) {
		snprintf(err, KO_ERR_LEN, "gnuplot not found; install gnuplot-nox (scripts/install-deps.sh)");
		return -ENOENT;
	}
	if (ret) {
		snprintf(err, KO_ERR_LEN, "run gnuplot in %s: %s", dir, strerror(ret));
		return -ret;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			snprintf(err, KO_ERR_LEN, "wait for gnuplot: %s", strerror(errno));
			return ret;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, KO_ERR_LEN, "gnuplot %s/report.gp failed (%s %d): see its messages above",
			 dir, WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -EIO;
	}
	return 0;
}
