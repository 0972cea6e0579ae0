// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle_blob_parse() (shared/blob.c) accepts what the quantizer writes and
 * refuses every malformed blob with -EINVAL and a reason naming the check:
 * truncation in every section, bad magic, version, CRC, header and total
 * size lies, dimensions beyond bounds, section offsets and lengths out of
 * range or overflowing, and quantization parameters outside the ranges the
 * step's arithmetic is safe for. Mutated blobs get a fresh CRC, so each
 * reaches the check it targets instead of failing the CRC first.
 */
#include <criterion/criterion.h>
#include <stddef.h>

#include "qtest.h"
#include "train.h"

static char dir[64];
static uint8_t *good;
static size_t good_len;
static uint8_t *buf;	/* 8-aligned scratch copy */

#define HOFF(field) offsetof(struct koracle_blob_hdr, field)

static void setup(void)
{
	struct ko_tcn m;
	char trace[128];

	qt_mkdir(dir);
	qt_import(dir, "cpu-burner.trace.gz", "a.kot");
	snprintf(trace, sizeof(trace), "%s/a.kot", dir);
	qt_random_blob(&m, 4, 1, 2, 2, 3, true, trace, &good, &good_len);
	ko_tcn_destroy(&m);
	buf = aligned_alloc(8, KORACLE_BLOB_MAX_SIZE + 64);
	cr_assert_not_null(buf);
}

static void teardown(void)
{
	free(good);
	free(buf);
	qt_rmdir(dir);
}

TestSuite(blob, .init = setup, .fini = teardown, .timeout = 60);

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fresh(void)
{
	memcpy(buf, good, good_len);
}

static void recrc(size_t len)
{
	put32(buf + HOFF(crc), koracle_blob_crc(buf, len));
}

static uint32_t sect_off(int s)
{
	return get32(good + HOFF(sect) + 8 * s);
}

static uint32_t sect_len(int s)
{
	return get32(good + HOFF(sect) + 8 * s + 4);
}

/* Parses buf[0..len) expecting a refusal whose reason contains @why. */
static void refused(size_t len, const char *why)
{
	struct koracle_qmodel m;
	const char *got = NULL;

	memset(&m, 0x5a, sizeof(m));
	cr_assert_eq(koracle_blob_parse(buf, len, &m, &got), -EINVAL,
		     "accepted; expected a refusal about '%s'", why);
	cr_assert_not_null(got);
	cr_assert(strstr(got, why), "refused for '%s', expected '%s'", got, why);
}

/* Mutates, re-CRCs, expects the refusal. */
#define MUTATED(why, stmt) do { fresh(); stmt; recrc(good_len); \
				refused(good_len, why); } while (0)

Test(blob, accepts_the_quantizers_blob)
{
	struct koracle_qmodel m;
	const char *why = "unset";

	fresh();
	cr_assert_eq(koracle_blob_parse(buf, good_len, &m, &why), 0, "%s", why);
	cr_assert_null(why);
	cr_expect_eq(m.channels, 4);
	cr_expect_eq(m.blocks, 1);
	cr_expect_eq(m.kernel, 2);
	cr_expect_eq(m.hidden, 2);
	cr_expect_eq(m.crc, get32(good + HOFF(crc)));
	cr_expect_eq(m.crc, koracle_crc32(good + 12, good_len - 12));
	cr_expect_eq(m.sf_ignore, 1u << KORACLE_SF_VR_RANK | 1u << KORACLE_SF_WEIGHT);
	cr_expect_eq(m.macs, 2 * 1 * 2 * 4 * 4 + 2 * 4 + KORACLE_K * 2);
	/*
	 * plus K slots x groups x H/2 words of slot-table adds, 7 event
	 * features x C/2 words, 4 per requantized output (x0, u, v, x', hz)
	 */
	cr_expect_eq(m.cost, m.macs + KORACLE_K * KORACLE_Q_HEAD_GROUPS * 1 +
		     KORACLE_EF_COUNT * 2 + 4 * (4 + 3 * 4 + 2));
	cr_expect_eq(m.cost, 270);	/* the largest block the budget admits */
	cr_expect_leq(m.cost, KORACLE_Q_BUDGET_COST);
	cr_expect_eq(m.conv[0].ring_len, 2);
	cr_expect_eq(m.conv[1].ring_len, 2);
	cr_expect_gt(koracle_qstate_size(&m), 0);
}

Test(blob, refuses_truncation_inside_every_section)
{
	for (int s = 0; s < KORACLE_BS_COUNT; s++) {
		size_t cut;

		if (!sect_len(s))
			continue;
		cut = sect_off(s) + sect_len(s) / 2;
		/* as cut: the size field no longer matches */
		fresh();
		refused(cut, "total size");
		/* with a header that claims the cut size: the section overflows */
		fresh();
		put32(buf + HOFF(total_size), (uint32_t)cut);
		recrc(cut);
		refused(cut, "past the end");
	}
	fresh();
	refused(KORACLE_BLOB_HDR_SIZE - 1, "shorter than its header");
	refused(0, "shorter than its header");
}

Test(blob, refuses_bad_magic_version_and_crc)
{
	fresh();
	buf[0] ^= 0x20;
	refused(good_len, "bad magic");
	MUTATED("version", put32(buf + HOFF(version), KORACLE_BLOB_VERSION + 1));
	fresh();
	buf[good_len - 1] ^= 1;	/* payload */
	refused(good_len, "CRC");
	fresh();
	buf[HOFF(channels)] ^= 2;	/* header, after the CRC field */
	refused(good_len, "CRC");
	fresh();
	buf[HOFF(crc)] ^= 1;
	refused(good_len, "CRC");
}

Test(blob, refuses_size_fields_that_lie)
{
	MUTATED("header size", put32(buf + HOFF(hdr_size), KORACLE_BLOB_HDR_SIZE + 8));
	MUTATED("header size", put32(buf + HOFF(hdr_size), 16));
	MUTATED("total size", put32(buf + HOFF(total_size), good_len + 8));
	MUTATED("total size", put32(buf + HOFF(total_size), 0xffffffffu));
	/* a longer buffer than the blob claims */
	fresh();
	memset(buf + good_len, 0, 8);
	refused(good_len + 8, "total size");
	fresh();
	refused(KORACLE_BLOB_MAX_SIZE + 8, "larger than");
}

/* Parses a random blob of shape C, B, k, H: 0 or -EINVAL with *why. */
static int parse_shape(int C, int B, int k, int H, struct koracle_qmodel *m,
		       const char **why)
{
	struct ko_tcn fm;
	char trace[128];
	uint8_t *blob;
	size_t len;
	int ret;

	snprintf(trace, sizeof(trace), "%s/a.kot", dir);
	qt_random_blob(&fm, C, B, k, H, 5, false, trace, &blob, &len);
	ko_tcn_destroy(&fm);
	*why = NULL;
	ret = koracle_blob_parse(blob, len, m, why);
	free(blob);
	return ret;
}

/*
 * Well-formed blobs over the per-switch budget are refused, each naming the
 * limit it exceeds: the units (C=20: 72 MACs, 80 + 70 table adds, 22
 * requantized outputs = 310), the blocks (two at C=2, 219 units), the
 * streaming state (6 blocks of k = 3 at C = 2: rings up to 65 rows). Just
 * inside: C=18 (291 units), one block at C=4 (270).
 */
Test(blob, refuses_a_model_over_the_per_switch_budget)
{
	struct koracle_qmodel m;
	const char *why;

	cr_assert_eq(parse_shape(20, 0, 2, 2, &m, &why), -EINVAL);
	cr_assert_not_null(strstr(why, "per-switch budget: cost exceeds 300 units"), "%s", why);
	cr_assert_not_null(strstr(why, "the default model needs 158"), "%s", why);
	cr_assert_eq(parse_shape(2, 2, 2, 2, &m, &why), -EINVAL);
	cr_assert_not_null(strstr(why, "more than 1 residual block"), "%s", why);
	cr_assert_eq(parse_shape(2, 6, 3, 2, &m, &why), -EINVAL);
	cr_assert_not_null(strstr(why, "streaming state"), "%s", why);
	cr_assert_eq(parse_shape(18, 0, 2, 2, &m, &why), 0, "%s", why);
	cr_expect_eq(m.cost, 291);
	cr_assert_eq(parse_shape(4, 1, 2, 2, &m, &why), 0, "%s", why);
	cr_expect_eq(m.cost, 270);
}

Test(blob, refuses_dimensions_beyond_bounds)
{
	MUTATED("channel", put32(buf + HOFF(channels), 0));
	MUTATED("channel", buf[HOFF(channels)] = KORACLE_Q_MAX_CHANNELS + 2);
	MUTATED("channel", buf[HOFF(channels)] = 7);
	MUTATED("channel", buf[HOFF(channels) + 1] = 1);	/* 264 */
	MUTATED("head width", buf[HOFF(hidden)] = 0);
	MUTATED("head width", buf[HOFF(hidden)] = KORACLE_Q_MAX_HIDDEN + 2);
	MUTATED("head width", buf[HOFF(hidden)] = 9);
	MUTATED("block count", buf[HOFF(blocks)] = KORACLE_Q_MAX_BLOCKS + 1);
	MUTATED("kernel size", buf[HOFF(kernel)] = 0);
	MUTATED("kernel size", buf[HOFF(kernel)] = KORACLE_Q_MAX_KERNEL + 1);
	MUTATED("slot count", buf[HOFF(nslots)] = KORACLE_K + 1);
	MUTATED("feature counts", buf[HOFF(nev)] = KORACLE_EF_COUNT + 1);
	MUTATED("feature counts", buf[HOFF(nsf)] = KORACLE_SF_COUNT - 1);
	MUTATED("mask feature", buf[HOFF(mask_feat)] = KORACLE_SF_WAIT);
	MUTATED("feature version", buf[HOFF(feat_version)] = KORACLE_FEAT_VERSION + 1);
	MUTATED("event vocabulary", buf[HOFF(ev_vocab) + 1]++);
	MUTATED("event vocabulary", buf[HOFF(ev_vocab) + KORACLE_EF_COUNT] = 3);
	MUTATED("slot vocabulary", buf[HOFF(sf_vocab) + 2] = 255);
	MUTATED("event ignore", put32(buf + HOFF(ev_ignore), 1u << KORACLE_EF_COUNT));
	MUTATED("event ignore", put32(buf + HOFF(ev_ignore),
				      (1u << KORACLE_EF_COUNT) - 1));
	MUTATED("slot ignore", put32(buf + HOFF(sf_ignore), 0xffffffffu));
	MUTATED("dilation out of range", buf[HOFF(dil)] = 0);
	MUTATED("dilation out of range", buf[HOFF(dil)] = KORACLE_Q_MAX_DIL + 1);
	MUTATED("past the last block", buf[HOFF(dil) + 1] = 2);
	MUTATED("past the last block", put32(buf + HOFF(res_mult) + 8, 1u << 30));
	MUTATED("reserved", buf[HOFF(reserved) + 5] = 1);
	MUTATED("reserved", buf[HOFF(pad) + 6] = 1);
}

Test(blob, refuses_bad_slot_groups)
{
	uint8_t G = good[HOFF(ngroups)];
	uint8_t *gf = buf + HOFF(group_feat);

	MUTATED("group count", buf[HOFF(ngroups)] = 0);
	MUTATED("group count", buf[HOFF(ngroups)] = KORACLE_Q_HEAD_GROUPS + 1);
	/* fewer groups than listed */
	MUTATED("past the group count", buf[HOFF(ngroups)] = G - 1);
	/* a feature twice, an ignored one, an unknown one */
	MUTATED("repeated", gf[4 * 1 + 2] = gf[0]);
	MUTATED("ignored", gf[4 * 1 + 2] = KORACLE_SF_VR_RANK);
	MUTATED("unknown", gf[4 * 1 + 2] = KORACLE_SF_COUNT);
	/* a used feature left out */
	MUTATED("in no slot group", gf[4 * 1 + 1] = 0xff);
	MUTATED("after its terminator", { gf[4 * 2 + 1] = 0xff;
					  gf[4 * 2 + 2] = KORACLE_SF_MRU; });
	MUTATED("empty slot group", { buf[HOFF(ngroups)] = G + 1; });
	/* a merge too large for the bound: FIFO x LIFO x WAIT */
	MUTATED("1024 rows", { gf[4 * 1 + 2] = gf[4 * 2];
			       gf[4 * 2] = gf[4 * 3]; gf[4 * 3] = 0xff;
			       buf[HOFF(ngroups)] = G - 1; });
}

Test(blob, refuses_offsets_out_of_range)
{
	/* aligned (the alignment check comes first), past the end */
	MUTATED("past the end", put32(buf + HOFF(sect) + 8 * KORACLE_BS_HEAD_V,
				      (uint32_t)((good_len + 15) & ~(size_t)7)));
	/* offset + length wraps 32 bits: must not pass as in range */
	MUTATED("past the end", {
		put32(buf + HOFF(sect) + 8 * KORACLE_BS_HEAD_V, 0xfffffff8u);
		put32(buf + HOFF(sect) + 8 * KORACLE_BS_HEAD_V + 4, 16);
	});
	MUTATED("past the end", put32(buf + HOFF(sect) + 8 * KORACLE_BS_EMB_EV + 4,
				      0xffffffffu));
	MUTATED("aligned", put32(buf + HOFF(sect) + 8 * KORACLE_BS_CONV_W,
				 sect_off(KORACLE_BS_CONV_W) + 4));
	MUTATED("overlaps the header", put32(buf + HOFF(sect), 0));
	MUTATED("overlaps", put32(buf + HOFF(sect) + 8 * KORACLE_BS_HEAD_B,
				  sect_off(KORACLE_BS_HEAD_W)));
	MUTATED("length does not match", put32(buf + HOFF(sect) + 8 * KORACLE_BS_HEAD_S + 4,
					       sect_len(KORACLE_BS_HEAD_S) - 1));
}

Test(blob, refuses_parameters_outside_the_safe_ranges)
{
	uint32_t m0 = sect_off(KORACLE_BS_CONV_M), s0 = sect_off(KORACLE_BS_CONV_S);
	uint32_t b0 = sect_off(KORACLE_BS_CONV_B), w0 = sect_off(KORACLE_BS_CONV_W);
	uint32_t hm = sect_off(KORACLE_BS_HEAD_M), es = sect_off(KORACLE_BS_EMB_SLOT);
	uint32_t ee = sect_off(KORACLE_BS_EMB_EV);

	MUTATED("multiplier", put32(buf + m0 + 4, (1u << 30) - 1));
	MUTATED("multiplier", put32(buf + hm, 0x80000000u));
	MUTATED("shift", buf[s0 + 3] = KORACLE_Q_MAX_SHIFT + 1);
	MUTATED("shift", buf[s0] = (uint8_t)(KORACLE_Q_MIN_SHIFT - 1));
	MUTATED("bias", put64(buf + b0, (uint64_t)koracle_q_pack(KORACLE_Q_MAX_BIAS + 1, 0)));
	MUTATED("bias", put64(buf + b0 + 8, (uint64_t)koracle_q_pack(0, -KORACLE_Q_MAX_BIAS - 2)));
	MUTATED("weight", put64(buf + w0 + 16, (uint64_t)koracle_q_pack(128, 0)));
	MUTATED("weight", put64(buf + w0, (uint64_t)koracle_q_pack(0, -129)));
	MUTATED("weight", put64(buf + w0, 0x8000000000000000ULL));
	MUTATED("slot table", put64(buf + es + 8, (uint64_t)koracle_q_pack(32768, 0)));
	MUTATED("event table", put64(buf + ee, (uint64_t)koracle_q_pack(0, -32769)));
	MUTATED("residual multiplier", put32(buf + HOFF(res_mult), 5));
	MUTATED("residual shift", buf[HOFF(res_shift)] = 100);
}

Test(blob, refuses_an_unaligned_buffer)
{
	struct koracle_qmodel m;
	const char *why;

	memcpy(buf + 1, good, good_len);
	cr_assert_eq(koracle_blob_parse(buf + 1, good_len, &m, &why), -EINVAL);
	cr_assert(strstr(why, "aligned"));
}

/* Every single-byte corruption of the header is refused (CRC or a check):
 * nothing in the header is unchecked. */
Test(blob, every_header_byte_is_covered)
{
	for (size_t i = 0; i < KORACLE_BLOB_HDR_SIZE; i++) {
		struct koracle_qmodel m;
		const char *why;

		fresh();
		buf[i] ^= 0x40;
		cr_assert_eq(koracle_blob_parse(buf, good_len, &m, &why), -EINVAL,
			     "byte %zu flipped: accepted", i);
	}
}

/*
 * Random corruption, CRC fixed up so the checks behind it are reached: the
 * parser never crashes, and whatever it accepts the step can run on (under
 * ASan/UBSan: no read outside the blob or the state, no overflow).
 */
Test(blob, random_corruption_is_refused_or_safe)
{
	uint64_t rng = 42;
	uint64_t state[4096];	/* larger than any state this blob can declare */
	struct koracle_feat f;
	int accepted = 0;

	memset(&f, 0, sizeof(f));
	for (int j = 0; j < KORACLE_K; j++) {	/* a full, valid tuple */
		for (int g = 0; g < KORACLE_SF_COUNT; g++)
			f.slot[j][g] = (uint8_t)((j + g) % koracle_slot_vocab[g]);
		f.slot[j][KORACLE_SF_STATE] = KORACLE_SS_RUNNABLE;
		f.cand |= 1 << j;
	}
	for (int e = 0; e < KORACLE_EF_COUNT; e++)
		f.ev[e] = (uint8_t)(koracle_event_vocab[e] - 1);
	for (int it = 0; it < 3000; it++) {
		struct koracle_qmodel m;
		const char *why;
		int flips = 1 + it % 4;

		fresh();
		for (int k = 0; k < flips; k++) {
			size_t at;

			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			/* half the flips in the header, where the dimensions are */
			at = (rng >> 33) % (k % 2 ? good_len : KORACLE_BLOB_HDR_SIZE);
			buf[at] ^= (uint8_t)(1u << ((rng >> 20) & 7));
		}
		recrc(good_len);
		if (koracle_blob_parse(buf, good_len, &m, &why)) {
			cr_assert_not_null(why);
			continue;
		}
		accepted++;
		cr_assert_leq(koracle_qstate_size(&m), sizeof(state));
		koracle_qstate_reset(&m, state);
		for (int t = 0; t < 4; t++)
			cr_assert_leq(koracle_qstep(&m, state, &f, NULL), KORACLE_K);
	}
	cr_log_info("%d of 3000 corrupted blobs were still valid", accepted);
}

/*
 * The cost the budget's message and tcn_q.h quote for the default model is
 * what koracle train's defaults cost, and the budget about twice that.
 */
Test(blob, the_default_models_cost_is_the_one_quoted)
{
	struct koracle_qmodel m;
	struct ko_train_opts o;
	const char *why;

	ko_train_defaults(&o);
	cr_assert_eq(parse_shape(o.channels, o.blocks, o.kernel, o.hidden, &m,
				 &why), 0, "%s", why);
	cr_expect_eq(m.cost, KORACLE_Q_COST_DEFAULT);
	cr_expect_eq(m.macs, 40);
	cr_expect_leq(KORACLE_Q_BUDGET_COST, 2 * KORACLE_Q_COST_DEFAULT);
	cr_expect_geq(KORACLE_Q_BUDGET_COST, 3 * KORACLE_Q_COST_DEFAULT / 2);
}
