// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KernelOracle2 CSV -> koracle SWITCH records (format: import_ko2csv.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_ko2csv.h"
#include "line_reader.h"

#define CSV_MAX_FIELDS	64
#define NS_PER_SEC	1000000000ull

enum csv_col {
	COL_TS, COL_TDIFF, COL_TASK, COL_PID, COL_CPU, COL_PSTATE, COL_PCOMM,
	COL_WORKLOAD, COL_TRACE, COL_N,
};

static const char *const col_names[COL_N] = {
	"timestamp", "time_diff", "task_name", "pid", "cpu", "prev_state",
	"prev_comm", "workload_type", "trace_id",
};

/* Columns a row cannot be turned into a switch without. */
static const bool col_required[COL_N] = {
	[COL_TS] = true, [COL_TASK] = true, [COL_PID] = true, [COL_CPU] = true,
	[COL_PSTATE] = true,
};

int ko_csv_split(char *line, char **fields, int max)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		if (n == max)
			return -E2BIG;
		fields[n++] = w;
		if (*r == '"') {
			r++;
			for (;;) {
				if (!*r)
					return -EINVAL;	/* unterminated quote */
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r++;
			}
			r++;	/* closing quote */
			if (*r && *r != ',')
				return -EINVAL;
		} else {
			while (*r && *r != ',') {
				if (*r == '"')
					return -EINVAL;
				*w++ = *r++;
			}
		}
		if (!*r) {
			*w = '\0';
			return n;
		}
		*w++ = '\0';
		r++;	/* ',' */
	}
}

/* "SECS[.FRAC]" -> ns; digits past the ninth are cut (below 1 ns). */
static int csv_ts(const char *s, u64 *ns)
{
	u64 sec = 0, frac = 0;
	int digits = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (sec > UINT64_MAX / NS_PER_SEC / 10)
			return -ERANGE;
		sec = sec * 10 + (u64)(*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 9)
				frac = frac * 10 + (u64)(*s - '0');
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (*s)
		return -EINVAL;
	*ns = sec * NS_PER_SEC + frac;
	return 0;
}

static int csv_uint(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (max - (unsigned long)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (unsigned long)(*s - '0');
	}
	*v = x;
	return 0;
}

struct csv_state {
	int col[COL_N];		/* field index of each column, -1 if absent */
	int ncols;		/* fields in the header */
	bool have_header;
	char trace_id[128];	/* current trace_id (chains reset on change) */
	struct ko_chain chain;	/* per CPU: last pid */
	char (*names)[KORACLE_COMM_LEN + 1];	/* [chain.n] last task_name */
	size_t names_n;
};

static int csv_header(struct csv_state *cs, char **f, int n, char *why,
		      size_t whylen)
{
	int i, c;

	/* a UTF-8 byte order mark is not part of the first name */
	if (n && !strncmp(f[0], "\xef\xbb\xbf", 3))
		f[0] += 3;
	for (c = 0; c < COL_N; c++)
		cs->col[c] = -1;
	for (i = 0; i < n; i++)
		for (c = 0; c < COL_N; c++)
			if (!strcmp(f[i], col_names[c]) && cs->col[c] < 0)
				cs->col[c] = i;
	for (c = 0; c < COL_N; c++) {
		if (col_required[c] && cs->col[c] < 0) {
			snprintf(why, whylen,
				 "header has no '%s' column: not a KernelOracle2 CSV?",
				 col_names[c]);
			return -EINVAL;
		}
	}
	cs->ncols = n;
	cs->have_header = true;
	return 0;
}

static const char *field(const struct csv_state *cs, char **f, int c)
{
	return cs->col[c] < 0 ? "" : f[cs->col[c]];
}

static int names_reserve(struct csv_state *cs, size_t n)
{
	void *nn;

	if (n <= cs->names_n)
		return 0;
	nn = realloc(cs->names, n * sizeof(*cs->names));
	if (!nn)
		return -ENOMEM;
	cs->names = nn;
	memset(cs->names + cs->names_n, 0, (n - cs->names_n) * sizeof(*cs->names));
	cs->names_n = n;
	return 0;
}

/*
 * One data row -> one SWITCH record. 0 ok, 1 bad row (cause in @why),
 * -errno when the import cannot go on (cause in @err).
 */
static int csv_row(struct csv_state *cs, char **f, int n,
		   const struct ko_import_opts *o, struct ko_import_stats *st,
		   char *why, size_t whylen, char err[KO_ERR_LEN])
{
	struct koracle_event ev = { 0 };
	const char *tid, *pcomm, *task;
	unsigned long pid, cpu;
	int ret;

	if (n != cs->ncols) {
		snprintf(why, whylen, "%d fields, the header has %d", n, cs->ncols);
		return 1;
	}
	if (csv_ts(field(cs, f, COL_TS), &ev.ts_ns)) {
		snprintf(why, whylen, "timestamp '%.32s' is not SECONDS.FRACTION",
			 field(cs, f, COL_TS));
		return 1;
	}
	if (csv_uint(field(cs, f, COL_PID), INT32_MAX, &pid)) {
		snprintf(why, whylen, "pid '%.32s' is not a pid", field(cs, f, COL_PID));
		return 1;
	}
	if (csv_uint(field(cs, f, COL_CPU), 0xffff, &cpu)) {
		snprintf(why, whylen, "cpu '%.32s' is not a CPU number",
			 field(cs, f, COL_CPU));
		return 1;
	}
	if (ko_parse_prev_state(field(cs, f, COL_PSTATE),
				strlen(field(cs, f, COL_PSTATE)),
				&ev.prev_state, &ev.flags)) {
		snprintf(why, whylen, "prev_state '%.32s' is not a task state",
			 field(cs, f, COL_PSTATE));
		return 1;
	}
	tid = field(cs, f, COL_TRACE);
	if (strcmp(tid, cs->trace_id)) {
		/* a new collection run: nothing carries over */
		snprintf(cs->trace_id, sizeof(cs->trace_id), "%s", tid);
		ko_chain_reset(&cs->chain);
	}
	if (!st->workload[0])
		snprintf(st->workload, sizeof(st->workload), "%s",
			 field(cs, f, COL_WORKLOAD));
	if (ko_chain_reserve(&cs->chain, (unsigned int)cpu) ||
	    names_reserve(cs, cs->chain.n)) {
		snprintf(err, KO_ERR_LEN, "import: out of memory");
		return -ENOMEM;
	}
	task = field(cs, f, COL_TASK);
	pcomm = field(cs, f, COL_PCOMM);
	ev.type = KORACLE_EV_SWITCH;
	ev.cpu = (u16)cpu;
	ev.next_pid = (s32)pid;
	ev.prev_pid = -1;
	ko_set_comm(ev.comm, task, strlen(task));
	if (cs->chain.last[cpu] != KO_CHAIN_UNKNOWN) {
		/* compare as stored: comms are cut at 16 bytes */
		char pc[KORACLE_COMM_LEN + 1] = "";

		memcpy(pc, pcomm, strnlen(pcomm, KORACLE_COMM_LEN));
		/* a mismatch is a missing switch: ko_import_emit counts it */
		if (cs->col[COL_PCOMM] < 0 || !strcmp(pc, cs->names[cpu]))
			ev.prev_pid = cs->chain.last[cpu];
	}
	cs->chain.last[cpu] = ev.next_pid;
	memset(cs->names[cpu], 0, sizeof(cs->names[cpu]));
	memcpy(cs->names[cpu], ev.comm, KORACLE_COMM_LEN);
	st->switches++;
	ret = ko_import_emit(o, st, &ev, err);
	return ret;
}

int ko_ko2csv_import(const char *path, const struct ko_import_opts *o,
		     struct ko_import_stats *st, char err[KO_ERR_LEN])
{
	struct ko_line_reader *lr = NULL;
	struct csv_state cs = { .trace_id = "" };
	char *f[CSV_MAX_FIELDS];
	char why[200];
	size_t len;
	char *line;
	int ret, n;

	ret = ko_lr_open(path, &lr, err);
	if (ret)
		return ret;
	while ((ret = ko_lr_next(lr, &line, &len)) == 1) {
		if (!len)
			continue;
		n = ko_csv_split(line, f, CSV_MAX_FIELDS);
		if (n < 0) {
			snprintf(why, sizeof(why), "%s", n == -E2BIG ?
				 "more than 64 fields" :
				 "bad quoting (unterminated or stray '\"'; quoted line breaks are not supported)");
		} else if (!cs.have_header) {
			ret = csv_header(&cs, f, n, why, sizeof(why));
			if (ret) {
				snprintf(err, KO_ERR_LEN, "%s:%lu: %s", path,
					 ko_lr_lineno(lr), why);
				goto out;	/* nothing to skip to */
			}
			continue;
		} else {
			ret = csv_row(&cs, f, n, o, st, why, sizeof(why), err);
			if (ret < 0)
				goto out;
			if (!ret)
				continue;
		}
		ret = ko_import_bad_line(o, st, err, path, ko_lr_lineno(lr), why);
		if (ret)
			goto out;
	}
	if (ret < 0)
		snprintf(err, KO_ERR_LEN, "%s", ko_lr_error(lr));
	if (!ret && !cs.have_header) {
		snprintf(err, KO_ERR_LEN, "%s: empty: no header row", path);
		ret = -EINVAL;
	}
out:
	ko_chain_free(&cs.chain);
	free(cs.names);
	ko_lr_close(lr);
	return ret < 0 ? ret : 0;
}

int ko_ko2csv_peek_workload(const char *path, char *out, size_t size,
			    char err[KO_ERR_LEN])
{
	struct ko_line_reader *lr = NULL;
	struct csv_state cs = { 0 };
	char *f[CSV_MAX_FIELDS];
	char why[200];
	size_t len;
	char *line;
	int ret, n;

	out[0] = '\0';
	if (!strcmp(path, "-"))
		return 0;	/* stdin cannot be read twice */
	ret = ko_lr_open(path, &lr, err);
	if (ret)
		return ret;
	while ((ret = ko_lr_next(lr, &line, &len)) == 1) {
		if (!len)
			continue;
		n = ko_csv_split(line, f, CSV_MAX_FIELDS);
		if (n < 0)
			break;	/* the import proper reports it */
		if (!cs.have_header) {
			if (csv_header(&cs, f, n, why, sizeof(why)))
				break;
			continue;
		}
		if (n == cs.ncols)
			snprintf(out, size, "%s", field(&cs, f, COL_WORKLOAD));
		break;
	}
	if (ret < 0)
		snprintf(err, KO_ERR_LEN, "%s", ko_lr_error(lr));
	ko_lr_close(lr);
	return ret < 0 ? ret : 0;
}
