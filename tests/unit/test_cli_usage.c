// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The koracle CLI's contract with scripts, checked on the real binary
 * ($KORACLE_BIN, default user/koracle): exit 0 for --help, 2 for usage
 * errors, 1 for failures, and the "is the module loaded?" hint when the
 * generic netlink family is missing.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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

/*
 * The commands whose --help and option errors are checked here. Names in
 * arrays, not pointers: Criterion runs each case in a process of its own.
 */
struct command_case {
	char name[16];
};

static struct criterion_test_params simple_commands(void)
{
	static struct command_case cmds[] = {
		{ "collect" }, { "import" }, { "dump" }, { "stats" },
	};

	return cr_make_param_array(struct command_case, cmds,
				   sizeof(cmds) / sizeof(cmds[0]));
}

ParameterizedTestParameters(cli_usage, each_command_help_exits_0)
{
	return simple_commands();
}

ParameterizedTest(struct command_case *c, cli_usage, each_command_help_exits_0)
{
	struct cli_run r;

	RUN(&r, c->name, "--help");
	cr_assert_eq(r.status, 0, "%s --help: stderr: %s", c->name, r.err);
	cr_assert(strstr(r.out, "usage"), "%s --help prints usage: %s", c->name, r.out);
}

ParameterizedTestParameters(cli_usage, unknown_option_exits_2)
{
	return simple_commands();
}

ParameterizedTest(struct command_case *c, cli_usage, unknown_option_exits_2)
{
	struct cli_run r;

	RUN(&r, c->name, "--no-such-option");
	cr_assert_eq(r.status, 2, "%s --no-such-option: stderr: %s", c->name, r.err);
	cr_assert(strstr(r.err, "--no-such-option"), "%s names the option: %s",
		  c->name, r.err);
}

Test(cli_usage, collect_without_output_exits_2)
{
	struct cli_run r;

	RUN(&r, "collect", "--duration", "1");
	cr_assert_eq(r.status, 2, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "-o"), "says what is missing: %s", r.err);
}

/* Bad collect arguments after -o FILE (NULL-terminated), and what each is. */
struct bad_collect {
	char args[2][16];	/* "" ends the list early */
	char what[32];
};

ParameterizedTestParameters(cli_usage, collect_bad_values_exit_2)
{
	static struct bad_collect cases[] = {
		{ { "--batch", "0" }, "--batch 0" },
		{ { "--batch", "100000" }, "--batch 100000" },
		{ { "--duration", "-3" }, "--duration -3" },
		{ { "--duration", "5x" }, "--duration 5x" },
		{ { "hackbench" }, "a command without --" },
	};

	return cr_make_param_array(struct bad_collect, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_collect *bc, cli_usage, collect_bad_values_exit_2)
{
	struct cli_run r;

	if (bc->args[1][0])
		RUN(&r, "collect", "-o", "/tmp/never-written.kot", bc->args[0],
		    bc->args[1]);
	else
		RUN(&r, "collect", "-o", "/tmp/never-written.kot", bc->args[0]);
	cr_assert_eq(r.status, 2, "%s: %s", bc->what, r.err);
	cr_assert_eq(access("/tmp/never-written.kot", F_OK), -1);
}

Test(cli_usage, collect_o_without_a_value_exits_2)
{
	struct cli_run r;

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
