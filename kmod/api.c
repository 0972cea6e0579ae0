// SPDX-License-Identifier: GPL-2.0
/* The in-kernel API for other modules: include/koracle.h documents it. */
#include <linux/cpumask.h>
#include <linux/export.h>

#include "koracle.h"
#include "../include/koracle.h"

bool koracle_predict_next(unsigned int cpu, pid_t *pid)
{
	s32 next;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return false;
	next = koracle_stream_next_pid(cpu);
	if (next < 0)
		return false;
	*pid = next;
	return true;
}
EXPORT_SYMBOL_GPL(koracle_predict_next);
