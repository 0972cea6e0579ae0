// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only consumer of koracle_predict_next() (include/koracle.h): at load
 * it asks for every online CPU's prediction from process context, with irqs
 * off, and from a hard-irq hrtimer callback, and logs one line per CPU:
 *
 *   koracle_consumer: cpuN process=PID irqsoff=PID hardirq=PID
 *
 * (-1: no prediction). tests/vm/api-consumer.sh reads them.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <koracle.h>

struct koracle_consumer_cpu {
	int process, irqsoff, hardirq;
};

static struct koracle_consumer_cpu *koracle_consumer_res;
static struct hrtimer koracle_consumer_timer;
static DECLARE_COMPLETION(koracle_consumer_done);

static int koracle_consumer_ask(unsigned int cpu)
{
	pid_t pid;

	return koracle_predict_next(cpu, &pid) ? pid : -1;
}

static enum hrtimer_restart koracle_consumer_fire(struct hrtimer *t)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		koracle_consumer_res[cpu].hardirq = koracle_consumer_ask(cpu);
	complete(&koracle_consumer_done);
	return HRTIMER_NORESTART;
}

static int __init koracle_consumer_init(void)
{
	unsigned long flags;
	unsigned int cpu;

	koracle_consumer_res = kcalloc(nr_cpu_ids, sizeof(*koracle_consumer_res),
				       GFP_KERNEL);
	if (!koracle_consumer_res)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		koracle_consumer_res[cpu].process = koracle_consumer_ask(cpu);
		local_irq_save(flags);
		koracle_consumer_res[cpu].irqsoff = koracle_consumer_ask(cpu);
		local_irq_restore(flags);
	}
	hrtimer_init(&koracle_consumer_timer, CLOCK_MONOTONIC,
		     HRTIMER_MODE_REL_HARD);
	koracle_consumer_timer.function = koracle_consumer_fire;
	hrtimer_start(&koracle_consumer_timer, ms_to_ktime(1),
		      HRTIMER_MODE_REL_HARD);
	wait_for_completion(&koracle_consumer_done);
	for_each_online_cpu(cpu)
		pr_info("koracle_consumer: cpu%u process=%d irqsoff=%d hardirq=%d\n",
			cpu, koracle_consumer_res[cpu].process,
			koracle_consumer_res[cpu].irqsoff,
			koracle_consumer_res[cpu].hardirq);
	kfree(koracle_consumer_res);
	return 0;
}

static void __exit koracle_consumer_exit(void)
{
}

module_init(koracle_consumer_init);
module_exit(koracle_consumer_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test consumer of koracle_predict_next()");
