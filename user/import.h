/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the two importers (import_ftrace.c, import_ko2csv.c) share with the
 * `koracle import` command: options, counters and the record callback.
 * Importers turn text into struct koracle_event records (shared/record.h)
 * and hand each one to @emit in file order; the command writes them out.
 */
#ifndef KO_IMPORT_H
#define KO_IMPORT_H

#include "../shared/record.h"
#include "../shared/trace_format.h"
#include "trace_io.h"

/* Under --skip-bad, at most this many bad lines are described on stderr. */
#define KO_IMPORT_MAX_WARN	10

/* 0 to continue, -errno to stop the import (the callback fills @err). */
typedef int (*ko_import_emit_fn)(void *ctx, const struct koracle_event *ev,
				 char err[KO_ERR_LEN]);

struct ko_import_opts {
	bool skip_bad;		/* count malformed lines instead of failing */
	bool quiet;		/* do not describe skipped lines on stderr */
	ko_import_emit_fn emit;
	void *ctx;
};

/*
 * Per-CPU switch chains: the pid each CPU last switched to, to count the
 * switches whose prev_pid is not that pid (DESIGN.md: real traces miss a
 * few switches). Grows with the highest CPU seen.
 */
struct ko_chain {
	s32 *last;		/* [n] last next_pid; KO_CHAIN_UNKNOWN if none */
	size_t n;
};

#define KO_CHAIN_UNKNOWN	INT32_MIN

/*
 * Counters, accumulated over every input file: zero them before the first,
 * release them after the last. A chain break is counted the way
 * `koracle dump --stats` counts it in the output: a SWITCH whose prev_pid
 * (-1 included) is not the previous SWITCH's next_pid on that CPU, with no
 * LOST record in between; so the seam between two inputs can count.
 */
struct ko_import_stats {
	u64 records;		/* records emitted (a migration can be two) */
	u64 switches;		/* sched_switch events / CSV rows */
	u64 wakeups;
	u64 wakeups_new;
	u64 migrates;		/* sched_migrate_task events */
	u64 exits;
	u64 lost;		/* LOST records ("[LOST N EVENTS]" lines) */
	u64 ignored;		/* events of other types */
	u64 chain_breaks;	/* switch whose prev != last next on its CPU */
	u64 bad;		/* malformed lines skipped (skip_bad) */
	int ncpus;		/* highest CPU number seen + 1 */
	struct ko_chain chain;	/* per CPU, for chain_breaks */
	/* ko2csv: workload_type of the first row (the default label) */
	char workload[KORACLE_TRACE_LABEL_LEN + 1];
};

int ko_chain_reserve(struct ko_chain *c, unsigned int cpu);
void ko_chain_reset(struct ko_chain *c);
void ko_chain_free(struct ko_chain *c);

void ko_import_stats_release(struct ko_import_stats *st);

/* Counts @ev (CPUs, chain) in @st and passes it to o->emit. */
/*
 * A malformed line @lineno of @path, @why: names it in @err and returns
 * -EINVAL, or with --skip-bad counts it, describes it on stderr (the first
 * few only), clears @err and returns 0.
 */
int ko_import_bad_line(const struct ko_import_opts *o,
		       struct ko_import_stats *st, char err[KO_ERR_LEN],
		       const char *path, unsigned long lineno, const char *why);
int ko_import_emit(const struct ko_import_opts *o, struct ko_import_stats *st,
		   const struct koracle_event *ev, char err[KO_ERR_LEN]);

/* Copies a name into a record's comm: NUL padded, cut at 16 bytes. */
void ko_set_comm(char comm[KORACLE_COMM_LEN], const char *s, size_t len);

/*
 * ftrace's prev_state text <-> KORACLE_PS_* bits: "R" 0, "R+" 0 with
 * KORACLE_RF_PREEMPT, "S", "D", "D|K" ... (see ko_parse_prev_state for the
 * letters of older kernels). 0 or -EINVAL.
 */
int ko_parse_prev_state(const char *s, size_t len, u32 *state, u8 *flags);
/* Writes the ftrace spelling of @state/@flags into @buf (>= 32 bytes). */
void ko_format_prev_state(char *buf, size_t size, u32 state, u8 flags);

#endif /* KO_IMPORT_H */
