/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * t_workloop.c -- the workloop API's contract (sync.h; TURNSTILES.md 2.5,
 * issue 14): return codes and bad arguments of create, destroy,
 * set_min_priority, attach, detach, msg and end; what each kind of name
 * attaches as (a receive right: send case 7, its pushes on the bound
 * servicer; a port set: receive only; a special reply port: refused);
 * the serial rule (one servicer at a time); a parked servicer that stays
 * the inheritor; the servicer floor; the cap of pushes at 63 unless
 * MIPC_WORKLOOP_INHERIT_RT; the receive order (the port pushed hardest
 * first); destroy with a parked servicer, with queued messages and with a
 * stash; end.  The per-case sync-IPC tests are t_sync_cases.c.
 *
 * Names: WL_<what>.  XNU's analog of each refusal is named where it
 * differs in spelling (kevent errnos against Mach codes).
 *
 * Each test waits for blocked threads by polling mipc_thread_wait_info
 * (turnstile_helpers.h), asserts effective priorities and the shape of
 * each push (mipc_thread_push_chain), and ends (actors_end) with every
 * priority at base and, once every workloop is destroyed and the helper
 * threads joined, only the threads' own turnstiles alive (a workloop
 * holds two: one left behind is a leak).
 */
#include "turnstile_helpers.h"

/* ---- create, destroy, arguments ------------------------------------------ */

START_TEST(WL_create_and_destroy)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = NULL, rt = NULL;
	struct mipc_stats before = stats_now(), s;

	KR_OK(mipc_workloop_create(task, 0, &wl));
	ck_assert_ptr_nonnull(wl);
	KR_OK(mipc_workloop_create(task, MIPC_WORKLOOP_INHERIT_RT, &rt));
	ck_assert_ptr_nonnull(rt);
	ck_assert_ptr_ne(wl, rt);
	/* Two turnstiles each: its own and its stash's. */
	s = stats_now();
	VAL_EQ(s.turnstiles, before.turnstiles + 4);
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_workloop_destroy(rt));
	mipc_quiesce();
	VAL_EQ(stats_now().turnstiles, before.turnstiles);
}
END_TEST

START_TEST(WL_create_bad_arguments)
{
	mipc_space_t task = mipc_thread_space(), sp = NULL;
	mipc_workloop_t wl = (mipc_workloop_t)(uintptr_t)0x1;

	KR_EQ(mipc_workloop_create(task, 0, NULL), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_create(task, 0x2, &wl), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_create(task, ~0u, &wl), KERN_INVALID_ARGUMENT);
	/* A NULL task is MIG's MACH_SEND_INVALID_DEST, as everywhere. */
	KR_EQ(mipc_workloop_create(NULL, 0, &wl), MACH_SEND_INVALID_DEST);
	ck_assert_ptr_eq(wl, (mipc_workloop_t)(uintptr_t)0x1);
	KR_OK(mipc_space_create(&sp));
	KR_OK(mipc_space_destroy(sp));
	KR_EQ(mipc_workloop_create(sp, 0, &wl), KERN_INVALID_TASK);
	ck_assert_ptr_eq(wl, (mipc_workloop_t)(uintptr_t)0x1);
}
END_TEST

START_TEST(WL_null_handle)
{
	msg_buf_t b;

	KR_EQ(mipc_workloop_destroy(NULL), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_set_min_priority(NULL, 10), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_attach(NULL, 1), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_detach(NULL, 1), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_msg(
	          NULL, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_INVALID_NAME);
	mipc_workloop_end(NULL); /* nothing to end */
	AT_BASE(mipc_thread_self());
}
END_TEST

START_TEST(WL_min_priority_range)
{
	mipc_workloop_t wl = wl_new(mipc_thread_space(), 0);

	KR_EQ(mipc_workloop_set_min_priority(wl, -1), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_workloop_set_min_priority(wl, 128), KERN_INVALID_ARGUMENT);
	KR_OK(mipc_workloop_set_min_priority(wl, 0));
	KR_OK(mipc_workloop_set_min_priority(wl, 127));
	/* Nobody bound: the floor raises nobody. */
	AT_BASE(mipc_thread_self());
	KR_OK(mipc_workloop_destroy(wl));
}
END_TEST

/* Receive with nothing attached: a timeout, the caller stays bound. */
START_TEST(WL_msg_receive_timeout_and_null_buffer)
{
	mipc_workloop_t wl = wl_new(mipc_thread_space(), 0);
	msg_buf_t b;

	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_TIMED_OUT);
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 20),
	    MACH_RCV_TIMED_OUT);
	KR_EQ(mipc_workloop_msg(
	          wl, NULL, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_INVALID_DATA);
	/* No option at all: bind, re-enable, return. */
	KR_EQ(mipc_workloop_msg(wl, NULL, 0, 0, 0, 0), MACH_MSG_SUCCESS);
	mipc_workloop_end(wl);
	KR_OK(mipc_workloop_destroy(wl));
}
END_TEST

/* ---- attach -------------------------------------------------------------- */

/* A receive right: send case 7, its pushes land on the bound servicer. */
START_TEST(WL_attach_receive_right_pushes_bound_servicer)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, UI);
	EFF_EQ(s->a_th, UI);
	AT_BASE(h->a_th);
	case7_shape(h, s, UI);
	/* S dequeues; H gets in and its push goes. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 1);
	VAL_EQ(s->a_buf.h.msgh_local_port, sc.p);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 2);
	wscene_end(&sc, 2);
}
END_TEST

/* Attached before any push: a client's RPC through P reaches S too. */
START_TEST(WL_attach_receive_right_client_rpc_pushes)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];
	struct mipc_push_hop hops[8];
	struct mipc_wait_info w;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	actor_rpc(c, UI, sc.p, 10, 0);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(s->a_th, UI);
	/* client -> SRP's receive turnstile -> P -> W -> S */
	w = wait_of(c->a_th);
	VAL_EQ(w.owner_kind, MIPC_OWNER_PORT);
	VAL_EQ(w.owner_tid, s->a_tid);
	VAL_EQ(chain_of(c->a_th, hops, NELEM(hops)), 5);
	HOP_EQ(hops[1], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[2], MIPC_OWNER_PORT, UI);
	HOP_EQ(hops[3], MIPC_OWNER_WORKLOOP, UI);
	HOP_EQ(hops[4], MIPC_OWNER_THREAD, UI);
	VAL_EQ(hops[4].tid, s->a_tid);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 10);
	EFF_EQ(s->a_th, UI);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 11);
	AT_BASE(s->a_th);
	wscene_end(&sc, 2);
}
END_TEST

/* A port already pushed when attached: the push moves to S at once. */
START_TEST(WL_attach_moves_an_existing_push)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1);
	mipc_workloop_t wl = wl_new(task, 0);
	struct actor as[2], *s = &as[0], *h = &as[1];

	actor_servicer(s, LOW, wl);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	tport_fill(task, p, 1);
	actor_send(h, UI, NULL, p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	AT_BASE(s->a_th);
	nowhere_shape(h);
	KR_OK(mipc_workloop_attach(wl, p));
	EFF_EQ(s->a_th, UI);
	case7_shape(h, s, UI);
	/* Detach: the push goes at once (S7). */
	KR_OK(mipc_workloop_detach(wl, p));
	AT_BASE(s->a_th);
	nowhere_shape(h);
	tport_admit(task, p, h, 2);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 2);
}
END_TEST

/* A port set: received from, but its members push nothing (XNU). */
START_TEST(WL_attach_port_set_receives_without_push)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = tport_new(task, 1), ps = pset_with(task, p);
	mipc_workloop_t wl = wl_new(task, 0);
	struct actor as[2], *s = &as[0], *h = &as[1];

	KR_OK(mipc_workloop_attach(wl, ps));
	actor_servicer(s, LOW, wl);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	tport_fill(task, p, 1);
	actor_send(h, UI, NULL, p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	AT_BASE(s->a_th);
	nowhere_shape(h);
	/* But S receives through the set. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 1);
	VAL_EQ(s->a_buf.h.msgh_local_port, p);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 2);
	/* Still a set the user owns: membership untouched. */
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	KR_OK(mipc_workloop_detach(wl, ps));
	KR_EQ(mipc_workloop_detach(wl, ps), KERN_NOT_IN_SET);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 2);
	KR_OK(mipc_port_destroy(task, ps));
}
END_TEST

/* A special reply port: KERN_NOT_SUPPORTED (XNU's ENOTSUP). */
START_TEST(WL_attach_special_reply_port_not_supported)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t srp = thread_get_special_reply_port();

	ck_assert(MACH_PORT_VALID(srp));
	KR_EQ(mipc_workloop_attach(wl, srp), KERN_NOT_SUPPORTED);
	KR_EQ(mipc_workloop_detach(wl, srp), KERN_NOT_SUPPORTED);
	/* Nothing changed: it still receives its replies. */
	SEND_OK(task, srp, MACH_MSG_TYPE_MAKE_SEND_ONCE, 5);
	VAL_EQ(tport_take(task, srp), 5);
	KR_OK(mipc_workloop_destroy(wl));
}
END_TEST

/*
 * Neither a receive right nor a set: KERN_INVALID_RIGHT; no such name:
 * KERN_INVALID_NAME.  XNU's EVFILT_MACHPORT answers ENOTSUP and ENOENT
 * (ipc_pset.c filt_machportattach); the Mach spellings are those of
 * mach_port_* calls for a name of the wrong type and an unknown name.
 */
START_TEST(WL_attach_not_a_receive_right_invalid_right)
{
	mipc_space_t task = mipc_thread_space(), other = NULL;
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t r, snd, so, dead, gone, mine;

	KR_OK(mipc_space_create(&other));
	r = recv_new(other);
	snd = send_in(task, other, r); /* a send right alone */
	so = conf_give_send_once(task, other, r);
	dead = dead_new(task);
	gone = conf_stale_name(task);
	mine = tport_new(task, 1); /* send + receive: a receive right */
	KR_EQ(mipc_workloop_attach(wl, snd), KERN_INVALID_RIGHT);
	KR_EQ(mipc_workloop_attach(wl, so), KERN_INVALID_RIGHT);
	KR_EQ(mipc_workloop_attach(wl, dead), KERN_INVALID_RIGHT);
	KR_EQ(mipc_workloop_attach(wl, gone), KERN_INVALID_NAME);
	KR_EQ(mipc_workloop_attach(wl, MACH_PORT_NULL), KERN_INVALID_NAME);
	KR_EQ(mipc_workloop_attach(wl, MACH_PORT_DEAD), KERN_INVALID_NAME);
	KR_EQ(mipc_workloop_attach(wl, 0x7fff0003), KERN_INVALID_NAME);
	/* Detach answers the same for them. */
	KR_EQ(mipc_workloop_detach(wl, snd), KERN_INVALID_RIGHT);
	KR_EQ(mipc_workloop_detach(wl, dead), KERN_INVALID_RIGHT);
	KR_EQ(mipc_workloop_detach(wl, gone), KERN_INVALID_NAME);
	/* The rights are untouched. */
	REFS_EQ(task, snd, MACH_PORT_RIGHT_SEND, 1);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, dead), MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mipc_workloop_attach(wl, mine));
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_space_destroy(other));
}
END_TEST

/*
 * Attaching twice to the same workloop succeeds and changes nothing (an
 * EV_ADD of an existing knote); to a second workloop:
 * KERN_INVALID_ARGUMENT, the first keeps it.
 */
START_TEST(WL_attach_twice)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	mipc_workloop_t wl2;
	mach_port_name_t ps;

	wscene_init(&sc, 1, 0);
	wl2 = wl_new(sc.sp, 0);
	KR_OK(mipc_workloop_attach(sc.wl, sc.p));
	KR_EQ(mipc_workloop_attach(wl2, sc.p), KERN_INVALID_ARGUMENT);
	wscene_blocked_sender(&sc, UI);
	case7_shape(h, s, UI);
	/* One attachment: one detach undoes it. */
	KR_OK(mipc_workloop_detach(sc.wl, sc.p));
	AT_BASE(s->a_th);
	KR_EQ(mipc_workloop_detach(sc.wl, sc.p), KERN_NOT_IN_SET);
	KR_EQ(mipc_workloop_detach(wl2, sc.p), KERN_NOT_IN_SET);
	/* Now free to go to the second one. */
	KR_OK(mipc_workloop_attach(wl2, sc.p));
	unbound_shape(h, UI);
	AT_BASE(s->a_th);
	/* The same for sets. */
	ps = pset_new(sc.sp);
	KR_OK(mipc_workloop_attach(sc.wl, ps));
	KR_OK(mipc_workloop_attach(sc.wl, ps));
	KR_EQ(mipc_workloop_attach(wl2, ps), KERN_INVALID_ARGUMENT);
	KR_OK(mipc_workloop_detach(sc.wl, ps));
	KR_EQ(mipc_workloop_detach(sc.wl, ps), KERN_NOT_IN_SET);
	KR_OK(mipc_workloop_destroy(wl2));
	nowhere_shape(h);
	tport_admit(sc.sp, sc.p, h, 2);
	wscene_end(&sc, 2);
	KR_OK(mipc_port_destroy(sc.sp, ps));
}
END_TEST

/* Detach of what is not attached: KERN_NOT_IN_SET (XNU: ENOENT). */
START_TEST(WL_detach_not_attached)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t p = tport_new(task, 1), ps = pset_new(task);

	KR_EQ(mipc_workloop_detach(wl, p), KERN_NOT_IN_SET);
	KR_EQ(mipc_workloop_detach(wl, ps), KERN_NOT_IN_SET);
	/* A member of a named set is not attached by being one. */
	KR_OK(mipc_port_move_member(task, p, ps));
	KR_OK(mipc_workloop_attach(wl, ps));
	KR_EQ(mipc_workloop_detach(wl, p), KERN_NOT_IN_SET);
	KR_OK(mipc_workloop_destroy(wl));
	/* The set survives its workloop, with its member. */
	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 3);
	VAL_EQ(tport_take(task, ps), 3);
	KR_OK(mipc_port_destroy(task, ps));
}
END_TEST

/*
 * Attached and a member of a named set: both receive paths work, and the
 * attachment is no set membership to the user (XNU: a knote is none).
 */
START_TEST(WL_attached_port_stays_in_its_named_set)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t p = tport_new(task, 4), q = tport_new(task, 4);
	mach_port_name_t ps = pset_with(task, p);
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t n = 0;

	KR_OK(mipc_workloop_attach(wl, p));
	KR_OK(mipc_workloop_attach(wl, q));
	VAL_EQ(status_of(task, q).mps_pset, 0);
	VAL_EQ(status_of(task, p).mps_pset, 1);
	KR_OK(mipc_port_get_set_status(task, ps, &m, &n));
	VAL_EQ(n, 1);
	VAL_EQ(m[0], p);
	KR_OK(mipc_vm_deallocate(task, (vm_address_t)m, n * sizeof(*m)));
	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 1);
	VAL_EQ(tport_take(task, ps), 1);
	/* move_member to no set leaves the workloop alone. */
	KR_OK(mipc_port_move_member(task, p, MACH_PORT_NULL));
	KR_EQ(mipc_port_move_member(task, p, MACH_PORT_NULL), KERN_NOT_IN_SET);
	KR_EQ(mipc_port_move_member(task, q, MACH_PORT_NULL), KERN_NOT_IN_SET);
	KR_OK(mipc_workloop_detach(wl, p));
	KR_OK(mipc_workloop_detach(wl, q));
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_port_destroy(task, ps));
}
END_TEST

/* ---- serial: one servicer at a time -------------------------------------- */

/*
 * While S is bound, another thread's msg gets KERN_ALREADY_WAITING and
 * binds nothing; its end does nothing; once S ends, it may bind.
 */
START_TEST(WL_serial_second_thread_already_waiting)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1], *t = &sc.as[2];

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, UI);
	actor_servicer(t, LOW, sc.wl);
	VAL_EQ(ACTOR_DO(t, wl_cmd_recv), KERN_ALREADY_WAITING);
	VAL_EQ(ACTOR_DO(t, wl_cmd_bind), KERN_ALREADY_WAITING);
	VAL_EQ(ACTOR_DO(t, wl_cmd_end), MACH_MSG_SUCCESS);
	/* Nothing moved: S is still the servicer, T is not pushed. */
	EFF_EQ(s->a_th, UI);
	AT_BASE(t->a_th);
	case7_shape(h, s, UI);
	VAL_EQ(msgcount_of(sc.sp, sc.p), 1);
	/* A parked S is bound just the same. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	unbound_shape(h, UI);
	/* T binds now, and inherits the push. */
	VAL_EQ(ACTOR_DO(t, wl_cmd_bind), MACH_MSG_SUCCESS);
	EFF_EQ(t->a_th, UI);
	case7_shape(h, t, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), KERN_ALREADY_WAITING);
	VAL_EQ(ACTOR_DO(t, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(t->a_buf.h.msgh_id, 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(ACTOR_DO(t, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(t, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(sc.wl));
	actors_end(sc.as, 3);
}
END_TEST

/* A servicer parked in its receive: another thread is refused too. */
START_TEST(WL_serial_parked_servicer_holds_the_binding)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[2], *s = &as[0], *t = &as[1];

	KR_OK(mipc_workloop_attach(wl, p));
	actor_servicer(s, LOW, wl);
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	actor_servicer(t, LOW, wl);
	VAL_EQ(ACTOR_DO(t, wl_cmd_recv), KERN_ALREADY_WAITING);
	VAL_EQ(wait_of(s->a_th).wait_kind, MIPC_WAIT_RECEIVE);
	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 7);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 7);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 2);
}
END_TEST

/*
 * A parked servicer stays the inheritor: a push that arrives while it
 * sleeps (a sender blocked on P at queue limit 0: nothing to dequeue)
 * raises it before it runs, so it wakes already boosted (XNU's thread
 * request at the push's QoS).
 */
/*
 * W with P (queue limit 0) attached, S parked in its receive, then H at
 * UI blocked sending to P: nothing to dequeue, S pushed while asleep.
 */
static void
parked_scene(mipc_space_t task, mipc_workloop_t *wl, mach_port_name_t *p,
    struct actor *s, struct actor *h)
{
	*wl = wl_new(task, 0);
	*p = tport_new(task, 0);
	KR_OK(mipc_workloop_attach(*wl, *p));
	actor_servicer(s, LOW, *wl);
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	AT_BASE(s->a_th);
	actor_send(h, UI, NULL, *p, 3, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
}

START_TEST(WL_parked_servicer_stays_inheritor_wakes_boosted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl;
	mach_port_name_t p;
	struct actor as[2], *s = &as[0], *h = &as[1];

	parked_scene(task, &wl, &p, s, h);
	/* Asleep, and boosted. */
	EFF_EQ(s->a_th, UI);
	VAL_EQ(wait_of(s->a_th).wait_kind, MIPC_WAIT_RECEIVE);
	case7_shape(h, s, UI);
	/* Room: the message wakes S; H's push left with H. */
	set_qlimit(task, p, 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 3);
	AT_BASE(s->a_th);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 2);
}
END_TEST

/* ---- the servicer floor and the cap -------------------------------------- */

START_TEST(WL_min_priority_is_the_servicer_floor)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1], *t = &sc.as[2];

	wscene_init(&sc, 1, 0);
	/* While bound: at once. */
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 40));
	EFF_EQ(s->a_th, 40);
	VAL_EQ(pri_of(s->a_th).base, LOW);
	/* A push above the floor wins; below it, the floor. */
	wscene_blocked_sender(&sc, UI);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_thread_set_base_priority(h->a_th, 20));
	EFF_EQ(s->a_th, 40);
	KR_OK(mipc_thread_set_base_priority(h->a_th, UI));
	/* Unbound: the floor goes with the binding... */
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	/* ...and comes with the next one, whoever binds. */
	actor_servicer(t, LOW, sc.wl);
	VAL_EQ(ACTOR_DO(t, wl_cmd_bind), MACH_MSG_SUCCESS);
	EFF_EQ(t->a_th, UI);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	EFF_EQ(t->a_th, 40);
	/* Lowered: at once; 0: no floor. */
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 30));
	EFF_EQ(t->a_th, 30);
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 0));
	AT_BASE(t->a_th);
	/* A floor below the servicer's base changes nothing. */
	KR_OK(mipc_thread_set_base_priority(t->a_th, 50));
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 45));
	EFF_EQ(t->a_th, 50);
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 0));
	KR_OK(mipc_thread_set_base_priority(t->a_th, LOW));
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	VAL_EQ(ACTOR_DO(t, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(sc.wl));
	actors_end(sc.as, 3);
}
END_TEST

/* The floor raises a parked servicer too (it is bound while it waits). */
START_TEST(WL_min_priority_raises_a_parked_servicer)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t p = tport_new(task, 1);
	struct actor as[1], *s = &as[0];

	KR_OK(mipc_workloop_attach(wl, p));
	actor_servicer(s, LOW, wl);
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	KR_OK(mipc_workloop_set_min_priority(wl, 33));
	EFF_EQ(s->a_th, 33);
	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 4);
	VAL_EQ(WAIT_DONE(s), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_seen, 33);
	KR_OK(mipc_workloop_set_min_priority(wl, 0));
	AT_BASE(s->a_th);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 1);
}
END_TEST

/* Pushes above 63 stop at 63, as every IPC push in XNU (MAXPRI_USER). */
START_TEST(WL_push_above_63_capped)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, 90);
	EFF_EQ(s->a_th, MIPC_PRI_USER_MAX);
	VAL_EQ(pri_of(s->a_th).promotion, MIPC_PRI_USER_MAX);
	EFF_EQ(h->a_th, 90);
	KR_OK(mipc_thread_set_base_priority(h->a_th, 60));
	EFF_EQ(s->a_th, 60);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	wscene_end(&sc, 2);
}
END_TEST

/* MIPC_WORKLOOP_INHERIT_RT lets them through (binder's inherit_rt). */
START_TEST(WL_push_above_63_with_inherit_rt)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	struct mipc_push_hop hops[8];

	wscene_init(&sc, 1, MIPC_WORKLOOP_INHERIT_RT);
	wscene_blocked_sender(&sc, 90);
	EFF_EQ(s->a_th, 90);
	VAL_EQ(chain_of(h->a_th, hops, NELEM(hops)), 4);
	HOP_EQ(hops[3], MIPC_OWNER_THREAD, 90);
	KR_OK(mipc_thread_set_base_priority(h->a_th, 120));
	EFF_EQ(s->a_th, 120);
	/* The floor may be RT as well. */
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 100));
	KR_OK(mipc_thread_set_base_priority(h->a_th, 20));
	EFF_EQ(s->a_th, 100);
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 0));
	EFF_EQ(s->a_th, 20);
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	wscene_end(&sc, 2);
}
END_TEST

/* ---- receive order ------------------------------------------------------- */

/*
 * Three attached ports with a message each: the one pushed hardest is
 * received first, whatever the order of attachment or arrival (XNU's
 * QoS buckets, kqwl_queue).  P2 has a UI sender blocked, P1 an IN one,
 * P3 none.
 */
START_TEST(WL_receive_order_highest_push_first)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t p1 = tport_new(task, 1), p2 = tport_new(task, 1),
	                 p3 = tport_new(task, 1);
	struct actor as[3], *s = &as[0], *h1 = &as[1], *h2 = &as[2];
	mach_msg_id_t got[5];
	unsigned i;

	/* Neither attachment order nor its reverse is the push order. */
	KR_OK(mipc_workloop_attach(wl, p2));
	KR_OK(mipc_workloop_attach(wl, p3));
	KR_OK(mipc_workloop_attach(wl, p1));
	SEND_OK(task, p3, MACH_MSG_TYPE_COPY_SEND, 30);
	SEND_OK(task, p1, MACH_MSG_TYPE_COPY_SEND, 10);
	SEND_OK(task, p2, MACH_MSG_TYPE_COPY_SEND, 20);
	actor_send(h1, IN, NULL, p1, 11, 0);
	WAIT_BLOCKED(h1, MIPC_WAIT_SEND_FULL);
	actor_send(h2, UI, NULL, p2, 21, 0);
	WAIT_BLOCKED(h2, MIPC_WAIT_SEND_FULL);
	actor_servicer(s, LOW, wl);
	for (i = 0; i < NELEM(got); i++) {
		VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
		got[i] = s->a_buf.h.msgh_id;
		if (i == 0) {
			/* P2 first; its dequeue admitted H2, whose
			 * push left: S runs at H1's. */
			VAL_EQ(got[0], 20);
			VAL_EQ(s->a_seen, IN);
			VAL_EQ(WAIT_DONE(h2), MACH_MSG_SUCCESS);
		} else if (i == 1) {
			/* P1 next: IN beats the unpushed. */
			VAL_EQ(got[1], 10);
			VAL_EQ(s->a_seen, LOW);
			VAL_EQ(WAIT_DONE(h1), MACH_MSG_SUCCESS);
		}
	}
	AT_BASE(s->a_th);
	/* The rest, unpushed, in any order: all of them, once. */
	{
		bool seen11 = false, seen21 = false, seen30 = false;

		for (i = 2; i < NELEM(got); i++) {
			seen11 |= got[i] == 11;
			seen21 |= got[i] == 21;
			seen30 |= got[i] == 30;
		}
		ck_assert(seen11 && seen21 && seen30);
	}
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	actors_end(as, 3);
}
END_TEST

/* ---- end ----------------------------------------------------------------- */

/*
 * mipc_workloop_end unbinds and drops the push; the push waits on W for
 * the next servicer.  Its rights stashed by the last delivery stop
 * pushing too (end re-enables).
 */
START_TEST(WL_end_unbinds_and_drops_the_push)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1], *t = &sc.as[2];

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, UI);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	unbound_shape(h, UI);
	/* A second end is nothing (not bound). */
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	AT_BASE(s->a_th);
	/* The next servicer gets the push as it binds. */
	actor_servicer(t, IN, sc.wl);
	VAL_EQ(ACTOR_DO(t, wl_cmd_bind), MACH_MSG_SUCCESS);
	EFF_EQ(t->a_th, UI);
	case7_shape(h, t, UI);
	VAL_EQ(ACTOR_DO(t, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(t->a_buf.h.msgh_id, 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(ACTOR_DO(t, wl_cmd_end), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	KR_OK(mipc_workloop_destroy(sc.wl));
	actors_end(sc.as, 3);
}
END_TEST

/* ---- destroy ------------------------------------------------------------- */

/* Destroyed by its own bound servicer: its stash is severed first. */
START_TEST(WL_destroy_by_its_servicer_severs_the_stash)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *hr = &sc.as[1];
	mach_port_name_t r, rn;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r = tport_pushed(sc.sp, hr, UI, 5);
	rn = wscene_deliver(&sc, r);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(ACTOR_DO(s, wl_cmd_destroy), KERN_SUCCESS);
	AT_BASE(s->a_th);
	nowhere_shape(hr);
	VAL_EQ(tport_take(sc.sp, rn), 1);
	VAL_EQ(WAIT_DONE(hr), MACH_MSG_SUCCESS);
	actors_end(sc.as, 2);
}
END_TEST

/*
 * Destroyed while its servicer is parked in a receive: the servicer wakes
 * with MACH_RCV_PORT_CHANGED (what it waited on went, G10), unpushed;
 * the attached port is detached and keeps its queue.
 */
START_TEST(WL_destroy_wakes_a_parked_servicer)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl;
	mach_port_name_t p;
	struct actor as[2], *s = &as[0], *h = &as[1];

	parked_scene(task, &wl, &p, s, h);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_workloop_destroy(wl));
	VAL_EQ(WAIT_DONE(s), MACH_RCV_PORT_CHANGED);
	AT_BASE(s->a_th);
	nowhere_shape(h);
	/* Still bound, to a dead workloop: end frees it. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_RCV_PORT_CHANGED);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	/* P is the space's still, detached. */
	set_qlimit(task, p, 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(task, p), 3);
	actors_end(as, 2);
}
END_TEST

/*
 * Destroyed by another thread while its servicer is bound and holds a
 * delivery (a receive right R, stashed: case 4): the attachments go at
 * once; the stash stays the servicer's until its next call, which
 * re-enables and answers MACH_RCV_PORT_CHANGED; its end frees it.
 */
START_TEST(WL_destroy_while_servicer_holds_a_delivery)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1], *hr = &sc.as[2];
	mach_port_name_t r, rn;

	wscene_init(&sc, 1, 0);
	r = tport_pushed(sc.sp, hr, IN, 5);
	send_receive_right(sc.sp, sc.p, r);
	EFF_EQ(s->a_th, IN); /* R in transit to P, attached */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	rn = rcv_port_desc(&s->a_buf, 0).name;
	EFF_EQ(s->a_th, IN); /* R stashed on the knote (case 4) */
	/* Another push through P (case 7). */
	tport_fill(sc.sp, sc.p, 1);
	actor_send(h, UI, NULL, sc.p, 2, 0);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_workloop_destroy(sc.wl));
	/* P is detached: its push went; R's stays until S moves on. */
	nowhere_shape(h);
	EFF_EQ(s->a_th, IN);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_RCV_PORT_CHANGED);
	AT_BASE(s->a_th);
	nowhere_shape(hr);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	/* Everything is the space's and works. */
	tport_admit(sc.sp, rn, hr, 5);
	tport_admit(sc.sp, sc.p, h, 2);
	actors_end(sc.as, 3);
}
END_TEST

/*
 * Destroyed with messages queued on its ports, carrying rights: the
 * ports are the space's, so the messages stay on them, rights and all;
 * what they pushed through the workloop stops.  Nothing is leaked (the
 * teardown counts every object).
 */
START_TEST(WL_destroy_with_queued_messages)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *hr = &sc.as[1];
	mach_port_name_t r, q, rn;
	mach_msg_port_descriptor_t d;
	msg_buf_t b;
	mach_msg_size_t size;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	q = tport_new(sc.sp, 1);
	d = port_desc(q, MACH_MSG_TYPE_MAKE_SEND);
	size = msg_init_ports(&b, sc.p, MACH_MSG_TYPE_COPY_SEND, 800, &d, 1);
	KR_EQ(msg_send(sc.sp, &b, size), MACH_MSG_SUCCESS);
	r = tport_pushed(sc.sp, hr, UI, 5);
	send_receive_right(sc.sp, sc.p, r);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_workloop_destroy(sc.wl));
	AT_BASE(s->a_th);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	VAL_EQ(msgcount_of(sc.sp, sc.p), 2);
	RECV_OK(sc.sp, &b, sc.p, 0);
	VAL_EQ(b.h.msgh_id, 800);
	VAL_EQ(rcv_port_desc(&b, 0).name, q);
	REFS_EQ(sc.sp, q, MACH_PORT_RIGHT_SEND, 2); /* its own + the one sent */
	rn = take_receive_right(sc.sp, sc.p);
	tport_admit(sc.sp, rn, hr, 5);
	actors_end(sc.as, 2);
}
END_TEST

/*
 * Destroyed under its servicer while a client waits for its reply (the
 * reply right stashed on the knote): the push stays until the servicer
 * moves on; the servicer's reply still goes (the send comes first), its
 * receive answers MACH_RCV_PORT_CHANGED.  The dead workloop refuses
 * everything else.
 */
START_TEST(WL_destroyed_under_its_servicer_the_reply_still_goes)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *c = &sc.as[1];

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	KR_OK(mipc_workloop_set_min_priority(sc.wl, 20));
	actor_rpc(c, UI, sc.p, 10, 0);
	WAIT_BLOCKED(c, MIPC_WAIT_SRP_REPLY);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_workloop_destroy(sc.wl));
	/* The knote's push is the servicer's still; the floor went. */
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_thread_set_base_priority(c->a_th, 10));
	EFF_EQ(s->a_th, 10);
	KR_OK(mipc_thread_set_base_priority(c->a_th, UI));
	KR_EQ(mipc_workloop_destroy(sc.wl), KERN_TERMINATED);
	KR_EQ(mipc_workloop_set_min_priority(sc.wl, 30), KERN_TERMINATED);
	KR_EQ(mipc_workloop_attach(sc.wl, sc.p), KERN_TERMINATED);
	KR_EQ(mipc_workloop_detach(sc.wl, sc.p), KERN_NOT_IN_SET);
	s->a_id = 11;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply_recv), MACH_RCV_PORT_CHANGED);
	VAL_EQ(WAIT_DONE(c), MACH_MSG_SUCCESS);
	VAL_EQ(c->a_buf.h.msgh_id, 11);
	AT_BASE(s->a_th);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	actors_end(sc.as, 2);
}
END_TEST

/* ---- attached ports that move or die ------------------------------------- */

/*
 * A receive right that leaves the space (in a message, or extracted) is
 * detached: its push leaves the servicer with it, the workloop no longer
 * receives from it, and the servicer's next receive that finds nothing
 * says so once (MACH_RCV_PORT_CHANGED, a vanish event).
 */
START_TEST(WL_receive_right_leaving_the_space_detaches)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	mipc_space_t other = NULL;
	mach_port_name_t q, pn;

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, UI);
	EFF_EQ(s->a_th, UI);
	/* In a message to Q (unattached): pushes on Q's send turnstile. */
	q = tport_new(sc.sp, MACH_PORT_QLIMIT_DEFAULT);
	send_receive_right(sc.sp, q, sc.p);
	AT_BASE(s->a_th);
	VAL_EQ(wait_of(h->a_th).owner_kind, MIPC_OWNER_TRANSIT);
	/* Back in the space: not attached any more. */
	pn = take_receive_right(sc.sp, q);
	nowhere_shape(h);
	KR_EQ(mipc_workloop_detach(sc.wl, pn), KERN_NOT_IN_SET);
	/* The servicer hears of it once: a vanish event (EV_VANISHED). */
	KR_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_PORT_CHANGED);
	KR_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_TIMED_OUT);
	/* Attached again, then extracted into another space. */
	KR_OK(mipc_workloop_attach(sc.wl, pn));
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_space_create(&other));
	pn = move_receive(sc.sp, pn, other);
	AT_BASE(s->a_th);
	nowhere_shape(h);
	KR_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_PORT_CHANGED);
	KR_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_TIMED_OUT);
	VAL_EQ(tport_take(other, pn), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	wscene_end(&sc, 2);
	KR_OK(mipc_space_destroy(other));
}
END_TEST

/* An attached port destroyed: detached; the workloop lives on. */
START_TEST(WL_attached_port_destroyed)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *h = &sc.as[1];
	mach_port_name_t q;

	wscene_init(&sc, 1, 0);
	wscene_blocked_sender(&sc, UI);
	EFF_EQ(s->a_th, UI);
	KR_OK(mipc_port_destroy(sc.sp, sc.p));
	AT_BASE(s->a_th);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS); /* J9: the port died */
	KR_EQ(mipc_workloop_detach(sc.wl, sc.p), KERN_INVALID_NAME);
	/* Still usable. */
	q = tport_new(sc.sp, 1);
	KR_OK(mipc_workloop_attach(sc.wl, q));
	SEND_OK(sc.sp, q, MACH_MSG_TYPE_COPY_SEND, 9);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 9);
	/* The death is news once the queue is empty: a vanish event. */
	KR_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_PORT_CHANGED);
	KR_EQ(ACTOR_DO(s, wl_cmd_recv_now), MACH_RCV_TIMED_OUT);
	wscene_end(&sc, 2);
}
END_TEST

/*
 * The workloop's space destroyed under parked servicers (one workloop
 * with a port attached, one with nothing): both wake with
 * MACH_RCV_PORT_CHANGED (what they received from went); attach then
 * answers KERN_INVALID_TASK; end and destroy still work.
 */
START_TEST(WL_space_destroyed_wakes_a_parked_servicer)
{
	mipc_space_t sp = NULL;
	mipc_workloop_t wl, empty;
	mach_port_name_t p;
	struct actor as[2], *s = &as[0], *t = &as[1];

	KR_OK(mipc_space_create(&sp));
	wl = wl_new(sp, 0);
	empty = wl_new(sp, 0);
	p = tport_new(sp, 1);
	KR_OK(mipc_workloop_attach(wl, p));
	actor_servicer(s, LOW, wl);
	actor_post(s, wl_cmd_recv);
	WAIT_BLOCKED(s, MIPC_WAIT_RECEIVE);
	actor_servicer(t, LOW, empty);
	actor_post(t, wl_cmd_recv);
	WAIT_BLOCKED(t, MIPC_WAIT_RECEIVE);
	KR_OK(mipc_space_destroy(sp));
	VAL_EQ(WAIT_DONE(s), MACH_RCV_PORT_CHANGED);
	VAL_EQ(WAIT_DONE(t), MACH_RCV_PORT_CHANGED);
	VAL_EQ(ACTOR_DO(t, wl_cmd_recv), MACH_RCV_PORT_CHANGED);
	KR_EQ(mipc_workloop_attach(wl, p), KERN_INVALID_TASK);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(t, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_workloop_destroy(empty));
	actors_end(as, 2);
}
END_TEST

/* ---- the servicer's thread ----------------------------------------------- */

/*
 * A bound servicer whose thread exits (holding a delivery): it is
 * unbound (XNU unbinds a terminating thread), its push and stash go, and
 * another thread may service the workloop.
 */
START_TEST(WL_servicer_thread_exit_unbinds)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *hr = &sc.as[1], *t = &sc.as[2];
	mach_port_name_t r, rn;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r = tport_pushed(sc.sp, hr, UI, 5);
	send_receive_right(sc.sp, sc.p, r);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	rn = rcv_port_desc(&s->a_buf, 0).name;
	EFF_EQ(s->a_th, UI);
	actor_finish(s); /* the thread exits, bound */
	KR_EQ(mipc_thread_get_priority(
	          s->a_th, &(struct mipc_thread_priority){ 0 }),
	    KERN_TERMINATED);
	nowhere_shape(hr);
	actor_servicer(t, LOW, sc.wl);
	VAL_EQ(ACTOR_DO(t, wl_cmd_bind), MACH_MSG_SUCCESS);
	AT_BASE(t->a_th);
	VAL_EQ(tport_take(sc.sp, rn), 1);
	VAL_EQ(WAIT_DONE(hr), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(t, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(sc.wl));
	actors_end(sc.as, 3);
}
END_TEST

/* A thread services one workloop at a time (XNU: uu_kqr_bound). */
START_TEST(WL_serial_one_workloop_per_thread)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t w1 = wl_new(task, 0), w2 = wl_new(task, 0);
	struct actor as[1], *s = &as[0];

	actor_servicer(s, LOW, w1);
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	s->a_wl = w2;
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), KERN_INVALID_ARGUMENT);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), KERN_INVALID_ARGUMENT);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS); /* not W2's */
	s->a_wl = w1;
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	s->a_wl = w2;
	VAL_EQ(ACTOR_DO(s, wl_cmd_bind), MACH_MSG_SUCCESS);
	VAL_EQ(ACTOR_DO(s, wl_cmd_end), MACH_MSG_SUCCESS);
	KR_OK(mipc_workloop_destroy(w1));
	KR_OK(mipc_workloop_destroy(w2));
	actors_end(as, 1);
}
END_TEST

/* ---- the send part of msg ------------------------------------------------ */

/*
 * A failed send returns its code, receives nothing and does not re-enable
 * (J12): the delivery's rights keep pushing.
 */
START_TEST(WL_msg_failed_send_receives_nothing)
{
	struct wscene sc;
	struct actor *s = &sc.as[0], *hr = &sc.as[1];
	mach_port_name_t r, rn;

	wscene_init(&sc, MACH_PORT_QLIMIT_DEFAULT, 0);
	r = tport_pushed(sc.sp, hr, UI, 5);
	send_receive_right(sc.sp, sc.p, r);
	SEND_OK(sc.sp, sc.p, MACH_MSG_TYPE_COPY_SEND, 6);
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	rn = rcv_port_desc(&s->a_buf, 0).name;
	EFF_EQ(s->a_th, UI);
	/* A "reply" to a name that is no right. */
	s->a_so = 0x7fff0003;
	VAL_EQ(ACTOR_DO(s, wl_cmd_reply_recv), MACH_SEND_INVALID_DEST);
	EFF_EQ(s->a_th, UI);
	VAL_EQ(msgcount_of(sc.sp, sc.p), 1);
	/* The next good call re-enables. */
	VAL_EQ(ACTOR_DO(s, wl_cmd_recv), MACH_MSG_SUCCESS);
	VAL_EQ(s->a_buf.h.msgh_id, 6);
	AT_BASE(s->a_th);
	VAL_EQ(tport_take(sc.sp, rn), 1);
	VAL_EQ(WAIT_DONE(hr), MACH_MSG_SUCCESS);
	wscene_end(&sc, 2);
}
END_TEST

/* Too large: K5 with MACH_RCV_LARGE (left queued), K4 without. */
START_TEST(WL_msg_too_large)
{
	mipc_space_t task = mipc_thread_space();
	mipc_workloop_t wl = wl_new(task, 0);
	mach_port_name_t p = tport_new(task, 4);
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} small;
	msg_buf_t b;

	KR_OK(mipc_workloop_attach(wl, p));
	msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), p,
	    MACH_PORT_NULL, 12);
	b.h.msgh_size = HDR_SIZE + 64;
	KR_EQ(msg_send(task, &b, HDR_SIZE + 64), MACH_MSG_SUCCESS);
	memset(&small, 0, sizeof(small));
	KR_EQ(mipc_workloop_msg(wl, &small.h,
	          MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0,
	          sizeof(small), 0),
	    MACH_RCV_TOO_LARGE);
	VAL_EQ(small.h.msgh_size, HDR_SIZE + 64);
	VAL_EQ(msgcount_of(task, p), 1);
	KR_EQ(mipc_workloop_msg(wl, &small.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	          0, sizeof(small), 0),
	    MACH_RCV_TOO_LARGE);
	VAL_EQ(msgcount_of(task, p), 0);
	mipc_workloop_end(wl);
	KR_OK(mipc_workloop_destroy(wl));
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *
workloop_suite(void)
{
	Suite *s = suite_create("workloop");
	TCase *tc;

	tc = conf_tcase("WL_api");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, WL_create_and_destroy);
	tcase_add_test(tc, WL_create_bad_arguments);
	tcase_add_test(tc, WL_null_handle);
	tcase_add_test(tc, WL_min_priority_range);
	tcase_add_test(tc, WL_msg_receive_timeout_and_null_buffer);
	suite_add_tcase(s, tc);

	tc = conf_tcase("WL_attach");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, WL_attach_receive_right_pushes_bound_servicer);
	tcase_add_test(tc, WL_attach_receive_right_client_rpc_pushes);
	tcase_add_test(tc, WL_attach_moves_an_existing_push);
	tcase_add_test(tc, WL_attach_port_set_receives_without_push);
	tcase_add_test(tc, WL_attach_special_reply_port_not_supported);
	tcase_add_test(tc, WL_attach_not_a_receive_right_invalid_right);
	tcase_add_test(tc, WL_attach_twice);
	tcase_add_test(tc, WL_detach_not_attached);
	tcase_add_test(tc, WL_attached_port_stays_in_its_named_set);
	suite_add_tcase(s, tc);

	tc = conf_tcase("WL_servicer");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, WL_serial_second_thread_already_waiting);
	tcase_add_test(tc, WL_serial_parked_servicer_holds_the_binding);
	tcase_add_test(tc, WL_parked_servicer_stays_inheritor_wakes_boosted);
	tcase_add_test(tc, WL_min_priority_is_the_servicer_floor);
	tcase_add_test(tc, WL_min_priority_raises_a_parked_servicer);
	tcase_add_test(tc, WL_push_above_63_capped);
	tcase_add_test(tc, WL_push_above_63_with_inherit_rt);
	tcase_add_test(tc, WL_receive_order_highest_push_first);
	tcase_add_test(tc, WL_end_unbinds_and_drops_the_push);
	suite_add_tcase(s, tc);

	tc = conf_tcase("WL_lifetime");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, WL_destroy_wakes_a_parked_servicer);
	tcase_add_test(tc, WL_destroy_while_servicer_holds_a_delivery);
	tcase_add_test(tc, WL_destroy_with_queued_messages);
	tcase_add_test(
	    tc, WL_destroyed_under_its_servicer_the_reply_still_goes);
	tcase_add_test(tc, WL_destroy_by_its_servicer_severs_the_stash);
	tcase_add_test(tc, WL_receive_right_leaving_the_space_detaches);
	tcase_add_test(tc, WL_attached_port_destroyed);
	tcase_add_test(tc, WL_space_destroyed_wakes_a_parked_servicer);
	tcase_add_test(tc, WL_servicer_thread_exit_unbinds);
	tcase_add_test(tc, WL_serial_one_workloop_per_thread);
	tcase_add_test(tc, WL_msg_failed_send_receives_nothing);
	tcase_add_test(tc, WL_msg_too_large);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(workloop_suite)
