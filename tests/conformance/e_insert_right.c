/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * e_insert_right.c -- MACH.md area E: mach_port_insert_right.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_insert_<case>.  Same-task cases use the Mach
 * spelling on mach_task_self(); cross-space cases use the native
 * mipc_port_insert_right with spaces from mipc_space_create, or switch
 * the thread's current space, since `poly` is always read from the
 * calling thread's current space.
 *
 * Where a failed insert destroys a send-once right, the port receives a
 * MACH_NOTIFY_SEND_ONCE message; those tests do not read mps_sorights,
 * which stays raised while that message is queued (the notification is
 * deferred, see the end of the file).
 */
#include "conformance.h"

/* Names that no insert may use (MACH.md 1.3, A6, E6). */
#define NAME_LOW_BITS_122 ((mach_port_name_t)122) /* 0x7a: low bits 10 */
#define NAME_INDEX0_123   ((mach_port_name_t)123) /* 0x7b: index 0 */
#define NAME_INDEX_HUGE   ((mach_port_name_t)0xffffff03u) /* index 2^24-1 */

/* ---- E1: MAKE_SEND into the receive right's own name ------------------- */

START_TEST(E1_insert_make_send_same_name_adds_send)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st;

	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_RECEIVE), 1);
	st = status_of(task, r);
	VAL_EQ(st.mps_mscount, 1);
	VAL_EQ(st.mps_srights, 1);
	VAL_EQ(st.mps_sorights, 0);
	VAL_EQ(srights_of(task, r), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E1_insert_make_send_repeated_counts_mscount)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	int i;

	for (i = 1; i <= 3; i++) {
		KR_EQ(mipc_port_insert_right(task, r, mipc_thread_space(), r,
		          MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
		VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), i);
		VAL_EQ(status_of(task, r).mps_mscount, i);
		/* One send right per name, however many urefs. */
		VAL_EQ(srights_of(task, r), 1);
	}
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
}
END_TEST

START_TEST(E1_insert_make_send_native_other_space)
{
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);

	KR_EQ(mipc_port_insert_right(b, r, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(b, r, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(b, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(status_of(b, r).mps_mscount, 2);
	VAL_EQ(srights_of(b, r), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E2: COPY_SEND ------------------------------------------------------ */

START_TEST(E2_insert_copy_send_adds_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_COPY_SEND),
	    KERN_SUCCESS);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	/* COPY_SEND makes no send right: mscount and srights unchanged. */
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E2_insert_copy_send_pure_send_adds_uref)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t s = send_in(task, b, r);

	KR_EQ(mipc_port_insert_right(
	          task, s, mipc_thread_space(), s, MACH_MSG_TYPE_COPY_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(b, r), 1);
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E2_insert_copy_send_receive_only_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 0);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E2_insert_copy_send_send_once_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);

	KR_EQ(mipc_port_insert_right(
	          task, so, mipc_thread_space(), so, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(task, so, MACH_PORT_RIGHT_SEND_ONCE), 1);
	VAL_EQ(status_of(task, r).mps_sorights, 1);
	expect_no_fatal_guard();
}
END_TEST

/* ---- E3: MAKE_SEND needs a receive right -------------------------------- */

START_TEST(E3_insert_make_send_on_send_only_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t s = send_in(task, b, r);

	KR_EQ(mipc_port_insert_right(
	          task, s, mipc_thread_space(), s, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E3_insert_make_send_on_port_set_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_right(
	          task, ps, mipc_thread_space(), ps, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(refs_of(task, ps, MACH_PORT_RIGHT_PORT_SET), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E3_insert_make_send_on_send_once_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);

	KR_EQ(mipc_port_insert_right(
	          task, so, mipc_thread_space(), so, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	VAL_EQ(status_of(task, r).mps_sorights, 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E3_insert_make_send_on_dead_name_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);

	KR_EQ(mipc_port_insert_right(
	          task, d, mipc_thread_space(), d, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_CAPABILITY);
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E3_insert_copy_send_on_dead_name_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);

	KR_EQ(mipc_port_insert_right(
	          task, d, mipc_thread_space(), d, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_CAPABILITY);
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	expect_no_fatal_guard();
}
END_TEST

/* ---- E4: dispositions outside 16..21 ------------------------------------ */

static const mach_msg_type_name_t bad_disps[] = {
	MACH_MSG_TYPE_PORT_NONE,
	MACH_MSG_TYPE_PORT_NAME,
	MACH_MSG_TYPE_COPY_RECEIVE,
	MACH_MSG_TYPE_DISPOSE_RECEIVE,
	MACH_MSG_TYPE_DISPOSE_SEND,
	MACH_MSG_TYPE_DISPOSE_SEND_ONCE,
	MACH_MSG_TYPE_POLYMORPHIC,
};

START_TEST(E4_insert_bad_disposition_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;
	size_t i;

	make_send(task, r);
	n = free_name(task);
	for (i = 0; i < sizeof(bad_disps) / sizeof(bad_disps[0]); i++) {
		/* Into the right's own name and into a free name. */
		KR_EQ(mipc_port_insert_right(
		          task, r, mipc_thread_space(), r, bad_disps[i]),
		    KERN_INVALID_RIGHT);
		KR_EQ(mipc_port_insert_right(
		          task, n, mipc_thread_space(), r, bad_disps[i]),
		    KERN_INVALID_RIGHT);
	}
	/* Nothing changed. */
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(status_of(task, r).mps_sorights, 0);
	VAL_EQ(srights_of(task, r), 1);
	NAME_GONE(task, n);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E4_insert_bad_disposition_unknown_poly_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t poly = free_name(task);
	mach_port_name_t n = free_name(task);

	/* n and poly may share a slot: only poly's emptiness matters. */
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), poly, MACH_MSG_TYPE_PORT_NONE),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(), poly,
	          MACH_MSG_TYPE_DISPOSE_SEND),
	    KERN_INVALID_NAME);
	NAME_GONE(task, n);
	expect_no_fatal_guard();
}
END_TEST

/* ---- E5: poly names nothing --------------------------------------------- */

START_TEST(E5_insert_unknown_poly_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t poly = free_name(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_insert_right(task, poly, mipc_thread_space(), poly,
	          MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(task, poly, mipc_thread_space(), poly,
	          MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_NAME);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(), poly,
	          MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), poly, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(), poly,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_INVALID_NAME);
	NAME_GONE(task, n);
	NAME_GONE(task, poly);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E5_insert_null_poly_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(),
	          MACH_PORT_NULL, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(),
	          MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(),
	          MACH_PORT_NULL, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_NAME);
	NAME_GONE(task, n);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E5_insert_dead_poly_fails)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = free_name(task);

	/* MACH.md pins no code for MACH_PORT_DEAD as poly on the trap path. */
	KR_FAILS(mipc_port_insert_right(task, n, mipc_thread_space(),
	    MACH_PORT_DEAD, MACH_MSG_TYPE_MAKE_SEND));
	KR_FAILS(mipc_port_insert_right(task, n, mipc_thread_space(),
	    MACH_PORT_DEAD, MACH_MSG_TYPE_COPY_SEND));
	NAME_GONE(task, n);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E5_insert_unknown_poly_native_from_other_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = free_name(b);

	/* r is a name of task, not of b: as a poly from b it names nothing. */
	KR_EQ(mipc_port_insert_right(task, n, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_NAME);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E6: invalid target names; the copied-in right is destroyed --------- */

START_TEST(E6_insert_null_name_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_insert_right(task, MACH_PORT_NULL, mipc_thread_space(),
	          r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_VALUE);
	/* The send right was made (mscount 1), then destroyed. */
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(status_of(task, r).mps_srights, 0);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E6_insert_dead_name_value_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_insert_right(task, MACH_PORT_DEAD, mipc_thread_space(),
	          r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_VALUE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E6_insert_name_low_bits_invalid_value)
{
	static const mach_port_name_t bad[] = { NAME_LOW_BITS_122, 0x1000,
		0x1001, 0x1002, 0x12340 };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KR_EQ(mipc_port_insert_right(task, bad[i], mipc_thread_space(),
		          r, MACH_MSG_TYPE_MAKE_SEND),
		    KERN_INVALID_VALUE);
		NAME_GONE(task, bad[i]);
	}
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 5);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E6_insert_name_index_zero_failure)
{
	static const mach_port_name_t bad[] = { NAME_INDEX0_123, 0x03, 0xff };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		KR_EQ(mipc_port_insert_right(task, bad[i], mipc_thread_space(),
		          r, MACH_MSG_TYPE_MAKE_SEND),
		    KERN_FAILURE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 3);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E6_insert_name_index_too_large_no_space)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_insert_right(task, NAME_INDEX_HUGE, mipc_thread_space(),
	          r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_NO_SPACE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E6_insert_bad_name_copy_send_keeps_urefs)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_insert_right(task, NAME_LOW_BITS_122,
	          mipc_thread_space(), r, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_VALUE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 2);
}
END_TEST

START_TEST(E6_insert_bad_name_move_send_consumes_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_insert_right(task, NAME_INDEX0_123, mipc_thread_space(),
	          r, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_FAILURE);
	/* The moved uref was destroyed with the failed insert. */
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_port_insert_right(task, NAME_INDEX0_123, mipc_thread_space(),
	          r, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_FAILURE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(srights_of(task, r), 0);
}
END_TEST

START_TEST(E6_insert_bad_name_move_receive_destroys_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_insert_right(task, NAME_LOW_BITS_122,
	          mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_VALUE);
	NAME_GONE(task, r);
	VAL_EQ(live_ports(), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E6_insert_bad_name_native_other_space)
{
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);

	KR_EQ(mipc_port_insert_right(
	          b, NAME_INDEX0_123, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_FAILURE);
	KR_EQ(mipc_port_insert_right(
	          b, NAME_LOW_BITS_122, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_insert_right(
	          b, MACH_PORT_NULL, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_VALUE);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(b, r).mps_mscount, 3);
	VAL_EQ(srights_of(b, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E7: a send right under a free name --------------------------------- */

START_TEST(E7_insert_send_into_other_space)
{
	mipc_space_t a = space_new();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t n = free_name(a);
	mach_port_status_t st;

	KR_EQ(mipc_port_insert_right(a, n, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(a, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(a, n, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	st = status_of(b, r);
	VAL_EQ(st.mps_mscount, 1);
	VAL_EQ(st.mps_srights, 1);
	VAL_EQ(srights_of(b, r), 1);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E7_insert_send_into_other_task_mach)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t a = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = free_name(a);

	/* poly is read from the calling thread's space (task). */
	KR_EQ(mipc_port_insert_right(
	          a, n, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(a, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(a, n, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
}
END_TEST

START_TEST(E7_insert_send_fixed_name_in_new_space)
{
	const mach_port_name_t n = 0x1203; /* index 0x12, low bits 11 */
	mipc_space_t a = space_new();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);

	/* A new space is empty: any well-formed name is free. */
	KR_EQ(mipc_port_insert_right(a, n, b, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(a, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(name_count(a), 1);
	VAL_EQ(srights_of(b, r), 1);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E7_insert_move_last_send_renames)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t s = send_in(task, b, r);
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), s, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	NAME_GONE(task, s);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, n, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(b, r), 1);
	/* MOVE_SEND makes nothing: mscount is still the first MAKE_SEND's. */
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E7_insert_poly_from_current_space)
{
	mipc_space_t a = space_new();
	mipc_space_t b = space_new();
	mipc_space_t prev;
	mach_port_name_t r = recv_new(b);
	mach_port_name_t n = free_name(a);
	kern_return_t kr;

	/* With b as the thread's current space, poly r is b's name. */
	prev = mipc_thread_set_space(b);
	ck_assert_ptr_eq(mipc_thread_space(), b);
	kr = mipc_port_insert_right(
	    a, n, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND);
	mipc_thread_set_space(prev);
	KR_EQ(kr, KERN_SUCCESS);
	VAL_EQ(type_of(a, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(srights_of(b, r), 1);
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E8: the space already holds the port under another name ------------ */

START_TEST(E8_insert_make_send_other_name_right_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_RIGHT_EXISTS);
	NAME_GONE(task, n);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	/* The transient send right counted, then was destroyed. */
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(status_of(task, r).mps_srights, 0);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E8_insert_make_send_other_name_with_send_right_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;

	make_send(task, r);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_RIGHT_EXISTS);
	NAME_GONE(task, n);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 2);
	VAL_EQ(srights_of(task, r), 1);
}
END_TEST

START_TEST(E8_insert_other_port_right_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p1 = recv_new(task);
	mach_port_name_t p2 = recv_new(task);

	/* tests/mach_port_insert_right.c: p2's send right under name p1. */
	KR_EQ(mipc_port_insert_right(
	          task, p1, mipc_thread_space(), p2, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_RIGHT_EXISTS);
	VAL_EQ(type_of(task, p1), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(task, p2), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, p1).mps_mscount, 0);
	VAL_EQ(status_of(task, p2).mps_mscount, 1);
	VAL_EQ(srights_of(task, p2), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E8_insert_copy_send_other_name_right_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t p1 = recv_new(task);
	mach_port_name_t p2 = recv_new(task);

	make_send(task, p2);
	KR_EQ(mipc_port_insert_right(
	          task, p1, mipc_thread_space(), p2, MACH_MSG_TYPE_COPY_SEND),
	    KERN_RIGHT_EXISTS);
	VAL_EQ(type_of(task, p1), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, p2, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(task, p2), 1);
	VAL_EQ(status_of(task, p2).mps_mscount, 1);
}
END_TEST

START_TEST(E8_insert_other_port_name_exists)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t p1 = recv_new(task);
	mach_port_name_t r2 = recv_new(b);

	/* task holds nothing for r2's port: the name is simply in use. */
	KR_EQ(mipc_port_insert_right(task, p1, b, r2, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_NAME_EXISTS);
	VAL_EQ(type_of(task, p1), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, p1, MACH_PORT_RIGHT_SEND), 0);
	VAL_EQ(status_of(b, r2).mps_mscount, 1);
	VAL_EQ(srights_of(b, r2), 0);
	VAL_EQ(type_of(b, r2), MACH_PORT_TYPE_RECEIVE);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E8_insert_moved_last_send_onto_used_name_name_exists)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t s = send_in(task, b, r);
	mach_port_name_t ps = pset_new(task);

	/* Moving the last uref leaves task without a right for the port. */
	KR_EQ(mipc_port_insert_right(
	          task, ps, mipc_thread_space(), s, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_NAME_EXISTS);
	NAME_GONE(task, s);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(srights_of(b, r), 0);
	VAL_EQ(status_of(b, r).mps_srights, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E9: MAKE_SEND_ONCE never merges ------------------------------------ */

START_TEST(E9_insert_make_send_once_new_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = free_name(task);
	mach_port_status_t st;

	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(), r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(task, n, MACH_PORT_RIGHT_SEND_ONCE), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	st = status_of(task, r);
	VAL_EQ(st.mps_sorights, 1);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_srights, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E9_insert_make_send_once_never_merges)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n1 = sonce_in(task, r);
	mach_port_name_t n2 = sonce_in(task, r);

	VAL_NE(n1, n2);
	VAL_EQ(type_of(task, n1), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, n2), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(status_of(task, r).mps_sorights, 2);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
}
END_TEST

START_TEST(E9_insert_make_send_once_same_name_name_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_insert_right(task, r, mipc_thread_space(), r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_NAME_EXISTS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND_ONCE), 0);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E9_insert_make_send_once_used_name_name_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t so = sonce_in(task, r);

	KR_EQ(mipc_port_insert_right(task, ps, mipc_thread_space(), r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_NAME_EXISTS);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	/* Onto another send-once name for the same port: no merge either. */
	KR_EQ(mipc_port_insert_right(task, so, mipc_thread_space(), r,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_NAME_EXISTS);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(task, so, MACH_PORT_RIGHT_SEND_ONCE), 1);
	expect_no_fatal_guard();
}
END_TEST

/* ---- E10: MOVE_SEND_ONCE ------------------------------------------------ */

START_TEST(E10_insert_move_send_once_renames)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(), so,
	          MACH_MSG_TYPE_MOVE_SEND_ONCE),
	    KERN_SUCCESS);
	NAME_GONE(task, so);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(task, n, MACH_PORT_RIGHT_SEND_ONCE), 1);
	VAL_EQ(status_of(task, r).mps_sorights, 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E10_insert_move_send_once_used_name_name_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_right(task, ps, mipc_thread_space(), so,
	          MACH_MSG_TYPE_MOVE_SEND_ONCE),
	    KERN_NAME_EXISTS);
	/* The right left `so` and was destroyed. */
	NAME_GONE(task, so);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	expect_no_fatal_guard();
}
END_TEST

/* ---- E11: MOVE_RECEIVE to a free name: the limbo resets ----------------- */

START_TEST(E11_insert_move_receive_renames)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, n, MACH_PORT_RIGHT_RECEIVE), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E11_insert_move_receive_resets_mscount)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_set_mscount(task, r, 7), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 7);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, n).mps_mscount, 0);
}
END_TEST

START_TEST(E11_insert_move_receive_resets_seqno)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_set_seqno(task, r, 9), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_seqno, 9);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, n).mps_seqno, 0);
}
END_TEST

START_TEST(E11_insert_move_receive_clears_context)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_set_context(task, r, 0xfeedface12345678ull),
	    KERN_SUCCESS);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(ctx_of(task, n), 0);
	/* A zero context can be guarded again (Q9). */
	KR_EQ(mipc_port_guard(task, n, 0x42, FALSE), KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E11_insert_move_receive_clears_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_guard(task, r, 0x77, FALSE), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, n).mps_flags, 0);
	VAL_EQ(ctx_of(task, n), 0);
	/* No guard is left: a new one can be set and removed. */
	KR_EQ(mipc_port_guard(task, n, 0x88, FALSE), KERN_SUCCESS);
	KR_EQ(mipc_port_unguard(task, n, 0x88), KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E11_insert_move_receive_clears_strict_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x99);
	mach_port_name_t n;

	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, n).mps_flags, 0);
	VAL_EQ(ctx_of(task, n), 0);
	/* Unguarded now: mod_refs(RECEIVE, -1) may destroy it. */
	KR_EQ(mipc_port_mod_refs(task, n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	NAME_GONE(task, n);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E11_insert_move_receive_leaves_port_sets)
{
	mach_port_name_t m[4];
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_pset, 1);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, n).mps_pset, 0);
	VAL_EQ(members_of(task, ps1, m, 4), 0);
	VAL_EQ(members_of(task, ps2, m, 4), 0);
	KR_EQ(mipc_port_extract_member(task, n, ps1), KERN_NOT_IN_SET);
}
END_TEST

START_TEST(E11_insert_move_receive_keeps_qlimit)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t r0 = recv_new(task);
	mach_port_name_t n;

	set_qlimit(task, r, 3);
	set_qlimit(task, r0, 0);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(qlimit_of(task, n), 3);
	VAL_EQ(status_of(task, n).mps_qlimit, 3);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r0, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(qlimit_of(task, n), 0);
}
END_TEST

START_TEST(E11_insert_move_receive_into_other_space)
{
	mach_port_name_t m[4];
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t n;
	mach_port_status_t st;

	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_set_mscount(task, r, 11), KERN_SUCCESS);
	KR_EQ(mipc_port_set_seqno(task, r, 12), KERN_SUCCESS);
	KR_EQ(mipc_port_set_context(task, r, 13), KERN_SUCCESS);
	set_qlimit(task, r, 14);
	n = free_name(b);
	KR_EQ(mipc_port_insert_right(
	          b, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(members_of(task, ps, m, 4), 0);
	VAL_EQ(type_of(b, n), MACH_PORT_TYPE_RECEIVE);
	st = status_of(b, n);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_seqno, 0);
	VAL_EQ(st.mps_pset, 0);
	VAL_EQ(st.mps_qlimit, 14);
	VAL_EQ(ctx_of(b, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E12: MOVE_RECEIVE out of a send+receive name ----------------------- */

START_TEST(E12_insert_move_receive_with_send_right_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n;

	make_send(task, r);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_RIGHT_EXISTS);
	NAME_GONE(task, n);
	/* The receive right was destroyed: the send name is now dead. */
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_DEAD_NAME), 1);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_RECEIVE), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E12_insert_move_receive_with_send_keeps_urefs_dead)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t sb = send_in(b, task, r);
	mach_port_name_t n;

	make_send(task, r);
	make_send(task, r);
	make_send(task, r);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_RIGHT_EXISTS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_DEAD_NAME), 3);
	/* The port is dead for every holder. */
	VAL_EQ(type_of(b, sb), MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E13: MOVE back into the same name ---------------------------------- */

START_TEST(E13_insert_move_receive_same_name)
{
	mach_port_name_t m[4];
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_status_t st;

	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_set_mscount(task, r, 5), KERN_SUCCESS);
	KR_EQ(mipc_port_set_seqno(task, r, 6), KERN_SUCCESS);
	KR_EQ(mipc_port_set_context(task, r, 7), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	st = status_of(task, r);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_seqno, 0);
	VAL_EQ(st.mps_pset, 0);
	VAL_EQ(ctx_of(task, r), 0);
	VAL_EQ(members_of(task, ps, m, 4), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E13_insert_move_receive_same_name_with_send)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_set_seqno(task, r, 4), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	VAL_EQ(status_of(task, r).mps_seqno, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E13_insert_move_send_same_name_no_change)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 2);
	/* The last uref, too. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, -1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(task, r), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(E13_insert_move_send_same_name_pure_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t s = send_in(task, b, r);

	KR_EQ(mipc_port_insert_right(
	          task, s, mipc_thread_space(), s, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(b, r), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- E14: immovable receive rights -------------------------------------- */

START_TEST(E14_insert_move_receive_immovable_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, 0x1234);
	mach_port_name_t n = free_name(task);

	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	NAME_GONE(task, n);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	VAL_EQ(ctx_of(task, r), 0x1234);
	/* Into its own name, too. */
	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_port_destruct(task, r, 0, 0x1234), KERN_SUCCESS);
}
END_TEST

START_TEST(E14_insert_move_receive_guard_flag_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = free_name(b);

	KR_EQ(mipc_port_guard_with_flags(task, r, 0x55, MPG_IMMOVABLE_RECEIVE),
	    KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          b, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	NAME_GONE(b, n);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(name_count(b), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(E14_insert_move_receive_reply_port_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_REPLY_PORT, 0);
	mach_port_name_t n = free_name(task);

	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	expect_only_guard(kGUARD_EXC_IMMOVABLE);
	NAME_GONE(task, n);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

/* ---- E15: dead names cannot be inserted --------------------------------- */

START_TEST(E15_insert_move_send_dead_name_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);
	mach_port_name_t n;

	KR_EQ(mipc_port_mod_refs(task, d, MACH_PORT_RIGHT_DEAD_NAME, 1),
	    KERN_SUCCESS);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), d, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_INVALID_CAPABILITY);
	NAME_GONE(task, n);
	/* The moved dead-name uref is consumed. */
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), d, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_INVALID_CAPABILITY);
	NAME_GONE(task, d);
	NAME_GONE(task, n);
	expect_no_fatal_guard();
}
END_TEST

/*
 * Regressions (fuzz_ops findings insert_dead_right_bad_name_order and
 * insert_right_exists_vs_generation): XNU refuses a dead right before it
 * looks at the target name, and runs the name's own checks
 * (ipc_entry_alloc_name: a slot in use under another generation is
 * KERN_FAILURE) before the reverse lookup that gives KERN_RIGHT_EXISTS.
 */
START_TEST(E15_dead_right_refused_before_name_checks)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);
	mach_port_name_t bad = free_name(task) & ~3u; /* low bits 00 */

	KR_EQ(mipc_port_insert_right(
	          task, bad, mipc_thread_space(), d, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_INVALID_CAPABILITY);
	NAME_GONE(task, d); /* its one uref was moved and consumed */
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E8_slot_of_other_generation_failure_before_right_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	/* The same slot under the next generation (A6). */
	mach_port_name_t other = (r & ~0xffu) | ((r + 4u) & 0xffu);

	make_send(task, r);
	KR_EQ(mipc_port_insert_right(
	          task, other, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_FAILURE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(task, r), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(E15_insert_copy_send_dead_name_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), d, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_CAPABILITY);
	NAME_GONE(task, n);
	/* COPY_SEND consumes nothing. */
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	expect_no_fatal_guard();
}
END_TEST

/*
 * Found by fuzz_ops (with per-step state checks off, which otherwise hide
 * it: their queries convert too).  insert_right(s, s, COPY_SEND) on a
 * send-once name whose port died is refused, and -- as XNU's
 * ipc_object_insert_send_right, which only asks whether the port lives --
 * leaves the name unconverted: a later send through it is still C8's.
 */
START_TEST(E2_insert_copy_send_dead_port_leaves_name_unconverted)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b), s;
	mach_msg_type_name_t t;
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
	};

	KR_EQ(mipc_port_extract_right(
	          b, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, task, &s, &t),
	    KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS); /* the port dies */
	KR_EQ(mipc_port_insert_right(
	          task, s, mipc_thread_space(), s, MACH_MSG_TYPE_COPY_SEND),
	    KERN_INVALID_CAPABILITY);
	KR_EQ(mipc_port_insert_right(
	          task, s, mipc_thread_space(), s, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_CAPABILITY);
	/* C8: an unconverted send-once name to a dead port still sends. */
	h.msgh_remote_port = s;
	KR_EQ(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0,
	          MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	NAME_GONE(task, s);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static Suite *
e_insert_right_suite(void)
{
	Suite *s = suite_create("E_insert_right");
	TCase *tc;

	tc = conf_tcase("E1_E3_make_copy_send");
	tcase_add_test(tc, E1_insert_make_send_same_name_adds_send);
	tcase_add_test(tc, E1_insert_make_send_repeated_counts_mscount);
	tcase_add_test(tc, E1_insert_make_send_native_other_space);
	tcase_add_test(tc, E2_insert_copy_send_adds_uref);
	tcase_add_test(tc, E2_insert_copy_send_pure_send_adds_uref);
	tcase_add_test(tc, E2_insert_copy_send_receive_only_invalid_right);
	tcase_add_test(tc, E2_insert_copy_send_send_once_invalid_right);
	tcase_add_test(tc, E3_insert_make_send_on_send_only_invalid_right);
	tcase_add_test(tc, E3_insert_make_send_on_port_set_invalid_right);
	tcase_add_test(tc, E3_insert_make_send_on_send_once_invalid_right);
	tcase_add_test(tc, E3_insert_make_send_on_dead_name_invalid_capability);
	tcase_add_test(tc, E3_insert_copy_send_on_dead_name_invalid_capability);
	suite_add_tcase(s, tc);

	tc = conf_tcase("E4_E6_bad_arguments");
	tcase_add_test(tc, E4_insert_bad_disposition_invalid_right);
	tcase_add_test(tc, E4_insert_bad_disposition_unknown_poly_invalid_name);
	tcase_add_test(tc, E5_insert_unknown_poly_invalid_name);
	tcase_add_test(tc, E5_insert_null_poly_invalid_name);
	tcase_add_test(tc, E5_insert_dead_poly_fails);
	tcase_add_test(tc, E5_insert_unknown_poly_native_from_other_space);
	tcase_add_test(tc, E6_insert_null_name_invalid_value);
	tcase_add_test(tc, E6_insert_dead_name_value_invalid_value);
	tcase_add_test(tc, E6_insert_name_low_bits_invalid_value);
	tcase_add_test(tc, E6_insert_name_index_zero_failure);
	tcase_add_test(tc, E6_insert_name_index_too_large_no_space);
	tcase_add_test(tc, E6_insert_bad_name_copy_send_keeps_urefs);
	tcase_add_test(tc, E6_insert_bad_name_move_send_consumes_uref);
	tcase_add_test(tc, E6_insert_bad_name_move_receive_destroys_port);
	tcase_add_test(tc, E6_insert_bad_name_native_other_space);
	suite_add_tcase(s, tc);

	tc = conf_tcase("E7_E10_names");
	tcase_add_test(tc, E7_insert_send_into_other_space);
	tcase_add_test(tc, E7_insert_send_into_other_task_mach);
	tcase_add_test(tc, E7_insert_send_fixed_name_in_new_space);
	tcase_add_test(tc, E7_insert_move_last_send_renames);
	tcase_add_test(tc, E7_insert_poly_from_current_space);
	tcase_add_test(tc, E8_insert_make_send_other_name_right_exists);
	tcase_add_test(
	    tc, E8_insert_make_send_other_name_with_send_right_exists);
	tcase_add_test(tc, E8_insert_other_port_right_exists);
	tcase_add_test(tc, E8_insert_copy_send_other_name_right_exists);
	tcase_add_test(tc, E8_insert_other_port_name_exists);
	tcase_add_test(
	    tc, E8_insert_moved_last_send_onto_used_name_name_exists);
	tcase_add_test(tc, E9_insert_make_send_once_new_name);
	tcase_add_test(tc, E9_insert_make_send_once_never_merges);
	tcase_add_test(tc, E9_insert_make_send_once_same_name_name_exists);
	tcase_add_test(tc, E9_insert_make_send_once_used_name_name_exists);
	tcase_add_test(tc, E10_insert_move_send_once_renames);
	tcase_add_test(tc, E10_insert_move_send_once_used_name_name_exists);
	suite_add_tcase(s, tc);

	tc = conf_tcase("E11_E15_move_receive");
	tcase_add_test(tc, E11_insert_move_receive_renames);
	tcase_add_test(tc, E11_insert_move_receive_resets_mscount);
	tcase_add_test(tc, E11_insert_move_receive_resets_seqno);
	tcase_add_test(tc, E11_insert_move_receive_clears_context);
	tcase_add_test(tc, E11_insert_move_receive_clears_guard);
	tcase_add_test(tc, E11_insert_move_receive_clears_strict_guard);
	tcase_add_test(tc, E11_insert_move_receive_leaves_port_sets);
	tcase_add_test(tc, E11_insert_move_receive_keeps_qlimit);
	tcase_add_test(tc, E11_insert_move_receive_into_other_space);
	tcase_add_test(tc, E12_insert_move_receive_with_send_right_exists);
	tcase_add_test(tc, E12_insert_move_receive_with_send_keeps_urefs_dead);
	tcase_add_test(tc, E13_insert_move_receive_same_name);
	tcase_add_test(tc, E13_insert_move_receive_same_name_with_send);
	tcase_add_test(tc, E13_insert_move_send_same_name_no_change);
	tcase_add_test(tc, E13_insert_move_send_same_name_pure_send);
	tcase_add_test(
	    tc, E14_insert_move_receive_immovable_invalid_capability);
	tcase_add_test(
	    tc, E14_insert_move_receive_guard_flag_invalid_capability);
	tcase_add_test(
	    tc, E14_insert_move_receive_reply_port_invalid_capability);
	tcase_add_test(tc, E15_insert_move_send_dead_name_invalid_capability);
	tcase_add_test(tc, E15_dead_right_refused_before_name_checks);
	tcase_add_test(
	    tc, E8_slot_of_other_generation_failure_before_right_exists);
	tcase_add_test(tc, E15_insert_copy_send_dead_name_invalid_capability);
	tcase_add_test(
	    tc, E2_insert_copy_send_dead_port_leaves_name_unconverted);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(e_insert_right_suite)

/*
 * Deferred to the messages / notifications issues (need mach_msg,
 * mach_port_request_notification or a notification message):
 *   E8   the armed no-senders request that fires when a failed MAKE_SEND
 *        insert destroys the port's only send right;
 *   E9   the MACH_NOTIFY_SEND_ONCE message a failed MAKE_SEND_ONCE insert
 *        sends (and mps_sorights dropping once it is received);
 *   E10  the MACH_NOTIFY_SEND_ONCE message of a failed MOVE_SEND_ONCE;
 *   E11  queued messages kept across a MOVE_RECEIVE insert;
 *   E12  the "goes to its backup" case (port-destroyed request);
 *   E14  special reply ports (no API to make one yet).
 */
