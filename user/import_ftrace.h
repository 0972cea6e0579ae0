/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Importer for the kernel's ftrace text: the `trace` and `trace_pipe` files
 * of tracefs (with or without the irq-flags column, with or without the TGID
 * column) and `trace-cmd report` output (its sched plugin's short format, or
 * the kernel's own format with -N, or numeric fields with -R).
 *
 * Only the five events the module hooks become records (shared/record.h):
 *   sched_switch        SWITCH on the line's CPU
 *   sched_wakeup[_new]  WAKEUP[_NEW] on target_cpu; the waker is the line's
 *                       task, orig_cpu the line's CPU
 *   sched_migrate_task  MIGRATE, once in orig_cpu's stream and once in
 *                       dest_cpu's (once if they are equal)
 *   sched_process_exit  EXIT on the line's CPU
 *   "CPU:N [LOST M EVENTS]" (trace-cmd: "CPU:N [M EVENTS DROPPED]") becomes
 *   a LOST record of M on CPU N.
 * Other events are counted as ignored; comment and header lines are skipped.
 */
#ifndef KO_IMPORT_FTRACE_H
#define KO_IMPORT_FTRACE_H

#include "import.h"

enum ko_ftrace_kind {
	KO_FT_SKIP,		/* blank, "# ..." comment or report header */
	KO_FT_EVENT,		/* one of the five events: ev[0..nev) */
	KO_FT_OTHER,		/* some other event */
	KO_FT_LOST,		/* ev[0] is a LOST record */
};

struct ko_ftrace_line {
	enum ko_ftrace_kind kind;
	int nev;			/* records in ev[], 0..2 */
	struct koracle_event ev[2];
};

/*
 * Parses one line (without its newline). 0 on success; -EINVAL when the
 * line is not something ftrace writes, with the cause in @why.
 * LOST records get ts_ns 0: the caller knows the time of the previous line.
 */
int ko_ftrace_parse_line(const char *line, struct ko_ftrace_line *out,
			 char *why, size_t whylen);

/*
 * Imports one file (plain or gzip, "-" for stdin), passing every record to
 * o->emit in file order and adding to @st. 0 or -errno with @err naming
 * "FILE:LINE" and the cause.
 */
int ko_ftrace_import(const char *path, const struct ko_import_opts *o,
		     struct ko_import_stats *st, char err[KO_ERR_LEN]);

#endif /* KO_IMPORT_FTRACE_H */
