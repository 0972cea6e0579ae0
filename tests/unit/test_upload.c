// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle upload against a fake /sys/kernel/koracle ($KORACLE_SYSFS): the
 * blob's bytes land in <dir>/model unchanged, success needs model_info to
 * show the blob's CRC afterwards, implausible sizes never reach the module,
 * a missing module is exit 1 with the insmod hint. The kernel's own checks
 * (EINVAL, one log line, old model kept) are driven in the VM tests
 * (tests/vm/model-upload.sh, model-bad-blobs.sh).
 */
#include <criterion/criterion.h>

#include "blob.h"
#include "cli_run.h"

static char fake_dir[64];
static char blob_path[96];

#define PAYLOAD 200	/* bytes after the header in the test blob */

/* Writes a header-plus-payload blob whose crc field is right; returns its crc. */
static u32 write_blob(const char *path, size_t len)
{
	struct koracle_blob_hdr h;
	u8 *b = calloc(1, len);
	u32 crc = 0;
	FILE *f;
	size_t i;

	cr_assert_not_null(b);
	if (len >= sizeof(h)) {
		memset(&h, 0, sizeof(h));
		memcpy(h.magic, KORACLE_BLOB_MAGIC, sizeof(h.magic));
		h.version = koracle_le32(KORACLE_BLOB_VERSION);
		h.hdr_size = koracle_le32(sizeof(h));
		h.total_size = koracle_le32((u32)len);
		memcpy(b, &h, sizeof(h));
		for (i = sizeof(h); i < len; i++)
			b[i] = (u8)(i * 7);
		crc = koracle_crc32(b + KORACLE_BLOB_CRC_FROM, len - KORACLE_BLOB_CRC_FROM);
		h.crc = koracle_le32(crc);
		memcpy(b, &h, sizeof(h));
	}
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	free(b);
	return crc;
}

static size_t file_size(const char *dir, const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_eq(stat(path, &st), 0, "stat %s", path);
	return (size_t)st.st_size;
}

static void fake_module(void)
{
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/koracle-upload-XXXXXX");
	cr_assert_not_null(mkdtemp(fake_dir));
	fake_write(fake_dir, "model", "");
	fake_write(fake_dir, "model_info", "none\n");
	snprintf(blob_path, sizeof(blob_path), "%s/test.blob", fake_dir);
}

static void fake_remove(void)
{
	fake_rmtree(fake_dir);
}

/* What the module would show after installing a blob with @crc. */
static void fake_installed(u32 crc)
{
	char line[160];

	snprintf(line, sizeof(line),
		 "crc=0x%08x channels=8 blocks=2 kernel=2 hidden=8 slots=16 macs=712 loaded=1795679946\n",
		 crc);
	fake_write(fake_dir, "model_info", line);
}

TestSuite(upload, .timeout = 30, .init = fake_module, .fini = fake_remove);

/* The first @len bytes of @path into a new buffer; the file must have exactly @len. */
static u8 *slurp_file(const char *path, size_t len)
{
	u8 *b = malloc(len + 1);
	FILE *f = fopen(path, "rb");

	cr_assert_not_null(b);
	cr_assert_not_null(f, "open %s", path);
	cr_assert_eq(fread(b, 1, len + 1, f), len, "%s does not have %zu bytes", path, len);
	fclose(f);
	return b;
}

Test(upload, writes_the_blob_unchanged_and_reports_the_crc)
{
	size_t len = KORACLE_BLOB_HDR_SIZE + PAYLOAD;
	u32 crc = write_blob(blob_path, len);
	char want[64], model[256];
	struct cli_run r;
	u8 *a, *b;

	fake_installed(crc);
	CLI_RUN(&r, fake_dir, "upload", blob_path);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	snprintf(want, sizeof(want), "upload: crc=0x%08x channels=8 ", crc);
	cr_assert(strstr(r.out, want), "want '%s' in: %s", want, r.out);
	/* Byte for byte. */
	snprintf(model, sizeof(model), "%s/model", fake_dir);
	a = slurp_file(model, len);
	b = slurp_file(blob_path, len);
	cr_assert_eq(memcmp(a, b, len), 0);
	free(a);
	free(b);
}

Test(upload, a_different_crc_in_model_info_is_a_failure)
{
	u32 crc = write_blob(blob_path, KORACLE_BLOB_HDR_SIZE + PAYLOAD);
	char want[64];
	struct cli_run r;

	fake_installed(crc ^ 1);
	CLI_RUN(&r, fake_dir, "upload", blob_path);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	snprintf(want, sizeof(want), "crc=0x%08x", crc ^ 1);
	cr_assert(strstr(r.err, want), "shows what model_info says: %s", r.err);
	cr_assert(strstr(r.err, "did not install"), "%s", r.err);
	cr_assert_str_eq(r.out, "");
}

Test(upload, no_model_afterwards_is_a_failure)
{
	struct cli_run r;

	write_blob(blob_path, KORACLE_BLOB_HDR_SIZE + PAYLOAD);
	CLI_RUN(&r, fake_dir, "upload", blob_path);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "model_info shows none"), "%s", r.err);
}

Test(upload, implausible_sizes_never_reach_the_module)
{
	static const size_t sizes[] = { 0, 11, KORACLE_BLOB_HDR_SIZE - 1,
					KORACLE_BLOB_MAX_SIZE + 1 };
	struct cli_run r;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_blob(blob_path, sizes[i]);
		CLI_RUN(&r, fake_dir, "upload", blob_path);
		cr_assert_eq(r.status, 1, "%zu bytes: stderr: %s", sizes[i], r.err);
		cr_assert(strstr(r.err, blob_path), "names the file: %s", r.err);
		cr_assert_eq(file_size(fake_dir, "model"), 0, "%zu bytes were written", sizes[i]);
	}
}

/* The module would wait for the missing bytes forever: the CLI says so instead. */
Test(upload, file_shorter_than_its_header_says_never_reaches_the_module)
{
	size_t len = KORACLE_BLOB_HDR_SIZE + PAYLOAD;
	struct cli_run r;

	write_blob(blob_path, len);
	cr_assert_eq(truncate(blob_path, (off_t)(len - 1)), 0);
	CLI_RUN(&r, fake_dir, "upload", blob_path);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "truncated"), "%s", r.err);
	cr_assert_eq(file_size(fake_dir, "model"), 0);
}

Test(upload, missing_blob_file_names_it)
{
	char absent[128];
	struct cli_run r;

	snprintf(absent, sizeof(absent), "%s/absent.blob", fake_dir);
	CLI_RUN(&r, fake_dir, "upload", absent);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "absent.blob: No such file"), "%s", r.err);
}

Test(upload, missing_module_exits_1_with_the_insmod_hint)
{
	char gone[96];
	struct cli_run r;

	write_blob(blob_path, KORACLE_BLOB_HDR_SIZE + PAYLOAD);
	snprintf(gone, sizeof(gone), "%s/not-there", fake_dir);
	CLI_RUN(&r, gone, "upload", blob_path);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "is the module loaded? try: sudo insmod koracle.ko"), "%s", r.err);
}

Test(upload, usage)
{
	struct cli_run r;

	CLI_RUN(&r, fake_dir, "upload");
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	CLI_RUN(&r, fake_dir, "upload", "a", "b");
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	CLI_RUN(&r, fake_dir, "upload", "--bogus", "a");
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "--bogus"), "%s", r.err);
	CLI_RUN(&r, fake_dir, "upload", "--help");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "usage: koracle upload BLOB"), "%s", r.out);
}
