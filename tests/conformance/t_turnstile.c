/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_turnstile.c -- priority inheritance through turnstiles (MACH.md T,
 * S3; TURNSTILES.md 4.2-4.4): one test per send and receive case the
 * engine has (S2 ports in transit, S3 watchports, R1 a client on its
 * special reply port, N1 a plain server breaking the link, N4 base
 * changes), per multi-hop shape (M2 a transit chain, M3 the hop limit, M4
 * a cycle, M5 mixed waiters), blocked senders' admission order, and one
 * per unwinding path of 4.4 that exists without workloops.
 *
 * Names: <row>_<what>, rows as in TURNSTILES.md 4.2/4.3; U<n>_ for the
 * unwinding paths of 4.4 (numbered there).  A plain thread blocked in a
 * receive is never pushed (T1), so every push is observed on a thread that
 * watches a port (send case 3): e.g. R1 is client (47) -> its SRP ->
 * destination P's send turnstile -> P watched by T -> T at 47.
 *
 * Each test waits until a thread is blocked by polling
 * mipc_thread_wait_info (turnstile_helpers.h), asserts effective
 * priorities through mipc_thread_get_priority, and ends (actors_end) with
 * every priority back at base and, after the helper threads are joined
 * and mipc_quiesce(), only the threads' own turnstiles alive.
 *
 * Tests whose unwinding is a timeout read the priorities while the
 * blocked thread must still be blocked, then check that it was: if its
 * timeout fired first (a very slow machine), the attempt is void and runs
 * again with a longer timeout; no assertion depends on timing.
 */
#include "turnstile_helpers.h"

/* ---- helpers -------------------------------------------------------------- */

/*
 * The common scene: T (LOW) watches P (qlimit 1, one message queued), H
 * at `hpri` blocked sending to P.
 */
struct scene {
	mipc_space_t sp;
	mach_port_name_t p;
	struct actor as[4];
};

static void
scene_blocked_sender(struct scene *sc, int hpri, mach_msg_timeout_t timeout)
{
	struct actor *t = &sc->as[0], *h = &sc->as[1];

	sc->sp = mipc_thread_space();
	sc->p = tport_new(sc->sp, 1);
	actor_park(t, LOW);
	watch(t->a_th, sc->sp, sc->p);
	tport_fill(sc->sp, sc->p, 1);
	actor_send(h, hpri, NULL, sc->p, 2, timeout);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
}

/* ---- S3: watchports ------------------------------------------------------- */

START_TEST(S3_blocked_sender_pushes_on_watching_thread)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	struct mipc_thread_priority pr;
	struct mipc_wait_info w;
	struct mipc_push_hop hops[8];
	uint32_t n;

	scene_blocked_sender(&sc, UI, 0);
	pr = pri_of(t->a_th);
	VAL_EQ(pr.base, LOW);
	VAL_EQ(pr.promotion, UI);
	VAL_EQ(pr.effective, UI);
	VAL_EQ(pr.qos, MIPC_QOS_BACKGROUND);
	VAL_EQ(pr.effective_qos, MIPC_QOS_USER_INTERACTIVE);
	/* The pusher is not pushed. */
	AT_BASE(h->a_th);
	EFF_EQ(h->a_th, UI);
	w = wait_of(h->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SEND_FULL);
	VAL_EQ(w.name, sc.p);
	VAL_EQ(w.owner_kind, MIPC_OWNER_THREAD);
	VAL_EQ(w.owner_tid, t->a_tid);
	VAL_EQ(w.push, UI);
	/* The watcher itself waits on nothing. */
	w = wait_of(t->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_NONE);
	VAL_EQ(w.push, 0);
	n = chain_of(h->a_th, hops, NELEM(hops));
	VAL_EQ(n, 3);
	HOP_EQ(hops[0], MIPC_OWNER_THREAD, UI);
	VAL_EQ(hops[0].tid, h->a_tid);
	ck_assert_ptr_eq(hops[0].object, h->a_th);
	HOP_EQ(hops[1], MIPC_OWNER_PORT, UI);
	ck_assert_ptr_nonnull(hops[1].object);
	HOP_EQ(hops[2], MIPC_OWNER_THREAD, UI);
	VAL_EQ(hops[2].tid, t->a_tid);
	ck_assert_ptr_eq(hops[2].object, t->a_th);
	/* Room: the sender is admitted, and its push goes with it. */
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(wait_of(h->a_th).wait_kind, MIPC_WAIT_NONE);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

START_TEST(S3_watching_alone_pushes_nothing)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[1], *t = &as[0];

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	AT_BASE(t->a_th);
	/* A full queue with nobody blocked pushes nothing either. */
	tport_fill(task, p, 1);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(task, p), 1);
	actors_end(as, 1);
}
END_TEST

START_TEST(S3_clear_watchports_drops_the_push)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	struct mipc_wait_info w;
	struct mipc_push_hop hops[8];

	scene_blocked_sender(&sc, UI, 0);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	AT_BASE(t->a_th);
	/* H is unaffected: still blocked, pushing on nobody. */
	w = wait_of(h->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SEND_FULL);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(w.owner_tid, 0);
	VAL_EQ(chain_of(h->a_th, hops, NELEM(hops)), 2);
	EFF_EQ(h->a_th, UI);
	/* Cleared once: clearing again is fine; a new set may be added. */
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	watch(t->a_th, sc.sp, sc.p);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4 (port death): C6(d)/J9 for the sender, the push goes with the port. */
START_TEST(S3_port_destroyed_drops_the_push)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];

	scene_blocked_sender(&sc, UI, 0);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_port_destroy(sc.sp, sc.p));
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS); /* J9 */
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.5: a watched port's receive right sent in a message (XNU T6). */
START_TEST(S3_transit_clears_the_watchport)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	mach_port_name_t q;

	scene_blocked_sender(&sc, UI, 0);
	q = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	EFF_EQ(t->a_th, UI);
	send_receive_right(sc.sp, q, sc.p);
	AT_BASE(t->a_th);
	VAL_EQ(wait_of(h->a_th).wait_kind, MIPC_WAIT_SEND_FULL);
	/* Back in the space: the watchport stays cleared. */
	VAL_EQ(take_receive_right(sc.sp, q), sc.p);
	AT_BASE(t->a_th);
	VAL_EQ(wait_of(h->a_th).owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.5: extract + insert keep the watchport (XNU never clears it there). */
START_TEST(S3_extract_and_insert_keep_the_push)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	mipc_space_t s2;
	mach_port_name_t n2;

	scene_blocked_sender(&sc, UI, 0);
	KR_OK(mipc_space_create(&s2));
	EFF_EQ(t->a_th, UI);
	n2 = move_receive(sc.sp, sc.p, s2);
	EFF_EQ(t->a_th, UI);
	VAL_EQ(wait_of(h->a_th).wait_kind, MIPC_WAIT_SEND_FULL); /* J9 */
	VAL_EQ(wait_of(h->a_th).owner_tid, t->a_tid);
	/* Back under its old name (the send right kept it). */
	KR_OK(mipc_port_insert_right(
	    sc.sp, sc.p, s2, n2, MACH_MSG_TYPE_MOVE_RECEIVE));
	TYPE_EQ(sc.sp, sc.p, MACH_PORT_TYPE_SEND_RECEIVE);
	EFF_EQ(t->a_th, UI);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_space_destroy(s2));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.10: the watching thread exits while boosted. */
START_TEST(S3_watcher_exits_drops_the_push)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	struct mipc_thread_priority pr;
	struct mipc_wait_info w;
	mach_port_name_t p2;

	scene_blocked_sender(&sc, UI, 0);
	EFF_EQ(t->a_th, UI);
	actor_finish(t); /* exits; the handle stays retained */
	w = wait_of(h->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SEND_FULL);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(w.owner_tid, 0);
	/* A handle outlives its thread: KERN_TERMINATED everywhere. */
	KR_EQ(mipc_thread_get_priority(t->a_th, &pr), KERN_TERMINATED);
	KR_EQ(mipc_thread_set_base_priority(t->a_th, 20), KERN_TERMINATED);
	KR_EQ(
	    mipc_thread_set_qos(t->a_th, MIPC_QOS_UTILITY, 0), KERN_TERMINATED);
	KR_EQ(mipc_thread_wait_info(t->a_th, &w), KERN_TERMINATED);
	KR_EQ(mipc_thread_clear_watchports(t->a_th), KERN_TERMINATED);
	p2 = tport_new(sc.sp, 1);
	KR_EQ(mipc_thread_add_watchports(t->a_th, sc.sp, &p2, 1),
	    KERN_TERMINATED);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	actors_end(sc.as, 2);
}
END_TEST

/* A port watched by one thread, added by another, moves (XNU's rule). */
START_TEST(S3_watched_port_moves_to_the_new_watcher)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1], *t2 = &sc.as[2];

	scene_blocked_sender(&sc, UI, 0);
	actor_park(t2, LOW);
	EFF_EQ(t->a_th, UI);
	watch(t2->a_th, sc.sp, sc.p);
	AT_BASE(t->a_th);
	EFF_EQ(t2->a_th, UI);
	VAL_EQ(wait_of(h->a_th).owner_tid, t2->a_tid);
	/* The first watcher's clear no longer touches the moved port. */
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	EFF_EQ(t2->a_th, UI);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t2->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t2->a_th));
	actors_end(sc.as, 3);
}
END_TEST

/* The push is the waiter's priority, capped at 63 (MAXPRI_USER). */
START_TEST(S3_push_capped_at_maxpri_user)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	struct mipc_thread_priority pr;

	scene_blocked_sender(&sc, 100, 0);
	pr = pri_of(t->a_th);
	VAL_EQ(pr.promotion, MIPC_PRI_USER_MAX);
	VAL_EQ(pr.effective, MIPC_PRI_USER_MAX);
	VAL_EQ(pr.effective_qos, MIPC_QOS_USER_INTERACTIVE);
	EFF_EQ(h->a_th, 100);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* A watcher's own base above the push: the push shows, not the effective. */
START_TEST(S3_push_below_base_changes_nothing)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	struct mipc_thread_priority pr;

	scene_blocked_sender(&sc, 20, 0);
	EFF_EQ(t->a_th, 20);
	KR_OK(mipc_thread_set_base_priority(t->a_th, 40));
	pr = pri_of(t->a_th);
	VAL_EQ(pr.base, 40);
	VAL_EQ(pr.promotion, 20);
	VAL_EQ(pr.effective, 40);
	KR_OK(mipc_thread_set_base_priority(t->a_th, LOW));
	EFF_EQ(t->a_th, 20);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* ---- S2: a port in transit pushes on its destination ---------------------- */

START_TEST(S2_port_in_transit_pushes_on_destination)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1], *t2 = &sc.as[2];
	struct mipc_wait_info w;
	struct mipc_push_hop hops[8];
	mach_port_name_t q;

	/* P (H blocked on it) is watched by T; Q by T2. */
	scene_blocked_sender(&sc, UI, 0);
	actor_park(t2, LOW);
	q = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	watch(t2->a_th, sc.sp, q);
	AT_BASE(t2->a_th);
	/* P's receive right in a message on Q: P pushes on Q's turnstile. */
	send_receive_right(sc.sp, q, sc.p);
	AT_BASE(t->a_th);
	EFF_EQ(t2->a_th, UI);
	w = wait_of(h->a_th);
	VAL_EQ(w.owner_kind, MIPC_OWNER_TRANSIT);
	VAL_EQ(w.owner_tid, t2->a_tid);
	VAL_EQ(chain_of(h->a_th, hops, NELEM(hops)), 4);
	HOP_EQ(hops[0], MIPC_OWNER_THREAD, UI);
	HOP_EQ(hops[1], MIPC_OWNER_TRANSIT, UI);
	HOP_EQ(hops[2], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[3], MIPC_OWNER_THREAD, UI);
	VAL_EQ(hops[3].tid, t2->a_tid);
	ck_assert_ptr_ne(hops[1].object, hops[2].object);
	/* A plain receive takes P out of transit: the push goes. */
	VAL_EQ(take_receive_right(sc.sp, q), sc.p);
	AT_BASE(t2->a_th);
	AT_BASE(t->a_th);
	w = wait_of(h->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SEND_FULL);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	TS_EQ_THREADS();
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	KR_OK(mipc_thread_clear_watchports(t2->a_th));
	actors_end(sc.as, 3);
}
END_TEST

/* The in-transit message destroyed (its destination dies): push gone. */
START_TEST(S2_transit_message_destroyed_drops_the_push)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1], *t2 = &sc.as[2];
	mach_port_name_t q;

	scene_blocked_sender(&sc, UI, 0);
	actor_park(t2, LOW);
	q = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	watch(t2->a_th, sc.sp, q);
	send_receive_right(sc.sp, q, sc.p);
	EFF_EQ(t2->a_th, UI);
	/* Q dies: its queue is destroyed, and P with it (O). */
	KR_OK(mipc_port_destroy(sc.sp, q));
	AT_BASE(t2->a_th);
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS); /* J9: P died */
	TS_EQ_THREADS();
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 3);
}
END_TEST

/* ---- R1 / N1: a client waiting on its special reply port ------------------ */

/* T (LOW) watches P; C (UI) blocked in an RPC to P through its SRP. */
static void
scene_rpc(struct scene *sc, int cpri, mach_msg_timeout_t timeout, bool split)
{
	struct actor *t = &sc->as[0], *c = &sc->as[1];

	sc->sp = mipc_thread_space();
	sc->p = tport_new(sc->sp, MACH_PORT_QLIMIT_DEFAULT);
	actor_park(t, LOW);
	watch(t->a_th, sc->sp, sc->p);
	actor_init(c, ACT_RPC, cpri);
	c->a_dest = sc->p;
	c->a_id = 10;
	c->a_timeout = timeout;
	c->a_split = split;
	actor_start(c);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
}

static void
R1_check(bool split)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];
	struct mipc_wait_info w;
	struct mipc_push_hop hops[8];
	mach_port_name_t so;

	scene_rpc(&sc, UI, 0, split);
	EFF_EQ(t->a_th, UI);
	AT_BASE(c->a_th);
	w = wait_of(c->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(w.name, atomic_load(&c->a_srp));
	VAL_EQ(w.owner_kind, MIPC_OWNER_PORT);
	VAL_EQ(w.owner_tid, t->a_tid);
	VAL_EQ(w.push, UI);
	/* client -> its SRP's receive turnstile -> P's send turnstile -> T */
	VAL_EQ(chain_of(c->a_th, hops, NELEM(hops)), 4);
	HOP_EQ(hops[0], MIPC_OWNER_THREAD, UI);
	HOP_EQ(hops[1], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[2], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[3], MIPC_OWNER_THREAD, UI);
	VAL_EQ(hops[3].tid, t->a_tid);
	ck_assert_ptr_ne(hops[1].object, hops[2].object);
	/* N1: a plain receive of the request breaks the link. */
	so = serve_request(sc.sp, sc.p, 10);
	AT_BASE(t->a_th);
	w = wait_of(c->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	VAL_EQ(w.owner_tid, 0);
	VAL_EQ(chain_of(c->a_th, hops, NELEM(hops)), 2);
	TS_EQ_THREADS(); /* the link's hold on P's send turnstile went */
	reply_to(sc.sp, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 11);
	AT_BASE(t->a_th);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}

START_TEST(R1_client_pushes_through_its_special_reply_port)
{
	R1_check(false);
}
END_TEST

START_TEST(R1_send_then_receive_pushes_the_same)
{
	R1_check(true);
}
END_TEST

/* N1, then a second RPC links again (receive completion reset to ANY). */
START_TEST(N1_link_reset_by_the_reply_links_again)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	struct actor as[2], *t = &as[0], *c = &as[1];
	mach_port_name_t srp, so;
	msg_buf_t b;
	int round;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	/*
	 * The main thread is the client of two RPCs in a row, the actor C
	 * its receive side: the main thread sends, C waits on the SRP.
	 */
	srp = thread_get_special_reply_port();
	ck_assert(MACH_PORT_VALID(srp));
	for (round = 0; round < 2; round++) {
		msg_init(&b,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		    p, srp, 20 + round);
		KR_EQ(msg_send(task, &b, HDR_SIZE), MACH_MSG_SUCCESS);
		actor_init(c, ACT_RECV, UI);
		c->a_rcv = srp;
		actor_start(c);
		WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
		EFF_EQ(t->a_th, UI);
		so = serve_request(task, p, 20 + round);
		AT_BASE(t->a_th);
		reply_to(task, so, 30 + round);
		VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
		VAL_EQ(c->a_buf.h.msgh_id, 30 + round);
		actor_end(c);
	}
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 1);
}
END_TEST

/* ---- N4: base changes of a blocked thread re-push --------------------------- */

START_TEST(N4_blocked_client_base_changes_repush)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];
	mach_port_name_t so;

	scene_rpc(&sc, UI, 0, false);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_thread_set_base_priority(c->a_th, IN));
	EFF_EQ(t->a_th, IN);
	VAL_EQ(wait_of(c->a_th).push, IN);
	KR_OK(mipc_thread_set_base_priority(c->a_th, 60));
	EFF_EQ(t->a_th, 60);
	KR_OK(mipc_thread_set_qos(c->a_th, MIPC_QOS_UTILITY, 0));
	EFF_EQ(t->a_th, 20);
	VAL_EQ(pri_of(t->a_th).promotion, 20);
	/* Above MAXPRI_USER: capped at 63 on the thread pushed. */
	KR_OK(mipc_thread_set_base_priority(c->a_th, 90));
	EFF_EQ(t->a_th, MIPC_PRI_USER_MAX);
	EFF_EQ(c->a_th, 90);
	/* Below the watcher's base: it runs at its base again. */
	KR_OK(mipc_thread_set_base_priority(c->a_th, 2));
	EFF_EQ(t->a_th, LOW);
	KR_OK(mipc_thread_set_base_priority(c->a_th, UI));
	EFF_EQ(t->a_th, UI);
	so = serve_request(sc.sp, sc.p, 10);
	AT_BASE(t->a_th);
	/* Unlinked: a base change pushes nowhere. */
	KR_OK(mipc_thread_set_base_priority(c->a_th, 60));
	AT_BASE(t->a_th);
	reply_to(sc.sp, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

START_TEST(N4_blocked_sender_base_changes_repush)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];

	scene_blocked_sender(&sc, UI, 0);
	KR_OK(mipc_thread_set_base_priority(h->a_th, IN));
	EFF_EQ(t->a_th, IN);
	KR_OK(mipc_thread_set_base_priority(h->a_th, 60));
	EFF_EQ(t->a_th, 60);
	KR_OK(mipc_thread_set_base_priority(h->a_th, UI));
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* A base change of the watcher itself: effective = max(base, push). */
START_TEST(N4_watcher_base_change_keeps_the_push)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];

	scene_blocked_sender(&sc, IN, 0);
	KR_OK(mipc_thread_set_base_priority(t->a_th, 60));
	EFF_EQ(t->a_th, 60);
	VAL_EQ(pri_of(t->a_th).promotion, IN);
	KR_OK(mipc_thread_set_base_priority(t->a_th, 10));
	EFF_EQ(t->a_th, IN);
	KR_OK(mipc_thread_set_base_priority(t->a_th, LOW));
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* ---- blocked senders: admission order (J8) --------------------------------- */

START_TEST(J8_blocked_senders_admitted_highest_first_fifo_among_equals)
{
	static const struct {
		int pri;
		mach_msg_id_t id;
	} s[] = { { 20, 1 }, { 47, 2 }, { 31, 3 }, { 47, 4 }, { 20, 5 },
		{ 37, 6 } };
	static const mach_msg_id_t order[] = { 100, 2, 4, 6, 3, 1, 5 };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[NELEM(s)];
	unsigned i;

	tport_fill(task, p, 100);
	for (i = 0; i < NELEM(s); i++) {
		actor_send(&as[i], s[i].pri, NULL, p, s[i].id, 0);
		WAIT_BLOCKED(&as[i], MIPC_WAIT_SEND_FULL);
	}
	for (i = 0; i < NELEM(order); i++)
		VAL_EQ(tport_take(task, p), order[i]);
	for (i = 0; i < NELEM(s); i++)
		VAL_EQ(WAIT_DONE(&as[i]), MACH_MSG_SUCCESS);
	RECV_EMPTY(task, p);
	actors_end(as, NELEM(s));
}
END_TEST

/* A new sender does not jump the queue of blocked ones. */
START_TEST(J8_room_goes_to_blocked_senders_first)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[1], *h = &as[0];

	tport_fill(task, p, 1);
	actor_send(h, 20, NULL, p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	VAL_EQ(tport_take(task, p), 1);
	/* The room is H's: a non-blocking send still finds the queue full. */
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	KR_EQ(
	    send_to(task, p, MACH_MSG_TYPE_COPY_SEND, 3), MACH_SEND_TIMED_OUT);
	VAL_EQ(tport_take(task, p), 2);
	actors_end(as, 1);
}
END_TEST

/* ---- M2: multi-hop through a transit chain ---------------------------------- */

START_TEST(M2_push_through_transit_chain)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1], *t2 = &sc.as[2];
	struct mipc_push_hop hops[8];
	mach_port_name_t q, r;

	scene_blocked_sender(&sc, UI, 0);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	AT_BASE(t->a_th);
	q = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	r = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	watch(t->a_th, sc.sp, r);
	/* P in transit to Q, Q in transit to R, R watched by T. */
	send_receive_right(sc.sp, q, sc.p);
	AT_BASE(t->a_th);
	send_receive_right(sc.sp, r, q);
	EFF_EQ(t->a_th, UI);
	VAL_EQ(wait_of(h->a_th).owner_kind, MIPC_OWNER_TRANSIT);
	VAL_EQ(wait_of(h->a_th).owner_tid, t->a_tid);
	VAL_EQ(chain_of(h->a_th, hops, NELEM(hops)), 5);
	HOP_EQ(hops[1], MIPC_OWNER_TRANSIT, UI);
	HOP_EQ(hops[2], MIPC_OWNER_TRANSIT, UI);
	HOP_EQ(hops[3], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[4], MIPC_OWNER_THREAD, UI);
	/* Dequeue Q: the push follows it, off R's watcher. */
	VAL_EQ(take_receive_right(sc.sp, r), q);
	AT_BASE(t->a_th);
	actor_park(t2, LOW);
	watch(t2->a_th, sc.sp, q);
	EFF_EQ(t2->a_th, UI);
	AT_BASE(t->a_th);
	VAL_EQ(chain_of(h->a_th, hops, NELEM(hops)), 4);
	VAL_EQ(hops[3].tid, t2->a_tid);
	/* Dequeue P: nothing pushes any more. */
	VAL_EQ(take_receive_right(sc.sp, q), sc.p);
	AT_BASE(t2->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	TS_EQ_THREADS();
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	KR_OK(mipc_thread_clear_watchports(t2->a_th));
	actors_end(sc.as, 3);
}
END_TEST

/* A client's SRP push follows its destination into transit (R1 + S2). */
START_TEST(M2_client_push_follows_destination_into_transit)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1], *t2 = &sc.as[2];
	mipc_space_t s2;
	mach_port_name_t n2, q, so;

	scene_rpc(&sc, UI, 0, false);
	EFF_EQ(t->a_th, UI);
	/* Moved to another space: watchport and link both kept. */
	KR_OK(mipc_space_create(&s2));
	n2 = move_receive(sc.sp, sc.p, s2);
	EFF_EQ(t->a_th, UI);
	/* Into transit, to Q watched by T2: T drops, T2 gets it. */
	actor_park(t2, LOW);
	q = tport_new(s2, MACH_PORT_QLIMIT_DEFAULT);
	watch(t2->a_th, s2, q);
	send_receive_right(s2, q, n2);
	AT_BASE(t->a_th);
	EFF_EQ(t2->a_th, UI);
	VAL_EQ(wait_of(c->a_th).owner_tid, t2->a_tid);
	/* The server gets P back and takes the request: link broken (N1). */
	n2 = take_receive_right(s2, q);
	AT_BASE(t2->a_th);
	so = serve_request(s2, n2, 10);
	reply_to(s2, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 11);
	KR_OK(mipc_space_destroy(s2));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	KR_OK(mipc_thread_clear_watchports(t2->a_th));
	actors_end(sc.as, 3);
}
END_TEST

/* ---- M3: the hop limit ----------------------------------------------------- */

/*
 * H0 (UI) blocked sending to P1, watched by H1; H1 blocked sending to
 * P2, watched by H2; ... H12 parked.  A walk takes at most 10 thread hops
 * (a thread to the turnstile it waits on: H1 -> P2 is the first): H1 is
 * reached with none, H11 after the 10th, H12 would need an 11th.  (XNU's
 * thread_update_waiting_turnstile_priority_chain compares a 0-based count
 * with '>', which lets one more through; the "10 thread hops" is
 * the contract here.)
 */
#define M3_N           13
#define M3_THREAD_HOPS 10

START_TEST(M3_hop_limit_stops_the_walk)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[M3_N];
	mach_port_name_t p[M3_N]; /* p[k] is watched by as[k], k >= 1 */
	struct mipc_push_hop hops[2 * M3_N + 2];
	struct mipc_stats before, after;
	uint32_t n;
	int k;

	for (k = 1; k < M3_N; k++) {
		p[k] = tport_new(task, 1);
		tport_fill(task, p[k], 1000 + k);
	}
	actor_park(&as[M3_N - 1], LOW);
	watch(as[M3_N - 1].a_th, task, p[M3_N - 1]);
	for (k = M3_N - 2; k >= 1; k--) {
		actor_send(&as[k], LOW, NULL, p[k + 1], k, 0);
		WAIT_BLOCKED(&as[k], MIPC_WAIT_SEND_FULL);
		watch(as[k].a_th, task, p[k]);
	}
	/* Each pushes on the next with its own base: all at LOW. */
	for (k = 1; k < M3_N; k++)
		EFF_EQ(as[k].a_th, LOW);
	mipc_get_stats(&before);
	actor_send(&as[0], UI, NULL, p[1], 0, 0);
	WAIT_BLOCKED(&as[0], MIPC_WAIT_SEND_FULL);
	mipc_get_stats(&after);
	for (k = 1; k <= M3_THREAD_HOPS + 1; k++)
		ck_assert_msg(eff_of(as[k].a_th) == UI,
		    "thread %d of the chain at %d, want %d", k,
		    eff_of(as[k].a_th), UI);
	for (; k < M3_N; k++)
		ck_assert_msg(eff_of(as[k].a_th) == LOW,
		    "thread %d of the chain, past the hop limit, at %d", k,
		    eff_of(as[k].a_th));
	ck_assert_msg(after.ts_hop_limit > before.ts_hop_limit,
	    "ts_hop_limit %llu -> %llu",
	    (unsigned long long)before.ts_hop_limit,
	    (unsigned long long)after.ts_hop_limit);
	ck_assert_msg(after.ts_walks > before.ts_walks &&
	        after.ts_hops > before.ts_hops + 2 * M3_THREAD_HOPS,
	    "walks %llu -> %llu, hops %llu -> %llu",
	    (unsigned long long)before.ts_walks,
	    (unsigned long long)after.ts_walks,
	    (unsigned long long)before.ts_hops,
	    (unsigned long long)after.ts_hops);
	/* Introspection is not limited: the whole chain, as it is. */
	n = chain_of(as[0].a_th, hops, NELEM(hops));
	VAL_EQ(n, 2 * M3_N - 1);
	for (k = 0; k < M3_N; k++) {
		VAL_EQ(hops[2 * k].kind, MIPC_OWNER_THREAD);
		VAL_EQ(hops[2 * k].tid, as[k].a_tid);
		VAL_EQ(
		    hops[2 * k].priority, k <= M3_THREAD_HOPS + 1 ? UI : LOW);
	}
	/* Unwind from the head: each admission releases the next. */
	for (k = 1; k < M3_N; k++) {
		VAL_EQ(tport_take(task, p[k]), 1000 + k);
		VAL_EQ(WAIT_DONE(&as[k - 1]), MACH_MSG_SUCCESS);
		if (k == 1) {
			int j;

			for (j = 1; j < M3_N; j++)
				ck_assert_msg(eff_of(as[j].a_th) == LOW,
				    "thread %d at %d after the head left", j,
				    eff_of(as[j].a_th));
		}
		VAL_EQ(tport_take(task, p[k]), k - 1);
	}
	for (k = 1; k < M3_N; k++)
		KR_OK(mipc_thread_clear_watchports(as[k].a_th));
	actors_end(as, M3_N);
}
END_TEST

/* ---- M4: a cycle ------------------------------------------------------------ */

/*
 * A watches PA and B watches PB (qlimit 1, full); A blocks sending to PB,
 * B to PA: a user-level deadlock.  The walks end (nothing changes after
 * one turn), the chain shows the cycle and stops, and timeouts unwind it.
 * Returns false when a timeout fired before the checks (void attempt).
 */
static bool
M4_attempt(mach_msg_timeout_t tmo)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[3], *a = &as[0], *b = &as[1], *c = &as[2];
	mach_port_name_t pa = tport_new(task, 1), pb = tport_new(task, 1);
	struct mipc_push_hop hops[80];
	int ea, eb, ea2, eb2, ec;
	uint32_t na, nc;
	bool valid;

	tport_fill(task, pa, 1);
	tport_fill(task, pb, 2);
	actor_init(a, ACT_SEND, 40);
	a->a_dest = pb;
	a->a_id = 3;
	a->a_timeout = tmo;
	actor_init(b, ACT_SEND, 20);
	b->a_dest = pa;
	b->a_id = 4;
	b->a_timeout = 2 * tmo;
	actor_start(a);
	actor_start(b);
	watch(a->a_th, task, pa);
	watch(b->a_th, task, pb);
	WAIT_BLOCKED(a, MIPC_WAIT_SEND_FULL);
	WAIT_BLOCKED(b, MIPC_WAIT_SEND_FULL);
	ea = eff_of(a->a_th);
	eb = eff_of(b->a_th);
	memset(hops, 0, sizeof(hops));
	na = mipc_thread_push_chain(a->a_th, hops, NELEM(hops));
	/* A third thread pushes into the cycle from outside. */
	actor_send(c, UI, NULL, pa, 5, 0);
	WAIT_BLOCKED(c, MIPC_WAIT_SEND_FULL);
	ea2 = eff_of(a->a_th);
	eb2 = eff_of(b->a_th);
	ec = eff_of(c->a_th);
	valid = still_blocked(a, MIPC_WAIT_SEND_FULL) &&
	    still_blocked(b, MIPC_WAIT_SEND_FULL);
	if (valid) {
		VAL_EQ(ea, 40);
		VAL_EQ(eb, 40);
		/* A -> PB -> B -> PA -> A: one turn, then it stops. */
		VAL_EQ(na, 5);
		ck_assert_ptr_eq(hops[0].object, a->a_th);
		ck_assert_ptr_eq(hops[2].object, b->a_th);
		ck_assert_ptr_eq(hops[4].object, a->a_th);
		VAL_EQ(hops[1].kind, MIPC_OWNER_PORT);
		VAL_EQ(hops[3].kind, MIPC_OWNER_PORT);
		VAL_EQ(ea2, UI);
		VAL_EQ(eb2, UI);
		VAL_EQ(ec, UI);
		/* From outside the cycle the chain walk is bounded too. */
		memset(hops, 0, sizeof(hops));
		nc = mipc_thread_push_chain(c->a_th, hops, NELEM(hops));
		ck_assert_msg(nc >= 5 && nc < NELEM(hops), "chain of %u", nc);
	}
	/* Timeouts unwind the cycle: A's first, then B's. */
	VAL_EQ(WAIT_DONE(a), MACH_SEND_TIMED_OUT);
	VAL_EQ(WAIT_DONE(b), MACH_SEND_TIMED_OUT);
	AT_BASE(b->a_th);
	EFF_EQ(a->a_th, UI); /* C still pushes through PA */
	VAL_EQ(tport_take(task, pa), 1);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	AT_BASE(a->a_th);
	VAL_EQ(tport_take(task, pa), 5);
	VAL_EQ(tport_take(task, pb), 2);
	RECV_EMPTY(task, pb);
	KR_OK(mipc_thread_clear_watchports(a->a_th));
	KR_OK(mipc_thread_clear_watchports(b->a_th));
	actors_end(as, 3);
	KR_OK(mipc_port_destroy(task, pa));
	KR_OK(mipc_port_destroy(task, pb));
	return valid;
}

START_TEST(M4_cycle_walks_terminate_and_timeouts_unwind)
{
	retry_timeouts(M4_attempt);
}
END_TEST

/*
 * A push into a cycle, then its source lowered, then the cycle cut: every
 * walk ends, and once the cycle is cut the priorities are those of the
 * final graph.  (While the cycle lasts, a push that entered it may stay
 * after its source weakened: each member pushes the other with its
 * effective priority, as XNU's base_pri includes promotions.  That is a
 * user-level deadlock's state, not asserted here.)
 */
START_TEST(M4_push_into_a_cycle_settles_when_the_cycle_is_cut)
{
	mipc_space_t task = mipc_thread_space();
	struct actor as[3], *a = &as[0], *b = &as[1], *c = &as[2];
	mach_port_name_t pa = tport_new(task, 1), pb = tport_new(task, 1);

	tport_fill(task, pa, 1);
	tport_fill(task, pb, 2);
	actor_init(a, ACT_SEND, 40);
	a->a_dest = pb;
	a->a_id = 3;
	actor_init(b, ACT_SEND, 20);
	b->a_dest = pa;
	b->a_id = 4;
	actor_start(a);
	actor_start(b);
	watch(a->a_th, task, pa);
	watch(b->a_th, task, pb);
	WAIT_BLOCKED(a, MIPC_WAIT_SEND_FULL);
	WAIT_BLOCKED(b, MIPC_WAIT_SEND_FULL);
	actor_send(c, UI, NULL, pa, 5, 0);
	WAIT_BLOCKED(c, MIPC_WAIT_SEND_FULL);
	EFF_EQ(a->a_th, UI);
	EFF_EQ(b->a_th, UI);
	/* Lowered and raised again: the walks end each time. */
	KR_OK(mipc_thread_set_base_priority(c->a_th, LOW));
	KR_OK(mipc_thread_set_base_priority(c->a_th, 60));
	EFF_EQ(a->a_th, 60);
	EFF_EQ(b->a_th, 60);
	KR_OK(mipc_thread_set_base_priority(c->a_th, LOW));
	/* Cut: PA stops pushing on A.  A pushes B with its own 40. */
	KR_OK(mipc_thread_clear_watchports(a->a_th));
	EFF_EQ(a->a_th, 40);
	EFF_EQ(b->a_th, 40);
	VAL_EQ(pri_of(a->a_th).promotion, 0);
	/* Unwind: B (first waiter at the top priority) gets into PA. */
	VAL_EQ(tport_take(task, pb), 2);
	VAL_EQ(WAIT_DONE(a), MACH_MSG_SUCCESS);
	AT_BASE(b->a_th);
	VAL_EQ(tport_take(task, pa), 1);
	VAL_EQ(WAIT_DONE(b), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(task, pa), 4);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(task, pa), 5);
	VAL_EQ(tport_take(task, pb), 3);
	KR_OK(mipc_thread_clear_watchports(b->a_th));
	actors_end(as, 3);
}
END_TEST

/* ---- M5: mixed waiters -------------------------------------------------------- */

static bool
M5_attempt(mach_msg_timeout_t tmo)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[3], *t = &as[0], *h40 = &as[1], *h47 = &as[2];
	int e;
	bool valid;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	tport_fill(task, p, 1);
	actor_send(h40, 40, NULL, p, 40, 0);
	WAIT_BLOCKED(h40, MIPC_WAIT_SEND_FULL);
	EFF_EQ(t->a_th, 40);
	actor_send(h47, UI, NULL, p, 47, tmo);
	WAIT_BLOCKED(h47, MIPC_WAIT_SEND_FULL);
	e = eff_of(t->a_th);
	valid = still_blocked(h47, MIPC_WAIT_SEND_FULL);
	if (valid)
		VAL_EQ(e, UI);
	VAL_EQ(WAIT_DONE(h47), MACH_SEND_TIMED_OUT);
	EFF_EQ(t->a_th, 40);
	VAL_EQ(tport_take(task, p), 1);
	VAL_EQ(WAIT_DONE(h40), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(task, p), 40);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 3);
	KR_OK(mipc_port_destroy(task, p));
	return valid;
}

START_TEST(M5_mixed_senders_one_times_out)
{
	retry_timeouts(M5_attempt);
}
END_TEST

/* The same without a timeout: the top waiter is admitted first. */
START_TEST(M5_mixed_senders_admitted_in_turn)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[3], *t = &as[0], *h40 = &as[1], *h47 = &as[2];

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	tport_fill(task, p, 1);
	actor_send(h40, 40, NULL, p, 40, 0);
	WAIT_BLOCKED(h40, MIPC_WAIT_SEND_FULL);
	actor_send(h47, UI, NULL, p, 47, 0);
	WAIT_BLOCKED(h47, MIPC_WAIT_SEND_FULL);
	EFF_EQ(t->a_th, UI);
	VAL_EQ(tport_take(task, p), 1);
	VAL_EQ(WAIT_DONE(h47), MACH_MSG_SUCCESS);
	EFF_EQ(t->a_th, 40);
	VAL_EQ(tport_take(task, p), 47);
	VAL_EQ(WAIT_DONE(h40), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(task, p), 40);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 3);
}
END_TEST

/* Two clients (40, 47) linked to one port: the server takes one request. */
START_TEST(M5_mixed_clients_on_one_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	struct actor as[3], *t = &as[0], *c40 = &as[1], *c47 = &as[2];
	mach_port_name_t so1, so2;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	actor_rpc(c40, 40, p, 40, 0);
	WAIT_BLOCKED(c40, MIPC_WAIT_SRP_REPLY);
	actor_rpc(c47, UI, p, 47, 0);
	WAIT_BLOCKED(c47, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(t->a_th, UI);
	/* FIFO queue: the 40's request first; the 47 still pushes. */
	so1 = serve_request(task, p, 40);
	EFF_EQ(t->a_th, UI);
	so2 = serve_request(task, p, 47);
	AT_BASE(t->a_th);
	reply_to(task, so1, 41);
	reply_to(task, so2, 48);
	VAL_EQ(WAIT_DONE(c40), MACH_MSG_SUCCESS);
	VAL_EQ(c40->a_buf.h.msgh_id, 41);
	VAL_EQ(WAIT_DONE(c47), MACH_MSG_SUCCESS);
	VAL_EQ(c47->a_buf.h.msgh_id, 48);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 3);
}
END_TEST

/* ---- 4.4: unwinding ------------------------------------------------------------- */

/* 4.4.1 */
static bool
U1_attempt(mach_msg_timeout_t tmo)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];
	int e;
	bool valid;

	scene_blocked_sender(&sc, UI, tmo);
	e = eff_of(t->a_th);
	valid = still_blocked(h, MIPC_WAIT_SEND_FULL);
	if (valid)
		VAL_EQ(e, UI);
	VAL_EQ(WAIT_DONE(h), MACH_SEND_TIMED_OUT);
	AT_BASE(t->a_th);
	VAL_EQ(wait_of(h->a_th).wait_kind, MIPC_WAIT_NONE);
	TS_EQ_THREADS(); /* P's send turnstile went back to H */
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	RECV_EMPTY(sc.sp, sc.p);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
	KR_OK(mipc_port_destroy(sc.sp, sc.p));
	return valid;
}

START_TEST(U1_send_timeout_unwinds)
{
	retry_timeouts(U1_attempt);
}
END_TEST

/* 4.4.2 */
static bool
U2_attempt(mach_msg_timeout_t tmo)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];
	msg_buf_t b;
	int e;
	bool valid;

	scene_rpc(&sc, UI, tmo, false);
	e = eff_of(t->a_th);
	valid = still_blocked(c, MIPC_WAIT_SRP_REPLY);
	if (valid)
		VAL_EQ(e, UI);
	VAL_EQ(WAIT_DONE(c), MACH_RCV_TIMED_OUT);
	AT_BASE(t->a_th);
	TS_EQ_THREADS(); /* the link let P's send turnstile go */
	/* The request is still queued; its reply right dies unused. */
	RECV_OK(sc.sp, &b, sc.p, 0);
	VAL_EQ(b.h.msgh_id, 10);
	mipc_msg_destroy(sc.sp, &b.h);
	conf_take_send_once_notification(sc.sp, atomic_load(&c->a_srp));
	AT_BASE(t->a_th);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
	KR_OK(mipc_port_destroy(sc.sp, sc.p));
	return valid;
}

START_TEST(U2_receive_timeout_on_srp_unwinds)
{
	retry_timeouts(U2_attempt);
}
END_TEST

/*
 * 4.4.3: the destination dies while the client waits: its queued request
 * is destroyed, the send-once reply right with it, so the client receives
 * MACH_NOTIFY_SEND_ONCE (P25; XNU's turnstile_multihop expects the same,
 * MACH.md T3); the push goes with the port.
 */
START_TEST(U3_destination_destroyed_client_gets_send_once_notification)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];

	scene_rpc(&sc, UI, 0, false);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_port_destroy(sc.sp, sc.p));
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
	VAL_EQ(c->a_buf.h.msgh_local_port, atomic_load(&c->a_srp));
	TS_EQ_THREADS();
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.3 with a server that destroys the request it took (T3). */
START_TEST(U3_request_destroyed_by_server_client_gets_notification)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];
	msg_buf_t b;

	scene_rpc(&sc, UI, 0, false);
	RECV_OK(sc.sp, &b, sc.p, 0);
	AT_BASE(t->a_th);
	mipc_msg_destroy(sc.sp, &b.h);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
	AT_BASE(t->a_th);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.4: the SRP destroyed by another thread: K6, the link goes. */
START_TEST(U4_srp_destroyed_by_another_thread)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];
	msg_buf_t b;

	scene_rpc(&sc, UI, 0, false);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_port_destroy(sc.sp, atomic_load(&c->a_srp)));
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(c), MACH_RCV_PORT_CHANGED);
	AT_BASE(c->a_th);
	TS_EQ_THREADS();
	/* The request's reply right now names a dead port. */
	RECV_OK(sc.sp, &b, sc.p, 0);
	VAL_EQ(b.h.msgh_id, 10);
	mipc_msg_destroy(sc.sp, &b.h);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.5: moves by extract and insert while a client is linked. */
START_TEST(U5_client_link_follows_extract_and_insert)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *c = &sc.as[1];
	mipc_space_t s2;
	mach_port_name_t n2, so;

	scene_rpc(&sc, UI, 0, false);
	KR_OK(mipc_space_create(&s2));
	n2 = move_receive(sc.sp, sc.p, s2);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_port_insert_right(
	    sc.sp, sc.p, s2, n2, MACH_MSG_TYPE_MOVE_RECEIVE));
	EFF_EQ(t->a_th, UI);
	so = serve_request(sc.sp, sc.p, 10);
	AT_BASE(t->a_th);
	reply_to(sc.sp, so, 11);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	KR_OK(mipc_space_destroy(s2));
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* 4.4.6: the space holding the port destroyed (W1, C6(d)). */
START_TEST(U6_space_of_the_port_destroyed)
{
	mipc_space_t task = mipc_thread_space(), s;
	struct actor as[2], *t = &as[0], *h = &as[1];
	mach_port_name_t p, ps;
	mach_msg_type_name_t ty;

	KR_OK(mipc_space_create(&s));
	p = tport_new(s, 1);
	KR_OK(mipc_port_extract_right(
	    s, p, MACH_MSG_TYPE_MAKE_SEND, task, &ps, &ty));
	actor_park(t, LOW);
	watch(t->a_th, s, p);
	tport_fill(s, p, 1);
	actor_send(h, UI, task, ps, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_space_destroy(s));
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS); /* C6(d) */
	TS_EQ_THREADS();
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

/* 4.4.6: the client's own space (its SRP in it) destroyed. */
START_TEST(U6_space_of_the_client_destroyed)
{
	mipc_space_t task = mipc_thread_space(), s;
	struct actor as[2], *t = &as[0], *c = &as[1];
	mach_port_name_t p = tport_new(task, MACH_PORT_QLIMIT_DEFAULT), ps;
	mach_msg_type_name_t ty;
	msg_buf_t b;

	KR_OK(mipc_space_create(&s));
	KR_OK(mipc_port_extract_right(
	    task, p, MACH_MSG_TYPE_MAKE_SEND, s, &ps, &ty));
	actor_park(t, LOW);
	watch(t->a_th, task, p);
	actor_init(c, ACT_RPC, UI);
	c->a_cur_space = s;
	c->a_dest = ps;
	c->a_id = 10;
	actor_start(c);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_space_destroy(s));
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(c), MACH_RCV_PORT_CHANGED); /* K6 */
	TS_EQ_THREADS();
	RECV_OK(task, &b, p, 0);
	VAL_EQ(b.h.msgh_id, 10);
	mipc_msg_destroy(task, &b.h);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

/*
 * 4.4.8: the SRP's owner rebinds (thread_get_special_reply_port again:
 * XNU's UNLINK_THREAD): the link breaks (NO_LINKAGE), and a thread still
 * waiting on the old SRP pushes on nobody.  The main thread owns the SRP;
 * actor B waits on it (any receiver of an SRP gets its turnstile).
 */
START_TEST(U8_srp_owner_rebinds_breaks_the_link)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	struct actor as[2], *t = &as[0], *b = &as[1];
	mach_port_name_t srp, srp2, so;
	struct mipc_wait_info w;
	msg_buf_t m;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	srp = thread_get_special_reply_port();
	msg_init(&m,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    p, srp, 10);
	KR_EQ(msg_send(task, &m, HDR_SIZE), MACH_MSG_SUCCESS);
	actor_init(b, ACT_RECV, UI);
	b->a_rcv = srp;
	actor_start(b);
	WAIT_BLOCKED(b, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(t->a_th, UI);
	srp2 = thread_get_special_reply_port();
	ck_assert_uint_ne(srp2, srp);
	AT_BASE(t->a_th);
	w = wait_of(b->a_th);
	VAL_EQ(w.wait_kind, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(w.owner_kind, MIPC_OWNER_NONE);
	TS_EQ_THREADS();
	so = serve_request(task, p, 10);
	reply_to(task, so, 11);
	VAL_EQ(WAIT_DONE(b), MACH_MSG_SUCCESS);
	VAL_EQ(b->a_buf.h.msgh_id, 11);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

/* A rebind before anyone blocks: the waiter never pushes. */
START_TEST(U8_rebound_srp_waiter_pushes_nothing)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	struct actor as[2], *t = &as[0], *b = &as[1];
	mach_port_name_t srp, so;
	msg_buf_t m;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	srp = thread_get_special_reply_port();
	msg_init(&m,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    p, srp, 10);
	KR_EQ(msg_send(task, &m, HDR_SIZE), MACH_MSG_SUCCESS);
	(void)thread_get_special_reply_port();
	actor_init(b, ACT_RECV, UI);
	b->a_rcv = srp;
	actor_start(b);
	WAIT_BLOCKED(b, MIPC_WAIT_SRP_REPLY);
	AT_BASE(t->a_th);
	VAL_EQ(wait_of(b->a_th).owner_kind, MIPC_OWNER_NONE);
	so = serve_request(task, p, 10);
	reply_to(task, so, 11);
	VAL_EQ(WAIT_DONE(b), MACH_MSG_SUCCESS);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
}
END_TEST

/* The owner's exit unbinds too (XNU: thread termination, UNLINK_THREAD). */
static void
owner_sends_request(struct actor *a)
{
	mach_port_name_t srp = thread_get_special_reply_port();
	msg_buf_t m;

	atomic_store(&a->a_srp, srp);
	msg_init(&m,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    a->a_dest, srp, 10);
	a->a_mr = msg_send(mipc_thread_space(), &m, HDR_SIZE);
}

START_TEST(U8_srp_owner_exits_breaks_the_link)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, MACH_PORT_QLIMIT_DEFAULT);
	struct actor as[3], *t = &as[0], *o = &as[1], *b = &as[2];
	mach_port_name_t so;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	actor_init(o, ACT_FN, LOW);
	o->a_fn = owner_sends_request;
	o->a_dest = p;
	actor_start(o);
	VAL_EQ(WAIT_DONE(o), MACH_MSG_SUCCESS);
	actor_init(b, ACT_RECV, UI);
	b->a_rcv = atomic_load(&o->a_srp);
	actor_start(b);
	WAIT_BLOCKED(b, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(t->a_th, UI);
	actor_finish(o);
	AT_BASE(t->a_th);
	VAL_EQ(wait_of(b->a_th).owner_kind, MIPC_OWNER_NONE);
	so = serve_request(task, p, 10);
	reply_to(task, so, 11);
	VAL_EQ(WAIT_DONE(b), MACH_MSG_SUCCESS);
	VAL_EQ(b->a_buf.h.msgh_id, 11);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 3);
}
END_TEST

/* 4.4.11: the queue limit raised admits the blocked senders (H5). */
START_TEST(U11_qlimit_raised_admits_and_unpushes)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[4], *t = &as[0];
	static const int pri[] = { 40, UI, 20 };
	unsigned i;

	actor_park(t, LOW);
	watch(t->a_th, task, p);
	tport_fill(task, p, 1);
	for (i = 0; i < 3; i++) {
		actor_send(&as[1 + i], pri[i], NULL, p, 10 + (int)i, 0);
		WAIT_BLOCKED(&as[1 + i], MIPC_WAIT_SEND_FULL);
	}
	EFF_EQ(t->a_th, UI);
	/* One more slot: exactly the top waiter gets it. */
	set_qlimit(task, p, 2);
	VAL_EQ(WAIT_DONE(&as[2]), MACH_MSG_SUCCESS);
	EFF_EQ(t->a_th, 40);
	VAL_EQ(wait_of(as[1].a_th).wait_kind, MIPC_WAIT_SEND_FULL);
	VAL_EQ(wait_of(as[3].a_th).wait_kind, MIPC_WAIT_SEND_FULL);
	/* Room for all. */
	set_qlimit(task, p, 10);
	AT_BASE(t->a_th);
	VAL_EQ(WAIT_DONE(&as[1]), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(&as[3]), MACH_MSG_SUCCESS);
	VAL_EQ(msgcount_of(task, p), 4);
	TS_EQ_THREADS();
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 4);
}
END_TEST

/* ---- suite ------------------------------------------------------------------- */

static Suite *
turnstile_suite(void)
{
	Suite *s = suite_create("turnstile");
	TCase *tc;

	tc = conf_tcase("S3_watchports");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, S3_blocked_sender_pushes_on_watching_thread);
	tcase_add_test(tc, S3_watching_alone_pushes_nothing);
	tcase_add_test(tc, S3_clear_watchports_drops_the_push);
	tcase_add_test(tc, S3_port_destroyed_drops_the_push);
	tcase_add_test(tc, S3_transit_clears_the_watchport);
	tcase_add_test(tc, S3_extract_and_insert_keep_the_push);
	tcase_add_test(tc, S3_watcher_exits_drops_the_push);
	tcase_add_test(tc, S3_watched_port_moves_to_the_new_watcher);
	tcase_add_test(tc, S3_push_capped_at_maxpri_user);
	tcase_add_test(tc, S3_push_below_base_changes_nothing);
	suite_add_tcase(s, tc);

	tc = conf_tcase("S2_transit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, S2_port_in_transit_pushes_on_destination);
	tcase_add_test(tc, S2_transit_message_destroyed_drops_the_push);
	suite_add_tcase(s, tc);

	tc = conf_tcase("R1_N1_special_reply");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, R1_client_pushes_through_its_special_reply_port);
	tcase_add_test(tc, R1_send_then_receive_pushes_the_same);
	tcase_add_test(tc, N1_link_reset_by_the_reply_links_again);
	suite_add_tcase(s, tc);

	tc = conf_tcase("N4_base_changes");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, N4_blocked_client_base_changes_repush);
	tcase_add_test(tc, N4_blocked_sender_base_changes_repush);
	tcase_add_test(tc, N4_watcher_base_change_keeps_the_push);
	suite_add_tcase(s, tc);

	tc = conf_tcase("J8_admission");
	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, J8_blocked_senders_admitted_highest_first_fifo_among_equals);
	tcase_add_test(tc, J8_room_goes_to_blocked_senders_first);
	suite_add_tcase(s, tc);

	tc = conf_tcase("M_multihop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, M2_push_through_transit_chain);
	tcase_add_test(tc, M2_client_push_follows_destination_into_transit);
	tcase_add_test(tc, M3_hop_limit_stops_the_walk);
	tcase_add_test(tc, M4_cycle_walks_terminate_and_timeouts_unwind);
	tcase_add_test(tc, M4_push_into_a_cycle_settles_when_the_cycle_is_cut);
	tcase_add_test(tc, M5_mixed_senders_one_times_out);
	tcase_add_test(tc, M5_mixed_senders_admitted_in_turn);
	tcase_add_test(tc, M5_mixed_clients_on_one_port);
	suite_add_tcase(s, tc);

	tc = conf_tcase("U_unwinding");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, U1_send_timeout_unwinds);
	tcase_add_test(tc, U2_receive_timeout_on_srp_unwinds);
	tcase_add_test(
	    tc, U3_destination_destroyed_client_gets_send_once_notification);
	tcase_add_test(
	    tc, U3_request_destroyed_by_server_client_gets_notification);
	tcase_add_test(tc, U4_srp_destroyed_by_another_thread);
	tcase_add_test(tc, U5_client_link_follows_extract_and_insert);
	tcase_add_test(tc, U6_space_of_the_port_destroyed);
	tcase_add_test(tc, U6_space_of_the_client_destroyed);
	tcase_add_test(tc, U8_srp_owner_rebinds_breaks_the_link);
	tcase_add_test(tc, U8_rebound_srp_waiter_pushes_nothing);
	tcase_add_test(tc, U8_srp_owner_exits_breaks_the_link);
	tcase_add_test(tc, U11_qlimit_raised_admits_and_unpushes);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(turnstile_suite)
