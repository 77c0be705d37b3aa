/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify_threads.c -- notifications under concurrency: threads create
 * ports, hand send rights to a second space, register dead-name requests
 * on them (replacing earlier ones), destroy the ports and deallocate the
 * names, all at once on shared slots.  Every send-once right made for the
 * notify port must come back as exactly one message on it -- DEAD_NAME,
 * PORT_DELETED, or SEND_ONCE for a replaced request's right that the test
 * releases or a refused request's -- never twice, never lost; and every
 * object is released at the end.
 */
#include "stress.h"

#include <string.h>

enum { SLOTS = 8, THREADS = 3 };

static mipc_space_t sa, sb;             /* receivers; senders */
static mach_port_name_t notify_port;    /* in sa */
static mach_port_name_t a_names[SLOTS]; /* receive rights in sa */
static mach_port_name_t b_names[SLOTS]; /* send rights in sb */
static long sonce_made;                 /* send-once rights for notify */

static void
guard_ignore(
    mipc_space_t s, mach_port_name_t n, uint64_t f, uint64_t p, void *c)
{
	(void)s;
	(void)n;
	(void)f;
	(void)p;
	(void)c;
}

static void *
worker(void *arg)
{
	long id = (long)(intptr_t)arg, i, rounds = stress_iters(3000);
	unsigned int seed = (unsigned int)id * 7919u + 3;

	stress_pin((int)id);
	for (i = 0; i < rounds; i++) {
		int k = (int)(rand_r(&seed) % SLOTS);
		mach_port_name_t an =
		    __atomic_load_n(&a_names[k], __ATOMIC_RELAXED);
		mach_port_name_t bn =
		    __atomic_load_n(&b_names[k], __ATOMIC_RELAXED);
		mach_port_name_t n, so, prev;
		mach_msg_type_name_t t;
		kern_return_t kr;

		switch (rand_r(&seed) % 5) {
		case 0: /* a new port in the slot, a send right in sb */
			if (mipc_port_allocate(sa, MACH_PORT_RIGHT_RECEIVE,
			        &n) != KERN_SUCCESS)
				break;
			if (mipc_port_extract_right(sa, n,
			        MACH_MSG_TYPE_MAKE_SEND, sb, &bn,
			        &t) != KERN_SUCCESS) {
				mipc_port_destroy(sa, n);
				break;
			}
			__atomic_store_n(&a_names[k], n, __ATOMIC_RELAXED);
			__atomic_store_n(&b_names[k], bn, __ATOMIC_RELAXED);
			break;
		case 1:
		case 2: /* (re)register a dead-name request */
			kr = mipc_port_extract_right(sa, notify_port,
			    MACH_MSG_TYPE_MAKE_SEND_ONCE, sb, &so, &t);
			MIPC_REQUIRE(
			    kr == KERN_SUCCESS, "make send-once: 0x%x", kr);
			__atomic_fetch_add(&sonce_made, 1, __ATOMIC_RELAXED);
			prev = MACH_PORT_NULL;
			kr = mipc_port_request_notification(sb, bn,
			    MACH_NOTIFY_DEAD_NAME, 0, so,
			    MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev);
			MIPC_REQUIRE(kr == KERN_SUCCESS ||
			        kr == KERN_INVALID_NAME ||
			        kr == KERN_INVALID_ARGUMENT ||
			        kr == KERN_INVALID_RIGHT,
			    "request: 0x%x", kr);
			/* A replaced request's right is ours: release it. */
			if (kr == KERN_SUCCESS && MACH_PORT_VALID(prev))
				MIPC_REQUIRE(mipc_port_deallocate(sb, prev) ==
				        KERN_SUCCESS,
				    "release previous");
			break;
		case 3: /* the port dies: DEAD_NAME */
			(void)mipc_port_destroy(sa, an);
			break;
		default: /* the name goes: PORT_DELETED (or a dead name) */
			(void)mipc_port_deallocate(sb, bn);
			break;
		}
	}
	return NULL;
}

START_TEST(notify_threads_every_request_fires_once)
{
	pthread_t t[THREADS];
	long received = 0, i;
	mach_port_limits_t lim = { MACH_PORT_QLIMIT_MAX };

	mipc_set_guard_handler(guard_ignore, NULL);
	ck_assert_int_eq(mipc_space_create(&sa), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&sb), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(sa, MACH_PORT_RIGHT_RECEIVE, &notify_port),
	    KERN_SUCCESS);
	/* Notifications ignore the limit; keep it low to prove it. */
	lim.mpl_qlimit = 1;
	ck_assert_int_eq(
	    mipc_port_set_attributes(sa, notify_port, MACH_PORT_LIMITS_INFO,
	        (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
	memset(a_names, 0, sizeof(a_names));
	memset(b_names, 0, sizeof(b_names));
	sonce_made = 0;
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	/* sb's names go first (PORT_DELETED for live ports), then drain. */
	ck_assert_int_eq(mipc_space_destroy(sb), KERN_SUCCESS);
	for (;;) {
		struct {
			mach_dead_name_notification_t n;
			char pad[64];
		} m;
		mach_msg_return_t mr = mipc_msg(sa, &m.n.not_header,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), notify_port,
		    0, MACH_PORT_NULL);

		if (mr == MACH_RCV_TIMED_OUT)
			break;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
		MIPC_REQUIRE(m.n.not_header.msgh_id == MACH_NOTIFY_DEAD_NAME ||
		        m.n.not_header.msgh_id == MACH_NOTIFY_PORT_DELETED ||
		        m.n.not_header.msgh_id == MACH_NOTIFY_SEND_ONCE,
		    "unexpected notification %d", m.n.not_header.msgh_id);
		received++;
	}
	ck_assert_msg(received == sonce_made,
	    "%ld send-once rights made, %ld notifications", sonce_made,
	    received);
	ck_assert_int_eq(mipc_space_destroy(sa), KERN_SUCCESS);
}
END_TEST

static Suite *
notify_threads_suite(void)
{
	Suite *s = suite_create("notify_threads");
	TCase *tc = mipc_tcase("requests");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, notify_threads_every_request_fires_once);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(notify_threads_suite)
