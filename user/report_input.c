// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Reading the inputs of `koracle report` (report_input.h): eval's JSON
 * through json-c, bench lines and step_ns histograms through the line
 * reader (plain or gzip).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "file_read.h"
#include "report_input.h"

#define KO_RPT_JSON_MAX	(64u << 20)	/* bytes; eval prints ~400 per trace */

const char *const ko_rpt_live_prefix[KO_RPT_LIVE_COUNT] = {
	[KO_RPT_LIVE_KORACLE] = "live_koracle_top1_",
	[KO_RPT_LIVE_MODEL] = "live_model_top1_",
	[KO_RPT_LIVE_SELECTOR] = "live_selector_top1_",
	[KO_RPT_LIVE_PREDICTIONS] = "live_predictions_",
	[KO_RPT_LIVE_STEP_NS] = "step_median_ns_",
	[KO_RPT_LIVE_OVERHEAD] = "overhead_ratio_",
};

void ko_rpt_input_init(struct ko_rpt_input *in)
{
	memset(in, 0, sizeof(*in));
}

void ko_rpt_input_free(struct ko_rpt_input *in)
{
	size_t i;

	for (i = 0; i < in->nw; i++)
		free(in->w[i].label);
	free(in->w);
	for (i = 0; i < in->nbench; i++) {
		free(in->bench[i].name);
		free(in->bench[i].value);
		free(in->bench[i].unit);
	}
	free(in->bench);
	ko_rpt_input_init(in);
}

struct ko_rpt_workload *ko_rpt_find(const struct ko_rpt_input *in, const char *label)
{
	size_t i;

	for (i = 0; i < in->nw; i++)
		if (!strcmp(in->w[i].label, label))
			return &in->w[i];
	return NULL;
}

/* ---- eval JSON ---------------------------------------------------------- */

/*
 * @key of @o as a number in [lo, hi] into *v. @where names the object
 * ("traces[2]", "macro") for the message.
 */
static int ko_rpt_json_num(struct json_object *o, const char *key, double lo,
			double hi, double *v, const char *path,
			const char *where, char err[KO_ERR_LEN])
{
	struct json_object *x;
	enum json_type t;

	if (!json_object_object_get_ex(o, key, &x)) {
		snprintf(err, KO_ERR_LEN, "%s: %s has no \"%s\": not the output of koracle eval --json?",
			 path, where, key);
		return -EINVAL;
	}
	t = json_object_get_type(x);
	if (t != json_type_double && t != json_type_int) {
		snprintf(err, KO_ERR_LEN, "%s: %s: \"%s\" is a %s, not a number",
			 path, where, key, json_type_to_name(t));
		return -EINVAL;
	}
	*v = json_object_get_double(x);
	if (!(*v >= lo && *v <= hi)) {	/* also NaN */
		snprintf(err, KO_ERR_LEN, "%s: %s: \"%s\" is %g, outside %g..%g",
			 path, where, key, *v, lo, hi);
		return -ERANGE;
	}
	return 0;
}

/* The keys a trace and "macro" share, into @r (rates 0..1). */
static int ko_rpt_json_rates(struct json_object *o, struct ko_rates *r,
			  const char *path, const char *where,
			  char err[KO_ERR_LEN])
{
	const struct {
		const char *key;
		double *v;
		double hi;	/* counts: any; rates: 1 */
	} f[] = {
		{ "events", &r->events, 1e18 },
		{ "predictions", &r->predictions, 1e18 },
		{ "top1", &r->top1, 1 },
		{ "top3", &r->top3, 1 },
		{ "coverage", &r->coverage, 1 },
		{ "model_top1", &r->model_top1, 1 },
	};
	struct json_object *base;
	size_t i;
	int k, ret;

	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, KO_ERR_LEN, "%s: %s is not a JSON object", path, where);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		ret = ko_rpt_json_num(o, f[i].key, 0, f[i].hi, f[i].v, path, where, err);
		if (ret)
			return ret;
	}
	if (!json_object_object_get_ex(o, "baselines", &base) ||
	    !json_object_is_type(base, json_type_object)) {
		snprintf(err, KO_ERR_LEN, "%s: %s has no \"baselines\" object",
			 path, where);
		return -EINVAL;
	}
	for (k = 0; k < KO_BASE_COUNT; k++) {
		char w[96];

		snprintf(w, sizeof(w), "%s.baselines", where);
		ret = ko_rpt_json_num(base, ko_base_names[k], 0, 1, &r->base[k],
				   path, w, err);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A trace's label: non-empty, no control characters (they would break the
 * tables and the gnuplot script; quotes and backslashes are escaped there).
 */
static int ko_rpt_json_label(struct json_object *t, const char **label,
			  const char *path, const char *where,
			  char err[KO_ERR_LEN])
{
	struct json_object *x;
	const unsigned char *p;
	int len;

	if (!json_object_object_get_ex(t, "label", &x) ||
	    !json_object_is_type(x, json_type_string)) {
		snprintf(err, KO_ERR_LEN, "%s: %s has no string \"label\"", path, where);
		return -EINVAL;
	}
	*label = json_object_get_string(x);
	len = json_object_get_string_len(x);
	if (!len) {
		snprintf(err, KO_ERR_LEN, "%s: %s has an empty label", path, where);
		return -EINVAL;
	}
	for (p = (const unsigned char *)*label; p < (const unsigned char *)*label + len; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, KO_ERR_LEN,
				 "%s: %s: the label %s holds control character 0x%02x (newline, tab, ...), which no table or chart can show; re-import the trace with koracle import --label NAME",
				 path, where, json_object_to_json_string(x), *p);
			return -EINVAL;
		}
	}
	return 0;
}

/* Adds one trace's counts (rates times predictions) to its label's row. */
static int ko_rpt_pool(struct ko_rpt_input *in, const char *label,
		    const struct ko_rates *r)
{
	struct ko_rpt_workload *w = ko_rpt_find(in, label), *grown;
	double p = r->predictions;
	int k;

	if (!w) {
		grown = realloc(in->w, (in->nw + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		in->w = grown;
		w = &in->w[in->nw];
		memset(w, 0, sizeof(*w));
		w->label = strdup(label);
		if (!w->label)
			return -ENOMEM;
		in->nw++;
	}
	w->ntraces++;
	w->r.events += r->events;
	w->r.predictions += p;
	w->r.top1 += r->top1 * p;
	w->r.top3 += r->top3 * p;
	w->r.coverage += r->coverage * p;
	w->r.model_top1 += r->model_top1 * p;
	for (k = 0; k < KO_BASE_COUNT; k++)
		w->r.base[k] += r->base[k] * p;
	return 0;
}

/* Counts back to rates: divide by each row's summed predictions. */
static void ko_rpt_pool_finish(struct ko_rpt_input *in)
{
	size_t i;
	int k;

	for (i = 0; i < in->nw; i++) {
		struct ko_rates *r = &in->w[i].r;
		double p = r->predictions;

		if (!p)
			continue;	/* all zero already */
		r->top1 /= p;
		r->top3 /= p;
		r->coverage /= p;
		r->model_top1 /= p;
		for (k = 0; k < KO_BASE_COUNT; k++)
			r->base[k] /= p;
	}
}

static int ko_rpt_parse_eval(struct ko_rpt_input *in, struct json_object *root,
			  const char *path, char err[KO_ERR_LEN])
{
	struct json_object *traces, *macro;
	struct ko_rates r;
	const char *label;
	char where[64];
	size_t i, n;
	int ret;

	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "traces", &traces) ||
	    !json_object_is_type(traces, json_type_array)) {
		snprintf(err, KO_ERR_LEN,
			 "%s: no \"traces\" array: not the output of koracle eval --json?",
			 path);
		return -EINVAL;
	}
	n = json_object_array_length(traces);
	if (!n) {
		snprintf(err, KO_ERR_LEN, "%s: \"traces\" is empty: nothing to report", path);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(traces, i);

		snprintf(where, sizeof(where), "traces[%zu]", i);
		memset(&r, 0, sizeof(r));
		ret = ko_rpt_json_rates(t, &r, path, where, err);
		if (!ret)
			ret = ko_rpt_json_label(t, &label, path, where, err);
		if (ret)
			return ret;
		if (ko_rpt_pool(in, label, &r)) {
			snprintf(err, KO_ERR_LEN, "read %s: out of memory", path);
			return -ENOMEM;
		}
	}
	ko_rpt_pool_finish(in);
	if (!json_object_object_get_ex(root, "macro", &macro)) {
		snprintf(err, KO_ERR_LEN, "%s: no \"macro\" object: not the output of koracle eval --json?",
			 path);
		return -EINVAL;
	}
	return ko_rpt_json_rates(macro, &in->macro, path, "macro", err);
}

int ko_rpt_read_eval(struct ko_rpt_input *in, const char *path, char err[KO_ERR_LEN])
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	enum json_tokener_error jerr;
	char *buf = NULL;
	void *raw;
	size_t len = 0, end;
	int ret;

	ret = ko_file_read(path, KO_RPT_JSON_MAX, "eval's JSON", &raw, &len, err);
	if (ret)
		return ret;
	buf = raw;
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, KO_ERR_LEN, "parse %s: out of memory", path);
		ret = -ENOMEM;
		goto out;
	}
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	ret = -EINVAL;
	if (jerr == json_tokener_continue || (!root && jerr == json_tokener_success)) {
		snprintf(err, KO_ERR_LEN,
			 "cannot parse %s as JSON: it ends early, after %zu bytes (truncated? koracle eval --json writes one object)",
			 path, len);
		goto out;
	}
	if (jerr != json_tokener_success) {
		snprintf(err, KO_ERR_LEN, "cannot parse %s as JSON: %s, at byte %zu",
			 path, json_tokener_error_desc(jerr), end);
		goto out;
	}
	end += strspn(buf + end, " \t\r\n");
	if (end < len) {
		snprintf(err, KO_ERR_LEN,
			 "cannot parse %s as JSON: more text after the object, at byte %zu (two eval outputs in one file?)",
			 path, end);
		goto out;
	}
	ret = ko_rpt_parse_eval(in, root, path, err);
out:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(buf);
	return ret;
}
