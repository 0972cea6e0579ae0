// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Float and integer replay of a trace, point by point (quant_replay.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_points.h"
#include "quant_replay.h"

#define KO_QR_CHUNK	512	/* points per float forward pass per CPU */

struct qr_ctx {
	struct ko_tcn *m;
	const struct koracle_qmodel *qm;
	ko_qr_fn fn;
	void *uctx;
	struct ko_cpu_set cpus;	/* full points; extra: the integer state */
	int warmup;
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
static int qr_flush(struct qr_ctx *q, struct ko_cpu_points *c)
{
	int K = KORACLE_K, n = (int)c->n, keep, count, ret = 0;

	if (n > c->ctx && q->m)
		ko_tcn_forward(q->m, c->evb, c->slot, NULL, 1, n, &count);
	for (int i = c->ctx; i < n && !ret; i++) {
		struct ko_qr_point p = {
			.cpu = (int)(c - q->cpus.cpu), .restart = c->restart[i],
			.feat = &c->feat[i], .ev = &c->ev[i], .label = c->label[i],
			.row = q->m ? i : -1, .fpick = (u8)K, .qpick = (u8)K,
		};

		if (q->m)
			p.fpick = ko_qr_float_pick(q->m->a.logits +
						   (long)i * (K + 1), K);
		if (q->qm) {
			if (p.restart)
				koracle_qstate_reset(q->qm, c->extra);
			p.qpick = koracle_qstep(q->qm, c->extra, p.feat,
						&p.qmargin);
		}
		ret = q->fn(q->uctx, q->m, &p);
	}
	keep = n < q->warmup ? n : q->warmup;
	if (keep && n > keep)
		ko_cpu_points_keep(&q->cpus, c, n - keep, keep);
	c->n = (u64)keep;
	c->ctx = keep;
	return ret;
}

static int qr_point(void *ctx, const struct ko_point *p)
{
	struct qr_ctx *q = ctx;
	struct ko_cpu_points *c = ko_cpu_points_get(&q->cpus, p->cpu);
	int ret;

	if (!c)
		return -ENOMEM;
	if (p->restart) {
		ret = qr_flush(q, c);
		if (ret)
			return ret;
		c->n = 0;
		c->ctx = 0;
	}
	ko_cpu_points_put(&q->cpus, c, (int)c->n, p);
	c->n++;
	return c->n == (u64)q->cpus.cap ? qr_flush(q, c) : 0;
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
	ko_cpu_set_init(&q.cpus, q.warmup + KO_QR_CHUNK, true,
			qm ? koracle_qstate_size(qm) : 0);
	ret = ko_replay_file_at(path, h, qr_point, &q, info, st, err);
	for (int i = 0; !ret && i < q.cpus.ncpu; i++)
		if (q.cpus.cpu[i].evb)
			ret = qr_flush(&q, &q.cpus.cpu[i]);
	if (ret == -ENOMEM)
		snprintf(err, KO_ERR_LEN, "%s: out of memory", path);
	ko_cpu_set_free(&q.cpus);
	return ret;
}
