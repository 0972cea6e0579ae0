// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Training the float TCN (user/tcn.c) on trace files: the defaults, the
 * validation hold-out (here) and the run (train_run.c); `koracle train`
 * (cmd_train.c) parses the options.
 *
 * Data: every trace is replayed per CPU through the kernel's encoder and cut
 * into windows of T prediction points (user/dataset.c, a bounded reservoir
 * per file). Steps draw windows so that every workload label weighs the same
 * and, within a label, every file the same: hackbench's millions of switches
 * do not drown a quiet workload.
 *
 * Optimisation: AdamW on the mean cross-entropy of every point past the
 * window's warm-up, gradients clipped to a global norm, learning rate
 * warmed up linearly over the first 2% of steps, then a cosine down to 5%.
 *
 * Selection: after each epoch the model is scored on validation trace files
 * (--val, or whole files held back automatically; never events of a training
 * file). The parameters of the best epoch (validation top-1, mean over
 * files) are saved; training stops after --patience epochs without progress.
 *
 * Parallelism: --threads workers each run forward and backward on a fixed
 * share of every batch (small GEMMs on one core each beat splitting every
 * product over BLIS's threads); the gradients are summed in worker order.
 *
 * Deterministic for a fixed seed and thread count: one splitmix64 stream for
 * initialisation, sampling and reservoirs, fixed shards, fixed summation
 * order; BLIS never splits reductions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_io.h"
#include "train.h"

/* Reads a trace's workload label; NULL + message on error. */
static char *trace_label(const char *path)
{
	struct ko_trace_reader *r;
	char err[KO_ERR_LEN];
	char *label;

	if (ko_trace_open(path, &r, err)) {
		fprintf(stderr, "koracle: train: %s\n", err);
		return NULL;
	}
	label = strdup(ko_trace_info(r)->label);
	ko_trace_close(r);
	if (!label)
		fprintf(stderr, "koracle: train: out of memory\n");
	return label;
}

/*
 * Without --val: within each workload label that has at least two files,
 * hold back the last quarter (at least one) of its files; if no label has
 * two, hold back the last quarter (at least one) of all files. Sets held[i].
 */
int ko_train_holdout(const struct ko_train_opts *o, int *held)
{
	char **lab = calloc(o->ntrain, sizeof(*lab));
	int ret = -1, any = 0;

	if (!lab) {
		fprintf(stderr, "koracle: train: out of memory\n");
		return -1;
	}
	if (o->ntrain < 2) {
		fprintf(stderr,
			"koracle: train: need at least 2 trace files or --val: validation uses whole files, never events of a training file\n");
		goto out;
	}
	for (int i = 0; i < o->ntrain; i++) {
		lab[i] = trace_label(o->train[i]);
		if (!lab[i])
			goto out;
	}
	for (int i = 0; i < o->ntrain; i++) {
		int n = 0, rank = 0, hold;

		for (int j = 0; j < o->ntrain; j++)
			if (!strcmp(lab[i], lab[j])) {
				n++;
				rank += j > i;	/* files of the label after i */
			}
		hold = n / 4 > 1 ? n / 4 : 1;
		held[i] = n >= 2 && rank < hold;
		any |= held[i];
	}
	if (!any) {
		int hold = o->ntrain / 4 > 1 ? o->ntrain / 4 : 1;

		for (int i = 0; i < o->ntrain; i++)
			held[i] = i >= o->ntrain - hold;
	}
	ret = 0;
out:
	for (int i = 0; i < o->ntrain; i++)
		free(lab[i]);
	free(lab);
	return ret;
}

void ko_train_defaults(struct ko_train_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->channels = KO_TRAIN_DEF_CHANNELS;
	o->blocks = KO_TRAIN_DEF_BLOCKS;
	o->kernel = KO_TRAIN_DEF_KERNEL;
	o->hidden = KO_TRAIN_DEF_HIDDEN;
	o->window = KO_TRAIN_DEF_WINDOW;
	o->epochs = KO_TRAIN_DEF_EPOCHS;
	o->patience = KO_TRAIN_DEF_PATIENCE;
	o->lr = KO_TRAIN_DEF_LR;
	o->wd = KO_TRAIN_DEF_WD;
	o->clip = KO_TRAIN_DEF_CLIP;
	o->batch = KO_TRAIN_DEF_BATCH;
	o->max_windows = KO_TRAIN_DEF_MAXWIN;
	o->seed = KO_TRAIN_DEF_SEED;
	o->threads = ncpu > 0 ? (int)ncpu : 1;
}
