// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Live progress line on a terminal (see progress.h). */
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

long long ko_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void ko_progress_init(struct ko_progress *p, FILE *f, int period_ms)
{
	p->f = f;
	p->on = isatty(fileno(f));
	p->dirty = false;
	p->period_ms = period_ms;
	p->next_ms = ko_now_ms() + period_ms;
}

bool ko_progress_due(struct ko_progress *p, long long now_ms)
{
	if (!p->on || now_ms < p->next_ms)
		return false;
	p->next_ms = now_ms + p->period_ms;
	return true;
}

int ko_progress_wait_ms(const struct ko_progress *p, long long now_ms)
{
	if (!p->on)
		return -1;
	return p->next_ms > now_ms ? (int)(p->next_ms - now_ms) : 0;
}

void ko_progress_show(struct ko_progress *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->on)
		return;
	fputc('\r', p->f);
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
	fputs("\033[K", p->f);	/* erase what a longer previous line left */
	fflush(p->f);
	p->dirty = true;
}

void ko_progress_clear(struct ko_progress *p)
{
	if (!p->dirty)
		return;
	fputs("\r\033[K", p->f);
	fflush(p->f);
	p->dirty = false;
}
