// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Activation ranges of the float model on trace files (quant.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "quant.h"
#include "quant_replay.h"

static double maxabs(const float *x, long n, double m)
{
	for (long i = 0; i < n; i++)
		if (fabs(x[i]) > m)
			m = fabs(x[i]);
	return m;
}

static int calib_point(void *ctx, const struct ko_tcn *m,
		       const struct ko_qr_point *p)
{
	struct ko_qcalib *cal = ctx;
	const struct ko_tcn_config *cfg = &m->cfg;
	int C = cfg->channels, H = cfg->hidden, K = cfg->nslots;
	long r = p->row;

	cal->x0 = maxabs(m->a.x0 + r * C, C, cal->x0);
	for (int b = 0; b < cfg->blocks; b++) {
		cal->u[b] = maxabs(m->a.a[b][0] + r * C, C, cal->u[b]);
		cal->out[b] = maxabs(m->a.out[b] + r * C, C, cal->out[b]);
	}
	cal->hz = maxabs(m->a.hz + r * (H + 1), H, cal->hz);
	/* z is post-ReLU: its max is the largest pre-ReLU value to represent */
	for (int j = 0; j < K; j++)
		if (p->feat->slot[j][cfg->mask_feat])
			cal->z = maxabs(m->a.z + (r * K + j) * H, H, cal->z);
	cal->points++;
	return 0;
}

int ko_quant_calibrate(struct ko_tcn *m, char *const *paths, int n,
		       struct ko_qcalib *cal, char err[KO_ERR_LEN])
{
	int ret;

	memset(cal, 0, sizeof(*cal));
	ret = ko_tcn_reserve(m, ko_qr_rows(m));
	if (ret) {
		snprintf(err, KO_ERR_LEN, "out of memory for calibration");
		return ret;
	}
	for (int i = 0; i < n; i++) {
		ret = ko_qr_file(paths[i], m, NULL, calib_point, cal, NULL, NULL,
				 err);
		if (ret)
			return ret;
	}
	if (!cal->points) {
		snprintf(err, KO_ERR_LEN,
			 "no prediction point in the calibration traces (a point needs two switches on one CPU)");
		return -EINVAL;
	}
	return 0;
}
