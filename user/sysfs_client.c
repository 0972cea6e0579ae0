// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle.ko's sysfs values for the CLI (see sysfs_client.h). sysfs files are
 * small and regenerated on every read, so each value is one open + read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs_client.h"

const char *ko_sysfs_dir(void)
{
	const char *d = getenv(KO_SYSFS_ENV);

	return d && *d ? d : KO_SYSFS_DEFAULT;
}

int ko_sysfs_path(char *out, size_t len, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", ko_sysfs_dir(), rel);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int ko_sysfs_read(const char *rel, char *buf, size_t len)
{
	char path[KO_SYSFS_PATH_MAX];
	size_t got = 0;
	ssize_t n;
	int fd, ret;

	if (!len)
		return -EINVAL;
	ret = ko_sysfs_path(path, sizeof(path), rel);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = 0;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
out:
	close(fd);
	return ret;
}

int ko_sysfs_read_u64(const char *rel, u64 *v)
{
	char buf[64], *end;
	unsigned long long x;
	int ret;

	ret = ko_sysfs_read(rel, buf, sizeof(buf));
	if (ret)
		return ret;
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int ko_sysfs_read_s64(const char *rel, s64 *v)
{
	char buf[64], *end;
	long long x;
	int ret;

	ret = ko_sysfs_read(rel, buf, sizeof(buf));
	if (ret)
		return ret;
	if (!buf[0])
		return -EINVAL;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

/* One "key=value" number; base 0 takes the crc's 0x prefix. */
static int mi_number(const char *val, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*val < '0' || *val > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(val, &end, 0);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

int ko_model_info_parse(const char *line, struct ko_model_info *mi)
{
	static const struct {
		const char *key;
		unsigned long long max;
	} keys[] = {
		{ "crc", UINT32_MAX }, { "channels", UINT32_MAX },
		{ "blocks", UINT32_MAX }, { "kernel", UINT32_MAX },
		{ "hidden", UINT32_MAX }, { "slots", UINT32_MAX },
		{ "macs", UINT64_MAX }, { "loaded", UINT64_MAX },
	};
	char copy[KO_SYSFS_VALUE_MAX], *tok, *save = NULL, *eq;
	unsigned long long v[8] = { 0 };
	bool seen[8] = { false };
	size_t i;

	memset(mi, 0, sizeof(*mi));
	if (!strcmp(line, "none"))
		return 0;
	if (strlen(line) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, line);
	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			return -EINVAL;
		*eq = '\0';
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(tok, keys[i].key))
				continue;
			if (seen[i] || mi_number(eq + 1, keys[i].max, &v[i]))
				return -EINVAL;
			seen[i] = true;
		}
	}
	if (!seen[0] || !seen[1])
		return -EINVAL;
	mi->loaded = true;
	mi->crc = (u32)v[0];
	mi->channels = (u32)v[1];
	mi->blocks = (u32)v[2];
	mi->kernel = (u32)v[3];
	mi->hidden = (u32)v[4];
	mi->slots = (u32)v[5];
	mi->macs = v[6];
	mi->loaded_at = v[7];
	return 0;
}

int ko_model_info_read(struct ko_model_info *mi)
{
	char buf[KO_SYSFS_VALUE_MAX];
	int ret;

	ret = ko_sysfs_read("model_info", buf, sizeof(buf));
	if (ret)
		return ret;
	return ko_model_info_parse(buf, mi);
}

static int cpu_cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int ko_sysfs_cpus(unsigned int *cpus, size_t max, size_t *n)
{
	const char *dir = ko_sysfs_dir();
	struct dirent *de;
	unsigned long x;
	char *end;
	int ret = 0;
	DIR *d;

	*n = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "cpu", 3) || de->d_name[3] < '0' || de->d_name[3] > '9')
			continue;
		errno = 0;
		x = strtoul(de->d_name + 3, &end, 10);
		if (errno || *end || x > UINT32_MAX)
			continue;
		if (*n == max) {
			ret = -E2BIG;
			goto out;
		}
		cpus[(*n)++] = (unsigned int)x;
	}
	qsort(cpus, *n, sizeof(*cpus), cpu_cmp);
out:
	closedir(d);
	return ret;
}
