/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pset_threads.c -- port sets under concurrency: a thread receives on a
 * set while another moves member receive rights out of the space and back
 * (changing their names), makes fresh members and destroys them, and a
 * third sends to every member.  Every message is received exactly once,
 * each reports as its local port a name its port had in the receiving
 * space (never another port's, never a stale name of a port that moved),
 * and TSan sees every edge (issue 12, item 19: the receiver's name for a
 * member and the links of members made by another thread).
 */
#include "stress.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { MEMBERS = 4, HIST = 4096 };

typedef struct {
	mach_msg_header_t hdr;
	uint32_t member;
	uint32_t seq;
} pmsg_t;

typedef struct {
	pmsg_t m;
	mach_msg_max_trailer_t trailer;
} prcv_t;

static mipc_space_t s_rcv, s_away, s_send;
static mach_port_name_t pset;
static mach_port_name_t send_to[MEMBERS]; /* in s_send */
/* Every name member k had in s_rcv (written by the mover only). */
static mach_port_name_t hist[MEMBERS][HIST];
static int hist_n[MEMBERS];
static int stop;
static long sent, received;

static bool
was_name_of(uint32_t k, mach_port_name_t n)
{
	int i, last = __atomic_load_n(&hist_n[k], __ATOMIC_ACQUIRE);

	for (i = 0; i < last; i++)
		if (hist[k][i] == n)
			return true;
	return false;
}

static void
hist_add(uint32_t k, mach_port_name_t n)
{
	int i = hist_n[k];

	MIPC_REQUIRE(i < HIST, "name history full");
	hist[k][i] = n;
	__atomic_store_n(&hist_n[k], i + 1, __ATOMIC_RELEASE);
}

/* Move member k out of s_rcv and back: a new name in s_rcv, back in the set. */
static mach_port_name_t
move_round_trip(uint32_t k, mach_port_name_t name)
{
	mach_port_name_t away = MACH_PORT_NULL, back = MACH_PORT_NULL;
	mach_msg_type_name_t t;

	MIPC_REQUIRE(
	    mipc_port_extract_right(s_rcv, name, MACH_MSG_TYPE_MOVE_RECEIVE,
	        s_away, &away, &t) == KERN_SUCCESS,
	    "move out");
	MIPC_REQUIRE(
	    mipc_port_extract_right(s_away, away, MACH_MSG_TYPE_MOVE_RECEIVE,
	        s_rcv, &back, &t) == KERN_SUCCESS,
	    "move back");
	hist_add(k, back);
	MIPC_REQUIRE(mipc_port_insert_member(s_rcv, back, pset) == KERN_SUCCESS,
	    "back in the set");
	return back;
}

static void *
mover(void *arg)
{
	mach_port_name_t *names = arg;
	long n = 0;

	stress_pin(1);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint32_t k = (uint32_t)(n % MEMBERS);
		mach_port_name_t fresh = MACH_PORT_NULL;

		names[k] = move_round_trip(k, names[k]);
		/* A member made (and destroyed) by this thread. */
		MIPC_REQUIRE(mipc_port_allocate(s_rcv, MACH_PORT_RIGHT_RECEIVE,
		                 &fresh) == KERN_SUCCESS,
		    "allocate");
		MIPC_REQUIRE(
		    mipc_port_insert_member(s_rcv, fresh, pset) == KERN_SUCCESS,
		    "insert fresh member");
		MIPC_REQUIRE(mipc_port_mod_refs(s_rcv, fresh,
		                 MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS,
		    "destroy fresh member");
		n++;
	}
	return NULL;
}

static void *
sender(void *arg)
{
	long i, rounds = *(long *)arg;

	stress_pin(2);
	for (i = 0; i < rounds; i++) {
		pmsg_t m;
		mach_msg_return_t mr;

		memset(&m, 0, sizeof(m));
		m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.member = (uint32_t)(i % MEMBERS);
		m.seq = (uint32_t)i;
		m.hdr.msgh_remote_port = send_to[m.member];
		mr = mipc_msg(s_send, &m.hdr, MACH_SEND_MSG, sizeof(m), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "send: 0x%x", mr);
		__atomic_fetch_add(&sent, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
receive_one(unsigned char *seen, long rounds, mach_msg_timeout_t to)
{
	prcv_t r;
	mach_msg_return_t mr;

	mr = mipc_msg(s_rcv, &r.m.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(r), pset, to, MACH_PORT_NULL);
	if (mr == MACH_RCV_TIMED_OUT)
		return;
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
	MIPC_REQUIRE(r.m.member < MEMBERS && r.m.seq < rounds, "garbage");
	MIPC_REQUIRE(was_name_of(r.m.member, r.m.hdr.msgh_local_port),
	    "message for member %u reports local port 0x%x, never its name",
	    r.m.member, r.m.hdr.msgh_local_port);
	MIPC_REQUIRE(seen[r.m.seq]++ == 0, "message %u twice", r.m.seq);
	received++;
}

START_TEST(pset_threads_set_receive_while_members_move)
{
	long rounds = stress_iters(4000), i;
	unsigned char *seen = calloc((size_t)rounds, 1);
	mach_port_name_t names[MEMBERS];
	pthread_t mt, st;
	uint32_t k;

	ck_assert_ptr_nonnull(seen);
	ck_assert_int_eq(mipc_space_create(&s_rcv), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s_away), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s_send), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(s_rcv, MACH_PORT_RIGHT_PORT_SET, &pset),
	    KERN_SUCCESS);
	for (k = 0; k < MEMBERS; k++) {
		mach_msg_type_name_t t;

		ck_assert_int_eq(mipc_port_allocate(
		                     s_rcv, MACH_PORT_RIGHT_RECEIVE, &names[k]),
		    KERN_SUCCESS);
		hist_add(k, names[k]);
		ck_assert_int_eq(
		    mipc_port_extract_right(s_rcv, names[k],
		        MACH_MSG_TYPE_MAKE_SEND, s_send, &send_to[k], &t),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_insert_member(s_rcv, names[k], pset),
		    KERN_SUCCESS);
	}
	stop = 0;
	ck_assert_int_eq(pthread_create(&mt, NULL, mover, names), 0);
	ck_assert_int_eq(pthread_create(&st, NULL, sender, &rounds), 0);
	stress_pin(0);
	while (__atomic_load_n(&sent, __ATOMIC_ACQUIRE) < rounds)
		receive_one(seen, rounds, 1);
	pthread_join(st, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(mt, NULL);
	/* Whatever is still queued (members were away) arrives now. */
	for (i = 0; received < rounds && i < 100; i++)
		receive_one(seen, rounds, 10);
	ck_assert_int_eq(received, rounds);
	free(seen);
	ck_assert_int_eq(mipc_space_destroy(s_send), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s_away), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s_rcv), KERN_SUCCESS);
}
END_TEST

static Suite *
pset_threads_suite(void)
{
	Suite *s = suite_create("pset_threads");
	TCase *tc = mipc_tcase("moving_members");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, pset_threads_set_receive_while_members_move);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(pset_threads_suite)
