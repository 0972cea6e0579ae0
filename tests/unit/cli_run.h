/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Running the real CLI ($KORACLE_BIN, default user/koracle) from a Criterion
 * test, with a fake sysfs directory ($KORACLE_SYSFS, user/sysfs_client.h), and
 * building/removing such a directory. Header-only: each test file that
 * includes it gets its own static copy.
 */
#ifndef KO_TEST_CLI_RUN_H
#define KO_TEST_CLI_RUN_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_OUT_MAX 16384

struct cli_run {
	int status;			/* exit code, or -1 if killed */
	char out[CLI_OUT_MAX];		/* stdout */
	char err[CLI_OUT_MAX];		/* stderr */
};

static inline const char *cli_bin(void)
{
	const char *b = getenv("KORACLE_BIN");

	return b && *b ? b : "user/koracle";
}

static inline void cli_slurp(int fd, char *buf)
{
	size_t len = 0;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while (len < CLI_OUT_MAX - 1 && (n = read(fd, buf + len, CLI_OUT_MAX - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* Runs the CLI with @args (NULL-terminated, no argv[0]); @sysfs sets $KORACLE_SYSFS. */
static inline void cli_run(struct cli_run *r, const char *sysfs, const char *const *args)
{
	char out_path[] = "/tmp/koracle-cli-out-XXXXXX";
	char err_path[] = "/tmp/koracle-cli-err-XXXXXX";
	const char *argv[32];
	int out_fd, err_fd, st, i;
	pid_t pid;

	argv[0] = cli_bin();
	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	cr_assert_eq(access(cli_bin(), X_OK), 0, "CLI %s not built: %s", cli_bin(),
		     strerror(errno));
	out_fd = mkstemp(out_path);
	err_fd = mkstemp(err_path);
	cr_assert(out_fd >= 0 && err_fd >= 0);
	unlink(out_path);
	unlink(err_path);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(err_fd, STDERR_FILENO);
		if (sysfs)
			setenv("KORACLE_SYSFS", sysfs, 1);
		else
			unsetenv("KORACLE_SYSFS");
		execv(argv[0], (char *const *)argv);
		_exit(126);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	cli_slurp(out_fd, r->out);
	cli_slurp(err_fd, r->err);
	close(out_fd);
	close(err_fd);
}

#define CLI_RUN(r, sysfs, ...) cli_run((r), (sysfs), (const char *const[]){ __VA_ARGS__, NULL })

/* Writes @text to <dir>/<rel> (creating or truncating it). */
static inline void fake_write(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "create %s: %s", path, strerror(errno));
	cr_assert_eq(fputs(text, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

static inline void fake_mkdir(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_eq(mkdir(path, 0755), 0, "mkdir %s: %s", path, strerror(errno));
}

static inline int fake_rm_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fake_rmtree(const char *dir)
{
	nftw(dir, fake_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif /* KO_TEST_CLI_RUN_H */
