// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle import --format ftrace|ko2csv IN... -o FILE [--label NAME]
 *                [--skip-bad]
 *
 * Converts existing traces into a koracle trace file: the kernel's ftrace
 * text (import_ftrace.c) or KernelOracle2's CSV (import_ko2csv.c), plain or
 * gzip. Several inputs go into one file, in order. Also holds the helpers
 * both importers share.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "import.h"
#include "import_ftrace.h"
#include "import_ko2csv.h"

int ko_chain_reserve(struct ko_chain *c, unsigned int cpu)
{
	size_t n = c->n ? c->n : 8, i;
	s32 *nl;

	if (cpu < c->n)
		return 0;
	while (n <= cpu)
		n *= 2;
	nl = realloc(c->last, n * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	for (i = c->n; i < n; i++)
		nl[i] = KO_CHAIN_UNKNOWN;
	c->last = nl;
	c->n = n;
	return 0;
}

void ko_chain_reset(struct ko_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		c->last[i] = KO_CHAIN_UNKNOWN;
}

void ko_chain_free(struct ko_chain *c)
{
	free(c->last);
	c->last = NULL;
	c->n = 0;
}

void ko_import_stats_release(struct ko_import_stats *st)
{
	ko_chain_free(&st->chain);
}

int ko_import_bad_line(const struct ko_import_opts *o,
		       struct ko_import_stats *st, char err[KO_ERR_LEN],
		       const char *path, unsigned long lineno, const char *why)
{
	snprintf(err, KO_ERR_LEN, "%s:%lu: %s", path, lineno, why);
	if (!o->skip_bad)
		return -EINVAL;
	st->bad++;
	if (!o->quiet && st->bad <= KO_IMPORT_MAX_WARN) {
		fprintf(stderr, "koracle: import: skipping %s\n", err);
		if (st->bad == KO_IMPORT_MAX_WARN)
			fprintf(stderr, "koracle: import: (further bad lines are only counted)\n");
	}
	err[0] = '\0';
	return 0;
}

int ko_import_emit(const struct ko_import_opts *o, struct ko_import_stats *st,
		   const struct koracle_event *ev, char err[KO_ERR_LEN])
{
	int top = ev->cpu;

	if (ko_chain_reserve(&st->chain, ev->cpu)) {
		snprintf(err, KO_ERR_LEN, "import: out of memory");
		return -ENOMEM;
	}
	if (ev->type == KORACLE_EV_SWITCH) {
		s32 *last = &st->chain.last[ev->cpu];

		if (*last != KO_CHAIN_UNKNOWN && *last != ev->prev_pid)
			st->chain_breaks++;
		*last = ev->next_pid;
	} else if (ev->type == KORACLE_EV_LOST) {
		/* the loss explains the next break; it is counted as lost */
		st->chain.last[ev->cpu] = KO_CHAIN_UNKNOWN;
	}

	if (ev->type == KORACLE_EV_WAKEUP || ev->type == KORACLE_EV_WAKEUP_NEW ||
	    ev->type == KORACLE_EV_MIGRATE) {
		if (ev->orig_cpu > top)
			top = ev->orig_cpu;
		if (ev->dest_cpu > top)
			top = ev->dest_cpu;
	}
	if (top + 1 > st->ncpus)
		st->ncpus = top + 1;
	st->records++;
	return o->emit ? o->emit(o->ctx, ev, err) : 0;
}

void ko_set_comm(char comm[KORACLE_COMM_LEN], const char *s, size_t len)
{
	memset(comm, 0, KORACLE_COMM_LEN);
	memcpy(comm, s, len < KORACLE_COMM_LEN ? len : KORACLE_COMM_LEN);
}

/*
 * Letters of the kernel's sched_switch print format: S D T t X Z P I are the
 * report bits 0..7 (== KORACLE_PS_*). Kernels before 4.14 also printed
 * modifier letters without a report bit today: K (wakekill, as in "D|K"),
 * W (waking), N (noload); they qualify another letter and are dropped.
 * Their x (TASK_DEAD) is a dead task: X.
 */
int ko_parse_prev_state(const char *s, size_t len, u32 *state, u8 *flags)
{
	static const char letters[] = "SDTtXZPI";
	size_t i;

	*state = 0;
	*flags = 0;
	if (len && s[len - 1] == '+') {
		*flags = KORACLE_RF_PREEMPT;
		len--;
	}
	if (!len)
		return -EINVAL;
	/* trace-cmd report -R prints the number */
	if (s[0] >= '0' && s[0] <= '9') {
		unsigned long v = 0;

		for (i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9' || v > 0xffffffUL)
				return -EINVAL;
			v = v * 10 + (unsigned long)(s[i] - '0');
		}
		/* TASK_REPORT_MAX (0x100) marks a preempted task since 4.14 */
		if (v & 0x100)
			*flags = KORACLE_RF_PREEMPT;
		if (v & ~0x1ffUL)
			return -EINVAL;
		*state = (u32)(v & 0xff);
		return 0;
	}
	if (len == 1 && s[0] == 'R')
		return 0;
	for (i = 0; i < len; i++) {
		const char *l;

		if (i % 2 == 1) {
			if (s[i] != '|')
				return -EINVAL;
			continue;
		}
		if (s[i] == 'K' || s[i] == 'W' || s[i] == 'N')
			continue;
		if (s[i] == 'x') {
			*state |= KORACLE_PS_X;
			continue;
		}
		l = memchr(letters, s[i], sizeof(letters) - 1);
		if (!l)
			return -EINVAL;
		*state |= 1u << (l - letters);
	}
	return len % 2 == 1 ? 0 : -EINVAL;
}

void ko_format_prev_state(char *buf, size_t size, u32 state, u8 flags)
{
	static const char letters[] = "SDTtXZPI";
	size_t n = 0;
	int i;

	if (!size)
		return;
	buf[0] = '\0';
	if (!(state & 0xff)) {
		snprintf(buf, size, "%s", flags & KORACLE_RF_PREEMPT ? "R+" : "R");
		return;
	}
	for (i = 0; i < 8 && n + 3 < size; i++) {
		if (!(state & (1u << i)))
			continue;
		if (n)
			buf[n++] = '|';
		buf[n++] = letters[i];
	}
	if ((flags & KORACLE_RF_PREEMPT) && n + 2 < size)
		buf[n++] = '+';
	buf[n] = '\0';
}

static void import_usage(FILE *f)
{
	fprintf(f,
		"usage: koracle import --format ftrace|ko2csv IN... -o FILE [--label NAME] [--skip-bad]\n"
		"\n"
		"Convert scheduler traces into a koracle trace file. IN may be plain or\n"
		"gzip-compressed; '-' reads stdin. Several inputs go into one file.\n"
		"\n"
		"  --format ftrace   tracefs 'trace' / 'trace_pipe' text or 'trace-cmd report'\n"
		"                    output: sched_switch, sched_wakeup, sched_wakeup_new,\n"
		"                    sched_migrate_task, sched_process_exit\n"
		"  --format ko2csv   KernelOracle2 CSV (timestamp, time_diff, task_name, pid,\n"
		"                    cpu, prev_state, prev_comm, workload_type, trace_id)\n"
		"  -o, --output FILE the trace file to write\n"
		"  --label NAME      workload label (default: first input's name without\n"
		"                    extensions; ko2csv: its workload_type)\n"
		"  --skip-bad        count malformed lines and go on instead of failing\n"
		"\n"
		"Prints 'import: records=N switches=S ignored=I chain_breaks=B bad=X file=PATH'\n"
		"to stderr. Exit 0 ok, 1 failure, 2 usage.\n");
}

/* "dir/hackbench-pipe.trace.gz" -> "hackbench-pipe" */
static void default_label(char *out, size_t size, const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strcspn(b, ".");
	if (!n || !strcmp(path, "-")) {
		snprintf(out, size, "import");
		return;
	}
	snprintf(out, size, "%.*s", (int)n, b);
}

struct import_ctx {
	struct ko_trace_writer *w;
};

static int write_event(void *ctx, const struct koracle_event *ev,
		       char err[KO_ERR_LEN])
{
	struct import_ctx *c = ctx;
	int ret;

	ret = ko_trace_write(c->w, ev);
	if (ret)
		snprintf(err, KO_ERR_LEN, "%s", ko_trace_writer_error(c->w));
	return ret;
}

enum { OPT_LABEL = 256, OPT_SKIP_BAD, OPT_FORMAT };

struct import_args {
	bool csv;		/* --format ko2csv (else ftrace) */
	bool skip_bad;
	const char *out;
	const char *label;	/* NULL: the default */
	char **in;		/* [nin] input paths */
	int nin;
};

/* Parses the command line; -1 to go on, else the exit code. */
static int import_args(int argc, char **argv, struct import_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "skip-bad", no_argument, NULL, OPT_SKIP_BAD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			format = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_LABEL:
			a->label = optarg;
			break;
		case OPT_SKIP_BAD:
			a->skip_bad = true;
			break;
		case 'h':
			import_usage(stdout);
			return KO_EXIT_OK;
		default:
			fprintf(stderr, "koracle: import: unknown or incomplete option '%s'\n\n",
				argv[optind - 1]);
			import_usage(stderr);
			return KO_EXIT_USAGE;
		}
	}
	if (!format || !a->out || optind >= argc) {
		fprintf(stderr, "koracle: import: %s\n\n", !format ?
			"--format is required" : !a->out ? "-o FILE is required" :
			"no input file given");
		import_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (strcmp(format, "ftrace") && strcmp(format, "ko2csv")) {
		fprintf(stderr, "koracle: import: unknown format '%s': use ftrace or ko2csv\n",
			format);
		return KO_EXIT_USAGE;
	}
	if (a->label && strlen(a->label) > KORACLE_TRACE_LABEL_LEN) {
		fprintf(stderr, "koracle: import: --label is longer than %d bytes\n",
			KORACLE_TRACE_LABEL_LEN);
		return KO_EXIT_USAGE;
	}
	a->csv = !strcmp(format, "ko2csv");
	a->in = argv + optind;
	a->nin = argc - optind;
	return -1;
}

/* The output's header: source, label (given or default), origin. */
static int import_info(const struct import_args *a, struct ko_trace_info *info,
		       char err[KO_ERR_LEN])
{
	const char *b = strrchr(a->in[0], '/');

	info->source = a->csv ? KORACLE_SRC_KO2CSV : KORACLE_SRC_FTRACE;
	if (a->label) {
		snprintf(info->label, sizeof(info->label), "%s", a->label);
	} else if (a->csv) {
		int ret = ko_ko2csv_peek_workload(a->in[0], info->label,
						  sizeof(info->label), err);

		if (ret)
			return ret;
	}
	if (!info->label[0])
		default_label(info->label, sizeof(info->label), a->in[0]);
	b = b ? b + 1 : a->in[0];
	if (a->nin > 1)
		snprintf(info->origin, sizeof(info->origin), "%.50s +%d", b,
			 a->nin - 1);
	else
		snprintf(info->origin, sizeof(info->origin), "%.64s", b);
	return 0;
}

int cmd_import(int argc, char **argv)
{
	struct import_args a = { 0 };
	struct ko_import_stats st = { 0 };
	struct ko_import_opts io = { 0 };
	struct ko_trace_info info = { 0 };
	struct import_ctx ctx = { 0 };
	char err[KO_ERR_LEN] = "";
	int ret, i;

	ret = import_args(argc, argv, &a);
	if (ret >= 0)
		return ret;
	if (import_info(&a, &info, err) || ko_trace_create(a.out, &info, &ctx.w, err)) {
		fprintf(stderr, "koracle: import: %s\n", err);
		return KO_EXIT_FAIL;
	}
	io.skip_bad = a.skip_bad;
	io.emit = write_event;
	io.ctx = &ctx;
	for (i = 0; i < a.nin; i++) {
		ret = a.csv ? ko_ko2csv_import(a.in[i], &io, &st, err) :
			      ko_ftrace_import(a.in[i], &io, &st, err);
		if (ret) {
			fprintf(stderr, "koracle: import: %s%s\n", err,
				ret == -EINVAL && !io.skip_bad ?
				" (--skip-bad counts such lines and goes on)" : "");
			ko_trace_finish(ctx.w);
			goto fail;
		}
	}
	ko_trace_set_ncpus(ctx.w, st.ncpus);
	ret = ko_trace_finish(ctx.w);
	if (ret) {
		fprintf(stderr, "koracle: import: finish %s: %s\n", a.out,
			strerror(-ret));
		goto fail;
	}
	ko_import_stats_release(&st);
	fprintf(stderr,
		"import: records=%llu switches=%llu ignored=%llu chain_breaks=%llu bad=%llu file=%s\n",
		(unsigned long long)st.records, (unsigned long long)st.switches,
		(unsigned long long)st.ignored,
		(unsigned long long)st.chain_breaks,
		(unsigned long long)st.bad, a.out);
	return KO_EXIT_OK;

fail:
	ko_import_stats_release(&st);
	/* a partial conversion is worse than none: it looks complete */
	if (strcmp(a.out, "-"))
		unlink(a.out);
	return KO_EXIT_FAIL;
}
