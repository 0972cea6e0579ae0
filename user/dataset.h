/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Training windows for `koracle train`: each trace file is replayed per CPU
 * (user/replay.h) and cut into windows of T consecutive prediction points of
 * one CPU, stored as compact bytes. Consecutive windows of a CPU overlap by
 * the model's warm-up, so every labelled point past a CPU's first warm-up is
 * scored in exactly one window. A window never spans a restart (first point,
 * or after lost events).
 *
 * Memory is bounded whatever the trace length: each file keeps at most @cap
 * windows, a uniform sample of all its windows (reservoir sampling, seeded),
 * plus one T-point ring per CPU while the file is replayed.
 *
 * Window layout (win_bytes): ev (T, F) | slot (T, K, G) | label (T).
 */
#ifndef KO_DATASET_H
#define KO_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct ko_ds_file {
	char *path;
	char *label;		/* workload label from the trace header */
	int label_id;		/* index into ko_dataset.labels */
	int nwin;		/* windows kept, <= cap */
	int alloc;		/* windows @data has room for */
	uint64_t offered;	/* windows the file had */
	uint64_t records, points, labelled;
	uint64_t kernel_points;	/* points whose SWITCH carries the
				 * module-only fields (KORACLE_RF_KERNEL) */
	uint8_t *data;		/* nwin * win_bytes */
};

struct ko_dataset {
	int T;			/* points per window */
	int warmup;		/* leading points of a window without loss */
	int cap;		/* windows kept per file */
	size_t win_bytes;
	uint64_t seed;
	struct ko_ds_file *files;
	int nfiles;
	char **labels;		/* distinct workload labels */
	int nlabels;
	long total_win;
};

void ko_dataset_init(struct ko_dataset *ds, int T, int warmup, int cap,
		     uint64_t seed);
/* Replays @path into windows. 0 or -errno with a message in @err. */
int ko_dataset_add_file(struct ko_dataset *ds, const char *path,
			char err[KO_ERR_LEN]);
void ko_dataset_free(struct ko_dataset *ds);

static inline uint8_t *ko_win_ev(const struct ko_dataset *ds, int file, int w)
{
	return ds->files[file].data + (size_t)w * ds->win_bytes;
}

uint8_t *ko_win_slot(const struct ko_dataset *ds, int file, int w);
uint8_t *ko_win_label(const struct ko_dataset *ds, int file, int w);

/*
 * Sampling weight of file @f: every workload label weighs the same, and
 * within a label every file the same, however many windows each holds.
 * Weights over files sum to 1 (0 for a file without windows).
 */
double ko_dataset_file_weight(const struct ko_dataset *ds, int f);

/*
 * Copies @n windows, given as (file, window) pairs, into batch buffers
 * ev (n,T,F), slot (n,T,K,G), labels (n,T), with the warm-up points'
 * labels replaced by KO_TCN_LABEL_SKIP.
 */
void ko_dataset_gather(const struct ko_dataset *ds, const int *file,
		       const int *win, int n, uint8_t *ev, uint8_t *slot,
		       uint8_t *labels);

#endif /* KO_DATASET_H */
