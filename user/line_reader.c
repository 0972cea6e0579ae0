// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Line reader over zlib's gzFile: gzopen() reads a file without a gzip
 * header as plain text, so one code path serves .gz and plain inputs. The
 * line buffer grows by doubling up to KO_LR_MAX_LINE. Text has no NUL
 * bytes: a line holding one is an error (-EINVAL), never cut short.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "line_reader.h"

#define KO_LR_INIT_CAP	4096	/* bytes; most trace lines are < 200 */
#define KO_LR_GZBUF	(128 * 1024)	/* zlib input buffer, bytes */

struct ko_line_reader {
	gzFile gz;
	char *buf;
	size_t cap;		/* bytes allocated in buf */
	unsigned long lineno;	/* lines returned so far */
	char path[512];
	char err[KO_ERR_LEN];
};

/* "read FILE:LINE: cause" into lr->err */
static void lr_err(struct ko_line_reader *lr, const char *cause)
{
	snprintf(lr->err, sizeof(lr->err), "read %.180s:%lu: %s", lr->path,
		 lr->lineno + 1, cause);
}

int ko_lr_open(const char *path, struct ko_line_reader **out,
	       char err[KO_ERR_LEN])
{
	struct ko_line_reader *lr;
	int ret = -ENOMEM;

	*out = NULL;
	lr = calloc(1, sizeof(*lr));
	if (!lr) {
		snprintf(err, KO_ERR_LEN, "open %s: out of memory", path);
		return -ENOMEM;
	}
	lr->cap = KO_LR_INIT_CAP;
	lr->buf = malloc(lr->cap);
	if (!lr->buf) {
		snprintf(err, KO_ERR_LEN, "open %s: out of memory", path);
		goto err_free;
	}
	snprintf(lr->path, sizeof(lr->path), "%s", path);
	errno = 0;
	if (!strcmp(path, "-")) {
		int fd = dup(STDIN_FILENO);

		lr->gz = fd < 0 ? NULL : gzdopen(fd, "rb");
		if (!lr->gz && fd >= 0)
			close(fd);
	} else {
		lr->gz = gzopen(path, "rb");
	}
	if (!lr->gz) {
		ret = errno ? -errno : -ENOMEM;
		snprintf(err, KO_ERR_LEN, "open %s: %s", path, strerror(-ret));
		goto err_free;
	}
	gzbuffer(lr->gz, KO_LR_GZBUF);
	*out = lr;
	return 0;

err_free:
	free(lr->buf);
	free(lr);
	return ret;
}

/* Grow the buffer so that it holds at least @need bytes. */
static int lr_grow(struct ko_line_reader *lr, size_t need)
{
	size_t cap = lr->cap;
	char *nb;

	while (cap < need)
		cap *= 2;
	if (cap > KO_LR_MAX_LINE)
		cap = KO_LR_MAX_LINE;
	if (cap < need)
		return -E2BIG;
	nb = realloc(lr->buf, cap);
	if (!nb)
		return -ENOMEM;
	lr->buf = nb;
	lr->cap = cap;
	return 0;
}

int ko_lr_next(struct ko_line_reader *lr, char **line, size_t *len)
{
	size_t used = 0;
	int ret;

	for (;;) {
		char *p = lr->buf + used;
		z_off_t before;
		size_t n;

		if (lr->cap - used < 2) {
			ret = lr_grow(lr, lr->cap * 2);
			if (ret) {
				lr_err(lr, ret == -E2BIG ?
				       "line longer than 16 MiB: not a text trace?" :
				       "out of memory");
				return ret;
			}
			continue;
		}
		before = gztell(lr->gz);
		if (!gzgets(lr->gz, p, (int)(lr->cap - used > INT32_MAX ?
					     INT32_MAX : lr->cap - used))) {
			int zerr;
			const char *msg = gzerror(lr->gz, &zerr);

			/* Z_BUF_ERROR: the gzip stream was cut short. */
			if (zerr != Z_OK) {
				lr_err(lr, zerr == Z_ERRNO ? strerror(errno) : msg);
				return zerr == Z_ERRNO && errno ? -errno : -EIO;
			}
			/* End of input; a last line without "\n" still counts. */
			if (!used)
				return 0;
			break;
		}
		n = strlen(p);
		/*
		 * gzgets() stops at "\n", not at a NUL: a shorter string than
		 * it read would silently drop the rest of the line, or all of
		 * it (NULs are what a crash leaves in unwritten blocks).
		 */
		if (before >= 0 && (z_off_t)n != gztell(lr->gz) - before) {
			lr_err(lr, "NUL byte in a text line (binary data, or zeros left by a crash?)");
			return -EINVAL;
		}
		used += n;
		if (n && p[n - 1] == '\n')
			break;
		if (gzeof(lr->gz))
			break;
	}
	/* gzip input cut short: zlib reports it only at end of stream. */
	if (used && lr->buf[used - 1] != '\n') {
		int zerr;
		const char *msg = gzerror(lr->gz, &zerr);

		if (zerr != Z_OK) {
			lr_err(lr, msg);
			return -EIO;
		}
	}
	while (used && (lr->buf[used - 1] == '\n' || lr->buf[used - 1] == '\r'))
		used--;
	lr->buf[used] = '\0';
	lr->lineno++;
	*line = lr->buf;
	*len = used;
	return 1;
}

unsigned long ko_lr_lineno(const struct ko_line_reader *lr)
{
	return lr->lineno;
}

const char *ko_lr_path(const struct ko_line_reader *lr)
{
	return lr->path;
}

const char *ko_lr_error(const struct ko_line_reader *lr)
{
	return lr->err;
}

void ko_lr_close(struct ko_line_reader *lr)
{
	if (!lr)
		return;
	if (lr->gz)
		gzclose(lr->gz);
	free(lr->buf);
	free(lr);
}
