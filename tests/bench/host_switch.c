// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * host_switch [ROUND_TRIPS]: the cost of one native context switch on this
 * machine, the denominator of the probe path's projected overhead
 * (DESIGN.md: probe path / native switch cost at most 5%).
 *
 * Two processes pinned to the same CPU pass one byte back and forth over
 * two pipes (lmbench's lat_ctx, size 0): each round trip is two switches,
 * each preceded by a wakeup, which is what the probes see on a real switch
 * (a WAKEUP event, then a SWITCH). The pipe's read and write are counted
 * in, so this is the cost of a wakeup-and-switch as applications pay it,
 * not of __schedule() alone. Timed with CLOCK_MONOTONIC over ROUND_TRIPS
 * round trips (default 100000) after a warm-up, best of KO_HS_RUNS runs
 * (the machine is shared: disturbances only add time). Prints
 *   bench: host_switch_ns N ns
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KO_HS_ROUND_TRIPS	100000	/* default round trips per run */
#define KO_HS_WARMUP		1000	/* round trips before the timed runs */
#define KO_HS_RUNS		5

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One byte through @fd; 0, or -1 with errno (0: the other end closed). */
static int put_byte(int fd)
{
	char b = 'x';
	ssize_t n;

	do
		n = write(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static int get_byte(int fd)
{
	char b;
	ssize_t n;

	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = 0;
	return n == 1 ? 0 : -1;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The child echoes every byte until the parent closes its end. */
static void __attribute__((noreturn)) echo_loop(int in, int out)
{
	for (;;) {
		if (get_byte(in))
			_exit(errno ? 1 : 0);
		if (put_byte(out))
			_exit(1);
	}
}

/* @n round trips; ns elapsed, or -1 with errno set. */
static long long ping(int out, int in, long n)
{
	long long t0 = now_ns();

	for (long i = 0; i < n; i++)
		if (put_byte(out) || get_byte(in))
			return -1;
	return now_ns() - t0;
}

static const char *why(void)
{
	return errno ? strerror(errno) : "the echo process went away";
}

int main(int argc, char **argv)
{
	int to_child[2] = { -1, -1 }, to_parent[2] = { -1, -1 };
	long long best = -1, dt;
	long trips = KO_HS_ROUND_TRIPS;
	pid_t child = -1;
	int cpu, status, ret = 1;
	char *end;

	if (argc > 2 || (argc == 2 && ((trips = strtol(argv[1], &end, 10)) < 1 ||
				       *end))) {
		fprintf(stderr, "usage: host_switch [ROUND_TRIPS]\n");
		return 2;
	}
	/* a dead child must fail a write with EPIPE, not kill us silently */
	signal(SIGPIPE, SIG_IGN);
	cpu = sched_getcpu();
	if (cpu < 0 || pin(cpu)) {
		fprintf(stderr, "host_switch: pin to one CPU: %s\n",
			strerror(errno));
		return 1;
	}
	if (pipe(to_child) || pipe(to_parent)) {
		fprintf(stderr, "host_switch: pipe: %s\n", strerror(errno));
		goto out;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "host_switch: fork: %s\n", strerror(errno));
		goto out;
	}
	if (child == 0) {
		/* inherits the parent's affinity: both on @cpu */
		close(to_child[1]);
		close(to_parent[0]);
		echo_loop(to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	to_child[0] = to_parent[1] = -1;

	if (ping(to_child[1], to_parent[0], KO_HS_WARMUP) < 0) {
		fprintf(stderr, "host_switch: warm-up round trips: %s\n", why());
		goto out;
	}
	for (int r = 0; r < KO_HS_RUNS; r++) {
		dt = ping(to_child[1], to_parent[0], trips);
		if (dt < 0) {
			fprintf(stderr, "host_switch: round trips on CPU %d: %s\n",
				cpu, why());
			goto out;
		}
		if (best < 0 || dt < best)
			best = dt;
	}
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (to_parent[i] >= 0)
			close(to_parent[i]);
	}
	if (child > 0) {
		/* EOF stops a healthy child; a stuck one is killed */
		if (ret)
			kill(child, SIGKILL);
		if (waitpid(child, &status, 0) != child) {
			fprintf(stderr, "host_switch: wait for the echo process: %s\n",
				strerror(errno));
			ret = 1;
		} else if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			fprintf(stderr, "host_switch: the echo process failed\n");
			ret = 1;
		}
	}
	if (!ret)
		printf("bench: host_switch_ns %.1f ns\n",
		       (double)best / (2.0 * trips));
	return ret;
}
