// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Row-major GEMM over BLIS's typed API (see blas.h).
 *
 * Threads per call: BLIS forks its OpenMP team for every call, which costs
 * more than a small product itself (measured here: a (2048x32)x(32x16)
 * product takes 40 us on one thread and over 1 ms on two when the cores are
 * busy). So a call uses the configured thread count only when it has at least
 * KO_BLAS_MT_MACS multiply-accumulates; smaller ones run on the calling
 * thread. The choice depends only on the shape, so results stay
 * deterministic for a fixed thread count.
 */
#include <blis.h>

#include "blas.h"

#define KO_BLAS_MT_MACS	(1L << 22)	/* ~100 us of single-thread work */

static int ko_blas_threads = 1;

void ko_sgemm(bool ta, bool tb, int m, int n, int k, float alpha,
	      const float *a, int lda, const float *b, int ldb, float beta,
	      float *c, int ldc)
{
	rntm_t rntm = BLIS_RNTM_INITIALIZER;

	if (m <= 0 || n <= 0)
		return;
	if (k <= 0) {
		/* BLIS would scale C by beta; make "beta == 0" mean overwrite. */
		for (int i = 0; i < m; i++)
			for (int j = 0; j < n; j++)
				c[(long)i * ldc + j] = beta == 0.0f ? 0.0f :
						      beta * c[(long)i * ldc + j];
		return;
	}
	bli_rntm_set_num_threads((long)m * n * k >= KO_BLAS_MT_MACS ?
				 ko_blas_threads : 1, &rntm);
	/*
	 * Row major (rs = ld, cs = 1). BLIS reads A as stored and applies the
	 * transpose itself, so a transposed operand keeps its stored strides.
	 * BLIS takes non-const pointers but does not write A or B.
	 */
	bli_sgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
		     tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
		     m, n, k, &alpha, (float *)a, lda, 1, (float *)b, ldb, 1,
		     &beta, c, ldc, 1, NULL, &rntm);
}

void ko_blas_set_threads(int n)
{
	ko_blas_threads = n < 1 ? 1 : n;
	bli_thread_set_num_threads(ko_blas_threads);
}

int ko_blas_get_threads(void)
{
	return ko_blas_threads;
}
