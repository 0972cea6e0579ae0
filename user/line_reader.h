/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Line-by-line text input for the importers: plain or gzip files (zlib reads
 * both transparently), "-" for stdin, any line length, 1-based line numbers
 * for error messages. Lines are returned without their "\n" / "\r\n".
 */
#ifndef KO_LINE_READER_H
#define KO_LINE_READER_H

#include <stddef.h>

#include "err.h"

/* A line longer than this is not text we know how to import. */
#define KO_LR_MAX_LINE	(16u << 20)	/* bytes */

struct ko_line_reader;

int ko_lr_open(const char *path, struct ko_line_reader **out,
	       char err[KO_ERR_LEN]);
/*
 * 1: *line points at the next line (valid until the next call), *len its
 * length; 0: end of input; -errno: read error (see ko_lr_error).
 */
int ko_lr_next(struct ko_line_reader *lr, char **line, size_t *len);
/* Number of the line last returned, 1-based; 0 before the first. */
unsigned long ko_lr_lineno(const struct ko_line_reader *lr);
const char *ko_lr_path(const struct ko_line_reader *lr);
const char *ko_lr_error(const struct ko_line_reader *lr);
void ko_lr_close(struct ko_line_reader *lr);

#endif /* KO_LINE_READER_H */
