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

struct quantize_args {
	const char *model, *out;
	char **calib;		/* argv strings, or owned (@owned) */
	int ncalib, owned;
};

/* Parses the command line; -1 to go on, else the exit code. */
static int quantize_args(int argc, char **argv, struct quantize_args *a)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "calib", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **grown;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:c:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': a->out = optarg; break;
		case 'c':
			grown = realloc(a->calib, sizeof(*a->calib) * (a->ncalib + 1));
			if (!grown) {
				fprintf(stderr, "koracle: quantize: out of memory\n");
				return KO_EXIT_FAIL;
			}
			a->calib = grown;
			a->calib[a->ncalib++] = optarg;
			break;
		case 'h': quantize_usage(stdout); return KO_EXIT_OK;
		default: quantize_usage(stderr); return KO_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || !a->out) {
		fprintf(stderr, "koracle: quantize: %s\n", !a->out ?
			"no blob file given: add -o BLOB" :
			"give exactly one MODEL (from koracle train)");
		quantize_usage(stderr);
		return KO_EXIT_USAGE;
	}
	a->model = argv[optind];
	return -1;
}

/* Without --calib, the model's validation files; -1 or the exit code. */
static int quantize_default_calib(struct quantize_args *a, const char *text)
{
	if (a->ncalib)
		return -1;
	if (val_files(text, &a->calib, &a->ncalib)) {
		fprintf(stderr, "koracle: quantize: out of memory\n");
		return KO_EXIT_FAIL;
	}
	a->owned = 1;
	if (!a->ncalib) {
		fprintf(stderr,
			"koracle: quantize: %s records no validation files: give calibration traces with --calib TRACE\n",
			a->model);
		return KO_EXIT_USAGE;
	}
	return -1;
}

/* Float vs integer on each calibration trace, then in total; 0 or -1. */
static int quantize_agreement(const struct quantize_args *a, struct ko_tcn *m,
			      const struct koracle_qmodel *qm)
{
	struct agree tot = { 0 };
	char err[KO_ERR_LEN];

	for (int i = 0; i < a->ncalib; i++) {
		struct agree g = { 0 };

		if (ko_qr_file(a->calib[i], m, qm, agree_point, &g, NULL, NULL, err)) {
			fprintf(stderr, "koracle: quantize: %s\n", err);
			return -1;
		}
		printf("quantize: %s points=%llu float_top1=%.4f quant_top1=%.4f agree=%.4f\n",
		       a->calib[i], (unsigned long long)g.scored, frac(g.fhits, g.scored),
		       frac(g.qhits, g.scored), frac(g.agree, g.points));
		tot.points += g.points;
		tot.agree += g.agree;
		tot.scored += g.scored;
		tot.fhits += g.fhits;
		tot.qhits += g.qhits;
	}
	printf("quantize: total points=%llu float_top1=%.4f quant_top1=%.4f agree=%.4f\n",
	       (unsigned long long)tot.scored, frac(tot.fhits, tot.scored),
	       frac(tot.qhits, tot.scored), frac(tot.agree, tot.points));
	return 0;
}

int cmd_quantize(int argc, char **argv)
{
	struct quantize_args a = { 0 };
	struct ko_model_meta meta = { 0 };
	struct ko_tcn m = { 0 };
	struct koracle_qmodel qm;
	struct ko_qcalib cal;
	char err[KO_ERR_LEN];
	const char *why;
	uint8_t *blob = NULL;
	size_t len = 0;
	int ret;

	ret = quantize_args(argc, argv, &a);
	if (ret >= 0)
		goto out;
	ret = KO_EXIT_FAIL;
	if (ko_model_load(a.model, &m, &meta, err)) {
		fprintf(stderr, "koracle: quantize: %s\n", err);
		goto out;
	}
	ret = quantize_default_calib(&a, meta.text);
	if (ret >= 0)
		goto out;
	ret = KO_EXIT_FAIL;
	if (ko_quant_calibrate(&m, a.calib, a.ncalib, &cal, err)) {
		fprintf(stderr, "koracle: quantize: calibration: %s\n", err);
		goto out;
	}
	if (ko_quant_build(&m, &cal, &blob, &len, err)) {
		fprintf(stderr, "koracle: quantize: %s: %s\n", a.model, err);
		goto out;
	}
	if (koracle_blob_parse(blob, len, &qm, &why)) {
		/* the shared validator is the kernel's: same verdict */
		fprintf(stderr, "koracle: quantize: %s: the kernel would refuse this model: %s\n",
			a.model, why);
		goto out;
	}
	if (quantize_agreement(&a, &m, &qm))
		goto out;
	if (ko_blob_file_write(a.out, blob, len, err)) {
		fprintf(stderr, "koracle: quantize: %s\n", err);
		goto out;
	}
	printf("quantize: blob=%s bytes=%zu crc=0x%08x channels=%d blocks=%d kernel=%d hidden=%d macs=%u state_bytes=%u\n",
	       a.out, len, qm.crc, qm.channels, qm.blocks, qm.kernel, qm.hidden,
	       qm.macs, qm.state_size);
	ret = KO_EXIT_OK;
out:
	if (a.owned)
		for (int i = 0; i < a.ncalib; i++)
			free(a.calib[i]);
	free(a.calib);
	free(blob);
	free(meta.text);
	ko_tcn_destroy(&m);
	return ret;
}
