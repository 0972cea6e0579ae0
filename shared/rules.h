/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The simple rules koracle must beat, and the online selector over them
 * (DESIGN.md): per CPU, predict with whichever rule hit most over the last
 * KORACLE_SEL_WINDOW switches. Fixed-size state, O(K) per event: the module
 * runs the selector live as its baseline.
 *
 * Every rule answers with a slot of the candidate list as the encoder emitted
 * it (0..KORACLE_K-1) or KORACLE_K ("none"). A rule hits when its slot equals
 * the label and the label is a slot (< KORACLE_K): "none" never hits, because
 * the kernel cannot name a task from it.
 *
 * Calling sequence, once per SWITCH of this CPU (shared/features.c does it):
 *   koracle_rules_pick(r, pid, fifo, lifo, pick)   picks on a list snapshot
 *   koracle_rules_update(r, pick, label, in_pid)   score them, learn
 * and koracle_rules_forget(r) when the stream loses events (LOST). Picking
 * changes nothing, so the kernel can also pick when next_pid is read.
 */
#ifndef KORACLE_RULES_H
#define KORACLE_RULES_H

#include "koracle_types.h"

/*
 * Candidate-list geometry, shared by the encoder (features.h) and the rules;
 * defined here so that rules.h needs nothing from features.h.
 */
#define KORACLE_K		16		/* candidate slots */
#define KORACLE_NCLASS		(KORACLE_K + 1)	/* slots + "none of them" */
#define KORACLE_LABEL_NA	0xff		/* no label: first switch, LOST */

enum koracle_rule {
	KORACLE_RULE_FIFO,	/* oldest runnable slot */
	KORACLE_RULE_LIFO,	/* newest runnable slot */
	KORACLE_RULE_SLOT1,	/* slot 1: the task before the current one */
	KORACLE_RULE_MARKOV2,	/* what followed the last two incoming pids */
	KORACLE_RULE_ADAPTIVE,	/* the MRU slot that held the answer most */
	KORACLE_RULE_COUNT,
};

#define KORACLE_SEL_WINDOW	256	/* switches of hit history per rule */
#define KORACLE_MARKOV_ENTRIES	256	/* order-2 table, direct mapped, 2^n */
/*
 * ADAPTIVE counts, per slot index, how often the label was that slot; when a
 * count reaches KORACLE_ADAPT_CAP every count is halved, so the rule follows
 * a workload that changes within a few hundred switches.
 */
#define KORACLE_ADAPT_CAP	256

struct koracle_markov_entry {
	s32 a, b;	/* the two previous incoming pids (b most recent) */
	s32 next;	/* pid that followed them last time */
};

static_assert(KORACLE_RULE_COUNT <= 8, "a rule's hit is one bit of a u8");

struct koracle_rules {
	u8 hist[KORACLE_SEL_WINDOW];	/* per switch, bit r: rule r hit */
	u16 hits[KORACLE_RULE_COUNT];	/* bit r's count in hist, 0..WINDOW */
	u16 pos;			/* next history entry to overwrite */
	u8 selected;			/* enum koracle_rule in use */
	u8 adapt_best;			/* ADAPTIVE: argmax of rank_hits */
	/* prev_in[1] is the newest */
	s32 prev_in[2];			/* last two incoming pids, -1 unknown */
	u16 rank_hits[KORACLE_K];	/* ADAPTIVE: label counts per slot */
	struct koracle_markov_entry markov[KORACLE_MARKOV_ENTRIES];
};

void koracle_rules_init(struct koracle_rules *r);

/*
 * Picks of every rule on a list snapshot: @pid[i] the task in slot i (-1
 * empty), @fifo and @lifo the oldest and newest runnable slots (KORACLE_K
 * if none). Fills @pick (slot or KORACLE_K per rule) and returns the
 * selector's pick (pick[r->selected]). Changes nothing.
 */
u8 koracle_rules_pick(const struct koracle_rules *r, const s32 pid[KORACLE_K],
		      u8 fifo, u8 lifo, u8 pick[KORACLE_RULE_COUNT]);

/*
 * A switch to @in_pid happened; @label is its class in the snapshot @pick
 * was made on (KORACLE_LABEL_NA, or @pick NULL: nothing to score). Scores
 * the picks into the hit history, re-chooses the selected rule, and learns
 * the Markov and ADAPTIVE statistics.
 */
void koracle_rules_update(struct koracle_rules *r,
			  const u8 pick[KORACLE_RULE_COUNT], u8 label,
			  s32 in_pid);

/* Events were lost: drop the sequence context. */
void koracle_rules_forget(struct koracle_rules *r);

/*
 * The selected rule's hits over the window, in eighths (0..8): a shift, no
 * division; a window not yet full counts its missing switches as misses.
 */
static inline u8 koracle_rules_sel_eighths(const struct koracle_rules *r)
{
	return (u8)(r->hits[r->selected] * 8 / KORACLE_SEL_WINDOW);
}

#endif /* KORACLE_RULES_H */
