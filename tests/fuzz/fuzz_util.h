/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the libFuzzer targets share (scripts/fuzz.sh builds and runs them).
 *
 * Most readers take a path, not a buffer: the input then goes into a memfd
 * that they open as /proc/self/fd/N, so no fuzz iteration touches the disk
 * and each open starts at offset 0 with its own file position.
 *
 * A harness failure (memfd, allocation) or a broken invariant of a parser
 * aborts: libFuzzer reports it as a crash and keeps the input, which is
 * what a broken invariant deserves. Targets never exit().
 */
#ifndef FZ_UTIL_H
#define FZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant or harness failure: say which, then crash. */
#define FZ_CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct fz_memfile {
	int fd;			/* -1 until the first fz_memfile_set() */
	char path[64];		/* /proc/self/fd/N */
};

/* Makes @mf hold exactly @data[0, @len): the file a reader will open. */
static inline void fz_memfile_set(struct fz_memfile *mf, const void *data,
				  size_t len)
{
	const uint8_t *p = data;
	size_t done = 0;

	if (mf->fd < 0) {
		mf->fd = memfd_create("koracle-fuzz", MFD_CLOEXEC);
		FZ_CHECK(mf->fd >= 0);
		snprintf(mf->path, sizeof(mf->path), "/proc/self/fd/%d", mf->fd);
	}
	FZ_CHECK(ftruncate(mf->fd, 0) == 0);
	while (done < len) {
		ssize_t n = pwrite(mf->fd, p + done, len - done, (off_t)done);

		FZ_CHECK(n > 0);
		done += (size_t)n;
	}
}

/* A string ends inside its buffer (what every err[]/why[] must hold). */
static inline int fz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#endif /* FZ_UTIL_H */
