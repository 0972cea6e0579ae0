/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The sysfs client, sibling of the netlink client (genl_client.h): reads
 * koracle.ko's sysfs directory (/sys/kernel/koracle, one value per
 * file; shared brief, "Issue 4 contracts") for `koracle upload` and
 * `koracle status`.
 *
 * The directory can be redirected with $KORACLE_SYSFS so the unit tests can
 * drive both commands against a fake tree of plain files; the real interface
 * is exercised by the VM tests.
 *
 * Functions return 0 or -errno (the cause of the failed open/read/parse),
 * never print: the commands word their own messages.
 */
#ifndef KO_SYSFS_CLIENT_H
#define KO_SYSFS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../shared/koracle_types.h"

#define KO_SYSFS_DEFAULT	"/sys/kernel/koracle"
#define KO_SYSFS_ENV		"KORACLE_SYSFS"
#define KO_SYSFS_PATH_MAX	512
#define KO_SYSFS_VALUE_MAX	256	/* longest value we read (model_info) */
#define KO_SYSFS_MAX_CPUS	4096	/* cpuN directories we list at most */

/* The module's directory: $KORACLE_SYSFS if set and non-empty, else the default. */
const char *ko_sysfs_dir(void);

/* @out = "<dir>/<rel>"; -ENAMETOOLONG if it does not fit @len. */
int ko_sysfs_path(char *out, size_t len, const char *rel);

/*
 * Reads the file <dir>/<rel> (at most @len - 1 bytes), NUL-terminates it and
 * strips one trailing newline.
 */
int ko_sysfs_read(const char *rel, char *buf, size_t len);

/* A decimal value; -EINVAL if the file holds anything else. */
int ko_sysfs_read_u64(const char *rel, u64 *v);
int ko_sysfs_read_s64(const char *rel, s64 *v);

/*
 * model_info: "none", or one line
 * "crc=0x%08x channels=C blocks=B kernel=k hidden=H slots=K macs=N loaded=T".
 * Unknown key=value fields are ignored (a newer module may add some); crc and
 * channels must be present.
 */
struct ko_model_info {
	bool loaded;		/* false: the module has no model ("none") */
	u32 crc;		/* CRC-32 of the blob's payload */
	u32 channels, blocks, kernel, hidden, slots;
	u64 macs;		/* multiply-accumulates per step */
	u64 loaded_at;		/* unix seconds of the upload */
};

int ko_model_info_parse(const char *line, struct ko_model_info *mi);
int ko_model_info_read(struct ko_model_info *mi);

/*
 * The CPU numbers N of the <dir>/cpuN directories, ascending, in @cpus
 * (@max entries); *@n receives how many. -E2BIG if there are more than @max.
 */
int ko_sysfs_cpus(unsigned int *cpus, size_t max, size_t *n);

#endif /* KO_SYSFS_CLIENT_H */
