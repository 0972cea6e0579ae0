/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Per-CPU feature encoder (DESIGN.md, "What is predicted").
 *
 * Each CPU keeps a candidate list of the K tasks most recently active on it
 * (switch in/out, wakeup or new-task wakeup targeting it, migration onto it;
 * exit and migration away remove). Slot 0 is the most recent; a task that
 * becomes active moves to slot 0, a new task pushes the oldest (slot K-1) out.
 * A SWITCH from A to B is A's switch-out then B's switch-in, so right after it
 * B is slot 0 (current) and A slot 1.
 *
 * Prediction points. The point that predicts switch n pairs the per-event
 * features of switch n-1 (what the model's temporal state advances on, once
 * per switch) with a snapshot of the list: its slot features, the rules'
 * picks and the pids. The class to predict is the slot switch n's incoming
 * task holds in that snapshot, or KORACLE_K ("none of them"). Where the
 * snapshot is taken is the horizon:
 *   KORACLE_HZ_CURRENT  just before switch n is applied, after every event
 *                       since switch n-1 (what the kernel scores and what
 *                       next_pid shows);
 *   KORACLE_HZ_LEAD     right after switch n-1 (the same prediction without
 *                       the wakeups in between; reported by eval).
 * The rule selector learns from the picks of the horizon it runs at.
 *
 * Runnable: set by a wakeup to this CPU, a migration onto it, or a preempted
 * switch-out (KORACLE_RF_PREEMPT or prev_state 0); cleared by a switch-in or
 * a sleeping switch-out. Idle (pid 0) is an ordinary task, never runnable.
 * A task switched out dead (X or Z) leaves the list, like an EXIT.
 *
 * Real traces miss events: a SWITCH whose prev is not the last next is
 * counted as a chain break and applied as it stands; a LOST record is counted
 * and restarts the sequence (the next switch closes no point).
 *
 * Cost: O(K) per event, no division, no sort. Slots live in fixed storage;
 * the MRU order is a 16-byte index array beside the pids, so a touch moves
 * at most 60 + 15 bytes. The FIFO and vruntime ranks among the runnable
 * slots are kept incrementally as slots become runnable or stop being
 * runnable, so a snapshot only copies them (the vruntime ranks only while
 * something reads them: koracle_enc_keep_vr_ranks()). Pure computation:
 * fixed-size state, no allocation, no floats, no libc; the module runs
 * exactly this code under the CPU's stream lock.
 */
#ifndef KORACLE_FEATURES_H
#define KORACLE_FEATURES_H

#include "koracle_types.h"
#include "record.h"
#include "rules.h"	/* KORACLE_K, KORACLE_NCLASS, KORACLE_LABEL_NA */

#define KORACLE_FEAT_VERSION	2	/* 2: points at the current horizon */

/*
 * Time buckets: 0 = not applicable, else 1 + floor(log2(t >> 10)) with t in
 * ns (so units of 1.024 us; t < 2048 ns is bucket 1), capped at
 * KORACLE_TIME_BUCKETS - 1 (t >= ~4.3 s).
 */
#define KORACLE_TIME_BUCKETS	24
#define KORACLE_COMM_BUCKETS	64	/* power of two */
#define KORACLE_SEL_BIT		KORACLE_RULE_COUNT	/* SF_RULES: selector */

/*
 * KORACLE_SF_STATE values. The slots the model scores are those that can run
 * next: just before a switch the incoming task waits on this CPU, or it is
 * the idle task (on every fixture trace, every label inside the list is one
 * of these; the rest, a wakeup the trace lost, count as "none"). Only these
 * candidates get their features in a point; the others are masked (STATE 0),
 * so the head's cost follows the runnable tasks, not the list length.
 */
enum koracle_slot_state {
	KORACLE_SS_NONE,	/* no candidate: empty, running or blocked */
	KORACLE_SS_RUNNABLE,	/* waits on this CPU */
	KORACLE_SS_IDLE,	/* the idle task (pid 0), not running */
	KORACLE_SS_COUNT,
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
	KORACLE_SF_STATE,	/* enum koracle_slot_state; 0 masks the slot */
	KORACLE_SF_WAIT,	/* runnable: time bucket of its wait, else 0 */
	KORACLE_SF_FIFO,	/* rank among runnable, oldest 0; K if not */
	KORACLE_SF_LIFO,	/* rank among runnable, newest 0; K if not */
	KORACLE_SF_WOKEN_BY_CUR, /* 1 if its pending wakeup came from current */
	/* 1 if its pending wakeup came from the task the last switch took off */
	KORACLE_SF_WOKEN_BY_PREV,
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
	KORACLE_EF_SEL_HITS,	/* selector's hits over its window, eighths 0..8 */
	KORACLE_EF_COUNT,
};

/* Number of values of each feature: feature f takes values 0..vocab[f]-1. */
extern const u8 koracle_slot_vocab[KORACLE_SF_COUNT];
extern const u8 koracle_event_vocab[KORACLE_EF_COUNT];

/* One prediction point (240 bytes); the trainer stores these compactly. */
struct koracle_feat {
	u8 ev[KORACLE_EF_COUNT];
	/*
	 * Rows of slots that are not candidates (empty, running, blocked)
	 * are only written by koracle_feat_complete(): all 0 except MRU,
	 * FIFO/LIFO/VR_RANK (= K) and the RULES bits.
	 */
	u8 slot[KORACLE_K][KORACLE_SF_COUNT];
	u8 rule_pick[KORACLE_RULE_COUNT];	/* slot each rule picks, K none */
	u8 sel_pick;				/* slot the selector picks */
	u8 coverage_hint;			/* occupied slots, 0..K */
	u16 cand;				/* bit j: slot j is a candidate */
	s32 slot_pid[KORACLE_K];		/* -1 empty; maps a class to a pid */
};

/*
 * One task's state in the list. Storage is fixed (its MRU position is its
 * index in koracle_enc.idx[]), so nothing moves when the order changes.
 */
struct koracle_slot {
	s32 waker;		/* pid whose wakeup is pending, -1 none */
	u64 runnable_ns;	/* when it became runnable, ns; valid if runnable */
	u64 vruntime;		/* snapshot at its last kernel event, ns */
	u32 run_seq;		/* enc->run_seq when it became runnable */
	u8 runnable;
	u8 has_vr;		/* @vruntime valid (a KORACLE_RF_KERNEL record) */
	u8 wclass;		/* SF_WEIGHT of its last kernel event's weight */
	u8 fifo;		/* rank among the runnable, oldest 0; K if not */
	u8 vr_rank;		/* vruntime rank among the runnable with
				 * @has_vr, smallest 0; K if not ranked
				 */
};

/* Counters an encoder keeps about its input stream. */
struct koracle_enc_stats {
	u64 events;		/* records fed, LOST included */
	u64 switches;
	u64 chain_breaks;	/* switch whose prev != previous next */
	u64 lost;		/* records lost (sum of LOST counts) */
	u64 evictions;		/* tasks pushed out of a full list */
};

enum koracle_horizon {
	KORACLE_HZ_CURRENT,	/* snapshot just before the switch */
	KORACLE_HZ_LEAD,	/* snapshot right after the previous switch */
};

/* One CPU's encoder. Fixed size; embed it per CPU, no pointers inside. */
struct koracle_enc {
	s32 pid[KORACLE_K];	/* MRU order, -1 empty; occupied = prefix */
	u8 idx[KORACLE_K];	/* MRU position -> storage (a permutation) */
	struct koracle_slot slots[KORACLE_K];	/* storage */
	u8 nocc;		/* occupied slots, 0..K */
	u8 nrun;		/* runnable slots, 0..K */
	u16 runmask;		/* bit j: the slot at MRU position j waits */
	s8 idle;		/* MRU position of the idle task (pid 0), -1 */
	u8 horizon;		/* enum koracle_horizon */
	u8 have_prev;		/* @evf holds the previous switch's features */
	u8 no_comm;		/* leave EF_COMM 0: no model reads it */
	u8 no_vr;		/* rank no vruntimes (all K): none is read */
	u8 evf[KORACLE_EF_COUNT];	/* per-event features of the last switch */
	s32 cur_pid;		/* task now running, -1 unknown */
	s32 last_prev;		/* task the last switch took off, -1 unknown */
	u64 last_switch_ns;	/* ts of the previous switch, 0 unknown */
	u32 run_seq;		/* runnable transitions so far (wraps) */
	struct koracle_feat point;	/* the point of the coming switch
					 * (lead: taken at the last switch;
					 * current: filled at the switch)
					 */
	struct koracle_enc_stats stats;
	/*
	 * Last, for its Markov table (3 KB, one entry read per switch): what
	 * every event touches stays on the first page.
	 */
	struct koracle_rules rules;
};

void koracle_enc_init(struct koracle_enc *enc, enum koracle_horizon horizon);

/*
 * Feed one event of this CPU's stream (ev->cpu is this CPU). Returns true
 * at a SWITCH that closes a prediction point: @enc->point is the point that
 * predicted this switch and *@label its class there (0..K). Either way a
 * SWITCH leaves the features of this switch in @enc->evf (the model's
 * temporal input). Other events update the state and return false.
 */
bool koracle_enc_event(struct koracle_enc *enc, const struct koracle_event *ev,
		       u8 *label);

/*
 * Keep the vruntime ranks (SF_VR_RANK) or not. Only a model trained on
 * module-collected traces reads them, and each kernel event that changes
 * what waits costs one or two O(nrun) passes to keep them. Not kept, every
 * slot is unranked (K); kept again, they are ranked afresh from the slots'
 * vruntimes (O(K^2), once), so every point after is what an encoder that
 * always kept them would emit. An encoder starts keeping them.
 */
void koracle_enc_keep_vr_ranks(struct koracle_enc *enc, bool keep);

/*
 * The point as it stands at @now_ns (ns, the stream's clock) into @out,
 * without changing the encoder: what next_pid shows when it is read. Its
 * per-event part is the last switch's (zeros before the first switch: the
 * list, from the events since, is all there is to go on).
 */
void koracle_enc_peek(const struct koracle_enc *enc, u64 now_ns,
		      struct koracle_feat *out);

/*
 * Fill the rows of @f's slots that are not candidates, which the model never
 * reads and the kernel never writes: for the trainer and tests, so a point
 * is a complete, deterministic tuple.
 */
void koracle_feat_complete(struct koracle_feat *f);

/* Stable comm hash (FNV-1a over up to KORACLE_COMM_LEN bytes, to the NUL). */
u32 koracle_comm_hash(const char *comm);

/* Time bucket of @ns (see KORACLE_TIME_BUCKETS), 1..KORACLE_TIME_BUCKETS-1. */
u8 koracle_time_bucket(u64 ns);

#endif /* KORACLE_FEATURES_H */
