/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The float model file `koracle train` writes and `koracle eval` (and later
 * `koracle quantize`) read. Little endian throughout:
 *
 *   offset  size  field
 *   0       8     magic "KORMODEL"
 *   8       4     format version (KO_MODEL_VERSION)
 *   12      4     K (candidate slots)
 *   16      4     KORACLE_FEAT_VERSION of the encoder it was trained on
 *   20      4     channels, blocks, kernel, hidden, nev, nsf, mask_feat
 *                 (7 x u32, ends at 48)
 *   48      16    event feature vocabulary sizes (u8, nev used)
 *   64      16    slot feature vocabulary sizes (u8, nsf used)
 *   80      48    training metadata: u64 seed, u32 epochs run, u32 best
 *                 epoch, u32 window, u32 batch, u32 threads, u32 train
 *                 files, u32 val files, u32 ignored event features
 *                 (bit f: feature f unused, its rows zero), f64 best
 *                 val top-1
 *   128     4     ignored slot features (bit g: feature g unused, its
 *                 rows zero; version 2 on, version 1 has none)
 *   132     4     length L of the text block
 *   136     L     text: "train FILE\n" and "val FILE\n" lines
 *   136+L   8     parameter count P (must match the architecture)
 *   144+L   4P    float32 parameters in ko_tcn_carve() order
 *   end-4   4     CRC-32 (zlib) of every byte before it
 * Version 1 files (no slot ignore mask: fields from 128 on sit 4 bytes
 * earlier) still load, with no slot feature ignored.
 */
#ifndef KO_MODEL_FILE_H
#define KO_MODEL_FILE_H

#include <stdint.h>

#include "tcn.h"
#include "err.h"

#define KO_MODEL_MAGIC		"KORMODEL"
#define KO_MODEL_VERSION	2
#define KO_MODEL_MAX_TEXT	(1 << 20)	/* bytes of file names */

struct ko_model_meta {
	uint64_t seed;
	int epochs;		/* epochs run */
	int best_epoch;		/* epoch of the saved parameters, 1-based */
	int window;		/* training window, positions */
	int batch;		/* windows per step */
	int threads;
	int ntrain, nval;	/* trace files used */
	double best_val_top1;	/* fraction, on the validation files */
	char *text;		/* "train FILE\n" / "val FILE\n" lines, owned */
};

/* Writes @m's parameters; 0 or -errno with a message in @err. */
int ko_model_save(const char *path, const struct ko_tcn *m,
		  const struct ko_model_meta *meta, char err[KO_ERR_LEN]);
/*
 * Reads and checks a model file: structure, bounds, CRC, and that it was
 * trained for this build's encoder (K, feature version, vocabularies).
 * Creates @m (ko_tcn_destroy() it) and fills @meta (free meta->text).
 * 0 or -errno (-EINVAL for a bad or mismatched file) with a message in @err.
 */
int ko_model_load(const char *path, struct ko_tcn *m, struct ko_model_meta *meta,
		  char err[KO_ERR_LEN]);
/* The architecture this build's encoder needs, with the given sizes. */
void ko_model_default_config(struct ko_tcn_config *cfg, int channels,
			     int blocks, int kernel, int hidden);

#endif /* KO_MODEL_FILE_H */
