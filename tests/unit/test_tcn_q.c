// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The streaming integer step (shared/tcn_q.c) equals a whole-window integer
 * forward written here the straightforward way: lanes unpacked into plain
 * arrays, each convolution over the whole sequence with zero padding before
 * it, every sum in 64 bits and every requantization by an exact reference.
 * On real fixture features, per CPU sequence as the replay cuts them, for
 * several architectures (the unrolled widths 8 and 16 and generic ones,
 * kernel 2 and 3, 0 to 4 blocks). Predictions and margins must be equal.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "qtest.h"
#include "ref_fixed_point.h"
#include "replay.h"

static char dir[64];

struct seqs {
	struct koracle_feat *f;	/* all points, CPU sequences one after another */
	int *start;		/* index of each sequence's first point */
	int n, nseq, cap;
	int cur_cpu;
};

static int collect(void *ctx, const struct ko_point *p)
{
	struct seqs *s = ctx;

	/* sequences of one CPU at a time: the tests replay cpu by cpu */
	if (p->cpu != s->cur_cpu)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->f = realloc(s->f, sizeof(*s->f) * s->cap);
		s->start = realloc(s->start, sizeof(int) * (s->cap + 1));
		cr_assert(s->f && s->start);
	}
	if (p->restart)
		s->start[s->nseq++] = s->n;
	s->f[s->n++] = *p->feat;
	return 0;
}

static void setup(void)
{
	qt_mkdir(dir);
	qt_import(dir, "cpu-burner.trace.gz", "a.kot");
	qt_import(dir, "loopback-http.trace.gz", "b.kot");
}

static void teardown(void)
{
	qt_rmdir(dir);
}

TestSuite(tcn_q, .init = setup, .fini = teardown, .timeout = 120);

/* Element i of a row-major array whose consecutive pairs share a word
 * (tables: columns 2p, 2p+1; biases: channels 2p, 2p+1). */
static int32_t lane(const int64_t *words, long i)
{
	return i % 2 ? koracle_q_hi(words[i / 2]) : koracle_q_lo(words[i / 2]);
}

/* Weight (o, i) of a layer with @nin inputs: output channels 2p and 2p+1
 * share the words of row p. */
static int32_t wlane(const int64_t *words, int o, int i, int nin)
{
	int64_t w = words[(long)(o / 2) * nin + i];

	return o % 2 ? koracle_q_hi(w) : koracle_q_lo(w);
}

/* Row of slot table group @g for slot features @sf, from the vocabularies
 * (first feature slowest), not from the parser's strides. */
static long group_row(const struct koracle_qmodel *m, int g, const uint8_t *sf)
{
	long row = m->group[g].row, idx = 0;

	for (int i = 0; i < m->group[g].nfeat; i++)
		idx = idx * koracle_slot_vocab[m->group[g].feat[i]] +
		      sf[m->group[g].feat[i]];
	return row + idx;
}

/*
 * Whole-sequence forward over @T points: picks and margins. Activations are
 * (T, C) int64 arrays; the convolution reads inp[t - i*dil] or zero.
 */
static void reference(const struct koracle_qmodel *m,
		      const struct koracle_feat *f, int T, uint8_t *pick,
		      int32_t *margin)
{
	int C = m->channels, H = m->hidden, B = m->blocks, k = m->kernel;
	int64_t *x = calloc((size_t)T * C, sizeof(*x));
	int64_t *u = calloc((size_t)T * C, sizeof(*u));
	int64_t *y = calloc((size_t)T * C, sizeof(*y));
	long ev_off[KORACLE_EF_COUNT];

	cr_assert(x && u && y);
	ref_ev_offsets(ev_off);
	for (int t = 0; t < T; t++)
		for (int c = 0; c < C; c++) {
			int64_t s = 0;

			for (int e = 0; e < KORACLE_EF_COUNT; e++)
				if (!(m->ev_ignore >> e & 1))
					s += lane(m->emb_ev, (ev_off[e] +
						  f[t].ev[e]) * C + c);
			x[(long)t * C + c] = ref_clamp(s, -32768, 32767);
		}
	for (int b = 0; b < B; b++) {
		for (int j = 0; j < 2; j++) {
			const struct koracle_qconv *cv = &m->conv[2 * b + j];
			const int64_t *in = j ? u : x;
			int64_t *out = j ? y : u;

			for (int t = 0; t < T; t++)
				for (int co = 0; co < C; co++) {
					int64_t acc = lane(cv->bias, co);

					for (int i = 0; i < k; i++) {
						int src = t - i * cv->dil;

						if (src < 0)
							continue;
						for (int c = 0; c < C; c++)
							acc += (int64_t)wlane(cv->w, co, i * C + c,
									      k * C) *
							       in[(long)src * C + c];
					}
					cr_assert(acc >= INT32_MIN && acc <= INT32_MAX);
					out[(long)t * C + co] = ref_clamp(ref_mulshift(acc,
						cv->mult[co], cv->shift[co]), 0, 32767);
				}
		}
		for (long i = 0; i < (long)T * C; i++)
			x[i] = ref_clamp(ref_mulshift(x[i], m->res_mult[b], m->res_shift[b]) +
				     y[i], -32768, 32767);
	}
	for (int t = 0; t < T; t++) {
		int64_t hz[KORACLE_Q_MAX_HIDDEN], best = 0, second = 0;
		int nocc = 0;

		for (int h = 0; h < H; h++) {
			int64_t acc = lane(m->head_b, h);

			for (int c = 0; c < C; c++)
				acc += (int64_t)wlane(m->head_w, h, c, C) *
				       x[(long)t * C + c];
			hz[h] = ref_clamp(ref_mulshift(acc, m->head_mult[h], m->head_shift[h]),
				      -32768, 32767);
		}
		pick[t] = KORACLE_K;
		for (int j = 0; j < KORACLE_K; j++) {
			int64_t score = 0;

			if (!f[t].slot[j][m->mask_feat])
				continue;
			for (int h = 0; h < H; h++) {
				int64_t z = hz[h];

				for (int g = 0; g < m->ngroups; g++)
					z += lane(m->emb_slot,
						  group_row(m, g, f[t].slot[j]) * H + h);
				score += ref_clamp(z, 0, 32767) * m->head_v[h];
			}
			if (!nocc++ || score > best) {
				if (nocc > 1)
					second = best;
				best = score;
				pick[t] = (uint8_t)j;
			} else if (nocc == 2 || score > second) {
				second = score;
			}
		}
		margin[t] = nocc > 1 ? (int32_t)(best - second) : 0;
	}
	free(x);
	free(u);
	free(y);
}

static void check_arch(int C, int B, int k, int H, bool no_kernel,
		       const char *trace)
{
	struct koracle_qmodel m;
	struct ko_tcn fm;
	struct seqs s = { 0 };
	char path[128], err[KO_ERR_LEN];
	const char *why;
	uint8_t *blob, *pick;
	int32_t *margin;
	size_t len;
	void *state, *state2;
	long compared = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, trace);
	qt_random_blob(&fm, C, B, k, H, 11 + C + B, no_kernel, path, &blob,
		       &len);
	ko_tcn_destroy(&fm);
	cr_assert_eq(koracle_blob_parse(blob, len, &m, &why), 0, "%s", why);
	/* the quantizer's layouts: the head runs them with constant strides */
	cr_assert_eq(m.layout, no_kernel ? 4 : 5, "layout %u", m.layout);
	state = malloc(koracle_qstate_size(&m));
	state2 = malloc(koracle_qstate_size(&m));
	cr_assert(state && state2);
	for (s.cur_cpu = 0; s.cur_cpu < 2; s.cur_cpu++) {
		s.n = s.nseq = 0;
		cr_assert_eq(ko_replay_file(path, collect, &s, NULL, NULL, err), 0,
			     "%s", err);
		s.start[s.nseq] = s.n;
		pick = malloc(s.n + 1);
		margin = malloc(sizeof(*margin) * (s.n + 1));
		cr_assert(pick && margin);
		for (int q = 0; q < s.nseq; q++) {
			int a = s.start[q], T = s.start[q + 1] - a;

			reference(&m, s.f + a, T, pick, margin);
			/* a dirty state first: reset must clear everything */
			memset(state, 0x77, koracle_qstate_size(&m));
			koracle_qstate_reset(&m, state);
			koracle_qstate_reset(&m, state2);
			for (int t = 0; t < T; t++) {
				int32_t mg = -1;
				uint8_t p = koracle_qstep(&m, state, &s.f[a + t], &mg);
				/* no margin: the scheduler's pick-only path */
				uint8_t p2 = koracle_qstep(&m, state2, &s.f[a + t], NULL);

				cr_assert_eq(p, pick[t], "C=%d B=%d k=%d H=%d cpu %d point %d: step %u, window %u",
					     C, B, k, H, s.cur_cpu, t, p, pick[t]);
				cr_assert_eq(mg, margin[t], "margin at point %d", t);
				cr_assert_eq(p2, pick[t], "C=%d B=%d k=%d H=%d cpu %d point %d: pick-only step %u, window %u",
					     C, B, k, H, s.cur_cpu, t, p2, pick[t]);
				compared++;
			}
		}
		free(pick);
		free(margin);
	}
	cr_assert_gt(compared, 500, "only %ld points compared", compared);
	free(state2);
	free(state);
	free(s.f);
	free(s.start);
	free(blob);
}

/* By value: Criterion copies parameters, pointers would not survive. */
struct arch {
	int C, B, k, H;
	bool no_kernel;		/* ftrace-trained: four slot groups, not five */
	char trace[8];
};

/*
 * The shapes the step expands with constants, in both of the quantizer's
 * layouts, then generic ones: all inside the budget.
 */
ParameterizedTestParameters(tcn_q, streaming_equals_window)
{
	static struct arch shapes[] = {
		{ 4, 0, 2, 2, false, "a.kot" },	/* the default */
		{ 4, 0, 2, 2, true, "b.kot" },
		{ 4, 1, 2, 2, true, "a.kot" },	/* its neighbours */
		{ 4, 0, 2, 4, false, "b.kot" },
		{ 2, 1, 3, 2, false, "a.kot" },	/* generic widths, k = 3 */
		{ 18, 0, 2, 2, true, "b.kot" },	/* the widest */
	};

	return cr_make_param_array(struct arch, shapes,
				   sizeof(shapes) / sizeof(shapes[0]));
}

ParameterizedTest(struct arch *a, tcn_q, streaming_equals_window)
{
	check_arch(a->C, a->B, a->k, a->H, a->no_kernel, a->trace);
}

Test(tcn_q, empty_list_predicts_none)
{
	struct koracle_qmodel m;
	struct ko_tcn fm;
	struct koracle_feat f;
	char path[128];
	const char *why;
	uint8_t *blob;
	size_t len;
	void *state;
	int32_t mg = 5;

	snprintf(path, sizeof(path), "%s/a.kot", dir);
	qt_random_blob(&fm, 8, 0, 2, 2, 1, false, path, &blob, &len);
	ko_tcn_destroy(&fm);
	cr_assert_eq(koracle_blob_parse(blob, len, &m, &why), 0);
	state = calloc(1, koracle_qstate_size(&m));
	memset(&f, 0, sizeof(f));
	cr_assert_eq(koracle_qstep(&m, state, &f, &mg), KORACLE_K);
	cr_assert_eq(mg, 0);
	f.slot[5][KORACLE_SF_STATE] = KORACLE_SS_RUNNABLE;	/* one occupant */
	f.cand = 1 << 5;
	cr_assert_eq(koracle_qstep(&m, state, &f, NULL), 5);
	free(state);
	free(blob);
}

/* Only the quantizer's own groups, in its order, take the constant head. */
Test(tcn_q, layout_is_the_quantizers_or_none)
{
	struct koracle_qmodel m, o;
	struct koracle_qgroup g;
	struct ko_tcn fm;
	char path[128];
	const char *why;
	uint8_t *blob;
	size_t len;

	snprintf(path, sizeof(path), "%s/a.kot", dir);
	qt_random_blob(&fm, 4, 1, 2, 2, 3, true, path, &blob, &len);
	ko_tcn_destroy(&fm);
	cr_assert_eq(koracle_blob_parse(blob, len, &m, &why), 0, "%s", why);
	cr_assert_eq(koracle_q_layout_of(&m), 4);
	o = m;
	o.ngroups = 3;
	cr_assert_eq(koracle_q_layout_of(&o), 0, "three groups");
	o = m;
	o.group[1].stride[0]++;
	cr_assert_eq(koracle_q_layout_of(&o), 0, "another stride");
	o = m;
	o.group[0].feat[3] = KORACLE_SF_WAIT;
	cr_assert_eq(koracle_q_layout_of(&o), 0, "another feature");
	o = m;
	g = o.group[2];
	o.group[2] = o.group[3];
	o.group[3] = g;
	cr_assert_eq(koracle_q_layout_of(&o), 0, "groups swapped");
	free(blob);
}
