/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A trace replayed through the float model and/or the integer step at once,
 * point by point, for `koracle quantize` (calibration, agreement) and
 * `koracle eval --model BLOB`.
 *
 * The float model runs as in `koracle eval`: per CPU over chunks of points,
 * each chunk prefixed with the previous one's last warm-up points, so every
 * point sees its whole receptive field. The integer step streams: one
 * koracle_qstep() per point, in order, with one state per CPU reset where
 * the replay restarts a CPU's sequence (its first point, after lost events),
 * exactly where the float chunks restart with zero history.
 */
#ifndef KO_QUANT_REPLAY_H
#define KO_QUANT_REPLAY_H

#include <stdbool.h>

#include "../shared/tcn_q.h"
#include "replay.h"
#include "tcn.h"

struct ko_qr_point {
	int cpu;
	bool restart;			/* first point of a sequence */
	const struct koracle_feat *feat;
	const struct koracle_event *ev;	/* the SWITCH that emitted it */
	u8 label;			/* 0..K, or KORACLE_LABEL_NA */
	long row;			/* its row in m->a (float), -1 none */
	u8 fpick;			/* float: best occupied slot, K if none */
	u8 qpick;			/* integer step's slot, K if none */
	s32 qmargin;
};

/* Called for every point, in each CPU's order; non-zero stops the replay. */
typedef int (*ko_qr_fn)(void *ctx, const struct ko_tcn *m,
			const struct ko_qr_point *p);

/*
 * Replays @path: float model @m (may be NULL; needs ko_tcn_reserve() of
 * ko_qr_rows(m) rows) and integer model @qm (may be NULL). 0, @fn's return,
 * or -errno with a message in @err.
 */
int ko_qr_file(const char *path, struct ko_tcn *m,
	       const struct koracle_qmodel *qm, ko_qr_fn fn, void *ctx,
	       struct ko_trace_info *info, struct ko_replay_stats *st,
	       char err[KO_ERR_LEN]);
/* The same with the points at horizon @h (features.h). */
int ko_qr_file_at(const char *path, enum koracle_horizon h, struct ko_tcn *m,
		  const struct koracle_qmodel *qm, ko_qr_fn fn, void *ctx,
		  struct ko_trace_info *info, struct ko_replay_stats *st,
		  char err[KO_ERR_LEN]);
/* Rows a float forward pass of the replay needs. */
int ko_qr_rows(const struct ko_tcn *m);
/* Best occupied slot of a (K+1) logit row (masked slots -inf), K if none;
 * ties go to the lower slot, as in koracle eval. */
u8 ko_qr_float_pick(const float *logits, int K);

#endif /* KO_QUANT_REPLAY_H */
