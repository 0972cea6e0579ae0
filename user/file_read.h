/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The CLI's one whole-file reader: model files, weight blobs and eval's
 * JSON are read into memory in one go, bounded before they can grow
 * without limit. Works on pipes and other files that cannot be sized.
 */
#ifndef KO_FILE_READ_H
#define KO_FILE_READ_H

#include <stddef.h>

#include "err.h"

/*
 * Reads all of @path into a malloc'ed buffer *@out (suitably aligned for
 * any type; a NUL follows the @len data bytes, so text can be parsed in
 * place). A file over @max bytes is refused with -EFBIG, and @what names
 * it in the message ("a model file"). 0 or -errno, with "open PATH: cause",
 * "read PATH: cause" or the size in @err.
 */
int ko_file_read(const char *path, size_t max, const char *what, void **out,
		 size_t *len, char err[KO_ERR_LEN]);

#endif /* KO_FILE_READ_H */
