// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The module's per-event path (shared/predictor.c) against the userspace
 * replay that `koracle eval --check-kernel` trusts: on a real trace, the
 * picks the predictor writes into each SWITCH record (the model's score of
 * the list just before the switch, then the advance) are exactly the
 * integer step's picks on the replay's points, CPU by CPU; its counters are
 * the points scored; and next_pid (a peek) names the gate's pick on the list
 * as it stands, without changing anything.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "predictor.h"
#include "quant_replay.h"
#include "qtest.h"
#include "trace_io.h"

#define NCPU	8

static char dir[64];

static void setup(void)
{
	qt_mkdir(dir);
	qt_import(dir, "mixed-io.trace.gz", "m.kot");
}

static void teardown(void)
{
	qt_rmdir(dir);
}

TestSuite(predictor, .init = setup, .fini = teardown, .timeout = 60);

struct picks {
	u8 *model[NCPU], *sel[NCPU];	/* per CPU, in stream order */
	size_t n[NCPU], cap;
};

static int check_point(void *ctx, const struct ko_tcn *m,
		       const struct ko_qr_point *p)
{
	struct picks *k = ctx;
	size_t i = k->n[p->cpu]++;

	(void)m;
	cr_assert_lt(i, k->cap);
	cr_assert_eq(p->qpick, k->model[p->cpu][i], "cpu %d point %zu: replay %u, predictor %u",
		     p->cpu, i, p->qpick, k->model[p->cpu][i]);
	cr_assert_eq(p->feat->sel_pick, k->sel[p->cpu][i], "cpu %d point %zu selector", p->cpu, i);
	return 0;
}

/*
 * @uses_comm: a model that reads the comm bucket too (the predictor hashes
 * the name only for such a model; the replay always does).
 */
static void check_against_replay(bool uses_comm)
{
	static struct koracle_predictor pr[NCPU];
	struct koracle_qmodel qm;
	struct ko_trace_reader *r;
	struct koracle_event ev;
	struct picks k = { .cap = 1 << 16 };
	struct ko_tcn fm;
	char path[128], err[KO_ERR_LEN];
	const char *why;
	void *state[NCPU];
	uint8_t *blob;
	size_t len, total = 0;
	u64 counted = 0;
	int c;

	snprintf(path, sizeof(path), "%s/m.kot", dir);
	if (uses_comm) {
		struct ko_tcn_config cfg;
		struct ko_qcalib cal;
		char *paths[1] = { path };

		ko_model_default_config(&cfg, 4, 0, 2, 2);
		cfg.sf_ignore = 1u << KORACLE_SF_VR_RANK | 1u << KORACLE_SF_WEIGHT;
		cr_assert_eq(ko_tcn_create(&fm, &cfg), 0);
		ko_tcn_init_params(&fm, 9);
		cr_assert_eq(ko_quant_calibrate(&fm, paths, 1, &cal, err), 0, "%s", err);
		cr_assert_eq(ko_quant_build(&fm, &cal, &blob, &len, err), 0, "%s", err);
	} else {
		qt_random_blob(&fm, 4, 0, 2, 2, 7, true, path, &blob, &len);
	}
	ko_tcn_destroy(&fm);
	cr_assert_eq(koracle_blob_parse(blob, len, &qm, &why), 0, "%s", why);
	cr_assert_eq(!(qm.ev_ignore >> KORACLE_EF_COMM & 1), uses_comm);
	for (c = 0; c < NCPU; c++) {
		koracle_predictor_init(&pr[c]);
		memset(&pr[c].n, 0, sizeof(pr[c].n));
		state[c] = calloc(1, koracle_qstate_size(&qm));
		k.model[c] = malloc(k.cap);
		k.sel[c] = malloc(k.cap);
		cr_assert(state[c] && k.model[c] && k.sel[c]);
	}
	/* the module's path, record by record, as the probes feed it */
	cr_assert_eq(ko_trace_open(path, &r, err), 0, "%s", err);
	while (ko_trace_next(r, &ev) == 1) {
		cr_assert_lt(ev.cpu, NCPU);
		ev.flags &= ~KORACLE_RF_PRED;
		koracle_predictor_event(&pr[ev.cpu], &qm, state[ev.cpu], &ev);
		if (!(ev.flags & KORACLE_RF_PRED))
			continue;
		cr_assert_lt(k.n[ev.cpu], k.cap);
		k.model[ev.cpu][k.n[ev.cpu]] = ev.pred_slot;
		k.sel[ev.cpu][k.n[ev.cpu]++] = ev.base_slot;
		total++;
	}
	ko_trace_close(r);
	for (c = 0; c < NCPU; c++) {
		counted += pr[c].n.predictions;
		k.n[c] = 0;
	}
	cr_assert_eq(counted, total, "predictions counted %llu, points %zu",
		     (unsigned long long)counted, total);
	cr_assert_gt(total, 1000);

	/* the replay's points, CPU by CPU, against what the predictor wrote */
	cr_assert_eq(ko_qr_file(path, NULL, &qm, check_point, &k, NULL, NULL,
				err), 0, "%s", err);
	for (c = 0; c < NCPU; c++)
		total -= k.n[c];
	cr_assert_eq(total, 0, "the replay has %zu points fewer", total);
	free(blob);
	for (c = 0; c < NCPU; c++) {
		free(state[c]);
		free(k.model[c]);
		free(k.sel[c]);
	}
}

Test(predictor, equals_the_replay_and_counts_its_points)
{
	check_against_replay(false);
}

Test(predictor, equals_the_replay_with_a_model_that_reads_the_comm)
{
	check_against_replay(true);
}

/* CPU 0's vruntime rank of @pid in @p's list, or -1 if not listed. */
static int vr_rank_of(const struct koracle_predictor *p, s32 pid)
{
	int i;

	for (i = 0; i < p->enc.nocc; i++)
		if (p->enc.pid[i] == pid)
			return p->enc.slots[p->enc.idx[i]].vr_rank;
	return -1;
}

/* A kernel wakeup of @pid onto CPU 0 with vruntime @vr. */
static void wake_kernel(struct koracle_predictor *p,
			const struct koracle_qmodel *m, s32 pid, u64 vr)
{
	struct koracle_event ev = {
		.type = KORACLE_EV_WAKEUP, .ts_ns = 1000 + vr,
		.prev_pid = 1, .next_pid = pid, .dest_cpu = 0,
		.flags = KORACLE_RF_KERNEL, .vruntime = vr, .weight = 1024,
	};

	cr_assert_not(koracle_predictor_encode(p, m, &ev));
}

/*
 * The vruntime ranks are kept only for a model that reads them: without a
 * model, or with one that ignores SF_VR_RANK, every slot is unranked; once
 * a model that reads them is loaded, the next event ranks the waiting
 * tasks by vruntime. The encoder (predictor_encode reads no more of the
 * model than its ignore masks) decides from the model it is given.
 */
Test(predictor, keeps_vruntime_ranks_only_for_a_model_that_reads_them)
{
	static struct koracle_predictor p;
	struct koracle_qmodel reads = { 0 }, ignores = { 0 };

	ignores.sf_ignore = 1u << KORACLE_SF_VR_RANK | 1u << KORACLE_SF_WEIGHT;
	koracle_predictor_init(&p);
	wake_kernel(&p, NULL, 5, 3000);
	wake_kernel(&p, NULL, 6, 1000);
	cr_assert(p.enc.no_vr);
	cr_assert_eq(vr_rank_of(&p, 5), KORACLE_K);
	cr_assert_eq(vr_rank_of(&p, 6), KORACLE_K);
	wake_kernel(&p, &reads, 7, 2000);
	cr_assert_not(p.enc.no_vr);
	cr_assert_eq(vr_rank_of(&p, 6), 0);
	cr_assert_eq(vr_rank_of(&p, 7), 1);
	cr_assert_eq(vr_rank_of(&p, 5), 2);
	wake_kernel(&p, &ignores, 8, 500);
	cr_assert(p.enc.no_vr);
	cr_assert_eq(vr_rank_of(&p, 8), KORACLE_K);
	cr_assert_eq(vr_rank_of(&p, 6), KORACLE_K);
	wake_kernel(&p, &reads, 9, 2500);
	cr_assert_eq(vr_rank_of(&p, 8), 0);
	cr_assert_eq(vr_rank_of(&p, 6), 1);
	cr_assert_eq(vr_rank_of(&p, 7), 2);
	cr_assert_eq(vr_rank_of(&p, 9), 3);
	cr_assert_eq(vr_rank_of(&p, 5), 4);
}
