/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peers.c -- the IPC a user would otherwise pick, beside each message case
 * of msg.c (issue 4), in the same run: pipes, AF_UNIX socketpairs, eventfd,
 * a raw futex handoff, raw ck_ring and SCM_RIGHTS.  (ZeroMQ and nng: mq.c.)
 *
 * Owns:      send_recv_64/<peer>    same thread, one 64-byte message;
 *            ring/ck_ring_mpmc_enq_deq  a bare MPMC enqueue+dequeue, one of
 *                                   the baselines of send_recv_64/mipc;
 *            rpc_block/<peer> (<placement>)  blocking round trips;
 *            rpc_epoll/<peer> (cross core)  the same with the server
 *                                   waiting in epoll_wait, then reading;
 *            stream_1to1/<peer>, stream_2to1/<peer> (<placement>)
 *                                   one-way streams, time per message;
 *            msg_port_right/scm_rights  one fd passed and closed;
 *            ool_64k_copy/<peer>    one 64 KiB message, same thread;
 *            create_close/<peer>    make a channel and close it, the
 *                                   peers of a port allocate+destroy.
 * Choices:   * Every message is 64 bytes except eventfd's, which can only
 *              carry its 8-byte counter: those cases say "eventfd_8B".
 *              eventfd has no stream case: its counter merges writes, so
 *              it is not a message queue.
 *            * send_recv_64/ck_ring_mpmc copies the 64 bytes into a slot
 *              and out again around the pointer's trip, so it moves a
 *              message as the other rows do; the bare pointer trip is
 *              ring/ck_ring_mpmc_enq_deq.
 *            * Two ring streams: stream_Nto1/ck_ring_mpmc moves a bare
 *              pointer (PERF.md's raw baseline), stream_Nto1/ck_ring_copy64
 *              copies the 64-byte message into the ring's slot and out
 *              again (CK_RING_PROTOTYPE), as mipc copies it in and out:
 *              the stream row's like-for-like baseline (PERF.md §5).
 *            * rpc_spin has no case here: its peer is base.c's
 *              pingpong/ck_ring_mpmc (cross core), the same two-ring spin.
 *            * Sockets are SOCK_SEQPACKET across threads (a socketpair of
 *              SOCK_DGRAM has a 10-datagram queue that would throttle the
 *              streams); send_recv_64 also has a SOCK_DGRAM row.
 *            * A stream's senders wait at a gate that the receiver, the
 *              benchmark thread, opens as its timed loop starts; the
 *              receiver takes exactly the messages the senders were told to
 *              send, so the time covers delivery, not just queueing.  A
 *              failed send is counted and retried, so that the receiver
 *              never waits for a message that will not come.
 *            * stream_2to1/ck_ring_* skip themselves when their senders
 *              share a CPU: a producer preempted between reserving and
 *              publishing its slot holds the other in ck_ring's publish
 *              wait for a time slice (see bm_stream()).
 *            * Same-core rows exist for the blocking RPC only: a spinning
 *              partner on our own CPU measures the scheduler's time slice.
 *            * The futex handoff is raw: two words, FUTEX_WAIT until the
 *              word changes, an unconditional FUTEX_WAKE, no spinning.  It
 *              is the floor of a blocking handoff, not a mutex.
 */
#include "gbench.h"
#include "team.h"

#include <ck_pr.h>
#include <ck_ring.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MSG_BYTES 64
#define MSG_WORDS (MSG_BYTES / 8)
#define OOL_BYTES (64 * 1024)
#define PAGE_STEP 4096 /* one stamped word per page of an OOL payload */

#define REQ_VALUE  1u                  /* word 0 of every request */
#define STOP_VALUE ((uint64_t)1 << 40) /* word 0 of a stop request */

/* ------------------------------------------------------------------ */
/* Links: pipes, socketpairs, eventfds                                 */

enum link_kind { LINK_PIPE, LINK_SEQPACKET, LINK_DGRAM, LINK_EVENTFD };

/*
 * A request channel and, for an RPC, a reply channel.  A socketpair serves
 * both directions, as a user would use it; pipes and eventfds need two.
 */
struct link {
	enum link_kind lk_kind; /* (C) */
	size_t lk_len;          /* (C) bytes per message: 64, eventfd 8 */
	int lk_req_wr, lk_req_rd;
	int lk_rep_wr, lk_rep_rd; /* -1 without a reply channel */
	int lk_fd[4];
	int lk_nfd;
};

static bool
link_put(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len;
}

static bool
link_get(int fd, void *buf, size_t len)
{
	return read(fd, buf, len) == (ssize_t)len;
}

/* One channel of `kind`: *wr and *rd, appended to l->lk_fd[]. */
static const char *
link_chan(struct link *l, int *wr, int *rd)
{
	int fd[2] = { -1, -1 };

	switch (l->lk_kind) {
	case LINK_PIPE:
		if (pipe2(fd, O_CLOEXEC) != 0)
			return "pipe2 failed";
		*rd = fd[0];
		*wr = fd[1];
		break;
	case LINK_SEQPACKET:
	case LINK_DGRAM:
		if (socketpair(AF_UNIX,
		        (l->lk_kind == LINK_DGRAM ? SOCK_DGRAM
		                                  : SOCK_SEQPACKET) |
		            SOCK_CLOEXEC,
		        0, fd) != 0)
			return "socketpair failed";
		*wr = fd[0];
		*rd = fd[1];
		break;
	case LINK_EVENTFD:
		if ((fd[0] = eventfd(0, EFD_CLOEXEC)) < 0)
			return "eventfd failed";
		fd[1] = -1;
		*wr = *rd = fd[0];
		break;
	}
	l->lk_fd[l->lk_nfd++] = fd[0];
	if (fd[1] >= 0)
		l->lk_fd[l->lk_nfd++] = fd[1];
	return NULL;
}

static void
link_close(struct link *l)
{
	while (l->lk_nfd > 0)
		if (l->lk_fd[--l->lk_nfd] >= 0)
			close(l->lk_fd[l->lk_nfd]);
}

/*
 * Make the reader of the request channel see end-of-file (a server whose
 * stop request could not be sent).  An eventfd has no end-of-file.
 */
static void
link_hang_up(struct link *l)
{
	int i;

	if (shutdown(l->lk_req_wr, SHUT_WR) == 0)
		return;
	for (i = 0; i < l->lk_nfd; i++)
		if (l->lk_fd[i] == l->lk_req_wr && l->lk_kind == LINK_PIPE) {
			close(l->lk_fd[i]);
			l->lk_fd[i] = -1;
		}
}

/* Open a link; with `duplex` also its reply channel. */
static const char *
link_open(struct link *l, enum link_kind kind, bool duplex)
{
	const char *err;

	memset(l, 0, sizeof(*l));
	l->lk_kind = kind;
	l->lk_len = kind == LINK_EVENTFD ? sizeof(uint64_t) : MSG_BYTES;
	l->lk_rep_wr = l->lk_rep_rd = -1;
	if ((err = link_chan(l, &l->lk_req_wr, &l->lk_req_rd)) != NULL)
		return err;
	if (!duplex)
		return NULL;
	if (kind == LINK_SEQPACKET || kind == LINK_DGRAM) {
		l->lk_rep_wr = l->lk_req_rd;
		l->lk_rep_rd = l->lk_req_wr;
		return NULL;
	}
	if ((err = link_chan(l, &l->lk_rep_wr, &l->lk_rep_rd)) != NULL) {
		link_close(l);
		return err;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* send_recv_64: one thread, one message                               */

struct same_case {
	enum link_kind sc_kind; /* (C) */
};

static struct same_case same_pipe = { LINK_PIPE };
static struct same_case same_seqpacket = { LINK_SEQPACKET };
static struct same_case same_dgram = { LINK_DGRAM };
static struct same_case same_eventfd = { LINK_EVENTFD };

static void
bm_send_recv_link(gb_state *st, void *arg)
{
	const struct same_case *c = arg;
	uint64_t out[MSG_WORDS] = { REQ_VALUE }, in[MSG_WORDS];
	uint64_t errors = 0;
	struct link l;
	const char *err;

	if ((err = link_open(&l, c->sc_kind, false)) != NULL) {
		gb_skip_with_error(st, err);
		return;
	}
	if (!link_put(l.lk_req_wr, out, l.lk_len) ||
	    !link_get(l.lk_req_rd, in, l.lk_len) || in[0] != REQ_VALUE) {
		link_close(&l);
		gb_skip_with_error(st, "first message did not arrive intact");
		return;
	}
	GB_LOOP(st, i)
	{
		(void)i;
		errors += !link_put(l.lk_req_wr, out, l.lk_len);
		errors += !link_get(l.lk_req_rd, in, l.lk_len);
		gb_do_not_optimize(in);
	}
	link_close(&l);
	gb_counter(st, "errors", (double)errors);
}

#define RING_SLOTS 64 /* same-thread rings: one entry is ever in flight */

static struct {
	ck_ring_t sr_ring;
	ck_ring_buffer_t sr_buf[RING_SLOTS];
	uint64_t sr_slot[MSG_WORDS] TEAM_LINE_ALIGNED; /* the message */
} same_ring TEAM_LINE_ALIGNED;

static void
bm_send_recv_ring(gb_state *st, void *arg)
{
	uint64_t out[MSG_WORDS] = { REQ_VALUE }, in[MSG_WORDS];
	uint64_t errors = 0;
	void *p;

	(void)arg;
	ck_ring_init(&same_ring.sr_ring, RING_SLOTS);
	GB_LOOP(st, i)
	{
		(void)i;
		memcpy(same_ring.sr_slot, out, MSG_BYTES);
		errors += !ck_ring_enqueue_mpmc(
		    &same_ring.sr_ring, same_ring.sr_buf, same_ring.sr_slot);
		if (ck_ring_dequeue_mpmc(
		        &same_ring.sr_ring, same_ring.sr_buf, &p))
			memcpy(in, p, MSG_BYTES);
		else
			errors++;
		gb_do_not_optimize(in);
	}
	gb_counter(st, "errors", (double)errors);
}

static void
bm_ring_enq_deq(gb_state *st, void *arg)
{
	uint64_t errors = 0;
	void *p = NULL;

	(void)arg;
	ck_ring_init(&same_ring.sr_ring, RING_SLOTS);
	GB_LOOP(st, i)
	{
		errors += !ck_ring_enqueue_mpmc(&same_ring.sr_ring,
		    same_ring.sr_buf, (void *)(uintptr_t)(i + 1));
		errors += !ck_ring_dequeue_mpmc(
		    &same_ring.sr_ring, same_ring.sr_buf, &p);
		gb_do_not_optimize(p);
	}
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* rpc_block: round trips to a blocking server thread                  */

struct rpc_case {
	enum link_kind rc_kind;   /* (C) unused by the futex handoff */
	enum team_place rc_place; /* (C) */
	bool rc_epoll;            /* (C) the server waits in epoll_wait */
};

struct link_rpc {
	struct link lr_link;                  /* (C) */
	int lr_epoll;                         /* (C) -1, or the server's set */
	uint64_t lr_errors TEAM_LINE_ALIGNED; /* (A) the server's, at exit */
};

/*
 * Echo requests until a stop request (or a dead link).  With an epoll set
 * the server waits there for the request channel to be readable (level-
 * triggered; a hang-up is readable too), then reads, as an event loop does.
 */
static void *
link_server(void *arg)
{
	struct link_rpc *r = arg;
	const struct link *l = &r->lr_link;
	uint64_t m[MSG_WORDS] = { 0 }, errors = 0;
	struct epoll_event ev;

	for (;;) {
		ssize_t n;

		if (r->lr_epoll >= 0 &&
		    epoll_wait(r->lr_epoll, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			errors++;
			break;
		}
		n = read(l->lk_req_rd, m, l->lk_len);

		if (n != (ssize_t)l->lk_len) {
			errors++;
			if (n == 0 || (n < 0 && errno != EINTR))
				break;
			continue;
		}
		if (m[0] == STOP_VALUE)
			break;
		errors += !link_put(l->lk_rep_wr, m, l->lk_len);
	}
	ck_pr_add_64(&r->lr_errors, errors); /* relaxed: read after join */
	return NULL;
}

static bool
link_call(const struct link *l, uint64_t *out, uint64_t *in)
{
	return link_put(l->lk_req_wr, out, l->lk_len) &&
	    link_get(l->lk_rep_rd, in, l->lk_len) && in[0] == REQ_VALUE;
}

static void
bm_rpc_link(gb_state *st, void *arg)
{
	const struct rpc_case *c = arg;
	static struct link_rpc r;
	uint64_t out[MSG_WORDS] = { REQ_VALUE }, in[MSG_WORDS];
	uint64_t errors = 0;
	struct team t;
	const char *err;

	if ((err = link_open(&r.lr_link, c->rc_kind, true)) != NULL) {
		gb_skip_with_error(st, err);
		return;
	}
	r.lr_errors = 0;
	r.lr_epoll = -1;
	if (c->rc_epoll) {
		struct epoll_event ev = { .events = EPOLLIN };

		ev.data.fd = r.lr_link.lk_req_rd;
		if ((r.lr_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    epoll_ctl(r.lr_epoll, EPOLL_CTL_ADD, r.lr_link.lk_req_rd,
		        &ev) != 0) {
			if (r.lr_epoll >= 0)
				close(r.lr_epoll);
			link_close(&r.lr_link);
			gb_skip_with_error(st, "epoll setup failed");
			return;
		}
	}
	if ((err = team_pin_self(&t)) != NULL ||
	    (err = team_start(&t, (int)c->rc_place, link_server, &r)) != NULL) {
		team_join(&t);
		if (r.lr_epoll >= 0)
			close(r.lr_epoll);
		link_close(&r.lr_link);
		gb_skip_with_error(st, err);
		return;
	}
	if (!link_call(&r.lr_link, out, in))
		gb_skip_with_error(st, "first round trip failed");
	GB_LOOP(st, i)
	{
		(void)i;
		errors += !link_call(&r.lr_link, out, in);
	}
	out[0] = STOP_VALUE;
	if (!link_put(r.lr_link.lk_req_wr, out, r.lr_link.lk_len))
		link_hang_up(&r.lr_link);
	team_join(&t);
	out[0] = REQ_VALUE;
	if (r.lr_epoll >= 0)
		close(r.lr_epoll);
	link_close(&r.lr_link);
	gb_counter(st, "errors", (double)(errors + r.lr_errors));
}

/* Two futex words; see the file comment. */
#define FUTEX_SEQ_MAX 0x7fffffffu
#define FUTEX_STOP    0xffffffffu

static struct futex_rpc {
	uint32_t fr_req TEAM_LINE_ALIGNED; /* (A) request number, or STOP */
	uint32_t fr_rep TEAM_LINE_ALIGNED; /* (A) the number answered */
} futex_rpc;

static void
futex_wait(uint32_t *w, uint32_t v)
{
	/* EAGAIN (w changed) and EINTR: the caller rereads w. */
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void
futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Relaxed loads and stores are enough: the words carry no data beyond
 * themselves, and FUTEX_WAIT rechecks the word under the futex bucket lock,
 * so a wake cannot fall between our check and our sleep.
 */
static void *
futex_server(void *arg)
{
	struct futex_rpc *f = arg;
	uint32_t last = 0, v;

	for (;;) {
		while ((v = ck_pr_load_32(&f->fr_req)) == last)
			futex_wait(&f->fr_req, last);
		if (v == FUTEX_STOP)
			return NULL;
		last = v;
		ck_pr_store_32(&f->fr_rep, v);
		futex_wake(&f->fr_rep);
	}
}

static void
futex_call(struct futex_rpc *f, uint32_t seq)
{
	uint32_t v;

	ck_pr_store_32(&f->fr_req, seq);
	futex_wake(&f->fr_req);
	while ((v = ck_pr_load_32(&f->fr_rep)) != seq)
		futex_wait(&f->fr_rep, v);
}

static void
bm_rpc_futex(gb_state *st, void *arg)
{
	const struct rpc_case *c = arg;
	struct futex_rpc *f = &futex_rpc;
	uint32_t seq = 1;
	struct team t;
	const char *err;

	ck_pr_store_32(&f->fr_req, 0); /* the server is not running yet */
	ck_pr_store_32(&f->fr_rep, 0);
	if ((err = team_pin_self(&t)) != NULL ||
	    (err = team_start(&t, (int)c->rc_place, futex_server, f)) != NULL) {
		team_join(&t);
		gb_skip_with_error(st, err);
		return;
	}
	futex_call(f, seq); /* the first round trip, untimed */
	GB_LOOP(st, i)
	{
		(void)i;
		seq = seq % FUTEX_SEQ_MAX + 1;
		futex_call(f, seq);
	}
	ck_pr_store_32(&f->fr_req, FUTEX_STOP);
	futex_wake(&f->fr_req);
	team_join(&t);
	gb_counter(st, "errors", 0);
}

/* ------------------------------------------------------------------ */
/* stream: senders on other threads, the benchmark thread receives     */

#define STREAM_SLOTS 1024 /* as mipc's raised qlimit */
#define GATE_WAIT    0u
#define GATE_GO      1u
#define GATE_STOP    2u

/* else an enum link_kind */
enum stream_kind { STREAM_RING = -1, STREAM_RING_COPY = -2 };

/* The copying ring's slot: the message itself (CK_RING_PROTOTYPE). */
struct msg64 {
	uint64_t w[MSG_WORDS];
};
CK_RING_PROTOTYPE(msg64, msg64)

struct stream_case {
	int sc_kind;    /* (C) an enum stream_kind or enum link_kind */
	int sc_senders; /* (C) 1 or 2 */
	int sc_rank2;   /* (C) the second sender's CPU rank */
};

static struct stream {
	uint32_t s_gate TEAM_LINE_ALIGNED; /* (A) GATE_*; see stream_gate() */
	uint32_t s_done;                   /* (A) senders that returned */
	uint64_t s_errors;                 /* (A) senders' errors, at exit */
	int s_kind;                        /* (C) as stream_case */
	struct link s_link;                /* (C) */
	ck_ring_t s_ring TEAM_LINE_ALIGNED;
	ck_ring_buffer_t s_ring_buf[STREAM_SLOTS];
	struct msg64 s_copy_buf[STREAM_SLOTS] TEAM_LINE_ALIGNED;
} stream;

struct sender {
	struct stream *sd_s;
	uint64_t sd_count; /* (C) messages to send */
};

/*
 * Wait for the receiver's gate.  Returns false on GATE_STOP.  We yield
 * rather than spin: on the 2-CPU runner both senders of stream_2to1 share
 * a CPU.  Relaxed is enough: the gate orders nothing but itself.
 */
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

	if (!stream_gate(s))
		goto out;
	for (k = 0; k < sd->sd_count; k++) {
		if (s->s_kind == STREAM_RING_COPY) {
			m[0] = k + 1;
			while (!ck_ring_enqueue_mpmc_msg64(
			    &s->s_ring, s->s_copy_buf, (struct msg64 *)m))
				ck_pr_stall();
			continue;
		}
		if (s->s_kind == STREAM_RING) {
			while (!ck_ring_enqueue_mpmc(&s->s_ring, s->s_ring_buf,
			    (void *)(uintptr_t)(k + 1)))
				ck_pr_stall();
			continue;
		}
		while (!link_put(s->s_link.lk_req_wr, m, MSG_BYTES)) {
			errors++;
			if (ck_pr_load_32(&s->s_gate) == GATE_STOP)
				goto out;
		}
	}
out:
	ck_pr_add_64(&s->s_errors, errors); /* relaxed: read after join */
	ck_pr_inc_32(&s->s_done);           /* relaxed: polled, then joined */
	return NULL;
}

static bool
stream_recv(struct stream *s, uint64_t *m, bool wait)
{
	void *p;

	if (s->s_kind == STREAM_RING_COPY) {
		while (!ck_ring_dequeue_mpmc_msg64(
		    &s->s_ring, s->s_copy_buf, (struct msg64 *)m)) {
			if (!wait)
				return false;
			ck_pr_stall();
		}
		return m[0] != 0;
	}
	if (s->s_kind == STREAM_RING) {
		while (!ck_ring_dequeue_mpmc(&s->s_ring, s->s_ring_buf, &p)) {
			if (!wait)
				return false;
			ck_pr_stall();
		}
		return p != NULL;
	}
	return link_get(s->s_link.lk_req_rd, m, MSG_BYTES);
}

static void
bm_stream(gb_state *st, void *arg)
{
	const struct stream_case *c = arg;
	struct stream *s = &stream;
	struct sender sd[2];
	uint64_t m[MSG_WORDS] = { REQ_VALUE }, n, errors = 0, i;
	struct team t;
	struct team_cs cs;
	const char *err = NULL;
	int k;

	if (c->sc_kind < 0 && c->sc_senders > 1 &&
	    c->sc_rank2 == TEAM_CROSS_CORE) {
		/*
		 * A producer that reserved a slot and was preempted before
		 * publishing it stalls the other producer in ck_ring's
		 * publish wait for a time slice: on one CPU this runs at a
		 * few hundred messages a second.
		 */
		gb_skip_with_error(st,
		    "ck_ring MPMC producers sharing a CPU "
		    "wait out each other's time slices");
		return;
	}
	s->s_kind = c->sc_kind;
	ck_pr_store_32(&s->s_gate, GATE_WAIT); /* no sender yet */
	ck_pr_store_32(&s->s_done, 0);
	s->s_errors = 0;
	if (s->s_kind < 0) {
		ck_ring_init(&s->s_ring, STREAM_SLOTS);
	} else if ((err = link_open(&s->s_link, (enum link_kind)s->s_kind,
	                false)) != NULL) {
		gb_skip_with_error(st, err);
		return;
	} else if (!link_put(s->s_link.lk_req_wr, m, MSG_BYTES) ||
	    !link_get(s->s_link.lk_req_rd, m, MSG_BYTES)) {
		link_close(&s->s_link);
		gb_skip_with_error(st, "first message did not arrive");
		return;
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
	team_cs_begin(&cs);
	if (err != NULL)
		gb_skip_with_error(st, err);
	else
		while (gb_keep_running_batch(st, n)) {
			ck_pr_store_32(&s->s_gate, GATE_GO);
			for (i = 0; i < n; i++)
				errors += !stream_recv(s, m, true);
		}
	team_cs_end(&cs);
	gb_set_items_processed(st, (int64_t)n);
	gb_cs_counters(st, cs.cs_vol, cs.cs_invol, cs.cs_partner_vol,
	    cs.cs_partner_invol, n);

	/*
	 * Release senders that never started, or that retry a failed send;
	 * then take whatever our own failed receives left behind, so that no
	 * sender stays blocked on a full channel.
	 */
	ck_pr_store_32(&s->s_gate, GATE_STOP);
	if (s->s_kind >= 0)
		fcntl(s->s_link.lk_req_rd, F_SETFL, O_NONBLOCK);
	while (ck_pr_load_32(&s->s_done) < (uint32_t)t.tm_n)
		if (!stream_recv(s, m, false))
			ck_pr_stall();
	team_join(&t);
	if (s->s_kind >= 0)
		link_close(&s->s_link);
	gb_counter(st, "errors", (double)(errors + s->s_errors));
}

/* ------------------------------------------------------------------ */
/* msg_port_right/scm_rights: pass one fd, close the received copy     */

/*
 * One trip: send 40 bytes with `carried` attached, receive them; returns
 * the received descriptor or -1.  The headers are built per call, as a
 * caller of sendmsg would.
 */
static int
scm_trip(const int sv[2], int carried)
{
	char out[40] = { 1 }, in[40];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} oc, ic;
	struct iovec oiov = { out, sizeof(out) }, iiov = { in, sizeof(in) };
	struct msghdr om = { .msg_iov = &oiov,
		.msg_iovlen = 1,
		.msg_control = oc.buf,
		.msg_controllen = sizeof(oc.buf) };
	struct msghdr im = { .msg_iov = &iiov,
		.msg_iovlen = 1,
		.msg_control = ic.buf,
		.msg_controllen = sizeof(ic.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&om);
	int got;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &carried, sizeof(int));
	if (sendmsg(sv[0], &om, MSG_NOSIGNAL) != (ssize_t)sizeof(out) ||
	    recvmsg(sv[1], &im, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(in))
		return -1;
	cm = CMSG_FIRSTHDR(&im);
	if (cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	return got;
}

static void
bm_scm_rights(gb_state *st, void *arg)
{
	int sv[2], carried, got;
	uint64_t errors = 0;

	(void)arg;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		gb_skip_with_error(st, "socketpair failed");
		return;
	}
	if ((carried = eventfd(0, EFD_CLOEXEC)) < 0) {
		gb_skip_with_error(st, "eventfd failed");
	} else if ((got = scm_trip(sv, carried)) < 0 || close(got) != 0) {
		gb_skip_with_error(st, "the first descriptor did not arrive");
	} else {
		GB_LOOP(st, i)
		{
			(void)i;
			got = scm_trip(sv, carried);
			errors += got < 0 || close(got) != 0;
		}
	}
	if (carried >= 0)
		close(carried);
	close(sv[0]);
	close(sv[1]);
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* ool_64k_copy/<peer>: one 64 KiB message through a pipe or socket    */

static unsigned char ool_out[OOL_BYTES] __attribute__((aligned(4096)));
static unsigned char ool_in[OOL_BYTES] __attribute__((aligned(4096)));

/* The sender stamps one word per page, the receiver reads them back. */
static void
ool_stamp(unsigned char *p, uint64_t v)
{
	size_t off;

	for (off = 0; off < OOL_BYTES; off += PAGE_STEP)
		memcpy(p + off, &v, sizeof(v));
}

static bool
ool_check(const unsigned char *p, uint64_t v)
{
	uint64_t w, bad = 0;
	size_t off;

	for (off = 0; off < OOL_BYTES; off += PAGE_STEP) {
		memcpy(&w, p + off, sizeof(w));
		bad |= w ^ v;
	}
	return bad == 0;
}

static void
bm_ool_link(gb_state *st, void *arg)
{
	const struct same_case *c = arg;
	int big = 4 * OOL_BYTES;
	uint64_t errors = 0;
	struct link l;
	const char *err;

	if ((err = link_open(&l, c->sc_kind, false)) != NULL) {
		gb_skip_with_error(st, err);
		return;
	}
	/* Room for one whole message; an error shows in the first trip. */
	if (c->sc_kind == LINK_PIPE)
		fcntl(l.lk_req_wr, F_SETPIPE_SZ, big);
	else
		setsockopt(
		    l.lk_req_wr, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	ool_stamp(ool_out, 1);
	if (!link_put(l.lk_req_wr, ool_out, OOL_BYTES) ||
	    !link_get(l.lk_req_rd, ool_in, OOL_BYTES) ||
	    !ool_check(ool_in, 1)) {
		link_close(&l);
		gb_skip_with_error(st, "a 64 KiB message does not pass");
		return;
	}
	GB_LOOP(st, i)
	{
		ool_stamp(ool_out, i);
		errors += !link_put(l.lk_req_wr, ool_out, OOL_BYTES);
		errors += !link_get(l.lk_req_rd, ool_in, OOL_BYTES);
		errors += !ool_check(ool_in, i);
	}
	link_close(&l);
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* create_close/<peer>: a channel made and closed, same thread          */

static void
bm_create_close(gb_state *st, void *arg)
{
	const struct same_case *c = arg;
	uint64_t errors = 0;
	struct link l;

	GB_LOOP(st, i)
	{
		(void)i;
		errors += link_open(&l, c->sc_kind, false) != NULL;
		link_close(&l);
	}
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

void
bench_peers_register(void)
{
	static const struct gb_opts latency = { .real_time = true };
	static const struct {
		const char *name;
		enum link_kind kind;
	} rpc_links[] = {
		{ "pipe", LINK_PIPE },
		{ "socketpair_seqpacket", LINK_SEQPACKET },
		{ "eventfd_8B", LINK_EVENTFD },
	};
	static const enum team_place places[] = { TEAM_CROSS_CORE,
		TEAM_SAME_CORE };
	static struct rpc_case rpc_futex[2];
	static struct rpc_case rpc_link[2][3];
	static struct rpc_case rpc_epoll[3];
	static const struct {
		const char *name;
		int kind;
	} streams[] = {
		{ "ck_ring_mpmc", STREAM_RING },
		{ "ck_ring_copy64", STREAM_RING_COPY },
		{ "pipe", LINK_PIPE },
		{ "socketpair_seqpacket", LINK_SEQPACKET },
	};
	static struct stream_case stream_cases[2][4];
	const int rank2 = team_second_sender_rank();
	char name[128];
	size_t p, k;

	gb_register("send_recv_64/pipe", bm_send_recv_link, &same_pipe, NULL);
	gb_register("send_recv_64/socketpair_seqpacket", bm_send_recv_link,
	    &same_seqpacket, NULL);
	gb_register("send_recv_64/socketpair_dgram", bm_send_recv_link,
	    &same_dgram, NULL);
	gb_register(
	    "send_recv_64/eventfd_8B", bm_send_recv_link, &same_eventfd, NULL);
	gb_register("send_recv_64/ck_ring_mpmc", bm_send_recv_ring, NULL, NULL);
	gb_register("ring/ck_ring_mpmc_enq_deq", bm_ring_enq_deq, NULL, NULL);

	for (p = 0; p < 2; p++) {
		rpc_futex[p].rc_place = places[p];
		snprintf(name, sizeof(name), "rpc_block/futex_handoff (%s)",
		    team_place_name(places[p]));
		gb_register(name, bm_rpc_futex, &rpc_futex[p], &latency);
		for (k = 0; k < 3; k++) {
			rpc_link[p][k].rc_kind = rpc_links[k].kind;
			rpc_link[p][k].rc_place = places[p];
			snprintf(name, sizeof(name), "rpc_block/%s (%s)",
			    rpc_links[k].name, team_place_name(places[p]));
			gb_register(
			    name, bm_rpc_link, &rpc_link[p][k], &latency);
		}
	}
	for (k = 0; k < 3; k++) {
		rpc_epoll[k].rc_kind = rpc_links[k].kind;
		rpc_epoll[k].rc_place = TEAM_CROSS_CORE;
		rpc_epoll[k].rc_epoll = true;
		snprintf(name, sizeof(name), "rpc_epoll/%s (cross core)",
		    rpc_links[k].name);
		gb_register(name, bm_rpc_link, &rpc_epoll[k], &latency);
	}

	for (p = 0; p < 2; p++)
		for (k = 0; k < 4; k++) {
			struct stream_case *c = &stream_cases[p][k];

			c->sc_kind = streams[k].kind;
			c->sc_senders = (int)p + 1;
			c->sc_rank2 = rank2;
			snprintf(name, sizeof(name), "stream_%dto1/%s (%s)",
			    c->sc_senders, streams[k].name,
			    p == 0 ? "cross core"
			           : team_senders_place_name(rank2));
			gb_register(name, bm_stream, c, &latency);
		}

	gb_register("msg_port_right/scm_rights", bm_scm_rights, NULL, NULL);
	gb_register("ool_64k_copy/pipe", bm_ool_link, &same_pipe, NULL);
	gb_register("ool_64k_copy/socketpair_seqpacket", bm_ool_link,
	    &same_seqpacket, NULL);
	gb_register("create_close/pipe", bm_create_close, &same_pipe, NULL);
	gb_register("create_close/socketpair_seqpacket", bm_create_close,
	    &same_seqpacket, NULL);
	gb_register(
	    "create_close/eventfd", bm_create_close, &same_eventfd, NULL);
}
