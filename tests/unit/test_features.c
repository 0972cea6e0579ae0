// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-CPU encoder (shared/features.c) on hand-built event streams. Every
 * expected value is worked out in the comment above its check; lists are
 * written MRU first, e.g. [11,10,0] means slot 0 = pid 11.
 *
 * Most suites read the list right after each switch, so the encoder runs at
 * the lead horizon there: its point is that snapshot. The current horizon
 * (the snapshot just before the next switch) has its own tests at the end.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "features.h"

#define K KORACLE_K
#define NA KORACLE_LABEL_NA

static struct koracle_enc enc;
static struct koracle_feat ft;
static u8 lab;

static void setup(void)
{
	koracle_enc_init(&enc, KORACLE_HZ_LEAD);
	memset(&ft, 0, sizeof(ft));
	lab = 0;
}

TestSuite(features, .init = setup);

static struct koracle_event mk(u8 type, u64 ts)
{
	struct koracle_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = ts;
	e.prev_pid = -1;
	e.next_pid = -1;
	return e;
}

/*
 * Feed @e; at a SWITCH, @ft becomes the encoder's point (at the lead horizon
 * the list right after this switch) and @lab this switch's class in the
 * point before (NA when none closed). True at a SWITCH.
 */
static bool feed(const struct koracle_event *e)
{
	lab = NA;
	if (!koracle_enc_event(&enc, e, &lab))
		lab = NA;
	if (e->type != KORACLE_EV_SWITCH)
		return false;
	ft = enc.point;
	koracle_feat_complete(&ft);
	return true;
}

/* Switch on CPU 0 from @prev (leaving in @state) to @next. */
static bool sw(u64 ts, s32 prev, s32 next, u32 state, u8 flags)
{
	struct koracle_event e = mk(KORACLE_EV_SWITCH, ts);

	e.prev_pid = prev;
	e.next_pid = next;
	e.prev_state = state;
	e.flags = flags;
	strcpy(e.comm, "task");
	return feed(&e);
}

/* @waker (running on @orig) wakes @pid onto @dest; record in CPU 0's stream. */
static bool wake(u64 ts, s32 waker, s32 pid, u16 orig, u16 dest)
{
	struct koracle_event e = mk(KORACLE_EV_WAKEUP, ts);

	e.prev_pid = waker;
	e.next_pid = pid;
	e.orig_cpu = orig;
	e.dest_cpu = dest;
	return feed(&e);
}

static void wake_new(u64 ts, s32 waker, s32 pid)
{
	struct koracle_event e = mk(KORACLE_EV_WAKEUP_NEW, ts);

	e.prev_pid = waker;
	e.next_pid = pid;
	cr_assert(!feed(&e));
}

static void migrate(u64 ts, s32 pid, u16 orig, u16 dest)
{
	struct koracle_event e = mk(KORACLE_EV_MIGRATE, ts);

	e.next_pid = pid;
	e.orig_cpu = orig;
	e.dest_cpu = dest;
	cr_assert(!feed(&e));
}

static void ex(u64 ts, s32 pid)
{
	struct koracle_event e = mk(KORACLE_EV_EXIT, ts);

	e.next_pid = pid;
	cr_assert(!feed(&e));
}

static void lost(u64 n)
{
	struct koracle_event e = mk(KORACLE_EV_LOST, 0);

	e.vruntime = n;
	cr_assert(!feed(&e));
}

static void expect_pids(const s32 *want, int n)
{
	int i;

	for (i = 0; i < K; i++)
		cr_assert_eq(ft.slot_pid[i], i < n ? want[i] : -1,
			     "slot %d: pid %d, want %d", i, ft.slot_pid[i],
			     i < n ? want[i] : -1);
	cr_assert_eq(ft.coverage_hint, n);
}

Test(features, time_bucket_and_comm_hash)
{
	/* bucket = max(1, fls64(ns >> 10)), capped at 23 */
	cr_assert_eq(koracle_time_bucket(0), 1);
	cr_assert_eq(koracle_time_bucket(2047), 1);	/* >>10 = 1, fls 1 */
	cr_assert_eq(koracle_time_bucket(2048), 2);	/* >>10 = 2, fls 2 */
	cr_assert_eq(koracle_time_bucket(4096), 3);
	cr_assert_eq(koracle_time_bucket(1ULL << 31), 22);	/* 2^21: fls 22 */
	cr_assert_eq(koracle_time_bucket(1ULL << 32), 23);
	cr_assert_eq(koracle_time_bucket(~0ULL), 23);
	/* FNV-1a 32-bit reference values */
	cr_assert_eq(koracle_comm_hash(""), 0x811c9dc5u);
	cr_assert_eq(koracle_comm_hash("a"), 0xe40c292cu);
	/* stops at KORACLE_COMM_LEN even without a NUL */
	cr_assert_eq(koracle_comm_hash("0123456789abcdefXYZ"),
		     koracle_comm_hash("0123456789abcdef"));
}

Test(features, vocab_bounds_every_emitted_value)
{
	int i, f, n;

	/* a busy stream touching every feature, then check the ranges */
	sw(1000, 0, 1, 0, 0);
	for (n = 0; n < 40; n++) {
		wake(2000 + 100 * n, 1, 100 + n % 20, 1, 0);
		sw(3000 + 100 * n, 100 + (n + 7) % 20, 100 + n % 20,
		   n % 3 ? KORACLE_PS_S : 0, 0);
		for (f = 0; f < KORACLE_EF_COUNT; f++)
			cr_assert_lt(ft.ev[f], koracle_event_vocab[f], "ev %d", f);
		for (i = 0; i < K; i++)
			for (f = 0; f < KORACLE_SF_COUNT; f++)
				cr_assert_lt(ft.slot[i][f], koracle_slot_vocab[f],
					     "slot %d feat %d", i, f);
		cr_assert_leq(ft.sel_pick, K);
	}
}

Test(features, slot_bookkeeping_mru_and_label)
{
	const s32 l1[] = { 10, 0 };
	const s32 l2[] = { 11, 10, 12, 0 };
	const s32 l3[] = { 12, 11, 10, 0 };

	/* idle -> 10: idle switch-out [0], 10 switch-in [10,0]; first: NA */
	cr_assert(sw(1000, 0, 10, 0, 0));
	cr_assert_eq(lab, NA);
	expect_pids(l1, 2);
	/* the running task cannot be next: masked */
	cr_assert_eq(ft.slot[0][KORACLE_SF_STATE], KORACLE_SS_NONE);
	/*
	 * idle left "running" (prev_state 0) but is never runnable; it is a
	 * candidate of its own kind
	 */
	cr_assert_eq(ft.slot[1][KORACLE_SF_STATE], KORACLE_SS_IDLE);
	cr_assert_eq(ft.cand, 1 << 1);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 0);
	cr_assert_eq(ft.ev[KORACLE_EF_IN_SLOT], K);	/* 10 was new */
	cr_assert_eq(ft.ev[KORACLE_EF_DT], 0);		/* no previous switch */
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_PREEMPTED);
	cr_assert_eq(ft.ev[KORACLE_EF_COMM],
		     koracle_comm_hash("task") % KORACLE_COMM_BUCKETS);
	cr_assert_eq(ft.slot[1][KORACLE_SF_MRU], 1);
	cr_assert_eq(ft.slot[5][KORACLE_SF_FIFO], K);	/* empty slot */

	/* 10 wakes 11 here: [11,10,0]; 99 on CPU 1 wakes 12 here: [12,11,10,0] */
	cr_assert(!wake(2000, 10, 11, 0, 0));
	cr_assert(!wake(2500, 99, 12, 1, 0));
	/* a wakeup whose target is CPU 1 is not this list's business */
	cr_assert(!wake(2600, 10, 13, 0, 1));

	/*
	 * 10 -> 11, 10 sleeps. Label: 11 in the last tuple [10,0]? no -> K.
	 * IN_SLOT: 11's slot before the switch, [12,11,10,0] -> 1.
	 * 10 out: [10,12,11,0]; 11 in: [11,10,12,0]. Runnable: 12 only.
	 * DT: 2000 ns -> bucket 1. 12 waited 500 ns -> bucket 1.
	 */
	cr_assert(sw(3000, 10, 11, KORACLE_PS_S, 0));
	cr_assert_eq(lab, K);
	expect_pids(l2, 4);
	cr_assert_eq(ft.ev[KORACLE_EF_IN_SLOT], 1);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_SLEEP);
	cr_assert_eq(ft.ev[KORACLE_EF_DT], 1);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 1);
	/* 11 runs, 10 sleeps: masked; 12 waits, idle: candidates */
	cr_assert_eq(ft.slot[0][KORACLE_SF_STATE], KORACLE_SS_NONE);
	cr_assert_eq(ft.slot[1][KORACLE_SF_STATE], KORACLE_SS_NONE);
	cr_assert_eq(ft.slot[2][KORACLE_SF_STATE], KORACLE_SS_RUNNABLE);
	cr_assert_eq(ft.slot[3][KORACLE_SF_STATE], KORACLE_SS_IDLE);
	cr_assert_eq(ft.cand, 1 << 2 | 1 << 3);
	cr_assert_eq(ft.slot[2][KORACLE_SF_FIFO], 0);
	cr_assert_eq(ft.slot[2][KORACLE_SF_LIFO], 0);
	cr_assert_eq(ft.slot[2][KORACLE_SF_WAIT], 1);
	cr_assert_eq(ft.slot[2][KORACLE_SF_WOKEN_BY_CUR], 0);	/* by 99 */
	cr_assert_eq(ft.slot[1][KORACLE_SF_FIFO], K);
	/*
	 * Rules: FIFO = LIFO = slot 2 (12), SLOT1 = 1, no Markov context yet
	 * and no ADAPTIVE counts -> K. No hits yet: selector = FIFO -> 2.
	 * SF_RULES: slot 2 = FIFO|LIFO|SEL = 1|2|32, slot 1 = SLOT1 = 4.
	 */
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], 2);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_LIFO], 2);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_SLOT1], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_MARKOV2], K);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_ADAPTIVE], K);
	cr_assert_eq(ft.sel_pick, 2);
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_RULE], KORACLE_RULE_FIFO);
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_HITS], 0);
	cr_assert_eq(ft.slot[2][KORACLE_SF_RULES], 35);
	cr_assert_eq(ft.slot[1][KORACLE_SF_RULES], 4);
	cr_assert_eq(ft.slot[0][KORACLE_SF_RULES], 0);

	/*
	 * 11 -> 12, 11 preempted. Label: 12 in [11,10,12,0] -> 2; FIFO and
	 * LIFO hit (1 of 2 scored switches each: 8 * 1 / 2 = 4 eighths).
	 * 11 out: runnable, [11,10,12,0]; 12 in: [12,11,10,0].
	 * ADAPTIVE now counts slot 2 once -> picks 2 (10, occupied).
	 */
	cr_assert(sw(4000, 11, 12, 0, KORACLE_RF_PREEMPT));
	cr_assert_eq(lab, 2);
	expect_pids(l3, 4);
	cr_assert_eq(ft.ev[KORACLE_EF_IN_SLOT], 2);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_PREEMPTED);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 1);
	cr_assert_eq(ft.slot[1][KORACLE_SF_STATE], KORACLE_SS_RUNNABLE);
	cr_assert_eq(ft.slot[1][KORACLE_SF_WAIT], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_LIFO], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_SLOT1], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_ADAPTIVE], 2);
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_RULE], KORACLE_RULE_FIFO);
	/* hits over the whole 256-switch window: a few are 0 eighths */
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_HITS], 0);
	cr_assert_eq(ft.sel_pick, 1);
	cr_assert_eq(enc.stats.switches, 3);
	cr_assert_eq(enc.stats.events, 6);
	cr_assert_eq(enc.stats.chain_breaks, 0);
}

Test(features, woken_by_current_task)
{
	/*
	 * 10 runs and wakes 11, then is preempted by 20: current 20, 11's
	 * waker is 10 -> 0. 20 -> 10: current 10 -> 11 is flagged.
	 */
	sw(1000, 0, 10, 0, 0);
	wake(1500, 10, 11, 0, 0);			/* [11,10,0] */
	sw(2000, 10, 20, 0, KORACLE_RF_PREEMPT);	/* [20,10,11,0] */
	cr_assert_eq(ft.slot_pid[2], 11);
	cr_assert_eq(ft.slot[2][KORACLE_SF_WOKEN_BY_CUR], 0);
	/* but by the task that just left */
	cr_assert_eq(ft.slot[2][KORACLE_SF_WOKEN_BY_PREV], 1);
	sw(3000, 20, 10, KORACLE_PS_S, 0);		/* [10,20,11,0] */
	cr_assert_eq(ft.slot_pid[2], 11);
	cr_assert_eq(ft.slot[2][KORACLE_SF_WOKEN_BY_CUR], 1);
	cr_assert_eq(ft.slot[2][KORACLE_SF_WOKEN_BY_PREV], 0);	/* 20 left */
	/* FIFO: 10 became runnable (seq 2) after 11 (seq 1): 11 is oldest */
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 1);	/* 10 runs now */
	cr_assert_eq(ft.slot[2][KORACLE_SF_FIFO], 0);
	/* once 11 runs its wakeup is consumed */
	sw(4000, 10, 11, KORACLE_PS_S, 0);		/* [11,10,20,0] */
	cr_assert_eq(ft.slot[0][KORACLE_SF_WOKEN_BY_CUR], 0);
}

Test(features, wakeup_of_running_task_is_not_runnable)
{
	sw(1000, 0, 10, 0, 0);
	wake(1500, 30, 10, 1, 0);	/* 10 is running: no waiting */
	sw(2000, 10, 11, KORACLE_PS_S, 0);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 0);
	cr_assert_eq(ft.slot_pid[1], 10);
	cr_assert_eq(ft.slot[1][KORACLE_SF_STATE], KORACLE_SS_NONE);
}

Test(features, migration_in_and_out)
{
	const s32 l1[] = { 10, 0, 30 };
	const s32 l2[] = { 0, 10 };

	sw(1000, 0, 10, 0, 0);		/* [10,0] */
	migrate(1100, 30, 1, 0);	/* onto CPU 0: [30,10,0], runnable */
	migrate(1200, 31, 2, 1);	/* between other CPUs: ignored */
	sw(2000, 10, 0, KORACLE_PS_S, 0);	/* [0,10,30] */
	cr_assert_eq(ft.slot_pid[2], 30);
	cr_assert_eq(ft.slot[2][KORACLE_SF_STATE], KORACLE_SS_RUNNABLE);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], 2);
	sw(3000, 0, 10, 0, 0);		/* [10,0,30] */
	expect_pids(l1, 3);
	migrate(3100, 30, 0, 1);	/* away from CPU 0: removed */
	sw(4000, 10, 0, KORACLE_PS_S, 0);	/* [0,10] */
	expect_pids(l2, 2);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 0);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], K);
}

Test(features, exit_dead_switch_out_and_pid_reuse)
{
	const s32 l1[] = { 0, 40 };
	const s32 l2[] = { 0, 41 };
	const s32 l3[] = { 40, 0, 41 };

	sw(1000, 0, 40, 0, 0);			/* [40,0] */
	sw(2000, 40, 0, KORACLE_PS_S, 0);	/* [0,40] */
	expect_pids(l1, 2);
	ex(2100, 40);				/* [0] */
	/* a dead switch-out removes the task as EXIT does */
	sw(3000, 0, 41, 0, 0);			/* [41,0] */
	sw(4000, 41, 0, KORACLE_PS_Z, 0);	/* [0] */
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_DEAD);
	cr_assert_eq(ft.coverage_hint, 1);
	cr_assert_eq(ft.slot_pid[0], 0);
	/* EXIT of a task not in the list changes nothing */
	ex(4100, 77);
	/* 41 comes back as a new task (pid reused): fresh, runnable */
	wake_new(4500, 0, 41);			/* [41,0] */
	sw(5000, 0, 0, 0, 0);			/* idle -> idle: [0,41] */
	expect_pids(l2, 2);
	cr_assert_eq(ft.slot[1][KORACLE_SF_STATE], KORACLE_SS_RUNNABLE);
	/* pid 40 again: new to the list, but the label is by pid: the
	 * previous tuple [0,41] does not hold 40 -> K */
	wake_new(5500, 0, 40);			/* [40,0,41] */
	sw(6000, 0, 40, 0, 0);			/* [40,0,41] */
	cr_assert_eq(lab, K);
	expect_pids(l3, 3);
	cr_assert_eq(ft.ev[KORACLE_EF_IN_SLOT], 0);
}

Test(features, prev_state_classes)
{
	sw(1000, 0, 1, 0, 0);
	sw(2000, 1, 2, KORACLE_PS_D, 0);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_DISK);
	sw(3000, 2, 3, KORACLE_PS_I, 0);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_SLEEP);
	sw(4000, 3, 4, KORACLE_PS_T, 0);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_OTHER);
	sw(5000, 4, 5, KORACLE_PS_X, 0);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_DEAD);
	/* "R+" with a nonzero state still counts as preempted */
	sw(6000, 5, 6, KORACLE_PS_S, KORACLE_RF_PREEMPT);
	cr_assert_eq(ft.ev[KORACLE_EF_PREV_STATE], KORACLE_PC_PREEMPTED);
	cr_assert_eq(ft.slot[1][KORACLE_SF_STATE], KORACLE_SS_RUNNABLE);
}

/* Whether @pid is anywhere in the encoder's list. */
static bool listed(s32 pid)
{
	for (int i = 0; i < enc.nocc; i++)
		if (enc.pid[i] == pid)
			return true;
	return false;
}

/*
 * A full list makes room by evicting the least recent task that is no
 * candidate (neither waiting nor the idle task); with none such, the least
 * recent of all.
 */
Test(features, list_overflow_evicts_least_recent_non_candidate)
{
	int i;

	/* [1,0], then 14 wakeups 101..114: 16 tasks, full, no eviction */
	sw(1000, 0, 1, 0, 0);
	for (i = 101; i <= 114; i++)
		wake(1000 + i, 1, i, 0, 0);
	cr_assert_eq(enc.stats.evictions, 0);
	/*
	 * The 17th task: 102..114 wait and 0 is the idle task, so the one
	 * to go is 1, the running task (slot 14), not idle (slot 15).
	 */
	wake(2000, 1, 115, 0, 0);
	cr_assert_eq(enc.stats.evictions, 1);
	cr_assert(!listed(1));
	cr_assert_eq(enc.pid[K - 1], 0);
	cr_assert_eq(enc.pid[0], 115);
	/*
	 * 1 -> 101 (1 sleeps): 1 comes back while all but idle wait, so idle,
	 * the least recent, goes; then 101 to the front:
	 * [101,1,115,114,...,102]. Label: 101 in the last tuple [1,0] -> K.
	 * Runnable 102..115 (14): FIFO = oldest = 102 at slot 15,
	 * LIFO = newest = 115 at slot 2.
	 */
	sw(3000, 1, 101, KORACLE_PS_S, 0);
	cr_assert_eq(lab, K);
	cr_assert_eq(enc.stats.evictions, 2);
	cr_assert_eq(ft.slot_pid[0], 101);
	cr_assert_eq(ft.slot_pid[1], 1);
	for (i = 2; i < K; i++)
		cr_assert_eq(ft.slot_pid[i], 117 - i);
	cr_assert_eq(ft.coverage_hint, K);
	cr_assert_eq(ft.ev[KORACLE_EF_NRUN], 14);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], 15);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_LIFO], 2);
	cr_assert_eq(ft.slot[15][KORACLE_SF_FIFO], 0);
	cr_assert_eq(ft.slot[15][KORACLE_SF_LIFO], 13);
	cr_assert_eq(ft.slot[2][KORACLE_SF_FIFO], 13);
	cr_assert_eq(ft.slot[2][KORACLE_SF_LIFO], 0);
	/* 101's wait: 3000 - 1101 = 1899 ns -> bucket 1 (not runnable now) */
	cr_assert_eq(ft.slot[0][KORACLE_SF_WAIT], 0);
	/*
	 * A new switch-in: 101 (slot 0) and 1 (slot 1) are quiet, the rest
	 * wait; 1 is the least recent of the two and goes, and 102, the
	 * oldest waiting task, keeps its place: [200,101,115..102].
	 */
	sw(4000, 101, 200, KORACLE_PS_S, 0);
	cr_assert_eq(enc.stats.evictions, 3);
	cr_assert(!listed(1));
	cr_assert_eq(ft.slot_pid[1], 101);
	cr_assert_eq(ft.slot_pid[15], 102);
	cr_assert_eq(ft.slot[15][KORACLE_SF_FIFO], 0);
	cr_assert_eq(ft.ev[KORACLE_EF_IN_SLOT], K);
}

Test(features, chain_breaks_are_counted_and_tolerated)
{
	/* 0 -> 10, then a switch from 20 -> 30: 10 -> ... was missed */
	sw(1000, 0, 10, 0, 0);			/* [10,0] */
	sw(2000, 20, 30, KORACLE_PS_S, 0);	/* [30,20,10,0] */
	cr_assert_eq(enc.stats.chain_breaks, 1);
	cr_assert_eq(lab, K);	/* 30 not in [10,0] */
	cr_assert_eq(ft.slot_pid[0], 30);
	cr_assert_eq(ft.slot_pid[1], 20);
	cr_assert_eq(ft.slot_pid[2], 10);
	/* 10's state is unknown: it stays as it was (not runnable) */
	cr_assert_eq(ft.slot[2][KORACLE_SF_STATE], KORACLE_SS_NONE);
	sw(3000, 30, 10, KORACLE_PS_S, 0);	/* chain intact again */
	cr_assert_eq(enc.stats.chain_breaks, 1);
	cr_assert_eq(lab, 2);
}

Test(features, lost_records_drop_the_pending_label)
{
	sw(1000, 0, 10, 0, 0);
	sw(2000, 10, 11, KORACLE_PS_S, 0);	/* [11,10,0] */
	cr_assert_eq(lab, K);
	lost(5);
	/* the label of this switch is unknown; no chain break is claimed,
	 * and DT has no previous switch to measure from */
	sw(9000, 12, 10, KORACLE_PS_S, 0);	/* [10,12,11,0] */
	cr_assert_eq(lab, NA);
	cr_assert_eq(enc.stats.lost, 5);
	cr_assert_eq(enc.stats.chain_breaks, 0);
	cr_assert_eq(ft.ev[KORACLE_EF_DT], 0);
	cr_assert_eq(ft.ev[KORACLE_EF_IN_SLOT], 1);
	/* and the stream goes on: 11 is slot 2 of [10,12,11,0] */
	sw(10000, 10, 11, KORACLE_PS_S, 0);
	cr_assert_eq(lab, 2);
	cr_assert_eq(enc.stats.events, 5);
}

Test(features, markov_adaptive_and_selector_on_a_cycle)
{
	/*
	 * Tasks 1, 2, 3 in turn, each sleeping when it leaves:
	 *   0->1 [1,0]      prev_in (-,1)
	 *   1->2 [2,1,0]    label K;  prev_in (1,2)
	 *   2->3 [3,2,1,0]  label K;  learns (1,2)->3; prev_in (2,3)
	 *   3->1 [1,3,2,0]  label 2;  learns (2,3)->1; ADAPTIVE slot 2: 1
	 *   1->2 [2,1,3,0]  label 2;  learns (3,1)->2; ADAPTIVE slot 2: 2
	 * At the last one Markov (1,2) -> 3, in slot 2; ADAPTIVE -> 2.
	 * Scored: 4 switches; only ADAPTIVE hit once (its pick after 3->1),
	 * so the selector moved from FIFO to ADAPTIVE: 8 * 1 / 256 = 0 eighths
 * (the window is 256 switches, the unseen ones count as misses).
	 */
	sw(1000, 0, 1, KORACLE_PS_S, 0);
	sw(2000, 1, 2, KORACLE_PS_S, 0);
	sw(3000, 2, 3, KORACLE_PS_S, 0);
	sw(4000, 3, 1, KORACLE_PS_S, 0);
	cr_assert_eq(lab, 2);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_ADAPTIVE], 2);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_MARKOV2], K);	/* (3,1)? */
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_RULE], KORACLE_RULE_FIFO);
	sw(5000, 1, 2, KORACLE_PS_S, 0);
	cr_assert_eq(lab, 2);
	cr_assert_eq(ft.slot_pid[2], 3);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_MARKOV2], 2);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_ADAPTIVE], 2);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_SLOT1], 1);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], K);
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_RULE], KORACLE_RULE_ADAPTIVE);
	cr_assert_eq(ft.ev[KORACLE_EF_SEL_HITS], 0);
	cr_assert_eq(ft.sel_pick, 2);
	/* SF_RULES of slot 2: MARKOV2 (8) | ADAPTIVE (16) | selector (32) */
	cr_assert_eq(ft.slot[2][KORACLE_SF_RULES], 8 | 16 | 32);
	sw(6000, 2, 3, KORACLE_PS_S, 0);
	cr_assert_eq(lab, 2);	/* 3 was slot 2: Markov and ADAPTIVE hit */
}

Test(features, kernel_only_vruntime_rank_and_weight)
{
	struct koracle_event e;
	const struct { s32 pid; u64 vr; u32 w; u8 flags; } t[] = {
		{ 11, 500, 1024, KORACLE_RF_KERNEL },
		{ 12, 300, 2048, KORACLE_RF_KERNEL },
		{ 13, 100, 335, 0 },	/* imported: no kernel fields */
		{ 14, 400, 335, KORACLE_RF_KERNEL },
	};
	int i;

	sw(1000, 0, 10, 0, 0);
	for (i = 0; i < 4; i++) {
		e = mk(KORACLE_EV_WAKEUP, 1100 + i);
		e.prev_pid = 10;
		e.next_pid = t[i].pid;
		e.vruntime = t[i].vr;
		e.weight = t[i].w;
		e.flags = t[i].flags;
		feed(&e);
	}
	/*
	 * 10 sleeps, idle runs: [0,10,14,13,12,11]. Runnable with vruntime:
	 * 12 (300) rank 0, 14 (400) rank 1, 11 (500) rank 2; 13 unknown.
	 * Weights: 11 nice 0 -> 2, 12 heavier -> 3, 14 lighter -> 1, 13 -> 0.
	 */
	sw(2000, 10, 0, KORACLE_PS_S, 0);
	cr_assert_eq(ft.slot_pid[2], 14);
	cr_assert_eq(ft.slot_pid[5], 11);
	cr_assert_eq(ft.slot[4][KORACLE_SF_VR_RANK], 0);	/* 12 */
	cr_assert_eq(ft.slot[2][KORACLE_SF_VR_RANK], 1);	/* 14 */
	cr_assert_eq(ft.slot[5][KORACLE_SF_VR_RANK], 2);	/* 11 */
	cr_assert_eq(ft.slot[3][KORACLE_SF_VR_RANK], K);	/* 13 */
	cr_assert_eq(ft.slot[1][KORACLE_SF_VR_RANK], K);	/* 10: blocked */
	cr_assert_eq(ft.slot[5][KORACLE_SF_WEIGHT], 2);
	cr_assert_eq(ft.slot[4][KORACLE_SF_WEIGHT], 3);
	cr_assert_eq(ft.slot[2][KORACLE_SF_WEIGHT], 1);
	cr_assert_eq(ft.slot[3][KORACLE_SF_WEIGHT], 0);
	/* FIFO by wakeup order: 11 oldest (slot 5), 14 newest (slot 2) */
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], 5);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_LIFO], 2);
	cr_assert_eq(ft.slot[3][KORACLE_SF_FIFO], 2);
	cr_assert_eq(ft.slot[3][KORACLE_SF_LIFO], 1);
}

Test(features, new_task_with_a_listed_pid_starts_fresh)
{
	/*
	 * 50 (seq 1) and 51 (seq 2) wait; 50's EXIT was missed and its pid
	 * comes back as a new task: it is now the newest runnable (seq 3).
	 * After the wakeups [50,51,0]; idle 0 -> 1 gives [1,0,50,51].
	 */
	sw(1000, 0, 0, 0, 0);
	wake(1100, 0, 50, 0, 0);
	wake(1200, 0, 51, 0, 0);
	wake_new(1300, 0, 50);
	sw(2000, 0, 1, 0, 0);
	cr_assert_eq(ft.slot_pid[2], 50);
	cr_assert_eq(ft.slot_pid[3], 51);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_FIFO], 3);
	cr_assert_eq(ft.rule_pick[KORACLE_RULE_LIFO], 2);
	/* its wait restarted at 1300: 700 ns -> bucket 1 */
	cr_assert_eq(ft.slot[2][KORACLE_SF_WAIT], 1);
}

Test(features, preempted_task_ranks_by_its_switch_out_vruntime)
{
	struct koracle_event e = mk(KORACLE_EV_SWITCH, 1000);

	/* 0 -> 20; then 20 is preempted by 21 and leaves with vruntime 700 */
	sw(1000, 0, 20, KORACLE_PS_S, 0);
	e.ts_ns = 2000;
	e.prev_pid = 20;
	e.next_pid = 21;
	e.prev_state = KORACLE_PS_R;
	e.flags = KORACLE_RF_PREEMPT | KORACLE_RF_KERNEL;
	e.vruntime = 700;	/* the outgoing task's */
	e.weight = 1024;
	cr_assert(feed(&e));
	/* 22 is woken with vruntime 600: it ranks ahead of 20 */
	e = mk(KORACLE_EV_WAKEUP, 2100);
	e.prev_pid = 21;
	e.next_pid = 22;
	e.vruntime = 600;
	e.weight = 1024;
	e.flags = KORACLE_RF_KERNEL;
	cr_assert(!feed(&e));
	/* 21 sleeps, idle runs: [0,21,22,20] */
	sw(3000, 21, 0, KORACLE_PS_S, 0);
	cr_assert_eq(ft.slot_pid[2], 22);
	cr_assert_eq(ft.slot_pid[3], 20);
	cr_assert_eq(ft.slot[2][KORACLE_SF_VR_RANK], 0);
	cr_assert_eq(ft.slot[3][KORACLE_SF_VR_RANK], 1);
	cr_assert_eq(ft.slot[3][KORACLE_SF_WEIGHT], 2);
}

/*
 * The incremental ranks against the definition, on random streams: after
 * every event, each runnable slot's FIFO rank is the number of runnable
 * slots that became runnable before it (run_seq order), its vruntime rank
 * the number of ranked slots before it in (vruntime, run_seq) order, and a
 * slot that does not wait has neither.
 */
static u32 rnd_state = 12345;

static u32 rnd(u32 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

static void check_ranks_against_definition(void)
{
	int i, j, nrun = 0;

	for (i = 0; i < enc.nocc; i++) {
		const struct koracle_slot *a = &enc.slots[enc.idx[i]];
		u8 fifo = 0, vr = 0;

		if (!a->runnable) {
			cr_assert_eq(a->fifo, K, "slot %d not runnable", i);
			cr_assert_eq(a->vr_rank, K, "slot %d not runnable", i);
			continue;
		}
		nrun++;
		for (j = 0; j < enc.nocc; j++) {
			const struct koracle_slot *b = &enc.slots[enc.idx[j]];

			if (j == i || !b->runnable)
				continue;
			if ((s32)(b->run_seq - a->run_seq) < 0)
				fifo++;
			if (a->has_vr && b->has_vr &&
			    (b->vruntime < a->vruntime ||
			     (b->vruntime == a->vruntime &&
			      (s32)(b->run_seq - a->run_seq) < 0)))
				vr++;
		}
		cr_assert_eq(a->fifo, fifo, "slot %d fifo", i);
		cr_assert_eq(a->vr_rank, a->has_vr && !enc.no_vr ? vr : K,
			     "slot %d vr", i);
	}
	cr_assert_eq(enc.nrun, nrun);
	/* the bookkeeping of where things are */
	for (i = 0, j = -1; i < enc.nocc; i++)
		if (enc.pid[i] == 0)
			j = i;
	cr_assert_eq(enc.idle, j, "idle at %d, kept %d", j, enc.idle);
	for (i = 0; i < K; i++)
		cr_assert_eq(enc.runmask >> i & 1,
			     i < enc.nocc && enc.slots[enc.idx[i]].runnable,
			     "runmask bit %d", i);
	/* free storage holds nothing that ranks */
	for (i = enc.nocc; i < K; i++) {
		cr_assert_eq(enc.pid[i], -1);
		cr_assert_eq(enc.slots[enc.idx[i]].fifo, K);
		cr_assert_eq(enc.slots[enc.idx[i]].vr_rank, K);
	}
}

static void random_event(u64 ts, bool kernel)
{
	struct koracle_event e = mk(KORACLE_EV_SWITCH, ts);
	/* 24 pids (0 the idle task) over 16 slots: evictions happen */
	s32 pid = (s32)rnd(24);
	static const u32 states[] = { 0, KORACLE_PS_S, KORACLE_PS_D,
				      KORACLE_PS_X };

	if (kernel) {
		e.flags |= KORACLE_RF_KERNEL;
		e.vruntime = rnd(8) * 1000;	/* ties are common */
		e.weight = 1024;
	}
	switch (rnd(6)) {
	case 0:
	case 1:
		e.prev_pid = enc.cur_pid >= 0 ? enc.cur_pid : (s32)rnd(24);
		e.next_pid = pid;
		e.prev_state = states[rnd(4)];
		if (rnd(3) == 0)
			e.flags |= KORACLE_RF_PREEMPT;
		break;
	case 2:
	case 3:
		e.type = rnd(4) ? KORACLE_EV_WAKEUP : KORACLE_EV_WAKEUP_NEW;
		e.prev_pid = (s32)rnd(24);
		e.next_pid = pid;
		break;
	case 4:
		e.type = KORACLE_EV_MIGRATE;
		e.next_pid = pid;
		e.orig_cpu = rnd(2) ? 0 : 1;
		e.dest_cpu = e.orig_cpu ? 0 : 1;
		break;
	default:
		e.type = rnd(8) ? KORACLE_EV_EXIT : KORACLE_EV_LOST;
		e.next_pid = pid;
		e.vruntime = e.type == KORACLE_EV_LOST ? 1 : e.vruntime;
		break;
	}
	feed(&e);
}

/*
 * Runs 4-5 and 12-13 of every 8 also stop and resume keeping the vruntime
 * ranks now and then (koracle_enc_keep_vr_ranks()): off, no slot is
 * ranked; on again, the ranks are the definition's at once and stay so.
 */
Test(features, incremental_ranks_equal_the_definition, .timeout = 20)
{
	int run, i, rerank = 0;

	for (run = 0; run < 40; run++) {
		bool toggle = run % 8 >= 4 && run % 8 < 6;

		koracle_enc_init(&enc, run % 2 ? KORACLE_HZ_CURRENT :
						 KORACLE_HZ_LEAD);
		for (i = 0; i < 2000; i++) {
			random_event(1000 + 10 * (u64)i, run % 4 < 2);
			if (toggle && rnd(100) == 0) {
				rerank += enc.no_vr && enc.nrun > 1;
				koracle_enc_keep_vr_ranks(&enc, enc.no_vr);
			}
			check_ranks_against_definition();
		}
		cr_assert_gt(enc.stats.evictions, 0);
	}
	cr_assert_gt(rerank, 20, "ranks rebuilt over several waiters %d times",
		     rerank);
}

/*
 * The current horizon: the point that predicts a switch is the list just
 * before it, with the wakeups since the previous switch; the lead point of
 * the same stream does not have them.
 */
Test(features, current_point_sees_the_wakeups_since_the_last_switch)
{
	struct koracle_feat peek;
	int h;

	for (h = 0; h < 2; h++) {
		koracle_enc_init(&enc, h ? KORACLE_HZ_LEAD : KORACLE_HZ_CURRENT);
		/* no switch yet: an empty list, nothing to pick */
		koracle_enc_peek(&enc, 0, &peek);
		cr_assert_eq(peek.cand, 0);
		cr_assert_eq(peek.sel_pick, K);
		/* 0 -> 10: no point (the first switch); [10,0] */
		cr_assert(sw(1000, 0, 10, 0, 0));
		cr_assert_eq(lab, NA);
		/* 10 wakes 11 at 1500: [11,10,0], 11 runnable, woken by 10 */
		wake(1500, 10, 11, 0, 0);
		koracle_enc_peek(&enc, 1600, &peek);
		koracle_feat_complete(&peek);
		cr_assert_eq(peek.slot_pid[0], 11);
		cr_assert_eq(peek.slot[0][KORACLE_SF_STATE], KORACLE_SS_RUNNABLE);
		cr_assert_eq(peek.slot[0][KORACLE_SF_WOKEN_BY_CUR], 1);
		cr_assert_eq(peek.rule_pick[KORACLE_RULE_FIFO], 0);
		cr_assert_eq(peek.sel_pick, 0);
		/* the per-event part is the last switch's: 10 was new */
		cr_assert_eq(peek.ev[KORACLE_EF_IN_SLOT], K);
		/* 10 sleeps, 11 runs */
		cr_assert(sw(2000, 10, 11, KORACLE_PS_S, 0));
		if (!h) {
			/* current: 11 is slot 0 of the list just before */
			cr_assert_eq(lab, 0);
			cr_assert_eq(ft.slot_pid[0], 11);
			cr_assert_eq(ft.sel_pick, 0);
			/* the point is what a read just before saw */
			cr_assert_arr_eq(ft.ev, peek.ev, sizeof(ft.ev));
			cr_assert_arr_eq(ft.slot, peek.slot, sizeof(ft.slot));
			cr_assert_arr_eq(ft.rule_pick, peek.rule_pick,
					 sizeof(ft.rule_pick));
			cr_assert_arr_eq(ft.slot_pid, peek.slot_pid,
					 sizeof(ft.slot_pid));
		} else {
			/* lead: the list right after 0 -> 10 had no 11 */
			cr_assert_eq(lab, K);
		}
	}
}
