/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_j_interrupt.c -- cancellation (MACH.md J11, issue 17): the
 * MACH_RCV_INTERRUPT / MACH_SEND_INTERRUPT options with real signals, and
 * mipc_thread_abort on threads blocked receiving, sending to a full
 * queue, in a MACH_RCV_SYNC_WAIT RPC, servicing a workloop, and on a
 * thread that is not in mipc at all.
 *
 * Signals are sent with pthread_kill to an actor (turnstile_helpers.h)
 * known to be blocked (mipc_thread_wait_info) and asleep in the kernel
 * (/proc: a signal while mipc spins is not seen, sync.h); the handler
 * only counts.
 * Each test runs in its own forked child, so handlers installed here do
 * not leak into other tests.  XNU's semantics: an interrupted wait
 * returns the INTERRUPTED code only with the option; without it the wait
 * resumes (libsyscall's retry) with the time left.  An abort interrupts
 * whatever the options (mipc's choice, sync.h).
 */
#include "turnstile_helpers.h"

#include <signal.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define LOW      4  /* watchers' base */
#define UI       47 /* USER_INTERACTIVE */

/* ---- signals ----------------------------------------------------------- */

static atomic_int sig_count;

static void
sig_note(int sig)
{
	(void)sig;
	atomic_fetch_add(&sig_count, 1);
}

static void
sig_install(bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_note;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	atomic_store(&sig_count, 0);
}

/*
 * Signal the actor n times, each time once it sleeps in the kernel (a
 * handler that runs while mipc still spins ends nothing: sync.h), and
 * wait for each handler to have run.  Bounded.
 */
static void
sig_deliver(struct actor *a, int n)
{
	int k, i;

	for (k = 1; k <= n; k++) {
		ck_assert_msg(
		    wait_sleeping(a->a_tid), "not asleep in mach_msg");
		ck_assert_int_eq(pthread_kill(a->a_pt, SIGUSR1), 0);
		for (i = 0; i < ACT_BOUND_MS && atomic_load(&sig_count) < k;
		     i++)
			act_nap();
		ck_assert_msg(
		    atomic_load(&sig_count) >= k, "the handler never ran");
	}
}

/* ---- actors with options ------------------------------------------------ */

struct call {
	mipc_space_t c_sp;
	mach_port_name_t c_name; /* receive: from; send: to */
	mach_msg_option_t c_opt;
	mach_msg_timeout_t c_timeout;
	mach_port_name_t c_peer; /* MACH_RCV_SYNC_WAIT's */
	mipc_workloop_t c_wl;
};

/* A receive on c_name with c_opt (plus MACH_RCV_MSG). */
static void
act_recv_opt(struct actor *a)
{
	struct call *c = a->a_arg;

	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr = mipc_msg(c->c_sp, &a->a_buf.h, MACH_RCV_MSG | c->c_opt, 0,
	    (mach_msg_size_t)sizeof(a->a_buf), c->c_name, c->c_timeout,
	    MACH_PORT_NULL);
}

/* A 24-byte COPY_SEND to c_name with c_opt (plus MACH_SEND_MSG). */
static void
act_send_opt(struct actor *a)
{
	struct call *c = a->a_arg;

	msg_init(&a->a_buf, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    c->c_name, MACH_PORT_NULL, a->a_id);
	a->a_mr = mipc_msg(c->c_sp, &a->a_buf.h, MACH_SEND_MSG | c->c_opt,
	    HDR_SIZE, 0, MACH_PORT_NULL, c->c_timeout, MACH_PORT_NULL);
}

static void
actor_fn(struct actor *a, void (*fn)(struct actor *), struct call *c, int base)
{
	actor_init(a, ACT_FN, base);
	a->a_fn = fn;
	a->a_arg = c;
	actor_start(a);
}

/* A port of sp with a send right, and an actor receiving on it. */
static void
blocked_receiver(struct actor *a, struct call *c, mach_msg_option_t opt,
    mach_msg_timeout_t timeout)
{
	c->c_sp = mipc_thread_space();
	c->c_name = tport_new(c->c_sp, MACH_PORT_QLIMIT_DEFAULT);
	c->c_opt = opt;
	c->c_timeout = timeout;
	actor_fn(a, act_recv_opt, c, -1);
	WAIT_BLOCKED(a, MIPC_WAIT_RECEIVE);
}

/* ---- J11: MACH_RCV_INTERRUPT -------------------------------------------- */

static void
J11_rcv_interrupted(bool restart)
{
	struct actor a;
	struct call c;
	struct mipc_stats s0, s1;

	sig_install(restart);
	blocked_receiver(&a, &c, MACH_RCV_INTERRUPT, 0);
	mipc_get_stats(&s0);
	sig_deliver(&a, 1);
	VAL_EQ(WAIT_DONE(&a), MACH_RCV_INTERRUPTED);
	mipc_get_stats(&s1);
	ck_assert_uint_ge(s1.interrupts - s0.interrupts, 1);
	/* Nothing was taken: a later message is still there. */
	SEND_OK(c.c_sp, c.c_name, MACH_MSG_TYPE_COPY_SEND, 5);
	VAL_EQ(tport_take(c.c_sp, c.c_name), 5);
	VAL_EQ(wait_of(a.a_th).wait_kind, MIPC_WAIT_NONE);
	actor_end(&a);
}

START_TEST(J11_rcv_interrupt_signal_without_sa_restart)
{
	J11_rcv_interrupted(false);
}
END_TEST

/* A Mach trap ignores SA_RESTART: the option decides. */
START_TEST(J11_rcv_interrupt_signal_with_sa_restart)
{
	J11_rcv_interrupted(true);
}
END_TEST

static void
J11_rcv_restarts(bool restart)
{
	struct actor a;
	struct call c;

	sig_install(restart);
	blocked_receiver(&a, &c, MACH_RCV_TIMEOUT, ACT_LONG_MS);
	sig_deliver(&a, 3);
	/* Still blocked after three handlers ran: the wait resumed. */
	WAIT_BLOCKED(&a, MIPC_WAIT_RECEIVE);
	SEND_OK(c.c_sp, c.c_name, MACH_MSG_TYPE_COPY_SEND, 6);
	VAL_EQ(WAIT_DONE(&a), MACH_MSG_SUCCESS);
	VAL_EQ(a.a_buf.h.msgh_id, 6);
	actor_end(&a);
}

START_TEST(J11_rcv_without_option_restarts_without_sa_restart)
{
	J11_rcv_restarts(false);
}
END_TEST

START_TEST(J11_rcv_without_option_restarts_with_sa_restart)
{
	J11_rcv_restarts(true);
}
END_TEST

/*
 * A restarted wait keeps what remains of its timeout: signalled every
 * couple of milliseconds, a 300 ms receive still times out (a restart
 * with the whole timeout again would never end while the signals go on).
 * The bound is liveness, not speed: the signals stop after ACT_BOUND_MS.
 */
START_TEST(J11_restarted_receive_keeps_its_deadline)
{
	struct actor a;
	struct call c;
	int i;

	sig_install(false);
	blocked_receiver(&a, &c, MACH_RCV_TIMEOUT, 300);
	for (i = 0; i < ACT_BOUND_MS / 2 && !actor_done(&a); i++) {
		ck_assert_int_eq(pthread_kill(a.a_pt, SIGUSR1), 0);
		act_nap();
	}
	ck_assert_msg(actor_done(&a),
	    "the receive restarted its 300 ms timeout for %d signals",
	    atomic_load(&sig_count));
	VAL_EQ(WAIT_DONE(&a), MACH_RCV_TIMED_OUT);
	actor_end(&a);
}
END_TEST

/* ---- J11: MACH_SEND_INTERRUPT, a sender on a full queue ------------------- */

/*
 * The scene: T (LOW) watches P (qlimit 1, full), H (UI) blocked sending
 * to P with `opt`, pushing T to UI.
 */
struct scene {
	mipc_space_t sp;
	mach_port_name_t p;
	struct actor as[3];
	struct call c;
};

static void
scene_blocked_sender(struct scene *sc, mach_msg_option_t opt)
{
	struct actor *t = &sc->as[0], *h = &sc->as[1];

	memset(sc, 0, sizeof(*sc));
	sc->sp = mipc_thread_space();
	sc->p = tport_new(sc->sp, 1);
	actor_park(t, LOW);
	watch(t->a_th, sc->sp, sc->p);
	tport_fill(sc->sp, sc->p, 1);
	sc->c.c_sp = sc->sp;
	sc->c.c_name = sc->p;
	sc->c.c_opt = opt;
	sc->c.c_timeout = ACT_LONG_MS;
	actor_init(h, ACT_FN, UI);
	h->a_fn = act_send_opt;
	h->a_arg = &sc->c;
	h->a_id = 2;
	actor_start(h);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	EFF_EQ(t->a_th, UI);
}

/*
 * After H gave up: T at base, P still holds exactly its one message, H's
 * send right is intact (pseudo-receive), and a new sender is admitted
 * when room is made -- H left no reservation behind.
 */
static void
scene_sender_gone(struct scene *sc)
{
	struct actor *t = &sc->as[0], *h = &sc->as[1], *g = &sc->as[2];

	AT_BASE(t->a_th);
	AT_BASE(h->a_th);
	VAL_EQ(msgcount_of(sc->sp, sc->p), 1);
	VAL_EQ(h->a_buf.h.msgh_remote_port, sc->p); /* given back */
	VAL_EQ(wait_of(h->a_th).wait_kind, MIPC_WAIT_NONE);
	actor_send(g, -1, NULL, sc->p, 3, 0);
	WAIT_BLOCKED(g, MIPC_WAIT_SEND_FULL);
	VAL_EQ(tport_take(sc->sp, sc->p), 1);
	VAL_EQ(WAIT_DONE(g), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc->sp, sc->p), 3);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc->as, 3);
}

static void
J11_send_interrupted(bool restart)
{
	struct scene sc;

	sig_install(restart);
	/* Untimed (SA_RESTART would restart it in the kernel) and timed. */
	scene_blocked_sender(&sc,
	    restart ? MACH_SEND_INTERRUPT
	            : MACH_SEND_TIMEOUT | MACH_SEND_INTERRUPT);
	sig_deliver(&sc.as[1], 1);
	VAL_EQ(WAIT_DONE(&sc.as[1]), MACH_SEND_INTERRUPTED);
	scene_sender_gone(&sc);
}

START_TEST(J11_send_interrupt_signal_without_sa_restart)
{
	J11_send_interrupted(false);
}
END_TEST

START_TEST(J11_send_interrupt_signal_with_sa_restart)
{
	J11_send_interrupted(true);
}
END_TEST

START_TEST(J11_send_without_option_restarts)
{
	struct scene sc;
	struct actor *t = &sc.as[0], *h = &sc.as[1];

	sig_install(false);
	scene_blocked_sender(&sc, MACH_SEND_TIMEOUT);
	sig_deliver(h, 3);
	WAIT_BLOCKED(h, MIPC_WAIT_SEND_FULL);
	EFF_EQ(t->a_th, UI); /* still pushing */
	VAL_EQ(tport_take(sc.sp, sc.p), 1);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sc.sp, sc.p), 2);
	AT_BASE(t->a_th);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(sc.as, 2);
}
END_TEST

/* ---- mipc_thread_abort ---------------------------------------------------- */

START_TEST(abort_blocked_receiver_without_option)
{
	struct actor a;
	struct call c;

	blocked_receiver(&a, &c, MACH_RCV_TIMEOUT, ACT_LONG_MS);
	KR_OK(mipc_thread_abort(a.a_th));
	VAL_EQ(WAIT_DONE(&a), MACH_RCV_INTERRUPTED);
	/* One abort, one wait: the next receive blocks again. */
	SEND_OK(c.c_sp, c.c_name, MACH_MSG_TYPE_COPY_SEND, 8);
	VAL_EQ(tport_take(c.c_sp, c.c_name), 8);
	actor_end(&a);
}
END_TEST

START_TEST(abort_blocked_sender_releases_its_place_and_push)
{
	struct scene sc;

	scene_blocked_sender(&sc, MACH_SEND_TIMEOUT);
	KR_OK(mipc_thread_abort(sc.as[1].a_th));
	VAL_EQ(WAIT_DONE(&sc.as[1]), MACH_SEND_INTERRUPTED);
	scene_sender_gone(&sc);
}
END_TEST

/* A client in a MACH_RCV_SYNC_WAIT RPC, pushing through its SRP on T. */
static void
act_sync_rpc(struct actor *a)
{
	struct call *c = a->a_arg;
	mach_port_name_t srp = thread_get_special_reply_port();

	atomic_store(&a->a_srp, srp);
	msg_init(&a->a_buf,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    c->c_name, srp, 10);
	a->a_mr = mipc_msg(c->c_sp, &a->a_buf.h,
	    MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_SYNC_WAIT |
	        MACH_RCV_TIMEOUT,
	    HDR_SIZE, (mach_msg_size_t)sizeof(a->a_buf), srp, ACT_LONG_MS,
	    MACH_PORT_NULL);
}

START_TEST(abort_sync_wait_rpc_client_unpushes_the_server)
{
	mipc_space_t sp = mipc_thread_space();
	struct actor as[2], *t = &as[0], *cl = &as[1];
	struct call c = { 0 };
	msg_buf_t b;

	c.c_sp = sp;
	c.c_name = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);
	actor_park(t, LOW);
	watch(t->a_th, sp, c.c_name);
	actor_fn(cl, act_sync_rpc, &c, UI);
	WAIT_BLOCKED(cl, MIPC_WAIT_SRP_REPLY);
	EFF_EQ(t->a_th, UI);
	KR_OK(mipc_thread_abort(cl->a_th));
	VAL_EQ(WAIT_DONE(cl), MACH_RCV_INTERRUPTED);
	AT_BASE(t->a_th);
	AT_BASE(cl->a_th);
	/* The request stays queued; its reply right dies unused. */
	RECV_OK(sp, &b, c.c_name, 0);
	VAL_EQ(b.h.msgh_id, 10);
	mipc_msg_destroy(sp, &b.h);
	conf_take_send_once_notification(sp, atomic_load(&cl->a_srp));
	AT_BASE(t->a_th);
	KR_OK(mipc_thread_clear_watchports(t->a_th));
	actors_end(as, 2);
	KR_OK(mipc_port_destroy(sp, c.c_name));
}
END_TEST

/* A workloop's servicer blocked in mipc_workloop_msg. */
static void
act_workloop(struct actor *a)
{
	struct call *c = a->a_arg;

	msg_fill(&a->a_buf, MSG_FILL);
	a->a_mr = mipc_workloop_msg(c->c_wl, &a->a_buf.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    (mach_msg_size_t)sizeof(a->a_buf), ACT_LONG_MS);
	mipc_workloop_end(c->c_wl);
}

START_TEST(abort_workloop_servicer)
{
	mipc_space_t sp = mipc_thread_space();
	struct actor as[2], *w = &as[0], *h = &as[1];
	struct call c = { 0 };

	c.c_sp = sp;
	c.c_name = tport_new(sp, 1);
	KR_OK(mipc_workloop_create(sp, 0, &c.c_wl));
	KR_OK(mipc_workloop_attach(c.c_wl, c.c_name));
	actor_fn(w, act_workloop, &c, LOW);
	WAIT_BLOCKED(w, MIPC_WAIT_RECEIVE);
	KR_OK(mipc_thread_abort(w->a_th));
	VAL_EQ(WAIT_DONE(w), MACH_RCV_INTERRUPTED);
	AT_BASE(w->a_th);
	/* The workloop still works: a message is there for the next call. */
	SEND_OK(sp, c.c_name, MACH_MSG_TYPE_COPY_SEND, 12);
	actor_init(h, ACT_FN, LOW);
	h->a_fn = act_workloop;
	h->a_arg = &c;
	actor_start(h);
	VAL_EQ(WAIT_DONE(h), MACH_MSG_SUCCESS);
	VAL_EQ(h->a_buf.h.msgh_id, 12);
	KR_OK(mipc_workloop_destroy(c.c_wl));
	actors_end(as, 2);
	KR_OK(mipc_port_destroy(sp, c.c_name));
}
END_TEST

/*
 * An abort of a thread that is not in mipc is remembered: its next wait
 * ends at once; a call that needs no wait leaves it pending; one abort
 * ends one wait.
 */
START_TEST(abort_thread_not_in_mipc_is_remembered)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);
	msg_buf_t b;

	KR_OK(mipc_thread_abort(mipc_thread_self()));
	/* A message is there: received, the abort stays. */
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	KR_EQ(msg_call(
	          sp, &b.h, MACH_RCV_MSG, 0, sizeof(b), p, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	/* A timeout-0 poll does not wait either. */
	RECV_EMPTY(sp, p);
	/* This one would wait: interrupted at once, no option needed. */
	KR_EQ(msg_call(sp, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b),
	          p, ACT_LONG_MS, MACH_PORT_NULL),
	    MACH_RCV_INTERRUPTED);
	/* Consumed: the next wait runs its course. */
	KR_EQ(msg_call(sp, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b),
	          p, 20, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	KR_OK(mipc_port_destroy(sp, p));
}
END_TEST

START_TEST(abort_pending_ends_a_send_on_a_full_queue)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = tport_new(sp, 1);
	mach_port_urefs_t refs;
	msg_buf_t b;

	tport_fill(sp, p, 1);
	refs = refs_of(sp, p, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_thread_abort(mipc_thread_self()));
	msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), p,
	    MACH_PORT_NULL, 2);
	KR_EQ(msg_call(sp, &b.h, MACH_SEND_MSG, HDR_SIZE, 0, MACH_PORT_NULL, 0,
	          MACH_PORT_NULL),
	    MACH_SEND_INTERRUPTED);
	VAL_EQ(msgcount_of(sp, p), 1);
	/* M3: the copied send right comes back, as on a timeout. */
	VAL_EQ(refs_of(sp, p, MACH_PORT_RIGHT_SEND), refs + 1);
	KR_OK(mipc_port_destroy(sp, p));
}
END_TEST

START_TEST(abort_bad_handles)
{
	struct actor a;
	mipc_thread_t th;

	KR_EQ(mipc_thread_abort(NULL), KERN_INVALID_ARGUMENT);
	actor_park(&a, -1);
	th = a.a_th;
	mipc_thread_retain(th);
	actor_end(&a); /* the thread exits */
	KR_EQ(mipc_thread_abort(th), KERN_TERMINATED);
	mipc_thread_release(th);
}
END_TEST

/*
 * A server stops its threads without touching its ports: several threads
 * blocked receiving on one set; each is aborted; the set, its members and
 * their queued messages stay as they were.
 */
START_TEST(abort_stops_a_server_without_destroying_ports)
{
	mipc_space_t sp = mipc_thread_space();
	struct actor as[3];
	struct call c = { 0 };
	mach_port_name_t set, p;
	unsigned i;

	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set));
	p = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);
	KR_OK(mipc_port_insert_member(sp, p, set));
	c.c_sp = sp;
	c.c_name = set;
	c.c_timeout = ACT_LONG_MS;
	c.c_opt = MACH_RCV_TIMEOUT;
	for (i = 0; i < NELEM(as); i++) {
		actor_fn(&as[i], act_recv_opt, &c, -1);
		WAIT_BLOCKED(&as[i], MIPC_WAIT_RECEIVE);
	}
	for (i = 0; i < NELEM(as); i++)
		KR_OK(mipc_thread_abort(as[i].a_th));
	for (i = 0; i < NELEM(as); i++)
		VAL_EQ(WAIT_DONE(&as[i]), MACH_RCV_INTERRUPTED);
	TYPE_EQ(sp, set, MACH_PORT_TYPE_PORT_SET);
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 9);
	VAL_EQ(tport_take(sp, set), 9);
	actors_end(as, NELEM(as));
	KR_OK(mipc_port_destroy(sp, p));
	KR_OK(mipc_port_destroy(sp, set));
}
END_TEST

static Suite *
interrupt_suite(void)
{
	Suite *s = suite_create("J_interrupt");
	TCase *sig = conf_tcase("J11_signals");
	TCase *ab = conf_tcase("abort");

	tcase_set_timeout(sig, 60);
	tcase_set_timeout(ab, 60);
	tcase_add_test(sig, J11_rcv_interrupt_signal_without_sa_restart);
	tcase_add_test(sig, J11_rcv_interrupt_signal_with_sa_restart);
	tcase_add_test(sig, J11_rcv_without_option_restarts_without_sa_restart);
	tcase_add_test(sig, J11_rcv_without_option_restarts_with_sa_restart);
	tcase_add_test(sig, J11_restarted_receive_keeps_its_deadline);
	tcase_add_test(sig, J11_send_interrupt_signal_without_sa_restart);
	tcase_add_test(sig, J11_send_interrupt_signal_with_sa_restart);
	tcase_add_test(sig, J11_send_without_option_restarts);
	suite_add_tcase(s, sig);
	tcase_add_test(ab, abort_blocked_receiver_without_option);
	tcase_add_test(ab, abort_blocked_sender_releases_its_place_and_push);
	tcase_add_test(ab, abort_sync_wait_rpc_client_unpushes_the_server);
	tcase_add_test(ab, abort_workloop_servicer);
	tcase_add_test(ab, abort_thread_not_in_mipc_is_remembered);
	tcase_add_test(ab, abort_pending_ends_a_send_on_a_full_queue);
	tcase_add_test(ab, abort_bad_handles);
	tcase_add_test(ab, abort_stops_a_server_without_destroying_ports);
	suite_add_tcase(s, ab);
	return s;
}

MIPC_TEST_MAIN(interrupt_suite)
