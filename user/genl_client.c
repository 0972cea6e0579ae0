// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libnl-3 client for the koracle generic netlink family (see genl_client.h).
 *
 * Why one receive path: the collector's port gets EVENTS batches the kernel
 * sends on its own, interleaved with the acks of START and STOP (events can
 * even precede START's ack: the worker may send between the handler and the
 * ack). So sequence checking is off, every message goes through the same
 * callbacks, and acks are matched to requests by the sequence number echoed
 * in struct nlmsgerr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "genl_client.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* libnl's receive buffer: larger than any message the module sends (bytes). */
#define KO_GENL_MSGBUF	(64 << 10)

struct ko_genl {
	struct nl_sock *sk;
	struct nl_cb *cb;		/* the socket's callback set (a reference) */
	int family;			/* resolved family id */
	/* Receive context, valid during ko_genl_recv(). */
	const struct ko_genl_ops *ops;
	void *arg;
	bool failed;			/* a callback asked to stop */
	char err[KO_ERR_LEN];
};

/* Every attribute the family defines, with its type (koracle_genl.h). */
static struct nla_policy ko_genl_policy[KORACLE_A_MAX + 1] = {
	[KORACLE_A_CPU]			= { .type = NLA_U32 },
	[KORACLE_A_SEQ]			= { .type = NLA_U32 },
	[KORACLE_A_LOST]		= { .type = NLA_U32 },
	[KORACLE_A_RECORDS]		= { .type = NLA_UNSPEC },
	[KORACLE_A_REASON]		= { .type = NLA_U32 },
	[KORACLE_A_EVENTS]		= { .type = NLA_U64 },
	[KORACLE_A_DROPPED]		= { .type = NLA_U64 },
	[KORACLE_A_SENT]		= { .type = NLA_U64 },
	[KORACLE_A_COLLECTING]		= { .type = NLA_U8 },
	[KORACLE_A_NCPUS]		= { .type = NLA_U32 },
	[KORACLE_A_RING_RECORDS]	= { .type = NLA_U32 },
	[KORACLE_A_BATCH_RECORDS]	= { .type = NLA_U32 },
};

const char *ko_genl_cmd_name(u8 cmd)
{
	static const char *const names[] = {
		[KORACLE_CMD_START] = "START",
		[KORACLE_CMD_STOP] = "STOP",
		[KORACLE_CMD_GET_STATS] = "GET_STATS",
		[KORACLE_CMD_EVENTS] = "EVENTS",
		[KORACLE_CMD_END] = "END",
	};

	if (cmd < sizeof(names) / sizeof(names[0]) && names[cmd])
		return names[cmd];
	return "unknown";
}

/*
 * The extended-ack message that follows struct nlmsgerr when the kernel set
 * NLM_F_ACK_TLVS: after the echoed request (or only its header when
 * NLM_F_CAPPED). Returns "" when there is none.
 */
static const char *ko_extack_msg(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	size_t n;

	buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return buf;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (nlh->nlmsg_len <= off)
		return buf;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		      (int)(nlh->nlmsg_len - off), NULL) < 0)
		return buf;
	if (tb[NLMSGERR_ATTR_MSG]) {
		n = strnlen(nla_data(tb[NLMSGERR_ATTR_MSG]),
			    (size_t)nla_len(tb[NLMSGERR_ATTR_MSG]));
		if (n >= len)
			n = len - 1;
		memcpy(buf, nla_data(tb[NLMSGERR_ATTR_MSG]), n);
		buf[n] = '\0';
	}
	return buf;
}

static void ko_report_ack(struct ko_genl *g, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	char ext[256];

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
		return;
	ko_extack_msg(nlh, ext, sizeof(ext));
	if (g->ops && g->ops->ack)
		g->ops->ack(g->arg, e->msg.nlmsg_seq, e->error, ext);
}

static int ko_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/* libnl hands us the payload; the header sits right before it. */
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	(void)nla;
	ko_report_ack(arg, nlh);
	return NL_SKIP;		/* keep processing the rest of the datagram */
}

static int ko_ack_cb(struct nl_msg *msg, void *arg)
{
	ko_report_ack(arg, nlmsg_hdr(msg));
	return NL_OK;
}

static int ko_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KORACLE_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ko_genl *g = arg;
	struct genlmsghdr *gh;
	int ret;

	if (nlh->nlmsg_type != g->family)
		return NL_SKIP;
	if (!genlmsg_valid_hdr(nlh, 0)) {
		snprintf(g->err, sizeof(g->err),
			 "receiving from koracle.ko: message too short for a generic netlink header");
		g->failed = true;
		return NL_STOP;
	}
	gh = genlmsg_hdr(nlh);
	ret = genlmsg_parse(nlh, 0, tb, KORACLE_A_MAX, ko_genl_policy);
	if (ret < 0) {
		snprintf(g->err, sizeof(g->err),
			 "parsing a koracle %s message: %s (module and CLI from different versions?)",
			 ko_genl_cmd_name(gh->cmd), nl_geterror(ret));
		g->failed = true;
		return NL_STOP;
	}
	if (g->ops && g->ops->msg && g->ops->msg(g->arg, gh->cmd, tb)) {
		g->failed = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int ko_seq_ok(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

/* Root may grow the buffer past net.core.rmem_max; others get what it allows. */
static void ko_grow_rcvbuf(struct ko_genl *g)
{
	int size = KO_GENL_RCVBUF;

	if (setsockopt(nl_socket_get_fd(g->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)))
		nl_socket_set_buffer_size(g->sk, KO_GENL_RCVBUF, 0);
}

int ko_genl_open(struct ko_genl **out, char err[KO_ERR_LEN])
{
	struct ko_genl *g;
	int one = 1;
	int ret;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, KO_ERR_LEN, "allocating a netlink client: %s",
			 strerror(ENOMEM));
		return -1;
	}
	g->sk = nl_socket_alloc();
	if (!g->sk) {
		snprintf(err, KO_ERR_LEN, "allocating a netlink socket: %s",
			 nl_geterror(NLE_NOMEM));
		goto err_free;
	}
	ret = genl_connect(g->sk);
	if (ret < 0) {
		snprintf(err, KO_ERR_LEN, "connecting a generic netlink socket: %s",
			 nl_geterror(ret));
		goto err_sock;
	}
	/* Commands that collect runs must not inherit the session's socket. */
	fcntl(nl_socket_get_fd(g->sk), F_SETFD, FD_CLOEXEC);
	/* Best effort: without it errors only lose the kernel's explanation. */
	setsockopt(nl_socket_get_fd(g->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	ko_grow_rcvbuf(g);
	ret = nl_socket_set_msg_buf_size(g->sk, KO_GENL_MSGBUF);
	if (ret < 0) {
		snprintf(err, KO_ERR_LEN, "sizing the netlink receive buffer: %s",
			 nl_geterror(ret));
		goto err_sock;
	}
	ret = genl_ctrl_resolve(g->sk, KORACLE_GENL_NAME);
	if (ret == -NLE_OBJ_NOTFOUND) {
		snprintf(err, KO_ERR_LEN,
			 "generic netlink family \"%s\" not found: is the module loaded? try: sudo insmod koracle.ko",
			 KORACLE_GENL_NAME);
		goto err_sock;
	}
	if (ret < 0) {
		snprintf(err, KO_ERR_LEN,
			 "resolving generic netlink family \"%s\": %s",
			 KORACLE_GENL_NAME, nl_geterror(ret));
		goto err_sock;
	}
	g->family = ret;

	g->cb = nl_socket_get_cb(g->sk);
	if (!g->cb) {
		snprintf(err, KO_ERR_LEN, "getting the netlink callbacks: %s",
			 nl_geterror(NLE_NOMEM));
		goto err_sock;
	}
	if (nl_cb_set(g->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ko_seq_ok, NULL) < 0 ||
	    nl_cb_set(g->cb, NL_CB_VALID, NL_CB_CUSTOM, ko_valid_cb, g) < 0 ||
	    nl_cb_set(g->cb, NL_CB_ACK, NL_CB_CUSTOM, ko_ack_cb, g) < 0 ||
	    nl_cb_err(g->cb, NL_CB_CUSTOM, ko_err_cb, g) < 0) {
		snprintf(err, KO_ERR_LEN, "installing netlink callbacks: %s",
			 nl_geterror(NLE_INVAL));
		goto err_cb;
	}
	ret = nl_socket_set_nonblocking(g->sk);
	if (ret < 0) {
		snprintf(err, KO_ERR_LEN, "making the netlink socket non-blocking: %s",
			 nl_geterror(ret));
		goto err_cb;
	}
	*out = g;
	return 0;

err_cb:
	nl_cb_put(g->cb);
err_sock:
	nl_socket_free(g->sk);
err_free:
	free(g);
	return -1;
}

void ko_genl_close(struct ko_genl *g)
{
	if (!g)
		return;
	nl_cb_put(g->cb);
	nl_socket_free(g->sk);
	free(g);
}

int ko_genl_fd(const struct ko_genl *g)
{
	return nl_socket_get_fd(g->sk);
}

const char *ko_genl_error(const struct ko_genl *g)
{
	return g->err;
}

int ko_genl_send(struct ko_genl *g, u8 cmd, int attr, u32 value, u32 *seq)
{
	struct nl_msg *msg;
	int ret = -1;
	int err;

	msg = nlmsg_alloc();
	if (!msg) {
		snprintf(g->err, sizeof(g->err), "building koracle %s: %s",
			 ko_genl_cmd_name(cmd), nl_geterror(NLE_NOMEM));
		return -1;
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
			 NLM_F_ACK, cmd, KORACLE_GENL_VERSION)) {
		snprintf(g->err, sizeof(g->err), "building koracle %s: %s",
			 ko_genl_cmd_name(cmd), nl_geterror(NLE_NOMEM));
		goto out;
	}
	if (attr != KORACLE_A_UNSPEC) {
		err = nla_put_u32(msg, attr, value);
		if (err < 0) {
			snprintf(g->err, sizeof(g->err), "building koracle %s: %s",
				 ko_genl_cmd_name(cmd), nl_geterror(err));
			goto out;
		}
	}
	err = nl_send_auto(g->sk, msg);
	if (err < 0) {
		snprintf(g->err, sizeof(g->err), "sending koracle %s: %s",
			 ko_genl_cmd_name(cmd), nl_geterror(err));
		goto out;
	}
	*seq = nlmsg_hdr(msg)->nlmsg_seq;
	ret = 0;
out:
	nlmsg_free(msg);
	return ret;
}

int ko_genl_recv(struct ko_genl *g, const struct ko_genl_ops *ops, void *arg,
		 unsigned int *overrun)
{
	int total = 0;
	int n;

	g->ops = ops;
	g->arg = arg;
	g->failed = false;
	for (;;) {
		errno = 0;
		n = nl_recvmsgs_report(g->sk, g->cb);
		if (g->failed) {
			total = -1;
			break;
		}
		if (n == 0 || n == -NLE_AGAIN)
			break;
		if (n == -NLE_NOMEM && errno == ENOBUFS) {
			/* The kernel dropped messages for us; keep reading. */
			if (overrun)
				(*overrun)++;
			continue;
		}
		if (n < 0) {
			snprintf(g->err, sizeof(g->err),
				 "receiving from koracle.ko: %s", nl_geterror(n));
			total = -1;
			break;
		}
		total += n;
	}
	g->ops = NULL;
	g->arg = NULL;
	return total;
}

struct ko_call {
	u32 seq;
	bool done;
	int error;
	char extack[256];
};

static void ko_call_ack(void *arg, u32 seq, int error, const char *extack)
{
	struct ko_call *c = arg;

	if (seq != c->seq)
		return;
	c->done = true;
	c->error = error;
	snprintf(c->extack, sizeof(c->extack), "%s", extack);
}

struct ko_call_ctx {
	struct ko_call call;
	int (*msg)(void *arg, u8 cmd, struct nlattr **tb);
	void *arg;
};

static int ko_call_msg(void *arg, u8 cmd, struct nlattr **tb)
{
	struct ko_call_ctx *ctx = arg;

	return ctx->msg ? ctx->msg(ctx->arg, cmd, tb) : 0;
}

static void ko_call_ack_ctx(void *arg, u32 seq, int error, const char *extack)
{
	struct ko_call_ctx *ctx = arg;

	ko_call_ack(&ctx->call, seq, error, extack);
}

static long long ko_genl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int ko_genl_call(struct ko_genl *g, u8 cmd,
		 int (*msg)(void *arg, u8 cmd, struct nlattr **tb), void *arg,
		 int timeout_ms)
{
	static const struct ko_genl_ops ops = {
		.msg = ko_call_msg,
		.ack = ko_call_ack_ctx,
	};
	struct ko_call_ctx ctx = { .msg = msg, .arg = arg };
	long long deadline = ko_genl_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = ko_genl_fd(g), .events = POLLIN };
	int left;

	if (ko_genl_send(g, cmd, KORACLE_A_UNSPEC, 0, &ctx.call.seq))
		return -1;
	while (!ctx.call.done) {
		left = (int)(deadline - ko_genl_now_ms());
		if (left <= 0) {
			snprintf(g->err, sizeof(g->err),
				 "koracle %s request: no answer from the kernel within %d ms",
				 ko_genl_cmd_name(cmd), timeout_ms);
			return -1;
		}
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			snprintf(g->err, sizeof(g->err), "waiting for koracle %s: %s",
				 ko_genl_cmd_name(cmd), strerror(errno));
			return -1;
		}
		if (ko_genl_recv(g, &ops, &ctx, NULL) < 0)
			return -1;
	}
	if (ctx.call.error) {
		snprintf(g->err, sizeof(g->err), "koracle %s request: %s%s%s",
			 ko_genl_cmd_name(cmd), strerror(-ctx.call.error),
			 ctx.call.extack[0] ? " (kernel: " : "",
			 ctx.call.extack[0] ? ctx.call.extack : "");
		if (ctx.call.extack[0])
			strncat(g->err, ")", sizeof(g->err) - strlen(g->err) - 1);
		return -1;
	}
	return 0;
}
