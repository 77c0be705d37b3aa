/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * d_type_names.c -- MACH.md area D: mach_port_type and mach_port_names,
 * and the lazy conversion of send / send-once names into dead names once
 * their port has died.
 *
 * Type values are checked against MACH.md 1.4's literal numbers as well as
 * the header's macros, so a wrong constant fails too.
 */
#include "conformance.h"

#include <string.h>

/* ---- D1 ------------------------------------------------------------------ */

START_TEST(D1_type_null_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_type_t type = 0x1234;

	KR_EQ(mipc_port_type(task, MACH_PORT_NULL, &type), KERN_INVALID_NAME);
}
END_TEST

START_TEST(D1_type_dead_is_dead_name)
{
	mipc_space_t task = mipc_thread_space();

	TYPE_EQ(task, MACH_PORT_DEAD, 0x00100000u);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(D1_type_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t stale = conf_stale_name(task);
	/* Before `unknown`: an allocation may take its slot and gen. */
	mach_port_name_t r = recv_new(task);
	mach_port_name_t unknown = conf_unused_name(task);
	mach_port_type_t type;

	KR_EQ(mipc_port_type(task, unknown, &type), KERN_INVALID_NAME);
	KR_EQ(mipc_port_type(task, stale, &type), KERN_INVALID_NAME);
	KR_EQ(
	    mipc_port_type(task, conf_other_gen(r), &type), KERN_INVALID_NAME);
	/* Names are per space. */
	KR_EQ(mipc_port_type(s2, r, &type), KERN_INVALID_NAME);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(D1_type_null_pointer_fails)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_FAILS(mipc_port_type(task, r, NULL));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

/* ---- D2: type bits -------------------------------------------------------- */

START_TEST(D2_type_constants_match_mach)
{
	ck_assert_uint_eq(MACH_PORT_TYPE_NONE, 0);
	ck_assert_uint_eq(MACH_PORT_TYPE_SEND, 0x00010000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_RECEIVE, 0x00020000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_SEND_ONCE, 0x00040000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_PORT_SET, 0x00080000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_DEAD_NAME, 0x00100000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_LABELH, 0x00200000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_DNREQUEST, 0x80000000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_SPREQUEST, 0x40000000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_SPREQUEST_DELAYED, 0x20000000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_SEND_RECEIVE, 0x30000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_SEND_RIGHTS, 0x50000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_PORT_RIGHTS, 0x70000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_PORT_OR_DEAD, 0x170000u);
	ck_assert_uint_eq(MACH_PORT_TYPE_ALL_RIGHTS, 0x1f0000u);
}
END_TEST

START_TEST(D2_type_receive)
{
	mipc_space_t task = mipc_thread_space();

	TYPE_EQ(task, recv_new(task), 0x00020000u);
}
END_TEST

START_TEST(D2_type_send_receive)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	conf_make_send(task, r, 1);
	TYPE_EQ(task, r, 0x00030000u);
	conf_make_send(task, r, 5);
	TYPE_EQ(task, r, 0x00030000u);
}
END_TEST

START_TEST(D2_type_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = conf_give_send(s2, task, r, 2);

	TYPE_EQ(s2, s, 0x00010000u);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(D2_type_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = conf_give_send_once(task, task, r);

	TYPE_EQ(task, so, 0x00040000u);
	/* The receive name is not affected by the send-once right. */
	TYPE_EQ(task, r, 0x00020000u);
}
END_TEST

START_TEST(D2_type_port_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t r = recv_new(task);

	TYPE_EQ(task, ps, 0x00080000u);
	/* Membership changes neither type. */
	KR_OK(mipc_port_insert_member(task, r, ps));
	TYPE_EQ(task, ps, 0x00080000u);
	TYPE_EQ(task, r, 0x00020000u);
}
END_TEST

START_TEST(D2_type_dead_name)
{
	mipc_space_t task = mipc_thread_space();

	TYPE_EQ(task, conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME), 0x00100000u);
}
END_TEST

/* ---- D4: lazy conversion (without dead-name requests) ----------------- */

START_TEST(D4_type_send_dead_port_dead_name_same_urefs)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t s = conf_give_send(s2, s1, r, 6);

	TYPE_EQ(s2, s, MACH_PORT_TYPE_SEND);
	conf_kill(s1, r);
	/* Exactly DEAD_NAME: no DNREQUEST bit, no leftover SEND bit. */
	TYPE_EQ(s2, s, 0x00100000u);
	REFS_EQ(s2, s, MACH_PORT_RIGHT_DEAD_NAME, 6);
	REFS_EQ(s2, s, MACH_PORT_RIGHT_SEND, 0);
	/* Stable once converted. */
	TYPE_EQ(s2, s, 0x00100000u);
	REFS_EQ(s2, s, MACH_PORT_RIGHT_DEAD_NAME, 6);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(D4_type_send_once_dead_port_dead_name_one_uref)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t so = conf_give_send_once(s2, s1, r);

	conf_kill(s1, r);
	TYPE_EQ(s2, so, 0x00100000u);
	REFS_EQ(s2, so, MACH_PORT_RIGHT_DEAD_NAME, 1);
	REFS_EQ(s2, so, MACH_PORT_RIGHT_SEND_ONCE, 0);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(D4_get_refs_converts_like_type)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t s = conf_give_send(s2, s1, r, 3);

	conf_kill(s1, r);
	/* The first call after the death is get_refs, not mach_port_type. */
	REFS_EQ(s2, s, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(s2, s, MACH_PORT_RIGHT_DEAD_NAME, 3);
	TYPE_EQ(s2, s, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/* ---- D5: mach_port_names ---------------------------------------------------- */

START_TEST(D5_names_empty_space)
{
	mipc_space_t s = space_new();
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 77, tcnt = 77;

	KR_OK(mipc_port_names(s, &names, &ncnt, &types, &tcnt));
	ck_assert_msg(ncnt == 0 && tcnt == 0, "empty space: %u names %u types",
	    ncnt, tcnt);
	conf_vm_release(names, ncnt, sizeof(*names));
	conf_vm_release(types, tcnt, sizeof(*types));
	KR_OK(mipc_space_destroy(s));
}
END_TEST

struct expect {
	mach_port_name_t name;
	mach_port_type_t type;
	unsigned seen;
};

/* mach_port_names of `space` lists exactly `want` (any order). */
static void
expect_names(mipc_space_t space, struct expect *want, unsigned n)
{
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0, i, j;
	/* A task lists its own name for its task port too (XNU's does). */
	mach_port_name_t self = conf_self_name(space);

	KR_OK(mipc_port_names(space, &names, &ncnt, &types, &tcnt));
	ck_assert_msg(ncnt == tcnt, "%u names, %u types", ncnt, tcnt);
	ck_assert_msg(ncnt == n + (self != MACH_PORT_NULL),
	    "%u names listed, want %u", ncnt, n + (self != MACH_PORT_NULL));
	for (j = 0; j < n; j++)
		want[j].seen = 0;
	for (i = 0; i < ncnt; i++) {
		if (names[i] == self && self != MACH_PORT_NULL) {
			ck_assert_msg(types[i] == MACH_PORT_TYPE_SEND,
			    "the task's own name has type %#x", types[i]);
			continue;
		}
		for (j = 0; j < n; j++) {
			if (want[j].name == names[i])
				break;
		}
		ck_assert_msg(j < n, "unexpected name 0x%x (type %#x)",
		    names[i], types[i]);
		ck_assert_msg(types[i] == want[j].type,
		    "name 0x%x listed with type %#x, want %#x", names[i],
		    types[i], want[j].type);
		want[j].seen++;
	}
	for (j = 0; j < n; j++)
		ck_assert_msg(want[j].seen == 1, "name 0x%x listed %u times",
		    want[j].name, want[j].seen);
	conf_vm_release(names, ncnt, sizeof(*names));
	conf_vm_release(types, tcnt, sizeof(*types));
}

START_TEST(D5_names_lists_every_right_with_type)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t sr = recv_new(task);
	mach_port_name_t so = conf_give_send_once(task, task, r);
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);
	mach_port_name_t s, so2;

	conf_make_send(task, sr, 2);
	KR_OK(mipc_port_insert_member(task, r, ps));
	s = conf_give_send(s2, task, r, 3);
	so2 = conf_give_send_once(s2, task, sr);
	{
		struct expect want[] = {
			{ r, MACH_PORT_TYPE_RECEIVE, 0 },
			{ sr, MACH_PORT_TYPE_SEND_RECEIVE, 0 },
			{ so, MACH_PORT_TYPE_SEND_ONCE, 0 },
			{ ps, MACH_PORT_TYPE_PORT_SET, 0 },
			{ dn, MACH_PORT_TYPE_DEAD_NAME, 0 },
		};
		struct expect want2[] = {
			{ s, MACH_PORT_TYPE_SEND, 0 },
			{ so2, MACH_PORT_TYPE_SEND_ONCE, 0 },
		};

		expect_names(task, want, 5);
		expect_names(s2, want2, 2);
	}
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(D5_names_types_match_mach_port_type)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0, i;
	mach_port_name_t r;
	unsigned k;

	for (k = 0; k < 8; k++) {
		r = recv_new(task);
		if (k % 2)
			conf_make_send(task, r, k);
		if (k % 3 == 0)
			conf_give_send_once(task, task, r);
		conf_alloc(task,
		    k % 2 ? MACH_PORT_RIGHT_PORT_SET
		          : MACH_PORT_RIGHT_DEAD_NAME);
	}
	(void)conf_self_name(task); /* listed too: + 1 */
	KR_OK(mipc_port_names(task, &names, &ncnt, &types, &tcnt));
	ck_assert_uint_eq(ncnt, tcnt);
	ck_assert_uint_eq(ncnt, 8 + 8 + 3 + 1);
	for (i = 0; i < ncnt; i++)
		TYPE_EQ(task, names[i], types[i]);
	conf_vm_release(names, ncnt, sizeof(*names));
	conf_vm_release(types, tcnt, sizeof(*types));
}
END_TEST

START_TEST(D5_names_dead_ports_listed_as_dead_names)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t s = conf_give_send(s2, s1, r, 5);
	mach_port_name_t so = conf_give_send_once(s2, s1, r);
	mach_port_name_t live = recv_new(s1);
	mach_port_name_t ls = conf_give_send(s2, s1, live, 1);

	conf_kill(s1, r);
	/* Nothing has touched the names since the death. */
	{
		struct expect want[] = {
			{ s, MACH_PORT_TYPE_DEAD_NAME, 0 },
			{ so, MACH_PORT_TYPE_DEAD_NAME, 0 },
			{ ls, MACH_PORT_TYPE_SEND, 0 },
		};

		expect_names(s2, want, 3);
	}
	REFS_EQ(s2, s, MACH_PORT_RIGHT_DEAD_NAME, 5);
	REFS_EQ(s2, so, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/*
 * Regression (fuzz_ops finding names_converts_dead_names): mach_port_names
 * converted the dead send-once name it listed, so a later send through it
 * failed MACH_SEND_INVALID_DEST instead of C8's silent success.
 */
START_TEST(D5_names_does_not_convert_dead_names)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t so = conf_give_send_once(s2, s1, r);
	mach_msg_header_t h;

	conf_kill(s1, r);
	{
		struct expect want[] = {
			{ so, MACH_PORT_TYPE_DEAD_NAME, 0 },
		};

		expect_names(s2, want, 1);
	}
	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = so;
	KR_EQ(mipc_msg(s2, &h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0,
	          MACH_PORT_NULL),
	    MACH_MSG_SUCCESS); /* C8: the send-once name is consumed */
	NAME_GONE(s2, so);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(D5_names_many_rights_all_listed)
{
	enum { N = 300 };
	mipc_space_t s = space_new();
	static struct expect want[N];
	unsigned i;

	for (i = 0; i < N; i++) {
		want[i].name = recv_new(s);
		want[i].type = MACH_PORT_TYPE_RECEIVE;
	}
	expect_names(s, want, N);
	/* Freed names disappear from the list. */
	for (i = 0; i < N; i += 2)
		KR_OK(mipc_port_destroy(s, want[i].name));
	for (i = 0; i < N / 2; i++)
		want[i] = want[2 * i + 1];
	expect_names(s, want, N / 2);
	KR_OK(mipc_space_destroy(s));
}
END_TEST

START_TEST(D5_names_null_pointers_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0;

	recv_new(task);
	KR_FAILS(mipc_port_names(task, NULL, &ncnt, &types, &tcnt));
	KR_FAILS(mipc_port_names(task, &names, NULL, &types, &tcnt));
	KR_FAILS(mipc_port_names(task, &names, &ncnt, NULL, &tcnt));
	KR_FAILS(mipc_port_names(task, &names, &ncnt, &types, NULL));
	ck_assert_uint_eq(name_count(task), 1);
}
END_TEST

static Suite *
d_type_names_suite(void)
{
	Suite *s = suite_create("D_type_names");
	TCase *tc = conf_tcase("D");

	tcase_add_test(tc, D1_type_null_invalid_name);
	tcase_add_test(tc, D1_type_dead_is_dead_name);
	tcase_add_test(tc, D1_type_unknown_invalid_name);
	tcase_add_test(tc, D1_type_null_pointer_fails);
	tcase_add_test(tc, D2_type_constants_match_mach);
	tcase_add_test(tc, D2_type_receive);
	tcase_add_test(tc, D2_type_send_receive);
	tcase_add_test(tc, D2_type_send);
	tcase_add_test(tc, D2_type_send_once);
	tcase_add_test(tc, D2_type_port_set);
	tcase_add_test(tc, D2_type_dead_name);
	tcase_add_test(tc, D4_type_send_dead_port_dead_name_same_urefs);
	tcase_add_test(tc, D4_type_send_once_dead_port_dead_name_one_uref);
	tcase_add_test(tc, D4_get_refs_converts_like_type);
	tcase_add_test(tc, D5_names_empty_space);
	tcase_add_test(tc, D5_names_lists_every_right_with_type);
	tcase_add_test(tc, D5_names_types_match_mach_port_type);
	tcase_add_test(tc, D5_names_dead_ports_listed_as_dead_names);
	tcase_add_test(tc, D5_names_many_rights_all_listed);
	tcase_add_test(tc, D5_names_does_not_convert_dead_names);
	tcase_add_test(tc, D5_names_null_pointers_fail);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(d_type_names_suite)

/*
 * Deferred to the notifications issue (mach_port_request_notification):
 *   D3 MACH_PORT_TYPE_DNREQUEST in mach_port_type / mach_port_names, and
 *      SPREQUEST bits masked by mach_port_type but not by names.
 *   D4 the extra uref a dead-name request adds on conversion (and the
 *      DNREQUEST bit disappearing); a send-once name with a request
 *      becoming a dead name with 2 urefs.
 *   D5 DNREQUEST and the adjusted urefs in mach_port_names.
 */
