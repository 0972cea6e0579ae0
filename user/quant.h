/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Post-training quantization of the float TCN into a weight blob
 * (shared/blob.h) for the integer step (shared/tcn_q.h):
 *
 *  1. calibration (quant_calib.c): the float model streams over trace files
 *     and records each activation tensor's largest magnitude;
 *  2. scales: s16 activations get scale = max * KO_QUANT_HEADROOM / 32767
 *     (x0 instead gets its exact worst case, the sum over features of each
 *     table's largest entry, so it never saturates); int8 weights one scale
 *     per output channel, max |w| / 127;
 *  3. folding (quant_blob.c): biases into accumulator units, every rescale
 *     (input scale * weight scale / output scale, block input / block
 *     output) into a fixed-point multiplier and shift, tables into their
 *     activation's scale, then the blob with its CRC.
 */
#ifndef KO_QUANT_H
#define KO_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "../shared/tcn_q.h"
#include "tcn.h"
#include "err.h"

#define KO_QUANT_HEADROOM	1.25	/* activation range over calibration max */

/* Largest magnitude seen per activation tensor (float units). */
struct ko_qcalib {
	double x0;				/* embedding sum */
	double u[KORACLE_Q_MAX_BLOCKS];		/* first conv's ReLU output */
	double out[KORACLE_Q_MAX_BLOCKS];	/* block output */
	double hz;				/* head projection (H cols) */
	double z;				/* per-slot hidden, occupied slots */
	long points;
};

/* Calibrates on @n trace files. 0 or -errno with a message in @err. */
int ko_quant_calibrate(struct ko_tcn *m, char *const *paths, int n,
		       struct ko_qcalib *cal, char err[KO_ERR_LEN]);

/*
 * The blob of @m with @cal's ranges: malloc'ed (8-byte aligned) into *blob.
 * 0 or -errno (-EINVAL: @m does not fit the integer step's bounds or this
 * build's encoder) with a message in @err.
 */
int ko_quant_build(const struct ko_tcn *m, const struct ko_qcalib *cal,
		   uint8_t **blob, size_t *len, char err[KO_ERR_LEN]);

/* @real (>= 0) as M * 2^(shift - 31), M in [2^30, 2^31) (or M = 0 when
 * @real is below 2^-32). -ERANGE when it needs shift > KORACLE_Q_MAX_SHIFT. */
int ko_quant_multiplier(double real, int32_t *mult, int *shift);

#endif /* KO_QUANT_H */
