// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduler tracepoint probes: turn sched_switch, sched_wakeup,
 * sched_wakeup_new, sched_migrate_task and sched_process_exit into events of
 * the streams of the CPUs whose state they change (shared/record.h says
 * which fields mean what per type). Each stream feeds that CPU's predictor
 * and, while a session runs, its ring (stream.c).
 *
 * The sched tracepoints are not exported to modules, so they are looked up by
 * name with for_each_kernel_tracepoint() and attached with
 * tracepoint_probe_register() (samples/trace_events/trace_custom_sched.c).
 *
 * The probes run inside the scheduler (rq locks held, often irqs off): they
 * never allocate, sleep, print, send or wake anything. They are attached
 * only while /sys/kernel/koracle/enabled is 1: disabled, the scheduler runs
 * no koracle code at all.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "koracle.h"
#include "compat.h"

/*
 * The ftrace report bits of the outgoing task, as __trace_sched_switch_state()
 * computes them: 0 for running, 1 << (index - 1) for the others ("S" == 1,
 * "D" == 2, ...). A preempted task is reported running, with
 * KORACLE_RF_PREEMPT in the record's flags (ftrace's "R+").
 */
static u32 koracle_switch_state(bool preempt, unsigned int prev_state,
				const struct task_struct *prev)
{
	unsigned int idx;

	if (preempt)
		return KORACLE_PS_R;
	idx = __task_state_index(prev_state, prev->exit_state);
	return idx ? 1U << (idx - 1) : KORACLE_PS_R;
}

/* Fill the fields that describe task @p (comm, prio, vruntime, weight). */
static void koracle_describe(struct koracle_event *e,
			     const struct task_struct *p)
{
	BUILD_BUG_ON(KORACLE_COMM_LEN != TASK_COMM_LEN);

	memcpy(e->comm, p->comm, KORACLE_COMM_LEN);
	e->prio = p->prio;
	e->vruntime = p->se.vruntime;
	e->weight = koracle_task_weight(p);
	e->flags |= KORACLE_RF_KERNEL;
}

static void koracle_on_switch(bool preempt, struct task_struct *prev,
			      struct task_struct *next,
			      unsigned int prev_state)
{
	struct koracle_event e = {};

	e.type = KORACLE_EV_SWITCH;
	e.prev_pid = prev->pid;
	e.next_pid = next->pid;
	e.prev_state = koracle_switch_state(preempt, prev_state, prev);
	if (preempt)
		e.flags |= KORACLE_RF_PREEMPT;
	koracle_describe(&e, next);
	/* a preempted prev waits with the vruntime it leaves with */
	e.vruntime = prev->se.vruntime;
	e.weight = koracle_task_weight(prev);
	koracle_stream_put(smp_processor_id(), &e);
}

/* A wakeup changes the target CPU's state: it goes into the target's ring. */
static void koracle_wakeup(struct task_struct *p, u8 type)
{
	struct koracle_event e = {};
	unsigned int target = task_cpu(p);

	e.type = type;
	e.prev_pid = current->pid;	/* the waker (0: idle or an irq on it) */
	e.next_pid = p->pid;
	e.orig_cpu = smp_processor_id();
	e.dest_cpu = target;
	koracle_describe(&e, p);
	koracle_stream_put(target, &e);
}

static void koracle_probe_wakeup(void *data, struct task_struct *p)
{
	koracle_wakeup(p, KORACLE_EV_WAKEUP);
}

static void koracle_probe_wakeup_new(void *data, struct task_struct *p)
{
	koracle_wakeup(p, KORACLE_EV_WAKEUP_NEW);
}

/*
 * A migration changes two CPUs' candidate lists, so it is written to both
 * streams: two separate critical sections, never nested (a nested pair of
 * ring locks would need a lock order).
 */
static void koracle_probe_migrate(void *data, struct task_struct *p,
				  int dest_cpu)
{
	struct koracle_event e = {};
	unsigned int src = task_cpu(p);

	e.type = KORACLE_EV_MIGRATE;
	e.next_pid = p->pid;
	e.orig_cpu = src;
	e.dest_cpu = dest_cpu;
	koracle_describe(&e, p);
	koracle_stream_put(src, &e);
	if ((unsigned int)dest_cpu != src)
		koracle_stream_put(dest_cpu, &e);
}

static void koracle_probe_exit(void *data, struct task_struct *p)
{
	struct koracle_event e = {};

	e.type = KORACLE_EV_EXIT;
	e.next_pid = p->pid;
	memcpy(e.comm, p->comm, KORACLE_COMM_LEN);
	koracle_stream_put(smp_processor_id(), &e);
}

struct koracle_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;	/* found by name at init */
};

static struct koracle_tp koracle_tps[] = {
	{ .name = "sched_switch", .probe = koracle_probe_switch },
	{ .name = "sched_wakeup", .probe = koracle_probe_wakeup },
	{ .name = "sched_wakeup_new", .probe = koracle_probe_wakeup_new },
	{ .name = "sched_migrate_task", .probe = koracle_probe_migrate },
	{ .name = "sched_process_exit", .probe = koracle_probe_exit },
};

static void koracle_tp_lookup(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(koracle_tps); i++)
		if (!strcmp(tp->name, koracle_tps[i].name))
			koracle_tps[i].tp = tp;
}

static bool koracle_attached;	/* callers serialize: genl.c's session lock */

static void koracle_tp_unregister(unsigned int n)
{
	while (n--)
		WARN_ON_ONCE(tracepoint_probe_unregister(koracle_tps[n].tp,
							 koracle_tps[n].probe,
							 NULL));
	/* No probe may still run (or be about to) once this returns. */
	tracepoint_synchronize_unregister();
}

/* Attach every probe, or none (the error). Process context; may sleep. */
int koracle_hooks_attach(void)
{
	unsigned int i;
	int ret;

	if (koracle_attached)
		return 0;
	for (i = 0; i < ARRAY_SIZE(koracle_tps); i++) {
		ret = tracepoint_probe_register(koracle_tps[i].tp,
						koracle_tps[i].probe, NULL);
		if (ret) {
			pr_err("attaching to tracepoint %s: error %d\n",
			       koracle_tps[i].name, ret);
			goto err_unregister;
		}
	}
	koracle_attached = true;
	return 0;

err_unregister:
	koracle_tp_unregister(i);
	return ret;
}

/* Detach every probe; when this returns none runs any more. May sleep. */
void koracle_hooks_detach(void)
{
	if (!koracle_attached)
		return;
	koracle_tp_unregister(ARRAY_SIZE(koracle_tps));
	koracle_attached = false;
}

/* Find the tracepoints; nothing is attached yet. */
int koracle_hooks_init(void)
{
	unsigned int i;

	koracle_attached = false;
	for (i = 0; i < ARRAY_SIZE(koracle_tps); i++)
		koracle_tps[i].tp = NULL;
	for_each_kernel_tracepoint(koracle_tp_lookup, NULL);
	for (i = 0; i < ARRAY_SIZE(koracle_tps); i++) {
		if (!koracle_tps[i].tp) {
			pr_err("tracepoint %s not found in this kernel\n",
			       koracle_tps[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

void koracle_hooks_exit(void)
{
	koracle_hooks_detach();
}
