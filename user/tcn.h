/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The float TCN koracle trains (DESIGN.md, "The model"), llm.c style: every
 * layer is a forward/backward pair on raw float pointers, parameters,
 * gradients and AdamW moments are each ONE allocation carved into tensors.
 * See tcn.c for the equations.
 *
 * Shapes use R = N*T rows (N windows of T consecutive prediction points of
 * one CPU), C channels, K slots, H head width, F/G per-event/per-slot
 * categorical features. Backward functions ACCUMULATE into their gradient
 * outputs (+=); callers zero them.
 */
#ifndef KO_TCN_H
#define KO_TCN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KO_TCN_MAX_FEAT		16
#define KO_TCN_MAX_BLOCKS	10
#define KO_TCN_MAX_KERNEL	5
#define KO_TCN_MAX_CHANNELS	256
#define KO_TCN_MAX_HIDDEN	256
#define KO_TCN_MAX_SLOTS	64
#define KO_TCN_LABEL_SKIP	0xff	/* no loss at this position */

struct ko_tcn_config {
	int channels;		/* C */
	int blocks;		/* B; block b's convolutions dilate by 2^b */
	int kernel;		/* k taps per convolution */
	int hidden;		/* H: per-slot head width */
	int nslots;		/* K; class K is "none of them" */
	int nev;		/* F: per-event features */
	int nsf;		/* G: per-slot features */
	int mask_feat;		/* slot feature whose value 0 means "empty" */
	uint32_t ev_ignore;	/* bit f: event feature f does not feed the
				 * input (its table rows stay zero) */
	uint32_t sf_ignore;	/* bit g: slot feature g does not feed the
				 * head (rows zero), e.g. the kernel-only
				 * features of a model trained on ftrace */
	int ev_vocab[KO_TCN_MAX_FEAT];	/* values of event feature f */
	int sf_vocab[KO_TCN_MAX_FEAT];	/* values of slot feature g */
};

/* Tensors inside one float allocation (parameters, gradients, moments). */
struct ko_tcn_params {
	float *emb_ev;				/* (sum ev_vocab, C) */
	float *conv_w[KO_TCN_MAX_BLOCKS][2];	/* (k*C, C): row i*C+c = tap i */
	float *conv_b[KO_TCN_MAX_BLOCKS][2];	/* (C) */
	float *head_w;		/* (C, H+1): columns < H = A, column H = w_none */
	float *head_b;		/* (H+1): a, then b_none */
	float *emb_slot;	/* (sum sf_vocab, H) */
	float *head_v;		/* (H) */
};

/* Activations for up to max_rows rows (one allocation; same for grads). */
struct ko_tcn_acts {
	float *x0;				/* (R, C) embedding sum */
	float *col[KO_TCN_MAX_BLOCKS][2];	/* (R, k*C) conv inputs */
	float *a[KO_TCN_MAX_BLOCKS][2];		/* (R, C) ReLU outputs */
	float *out[KO_TCN_MAX_BLOCKS];		/* (R, C) block output */
	float *hz;		/* (R, H+1) head projection */
	float *z;		/* (R, K, H) per-slot hidden (ReLU) */
	float *scores;		/* (R, K) */
	float *logits;		/* (R, K+1) */
	float *probs;		/* (R, K+1) */
	float *rw;		/* (R) loss weight per row: 1/count or 0 */
	float *tmp;		/* (R, C) backward scratch (ReLU gradient) */
};

struct ko_tcn {
	struct ko_tcn_config cfg;
	size_t nparams;
	float *params_mem;
	float *grads_mem;	/* NULL until ko_tcn_alloc_train() */
	float *m_mem, *v_mem;	/* AdamW moments, same */
	struct ko_tcn_params p, g;
	long step;		/* AdamW steps taken */
	bool shared;		/* params_mem belongs to another model */
	int max_rows;
	float *acts_mem, *dacts_mem;
	struct ko_tcn_acts a, da;
	int ev_off[KO_TCN_MAX_FEAT];	/* row offset of feature f in emb_ev */
	int sf_off[KO_TCN_MAX_FEAT];
};

/* Deterministic PRNG (splitmix64): same seed, same numbers everywhere. */
static inline uint64_t ko_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double ko_rng_unif(uint64_t *s)
{
	return (double)(ko_rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Positions at the start of a window without a full receptive field. */
int ko_tcn_warmup(const struct ko_tcn_config *cfg);
/* NULL if valid, else a static description of the first bad field. */
const char *ko_tcn_config_check(const struct ko_tcn_config *cfg);
size_t ko_tcn_num_params(const struct ko_tcn_config *cfg);
/* Multiply-accumulates per streamed event (what inference costs). */
long ko_tcn_macs_per_event(const struct ko_tcn_config *cfg);
void ko_tcn_carve(const struct ko_tcn_config *cfg, float *mem,
		  struct ko_tcn_params *p);

/* 0 or -ENOMEM / -EINVAL. Parameters are zero until ko_tcn_init_params. */
int ko_tcn_create(struct ko_tcn *m, const struct ko_tcn_config *cfg);
void ko_tcn_init_params(struct ko_tcn *m, uint64_t seed);
int ko_tcn_alloc_train(struct ko_tcn *m);	/* grads + moments */
/*
 * A worker's view of @master for data-parallel steps: same parameters (not
 * copied), its own gradients and activations, no AdamW moments.
 */
int ko_tcn_replica(struct ko_tcn *r, const struct ko_tcn *master);
int ko_tcn_reserve(struct ko_tcn *m, int rows);	/* activations */
void ko_tcn_destroy(struct ko_tcn *m);

/*
 * Whole network. ev is (N,T,F), slot is (N,T,K,G), labels (N,T) (NULL:
 * inference only; KO_TCN_LABEL_SKIP or a masked slot: no loss there).
 * Logits land in m->a.logits (R, K+1), masked slots at -inf. Returns the mean
 * loss over the counted positions (0 if none) and their number in *count.
 */
double ko_tcn_forward(struct ko_tcn *m, const uint8_t *ev, const uint8_t *slot,
		      const uint8_t *labels, int N, int T, int *count);
/* Gradients of the last forward's mean loss, accumulated into m->g. */
void ko_tcn_backward(struct ko_tcn *m, const uint8_t *ev, const uint8_t *slot,
		     const uint8_t *labels, int N, int T);
void ko_tcn_zero_grad(struct ko_tcn *m);
/* Scales gradients to global L2 norm <= max_norm; returns the norm before. */
double ko_tcn_clip_grad(struct ko_tcn *m, double max_norm);
void ko_tcn_adamw(struct ko_tcn *m, float lr, float beta1, float beta2,
		  float eps, float weight_decay);

/* The layers (exposed for the gradient checks). */
/*
 * out (R,C) = sum over f not in @ignore of table[off[f] + idx[r,f]];
 * idx (R,F), table (V,C).
 */
void ko_embed_forward(float *out, const uint8_t *idx, const float *table,
		      const int *off, int R, int F, int C, uint32_t ignore);
void ko_embed_backward(float *dtable, const float *dout, const uint8_t *idx,
		       const int *off, int R, int F, int C, uint32_t ignore);
/*
 * Causal dilated convolution over N windows of T steps as one GEMM:
 * col (R, k*C) gathers tap i = inp[n, t - i*dil] (zero before the window),
 * out (R, Co) = col @ w (k*C, Co) + b.
 */
void ko_conv_forward(float *out, float *col, const float *inp, const float *w,
		     const float *b, int N, int T, int C, int Co, int k,
		     int dil);
/* dcol (R, k*C) is scratch; dinp (R, C) += scattered taps. */
void ko_conv_backward(float *dinp, float *dw, float *db, float *dcol,
		      const float *dout, const float *col, const float *w,
		      int N, int T, int C, int Co, int k, int dil);
void ko_relu_forward(float *out, const float *inp, long n);
/* dinp += dout where out > 0 (out is the forward's output). */
void ko_relu_backward(float *dinp, const float *dout, const float *out, long n);
void ko_residual_forward(float *out, const float *x, const float *y, long n);
void ko_residual_backward(float *dx, float *dy, const float *dout, long n);
/*
 * Slot head: hz (R,H+1) = h (R,C) @ head_w + head_b;
 * z[r,j] = relu(hz[r,:H] + sum_g emb_slot[sf_off[g] + slot[r,j,g]]), g not
 * in cfg->sf_ignore;
 * scores (R,K) = z @ v; logits[r,j] = scores[r,j], or -inf when slot j is
 * empty; logits[r,K] = hz[r,H] (the "none" score).
 */
void ko_head_forward(const struct ko_tcn *m, const struct ko_tcn_params *p,
		     float *logits, float *scores, float *z, float *hz,
		     const float *h, const uint8_t *slot, int R);
void ko_head_backward(const struct ko_tcn *m, const struct ko_tcn_params *p,
		      struct ko_tcn_params *g, float *dh, float *dhz,
		      float *dz, float *dscores, const float *dlogits,
		      const float *h, const float *z, const uint8_t *slot,
		      int R);
/*
 * Softmax cross-entropy over V classes. Rows whose label is >= V or whose
 * label logit is -inf get weight 0; the others 1/count. Returns the mean loss.
 */
double ko_xent_forward(float *probs, float *rw, const float *logits,
		       const uint8_t *labels, int R, int V, int *count);
void ko_xent_backward(float *dlogits, const float *probs, const float *rw,
		      const uint8_t *labels, int R, int V);

#endif /* KO_TCN_H */
