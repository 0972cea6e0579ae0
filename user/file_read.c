// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The whole-file reader (file_read.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_read.h"

#define KO_READ_FIRST	65536	/* first buffer when the size is unknown */

/* The next buffer: @cap bytes of data and a NUL, never more than @max + 1. */
static int grow(char **buf, size_t *cap, size_t max)
{
	size_t want = !*buf ? (*cap ? *cap : KO_READ_FIRST) : *cap * 2;
	char *grown;

	if (want > max + 1)
		want = max + 1;	/* one more than allowed: oversize shows */
	/* rounded up to whole words: parsers may read a word at a time */
	grown = realloc(*buf, (want + 1 + 7) / 8 * 8);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	*cap = want;
	return 0;
}

int ko_file_read(const char *path, size_t max, const char *what, void **out,
		 size_t *len, char err[KO_ERR_LEN])
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 0, got;
	bool sized = false;
	char *buf = NULL;
	struct stat st;
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, KO_ERR_LEN, "open %s: %s", path, strerror(errno));
		return ret;
	}
	/* a regular file's size is known: one buffer, oversize caught at once */
	if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode)) {
		sized = true;
		n = (size_t)st.st_size;
		if (n > max)
			goto too_big;
		n = 0;
		cap = (size_t)st.st_size + 1;	/* one more: see the end */
	}
	for (;;) {
		if (!buf || n == cap) {
			if (buf && n > max)
				goto too_big;
			ret = grow(&buf, &cap, max);
			if (ret) {
				snprintf(err, KO_ERR_LEN, "read %s: out of memory", path);
				goto out;
			}
		}
		got = fread(buf + n, 1, cap - n, f);
		if (!got)
			break;
		n += got;
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, KO_ERR_LEN, "read %s: %s", path, strerror(errno));
		goto out;
	}
	if (n > max)
		goto too_big;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	goto out;
too_big:
	ret = -EFBIG;
	snprintf(err, KO_ERR_LEN, "%s: %s%zu bytes, larger than %s can be (%zu at most)",
		 path, sized ? "" : "over ", sized ? n : max, what, max);
out:
	free(buf);
	fclose(f);
	return ret;
}
