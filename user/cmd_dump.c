// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle dump FILE [--csv | --stats]
 *
 * Text: one record per line, "SECS.NS cpu=N TYPE key=value...".
 * --csv: KernelOracle2's columns (import_ko2csv.h), one row per SWITCH, so
 *   `koracle import --format ko2csv` reads it back. The record has no
 *   outgoing comm: prev_comm is the comm the trace last gave prev_pid (pid 0:
 *   that CPU's idle task), empty if it never did. trace_id is 0.
 * --stats: "KEY VALUE" lines (records, switches, wakeups, wakeups_new,
 *   migrates, exits, lost, chain_breaks, label, source, cpuN RECORDS). Counts
 *   are records: a migration stored in two streams counts twice; lost is the
 *   sum of the LOST records' counts; a chain break is a SWITCH whose prev_pid
 *   is not its CPU's previous next_pid (-1 counts) with no LOST in between.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "import.h"
#include "trace_io.h"

#define NS_PER_SEC	1000000000ull
#define DUMP_NCPU	65536	/* rec.cpu is 16 bits */

/* pid -> last comm, open addressing; pid 0 is per CPU (idle tasks). */
struct comm_map {
	s32 *pid;		/* [cap], 0 = empty slot */
	char (*comm)[KORACLE_COMM_LEN + 1];	/* [cap] */
	size_t cap, used;	/* cap is a power of two */
	char (*idle)[KORACLE_COMM_LEN + 1];	/* [DUMP_NCPU] */
};

static size_t map_slot(const struct comm_map *m, s32 pid)
{
	size_t i = ((u32)pid * 2654435761u) & (m->cap - 1);

	while (m->pid[i] && m->pid[i] != pid)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int map_grow(struct comm_map *m)
{
	struct comm_map n = { .cap = m->cap ? m->cap * 2 : 1024 };
	size_t i;

	n.pid = calloc(n.cap, sizeof(*n.pid));
	n.comm = calloc(n.cap, sizeof(*n.comm));
	if (!n.pid || !n.comm) {
		free(n.pid);
		free(n.comm);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->pid[i])
			continue;
		j = map_slot(&n, m->pid[i]);
		n.pid[j] = m->pid[i];
		memcpy(n.comm[j], m->comm[i], sizeof(n.comm[j]));
	}
	free(m->pid);
	free(m->comm);
	m->pid = n.pid;
	m->comm = n.comm;
	m->cap = n.cap;
	return 0;
}

static int map_set(struct comm_map *m, s32 pid, u16 cpu, const char *comm)
{
	size_t i;

	if (pid < 0)
		return 0;
	if (!pid) {
		memcpy(m->idle[cpu], comm, KORACLE_COMM_LEN);
		return 0;
	}
	if ((m->used + 1) * 2 > m->cap && map_grow(m))
		return -ENOMEM;
	i = map_slot(m, pid);
	if (!m->pid[i]) {
		m->pid[i] = pid;
		m->used++;
	}
	memcpy(m->comm[i], comm, KORACLE_COMM_LEN);
	m->comm[i][KORACLE_COMM_LEN] = '\0';
	return 0;
}

static const char *map_get(const struct comm_map *m, s32 pid, u16 cpu)
{
	size_t i;

	if (pid < 0)
		return "";
	if (!pid)
		return m->idle[cpu];
	if (!m->cap)
		return "";
	i = map_slot(m, pid);
	return m->pid[i] ? m->comm[i] : "";
}

static void map_free(struct comm_map *m)
{
	free(m->pid);
	free(m->comm);
	free(m->idle);
}

static const char *type_name(u8 type)
{
	switch (type) {
	case KORACLE_EV_SWITCH: return "switch";
	case KORACLE_EV_WAKEUP: return "wakeup";
	case KORACLE_EV_WAKEUP_NEW: return "wakeup_new";
	case KORACLE_EV_MIGRATE: return "migrate";
	case KORACLE_EV_EXIT: return "exit";
	case KORACLE_EV_LOST: return "lost";
	default: return NULL;
	}
}

static const char *source_name(int src)
{
	switch (src) {
	case KORACLE_SRC_MODULE: return "module";
	case KORACLE_SRC_FTRACE: return "ftrace";
	case KORACLE_SRC_KO2CSV: return "ko2csv";
	default: return "unknown";
	}
}

/* The record's comm as a C string. */
static void comm_str(char out[KORACLE_COMM_LEN + 1], const char *comm)
{
	memcpy(out, comm, KORACLE_COMM_LEN);
	out[KORACLE_COMM_LEN] = '\0';
}

static void print_text(FILE *f, const struct koracle_event *e)
{
	const char *t = type_name(e->type);
	char comm[KORACLE_COMM_LEN + 1], st[32];

	comm_str(comm, e->comm);
	fprintf(f, "%llu.%09llu cpu=%u ", (unsigned long long)(e->ts_ns / NS_PER_SEC),
		(unsigned long long)(e->ts_ns % NS_PER_SEC), e->cpu);
	switch (e->type) {
	case KORACLE_EV_SWITCH:
		ko_format_prev_state(st, sizeof(st), e->prev_state, e->flags);
		fprintf(f, "%s prev_pid=%d prev_state=%s next_pid=%d next_comm=%s next_prio=%u",
			t, e->prev_pid, st, e->next_pid, comm, e->prio);
		break;
	case KORACLE_EV_WAKEUP:
	case KORACLE_EV_WAKEUP_NEW:
		fprintf(f, "%s pid=%d comm=%s prio=%u waker=%d orig_cpu=%u target_cpu=%u",
			t, e->next_pid, comm, e->prio, e->prev_pid, e->orig_cpu,
			e->dest_cpu);
		break;
	case KORACLE_EV_MIGRATE:
		fprintf(f, "%s pid=%d comm=%s prio=%u orig_cpu=%u dest_cpu=%u", t,
			e->next_pid, comm, e->prio, e->orig_cpu, e->dest_cpu);
		break;
	case KORACLE_EV_EXIT:
		fprintf(f, "%s pid=%d comm=%s", t, e->next_pid, comm);
		break;
	case KORACLE_EV_LOST:
		fprintf(f, "%s count=%llu", t, (unsigned long long)e->vruntime);
		break;
	default:
		fprintf(f, "type=%u", e->type);
		break;
	}
	if (e->flags & KORACLE_RF_KERNEL)
		fprintf(f, " vruntime=%llu weight=%u",
			(unsigned long long)e->vruntime, e->weight);
	if (e->flags & KORACLE_RF_PRED)
		fprintf(f, " pred_pid=%d pred_slot=%u base_slot=%u", e->pred_pid,
			e->pred_slot, e->base_slot);
	fputc('\n', f);
}

/* One CSV field, quoted when it holds a separator, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

struct csv_out {
	const char *label;
	bool have_prev;
	u64 prev_ts;		/* ns, previous row's timestamp */
};

static void print_csv_row(FILE *f, struct csv_out *c, const struct koracle_event *e,
			  const char *prev_comm)
{
	char comm[KORACLE_COMM_LEN + 1], st[32];
	u64 d;

	comm_str(comm, e->comm);
	ko_format_prev_state(st, sizeof(st), e->prev_state, e->flags);
	/* ftrace's microsecond resolution, as KernelOracle2 writes it */
	fprintf(f, "%llu.%06llu,", (unsigned long long)(e->ts_ns / NS_PER_SEC),
		(unsigned long long)(e->ts_ns % NS_PER_SEC / 1000));
	/* streams of a module trace are interleaved: the difference can be < 0 */
	d = c->have_prev ? (e->ts_ns >= c->prev_ts ? e->ts_ns - c->prev_ts :
			    c->prev_ts - e->ts_ns) : 0;
	fprintf(f, "%s%llu.%09llu,", c->have_prev && e->ts_ns < c->prev_ts ? "-" : "",
		(unsigned long long)(d / NS_PER_SEC),
		(unsigned long long)(d % NS_PER_SEC));
	csv_field(f, comm);
	fprintf(f, ",%d,%03u,%s,", e->next_pid, e->cpu, st);
	csv_field(f, prev_comm);
	fputc(',', f);
	csv_field(f, c->label);
	fputs(",0\n", f);
	c->have_prev = true;
	c->prev_ts = e->ts_ns;
}

struct dump_stats {
	u64 records, switches, wakeups, wakeups_new, migrates, exits, lost;
	u64 chain_breaks;
	u64 *per_cpu;		/* [DUMP_NCPU] records per stream */
	s32 *last;		/* [DUMP_NCPU] last next_pid, KO_CHAIN_UNKNOWN */
};

static void stats_add(struct dump_stats *s, const struct koracle_event *e)
{
	s->records++;
	s->per_cpu[e->cpu]++;
	switch (e->type) {
	case KORACLE_EV_SWITCH:
		s->switches++;
		if (s->last[e->cpu] != KO_CHAIN_UNKNOWN &&
		    s->last[e->cpu] != e->prev_pid)
			s->chain_breaks++;
		s->last[e->cpu] = e->next_pid;
		break;
	case KORACLE_EV_WAKEUP:
		s->wakeups++;
		break;
	case KORACLE_EV_WAKEUP_NEW:
		s->wakeups_new++;
		break;
	case KORACLE_EV_MIGRATE:
		s->migrates++;
		break;
	case KORACLE_EV_EXIT:
		s->exits++;
		break;
	case KORACLE_EV_LOST:
		s->lost += e->vruntime;
		s->last[e->cpu] = KO_CHAIN_UNKNOWN;
		break;
	default:
		break;
	}
}

static void print_stats(FILE *f, const struct dump_stats *s,
			const struct ko_trace_info *info)
{
	unsigned int c;

	fprintf(f, "records %llu\n", (unsigned long long)s->records);
	fprintf(f, "switches %llu\n", (unsigned long long)s->switches);
	fprintf(f, "wakeups %llu\n", (unsigned long long)s->wakeups);
	fprintf(f, "wakeups_new %llu\n", (unsigned long long)s->wakeups_new);
	fprintf(f, "migrates %llu\n", (unsigned long long)s->migrates);
	fprintf(f, "exits %llu\n", (unsigned long long)s->exits);
	fprintf(f, "lost %llu\n", (unsigned long long)s->lost);
	fprintf(f, "chain_breaks %llu\n", (unsigned long long)s->chain_breaks);
	fprintf(f, "label %s\n", info->label);
	fprintf(f, "source %s\n", source_name(info->source));
	for (c = 0; c < DUMP_NCPU; c++)
		if (s->per_cpu[c])
			fprintf(f, "cpu%u %llu\n", c, (unsigned long long)s->per_cpu[c]);
}

/* The same keys as print_stats(), as one JSON object. */
static void print_stats_json(FILE *f, const struct dump_stats *s,
			     const struct ko_trace_info *info)
{
	json_object *o = json_object_new_object();
	unsigned int c;
	char key[16];

	json_object_object_add(o, "records", json_object_new_uint64(s->records));
	json_object_object_add(o, "switches", json_object_new_uint64(s->switches));
	json_object_object_add(o, "wakeups", json_object_new_uint64(s->wakeups));
	json_object_object_add(o, "wakeups_new", json_object_new_uint64(s->wakeups_new));
	json_object_object_add(o, "migrates", json_object_new_uint64(s->migrates));
	json_object_object_add(o, "exits", json_object_new_uint64(s->exits));
	json_object_object_add(o, "lost", json_object_new_uint64(s->lost));
	json_object_object_add(o, "chain_breaks", json_object_new_uint64(s->chain_breaks));
	json_object_object_add(o, "label", json_object_new_string(info->label));
	json_object_object_add(o, "source", json_object_new_string(source_name(info->source)));
	for (c = 0; c < DUMP_NCPU; c++)
		if (s->per_cpu[c]) {
			snprintf(key, sizeof(key), "cpu%u", c);
			json_object_object_add(o, key, json_object_new_uint64(s->per_cpu[c]));
		}
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void dump_usage(FILE *f)
{
	fprintf(f,
		"usage: koracle dump FILE [--csv | --stats [--json]]\n"
		"\n"
		"Print a koracle trace file's records, one per line:\n"
		"  SECS.NS cpu=N TYPE key=value...\n"
		"\n"
		"  --csv    KernelOracle2 CSV, one row per sched_switch (timestamp,\n"
		"           time_diff, task_name, pid, cpu, prev_state, prev_comm,\n"
		"           workload_type, trace_id); 'koracle import --format ko2csv'\n"
		"           reads it back\n"
		"  --stats  counts as KEY VALUE lines: records, switches, wakeups,\n"
		"           wakeups_new, migrates, exits, lost, chain_breaks, label,\n"
		"           source, cpuN RECORDS\n"
		"  --json   with --stats: one JSON object with the same keys\n");
}

enum dump_mode { DUMP_TEXT, DUMP_CSV, DUMP_STATS, DUMP_STATS_JSON };

static int dump_file(const char *path, enum dump_mode mode)
{
	struct ko_trace_reader *r = NULL;
	struct dump_stats s = { 0 };
	struct comm_map m = { 0 };
	struct csv_out co = { 0 };
	const struct ko_trace_info *info;
	struct koracle_event e;
	char err[KO_ERR_LEN];
	int ret = KO_EXIT_FAIL, n, i;

	if (ko_trace_open(path, &r, err)) {
		fprintf(stderr, "koracle: dump: %s\n", err);
		return KO_EXIT_FAIL;
	}
	info = ko_trace_info(r);
	if (info->unclean)
		fprintf(stderr, "koracle: dump: warning: %s was not closed cleanly: the writer stopped early\n",
			path);
	m.idle = calloc(DUMP_NCPU, sizeof(*m.idle));
	s.per_cpu = calloc(DUMP_NCPU, sizeof(*s.per_cpu));
	s.last = malloc(DUMP_NCPU * sizeof(*s.last));
	if (!m.idle || !s.per_cpu || !s.last) {
		fprintf(stderr, "koracle: dump: %s: out of memory\n", path);
		goto out;
	}
	for (i = 0; i < DUMP_NCPU; i++)
		s.last[i] = KO_CHAIN_UNKNOWN;
	co.label = info->label;
	if (mode == DUMP_TEXT)
		printf("# koracle trace %s: label=%s source=%s kernel=%s ncpus=%d origin=%s\n",
		       path, info->label, source_name(info->source), info->kernel,
		       info->ncpus, info->origin);
	else if (mode == DUMP_CSV)
		puts("timestamp,time_diff,task_name,pid,cpu,prev_state,prev_comm,workload_type,trace_id");
	while ((n = ko_trace_next(r, &e)) == 1) {
		if (mode == DUMP_TEXT) {
			print_text(stdout, &e);
		} else if (mode == DUMP_STATS || mode == DUMP_STATS_JSON) {
			stats_add(&s, &e);
		} else {
			char comm[KORACLE_COMM_LEN + 1];

			if (e.type == KORACLE_EV_SWITCH)
				print_csv_row(stdout, &co, &e,
					      map_get(&m, e.prev_pid, e.cpu));
			comm_str(comm, e.comm);
			if (e.type != KORACLE_EV_LOST &&
			    map_set(&m, e.next_pid, e.cpu, comm)) {
				fprintf(stderr, "koracle: dump: %s: out of memory\n", path);
				goto out;
			}
		}
	}
	if (n < 0) {
		fflush(stdout);
		fprintf(stderr, "koracle: dump: %s\n", ko_trace_error(r));
		goto out;
	}
	if (mode == DUMP_STATS)
		print_stats(stdout, &s, info);
	else if (mode == DUMP_STATS_JSON)
		print_stats_json(stdout, &s, info);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "koracle: dump: writing to stdout: %s\n", strerror(errno));
		goto out;
	}
	ret = KO_EXIT_OK;
out:
	free(s.per_cpu);
	free(s.last);
	map_free(&m);
	ko_trace_close(r);
	return ret;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "stats", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum dump_mode mode = DUMP_TEXT;
	bool json = false;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 's':
			if (mode != DUMP_TEXT) {
				fprintf(stderr, "koracle: dump: --csv and --stats exclude each other\n");
				return KO_EXIT_USAGE;
			}
			mode = c == 'c' ? DUMP_CSV : DUMP_STATS;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			dump_usage(stdout);
			return KO_EXIT_OK;
		default:
			fprintf(stderr, "koracle: dump: unknown option '%s'\n\n",
				argv[optind - 1]);
			dump_usage(stderr);
			return KO_EXIT_USAGE;
		}
	}
	if (json && mode != DUMP_STATS) {
		fprintf(stderr, "koracle: dump: --json goes with --stats\n\n");
		dump_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (json)
		mode = DUMP_STATS_JSON;
	if (argc - optind != 1) {
		fprintf(stderr, "koracle: dump: %s\n\n", argc - optind ?
			"one FILE at a time" : "no trace file given");
		dump_usage(stderr);
		return KO_EXIT_USAGE;
	}
	return dump_file(argv[optind], mode);
}
