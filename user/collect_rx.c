// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * koracle collect, receive side (see collect_rx.h).
 *
 * Each EVENTS batch is one CPU's ring slice. Its records are written verbatim
 * (they are already little endian); a batch reporting LOST > 0 is preceded by
 * a KORACLE_EV_LOST record (vruntime = count, cpu = the batch's CPU, ts = the
 * batch's first record) so readers see where the stream has a hole. The
 * module numbers each CPU's batches 0, 1, 2, ... and only advances on
 * delivery, so any jump is a real gap and is counted, never hidden.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect_rx.h"

#define CO_MAX_CPUS	65536	/* rec.cpu is 16 bits */
/* Grows the per-CPU table to hold @cpu. */
static int collect_cpu_slot(struct ko_collect *s, u32 cpu)
{
	struct ko_collect_cpu *n;
	size_t want;

	if (cpu < s->ncpu_slots)
		return 0;
	want = s->ncpu_slots ? s->ncpu_slots : 8;
	while (want <= cpu)
		want *= 2;
	n = realloc(s->cpu, want * sizeof(*n));
	if (!n) {
		snprintf(s->err, sizeof(s->err), "growing the per-CPU table to %zu CPUs: %s",
			 want, strerror(ENOMEM));
		return -1;
	}
	memset(n + s->ncpu_slots, 0, (want - s->ncpu_slots) * sizeof(*n));
	s->cpu = n;
	s->ncpu_slots = want;
	return 0;
}

static int collect_events(struct ko_collect *s, struct nlattr **tb)
{
	const struct koracle_rec *recs;
	struct koracle_event lost_ev;
	u32 cpu, seq, lost;
	struct ko_collect_cpu *c;
	size_t n;
	int ret;

	if (!tb[KORACLE_A_CPU] || !tb[KORACLE_A_SEQ] || !tb[KORACLE_A_LOST] ||
	    !tb[KORACLE_A_RECORDS]) {
		snprintf(s->err, sizeof(s->err),
			 "EVENTS message from koracle.ko lacks CPU, SEQ, LOST or RECORDS (module and CLI from different versions?)");
		return -1;
	}
	cpu = nla_get_u32(tb[KORACLE_A_CPU]);
	seq = nla_get_u32(tb[KORACLE_A_SEQ]);
	lost = nla_get_u32(tb[KORACLE_A_LOST]);
	if (nla_len(tb[KORACLE_A_RECORDS]) % KORACLE_REC_SIZE || cpu >= CO_MAX_CPUS) {
		snprintf(s->err, sizeof(s->err),
			 "malformed EVENTS message from koracle.ko: cpu %u, %d bytes of records (not a multiple of %d)",
			 cpu, nla_len(tb[KORACLE_A_RECORDS]), KORACLE_REC_SIZE);
		return -1;
	}
	n = (size_t)nla_len(tb[KORACLE_A_RECORDS]) / KORACLE_REC_SIZE;
	recs = nla_data(tb[KORACLE_A_RECORDS]);
	if (collect_cpu_slot(s, cpu))
		return -1;
	c = &s->cpu[cpu];
	if ((int)cpu > s->max_cpu)
		s->max_cpu = (int)cpu;
	/* A missing batch is a gap; a repeated or older one is counted too. */
	if (seq != c->next_seq)
		s->seq_gaps += seq > c->next_seq ? seq - c->next_seq : 1;
	c->next_seq = seq + 1;
	if (lost) {
		memset(&lost_ev, 0, sizeof(lost_ev));
		lost_ev.type = KORACLE_EV_LOST;
		lost_ev.cpu = (u16)cpu;
		lost_ev.vruntime = lost;
		/* Place the marker in time where the gap is. */
		lost_ev.ts_ns = n ? koracle_from_le64(recs[0].ts_ns) : c->last_ts_ns;
		ret = ko_trace_write(s->w, &lost_ev);
		if (ret)
			goto write_failed;
		s->lost += lost;
	}
	if (!n)
		return 0;
	ret = ko_trace_write_raw(s->w, recs, n);
	if (ret)
		goto write_failed;
	if (!c->records)
		s->cpus_seen++;
	c->records += n;
	c->last_ts_ns = koracle_from_le64(recs[n - 1].ts_ns);
	s->records += n;
	return 0;

write_failed:
	snprintf(s->err, sizeof(s->err), "%s", ko_trace_writer_error(s->w));
	return -1;
}

static int collect_msg(void *arg, u8 cmd, struct nlattr **tb)
{
	struct ko_collect *s = arg;

	switch (cmd) {
	case KORACLE_CMD_EVENTS:
		return collect_events(s, tb);
	case KORACLE_CMD_END:
		s->ended = true;
		s->end_reason = tb[KORACLE_A_REASON] ? nla_get_u32(tb[KORACLE_A_REASON]) : 0;
		return 0;
	default:
		return 0;	/* replies to other commands are not ours */
	}
}

static void collect_ack(void *arg, u32 seq, int error, const char *extack)
{
	struct ko_collect *s = arg;

	if (seq == s->start_seq && !s->start_answered) {
		s->start_answered = true;
		s->start_error = error;
		snprintf(s->start_extack, sizeof(s->start_extack), "%s", extack);
	} else if (s->stop_sent && seq == s->stop_seq && !s->stop_answered) {
		s->stop_answered = true;
		s->stop_error = error;
		snprintf(s->stop_extack, sizeof(s->stop_extack), "%s", extack);
	}
}

const struct ko_genl_ops ko_collect_rx_ops = {
	.msg = collect_msg,
	.ack = collect_ack,
};
