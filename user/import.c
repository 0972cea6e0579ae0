// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the importers share (import.h): the record callback with its
 * counters and per-CPU switch chains, bad-line handling, comm copies and
 * ftrace's prev_state letters. The importers (import_ftrace.c,
 * import_ko2csv.c) call down into this file; `koracle import`
 * (cmd_import.c) calls them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

int ko_chain_reserve(struct ko_chain *c, unsigned int cpu)
{
	size_t n = c->n ? c->n : 8, i;
	s32 *nl;

	if (cpu < c->n)
		return 0;
	while (n <= cpu)
		n *= 2;
	nl = realloc(c->last, n * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	for (i = c->n; i < n; i++)
		nl[i] = KO_CHAIN_UNKNOWN;
	c->last = nl;
	c->n = n;
	return 0;
}

void ko_chain_reset(struct ko_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		c->last[i] = KO_CHAIN_UNKNOWN;
}

void ko_chain_free(struct ko_chain *c)
{
	free(c->last);
	c->last = NULL;
	c->n = 0;
}

void ko_import_stats_release(struct ko_import_stats *st)
{
	ko_chain_free(&st->chain);
}

int ko_import_bad_line(const struct ko_import_opts *o,
		       struct ko_import_stats *st, char err[KO_ERR_LEN],
		       const char *path, unsigned long lineno, const char *why)
{
	snprintf(err, KO_ERR_LEN, "%s:%lu: %s", path, lineno, why);
	if (!o->skip_bad)
		return -EINVAL;
	st->bad++;
	if (!o->quiet && st->bad <= KO_IMPORT_MAX_WARN) {
		fprintf(stderr, "koracle: import: skipping %s\n", err);
		if (st->bad == KO_IMPORT_MAX_WARN)
			fprintf(stderr, "koracle: import: (further bad lines are only counted)\n");
	}
	err[0] = '\0';
	return 0;
}

int ko_import_emit(const struct ko_import_opts *o, struct ko_import_stats *st,
		   const struct koracle_event *ev, char err[KO_ERR_LEN])
{
	int top = ev->cpu;

	if (ko_chain_reserve(&st->chain, ev->cpu)) {
		snprintf(err, KO_ERR_LEN, "import: out of memory");
		return -ENOMEM;
	}
	if (ev->type == KORACLE_EV_SWITCH) {
		s32 *last = &st->chain.last[ev->cpu];

		if (*last != KO_CHAIN_UNKNOWN && *last != ev->prev_pid)
			st->chain_breaks++;
		*last = ev->next_pid;
	} else if (ev->type == KORACLE_EV_LOST) {
		/* the loss explains the next break; it is counted as lost */
		st->chain.last[ev->cpu] = KO_CHAIN_UNKNOWN;
	}

	if (ev->type == KORACLE_EV_WAKEUP || ev->type == KORACLE_EV_WAKEUP_NEW ||
	    ev->type == KORACLE_EV_MIGRATE) {
		if (ev->orig_cpu > top)
			top = ev->orig_cpu;
		if (ev->dest_cpu > top)
			top = ev->dest_cpu;
	}
	if (top + 1 > st->ncpus)
		st->ncpus = top + 1;
	st->records++;
	return o->emit ? o->emit(o->ctx, ev, err) : 0;
}

void ko_set_comm(char comm[KORACLE_COMM_LEN], const char *s, size_t len)
{
	memset(comm, 0, KORACLE_COMM_LEN);
	memcpy(comm, s, len < KORACLE_COMM_LEN ? len : KORACLE_COMM_LEN);
}

/*
 * Letters of the kernel's sched_switch print format: S D T t X Z P I are the
 * report bits 0..7 (== KORACLE_PS_*). Kernels before 4.14 also printed
 * modifier letters without a report bit today: K (wakekill, as in "D|K"),
 * W (waking), N (noload); they qualify another letter and are dropped.
 * Their x (TASK_DEAD) is a dead task: X.
 */
int ko_parse_prev_state(const char *s, size_t len, u32 *state, u8 *flags)
{
	static const char letters[] = "SDTtXZPI";
	size_t i;

	*state = 0;
	*flags = 0;
	if (len && s[len - 1] == '+') {
		*flags = KORACLE_RF_PREEMPT;
		len--;
	}
	if (!len)
		return -EINVAL;
	/* trace-cmd report -R prints the number */
	if (s[0] >= '0' && s[0] <= '9') {
		unsigned long v = 0;

		for (i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9' || v > 0xffffffUL)
				return -EINVAL;
			v = v * 10 + (unsigned long)(s[i] - '0');
		}
		/* TASK_REPORT_MAX (0x100) marks a preempted task since 4.14 */
		if (v & 0x100)
			*flags = KORACLE_RF_PREEMPT;
		if (v & ~0x1ffUL)
			return -EINVAL;
		*state = (u32)(v & 0xff);
		return 0;
	}
	if (len == 1 && s[0] == 'R')
		return 0;
	for (i = 0; i < len; i++) {
		const char *l;

		if (i % 2 == 1) {
			if (s[i] != '|')
				return -EINVAL;
			continue;
		}
		if (s[i] == 'K' || s[i] == 'W' || s[i] == 'N')
			continue;
		if (s[i] == 'x') {
			*state |= KORACLE_PS_X;
			continue;
		}
		l = memchr(letters, s[i], sizeof(letters) - 1);
		if (!l)
			return -EINVAL;
		*state |= 1u << (l - letters);
	}
	return len % 2 == 1 ? 0 : -EINVAL;
}

void ko_format_prev_state(char *buf, size_t size, u32 state, u8 flags)
{
	static const char letters[] = "SDTtXZPI";
	size_t n = 0;
	int i;

	if (!size)
		return;
	buf[0] = '\0';
	if (!(state & 0xff)) {
		snprintf(buf, size, "%s", flags & KORACLE_RF_PREEMPT ? "R+" : "R");
		return;
	}
	for (i = 0; i < 8 && n + 3 < size; i++) {
		if (!(state & (1u << i)))
			continue;
		if (n)
			buf[n++] = '|';
		buf[n++] = letters[i];
	}
	if ((flags & KORACLE_RF_PREEMPT) && n + 2 < size)
		buf[n++] = '+';
	buf[n] = '\0';
}
