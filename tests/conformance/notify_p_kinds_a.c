/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify_p_kinds_a.c -- MACH.md area P, the receive-right notification
 * kinds: port-destroyed requests (P5-P8: validation, what triggers the
 * transfer to the backup port and what the port keeps or loses, where the
 * receive right lands, when the port dies after all) and no-senders
 * requests (P9-P14: validation, immediate firing, stored requests and
 * their triggers, set_mscount, port death with a request armed, survival
 * across moves).
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<case>.  The usual cast: port r whose receive right
 * the task holds, backup / notify ports n, n1, n2 (receive rights of the
 * task unless stated), a second space w holding send rights ws, and
 * spaces b, c where a right has to live elsewhere.  Notifications are
 * checked exactly with NT_ONLY / NT_GOT (notify_helpers.h), absence with
 * NT_NONE.
 */
#include "notify_helpers.h"

/* A request on `name` that must fail with `want`, previous untouched. */
#define REQ_FAILS(sp, name, id, sync, notify, want)                    \
	do {                                                           \
		mach_port_name_t prev_ = NT_PREV_UNSET;                \
		KR_EQ(nt_request((sp), (name), (id), (sync), (notify), \
		          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev_),       \
		    (want));                                           \
	} while (0)

/*
 * Send a message to `dest` (MAKE_SEND from the receive right of `sp`)
 * carrying the receive right `r` of `sp` (MOVE_RECEIVE).
 */
static void
send_receive_right(mipc_space_t sp, mach_port_name_t dest, mach_port_name_t r,
    mach_msg_id_t id)
{
	msg_buf_t b;
	mach_msg_port_descriptor_t d = port_desc(r, MACH_MSG_TYPE_MOVE_RECEIVE);
	mach_msg_size_t size =
	    msg_init_ports(&b, dest, MACH_MSG_TYPE_MAKE_SEND, id, &d, 1);

	KR_EQ(msg_send(sp, &b, size), MACH_MSG_SUCCESS);
}

/* mps_flags of receive right r. */
static unsigned
flags_of(mipc_space_t sp, mach_port_name_t r)
{
	return status_of(sp, r).mps_flags;
}

/* ==== MACH_NOTIFY_PORT_DESTROYED ========================================= */

/* ---- P5: request validation ------------------------------------------------ */

START_TEST(P5_receive_right_accepted_previous_null)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	VAL_EQ(nt_pdrequest_of(task, r), 1);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	NT_NONE(task, n);
	NT_NONE(task, r);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(P5_sync_nonzero_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);

	REQ_FAILS(
	    task, r, MACH_NOTIFY_PORT_DESTROYED, 1, n, KERN_INVALID_VALUE);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	REQ_FAILS(task, r, MACH_NOTIFY_PORT_DESTROYED, 0xffffffffu, n,
	    KERN_INVALID_VALUE);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(nt_pdrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 0);
	/* Nothing registered: destroying r kills it. */
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	NT_NONE(task, n);
}
END_TEST

START_TEST(P5_name_null_or_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);

	REQ_FAILS(task, MACH_PORT_NULL, MACH_NOTIFY_PORT_DESTROYED, 0, n,
	    KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	REQ_FAILS(task, MACH_PORT_DEAD, MACH_NOTIFY_PORT_DESTROYED, 0, n,
	    KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P5_unknown_name_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t x = free_name(task);

	REQ_FAILS(task, x, MACH_NOTIFY_PORT_DESTROYED, 0, n, KERN_INVALID_NAME);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
	NAME_GONE(task, x);
}
END_TEST

START_TEST(P5_not_a_receive_right_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t d = dead_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t n = recv_new(task);
	const mach_port_name_t names[] = { s, so, d, ps };
	unsigned i;
	kern_return_t kr;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		mach_port_name_t prev = NT_PREV_UNSET;

		kr = nt_request(task, names[i], MACH_NOTIFY_PORT_DESTROYED, 0,
		    n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
		MIPC_REQUIRE(kr == KERN_INVALID_RIGHT,
		    "port-destroyed request on name %u (0x%x) returned %d, "
		    "want KERN_INVALID_RIGHT",
		    i, names[i], kr);
		NT_GOT(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	}
	NT_NONE(task, n);
	VAL_EQ(sorights_of(task, n), 0);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(nt_pdrequest_of(b, p), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P5_reply_port_invalid_right_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_REPLY_PORT, 0);
	mach_port_name_t n = recv_new(task);

	guard_reset();
	REQ_FAILS(
	    task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n, KERN_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_INVALID_RIGHT, r);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(nt_pdrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P5_second_request_kernel_failure_first_kept)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t r2;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n1);
	guard_reset();
	REQ_FAILS(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n2, KERN_FAILURE);
	GUARD_IS(kGUARD_EXC_KERN_FAILURE, r);
	/* Same notify port again: refused the same way. */
	guard_reset();
	REQ_FAILS(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n1, KERN_FAILURE);
	GUARD_IS(kGUARD_EXC_KERN_FAILURE, r);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	NT_ONLY(task, n2, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n1), 1);
	VAL_EQ(sorights_of(task, n2), 0);
	VAL_EQ(nt_pdrequest_of(task, r), 1);
	/* The first registration is the one that fires. */
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n1, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	NT_NONE(task, n2);
	VAL_EQ(sorights_of(task, n1), 0);
}
END_TEST

START_TEST(P5_cancel_while_registered_kernel_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;
	mach_port_name_t r2;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	guard_reset();
	KR_EQ(
	    mipc_port_request_notification(task, r, MACH_NOTIFY_PORT_DESTROYED,
	        0, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_FAILURE);
	GUARD_IS(kGUARD_EXC_KERN_FAILURE, r);
	/* Nothing handed back, nothing sent, still registered. */
	VAL_EQ(nt_pdrequest_of(task, r), 1);
	VAL_EQ(sorights_of(task, n), 1);
	NT_NONE(task, n);
	VAL_EQ(name_count(task), 2);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(P5_null_notify_unregistered_previous_null)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	/* Nothing to cancel: accepted, previous is always MACH_PORT_NULL. */
	KR_EQ(
	    mipc_port_request_notification(task, r, MACH_NOTIFY_PORT_DESTROYED,
	        0, MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	VAL_EQ(prev, MACH_PORT_NULL);
	VAL_EQ(nt_pdrequest_of(task, r), 0);
	VAL_EQ(name_count(task), 1);
}
END_TEST

/* ---- P6: triggers and what the port keeps / loses -------------------------- */

START_TEST(P6_destroy_sends_receive_right_to_backup)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;
	msg_buf_t in;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(nt_pdrequest_of(task, r2), 0);
	VAL_EQ(sorights_of(task, n), 0);
	/* The same port: w's send right still reaches it. */
	VAL_EQ(type_of(w, ws), MACH_PORT_TYPE_SEND);
	VAL_EQ(srights_of(task, r2), 1);
	SEND_OK(w, ws, MACH_MSG_TYPE_COPY_SEND, 0x5061);
	RECV_OK(task, &in, r2, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5061);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_mod_refs_receive_minus_one_triggers)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(w, ws), MACH_PORT_TYPE_SEND);
	VAL_EQ(srights_of(task, r2), 1);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_destruct_triggers)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destruct(task, r, 0, 0), KERN_SUCCESS);
	NAME_GONE(task, r);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(w, ws), MACH_PORT_TYPE_SEND);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_destroyed_message_carrying_receive_right_triggers)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t q = recv_new(task);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	send_receive_right(task, q, r, 0x5062);
	NAME_GONE(task, r);
	VAL_EQ(msgcount_of(task, q), 1);
	NT_NONE(task, n);
	/* q dies; its queued message, and the right in it, are destroyed. */
	KR_EQ(mipc_port_destroy(task, q), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(w, ws), MACH_PORT_TYPE_SEND);
	VAL_EQ(srights_of(task, r2), 1);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_space_destroy_triggers)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mipc_space_t w = space_new();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t r = recv_new(b);
	mach_port_name_t ws = send_in(w, b, r);
	mach_port_name_t so = sonce_in_other(b, task, n);
	mach_port_name_t r2;

	nt_arm_moved(b, r, MACH_NOTIFY_PORT_DESTROYED, 0, so);
	VAL_EQ(sorights_of(task, n), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(w, ws), MACH_PORT_TYPE_SEND);
	VAL_EQ(srights_of(task, r2), 1);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_failed_insert_triggers)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t x, r2;

	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	x = free_name(task);
	/* E12: the send right stays under r, the copy-out under x fails. */
	KR_EQ(mipc_port_insert_right(
	          task, x, task, r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_RIGHT_EXISTS);
	NAME_GONE(task, x);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	/* Back under the task's existing send-right name (P7). */
	VAL_EQ(r2, r);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(nt_pdrequest_of(task, r), 0);
}
END_TEST

START_TEST(P6_clears_mscount_seqno_context)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;

	make_send(task, r);
	KR_EQ(mipc_port_set_mscount(task, r, 9), KERN_SUCCESS);
	set_seqno(task, r, 17);
	KR_EQ(mipc_port_set_context(task, r, 0x1234abcdull), KERN_SUCCESS);
	VAL_EQ(mscount_of(task, r), 9);
	VAL_EQ(seqno_of(task, r), 17);
	VAL_EQ(ctx_of(task, r), 0x1234abcdull);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(r2, r);
	VAL_EQ(mscount_of(task, r), 0);
	VAL_EQ(seqno_of(task, r), 0);
	VAL_EQ(ctx_of(task, r), 0);
	VAL_EQ(flags_of(task, r), 0);
	(void)ws;
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_destroy_clears_mscount_seqno_context)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;

	KR_EQ(mipc_port_set_mscount(task, r, 5), KERN_SUCCESS);
	set_seqno(task, r, 23);
	KR_EQ(mipc_port_set_context(task, r, 0x77665544ull), KERN_SUCCESS);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(mscount_of(task, r2), 0);
	VAL_EQ(seqno_of(task, r2), 0);
	VAL_EQ(ctx_of(task, r2), 0);
	VAL_EQ(flags_of(task, r2), 0);
	VAL_EQ(srights_of(task, r2), 1);
	(void)ws;
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_clears_guard_and_immovable_receive)
{
	const mach_port_context_t g = 0x6a6a1234ull;
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, g);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t r2, rc;

	VAL_EQ(flags_of(task, r),
	    MACH_PORT_STATUS_FLAG_GUARDED |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destruct(task, r, 0, g), KERN_SUCCESS);
	NAME_GONE(task, r);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(flags_of(task, r2), 0);
	VAL_EQ(ctx_of(task, r2), 0);
	/* Unguarded and movable now. */
	guard_reset();
	rc = move_receive(task, r2, c);
	GUARD_NONE(__func__);
	NAME_GONE(task, r2);
	VAL_EQ(type_of(c, rc), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_clears_immovable_receive_set_by_guard_flags)
{
	const mach_port_context_t g = 0x5a5a0011ull;
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t r2, rc;

	KR_EQ(mipc_port_guard_with_flags(task, r, g, MPG_IMMOVABLE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(flags_of(task, r),
	    MACH_PORT_STATUS_FLAG_GUARDED |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destruct(task, r, 0, g), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(flags_of(task, r2), 0);
	VAL_EQ(ctx_of(task, r2), 0);
	guard_reset();
	rc = move_receive(task, r2, c);
	GUARD_NONE(__func__);
	VAL_EQ(type_of(c, rc), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_clears_sticky_immovable_after_unguard)
{
	const mach_port_context_t g = 0x77ull;
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, g);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t r2, rc, pn = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	/* Q10: unguarding leaves the port immovable. */
	KR_EQ(mipc_port_unguard(task, r, g), KERN_SUCCESS);
	VAL_EQ(flags_of(task, r), 0);
	guard_reset();
	KR_EQ(mipc_port_extract_right(
	          task, r, MACH_MSG_TYPE_MOVE_RECEIVE, c, &pn, &pt),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	/* Unguarded: a plain destroy hands it to the backup. */
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	/* The immovable-receive bit did not survive the transfer. */
	guard_reset();
	rc = move_receive(task, r2, c);
	GUARD_NONE(__func__);
	VAL_EQ(type_of(c, rc), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_leaves_port_sets)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t m[2];
	mach_port_name_t r2;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_pset, 1);
	VAL_EQ(members_of(task, ps, m, 2), 1);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(status_of(task, r2).mps_pset, 0);
	VAL_EQ(members_of(task, ps, m, 2), 0);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
}
END_TEST

START_TEST(P6_blocked_receiver_gets_port_changed)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t r = recv_new(b);
	mach_port_name_t so = sonce_in_other(b, task, n);
	mach_port_name_t r2;
	struct msg_worker w;
	bool blocked;

	nt_arm_moved(b, r, MACH_NOTIFY_PORT_DESTROYED, 0, so);
	worker_recv(&w, b, r, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_destroy(b, r), KERN_SUCCESS);
	KR_EQ(worker_join(&w), MACH_RCV_PORT_CHANGED);
	ck_assert_msg(blocked, "the receiver was not blocked on r");
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	NAME_GONE(b, r);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_keeps_queued_messages_and_qlimit)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;
	msg_buf_t in;

	set_qlimit(task, r, 3);
	SEND_OK(w, ws, MACH_MSG_TYPE_COPY_SEND, 0x5063);
	SEND_OK(w, ws, MACH_MSG_TYPE_COPY_SEND, 0x5064);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(msgcount_of(task, r2), 2);
	VAL_EQ(qlimit_of(task, r2), 3);
	RECV_OK(task, &in, r2, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5063);
	RECV_OK(task, &in, r2, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5064);
	RECV_EMPTY(task, r2);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_keeps_blocked_senders)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t r2;
	struct msg_worker sw;
	bool blocked, still;
	msg_buf_t in;

	set_qlimit(task, r, 1);
	SEND_OK(w, ws, MACH_MSG_TYPE_COPY_SEND, 0x5065);
	worker_send(&sw, w, ws, MACH_MSG_TYPE_COPY_SEND, 0x5066, 3000, false);
	worker_start(&sw);
	blocked = worker_blocked(&sw);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	sleep_ms(50);
	still = !worker_done(&sw);
	VAL_EQ(msgcount_of(task, r2), 1);
	RECV_OK(task, &in, r2, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5065);
	VAL_EQ(wait_workers_done(&sw, 1, 1), 1);
	KR_EQ(worker_join(&sw), MACH_MSG_SUCCESS);
	ck_assert_msg(blocked, "the sender did not block on the full queue");
	ck_assert_msg(still, "the transfer released the blocked sender");
	RECV_OK(task, &in, r2, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5066);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

START_TEST(P6_keeps_rights_and_dead_name_requests_elsewhere)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t wso = sonce_in_other(w, task, r);
	mach_port_name_t wdn = recv_new(w);
	mach_port_name_t r2;
	msg_buf_t in;

	nt_arm(w, ws, MACH_NOTIFY_DEAD_NAME, 0, wdn);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, n, MACH_NOTIFY_PORT_DESTROYED, 0);
	/* No death: no dead-name notification, rights intact. */
	NT_NONE(w, wdn);
	VAL_EQ(type_of(w, ws), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(refs_of(w, ws, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(w, wso), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(srights_of(task, r2), 1);
	VAL_EQ(sorights_of(task, r2), 1);
	VAL_EQ(nt_dnr_used(task, r2), 1);
	/* The send-once right still delivers to the port. */
	SEND_OK(w, wso, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0x5067);
	RECV_OK(task, &in, r2, 0);
	HDR_EQ(&in, 0x00001200u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5067);
	VAL_EQ(sorights_of(task, r2), 0);
	/* The dead-name request is live: the port's real death fires it. */
	KR_EQ(mipc_port_destroy(task, r2), KERN_SUCCESS);
	NT_ONLY(w, wdn, MACH_NOTIFY_DEAD_NAME, ws);
	EXPECT_DEAD(w, ws, 2);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
}
END_TEST

/* ---- P7: where the receive right ends up ------------------------------------ */

START_TEST(P7_receive_only_name_disappears)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t cn = recv_new(c);
	mach_port_name_t so = sonce_in_other(task, c, cn);
	mach_port_name_t r2;

	nt_arm_moved(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, so);
	VAL_EQ(name_count(task), 1);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	r2 = NT_ONLY(c, cn, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(c, r2), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P7_send_receive_name_becomes_live_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t cn = recv_new(c);
	mach_port_name_t so = sonce_in_other(task, c, cn);
	mach_port_name_t r2;
	msg_buf_t in;

	KR_EQ(
	    mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	nt_arm_moved(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, so);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	r2 = NT_ONLY(c, cn, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(type_of(c, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(srights_of(c, r2), 1);
	/* A live send right: it reaches the port in c. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 0x5071);
	RECV_OK(c, &in, r2, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r2, HDR_SIZE, 0x5071);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P7_backup_receiver_gets_fresh_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t cn = recv_new(c);
	mach_port_name_t so = sonce_in_other(task, c, cn);
	mach_port_name_t r2;

	nt_arm_moved(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, so);
	VAL_EQ(name_count(c), 1);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(c, cn, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_NE(r2, cn);
	VAL_EQ(type_of(c, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(name_count(c), 2);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P7_backup_receiver_send_name_reused)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t cn = recv_new(c);
	mach_port_name_t cs = send_in(c, task, r);
	mach_port_name_t so = sonce_in_other(task, c, cn);
	mach_port_name_t r2;

	KR_EQ(mipc_port_mod_refs(c, cs, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	nt_arm_moved(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, so);
	VAL_EQ(name_count(c), 2);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(c, cn, MACH_NOTIFY_PORT_DESTROYED, 0);
	VAL_EQ(r2, cs);
	VAL_EQ(type_of(c, cs), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(c, cs, MACH_PORT_RIGHT_SEND), 3);
	VAL_EQ(name_count(c), 2);
	VAL_EQ(srights_of(c, cs), 1);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

/* ---- P8: the port dies after all ------------------------------------------- */

START_TEST(P8_dead_backup_port_dies)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t wdn = recv_new(w);

	nt_arm(w, ws, MACH_NOTIFY_DEAD_NAME, 0, wdn);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	/* The backup port dies first (it has no backup of its own). */
	KR_EQ(mipc_port_destroy(task, n), KERN_SUCCESS);
	VAL_EQ(nt_pdrequest_of(task, r), 1);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	/* r died: w's request fires, its name is dead. */
	NT_ONLY(w, wdn, MACH_NOTIFY_DEAD_NAME, ws);
	EXPECT_DEAD(w, ws, 2);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(P8_backup_is_the_port_itself_dies)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t wdn = recv_new(w);

	nt_arm(w, ws, MACH_NOTIFY_DEAD_NAME, 0, wdn);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, r);
	VAL_EQ(sorights_of(task, r), 1);
	VAL_EQ(nt_pdrequest_of(task, r), 1);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	NT_ONLY(w, wdn, MACH_NOTIFY_DEAD_NAME, ws);
	EXPECT_DEAD(w, ws, 2);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(P8_backup_in_transit_inside_the_port_dies)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t w = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ws = send_in(w, task, r);
	mach_port_name_t wns = send_in(w, task, n);
	mach_port_name_t wdn = recv_new(w);

	nt_arm(w, ws, MACH_NOTIFY_DEAD_NAME, 0, wdn);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	/* n's receive right travels inside a message queued on r. */
	send_receive_right(task, r, n, 0x5081);
	NAME_GONE(task, n);
	VAL_EQ(msgcount_of(task, r), 1);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	/* r died, and with its queue n's receive right: both dead. */
	NT_ONLY(w, wdn, MACH_NOTIFY_DEAD_NAME, ws);
	EXPECT_DEAD(w, ws, 2);
	EXPECT_DEAD(w, wns, 1);
	KR_EQ(mipc_space_destroy(w), KERN_SUCCESS);
	VAL_EQ(live_ports(), 0);
}
END_TEST

/* ==== MACH_NOTIFY_NO_SENDERS ============================================== */

/* ---- P9: request validation ------------------------------------------------ */

START_TEST(P9_name_null_or_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);

	REQ_FAILS(task, MACH_PORT_NULL, MACH_NOTIFY_NO_SENDERS, 1, n,
	    KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	REQ_FAILS(task, MACH_PORT_DEAD, MACH_NOTIFY_NO_SENDERS, 1, n,
	    KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P9_unknown_name_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t x = free_name(task);

	REQ_FAILS(task, x, MACH_NOTIFY_NO_SENDERS, 0, n, KERN_INVALID_NAME);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
	NAME_GONE(task, x);
}
END_TEST

START_TEST(P9_not_a_receive_right_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t d = dead_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t n = recv_new(task);
	const mach_port_name_t names[] = { s, so, d, ps };
	unsigned i;
	kern_return_t kr;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		mach_port_name_t prev = NT_PREV_UNSET;

		kr = nt_request(task, names[i], MACH_NOTIFY_NO_SENDERS, 0, n,
		    MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
		MIPC_REQUIRE(kr == KERN_INVALID_RIGHT,
		    "no-senders request on name %u (0x%x) returned %d, want "
		    "KERN_INVALID_RIGHT",
		    i, names[i], kr);
		NT_GOT(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	}
	NT_NONE(task, n);
	VAL_EQ(sorights_of(task, n), 0);
	VAL_EQ(nt_nsrequest_of(b, p), 0);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P9_reply_port_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_REPLY_PORT, 0);
	mach_port_name_t n = recv_new(task);

	REQ_FAILS(task, r, MACH_NOTIFY_NO_SENDERS, 0, n, KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	REQ_FAILS(task, r, MACH_NOTIFY_NO_SENDERS, 5, n, KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

/* ---- P10: immediate firing -------------------------------------------------- */

START_TEST(P10_sync_zero_without_send_rights_fires_immediately)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 0);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 0);
	/* Nothing stayed registered. */
	sb = send_in(b, task, r);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P10_sync_at_or_below_mscount_fires_with_mscount)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	/* One send right was made and released: mscount 1, no senders. */
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	VAL_EQ(mscount_of(task, r), 1);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 1, n);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	KR_EQ(mipc_port_set_mscount(task, r, 7), KERN_SUCCESS);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 7, n);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 7);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 3, n);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 7);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 0);
	VAL_EQ(mscount_of(task, r), 7);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P10_sync_above_mscount_stored)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb;

	KR_EQ(mipc_port_set_mscount(task, r, 7), KERN_SUCCESS);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 8, n);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	VAL_EQ(sorights_of(task, n), 1);
	sb = send_in(b, task, r);
	VAL_EQ(mscount_of(task, r), 8);
	NT_NONE(task, n);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 8);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P10_send_right_present_stored)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	/* sync 0 <= mscount 1, but a send right exists. */
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P10_send_once_rights_do_not_count)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);

	VAL_EQ(sorights_of(task, r), 1);
	VAL_EQ(srights_of(task, r), 0);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 0);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
}
END_TEST

START_TEST(P10_immediate_fire_still_returns_previous)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t prev;

	/* Stored: sync 1 > mscount 0. */
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 1, n1);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	prev = nt_rearm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n2);
	NT_ONLY(task, n2, MACH_NOTIFY_NO_SENDERS, 0);
	NT_NONE(task, n1);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	VAL_EQ(type_of(task, prev), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n1), 1);
	VAL_EQ(sorights_of(task, n2), 0);
	/* previous is n1's right. */
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n1), 0);
}
END_TEST

START_TEST(P10_null_notify_sends_nothing)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t prev;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 1, n);
	/* Cancel with sync 0 on a port without senders: nothing fires. */
	prev = nt_cancel(task, r, MACH_NOTIFY_NO_SENDERS);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(sorights_of(task, n), 1);
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
}
END_TEST

/* ---- P11: stored requests and what fires them ------------------------------ */

START_TEST(P11_fires_when_last_uref_of_last_right_deallocated)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	make_send(task, r);
	KR_EQ(mipc_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	VAL_EQ(mscount_of(task, r), 2);
	VAL_EQ(srights_of(task, r), 2);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_port_deallocate(task, r), KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	NT_NONE(task, n);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 2);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	VAL_EQ(srights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P11_fires_on_mod_refs_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	KR_EQ(mipc_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(
	    mipc_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -2), KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(
	    mipc_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -1), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	NAME_GONE(b, sb);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P11_fires_on_destroy_of_send_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	KR_EQ(mipc_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, 4), KERN_SUCCESS);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_port_destroy(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	NAME_GONE(b, sb);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P11_fires_when_message_dest_right_consumed)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	msg_buf_t in;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	/* The last send right moves into the message: not released yet. */
	SEND_OK(b, sb, MACH_MSG_TYPE_MOVE_SEND, 0x5111);
	NAME_GONE(b, sb);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	VAL_EQ(srights_of(task, r), 1);
	/* Receiving consumes the destination right. */
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 0x5111);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	VAL_EQ(srights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P11_in_flight_copy_keeps_request_armed)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	msg_buf_t in;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	SEND_OK(b, sb, MACH_MSG_TYPE_COPY_SEND, 0x5112);
	/* The space's right goes; the copy in the message remains. */
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_NONE(task, n);
	VAL_EQ(srights_of(task, r), 1);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, 0x00001100u, MACH_PORT_NULL, r, HDR_SIZE, 0x5112);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P11_fires_when_message_carrying_send_right_destroyed)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t q = recv_new(b);
	mach_port_name_t sb = send_in(b, task, r);
	mach_msg_port_descriptor_t d = port_desc(sb, MACH_MSG_TYPE_MOVE_SEND);
	msg_buf_t m;
	mach_msg_size_t size;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	size = msg_init_ports(&m, q, MACH_MSG_TYPE_MAKE_SEND, 0x5113, &d, 1);
	KR_EQ(msg_send(b, &m, size), MACH_MSG_SUCCESS);
	NAME_GONE(b, sb);
	NT_NONE(task, n);
	VAL_EQ(srights_of(task, r), 1);
	/* q dies with the message queued: the carried right is released. */
	KR_EQ(mipc_port_destroy(b, q), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	VAL_EQ(srights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P11_fires_on_space_destroy)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	/* A second MAKE_SEND merges into sb: mscount 2. */
	KR_EQ(mipc_port_insert_right(b, sb, task, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(refs_of(b, sb, MACH_PORT_RIGHT_SEND), 2);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 2);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
}
END_TEST

START_TEST(P11_stored_request_replaced_only_new_fires)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	mach_port_name_t prev;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n1);
	prev = nt_rearm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n2);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	VAL_EQ(type_of(task, prev), MACH_PORT_TYPE_SEND_ONCE);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n2, MACH_NOTIFY_NO_SENDERS, 1);
	NT_NONE(task, n1);
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P12: set_mscount never fires ------------------------------------------- */

START_TEST(P12_set_mscount_does_not_fire_stored_request)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb;

	/* Stored: sync 3 > mscount 0, no send rights. */
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 3, n);
	/* Now sync <= mscount and no senders: a re-evaluation would fire. */
	KR_EQ(mipc_port_set_mscount(task, r, 10), KERN_SUCCESS);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	VAL_EQ(mscount_of(task, r), 10);
	KR_EQ(mipc_port_set_mscount(task, r, 0), KERN_SUCCESS);
	NT_NONE(task, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	/* It fires at the next drop to no senders, with the mscount then. */
	KR_EQ(mipc_port_set_mscount(task, r, 20), KERN_SUCCESS);
	sb = send_in(b, task, r);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 21);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P12_set_mscount_with_senders_changes_reported_count)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_port_set_mscount(task, r, 42), KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 42);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P13: port death with a no-senders request armed ----------------------- */

START_TEST(P13_destroy_receive_only_sends_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
	EXPECT_DEAD(b, sb, 1);
	/* Releasing the dead name does not resurrect a no-senders. */
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P13_mod_refs_receive_on_send_receive_name_sends_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	/* B18: the send right is not released, it becomes a dead name. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	EXPECT_DEAD(task, r, 1);
}
END_TEST

START_TEST(P13_destroy_send_receive_name_last_send_emits_no_senders)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	make_send(task, r);
	VAL_EQ(mscount_of(task, r), 2);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 2);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P13_destroy_send_receive_name_other_senders_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	/* b's send right outlives the task's: the port dies with senders. */
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	EXPECT_DEAD(b, sb, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P13_destruct_removing_last_send_emits_no_senders)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);
	mach_port_name_t n = recv_new(task);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(mscount_of(task, r), 1);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	KR_EQ(mipc_port_destruct(task, r, -1, 0), KERN_SUCCESS);
	NAME_GONE(task, r);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
}
END_TEST

START_TEST(P13_destruct_keeping_send_urefs_sends_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	/* One of two urefs removed: the port dies with a send right. */
	KR_EQ(mipc_port_destruct(task, r, -1, 0), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	EXPECT_DEAD(task, r, 1);
}
END_TEST

/* ---- P14: the registration survives moves ----------------------------------- */

START_TEST(P14_survives_move_receive_mscount_reset)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	mach_port_name_t rc;

	KR_EQ(mipc_port_insert_right(b, sb, task, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS); /* mscount 2 */
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	rc = move_receive(task, r, c);
	VAL_EQ(nt_nsrequest_of(c, rc), 1);
	VAL_EQ(mscount_of(c, rc), 0);
	NT_NONE(task, n);
	KR_EQ(
	    mipc_port_mod_refs(b, sb, MACH_PORT_RIGHT_SEND, -2), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 0);
	VAL_EQ(nt_nsrequest_of(c, rc), 0);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P14_survives_move_in_message)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t q = recv_new(task);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	mach_port_name_t r2;
	msg_buf_t in;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	send_receive_right(task, q, r, 0x5141);
	NT_NONE(task, n);
	RECV_OK(task, &in, q, 0);
	VAL_EQ(in.h.msgh_id, 0x5141);
	r2 = rcv_port_desc(&in, 0).name;
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(nt_nsrequest_of(task, r2), 1);
	VAL_EQ(mscount_of(task, r2), 0);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P14_survives_port_destroyed_transfer)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t nb = recv_new(task);
	mach_port_name_t nn = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	mach_port_name_t r2;

	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, nn);
	nt_arm(task, r, MACH_NOTIFY_PORT_DESTROYED, 0, nb);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	VAL_EQ(nt_pdrequest_of(task, r), 1);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	r2 = NT_ONLY(task, nb, MACH_NOTIFY_PORT_DESTROYED, 0);
	/* The transfer neither fires nor drops the no-senders request. */
	NT_NONE(task, nn);
	VAL_EQ(nt_nsrequest_of(task, r2), 1);
	VAL_EQ(nt_pdrequest_of(task, r2), 0);
	VAL_EQ(sorights_of(task, nn), 1);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, nn, MACH_NOTIFY_NO_SENDERS, 0);
	VAL_EQ(nt_nsrequest_of(task, r2), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P14_nsrequest_reported_until_fired_or_cancelled)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);

	VAL_EQ(nt_nsrequest_of(task, r), 0);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	VAL_EQ(nt_pdrequest_of(task, r), 0);
	KR_EQ(mipc_port_deallocate(
	          task, nt_cancel(task, r, MACH_NOTIFY_NO_SENDERS)),
	    KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	VAL_EQ(nt_nsrequest_of(task, r), 1);
	KR_EQ(mipc_port_deallocate(b, sb), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_NO_SENDERS, 1);
	VAL_EQ(nt_nsrequest_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

static Suite *
notify_p_kinds_a_suite(void)
{
	Suite *s = suite_create("P_notify_kinds_a");
	TCase *tc = conf_tcase("P5_P14");

	tcase_add_test(tc, P5_receive_right_accepted_previous_null);
	tcase_add_test(tc, P5_sync_nonzero_invalid_value);
	tcase_add_test(tc, P5_name_null_or_dead_invalid_right);
	tcase_add_test(tc, P5_unknown_name_invalid_name);
	tcase_add_test(tc, P5_not_a_receive_right_invalid_right);
	tcase_add_test(tc, P5_reply_port_invalid_right_guard);
	tcase_add_test(tc, P5_second_request_kernel_failure_first_kept);
	tcase_add_test(tc, P5_cancel_while_registered_kernel_failure);
	tcase_add_test(tc, P5_null_notify_unregistered_previous_null);
	tcase_add_test(tc, P6_destroy_sends_receive_right_to_backup);
	tcase_add_test(tc, P6_mod_refs_receive_minus_one_triggers);
	tcase_add_test(tc, P6_destruct_triggers);
	tcase_add_test(
	    tc, P6_destroyed_message_carrying_receive_right_triggers);
	tcase_add_test(tc, P6_space_destroy_triggers);
	tcase_add_test(tc, P6_failed_insert_triggers);
	tcase_add_test(tc, P6_clears_mscount_seqno_context);
	tcase_add_test(tc, P6_destroy_clears_mscount_seqno_context);
	tcase_add_test(tc, P6_clears_guard_and_immovable_receive);
	tcase_add_test(tc, P6_clears_immovable_receive_set_by_guard_flags);
	tcase_add_test(tc, P6_clears_sticky_immovable_after_unguard);
	tcase_add_test(tc, P6_leaves_port_sets);
	tcase_add_test(tc, P6_blocked_receiver_gets_port_changed);
	tcase_add_test(tc, P6_keeps_queued_messages_and_qlimit);
	tcase_add_test(tc, P6_keeps_blocked_senders);
	tcase_add_test(tc, P6_keeps_rights_and_dead_name_requests_elsewhere);
	tcase_add_test(tc, P7_receive_only_name_disappears);
	tcase_add_test(tc, P7_send_receive_name_becomes_live_send);
	tcase_add_test(tc, P7_backup_receiver_gets_fresh_name);
	tcase_add_test(tc, P7_backup_receiver_send_name_reused);
	tcase_add_test(tc, P8_dead_backup_port_dies);
	tcase_add_test(tc, P8_backup_is_the_port_itself_dies);
	tcase_add_test(tc, P8_backup_in_transit_inside_the_port_dies);
	tcase_add_test(tc, P9_name_null_or_dead_invalid_right);
	tcase_add_test(tc, P9_unknown_name_invalid_name);
	tcase_add_test(tc, P9_not_a_receive_right_invalid_right);
	tcase_add_test(tc, P9_reply_port_invalid_right);
	tcase_add_test(tc, P10_sync_zero_without_send_rights_fires_immediately);
	tcase_add_test(tc, P10_sync_at_or_below_mscount_fires_with_mscount);
	tcase_add_test(tc, P10_sync_above_mscount_stored);
	tcase_add_test(tc, P10_send_right_present_stored);
	tcase_add_test(tc, P10_send_once_rights_do_not_count);
	tcase_add_test(tc, P10_immediate_fire_still_returns_previous);
	tcase_add_test(tc, P10_null_notify_sends_nothing);
	tcase_add_test(tc, P11_fires_when_last_uref_of_last_right_deallocated);
	tcase_add_test(tc, P11_fires_on_mod_refs_send);
	tcase_add_test(tc, P11_fires_on_destroy_of_send_name);
	tcase_add_test(tc, P11_fires_when_message_dest_right_consumed);
	tcase_add_test(tc, P11_in_flight_copy_keeps_request_armed);
	tcase_add_test(
	    tc, P11_fires_when_message_carrying_send_right_destroyed);
	tcase_add_test(tc, P11_fires_on_space_destroy);
	tcase_add_test(tc, P11_stored_request_replaced_only_new_fires);
	tcase_add_test(tc, P12_set_mscount_does_not_fire_stored_request);
	tcase_add_test(tc, P12_set_mscount_with_senders_changes_reported_count);
	tcase_add_test(tc, P13_destroy_receive_only_sends_send_once);
	tcase_add_test(
	    tc, P13_mod_refs_receive_on_send_receive_name_sends_send_once);
	tcase_add_test(
	    tc, P13_destroy_send_receive_name_last_send_emits_no_senders);
	tcase_add_test(
	    tc, P13_destroy_send_receive_name_other_senders_send_once);
	tcase_add_test(tc, P13_destruct_removing_last_send_emits_no_senders);
	tcase_add_test(tc, P13_destruct_keeping_send_urefs_sends_send_once);
	tcase_add_test(tc, P14_survives_move_receive_mscount_reset);
	tcase_add_test(tc, P14_survives_move_in_message);
	tcase_add_test(tc, P14_survives_port_destroyed_transfer);
	tcase_add_test(tc, P14_nsrequest_reported_until_fired_or_cancelled);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(notify_p_kinds_a_suite)

/*
 * Deferred:
 *   P5  special reply ports (mipc has no thread_get_special_reply_port);
 *       the order of the sync / name checks (sync != 0 is only tried on
 *       a valid receive right); guard exceptions where MACH.md marks none
 *       (unknown name, non-receive names, P9's reply port): none is
 *       asserted either way.
 *   P6  task termination is exercised through mipc_space_destroy only;
 *       importance / turnstile state of the transferred port.
 *   P8  circularity through a longer chain of in-transit ports (only the
 *       backup being the port itself, or directly inside its queue).
 *   P11 "a send right being merged on receipt" as a trigger (a merge
 *       leaves the receiving space's own send right, so no drop to zero
 *       was constructible here); send-right release by task death of a
 *       space that also holds the receive right.
 *   P13 space destruction with an armed request (order of receive and
 *       send teardown, MACH.md W).
 *   Version notes (older XNU behaviours) are not tested.
 */
