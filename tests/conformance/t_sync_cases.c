/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_sync_cases.c -- the sync-IPC cases that need workloops and sync
 * bootstrap check-in (TURNSTILES.md 1.10-1.15, 4.2; MACH.md S4, S6, S7,
 * T1-T4): send cases 1 (a receive right in transit to a check-in's
 * special reply port pushes on the checking-in thread), 4 and 5 (receive
 * rights copied out through a workloop: the knote, then the stash), 6
 * (the checked-in right pushes on the thread that received it until a
 * message is received on it, it is attached, watched or moved, never
 * dropped between the steps, 1.15) and 7 (an attached port); receive
 * cases 2 and 3 (special reply ports' send-once rights copied out
 * through a workloop) and re-enable severing them; N1-N4 (no linkage,
 * lost links, MACH_RCV_SYNC_WAIT, base changes), M1 (a two-hop RPC,
 * client -> A -> B, each server on a workloop) and M5; and the lost-link
 * shapes of XNU's tests/kevent_qos.c (server_kevent_id_send_sync_link_*:
 * reply, deallocate, re-enable, do nothing, exit, in each order).
 *
 * Names: <row>_<what>, rows as in TURNSTILES.md 4.2/4.3 (S<n> there are
 * the send cases, R<n> the receive cases); LL_ for the lost-link shapes
 * (MACH.md S6, S7).  The API contract of workloops is t_workloop.c.
 *
 * Every push is asserted by its shape (mipc_thread_wait_info: owner kind
 * and thread; mipc_thread_push_chain: each hop), not only by a priority,
 * and every test ends (actors_end) with every priority at base and, once
 * the workloops are destroyed and the helper threads joined, only the
 * threads' own turnstiles alive.
 */
#include "turnstile_helpers.h"

/* ---- helpers ------------------------------------------------------------- */

/* The ids of a check-in's request and reply. */
#define CHECKIN_ID       100
#define CHECKIN_REPLY_ID 101

/*
 * Client commands (ACT_CMD actors).  a_srp is the client's special reply
 * port, made by the first command that needs one.
 */
static mach_port_name_t
client_srp(struct actor *a)
{
	mach_port_name_t srp = atomic_load(&a->a_srp);

	if (srp == MACH_PORT_NULL) {
		srp = thread_get_special_reply_port();
		atomic_store(&a->a_srp, srp);
	}
	return srp;
}

/* Send a request (id a_id) to a_dest with the SRP as reply; a_arg: extra
 * send options (MACH_SEND_SYNC_BOOTSTRAP_CHECKIN). */
static void
cl_send(struct actor *a)
{
	mach_port_name_t srp = client_srp(a);
	msg_buf_t b;

	msg_init(&b,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    a->a_dest, srp, a->a_id);
	a->a_mr = mipc_msg(act_space(a), &b.h,
	    MACH_SEND_MSG | MACH_SEND_TIMEOUT |
	        (mach_msg_option_t)(uintptr_t)a->a_arg,
	    HDR_SIZE, 0, MACH_PORT_NULL, act_timeout(a), MACH_PORT_NULL);
}

/* Receive on the SRP (a_timeout). */
static void
cl_receive(struct actor *a)
{
	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr =
	    mipc_msg(act_space(a), &a->a_buf.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	        0, (mach_msg_size_t)sizeof(a->a_buf), client_srp(a),
	        act_timeout(a), MACH_PORT_NULL);
}

/* Receive on the SRP with MACH_RCV_SYNC_WAIT, sync peer a_dest. */
static void
cl_receive_sync_wait(struct actor *a)
{
	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr = mipc_msg(act_space(a), &a->a_buf.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_SYNC_WAIT, 0,
	    (mach_msg_size_t)sizeof(a->a_buf), client_srp(a), act_timeout(a),
	    a->a_dest);
}

/* An RPC: cl_send then cl_receive (with MACH_RCV_SYNC_WAIT, as
 * kevent_qos.c's clients). */
static void
cl_rpc(struct actor *a)
{
	cl_send(a);
	if (a->a_mr == MACH_MSG_SUCCESS)
		cl_receive_sync_wait(a);
}

/* Receive one message on a_rcv (plain). */
static void
cl_receive_on(struct actor *a)
{
	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr =
	    mipc_msg(act_space(a), &a->a_buf.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	        0, (mach_msg_size_t)sizeof(a->a_buf), a->a_rcv, act_timeout(a),
	        MACH_PORT_NULL);
	if (a->a_mr == MACH_MSG_SUCCESS)
		mipc_msg_destroy(act_space(a), &a->a_buf.h);
}

/* A message to `so` (a send-once right of sp) carrying receive right r. */
static void
reply_with_receive_right(
    mipc_space_t sp, mach_port_name_t so, mach_port_name_t r, mach_msg_id_t id)
{
	mach_msg_port_descriptor_t d = port_desc(r, MACH_MSG_TYPE_MOVE_RECEIVE);
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ports(&b, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, id, &d, 1);

	KR_EQ(msg_send(sp, &b, size), MACH_MSG_SUCCESS);
}

/* Send rights names[0..n) (disposition disp) in one message to dest. */
static void
send_rights(mipc_space_t sp, mach_port_name_t dest,
    const mach_port_name_t *names, unsigned n, mach_msg_type_name_t disp)
{
	mach_msg_port_descriptor_t d[4];
	msg_buf_t b;
	mach_msg_size_t size;
	unsigned i;

	for (i = 0; i < n; i++)
		d[i] = port_desc(names[i], disp);
	size = msg_init_ports(&b, dest, MACH_MSG_TYPE_COPY_SEND, 900, d, n);
	KR_EQ(msg_send(sp, &b, size), MACH_MSG_SUCCESS);
}

/* ---- S1 / S6: sync bootstrap check-in (send cases 1 and 6) ------------- */

/*
 * The scene of 1.15: L (the test thread) serves the bootstrap port B;
 * the service port P (qlimit 1, one message queued) is L's, with `nh`
 * senders at UI blocked on it; C (LOW) checks in: a request to B with
 * MACH_SEND_SYNC_BOOTSTRAP_CHECKIN and its SRP as reply.  L replies with
 * P's receive right.  as[0] is C, as[1..nh] the senders.
 */
struct checkin {
	mipc_space_t sp;
	mach_port_name_t b, p, so;
	struct actor as[6];
};

static void
checkin_request(struct checkin *ci, unsigned nh, mach_msg_option_t opt)
{
	struct actor *c = &ci->as[0];
	unsigned i;

	memset(ci, 0, sizeof(*ci));
	ci->sp = mipc_thread_space();
	ci->b = tport_new(ci->sp, MACH_PORT_QLIMIT_DEFAULT);
	ci->p = tport_new(ci->sp, 1);
	tport_fill(ci->sp, ci->p, 1);
	for (i = 1; i <= nh; i++) {
		actor_send(&ci->as[i], UI, NULL, ci->p, 10 + (int)i, 0);
		WAIT_BLOCKED(&ci->as[i], MIPC_WAIT_SEND_FULL);
		OWNER_IS(&ci->as[i], MIPC_OWNER_NONE, 0);
	}
	actor_init(c, ACT_CMD, LOW);
	c->a_dest = ci->b;
	c->a_id = CHECKIN_ID;
	c->a_arg = (void *)(uintptr_t)opt;
	actor_start(c);
	VAL_EQ(ACTOR_DO(c, cl_send), MACH_MSG_SUCCESS);
	ci->so = serve_request(ci->sp, ci->b, CHECKIN_ID);
	AT_BASE(c->a_th);
}

/* L's reply: P's receive right, in transit to C's SRP. */
static void
checkin_reply(struct checkin *ci)
{
	reply_with_receive_right(ci->sp, ci->so, ci->p, CHECKIN_REPLY_ID);
}

/* C receives the reply (a plain receive); P's new name in C's space. */
static mach_port_name_t
checkin_receive(struct checkin *ci)
{
	struct actor *c = &ci->as[0];

	VAL_EQ(ACTOR_DO(c, cl_receive), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, CHECKIN_REPLY_ID);
	return rcv_port_desc(&c->a_buf, 0).name;
}

/*
 * The whole check-in: C's request, L's reply with P, C's receive (P's
 * push now on C, case 6); P's name in C's space.
 */
static mach_port_name_t
checkin_done(struct checkin *ci, unsigned nh)
{
	mach_port_name_t pn;

	checkin_request(ci, nh, MACH_SEND_SYNC_BOOTSTRAP_CHECKIN);
	checkin_reply(ci);
	pn = checkin_receive(ci);
	EFF_EQ(ci->as[0].a_th, UI);
	return pn;
}

/*
 * The senders still blocked on P once it has room: let them all in,
 * taking only what is queued.  A sender is done a moment after its
 * message is queued: waiting for one more message because a sender is
 * not done yet waited 5 s for nothing (ARM64 under qemu, once).
 */
static void
checkin_drain(struct checkin *ci, mach_port_name_t pn, unsigned nh)
{
	struct timespec ms = { 0, 1000000 };
	unsigned i, done = 0, n;

	for (n = 0; n < ACT_BOUND_MS; n++) {
		/* Done first: then every message of theirs is queued. */
		for (done = 0, i = 1; i <= nh; i++)
			done += actor_done(&ci->as[i]);
		if (msgcount_of(ci->sp, pn) > 0) {
			(void)tport_take(ci->sp, pn);
			continue;
		}
		if (done == nh)
			break;
		nanosleep(&ms, NULL);
	}
	ck_assert_msg(done == nh && msgcount_of(ci->sp, pn) == 0,
	    "%u of %u senders done, %u messages left", done, nh,
	    msgcount_of(ci->sp, pn));
	for (i = 1; i <= nh; i++)
		VAL_EQ(WAIT_DONE(&ci->as[i]), MACH_MSG_SUCCESS);
}

/*
 * Case 1: P, in transit to the check-in's SRP, pushes on C, the thread
 * the SRP is bound to: H -> P (transit) -> the SRP's send turnstile -> C.
 */
START_TEST(S1_checkin_right_in_transit_pushes_on_checking_in_thread)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1];
	mach_port_name_t pn;

	checkin_request(&ci, 1, MACH_SEND_SYNC_BOOTSTRAP_CHECKIN);
	checkin_reply(&ci);
	EFF_EQ(c->a_th, UI);
	OWNER_IS(h, MIPC_OWNER_TRANSIT, c->a_tid);
	CHAIN_IS(h->a_th, UI, c->a_tid, TRANS_, PORT_, THREAD_);
	/* Case 6 takes over at the copy-out: H -> P -> C. */
	pn = checkin_receive(&ci);
	EFF_EQ(c->a_th, UI);
	OWNER_IS(h, MIPC_OWNER_THREAD, c->a_tid);
	CHAIN_IS(h->a_th, UI, c->a_tid, PORT_, THREAD_);
	checkin_drain(&ci, pn, 1);
	AT_BASE(c->a_th);
	actors_end(ci.as, 2);
}
END_TEST

/* Without MACH_SEND_SYNC_BOOTSTRAP_CHECKIN neither case arises. */
START_TEST(S1_without_checkin_option_no_push)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1];
	mach_port_name_t pn;

	checkin_request(&ci, 1, 0);
	checkin_reply(&ci);
	AT_BASE(c->a_th);
	CHAIN_IS(h->a_th, UI, 0, TRANS_, PORT_);
	pn = checkin_receive(&ci);
	AT_BASE(c->a_th);
	OWNER_IS(h, MIPC_OWNER_NONE, 0);
	checkin_drain(&ci, pn, 1);
	actors_end(ci.as, 2);
}
END_TEST

/*
 * 1.15: the push is never dropped between the steps.  With a CUSTOM OS
 * policy recording every priority applied, C's thread is raised once to
 * UI when P enters transit, stays there through the copy-out, and is
 * lowered once, when a message is received on P.
 */
START_TEST(S1_S6_push_never_dropped_between_the_steps)
{
	struct checkin ci;
	struct actor *c = &ci.as[0];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	int seq[16];
	unsigned n;
	mach_port_name_t pn;

	checkin_request(&ci, 2, MACH_SEND_SYNC_BOOTSTRAP_CHECKIN);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	checkin_reply(&ci);
	pn = checkin_receive(&ci);
	EFF_EQ(c->a_th, UI);
	/* One message received on P: case 6 ends (one sender still pushes). */
	VAL_EQ(tport_take(ci.sp, pn), 1);
	AT_BASE(c->a_th);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	n = applied_to(&log, c->a_tid, seq, NELEM(seq));
	VAL_EQ(n, 2);
	VAL_EQ(seq[0], UI);
	VAL_EQ(seq[1], LOW);
	checkin_drain(&ci, pn, 2);
	actors_end(ci.as, 3);
}
END_TEST

/*
 * Case 6 ends when a message is received on P -- by anyone (XNU's
 * copy-out of the destination): here L.  A second sender keeps pushing
 * P, now on nobody.
 */
START_TEST(S6_message_received_on_the_right_ends_it)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h1 = &ci.as[1], *h2 = &ci.as[2];
	mach_port_name_t pn;

	pn = checkin_done(&ci, 2);
	VAL_EQ(tport_take(ci.sp, pn), 1);
	AT_BASE(c->a_th);
	VAL_EQ(WAIT_DONE(h1), MACH_MSG_SUCCESS); /* the top waiter got in */
	OWNER_IS(h2, MIPC_OWNER_NONE, 0);
	CHAIN_IS(h2->a_th, UI, 0, PORT_);
	checkin_drain(&ci, pn, 2);
	actors_end(ci.as, 3);
}
END_TEST

/* ... or received by C itself, as a server would. */
START_TEST(S6_checking_in_thread_receives_on_it)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h2 = &ci.as[2];
	mach_port_name_t pn;

	pn = checkin_done(&ci, 2);
	c->a_rcv = pn;
	VAL_EQ(ACTOR_DO(c, cl_receive_on), MACH_MSG_SUCCESS);
	AT_BASE(c->a_th);
	OWNER_IS(h2, MIPC_OWNER_NONE, 0);
	checkin_drain(&ci, pn, 2);
	actors_end(ci.as, 3);
}
END_TEST

/* ... or when P is attached to a workloop: case 7, on its servicer. */
START_TEST(S6_attach_moves_the_push_to_the_servicer)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1], *s = &ci.as[2];
	mipc_workloop_t wl;
	mach_port_name_t pn;

	pn = checkin_done(&ci, 1);
	wl = wl_new(ci.sp, 0);
	actor_servicer(s, LOW, wl);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	EFF_EQ(c->a_th, UI);
	KR_OK(mipc_workloop_attach(wl, pn));
	AT_BASE(c->a_th);
	EFF_EQ(s->a_th, UI);
	case7_shape(h, s, UI);
	/* Detached: back to nobody (the link went ANY at attach). */
	KR_OK(mipc_workloop_detach(wl, pn));
	AT_BASE(s->a_th);
	AT_BASE(c->a_th);
	nowhere_shape(h);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	checkin_drain(&ci, pn, 1);
	actors_end(ci.as, 3);
}
END_TEST

/* ... or when P gets watched: case 3, on the watcher. */
START_TEST(S6_watchport_moves_the_push)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1], *t = &ci.as[2];
	mach_port_name_t pn;

	pn = checkin_done(&ci, 1);
	actor_park(t, LOW);
	EFF_EQ(c->a_th, UI);
	watch(t->a_th, ci.sp, pn);
	AT_BASE(c->a_th);
	EFF_EQ(t->a_th, UI);
	OWNER_IS(h, MIPC_OWNER_THREAD, t->a_tid);
	/* Cleared: P's link is ANY now, nobody. */
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	AT_BASE(t->a_th);
	AT_BASE(c->a_th);
	nowhere_shape(h);
	checkin_drain(&ci, pn, 1);
	actors_end(ci.as, 3);
}
END_TEST

/* ... or when P moves (in a message): it pushes on its new destination. */
START_TEST(S6_moving_the_right_ends_it)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1], *t = &ci.as[2];
	mach_port_name_t pn, q;

	pn = checkin_done(&ci, 1);
	actor_park(t, LOW);
	q = tport_new(ci.sp, MACH_PORT_QLIMIT_DEFAULT);
	watch(t->a_th, ci.sp, q);
	send_receive_right(ci.sp, q, pn);
	AT_BASE(c->a_th);
	EFF_EQ(t->a_th, UI);
	OWNER_IS(h, MIPC_OWNER_TRANSIT, t->a_tid);
	/* Received again by a plain receive: ANY (no check-in mark). */
	pn = take_receive_right(ci.sp, q);
	AT_BASE(t->a_th);
	AT_BASE(c->a_th);
	nowhere_shape(h);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	checkin_drain(&ci, pn, 1);
	actors_end(ci.as, 3);
}
END_TEST

/* ... or when P dies. */
START_TEST(S6_right_destroyed_ends_it)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1];
	mach_port_name_t pn;

	pn = checkin_done(&ci, 1);
	KR_OK(mipc_port_destroy(ci.sp, pn));
	AT_BASE(c->a_th);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS); /* J9 */
	actors_end(ci.as, 2);
}
END_TEST

/*
 * The check-in's reply received through a workloop: P is stashed there
 * (case 4), not linked to the receiving thread -- the knote comes first
 * (XNU: ipc_port_adjust_port_locked with a knote).
 */
START_TEST(S6_checkin_reply_through_a_workloop_is_case_4)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1], *s = &ci.as[2];
	mipc_workloop_t wl;
	mach_port_name_t pn, q;

	checkin_request(&ci, 1, MACH_SEND_SYNC_BOOTSTRAP_CHECKIN);
	/* The reply goes to a port S serves instead of C's SRP. */
	wl = wl_new(ci.sp, 0);
	q = tport_new(ci.sp, MACH_PORT_QLIMIT_DEFAULT);
	KR_OK(mipc_workloop_attach(wl, q));
	actor_servicer(s, LOW, wl);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	reply_to(ci.sp, ci.so, 5); /* C's check-in answered */
	VAL_EQ(ACTOR_DO(c, cl_receive), MACH_MSG_SUCCESS);
	send_receive_right(ci.sp, q, ci.p);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	pn = rcv_port_desc(&s->a_buf, 0).name;
	EFF_EQ(s->a_th, UI);
	AT_BASE(c->a_th);
	CHAIN_IS(h->a_th, UI, s->a_tid, PORT_, WL_, THREAD_);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	nowhere_shape(h);
	KR_OK(mipc_workloop_destroy(wl));
	checkin_drain(&ci, pn, 1);
	actors_end(ci.as, 3);
}
END_TEST

/*
 * XNU's quirk (1.12): nothing resets the check-in mark of the SRP when
 * the reply is received, so a later receive right sent to it -- without
 * the option -- pushes on C the same way.
 */
START_TEST(S1_checkin_mark_stays_on_the_srp)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1];
	mach_port_name_t pn, so2;

	checkin_request(&ci, 1, MACH_SEND_SYNC_BOOTSTRAP_CHECKIN);
	reply_to(ci.sp, ci.so, CHECKIN_REPLY_ID);
	VAL_EQ(ACTOR_DO(c, cl_receive), MACH_MSG_SUCCESS);
	AT_BASE(c->a_th);
	/* A second request, no option: its reply carries P. */
	c->a_arg = NULL;
	c->a_id = CHECKIN_ID;
	VAL_EQ(ACTOR_DO(c, cl_send), MACH_MSG_SUCCESS);
	so2 = serve_request(ci.sp, ci.b, CHECKIN_ID);
	reply_with_receive_right(ci.sp, so2, ci.p, CHECKIN_REPLY_ID);
	EFF_EQ(c->a_th, UI);
	OWNER_IS(h, MIPC_OWNER_TRANSIT, c->a_tid);
	pn = checkin_receive(&ci);
	EFF_EQ(c->a_th, UI);
	checkin_drain(&ci, pn, 1);
	AT_BASE(c->a_th);
	actors_end(ci.as, 2);
}
END_TEST

/*
 * The receiving thread exits while P pushes on it (case 6): its state
 * outlives it (the link holds a reference), nothing is leaked, and a
 * message received on P clears the link.
 */
START_TEST(S6_receiving_thread_exits)
{
	struct checkin ci;
	struct actor *c = &ci.as[0], *h = &ci.as[1], *h2 = &ci.as[2];
	mach_port_name_t pn;

	pn = checkin_done(&ci, 2);
	actor_finish(c);
	(void)h;
	VAL_EQ(tport_take(ci.sp, pn), 1);
	OWNER_IS(h2, MIPC_OWNER_NONE, 0);
	checkin_drain(&ci, pn, 2);
	actors_end(ci.as, 3);
}
END_TEST

/* ---- S4 / S5: receive rights copied out through a workloop -------------- */

/*
 * Case 4: a receive right R (H blocked on it) received through W: R is
 * stashed on the knote and pushes on the servicer until the next call
 * re-enables; R's push then goes nowhere (ANY, in the space).
 */
START_TEST(S4_receive_right_through_workloop_pushes_until_reenable)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	mach_port_name_t r, rn;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r = tport_pushed(sc.sp, h, UI, 5);
	send_receive_right(sc.sp, sc.p, r);
	/* In transit to P, attached (cases 2 then 7). */
	EFF_EQ(s->a_th, UI);
	OWNER_IS(h, MIPC_OWNER_TRANSIT, s->a_tid);
	CHAIN_IS(h->a_th, UI, s->a_tid, TRANS_, PORT_, WL_, THREAD_);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	rn = rcv_port_desc(&s->a_buf, 0).name;
	/* Case 4: H -> R -> W -> S. */
	EFF_EQ(s->a_th, UI);
	VAL_EQ(s->a_seen, UI); /* never dropped across the copy-out */
	OWNER_IS(h, MIPC_OWNER_WORKLOOP, s->a_tid);
	CHAIN_IS(h->a_th, UI, s->a_tid, PORT_, WL_, THREAD_);
	/* Re-enable (the next call): R goes back to ANY. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_TIMED_OUT);
	AT_BASE(s->a_th);
	nowhere_shape(h);
	tport_admit(sc.sp, rn, h, 5);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * The same at a copy-out through a workloop: R, in transit to P
 * (attached), pushes on S; received, it is stashed and pushes on S
 * still -- S is raised once and lowered once, at re-enable.
 */
START_TEST(S4_push_never_dropped_at_the_copyout)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	mach_port_name_t r, rn;
	int seq[16];
	unsigned n;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r = tport_pushed(sc.sp, h, UI, 5);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	rn = wscene_deliver(&sc, r);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_reenable), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	n = applied_to(&log, s->a_tid, seq, NELEM(seq));
	VAL_EQ(n, 2);
	VAL_EQ(seq[0], UI);
	VAL_EQ(seq[1], LOW);
	tport_admit(sc.sp, rn, h, 5);
	wscene_end(&sc, 2);
}
END_TEST

/* Case 4 ends also by attaching R (case 7) or by end. */
START_TEST(S4_attach_of_the_stashed_right_is_case_7)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	mach_port_name_t r, rn;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r = tport_pushed(sc.sp, h, UI, 5);
	rn = wscene_deliver(&sc, r);
	KR_OK(mipc_workloop_attach(sc.wl, rn));
	/* Still S, now through the attachment: re-enable keeps it. */
	case7_shape(h, s, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 5);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * Case 5: two receive rights in one message (R1 with H1 at 40, R2 with H2
 * at UI): the first takes the knote, the second the stash turnstile,
 * which pushes on W's; re-enable severs both at once.
 */
START_TEST(S5_second_receive_right_on_the_stash)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h1 = &sc.as[1], *h2 = &sc.as[2];
	mach_port_name_t r[2], rn1, rn2;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r[0] = tport_new(sc.sp, 1);
	r[1] = tport_new(sc.sp, 1);
	tport_fill(sc.sp, r[0], 1);
	tport_fill(sc.sp, r[1], 1);
	actor_send(h1, 40, NULL, r[0], 5, 0);
	WAIT_BLOCKED(h1, MIPC_WAIT_SEND_FULL);
	actor_send(h2, UI, NULL, r[1], 6, 0);
	WAIT_BLOCKED(h2, MIPC_WAIT_SEND_FULL);
	send_rights(sc.sp, sc.p, r, 2, MACH_MSG_TYPE_MOVE_RECEIVE);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	rn1 = rcv_port_desc(&s->a_buf, 0).name;
	rn2 = rcv_port_desc(&s->a_buf, 1).name;
	EFF_EQ(s->a_th, UI);
	/* H1 -> R1 -> W -> S (knote); H2 -> R2 -> stash -> W -> S. */
	CHAIN_IS(h1->a_th, 40, s->a_tid, PORT_, WL_, THREAD_);
	OWNER_IS(h2, MIPC_OWNER_WORKLOOP, s->a_tid);
	{
		struct mipc_push_hop hops[8];

		VAL_EQ(chain_of(h2->a_th, hops, NELEM(hops)), 5);
		HOP_EQ(hops[1], MIPC_OWNER_PORT, UI);
		HOP_EQ(hops[2], MIPC_OWNER_WORKLOOP, UI); /* the stash */
		HOP_EQ(hops[3], MIPC_OWNER_WORKLOOP, UI); /* W */
		HOP_EQ(hops[4], MIPC_OWNER_THREAD, UI);
		VAL_EQ(hops[4].tid, s->a_tid);
	}
	/* H2 admitted: the stash's push is H1's no more... 40 remains. */
	VAL_EQ(tport_take(sc.sp, rn2), 1);
	VAL_EQ(WAIT_DONE(h2), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, 40);
	/* Re-enable: both severed at once. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	nowhere_shape(h1);
	tport_admit(sc.sp, rn1, h1, 5);
	VAL_EQ(tport_take(sc.sp, rn2), 6);
	wscene_end(&sc, 3);
}
END_TEST

/* Stashed rights pushing at once both keep S at the higher. */
START_TEST(S5_stash_pushes_at_the_highest)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h1 = &sc.as[1], *h2 = &sc.as[2],
	             *h3 = &sc.as[3];
	mach_port_name_t r[3];
	unsigned i;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	for (i = 0; i < 3; i++) {
		r[i] = tport_new(sc.sp, 1);
		tport_fill(sc.sp, r[i], 1);
	}
	actor_send(h1, 20, NULL, r[0], 5, 0);
	WAIT_BLOCKED(h1, MIPC_WAIT_SEND_FULL);
	actor_send(h2, 40, NULL, r[1], 6, 0);
	WAIT_BLOCKED(h2, MIPC_WAIT_SEND_FULL);
	actor_send(h3, 30, NULL, r[2], 7, 0);
	WAIT_BLOCKED(h3, MIPC_WAIT_SEND_FULL);
	send_rights(sc.sp, sc.p, r, 3, MACH_MSG_TYPE_MOVE_RECEIVE);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, 40);
	KR_OK(mipc_thread_set_base_priority(h2->a_th, 10));
	EFF_EQ(s->a_th, 30);
	KR_OK(mipc_thread_set_base_priority(h3->a_th, 10));
	EFF_EQ(s->a_th, 20); /* the knote's */
	KR_OK(mipc_thread_set_base_priority(h2->a_th, UI));
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	for (i = 0; i < 3; i++) {
		mach_port_name_t rn = rcv_port_desc(&s->a_buf, i).name;

		VAL_EQ(tport_take(sc.sp, rn), 1);
		VAL_EQ(WAIT_DONE(&sc.as[1 + i]), MACH_MSG_SUCCESS);
	}
	KR_OK(mipc_workloop_destroy(sc.wl));
	actors_end(sc.as, 4);
}
END_TEST

/* ---- S7: an attached port (send case 7) ---------------------------------- */

START_TEST(S7_attached_port_pushes_until_dequeue_and_detach)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1], *h2 = &sc.as[2];

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, UI);
	EFF_EQ(s->a_th, UI);
	case7_shape(h, s, UI);
	/* S dequeues, H gets in: 47 -> 4. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	/* Another sender, then detach: immediate drop. */
	actor_send(h2, IN, NULL, sc.p, 3, 0);
	WAIT_BLOCKED(h2, MIPC_WAIT_SEND_FULL);
	EFF_EQ(s->a_th, IN);
	KR_OK(mipc_workloop_detach(sc.wl, sc.p));
	AT_BASE(s->a_th);
	nowhere_shape(h2);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	VAL_EQ(WAIT_DONE(h2), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 3);
	wscene_end(&sc, 3);
}
END_TEST

/* ---- R2 / R3: reply rights copied out through a workloop ----------------- */

/*
 * The RPC scene: P attached to W, S bound (not receiving), client C at
 * `cpri` blocked in an RPC to P (its request queued).
 */
static void
rscene(struct wscene *sc, struct actor *c, int cpri, mach_msg_id_t id,
    mach_msg_timeout_t timeout)
{
	actor_init(c, ACT_CMD, cpri);
	c->a_dest = sc->p;
	c->a_id = id;
	c->a_timeout = timeout;
	actor_start(c);
	actor_post(c, cl_rpc);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
}

/*
 * Receive case 2: S dequeues C's request through W; the SRP links to the
 * knote: C -> its SRP -> W -> S, until S replies; then S is at base, and
 * C's receive has reset the link to ANY, so its next RPC links again.
 */
START_TEST(R2_dequeue_through_workloop_links_the_knote)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	int round;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	for (round = 0; round < 2; round++) {
		if (round == 0)
			rscene(&sc, c, UI, 10, 0);
		else {
			actor_post(c, cl_rpc);
			WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
		}
		/* R1 through W: C -> SRP -> P -> W -> S. */
		EFF_EQ(s->a_th, UI);
		OWNER_IS(c, MIPC_OWNER_PORT, s->a_tid);
		CHAIN_IS(c->a_th, UI, s->a_tid, PORT_, PORT_, WL_, THREAD_);
		VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
		VAL_EQ(s->a_buf.h.msgh_id, 10);
		/* R2: C -> SRP -> W -> S, never dropped on the way. */
		VAL_EQ(s->a_seen, UI);
		EFF_EQ(s->a_th, UI);
		OWNER_IS(c, MIPC_OWNER_WORKLOOP, s->a_tid);
		CHAIN_IS(c->a_th, UI, s->a_tid, PORT_, WL_, THREAD_);
		/* P's send turnstile is free again: only the link held it. */
		s->a_id = 11;
		VAL_EQ(ACTOR_DO(s, wl_cmd_plain_reply), MACH_MSG_SUCCESS);
		VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
		VAL_EQ(c->a_buf.h.msgh_id, 11);
		AT_BASE(s->a_th);
	}
	wscene_end(&sc, 2);
}
END_TEST

/*
 * The same, counted at the OS: from send case 7 (queued) to receive case
 * 2 (dequeued) the servicer's push is never dropped and raised again --
 * a drop would leave it, mid-call, at its own base beside other load.
 * With a CUSTOM policy recording every priority applied: S is lowered
 * once, when its reply's re-enable severs the link, and nothing before.
 */
START_TEST(R2_push_never_dropped_at_the_dequeue)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	int seq[16];
	unsigned n;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	rscene(&sc, c, UI, 10, 0);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, UI);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	n = applied_to(&log, s->a_tid, seq, NELEM(seq));
	ck_assert_msg(n == 1 && seq[0] == LOW,
	    "servicer: %u applies (%d, %d, %d ...), want one (%d)", n,
	    n > 0 ? seq[0] : -1, n > 1 ? seq[1] : -1, n > 2 ? seq[2] : -1, LOW);
	wscene_end(&sc, 2);
}
END_TEST

/* A parked servicer: raised once by the request, lowered once. */
START_TEST(R2_parked_servicer_raised_once_lowered_once)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	struct apply_log log = { PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, { 0 } };
	int seq[16];
	unsigned n;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, &log));
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	rscene(&sc, c, UI, 10, 0);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, UI);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	KR_OK(mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL));
	n = applied_to(&log, s->a_tid, seq, NELEM(seq));
	ck_assert_msg(n == 2 && seq[0] == UI && seq[1] == LOW,
	    "servicer: %u applies (%d, %d, %d, %d ...), want %d, %d", n,
	    n > 0 ? seq[0] : -1, n > 1 ? seq[1] : -1, n > 2 ? seq[2] : -1,
	    n > 3 ? seq[3] : -1, UI, LOW);
	wscene_end(&sc, 2);
}
END_TEST

/* The servicer parked before the request: the push still follows it. */
START_TEST(R2_parked_servicer_takes_the_request)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	rscene(&sc, c, UI, 10, 0);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 10);
	/* Whichever came first, dequeue or block: the knote link now. */
	EFF_EQ(s->a_th, UI);
	CHAIN_IS(c->a_th, UI, s->a_tid, PORT_, WL_, THREAD_);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * N2: re-enable without a reply severs the link (NO_LINKAGE): the client
 * pushes nowhere while it still waits; a lost link is recorded.
 */
START_TEST(N2_reenable_without_reply_severs_the_link)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	mach_port_name_t so;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	rscene(&sc, c, UI, 10, 0);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	so = s->a_so;
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_reenable), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	VAL_EQ(wait_of(c->a_th).wait_kind, MIPC_WAIT_SRP_REPLY);
	OWNER_IS(c, MIPC_OWNER_NONE, 0);
	CHAIN_IS(c->a_th, UI, 0, PORT_);
	/* The reply still reaches it. */
	reply_to(sc.sp, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * Receive case 3: one message carries the reply rights of two blocked
 * clients (C1 at 40, C2 at UI; a forwarder took their requests with a
 * plain receive, which broke their links, N1).  Through W the first
 * links to the knote, the second to the stash; a reply removes each
 * push; re-enable the rest.
 */
START_TEST(R3_two_reply_rights_knote_then_stash)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c1 = &sc.as[1], *c2 = &sc.as[2];
	mach_port_name_t m, so[2];
	struct mipc_push_hop hops[8];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	m = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	actor_init(c1, ACT_CMD, 40);
	c1->a_dest = m;
	c1->a_id = 21;
	actor_start(c1);
	actor_post(c1, cl_rpc);
	WAIT_BLOCKED(c1, MIPC_WAIT_SRP_REPLY);
	actor_init(c2, ACT_CMD, UI);
	c2->a_dest = m;
	c2->a_id = 22;
	actor_start(c2);
	actor_post(c2, cl_rpc);
	WAIT_BLOCKED(c2, MIPC_WAIT_SRP_REPLY);
	so[0] = serve_request(sc.sp, m, 21);
	so[1] = serve_request(sc.sp, m, 22);
	OWNER_IS(c1, MIPC_OWNER_NONE, 0);
	OWNER_IS(c2, MIPC_OWNER_NONE, 0);
	AT_BASE(s->a_th);
	send_rights(sc.sp, sc.p, so, 2, MACH_MSG_TYPE_MOVE_SEND_ONCE);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, UI);
	/* C1 -> SRP1 -> W -> S (knote). */
	OWNER_IS(c1, MIPC_OWNER_WORKLOOP, s->a_tid);
	CHAIN_IS(c1->a_th, 40, s->a_tid, PORT_, WL_, THREAD_);
	/* C2 -> SRP2 -> stash -> W -> S. */
	OWNER_IS(c2, MIPC_OWNER_WORKLOOP, s->a_tid);
	VAL_EQ(chain_of(c2->a_th, hops, NELEM(hops)), 5);
	HOP_EQ(hops[1], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[2], MIPC_OWNER_WORKLOOP, UI);
	HOP_EQ(hops[3], MIPC_OWNER_WORKLOOP, UI);
	HOP_EQ(hops[4], MIPC_OWNER_THREAD, UI);
	/* Reply to C2 (its right is the second descriptor): 40 remains. */
	so[0] = rcv_port_desc(&s->a_buf, 0).name;
	s->a_so = rcv_port_desc(&s->a_buf, 1).name;
	s->a_id = 23;
	VAL_EQ(ACTOR_DO(s, wl_cmd_plain_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c2), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, 40);
	/* Re-enable severs C1's. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_reenable), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	OWNER_IS(c1, MIPC_OWNER_NONE, 0);
	reply_to(sc.sp, so[0], 24);
	VAL_EQ(WAIT_DONE(c1), MACH_MSG_SUCCESS);
	VAL_EQ(c1->a_buf.h.msgh_id, 24);
	wscene_end(&sc, 3);
}
END_TEST

/*
 * N1 with a workloop present: a plain receive of the request (on the
 * attached port's name, not through W) breaks the link; S is not pushed
 * (T1: a plain receiver never is).
 */
START_TEST(N1_plain_receive_of_attached_port_breaks_the_link)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	mach_port_name_t so;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	rscene(&sc, c, UI, 10, 0);
	EFF_EQ(s->a_th, UI);
	so = serve_request(sc.sp, sc.p, 10);
	AT_BASE(s->a_th);
	AT_BASE(mipc_thread_self());
	OWNER_IS(c, MIPC_OWNER_NONE, 0);
	reply_to(sc.sp, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	wscene_end(&sc, 2);
}
END_TEST

/* ---- N3: MACH_RCV_SYNC_WAIT (S4) ----------------------------------------- */

/* The SRP is linked to the peer, a send right: C -> SRP -> P -> W -> S. */
START_TEST(N3_sync_wait_peer_send_right_links)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	actor_init(c, ACT_CMD, UI);
	c->a_dest = sc.p;
	actor_start(c);
	actor_post(c, cl_receive_sync_wait);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(s->a_th, UI);
	OWNER_IS(c, MIPC_OWNER_PORT, s->a_tid);
	CHAIN_IS(c->a_th, UI, s->a_tid, PORT_, PORT_, WL_, THREAD_);
	/* Anything arriving ends it. */
	SEND_OK(
	    sc.sp, atomic_load(&c->a_srp), MACH_MSG_TYPE_MAKE_SEND_ONCE, 12);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	wscene_end(&sc, 2);
}
END_TEST

/* A peer that names no send right (a port set, a receive-only name): the
 * receive proceeds, unlinked. */
START_TEST(N3_sync_wait_peer_not_a_send_right_proceeds_unlinked)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	mach_port_name_t ps, ro;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	ps = pset_new(sc.sp);
	ro = recv_new(sc.sp);
	KR_OK(mipc_workloop_attach(sc.wl, ro));
	KR_OK(mipc_workloop_attach(sc.wl, ps));
	actor_init(c, ACT_CMD, UI);
	c->a_dest = ro;
	actor_start(c);
	actor_post(c, cl_receive_sync_wait);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	AT_BASE(s->a_th);
	OWNER_IS(c, MIPC_OWNER_NONE, 0);
	SEND_OK(
	    sc.sp, atomic_load(&c->a_srp), MACH_MSG_TYPE_MAKE_SEND_ONCE, 12);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	c->a_dest = ps;
	actor_post(c, cl_receive_sync_wait);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	AT_BASE(s->a_th);
	OWNER_IS(c, MIPC_OWNER_NONE, 0);
	SEND_OK(
	    sc.sp, atomic_load(&c->a_srp), MACH_MSG_TYPE_MAKE_SEND_ONCE, 13);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	wscene_end(&sc, 2);
	KR_OK(mipc_port_destroy(sc.sp, ps));
	KR_OK(mipc_port_destroy(sc.sp, ro));
}
END_TEST

/* A dead peer: MACH_RCV_INVALID_NOTIFY, nothing received or linked. */
START_TEST(N3_sync_wait_dead_peer_invalid_notify)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	actor_init(c, ACT_CMD, UI);
	c->a_dest = MACH_PORT_DEAD;
	actor_start(c);
	VAL_EQ(ACTOR_DO(c, cl_receive_sync_wait), MACH_RCV_INVALID_NOTIFY);
	AT_BASE(s->a_th);
	c->a_dest = dead_new(sc.sp);
	c->a_timeout = 1;
	/* A dead name is a valid name: no send right, unlinked. */
	VAL_EQ(ACTOR_DO(c, cl_receive_sync_wait), MACH_RCV_TIMED_OUT);
	AT_BASE(s->a_th);
	wscene_end(&sc, 2);
}
END_TEST

/* ---- N4: base changes re-push, through the knote ------------------------- */

START_TEST(N4_blocked_client_base_changes_follow_through_the_knote)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	rscene(&sc, c, UI, 10, 0);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_thread_set_base_priority(c->a_th, IN));
	EFF_EQ(s->a_th, IN);
	KR_OK(mipc_thread_set_base_priority(c->a_th, 60));
	EFF_EQ(s->a_th, 60);
	CHAIN_IS(c->a_th, 60, s->a_tid, PORT_, WL_, THREAD_);
	/* Below the servicer's base: it runs at its base. */
	KR_OK(mipc_thread_set_base_priority(c->a_th, 2));
	EFF_EQ(s->a_th, LOW);
	KR_OK(mipc_thread_set_base_priority(c->a_th, UI));
	EFF_EQ(s->a_th, UI);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	wscene_end(&sc, 2);
}
END_TEST

/* ---- M1: a two-hop RPC, each server on a workloop ------------------------ */

/*
 * Client C (60) calls A (servicer of WA, 4); A, serving it, calls B
 * (servicer of WB, 4).  C's push reaches B through A: C -> SRP_C -> WA
 * -> A -> SRP_A -> WB -> B.  B replies: B at base, A still 60; A
 * replies: everyone at base.
 */
START_TEST(M1_two_hop_rpc_through_two_workloops)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wa = wl_new(task, 0), wb = wl_new(task, 0);
	mach_port_name_t pa = tport_new(task, MACH_PORT_QLIMIT_DEFAULT),
	                 pb = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	struct actor as[3], *c = &as[0], *a = &as[1], *b = &as[2];

	KR_OK(mipc_workloop_attach(wa, pa));
	KR_OK(mipc_workloop_attach(wb, pb));
	actor_servicer(a, LOW, wa);
	actor_servicer(b, LOW, wb);
	actor_post(a, wl_cmd_recv);
	WAIT_BLOCKED(a, MIPC_WAIT_RECEIVE);
	actor_post(b, wl_cmd_recv);
	WAIT_BLOCKED(b, MIPC_WAIT_RECEIVE);
	/* C's request reaches A. */
	actor_init(c, ACT_CMD, 60);
	c->a_dest = pa;
	c->a_id = 1;
	actor_start(c);
	actor_post(c, cl_rpc);
	VAL_EQ(WAIT_DONE(a), MACH_MSG_SUCCESS);
	VAL_EQ(a->a_buf.h.msgh_id, 1);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(a->a_th, 60);
	AT_BASE(b->a_th);
	/* A calls B, keeping C's reply right (a_so). */
	a->a_dest = pb;
	a->a_id = 2;
	actor_post(a, wl_cmd_call);
	VAL_EQ(WAIT_DONE(b), MACH_MSG_SUCCESS);
	VAL_EQ(b->a_buf.h.msgh_id, 2);
	WAIT_BLOCKED(a, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(a->a_th, 60);
	EFF_EQ(b->a_th, 60);
	/* The whole chain, from C. */
	CHAIN_IS(
	    c->a_th, 60, b->a_tid, PORT_, WL_, THREAD_, PORT_, WL_, THREAD_);
	OWNER_IS(c, MIPC_OWNER_WORKLOOP, a->a_tid);
	OWNER_IS(a, MIPC_OWNER_WORKLOOP, b->a_tid);
	/* B replies: B at base, A still 60. */
	b->a_id = 3;
	VAL_EQ(ACTOR_DO(b, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(a), MACH_MSG_SUCCESS);
	VAL_EQ(a->a_buf.h.msgh_id, 3);
	AT_BASE(b->a_th);
	EFF_EQ(a->a_th, 60);
	CHAIN_IS(c->a_th, 60, a->a_tid, PORT_, WL_, THREAD_);
	/* A replies to C. */
	a->a_id = 4;
	VAL_EQ(ACTOR_DO(a, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 4);
	AT_BASE(a->a_th);
	AT_BASE(b->a_th);
	VAL_EQ(ACTOR_DO(b, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wb));
	VAL_EQ(ACTOR_DO(a, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wa));
	actors_end(as, 3);
}
END_TEST

/* ---- M5: two clients on one port, one times out -------------------------- */

static bool
M5_attempt(mach_msg_timeout_t tmo)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c40 = &sc.as[1], *c47 = &sc.as[2];
	int e1, e2;
	bool valid;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	rscene(&sc, c40, 40, 40, 0);
	rscene(&sc, c47, UI, 47, tmo);
	e1 = eff_of(s->a_th);
	valid = still_blocked(c47, MIPC_WAIT_SRP_REPLY);
	if (valid)
		VAL_EQ(e1, UI);
	VAL_EQ(WAIT_DONE(c47), MACH_RCV_TIMED_OUT);
	e2 = eff_of(s->a_th);
	VAL_EQ(e2, 40);
	/* Both requests are still queued; the 40's first (FIFO). */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 40);
	EFF_EQ(s->a_th, 40);
	s->a_id = 41;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply_recv), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c40), MACH_MSG_SUCCESS);
	/* The timed-out client's request: its SRP is ANY, no push. */
	VAL_EQ(s->a_buf.h.msgh_id, 47);
	AT_BASE(s->a_th);
	s->a_id = 48;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	wscene_end(&sc, 3);
	return valid;
}

START_TEST(M5_two_clients_one_times_out)
{
	retry_timeouts(M5_attempt);
}
END_TEST

/* ---- LL: lost links (MACH.md S6, S7; XNU's tests/kevent_qos.c) ----------- */

/* Client commands: monitoring start / stop (libsyscall's wrappers). */
static void
ll_start(struct actor *a)
{
	mach_port_t srp = MACH_PORT_NULL;

	a->a_mr = mach_sync_ipc_link_monitoring_start(&srp);
	atomic_store(&a->a_srp, srp);
}

static void
ll_stop(struct actor *a)
{
	boolean_t in_effect = 2;

	a->a_mr = mach_sync_ipc_link_monitoring_stop(
	    atomic_load(&a->a_srp), &in_effect);
	a->a_seen = in_effect;
}

static void
ll_reset(struct actor *a)
{
	boolean_t lost = 2;

	a->a_mr = mach_port_special_reply_port_reset_link(
	    mach_task_self(), atomic_load(&a->a_srp), &lost);
	a->a_seen = lost;
}

/* Server commands beyond turnstile_helpers.h's. */
static void
ll_deallocate(struct actor *a)
{
	a->a_mr = mipc_port_deallocate(act_space(a), a->a_so);
	a->a_so = MACH_PORT_NULL;
}

/* C (UI), a client of P monitoring its link (ll_start), request id 10. */
static void
ll_client(struct wscene *sc, struct actor *c)
{
	actor_init(c, ACT_CMD, UI);
	c->a_dest = sc->p;
	c->a_id = 10;
	actor_start(c);
	VAL_EQ(ACTOR_DO(c, ll_start), KERN_SUCCESS);
}

/*
 * One kevent_qos.c shape: the server's steps for each request, after it
 * received the request through its workloop:
 *   s  reply (a plain mach_msg)      k  re-enable (enable_kevent)
 *   P  reply and re-enable in one call (the event handed back: "skp")
 *   R  re-enable by receiving again, no reply ("kp")
 *   d  deallocate the reply right    n  nothing (the client times out)
 *   e  the server's space is destroyed (the process exits)
 * and whether the link stayed in effect (no lost link), as XNU reports.
 */
struct ll_shape {
	const char *xnu;   /* kevent_qos.c's test: server_kevent_id_... */
	const char *steps; /* per request, '|' between requests */
	bool in_effect;
};

static const struct ll_shape ll_shapes[] = {
	{ "send_sync_link_correct_server_s", "s", true },
	{ "send_sync_link_correct_server_d", "d", true },
	{ "send_sync_link_correct_server_sk", "sk", true },
	{ "send_sync_link_correct_server_skp", "P", true },
	{ "send_sync_link_incorrect_server_ks", "ks", false },
	{ "send_sync_link_correct_server_n", "n", true },
	{ "send_sync_link_incorrect_server_kp", "R", false },
	{ "send_sync_link_correct_server_e", "e", true },
	{ "send_2sync_link_correct_server_sksk", "sk|sk", true },
	{ "send_2sync_link_incorrect_server_kssk", "ks|sk", false },
	{ "send_2sync_link_incorrect_server_ksks", "ks|ks", false },
	{ "send_2sync_link_incorrect_server_skks", "sk|ks", false },
};

static void
ll_run(const struct ll_shape *sh)
{
	mipc_space_t task = mipc_thread_space(), srv = NULL;
	mipc_workloop_t wl;
	mach_port_name_t p;
	struct actor as[2], *s = &as[0], *c = &as[1];
	const char *st;
	bool srv_dead = false, noreply;

	KR_OK(mipc_space_create(&srv));
	wl = wl_new(srv, 0);
	p = tport_new(srv, MACH_PORT_QLIMIT_DEFAULT);
	KR_OK(mipc_workloop_attach(wl, p));
	actor_servicer(s, LOW, wl);
	s->a_space = srv;
	actor_init(c, ACT_CMD, UI);
	c->a_dest = send_in(task, srv, p);
	c->a_id = 10;
	actor_start(c);
	VAL_EQ(ACTOR_DO(c, ll_start), KERN_SUCCESS);
	REFS_EQ(task, atomic_load(&c->a_srp), MACH_PORT_RIGHT_SEND, 2);
	for (st = sh->steps;; st++) {
		/* No reply (n, R): the client's receive times out. */
		noreply = strcspn(st, "sPde") >= strcspn(st, "|");
		c->a_timeout = noreply ? 200 : 0;
		actor_post(c, cl_rpc);
		VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
		VAL_EQ(s->a_buf.h.msgh_id, 10);
		if (!noreply) {
			/* Blocked, C pushes on S through the knote. */
			WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
			EFF_EQ(s->a_th, UI);
		}
		for (; *st != '\0' && *st != '|'; st++) {
			s->a_id = 11;
			switch (*st) {
			case 's':
				VAL_EQ(ACTOR_DO(s, wl_cmd_plain_reply),
				    MACH_MSG_SUCCESS);
				break;
			case 'k':
				VAL_EQ(ACTOR_DO(s, wl_cmd_reenable),
				    MACH_MSG_SUCCESS);
				break;
			case 'P':
				VAL_EQ(ACTOR_DO(s, wl_cmd_reply),
				    MACH_MSG_SUCCESS);
				break;
			case 'R':
				VAL_EQ(ACTOR_DO(s, wl_cmd_recv_now),
				    MACH_RCV_TIMED_OUT);
				break;
			case 'd':
				VAL_EQ(
				    ACTOR_DO(s, ll_deallocate), KERN_SUCCESS);
				break;
			case 'n':
				break;
			case 'e':
				KR_OK(mipc_space_destroy(srv));
				srv_dead = true;
				break;
			}
		}
		if (noreply) {
			VAL_EQ(WAIT_DONE(c), MACH_RCV_TIMED_OUT);
		} else {
			VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
			/* A reply, or the send-once notification (d, e). */
			ck_assert(c->a_buf.h.msgh_id == 11 ||
			    c->a_buf.h.msgh_id == MACH_NOTIFY_SEND_ONCE);
		}
		if (*st == '\0')
			break;
	}
	VAL_EQ(ACTOR_DO(c, ll_stop), KERN_SUCCESS);
	ck_assert_msg(c->a_seen == (sh->in_effect ? TRUE : FALSE),
	    "%s (%s): link in effect %d, XNU says %d", sh->xnu, sh->steps,
	    c->a_seen, sh->in_effect);
	/* stop released start's extra send uref. */
	REFS_EQ(task, atomic_load(&c->a_srp), MACH_PORT_RIGHT_SEND, 1);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 2);
	if (!srv_dead)
		KR_OK(mipc_space_destroy(srv));
}

START_TEST(LL_kevent_qos_shapes)
{
	ll_run(&ll_shapes[_i]);
}
END_TEST

/*
 * reset_link reports a lost link once and clears it (S6); a reply sent
 * before re-enable is no lost link; the flag is kept across receives
 * until reset (kevent_qos.c's 2-message shapes).
 */
START_TEST(LL_reset_link_reports_once)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	rscene(&sc, c, UI, 10, 0);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(s, wl_cmd_reenable), MACH_MSG_SUCCESS); /* lost */
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_plain_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(c, ll_reset), KERN_SUCCESS);
	VAL_EQ(c->a_seen, TRUE);
	VAL_EQ(ACTOR_DO(c, ll_reset), KERN_SUCCESS);
	VAL_EQ(c->a_seen, FALSE);
	/* A reply before re-enable: kept. */
	actor_post(c, cl_rpc);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(c, ll_reset), KERN_SUCCESS);
	VAL_EQ(c->a_seen, FALSE);
	/* Through a plain server nothing is ever lost (no knote). */
	actor_post(c, cl_rpc);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	reply_to(sc.sp, serve_request(sc.sp, sc.p, 10), 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(c, ll_reset), KERN_SUCCESS);
	VAL_EQ(c->a_seen, FALSE);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * A reply sent before the re-enable is no lost link even while it sits
 * unreceived in the client's SRP (XNU's msg_sent bit): here the client
 * sent its request and does not wait yet.  The same for the send-once
 * notification of a reply right deallocated; and, the control, a
 * re-enable before the reply is a lost link.
 */
START_TEST(LL_reply_queued_before_reenable_is_no_lost_link)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	int round;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	ll_client(&sc, c);
	for (round = 0; round < 3; round++) {
		VAL_EQ(ACTOR_DO(c, cl_send), MACH_MSG_SUCCESS);
		VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
		s->a_id = 11;
		if (round == 2) /* re-enable first: lost */
			VAL_EQ(ACTOR_DO(s, wl_cmd_reenable), MACH_MSG_SUCCESS);
		if (round == 1)
			VAL_EQ(ACTOR_DO(s, ll_deallocate), KERN_SUCCESS);
		else
			VAL_EQ(
			    ACTOR_DO(s, wl_cmd_plain_reply), MACH_MSG_SUCCESS);
		VAL_EQ(ACTOR_DO(s, wl_cmd_reenable), MACH_MSG_SUCCESS);
		VAL_EQ(ACTOR_DO(c, cl_receive), MACH_MSG_SUCCESS);
		VAL_EQ(c->a_buf.h.msgh_id,
		    round == 1 ? MACH_NOTIFY_SEND_ONCE : 11);
		VAL_EQ(ACTOR_DO(c, ll_reset), KERN_SUCCESS);
		VAL_EQ(c->a_seen, round == 2 ? TRUE : FALSE);
	}
	VAL_EQ(ACTOR_DO(c, ll_stop), KERN_SUCCESS);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * The servicer's thread exits holding a request whose reply it never
 * sent: the link is cut as by a re-enable (XNU: the knote's drop,
 * SR_ENABLE_EVENT), a lost link; the reply right stays the space's.
 */
START_TEST(LL_servicer_exit_before_reply_loses_the_link)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	mach_port_name_t so;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	ll_client(&sc, c);
	actor_post(c, cl_rpc);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	so = s->a_so;
	EFF_EQ(s->a_th, UI);
	actor_finish(s);
	OWNER_IS(c, MIPC_OWNER_NONE, 0);
	reply_to(sc.sp, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(c, ll_stop), KERN_SUCCESS);
	VAL_EQ(c->a_seen, FALSE);
	KR_OK(mipc_workloop_destroy(sc.wl));
	actors_end(sc.as, 2);
}
END_TEST

/* S6's return codes, checked on an actor's thread (fresh: no SRP yet). */
static void
ll_reset_codes(struct actor *a)
{
	mipc_space_t task = mipc_thread_space(), other = NULL;
	mach_port_name_t srp, r, snd, other_task;
	boolean_t lost = 2;

	/* No SRP yet: KERN_INVALID_VALUE (after the name checks). */
	r = recv_new(task);
	KR_EQ(
	    mach_port_special_reply_port_reset_link(mach_task_self(), r, &lost),
	    KERN_INVALID_VALUE);
	KR_EQ(mach_port_special_reply_port_reset_link(
	          mach_task_self(), MACH_PORT_NULL, &lost),
	    KERN_INVALID_NAME);
	srp = thread_get_special_reply_port();
	KR_EQ(
	    mach_port_special_reply_port_reset_link(MACH_PORT_NULL, srp, &lost),
	    MACH_SEND_INVALID_DEST);
	KR_OK(mipc_space_create(&other));
	KR_OK(mipc_space_task_port(other, &other_task));
	KR_EQ(mach_port_special_reply_port_reset_link(other_task, srp, &lost),
	    KERN_INVALID_TASK);
	KR_EQ(mach_port_special_reply_port_reset_link(
	          mach_task_self(), MACH_PORT_NULL, &lost),
	    KERN_INVALID_NAME);
	KR_EQ(mach_port_special_reply_port_reset_link(
	          mach_task_self(), MACH_PORT_DEAD, &lost),
	    KERN_INVALID_NAME);
	KR_EQ(mach_port_special_reply_port_reset_link(
	          mach_task_self(), conf_stale_name(task), &lost),
	    KERN_INVALID_NAME);
	/* A send right only: no receive right. */
	snd = send_in(task, other, recv_new(other));
	KR_EQ(mach_port_special_reply_port_reset_link(
	          mach_task_self(), snd, &lost),
	    KERN_INVALID_RIGHT);
	/* A receive right that is not this thread's SRP. */
	KR_EQ(
	    mach_port_special_reply_port_reset_link(mach_task_self(), r, &lost),
	    KERN_INVALID_ARGUMENT);
	VAL_EQ(lost, 2); /* untouched by every failure */
	KR_OK(mach_port_special_reply_port_reset_link(
	    mach_task_self(), srp, &lost));
	VAL_EQ(lost, FALSE);
	/* The previous SRP after a new one is bound: not ours any more. */
	KR_EQ(mach_port_special_reply_port_reset_link(mach_task_self(),
	          (thread_get_special_reply_port(), srp), &lost),
	    KERN_INVALID_ARGUMENT);
	KR_OK(mipc_space_destroy(other));
	KR_OK(mipc_port_destroy(task, r));
	KR_OK(mipc_port_deallocate(task, snd));
	a->a_mr = KERN_SUCCESS;
}

START_TEST(LL_reset_link_return_codes)
{
	struct actor as[2], *a = &as[0], *b = &as[1];
	mach_port_name_t srp_b;
	boolean_t lost = 2;

	actor_init(a, ACT_FN, -1);
	a->a_fn = ll_reset_codes;
	actor_start(a);
	VAL_EQ(WAIT_DONE(a), KERN_SUCCESS);
	/* Another thread's SRP: KERN_INVALID_ARGUMENT. */
	actor_init(b, ACT_CMD, -1);
	actor_start(b);
	VAL_EQ(ACTOR_DO(b, ll_start), KERN_SUCCESS);
	srp_b = atomic_load(&b->a_srp);
	(void)thread_get_special_reply_port();
	KR_EQ(mach_port_special_reply_port_reset_link(
	          mach_task_self(), srp_b, &lost),
	    KERN_INVALID_ARGUMENT);
	VAL_EQ(ACTOR_DO(b, ll_stop), KERN_SUCCESS);
	VAL_EQ(b->a_seen, TRUE);
	actors_end(as, 2);
}
END_TEST

/* libsyscall's wrappers: start's extra uref, stop's release, NULL. */
START_TEST(LL_monitoring_start_stop)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_t srp = MACH_PORT_NULL;
	boolean_t in_effect = 2;

	KR_EQ(mach_sync_ipc_link_monitoring_start(NULL), KERN_INVALID_ARGUMENT);
	KR_OK(mach_sync_ipc_link_monitoring_start(&srp));
	ck_assert(MACH_PORT_VALID(srp));
	/* The thread's SRP (mig_get_special_reply_port), one more uref. */
	VAL_EQ(srp, mig_get_special_reply_port());
	REFS_EQ(task, srp, MACH_PORT_RIGHT_SEND, 2);
	KR_OK(mach_sync_ipc_link_monitoring_stop(srp, &in_effect));
	VAL_EQ(in_effect, TRUE);
	REFS_EQ(task, srp, MACH_PORT_RIGHT_SEND, 1);
	/* stop on a name that is not the SRP fails, and says "not in
	 * effect". */
	in_effect = 2;
	KR_EQ(mach_sync_ipc_link_monitoring_stop(recv_new(task), &in_effect),
	    KERN_INVALID_ARGUMENT);
	VAL_EQ(in_effect, FALSE);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *
sync_cases_suite(void)
{
	Suite *s = suite_create("sync_cases");
	TCase *tc;

	tc = conf_tcase("S1_S6_checkin");
	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, S1_checkin_right_in_transit_pushes_on_checking_in_thread);
	tcase_add_test(tc, S1_without_checkin_option_no_push);
	tcase_add_test(tc, S1_S6_push_never_dropped_between_the_steps);
	tcase_add_test(tc, S1_checkin_mark_stays_on_the_srp);
	tcase_add_test(tc, S6_message_received_on_the_right_ends_it);
	tcase_add_test(tc, S6_checking_in_thread_receives_on_it);
	tcase_add_test(tc, S6_attach_moves_the_push_to_the_servicer);
	tcase_add_test(tc, S6_watchport_moves_the_push);
	tcase_add_test(tc, S6_moving_the_right_ends_it);
	tcase_add_test(tc, S6_right_destroyed_ends_it);
	tcase_add_test(tc, S6_checkin_reply_through_a_workloop_is_case_4);
	tcase_add_test(tc, S6_receiving_thread_exits);
	suite_add_tcase(s, tc);

	tc = conf_tcase("S4_S5_S7_workloop_send_cases");
	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, S4_receive_right_through_workloop_pushes_until_reenable);
	tcase_add_test(tc, S4_push_never_dropped_at_the_copyout);
	tcase_add_test(tc, R2_push_never_dropped_at_the_dequeue);
	tcase_add_test(tc, R2_parked_servicer_raised_once_lowered_once);
	tcase_add_test(tc, S4_attach_of_the_stashed_right_is_case_7);
	tcase_add_test(tc, S5_second_receive_right_on_the_stash);
	tcase_add_test(tc, S5_stash_pushes_at_the_highest);
	tcase_add_test(tc, S7_attached_port_pushes_until_dequeue_and_detach);
	suite_add_tcase(s, tc);

	tc = conf_tcase("R2_R3_N_receive_cases");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, R2_dequeue_through_workloop_links_the_knote);
	tcase_add_test(tc, R2_parked_servicer_takes_the_request);
	tcase_add_test(tc, R3_two_reply_rights_knote_then_stash);
	tcase_add_test(tc, N1_plain_receive_of_attached_port_breaks_the_link);
	tcase_add_test(tc, N2_reenable_without_reply_severs_the_link);
	tcase_add_test(tc, N3_sync_wait_peer_send_right_links);
	tcase_add_test(
	    tc, N3_sync_wait_peer_not_a_send_right_proceeds_unlinked);
	tcase_add_test(tc, N3_sync_wait_dead_peer_invalid_notify);
	tcase_add_test(
	    tc, N4_blocked_client_base_changes_follow_through_the_knote);
	suite_add_tcase(s, tc);

	tc = conf_tcase("M_multihop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, M1_two_hop_rpc_through_two_workloops);
	tcase_add_test(tc, M5_two_clients_one_times_out);
	suite_add_tcase(s, tc);

	tc = conf_tcase("LL_lost_links");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, LL_kevent_qos_shapes, 0, (int)NELEM(ll_shapes));
	tcase_add_test(tc, LL_reset_link_reports_once);
	tcase_add_test(tc, LL_reply_queued_before_reenable_is_no_lost_link);
	tcase_add_test(tc, LL_servicer_exit_before_reply_loses_the_link);
	tcase_add_test(tc, LL_reset_link_return_codes);
	tcase_add_test(tc, LL_monitoring_start_stop);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(sync_cases_suite)
