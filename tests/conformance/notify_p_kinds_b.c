/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify_p_kinds_b.c -- MACH.md area P, the name-based notification kinds
 * and the common format rules P15-P27: dead-name requests (P15-P19),
 * send-possible requests (P20-P24), MACH_NOTIFY_SEND_ONCE for send-once
 * rights destroyed unused (P25), MACH_NOTIFY_PORT_DELETED (P26) and the
 * format every notification has (P27, MACH.md 1.9).
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<case>.  The usual cast: port p whose receive
 * right lives in a second space b, the task's send right s to it, and
 * notify ports n, n1, n2 (receive rights of the task).  Full queues are
 * made with a small qlimit (MACH_PORT_LIMITS_INFO) and sends with
 * MACH_SEND_TIMEOUT, timeout 0.  Notifications are checked exactly with
 * NT_ONLY / NT_GOT (notify_helpers.h), absence with NT_NONE; the extra
 * dead-name uref a fired request leaves (D4) with EXPECT_DEAD.
 */
#include "notify_helpers.h"

/* A bare send through `dest` (COPY_SEND) with MACH_SEND_NOTIFY, no wait. */
static mach_msg_return_t
send_notify(mipc_space_t sp, mach_port_name_t dest, mach_msg_id_t id)
{
	msg_buf_t m;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), dest,
	    MACH_PORT_NULL, id);
	return msg_call(sp, &m.h,
	    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_SEND_NOTIFY, HDR_SIZE, 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* A bare send with a reply right, no wait. */
static mach_msg_return_t
send_reply(mipc_space_t sp, mach_port_name_t dest,
    mach_msg_type_name_t dest_disp, mach_port_name_t reply,
    mach_msg_type_name_t reply_disp, mach_msg_id_t id)
{
	return send_hdr(
	    sp, MACH_MSGH_BITS(dest_disp, reply_disp), dest, reply, id);
}

/* A message to `dest` carrying one port descriptor; returns the code. */
static mach_msg_return_t
send_desc(mipc_space_t sp, mach_port_name_t dest,
    mach_msg_type_name_t dest_disp, mach_port_name_t name,
    mach_msg_type_name_t disp, mach_msg_id_t id)
{
	msg_buf_t m;
	mach_msg_port_descriptor_t d = port_desc(name, disp);
	mach_msg_size_t size = msg_init_ports(&m, dest, dest_disp, id, &d, 1);

	return msg_send(sp, &m, size);
}

/* ---- P15: dead-name requests, which names take them ----------------------- */

START_TEST(P15_name_null_or_dead_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(task, MACH_PORT_NULL,
	          MACH_NOTIFY_DEAD_NAME, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          &prev),
	    KERN_INVALID_ARGUMENT);
	/* P2: the send-once right made for the refused request is destroyed. */
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_port_request_notification(task, MACH_PORT_DEAD,
	          MACH_NOTIFY_DEAD_NAME, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          &prev),
	    KERN_INVALID_ARGUMENT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(P15_unknown_name_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t x = free_name(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(task, x, MACH_NOTIFY_DEAD_NAME, 0,
	          n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_NAME);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
	NAME_GONE(task, x);
}
END_TEST

START_TEST(P15_port_set_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(task, ps, MACH_NOTIFY_DEAD_NAME, 0,
	          n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
}
END_TEST

START_TEST(P15_send_send_once_and_receive_names_accepted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t sr = nt_recv_send_new(task);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	nt_arm(task, so, MACH_NOTIFY_DEAD_NAME, 0, n);
	nt_arm(task, r, MACH_NOTIFY_DEAD_NAME, 0, n);
	nt_arm(task, sr, MACH_NOTIFY_DEAD_NAME, 1, n);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(type_of(task, so),
	    MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(type_of(task, r),
	    MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(type_of(task, sr),
	    MACH_PORT_TYPE_SEND_RECEIVE | MACH_PORT_TYPE_DNREQUEST);
	/* Registering changes no reference count. */
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 3);
	VAL_EQ(refs_of(task, so, MACH_PORT_RIGHT_SEND_ONCE), 1);
	VAL_EQ(refs_of(task, sr, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(nt_dnr_used(b, p), 2);
	VAL_EQ(nt_dnr_used(task, r), 1);
	VAL_EQ(nt_dnr_used(task, sr), 1);
	VAL_EQ(sorights_of(task, n), 4);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P15_dead_name_invalid_argument_sync_ignored)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t d = dead_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(task, d, MACH_NOTIFY_DEAD_NAME, 0,
	          n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_ARGUMENT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	/* sync != 0 makes no difference (no immediate DEAD_NAME, no uref). */
	KR_EQ(mipc_port_request_notification(task, d, MACH_NOTIFY_DEAD_NAME, 1,
	          n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_ARGUMENT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	EXPECT_DEAD(task, d, 1);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P15_send_right_to_dead_port_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	/* Not yet examined: still reads as a send right until looked at. */
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	KR_EQ(mipc_port_request_notification(task, s, MACH_NOTIFY_DEAD_NAME, 1,
	          n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_ARGUMENT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	/* Nothing was registered, so no extra uref. */
	EXPECT_DEAD(task, s, 2);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P16: one request slot per name, shared by both kinds ----------------- */

START_TEST(P16_send_possible_replaces_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t prev;

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n1);
	/* sync 0: registered, not fired. */
	prev = nt_rearm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n2);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	VAL_EQ(type_of(task, prev), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(nt_dnr_used(b, p), 1);
	VAL_EQ(sorights_of(task, n1), 1);
	VAL_EQ(sorights_of(task, n2), 1);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	/* previous is n1's send-once right. */
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	NT_NONE(task, n2);
	/* The send-possible registration is the one death fires (P24). */
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n2, MACH_NOTIFY_DEAD_NAME, s);
	NT_NONE(task, n1);
	EXPECT_DEAD(task, s, 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P16_dead_name_replaces_send_possible)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t prev;

	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n1);
	prev = nt_rearm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n2);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	VAL_EQ(type_of(task, prev), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(nt_dnr_used(b, p), 1);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	/* No send-possible request any more: MACH_SEND_NOTIFY arms nothing. */
	nt_fill_queue(b, p, task, s, 0x5161);
	KR_EQ(send_notify(task, s, 0x5162), MACH_SEND_TIMED_OUT);
	NT_RECV_ID(b, p, 0x5161);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n2, MACH_NOTIFY_DEAD_NAME, s);
	NT_NONE(task, n1);
	/* 1 + 2 from the timed-out sends (M3) + 1 for the notification. */
	EXPECT_DEAD(task, s, 4);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P16_cancel_with_either_msgid)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t prev1, prev2;

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n1);
	prev1 = nt_cancel(task, s, MACH_NOTIFY_SEND_POSSIBLE);
	ck_assert_msg(MACH_PORT_VALID(prev1), "previous 0x%x", prev1);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n2);
	prev2 = nt_cancel(task, s, MACH_NOTIFY_DEAD_NAME);
	ck_assert_msg(MACH_PORT_VALID(prev2), "previous 0x%x", prev2);
	VAL_NE(prev2, prev1);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	KR_EQ(mipc_port_deallocate(task, prev1), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	NT_NONE(task, n2);
	KR_EQ(mipc_port_deallocate(task, prev2), KERN_SUCCESS);
	NT_ONLY(task, n2, MACH_NOTIFY_SEND_ONCE, 0);
	/* Nothing registered: the death is silent, no extra uref. */
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	EXPECT_DEAD(task, s, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P16_slot_is_per_name_not_per_port)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t sc = send_in(c, b, p);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t nc = recv_new(c);
	mach_port_name_t prev;

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n1);
	nt_arm(c, sc, MACH_NOTIFY_DEAD_NAME, 0, nc);
	VAL_EQ(nt_dnr_used(b, p), 2);
	/* Replacing the task's request leaves c's alone. */
	prev = nt_rearm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n2);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	VAL_EQ(nt_dnr_used(b, p), 2);
	VAL_EQ(sorights_of(c, nc), 1);
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n2, MACH_NOTIFY_DEAD_NAME, s);
	NT_ONLY(c, nc, MACH_NOTIFY_DEAD_NAME, sc);
	NT_NONE(task, n1);
	EXPECT_DEAD(task, s, 2);
	EXPECT_DEAD(c, sc, 2);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P17: port death notifies every registered name ----------------------- */

START_TEST(P17_port_death_notifies_every_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t sc = send_in(c, b, p);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t nc = recv_new(c);
	unsigned total, used;

	KR_EQ(mipc_port_mod_refs(c, sc, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n1);
	nt_arm(task, so, MACH_NOTIFY_DEAD_NAME, 0, n2);
	nt_arm(c, sc, MACH_NOTIFY_DEAD_NAME, 0, nc);
	nt_dnr_info(b, p, &total, &used);
	VAL_EQ(used, 3);
	ck_assert_msg(total >= 3, "request table capacity %u", total);
	VAL_EQ(nt_dnr_size_of(b, p), total);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	NT_NONE(c, nc);

	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_DEAD_NAME, s);
	NT_ONLY(task, n2, MACH_NOTIFY_DEAD_NAME, so);
	NT_ONLY(c, nc, MACH_NOTIFY_DEAD_NAME, sc);
	/* Each registrant's name: a dead name, urefs + 1 (D4). */
	EXPECT_DEAD(task, s, 2);
	EXPECT_DEAD(task, so, 2);
	EXPECT_DEAD(c, sc, 4);
	VAL_EQ(sorights_of(task, n1), 0);
	VAL_EQ(sorights_of(task, n2), 0);
	VAL_EQ(sorights_of(c, nc), 0);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P17_receiver_space_destroyed_handler_deallocates_twice)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	/* The receiver's task goes away: the port dies with it. */
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
	EXPECT_DEAD(task, s, 2);
	/* Once for the notification, once for the task's own reference. */
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	EXPECT_DEAD(task, s, 1);
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	NAME_GONE(task, s);
	NT_NONE(task, n);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

/* ---- P18: the name goes away first: PORT_DELETED --------------------------- */

START_TEST(P18_deallocate_last_uref_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);
	unsigned total, used, total2;

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	nt_dnr_info(b, p, &total, &used);
	VAL_EQ(used, 1);
	/* Not the last uref: nothing happens, the request stays. */
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	NT_NONE(task, n);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	NAME_GONE(task, s);
	nt_dnr_info(b, p, &total2, &used);
	VAL_EQ(used, 0);
	/* The table keeps its capacity. */
	VAL_EQ(total2, total);
	VAL_EQ(nt_dnr_size_of(b, p), total);
	VAL_EQ(sorights_of(task, n), 0);
	/* The port is alive; its later death has nothing to report. */
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_mod_refs_last_uref_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, -2),
	    KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, -1),
	    KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	NAME_GONE(task, s);
	VAL_EQ(nt_dnr_used(b, p), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_destroy_send_right_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 2), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_destroy(task, s), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	NAME_GONE(task, s);
	VAL_EQ(nt_dnr_used(b, p), 0);
	VAL_EQ(srights_of(b, p), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_move_send_last_uref_as_dest_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	SEND_OK(task, s, MACH_MSG_TYPE_MOVE_SEND, 0x5181);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	NAME_GONE(task, s);
	VAL_EQ(nt_dnr_used(b, p), 0);
	NT_RECV_ID(b, p, 0x5181);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_move_send_not_last_uref_keeps_request)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	SEND_OK(task, s, MACH_MSG_TYPE_MOVE_SEND, 0x5182);
	NT_NONE(task, n);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(nt_dnr_used(b, p), 1);
	NT_RECV_ID(b, p, 0x5182);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
	EXPECT_DEAD(task, s, 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_move_send_in_descriptor_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t q = recv_new(task);
	mach_port_name_t n = recv_new(task);
	msg_buf_t in;

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(send_desc(task, q, MACH_MSG_TYPE_MAKE_SEND, s,
	          MACH_MSG_TYPE_MOVE_SEND, 0x5183),
	    MACH_MSG_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	VAL_EQ(nt_dnr_used(b, p), 0);
	RECV_OK(task, &in, q, 0);
	VAL_EQ(in.h.msgh_id, 0x5183);
	/* The right came back under a name without a request. */
	VAL_EQ(type_of(task, rcv_port_desc(&in, 0).name), MACH_PORT_TYPE_SEND);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_move_send_once_as_dest_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t p = recv_new(b);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, so, MACH_NOTIFY_DEAD_NAME, 0, n);
	VAL_EQ(nt_dnr_used(b, p), 1);
	SEND_OK(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0x5184);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, so);
	NAME_GONE(task, so);
	VAL_EQ(nt_dnr_used(b, p), 0);
	/* Used as a destination: delivered, no MACH_NOTIFY_SEND_ONCE. */
	NT_RECV_ID(b, p, 0x5184);
	RECV_EMPTY(b, p);
	VAL_EQ(sorights_of(b, p), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_move_receive_of_receive_only_name_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t q, sq = peer_send(&b, &q);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t rb;
	msg_buf_t in;

	nt_arm(task, r, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(send_desc(task, sq, MACH_MSG_TYPE_COPY_SEND, r,
	          MACH_MSG_TYPE_MOVE_RECEIVE, 0x5185),
	    MACH_MSG_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, r);
	NAME_GONE(task, r);
	RECV_OK(b, &in, q, 0);
	VAL_EQ(in.h.msgh_id, 0x5185);
	rb = rcv_port_desc(&in, 0).name;
	/* The port lives on in b, without the task's request. */
	VAL_EQ(type_of(b, rb), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(nt_dnr_used(b, rb), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_NONE(task, n);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P18_insert_right_move_send_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t x = free_name(c);

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_insert_right(c, x, task, s, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	NAME_GONE(task, s);
	VAL_EQ(type_of(c, x), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_extract_right_move_send_once_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new(), c = space_new();
	mach_port_name_t p = recv_new(b);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t x = MACH_PORT_NULL;
	mach_msg_type_name_t t = 0;

	nt_arm(task, so, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_extract_right(
	          task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, c, &x, &t),
	    KERN_SUCCESS);
	VAL_EQ(t, MACH_MSG_TYPE_PORT_SEND_ONCE);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, so);
	NAME_GONE(task, so);
	VAL_EQ(type_of(c, x), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(nt_dnr_used(b, p), 0);
	VAL_EQ(sorights_of(b, p), 1);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P18_deallocate_send_once_port_deleted_and_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p = recv_new(task);
	mach_port_name_t so = sonce_in(task, p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, so, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	/* The request reports the name; the right's port its destruction. */
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, so);
	NT_ONLY(task, p, MACH_NOTIFY_SEND_ONCE, 0);
	NAME_GONE(task, so);
	VAL_EQ(sorights_of(task, p), 0);
	VAL_EQ(nt_dnr_used(task, p), 0);
}
END_TEST

/* ---- P19: a dead-name request on a receive-right name --------------------- */

START_TEST(P19_destroy_receive_name_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t sc = send_in(c, task, r);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t so2 = sonce_in_other(c, task, n2);

	nt_arm(task, r, MACH_NOTIFY_DEAD_NAME, 0, n1);
	nt_arm_moved(c, sc, MACH_NOTIFY_DEAD_NAME, 0, so2);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	/* The name holding the request went away: PORT_DELETED, not DEAD. */
	NT_ONLY(task, n1, MACH_NOTIFY_PORT_DELETED, r);
	/* Other names for the dying port: DEAD_NAME. */
	NT_ONLY(task, n2, MACH_NOTIFY_DEAD_NAME, sc);
	NAME_GONE(task, r);
	EXPECT_DEAD(c, sc, 2);
	VAL_EQ(sorights_of(task, n1), 0);
	VAL_EQ(sorights_of(task, n2), 0);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(P19_destroy_receive_only_name_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, r, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, r);
	NAME_GONE(task, r);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P19_mod_refs_receive_on_send_receive_name_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = nt_recv_send_new(task);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, r, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	/* The send right became a dead name: DEAD_NAME, and its extra uref. */
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, r);
	EXPECT_DEAD(task, r, 2);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P19_mod_refs_receive_on_receive_only_name_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = recv_new(task);

	/* XNU ipc_right_delta(RECEIVE): the request is cancelled as deleted. */
	nt_arm(task, r, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, r);
	NAME_GONE(task, r);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

/* ---- P20: send-possible requests, which names take them ------------------- */

START_TEST(P20_name_null_or_dead_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(task, MACH_PORT_NULL,
	          MACH_NOTIFY_SEND_POSSIBLE, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          &prev),
	    KERN_INVALID_ARGUMENT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_port_request_notification(task, MACH_PORT_DEAD,
	          MACH_NOTIFY_SEND_POSSIBLE, 1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          &prev),
	    KERN_INVALID_ARGUMENT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P20_unknown_name_and_port_set_refused)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t x = free_name(task);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(task, x, MACH_NOTIFY_SEND_POSSIBLE,
	          1, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_NAME);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(
	    mipc_port_request_notification(task, ps, MACH_NOTIFY_SEND_POSSIBLE,
	        0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_RIGHT);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P20_registered_request_shows_dnrequest)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);
	unsigned total, used;

	VAL_EQ(nt_dnr_size_of(b, p), 0);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	/* DNREQUEST, never the SPREQUEST bits, in mach_port_type (D3). */
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	nt_dnr_info(b, p, &total, &used);
	VAL_EQ(used, 1);
	ck_assert_msg(total >= 1, "request table capacity %u", total);
	VAL_EQ(nt_dnr_size_of(b, p), total);
	VAL_EQ(sorights_of(task, n), 1);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
}
END_TEST

/* ---- P21: sync != 0 ------------------------------------------------------- */

START_TEST(P21_queue_not_full_fires_immediately)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	set_qlimit(b, p, 2);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 0x5211);
	/* One of two slots used: room now. */
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, s);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	VAL_EQ(sorights_of(task, n), 0);
	/* Nothing stayed registered. */
	NT_RECV_ID(b, p, 0x5211);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_NONE(task, n);
	EXPECT_DEAD(task, s, 1);
}
END_TEST

START_TEST(P21_send_once_name_fires_immediately_when_full)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t n = recv_new(task);

	nt_fill_queue(b, p, task, s, 0x5212);
	nt_arm(task, so, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, so);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(nt_dnr_used(b, p), 0);
	/* Send-once sends ignore the queue limit anyway (J). */
	SEND_OK(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0x5213);
	VAL_EQ(msgcount_of(b, p), 2);
	NT_RECV_ID(b, p, 0x5212);
	NT_RECV_ID(b, p, 0x5213);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P21_queue_full_registers_armed)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	set_qlimit(b, p, 2);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 0x5214);
	SEND_OK(task, s, MACH_MSG_TYPE_COPY_SEND, 0x5215);
	KR_EQ(send_to(task, s, MACH_MSG_TYPE_COPY_SEND, 0x5216),
	    MACH_SEND_TIMED_OUT);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_NONE(task, n);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(nt_dnr_used(b, p), 1);
	/* Armed: the first dequeue fires it. */
	NT_RECV_ID(b, p, 0x5214);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, s);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	NT_RECV_ID(b, p, 0x5215);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P21_immediate_fire_returns_previous)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n1 = recv_new(task);
	mach_port_name_t n2 = recv_new(task);
	mach_port_name_t prev;

	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n1);
	prev = nt_rearm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n2);
	ck_assert_msg(MACH_PORT_VALID(prev), "previous 0x%x", prev);
	VAL_EQ(type_of(task, prev), MACH_PORT_TYPE_SEND_ONCE);
	NT_ONLY(task, n2, MACH_NOTIFY_SEND_POSSIBLE, s);
	NT_NONE(task, n1);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	KR_EQ(mipc_port_deallocate(task, prev), KERN_SUCCESS);
	NT_ONLY(task, n1, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_NONE(task, n1);
	NT_NONE(task, n2);
	EXPECT_DEAD(task, s, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P22: sync == 0, armed only by MACH_SEND_NOTIFY ------------------------ */

START_TEST(P22_sync_zero_not_armed_by_full_queue)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_fill_queue(b, p, task, s, 0x5221);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	NT_NONE(task, n);
	NT_RECV_ID(b, p, 0x5221);
	/* Not armed: the dequeue sends nothing; still registered. */
	NT_NONE(task, n);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	VAL_EQ(nt_dnr_used(b, p), 1);
	VAL_EQ(sorights_of(task, n), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
}
END_TEST

START_TEST(P22_send_notify_on_full_queue_arms)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	nt_fill_queue(b, p, task, s, 0x5222);
	KR_EQ(send_notify(task, s, 0x5223), MACH_SEND_TIMED_OUT);
	/*
	 * Nothing sent yet.  Each timed-out COPY_SEND (nt_fill_queue's and
	 * this one) came back as one more uref (M3).
	 */
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 3);
	VAL_EQ(msgcount_of(b, p), 1);
	NT_NONE(task, n);
	NT_RECV_ID(b, p, 0x5222);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, s);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(nt_dnr_used(b, p), 0);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_NONE(task, n);
}
END_TEST

START_TEST(P22_plain_send_on_full_queue_does_not_arm)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	/* nt_fill_queue's second send (no MACH_SEND_NOTIFY) times out. */
	nt_fill_queue(b, p, task, s, 0x5224);
	NT_RECV_ID(b, p, 0x5224);
	NT_NONE(task, n);
	VAL_EQ(nt_dnr_used(b, p), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
}
END_TEST

START_TEST(P22_send_notify_through_other_name_does_not_arm)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t sc = send_in(c, b, p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	nt_fill_queue(b, p, task, s, 0x5225);
	/* c's name carries no request: its MACH_SEND_NOTIFY arms nothing. */
	KR_EQ(send_notify(c, sc, 0x5226), MACH_SEND_TIMED_OUT);
	NT_RECV_ID(b, p, 0x5225);
	NT_NONE(task, n);
	VAL_EQ(nt_dnr_used(b, p), 1);
	VAL_EQ(
	    type_of(task, s), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
}
END_TEST

START_TEST(P22_send_notify_with_room_does_not_arm)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	set_qlimit(b, p, 1);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	/* Room: the message is queued, the request is left unarmed. */
	KR_EQ(send_notify(task, s, 0x5227), MACH_MSG_SUCCESS);
	VAL_EQ(msgcount_of(b, p), 1);
	NT_RECV_ID(b, p, 0x5227);
	NT_NONE(task, n);
	VAL_EQ(nt_dnr_used(b, p), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
}
END_TEST

/* ---- P23: armed requests fire on dequeue, all together -------------------- */

START_TEST(P23_all_armed_requests_fire_together)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new(), d = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t sc = send_in(c, b, p);
	mach_port_name_t sd = send_in(d, b, p);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t nc = recv_new(c);
	mach_port_name_t nd = recv_new(d);

	nt_fill_queue(b, p, task, s, 0x5231);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	nt_arm(c, sc, MACH_NOTIFY_SEND_POSSIBLE, 1, nc);
	nt_arm(d, sd, MACH_NOTIFY_SEND_POSSIBLE, 0, nd);
	VAL_EQ(nt_dnr_used(b, p), 3);
	NT_NONE(task, n);
	NT_NONE(c, nc);
	NT_NONE(d, nd);
	/* One dequeue: both armed requests fire; the delayed one stays. */
	NT_RECV_ID(b, p, 0x5231);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, s);
	NT_ONLY(c, nc, MACH_NOTIFY_SEND_POSSIBLE, sc);
	NT_NONE(d, nd);
	VAL_EQ(nt_dnr_used(b, p), 1);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(c, sc), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(d, sd), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(d, nd, MACH_NOTIFY_DEAD_NAME, sd);
	NT_NONE(task, n);
	NT_NONE(c, nc);
	/* s: 1 + 1 from nt_fill_queue's timed-out send (M3). */
	EXPECT_DEAD(task, s, 2);
	EXPECT_DEAD(c, sc, 1);
	EXPECT_DEAD(d, sd, 2);
	KR_EQ(mipc_space_destroy(d), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P23_armed_request_waits_for_dequeue)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_fill_queue(b, p, task, s, 0x5232);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	/* Raising qlimit makes room but dequeues nothing. */
	set_qlimit(b, p, 2);
	NT_NONE(task, n);
	VAL_EQ(nt_dnr_used(b, p), 1);
	NT_RECV_ID(b, p, 0x5232);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, s);
	VAL_EQ(nt_dnr_used(b, p), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P24: the port dies / the name goes / the name is dead ---------------- */

START_TEST(P24_port_death_armed_fires_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_fill_queue(b, p, task, s, 0x5241);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	/* The queued message is destroyed, not received: no SEND_POSSIBLE. */
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
	/* 1 + 1 (timed-out send, M3) + 1 for the notification. */
	EXPECT_DEAD(task, s, 3);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P24_port_death_armed_empty_queue_fires_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	/* qlimit 0: full with nothing queued, so sync 1 arms. */
	set_qlimit(b, p, 0);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_NONE(task, n);
	VAL_EQ(nt_dnr_used(b, p), 1);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
	EXPECT_DEAD(task, s, 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P24_port_death_unarmed_fires_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
	EXPECT_DEAD(task, s, 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P24_name_gone_fires_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	nt_fill_queue(b, p, task, s, 0x5242);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	/* Two urefs (the timed-out send's came back, M3). */
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	NT_NONE(task, n);
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, s);
	NAME_GONE(task, s);
	VAL_EQ(nt_dnr_used(b, p), 0);
	/* Nothing is left to fire on the dequeue. */
	NT_RECV_ID(b, p, 0x5242);
	NT_NONE(task, n);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P24_dead_name_fires_dead_name_immediately)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_port_name_t d = dead_new(task);

	nt_arm(task, d, MACH_NOTIFY_SEND_POSSIBLE, 0, n);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, d);
	EXPECT_DEAD(task, d, 2);
	nt_arm(task, d, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, d);
	EXPECT_DEAD(task, d, 3);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

START_TEST(P24_send_right_to_dead_port_fires_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	KR_EQ(
	    mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_SEND, 1), KERN_SUCCESS);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_ONLY(task, n, MACH_NOTIFY_DEAD_NAME, s);
	EXPECT_DEAD(task, s, 3);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- P25: send-once rights destroyed unused ------------------------------- */

START_TEST(P25_deallocate_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);

	VAL_EQ(sorights_of(task, r), 1);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	NAME_GONE(task, so);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
}
END_TEST

START_TEST(P25_mod_refs_minus_one_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);

	KR_EQ(mipc_port_mod_refs(task, so, MACH_PORT_RIGHT_SEND_ONCE, -1),
	    KERN_SUCCESS);
	NAME_GONE(task, so);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
}
END_TEST

START_TEST(P25_destroy_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in_other(b, task, r);

	KR_EQ(mipc_port_destroy(b, so), KERN_SUCCESS);
	NAME_GONE(b, so);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P25_space_destroyed_notifies_each)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t sc = send_in(c, task, r);
	unsigned i;

	for (i = 0; i < 3; i++)
		(void)sonce_in_other(c, task, r);
	VAL_EQ(sorights_of(task, r), 3);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	/* One per send-once right; the send right goes silently. */
	for (i = 0; i < 3; i++)
		NT_GOT(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	NT_NONE(task, r);
	VAL_EQ(sorights_of(task, r), 0);
	VAL_EQ(srights_of(task, r), 0);
	(void)sc;
}
END_TEST

START_TEST(P25_destroyed_message_reply_right_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t q, sq = peer_send(&b, &q);
	mach_port_name_t r = recv_new(task);

	KR_EQ(send_reply(task, sq, MACH_MSG_TYPE_COPY_SEND, r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE, 0x5251),
	    MACH_MSG_SUCCESS);
	VAL_EQ(sorights_of(task, r), 1);
	NT_NONE(task, r);
	/* q dies with the message queued: its reply right is destroyed. */
	KR_EQ(mipc_port_destroy(b, q), KERN_SUCCESS);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P25_destroyed_message_descriptor_rights_notify)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t q, sq = peer_send(&b, &q);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_msg_port_descriptor_t d[2];
	msg_buf_t m;
	mach_msg_size_t size;

	d[0] = port_desc(r, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	d[1] = port_desc(so, MACH_MSG_TYPE_MOVE_SEND_ONCE);
	size = msg_init_ports(&m, sq, MACH_MSG_TYPE_COPY_SEND, 0x5252, d, 2);
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	NAME_GONE(task, so);
	VAL_EQ(sorights_of(task, r), 2);
	KR_EQ(mipc_port_destroy(b, q), KERN_SUCCESS);
	NT_GOT(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P25_mach_msg_destroy_of_received_message_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t q = recv_new(task);
	mach_port_name_t r1 = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_msg_port_descriptor_t d =
	    port_desc(r2, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	msg_buf_t m, in;
	mach_msg_size_t size;

	size = msg_init_ports(&m, q, MACH_MSG_TYPE_MAKE_SEND, 0x5253, &d, 1);
	m.h.msgh_bits = MACH_MSGH_BITS_COMPLEX |
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_local_port = r1;
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	RECV_OK(task, &in, q, 0);
	VAL_EQ(in.h.msgh_id, 0x5253);
	VAL_EQ(MACH_MSGH_BITS_REMOTE(in.h.msgh_bits),
	    MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(type_of(task, in.h.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, rcv_port_desc(&in, 0).name),
	    MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(sorights_of(task, r1), 1);
	VAL_EQ(sorights_of(task, r2), 1);
	NT_NONE(task, r1);
	NT_NONE(task, r2);
	mach_msg_destroy(&in.h);
	NT_ONLY(task, r1, MACH_NOTIFY_SEND_ONCE, 0);
	NT_ONLY(task, r2, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r1), 0);
	VAL_EQ(sorights_of(task, r2), 0);
	VAL_EQ(type_of(task, q), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(P25_refused_request_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in_other(b, task, r);
	mach_port_name_t ps = pset_new(b);
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(mipc_port_request_notification(b, ps, MACH_NOTIFY_DEAD_NAME, 0,
	          so, MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
	    KERN_INVALID_RIGHT);
	NAME_GONE(b, so);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P25_failed_insert_right_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t used = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);

	/* E9: a made send-once right cannot take a used name. */
	KR_EQ(mipc_port_insert_right(task, r, mipc_thread_space(), r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_NAME_EXISTS);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 1);
	/* E10: a moved one neither; it is destroyed. */
	KR_EQ(mipc_port_insert_right(task, used, mipc_thread_space(), so,
	          MACH_MSG_TYPE_MOVE_SEND_ONCE),
	    KERN_NAME_EXISTS);
	NAME_GONE(task, so);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
	VAL_EQ(type_of(task, used), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(P25_rcv_too_large_reply_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t q = recv_new(task);
	mach_port_name_t r = recv_new(task);
	msg_buf_t in;

	KR_EQ(send_reply(task, q, MACH_MSG_TYPE_MAKE_SEND, r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE, 0x5254),
	    MACH_MSG_SUCCESS);
	msg_fill(&in, MSG_FILL);
	/* 24 bytes cannot hold header + 8-byte trailer (K3, K4). */
	KR_EQ(msg_recv(task, &in, HDR_SIZE, q, 0), MACH_RCV_TOO_LARGE);
	RECV_EMPTY(task, q);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
}
END_TEST

START_TEST(P25_body_copyin_failure_notifies)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t q = recv_new(task);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t bad = free_name(task);
	mach_msg_port_descriptor_t d = port_desc(bad, MACH_MSG_TYPE_COPY_SEND);
	msg_buf_t m;
	mach_msg_size_t size;

	size = msg_init_ports(&m, q, MACH_MSG_TYPE_MAKE_SEND, 0x5255, &d, 1);
	m.h.msgh_bits = MACH_MSGH_BITS_COMPLEX |
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_local_port = r;
	KR_EQ(msg_send(task, &m, size), MACH_SEND_INVALID_RIGHT);
	expect_no_fatal_guard();
	/* M2: the header rights were taken and destroyed. */
	RECV_EMPTY(task, q);
	NT_ONLY(task, r, MACH_NOTIFY_SEND_ONCE, 0);
	VAL_EQ(sorights_of(task, r), 0);
	VAL_EQ(srights_of(task, q), 0);
}
END_TEST

START_TEST(P25_used_as_destination_no_notification)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	msg_buf_t in;

	SEND_OK(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0x5256);
	NAME_GONE(task, so);
	RECV_OK(task, &in, r, 0);
	HDR_EQ(&in, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE),
	    MACH_PORT_NULL, r, HDR_SIZE, 0x5256);
	RECV_EMPTY(task, r);
	VAL_EQ(sorights_of(task, r), 0);
}
END_TEST

/* ---- P26: PORT_DELETED only for names that carry a request ---------------- */

START_TEST(P26_only_names_with_requests_report_deletion)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t so = sonce_in_other(task, b, p);
	mach_port_name_t sc = send_in(c, b, p);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t son = sonce_in_other(c, task, n);

	nt_arm_moved(c, sc, MACH_NOTIFY_DEAD_NAME, 0, son);
	/* Names without requests go silently (so notifies its own port). */
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	NT_NONE(task, n);
	NT_ONLY(b, p, MACH_NOTIFY_SEND_ONCE, 0);
	/* The name with one reports. */
	KR_EQ(mipc_port_deallocate(c, sc), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, sc);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P26_fired_or_cancelled_request_reports_nothing)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b;
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t n = recv_new(task);

	/* Fired at once (P21): nothing left on the name. */
	nt_arm(task, s, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_POSSIBLE, s);
	/* Cancelled: nothing left either. */
	nt_arm(task, s, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_deallocate(
	          task, nt_cancel(task, s, MACH_NOTIFY_DEAD_NAME)),
	    KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_SEND_ONCE, 0);
	KR_EQ(mipc_port_deallocate(task, s), KERN_SUCCESS);
	NAME_GONE(task, s);
	NT_NONE(task, n);
	VAL_EQ(sorights_of(task, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P26_registrant_space_destroyed_port_deleted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t c = space_new();
	mach_port_name_t p = recv_new(task);
	mach_port_name_t sc = send_in(c, task, p);
	mach_port_name_t n = recv_new(task);
	mach_port_name_t son = sonce_in_other(c, task, n);

	nt_arm_moved(c, sc, MACH_NOTIFY_DEAD_NAME, 0, son);
	VAL_EQ(nt_dnr_used(task, p), 1);
	/* W1: c's requests are cancelled with PORT_DELETED (n is alive). */
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	NT_ONLY(task, n, MACH_NOTIFY_PORT_DELETED, sc);
	VAL_EQ(nt_dnr_used(task, p), 0);
	VAL_EQ(srights_of(task, p), 0);
	VAL_EQ(sorights_of(task, n), 0);
}
END_TEST

/* ---- P27: common format ----------------------------------------------------- */

START_TEST(P27_notifications_bypass_qlimit_and_take_seqnos)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b1, b2, b3;
	mach_port_name_t n = nt_recv_send_new(task);
	mach_port_name_t p1, s1 = peer_send(&b1, &p1);
	mach_port_name_t p2, s2 = peer_send(&b2, &p2);
	mach_port_name_t p3, s3 = peer_send(&b3, &p3);
	mach_port_name_t so, r = recv_new(task), r2 = recv_new(task), got;
	mach_port_seqno_t seq = 0;
	msg_buf_t in;

	set_qlimit(task, n, 1);
	set_seqno(task, n, 100);
	SEND_OK(task, n, MACH_MSG_TYPE_COPY_SEND, 0x5271);
	/* Full for ordinary messages. */
	KR_EQ(send_to(task, n, MACH_MSG_TYPE_COPY_SEND, 0x5272),
	    MACH_SEND_TIMED_OUT);

	nt_arm(task, s1, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_destroy(b1, p1), KERN_SUCCESS);
	so = sonce_in(task, n);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	nt_arm(task, s2, MACH_NOTIFY_DEAD_NAME, 0, n);
	KR_EQ(mipc_port_deallocate(task, s2), KERN_SUCCESS);
	nt_arm(task, s3, MACH_NOTIFY_SEND_POSSIBLE, 1, n);
	nt_arm(task, r, MACH_NOTIFY_NO_SENDERS, 0, n);
	nt_arm(task, r2, MACH_NOTIFY_PORT_DESTROYED, 0, n);
	KR_EQ(mipc_port_destroy(task, r2), KERN_SUCCESS);
	/* All six queued past qlimit 1. */
	VAL_EQ(msgcount_of(task, n), 7);
	VAL_EQ(qlimit_of(task, n), 1);

	RECV_OK(task, &in, n, RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO));
	VAL_EQ(in.h.msgh_id, 0x5271);
	VAL_EQ(msg_trailer(&in).msgh_seqno, 100);
	NT_GOT_SEQ(task, n, MACH_NOTIFY_DEAD_NAME, s1, &seq);
	VAL_EQ(seq, 101);
	NT_GOT_SEQ(task, n, MACH_NOTIFY_SEND_ONCE, 0, &seq);
	VAL_EQ(seq, 102);
	NT_GOT_SEQ(task, n, MACH_NOTIFY_PORT_DELETED, s2, &seq);
	VAL_EQ(seq, 103);
	NT_GOT_SEQ(task, n, MACH_NOTIFY_SEND_POSSIBLE, s3, &seq);
	VAL_EQ(seq, 104);
	NT_GOT_SEQ(task, n, MACH_NOTIFY_NO_SENDERS, 0, &seq);
	VAL_EQ(seq, 105);
	got = NT_GOT_SEQ(task, n, MACH_NOTIFY_PORT_DESTROYED, 0, &seq);
	VAL_EQ(seq, 106);
	NT_NONE(task, n);
	VAL_EQ(seqno_of(task, n), 107);
	VAL_EQ(sorights_of(task, n), 0);
	VAL_EQ(type_of(task, got), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_port_mod_refs(task, got, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b3), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b2), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b1), KERN_SUCCESS);
}
END_TEST

START_TEST(P27_local_port_is_the_receivers_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b, c = space_new();
	mach_port_name_t p, s = peer_send(&b, &p);
	mach_port_name_t nc = recv_new(c);
	mach_port_name_t so = sonce_in_other(task, c, nc);

	/* Registered in the task with a right to a port c receives on. */
	nt_arm_moved(task, s, MACH_NOTIFY_DEAD_NAME, 0, so);
	NAME_GONE(task, so);
	VAL_EQ(sorights_of(c, nc), 1);
	KR_EQ(mipc_port_destroy(b, p), KERN_SUCCESS);
	/* msgh_local_port is nc, c's name (checked by the helper). */
	NT_ONLY(c, nc, MACH_NOTIFY_DEAD_NAME, s);
	VAL_EQ(sorights_of(c, nc), 0);
	EXPECT_DEAD(task, s, 2);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(P27_kernel_sender_token_in_every_trailer_size)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = recv_new(task);
	mach_msg_max_trailer_t t;
	msg_buf_t in;

	KR_EQ(mipc_port_deallocate(task, sonce_in(task, n)), KERN_SUCCESS);
	KR_EQ(mipc_port_deallocate(task, sonce_in(task, n)), KERN_SUCCESS);
	/* Default trailer: format 0, 8 bytes. */
	RECV_OK(task, &in, n, 0);
	HDR_EQ(&in, NT_BITS, MACH_PORT_NULL, n, MIPC_NOTIFY_SEND_ONCE_SIZE,
	    MACH_NOTIFY_SEND_ONCE);
	VAL_EQ(in.h.msgh_voucher_port, MACH_PORT_NULL);
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(t.msgh_trailer_size, 8);
	ck_assert_msg(bytes_are(&in, HDR_SIZE + 8, sizeof(in), MSG_FILL),
	    "bytes written after the 8-byte trailer");
	/* Sender trailer: the kernel's security token {0, 1}. */
	RECV_OK(task, &in, n, RCV_ELEMENTS(MACH_RCV_TRAILER_SENDER));
	HDR_EQ(&in, NT_BITS, MACH_PORT_NULL, n, MIPC_NOTIFY_SEND_ONCE_SIZE,
	    MACH_NOTIFY_SEND_ONCE);
	t = msg_trailer(&in);
	VAL_EQ(t.msgh_trailer_size, 20);
	VAL_EQ(t.msgh_sender.val[0], 0);
	VAL_EQ(t.msgh_sender.val[1], 1);
	RECV_EMPTY(task, n);
}
END_TEST

static Suite *
notify_p_kinds_b_suite(void)
{
	Suite *s = suite_create("P_notify_kinds_b");
	TCase *tc = conf_tcase("P15_P27");

	tcase_add_test(tc, P15_name_null_or_dead_invalid_argument);
	tcase_add_test(tc, P15_unknown_name_invalid_name);
	tcase_add_test(tc, P15_port_set_invalid_right);
	tcase_add_test(tc, P15_send_send_once_and_receive_names_accepted);
	tcase_add_test(tc, P15_dead_name_invalid_argument_sync_ignored);
	tcase_add_test(tc, P15_send_right_to_dead_port_invalid_argument);
	tcase_add_test(tc, P16_send_possible_replaces_dead_name);
	tcase_add_test(tc, P16_dead_name_replaces_send_possible);
	tcase_add_test(tc, P16_cancel_with_either_msgid);
	tcase_add_test(tc, P16_slot_is_per_name_not_per_port);
	tcase_add_test(tc, P17_port_death_notifies_every_space);
	tcase_add_test(
	    tc, P17_receiver_space_destroyed_handler_deallocates_twice);
	tcase_add_test(tc, P18_deallocate_last_uref_port_deleted);
	tcase_add_test(tc, P18_mod_refs_last_uref_port_deleted);
	tcase_add_test(tc, P18_destroy_send_right_port_deleted);
	tcase_add_test(tc, P18_move_send_last_uref_as_dest_port_deleted);
	tcase_add_test(tc, P18_move_send_not_last_uref_keeps_request);
	tcase_add_test(tc, P18_move_send_in_descriptor_port_deleted);
	tcase_add_test(tc, P18_move_send_once_as_dest_port_deleted);
	tcase_add_test(tc, P18_move_receive_of_receive_only_name_port_deleted);
	tcase_add_test(tc, P18_insert_right_move_send_port_deleted);
	tcase_add_test(tc, P18_extract_right_move_send_once_port_deleted);
	tcase_add_test(tc, P18_deallocate_send_once_port_deleted_and_send_once);
	tcase_add_test(tc, P19_destroy_receive_name_port_deleted);
	tcase_add_test(tc, P19_destroy_receive_only_name_port_deleted);
	tcase_add_test(tc, P19_mod_refs_receive_on_send_receive_name_dead_name);
	tcase_add_test(
	    tc, P19_mod_refs_receive_on_receive_only_name_port_deleted);
	tcase_add_test(tc, P20_name_null_or_dead_invalid_argument);
	tcase_add_test(tc, P20_unknown_name_and_port_set_refused);
	tcase_add_test(tc, P20_registered_request_shows_dnrequest);
	tcase_add_test(tc, P21_queue_not_full_fires_immediately);
	tcase_add_test(tc, P21_send_once_name_fires_immediately_when_full);
	tcase_add_test(tc, P21_queue_full_registers_armed);
	tcase_add_test(tc, P21_immediate_fire_returns_previous);
	tcase_add_test(tc, P22_sync_zero_not_armed_by_full_queue);
	tcase_add_test(tc, P22_send_notify_on_full_queue_arms);
	tcase_add_test(tc, P22_plain_send_on_full_queue_does_not_arm);
	tcase_add_test(tc, P22_send_notify_through_other_name_does_not_arm);
	tcase_add_test(tc, P22_send_notify_with_room_does_not_arm);
	tcase_add_test(tc, P23_all_armed_requests_fire_together);
	tcase_add_test(tc, P23_armed_request_waits_for_dequeue);
	tcase_add_test(tc, P24_port_death_armed_fires_dead_name);
	tcase_add_test(tc, P24_port_death_armed_empty_queue_fires_dead_name);
	tcase_add_test(tc, P24_port_death_unarmed_fires_dead_name);
	tcase_add_test(tc, P24_name_gone_fires_port_deleted);
	tcase_add_test(tc, P24_dead_name_fires_dead_name_immediately);
	tcase_add_test(tc, P24_send_right_to_dead_port_fires_dead_name);
	tcase_add_test(tc, P25_deallocate_notifies);
	tcase_add_test(tc, P25_mod_refs_minus_one_notifies);
	tcase_add_test(tc, P25_destroy_notifies);
	tcase_add_test(tc, P25_space_destroyed_notifies_each);
	tcase_add_test(tc, P25_destroyed_message_reply_right_notifies);
	tcase_add_test(tc, P25_destroyed_message_descriptor_rights_notify);
	tcase_add_test(tc, P25_mach_msg_destroy_of_received_message_notifies);
	tcase_add_test(tc, P25_refused_request_notifies);
	tcase_add_test(tc, P25_failed_insert_right_notifies);
	tcase_add_test(tc, P25_rcv_too_large_reply_notifies);
	tcase_add_test(tc, P25_body_copyin_failure_notifies);
	tcase_add_test(tc, P25_used_as_destination_no_notification);
	tcase_add_test(tc, P26_only_names_with_requests_report_deletion);
	tcase_add_test(tc, P26_fired_or_cancelled_request_reports_nothing);
	tcase_add_test(tc, P26_registrant_space_destroyed_port_deleted);
	tcase_add_test(tc, P27_notifications_bypass_qlimit_and_take_seqnos);
	tcase_add_test(tc, P27_local_port_is_the_receivers_name);
	tcase_add_test(tc, P27_kernel_sender_token_in_every_trailer_size);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(notify_p_kinds_b_suite)

/*
 * Deferred:
 *   P15 cancelling (notify MACH_PORT_NULL) on a dead name or a port set
 *       (XNU answers KERN_SUCCESS, previous NULL, before any type check;
 *       MACH.md is silent); newer XNU's KERN_DENIED for send-once names of
 *       ports whose policy forbids dead-name requests.
 *   P17 the order of the DEAD_NAME messages when several registrations
 *       share one notify port (each test uses one notify port per name).
 *   P19 a dead-name request on a send+receive name whose port has a
 *       port-destroyed request (the receive right leaves, the name stays a
 *       live send right).
 *   P20 mach_port_names' SPREQUEST / SPREQUEST_DELAYED bits (D3: "may
 *       appear"); only mach_port_type is asserted.
 *   P22 MACH_SEND_NOTIFY's "enqueued ignoring qlimit" when the queue has
 *       room (not observable without a racing sender).
 *   P23 whether a dequeue that destroys the message (MACH_RCV_TOO_LARGE
 *       without MACH_RCV_LARGE) fires armed requests (XNU fires them from
 *       the copy-out of a received message; MACH.md says "dequeues").
 *   P25 a send-once right used as the destination of a message that is
 *       then destroyed while its port lives; the 65534-message cap; rights
 *       to dead ports (nothing to observe).
 *   Version notes (older XNU behaviours) are not tested.
 */
