// SPDX-License-Identifier: GPL-2.0
/*
 * Live next-task prediction, per CPU (DESIGN.md, "What is predicted").
 *
 * Every event of CPU c's stream goes through c's feature encoder
 * (shared/features.c) under c's stream lock, in the critical section that
 * also appends it to c's ring (ring.c), so the encoder sees exactly the ring
 * order. At a SWITCH the encoder returns the feature tuple for the coming
 * switch and the label of this one (the slot its incoming task held in the
 * previous tuple). Then, in order:
 *
 *   1. score the predictions left by the previous switch against the label:
 *      predictions++, and if the label is a slot (< K) hits++ when the
 *      model's slot equals it, baseline_hits++ when the selector's does,
 *      published_hits++ when the published one (step 3) does: the accuracy
 *      of next_pid itself, equal to baseline_hits without a model;
 *   2. run the model step, if a model is loaded (model.c);
 *   3. publish the CPU's prediction: with a model, the gate's choice
 *      (shared/gate.h: the model's slot or the selector's, whichever hit
 *      more over the last KORACLE_GATE_WINDOW scored switches; what
 *      `koracle eval` scores as the kernel's), else the selector's;
 *   4. write both raw slots into the SWITCH record (KORACLE_RF_PRED).
 *
 * Encoders are about 5 KB each, so they are allocated once per possible CPU
 * at init; everything else here is small per-CPU data. Nothing in the event
 * path allocates, sleeps, prints or wakes anyone.
 */
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "koracle.h"
#include "features.h"
#include "gate.h"

/*
 * One CPU's predictor. Written under the CPU's stream lock; @next_pid and
 * @n are also read locklessly (READ_ONCE) by sysfs.
 */
struct koracle_pred {
	struct koracle_enc *enc;	/* this CPU's encoder */
	u8 pred_slot;		/* model's slot for the coming switch, or
				 * KORACLE_SLOT_NONE (no model)
				 */
	u8 base_slot;		/* selector's slot, KORACLE_K none,
				 * KORACLE_SLOT_NONE before the first switch
				 */
	u8 pub_slot;		/* the gate's pick, which @next_pid names;
				 * values as @base_slot
				 */
	s32 next_pid;		/* published prediction, -1 none */
	struct koracle_gate gate;	/* model vs selector, since the last
					 * reset or upload
					 */
	struct koracle_pred_counts n;	/* since load or the last upload */
	struct koracle_feat f;	/* scratch for the tuple: keeps ~240 bytes
				 * off the scheduler's stack
				 */
};

static DEFINE_PER_CPU(struct koracle_pred, koracle_preds);

static struct koracle_pred *koracle_pred(unsigned int cpu)
{
	return per_cpu_ptr(&koracle_preds, cpu);
}

/* Task in @slot of tuple @f, or -1 for "none of them". */
static s32 koracle_slot_pid(const struct koracle_feat *f, u8 slot)
{
	return slot < KORACLE_K ? f->slot_pid[slot] : -1;
}

static void koracle_score(struct koracle_pred *p, u8 label)
{
	if (label == KORACLE_LABEL_NA)
		return;
	WRITE_ONCE(p->n.predictions, p->n.predictions + 1);
	if (label >= KORACLE_K)
		return;
	if (p->pred_slot == label)
		WRITE_ONCE(p->n.hits, p->n.hits + 1);
	if (p->base_slot == label)
		WRITE_ONCE(p->n.baseline_hits, p->n.baseline_hits + 1);
	if (p->pub_slot == label)
		WRITE_ONCE(p->n.published_hits, p->n.published_hits + 1);
}

/*
 * Apply @e to @cpu's encoder; at a SWITCH, score, predict, publish and fill
 * @e's prediction fields. Caller holds @cpu's stream lock (irqs off).
 */
void koracle_predict_event(unsigned int cpu, struct koracle_event *e)
{
	struct koracle_pred *p = koracle_pred(cpu);
	struct koracle_feat *f = &p->f;
	u8 label, slot;
	u64 end = 0;	/* ns, local_clock() after the step, 0 not taken */
	s32 pid;

	/* true at a SWITCH only: the tuple and label are filled */
	if (!koracle_enc_event(p->enc, e, f, &label))
		return;
	koracle_score(p, label);
	koracle_gate_score(&p->gate, p->pred_slot, p->base_slot, label);
	slot = koracle_model_step(cpu, f, &end);
	/*
	 * The stream's timestamp, taken just before the encoder ran, starts
	 * the measurement: one clock read fewer in the scheduler. It can lie
	 * ahead of this CPU's clock by cross-CPU skew (ring.c): clamp to 0.
	 */
	if (!end)
		end = local_clock();
	koracle_latency_add(cpu, KORACLE_LAT_SWITCH,
			    end - min(end, e->ts_ns));

	p->pred_slot = slot;
	p->base_slot = f->sel_pick;
	pid = koracle_slot_pid(f, slot);
	/* no model: the gate takes the selector's */
	p->pub_slot = koracle_gate_choose(&p->gate, slot, f->sel_pick);
	WRITE_ONCE(p->next_pid, koracle_slot_pid(f, p->pub_slot));

	e->flags |= KORACLE_RF_PRED;
	e->pred_slot = slot;
	e->base_slot = f->sel_pick;
	e->pred_pid = pid;
}

/*
 * Restart @cpu's predictor from an empty list: encoder, model state, pending
 * predictions. The counters stay. Caller holds @cpu's stream lock.
 */
void koracle_predict_reset(unsigned int cpu)
{
	struct koracle_pred *p = koracle_pred(cpu);

	koracle_enc_init(p->enc);
	koracle_gate_init(&p->gate);
	koracle_model_reset_state(cpu);
	p->pred_slot = KORACLE_SLOT_NONE;
	p->base_slot = KORACLE_SLOT_NONE;
	p->pub_slot = KORACLE_SLOT_NONE;
	WRITE_ONCE(p->next_pid, -1);
}

static void koracle_predict_reset_fn(unsigned int cpu, void *arg)
{
	koracle_predict_reset(cpu);
}

void koracle_predict_reset_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		koracle_ring_call(cpu, koracle_predict_reset_fn, NULL);
}

static void koracle_zero_fn(unsigned int cpu, void *arg)
{
	struct koracle_pred *p = koracle_pred(cpu);

	WRITE_ONCE(p->n.predictions, 0);
	WRITE_ONCE(p->n.hits, 0);
	WRITE_ONCE(p->n.baseline_hits, 0);
	WRITE_ONCE(p->n.published_hits, 0);
	koracle_gate_init(&p->gate);
}

/*
 * A new model: compare it and the selector from here on, on equal terms (the
 * counters and the gate).
 */
void koracle_predict_zero_counts(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		koracle_ring_call(cpu, koracle_zero_fn, NULL);
}

/* Lockless snapshot; each counter is exact, the four need not agree. */
void koracle_predict_counts(unsigned int cpu, struct koracle_pred_counts *c)
{
	struct koracle_pred *p = koracle_pred(cpu);

	c->predictions = READ_ONCE(p->n.predictions);
	c->hits = READ_ONCE(p->n.hits);
	c->baseline_hits = READ_ONCE(p->n.baseline_hits);
	c->published_hits = READ_ONCE(p->n.published_hits);
}

s32 koracle_predict_next_pid(unsigned int cpu)
{
	return READ_ONCE(koracle_pred(cpu)->next_pid);
}

/* Called after the probes are gone (or before they came). */
void koracle_predict_exit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct koracle_pred *p = koracle_pred(cpu);

		kfree(p->enc);
		p->enc = NULL;
	}
}

int koracle_predict_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct koracle_pred *p = koracle_pred(cpu);

		memset(p, 0, sizeof(*p));
		p->enc = kmalloc_node(sizeof(*p->enc), GFP_KERNEL,
				      cpu_to_node(cpu));
		if (!p->enc)
			goto err_free_encoders;
		koracle_enc_init(p->enc);
		koracle_gate_init(&p->gate);
		p->pred_slot = KORACLE_SLOT_NONE;
		p->base_slot = KORACLE_SLOT_NONE;
		p->pub_slot = KORACLE_SLOT_NONE;
		p->next_pid = -1;
	}
	return 0;

err_free_encoders:
	koracle_predict_exit();
	return -ENOMEM;
}
