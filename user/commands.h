/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The koracle CLI's subcommands. Each returns the process exit code:
 * 0 ok, 1 failure, 2 usage error. Only main() exits.
 */
#ifndef KO_COMMANDS_H
#define KO_COMMANDS_H

#define KO_EXIT_OK	0
#define KO_EXIT_FAIL	1
#define KO_EXIT_USAGE	2

struct ko_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
};

int cmd_collect(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif /* KO_COMMANDS_H */
