// SPDX-License-Identifier: GPL-2.0
/*
 * Live next-task prediction, per CPU (DESIGN.md, "What is predicted").
 *
 * Every event of CPU c's stream goes through c's predictor
 * (shared/predictor.h: encoder, rules, selector, model, gate, scoring) under
 * c's stream lock, in the critical section that also appends it to c's ring
 * (stream.c), so the predictor sees exactly the ring order and a collected
 * trace replays bit for bit in userspace. Everything here runs under that
 * lock but the lockless counter reads.
 *
 * At a SWITCH the prediction that stood just before it (the list after
 * every event since the previous switch) is scored and written into the
 * record; the model's context then advances by the switch. Between switches
 * nothing is predicted: next_pid forms the prediction from the state as it
 * stands when it is read (koracle_predict_peek()), so it is always current
 * and costs nothing until someone asks.
 *
 * Predictors are about 4.7 KB each, so they are allocated once per possible
 * CPU at init. Nothing in the event path allocates, sleeps, prints or wakes
 * anyone.
 */
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "koracle.h"
#include "predictor.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * The cost histograms time one switch in KORACLE_LAT_SAMPLE: each timing
 * costs clock reads in the scheduler, and a sample of every sixteenth
 * switch has the same shape as the whole.
 */
#define KORACLE_LAT_SAMPLE	16	/* power of two */

static DEFINE_PER_CPU(struct koracle_predictor *, koracle_preds);
static DEFINE_PER_CPU(u32, koracle_lat_tick);	/* switches; the CPU's lock */

static struct koracle_predictor *koracle_pred(unsigned int cpu)
{
	return per_cpu(koracle_preds, cpu);
}

/*
 * Apply @e to @cpu's predictor; at a SWITCH, score, advance the model and
 * fill @e's prediction fields. Caller holds @cpu's stream lock (irqs off).
 */
void koracle_predict_event(unsigned int cpu, struct koracle_event *e)
{
	struct koracle_predictor *p = koracle_pred(cpu);
	u32 *tick = per_cpu_ptr(&koracle_lat_tick, cpu);
	const struct koracle_qmodel *m;
	u8 slot = KORACLE_SLOT_NONE, pub;
	u64 start = 0, end = 0;	/* ns, local_clock() */
	bool sample;
	void *state;

	m = koracle_model_get(cpu, &state);
	if (!koracle_predictor_encode(p, m, e))
		return;
	/* one call site per part: they are inline (predictor.h) */
	sample = !(++*tick % KORACLE_LAT_SAMPLE);
	if (sample && m)
		start = local_clock();
	if (m)
		slot = koracle_predictor_model(p, m, state);
	if (sample) {
		end = local_clock();
		if (m)
			koracle_latency_add(cpu, KORACLE_LAT_STEP, end - start);
	}
	pub = koracle_predictor_publish(p, slot, e);
	/*
	 * The stream's timestamp, taken just before the encoder ran, starts
	 * the switch's measurement: one clock read fewer in the scheduler. It
	 * can lie ahead of this CPU's clock by cross-CPU skew (stream.c):
	 * clamp to 0.
	 */
	if (sample)
		koracle_latency_add(cpu, KORACLE_LAT_SWITCH,
				    end - min(end, e->ts_ns));
	if (e->flags & KORACLE_RF_PRED)
		trace_koracle_switch(cpu, &p->enc.point, e, pub);
}

/*
 * Restart @cpu's predictor from an empty list: encoder, gate, model state.
 * The counters stay. Caller holds @cpu's stream lock.
 */
void koracle_predict_reset(unsigned int cpu)
{
	koracle_predictor_init(koracle_pred(cpu));
	koracle_model_reset_state(cpu);
}

/* Restart @cpu's counters and gate. Caller holds @cpu's stream lock. */
void koracle_predict_zero(unsigned int cpu)
{
	koracle_predictor_zero(koracle_pred(cpu));
}

/* Lockless snapshot; each counter is exact, the four need not agree. */
void koracle_predict_counts(unsigned int cpu, struct koracle_pred_counts *c)
{
	struct koracle_predictor *p = koracle_pred(cpu);

	c->predictions = READ_ONCE(p->n.predictions);
	c->hits = READ_ONCE(p->n.hits);
	c->baseline_hits = READ_ONCE(p->n.baseline_hits);
	c->published_hits = READ_ONCE(p->n.published_hits);
}

/*
 * @cpu's prediction at @now_ns (the stream's clock), -1 none; @snap holds
 * the list as it stands. Caller holds @cpu's stream lock.
 */
s32 koracle_predict_peek(unsigned int cpu, u64 now_ns, struct koracle_feat *snap)
{
	const struct koracle_qmodel *m;
	void *state;

	m = koracle_model_get(cpu, &state);
	return koracle_predictor_peek(koracle_pred(cpu), m, state, now_ns, snap);
}

/* Called after the probes are gone (or before they came). */
void koracle_predict_exit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		kfree(per_cpu(koracle_preds, cpu));
		per_cpu(koracle_preds, cpu) = NULL;
	}
}

int koracle_predict_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct koracle_predictor *p;

		p = kzalloc_node(sizeof(*p), GFP_KERNEL, cpu_to_node(cpu));
		if (!p)
			goto err_free_predictors;
		koracle_predictor_init(p);
		per_cpu(koracle_preds, cpu) = p;
	}
	return 0;

err_free_predictors:
	koracle_predict_exit();
	return -ENOMEM;
}
