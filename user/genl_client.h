/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small libnl-3 client for the "koracle" generic netlink family
 * (shared/koracle_genl.h), shared by `koracle collect` and `koracle stats`.
 *
 * The socket is non-blocking and accepts unsolicited messages (the EVENTS
 * stream arrives on the collector's port without a request), so replies,
 * acks and events are all handled by one receive path: ko_genl_recv() parses
 * every koracle message against the family's policy and hands it to ops->msg,
 * and reports the kernel's answer to each request (0 or -errno, with the
 * extended-ack text if the kernel gave one) to ops->ack.
 *
 * Functions return 0 (or a positive count) on success and -1 on failure, with
 * a message naming the operation and the cause in ko_genl_error(): libnl
 * failures are described by nl_geterror(), kernel answers by their errno.
 */
#ifndef KO_GENL_CLIENT_H
#define KO_GENL_CLIENT_H

#include <netlink/attr.h>

#include "../shared/koracle_genl.h"
#include "../shared/koracle_types.h"
#include "err.h"

#define KO_GENL_RCVBUF	(8 << 20)	/* socket receive buffer, bytes */

struct ko_genl;

struct ko_genl_ops {
	/*
	 * One koracle message, attributes validated against the family's
	 * policy (tb[KORACLE_A_MAX + 1], absent ones NULL). Return 0 to go on,
	 * -1 to stop receiving (ko_genl_recv() then returns -1; the callback
	 * keeps its own error message).
	 */
	int (*msg)(void *arg, u8 cmd, struct nlattr **tb);
	/* The kernel answered request @seq: @error is 0 or -errno. */
	void (*ack)(void *arg, u32 seq, int error, const char *extack);
};

/*
 * Connects and resolves the family. If it is not registered, the message is
 * the "not found: is the module loaded? try: sudo insmod koracle.ko" one.
 */
int ko_genl_open(struct ko_genl **out, char err[KO_ERR_LEN]);
void ko_genl_close(struct ko_genl *g);
int ko_genl_fd(const struct ko_genl *g);
const char *ko_genl_error(const struct ko_genl *g);

/*
 * Sends @cmd with NLM_F_ACK; if @attr is not KORACLE_A_UNSPEC it carries the
 * u32 @value. *@seq receives the request's sequence number, which the ack
 * callback reports.
 */
int ko_genl_send(struct ko_genl *g, u8 cmd, int attr, u32 value, u32 *seq);

/*
 * Processes every message already queued on the socket without blocking.
 * Returns the number of messages handled, 0 if none was queued, -1 on error.
 * *@overrun (if non-NULL) is incremented when the socket buffer overflowed
 * and the kernel dropped messages for us (ENOBUFS).
 */
int ko_genl_recv(struct ko_genl *g, const struct ko_genl_ops *ops, void *arg,
		 unsigned int *overrun);

/*
 * Request/reply: sends @cmd (no attributes), passes replies to @msg and
 * waits up to @timeout_ms for the kernel's ack. Returns 0, or -1 with the
 * kernel's error (and extack text) or libnl's in ko_genl_error().
 */
int ko_genl_call(struct ko_genl *g, u8 cmd,
		 int (*msg)(void *arg, u8 cmd, struct nlattr **tb), void *arg,
		 int timeout_ms);

/* "koracle command START" style name for messages. */
const char *ko_genl_cmd_name(u8 cmd);

#endif /* KO_GENL_CLIENT_H */
