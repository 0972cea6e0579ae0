// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * `koracle quantize MODEL -o BLOB [--calib TRACE...]`: calibrate the float
 * model's activation ranges on traces, fold it into the integer step's weight
 * blob (user/quant.h), check the blob parses as the kernel will parse it, and
 * report, on the calibration traces, the float and the quantized model's
 * top-1 and how often their predictions agree.
 *
 * Without --calib the model's own validation files (recorded by koracle
 * train) are used: they were never trained on, and the model was selected on
 * them, so they are what its ranges should cover.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob_file.h"
#include "commands.h"
#include "model_file.h"
#include "quant.h"
#include "quant_replay.h"

struct agree {
	u64 points;	/* points with an occupied slot */
	u64 agree;	/* float and integer pick the same slot */
	u64 scored;	/* labelled points */
	u64 fhits, qhits;
};

static void quantize_usage(FILE *f)
{
	fprintf(f,
"usage: koracle quantize MODEL -o BLOB [--calib TRACE]...\n"
"\n"
"Quantize a float model (koracle train) into the kernel's integer weight\n"
"blob (int8 weights, int16 activations, fixed-point requantization), for\n"
"koracle upload and koracle eval --model BLOB. Prints float and quantized\n"
"top-1 on the calibration traces and their argmax agreement.\n"
"\n"
"  -o, --output BLOB   blob file to write (required)\n"
"  -c, --calib TRACE   calibration trace (repeatable); default: the\n"
"                      validation files recorded in MODEL\n"
"  -h, --help          this help\n");
}

static int agree_point(void *ctx, const struct ko_tcn *m,
		       const struct ko_qr_point *p)
{
	struct agree *a = ctx;

	(void)m;
	if (p->fpick < KORACLE_K) {
		a->points++;
		a->agree += p->fpick == p->qpick;
	}
	if (p->label != KORACLE_LABEL_NA) {
		a->scored++;
		a->fhits += p->label < KORACLE_K && p->fpick == p->label;
		a->qhits += p->label < KORACLE_K && p->qpick == p->label;
	}
	return 0;
}

static double frac(u64 a, u64 b)
{
	return b ? (double)a / b : 0.0;
}

/* The "val FILE" lines of the model's text block; *n paths (owned). */
static int val_files(const char *text, char ***out, int *n)
{
	const char *s = text;
	char **list = NULL, **grown;
	int cnt = 0;

	while (s && *s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);

		if (len > 4 && !strncmp(s, "val ", 4)) {
			grown = realloc(list, sizeof(*list) * (cnt + 1));
			if (!grown)
				goto nomem;
			list = grown;
			list[cnt] = strndup(s + 4, len - 4);
			if (!list[cnt])
				goto nomem;
			cnt++;
		}
		s = eol ? eol + 1 : NULL;
	}
	*out = list;
	*n = cnt;
	return 0;
nomem:
	for (int i = 0; i < cnt; i++)
		free(list[i]);
	free(list);
	return -ENOMEM;
}

int cmd_quantize(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "calib", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ko_model_meta meta = { 0 };
	struct ko_tcn m = { 0 };
	struct koracle_qmodel qm;
	struct ko_qcalib cal;
	struct agree tot = { 0 };
	const char *out = NULL, *why;
	char **calib = NULL, err[KO_ERR_LEN];
	int ncalib = 0, owned = 0, c, ret = KO_EXIT_FAIL;
	uint8_t *blob = NULL;
	size_t len = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:c:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': {
			char **grown = realloc(calib, sizeof(*calib) * (ncalib + 1));

			if (!grown) {
				fprintf(stderr, "koracle: quantize: out of memory\n");
				goto out;
			}
			calib = grown;
			calib[ncalib++] = optarg;
			break;
		}
		case 'h': quantize_usage(stdout); ret = KO_EXIT_OK; goto out;
		default: quantize_usage(stderr); ret = KO_EXIT_USAGE; goto out;
		}
	}
	if (optind != argc - 1 || !out) {
		fprintf(stderr, "koracle: quantize: %s\n", !out ?
			"no blob file given: add -o BLOB" :
			"give exactly one MODEL (from koracle train)");
		quantize_usage(stderr);
		ret = KO_EXIT_USAGE;
		goto out;
	}
	if (ko_model_load(argv[optind], &m, &meta, err)) {
		fprintf(stderr, "koracle: quantize: %s\n", err);
		goto out;
	}
	if (!ncalib) {
		if (val_files(meta.text, &calib, &ncalib)) {
			fprintf(stderr, "koracle: quantize: out of memory\n");
			goto out;
		}
		owned = 1;
		if (!ncalib) {
			fprintf(stderr,
				"koracle: quantize: %s records no validation files: give calibration traces with --calib TRACE\n",
				argv[optind]);
			ret = KO_EXIT_USAGE;
			goto out;
		}
	}
	if (ko_quant_calibrate(&m, calib, ncalib, &cal, err)) {
		fprintf(stderr, "koracle: quantize: calibration: %s\n", err);
		goto out;
	}
	if (ko_quant_build(&m, &cal, &blob, &len, err)) {
		fprintf(stderr, "koracle: quantize: %s: %s\n", argv[optind], err);
		goto out;
	}
	if (koracle_blob_parse(blob, len, &qm, &why)) {
		/* the shared validator is the kernel's: same verdict */
		fprintf(stderr, "koracle: quantize: %s: the kernel would refuse this model: %s\n",
			argv[optind], why);
		goto out;
	}
	for (int i = 0; i < ncalib; i++) {
		struct agree a = { 0 };

		if (ko_qr_file(calib[i], &m, &qm, agree_point, &a, NULL, NULL, err)) {
			fprintf(stderr, "koracle: quantize: %s\n", err);
			goto out;
		}
		printf("quantize: %s points=%llu float_top1=%.4f quant_top1=%.4f agree=%.4f\n",
		       calib[i], (unsigned long long)a.scored, frac(a.fhits, a.scored),
		       frac(a.qhits, a.scored), frac(a.agree, a.points));
		tot.points += a.points;
		tot.agree += a.agree;
		tot.scored += a.scored;
		tot.fhits += a.fhits;
		tot.qhits += a.qhits;
	}
	printf("quantize: total points=%llu float_top1=%.4f quant_top1=%.4f agree=%.4f\n",
	       (unsigned long long)tot.scored, frac(tot.fhits, tot.scored),
	       frac(tot.qhits, tot.scored), frac(tot.agree, tot.points));
	if (ko_blob_file_write(out, blob, len, err)) {
		fprintf(stderr, "koracle: quantize: %s\n", err);
		goto out;
	}
	printf("quantize: blob=%s bytes=%zu crc=0x%08x channels=%d blocks=%d kernel=%d hidden=%d macs=%u state_bytes=%u\n",
	       out, len, qm.crc, qm.channels, qm.blocks, qm.kernel, qm.hidden,
	       qm.macs, qm.state_size);
	ret = KO_EXIT_OK;
out:
	if (owned)
		for (int i = 0; i < ncalib; i++)
			free(calib[i]);
	free(calib);
	free(blob);
	free(meta.text);
	ko_tcn_destroy(&m);
	return ret;
}
