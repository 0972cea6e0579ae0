// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Online arbitration between the model and the rule selector: see gate.h. */
#include "gate.h"

void koracle_gate_init(struct koracle_gate *g)
{
	memset(g, 0, sizeof(*g));
}

u8 koracle_gate_choose(const struct koracle_gate *g, u8 model, u8 sel)
{
	if (model >= KORACLE_K)
		return sel;
	return g->model_hits > g->sel_hits ? model : sel;
}

void koracle_gate_score(struct koracle_gate *g, u8 model, u8 sel, u8 label)
{
	u8 old = g->hist[g->pos], hit;

	if (label == KORACLE_LABEL_NA)
		return;
	hit = (label < KORACLE_K && model == label) |
	      (label < KORACLE_K && sel == label) << 1;
	/* a history not yet full holds zeros: nothing to subtract */
	g->model_hits += (hit & 1) - (old & 1);
	g->sel_hits += (hit >> 1) - (old >> 1);
	g->hist[g->pos] = hit;
	g->pos = (g->pos + 1) % KORACLE_GATE_WINDOW;
}
