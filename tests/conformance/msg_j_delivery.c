/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_j_delivery.c -- MACH.md area J: mach_msg send, delivery semantics.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<case>.  Sender and receiver are usually different
 * spaces: the test thread's mach_task_self() sends (mach_msg) and a space
 * from mipc_space_create receives (mipc_msg), so names in the received
 * header are names of the receiving space.
 *
 * Queue-limit cases that need a blocked sender run it in a worker thread
 * (msg_helpers.h) with a bounded MACH_SEND_TIMEOUT, check that it really
 * sleeps inside mach_msg, and join it before the test ends.
 */
#include "msg_helpers.h"

/* A send+receive name: receive right plus one send uref (mscount 1). */
static mach_port_name_t
recv_send_new(mipc_space_t sp)
{
	mach_port_name_t r = recv_new(sp);

	make_send(sp, r);
	return r;
}

/* A second space `b` with receive right *rb, reached from `from` by *s. */
static mipc_space_t
peer_new(mipc_space_t from, mach_port_name_t *rb, mach_port_name_t *s)
{
	mipc_space_t b = space_new();

	*rb = recv_new(b);
	*s = send_in(from, b, *rb);
	return b;
}

/* ---- J1: the received header -------------------------------------------- */

START_TEST(J1_copy_send_no_reply_header)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	msg_buf_t in;

	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 1001);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, rb, HDR_SIZE, 1001);
	VAL_EQ(in.h.msgh_voucher_port, MACH_PORT_NULL);
	VAL_EQ(name_count(b), 1);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_copy_send_with_make_send_once_reply_header)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mach_port_name_t rr = recv_new(task);
	mach_port_name_t reply;
	msg_buf_t in;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	          s, rr, 1002),
	    MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	reply = in.h.msgh_remote_port;
	HDR_EQ(&in, 0x00001112u, reply, rb, HDR_SIZE, 1002);
	ck_assert_msg(MACH_PORT_VALID(reply), "reply name 0x%x", reply);
	VAL_NE(reply, rb);
	VAL_EQ(type_of(b, reply), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(name_count(b), 2);
	VAL_EQ(sorights_of(task, rr), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_make_send_once_dest_header)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 1003);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 1003);
}
END_TEST

START_TEST(J1_make_send_dest_header)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND, 1004);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 1004);
}
END_TEST

START_TEST(J1_move_send_dest_header)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	msg_buf_t in;

	SEND_OK(task, s, MACH_MSG_TYPE_MOVE_SEND, 1005);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, rb, HDR_SIZE, 1005);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_move_send_once_dest_header)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t so = sonce_in_other(task, b, rb);
	msg_buf_t in;

	SEND_OK(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 1006);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, rb, HDR_SIZE, 1006);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_complex_bit_preserved)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	msg_buf_t m, in;

	msg_init(&m,
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    s, MACH_PORT_NULL, 1007);
	m.base.body.msgh_descriptor_count = 0;
	KR_EQ(msg_send(task, &m, BASE_SIZE), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x80001100u, MACH_PORT_NULL, rb, BASE_SIZE, 1007);
	VAL_EQ(in.base.body.msgh_descriptor_count, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_received_through_set_names_member)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mach_port_name_t ps = pset_new(b);
	msg_buf_t in;

	KR_EQ(mipc_port_insert_member(b, rb, ps), KERN_SUCCESS);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 1008);
	RECV_OK(b, &in, ps, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, rb, HDR_SIZE, 1008);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_reply_died_in_transit_reads_dead)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mach_port_name_t rr = recv_new(task);
	msg_buf_t in;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
	          s, rr, 1009),
	    MACH_MSG_SUCCESS);
	KR_EQ(mipc_port_mod_refs(task, rr, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x00001111u, MACH_PORT_DEAD, rb, HDR_SIZE, 1009);
	VAL_EQ(name_count(b), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J1_send_once_reply_died_in_transit_reads_dead)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mach_port_name_t rr = recv_new(task);
	msg_buf_t in;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	          s, rr, 1010),
	    MACH_MSG_SUCCESS);
	KR_EQ(mipc_port_destroy(task, rr), KERN_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x00001112u, MACH_PORT_DEAD, rb, HDR_SIZE, 1010);
	VAL_EQ(name_count(b), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J2: reply rights follow copy-out ------------------------------------ */

START_TEST(J2_self_make_send_reply_merges_into_receive_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t sr = recv_send_new(task);
	msg_buf_t in;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
	          sr, sr, 2001),
	    MACH_MSG_SUCCESS);
	VAL_EQ(mscount_of(task, sr), 2);
	RECV_OK(task, &in, sr, 0);
	HDR_EQ(&in, 0x00001111u, sr, sr, HDR_SIZE, 2001);
	VAL_EQ(type_of(task, sr), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, sr, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, sr), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(J2_reply_send_merges_into_existing_send_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mach_port_name_t rr = recv_new(task);
	mach_port_name_t sb = send_in(b, task, rr);
	msg_buf_t in;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
	          s, rr, 2002),
	    MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x00001111u, sb, rb, HDR_SIZE, 2002);
	VAL_EQ(type_of(b, sb), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(b, sb, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(name_count(b), 2);
	VAL_EQ(mscount_of(task, rr), 2);
	VAL_EQ(srights_of(task, rr), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J2_reply_send_once_gets_fresh_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mach_port_name_t rr = recv_new(task);
	mach_port_name_t sb = send_in(b, task, rr);
	mach_port_name_t n1, n2;
	msg_buf_t in;
	int i;

	for (i = 0; i < 2; i++) {
		mach_msg_return_t mr = send_hdr(task,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		    s, rr, 2003);

		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send %d: 0x%x", i, (unsigned)mr);
	}
	RECV_OK(b, &in, rb, 0);
	n1 = in.h.msgh_remote_port;
	VAL_EQ(in.h.msgh_bits, 0x00001112u);
	RECV_OK(b, &in, rb, 0);
	n2 = in.h.msgh_remote_port;
	VAL_EQ(in.h.msgh_bits, 0x00001112u);
	ck_assert_msg(MACH_PORT_VALID(n1) && MACH_PORT_VALID(n2),
	    "reply names 0x%x 0x%x", n1, n2);
	VAL_NE(n1, sb);
	VAL_NE(n2, sb);
	VAL_NE(n1, n2);
	VAL_EQ(type_of(b, n1), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(b, n2), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(b, sb, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(name_count(b), 4);
	VAL_EQ(sorights_of(task, rr), 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J3: the destination right is consumed at receipt --------------------- */

START_TEST(J3_make_send_dest_released_at_receipt)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st;
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND, 3001);
	st = status_of(task, r);
	VAL_EQ(st.mps_msgcount, 1);
	VAL_EQ(st.mps_mscount, 1);
	VAL_EQ(st.mps_srights, 1);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	RECV_OK(task, &in, r, 0);
	st = status_of(task, r);
	VAL_EQ(st.mps_srights, 0);
	VAL_EQ(st.mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 0);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(J3_copy_send_dest_released_at_receipt)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	msg_buf_t in;

	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 3002);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(b, rb), 2);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(srights_of(b, rb), 1);
	VAL_EQ(type_of(b, rb), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J3_move_send_dest_released_at_receipt)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	msg_buf_t in;

	SEND_OK(task, s, MACH_MSG_TYPE_MOVE_SEND, 3003);
	NAME_GONE(task, s);
	VAL_EQ(srights_of(b, rb), 1);
	VAL_EQ(status_of(b, rb).mps_srights, 1);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(srights_of(b, rb), 0);
	VAL_EQ(status_of(b, rb).mps_srights, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J3_make_send_once_dest_consumed_at_receipt)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 3004);
	VAL_EQ(sorights_of(task, r), 1);
	RECV_OK(task, &in, r, 0);
	VAL_EQ(sorights_of(task, r), 0);
	VAL_EQ(in.h.msgh_remote_port, MACH_PORT_NULL);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(J3_move_send_once_dest_consumed_at_receipt)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	msg_buf_t in;

	VAL_EQ(sorights_of(task, r), 1);
	SEND_OK(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 3005);
	NAME_GONE(task, so);
	VAL_EQ(sorights_of(task, r), 1);
	VAL_EQ(msgcount_of(task, r), 1);
	RECV_OK(task, &in, r, 0);
	VAL_EQ(sorights_of(task, r), 0);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

/* ---- J4: FIFO ------------------------------------------------------------ */

#define J4_N 12

START_TEST(J4_fifo_order_one_sender)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;
	int i;

	set_qlimit(task, r, 16);
	for (i = 0; i < J4_N; i++) {
		mach_msg_return_t mr =
		    send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 4000 + i);

		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send %d: 0x%x", i, (unsigned)mr);
	}
	for (i = 0; i < J4_N; i++) {
		mach_msg_return_t mr;

		msg_fill(&in, MSG_FILL);
		mr = msg_recv(task, &in, (mach_msg_size_t)sizeof(in), r, 0);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive %d: 0x%x", i,
		    (unsigned)mr);
		MIPC_REQUIRE(in.h.msgh_id == 4000 + i,
		    "message %d has id %d, want %d", i, in.h.msgh_id, 4000 + i);
	}
	RECV_EMPTY(task, r);
}
END_TEST

START_TEST(J4_fifo_order_send_and_send_once_mixed)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;
	int i;

	set_qlimit(task, r, 16);
	for (i = 0; i < J4_N; i++) {
		mach_msg_return_t mr = send_to(task, r,
		    (i & 1) ? MACH_MSG_TYPE_MAKE_SEND_ONCE
		            : MACH_MSG_TYPE_COPY_SEND,
		    4100 + i);

		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send %d: 0x%x", i, (unsigned)mr);
	}
	for (i = 0; i < J4_N; i++) {
		mach_msg_return_t mr;

		msg_fill(&in, MSG_FILL);
		mr = msg_recv(task, &in, (mach_msg_size_t)sizeof(in), r, 0);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive %d: 0x%x", i,
		    (unsigned)mr);
		MIPC_REQUIRE(in.h.msgh_id == 4100 + i,
		    "message %d has id %d, want %d", i, in.h.msgh_id, 4100 + i);
		MIPC_REQUIRE(
		    in.h.msgh_bits == ((i & 1) ? 0x00001200u : 0x00001100u),
		    "message %d has bits 0x%x", i, in.h.msgh_bits);
	}
}
END_TEST

START_TEST(J4_fifo_order_two_sending_spaces)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	mipc_space_t c = space_new();
	mach_port_name_t sc = send_in(c, b, rb);
	msg_buf_t in;
	int i;

	set_qlimit(b, rb, 16);
	for (i = 0; i < J4_N; i++) {
		mach_msg_return_t mr = send_to((i % 3) ? task : c,
		    (i % 3) ? s : sc, MACH_MSG_TYPE_COPY_SEND, 4200 + i);

		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send %d: 0x%x", i, (unsigned)mr);
	}
	for (i = 0; i < J4_N; i++) {
		mach_msg_return_t mr;

		mr = msg_recv(b, &in, (mach_msg_size_t)sizeof(in), rb, 0);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive %d: 0x%x", i,
		    (unsigned)mr);
		MIPC_REQUIRE(in.h.msgh_id == 4200 + i,
		    "message %d has id %d, want %d", i, in.h.msgh_id, 4200 + i);
	}
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J5: the queue limit -------------------------------------------------- */

START_TEST(J5_default_qlimit_five_then_timed_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	int i;

	VAL_EQ(qlimit_of(task, r), MACH_PORT_QLIMIT_DEFAULT);
	for (i = 0; i < MACH_PORT_QLIMIT_DEFAULT; i++) {
		mach_msg_return_t mr =
		    send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 5000 + i);

		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send %d: 0x%x", i, (unsigned)mr);
	}
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 5005),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r), MACH_PORT_QLIMIT_DEFAULT);
}
END_TEST

START_TEST(J5_nonzero_timeout_times_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t m;

	set_qlimit(task, r, 1);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 5010);
	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 5011);
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, HDR_SIZE, 0,
	          MACH_PORT_NULL, 20, MACH_PORT_NULL),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r), 1);
}
END_TEST

START_TEST(J5_qlimit_one_room_after_receive)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	msg_buf_t in;

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 5020);
	KR_EQ(send_to(task, s, MACH_MSG_TYPE_COPY_SEND, 5021),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(b, rb), 1);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, 5020);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 5022);
	VAL_EQ(msgcount_of(b, rb), 1);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, 5022);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J5_make_and_move_send_dests_limited)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);

	set_qlimit(task, r, 1);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND, 5030);
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_MAKE_SEND, 5031),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r), 1);

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 5032);
	KR_EQ(send_to(task, s, MACH_MSG_TYPE_MOVE_SEND, 5033),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(b, rb), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J5_without_timeout_sender_blocks_until_room)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	struct msg_worker w;
	msg_buf_t in;

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 5040);
	/* No MACH_SEND_TIMEOUT: the sender waits as long as it takes. */
	worker_send(&w, task, s, MACH_MSG_TYPE_COPY_SEND, 5041, 0, true);
	worker_start(&w);
	if (!worker_blocked(&w)) {
		/* Kill the port so that a still-blocked sender returns. */
		mipc_port_mod_refs(b, rb, MACH_PORT_RIGHT_RECEIVE, -1);
		worker_join(&w);
		ck_abort_msg("sender to a full queue did not block (0x%x)",
		    (unsigned)w.w_ret);
	}
	VAL_EQ(msgcount_of(b, rb), 1);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, 5040);
	if (wait_workers_done(&w, 1, 1) != 1) {
		mipc_port_mod_refs(b, rb, MACH_PORT_RIGHT_RECEIVE, -1);
		worker_join(&w);
		ck_abort_msg("blocked sender not admitted after a receive");
	}
	KR_EQ(worker_join(&w), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, 5041);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J6: send-once messages ignore the queue limit ----------------------- */

START_TEST(J6_send_once_bypasses_qlimit)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t so;
	msg_buf_t in;

	set_qlimit(task, r, 1);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 6001);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 6002);
	so = sonce_in(task, r);
	SEND_OK(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 6003);
	VAL_EQ(msgcount_of(task, r), 3);
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 6004),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r), 3);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 6001);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 6002);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 6003);
}
END_TEST

START_TEST(J6_send_once_fails_at_kernel_cap_no_buffer)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_msg_return_t mr;
	msg_buf_t m;
	int i;

	for (i = 0; i < MACH_PORT_QLIMIT_KERNEL; i++) {
		msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0), r,
		    MACH_PORT_NULL, i);
		mr = msg_send(task, &m, HDR_SIZE);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS,
		    "send-once message %d returned 0x%x", i, (unsigned)mr);
	}
	VAL_EQ(msgcount_of(task, r), MACH_PORT_QLIMIT_KERNEL);
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, -1),
	    MACH_SEND_NO_BUFFER);
	VAL_EQ(msgcount_of(task, r), MACH_PORT_QLIMIT_KERNEL);
}
END_TEST

/* ---- issue 12, item 20: a global bound on queued message bytes ----------- */

#define BIG_MSG (256u * 1024) /* inline bytes of one message */

struct big_msg {
	mach_msg_header_t h;
	unsigned char body[BIG_MSG - sizeof(mach_msg_header_t)];
};

struct big_rcv {
	struct big_msg m;
	mach_msg_max_trailer_t t;
};

/* Send one BIG_MSG-byte send-once message to r (qlimit does not apply). */
static mach_msg_return_t
send_big_once(mipc_space_t sp, mach_port_name_t r, struct big_msg *m, int id)
{
	memset(&m->h, 0, sizeof(m->h));
	m->h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0);
	m->h.msgh_remote_port = r;
	m->h.msgh_id = id;
	return mipc_msg(sp, &m->h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	    sizeof(*m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/*
 * Send-once messages ignore qlimit; only the global bound stops them:
 * MACH_SEND_NO_BUFFER once the queued bytes would pass it, counted in the
 * stats, nothing queued by the refused send, and room again once the
 * messages are received.  (Unbounded, 1.6 GB queued before RLIMIT_AS.)
 */
START_TEST(J6_send_once_stopped_by_queued_bytes_limit)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	size_t limit = 8u << 20, old;
	struct big_msg *m = calloc(1, sizeof(*m));
	struct big_rcv *in = calloc(1, sizeof(*in));
	struct mipc_stats st;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	int n = 0, i;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(in);
	old = mipc_set_queued_bytes_limit(limit);
	VAL_EQ(old, MIPC_QUEUED_BYTES_DEFAULT);
	mipc_get_stats(&st);
	VAL_EQ(st.queued_bytes_limit, limit);
	VAL_EQ(st.queued_bytes_refusals, 0);
	while (
	    n < 100 && (mr = send_big_once(task, r, m, n)) == MACH_MSG_SUCCESS)
		n++;
	KR_EQ(mr, MACH_SEND_NO_BUFFER);
	ck_assert_msg(
	    n >= (int)(limit / BIG_MSG) - 2 && n <= (int)(limit / BIG_MSG),
	    "%d messages of %u bytes queued under a bound of %zu", n, BIG_MSG,
	    limit);
	VAL_EQ(msgcount_of(task, r), n);
	mipc_get_stats(&st);
	ck_assert_msg(st.queued_bytes >= (uint64_t)n * BIG_MSG &&
	        st.queued_bytes <= limit,
	    "queued_bytes %llu with %d messages queued, bound %zu",
	    (unsigned long long)st.queued_bytes, n, limit);
	VAL_EQ(st.queued_bytes_refusals, 1);
	/* Received: the bytes are free again. */
	for (i = 0; i < n; i++) {
		KR_EQ(mipc_msg(task, &in->m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		          0, sizeof(*in), r, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		VAL_EQ(in->m.h.msgh_id, i);
	}
	mipc_get_stats(&st);
	VAL_EQ(st.queued_bytes < BIG_MSG, true);
	KR_EQ(send_big_once(task, r, m, 1000), MACH_MSG_SUCCESS);
	/* SIZE_MAX: no bound. */
	VAL_EQ(mipc_set_queued_bytes_limit(SIZE_MAX), limit);
	for (i = 0; i < n + 4; i++)
		KR_EQ(send_big_once(task, r, m, 2000 + i), MACH_MSG_SUCCESS);
	VAL_EQ(mipc_set_queued_bytes_limit(old), SIZE_MAX);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	mipc_get_stats(&st);
	VAL_EQ(st.queued_bytes < BIG_MSG, true);
	free(in);
	free(m);
}
END_TEST

/* Out-of-line memory copied into a message counts while it is queued. */
START_TEST(J6_queued_bytes_limit_counts_ool_in_flight)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	size_t limit = 4u << 20, len = 1u << 20, old;
	void *data = calloc(1, len);
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t ool;
	} m;
	struct mipc_stats st;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	int n = 0;

	ck_assert_ptr_nonnull(data);
	old = mipc_set_queued_bytes_limit(limit);
	while (n < 100) {
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits =
		    MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0) |
		    MACH_MSGH_BITS_COMPLEX;
		m.h.msgh_remote_port = r;
		m.body.msgh_descriptor_count = 1;
		m.ool.address = data;
		m.ool.size = (mach_msg_size_t)len;
		m.ool.copy = MACH_MSG_PHYSICAL_COPY;
		m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
		mr = mipc_msg(task, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		    sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
		if (mr != MACH_MSG_SUCCESS)
			break;
		n++;
	}
	KR_EQ(mr, MACH_SEND_NO_BUFFER);
	ck_assert_msg(n >= 3 && n <= 4,
	    "%d messages of %zu out-of-line bytes queued under a bound of %zu",
	    n, len, limit);
	mipc_get_stats(&st);
	VAL_EQ(st.queued_bytes_refusals, 1);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	mipc_get_stats(&st);
	VAL_EQ(st.queued_bytes < len, true);
	VAL_EQ(mipc_set_queued_bytes_limit(old), limit);
	free(data);
}
END_TEST

/* ---- J7: qlimit 0 -------------------------------------------------------- */

START_TEST(J7_qlimit_zero_send_right_times_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);

	set_qlimit(task, r, 0);
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 7001),
	    MACH_SEND_TIMED_OUT);
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_MAKE_SEND, 7002),
	    MACH_SEND_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

START_TEST(J7_qlimit_zero_send_once_goes_through)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	set_qlimit(task, r, 0);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 7003);
	VAL_EQ(msgcount_of(task, r), 1);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 7003);
}
END_TEST

START_TEST(J7_qlimit_zero_times_out_with_waiting_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	struct msg_worker w;
	bool blocked;

	set_qlimit(task, r, 0);
	worker_recv(&w, task, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	/* Even with a receiver waiting, a send-right message times out. */
	KR_EQ(send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 7004),
	    MACH_SEND_TIMED_OUT);
	ck_assert_msg(!worker_done(&w), "receiver got something");
	/* A send-once message releases it. */
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 7005);
	KR_EQ(worker_join(&w), MACH_MSG_SUCCESS);
	ck_assert_msg(blocked, "receiver was not blocked on the empty port");
	HDR_EQ(&w.w_buf, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 7005);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

/* ---- J8: a receive admits one blocked sender ------------------------------ */

START_TEST(J8_dequeue_admits_exactly_one_blocked_sender)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	struct msg_worker w[2];
	mach_msg_id_t first;
	msg_buf_t in;
	int i;

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 8000);
	for (i = 0; i < 2; i++) {
		worker_send(&w[i], task, s, MACH_MSG_TYPE_COPY_SEND, 8001 + i,
		    3000, false);
		worker_start(&w[i]);
	}
	ck_assert_msg(worker_blocked(&w[0]) && worker_blocked(&w[1]),
	    "senders to a full queue did not block");
	VAL_EQ(msgcount_of(b, rb), 1);

	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, 8000);
	VAL_EQ(wait_workers_done(w, 2, 1), 1);
	sleep_ms(50);
	VAL_EQ(workers_done(w, 2), 1);
	VAL_EQ(msgcount_of(b, rb), 1);

	RECV_OK(b, &in, rb, 0);
	first = in.h.msgh_id;
	ck_assert_msg(first == 8001 || first == 8002, "id %d", first);
	VAL_EQ(wait_workers_done(w, 2, 2), 2);
	KR_EQ(worker_join(&w[0]), MACH_MSG_SUCCESS);
	KR_EQ(worker_join(&w[1]), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, first == 8001 ? 8002 : 8001);
	RECV_EMPTY(b, rb);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(J8_raising_qlimit_admits_the_difference)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	struct msg_worker w[3];
	msg_buf_t in;
	int i;

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 8100);
	for (i = 0; i < 3; i++) {
		worker_send(&w[i], task, s, MACH_MSG_TYPE_COPY_SEND, 8101 + i,
		    3000, false);
		worker_start(&w[i]);
	}
	for (i = 0; i < 3; i++)
		MIPC_REQUIRE(worker_blocked(&w[i]), "sender %d not blocked", i);

	set_qlimit(b, rb, 3);
	VAL_EQ(wait_workers_done(w, 3, 2), 2);
	sleep_ms(50);
	VAL_EQ(workers_done(w, 3), 2);
	VAL_EQ(msgcount_of(b, rb), 3);

	RECV_OK(b, &in, rb, 0);
	VAL_EQ(in.h.msgh_id, 8100);
	VAL_EQ(wait_workers_done(w, 3, 3), 3);
	for (i = 0; i < 3; i++) {
		mach_msg_return_t mr = worker_join(&w[i]);

		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "sender %d returned 0x%x",
		    i, (unsigned)mr);
	}
	VAL_EQ(msgcount_of(b, rb), 3);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J9: blocked senders and the port's fate ------------------------------ */

START_TEST(J9_port_death_completes_blocked_sender)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s;
	mipc_space_t b = peer_new(task, &rb, &s);
	struct msg_worker w;
	bool blocked;

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 9000);
	worker_send(&w, task, s, MACH_MSG_TYPE_COPY_SEND, 9001, 3000, false);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_mod_refs(b, rb, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	/* "Treat as successful delivery"; the message is destroyed. */
	KR_EQ(worker_join(&w), MACH_MSG_SUCCESS);
	ck_assert_msg(blocked, "sender to a full queue did not block");
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	VAL_EQ(stats_now().messages, 0);
}
END_TEST

START_TEST(J9_receive_right_move_keeps_sender_blocked)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t rb, s, rc;
	mipc_space_t b = peer_new(task, &rb, &s);
	mipc_space_t c = space_new();
	struct msg_worker w;
	msg_buf_t in;

	set_qlimit(b, rb, 1);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 9100);
	worker_send(&w, task, s, MACH_MSG_TYPE_COPY_SEND, 9101, 3000, false);
	worker_start(&w);
	ck_assert_msg(worker_blocked(&w), "sender did not block");
	rc = move_receive(b, rb, c);
	sleep_ms(50);
	ck_assert_msg(!worker_done(&w),
	    "moving the receive right released the sender (0x%x)",
	    (unsigned)w.w_ret);
	/* The queue travelled with the port. */
	VAL_EQ(msgcount_of(c, rc), 1);
	VAL_EQ(qlimit_of(c, rc), 1);
	RECV_OK(c, &in, rc, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, rc, HDR_SIZE, 9100);
	VAL_EQ(wait_workers_done(&w, 1, 1), 1);
	KR_EQ(worker_join(&w), MACH_MSG_SUCCESS);
	RECV_OK(c, &in, rc, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, rc, HDR_SIZE, 9101);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J10: sending to a port in transit ------------------------------------ */

START_TEST(J10_send_to_port_in_transit)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = recv_send_new(task);
	mach_port_name_t q, sq, pb;
	mipc_space_t b = peer_new(task, &q, &sq);
	mach_msg_port_descriptor_t d = port_desc(p, MACH_MSG_TYPE_MOVE_RECEIVE);
	mach_msg_size_t size;
	msg_buf_t m, in;

	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 10000);
	size = msg_init_ports(&m, sq, MACH_MSG_TYPE_COPY_SEND, 10001, &d, 1);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	/* The receive right left; the send right stays. */
	VAL_EQ(type_of(task, p), MACH_PORT_TYPE_SEND);
	SEND_OK(task, p, MACH_MSG_TYPE_COPY_SEND, 10002);

	RECV_OK(b, &in, q, 0);
	HDR_EQ(&in, 0x80001100u, MACH_PORT_NULL, q, size, 10001);
	VAL_EQ(in.base.body.msgh_descriptor_count, 1);
	d = rcv_port_desc(&in, 0);
	pb = d.name;
	VAL_EQ(d.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	VAL_EQ(d.type, MACH_MSG_PORT_DESCRIPTOR);
	ck_assert_msg(MACH_PORT_VALID(pb), "received receive right 0x%x", pb);
	VAL_EQ(type_of(b, pb), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(msgcount_of(b, pb), 2);
	RECV_OK(b, &in, pb, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, pb, HDR_SIZE, 10000);
	RECV_OK(b, &in, pb, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, pb, HDR_SIZE, 10002);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- J12: combined send and receive -------------------------------------- */

START_TEST(J12_combined_send_then_receive_same_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t m;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0), r,
	    MACH_PORT_NULL, 12001);
	memset(m.bytes + HDR_SIZE, MSG_FILL, sizeof(m) - HDR_SIZE);
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	          HDR_SIZE, (mach_msg_size_t)sizeof(m), r, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	HDR_EQ(&m, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 12001);
	VAL_EQ(msg_trailer(&m).msgh_trailer_size, 8);
	UNTOUCHED_FROM(&m, HDR_SIZE + 8);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

START_TEST(J12_send_failure_skips_receive)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t m, copy;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 12002);
	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), MACH_PORT_NULL,
	    MACH_PORT_NULL, 12003);
	memcpy(&copy, &m, sizeof(copy));
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	          HDR_SIZE, (mach_msg_size_t)sizeof(m), r, 0, MACH_PORT_NULL),
	    MACH_SEND_INVALID_DEST);
	ck_assert_msg(memcmp(&m, &copy, sizeof(m)) == 0, "buffer modified");
	VAL_EQ(msgcount_of(task, r), 1);
}
END_TEST

START_TEST(J12_receive_uses_rcv_size)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t m, in;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 12004);
	KR_EQ(mach_msg(&m.h,
	          MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_LARGE |
	              MACH_RCV_TIMEOUT,
	          HDR_SIZE, HDR_SIZE, r, 0, MACH_PORT_NULL),
	    MACH_RCV_TOO_LARGE);
	/* Sent, and left queued by MACH_RCV_LARGE. */
	VAL_EQ(m.h.msgh_size, HDR_SIZE);
	VAL_EQ(msgcount_of(task, r), 1);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 12004);
}
END_TEST

START_TEST(J12_combined_receive_other_port_times_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = recv_send_new(task);
	mach_port_name_t r2 = recv_new(task);
	msg_buf_t m;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r1,
	    MACH_PORT_NULL, 12005);
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	          HDR_SIZE, (mach_msg_size_t)sizeof(m), r2, 0, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r1), 1);
	VAL_EQ(msgcount_of(task, r2), 0);
}
END_TEST

START_TEST(J12_combined_self_rpc)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t sr = recv_send_new(task);
	msg_buf_t m;

	msg_init(&m,
	    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
	    sr, sr, 12006);
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	          HDR_SIZE, (mach_msg_size_t)sizeof(m), sr, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	HDR_EQ(&m, 0x00001111u, sr, sr, HDR_SIZE, 12006);
	VAL_EQ(refs_of(task, sr, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(mscount_of(task, sr), 2);
}
END_TEST

/* ---- J13: MAKE_SEND destination and the send-right count ----------------- */

START_TEST(J13_make_send_dest_counts_until_receipt)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st;
	msg_buf_t in;

	VAL_EQ(mscount_of(task, r), 0);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND, 13001);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND, 13002);
	st = status_of(task, r);
	VAL_EQ(st.mps_mscount, 2);
	VAL_EQ(st.mps_srights, 1);
	VAL_EQ(srights_of(task, r), 2);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	RECV_OK(task, &in, r, 0);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(status_of(task, r).mps_srights, 1);
	RECV_OK(task, &in, r, 0);
	st = status_of(task, r);
	VAL_EQ(st.mps_srights, 0);
	VAL_EQ(st.mps_mscount, 2);
	VAL_EQ(srights_of(task, r), 0);
}
END_TEST

/* ---- J14: MACH_SEND_OVERRIDE and the notify argument --------------------- */

START_TEST(J14_send_override_accepted)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	/* QoS 4 in bits 16-19; then a pthread-priority encoding. */
	static const mach_port_name_t prio[] = { 0x00040000u, 0x000015ffu };
	msg_buf_t m, in;
	int i;

	for (i = 0; i < 2; i++) {
		mach_msg_return_t mr;

		msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
		    MACH_PORT_NULL, 14001 + i);
		mr = mach_msg(&m.h,
		    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_SEND_OVERRIDE,
		    HDR_SIZE, 0, MACH_PORT_NULL, 0, prio[i]);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS,
		    "MACH_SEND_OVERRIDE with priority 0x%x returned 0x%x",
		    prio[i], (unsigned)mr);
	}
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 14001);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 14002);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(J14_notify_ignored_without_override)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t m, in;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 14003);
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, HDR_SIZE, 0,
	          MACH_PORT_NULL, 0, 0xdeadbeefu),
	    MACH_MSG_SUCCESS);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 14003);
	GUARD_NONE(__func__);
}
END_TEST

static Suite *
msg_j_delivery_suite(void)
{
	Suite *s = suite_create("J_delivery");
	TCase *tc;

	tc = conf_tcase("J1_J3_headers_and_rights");
	tcase_add_test(tc, J1_copy_send_no_reply_header);
	tcase_add_test(tc, J1_copy_send_with_make_send_once_reply_header);
	tcase_add_test(tc, J1_make_send_once_dest_header);
	tcase_add_test(tc, J1_make_send_dest_header);
	tcase_add_test(tc, J1_move_send_dest_header);
	tcase_add_test(tc, J1_move_send_once_dest_header);
	tcase_add_test(tc, J1_complex_bit_preserved);
	tcase_add_test(tc, J1_received_through_set_names_member);
	tcase_add_test(tc, J1_reply_died_in_transit_reads_dead);
	tcase_add_test(tc, J1_send_once_reply_died_in_transit_reads_dead);
	tcase_add_test(tc, J2_self_make_send_reply_merges_into_receive_name);
	tcase_add_test(tc, J2_reply_send_merges_into_existing_send_name);
	tcase_add_test(tc, J2_reply_send_once_gets_fresh_name);
	tcase_add_test(tc, J3_make_send_dest_released_at_receipt);
	tcase_add_test(tc, J3_copy_send_dest_released_at_receipt);
	tcase_add_test(tc, J3_move_send_dest_released_at_receipt);
	tcase_add_test(tc, J3_make_send_once_dest_consumed_at_receipt);
	tcase_add_test(tc, J3_move_send_once_dest_consumed_at_receipt);
	suite_add_tcase(s, tc);

	tc = conf_tcase("J4_J7_order_and_qlimit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, J4_fifo_order_one_sender);
	tcase_add_test(tc, J4_fifo_order_send_and_send_once_mixed);
	tcase_add_test(tc, J4_fifo_order_two_sending_spaces);
	tcase_add_test(tc, J5_default_qlimit_five_then_timed_out);
	tcase_add_test(tc, J5_nonzero_timeout_times_out);
	tcase_add_test(tc, J5_qlimit_one_room_after_receive);
	tcase_add_test(tc, J5_make_and_move_send_dests_limited);
	tcase_add_test(tc, J5_without_timeout_sender_blocks_until_room);
	tcase_add_test(tc, J6_send_once_bypasses_qlimit);
	tcase_add_test(tc, J6_send_once_fails_at_kernel_cap_no_buffer);
	tcase_add_test(tc, J7_qlimit_zero_send_right_times_out);
	tcase_add_test(tc, J7_qlimit_zero_send_once_goes_through);
	tcase_add_test(tc, J7_qlimit_zero_times_out_with_waiting_receiver);
	suite_add_tcase(s, tc);

	tc = conf_tcase("issue_12_queued_bytes");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, J6_send_once_stopped_by_queued_bytes_limit);
	tcase_add_test(tc, J6_queued_bytes_limit_counts_ool_in_flight);
	suite_add_tcase(s, tc);

	tc = conf_tcase("J8_J10_blocked_senders_and_transit");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, J8_dequeue_admits_exactly_one_blocked_sender);
	tcase_add_test(tc, J8_raising_qlimit_admits_the_difference);
	tcase_add_test(tc, J9_port_death_completes_blocked_sender);
	tcase_add_test(tc, J9_receive_right_move_keeps_sender_blocked);
	tcase_add_test(tc, J10_send_to_port_in_transit);
	suite_add_tcase(s, tc);

	tc = conf_tcase("J12_J14_combined_and_options");
	tcase_add_test(tc, J12_combined_send_then_receive_same_port);
	tcase_add_test(tc, J12_send_failure_skips_receive);
	tcase_add_test(tc, J12_receive_uses_rcv_size);
	tcase_add_test(tc, J12_combined_receive_other_port_times_out);
	tcase_add_test(tc, J12_combined_self_rpc);
	tcase_add_test(tc, J13_make_send_dest_counts_until_receipt);
	tcase_add_test(tc, J14_send_override_accepted);
	tcase_add_test(tc, J14_notify_ignored_without_override);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(msg_j_delivery_suite)

/*
 * Deferred:
 *   J8   "highest priority first" among blocked senders (needs thread
 *        priorities / QoS, a later issue);
 *   J11  libsyscall's transparent retry of interrupted sends and
 *        receives (no signals interrupt mipc calls);
 *   J13  the NO_SENDERS notification fired at receipt time
 *        (mach_port_request_notification, notifications issue);
 *   J14  priority propagation of MACH_SEND_OVERRIDE and
 *        MACH_RCV_SYNC_WAIT's use of `notify` (special reply ports);
 *   J15  MACH_SEND_NOTIFY and send-possible requests (notifications).
 */
