/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A one-line live progress display for long commands: redrawn in place with
 * \r, only when the stream is a terminal, so piped output stays clean.
 */
#ifndef KO_PROGRESS_H
#define KO_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct ko_progress {
	FILE *f;
	bool on;		/* @f is a terminal */
	bool dirty;		/* a line is on screen */
	long long next_ms;	/* CLOCK_MONOTONIC ms of the next redraw */
	int period_ms;		/* redraw period, ms */
};

void ko_progress_init(struct ko_progress *p, FILE *f, int period_ms);
/* Current CLOCK_MONOTONIC time in ms. */
long long ko_now_ms(void);
/* True when a redraw is due at @now_ms (never when the stream is piped). */
bool ko_progress_due(struct ko_progress *p, long long now_ms);
/* Milliseconds until the next redraw, or -1 when progress is off. */
int ko_progress_wait_ms(const struct ko_progress *p, long long now_ms);
void ko_progress_show(struct ko_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Erases the line so that the next message starts on a clean line. */
void ko_progress_clear(struct ko_progress *p);

#endif /* KO_PROGRESS_H */
