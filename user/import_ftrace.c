// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ftrace text -> koracle records: line heads, special lines, the file loop.
 *
 * A trace line is "<prefix>COMM-PID [(TGID)] [CPU] [FLAGS] SECS.FRAC: EVENT:
 * FIELDS". The prefix is empty for tracefs, an instance name for trace-cmd
 * report of an instance buffer. COMM may hold spaces, '-', '[' or ':', so the
 * head is anchored on the "[CPU]" column: for each '[' from the left, the
 * text around it must read "-PID", optional "(TGID)", "[CPU]", optional
 * flags, timestamp, event name; the first '[' where it does wins. FIELDS are
 * import_ftrace_fields.c's business.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_ftrace.h"
#include "import_ftrace_fields.h"
#include "line_reader.h"

#define NS_PER_SEC	1000000000ull

/* "SECS[.FRAC]" -> ns; FRAC of 1..9 digits (us or ns resolution). */
static bool parse_ts(const char *p, const char **end, u64 *ns)
{
	u64 sec, frac = 0;
	int digits = 0;

	if (!ko_ft_dec(p, &p, &sec) || sec > UINT64_MAX / NS_PER_SEC - 1)
		return false;
	if (*p == '.') {
		p++;
		for (; ko_ft_is_digit(*p); p++, digits++) {
			if (digits == 9)
				return false;
			frac = frac * 10 + (u64)(*p - '0');
		}
		if (!digits)
			return false;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	*ns = sec * NS_PER_SEC + frac;
	*end = p;
	return true;
}

/* Does the text around line[b] == '[' read as a trace line's head? */
static bool head_at(const char *line, const char *b, struct ko_ft_head *h)
{
	const char *p = b - 1, *q;
	u64 v, cpu;

	/* Left of '[': "-PID", spaces, optionally "(TGID)" and spaces. */
	if (p < line || *p != ' ')
		return false;
	while (p > line && *p == ' ')
		p--;
	if (*p == ')') {
		while (p > line && *p != '(')
			p--;
		if (*p != '(' || p == line || p[-1] != ' ')
			return false;
		p--;
		while (p > line && *p == ' ')
			p--;
	}
	q = p;
	while (p > line && ko_ft_is_digit(*p))
		p--;
	if (p == q || *p != '-' || !ko_ft_is_digit(p[1]))
		return false;
	if (!ko_ft_dec(p + 1, &q, &v) || v > INT32_MAX)
		return false;
	h->pid = (s32)v;

	/* "[CPU]", spaces, optional flags column, timestamp ':' */
	if (!ko_ft_dec(b + 1, &p, &cpu) || *p != ']' || cpu > FT_MAX_CPU)
		return false;
	h->cpu = (u16)cpu;
	q = ko_ft_skip_sp(p + 1);
	if (q == p + 1)
		return false;
	if (!parse_ts(q, &p, &h->ts_ns) || *p != ':') {
		/* irq-info flags, e.g. "d..2." or "dNh1." */
		while (*q && *q != ' ')
			q++;
		q = ko_ft_skip_sp(q);
		if (!parse_ts(q, &p, &h->ts_ns) || *p != ':')
			return false;
	}
	p = ko_ft_skip_sp(p + 1);
	h->event = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       ko_ft_is_digit(*p) || *p == '_')
		p++;
	if (p == h->event || *p != ':')
		return false;
	h->event_len = (size_t)(p - h->event);
	h->fields = ko_ft_skip_sp(p + 1);
	return true;
}

static bool find_head(const char *line, struct ko_ft_head *h)
{
	const char *b;

	for (b = strchr(line, '['); b; b = strchr(b + 1, '['))
		if (head_at(line, b, h))
			return true;
	return false;
}

static bool event_is(const struct ko_ft_head *h, const char *name)
{
	return h->event_len == strlen(name) &&
	       !memcmp(h->event, name, h->event_len);
}

/*
 * "CPU:N [LOST M EVENTS]" (tracefs), "CPU:N [M EVENTS DROPPED]" or, count
 * unknown, "CPU:N [EVENTS DROPPED]" (trace-cmd report, possibly after an
 * instance prefix). An unknown count is recorded as 1: at least one.
 */
static bool parse_lost(const char *line, struct koracle_event *ev)
{
	const char *p = strstr(line, "CPU:");
	u64 cpu, n = 1;

	if (!p || !ko_ft_dec(p + 4, &p, &cpu) || cpu > FT_MAX_CPU ||
	    strncmp(p, " [", 2))
		return false;
	p += 2;
	if (!strncmp(p, "LOST ", 5)) {
		if (!ko_ft_dec(p + 5, &p, &n) || strcmp(p, " EVENTS]"))
			return false;
	} else if (strcmp(p, "EVENTS DROPPED]") &&
		   (!ko_ft_dec(p, &p, &n) || strcmp(p, " EVENTS DROPPED]"))) {
		return false;
	}
	ev->type = KORACLE_EV_LOST;
	ev->cpu = (u16)cpu;
	ev->vruntime = n;
	return true;
}

/* trace-cmd report's own lines: "cpus=2", "CPU 0 is empty", "version = 6" */
static bool is_report_header(const char *p)
{
	u64 n;

	if (!strncmp(p, "cpus=", 5))
		return ko_ft_dec(p + 5, &p, &n) && !*p;
	if (!strncmp(p, "version = ", 10))
		return true;
	p = strstr(p, "CPU ");
	return p && ko_ft_dec(p + 4, &p, &n) && !strcmp(p, " is empty");
}

int ko_ftrace_parse_line(const char *line, struct ko_ftrace_line *out,
			 char *why, size_t whylen)
{
	const char *p = ko_ft_skip_sp(line);
	struct ko_ft_head h;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!*p || *p == '#' || is_report_header(p)) {
		out->kind = KO_FT_SKIP;
		return 0;
	}
	if (!find_head(line, &h)) {
		if (parse_lost(p, &out->ev[0])) {
			out->kind = KO_FT_LOST;
			out->nev = 1;
			return 0;
		}
		snprintf(why, whylen,
			 "not an ftrace event line (expected \"comm-pid [cpu] ... ts: event: fields\")");
		return -EINVAL;
	}
	out->kind = KO_FT_EVENT;
	out->nev = 1;
	out->ev[0].ts_ns = h.ts_ns;
	if (event_is(&h, "sched_switch"))
		ret = ko_ft_switch(&h, &out->ev[0], why, whylen);
	else if (event_is(&h, "sched_wakeup"))
		ret = ko_ft_wakeup(&h, false, &out->ev[0], why, whylen);
	else if (event_is(&h, "sched_wakeup_new"))
		ret = ko_ft_wakeup(&h, true, &out->ev[0], why, whylen);
	else if (event_is(&h, "sched_migrate_task"))
		ret = ko_ft_migrate(&h, out, why, whylen);
	else if (event_is(&h, "sched_process_exit"))
		ret = ko_ft_exit(&h, &out->ev[0], why, whylen);
	else {
		out->kind = KO_FT_OTHER;
		out->nev = 0;
	}
	if (ret) {
		/* name the event in the cause: "sched_switch: no next_pid= field" */
		char tmp[160];

		snprintf(tmp, sizeof(tmp), "%s", why);
		snprintf(why, whylen, "%.*s: %s", (int)h.event_len, h.event, tmp);
	}
	return ret;
}

static void count_event(struct ko_import_stats *st, const struct ko_ftrace_line *l)
{
	switch (l->ev[0].type) {
	case KORACLE_EV_SWITCH:
		st->switches++;
		break;
	case KORACLE_EV_WAKEUP:
		st->wakeups++;
		break;
	case KORACLE_EV_WAKEUP_NEW:
		st->wakeups_new++;
		break;
	case KORACLE_EV_MIGRATE:
		st->migrates++;
		break;
	case KORACLE_EV_EXIT:
		st->exits++;
		break;
	default:
		break;
	}
}

int ko_ftrace_import(const char *path, const struct ko_import_opts *o,
		     struct ko_import_stats *st, char err[KO_ERR_LEN])
{
	struct ko_line_reader *lr = NULL;
	struct ko_ftrace_line l;
	u64 last_ts = 0;	/* ns; time of the last event, for LOST */
	char why[200];
	size_t len;
	char *line;
	int ret, i;

	ret = ko_lr_open(path, &lr, err);
	if (ret)
		return ret;
	while ((ret = ko_lr_next(lr, &line, &len)) == 1) {
		if (ko_ftrace_parse_line(line, &l, why, sizeof(why))) {
			ret = ko_import_bad_line(o, st, err, path,
						 ko_lr_lineno(lr), why);
			if (ret)
				goto out;
			continue;
		}
		if (l.kind == KO_FT_SKIP)
			continue;
		if (l.kind == KO_FT_OTHER) {
			st->ignored++;
			continue;
		}
		if (l.kind == KO_FT_LOST) {
			l.ev[0].ts_ns = last_ts;
			st->lost++;
		} else {
			last_ts = l.ev[0].ts_ns;
			count_event(st, &l);
		}
		for (i = 0; i < l.nev; i++) {
			ret = ko_import_emit(o, st, &l.ev[i], err);
			if (ret)
				goto out;
		}
	}
	if (ret < 0)
		snprintf(err, KO_ERR_LEN, "%s", ko_lr_error(lr));
out:
	ko_lr_close(lr);
	return ret < 0 ? ret : 0;
}
