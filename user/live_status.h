/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The module's live state in one snapshot (koracle status): sysfs
 * (sysfs_client.h) for the model, the counters and every CPU's prediction,
 * netlink GET_STATS for whether a collection runs.
 */
#ifndef KO_LIVE_STATUS_H
#define KO_LIVE_STATUS_H

#include <stddef.h>

#include "err.h"
#include "sysfs_client.h"

#define KO_LIVE_COMM_LEN		64	/* TASK_COMM_LEN is 16; room to spare */

struct ko_live_cpu {
	unsigned int cpu;
	s64 next_pid;		/* -1: no prediction */
	char comm[KO_LIVE_COMM_LEN];
	u64 predictions;	/* scored switches */
	u64 hits;		/* model's hits on them */
	u64 baseline_hits;	/* selector's hits on them */
	u64 published_hits;	/* hits of the published next_pid on them */
};

struct ko_live_snap {
	struct ko_model_info mi;
	u64 enabled;
	int collecting;		/* 0, 1, or -1: unknown */
	u64 predictions, hits, baseline_hits, published_hits;	/* module totals */
	size_t ncpus;
	unsigned int *ids;	/* [KO_SYSFS_MAX_CPUS] */
	struct ko_live_cpu *cpus;	/* [KO_SYSFS_MAX_CPUS] */
};

/*
 * Fill @s (ids and cpus point to KO_SYSFS_MAX_CPUS entries each). 0, or -1
 * with @err naming the file and the cause (the insmod hint when the module
 * is not loaded). A failed GET_STATS only leaves collecting at -1.
 */
int ko_live_snapshot(struct ko_live_snap *s, char err[KO_ERR_LEN]);

#endif /* KO_LIVE_STATUS_H */
