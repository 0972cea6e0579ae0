/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Per-CPU feature encoder (DESIGN.md, "What is predicted").
 *
 * Each CPU keeps a candidate list of the K tasks most recently active on it
 * (switch in/out, wakeup or new-task wakeup targeting it, migration onto it;
 * exit and migration away remove). Slot 0 is the most recent. At every
 * SWITCH the encoder emits one feature tuple: what the model sees to predict
 * which task this CPU switches to *next*. The class to predict is the slot
 * that task occupies in the list as it was when the tuple was emitted, or
 * KORACLE_K ("none of them").
 *
 * Pure computation: fixed-size state, no allocation, no floats, no libc; the
 * module runs exactly this code under the CPU's leaf lock.
 */
#ifndef KORACLE_FEATURES_H
#define KORACLE_FEATURES_H

#include "koracle_types.h"
#include "record.h"
#include "rules.h"

#define KORACLE_FEAT_VERSION	1
#define KORACLE_K		16		/* candidate slots */
#define KORACLE_NCLASS		(KORACLE_K + 1)	/* slots + "none of them" */
#define KORACLE_LABEL_NA	0xff		/* no previous prediction */

/* Per-slot categorical features; value ranges in koracle_slot_vocab[]. */
enum koracle_slot_feat {
	KORACLE_SF_STATE,	/* 0 empty, 1 current, 2 runnable, 3 blocked */
	KORACLE_SF_WAIT,	/* runnable: 1 + log2(wait us) capped, else 0 */
	KORACLE_SF_FIFO,	/* rank among runnable by runnable-since, K if not */
	KORACLE_SF_LIFO,	/* reverse of FIFO, K if not runnable */
	KORACLE_SF_WOKEN_BY_CUR, /* 1 if its last waker is the current task */
	KORACLE_SF_VR_RANK,	/* vruntime rank among runnable; K if unknown */
	KORACLE_SF_WEIGHT,	/* 0 unknown, 1 below nice 0, 2 nice 0, 3 above */
	KORACLE_SF_RULES,	/* bit r set if rule r picks this slot */
	KORACLE_SF_MRU,		/* the slot index itself */
	KORACLE_SF_COUNT,
};

/* Per-event categorical features; value ranges in koracle_event_vocab[]. */
enum koracle_event_feat {
	KORACLE_EF_IN_SLOT,	/* incoming task's slot before the switch, K if new */
	KORACLE_EF_PREV_STATE,	/* 0 preempted, 1 sleep, 2 disk, 3 dead, 4 other */
	KORACLE_EF_DT,		/* log2 bucket of us since the previous switch */
	KORACLE_EF_COMM,	/* hash bucket of the incoming task's comm */
	KORACLE_EF_NRUN,	/* runnable slots after the switch, 0..K */
	KORACLE_EF_SEL_RULE,	/* rule the online selector uses now */
	KORACLE_EF_SEL_HITS,	/* selector's recent hit rate, in eighths 0..8 */
	KORACLE_EF_COUNT,
};

extern const u8 koracle_slot_vocab[KORACLE_SF_COUNT];
extern const u8 koracle_event_vocab[KORACLE_EF_COUNT];

/* One prediction point. ~200 bytes; the trainer stores these compactly. */
struct koracle_feat {
	u8 ev[KORACLE_EF_COUNT];
	u8 slot[KORACLE_K][KORACLE_SF_COUNT];
	u8 rule_pick[KORACLE_RULE_COUNT];	/* slot each rule picks, K none */
	u8 sel_pick;				/* slot the selector picks */
	u8 coverage_hint;			/* occupied slots, 0..K */
	s32 slot_pid[KORACLE_K];		/* -1 empty; maps a class to a pid */
};

struct koracle_slot {
	s32 pid;		/* -1 empty */
	s32 waker;		/* pid that last woke it, -1 unknown */
	u64 runnable_ns;	/* when it became runnable, ns; valid if runnable */
	u64 vruntime;		/* snapshot at its last event, ns */
	u32 run_seq;		/* order it became runnable (FIFO/LIFO) */
	u32 weight;		/* load weight at its last event, 0 unknown */
	u8 runnable;
	u8 has_vr;
};

/* Counters an encoder keeps about its input stream. */
struct koracle_enc_stats {
	u64 events;
	u64 switches;
	u64 chain_breaks;	/* switch whose prev != previous next */
	u64 lost;		/* LOST records seen (sum of counts) */
	u64 evictions;		/* tasks pushed out of a full list */
};

/* One CPU's encoder. Fixed size; embed it per CPU, no pointers inside. */
struct koracle_enc {
	struct koracle_slot slots[KORACLE_K];	/* MRU order, slot 0 newest */
	struct koracle_rules rules;
	s32 cur_pid;		/* task now running, -1 unknown */
	u64 last_switch_ns;
	u32 run_seq;
	u8 have_pred;		/* last_pids/last_pick valid */
	s32 last_pids[KORACLE_K];	/* slot_pid of the last tuple emitted */
	struct koracle_enc_stats stats;
};

void koracle_enc_init(struct koracle_enc *enc);

/*
 * Feed one event of this CPU's stream (ev->cpu is this CPU).
 * Returns true on a SWITCH, after filling @out with the tuple for predicting
 * the next switch, and @label with the class of *this* switch's incoming task
 * in the previous tuple (KORACLE_LABEL_NA for the first switch or after a LOST
 * record). Other events update the state and return false.
 */
bool koracle_enc_event(struct koracle_enc *enc, const struct koracle_event *ev,
		       struct koracle_feat *out, u8 *label);

/* Stable comm hash (FNV-1a over up to KORACLE_COMM_LEN bytes), bucketed. */
u32 koracle_comm_hash(const char *comm);

#endif /* KORACLE_FEATURES_H */
