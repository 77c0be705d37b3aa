/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pset.c -- tests of core/pset.c and the set receive: how much a receive
 * on a set costs.  Behaviour MACH.md specifies (membership, G7 fairness,
 * G8 wake-ups) is tested in conformance/g_port_sets.c; these bound the
 * engine's work: a receive looks at the members that have messages (the
 * set's ready queue, DESIGN.md 3), not at every member, and an empty set
 * costs the same whatever its size (issue 12, item 8: a receive on an
 * empty set of 10,000 members scanned them 2n times: 0.6 s, paid again
 * before every sleep).
 *
 * And one interleaving of two set receivers (tests/interleave.h): a member
 * with two messages, taken out of the ready queue by one receiver while
 * the other looks, finds the queue empty and sleeps; the first puts the
 * member back and must wake the sleeper.
 *
 * Includes core/internal.h for ipc_pset_looks, the count of member ports
 * a set receive of this thread looked at, and for ipc_yield_hook (test
 * builds).
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

#include <string.h>

#define MEMBERS 1000

static mipc_space_t sp;
static mach_port_name_t set, members[MEMBERS];

/* Before the leak check (check_mipc.h runs it first). */
static void
destroy_space(void)
{
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}

static void
setup(void)
{
	int i;

	mipc_check_before_leaks = destroy_space;
	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	for (i = 0; i < MEMBERS; i++) {
		MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE,
		                 &members[i]) == KERN_SUCCESS,
		    "allocate");
		MIPC_REQUIRE(mipc_port_insert_member(sp, members[i], set) ==
		        KERN_SUCCESS,
		    "insert member");
	}
}

static void
send_to(mach_port_name_t r, mach_msg_id_t id)
{
	mach_msg_header_t h;

	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	h.msgh_remote_port = r;
	h.msgh_id = id;
	ck_assert_int_eq(mipc_msg(sp, &h, MACH_SEND_MSG, sizeof(h), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

static mach_msg_return_t
receive_set_for(mach_msg_header_t *out, mach_msg_timeout_t ms)
{
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;
	mach_msg_return_t mr;

	mr = mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    set, ms, MACH_PORT_NULL);
	if (out != NULL)
		*out = m.h;
	return mr;
}

static mach_msg_return_t
receive_set(mach_msg_header_t *out)
{
	return receive_set_for(out, 0);
}

START_TEST(pset_empty_set_receive_looks_at_no_member)
{
	uint64_t before = ipc_pset_looks;
	int i;

	for (i = 0; i < 10; i++)
		MIPC_REQUIRE(receive_set(NULL) == MACH_RCV_TIMED_OUT,
		    "empty set receive %d", i);
	ck_assert_msg(ipc_pset_looks - before == 0,
	    "10 receives on an empty set of %d members looked at %llu "
	    "members",
	    MEMBERS, (unsigned long long)(ipc_pset_looks - before));
}
END_TEST

START_TEST(pset_receive_looks_only_at_ready_members)
{
	mach_msg_header_t h;
	uint64_t before;
	int i;

	/* Three members far apart have one message each. */
	send_to(members[MEMBERS / 4], 1);
	send_to(members[MEMBERS / 2], 2);
	send_to(members[MEMBERS - 1], 3);
	before = ipc_pset_looks;
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(receive_set(&h), MACH_MSG_SUCCESS);
		ck_assert_int_ge(h.msgh_id, 1);
	}
	ck_assert_int_eq(receive_set(NULL), MACH_RCV_TIMED_OUT);
	ck_assert_msg(ipc_pset_looks - before <= 3,
	    "3 receives from 3 ready members of %d looked at %llu members",
	    MEMBERS, (unsigned long long)(ipc_pset_looks - before));
}
END_TEST

struct two_receives {
	mach_msg_return_t tr_first, tr_second;
	mach_msg_header_t tr_h1, tr_h2;
};

static void
first_receiver(void *arg)
{
	struct two_receives *t = arg;

	t->tr_first = receive_set(&t->tr_h1);
}

/* Sleeps if it finds nothing: a second is plenty, the other is done. */
static void
second_receiver(void *arg)
{
	struct two_receives *t = arg;

	t->tr_second = receive_set_for(&t->tr_h2, 1000);
}

START_TEST(pset_member_put_back_wakes_a_sleeping_set_receiver)
{
	struct two_receives t;
	unsigned int n;
	bool reached = true;

	for (n = 1; reached; n++) {
		send_to(members[0], 1);
		send_to(members[0], 2);
		memset(&t, 0, sizeof(t));
		reached =
		    interleave_at(n, first_receiver, &t, second_receiver, &t);
		ck_assert_msg(t.tr_first == MACH_MSG_SUCCESS &&
		        t.tr_second == MACH_MSG_SUCCESS,
		    "second receiver at yield point %u: first 0x%x, second "
		    "0x%x",
		    n, t.tr_first, t.tr_second);
		ck_assert_int_eq(t.tr_h1.msgh_id + t.tr_h2.msgh_id, 3);
		ck_assert_int_eq(receive_set(NULL), MACH_RCV_TIMED_OUT);
	}
}
END_TEST

static Suite *
pset_suite(void)
{
	Suite *s = suite_create("pset");
	TCase *tc = mipc_tcase("ready_queue");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pset_empty_set_receive_looks_at_no_member);
	tcase_add_test(tc, pset_receive_looks_only_at_ready_members);
	tcase_add_test(tc, pset_member_put_back_wakes_a_sleeping_set_receiver);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(pset_suite)
