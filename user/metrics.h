/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Evaluation accounting for `koracle eval`: per trace counts of a model's
 * top-1/top-3 hits, the candidate-list coverage and every rule's hits on the
 * same prediction points, combined into "overall" (pooled, i.e. weighted by
 * predictions) and "macro" (mean over workload labels), printed as a table
 * or as the JSON object of issue 3.
 *
 * Scoring: a point with label KORACLE_LABEL_NA is not scored (not even
 * counted as a prediction). A scored point is a hit only when its label is a
 * slot (< KORACLE_K) and the prediction names that slot: "none of them"
 * never hits, so coverage (label < K) is the ceiling of every accuracy.
 */
#ifndef KO_METRICS_H
#define KO_METRICS_H

#include <stdio.h>
#include "../shared/features.h"

/* Baselines: the rules in enum koracle_rule order, then the selector. */
enum ko_base {
	KO_BASE_FIFO = KORACLE_RULE_FIFO,
	KO_BASE_LIFO = KORACLE_RULE_LIFO,
	KO_BASE_SLOT1 = KORACLE_RULE_SLOT1,
	KO_BASE_MARKOV2 = KORACLE_RULE_MARKOV2,
	KO_BASE_ADAPTIVE = KORACLE_RULE_ADAPTIVE,
	KO_BASE_SELECTOR = KORACLE_RULE_COUNT,
	KO_BASE_COUNT,
};

/* JSON / table names, indexed by enum ko_base: "fifo" ... "selector". */
extern const char *const ko_base_names[KO_BASE_COUNT];

/* Raw counts for one trace (or any set of points). */
struct ko_counts {
	u64 events;		/* records of the trace (set by the caller) */
	u64 predictions;	/* scored points */
	u64 top1;
	u64 top3;
	u64 covered;		/* scored points with label < K */
	u64 model_top1;		/* the raw model's hits, before the gate */
	u64 base[KO_BASE_COUNT];	/* each baseline's hits */
	/*
	 * The same points at the lead horizon (features.h): the prediction
	 * as it stood right after the previous switch (a replay of its own).
	 */
	u64 lead_predictions;
	u64 lead_top1;
	u64 lead_covered;
};

/* Fractions in [0, 1] (0 when there is nothing to divide by). */
struct ko_rates {
	double events;		/* overall: sum; macro: mean per label */
	double predictions;	/* idem */
	double top1, top3, coverage, model_top1;
	double base[KO_BASE_COUNT];
	double lead_top1, lead_coverage;	/* of lead_predictions */
};

/*
 * Score one point. @ranked lists the model's classes (0..K), best first;
 * only the first three matter; @nranked 0 means "no model" (top-1/top-3
 * count a miss). The baselines come from @f->rule_pick and @f->sel_pick.
 */
void ko_counts_add(struct ko_counts *c, const struct koracle_feat *f, u8 label,
		   const u8 *ranked, int nranked);
/* Same with a score per class (higher is better; ties: lower class first). */
void ko_counts_add_scores(struct ko_counts *c, const struct koracle_feat *f,
			  u8 label, const float scores[KORACLE_NCLASS]);
/* The three best classes of @scores, best first (ties: lower class first). */
void ko_top3(const float scores[KORACLE_NCLASS], u8 out[3]);
/*
 * Into @c's lead counts: @lead, the same trace scored at the lead horizon
 * (its top-1 and coverage).
 */
void ko_counts_set_lead(struct ko_counts *c, const struct ko_counts *lead);
/* The raw model picked @slot at a point whose answer is @label (gate.h). */
void ko_counts_add_model(struct ko_counts *c, u8 label, u8 slot);
void ko_counts_merge(struct ko_counts *dst, const struct ko_counts *src);
void ko_counts_rates(const struct ko_counts *c, struct ko_rates *r);

/* One evaluation: a row per trace file. */
struct ko_eval_row {
	char *file;
	char *label;		/* workload label from the trace header */
	struct ko_counts c;
};

struct ko_report {
	struct ko_eval_row *rows;
	size_t n, cap;
};

void ko_report_init(struct ko_report *rep);
/* Copies @file and @label. 0 or -ENOMEM. */
int ko_report_add(struct ko_report *rep, const char *file, const char *label,
		  const struct ko_counts *c);
void ko_report_overall(const struct ko_report *rep, struct ko_rates *r);
/* Mean over distinct labels that have predictions; each label's traces
 * pooled first. 0 or -ENOMEM. */
int ko_report_macro(const struct ko_report *rep, struct ko_rates *r);
/* The issue-3 JSON object, one line plus newline. 0, -ENOMEM or -EIO. */
int ko_report_json(const struct ko_report *rep, FILE *f);
/* Human table (percentages), one row per trace, then overall and macro. */
int ko_report_table(const struct ko_report *rep, FILE *f);
void ko_report_free(struct ko_report *rep);

#endif /* KO_METRICS_H */
