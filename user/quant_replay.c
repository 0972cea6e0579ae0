// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Float and integer replay of a trace, point by point (quant_replay.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant_replay.h"

#define KO_QR_CHUNK	512	/* points per float forward pass per CPU */

struct qr_cpu {
	struct koracle_feat *feat;	/* (cap) */
	struct koracle_event *ev;	/* (cap) */
	u8 *label;			/* (cap) */
	bool *restart;			/* (cap) */
	u8 *evb;			/* (cap, F) float inputs */
	u8 *slot;			/* (cap, K, G) */
	int n;				/* points buffered */
	int ctx;			/* leading points already delivered */
	void *qstate;			/* integer streaming state */
};

struct qr_ctx {
	struct ko_tcn *m;
	const struct koracle_qmodel *qm;
	ko_qr_fn fn;
	void *uctx;
	struct qr_cpu *cpu;
	int ncpu;
	int cap, warmup;
};

int ko_qr_rows(const struct ko_tcn *m)
{
	return ko_tcn_warmup(&m->cfg) + KO_QR_CHUNK;
}

u8 ko_qr_float_pick(const float *logits, int K)
{
	u8 best = (u8)K;

	for (int j = 0; j < K; j++)
		if (!isinf(logits[j]) && (best == K || logits[j] > logits[best]))
			best = (u8)j;
	return best;
}

/* Delivers the buffered points after the context, keeps the warm-up. */
static int qr_flush(struct qr_ctx *q, struct qr_cpu *c)
{
	int K = KORACLE_K, keep, count, ret = 0;

	if (c->n > c->ctx && q->m)
		ko_tcn_forward(q->m, c->evb, c->slot, NULL, 1, c->n, &count);
	for (int i = c->ctx; i < c->n && !ret; i++) {
		struct ko_qr_point p = {
			.cpu = (int)(c - q->cpu), .restart = c->restart[i],
			.feat = &c->feat[i], .ev = &c->ev[i], .label = c->label[i],
			.row = q->m ? i : -1, .fpick = (u8)K, .qpick = (u8)K,
		};

		if (q->m)
			p.fpick = ko_qr_float_pick(q->m->a.logits +
						   (long)i * (K + 1), K);
		if (q->qm) {
			if (p.restart)
				koracle_qstate_reset(q->qm, c->qstate);
			p.qpick = koracle_qstep(q->qm, c->qstate, p.feat,
						&p.qmargin);
		}
		ret = q->fn(q->uctx, q->m, &p);
	}
	keep = c->n < q->warmup ? c->n : q->warmup;
	if (keep && c->n > keep) {
		int from = c->n - keep;

		memmove(c->feat, c->feat + from, sizeof(*c->feat) * keep);
		memmove(c->ev, c->ev + from, sizeof(*c->ev) * keep);
		memmove(c->label, c->label + from, keep);
		memmove(c->restart, c->restart + from, sizeof(bool) * keep);
		memmove(c->evb, c->evb + (size_t)from * KORACLE_EF_COUNT,
			(size_t)keep * KORACLE_EF_COUNT);
		memmove(c->slot, c->slot + (size_t)from * KORACLE_K * KORACLE_SF_COUNT,
			(size_t)keep * KORACLE_K * KORACLE_SF_COUNT);
	}
	c->n = c->ctx = keep;
	return ret;
}

static struct qr_cpu *qr_cpu_get(struct qr_ctx *q, int cpu)
{
	struct qr_cpu *grown, *c;

	if (cpu >= q->ncpu) {
		int n = q->ncpu ? q->ncpu : 8;

		while (n <= cpu)
			n *= 2;
		grown = realloc(q->cpu, sizeof(*grown) * n);
		if (!grown)
			return NULL;
		memset(grown + q->ncpu, 0, sizeof(*grown) * (n - q->ncpu));
		q->cpu = grown;
		q->ncpu = n;
	}
	c = &q->cpu[cpu];
	if (!c->feat) {
		c->feat = malloc(sizeof(*c->feat) * q->cap);
		c->ev = malloc(sizeof(*c->ev) * q->cap);
		c->label = malloc(q->cap);
		c->restart = malloc(sizeof(bool) * q->cap);
		c->evb = malloc((size_t)q->cap * KORACLE_EF_COUNT);
		c->slot = malloc((size_t)q->cap * KORACLE_K * KORACLE_SF_COUNT);
		c->qstate = calloc(1, q->qm ? koracle_qstate_size(q->qm) : 1);
		if (!c->feat || !c->ev || !c->label || !c->restart || !c->evb ||
		    !c->slot || !c->qstate)
			return NULL;
	}
	return c;
}

static int qr_point(void *ctx, const struct ko_point *p)
{
	struct qr_ctx *q = ctx;
	struct qr_cpu *c = qr_cpu_get(q, p->cpu);
	int ret;

	if (!c)
		return -ENOMEM;
	if (p->restart) {
		ret = qr_flush(q, c);
		if (ret)
			return ret;
		c->n = c->ctx = 0;
	}
	c->feat[c->n] = *p->feat;
	c->ev[c->n] = *p->ev;
	c->label[c->n] = p->label;
	c->restart[c->n] = p->restart;
	memcpy(c->evb + (size_t)c->n * KORACLE_EF_COUNT, p->feat->ev,
	       KORACLE_EF_COUNT);
	memcpy(c->slot + (size_t)c->n * KORACLE_K * KORACLE_SF_COUNT,
	       p->feat->slot, KORACLE_K * KORACLE_SF_COUNT);
	c->n++;
	return c->n == q->cap ? qr_flush(q, c) : 0;
}

int ko_qr_file(const char *path, struct ko_tcn *m,
	       const struct koracle_qmodel *qm, ko_qr_fn fn, void *ctx,
	       struct ko_trace_info *info, struct ko_replay_stats *st,
	       char err[KO_ERR_LEN])
{
	return ko_qr_file_at(path, KORACLE_HZ_CURRENT, m, qm, fn, ctx, info, st,
			     err);
}

int ko_qr_file_at(const char *path, enum koracle_horizon h, struct ko_tcn *m,
		  const struct koracle_qmodel *qm, ko_qr_fn fn, void *ctx,
		  struct ko_trace_info *info, struct ko_replay_stats *st,
		  char err[KO_ERR_LEN])
{
	struct qr_ctx q = { .m = m, .qm = qm, .fn = fn, .uctx = ctx };
	int ret;

	q.warmup = m ? ko_tcn_warmup(&m->cfg) : 0;
	q.cap = q.warmup + KO_QR_CHUNK;
	ret = ko_replay_file_at(path, h, qr_point, &q, info, st, err);
	for (int i = 0; !ret && i < q.ncpu; i++)
		if (q.cpu[i].feat)
			ret = qr_flush(&q, &q.cpu[i]);
	if (ret == -ENOMEM)
		snprintf(err, KO_ERR_LEN, "%s: out of memory", path);
	for (int i = 0; i < q.ncpu; i++) {
		free(q.cpu[i].feat);
		free(q.cpu[i].ev);
		free(q.cpu[i].label);
		free(q.cpu[i].restart);
		free(q.cpu[i].evb);
		free(q.cpu[i].slot);
		free(q.cpu[i].qstate);
	}
	free(q.cpu);
	return ret;
}
