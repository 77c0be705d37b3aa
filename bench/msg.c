/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg.c -- mipc's message benchmarks (issue 4), each beside its peers
 * (peers.c) and the baselines it is judged by (base.c), in the same run.
 *
 * Owns:      send_recv_64/mipc        same thread: send 64 bytes, receive;
 *            rpc_spin/mipc (cross core)   round trips, polling receivers;
 *            rpc_block/mipc (<placement>) round trips, blocking receivers;
 *            rpc_epoll/mipc (cross core)  round trips to a server waiting
 *                                     in epoll on its port's descriptor
 *                                     (built with MIPC_HAVE_PORT_FD);
 *            rpc_server/mipc (cross core) round trips to mach_msg_server
 *                                     on a workloop (issue 14);
 *            stream_1to1/mipc, stream_2to1/mipc (<placement>)
 *                                     one-way streams, time per message;
 *            msg_port_right/mipc      same thread, one port descriptor;
 *            ool_64k_copy/mipc, ool_64k_move/mipc,
 *            ool_64k_alloc_move/mipc  same thread, one 64 KiB region:
 *                                     copied; moved (the region received
 *                                     is the next one sent); allocated,
 *                                     moved and released each time;
 *            (their rows in the summary table: rows.c).
 * Choices:   * Public API only, spelled as Mach code spells it: mach_msg in
 *              the calling thread's current space (mipc_thread_set_space),
 *              mach_port_* with an explicit task.  Setup checks that send
 *              from another thread's space use mipc_msg.
 *            * Cross-thread cases give the client (receiver) and the server
 *              (senders) a space each, as two tasks would have; the send
 *              right crosses with mipc_port_insert_right.
 *            * rpc_spin forces pure polling on both sides: MACH_RCV_TIMEOUT
 *              with timeout 0, retried after a pause until a message comes.
 *              rpc_block passes plain MACH_RCV_MSG: mipc's bounded spin,
 *              then a futex.  rpc_epoll's server polls with timeout 0 and,
 *              when nothing is there, sleeps in epoll_wait on the
 *              descriptor mipc_port_get_fd(space, name, &fd) gave for its
 *              service port (issue 17); its client blocks as rpc_block's.
 *              The Makefile defines MIPC_HAVE_PORT_FD when a public header
 *              declares mipc_port_get_fd; without it the case is not
 *              registered and the table says "not built yet".  The
 *              descriptor is the caller's (port.h): rpc_fd_release()
 *              closes it with the epoll set.
 *            * rpc_server's server is mach_msg_server with a MIG-style demux
 *              (reply and next receive in one call, on a workloop); its
 *              client is rpc_block's.  A stop request makes the demux
 *              destroy the service port, and the loop returns.
 *            * The reply port is a plain receive right of the client, sent
 *              MAKE_SEND_ONCE in the request; the server replies
 *              MOVE_SEND_ONCE to msgh_remote_port, with msgh_id + 100 as
 *              MIG does.  A reply it cannot send it deallocates, so the
 *              client gets a send-once notification instead of hanging.
 *            * A partner stops on a message with msgh_id STOP_ID; if that
 *              cannot be sent we set a flag and destroy its port, which
 *              wakes a blocked receiver (MACH_RCV_PORT_CHANGED, K6).
 *            * Received rights and regions are released in the loop
 *              (mach_port_deallocate, vm_deallocate), so each case runs in
 *              bounded state.
 *            * OOL: the sender stamps one word per page and the receiver
 *              reads them back, in both variants; a move thus pays for
 *              faulting in its fresh region, as a real sender would.
 *            * Same-core rows exist for the blocking RPC only (see
 *              peers.c); stream_2to1 names where its senders run.
 */
#include "gbench.h"
#include "team.h"

#include <mipc/mipc.h>

#include <ck_pr.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MSG_BYTES  64
#define BODY_BYTES (MSG_BYTES - sizeof(mach_msg_header_t))
#define OOL_BYTES  (64 * 1024)
#define PAGE_STEP  4096 /* one stamped word per page of a region */

#define REQ_ID   4000
#define REPLY_ID (REQ_ID + 100) /* MIG's convention */
#define STOP_ID  (-1)

/* A message arrived, but not the one we sent (our code, not Mach's). */
#define WRONG_MSG ((mach_msg_return_t)0x7fff0001)

#define MSG_ALIGNED __attribute__((aligned(8)))

struct msg64 {
	mach_msg_header_t m_header;
	uint8_t m_body[BODY_BYTES];
};

struct msg64_rcv {
	struct msg64 r_msg;
	mach_msg_max_trailer_t r_trailer;
};

struct msg_port {
	mach_msg_header_t mp_header;
	mach_msg_body_t mp_body;
	mach_msg_port_descriptor_t mp_port;
};

struct msg_port_rcv {
	struct msg_port r_msg;
	mach_msg_max_trailer_t r_trailer;
};

struct msg_ool {
	mach_msg_header_t mo_header;
	mach_msg_body_t mo_body;
	mach_msg_ool_descriptor_t mo_ool;
};

struct msg_ool_rcv {
	struct msg_ool r_msg;
	mach_msg_max_trailer_t r_trailer;
};

_Static_assert(sizeof(struct msg64) == MSG_BYTES, "64-byte message");
_Static_assert(sizeof(struct msg64_rcv) == MSG_BYTES + 68, "64 + trailer");
_Static_assert(sizeof(struct msg_port) == 40, "header, body, descriptor");
_Static_assert(sizeof(struct msg_ool) == 44, "header, body, descriptor");

static void
msg_header(mach_msg_header_t *h, mach_msg_bits_t bits, mach_msg_size_t size,
    mach_port_name_t remote, mach_port_name_t local, mach_msg_id_t id)
{
	h->msgh_bits = bits;
	h->msgh_size = size;
	h->msgh_remote_port = remote;
	h->msgh_local_port = local;
	h->msgh_voucher_port = MACH_PORT_NULL;
	h->msgh_id = id;
}

/* A receive right, with a send right under the same name if `send`. */
static kern_return_t
port_make(mipc_space_t sp, bool send, mach_port_name_t *name)
{
	mach_port_options_t o;

	memset(&o, 0, sizeof(o));
	o.flags = send ? MPO_INSERT_SEND_RIGHT : 0;
	return mipc_port_construct(sp, &o, 0, name);
}

/*
 * The space the benchmark thread works in for one case: created and made
 * current on entry; on exit the previous space is current again and this
 * one destroyed.
 */
struct scope {
	mipc_space_t sc_space;
	mipc_space_t sc_prev;
};

static kern_return_t
scope_enter(struct scope *s)
{
	kern_return_t kr = mipc_space_create(&s->sc_space);

	if (kr == KERN_SUCCESS)
		s->sc_prev = mipc_thread_set_space(s->sc_space);
	return kr;
}

static void
scope_exit(struct scope *s)
{
	mipc_thread_set_space(s->sc_prev);
	mipc_space_destroy(s->sc_space);
}

/* ------------------------------------------------------------------ */
/* send_recv_64/mipc                                                   */

static mach_msg_return_t
send_recv64(mach_port_name_t port, struct msg64 *out, struct msg64_rcv *in)
{
	mach_msg_return_t mr;

	msg_header(&out->m_header, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    MSG_BYTES, port, MACH_PORT_NULL, REQ_ID);
	mr = mach_msg(&out->m_header, MACH_SEND_MSG, MSG_BYTES, 0,
	    MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	mr = mach_msg(&in->r_msg.m_header, MACH_RCV_MSG, 0, sizeof(*in), port,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr == MACH_MSG_SUCCESS &&
	    (in->r_msg.m_header.msgh_id != REQ_ID ||
	        in->r_msg.m_header.msgh_size != MSG_BYTES))
		return WRONG_MSG;
	return mr;
}

static void
bm_send_recv_64(gb_state *st, void *arg)
{
	struct msg64 out MSG_ALIGNED = { .m_body = { 1 } };
	struct msg64_rcv in MSG_ALIGNED;
	struct scope sc;
	mach_port_name_t port = MACH_PORT_NULL;
	kern_return_t kr;
	uint64_t errors = 0;

	(void)arg;
	if ((kr = scope_enter(&sc)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		return;
	}
	if ((kr = port_make(sc.sc_space, true, &port)) != KERN_SUCCESS)
		gb_skip_code(st, "mach_port_construct", kr);
	else if ((kr = send_recv64(port, &out, &in)) != MACH_MSG_SUCCESS)
		gb_skip_code(st, "first send+receive", kr);
	else
		GB_LOOP(st, i)
		{
			(void)i;
			errors +=
			    send_recv64(port, &out, &in) != MACH_MSG_SUCCESS;
		}
	if (port != MACH_PORT_NULL)
		mipc_port_destroy(sc.sc_space, port);
	scope_exit(&sc);
	mipc_quiesce();
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* msg_port_right/mipc                                                 */

static mach_msg_return_t
send_recv_port(mipc_space_t sp, mach_port_name_t dest, mach_port_name_t carried,
    struct msg_port *out, struct msg_port_rcv *in)
{
	const mach_msg_port_descriptor_t *d = &in->r_msg.mp_port;
	mach_msg_return_t mr;

	msg_header(&out->mp_header,
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    sizeof(*out), dest, MACH_PORT_NULL, REQ_ID);
	out->mp_body.msgh_descriptor_count = 1;
	out->mp_port.name = carried;
	out->mp_port.pad1 = 0;
	out->mp_port.pad2 = 0;
	out->mp_port.disposition = MACH_MSG_TYPE_COPY_SEND;
	out->mp_port.type = MACH_MSG_PORT_DESCRIPTOR;
	mr = mach_msg(&out->mp_header, MACH_SEND_MSG, sizeof(*out), 0,
	    MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	mr = mach_msg(&in->r_msg.mp_header, MACH_RCV_MSG, 0, sizeof(*in), dest,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	/* K8: the send right merged into `carried`; give the uref back. */
	if (mipc_port_deallocate(sp, d->name) != KERN_SUCCESS ||
	    in->r_msg.mp_header.msgh_id != REQ_ID ||
	    in->r_msg.mp_body.msgh_descriptor_count != 1 ||
	    d->type != MACH_MSG_PORT_DESCRIPTOR || d->name != carried ||
	    d->disposition != MACH_MSG_TYPE_PORT_SEND)
		return WRONG_MSG;
	return MACH_MSG_SUCCESS;
}

static void
bm_msg_port_right(gb_state *st, void *arg)
{
	struct msg_port out MSG_ALIGNED;
	struct msg_port_rcv in MSG_ALIGNED;
	struct scope sc;
	mach_port_name_t dest = MACH_PORT_NULL, carried = MACH_PORT_NULL;
	mach_port_urefs_t refs = 0;
	kern_return_t kr;
	uint64_t errors = 0;

	(void)arg;
	if ((kr = scope_enter(&sc)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		return;
	}
	if ((kr = port_make(sc.sc_space, true, &dest)) != KERN_SUCCESS ||
	    (kr = port_make(sc.sc_space, true, &carried)) != KERN_SUCCESS)
		gb_skip_code(st, "mach_port_construct", kr);
	else if ((kr = send_recv_port(sc.sc_space, dest, carried, &out, &in)) !=
	    MACH_MSG_SUCCESS)
		gb_skip_code(st, "first send+receive", kr);
	else if ((kr = mipc_port_get_refs(sc.sc_space, carried,
	              MACH_PORT_RIGHT_SEND, &refs)) != KERN_SUCCESS ||
	    refs != 1)
		gb_skip_with_error(st, "the carried send right leaks urefs");
	else
		GB_LOOP(st, i)
		{
			(void)i;
			errors += send_recv_port(sc.sc_space, dest, carried,
			              &out, &in) != MACH_MSG_SUCCESS;
		}
	if (carried != MACH_PORT_NULL)
		mipc_port_destroy(sc.sc_space, carried);
	if (dest != MACH_PORT_NULL)
		mipc_port_destroy(sc.sc_space, dest);
	scope_exit(&sc);
	mipc_quiesce();
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* ool_64k_copy/mipc, ool_64k_move/mipc                                */

static void
ool_stamp(vm_address_t a, uint64_t v)
{
	size_t off;

	for (off = 0; off < OOL_BYTES; off += PAGE_STEP)
		memcpy((void *)(a + off), &v, sizeof(v));
}

static bool
ool_check(vm_address_t a, uint64_t v)
{
	uint64_t w, bad = 0;
	size_t off;

	for (off = 0; off < OOL_BYTES; off += PAGE_STEP) {
		memcpy(&w, (const void *)(a + off), sizeof(w));
		bad |= w ^ v;
	}
	return bad == 0;
}

enum ool_mode {
	OOL_COPY,       /* the same region copied each time */
	OOL_MOVE,       /* moved; what arrives is the next one sent */
	OOL_ALLOC_MOVE, /* vm_allocate, move, vm_deallocate what arrives */
};

/*
 * Send `region`, receive it (or its copy) and check it; *next is what the
 * next trip sends: the region itself for a copy, what arrived for a move
 * (same space: the receiver holds it now), 0 when it was released.
 */
static mach_msg_return_t
ool_trip(mipc_space_t sp, mach_port_name_t dest, vm_address_t region,
    enum ool_mode mode, uint64_t v, struct msg_ool *out, struct msg_ool_rcv *in,
    vm_address_t *next)
{
	const mach_msg_ool_descriptor_t *d = &in->r_msg.mo_ool;
	const bool move = mode != OOL_COPY;
	mach_msg_return_t mr;
	bool ok;

	*next = move ? 0 : region;
	ool_stamp(region, v);
	msg_header(&out->mo_header,
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    sizeof(*out), dest, MACH_PORT_NULL, REQ_ID);
	out->mo_body.msgh_descriptor_count = 1;
	out->mo_ool.address = (void *)region;
	out->mo_ool.size = OOL_BYTES;
	out->mo_ool.deallocate = move;
	out->mo_ool.copy = MACH_MSG_VIRTUAL_COPY;
	out->mo_ool.pad1 = 0;
	out->mo_ool.type = MACH_MSG_OOL_DESCRIPTOR;
	mr = mach_msg(&out->mo_header, MACH_SEND_MSG, sizeof(*out), 0,
	    MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS) {
		if (move) /* not consumed by a refused send (M) */
			mipc_vm_deallocate(sp, region, OOL_BYTES);
		return mr;
	}
	mr = mach_msg(&in->r_msg.mo_header, MACH_RCV_MSG, 0, sizeof(*in), dest,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	ok = in->r_msg.mo_body.msgh_descriptor_count == 1 &&
	    d->type == MACH_MSG_OOL_DESCRIPTOR && d->size == OOL_BYTES &&
	    d->address != NULL && ool_check((vm_address_t)d->address, v);
	/* A move hands the pages over untouched: the same region arrives. */
	if (ok && mode == OOL_MOVE && (vm_address_t)d->address == region) {
		*next = region;
		return MACH_MSG_SUCCESS;
	}
	if (d->address != NULL &&
	    mipc_vm_deallocate(sp, (vm_address_t)d->address, d->size) !=
	        KERN_SUCCESS)
		ok = false;
	return ok ? MACH_MSG_SUCCESS : WRONG_MSG;
}

/*
 * OOL_MOVE measures the move alone: the region that arrives is sent next,
 * so no trip allocates or releases memory.  OOL_ALLOC_MOVE adds
 * vm_allocate (a kept region, zeroed: 64 KiB of memset) and vm_deallocate
 * to each trip, as a sender that builds every region afresh pays.
 */
static void
bm_ool(gb_state *st, void *arg)
{
	const enum ool_mode mode = *(const enum ool_mode *)arg;
	struct msg_ool out MSG_ALIGNED;
	struct msg_ool_rcv in MSG_ALIGNED;
	struct scope sc;
	mach_port_name_t dest = MACH_PORT_NULL;
	vm_address_t region = 0;
	kern_return_t kr;
	uint64_t errors = 0;

	if ((kr = scope_enter(&sc)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		return;
	}
	if ((kr = port_make(sc.sc_space, true, &dest)) != KERN_SUCCESS) {
		gb_skip_code(st, "mach_port_construct", kr);
		goto out;
	}
	if ((kr = mipc_vm_allocate(sc.sc_space, &region, OOL_BYTES,
	         VM_FLAGS_ANYWHERE)) != KERN_SUCCESS) {
		gb_skip_code(st, "vm_allocate", kr);
		goto out;
	}
	if ((kr = ool_trip(sc.sc_space, dest, region, mode, 1, &out, &in,
	         &region)) != MACH_MSG_SUCCESS) {
		gb_skip_code(st, "first send+receive", kr);
		goto out;
	}
	GB_LOOP(st, i)
	{
		if (region == 0 &&
		    mipc_vm_allocate(sc.sc_space, &region, OOL_BYTES,
		        VM_FLAGS_ANYWHERE) != KERN_SUCCESS) {
			errors++;
			continue;
		}
		errors += ool_trip(sc.sc_space, dest, region, mode, i, &out,
		              &in, &region) != MACH_MSG_SUCCESS;
	}
out:
	if (region != 0)
		mipc_vm_deallocate(sc.sc_space, region, OOL_BYTES);
	if (dest != MACH_PORT_NULL)
		mipc_port_destroy(sc.sc_space, dest);
	scope_exit(&sc);
	mipc_quiesce();
	gb_counter(st, "errors", (double)errors);
}

/* ------------------------------------------------------------------ */
/* rpc_spin/mipc, rpc_block/mipc, rpc_epoll/mipc                       */

enum rpc_mode {
	RPC_BLOCK,  /* both sides block in mach_msg */
	RPC_SPIN,   /* both sides poll */
	RPC_EPOLL,  /* the server waits in epoll; the client blocks */
	RPC_SERVER, /* the server is mach_msg_server; the client blocks */
};

struct rpc_case {
	enum rpc_mode rc_mode;    /* (C) */
	enum team_place rc_place; /* (C) */
};

struct rpc {
	mipc_space_t r_server_space;       /* (C) */
	mach_port_name_t r_service;        /* (C) receive right, server side */
	enum rpc_mode r_mode;              /* (C) */
	int r_epoll;                       /* (C) RPC_EPOLL: the epoll set */
	int r_fd;                          /* (C) RPC_EPOLL: the port's fd */
	uint32_t r_stop TEAM_LINE_ALIGNED; /* (A) see rpc_stop() */
	uint64_t r_errors;                 /* (A) the server's, at exit */
};

#ifdef MIPC_HAVE_PORT_FD
/* The service port's descriptor in a new epoll set: r->r_epoll. */
static kern_return_t
rpc_fd_arm(struct rpc *r)
{
	struct epoll_event ev = { .events = EPOLLIN };
	kern_return_t kr;
	int fd = -1;

	kr = mipc_port_get_fd(r->r_server_space, r->r_service, &fd);
	if (kr != KERN_SUCCESS)
		return kr;
	r->r_fd = fd;
	ev.data.fd = fd;
	if ((r->r_epoll = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(r->r_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
		return KERN_FAILURE;
	return KERN_SUCCESS;
}
#endif

/* The descriptor mipc_port_get_fd gave is ours to close (port.h). */
static void
rpc_fd_release(struct rpc *r)
{
	if (r->r_epoll >= 0)
		close(r->r_epoll);
	if (r->r_fd >= 0)
		close(r->r_fd);
	r->r_epoll = -1;
	r->r_fd = -1;
}

/*
 * Polling: retry a timeout-0 receive until a message or r_stop; between
 * tries spin (RPC_SPIN) or sleep in epoll_wait (RPC_EPOLL), which returns
 * while a message can be received (level-triggered) or the port died.
 */
static mach_msg_return_t
rpc_server_receive(struct rpc *r, struct msg64_rcv *buf)
{
	struct epoll_event ev;
	mach_msg_return_t mr;

	if (r->r_mode == RPC_BLOCK)
		return mach_msg(&buf->r_msg.m_header, MACH_RCV_MSG, 0,
		    sizeof(*buf), r->r_service, MACH_MSG_TIMEOUT_NONE,
		    MACH_PORT_NULL);
	/* Relaxed: r_stop orders nothing; we only need to see it. */
	while ((mr = mach_msg(&buf->r_msg.m_header,
	            MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*buf),
	            r->r_service, 0, MACH_PORT_NULL)) == MACH_RCV_TIMED_OUT &&
	    ck_pr_load_32(&r->r_stop) == 0) {
		if (r->r_mode == RPC_SPIN)
			ck_pr_stall();
		else if (epoll_wait(r->r_epoll, &ev, 1, 100) < 0 &&
		    errno != EINTR)
			return MACH_RCV_INVALID_NAME; /* no way to wait */
	}
	return mr;
}

static void *
rpc_server(void *arg)
{
	struct rpc *r = arg;
	struct msg64_rcv buf MSG_ALIGNED;
	mach_msg_header_t *h = &buf.r_msg.m_header;
	mach_port_name_t reply;
	mach_msg_return_t mr;
	uint64_t errors = 0;

	mipc_thread_set_space(r->r_server_space);
	for (;;) {
		mr = rpc_server_receive(r, &buf);
		if (mr == MACH_RCV_TIMED_OUT || mr == MACH_RCV_INVALID_NAME ||
		    mr == MACH_RCV_PORT_CHANGED)
			break; /* stopped, or our port is gone */
		if (mr != MACH_MSG_SUCCESS) {
			errors++;
			continue;
		}
		if (h->msgh_id == STOP_ID)
			break;
		errors += h->msgh_id != REQ_ID;
		reply = h->msgh_remote_port;
		msg_header(h, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
		    MSG_BYTES, reply, MACH_PORT_NULL, REPLY_ID);
		mr = mach_msg(h, MACH_SEND_MSG, MSG_BYTES, 0, MACH_PORT_NULL,
		    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (mr != MACH_MSG_SUCCESS) {
			errors++;
			/* The client then receives a send-once notification. */
			mipc_port_deallocate(r->r_server_space, reply);
		}
	}
	ck_pr_add_64(&r->r_errors, errors); /* relaxed: read after join */
	mipc_thread_set_space(NULL);
	return NULL;
}

/* rpc_server/mipc: the case's rpc, for the demux (one case at a time). */
static struct rpc *rpc_served;

/* MIG's shape: the reply header from the request, RetCode after NDR. */
static boolean_t
rpc_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
	struct rpc *r = rpc_served;
	mig_reply_error_t *e = (mig_reply_error_t *)out;

	msg_header(out, MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0),
	    MSG_BYTES, in->msgh_remote_port, MACH_PORT_NULL, in->msgh_id + 100);
	if (in->msgh_id == STOP_ID) {
		/* Our port goes: the loop returns MACH_RCV_PORT_CHANGED. */
		(void)mipc_port_mod_refs(r->r_server_space, r->r_service,
		    MACH_PORT_RIGHT_RECEIVE, -1);
		e->RetCode = MIG_NO_REPLY;
		return TRUE;
	}
	e->RetCode = in->msgh_id == REQ_ID ? KERN_SUCCESS : MIG_BAD_ID;
	return in->msgh_id == REQ_ID;
}

static void *
rpc_msg_server(void *arg)
{
	struct rpc *r = arg;

	mipc_thread_set_space(r->r_server_space);
	if (mach_msg_server(rpc_demux, MSG_BYTES, r->r_service, 0) !=
	    MACH_RCV_PORT_CHANGED)
		ck_pr_add_64(&r->r_errors, 1); /* relaxed: read after join */
	mipc_thread_set_space(NULL);
	return NULL;
}

static mach_msg_return_t
rpc_call(mach_port_name_t service, mach_port_name_t reply, bool spin,
    struct msg64_rcv *buf)
{
	mach_msg_header_t *h = &buf->r_msg.m_header;
	mach_msg_return_t mr;

	msg_header(h,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MSG_BYTES, service, reply, REQ_ID);
	mr = mach_msg(h,
	    MACH_SEND_MSG | MACH_RCV_MSG | (spin ? MACH_RCV_TIMEOUT : 0),
	    MSG_BYTES, sizeof(*buf), reply, 0, MACH_PORT_NULL);
	while (mr == MACH_RCV_TIMED_OUT) { /* spin: the request is sent */
		ck_pr_stall();
		mr = mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		    sizeof(*buf), reply, 0, MACH_PORT_NULL);
	}
	if (mr == MACH_MSG_SUCCESS && h->msgh_id != REPLY_ID)
		return WRONG_MSG;
	return mr;
}

/* Make the server return: a stop message, or the flag and its port. */
static void
rpc_stop(struct rpc *r, mach_port_name_t service)
{
	struct msg64 m MSG_ALIGNED = { .m_body = { 0 } };

	msg_header(&m.m_header, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    MSG_BYTES, service, MACH_PORT_NULL, STOP_ID);
	if (mach_msg(&m.m_header, MACH_SEND_MSG, MSG_BYTES, 0, MACH_PORT_NULL,
	        MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) == MACH_MSG_SUCCESS)
		return;
	ck_pr_store_32(&r->r_stop, 1); /* relaxed: polled */
	mipc_port_destroy(r->r_server_space, r->r_service);
}

static void
bm_rpc(gb_state *st, void *arg)
{
	const struct rpc_case *c = arg;
	static struct rpc r;
	struct msg64_rcv buf MSG_ALIGNED;
	struct scope sc;
	mach_port_name_t reply = MACH_PORT_NULL;
	struct team t = { .tm_n = 0 };
	struct team_cs cs;
	const char *err;
	kern_return_t kr;
	uint64_t errors = 0;

	memset(&r, 0, sizeof(r));
	r.r_mode = c->rc_mode;
	r.r_epoll = -1;
	r.r_fd = -1;
	if ((kr = scope_enter(&sc)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		return;
	}
	if ((kr = mipc_space_create(&r.r_server_space)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		scope_exit(&sc);
		return;
	}
	if ((kr = port_make(r.r_server_space, false, &r.r_service)) !=
	        KERN_SUCCESS ||
	    (kr = mipc_port_insert_right(sc.sc_space, r.r_service,
	         r.r_server_space, r.r_service, MACH_MSG_TYPE_MAKE_SEND)) !=
	        KERN_SUCCESS ||
	    (kr = port_make(sc.sc_space, false, &reply)) != KERN_SUCCESS) {
		gb_skip_code(st, "port setup", kr);
		goto out;
	}
#ifdef MIPC_HAVE_PORT_FD
	if (r.r_mode == RPC_EPOLL && (kr = rpc_fd_arm(&r)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_port_get_fd and epoll", kr);
		goto out;
	}
#endif
	rpc_served = &r;
	if ((err = team_pin_self(&t)) != NULL ||
	    (err = team_start(&t, (int)c->rc_place,
	         c->rc_mode == RPC_SERVER ? rpc_msg_server : rpc_server, &r)) !=
	        NULL) {
		gb_skip_with_error(st, err);
		goto out;
	}
	if ((kr = rpc_call(r.r_service, reply, c->rc_mode == RPC_SPIN, &buf)) !=
	    MACH_MSG_SUCCESS) {
		gb_skip_code(st, "first round trip", kr);
	} else {
		team_cs_begin(&cs);
		GB_LOOP(st, i)
		{
			(void)i;
			errors +=
			    rpc_call(r.r_service, reply, c->rc_mode == RPC_SPIN,
			        &buf) != MACH_MSG_SUCCESS;
		}
		team_cs_end(&cs);
		gb_cs_counters(st, cs.cs_vol, cs.cs_invol, cs.cs_partner_vol,
		    cs.cs_partner_invol, gb_max_iterations(st));
	}
	rpc_stop(&r, r.r_service);
out:
	team_join(&t);
	rpc_fd_release(&r);
	if (reply != MACH_PORT_NULL)
		mipc_port_destroy(sc.sc_space, reply);
	if (r.r_service != MACH_PORT_NULL) {
		mipc_port_destroy(r.r_server_space, r.r_service);
		mipc_port_destroy(sc.sc_space, r.r_service);
	}
	scope_exit(&sc);
	mipc_space_destroy(r.r_server_space);
	mipc_quiesce();
	gb_counter(st, "errors", (double)(errors + r.r_errors));
}

/* ------------------------------------------------------------------ */
/* stream_1to1/mipc, stream_2to1/mipc                                  */

#define STREAM_QLIMIT MACH_PORT_QLIMIT_LARGE /* 1024 */
#define GATE_WAIT     0u
#define GATE_GO       1u
#define GATE_STOP     2u

struct stream_case {
	int sc_senders; /* (C) 1 or 2 */
	int sc_rank2;   /* (C) the second sender's CPU rank */
};

static struct stream {
	uint32_t s_gate TEAM_LINE_ALIGNED; /* (A) GATE_*; see stream_gate() */
	uint32_t s_done;                   /* (A) senders that returned */
	uint64_t s_errors;                 /* (A) senders' errors, at exit */
	mipc_space_t s_send_space;         /* (C) the senders' task */
	mach_port_name_t s_dest;           /* (C) send right there */
} stream;

struct sender {
	struct stream *sd_s;
	uint64_t sd_count; /* (C) messages to send */
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
	struct msg64 m MSG_ALIGNED = { .m_body = { 1 } };
	uint64_t errors = 0, k;

	mipc_thread_set_space(s->s_send_space);
	if (!stream_gate(s))
		goto out;
	for (k = 0; k < sd->sd_count; k++)
		for (;;) {
			msg_header(&m.m_header,
			    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
			    MSG_BYTES, s->s_dest, MACH_PORT_NULL, REQ_ID);
			if (mach_msg(&m.m_header, MACH_SEND_MSG, MSG_BYTES, 0,
			        MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
			        MACH_PORT_NULL) == MACH_MSG_SUCCESS)
				break;
			errors++; /* retried: the receiver counts on it */
			if (ck_pr_load_32(&s->s_gate) == GATE_STOP)
				goto out;
		}
out:
	ck_pr_add_64(&s->s_errors, errors); /* relaxed: read after join */
	ck_pr_inc_32(&s->s_done);           /* relaxed: polled, then joined */
	mipc_thread_set_space(NULL);
	return NULL;
}

static mach_msg_return_t
stream_receive(mach_port_name_t port, struct msg64_rcv *buf, bool wait)
{
	mach_msg_return_t mr;

	mr = mach_msg(&buf->r_msg.m_header,
	    MACH_RCV_MSG | (wait ? 0 : MACH_RCV_TIMEOUT), 0, sizeof(*buf), port,
	    0, MACH_PORT_NULL);
	if (mr == MACH_MSG_SUCCESS && buf->r_msg.m_header.msgh_id != REQ_ID)
		return WRONG_MSG;
	return mr;
}

static void
bm_stream(gb_state *st, void *arg)
{
	const struct stream_case *c = arg;
	struct stream *s = &stream;
	struct msg64 m MSG_ALIGNED = { .m_body = { 1 } };
	struct msg64_rcv buf MSG_ALIGNED;
	mach_port_limits_t lim = { .mpl_qlimit = STREAM_QLIMIT };
	struct sender sd[2];
	struct scope sc;
	mach_port_name_t port = MACH_PORT_NULL;
	struct team t = { .tm_n = 0 };
	struct team_cs cs;
	const char *err = NULL;
	kern_return_t kr;
	uint64_t n, errors = 0, i;
	int k;

	memset(s, 0, sizeof(*s));
	if ((kr = scope_enter(&sc)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		return;
	}
	if ((kr = mipc_space_create(&s->s_send_space)) != KERN_SUCCESS) {
		gb_skip_code(st, "mipc_space_create", kr);
		scope_exit(&sc);
		return;
	}
	if ((kr = port_make(sc.sc_space, false, &port)) != KERN_SUCCESS ||
	    (kr = mipc_port_set_attributes(sc.sc_space, port,
	         MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
	         MACH_PORT_LIMITS_INFO_COUNT)) != KERN_SUCCESS ||
	    (kr = mipc_port_insert_right(s->s_send_space, port, sc.sc_space,
	         port, MACH_MSG_TYPE_MAKE_SEND)) != KERN_SUCCESS) {
		gb_skip_code(st, "port setup", kr);
		goto out;
	}
	s->s_dest = port;
	msg_header(&m.m_header, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    MSG_BYTES, s->s_dest, MACH_PORT_NULL, REQ_ID);
	if ((kr = mipc_msg(s->s_send_space, &m.m_header, MACH_SEND_MSG,
	         MSG_BYTES, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
	         MACH_PORT_NULL)) != MACH_MSG_SUCCESS ||
	    (kr = stream_receive(port, &buf, true)) != MACH_MSG_SUCCESS) {
		gb_skip_code(st, "first message", kr);
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
	team_cs_begin(&cs);
	if (err != NULL)
		gb_skip_with_error(st, err);
	else
		while (gb_keep_running_batch(st, n)) {
			ck_pr_store_32(&s->s_gate, GATE_GO); /* relaxed */
			for (i = 0; i < n; i++)
				errors += stream_receive(port, &buf, true) !=
				    MACH_MSG_SUCCESS;
		}
	team_cs_end(&cs);
	gb_set_items_processed(st, (int64_t)n);
	gb_cs_counters(st, cs.cs_vol, cs.cs_invol, cs.cs_partner_vol,
	    cs.cs_partner_invol, n);

	/*
	 * Release senders that never started or retry a failed send, and
	 * take what our failed receives left, so none stays blocked on a
	 * full queue.
	 */
	ck_pr_store_32(&s->s_gate, GATE_STOP);
	while (ck_pr_load_32(&s->s_done) < (uint32_t)t.tm_n)
		if (stream_receive(port, &buf, false) != MACH_MSG_SUCCESS)
			ck_pr_stall();
out:
	team_join(&t);
	if (port != MACH_PORT_NULL) {
		mipc_port_destroy(sc.sc_space, port);
		mipc_port_destroy(s->s_send_space, port);
	}
	scope_exit(&sc);
	mipc_space_destroy(s->s_send_space);
	mipc_quiesce();
	gb_counter(st, "errors", (double)(errors + s->s_errors));
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

void
bench_msg_register(void)
{
	static const struct gb_opts latency = { .real_time = true };
	static struct rpc_case spin = { .rc_mode = RPC_SPIN,
		.rc_place = TEAM_CROSS_CORE };
	static struct rpc_case block[2] = {
		{ .rc_mode = RPC_BLOCK, .rc_place = TEAM_CROSS_CORE },
		{ .rc_mode = RPC_BLOCK, .rc_place = TEAM_SAME_CORE },
	};
#ifdef MIPC_HAVE_PORT_FD
	static struct rpc_case epoll = { .rc_mode = RPC_EPOLL,
		.rc_place = TEAM_CROSS_CORE };
#endif
	static struct rpc_case server = { .rc_mode = RPC_SERVER,
		.rc_place = TEAM_CROSS_CORE };
	static struct stream_case streams[2] = {
		{ .sc_senders = 1 },
		{ .sc_senders = 2 },
	};
	static const enum ool_mode ool[] = { OOL_COPY, OOL_MOVE,
		OOL_ALLOC_MOVE };
	char name[128];
	int p;

	gb_register("send_recv_64/mipc", bm_send_recv_64, NULL, NULL);
	gb_register("rpc_spin/mipc (cross core)", bm_rpc, &spin, &latency);
	for (p = 0; p < 2; p++) {
		snprintf(name, sizeof(name), "rpc_block/mipc (%s)",
		    team_place_name(block[p].rc_place));
		gb_register(name, bm_rpc, &block[p], &latency);
	}
#ifdef MIPC_HAVE_PORT_FD
	gb_register("rpc_epoll/mipc (cross core)", bm_rpc, &epoll, &latency);
#endif
	gb_register("rpc_server/mipc (cross core)", bm_rpc, &server, &latency);
	streams[0].sc_rank2 = streams[1].sc_rank2 = team_second_sender_rank();
	gb_register(
	    "stream_1to1/mipc (cross core)", bm_stream, &streams[0], &latency);
	snprintf(name, sizeof(name), "stream_2to1/mipc (%s)",
	    team_senders_place_name(streams[1].sc_rank2));
	gb_register(name, bm_stream, &streams[1], &latency);
	gb_register("msg_port_right/mipc", bm_msg_port_right, NULL, NULL);
	gb_register("ool_64k_copy/mipc", bm_ool, (void *)&ool[0], NULL);
	gb_register("ool_64k_move/mipc", bm_ool, (void *)&ool[1], NULL);
	gb_register("ool_64k_alloc_move/mipc", bm_ool, (void *)&ool[2], NULL);
}
