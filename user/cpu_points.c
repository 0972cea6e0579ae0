// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The per-CPU point buffer (cpu_points.h). */
#include <stdlib.h>
#include <string.h>

#include "cpu_points.h"

void ko_cpu_set_init(struct ko_cpu_set *s, int cap, bool full, size_t extra)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->full = full;
	s->extra = extra;
}

/* Room for CPU @cpu in the table, doubling; 0 or -1. */
static int grow(struct ko_cpu_set *s, int cpu)
{
	struct ko_cpu_points *grown;
	int n = s->ncpu ? s->ncpu : 8;

	while (n <= cpu)
		n *= 2;
	grown = realloc(s->cpu, sizeof(*grown) * n);
	if (!grown)
		return -1;
	memset(grown + s->ncpu, 0, sizeof(*grown) * (n - s->ncpu));
	s->cpu = grown;
	s->ncpu = n;
	return 0;
}

/* One CPU's arrays: the model's inputs in one allocation, the rest apart. */
static int make(const struct ko_cpu_set *s, struct ko_cpu_points *c)
{
	size_t cap = (size_t)s->cap;

	c->evb = malloc(cap * (KO_CP_EV + KO_CP_SLOT + 1));
	if (!c->evb)
		return -1;
	c->slot = c->evb + cap * KO_CP_EV;
	c->label = c->slot + cap * KO_CP_SLOT;
	if (s->extra) {
		c->extra = calloc(1, s->extra);
		if (!c->extra)
			return -1;
	}
	if (!s->full)
		return 0;
	c->feat = malloc(sizeof(*c->feat) * cap);
	c->ev = malloc(sizeof(*c->ev) * cap);
	c->restart = malloc(sizeof(*c->restart) * cap);
	return c->feat && c->ev && c->restart ? 0 : -1;
}

struct ko_cpu_points *ko_cpu_points_get(struct ko_cpu_set *s, int cpu)
{
	struct ko_cpu_points *c;

	if (cpu >= s->ncpu && grow(s, cpu))
		return NULL;
	c = &s->cpu[cpu];
	if (!c->evb && make(s, c))
		return NULL;
	return c;
}

void ko_cpu_points_put(const struct ko_cpu_set *s, struct ko_cpu_points *c,
		       int i, const struct ko_point *p)
{
	memcpy(c->evb + (size_t)i * KO_CP_EV, p->feat->ev, KO_CP_EV);
	memcpy(c->slot + (size_t)i * KO_CP_SLOT, p->feat->slot, KO_CP_SLOT);
	c->label[i] = p->label;
	if (!s->full)
		return;
	c->feat[i] = *p->feat;
	c->ev[i] = *p->ev;
	c->restart[i] = p->restart;
}

void ko_cpu_points_keep(const struct ko_cpu_set *s, struct ko_cpu_points *c,
			int from, int keep)
{
	memmove(c->evb, c->evb + (size_t)from * KO_CP_EV, (size_t)keep * KO_CP_EV);
	memmove(c->slot, c->slot + (size_t)from * KO_CP_SLOT,
		(size_t)keep * KO_CP_SLOT);
	memmove(c->label, c->label + from, keep);
	if (!s->full)
		return;
	memmove(c->feat, c->feat + from, sizeof(*c->feat) * keep);
	memmove(c->ev, c->ev + from, sizeof(*c->ev) * keep);
	memmove(c->restart, c->restart + from, sizeof(*c->restart) * keep);
}

void ko_cpu_set_free(struct ko_cpu_set *s)
{
	for (int i = 0; i < s->ncpu; i++) {
		struct ko_cpu_points *c = &s->cpu[i];

		free(c->evb);
		free(c->extra);
		free(c->feat);
		free(c->ev);
		free(c->restart);
	}
	free(s->cpu);
	s->cpu = NULL;
	s->ncpu = 0;
}
