/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_k_receive.c -- MACH.md area K: mach_msg receive.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<case>.  Receive buffers are filled with MSG_FILL
 * first, so the too-large cases can check exactly which bytes Mach writes
 * (K4: a bare header plus as much trailer as fits; K5: msgh_size and, with
 * MACH_RCV_LARGE_IDENTITY, msgh_local_port only).
 *
 * Blocked receivers (K2, K6, K7) run in worker threads with a bounded
 * MACH_RCV_TIMEOUT; the test checks that the worker really sleeps inside
 * mach_msg before acting, and joins it.
 */
#include "msg_helpers.h"

#include "guard_page.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A send+receive name: receive right plus one send uref (mscount 1). */
static mach_port_name_t
recv_send_new(mipc_space_t sp)
{
	mach_port_name_t r = recv_new(sp);

	make_send(sp, r);
	return r;
}

/* Send `size` bytes (header + zero body) to r through COPY_SEND. */
static void
send_sized(
    mipc_space_t sp, mach_port_name_t r, mach_msg_size_t size, mach_msg_id_t id)
{
	msg_buf_t m;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, id);
	KR_EQ(msg_send(sp, &m, size), MACH_MSG_SUCCESS);
}

/* ---- K1: invalid receive names ------------------------------------------ */

START_TEST(K1_null_and_dead_names_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	msg_buf_t in;

	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, sizeof(in), MACH_PORT_NULL, 0),
	    MACH_RCV_INVALID_NAME);
	KR_EQ(msg_recv(task, &in, sizeof(in), MACH_PORT_DEAD, 0),
	    MACH_RCV_INVALID_NAME);
	UNTOUCHED_FROM(&in, 0);
	expect_only_guard(kGUARD_EXC_RCV_INVALID_NAME);
}
END_TEST

START_TEST(K1_unknown_name_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	msg_buf_t in;

	msg_fill(&in, MSG_FILL);
	KR_EQ(
	    msg_recv(task, &in, sizeof(in), unknown, 0), MACH_RCV_INVALID_NAME);
	UNTOUCHED_FROM(&in, 0);
	NAME_GONE(task, unknown);
	expect_only_guard(kGUARD_EXC_RCV_INVALID_NAME);
}
END_TEST

START_TEST(K1_send_right_name_invalid_name_guard)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	msg_buf_t in;

	guard_reset();
	KR_EQ(msg_recv(task, &in, sizeof(in), s, 0), MACH_RCV_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_RCV_INVALID_NAME, s);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K1_send_once_name_invalid_name_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	msg_buf_t in;

	guard_reset();
	KR_EQ(msg_recv(task, &in, sizeof(in), so, 0), MACH_RCV_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_RCV_INVALID_NAME, so);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
}
END_TEST

START_TEST(K1_dead_name_invalid_name_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = dead_new(task);
	msg_buf_t in;

	guard_reset();
	KR_EQ(msg_recv(task, &in, sizeof(in), dn, 0), MACH_RCV_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_RCV_INVALID_NAME, dn);
	VAL_EQ(refs_of(task, dn, MACH_PORT_RIGHT_DEAD_NAME), 1);
}
END_TEST

START_TEST(K1_name_that_held_receive_right_no_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	/* B18: the send right becomes a dead name under the same name. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_DEAD_NAME);
	guard_reset();
	KR_EQ(msg_recv(task, &in, sizeof(in), r, 0), MACH_RCV_INVALID_NAME);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(K1_invalid_name_returns_without_timeout_option)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = dead_new(task);
	msg_buf_t in;

	/* No MACH_RCV_TIMEOUT: still immediate. */
	KR_EQ(
	    mach_msg(&in.h, MACH_RCV_MSG, 0, sizeof(in), dn, 0, MACH_PORT_NULL),
	    MACH_RCV_INVALID_NAME);
	KR_EQ(mach_msg(&in.h, MACH_RCV_MSG, 0, sizeof(in), MACH_PORT_NULL, 0,
	          MACH_PORT_NULL),
	    MACH_RCV_INVALID_NAME);
}
END_TEST

/* ---- K2: timeouts -------------------------------------------------------- */

START_TEST(K2_timeout_zero_empty_port_timed_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st;
	msg_buf_t in;

	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, sizeof(in), r, 0), MACH_RCV_TIMED_OUT);
	UNTOUCHED_FROM(&in, 0);
	st = status_of(task, r);
	VAL_EQ(st.mps_seqno, 0);
	VAL_EQ(st.mps_msgcount, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(K2_timeout_nonzero_empty_port_timed_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t in;

	KR_EQ(mach_msg(&in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(in), r,
	          20, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	VAL_EQ(seqno_of(task, r), 0);
}
END_TEST

START_TEST(K2_timeout_empty_port_set_timed_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	msg_buf_t in;

	KR_EQ(msg_recv(task, &in, sizeof(in), ps, 0), MACH_RCV_TIMED_OUT);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(msg_recv(task, &in, sizeof(in), ps, 0), MACH_RCV_TIMED_OUT);
	KR_EQ(mach_msg(&in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(in),
	          ps, 10, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
}
END_TEST

/* The helper of K2_timeout_ignored_without_option: sends once main sleeps. */
struct late_sender {
	mipc_space_t ls_space;
	mach_port_name_t ls_port;
	pid_t ls_waiter;
	mach_msg_return_t ls_ret;
};

static void *
late_sender_main(void *arg)
{
	struct late_sender *ls = arg;
	msg_buf_t m;

	(void)wait_sleeping(ls->ls_waiter);
	sleep_ms(30);
	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0),
	    ls->ls_port, MACH_PORT_NULL, 2004);
	ls->ls_ret =
	    mipc_msg(ls->ls_space, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	        HDR_SIZE, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
	return NULL;
}

START_TEST(K2_timeout_ignored_without_option)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct late_sender ls = { task, r, thread_tid(), -1 };
	pthread_t t;
	msg_buf_t in;
	mach_msg_return_t mr;

	ck_assert_int_eq(pthread_create(&t, NULL, late_sender_main, &ls), 0);
	/* timeout 1 ms without MACH_RCV_TIMEOUT: block until the message. */
	msg_fill(&in, MSG_FILL);
	mr = mach_msg(&in.h, MACH_RCV_MSG, 0, sizeof(in), r, 1, MACH_PORT_NULL);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	KR_EQ(ls.ls_ret, MACH_MSG_SUCCESS);
	KR_EQ(mr, MACH_MSG_SUCCESS);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 2004);
}
END_TEST

/* ---- K3: the buffer must hold message + requested trailer ---------------- */

START_TEST(K3_default_trailer_needs_32_for_header_message)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	send_sized(task, r, HDR_SIZE, 3001);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 28, r, MACH_RCV_LARGE), MACH_RCV_TOO_LARGE);
	VAL_EQ(in.h.msgh_size, HDR_SIZE);
	VAL_EQ(msgcount_of(task, r), 1);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_MSG_SUCCESS);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 3001);
	VAL_EQ(msg_trailer(&in).msgh_trailer_size, 8);
	UNTOUCHED_FROM(&in, 32);
}
END_TEST

START_TEST(K3_requested_trailer_counts)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	/* elements, trailer size */
	static const mach_msg_size_t cases[][2] = {
		{ MACH_RCV_TRAILER_SEQNO, 12 },
		{ MACH_RCV_TRAILER_SENDER, 20 },
		{ MACH_RCV_TRAILER_AUDIT, 52 },
		{ MACH_RCV_TRAILER_CTX, 60 },
		{ MACH_RCV_TRAILER_AV, 68 },
	};
	msg_buf_t in;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		mach_msg_option_t opt = RCV_ELEMENTS(cases[i][0]);
		mach_msg_size_t need = HDR_SIZE + cases[i][1];
		mach_msg_return_t mr;

		mr = send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 3002);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send: 0x%x", (unsigned)mr);
		mr = msg_recv(task, &in, need - 4, r, opt | MACH_RCV_LARGE);
		MIPC_REQUIRE(mr == MACH_RCV_TOO_LARGE,
		    "elements %u, rcv_size %u: 0x%x, want MACH_RCV_TOO_LARGE",
		    cases[i][0], need - 4, (unsigned)mr);
		msg_fill(&in, MSG_FILL);
		mr = msg_recv(task, &in, need, r, opt);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS,
		    "elements %u, rcv_size %u: 0x%x, want MACH_MSG_SUCCESS",
		    cases[i][0], need, (unsigned)mr);
		MIPC_REQUIRE(msg_trailer(&in).msgh_trailer_size == cases[i][1],
		    "elements %u: trailer size %u", cases[i][0],
		    msg_trailer(&in).msgh_trailer_size);
		MIPC_REQUIRE(bytes_are(&in, need, sizeof(in), MSG_FILL),
		    "elements %u: written past %u", cases[i][0], need);
	}
}
END_TEST

START_TEST(K3_body_counts)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	send_sized(task, r, 40, 3003);
	KR_EQ(msg_recv(task, &in, 44, r, MACH_RCV_LARGE), MACH_RCV_TOO_LARGE);
	VAL_EQ(in.h.msgh_size, 40);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 48, r, 0), MACH_MSG_SUCCESS);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, 40, 3003);
	UNTOUCHED_FROM(&in, 48);
}
END_TEST

/* ---- K4: too large without MACH_RCV_LARGE -------------------------------- */

START_TEST(K4_too_large_without_large_dequeues_and_destroys)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	mach_port_status_t st;
	msg_buf_t in;

	send_sized(task, r, 40, 4001);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_RCV_TOO_LARGE);
	/* A bare header, then an 8-byte trailer, nothing more. */
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 4001);
	VAL_EQ(in.h.msgh_voucher_port, MACH_PORT_NULL);
	t = trailer_at(&in, HDR_SIZE);
	VAL_EQ(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(t.msgh_trailer_size, 8);
	UNTOUCHED_FROM(&in, 32);
	st = status_of(task, r);
	VAL_EQ(st.mps_msgcount, 0);
	VAL_EQ(st.mps_seqno, 1);
	RECV_EMPTY(task, r);
}
END_TEST

START_TEST(K4_too_large_releases_dest_send_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t m, in;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0), r,
	    MACH_PORT_NULL, 4002);
	KR_EQ(msg_send(task, &m, 40), MACH_MSG_SUCCESS);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_RCV_TOO_LARGE);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 4002);
	VAL_EQ(srights_of(task, r), 0);
	VAL_EQ(status_of(task, r).mps_srights, 0);
	VAL_EQ(mscount_of(task, r), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(K4_too_large_destroys_reply_send_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t rr = recv_new(task);
	msg_buf_t m, in;

	msg_init(&m,
	    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND), r,
	    rr, 4003);
	KR_EQ(msg_send(task, &m, 40), MACH_MSG_SUCCESS);
	VAL_EQ(srights_of(task, rr), 1);
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_RCV_TOO_LARGE);
	/* Dispositions swapped as usual, but no reply name. */
	HDR_EQ(&in, 0x00001111u, MACH_PORT_NULL, r, HDR_SIZE, 4003);
	VAL_EQ(srights_of(task, rr), 0);
	VAL_EQ(type_of(task, rr), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(mscount_of(task, rr), 1);
}
END_TEST

START_TEST(K4_too_large_send_once_reply_not_copied_out)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t rr = recv_new(task);
	msg_buf_t m, in;

	msg_init(&m,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    s, rr, 4004);
	KR_EQ(msg_send(task, &m, 40), MACH_MSG_SUCCESS);
	VAL_EQ(name_count(b), 1);
	KR_EQ(msg_recv(b, &in, 32, rb, 0), MACH_RCV_TOO_LARGE);
	HDR_EQ(&in, 0x00001112u, MACH_PORT_NULL, rb, HDR_SIZE, 4004);
	/* The reply right was destroyed, not given a name in b. */
	VAL_EQ(name_count(b), 1);
	VAL_EQ(msgcount_of(b, rb), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K4_too_large_destroys_body_rights)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t x = recv_send_new(task);
	mach_port_name_t y = recv_send_new(task);
	mach_msg_port_descriptor_t d[2];
	mach_msg_size_t size;
	msg_buf_t m, in;

	d[0] = port_desc(x, MACH_MSG_TYPE_COPY_SEND);
	d[1] = port_desc(y, MACH_MSG_TYPE_MOVE_RECEIVE);
	size = msg_init_ports(&m, r, MACH_MSG_TYPE_COPY_SEND, 4005, d, 2);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	VAL_EQ(srights_of(task, x), 2);
	VAL_EQ(type_of(task, y), MACH_PORT_TYPE_SEND);

	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_RCV_TOO_LARGE);
	VAL_EQ(in.h.msgh_bits, 0x80001100u);
	VAL_EQ(in.h.msgh_local_port, r);
	VAL_EQ(in.h.msgh_remote_port, MACH_PORT_NULL);
	VAL_EQ(in.h.msgh_id, 4005);
	VAL_EQ(msgcount_of(task, r), 0);
	/* The copied send right is released, the moved receive destroyed. */
	VAL_EQ(srights_of(task, x), 1);
	VAL_EQ(type_of(task, y), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, y, MACH_PORT_RIGHT_DEAD_NAME), 1);
}
END_TEST

START_TEST(K4_too_large_frees_ool_memory)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	static unsigned char data[8192];
	mach_msg_ool_descriptor_t d;
	msg_buf_t m, in;

	memset(data, 0x42, sizeof(data));
	msg_init(&m,
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    r, MACH_PORT_NULL, 4006);
	m.base.body.msgh_descriptor_count = 1;
	memset(&d, 0, sizeof(d));
	d.address = data;
	d.size = sizeof(data);
	d.deallocate = FALSE;
	d.copy = MACH_MSG_PHYSICAL_COPY;
	d.type = MACH_MSG_OOL_DESCRIPTOR;
	memcpy(m.bytes + BASE_SIZE, &d, sizeof(d));
	KR_EQ(msg_send(task, &m, BASE_SIZE + 16), MACH_MSG_SUCCESS);
	ck_assert_msg(stats_now().ool_bytes >= sizeof(data),
	    "queued message holds no OOL bytes");
	KR_EQ(msg_recv(task, &in, 32, r, 0), MACH_RCV_TOO_LARGE);
	VAL_EQ(in.h.msgh_bits, 0x80001100u);
	VAL_EQ(stats_now().ool_bytes, 0);
	VAL_EQ(stats_now().messages, 0);
}
END_TEST

START_TEST(K4_bare_header_gets_partial_trailer)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	static const unsigned char want[6] = { 0, 0, 0, 0, 8, 0 };
	msg_buf_t in;

	/* rcv_size 30: header + 6 of the 8 trailer bytes. */
	send_sized(task, r, 40, 4007);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 30, r, 0), MACH_RCV_TOO_LARGE);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 4007);
	ck_assert_msg(memcmp(in.bytes + HDR_SIZE, want, sizeof(want)) == 0,
	    "partial trailer %02x %02x %02x %02x %02x %02x", in.bytes[24],
	    in.bytes[25], in.bytes[26], in.bytes[27], in.bytes[28],
	    in.bytes[29]);
	UNTOUCHED_FROM(&in, 30);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

START_TEST(K4_bare_header_with_seqno_trailer)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	set_seqno(task, r, 7);
	send_sized(task, r, 40, 4008);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 36, r, RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO)),
	    MACH_RCV_TOO_LARGE);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 4008);
	t = trailer_at(&in, HDR_SIZE);
	VAL_EQ(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(t.msgh_trailer_size, 12);
	VAL_EQ(t.msgh_seqno, 7);
	UNTOUCHED_FROM(&in, 36);
	VAL_EQ(seqno_of(task, r), 8);
}
END_TEST

/* ---- K5: too large with MACH_RCV_LARGE ----------------------------------- */

START_TEST(K5_too_large_with_large_stays_queued)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_status_t st;
	msg_buf_t in, want;

	send_sized(task, r, 40, 5001);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 32, r, MACH_RCV_LARGE), MACH_RCV_TOO_LARGE);
	/* Only msgh_size is written: the size without the trailer. */
	msg_fill(&want, MSG_FILL);
	want.h.msgh_size = 40;
	ck_assert_msg(memcmp(&in, &want, sizeof(in)) == 0,
	    "MACH_RCV_LARGE wrote more than msgh_size (msgh_size %u)",
	    in.h.msgh_size);
	st = status_of(task, r);
	VAL_EQ(st.mps_msgcount, 1);
	VAL_EQ(st.mps_seqno, 0);
	/* 40 + a 12-byte trailer do not fit in 48. */
	KR_EQ(msg_recv(task, &in, 48, r,
	          MACH_RCV_LARGE | RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO)),
	    MACH_RCV_TOO_LARGE);
	VAL_EQ(in.h.msgh_size, 40);
	VAL_EQ(seqno_of(task, r), 0);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO));
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, 40, 5001);
	VAL_EQ(msg_trailer(&in).msgh_seqno, 0);
}
END_TEST

START_TEST(K5_tiny_buffer_not_written)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	send_sized(task, r, HDR_SIZE, 5002);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, 4, r, MACH_RCV_LARGE), MACH_RCV_TOO_LARGE);
	UNTOUCHED_FROM(&in, 0);
	VAL_EQ(msgcount_of(task, r), 1);
}
END_TEST

START_TEST(K5_large_identity_names_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in, want;

	send_sized(task, r, HDR_SIZE, 5003);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, HDR_SIZE, r,
	          MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY),
	    MACH_RCV_TOO_LARGE);
	msg_fill(&want, MSG_FILL);
	want.h.msgh_size = HDR_SIZE;
	want.h.msgh_local_port = r;
	ck_assert_msg(memcmp(&in, &want, sizeof(in)) == 0,
	    "LARGE_IDENTITY wrote size %u, local 0x%x, or more", in.h.msgh_size,
	    in.h.msgh_local_port);
	VAL_EQ(msgcount_of(task, r), 1);
}
END_TEST

START_TEST(K5_large_identity_through_set_names_member)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = recv_send_new(task);
	mach_port_name_t r2 = recv_send_new(task);
	mach_port_name_t ps = pset_new(task);
	msg_buf_t in, want;

	KR_EQ(mipc_port_insert_member(task, r1, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps), KERN_SUCCESS);
	send_sized(task, r2, 40, 5004);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(
	          task, &in, 16, ps, MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY),
	    MACH_RCV_TOO_LARGE);
	msg_fill(&want, MSG_FILL);
	want.h.msgh_size = 40;
	want.h.msgh_local_port = r2;
	ck_assert_msg(memcmp(&in, &want, sizeof(in)) == 0,
	    "LARGE_IDENTITY through a set wrote size %u, local 0x%x, or "
	    "more",
	    in.h.msgh_size, in.h.msgh_local_port);
	VAL_EQ(msgcount_of(task, r2), 1);
	VAL_EQ(seqno_of(task, r2), 0);
	RECV_OK(task, &in, ps, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, 40, 5004);
}
END_TEST

/* ---- K6: receivers blocked while the port changes -------------------------- */

START_TEST(K6_port_destroyed_wakes_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct msg_worker w;
	bool blocked;

	worker_recv(&w, task, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	KR_EQ(worker_join(&w), MACH_RCV_PORT_CHANGED);
	ck_assert_msg(blocked, "receiver did not block on the empty port");
	UNTOUCHED_FROM(&w.w_buf, 0);
}
END_TEST

START_TEST(K6_port_destroy_call_wakes_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	struct msg_worker w;
	bool blocked;

	worker_recv(&w, task, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	KR_EQ(worker_join(&w), MACH_RCV_PORT_CHANGED);
	ck_assert_msg(blocked, "receiver did not block on the empty port");
}
END_TEST

START_TEST(K6_receive_right_moved_out_wakes_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t rb;
	struct msg_worker w;
	bool blocked;

	worker_recv(&w, task, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	rb = move_receive(task, r, b);
	KR_EQ(worker_join(&w), MACH_RCV_PORT_CHANGED);
	ck_assert_msg(blocked, "receiver did not block on the empty port");
	VAL_EQ(type_of(b, rb), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K6_receive_right_sent_away_wakes_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t q = recv_new(b);
	mach_port_name_t sq = send_in(task, b, q);
	mach_port_name_t r = recv_new(task);
	mach_msg_port_descriptor_t d = port_desc(r, MACH_MSG_TYPE_MOVE_RECEIVE);
	struct msg_worker w;
	mach_msg_size_t size;
	msg_buf_t m;
	bool blocked;

	worker_recv(&w, task, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	size = msg_init_ports(&m, sq, MACH_MSG_TYPE_COPY_SEND, 6004, &d, 1);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	KR_EQ(worker_join(&w), MACH_RCV_PORT_CHANGED);
	ck_assert_msg(blocked, "receiver did not block on the empty port");
	NAME_GONE(task, r);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K6_set_destroyed_wakes_set_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	struct msg_worker w;
	bool blocked;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	worker_recv(&w, task, ps, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_destroy(task, ps), KERN_SUCCESS);
	KR_EQ(worker_join(&w), MACH_RCV_PORT_CHANGED);
	ck_assert_msg(blocked, "receiver did not block on the empty set");
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(K6_adding_port_to_set_keeps_port_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	struct msg_worker w;
	bool blocked;

	worker_recv(&w, task, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	sleep_ms(30);
	ck_assert_msg(!worker_done(&w),
	    "insert_member disturbed the port's receiver (0x%x)",
	    (unsigned)w.w_ret);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 6006);
	KR_EQ(worker_join(&w), MACH_MSG_SUCCESS);
	ck_assert_msg(blocked, "receiver did not block on the empty port");
	HDR_EQ(&w.w_buf, 0x00001200u, MACH_PORT_NULL, r, HDR_SIZE, 6006);
}
END_TEST

/* ---- K7: several receivers on one port ------------------------------------ */

#define K7_THREADS  4
#define K7_MESSAGES 64

struct k7_receiver {
	pthread_t kr_thread;
	mipc_space_t kr_space;
	mach_port_name_t kr_port;
	atomic_int *kr_stop;
	atomic_int *kr_seen; /* per message id: times received */
	atomic_int *kr_total;
	unsigned kr_errors;
};

static void *
k7_receiver_main(void *arg)
{
	struct k7_receiver *k = arg;
	msg_buf_t in;

	for (;;) {
		mach_msg_return_t mr = mipc_msg(k->kr_space, &in.h,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(in), k->kr_port,
		    20, MACH_PORT_NULL);

		if (mr == MACH_RCV_TIMED_OUT) {
			if (atomic_load(k->kr_stop))
				break;
			continue;
		}
		if (mr != MACH_MSG_SUCCESS || in.h.msgh_id < 0 ||
		    in.h.msgh_id >= K7_MESSAGES) {
			k->kr_errors++;
			break;
		}
		atomic_fetch_add(&k->kr_seen[in.h.msgh_id], 1);
		atomic_fetch_add(k->kr_total, 1);
	}
	return NULL;
}

START_TEST(K7_each_message_to_exactly_one_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	struct k7_receiver k[K7_THREADS];
	atomic_int seen[K7_MESSAGES];
	atomic_int stop, total;
	int i;

	atomic_init(&stop, 0);
	atomic_init(&total, 0);
	for (i = 0; i < K7_MESSAGES; i++)
		atomic_init(&seen[i], 0);
	set_qlimit(task, r, 8);
	for (i = 0; i < K7_THREADS; i++) {
		k[i].kr_space = task;
		k[i].kr_port = r;
		k[i].kr_stop = &stop;
		k[i].kr_seen = seen;
		k[i].kr_total = &total;
		k[i].kr_errors = 0;
		MIPC_REQUIRE(pthread_create(&k[i].kr_thread, NULL,
		                 k7_receiver_main, &k[i]) == 0,
		    "pthread_create");
	}
	for (i = 0; i < K7_MESSAGES; i++) {
		msg_buf_t m;
		mach_msg_return_t mr;

		msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
		    MACH_PORT_NULL, i);
		mr = mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, HDR_SIZE,
		    0, MACH_PORT_NULL, 2000, MACH_PORT_NULL);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send %d: 0x%x", i, (unsigned)mr);
	}
	for (i = 0; i < 400 && atomic_load(&total) < K7_MESSAGES; i++)
		sleep_ms(5);
	atomic_store(&stop, 1);
	for (i = 0; i < K7_THREADS; i++)
		MIPC_REQUIRE(
		    pthread_join(k[i].kr_thread, NULL) == 0, "pthread_join");
	for (i = 0; i < K7_THREADS; i++)
		MIPC_REQUIRE(k[i].kr_errors == 0, "receiver %d failed", i);
	for (i = 0; i < K7_MESSAGES; i++)
		MIPC_REQUIRE(atomic_load(&seen[i]) == 1,
		    "message %d received %d times", i, atomic_load(&seen[i]));
	VAL_EQ(atomic_load(&total), K7_MESSAGES);
	VAL_EQ(msgcount_of(task, r), 0);
	VAL_EQ(seqno_of(task, r), K7_MESSAGES);
}
END_TEST

/* ---- K8: rights copied out to the receiver -------------------------------- */

START_TEST(K8_send_rights_merge_into_existing_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t p = recv_new(task);
	mach_port_name_t sb = send_in(b, task, p);
	mach_msg_port_descriptor_t d[2];
	mach_msg_size_t size;
	msg_buf_t m, in;
	unsigned i;

	d[0] = port_desc(p, MACH_MSG_TYPE_MAKE_SEND);
	d[1] = port_desc(p, MACH_MSG_TYPE_MAKE_SEND);
	size = msg_init_ports(&m, s, MACH_MSG_TYPE_COPY_SEND, 8001, d, 2);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	HDR_EQ(&in, 0x80001100u, MACH_PORT_NULL, rb, size, 8001);
	for (i = 0; i < 2; i++) {
		mach_msg_port_descriptor_t g = rcv_port_desc(&in, i);

		MIPC_REQUIRE(g.name == sb &&
		        g.disposition == MACH_MSG_TYPE_PORT_SEND &&
		        g.type == MACH_MSG_PORT_DESCRIPTOR,
		    "descriptor %u: name 0x%x (want 0x%x) disposition %u", i,
		    g.name, sb, g.disposition);
	}
	VAL_EQ(refs_of(b, sb, MACH_PORT_RIGHT_SEND), 3);
	VAL_EQ(name_count(b), 2);
	VAL_EQ(srights_of(task, p), 1);
	VAL_EQ(mscount_of(task, p), 3);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K8_send_once_rights_get_fresh_names)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t p = recv_new(task);
	mach_port_name_t sb = send_in(b, task, p);
	mach_msg_port_descriptor_t d[2], g0, g1;
	mach_msg_size_t size;
	msg_buf_t m, in;

	d[0] = port_desc(p, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	d[1] = port_desc(p, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	size = msg_init_ports(&m, s, MACH_MSG_TYPE_COPY_SEND, 8002, d, 2);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	g0 = rcv_port_desc(&in, 0);
	g1 = rcv_port_desc(&in, 1);
	VAL_EQ(g0.disposition, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(g1.disposition, MACH_MSG_TYPE_PORT_SEND_ONCE);
	ck_assert_msg(MACH_PORT_VALID(g0.name) && MACH_PORT_VALID(g1.name),
	    "names 0x%x 0x%x", g0.name, g1.name);
	VAL_NE(g0.name, g1.name);
	VAL_NE(g0.name, sb);
	VAL_NE(g1.name, sb);
	VAL_EQ(type_of(b, g0.name), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(b, g1.name), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(b, sb, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(name_count(b), 4);
	VAL_EQ(sorights_of(task, p), 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K8_receive_right_lands_on_existing_send_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t p = recv_new(task);
	mach_port_name_t sb = send_in(b, task, p);
	mach_msg_port_descriptor_t d = port_desc(p, MACH_MSG_TYPE_MOVE_RECEIVE);
	mach_msg_size_t size;
	msg_buf_t m, in;

	size = msg_init_ports(&m, s, MACH_MSG_TYPE_COPY_SEND, 8003, &d, 1);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	NAME_GONE(task, p);
	RECV_OK(b, &in, rb, 0);
	d = rcv_port_desc(&in, 0);
	VAL_EQ(d.name, sb);
	VAL_EQ(d.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	VAL_EQ(type_of(b, sb), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(b, sb, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(name_count(b), 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K8_receive_right_fresh_name_otherwise)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t q = recv_new(task);
	mach_msg_port_descriptor_t d = port_desc(q, MACH_MSG_TYPE_MOVE_RECEIVE);
	mach_msg_size_t size;
	msg_buf_t m, in;

	size = msg_init_ports(&m, s, MACH_MSG_TYPE_COPY_SEND, 8004, &d, 1);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	d = rcv_port_desc(&in, 0);
	ck_assert_msg(MACH_PORT_VALID(d.name), "name 0x%x", d.name);
	VAL_NE(d.name, rb);
	VAL_EQ(d.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	VAL_EQ(type_of(b, d.name), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(name_count(b), 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(K8_right_for_port_dead_in_transit_is_dead)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t p = recv_new(task);
	mach_msg_port_descriptor_t d[2], g;
	mach_msg_size_t size;
	msg_buf_t m, in;

	d[0] = port_desc(p, MACH_MSG_TYPE_MAKE_SEND);
	d[1] = port_desc(p, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	size = msg_init_ports(&m, s, MACH_MSG_TYPE_COPY_SEND, 8005, d, 2);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	KR_EQ(mipc_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	RECV_OK(b, &in, rb, 0);
	g = rcv_port_desc(&in, 0);
	VAL_EQ(g.name, MACH_PORT_DEAD);
	VAL_EQ(g.disposition, MACH_MSG_TYPE_PORT_SEND);
	g = rcv_port_desc(&in, 1);
	VAL_EQ(g.name, MACH_PORT_DEAD);
	VAL_EQ(g.disposition, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(name_count(b), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- Hostile buffers (issue 12, item 18; guard pages) -------------------- */

/* Receive on r into `len` bytes at `buf` (no MSG_FILL, no checks). */
static mach_msg_return_t
recv_into(mipc_space_t sp, void *buf, mach_msg_size_t len, mach_port_name_t r,
    mach_msg_option_t opt)
{
	return msg_call(sp, buf, MACH_RCV_MSG | MACH_RCV_TIMEOUT | opt, 0, len,
	    r, 0, MACH_PORT_NULL);
}

/*
 * A receive buffer of exactly rcv_size bytes ending at a PROT_NONE page:
 * nothing is written past rcv_size, whether the message fits (every
 * trailer size), is left queued (K5, with and without LARGE_IDENTITY) or
 * is destroyed with a bare header (K4).
 */
START_TEST(K3_receive_writes_nothing_past_rcv_size_at_guard_page)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	const mach_msg_size_t msize = HDR_SIZE + 8;
	unsigned elem;
	mach_msg_size_t sz;

	for (elem = 0; elem <= MACH_RCV_TRAILER_AV; elem++) {
		mach_msg_option_t opt =
		    MACH_RCV_TRAILER_TYPE(0) | MACH_RCV_TRAILER_ELEMENTS(elem);
		msg_buf_t probe;
		void *g;

		send_sized(task, r, msize, (mach_msg_id_t)elem);
		/* Too small by 4 .. msize: left queued, K5. */
		for (sz = 0; sz < msize + 8; sz += 4) {
			g = guard_tail(sz);
			MIPC_REQUIRE(recv_into(task, g, sz, r,
			                 opt | MACH_RCV_LARGE |
			                     MACH_RCV_LARGE_IDENTITY) ==
			        MACH_RCV_TOO_LARGE,
			    "rcv_size %u trailer %u: not too large", sz, elem);
			guard_free(g);
		}
		/* The smallest buffer that fits: message and trailer. */
		msg_fill(&probe, MSG_FILL);
		for (sz = msize;; sz += 4) {
			g = guard_tail(sz);
			if (recv_into(task, g, sz, r, opt | MACH_RCV_LARGE) ==
			    MACH_MSG_SUCCESS) {
				memcpy(&probe, g, sz);
				guard_free(g);
				break;
			}
			guard_free(g);
			MIPC_REQUIRE(sz < msize + 80, "never fits");
		}
		VAL_EQ(probe.h.msgh_id, elem);
		VAL_EQ(probe.h.msgh_size, msize);
		VAL_EQ(trailer_at(&probe, msize).msgh_trailer_size, sz - msize);
	}
	/* K4: too small without MACH_RCV_LARGE destroys the message. */
	for (sz = 0; sz < msize + 8; sz += 4) {
		void *g = guard_tail(sz);

		send_sized(task, r, msize, 99);
		MIPC_REQUIRE(
		    recv_into(task, g, sz, r,
		        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT)) ==
		        MACH_RCV_TOO_LARGE,
		    "K4 rcv_size %u", sz);
		guard_free(g);
	}
	RECV_EMPTY(task, r);
	expect_no_fatal_guard();
}
END_TEST

/*
 * A receive buffer misaligned by 1..7 bytes (legal: XNU copies out byte
 * for byte): header, body, descriptors and trailer are written without
 * undefined behaviour (UBSan checks each store), and read back right.
 */
START_TEST(K3_receive_into_buffer_misaligned_by_1_to_7)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t t = recv_new(task);
	mach_port_name_t reply = recv_new(task);
	uint8_t data[40];
	size_t mis, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	for (mis = 1; mis < 8; mis++) {
		struct {
			mach_msg_header_t h;
			mach_msg_body_t body;
			mach_msg_port_descriptor_t port;
			mach_msg_ool_descriptor_t ool;
			uint32_t word;
		} m, got;
		const mach_msg_size_t len =
		    (mach_msg_size_t)sizeof(m) + MAX_TRAILER_SIZE;
		mach_msg_max_trailer_t tr;
		char *buf = guard_head(len + 8);

		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
		                    MACH_MSG_TYPE_MAKE_SEND_ONCE) |
		    MACH_MSGH_BITS_COMPLEX;
		m.h.msgh_remote_port = r;
		m.h.msgh_local_port = reply;
		m.h.msgh_id = (mach_msg_id_t)mis;
		m.body.msgh_descriptor_count = 2;
		m.port.name = t;
		m.port.disposition = MACH_MSG_TYPE_MAKE_SEND;
		m.port.type = MACH_MSG_PORT_DESCRIPTOR;
		m.ool.address = data;
		m.ool.size = sizeof(data);
		m.ool.copy = MACH_MSG_PHYSICAL_COPY;
		m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
		m.word = 0x12180000u | (uint32_t)mis;
		KR_EQ(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0,
		          MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		KR_EQ(recv_into(task, buf + mis, len, r,
		          MACH_RCV_TRAILER_TYPE(0) |
		              MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AV)),
		    MACH_MSG_SUCCESS);
		memcpy(&got, buf + mis, sizeof(got));
		memcpy(&tr, buf + mis + sizeof(got), sizeof(tr));
		VAL_EQ(got.h.msgh_id, mis);
		VAL_EQ(got.h.msgh_size, sizeof(m));
		VAL_EQ(got.h.msgh_local_port, r);
		VAL_EQ(got.port.name, t);
		VAL_EQ(got.ool.size, sizeof(data));
		ck_assert(memcmp(got.ool.address, data, sizeof(data)) == 0);
		VAL_EQ(got.word, m.word);
		VAL_EQ(tr.msgh_trailer_size, MAX_TRAILER_SIZE);
		KR_OK(mipc_vm_deallocate(
		    task, (vm_address_t)got.ool.address, got.ool.size));
		KR_OK(mipc_port_deallocate(task, t));
		KR_OK(mipc_port_deallocate(task, got.h.msgh_remote_port));
		conf_take_send_once_notification(task, reply);

		/* K5 into a misaligned buffer: msgh_size, msgh_local_port. */
		send_sized(task, r, HDR_SIZE + 16, 7);
		KR_EQ(recv_into(task, buf + mis, HDR_SIZE, r,
		          MACH_RCV_LARGE | MACH_RCV_LARGE_IDENTITY),
		    MACH_RCV_TOO_LARGE);
		memcpy(&got.h, buf + mis, sizeof(got.h));
		VAL_EQ(got.h.msgh_size, HDR_SIZE + 16); /* K5: no trailer */
		VAL_EQ(got.h.msgh_local_port, r);
		/* K4 into a misaligned buffer: the bare header. */
		KR_EQ(recv_into(task, buf + mis, HDR_SIZE + 4, r, 0),
		    MACH_RCV_TOO_LARGE);
		memcpy(&got.h, buf + mis, sizeof(got.h));
		VAL_EQ(got.h.msgh_size, HDR_SIZE);
		VAL_EQ(got.h.msgh_id, 7);
		guard_free(buf);
	}
	RECV_EMPTY(task, r);
	expect_no_fatal_guard();
}
END_TEST

static Suite *
msg_k_receive_suite(void)
{
	Suite *s = suite_create("K_receive");
	TCase *tc;

	tc = conf_tcase("K1_K3_names_timeouts_sizes");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, K1_null_and_dead_names_invalid_name);
	tcase_add_test(tc, K1_unknown_name_invalid_name);
	tcase_add_test(tc, K1_send_right_name_invalid_name_guard);
	tcase_add_test(tc, K1_send_once_name_invalid_name_guard);
	tcase_add_test(tc, K1_dead_name_invalid_name_guard);
	tcase_add_test(tc, K1_name_that_held_receive_right_no_guard);
	tcase_add_test(tc, K1_invalid_name_returns_without_timeout_option);
	tcase_add_test(tc, K2_timeout_zero_empty_port_timed_out);
	tcase_add_test(tc, K2_timeout_nonzero_empty_port_timed_out);
	tcase_add_test(tc, K2_timeout_empty_port_set_timed_out);
	tcase_add_test(tc, K2_timeout_ignored_without_option);
	tcase_add_test(tc, K3_default_trailer_needs_32_for_header_message);
	tcase_add_test(tc, K3_requested_trailer_counts);
	tcase_add_test(tc, K3_body_counts);
	suite_add_tcase(s, tc);

	tc = conf_tcase("K4_K5_too_large");
	tcase_add_test(tc, K4_too_large_without_large_dequeues_and_destroys);
	tcase_add_test(tc, K4_too_large_releases_dest_send_right);
	tcase_add_test(tc, K4_too_large_destroys_reply_send_right);
	tcase_add_test(tc, K4_too_large_send_once_reply_not_copied_out);
	tcase_add_test(tc, K4_too_large_destroys_body_rights);
	tcase_add_test(tc, K4_too_large_frees_ool_memory);
	tcase_add_test(tc, K4_bare_header_gets_partial_trailer);
	tcase_add_test(tc, K4_bare_header_with_seqno_trailer);
	tcase_add_test(tc, K5_too_large_with_large_stays_queued);
	tcase_add_test(tc, K5_tiny_buffer_not_written);
	tcase_add_test(tc, K5_large_identity_names_port);
	tcase_add_test(tc, K5_large_identity_through_set_names_member);
	suite_add_tcase(s, tc);

	tc = conf_tcase("K6_K8_waiters_and_copyout");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, K6_port_destroyed_wakes_receiver);
	tcase_add_test(tc, K6_port_destroy_call_wakes_receiver);
	tcase_add_test(tc, K6_receive_right_moved_out_wakes_receiver);
	tcase_add_test(tc, K6_receive_right_sent_away_wakes_receiver);
	tcase_add_test(tc, K6_set_destroyed_wakes_set_receiver);
	tcase_add_test(tc, K6_adding_port_to_set_keeps_port_receiver);
	tcase_add_test(tc, K7_each_message_to_exactly_one_receiver);
	tcase_add_test(tc, K8_send_rights_merge_into_existing_name);
	tcase_add_test(tc, K8_send_once_rights_get_fresh_names);
	tcase_add_test(tc, K8_receive_right_lands_on_existing_send_name);
	tcase_add_test(tc, K8_receive_right_fresh_name_otherwise);
	tcase_add_test(tc, K8_right_for_port_dead_in_transit_is_dead);
	suite_add_tcase(s, tc);

	tc = conf_tcase("issue_12_hostile_buffers");
	tcase_add_test(
	    tc, K3_receive_writes_nothing_past_rcv_size_at_guard_page);
	tcase_add_test(tc, K3_receive_into_buffer_misaligned_by_1_to_7);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(msg_k_receive_suite)

/*
 * Deferred:
 *   K4   the MACH_NOTIFY_SEND_ONCE that the destroyed send-once reply
 *        sends to its port (notifications issue);
 *   K9   a full receiving name space (MACH_RCV_HEADER_ERROR /
 *        MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE) and unmappable OOL
 *        memory (MACH_MSG_VM_SPACE): mipc has no way to bound a space's
 *        table or the address space;
 *   K10  a faulting receive buffer (MACH_RCV_INVALID_DATA): in-process,
 *        a bad buffer is a crash, not a copyout error;
 *   K2   receives blocked "indefinitely" are only shown to outlast their
 *        (ignored) 1 ms timeout.
 */
