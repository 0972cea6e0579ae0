/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The event record: one scheduler event as the module's per-CPU rings, the
 * netlink batches and trace files carry it. Fixed size (64 bytes), little
 * endian on every wire and in every file, versioned by KORACLE_REC_VERSION.
 *
 * A record belongs to exactly one CPU's stream (@cpu): the CPU whose candidate
 * list the event changes (DESIGN.md, "Exact replay"). A migration changes two
 * lists, so it is stored twice: once in the source CPU's stream and once in
 * the destination's, with the same @orig_cpu/@dest_cpu in both.
 *
 * Field meaning by @type (unused fields are zero):
 *
 *   SWITCH      @cpu switched from @prev_pid to @next_pid. @prev_state is the
 *               outgoing task's state (KORACLE_PS_*), KORACLE_RF_PREEMPT set
 *               when it was preempted (ftrace's "R+"). @comm/@prio describe
 *               the incoming task; @vruntime/@weight the outgoing one, as it
 *               leaves the CPU: a preempted task waits with exactly that
 *               vruntime, which is what ranks it among the runnable ones.
 *   WAKEUP      @next_pid was woken onto @dest_cpu (== @cpu) by @prev_pid,
 *   WAKEUP_NEW  the task running on @orig_cpu (the waker's CPU). @comm, @prio,
 *               @vruntime and @weight describe the woken task.
 *   MIGRATE     @next_pid moved from @orig_cpu to @dest_cpu; @cpu is one of
 *               the two. @comm/@prio/@vruntime/@weight describe the task.
 *   EXIT        @next_pid (running on @cpu) exited. @comm is its name.
 *   LOST        Not an event: @lost records of @cpu's stream were dropped
 *               here (ring full or consumer too slow). Written by collectors
 *               so that a trace file never hides a loss.
 *
 * @vruntime and @weight are only known to the module (KORACLE_RF_KERNEL);
 * imported traces leave them zero. A SWITCH record written by the module
 * (every one but a CPU's first) carries the prediction for this switch as it
 * stood just before it (KORACLE_RF_PRED): @pred_slot/@base_slot the slots
 * chosen by the model (KORACLE_SLOT_NONE without a model) and by the rule
 * selector (KORACLE_K: none), @pred_pid the model's task (-1 none).
 */
#ifndef KORACLE_RECORD_H
#define KORACLE_RECORD_H

#include "koracle_types.h"

#define KORACLE_REC_VERSION	1
#define KORACLE_REC_SIZE	64
#define KORACLE_COMM_LEN	16	/* == TASK_COMM_LEN */
#define KORACLE_SLOT_NONE	0xff

enum koracle_rec_type {
	KORACLE_EV_SWITCH	= 1,
	KORACLE_EV_WAKEUP	= 2,
	KORACLE_EV_WAKEUP_NEW	= 3,
	KORACLE_EV_MIGRATE	= 4,
	KORACLE_EV_EXIT		= 5,
	KORACLE_EV_LOST		= 6,
	KORACLE_EV_MAX		= KORACLE_EV_LOST,
};

/* @flags */
#define KORACLE_RF_PREEMPT	0x01	/* SWITCH: prev was preempted ("R+") */
#define KORACLE_RF_KERNEL	0x02	/* @vruntime/@weight are valid */
#define KORACLE_RF_PRED		0x04	/* SWITCH: @pred_* are valid */
#define KORACLE_RF_SYNC		0x08	/* reserved: synchronous wakeup */

/*
 * @prev_state: ftrace's report bits, so "S" == KORACLE_PS_S and a running or
 * preempted task is 0 ("R"). Combinations ("D|K" style) keep every bit.
 */
#define KORACLE_PS_R	0x000
#define KORACLE_PS_S	0x001
#define KORACLE_PS_D	0x002
#define KORACLE_PS_T	0x004
#define KORACLE_PS_t	0x008
#define KORACLE_PS_X	0x010
#define KORACLE_PS_Z	0x020
#define KORACLE_PS_P	0x040
#define KORACLE_PS_I	0x080

struct koracle_rec {
	__le64 ts_ns;		/* event time, ns (local_clock / trace clock) */
	__le64 vruntime;	/* LOST: number of records lost; else ns */
	__le32 prev_pid;	/* see above; -1 when unknown */
	__le32 next_pid;
	__le32 weight;		/* load weight (NICE_0 == 1024 scale), 0 unknown */
	__le32 prev_state;	/* KORACLE_PS_* bits */
	__le32 pred_pid;	/* KORACLE_RF_PRED: model's predicted pid */
	__le16 cpu;		/* stream this record belongs to */
	__le16 orig_cpu;
	__le16 dest_cpu;
	__le16 prio;		/* kernel prio of the described task, 0..139 */
	__u8 type;		/* enum koracle_rec_type */
	__u8 flags;		/* KORACLE_RF_* */
	__u8 pred_slot;
	__u8 base_slot;
	char comm[KORACLE_COMM_LEN];	/* NUL padded, not always terminated */
} __packed __aligned(8);

static_assert(sizeof(struct koracle_rec) == KORACLE_REC_SIZE,
	      "struct koracle_rec is part of the ABI");

/* Host-order view used by all computation; decoded once from the wire. */
struct koracle_event {
	u64 ts_ns;
	u64 vruntime;		/* LOST: count */
	s32 prev_pid;
	s32 next_pid;
	u32 weight;
	u32 prev_state;
	s32 pred_pid;
	u16 cpu;
	u16 orig_cpu;
	u16 dest_cpu;
	u16 prio;
	u8 type;
	u8 flags;
	u8 pred_slot;
	u8 base_slot;
	char comm[KORACLE_COMM_LEN];
};

static inline void koracle_rec_encode(struct koracle_rec *r,
				      const struct koracle_event *e)
{
	r->ts_ns = koracle_le64(e->ts_ns);
	r->vruntime = koracle_le64(e->vruntime);
	r->prev_pid = koracle_le32((u32)e->prev_pid);
	r->next_pid = koracle_le32((u32)e->next_pid);
	r->weight = koracle_le32(e->weight);
	r->prev_state = koracle_le32(e->prev_state);
	r->pred_pid = koracle_le32((u32)e->pred_pid);
	r->cpu = koracle_le16(e->cpu);
	r->orig_cpu = koracle_le16(e->orig_cpu);
	r->dest_cpu = koracle_le16(e->dest_cpu);
	r->prio = koracle_le16(e->prio);
	r->type = e->type;
	r->flags = e->flags;
	r->pred_slot = e->pred_slot;
	r->base_slot = e->base_slot;
	memcpy(r->comm, e->comm, KORACLE_COMM_LEN);
}

static inline void koracle_rec_decode(struct koracle_event *e,
				      const struct koracle_rec *r)
{
	e->ts_ns = koracle_from_le64(r->ts_ns);
	e->vruntime = koracle_from_le64(r->vruntime);
	e->prev_pid = (s32)koracle_from_le32(r->prev_pid);
	e->next_pid = (s32)koracle_from_le32(r->next_pid);
	e->weight = koracle_from_le32(r->weight);
	e->prev_state = koracle_from_le32(r->prev_state);
	e->pred_pid = (s32)koracle_from_le32(r->pred_pid);
	e->cpu = koracle_from_le16(r->cpu);
	e->orig_cpu = koracle_from_le16(r->orig_cpu);
	e->dest_cpu = koracle_from_le16(r->dest_cpu);
	e->prio = koracle_from_le16(r->prio);
	e->type = r->type;
	e->flags = r->flags;
	e->pred_slot = r->pred_slot;
	e->base_slot = r->base_slot;
	memcpy(e->comm, r->comm, KORACLE_COMM_LEN);
}

#endif /* KORACLE_RECORD_H */
