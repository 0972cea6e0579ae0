/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that depends on the kernel version or on scheduler internals
 * lives here, so hooks.c reads the same on every kernel. Included by hooks.c
 * only: it defines the tracepoint probe entry points, whose prototypes must
 * match the running kernel's TP_PROTO exactly (a mismatch is not caught by
 * the compiler, tracepoint_probe_register() takes a void *).
 */
#ifndef KORACLE_COMPAT_H
#define KORACLE_COMPAT_H

#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/version.h>

/* Implemented in hooks.c; the version-specific wrappers below call it. */
static void koracle_on_switch(bool preempt, struct task_struct *prev,
			      struct task_struct *next,
			      unsigned int prev_state);

/*
 * The module needs 5.18 or later: sched_switch passes the state sampled
 * before the switch from 5.18 on (fa2c3254d7cf), and the netlink family
 * uses fields older kernels lack. Only 6.1 is built and tested.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 18, 0)
#error "koracle needs Linux 5.18 or later"
#endif
static void koracle_probe_switch(void *data, bool preempt,
				 struct task_struct *prev,
				 struct task_struct *next,
				 unsigned int prev_state)
{
	koracle_on_switch(preempt, prev, next, prev_state);
}

/*
 * kernel/sched/sched.h's scale_load_down(), private to the scheduler: on
 * 64-bit kernels se.load.weight carries SCHED_FIXEDPOINT_SHIFT extra bits of
 * resolution; the record stores the familiar NICE_0 == 1024 scale.
 */
static inline u32 koracle_task_weight(const struct task_struct *p)
{
	unsigned long w = p->se.load.weight;

#ifdef CONFIG_64BIT
	if (w)
		w = max(2UL, w >> SCHED_FIXEDPOINT_SHIFT);
#endif
	return (u32)w;
}

#endif /* KORACLE_COMPAT_H */
