// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU event streams.
 *
 * Everything that changes CPU c's state is an event of c's stream, also
 * when it runs on another CPU (a wakeup targeting c runs on the waker's
 * CPU). Producers serialize on c's own leaf raw spinlock, "c's stream lock",
 * and in that critical section timestamp the event, feed it to c's
 * predictor (predict.c) and, while a session runs, append it to c's ring
 * (ring.c): the order of c's ring is the order in which c's state changed
 * (DESIGN.md, "Exact replay"), and the predictor sees exactly the ring's
 * records, so a collected trace replays bit for bit. The lock is a leaf:
 * nothing else is taken under it, and it is taken under the scheduler's rq
 * lock, never the other way round. Whatever else reads or resets what it
 * protects (next_pid, a reset, the cost histograms) goes through
 * koracle_stream_call().
 *
 * Opening a session resets c's predictor and opens c's ring in one
 * critical section: the first record of c's stream is the first event the
 * fresh predictor saw. Rings exist only while a session does: one per
 * online CPU at open, one more for a CPU that comes online meanwhile (CPU
 * hotplug callback), all freed once the session is over. A CPU that goes
 * offline keeps its ring until then (its records are still delivered).
 *
 * Timestamps are local_clock() of the writing CPU, which need not agree with
 * the other CPUs' clocks; where skew would make a stream's time go backwards,
 * the event gets its predecessor's time instead, so @ts_ns never decreases
 * within a stream (the order, not the clock, is the ground truth).
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/spinlock.h>

#include "koracle.h"
#include "features.h"

struct koracle_stream {
	raw_spinlock_t lock;	/* the stream lock */
	u64 last_ts;		/* ns, newest event's @ts_ns; @lock */
};

static DEFINE_PER_CPU_SHARED_ALIGNED(struct koracle_stream, koracle_streams);

/*
 * Serializes allocating and freeing rings (session start and end, CPU
 * hotplug). @koracle_rings_live: a session has rings; @koracle_producing:
 * its rings take records (cleared first when it ends, read under each
 * stream lock by a CPU coming online).
 */
static DEFINE_MUTEX(koracle_rings_lock);
static bool koracle_rings_live;
static bool koracle_producing;
static enum cpuhp_state koracle_stream_hp_state;

static inline struct koracle_stream *koracle_stream(unsigned int cpu)
{
	return per_cpu_ptr(&koracle_streams, cpu);
}

/*
 * Feed @e to @cpu's stream: timestamp it, apply it to @cpu's predictor
 * (which fills a SWITCH's prediction fields), and append it to the ring if
 * a session runs. Called from the probes: irqs may be on or off, the rq lock
 * may be held.
 */
void koracle_stream_put(unsigned int cpu, struct koracle_event *e)
{
	struct koracle_stream *s;
	unsigned long flags;

	/* a probe may not print under the rq lock: no WARN here */
	if (unlikely(cpu >= nr_cpu_ids))
		return;
	s = koracle_stream(cpu);
	e->cpu = cpu;

	raw_spin_lock_irqsave(&s->lock, flags);
	e->ts_ns = max(local_clock(), s->last_ts);
	s->last_ts = e->ts_ns;
	koracle_predict_event(cpu, e);
	koracle_ring_append(cpu, e);
	raw_spin_unlock_irqrestore(&s->lock, flags);
}

/* Under @cpu's stream lock: the stream's clock now, ns (never decreases). */
u64 koracle_stream_now(unsigned int cpu)
{
	struct koracle_stream *s = koracle_stream(cpu);

	lockdep_assert_held(&s->lock);
	return max(local_clock(), s->last_ts);
}

/* Run @fn(@cpu, @arg) under @cpu's stream lock (irqs off). */
void koracle_stream_call(unsigned int cpu, void (*fn)(unsigned int, void *),
			 void *arg)
{
	struct koracle_stream *s = koracle_stream(cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&s->lock, flags);
	fn(cpu, arg);
	raw_spin_unlock_irqrestore(&s->lock, flags);
}

/*
 * Open @cpu's ring: discard anything left in it, restart the CPU's
 * predictor, and take records if the session still produces.
 */
static void koracle_stream_start_fn(unsigned int cpu, void *arg)
{
	koracle_ring_reset(cpu);
	koracle_predict_reset(cpu);
	koracle_ring_set_open(cpu, READ_ONCE(koracle_producing));
}

static void koracle_stream_free_locked(void)
{
	unsigned int cpu;

	lockdep_assert_held(&koracle_rings_lock);
	koracle_rings_live = false;
	for_each_possible_cpu(cpu)
		koracle_ring_free(cpu);
}

/*
 * Start a session: a ring for every online CPU, each opened fresh. Called
 * with producing stopped (every ring closed), so the consumer side is idle.
 * -ENOMEM if a ring cannot be allocated.
 */
int koracle_stream_open(void)
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
		koracle_stream_call(cpu, koracle_stream_start_fn, NULL);
	goto out_unlock;

err_free:
	koracle_stream_free_locked();
out_unlock:
	mutex_unlock(&koracle_rings_lock);
	cpus_read_unlock();
	return ret;
}

/*
 * A CPU comes online: during a session it gets a ring of its own, opened
 * fresh. One that was online before in this session still has its ring,
 * open, and its stream simply goes on.
 */
static int koracle_stream_cpu_online(unsigned int cpu)
{
	int ret = 0;

	mutex_lock(&koracle_rings_lock);
	if (koracle_rings_live && !koracle_ring_allocated(cpu)) {
		ret = koracle_ring_alloc(cpu);
		if (!ret)
			koracle_stream_call(cpu, koracle_stream_start_fn, NULL);
	}
	mutex_unlock(&koracle_rings_lock);
	return ret;
}

static void koracle_stream_close_fn(unsigned int cpu, void *arg)
{
	koracle_ring_set_open(cpu, false);
}

/*
 * Stop producing. Once a CPU's ring is closed under its stream lock no
 * producer appends to it any more: afterwards the rings only shrink. Does
 * not sleep (the netlink notifier calls it too).
 */
void koracle_stream_close(void)
{
	unsigned int cpu;

	WRITE_ONCE(koracle_producing, false);
	for_each_possible_cpu(cpu)
		koracle_stream_call(cpu, koracle_stream_close_fn, NULL);
}

/* The session is over and its rings drained or discarded: free them. */
void koracle_stream_free(void)
{
	koracle_stream_close();
	mutex_lock(&koracle_rings_lock);
	koracle_stream_free_locked();
	mutex_unlock(&koracle_rings_lock);
}

static void koracle_stream_discard_fn(unsigned int cpu, void *arg)
{
	koracle_ring_discard(cpu, *(bool *)arg);
}

/*
 * Consumer: throw away everything queued in @cpu's ring, e.g. when the
 * collector is gone. With @count_as_dropped the records are added to the
 * drop counter (produced for a live session but never delivered).
 */
void koracle_stream_discard(unsigned int cpu, bool count_as_dropped)
{
	koracle_stream_call(cpu, koracle_stream_discard_fn, &count_as_dropped);
}

static void koracle_stream_reset_fn(unsigned int cpu, void *arg)
{
	koracle_predict_reset(cpu);
}

/* Restart every CPU's predictor (enabled changed). */
void koracle_stream_reset_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		koracle_stream_call(cpu, koracle_stream_reset_fn, NULL);
}

static void koracle_stream_zero_fn(unsigned int cpu, void *arg)
{
	koracle_predict_zero(cpu);
	koracle_latency_zero(cpu, KORACLE_LAT_STEP);
}

/*
 * A new model: compare it and the selector from here on, on equal terms
 * (the counters and the gate), and time its steps afresh.
 */
void koracle_stream_new_model(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		koracle_stream_call(cpu, koracle_stream_zero_fn, NULL);
}

struct koracle_stream_peek {
	struct koracle_feat snap;	/* the list as it stands */
	s32 pid;
};

static void koracle_stream_peek_fn(unsigned int cpu, void *arg)
{
	struct koracle_stream_peek *pk = arg;

	pk->pid = koracle_predict_peek(cpu, koracle_stream_now(cpu),
				       &pk->snap);
}

/*
 * @cpu's prediction as it stands now, -1 none: formed under the stream lock
 * from every event so far. The snapshot, about 250 bytes, lives on the
 * caller's stack, never the scheduler's.
 */
s32 koracle_stream_next_pid(unsigned int cpu)
{
	struct koracle_stream_peek pk;

	koracle_stream_call(cpu, koracle_stream_peek_fn, &pk);
	return pk.pid;
}

void koracle_stream_exit(void)
{
	cpuhp_remove_state_nocalls(koracle_stream_hp_state);
	koracle_stream_free();
}

int koracle_stream_init(void)
{
	unsigned int cpu;
	int ret;

	for_each_possible_cpu(cpu) {
		struct koracle_stream *s = koracle_stream(cpu);

		raw_spin_lock_init(&s->lock);
		s->last_ts = 0;
	}
	koracle_rings_live = false;
	koracle_producing = false;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "koracle:stream",
					koracle_stream_cpu_online, NULL);
	if (ret < 0)
		return ret;
	koracle_stream_hp_state = ret;
	return 0;
}
