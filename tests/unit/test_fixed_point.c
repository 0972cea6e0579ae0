// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The integer step's fixed-point primitives (shared/tcn_q.h) against
 * straightforward references in wider arithmetic (int64, exact rationals,
 * long double), on known answers and on theories over their bounds.
 */
#include <criterion/criterion.h>
#include <criterion/theories.h>
#include <math.h>

#include "../shared/tcn_q.h"
#include "quant.h"

/* floor(x / 2^e + 1/2) in exact integer arithmetic (x = q 2^e + r). */
static int64_t ref_rshift(int64_t x, int e)
{
	int64_t d = (int64_t)1 << e;
	int64_t q = x / d, r = x % d;

	if (r < 0) {	/* floor division */
		q--;
		r += d;
	}
	return q + (2 * r >= d ? 1 : 0);
}

static int64_t ref_clamp(int64_t x, int64_t lo, int64_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* round(acc * mult * 2^(shift - 31)), ties up, saturated to s32. */
static int64_t ref_mulshift(int32_t acc, int32_t mult, int shift)
{
	__int128 p = (__int128)acc * mult;
	int e = 31 - shift;
	__int128 d = (__int128)1 << e;
	__int128 q = p / d, r = p % d;

	if (r < 0) {
		q--;
		r += d;
	}
	q += 2 * r >= d;
	return (int64_t)(q > INT32_MAX ? INT32_MAX : q < INT32_MIN ? INT32_MIN : q);
}

Test(fixed_point, sat16_known_answers)
{
	cr_expect_eq(koracle_q_sat16(0), 0);
	cr_expect_eq(koracle_q_sat16(32767), 32767);
	cr_expect_eq(koracle_q_sat16(32768), 32767);
	cr_expect_eq(koracle_q_sat16(-32768), -32768);
	cr_expect_eq(koracle_q_sat16(-32769), -32768);
	cr_expect_eq(koracle_q_sat16(INT32_MAX), 32767);
	cr_expect_eq(koracle_q_sat16(INT32_MIN), -32768);
}

Test(fixed_point, rshift_rounds_half_up)
{
	cr_expect_eq(koracle_q_rshift(5, 1), 3);	/* 2.5 -> 3 */
	cr_expect_eq(koracle_q_rshift(-5, 1), -2);	/* -2.5 -> -2 */
	cr_expect_eq(koracle_q_rshift(-6, 2), -1);	/* -1.5 -> -1 */
	cr_expect_eq(koracle_q_rshift(-7, 2), -2);	/* -1.75 -> -2 */
	cr_expect_eq(koracle_q_rshift(7, 2), 2);	/* 1.75 -> 2 */
	cr_expect_eq(koracle_q_rshift(1, 1), 1);
	cr_expect_eq(koracle_q_rshift(-1, 1), 0);
}

Test(fixed_point, pack_round_trips_every_lane_pair_class)
{
	static const int32_t v[] = { 0, 1, -1, 127, -128, 32767, -32768,
				     INT32_MAX, INT32_MIN, 123456789, -987654321 };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++) {
			int64_t w = koracle_q_pack(v[i], v[j]);

			cr_assert_eq(koracle_q_lo(w), v[i]);
			cr_assert_eq(koracle_q_hi(w), v[j], "lo %d hi %d", v[i], v[j]);
		}
}

/* The point of packing: sums of packed words are packed sums. */
Test(fixed_point, packed_multiply_accumulate_is_exact)
{
	uint64_t s = 12345;
	int64_t acc = koracle_q_pack(-(1 << 29), 1 << 29);
	int64_t lo = -(1 << 29), hi = 1 << 29;

	for (int i = 0; i < 192; i++) {	/* the longest legal dot product */
		int8_t a, b;
		int16_t x;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		a = (int8_t)(s >> 56);
		b = (int8_t)(s >> 48);
		x = (int16_t)(s >> 32);
		if (i < 8) {	/* the extremes first */
			a = i & 1 ? 127 : -128;
			b = i & 2 ? 127 : -128;
			x = i & 4 ? 32767 : -32768;
		}
		acc += koracle_q_pack(a, b) * x;
		lo += (int64_t)a * x;
		hi += (int64_t)b * x;
	}
	cr_assert(lo >= INT32_MIN && lo <= INT32_MAX && hi >= INT32_MIN && hi <= INT32_MAX);
	cr_assert_eq(koracle_q_lo(acc), lo);
	cr_assert_eq(koracle_q_hi(acc), hi);
}

Test(fixed_point, requant_known_answers)
{
	/* M = 2^30 is 0.5; shift 0 keeps it: 100 * 0.5 = 50 */
	cr_expect_eq(koracle_q_requant(100, 1 << 30, 0), 50);
	cr_expect_eq(koracle_q_requant(101, 1 << 30, 0), 51);	/* 50.5 up */
	cr_expect_eq(koracle_q_requant(-101, 1 << 30, 0), -50);	/* -50.5 up */
	cr_expect_eq(koracle_q_requant(100, 1 << 30, 2), 200);	/* x 2 */
	cr_expect_eq(koracle_q_requant(100, 1 << 30, -3), 6);	/* 6.25 */
	cr_expect_eq(koracle_q_requant(1 << 20, 1 << 30, 0), 32767);	/* sat */
	cr_expect_eq(koracle_q_requant(-(1 << 20), 1 << 30, 0), -32768);
	cr_expect_eq(koracle_q_requant(12345, 0, 0), 0);
}

TheoryDataPoints(fixed_point, mulshift_matches_exact_reference) = {
	DataPoints(int32_t, 0, 1, -1, 2, -2, 255, -256, 32767, -32768, 1 << 29,
		   -(1 << 29), 805306368, -805306368, INT32_MAX, INT32_MIN, 77777,
		   -123457),
	DataPoints(int32_t, 0, 1 << 30, (1 << 30) + 1, 1518500250, 2147483647,
		   1234567890),
	DataPoints(int, -31, -20, -16, -1, 0, 1, 7, 15),
};

Theory((int32_t acc, int32_t mult, int shift), fixed_point,
       mulshift_matches_exact_reference)
{
	cr_assume(mult == 0 || mult >= KORACLE_Q_MULT_MIN);
	cr_assert_eq(koracle_q_mulshift(acc, mult, shift),
		     ref_mulshift(acc, mult, shift),
		     "acc %d mult %d shift %d", acc, mult, shift);
	cr_assert_eq(koracle_q_requant(acc, mult, shift),
		     ref_clamp(ref_mulshift(acc, mult, shift), -32768, 32767));
	cr_assert_eq(koracle_q_requant_relu(acc, mult, shift),
		     ref_clamp(ref_mulshift(acc, mult, shift), 0, 32767),
		     "acc %d mult %d shift %d", acc, mult, shift);
}

TheoryDataPoints(fixed_point, rshift_matches_floor_reference) = {
	DataPoints(int64_t, 0, 1, -1, 3, -3, (1LL << 40) + 12345,
		   -(1LL << 40) - 12345, (1LL << 61), -(1LL << 61),
		   (1LL << 62) - 1, -(1LL << 62)),
	DataPoints(int, 1, 2, 15, 16, 31, 32, 47, 61, 62),
};

Theory((int64_t x, int e), fixed_point, rshift_matches_floor_reference)
{
	cr_assert_eq(koracle_q_rshift(x, e), ref_rshift(x, e), "x %lld e %d",
		     (long long)x, e);
}

/* The quantizer's multipliers represent the real factor to 2^-31 relative. */
TheoryDataPoints(fixed_point, multiplier_represents_the_factor) = {
	DataPoints(double, 1e-9, 3.3e-7, 0.0001, 0.0123, 0.25, 0.5, 0.75,
		   0.999999, 1.0, 1.5, 7.25, 1000.0, 32767.0),
};

Theory((double real), fixed_point, multiplier_represents_the_factor)
{
	int32_t mult;
	int shift;

	cr_assert_eq(ko_quant_multiplier(real, &mult, &shift), 0);
	cr_assert(mult >= KORACLE_Q_MULT_MIN, "mult %d", mult);
	cr_assert(shift >= KORACLE_Q_MIN_SHIFT && shift <= KORACLE_Q_MAX_SHIFT);
	cr_assert(fabsl((long double)mult * powl(2, shift - 31) - real) <=
		  real * 1e-9L, "real %g mult %d shift %d", real, mult, shift);
	/* and the step's arithmetic applies it: 1000 * real, rounded */
	if (real * 1000 < 2e9)
		cr_assert(llabs(koracle_q_mulshift(1000, mult, shift) -
				llround(1000 * real)) <= 1);
}

Test(fixed_point, multiplier_edges)
{
	int32_t mult;
	int shift;

	cr_expect_eq(ko_quant_multiplier(0.0, &mult, &shift), 0);
	cr_expect_eq(mult, 0);
	cr_expect_eq(ko_quant_multiplier(1e-12, &mult, &shift), 0);
	cr_expect_eq(mult, 0, "below 2^-32 rounds to a zero multiplier");
	cr_expect_eq(ko_quant_multiplier(65536.0, &mult, &shift), -ERANGE);
	/* 1 - 2^-40 rounds up to 2^31: renormalised, not overflowed */
	cr_expect_eq(ko_quant_multiplier(1.0 - ldexp(1, -40), &mult, &shift), 0);
	cr_expect_eq(mult, 1 << 30);
	cr_expect_eq(shift, 1);
}
