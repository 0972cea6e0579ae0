// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Evaluation accounting (user/metrics.c) on hand-built prediction points:
 * counts, pooled and per-label rates, and the issue-3 JSON (checked by
 * Python's json module and an exact key check).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "metrics.h"

#define K KORACLE_K
#define NA KORACLE_LABEL_NA

static struct koracle_feat mkfeat(u8 fifo, u8 lifo, u8 slot1, u8 mk2, u8 ad,
				  u8 sel)
{
	struct koracle_feat f;

	memset(&f, 0, sizeof(f));
	f.rule_pick[KORACLE_RULE_FIFO] = fifo;
	f.rule_pick[KORACLE_RULE_LIFO] = lifo;
	f.rule_pick[KORACLE_RULE_SLOT1] = slot1;
	f.rule_pick[KORACLE_RULE_MARKOV2] = mk2;
	f.rule_pick[KORACLE_RULE_ADAPTIVE] = ad;
	f.sel_pick = sel;
	return f;
}

/*
 * Trace A ("pipe", 50 events):
 *   p1 label NA                                    -> not scored
 *   p2 label 2, picks F2 L3 S1 M2 AK sel2, model 2,1,0 -> top1 top3
 *      hits: fifo markov selector
 *   p3 label 1, picks F2 L1 S1 MK A1 sel2, model 3,1,0 -> top3
 *      hits: lifo slot1 adaptive
 *   p4 label K, picks FK LK S1 MK AK sel1, model K,0,1 -> nothing (not
 *      covered)
 *   p5 label 0, picks F0 L3 S0 MK A0 sel0, scores best 4, 5, 6 -> no model
 *      hit; hits: fifo slot1 adaptive selector
 *   => predictions 4, covered 3, top1 1, top3 2,
 *      fifo 2, lifo 1, slot1 2, markov 1, adaptive 2, selector 2
 */
static void trace_a(struct ko_counts *c)
{
	const u8 r2[] = { 2, 1, 0 }, r3[] = { 3, 1, 0 }, r4[] = { K, 0, 1 };
	struct koracle_feat f;
	float sc[KORACLE_NCLASS];
	int i;

	memset(c, 0, sizeof(*c));
	c->events = 50;
	f = mkfeat(2, 2, 2, 2, 2, 2);
	ko_counts_add(c, &f, NA, r2, 3);
	f = mkfeat(2, 3, 1, 2, K, 2);
	ko_counts_add(c, &f, 2, r2, 3);
	f = mkfeat(2, 1, 1, K, 1, 2);
	ko_counts_add(c, &f, 1, r3, 3);
	f = mkfeat(K, K, 1, K, K, 1);
	ko_counts_add(c, &f, K, r4, 3);
	f = mkfeat(0, 3, 0, K, 0, 0);
	for (i = 0; i < KORACLE_NCLASS; i++)
		sc[i] = -(float)i;
	sc[4] = 9;
	sc[5] = 8;
	sc[6] = 7;
	ko_counts_add_scores(c, &f, 0, sc);
}

/* Trace B ("pipe", 10 events): one point, label 3, everyone right. */
static void trace_b(struct ko_counts *c)
{
	const u8 r[] = { 3 };
	struct koracle_feat f = mkfeat(3, 3, 3, 3, 3, 3);

	memset(c, 0, sizeof(*c));
	c->events = 10;
	ko_counts_add(c, &f, 3, r, 1);
}

/*
 * Trace C ("cpu", 20 events): label 0, all rules K, model 1,0 -> top3;
 * label 1, FIFO 1 and selector 1, model 1 -> top1 top3.
 * => predictions 2, covered 2, top1 1, top3 2, fifo 1, selector 1.
 */
static void trace_c(struct ko_counts *c)
{
	const u8 r1[] = { 1, 0 }, r2[] = { 1 };
	struct koracle_feat f;

	memset(c, 0, sizeof(*c));
	c->events = 20;
	f = mkfeat(K, K, K, K, K, K);
	ko_counts_add(c, &f, 0, r1, 2);
	f = mkfeat(1, K, K, K, K, 1);
	ko_counts_add(c, &f, 1, r2, 1);
}

static void build(struct ko_report *rep)
{
	struct ko_counts c;

	ko_report_init(rep);
	trace_a(&c);
	cr_assert_eq(ko_report_add(rep, "/data/a.trace", "pipe", &c), 0);
	trace_b(&c);
	cr_assert_eq(ko_report_add(rep, "b \"quoted\"\\.trace", "pipe", &c), 0);
	trace_c(&c);
	cr_assert_eq(ko_report_add(rep, "c.trace", "cpu", &c), 0);
	/* a trace with nothing scored counts in no label's mean */
	memset(&c, 0, sizeof(c));
	c.events = 5;
	cr_assert_eq(ko_report_add(rep, "d.trace", "empty", &c), 0);
}

#define near(a, b) cr_assert(fabs((a) - (b)) < 1e-12, "%.15g != %.15g", \
			     (double)(a), (double)(b))

Test(metrics, counts_of_a_hand_built_stream)
{
	struct ko_counts c;

	trace_a(&c);
	cr_assert_eq(c.predictions, 4);
	cr_assert_eq(c.covered, 3);
	cr_assert_eq(c.top1, 1);
	cr_assert_eq(c.top3, 2);
	cr_assert_eq(c.base[KO_BASE_FIFO], 2);
	cr_assert_eq(c.base[KO_BASE_LIFO], 1);
	cr_assert_eq(c.base[KO_BASE_SLOT1], 2);
	cr_assert_eq(c.base[KO_BASE_MARKOV2], 1);
	cr_assert_eq(c.base[KO_BASE_ADAPTIVE], 2);
	cr_assert_eq(c.base[KO_BASE_SELECTOR], 2);
}

Test(metrics, top3_order_ties_and_nan)
{
	float sc[KORACLE_NCLASS] = { 0 };
	u8 t[3];

	ko_top3(sc, t);		/* all equal: lowest classes first */
	cr_assert(t[0] == 0 && t[1] == 1 && t[2] == 2);
	sc[0] = NAN;
	sc[16] = 1;
	sc[7] = 1;
	ko_top3(sc, t);		/* 7 and 16 tie: 7 first; NaN is last */
	cr_assert(t[0] == 7 && t[1] == 16 && t[2] == 1, "%d %d %d",
		  t[0], t[1], t[2]);
}

Test(metrics, overall_is_pooled_and_macro_is_mean_per_label)
{
	struct ko_report rep;
	struct ko_rates r;

	build(&rep);
	/*
	 * Pooled over A, B, C (D adds 5 events, no predictions):
	 * 85 events, 7 predictions; top1 3/7, top3 5/7, coverage 6/7,
	 * fifo 4/7, lifo 2/7, slot1 3/7, markov 2/7, adaptive 3/7, sel 4/7.
	 */
	ko_report_overall(&rep, &r);
	near(r.events, 85);
	near(r.predictions, 7);
	near(r.top1, 3.0 / 7);
	near(r.top3, 5.0 / 7);
	near(r.coverage, 6.0 / 7);
	near(r.base[KO_BASE_FIFO], 4.0 / 7);
	near(r.base[KO_BASE_LIFO], 2.0 / 7);
	near(r.base[KO_BASE_SLOT1], 3.0 / 7);
	near(r.base[KO_BASE_MARKOV2], 2.0 / 7);
	near(r.base[KO_BASE_ADAPTIVE], 3.0 / 7);
	near(r.base[KO_BASE_SELECTOR], 4.0 / 7);
	/*
	 * "pipe" = A + B: 60 events, 5 predictions, top1 2/5, top3 3/5,
	 * coverage 4/5, fifo 3/5, lifo 2/5, slot1 3/5, markov 2/5,
	 * adaptive 3/5, selector 3/5. "cpu" = C: 20, 2, 1/2, 1, 1, fifo 1/2,
	 * others 0, selector 1/2. "empty" has no predictions: left out.
	 * Mean of the two labels:
	 */
	cr_assert_eq(ko_report_macro(&rep, &r), 0);
	near(r.events, 40);
	near(r.predictions, 3.5);
	near(r.top1, 0.45);
	near(r.top3, 0.8);
	near(r.coverage, 0.9);
	near(r.base[KO_BASE_FIFO], 0.55);
	near(r.base[KO_BASE_LIFO], 0.2);
	near(r.base[KO_BASE_SLOT1], 0.3);
	near(r.base[KO_BASE_MARKOV2], 0.2);
	near(r.base[KO_BASE_ADAPTIVE], 0.3);
	near(r.base[KO_BASE_SELECTOR], 0.55);
	ko_report_free(&rep);
}

/* Python checks the exact schema and a few values; exit status 0 = good. */
static const char *const json_check =
	"import json, sys\n"
	"d = json.load(sys.stdin)\n"
	"assert set(d) == {'traces', 'overall', 'macro'}, d.keys()\n"
	"keys = {'events', 'predictions', 'top1', 'top3', 'coverage', 'model_top1',\n"
	"        'lead_top1', 'lead_coverage', 'baselines'}\n"
	"base = {'fifo', 'lifo', 'slot1', 'markov2', 'adaptive', 'selector'}\n"
	"assert len(d['traces']) == 4\n"
	"for t in d['traces']:\n"
	"    assert set(t) == keys | {'file', 'label'}, t.keys()\n"
	"for o in d['traces'] + [d['overall'], d['macro']]:\n"
	"    assert set(o['baselines']) == base\n"
	"    for v in [o['top1'], o['top3'], o['coverage'], o['model_top1'],\n"
	"              o['lead_top1'], o['lead_coverage']] + list(o['baselines'].values()):\n"
	"        assert 0 <= v <= 1, v\n"
	"t = d['traces'][1]\n"
	"assert t['file'] == 'b \"quoted\"\\\\.trace', t['file']\n"
	"assert t['label'] == 'pipe' and t['events'] == 10 and t['predictions'] == 1\n"
	"assert t['top1'] == 1 and t['baselines']['selector'] == 1\n"
	"a = d['traces'][0]\n"
	"assert a['coverage'] == 0.75 and a['baselines']['lifo'] == 0.25\n"
	"o = d['overall']\n"
	"assert o['events'] == 85 and o['predictions'] == 7\n"
	"assert abs(o['top1'] - 3 / 7) < 1e-6\n"
	"m = d['macro']\n"
	"assert m['predictions'] == 3.5 and abs(m['baselines']['fifo'] - 0.55) < 1e-6\n";

Test(metrics, json_has_exactly_the_issue_schema)
{
	struct ko_report rep;
	char *buf = NULL;
	size_t len = 0;
	FILE *f, *py;
	int status;

	build(&rep);
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(ko_report_json(&rep, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(buf[len - 1], '\n');
	cr_assert_not_null(strstr(buf, "\"overall\":{\"events\":85,"));

	/* the script travels in the environment: no shell quoting */
	cr_assert_eq(setenv("KO_JSON_CHECK", json_check, 1), 0);
	py = popen("python3 -c \"$KO_JSON_CHECK\"", "w");
	cr_assert_not_null(py, "popen python3");
	fwrite(buf, 1, len, py);
	status = pclose(py);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "python3 rejected: %s", buf);
	free(buf);
	ko_report_free(&rep);
}

Test(metrics, table_lists_every_trace_and_the_summaries)
{
	struct ko_report rep;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	build(&rep);
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(ko_report_table(&rep, f), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_not_null(strstr(buf, "a.trace"));	/* basename only */
	cr_assert_null(strstr(buf, "/data/"));
	cr_assert_not_null(strstr(buf, "overall (pooled)"));
	cr_assert_not_null(strstr(buf, "macro (mean per label)"));
	/* trace A: top1 25.0, top3 50.0, coverage 75.0 */
	cr_assert_not_null(strstr(buf, "  25.0   50.0   75.0"), "%s", buf);
	free(buf);
	ko_report_free(&rep);
}

/*
 * The lead horizon's counts ride along: set from a second replay's counts,
 * pooled by merge, turned into rates of their own predictions.
 */
Test(metrics, lead_counts_are_set_merged_and_rated)
{
	struct ko_counts a = { .predictions = 10, .top1 = 6 };
	struct ko_counts b = { .predictions = 30, .top1 = 9 };
	struct ko_counts la = { .predictions = 8, .top1 = 2, .covered = 6 };
	struct ko_counts lb = { .predictions = 12, .top1 = 3, .covered = 12 };
	struct ko_rates r;

	ko_counts_set_lead(&a, &la);
	ko_counts_set_lead(&b, &lb);
	cr_assert_eq(a.lead_predictions, 8);
	cr_assert_eq(a.top1, 6, "the current horizon's counts stay");
	ko_counts_merge(&a, &b);
	cr_assert_eq(a.lead_predictions, 20);
	cr_assert_eq(a.lead_top1, 5);
	cr_assert_eq(a.lead_covered, 18);
	ko_counts_rates(&a, &r);
	near(r.top1, 15.0 / 40);
	near(r.lead_top1, 5.0 / 20);
	near(r.lead_coverage, 18.0 / 20);
}
