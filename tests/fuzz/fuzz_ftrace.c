// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Fuzz target: the ftrace / trace-cmd text importer's line parser,
 * ko_ftrace_parse_line() (user/import_ftrace.c, import_ftrace_fields.c).
 *
 * Input: text; each '\n'-separated line is copied into an allocation of
 * exactly its length + NUL (so ASan sees any read past the line's end) and
 * parsed, as ko_ftrace_import() does for every line the line reader
 * returns. Records of the lines that parse then go through
 * ko_import_emit(), the per-CPU chain bookkeeping of `koracle import`.
 *
 * Checked besides memory safety: 0 or -EINVAL, a NUL-terminated cause on
 * -EINVAL, and records that are what the header promises (types, counts,
 * pids and prios in range).
 */
#include <errno.h>

#include "import_ftrace.h"
#include "import_ftrace_fields.h"
#include "fuzz_util.h"

static void fz_check_line(const struct ko_ftrace_line *l)
{
	int i;

	switch (l->kind) {
	case KO_FT_SKIP:
	case KO_FT_OTHER:
		FZ_CHECK(l->nev == 0);
		return;
	case KO_FT_LOST:
		FZ_CHECK(l->nev == 1 && l->ev[0].type == KORACLE_EV_LOST);
		return;
	case KO_FT_EVENT:
		break;
	default:
		FZ_CHECK(!"unknown line kind");
	}
	FZ_CHECK(l->nev == 1 || l->nev == 2);
	for (i = 0; i < l->nev; i++) {
		const struct koracle_event *ev = &l->ev[i];

		FZ_CHECK(ev->type >= KORACLE_EV_SWITCH &&
			 ev->type < KORACLE_EV_LOST);
		FZ_CHECK(ev->next_pid >= 0);
		FZ_CHECK(ev->prio <= 139);
	}
	/* a migration is two records exactly when it crosses CPUs */
	if (l->nev == 2)
		FZ_CHECK(l->ev[0].type == KORACLE_EV_MIGRATE &&
			 l->ev[1].cpu == l->ev[0].dest_cpu &&
			 l->ev[0].cpu == l->ev[0].orig_cpu &&
			 l->ev[0].orig_cpu != l->ev[0].dest_cpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ko_import_opts o = { .skip_bad = true, .quiet = true };
	struct ko_import_stats st;
	const uint8_t *p = data, *end = data + size;
	char err[KO_ERR_LEN];

	memset(&st, 0, sizeof(st));
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		struct ko_ftrace_line l;
		char why[200], *line;
		int ret, i;

		line = malloc(n + 1);
		FZ_CHECK(line);
		memcpy(line, p, n);
		line[n] = '\0';
		memset(why, 'x', sizeof(why));
		ret = ko_ftrace_parse_line(line, &l, why, sizeof(why));
		if (ret) {
			FZ_CHECK(ret == -EINVAL);
			FZ_CHECK(fz_terminated(why, sizeof(why)) && why[0]);
		} else {
			fz_check_line(&l);
			for (i = 0; i < l.nev; i++)
				FZ_CHECK(!ko_import_emit(&o, &st, &l.ev[i], err));
		}
		free(line);
		p += n + 1;
	}
	FZ_CHECK(st.ncpus >= 0 && st.ncpus <= 0x10000);
	ko_import_stats_release(&st);
	return 0;
}
