// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_step BLOB TRACE...: the cost of one integer TCN step
 * (shared/tcn_q.c), compiled with the kernel's flags (no SIMD, no
 * vectorizer: scripts/bench-step.sh), on the feature tuples of real traces.
 *
 * Every trace is replayed through the encoder first; the tuples are then fed
 * to koracle_qstep() in each CPU's order, one state per CPU, in batches of
 * KO_BENCH_BATCH steps timed with CLOCK_MONOTONIC. Each of KO_BENCH_ROUNDS
 * passes over all tuples gives a median (and 90th percentile) over its
 * batches; the least disturbed pass is reported (the machine is shared: a
 * co-tenant's burst only ever adds time). Prints ns per step and the model's
 * MACs per step:
 *   bench: step_ns_median N ns
 *   bench: step_ns_p90 N ns
 *   bench: step_macs N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../shared/blob.h"
#include "../../user/replay.h"

#define KO_BENCH_BATCH	16	/* steps per timed batch */
#define KO_BENCH_ROUNDS	7	/* passes over all tuples */

struct tuples {
	struct koracle_feat *f;
	int *cpu;
	size_t n, cap;
};

static int add_point(void *ctx, const struct ko_point *p)
{
	struct tuples *t = ctx;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4096;
		struct koracle_feat *f = realloc(t->f, cap * sizeof(*f));
		int *cpu;

		if (!f)
			return -ENOMEM;
		t->f = f;
		cpu = realloc(t->cpu, cap * sizeof(*cpu));
		if (!cpu)
			return -ENOMEM;
		t->cpu = cpu;
		t->cap = cap;
	}
	t->f[t->n] = *p->feat;
	t->cpu[t->n] = p->cpu < 64 ? p->cpu : 63;
	t->n++;
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = aligned_alloc(8, ((size_t)n + 7) / 8 * 8);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = n;
out:
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct tuples t = { 0 };
	struct koracle_qmodel m;
	char err[KO_ERR_LEN];
	const char *why;
	void *blob = NULL, *state[64] = { 0 };
	long long *batch = NULL;
	size_t len = 0, nb = 0;
	long long med = 0, p90 = 0;
	volatile unsigned sink = 0;
	int ret = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_step BLOB TRACE...\n");
		return 2;
	}
	blob = read_file(argv[1], &len);
	if (!blob) {
		fprintf(stderr, "bench_step: %s: cannot read the blob\n", argv[1]);
		goto out;
	}
	if (koracle_blob_parse(blob, len, &m, &why)) {
		fprintf(stderr, "bench_step: %s: refused: %s\n", argv[1], why);
		goto out;
	}
	for (int i = 2; i < argc; i++)
		if (ko_replay_file(argv[i], add_point, &t, NULL, NULL, err)) {
			fprintf(stderr, "bench_step: %s\n", err);
			goto out;
		}
	for (int c = 0; c < 64; c++) {
		state[c] = calloc(1, koracle_qstate_size(&m));
		if (!state[c])
			goto out;
	}
	batch = malloc(sizeof(*batch) * (t.n / KO_BENCH_BATCH + 1));
	if (!batch || t.n < KO_BENCH_BATCH) {
		fprintf(stderr, "bench_step: %s\n", batch ? "too few tuples" :
			"out of memory");
		goto out;
	}
	for (int r = 0; r < KO_BENCH_ROUNDS; r++) {
		nb = 0;
		for (size_t i = 0; i + KO_BENCH_BATCH <= t.n; i += KO_BENCH_BATCH) {
			long long t0 = now_ns();

			for (size_t j = i; j < i + KO_BENCH_BATCH; j++)
				sink += koracle_qstep(&m, state[t.cpu[j]], &t.f[j], NULL);
			batch[nb++] = now_ns() - t0;
		}
		qsort(batch, nb, sizeof(*batch), cmp_ll);
		if (r == 0 || batch[nb / 2] < med) {
			med = batch[nb / 2];
			p90 = batch[nb * 9 / 10];
		}
	}
	printf("bench: step_ns_median %.0f ns\n", (double)med / KO_BENCH_BATCH);
	printf("bench: step_ns_p90 %.0f ns\n", (double)p90 / KO_BENCH_BATCH);
	printf("bench: step_macs %u\n", m.macs);
	ret = 0;
out:
	for (int c = 0; c < 64; c++)
		free(state[c]);
	free(batch);
	free(blob);
	free(t.f);
	free(t.cpu);
	return ret;
}
