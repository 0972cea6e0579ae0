// SPDX-License-Identifier: GPL-2.0 OR MIT
/* user/model_file.c: round trip, and every way a model file is refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../shared/features.h"
#include "model_file.h"

static char path[64];
static struct ko_tcn model;

static void setup(void)
{
	struct ko_tcn_config cfg;
	struct ko_model_meta meta = {
		.seed = 7, .epochs = 3, .best_epoch = 2, .window = 64, .batch = 8,
		.threads = 2, .ntrain = 1, .nval = 1, .best_val_top1 = 0.625,
		.text = "train a.kot\nval b.kot\n",
	};
	char err[KO_ERR_LEN];
	int fd;

	strcpy(path, "/tmp/koracle-model-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	ko_model_default_config(&cfg, 8, 2, 2, 4);
	cr_assert_eq(ko_tcn_create(&model, &cfg), 0);
	ko_tcn_init_params(&model, 5);
	cr_assert_eq(ko_model_save(path, &model, &meta, err), 0, "%s", err);
}

static void teardown(void)
{
	ko_tcn_destroy(&model);
	unlink(path);
}

static long file_bytes(unsigned char **buf)
{
	FILE *f = fopen(path, "rb");
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc(n);
	cr_assert_not_null(*buf);
	cr_assert_eq(fread(*buf, 1, n, f), (size_t)n);
	fclose(f);
	return n;
}

/* Rewrites the file with @buf[off..off+4) = v (LE) and, if @fix, a valid CRC. */
static void patch(long off, unsigned v, int fix)
{
	unsigned char *buf;
	long n = file_bytes(&buf);
	unsigned crc;
	FILE *f;

	for (int i = 0; i < 4; i++)
		buf[off + i] = (unsigned char)(v >> (8 * i));
	if (fix) {
		crc = (unsigned)crc32(0L, buf, (uInt)(n - 4));
		for (int i = 0; i < 4; i++)
			buf[n - 4 + i] = (unsigned char)(crc >> (8 * i));
	}
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, n, f), (size_t)n);
	fclose(f);
	free(buf);
}

static void expect_refused(const char *needle)
{
	struct ko_tcn m;
	struct ko_model_meta meta;
	char err[KO_ERR_LEN] = "";

	cr_assert_eq(ko_model_load(path, &m, &meta, err), -EINVAL);
	cr_assert(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
	cr_assert(strstr(err, path), "message '%s' does not name the file", err);
}

TestSuite(model_file, .init = setup, .fini = teardown);

Test(model_file, round_trip_keeps_parameters_and_metadata)
{
	struct ko_tcn m;
	struct ko_model_meta meta;
	char err[KO_ERR_LEN];

	cr_assert_eq(ko_model_load(path, &m, &meta, err), 0, "%s", err);
	cr_assert_eq(m.nparams, model.nparams);
	cr_assert_arr_eq(m.params_mem, model.params_mem, sizeof(float) * m.nparams);
	cr_assert_eq(m.cfg.channels, 8);
	cr_assert_eq(m.cfg.blocks, 2);
	cr_assert_eq(m.cfg.hidden, 4);
	cr_assert_eq(meta.seed, 7);
	cr_assert_eq(meta.best_epoch, 2);
	cr_assert_float_eq(meta.best_val_top1, 0.625, 0);
	cr_assert_str_eq(meta.text, "train a.kot\nval b.kot\n");
	free(meta.text);
	ko_tcn_destroy(&m);
}

Test(model_file, refuses_bad_magic)
{
	patch(0, 0x58585858, 1);
	expect_refused("not a koracle model file");
}

Test(model_file, refuses_unknown_version)
{
	patch(8, KO_MODEL_VERSION + 1, 1);
	expect_refused("unknown model file version");
}

Test(model_file, refuses_other_k)
{
	patch(12, KORACLE_K + 1, 1);
	expect_refused("K=");
}

Test(model_file, refuses_other_feature_version)
{
	patch(16, KORACLE_FEAT_VERSION + 1, 1);
	expect_refused("feature version");
}

Test(model_file, refuses_other_vocabulary)
{
	unsigned char *buf;

	file_bytes(&buf);
	/* event feature 0's stored size (minus one) is byte 48 */
	patch(48, (buf[48] + 1u) | (unsigned)buf[49] << 8 |
	      (unsigned)buf[50] << 16 | (unsigned)buf[51] << 24, 1);
	free(buf);
	expect_refused("event feature 0");
}

Test(model_file, refuses_corruption)
{
	patch(200, 0xdeadbeef, 0);
	expect_refused("CRC");
}

Test(model_file, refuses_bad_architecture)
{
	patch(20, 100000, 1);	/* channels */
	expect_refused("channels out of range");
}

Test(model_file, refuses_truncation)
{
	unsigned char *buf;
	long n = file_bytes(&buf);
	FILE *f = fopen(path, "wb");

	cr_assert_eq(fwrite(buf, 1, n / 2, f), (size_t)(n / 2));
	fclose(f);
	free(buf);
	expect_refused("CRC");
}

Test(model_file, missing_file_names_the_cause)
{
	struct ko_tcn m;
	struct ko_model_meta meta;
	char err[KO_ERR_LEN];

	cr_assert_eq(ko_model_load("/nonexistent/x.kmodel", &m, &meta, err), -ENOENT);
	cr_assert(strstr(err, "No such file"), "%s", err);
}
