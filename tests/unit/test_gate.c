// SPDX-License-Identifier: GPL-2.0 OR MIT
/* shared/gate.h: the online choice between the model and the selector. */
#include <criterion/criterion.h>

#include "gate.h"

static struct koracle_gate g;

static void setup(void)
{
	koracle_gate_init(&g);
}

TestSuite(gate, .init = setup);

Test(gate, starts_with_the_selector_and_ties_stay_there)
{
	cr_assert_eq(koracle_gate_choose(&g, 3, 5), 5);
	/* both hit once: still a tie */
	koracle_gate_score(&g, 3, 3, 3);
	cr_assert_eq(g.model_hits, 1);
	cr_assert_eq(g.sel_hits, 1);
	cr_assert_eq(koracle_gate_choose(&g, 3, 5), 5);
}

Test(gate, switches_to_the_model_once_it_hits_more)
{
	koracle_gate_score(&g, 2, 4, 2);	/* model hit, selector missed */
	cr_assert_eq(koracle_gate_choose(&g, 1, 6), 1);
	koracle_gate_score(&g, 2, 4, 4);	/* and back to a tie */
	cr_assert_eq(koracle_gate_choose(&g, 1, 6), 6);
}

Test(gate, no_model_pick_means_the_selector)
{
	koracle_gate_score(&g, 2, 4, 2);
	cr_assert_eq(koracle_gate_choose(&g, KORACLE_K, 6), 6);
}

Test(gate, unscored_and_none_labels)
{
	koracle_gate_score(&g, 2, 2, KORACLE_LABEL_NA);	/* ignored */
	cr_assert_eq(g.pos, 0);
	koracle_gate_score(&g, KORACLE_K, KORACLE_K, KORACLE_K);	/* no hit */
	cr_assert_eq(g.pos, 1);
	cr_assert_eq(g.model_hits, 0);
	cr_assert_eq(g.sel_hits, 0);
}

Test(gate, forgets_after_the_window)
{
	int i;

	/* the model hits the first 10, then only the selector hits */
	for (i = 0; i < 10; i++)
		koracle_gate_score(&g, 1, 2, 1);
	for (i = 0; i < KORACLE_GATE_WINDOW - 10; i++)
		koracle_gate_score(&g, 1, 2, 3);
	cr_assert_eq(g.model_hits, 10);
	cr_assert_eq(g.sel_hits, 0);
	cr_assert_eq(koracle_gate_choose(&g, 1, 2), 1);
	/* 10 more selector hits push the model's 10 out of the window */
	for (i = 0; i < 10; i++)
		koracle_gate_score(&g, 1, 2, 2);
	cr_assert_eq(g.model_hits, 0);
	cr_assert_eq(g.sel_hits, 10);
	cr_assert_eq(koracle_gate_choose(&g, 1, 2), 2);
}
