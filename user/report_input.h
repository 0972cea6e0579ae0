/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The inputs of `koracle report`, read into one struct ko_rpt_input:
 *
 *  - eval: the JSON object `koracle eval --json` prints (user/metrics.h),
 *    parsed with json-c. Its traces are grouped by workload label, in order
 *    of first appearance; traces sharing a label are pooled weighted by
 *    their predictions (each rate times its predictions is a count again,
 *    summed, then divided by the summed predictions), as eval's own
 *    "overall" pools. Its "macro" row (mean over labels) is kept as is.
 *  - bench: "bench: NAME VALUE [UNIT]" lines (make bench, make demo); other
 *    lines and "bench: #" comments are skipped. NAME = a known prefix + a
 *    workload label of the eval gives that workload's live figures
 *    (enum ko_rpt_live); every other bench line is kept verbatim.
 *  - latency: the module's debugfs step_ns histograms (kmod/latency.c):
 *    "LOW_NS COUNT" lines for buckets 0, 1, 2, ... (bucket 0 is 0 ns,
 *    bucket b >= 1 is [2^(b-1), 2^b) ns), then "median_ns N". Several files
 *    are summed bucket by bucket.
 *
 * Every reader returns 0 or -errno, with "FILE[:LINE]: cause" in err.
 */
#ifndef KO_REPORT_INPUT_H
#define KO_REPORT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "metrics.h"	/* struct ko_rates, KO_BASE_*, ko_base_names */

/* Bucket 63 starts at 2^62 ns; the kernel prints at most 40 buckets. */
#define KO_RPT_LAT_BUCKETS	64

/* Per-workload figures the bench lines may carry, and their name prefixes. */
enum ko_rpt_live {
	KO_RPT_LIVE_KORACLE,	/* live_koracle_top1_<label>: fraction 0..1,
				 * what the module published (published_hits)
				 */
	KO_RPT_LIVE_MODEL,		/* live_model_top1_<label>: fraction 0..1 */
	KO_RPT_LIVE_SELECTOR,	/* live_selector_top1_<label>: fraction 0..1 */
	KO_RPT_LIVE_PREDICTIONS,	/* live_predictions_<label>: count */
	KO_RPT_LIVE_STEP_NS,	/* step_median_ns_<label>: ns, in-kernel median */
	KO_RPT_LIVE_OVERHEAD,	/* overhead_ratio_<label>: x, loaded / absent */
	KO_RPT_LIVE_COUNT,
};

extern const char *const ko_rpt_live_prefix[KO_RPT_LIVE_COUNT];

struct ko_rpt_workload {
	char *label;		/* printable, no control characters */
	int ntraces;		/* eval traces pooled into this row */
	struct ko_rates r;	/* rates 0..1; events, predictions summed */
	bool seen;		/* --seen: the model trained on it */
	bool has[KO_RPT_LIVE_COUNT];	/* a bench line gave a number */
	double live[KO_RPT_LIVE_COUNT];	/* units: see enum ko_rpt_live */
};

/* A bench line that is no workload's figure, as written. */
struct ko_rpt_bench {
	char *name;
	char *value;
	char *unit;		/* "" when the line has none */
};

struct ko_rpt_latency {
	uint64_t count[KO_RPT_LAT_BUCKETS];	/* steps per bucket, all files */
	uint64_t total;				/* steps */
	int nfiles;
};

struct ko_rpt_input {
	struct ko_rpt_workload *w;		/* (nw) in order of first appearance */
	size_t nw;
	struct ko_rates macro;		/* eval's "macro" row */
	struct ko_rpt_bench *bench;	/* (nbench) in input order */
	size_t nbench, bench_cap;
	struct ko_rpt_latency lat;
};

void ko_rpt_input_init(struct ko_rpt_input *in);
void ko_rpt_input_free(struct ko_rpt_input *in);

/* Once, before the bench files (their names refer to its labels). */
int ko_rpt_read_eval(struct ko_rpt_input *in, const char *path,
		  char err[KO_ERR_LEN]);
int ko_rpt_read_bench(struct ko_rpt_input *in, const char *path,
		   char err[KO_ERR_LEN]);
int ko_rpt_read_latency(struct ko_rpt_input *in, const char *path,
		     char err[KO_ERR_LEN]);

/* The workload labelled @label, or NULL. */
struct ko_rpt_workload *ko_rpt_find(const struct ko_rpt_input *in, const char *label);

/* Lowest ns of bucket @b: 0, 1, 2, 4, ... */
uint64_t ko_rpt_bucket_low(unsigned int b);
/*
 * The median step, interpolated linearly inside the bucket that holds it,
 * exactly as kmod/latency.c's koracle_median(); 0 when @total is 0.
 */
uint64_t ko_rpt_median(const uint64_t count[KO_RPT_LAT_BUCKETS], uint64_t total);

#endif /* KO_REPORT_INPUT_H */
