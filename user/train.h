/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Training the float TCN: defaults, hold-out (train.c) and the run (train_run.c). */
#ifndef KO_TRAIN_H
#define KO_TRAIN_H

#include <stdint.h>

/*
 * Default size: the cheapest that measured as accurate as any
 * (docs/design.md, "The model"). Over five seeds of make
 * eval-holdout, C=4 B=0 H=2 beat the rule selector by +1.6 points on the
 * unseen workloads and +4.5 on the left-out fixtures (C=4 B=1 H=4: +1.2
 * and +4.1), never fell below it on a trace (B=1 H=4 did in three seeds),
 * and costs 40 MACs against 144: accuracy is flat over these sizes, so
 * the size goes to cost. --blocks N adds temporal blocks of k taps.
 */
#define KO_TRAIN_DEF_CHANNELS	4
#define KO_TRAIN_DEF_BLOCKS	0
#define KO_TRAIN_DEF_KERNEL	2
#define KO_TRAIN_DEF_HIDDEN	2
#define KO_TRAIN_DEF_WINDOW	64
#define KO_TRAIN_DEF_EPOCHS	30
#define KO_TRAIN_DEF_PATIENCE	8
#define KO_TRAIN_DEF_LR		1e-2
#define KO_TRAIN_DEF_WD		1e-4
#define KO_TRAIN_DEF_CLIP	1.0
#define KO_TRAIN_DEF_BATCH	32
#define KO_TRAIN_DEF_MAXWIN	4096
#define KO_TRAIN_DEF_SEED	1

struct ko_train_opts {
	const char *output;
	char **train;		/* trace paths (argv strings, not owned) */
	int ntrain;
	char **val;
	int nval;
	int channels, blocks, kernel, hidden;
	int window;		/* points per window */
	int epochs, patience;
	double lr, wd, clip;
	int batch;		/* windows per step */
	int max_windows;	/* kept per trace file */
	uint64_t seed;
	int threads;		/* BLIS threads */
	const char *export_path;	/* --export-windows: training windows */
	int use_comm;		/* feed the comm-hash feature (default off) */
	int no_kernel_feat;	/* --no-kernel-features: ignore the module-only
				 * slot features even if the traces have them */
};

void ko_train_defaults(struct ko_train_opts *o);
/*
 * Without --val: which of o->train[] to hold back for validation (held[i]),
 * whole files only. -1 (message printed) when there are too few files.
 */
int ko_train_holdout(const struct ko_train_opts *o, int *held);
/* The whole run; returns the exit code (messages on stderr). */
int ko_train_run(const struct ko_train_opts *o);

#endif /* KO_TRAIN_H */
