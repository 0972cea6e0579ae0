// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The optimiser and the model can learn: a tiny TCN fits a synthetic
 * periodic sequence to 100% top-1. The sequence 0 1 2 0 3 1 (repeating) is
 * not order-1 predictable (after 0 comes 1 or 3), so the dilated
 * convolutions must carry context. Synthetic on purpose: this checks the
 * training machinery, not the data.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "blas.h"
#include "tcn.h"

#define NW	6	/* windows, one per phase */
#define TW	32	/* points per window */
#define KS	4	/* slots */

static const int seq[] = { 0, 1, 2, 0, 3, 1 };
#define PERIOD	((int)(sizeof(seq) / sizeof(seq[0])))

static void make_batch(uint8_t *ev, uint8_t *slot, uint8_t *labels, int warmup)
{
	for (int n = 0; n < NW; n++)
		for (int t = 0; t < TW; t++) {
			int r = n * TW + t, pos = n + t;

			ev[r * 2 + 0] = (uint8_t)seq[pos % PERIOD];	/* incoming */
			ev[r * 2 + 1] = 0;
			for (int j = 0; j < KS; j++) {
				slot[(r * KS + j) * 2 + 0] = 1;	/* occupied */
				slot[(r * KS + j) * 2 + 1] = (uint8_t)j;
			}
			labels[r] = t < warmup ? KO_TCN_LABEL_SKIP :
				    (uint8_t)seq[(pos + 1) % PERIOD];
		}
}

static int top1_hits(const struct ko_tcn *m, const uint8_t *labels, int *scored)
{
	int hits = 0;

	*scored = 0;
	for (int r = 0; r < NW * TW; r++) {
		const float *l = m->a.logits + r * (KS + 1);
		int best = 0;

		if (labels[r] == KO_TCN_LABEL_SKIP)
			continue;
		for (int j = 1; j <= KS; j++)
			if (l[j] > l[best])
				best = j;
		hits += best == labels[r];
		(*scored)++;
	}
	return hits;
}

Test(train_overfit, tiny_tcn_learns_a_periodic_sequence, .timeout = 60)
{
	struct ko_tcn_config cfg = {
		.channels = 8, .blocks = 2, .kernel = 2, .hidden = 8,
		.nslots = KS, .nev = 2, .nsf = 2, .mask_feat = 0,
		.ev_vocab = { KS, 1 }, .sf_vocab = { 2, KS },
	};
	static struct ko_tcn m;
	static uint8_t ev[NW * TW * 2], slot[NW * TW * KS * 2], labels[NW * TW];
	int count, hits0, hits, scored;
	double loss0, loss = 0;

	ko_blas_set_threads(1);
	cr_assert_eq(ko_tcn_create(&m, &cfg), 0);
	ko_tcn_init_params(&m, 1234);
	cr_assert_eq(ko_tcn_alloc_train(&m), 0);
	cr_assert_eq(ko_tcn_reserve(&m, NW * TW), 0);
	make_batch(ev, slot, labels, ko_tcn_warmup(&cfg));
	loss0 = ko_tcn_forward(&m, ev, slot, labels, NW, TW, &count);
	hits0 = top1_hits(&m, labels, &scored);
	cr_assert_eq(count, NW * (TW - ko_tcn_warmup(&cfg)));
	for (int step = 0; step < 400; step++) {
		ko_tcn_zero_grad(&m);
		loss = ko_tcn_forward(&m, ev, slot, labels, NW, TW, &count);
		ko_tcn_backward(&m, ev, slot, labels, NW, TW);
		ko_tcn_clip_grad(&m, 1.0);
		ko_tcn_adamw(&m, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f);
	}
	loss = ko_tcn_forward(&m, ev, slot, labels, NW, TW, &count);
	hits = top1_hits(&m, labels, &scored);
	cr_assert_eq(hits, scored, "top-1 %d/%d after training (%d before), loss %g -> %g",
		     hits, scored, hits0, loss0, loss);
	cr_assert(hits0 < scored, "the untrained model must not already be perfect");
	cr_assert(loss < 0.05, "loss %g", loss);
	ko_tcn_destroy(&m);
}

Test(train_overfit, same_seed_same_parameters)
{
	struct ko_tcn_config cfg = {
		.channels = 4, .blocks = 1, .kernel = 2, .hidden = 4,
		.nslots = KS, .nev = 2, .nsf = 2, .mask_feat = 0,
		.ev_vocab = { KS, 1 }, .sf_vocab = { 2, KS },
	};
	static struct ko_tcn a, b;
	static uint8_t ev[NW * TW * 2], slot[NW * TW * KS * 2], labels[NW * TW];
	int count;

	make_batch(ev, slot, labels, ko_tcn_warmup(&cfg));
	ko_blas_set_threads(2);
	for (int i = 0; i < 2; i++) {
		struct ko_tcn *m = i ? &b : &a;

		cr_assert_eq(ko_tcn_create(m, &cfg), 0);
		ko_tcn_init_params(m, 99);
		cr_assert_eq(ko_tcn_alloc_train(m), 0);
		cr_assert_eq(ko_tcn_reserve(m, NW * TW), 0);
		for (int step = 0; step < 20; step++) {
			ko_tcn_zero_grad(m);
			ko_tcn_forward(m, ev, slot, labels, NW, TW, &count);
			ko_tcn_backward(m, ev, slot, labels, NW, TW);
			ko_tcn_adamw(m, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f);
		}
	}
	cr_assert_arr_eq(a.params_mem, b.params_mem, sizeof(float) * a.nparams);
	ko_tcn_init_params(&b, 100);
	cr_assert_arr_neq(a.params_mem, b.params_mem, sizeof(float) * a.nparams);
	ko_tcn_destroy(&a);
	ko_tcn_destroy(&b);
}
