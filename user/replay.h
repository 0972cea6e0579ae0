/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Replay of a trace through the per-CPU feature encoder (shared/features.h),
 * exactly as the module runs it: records are split by rec.cpu and each CPU's
 * stream goes, in file order, through that CPU's own struct koracle_enc.
 * Memory is one encoder and one pending point per CPU, whatever the trace
 * length.
 *
 * Every SWITCH that closes a prediction point (all but a CPU's first, and
 * the first after a LOST record) delivers it with its label: the point that
 * predicted this switch, at the replay's horizon (features.h: the current
 * one, as the kernel scores, unless ko_replay_set_horizon() says lead).
 * Points of one CPU arrive in stream order; points of different CPUs
 * interleave as the file does.
 */
#ifndef KO_REPLAY_H
#define KO_REPLAY_H

#include <stdbool.h>
#include "../shared/features.h"
#include "trace_io.h"

struct ko_point {
	int cpu;
	u64 index;		/* point number within this CPU's stream */
	bool restart;		/* first point of the CPU or first after a LOST:
				 * sequence context before it is unrelated */
	const struct koracle_feat *feat;	/* the point */
	const struct koracle_event *ev;		/* the SWITCH it predicts */
	u8 label;		/* class of that switch's incoming task, 0..K */
	s32 next_pid;		/* that task's pid */
};

/* Returns 0 to go on; anything else stops the replay and is passed back. */
typedef int (*ko_point_fn)(void *ctx, const struct ko_point *p);

struct ko_replay_stats {
	int ncpus;			/* highest CPU seen + 1 */
	u64 records;			/* records read, LOST included */
	u64 points;			/* points delivered */
	u64 labelled;			/* points with label != NA (all) */
	struct koracle_enc_stats enc;	/* summed over CPUs */
	/*
	 * Module traces (KORACLE_RF_PRED): the selector's slot the kernel
	 * recorded (rec.base_slot) against the one this replay computes, on
	 * switches before the CPU's first LOST record (after one, the kernel
	 * saw events the trace lacks, so the states may differ).
	 */
	u64 base_checked;
	u64 base_mismatch;
};

struct ko_replay;

/* Event-at-a-time interface (tests, in-memory streams). */
int ko_replay_new(struct ko_replay **out);
/* Before the first record: where points snapshot the list (features.h). */
void ko_replay_set_horizon(struct ko_replay *rp, enum koracle_horizon h);
/* Feed one record; may call @fn once. -EINVAL for a CPU >= 4096 or an
 * unknown type (no state changed), -ENOMEM, or @fn's non-zero return. */
int ko_replay_feed(struct ko_replay *rp, const struct koracle_event *ev,
		   ko_point_fn fn, void *ctx);
void ko_replay_get_stats(const struct ko_replay *rp, struct ko_replay_stats *st);
/* One CPU's encoder counters; zeros for a CPU never seen. */
void ko_replay_cpu_stats(const struct ko_replay *rp, int cpu,
			 struct koracle_enc_stats *st);
void ko_replay_free(struct ko_replay *rp);

/*
 * Replay a whole trace file at the current horizon: open, feed every
 * record (each point is delivered at its switch: nothing waits for the
 * end). @info (may be NULL) receives the file's header; @st (may be NULL)
 * the stats. Returns 0, @fn's non-zero return, or -errno with a
 * message in @err naming the file.
 */
int ko_replay_file(const char *path, ko_point_fn fn, void *ctx,
		   struct ko_trace_info *info, struct ko_replay_stats *st,
		   char err[KO_ERR_LEN]);
/* The same at horizon @h. */
int ko_replay_file_at(const char *path, enum koracle_horizon h,
		      ko_point_fn fn, void *ctx, struct ko_trace_info *info,
		      struct ko_replay_stats *st, char err[KO_ERR_LEN]);

#endif /* KO_REPLAY_H */
