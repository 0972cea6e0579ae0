// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Weight blob validation (layout in blob.h). The blob comes from userspace
 * through a sysfs write, so nothing in it is trusted: every header field is
 * checked against the hard bounds of tcn_q.h and the running encoder, every
 * section's offset and length against the blob's size (without overflow:
 * lengths are computed in u64 from bounded dimensions, and offset + length is
 * never formed before offset <= size is known), and every quantization
 * parameter against the ranges the step's arithmetic is proven safe for.
 * Only then are pointers into the blob handed out.
 */
#include "blob.h"

/* Every refusal: -EINVAL, and @msg (static) for the kernel log line. */
static int koracle_blob_bad(const char **why, const char *msg)
{
	*why = msg;
	return -EINVAL;
}

u32 koracle_blob_crc(const void *blob, size_t len)
{
	return koracle_crc32((const u8 *)blob + KORACLE_BLOB_CRC_FROM,
			     len - KORACLE_BLOB_CRC_FROM);
}

/* Whether both lanes of each of @n packed words lie in [-lim - 1, lim]. */
static bool koracle_blob_lanes_ok(const s64 *w, u32 n, s32 lim)
{
	u32 i;

	for (i = 0; i < n; i++) {
		s32 lo = koracle_q_lo(w[i]), hi = koracle_q_hi(w[i]);

		/* the word must be exactly what koracle_q_pack() makes */
		if (koracle_q_pack(lo, hi) != w[i])
			return false;
		if (lo < -lim - 1 || lo > lim || hi < -lim - 1 || hi > lim)
			return false;
	}
	return true;
}

/* Rows of the first @n slot table groups (groups already checked). */
static u32 koracle_blob_group_rows(const struct koracle_blob_hdr *h, int n)
{
	u32 rows = 0;
	int g, i;

	for (g = 0; g < n; g++) {
		u32 r = 1;

		for (i = 0; i < KORACLE_Q_GROUP_FEATS &&
		     h->group_feat[g][i] != 0xff; i++)
			r *= h->sf_vocab[h->group_feat[g][i]];
		rows += r;
	}
	return rows;
}

/* Every used slot feature in exactly one group, tables of bounded size. */
static int koracle_blob_check_groups(const struct koracle_blob_hdr *h,
				     const char **why)
{
	u32 sfi = koracle_from_le32(h->sf_ignore), seen = 0;
	int g, i;

	if (h->ngroups < 1 || h->ngroups > KORACLE_Q_HEAD_GROUPS)
		return koracle_blob_bad(why, "slot group count out of range");
	for (g = 0; g < KORACLE_Q_MAX_GROUPS; g++) {
		u32 rows = 1;

		for (i = 0; i < KORACLE_Q_GROUP_FEATS; i++) {
			u8 f = h->group_feat[g][i];

			if (f == 0xff)
				break;
			if (g >= h->ngroups)
				return koracle_blob_bad(why,
								"slot group listed past the group count");
			if (f >= KORACLE_SF_COUNT || (sfi >> f & 1) || (seen >> f & 1))
				return koracle_blob_bad(why,
								"slot group feature unknown, ignored or repeated");
			seen |= 1U << f;
			rows *= h->sf_vocab[f];	/* <= 4 factors of <= 255 */
			if (rows > KORACLE_Q_MAX_GROUP_ROWS)
				return koracle_blob_bad(why,
								"slot group table larger than 1024 rows");
		}
		if (g < h->ngroups && i == 0)
			return koracle_blob_bad(why, "empty slot group");
		for (; i < KORACLE_Q_GROUP_FEATS; i++)
			if (h->group_feat[g][i] != 0xff)
				return koracle_blob_bad(why,
								"slot group feature after its terminator");
	}
	if (seen != (((1U << KORACLE_SF_COUNT) - 1) & ~sfi))
		return koracle_blob_bad(why, "a used slot feature is in no slot group");
	if (koracle_blob_group_rows(h, h->ngroups) > KORACLE_Q_MAX_SLOT_ROWS)
		return koracle_blob_bad(why, "slot tables larger than 2048 rows in all");
	return 0;
}

/* Section lengths, bytes, from already bounded dimensions. */
static void koracle_blob_expect(const struct koracle_blob_hdr *h, u64 *len)
{
	u64 C = koracle_from_le16(h->channels), H = koracle_from_le16(h->hidden);
	u64 k = h->kernel, nconv = 2 * (u64)h->blocks, ev = 0;
	u64 sf = koracle_blob_group_rows(h, h->ngroups);
	int i;

	for (i = 0; i < KORACLE_EF_COUNT; i++)
		ev += h->ev_vocab[i];
	/* packed sections hold C/2 (H/2) s64 words per row: 4 bytes a lane */
	len[KORACLE_BS_EMB_EV] = ev * C * 4;
	len[KORACLE_BS_CONV_W] = nconv * C * k * C * 4;
	len[KORACLE_BS_CONV_B] = nconv * C * 4;
	len[KORACLE_BS_CONV_M] = nconv * C * 4;
	len[KORACLE_BS_CONV_S] = nconv * C;
	len[KORACLE_BS_HEAD_W] = H * C * 4;
	len[KORACLE_BS_HEAD_B] = H * 4;
	len[KORACLE_BS_HEAD_M] = H * 4;
	len[KORACLE_BS_HEAD_S] = H;
	len[KORACLE_BS_EMB_SLOT] = sf * H * 4;
	len[KORACLE_BS_HEAD_V] = H;
}

static bool koracle_blob_mult_ok(s32 mult)
{
	return mult == 0 || mult >= KORACLE_Q_MULT_MIN;
}

static bool koracle_blob_shift_ok(s8 shift)
{
	return shift >= KORACLE_Q_MIN_SHIFT && shift <= KORACLE_Q_MAX_SHIFT;
}

/*
 * A layer with @n output channels: weights (n/2 words of @nin lanes pairs),
 * packed biases, per-channel multipliers and shifts.
 */
static int koracle_blob_check_layer(const s64 *w, u32 nin, const s64 *bias,
				    const s32 *mult, const s8 *shift, u32 n,
				    const char **why)
{
	u32 i;

	if (!koracle_blob_lanes_ok(w, n / 2 * nin, 127))
		return koracle_blob_bad(why, "weight word is not two packed int8 lanes");
	if (!koracle_blob_lanes_ok(bias, n / 2, KORACLE_Q_MAX_BIAS))
		return koracle_blob_bad(why, "bias beyond +-2^29 (accumulator could overflow)");
	for (i = 0; i < n; i++) {
		if (!koracle_blob_mult_ok(mult[i]))
			return koracle_blob_bad(why,
							"requantization multiplier not 0 or in [2^30, 2^31)");
		if (!koracle_blob_shift_ok(shift[i]))
			return koracle_blob_bad(why, "requantization shift outside [-31, 15]");
	}
	return 0;
}

/* Table entries are s16 lanes: sums of a step's rows then fit s32. */
static int koracle_blob_check_tables(const struct koracle_blob_hdr *h,
				     const struct koracle_qmodel *m,
				     const char **why)
{
	u32 ev = 0, sf = koracle_blob_group_rows(h, h->ngroups);
	int i;

	for (i = 0; i < KORACLE_EF_COUNT; i++)
		ev += h->ev_vocab[i];
	if (!koracle_blob_lanes_ok(m->emb_ev, ev * (m->channels / 2), 32767))
		return koracle_blob_bad(why, "event table word is not two packed int16 lanes");
	if (!koracle_blob_lanes_ok(m->emb_slot, sf * (m->hidden / 2), 32767))
		return koracle_blob_bad(why, "slot table word is not two packed int16 lanes");
	return 0;
}

static int koracle_blob_check_hdr(const struct koracle_blob_hdr *h, size_t len,
				  const char **why)
{
	u32 C = koracle_from_le16(h->channels), H = koracle_from_le16(h->hidden);
	u32 evi = koracle_from_le32(h->ev_ignore);
	u32 sfi = koracle_from_le32(h->sf_ignore);
	int i;

	if (koracle_from_le32(h->hdr_size) != KORACLE_BLOB_HDR_SIZE)
		return koracle_blob_bad(why,
						"header size field does not match this version's header");
	if (koracle_from_le32(h->total_size) != len)
		return koracle_blob_bad(why, "total size field does not match the blob's length");
	if (koracle_blob_crc(h, len) != koracle_from_le32(h->crc))
		return koracle_blob_bad(why, "CRC mismatch: blob corrupt or truncated");
	if (koracle_from_le16(h->feat_version) != KORACLE_FEAT_VERSION)
		return koracle_blob_bad(why, "feature version differs from the module's encoder");
	if (h->nslots != KORACLE_K)
		return koracle_blob_bad(why, "slot count K differs from the module's encoder");
	if (h->nev != KORACLE_EF_COUNT || h->nsf != KORACLE_SF_COUNT)
		return koracle_blob_bad(why, "feature counts differ from the module's encoder");
	if (h->mask_feat != KORACLE_SF_STATE)
		return koracle_blob_bad(why, "mask feature is not the slot state");
	if (h->kernel < 1 || h->kernel > KORACLE_Q_MAX_KERNEL)
		return koracle_blob_bad(why, "kernel size out of range");
	if (h->blocks > KORACLE_Q_MAX_BLOCKS)
		return koracle_blob_bad(why, "block count out of range");
	if (C < 2 || C > KORACLE_Q_MAX_CHANNELS || C % 2)
		return koracle_blob_bad(why, "channel count out of range (or odd)");
	if (H < 2 || H > KORACLE_Q_MAX_HIDDEN || H % 2)
		return koracle_blob_bad(why, "head width out of range (or odd)");
	if (evi >> KORACLE_EF_COUNT || evi == (1U << KORACLE_EF_COUNT) - 1)
		return koracle_blob_bad(why, "event ignore mask out of range (or all ignored)");
	if (sfi >> KORACLE_SF_COUNT || sfi == (1U << KORACLE_SF_COUNT) - 1)
		return koracle_blob_bad(why, "slot ignore mask out of range (or all ignored)");
	for (i = 0; i < KORACLE_BLOB_MAX_FEAT; i++) {
		if (h->ev_vocab[i] != (i < KORACLE_EF_COUNT ?
				       koracle_event_vocab[i] : 0))
			return koracle_blob_bad(why,
							"event vocabulary differs from the module's encoder");
		if (h->sf_vocab[i] != (i < KORACLE_SF_COUNT ?
				       koracle_slot_vocab[i] : 0))
			return koracle_blob_bad(why,
							"slot vocabulary differs from the module's encoder");
	}
	for (i = 0; i < KORACLE_Q_MAX_BLOCKS; i++) {
		s32 mult = (s32)koracle_from_le32(h->res_mult[i]);

		if (i >= h->blocks) {
			if (h->dil[i] || mult || h->res_shift[i])
				return koracle_blob_bad(why,
								"dilation or residual parameters past the last block");
			continue;
		}
		if (h->dil[i] < 1 || h->dil[i] > KORACLE_Q_MAX_DIL)
			return koracle_blob_bad(why, "dilation out of range");
		if (!koracle_blob_mult_ok(mult))
			return koracle_blob_bad(why,
							"residual multiplier not 0 or in [2^30, 2^31)");
		if (!koracle_blob_shift_ok(h->res_shift[i]))
			return koracle_blob_bad(why, "residual shift outside [-31, 15]");
	}
	for (i = 0; i < 4; i++)
		if (h->reserved[i])
			return koracle_blob_bad(why, "reserved header field not zero");
	for (i = 0; i < (int)sizeof(h->pad); i++)
		if (h->pad[i])
			return koracle_blob_bad(why, "reserved header field not zero");
	return koracle_blob_check_groups(h, why);
}

static int koracle_blob_check_sections(const struct koracle_blob_hdr *h,
				       size_t len, const char **why)
{
	u64 want[KORACLE_BS_COUNT], end = KORACLE_BLOB_HDR_SIZE;
	int s;

	koracle_blob_expect(h, want);
	for (s = 0; s < KORACLE_BS_COUNT; s++) {
		u64 off = koracle_from_le32(h->sect[s].offset);
		u64 n = koracle_from_le32(h->sect[s].length);

		if (off % KORACLE_BLOB_ALIGN)
			return koracle_blob_bad(why, "section offset not 8-byte aligned");
		if (off < end)
			return koracle_blob_bad(why,
							"section overlaps the header or the previous section");
		if (off > len || n > len - off)
			return koracle_blob_bad(why, "section extends past the end of the blob");
		if (n != want[s])
			return koracle_blob_bad(why,
							"section length does not match the architecture");
		end = off + n;
	}
	return 0;
}

static const void *koracle_blob_at(const void *blob,
				   const struct koracle_blob_hdr *h, int s)
{
	return (const u8 *)blob + koracle_from_le32(h->sect[s].offset);
}

/* Fills @m's dimensions, pointers and state layout from a checked blob. */
static void koracle_blob_fill(const void *blob, const struct koracle_blob_hdr *h,
			      struct koracle_qmodel *m)
{
	u32 C, H, k, off, macs;
	int i, l;

	memset(m, 0, sizeof(*m));
	m->crc = koracle_from_le32(h->crc);
	m->channels = koracle_from_le16(h->channels);
	m->hidden = koracle_from_le16(h->hidden);
	m->blocks = h->blocks;
	m->kernel = h->kernel;
	m->nslots = h->nslots;
	m->mask_feat = h->mask_feat;
	m->ev_ignore = koracle_from_le32(h->ev_ignore);
	m->sf_ignore = koracle_from_le32(h->sf_ignore);
	C = m->channels;
	H = m->hidden;
	k = m->kernel;
	m->emb_ev = koracle_blob_at(blob, h, KORACLE_BS_EMB_EV);
	for (i = 0, off = 0; i < KORACLE_EF_COUNT; i++) {
		bool used = !(m->ev_ignore >> i & 1);

		m->ev_row[i] = used ? m->emb_ev + off * (C / 2) :
			       koracle_q_zero_row;
		m->ev_step[i] = used ? C / 2 : 0;
		off += h->ev_vocab[i];
	}
	m->emb_slot = koracle_blob_at(blob, h, KORACLE_BS_EMB_SLOT);
	m->ngroups = h->ngroups;
	for (i = 0; i < KORACLE_Q_HEAD_GROUPS; i++)
		m->group_row[i] = koracle_q_zero_row;
	for (i = 0; i < m->ngroups; i++) {
		struct koracle_qgroup *g = &m->group[i];
		u16 stride = 1;
		int j;

		g->row = koracle_blob_group_rows(h, i);
		m->group_row[i] = m->emb_slot + g->row * (H / 2);
		while (g->nfeat < KORACLE_Q_GROUP_FEATS &&
		       h->group_feat[i][g->nfeat] != 0xff) {
			g->feat[g->nfeat] = h->group_feat[i][g->nfeat];
			g->nfeat++;
		}
		for (j = g->nfeat - 1; j >= 0; j--) {	/* first feature slowest */
			g->stride[j] = stride;
			stride *= h->sf_vocab[g->feat[j]];
		}
	}
	m->layout = koracle_q_layout_of(m);
	/* state: ring positions, hz (s64, 8-aligned), rings, v, h */
	off = KORACLE_Q_NCONV * sizeof(u16);
	m->hz_off = off;
	off += H / 2 * sizeof(s64);
	for (l = 0; l < 2 * m->blocks; l++) {
		struct koracle_qconv *cv = &m->conv[l];

		cv->w = (const s64 *)koracle_blob_at(blob, h, KORACLE_BS_CONV_W) +
			l * (C / 2) * k * C;
		cv->bias = (const s64 *)koracle_blob_at(blob, h, KORACLE_BS_CONV_B) +
			   l * (C / 2);
		cv->mult = (const s32 *)koracle_blob_at(blob, h, KORACLE_BS_CONV_M) +
			   l * C;
		cv->shift = (const s8 *)koracle_blob_at(blob, h, KORACLE_BS_CONV_S) +
			    l * C;
		cv->dil = h->dil[l / 2];
		cv->ring_len = (k - 1) * cv->dil + 1;
		cv->ring_off = off;
		off += cv->ring_len * C * sizeof(s16);
	}
	for (i = 0; i < m->blocks; i++) {
		m->res_mult[i] = (s32)koracle_from_le32(h->res_mult[i]);
		m->res_shift[i] = h->res_shift[i];
	}
	m->head_w = koracle_blob_at(blob, h, KORACLE_BS_HEAD_W);
	m->head_b = koracle_blob_at(blob, h, KORACLE_BS_HEAD_B);
	m->head_mult = koracle_blob_at(blob, h, KORACLE_BS_HEAD_M);
	m->head_shift = koracle_blob_at(blob, h, KORACLE_BS_HEAD_S);
	m->head_v = koracle_blob_at(blob, h, KORACLE_BS_HEAD_V);
	m->v_off = off;
	off += C * sizeof(s16);
	m->h_off = off;
	off += C * sizeof(s16);
	m->state_size = off;
	macs = 2 * m->blocks * k * C * C + H * C + KORACLE_K * H;
	m->macs = macs;
	/* table adds, then 4 per requantized output (tcn_q.h, the budget) */
	m->cost = macs + KORACLE_K * KORACLE_Q_HEAD_GROUPS * (H / 2) +
		  KORACLE_EF_COUNT * (C / 2) + 4 * (C + 3 * C * m->blocks + H);
}

#define KORACLE_STR(x)	#x
#define KORACLE_XSTR(x)	KORACLE_STR(x)

/*
 * The per-switch budget (tcn_q.h), on the filled dimensions: the state
 * first, then the blocks, then the units, so each check is the first to
 * refuse some model.
 */
static int koracle_blob_check_budget(const struct koracle_qmodel *m,
				     const char **why)
{
	if (m->state_size > KORACLE_Q_BUDGET_STATE)
		return koracle_blob_bad(why,
					"over the per-switch budget: streaming state exceeds "
					KORACLE_XSTR(KORACLE_Q_BUDGET_STATE)
					" bytes per CPU (fewer blocks or channels)");
	if (m->blocks > KORACLE_Q_BUDGET_BLOCKS)
		return koracle_blob_bad(why,
					"over the per-switch budget: more than "
					KORACLE_XSTR(KORACLE_Q_BUDGET_BLOCKS)
					" residual block");
	if (m->cost > KORACLE_Q_BUDGET_COST)
		return koracle_blob_bad(why,
					"over the per-switch budget: cost exceeds "
					KORACLE_XSTR(KORACLE_Q_BUDGET_COST)
					" units (the default model needs "
					KORACLE_XSTR(KORACLE_Q_COST_DEFAULT)
					"; use fewer channels or taps, or a narrower head)");
	return 0;
}

int koracle_blob_parse(const void *blob, size_t len,
		       struct koracle_qmodel *m, const char **why)
{
	const struct koracle_blob_hdr *h = blob;
	int ret, l;

	*why = NULL;
	if (koracle_from_le32(1) != 1)
		return koracle_blob_bad(why,
						"big-endian host: the step reads blob sections in place");
	if (len < KORACLE_BLOB_HDR_SIZE)
		return koracle_blob_bad(why, "blob shorter than its header");
	if (len > KORACLE_BLOB_MAX_SIZE)
		return koracle_blob_bad(why, "blob larger than the 2 MiB limit");
	if ((unsigned long)blob % KORACLE_BLOB_ALIGN)
		return koracle_blob_bad(why, "blob buffer not 8-byte aligned");
	if (memcmp(h->magic, KORACLE_BLOB_MAGIC, sizeof(h->magic)))
		return koracle_blob_bad(why, "bad magic: not a koracle weight blob");
	if (koracle_from_le32(h->version) != KORACLE_BLOB_VERSION)
		return koracle_blob_bad(why, "unsupported blob format version");
	ret = koracle_blob_check_hdr(h, len, why);
	if (ret)
		return ret;
	ret = koracle_blob_check_sections(h, len, why);
	if (ret)
		return ret;
	koracle_blob_fill(blob, h, m);
	ret = koracle_blob_check_budget(m, why);
	if (!ret)
		ret = koracle_blob_check_layer(m->head_w, m->channels,
					       m->head_b, m->head_mult,
					       m->head_shift, m->hidden, why);
	for (l = 0; !ret && l < 2 * m->blocks; l++)
		ret = koracle_blob_check_layer(m->conv[l].w,
					       m->kernel * m->channels,
					       m->conv[l].bias, m->conv[l].mult,
					       m->conv[l].shift, m->channels,
					       why);
	if (!ret)
		ret = koracle_blob_check_tables(h, m, why);
	if (ret)
		memset(m, 0, sizeof(*m));
	return ret;
}
