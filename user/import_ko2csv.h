/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Importer for KernelOracle2's scheduling CSV (github.com/mmarcotullio/
 * KernelOracle, data/collect_traces.py): a header row, then one row per
 * sched_switch, in ftrace's (time) order:
 *
 *   timestamp      seconds, "%.6f" (the ftrace timestamp)
 *   time_diff      seconds since the previous row, "%.9f" (not needed here)
 *   task_name      next_comm
 *   pid            next_pid
 *   cpu            the switching CPU (ftrace's "002" or "2")
 *   prev_state     ftrace's letters: "S", "R+", "D|K"...
 *   prev_comm      the outgoing task's comm
 *   workload_type  e.g. "hackbench_pipe_small"
 *   trace_id       one collection run, e.g. "hackbench_pipe_small_run0"
 *
 * Columns are found by name in the header; quoted fields ("a,b", "a""b")
 * are handled. The CSV has no prev_pid: a row's prev_pid is the pid of the
 * previous row on the same CPU within the same trace_id, or -1 when there
 * is none, or when that row's task_name is not this row's prev_comm (a
 * switch is missing there, or the task exec'd under a new name). A -1 after
 * an earlier switch on that CPU counts as a chain break, as it does in
 * `koracle dump --stats`. Incoming prio is not in the CSV and stays 0.
 */
#ifndef KO_IMPORT_KO2CSV_H
#define KO_IMPORT_KO2CSV_H

#include "import.h"

/* Same contract as ko_ftrace_import(). */
int ko_ko2csv_import(const char *path, const struct ko_import_opts *o,
		     struct ko_import_stats *st, char err[KO_ERR_LEN]);

/*
 * The workload_type of the first row of @path into @out ("" if the file has
 * no such column or no rows): the default label, needed before the output
 * file's header is written. 0 or -errno with @err.
 */
int ko_ko2csv_peek_workload(const char *path, char *out, size_t size,
			    char err[KO_ERR_LEN]);

/*
 * Splits one CSV line in place: fields separated by ',', optionally quoted
 * with '"' ("" inside quotes is one '"'). Stores up to @max field pointers.
 * Returns the number of fields, or -EINVAL (unterminated or stray quote) or
 * -E2BIG (more than @max fields).
 */
int ko_csv_split(char *line, char **fields, int max);

#endif /* KO_IMPORT_KO2CSV_H */
