// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The TCN's layers as forward/backward pairs (shapes in tcn.h). Every matrix
 * product goes through ko_sgemm (user/blas.c); what remains here are gathers,
 * scatters and elementwise loops.
 */
#include <math.h>
#include <string.h>

#include "blas.h"
#include "tcn.h"

/*
 * d[0..n) += s[0..n), in blocks of 8 that -O2's straight-line vectorizer
 * turns into SIMD adds (the head's gathers and scatters are most of the
 * non-GEMM time).
 */
static inline __attribute__((always_inline))
void vadd(float *restrict d, const float *restrict s, int n)
{
	int i = 0;

	for (; i + 8 <= n; i += 8) {
		d[i + 0] += s[i + 0]; d[i + 1] += s[i + 1];
		d[i + 2] += s[i + 2]; d[i + 3] += s[i + 3];
		d[i + 4] += s[i + 4]; d[i + 5] += s[i + 5];
		d[i + 6] += s[i + 6]; d[i + 7] += s[i + 7];
	}
	for (; i < n; i++)
		d[i] += s[i];
}

void ko_embed_forward(float *out, const uint8_t *idx, const float *table,
		      const int *off, int R, int F, int C, uint32_t ignore)
{
	for (long r = 0; r < R; r++) {
		float *o = out + r * C;

		memset(o, 0, sizeof(*o) * C);
		for (int f = 0; f < F; f++)
			if (!(ignore >> f & 1))
				vadd(o, table + (long)(off[f] + idx[r * F + f]) * C, C);
	}
}

void ko_embed_backward(float *dtable, const float *dout, const uint8_t *idx,
		       const int *off, int R, int F, int C, uint32_t ignore)
{
	for (long r = 0; r < R; r++) {
		const float *d = dout + r * C;

		for (int f = 0; f < F; f++)
			if (!(ignore >> f & 1))
				vadd(dtable + (long)(off[f] + idx[r * F + f]) * C, d, C);
	}
}

void ko_conv_forward(float *out, float *col, const float *inp, const float *w,
		     const float *b, int N, int T, int C, int Co, int k,
		     int dil)
{
	long R = (long)N * T;
	int kc = k * C;

	/* col[n*T+t, i*C + c] = inp[n, t - i*dil, c], zero before the window */
	for (int n = 0; n < N; n++)
		for (int t = 0; t < T; t++) {
			float *dst = col + ((long)n * T + t) * kc;

			for (int i = 0; i < k; i++) {
				int src = t - i * dil;

				if (src < 0)
					memset(dst + i * C, 0, sizeof(*dst) * C);
				else
					memcpy(dst + i * C,
					       inp + ((long)n * T + src) * C,
					       sizeof(*dst) * C);
			}
		}
	ko_sgemm(false, false, (int)R, Co, kc, 1.0f, col, kc, w, Co, 0.0f, out, Co);
	for (long r = 0; r < R; r++)
		for (int c = 0; c < Co; c++)
			out[r * Co + c] += b[c];
}

void ko_conv_backward(float *dinp, float *dw, float *db, float *dcol,
		      const float *dout, const float *col, const float *w,
		      int N, int T, int C, int Co, int k, int dil)
{
	long R = (long)N * T;
	int kc = k * C;

	/* dw (kC,Co) += col^T @ dout; dcol (R,kC) = dout @ w^T */
	ko_sgemm(true, false, kc, Co, (int)R, 1.0f, col, kc, dout, Co, 1.0f, dw, Co);
	ko_sgemm(false, true, (int)R, kc, Co, 1.0f, dout, Co, w, Co, 0.0f, dcol, kc);
	for (long r = 0; r < R; r++)
		for (int c = 0; c < Co; c++)
			db[c] += dout[r * Co + c];
	for (int n = 0; n < N; n++)
		for (int t = 0; t < T; t++) {
			const float *src = dcol + ((long)n * T + t) * kc;

			for (int i = 0; i < k; i++) {
				int to = t - i * dil;
				float *d;

				if (to < 0)
					continue;
				d = dinp + ((long)n * T + to) * C;
				for (int c = 0; c < C; c++)
					d[c] += src[i * C + c];
			}
		}
}

void ko_relu_forward(float *out, const float *inp, long n)
{
	for (long i = 0; i < n; i++)
		out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void ko_relu_backward(float *dinp, const float *dout, const float *out, long n)
{
	for (long i = 0; i < n; i++)
		if (out[i] > 0.0f)
			dinp[i] += dout[i];
}

void ko_residual_forward(float *out, const float *x, const float *y, long n)
{
	for (long i = 0; i < n; i++)
		out[i] = x[i] + y[i];
}

void ko_residual_backward(float *dx, float *dy, const float *dout, long n)
{
	for (long i = 0; i < n; i++) {
		dx[i] += dout[i];
		dy[i] += dout[i];
	}
}

void ko_head_forward(const struct ko_tcn *m, const struct ko_tcn_params *p,
		     float *logits, float *scores, float *z, float *hz,
		     const float *h, const uint8_t *slot, int R)
{
	const struct ko_tcn_config *cfg = &m->cfg;
	int C = cfg->channels, H = cfg->hidden, K = cfg->nslots, G = cfg->nsf;

	ko_sgemm(false, false, R, H + 1, C, 1.0f, h, C, p->head_w, H + 1, 0.0f,
		 hz, H + 1);
	for (long r = 0; r < R; r++) {
		float *hr = hz + r * (H + 1);

		for (int j = 0; j <= H; j++)
			hr[j] += p->head_b[j];
		for (int j = 0; j < K; j++) {
			const uint8_t *sf = slot + (r * K + j) * G;
			float *zr = z + (r * K + j) * H;

			/* an empty slot's score is masked: skip its work */
			if (!sf[cfg->mask_feat]) {
				memset(zr, 0, sizeof(*zr) * H);
				continue;
			}
			memcpy(zr, hr, sizeof(*zr) * H);
			for (int g = 0; g < G; g++)
				if (!(cfg->sf_ignore >> g & 1))
					vadd(zr, p->emb_slot +
					     (long)(m->sf_off[g] + sf[g]) * H, H);
			for (int c = 0; c < H; c++)
				zr[c] = zr[c] > 0.0f ? zr[c] : 0.0f;
		}
	}
	/* scores (R*K, 1) = z (R*K, H) @ v (H, 1) */
	ko_sgemm(false, false, R * K, 1, H, 1.0f, z, H, p->head_v, 1, 0.0f,
		 scores, 1);
	for (long r = 0; r < R; r++) {
		float *lr = logits + r * (K + 1);

		for (int j = 0; j < K; j++)
			lr[j] = slot[(r * K + j) * G + cfg->mask_feat] ?
				scores[r * K + j] : -INFINITY;
		lr[K] = hz[r * (H + 1) + H];
	}
}

void ko_head_backward(const struct ko_tcn *m, const struct ko_tcn_params *p,
		      struct ko_tcn_params *g, float *dh, float *dhz,
		      float *dz, float *dscores, const float *dlogits,
		      const float *h, const float *z, const uint8_t *slot,
		      int R)
{
	const struct ko_tcn_config *cfg = &m->cfg;
	int C = cfg->channels, H = cfg->hidden, K = cfg->nslots, G = cfg->nsf;

	for (long r = 0; r < R; r++) {
		for (int j = 0; j < K; j++)
			dscores[r * K + j] = dlogits[r * (K + 1) + j];
		dhz[r * (H + 1) + H] = dlogits[r * (K + 1) + K];
	}
	/* dv (H,1) += z^T @ dscores; dz (R*K,H) = dscores @ v^T */
	ko_sgemm(true, false, H, 1, R * K, 1.0f, z, H, dscores, 1, 1.0f,
		 g->head_v, 1);
	ko_sgemm(false, false, R * K, H, 1, 1.0f, dscores, 1, p->head_v, H,
		 0.0f, dz, H);
	for (long r = 0; r < R; r++) {
		float *dhr = dhz + r * (H + 1);

		memset(dhr, 0, sizeof(*dhr) * H);
		for (int j = 0; j < K; j++) {
			const uint8_t *sf = slot + (r * K + j) * G;
			const float *zr = z + (r * K + j) * H;
			float *dzr = dz + (r * K + j) * H;

			if (!sf[cfg->mask_feat])	/* masked: no gradient */
				continue;
			for (int c = 0; c < H; c++)
				dzr[c] = zr[c] > 0.0f ? dzr[c] : 0.0f;
			vadd(dhr, dzr, H);
			for (int f = 0; f < G; f++)
				if (!(cfg->sf_ignore >> f & 1))
					vadd(g->emb_slot +
					     (long)(m->sf_off[f] + sf[f]) * H, dzr, H);
		}
		for (int c = 0; c <= H; c++)
			g->head_b[c] += dhr[c];
	}
	/* dW (C,H+1) += h^T @ dhz; dh (R,C) += dhz @ W^T */
	ko_sgemm(true, false, C, H + 1, R, 1.0f, h, C, dhz, H + 1, 1.0f,
		 g->head_w, H + 1);
	ko_sgemm(false, true, R, C, H + 1, 1.0f, dhz, H + 1, p->head_w, H + 1,
		 1.0f, dh, C);
}

double ko_xent_forward(float *probs, float *rw, const float *logits,
		       const uint8_t *labels, int R, int V, int *count)
{
	double loss = 0.0;
	int n = 0;

	for (long r = 0; r < R; r++) {
		const float *l = logits + r * V;
		float *pr = probs + r * V;
		float mx = -INFINITY;
		double sum = 0.0;

		for (int j = 0; j < V; j++)
			if (l[j] > mx)
				mx = l[j];
		for (int j = 0; j < V; j++) {
			pr[j] = isinf(l[j]) && l[j] < 0 ? 0.0f : expf(l[j] - mx);
			sum += pr[j];
		}
		for (int j = 0; j < V; j++)
			pr[j] = (float)(pr[j] / sum);
		rw[r] = 0.0f;
		if (labels && labels[r] < V && !(isinf(l[labels[r]]) && l[labels[r]] < 0)) {
			loss += (double)mx + log(sum) - (double)l[labels[r]];
			rw[r] = 1.0f;
			n++;
		}
	}
	for (long r = 0; r < R && n; r++)
		rw[r] /= (float)n;
	*count = n;
	return n ? loss / n : 0.0;
}

void ko_xent_backward(float *dlogits, const float *probs, const float *rw,
		      const uint8_t *labels, int R, int V)
{
	for (long r = 0; r < R; r++) {
		float *d = dlogits + r * V;

		if (rw[r] == 0.0f)
			continue;
		for (int j = 0; j < V; j++)
			d[j] += rw[r] * probs[r * V + j];
		d[labels[r]] -= rw[r];
	}
}
