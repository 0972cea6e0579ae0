// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle eval --model MODEL TRACE... [--json]`: replay each trace per CPU
 * through the encoder, run the float model over each CPU's whole sequence,
 * and score it next to every rule and the online selector on the same
 * prediction points (user/metrics.h).
 *
 * Both a float model and a blob run through the point-by-point replay of
 * user/quant_replay.h: the float model causally over each CPU's sequence in
 * chunks (each prefixed with the previous one's warm-up points, so every
 * scored point sees exactly its receptive field, as the streaming kernel
 * does; only a CPU's first points, and those after lost events, see zero
 * history, as in the kernel), the blob through the kernel's integer step.
 *
 * "None of them" never scores (metrics.h), so the model's prediction is its
 * best-scoring occupied slot; the "none" class only soaks up, in training,
 * the probability of points whose task is not in the list.
 *
 * top1/top3 score what the kernel publishes: per CPU, the gate
 * (shared/gate.h) takes the model's slot or the selector's, whichever hit
 * more lately; model_top1 is the raw model alone.
 *
 * --model also takes a weight blob (koracle quantize; told apart by its
 * magic): the kernel's integer step (shared/tcn_q.c) then streams over each
 * CPU's points exactly as the module runs it (user/quant_replay.h), and it
 * ranks only its best slot, so top-3 adds only the gate's other pick.
 * --check-kernel compares, on a trace the module collected with that blob
 * loaded, every SWITCH record's pred_slot (the kernel's step) and base_slot
 * (its selector) with this replay's, up to each CPU's first lost records.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas.h"
#include "blob_file.h"
#include "commands.h"
#include "gate.h"
#include "metrics.h"
#include "model_file.h"
#include "quant_replay.h"
#include "tcn.h"

/*
 * Per trace and horizon: the counts, one gate per CPU (model or selector,
 * as the kernel publishes), and in blob mode the --check-kernel counts.
 */
struct eval_q {
	struct ko_counts c;
	struct koracle_gate *gate;	/* (ncpu) */
	bool *seen, *lost;		/* (ncpu) per CPU: a point, a restart
					 * after one (lost records) */
	int ncpu;
	u64 points, pred_mismatch, base_mismatch;
};

static void eval_usage(FILE *f)
{
	fprintf(f,
"usage: koracle eval --model MODEL|BLOB TRACE... [--json] [--threads N]\n"
"                    [--check-kernel]\n"
"\n"
"Score a model (koracle train) or a weight blob (koracle quantize) and the\n"
"baseline rules on trace files: per trace top-1 and top-3 accuracy of the\n"
"prediction as it stands just before each switch (lead%%: as it stood right\n"
"after the previous one, lcov%%: the coverage then),\n"
"candidate-list coverage (the ceiling) and the FIFO, LIFO, slot-1, order-2\n"
"Markov, adaptive-rank rules and the online selector on the same prediction\n"
"points; then overall (weighted by predictions) and macro (mean over\n"
"workload labels). A blob runs the kernel's integer step.\n"
"\n"
"  -m, --model FILE    model file or weight blob (required)\n"
"      --json          one JSON object on stdout instead of the table\n"
"      --threads N     BLIS threads (default: online CPUs)\n"
"      --check-kernel  (blob, traces collected by koracle.ko with it loaded)\n"
"                      compare the kernel's recorded predictions with this\n"
"                      replay: prints 'check: points=N pred_mismatch=M\n"
"                      base_mismatch=B', exit 1 on any mismatch\n"
"  -h, --help          this help\n");
}

static int eval_q_grow(struct eval_q *q, int cpu)
{
	int n = q->ncpu ? q->ncpu : 8;
	struct koracle_gate *g;
	bool *seen, *lost;

	while (n <= cpu)
		n *= 2;
	g = realloc(q->gate, sizeof(*g) * n);
	if (!g)
		return -ENOMEM;
	q->gate = g;
	seen = realloc(q->seen, sizeof(*seen) * n);
	if (!seen)
		return -ENOMEM;
	q->seen = seen;
	lost = realloc(q->lost, sizeof(*lost) * n);
	if (!lost)
		return -ENOMEM;
	q->lost = lost;
	for (int i = q->ncpu; i < n; i++) {
		koracle_gate_init(&q->gate[i]);
		q->seen[i] = q->lost[i] = false;
	}
	q->ncpu = n;
	return 0;
}

static void eval_q_free(struct eval_q *q)
{
	free(q->gate);
	free(q->seen);
	free(q->lost);
}

static int eval_q_point(void *ctx, const struct ko_tcn *m,
			const struct ko_qr_point *p)
{
	struct eval_q *q = ctx;
	const struct koracle_feat *f = p->feat;
	u8 ranked[2], choice;
	int n = 0;

	(void)m;
	if (p->cpu >= q->ncpu && eval_q_grow(q, p->cpu))
		return -ENOMEM;
	if (p->restart && q->seen[p->cpu])
		q->lost[p->cpu] = true;	/* the kernel saw events we did not */
	q->seen[p->cpu] = true;
	if ((p->ev->flags & KORACLE_RF_PRED) && !q->lost[p->cpu]) {
		q->points++;
		q->pred_mismatch += p->ev->pred_slot != p->qpick;
		q->base_mismatch += p->ev->base_slot != f->sel_pick;
	}
	choice = koracle_gate_choose(&q->gate[p->cpu], p->qpick, f->sel_pick);
	ranked[n++] = choice;
	if (p->qpick != choice && p->qpick < KORACLE_K)
		ranked[n++] = p->qpick;
	else if (f->sel_pick != choice && f->sel_pick < KORACLE_K)
		ranked[n++] = f->sel_pick;
	ko_counts_add(&q->c, f, p->label, ranked, n);
	ko_counts_add_model(&q->c, p->label, p->qpick);
	koracle_gate_score(&q->gate[p->cpu], p->qpick, f->sel_pick, p->label);
	return 0;
}

/*
 * Scores one point of the float model as the kernel publishes it: the gate
 * (shared/gate.h) picks the model's slot or the selector's; the model's
 * other top slots follow for top-3. The raw model's top-1 is counted too.
 */
static int eval_f_point(void *ctx, const struct ko_tcn *m,
			const struct ko_qr_point *p)
{
	struct eval_q *q = ctx;
	const struct koracle_feat *f = p->feat;
	int K = m->cfg.nslots, i, n = 0;
	u8 top[3], ranked[3], model, choice;
	float s[KORACLE_NCLASS];

	if (p->cpu >= q->ncpu && eval_q_grow(q, p->cpu))
		return -ENOMEM;
	memcpy(s, m->a.logits + p->row * (K + 1), sizeof(s));
	s[K] = -INFINITY;	/* rank slots only: "none" never scores */
	ko_top3(s, top);
	model = s[top[0]] == -INFINITY ? KORACLE_K : top[0];
	choice = koracle_gate_choose(&q->gate[p->cpu], model, f->sel_pick);
	ranked[n++] = choice;
	for (i = 0; i < 3 && n < 3; i++)
		if (top[i] != choice && s[top[i]] != -INFINITY)
			ranked[n++] = top[i];
	ko_counts_add(&q->c, f, p->label, ranked, n);
	ko_counts_add_model(&q->c, p->label, model);
	koracle_gate_score(&q->gate[p->cpu], model, f->sel_pick, p->label);
	return 0;
}

/* One trace's row of the report; -1 (said on stderr) if it scored nothing. */
static int eval_add_row(struct ko_report *rep, const char *path,
			const struct ko_trace_info *info, struct ko_counts *c,
			u64 records)
{
	c->events = records;
	if (!c->predictions) {
		fprintf(stderr,
			"koracle: eval: %s: too few events: %llu records gave no scored prediction point (a point needs two switches on one CPU)\n",
			path, (unsigned long long)records);
		return -1;
	}
	if (ko_report_add(rep, path, info->label[0] ? info->label : "unlabelled", c)) {
		fprintf(stderr, "koracle: eval: out of memory\n");
		return -1;
	}
	return 0;
}

/*
 * One trace into @rep, at both horizons, through the float model @m or the
 * integer model @qm (the other NULL); the --check-kernel counts add to
 * @tot. 0 or -1 (message printed).
 */
static int eval_file(struct ko_tcn *m, const struct koracle_qmodel *qm,
		     const char *path, struct ko_report *rep, struct eval_q *tot)
{
	ko_qr_fn fn = qm ? eval_q_point : eval_f_point;
	struct eval_q q = { 0 }, lead = { 0 };
	struct ko_trace_info info;
	struct ko_replay_stats st;
	char err[KO_ERR_LEN];
	int ret = -1, r;

	r = ko_qr_file(path, m, qm, fn, &q, &info, &st, err);
	if (!r)
		r = ko_qr_file_at(path, KORACLE_HZ_LEAD, m, qm, fn, &lead, NULL,
				  NULL, err);
	if (r) {
		fprintf(stderr, "koracle: eval: %s\n", err);
		goto out;
	}
	ko_counts_set_lead(&q.c, &lead.c);
	if (eval_add_row(rep, path, &info, &q.c, st.records))
		goto out;
	tot->points += q.points;
	tot->pred_mismatch += q.pred_mismatch;
	tot->base_mismatch += q.base_mismatch;
	ret = 0;
out:
	eval_q_free(&q);
	eval_q_free(&lead);
	return ret;
}

/*
 * Loads @path if it is a weight blob: 1 (parsed into @qm, which points into
 * @b), 0 (not a blob: a float model file), -1 (message printed).
 */
static int eval_load_blob(const char *path, struct ko_blob_file *b,
			  struct koracle_qmodel *qm)
{
	char err[KO_ERR_LEN];
	int ret;

	ret = ko_blob_file_sniff(path, err);
	if (ret > 0)
		ret = ko_blob_file_load(path, b, qm, err) ? -1 : 1;
	if (ret < 0)
		fprintf(stderr, "koracle: eval: %s\n", err);
	return ret;
}

struct eval_args {
	const char *model;
	bool json, check;
	long threads;
	char **traces;
	int ntraces;
};

/* Parses the command line; -1 to go on, else the exit code. */
static int eval_args(int argc, char **argv, struct eval_args *a)
{
	static const struct option lopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 't' },
		{ "check-kernel", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	a->threads = sysconf(_SC_NPROCESSORS_ONLN);
	optind = 0;
	while ((c = getopt_long(argc, argv, "m:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'm': a->model = optarg; break;
		case 'j': a->json = true; break;
		case 'k': a->check = true; break;
		case 't':
			a->threads = strtol(optarg, &end, 10);
			if (*end || end == optarg || a->threads < 1 || a->threads > 1024) {
				fprintf(stderr, "koracle: eval: --threads: '%s' is not an integer in 1..1024\n",
					optarg);
				return KO_EXIT_USAGE;
			}
			break;
		case 'h': eval_usage(stdout); return KO_EXIT_OK;
		default: eval_usage(stderr); return KO_EXIT_USAGE;
		}
	}
	if (!a->model || optind >= argc) {
		fprintf(stderr, "koracle: eval: %s\n", !a->model ?
			"no model given: add --model MODEL (from koracle train)" :
			"no trace files given");
		eval_usage(stderr);
		return KO_EXIT_USAGE;
	}
	a->traces = argv + optind;
	a->ntraces = argc - optind;
	return -1;
}

/* The table or JSON, then the --check-kernel line; the exit code. */
static int eval_print(const struct eval_args *a, const struct ko_report *rep,
		      const struct eval_q *chk)
{
	if (a->json ? ko_report_json(rep, stdout) : ko_report_table(rep, stdout)) {
		fprintf(stderr, "koracle: eval: cannot write the report: %s\n",
			strerror(errno));
		return KO_EXIT_FAIL;
	}
	if (fflush(stdout)) {
		fprintf(stderr, "koracle: eval: cannot write the report: %s\n",
			strerror(errno));
		return KO_EXIT_FAIL;
	}
	if (!a->check)
		return KO_EXIT_OK;
	printf("check: points=%llu pred_mismatch=%llu base_mismatch=%llu\n",
	       (unsigned long long)chk->points,
	       (unsigned long long)chk->pred_mismatch,
	       (unsigned long long)chk->base_mismatch);
	if (!chk->points)
		fprintf(stderr,
			"koracle: eval: --check-kernel: no SWITCH record carries a kernel prediction (collect with koracle.ko and a model loaded)\n");
	if (!chk->points || chk->pred_mismatch || chk->base_mismatch)
		return KO_EXIT_FAIL;
	return KO_EXIT_OK;
}

/* The float model of @path into @m; 0 or -1 (message printed). */
static int eval_load_model(const char *path, struct ko_tcn *m,
			   struct ko_model_meta *meta)
{
	char err[KO_ERR_LEN];

	if (ko_model_load(path, m, meta, err)) {
		fprintf(stderr, "koracle: eval: %s\n", err);
		return -1;
	}
	if (ko_tcn_reserve(m, ko_qr_rows(m))) {
		fprintf(stderr, "koracle: eval: out of memory\n");
		return -1;
	}
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	struct eval_args a = { 0 };
	struct ko_model_meta meta = { 0 };
	struct ko_blob_file blob = { 0 };
	struct koracle_qmodel qm;
	struct eval_q chk = { 0 };
	struct ko_tcn m = { 0 };
	struct ko_report rep;
	int ret, isblob;

	ret = eval_args(argc, argv, &a);
	if (ret >= 0)
		return ret;
	ret = KO_EXIT_FAIL;
	ko_report_init(&rep);
	ko_blas_set_threads(a.threads > 0 ? (int)a.threads : 1);
	isblob = eval_load_blob(a.model, &blob, &qm);
	if (isblob < 0)
		goto out;
	if (a.check && !isblob) {
		fprintf(stderr,
			"koracle: eval: --check-kernel needs the weight blob the kernel ran (koracle quantize), not a float model\n");
		ret = KO_EXIT_USAGE;
		goto out;
	}
	if (!isblob && eval_load_model(a.model, &m, &meta))
		goto out;
	for (int i = 0; i < a.ntraces; i++)
		if (eval_file(isblob ? NULL : &m, isblob ? &qm : NULL,
			      a.traces[i], &rep, &chk))
			goto out;
	ret = eval_print(&a, &rep, &chk);
out:
	ko_blob_file_free(&blob);
	ko_report_free(&rep);
	ko_tcn_destroy(&m);
	free(meta.text);
	return ret;
}
