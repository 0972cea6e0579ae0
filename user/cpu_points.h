/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The per-CPU point buffer: while a trace is replayed (replay.h), each CPU's
 * latest prediction points wait here in the layout the float model reads,
 * until there are enough for a forward pass (quant_replay.c, which serves
 * `koracle eval` and `koracle quantize`) or a training window (dataset.c,
 * which uses it as a ring of T points). Buffers are made on a CPU's first
 * point; the table grows with the highest CPU seen.
 *
 * Per point i of a CPU (cap points in all):
 *   evb   (cap, F)     event features, u8, as ko_tcn_forward() reads them
 *   slot  (cap, K, G)  slot features
 *   label (cap)        0..K or the caller's own code
 * and with @full also the whole point: feat (the encoder's struct), ev (the
 * SWITCH record it predicts), restart. @extra bytes per CPU, zeroed, are
 * the caller's (the integer step's streaming state, say).
 */
#ifndef KO_CPU_POINTS_H
#define KO_CPU_POINTS_H

#include <stdbool.h>
#include <stddef.h>

#include "replay.h"

#define KO_CP_EV	KORACLE_EF_COUNT			/* bytes a point */
#define KO_CP_SLOT	(KORACLE_K * KORACLE_SF_COUNT)		/* bytes a point */

struct ko_cpu_points {
	u8 *evb;			/* (cap, F) */
	u8 *slot;			/* (cap, K, G) */
	u8 *label;			/* (cap) */
	struct koracle_feat *feat;	/* (cap), full only */
	struct koracle_event *ev;	/* (cap), full only */
	bool *restart;			/* (cap), full only */
	void *extra;			/* the caller's, extra bytes */
	u64 n;				/* points stored (a ring: since restart) */
	int ctx;			/* leading points already delivered */
};

struct ko_cpu_set {
	struct ko_cpu_points *cpu;	/* (ncpu) */
	int ncpu;
	int cap;			/* points per CPU */
	bool full;
	size_t extra;
};

void ko_cpu_set_init(struct ko_cpu_set *s, int cap, bool full, size_t extra);
/* CPU @cpu's buffer, made on first use; NULL when out of memory. */
struct ko_cpu_points *ko_cpu_points_get(struct ko_cpu_set *s, int cpu);
/* Copies point @p into position @i (< cap) of @c. */
void ko_cpu_points_put(const struct ko_cpu_set *s, struct ko_cpu_points *c,
		       int i, const struct ko_point *p);
/* Moves the @keep points from position @from to the front of @c. */
void ko_cpu_points_keep(const struct ko_cpu_set *s, struct ko_cpu_points *c,
			int from, int keep);
void ko_cpu_set_free(struct ko_cpu_set *s);

#endif /* KO_CPU_POINTS_H */
