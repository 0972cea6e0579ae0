// SPDX-License-Identifier: GPL-2.0 OR MIT
/* koracle: the userspace side of koracle.ko. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* One line per command; a command lives in user/cmd_NAME.c and adds its line here. */
static const struct ko_command commands[] = {
	{ "collect", "record scheduler events from koracle.ko over netlink", cmd_collect },
	{ "import", "convert ftrace text or KernelOracle2 CSV to a trace file", cmd_import },
	{ "dump", "print a trace file's records (text or CSV)", cmd_dump },
	{ "stats", "print the module's counters (netlink GET_STATS)", cmd_stats },
	{ "train", "train the float TCN on trace files", cmd_train },
	{ "eval", "measure a model and the baseline rules on trace files", cmd_eval },
	{ "quantize", "fold a float model into the kernel's integer weight blob", cmd_quantize },
	{ "upload", "install a weight blob in koracle.ko (sysfs model)", cmd_upload },
	{ "status", "show the module's live predictions and accuracy", cmd_status },
	{ "report", "turn eval and bench results into a PNG chart and Markdown", cmd_report },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: koracle <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'koracle <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return KO_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "koracle: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return KO_EXIT_USAGE;
}
