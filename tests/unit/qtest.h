/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Helpers for the quantization tests (test_tcn_q.c, test_blob.c,
 * test_quantize.c): real fixtures imported with the real CLI
 * ($KORACLE_BIN), and blobs folded from float models by the real quantizer.
 * Header-only: each test file gets its own static copy.
 */
#ifndef KO_TEST_QTEST_H
#define KO_TEST_QTEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shared/blob.h"
#include "model_file.h"
#include "quant.h"

static inline const char *qt_bin(void)
{
	const char *b = getenv("KORACLE_BIN");

	return b && *b ? b : "user/koracle";
}

/* A fresh directory under /tmp in @dir (>= 32 bytes). */
static inline void qt_mkdir(char *dir)
{
	strcpy(dir, "/tmp/koracle-q-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static inline void qt_rmdir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		cr_log_warn("could not remove %s", dir);
}

/* Runs "koracle ARGS" (shell fragment, output discarded); exit code. */
static inline int qt_cli(const char *args)
{
	char cmd[4096];
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>&1", qt_bin(), args);
	st = system(cmd);
	cr_assert(WIFEXITED(st), "'%s' did not exit normally", cmd);
	return WEXITSTATUS(st);
}

/* tests/fixtures/@fixture imported into @dir/@name. */
static inline void qt_import(const char *dir, const char *fixture,
			     const char *name)
{
	char args[512];

	snprintf(args, sizeof(args),
		 "import --format ftrace tests/fixtures/%s -o %s/%s", fixture,
		 dir, name);
	cr_assert_eq(qt_cli(args), 0, "import %s failed", fixture);
}

/*
 * A blob of a randomly initialised float model @m (caller destroys it):
 * the architecture given, the encoder's features, the kernel-only slot
 * features ignored if @no_kernel; calibrated on @calib (a trace path).
 */
static inline void qt_random_blob(struct ko_tcn *m, int C, int B, int k, int H,
				  uint64_t seed, bool no_kernel,
				  const char *calib, uint8_t **blob, size_t *len)
{
	struct ko_tcn_config cfg;
	struct ko_qcalib cal;
	char err[KO_ERR_LEN];
	char *paths[1] = { (char *)calib };

	ko_model_default_config(&cfg, C, B, k, H);
	cfg.ev_ignore = 1u << KORACLE_EF_COMM;
	if (no_kernel)
		cfg.sf_ignore = 1u << KORACLE_SF_VR_RANK | 1u << KORACLE_SF_WEIGHT;
	cr_assert_eq(ko_tcn_create(m, &cfg), 0);
	ko_tcn_init_params(m, seed);
	cr_assert_eq(ko_quant_calibrate(m, paths, 1, &cal, err), 0, "%s", err);
	cr_assert_eq(ko_quant_build(m, &cal, blob, len, err), 0, "%s", err);
}

#endif /* KO_TEST_QTEST_H */
