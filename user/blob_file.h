/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Weight blob files (format: shared/blob.h): written by `koracle quantize`,
 * read by `koracle upload` (which leaves the judging to the kernel) and
 * `koracle eval --model BLOB` (which parses it with the kernel's own
 * validator, koracle_blob_parse()). One reader for both, so a file the CLI
 * calls a blob is the same file everywhere.
 */
#ifndef KO_BLOB_FILE_H
#define KO_BLOB_FILE_H

#include <stddef.h>

#include "../shared/blob.h"
#include "err.h"

struct ko_blob_file {
	u8 *data;		/* malloc'ed, KORACLE_BLOB_ALIGN aligned */
	size_t len;		/* bytes */
	u32 crc;		/* the header's crc field */
};

/*
 * 1 if @path starts with the blob magic, 0 if not (a float model file, say),
 * -errno with a message in @err if it cannot be read.
 */
int ko_blob_file_sniff(const char *path, char err[KO_ERR_LEN]);
/*
 * Reads the whole file and checks what the kernel cannot: that its size is
 * plausible (a header at least, at most KORACLE_BLOB_MAX_SIZE) and that it
 * holds as many bytes as its header says (the module installs a blob once
 * it has total_size bytes, so it cannot tell a short file from a slow
 * writer). 0 or -errno (-EINVAL: not a blob) with a message in @err.
 */
int ko_blob_file_read(const char *path, struct ko_blob_file *b,
		      char err[KO_ERR_LEN]);
/* ko_blob_file_read(), then koracle_blob_parse() into @qm. */
int ko_blob_file_load(const char *path, struct ko_blob_file *b,
		      struct koracle_qmodel *qm, char err[KO_ERR_LEN]);
/* Writes @len bytes of @blob to @path. 0 or -errno with a message in @err. */
int ko_blob_file_write(const char *path, const u8 *blob, size_t len,
		       char err[KO_ERR_LEN]);
void ko_blob_file_free(struct ko_blob_file *b);

#endif /* KO_BLOB_FILE_H */
