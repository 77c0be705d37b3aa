/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mq.c -- the message libraries a user would pick instead of mipc, in the
 * same run: ZeroMQ (libzmq) and nng, both over their inproc transports,
 * beside msg.c's cases and peers.c's pipes, sockets and rings (issue 15,
 * item 7).
 *
 * Owns:      send_recv_64/<lib>_pair   same thread: send 64 bytes on one
 *                                      PAIR socket, receive them on the
 *                                      other (nng: pair1);
 *            rpc_block/<lib>_reqrep (<placement>)  REQ/REP round trips,
 *                                      both sides blocking;
 *            rpc_spin/<lib>_reqrep (cross core)  the same, both sides
 *                                      polling (ZMQ_DONTWAIT,
 *                                      NNG_FLAG_NONBLOCK);
 *            rpc_epoll/<lib>_reqrep (cross core)  the server waits in
 *                                      epoll_wait on ZMQ_FD / the
 *                                      NNG_OPT_RECVFD descriptor;
 *            stream_1to1/<lib>_pushpull, stream_2to1/<lib>_pushpull
 *                                      (<placement>): one PUSH socket per
 *                                      sender thread into one PULL socket,
 *                                      time per message.
 * Choices:   * <lib> is "zeromq" or "nng".  Every message is 64 bytes,
 *              copied in by the send and out by the receive, as in
 *              msg.c.  Queues hold 1024 messages, mipc's raised qlimit:
 *              ZMQ_SNDHWM and ZMQ_RCVHWM, NNG_OPT_SENDBUF and
 *              NNG_OPT_RECVBUF.
 *            * Placement as team.c: the benchmark thread (client,
 *              receiver) on rank 0, partners on rank 1 (rank 1 also for
 *              both senders of stream_2to1 on 2 CPUs).  The libraries' own
 *              threads (ZeroMQ's I/O and reaper threads, nng's task
 *              queues) are not pinned: they are part of what a user gets.
 *            * One ZeroMQ context or set of nng sockets per case run,
 *              made and torn down outside the timed loop.  A case ends
 *              its partners by shutting the library down under them
 *              (zmq_ctx_shutdown, nng_close: blocked calls return ETERM /
 *              NNG_ECLOSED) and a stop flag for the pollers; ZeroMQ
 *              sockets are closed after the join, by the thread that then
 *              owns them all, with ZMQ_LINGER 0.
 *            * Polling nng: its inproc transport moves every message on
 *              nng's task-queue threads, so a poller that never yields
 *              starves them on 2 CPUs for a whole time slice; nng's
 *              pollers sched_yield() between tries, ZeroMQ's (whose inproc
 *              pipe needs no other thread) pause as mipc's do.
 *            * ZMQ_FD is a notification of ZeroMQ's command mailbox, not
 *              a readiness flag: before each epoll_wait the server reads
 *              ZMQ_EVENTS and receives while it shows ZMQ_POLLIN, as
 *              zmq_getsockopt(3) prescribes.  NNG_OPT_RECVFD is readable
 *              while a message waits.
 */
#include "gbench.h"
#include "team.h"

#include <ck_pr.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <zmq.h>

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MSG_BYTES  64
#define MSG_WORDS  (MSG_BYTES / 8)
#define QUEUE_MSGS 1024 /* as mipc's raised qlimit */
#define REQ_VALUE  1u   /* word 0 of every request */
#define WAIT_MS    50   /* epoll_wait bound: the stop flag is polled */
#define MQ_SOCKS   4    /* sockets of one case at most */

#define MQ_URL "inproc://mipc-bench"

enum mq_lib { MQ_ZMQ, MQ_NNG };
enum mq_kind { MQ_REQ, MQ_REP, MQ_PUSH, MQ_PULL, MQ_PAIR };
enum mq_rc {           /* mq_send and mq_recv: bytes, or one of these */
	MQ_AGAIN = -1, /* nothing yet (non-blocking) */
	MQ_DEAD = -2,  /* the library is shut down under us */
	MQ_ERR = -3,   /* anything else */
};

static const char *const lib_name[] = { "zeromq", "nng" };

struct mq_sock {
	enum mq_lib ms_lib;
	void *ms_z;      /* ZeroMQ */
	nng_socket ms_n; /* nng */
};

/* The library state of one case run; see mq_shutdown(). */
struct mq {
	enum mq_lib m_lib;
	void *m_ctx; /* ZeroMQ's context */
	int m_n;     /* sockets in m_sock[] */
	struct mq_sock m_sock[MQ_SOCKS];
};

static int
mq_zmq_rc(void)
{
	return errno == EAGAIN ? MQ_AGAIN : errno == ETERM ? MQ_DEAD : MQ_ERR;
}

static int
mq_nng_rc(int rv)
{
	return rv == NNG_EAGAIN ? MQ_AGAIN
	    : rv == NNG_ECLOSED ? MQ_DEAD
	                        : MQ_ERR;
}

static const char *
mq_init(struct mq *m, enum mq_lib lib)
{
	memset(m, 0, sizeof(*m));
	m->m_lib = lib;
	if (lib == MQ_ZMQ && (m->m_ctx = zmq_ctx_new()) == NULL)
		return "zmq_ctx_new failed";
	return NULL;
}

/* A socket of `kind`, bound (`bind`) or connected to MQ_URL. */
static const char *
mq_open(struct mq *m, enum mq_kind kind, bool bind, struct mq_sock **out)
{
	static const int zmq_type[] = { ZMQ_REQ, ZMQ_REP, ZMQ_PUSH, ZMQ_PULL,
		ZMQ_PAIR };
	static int (*const nng_open[])(nng_socket *) = { nng_req0_open,
		nng_rep0_open, nng_push0_open, nng_pull0_open, nng_pair1_open };
	struct mq_sock *s;
	int zero = 0, hwm = QUEUE_MSGS;

	if (m->m_n == MQ_SOCKS)
		return "too many sockets";
	s = &m->m_sock[m->m_n];
	s->ms_lib = m->m_lib;
	if (m->m_lib == MQ_ZMQ) {
		if ((s->ms_z = zmq_socket(m->m_ctx, zmq_type[kind])) == NULL)
			return "zmq_socket failed";
		m->m_n++;
		zmq_setsockopt(s->ms_z, ZMQ_LINGER, &zero, sizeof(zero));
		if (zmq_setsockopt(s->ms_z, ZMQ_SNDHWM, &hwm, sizeof(hwm)) ||
		    zmq_setsockopt(s->ms_z, ZMQ_RCVHWM, &hwm, sizeof(hwm)))
			return "ZMQ_SNDHWM/ZMQ_RCVHWM refused";
		if ((bind ? zmq_bind(s->ms_z, MQ_URL)
		          : zmq_connect(s->ms_z, MQ_URL)) != 0)
			return bind ? "zmq_bind failed" : "zmq_connect failed";
	} else {
		if (nng_open[kind](&s->ms_n) != 0)
			return "nng socket open failed";
		m->m_n++;
		if (kind == MQ_PUSH &&
		    nng_socket_set_int(s->ms_n, NNG_OPT_SENDBUF, hwm) != 0)
			return "NNG_OPT_SENDBUF refused";
		if (kind == MQ_PULL &&
		    nng_socket_set_int(s->ms_n, NNG_OPT_RECVBUF, hwm) != 0)
			return "NNG_OPT_RECVBUF refused";
		if ((bind ? nng_listen(s->ms_n, MQ_URL, NULL, 0)
		          : nng_dial(s->ms_n, MQ_URL, NULL, 0)) != 0)
			return bind ? "nng_listen failed" : "nng_dial failed";
	}
	*out = s;
	return NULL;
}

/* Make every blocked or later call on m's sockets return MQ_DEAD. */
static void
mq_shutdown(struct mq *m)
{
	int i;

	if (m->m_lib == MQ_ZMQ) {
		if (m->m_ctx != NULL)
			zmq_ctx_shutdown(m->m_ctx);
		return;
	}
	for (i = 0; i < m->m_n; i++)
		nng_close(m->m_sock[i].ms_n);
	m->m_n = 0;
}

/* After every partner is joined: close the sockets, end the context. */
static void
mq_fini(struct mq *m)
{
	int i;

	if (m->m_lib == MQ_NNG) {
		mq_shutdown(m);
		return;
	}
	for (i = 0; i < m->m_n; i++)
		zmq_close(m->m_sock[i].ms_z);
	m->m_n = 0;
	if (m->m_ctx != NULL)
		zmq_ctx_term(m->m_ctx);
	m->m_ctx = NULL;
}

static int
mq_send(struct mq_sock *s, const uint64_t *msg, bool nonblock)
{
	int rv;

	if (s->ms_lib == MQ_ZMQ)
		return zmq_send(s->ms_z, msg, MSG_BYTES,
		           nonblock ? ZMQ_DONTWAIT : 0) == MSG_BYTES
		    ? MSG_BYTES
		    : mq_zmq_rc();
	rv = nng_send(
	    s->ms_n, (void *)msg, MSG_BYTES, nonblock ? NNG_FLAG_NONBLOCK : 0);
	return rv == 0 ? MSG_BYTES : mq_nng_rc(rv);
}

static int
mq_recv(struct mq_sock *s, uint64_t *msg, bool nonblock)
{
	size_t len = MSG_BYTES;
	int rv;

	if (s->ms_lib == MQ_ZMQ) {
		rv = zmq_recv(
		    s->ms_z, msg, MSG_BYTES, nonblock ? ZMQ_DONTWAIT : 0);
		return rv >= 0 ? rv : mq_zmq_rc();
	}
	rv = nng_recv(s->ms_n, msg, &len, nonblock ? NNG_FLAG_NONBLOCK : 0);
	return rv == 0 ? (int)len : mq_nng_rc(rv);
}

/* Between two polls; see the file comment. */
static void
mq_pause(const struct mq_sock *s)
{
	if (s->ms_lib == MQ_NNG)
		sched_yield();
	else
		ck_pr_stall();
}

/* The descriptor that polls readable for receives on s. */
static const char *
mq_recv_fd(struct mq_sock *s, int *fd)
{
	size_t len = sizeof(*fd);

	if (s->ms_lib == MQ_ZMQ)
		return zmq_getsockopt(s->ms_z, ZMQ_FD, fd, &len) == 0
		    ? NULL
		    : "ZMQ_FD refused";
	return nng_socket_get_int(s->ms_n, NNG_OPT_RECVFD, fd) == 0
	    ? NULL
	    : "NNG_OPT_RECVFD refused";
}

/* ZeroMQ: may a receive succeed now?  (nng: try it.) */
static bool
mq_recv_ready(struct mq_sock *s)
{
	size_t len;
	int ev = 0;

	if (s->ms_lib != MQ_ZMQ)
		return false;
	len = sizeof(ev);
	return zmq_getsockopt(s->ms_z, ZMQ_EVENTS, &ev, &len) == 0 &&
	    (ev & ZMQ_POLLIN) != 0;
}

/* ------------------------------------------------------------------ */
/* send_recv_64/<lib>_pair                                             */

static void
bm_send_recv_mq(gb_state *st, void *arg)
{
	const enum mq_lib lib = *(const enum mq_lib *)arg;
	uint64_t out[MSG_WORDS] = { REQ_VALUE }, in[MSG_WORDS];
	uint64_t errors = 0;
	struct mq_sock *a, *b;
	struct mq m;
	const char *err;

	if ((err = mq_init(&m, lib)) != NULL ||
	    (err = mq_open(&m, MQ_PAIR, true, &a)) != NULL ||
	    (err = mq_open(&m, MQ_PAIR, false, &b)) != NULL) {
		gb_skip_with_error(st, err);
	} else if (mq_send(b, out, false) != MSG_BYTES ||
	    mq_recv(a, in, false) != MSG_BYTES || in[0] != REQ_VALUE) {
		gb_skip_with_error(st, "first message did not arrive intact");
	} else {
		GB_LOOP(st, i)
		{
			(void)i;
			errors += mq_send(b, out, false) != MSG_BYTES;
			errors += mq_recv(a, in, false) != MSG_BYTES;
			gb_do_not_optimize(in);
		}
	}
	mq_fini(&m);
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* rpc_block, rpc_spin, rpc_epoll: <lib>_reqrep                        */

enum rpc_mode { RPC_BLOCK, RPC_SPIN, RPC_EPOLL };

struct rpc_case {
	enum mq_lib rc_lib;       /* (C) */
	enum rpc_mode rc_mode;    /* (C) */
	enum team_place rc_place; /* (C) */
};

struct rpc {
	struct mq_sock *r_srv;             /* (C) the REP socket */
	enum rpc_mode r_mode;              /* (C) */
	int r_epoll;                       /* (C) RPC_EPOLL: the server's */
	uint32_t r_stop TEAM_LINE_ALIGNED; /* (A) relaxed, polled */
	uint64_t r_errors;                 /* (A) the server's, at exit */
};

/* The next request, or MQ_DEAD when stopped. */
static int
rpc_server_get(struct rpc *r, uint64_t *m)
{
	struct epoll_event ev;
	int n;

	while ((n = mq_recv(r->r_srv, m, r->r_mode != RPC_BLOCK)) == MQ_AGAIN) {
		if (ck_pr_load_32(&r->r_stop) != 0)
			return MQ_DEAD;
		if (r->r_mode == RPC_SPIN)
			mq_pause(r->r_srv);
		else if (!mq_recv_ready(r->r_srv))
			epoll_wait(r->r_epoll, &ev, 1, WAIT_MS);
	}
	return n;
}

static void *
rpc_server(void *arg)
{
	struct rpc *r = arg;
	uint64_t m[MSG_WORDS] = { 0 }, errors = 0;
	int n;

	while ((n = rpc_server_get(r, m)) != MQ_DEAD) {
		if (n != MSG_BYTES || m[0] != REQ_VALUE) {
			errors++;
			continue;
		}
		errors += mq_send(r->r_srv, m, false) != MSG_BYTES;
	}
	ck_pr_add_64(&r->r_errors, errors); /* relaxed: read after join */
	return NULL;
}

static bool
rpc_call(struct mq_sock *c, bool spin, const uint64_t *out, uint64_t *in)
{
	int n;

	if (mq_send(c, out, false) != MSG_BYTES)
		return false;
	while ((n = mq_recv(c, in, spin)) == MQ_AGAIN)
		mq_pause(c);
	return n == MSG_BYTES && in[0] == REQ_VALUE;
}

static void
bm_rpc_mq(gb_state *st, void *arg)
{
	const struct rpc_case *c = arg;
	static struct rpc r;
	uint64_t out[MSG_WORDS] = { REQ_VALUE }, in[MSG_WORDS];
	uint64_t errors = 0;
	const bool spin = c->rc_mode == RPC_SPIN;
	struct epoll_event ev = { .events = EPOLLIN };
	struct mq_sock *client;
	struct team t = { .tm_n = 0 };
	struct mq m;
	const char *err;
	int fd;

	memset(&r, 0, sizeof(r));
	r.r_mode = c->rc_mode;
	r.r_epoll = -1;
	if ((err = mq_init(&m, c->rc_lib)) != NULL ||
	    (err = mq_open(&m, MQ_REP, true, &r.r_srv)) != NULL ||
	    (err = mq_open(&m, MQ_REQ, false, &client)) != NULL)
		goto out;
	if (c->rc_mode == RPC_EPOLL) {
		if ((err = mq_recv_fd(r.r_srv, &fd)) != NULL)
			goto out;
		ev.data.fd = fd;
		err = "epoll setup failed";
		if ((r.r_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    epoll_ctl(r.r_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
			goto out;
		err = NULL;
	}
	if ((err = team_pin_self(&t)) != NULL ||
	    (err = team_start(&t, (int)c->rc_place, rpc_server, &r)) != NULL)
		goto out;
	if (!rpc_call(client, spin, out, in)) {
		err = "first round trip failed";
		goto out;
	}
	GB_LOOP(st, i)
	{
		(void)i;
		errors += !rpc_call(client, spin, out, in);
	}
out:
	if (err != NULL)
		gb_skip_with_error(st, err);
	ck_pr_store_32(&r.r_stop, 1); /* relaxed: polled */
	mq_shutdown(&m);
	team_join(&t);
	mq_fini(&m);
	if (r.r_epoll >= 0)
		close(r.r_epoll);
	gb_counter(st, "errors", (double)(errors + r.r_errors));
}

/* ------------------------------------------------------------------ */
/* stream_1to1, stream_2to1: <lib>_pushpull                            */

#define GATE_WAIT 0u
#define GATE_GO   1u
#define GATE_STOP 2u

struct stream_case {
	enum mq_lib sc_lib; /* (C) */
	int sc_senders;     /* (C) 1 or 2 */
	int sc_rank2;       /* (C) the second sender's CPU rank */
};

static struct stream {
	uint32_t s_gate TEAM_LINE_ALIGNED; /* (A) GATE_*, relaxed */
	uint64_t s_errors;                 /* (A) senders', at exit */
} stream;

struct sender {
	struct stream *sd_s;
	struct mq_sock *sd_push; /* (C) this sender's own socket */
	uint64_t sd_count;       /* (C) messages to send */
};

/* As peers.c's: yield until the receiver opens the gate (relaxed). */
static bool
stream_gate(struct stream *s)
{
	uint32_t g;

	while ((g = ck_pr_load_32(&s->s_gate)) == GATE_WAIT)
		sched_yield();
	return g == GATE_GO;
}

static void *
stream_sender(void *arg)
{
	struct sender *sd = arg;
	struct stream *s = sd->sd_s;
	uint64_t m[MSG_WORDS] = { REQ_VALUE }, errors = 0, k;
	int n;

	if (!stream_gate(s))
		goto out;
	for (k = 0; k < sd->sd_count; k++)
		while ((n = mq_send(sd->sd_push, m, false)) != MSG_BYTES) {
			if (n == MQ_DEAD ||
			    ck_pr_load_32(&s->s_gate) == GATE_STOP)
				goto out;
			errors++; /* retried: the receiver counts on it */
		}
out:
	ck_pr_add_64(&s->s_errors, errors); /* relaxed: read after join */
	return NULL;
}

static void
bm_stream_mq(gb_state *st, void *arg)
{
	const struct stream_case *c = arg;
	struct stream *s = &stream;
	uint64_t m[MSG_WORDS] = { REQ_VALUE }, n, errors = 0, i;
	struct sender sd[2];
	struct mq_sock *pull;
	struct team t = { .tm_n = 0 };
	struct mq m_;
	const char *err;
	int k;

	ck_pr_store_32(&s->s_gate, GATE_WAIT); /* no sender yet */
	s->s_errors = 0;
	if ((err = mq_init(&m_, c->sc_lib)) != NULL ||
	    (err = mq_open(&m_, MQ_PULL, true, &pull)) != NULL)
		goto out;
	for (k = 0; k < c->sc_senders && err == NULL; k++)
		err = mq_open(&m_, MQ_PUSH, false, &sd[k].sd_push);
	if (err != NULL)
		goto out;
	/* Each sender's pipe carries a message before the clock starts. */
	for (k = 0; k < c->sc_senders; k++)
		if (mq_send(sd[k].sd_push, m, false) != MSG_BYTES ||
		    mq_recv(pull, m, false) != MSG_BYTES) {
			err = "first message did not arrive";
			goto out;
		}

	n = gb_max_iterations(st);
	for (k = 0; k < c->sc_senders; k++) {
		sd[k].sd_s = s;
		sd[k].sd_count = n / (uint64_t)c->sc_senders +
		    (k == 0 ? n % (uint64_t)c->sc_senders : 0);
	}
	if ((err = team_pin_self(&t)) == NULL)
		for (k = 0; k < c->sc_senders && err == NULL; k++)
			err = team_start(&t,
			    k == 0 ? TEAM_CROSS_CORE : c->sc_rank2,
			    stream_sender, &sd[k]);
	if (err != NULL)
		goto out;
	while (gb_keep_running_batch(st, n)) {
		ck_pr_store_32(&s->s_gate, GATE_GO);
		for (i = 0; i < n; i++)
			errors += mq_recv(pull, m, false) != MSG_BYTES;
	}
	gb_set_items_processed(st, (int64_t)n);
out:
	if (err != NULL)
		gb_skip_with_error(st, err);
	/* Senders that never started or are still blocked return now. */
	ck_pr_store_32(&s->s_gate, GATE_STOP);
	mq_shutdown(&m_);
	team_join(&t);
	mq_fini(&m_);
	gb_counter(st, "errors", (double)(errors + s->s_errors));
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

void
bench_mq_register(void)
{
	static const struct gb_opts latency = { .real_time = true };
	static const enum mq_lib libs[] = { MQ_ZMQ, MQ_NNG };
	static const char *const pair_name[] = { "pair", "pair1" };
	static struct rpc_case rpc[2][4];
	static struct stream_case streams[2][2];
	const int rank2 = team_second_sender_rank();
	char name[128];
	int l, k;

	for (l = 0; l < 2; l++) {
		snprintf(name, sizeof(name), "send_recv_64/%s_%s", lib_name[l],
		    pair_name[l]);
		gb_register(name, bm_send_recv_mq, (void *)&libs[l], NULL);
	}
	for (l = 0; l < 2; l++) {
		static const struct {
			const char *prefix;
			enum rpc_mode mode;
			enum team_place place;
		} kinds[] = {
			{ "rpc_block", RPC_BLOCK, TEAM_CROSS_CORE },
			{ "rpc_block", RPC_BLOCK, TEAM_SAME_CORE },
			{ "rpc_spin", RPC_SPIN, TEAM_CROSS_CORE },
			{ "rpc_epoll", RPC_EPOLL, TEAM_CROSS_CORE },
		};

		for (k = 0; k < 4; k++) {
			rpc[l][k].rc_lib = libs[l];
			rpc[l][k].rc_mode = kinds[k].mode;
			rpc[l][k].rc_place = kinds[k].place;
			snprintf(name, sizeof(name), "%s/%s_reqrep (%s)",
			    kinds[k].prefix, lib_name[l],
			    team_place_name(kinds[k].place));
			gb_register(name, bm_rpc_mq, &rpc[l][k], &latency);
		}
	}
	for (k = 0; k < 2; k++)
		for (l = 0; l < 2; l++) {
			struct stream_case *c = &streams[k][l];

			c->sc_lib = libs[l];
			c->sc_senders = k + 1;
			c->sc_rank2 = rank2;
			snprintf(name, sizeof(name),
			    "stream_%dto1/%s_pushpull (%s)", c->sc_senders,
			    lib_name[l],
			    k == 0 ? "cross core"
			           : team_senders_place_name(rank2));
			gb_register(name, bm_stream_mq, c, &latency);
		}
}
