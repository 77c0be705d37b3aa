/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pset_receive_threads.c -- a receive on a port set racing with its
 * members' deaths: one thread receives from a set (plainly, and through a
 * workloop the set is attached to) while another adds ports to it, sends
 * to them and destroys them.  Found by tests/stress/server_threads.c under
 * TSan (issue 14): the receive read a member's receive name while its
 * death wrote it.  Every message is either received or destroyed with its
 * port; nothing leaks.
 */
#include "stress.h"

#include <mipc/sync.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

static mipc_space_t sp;
static mach_port_name_t set;
static atomic_int done;
static mipc_workloop_t wl;

static void *
receiver(void *arg)
{
	bool through_wl = arg != NULL;
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;

	stress_pin(0);
	while (!atomic_load(&done)) {
		memset(&m, 0, sizeof(m));
		if (through_wl)
			(void)mipc_workloop_msg(wl, &m.h,
			    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), 1);
		else
			(void)mipc_msg(sp, &m.h,
			    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), set,
			    1, MACH_PORT_NULL);
	}
	if (through_wl)
		mipc_workloop_end(wl);
	return NULL;
}

static void
churn(long rounds)
{
	mach_msg_header_t h;
	mach_port_name_t p;
	long i;

	stress_pin(1);
	for (i = 0; i < rounds; i++) {
		MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE,
		                 &p) == KERN_SUCCESS,
		    "allocate");
		MIPC_REQUIRE(
		    mipc_port_insert_member(sp, p, set) == KERN_SUCCESS,
		    "insert");
		MIPC_REQUIRE(mipc_port_insert_right(sp, p, sp, p,
		                 MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
		    "make send");
		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0);
		h.msgh_remote_port = p;
		h.msgh_size = sizeof(h);
		MIPC_REQUIRE(mipc_msg(sp, &h, MACH_SEND_MSG, sizeof(h), 0, 0, 0,
		                 0) == KERN_SUCCESS,
		    "send");
		MIPC_REQUIRE(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE,
		                 -1) == KERN_SUCCESS,
		    "destroy");
	}
}

static void
run(bool through_wl)
{
	pthread_t r;

	MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS, "space");
	MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set) ==
	        KERN_SUCCESS,
	    "set");
	if (through_wl) {
		MIPC_REQUIRE(mipc_workloop_create(sp, 0, &wl) == KERN_SUCCESS,
		    "workloop");
		MIPC_REQUIRE(
		    mipc_workloop_attach(wl, set) == KERN_SUCCESS, "attach");
	}
	atomic_store(&done, 0);
	MIPC_REQUIRE(pthread_create(&r, NULL, receiver,
	                 through_wl ? (void *)1 : NULL) == 0,
	    "receiver");
	churn(stress_iters(3000));
	atomic_store(&done, 1);
	pthread_join(r, NULL);
	if (through_wl)
		MIPC_REQUIRE(mipc_workloop_destroy(wl) == KERN_SUCCESS, "wl");
	MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "destroy");
}

START_TEST(msg_issue_14_set_receive_races_member_death)
{
	run(false);
}
END_TEST

START_TEST(msg_issue_14_workloop_set_receive_races_member_death)
{
	run(true);
}
END_TEST

static Suite *
pset_receive_suite(void)
{
	Suite *s = suite_create("pset_receive_threads");
	TCase *tc = mipc_tcase("member_death");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, msg_issue_14_set_receive_races_member_death);
	tcase_add_test(
	    tc, msg_issue_14_workloop_set_receive_races_member_death);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(pset_receive_suite)
