/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The outputs of `koracle report` (user/cmd_report.c): the per-workload table
 * (one model, printed aligned on stdout and as Markdown, so both show the
 * same rows and columns), report.md, and the gnuplot script that draws
 * report.png.
 */
#ifndef KO_REPORT_H
#define KO_REPORT_H

#include <stdio.h>

#include "report_input.h"

#define KO_RPT_MAX_COLS	20
#define KO_RPT_PNG_WIDTH	1200	/* px */
#define KO_RPT_PNG_HEIGHT	900	/* px */

/* What the command was given, for the provenance sentences. */
struct ko_rpt_opts {
	const char *eval;
	const char **bench;	/* (nbench) */
	const char **latency;	/* (nlatency) */
	const char **seen;	/* (nseen) */
	int nbench, nlatency, nseen;
	const char *title;
	const char *dir;	/* no trailing '/' */
};

struct ko_rpt_col {
	const char *text;	/* stdout header */
	const char *md;		/* Markdown header */
	bool left;		/* aligned left (text) */
};

/*
 * (nrow, ncol) cells, row-major; the last row is eval's macro row. A NULL
 * cell is a missing figure ("-" on stdout, "–" in Markdown); "" is a cell
 * that does not apply.
 */
struct ko_rpt_table {
	const struct ko_rpt_col *col[KO_RPT_MAX_COLS];
	char **cell;
	size_t ncol, nrow;
};

/* 0 or -ENOMEM. The "trained on" column only when --seen was given. */
int ko_rpt_table_build(const struct ko_rpt_input *in, bool seen_col,
		    struct ko_rpt_table *t);
const char *ko_rpt_table_cell(const struct ko_rpt_table *t, size_t row, size_t col);
void ko_rpt_table_print(const struct ko_rpt_table *t, FILE *f);
void ko_rpt_table_free(struct ko_rpt_table *t);

/* @s with Markdown's punctuation escaped. */
void ko_rpt_md_text(FILE *f, const char *s);

/* Everything one output file is written from. */
struct ko_rpt_doc {
	const struct ko_rpt_input *in;
	const struct ko_rpt_table *t;
	const struct ko_rpt_opts *o;
};

/* report.md, to @f (cmd_report.c opens, checks and closes the file). */
void ko_rpt_emit_markdown(FILE *f, const struct ko_rpt_doc *d);
/* report.gp, to @f: draws report.png, data inline, run from DIR. */
void ko_rpt_emit_gnuplot(FILE *f, const struct ko_rpt_doc *d);
/*
 * Runs "gnuplot report.gp" in @dir (its stdout goes to our stderr);
 * -ENOENT when gnuplot is not installed.
 */
int ko_rpt_run_gnuplot(const char *dir, char err[KO_ERR_LEN]);

/* "512 ns", "1.02 µs", "4.19 ms": a bucket bound for people. */
void ko_rpt_fmt_ns(char *buf, size_t len, uint64_t ns);

/* Buckets first..last of a step_ns histogram, and their steps. */
struct ko_rpt_seg {
	unsigned int first, last;
	uint64_t count;
};

/*
 * The histogram from its first to its last non-empty bucket, each run of
 * two or more empty buckets merged into one segment, so a chart or table
 * shows the tails without pages of zeros. Returns the number of segments
 * (0 for an empty histogram).
 */
size_t ko_rpt_lat_segments(const struct ko_rpt_latency *l,
			struct ko_rpt_seg seg[KO_RPT_LAT_BUCKETS]);

#endif /* KO_REPORT_H */
