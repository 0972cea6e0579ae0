/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal API between the module's files. Each file owns one concern and
 * exposes koracle_<file>_init()/koracle_<file>_exit(); main.c calls them in
 * order (ring, genl, sysfs, hooks) and unwinds in reverse.
 */
#ifndef KORACLE_KMOD_H
#define KORACLE_KMOD_H

#include <linux/compiler.h>
#include <linux/types.h>

#include "record.h"

/* ring.c: per-possible-CPU event rings (fixed-size records, drops counted) */
extern unsigned int koracle_ring_records;	/* records per CPU, power of 2 */
extern bool koracle_ring_producing;		/* probes may write: a session runs */

int koracle_ring_init(void);
void koracle_ring_exit(void);

/* Cheap gate for the probes: nothing is built unless a session runs. */
static inline bool koracle_ring_is_open(void)
{
	return READ_ONCE(koracle_ring_producing);
}

void koracle_ring_put(unsigned int cpu, struct koracle_event *e);
void koracle_ring_open(void);
void koracle_ring_close(void);
unsigned int koracle_ring_avail(unsigned int cpu);
void koracle_ring_copy(unsigned int cpu, struct koracle_rec *dst,
		       unsigned int n);
void koracle_ring_consume(unsigned int cpu, unsigned int n);
void koracle_ring_discard(unsigned int cpu, bool count_as_dropped);
u64 koracle_ring_events(unsigned int cpu);
u64 koracle_ring_dropped(unsigned int cpu);

/* hooks.c: scheduler tracepoint probes */
int koracle_hooks_init(void);
void koracle_hooks_exit(void);

/* genl.c: generic netlink family, collection sessions, the drain worker */
int koracle_genl_init(void);
void koracle_genl_exit(void);
bool koracle_genl_enabled(void);
void koracle_genl_set_enabled(bool on);

/* sysfs.c: /sys/kernel/koracle */
int koracle_sysfs_init(void);
void koracle_sysfs_exit(void);

#endif /* KORACLE_KMOD_H */
