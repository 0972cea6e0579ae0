// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle import --format ftrace|ko2csv IN... -o FILE [--label NAME]
 *                [--skip-bad]
 *
 * Converts existing traces into a koracle trace file: the kernel's ftrace
 * text (import_ftrace.c) or KernelOracle2's CSV (import_ko2csv.c), plain or
 * gzip. Several inputs go into one file, in order.
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
