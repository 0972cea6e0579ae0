/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Reading and writing koracle trace files (format: shared/trace_format.h).
 * Errors return -errno (or -EINVAL for a malformed file) and leave a message
 * naming the file and the cause in the handle's err[] (or @err for open).
 */
#ifndef KO_TRACE_IO_H
#define KO_TRACE_IO_H

#include <stdio.h>
#include "../shared/record.h"
#include "../shared/trace_format.h"
#include "err.h"

struct ko_trace_info {
	int version;
	int source;		/* enum koracle_trace_source */
	int ncpus;
	bool unclean;		/* writer did not close it (KORACLE_TF_OPEN) */
	u64 start_ns;
	char kernel[KORACLE_TRACE_KREL_LEN + 1];
	char label[KORACLE_TRACE_LABEL_LEN + 1];
	char origin[KORACLE_TRACE_SRC_LEN + 1];
};

struct ko_trace_reader;
struct ko_trace_writer;

int ko_trace_open(const char *path, struct ko_trace_reader **out,
		  char err[KO_ERR_LEN]);
const struct ko_trace_info *ko_trace_info(const struct ko_trace_reader *r);
/* 1: one event read, 0: clean end of file, -errno: error (see ko_trace_error) */
int ko_trace_next(struct ko_trace_reader *r, struct koracle_event *ev);
int ko_trace_rewind(struct ko_trace_reader *r);
const char *ko_trace_error(const struct ko_trace_reader *r);
void ko_trace_close(struct ko_trace_reader *r);

int ko_trace_create(const char *path, const struct ko_trace_info *info,
		    struct ko_trace_writer **out, char err[KO_ERR_LEN]);
int ko_trace_write(struct ko_trace_writer *w, const struct koracle_event *ev);
/* Raw wire records, as received from the module (already little endian). */
int ko_trace_write_raw(struct ko_trace_writer *w, const struct koracle_rec *recs,
		       size_t n);
void ko_trace_set_ncpus(struct ko_trace_writer *w, int ncpus);
/*
 * Flushes, rewrites the header without KORACLE_TF_OPEN, closes. Like
 * fclose(), it always releases @w and returns 0 or -errno (the caller names
 * the path). Path "-" writes to stdout; if stdout cannot seek (a pipe) the
 * header is written once, up front, without KORACLE_TF_OPEN.
 */
int ko_trace_finish(struct ko_trace_writer *w);
const char *ko_trace_writer_error(const struct ko_trace_writer *w);

#endif /* KO_TRACE_IO_H */
