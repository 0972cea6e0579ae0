// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle status: what koracle.ko predicts right now and how well, from
 * /sys/kernel/koracle (sysfs_client.h): per CPU the predicted next task
 * (cpuN/next_pid, cpuN/next_comm), the scored switches (predictions), the
 * top-1 of what the module publishes in next_pid (published_hits /
 * predictions: the gate's pick between model and selector), the raw model's
 * (hits / predictions) and the online rule selector's on the same switches
 * (baseline_hits / predictions); the module's totals; the loaded model
 * (model_info); whether a collection session runs (netlink GET_STATS,
 * "unknown" if that fails).
 *
 * --watch redraws the snapshot in place every SECS on a terminal and prints
 * one snapshot per interval when piped, until Ctrl-C (exit 0).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"
#include "live_status.h"

#define STT_WATCH_MAX_S		86400.0	/* longest --watch interval, s */

struct status_opts {
	bool json;		/* one JSON object per snapshot */
	bool watch;
	double every_s;		/* --watch interval, s */
	long count;		/* snapshots to print, 0: until Ctrl-C */
};

static volatile sig_atomic_t status_stop;

static void status_on_signal(int sig)
{
	(void)sig;
	status_stop = 1;
}

static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: koracle status [--json] [--watch [SECS]] [--count N]\n"
		"\n"
		"Show koracle.ko's live predictions from %s: per CPU the predicted\n"
		"next task, the scored switches, the top-1 accuracy on them of what koracle\n"
		"publishes (koracle_top1: the gate's pick between the model and the\n"
		"selector), of the raw model (model_top1) and of the online rule selector\n"
		"(selector_top1), the totals, the loaded model, and whether a collection\n"
		"session runs.\n"
		"\n"
		"  -w, --watch [SECS]  redraw every SECS seconds (default 1, decimals\n"
		"                      allowed) until Ctrl-C; when not on a terminal, print\n"
		"                      one snapshot per interval instead\n"
		"  -n, --count N       with --watch: stop after N snapshots\n"
		"  -j, --json          one JSON object per snapshot (one per line with\n"
		"                      --watch), with the text's field names\n"
		"  -h, --help          this help\n"
		"\n"
		"Env: %s=DIR reads DIR instead of %s.\n",
		KO_SYSFS_DEFAULT, KO_SYSFS_ENV, KO_SYSFS_DEFAULT);
}

/* A positive number of seconds, at most STT_WATCH_MAX_S. */
static bool status_parse_secs(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > STT_WATCH_MAX_S)
		return false;
	*out = v;
	return true;
}

/* --watch takes an optional separate argument: consume the next word if it is a number. */
static int status_parse(int argc, char **argv, struct status_opts *o)
{
	static const struct option longopts[] = {
		{ "watch", optional_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	o->json = false;
	o->watch = false;
	o->every_s = 1.0;
	o->count = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+w::n:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->watch = true;
			if (optarg) {
				if (!status_parse_secs(optarg, &o->every_s))
					goto bad_secs;
			} else if (optind < argc && status_parse_secs(argv[optind], &o->every_s)) {
				optind++;
			}
			break;
		case 'n':
			errno = 0;
			o->count = strtol(optarg, &end, 10);
			if (errno || *end || o->count <= 0) {
				fprintf(stderr, "koracle: status: --count '%s': expected a positive integer\n",
					optarg);
				return -1;
			}
			break;
		case 'h':
			status_usage(stdout);
			return 1;
		default:
			fprintf(stderr, "koracle: status: unknown option or missing value '%s'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "koracle: status: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->count && !o->watch) {
		fprintf(stderr, "koracle: status: --count needs --watch\n");
		return -1;
	}
	return 0;
bad_secs:
	fprintf(stderr, "koracle: status: --watch '%s': expected seconds in (0, %.0f]\n",
		optarg, STT_WATCH_MAX_S);
	return -1;
}

/* "48.9%", or "-" when there is nothing to score (or no model to score). */
static const char *status_pct(char *buf, size_t len, u64 hits, u64 n, bool valid)
{
	if (!valid || !n)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * (double)hits / (double)n);
	return buf;
}

static void status_row(FILE *f, const char *name, u64 n, u64 pub, u64 hits, u64 base,
		    bool model, const char *pid, const char *comm)
{
	char k[16], m[16], b[16];

	fprintf(f, "%-6s %12llu %12s %10s %13s %12llu %13llu %9s  %s\n", name,
		(unsigned long long)n, status_pct(k, sizeof(k), pub, n, true),
		status_pct(m, sizeof(m), hits, n, model), status_pct(b, sizeof(b), base, n, true),
		(unsigned long long)hits, (unsigned long long)base, pid, comm);
}

static void status_print(FILE *f, const struct ko_live_snap *s, bool watch)
{
	const struct ko_model_info *mi = &s->mi;
	time_t now = time(NULL);
	char name[24], pid[24];
	size_t i;

	if (watch) {
		char when[32];
		struct tm tm;

		if (!gmtime_r(&now, &tm) || !strftime(when, sizeof(when), "%F %T UTC", &tm))
			snprintf(when, sizeof(when), "?");
		fprintf(f, "time %lld (%s)\n", (long long)now, when);
	}
	if (mi->loaded)
		fprintf(f, "model crc=0x%08x channels=%u blocks=%u kernel=%u hidden=%u slots=%u macs=%llu loaded=%llu (%lld s ago)\n",
			mi->crc, mi->channels, mi->blocks, mi->kernel, mi->hidden, mi->slots,
			(unsigned long long)mi->macs, (unsigned long long)mi->loaded_at,
			(long long)now - (long long)mi->loaded_at);
	else
		fprintf(f, "model none (predictions come from the online rule selector)\n");
	fprintf(f, "enabled %llu\n", (unsigned long long)s->enabled);
	fprintf(f, "collecting %s\n",
		s->collecting < 0 ? "unknown" : s->collecting ? "1" : "0");
	fprintf(f, "\n%-6s %12s %12s %10s %13s %12s %13s %9s  %s\n", "cpu", "predictions",
		"koracle_top1", "model_top1", "selector_top1", "hits", "baseline_hits",
		"next_pid", "next_comm");
	for (i = 0; i < s->ncpus; i++) {
		const struct ko_live_cpu *c = &s->cpus[i];

		snprintf(name, sizeof(name), "cpu%u", c->cpu);
		snprintf(pid, sizeof(pid), "%lld", (long long)c->next_pid);
		status_row(f, name, c->predictions, c->published_hits, c->hits, c->baseline_hits,
			mi->loaded, pid, c->next_pid < 0 || !c->comm[0] ? "-" : c->comm);
	}
	status_row(f, "total", s->predictions, s->published_hits, s->hits, s->baseline_hits,
		mi->loaded, "-", "-");
}

/* Top-1 as a fraction, or null where the text shows "-". */
static json_object *status_json_top1(u64 hits, u64 n, bool valid)
{
	return valid && n ? json_object_new_double((double)hits / (double)n) : NULL;
}

static json_object *status_json_row(u64 n, u64 pub, u64 hits, u64 base, bool model)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "predictions", json_object_new_uint64(n));
	json_object_object_add(o, "koracle_top1", status_json_top1(pub, n, true));
	json_object_object_add(o, "model_top1", status_json_top1(hits, n, model));
	json_object_object_add(o, "selector_top1", status_json_top1(base, n, true));
	json_object_object_add(o, "published_hits", json_object_new_uint64(pub));
	json_object_object_add(o, "hits", json_object_new_uint64(hits));
	json_object_object_add(o, "baseline_hits", json_object_new_uint64(base));
	return o;
}

/* The snapshot as one line of JSON: the text's fields, null for "none". */
static void status_print_json(FILE *f, const struct ko_live_snap *s)
{
	const struct ko_model_info *mi = &s->mi;
	json_object *root = json_object_new_object(), *m = NULL, *cpus, *c;
	size_t i;

	if (mi->loaded) {
		m = json_object_new_object();
		json_object_object_add(m, "crc", json_object_new_uint64(mi->crc));
		json_object_object_add(m, "channels", json_object_new_uint64(mi->channels));
		json_object_object_add(m, "blocks", json_object_new_uint64(mi->blocks));
		json_object_object_add(m, "kernel", json_object_new_uint64(mi->kernel));
		json_object_object_add(m, "hidden", json_object_new_uint64(mi->hidden));
		json_object_object_add(m, "slots", json_object_new_uint64(mi->slots));
		json_object_object_add(m, "macs", json_object_new_uint64(mi->macs));
		json_object_object_add(m, "loaded", json_object_new_uint64(mi->loaded_at));
	}
	json_object_object_add(root, "time", json_object_new_int64(time(NULL)));
	json_object_object_add(root, "model", m);
	json_object_object_add(root, "enabled", json_object_new_uint64(s->enabled));
	json_object_object_add(root, "collecting", s->collecting < 0 ? NULL :
			       json_object_new_int(s->collecting));
	cpus = json_object_new_array();
	for (i = 0; i < s->ncpus; i++) {
		const struct ko_live_cpu *sc = &s->cpus[i];

		c = status_json_row(sc->predictions, sc->published_hits, sc->hits,
				    sc->baseline_hits, mi->loaded);
		json_object_object_add(c, "cpu", json_object_new_uint64(sc->cpu));
		json_object_object_add(c, "next_pid", json_object_new_int64(sc->next_pid));
		json_object_object_add(c, "next_comm", sc->next_pid < 0 || !sc->comm[0] ?
				       NULL : json_object_new_string(sc->comm));
		json_object_array_add(cpus, c);
	}
	json_object_object_add(root, "cpus", cpus);
	json_object_object_add(root, "total", status_json_row(s->predictions,
							      s->published_hits, s->hits,
							      s->baseline_hits, mi->loaded));
	fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
}

/* A snapshot, or -1 after saying why. */
static int status_snapshot(struct ko_live_snap *s)
{
	char err[KO_ERR_LEN];

	if (!ko_live_snapshot(s, err))
		return 0;
	fprintf(stderr, "koracle: status: %s\n", err);
	return -1;
}

/* Sleeps @secs unless a signal asks to stop first. */
static void status_sleep(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (!status_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int status_watch(struct ko_live_snap *s, const struct status_opts *o)
{
	bool tty = isatty(STDOUT_FILENO);
	struct sigaction sa;
	long shown = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = status_on_signal;	/* no SA_RESTART: wake the sleep */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		fprintf(stderr, "koracle: status: sigaction: %s\n", strerror(errno));
		return KO_EXIT_FAIL;
	}
	while (!status_stop) {
		if (status_snapshot(s))
			return KO_EXIT_FAIL;
		/* Drawn off-screen, then written at once: no flicker. */
		mem = open_memstream(&buf, &len);
		if (!mem) {
			fprintf(stderr, "koracle: status: open_memstream: %s\n", strerror(errno));
			return KO_EXIT_FAIL;
		}
		if (o->json)
			status_print_json(mem, s);
		else if (tty)
			fputs("\033[H\033[2J", mem);
		if (!o->json)
			status_print(mem, s, true);
		if (!o->json && tty)
			fprintf(mem, "\nevery %g s; Ctrl-C quits\n", o->every_s);
		else if (!o->json)
			fputc('\n', mem);
		if (fclose(mem)) {
			fprintf(stderr, "koracle: status: open_memstream: %s\n", strerror(errno));
			free(buf);
			return KO_EXIT_FAIL;
		}
		fwrite(buf, 1, len, stdout);
		free(buf);
		buf = NULL;
		if (fflush(stdout)) {
			fprintf(stderr, "koracle: status: write stdout: %s\n", strerror(errno));
			return KO_EXIT_FAIL;
		}
		if (o->count && ++shown >= o->count)
			break;
		status_sleep(o->every_s);
	}
	return KO_EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	struct ko_live_snap s = { 0 };
	int ret = KO_EXIT_FAIL;
	struct status_opts o;

	switch (status_parse(argc, argv, &o)) {
	case 0:
		break;
	case 1:
		return KO_EXIT_OK;
	default:
		status_usage(stderr);
		return KO_EXIT_USAGE;
	}
	s.ids = calloc(KO_SYSFS_MAX_CPUS, sizeof(*s.ids));
	s.cpus = calloc(KO_SYSFS_MAX_CPUS, sizeof(*s.cpus));
	if (!s.ids || !s.cpus) {
		fprintf(stderr, "koracle: status: allocate the per-CPU table (%d CPUs): %s\n",
			KO_SYSFS_MAX_CPUS, strerror(ENOMEM));
		goto out;
	}
	status_stop = 0;
	if (o.watch) {
		ret = status_watch(&s, &o);
		goto out;
	}
	if (status_snapshot(&s))
		goto out;
	if (o.json)
		status_print_json(stdout, &s);
	else
		status_print(stdout, &s, false);
	if (fflush(stdout)) {
		fprintf(stderr, "koracle: status: write stdout: %s\n", strerror(errno));
		goto out;
	}
	ret = KO_EXIT_OK;
out:
	free(s.ids);
	free(s.cpus);
	return ret;
}
