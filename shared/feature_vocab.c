// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the encoder's categorical values range over (features.h): the
 * vocabulary of every slot and event feature, which sizes the trainer's
 * embeddings and bounds the blob validator's tables, and the comm hash
 * behind EF_COMM. Apart from the encoder's bookkeeping (features.c)
 * because nothing here is per event but the hash, and that only for a
 * model that reads the comm.
 */
#include "features.h"

const u8 koracle_slot_vocab[KORACLE_SF_COUNT] = {
	[KORACLE_SF_STATE] = KORACLE_SS_COUNT,
	[KORACLE_SF_WAIT] = KORACLE_TIME_BUCKETS,
	[KORACLE_SF_FIFO] = KORACLE_K + 1,
	[KORACLE_SF_LIFO] = KORACLE_K + 1,
	[KORACLE_SF_WOKEN_BY_CUR] = 2,
	[KORACLE_SF_WOKEN_BY_PREV] = 2,
	[KORACLE_SF_VR_RANK] = KORACLE_K + 1,
	[KORACLE_SF_WEIGHT] = 4,
	[KORACLE_SF_RULES] = 1 << (KORACLE_RULE_COUNT + 1),
	[KORACLE_SF_MRU] = KORACLE_K,
};

const u8 koracle_event_vocab[KORACLE_EF_COUNT] = {
	[KORACLE_EF_IN_SLOT] = KORACLE_K + 1,
	[KORACLE_EF_PREV_STATE] = KORACLE_PC_COUNT,
	[KORACLE_EF_DT] = KORACLE_TIME_BUCKETS,
	[KORACLE_EF_COMM] = KORACLE_COMM_BUCKETS,
	[KORACLE_EF_NRUN] = KORACLE_K + 1,
	[KORACLE_EF_SEL_RULE] = KORACLE_RULE_COUNT,
	[KORACLE_EF_SEL_HITS] = 9,
};

u32 koracle_comm_hash(const char *comm)
{
	u32 h = 2166136261u;
	int i;

	for (i = 0; i < KORACLE_COMM_LEN && comm[i]; i++) {
		h ^= (u8)comm[i];
		h *= 16777619u;
	}
	return h;
}
