// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Per-CPU replay (user/replay.c): a two-CPU stream fed record by record and
 * through a real trace file; each switch but a CPU's first (and the first
 * after a LOST) must deliver the point that predicted it, the list as it
 * stood just before it, with its label.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"

#define K KORACLE_K
#define NA KORACLE_LABEL_NA

struct seen {
	int cpu;
	u64 index;
	bool restart;
	u8 label;
	s32 next_pid;
	u64 ts;		/* of the SWITCH the point predicts */
	s32 slot0;	/* the point's slot 0 pid */
};

struct sink {
	struct seen p[32];
	int n;
	int stop_at;	/* return 7 when this many points were seen; 0 never */
};

static int collect(void *ctx, const struct ko_point *p)
{
	struct sink *s = ctx;
	struct seen *e = &s->p[s->n++];

	cr_assert_leq(s->n, 32);
	e->cpu = p->cpu;
	e->index = p->index;
	e->restart = p->restart;
	e->label = p->label;
	e->next_pid = p->next_pid;
	e->ts = p->ev->ts_ns;
	e->slot0 = p->feat->slot_pid[0];
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static struct koracle_event ev(u8 type, u16 cpu, u64 ts, s32 prev, s32 next,
			       u32 state)
{
	struct koracle_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.cpu = cpu;
	e.ts_ns = ts;
	e.prev_pid = prev;
	e.next_pid = next;
	e.prev_state = state;
	e.dest_cpu = cpu;
	return e;
}

/*
 * CPU 0: 0->10 ([10,0]); a wakeup of 11 from CPU 1 ([11,10,0]); 10->11
 * ([11,10,0]); LOST 2; 12->10 ([10,12,11,0]); 10->11.
 * CPU 1: 0->20 ([20,0]); 20->0.
 */
static void stream(struct koracle_event *e, int *n)
{
	int i = 0;

	e[i++] = ev(KORACLE_EV_SWITCH, 0, 1000, 0, 10, 0);
	e[i++] = ev(KORACLE_EV_SWITCH, 1, 1100, 0, 20, 0);
	e[i] = ev(KORACLE_EV_WAKEUP, 0, 1200, 20, 11, 0);
	e[i++].orig_cpu = 1;
	e[i++] = ev(KORACLE_EV_SWITCH, 0, 1300, 10, 11, KORACLE_PS_S);
	e[i++] = ev(KORACLE_EV_SWITCH, 1, 1400, 20, 0, KORACLE_PS_S);
	e[i] = ev(KORACLE_EV_LOST, 0, 0, -1, -1, 0);
	e[i++].vruntime = 2;
	e[i++] = ev(KORACLE_EV_SWITCH, 0, 2000, 12, 10, KORACLE_PS_S);
	e[i++] = ev(KORACLE_EV_SWITCH, 0, 2100, 10, 11, KORACLE_PS_S);
	*n = i;
}

/*
 * Expected points, in delivery order (0->10 and 0->20 are their CPU's first
 * switches, 12->10 the first after the LOST: no point):
 *   at 10->11: the list just before, [11,10,0] (the wakeup is in it): 11 is
 *              slot 0 -> 0, restart
 *   at 20->0:  [20,0]: 0 is slot 1 -> 1, restart
 *   at the last 10->11: [10,12,11,0]: 11 is slot 2 -> 2, restart (LOST)
 */
static void check_points(const struct sink *s)
{
	const struct seen want[] = {
		{ 0, 0, true, 0, 11, 1300, 11 },
		{ 1, 0, true, 1, 0, 1400, 20 },
		{ 0, 1, true, 2, 11, 2100, 10 },
	};
	int i;

	cr_assert_eq(s->n, 3);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(s->p[i].cpu, want[i].cpu, "point %d", i);
		cr_assert_eq(s->p[i].index, want[i].index, "point %d", i);
		cr_assert_eq(s->p[i].restart, want[i].restart, "point %d", i);
		cr_assert_eq(s->p[i].label, want[i].label, "point %d", i);
		cr_assert_eq(s->p[i].next_pid, want[i].next_pid, "point %d", i);
		cr_assert_eq(s->p[i].ts, want[i].ts, "point %d", i);
		cr_assert_eq(s->p[i].slot0, want[i].slot0, "point %d", i);
	}
}

static void check_stats(const struct ko_replay_stats *st)
{
	cr_assert_eq(st->ncpus, 2);
	cr_assert_eq(st->records, 8);
	cr_assert_eq(st->points, 3);
	cr_assert_eq(st->labelled, 3);
	cr_assert_eq(st->enc.events, 8);
	cr_assert_eq(st->enc.switches, 6);
	cr_assert_eq(st->enc.lost, 2);
	cr_assert_eq(st->enc.chain_breaks, 0);
}

Test(replay, points_pair_each_tuple_with_its_own_label)
{
	struct koracle_event e[16];
	struct koracle_enc_stats cs;
	struct ko_replay_stats st;
	struct ko_replay *rp;
	struct sink s = { .n = 0 };
	int i, n;

	stream(e, &n);
	cr_assert_eq(ko_replay_new(&rp), 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(ko_replay_feed(rp, &e[i], collect, &s), 0);
	check_points(&s);
	ko_replay_get_stats(rp, &st);
	check_stats(&st);
	ko_replay_cpu_stats(rp, 1, &cs);
	cr_assert_eq(cs.switches, 2);
	ko_replay_cpu_stats(rp, 9, &cs);
	cr_assert_eq(cs.events, 0);
	ko_replay_free(rp);
}

Test(replay, bad_records_and_callback_stop)
{
	struct koracle_event e[16], bad;
	struct ko_replay *rp;
	struct sink s = { .n = 0, .stop_at = 2 };
	int i, n, ret = 0;

	cr_assert_eq(ko_replay_new(&rp), 0);
	bad = ev(KORACLE_EV_SWITCH, 4096, 1, 0, 1, 0);
	cr_assert_eq(ko_replay_feed(rp, &bad, collect, &s), -EINVAL);
	bad = ev(0, 0, 1, 0, 1, 0);
	cr_assert_eq(ko_replay_feed(rp, &bad, collect, &s), -EINVAL);
	bad.type = KORACLE_EV_MAX + 1;
	cr_assert_eq(ko_replay_feed(rp, &bad, collect, &s), -EINVAL);
	stream(e, &n);
	for (i = 0; i < n && !ret; i++)
		ret = ko_replay_feed(rp, &e[i], collect, &s);
	/* the second point comes with record 5 (CPU 1's 20->0) */
	cr_assert_eq(ret, 7);
	cr_assert_eq(i, 5);
	ko_replay_free(rp);
}

Test(replay, whole_file_gives_the_same_points)
{
	char path[] = "/tmp/ko-replay-XXXXXX", err[KO_ERR_LEN];
	struct koracle_event e[16];
	struct ko_trace_writer *w;
	struct ko_trace_info info, got;
	struct ko_replay_stats st;
	struct sink s = { .n = 0 };
	int fd, i, n;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	memset(&info, 0, sizeof(info));
	info.source = KORACLE_SRC_FTRACE;
	info.ncpus = 2;
	strcpy(info.label, "unit-replay");
	cr_assert_eq(ko_trace_create(path, &info, &w, err), 0, "%s", err);
	stream(e, &n);
	for (i = 0; i < n; i++)
		cr_assert_eq(ko_trace_write(w, &e[i]), 0);
	cr_assert_eq(ko_trace_finish(w), 0);

	cr_assert_eq(ko_replay_file(path, collect, &s, &got, &st, err), 0,
		     "%s", err);
	check_points(&s);
	check_stats(&st);
	cr_assert_str_eq(got.label, "unit-replay");

	/* a missing file is an error that names it */
	cr_assert_neq(ko_replay_file("/nonexistent/x.trace", collect, &s,
				     NULL, &st, err), 0);
	cr_assert_not_null(strstr(err, "/nonexistent/x.trace"), "%s", err);
	unlink(path);
}

Test(replay, kernel_selector_slots_are_checked_until_a_loss)
{
	struct koracle_event e[8];
	struct ko_replay_stats st;
	struct ko_replay *rp;
	int i, n = 0;

	/*
	 * CPU 0: 0->10, 10->11 (10 preempted), 11->10 (11 sleeps). The
	 * selector uses FIFO throughout. 0->10 closes no point (the first
	 * switch): not checked whatever it claims. Just before 10->11 nothing
	 * is runnable in [10,0] -> none (K); just before 11->10 the runnable
	 * 10 is slot 1 of [11,10,0] -> 1, but the record claims 5. The last
	 * switch comes after a LOST and is not checked.
	 */
	e[n] = ev(KORACLE_EV_SWITCH, 0, 1000, 0, 10, 0);
	e[n].flags = KORACLE_RF_PRED;
	e[n++].base_slot = 3;
	e[n] = ev(KORACLE_EV_SWITCH, 0, 2000, 10, 11, 0);
	e[n].flags = KORACLE_RF_PRED | KORACLE_RF_PREEMPT;
	e[n++].base_slot = K;
	e[n] = ev(KORACLE_EV_SWITCH, 0, 3000, 11, 10, KORACLE_PS_S);
	e[n].flags = KORACLE_RF_PRED;
	e[n++].base_slot = 5;
	e[n] = ev(KORACLE_EV_LOST, 0, 0, -1, -1, 0);
	e[n++].vruntime = 1;
	e[n] = ev(KORACLE_EV_SWITCH, 0, 5000, 10, 11, KORACLE_PS_S);
	e[n].flags = KORACLE_RF_PRED;
	e[n++].base_slot = 9;
	cr_assert_eq(ko_replay_new(&rp), 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(ko_replay_feed(rp, &e[i], NULL, NULL), 0);
	ko_replay_get_stats(rp, &st);
	cr_assert_eq(st.base_checked, 2);
	cr_assert_eq(st.base_mismatch, 1);
	ko_replay_free(rp);
}
