// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The module's live state in one snapshot: see live_status.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "genl_client.h"
#include "live_status.h"

#define LIVE_GENL_TIMEOUT_MS	2000	/* GET_STATS answer, else "unknown" */

/* Names the file and the cause; the module hint when the directory is gone. */
static void live_read_error(const char *rel, int ret, char err[KO_ERR_LEN])
{
	char path[KO_SYSFS_PATH_MAX];

	if (ko_sysfs_path(path, sizeof(path), rel))
		snprintf(path, sizeof(path), "%s", rel);
	if (access(ko_sysfs_dir(), F_OK)) {
		snprintf(err, KO_ERR_LEN, "%.400s not found: is the module loaded? try: sudo insmod koracle.ko",
			 ko_sysfs_dir());
		return;
	}
	if (ret == -EINVAL)
		snprintf(err, KO_ERR_LEN, "read %.400s: unexpected contents (module and CLI from different versions?)",
			 path);
	else
		snprintf(err, KO_ERR_LEN, "read %.400s: %s", path, strerror(-ret));
}

static int live_u64(const char *rel, u64 *v, char err[KO_ERR_LEN])
{
	int ret = ko_sysfs_read_u64(rel, v);

	if (ret)
		live_read_error(rel, ret, err);
	return ret;
}

static int live_genl_msg(void *arg, u8 cmd, struct nlattr **tb)
{
	int *collecting = arg;

	if (cmd == KORACLE_CMD_GET_STATS && tb[KORACLE_A_COLLECTING])
		*collecting = nla_get_u8(tb[KORACLE_A_COLLECTING]) ? 1 : 0;
	return 0;
}

/* Optional: any failure (no permission, old module) leaves "unknown". */
static int live_collecting(void)
{
	char err[KO_ERR_LEN];
	int collecting = -1;
	struct ko_genl *g;

	if (ko_genl_open(&g, err))
		return -1;
	if (ko_genl_call(g, KORACLE_CMD_GET_STATS, live_genl_msg, &collecting,
			 LIVE_GENL_TIMEOUT_MS))
		collecting = -1;
	ko_genl_close(g);
	return collecting;
}

static int live_read_cpu(struct ko_live_cpu *c, unsigned int cpu, char err[KO_ERR_LEN])
{
	char rel[64];
	int ret;

	c->cpu = cpu;
#define LIVE_REL(name) (snprintf(rel, sizeof(rel), "cpu%u/%s", cpu, name), rel)
	ret = ko_sysfs_read_s64(LIVE_REL("next_pid"), &c->next_pid);
	if (ret)
		goto err;
	ret = ko_sysfs_read(LIVE_REL("next_comm"), c->comm, sizeof(c->comm));
	if (ret)
		goto err;
	/* The hits before predictions: see ko_live_snapshot(). */
	ret = ko_sysfs_read_u64(LIVE_REL("hits"), &c->hits);
	if (ret)
		goto err;
	ret = ko_sysfs_read_u64(LIVE_REL("baseline_hits"), &c->baseline_hits);
	if (ret)
		goto err;
	ret = ko_sysfs_read_u64(LIVE_REL("published_hits"), &c->published_hits);
	if (ret)
		goto err;
	ret = ko_sysfs_read_u64(LIVE_REL("predictions"), &c->predictions);
	if (ret)
		goto err;
#undef LIVE_REL
	return 0;
err:
	live_read_error(rel, ret, err);
	return ret;
}

int ko_live_snapshot(struct ko_live_snap *s, char err[KO_ERR_LEN])
{
	size_t i;
	int ret;

	if (access(ko_sysfs_dir(), F_OK)) {
		live_read_error("", -errno, err);
		return -1;
	}
	ret = ko_model_info_read(&s->mi);
	if (ret) {
		live_read_error("model_info", ret, err);
		return -1;
	}
	/*
	 * Between uploads (each restarts them) the counters only grow and the
	 * kernel counts a switch's prediction before its hits, so reading the
	 * hits first and predictions last keeps every hit count <=
	 * predictions while switches go on.
	 */
	if (live_u64("enabled", &s->enabled, err) ||
	    live_u64("hits", &s->hits, err) || live_u64("baseline_hits", &s->baseline_hits, err) ||
	    live_u64("published_hits", &s->published_hits, err) ||
	    live_u64("predictions", &s->predictions, err))
		return -1;
	ret = ko_sysfs_cpus(s->ids, KO_SYSFS_MAX_CPUS, &s->ncpus);
	if (ret) {
		live_read_error("", ret, err);
		return -1;
	}
	for (i = 0; i < s->ncpus; i++)
		if (live_read_cpu(&s->cpus[i], s->ids[i], err))
			return -1;
	s->collecting = live_collecting();
	return 0;
}
