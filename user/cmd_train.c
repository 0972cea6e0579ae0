// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle train TRACE... -o MODEL [options]`: the options, then the run
 * (train.c for the method, train_run.c for the loop).
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "tcn.h"
#include "train.h"

static void train_usage(FILE *f)
{
	fprintf(f,
"usage: koracle train TRACE... -o MODEL [options]\n"
"\n"
"Train the float TCN on trace files (koracle collect / koracle import).\n"
"\n"
"  -o, --output MODEL     model file to write (required)\n"
"      --val TRACE        validation trace file (repeatable); default: hold\n"
"                         back whole files of the TRACE list\n"
"      --channels N       channels C (default %d)\n"
"      --blocks N         residual blocks B, dilations 1,2,4,.. (default %d)\n"
"      --kernel N         convolution taps k (default %d)\n"
"      --hidden N         per-slot head width H (default %d)\n"
"      --window N         points per training window T (default %d)\n"
"      --epochs N         maximum epochs (default %d)\n"
"      --patience N       stop after N epochs without a better val top-1 (default %d)\n"
"      --lr X             peak learning rate (default %g)\n"
"      --weight-decay X   AdamW weight decay (default %g)\n"
"      --clip X           gradient global-norm clip, 0 off (default %g)\n"
"      --batch N          windows per step (default %d)\n"
"      --max-windows N    windows kept per trace file (default %d)\n"
"      --seed N           random seed (default %d)\n"
"      --threads N        workers, each trains on a share of every batch\n"
"                         (default: online CPUs)\n"
"      --use-comm         feed the incoming comm's hash bucket to the model\n"
"                         (off by default: it ties the model to the task\n"
"                         names it trained on; it cost up to 9 points of\n"
"                         top-1 on workloads it had not seen)\n"
"      --no-kernel-features  ignore the slot features only the module sees\n"
"                         (vruntime rank, weight class); automatic when no\n"
"                         training trace was collected by the module, so a\n"
"                         model trained on ftrace imports never reads them\n"
"      --export-windows F also write the training windows to F (raw bytes,\n"
"                         for scripts/bench_torch.py)\n"
"  -h, --help             this help\n",
		KO_TRAIN_DEF_CHANNELS, KO_TRAIN_DEF_BLOCKS, KO_TRAIN_DEF_KERNEL,
		KO_TRAIN_DEF_HIDDEN, KO_TRAIN_DEF_WINDOW, KO_TRAIN_DEF_EPOCHS,
		KO_TRAIN_DEF_PATIENCE, KO_TRAIN_DEF_LR, KO_TRAIN_DEF_WD,
		KO_TRAIN_DEF_CLIP, KO_TRAIN_DEF_BATCH, KO_TRAIN_DEF_MAXWIN,
		KO_TRAIN_DEF_SEED);
}

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "koracle: train: %s: '%s' is not an integer in %ld..%ld\n",
			opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_real(const char *opt, const char *s, double lo, double hi,
		      double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "koracle: train: %s: '%s' is not a number in %g..%g\n",
			opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int add_path(char ***list, int *n, const char *path)
{
	char **grown = realloc(*list, sizeof(*grown) * (*n + 1));

	if (!grown)
		return -ENOMEM;
	grown[*n] = (char *)path;
	*list = grown;
	(*n)++;
	return 0;
}

enum { O_VAL = 256, O_CH, O_BL, O_KE, O_HI, O_WI, O_EP, O_PA, O_LR, O_WD,
       O_CL, O_BA, O_MW, O_SE, O_TH, O_EX, O_UC, O_NK };

/* Integer options: name, bounds, and where the value goes. */
static const struct int_opt {
	int id;
	const char *name;
	long lo, hi;
	size_t off;	/* offsetof(struct ko_train_opts, field), an int */
} int_opts[] = {
	{ O_CH, "--channels", 1, KO_TCN_MAX_CHANNELS, offsetof(struct ko_train_opts, channels) },
	{ O_BL, "--blocks", 0, KO_TCN_MAX_BLOCKS, offsetof(struct ko_train_opts, blocks) },
	{ O_KE, "--kernel", 1, KO_TCN_MAX_KERNEL, offsetof(struct ko_train_opts, kernel) },
	{ O_HI, "--hidden", 1, KO_TCN_MAX_HIDDEN, offsetof(struct ko_train_opts, hidden) },
	{ O_WI, "--window", 2, 4096, offsetof(struct ko_train_opts, window) },
	{ O_EP, "--epochs", 1, 100000, offsetof(struct ko_train_opts, epochs) },
	{ O_PA, "--patience", 1, 100000, offsetof(struct ko_train_opts, patience) },
	{ O_BA, "--batch", 1, 4096, offsetof(struct ko_train_opts, batch) },
	{ O_MW, "--max-windows", 1, 10000000, offsetof(struct ko_train_opts, max_windows) },
	{ O_TH, "--threads", 1, 1024, offsetof(struct ko_train_opts, threads) },
};

static int parse_int_opt(int id, const char *arg, struct ko_train_opts *o)
{
	long v;

	if (id == O_SE) {
		if (parse_int("--seed", arg, 0, 0x7fffffffL, &v))
			return -1;
		o->seed = (uint64_t)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++) {
		const struct int_opt *io = &int_opts[i];

		if (io->id != id)
			continue;
		if (parse_int(io->name, arg, io->lo, io->hi, &v))
			return -1;
		*(int *)((char *)o + io->off) = (int)v;
		return 0;
	}
	return -1;
}

/* 0 ok, 1 --help shown, -1 usage error (message printed). */
static int parse_args(int argc, char **argv, struct ko_train_opts *o)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "val", required_argument, NULL, O_VAL },
		{ "channels", required_argument, NULL, O_CH },
		{ "blocks", required_argument, NULL, O_BL },
		{ "kernel", required_argument, NULL, O_KE },
		{ "hidden", required_argument, NULL, O_HI },
		{ "window", required_argument, NULL, O_WI },
		{ "epochs", required_argument, NULL, O_EP },
		{ "patience", required_argument, NULL, O_PA },
		{ "lr", required_argument, NULL, O_LR },
		{ "weight-decay", required_argument, NULL, O_WD },
		{ "clip", required_argument, NULL, O_CL },
		{ "batch", required_argument, NULL, O_BA },
		{ "max-windows", required_argument, NULL, O_MW },
		{ "seed", required_argument, NULL, O_SE },
		{ "threads", required_argument, NULL, O_TH },
		{ "export-windows", required_argument, NULL, O_EX },
		{ "use-comm", no_argument, NULL, O_UC },
		{ "no-kernel-features", no_argument, NULL, O_NK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;	/* full re-initialisation (glibc) */
	while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 'o': o->output = optarg; break;
		case 'h': train_usage(stdout); return 1;
		case O_VAL:
			if (add_path(&o->val, &o->nval, optarg)) {
				fprintf(stderr, "koracle: train: out of memory\n");
				return -1;
			}
			break;
		case O_CH: case O_BL: case O_KE: case O_HI: case O_WI:
		case O_EP: case O_PA: case O_BA: case O_MW: case O_SE:
		case O_TH:
			bad = parse_int_opt(c, optarg, o);
			break;
		case O_EX: o->export_path = optarg; break;
		case O_UC: o->use_comm = 1; break;
		case O_NK: o->no_kernel_feat = 1; break;
		case O_LR: bad = parse_real("--lr", optarg, 1e-7, 10, &o->lr); break;
		case O_WD: bad = parse_real("--weight-decay", optarg, 0, 10, &o->wd); break;
		case O_CL: bad = parse_real("--clip", optarg, 0, 1e6, &o->clip); break;
		default: bad = 1; break;
		}
		if (bad)
			return -1;
	}
	for (int i = optind; i < argc; i++)
		if (add_path(&o->train, &o->ntrain, argv[i])) {
			fprintf(stderr, "koracle: train: out of memory\n");
			return -1;
		}
	if (!o->output) {
		fprintf(stderr, "koracle: train: no model file given: add -o MODEL\n");
		return -1;
	}
	if (!o->ntrain) {
		fprintf(stderr, "koracle: train: no trace files given\n");
		return -1;
	}
	if (o->window <= ko_tcn_warmup(&(struct ko_tcn_config){
			.kernel = o->kernel, .blocks = o->blocks })) {
		fprintf(stderr,
			"koracle: train: --window %d leaves no scored point after the %d-point warm-up of this architecture: use a longer window\n",
			o->window, ko_tcn_warmup(&(struct ko_tcn_config){
				.kernel = o->kernel, .blocks = o->blocks }));
		return -1;
	}
	return 0;
}

/* Name a trace that cannot be read before anything counts the files. */
static int traces_readable(const struct ko_train_opts *o)
{
	for (int i = 0; i < o->ntrain + o->nval; i++) {
		const char *p = i < o->ntrain ? o->train[i] : o->val[i - o->ntrain];

		if (access(p, R_OK)) {
			fprintf(stderr, "koracle: train: cannot open trace %s: %s\n",
				p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int cmd_train(int argc, char **argv)
{
	struct ko_train_opts o;
	int ret;

	ko_train_defaults(&o);
	ret = parse_args(argc, argv, &o);
	if (ret) {
		if (ret < 0)
			fprintf(stderr, "try: koracle train --help\n");
		free(o.train);
		free(o.val);
		return ret > 0 ? KO_EXIT_OK : KO_EXIT_USAGE;
	}
	ret = traces_readable(&o) ? KO_EXIT_FAIL : ko_train_run(&o);
	free(o.train);
	free(o.val);
	return ret;
}
