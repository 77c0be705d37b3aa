/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_threads.c -- messages under concurrency: two senders and two
 * receivers on one port, and on a port set of two ports, with the default
 * queue limit (senders block), each message carrying a sequence number
 * and a moved send right.  No message may be lost or duplicated, each
 * receiver must see every sender's messages in order, and every right and
 * byte must be released at the end.
 */
#include "stress.h"

#include <stdbool.h>
#include <string.h>

enum { SENDERS = 2, RECEIVERS = 2 };

typedef struct {
	mach_msg_header_t hdr;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t right;
	uint32_t sender;
	uint32_t seq;
} token_msg_t;

typedef struct {
	token_msg_t m;
	mach_msg_max_trailer_t trailer;
} token_rcv_t;

static mipc_space_t s_send, s_rcv;
static mach_port_name_t dest[2];    /* send rights in s_send */
static mach_port_name_t rcv_name;   /* port or set in s_rcv */
static mach_port_name_t token_recv; /* a receive right in s_send */
static long per_sender;
static unsigned char *seen;
static int received;
static int ndest;

static void *
sender(void *arg)
{
	uint32_t id = (uint32_t)(intptr_t)arg;
	long i;

	stress_pin((int)id);
	for (i = 0; i < per_sender; i++) {
		token_msg_t m;
		mach_msg_return_t mr;

		/* One more send uref, then move it in the message. */
		MIPC_REQUIRE(
		    mipc_port_insert_right(s_send, token_recv, s_send,
		        token_recv, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
		    "make a send right");
		memset(&m, 0, sizeof(m));
		m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) |
		    MACH_MSGH_BITS_COMPLEX;
		m.hdr.msgh_remote_port = dest[(id + (uint32_t)i) % ndest];
		m.body.msgh_descriptor_count = 1;
		m.right.name = token_recv;
		m.right.disposition = MACH_MSG_TYPE_MOVE_SEND;
		m.right.type = MACH_MSG_PORT_DESCRIPTOR;
		m.sender = id;
		m.seq = (uint32_t)i;
		mr = mipc_msg(s_send, &m.hdr, MACH_SEND_MSG, sizeof(m), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "send: 0x%x", mr);
	}
	return NULL;
}

static void *
receiver(void *arg)
{
	int id = (int)(intptr_t)arg;
	int64_t last[SENDERS] = { -1, -1 };
	long total = (long)SENDERS * per_sender;

	stress_pin(id + 1);
	while (__atomic_load_n(&received, __ATOMIC_ACQUIRE) < total) {
		token_rcv_t r;
		mach_msg_return_t mr;
		uint32_t s, q;

		mr = mipc_msg(s_rcv, &r.m.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    0, sizeof(r), rcv_name, 20, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
		s = r.m.sender;
		q = r.m.seq;
		MIPC_REQUIRE(
		    s < SENDERS && q < per_sender, "garbage %u/%u", s, q);
		/* One queue per destination: per-sender order holds per
		 * destination; with one destination it holds overall. */
		if (ndest == 1)
			MIPC_REQUIRE((int64_t)q > last[s],
			    "sender %u: %u after %lld", s, q,
			    (long long)last[s]);
		last[s] = q;
		MIPC_REQUIRE(__atomic_exchange_n(&seen[s * per_sender + q], 1,
		                 __ATOMIC_ACQ_REL) == 0,
		    "message %u/%u twice", s, q);
		MIPC_REQUIRE(r.m.right.disposition == MACH_MSG_TYPE_PORT_SEND &&
		        MACH_PORT_VALID(r.m.right.name),
		    "moved right arrived");
		MIPC_REQUIRE(
		    mipc_port_deallocate(s_rcv, r.m.right.name) == KERN_SUCCESS,
		    "release the moved right");
		__atomic_fetch_add(&received, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
run(bool use_set)
{
	pthread_t st[SENDERS], rt[RECEIVERS];
	mach_port_name_t ports[2];
	mach_port_rights_t sr;
	mach_msg_type_name_t t;
	long i;
	int d;

	per_sender = stress_iters(3000);
	ck_assert_int_eq(mipc_space_create(&s_send), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s_rcv), KERN_SUCCESS);
	seen = calloc((size_t)SENDERS * per_sender, 1);
	received = 0;
	ndest = use_set ? 2 : 1;
	for (d = 0; d < ndest; d++) {
		ck_assert_int_eq(mach_port_allocate(
		                     s_rcv, MACH_PORT_RIGHT_RECEIVE, &ports[d]),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(s_rcv, ports[d],
		        MACH_MSG_TYPE_MAKE_SEND, s_send, &dest[d], &t),
		    KERN_SUCCESS);
	}
	rcv_name = ports[0];
	if (use_set) {
		ck_assert_int_eq(mach_port_allocate(s_rcv,
		                     MACH_PORT_RIGHT_PORT_SET, &rcv_name),
		    KERN_SUCCESS);
		for (d = 0; d < 2; d++)
			ck_assert_int_eq(
			    mach_port_insert_member(s_rcv, ports[d], rcv_name),
			    KERN_SUCCESS);
	}
	ck_assert_int_eq(
	    mach_port_allocate(s_send, MACH_PORT_RIGHT_RECEIVE, &token_recv),
	    KERN_SUCCESS);

	for (i = 0; i < RECEIVERS; i++)
		ck_assert_int_eq(
		    pthread_create(&rt[i], NULL, receiver, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < SENDERS; i++)
		ck_assert_int_eq(
		    pthread_create(&st[i], NULL, sender, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < SENDERS; i++)
		pthread_join(st[i], NULL);
	for (i = 0; i < RECEIVERS; i++)
		pthread_join(rt[i], NULL);

	ck_assert_int_eq(received, SENDERS * per_sender);
	for (i = 0; i < SENDERS * per_sender; i++)
		MIPC_REQUIRE(seen[i] == 1, "message %ld lost", i);
	/* Every moved send right was released by its receiver. */
	ck_assert_int_eq(
	    mach_port_get_srights(s_send, token_recv, &sr), KERN_SUCCESS);
	ck_assert_int_eq(sr, 0);
	for (d = 0; d < ndest; d++) {
		mach_port_status_t ps;
		mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

		ck_assert_int_eq(
		    mach_port_get_attributes(s_rcv, ports[d],
		        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&ps, &cnt),
		    KERN_SUCCESS);
		ck_assert_int_eq(ps.mps_msgcount, 0);
	}
	free(seen);
	ck_assert_int_eq(mipc_space_destroy(s_send), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s_rcv), KERN_SUCCESS);
}

START_TEST(msg_threads_two_by_two_on_a_port)
{
	run(false);
}
END_TEST

START_TEST(msg_threads_two_by_two_on_a_set)
{
	run(true);
}
END_TEST

static Suite *
msg_threads_suite(void)
{
	Suite *s = suite_create("msg_threads");
	TCase *tc = mipc_tcase("senders_receivers");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, msg_threads_two_by_two_on_a_port);
	tcase_add_test(tc, msg_threads_two_by_two_on_a_set);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(msg_threads_suite)
