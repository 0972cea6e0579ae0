// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle collect: record the module's event stream into a trace file.
 *
 * Session (shared/koracle_genl.h): START, then EVENTS batches arrive on our
 * port, one CPU's ring per batch, until we send STOP and the kernel answers
 * with the remaining records and END. The module may also end the session on
 * its own (END with UNLOAD or DISABLED).
 *
 * The loop waits in poll() on the netlink socket and a signalfd (SIGINT,
 * SIGTERM, SIGCHLD); the poll timeout is the nearest of the duration
 * deadline, the STOP drain deadline and the progress redraw. Records are
 * written as they arrive, with a LOST pseudo-record in front of every batch
 * that reports losses, so the file never hides a gap. Per-CPU batch sequence
 * numbers must run 0, 1, 2, ...; missing batches are counted as seq_gaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "collect_rx.h"
#include "genl_client.h"
#include "progress.h"
#include "trace_io.h"

#define CO_START_TIMEOUT_MS	5000	/* START must be answered within this */
#define CO_DRAIN_TIMEOUT_MS	10000	/* END must follow STOP within this */
#define CO_PROGRESS_MS		500	/* terminal refresh period */

enum collect_end {
	CO_END_NONE,
	CO_END_DURATION,
	CO_END_COMMAND,
	CO_END_SIGNAL,
	CO_END_STOPPED,
	CO_END_UNLOAD,
};

static const char *const collect_end_names[] = {
	[CO_END_NONE] = "none",
	[CO_END_DURATION] = "duration",
	[CO_END_COMMAND] = "command",
	[CO_END_SIGNAL] = "signal",
	[CO_END_STOPPED] = "stopped",
	[CO_END_UNLOAD] = "unload",
};

struct collect_opts {
	const char *out;
	double duration_s;	/* 0: until signal or command exit */
	const char *label;
	u32 batch;		/* records per message, 0: module default */
	char **cmd;		/* NULL-terminated, or NULL */
};


static void collect_usage(FILE *f)
{
	fprintf(f,
		"usage: koracle collect -o FILE [--duration S] [--label NAME] [--batch N] [-- COMMAND ARGS...]\n"
		"\n"
		"Record scheduler events from koracle.ko (generic netlink) into a trace file.\n"
		"Needs CAP_PERFMON or CAP_SYS_ADMIN. Stops after --duration, when COMMAND exits, or on Ctrl-C,\n"
		"and always leaves a valid file.\n"
		"\n"
		"  -o, --output FILE   trace file to write ('-' for stdout)\n"
		"  -d, --duration S    stop after S seconds (decimals allowed)\n"
		"  -l, --label NAME    workload label stored in the header (max %d bytes;\n"
		"                      default: COMMAND's name)\n"
		"  -b, --batch N       records per netlink message, 1..%d\n"
		"  -h, --help          show this help\n"
		"\n"
		"Ends with: collect: records=N cpus=C lost=L seq_gaps=G end=REASON file=PATH\n",
		KORACLE_TRACE_LABEL_LEN, KORACLE_BATCH_MAX);
}

static void collect_usage_hint(void)
{
	fprintf(stderr, "usage: koracle collect -o FILE [--duration S] [--label NAME] [--batch N] [-- COMMAND ARGS...]\n"
		"try 'koracle collect --help'\n");
}

static int collect_parse(int argc, char **argv, struct collect_opts *o)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "label", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;		/* glibc: full reset, argv is ours */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:d:l:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'd':
			errno = 0;
			o->duration_s = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o->duration_s > 0) ||
			    o->duration_s > 1e7) {
				fprintf(stderr, "koracle: collect: --duration '%s': expected seconds > 0\n",
					optarg);
				return KO_EXIT_USAGE;
			}
			break;
		case 'l':
			if (strlen(optarg) > KORACLE_TRACE_LABEL_LEN) {
				fprintf(stderr, "koracle: collect: --label is longer than %d bytes\n",
					KORACLE_TRACE_LABEL_LEN);
				return KO_EXIT_USAGE;
			}
			o->label = optarg;
			break;
		case 'b':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > KORACLE_BATCH_MAX) {
				fprintf(stderr, "koracle: collect: --batch '%s': expected 1..%d\n",
					optarg, KORACLE_BATCH_MAX);
				return KO_EXIT_USAGE;
			}
			o->batch = (u32)v;
			break;
		case 'h':
			collect_usage(stdout);
			return -1;
		default:
			if (optopt && optopt != '?' && strchr("odlb", optopt))
				fprintf(stderr, "koracle: collect: option '%s' needs a value\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "koracle: collect: unknown option '%s'\n",
					argv[optind - 1]);
			collect_usage_hint();
			return KO_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			fprintf(stderr, "koracle: collect: unexpected argument '%s' (put the command after --)\n",
				argv[optind]);
			collect_usage_hint();
			return KO_EXIT_USAGE;
		}
		o->cmd = argv + optind;
	}
	if (!o->out) {
		fprintf(stderr, "koracle: collect: -o FILE is required\n");
		collect_usage_hint();
		return KO_EXIT_USAGE;
	}
	return 0;
}


/* Child side of fork(): reset what exec would inherit, run @cmd. */
static void collect_exec_child(char **cmd, const sigset_t *oldmask, int errfd)
{
	int e;

	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execvp(cmd[0], cmd);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		e = 0;
	_exit(127);
}

/* Starts @cmd; returns its pid, or -1 with errno of fork/exec. */
static pid_t collect_spawn(char **cmd, const sigset_t *oldmask, int *exec_errno)
{
	int fds[2];
	pid_t pid;
	ssize_t n;
	int e = 0;

	*exec_errno = 0;
	if (pipe2(fds, O_CLOEXEC)) {
		*exec_errno = errno;
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		*exec_errno = errno;
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0)
		collect_exec_child(cmd, oldmask, fds[1]);
	close(fds[1]);
	/* EOF: exec succeeded (the pipe closed on exec); else the errno. */
	do {
		n = read(fds[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		*exec_errno = e;
		return -1;
	}
	return pid;
}

static void collect_fill_info(struct ko_trace_info *info, const struct collect_opts *o)
{
	struct utsname u;
	struct timespec ts;
	const char *base;
	size_t len = 0;
	int i;

	memset(info, 0, sizeof(*info));
	info->source = KORACLE_SRC_MODULE;
	info->ncpus = get_nprocs_conf();
	clock_gettime(CLOCK_REALTIME, &ts);
	info->start_ns = (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
	if (!uname(&u))
		snprintf(info->kernel, sizeof(info->kernel), "%s", u.release);
	if (o->label) {
		snprintf(info->label, sizeof(info->label), "%s", o->label);
	} else if (o->cmd) {
		base = strrchr(o->cmd[0], '/');
		snprintf(info->label, sizeof(info->label), "%s", base ? base + 1 : o->cmd[0]);
	}
	/* origin: the command line, as far as it fits */
	len = (size_t)snprintf(info->origin, sizeof(info->origin), "koracle collect");
	for (i = 0; o->cmd && o->cmd[i] && len < sizeof(info->origin); i++)
		len += (size_t)snprintf(info->origin + len, sizeof(info->origin) - len,
					"%s%s", i ? " " : " -- ", o->cmd[i]);
}

struct collect_run {
	struct collect_opts opts;
	struct ko_collect st;
	struct ko_genl *g;
	struct ko_progress prog;
	sigset_t oldmask;
	int sfd;
	pid_t child;
	enum collect_end end;
	bool started;		/* START succeeded */
	bool signalled_twice;
	long long start_ms;	/* START answer deadline */
	long long deadline_ms;	/* duration end, or 0 */
	long long drain_ms;	/* STOP drain deadline, or 0 */
	u64 prog_records;	/* records at the last progress redraw */
	long long prog_ms;	/* time of the last progress redraw */
};

/* An error line, on a line of its own even when progress is showing. */
__attribute__((format(printf, 2, 3)))
static void collect_err(struct collect_run *r, const char *fmt, ...)
{
	va_list ap;

	ko_progress_clear(&r->prog);
	fputs("koracle: collect: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int collect_request_stop(struct collect_run *r, enum collect_end why)
{
	if (r->st.stop_sent)
		return 0;
	r->end = why;
	if (ko_genl_send(r->g, KORACLE_CMD_STOP, KORACLE_A_UNSPEC, 0, &r->st.stop_seq)) {
		collect_err(r, "%s", ko_genl_error(r->g));
		return -1;
	}
	r->st.stop_sent = true;
	r->drain_ms = ko_now_ms() + CO_DRAIN_TIMEOUT_MS;
	return 0;
}

/* Handles pending signals; returns -1 on a fatal error. */
static int collect_signals(struct collect_run *r)
{
	struct signalfd_siginfo si;
	int status;

	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (r->child > 0 && waitpid(r->child, &status, WNOHANG) == r->child) {
				r->child = 0;
				if (WIFEXITED(status) && WEXITSTATUS(status))
					collect_err(r, "note: %s exited with status %d",
						r->opts.cmd[0], WEXITSTATUS(status));
				else if (WIFSIGNALED(status))
					collect_err(r, "note: %s was killed by signal %d",
						r->opts.cmd[0], WTERMSIG(status));
				if (!r->st.stop_sent && collect_request_stop(r, CO_END_COMMAND))
					return -1;
			}
			continue;
		}
		/* SIGINT / SIGTERM: a second one stops waiting for the drain. */
		if (r->st.stop_sent)
			r->signalled_twice = true;
		else if (collect_request_stop(r, CO_END_SIGNAL))
			return -1;
	}
	return 0;
}

static int collect_poll_timeout(const struct collect_run *r, long long now)
{
	long long t = -1;
	int p = ko_progress_wait_ms(&r->prog, now);

	if (p >= 0)
		t = p;
	if (!r->st.stop_sent && r->deadline_ms && (t < 0 || r->deadline_ms - now < t))
		t = r->deadline_ms - now;
	if (r->st.stop_sent && (t < 0 || r->drain_ms - now < t))
		t = r->drain_ms - now;
	if (!r->st.start_answered && (t < 0 || r->start_ms - now < t))
		t = r->start_ms - now;
	return t < 0 ? -1 : (int)t;
}

static void collect_progress(struct collect_run *r, long long now)
{
	double dt = (double)(now - r->prog_ms) / 1000.0;
	double rate = dt > 0 ? (double)(r->st.records - r->prog_records) / dt : 0;

	ko_progress_show(&r->prog, "collect: %llu events  %.0f events/s  lost %llu  cpus %u",
			 (unsigned long long)r->st.records, rate,
			 (unsigned long long)r->st.lost, r->st.cpus_seen);
	r->prog_records = r->st.records;
	r->prog_ms = now;
}

/* Started: run the command, then wait for END. 0 ok, -1 failure (printed). */
static int collect_loop(struct collect_run *r)
{
	struct pollfd pfd[2] = {
		{ .fd = ko_genl_fd(r->g), .events = POLLIN },
		{ .fd = r->sfd, .events = POLLIN },
	};
	long long now;
	int exec_errno;

	while (!r->st.ended) {
		now = ko_now_ms();
		if (!r->st.start_answered && now >= r->start_ms) {
			collect_err(r, "starting collection: no answer from the kernel within %d ms",
				CO_START_TIMEOUT_MS);
			return -1;
		}
		if (r->st.stop_sent && (now >= r->drain_ms || r->signalled_twice)) {
			collect_err(r, "%s; %s holds the %llu records received",
				r->signalled_twice ? "interrupted again, not waiting for the module's last records" :
				"no END from koracle.ko after STOP",
				r->st.path, (unsigned long long)r->st.records);
			if (r->st.stop_answered && r->st.stop_error)
				collect_err(r, "stopping collection: %s%s%s",
					strerror(-r->st.stop_error),
					r->st.stop_extack[0] ? ": " : "", r->st.stop_extack);
			return -1;
		}
		if (!r->st.stop_sent && r->deadline_ms && now >= r->deadline_ms &&
		    collect_request_stop(r, CO_END_DURATION))
			return -1;
		if (ko_progress_due(&r->prog, now))
			collect_progress(r, now);
		if (poll(pfd, 2, collect_poll_timeout(r, now)) < 0 && errno != EINTR) {
			collect_err(r, "poll: %s", strerror(errno));
			return -1;
		}
		if (collect_signals(r))
			return -1;
		if (ko_genl_recv(r->g, &ko_collect_rx_ops, &r->st, &r->st.overruns) < 0) {
			collect_err(r, "%s",
				r->st.err[0] ? r->st.err : ko_genl_error(r->g));
			return -1;
		}
		if (!r->st.start_answered || r->started)
			continue;
		/* START was just answered. */
		if (r->st.start_error)
			return 1;
		r->started = true;
		if (r->opts.duration_s > 0)
			r->deadline_ms = ko_now_ms() + (long long)(r->opts.duration_s * 1000.0);
		if (r->opts.cmd && !r->st.stop_sent) {
			r->child = collect_spawn(r->opts.cmd, &r->oldmask, &exec_errno);
			if (r->child < 0) {
				r->child = 0;
				collect_err(r, "running %s: %s",
					r->opts.cmd[0], strerror(exec_errno));
				collect_request_stop(r, CO_END_COMMAND);
				return -1;
			}
		}
	}
	return 0;
}

static void collect_print_start_error(const struct ko_collect *s)
{
	fprintf(stderr, "koracle: collect: starting collection: %s%s%s%s\n",
		strerror(-s->start_error),
		s->start_extack[0] ? ": " : "", s->start_extack,
		s->start_error == -EPERM ? " (collection needs CAP_PERFMON or CAP_SYS_ADMIN in the initial network namespace; run as root)" :
		s->start_error == -EBUSY && !s->start_extack[0] ?
		" (another collector is running)" : "");
}

static int collect_run_session(struct collect_run *r)
{
	char err[KO_ERR_LEN];
	struct ko_trace_info info;
	char terr[KO_ERR_LEN];
	sigset_t mask;
	int ret = KO_EXIT_FAIL;
	int loop = -1;
	int fret;

	if (ko_genl_open(&r->g, err)) {
		fprintf(stderr, "koracle: collect: %s\n", err);
		return KO_EXIT_FAIL;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &r->oldmask)) {
		fprintf(stderr, "koracle: collect: blocking signals: %s\n", strerror(errno));
		goto out_genl;
	}
	r->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sfd < 0) {
		fprintf(stderr, "koracle: collect: signalfd: %s\n", strerror(errno));
		goto out_mask;
	}
	collect_fill_info(&info, &r->opts);
	if (ko_trace_create(r->opts.out, &info, &r->st.w, terr)) {
		fprintf(stderr, "koracle: collect: %s\n", terr);
		goto out_sfd;
	}
	r->st.path = r->opts.out;
	r->st.max_cpu = -1;
	ko_progress_init(&r->prog, stderr, CO_PROGRESS_MS);
	r->prog_ms = ko_now_ms();
	r->start_ms = ko_now_ms() + CO_START_TIMEOUT_MS;
	if (ko_genl_send(r->g, KORACLE_CMD_START,
			 r->opts.batch ? KORACLE_A_BATCH_RECORDS : KORACLE_A_UNSPEC,
			 r->opts.batch, &r->st.start_seq)) {
		fprintf(stderr, "koracle: collect: %s\n", ko_genl_error(r->g));
		goto out_trace;
	}
	loop = collect_loop(r);
	ko_progress_clear(&r->prog);
	if (loop > 0)
		collect_print_start_error(&r->st);
	if (r->st.ended)
		r->end = r->st.end_reason == KORACLE_END_UNLOAD ? CO_END_UNLOAD :
			 r->st.stop_sent ? r->end : CO_END_STOPPED;
	if (r->st.overruns)
		fprintf(stderr, "koracle: collect: note: the socket receive buffer filled %u times (the module retries; losses, if any, are counted in lost=)\n",
			r->st.overruns);
	if (!loop && r->end == CO_END_UNLOAD)
		fprintf(stderr, "koracle: collect: koracle.ko was unloaded during collection; %s holds the %llu records received\n",
			r->opts.out, (unsigned long long)r->st.records);
	if (!loop)
		ret = r->end == CO_END_UNLOAD ? KO_EXIT_FAIL : KO_EXIT_OK;
out_trace:
	ko_trace_set_ncpus(r->st.w, info.ncpus > r->st.max_cpu ? info.ncpus :
			   r->st.max_cpu + 1);
	fret = ko_trace_finish(r->st.w);
	if (fret) {
		fprintf(stderr, "koracle: collect: finishing %s: %s\n", r->opts.out,
			strerror(-fret));
		ret = KO_EXIT_FAIL;
	} else if (!r->started && strcmp(r->opts.out, "-")) {
		unlink(r->opts.out);	/* START refused or unanswered */
	}
	if (!loop && !fret)
		fprintf(stderr, "collect: records=%llu cpus=%u lost=%llu seq_gaps=%llu end=%s file=%s\n",
			(unsigned long long)r->st.records, r->st.cpus_seen,
			(unsigned long long)r->st.lost, (unsigned long long)r->st.seq_gaps,
			collect_end_names[r->end], r->opts.out);
	if (r->child > 0)
		fprintf(stderr, "koracle: collect: note: %s (pid %d) is still running\n",
			r->opts.cmd[0], (int)r->child);
out_sfd:
	close(r->sfd);
out_mask:
	sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
out_genl:
	ko_genl_close(r->g);
	return ret;
}

int cmd_collect(int argc, char **argv)
{
	struct collect_run *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, "koracle: collect: %s\n", strerror(ENOMEM));
		return KO_EXIT_FAIL;
	}
	ret = collect_parse(argc, argv, &r->opts);
	if (ret) {
		ret = ret < 0 ? KO_EXIT_OK : ret;
		goto out;
	}
	/* A closed output pipe must fail a write, not kill us mid-session. */
	signal(SIGPIPE, SIG_IGN);
	ret = collect_run_session(r);
	free(r->st.cpu);
out:
	free(r);
	return ret;
}
