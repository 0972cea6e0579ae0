// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * report.md (report.h): the per-workload table with a sentence per source
 * saying where its numbers come from, the step_ns histogram, the other
 * bench lines as written, and the chart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

void ko_rpt_md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\`*_[]<>|~&", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* "`a`, `b` and `c`"-style list of file names, escaped. */
static void ko_rpt_md_files(FILE *f, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i)
			fputs(i == n - 1 ? " and " : ", ", f);
		ko_rpt_md_text(f, names[i]);
	}
}

static void ko_rpt_md_table(FILE *f, const struct ko_rpt_table *t)
{
	size_t i, j;
	const char *s;

	fputc('|', f);
	for (j = 0; j < t->ncol; j++)
		fprintf(f, " %s |", t->col[j]->md);
	fputs("\n|", f);
	for (j = 0; j < t->ncol; j++)
		fputs(t->col[j]->left ? "---|" : "---:|", f);
	fputc('\n', f);
	for (i = 0; i < t->nrow; i++) {
		fputc('|', f);
		for (j = 0; j < t->ncol; j++) {
			s = ko_rpt_table_cell(t, i, j);
			fputc(' ', f);
			if (!s)
				fputs("–", f);
			else if (i == t->nrow - 1 && j == 0)
				fprintf(f, "*%s*", s);	/* the macro row */
			else
				ko_rpt_md_text(f, s);
			fputs(" |", f);
		}
		fputc('\n', f);
	}
}

static bool ko_rpt_any_live(const struct ko_rpt_input *in, enum ko_rpt_live k)
{
	size_t i;

	for (i = 0; i < in->nw; i++)
		if (in->w[i].has[k])
			return true;
	return false;
}

static void ko_rpt_md_accuracy(FILE *f, const struct ko_rpt_input *in,
			    const struct ko_rpt_table *t, const struct ko_rpt_opts *o)
{
	int i;

	fputs("## Accuracy per workload\n\n"
	      "Top-1 accuracy is the share of scored context switches where the predicted next task is the task the CPU ran next.\n\n", f);
	fputs("- Offline columns: `koracle eval` replayed the traces through the same encoder, rules, selector and gate code as the module (", f);
	ko_rpt_md_text(f, o->eval);
	fputs("). *koracle* is what the module publishes: per CPU, the gate's pick between the model and the selector. "
	      "*raw model* is the model alone, *fifo* to *adaptive* are the single rules, *selector* is the online choice among them. "
	      "*coverage* is the share of points whose next task is in the candidate list, the ceiling of every column. "
	      "Traces with the same label are pooled, weighted by their predictions; the last row is eval's mean over workloads.\n", f);
	if (ko_rpt_any_live(in, KO_RPT_LIVE_KORACLE) || ko_rpt_any_live(in, KO_RPT_LIVE_MODEL) ||
	    ko_rpt_any_live(in, KO_RPT_LIVE_SELECTOR) || ko_rpt_any_live(in, KO_RPT_LIVE_PREDICTIONS)) {
		fputs("- Live columns: the module's sysfs counters while the workload ran (predictions; published\\_hits for *live koracle*, what next\\_pid published; hits for *live model*; baseline\\_hits for *live selector*), from the bench lines in ", f);
		ko_rpt_md_files(f, o->bench, o->nbench);
		fputs(".\n", f);
	}
	if (ko_rpt_any_live(in, KO_RPT_LIVE_STEP_NS))
		fputs("- ns/step: the median in-kernel cost of one model step while the workload ran, as measured by the module (bench lines step\\_median\\_ns\\_*).\n", f);
	if (ko_rpt_any_live(in, KO_RPT_LIVE_OVERHEAD))
		fputs("- overhead ×: the workload's wall time with the model loaded divided by its wall time with the module absent (bench lines overhead\\_ratio\\_*).\n", f);
	if (o->nseen) {
		fputs("- trained on: the model's training workloads, as given to `koracle report --seen`: ", f);
		for (i = 0; i < o->nseen; i++) {
			fputs(i ? ", " : "", f);
			ko_rpt_md_text(f, o->seen[i]);
		}
		fputs(".\n", f);
	}
	fputs("- A dash marks a figure no input gave.\n\n", f);
	ko_rpt_md_table(f, t);
	fputc('\n', f);
}

static void ko_rpt_md_latency(FILE *f, const struct ko_rpt_input *in,
			   const struct ko_rpt_opts *o)
{
	const struct ko_rpt_latency *l = &in->lat;
	struct ko_rpt_seg seg[KO_RPT_LAT_BUCKETS];
	char lo[32], hi[32];
	uint64_t cum = 0;
	size_t i, n;

	fputs("## In-kernel step cost\n\n", f);
	if (!o->nlatency) {
		fputs("No step\\_ns histogram was given (`--latency FILE`).\n\n", f);
		return;
	}
	fputs("The module's debugfs histogram `/sys/kernel/debug/koracle/step_ns`, as measured (", f);
	ko_rpt_md_files(f, o->latency, o->nlatency);
	fprintf(f, "%s): the cost of one model step in the scheduler, from the kernel's local\\_clock(). "
		"**%" PRIu64 " steps, median %" PRIu64 " ns** (interpolated linearly inside the log2 bucket that holds it, as the module computes it).\n\n",
		o->nlatency > 1 ? ", summed bucket by bucket" : "", l->total,
		ko_rpt_median(l->count, l->total));
	n = ko_rpt_lat_segments(l, seg);
	if (!n) {
		fputs("The histogram is empty: no step ran.\n\n", f);
		return;
	}
	fputs("| step cost | steps | share % | cumulative % |\n|---|---:|---:|---:|\n", f);
	for (i = 0; i < n; i++) {
		cum += seg[i].count;
		ko_rpt_fmt_ns(lo, sizeof(lo), ko_rpt_bucket_low(seg[i].first));
		ko_rpt_fmt_ns(hi, sizeof(hi), ko_rpt_bucket_low(seg[i].last + 1));
		if (seg[i].last)
			fprintf(f, "| [%s, %s) |", lo, hi);
		else
			fputs("| 0 ns |", f);
		fprintf(f, " %" PRIu64 " | %.1f | %.1f |\n", seg[i].count,
			100.0 * (double)seg[i].count / (double)l->total,
			100.0 * (double)cum / (double)l->total);
	}
	fputc('\n', f);
}

static void ko_rpt_md_bench(FILE *f, const struct ko_rpt_input *in,
			 const struct ko_rpt_opts *o)
{
	size_t i;

	if (!in->nbench)
		return;
	fputs("## Benchmarks\n\nThe other bench lines, as written (", f);
	ko_rpt_md_files(f, o->bench, o->nbench);
	fputs(").\n\n| name | value | unit |\n|---|---:|---|\n", f);
	for (i = 0; i < in->nbench; i++) {
		fprintf(f, "| `%s` | %s | ", in->bench[i].name, in->bench[i].value);
		ko_rpt_md_text(f, in->bench[i].unit);
		fputs(" |\n", f);
	}
	fputc('\n', f);
}

void ko_rpt_emit_markdown(FILE *f, const struct ko_rpt_doc *d)
{
	fputs("# ", f);
	ko_rpt_md_text(f, d->o->title);
	fputs("\n\n", f);
	ko_rpt_md_accuracy(f, d->in, d->t, d->o);
	ko_rpt_md_latency(f, d->in, d->o);
	ko_rpt_md_bench(f, d->in, d->o);
	fputs("## Chart\n\n"
	      "Top: top-1 % per workload (offline); the black line over each group is the coverage, the ceiling. "
	      "Bottom: the step\\_ns histogram, median dashed. Drawn by gnuplot from report.gp (data inline; run `gnuplot report.gp` in this directory to redraw).\n\n"
	      "![accuracy and latency](report.png)\n", f);
}
