/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Integer-only streaming TCN step (DESIGN.md, "The model", quantization).
 * The same code runs in koracle.ko at every sched_switch and in the CLI
 * (quantize, eval --model BLOB, replay checks), so both compute bit-identical
 * predictions.
 *
 * A weight blob (shared/blob.h) is validated once by koracle_blob_parse(),
 * which fills a struct koracle_qmodel whose pointers point INTO the blob: no
 * allocation, no copies. The blob (8-byte aligned) must stay alive and
 * unchanged as long as the qmodel is used. Each CPU owns a streaming state
 * of koracle_qstate_size() bytes, 8-byte aligned (each layer's history of
 * past inputs plus the step's scratch rows), zeroed by
 * koracle_qstate_reset(). A step uses about 600 bytes of stack. One koracle_qstep()
 * consumes one feature tuple and returns the predicted slot: an occupied slot
 * 0..K-1, or KORACLE_K when the list is empty. The kernel runs its two
 * halves apart: koracle_qscore() where a prediction is needed, and
 * koracle_qadvance() once per switch.
 *
 * Number formats (real value = integer * scale; all scales are symmetric,
 * no zero points):
 *   weights        s8, one scale per output channel (conv, head) or per
 *                  tensor (head_v)
 *   activations    s16, one scale per tensor (x0, each block's u and output,
 *                  hz); ReLU is a clamp to [0, 32767]
 *   accumulators   s32: bias (in input scale * weight scale) + sum of
 *                  s16 * s8 products; the bounds below keep every sum inside
 *                  s32 (192 taps * 2^15 * 2^7 + 2^29 < 2^31)
 *   requantization TFLite-style fixed point, one rounding:
 *                  out = sat16(round(acc * M * 2^(shift - 31)))
 *                  with M in [2^30, 2^31) (or 0), shift in [-31, 15]
 *
 * Two lanes per 64-bit word (SWAR without SIMD): the kernel may not use
 * vector registers in the scheduler path, so weights of two output channels
 * (and biases, and table entries of two adjacent columns) are stored as ONE
 * s64, lo + hi * 2^32. One 64-bit multiply by an s16 input then computes two
 * products, and one 64-bit add two sums: sum(lo_i + hi_i 2^32) =
 * sum(lo_i) + sum(hi_i) 2^32 exactly, as long as each lane's sum stays in
 * s32 (which the bounds above guarantee). koracle_q_lo/hi split a word.
 * C and H are even so every word holds two real lanes.
 *
 * No floats, no allocation, no libc, fixed bounds (KORACLE_Q_MAX_*).
 */
#ifndef KORACLE_TCN_Q_H
#define KORACLE_TCN_Q_H

#include "koracle_types.h"
#include "features.h"

#define KORACLE_Q_MAX_CHANNELS	64
#define KORACLE_Q_MAX_BLOCKS	6
#define KORACLE_Q_MAX_KERNEL	3
#define KORACLE_Q_MAX_HIDDEN	64
#define KORACLE_Q_MAX_DIL	32	/* largest dilation (2^(MAX_BLOCKS-1)) */
#define KORACLE_Q_MAX_RING	((KORACLE_Q_MAX_KERNEL - 1) * KORACLE_Q_MAX_DIL + 1)
#define KORACLE_Q_NCONV		(2 * KORACLE_Q_MAX_BLOCKS)
#define KORACLE_Q_MAX_BIAS	0x20000000	/* 2^29: |conv/head bias|, acc units */
#define KORACLE_Q_MIN_SHIFT	(-31)	/* requant shift: x M 2^(shift - 31) */
#define KORACLE_Q_MAX_SHIFT	15
#define KORACLE_Q_MULT_MIN	0x40000000	/* nonzero multipliers: [2^30, 2^31) */
#define KORACLE_Q_MAX_GROUPS	KORACLE_SF_COUNT	/* slot table groups */
#define KORACLE_Q_GROUP_FEATS	4	/* slot features per group */
#define KORACLE_Q_MAX_GROUP_ROWS 1024	/* rows of one group's table */
#define KORACLE_Q_MAX_SLOT_ROWS	2048	/* rows of all groups' tables */

/*
 * The per-switch budget a model must fit, checked by koracle_blob_parse()
 * (the module refuses a blob over it; `koracle quantize` says which limit).
 * A model's cost counts what a switch does: its multiply-accumulates, the
 * table adds (the head's slot rows for a full list, K slots x 5 groups x
 * H/2 packed words; the event embedding's, 7 features x C/2), and 4 units
 * per requantized or saturated output (x0's C, each block's 3C, hz's H),
 * each about as many instructions as 4 multiply-adds. The default model
 * (C=4 B=0 H=2) is 40 + 94 + 24 = 158 units, and the budget about twice
 * that. Each residual block also keeps two rings and their bookkeeping, which
 * the units do not see: two blocks at C = 2 take 2.6 times the default's
 * instructions, so the budget admits one. Measured with callgrind on the
 * fixtures, the largest shapes it admits take 1.8-2.3 times the default's
 * model instructions per switch, those just outside it 2.4 and more (docs/
 * design.md). The streaming state is read and written every switch with
 * interrupts off, so it is bounded as well.
 */
#define KORACLE_Q_COST_DEFAULT	158	/* koracle train's default model */
#define KORACLE_Q_BUDGET_COST	300	/* units per switch, see above */
#define KORACLE_Q_BUDGET_BLOCKS	1	/* residual blocks */
#define KORACLE_Q_BUDGET_STATE	1024	/* bytes of streaming state per CPU */

/*
 * Slot feature groups. The head adds, for each slot, one table row per slot
 * feature; since the sum is linear, the quantizer merges features into
 * groups whose table holds every combination's row already summed (e.g.
 * FIFO x LIFO ranks: 17 x 17 rows), so a slot costs one row per group, not
 * per feature. Row of a group = sum_i stride[i] * value of feat[i].
 */
struct koracle_qgroup {
	u16 row;		/* first row of this group in emb_slot */
	u8 nfeat;
	u8 feat[KORACLE_Q_GROUP_FEATS];		/* slot feature ids */
	u16 stride[KORACLE_Q_GROUP_FEATS];	/* rows per value step */
};

/*
 * Groups a model may use (the quantizer writes at most five, user/
 * quant_blob.c; the blob header has room for KORACLE_Q_MAX_GROUPS). The
 * head always reads this many, a missing group reading a row of zeros, so
 * its loops have constant trip counts.
 */
#define KORACLE_Q_HEAD_GROUPS	5

/*
 * One convolution: weights (C/2, k*C) packed words, row p = output channels
 * 2p (lo) and 2p+1 (hi), column i*C + c = tap i (i events back times the
 * dilation), input channel c.
 */
struct koracle_qconv {
	const s64 *w;		/* (C/2, k*C) packed s8 pairs */
	const s64 *bias;	/* (C/2) packed pairs, acc units */
	const s32 *mult;	/* (C) requant multipliers */
	const s8 *shift;	/* (C) requant shifts */
	/* byte offset of this conv's input ring in the state: (ring_len, C) */
	u32 ring_off;
	u16 ring_len;		/* rows: (k - 1) * dil + 1 */
	u16 dil;		/* dilation, events */
};

/*
 * A validated model: dimensions, offsets, and pointers into the blob. Fixed
 * size, no pointers to anything but the blob; embed it in the object that
 * owns the blob.
 */
struct koracle_qmodel {
	u32 crc;		/* the blob's CRC-32 (header field, see blob.h) */
	/* multiply-accumulates per step (convs, head projection, slot scores) */
	u32 macs;
	u32 cost;		/* budget units (see the budget above) */
	u32 state_size;		/* bytes of one CPU's streaming state */
	u32 ev_ignore;		/* bit f: event feature f unused */
	/* bit g: slot feature g unused (the kernel-only ones for a model
	 * trained on ftrace imports)
	 */
	u32 sf_ignore;
	u16 channels;		/* C */
	u16 hidden;		/* H */
	u8 blocks;		/* B */
	u8 kernel;		/* k */
	u8 nslots;		/* K (== KORACLE_K) */
	u8 mask_feat;		/* slot feature whose 0 means "empty slot" */
	/*
	 * Row of event feature f's value v: ev_row[f] + v * ev_step[f]
	 * packed words; an ignored feature reads the zero row (step 0).
	 */
	const s64 *ev_row[KORACLE_EF_COUNT];
	u16 ev_step[KORACLE_EF_COUNT];
	u8 ngroups;		/* slot table groups, each used feature in one */
	u8 layout;		/* koracle_q_layout_of() */
	struct koracle_qgroup group[KORACLE_Q_HEAD_GROUPS];
	/* group g's first row, packed words; the zero row past ngroups */
	const s64 *group_row[KORACLE_Q_HEAD_GROUPS];
	const s64 *emb_ev;	/* (sum ev_vocab, C/2) packed s16, x0's scale */
	struct koracle_qconv conv[KORACLE_Q_NCONV];	/* block b: 2b, 2b+1 */
	s32 res_mult[KORACLE_Q_MAX_BLOCKS];	/* block input -> output scale */
	s8 res_shift[KORACLE_Q_MAX_BLOCKS];
	const s64 *head_w;	/* (H/2, C) packed s8 pairs */
	const s64 *head_b;	/* (H/2) packed pairs */
	const s32 *head_mult;	/* (H) */
	const s8 *head_shift;	/* (H) */
	const s64 *emb_slot;	/* (group rows, H/2) packed s16, hz's scale */
	const s8 *head_v;	/* (H) */
	u32 v_off;		/* state byte offsets of the scratch rows: */
	u32 h_off;		/* v (C), h (C) s16, hz (H/2) packed s64 */
	u32 hz_off;
};

/*
 * What a missing group (H/2 words) or an ignored event feature (C/2 words)
 * reads: zeros.
 */
#define KORACLE_Q_ZERO_WORDS	(KORACLE_Q_MAX_HIDDEN / 2)
static_assert(KORACLE_Q_MAX_CHANNELS <= KORACLE_Q_MAX_HIDDEN,
	      "the zero row stands for event embedding rows too");
extern const s64 koracle_q_zero_row[KORACLE_Q_ZERO_WORDS];

/*
 * The quantizer's slot groups, in order: what user/quant_blob.c writes,
 * less the features a model ignores.
 */
extern const struct koracle_qgroup koracle_q_layout[KORACLE_Q_HEAD_GROUPS];

/*
 * The groups of @m (parsed) as a count G when they are the first G groups of
 * koracle_q_layout, whose head then runs with constant feature ids and
 * strides; else 0.
 */
u8 koracle_q_layout_of(const struct koracle_qmodel *m);

/* 0, or -EINVAL with *why naming the first failed check (static string). */
int koracle_blob_parse(const void *blob, size_t len,
		       struct koracle_qmodel *m, const char **why);
size_t koracle_qstate_size(const struct koracle_qmodel *m);
void koracle_qstate_reset(const struct koracle_qmodel *m, void *state);
/*
 * Advance the temporal state by one switch with that switch's event
 * features: the blocks, then hz (the head's context), kept in @state.
 */
void koracle_qadvance(const struct koracle_qmodel *m, void *state,
		      const u8 ev[KORACLE_EF_COUNT]);
/*
 * The predicted slot of the list snapshot @f (the rows of its candidates,
 * f->cand; f->ev is not read) from the hz kept in @state, which is not
 * changed; KORACLE_K when there is no candidate. @margin: best
 * minus second-best slot score (int32 accumulator units; 0 with fewer than
 * two occupied slots). May be NULL, as in the scheduler: the default shape's
 * expansion then keeps the best alone; a margin takes the out-of-line path.
 */
u8 koracle_qscore(const struct koracle_qmodel *m, const void *state,
		  const struct koracle_feat *f, s32 *margin);
/* One point of a replayed sequence: advance on f->ev, then score f. */
u8 koracle_qstep(const struct koracle_qmodel *m, void *state,
		 const struct koracle_feat *f, s32 *margin);

/*
 * Fixed-point primitives, shared with the quantizer and the tests.
 * Requantization uses one rounding (TFLite's TFLITE_SINGLE_ROUNDING form of
 * MultiplyByQuantizedMultiplier): out = round(acc * M / 2^(31 - shift)),
 * ties toward +infinity, in one 64-bit multiply, add and shift. That is
 * gemmlowp's rounding-doubling-high-multiply followed by a rounding divide
 * by a power of two, minus the double rounding, at a third of the cost.
 */
/* Two s32 lanes in one word, and back (see "Two lanes" above); unsigned
 * arithmetic, so any word (even a hostile blob's) splits without overflow.
 */
static inline s64 koracle_q_pack(s32 lo, s32 hi)
{
	return (s64)((u64)(s64)lo + ((u64)(u32)hi << 32));
}

static inline s32 koracle_q_lo(s64 w)
{
	return (s32)(u32)(u64)w;
}

static inline s32 koracle_q_hi(s64 w)
{
	return (s32)(u32)(((u64)w - (u64)(s64)koracle_q_lo(w)) >> 32);
}

static inline s16 koracle_q_sat16(s32 x)
{
	return x > 32767 ? 32767 : x < -32768 ? -32768 : (s16)x;
}

static inline s32 koracle_q_sat32(s64 x)
{
	return x > 0x7fffffffLL ? 0x7fffffff :
	       x < -0x80000000LL ? (s32)0x80000000 : (s32)x;
}

/*
 * x / 2^e rounded to nearest, ties toward +infinity; 1 <= e <= 62. As
 * ((x >> (e - 1)) + 1) >> 1, which equals (x + 2^(e-1)) >> e exactly (the
 * bits below e - 1 cannot carry into bit e - 1) and cannot overflow.
 */
static inline s64 koracle_q_rshift(s64 x, int e)
{
	return ((x >> (e - 1)) + 1) >> 1;
}

/*
 * acc * mult * 2^(shift - 31), rounded, not saturated; mult in [0, 2^31),
 * KORACLE_Q_MIN_SHIFT <= shift <= KORACLE_Q_MAX_SHIFT, so |acc * mult| <
 * 2^62 and the shift is 16..62. The three clamps below share it.
 */
static inline s64 koracle_q_scale(s32 acc, s32 mult, int shift)
{
	return koracle_q_rshift((s64)acc * mult, 31 - shift);
}

/* koracle_q_scale() saturated to s32. */
static inline s32 koracle_q_mulshift(s32 acc, s32 mult, int shift)
{
	return koracle_q_sat32(koracle_q_scale(acc, mult, shift));
}

/*
 * koracle_q_sat16(koracle_q_mulshift(acc, mult, shift)) in one clamp: the
 * s32 saturation in between can never change what the s16 one keeps.
 */
static inline s16 koracle_q_requant(s32 acc, s32 mult, int shift)
{
	s64 x = koracle_q_scale(acc, mult, shift);

	return x > 32767 ? 32767 : x < -32768 ? -32768 : (s16)x;
}

/*
 * max(0, koracle_q_requant(acc, mult, shift)): the ReLU'd outputs' one
 * clamp, to [0, 32767], without branches on the sign.
 */
static inline s16 koracle_q_requant_relu(s32 acc, s32 mult, int shift)
{
	s64 x = koracle_q_scale(acc, mult, shift);

	x = x > 0 ? x : 0;
	return x < 32767 ? (s16)x : 32767;
}

#endif /* KORACLE_TCN_Q_H */
