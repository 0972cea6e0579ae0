// SPDX-License-Identifier: GPL-2.0
/*
 * What the predictor costs inside the scheduler, measured where it runs:
 * local_clock() deltas taken in the probe, counted in per-CPU log2
 * histograms (bucket 0: 0 ns; bucket b >= 1: [2^(b-1), 2^b) ns), shown in
 * debugfs as "LOW_NS COUNT" lines summed over CPUs, then "median_ns N":
 *
 *   /sys/kernel/debug/koracle/step_ns     the model step alone
 *   /sys/kernel/debug/koracle/switch_ns   encoder + selector + model step at
 *                                         a SWITCH (plus one local_clock())
 *
 * Each CPU's histogram is only written under that CPU's stream lock (the
 * SWITCH that is measured), so plain increments suffice; readers sum without
 * the lock and may see a count or two in flight. debugfs is best effort: if
 * it fails, the module works without these files.
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "koracle.h"

#define KORACLE_LAT_BUCKETS	40	/* up to 2^39 ns (~9 min); the rest caps */

struct koracle_hist {
	u64 count[KORACLE_LAT_BUCKETS];	/* events per bucket */
};

static DEFINE_PER_CPU(struct koracle_hist[KORACLE_LAT_COUNT], koracle_hists);
static struct dentry *koracle_debugfs;

static const char * const koracle_lat_names[KORACLE_LAT_COUNT] = {
	[KORACLE_LAT_STEP] = "step_ns",
	[KORACLE_LAT_SWITCH] = "switch_ns",
};

static struct koracle_hist *koracle_hist(unsigned int cpu,
					 enum koracle_lat which)
{
	return &(*per_cpu_ptr(&koracle_hists, cpu))[which];
}

/* Lowest ns value of bucket @b. */
static u64 koracle_bucket_low(unsigned int b)
{
	return b ? 1ULL << (b - 1) : 0;
}

/* Under @cpu's stream lock. */
void koracle_latency_add(unsigned int cpu, enum koracle_lat which, u64 ns)
{
	struct koracle_hist *h = koracle_hist(cpu, which);
	unsigned int b = min_t(unsigned int, fls64(ns), KORACLE_LAT_BUCKETS - 1);

	WRITE_ONCE(h->count[b], h->count[b] + 1);
}

/* Start @cpu's @which afresh (a new model). Under @cpu's stream lock. */
void koracle_latency_zero(unsigned int cpu, enum koracle_lat which)
{
	memset(koracle_hist(cpu, which), 0, sizeof(struct koracle_hist));
}

/*
 * Median, interpolated linearly inside the bucket that holds it (the
 * histogram knows no more than that); 0 for an empty histogram.
 */
static u64 koracle_median(const u64 *count, u64 total)
{
	u64 below = 0, rank = total / 2, low, width;
	unsigned int b;

	if (!total)
		return 0;
	for (b = 0; b < KORACLE_LAT_BUCKETS; b++) {
		if (below + count[b] > rank)
			break;
		below += count[b];
	}
	if (b == KORACLE_LAT_BUCKETS)
		b--;
	low = koracle_bucket_low(b);
	width = b ? low : 1;
	return low + div64_u64(width * (rank - below), count[b] ?: 1);
}

static int koracle_hist_show(struct seq_file *m, void *v)
{
	enum koracle_lat which = (uintptr_t)m->private;
	u64 count[KORACLE_LAT_BUCKETS] = {}, total = 0;
	unsigned int cpu, b, last = 0;

	for_each_possible_cpu(cpu) {
		const struct koracle_hist *h = koracle_hist(cpu, which);

		for (b = 0; b < KORACLE_LAT_BUCKETS; b++)
			count[b] += READ_ONCE(h->count[b]);
	}
	for (b = 0; b < KORACLE_LAT_BUCKETS; b++) {
		total += count[b];
		if (count[b])
			last = b;
	}
	for (b = 0; b <= last; b++)
		seq_printf(m, "%llu %llu\n", koracle_bucket_low(b), count[b]);
	seq_printf(m, "median_ns %llu\n", koracle_median(count, total));
	return 0;
}

static int koracle_hist_open(struct inode *inode, struct file *file)
{
	return single_open(file, koracle_hist_show, inode->i_private);
}

static const struct file_operations koracle_hist_fops = {
	.owner = THIS_MODULE,
	.open = koracle_hist_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

int koracle_latency_init(void)
{
	unsigned int cpu;
	int i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < KORACLE_LAT_COUNT; i++)
			memset(koracle_hist(cpu, i), 0,
			       sizeof(struct koracle_hist));

	/* Best effort: debugfs calls accept the error pointers they return. */
	koracle_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	for (i = 0; i < KORACLE_LAT_COUNT; i++)
		debugfs_create_file(koracle_lat_names[i], 0400, koracle_debugfs,
				    (void *)(uintptr_t)i, &koracle_hist_fops);
	return 0;
}

void koracle_latency_exit(void)
{
	debugfs_remove_recursive(koracle_debugfs);
	koracle_debugfs = NULL;
}
