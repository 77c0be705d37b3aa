/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_u_seqno.c -- MACH.md area U: sequence numbers.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<case>.  The sequence number of a received message
 * is read from the MACH_RCV_TRAILER_SEQNO trailer (12 bytes at
 * msgh_size); the next one to be handed out from RECEIVE_STATUS.mps_seqno.
 */
#include "msg_helpers.h"

#define SEQNO_OPT RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO)

/* A send+receive name: receive right plus one send uref (mscount 1). */
static mach_port_name_t
recv_send_new(mipc_space_t sp)
{
	mach_port_name_t r = recv_new(sp);

	make_send(sp, r);
	return r;
}

/* Receive one message from `name` in `sp`; its trailer's seqno. */
static mach_port_seqno_t
recv_seqno(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t want_id)
{
	msg_buf_t in;
	mach_msg_max_trailer_t t;

	RECV_OK(sp, &in, name, SEQNO_OPT);
	VAL_EQ(in.h.msgh_id, want_id);
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, sizeof(mach_msg_seqno_trailer_t));
	return t.msgh_seqno;
}

/* ---- U1 ------------------------------------------------------------------ */

START_TEST(U1_new_port_next_seqno_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	VAL_EQ(seqno_of(task, r), 0);
	/* Sending does not consume sequence numbers. */
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1);
	VAL_EQ(seqno_of(task, r), 0);
}
END_TEST

START_TEST(U1_first_message_zero_then_increments)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 101);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 102);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 103);
	VAL_EQ(recv_seqno(task, r, 101), 0);
	VAL_EQ(seqno_of(task, r), 1);
	VAL_EQ(recv_seqno(task, r, 102), 1);
	VAL_EQ(recv_seqno(task, r, 103), 2);
	VAL_EQ(seqno_of(task, r), 3);
	/* A later message continues the count. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 104);
	VAL_EQ(recv_seqno(task, r, 104), 3);
	VAL_EQ(seqno_of(task, r), 4);
}
END_TEST

START_TEST(U1_too_large_without_large_consumes_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t m, in;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 111);
	KR_EQ(msg_send(task, &m, 64), MACH_MSG_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 112);
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_RCV_TOO_LARGE);
	VAL_EQ(seqno_of(task, r), 1);
	VAL_EQ(recv_seqno(task, r, 112), 1);
	VAL_EQ(seqno_of(task, r), 2);
}
END_TEST

START_TEST(U1_seqno_assigned_at_dequeue)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);

	/* Both queued before the sequence number changes. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 121);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 122);
	set_seqno(task, r, 50);
	VAL_EQ(recv_seqno(task, r, 121), 50);
	VAL_EQ(recv_seqno(task, r, 122), 51);
	VAL_EQ(seqno_of(task, r), 52);
}
END_TEST

START_TEST(U1_seqno_per_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = recv_send_new(task);
	mach_port_name_t r2 = recv_send_new(task);

	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 131);
	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 132);
	SEND_OK(task, r2, MACH_MSG_TYPE_COPY_SEND, 133);
	VAL_EQ(recv_seqno(task, r1, 131), 0);
	VAL_EQ(recv_seqno(task, r1, 132), 1);
	VAL_EQ(recv_seqno(task, r2, 133), 0);
}
END_TEST

/* ---- U2 ------------------------------------------------------------------ */

START_TEST(U2_too_large_with_large_keeps_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 201);
	KR_EQ(msg_recv(task, &in, HDR_SIZE, r, MACH_RCV_LARGE | SEQNO_OPT),
	    MACH_RCV_TOO_LARGE);
	KR_EQ(msg_recv(task, &in, HDR_SIZE, r, MACH_RCV_LARGE | SEQNO_OPT),
	    MACH_RCV_TOO_LARGE);
	VAL_EQ(seqno_of(task, r), 0);
	VAL_EQ(msgcount_of(task, r), 1);
	VAL_EQ(recv_seqno(task, r, 201), 0);
	VAL_EQ(seqno_of(task, r), 1);
}
END_TEST

/* ---- U3 ------------------------------------------------------------------ */

START_TEST(U3_set_seqno_next_message_carries_it)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);

	set_seqno(task, r, 1234);
	VAL_EQ(seqno_of(task, r), 1234);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 301);
	VAL_EQ(recv_seqno(task, r, 301), 1234);
	VAL_EQ(seqno_of(task, r), 1235);
}
END_TEST

START_TEST(U3_set_seqno_backwards_and_wrap)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 311);
	VAL_EQ(recv_seqno(task, r, 311), 0);
	set_seqno(task, r, 0);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 312);
	VAL_EQ(recv_seqno(task, r, 312), 0);
	set_seqno(task, r, 0xffffffffu);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 313);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 314);
	VAL_EQ(recv_seqno(task, r, 313), 0xffffffffu);
	VAL_EQ(recv_seqno(task, r, 314), 0);
}
END_TEST

/* ---- U4: moving the receive right resets the sequence number -------------- */

START_TEST(U4_move_receive_by_extract_resets_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t rb;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 401);
	VAL_EQ(recv_seqno(task, r, 401), 0);
	set_seqno(task, r, 40);
	rb = move_receive(task, r, b);
	VAL_EQ(seqno_of(b, rb), 0);
	/* task kept its send right under r. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 402);
	VAL_EQ(recv_seqno(b, rb, 402), 0);
	VAL_EQ(seqno_of(b, rb), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(U4_move_receive_by_message_resets_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t q = recv_new(b);
	mach_port_name_t sq = send_in(task, b, q);
	mach_port_name_t r = recv_send_new(task);
	mach_msg_port_descriptor_t d = port_desc(r, MACH_MSG_TYPE_MOVE_RECEIVE);
	mach_msg_size_t size;
	mach_port_name_t rb;
	msg_buf_t m, in;

	set_seqno(task, r, 77);
	/* One message queued on r travels with it. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 411);
	size = msg_init_ports(&m, sq, MACH_MSG_TYPE_COPY_SEND, 412, &d, 1);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, q, 0);
	rb = rcv_port_desc(&in, 0).name;
	ck_assert_msg(MACH_PORT_VALID(rb), "received receive right 0x%x", rb);
	VAL_EQ(seqno_of(b, rb), 0);
	VAL_EQ(msgcount_of(b, rb), 1);
	VAL_EQ(recv_seqno(b, rb, 411), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(U4_move_receive_by_insert_resets_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t n = free_name(b);

	set_seqno(task, r, 9);
	KR_EQ(mipc_port_insert_right(b, n, task, r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(seqno_of(b, n), 0);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 421);
	VAL_EQ(recv_seqno(b, n, 421), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- U5: through a port set, the member's sequence number ----------------- */

START_TEST(U5_set_receive_reports_member_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = recv_send_new(task);
	mach_port_name_t r2 = recv_send_new(task);
	mach_port_name_t ps = pset_new(task);
	msg_buf_t in;

	KR_EQ(mipc_port_insert_member(task, r1, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps), KERN_SUCCESS);
	set_seqno(task, r1, 10);
	set_seqno(task, r2, 20);

	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 501);
	RECV_OK(task, &in, ps, SEQNO_OPT);
	VAL_EQ(in.h.msgh_local_port, r1);
	VAL_EQ(msg_trailer(&in).msgh_seqno, 10);

	SEND_OK(task, r2, MACH_MSG_TYPE_COPY_SEND, 502);
	RECV_OK(task, &in, ps, SEQNO_OPT);
	VAL_EQ(in.h.msgh_local_port, r2);
	VAL_EQ(msg_trailer(&in).msgh_seqno, 20);

	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 503);
	RECV_OK(task, &in, ps, SEQNO_OPT);
	VAL_EQ(in.h.msgh_local_port, r1);
	VAL_EQ(msg_trailer(&in).msgh_seqno, 11);

	VAL_EQ(seqno_of(task, r1), 12);
	VAL_EQ(seqno_of(task, r2), 21);
}
END_TEST

START_TEST(U5_port_and_set_receives_share_member_count)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t ps = pset_new(task);
	msg_buf_t in;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 511);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 512);
	VAL_EQ(recv_seqno(task, r, 511), 0);
	RECV_OK(task, &in, ps, SEQNO_OPT);
	VAL_EQ(in.h.msgh_id, 512);
	VAL_EQ(msg_trailer(&in).msgh_seqno, 1);
	VAL_EQ(seqno_of(task, r), 2);
}
END_TEST

static Suite *
msg_u_seqno_suite(void)
{
	Suite *s = suite_create("U_seqno");
	TCase *tc;

	tc = conf_tcase("U1_U5_seqno");
	tcase_add_test(tc, U1_new_port_next_seqno_zero);
	tcase_add_test(tc, U1_first_message_zero_then_increments);
	tcase_add_test(tc, U1_too_large_without_large_consumes_seqno);
	tcase_add_test(tc, U1_seqno_assigned_at_dequeue);
	tcase_add_test(tc, U1_seqno_per_port);
	tcase_add_test(tc, U2_too_large_with_large_keeps_seqno);
	tcase_add_test(tc, U3_set_seqno_next_message_carries_it);
	tcase_add_test(tc, U3_set_seqno_backwards_and_wrap);
	tcase_add_test(tc, U4_move_receive_by_extract_resets_seqno);
	tcase_add_test(tc, U4_move_receive_by_message_resets_seqno);
	tcase_add_test(tc, U4_move_receive_by_insert_resets_seqno);
	tcase_add_test(tc, U5_set_receive_reports_member_seqno);
	tcase_add_test(tc, U5_port_and_set_receives_share_member_count);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(msg_u_seqno_suite)

/*
 * Deferred:
 *   U1   kernel notifications taking a sequence number (notifications
 *        issue);
 *   U4   the reset when the receive right moves through a
 *        port-destroyed notification (notifications issue);
 *   (U6, mach_port_peek, is msg_u_peek.c's.)
 */
