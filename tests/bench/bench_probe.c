// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_probe [-n PASSES] BLOB TRACE...: the cost of the whole per-event
 * probe path (shared/predictor.h: encoder, rules, selector, gate, model and
 * scoring), compiled with the kernel's flags (no SIMD, no vectorizer:
 * scripts/bench-probe.sh), on the events of real traces. DESIGN.md's
 * target: at most 200 ns per switch with the default model, every event's
 * work charged to the switches.
 *
 * Each trace is read into memory first (LOST records dropped: they are
 * written by collectors, the probes never see one). A pass feeds all its
 * events, in file order, to the predictor of the event's CPU (one
 * koracle_predictor and one model state per CPU, cache-line aligned apart,
 * as kmod/model.c lays them out), timed as a whole with CLOCK_MONOTONIC;
 * every predictor and state starts fresh before each pass, outside the
 * timing. Two paths, passes interleaved so that drift hits both alike:
 *   encoder  koracle_predictor_encode, then at a SWITCH
 *            koracle_predictor_publish(KORACLE_SLOT_NONE): no model loaded;
 *   probe    koracle_predictor_event with the model: what the probes run.
 * The least disturbed of PASSES passes is kept (the machine is shared: a
 * co-tenant's burst only ever adds time), divided by the trace's SWITCH
 * records. Per trace, then the medians over the traces (the model's cost is
 * the median of the per-trace differences, so it need not equal the
 * difference of the two medians):
 *   bench: probe_ns_per_switch.LABEL N ns
 *   bench: encoder_ns_per_switch.LABEL N ns
 *   bench: probe_ns_per_switch N ns
 *   bench: encoder_ns_per_switch N ns
 *   bench: model_ns_per_switch N ns
 *   bench: switches_replayed N switches  (all the traces' SWITCH records)
 * The events stream from memory (64 bytes each) where the kernel finds the
 * record it just built in cache; prefetching hides most of that difference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "predictor.h"
#include "trace_io.h"

#define KO_BENCH_PASSES		7	/* default passes per path and trace */
#define KO_BENCH_MAX_CPUS	4096	/* CPU ids a trace may use */
#define KO_BENCH_ALIGN		64	/* cache line, bytes */
#define KO_BENCH_LABEL_LEN	64

struct ko_bench_trace {
	char label[KO_BENCH_LABEL_LEN];	/* file name without extension */
	struct koracle_event *ev;	/* (n) LOST records left out */
	size_t n, cap;
	size_t switches;		/* SWITCH records among ev */
	unsigned int ncpus;		/* highest CPU id + 1 */
};

/* Per-CPU predictors and model states, each KO_BENCH_ALIGN apart. */
struct ko_bench_cpus {
	unsigned int ncpus;
	size_t pred_stride, state_stride;	/* bytes */
	void *preds;		/* (ncpus, pred_stride) */
	void *states;		/* (ncpus, state_stride) */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t align_up(size_t n)
{
	return (n + KO_BENCH_ALIGN - 1) / KO_BENCH_ALIGN * KO_BENCH_ALIGN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The whole file into an 8-byte aligned buffer (koracle_blob_parse). */
static void *read_blob(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "bench_probe: open %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "bench_probe: %s: empty or not seekable\n", path);
		goto out;
	}
	buf = aligned_alloc(8, ((size_t)n + 7) / 8 * 8);
	if (!buf) {
		fprintf(stderr, "bench_probe: %s: out of memory\n", path);
		goto out;
	}
	if (fread(buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "bench_probe: read %s: short read\n", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = n;
out:
	fclose(f);
	return buf;
}

static void set_label(struct ko_bench_trace *t, const char *path)
{
	const char *base = strrchr(path, '/');
	char *dot;

	snprintf(t->label, sizeof(t->label), "%s", base ? base + 1 : path);
	dot = strrchr(t->label, '.');
	if (dot && dot != t->label)
		*dot = '\0';
}

/* Every event of @path but LOST into @t; 0 or -1 (message printed). */
static int load_trace(const char *path, struct ko_bench_trace *t)
{
	struct ko_trace_reader *r = NULL;
	struct koracle_event ev;
	char err[KO_ERR_LEN];
	int ret = -1, got;

	set_label(t, path);
	if (ko_trace_open(path, &r, err)) {
		fprintf(stderr, "bench_probe: %s\n", err);
		return -1;
	}
	while ((got = ko_trace_next(r, &ev)) == 1) {
		if (ev.type == KORACLE_EV_LOST)
			continue;
		if (ev.cpu >= KO_BENCH_MAX_CPUS) {
			fprintf(stderr, "bench_probe: %s: CPU %u over the bench's limit of %d\n",
				path, ev.cpu, KO_BENCH_MAX_CPUS);
			goto out;
		}
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 65536;
			struct koracle_event *e = realloc(t->ev, cap * sizeof(*e));

			if (!e) {
				fprintf(stderr, "bench_probe: %s: out of memory\n",
					path);
				goto out;
			}
			t->ev = e;
			t->cap = cap;
		}
		t->ev[t->n++] = ev;
		if (ev.type == KORACLE_EV_SWITCH)
			t->switches++;
		if (ev.cpu + 1U > t->ncpus)
			t->ncpus = ev.cpu + 1U;
	}
	if (got < 0) {
		fprintf(stderr, "bench_probe: %s\n", ko_trace_error(r));
		goto out;
	}
	if (!t->switches) {
		fprintf(stderr, "bench_probe: %s: no switch records\n", path);
		goto out;
	}
	ret = 0;
out:
	ko_trace_close(r);
	return ret;
}

static struct koracle_predictor *cpu_pred(const struct ko_bench_cpus *c,
					  unsigned int cpu)
{
	return (void *)((char *)c->preds + cpu * c->pred_stride);
}

static void *cpu_state(const struct ko_bench_cpus *c, unsigned int cpu)
{
	return (char *)c->states + cpu * c->state_stride;
}

static int cpus_alloc(struct ko_bench_cpus *c, unsigned int ncpus,
		      const struct koracle_qmodel *m)
{
	size_t state = koracle_qstate_size(m);

	c->ncpus = ncpus;
	c->pred_stride = align_up(sizeof(struct koracle_predictor));
	c->state_stride = align_up(state ? state : 1);
	c->preds = aligned_alloc(KO_BENCH_ALIGN, ncpus * c->pred_stride);
	c->states = aligned_alloc(KO_BENCH_ALIGN, ncpus * c->state_stride);
	if (!c->preds || !c->states) {
		fprintf(stderr, "bench_probe: per-CPU state for %u CPUs: out of memory\n",
			ncpus);
		return -1;
	}
	return 0;
}

/* A fresh list, gate, counters and model state on every CPU. */
static void cpus_reset(const struct ko_bench_cpus *c,
		       const struct koracle_qmodel *m)
{
	for (unsigned int cpu = 0; cpu < c->ncpus; cpu++) {
		struct koracle_predictor *p = cpu_pred(c, cpu);

		memset(p, 0, sizeof(*p));
		koracle_predictor_init(p);
		koracle_predictor_zero(p);
		koracle_qstate_reset(m, cpu_state(c, cpu));
	}
}

/* Scored switches and selector hits summed over the CPUs. */
static void cpus_counts(const struct ko_bench_cpus *c,
			struct koracle_pred_counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int cpu = 0; cpu < c->ncpus; cpu++) {
		const struct koracle_pred_counts *n = &cpu_pred(c, cpu)->n;

		sum->predictions += n->predictions;
		sum->hits += n->hits;
		sum->baseline_hits += n->baseline_hits;
		sum->published_hits += n->published_hits;
	}
}

/*
 * One pass over @t of each path. Two functions, never inlined, so that
 * scripts/bench-probe.sh can count each one's instructions under callgrind
 * (--toggle-collect=run_pass_probe, run_pass_encoder).
 */
static noinline void run_pass_encoder(const struct ko_bench_cpus *c,
				      struct ko_bench_trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct koracle_event *ev = &t->ev[i];
		struct koracle_predictor *p = cpu_pred(c, ev->cpu);

		if (koracle_predictor_encode(p, NULL, ev))
			koracle_predictor_publish(p, KORACLE_SLOT_NONE, ev);
	}
}

static noinline void run_pass_probe(const struct ko_bench_cpus *c,
				    struct ko_bench_trace *t,
				    const struct koracle_qmodel *m)
{
	for (size_t i = 0; i < t->n; i++) {
		struct koracle_event *ev = &t->ev[i];

		koracle_predictor_event(cpu_pred(c, ev->cpu), m,
					cpu_state(c, ev->cpu), ev);
	}
}

/* ns for one pass over @t: the encoder path (@m NULL) or the probe's. */
static long long run_pass(const struct ko_bench_cpus *c,
			  struct ko_bench_trace *t,
			  const struct koracle_qmodel *m)
{
	long long t0, t1;

	t0 = now_ns();
	if (m)
		run_pass_probe(c, t, m);
	else
		run_pass_encoder(c, t);
	t1 = now_ns();
	return t1 - t0;
}

/*
 * Best-of-@passes ns per switch of both paths on @t. Both run the same
 * encoder and selector, so their selector hits must agree: a cheap check
 * that the model pass did what the probes do.
 */
static int bench_trace(struct ko_bench_trace *t, const struct koracle_qmodel *m,
		       int passes, double *enc_ns, double *probe_ns)
{
	struct ko_bench_cpus c = { 0 };
	struct koracle_pred_counts ne, nm;
	long long best_enc = -1, best_probe = -1, dt;
	int ret = -1;

	if (cpus_alloc(&c, t->ncpus, m))
		goto out;
	for (int r = 0; r < passes; r++) {
		cpus_reset(&c, m);
		dt = run_pass(&c, t, NULL);
		if (best_enc < 0 || dt < best_enc)
			best_enc = dt;
		cpus_counts(&c, &ne);

		cpus_reset(&c, m);
		dt = run_pass(&c, t, m);
		if (best_probe < 0 || dt < best_probe)
			best_probe = dt;
		cpus_counts(&c, &nm);
	}
	if (!nm.predictions || ne.predictions != nm.predictions ||
	    ne.baseline_hits != nm.baseline_hits) {
		fprintf(stderr, "bench_probe: %s: the two paths disagree (%llu/%llu scored, %llu/%llu selector hits)\n",
			t->label, (unsigned long long)ne.predictions,
			(unsigned long long)nm.predictions,
			(unsigned long long)ne.baseline_hits,
			(unsigned long long)nm.baseline_hits);
		goto out;
	}
	*enc_ns = (double)best_enc / t->switches;
	*probe_ns = (double)best_probe / t->switches;
	ret = 0;
out:
	free(c.preds);
	free(c.states);
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_probe [-n PASSES] BLOB TRACE...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ko_bench_trace t = { 0 };
	struct koracle_qmodel m;
	double *enc = NULL, *probe = NULL, *model = NULL;
	int passes = KO_BENCH_PASSES, ntraces, opt, ret = 1;
	size_t switches = 0;
	const char *why = NULL;
	void *blob = NULL;
	size_t len = 0;
	char *end;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			return usage();
		passes = (int)strtol(optarg, &end, 10);
		if (*end || passes < 1 || passes > 1000)
			return usage();
	}
	if (argc - optind < 2)
		return usage();
	ntraces = argc - optind - 1;

	blob = read_blob(argv[optind], &len);
	if (!blob)
		goto out;
	if (koracle_blob_parse(blob, len, &m, &why)) {
		fprintf(stderr, "bench_probe: %s: refused: %s\n", argv[optind],
			why ? why : "invalid blob");
		goto out;
	}
	enc = calloc(ntraces, sizeof(*enc));
	probe = calloc(ntraces, sizeof(*probe));
	model = calloc(ntraces, sizeof(*model));
	if (!enc || !probe || !model) {
		fprintf(stderr, "bench_probe: out of memory\n");
		goto out;
	}
	for (int i = 0; i < ntraces; i++) {
		const char *path = argv[optind + 1 + i];

		free(t.ev);
		memset(&t, 0, sizeof(t));
		if (load_trace(path, &t) ||
		    bench_trace(&t, &m, passes, &enc[i], &probe[i]))
			goto out;
		model[i] = probe[i] - enc[i];
		switches += t.switches;
		printf("bench: probe_ns_per_switch.%s %.1f ns\n", t.label,
		       probe[i]);
		printf("bench: encoder_ns_per_switch.%s %.1f ns\n", t.label,
		       enc[i]);
		fflush(stdout);
	}
	printf("bench: probe_ns_per_switch %.1f ns\n", median(probe, ntraces));
	printf("bench: encoder_ns_per_switch %.1f ns\n", median(enc, ntraces));
	printf("bench: model_ns_per_switch %.1f ns\n", median(model, ntraces));
	printf("bench: switches_replayed %zu switches\n", switches);
	ret = 0;
out:
	free(t.ev);
	free(enc);
	free(probe);
	free(model);
	free(blob);
	return ret;
}
