// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-CPU feature encoder (features.h): candidate-list bookkeeping, the
 * tuple emitted at each SWITCH, and its label.
 *
 * The list is two small arrays in MRU order, the pids and the storage index
 * of each slot's state. "Touching" a task (any activity on this CPU) moves it
 * to slot 0, shifting the entries in front of it down by one; a task not in
 * the list takes slot 0 and the task in slot K-1, if any, falls out.
 * Removing a task shifts the entries behind it up. Both are O(K) on at most
 * 64 + 16 bytes; the slot states themselves never move.
 *
 * Runnable order is a rank kept per slot: a slot that becomes runnable is
 * the newest (rank nrun), one that stops being runnable closes its gap
 * (ranks above it drop by one). The vruntime rank is kept the same way,
 * with ties broken by the order of becoming runnable, a sequence number and
 * not a timestamp: a wakeup recorded on another CPU carries that CPU's
 * clock, while the order of this CPU's stream is exact (DESIGN.md, "Exact
 * replay"). Each is O(K) when a slot changes, and free at a snapshot.
 */
#include "features.h"

#define KORACLE_NICE0_WEIGHT	1024	/* sched_prio_to_weight[20] */

/* Index of the highest set bit, 1-based; 0 for 0. */
#ifdef __KERNEL__
#define koracle_fls64(v)	fls64(v)
#else
static inline int koracle_fls64(u64 v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}
#endif

u8 koracle_time_bucket(u64 ns)
{
	int b = koracle_fls64(ns >> 10);

	if (b < 1)
		b = 1;
	if (b > KORACLE_TIME_BUCKETS - 1)
		b = KORACLE_TIME_BUCKETS - 1;
	return (u8)b;
}

/* The row of a slot that is no candidate, but for its MRU position. */
static const u8 koracle_masked_row[KORACLE_SF_COUNT] = {
	[KORACLE_SF_FIFO] = KORACLE_K,
	[KORACLE_SF_LIFO] = KORACLE_K,
	[KORACLE_SF_VR_RANK] = KORACLE_K,
};

static void koracle_slot_clear(struct koracle_slot *s)
{
	memset(s, 0, sizeof(*s));
	s->waker = -1;
	s->fifo = KORACLE_K;
	s->vr_rank = KORACLE_K;
}

void koracle_enc_init(struct koracle_enc *enc, enum koracle_horizon horizon)
{
	u8 i;

	memset(enc, 0, sizeof(*enc));
	for (i = 0; i < KORACLE_K; i++) {
		enc->pid[i] = -1;
		enc->idx[i] = i;
		koracle_slot_clear(&enc->slots[i]);
	}
	koracle_rules_init(&enc->rules);
	enc->horizon = horizon;
	enc->cur_pid = -1;
	enc->last_prev = -1;
	enc->idle = -1;
}

/* MRU position of @pid, or -1. */
static int koracle_find(const struct koracle_enc *enc, s32 pid)
{
	int i;

	if (pid < 0)
		return -1;
	for (i = 0; i < enc->nocc; i++)
		if (enc->pid[i] == pid)
			return i;
	return -1;
}

/* Index of the lowest set bit of a nonzero mask. */
#ifdef __KERNEL__
#define koracle_ctz(v)	__ffs(v)
#else
#define koracle_ctz(v)	__builtin_ctz(v)
#endif

/* The storage of the runnable slot at the lowest position of mask @m. */
static struct koracle_slot *koracle_runnable_at(struct koracle_enc *enc,
						u32 m)
{
	return &enc->slots[enc->idx[koracle_ctz(m)]];
}

/* Strict order of the vruntime ranks: smaller vruntime, then runnable first. */
static bool koracle_vr_before(const struct koracle_slot *a,
			      const struct koracle_slot *b)
{
	if (a->vruntime != b->vruntime)
		return a->vruntime < b->vruntime;
	/* sequence numbers wrap: compare their difference */
	return (s32)(a->run_seq - b->run_seq) < 0;
}

/* Rank runnable slot @s by its vruntime, moving the ranks behind it up. */
static void koracle_vr_insert(struct koracle_enc *enc, struct koracle_slot *s)
{
	struct koracle_slot *t;
	u8 rank = 0;
	u32 m;

	for (m = enc->runmask; m; m &= m - 1) {
		t = koracle_runnable_at(enc, m);
		if (t == s || t->vr_rank >= KORACLE_K)
			continue;
		if (koracle_vr_before(t, s))
			rank++;
		else
			t->vr_rank++;
	}
	s->vr_rank = rank;
}

static void koracle_vr_remove(struct koracle_enc *enc, struct koracle_slot *s)
{
	struct koracle_slot *t;
	u32 m;

	for (m = enc->runmask; m; m &= m - 1) {
		t = koracle_runnable_at(enc, m);
		if (t->vr_rank > s->vr_rank && t->vr_rank < KORACLE_K)
			t->vr_rank--;
	}
	s->vr_rank = KORACLE_K;
}

/* @s, at MRU position @pos, stops waiting: close its gap in the ranks. */
static void koracle_run_clear(struct koracle_enc *enc, struct koracle_slot *s,
			      int pos)
{
	struct koracle_slot *t;
	u32 m;

	s->waker = -1;
	if (!s->runnable)
		return;
	for (m = enc->runmask; m; m &= m - 1) {
		t = koracle_runnable_at(enc, m);
		if (t->fifo > s->fifo)
			t->fifo--;
	}
	if (s->vr_rank < KORACLE_K)
		koracle_vr_remove(enc, s);
	s->runnable = 0;
	s->fifo = KORACLE_K;
	enc->runmask &= ~(1U << pos);
	enc->nrun--;
}

/*
 * Mark the slot just touched (MRU position 0) runnable, unless it already
 * waits (it keeps its place in line) or is the idle task.
 */
static void koracle_set_runnable(struct koracle_enc *enc,
				 struct koracle_slot *s, s32 pid, u64 ts,
				 s32 waker)
{
	if (pid == 0 || s->runnable)
		return;
	s->runnable = 1;
	s->runnable_ns = ts;
	s->run_seq = ++enc->run_seq;
	s->waker = waker;
	s->fifo = enc->nrun++;
	enc->runmask |= 1;
	if (s->has_vr && !enc->no_vr)
		koracle_vr_insert(enc, s);
}

/* SF_WEIGHT of a load weight: 0 unknown, 1 < nice 0, 2 nice 0, 3 > nice 0. */
static u8 koracle_weight_class(u32 weight)
{
	if (!weight)
		return 0;
	if (weight < KORACLE_NICE0_WEIGHT)
		return 1;
	return weight == KORACLE_NICE0_WEIGHT ? 2 : 3;
}

/*
 * A kernel record describes the task: keep its vruntime and weight. Inline:
 * it runs 1.7 times per switch, and the call cost more than its body.
 */
static inline void koracle_kernel_info(struct koracle_enc *enc,
				       struct koracle_slot *s,
				       const struct koracle_event *ev)
{
	bool ranked = s->vr_rank < KORACLE_K;

	if (!(ev->flags & KORACLE_RF_KERNEL))
		return;
	if (ranked)
		koracle_vr_remove(enc, s);
	s->vruntime = ev->vruntime;
	s->wclass = koracle_weight_class(ev->weight);
	s->has_vr = 1;
	if (s->runnable && !enc->no_vr)
		koracle_vr_insert(enc, s);
}

void koracle_enc_keep_vr_ranks(struct koracle_enc *enc, bool keep)
{
	struct koracle_slot *s;
	u32 m;

	enc->no_vr = !keep;
	for (m = enc->runmask; m; m &= m - 1)
		koracle_runnable_at(enc, m)->vr_rank = KORACLE_K;
	/* rank them one by one, as they would have been kept */
	for (m = keep ? enc->runmask : 0; m; m &= m - 1) {
		s = koracle_runnable_at(enc, m);
		if (s->has_vr)
			koracle_vr_insert(enc, s);
	}
}

/*
 * Move @pid, at MRU position @i (-1: not in the list), to slot 0, inserting
 * it (evicting another if the list is full).
 */
static struct koracle_slot *koracle_touch_at(struct koracle_enc *enc, s32 pid,
					     int i)
{
	u32 below, mask = enc->runmask;
	u8 st;

	if (i < 0) {
		if (enc->nocc == KORACLE_K) {
			/*
			 * The least recent task that neither waits nor is the
			 * idle task: those are the candidates, all a prediction
			 * can name. None such: the least recent.
			 */
			u32 quiet = ~mask & ((1U << KORACLE_K) - 1);

			if (enc->idle >= 0)
				quiet &= ~(1U << enc->idle);
			i = quiet ? koracle_fls64(quiet) - 1 : KORACLE_K - 1;
			enc->stats.evictions++;
			koracle_run_clear(enc, &enc->slots[enc->idx[i]], i);
			mask = enc->runmask;
			if (enc->idle == i)
				enc->idle = -1;
		} else {
			i = enc->nocc++;
		}
		koracle_slot_clear(&enc->slots[enc->idx[i]]);
	}
	if (pid == 0)
		enc->idle = 0;
	else if (enc->idle >= 0 && enc->idle < i)
		enc->idle++;
	/* positions below @i move up one, @i's bit goes to 0 */
	below = mask & ((1U << i) - 1);
	enc->runmask = (mask & ~((2U << i) - 1)) | below << 1 | (mask >> i & 1);
	st = enc->idx[i];
	/*
	 * A few entries at most: the barrier keeps the compiler from turning
	 * the loop into a memmove() call, which would cost more than it moves.
	 */
	for (; i > 0; i--) {
		enc->pid[i] = enc->pid[i - 1];
		enc->idx[i] = enc->idx[i - 1];
		koracle_barrier();
	}
	enc->pid[0] = pid;
	enc->idx[0] = st;
	return &enc->slots[st];
}

static struct koracle_slot *koracle_touch(struct koracle_enc *enc, s32 pid)
{
	return koracle_touch_at(enc, pid, koracle_find(enc, pid));
}

static void koracle_remove(struct koracle_enc *enc, s32 pid)
{
	int i = koracle_find(enc, pid), last = enc->nocc - 1;
	u32 mask;
	u8 st;

	if (i < 0)
		return;
	st = enc->idx[i];
	koracle_run_clear(enc, &enc->slots[st], i);
	koracle_slot_clear(&enc->slots[st]);
	if (pid == 0)
		enc->idle = -1;
	else if (enc->idle > i)
		enc->idle--;
	/* positions above @i move down one */
	mask = enc->runmask;
	enc->runmask = (mask & ((1U << i) - 1)) | (mask >> (i + 1)) << i;
	for (; i < last; i++) {
		enc->pid[i] = enc->pid[i + 1];
		enc->idx[i] = enc->idx[i + 1];
		koracle_barrier();	/* no memmove() call: see koracle_touch() */
	}
	enc->pid[last] = -1;
	enc->idx[last] = st;
	enc->nocc--;
}

static u8 koracle_prev_class(const struct koracle_event *ev)
{
	u32 ps = ev->prev_state;

	if ((ev->flags & KORACLE_RF_PREEMPT) || ps == KORACLE_PS_R)
		return KORACLE_PC_PREEMPTED;
	if (ps & (KORACLE_PS_X | KORACLE_PS_Z))
		return KORACLE_PC_DEAD;
	if (ps & KORACLE_PS_D)
		return KORACLE_PC_DISK;
	if (ps & (KORACLE_PS_S | KORACLE_PS_I))
		return KORACLE_PC_SLEEP;
	return KORACLE_PC_OTHER;
}

/*
 * Features of candidate slot @j (state @state) at @now (ns); @cur and @prev
 * are the running task and the last one switched out. The slot's fields are
 * read into locals first: each byte stored to @f could alias them.
 */
static __always_inline void koracle_candidate(const struct koracle_enc *enc,
					      u8 j, u8 state, u64 now,
					      s32 cur, s32 prev,
					      u8 f[KORACLE_SF_COUNT])
{
	const struct koracle_slot *s = &enc->slots[enc->idx[j]];
	s32 waker = s->waker;
	u64 since = s->runnable_ns;
	u8 fifo = s->fifo, vr_rank = s->vr_rank, wclass = s->wclass;
	u8 wait = 0, lifo = KORACLE_K;

	if (s->runnable) {
		wait = koracle_time_bucket(now > since ? now - since : 0);
		lifo = enc->nrun - 1 - fifo;
	}
	f[KORACLE_SF_STATE] = state;
	f[KORACLE_SF_WAIT] = wait;
	f[KORACLE_SF_FIFO] = fifo;
	f[KORACLE_SF_LIFO] = lifo;
	f[KORACLE_SF_WOKEN_BY_CUR] = waker >= 0 && waker == cur;
	f[KORACLE_SF_WOKEN_BY_PREV] = waker >= 0 && waker == prev;
	f[KORACLE_SF_VR_RANK] = vr_rank;
	f[KORACLE_SF_WEIGHT] = wclass;
	f[KORACLE_SF_RULES] = 0;
	f[KORACLE_SF_MRU] = j;
}

/*
 * Bit j: slot j's rules (bit r: rule r picks it, KORACLE_SEL_BIT: sel).
 * Inline in the snapshot, once per switch: measured faster than the call.
 */
static inline void koracle_rule_bits(struct koracle_feat *f, u16 only)
{
	u8 r, p;

#pragma GCC unroll 8
	for (r = 0; r < KORACLE_RULE_COUNT; r++) {
		p = f->rule_pick[r];
		if (p < KORACLE_K && (only >> p & 1))
			f->slot[p][KORACLE_SF_RULES] |= 1 << r;
	}
	p = f->sel_pick;
	if (p < KORACLE_K && (only >> p & 1))
		f->slot[p][KORACLE_SF_RULES] |= 1 << KORACLE_SEL_BIT;
}

/*
 * The point of the list as it stands at @now: the last switch's features,
 * the candidates' rows (the only ones the model reads; the others are for
 * koracle_feat_complete()), the rules' picks. O(candidates), not O(K).
 */
static void koracle_snapshot(const struct koracle_enc *enc, u64 now,
			     struct koracle_feat *out)
{
	u8 fifo = KORACLE_K, lifo = KORACLE_K, last = enc->nrun - 1;
	int idle = enc->idle;
	s32 cur = enc->cur_pid, prev = enc->last_prev;
	u32 m, cand = enc->runmask;

	memcpy(out->ev, enc->evf, sizeof(out->ev));
	memcpy(out->slot_pid, enc->pid, sizeof(out->slot_pid));
	if (idle >= 0 && cur != 0) {
		cand |= 1U << idle;
		koracle_candidate(enc, idle, KORACLE_SS_IDLE, now, cur, prev,
				  out->slot[idle]);
	}
	for (m = enc->runmask; m; m &= m - 1) {
		u8 j = koracle_ctz(m);
		u8 pos = enc->slots[enc->idx[j]].fifo;

		koracle_candidate(enc, j, KORACLE_SS_RUNNABLE, now, cur, prev,
				  out->slot[j]);
		if (pos == 0)
			fifo = j;
		if (pos == last)
			lifo = j;
	}
	out->cand = cand;
	out->sel_pick = koracle_rules_pick(&enc->rules, out->slot_pid, fifo,
					   lifo, out->rule_pick);
	koracle_rule_bits(out, cand);
	out->coverage_hint = enc->nocc;
}

void koracle_feat_complete(struct koracle_feat *f)
{
	u8 j;

	for (j = 0; j < KORACLE_K; j++) {
		if (f->cand >> j & 1)
			continue;
		memcpy(f->slot[j], koracle_masked_row, KORACLE_SF_COUNT);
		f->slot[j][KORACLE_SF_MRU] = j;
	}
	koracle_rule_bits(f, (u16)~f->cand);
}

void koracle_enc_peek(const struct koracle_enc *enc, u64 now_ns,
		      struct koracle_feat *out)
{
	koracle_snapshot(enc, now_ns, out);
}

/* Class of @pid in @f's snapshot: its slot, or KORACLE_K. */
static u8 koracle_class_of(const struct koracle_feat *f, s32 pid)
{
	u8 i;

	if (pid < 0)
		return KORACLE_K;
	for (i = 0; i < KORACLE_K; i++)
		if (f->slot_pid[i] == pid)
			return i;
	return KORACLE_K;
}

/*
 * prev's switch-out, then next's switch-in; next was at MRU position @in
 * (KORACLE_K: not in the list) before prev's.
 */
static void koracle_apply_switch(struct koracle_enc *enc,
				 const struct koracle_event *ev, u8 pclass,
				 u8 in)
{
	s32 prev = ev->prev_pid, next = ev->next_pid;
	struct koracle_slot *s;
	int i;

	if (prev >= 0) {
		if (pclass == KORACLE_PC_DEAD) {
			koracle_remove(enc, prev);
		} else {
			s = koracle_touch(enc, prev);
			koracle_kernel_info(enc, s, ev);	/* prev's vruntime */
			if (pclass == KORACLE_PC_PREEMPTED)
				koracle_set_runnable(enc, s, prev, ev->ts_ns, -1);
			else
				koracle_run_clear(enc, s, 0);
		}
	}
	if (next >= 0) {
		/*
		 * prev usually ran from slot 0, so next has not moved: skip
		 * the second search of the list.
		 */
		i = in < enc->nocc && enc->pid[in] == next ? in :
		    koracle_find(enc, next);
		koracle_run_clear(enc, koracle_touch_at(enc, next, i), 0);
	}
	enc->cur_pid = next;
	enc->last_prev = prev;
}

static bool koracle_switch(struct koracle_enc *enc,
			   const struct koracle_event *ev, u8 *label)
{
	u8 pclass = koracle_prev_class(ev), dt = 0, in_slot;
	bool point = enc->have_prev;
	int i;

	enc->stats.switches++;
	if (enc->cur_pid >= 0 && ev->prev_pid != enc->cur_pid)
		enc->stats.chain_breaks++;
	i = koracle_find(enc, ev->next_pid);
	in_slot = i < 0 ? KORACLE_K : (u8)i;
	if (point && enc->horizon == KORACLE_HZ_CURRENT) {
		koracle_snapshot(enc, ev->ts_ns, &enc->point);
		*label = in_slot;	/* the snapshot is the list now */
	} else if (point) {
		*label = koracle_class_of(&enc->point, ev->next_pid);
	}
	koracle_rules_update(&enc->rules, point ? enc->point.rule_pick : NULL,
			     point ? *label : KORACLE_LABEL_NA, ev->next_pid);
	if (enc->last_switch_ns)
		dt = koracle_time_bucket(ev->ts_ns > enc->last_switch_ns ?
					 ev->ts_ns - enc->last_switch_ns : 0);
	enc->last_switch_ns = ev->ts_ns;
	koracle_apply_switch(enc, ev, pclass, in_slot);

	enc->evf[KORACLE_EF_IN_SLOT] = in_slot;
	enc->evf[KORACLE_EF_PREV_STATE] = pclass;
	enc->evf[KORACLE_EF_DT] = dt;
	enc->evf[KORACLE_EF_COMM] = enc->no_comm ? 0 :
				    koracle_comm_hash(ev->comm) &
				    (KORACLE_COMM_BUCKETS - 1);
	enc->evf[KORACLE_EF_NRUN] = enc->nrun;
	enc->evf[KORACLE_EF_SEL_RULE] = enc->rules.selected;
	enc->evf[KORACLE_EF_SEL_HITS] = koracle_rules_sel_eighths(&enc->rules);
	enc->have_prev = 1;
	if (enc->horizon == KORACLE_HZ_LEAD)
		koracle_snapshot(enc, ev->ts_ns, &enc->point);
	return point;
}

/* A task woken (or created) onto this CPU. */
static void koracle_wakeup(struct koracle_enc *enc,
			   const struct koracle_event *ev)
{
	s32 pid = ev->next_pid;
	struct koracle_slot *s = koracle_touch(enc, pid);

	if (ev->type == KORACLE_EV_WAKEUP_NEW && s->runnable) {
		/* a reused pid: nothing of the old task carries over */
		koracle_run_clear(enc, s, 0);
		koracle_slot_clear(s);
	}
	koracle_kernel_info(enc, s, ev);
	/* a wakeup of the running task does not make it wait */
	if (pid != enc->cur_pid)
		koracle_set_runnable(enc, s, pid, ev->ts_ns, ev->prev_pid);
}

bool koracle_enc_event(struct koracle_enc *enc, const struct koracle_event *ev,
		       u8 *label)
{
	u16 cpu = ev->cpu;
	struct koracle_slot *s;

	enc->stats.events++;
	switch (ev->type) {
	case KORACLE_EV_SWITCH:
		return koracle_switch(enc, ev, label);
	case KORACLE_EV_WAKEUP:
	case KORACLE_EV_WAKEUP_NEW:
		if (ev->dest_cpu == cpu && ev->next_pid >= 0)
			koracle_wakeup(enc, ev);
		break;
	case KORACLE_EV_MIGRATE:
		if (ev->orig_cpu == ev->dest_cpu || ev->next_pid < 0)
			break;
		if (ev->dest_cpu == cpu) {
			/* a task only moves while queued: it waits here now */
			s = koracle_touch(enc, ev->next_pid);
			koracle_kernel_info(enc, s, ev);
			if (ev->next_pid != enc->cur_pid)
				koracle_set_runnable(enc, s, ev->next_pid,
						     ev->ts_ns, -1);
		} else if (ev->orig_cpu == cpu) {
			koracle_remove(enc, ev->next_pid);
		}
		break;
	case KORACLE_EV_EXIT:
		koracle_remove(enc, ev->next_pid);
		break;
	case KORACLE_EV_LOST:
		enc->stats.lost += ev->vruntime;
		enc->have_prev = 0;
		enc->cur_pid = -1;
		enc->last_prev = -1;
		enc->last_switch_ns = 0;
		koracle_rules_forget(&enc->rules);
		break;
	default:
		break;
	}
	return false;
}
