// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The per-CPU feature encoder (features.h): candidate-list bookkeeping, the
 * tuple emitted at each SWITCH, and its label.
 *
 * The list is an array in MRU order. "Touching" a task (any activity on this
 * CPU) moves it to slot 0, shifting the slots in front of it down by one; a
 * task not in the list takes slot 0 and the task in slot K-1, if any, falls
 * out. Removing a task shifts the slots behind it up. Both are O(K).
 *
 * Runnable order is kept as a sequence number taken when a slot becomes
 * runnable, not as a timestamp: a wakeup recorded on another CPU carries that
 * CPU's clock, while the order of this CPU's stream is exact (DESIGN.md,
 * "Exact replay").
 */
#include "features.h"

#define KORACLE_NICE0_WEIGHT	1024	/* sched_prio_to_weight[20] */

const u8 koracle_slot_vocab[KORACLE_SF_COUNT] = {
	[KORACLE_SF_STATE] = 4,
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

static void koracle_slot_clear(struct koracle_slot *s)
{
	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->waker = -1;
}

void koracle_enc_init(struct koracle_enc *enc)
{
	int i;

	memset(enc, 0, sizeof(*enc));
	for (i = 0; i < KORACLE_K; i++) {
		koracle_slot_clear(&enc->slots[i]);
		enc->last_pids[i] = -1;
	}
	koracle_rules_init(&enc->rules);
	enc->cur_pid = -1;
}

static int koracle_find(const struct koracle_enc *enc, s32 pid)
{
	int i;

	if (pid < 0)
		return -1;
	for (i = 0; i < KORACLE_K; i++)
		if (enc->slots[i].pid == pid)
			return i;
	return -1;
}

/* Move @pid to slot 0, inserting it (and evicting slot K-1) if absent. */
static struct koracle_slot *koracle_touch(struct koracle_enc *enc, s32 pid)
{
	struct koracle_slot keep;
	int i = koracle_find(enc, pid);

	if (i >= 0) {
		keep = enc->slots[i];
	} else {
		i = KORACLE_K - 1;
		if (enc->slots[i].pid >= 0)
			enc->stats.evictions++;
		koracle_slot_clear(&keep);
		keep.pid = pid;
	}
	memmove(&enc->slots[1], &enc->slots[0], i * sizeof(enc->slots[0]));
	enc->slots[0] = keep;
	return &enc->slots[0];
}

static void koracle_remove(struct koracle_enc *enc, s32 pid)
{
	int i = koracle_find(enc, pid);

	if (i < 0)
		return;
	memmove(&enc->slots[i], &enc->slots[i + 1],
		(KORACLE_K - 1 - i) * sizeof(enc->slots[0]));
	koracle_slot_clear(&enc->slots[KORACLE_K - 1]);
}

/* Mark runnable unless it already waits (keep its place in line) or is idle. */
static void koracle_set_runnable(struct koracle_enc *enc,
				 struct koracle_slot *s, u64 ts, s32 waker)
{
	if (s->pid == 0 || s->runnable)
		return;
	s->runnable = 1;
	s->runnable_ns = ts;
	s->run_seq = ++enc->run_seq;
	s->waker = waker;
}

static void koracle_snapshot(struct koracle_slot *s,
			     const struct koracle_event *ev)
{
	if (!(ev->flags & KORACLE_RF_KERNEL))
		return;
	s->vruntime = ev->vruntime;
	s->weight = ev->weight;
	s->has_vr = 1;
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

static u8 koracle_weight_class(const struct koracle_slot *s)
{
	if (!s->has_vr || !s->weight)
		return 0;
	if (s->weight < KORACLE_NICE0_WEIGHT)
		return 1;
	return s->weight == KORACLE_NICE0_WEIGHT ? 2 : 3;
}

/*
 * FIFO rank (oldest runnable 0) and vruntime rank of every runnable slot.
 * The runnable slots are gathered first, so the pairwise comparison costs
 * nrun^2, not K^2 (nrun is a handful on real traces).
 */
static u8 koracle_ranks(const struct koracle_enc *enc, u8 fifo[KORACLE_K],
			u8 vr[KORACLE_K])
{
	const struct koracle_slot *a, *b;
	u8 run[KORACLE_K], nrun = 0;
	int i, j;

	for (i = 0; i < KORACLE_K; i++) {
		fifo[i] = KORACLE_K;
		vr[i] = KORACLE_K;
		if (enc->slots[i].pid >= 0 && enc->slots[i].runnable)
			run[nrun++] = (u8)i;
	}
	for (i = 0; i < nrun; i++) {
		a = &enc->slots[run[i]];
		fifo[run[i]] = 0;
		vr[run[i]] = a->has_vr ? 0 : KORACLE_K;
		for (j = 0; j < nrun; j++) {
			b = &enc->slots[run[j]];
			if (j == i)
				continue;
			/* sequence numbers wrap: compare their difference */
			if ((s32)(b->run_seq - a->run_seq) < 0)
				fifo[run[i]]++;
			if (a->has_vr && b->has_vr &&
			    (b->vruntime < a->vruntime ||
			     (b->vruntime == a->vruntime &&
			      (s32)(b->run_seq - a->run_seq) < 0)))
				vr[run[i]]++;
		}
	}
	return nrun;
}

static void koracle_emit(struct koracle_enc *enc,
			 const struct koracle_event *ev, u8 in_slot,
			 u8 pclass, u8 dt, struct koracle_feat *out)
{
	u8 fifo[KORACLE_K], vr[KORACLE_K], pick[KORACLE_RULE_COUNT];
	u8 nrun, sel, occupied = 0, *f;
	const struct koracle_slot *s;
	u64 wait;	/* ns */
	int i, r;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < KORACLE_K; i++)
		out->slot_pid[i] = enc->slots[i].pid;
	nrun = koracle_ranks(enc, fifo, vr);
	sel = koracle_rules_predict(&enc->rules, out->slot_pid, fifo, nrun,
				    pick);

	for (i = 0; i < KORACLE_K; i++) {
		s = &enc->slots[i];
		f = out->slot[i];
		f[KORACLE_SF_MRU] = (u8)i;
		f[KORACLE_SF_FIFO] = fifo[i];
		f[KORACLE_SF_LIFO] = fifo[i] < KORACLE_K ?
				     nrun - 1 - fifo[i] : KORACLE_K;
		f[KORACLE_SF_VR_RANK] = vr[i];
		if (s->pid < 0)
			continue;
		occupied++;
		if (s->pid == enc->cur_pid)
			f[KORACLE_SF_STATE] = KORACLE_SS_CURRENT;
		else if (s->runnable)
			f[KORACLE_SF_STATE] = KORACLE_SS_RUNNABLE;
		else
			f[KORACLE_SF_STATE] = KORACLE_SS_BLOCKED;
		if (s->runnable) {
			wait = ev->ts_ns > s->runnable_ns ?
			       ev->ts_ns - s->runnable_ns : 0;
			f[KORACLE_SF_WAIT] = koracle_time_bucket(wait);
		}
		f[KORACLE_SF_WOKEN_BY_CUR] = s->waker >= 0 &&
					     s->waker == enc->cur_pid;
		f[KORACLE_SF_WOKEN_BY_PREV] = s->waker >= 0 &&
					      s->waker == ev->prev_pid;
		f[KORACLE_SF_WEIGHT] = koracle_weight_class(s);
	}
	/* rules only ever pick occupied slots */
	for (r = 0; r < KORACLE_RULE_COUNT; r++)
		if (pick[r] < KORACLE_K)
			out->slot[pick[r]][KORACLE_SF_RULES] |= 1 << r;
	if (sel < KORACLE_K)
		out->slot[sel][KORACLE_SF_RULES] |= 1 << KORACLE_SEL_BIT;

	out->ev[KORACLE_EF_IN_SLOT] = in_slot;
	out->ev[KORACLE_EF_PREV_STATE] = pclass;
	out->ev[KORACLE_EF_DT] = dt;
	out->ev[KORACLE_EF_COMM] = koracle_comm_hash(ev->comm) &
				   (KORACLE_COMM_BUCKETS - 1);
	out->ev[KORACLE_EF_NRUN] = nrun;
	out->ev[KORACLE_EF_SEL_RULE] = enc->rules.selected;
	out->ev[KORACLE_EF_SEL_HITS] = koracle_rules_sel_eighths(&enc->rules);
	memcpy(out->rule_pick, pick, sizeof(pick));
	out->sel_pick = sel;
	out->coverage_hint = occupied;
}

static u8 koracle_label(const struct koracle_enc *enc, s32 in)
{
	u8 i;

	if (!enc->have_pred)
		return KORACLE_LABEL_NA;
	if (in < 0)
		return KORACLE_K;
	for (i = 0; i < KORACLE_K; i++)
		if (enc->last_pids[i] == in)
			return i;
	return KORACLE_K;
}

static void koracle_switch(struct koracle_enc *enc,
			   const struct koracle_event *ev,
			   struct koracle_feat *out, u8 *label)
{
	s32 prev = ev->prev_pid, next = ev->next_pid;
	u8 pclass = koracle_prev_class(ev);
	struct koracle_slot *s;
	u8 in_slot, dt = 0;
	int i;

	enc->stats.switches++;
	if (enc->cur_pid >= 0 && prev != enc->cur_pid)
		enc->stats.chain_breaks++;
	*label = koracle_label(enc, next);
	i = koracle_find(enc, next);
	in_slot = i < 0 ? KORACLE_K : (u8)i;
	if (enc->last_switch_ns)
		dt = koracle_time_bucket(ev->ts_ns > enc->last_switch_ns ?
					 ev->ts_ns - enc->last_switch_ns : 0);

	/* prev's switch-out, then next's switch-in */
	if (prev >= 0) {
		if (pclass == KORACLE_PC_DEAD) {
			koracle_remove(enc, prev);
		} else {
			s = koracle_touch(enc, prev);
			koracle_snapshot(s, ev);	/* prev's vruntime */
			if (pclass == KORACLE_PC_PREEMPTED) {
				koracle_set_runnable(enc, s, ev->ts_ns, -1);
			} else {
				s->runnable = 0;
				s->waker = -1;
			}
		}
	}
	if (next >= 0) {
		s = koracle_touch(enc, next);
		s->runnable = 0;
		s->waker = -1;
	}
	enc->cur_pid = next;
	enc->last_switch_ns = ev->ts_ns;

	koracle_rules_update(&enc->rules, *label, next);
	koracle_emit(enc, ev, in_slot, pclass, dt, out);
	memcpy(enc->last_pids, out->slot_pid, sizeof(enc->last_pids));
	enc->have_pred = 1;
}

bool koracle_enc_event(struct koracle_enc *enc, const struct koracle_event *ev,
		       struct koracle_feat *out, u8 *label)
{
	u16 cpu = ev->cpu;
	struct koracle_slot *s;

	enc->stats.events++;
	switch (ev->type) {
	case KORACLE_EV_SWITCH:
		koracle_switch(enc, ev, out, label);
		return true;
	case KORACLE_EV_WAKEUP:
	case KORACLE_EV_WAKEUP_NEW:
		if (ev->dest_cpu != cpu || ev->next_pid < 0)
			break;
		s = koracle_touch(enc, ev->next_pid);
		if (ev->type == KORACLE_EV_WAKEUP_NEW && s->runnable) {
			/* a reused pid: nothing of the old task carries over */
			koracle_slot_clear(s);
			s->pid = ev->next_pid;
		}
		koracle_snapshot(s, ev);
		/* a wakeup of the running task does not make it wait */
		if (ev->next_pid != enc->cur_pid)
			koracle_set_runnable(enc, s, ev->ts_ns, ev->prev_pid);
		break;
	case KORACLE_EV_MIGRATE:
		if (ev->orig_cpu == ev->dest_cpu || ev->next_pid < 0)
			break;
		if (ev->dest_cpu == cpu) {
			/* a task only moves while queued: it waits here now */
			s = koracle_touch(enc, ev->next_pid);
			koracle_snapshot(s, ev);
			if (ev->next_pid != enc->cur_pid)
				koracle_set_runnable(enc, s, ev->ts_ns, -1);
		} else if (ev->orig_cpu == cpu) {
			koracle_remove(enc, ev->next_pid);
		}
		break;
	case KORACLE_EV_EXIT:
		koracle_remove(enc, ev->next_pid);
		break;
	case KORACLE_EV_LOST:
		enc->stats.lost += ev->vruntime;
		enc->have_pred = 0;
		enc->cur_pid = -1;
		enc->last_switch_ns = 0;
		koracle_rules_forget(&enc->rules);
		break;
	default:
		break;
	}
	return false;
}
