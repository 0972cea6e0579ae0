// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The integer streaming TCN step: the float model of user/tcn.c, one event
 * at a time, in integers only (formats in tcn_q.h).
 *
 *   x0      = sat16(sum_f E_f[ev[f]])                 s16 (C), x0's scale
 *   block b (dilation d), taps i = 0..k-1 reading the conv's input ring:
 *   u       = clamp(requant(b1 + sum_i W1_i x_{t-id}), 0, 32767)   s16 (C)
 *   v       = clamp(requant(b2 + sum_i W2_i u_{t-id}), 0, 32767)   in the
 *             block output's scale, so the residual add only rescales x:
 *   x'      = sat16(mulshift(x, res_mult, res_shift) + v)
 *   hz      = requant(a + A h)                        s16 (H), hz's scale
 *   score_j = sum_c v_c clamp(hz_c + sum_g S_g[slot_j,g]_c, 0, 32767)
 *             for every candidate slot j (features.h: runnable, or the
 *             idle task; int32, acc units); the S_g come
 *             merged into a few group tables (tcn_q.h), one row per group
 *   predict = argmax_j score_j, lowest j on ties (as the float eval); the
 *             "none of them" score is never computed: it never predicts
 *
 * Streaming: each convolution keeps its last (k-1)d+1 inputs in a ring in
 * the CPU's state; a step writes the newest row of every ring and reads its
 * taps, so one event costs one step per layer whatever the receptive field.
 * The step is two halves: koracle_qadvance() runs once per switch on that
 * switch's event features, through the blocks to hz (kept in the state);
 * koracle_qscore() scores the slots of a list snapshot against the kept hz,
 * wherever a prediction is needed (just before a switch, when next_pid is
 * read), as often as needed, without changing the state.
 * A fresh (zeroed) state is the zero padding the trainer puts before a
 * window, so a CPU's first events see what training saw.
 */
#include "tcn_q.h"

/* Index of the lowest set bit of a nonzero mask. */
#ifdef __KERNEL__
#define koracle_q_ctz(v)	__ffs(v)
#else
#define koracle_q_ctz(v)	__builtin_ctz(v)
#endif

const s64 koracle_q_zero_row[KORACLE_Q_ZERO_WORDS];

struct koracle_qstate_hdr {
	u16 pos[KORACLE_Q_NCONV];	/* newest row of each conv's ring */
};

static inline s16 *koracle_qrow(void *state, u32 off)
{
	return (s16 *)((u8 *)state + off);
}

size_t koracle_qstate_size(const struct koracle_qmodel *m)
{
	return m->state_size;
}

void koracle_qstate_reset(const struct koracle_qmodel *m, void *state)
{
	memset(state, 0, m->state_size);
}

/*
 * The hot loops are written once with the widths as parameters and expanded
 * for the default shape (C = 4, B = 0, H = 2) and its neighbours inside the
 * budget (one block of k = 2; H = 4), so the compiler sees constant trip
 * counts, unrolls them and keeps the accumulators in registers; other
 * widths take the generic expansion. Same arithmetic.
 */

/* sum_c w[c] * x[c] for two output channels at once (packed @w). */
static __always_inline s64 koracle_qdot2(const s16 *x, const s64 *w, int n)
{
	s64 a0 = 0, a1 = 0;
	int c;

#pragma GCC unroll 16
	for (c = 0; c + 2 <= n; c += 2) {
		a0 += w[c] * x[c];
		a1 += w[c + 1] * x[c + 1];
	}
	if (c < n)
		a0 += w[c] * x[c];
	return a0 + a1;
}

/*
 * Output channels @o, @o + 1 from their packed accumulator: each lane
 * requantized with its channel's multiplier and shift, then ReLU.
 */
static __always_inline void koracle_qout2_relu(s64 acc, const s32 *mult,
					       const s8 *shift, int o,
					       s16 *out)
{
	out[o] = koracle_q_requant_relu(koracle_q_lo(acc), mult[o], shift[o]);
	out[o + 1] = koracle_q_requant_relu(koracle_q_hi(acc), mult[o + 1],
					    shift[o + 1]);
}

/* Ring row of tap @i: @i * dil events before the newest row @pos. */
static __always_inline int koracle_qtap(const struct koracle_qconv *cv,
					u16 pos, int i)
{
	int r = (int)pos - i * cv->dil;

	return r < 0 ? r + cv->ring_len : r;
}

/*
 * One causal dilated conv + ReLU on its ring's newest row (@pos): out (C).
 * The taps' rows are scalars (k <= 3), not an array: no stack array in the
 * scheduler path (the kernel zeroes each one, and each expanded shape would
 * keep its own).
 */
static __always_inline void koracle_qconv_step(const struct koracle_qconv *cv,
					       void *state, u16 pos, int C,
					       int k, s16 *out)
{
	const s16 *ring = koracle_qrow(state, cv->ring_off);
	const s16 *t0 = ring + pos * C;
	const s16 *t1 = k > 1 ? ring + koracle_qtap(cv, pos, 1) * C : t0;
	const s16 *t2 = k > 2 ? ring + koracle_qtap(cv, pos, 2) * C : t0;
	int p, kc = k * C;

#pragma GCC unroll 16
	for (p = 0; p < C / 2; p++) {
		const s64 *w = cv->w + p * kc;
		s64 acc = cv->bias[p] + koracle_qdot2(t0, w, C);

		if (k > 1)
			acc += koracle_qdot2(t1, w + C, C);
		if (k > 2)
			acc += koracle_qdot2(t2, w + 2 * C, C);
		koracle_qout2_relu(acc, cv->mult, cv->shift, 2 * p, out);
	}
}

/* Advances a conv's ring; returns the slot of its newest row. */
static inline u16 koracle_qadvance_ring(const struct koracle_qconv *cv, u16 *pos)
{
	u16 p = *pos + 1;

	if (p >= cv->ring_len)
		p = 0;
	*pos = p;
	return p;
}

static __always_inline void koracle_qembed(const struct koracle_qmodel *m,
					   const u8 ev[KORACLE_EF_COUNT],
					   int C, s16 *x0)
{
	int P = C / 2, p, j;

	/*
	 * Every feature; the ignored ones read the zero row. Two packed words
	 * per pass over the features, so the default width (C = 4) finds each
	 * row once; the rows' addresses are not kept in an array (see
	 * koracle_qconv_step()).
	 */
#pragma GCC unroll 8
	for (p = 0; p < P; p += 2) {
		s64 s0 = 0, s1 = 0;

#pragma GCC unroll 8
		for (j = 0; j < KORACLE_EF_COUNT; j++) {
			const s64 *r = m->ev_row[j] + ev[j] * m->ev_step[j] + p;

			s0 += r[0];
			if (p + 1 < P)
				s1 += r[1];
		}
		x0[2 * p] = koracle_q_sat16(koracle_q_lo(s0));
		x0[2 * p + 1] = koracle_q_sat16(koracle_q_hi(s0));
		if (p + 1 < P) {
			x0[2 * p + 2] = koracle_q_sat16(koracle_q_lo(s1));
			x0[2 * p + 3] = koracle_q_sat16(koracle_q_hi(s1));
		}
	}
}

/*
 * clamp(z, 0, 32767) * v, the ReLU'd hidden unit's contribution, without
 * branches: the sign of z is data, and a mispredicted branch per hidden unit
 * and slot would cost more than the whole multiply-add.
 */
static __always_inline s32 koracle_qrelu_mul(s32 z, s8 v)
{
	z &= ~(z >> 31);		/* max(z, 0): arithmetic shift */
	z = z < 32767 ? z : 32767;
	return z * v;
}

/* Best and second-best score so far; ties keep the lower (earlier) slot. */
struct koracle_qbest {
	s32 best, second;
	u8 pick;		/* KORACLE_K: no score yet */
	bool nsecond;		/* @second holds a score */
};

/*
 * Add slot @j's score @s; the second best only if @second (a constant in
 * the scheduler's expansion, which never asks for a margin).
 */
static __always_inline void koracle_qbest_add(struct koracle_qbest *b, s32 s,
					      u8 j, bool second)
{
	if (b->pick == KORACLE_K || s > b->best) {
		if (second && b->pick != KORACLE_K) {
			b->second = b->best;
			b->nsecond = true;
		}
		b->best = s;
		b->pick = j;
	} else if (second && (!b->nsecond || s > b->second)) {
		b->second = s;
		b->nsecond = true;
	}
}

/*
 * The slot feature groups the quantizer writes (user/quant_blob.c builds
 * them from this table): every slot feature (models trained on
 * module-collected traces), or the first four groups alone (ftrace imports
 * carry no vruntime or weight). Strides follow from the vocabularies
 * (first feature slowest).
 */
const struct koracle_qgroup koracle_q_layout[KORACLE_Q_HEAD_GROUPS] = {
	{ .nfeat = 4,
	  .feat = { KORACLE_SF_STATE, KORACLE_SF_WOKEN_BY_CUR,
		    KORACLE_SF_WOKEN_BY_PREV, KORACLE_SF_MRU },
	  .stride = { 2 * 2 * KORACLE_K, 2 * KORACLE_K, KORACLE_K, 1 } },
	{ .nfeat = 2, .feat = { KORACLE_SF_FIFO, KORACLE_SF_LIFO },
	  .stride = { KORACLE_K + 1, 1 } },
	{ .nfeat = 1, .feat = { KORACLE_SF_WAIT }, .stride = { 1 } },
	{ .nfeat = 1, .feat = { KORACLE_SF_RULES }, .stride = { 1 } },
	{ .nfeat = 2, .feat = { KORACLE_SF_VR_RANK, KORACLE_SF_WEIGHT },
	  .stride = { 4, 1 } },
};

u8 koracle_q_layout_of(const struct koracle_qmodel *m)
{
	int i, k;

	if (m->ngroups < KORACLE_Q_HEAD_GROUPS - 1)
		return 0;
	for (i = 0; i < m->ngroups; i++) {
		const struct koracle_qgroup *a = &m->group[i];
		const struct koracle_qgroup *b = &koracle_q_layout[i];

		if (a->nfeat != b->nfeat)
			return 0;
		for (k = 0; k < a->nfeat; k++)
			if (a->feat[k] != b->feat[k] ||
			    a->stride[k] != b->stride[k])
				return 0;
	}
	return m->ngroups;
}

/*
 * Score the candidate slots from hz (Q = H/2 packed words), in slot order:
 * z_j = hz + the slot's group rows, score_j = v . relu(z_j). One packed word
 * of z at a time, so nothing but the group row pointers lives in memory
 * (the kernel zeroes every stack array it declares). Groups @gs, @G of them:
 * the model's own, all KORACLE_Q_HEAD_GROUPS (a missing one reads the zero
 * row), or koracle_q_layout's first G, whose feature ids and strides are
 * then constants (and a missing fifth group costs nothing).
 */
static __always_inline void koracle_qslots_body(const struct koracle_qmodel *m,
						const struct koracle_qgroup *gs,
						int G,
						const struct koracle_feat *f,
						const s64 *hz, int Q,
						struct koracle_qbest *b,
						bool second)
{
	const s64 *row[KORACLE_Q_HEAD_GROUPS];
	const s8 *v = m->head_v;
	int q, i, k;
	u32 c;

	for (c = f->cand; c; c &= c - 1) {
		u8 j = koracle_q_ctz(c);
		const u8 *sf = f->slot[j];
		s32 s = 0;

#pragma GCC unroll 8
		for (i = 0; i < G; i++) {
			const struct koracle_qgroup *g = &gs[i];
			u32 r = sf[g->feat[0]] * g->stride[0];

#pragma GCC unroll 4
			for (k = 1; k < g->nfeat; k++)
				r += sf[g->feat[k]] * g->stride[k];
			row[i] = m->group_row[i] + r * Q;
		}
#pragma GCC unroll 8
		for (q = 0; q < Q; q++) {
			s64 z = hz[q];

#pragma GCC unroll 8
			for (i = 0; i < G; i++)
				z += row[i][q];
			s += koracle_qrelu_mul(koracle_q_lo(z), v[2 * q]) +
			     koracle_qrelu_mul(koracle_q_hi(z), v[2 * q + 1]);
		}
		koracle_qbest_add(b, s, j, second);
	}
}

/*
 * Head widths other than the default's, and every score that wants the
 * second best (the trainer's margins): out of line and cold, so that the
 * scheduler's hot text holds the default shape's code alone (see
 * koracle_qadvance_other()). The model's own groups: the same sums as the
 * default's constant layout.
 */
static noinline __cold void koracle_qslots_other(const struct koracle_qmodel *m,
						 const struct koracle_feat *f,
						 const s64 *hz,
						 struct koracle_qbest *b,
						 bool second)
{
	const struct koracle_qgroup *own = m->group;
	const int all = KORACLE_Q_HEAD_GROUPS;

	if (m->hidden == 2)
		koracle_qslots_body(m, own, all, f, hz, 1, b, second);
	else if (m->hidden == 4)
		koracle_qslots_body(m, own, all, f, hz, 2, b, second);
	else
		koracle_qslots_body(m, own, all, f, hz, m->hidden / 2, b,
				    second);
}

/* Inline in koracle_qscore(): one call fewer per prediction. */
static __always_inline void koracle_qslots(const struct koracle_qmodel *m,
					   const struct koracle_feat *f,
					   const s64 *hz,
					   struct koracle_qbest *b)
{
	/* the default width in the quantizer's layouts; else out of line */
	if (m->hidden == 2 && m->layout == 4)
		koracle_qslots_body(m, koracle_q_layout, 4, f, hz, 1, b, false);
	else if (m->hidden == 2 && m->layout == 5)
		koracle_qslots_body(m, koracle_q_layout, 5, f, hz, 1, b, false);
	else
		koracle_qslots_other(m, f, hz, b, false);
}

/* The advance at widths C, H, taps k, blocks B (constants where expanded). */
static __always_inline void koracle_qadvance_body(const struct koracle_qmodel *m,
						  void *state,
						  const u8 ev[KORACLE_EF_COUNT],
						  int C, int H, int k, int B)
{
	struct koracle_qstate_hdr *st = state;
	s16 *v = koracle_qrow(state, m->v_off);
	s16 *h = koracle_qrow(state, m->h_off);
	s64 *hz = (s64 *)((u8 *)state + m->hz_off);
	s16 *x;
	int b, c, j;

	/* x0 goes into block 0's input ring (or straight to h with B = 0) */
	if (B) {
		u16 p = koracle_qadvance_ring(&m->conv[0], &st->pos[0]);

		x = koracle_qrow(state, m->conv[0].ring_off) + p * C;
	} else {
		x = h;
	}
	koracle_qembed(m, ev, C, x);
	for (b = 0; b < B; b++) {
		const struct koracle_qconv *c1 = &m->conv[2 * b];
		const struct koracle_qconv *c2 = &m->conv[2 * b + 1];
		u16 p2 = koracle_qadvance_ring(c2, &st->pos[2 * b + 1]);
		s16 *u = koracle_qrow(state, c2->ring_off) + p2 * C;
		s32 rm = m->res_mult[b];
		int rs = m->res_shift[b];
		s16 *out;

		koracle_qconv_step(c1, state, st->pos[2 * b], C, k, u);
		koracle_qconv_step(c2, state, p2, C, k, v);
		if (b + 1 < B) {
			u16 p = koracle_qadvance_ring(&m->conv[2 * b + 2],
						      &st->pos[2 * b + 2]);

			out = koracle_qrow(state, m->conv[2 * b + 2].ring_off) +
			      p * C;
		} else {
			out = h;
		}
#pragma GCC unroll 16
		for (c = 0; c < C; c++)
			out[c] = koracle_q_sat16(koracle_q_mulshift(x[c], rm, rs) +
						 v[c]);
		x = out;
	}
#pragma GCC unroll 8
	for (j = 0; j < H / 2; j++) {
		s64 acc = m->head_b[j] + koracle_qdot2(h, m->head_w + j * C, C);
		s16 lo = koracle_q_requant(koracle_q_lo(acc), m->head_mult[2 * j],
					   m->head_shift[2 * j]);
		s16 hi = koracle_q_requant(koracle_q_hi(acc),
					   m->head_mult[2 * j + 1],
					   m->head_shift[2 * j + 1]);

		hz[j] = koracle_q_pack(lo, hi);
	}
}

/*
 * Shapes other than the default (C = 4, B = 0, H = 2): one call away and
 * cold, in the object's .text.unlikely. Every expansion is several KB of
 * unrolled code; inline they spread the probes' path over ten pages of
 * text, and a probe pays for each page it touches (a TLB refill after a
 * process switch: 0.1-0.3 us apiece under TCG, docs/results.md).
 */
static noinline __cold void koracle_qadvance_other(const struct koracle_qmodel *m,
						   void *state,
						   const u8 ev[KORACLE_EF_COUNT])
{
	int C = m->channels, H = m->hidden, k = m->kernel, B = m->blocks;

	/*
	 * The default's neighbours inside the budget (one block, or a wider
	 * head), widths constant; else generic.
	 */
	if (k == 2 && C == 4 && H == 2 && B == 1)
		koracle_qadvance_body(m, state, ev, 4, 2, 2, 1);
	else if (C == 4 && H == 4 && B == 0)
		koracle_qadvance_body(m, state, ev, 4, 4, 2, 0);
	else
		koracle_qadvance_body(m, state, ev, C, H, k, B);
}

void koracle_qadvance(const struct koracle_qmodel *m, void *state,
		      const u8 ev[KORACLE_EF_COUNT])
{
	/* no blocks: the taps (k) are never read */
	if (m->channels == 4 && m->hidden == 2 && m->blocks == 0)
		koracle_qadvance_body(m, state, ev, 4, 2, 2, 0);
	else
		koracle_qadvance_other(m, state, ev);
}

u8 koracle_qscore(const struct koracle_qmodel *m, const void *state,
		  const struct koracle_feat *f, s32 *margin)
{
	const s64 *hz = (const s64 *)((const u8 *)state + m->hz_off);
	struct koracle_qbest b = { .pick = KORACLE_K };

	if (!margin) {
		koracle_qslots(m, f, hz, &b);
		return b.pick;
	}
	koracle_qslots_other(m, f, hz, &b, true);
	*margin = b.nsecond ? b.best - b.second : 0;
	return b.pick;
}

u8 koracle_qstep(const struct koracle_qmodel *m, void *state,
		 const struct koracle_feat *f, s32 *margin)
{
	koracle_qadvance(m, state, f->ev);
	return koracle_qscore(m, state, f, margin);
}
