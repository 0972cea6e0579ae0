// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Central-difference gradient checks of every TCN layer's backward and of the
 * whole network (user/tcn.c, user/tcn_layers.c).
 *
 * Each check perturbs one float input by +-EPS, evaluates a scalar loss in
 * double and compares (L+ - L-) / (x+ - x-) (the perturbation actually stored
 * in float) with the analytic gradient: |num - ana| <= REL * max(|num|, |ana|)
 * + ABS. Layer checks use L = sum_i w_i out_i with fixed random w_i.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tcn.h"

#define EPS	1e-3f
#define REL	1e-2
#define ABS	1e-3

static const int N = 2, T = 9;

static void tiny_cfg(struct ko_tcn_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channels = 4;
	cfg->blocks = 2;
	cfg->kernel = 2;
	cfg->hidden = 3;
	cfg->nslots = 4;
	cfg->nev = 2;
	cfg->ev_vocab[0] = 3;
	cfg->ev_vocab[1] = 5;
	cfg->nsf = 3;
	cfg->sf_vocab[0] = 3;	/* state: 0 = empty (the mask feature) */
	cfg->sf_vocab[1] = 4;
	cfg->sf_vocab[2] = 4;
	cfg->mask_feat = 0;
}

struct tiny {
	struct ko_tcn m;
	uint8_t ev[2 * 9 * 2];
	uint8_t slot[2 * 9 * 4 * 3];
	uint8_t labels[2 * 9];
};

static void tiny_make(struct tiny *t, uint64_t seed)
{
	struct ko_tcn_config cfg;
	const struct ko_tcn_config *c = &t->m.cfg;
	uint64_t rng = seed;

	tiny_cfg(&cfg);
	cr_assert_eq(ko_tcn_create(&t->m, &cfg), 0);
	ko_tcn_init_params(&t->m, seed);
	cr_assert_eq(ko_tcn_alloc_train(&t->m), 0);
	cr_assert_eq(ko_tcn_reserve(&t->m, N * T), 0);
	/* biases start at zero; make them non-zero so their path is tested */
	for (size_t i = 0; i < t->m.nparams; i++)
		if (t->m.params_mem[i] == 0.0f)
			t->m.params_mem[i] = (float)(ko_rng_unif(&rng) - 0.5) * 0.2f;
	for (int r = 0; r < N * T; r++) {
		for (int f = 0; f < c->nev; f++)
			t->ev[r * c->nev + f] = ko_rng_next(&rng) % c->ev_vocab[f];
		for (int j = 0; j < c->nslots; j++)
			for (int g = 0; g < c->nsf; g++)
				t->slot[(r * c->nslots + j) * c->nsf + g] =
					ko_rng_next(&rng) % c->sf_vocab[g];
		t->labels[r] = ko_rng_next(&rng) % (c->nslots + 1);
		if (t->labels[r] < c->nslots)	/* labels name occupied slots */
			t->slot[(r * c->nslots + t->labels[r]) * c->nsf] = 1;
	}
	t->labels[3] = KO_TCN_LABEL_SKIP;
	/* one label pointing at an empty slot: masked, so no loss there */
	t->slot[(5 * c->nslots + 1) * c->nsf + 0] = 0;
	t->labels[5] = 1;
}

static float *rand_vec(long n, uint64_t *rng)
{
	float *x = malloc(sizeof(*x) * (n ? n : 1));

	cr_assert_not_null(x);
	for (long i = 0; i < n; i++)
		x[i] = (float)(2.0 * ko_rng_unif(rng) - 1.0);
	return x;
}

static double wsum(const float *out, const float *w, long n)
{
	double s = 0.0;

	for (long i = 0; i < n; i++)
		if (isfinite(out[i]))
			s += (double)w[i] * out[i];
	return s;
}

/* A scalar loss of the current values of some floats. */
typedef double (*loss_fn)(void *ctx);

static void check_grad(const char *what, float *x, const float *ana, long n,
		       loss_fn loss, void *ctx)
{
	for (long i = 0; i < n; i++) {
		float x0 = x[i], xp = x0 + EPS, xm = x0 - EPS;
		double lp, lm, num;

		x[i] = xp;
		lp = loss(ctx);
		x[i] = xm;
		lm = loss(ctx);
		x[i] = x0;
		num = (lp - lm) / ((double)xp - (double)xm);
		cr_assert(fabs(num - ana[i]) <= REL * fmax(fabs(num), fabs(ana[i])) + ABS,
			  "%s[%ld]: numeric %.6g analytic %.6g", what, i, num, (double)ana[i]);
	}
}

/* ---- embedding sum ---- */
struct embed_ctx { struct tiny *t; float *out, *w; };

static double embed_loss(void *p)
{
	struct embed_ctx *e = p;
	struct ko_tcn *m = &e->t->m;

	ko_embed_forward(e->out, e->t->ev, m->p.emb_ev, m->ev_off, N * T,
			 m->cfg.nev, m->cfg.channels, 0);
	return wsum(e->out, e->w, (long)N * T * m->cfg.channels);
}

Test(tcn_grad, embedding_sum)
{
	static struct tiny t;
	uint64_t rng = 11;
	long n = (long)N * T * 4;
	struct embed_ctx e = { &t, rand_vec(n, &rng), rand_vec(n, &rng) };
	long rows = 3 + 5;

	tiny_make(&t, 1);
	ko_tcn_zero_grad(&t.m);
	ko_embed_backward(t.m.g.emb_ev, e.w, t.ev, t.m.ev_off, N * T, 2, 4, 0);
	check_grad("emb_ev", t.m.p.emb_ev, t.m.g.emb_ev, rows * 4, embed_loss, &e);
	/* an ignored feature neither feeds the sum nor gets gradient */
	ko_tcn_zero_grad(&t.m);
	ko_embed_backward(t.m.g.emb_ev, e.w, t.ev, t.m.ev_off, N * T, 2, 4, 1u << 1);
	for (long i = 3 * 4; i < rows * 4; i++)
		cr_assert_eq(t.m.g.emb_ev[i], 0.0f);
	ko_embed_forward(e.out, t.ev, t.m.p.emb_ev, t.m.ev_off, N * T, 2, 4, 1u << 1);
	for (int r = 0; r < N * T; r++)
		for (int c = 0; c < 4; c++)
			cr_assert_float_eq(e.out[r * 4 + c],
					   t.m.p.emb_ev[t.ev[r * 2] * 4 + c], 1e-7);
	free(e.out);
	free(e.w);
	ko_tcn_destroy(&t.m);
}

/* ---- dilated causal convolution ---- */
struct conv_ctx {
	float *out, *col, *inp, *w, *b, *dw;
	int C, Co, k, dil;
};

static double conv_loss(void *p)
{
	struct conv_ctx *c = p;

	ko_conv_forward(c->out, c->col, c->inp, c->w, c->b, N, T, c->C, c->Co,
			c->k, c->dil);
	return wsum(c->out, c->dw, (long)N * T * c->Co);
}

static void conv_case(int C, int Co, int k, int dil)
{
	uint64_t rng = 100 + k * 10 + dil;
	long R = (long)N * T;
	struct conv_ctx c = {
		.out = rand_vec(R * Co, &rng), .col = rand_vec(R * k * C, &rng),
		.inp = rand_vec(R * C, &rng), .w = rand_vec((long)k * C * Co, &rng),
		.b = rand_vec(Co, &rng), .dw = rand_vec(R * Co, &rng),
		.C = C, .Co = Co, .k = k, .dil = dil,
	};
	float *gw = calloc((size_t)k * C * Co, sizeof(float));
	float *gb = calloc(Co, sizeof(float));
	float *gi = calloc(R * C, sizeof(float));
	float *dcol = calloc(R * k * C, sizeof(float));

	cr_assert(gw && gb && gi && dcol);
	conv_loss(&c);
	ko_conv_backward(gi, gw, gb, dcol, c.dw, c.col, c.w, N, T, C, Co, k, dil);
	check_grad("conv w", c.w, gw, (long)k * C * Co, conv_loss, &c);
	check_grad("conv b", c.b, gb, Co, conv_loss, &c);
	check_grad("conv input", c.inp, gi, R * C, conv_loss, &c);
	free(c.out); free(c.col); free(c.inp); free(c.w); free(c.b); free(c.dw);
	free(gw); free(gb); free(gi); free(dcol);
}

Test(tcn_grad, dilated_causal_conv)
{
	conv_case(4, 4, 2, 1);
	conv_case(3, 5, 2, 4);
	conv_case(4, 2, 3, 2);
	conv_case(2, 3, 2, 16);	/* dilation longer than the window */
}

Test(tcn_grad, conv_is_causal)
{
	/* changing step t of the input never changes outputs before t */
	uint64_t rng = 5;
	int C = 3, k = 3, dil = 2;
	long R = (long)N * T;
	float *inp = rand_vec(R * C, &rng), *w = rand_vec(k * C * C, &rng);
	float *b = rand_vec(C, &rng), *col = rand_vec(R * k * C, &rng);
	float *o1 = rand_vec(R * C, &rng), *o2 = rand_vec(R * C, &rng);

	ko_conv_forward(o1, col, inp, w, b, N, T, C, C, k, dil);
	inp[(T + 4) * C + 1] += 1.0f;	/* window 1, step 4 */
	ko_conv_forward(o2, col, inp, w, b, N, T, C, C, k, dil);
	cr_assert_arr_eq(o1, o2, sizeof(float) * (T + 4) * C);
	cr_assert_neq(o1[(T + 4) * C], o2[(T + 4) * C]);
	free(inp); free(w); free(b); free(col); free(o1); free(o2);
}

/* ---- ReLU and residual ---- */
struct elt_ctx { float *out, *x, *y, *w; long n; int relu; };

static double elt_loss(void *p)
{
	struct elt_ctx *e = p;

	if (e->relu)
		ko_relu_forward(e->out, e->x, e->n);
	else
		ko_residual_forward(e->out, e->x, e->y, e->n);
	return wsum(e->out, e->w, e->n);
}

Test(tcn_grad, relu_and_residual)
{
	uint64_t rng = 9;
	long n = 64;
	struct elt_ctx e = { rand_vec(n, &rng), rand_vec(n, &rng),
			     rand_vec(n, &rng), rand_vec(n, &rng), n, 1 };
	float *gx = calloc(n, sizeof(float)), *gy = calloc(n, sizeof(float));

	cr_assert(gx && gy);
	for (long i = 0; i < n; i++)	/* stay clear of the kink */
		if (fabsf(e.x[i]) < 0.05f)
			e.x[i] = 0.5f;
	elt_loss(&e);
	ko_relu_backward(gx, e.w, e.out, n);
	check_grad("relu", e.x, gx, n, elt_loss, &e);
	e.relu = 0;
	memset(gx, 0, sizeof(float) * n);
	ko_residual_backward(gx, gy, e.w, n);
	check_grad("residual x", e.x, gx, n, elt_loss, &e);
	check_grad("residual y", e.y, gy, n, elt_loss, &e);
	free(e.out); free(e.x); free(e.y); free(e.w); free(gx); free(gy);
}

/* ---- slot head ---- */
struct head_ctx { struct tiny *t; float *h, *w; };

static double head_loss(void *p)
{
	struct head_ctx *c = p;
	struct ko_tcn *m = &c->t->m;

	ko_head_forward(m, &m->p, m->a.logits, m->a.scores, m->a.z, m->a.hz,
			c->h, c->t->slot, N * T);
	return wsum(m->a.logits, c->w, (long)N * T * (m->cfg.nslots + 1));
}

Test(tcn_grad, slot_head)
{
	static struct tiny t;
	uint64_t rng = 21;
	long R = (long)N * T;
	struct head_ctx c;
	float *dh, *dlog;
	const struct ko_tcn_config *cfg;
	long nes = 3 + 4 + 4;

	tiny_make(&t, 2);
	cfg = &t.m.cfg;
	c = (struct head_ctx){ &t, rand_vec(R * 4, &rng), rand_vec(R * 5, &rng) };
	dh = calloc(R * 4, sizeof(float));
	dlog = calloc(R * 5, sizeof(float));
	cr_assert(dh && dlog);
	head_loss(&c);
	/* masked slots are -inf and get no gradient, like the xent's 0 */
	for (long r = 0; r < R; r++)
		for (int j = 0; j <= cfg->nslots; j++)
			dlog[r * 5 + j] = isfinite(t.m.a.logits[r * 5 + j]) ?
					  c.w[r * 5 + j] : 0.0f;
	ko_tcn_zero_grad(&t.m);
	ko_head_backward(&t.m, &t.m.p, &t.m.g, dh, t.m.da.hz, t.m.da.z,
			 t.m.da.scores, dlog, c.h, t.m.a.z, t.slot, (int)R);
	check_grad("head_w", t.m.p.head_w, t.m.g.head_w, 4 * 4, head_loss, &c);
	check_grad("head_b", t.m.p.head_b, t.m.g.head_b, 4, head_loss, &c);
	check_grad("emb_slot", t.m.p.emb_slot, t.m.g.emb_slot, nes * 3, head_loss, &c);
	check_grad("head_v", t.m.p.head_v, t.m.g.head_v, 3, head_loss, &c);
	check_grad("head input", c.h, dh, R * 4, head_loss, &c);
	free(c.h); free(c.w); free(dh); free(dlog);
	ko_tcn_destroy(&t.m);
}

/* ---- softmax cross-entropy with masking ---- */
struct xent_ctx { float *logits, *probs, *rw; uint8_t *labels; int R, V; };

static double xent_loss(void *p)
{
	struct xent_ctx *x = p;
	int count;

	return ko_xent_forward(x->probs, x->rw, x->logits, x->labels, x->R,
			       x->V, &count);
}

Test(tcn_grad, cross_entropy_with_masking)
{
	uint64_t rng = 33;
	int R = 12, V = 5, count;
	uint8_t labels[12] = { 0, 1, 2, 3, 4, 0xff, 2, 1, 9, 4, 0, 3 };
	struct xent_ctx x = { rand_vec(R * V, &rng), rand_vec(R * V, &rng),
			      rand_vec(R, &rng), labels, R, V };
	float *d = calloc((size_t)R * V, sizeof(float));
	double loss, want = 0.0;

	cr_assert_not_null(d);
	for (int i = 0; i < R * V; i++)
		x.logits[i] *= 3.0f;
	x.logits[1 * V + 3] = -INFINITY;	/* masked, not the label */
	x.logits[7 * V + 1] = -INFINITY;	/* masked label: no loss */
	loss = xent_loss(&x);
	ko_xent_forward(x.probs, x.rw, x.logits, labels, R, V, &count);
	cr_assert_eq(count, 9, "rows 5 (skip), 7 (masked), 8 (out of range)");
	for (int r = 0; r < R; r++) {
		double s = 0.0;

		if (r == 5 || r == 7 || r == 8)
			continue;
		for (int j = 0; j < V; j++)
			s += isfinite(x.logits[r * V + j]) ? exp(x.logits[r * V + j]) : 0.0;
		want += log(s) - x.logits[r * V + labels[r]];
	}
	cr_assert(fabs(loss - want / 9) < 1e-6, "%g vs %g", loss, want / 9);
	cr_assert_eq(x.probs[1 * V + 3], 0.0f);
	ko_xent_backward(d, x.probs, x.rw, labels, R, V);
	for (int j = 0; j < V; j++)
		cr_assert_eq(d[7 * V + j], 0.0f);
	cr_assert_eq(d[1 * V + 3], 0.0f);
	for (int i = 0; i < R * V; i++)	/* finite-difference the finite ones */
		if (!isfinite(x.logits[i]))
			d[i] = 0.0f;
	for (int i = 0; i < R * V; i++) {
		float one;

		if (!isfinite(x.logits[i]))
			continue;
		one = d[i];
		check_grad("logits", x.logits + i, &one, 1, xent_loss, &x);
	}
	free(x.logits); free(x.probs); free(x.rw); free(d);
}

/* ---- whole network ---- */
static double net_loss(void *p)
{
	struct tiny *t = p;
	int count;

	return ko_tcn_forward(&t->m, t->ev, t->slot, t->labels, N, T, &count);
}

Test(tcn_grad, whole_network, .timeout = 60)
{
	static struct tiny t;
	float *ana;
	int count;

	tiny_make(&t, 3);
	ko_tcn_zero_grad(&t.m);
	ko_tcn_forward(&t.m, t.ev, t.slot, t.labels, N, T, &count);
	cr_assert_eq(count, N * T - 2);
	ko_tcn_backward(&t.m, t.ev, t.slot, t.labels, N, T);
	ana = malloc(sizeof(float) * t.m.nparams);
	cr_assert_not_null(ana);
	memcpy(ana, t.m.grads_mem, sizeof(float) * t.m.nparams);
	check_grad("params", t.m.params_mem, ana, (long)t.m.nparams, net_loss, &t);
	free(ana);
	ko_tcn_destroy(&t.m);
}

Test(tcn_grad, adamw_descends_and_clip_bounds_norm)
{
	static struct tiny t;
	double l0, l1, norm;
	int count;

	tiny_make(&t, 4);
	l0 = ko_tcn_forward(&t.m, t.ev, t.slot, t.labels, N, T, &count);
	for (int i = 0; i < 20; i++) {
		ko_tcn_zero_grad(&t.m);
		ko_tcn_forward(&t.m, t.ev, t.slot, t.labels, N, T, &count);
		ko_tcn_backward(&t.m, t.ev, t.slot, t.labels, N, T);
		ko_tcn_clip_grad(&t.m, 0.1);
		norm = ko_tcn_clip_grad(&t.m, 0.0);
		cr_assert(norm <= 0.1 + 1e-6, "clipped norm %g", norm);
		ko_tcn_adamw(&t.m, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f);
	}
	l1 = ko_tcn_forward(&t.m, t.ev, t.slot, t.labels, N, T, &count);
	cr_assert(l1 < l0, "loss %g -> %g", l0, l1);
	ko_tcn_destroy(&t.m);
}

/*
 * `koracle eval` runs long sequences in chunks prefixed with the previous
 * chunk's last ko_tcn_warmup() points: that must reproduce the whole-sequence
 * causal forward, and one point less of context must not.
 */
Test(tcn_grad, warmup_is_the_exact_receptive_field)
{
	struct ko_tcn_config cfg;
	static struct ko_tcn m;
	enum { L = 40 };
	static uint8_t ev[L * 2], slot[L * 4 * 3];
	static float full[L * 5];
	uint64_t rng = 77;
	int count, w, t0;

	tiny_cfg(&cfg);
	cfg.blocks = 3;
	cfg.kernel = 3;
	cr_assert_eq(ko_tcn_create(&m, &cfg), 0);
	ko_tcn_init_params(&m, 8);
	cr_assert_eq(ko_tcn_reserve(&m, L), 0);
	for (int i = 0; i < L * 2; i++)
		ev[i] = ko_rng_next(&rng) % 3;
	for (int i = 0; i < L * 4 * 3; i++)
		slot[i] = 1 + ko_rng_next(&rng) % 2;
	ko_tcn_forward(&m, ev, slot, NULL, 1, L, &count);
	memcpy(full, m.a.logits, sizeof(full));
	w = ko_tcn_warmup(&cfg);
	cr_assert_eq(w, 2 * 2 * 7);
	t0 = L - w - 4;	/* a chunk of the last 4 points plus their context */
	ko_tcn_forward(&m, ev + t0 * 2, slot + t0 * 4 * 3, NULL, 1, L - t0, &count);
	for (int t = w; t < L - t0; t++)
		for (int j = 0; j < 5; j++)
			cr_assert_float_eq(m.a.logits[t * 5 + j], full[(t0 + t) * 5 + j],
					   1e-5, "point %d class %d", t0 + t, j);
	/* one point less of context changes the first scored point */
	ko_tcn_forward(&m, ev + (t0 + 1) * 2, slot + (t0 + 1) * 4 * 3, NULL, 1,
		       L - t0 - 1, &count);
	cr_assert(fabsf(m.a.logits[(w - 1) * 5 + 4] - full[(t0 + w) * 5 + 4]) > 1e-6);
	ko_tcn_destroy(&m);
}
