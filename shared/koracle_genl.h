/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Generic netlink family "koracle" (version KORACLE_GENL_VERSION): the
 * module's user API for collection and statistics. Shared by the module and
 * the CLI; userspace resolves the family by name.
 *
 * Commands (user -> kernel):
 *
 *   KORACLE_CMD_START      CAP_PERFMON or CAP_SYS_ADMIN, from the initial
 *                          network namespace (else -EPERM). Start a
 *                          collection session whose events go to the
 *                          sender's port. One session at a
 *                          time: -EBUSY if another port holds it.
 *                          Optional: KORACLE_A_BATCH_RECORDS (u32) records per
 *                          message (default and max KORACLE_BATCH_MAX).
 *   KORACLE_CMD_STOP       as START. End the session; the kernel sends the
 *                          remaining records, then KORACLE_CMD_END.
 *   KORACLE_CMD_GET_STATS  Anyone. Reply (same command) with:
 *                            KORACLE_A_EVENTS   (u64) records produced
 *                            KORACLE_A_DROPPED  (u64) records lost
 *                            KORACLE_A_SENT     (u64) records delivered
 *                            KORACLE_A_COLLECTING (u8) 1 if a session runs
 *                            KORACLE_A_NCPUS    (u32) nr_cpu_ids
 *                            KORACLE_A_RING_RECORDS (u32) ring size per CPU
 *
 * Messages (kernel -> the session's port, unicast):
 *
 *   KORACLE_CMD_EVENTS     One batch from one CPU's ring:
 *                            KORACLE_A_CPU      (u32)
 *                            KORACLE_A_SEQ      (u32) per-CPU batch sequence,
 *                                               0, 1, 2, ... without holes
 *                            KORACLE_A_LOST     (u32) records of this CPU lost
 *                                               since the previous batch
 *                            KORACLE_A_RECORDS  (binary) N * struct koracle_rec
 *   KORACLE_CMD_END        The session ended:
 *                            KORACLE_A_REASON   (u32) enum koracle_end_reason
 *
 * Delivery: batches are sent without blocking. When the collector's receive
 * buffer is full the batch stays in the ring and is retried a few ms later;
 * only a full ring loses records, and the next batch of that CPU reports them
 * in KORACLE_A_LOST (a batch may carry no records, only LOST). Each failed
 * send also flags ENOBUFS on the receiving socket: collectors set
 * NETLINK_NO_ENOBUFS (or treat ENOBUFS as "keep reading") and a large
 * SO_RCVBUF(FORCE). STOP and enabled=0 end the session asynchronously: the
 * ack of STOP can arrive before the last batches, which are followed by
 * END. On unload the module waits up to ~3 s for a full socket, then drops
 * what is left (reported as LOST) so that END(UNLOAD) still arrives. A closed
 * socket ends the session silently.
 */
#ifndef KORACLE_GENL_H
#define KORACLE_GENL_H

#define KORACLE_GENL_NAME	"koracle"
#define KORACLE_GENL_VERSION	1
#define KORACLE_BATCH_MAX	56	/* records per message: fits NLMSG_GOODSIZE */

enum koracle_genl_cmd {
	KORACLE_CMD_UNSPEC,
	KORACLE_CMD_START,
	KORACLE_CMD_STOP,
	KORACLE_CMD_GET_STATS,
	KORACLE_CMD_EVENTS,
	KORACLE_CMD_END,
	__KORACLE_CMD_MAX,
};

#define KORACLE_CMD_MAX (__KORACLE_CMD_MAX - 1)

enum koracle_genl_attr {
	KORACLE_A_UNSPEC,
	KORACLE_A_CPU,
	KORACLE_A_SEQ,
	KORACLE_A_LOST,
	KORACLE_A_RECORDS,
	KORACLE_A_REASON,
	KORACLE_A_EVENTS,
	KORACLE_A_DROPPED,
	KORACLE_A_SENT,
	KORACLE_A_COLLECTING,
	KORACLE_A_NCPUS,
	KORACLE_A_RING_RECORDS,
	KORACLE_A_BATCH_RECORDS,
	KORACLE_A_PAD,
	__KORACLE_A_MAX,
};

#define KORACLE_A_MAX (__KORACLE_A_MAX - 1)

enum koracle_end_reason {
	KORACLE_END_STOPPED	= 1,	/* KORACLE_CMD_STOP */
	KORACLE_END_UNLOAD	= 2,	/* module is being removed */
	KORACLE_END_DISABLED	= 3,	/* enabled set to 0 */
};

#endif /* KORACLE_GENL_H */
