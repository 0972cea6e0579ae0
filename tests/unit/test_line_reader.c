// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The importers' and report's line reader (user/line_reader.c) on input
 * that is not clean text. A NUL byte inside a line used to end the line
 * early for strlen() while gzgets() had read on to the "\n": a line
 * starting with NULs (what a crash leaves in a file's unwritten blocks)
 * vanished, its successor was returned under its number, and the import
 * exited 0 with bad=0. Found while writing tests/fuzz/fuzz_ko2csv.c. Now
 * it is an error naming FILE:LINE, plain or gzip.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "line_reader.h"

/* "line1\n", then @mid (@midlen bytes, may hold NULs), then "line3\n". */
static void write_file(char path[64], const char *mid, size_t midlen, bool gz)
{
	static const char a[] = "line1\n", c[] = "line3\n";

	snprintf(path, 64, "/tmp/ko-lr-test-XXXXXX");
	cr_assert_geq(mkstemp(path), 0);
	if (gz) {
		gzFile g = gzopen(path, "wb");

		cr_assert(g);
		cr_assert_eq(gzwrite(g, a, strlen(a)), (int)strlen(a));
		cr_assert_eq(gzwrite(g, mid, (unsigned int)midlen), (int)midlen);
		cr_assert_eq(gzwrite(g, c, strlen(c)), (int)strlen(c));
		cr_assert_eq(gzclose(g), Z_OK);
	} else {
		FILE *f = fopen(path, "wb");

		cr_assert(f);
		cr_assert_eq(fwrite(a, 1, strlen(a), f), strlen(a));
		cr_assert_eq(fwrite(mid, 1, midlen, f), midlen);
		cr_assert_eq(fwrite(c, 1, strlen(c), f), strlen(c));
		cr_assert_eq(fclose(f), 0);
	}
}

static void expect_nul_error(const char *mid, size_t midlen, bool gz)
{
	struct ko_line_reader *lr;
	char path[64], err[KO_ERR_LEN], want[96];
	size_t len;
	char *line;

	write_file(path, mid, midlen, gz);
	cr_assert_eq(ko_lr_open(path, &lr, err), 0, "%s", err);
	cr_assert_eq(ko_lr_next(lr, &line, &len), 1);
	cr_expect_str_eq(line, "line1");
	cr_expect_eq(ko_lr_next(lr, &line, &len), -EINVAL,
		     "a line with a NUL byte is an error, not skipped (%s)",
		     gz ? "gzip" : "plain");
	snprintf(want, sizeof(want), "%s:2: NUL byte", path);
	cr_expect(strstr(ko_lr_error(lr), want), "error names %s: %s", want,
		  ko_lr_error(lr));
	ko_lr_close(lr);
	unlink(path);
}

Test(line_reader, line_starting_with_nul_bytes_is_an_error)
{
	static const char mid[] = "\0\0\0\0 sched_switch: prev_comm=a\n";

	expect_nul_error(mid, sizeof(mid) - 1, false);
	expect_nul_error(mid, sizeof(mid) - 1, true);
}

Test(line_reader, nul_byte_inside_a_line_is_an_error)
{
	static const char mid[] = "bench: a 1\0bench: b 2\n";

	expect_nul_error(mid, sizeof(mid) - 1, false);
	expect_nul_error(mid, sizeof(mid) - 1, true);
}

/* The check must not cost clean lines anything: long ones, a last one
 * without "\n", CRLF. */
Test(line_reader, clean_lines_still_read_whole)
{
	struct ko_line_reader *lr;
	char path[64], err[KO_ERR_LEN];
	size_t mlen = 100000, len;
	char *mid = malloc(mlen + 3), *line;

	cr_assert(mid);
	memset(mid, 'x', mlen);
	memcpy(mid + mlen, "\r\n", 3);
	write_file(path, mid, mlen + 2, true);
	cr_assert_eq(ko_lr_open(path, &lr, err), 0, "%s", err);
	cr_assert_eq(ko_lr_next(lr, &line, &len), 1);
	cr_assert_eq(ko_lr_next(lr, &line, &len), 1, "%s", ko_lr_error(lr));
	cr_expect_eq(len, mlen);
	cr_expect_eq(ko_lr_lineno(lr), 2);
	cr_assert_eq(ko_lr_next(lr, &line, &len), 1);
	cr_expect_str_eq(line, "line3");
	cr_expect_eq(ko_lr_next(lr, &line, &len), 0);
	ko_lr_close(lr);
	unlink(path);
	free(mid);
}
