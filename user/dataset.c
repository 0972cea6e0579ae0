// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Training windows from trace files (dataset.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/features.h"
#include "cpu_points.h"
#include "dataset.h"
#include "replay.h"
#include "tcn.h"

#define PT_EV	KO_CP_EV
#define PT_SLOT	KO_CP_SLOT

struct dataset_ctx {
	struct ko_dataset *ds;
	struct ko_ds_file *file;
	struct ko_cpu_set cpus;	/* per CPU a ring of the last T points */
	uint64_t rng;
	int stride;		/* points between window ends */
};

void ko_dataset_init(struct ko_dataset *ds, int T, int warmup, int cap,
		     uint64_t seed)
{
	memset(ds, 0, sizeof(*ds));
	ds->T = T;
	ds->warmup = warmup < T ? warmup : T - 1;
	ds->cap = cap;
	ds->seed = seed;
	ds->win_bytes = (size_t)T * (PT_EV + PT_SLOT + 1);
}

uint8_t *ko_win_slot(const struct ko_dataset *ds, int file, int w)
{
	return ko_win_ev(ds, file, w) + (size_t)ds->T * PT_EV;
}

uint8_t *ko_win_label(const struct ko_dataset *ds, int file, int w)
{
	return ko_win_slot(ds, file, w) + (size_t)ds->T * PT_SLOT;
}

/* The window slot a reservoir step picks: -1 to drop the window. */
static long dataset_reserve(struct dataset_ctx *c)
{
	struct ko_ds_file *f = c->file;
	uint64_t j;

	f->offered++;
	if (f->nwin < c->ds->cap)
		return f->nwin++;
	j = ko_rng_next(&c->rng) % f->offered;
	return j < (uint64_t)c->ds->cap ? (long)j : -1;
}

/* Copies the CPU ring's last T points, oldest first, into window @w. */
static void dataset_store(struct dataset_ctx *c, struct ko_cpu_points *dc, long w)
{
	const struct ko_dataset *ds = c->ds;
	uint8_t *ev = c->file->data + (size_t)w * ds->win_bytes;
	uint8_t *slot = ev + (size_t)ds->T * PT_EV;
	uint8_t *label = slot + (size_t)ds->T * PT_SLOT;

	for (int t = 0; t < ds->T; t++) {
		int r = (int)((dc->n - ds->T + t) % ds->T);

		memcpy(ev + t * PT_EV, dc->evb + r * PT_EV, PT_EV);
		memcpy(slot + (size_t)t * PT_SLOT, dc->slot + (size_t)r * PT_SLOT,
		       PT_SLOT);
		label[t] = dc->label[r];
	}
}

static int dataset_point(void *ctx, const struct ko_point *p)
{
	struct dataset_ctx *c = ctx;
	const struct ko_dataset *ds = c->ds;
	struct ko_cpu_points *dc = ko_cpu_points_get(&c->cpus, p->cpu);
	int r;
	long w;

	if (!dc)
		return -ENOMEM;
	if (p->restart)
		dc->n = 0;
	if (p->ev && (p->ev->flags & KORACLE_RF_KERNEL))
		c->file->kernel_points++;
	r = (int)(dc->n % ds->T);
	ko_cpu_points_put(&c->cpus, dc, r, p);
	if (p->label == KORACLE_LABEL_NA)
		dc->label[r] = KO_TCN_LABEL_SKIP;
	dc->n++;
	if (dc->n < (uint64_t)ds->T || (dc->n - ds->T) % c->stride)
		return 0;
	if (c->file->nwin == c->file->alloc && c->file->alloc < ds->cap) {
		int n = c->file->alloc ? 2 * c->file->alloc : 64;
		uint8_t *grown;

		if (n > ds->cap)
			n = ds->cap;
		grown = realloc(c->file->data, (size_t)n * ds->win_bytes);
		if (!grown)
			return -ENOMEM;
		c->file->data = grown;
		c->file->alloc = n;
	}
	w = dataset_reserve(c);
	if (w >= 0)
		dataset_store(c, dc, w);
	return 0;
}

static int dataset_label_id(struct ko_dataset *ds, const char *label)
{
	char **grown;

	for (int i = 0; i < ds->nlabels; i++)
		if (!strcmp(ds->labels[i], label))
			return i;
	grown = realloc(ds->labels, sizeof(*grown) * (ds->nlabels + 1));
	if (!grown)
		return -ENOMEM;
	ds->labels = grown;
	ds->labels[ds->nlabels] = strdup(label);
	if (!ds->labels[ds->nlabels])
		return -ENOMEM;
	return ds->nlabels++;
}

int ko_dataset_add_file(struct ko_dataset *ds, const char *path,
			char err[KO_ERR_LEN])
{
	struct dataset_ctx c = { .ds = ds };
	struct ko_trace_info info;
	struct ko_replay_stats st;
	struct ko_ds_file *grown, *f;
	int ret;

	grown = realloc(ds->files, sizeof(*grown) * (ds->nfiles + 1));
	if (!grown)
		goto nomem;
	ds->files = grown;
	f = &ds->files[ds->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		goto nomem;
	ds->nfiles++;
	c.file = f;
	/* a file's sample depends on the seed and its position, not on timing */
	c.rng = ds->seed * 0x9e3779b97f4a7c15ULL + (uint64_t)ds->nfiles;
	c.stride = ds->T - ds->warmup;
	ko_cpu_set_init(&c.cpus, ds->T, false, 0);
	ret = ko_replay_file(path, dataset_point, &c, &info, &st, err);
	if (ret == -ENOMEM)
		snprintf(err, KO_ERR_LEN, "%s: out of memory while sampling windows",
			 path);
	if (ret)
		goto out;
	f->records = st.records;
	f->points = st.points;
	f->labelled = st.labelled;
	f->label = strdup(info.label[0] ? info.label : "unlabelled");
	if (!f->label)
		goto nomem;
	ret = dataset_label_id(ds, f->label);
	if (ret < 0)
		goto nomem;
	f->label_id = ret;
	ret = 0;
	ds->total_win += f->nwin;
out:
	ko_cpu_set_free(&c.cpus);
	return ret;
nomem:
	snprintf(err, KO_ERR_LEN, "%s: out of memory while sampling windows", path);
	ret = -ENOMEM;
	goto out;
}

double ko_dataset_file_weight(const struct ko_dataset *ds, int f)
{
	int lab = ds->files[f].label_id, nlab = 0, nfile = 0;

	if (!ds->files[f].nwin)
		return 0.0;
	for (int l = 0; l < ds->nlabels; l++) {
		int has = 0;

		for (int i = 0; i < ds->nfiles; i++)
			if (ds->files[i].label_id == l && ds->files[i].nwin)
				has = 1;
		nlab += has;
	}
	for (int i = 0; i < ds->nfiles; i++)
		if (ds->files[i].label_id == lab && ds->files[i].nwin)
			nfile++;
	return 1.0 / nlab / nfile;
}

void ko_dataset_gather(const struct ko_dataset *ds, const int *file,
		       const int *win, int n, uint8_t *ev, uint8_t *slot,
		       uint8_t *labels)
{
	int T = ds->T;

	for (int i = 0; i < n; i++) {
		memcpy(ev + (size_t)i * T * PT_EV, ko_win_ev(ds, file[i], win[i]),
		       (size_t)T * PT_EV);
		memcpy(slot + (size_t)i * T * PT_SLOT,
		       ko_win_slot(ds, file[i], win[i]), (size_t)T * PT_SLOT);
		memcpy(labels + (size_t)i * T, ko_win_label(ds, file[i], win[i]), T);
		memset(labels + (size_t)i * T, KO_TCN_LABEL_SKIP, ds->warmup);
	}
}

void ko_dataset_free(struct ko_dataset *ds)
{
	for (int i = 0; i < ds->nfiles; i++) {
		free(ds->files[i].path);
		free(ds->files[i].label);
		free(ds->files[i].data);
	}
	free(ds->files);
	for (int i = 0; i < ds->nlabels; i++)
		free(ds->labels[i]);
	free(ds->labels);
	memset(ds, 0, sizeof(*ds));
}
