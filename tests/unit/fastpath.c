/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fastpath.c -- the uncontended send and receive paths take no lock, make
 * no allocator slow-path call and no system call (DESIGN.md 4), counted by
 * the test build's ipc_slow_entries over 10,000 send/receive pairs; and
 * the fast path and the slow path deliver the same message.
 *
 * Includes core/internal.h for the slow-path counter.
 */
#include "check_mipc.h"

#include "internal.h"

#include <string.h>

typedef struct {
	mach_msg_header_t h;
	char body[40];
} msg64_t;

typedef struct {
	msg64_t m;
	mach_msg_max_trailer_t t;
} rcv64_t;

static mach_port_name_t port, reply_port;

static void
setup(void)
{
	mach_port_options_t o = { .flags = MPO_INSERT_SEND_RIGHT };

	ck_assert_int_eq(
	    mach_port_construct(mach_task_self(), &o, 0, &port), KERN_SUCCESS);
	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_RECEIVE, &reply_port),
	    KERN_SUCCESS);
}

static mach_msg_return_t
send_one(int i, mach_msg_type_name_t reply)
{
	msg64_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, reply);
	m.h.msgh_remote_port = port;
	m.h.msgh_local_port = reply != 0 ? reply_port : MACH_PORT_NULL;
	m.h.msgh_id = i;
	memcpy(m.body, &i, sizeof(i));
	return mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
	    MACH_PORT_NULL);
}

static mach_msg_return_t
receive_one(rcv64_t *r)
{
	return mach_msg(
	    &r->m.h, MACH_RCV_MSG, 0, sizeof(*r), port, 0, MACH_PORT_NULL);
}

START_TEST(fastpath_10000_pairs_take_no_slow_path)
{
	rcv64_t r;
	uint64_t before;
	int i;

	/* Warm up: the port's ring, the per-CPU caches, thread state. */
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(send_one(i, 0), MACH_MSG_SUCCESS);
		ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	}
	before = ipc_slow_entries;
	for (i = 0; i < 10000; i++) {
		MIPC_REQUIRE(send_one(i, 0) == MACH_MSG_SUCCESS, "send %d", i);
		MIPC_REQUIRE(
		    receive_one(&r) == MACH_MSG_SUCCESS, "receive %d", i);
		MIPC_REQUIRE(r.m.h.msgh_id == i, "message %d in order", i);
	}
	ck_assert_msg(ipc_slow_entries == before,
	    "%llu slow-path entries over 10000 uncontended pairs",
	    (unsigned long long)(ipc_slow_entries - before));
}
END_TEST

START_TEST(fastpath_counter_sees_the_slow_path)
{
	rcv64_t r;
	uint64_t before;

	/* The counter works: a first send allocates the port's ring and
	 * takes the space lock on the slow path. */
	before = ipc_slow_entries;
	ck_assert_int_eq(send_one(1, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_msg(ipc_slow_entries > before, "the slow path was counted");
}
END_TEST

START_TEST(fastpath_and_slowpath_deliver_the_same)
{
	rcv64_t a, b;
	mach_msg_size_t off = offsetof(rcv64_t, t);

	/* Slow (first send: no ring yet) then fast, with a reply right. */
	ck_assert_int_eq(
	    send_one(7, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&a), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    send_one(7, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&b), MACH_MSG_SUCCESS);
	ck_assert_int_eq(a.m.h.msgh_bits, 0x1112);
	ck_assert_int_eq(b.m.h.msgh_bits, 0x1112);
	ck_assert_int_eq(a.m.h.msgh_size, b.m.h.msgh_size);
	ck_assert_int_eq(a.m.h.msgh_local_port, b.m.h.msgh_local_port);
	ck_assert_int_eq(a.m.h.msgh_id, b.m.h.msgh_id);
	ck_assert_mem_eq(a.m.body, b.m.body, sizeof(a.m.body));
	/* Send-once replies never merge: two distinct names. */
	ck_assert_int_ne(a.m.h.msgh_remote_port, b.m.h.msgh_remote_port);
	(void)off;
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), a.m.h.msgh_remote_port),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), b.m.h.msgh_remote_port),
	    KERN_SUCCESS);
}
END_TEST

static Suite *
fastpath_suite(void)
{
	Suite *s = suite_create("fastpath");
	TCase *tc = mipc_tcase("fastpath");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, fastpath_10000_pairs_take_no_slow_path);
	tcase_add_test(tc, fastpath_counter_sees_the_slow_path);
	tcase_add_test(tc, fastpath_and_slowpath_deliver_the_same);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(fastpath_suite)
