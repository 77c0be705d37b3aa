/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handoff_threads.c -- the handoff area (mqueue.c, Handoff) under races.
 *
 * Order and numbering: two repliers send MOVE_SEND_ONCE replies and a
 * streamer sends COPY_SEND messages to one port while two receivers take
 * them; replies to an empty queue go through the area, the rest through
 * the ring.  Every sequence number must be given once, no message lost or
 * duplicated, and each sender's messages must carry increasing sequence
 * numbers (J4, U1): a handoff overtaken by its own sender's next message
 * (the race head_look's [A61] closes) or numbered outside the ring's count
 * fails here.  The test checks that handoffs did happen.
 *
 * Death: a replier's reply races the destruction of its port's receive
 * right, with and without a receiver polling; every message, right and
 * area must be released (the checked teardown counts them all).
 *
 * Includes core/internal.h to count the handoffs a port's ring published.
 */
#include "stress.h"

#include "internal.h"
#include "internal_helpers.h"
#include "mqueue.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { REPLIERS = 2, STREAMERS = 1, SENDERS = REPLIERS + STREAMERS };
enum { RECEIVERS = 2 };

typedef struct {
	mach_msg_header_t h;
	uint32_t sender;
	uint32_t seq;
} tok_msg_t;

typedef struct {
	tok_msg_t m;
	mach_msg_max_trailer_t t;
} tok_rcv_t;

static mipc_space_t sp;
static mach_port_name_t rp;
static long per_sender;
static mach_port_seqno_t *seqno_of[SENDERS]; /* by seq */
static unsigned char *seen;                  /* by seqno */
static atomic_long received;

static void *
sender(void *arg)
{
	uint32_t id = (uint32_t)(intptr_t)arg;
	mach_msg_type_name_t t;
	mach_port_name_t so;
	tok_msg_t m;
	long i;

	stress_pin((int)id);
	for (i = 0; i < per_sender; i++) {
		memset(&m, 0, sizeof(m));
		m.sender = id;
		m.seq = (uint32_t)i;
		if (id < REPLIERS) {
			MIPC_REQUIRE(mipc_port_extract_right(sp, rp,
			                 MACH_MSG_TYPE_MAKE_SEND_ONCE, sp, &so,
			                 &t) == KERN_SUCCESS,
			    "send-once right");
			m.h.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
			m.h.msgh_remote_port = so;
		} else {
			m.h.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
			m.h.msgh_remote_port = rp;
		}
		MIPC_REQUIRE(
		    mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "send %u/%ld", id, i);
		/* Pairs: the second of a replier's often follows its first
		 * into the queue while that one waits in the area. */
		if (i % 2 == 1)
			sched_yield();
	}
	return NULL;
}

static void *
receiver(void *arg)
{
	long total = per_sender * SENDERS;
	mach_msg_seqno_trailer_t tr;
	mach_msg_return_t mr;
	tok_rcv_t r;

	stress_pin((int)(intptr_t)arg);
	while (atomic_load(&received) < total) {
		memset(&r, 0, sizeof(r));
		mr = mipc_msg(sp, &r.m.h,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT |
		        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO),
		    0, sizeof(r), rp, 10, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
		MIPC_REQUIRE(r.m.h.msgh_size == sizeof(tok_msg_t) &&
		        r.m.sender < SENDERS && r.m.seq < per_sender,
		    "a whole message");
		memcpy(&tr, (char *)&r + r.m.h.msgh_size, sizeof(tr));
		MIPC_REQUIRE(tr.msgh_seqno < (mach_port_seqno_t)total,
		    "seqno %u in range", tr.msgh_seqno);
		/* Each slot is written by the one receiver of its message. */
		MIPC_REQUIRE(seen[tr.msgh_seqno]++ == 0, "seqno %u twice",
		    tr.msgh_seqno);
		seqno_of[r.m.sender][r.m.seq] = tr.msgh_seqno;
		atomic_fetch_add(&received, 1);
	}
	return NULL;
}

/* Handoffs published on rp's ring so far. */
static uint32_t
handoffs(mach_port_name_t name)
{
	struct ipc_port *p = port_of(sp, name);
	struct imq_ring *ring = ck_pr_load_ptr(&p->ip_mq.imq_ring);

	return ring != NULL ? ck_pr_load_32(&ring->rg_ho_pub) : 0;
}

START_TEST(handoff_and_ring_race_in_order)
{
	pthread_t s[SENDERS], r[RECEIVERS];
	uint32_t ho0;
	long i, total;
	int k;

	per_sender = stress_iters(5000);
	total = per_sender * SENDERS;
	atomic_store(&received, 0);
	MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS, "space");
	MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &rp) ==
	        KERN_SUCCESS,
	    "port");
	MIPC_REQUIRE(mipc_port_insert_right(sp, rp, sp, rp,
	                 MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
	    "send right");
	stress_ring_warm(sp, rp);
	MIPC_REQUIRE(mipc_port_set_seqno(sp, rp, 0) == KERN_SUCCESS, "seqno");
	ho0 = handoffs(rp);
	seen = calloc((size_t)total, 1);
	for (k = 0; k < SENDERS; k++)
		seqno_of[k] = calloc((size_t)per_sender, sizeof(**seqno_of));
	for (k = 0; k < RECEIVERS; k++)
		MIPC_REQUIRE(pthread_create(&r[k], NULL, receiver,
		                 (void *)(intptr_t)k) == 0,
		    "receiver");
	for (k = 0; k < SENDERS; k++)
		MIPC_REQUIRE(pthread_create(
		                 &s[k], NULL, sender, (void *)(intptr_t)k) == 0,
		    "sender");
	for (k = 0; k < SENDERS; k++)
		pthread_join(s[k], NULL);
	for (k = 0; k < RECEIVERS; k++)
		pthread_join(r[k], NULL);
	ck_assert_int_eq(atomic_load(&received), total);
	for (i = 0; i < total; i++)
		MIPC_REQUIRE(seen[i] == 1, "seqno %ld given once", i);
	for (k = 0; k < SENDERS; k++)
		for (i = 1; i < per_sender; i++)
			MIPC_REQUIRE(seqno_of[k][i - 1] < seqno_of[k][i],
			    "sender %d: message %ld (seqno %u) before %ld (%u)",
			    k, i - 1, seqno_of[k][i - 1], i, seqno_of[k][i]);
	/* Replies to an empty queue did go through the area. */
	ck_assert_uint_gt(handoffs(rp) - ho0, 0);
	for (k = 0; k < SENDERS; k++)
		free(seqno_of[k]);
	free(seen);
	MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "destroy");
}
END_TEST

/* The death race's replier: one reply through send-once name `so`. */
static mach_port_name_t death_so;

static void *
death_replier(void *arg)
{
	tok_msg_t m;
	mach_msg_return_t mr;

	(void)arg;
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = death_so;
	mr = mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
	    MACH_PORT_NULL);
	/* Sent (then received or drained with the port) or refused with
	 * the right left as a dead name, which the space's end releases. */
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS || mr == MACH_SEND_INVALID_DEST,
	    "reply: %#x", mr);
	return NULL;
}

START_TEST(handoff_races_its_ports_death)
{
	mach_msg_type_name_t t;
	mach_port_name_t p;
	long i, rounds = stress_iters(1000);
	tok_rcv_t b;
	pthread_t th;

	MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS, "space");
	for (i = 0; i < rounds; i++) {
		MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE,
		                 &p) == KERN_SUCCESS,
		    "port");
		rp = p;
		/* The ring, by a first reply on the slow path. */
		MIPC_REQUIRE(
		    mipc_port_extract_right(sp, p, MACH_MSG_TYPE_MAKE_SEND_ONCE,
		        sp, &death_so, &t) == KERN_SUCCESS,
		    "send-once right");
		death_replier(NULL);
		MIPC_REQUIRE(mipc_msg(sp, &b.m.h, MACH_RCV_MSG, 0, sizeof(b), p,
		                 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "warm-up receive");
		MIPC_REQUIRE(
		    mipc_port_extract_right(sp, p, MACH_MSG_TYPE_MAKE_SEND_ONCE,
		        sp, &death_so, &t) == KERN_SUCCESS,
		    "send-once right");
		MIPC_REQUIRE(
		    pthread_create(&th, NULL, death_replier, NULL) == 0,
		    "replier");
		if (i % 2 == 0)
			(void)mipc_msg(sp, &b.m.h,
			    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(b), p, 0,
			    MACH_PORT_NULL);
		MIPC_REQUIRE(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE,
		                 -1) == KERN_SUCCESS,
		    "destroy");
		pthread_join(th, NULL);
	}
	/* Dead names of refused replies, and everything else, go here. */
	MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "destroy");
}
END_TEST

static Suite *
handoff_suite(void)
{
	Suite *s = suite_create("handoff_threads");
	TCase *tc = mipc_tcase("handoff");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, handoff_and_ring_race_in_order);
	tcase_add_test(tc, handoff_races_its_ports_death);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(handoff_suite)
