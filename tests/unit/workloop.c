/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workloop.c -- regression tests of core/workloop.c found while building
 * the server loop on it (issue 14): a port or set attached to a workloop
 * that vanishes -- dies, leaves the space, or is destroyed with the space
 * -- ends the servicer's receive with MACH_RCV_PORT_CHANGED (XNU's
 * knote_vanish), once; the user's own detach does not.
 *
 * And the client's receive of its reply racing the servicer's re-enable,
 * at every yield point of the receive; and a servicer's reply + receive
 * with its port or set vanishing at every yield point of the call
 * (tests/interleave.h, which needs core/internal.h for ipc_yield_hook).
 *
 * The conformance of workloops themselves is t_workloop*.c.
 */
#include "check_mipc.h"

#include "internal.h"

#include "conformance/msg_helpers.h"
#include "interleave.h"

#include <mipc/mach.h>
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

/*
 * kevent_qos.c's "skp" shape -- the servicer replies, then re-enables --
 * with the client taking its reply between the two: a reply was sent, so
 * the re-enable cutting the SRP's link is no lost link, wherever it falls
 * in the client's receive.  Caught on ARM64 under qemu (t_sync_cases
 * LL_kevent_qos_shapes, "skp" reported lost): the receive cleared "reply
 * sent" before it reset the link, and a re-enable in between found the
 * link still the workloop's and the flag clear.
 */
enum { RR_IDLE, RR_REPLIED, RR_GO, RR_REENABLED };

struct reply_race {
	mipc_space_t rr_sp;
	mipc_workloop_t rr_wl;
	mach_port_name_t rr_srp;
	atomic_int rr_state;
	mach_msg_return_t rr_mr; /* the client's receive */
	msg_buf_t rr_buf;
};

/* Wait (bounded) until *state is `want`; whether it got there. */
static bool
rr_wait(atomic_int *state, int want)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < LONG_MS && atomic_load(state) != want; i++)
		nanosleep(&ms, NULL);
	return atomic_load(state) == want;
}

/* The servicer: per request, reply (plain send), then re-enable on GO. */
static void *
rr_servicer(void *arg)
{
	struct reply_race *rr = arg;
	msg_buf_t b;

	for (;;) {
		if (mipc_workloop_msg(rr->rr_wl, &b.h,
		        MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b),
		        LONG_MS) != MACH_MSG_SUCCESS ||
		    b.h.msgh_id != 10)
			break;
		msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
		    b.h.msgh_remote_port, MACH_PORT_NULL, 11);
		if (mipc_msg(rr->rr_sp, &b.h, MACH_SEND_MSG, HDR_SIZE, 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) != MACH_MSG_SUCCESS)
			break;
		atomic_store(&rr->rr_state, RR_REPLIED);
		if (!rr_wait(&rr->rr_state, RR_GO))
			break;
		/* Re-enable only: the request's rights stop pushing. */
		if (mipc_workloop_msg(rr->rr_wl, &b.h, 0, 0, 0, 0) !=
		    MACH_MSG_SUCCESS)
			break;
		atomic_store(&rr->rr_state, RR_REENABLED);
	}
	mipc_workloop_end(rr->rr_wl);
	return NULL;
}

static void
rr_client_receive(void *arg)
{
	struct reply_race *rr = arg;

	rr->rr_mr =
	    mipc_msg(rr->rr_sp, &rr->rr_buf.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	        0, sizeof(rr->rr_buf), rr->rr_srp, LONG_MS, MACH_PORT_NULL);
}

static void
rr_reenable(void *arg)
{
	struct reply_race *rr = arg;

	atomic_store(&rr->rr_state, RR_GO);
	(void)rr_wait(&rr->rr_state, RR_REENABLED);
}

START_TEST(workloop_reenable_racing_the_reply_receive_is_no_lost_link)
{
	struct reply_race rr = { 0 };
	mach_port_name_t p;
	boolean_t lost;
	pthread_t pt;
	unsigned int n;
	bool reached = true;
	msg_buf_t b;

	rr.rr_sp = mipc_thread_space();
	KR_OK(mipc_port_allocate_init(rr.rr_sp,
	    MIPC_PORT_INIT_MAKE_SEND_RIGHT | MIPC_PORT_INIT_MESSAGE_QUEUE, &p));
	KR_OK(mipc_workloop_create(rr.rr_sp, 0, &rr.rr_wl));
	KR_OK(mipc_workloop_attach(rr.rr_wl, p));
	rr.rr_srp = thread_get_special_reply_port();
	ck_assert_int_eq(pthread_create(&pt, NULL, rr_servicer, &rr), 0);
	for (n = 1; reached; n++) {
		atomic_store(&rr.rr_state, RR_IDLE);
		msg_init(&b,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		    p, rr.rr_srp, 10);
		KR_EQ(mipc_msg(rr.rr_sp, &b.h, MACH_SEND_MSG, HDR_SIZE, 0,
		          MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert(rr_wait(&rr.rr_state, RR_REPLIED));
		reached =
		    interleave_at(n, rr_client_receive, &rr, rr_reenable, &rr);
		ck_assert(rr_wait(&rr.rr_state, RR_REENABLED));
		KR_EQ(rr.rr_mr, MACH_MSG_SUCCESS);
		VAL_EQ(rr.rr_buf.h.msgh_id, 11);
		lost = 2;
		KR_OK(mach_port_special_reply_port_reset_link(
		    mach_task_self(), rr.rr_srp, &lost));
		ck_assert_msg(lost == FALSE,
		    "re-enable at yield point %u of the reply's receive: "
		    "lost link reported",
		    n);
		ck_assert_uint_lt(n, 200);
	}
	/* A request of another id stops the servicer. */
	SEND_OK(rr.rr_sp, p, MACH_MSG_TYPE_COPY_SEND, 12);
	pthread_join(pt, NULL);
	KR_OK(mipc_workloop_destroy(rr.rr_wl));
	KR_OK(mipc_port_mod_refs(rr.rr_sp, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_deallocate(rr.rr_sp, p));
}
END_TEST

/*
 * A server loop's combined reply + receive (mipc_workloop_msg with
 * MACH_SEND_MSG | MACH_RCV_MSG, as server.c's loop makes it) with what
 * it serves vanishing at every yield point of the call -- in the reply's
 * send, the re-enable between the halves, the receive: the reply is
 * sent, and the vanish is reported once, MACH_RCV_PORT_CHANGED, by the
 * call itself, or by the next receive when it came only after the
 * call's receive had timed out (the last points); never
 * MACH_RCV_INVALID_NAME, never lost.  What vanishes: the attached port
 * dying, or (as when a primary's close destroys a joiner's set,
 * server.c) the named set holding the port destroyed.  Written to look
 * for the window behind msg_server's server_loops_share_a_port flake:
 * both pass at every point, on the code they were written against (that
 * flake was a loop opening after its port died); not a regression test.
 */
struct vanish_race {
	mipc_space_t vr_sp;
	mach_port_name_t vr_port, vr_set; /* vr_set: kill the set, not port */
};

static void
vr_kill(void *arg)
{
	struct vanish_race *vr = arg;

	if (vr->vr_set != MACH_PORT_NULL)
		KR_OK(mipc_port_mod_refs(
		    vr->vr_sp, vr->vr_set, MACH_PORT_RIGHT_PORT_SET, -1));
	else
		KR_OK(mipc_port_mod_refs(
		    vr->vr_sp, vr->vr_port, MACH_PORT_RIGHT_RECEIVE, -1));
}

struct vr_call {
	mipc_workloop_t vc_wl;
	msg_buf_t vc_buf;
	mach_msg_return_t vc_mr;
};

static void
vr_reply_receive(void *arg)
{
	struct vr_call *vc = arg;

	vc->vc_mr = mipc_workloop_msg(vc->vc_wl, &vc->vc_buf.h,
	    MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, HDR_SIZE,
	    sizeof(vc->vc_buf), 300);
}

static void
vanish_in_reply_receive(bool kill_set)
{
	struct vanish_race vr = { 0 };
	struct vr_call vc;
	mach_port_name_t r;
	msg_buf_t b;
	unsigned int n, changed = 0;
	bool reached = true;

	vr.vr_sp = mipc_thread_space();
	r = recv_port(vr.vr_sp);
	KR_OK(mipc_workloop_create(vr.vr_sp, 0, &vc.vc_wl));
	for (n = 1; reached; n++) {
		KR_OK(mipc_port_allocate_init(vr.vr_sp,
		    MIPC_PORT_INIT_MAKE_SEND_RIGHT |
		        MIPC_PORT_INIT_MESSAGE_QUEUE,
		    &vr.vr_port));
		vr.vr_set = MACH_PORT_NULL;
		if (kill_set) {
			KR_OK(mipc_port_allocate(
			    vr.vr_sp, MACH_PORT_RIGHT_PORT_SET, &vr.vr_set));
			KR_OK(mipc_port_insert_member(
			    vr.vr_sp, vr.vr_port, vr.vr_set));
			KR_OK(mipc_workloop_attach(vc.vc_wl, vr.vr_set));
		} else {
			KR_OK(mipc_workloop_attach(vc.vc_wl, vr.vr_port));
		}
		/* A request served: its reply right in hand. */
		msg_init(&b,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		    vr.vr_port, r, 10);
		KR_OK(mipc_msg(vr.vr_sp, &b.h, MACH_SEND_MSG, HDR_SIZE, 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL));
		KR_OK(mipc_workloop_msg(vc.vc_wl, &vc.vc_buf.h,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(vc.vc_buf),
		    LONG_MS));
		VAL_EQ(vc.vc_buf.h.msgh_id, 10);
		msg_init(&vc.vc_buf,
		    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
		    vc.vc_buf.h.msgh_remote_port, MACH_PORT_NULL, 11);
		reached = interleave_at(n, vr_reply_receive, &vc, vr_kill, &vr);
		/*
		 * The call says so, or (gone after its receive timed out:
		 * the last points) its next receive does -- once.
		 */
		ck_assert_msg(vc.vc_mr == MACH_RCV_PORT_CHANGED ||
		        vc.vc_mr == MACH_RCV_TIMED_OUT,
		    "%s gone at yield point %u: 0x%x",
		    kill_set ? "set" : "port", n, vc.vc_mr);
		if (vc.vc_mr == MACH_RCV_PORT_CHANGED)
			changed++;
		KR_EQ(mipc_workloop_msg(vc.vc_wl, &b.h,
		          MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), 0),
		    vc.vc_mr == MACH_RCV_PORT_CHANGED ? MACH_RCV_TIMED_OUT
		                                      : MACH_RCV_PORT_CHANGED);
		/* The reply went, wherever the vanish fell. */
		KR_OK(mipc_msg(vr.vr_sp, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    0, sizeof(b), r, 0, MACH_PORT_NULL));
		VAL_EQ(b.h.msgh_id, 11);
		if (kill_set)
			KR_OK(mipc_port_mod_refs(
			    vr.vr_sp, vr.vr_port, MACH_PORT_RIGHT_RECEIVE, -1));
		KR_OK(mipc_port_deallocate(vr.vr_sp, vr.vr_port));
		ck_assert_uint_lt(n, 400);
	}
	/* The points before its receive's wait ended: the call saw it. */
	ck_assert_uint_ge(changed, 1);
	mipc_workloop_end(vc.vc_wl);
	KR_OK(mipc_workloop_destroy(vc.vc_wl));
	KR_OK(mipc_port_mod_refs(vr.vr_sp, r, MACH_PORT_RIGHT_RECEIVE, -1));
}

START_TEST(workloop_port_dying_in_a_reply_receive_is_port_changed)
{
	vanish_in_reply_receive(false);
}
END_TEST

START_TEST(workloop_set_destroyed_in_a_reply_receive_is_port_changed)
{
	vanish_in_reply_receive(true);
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
	tcase_add_test(
	    tc, workloop_port_dying_in_a_reply_receive_is_port_changed);
	tcase_add_test(
	    tc, workloop_set_destroyed_in_a_reply_receive_is_port_changed);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("lost_link");
	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, workloop_reenable_racing_the_reply_receive_is_no_lost_link);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(workloop_suite)
