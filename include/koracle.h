/* SPDX-License-Identifier: GPL-2.0 */
/*
 * koracle.ko's in-kernel API, for other modules: build with
 * -I<koracle>/include and KBUILD_EXTRA_SYMBOLS=<koracle>/Module.symvers
 * (tests/kmod/consumer is an example).
 */
#ifndef KORACLE_API_H
#define KORACLE_API_H

#include <linux/types.h>

/**
 * koracle_predict_next() - the task koracle predicts @cpu runs next
 * @cpu: a possible CPU
 * @pid: where to store the predicted task's pid, in the initial pid
 *       namespace (0: the CPU's idle task)
 *
 * The prediction as /sys/kernel/koracle/cpuN/next_pid shows it to a
 * privileged reader: formed now from every event of @cpu's stream so far.
 *
 * Context: any except NMI. Takes @cpu's stream lock (a raw spinlock, irqs
 * saved), which the scheduler probes take under the runqueue lock, so a
 * caller may hold a runqueue lock; it must not hold @cpu's stream lock
 * (only koracle does). Uses about 300 bytes of stack.
 *
 * Return: true and *@pid set if there is a prediction; false if there is
 * none (no task waits, koracle is disabled, @cpu is not a possible CPU).
 */
bool koracle_predict_next(unsigned int cpu, pid_t *pid);

#endif /* KORACLE_API_H */
