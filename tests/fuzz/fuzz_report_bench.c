// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target: the inputs of `koracle report` (user/report_lines.c: bench
 * lines and step_ns histograms; user/report_input.c: eval's JSON).
 *
 * Input: byte 0 picks the reader, the rest is the file (in a memfd, read
 * by path as report does):
 *   0  ko_rpt_read_bench
 *   1  ko_rpt_read_latency, twice (files are summed: the overflow guard)
 *   2  ko_rpt_read_eval
 *   3  ko_rpt_read_eval on the bytes before the first NUL, then
 *      ko_rpt_read_bench on those after it: bench names then refer to the
 *      eval's labels (live_*_<label> figures, their range checks)
 *
 * Checked besides memory safety: 0 or -errno with a terminated message,
 * and, when every read succeeded (report stops at the first error), what
 * was kept being what the header promises (names and units printable
 * words, labels without control characters, rates in 0..1, a histogram
 * total equal to its buckets' sum and a median inside its bucket).
 * ko_rpt_read_latency warns on stderr when a file's median disagrees with its
 * buckets: scripts/fuzz.sh runs this target with -close_fd_mask=2.
 */
#include <errno.h>
#include <math.h>

#include "report_input.h"
#include "fuzz_util.h"

static struct fz_memfile mf = { .fd = -1 };

static void fz_check_err(int ret, const char *err)
{
	FZ_CHECK(ret <= 0);
	if (ret)
		FZ_CHECK(fz_terminated(err, KO_ERR_LEN) && err[0]);
}

static int fz_read(struct ko_rpt_input *in, const uint8_t *p, size_t n,
		   int (*rd)(struct ko_rpt_input *, const char *, char *))
{
	char err[KO_ERR_LEN];
	int ret;

	fz_memfile_set(&mf, p, n);
	memset(err, 'x', sizeof(err));
	ret = rd(in, mf.path, err);
	fz_check_err(ret, err);
	return ret;
}

static bool fz_rate(double v)
{
	return v >= 0 && v <= 1;
}

static void fz_check_input(const struct ko_rpt_input *in)
{
	uint64_t sum = 0, med;
	size_t i;
	int b, k;

	for (i = 0; i < in->nbench; i++) {
		const struct ko_rpt_bench *bn = &in->bench[i];

		FZ_CHECK(bn->name[0] && bn->value[0]);
		FZ_CHECK(!strpbrk(bn->name, " \t\"'`|\\<>"));
		FZ_CHECK(!strpbrk(bn->unit, " \t\"'`|\\<>"));
	}
	for (i = 0; i < in->nw; i++) {
		const struct ko_rpt_workload *w = &in->w[i];
		const char *c;

		FZ_CHECK(w->label[0] && w->ntraces >= 1);
		for (c = w->label; *c; c++)
			FZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
		FZ_CHECK(fz_rate(w->r.top1) && fz_rate(w->r.top3) &&
			 fz_rate(w->r.coverage) && fz_rate(w->r.model_top1));
		for (k = 0; k < KO_RPT_LIVE_COUNT; k++)
			if (w->has[k])
				FZ_CHECK(!isnan(w->live[k]) && w->live[k] >= 0);
	}
	for (b = 0; b < KO_RPT_LAT_BUCKETS; b++)
		sum += in->lat.count[b];
	FZ_CHECK(sum == in->lat.total);
	med = ko_rpt_median(in->lat.count, in->lat.total);
	if (in->lat.total) {
		/* inside the bucket holding the middle step */
		for (b = KO_RPT_LAT_BUCKETS - 1; b > 0 && !in->lat.count[b]; b--)
			;
		FZ_CHECK(med <= ko_rpt_bucket_low((unsigned int)b) * 2);
	} else {
		FZ_CHECK(med == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ko_rpt_input in;
	const uint8_t *p = data + 1, *nul;
	size_t n = size ? size - 1 : 0;
	int ret = -EINVAL;

	if (!size)
		return 0;
	ko_rpt_input_init(&in);
	switch (data[0] & 3) {
	case 0:
		ret = fz_read(&in, p, n, ko_rpt_read_bench);
		break;
	case 1:
		ret = fz_read(&in, p, n, ko_rpt_read_latency);
		if (!ret)
			ret = fz_read(&in, p, n, ko_rpt_read_latency);
		break;
	case 2:
		ret = fz_read(&in, p, n, ko_rpt_read_eval);
		break;
	default:
		nul = memchr(p, '\0', n);
		if (!nul)
			break;
		ret = fz_read(&in, p, (size_t)(nul - p), ko_rpt_read_eval);
		if (!ret)
			ret = fz_read(&in, nul + 1, n - (size_t)(nul - p) - 1,
				     ko_rpt_read_bench);
		break;
	}
	/* after a failed read, report gives up: only what it uses is checked */
	if (!ret)
		fz_check_input(&in);
	ko_rpt_input_free(&in);
	return 0;
}
