/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Exact references for the integer step's fixed-point arithmetic, in wide
 * integers, shared by the unit tests (test_tcn_q.c) and the blob fuzz
 * target (tests/fuzz/fuzz_blob.c). Header-only.
 */
#ifndef KO_TEST_REF_FIXED_POINT_H
#define KO_TEST_REF_FIXED_POINT_H

#include <stdint.h>

#include "features.h"

/* Exact round(acc * mult * 2^(shift - 31)), ties up, saturated to s32. */
static inline int64_t ref_mulshift(int64_t acc, int32_t mult, int shift)
{
	__int128 p = (__int128)acc * mult, d = (__int128)1 << (31 - shift);
	__int128 q = p / d, r = p % d;

	if (r < 0) {
		q--;
		r += d;
	}
	q += 2 * r >= d;
	return q > INT32_MAX ? INT32_MAX : q < INT32_MIN ? INT32_MIN : (int64_t)q;
}

static inline int64_t ref_clamp(int64_t x, int64_t lo, int64_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * First embedding row of each event feature: the blob's event vocabularies
 * are the encoder's (blob.c checks), one after the other.
 */
static inline void ref_ev_offsets(long off[KORACLE_EF_COUNT])
{
	off[0] = 0;
	for (int e = 1; e < KORACLE_EF_COUNT; e++)
		off[e] = off[e - 1] + koracle_event_vocab[e - 1];
}

#endif /* KO_TEST_REF_FIXED_POINT_H */
