/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * a_allocation.c -- MACH.md area A: mach_port_allocate and
 * mach_port_allocate_name, and the properties of the names they hand out.
 *
 * Every test checks the exact return code and the resulting state of the
 * space (type, urefs, RECEIVE_STATUS, name list).  A8 (allocate_qos /
 * allocate_full) and A10 (task_set_port_space) have no mipc API.
 */
#include "conformance.h"

/* A name whose index is far beyond any table the engine can have. */
#define HUGE_NAME ((mach_port_name_t)((0xFFFFFFu << 8) | 3u))

static void
expect_fresh_receive(mipc_space_t task, mach_port_name_t n)
{
	mach_port_status_t st;
	mach_port_context_t ctx = 0xdeadbeef;
	mach_port_limits_t lim;
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;

	TYPE_EQ(task, n, 0x00020000u);
	REFS_EQ(task, n, MACH_PORT_RIGHT_RECEIVE, 1);
	REFS_EQ(task, n, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, n, MACH_PORT_RIGHT_SEND_ONCE, 0);
	REFS_EQ(task, n, MACH_PORT_RIGHT_PORT_SET, 0);
	REFS_EQ(task, n, MACH_PORT_RIGHT_DEAD_NAME, 0);
	st = status_of(task, n);
	ck_assert_msg(st.mps_qlimit == 5, "qlimit %u, want 5", st.mps_qlimit);
	ck_assert_msg(st.mps_seqno == 0, "seqno %u", st.mps_seqno);
	ck_assert_msg(st.mps_mscount == 0, "mscount %u", st.mps_mscount);
	ck_assert_msg(st.mps_msgcount == 0, "msgcount %u", st.mps_msgcount);
	ck_assert_msg(st.mps_sorights == 0, "sorights %u", st.mps_sorights);
	ck_assert_msg(st.mps_srights == 0, "srights %d", st.mps_srights);
	ck_assert_msg(st.mps_pset == 0, "pset %u", st.mps_pset);
	ck_assert_msg(st.mps_pdrequest == 0, "pdrequest %d", st.mps_pdrequest);
	ck_assert_msg(st.mps_nsrequest == 0, "nsrequest %d", st.mps_nsrequest);
	ck_assert_msg(st.mps_flags == 0, "flags %#x", st.mps_flags);
	KR_OK(mipc_port_get_context(task, n, &ctx));
	ck_assert_msg(
	    ctx == 0, "context %#llx, want 0", (unsigned long long)ctx);
	ck_assert_msg(srights_of(task, n) == 0, "get_srights not 0");
	memset(&lim, 0xa5, sizeof(lim));
	KR_OK(mipc_port_get_attributes(
	    task, n, MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim, &cnt));
	ck_assert_msg(cnt == 1 && lim.mpl_qlimit == MACH_PORT_QLIMIT_DEFAULT,
	    "LIMITS_INFO cnt %u qlimit %u", cnt, lim.mpl_qlimit);
}

/* ---- A1: allocate RECEIVE ---------------------------------------------- */

START_TEST(A1_allocate_receive_fresh_port_state)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &n));
	ck_assert_msg(MACH_PORT_VALID(n), "name 0x%x not valid", n);
	ck_assert_msg((n & 3) == 3, "name 0x%x: low bits not 0b11", n);
	ck_assert_msg(MACH_PORT_INDEX(n) != 0, "name 0x%x has index 0", n);
	expect_fresh_receive(task, n);
	ck_assert_uint_eq(name_count(task), 1);
	GUARD_NONE("allocate");
}
END_TEST

START_TEST(A1_allocate_receive_in_created_space)
{
	mipc_space_t s = space_new();
	mach_port_name_t n = recv_new(s);

	ck_assert_msg((n & 3) == 3, "name 0x%x: low bits not 0b11", n);
	expect_fresh_receive(s, n);
	ck_assert_uint_eq(name_count(s), 1);
	/*
	 * The right lives in s only; the default space is untouched.  Its
	 * own task name is a name of its own, which the engine may have
	 * picked for n in s too (names are random): then it names the task
	 * port there (a send right), not s's receive right.
	 */
	if (n == conf_self_name(mipc_thread_space()))
		TYPE_EQ(mipc_thread_space(), n, MACH_PORT_TYPE_SEND);
	else
		NAME_GONE(mipc_thread_space(), n);
	ck_assert_uint_eq(name_count(mipc_thread_space()), 0);
	KR_OK(mipc_space_destroy(s));
}
END_TEST

START_TEST(A1_allocate_null_name_pointer_fails)
{
	mipc_space_t task = mipc_thread_space();

	KR_FAILS(mipc_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, NULL));
	KR_FAILS(mipc_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, NULL));
	KR_FAILS(mipc_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, NULL));
	ck_assert_msg(name_count(task) == 0,
	    "a failed allocate left a right in the space");
}
END_TEST

/* ---- A2: allocate PORT_SET --------------------------------------------- */

START_TEST(A2_allocate_port_set_empty)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = MACH_PORT_NULL;
	mach_port_name_array_t members = NULL;
	mach_msg_type_number_t cnt = 0xdeadbeef;

	KR_OK(mipc_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &ps));
	ck_assert_msg(
	    MACH_PORT_VALID(ps) && (ps & 3) == 3, "bad name 0x%x", ps);
	TYPE_EQ(task, ps, 0x00080000u);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_PORT_SET, 1);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_RECEIVE, 0);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_SEND, 0);
	KR_OK(mipc_port_get_set_status(task, ps, &members, &cnt));
	ck_assert_msg(cnt == 0, "new set has %u members", cnt);
	conf_vm_release(members, cnt, sizeof(*members));
}
END_TEST

/* ---- A3: allocate DEAD_NAME -------------------------------------------- */

START_TEST(A3_allocate_dead_name_one_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate(task, MACH_PORT_RIGHT_DEAD_NAME, &dn));
	ck_assert_msg(
	    MACH_PORT_VALID(dn) && (dn & 3) == 3, "bad name 0x%x", dn);
	TYPE_EQ(task, dn, 0x00100000u);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 1);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_RECEIVE, 0);
	/* One uref: one deallocate frees the name. */
	KR_OK(mipc_port_deallocate(task, dn));
	NAME_GONE(task, dn);
}
END_TEST

/* ---- A4: rights that cannot be allocated -------------------------------- */

static void
expect_alloc_invalid_value(mach_port_right_t right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = MACH_PORT_NULL;

	KR_EQ(mipc_port_allocate(task, right, &n), KERN_INVALID_VALUE);
	ck_assert_msg(name_count(task) == 0,
	    "allocate(right %u) failed but left a right", right);
}

START_TEST(A4_allocate_send_invalid_value)
{
	expect_alloc_invalid_value(MACH_PORT_RIGHT_SEND);
}
END_TEST

START_TEST(A4_allocate_send_once_invalid_value)
{
	expect_alloc_invalid_value(MACH_PORT_RIGHT_SEND_ONCE);
}
END_TEST

START_TEST(A4_allocate_labelh_invalid_value)
{
	expect_alloc_invalid_value(MACH_PORT_RIGHT_LABELH);
}
END_TEST

START_TEST(A4_allocate_number_and_larger_invalid_value)
{
	expect_alloc_invalid_value(MACH_PORT_RIGHT_NUMBER);
	expect_alloc_invalid_value(MACH_PORT_RIGHT_NUMBER + 1);
	expect_alloc_invalid_value(100);
	expect_alloc_invalid_value(0x7fffffffu);
	expect_alloc_invalid_value(0xffffffffu);
}
END_TEST

/* allocate_name goes through the same right switch (mach_port_allocate_full). */
START_TEST(A4_allocate_name_unallocatable_right_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = conf_unused_name(task);
	static const mach_port_right_t bad[] = { MACH_PORT_RIGHT_SEND,
		MACH_PORT_RIGHT_SEND_ONCE, MACH_PORT_RIGHT_LABELH,
		MACH_PORT_RIGHT_NUMBER, 0xffffffffu };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KR_EQ(mipc_port_allocate_name(task, bad[i], n),
		    KERN_INVALID_VALUE);
		NAME_GONE(task, n);
	}
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

/* ---- A5: unique names, stale names -------------------------------------- */

static int
cmp_names(const void *a, const void *b)
{
	mach_port_name_t x = *(const mach_port_name_t *)a;
	mach_port_name_t y = *(const mach_port_name_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(A5_names_distinct_and_listed)
{
	enum { N = 200 };
	mipc_space_t task = mipc_thread_space();
	static mach_port_name_t n[N], sorted[N];
	static const mach_port_right_t kinds[] = { MACH_PORT_RIGHT_RECEIVE,
		MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME };
	unsigned i, sequential = 0;
	bool found;

	for (i = 0; i < N; i++) {
		n[i] = conf_alloc(task, kinds[i % 3]);
		ck_assert_msg((n[i] & 3) == 3, "name 0x%x: low bits", n[i]);
		ck_assert_msg(MACH_PORT_INDEX(n[i]) != 0, "index 0 used");
	}
	memcpy(sorted, n, sizeof(n));
	qsort(sorted, N, sizeof(sorted[0]), cmp_names);
	for (i = 1; i < N; i++)
		ck_assert_msg(sorted[i] != sorted[i - 1],
		    "name 0x%x handed out twice", sorted[i]);
	ck_assert_uint_eq(name_count(task), N);
	for (i = 0; i < N; i++) {
		conf_names_find(task, n[i], &found, NULL);
		ck_assert_msg(found, "0x%x missing from mach_port_names", n[i]);
	}
	/* Not sequential (randomised free list). */
	for (i = 1; i < N; i++)
		sequential +=
		    MACH_PORT_INDEX(n[i]) == MACH_PORT_INDEX(n[i - 1]) + 1;
	ck_assert_msg(
	    sequential < N - 1, "all %u names have consecutive indices", N);
}
END_TEST

START_TEST(A5_stale_name_invalid_for_every_call)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t stale = conf_stale_name(task), n;
	mach_port_urefs_t refs;
	mach_port_type_t type;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_port_rights_t sr;
	mach_port_context_t ctx;
	unsigned i;

	/* New rights may reuse the slot, never the name. */
	for (i = 0; i < 64; i++) {
		n = recv_new(task);
		ck_assert_msg(
		    n != stale, "stale name 0x%x handed out again", stale);
	}
	guard_reset();
	KR_EQ(mipc_port_type(task, stale, &type), KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_refs(task, stale, MACH_PORT_RIGHT_RECEIVE, &refs),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_refs(task, stale, MACH_PORT_RIGHT_SEND, &refs),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_mod_refs(task, stale, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_deallocate(task, stale), KERN_INVALID_NAME);
	KR_EQ(mipc_port_destroy(task, stale), KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_attributes(task, stale, MACH_PORT_RECEIVE_STATUS,
	          (mach_port_info_t)&st, &cnt),
	    KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_srights(task, stale, &sr), KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_context(task, stale, &ctx), KERN_INVALID_NAME);
	KR_EQ(mipc_port_set_mscount(task, stale, 1), KERN_INVALID_NAME);
	KR_EQ(mipc_port_insert_right(
	          task, stale, task, stale, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_NAME);
	ck_assert_uint_eq(name_count(task), 64);
}
END_TEST

START_TEST(A5_stale_generation_same_slot_invalid)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t stale = conf_stale_name(task);
	mach_port_name_t fresh = conf_other_gen(stale);

	ck_assert_msg(fresh != stale && (fresh & 3) == 3 &&
	        MACH_PORT_INDEX(fresh) == MACH_PORT_INDEX(stale),
	    "test bug: 0x%x vs 0x%x", fresh, stale);
	/* Reoccupy the very slot under another generation. */
	KR_OK(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, fresh));
	TYPE_EQ(task, fresh, MACH_PORT_TYPE_RECEIVE);
	NAME_GONE(task, stale);
	KR_EQ(mipc_port_mod_refs(task, stale, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_NAME);
	/* The live right was not touched through the stale name. */
	TYPE_EQ(task, fresh, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(name_count(task), 1);
}
END_TEST

/* ---- A6: allocate_name --------------------------------------------------- */

START_TEST(A6_allocate_name_null_dead_invalid_value)
{
	mipc_space_t task = mipc_thread_space();

	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_NULL),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_RECEIVE, MACH_PORT_DEAD),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_PORT_SET, MACH_PORT_NULL),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_PORT_SET, MACH_PORT_DEAD),
	    KERN_INVALID_VALUE);
	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_DEAD_NAME, MACH_PORT_NULL),
	    KERN_INVALID_VALUE);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(A6_allocate_name_index_too_large_no_space)
{
	mipc_space_t task = mipc_thread_space();

	KR_EQ(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, HUGE_NAME),
	    KERN_NO_SPACE);
	KR_EQ(
	    mipc_port_allocate_name(task, MACH_PORT_RIGHT_PORT_SET, HUGE_NAME),
	    KERN_NO_SPACE);
	NAME_GONE(task, HUGE_NAME);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(A6_allocate_name_low_bits_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	/* 122 (tests/mach_port_insert_right.c), then each non-0b11 pattern. */
	static const mach_port_name_t bad[] = { 122, 0x1000, 0x1001, 0x1002,
		0x12340, 0x12341, 0x12342 };
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KR_EQ(mipc_port_allocate_name(
		          task, MACH_PORT_RIGHT_RECEIVE, bad[i]),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_allocate_name(
		          task, MACH_PORT_RIGHT_PORT_SET, bad[i]),
		    KERN_INVALID_VALUE);
	}
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(A6_allocate_name_index_zero_failure)
{
	mipc_space_t task = mipc_thread_space();
	/* 123 (tests/mach_port_insert_right.c): index 0, low bits 0b11. */
	static const mach_port_name_t zero_index[] = { 123, 0x03, 0x07, 0xff };
	unsigned i;

	for (i = 0; i < sizeof(zero_index) / sizeof(zero_index[0]); i++) {
		KR_EQ(mipc_port_allocate_name(
		          task, MACH_PORT_RIGHT_RECEIVE, zero_index[i]),
		    KERN_FAILURE);
		KR_EQ(mipc_port_allocate_name(
		          task, MACH_PORT_RIGHT_PORT_SET, zero_index[i]),
		    KERN_FAILURE);
	}
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(A6_allocate_name_receive_exact_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = conf_unused_name(task);
	mach_port_type_t type = 0;
	bool found;

	KR_OK(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, n));
	expect_fresh_receive(task, n);
	ck_assert_uint_eq(conf_names_find(task, n, &found, &type), 1);
	ck_assert_msg(found && type == MACH_PORT_TYPE_RECEIVE,
	    "names: found %d type %#x", found, type);
}
END_TEST

START_TEST(A6_allocate_name_port_set_exact_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = conf_unused_name(task);

	KR_OK(mipc_port_allocate_name(task, MACH_PORT_RIGHT_PORT_SET, n));
	TYPE_EQ(task, n, MACH_PORT_TYPE_PORT_SET);
	REFS_EQ(task, n, MACH_PORT_RIGHT_PORT_SET, 1);
	ck_assert_uint_eq(conf_set_count(task, n), 0);
	ck_assert_uint_eq(name_count(task), 1);
}
END_TEST

START_TEST(A6_allocate_name_existing_right_name_exists)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = conf_unused_name(task);
	mach_port_name_t r, ps, dn;

	KR_OK(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, n));
	KR_EQ(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, n),
	    KERN_NAME_EXISTS);
	KR_EQ(mipc_port_allocate_name(task, MACH_PORT_RIGHT_PORT_SET, n),
	    KERN_NAME_EXISTS);
	r = recv_new(task);
	ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);
	KR_EQ(mipc_port_allocate_name(task, MACH_PORT_RIGHT_PORT_SET, r),
	    KERN_NAME_EXISTS);
	KR_EQ(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, ps),
	    KERN_NAME_EXISTS);
	KR_EQ(mipc_port_allocate_name(task, MACH_PORT_RIGHT_RECEIVE, dn),
	    KERN_NAME_EXISTS);
	/* Nothing was replaced. */
	TYPE_EQ(task, n, MACH_PORT_TYPE_RECEIVE);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	TYPE_EQ(task, ps, MACH_PORT_TYPE_PORT_SET);
	TYPE_EQ(task, dn, MACH_PORT_TYPE_DEAD_NAME);
	ck_assert_uint_eq(name_count(task), 4);
}
END_TEST

START_TEST(A6_allocate_name_slot_used_other_generation_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);

	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_RECEIVE, conf_other_gen(r)),
	    KERN_FAILURE);
	KR_EQ(mipc_port_allocate_name(
	          task, MACH_PORT_RIGHT_PORT_SET, conf_other_gen(ps)),
	    KERN_FAILURE);
	NAME_GONE(task, conf_other_gen(r));
	NAME_GONE(task, conf_other_gen(ps));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	TYPE_EQ(task, ps, MACH_PORT_TYPE_PORT_SET);
	ck_assert_uint_eq(name_count(task), 2);
}
END_TEST

START_TEST(A6_allocate_name_same_name_in_two_spaces)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t n = conf_unused_name(s1);

	/* Names are per space: the same value denotes two distinct ports. */
	KR_OK(mipc_port_allocate_name(s1, MACH_PORT_RIGHT_RECEIVE, n));
	KR_OK(mipc_port_allocate_name(s2, MACH_PORT_RIGHT_RECEIVE, n));
	KR_OK(mipc_port_set_mscount(s1, n, 11));
	ck_assert_uint_eq(status_of(s1, n).mps_mscount, 11);
	ck_assert_uint_eq(status_of(s2, n).mps_mscount, 0);
	KR_OK(mipc_port_mod_refs(s1, n, MACH_PORT_RIGHT_RECEIVE, -1));
	NAME_GONE(s1, n);
	TYPE_EQ(s2, n, MACH_PORT_TYPE_RECEIVE);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/* ---- A7: allocate_name(DEAD_NAME) ignores the name ---------------------- */

START_TEST(A7_allocate_name_dead_name_ignores_free_name)
{
	mipc_space_t task = mipc_thread_space();
	/* The task's own name, listed too (made now, before the stale one). */
	mach_port_name_t self = conf_self_name(task);
	mach_port_name_t stale = conf_stale_name(task);
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0;
	mach_port_name_t dn;
	unsigned int i;

	KR_OK(mipc_port_allocate_name(task, MACH_PORT_RIGHT_DEAD_NAME, stale));
	NAME_GONE(task, stale);
	KR_OK(mipc_port_names(task, &names, &ncnt, &types, &tcnt));
	ck_assert_msg(ncnt == 2 && tcnt == 2,
	    "%u names, want the dead name and the task's own", ncnt);
	i = names[0] == self ? 1 : 0;
	ck_assert_msg(names[1 - i] == self, "the task's own name is listed");
	dn = names[i];
	ck_assert_msg(
	    types[i] == MACH_PORT_TYPE_DEAD_NAME, "type %#x", types[i]);
	conf_vm_release(names, ncnt, sizeof(*names));
	conf_vm_release(types, tcnt, sizeof(*types));
	ck_assert_msg(dn != stale && (dn & 3) == 3, "dead name 0x%x", dn);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 1);
}
END_TEST

START_TEST(A7_allocate_name_dead_name_ignores_used_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	/* Would be KERN_NAME_EXISTS for any other right. */
	KR_OK(mipc_port_allocate_name(task, MACH_PORT_RIGHT_DEAD_NAME, r));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_DEAD_NAME, 0);
	ck_assert_uint_eq(name_count(task), 2);
}
END_TEST

/* ---- A9: no room ---------------------------------------------------------- */

/*
 * Exhausting the table is not bounded yet (the engine's maximum is not
 * fixed); a slot beyond any possible table gives the same code, and the
 * space must stay usable.
 */
START_TEST(A9_allocate_beyond_table_no_space_space_usable)
{
	mipc_space_t s = space_new();
	mach_port_name_t r;

	KR_EQ(mipc_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, HUGE_NAME),
	    KERN_NO_SPACE);
	KR_EQ(mipc_port_allocate_name(s, MACH_PORT_RIGHT_PORT_SET, HUGE_NAME),
	    KERN_NO_SPACE);
	ck_assert_uint_eq(name_count(s), 0);
	r = recv_new(s);
	TYPE_EQ(s, r, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(name_count(s), 1);
	KR_OK(mipc_space_destroy(s));
}
END_TEST

static Suite *
a_allocation_suite(void)
{
	Suite *s = suite_create("A_allocation");
	TCase *tc = conf_tcase("A");

	tcase_add_test(tc, A1_allocate_receive_fresh_port_state);
	tcase_add_test(tc, A1_allocate_receive_in_created_space);
	tcase_add_test(tc, A1_allocate_null_name_pointer_fails);
	tcase_add_test(tc, A2_allocate_port_set_empty);
	tcase_add_test(tc, A3_allocate_dead_name_one_uref);
	tcase_add_test(tc, A4_allocate_send_invalid_value);
	tcase_add_test(tc, A4_allocate_send_once_invalid_value);
	tcase_add_test(tc, A4_allocate_labelh_invalid_value);
	tcase_add_test(tc, A4_allocate_number_and_larger_invalid_value);
	tcase_add_test(tc, A4_allocate_name_unallocatable_right_invalid_value);
	tcase_add_test(tc, A5_names_distinct_and_listed);
	tcase_add_test(tc, A5_stale_name_invalid_for_every_call);
	tcase_add_test(tc, A5_stale_generation_same_slot_invalid);
	tcase_add_test(tc, A6_allocate_name_null_dead_invalid_value);
	tcase_add_test(tc, A6_allocate_name_index_too_large_no_space);
	tcase_add_test(tc, A6_allocate_name_low_bits_invalid_value);
	tcase_add_test(tc, A6_allocate_name_index_zero_failure);
	tcase_add_test(tc, A6_allocate_name_receive_exact_name);
	tcase_add_test(tc, A6_allocate_name_port_set_exact_name);
	tcase_add_test(tc, A6_allocate_name_existing_right_name_exists);
	tcase_add_test(tc, A6_allocate_name_slot_used_other_generation_failure);
	tcase_add_test(tc, A6_allocate_name_same_name_in_two_spaces);
	tcase_add_test(tc, A7_allocate_name_dead_name_ignores_free_name);
	tcase_add_test(tc, A7_allocate_name_dead_name_ignores_used_name);
	tcase_add_test(tc, A9_allocate_beyond_table_no_space_space_usable);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(a_allocation_suite)

/*
 * Not here:
 *   A8  mach_port_allocate_qos / mach_port_allocate_full: no mipc API.
 *   A9  true exhaustion of the name table: waits for the engine's fixed
 *       maximum table size (then: allocate until KERN_NO_SPACE, bounded).
 *   A10 task_set_port_space: no mipc API.
 */
