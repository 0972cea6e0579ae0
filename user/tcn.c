// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle's float TCN (DESIGN.md, "The model"): what `koracle train` fits and
 * `koracle quantize` later turns into the kernel's integer model.
 *
 * At each switch on a CPU the encoder (shared/features.h) emits F per-event
 * categorical features ev[t] and, for each of the K candidate slots, G per-slot
 * categorical features slot[t][j]. The network predicts which slot the CPU
 * switches to next, or K for "none of them":
 *
 *   x_t      = sum_f E_f[ev[t][f]]                          (C)  embedding sum
 *   block b, dilation d = 2^b, taps i = 0..k-1:
 *   u_t      = relu(b1 + sum_i W1_i x_{t - i d})            (C)
 *   v_t      = relu(b2 + sum_i W2_i u_{t - i d})            (C)
 *   x'_t     = x_t + v_t                                    residual
 *   h_t      = output of the last block                     (C)
 *   z_tj     = relu(A^T h_t + a + sum_g S_g[slot[t][j][g]])  (H)  per slot
 *   score_tj = v . z_tj          (-inf if slot j is empty)
 *   score_tK = w_none . h_t + b_none
 *   loss     = mean over positions t >= warm-up of
 *              -log softmax(score_t)[label_t]
 *
 * The tables E_f stand for "one-hot embedding times input projection", so the
 * input layer is a sum of rows (cheap in the kernel). Each convolution over a
 * window is one GEMM: (R, k*C) gathered taps times (k*C, C) weights. The
 * receptive field is 1 + 2 (k-1) (2^B - 1) events; positions closer than that
 * to a window's start would see zero padding the streaming kernel never sees,
 * so training puts no loss on them (the warm-up).
 *
 * Memory layout follows llm.c: parameters, gradients and both AdamW moments
 * are each one allocation carved identically, so zeroing gradients is one
 * memset, clipping one loop and AdamW one flat loop.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tcn.h"

int ko_tcn_warmup(const struct ko_tcn_config *cfg)
{
	return 2 * (cfg->kernel - 1) * ((1 << cfg->blocks) - 1);
}

const char *ko_tcn_config_check(const struct ko_tcn_config *cfg)
{
	if (cfg->channels < 1 || cfg->channels > KO_TCN_MAX_CHANNELS)
		return "channels out of range (1..256)";
	if (cfg->blocks < 0 || cfg->blocks > KO_TCN_MAX_BLOCKS)
		return "blocks out of range (0..10)";
	if (cfg->kernel < 1 || cfg->kernel > KO_TCN_MAX_KERNEL)
		return "kernel size out of range (1..5)";
	if (cfg->hidden < 1 || cfg->hidden > KO_TCN_MAX_HIDDEN)
		return "head width out of range (1..256)";
	if (cfg->nslots < 1 || cfg->nslots > KO_TCN_MAX_SLOTS)
		return "slot count out of range (1..64)";
	if (cfg->nev < 1 || cfg->nev > KO_TCN_MAX_FEAT ||
	    cfg->nsf < 1 || cfg->nsf > KO_TCN_MAX_FEAT)
		return "feature count out of range (1..16)";
	if (cfg->mask_feat < 0 || cfg->mask_feat >= cfg->nsf)
		return "mask feature out of range";
	if (cfg->ev_ignore >> cfg->nev ||
	    cfg->ev_ignore == (1u << cfg->nev) - 1)
		return "ignored event features out of range (or all ignored)";
	if (cfg->sf_ignore >> cfg->nsf ||
	    cfg->sf_ignore == (1u << cfg->nsf) - 1)
		return "ignored slot features out of range (or all ignored)";
	for (int f = 0; f < cfg->nev; f++)
		if (cfg->ev_vocab[f] < 1 || cfg->ev_vocab[f] > 256)
			return "event feature vocabulary out of range (1..256)";
	for (int g = 0; g < cfg->nsf; g++)
		if (cfg->sf_vocab[g] < 1 || cfg->sf_vocab[g] > 256)
			return "slot feature vocabulary out of range (1..256)";
	return NULL;
}

static long vocab_rows(const int *vocab, int n)
{
	long rows = 0;

	for (int i = 0; i < n; i++)
		rows += vocab[i];
	return rows;
}

size_t ko_tcn_num_params(const struct ko_tcn_config *cfg)
{
	size_t C = cfg->channels, H = cfg->hidden, k = cfg->kernel;

	return vocab_rows(cfg->ev_vocab, cfg->nev) * C +
	       cfg->blocks * 2 * (k * C * C + C) +
	       C * (H + 1) + (H + 1) +
	       vocab_rows(cfg->sf_vocab, cfg->nsf) * H + H;
}

long ko_tcn_macs_per_event(const struct ko_tcn_config *cfg)
{
	long C = cfg->channels, H = cfg->hidden, K = cfg->nslots;

	/* convolutions, head projection, per-slot score (embedding adds free) */
	return cfg->blocks * 2 * cfg->kernel * C * C + C * (H + 1) + K * H;
}

void ko_tcn_carve(const struct ko_tcn_config *cfg, float *mem,
		  struct ko_tcn_params *p)
{
	long C = cfg->channels, H = cfg->hidden, k = cfg->kernel;

	memset(p, 0, sizeof(*p));
	p->emb_ev = mem;
	mem += vocab_rows(cfg->ev_vocab, cfg->nev) * C;
	for (int b = 0; b < cfg->blocks; b++)
		for (int j = 0; j < 2; j++) {
			p->conv_w[b][j] = mem;
			mem += k * C * C;
			p->conv_b[b][j] = mem;
			mem += C;
		}
	p->head_w = mem;
	mem += C * (H + 1);
	p->head_b = mem;
	mem += H + 1;
	p->emb_slot = mem;
	mem += vocab_rows(cfg->sf_vocab, cfg->nsf) * H;
	p->head_v = mem;
}

int ko_tcn_create(struct ko_tcn *m, const struct ko_tcn_config *cfg)
{
	memset(m, 0, sizeof(*m));
	if (ko_tcn_config_check(cfg))
		return -EINVAL;
	m->cfg = *cfg;
	for (int f = 1; f < cfg->nev; f++)
		m->ev_off[f] = m->ev_off[f - 1] + cfg->ev_vocab[f - 1];
	for (int g = 1; g < cfg->nsf; g++)
		m->sf_off[g] = m->sf_off[g - 1] + cfg->sf_vocab[g - 1];
	m->nparams = ko_tcn_num_params(cfg);
	m->params_mem = calloc(m->nparams, sizeof(float));
	if (!m->params_mem)
		return -ENOMEM;
	ko_tcn_carve(cfg, m->params_mem, &m->p);
	return 0;
}

/* Uniform in [-a, a]. */
static void fill_uniform(float *x, long n, float a, uint64_t *rng)
{
	for (long i = 0; i < n; i++)
		x[i] = (float)((2.0 * ko_rng_unif(rng) - 1.0) * a);
}

void ko_tcn_init_params(struct ko_tcn *m, uint64_t seed)
{
	const struct ko_tcn_config *cfg = &m->cfg;
	long C = cfg->channels, H = cfg->hidden, k = cfg->kernel;
	uint64_t rng = seed ^ 0x6b6f7261636c65ULL;	/* "koracle" */
	const float s3 = sqrtf(3.0f);	/* uniform(-s3 sd, s3 sd) has sd */

	memset(m->params_mem, 0, sizeof(float) * m->nparams);
	/* the F rows summed have unit variance per channel */
	fill_uniform(m->p.emb_ev, vocab_rows(cfg->ev_vocab, cfg->nev) * C,
		     s3 / sqrtf((float)cfg->nev), &rng);
	for (int f = 0; f < cfg->nev; f++)	/* ignored: rows stay zero */
		if (cfg->ev_ignore >> f & 1)
			memset(m->p.emb_ev + (long)m->ev_off[f] * C, 0,
			       sizeof(float) * cfg->ev_vocab[f] * C);
	for (int b = 0; b < cfg->blocks; b++) {
		/* He init for the first conv; the second starts small so each
		 * block begins close to the identity */
		fill_uniform(m->p.conv_w[b][0], k * C * C,
			     s3 * sqrtf(2.0f / (float)(k * C)), &rng);
		fill_uniform(m->p.conv_w[b][1], k * C * C,
			     0.5f * s3 / sqrtf((float)(k * C)), &rng);
	}
	fill_uniform(m->p.head_w, C * (H + 1), s3 / sqrtf((float)C), &rng);
	fill_uniform(m->p.emb_slot, vocab_rows(cfg->sf_vocab, cfg->nsf) * H,
		     s3 / sqrtf((float)cfg->nsf), &rng);
	for (int g = 0; g < cfg->nsf; g++)	/* ignored: rows stay zero */
		if (cfg->sf_ignore >> g & 1)
			memset(m->p.emb_slot + (long)m->sf_off[g] * H, 0,
			       sizeof(float) * cfg->sf_vocab[g] * H);
	fill_uniform(m->p.head_v, H, s3 / sqrtf((float)H), &rng);
}

int ko_tcn_alloc_train(struct ko_tcn *m)
{
	m->grads_mem = calloc(m->nparams, sizeof(float));
	m->m_mem = calloc(m->nparams, sizeof(float));
	m->v_mem = calloc(m->nparams, sizeof(float));
	if (!m->grads_mem || !m->m_mem || !m->v_mem)
		return -ENOMEM;
	ko_tcn_carve(&m->cfg, m->grads_mem, &m->g);
	m->step = 0;
	return 0;
}

int ko_tcn_replica(struct ko_tcn *r, const struct ko_tcn *master)
{
	memset(r, 0, sizeof(*r));
	r->cfg = master->cfg;
	r->nparams = master->nparams;
	memcpy(r->ev_off, master->ev_off, sizeof(r->ev_off));
	memcpy(r->sf_off, master->sf_off, sizeof(r->sf_off));
	r->params_mem = master->params_mem;
	r->p = master->p;
	r->shared = true;
	r->grads_mem = calloc(r->nparams, sizeof(float));
	if (!r->grads_mem)
		return -ENOMEM;
	ko_tcn_carve(&r->cfg, r->grads_mem, &r->g);
	return 0;
}

/* Carves @mem into activations for @rows rows; returns floats used. */
static long carve_acts(const struct ko_tcn_config *cfg, float *mem, long rows,
		       struct ko_tcn_acts *a)
{
	long C = cfg->channels, H = cfg->hidden, K = cfg->nslots;
	long kc = cfg->kernel * C;
	float *p = mem;

#define TAKE(ptr, n) do { if (a) (ptr) = p; p += (n); } while (0)
	TAKE(a->x0, rows * C);
	for (int b = 0; b < cfg->blocks; b++) {
		for (int j = 0; j < 2; j++) {
			TAKE(a->col[b][j], rows * kc);
			TAKE(a->a[b][j], rows * C);
		}
		TAKE(a->out[b], rows * C);
	}
	TAKE(a->hz, rows * (H + 1));
	TAKE(a->z, rows * K * H);
	TAKE(a->scores, rows * K);
	TAKE(a->logits, rows * (K + 1));
	TAKE(a->probs, rows * (K + 1));
	TAKE(a->rw, rows);
	TAKE(a->tmp, rows * C);
#undef TAKE
	return p - mem;
}

int ko_tcn_reserve(struct ko_tcn *m, int rows)
{
	long n;

	if (rows <= m->max_rows)
		return 0;
	free(m->acts_mem);
	free(m->dacts_mem);
	m->dacts_mem = NULL;
	m->max_rows = 0;
	n = carve_acts(&m->cfg, NULL, rows, NULL);
	m->acts_mem = calloc(n, sizeof(float));
	if (!m->acts_mem)
		return -ENOMEM;
	carve_acts(&m->cfg, m->acts_mem, rows, &m->a);
	if (m->grads_mem) {
		m->dacts_mem = calloc(n, sizeof(float));
		if (!m->dacts_mem)
			return -ENOMEM;
		carve_acts(&m->cfg, m->dacts_mem, rows, &m->da);
	}
	m->max_rows = rows;
	return 0;
}

void ko_tcn_destroy(struct ko_tcn *m)
{
	if (!m->shared)
		free(m->params_mem);
	free(m->grads_mem);
	free(m->m_mem);
	free(m->v_mem);
	free(m->acts_mem);
	free(m->dacts_mem);
	memset(m, 0, sizeof(*m));
}

double ko_tcn_forward(struct ko_tcn *m, const uint8_t *ev, const uint8_t *slot,
		      const uint8_t *labels, int N, int T, int *count)
{
	const struct ko_tcn_config *cfg = &m->cfg;
	struct ko_tcn_acts *a = &m->a;
	int C = cfg->channels, R = N * T;
	const float *in = a->x0;

	ko_embed_forward(a->x0, ev, m->p.emb_ev, m->ev_off, R, cfg->nev, C,
			 cfg->ev_ignore);
	for (int b = 0; b < cfg->blocks; b++) {
		int dil = 1 << b;

		ko_conv_forward(a->a[b][0], a->col[b][0], in, m->p.conv_w[b][0],
				m->p.conv_b[b][0], N, T, C, C, cfg->kernel, dil);
		ko_relu_forward(a->a[b][0], a->a[b][0], (long)R * C);
		ko_conv_forward(a->a[b][1], a->col[b][1], a->a[b][0],
				m->p.conv_w[b][1], m->p.conv_b[b][1], N, T, C, C,
				cfg->kernel, dil);
		ko_relu_forward(a->a[b][1], a->a[b][1], (long)R * C);
		ko_residual_forward(a->out[b], in, a->a[b][1], (long)R * C);
		in = a->out[b];
	}
	ko_head_forward(m, &m->p, a->logits, a->scores, a->z, a->hz, in, slot, R);
	return ko_xent_forward(a->probs, a->rw, a->logits, labels, R,
			       cfg->nslots + 1, count);
}

void ko_tcn_backward(struct ko_tcn *m, const uint8_t *ev, const uint8_t *slot,
		     const uint8_t *labels, int N, int T)
{
	const struct ko_tcn_config *cfg = &m->cfg;
	struct ko_tcn_acts *a = &m->a, *d = &m->da;
	int C = cfg->channels, R = N * T, k = cfg->kernel;
	long RC = (long)R * C;
	const float *h = cfg->blocks ? a->out[cfg->blocks - 1] : a->x0;
	float *dh = cfg->blocks ? d->out[cfg->blocks - 1] : d->x0;

	memset(m->dacts_mem, 0,
	       sizeof(float) * carve_acts(cfg, NULL, m->max_rows, NULL));
	ko_xent_backward(d->logits, a->probs, a->rw, labels, R, cfg->nslots + 1);
	ko_head_backward(m, &m->p, &m->g, dh, d->hz, d->z, d->scores, d->logits,
			 h, a->z, slot, R);
	for (int b = cfg->blocks - 1; b >= 0; b--) {
		int dil = 1 << b;
		float *din = b ? d->out[b - 1] : d->x0;

		ko_residual_backward(din, d->a[b][1], d->out[b], RC);
		memset(d->tmp, 0, sizeof(float) * RC);
		ko_relu_backward(d->tmp, d->a[b][1], a->a[b][1], RC);
		ko_conv_backward(d->a[b][0], m->g.conv_w[b][1], m->g.conv_b[b][1],
				 d->col[b][1], d->tmp, a->col[b][1],
				 m->p.conv_w[b][1], N, T, C, C, k, dil);
		memset(d->tmp, 0, sizeof(float) * RC);
		ko_relu_backward(d->tmp, d->a[b][0], a->a[b][0], RC);
		ko_conv_backward(din, m->g.conv_w[b][0], m->g.conv_b[b][0],
				 d->col[b][0], d->tmp, a->col[b][0],
				 m->p.conv_w[b][0], N, T, C, C, k, dil);
	}
	ko_embed_backward(m->g.emb_ev, d->x0, ev, m->ev_off, R, cfg->nev, C,
			  cfg->ev_ignore);
}

void ko_tcn_zero_grad(struct ko_tcn *m)
{
	memset(m->grads_mem, 0, sizeof(float) * m->nparams);
}

double ko_tcn_clip_grad(struct ko_tcn *m, double max_norm)
{
	double ss = 0.0, norm;

	for (size_t i = 0; i < m->nparams; i++)
		ss += (double)m->grads_mem[i] * m->grads_mem[i];
	norm = sqrt(ss);
	if (max_norm > 0 && norm > max_norm) {
		float s = (float)(max_norm / norm);

		for (size_t i = 0; i < m->nparams; i++)
			m->grads_mem[i] *= s;
	}
	return norm;
}

void ko_tcn_adamw(struct ko_tcn *m, float lr, float beta1, float beta2,
		  float eps, float weight_decay)
{
	float c1, c2;

	m->step++;
	c1 = 1.0f - powf(beta1, (float)m->step);
	c2 = 1.0f - powf(beta2, (float)m->step);
	for (size_t i = 0; i < m->nparams; i++) {
		float g = m->grads_mem[i];
		float mi = beta1 * m->m_mem[i] + (1.0f - beta1) * g;
		float vi = beta2 * m->v_mem[i] + (1.0f - beta2) * g * g;

		m->m_mem[i] = mi;
		m->v_mem[i] = vi;
		m->params_mem[i] -= lr * ((mi / c1) / (sqrtf(vi / c2) + eps) +
					  weight_decay * m->params_mem[i]);
	}
}
