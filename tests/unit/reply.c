/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.c -- regression tests of core/reply.c found by the bootstrap
 * client (issue 14): mig_get_special_reply_port hands out the calling
 * thread's special reply port of its *current* space, made again when
 * the thread moved to another space or the port was destroyed.
 *
 * And a race the turnstile stress test caught (issue 13's
 * turnstile_threads, 1 run in 30): a special reply port destroyed while
 * its client's send links it lock-free must not be linked after its
 * death -- the link would outlive the port, holding its destination.
 *
 * And the reply fast path (MOVE_SEND_ONCE, msg.c) when the space lock it
 * tries inside its epoch section is busy: it waits for the lock holding
 * a reference instead, and the reply still goes the fast way.
 *
 * And a client's polls on its SRP (MACH_RCV_TIMEOUT 0, msg.c): one that
 * finds nothing still ends the receive (XNU's results_complete resets a
 * link to ANY), and holds no reference once it returns.
 *
 * The conformance of special reply ports is s_special_reply.c.  Includes
 * core/internal.h for the yield hook (interleave.h) and the link word.
 */
#include "check_mipc.h"
#include "conformance/conformance.h"

#include "internal.h"

#include "internal_helpers.h"

#include "interleave.h"

#include <string.h>

/* The name denotes a receive right in sp that carries a send right too. */
static void
assert_srp_in(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_type_t t = 0;

	ck_assert_msg(MACH_PORT_VALID(n), "a valid name (0x%x)", n);
	KR_OK(mipc_port_type(sp, n, &t));
	ck_assert_msg((t & MACH_PORT_TYPE_RECEIVE) != 0,
	    "0x%x is a receive right in that space (type 0x%x)", n, t);
}

START_TEST(reply_issue_14_mig_srp_follows_the_current_space)
{
	mipc_space_t a = mipc_thread_space(), b, prev;
	mach_port_name_t na, nb;

	na = mig_get_special_reply_port();
	assert_srp_in(a, na);
	VAL_EQ(mig_get_special_reply_port(), na); /* kept */
	KR_OK(mipc_space_create(&b));
	prev = mipc_thread_set_space(b);
	nb = mig_get_special_reply_port();
	assert_srp_in(b, nb);
	VAL_EQ(mig_get_special_reply_port(), nb);
	(void)mipc_thread_set_space(prev);
	KR_OK(mipc_space_destroy(b));
	KR_OK(mipc_port_mod_refs(a, na, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_deallocate(a, na));
}
END_TEST

START_TEST(reply_issue_14_mig_srp_made_again_after_destroy)
{
	mipc_space_t a = mipc_thread_space();
	mach_port_name_t n1, n2;

	n1 = mig_get_special_reply_port();
	assert_srp_in(a, n1);
	KR_OK(mipc_port_mod_refs(a, n1, MACH_PORT_RIGHT_RECEIVE, -1));
	n2 = mig_get_special_reply_port();
	assert_srp_in(a, n2);
	KR_OK(mipc_port_deallocate(a, n1)); /* the dead name */
	KR_OK(mipc_port_mod_refs(a, n2, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_deallocate(a, n2));
}
END_TEST

struct srp_race {
	mipc_space_t r_sp;
	mach_port_name_t r_srp, r_dest;
	mach_msg_return_t r_mr;
};

/* The client's request: reply right made from its SRP (send case S3). */
static void
race_send(void *arg)
{
	struct srp_race *r = arg;
	mach_msg_header_t h;

	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = r->r_dest;
	h.msgh_local_port = r->r_srp;
	r->r_mr = mipc_msg(r->r_sp, &h, MACH_SEND_MSG, sizeof(h), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static void
race_kill_srp(void *arg)
{
	struct srp_race *r = arg;

	KR_OK(
	    mipc_port_mod_refs(r->r_sp, r->r_srp, MACH_PORT_RIGHT_RECEIVE, -1));
}

/*
 * At every yield point of the client's send, the SRP dies; then the
 * server either receives the request (its copy-out cuts the link) or its
 * port dies with the request queued.  A dead SRP's link must stay
 * unlinked: test builds check it when the SRP is freed (port.c), and
 * every port must be gone at the end (a dead SRP linked to the
 * destination would hold it for ever).
 */
static void
srp_dies_during_linking_send(bool receive)
{
	struct mipc_stats s0, s1;
	unsigned int nth, sent = 0, refused = 0;
	bool reached = true;

	mipc_quiesce();
	KR_OK(mipc_get_stats(&s0));
	for (nth = 1; reached; nth++) {
		struct srp_race r = { 0 };
		mipc_space_t prev;
		struct {
			mach_msg_header_t h;
			mach_msg_max_trailer_t t;
		} m;

		KR_OK(mipc_space_create(&r.r_sp));
		prev = mipc_thread_set_space(r.r_sp);
		r.r_srp = thread_get_special_reply_port();
		ck_assert(MACH_PORT_VALID(r.r_srp));
		KR_OK(mipc_port_allocate(
		    r.r_sp, MACH_PORT_RIGHT_RECEIVE, &r.r_dest));
		KR_OK(mipc_port_insert_right(r.r_sp, r.r_dest, r.r_sp, r.r_dest,
		    MACH_MSG_TYPE_MAKE_SEND));
		/* A message through first, so the send takes the fast path
		 * (msg.c: the queue's ring exists). */
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.h.msgh_remote_port = r.r_dest;
		ck_assert_int_eq(
		    mipc_msg(r.r_sp, &m.h, MACH_SEND_MSG, sizeof(m.h), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(mipc_msg(r.r_sp, &m.h, MACH_RCV_MSG, 0,
		                     sizeof(m), r.r_dest, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		reached = interleave_at(nth, race_send, &r, race_kill_srp, &r);
		if (r.r_mr == MACH_MSG_SUCCESS)
			sent++;
		else
			refused++;
		if (receive && r.r_mr == MACH_MSG_SUCCESS) {
			memset(&m, 0, sizeof(m));
			ck_assert_int_eq(
			    mipc_msg(r.r_sp, &m.h, MACH_RCV_MSG, 0, sizeof(m),
			        r.r_dest, 0, MACH_PORT_NULL),
			    MACH_MSG_SUCCESS);
			KR_OK(
			    mipc_port_deallocate(r.r_sp, m.h.msgh_remote_port));
		}
		(void)mipc_thread_set_space(prev);
		KR_OK(mipc_space_destroy(r.r_sp));
		mipc_quiesce();
	}
	KR_OK(mipc_get_stats(&s1));
	ck_assert_uint_eq(s1.ports, s0.ports);
	ck_assert_msg(sent > 0, "%u sent, %u refused", sent, refused);
}

START_TEST(reply_srp_dead_before_linked_is_never_linked_received)
{
	srp_dies_during_linking_send(true);
}
END_TEST

START_TEST(reply_srp_dead_before_linked_is_never_linked_destroyed)
{
	srp_dies_during_linking_send(false);
}
END_TEST

/* ---- the reply fast path against a busy space lock ----------------- */

struct busy_reply {
	mipc_space_t b_sp;
	mach_port_name_t b_sonce;
	mach_msg_return_t b_mr;
};

static __thread bool busy_replier;
static uint32_t busy_waiting; /* (A) the replier waits for the lock */

static void
busy_hook(enum ipc_yield_point point)
{
	if (busy_replier && point == IPC_YIELD_LOCK)
		ck_pr_store_32(&busy_waiting, 1);
}

static void *
busy_reply_thread(void *arg)
{
	struct busy_reply *b = arg;
	mach_msg_header_t h;

	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = b->b_sonce;
	h.msgh_id = 4242;
	busy_replier = true;
	b->b_mr = mipc_msg(b->b_sp, &h, MACH_SEND_MSG, sizeof(h), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
	busy_replier = false;
	return NULL;
}

/*
 * The server's reply finds its space locked (here by the test): it waits
 * for the lock and sends on the fast path (no slow-path send counted);
 * the reply arrives, its send-once name is gone, nothing leaks.
 */
START_TEST(reply_sonce_fast_path_waits_for_a_busy_space_lock)
{
	struct busy_reply b = { 0 };
	struct mipc_space *space = NULL;
	struct mipc_stats s0, s1;
	mach_port_name_t srv, rp;
	mach_port_type_t t;
	pthread_t th;
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;
	int i;

	KR_OK(mipc_space_create(&b.b_sp));
	KR_OK(mipc_port_allocate(b.b_sp, MACH_PORT_RIGHT_RECEIVE, &srv));
	KR_OK(mipc_port_insert_right(
	    b.b_sp, srv, b.b_sp, srv, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mipc_port_allocate(b.b_sp, MACH_PORT_RIGHT_RECEIVE, &rp));
	/* Twice: the first reply makes rp's queue (slow path), the second
	 * is the fast path's, against the busy lock. */
	for (i = 0; i < 2; i++) {
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_remote_port = srv;
		m.h.msgh_local_port = rp;
		KR_OK(mipc_msg(b.b_sp, &m.h, MACH_SEND_MSG, sizeof(m.h), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL));
		KR_OK(mipc_msg(b.b_sp, &m.h, MACH_RCV_MSG, 0, sizeof(m), srv, 0,
		    MACH_PORT_NULL));
		b.b_sonce = m.h.msgh_remote_port;
		KR_OK(mipc_port_type(b.b_sp, b.b_sonce, &t));
		VAL_EQ(t, MACH_PORT_TYPE_SEND_ONCE);
		if (i == 0) {
			busy_reply_thread(&b);
			KR_OK(b.b_mr);
			KR_OK(mipc_msg(b.b_sp, &m.h, MACH_RCV_MSG, 0, sizeof(m),
			    rp, 0, MACH_PORT_NULL));
			continue;
		}
		KR_OK(mipc_get_stats(&s0));
		KR_OK(ipc_space_acquire(b.b_sp, &space));
		is_lock(space);
		ck_pr_store_32(&busy_waiting, 0);
		ipc_yield_hook = busy_hook;
		ck_assert_int_eq(
		    pthread_create(&th, NULL, busy_reply_thread, &b), 0);
		while (!ck_pr_load_32(&busy_waiting))
			sched_yield();
		is_unlock(space);
		ipc_space_release(space);
		ck_assert_int_eq(pthread_join(th, NULL), 0);
		ipc_yield_hook = NULL;
		KR_OK(b.b_mr);
		KR_OK(mipc_get_stats(&s1));
		ck_assert_msg(s1.slow_paths == s0.slow_paths,
		    "the reply went the fast way (%llu slow)",
		    (unsigned long long)(s1.slow_paths - s0.slow_paths));
	}
	KR_EQ(mipc_port_type(b.b_sp, b.b_sonce, &t), KERN_INVALID_NAME);
	memset(&m, 0, sizeof(m));
	KR_OK(mipc_msg(b.b_sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(m), rp, 0, MACH_PORT_NULL));
	VAL_EQ(m.h.msgh_id, 4242);
	VAL_EQ(m.h.msgh_remote_port, MACH_PORT_NULL);
	KR_OK(mipc_space_destroy(b.b_sp));
}
END_TEST

/* ---- polls on a special reply port --------------------------------- */

static mach_msg_return_t
poll_srp(mipc_space_t sp, mach_port_name_t s)
{
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;

	memset(&m, 0, sizeof(m));
	return mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    s, 0, MACH_PORT_NULL);
}

/*
 * A request links the SRP to its destination (S3); the client's first
 * poll finds no reply and resets the link, as XNU's receive completion
 * does on MACH_RCV_TIMED_OUT; the next polls find it unlinked.  No poll
 * keeps a reference on the SRP, and the link's on the destination goes.
 */
START_TEST(reply_poll_that_finds_nothing_resets_the_link)
{
	mipc_space_t sp, prev;
	mach_port_name_t s, dest;
	struct ipc_port *sport, *dport;
	uint32_t srefs, drefs;
	uintptr_t v;
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;
	int i;

	KR_OK(mipc_space_create(&sp));
	prev = mipc_thread_set_space(sp);
	s = thread_get_special_reply_port();
	ck_assert(MACH_PORT_VALID(s));
	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &dest));
	KR_OK(mipc_port_insert_right(
	    sp, dest, sp, dest, MACH_MSG_TYPE_MAKE_SEND));
	/* One message through first: the request then takes the fast
	 * path (dest's queue exists), as a client's does. */
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = dest;
	KR_OK(mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m.h), 0, MACH_PORT_NULL,
	    0, MACH_PORT_NULL));
	KR_OK(mipc_msg(
	    sp, &m.h, MACH_RCV_MSG, 0, sizeof(m), dest, 0, MACH_PORT_NULL));
	sport = port_of(sp, s);
	dport = port_of(sp, dest);
	drefs = ck_pr_load_32(&dport->ip_object.io_refs);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_remote_port = dest;
	m.h.msgh_local_port = s;
	KR_OK(mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m.h), 0, MACH_PORT_NULL,
	    0, MACH_PORT_NULL));
	v = ipc_link_load(sport);
	VAL_EQ(ipc_link_state(v), IPC_LINK_PORT);
	ck_assert_ptr_eq(ipc_link_ptr(v), dport);
	srefs = ck_pr_load_32(&sport->ip_object.io_refs);
	for (i = 0; i < 3; i++) {
		KR_EQ(poll_srp(sp, s), MACH_RCV_TIMED_OUT);
		VAL_EQ(ipc_link_load(sport), IPC_LINK_ANY);
		VAL_EQ(ck_pr_load_32(&sport->ip_object.io_refs), srefs);
	}
	/* The link's reference on dest went; the queued request holds
	 * none of its own (it borrows dest's existence, msg.c). */
	VAL_EQ(ck_pr_load_32(&dport->ip_object.io_refs), drefs);
	memset(&m, 0, sizeof(m));
	KR_OK(mipc_msg(
	    sp, &m.h, MACH_RCV_MSG, 0, sizeof(m), dest, 0, MACH_PORT_NULL));
	KR_OK(mipc_port_deallocate(sp, m.h.msgh_remote_port));
	(void)mipc_thread_set_space(prev);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = mipc_tcase("mig_srp");

	tcase_add_test(tc, reply_issue_14_mig_srp_follows_the_current_space);
	tcase_add_test(tc, reply_issue_14_mig_srp_made_again_after_destroy);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("srp_death_race");
	tcase_add_test(
	    tc, reply_srp_dead_before_linked_is_never_linked_received);
	tcase_add_test(
	    tc, reply_srp_dead_before_linked_is_never_linked_destroyed);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("sonce_fast_path");
	tcase_add_test(tc, reply_sonce_fast_path_waits_for_a_busy_space_lock);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("srp_poll");
	tcase_add_test(tc, reply_poll_that_finds_nothing_resets_the_link);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(reply_suite)
