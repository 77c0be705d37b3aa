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
 *
 * And the set's ready queue (issue 12, item 8): two senders, two threads
 * receiving on the set (blocking), one draining members directly by their
 * own names (so the queue holds members with nothing left).  No message is
 * lost, none received twice, and no set receiver sleeps while a message
 * waits (a lost wake-up shows as a receive timing out with messages
 * outstanding).
 */
#include "stress.h"

#include <stdbool.h>
#include <stdint.h>
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

		/* Enough: a loaded machine can starve the sender that long. */
		if (hist_n[k] == HIST)
			break;
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

/* ---- the ready queue: senders, set receivers, direct receivers ---------- */

enum { RQ_MEMBERS = 3, RQ_SENDERS = 2, RQ_SET_RCV = 2 };

static mipc_space_t rq_space;
static mach_port_name_t rq_set, rq_member[RQ_MEMBERS];
static long rq_rounds, rq_sent, rq_received;
static unsigned char *rq_seen;
static int rq_stop;

/* Count one received message, checking it is one we sent, once. */
static void
rq_got(const prcv_t *r)
{
	uint32_t id = r->m.seq;

	MIPC_REQUIRE(r->m.member < RQ_MEMBERS && (long)id < rq_rounds &&
	        r->m.hdr.msgh_local_port == rq_member[r->m.member],
	    "garbage: member %u seq %u local 0x%x", r->m.member, id,
	    r->m.hdr.msgh_local_port);
	MIPC_REQUIRE(__atomic_fetch_add(&rq_seen[id], 1, __ATOMIC_RELAXED) == 0,
	    "message %u received twice", id);
	__atomic_fetch_add(&rq_received, 1, __ATOMIC_RELEASE);
}

static void *
rq_sender(void *arg)
{
	long t = (long)(intptr_t)arg, i, per = rq_rounds / RQ_SENDERS;

	stress_pin((int)t);
	for (i = 0; i < per; i++) {
		pmsg_t m;
		mach_msg_return_t mr;

		memset(&m, 0, sizeof(m));
		m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		m.member = (uint32_t)((i + t) % RQ_MEMBERS);
		m.seq = (uint32_t)(t * per + i);
		m.hdr.msgh_remote_port = rq_member[m.member];
		__atomic_fetch_add(&rq_sent, 1, __ATOMIC_RELEASE);
		mr = mipc_msg(rq_space, &m.hdr, MACH_SEND_MSG, sizeof(m), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "send: 0x%x", mr);
		if ((i & 63) == 0)
			sched_yield();
	}
	return NULL;
}

static void *
rq_set_receiver(void *arg)
{
	long t = (long)(intptr_t)arg;

	stress_pin((int)t);
	while (!__atomic_load_n(&rq_stop, __ATOMIC_ACQUIRE)) {
		prcv_t r;
		mach_msg_return_t mr;
		long before = __atomic_load_n(&rq_sent, __ATOMIC_ACQUIRE);

		mr = mipc_msg(rq_space, &r.m.hdr,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r), rq_set, 2000,
		    MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT) {
			/*
			 * Two seconds with nothing: every message whose
			 * send began before we looked was received.
			 */
			MIPC_REQUIRE(
			    __atomic_load_n(&rq_stop, __ATOMIC_ACQUIRE) ||
			        __atomic_load_n(
			            &rq_received, __ATOMIC_ACQUIRE) >= before,
			    "set receive slept 2 s with %ld of %ld messages "
			    "received",
			    __atomic_load_n(&rq_received, __ATOMIC_ACQUIRE),
			    before);
			continue;
		}
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "set receive: 0x%x", mr);
		rq_got(&r);
	}
	return NULL;
}

static void *
rq_direct_receiver(void *arg)
{
	long n = 0;

	(void)arg;
	stress_pin(3);
	while (!__atomic_load_n(&rq_stop, __ATOMIC_ACQUIRE)) {
		prcv_t r;
		mach_msg_return_t mr;

		mr = mipc_msg(rq_space, &r.m.hdr,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r),
		    rq_member[n++ % RQ_MEMBERS], 0, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT) {
			sched_yield();
			continue;
		}
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
		rq_got(&r);
	}
	return NULL;
}

/*
 * The scene both tests share: rq_rounds messages to expect (set by the
 * caller), a space with a set of RQ_MEMBERS members, and RQ_SET_RCV
 * receivers on the set, their threads in rcv.
 */
static void
rq_scene_start(pthread_t *rcv)
{
	int k;

	rq_seen = calloc((size_t)rq_rounds, 1);
	ck_assert_ptr_nonnull(rq_seen);
	rq_sent = rq_received = 0;
	rq_stop = 0;
	ck_assert_int_eq(mipc_space_create(&rq_space), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(rq_space, MACH_PORT_RIGHT_PORT_SET, &rq_set),
	    KERN_SUCCESS);
	for (k = 0; k < RQ_MEMBERS; k++) {
		ck_assert_int_eq(mipc_port_allocate(rq_space,
		                     MACH_PORT_RIGHT_RECEIVE, &rq_member[k]),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_insert_member(rq_space, rq_member[k], rq_set),
		    KERN_SUCCESS);
	}
	for (k = 0; k < RQ_SET_RCV; k++)
		ck_assert_int_eq(pthread_create(&rcv[k], NULL, rq_set_receiver,
		                     (void *)(intptr_t)k),
		    0);
}

START_TEST(pset_threads_ready_queue_loses_no_message)
{
	pthread_t snd[RQ_SENDERS], rcv[RQ_SET_RCV], direct;
	long i;
	int k;

	rq_rounds = stress_iters(20000) / RQ_SENDERS * RQ_SENDERS;
	rq_scene_start(rcv);
	ck_assert_int_eq(
	    pthread_create(&direct, NULL, rq_direct_receiver, NULL), 0);
	for (k = 0; k < RQ_SENDERS; k++)
		ck_assert_int_eq(pthread_create(&snd[k], NULL, rq_sender,
		                     (void *)(intptr_t)k),
		    0);
	for (k = 0; k < RQ_SENDERS; k++)
		pthread_join(snd[k], NULL);
	for (i = 0; i < 3000 &&
	     __atomic_load_n(&rq_received, __ATOMIC_ACQUIRE) < rq_rounds;
	     i++)
		usleep(1000);
	__atomic_store_n(&rq_stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < RQ_SET_RCV; k++)
		pthread_join(rcv[k], NULL);
	pthread_join(direct, NULL);
	ck_assert_int_eq(rq_received, rq_rounds);
	free(rq_seen);
	ck_assert_int_eq(mipc_space_destroy(rq_space), KERN_SUCCESS);
}
END_TEST

/*
 * Bursts: the set receivers sleep, a burst of messages lands on one
 * member, and every message must be taken without a further send.  A
 * receiver that looks while another holds the member out of the queue
 * sleeps again; the one that puts the member back must wake it.
 */
START_TEST(pset_threads_burst_on_one_member_wakes_receivers)
{
	pthread_t rcv[RQ_SET_RCV];
	long bursts = stress_iters(1500), b, want = 0, i;
	int k;

	rq_rounds = bursts * 4;
	rq_scene_start(rcv);
	for (b = 0; b < bursts; b++) {
		uint32_t member = (uint32_t)(b % RQ_MEMBERS);
		long n = 2 + b % 3;

		for (i = 0; i < n; i++) {
			pmsg_t m;

			memset(&m, 0, sizeof(m));
			m.hdr.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
			m.hdr.msgh_remote_port = rq_member[member];
			m.member = member;
			m.seq = (uint32_t)want++;
			__atomic_fetch_add(&rq_sent, 1, __ATOMIC_RELEASE);
			ck_assert_int_eq(
			    mipc_msg(rq_space, &m.hdr, MACH_SEND_MSG, sizeof(m),
			        0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
			    MACH_MSG_SUCCESS);
		}
		/* No more sends until the burst is taken: at most 2 s. */
		for (i = 0; i < 2000 &&
		     __atomic_load_n(&rq_received, __ATOMIC_ACQUIRE) < want;
		     i++)
			usleep(1000);
		ck_assert_msg(
		    __atomic_load_n(&rq_received, __ATOMIC_ACQUIRE) == want,
		    "burst %ld: %ld of %ld messages taken after 2 s", b,
		    __atomic_load_n(&rq_received, __ATOMIC_ACQUIRE), want);
	}
	__atomic_store_n(&rq_stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < RQ_SET_RCV; k++)
		pthread_join(rcv[k], NULL);
	free(rq_seen);
	ck_assert_int_eq(mipc_space_destroy(rq_space), KERN_SUCCESS);
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

	tc = mipc_tcase("ready_queue");
	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, pset_threads_ready_queue_loses_no_message);
	tcase_add_test(tc, pset_threads_burst_on_one_member_wakes_receivers);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(pset_threads_suite)
