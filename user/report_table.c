// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-workload table of `koracle report` (report.h): built once as
 * strings, printed aligned on stdout and as Markdown (report_markdown.c),
 * so the two never disagree. Percentages have one decimal; "koracle -
 * selector" is the margin of what the kernel publishes over the online
 * selector alone, in percentage points.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

enum ko_rpt_colid {
	C_LABEL, C_SEEN, C_PRED, C_TOP1, C_MODEL, C_SEL, C_MARGIN,
	C_FIFO, C_LIFO, C_SLOT1, C_MARKOV2, C_ADAPTIVE, C_COVER,
	C_LPRED, C_LKORACLE, C_LMODEL, C_LSEL, C_NS, C_OVERHEAD, C_COUNT,
};

_Static_assert(C_COUNT <= KO_RPT_MAX_COLS, "struct ko_rpt_table holds KO_RPT_MAX_COLS columns");

static const struct ko_rpt_col ko_rpt_cols[C_COUNT] = {
	[C_LABEL] = { "workload", "workload", true },
	[C_SEEN] = { "trained", "trained on", true },
	[C_PRED] = { "predictions", "predictions", false },
	[C_TOP1] = { "koracle%", "koracle top-1 %", false },
	[C_MODEL] = { "model%", "raw model %", false },
	[C_SEL] = { "select%", "selector %", false },
	[C_MARGIN] = { "vs_sel", "koracle − selector (points)", false },
	[C_FIFO] = { "fifo%", "fifo %", false },
	[C_LIFO] = { "lifo%", "lifo %", false },
	[C_SLOT1] = { "slot1%", "slot1 %", false },
	[C_MARKOV2] = { "markov2%", "markov2 %", false },
	[C_ADAPTIVE] = { "adapt%", "adaptive %", false },
	[C_COVER] = { "cover%", "coverage %", false },
	[C_LPRED] = { "live_preds", "live predictions", false },
	[C_LKORACLE] = { "live_kor%", "live koracle %", false },
	[C_LMODEL] = { "live_model%", "live model %", false },
	[C_LSEL] = { "live_sel%", "live selector %", false },
	[C_NS] = { "ns/step", "ns/step (median)", false },
	[C_OVERHEAD] = { "overhead_x", "overhead ×", false },
};

/* The bench figure behind each live column. */
static const enum ko_rpt_live ko_rpt_col_live[C_COUNT] = {
	[C_LPRED] = KO_RPT_LIVE_PREDICTIONS,
	[C_LKORACLE] = KO_RPT_LIVE_KORACLE,
	[C_LMODEL] = KO_RPT_LIVE_MODEL,
	[C_LSEL] = KO_RPT_LIVE_SELECTOR,
	[C_NS] = KO_RPT_LIVE_STEP_NS,
	[C_OVERHEAD] = KO_RPT_LIVE_OVERHEAD,
};

static int ko_rpt_cell(char **cell, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(cell, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*cell = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* One cell of a workload row (@w) or of the macro row (@w NULL). */
static int ko_rpt_fill(char **cell, enum ko_rpt_colid id,
		    const struct ko_rpt_workload *w, const struct ko_rates *r)
{
	double v;
	int k;

	switch (id) {
	case C_LABEL:
		return ko_rpt_cell(cell, "%s", w ? w->label : "macro (mean per workload)");
	case C_SEEN:
		return ko_rpt_cell(cell, "%s", w ? (w->seen ? "yes" : "no") : "");
	case C_PRED:
		return ko_rpt_cell(cell, "%.0f", r->predictions);
	case C_TOP1:
		return ko_rpt_cell(cell, "%.1f", 100 * r->top1);
	case C_MODEL:
		return ko_rpt_cell(cell, "%.1f", 100 * r->model_top1);
	case C_SEL:
		return ko_rpt_cell(cell, "%.1f", 100 * r->base[KO_BASE_SELECTOR]);
	case C_MARGIN:
		/* rounded first, so a tiny loss prints "+0.0", not "-0.0" */
		v = round(1000 * (r->top1 - r->base[KO_BASE_SELECTOR])) / 10;
		return ko_rpt_cell(cell, "%+.1f", v == 0 ? 0.0 : v);
	case C_FIFO: case C_LIFO: case C_SLOT1: case C_MARKOV2: case C_ADAPTIVE:
		k = KO_BASE_FIFO + (id - C_FIFO);
		return ko_rpt_cell(cell, "%.1f", 100 * r->base[k]);
	case C_COVER:
		return ko_rpt_cell(cell, "%.1f", 100 * r->coverage);
	default:
		break;
	}
	if (!w)
		return ko_rpt_cell(cell, "%s", "");	/* no live macro figures */
	k = ko_rpt_col_live[id];
	if (!w->has[k])
		return 0;	/* missing: NULL */
	v = w->live[k];
	switch (id) {
	case C_LKORACLE: case C_LMODEL: case C_LSEL:
		return ko_rpt_cell(cell, "%.1f", 100 * v);
	case C_OVERHEAD:
		return ko_rpt_cell(cell, "%.3f", v);
	default:
		return ko_rpt_cell(cell, "%.0f", v);
	}
}

int ko_rpt_table_build(const struct ko_rpt_input *in, bool seen_col,
		    struct ko_rpt_table *t)
{
	enum ko_rpt_colid ids[C_COUNT];
	size_t i, j, n = 0;
	int id, ret = 0;

	memset(t, 0, sizeof(*t));
	for (id = 0; id < C_COUNT; id++) {
		bool any = id != C_SEEN || seen_col;

		if (id >= C_LPRED) {
			any = false;
			for (i = 0; i < in->nw; i++)
				any |= in->w[i].has[ko_rpt_col_live[id]];
		}
		if (any) {
			ids[n] = id;
			t->col[n++] = &ko_rpt_cols[id];
		}
	}
	t->ncol = n;
	t->nrow = in->nw + 1;
	t->cell = calloc(t->nrow * t->ncol, sizeof(*t->cell));
	if (!t->cell)
		return -ENOMEM;
	for (i = 0; i < t->nrow && !ret; i++) {
		const struct ko_rpt_workload *w = i < in->nw ? &in->w[i] : NULL;

		for (j = 0; j < n && !ret; j++)
			ret = ko_rpt_fill(&t->cell[i * n + j], ids[j], w,
				       w ? &w->r : &in->macro);
	}
	return ret;
}

const char *ko_rpt_table_cell(const struct ko_rpt_table *t, size_t row, size_t col)
{
	return t->cell[row * t->ncol + col];
}

/* The text of row @i (0: the header), "-" for a missing figure. */
static const char *ko_rpt_text(const struct ko_rpt_table *t, size_t i, size_t j)
{
	const char *s = i ? ko_rpt_table_cell(t, i - 1, j) : t->col[j]->text;

	return s ? s : "-";
}

void ko_rpt_table_print(const struct ko_rpt_table *t, FILE *f)
{
	size_t width[KO_RPT_MAX_COLS], i, j, n, last;
	const char *s;

	for (j = 0; j < t->ncol; j++) {
		width[j] = 0;
		for (i = 0; i <= t->nrow; i++) {
			n = strlen(ko_rpt_text(t, i, j));
			if (n > width[j])
				width[j] = n;
		}
	}
	for (i = 0; i <= t->nrow; i++) {
		for (last = t->ncol - 1; last && !*ko_rpt_text(t, i, last); last--)
			;	/* no trailing blanks */
		for (j = 0; j <= last; j++) {
			s = ko_rpt_text(t, i, j);
			if (t->col[j]->left && j == last)
				fprintf(f, "%s%s", j ? "  " : "", s);
			else
				fprintf(f, "%s%*s", j ? "  " : "",
					t->col[j]->left ? -(int)width[j] : (int)width[j], s);
		}
		fputc('\n', f);
	}
}

void ko_rpt_table_free(struct ko_rpt_table *t)
{
	size_t i;

	if (t->cell)
		for (i = 0; i < t->nrow * t->ncol; i++)
			free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
}

void ko_rpt_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.3g µs", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.3g ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", (double)ns / 1e9);
}

size_t ko_rpt_lat_segments(const struct ko_rpt_latency *l,
			struct ko_rpt_seg seg[KO_RPT_LAT_BUCKETS])
{
	unsigned int b, first = KO_RPT_LAT_BUCKETS, last = 0, end;
	size_t n = 0;

	for (b = 0; b < KO_RPT_LAT_BUCKETS; b++) {
		if (!l->count[b])
			continue;
		if (first == KO_RPT_LAT_BUCKETS)
			first = b;
		last = b;
	}
	if (first == KO_RPT_LAT_BUCKETS)
		return 0;
	for (b = first; b <= last; b = end + 1) {
		end = b;
		if (!l->count[b])
			while (end + 1 <= last && !l->count[end + 1])
				end++;
		seg[n].first = b;
		seg[n].last = end;
		seg[n].count = l->count[b];	/* 0 for a merged run */
		n++;
	}
	return n;
}
