/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * koracle collect, receive side: turns the module's EVENTS batches into trace
 * records and keeps the session's accounting (records, losses, per-CPU batch
 * sequence gaps), and records the kernel's answers to START and STOP.
 */
#ifndef KO_COLLECT_RX_H
#define KO_COLLECT_RX_H

#include "genl_client.h"
#include "trace_io.h"

struct ko_collect_cpu {
	u32 next_seq;		/* expected KORACLE_A_SEQ of the next batch */
	u64 records;		/* records received from this CPU */
	u64 last_ts_ns;		/* ts of this CPU's last record, ns */
};

struct ko_collect {
	const char *path;
	struct ko_trace_writer *w;
	struct ko_collect_cpu *cpu;	/* [ncpu_slots] */
	size_t ncpu_slots;
	u64 records;		/* records from the module (not LOST markers) */
	u64 lost;		/* records the module reported lost */
	u64 seq_gaps;		/* batches missing from the SEQ sequences */
	unsigned int cpus_seen;	/* CPUs that sent at least one record */
	int max_cpu;		/* highest CPU that sent a batch, -1 none */
	unsigned int overruns;	/* socket buffer overflows (ENOBUFS) */
	u32 start_seq, stop_seq;
	bool start_answered, stop_sent, stop_answered, ended;
	int start_error, stop_error;
	char start_extack[256], stop_extack[256];
	u32 end_reason;		/* enum koracle_end_reason from END */
	char err[KO_ERR_LEN + 64];	/* set when the message handler fails */
};

/* ko_genl_recv() callbacks; their argument is a struct ko_collect. */
extern const struct ko_genl_ops ko_collect_rx_ops;

#endif /* KO_COLLECT_RX_H */
