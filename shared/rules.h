/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The simple rules koracle must beat, and the online selector over them
 * (DESIGN.md): per CPU, predict with whichever rule hit most over the last
 * KORACLE_SEL_WINDOW switches. Fixed-size state, O(K) per event: the module
 * runs the selector live as its baseline.
 */
#ifndef KORACLE_RULES_H
#define KORACLE_RULES_H

#include "koracle_types.h"

enum koracle_rule {
	KORACLE_RULE_FIFO,	/* oldest runnable slot */
	KORACLE_RULE_LIFO,	/* newest runnable slot */
	KORACLE_RULE_SLOT1,	/* slot 1: the task before the current one */
	KORACLE_RULE_MARKOV2,	/* what followed the last two incoming pids */
	KORACLE_RULE_ADAPTIVE,	/* the MRU slot that held the answer most */
	KORACLE_RULE_COUNT,
};

#define KORACLE_SEL_WINDOW	256	/* switches of hit history per rule */
#define KORACLE_MARKOV_ENTRIES	256	/* order-2 table, direct mapped */

struct koracle_markov_entry {
	s32 a, b;	/* the two previous incoming pids */
	s32 next;	/* what followed them last time */
	u16 count;
};

struct koracle_rules {
	u64 hist[KORACLE_RULE_COUNT][KORACLE_SEL_WINDOW / 64];	/* hit bits */
	u16 hits[KORACLE_RULE_COUNT];	/* popcount of hist[r] */
	u16 pos;			/* next bit to overwrite */
	u16 filled;			/* bits of history so far */
	u8 selected;			/* enum koracle_rule in use */
	s32 prev_in[2];			/* last two incoming pids */
	u32 rank_hits[16 + 1];		/* ADAPTIVE: label slot counts */
	struct koracle_markov_entry markov[KORACLE_MARKOV_ENTRIES];
};

#endif /* KORACLE_RULES_H */
