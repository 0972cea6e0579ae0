// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Evaluation accounting (metrics.h): counts per trace, pooled and
 * per-label means, JSON and table output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

const char *const ko_base_names[KO_BASE_COUNT] = {
	[KO_BASE_FIFO] = "fifo",
	[KO_BASE_LIFO] = "lifo",
	[KO_BASE_SLOT1] = "slot1",
	[KO_BASE_MARKOV2] = "markov2",
	[KO_BASE_ADAPTIVE] = "adaptive",
	[KO_BASE_SELECTOR] = "selector",
};

void ko_counts_add(struct ko_counts *c, const struct koracle_feat *f, u8 label,
		   const u8 *ranked, int nranked)
{
	int i;

	if (label == KORACLE_LABEL_NA)
		return;
	c->predictions++;
	if (label >= KORACLE_K)
		return;		/* "none of them": nobody can hit */
	c->covered++;
	for (i = 0; i < KORACLE_RULE_COUNT; i++)
		if (f->rule_pick[i] == label)
			c->base[i]++;
	if (f->sel_pick == label)
		c->base[KO_BASE_SELECTOR]++;
	for (i = 0; i < nranked && i < 3; i++) {
		if (ranked[i] != label)
			continue;
		if (i == 0)
			c->top1++;
		c->top3++;
		break;
	}
}

/* a beats b: larger, and any number beats NaN. */
static bool ko_better(float a, float b)
{
	return a > b || (b != b && a == a);
}

void ko_top3(const float scores[KORACLE_NCLASS], u8 out[3])
{
	bool used[KORACLE_NCLASS] = { false };
	int k, j, best;

	for (k = 0; k < 3; k++) {
		best = -1;
		for (j = 0; j < KORACLE_NCLASS; j++) {
			if (used[j])
				continue;
			if (best < 0 || ko_better(scores[j], scores[best]))
				best = j;
		}
		used[best] = true;
		out[k] = (u8)best;
	}
}

void ko_counts_add_scores(struct ko_counts *c, const struct koracle_feat *f,
			  u8 label, const float scores[KORACLE_NCLASS])
{
	u8 top[3];

	ko_top3(scores, top);
	ko_counts_add(c, f, label, top, 3);
}

void ko_counts_add_model(struct ko_counts *c, u8 label, u8 slot)
{
	if (label < KORACLE_K && slot == label)
		c->model_top1++;
}

void ko_counts_merge(struct ko_counts *dst, const struct ko_counts *src)
{
	int i;

	dst->events += src->events;
	dst->predictions += src->predictions;
	dst->top1 += src->top1;
	dst->top3 += src->top3;
	dst->covered += src->covered;
	dst->model_top1 += src->model_top1;
	for (i = 0; i < KO_BASE_COUNT; i++)
		dst->base[i] += src->base[i];
	dst->lead_predictions += src->lead_predictions;
	dst->lead_top1 += src->lead_top1;
	dst->lead_covered += src->lead_covered;
}

void ko_counts_set_lead(struct ko_counts *c, const struct ko_counts *lead)
{
	c->lead_predictions = lead->predictions;
	c->lead_top1 = lead->top1;
	c->lead_covered = lead->covered;
}

static double ko_frac(u64 num, u64 den)
{
	return den ? (double)num / (double)den : 0.0;
}

void ko_counts_rates(const struct ko_counts *c, struct ko_rates *r)
{
	int i;

	r->events = (double)c->events;
	r->predictions = (double)c->predictions;
	r->top1 = ko_frac(c->top1, c->predictions);
	r->top3 = ko_frac(c->top3, c->predictions);
	r->coverage = ko_frac(c->covered, c->predictions);
	r->model_top1 = ko_frac(c->model_top1, c->predictions);
	for (i = 0; i < KO_BASE_COUNT; i++)
		r->base[i] = ko_frac(c->base[i], c->predictions);
	r->lead_top1 = ko_frac(c->lead_top1, c->lead_predictions);
	r->lead_coverage = ko_frac(c->lead_covered, c->lead_predictions);
}

void ko_report_init(struct ko_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

int ko_report_add(struct ko_report *rep, const char *file, const char *label,
		  const struct ko_counts *c)
{
	struct ko_eval_row *grown, *row;
	size_t cap;

	if (rep->n == rep->cap) {
		cap = rep->cap ? rep->cap * 2 : 8;
		grown = realloc(rep->rows, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		rep->rows = grown;
		rep->cap = cap;
	}
	row = &rep->rows[rep->n];
	row->file = strdup(file ? file : "");
	row->label = strdup(label ? label : "");
	if (!row->file || !row->label) {
		free(row->file);
		free(row->label);
		return -ENOMEM;
	}
	row->c = *c;
	rep->n++;
	return 0;
}

void ko_report_overall(const struct ko_report *rep, struct ko_rates *r)
{
	struct ko_counts all;
	size_t i;

	memset(&all, 0, sizeof(all));
	for (i = 0; i < rep->n; i++)
		ko_counts_merge(&all, &rep->rows[i].c);
	ko_counts_rates(&all, r);
}

int ko_report_macro(const struct ko_report *rep, struct ko_rates *r)
{
	struct ko_counts pooled;
	struct ko_rates one;
	bool *done = NULL;
	size_t i, j, nlabels = 0;
	int k;

	memset(r, 0, sizeof(*r));
	if (!rep->n)
		return 0;
	done = calloc(rep->n, sizeof(*done));
	if (!done)
		return -ENOMEM;
	for (i = 0; i < rep->n; i++) {
		if (done[i])
			continue;
		memset(&pooled, 0, sizeof(pooled));
		for (j = i; j < rep->n; j++) {
			if (done[j] || strcmp(rep->rows[i].label, rep->rows[j].label))
				continue;
			done[j] = true;
			ko_counts_merge(&pooled, &rep->rows[j].c);
		}
		if (!pooled.predictions)
			continue;
		ko_counts_rates(&pooled, &one);
		nlabels++;
		r->events += one.events;
		r->predictions += one.predictions;
		r->top1 += one.top1;
		r->top3 += one.top3;
		r->coverage += one.coverage;
		r->model_top1 += one.model_top1;
		for (k = 0; k < KO_BASE_COUNT; k++)
			r->base[k] += one.base[k];
		r->lead_top1 += one.lead_top1;
		r->lead_coverage += one.lead_coverage;
	}
	if (nlabels) {
		r->events /= (double)nlabels;
		r->predictions /= (double)nlabels;
		r->top1 /= (double)nlabels;
		r->top3 /= (double)nlabels;
		r->coverage /= (double)nlabels;
		r->model_top1 /= (double)nlabels;
		for (k = 0; k < KO_BASE_COUNT; k++)
			r->base[k] /= (double)nlabels;
		r->lead_top1 /= (double)nlabels;
		r->lead_coverage /= (double)nlabels;
	}
	free(done);
	return 0;
}

static void ko_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The keys every trace, "overall" and "macro" share; @count_fmt for counts. */
static void ko_json_rates(FILE *f, const struct ko_rates *r,
			  const char *count_fmt)
{
	int k;

	fprintf(f, "\"events\":");
	fprintf(f, count_fmt, r->events);
	fprintf(f, ",\"predictions\":");
	fprintf(f, count_fmt, r->predictions);
	fprintf(f, ",\"top1\":%.6f,\"top3\":%.6f,\"coverage\":%.6f,"
		"\"model_top1\":%.6f,\"lead_top1\":%.6f,\"lead_coverage\":%.6f,"
		"\"baselines\":{",
		r->top1, r->top3, r->coverage, r->model_top1, r->lead_top1,
		r->lead_coverage);
	for (k = 0; k < KO_BASE_COUNT; k++)
		fprintf(f, "%s\"%s\":%.6f", k ? "," : "", ko_base_names[k],
			r->base[k]);
	fputc('}', f);
}

int ko_report_json(const struct ko_report *rep, FILE *f)
{
	struct ko_rates r;
	size_t i;
	int ret;

	fprintf(f, "{\"traces\":[");
	for (i = 0; i < rep->n; i++) {
		fprintf(f, "%s{\"file\":", i ? "," : "");
		ko_json_string(f, rep->rows[i].file);
		fprintf(f, ",\"label\":");
		ko_json_string(f, rep->rows[i].label);
		fputc(',', f);
		ko_counts_rates(&rep->rows[i].c, &r);
		ko_json_rates(f, &r, "%.0f");
		fputc('}', f);
	}
	fprintf(f, "],\"overall\":{");
	ko_report_overall(rep, &r);
	ko_json_rates(f, &r, "%.0f");
	fprintf(f, "},\"macro\":{");
	ret = ko_report_macro(rep, &r);
	if (ret)
		return ret;
	ko_json_rates(f, &r, "%.2f");
	fprintf(f, "}}\n");
	return ferror(f) ? -EIO : 0;
}

static void ko_table_row(FILE *f, const char *name, const char *label,
			 const struct ko_rates *r)
{
	int k;

	fprintf(f, "%-26.26s %-20.20s %10.0f %9.0f %6.1f %6.1f %6.1f %6.1f",
		name, label, r->events, r->predictions, 100 * r->top1,
		100 * r->top3, 100 * r->coverage, 100 * r->model_top1);
	for (k = 0; k < KO_BASE_COUNT; k++)
		fprintf(f, " %6.1f", 100 * r->base[k]);
	fprintf(f, " %6.1f %6.1f\n", 100 * r->lead_top1, 100 * r->lead_coverage);
}

int ko_report_table(const struct ko_report *rep, FILE *f)
{
	static const char *const heads[KO_BASE_COUNT] = {
		"fifo", "lifo", "slot1", "mkov2", "adapt", "select",
	};
	const char *base;
	struct ko_rates r;
	size_t i;
	int k, ret;

	fprintf(f, "%-26s %-20s %10s %9s %6s %6s %6s %6s", "trace", "label",
		"events", "preds", "top1%", "top3%", "cover%", "model%");
	for (k = 0; k < KO_BASE_COUNT; k++)
		fprintf(f, " %6s", heads[k]);
	fprintf(f, " %6s %6s\n", "lead%", "lcov%");
	for (i = 0; i < rep->n; i++) {
		base = strrchr(rep->rows[i].file, '/');
		base = base ? base + 1 : rep->rows[i].file;
		ko_counts_rates(&rep->rows[i].c, &r);
		ko_table_row(f, base, rep->rows[i].label, &r);
	}
	ko_report_overall(rep, &r);
	ko_table_row(f, "overall (pooled)", "", &r);
	ret = ko_report_macro(rep, &r);
	if (ret)
		return ret;
	ko_table_row(f, "macro (mean per label)", "", &r);
	return ferror(f) ? -EIO : 0;
}

void ko_report_free(struct ko_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		free(rep->rows[i].file);
		free(rep->rows[i].label);
	}
	free(rep->rows);
	ko_report_init(rep);
}
