// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Folding a float model and its activation ranges into a blob (quant.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/blob.h"
#include "quant.h"

#define Q16	32767.0
#define Q8	127.0

int ko_quant_multiplier(double real, int32_t *mult, int *shift)
{
	int e;
	double q;
	long long m;

	*mult = 0;
	*shift = 0;
	if (!(real > 0))
		return 0;
	q = frexp(real, &e);	/* real = q 2^e, q in [0.5, 1) */
	m = llround(q * 2147483648.0);
	if (m == 2147483648LL) {
		m /= 2;
		e++;
	}
	if (e < KORACLE_Q_MIN_SHIFT)
		return 0;	/* below 2^-32: rounds to zero anyway */
	if (e > KORACLE_Q_MAX_SHIFT)
		return -ERANGE;
	*mult = (int32_t)m;
	*shift = e;
	return 0;
}

static int8_t q8(double x)
{
	double r = round(x);

	return (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
}

static int16_t q16(double x)
{
	double r = round(x);

	return (int16_t)(r > 32767 ? 32767 : r < -32767 ? -32767 : r);
}

/* Scale for a tensor whose magnitude reaches @max (never 0). */
static double act_scale(double max, double headroom)
{
	return max > 0 ? max * headroom / Q16 : 1.0 / Q16;
}

/* A little-endian u32 at @p (any alignment). */
static void put32(uint8_t *p, uint32_t v)
{
	__le32 le = koracle_le32(v);

	memcpy(p, &le, sizeof(le));
}

/* Word @i of a packed section: lanes @lo, @hi (tcn_q.h, "Two lanes"). */
static void put_pair(uint8_t *sect, long i, int32_t lo, int32_t hi)
{
	__le64 w = koracle_le64((uint64_t)koracle_q_pack(lo, hi));

	memcpy(sect + 8 * i, &w, sizeof(w));
}

struct qb {
	const struct ko_tcn *m;
	uint8_t *sect[KORACLE_BS_COUNT];
	char *err;
};

/*
 * One requantized layer: weights (rows of @n_in, @n_out columns, element
 * (i, o) at w[i * ld + o]), bias (n_out), input scale @s_in, output scale
 * @s_out. Writes packed weights (n_out/2, n_in) and biases (n_out/2), and
 * per-channel multipliers and shifts.
 */
static int fold_layer(struct qb *q, const float *w, int ld, const float *b,
		      int n_in, int n_out, double s_in, double s_out,
		      uint8_t *wq, uint8_t *bq, uint8_t *mq, uint8_t *sq)
{
	int8_t wlo[KORACLE_Q_MAX_KERNEL * KORACLE_Q_MAX_CHANNELS];
	int32_t blo = 0;

	for (int o = 0; o < n_out; o++) {
		double mx = 0, ws, bias;
		int32_t mult;
		int shift;

		for (int i = 0; i < n_in; i++)
			mx = fmax(mx, fabs(w[(long)i * ld + o]));
		ws = mx > 0 ? mx / Q8 : 1.0;
		bias = round(b[o] / (s_in * ws));
		if (fabs(bias) > KORACLE_Q_MAX_BIAS) {
			snprintf(q->err, KO_ERR_LEN,
				 "a bias (%g) is too large for the accumulator at this input scale",
				 b[o]);
			return -EINVAL;
		}
		/* even channels wait for their odd partner: one word per pair */
		for (int i = 0; i < n_in; i++) {
			int8_t v = q8(w[(long)i * ld + o] / ws);

			if (o % 2 == 0)
				wlo[i] = v;
			else
				put_pair(wq, (long)(o / 2) * n_in + i, wlo[i], v);
		}
		if (o % 2 == 0)
			blo = (int32_t)bias;
		else
			put_pair(bq, o / 2, blo, (int32_t)bias);
		if (ko_quant_multiplier(s_in * ws / s_out, &mult, &shift)) {
			snprintf(q->err, KO_ERR_LEN,
				 "a rescale factor (%g) is beyond 2^15", s_in * ws / s_out);
			return -EINVAL;
		}
		put32(mq + 4 * o, (uint32_t)mult);
		sq[o] = (uint8_t)(int8_t)shift;
	}
	return 0;
}

static long rows_of(const int *vocab, int n)
{
	long r = 0;

	for (int i = 0; i < n; i++)
		r += vocab[i];
	return r;
}

/* Table (rows, n) into packed s16 pairs at scale @s; ignored rows zero. */
static void fold_table(const float *t, const int *vocab, int nf, uint32_t ignore,
		       int n, double s, uint8_t *out)
{
	long r = 0;

	for (int f = 0; f < nf; f++)
		for (int v = 0; v < vocab[f]; v++, r++)
			for (int c = 0; c < n; c += 2) {
				bool z = ignore >> f & 1;

				put_pair(out, (r * n + c) / 2,
					 z ? 0 : q16(t[r * n + c] / s),
					 z ? 0 : q16(t[r * n + c + 1] / s));
			}
}

/*
 * The slot table groups: koracle_q_layout (shared/tcn_q.c), whose merged
 * tables stay small (at most a few hundred rows: 256, 289, 24, 64, 68);
 * ignored features are left out, empty groups dropped.
 */
struct qgroups {
	int n;
	int nfeat[KORACLE_Q_MAX_GROUPS];
	int feat[KORACLE_Q_MAX_GROUPS][KORACLE_Q_GROUP_FEATS];
	long rows[KORACLE_Q_MAX_GROUPS];
	long total;
};

static void make_groups(const struct ko_tcn_config *c, struct qgroups *g)
{
	memset(g, 0, sizeof(*g));
	for (int i = 0; i < KORACLE_Q_HEAD_GROUPS; i++) {
		const struct koracle_qgroup *lg = &koracle_q_layout[i];
		int n = 0;
		long rows = 1;

		for (int k = 0; k < lg->nfeat; k++) {
			int f = lg->feat[k];

			if (c->sf_ignore >> f & 1)
				continue;
			g->feat[g->n][n++] = f;
			rows *= c->sf_vocab[f];
		}
		if (!n)
			continue;
		g->nfeat[g->n] = n;
		g->rows[g->n] = rows;
		g->total += rows;
		g->n++;
	}
}

/*
 * Merged rows of every group, (total rows, H) floats: row r of group g is
 * the sum of its features' rows for the values r encodes (first feature
 * slowest). Returns the largest magnitude.
 */
static double merge_groups(const struct ko_tcn *m, const struct qgroups *g,
			   float *out)
{
	const struct ko_tcn_config *c = &m->cfg;
	int H = c->hidden;
	double mx = 0;
	long r0 = 0;

	for (int i = 0; i < g->n; i++) {
		for (long r = 0; r < g->rows[i]; r++) {
			float *o = out + (r0 + r) * H;
			long rem = r;

			memset(o, 0, sizeof(*o) * H);
			for (int k = g->nfeat[i] - 1; k >= 0; k--) {
				int f = g->feat[i][k], v = (int)(rem % c->sf_vocab[f]);
				const float *row = m->p.emb_slot +
						   (long)(m->sf_off[f] + v) * H;

				rem /= c->sf_vocab[f];
				for (int h = 0; h < H; h++)
					o[h] += row[h];
			}
			for (int h = 0; h < H; h++)
				mx = fmax(mx, fabs(o[h]));
		}
		r0 += g->rows[i];
	}
	return mx;
}

static int check_arch(const struct ko_tcn_config *c, char err[KO_ERR_LEN])
{
	if (c->channels % 2 || c->hidden % 2) {
		snprintf(err, KO_ERR_LEN,
			 "channels (%d) and head width (%d) must be even: the integer step packs two channels per 64-bit word; retrain",
			 c->channels, c->hidden);
		return -EINVAL;
	}
	if (c->channels > KORACLE_Q_MAX_CHANNELS || c->blocks > KORACLE_Q_MAX_BLOCKS ||
	    c->kernel > KORACLE_Q_MAX_KERNEL || c->hidden > KORACLE_Q_MAX_HIDDEN ||
	    (c->blocks && (1 << (c->blocks - 1)) > KORACLE_Q_MAX_DIL)) {
		snprintf(err, KO_ERR_LEN,
			 "architecture C=%d B=%d k=%d H=%d is beyond the kernel's bounds (C<=%d B<=%d k<=%d H<=%d): retrain smaller",
			 c->channels, c->blocks, c->kernel, c->hidden,
			 KORACLE_Q_MAX_CHANNELS, KORACLE_Q_MAX_BLOCKS,
			 KORACLE_Q_MAX_KERNEL, KORACLE_Q_MAX_HIDDEN);
		return -EINVAL;
	}
	if (c->nslots != KORACLE_K || c->nev != KORACLE_EF_COUNT ||
	    c->nsf != KORACLE_SF_COUNT || c->mask_feat != KORACLE_SF_STATE) {
		snprintf(err, KO_ERR_LEN, "model was trained for another encoder: retrain");
		return -EINVAL;
	}
	return 0;
}

/* Header fields and section table; returns the blob size. */
static size_t layout(const struct ko_tcn_config *c, const struct qgroups *g,
		     struct koracle_blob_hdr *h, const uint64_t *len, size_t *off)
{
	size_t at = KORACLE_BLOB_HDR_SIZE;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, KORACLE_BLOB_MAGIC, sizeof(h->magic));
	h->version = koracle_le32(KORACLE_BLOB_VERSION);
	h->hdr_size = koracle_le32(KORACLE_BLOB_HDR_SIZE);
	h->feat_version = koracle_le16(KORACLE_FEAT_VERSION);
	h->nslots = KORACLE_K;
	h->nev = KORACLE_EF_COUNT;
	h->nsf = KORACLE_SF_COUNT;
	h->mask_feat = KORACLE_SF_STATE;
	h->kernel = (uint8_t)c->kernel;
	h->blocks = (uint8_t)c->blocks;
	h->channels = koracle_le16(c->channels);
	h->hidden = koracle_le16(c->hidden);
	h->ev_ignore = koracle_le32(c->ev_ignore);
	h->sf_ignore = koracle_le32(c->sf_ignore);
	for (int i = 0; i < c->nev; i++)
		h->ev_vocab[i] = (uint8_t)c->ev_vocab[i];
	for (int i = 0; i < c->nsf; i++)
		h->sf_vocab[i] = (uint8_t)c->sf_vocab[i];
	for (int b = 0; b < c->blocks; b++)
		h->dil[b] = (uint8_t)(1 << b);
	h->ngroups = (uint8_t)g->n;
	memset(h->group_feat, 0xff, sizeof(h->group_feat));
	for (int i = 0; i < g->n; i++)
		for (int k = 0; k < g->nfeat[i]; k++)
			h->group_feat[i][k] = (uint8_t)g->feat[i][k];
	for (int s = 0; s < KORACLE_BS_COUNT; s++) {
		at = (at + KORACLE_BLOB_ALIGN - 1) / KORACLE_BLOB_ALIGN *
		     KORACLE_BLOB_ALIGN;
		off[s] = at;
		h->sect[s].offset = koracle_le32((uint32_t)at);
		h->sect[s].length = koracle_le32((uint32_t)len[s]);
		at += len[s];
	}
	h->total_size = koracle_le32((uint32_t)at);
	return at;
}

/* x0's range: its exact worst case, per channel the sum of each event
 * table's largest entry, so the embedding sum never saturates. */
static double x0_bound(const struct ko_tcn *m)
{
	const struct ko_tcn_config *c = &m->cfg;
	int C = c->channels;
	double bound = 0;

	for (int ch = 0; ch < C; ch++) {
		double s = 0;

		for (int f = 0; f < c->nev; f++) {
			double mx = 0;

			if (c->ev_ignore >> f & 1)
				continue;
			for (int v = 0; v < c->ev_vocab[f]; v++)
				mx = fmax(mx, fabs(m->p.emb_ev[(long)(m->ev_off[f] + v) * C + ch]));
			s += mx;
		}
		bound = fmax(bound, s);
	}
	return bound;
}

/* Each section's bytes: packed sections take 4 bytes a lane (blob.h). */
static void section_sizes(const struct ko_tcn_config *c,
			  const struct qgroups *grp,
			  uint64_t want[KORACLE_BS_COUNT])
{
	int C = c->channels, H = c->hidden, k = c->kernel, B = c->blocks;

	want[KORACLE_BS_EMB_EV] = rows_of(c->ev_vocab, c->nev) * C * 4;
	want[KORACLE_BS_CONV_W] = 2L * B * C * k * C * 4;
	want[KORACLE_BS_CONV_B] = want[KORACLE_BS_CONV_M] = 2L * B * C * 4;
	want[KORACLE_BS_CONV_S] = 2L * B * C;
	want[KORACLE_BS_HEAD_W] = (uint64_t)H * C * 4;
	want[KORACLE_BS_HEAD_B] = want[KORACLE_BS_HEAD_M] = H * 4;
	want[KORACLE_BS_HEAD_S] = want[KORACLE_BS_HEAD_V] = H;
	want[KORACLE_BS_EMB_SLOT] = grp->total * H * 4;
}

/* Each residual block: its two convolutions, then its residual rescale. */
static int fold_blocks(struct qb *q, const double *s_x, const double *s_u,
		       struct koracle_blob_hdr *h)
{
	const struct ko_tcn_config *c = &q->m->cfg;
	const struct ko_tcn_params *p = &q->m->p;
	int C = c->channels, k = c->kernel;
	int32_t mult;
	int ret, shift;

	for (int b = 0; b < c->blocks; b++) {
		for (int j = 0; j < 2; j++) {
			long l = 2 * b + j;
			double s_in = j ? s_u[b] : s_x[b];
			double s_out = j ? s_x[b + 1] : s_u[b];

			ret = fold_layer(q, p->conv_w[b][j], C, p->conv_b[b][j],
					 k * C, C, s_in, s_out,
					 q->sect[KORACLE_BS_CONV_W] + l * C * k * C * 4,
					 q->sect[KORACLE_BS_CONV_B] + l * C * 4,
					 q->sect[KORACLE_BS_CONV_M] + l * C * 4,
					 q->sect[KORACLE_BS_CONV_S] + l * C);
			if (ret)
				return ret;
		}
		if (ko_quant_multiplier(s_x[b] / s_x[b + 1], &mult, &shift)) {
			snprintf(q->err, KO_ERR_LEN,
				 "block %d's residual rescale is beyond 2^15", b);
			return -EINVAL;
		}
		h->res_mult[b] = koracle_le32((uint32_t)mult);
		h->res_shift[b] = (int8_t)shift;
	}
	return 0;
}

/*
 * The head: columns < H of head_w (C, H+1) (the "none" column never
 * ranks), the merged slot tables (@merged, @n values) in the head's
 * scale, and the score weights v.
 */
static int fold_head(struct qb *q, const float *merged, long n, double s_in,
		     double s_hz)
{
	const struct ko_tcn_params *p = &q->m->p;
	int C = q->m->cfg.channels, H = q->m->cfg.hidden, ret;
	double vmax = 0, vs;

	ret = fold_layer(q, p->head_w, H + 1, p->head_b, C, H, s_in, s_hz,
			 q->sect[KORACLE_BS_HEAD_W], q->sect[KORACLE_BS_HEAD_B],
			 q->sect[KORACLE_BS_HEAD_M], q->sect[KORACLE_BS_HEAD_S]);
	if (ret)
		return ret;
	for (long i = 0; i < n; i += 2)
		put_pair(q->sect[KORACLE_BS_EMB_SLOT], i / 2, q16(merged[i] / s_hz),
			 q16(merged[i + 1] / s_hz));
	for (int j = 0; j < H; j++)
		vmax = fmax(vmax, fabs(p->head_v[j]));
	vs = vmax > 0 ? vmax / Q8 : 1.0;
	for (int j = 0; j < H; j++)
		q->sect[KORACLE_BS_HEAD_V][j] = (uint8_t)q8(p->head_v[j] / vs);
	return 0;
}

int ko_quant_build(const struct ko_tcn *m, const struct ko_qcalib *cal,
		   uint8_t **blob, size_t *len, char err[KO_ERR_LEN])
{
	const struct ko_tcn_config *c = &m->cfg;
	int H = c->hidden, B = c->blocks;
	double s_x[KORACLE_Q_MAX_BLOCKS + 1], s_u[KORACLE_Q_MAX_BLOCKS], s_hz;
	double smax;
	struct qgroups grp;
	float *merged = NULL;
	uint64_t want[KORACLE_BS_COUNT];
	struct koracle_blob_hdr h;
	struct qb q = { .m = m, .err = err };
	size_t off[KORACLE_BS_COUNT], size;
	uint8_t *buf = NULL;
	int ret;

	*blob = NULL;
	ret = check_arch(c, err);
	if (ret)
		return ret;
	s_x[0] = act_scale(x0_bound(m), 1.0);
	for (int b = 0; b < B; b++) {
		s_u[b] = act_scale(cal->u[b], KO_QUANT_HEADROOM);
		s_x[b + 1] = act_scale(cal->out[b], KO_QUANT_HEADROOM);
	}
	make_groups(c, &grp);
	merged = malloc(sizeof(*merged) * grp.total * H);
	if (!merged) {
		snprintf(err, KO_ERR_LEN, "out of memory for the slot tables");
		return -ENOMEM;
	}
	smax = merge_groups(m, &grp, merged);
	s_hz = act_scale(fmax(fmax(cal->hz, cal->z), smax / KO_QUANT_HEADROOM),
			 KO_QUANT_HEADROOM);

	section_sizes(c, &grp, want);
	size = layout(c, &grp, &h, want, off);
	buf = aligned_alloc(KORACLE_BLOB_ALIGN, (size + 7) / 8 * 8);
	if (!buf) {
		snprintf(err, KO_ERR_LEN, "out of memory for the blob");
		ret = -ENOMEM;
		goto out;
	}
	memset(buf, 0, size);
	for (int s = 0; s < KORACLE_BS_COUNT; s++)
		q.sect[s] = buf + off[s];

	fold_table(m->p.emb_ev, c->ev_vocab, c->nev, c->ev_ignore, c->channels,
		   s_x[0], q.sect[KORACLE_BS_EMB_EV]);
	ret = fold_blocks(&q, s_x, s_u, &h);
	if (!ret)
		ret = fold_head(&q, merged, (long)grp.total * H, s_x[B], s_hz);
	if (ret)
		goto out;
	memcpy(buf, &h, sizeof(h));
	put32(buf + offsetof(struct koracle_blob_hdr, crc),
	      koracle_blob_crc(buf, size));
	*blob = buf;
	*len = size;
	buf = NULL;
out:
	free(merged);
	free(buf);
	return ret;
}
