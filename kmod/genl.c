// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "koracle" (shared/koracle_genl.h documents every
 * command and attribute) and the collection session it controls.
 *
 * One session at a time, bound to the port of the sender of
 * KORACLE_CMD_START (CAP_PERFMON or CAP_SYS_ADMIN, initial network
 * namespace: koracle_may_collect()). While it runs the probes fill
 * the rings, and a worker (delayed work, every KORACLE_WORKER_MS; the probes
 * never queue or wake it) drains them into KORACLE_CMD_EVENTS batches sent
 * with non-blocking unicast.
 *
 * Backpressure: when the collector's socket is full (-EAGAIN, -ENOBUFS) or an
 * skb cannot be allocated, the batch stays in the ring and is retried on the
 * next tick; the ring then fills and the producers count drops, which the
 * next delivered batch reports in KORACLE_A_LOST. Sequence numbers only
 * advance on delivery, so they are contiguous. A port that is gone
 * (-ECONNREFUSED, or NETLINK_URELEASE for it) ends the session at once.
 *
 * Ending a session (STOP, enabled=0, unload) stops the producers at once; the
 * worker then sends what the rings still hold and KORACLE_CMD_END with the
 * reason (unload does the same synchronously, waiting a bounded time for a
 * full socket). STOP returns before END is sent: its handler runs in the
 * collector's own sendmsg(), so it must never wait for the collector.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "koracle.h"
#include "koracle_genl.h"

#define KORACLE_WORKER_MS		4	/* ms between drains (>= 1 jiffy) */
#define KORACLE_FLUSH_TIMEOUT_MS	2000	/* ms unload waits for a full socket */
#define KORACLE_END_TIMEOUT_MS		1000	/* ms more, for LOST batches + END */

static const struct nla_policy koracle_genl_policy[KORACLE_A_MAX + 1] = {
	[KORACLE_A_BATCH_RECORDS] = NLA_POLICY_RANGE(NLA_U32, 1,
						     KORACLE_BATCH_MAX),
};

/* Per-CPU delivery state; only touched with koracle_session_lock held. */
struct koracle_tx {
	u32 seq;		/* next KORACLE_A_SEQ for this CPU */
	u64 reported;		/* ring drop count already sent as LOST */
};

static DEFINE_PER_CPU(struct koracle_tx, koracle_txs);

/* Session state, all under koracle_session_lock. */
static DEFINE_MUTEX(koracle_session_lock);
static bool koracle_active;		/* a session runs */
static bool koracle_port_gone;		/* NETLINK_URELEASE for its port */
static enum koracle_end_reason koracle_ending;	/* 0, or why it is ending */
static bool koracle_unloading;		/* no new sessions */
static bool koracle_enabled = true;	/* sysfs "enabled"; insmod parameter */
module_param_named(enabled, koracle_enabled, bool, 0444);
MODULE_PARM_DESC(enabled,
		 "attach the probes at load (default 1); /sys/kernel/koracle/enabled changes it later");
static struct net *koracle_net;		/* session's netns (reference held) */
static u32 koracle_portid;		/* session's netlink port */
static u32 koracle_batch;		/* records per EVENTS message */

static atomic64_t koracle_sent = ATOMIC64_INIT(0);	/* records delivered */

static void koracle_worker_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(koracle_worker, koracle_worker_fn);

static struct genl_family koracle_genl_family;

static bool koracle_send_failed_soft(int err)
{
	return err == -EAGAIN || err == -ENOBUFS || err == -ENOMEM;
}

/*
 * Send the oldest @n records of @cpu's ring and the drops not yet reported.
 * Consumes them only if the message was delivered.
 */
static int koracle_send_batch(unsigned int cpu, unsigned int n)
{
	struct koracle_tx *tx = per_cpu_ptr(&koracle_txs, cpu);
	u64 dropped = koracle_ring_dropped(cpu);
	u32 lost = (u32)min_t(u64, dropped - tx->reported, U32_MAX);
	size_t len = n * sizeof(struct koracle_rec);
	struct sk_buff *skb;
	struct nlattr *nla;
	void *hdr;
	int ret;

	skb = genlmsg_new(3 * nla_total_size(sizeof(u32)) + nla_total_size(len),
			  GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &koracle_genl_family, 0,
			  KORACLE_CMD_EVENTS);
	if (!hdr)
		goto err_size;
	if (nla_put_u32(skb, KORACLE_A_CPU, cpu) ||
	    nla_put_u32(skb, KORACLE_A_SEQ, tx->seq) ||
	    nla_put_u32(skb, KORACLE_A_LOST, lost))
		goto err_size;
	nla = nla_reserve(skb, KORACLE_A_RECORDS, len);
	if (!nla)
		goto err_size;
	koracle_ring_copy(cpu, nla_data(nla), n);
	genlmsg_end(skb, hdr);

	ret = genlmsg_unicast(koracle_net, skb, koracle_portid);
	if (ret)
		return ret;
	koracle_ring_consume(cpu, n);
	tx->seq++;
	tx->reported += lost;
	atomic64_add(n, &koracle_sent);
	return 0;

err_size:
	/* The size computed above always fits: a bug, not a runtime error. */
	WARN_ON_ONCE(1);
	nlmsg_free(skb);
	return -EMSGSIZE;
}

/*
 * Send up to @budget records of @cpu's ring (and any unreported loss).
 * Returns 0 when done, else the send error.
 */
static int koracle_drain_cpu(unsigned int cpu, unsigned int budget)
{
	struct koracle_tx *tx = per_cpu_ptr(&koracle_txs, cpu);
	unsigned int n;
	int ret;

	for (;;) {
		n = min3(koracle_ring_avail(cpu), koracle_batch, budget);
		if (!n && koracle_ring_dropped(cpu) == tx->reported)
			return 0;
		ret = koracle_send_batch(cpu, n);
		if (ret)
			return ret;
		budget -= n;
		if (!budget)
			return 0;
		cond_resched();
	}
}

static int koracle_send_end(enum koracle_end_reason reason)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &koracle_genl_family, 0, KORACLE_CMD_END);
	if (!hdr || nla_put_u32(skb, KORACLE_A_REASON, reason)) {
		WARN_ON_ONCE(1);
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_unicast(koracle_net, skb, koracle_portid);
}

/* Everything produced for the session was delivered, losses included. */
static bool koracle_drained(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (koracle_ring_avail(cpu) ||
		    koracle_ring_dropped(cpu) !=
		    per_cpu_ptr(&koracle_txs, cpu)->reported)
			return false;
	return true;
}

/* Release the session; what was not delivered counts as dropped. */
static void koracle_session_teardown(void)
{
	unsigned int cpu;

	lockdep_assert_held(&koracle_session_lock);
	koracle_stream_close();
	for_each_possible_cpu(cpu)
		koracle_stream_discard(cpu, true);
	koracle_stream_free();
	put_net(koracle_net);
	koracle_net = NULL;
	koracle_portid = 0;
	koracle_port_gone = false;
	koracle_ending = 0;
	WRITE_ONCE(koracle_active, false);
}

/*
 * Ask the worker to end the session: the producers stop now; the worker
 * delivers what the rings hold, then END(@reason). Never waits for the
 * collector, which may be the very task running this (STOP is handled in
 * its sendmsg()).
 */
static void koracle_session_end(enum koracle_end_reason reason)
{
	lockdep_assert_held(&koracle_session_lock);
	if (!koracle_active || koracle_ending)
		return;
	koracle_stream_close();
	koracle_ending = reason;
	mod_delayed_work(system_wq, &koracle_worker, 0);
}

/*
 * Deliver everything queued, then END; a full socket is retried until
 * @deadline (jiffies). Returns 0 or the last send error.
 */
static int koracle_flush(unsigned long deadline)
{
	unsigned int cpu;
	int ret;

	for (;;) {
		ret = 0;
		for_each_possible_cpu(cpu) {
			ret = koracle_drain_cpu(cpu, U32_MAX);
			if (ret)
				break;
		}
		if (!ret)
			ret = koracle_send_end(koracle_ending);
		if (!ret || !koracle_send_failed_soft(ret) ||
		    time_after(jiffies, deadline))
			return ret;
		usleep_range(1000, 2000);
	}
}

/*
 * Module unload: end the session synchronously (rmmod runs in another task,
 * so waiting for the collector to make room is safe), for a bounded time.
 * If the collector cannot take all records in time, the rest is dropped and
 * reported as LOST, so that END (and with it the news that the module is
 * going away) still reaches it.
 */
static void koracle_session_end_sync(enum koracle_end_reason reason)
{
	unsigned int cpu;
	int ret;

	lockdep_assert_held(&koracle_session_lock);
	if (!koracle_active)
		return;
	if (!koracle_ending)
		koracle_ending = reason;
	koracle_stream_close();
	if (koracle_port_gone)
		goto out_teardown;

	ret = koracle_flush(jiffies + msecs_to_jiffies(KORACLE_FLUSH_TIMEOUT_MS));
	if (ret && koracle_send_failed_soft(ret)) {
		for_each_possible_cpu(cpu)
			koracle_stream_discard(cpu, true);
		koracle_flush(jiffies + msecs_to_jiffies(KORACLE_END_TIMEOUT_MS));
	}
out_teardown:
	koracle_session_teardown();
}

/*
 * Every KORACLE_WORKER_MS while a session exists: deliver up to one ring's
 * worth per CPU. A full socket leaves the rest for the next tick; a vanished
 * port ends the session; an ending session sends END once all is delivered.
 */
static void koracle_worker_fn(struct work_struct *work)
{
	unsigned int cpu;
	int ret = 0;

	mutex_lock(&koracle_session_lock);
	if (!koracle_active)
		goto out_unlock;
	if (koracle_port_gone)
		goto out_teardown;

	for_each_possible_cpu(cpu) {
		ret = koracle_drain_cpu(cpu, koracle_ring_records);
		if (ret)
			break;
	}
	if (!ret && koracle_ending && koracle_drained()) {
		ret = koracle_send_end(koracle_ending);
		if (!ret)
			goto out_teardown;
	}
	/* Anything but a full socket or memory: the port is gone. */
	if (ret && !koracle_send_failed_soft(ret))
		goto out_teardown;

	schedule_delayed_work(&koracle_worker,
			      msecs_to_jiffies(KORACLE_WORKER_MS));
	goto out_unlock;

out_teardown:
	koracle_session_teardown();
out_unlock:
	mutex_unlock(&koracle_session_lock);
}

/*
 * A session streams every task's pid, name and vruntime system-wide: it
 * needs CAP_PERFMON or CAP_SYS_ADMIN, as perf does for system-wide tracing,
 * and the initial network namespace (the family is visible in every
 * namespace for GET_STATS).
 */
static int koracle_may_collect(struct genl_info *info)
{
	if (!net_eq(genl_info_net(info), &init_net)) {
		NL_SET_ERR_MSG(info->extack,
			       "collection only from the initial network namespace");
		return -EPERM;
	}
	if (!perfmon_capable()) {
		NL_SET_ERR_MSG(info->extack,
			       "collection needs CAP_PERFMON or CAP_SYS_ADMIN");
		return -EPERM;
	}
	return 0;
}

static int koracle_cmd_start(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *batch = info->attrs[KORACLE_A_BATCH_RECORDS];
	unsigned int cpu;
	int ret;

	ret = koracle_may_collect(info);
	if (ret)
		return ret;
	mutex_lock(&koracle_session_lock);
	if (koracle_unloading) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (!koracle_enabled) {
		NL_SET_ERR_MSG(info->extack,
			       "collection is disabled: /sys/kernel/koracle/enabled is 0");
		ret = -ENODEV;
		goto out_unlock;
	}
	if (koracle_active) {
		NL_SET_ERR_MSG(info->extack,
			       "another collection session is running or ending");
		ret = -EBUSY;
		goto out_unlock;
	}

	/* the drops so far are no session's: before any ring opens */
	for_each_possible_cpu(cpu) {
		struct koracle_tx *tx = per_cpu_ptr(&koracle_txs, cpu);

		tx->seq = 0;
		tx->reported = koracle_ring_dropped(cpu);
	}
	ret = koracle_stream_open();
	if (ret) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot allocate the per-CPU rings (ring_records)");
		goto out_unlock;
	}
	koracle_net = get_net(genl_info_net(info));
	koracle_portid = info->snd_portid;
	koracle_batch = batch ? nla_get_u32(batch) : KORACLE_BATCH_MAX;
	koracle_port_gone = false;
	koracle_ending = 0;
	WRITE_ONCE(koracle_active, true);
	schedule_delayed_work(&koracle_worker,
			      msecs_to_jiffies(KORACLE_WORKER_MS));
out_unlock:
	mutex_unlock(&koracle_session_lock);
	return ret;
}

static int koracle_cmd_stop(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	ret = koracle_may_collect(info);
	if (ret)
		return ret;
	mutex_lock(&koracle_session_lock);
	if (!koracle_active) {
		NL_SET_ERR_MSG(info->extack, "no collection session is running");
		ret = -ENOENT;
		goto out_unlock;
	}
	if (info->snd_portid != koracle_portid ||
	    !net_eq(genl_info_net(info), koracle_net)) {
		NL_SET_ERR_MSG(info->extack,
			       "the session belongs to another netlink socket");
		ret = -EBUSY;
		goto out_unlock;
	}
	koracle_session_end(KORACLE_END_STOPPED);
out_unlock:
	mutex_unlock(&koracle_session_lock);
	return ret;
}

static int koracle_cmd_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	u64 events = 0, dropped = 0;
	struct sk_buff *msg;
	unsigned int cpu;
	void *hdr;

	for_each_possible_cpu(cpu) {
		events += koracle_ring_events(cpu);
		dropped += koracle_ring_dropped(cpu);
	}

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &koracle_genl_family, 0,
				KORACLE_CMD_GET_STATS);
	if (!hdr)
		goto err_size;
	if (nla_put_u64_64bit(msg, KORACLE_A_EVENTS, events, KORACLE_A_PAD) ||
	    nla_put_u64_64bit(msg, KORACLE_A_DROPPED, dropped,
			      KORACLE_A_PAD) ||
	    nla_put_u64_64bit(msg, KORACLE_A_SENT,
			      atomic64_read(&koracle_sent), KORACLE_A_PAD) ||
	    nla_put_u8(msg, KORACLE_A_COLLECTING, READ_ONCE(koracle_active)) ||
	    nla_put_u32(msg, KORACLE_A_NCPUS, nr_cpu_ids) ||
	    nla_put_u32(msg, KORACLE_A_RING_RECORDS, koracle_ring_records))
		goto err_size;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_size:
	WARN_ON_ONCE(1);
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_small_ops koracle_genl_ops[] = {
	{
		/* koracle_may_collect() checks the privilege */
		.cmd = KORACLE_CMD_START,
		.doit = koracle_cmd_start,
	},
	{
		.cmd = KORACLE_CMD_STOP,
		.doit = koracle_cmd_stop,
	},
	{
		.cmd = KORACLE_CMD_GET_STATS,
		.doit = koracle_cmd_get_stats,
	},
};

static struct genl_family koracle_genl_family __ro_after_init = {
	.name = KORACLE_GENL_NAME,
	.version = KORACLE_GENL_VERSION,
	.maxattr = KORACLE_A_MAX,
	.policy = koracle_genl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = koracle_genl_ops,
	.n_small_ops = ARRAY_SIZE(koracle_genl_ops),
	.resv_start_op = 0,	/* every command strictly validated */
};

/* The collector's socket closed: end its session (from the worker). */
static int koracle_netlink_notify(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;

	mutex_lock(&koracle_session_lock);
	if (koracle_active && n->portid == koracle_portid &&
	    net_eq(n->net, koracle_net)) {
		koracle_port_gone = true;
		koracle_stream_close();
		mod_delayed_work(system_wq, &koracle_worker, 0);
	}
	mutex_unlock(&koracle_session_lock);
	return NOTIFY_DONE;
}

static struct notifier_block koracle_netlink_nb = {
	.notifier_call = koracle_netlink_notify,
};

bool koracle_genl_enabled(void)
{
	return READ_ONCE(koracle_enabled);
}

/*
 * enabled=0 ends the session and detaches the probes; enabled=1 restarts
 * every CPU's predictor, then attaches them, so nothing stale is published
 * and nothing that missed events predicts.
 */
int koracle_genl_set_enabled(bool on)
{
	int ret = 0;

	mutex_lock(&koracle_session_lock);
	if (on == koracle_enabled)
		goto out_unlock;
	if (on) {
		koracle_stream_reset_all();
		ret = koracle_hooks_attach();
		if (ret)
			goto out_unlock;
		WRITE_ONCE(koracle_enabled, true);
	} else {
		WRITE_ONCE(koracle_enabled, false);
		koracle_session_end(KORACLE_END_DISABLED);
		koracle_hooks_detach();
		koracle_stream_reset_all();
	}
out_unlock:
	mutex_unlock(&koracle_session_lock);
	return ret;
}

/* The last step of loading: attach the probes if enabled at insmod. */
int koracle_genl_start(void)
{
	int ret = 0;

	mutex_lock(&koracle_session_lock);
	if (koracle_enabled)
		ret = koracle_hooks_attach();
	mutex_unlock(&koracle_session_lock);
	return ret;
}

int koracle_genl_init(void)
{
	int ret;

	koracle_unloading = false;
	ret = netlink_register_notifier(&koracle_netlink_nb);
	if (ret)
		return ret;
	ret = genl_register_family(&koracle_genl_family);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	netlink_unregister_notifier(&koracle_netlink_nb);
	return ret;
}

void koracle_genl_exit(void)
{
	mutex_lock(&koracle_session_lock);
	koracle_unloading = true;
	koracle_session_end_sync(KORACLE_END_UNLOAD);
	mutex_unlock(&koracle_session_lock);

	genl_unregister_family(&koracle_genl_family);
	netlink_unregister_notifier(&koracle_netlink_nb);
	/* The worker sees no session and does not re-arm itself. */
	cancel_delayed_work_sync(&koracle_worker);
}
