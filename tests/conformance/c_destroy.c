/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * c_destroy.c -- MACH.md area C: mach_port_destroy on every kind of name,
 * guarded receive rights, and what a port's death does to the names other
 * spaces hold for it (observed lazily, through mach_port_type, get_refs
 * and mach_port_names).
 *
 * Send-only names are made in a second space with
 * mipc_port_insert_right(S2, name, S1, r, MAKE_SEND).
 */
#include "conformance.h"

/* ---- C1 ----------------------------------------------------------------- */

START_TEST(C1_destroy_null_dead_success)
{
	mipc_space_t task = mipc_thread_space();

	KR_OK(mipc_port_destroy(task, MACH_PORT_NULL));
	KR_OK(mipc_port_destroy(task, MACH_PORT_DEAD));
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(C1_destroy_unknown_invalid_name_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t stale = conf_stale_name(task);
	mach_port_name_t unknown = conf_unused_name(task);
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_destroy(task, unknown), KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, unknown);
	KR_EQ(mipc_port_destroy(task, stale), KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, stale);
	/* Another generation of a live slot is unknown too. */
	KR_EQ(mipc_port_destroy(task, conf_other_gen(r)), KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, conf_other_gen(r));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

/* ---- C2: destroy of non-receive names ------------------------------------- */

START_TEST(C2_destroy_dead_name_frees_all_urefs)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);
	mach_port_name_t pinned = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 6));
	KR_OK(mipc_port_destroy(task, dn));
	NAME_GONE(task, dn);
	conf_pin(task, pinned, MACH_PORT_RIGHT_DEAD_NAME);
	KR_OK(mipc_port_destroy(task, pinned));
	NAME_GONE(task, pinned);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(C2_destroy_send_removes_all_urefs)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = conf_give_send(s2, task, r, 5);

	conf_make_send(task, r, 1);
	ck_assert_uint_eq(srights_of(task, r), 2);
	KR_OK(mipc_port_destroy(s2, s));
	NAME_GONE(s2, s);
	/* All five urefs were one send right: the count drops by one. */
	ck_assert_uint_eq(srights_of(task, r), 1);
	ck_assert_int_eq(status_of(task, r).mps_srights, 1);
	TYPE_EQ(task, r, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 1);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(C2_destroy_pinned_send_frees_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = conf_give_send(s2, task, r, 1);

	conf_pin(s2, s, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_port_destroy(s2, s));
	NAME_GONE(s2, s);
	ck_assert_uint_eq(srights_of(task, r), 0);
	ck_assert_int_eq(status_of(task, r).mps_srights, 0);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(C2_destroy_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = conf_give_send_once(task, task, r);

	ck_assert_uint_eq(status_of(task, r).mps_sorights, 1);
	KR_OK(mipc_port_destroy(task, so));
	NAME_GONE(task, so);
	conf_take_send_once_notification(task, r);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 0);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(C2_destroy_port_set_unlinks_members)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t r1 = recv_new(task);
	mach_port_name_t r2 = recv_new(task);

	KR_OK(mipc_port_insert_member(task, r1, ps));
	KR_OK(mipc_port_insert_member(task, r2, ps));
	ck_assert_uint_eq(conf_set_count(task, ps), 2);
	KR_OK(mipc_port_destroy(task, ps));
	NAME_GONE(task, ps);
	TYPE_EQ(task, r1, MACH_PORT_TYPE_RECEIVE);
	TYPE_EQ(task, r2, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(status_of(task, r1).mps_pset, 0);
	ck_assert_uint_eq(status_of(task, r2).mps_pset, 0);
}
END_TEST

START_TEST(C2_destroy_rights_to_dead_port_free_name)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t s = conf_give_send(s2, s1, r, 3);
	mach_port_name_t so = conf_give_send_once(s2, s1, r);

	conf_kill(s1, r);
	/* Not converted yet: destroy just frees the names. */
	guard_reset();
	KR_OK(mipc_port_destroy(s2, s));
	NAME_GONE(s2, s);
	KR_OK(mipc_port_destroy(s2, so));
	NAME_GONE(s2, so);
	GUARD_NONE("destroy of rights to a dead port");
	ck_assert_uint_eq(name_count(s2), 0);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/* ---- C3: destroy of a receive right ---------------------------------------- */

START_TEST(C3_destroy_receive_kills_port)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t s = conf_give_send(s2, s1, r, 2);
	mach_port_name_t so = conf_give_send_once(s2, s1, r);

	KR_OK(mipc_port_destroy(s1, r));
	NAME_GONE(s1, r);
	ck_assert_uint_eq(name_count(s1), 0);
	TYPE_EQ(s2, s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, s, MACH_PORT_RIGHT_DEAD_NAME, 2);
	TYPE_EQ(s2, so, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, so, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/* Unlike mod_refs(RECEIVE, -1) (B18), no dead name is left behind. */
START_TEST(C3_destroy_send_receive_frees_whole_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = conf_give_send(s2, task, r, 1);

	conf_make_send(task, r, 3);
	KR_OK(mipc_port_destroy(task, r));
	NAME_GONE(task, r);
	ck_assert_uint_eq(name_count(task), 0);
	TYPE_EQ(s2, s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, s, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(C3_destroy_pinned_send_receive_frees_whole_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	conf_make_send(task, r, 1);
	conf_pin(task, r, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_port_destroy(task, r));
	NAME_GONE(task, r);
}
END_TEST

/* ---- C5: guarded receive rights --------------------------------------------- */

START_TEST(C5_destroy_guarded_receive_invalid_right_guard)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	const uint64_t guard = 0x1122334455667788ull;
	mach_port_name_t g = conf_guarded(task, guard, 0);
	mach_port_name_t s = conf_give_send(s2, task, g, 1);

	guard_reset();
	KR_EQ(mipc_port_destroy(task, g), KERN_INVALID_RIGHT);
	GUARD_ONE_PAYLOAD(task, kGUARD_EXC_DESTROY, g, guard);
	TYPE_EQ(task, g, MACH_PORT_TYPE_RECEIVE);
	ck_assert_msg(
	    status_of(task, g).mps_flags & MACH_PORT_STATUS_FLAG_GUARDED,
	    "port no longer guarded");
	/* The port is alive. */
	TYPE_EQ(s2, s, MACH_PORT_TYPE_SEND);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(C5_destroy_strict_guarded_receive_invalid_right_guard)
{
	mipc_space_t task = mipc_thread_space();
	const uint64_t guard = 0xabcdef;
	mach_port_name_t g = conf_guarded(task, guard, MPO_STRICT);

	guard_reset();
	KR_EQ(mipc_port_destroy(task, g), KERN_INVALID_RIGHT);
	GUARD_ONE_PAYLOAD(task, kGUARD_EXC_DESTROY, g, guard);
	TYPE_EQ(task, g, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(C5_destroy_guarded_send_receive_unchanged)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t g = conf_guarded(task, 0x99, 0);

	conf_make_send(task, g, 2);
	guard_reset();
	KR_EQ(mipc_port_destroy(task, g), KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_DESTROY, g);
	TYPE_EQ(task, g, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(task, g, MACH_PORT_RIGHT_SEND, 2);
	ck_assert_uint_eq(srights_of(task, g), 1);
}
END_TEST

START_TEST(C5_destroy_guard_zero_succeeds)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t g = conf_guarded(task, 0, 0);
	mach_port_name_t s = conf_give_send(s2, task, g, 1);

	ck_assert_msg(
	    status_of(task, g).mps_flags & MACH_PORT_STATUS_FLAG_GUARDED,
	    "construct(CONTEXT_AS_GUARD, 0) did not guard");
	guard_reset();
	KR_OK(mipc_port_destroy(task, g));
	GUARD_NONE("destroy of a port guarded with 0");
	NAME_GONE(task, g);
	TYPE_EQ(s2, s, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/* ---- C6: effects of a port's death ------------------------------------------ */

START_TEST(C6a_port_death_send_names_dead_in_every_space)
{
	mipc_space_t s1 = space_new(), s2 = space_new(), s3 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t n2 = conf_give_send(s2, s1, r, 4);
	mach_port_name_t n3 = conf_give_send(s3, s1, r, 1);
	mach_port_name_t so3 = conf_give_send_once(s3, s1, r);
	mach_port_type_t type = 0;
	bool found;

	ck_assert_uint_eq(srights_of(s1, r), 2);
	KR_OK(mipc_port_mod_refs(s1, r, MACH_PORT_RIGHT_RECEIVE, -1));
	/* mach_port_names sees the death before any other call. */
	conf_names_find(s3, so3, &found, &type);
	ck_assert_msg(found && type == MACH_PORT_TYPE_DEAD_NAME,
	    "names: send-once to a dead port has type %#x", type);
	conf_names_find(s3, n3, &found, &type);
	ck_assert_msg(found && type == MACH_PORT_TYPE_DEAD_NAME,
	    "names: send to a dead port has type %#x", type);
	/* Same urefs, per name. */
	TYPE_EQ(s2, n2, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, n2, MACH_PORT_RIGHT_DEAD_NAME, 4);
	REFS_EQ(s2, n2, MACH_PORT_RIGHT_SEND, 0);
	TYPE_EQ(s3, n3, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s3, n3, MACH_PORT_RIGHT_DEAD_NAME, 1);
	TYPE_EQ(s3, so3, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s3, so3, MACH_PORT_RIGHT_DEAD_NAME, 1);
	REFS_EQ(s3, so3, MACH_PORT_RIGHT_SEND_ONCE, 0);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
	KR_OK(mipc_space_destroy(s3));
}
END_TEST

START_TEST(C6a_port_death_pinned_send_keeps_urefs)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t n = conf_give_send(s2, s1, r, 1);

	conf_pin(s2, n, MACH_PORT_RIGHT_SEND);
	conf_kill(s1, r);
	TYPE_EQ(s2, n, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, n, MACH_PORT_RIGHT_DEAD_NAME, 65535);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(C6a_port_death_same_space_send_once_turns_dead)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = conf_give_send_once(task, task, r);

	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
	NAME_GONE(task, r);
	TYPE_EQ(task, so, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(task, so, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_port_deallocate(task, so));
	NAME_GONE(task, so);
}
END_TEST

START_TEST(C6f_port_death_leaves_every_port_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps1 = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t ps2 = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t r = recv_new(task);
	mach_port_name_t other = recv_new(task);

	KR_OK(mipc_port_insert_member(task, r, ps1));
	KR_OK(mipc_port_insert_member(task, r, ps2));
	KR_OK(mipc_port_insert_member(task, other, ps1));
	ck_assert_uint_eq(conf_set_count(task, ps1), 2);
	ck_assert_uint_eq(conf_set_count(task, ps2), 1);
	conf_kill(task, r);
	ck_assert_uint_eq(conf_set_count(task, ps1), 1);
	ck_assert_uint_eq(conf_set_count(task, ps2), 0);
	TYPE_EQ(task, ps1, MACH_PORT_TYPE_PORT_SET);
	TYPE_EQ(task, ps2, MACH_PORT_TYPE_PORT_SET);
	ck_assert_uint_eq(status_of(task, other).mps_pset, 1);
}
END_TEST

static Suite *
c_destroy_suite(void)
{
	Suite *s = suite_create("C_destroy");
	TCase *tc = conf_tcase("C");

	tcase_add_test(tc, C1_destroy_null_dead_success);
	tcase_add_test(tc, C1_destroy_unknown_invalid_name_guard);
	tcase_add_test(tc, C2_destroy_dead_name_frees_all_urefs);
	tcase_add_test(tc, C2_destroy_send_removes_all_urefs);
	tcase_add_test(tc, C2_destroy_pinned_send_frees_name);
	tcase_add_test(tc, C2_destroy_send_once);
	tcase_add_test(tc, C2_destroy_port_set_unlinks_members);
	tcase_add_test(tc, C2_destroy_rights_to_dead_port_free_name);
	tcase_add_test(tc, C3_destroy_receive_kills_port);
	tcase_add_test(tc, C3_destroy_send_receive_frees_whole_name);
	tcase_add_test(tc, C3_destroy_pinned_send_receive_frees_whole_name);
	tcase_add_test(tc, C5_destroy_guarded_receive_invalid_right_guard);
	tcase_add_test(
	    tc, C5_destroy_strict_guarded_receive_invalid_right_guard);
	tcase_add_test(tc, C5_destroy_guarded_send_receive_unchanged);
	tcase_add_test(tc, C5_destroy_guard_zero_succeeds);
	tcase_add_test(tc, C6a_port_death_send_names_dead_in_every_space);
	tcase_add_test(tc, C6a_port_death_pinned_send_keeps_urefs);
	tcase_add_test(tc, C6a_port_death_same_space_send_once_turns_dead);
	tcase_add_test(tc, C6f_port_death_leaves_every_port_set);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(c_destroy_suite)

/*
 * Deferred to the messages / notifications issues:
 *   C2 the notifications of destroy: no-senders, PORT_DELETED for a
 *      registered request, MACH_NOTIFY_SEND_ONCE for a send-once right.
 *   C3 destroy of a receive right with a port-destroyed request (right goes
 *      to the backup port); PORT_DELETED for a dead-name request on it.
 *   C4 NO_SENDERS emitted when destroy drops the last send right.
 *   C6 (b) queued messages destroyed, (c) blocked receivers get
 *      MACH_RCV_PORT_CHANGED, (d) blocked senders return, (e) dead-name and
 *      send-possible requests fire, (g) an armed no-senders request yields
 *      MACH_NOTIFY_SEND_ONCE; (h) context / mscount / seqno cleared is not
 *      observable without a port-destroyed request.
 *   C7, C8 sending through names of a dead port (mach_msg).
 */
