/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Event fields of ftrace text lines (import_ftrace_fields.c), for the line
 * parser in import_ftrace.c. Each ko_ft_<event>() fills the record(s) of one
 * event from its fields; 0, or -EINVAL with the cause in @why.
 */
#ifndef KO_IMPORT_FTRACE_FIELDS_H
#define KO_IMPORT_FTRACE_FIELDS_H

#include "import_ftrace.h"

#define FT_MAX_CPU	0xffffu	/* rec.cpu is 16 bits */

/* What precedes the fields: "COMM-PID [CPU] FLAGS TS: EVENT: " */
struct ko_ft_head {
	s32 pid;		/* the task the line was logged from */
	u16 cpu;
	u64 ts_ns;
	const char *event;	/* event name, not terminated */
	size_t event_len;
	const char *fields;	/* rest of the line */
};

const char *ko_ft_skip_sp(const char *p);
bool ko_ft_is_digit(char c);
/* Decimal digits at @p into @v; false on no digit or overflow. */
bool ko_ft_dec(const char *p, const char **end, u64 *v);

int ko_ft_switch(const struct ko_ft_head *h, struct koracle_event *ev,
		 char *why, size_t whylen);
int ko_ft_wakeup(const struct ko_ft_head *h, bool is_new,
		 struct koracle_event *ev, char *why, size_t whylen);
/* One record, or two (ev[0] orig_cpu's stream, ev[1] dest_cpu's). */
int ko_ft_migrate(const struct ko_ft_head *h, struct ko_ftrace_line *out,
		  char *why, size_t whylen);
int ko_ft_exit(const struct ko_ft_head *h, struct koracle_event *ev,
	       char *why, size_t whylen);

#endif /* KO_IMPORT_FTRACE_FIELDS_H */
