// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle stats: the module's counters over generic netlink (GET_STATS),
 * printed as "KEY VALUE" lines for people and scripts alike.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "genl_client.h"

#define STATS_TIMEOUT_MS	5000	/* GET_STATS must be answered within this */

struct stats_reply {
	bool got;
	u64 events, dropped, sent;
	u8 collecting;
	u32 ncpus, ring_records;
};

static int stats_msg(void *arg, u8 cmd, struct nlattr **tb)
{
	struct stats_reply *r = arg;

	if (cmd != KORACLE_CMD_GET_STATS)
		return 0;
	if (!tb[KORACLE_A_EVENTS] || !tb[KORACLE_A_DROPPED] || !tb[KORACLE_A_SENT] ||
	    !tb[KORACLE_A_COLLECTING] || !tb[KORACLE_A_NCPUS] ||
	    !tb[KORACLE_A_RING_RECORDS]) {
		fprintf(stderr, "koracle: stats: GET_STATS reply lacks an attribute (module and CLI from different versions?)\n");
		return -1;
	}
	r->events = nla_get_u64(tb[KORACLE_A_EVENTS]);
	r->dropped = nla_get_u64(tb[KORACLE_A_DROPPED]);
	r->sent = nla_get_u64(tb[KORACLE_A_SENT]);
	r->collecting = nla_get_u8(tb[KORACLE_A_COLLECTING]);
	r->ncpus = nla_get_u32(tb[KORACLE_A_NCPUS]);
	r->ring_records = nla_get_u32(tb[KORACLE_A_RING_RECORDS]);
	r->got = true;
	return 0;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
		"usage: koracle stats [--json]\n"
		"\n"
		"Print koracle.ko's counters (generic netlink GET_STATS) as KEY VALUE lines:\n"
		"events, dropped, sent, collecting, ncpus, ring_records; with --json, as one\n"
		"JSON object with the same keys.\n");
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[KO_ERR_LEN];
	bool json = false;
	struct stats_reply r = { 0 };
	struct ko_genl *g;
	int ret = KO_EXIT_FAIL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if (c == 'h') {
			stats_usage(stdout);
			return KO_EXIT_OK;
		}
		fprintf(stderr, "koracle: stats: unknown option '%s'\n", argv[optind - 1]);
		stats_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "koracle: stats: unexpected argument '%s'\n", argv[optind]);
		stats_usage(stderr);
		return KO_EXIT_USAGE;
	}
	if (ko_genl_open(&g, err)) {
		fprintf(stderr, "koracle: stats: %s\n", err);
		return KO_EXIT_FAIL;
	}
	if (ko_genl_call(g, KORACLE_CMD_GET_STATS, stats_msg, &r, STATS_TIMEOUT_MS)) {
		if (ko_genl_error(g)[0])
			fprintf(stderr, "koracle: stats: %s\n", ko_genl_error(g));
		goto out;
	}
	if (!r.got) {
		fprintf(stderr, "koracle: stats: koracle GET_STATS: the kernel acknowledged but sent no counters\n");
		goto out;
	}
	if (json)
		printf("{\"events\":%llu,\"dropped\":%llu,\"sent\":%llu,\"collecting\":%u,\"ncpus\":%u,\"ring_records\":%u}\n",
		       (unsigned long long)r.events, (unsigned long long)r.dropped,
		       (unsigned long long)r.sent, r.collecting, r.ncpus, r.ring_records);
	else
		printf("events %llu\ndropped %llu\nsent %llu\ncollecting %u\nncpus %u\nring_records %u\n",
		       (unsigned long long)r.events, (unsigned long long)r.dropped,
		       (unsigned long long)r.sent, r.collecting, r.ncpus, r.ring_records);
	ret = KO_EXIT_OK;
out:
	ko_genl_close(g);
	return ret;
}
