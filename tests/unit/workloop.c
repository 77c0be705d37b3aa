/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workloop.c -- regression tests of core/workloop.c found while building
 * the server loop on it (issue 14): a port or set attached to a workloop
 * that vanishes -- dies, leaves the space, or is destroyed with the space
 * -- ends the servicer's receive with MACH_RCV_PORT_CHANGED (XNU's
 * knote_vanish), once; the user's own detach does not.
 *
 * The conformance of workloops themselves is t_workloop*.c.
 */
#include "check_mipc.h"
#include "conformance/msg_helpers.h"

#include <mipc/sync.h>

#define LONG_MS 10000 /* a receive that should end long before this */

static mach_port_name_t
recv_port(mipc_space_t sp)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n));
	return n;
}

struct servicer {
	mipc_workloop_t s_wl;
	mach_msg_timeout_t s_timeout;
	atomic_int s_in;
	atomic_int s_tid;
	mach_msg_return_t s_mr;
	msg_buf_t s_buf;
};

static void *
servicer_main(void *arg)
{
	struct servicer *s = arg;

	atomic_store(&s->s_tid, (int)thread_tid());
	atomic_store(&s->s_in, 1);
	s->s_mr = mipc_workloop_msg(s->s_wl, &s->s_buf.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(s->s_buf), s->s_timeout);
	mipc_workloop_end(s->s_wl);
	return NULL;
}

/* Start a servicer and wait until it sleeps in its receive. */
static pthread_t
servicer_start(struct servicer *s)
{
	pthread_t pt;

	atomic_store(&s->s_in, 0);
	if (s->s_timeout == 0)
		s->s_timeout = LONG_MS;
	ck_assert_int_eq(pthread_create(&pt, NULL, servicer_main, s), 0);
	while (!atomic_load(&s->s_in))
		sched_yield();
	ck_assert_msg(wait_sleeping((pid_t)atomic_load(&s->s_tid)),
	    "the servicer sleeps in its receive");
	return pt;
}

START_TEST(workloop_issue_14_port_destroyed_ends_waiting_receive)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = recv_port(sp);
	struct servicer s = { 0 };
	pthread_t pt;

	KR_OK(mipc_workloop_create(sp, 0, &s.s_wl));
	KR_OK(mipc_workloop_attach(s.s_wl, p));
	pt = servicer_start(&s);
	KR_OK(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE, -1));
	pthread_join(pt, NULL);
	KR_EQ(s.s_mr, MACH_RCV_PORT_CHANGED);
	KR_OK(mipc_workloop_destroy(s.s_wl));
}
END_TEST

START_TEST(workloop_issue_14_space_destroyed_ends_waiting_receive)
{
	mipc_space_t sp;
	struct servicer s = { 0 };
	pthread_t pt;

	KR_OK(mipc_space_create(&sp));
	KR_OK(mipc_workloop_create(sp, 0, &s.s_wl));
	KR_OK(mipc_workloop_attach(s.s_wl, recv_port(sp)));
	pt = servicer_start(&s);
	KR_OK(mipc_space_destroy(sp));
	pthread_join(pt, NULL);
	KR_EQ(s.s_mr, MACH_RCV_PORT_CHANGED);
	/* And any later receive: the space is gone. */
	KR_EQ(mipc_workloop_msg(
	          s.s_wl, &s.s_buf.h, MACH_RCV_MSG, 0, sizeof(s.s_buf), 0),
	    MACH_RCV_PORT_CHANGED);
	mipc_workloop_end(s.s_wl);
	KR_OK(mipc_workloop_destroy(s.s_wl));
}
END_TEST

/* Not waiting when it vanished: the next receive finding nothing says so,
 * once; messages on the other ports come first. */
START_TEST(workloop_issue_14_vanish_pending_reported_once)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = recv_port(sp), q = recv_port(sp);
	mipc_workloop_t wl;
	msg_buf_t b;

	KR_OK(mipc_port_insert_right(
	    sp, q, mipc_thread_space(), q, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mipc_workloop_create(sp, 0, &wl));
	KR_OK(mipc_workloop_attach(wl, p));
	KR_OK(mipc_workloop_attach(wl, q));
	SEND_OK(sp, q, MACH_MSG_TYPE_COPY_SEND, 7);
	KR_OK(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_MSG_SUCCESS);
	VAL_EQ(b.h.msgh_id, 7);
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_PORT_CHANGED);
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_TIMED_OUT);
	mipc_workloop_end(wl);
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_port_mod_refs(sp, q, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_deallocate(sp, q));
}
END_TEST

/* A receive right moved out of the space (in a message) vanishes too. */
START_TEST(workloop_issue_14_receive_right_moved_out_vanishes)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = recv_port(sp), holder = recv_port(sp);
	mipc_workloop_t wl;
	struct {
		mach_msg_base_t base;
		mach_msg_port_descriptor_t d;
	} m;
	msg_buf_t b;

	KR_OK(mipc_workloop_create(sp, 0, &wl));
	KR_OK(mipc_workloop_attach(wl, p));
	memset(&m, 0, sizeof(m));
	m.base.header.msgh_bits =
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	m.base.header.msgh_remote_port = holder;
	m.base.body.msgh_descriptor_count = 1;
	m.d.name = p;
	m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(mipc_msg(sp, &m.base.header, MACH_SEND_MSG, sizeof(m), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL));
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_PORT_CHANGED);
	mipc_workloop_end(wl);
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_port_mod_refs(sp, holder, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

/* The user's detach, and destroying a set it attached, are not news... */
START_TEST(workloop_issue_14_user_detach_is_no_vanish)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = recv_port(sp), ps = MACH_PORT_NULL;
	mipc_workloop_t wl;
	msg_buf_t b;

	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &ps));
	KR_OK(mipc_workloop_create(sp, 0, &wl));
	KR_OK(mipc_workloop_attach(wl, p));
	KR_OK(mipc_workloop_attach(wl, ps));
	KR_OK(mipc_workloop_detach(wl, p));
	KR_OK(mipc_workloop_detach(wl, ps));
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_TIMED_OUT);
	/* ...but a named set destroyed while attached is. */
	KR_OK(mipc_workloop_attach(wl, ps));
	KR_OK(mipc_port_mod_refs(sp, ps, MACH_PORT_RIGHT_PORT_SET, -1));
	KR_EQ(mipc_workloop_msg(
	          wl, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
	    MACH_RCV_PORT_CHANGED);
	mipc_workloop_end(wl);
	KR_OK(mipc_workloop_destroy(wl));
	KR_OK(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

static Suite *
workloop_suite(void)
{
	Suite *s = suite_create("workloop");
	TCase *tc = mipc_tcase("vanish");

	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, workloop_issue_14_port_destroyed_ends_waiting_receive);
	tcase_add_test(
	    tc, workloop_issue_14_space_destroyed_ends_waiting_receive);
	tcase_add_test(tc, workloop_issue_14_vanish_pending_reported_once);
	tcase_add_test(tc, workloop_issue_14_receive_right_moved_out_vanishes);
	tcase_add_test(tc, workloop_issue_14_user_detach_is_no_vanish);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(workloop_suite)
