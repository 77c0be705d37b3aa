/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_v_trailers.c -- MACH.md area V: trailers.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<case>.  Receive buffers are filled with MSG_FILL
 * first, so each test checks both the trailer's bytes and that nothing
 * after msgh_size + msgh_trailer_size was written.
 *
 * Tokens (mipc's choice, MACH.md V3): the security token is
 * {geteuid(), getegid()}; audit token word 1 is the euid, word 2 the
 * egid, word 5 getpid(); word 7 is a per-space serial number and is not
 * asserted.
 */
#include "msg_helpers.h"

#include <unistd.h>

/* A send+receive name: receive right plus one send uref (mscount 1). */
static mach_port_name_t
recv_send_new(mipc_space_t sp)
{
	mach_port_name_t r = recv_new(sp);

	make_send(sp, r);
	return r;
}

/* REQUESTED_TRAILER_SIZE for element codes 0..15 (MACH.md 1.8). */
static mach_msg_size_t
trailer_size_for(unsigned elements)
{
	static const mach_msg_size_t sizes[8] = { 8, 12, 20, 52, 60, 68, 68,
		68 };

	return elements < 8 ? sizes[elements] : 68;
}

/* ---- V1: the trailer follows the message, nothing more is written -------- */

START_TEST(V1_default_trailer_follows_header)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 101);
	RECV_OK(task, &in, r, 0);
	VAL_EQ(in.h.msgh_size, HDR_SIZE);
	t = trailer_at(&in, HDR_SIZE);
	VAL_EQ(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(t.msgh_trailer_size, MACH_MSG_TRAILER_MINIMUM_SIZE);
	UNTOUCHED_FROM(&in, HDR_SIZE + MACH_MSG_TRAILER_MINIMUM_SIZE);
}
END_TEST

START_TEST(V1_trailer_at_msgh_size_after_body)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t m, in;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 102);
	memset(m.bytes + HDR_SIZE, 0x11, 100);
	KR_EQ(msg_send(task, &m, HDR_SIZE + 100), MACH_MSG_SUCCESS);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO));
	VAL_EQ(in.h.msgh_size, HDR_SIZE + 100);
	ck_assert_msg(
	    bytes_are(&in, HDR_SIZE, HDR_SIZE + 100, 0x11), "body not carried");
	t = trailer_at(&in, HDR_SIZE + 100);
	VAL_EQ(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(t.msgh_trailer_size, 12);
	VAL_EQ(t.msgh_seqno, 0);
	UNTOUCHED_FROM(&in, HDR_SIZE + 100 + 12);
}
END_TEST

START_TEST(V1_exact_buffer_holds_message_and_trailer)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 103);
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, HDR_SIZE + 52, r,
	          RCV_ELEMENTS(MACH_RCV_TRAILER_AUDIT)),
	    MACH_MSG_SUCCESS);
	VAL_EQ(msg_trailer(&in).msgh_trailer_size, 52);
	UNTOUCHED_FROM(&in, HDR_SIZE + 52);
}
END_TEST

/* ---- V2: type 0, size per request; unknown elements get the max ---------- */

START_TEST(V2_trailer_size_per_element_code)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;
	unsigned e;

	for (e = 0; e < 16; e++) {
		mach_msg_size_t want = trailer_size_for(e);
		mach_msg_max_trailer_t t;
		mach_msg_return_t mr;

		mr = send_to(task, r, MACH_MSG_TYPE_COPY_SEND, (int)e);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send: 0x%x", (unsigned)mr);
		msg_fill(&in, MSG_FILL);
		mr = msg_recv(task, &in, sizeof(in), r, RCV_ELEMENTS(e));
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "elements %u: 0x%x", e,
		    (unsigned)mr);
		t = msg_trailer(&in);
		MIPC_REQUIRE(t.msgh_trailer_type == MACH_MSG_TRAILER_FORMAT_0,
		    "elements %u: trailer type %u", e, t.msgh_trailer_type);
		MIPC_REQUIRE(t.msgh_trailer_size == want,
		    "elements %u: trailer size %u, want %u", e,
		    t.msgh_trailer_size, want);
		MIPC_REQUIRE(
		    bytes_are(&in, HDR_SIZE + want, sizeof(in), MSG_FILL),
		    "elements %u: bytes written past the %u-byte trailer", e,
		    want);
	}
}
END_TEST

START_TEST(V2_trailer_type_nibble_not_validated)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	static const unsigned types[] = { 1u, 5u, 15u };
	msg_buf_t in;
	unsigned i;

	for (i = 0; i < 3; i++) {
		mach_msg_option_t opt =
		    (mach_msg_option_t)(MACH_RCV_TRAILER_TYPE(types[i]) |
		        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO));
		mach_msg_max_trailer_t t;
		mach_msg_return_t mr;

		mr = send_to(task, r, MACH_MSG_TYPE_COPY_SEND, 200 + (int)i);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS, "send: 0x%x", (unsigned)mr);
		msg_fill(&in, MSG_FILL);
		mr = msg_recv(task, &in, sizeof(in), r, opt);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "trailer type %u: 0x%x",
		    types[i], (unsigned)mr);
		t = msg_trailer(&in);
		MIPC_REQUIRE(t.msgh_trailer_type == MACH_MSG_TRAILER_FORMAT_0 &&
		        t.msgh_trailer_size == 12 && t.msgh_seqno == i,
		    "trailer type %u: got type %u size %u seqno %u", types[i],
		    t.msgh_trailer_type, t.msgh_trailer_size, t.msgh_seqno);
	}
}
END_TEST

/* ---- V3: sender tokens ---------------------------------------------------- */

START_TEST(V3_sender_security_token)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 301);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_SENDER));
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 20);
	VAL_EQ(t.msgh_sender.val[0], geteuid());
	VAL_EQ(t.msgh_sender.val[1], getegid());
	UNTOUCHED_FROM(&in, HDR_SIZE + 20);
}
END_TEST

START_TEST(V3_sender_audit_token)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 302);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_AUDIT));
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 52);
	VAL_EQ(t.msgh_sender.val[0], geteuid());
	VAL_EQ(t.msgh_sender.val[1], getegid());
	VAL_EQ(t.msgh_audit.val[1], geteuid());
	VAL_EQ(t.msgh_audit.val[2], getegid());
	VAL_EQ(t.msgh_audit.val[5], (unsigned)getpid());
	UNTOUCHED_FROM(&in, HDR_SIZE + 52);
}
END_TEST

START_TEST(V3_tokens_of_sender_in_other_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	/* b sends; the receiver in task sees the (same process) tokens. */
	SEND_OK(b, sb, MACH_MSG_TYPE_COPY_SEND, 303);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_AUDIT));
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_sender.val[0], geteuid());
	VAL_EQ(t.msgh_sender.val[1], getegid());
	VAL_EQ(t.msgh_audit.val[1], geteuid());
	VAL_EQ(t.msgh_audit.val[2], getegid());
	VAL_EQ(t.msgh_audit.val[5], (unsigned)getpid());
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- V4: the receiving port's context at receipt --------------------------- */

START_TEST(V4_context_is_receiving_port_context)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	KR_EQ(mipc_port_set_context(task, r, 0x1122334455667788ull),
	    KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 401);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_CTX));
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 60);
	VAL_EQ(t.msgh_context, 0x1122334455667788ull);
	UNTOUCHED_FROM(&in, HDR_SIZE + 60);
}
END_TEST

START_TEST(V4_context_read_at_receipt_not_send)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t in;

	KR_EQ(mipc_port_set_context(task, r, 0x1111), KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 402);
	KR_EQ(mipc_port_set_context(task, r, 0x2222), KERN_SUCCESS);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_CTX));
	VAL_EQ(msg_trailer(&in).msgh_context, 0x2222);
}
END_TEST

START_TEST(V4_context_of_member_through_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_port_name_t ps = pset_new(task);
	msg_buf_t in;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_set_context(task, r, 0xabcdef), KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 403);
	RECV_OK(task, &in, ps, RCV_ELEMENTS(MACH_RCV_TRAILER_CTX));
	VAL_EQ(in.h.msgh_local_port, r);
	VAL_EQ(msg_trailer(&in).msgh_context, 0xabcdef);
}
END_TEST

START_TEST(V4_strict_guard_revealed_by_ctx_trailer)
{
	mipc_space_t task = mipc_thread_space();
	const mach_port_context_t guard = 0xfeedfacecafebeefull;
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, guard);
	msg_buf_t in;

	VAL_EQ(ctx_of(task, r), 0);
	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 404);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_CTX));
	VAL_EQ(msg_trailer(&in).msgh_context, guard);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(V4_guard_value_in_ctx_trailer)
{
	mipc_space_t task = mipc_thread_space();
	const mach_port_context_t guard = 0x0123456789abcdefull;
	mach_port_name_t r = construct_new(task, MPO_CONTEXT_AS_GUARD, guard);
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND, 405);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_AV));
	VAL_EQ(msg_trailer(&in).msgh_trailer_size, 68);
	VAL_EQ(msg_trailer(&in).msgh_context, guard);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- V5: filter id and labels ---------------------------------------------- */

START_TEST(V5_ad_and_labels_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 501);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_AV));
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 68);
	VAL_EQ(t.msgh_ad, 0);
	VAL_EQ(t.msgh_labels.sender, 0);
	UNTOUCHED_FROM(&in, HDR_SIZE + 68);

	SEND_OK(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, 502);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_LABELS));
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 68);
	VAL_EQ(t.msgh_ad, 0);
	VAL_EQ(t.msgh_labels.sender, 0);
	VAL_EQ(t.msgh_seqno, 1);
	UNTOUCHED_FROM(&in, HDR_SIZE + 68);
}
END_TEST

/* ---- V6: senders cannot supply a trailer ------------------------------------ */

START_TEST(V6_send_trailer_option_accepted_and_ignored)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t fake, t;
	msg_buf_t m, in;

	/* A forged max trailer right after the message. */
	memset(&fake, 0x77, sizeof(fake));
	fake.msgh_trailer_type = 0;
	fake.msgh_trailer_size = 68;
	fake.msgh_seqno = 999;
	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 601);
	memcpy(m.bytes + HDR_SIZE, &fake, sizeof(fake));
	KR_EQ(mach_msg(&m.h,
	          MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_SEND_TRAILER,
	          HDR_SIZE, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	RECV_OK(task, &in, r, RCV_ELEMENTS(MACH_RCV_TRAILER_AV));
	VAL_EQ(in.h.msgh_size, HDR_SIZE);
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 68);
	VAL_EQ(t.msgh_seqno, 0);
	VAL_EQ(t.msgh_sender.val[0], geteuid());
	VAL_EQ(t.msgh_sender.val[1], getegid());
	VAL_EQ(t.msgh_audit.val[5], (unsigned)getpid());
	VAL_EQ(t.msgh_context, 0);
	VAL_EQ(t.msgh_ad, 0);
	VAL_EQ(t.msgh_labels.sender, 0);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- V7: no trailer on pseudo-receive; partial on a bare header ------------- */

START_TEST(V7_pseudo_receive_writes_no_trailer)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	msg_buf_t m;

	set_qlimit(task, r, 1);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 701);
	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 702);
	memset(m.bytes + HDR_SIZE, MSG_FILL, sizeof(m) - HDR_SIZE);
	KR_EQ(msg_send(task, &m, HDR_SIZE), MACH_SEND_TIMED_OUT);
	UNTOUCHED_FROM(&m, HDR_SIZE);
	VAL_EQ(msgcount_of(task, r), 1);
}
END_TEST

START_TEST(V7_too_large_bare_header_gets_what_fits)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_send_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t m, in;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 703);
	KR_EQ(msg_send(task, &m, 200), MACH_MSG_SUCCESS);
	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 704);
	KR_EQ(msg_send(task, &m, 200), MACH_MSG_SUCCESS);

	/* Room for the whole 20-byte trailer of the bare header. */
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, HDR_SIZE + 20, r,
	          RCV_ELEMENTS(MACH_RCV_TRAILER_SENDER)),
	    MACH_RCV_TOO_LARGE);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 703);
	t = trailer_at(&in, HDR_SIZE);
	VAL_EQ(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(t.msgh_trailer_size, 20);
	VAL_EQ(t.msgh_seqno, 0);
	UNTOUCHED_FROM(&in, HDR_SIZE + 20);

	/* Room for 4 of its 12 bytes: the type word only. */
	msg_fill(&in, MSG_FILL);
	KR_EQ(msg_recv(task, &in, HDR_SIZE + 4, r,
	          RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO)),
	    MACH_RCV_TOO_LARGE);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 704);
	ck_assert_msg(bytes_are(&in, HDR_SIZE, HDR_SIZE + 4, 0),
	    "trailer type word not written");
	UNTOUCHED_FROM(&in, HDR_SIZE + 4);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

static Suite *
msg_v_trailers_suite(void)
{
	Suite *s = suite_create("V_trailers");
	TCase *tc;

	tc = conf_tcase("V1_V7_trailers");
	tcase_add_test(tc, V1_default_trailer_follows_header);
	tcase_add_test(tc, V1_trailer_at_msgh_size_after_body);
	tcase_add_test(tc, V1_exact_buffer_holds_message_and_trailer);
	tcase_add_test(tc, V2_trailer_size_per_element_code);
	tcase_add_test(tc, V2_trailer_type_nibble_not_validated);
	tcase_add_test(tc, V3_sender_security_token);
	tcase_add_test(tc, V3_sender_audit_token);
	tcase_add_test(tc, V3_tokens_of_sender_in_other_space);
	tcase_add_test(tc, V4_context_is_receiving_port_context);
	tcase_add_test(tc, V4_context_read_at_receipt_not_send);
	tcase_add_test(tc, V4_context_of_member_through_set);
	tcase_add_test(tc, V4_strict_guard_revealed_by_ctx_trailer);
	tcase_add_test(tc, V4_guard_value_in_ctx_trailer);
	tcase_add_test(tc, V5_ad_and_labels_zero);
	tcase_add_test(tc, V6_send_trailer_option_accepted_and_ignored);
	tcase_add_test(tc, V7_pseudo_receive_writes_no_trailer);
	tcase_add_test(tc, V7_too_large_bare_header_gets_what_fits);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(msg_v_trailers_suite)

/*
 * Deferred:
 *   V3   kernel-generated messages carrying {0, 1} and an all-zero audit
 *        token: the only kernel messages are notifications (notifications
 *        issue); the tokens of a K4 bare header are not pinned by MACH.md;
 *   V4   the context of a port reached through MACH_RCV_SYNC_WAIT /
 *        special reply ports (later issue).
 */
