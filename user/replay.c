// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Per-CPU replay of a trace through the feature encoder (replay.h).
 *
 * The encoder closes a point at a SWITCH, with its label: the replay hands
 * it on at once, with the SWITCH it predicts, so nothing waits per CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define KO_REPLAY_MAX_CPUS	4096

struct ko_cpu_replay {
	struct koracle_enc enc;
	bool restart;			/* next point starts a new sequence */
	bool lost;			/* a LOST record was seen */
	u64 index;			/* points delivered so far */
};

struct ko_replay {
	struct ko_cpu_replay **cpu;	/* [ncap], NULL for CPUs not seen */
	int ncap;
	int ncpus;			/* highest CPU seen + 1 */
	enum koracle_horizon horizon;
	u64 records, points, labelled;
	u64 base_checked, base_mismatch;
};

int ko_replay_new(struct ko_replay **out)
{
	struct ko_replay *rp = calloc(1, sizeof(*rp));

	*out = rp;
	return rp ? 0 : -ENOMEM;
}

void ko_replay_set_horizon(struct ko_replay *rp, enum koracle_horizon h)
{
	rp->horizon = h;
}

static struct ko_cpu_replay *ko_replay_cpu(struct ko_replay *rp, int cpu)
{
	struct ko_cpu_replay **grown, *c;
	int ncap;

	if (cpu >= rp->ncap) {
		ncap = rp->ncap ? rp->ncap : 8;
		while (ncap <= cpu)
			ncap *= 2;
		grown = realloc(rp->cpu, (size_t)ncap * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + rp->ncap, 0,
		       (size_t)(ncap - rp->ncap) * sizeof(*grown));
		rp->cpu = grown;
		rp->ncap = ncap;
	}
	if (!rp->cpu[cpu]) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		koracle_enc_init(&c->enc, rp->horizon);
		c->restart = true;
		rp->cpu[cpu] = c;
	}
	if (cpu >= rp->ncpus)
		rp->ncpus = cpu + 1;
	return rp->cpu[cpu];
}

/* Hand the point the CPU's encoder just closed to @fn. */
static int ko_replay_deliver(struct ko_replay *rp, int cpu, u8 label,
			     const struct koracle_event *ev, ko_point_fn fn,
			     void *ctx)
{
	struct ko_cpu_replay *c = rp->cpu[cpu];
	struct ko_point p;

	memset(&p, 0, sizeof(p));
	p.cpu = cpu;
	p.index = c->index++;
	p.restart = c->restart;
	koracle_feat_complete(&c->enc.point);
	p.feat = &c->enc.point;
	p.ev = ev;
	p.label = label;
	p.next_pid = ev->next_pid;
	c->restart = false;
	rp->points++;
	rp->labelled++;
	return fn ? fn(ctx, &p) : 0;
}

int ko_replay_feed(struct ko_replay *rp, const struct koracle_event *ev,
		   ko_point_fn fn, void *ctx)
{
	struct ko_cpu_replay *c;
	u8 label = KORACLE_LABEL_NA;

	if (ev->cpu >= KO_REPLAY_MAX_CPUS || ev->type < KORACLE_EV_SWITCH ||
	    ev->type > KORACLE_EV_MAX)
		return -EINVAL;
	c = ko_replay_cpu(rp, ev->cpu);
	if (!c)
		return -ENOMEM;
	rp->records++;
	if (ev->type == KORACLE_EV_LOST) {
		/* the kernel saw events this trace lacks: a new sequence */
		c->restart = true;
		c->lost = true;
	}
	if (!koracle_enc_event(&c->enc, ev, &label))
		return 0;
	if ((ev->flags & KORACLE_RF_PRED) && !c->lost) {
		rp->base_checked++;
		if (ev->base_slot != c->enc.point.sel_pick)
			rp->base_mismatch++;
	}
	return ko_replay_deliver(rp, ev->cpu, label, ev, fn, ctx);
}

static void ko_stats_add(struct koracle_enc_stats *d,
			 const struct koracle_enc_stats *s)
{
	d->events += s->events;
	d->switches += s->switches;
	d->chain_breaks += s->chain_breaks;
	d->lost += s->lost;
	d->evictions += s->evictions;
}

void ko_replay_get_stats(const struct ko_replay *rp, struct ko_replay_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	st->ncpus = rp->ncpus;
	st->records = rp->records;
	st->points = rp->points;
	st->labelled = rp->labelled;
	st->base_checked = rp->base_checked;
	st->base_mismatch = rp->base_mismatch;
	for (cpu = 0; cpu < rp->ncpus; cpu++)
		if (rp->cpu[cpu])
			ko_stats_add(&st->enc, &rp->cpu[cpu]->enc.stats);
}

void ko_replay_cpu_stats(const struct ko_replay *rp, int cpu,
			 struct koracle_enc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (cpu >= 0 && cpu < rp->ncpus && rp->cpu[cpu])
		*st = rp->cpu[cpu]->enc.stats;
}

void ko_replay_free(struct ko_replay *rp)
{
	int cpu;

	if (!rp)
		return;
	for (cpu = 0; cpu < rp->ncap; cpu++)
		free(rp->cpu[cpu]);
	free(rp->cpu);
	free(rp);
}

int ko_replay_file(const char *path, ko_point_fn fn, void *ctx,
		   struct ko_trace_info *info, struct ko_replay_stats *st,
		   char err[KO_ERR_LEN])
{
	return ko_replay_file_at(path, KORACLE_HZ_CURRENT, fn, ctx, info, st,
				 err);
}

int ko_replay_file_at(const char *path, enum koracle_horizon h,
		      ko_point_fn fn, void *ctx, struct ko_trace_info *info,
		      struct ko_replay_stats *st, char err[KO_ERR_LEN])
{
	struct ko_trace_reader *r = NULL;
	struct ko_replay *rp = NULL;
	struct koracle_event ev;
	int ret;

	err[0] = '\0';
	ret = ko_trace_open(path, &r, err);
	if (ret)
		goto out;
	if (info)
		*info = *ko_trace_info(r);
	ret = ko_replay_new(&rp);
	if (ret) {
		snprintf(err, KO_ERR_LEN, "replay %s: out of memory", path);
		goto out;
	}
	ko_replay_set_horizon(rp, h);
	while ((ret = ko_trace_next(r, &ev)) == 1) {
		if (ev.cpu >= KO_REPLAY_MAX_CPUS ||
		    ev.type < KORACLE_EV_SWITCH || ev.type > KORACLE_EV_MAX) {
			ret = -EINVAL;
			snprintf(err, KO_ERR_LEN,
				 "replay %s: record %llu: cpu %u or type %u out of range (newer format?)",
				 path, (unsigned long long)rp->records + 1,
				 ev.cpu, ev.type);
			goto out;
		}
		ret = ko_replay_feed(rp, &ev, fn, ctx);
		if (ret == -ENOMEM) {
			snprintf(err, KO_ERR_LEN, "replay %s: out of memory",
				 path);
			goto out;
		}
		if (ret)
			goto out;	/* the callback's own stop code */
	}
	if (ret < 0) {
		snprintf(err, KO_ERR_LEN, "%s", ko_trace_error(r));
		goto out;
	}
	/* ko_trace_next() returned 0: the end of the file */
out:
	if (st && rp)
		ko_replay_get_stats(rp, st);
	else if (st)
		memset(st, 0, sizeof(*st));
	ko_replay_free(rp);
	if (r)
		ko_trace_close(r);
	return ret;
}
