// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The koracle CLI's contract with scripts, checked on the real binary
 * ($KORACLE_BIN, default user/koracle): exit 0 for --help, 2 for usage
 * errors, 1 for failures, and the "is the module loaded?" hint when the
 * generic netlink family is missing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "cli_run.h"

#define RUN(r, ...) CLI_RUN((r), NULL, __VA_ARGS__)

TestSuite(cli_usage, .timeout = 30);

Test(cli_usage, no_arguments_exits_2_with_usage_on_stderr)
{
	struct cli_run r;

	cli_run(&r, NULL, (const char *const[]){ NULL });
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "usage"), "stderr: %s", r.err);
}

Test(cli_usage, unknown_command_exits_2)
{
	struct cli_run r;

	RUN(&r, "frobnicate");
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "frobnicate"), "names the bad command: %s", r.err);
}

Test(cli_usage, top_level_help_exits_0_on_stdout)
{
	struct cli_run r;

	RUN(&r, "--help");
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(strstr(r.out, "collect"), "lists commands: %s", r.out);
}

Test(cli_usage, each_command_help_exits_0)
{
	static const char *const cmds[] = { "collect", "import", "dump", "stats" };
	struct cli_run r;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		RUN(&r, cmds[i], "--help");
		cr_assert_eq(r.status, 0, "%s --help: stderr: %s", cmds[i], r.err);
		cr_assert(strstr(r.out, "usage"), "%s --help prints usage: %s", cmds[i], r.out);
	}
}

Test(cli_usage, unknown_option_exits_2)
{
	static const char *const cmds[] = { "collect", "import", "dump", "stats" };
	struct cli_run r;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		RUN(&r, cmds[i], "--no-such-option");
		cr_assert_eq(r.status, 2, "%s --no-such-option: stderr: %s", cmds[i], r.err);
		cr_assert(strstr(r.err, "--no-such-option"), "%s names the option: %s",
			  cmds[i], r.err);
	}
}

Test(cli_usage, collect_without_output_exits_2)
{
	struct cli_run r;

	RUN(&r, "collect", "--duration", "1");
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "-o"), "says what is missing: %s", r.err);
}

Test(cli_usage, collect_bad_values_exit_2)
{
	struct cli_run r;

	RUN(&r, "collect", "-o", "/tmp/never-written.kot", "--batch", "0");
	cr_assert_eq(r.status, 2, "--batch 0: %s", r.err);
	RUN(&r, "collect", "-o", "/tmp/never-written.kot", "--batch", "100000");
	cr_assert_eq(r.status, 2, "--batch 100000: %s", r.err);
	RUN(&r, "collect", "-o", "/tmp/never-written.kot", "--duration", "-3");
	cr_assert_eq(r.status, 2, "--duration -3: %s", r.err);
	RUN(&r, "collect", "-o", "/tmp/never-written.kot", "--duration", "5x");
	cr_assert_eq(r.status, 2, "--duration 5x: %s", r.err);
	RUN(&r, "collect", "-o", "/tmp/never-written.kot", "hackbench");
	cr_assert_eq(r.status, 2, "a command without --: %s", r.err);
	RUN(&r, "collect", "-o");
	cr_assert_eq(r.status, 2, "-o without a value: %s", r.err);
	cr_assert_eq(access("/tmp/never-written.kot", F_OK), -1);
}

/* True when the running kernel has the koracle family (module loaded). */
static bool family_exists(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	bool found = false;

	cr_assert_not_null(sk);
	if (genl_connect(sk) == 0)
		found = genl_ctrl_resolve(sk, "koracle") >= 0;
	nl_socket_free(sk);
	return found;
}

static const char missing_msg[] =
	"generic netlink family \"koracle\" not found: is the module loaded? try: sudo insmod koracle.ko";

Test(cli_usage, collect_without_the_module_exits_1_with_the_insmod_hint)
{
	char path[] = "/tmp/koracle-cli-nomod-XXXXXX";
	char out[64];
	struct cli_run r;
	int fd;

	if (family_exists())
		cr_skip_test("the koracle family exists here (module loaded)");
	/* A fresh name in a private directory: the collector must not create it. */
	cr_assert_not_null(mkdtemp(path));
	snprintf(out, sizeof(out), "%s/t.kot", path);
	RUN(&r, "collect", "-o", out, "--duration", "1");
	fd = open(out, O_RDONLY);
	if (fd >= 0)
		close(fd);
	unlink(out);
	rmdir(path);
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "koracle: collect: "), "prefixed: %s", r.err);
	cr_assert(strstr(r.err, missing_msg), "hint: %s", r.err);
	cr_assert_lt(fd, 0, "no output file is left behind");
}

Test(cli_usage, stats_without_the_module_exits_1_with_the_insmod_hint)
{
	struct cli_run r;

	if (family_exists())
		cr_skip_test("the koracle family exists here (module loaded)");
	RUN(&r, "stats");
	cr_assert_eq(r.status, 1, "stderr: %s", r.err);
	cr_assert(strstr(r.err, missing_msg), "hint: %s", r.err);
	cr_assert_eq(r.out[0], '\0', "nothing on stdout: %s", r.out);
}
