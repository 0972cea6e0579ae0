// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target: the KernelOracle2 CSV importer (user/import_ko2csv.c) with
 * the line reader under it (user/line_reader.c: plain or gzip input).
 *
 * Input: the CSV file's bytes, in a memfd; ko_ko2csv_peek_workload() and
 * ko_ko2csv_import() read it by path, exactly as `koracle import --format
 * ko2csv` does, with --skip-bad (so a bad row does not hide the rows after
 * it) and quietly. The CSV row state (per-CPU chains, last task names) is
 * the importer's own; rows name CPUs up to 65535.
 *
 * Checked besides memory safety: 0 or -errno with a message, every record
 * a SWITCH with pids in range, and the importer's counts adding up.
 */
#include <errno.h>

#include "import_ko2csv.h"
#include "fuzz_util.h"

static struct fz_memfile mf = { .fd = -1 };

struct fz_ctx {
	uint64_t records;
};

static int fz_emit(void *ctx, const struct koracle_event *ev,
		   char err[KO_ERR_LEN])
{
	struct fz_ctx *c = ctx;

	(void)err;
	FZ_CHECK(ev->type == KORACLE_EV_SWITCH);
	FZ_CHECK(ev->next_pid >= 0 && ev->prev_pid >= -1);
	c->records++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_ctx c = { 0 };
	const struct ko_import_opts o = {
		.skip_bad = true, .quiet = true, .emit = fz_emit, .ctx = &c,
	};
	struct ko_import_stats st;
	char err[KO_ERR_LEN], wl[KORACLE_TRACE_LABEL_LEN + 1];
	int ret;

	fz_memfile_set(&mf, data, size);

	memset(err, 'x', sizeof(err));
	ret = ko_ko2csv_peek_workload(mf.path, wl, sizeof(wl), err);
	FZ_CHECK(ret <= 0 && fz_terminated(wl, sizeof(wl)));
	if (ret)
		FZ_CHECK(fz_terminated(err, sizeof(err)) && err[0]);

	memset(&st, 0, sizeof(st));
	memset(err, 'x', sizeof(err));
	ret = ko_ko2csv_import(mf.path, &o, &st, err);
	FZ_CHECK(ret <= 0);
	if (ret)
		FZ_CHECK(fz_terminated(err, sizeof(err)) && err[0]);
	FZ_CHECK(st.records == c.records && st.switches == c.records);
	FZ_CHECK(st.chain_breaks <= st.switches);
	FZ_CHECK(fz_terminated(st.workload, sizeof(st.workload)));
	ko_import_stats_release(&st);
	return 0;
}
