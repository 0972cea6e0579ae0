// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target: the weight-blob validator (shared/blob.c), then the integer
 * step (shared/tcn_q.c) on whatever it accepts, as koracle.ko runs them.
 *
 * Input: a blob, then a tail.
 *   blob  the first total_size bytes (the header's field) when the input
 *         holds that many, else the whole input. Its CRC field is
 *         recomputed before the parse that matters, or almost every
 *         mutation would stop at the CRC check; the input as given is
 *         parsed too and must be refused if its CRC is wrong.
 *   tail  byte 0: flags (FZ_*, below); the rest feeds the feature tuples,
 *         each value reduced into its vocabulary as the encoder guarantees
 *         (cycled; an xorshift stream when there is no tail).
 *
 * An accepted blob is copied into an allocation of exactly its size (as
 * the module's kvmalloc(len)), the state gets exactly koracle_qstate_size()
 * bytes, and FZ_STEPS steps run: more than the longest ring
 * (KORACLE_Q_MAX_RING rows), so every ring wraps.
 *
 * "No accumulator can overflow on an accepted blob" (tcn_q.h) is checked
 * three ways. UBSan (signed overflow, shifts) and ASan watch the step. But
 * the step packs two s32 lanes in one s64, where a lane overflowing is no
 * C overflow at all, only a wrong neighbour lane: so the same tuples also
 * go through a whole-window reference written here the plain way (one
 * channel at a time, every sum in 64 bits), which checks every accumulator
 * against the s32 range and must give the step's picks and margins. And
 * with FZ_EXTREME the accepted blob is first pushed to the edge of what
 * the validator allows, and must still be accepted: every weight, bias,
 * table entry and multiplier at its limit, with the sign it had or
 * (FZ_UNIFORM) one sign for all, which makes the textbook worst case: on
 * the C = 64, k = 3 seed, 192 taps of -128 * -32768 on a 2^29 bias.
 */
#include <errno.h>

#include "blob.h"
#include "features.h"
#include "tcn_q.h"
#include "fuzz_util.h"
#include "../unit/ref_fixed_point.h"

#define FZ_STEPS	(2 * KORACLE_Q_MAX_RING + 3)

/* tail[0] bits */
#define FZ_EXTREME	0x01	/* push the accepted blob to its limits */
#define FZ_SHIFT_MIN	0x02	/* extreme shifts: -31 (else 15) */
#define FZ_MULT_MIN	0x04	/* extreme multipliers: 2^30 (else 2^31 - 1) */
#define FZ_MARGIN	0x08	/* ask koracle_qstep for the margin */
#define FZ_UNIFORM	0x10	/* extremes of one sign, not each lane's own: */
#define FZ_W_NEG	0x20	/* weights and slot weights -128 (else 127) */
#define FZ_T_NEG	0x40	/* table entries -32768 (else 32767) */
#define FZ_B_NEG	0x80	/* biases -2^29 - 1 (else 2^29) */

/* Bytes for the tuples: the tail cycled, or xorshift64 without one. */
struct fz_bytes {
	const uint8_t *p;
	size_t n, i;
	uint64_t x;
};

static uint8_t fz_byte(struct fz_bytes *b)
{
	if (b->n)
		return b->p[b->i++ % b->n];
	b->x ^= b->x << 13;
	b->x ^= b->x >> 7;
	b->x ^= b->x << 17;
	return (uint8_t)b->x;
}

/* A tuple the encoder could emit as far as the step cares: in-vocabulary. */
static void fz_tuple(struct fz_bytes *b, struct koracle_feat *f)
{
	int i, j;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < KORACLE_EF_COUNT; i++)
		f->ev[i] = fz_byte(b) % koracle_event_vocab[i];
	for (j = 0; j < KORACLE_K; j++) {
		for (i = 0; i < KORACLE_SF_COUNT; i++)
			f->slot[j][i] = fz_byte(b) % koracle_slot_vocab[i];
		if (f->slot[j][KORACLE_SF_STATE])
			f->cand |= 1 << j;
	}
}

static uint32_t fz_get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fz_put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fz_recrc(uint8_t *blob, size_t len)
{
	fz_put32(blob + offsetof(struct koracle_blob_hdr, crc),
		 koracle_blob_crc(blob, len));
}

/* Bytes of section @s: its offset into *at (the parse checked them). */
static uint32_t fz_sect(const uint8_t *blob, int s, uint8_t **at)
{
	const uint8_t *e = blob + offsetof(struct koracle_blob_hdr, sect) +
			   s * sizeof(struct koracle_blob_sect_ent);

	*at = (uint8_t *)blob + fz_get32(e);
	return fz_get32(e + 4);
}

/*
 * Every packed lane of a section to its limit: -@lim - 1 or @lim, by its
 * own sign (@sign 0) or all negative (@sign < 0) or positive (@sign > 0).
 */
static void fz_lanes_extreme(uint8_t *blob, int s, int32_t lim, int sign)
{
	uint8_t *at;
	uint32_t n = fz_sect(blob, s, &at) / 8, i;

	for (i = 0; i < n; i++) {
		int64_t w;
		bool lo_neg, hi_neg;

		memcpy(&w, at + 8 * i, 8);
		lo_neg = sign ? sign < 0 : koracle_q_lo(w) < 0;
		hi_neg = sign ? sign < 0 : koracle_q_hi(w) < 0;
		w = koracle_q_pack(lo_neg ? -lim - 1 : lim, hi_neg ? -lim - 1 : lim);
		memcpy(at + 8 * i, &w, 8);
	}
}

static void fz_bytes_set(uint8_t *blob, int s, int8_t v)
{
	uint8_t *at;
	uint32_t n = fz_sect(blob, s, &at);

	memset(at, (uint8_t)v, n);
}

static void fz_s8_extreme(uint8_t *blob, int s, int sign)
{
	uint8_t *at;
	uint32_t n = fz_sect(blob, s, &at), i;

	for (i = 0; i < n; i++)
		at[i] = (sign ? sign < 0 : (int8_t)at[i] < 0) ? 0x80 : 0x7f;
}

static void fz_mult_set(uint8_t *blob, int s, uint32_t m)
{
	uint8_t *at;
	uint32_t n = fz_sect(blob, s, &at) / 4, i;

	for (i = 0; i < n; i++)
		fz_put32(at + 4 * i, m);
}

/*
 * The blob at the validator's limits: weights +-127/-128, biases at
 * +-2^29, table entries at +-32767/-32768, all multipliers and shifts at
 * one end. The architecture, and so every offset, stays as it was.
 */
static void fz_extreme(uint8_t *blob, size_t len, uint8_t flags)
{
	struct koracle_blob_hdr *h = (struct koracle_blob_hdr *)blob;
	uint32_t mult = flags & FZ_MULT_MIN ? KORACLE_Q_MULT_MIN : 0x7fffffff;
	int8_t shift = flags & FZ_SHIFT_MIN ? KORACLE_Q_MIN_SHIFT :
					      KORACLE_Q_MAX_SHIFT;
	bool u = flags & FZ_UNIFORM;
	int ws = u ? (flags & FZ_W_NEG ? -1 : 1) : 0;
	int ts = u ? (flags & FZ_T_NEG ? -1 : 1) : 0;
	int bs = u ? (flags & FZ_B_NEG ? -1 : 1) : 0;
	int b;

	fz_lanes_extreme(blob, KORACLE_BS_EMB_EV, 32767, ts);
	fz_lanes_extreme(blob, KORACLE_BS_CONV_W, 127, ws);
	fz_lanes_extreme(blob, KORACLE_BS_CONV_B, KORACLE_Q_MAX_BIAS, bs);
	fz_mult_set(blob, KORACLE_BS_CONV_M, mult);
	fz_bytes_set(blob, KORACLE_BS_CONV_S, shift);
	fz_lanes_extreme(blob, KORACLE_BS_HEAD_W, 127, ws);
	fz_lanes_extreme(blob, KORACLE_BS_HEAD_B, KORACLE_Q_MAX_BIAS, bs);
	fz_mult_set(blob, KORACLE_BS_HEAD_M, mult);
	fz_bytes_set(blob, KORACLE_BS_HEAD_S, shift);
	fz_lanes_extreme(blob, KORACLE_BS_EMB_SLOT, 32767, ts);
	fz_s8_extreme(blob, KORACLE_BS_HEAD_V, ws);
	for (b = 0; b < h->blocks; b++) {
		fz_put32(blob + offsetof(struct koracle_blob_hdr, res_mult) +
			 4 * b, mult);
		h->res_shift[b] = shift;
	}
	fz_recrc(blob, len);
}

/* ---- the plain reference ------------------------------------------------ */

/* An accumulator the step keeps in one s32 lane of a packed word. */
#define FZ_LANE_OK(a)	FZ_CHECK((a) >= INT32_MIN && (a) <= INT32_MAX)

/* Element @i of a row-major array whose consecutive pairs share a word. */
static int32_t fz_lane(const s64 *words, long i)
{
	return i % 2 ? koracle_q_hi(words[i / 2]) : koracle_q_lo(words[i / 2]);
}

/* Weight (o, i) of a layer with @nin inputs: rows 2p and 2p+1 share words. */
static int32_t fz_wlane(const s64 *words, int o, int i, int nin)
{
	s64 w = words[(long)(o / 2) * nin + i];

	return o % 2 ? koracle_q_hi(w) : koracle_q_lo(w);
}

/* Row of slot group @g for slot features @sf, from the vocabularies. */
static long fz_group_row(const struct koracle_qmodel *m, int g, const u8 *sf)
{
	long idx = 0;
	int i;

	for (i = 0; i < m->group[g].nfeat; i++)
		idx = idx * koracle_slot_vocab[m->group[g].feat[i]] +
		      sf[m->group[g].feat[i]];
	return m->group[g].row + idx;
}

/* Picks and margins at the last point, from hz (H) and that point's slots. */
static void fz_ref_slots(const struct koracle_qmodel *m,
			 const struct koracle_feat *f, const int64_t *hz,
			 u8 *pick, s32 *margin)
{
	int64_t score[KORACLE_K], best = 0, second;
	int j, h, g, nocc = 0;

	*pick = KORACLE_K;
	for (j = 0; j < KORACLE_K; j++) {
		if (!f->slot[j][m->mask_feat])
			continue;
		score[j] = 0;
		for (h = 0; h < m->hidden; h++) {
			int64_t z = hz[h];

			for (g = 0; g < m->ngroups; g++)
				z += fz_lane(m->emb_slot,
					     fz_group_row(m, g, f->slot[j]) *
					     m->hidden + h);
			FZ_LANE_OK(z);
			score[j] += ref_clamp(z, 0, 32767) * m->head_v[h];
		}
		FZ_LANE_OK(score[j]);
		if (*pick == KORACLE_K || score[j] > best) {
			best = score[j];
			*pick = (u8)j;
		}
		nocc++;
	}
	/* minus the best of the others: a tie with the pick gives 0 */
	*margin = 0;
	if (nocc >= 2) {
		second = INT64_MIN;
		for (j = 0; j < KORACLE_K; j++)
			if (j != *pick && f->slot[j][m->mask_feat] &&
			    score[j] > second)
				second = score[j];
		FZ_LANE_OK(best - second);
		*margin = (s32)(best - second);
	}
}

/*
 * The whole sequence f[0, T) at once, from zero padding (what a fresh
 * state is): one channel at a time, sums in 64 bits, each checked against
 * the s32 lane it lives in in the step. Activations x, u, y are (T, C).
 */
static void fz_reference(const struct koracle_qmodel *m,
			 const struct koracle_feat *f, int T, u8 *pick,
			 s32 *margin)
{
	int C = m->channels, H = m->hidden, k = m->kernel;
	int64_t *x = calloc((size_t)T * C, sizeof(*x));
	int64_t *u = calloc((size_t)T * C, sizeof(*u));
	int64_t *y = calloc((size_t)T * C, sizeof(*y));
	int64_t hz[KORACLE_Q_MAX_HIDDEN];
	long ev_off[KORACLE_EF_COUNT];
	int t, c, e, b, j, co, i, h;

	FZ_CHECK(x && u && y);
	ref_ev_offsets(ev_off);
	for (t = 0; t < T; t++)
		for (c = 0; c < C; c++) {
			int64_t s = 0;

			for (e = 0; e < KORACLE_EF_COUNT; e++)
				if (!(m->ev_ignore >> e & 1))
					s += fz_lane(m->emb_ev, (ev_off[e] +
						     f[t].ev[e]) * C + c);
			FZ_LANE_OK(s);
			x[(long)t * C + c] = ref_clamp(s, -32768, 32767);
		}
	for (b = 0; b < m->blocks; b++) {
		for (j = 0; j < 2; j++) {
			const struct koracle_qconv *cv = &m->conv[2 * b + j];
			const int64_t *in = j ? u : x;
			int64_t *out = j ? y : u;

			for (t = 0; t < T; t++)
				for (co = 0; co < C; co++) {
					int64_t acc = fz_lane(cv->bias, co);

					for (i = 0; i < k && t - i * cv->dil >= 0; i++)
						for (c = 0; c < C; c++)
							acc += (int64_t)fz_wlane(cv->w, co, i * C + c, k * C) *
							       in[(long)(t - i * cv->dil) * C + c];
					FZ_LANE_OK(acc);
					out[(long)t * C + co] = ref_clamp(ref_mulshift(acc,
						cv->mult[co], cv->shift[co]), 0, 32767);
				}
		}
		for (i = 0; i < T * C; i++) {
			int64_t r = ref_mulshift(x[i], m->res_mult[b], m->res_shift[b]);

			FZ_LANE_OK(r + y[i]);
			x[i] = ref_clamp(r + y[i], -32768, 32767);
		}
	}
	for (t = 0; t < T; t++) {
		for (h = 0; h < H; h++) {
			int64_t acc = fz_lane(m->head_b, h);

			for (c = 0; c < C; c++)
				acc += (int64_t)fz_wlane(m->head_w, h, c, C) *
				       x[(long)t * C + c];
			FZ_LANE_OK(acc);
			hz[h] = ref_clamp(ref_mulshift(acc, m->head_mult[h],
						     m->head_shift[h]), -32768, 32767);
		}
		fz_ref_slots(m, &f[t], hz, &pick[t], &margin[t]);
	}
	free(x);
	free(u);
	free(y);
}

/*
 * FZ_STEPS steps from a fresh state of exactly the size the model asks,
 * against the reference on the same tuples.
 */
static void fz_run(const struct koracle_qmodel *m, struct fz_bytes *b,
		   uint8_t flags)
{
	size_t size = koracle_qstate_size(m);
	struct koracle_feat *f = malloc(FZ_STEPS * sizeof(*f));
	u8 pick[FZ_STEPS];
	s32 margin[FZ_STEPS];
	void *state;
	int t;

	FZ_CHECK(f);
	FZ_CHECK(size > 0 && size < (1u << 20));
	state = malloc(size);
	FZ_CHECK(state);
	for (t = 0; t < FZ_STEPS; t++)
		fz_tuple(b, &f[t]);
	fz_reference(m, f, FZ_STEPS, pick, margin);
	/* a dirty state first: the reset must clear all of it */
	memset(state, 0xa5, size);
	koracle_qstate_reset(m, state);
	for (t = 0; t < FZ_STEPS; t++) {
		s32 mg = -1;
		u8 p = koracle_qstep(m, state, &f[t],
				     flags & FZ_MARGIN ? &mg : NULL);

		if (p != pick[t] || (flags & FZ_MARGIN && mg != margin[t])) {
			fprintf(stderr, "step %d: pick %u margin %d, reference %u %d\n",
				t, p, mg, pick[t], margin[t]);
			FZ_CHECK(!"the step differs from the reference");
		}
	}
	free(state);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct koracle_qmodel m;
	struct fz_bytes b = { .x = 0x9e3779b97f4a7c15ull };
	const char *why = NULL;
	size_t len = size;
	uint8_t *blob, flags = 0;
	int ret;

	if (size > KORACLE_BLOB_MAX_SIZE + 4096)
		return -1;	/* not something to keep in the corpus */
	if (size >= KORACLE_BLOB_HDR_SIZE) {
		size_t total = fz_get32(data + offsetof(struct koracle_blob_hdr,
						       total_size));

		if (total >= KORACLE_BLOB_HDR_SIZE && total <= size)
			len = total;
	}
	if (len < size) {
		flags = data[len];
		b.p = data + len + 1;
		b.n = size - len - 1;
	}
	/* malloc: 16-byte aligned, and ASan sees a read one byte past @len */
	blob = malloc(len ? len : 1);
	FZ_CHECK(blob);
	memcpy(blob, data, len);

	ret = koracle_blob_parse(blob, len, &m, &why);
	FZ_CHECK(ret == 0 || (ret == -EINVAL && why && *why));
	if (len >= KORACLE_BLOB_CRC_FROM &&
	    fz_get32(blob + offsetof(struct koracle_blob_hdr, crc)) !=
	    koracle_blob_crc(blob, len)) {
		FZ_CHECK(ret == -EINVAL);
		fz_recrc(blob, len);
		ret = koracle_blob_parse(blob, len, &m, &why);
		FZ_CHECK(ret == 0 || (ret == -EINVAL && why && *why));
	}
	if (ret)
		goto out;
	FZ_CHECK(m.channels >= 2 && m.channels <= KORACLE_Q_MAX_CHANNELS);
	FZ_CHECK(m.hidden >= 2 && m.hidden <= KORACLE_Q_MAX_HIDDEN);
	FZ_CHECK(m.nslots == KORACLE_K && m.mask_feat == KORACLE_SF_STATE);
	if (flags & FZ_EXTREME) {
		fz_extreme(blob, len, flags);
		ret = koracle_blob_parse(blob, len, &m, &why);
		if (ret)
			fprintf(stderr, "extreme blob refused: %s\n", why);
		FZ_CHECK(ret == 0);
	}
	fz_run(&m, &b, flags);
out:
	free(blob);
	return 0;
}
