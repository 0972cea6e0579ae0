// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU event streams and their rings.
 *
 * Each possible CPU c owns one ring of koracle_ring_records fixed-size
 * records (struct koracle_rec, already little endian). Everything that
 * changes c's state is appended to c's ring, also when the event runs on
 * another CPU (a wakeup targeting c runs on the waker's CPU). Producers
 * therefore serialize on c's own leaf raw spinlock and write the record and
 * publish it (release store of @head) inside that critical section: the order
 * of c's ring is the order in which c's state changed (DESIGN.md, "Exact
 * replay"). The lock is a leaf: nothing else is taken under it, and it is
 * taken under the scheduler's rq lock, never the other way round.
 *
 * The same critical section feeds the event to c's feature encoder and
 * predictor (predict.c), before the record is written, whether or not a
 * session runs: the encoder sees exactly the records of c's ring, in ring
 * order, with the same timestamps, so a collected trace replays bit for bit.
 * The lock is therefore "c's stream lock"; predict.c and model.c take it
 * through koracle_ring_call() to reset or read what it protects.
 *
 * Producing is switched per CPU (@open, under the lock), so that opening a
 * session can reset c's encoder and open c's ring in one critical section:
 * the first record of c's stream is the first event the fresh encoder saw.
 *
 * Rings exist only while a session does: koracle_ring_open() allocates one
 * per online CPU, a CPU that comes online during the session gets its own
 * (CPU hotplug callback) and opens it the same way, and koracle_ring_free()
 * releases them all once the session is over. An idle module holds no ring.
 * A CPU that goes offline keeps its ring until then (its records are still
 * delivered).
 *
 * The only consumer is the genl worker. It reads without the lock: acquire
 * load of @head, copy, release store of @tail. A full ring drops the new
 * record and counts it; producers never wait for the consumer.
 *
 * Timestamps are local_clock() of the writing CPU, which need not agree with
 * the other CPUs' clocks; where skew would make a stream's time go backwards,
 * the record gets its predecessor's time instead, so @ts_ns never decreases
 * within a stream (the order, not the clock, is the ground truth).
 *
 * @head and @tail are free-running u32 counters; @head - @tail is the fill
 * level (at most koracle_ring_records <= 2^20, so no ambiguity on wrap).
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "koracle.h"

#define KORACLE_RING_MIN	16		/* records; the loss tests use it */
#define KORACLE_RING_MAX	1048576U	/* records; 64 MiB per CPU */
#define KORACLE_RING_DEFAULT	65536U		/* records; 4 MiB per CPU */

unsigned int koracle_ring_records = KORACLE_RING_DEFAULT;
module_param_named(ring_records, koracle_ring_records, uint, 0444);
MODULE_PARM_DESC(ring_records,
		 "records per CPU ring, power of two in [16, 1048576] (default 65536)");

struct koracle_ring {
	raw_spinlock_t lock;	/* serializes producers of this CPU's stream */
	u32 head;		/* records published (free-running); @lock */
	u32 tail;		/* records consumed (free-running); consumer */
	/* written under @lock, read locklessly: WRITE_ONCE/READ_ONCE */
	u64 events;		/* records written since load */
	u64 dropped;		/* records lost since load (full ring) */
	u64 last_ts;		/* ns, newest event's @ts_ns; @lock */
	bool open;		/* a session takes records; @lock */
	/* [koracle_ring_records] while a session has rings, else NULL */
	struct koracle_rec *recs;
};

static DEFINE_PER_CPU_SHARED_ALIGNED(struct koracle_ring, koracle_rings);

/*
 * Serializes allocating and freeing rings (session start and end, CPU
 * hotplug). @koracle_rings_live: a session has rings; @koracle_producing:
 * its rings take records (cleared first when it ends, read under each
 * ring's lock by a CPU coming online).
 */
static DEFINE_MUTEX(koracle_rings_lock);
static bool koracle_rings_live;
static bool koracle_producing;
static enum cpuhp_state koracle_ring_hp_state;

static inline struct koracle_ring *koracle_ring(unsigned int cpu)
{
	return per_cpu_ptr(&koracle_rings, cpu);
}

/*
 * Feed @e to @cpu's stream: timestamp it, apply it to @cpu's encoder and
 * predictor (which fill a SWITCH's prediction fields), and append it to the
 * ring if a session runs. Called from the probes: irqs may be on or off, the
 * rq lock may be held. @e->ts_ns is taken under the lock so that each
 * stream's timestamps follow its order.
 */
void koracle_ring_put(unsigned int cpu, struct koracle_event *e)
{
	struct koracle_ring *r;
	unsigned long flags;
	u32 head, tail;

	/* a probe may not print under the rq lock: no WARN here */
	if (unlikely(cpu >= nr_cpu_ids))
		return;
	r = koracle_ring(cpu);
	e->cpu = cpu;

	raw_spin_lock_irqsave(&r->lock, flags);
	e->ts_ns = max(local_clock(), r->last_ts);
	r->last_ts = e->ts_ns;
	koracle_predict_event(cpu, e);
	if (!r->open)
		goto out_unlock;
	head = r->head;
	/* Pairs with the consumer's release of @tail: its reads are done. */
	tail = smp_load_acquire(&r->tail);
	if (head - tail >= koracle_ring_records) {
		WRITE_ONCE(r->dropped, r->dropped + 1);
	} else {
		koracle_rec_encode(&r->recs[head & (koracle_ring_records - 1)],
				   e);
		/* Pairs with koracle_ring_avail(): the record is complete. */
		smp_store_release(&r->head, head + 1);
		WRITE_ONCE(r->events, r->events + 1);
	}
out_unlock:
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

u64 koracle_ring_now(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);

	lockdep_assert_held(&r->lock);
	return max(local_clock(), r->last_ts);
}

/* Run @fn(@cpu, @arg) under @cpu's stream lock (irqs off). */
void koracle_ring_call(unsigned int cpu, void (*fn)(unsigned int, void *),
		       void *arg)
{
	struct koracle_ring *r = koracle_ring(cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	fn(cpu, arg);
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

/*
 * Open @cpu's ring: discard anything left in it, restart the CPU's encoder
 * and model state, and take records if the session still produces, all in
 * one critical section.
 */
static void koracle_ring_start(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&r->lock, flags);
	/* As in consume(): the slots may be reused. */
	smp_store_release(&r->tail, r->head);
	koracle_predict_reset(cpu);
	r->open = READ_ONCE(koracle_producing);
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

static int koracle_ring_alloc(unsigned int cpu)
{
	struct koracle_ring *r = koracle_ring(cpu);

	lockdep_assert_held(&koracle_rings_lock);
	if (r->recs)
		return 0;
	/* the producers never touch @recs while @open is false */
	r->recs = vzalloc_node(array_size(koracle_ring_records,
					  sizeof(*r->recs)),
			       cpu_to_node(cpu));
	return r->recs ? 0 : -ENOMEM;
}

/* Free every ring; producing has stopped (koracle_ring_close()). */
static void koracle_ring_free_locked(void)
{
	unsigned int cpu;

	lockdep_assert_held(&koracle_rings_lock);
	koracle_rings_live = false;
	for_each_possible_cpu(cpu) {
		struct koracle_ring *r = koracle_ring(cpu);

		vfree(r->recs);
		r->recs = NULL;
	}
}

/*
 * Start producing: a ring for every online CPU, each opened fresh. Called
 * with the session lock held and producers stopped (every @open false), so
 * the consumer side is idle. -ENOMEM if a ring cannot be allocated.
 */
int koracle_ring_open(void)
{
	unsigned int cpu;
	int ret = 0;

	cpus_read_lock();
	mutex_lock(&koracle_rings_lock);
	for_each_online_cpu(cpu) {
		ret = koracle_ring_alloc(cpu);
		if (ret)
			goto err_free;
	}
	koracle_rings_live = true;
	WRITE_ONCE(koracle_producing, true);
	for_each_online_cpu(cpu)
		koracle_ring_start(cpu);
	goto out_unlock;

err_free:
	koracle_ring_free_locked();
out_unlock:
	mutex_unlock(&koracle_rings_lock);
	cpus_read_unlock();
	return ret;
}

/* A CPU comes online: during a session it gets a ring of its own. */
static int koracle_ring_cpu_online(unsigned int cpu)
{
	int ret = 0;

	mutex_lock(&koracle_rings_lock);
	if (koracle_rings_live) {
		ret = koracle_ring_alloc(cpu);
		if (!ret)
			koracle_ring_start(cpu);
	}
	mutex_unlock(&koracle_rings_lock);
	return ret;
}

/*
 * Stop producing. Once a CPU's @open is cleared under its lock no producer
 * appends to that ring any more: afterwards the rings only shrink. Does not
 * sleep (the netlink notifier calls it too).
 */
void koracle_ring_close(void)
{
	unsigned long flags;
	unsigned int cpu;

	WRITE_ONCE(koracle_producing, false);
	for_each_possible_cpu(cpu) {
		struct koracle_ring *r = koracle_ring(cpu);

		raw_spin_lock_irqsave(&r->lock, flags);
		r->open = false;
		raw_spin_unlock_irqrestore(&r->lock, flags);
	}
}

/* The session is over and its rings drained or discarded: free them. */
void koracle_ring_free(void)
{
	koracle_ring_close();
	mutex_lock(&koracle_rings_lock);
	koracle_ring_free_locked();
	mutex_unlock(&koracle_rings_lock);
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

/*
 * Consumer: throw away everything queued, e.g. when the collector is gone.
 * With @count_as_dropped the records are added to the drop counter (they
 * were produced for a live session but could not be delivered).
 */
void koracle_ring_discard(unsigned int cpu, bool count_as_dropped)
{
	struct koracle_ring *r = koracle_ring(cpu);
	unsigned long flags;
	u32 head;

	raw_spin_lock_irqsave(&r->lock, flags);
	head = r->head;
	if (count_as_dropped)
		WRITE_ONCE(r->dropped, r->dropped + (head - r->tail));
	/* As in consume(): the slots may be reused. */
	smp_store_release(&r->tail, head);
	raw_spin_unlock_irqrestore(&r->lock, flags);
}

u64 koracle_ring_events(unsigned int cpu)
{
	return READ_ONCE(koracle_ring(cpu)->events);
}

u64 koracle_ring_dropped(unsigned int cpu)
{
	return READ_ONCE(koracle_ring(cpu)->dropped);
}

void koracle_ring_exit(void)
{
	cpuhp_remove_state_nocalls(koracle_ring_hp_state);
	koracle_ring_free();
}

int koracle_ring_init(void)
{
	unsigned int cpu;
	int ret;

	BUILD_BUG_ON(sizeof(struct koracle_rec) != KORACLE_REC_SIZE);
	BUILD_BUG_ON(!is_power_of_2(KORACLE_RING_DEFAULT));

	if (koracle_ring_records < KORACLE_RING_MIN ||
	    koracle_ring_records > KORACLE_RING_MAX ||
	    !is_power_of_2(koracle_ring_records)) {
		pr_err("ring_records=%u: must be a power of two in [%u, %u]\n",
		       koracle_ring_records, KORACLE_RING_MIN, KORACLE_RING_MAX);
		return -EINVAL;
	}

	for_each_possible_cpu(cpu) {
		struct koracle_ring *r = koracle_ring(cpu);

		raw_spin_lock_init(&r->lock);
		r->head = 0;
		r->tail = 0;
		r->events = 0;
		r->dropped = 0;
		r->last_ts = 0;
		r->open = false;
		r->recs = NULL;
	}
	koracle_rings_live = false;
	koracle_producing = false;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "koracle:ring",
					koracle_ring_cpu_online, NULL);
	if (ret < 0)
		return ret;
	koracle_ring_hp_state = ret;
	return 0;
}
