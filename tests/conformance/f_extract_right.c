/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * f_extract_right.c -- MACH.md area F: mach_port_extract_right.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_extract_<case>.  mach_port_extract_right copies the
 * right out into the calling thread's current space; the native
 * mipc_port_extract_right names the destination space.  Cross-space
 * cases take rights out of spaces from mipc_space_create; same-task
 * round trips (F6) take them out of mach_task_self() and back in.
 */
#include "conformance.h"

static const mach_msg_type_name_t good_disps[] = {
	MACH_MSG_TYPE_MOVE_RECEIVE,
	MACH_MSG_TYPE_MOVE_SEND,
	MACH_MSG_TYPE_MOVE_SEND_ONCE,
	MACH_MSG_TYPE_COPY_SEND,
	MACH_MSG_TYPE_MAKE_SEND,
	MACH_MSG_TYPE_MAKE_SEND_ONCE,
};

static const mach_msg_type_name_t bad_disps[] = {
	MACH_MSG_TYPE_PORT_NONE,
	MACH_MSG_TYPE_PORT_NAME,
	MACH_MSG_TYPE_COPY_RECEIVE,
	MACH_MSG_TYPE_DISPOSE_RECEIVE,
	MACH_MSG_TYPE_DISPOSE_SEND,
	MACH_MSG_TYPE_DISPOSE_SEND_ONCE,
	MACH_MSG_TYPE_POLYMORPHIC,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- F1: dispositions outside 16..21 ------------------------------------ */

START_TEST(F1_extract_bad_disposition_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;
	size_t i;

	make_send(task, r);
	for (i = 0; i < NELEM(bad_disps); i++)
		KR_EQ(mipc_port_extract_right(task, r, bad_disps[i],
		          mipc_thread_space(), &poly, &pt),
		    KERN_INVALID_VALUE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(status_of(task, r).mps_sorights, 0);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(name_count(task), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F1_extract_bad_disposition_checked_before_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	KR_EQ(mipc_port_extract_right(task, MACH_PORT_NULL,
	          MACH_MSG_TYPE_PORT_NONE, mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_extract_right(task, MACH_PORT_DEAD,
	          MACH_MSG_TYPE_COPY_RECEIVE, mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_extract_right(task, unknown, MACH_MSG_TYPE_DISPOSE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_VALUE);
	expect_no_fatal_guard();
}
END_TEST

/* ---- F2: null, dead and unknown names ----------------------------------- */

START_TEST(F2_extract_null_name_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t poly;
	mach_msg_type_name_t pt;
	size_t i;

	for (i = 0; i < NELEM(good_disps); i++)
		KR_EQ(mipc_port_extract_right(task, MACH_PORT_NULL,
		          good_disps[i], mipc_thread_space(), &poly, &pt),
		    KERN_INVALID_RIGHT);
	VAL_EQ(name_count(task), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F2_extract_dead_name_value_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t poly;
	mach_msg_type_name_t pt;
	size_t i;

	for (i = 0; i < NELEM(good_disps); i++)
		KR_EQ(mipc_port_extract_right(task, MACH_PORT_DEAD,
		          good_disps[i], mipc_thread_space(), &poly, &pt),
		    KERN_INVALID_RIGHT);
	VAL_EQ(name_count(task), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F2_extract_unknown_name_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;
	size_t i;

	for (i = 0; i < NELEM(good_disps); i++)
		KR_EQ(mipc_port_extract_right(task, unknown, good_disps[i],
		          mipc_thread_space(), &poly, &pt),
		    KERN_INVALID_NAME);
	VAL_EQ(name_count(task), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F2_extract_unknown_name_native_other_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	/* r is task's name; b is empty. */
	KR_EQ(mipc_port_extract_right(
	          b, r, MACH_MSG_TYPE_MAKE_SEND, task, &poly, &pt),
	    KERN_INVALID_NAME);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- F3: the returned disposition --------------------------------------- */

START_TEST(F3_extract_move_receive_returns_port_receive)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_RECEIVE);
	ck_assert_msg(MACH_PORT_VALID(poly), "poly 0x%x", poly);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_RECEIVE);
	NAME_GONE(b, r);
	VAL_EQ(name_count(b), 0);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F3_extract_make_send_returns_port_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MAKE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, poly, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	VAL_EQ(srights_of(b, r), 1);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F3_extract_copy_send_returns_port_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	make_send(b, r);
	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(b, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	VAL_EQ(srights_of(b, r), 2);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F3_extract_move_send_returns_port_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	make_send(b, r);
	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(b, r).mps_mscount, 1);
	VAL_EQ(srights_of(b, r), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F3_extract_make_send_once_returns_port_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(task, poly, MACH_PORT_RIGHT_SEND_ONCE), 1);
	VAL_EQ(status_of(b, r).mps_sorights, 1);
	VAL_EQ(status_of(b, r).mps_mscount, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F3_extract_move_send_once_returns_port_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t so = sonce_in(b, r);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(b, so, MACH_MSG_TYPE_MOVE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND_ONCE);
	NAME_GONE(b, so);
	VAL_EQ(status_of(b, r).mps_sorights, 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F3_extract_null_out_pointers_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	make_send(task, r);
	KR_FAILS(mipc_port_extract_right(
	    task, r, MACH_MSG_TYPE_COPY_SEND, mipc_thread_space(), NULL, &pt));
	KR_FAILS(mipc_port_extract_right(task, r, MACH_MSG_TYPE_COPY_SEND,
	    mipc_thread_space(), &poly, NULL));
	KR_FAILS(mipc_port_extract_right(
	    task, r, MACH_MSG_TYPE_COPY_SEND, task, NULL, NULL));
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(srights_of(task, r), 1);
}
END_TEST

/* ---- F4: the name does not hold the right the disposition needs -------- */

START_TEST(F4_extract_make_send_without_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t d = dead_new(task);
	const mach_port_name_t names[] = { s, so, ps, d };
	mach_port_name_t poly;
	mach_msg_type_name_t pt;
	size_t i;

	for (i = 0; i < NELEM(names); i++) {
		KR_EQ(mipc_port_extract_right(task, names[i],
		          MACH_MSG_TYPE_MAKE_SEND, mipc_thread_space(), &poly,
		          &pt),
		    KERN_INVALID_RIGHT);
		KR_EQ(mipc_port_extract_right(task, names[i],
		          MACH_MSG_TYPE_MAKE_SEND_ONCE, mipc_thread_space(),
		          &poly, &pt),
		    KERN_INVALID_RIGHT);
	}
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	VAL_EQ(status_of(b, rb).mps_mscount, 1);
	VAL_EQ(status_of(b, rb).mps_sorights, 0);
	VAL_EQ(status_of(task, r).mps_sorights, 1);
	VAL_EQ(name_count(task), 5);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F4_extract_send_from_send_once_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	KR_EQ(mipc_port_extract_right(task, so, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_right(task, so, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(refs_of(task, so, MACH_PORT_RIGHT_SEND_ONCE), 1);
	VAL_EQ(status_of(task, r).mps_sorights, 1);
	VAL_EQ(srights_of(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F4_extract_move_send_once_from_send_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	make_send(task, r);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_sorights, 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F4_extract_move_receive_from_non_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t d = dead_new(task);
	const mach_port_name_t names[] = { s, so, ps, d };
	mach_port_name_t poly;
	mach_msg_type_name_t pt;
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		KR_EQ(mipc_port_extract_right(task, names[i],
		          MACH_MSG_TYPE_MOVE_RECEIVE, mipc_thread_space(),
		          &poly, &pt),
		    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(type_of(b, rb), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(name_count(task), 5);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F4_extract_send_from_receive_only_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(srights_of(task, r), 0);
	VAL_EQ(name_count(task), 1);
	expect_no_fatal_guard();
}
END_TEST

/* ---- F5: dead names extract as MACH_PORT_DEAD --------------------------- */

START_TEST(F5_extract_copy_send_dead_name_returns_dead)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_mod_refs(task, d, MACH_PORT_RIGHT_DEAD_NAME, 1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, d, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, MACH_PORT_DEAD);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	/* COPY consumes nothing. */
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 2);
	VAL_EQ(name_count(task), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F5_extract_move_send_dead_name_consumes_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_mod_refs(task, d, MACH_PORT_RIGHT_DEAD_NAME, 1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, d, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, MACH_PORT_DEAD);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	KR_EQ(mipc_port_extract_right(task, d, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, MACH_PORT_DEAD);
	NAME_GONE(task, d);
	VAL_EQ(name_count(task), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F5_extract_move_send_once_dead_name_consumes_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t d = dead_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_mod_refs(task, d, MACH_PORT_RIGHT_DEAD_NAME, 1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, d, MACH_MSG_TYPE_MOVE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, MACH_PORT_DEAD);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(refs_of(task, d, MACH_PORT_RIGHT_DEAD_NAME), 1);
	KR_EQ(mipc_port_extract_right(task, d, MACH_MSG_TYPE_MOVE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, MACH_PORT_DEAD);
	NAME_GONE(task, d);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(F5_extract_copy_send_dead_port_returns_dead)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t s = send_in(task, b, r);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	/* The port dies; task's send name is dead, converted at first use. */
	KR_EQ(mipc_port_mod_refs(b, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, s, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, MACH_PORT_DEAD);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_DEAD_NAME), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- F6: same-task round trips ----------------------------------------- */

START_TEST(F6_extract_make_send_same_task_merges)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, r);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, r);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(status_of(task, r).mps_mscount, 2);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(name_count(task), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(F6_extract_copy_send_same_task_merges)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	make_send(task, r);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, r);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 1);
}
END_TEST

START_TEST(F6_extract_move_send_same_task_no_change)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, r);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 2);
	/* The last uref goes out and comes back under the same name. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, -1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, r);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(task, r), 1);
}
END_TEST

START_TEST(F6_extract_make_send_once_new_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so1 = MACH_PORT_NULL, so2 = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          mipc_thread_space(), &so1, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_NE(so1, r);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          mipc_thread_space(), &so2, &pt),
	    KERN_SUCCESS);
	VAL_NE(so2, r);
	VAL_NE(so2, so1);
	VAL_EQ(type_of(task, so1), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, so2), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_sorights, 2);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	VAL_EQ(name_count(task), 3);
}
END_TEST

START_TEST(F6_extract_move_send_once_new_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_NE(poly, so);
	NAME_GONE(task, so);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(status_of(task, r).mps_sorights, 1);
}
END_TEST

START_TEST(F6_extract_move_receive_new_name_resets)
{
	mach_port_name_t m[4];
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;
	mach_port_status_t st;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_set_mscount(task, r, 4), KERN_SUCCESS);
	KR_EQ(mipc_port_set_seqno(task, r, 6), KERN_SUCCESS);
	KR_EQ(mipc_port_set_context(task, r, 0xc0ffee), KERN_SUCCESS);
	set_qlimit(task, r, 7);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_RECEIVE);
	VAL_NE(poly, r);
	NAME_GONE(task, r);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_RECEIVE);
	st = status_of(task, poly);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_seqno, 0);
	VAL_EQ(st.mps_pset, 0);
	VAL_EQ(st.mps_qlimit, 7);
	VAL_EQ(ctx_of(task, poly), 0);
	VAL_EQ(members_of(task, ps, m, 4), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(F6_extract_move_receive_keeps_name_with_send)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_set_seqno(task, r, 3), KERN_SUCCESS);
	KR_EQ(mipc_port_set_context(task, r, 0x5eed), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, r);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_RECEIVE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	VAL_EQ(status_of(task, r).mps_seqno, 0);
	VAL_EQ(ctx_of(task, r), 0);
	VAL_EQ(name_count(task), 1);
}
END_TEST

START_TEST(F6_extract_send_into_other_space_merges)
{
	mipc_space_t a = space_new();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t n1 = MACH_PORT_NULL, n2 = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(
	    mipc_port_extract_right(b, r, MACH_MSG_TYPE_MAKE_SEND, a, &n1, &pt),
	    KERN_SUCCESS);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	KR_EQ(
	    mipc_port_extract_right(b, r, MACH_MSG_TYPE_MAKE_SEND, a, &n2, &pt),
	    KERN_SUCCESS);
	VAL_EQ(n2, n1);
	VAL_EQ(type_of(a, n1), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(a, n1, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(name_count(a), 1);
	VAL_EQ(srights_of(b, r), 1);
	VAL_EQ(status_of(b, r).mps_mscount, 2);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	/* A send-once right into a never merges. */
	KR_EQ(mipc_port_extract_right(
	          b, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, a, &n2, &pt),
	    KERN_SUCCESS);
	VAL_NE(n2, n1);
	VAL_EQ(type_of(a, n2), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(name_count(a), 2);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F6_extract_into_current_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t a = space_new();
	mipc_space_t b = space_new();
	mipc_space_t prev;
	mach_port_name_t r = recv_new(b);
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;
	kern_return_t kr;

	prev = mipc_thread_set_space(a);
	kr = mipc_port_extract_right(
	    b, r, MACH_MSG_TYPE_MAKE_SEND, mipc_thread_space(), &n, &pt);
	mipc_thread_set_space(prev);
	KR_EQ(kr, KERN_SUCCESS);
	VAL_EQ(type_of(a, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(name_count(a), 1);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(srights_of(b, r), 1);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F6_extract_move_receive_from_other_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	make_send(b, r);
	KR_EQ(mipc_port_set_mscount(b, r, 9), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_RECEIVE);
	/* b keeps its send right under r. */
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(b, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, poly).mps_mscount, 0);
	VAL_EQ(srights_of(task, poly), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- F7: immovable receive rights --------------------------------------- */

START_TEST(F7_extract_move_receive_immovable_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, 0xabc);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	guard_reset();
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	expect_only_guard(kGUARD_EXC_IMMOVABLE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	VAL_EQ(name_count(task), 1);
}
END_TEST

START_TEST(F7_extract_move_receive_guard_flag_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_guard_with_flags(b, r, 0x66, MPG_IMMOVABLE_RECEIVE),
	    KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	expect_only_guard(kGUARD_EXC_IMMOVABLE);
	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(name_count(task), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(F7_extract_move_receive_reply_port_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_REPLY_PORT, 0);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	guard_reset();
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	expect_only_guard(kGUARD_EXC_IMMOVABLE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(name_count(task), 1);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

static Suite *
f_extract_right_suite(void)
{
	Suite *s = suite_create("F_extract_right");
	TCase *tc;

	tc = conf_tcase("F1_F2_bad_arguments");
	tcase_add_test(tc, F1_extract_bad_disposition_invalid_value);
	tcase_add_test(tc, F1_extract_bad_disposition_checked_before_name);
	tcase_add_test(tc, F2_extract_null_name_invalid_right);
	tcase_add_test(tc, F2_extract_dead_name_value_invalid_right);
	tcase_add_test(tc, F2_extract_unknown_name_invalid_name);
	tcase_add_test(tc, F2_extract_unknown_name_native_other_space);
	suite_add_tcase(s, tc);

	tc = conf_tcase("F3_F5_dispositions");
	tcase_add_test(tc, F3_extract_move_receive_returns_port_receive);
	tcase_add_test(tc, F3_extract_make_send_returns_port_send);
	tcase_add_test(tc, F3_extract_copy_send_returns_port_send);
	tcase_add_test(tc, F3_extract_move_send_returns_port_send);
	tcase_add_test(tc, F3_extract_make_send_once_returns_port_send_once);
	tcase_add_test(tc, F3_extract_move_send_once_returns_port_send_once);
	tcase_add_test(tc, F3_extract_null_out_pointers_fail);
	tcase_add_test(tc, F4_extract_make_send_without_receive_invalid_right);
	tcase_add_test(tc, F4_extract_send_from_send_once_invalid_right);
	tcase_add_test(tc, F4_extract_move_send_once_from_send_invalid_right);
	tcase_add_test(
	    tc, F4_extract_move_receive_from_non_receive_invalid_right);
	tcase_add_test(tc, F4_extract_send_from_receive_only_invalid_right);
	tcase_add_test(tc, F5_extract_copy_send_dead_name_returns_dead);
	tcase_add_test(tc, F5_extract_move_send_dead_name_consumes_uref);
	tcase_add_test(tc, F5_extract_move_send_once_dead_name_consumes_uref);
	tcase_add_test(tc, F5_extract_copy_send_dead_port_returns_dead);
	suite_add_tcase(s, tc);

	tc = conf_tcase("F6_F7_round_trips");
	tcase_add_test(tc, F6_extract_make_send_same_task_merges);
	tcase_add_test(tc, F6_extract_copy_send_same_task_merges);
	tcase_add_test(tc, F6_extract_move_send_same_task_no_change);
	tcase_add_test(tc, F6_extract_make_send_once_new_name);
	tcase_add_test(tc, F6_extract_move_send_once_new_name);
	tcase_add_test(tc, F6_extract_move_receive_new_name_resets);
	tcase_add_test(tc, F6_extract_move_receive_keeps_name_with_send);
	tcase_add_test(tc, F6_extract_send_into_other_space_merges);
	tcase_add_test(tc, F6_extract_into_current_space);
	tcase_add_test(tc, F6_extract_move_receive_from_other_space);
	tcase_add_test(
	    tc, F7_extract_move_receive_immovable_invalid_capability);
	tcase_add_test(
	    tc, F7_extract_move_receive_guard_flag_invalid_capability);
	tcase_add_test(
	    tc, F7_extract_move_receive_reply_port_invalid_capability);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(f_extract_right_suite)

/*
 * Deferred to the messages / notifications issues:
 *   F6   the MACH_NOTIFY_SEND_ONCE message when an extracted send-once
 *        right is later destroyed unused, and queued messages kept by a
 *        moved receive right;
 *   F7   special reply ports (no API to make one yet).
 */
