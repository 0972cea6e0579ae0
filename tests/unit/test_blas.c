// SPDX-License-Identifier: GPL-2.0 OR MIT
/* user/blas.c: ko_sgemm against a naive reference on odd shapes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "tcn.h"

/* The reference: row major, double accumulation. Tests only. */
static void ref_sgemm(bool ta, bool tb, int m, int n, int k, float alpha,
		      const float *a, int lda, const float *b, int ldb,
		      float beta, float *c, int ldc)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0.0;

			for (int p = 0; p < k; p++) {
				float av = ta ? a[p * lda + i] : a[i * lda + p];
				float bv = tb ? b[j * ldb + p] : b[p * ldb + j];

				s += (double)av * bv;
			}
			c[i * ldc + j] = (float)(alpha * s +
				(beta == 0.0f ? 0.0 : (double)beta * c[i * ldc + j]));
		}
}

static float *rand_mat(long n, uint64_t *rng)
{
	float *x = malloc(sizeof(*x) * n);

	cr_assert_not_null(x);
	for (long i = 0; i < n; i++)
		x[i] = (float)(2.0 * ko_rng_unif(rng) - 1.0);
	return x;
}

static void check_shape(bool ta, bool tb, int m, int n, int k, float alpha,
			float beta, int pad, uint64_t *rng)
{
	/* stored shapes: A (m,k) or (k,m), B (k,n) or (n,k); rows padded */
	int arows = ta ? k : m, acols = ta ? m : k;
	int brows = tb ? n : k, bcols = tb ? k : n;
	int lda = acols + pad, ldb = bcols + pad, ldc = n + pad;
	float *a = rand_mat((long)arows * lda, rng);
	float *b = rand_mat((long)brows * ldb, rng);
	float *c = rand_mat((long)m * ldc, rng);
	float *r = malloc(sizeof(*r) * m * ldc);

	cr_assert_not_null(r);
	memcpy(r, c, sizeof(*r) * m * ldc);
	if (beta == 0.0f)	/* beta 0 must ignore C, NaN included */
		for (long i = 0; i < (long)m * ldc; i++)
			c[i] = NAN;
	ko_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
	ref_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			float got = c[i * ldc + j], want = r[i * ldc + j];

			/* k products of values in [-1,1]: float rounding only */
			cr_assert(fabsf(got - want) <= 1e-5f * (k + 1),
				  "ta=%d tb=%d m=%d n=%d k=%d [%d,%d]: %g != %g",
				  ta, tb, m, n, k, i, j, got, want);
		}
	free(a);
	free(b);
	free(c);
	free(r);
}

Test(blas, matches_reference_on_odd_shapes_and_transposes)
{
	static const int dims[] = { 1, 2, 3, 7, 17, 33, 65 };
	uint64_t rng = 42;
	int nd = sizeof(dims) / sizeof(dims[0]);

	for (int t = 0; t < 4; t++)
		for (int x = 0; x < nd; x++)
			for (int y = 0; y < nd; y += 2)
				for (int z = 0; z < nd; z += 3)
					check_shape(t & 1, t & 2, dims[x], dims[y],
						    dims[z], 1.0f, 0.0f, 0, &rng);
}

Test(blas, alpha_beta_and_padded_rows)
{
	uint64_t rng = 7;

	for (int t = 0; t < 4; t++) {
		check_shape(t & 1, t & 2, 13, 5, 9, 0.5f, 1.0f, 3, &rng);
		check_shape(t & 1, t & 2, 31, 17, 1, -2.0f, 0.25f, 1, &rng);
		check_shape(t & 1, t & 2, 64, 48, 32, 1.0f, 0.0f, 5, &rng);
	}
}

Test(blas, empty_reduction_scales_c)
{
	float c[4] = { 1, 2, 3, 4 }, a[1] = { 0 }, b[1] = { 0 };

	ko_sgemm(false, false, 2, 2, 0, 1.0f, a, 1, b, 2, 0.5f, c, 2);
	cr_assert_float_eq(c[0], 0.5f, 0);
	cr_assert_float_eq(c[3], 2.0f, 0);
	ko_sgemm(false, false, 2, 2, 0, 1.0f, a, 1, b, 2, 0.0f, c, 2);
	cr_assert_float_eq(c[1], 0.0f, 0);
}

Test(blas, same_bits_for_a_fixed_thread_count)
{
	uint64_t rng = 3;
	int m = 1024, n = 64, k = 96;	/* big enough for BLIS threads */
	float *a = rand_mat((long)m * k, &rng), *b = rand_mat((long)k * n, &rng);
	float *c1 = calloc((size_t)m * n, sizeof(float));
	float *c2 = calloc((size_t)m * n, sizeof(float));
	int old = ko_blas_get_threads();

	cr_assert(c1 && c2);
	ko_blas_set_threads(2);
	cr_assert_eq(ko_blas_get_threads(), 2);
	/* A stored (k,m) and transposed, B (k,n): C (m,n) */
	ko_sgemm(true, false, m, n, k, 1.0f, a, m, b, n, 0.0f, c1, n);
	ko_sgemm(true, false, m, n, k, 1.0f, a, m, b, n, 0.0f, c2, n);
	cr_assert_arr_eq(c1, c2, sizeof(float) * m * n);
	ko_blas_set_threads(old);
	free(a);
	free(b);
	free(c1);
	free(c2);
}
