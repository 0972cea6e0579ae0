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

/* Replace the oldest bit of @hist with @hit, keeping @hits its popcount. */
static void koracle_gate_push(u64 *hist, u16 *hits, u16 pos, bool hit)
{
	u64 bit = 1ULL << (pos % 64);
	u64 *word = &hist[pos / 64];

	if (*word & bit)
		(*hits)--;
	if (hit) {
		*word |= bit;
		(*hits)++;
	} else {
		*word &= ~bit;
	}
}

void koracle_gate_score(struct koracle_gate *g, u8 model, u8 sel, u8 label)
{
	if (label == KORACLE_LABEL_NA)
		return;
	koracle_gate_push(g->model_hist, &g->model_hits, g->pos,
			  label < KORACLE_K && model == label);
	koracle_gate_push(g->sel_hist, &g->sel_hits, g->pos,
			  label < KORACLE_K && sel == label);
	g->pos = (g->pos + 1) % KORACLE_GATE_WINDOW;
}
