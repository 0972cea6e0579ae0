// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU event rings: the buffer between a CPU's stream (stream.c) and the
 * netlink worker (genl.c), while a collection session runs.
 *
 * CPU c's ring holds koracle_ring_records fixed-size records (struct
 * koracle_rec, already little endian). The producer side, everything but
 * the lockless readers below, runs under c's stream lock: the record is
 * written and published (release store of @head) inside the critical
 * section that applied the event, so the ring's order is the stream's.
 *
 * The only consumer is the genl worker. It reads without the lock: acquire
 * load of @head, copy, release store of @tail. A full ring drops the new
 * record and counts it; producers never wait for the consumer.
 *
 * @head and @tail are free-running u32 counters; @head - @tail is the fill
 * level (at most koracle_ring_records <= 2^20, so no ambiguity on wrap).
 */
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "koracle.h"

#define KORACLE_RING_MIN	16		/* records; the loss tests use it */
#define KORACLE_RING_MAX	1048576U	/* records; 64 MiB per CPU */
#define KORACLE_RING_DEFAULT	65536U		/* records; 4 MiB per CPU */

unsigned int koracle_ring_records = KORACLE_RING_DEFAULT;
module_param_named(ring_records, koracle_ring_records, uint, 0444);
MODULE_PARM_DESC(ring_records,
		 "records per CPU ring while collecting, power of two in [16, 1048576] (default 65536)");

struct koracle_ring {
	u32 head;		/* records published (free-running); producer */
	u32 tail;		/* records consumed (free-running); consumer */
	/* written by the producer, read locklessly: WRITE_ONCE/READ_ONCE */
	u64 events;		/* records written since load */
	u64 dropped;		/* records lost since load (full ring) */
	bool open;		/* a session takes records; producer */
	/* [koracle_ring_records] while a session has rings, else NULL */
	struct koracle_rec *recs;
};

static DEFINE_PER_CPU_SHARED_ALIGNED(struct koracle_ring, koracle_rings);

static inline struct koracle_ring *koracle_ring(unsigned int cpu)
{
	return per_cpu_ptr(&koracle_rings, cpu);
}

/* Producer: append @e to @cpu's ring if it is open; drop it if full. */
void koracle_ring_append(unsigned int cpu, const struct koracle_event *e)
{
	struct koracle_ring *r = koracle_ring(cpu);
	u32 head, tail;

	if (!r->open)
		return;
	head = r->head;
	/* Pairs with the consumer's release of @tail: its reads are done. */
	tail = smp_load_acquire(&r->tail);
	if (head - tail >= koracle_ring_records) {
		WRITE_ONCE(r->dropped, r->dropped + 1);
		return;
	}
	koracle_rec_encode(&r->recs[head & (koracle_ring_records - 1)], e);
	/* Pairs with koracle_ring_avail(): the record is complete. */
	smp_store_release(&r->head, head + 1);
	WRITE_ONCE(r->events, r->events + 1);
}

/* Producer: forget what the ring holds, without counting it. */
void koracle_ring_reset(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);

	/* As in consume(): the slots may be reused. */
	smp_store_release(&r->tail, r->head);
}

/* Producer: take records (@open, only with a ring) or stop taking them. */
void koracle_ring_set_open(unsigned int cpu, bool open)
{
	struct koracle_ring *r = koracle_ring(cpu);

	r->open = open && r->recs;
}

/* Producer: throw away what is queued, counting it as dropped if asked. */
void koracle_ring_discard(unsigned int cpu, bool count_as_dropped)
{
	struct koracle_ring *r = koracle_ring(cpu);
	u32 head = r->head;

	if (count_as_dropped)
		WRITE_ONCE(r->dropped, r->dropped + (head - r->tail));
	/* As in consume(): the slots may be reused. */
	smp_store_release(&r->tail, head);
}

/* Process context (the stream's ring lock): @cpu has a ring. */
bool koracle_ring_allocated(unsigned int cpu)
{
	return koracle_ring(cpu)->recs;
}

/* Process context, with the ring closed: give @cpu a ring if it has none. */
int koracle_ring_alloc(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);

	if (r->recs)
		return 0;
	r->recs = vzalloc_node(array_size(koracle_ring_records,
					  sizeof(*r->recs)),
			       cpu_to_node(cpu));
	return r->recs ? 0 : -ENOMEM;
}

/* Process context, with the ring closed: the producers never touch it. */
void koracle_ring_free(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);

	vfree(r->recs);
	r->recs = NULL;
}

/* Consumer: records ready in @cpu's ring. */
unsigned int koracle_ring_avail(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);

	/* Pairs with the producer's release of @head: records are complete. */
	return smp_load_acquire(&r->head) - r->tail;
}

/* Consumer: copy the oldest @n records (n <= avail) without consuming. */
void koracle_ring_copy(unsigned int cpu, struct koracle_rec *dst,
		       unsigned int n)
{
	struct koracle_ring *r = koracle_ring(cpu);
	u32 mask = koracle_ring_records - 1;
	u32 start = r->tail & mask;
	u32 first = min_t(u32, n, koracle_ring_records - start);

	memcpy(dst, &r->recs[start], first * sizeof(*dst));
	memcpy(dst + first, r->recs, (n - first) * sizeof(*dst));
}

/* Consumer: release the oldest @n records to the producers. */
void koracle_ring_consume(unsigned int cpu, unsigned int n)
{
	struct koracle_ring *r = koracle_ring(cpu);

	if (WARN_ON_ONCE(n > koracle_ring_avail(cpu)))
		n = koracle_ring_avail(cpu);
	/* Pairs with the producer's acquire: the slots are read, reuse them. */
	smp_store_release(&r->tail, r->tail + n);
}

u64 koracle_ring_events(unsigned int cpu)
{
	return READ_ONCE(koracle_ring(cpu)->events);
}

u64 koracle_ring_dropped(unsigned int cpu)
{
	return READ_ONCE(koracle_ring(cpu)->dropped);
}

/* Checks the ring_records parameter; rings come with sessions (stream.c). */
int koracle_ring_init(void)
{
	unsigned int cpu;

	BUILD_BUG_ON(sizeof(struct koracle_rec) != KORACLE_REC_SIZE);
	BUILD_BUG_ON(!is_power_of_2(KORACLE_RING_DEFAULT));

	if (koracle_ring_records < KORACLE_RING_MIN ||
	    koracle_ring_records > KORACLE_RING_MAX ||
	    !is_power_of_2(koracle_ring_records)) {
		pr_err("ring_records=%u: must be a power of two in [%u, %u]\n",
		       koracle_ring_records, KORACLE_RING_MIN, KORACLE_RING_MAX);
		return -EINVAL;
	}
	for_each_possible_cpu(cpu)
		memset(koracle_ring(cpu), 0, sizeof(struct koracle_ring));
	return 0;
}
