/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * handoff.c -- the handoff area (mqueue.c, Handoff; PERF.md 3.4b): a
 * send-once reply to an empty queue is written into the port's area, not
 * a kmsg and a ring slot, and is a queued message like any other for
 * every reader of the queue: received whole, in order with what follows
 * it (the same sender's next message is in the ring), numbered as the
 * ring would have numbered it, left in place by MACH_RCV_LARGE and
 * destroyed by a too-large receive, counted by mps_msgcount, peeked,
 * found through a set the port joins while it waits, and destroyed with
 * the port without a leak (the checked teardown).  Each test first checks
 * that its message did go through the area (rg_ho_pub moved), so none
 * passes by testing the ring instead.
 *
 * Includes core/internal.h for the port behind a name and its ring.
 */
#include "check_mipc.h"

#include "internal.h"
#include "internal_helpers.h"
#include "mqueue.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define PEEK_DELTA ((mach_msg_size_t)(sizeof(void *) == 8 ? 8 : 0))

typedef struct {
	mach_msg_header_t h;
	char body[256];
} msg_t;

typedef struct {
	msg_t m;
	mach_msg_max_trailer_t t;
} rbuf_t;

static mach_port_name_t rport;

/* Handoffs published on `name`'s port so far. */
static uint32_t
ho_pub(mach_port_name_t name)
{
	struct ipc_port *p = port_of(mipc_thread_space(), name);
	struct imq_ring *r;

	ck_assert_ptr_nonnull(p);
	r = ck_pr_load_ptr(&p->ip_mq.imq_ring);
	return r != NULL ? ck_pr_load_32(&r->rg_ho_pub) : 0;
}

static void
fill(msg_t *m, mach_msg_id_t id, mach_msg_size_t size)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->h.msgh_id = id;
	m->h.msgh_size = size;
	for (i = 0; i + sizeof(mach_msg_header_t) < size; i++)
		m->body[i] = (char)(id + (int)i);
}

/* A reply: MOVE_SEND_ONCE through a send-once right made from `to`. */
static void
reply(mach_port_name_t to, mach_msg_id_t id, mach_msg_size_t size)
{
	mach_port_name_t so;
	mach_msg_type_name_t t;
	msg_t m;

	ck_assert_int_eq(mach_port_extract_right(mach_task_self(), to,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
	    KERN_SUCCESS);
	fill(&m, id, size);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = so;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, size, 0, MACH_PORT_NULL,
	                     0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* A message through the send right the fixture made on rport. */
static void
send_copy(mach_msg_id_t id, mach_msg_size_t size)
{
	msg_t m;

	fill(&m, id, size);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = rport;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, size, 0, MACH_PORT_NULL,
	                     0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* Receive (a poll) from `from` into b, rcv_size bytes; its seqno. */
static mach_msg_return_t
rcv(mach_port_name_t from, rbuf_t *b, mach_msg_size_t rcv_size,
    mach_msg_option_t extra, mach_port_seqno_t *seqno)
{
	mach_msg_seqno_trailer_t t;
	mach_msg_return_t mr;

	memset(b, 0, sizeof(*b));
	mr = mach_msg(&b->m.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra |
	        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO),
	    0, rcv_size, from, 0, MACH_PORT_NULL);
	if (mr == MACH_MSG_SUCCESS) {
		memcpy(&t, (char *)b + b->m.h.msgh_size, sizeof(t));
		*seqno = t.msgh_seqno;
	}
	return mr;
}

/* Receive message `id` of `size` bytes, whole; its seqno. */
static mach_port_seqno_t
rcv_check(mach_port_name_t from, mach_msg_id_t id, mach_msg_size_t size)
{
	mach_port_seqno_t seqno = 0;
	rbuf_t b;
	msg_t want;

	ck_assert_int_eq(rcv(from, &b, sizeof(b), 0, &seqno), MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, id);
	ck_assert_uint_eq(b.m.h.msgh_size, size);
	fill(&want, id, size);
	ck_assert_int_eq(
	    memcmp(b.m.body, want.body, size - sizeof(mach_msg_header_t)), 0);
	ck_assert_uint_eq(b.m.h.msgh_local_port, rport);
	return seqno;
}

static mach_port_status_t
status(void)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	ck_assert_int_eq(
	    mach_port_get_attributes(mach_task_self(), rport,
	        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_SUCCESS);
	return st;
}

static void
setup(void)
{
	rport = receive_with_send();
	/* The first message makes the port's ring (the slow path's). */
	reply(rport, 0, sizeof(mach_msg_header_t));
	(void)rcv_check(rport, 0, sizeof(mach_msg_header_t));
}

START_TEST(handoff_reply_to_an_empty_port_arrives_whole)
{
	uint32_t pub = ho_pub(rport);
	mach_port_seqno_t s;
	rbuf_t b;

	reply(rport, 7, sizeof(mach_msg_header_t) + 64);
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_int_eq(rcv(rport, &b, sizeof(b), 0, &s), MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, 7);
	ck_assert_uint_eq(
	    b.m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
	ck_assert_uint_eq(b.m.h.msgh_remote_port, MACH_PORT_NULL);
	ck_assert_uint_eq(b.m.h.msgh_local_port, rport);
	ck_assert_uint_eq(status().mps_msgcount, 0);
	ck_assert_uint_eq(status().mps_sorights, 0);
	/* The area came back: the next reply has it too. */
	reply(rport, 8, sizeof(mach_msg_header_t) + 8);
	ck_assert_uint_eq(ho_pub(rport), pub + 2);
	(void)rcv_check(rport, 8, sizeof(mach_msg_header_t) + 8);
}
END_TEST

START_TEST(handoff_then_ring_keeps_fifo_and_consecutive_seqnos)
{
	mach_port_seqno_t s0 = status().mps_seqno;
	uint32_t pub = ho_pub(rport);

	/* A queue holding a message: a reply queues behind it, not in the
	 * free area ahead of it. */
	send_copy(8, sizeof(mach_msg_header_t) + 8);
	reply(rport, 9, sizeof(mach_msg_header_t) + 8);
	ck_assert_uint_eq(ho_pub(rport), pub);
	ck_assert_uint_eq(
	    rcv_check(rport, 8, sizeof(mach_msg_header_t) + 8), s0);
	ck_assert_uint_eq(
	    rcv_check(rport, 9, sizeof(mach_msg_header_t) + 8), s0 + 1);
	s0 += 2;
	/* A reply to the empty queue, then its sender's next two. */
	reply(rport, 1, sizeof(mach_msg_header_t) + 16); /* the area */
	reply(rport, 2, sizeof(mach_msg_header_t) + 24); /* the ring */
	send_copy(3, sizeof(mach_msg_header_t) + 32);    /* the ring */
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_uint_eq(status().mps_msgcount, 3);
	ck_assert_uint_eq(
	    rcv_check(rport, 1, sizeof(mach_msg_header_t) + 16), s0);
	ck_assert_uint_eq(
	    rcv_check(rport, 2, sizeof(mach_msg_header_t) + 24), s0 + 1);
	ck_assert_uint_eq(
	    rcv_check(rport, 3, sizeof(mach_msg_header_t) + 32), s0 + 2);
	/* And the next handoff continues the numbering. */
	reply(rport, 4, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(ho_pub(rport), pub + 2);
	ck_assert_uint_eq(status().mps_seqno, s0 + 3);
	ck_assert_uint_eq(
	    rcv_check(rport, 4, sizeof(mach_msg_header_t)), s0 + 3);
	ck_assert_uint_eq(status().mps_seqno, s0 + 4);
}
END_TEST

START_TEST(handoff_takes_the_seqno_the_ring_would_give)
{
	uint32_t pub = ho_pub(rport);

	ck_assert_int_eq(
	    mach_port_set_seqno(mach_task_self(), rport, 100), KERN_SUCCESS);
	reply(rport, 1, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_uint_eq(status().mps_seqno, 100);
	ck_assert_uint_eq(rcv_check(rport, 1, sizeof(mach_msg_header_t)), 100);
	send_copy(2, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(rcv_check(rport, 2, sizeof(mach_msg_header_t)), 101);
	/* Renumbered while a handoff waits: it takes the new number. */
	reply(rport, 3, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(ho_pub(rport), pub + 2);
	ck_assert_int_eq(
	    mach_port_set_seqno(mach_task_self(), rport, 50), KERN_SUCCESS);
	send_copy(4, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(rcv_check(rport, 3, sizeof(mach_msg_header_t)), 50);
	ck_assert_uint_eq(rcv_check(rport, 4, sizeof(mach_msg_header_t)), 51);
}
END_TEST

START_TEST(handoff_rcv_large_leaves_it_and_too_large_destroys_it)
{
	mach_msg_size_t big = sizeof(mach_msg_header_t) + 100;
	mach_msg_size_t small = sizeof(mach_msg_header_t) + 8 +
	    (mach_msg_size_t)sizeof(mach_msg_seqno_trailer_t);
	mach_port_seqno_t s0 = status().mps_seqno, s;
	mach_msg_size_t ring_said;
	uint32_t pub = ho_pub(rport);
	rbuf_t b;

	/* What the ring says of a message that does not fit. */
	send_copy(9, big);
	ck_assert_int_eq(
	    rcv(rport, &b, small, MACH_RCV_LARGE, &s), MACH_RCV_TOO_LARGE);
	ring_said = b.m.h.msgh_size;
	ck_assert_uint_eq(rcv_check(rport, 9, big), s0);

	/* The same of a handoff, left in place with its number. */
	reply(rport, 5, big);
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_int_eq(
	    rcv(rport, &b, small, MACH_RCV_LARGE, &s), MACH_RCV_TOO_LARGE);
	ck_assert_uint_eq(b.m.h.msgh_size, ring_said);
	ck_assert_uint_eq(status().mps_msgcount, 1);
	ck_assert_uint_eq(rcv_check(rport, 5, big), s0 + 1);

	/* K4: without MACH_RCV_LARGE it is taken and destroyed. */
	reply(rport, 6, big);
	ck_assert_uint_eq(ho_pub(rport), pub + 2);
	ck_assert_int_eq(rcv(rport, &b, small, 0, &s), MACH_RCV_TOO_LARGE);
	ck_assert_uint_eq(status().mps_msgcount, 0);
	ck_assert_uint_eq(status().mps_seqno, s0 + 3);
	ck_assert_uint_eq(status().mps_sorights, 0);
	/* ... and its area given back. */
	reply(rport, 7, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(ho_pub(rport), pub + 3);
	ck_assert_uint_eq(
	    rcv_check(rport, 7, sizeof(mach_msg_header_t)), s0 + 3);
}
END_TEST

START_TEST(handoff_destroyed_with_its_port_leaks_nothing)
{
	uint32_t pub = ho_pub(rport);

	reply(rport, 1, sizeof(mach_msg_header_t) + 40); /* the area */
	reply(rport, 2, sizeof(mach_msg_header_t) + 40); /* the ring */
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_uint_eq(status().mps_sorights, 2);
	/* The send right's name stays, dead; the checked teardown sees
	 * every message, right and port gone. */
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), rport,
	                     MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), rport), KERN_SUCCESS);
}
END_TEST

START_TEST(handoff_found_through_a_set_the_port_joins)
{
	mach_port_seqno_t s0 = status().mps_seqno, s;
	mach_port_name_t set;
	uint32_t pub = ho_pub(rport);
	rbuf_t b;

	reply(rport, 21, sizeof(mach_msg_header_t) + 12);
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_int_eq(mach_port_allocate(
	                     mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	ck_assert_int_eq(mach_port_insert_member(mach_task_self(), rport, set),
	    KERN_SUCCESS);
	ck_assert_int_eq(rcv(set, &b, sizeof(b), 0, &s), MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, 21);
	ck_assert_uint_eq(b.m.h.msgh_local_port, rport);
	ck_assert_uint_eq(s, s0);
	/* And a member's handoff wakes the set's receivers too. */
	reply(rport, 22, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(ho_pub(rport), pub + 2);
	ck_assert_int_eq(rcv(set, &b, sizeof(b), 0, &s), MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, 22);
	ck_assert_uint_eq(s, s0 + 1);
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), set,
	                     MACH_PORT_RIGHT_PORT_SET, -1),
	    KERN_SUCCESS);
}
END_TEST

/* Peek at `want` (0: the head) on rport; KERN_FAILURE if absent. */
static kern_return_t
peek(mach_port_seqno_t *want, mach_msg_size_t *size, mach_msg_id_t *id)
{
	mach_msg_seqno_trailer_t t;
	mach_msg_type_number_t tcnt = sizeof(t);

	return mach_port_peek(mach_task_self(), rport,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), want, size, id,
	    (mach_msg_trailer_info_t)&t, &tcnt);
}

START_TEST(handoff_peeked_with_what_follows_it)
{
	mach_port_seqno_t s0 = status().mps_seqno, sq;
	mach_msg_size_t size;
	mach_msg_id_t id;
	uint32_t pub = ho_pub(rport);

	reply(rport, 11, sizeof(mach_msg_header_t) + 16); /* the area */
	send_copy(12, sizeof(mach_msg_header_t) + 36);    /* the ring */
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	sq = 0;
	ck_assert_int_eq(peek(&sq, &size, &id), KERN_SUCCESS);
	ck_assert_uint_eq(sq, s0);
	ck_assert_int_eq(id, 11);
	ck_assert_uint_eq(size, sizeof(mach_msg_header_t) + 16 + PEEK_DELTA);
	sq = s0 + 1;
	ck_assert_int_eq(peek(&sq, &size, &id), KERN_SUCCESS);
	ck_assert_int_eq(id, 12);
	ck_assert_uint_eq(size, sizeof(mach_msg_header_t) + 36 + PEEK_DELTA);
	sq = s0;
	ck_assert_int_eq(peek(&sq, &size, &id), KERN_SUCCESS);
	ck_assert_int_eq(id, 11);
	sq = s0 + 2;
	ck_assert_int_eq(peek(&sq, &size, &id), KERN_FAILURE);
	ck_assert_uint_eq(
	    rcv_check(rport, 11, sizeof(mach_msg_header_t) + 16), s0);
	sq = 0;
	ck_assert_int_eq(peek(&sq, &size, &id), KERN_SUCCESS);
	ck_assert_uint_eq(sq, s0 + 1);
	ck_assert_int_eq(id, 12);
	sq = s0;
	ck_assert_int_eq(peek(&sq, &size, &id), KERN_FAILURE);
	ck_assert_uint_eq(
	    rcv_check(rport, 12, sizeof(mach_msg_header_t) + 36), s0 + 1);
}
END_TEST

START_TEST(handoff_counted_by_msgcount)
{
	uint32_t pub = ho_pub(rport);

	ck_assert_uint_eq(status().mps_msgcount, 0);
	reply(rport, 1, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_uint_eq(status().mps_msgcount, 1);
	send_copy(2, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(status().mps_msgcount, 2);
	(void)rcv_check(rport, 1, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(status().mps_msgcount, 1);
	(void)rcv_check(rport, 2, sizeof(mach_msg_header_t));
	ck_assert_uint_eq(status().mps_msgcount, 0);
}
END_TEST

START_TEST(handoff_larger_than_the_area_goes_through_the_ring)
{
	mach_msg_size_t size = IMQ_HO_MAX + 8;
	uint32_t pub = ho_pub(rport);

	ck_assert_uint_le(size, sizeof(msg_t));
	reply(rport, 3, size);
	ck_assert_uint_eq(ho_pub(rport), pub);
	(void)rcv_check(rport, 3, size);
	reply(rport, 4, IMQ_HO_MAX);
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	(void)rcv_check(rport, 4, IMQ_HO_MAX);
}
END_TEST

static void *
blocked_receiver(void *arg)
{
	rbuf_t *b = arg;

	memset(b, 0, sizeof(*b));
	if (mach_msg(&b->m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*b),
	        rport, 10000, MACH_PORT_NULL) != MACH_MSG_SUCCESS)
		b->m.h.msgh_id = -1;
	return NULL;
}

START_TEST(handoff_wakes_a_blocked_receiver)
{
	uint32_t pub = ho_pub(rport);
	pthread_t t;
	rbuf_t b;

	ck_assert_int_eq(pthread_create(&t, NULL, blocked_receiver, &b), 0);
	usleep(20000); /* most often parked by now; either way it gets it */
	reply(rport, 31, sizeof(mach_msg_header_t) + 4);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(ho_pub(rport), pub + 1);
	ck_assert_int_eq(b.m.h.msgh_id, 31);
}
END_TEST

static Suite *
handoff_suite(void)
{
	Suite *s = suite_create("handoff");
	TCase *tc = mipc_tcase("handoff");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, handoff_reply_to_an_empty_port_arrives_whole);
	tcase_add_test(tc, handoff_then_ring_keeps_fifo_and_consecutive_seqnos);
	tcase_add_test(tc, handoff_takes_the_seqno_the_ring_would_give);
	tcase_add_test(
	    tc, handoff_rcv_large_leaves_it_and_too_large_destroys_it);
	tcase_add_test(tc, handoff_destroyed_with_its_port_leaks_nothing);
	tcase_add_test(tc, handoff_found_through_a_set_the_port_joins);
	tcase_add_test(tc, handoff_peeked_with_what_follows_it);
	tcase_add_test(tc, handoff_counted_by_msgcount);
	tcase_add_test(tc, handoff_larger_than_the_area_goes_through_the_ring);
	tcase_add_test(tc, handoff_wakes_a_blocked_receiver);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(handoff_suite)
