// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * user/dataset.c on hand-built traces: window count and overlap, the
 * reservoir's bound, labels carried through, warm-up masking, restarts after
 * lost events, and the per-label-then-per-file sampling weights.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../shared/features.h"
#include "dataset.h"
#include "tcn.h"
#include "trace_io.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/koracle-ds-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/*
 * CPU 0 alternates between tasks 100 and 101 @switches times; with
 * @lost_at >= 0 a LOST record comes before switch @lost_at.
 */
static void write_trace(const char *path, const char *label, int switches,
			int lost_at)
{
	struct ko_trace_info info = { .version = KORACLE_TRACE_VERSION,
				      .source = KORACLE_SRC_FTRACE, .ncpus = 1 };
	struct ko_trace_writer *w;
	char e[KO_ERR_LEN];

	snprintf(info.label, sizeof(info.label), "%s", label);
	cr_assert_eq(ko_trace_create(path, &info, &w, e), 0, "%s", e);
	for (int i = 0; i < switches; i++) {
		struct koracle_event ev = {
			.ts_ns = 1000000 + (u64)i * 5000, .type = KORACLE_EV_SWITCH,
			.prev_pid = 100 + i % 2, .next_pid = 100 + (i + 1) % 2,
			.prev_state = 0, .flags = KORACLE_RF_PREEMPT,
		};

		if (i == lost_at) {
			struct koracle_event lost = { .ts_ns = ev.ts_ns - 1,
				.type = KORACLE_EV_LOST, .vruntime = 3 };

			cr_assert_eq(ko_trace_write(w, &lost), 0);
		}
		strcpy(ev.comm, "pp");
		cr_assert_eq(ko_trace_write(w, &ev), 0);
	}
	cr_assert_eq(ko_trace_finish(w), 0);
}

TestSuite(dataset, .init = setup, .fini = teardown);

Test(dataset, windows_tile_the_stream_with_warmup_overlap)
{
	struct ko_dataset ds;
	char path[128], e[KO_ERR_LEN];
	int T = 8, warm = 2;
	uint64_t want;

	snprintf(path, sizeof(path), "%s/pp.kot", dir);
	write_trace(path, "pingpong", 100, -1);
	ko_dataset_init(&ds, T, warm, 1000, 1);
	cr_assert_eq(ko_dataset_add_file(&ds, path, e), 0, "%s", e);
	cr_assert_eq(ds.nfiles, 1);
	/*
	 * one point per switch but the first (it has nothing before it to
	 * predict from); a window ends every T - warm points
	 */
	cr_assert_eq(ds.files[0].points, 99);
	want = (ds.files[0].points - T) / (T - warm) + 1;
	cr_assert_eq(ds.files[0].offered, want);
	cr_assert_eq(ds.files[0].nwin, (int)want);
	cr_assert_str_eq(ds.files[0].label, "pingpong");
	/* consecutive windows overlap by the warm-up: same bytes */
	cr_assert_arr_eq(ko_win_ev(&ds, 0, 0) + (T - warm) * KORACLE_EF_COUNT,
			 ko_win_ev(&ds, 0, 1), warm * KORACLE_EF_COUNT);
	/* ping-pong: the next task is the previous one, slot 1, once known */
	cr_assert_eq(ko_win_label(&ds, 0, 1)[3], 1);
	ko_dataset_free(&ds);
}

Test(dataset, reservoir_bounds_memory_and_gather_masks_warmup)
{
	struct ko_dataset ds;
	char path[128], e[KO_ERR_LEN];
	uint8_t ev[2 * 8 * KORACLE_EF_COUNT], slot[2 * 8 * KORACLE_K * KORACLE_SF_COUNT];
	uint8_t lab[2 * 8];
	int file[2] = { 0, 0 }, win[2] = { 0, 2 };

	snprintf(path, sizeof(path), "%s/pp.kot", dir);
	write_trace(path, "pingpong", 400, -1);
	ko_dataset_init(&ds, 8, 3, 3, 7);
	cr_assert_eq(ko_dataset_add_file(&ds, path, e), 0, "%s", e);
	cr_assert_eq(ds.files[0].nwin, 3);
	cr_assert_gt(ds.files[0].offered, 50);
	ko_dataset_gather(&ds, file, win, 2, ev, slot, lab);
	for (int i = 0; i < 2; i++) {
		for (int t = 0; t < 3; t++)
			cr_assert_eq(lab[i * 8 + t], KO_TCN_LABEL_SKIP);
		for (int t = 3; t < 8; t++)
			cr_assert_eq(lab[i * 8 + t], 1);
	}
	cr_assert_arr_eq(slot + 8 * KORACLE_K * KORACLE_SF_COUNT,
			 ko_win_slot(&ds, 0, 2), 8 * KORACLE_K * KORACLE_SF_COUNT);
	ko_dataset_free(&ds);
}

Test(dataset, no_window_spans_lost_events)
{
	struct ko_dataset ds;
	char path[128], e[KO_ERR_LEN];

	/* 12 switches, LOST before the 7th: 6 + 6 points, never 8 in a row */
	snprintf(path, sizeof(path), "%s/lost.kot", dir);
	write_trace(path, "lossy", 12, 6);
	ko_dataset_init(&ds, 8, 2, 100, 1);
	cr_assert_eq(ko_dataset_add_file(&ds, path, e), 0, "%s", e);
	cr_assert_eq(ds.files[0].nwin, 0);
	ko_dataset_free(&ds);
	/* without the loss, the same stream gives a window */
	write_trace(path, "lossy", 12, -1);
	ko_dataset_init(&ds, 8, 2, 100, 1);
	cr_assert_eq(ko_dataset_add_file(&ds, path, e), 0, "%s", e);
	cr_assert_eq(ds.files[0].nwin, 1);
	ko_dataset_free(&ds);
}

Test(dataset, every_label_then_every_file_weighs_the_same)
{
	struct ko_dataset ds;
	char path[128], e[KO_ERR_LEN];
	const char *labels[] = { "a", "a", "b" };
	const int lens[] = { 300, 60, 100 };

	ko_dataset_init(&ds, 8, 2, 1000, 1);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/f%d.kot", dir, i);
		write_trace(path, labels[i], lens[i], -1);
		cr_assert_eq(ko_dataset_add_file(&ds, path, e), 0, "%s", e);
	}
	cr_assert_eq(ds.nlabels, 2);
	cr_assert_float_eq(ko_dataset_file_weight(&ds, 0), 0.25, 1e-12);
	cr_assert_float_eq(ko_dataset_file_weight(&ds, 1), 0.25, 1e-12);
	cr_assert_float_eq(ko_dataset_file_weight(&ds, 2), 0.5, 1e-12);
	ko_dataset_free(&ds);
}

Test(dataset, unreadable_file_is_an_error)
{
	struct ko_dataset ds;
	char e[KO_ERR_LEN] = "";

	ko_dataset_init(&ds, 8, 2, 10, 1);
	cr_assert_neq(ko_dataset_add_file(&ds, "/nonexistent.kot", e), 0);
	cr_assert(strstr(e, "/nonexistent.kot"), "%s", e);
	ko_dataset_free(&ds);
}
