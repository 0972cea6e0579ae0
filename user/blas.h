/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one place koracle's trainer multiplies matrices: a thin row-major
 * wrapper over BLIS (libblis, the OpenMP build, so both cores work). Every
 * GEMM of user/tcn.c goes through ko_sgemm(); a naive reference lives only in
 * the tests (STYLE.md rule 13).
 *
 * BLIS splits the m and n loops between threads, never the k (reduction)
 * loop, so results are bit-identical run to run for a fixed thread count.
 */
#ifndef KO_BLAS_H
#define KO_BLAS_H

#include <stdbool.h>

/*
 * C = alpha * op(A) * op(B) + beta * C, all row major.
 * op(A) is (m,k): A is (m,k) with row stride lda, or (k,m) when @ta.
 * op(B) is (k,n): B is (k,n) with row stride ldb, or (n,k) when @tb.
 * C is (m,n) with row stride ldc. beta == 0 ignores C's old contents.
 */
void ko_sgemm(bool ta, bool tb, int m, int n, int k, float alpha,
	      const float *a, int lda, const float *b, int ldb, float beta,
	      float *c, int ldc);

/* Threads BLIS may use for each GEMM from now on (>= 1). */
void ko_blas_set_threads(int n);
int ko_blas_get_threads(void);

#endif /* KO_BLAS_H */
