// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Online arbitration between the model and the rule selector: see gate.h. */
#include "gate.h"

void koracle_gate_init(struct koracle_gate *g)
{
	memset(g, 0, sizeof(*g));
}
