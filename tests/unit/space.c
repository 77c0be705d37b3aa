/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * space.c -- tests of core/space.c: name encoding and generations, table
 * growth, the reverse map, space life cycle and the current / default
 * spaces.  Behaviour that MACH.md specifies is tested in conformance/;
 * these check the engine's own mechanisms.
 *
 * Includes core/internal.h to see table sizes and failure injection.
 */
#include "check_mipc.h"

#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static mipc_space_t sp;

static void
setup(void)
{
	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
}

static void
teardown(void)
{
	if (sp != NULL)
		ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
	sp = NULL;
}

static int
cmp_name(const void *a, const void *b)
{
	mach_port_name_t x = *(const mach_port_name_t *)a;
	mach_port_name_t y = *(const mach_port_name_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(space_names_have_low_bits_and_are_unique)
{
	enum { N = 3000 }; /* forces several doublings past IPC_TABLE_MIN */
	static mach_port_name_t names[N], sorted[N];
	int i, sequential = 0;

	for (i = 0; i < N; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &names[i]),
		    KERN_SUCCESS);
		ck_assert_msg(
		    (names[i] & 3) == 3, "name 0x%x lacks low bits", names[i]);
		ck_assert_msg(MACH_PORT_INDEX(names[i]) < IPC_TABLE_MAX,
		    "index in range");
		if (i > 0 &&
		    MACH_PORT_INDEX(names[i]) ==
		        MACH_PORT_INDEX(names[i - 1]) + 1)
			sequential++;
	}
	memcpy(sorted, names, sizeof(names));
	qsort(sorted, N, sizeof(sorted[0]), cmp_name);
	for (i = 1; i < N; i++)
		MIPC_REQUIRE(sorted[i - 1] != sorted[i], "duplicate name");
	/* Shuffled free lists: most neighbours are not consecutive. */
	ck_assert_msg(
	    sequential < N / 4, "%d of %d names sequential", sequential, N);
	for (i = 0; i < N; i++)
		MIPC_REQUIRE(mipc_port_destroy(sp, names[i]) == KERN_SUCCESS,
		    "destroy %d", i);
}
END_TEST

/*
 * No space hands out its names in index order.  A free list linked with
 * a stride of 1 (or its mirror, n - 1) is the identity shuffle: one
 * segment of 1,024 names came out sequential, 1022 of 3000 in the test
 * above (1 run in about 50: the first segment's 63 slots have 36 strides
 * to pick from).  Any other stride leaves no two consecutive names
 * adjacent, so 16 names of each of 200 fresh spaces tell.
 */
START_TEST(space_free_list_never_in_index_order)
{
	enum { SPACES = 200, NAMES = 16 };
	mach_port_name_t n[NAMES];
	int s, i, adjacent;

	for (s = 0; s < SPACES; s++) {
		mipc_space_t x = NULL;

		ck_assert_int_eq(mipc_space_create(&x), KERN_SUCCESS);
		for (adjacent = 0, i = 0; i < NAMES; i++) {
			ck_assert_int_eq(mipc_port_allocate(
			                     x, MACH_PORT_RIGHT_RECEIVE, &n[i]),
			    KERN_SUCCESS);
			if (i > 0 &&
			    (MACH_PORT_INDEX(n[i]) ==
			            MACH_PORT_INDEX(n[i - 1]) + 1 ||
			        MACH_PORT_INDEX(n[i]) + 1 ==
			            MACH_PORT_INDEX(n[i - 1])))
				adjacent++;
		}
		ck_assert_msg(adjacent < NAMES / 2,
		    "space %d: %d of %d names next to the one before", s,
		    adjacent, NAMES - 1);
		ck_assert_int_eq(mipc_space_destroy(x), KERN_SUCCESS);
	}
}
END_TEST

START_TEST(space_generation_advances_and_rolls_over)
{
	mach_port_name_t first, n, prev;
	int uses, distinct_gens = 1;

	ck_assert_int_eq(
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &first),
	    KERN_SUCCESS);
	prev = first;
	ck_assert_int_eq(mipc_port_deallocate(sp, first), KERN_SUCCESS);
	/* The freed slot is reused first (LIFO), with the next generation. */
	for (uses = 0; uses < 100; uses++) {
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &n),
		    KERN_SUCCESS);
		ck_assert_int_eq(MACH_PORT_INDEX(n), MACH_PORT_INDEX(first));
		ck_assert_msg(n != prev, "generation did not change");
		if ((n & 0xff) == (first & 0xff))
			break; /* rolled over to the first generation */
		ck_assert_int_eq((n & 0xff), ((prev & 0xff) + 4) & 0xff);
		distinct_gens++;
		/* The stale name is invalid now (MACH.md A5). */
		ck_assert_int_eq(mipc_port_deallocate(sp, prev),
		    prev == first ? KERN_INVALID_NAME : KERN_INVALID_NAME);
		ck_assert_int_eq(mipc_port_deallocate(sp, n), KERN_SUCCESS);
		prev = n;
	}
	/* Roll points are 16, 32, 48 or 64 uses. */
	ck_assert_msg(distinct_gens == 16 || distinct_gens == 32 ||
	        distinct_gens == 48 || distinct_gens == 64,
	    "rolled over after %d generations", distinct_gens);
	ck_assert_int_eq(mipc_port_deallocate(sp, n), KERN_SUCCESS);
}
END_TEST

START_TEST(space_table_growth_failure_is_clean)
{
	mach_port_name_t n;
	int i;

	/* Fill the first table, then fail the doubling. */
	for (i = 0; i < (int)IPC_TABLE_MIN - 1; i++)
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &n),
		    KERN_SUCCESS);
	ipc_fail_nth(IPC_KIND_TABLE, 1);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &n),
	    KERN_RESOURCE_SHORTAGE);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &n),
	    KERN_SUCCESS);
}
END_TEST

START_TEST(space_port_alloc_failure_is_clean)
{
	mach_port_name_t n;
	struct mipc_stats st;

	ipc_fail_nth(IPC_KIND_PORT, 1);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_RESOURCE_SHORTAGE);
	ipc_fail_nth(IPC_KIND_PSET, 1);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &n),
	    KERN_RESOURCE_SHORTAGE);
	mipc_quiesce();
	mipc_get_stats(&st);
	ck_assert_int_eq(st.ports, 0);
	ck_assert_int_eq(st.psets, 0);
}
END_TEST

START_TEST(space_reverse_map_survives_growth)
{
	enum { N = 500 };
	static mach_port_name_t recv[N];
	mipc_space_t other;
	mach_port_name_t n;
	mach_port_type_t t;
	int i;

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &recv[i]),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_extract_right(sp, recv[i],
		                     MACH_MSG_TYPE_MAKE_SEND, other, &n, &t),
		    KERN_SUCCESS);
	}
	/* A second send right for each port merges into the same name. */
	for (i = 0; i < N; i++) {
		mach_port_name_t a, b;
		mach_msg_type_name_t ta, tb;
		mach_port_urefs_t r;

		ck_assert_int_eq(mipc_port_extract_right(sp, recv[i],
		                     MACH_MSG_TYPE_MAKE_SEND, other, &a, &ta),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_extract_right(sp, recv[i],
		                     MACH_MSG_TYPE_MAKE_SEND, other, &b, &tb),
		    KERN_SUCCESS);
		ck_assert_int_eq(a, b);
		ck_assert_int_eq(
		    mipc_port_get_refs(other, a, MACH_PORT_RIGHT_SEND, &r),
		    KERN_SUCCESS);
		ck_assert_int_eq(r, 3);
	}
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
}
END_TEST

START_TEST(space_destroyed_handle_answers_invalid_task)
{
	mach_port_name_t n;

	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_INVALID_TASK);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_INVALID_TASK);
	sp = NULL;
}
END_TEST

START_TEST(space_current_and_default)
{
	mipc_space_t def = mipc_thread_space(), prev;

	ck_assert_ptr_nonnull(def);
	ck_assert_ptr_eq(mipc_thread_space(), def);
	prev = mipc_thread_set_space(sp);
	ck_assert_ptr_eq(prev, def);
	ck_assert_ptr_eq(mipc_thread_space(), sp);
	prev = mipc_thread_set_space(NULL);
	ck_assert_ptr_eq(prev, sp);
	ck_assert_ptr_eq(mipc_thread_space(), def);
}
END_TEST

static void *
other_thread_space(void *arg)
{
	(void)arg;
	return mipc_thread_space();
}

START_TEST(space_default_is_process_wide)
{
	pthread_t t;
	void *got;

	ck_assert_int_eq(pthread_create(&t, NULL, other_thread_space, NULL), 0);
	pthread_join(t, &got);
	ck_assert_ptr_eq(got, mipc_thread_space());
}
END_TEST

static void *
set_then_exit(void *arg)
{
	mipc_thread_set_space(arg);
	return NULL;
}

/*
 * A thread's current space is a handle, not a reference: destroyed while
 * current (here and in a thread that exited), it is reclaimed at once and
 * still answers KERN_INVALID_TASK through mach_task_self().
 */
START_TEST(space_destroyed_while_current_pins_nothing)
{
	pthread_t t;
	struct mipc_stats st, before;
	mach_port_name_t n;

	(void)mach_task_self(); /* the default space exists throughout */
	mipc_get_stats(&before);
	ck_assert_int_eq(pthread_create(&t, NULL, set_then_exit, sp), 0);
	pthread_join(t, NULL);
	mipc_thread_set_space(sp);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
	mipc_quiesce();
	mipc_get_stats(&st);
	ck_assert_int_eq(st.spaces, before.spaces - 1);
	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_INVALID_TASK);
	ck_assert_ptr_eq(mipc_thread_set_space(NULL), sp);
	sp = NULL;
}
END_TEST

static Suite *
space_suite(void)
{
	Suite *s = suite_create("space");
	TCase *tc = mipc_tcase("space");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, space_names_have_low_bits_and_are_unique);
	tcase_add_test(tc, space_free_list_never_in_index_order);
	tcase_add_test(tc, space_generation_advances_and_rolls_over);
	tcase_add_test(tc, space_table_growth_failure_is_clean);
	tcase_add_test(tc, space_port_alloc_failure_is_clean);
	tcase_add_test(tc, space_reverse_map_survives_growth);
	tcase_add_test(tc, space_destroyed_handle_answers_invalid_task);
	tcase_add_test(tc, space_current_and_default);
	tcase_add_test(tc, space_default_is_process_wide);
	tcase_add_test(tc, space_destroyed_while_current_pins_nothing);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(space_suite)
