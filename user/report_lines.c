// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The line-based inputs of `koracle report` (report_input.h): bench lines
 * and the module's step_ns histograms. Both are strict: a line that claims
 * to be data and does not parse is an error naming FILE:LINE, so a
 * truncated or mangled file never turns into a wrong number in the report.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line_reader.h"
#include "report_input.h"

#define KO_RPT_BENCH_TAG	"bench: "
#define KO_RPT_MEDIAN_TAG	"median_ns"

/*
 * Characters a bench NAME or UNIT may hold: printable ASCII without
 * spaces, quotes, backslashes, '`', '|', '<' and '>', so they go into
 * Markdown tables as they are.
 */
static bool ko_rpt_word_ok(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || strchr("\"'`|\\<>", *s))
			return false;
	return true;
}

/* "bench: NAME VALUE [UNIT]" after the tag, split in place. */
static int ko_rpt_bench_split(char *s, char *tok[3], int *ntok)
{
	char *save = NULL, *t;

	*ntok = 0;
	for (t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (*ntok == 3)
			return -EINVAL;
		tok[(*ntok)++] = t;
	}
	return *ntok >= 2 ? 0 : -EINVAL;
}

/*
 * A figure of one workload: checks its range (NaN, as bench scripts print
 * for "nothing measured", leaves the cell empty). 1 if @name was one.
 */
static int ko_rpt_bench_live(struct ko_rpt_input *in, const char *name, double v,
			  const char *where, char err[KO_ERR_LEN])
{
	static const char *const what[KO_RPT_LIVE_COUNT] = {
		[KO_RPT_LIVE_KORACLE] = "a fraction in 0..1",
		[KO_RPT_LIVE_MODEL] = "a fraction in 0..1",
		[KO_RPT_LIVE_SELECTOR] = "a fraction in 0..1",
		[KO_RPT_LIVE_PREDICTIONS] = "a count >= 0",
		[KO_RPT_LIVE_STEP_NS] = "ns >= 0",
		[KO_RPT_LIVE_OVERHEAD] = "a ratio > 0",
	};
	struct ko_rpt_workload *w;
	size_t n;
	bool ok;
	int k;

	for (k = 0; k < KO_RPT_LIVE_COUNT; k++) {
		n = strlen(ko_rpt_live_prefix[k]);
		if (strncmp(name, ko_rpt_live_prefix[k], n))
			continue;
		w = ko_rpt_find(in, name + n);
		if (!w)
			continue;	/* not a workload of this eval */
		if (w->has[k]) {
			snprintf(err, KO_ERR_LEN,
				 "%s: %s is given a second time (two runs in one bench file?)",
				 where, name);
			return -EINVAL;
		}
		if (isnan(v))
			return 1;
		if (k == KO_RPT_LIVE_KORACLE || k == KO_RPT_LIVE_MODEL ||
		    k == KO_RPT_LIVE_SELECTOR)
			ok = v >= 0 && v <= 1;
		else if (k == KO_RPT_LIVE_OVERHEAD)
			ok = v > 0 && isfinite(v);
		else
			ok = v >= 0 && isfinite(v);
		if (!ok) {
			snprintf(err, KO_ERR_LEN, "%s: %s is %g: it should be %s",
				 where, name, v, what[k]);
			return -ERANGE;
		}
		w->has[k] = true;
		w->live[k] = v;
		return 1;
	}
	return 0;
}

static int ko_rpt_bench_keep(struct ko_rpt_input *in, char *tok[3], int ntok)
{
	struct ko_rpt_bench *b;

	if (in->nbench == in->bench_cap) {
		size_t cap = in->bench_cap ? in->bench_cap * 2 : 16;

		b = realloc(in->bench, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		in->bench = b;
		in->bench_cap = cap;
	}
	b = &in->bench[in->nbench];
	b->name = strdup(tok[0]);
	b->value = strdup(tok[1]);
	b->unit = strdup(ntok == 3 ? tok[2] : "");
	if (!b->name || !b->value || !b->unit) {
		free(b->name);
		free(b->value);
		free(b->unit);
		return -ENOMEM;
	}
	in->nbench++;
	return 0;
}

/* One "bench: " line (after the tag); @where is "FILE:LINE". */
static int ko_rpt_bench_line(struct ko_rpt_input *in, char *s, const char *where,
			  char err[KO_ERR_LEN])
{
	char *tok[3], *end, copy[128];
	int ntok, ret;
	double v;

	snprintf(copy, sizeof(copy), "%s", s);
	s += strspn(s, " \t");
	if (*s == '#')
		return 0;	/* a comment */
	if (ko_rpt_bench_split(s, tok, &ntok)) {
		snprintf(err, KO_ERR_LEN,
			 "%s: 'bench: %.80s' is not 'bench: NAME VALUE [UNIT]'",
			 where, copy);
		return -EINVAL;
	}
	errno = 0;
	v = strtod(tok[1], &end);
	if (*end || end == tok[1] || errno == ERANGE) {
		snprintf(err, KO_ERR_LEN,
			 "%s: bench %.60s: the value '%.40s' is not a number",
			 where, tok[0], tok[1]);
		return -EINVAL;
	}
	if (!ko_rpt_word_ok(tok[0]) || (ntok == 3 && !ko_rpt_word_ok(tok[2]))) {
		snprintf(err, KO_ERR_LEN,
			 "%s: bench %.60s: names and units are printable ASCII without quotes, backslashes, '`', '|', '<' or '>'",
			 where, tok[0]);
		return -EINVAL;
	}
	ret = ko_rpt_bench_live(in, tok[0], v, where, err);
	if (ret)
		return ret < 0 ? ret : 0;
	if (ko_rpt_bench_keep(in, tok, ntok)) {
		snprintf(err, KO_ERR_LEN, "%s: out of memory", where);
		return -ENOMEM;
	}
	return 0;
}

int ko_rpt_read_bench(struct ko_rpt_input *in, const char *path,
		   char err[KO_ERR_LEN])
{
	struct ko_line_reader *lr = NULL;
	char where[320], *line;
	size_t len;
	int ret;

	ret = ko_lr_open(path, &lr, err);
	if (ret)
		return ret;
	while ((ret = ko_lr_next(lr, &line, &len)) > 0) {
		if (strncmp(line, KO_RPT_BENCH_TAG, strlen(KO_RPT_BENCH_TAG)))
			continue;	/* the run's other output */
		snprintf(where, sizeof(where), "%s:%lu", path, ko_lr_lineno(lr));
		ret = ko_rpt_bench_line(in, line + strlen(KO_RPT_BENCH_TAG), where, err);
		if (ret)
			goto out;
	}
	if (ret < 0)
		snprintf(err, KO_ERR_LEN, "%s", ko_lr_error(lr));
out:
	ko_lr_close(lr);
	return ret;
}

/* ---- step_ns histograms -------------------------------------------------- */

uint64_t ko_rpt_bucket_low(unsigned int b)
{
	return b ? UINT64_C(1) << (b - 1) : 0;
}

uint64_t ko_rpt_median(const uint64_t count[KO_RPT_LAT_BUCKETS], uint64_t total)
{
	uint64_t below = 0, rank = total / 2, low, width;
	unsigned int b;

	if (!total)
		return 0;
	for (b = 0; b < KO_RPT_LAT_BUCKETS; b++) {
		if (below + count[b] > rank)
			break;
		below += count[b];
	}
	if (b == KO_RPT_LAT_BUCKETS)
		b--;
	low = ko_rpt_bucket_low(b);
	width = b ? low : 1;
	/* 128 bits: the kernel's 40 buckets never overflow 64, ours might */
	return low + (uint64_t)((unsigned __int128)width * (rank - below) /
				(count[b] ? count[b] : 1));
}

/* A decimal u64 and nothing else. */
static bool ko_rpt_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !*end && errno != ERANGE;
}

/* One line of a step_ns file; *nb is the number of bucket lines so far. */
static int ko_rpt_lat_line(char *line, uint64_t count[KO_RPT_LAT_BUCKETS],
			unsigned int *nb, bool *median, uint64_t *median_ns,
			const char *where, char err[KO_ERR_LEN])
{
	char copy[96], *tok[3], *save = NULL, *t;
	uint64_t low, n;
	int ntok = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	if (*median) {
		snprintf(err, KO_ERR_LEN, "%s: '%.60s' after the median_ns line, which ends a step_ns file",
			 where, copy);
		return -EINVAL;
	}
	for (t = strtok_r(line, " ", &save); t && ntok < 3; t = strtok_r(NULL, " ", &save))
		tok[ntok++] = t;
	if (ntok != 2) {
		snprintf(err, KO_ERR_LEN, "%s: '%.60s' is not 'LOW_NS COUNT' or 'median_ns N' (the debugfs step_ns format)",
			 where, copy);
		return -EINVAL;
	}
	if (!strcmp(tok[0], KO_RPT_MEDIAN_TAG)) {
		if (!ko_rpt_u64(tok[1], median_ns)) {
			snprintf(err, KO_ERR_LEN, "%s: median_ns '%.40s' is not a number of ns",
				 where, tok[1]);
			return -EINVAL;
		}
		*median = true;
		return 0;
	}
	if (!ko_rpt_u64(tok[0], &low) || !ko_rpt_u64(tok[1], &n)) {
		snprintf(err, KO_ERR_LEN, "%s: '%.60s' is not two decimal numbers 'LOW_NS COUNT'",
			 where, copy);
		return -EINVAL;
	}
	if (*nb >= KO_RPT_LAT_BUCKETS) {
		snprintf(err, KO_ERR_LEN, "%s: more than %d bucket lines (the last starts at 2^%d ns)",
			 where, KO_RPT_LAT_BUCKETS, KO_RPT_LAT_BUCKETS - 2);
		return -EINVAL;
	}
	if (low != ko_rpt_bucket_low(*nb)) {
		snprintf(err, KO_ERR_LEN,
			 "%s: bucket line %u starts at %" PRIu64 " ns, expected %" PRIu64 " (buckets 0, 1, 2, 4, ... ns in order, as debugfs prints them)",
			 where, *nb + 1, low, ko_rpt_bucket_low(*nb));
		return -EINVAL;
	}
	count[(*nb)++] = n;
	return 0;
}

int ko_rpt_read_latency(struct ko_rpt_input *in, const char *path,
		     char err[KO_ERR_LEN])
{
	uint64_t count[KO_RPT_LAT_BUCKETS] = { 0 }, total = 0, median_ns = 0, own;
	struct ko_line_reader *lr = NULL;
	char where[320], *line;
	unsigned int nb = 0, b;
	bool median = false;
	size_t len;
	int ret;

	ret = ko_lr_open(path, &lr, err);
	if (ret)
		return ret;
	while ((ret = ko_lr_next(lr, &line, &len)) > 0) {
		snprintf(where, sizeof(where), "%s:%lu", path, ko_lr_lineno(lr));
		ret = ko_rpt_lat_line(line, count, &nb, &median, &median_ns, where, err);
		if (ret)
			goto out;
	}
	if (ret < 0) {
		snprintf(err, KO_ERR_LEN, "%s", ko_lr_error(lr));
		goto out;
	}
	if (!nb || !median) {
		snprintf(err, KO_ERR_LEN, "%s:%lu: the file ends without %s (truncated? the debugfs step_ns file ends with 'median_ns N')",
			 path, ko_lr_lineno(lr) + 1,
			 nb ? "its median_ns line" : "any 'LOW_NS COUNT' line");
		ret = -EINVAL;
		goto out;
	}
	for (b = 0; b < KO_RPT_LAT_BUCKETS; b++) {
		if (total + count[b] < total ||
		    in->lat.total + total + count[b] < in->lat.total) {
			snprintf(err, KO_ERR_LEN, "%s: the step counts overflow 64 bits", path);
			ret = -EOVERFLOW;
			goto out;
		}
		total += count[b];
	}
	own = ko_rpt_median(count, total);
	if (own != median_ns)
		fprintf(stderr, "koracle: report: warning: %s: median_ns %" PRIu64 " but its buckets give %" PRIu64 " (edited file?)\n",
			path, median_ns, own);
	for (b = 0; b < KO_RPT_LAT_BUCKETS; b++)
		in->lat.count[b] += count[b];
	in->lat.total += total;
	in->lat.nfiles++;
out:
	ko_lr_close(lr);
	return ret;
}
