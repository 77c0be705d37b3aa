/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inline_threads.c -- inline messages (mqueue.c, Inline messages) under
 * races.
 *
 * Two senders stream 64-byte messages (IMQ_INL_MAX: each goes into its
 * ring position's inline storage when that is free) to a port whose ring
 * is small, so positions come round to the same storage all the time,
 * while two receivers take them -- one through the receive fast path,
 * which keeps the storage's kmsg for its section, one through the general
 * path (a sequence-number trailer), which copies it -- and a peeker reads
 * the head with mach_port_peek, so receivers hold storage for it.  Every
 * message must arrive once and whole: a storage reused while a receiver
 * or the peeker still reads it shows up as a torn body, a message twice
 * or one lost.  Afterwards, with everything quiet, every storage must be
 * free: none held for a peeker for ever.  The test checks that messages
 * did go through the storage.  Run on a small ring (a storage per slot)
 * and on a deep one (IMQ_INL_SLOTS storages shared by its 1024 slots).
 *
 * Includes core/internal.h to look at the ring's inline storage.
 */
#include "stress.h"

#include "internal.h"
#include "internal_helpers.h"
#include "mqueue.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { SENDERS = 2, RECEIVERS = 2 };

typedef struct {
	mach_msg_header_t h;
	uint32_t sender;
	uint32_t seq;
	uint32_t pat[(IMQ_INL_MAX - sizeof(mach_msg_header_t) - 8) / 4];
} tok_msg_t;

MIPC_STATIC_ASSERT(tok_is_inline_size, sizeof(tok_msg_t) == IMQ_INL_MAX);

typedef struct {
	tok_msg_t m;
	mach_msg_max_trailer_t t;
} tok_rcv_t;

static mipc_space_t sp;
static mach_port_name_t rp;
static long per_sender;
static unsigned char *seen[SENDERS]; /* by seq */
static atomic_long received;
static atomic_bool stop_peek;

static uint32_t
pattern(uint32_t sender, uint32_t seq, uint32_t i)
{
	return (sender * 0x9e3779b9u) ^ (seq * 0x85ebca6bu) ^ (i * 0xc2b2ae35u);
}

static void *
sender(void *arg)
{
	uint32_t id = (uint32_t)(intptr_t)arg, j;
	tok_msg_t m;
	long i;

	stress_pin((int)id);
	for (i = 0; i < per_sender; i++) {
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.h.msgh_remote_port = rp;
		m.sender = id;
		m.seq = (uint32_t)i;
		for (j = 0; j < sizeof(m.pat) / sizeof(m.pat[0]); j++)
			m.pat[j] = pattern(id, (uint32_t)i, j);
		MIPC_REQUIRE(
		    mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "send %u/%ld", id, i);
	}
	return NULL;
}

static void *
receiver(void *arg)
{
	int which = (int)(intptr_t)arg;
	long total = per_sender * SENDERS;
	mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	mach_msg_return_t mr;
	tok_rcv_t r;
	uint32_t j;

	stress_pin(which);
	/* The second one takes the general path (a larger trailer). */
	if (which == 1)
		opt |= MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO);
	while (atomic_load(&received) < total) {
		memset(&r, 0, sizeof(r));
		mr = mipc_msg(
		    sp, &r.m.h, opt, 0, sizeof(r), rp, 10, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
		MIPC_REQUIRE(r.m.h.msgh_size == sizeof(tok_msg_t) &&
		        r.m.sender < SENDERS && r.m.seq < per_sender,
		    "a whole message");
		for (j = 0; j < sizeof(r.m.pat) / sizeof(r.m.pat[0]); j++)
			MIPC_REQUIRE(
			    r.m.pat[j] == pattern(r.m.sender, r.m.seq, j),
			    "message %u/%u torn at word %u", r.m.sender,
			    r.m.seq, j);
		/* Each byte is written by the one receiver of its message. */
		MIPC_REQUIRE(seen[r.m.sender][r.m.seq]++ == 0,
		    "message %u/%u twice", r.m.sender, r.m.seq);
		atomic_fetch_add(&received, 1);
	}
	return NULL;
}

static kern_return_t
peek_head(mach_msg_size_t *size, mach_msg_id_t *id)
{
	mach_msg_seqno_trailer_t t;
	mach_msg_type_number_t tcnt = sizeof(t);
	mach_port_seqno_t want = 0;

	return mipc_port_peek(sp, rp,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &want, size, id,
	    (mach_msg_trailer_info_t)&t, &tcnt);
}

static void *
peeker(void *arg)
{
	mach_msg_size_t size;
	mach_msg_id_t id;

	(void)arg;
	while (!atomic_load(&stop_peek)) {
		/* mach_port_peek adds 8 on 64-bit, as XNU. */
		if (peek_head(&size, &id) == KERN_SUCCESS)
			MIPC_REQUIRE(size == sizeof(tok_msg_t) + 8 ||
			        size == sizeof(tok_msg_t),
			    "peeked size %u", size);
		sched_yield();
	}
	return NULL;
}

/* The race on a port whose queue limit is qlimit (its ring: slots). */
static void
race(uint32_t qlimit, uint32_t slots)
{
	pthread_t s[SENDERS], r[RECEIVERS], pk;
	struct imq_ring *ring;
	mach_port_limits_t lim = { .mpl_qlimit = qlimit };
	mach_msg_size_t size;
	mach_msg_id_t id;
	long i;
	uint32_t k;

	per_sender = stress_iters(20000);
	atomic_store(&received, 0);
	atomic_store(&stop_peek, false);
	MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS, "space");
	MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &rp) ==
	        KERN_SUCCESS,
	    "port");
	MIPC_REQUIRE(mipc_port_insert_right(sp, rp, sp, rp,
	                 MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
	    "send right");
	MIPC_REQUIRE(mipc_port_set_attributes(sp, rp, MACH_PORT_LIMITS_INFO,
	                 (mach_port_info_t)&lim,
	                 MACH_PORT_LIMITS_INFO_COUNT) == KERN_SUCCESS,
	    "qlimit");
	stress_ring_warm(sp, rp);
	ring = ck_pr_load_ptr(&port_of(sp, rp)->ip_mq.imq_ring);
	MIPC_REQUIRE(ring != NULL && ring->rg_mask + 1 == slots, "ring");
	for (k = 0; k < SENDERS; k++)
		seen[k] = calloc((size_t)per_sender, 1);
	MIPC_REQUIRE(pthread_create(&pk, NULL, peeker, NULL) == 0, "peeker");
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
	atomic_store(&stop_peek, true);
	pthread_join(pk, NULL);
	ck_assert_int_eq(atomic_load(&received), per_sender * SENDERS);
	for (k = 0; k < SENDERS; k++)
		for (i = 0; i < per_sender; i++)
			MIPC_REQUIRE(
			    seen[k][i] == 1, "message %u/%ld arrived", k, i);
	/* Quiet: one last peek (of an empty queue) gives back whatever
	 * storage receivers held for peekers; then every one is free. */
	MIPC_REQUIRE(peek_head(&size, &id) != KERN_SUCCESS, "empty");
	for (k = 0; k < IMQ_INL_SLOTS; k++)
		MIPC_REQUIRE(imq_inl_state(ring, k) == IMQ_INL_FREE,
		    "storage %u free", k);
	/* And the storage serves: the next message goes in it. */
	{
		tok_rcv_t b;
		tok_msg_t m = { .h = { .msgh_bits = MACH_MSGH_BITS(
			                   MACH_MSG_TYPE_COPY_SEND, 0),
			            .msgh_remote_port = rp } };
		uint32_t pos = IMQ_POS(ck_pr_load_64(&ring->rg_p_head));

		MIPC_REQUIRE(
		    mipc_msg(sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "last send");
		MIPC_REQUIRE(ring->rg_slots[pos & ring->rg_mask].ims_kmsg ==
		        &imq_ring_inl(ring, pos)->in_kmsg,
		    "the last message inline");
		MIPC_REQUIRE(mipc_msg(sp, &b.m.h, MACH_RCV_MSG, 0, sizeof(b),
		                 rp, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "last receive");
	}
	for (k = 0; k < SENDERS; k++)
		free(seen[k]);
	MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "destroy");
}

START_TEST(inline_storage_races_receivers_and_a_peeker)
{
	race(IMQ_RING_MIN, IMQ_RING_MIN);
}
END_TEST

/*
 * The same on a deep ring (1024 slots, IMQ_INL_SLOTS storages): positions
 * sixteen apart share a storage while both may be reserved, so a sender
 * may use its storage only while fewer than IMQ_INL_SLOTS messages are
 * queued ahead of it; a second sender reading the storage free before
 * the first one's message is in it would write over it.
 */
START_TEST(inline_storage_races_on_a_deep_ring)
{
	race(MACH_PORT_QLIMIT_MAX, IMQ_RING_MAX);
}
END_TEST

static Suite *
inline_suite(void)
{
	Suite *s = suite_create("inline_threads");
	TCase *tc = mipc_tcase("inline");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, inline_storage_races_receivers_and_a_peeker);
	tcase_add_test(tc, inline_storage_races_on_a_deep_ring);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(inline_suite)
