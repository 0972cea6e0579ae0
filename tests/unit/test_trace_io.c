// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Trace file reader/writer (user/trace_io.c): every field survives a round
 * trip, the header says what was written, and damaged or foreign files are
 * refused or reported with a message that names the file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_io.h"

static char tmp_path[64];

static void make_tmp(void)
{
	int fd;

	strcpy(tmp_path, "/tmp/koracle-test-trace-XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	close(fd);
}

static void remove_tmp(void)
{
	unlink(tmp_path);
}

TestSuite(trace_io, .init = make_tmp, .fini = remove_tmp, .timeout = 20);

/* A deterministic event whose every field depends on @i (full-width values). */
static void fill_event(struct koracle_event *e, u32 i)
{
	u64 x = 0x9e3779b97f4a7c15ULL * (i + 1);

	memset(e, 0, sizeof(*e));
	e->ts_ns = x;
	e->vruntime = ~x;
	e->prev_pid = (s32)(u32)((x >> 7) ^ (i & 1 ? 0x80000000u : 0));
	e->next_pid = i % 7 == 0 ? -1 : (s32)(x >> 33);
	e->weight = (u32)(x >> 13);
	e->prev_state = (u32)(i % 0x200);
	e->pred_pid = (s32)(u32)(i % 3 ? x >> 21 : ~(x >> 21));
	e->cpu = (u16)(i % 4099);
	e->orig_cpu = (u16)(x >> 48);
	e->dest_cpu = (u16)(x >> 40);
	e->prio = (u16)(i % 140);
	e->type = (u8)(1 + i % KORACLE_EV_MAX);
	e->flags = (u8)(x >> 56);
	e->pred_slot = (u8)(i % 17);
	e->base_slot = i % 5 ? (u8)(i % 16) : KORACLE_SLOT_NONE;
	/* comms: short, exactly 16 bytes (unterminated), high bytes */
	if (i % 3 == 0)
		memcpy(e->comm, "hackbench", 9);
	else if (i % 3 == 1)
		memcpy(e->comm, "0123456789abcdef", KORACLE_COMM_LEN);
	else
		for (int k = 0; k < KORACLE_COMM_LEN - 1; k++)
			e->comm[k] = (char)(0x80 + ((i + k) & 0x7f));
}

static void std_info(struct ko_trace_info *info)
{
	memset(info, 0, sizeof(*info));
	info->source = KORACLE_SRC_MODULE;
	info->ncpus = 2;
	info->start_ns = 1764140000123456789ULL;
	strcpy(info->kernel, "6.1.0-56-amd64");
	strcpy(info->label, "hackbench-pipe");
	strcpy(info->origin, "koracle collect -- hackbench");
}

static void write_events(const char *path, u32 n)
{
	struct ko_trace_writer *w;
	struct ko_trace_info info;
	struct koracle_event e;
	char err[KO_ERR_LEN];

	std_info(&info);
	cr_assert_eq(ko_trace_create(path, &info, &w, err), 0, "%s", err);
	for (u32 i = 0; i < n; i++) {
		fill_event(&e, i);
		cr_assert_eq(ko_trace_write(w, &e), 0, "%s", ko_trace_writer_error(w));
	}
	ko_trace_set_ncpus(w, 4099);
	cr_assert_eq(ko_trace_finish(w), 0);
}

static void assert_same_event(const struct koracle_event *a,
			      const struct koracle_event *b, u32 i)
{
	cr_assert_eq(a->ts_ns, b->ts_ns, "record %u ts_ns", i);
	cr_assert_eq(a->vruntime, b->vruntime, "record %u vruntime", i);
	cr_assert_eq(a->prev_pid, b->prev_pid, "record %u prev_pid", i);
	cr_assert_eq(a->next_pid, b->next_pid, "record %u next_pid", i);
	cr_assert_eq(a->weight, b->weight, "record %u weight", i);
	cr_assert_eq(a->prev_state, b->prev_state, "record %u prev_state", i);
	cr_assert_eq(a->pred_pid, b->pred_pid, "record %u pred_pid", i);
	cr_assert_eq(a->cpu, b->cpu, "record %u cpu", i);
	cr_assert_eq(a->orig_cpu, b->orig_cpu, "record %u orig_cpu", i);
	cr_assert_eq(a->dest_cpu, b->dest_cpu, "record %u dest_cpu", i);
	cr_assert_eq(a->prio, b->prio, "record %u prio", i);
	cr_assert_eq(a->type, b->type, "record %u type", i);
	cr_assert_eq(a->flags, b->flags, "record %u flags", i);
	cr_assert_eq(a->pred_slot, b->pred_slot, "record %u pred_slot", i);
	cr_assert_eq(a->base_slot, b->base_slot, "record %u base_slot", i);
	cr_assert_arr_eq(a->comm, b->comm, KORACLE_COMM_LEN, "record %u comm", i);
}

Test(trace_io, every_field_of_many_records_survives_a_round_trip)
{
	const u32 n = 5000;
	struct ko_trace_reader *r;
	struct koracle_event want, got;
	char err[KO_ERR_LEN];
	u32 i;

	write_events(tmp_path, n);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	for (i = 0; i < n; i++) {
		cr_assert_eq(ko_trace_next(r, &got), 1, "record %u: %s", i, ko_trace_error(r));
		fill_event(&want, i);
		assert_same_event(&want, &got, i);
	}
	cr_assert_eq(ko_trace_next(r, &got), 0, "clean end after %u records", n);
	/* rewind gives the same stream again */
	cr_assert_eq(ko_trace_rewind(r), 0);
	cr_assert_eq(ko_trace_next(r, &got), 1);
	fill_event(&want, 0);
	assert_same_event(&want, &got, 0);
	ko_trace_close(r);
}

Test(trace_io, header_fields_are_written_and_read_back)
{
	struct ko_trace_reader *r;
	const struct ko_trace_info *info;
	char err[KO_ERR_LEN];

	write_events(tmp_path, 3);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	info = ko_trace_info(r);
	cr_assert_eq(info->version, KORACLE_TRACE_VERSION);
	cr_assert_eq(info->source, KORACLE_SRC_MODULE);
	cr_assert_eq(info->ncpus, 4099, "set_ncpus value replaces the one given at create");
	cr_assert_not(info->unclean);
	cr_assert_eq(info->start_ns, 1764140000123456789ULL);
	cr_assert_str_eq(info->kernel, "6.1.0-56-amd64");
	cr_assert_str_eq(info->label, "hackbench-pipe");
	cr_assert_str_eq(info->origin, "koracle collect -- hackbench");
	ko_trace_close(r);
}

Test(trace_io, file_is_little_endian_with_records_after_the_256_byte_header)
{
	unsigned char buf[KORACLE_TRACE_HDR_SIZE + KORACLE_REC_SIZE];
	struct koracle_event e;
	FILE *f;

	write_events(tmp_path, 1);
	f = fopen(tmp_path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(buf, 1, sizeof(buf), f), sizeof(buf));
	cr_assert_eq(fgetc(f), EOF, "exactly one record follows the header");
	fclose(f);
	cr_assert_arr_eq(buf, "KORTRACE", 8);
	cr_assert_eq(buf[8], KORACLE_TRACE_VERSION);
	cr_assert_eq(buf[12] | buf[13] << 8, KORACLE_TRACE_HDR_SIZE);
	fill_event(&e, 0);
	for (int k = 0; k < 8; k++)
		cr_assert_eq(buf[KORACLE_TRACE_HDR_SIZE + k], (e.ts_ns >> (8 * k)) & 0xff,
			     "ts_ns byte %d", k);
}

Test(trace_io, long_header_strings_are_truncated_not_overflowed)
{
	struct ko_trace_writer *w;
	struct ko_trace_reader *r;
	struct ko_trace_info info;
	char err[KO_ERR_LEN];

	std_info(&info);
	memset(info.label, 'L', KORACLE_TRACE_LABEL_LEN);	/* no NUL inside the field */
	info.label[KORACLE_TRACE_LABEL_LEN] = '\0';
	cr_assert_eq(ko_trace_create(tmp_path, &info, &w, err), 0, "%s", err);
	cr_assert_eq(ko_trace_finish(w), 0);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	cr_assert_eq(strlen(ko_trace_info(r)->label), KORACLE_TRACE_LABEL_LEN);
	ko_trace_close(r);
}

Test(trace_io, raw_wire_records_are_stored_verbatim)
{
	struct koracle_rec recs[3];
	struct koracle_event e[3], got;
	struct ko_trace_writer *w;
	struct ko_trace_reader *r;
	struct ko_trace_info info;
	char err[KO_ERR_LEN];

	for (u32 i = 0; i < 3; i++) {
		fill_event(&e[i], 100 + i);
		koracle_rec_encode(&recs[i], &e[i]);
	}
	std_info(&info);
	cr_assert_eq(ko_trace_create(tmp_path, &info, &w, err), 0, "%s", err);
	cr_assert_eq(ko_trace_write_raw(w, recs, 3), 0);
	cr_assert_eq(ko_trace_finish(w), 0);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	for (u32 i = 0; i < 3; i++) {
		cr_assert_eq(ko_trace_next(r, &got), 1);
		assert_same_event(&e[i], &got, i);
	}
	cr_assert_eq(ko_trace_next(r, &got), 0);
	ko_trace_close(r);
}

Test(trace_io, truncated_trailing_record_is_an_error_naming_the_file)
{
	struct ko_trace_reader *r;
	struct koracle_event e;
	char err[KO_ERR_LEN];
	int ret, i;

	write_events(tmp_path, 10);
	cr_assert_eq(truncate(tmp_path, KORACLE_TRACE_HDR_SIZE + 9 * KORACLE_REC_SIZE + 17), 0);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	for (i = 0; i < 9; i++)
		cr_assert_eq(ko_trace_next(r, &e), 1, "the 9 whole records stay readable");
	ret = ko_trace_next(r, &e);
	cr_assert_lt(ret, 0, "a partial record must not read as a clean end");
	cr_assert(strstr(ko_trace_error(r), tmp_path), "message names the file: %s",
		  ko_trace_error(r));
	cr_assert(strstr(ko_trace_error(r), "truncated"), "message says why: %s",
		  ko_trace_error(r));
	ko_trace_close(r);
}

static void patch_file(const char *path, long off, const void *bytes, size_t n)
{
	FILE *f = fopen(path, "r+b");

	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, off, SEEK_SET), 0);
	cr_assert_eq(fwrite(bytes, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static void assert_refused(const char *path, const char *why)
{
	struct ko_trace_reader *r = NULL;
	char err[KO_ERR_LEN] = "";

	cr_assert_lt(ko_trace_open(path, &r, err), 0, "%s must be refused", why);
	cr_assert_null(r);
	cr_assert(strstr(err, path), "message names the file: %s", err);
}

Test(trace_io, bad_magic_is_refused)
{
	write_events(tmp_path, 2);
	patch_file(tmp_path, 0, "KORTRACX", 8);
	assert_refused(tmp_path, "bad magic");
}

Test(trace_io, unknown_format_version_is_refused)
{
	const unsigned char v2[4] = { 2, 0, 0, 0 };

	write_events(tmp_path, 2);
	patch_file(tmp_path, 8, v2, 4);
	assert_refused(tmp_path, "version 2");
}

Test(trace_io, wrong_header_or_record_size_is_refused)
{
	const unsigned char v[4] = { 128, 0, 0, 0 };

	write_events(tmp_path, 2);
	patch_file(tmp_path, 12, v, 4);	/* hdr_size */
	assert_refused(tmp_path, "hdr_size 128");
	write_events(tmp_path, 2);
	patch_file(tmp_path, 16, v, 4);	/* rec_size */
	assert_refused(tmp_path, "rec_size 128");
	write_events(tmp_path, 2);
	patch_file(tmp_path, 20, v, 4);	/* rec_version */
	assert_refused(tmp_path, "rec_version 128");
}

Test(trace_io, file_shorter_than_a_header_is_refused)
{
	write_events(tmp_path, 0);
	cr_assert_eq(truncate(tmp_path, 100), 0);
	assert_refused(tmp_path, "a 100-byte file");
}

Test(trace_io, missing_file_is_reported_with_its_cause)
{
	struct ko_trace_reader *r;
	char err[KO_ERR_LEN];

	cr_assert_eq(ko_trace_open("/nonexistent/dir/x.kot", &r, err), -ENOENT);
	cr_assert(strstr(err, "/nonexistent/dir/x.kot") && strstr(err, "No such file"),
		  "%s", err);
}

Test(trace_io, unknown_record_type_is_reported_with_its_index)
{
	struct ko_trace_reader *r;
	struct koracle_event e;
	const unsigned char bad = 0x7f;
	char err[KO_ERR_LEN];

	write_events(tmp_path, 4);
	patch_file(tmp_path, KORACLE_TRACE_HDR_SIZE + 2 * KORACLE_REC_SIZE +
		   (long)offsetof(struct koracle_rec, type), &bad, 1);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	cr_assert_eq(ko_trace_next(r, &e), 1);
	cr_assert_eq(ko_trace_next(r, &e), 1);
	cr_assert_lt(ko_trace_next(r, &e), 0);
	cr_assert(strstr(ko_trace_error(r), "record 2"), "%s", ko_trace_error(r));
	ko_trace_close(r);
}

Test(trace_io, writer_that_never_finished_leaves_an_unclean_but_readable_file)
{
	struct ko_trace_reader *r;
	struct koracle_event e;
	char err[KO_ERR_LEN];
	int n = 0, ret;
	pid_t pid;
	int status;

	/* The child writes and dies without finishing, like a crashed collector. */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ko_trace_writer *w;
		struct ko_trace_info info;

		std_info(&info);
		if (ko_trace_create(tmp_path, &info, &w, err))
			_exit(3);
		for (u32 i = 0; i < 7; i++) {
			fill_event(&e, i);
			if (ko_trace_write(w, &e))
				_exit(4);
		}
		fflush(NULL);	/* what a crash after the kernel got the data leaves */
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	cr_assert(ko_trace_info(r)->unclean, "KORACLE_TF_OPEN still set");
	while ((ret = ko_trace_next(r, &e)) == 1)
		n++;
	cr_assert_eq(ret, 0);
	cr_assert_eq(n, 7);
	ko_trace_close(r);
}

Test(trace_io, finished_file_is_clean)
{
	struct ko_trace_reader *r;
	char err[KO_ERR_LEN];

	write_events(tmp_path, 1);
	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	cr_assert_not(ko_trace_info(r)->unclean);
	ko_trace_close(r);
}

Test(trace_io, unwritable_path_fails_with_a_message)
{
	struct ko_trace_writer *w;
	struct ko_trace_info info;
	char err[KO_ERR_LEN];

	std_info(&info);
	cr_assert_lt(ko_trace_create("/nonexistent/dir/out.kot", &info, &w, err), 0);
	cr_assert_null(w);
	cr_assert(strstr(err, "/nonexistent/dir/out.kot"), "%s", err);
}

/* Child: writes 5 events to "-" (stdout = @fd), sets ncpus 9, finishes. */
static void write_to_stdout_child(int fd)
{
	struct ko_trace_writer *w;
	struct ko_trace_info info;
	struct koracle_event e;
	char err[KO_ERR_LEN];

	if (dup2(fd, STDOUT_FILENO) < 0)
		_exit(2);
	std_info(&info);
	if (ko_trace_create("-", &info, &w, err))
		_exit(3);
	for (u32 i = 0; i < 5; i++) {
		fill_event(&e, i);
		if (ko_trace_write(w, &e))
			_exit(4);
	}
	ko_trace_set_ncpus(w, 9);
	_exit(ko_trace_finish(w) ? 5 : 0);
}

static void assert_child_ok(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}

static void assert_five_events(int want_ncpus)
{
	struct ko_trace_reader *r;
	struct koracle_event want, got;
	char err[KO_ERR_LEN];

	cr_assert_eq(ko_trace_open(tmp_path, &r, err), 0, "%s", err);
	cr_assert_not(ko_trace_info(r)->unclean);
	cr_assert_eq(ko_trace_info(r)->ncpus, want_ncpus);
	for (u32 i = 0; i < 5; i++) {
		cr_assert_eq(ko_trace_next(r, &got), 1);
		fill_event(&want, i);
		assert_same_event(&want, &got, i);
	}
	cr_assert_eq(ko_trace_next(r, &got), 0);
	ko_trace_close(r);
}

Test(trace_io, stdout_regular_file_gets_its_header_rewritten)
{
	int fd = open(tmp_path, O_WRONLY | O_TRUNC);
	pid_t pid;

	cr_assert_geq(fd, 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		write_to_stdout_child(fd);
	close(fd);
	assert_child_ok(pid);
	assert_five_events(9);
}

Test(trace_io, stdout_pipe_gets_a_clean_header_up_front)
{
	char buf[4096];
	int p[2], out;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		write_to_stdout_child(p[1]);
	}
	close(p[1]);
	out = open(tmp_path, O_WRONLY | O_TRUNC);
	cr_assert_geq(out, 0);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	close(p[0]);
	close(out);
	assert_child_ok(pid);
	/* The header cannot be rewritten: ncpus is the one given at create. */
	assert_five_events(2);
}
