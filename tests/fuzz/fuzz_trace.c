// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target: the trace-file reader (user/trace_io.c), header and records,
 * and the per-CPU replay every consumer of a trace runs next
 * (user/replay.c through the shared feature encoder, shared/features.c).
 *
 * Input: a trace file's bytes, in a memfd opened by path as
 * ko_trace_open() wants. Every record is read (then read again after
 * ko_trace_rewind(), which must give the same count) and fed to a replay.
 *
 * Checked besides memory safety: header strings terminated, records of a
 * known type, the read count matching the file's length, and every tuple
 * the encoder makes from hostile records inside the vocabularies: the
 * integer step (fuzz_blob.c) indexes its tables with those values
 * unchecked, so this is what keeps `koracle eval --model BLOB` safe on a
 * hostile trace.
 */
#include <errno.h>

#include "replay.h"
#include "trace_io.h"
#include "fuzz_util.h"

static struct fz_memfile mf = { .fd = -1 };

static int fz_point(void *ctx, const struct ko_point *p)
{
	const struct koracle_feat *f = p->feat;
	int i, j;

	(void)ctx;
	FZ_CHECK(p->label <= KORACLE_K || p->label == KORACLE_LABEL_NA);
	for (i = 0; i < KORACLE_EF_COUNT; i++)
		FZ_CHECK(f->ev[i] < koracle_event_vocab[i]);
	for (j = 0; j < KORACLE_K; j++)
		for (i = 0; i < KORACLE_SF_COUNT; i++)
			FZ_CHECK(f->slot[j][i] < koracle_slot_vocab[i]);
	FZ_CHECK(f->sel_pick <= KORACLE_K && f->coverage_hint <= KORACLE_K);
	return 0;
}

/* Every record of @r; returns how many, or -1 on a read error. */
static long fz_read_all(struct ko_trace_reader *r, struct ko_replay *rp)
{
	struct koracle_event ev;
	long n = 0;
	int ret;

	while ((ret = ko_trace_next(r, &ev)) == 1) {
		FZ_CHECK(ev.type >= KORACLE_EV_SWITCH && ev.type <= KORACLE_EV_MAX);
		if (rp) {
			ret = ko_replay_feed(rp, &ev, fz_point, NULL);
			FZ_CHECK(ret == 0 || ret == -EINVAL);
		}
		n++;
	}
	if (ret < 0) {
		FZ_CHECK(fz_terminated(ko_trace_error(r), KO_ERR_LEN));
		FZ_CHECK(ko_trace_error(r)[0]);
		return -1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ko_trace_reader *r = NULL;
	struct ko_replay *rp = NULL;
	const struct ko_trace_info *info;
	char err[KO_ERR_LEN];
	long n, again;
	int ret;

	fz_memfile_set(&mf, data, size);
	memset(err, 'x', sizeof(err));
	ret = ko_trace_open(mf.path, &r, err);
	if (ret) {
		FZ_CHECK(ret < 0 && !r);
		FZ_CHECK(fz_terminated(err, sizeof(err)) && err[0]);
		return 0;
	}
	info = ko_trace_info(r);
	FZ_CHECK(info->ncpus >= 0 && info->ncpus <= 65536);
	FZ_CHECK(fz_terminated(info->kernel, sizeof(info->kernel)));
	FZ_CHECK(fz_terminated(info->label, sizeof(info->label)));
	FZ_CHECK(fz_terminated(info->origin, sizeof(info->origin)));

	FZ_CHECK(ko_replay_new(&rp) == 0);
	n = fz_read_all(r, rp);
	/* whole records after the header, or an error for a partial one */
	if (n >= 0)
		FZ_CHECK((size_t)n * KORACLE_REC_SIZE + KORACLE_TRACE_HDR_SIZE == size);

	FZ_CHECK(ko_trace_rewind(r) == 0);
	again = fz_read_all(r, NULL);
	FZ_CHECK(again == n);

	ko_replay_free(rp);
	ko_trace_close(r);
	return 0;
}
