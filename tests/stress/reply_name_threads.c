/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply_name_threads.c -- the receive fast path names a request's
 * send-once reply right itself, with the server space's lock only tried
 * inside its epoch section (kmsg.c ipc_kmsg_copyout_reply_try), while
 * other threads use that space: two servers take requests from one port
 * and reply through the names; a churner allocates and destroys names in
 * the server space (the lock busy: the general copyout) and reads the
 * servers' newest reply names lock-free (get_refs, type) as they are
 * installed and freed.  Two clients in a space of their own call, one
 * through a plain reply port, one through its special reply port (the
 * link broken by the copy-out).  Every call gets its own answer, each
 * name read holds one send-once right or nothing, the flat path was
 * taken, and every object is released when the spaces go.
 *
 * Includes core/internal.h for the count of reply rights named flat
 * (ipc_rcv_reply_named, test builds).
 * Bounded by rounds (stress_iters) and timeouts on every receive.
 */
#include "stress.h"

#include "internal.h"

#include <string.h>

enum { SERVERS = 2, CLIENTS = 2, RECENT = 4, CALL_MS = 10000 };

typedef struct {
	mach_msg_header_t h;
	uint32_t client, seq;
} req_t;

typedef struct {
	req_t m;
	mach_msg_max_trailer_t t;
} req_rcv_t;

static mipc_space_t s_srv, s_cli;
static mach_port_name_t svc, svc_cli;   /* receive in s_srv, send in s_cli */
static uint32_t clients_left;           /* (A) */
static mach_port_name_t recent[RECENT]; /* (A) servers' newest reply names */
static uint64_t srv_flat; /* (A) reply rights the servers named flat */

static void *
client(void *arg)
{
	long id = (long)(intptr_t)arg, i, rounds = stress_iters(3000);
	mach_port_name_t rp;
	req_rcv_t r;
	req_t m;

	stress_pin((int)id);
	(void)mipc_thread_set_space(s_cli);
	if (id == 0) {
		rp = thread_get_special_reply_port();
		MIPC_REQUIRE(MACH_PORT_VALID(rp), "special reply port");
	} else {
		MIPC_REQUIRE(mipc_port_allocate(s_cli, MACH_PORT_RIGHT_RECEIVE,
		                 &rp) == KERN_SUCCESS,
		    "reply port");
	}
	for (i = 0; i < rounds; i++) {
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_remote_port = svc_cli;
		m.h.msgh_local_port = rp;
		m.h.msgh_id = 100;
		m.client = (uint32_t)id;
		m.seq = (uint32_t)i;
		MIPC_REQUIRE(
		    mipc_msg(s_cli, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "request %ld/%ld", id, i);
		memset(&r, 0, sizeof(r));
		MIPC_REQUIRE(
		    mipc_msg(s_cli, &r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(r), rp, CALL_MS,
		        MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "reply %ld/%ld", id, i);
		MIPC_REQUIRE(r.m.h.msgh_id == 200 &&
		        r.m.client == (uint32_t)id && r.m.seq == (uint32_t)i,
		    "client %ld call %ld: reply %d for %u/%u", id, i,
		    r.m.h.msgh_id, r.m.client, r.m.seq);
	}
	if (id != 0)
		MIPC_REQUIRE(
		    mipc_port_destroy(s_cli, rp) == KERN_SUCCESS, "reply port");
	ck_pr_dec_32(&clients_left);
	return NULL;
}

static void *
server(void *arg)
{
	long id = (long)(intptr_t)arg;
	uint64_t before = ipc_rcv_reply_named;
	unsigned int k = 0;
	req_rcv_t r;
	req_t m;

	stress_pin((int)id);
	while (ck_pr_load_32(&clients_left) != 0) {
		mach_msg_return_t mr;
		mach_port_name_t so;

		memset(&r, 0, sizeof(r));
		mr = mipc_msg(s_srv, &r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		    sizeof(r), svc, 20, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "server receive 0x%x", mr);
		so = r.m.h.msgh_remote_port;
		MIPC_REQUIRE(MACH_MSGH_BITS_REMOTE(r.m.h.msgh_bits) ==
		            MACH_MSG_TYPE_PORT_SEND_ONCE &&
		        MACH_PORT_VALID(so),
		    "a reply right: bits 0x%x name 0x%x", r.m.h.msgh_bits, so);
		ck_pr_store_32(&recent[(id + SERVERS * k++) % RECENT], so);
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_remote_port = so;
		m.h.msgh_id = 200;
		m.client = r.m.client;
		m.seq = r.m.seq;
		MIPC_REQUIRE(
		    mipc_msg(s_srv, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "server reply");
	}
	ck_pr_add_64(&srv_flat, ipc_rcv_reply_named - before);
	return NULL;
}

/* Names come and go in the server space; newest reply names read. */
static void *
churner(void *arg)
{
	long id = (long)(intptr_t)arg;
	unsigned int seed = (unsigned int)id * 2654435761u + 7;

	stress_pin((int)id);
	while (ck_pr_load_32(&clients_left) != 0) {
		mach_port_name_t n = ck_pr_load_32(
		                     &recent[rand_r(&seed) % RECENT]),
		                 pset;
		mach_port_urefs_t refs = 0;
		mach_port_type_t t = 0;
		kern_return_t kr;

		MIPC_REQUIRE(mipc_port_allocate(s_srv, MACH_PORT_RIGHT_PORT_SET,
		                 &pset) == KERN_SUCCESS,
		    "port set");
		if (n != MACH_PORT_NULL) {
			kr = mipc_port_get_refs(
			    s_srv, n, MACH_PORT_RIGHT_SEND_ONCE, &refs);
			/* A reply right, or its name freed (and reused by
			 * a set: no such right, no references). */
			MIPC_REQUIRE((kr == KERN_SUCCESS && refs <= 1) ||
			        kr == KERN_INVALID_NAME ||
			        kr == KERN_INVALID_RIGHT,
			    "get_refs 0x%x: 0x%x, %u", n, kr, refs);
			kr = mipc_port_type(s_srv, n, &t);
			MIPC_REQUIRE((kr == KERN_SUCCESS &&
			                 (t == MACH_PORT_TYPE_SEND_ONCE ||
			                     t == MACH_PORT_TYPE_PORT_SET)) ||
			        kr == KERN_INVALID_NAME,
			    "type 0x%x: 0x%x, 0x%x", n, kr, t);
		}
		MIPC_REQUIRE(mipc_port_mod_refs(s_srv, pset,
		                 MACH_PORT_RIGHT_PORT_SET, -1) == KERN_SUCCESS,
		    "port set's end");
	}
	return NULL;
}

START_TEST(reply_name_threads_servers_name_replies_under_churn)
{
	pthread_t th[SERVERS + CLIENTS + 1];
	mach_msg_type_name_t t;
	long i;

	ck_assert_int_eq(mipc_space_create(&s_srv), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s_cli), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(s_srv, MACH_PORT_RIGHT_RECEIVE, &svc),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_extract_right(s_srv, svc,
	                     MACH_MSG_TYPE_MAKE_SEND, s_cli, &svc_cli, &t),
	    KERN_SUCCESS);
	clients_left = CLIENTS;
	for (i = 0; i < CLIENTS; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, client, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < SERVERS; i++)
		ck_assert_int_eq(pthread_create(&th[CLIENTS + i], NULL, server,
		                     (void *)(intptr_t)(CLIENTS + i)),
		    0);
	ck_assert_int_eq(pthread_create(&th[CLIENTS + SERVERS], NULL, churner,
	                     (void *)(intptr_t)(CLIENTS + SERVERS)),
	    0);
	for (i = 0; i < CLIENTS + SERVERS + 1; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	/* The path meant was taken (how often depends on the schedule: a
	 * server that waited receives on the general path). */
	ck_assert_uint_gt(ck_pr_load_64(&srv_flat), 0);
	ck_assert_int_eq(mipc_space_destroy(s_cli), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s_srv), KERN_SUCCESS);
}
END_TEST

static Suite *
reply_name_threads_suite(void)
{
	Suite *s = suite_create("reply_name_threads");
	TCase *tc = mipc_tcase("race");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, reply_name_threads_servers_name_replies_under_churn);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(reply_name_threads_suite)
