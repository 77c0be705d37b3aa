/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peek_threads.c -- mach_port_peek racing receivers: one sender sends
 * messages 0, 1, 2 ... to a port, two receivers drain it, and a peeker
 * peeks at the head and at sequence numbers ahead of it all the while.
 * Receivers free a message as soon as they have it (mqueue.c "Peeking at
 * a message"): a peek that read a message a receiver took and freed would
 * be a use-after-free (ASan) or a race (TSan), or report a wrong message.
 * With one sender on a fresh port a message's sequence number is its id,
 * so every peek and every receive checks id == seqno and the size that id
 * was sent with.
 */
#include "stress.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define PEEK_DELTA ((mach_msg_size_t)(sizeof(void *) == 8 ? 8 : 0))

static mipc_space_t sp;
static mach_port_name_t port;
static long nmsgs;
static atomic_long received;
static atomic_long peeks_found;
static atomic_int done;

/* The size message `id` is sent with: 24 to 60 bytes. */
static mach_msg_size_t
size_of_id(long id)
{
	return (mach_msg_size_t)(sizeof(mach_msg_header_t) + 4 * (id % 10));
}

static void *
sender(void *arg)
{
	struct {
		mach_msg_header_t h;
		char body[64];
	} m;
	long i;

	(void)arg;
	stress_pin(0);
	for (i = 0; i < nmsgs; i++) {
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.h.msgh_remote_port = port;
		m.h.msgh_size = size_of_id(i);
		m.h.msgh_id = (mach_msg_id_t)i;
		/* Blocks while the queue is full (qlimit), receivers drain. */
		MIPC_REQUIRE(
		    mipc_msg(sp, &m.h, MACH_SEND_MSG, m.h.msgh_size, 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "send %ld", i);
	}
	return NULL;
}

static void *
receiver(void *arg)
{
	struct {
		mach_msg_header_t h;
		char body[64];
		mach_msg_max_trailer_t t;
	} m;
	mach_msg_seqno_trailer_t t;
	mach_msg_return_t mr;

	stress_pin((int)(intptr_t)arg);
	while (atomic_load(&received) < nmsgs) {
		memset(&m, 0, sizeof(m));
		mr = mipc_msg(sp, &m.h,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT |
		        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO),
		    0, sizeof(m), port, 10, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
		memcpy(&t, (char *)&m + m.h.msgh_size, sizeof(t));
		MIPC_REQUIRE(t.msgh_seqno == (mach_port_seqno_t)m.h.msgh_id,
		    "received id %d with seqno %u", m.h.msgh_id, t.msgh_seqno);
		MIPC_REQUIRE(m.h.msgh_size == size_of_id(m.h.msgh_id),
		    "received id %d of size %u", m.h.msgh_id, m.h.msgh_size);
		atomic_fetch_add(&received, 1);
	}
	return NULL;
}

/* One peek at `want` (0: the head); checks what it reports. */
static void
peek_once(mach_port_seqno_t want)
{
	mach_port_seqno_t seqno = want;
	mach_msg_size_t size = 0;
	mach_msg_id_t id = -1;
	mach_msg_audit_trailer_t t;
	mach_msg_type_number_t tcnt = sizeof(t);
	kern_return_t kr;

	kr = mipc_port_peek(sp, port,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), &seqno, &size,
	    &id, (mach_msg_trailer_info_t)&t, &tcnt);
	if (kr == KERN_FAILURE)
		return; /* not queued (any more, or yet) */
	MIPC_REQUIRE(kr == KERN_SUCCESS, "peek: %#x", kr);
	MIPC_REQUIRE(
	    want == 0 || seqno == want, "peek %u gave %u", want, seqno);
	MIPC_REQUIRE(id >= 0 && (mach_port_seqno_t)id == seqno,
	    "peeked id %d with seqno %u", id, seqno);
	MIPC_REQUIRE(size == size_of_id(id) + PEEK_DELTA,
	    "peeked id %d of size %u", id, size);
	MIPC_REQUIRE(t.msgh_seqno == seqno && tcnt == sizeof(t) &&
	        t.msgh_audit.val[5] == (unsigned)getpid(),
	    "peeked trailer");
	atomic_fetch_add(&peeks_found, 1);
}

static void *
peeker(void *arg)
{
	mach_port_seqno_t ahead = 0;

	(void)arg;
	stress_pin(1);
	while (!atomic_load(&done)) {
		peek_once(0);
		/* A little ahead of what was received: often taken meanwhile. */
		peek_once(
		    (mach_port_seqno_t)atomic_load(&received) + ahead % 4);
		ahead++;
	}
	return NULL;
}

START_TEST(peek_races_receivers)
{
	mach_port_limits_t lim = { .mpl_qlimit = 8 };
	pthread_t s, r0, r1, pk;

	nmsgs = stress_iters(20000);
	atomic_store(&received, 0);
	atomic_store(&peeks_found, 0);
	atomic_store(&done, 0);
	MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS, "space");
	MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &port) ==
	        KERN_SUCCESS,
	    "port");
	MIPC_REQUIRE(mipc_port_insert_right(sp, port, sp, port,
	                 MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
	    "send right");
	MIPC_REQUIRE(mipc_port_set_attributes(sp, port, MACH_PORT_LIMITS_INFO,
	                 (mach_port_info_t)&lim,
	                 MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS,
	    "qlimit");
	MIPC_REQUIRE(pthread_create(&pk, NULL, peeker, NULL) == 0, "peeker");
	MIPC_REQUIRE(
	    pthread_create(&r0, NULL, receiver, (void *)0) == 0, "receiver");
	MIPC_REQUIRE(
	    pthread_create(&r1, NULL, receiver, (void *)1) == 0, "receiver");
	MIPC_REQUIRE(pthread_create(&s, NULL, sender, NULL) == 0, "sender");
	pthread_join(s, NULL);
	pthread_join(r0, NULL);
	pthread_join(r1, NULL);
	atomic_store(&done, 1);
	pthread_join(pk, NULL);
	ck_assert_int_eq(atomic_load(&received), nmsgs);
	/* The peeker saw messages (not only empty queues). */
	ck_assert_int_gt(atomic_load(&peeks_found), 0);
	MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "destroy");
}
END_TEST

static Suite *
peek_suite(void)
{
	Suite *s = suite_create("peek_threads");
	TCase *tc = mipc_tcase("peek");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, peek_races_receivers);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(peek_suite)
