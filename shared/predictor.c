// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One CPU's predictor (predictor.h): setup and the peek. The per-event
 * parts are inline in the header.
 */
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
