/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Per-CPU feature encoder (DESIGN.md, "What is predicted").
 *
 * Each CPU keeps a candidate list of the K tasks most recently active on it
 * (switch in/out, wakeup or new-task wakeup targeting it, migration onto it;
 * exit and migration away remove). Slot 0 is the most recent; a task that
 * becomes active moves to slot 0, a new task pushes the oldest (slot K-1) out.
 * A SWITCH from A to B is A's switch-out then B's switch-in, so right after it
 * B is slot 0 (current) and A slot 1. At every SWITCH the encoder emits one
 * feature tuple: what the model sees to predict which task this CPU switches
 * to *next*. The class to predict is the slot that task occupies in the list
 * as it was when the tuple was emitted, or KORACLE_K ("none of them").
 *
 * Runnable: set by a wakeup to this CPU, a migration onto it, or a preempted
 * switch-out (KORACLE_RF_PREEMPT or prev_state 0); cleared by a switch-in or
 * a sleeping switch-out. Idle (pid 0) is an ordinary task, never runnable.
 * A task switched out dead (X or Z) leaves the list, like an EXIT.
 *
 * Real traces miss events: a SWITCH whose prev is not the last next is
 * counted as a chain break and applied as it stands; a LOST record is counted
 * and drops the pending prediction (the next switch gets KORACLE_LABEL_NA).
 *
 * Pure computation: fixed-size state, no allocation, no floats, no libc; the
 * module runs exactly this code under the CPU's leaf lock. O(K) per event,
 * O(K^2) (K = 16) for the ranks at a SWITCH.
 */
#ifndef KORACLE_FEATURES_H
#define KORACLE_FEATURES_H

#include "koracle_types.h"
#include "record.h"
#include "rules.h"	/* KORACLE_K, KORACLE_NCLASS, KORACLE_LABEL_NA */

#define KORACLE_FEAT_VERSION	1

/*
 * Time buckets: 0 = not applicable, else 1 + floor(log2(t >> 10)) with t in
 * ns (so units of 1.024 us; t < 2048 ns is bucket 1), capped at
 * KORACLE_TIME_BUCKETS - 1 (t >= ~4.3 s).
 */
#define KORACLE_TIME_BUCKETS	24
#define KORACLE_COMM_BUCKETS	64	/* power of two */
#define KORACLE_SEL_BIT		KORACLE_RULE_COUNT	/* SF_RULES: selector */

/* KORACLE_SF_STATE values */
enum koracle_slot_state {
	KORACLE_SS_EMPTY,
	KORACLE_SS_CURRENT,
	KORACLE_SS_RUNNABLE,
	KORACLE_SS_BLOCKED,
};

/* KORACLE_EF_PREV_STATE values: class of the outgoing task's state */
enum koracle_prev_class {
	KORACLE_PC_PREEMPTED,	/* KORACLE_RF_PREEMPT or prev_state 0 */
	KORACLE_PC_SLEEP,	/* S or I */
	KORACLE_PC_DISK,	/* D */
	KORACLE_PC_DEAD,	/* X or Z */
	KORACLE_PC_OTHER,	/* T, t, P, ... */
	KORACLE_PC_COUNT,
};

/* Per-slot categorical features; value ranges in koracle_slot_vocab[]. */
enum koracle_slot_feat {
	KORACLE_SF_STATE,	/* enum koracle_slot_state */
	KORACLE_SF_WAIT,	/* runnable: time bucket of its wait, else 0 */
	KORACLE_SF_FIFO,	/* rank among runnable, oldest 0; K if not */
	KORACLE_SF_LIFO,	/* rank among runnable, newest 0; K if not */
	KORACLE_SF_WOKEN_BY_CUR, /* 1 if its pending wakeup came from current */
	KORACLE_SF_WOKEN_BY_PREV, /* 1 if it came from the task just switched out */
	KORACLE_SF_VR_RANK,	/* vruntime rank among runnable; K if unknown */
	KORACLE_SF_WEIGHT,	/* 0 unknown, 1 < nice-0 weight, 2 ==, 3 > */
	KORACLE_SF_RULES,	/* bit r: rule r picks it; KORACLE_SEL_BIT: sel */
	KORACLE_SF_MRU,		/* the slot index itself */
	KORACLE_SF_COUNT,
};

/* Per-event categorical features; value ranges in koracle_event_vocab[]. */
enum koracle_event_feat {
	KORACLE_EF_IN_SLOT,	/* incoming task's slot before the switch, K if new */
	KORACLE_EF_PREV_STATE,	/* enum koracle_prev_class */
	KORACLE_EF_DT,		/* time bucket since the previous switch, 0 n/a */
	KORACLE_EF_COMM,	/* incoming comm hash % KORACLE_COMM_BUCKETS */
	KORACLE_EF_NRUN,	/* runnable slots after the switch, 0..K */
	KORACLE_EF_SEL_RULE,	/* rule the online selector uses now */
	KORACLE_EF_SEL_HITS,	/* selector's recent hit rate, in eighths 0..8 */
	KORACLE_EF_COUNT,
};

/* Number of values of each feature: feature f takes values 0..vocab[f]-1. */
extern const u8 koracle_slot_vocab[KORACLE_SF_COUNT];
extern const u8 koracle_event_vocab[KORACLE_EF_COUNT];

/* One prediction point (240 bytes); the trainer stores these compactly. */
struct koracle_feat {
	u8 ev[KORACLE_EF_COUNT];
	/* empty slots: all 0 except MRU and FIFO/LIFO/VR_RANK (= K) */
	u8 slot[KORACLE_K][KORACLE_SF_COUNT];
	u8 rule_pick[KORACLE_RULE_COUNT];	/* slot each rule picks, K none */
	u8 sel_pick;				/* slot the selector picks */
	u8 coverage_hint;			/* occupied slots, 0..K */
	s32 slot_pid[KORACLE_K];		/* -1 empty; maps a class to a pid */
};

struct koracle_slot {
	s32 pid;		/* -1 empty */
	s32 waker;		/* pid whose wakeup is pending, -1 none */
	u64 runnable_ns;	/* when it became runnable, ns; valid if runnable */
	u64 vruntime;		/* snapshot at its last kernel event, ns */
	u32 run_seq;		/* enc->run_seq when it became runnable */
	u32 weight;		/* load weight at its last kernel event, 0 unknown */
	u8 runnable;
	u8 has_vr;		/* @vruntime valid (a KORACLE_RF_KERNEL record) */
};

/* Counters an encoder keeps about its input stream. */
struct koracle_enc_stats {
	u64 events;		/* records fed, LOST included */
	u64 switches;
	u64 chain_breaks;	/* switch whose prev != previous next */
	u64 lost;		/* records lost (sum of LOST counts) */
	u64 evictions;		/* tasks pushed out of a full list */
};

/* One CPU's encoder. Fixed size; embed it per CPU, no pointers inside. */
struct koracle_enc {
	struct koracle_slot slots[KORACLE_K];	/* MRU order, slot 0 newest */
	struct koracle_rules rules;
	s32 cur_pid;		/* task now running, -1 unknown */
	u64 last_switch_ns;	/* ts of the previous switch, 0 unknown */
	u32 run_seq;		/* runnable transitions so far (wraps) */
	u8 have_pred;		/* last_pids valid */
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

/* Stable comm hash (FNV-1a over up to KORACLE_COMM_LEN bytes, to the NUL). */
u32 koracle_comm_hash(const char *comm);

/* Time bucket of @ns (see KORACLE_TIME_BUCKETS), 1..KORACLE_TIME_BUCKETS-1. */
u8 koracle_time_bucket(u64 ns);

#endif /* KORACLE_FEATURES_H */
