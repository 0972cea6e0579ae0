// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The training run of `koracle train` (see train.c for the method). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shared/features.h"
#include "blas.h"
#include "commands.h"
#include "dataset.h"
#include "metrics.h"
#include "model_file.h"
#include "progress.h"
#include "tcn.h"
#include "train.h"

#define KO_TRAIN_WARM_FRAC	0.02	/* of all steps: linear LR warm-up */
#define KO_TRAIN_LR_FLOOR	0.05	/* cosine ends at this fraction of lr */
#define KO_TRAIN_MAX_SHARDS	64	/* data-parallel workers at most */
#define KO_TRAIN_MEM_BUDGET	(1L << 30)	/* bytes of stored windows */

struct run;

/* One data-parallel worker's share of a step. */
struct shard {
	struct run *r;
	struct ko_tcn *m;	/* replica (shard 0: the master model) */
	int start, n;		/* windows [start, start + n) of the batch */
	double loss;		/* mean over its counted points */
	int count;
};

struct run {
	const struct ko_train_opts *o;
	int nshard;			/* data-parallel workers (--threads) */
	struct ko_tcn *rep;		/* (nshard - 1) replicas */
	struct shard *sh;		/* (nshard) */
	struct ko_dataset tr, va;
	struct ko_tcn m;
	uint8_t *ev, *slot, *labels;	/* one batch: (B,T,F), (B,T,K,G), (B,T) */
	int *bfile, *bwin;		/* (B) the batch's windows */
	double *cum;			/* (files) cumulative sampling weight */
	float *best;			/* (nparams) best epoch's parameters */
	struct ko_progress pg;
};

static int load_files(struct run *r, struct ko_dataset *ds, char **paths,
		      int n, const char *what)
{
	char err[KO_ERR_LEN];

	for (int i = 0; i < n; i++) {
		ko_progress_show(&r->pg, "reading %s file %d/%d: %s", what, i + 1,
				 n, paths[i]);
		if (ko_dataset_add_file(ds, paths[i], err)) {
			ko_progress_clear(&r->pg);
			fprintf(stderr, "koracle: train: %s\n", err);
			return -1;
		}
		if (!ds->files[i].nwin) {
			ko_progress_clear(&r->pg);
			fprintf(stderr,
				"koracle: train: %s: too few events: %llu prediction points, a window needs %d on one CPU (try a smaller --window or a longer trace)\n",
				paths[i], (unsigned long long)ds->files[i].points,
				ds->T);
			return -1;
		}
	}
	ko_progress_clear(&r->pg);
	return 0;
}

/* Top-1 on the validation windows: mean over files of hits / scored. */
static double validate(struct run *r, double *pooled)
{
	const struct ko_dataset *ds = &r->va;
	int T = ds->T, K = r->m.cfg.nslots, B = r->o->batch;
	double sum = 0.0;
	uint64_t all_hits = 0, all_n = 0;
	int nfiles = 0;

	for (int f = 0; f < ds->nfiles; f++) {
		uint64_t hits = 0, n = 0;

		for (int w0 = 0; w0 < ds->files[f].nwin; w0 += B) {
			int nb = ds->files[f].nwin - w0 < B ? ds->files[f].nwin - w0 : B;
			int count;

			for (int i = 0; i < nb; i++) {
				r->bfile[i] = f;
				r->bwin[i] = w0 + i;
			}
			ko_dataset_gather(ds, r->bfile, r->bwin, nb, r->ev, r->slot,
					  r->labels);
			ko_tcn_forward(&r->m, r->ev, r->slot, NULL, nb, T, &count);
			for (long p = 0; p < (long)nb * T; p++) {
				const float *l = r->m.a.logits + p * (K + 1);
				int best = 0;

				if (r->labels[p] == KO_TCN_LABEL_SKIP)
					continue;
				/* "none" never scores: predict the best slot */
				for (int j = 1; j < K; j++)
					if (l[j] > l[best])
						best = j;
				n++;
				hits += r->labels[p] < K && best == r->labels[p];
			}
		}
		if (n) {
			sum += (double)hits / n;
			nfiles++;
		}
		all_hits += hits;
		all_n += n;
	}
	*pooled = all_n ? (double)all_hits / all_n : 0.0;
	return nfiles ? sum / nfiles : 0.0;
}

/*
 * --export-windows: "KOWIN1\0\0", u32 T, F, K, G, warm-up, windows, mask
 * feature, ignored event features (LE), u8 vocabulary sizes (F, then G),
 * then the windows as stored
 * (dataset.h layout), so another trainer can run on exactly these bytes.
 */
static int export_windows(const struct ko_dataset *ds,
			  const struct ko_tcn_config *cfg, const char *path)
{
	uint32_t hdr[8] = { ds->T, KORACLE_EF_COUNT, KORACLE_K, KORACLE_SF_COUNT,
			    ds->warmup, ds->total_win, KORACLE_SF_STATE,
			    cfg->ev_ignore };
	FILE *f = fopen(path, "wb");
	uint8_t le[sizeof(hdr)];
	int ret = 0;

	for (size_t i = 0; i < sizeof(le); i++)
		le[i] = (uint8_t)(hdr[i / 4] >> (8 * (i % 4)));
	if (!f) {
		fprintf(stderr, "koracle: train: %s: cannot create: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fwrite("KOWIN1\0\0", 1, 8, f) != 8 ||
	    fwrite(le, sizeof(le), 1, f) != 1 ||
	    fwrite(koracle_event_vocab, 1, KORACLE_EF_COUNT, f) != KORACLE_EF_COUNT ||
	    fwrite(koracle_slot_vocab, 1, KORACLE_SF_COUNT, f) != KORACLE_SF_COUNT)
		ret = -1;
	for (int i = 0; i < ds->nfiles && !ret; i++)
		if (fwrite(ds->files[i].data, ds->win_bytes, ds->files[i].nwin, f) !=
		    (size_t)ds->files[i].nwin)
			ret = -1;
	if (fclose(f))
		ret = -1;
	if (ret)
		fprintf(stderr, "koracle: train: %s: write failed: %s\n", path,
			strerror(errno));
	return ret;
}

/*
 * --threads N: N workers each take a contiguous share of every batch. Each
 * runs its small GEMMs on one core, which beats splitting every product over
 * BLIS's threads (see blas.c).
 */
static int setup_shards(struct run *r)
{
	int B = r->o->batch, T = r->tr.T;

	r->nshard = r->o->threads < B ? r->o->threads : B;
	if (r->nshard > KO_TRAIN_MAX_SHARDS)
		r->nshard = KO_TRAIN_MAX_SHARDS;
	r->sh = calloc(r->nshard, sizeof(*r->sh));
	r->rep = calloc(r->nshard, sizeof(*r->rep));
	if (!r->sh || !r->rep)
		return -ENOMEM;
	for (int i = 0; i < r->nshard; i++) {
		struct shard *sh = &r->sh[i];

		sh->r = r;
		sh->start = (int)((long)i * B / r->nshard);
		sh->n = (int)((long)(i + 1) * B / r->nshard) - sh->start;
		sh->m = i ? &r->rep[i - 1] : &r->m;
		if (i && (ko_tcn_replica(sh->m, &r->m) ||
			  ko_tcn_reserve(sh->m, sh->n * T)))
			return -ENOMEM;
	}
	if (r->nshard > 1)
		ko_blas_set_threads(1);	/* the cores are taken by the shards */
	return 0;
}

static float lr_at(const struct ko_train_opts *o, long step, long total)
{
	long warm = (long)(KO_TRAIN_WARM_FRAC * total) + 1;
	double frac;

	if (step < warm)
		return (float)(o->lr * (step + 1) / warm);
	frac = (double)(step - warm) / (total - warm > 0 ? total - warm : 1);
	return (float)(o->lr * (KO_TRAIN_LR_FLOOR + (1.0 - KO_TRAIN_LR_FLOOR) *
				0.5 * (1.0 + cos(M_PI * frac))));
}

/* Whether any training point came from a module-collected trace. */
static bool kernel_traces(const struct ko_dataset *ds)
{
	for (int i = 0; i < ds->nfiles; i++)
		if (ds->files[i].kernel_points)
			return true;
	return false;
}

static void *shard_step(void *arg)
{
	struct shard *sh = arg;
	int T = sh->r->tr.T;
	size_t first = (size_t)sh->start * T;

	ko_tcn_zero_grad(sh->m);
	sh->loss = ko_tcn_forward(sh->m, sh->r->ev + first * KORACLE_EF_COUNT,
				  sh->r->slot + first * KORACLE_K * KORACLE_SF_COUNT,
				  sh->r->labels + first, sh->n, T, &sh->count);
	if (sh->count)
		ko_tcn_backward(sh->m, sh->r->ev + first * KORACLE_EF_COUNT,
				sh->r->slot + first * KORACLE_K * KORACLE_SF_COUNT,
				sh->r->labels + first, sh->n, T);
	return NULL;
}

/*
 * Forward and backward of the gathered batch, split over the workers; the
 * master's gradient becomes the count-weighted sum of the shards' (the
 * gradient of the batch's mean loss), summed in shard order so the result
 * does not depend on timing. Returns the batch's mean loss; *count its points.
 */
static double parallel_step(struct run *r, int *count)
{
	pthread_t tid[KO_TRAIN_MAX_SHARDS];
	bool started[KO_TRAIN_MAX_SHARDS] = { false };
	double loss = 0.0;
	int total = 0;

	for (int i = 1; i < r->nshard; i++)
		started[i] = !pthread_create(&tid[i], NULL, shard_step, &r->sh[i]);
	for (int i = 0; i < r->nshard; i++)
		if (!started[i])	/* shard 0, or no thread: run it here */
			shard_step(&r->sh[i]);
	for (int i = 1; i < r->nshard; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
	for (int i = 0; i < r->nshard; i++)
		total += r->sh[i].count;
	*count = total;
	if (!total || r->nshard == 1)
		return r->sh[0].loss;
	for (int i = 0; i < r->nshard; i++)
		loss += r->sh[i].loss * r->sh[i].count / total;
	{
		float *g = r->m.grads_mem;
		float w0 = (float)r->sh[0].count / total;

		for (size_t j = 0; j < r->m.nparams; j++) {
			float sum = w0 * g[j];

			for (int i = 1; i < r->nshard; i++)
				sum += (float)r->sh[i].count / total *
				       r->sh[i].m->grads_mem[j];
			g[j] = sum;
		}
	}
	return loss;
}

static void sample_batch(struct run *r, int n, uint64_t *rng)
{
	const struct ko_dataset *ds = &r->tr;

	for (int i = 0; i < n; i++) {
		double u = ko_rng_unif(rng) * r->cum[ds->nfiles - 1];
		int f = 0;

		while (f < ds->nfiles - 1 && r->cum[f] <= u)
			f++;
		while (!ds->files[f].nwin)	/* weight 0: never lands here */
			f--;
		r->bfile[i] = f;
		r->bwin[i] = (int)(ko_rng_next(rng) % ds->files[f].nwin);
	}
}

static int build_text(const struct run *r, char **out)
{
	const struct ko_train_opts *o = r->o;
	size_t len = 256;
	char *s, *p;

	for (int i = 0; i < r->tr.nfiles; i++)
		len += strlen(r->tr.files[i].path) + 7;
	for (int i = 0; i < r->va.nfiles; i++)
		len += strlen(r->va.files[i].path) + 5;
	s = p = malloc(len);
	if (!s)
		return -ENOMEM;
	*p = '\0';
	p += sprintf(p, "options lr=%g weight_decay=%g clip=%g batch=%d window=%d max_windows=%d patience=%d use_comm=%d sf_ignore=0x%x\n",
		     o->lr, o->wd, o->clip, o->batch, o->window, r->tr.cap,
		     o->patience, o->use_comm, r->m.cfg.sf_ignore);
	for (int i = 0; i < r->tr.nfiles; i++)
		p += sprintf(p, "train %s\n", r->tr.files[i].path);
	for (int i = 0; i < r->va.nfiles; i++)
		p += sprintf(p, "val %s\n", r->va.files[i].path);
	*out = s;
	return 0;
}

static void fmt_eta(char *buf, size_t n, double s)
{
	if (s < 0 || !isfinite(s))
		snprintf(buf, n, "?");
	else if (s < 60)
		snprintf(buf, n, "%.0fs", s);
	else
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

/* Epoch loop; returns 0 and the run's numbers, or -1 (message printed). */
static int fit(struct run *r, int *epochs_run, int *best_epoch,
	       double *best_val, double *wps, double *last_loss, long *nsteps)
{
	const struct ko_train_opts *o = r->o;
	int B = o->batch, bad = 0;
	long steps = (r->tr.total_win + B - 1) / B, total = steps * o->epochs;
	uint64_t rng = o->seed ^ 0x747261696eULL;	/* "train" */
	long long t0 = ko_now_ms();
	long step = 0, windows = 0;
	long long val_ms = 0, v0;	/* time spent validating, ms */
	bool tty = isatty(STDERR_FILENO);

	*best_val = -1.0;
	for (int ep = 1; ep <= o->epochs; ep++) {
		double loss_sum = 0.0, val, pooled;
		long loss_n = 0;
		char eta[32];

		for (long s = 0; s < steps; s++, step++) {
			int count;
			double loss;

			sample_batch(r, B, &rng);
			ko_dataset_gather(&r->tr, r->bfile, r->bwin, B, r->ev, r->slot,
					  r->labels);
			loss = parallel_step(r, &count);
			if (!isfinite(loss)) {
				ko_progress_clear(&r->pg);
				fprintf(stderr,
					"koracle: train: loss became %g at epoch %d step %ld: try a lower --lr\n",
					loss, ep, s);
				return -1;
			}
			if (count) {
				ko_tcn_clip_grad(&r->m, o->clip);
				ko_tcn_adamw(&r->m, lr_at(o, step, total), 0.9f, 0.999f,
					     1e-8f, (float)o->wd);
				loss_sum += loss;
				loss_n++;
			}
			windows += B;
			if (ko_progress_due(&r->pg, ko_now_ms())) {
				double el = (ko_now_ms() - t0 - val_ms) / 1000.0;

				fmt_eta(eta, sizeof(eta), el / (step + 1) * (total - step - 1));
				ko_progress_show(&r->pg,
					"epoch %d/%d step %ld/%ld  %.0f windows/s  loss %.4f  best val top-1 %.4f  ETA %s",
					ep, o->epochs, s + 1, steps, windows / (el > 0 ? el : 1e-3),
					loss_n ? loss_sum / loss_n : 0.0,
					*best_val < 0 ? 0.0 : *best_val, eta);
			}
		}
		*last_loss = loss_n ? loss_sum / loss_n : 0.0;
		v0 = ko_now_ms();
		val = validate(r, &pooled);
		val_ms += ko_now_ms() - v0;
		*epochs_run = ep;
		if (val > *best_val) {
			*best_val = val;
			*best_epoch = ep;
			memcpy(r->best, r->m.params_mem, sizeof(float) * r->m.nparams);
			bad = 0;
		} else {
			bad++;
		}
		if (tty) {
			ko_progress_clear(&r->pg);
			fprintf(stderr, "epoch %d: loss %.4f  val top-1 %.4f (pooled %.4f)%s\n",
				ep, *last_loss, val, pooled, *best_epoch == ep ? "  best" : "");
		}
		if (bad >= o->patience)
			break;
	}
	*nsteps = step;
	/* training throughput: validation time excluded */
	*wps = windows / ((ko_now_ms() - t0 - val_ms) / 1000.0 + 1e-9);
	memcpy(r->m.params_mem, r->best, sizeof(float) * r->m.nparams);
	return 0;
}

/*
 * The training and validation files: --val's, or whole files of the
 * training list held back (and named on stderr). 0, -1 (message printed)
 * or -ENOMEM.
 */
static int split_files(const struct ko_train_opts *o, char **tr, int *ntr,
		       char **va, int *nva)
{
	int *held = calloc(o->ntrain, sizeof(*held));

	if (!held)
		return -ENOMEM;
	if (!o->nval && ko_train_holdout(o, held)) {
		free(held);
		return -1;
	}
	for (int i = 0; i < o->ntrain; i++) {
		if (held[i])
			va[(*nva)++] = o->train[i];
		else
			tr[(*ntr)++] = o->train[i];
	}
	free(held);
	for (int i = 0; i < o->nval; i++)
		va[(*nva)++] = o->val[i];
	if (!o->nval) {
		fprintf(stderr, "train: validation files (held back; --val chooses):");
		for (int i = 0; i < *nva; i++)
			fprintf(stderr, " %s", va[i]);
		fprintf(stderr, "\n");
	}
	return 0;
}

/*
 * Both datasets, within the memory budget; then whether the model reads
 * the kernel-only slot features (only if a training trace has them).
 * 0 or -1 (message printed).
 */
static int load_data(struct run *r, struct ko_tcn_config *cfg, char **tr,
		     int ntr, char **va, int nva)
{
	const struct ko_train_opts *o = r->o;
	long cap;

	ko_dataset_init(&r->tr, o->window, ko_tcn_warmup(cfg), o->max_windows,
			o->seed);
	/* memory stays bounded however many files: shrink the per-file cap */
	cap = KO_TRAIN_MEM_BUDGET / (long)r->tr.win_bytes / (ntr + nva);
	if (cap < o->max_windows) {
		fprintf(stderr, "train: keeping at most %ld windows per file (%d files, %ld MiB budget)\n",
			cap, ntr + nva, KO_TRAIN_MEM_BUDGET >> 20);
		r->tr.cap = (int)(cap > 1 ? cap : 1);
	}
	ko_dataset_init(&r->va, o->window, ko_tcn_warmup(cfg), r->tr.cap,
			o->seed + 1);
	if (load_files(r, &r->tr, tr, ntr, "training") ||
	    load_files(r, &r->va, va, nva, "validation"))
		return -1;
	if (o->export_path && export_windows(&r->tr, cfg, o->export_path))
		return -1;
	if (!o->no_kernel_feat && !kernel_traces(&r->tr))
		fprintf(stderr, "train: no training trace was collected by the module: ignoring the kernel-only slot features (vruntime rank, weight class)\n");
	if (o->no_kernel_feat || !kernel_traces(&r->tr))
		cfg->sf_ignore = 1u << KORACLE_SF_VR_RANK | 1u << KORACLE_SF_WEIGHT;
	return 0;
}

/* The model, its replicas and the batch buffers; 0 or -ENOMEM. */
static int alloc_model(struct run *r, const struct ko_tcn_config *cfg)
{
	int B = r->o->batch, T = r->o->window;

	if (ko_tcn_create(&r->m, cfg) || ko_tcn_alloc_train(&r->m) ||
	    ko_tcn_reserve(&r->m, B * T))
		return -ENOMEM;
	ko_tcn_init_params(&r->m, r->o->seed);
	if (setup_shards(r))
		return -ENOMEM;
	r->ev = malloc((size_t)B * T * KORACLE_EF_COUNT);
	r->slot = malloc((size_t)B * T * KORACLE_K * KORACLE_SF_COUNT);
	r->labels = malloc((size_t)B * T);
	r->bfile = malloc(sizeof(int) * B);
	r->bwin = malloc(sizeof(int) * B);
	r->cum = malloc(sizeof(double) * r->tr.nfiles);
	r->best = malloc(sizeof(float) * r->m.nparams);
	if (!r->ev || !r->slot || !r->labels || !r->bfile || !r->bwin ||
	    !r->cum || !r->best)
		return -ENOMEM;
	for (int f = 0; f < r->tr.nfiles; f++)
		r->cum[f] = (f ? r->cum[f - 1] : 0.0) + ko_dataset_file_weight(&r->tr, f);
	return 0;
}

static void run_free(struct run *r)
{
	free(r->ev);
	free(r->slot);
	free(r->labels);
	free(r->bfile);
	free(r->bwin);
	free(r->cum);
	free(r->best);
	for (int i = 0; r->rep && i < r->nshard - 1; i++)
		ko_tcn_destroy(&r->rep[i]);
	free(r->rep);
	free(r->sh);
	ko_tcn_destroy(&r->m);
	ko_dataset_free(&r->tr);
	ko_dataset_free(&r->va);
}

int ko_train_run(const struct ko_train_opts *o)
{
	struct run r = { .o = o };
	struct ko_tcn_config cfg;
	struct ko_model_meta meta = { 0 };
	char **tr_paths = NULL, **va_paths = NULL;
	int ntr = 0, nva = 0, ret = KO_EXIT_FAIL, err_code;
	int epochs_run = 0, best_epoch = 0;
	double best_val = 0, wps = 0, loss = 0;
	long nsteps = 0;
	long long t0 = ko_now_ms();
	char err[KO_ERR_LEN];

	ko_progress_init(&r.pg, stderr, 250);
	ko_blas_set_threads(o->threads);
	ko_model_default_config(&cfg, o->channels, o->blocks, o->kernel, o->hidden);
	if (!o->use_comm)
		cfg.ev_ignore = 1u << KORACLE_EF_COMM;
	tr_paths = calloc(o->ntrain + o->nval, sizeof(*tr_paths));
	va_paths = calloc(o->ntrain + o->nval, sizeof(*va_paths));
	if (!tr_paths || !va_paths)
		goto nomem;
	err_code = split_files(o, tr_paths, &ntr, va_paths, &nva);
	if (err_code == -ENOMEM)
		goto nomem;
	if (err_code || load_data(&r, &cfg, tr_paths, ntr, va_paths, nva))
		goto out;
	if (alloc_model(&r, &cfg))
		goto nomem;
	printf("train: files=%d windows=%ld labels=%d val_files=%d val_windows=%ld window=%d warmup=%d\n",
	       r.tr.nfiles, r.tr.total_win, r.tr.nlabels, r.va.nfiles,
	       r.va.total_win, o->window, r.tr.warmup);
	fflush(stdout);
	if (fit(&r, &epochs_run, &best_epoch, &best_val, &wps, &loss, &nsteps))
		goto out;
	meta = (struct ko_model_meta){
		.seed = o->seed, .epochs = epochs_run, .best_epoch = best_epoch,
		.window = o->window, .batch = o->batch, .threads = o->threads,
		.ntrain = r.tr.nfiles, .nval = r.va.nfiles,
		.best_val_top1 = best_val,
	};
	if (build_text(&r, &meta.text))
		goto nomem;
	if (ko_model_save(o->output, &r.m, &meta, err)) {
		fprintf(stderr, "koracle: train: %s\n", err);
		goto out;
	}
	printf("train: epochs=%d steps=%ld best_epoch=%d val_top1=%.4f last_loss=%.4f windows_per_s=%.0f time_s=%.1f\n",
	       epochs_run, nsteps, best_epoch, best_val, loss, wps,
	       (ko_now_ms() - t0) / 1000.0);
	printf("train: model=%s params=%zu macs_per_event=%ld channels=%d blocks=%d kernel=%d hidden=%d\n",
	       o->output, r.m.nparams, ko_tcn_macs_per_event(&cfg), cfg.channels,
	       cfg.blocks, cfg.kernel, cfg.hidden);
	ret = KO_EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "koracle: train: out of memory\n");
out:
	free(meta.text);
	run_free(&r);
	free(tr_paths);
	free(va_paths);
	return ret;
}
