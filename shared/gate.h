/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The gate: per CPU, publish the model's pick or the rule selector's,
 * whichever hit more over the last KORACLE_GATE_WINDOW scored switches.
 *
 * The selector adapts to a new workload within a few hundred switches; a
 * model trained offline does not. Measured on held-out workloads the raw
 * model can fall several points below the selector while beating it by
 * several points elsewhere. Arbitrating online, the way the selector itself
 * arbitrates between its rules, keeps the model where it earns its place and
 * falls back to the selector where it does not. Ties go to the selector: the
 * model has to win to be used.
 *
 * Order per switch: koracle_gate_score() the picks made at the previous
 * switch against its label, then koracle_gate_choose() for the next one.
 * Fixed-size state, no allocation: the module runs it in the probe, where
 * both are inline (a call each per switch cost more than their bodies).
 */
#ifndef KORACLE_GATE_H
#define KORACLE_GATE_H

#include "koracle_types.h"
#include "rules.h"

#define KORACLE_GATE_WINDOW	256	/* switches of hit history */

struct koracle_gate {
	u8 hist[KORACLE_GATE_WINDOW];	/* per switch: bit 0 model, 1 sel hit */
	u16 model_hits;		/* bit 0's count in hist, 0..WINDOW */
	u16 sel_hits;		/* bit 1's count in hist, 0..WINDOW */
	u16 pos;		/* next history entry to overwrite */
};

/* An empty history: the selector is published until the model wins. */
static inline void koracle_gate_init(struct koracle_gate *g)
{
	memset(g, 0, sizeof(*g));
}

/* The slot to publish, given the model's and the selector's picks. */
static inline u8 koracle_gate_choose(const struct koracle_gate *g, u8 model,
				     u8 sel)
{
	if (model >= KORACLE_K)
		return sel;
	return g->model_hits > g->sel_hits ? model : sel;
}

/*
 * Learn from one scored switch: @model and @sel were the picks, @label the
 * answer (< KORACLE_K: a slot; KORACLE_K: none; KORACLE_LABEL_NA: unscored,
 * ignored).
 */
static inline void koracle_gate_score(struct koracle_gate *g, u8 model, u8 sel,
				      u8 label)
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

#endif /* KORACLE_GATE_H */
