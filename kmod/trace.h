/* SPDX-License-Identifier: GPL-2.0 */
/*
 * koracle's own trace events (samples/trace_events): one per scored switch,
 * so perf, trace-cmd and bpftrace see the predictions with no extra tool:
 *
 *   trace-cmd record -e koracle:koracle_switch
 *   perf record -e koracle:koracle_switch -a
 *   bpftrace -e 'tracepoint:koracle:koracle_switch { @[args->hit] = count(); }'
 *
 * A disabled event is a static branch in the probe; the pids are looked up
 * only when it is enabled (TP_fast_assign).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM koracle

#ifndef KORACLE_TRACE_PID_ONCE
#define KORACLE_TRACE_PID_ONCE

#include "features.h"
#include "record.h"

/* pid of @slot in @f's snapshot, -1 for none */
static inline int koracle_trace_pid(const struct koracle_feat *f, u8 slot)
{
	return slot < KORACLE_K ? f->slot_pid[slot] : -1;
}
#endif

#if !defined(_KORACLE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KORACLE_TRACE_H

#include <linux/tracepoint.h>

/*
 * A switch on @cpu to @e->next_pid, scored: the pid next_pid published just
 * before it (the gate's pick @pub), the model's and the selector's picks in
 * the same snapshot @f (pid -1: no pick, or no model).
 */
TRACE_EVENT(koracle_switch,
	    TP_PROTO(unsigned int cpu, const struct koracle_feat *f,
		     const struct koracle_event *e, u8 pub),
	    TP_ARGS(cpu, f, e, pub),
	    TP_STRUCT__entry(__field(unsigned int, cpu)
			     __field(int, published)
			     __field(int, model)
			     __field(int, selector)
			     __field(int, next)
			     __field(bool, hit)),
	    TP_fast_assign(__entry->cpu = cpu;
			   __entry->published = koracle_trace_pid(f, pub);
			   __entry->model = e->pred_pid;
			   __entry->selector = koracle_trace_pid(f, e->base_slot);
			   __entry->next = e->next_pid;
			   __entry->hit = __entry->published == e->next_pid;),
	    TP_printk("cpu=%u published=%d model=%d selector=%d next=%d hit=%d",
		      __entry->cpu, __entry->published, __entry->model,
		      __entry->selector, __entry->next, __entry->hit)
);

#endif /* _KORACLE_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
