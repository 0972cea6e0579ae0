/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * One CPU's predictor: the whole per-event path the module's probes run
 * (DESIGN.md, "What is predicted"), kept here so that the kernel, the
 * benchmark and the tests run the same code.
 *
 * Every event of the CPU's stream goes through the feature encoder
 * (features.h: the list, the incremental ranks, the rules and their online
 * selector). At a SWITCH n that closes a prediction point, in order:
 *
 *   1. model: score the point (the list just before switch n) against the
 *      context the model built up to switch n-1 (koracle_qscore), then
 *      advance the model's context with switch n (koracle_qadvance); without
 *      a point (the CPU's first switch) only the advance runs;
 *   2. publish: the gate (gate.h) takes the model's slot or the selector's,
 *      whichever hit more lately; score all three against the slot switch n
 *      actually took: predictions++, hits (model), baseline_hits (selector),
 *      published_hits (the gate's pick: what next_pid showed just before
 *      the switch); then teach the gate;
 *   3. write both raw picks into the SWITCH record (KORACLE_RF_PRED).
 *
 * Nothing is predicted between switches: koracle_predictor_peek() forms the
 * prediction from the state as it stands whenever it is read, at the cost
 * of one snapshot and one head evaluation, and changes nothing.
 *
 * Fixed size, no pointers inside, no allocation; the caller serializes all
 * calls for one CPU (the module: that CPU's stream lock).
 */
#ifndef KORACLE_PREDICTOR_H
#define KORACLE_PREDICTOR_H

#include "koracle_types.h"
#include "features.h"
#include "gate.h"
#include "tcn_q.h"

/* Counted since the last koracle_predictor_zero(); read locklessly. */
struct koracle_pred_counts {
	u64 predictions;	/* scored switches */
	u64 hits;		/* the model's hits among them */
	u64 baseline_hits;	/* the rule selector's hits among them */
	u64 published_hits;	/* hits of what next_pid published: the gate's
				 * pick (the selector's, without a model)
				 */
};

struct koracle_predictor {
	struct koracle_gate gate;	/* model vs selector */
	struct koracle_pred_counts n;
	u8 label;		/* class of the last switch in its point */
	u8 point;		/* the last switch closed a point */
	struct koracle_enc enc;		/* last: its rule tables end it */
};

/* A fresh list, gate and model context; the counters stay. */
void koracle_predictor_init(struct koracle_predictor *p);
void koracle_predictor_zero(struct koracle_predictor *p);

/*
 * The three parts of an event are inline: each runs once per event or
 * switch and does little itself, and a call and return per part cost the
 * probes more than the code they would save (under the kernel's return
 * thunks a return is never cheap).
 */

/*
 * Encoder part of an event, for model @m (may be NULL); true at a SWITCH
 * (the model part must follow). The comm hash, a loop over the name, and
 * the vruntime ranks, O(nrun) per change of what waits, are only kept for
 * a model that reads them.
 */
static inline bool koracle_predictor_encode(struct koracle_predictor *p,
					    const struct koracle_qmodel *m,
					    const struct koracle_event *ev)
{
	bool no_vr = !m || (m->sf_ignore >> KORACLE_SF_VR_RANK & 1);

	p->enc.no_comm = !m || (m->ev_ignore >> KORACLE_EF_COMM & 1);
	if (no_vr != p->enc.no_vr)
		koracle_enc_keep_vr_ranks(&p->enc, !no_vr);
	/* straight into p->label: no local whose address escapes */
	p->label = KORACLE_LABEL_NA;
	p->point = koracle_enc_event(&p->enc, ev, &p->label);
	return ev->type == KORACLE_EV_SWITCH;
}

/*
 * Model part of a SWITCH (@m NULL: no model): the model's pick for the
 * point just closed (KORACLE_SLOT_NONE without a model or a point), after
 * which @state has advanced by the switch.
 */
static inline u8 koracle_predictor_model(struct koracle_predictor *p,
					 const struct koracle_qmodel *m,
					 void *state)
{
	u8 slot = KORACLE_SLOT_NONE;

	if (!m)
		return slot;
	if (p->point)
		slot = koracle_qscore(m, state, &p->enc.point, NULL);
	koracle_qadvance(m, state, p->enc.evf);
	return slot;
}

/* One more event for a counter that lockless readers watch. */
static inline void koracle_pred_count(u64 *c)
{
	KORACLE_WRITE_ONCE(*c, *c + 1);
}

/*
 * Publish part of a SWITCH: gate, counters, @ev's prediction fields.
 * Returns the slot published just before the switch (the gate's pick),
 * KORACLE_SLOT_NONE if the switch closed no point.
 */
static inline u8 koracle_predictor_publish(struct koracle_predictor *p,
					   u8 model_slot,
					   struct koracle_event *ev)
{
	const struct koracle_feat *f = &p->enc.point;
	u8 label = p->label, sel, pub;

	if (!p->point)
		return KORACLE_SLOT_NONE;
	sel = f->sel_pick;
	pub = koracle_gate_choose(&p->gate, model_slot, sel);
	koracle_pred_count(&p->n.predictions);
	if (label < KORACLE_K) {
		if (model_slot == label)
			koracle_pred_count(&p->n.hits);
		if (sel == label)
			koracle_pred_count(&p->n.baseline_hits);
		if (pub == label)
			koracle_pred_count(&p->n.published_hits);
	}
	koracle_gate_score(&p->gate, model_slot, sel, label);

	ev->flags |= KORACLE_RF_PRED;
	ev->pred_slot = model_slot;
	ev->base_slot = sel;
	ev->pred_pid = model_slot < KORACLE_K ? f->slot_pid[model_slot] : -1;
	return pub;
}

/* All three parts, for callers that do not time them apart. */
static inline void koracle_predictor_event(struct koracle_predictor *p,
					   const struct koracle_qmodel *m,
					   void *state,
					   struct koracle_event *ev)
{
	u8 slot;

	if (!koracle_predictor_encode(p, m, ev))
		return;
	slot = koracle_predictor_model(p, m, state);
	koracle_predictor_publish(p, slot, ev);
}

/*
 * What next_pid shows at @now_ns: the pid of the gate's pick on the list as
 * it stands, or -1 (nothing to name). @scratch holds the snapshot. Changes
 * nothing.
 */
s32 koracle_predictor_peek(const struct koracle_predictor *p,
			   const struct koracle_qmodel *m, const void *state,
			   u64 now_ns, struct koracle_feat *scratch);

#endif /* KORACLE_PREDICTOR_H */
