// SPDX-License-Identifier: GPL-2.0 OR MIT
/* One CPU's per-event prediction path: see predictor.h. */
#include "predictor.h"

void koracle_predictor_init(struct koracle_predictor *p)
{
	koracle_enc_init(&p->enc, KORACLE_HZ_CURRENT);
	koracle_gate_init(&p->gate);
	p->label = KORACLE_LABEL_NA;
	p->point = 0;
}

void koracle_predictor_zero(struct koracle_predictor *p)
{
	KORACLE_WRITE_ONCE(p->n.predictions, 0);
	KORACLE_WRITE_ONCE(p->n.hits, 0);
	KORACLE_WRITE_ONCE(p->n.baseline_hits, 0);
	KORACLE_WRITE_ONCE(p->n.published_hits, 0);
	koracle_gate_init(&p->gate);
}

bool koracle_predictor_encode(struct koracle_predictor *p,
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

u8 koracle_predictor_model(struct koracle_predictor *p,
			   const struct koracle_qmodel *m, void *state)
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
static inline void koracle_count(u64 *c)
{
	KORACLE_WRITE_ONCE(*c, *c + 1);
}

u8 koracle_predictor_publish(struct koracle_predictor *p, u8 model_slot,
			     struct koracle_event *ev)
{
	const struct koracle_feat *f = &p->enc.point;
	u8 label = p->label, sel, pub;

	if (!p->point)
		return KORACLE_SLOT_NONE;
	sel = f->sel_pick;
	pub = koracle_gate_choose(&p->gate, model_slot, sel);
	koracle_count(&p->n.predictions);
	if (label < KORACLE_K) {
		if (model_slot == label)
			koracle_count(&p->n.hits);
		if (sel == label)
			koracle_count(&p->n.baseline_hits);
		if (pub == label)
			koracle_count(&p->n.published_hits);
	}
	koracle_gate_score(&p->gate, model_slot, sel, label);

	ev->flags |= KORACLE_RF_PRED;
	ev->pred_slot = model_slot;
	ev->base_slot = sel;
	ev->pred_pid = model_slot < KORACLE_K ? f->slot_pid[model_slot] : -1;
	return pub;
}

s32 koracle_predictor_peek(const struct koracle_predictor *p,
			   const struct koracle_qmodel *m, const void *state,
			   u64 now_ns, struct koracle_feat *scratch)
{
	u8 model_slot = KORACLE_SLOT_NONE, pub;

	koracle_enc_peek(&p->enc, now_ns, scratch);
	if (m)
		model_slot = koracle_qscore(m, state, scratch, NULL);
	pub = koracle_gate_choose(&p->gate, model_slot, scratch->sel_pick);
	return pub < KORACLE_K ? scratch->slot_pid[pub] : -1;
}
