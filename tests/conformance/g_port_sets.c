/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * g_port_sets.c -- MACH.md area G: port sets, mach_port_move_member,
 * mach_port_insert_member / extract_member, mach_port_get_set_status.
 *
 * Membership through RECEIVE_STATUS.mps_pset and mach_port_get_set_status,
 * the effects of destroying a set, of moving a member's receive right away
 * and of its death; and receiving on a set (G7-G9): which member a receive
 * takes from, in what order, and when a member's messages become visible
 * to the set (issue 12, item 8: the set's ready queue).  One test per
 * numbered behaviour (several where an item lists several cases), named
 * <item>_<call>_<case>.
 */
#include "conformance.h"
#include "msg_helpers.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAXM     16

static mach_port_rights_t
in_a_set(mipc_space_t sp, mach_port_name_t n)
{
	return status_of(sp, n).mps_pset;
}

/* Set `ps` has exactly the one member `n`. */
static void
expect_sole_member(mipc_space_t sp, mach_port_name_t ps, mach_port_name_t n)
{
	mach_port_name_t m[MAXM];

	VAL_EQ(members_of(sp, ps, m, MAXM), 1);
	VAL_EQ(m[0], n);
}

static void
expect_empty_set(mipc_space_t sp, mach_port_name_t ps)
{
	mach_port_name_t m[MAXM];

	VAL_EQ(type_of(sp, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(members_of(sp, ps, m, MAXM), 0);
}

/* ---- G1: move_member argument errors ------------------------------------ */

START_TEST(G1_move_member_null_member_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_move_member(task, MACH_PORT_NULL, ps),
	    KERN_INVALID_RIGHT);
	expect_empty_set(task, ps);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G1_move_member_dead_member_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_move_member(task, MACH_PORT_DEAD, ps),
	    KERN_INVALID_RIGHT);
	expect_empty_set(task, ps);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G1_move_member_dead_after_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(
	    mipc_port_move_member(task, r, MACH_PORT_DEAD), KERN_INVALID_RIGHT);
	/* Nothing changed: still in ps. */
	expect_sole_member(task, ps, r);
	VAL_EQ(in_a_set(task, r), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G1_move_member_unknown_member_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t ps = pset_new(task);

	guard_reset();
	KR_EQ(mipc_port_move_member(task, unknown, ps), KERN_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_INVALID_NAME, unknown);
	expect_empty_set(task, ps);
}
END_TEST

START_TEST(G1_move_member_unknown_after_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_move_member(task, r, unknown), KERN_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_INVALID_NAME, unknown);
	VAL_EQ(in_a_set(task, r), 0);
}
END_TEST

START_TEST(G1_move_member_non_receive_member_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t ps2 = pset_new(task);
	mach_port_name_t d = dead_new(task);
	mach_port_name_t ps = pset_new(task);
	const mach_port_name_t names[] = { s, so, ps2, d };
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		KR_EQ(mipc_port_move_member(task, names[i], ps),
		    KERN_INVALID_RIGHT);
	expect_empty_set(task, ps);
	expect_empty_set(task, ps2);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_DEAD_NAME);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(G1_move_member_after_not_port_set_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_port_name_t d = dead_new(task);
	const mach_port_name_t afters[] = { r2, s, d };
	size_t i;

	for (i = 0; i < NELEM(afters); i++)
		KR_EQ(mipc_port_move_member(task, r, afters[i]),
		    KERN_INVALID_RIGHT);
	VAL_EQ(in_a_set(task, r), 0);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- G2: move_member into a set ---------------------------------------- */

START_TEST(G2_move_member_into_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	expect_sole_member(task, ps, r);
	VAL_EQ(in_a_set(task, r), 1);
	/* The member keeps its name and right. */
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(G2_move_member_leaves_other_sets)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);
	mach_port_name_t ps3 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_move_member(task, r, ps3), KERN_SUCCESS);
	expect_empty_set(task, ps1);
	expect_empty_set(task, ps2);
	expect_sole_member(task, ps3, r);
	VAL_EQ(in_a_set(task, r), 1);
	/* Moving back into ps1 leaves ps3. */
	KR_EQ(mipc_port_move_member(task, r, ps1), KERN_SUCCESS);
	expect_sole_member(task, ps1, r);
	expect_empty_set(task, ps3);
}
END_TEST

START_TEST(G2_move_member_same_set_succeeds)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	expect_sole_member(task, ps, r);
	VAL_EQ(in_a_set(task, r), 1);
}
END_TEST

START_TEST(G2_move_member_native_other_space)
{
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t ps1 = pset_new(b);
	mach_port_name_t ps2 = pset_new(b);

	KR_EQ(mipc_port_move_member(b, r, ps1), KERN_SUCCESS);
	expect_sole_member(b, ps1, r);
	KR_EQ(mipc_port_move_member(b, r, ps2), KERN_SUCCESS);
	expect_empty_set(b, ps1);
	expect_sole_member(b, ps2, r);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- G3: move_member to MACH_PORT_NULL --------------------------------- */

START_TEST(G3_move_member_null_removes_from_all_sets)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_move_member(task, r, MACH_PORT_NULL), KERN_SUCCESS);
	expect_empty_set(task, ps1);
	expect_empty_set(task, ps2);
	VAL_EQ(in_a_set(task, r), 0);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(G3_move_member_null_not_in_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_move_member(task, r, MACH_PORT_NULL), KERN_NOT_IN_SET);
	/* Once removed, a second removal finds no set either. */
	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_move_member(task, r, MACH_PORT_NULL), KERN_SUCCESS);
	KR_EQ(mipc_port_move_member(task, r, MACH_PORT_NULL), KERN_NOT_IN_SET);
	VAL_EQ(in_a_set(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

/* ---- G4: insert_member / extract_member -------------------------------- */

START_TEST(G4_insert_member_null_or_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, MACH_PORT_NULL, ps),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, MACH_PORT_DEAD, ps),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, r, MACH_PORT_NULL),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, r, MACH_PORT_DEAD),
	    KERN_INVALID_RIGHT);
	expect_empty_set(task, ps);
	VAL_EQ(in_a_set(task, r), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G4_insert_member_already_in_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_ALREADY_IN_SET);
	expect_sole_member(task, ps, r);
	/* Joined by move_member, too. */
	KR_EQ(mipc_port_move_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_ALREADY_IN_SET);
	expect_sole_member(task, ps, r);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G4_insert_member_several_sets)
{
	mach_port_name_t m[MAXM];
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps1), KERN_SUCCESS);
	expect_sole_member(task, ps2, r);
	VAL_EQ(members_of(task, ps1, m, MAXM), 2);
	ck_assert_msg((m[0] == r && m[1] == r2) || (m[0] == r2 && m[1] == r),
	    "ps1 holds 0x%x 0x%x, want 0x%x and 0x%x", m[0], m[1], r, r2);
	VAL_EQ(in_a_set(task, r), 1);
	VAL_EQ(in_a_set(task, r2), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(G4_insert_member_name_and_right_errors)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_port_name_t d = dead_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, unknown, ps), KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_member(task, r, unknown), KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_member(task, s, ps), KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, d, ps), KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, ps2, ps), KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, r, r2), KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_insert_member(task, r, s), KERN_INVALID_RIGHT);
	expect_empty_set(task, ps);
	expect_empty_set(task, ps2);
	VAL_EQ(in_a_set(task, r), 0);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(G4_extract_member_not_in_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_extract_member(task, r, ps1), KERN_NOT_IN_SET);
	/* A member of another set is still not in this one. */
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_member(task, r, ps1), KERN_NOT_IN_SET);
	expect_sole_member(task, ps2, r);
	VAL_EQ(in_a_set(task, r), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G4_extract_member_removes_from_one_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_member(task, r, ps1), KERN_SUCCESS);
	expect_empty_set(task, ps1);
	expect_sole_member(task, ps2, r);
	VAL_EQ(in_a_set(task, r), 1);
	KR_EQ(mipc_port_extract_member(task, r, ps1), KERN_NOT_IN_SET);
	KR_EQ(mipc_port_extract_member(task, r, ps2), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 0);
	expect_empty_set(task, ps2);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(G4_extract_member_null_or_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_member(task, MACH_PORT_NULL, ps),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_member(task, MACH_PORT_DEAD, ps),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_member(task, r, MACH_PORT_NULL),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_member(task, r, MACH_PORT_DEAD),
	    KERN_INVALID_RIGHT);
	expect_sole_member(task, ps, r);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G4_extract_member_name_and_right_errors)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_member(task, unknown, ps), KERN_INVALID_NAME);
	KR_EQ(mipc_port_extract_member(task, r, unknown), KERN_INVALID_NAME);
	KR_EQ(mipc_port_extract_member(task, s, ps), KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_extract_member(task, r, r2), KERN_INVALID_RIGHT);
	expect_sole_member(task, ps, r);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- G5: mps_pset is a boolean ------------------------------------------ */

START_TEST(G5_status_pset_is_boolean)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);
	mach_port_name_t ps3 = pset_new(task);

	VAL_EQ(in_a_set(task, r), 0);
	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 1);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps3), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 1); /* not 3 */
	KR_EQ(mipc_port_extract_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_member(task, r, ps2), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 1);
	KR_EQ(mipc_port_extract_member(task, r, ps3), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 0);
}
END_TEST

/* ---- G6: mach_port_get_set_status -------------------------------------- */

START_TEST(G6_get_set_status_sorted)
{
	mach_port_name_t mem[6], got[MAXM];
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task);
	mach_msg_type_number_t cnt, i, j;

	for (i = 0; i < 6; i++) {
		mem[i] = recv_new(task);
		KR_EQ(mipc_port_insert_member(task, mem[i], ps), KERN_SUCCESS);
	}
	cnt = members_of(task, ps, got, MAXM);
	VAL_EQ(cnt, 6);
	for (i = 1; i < cnt; i++)
		ck_assert_msg(got[i - 1] < got[i],
		    "members not ascending: [%u] 0x%x, [%u] 0x%x", i - 1,
		    got[i - 1], i, got[i]);
	for (i = 0; i < 6; i++) {
		for (j = 0; j < cnt && got[j] != mem[i]; j++)
			;
		ck_assert_msg(j < cnt, "member 0x%x missing", mem[i]);
	}
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(G6_get_set_status_empty)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task);
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t cnt = 0xdeadbeef;

	KR_EQ(mipc_port_get_set_status(task, ps, &m, &cnt), KERN_SUCCESS);
	VAL_EQ(cnt, 0);
	KR_EQ(mipc_vm_deallocate(task, (vm_address_t)m, 0), KERN_SUCCESS);
}
END_TEST

START_TEST(G6_get_set_status_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t cnt = 0;

	KR_EQ(mipc_port_get_set_status(task, MACH_PORT_NULL, &m, &cnt),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_get_set_status(task, MACH_PORT_DEAD, &m, &cnt),
	    KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G6_get_set_status_not_set_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t s = send_in(task, b, rb);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = sonce_in(task, r);
	mach_port_name_t d = dead_new(task);
	const mach_port_name_t names[] = { r, s, so, d };
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t cnt = 0;
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		KR_EQ(mipc_port_get_set_status(task, names[i], &m, &cnt),
		    KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(G6_get_set_status_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t cnt = 0;

	KR_EQ(mipc_port_get_set_status(task, unknown, &m, &cnt),
	    KERN_INVALID_NAME);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(G6_get_set_status_null_out_pointers_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t r = recv_new(task);
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t cnt = 0;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_FAILS(mipc_port_get_set_status(task, ps, NULL, &cnt));
	KR_FAILS(mipc_port_get_set_status(task, ps, &m, NULL));
	expect_sole_member(task, ps, r);
}
END_TEST

/* ---- G10: destroying a set unlinks its members ------------------------- */

START_TEST(G10_destroy_set_unlinks_members)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_destroy(task, ps), KERN_SUCCESS);
	NAME_GONE(task, ps);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(in_a_set(task, r), 0);
	KR_EQ(mipc_port_move_member(task, r, MACH_PORT_NULL), KERN_NOT_IN_SET);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	expect_sole_member(task, ps2, r);
}
END_TEST

START_TEST(G10_deallocate_set_unlinks_members)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_deallocate(task, ps), KERN_SUCCESS);
	NAME_GONE(task, ps);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(in_a_set(task, r), 0);
}
END_TEST

START_TEST(G10_mod_refs_set_unlinks_members)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r1, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_PORT_SET, -1),
	    KERN_SUCCESS);
	NAME_GONE(task, ps);
	VAL_EQ(in_a_set(task, r1), 0);
	VAL_EQ(in_a_set(task, r2), 0);
	VAL_EQ(type_of(task, r1), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(type_of(task, r2), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(G10_destroy_one_of_two_sets)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_destroy(task, ps1), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 1);
	expect_sole_member(task, ps2, r);
	KR_EQ(mipc_port_move_member(task, r, MACH_PORT_NULL), KERN_SUCCESS);
	VAL_EQ(in_a_set(task, r), 0);
}
END_TEST

START_TEST(G10_destroy_set_keeps_send_rights)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	make_send(task, r);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_destroy(task, ps), KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(in_a_set(task, r), 0);
}
END_TEST

/* ---- G11: a member leaves its sets when its receive right leaves ------- */

START_TEST(G11_insert_move_receive_leaves_sets)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps1 = pset_new(task);
	mach_port_name_t ps2 = pset_new(task);
	mach_port_name_t n = free_name(b);

	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(
	          b, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	expect_empty_set(task, ps1);
	expect_empty_set(task, ps2);
	VAL_EQ(in_a_set(b, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(G11_extract_move_receive_leaves_sets)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	mach_port_name_t ps = pset_new(b);
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_move_member(b, r, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(b, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &n, &pt),
	    KERN_SUCCESS);
	expect_empty_set(b, ps);
	VAL_EQ(in_a_set(task, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(G11_port_death_leaves_sets)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = recv_new(task);
	mach_port_name_t r2 = recv_new(task);
	mach_port_name_t r3 = recv_new(task);
	mach_port_name_t ps = pset_new(task);

	KR_EQ(mipc_port_insert_member(task, r1, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r3, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_mod_refs(task, r1, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_destroy(task, r2), KERN_SUCCESS);
	expect_sole_member(task, ps, r3);
	KR_EQ(mipc_port_destruct(task, r3, 0, 0), KERN_SUCCESS);
	expect_empty_set(task, ps);
}
END_TEST

/* ---- G12: a port set is not a port right ------------------------------- */

/*
 * Sets cannot travel in messages (the message parts are deferred); the same
 * copy-in refuses them in insert_right and extract_right.
 */
START_TEST(G12_port_set_not_insertable)
{
	static const mach_msg_type_name_t disps[] = {
		MACH_MSG_TYPE_MOVE_RECEIVE,
		MACH_MSG_TYPE_MOVE_SEND,
		MACH_MSG_TYPE_MOVE_SEND_ONCE,
		MACH_MSG_TYPE_COPY_SEND,
		MACH_MSG_TYPE_MAKE_SEND,
		MACH_MSG_TYPE_MAKE_SEND_ONCE,
	};
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = pset_new(task);
	mach_port_name_t n = free_name(b);
	size_t i;

	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	for (i = 0; i < NELEM(disps); i++)
		KR_EQ(mipc_port_insert_right(
		          b, n, mipc_thread_space(), ps, disps[i]),
		    KERN_INVALID_RIGHT);
	VAL_EQ(name_count(b), 0);
	VAL_EQ(type_of(task, ps), MACH_PORT_TYPE_PORT_SET);
	expect_sole_member(task, ps, r);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(G12_port_set_not_extractable)
{
	static const mach_msg_type_name_t disps[] = {
		MACH_MSG_TYPE_MOVE_RECEIVE,
		MACH_MSG_TYPE_MOVE_SEND,
		MACH_MSG_TYPE_MOVE_SEND_ONCE,
		MACH_MSG_TYPE_COPY_SEND,
		MACH_MSG_TYPE_MAKE_SEND,
		MACH_MSG_TYPE_MAKE_SEND_ONCE,
	};
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t ps = pset_new(b);
	mach_port_name_t n;
	mach_msg_type_name_t pt;
	size_t i;

	for (i = 0; i < NELEM(disps); i++)
		KR_EQ(mipc_port_extract_right(
		          b, ps, disps[i], mipc_thread_space(), &n, &pt),
		    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(b, ps), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(name_count(task), 0);
	expect_no_fatal_guard();
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

/* ---- G7-G9: receiving on a set ------------------------------------------ */

/* A receive right with one send uref under the same name. */
static mach_port_name_t
recv_send_new(mipc_space_t sp)
{
	mach_port_name_t r = recv_new(sp);

	make_send(sp, r);
	return r;
}

/* Receive one message from `name` (non-blocking): its member and id. */
static void
set_recv(mipc_space_t sp, mach_port_name_t name, mach_port_name_t *member,
    mach_msg_id_t *id)
{
	msg_buf_t in;

	RECV_OK(sp, &in, name, 0);
	*member = in.h.msgh_local_port;
	*id = in.h.msgh_id;
}

/*
 * G7: ready members are served in turn, each in FIFO order, and the
 * message names the member it came through.  Three members with three
 * messages each: the receives go r1 r2 r3 r1 r2 r3 ..., in the order the
 * members became ready.
 */
START_TEST(G7_set_receive_serves_ready_members_in_turn)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r[3], member;
	mach_msg_id_t id;
	int i, k;

	for (i = 0; i < 3; i++) {
		r[i] = recv_send_new(task);
		KR_EQ(mipc_port_insert_member(task, r[i], ps), KERN_SUCCESS);
	}
	for (i = 0; i < 3; i++)
		for (k = 0; k < 3; k++)
			SEND_OK(
			    task, r[i], MACH_MSG_TYPE_COPY_SEND, 100 * i + k);
	for (k = 0; k < 3; k++)
		for (i = 0; i < 3; i++) {
			set_recv(task, ps, &member, &id);
			VAL_EQ(member, r[i]);
			VAL_EQ(id, 100 * i + k);
		}
	RECV_EMPTY(task, ps);
}
END_TEST

/* G7: a member that becomes ready goes behind those already waiting. */
START_TEST(G7_set_receive_new_ready_member_waits_its_turn)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r1, r2, member;
	mach_msg_id_t id;

	r1 = recv_send_new(task);
	r2 = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r1, ps), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps), KERN_SUCCESS);
	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 1);
	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 2);
	set_recv(task, ps, &member, &id); /* r1 back to the tail */
	VAL_EQ(id, 1);
	SEND_OK(task, r2, MACH_MSG_TYPE_COPY_SEND, 3);
	set_recv(task, ps, &member, &id);
	VAL_EQ(member, r1);
	VAL_EQ(id, 2);
	set_recv(task, ps, &member, &id);
	VAL_EQ(member, r2);
	VAL_EQ(id, 3);
	RECV_EMPTY(task, ps);
}
END_TEST

/* G8: a port holding messages is ready in the set it joins. */
START_TEST(G8_insert_member_with_messages_is_ready)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r, member;
	mach_msg_id_t id;

	r = recv_send_new(task);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 81);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 82);
	RECV_EMPTY(task, ps);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	set_recv(task, ps, &member, &id);
	VAL_EQ(member, r);
	VAL_EQ(id, 81);
	set_recv(task, ps, &member, &id);
	VAL_EQ(id, 82);
	RECV_EMPTY(task, ps);
}
END_TEST

/* G8: ... and wakes a receiver blocked on the set. */
START_TEST(G8_insert_member_with_messages_wakes_set_receiver)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r;
	struct msg_worker w;
	bool blocked;

	r = recv_send_new(task);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 88);
	worker_recv(&w, task, ps, 3000);
	worker_start(&w);
	blocked = worker_blocked(&w);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	KR_EQ(worker_join(&w), MACH_MSG_SUCCESS);
	ck_assert_msg(blocked, "receiver did not block on the empty set");
	VAL_EQ(w.w_buf.h.msgh_local_port, r);
	VAL_EQ(w.w_buf.h.msgh_id, 88);
}
END_TEST

/* G8: moved from one set to another with its messages, it is ready there. */
START_TEST(G8_move_member_with_messages_ready_in_new_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps1 = pset_new(task), ps2 = pset_new(task);
	mach_port_name_t r1, r2, member;
	mach_msg_id_t id;

	r1 = recv_send_new(task);
	r2 = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r1, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r2, ps1), KERN_SUCCESS);
	SEND_OK(task, r1, MACH_MSG_TYPE_COPY_SEND, 1);
	SEND_OK(task, r2, MACH_MSG_TYPE_COPY_SEND, 2);
	KR_EQ(mipc_port_move_member(task, r1, ps2), KERN_SUCCESS);
	set_recv(task, ps1, &member, &id);
	VAL_EQ(member, r2);
	VAL_EQ(id, 2);
	RECV_EMPTY(task, ps1);
	set_recv(task, ps2, &member, &id);
	VAL_EQ(member, r1);
	VAL_EQ(id, 1);
	RECV_EMPTY(task, ps2);
}
END_TEST

/* A member taken out of the set while ready is no longer received from. */
START_TEST(G8_extract_ready_member_leaves_its_messages)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r, member;
	mach_msg_id_t id;

	r = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 5);
	KR_EQ(mipc_port_extract_member(task, r, ps), KERN_SUCCESS);
	RECV_EMPTY(task, ps);
	/* In again: ready again. */
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	set_recv(task, ps, &member, &id);
	VAL_EQ(member, r);
	VAL_EQ(id, 5);
}
END_TEST

/*
 * G9: a member drained by a receive on its own name has nothing for the
 * set; a message sent afterwards is found by the set, though the member
 * may still stand in the set's ready queue from the first one.
 */
START_TEST(G9_member_drained_directly_then_set_gets_next)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r, member;
	mach_msg_id_t id;
	msg_buf_t in;

	r = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 1);
	RECV_OK(task, &in, r, 0);
	VAL_EQ(in.h.msgh_id, 1);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 2);
	set_recv(task, ps, &member, &id);
	VAL_EQ(member, r);
	VAL_EQ(id, 2);
	RECV_EMPTY(task, ps);
	/* Drained directly, then an empty set receive, then a send. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 3);
	RECV_OK(task, &in, r, 0);
	RECV_EMPTY(task, ps);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 4);
	set_recv(task, ps, &member, &id);
	VAL_EQ(id, 4);
}
END_TEST

/* G7, K5: a message left queued by MACH_RCV_LARGE keeps its member ready. */
START_TEST(G7_set_receive_too_large_keeps_member_ready)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r, member;
	mach_msg_id_t id;
	msg_buf_t in;

	r = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	msg_init(&in, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 7);
	KR_EQ(msg_send(task, &in, HDR_SIZE + 64), MACH_MSG_SUCCESS);
	KR_EQ(msg_recv(task, &in, HDR_SIZE, ps, MACH_RCV_LARGE),
	    MACH_RCV_TOO_LARGE);
	set_recv(task, ps, &member, &id);
	VAL_EQ(member, r);
	VAL_EQ(id, 7);
	RECV_EMPTY(task, ps);
}
END_TEST

/* G4, G7: a port in two sets is ready in both; one receive takes it. */
START_TEST(G7_member_of_two_sets_received_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps1 = pset_new(task), ps2 = pset_new(task);
	mach_port_name_t r, member;
	mach_msg_id_t id;

	r = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r, ps1), KERN_SUCCESS);
	KR_EQ(mipc_port_insert_member(task, r, ps2), KERN_SUCCESS);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 1);
	set_recv(task, ps1, &member, &id);
	VAL_EQ(id, 1);
	RECV_EMPTY(task, ps2);
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 2);
	set_recv(task, ps2, &member, &id);
	VAL_EQ(member, r);
	VAL_EQ(id, 2);
	RECV_EMPTY(task, ps1);
}
END_TEST

/*
 * G7: two receivers blocked on a set, two messages to one member: both
 * receivers get one.  The second may look while the first holds the
 * member out of the ready queue and go back to sleep: putting the member
 * back (it still has a message) must wake it.
 */
START_TEST(G7_two_set_receivers_two_messages_one_member)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = pset_new(task), r;
	struct msg_worker w[2];
	int round, i;

	r = recv_send_new(task);
	KR_EQ(mipc_port_insert_member(task, r, ps), KERN_SUCCESS);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 2; i++) {
			worker_recv(&w[i], task, ps, 3000);
			worker_start(&w[i]);
		}
		for (i = 0; i < 2; i++)
			ck_assert(worker_blocked(&w[i]));
		SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 2 * round);
		SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 2 * round + 1);
		for (i = 0; i < 2; i++)
			KR_EQ(worker_join(&w[i]), MACH_MSG_SUCCESS);
		VAL_EQ(
		    w[0].w_buf.h.msgh_id + w[1].w_buf.h.msgh_id, 4 * round + 1);
	}
	RECV_EMPTY(task, ps);
}
END_TEST

static Suite *
g_port_sets_suite(void)
{
	Suite *s = suite_create("G_port_sets");
	TCase *tc;

	tc = conf_tcase("G1_G3_move_member");
	tcase_add_test(tc, G1_move_member_null_member_invalid_right);
	tcase_add_test(tc, G1_move_member_dead_member_invalid_right);
	tcase_add_test(tc, G1_move_member_dead_after_invalid_right);
	tcase_add_test(tc, G1_move_member_unknown_member_invalid_name);
	tcase_add_test(tc, G1_move_member_unknown_after_invalid_name);
	tcase_add_test(tc, G1_move_member_non_receive_member_invalid_right);
	tcase_add_test(tc, G1_move_member_after_not_port_set_invalid_right);
	tcase_add_test(tc, G2_move_member_into_set);
	tcase_add_test(tc, G2_move_member_leaves_other_sets);
	tcase_add_test(tc, G2_move_member_same_set_succeeds);
	tcase_add_test(tc, G2_move_member_native_other_space);
	tcase_add_test(tc, G3_move_member_null_removes_from_all_sets);
	tcase_add_test(tc, G3_move_member_null_not_in_set);
	suite_add_tcase(s, tc);

	tc = conf_tcase("G4_G6_members_and_status");
	tcase_add_test(tc, G4_insert_member_null_or_dead_invalid_right);
	tcase_add_test(tc, G4_insert_member_already_in_set);
	tcase_add_test(tc, G4_insert_member_several_sets);
	tcase_add_test(tc, G4_insert_member_name_and_right_errors);
	tcase_add_test(tc, G4_extract_member_not_in_set);
	tcase_add_test(tc, G4_extract_member_removes_from_one_set);
	tcase_add_test(tc, G4_extract_member_null_or_dead_invalid_right);
	tcase_add_test(tc, G4_extract_member_name_and_right_errors);
	tcase_add_test(tc, G5_status_pset_is_boolean);
	tcase_add_test(tc, G6_get_set_status_sorted);
	tcase_add_test(tc, G6_get_set_status_empty);
	tcase_add_test(tc, G6_get_set_status_null_dead_invalid_right);
	tcase_add_test(tc, G6_get_set_status_not_set_invalid_right);
	tcase_add_test(tc, G6_get_set_status_unknown_invalid_name);
	tcase_add_test(tc, G6_get_set_status_null_out_pointers_fail);
	suite_add_tcase(s, tc);

	tc = conf_tcase("G10_G12_lifetime");
	tcase_add_test(tc, G10_destroy_set_unlinks_members);
	tcase_add_test(tc, G10_deallocate_set_unlinks_members);
	tcase_add_test(tc, G10_mod_refs_set_unlinks_members);
	tcase_add_test(tc, G10_destroy_one_of_two_sets);
	tcase_add_test(tc, G10_destroy_set_keeps_send_rights);
	tcase_add_test(tc, G11_insert_move_receive_leaves_sets);
	tcase_add_test(tc, G11_extract_move_receive_leaves_sets);
	tcase_add_test(tc, G11_port_death_leaves_sets);
	tcase_add_test(tc, G12_port_set_not_insertable);
	tcase_add_test(tc, G12_port_set_not_extractable);
	suite_add_tcase(s, tc);

	tc = conf_tcase("G7_G9_set_receive");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, G7_set_receive_serves_ready_members_in_turn);
	tcase_add_test(tc, G7_set_receive_new_ready_member_waits_its_turn);
	tcase_add_test(tc, G7_set_receive_too_large_keeps_member_ready);
	tcase_add_test(tc, G7_member_of_two_sets_received_once);
	tcase_add_test(tc, G7_two_set_receivers_two_messages_one_member);
	tcase_add_test(tc, G8_insert_member_with_messages_is_ready);
	tcase_add_test(tc, G8_insert_member_with_messages_wakes_set_receiver);
	tcase_add_test(tc, G8_move_member_with_messages_ready_in_new_set);
	tcase_add_test(tc, G8_extract_ready_member_leaves_its_messages);
	tcase_add_test(tc, G9_member_drained_directly_then_set_gets_next);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(g_port_sets_suite)

/*
 * Deferred to the messages / notifications issues:
 *   G10  members keep their queued messages; receivers blocked on a
 *        destroyed set get MACH_RCV_PORT_CHANGED;
 *   G11  leaving sets when the receive right moves in a message;
 *   G12  sets refused as message destination / reply / descriptor, and
 *        as the target of mach_port_request_notification.
 */
