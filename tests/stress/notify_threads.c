/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify_threads.c -- notifications under concurrency: threads create
 * ports, hand send rights to a second space, register dead-name requests
 * on them (replacing earlier ones), destroy the ports and deallocate the
 * names, all at once on shared slots.  Every send-once right made for the
 * notify port must come back as exactly one message on it -- DEAD_NAME,
 * PORT_DELETED, or SEND_ONCE for a replaced request's right that the test
 * releases or a refused request's -- never twice, never lost; and every
 * object is released at the end.  No-senders against the send fast
 * path's implicit send rights: never while messages carrying them are
 * queued, exactly once after.
 */
#include "stress.h"

#include <stdbool.h>
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
			if (kr == KERN_SUCCESS && MACH_PORT_VALID(prev)) {
				kr = mipc_port_deallocate(sb, prev);
				MIPC_REQUIRE(kr == KERN_SUCCESS,
				    "release previous 0x%x: 0x%x", prev, kr);
			}
			break;
		case 3: /* the port dies: DEAD_NAME */
			(void)mipc_port_destroy(sa, an);
			break;
		default: /* the name goes: PORT_DELETED (or a dead name) */
			/*
			 * As mipc_port_deallocate, for what a slot's name can
			 * hold: a send right or the dead name it became.  A
			 * stale slot's name may have come back, a generation
			 * cycle later, as another worker's send-once right
			 * (so before its request, prev before its release):
			 * deallocate would take that, and its owner's
			 * release would find the name gone.
			 */
			if (mipc_port_mod_refs(sb, bn, MACH_PORT_RIGHT_SEND,
			        -1) != KERN_SUCCESS)
				(void)mipc_port_mod_refs(
				    sb, bn, MACH_PORT_RIGHT_DEAD_NAME, -1);
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

/*
 * No-senders against the send fast path's implicit send rights (port.c):
 * a sender copies its send right into messages as fast as it can while a
 * second thread arms a no-senders request and deallocates the right, in
 * either order.  Nobody receives meanwhile, so afterwards: while messages
 * carrying send rights are queued the request has not fired (P11: after
 * the last one is dequeued); once they are received it has, exactly once.
 */
enum { NS_BATCH = 64 };

static mipc_space_t ns_sa, ns_sb;
static mach_port_name_t ns_bn; /* the send right in ns_sb */

static void *
ns_sender(void *arg)
{
	int i;

	(void)arg;
	stress_pin(1);
	for (i = 0; i < NS_BATCH; i++) {
		struct {
			mach_msg_header_t h;
			char body[32];
		} m;

		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.h.msgh_remote_port = ns_bn;
		m.h.msgh_id = i;
		if (mipc_msg(ns_sb, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		        sizeof(m), 0, MACH_PORT_NULL, 0,
		        MACH_PORT_NULL) != MACH_MSG_SUCCESS)
			break; /* the right went */
	}
	return NULL;
}

struct ns_ctl {
	mach_port_name_t c_port, c_notify;
	unsigned int c_seed;
};

static void
ns_spin(unsigned int *seed)
{
	unsigned int n = rand_r(seed) % 2000;

	while (n-- > 0)
		__asm__ __volatile__("" ::: "memory");
}

static void *
ns_control(void *arg)
{
	struct ns_ctl *c = arg;
	mach_port_name_t prev = MACH_PORT_NULL;
	bool arm_first = rand_r(&c->c_seed) & 1;

	stress_pin(0);
	ns_spin(&c->c_seed);
	if (arm_first)
		MIPC_REQUIRE(
		    mipc_port_request_notification(ns_sa, c->c_port,
		        MACH_NOTIFY_NO_SENDERS, 0, c->c_notify,
		        MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev) == KERN_SUCCESS,
		    "arm");
	ns_spin(&c->c_seed);
	MIPC_REQUIRE(
	    mipc_port_deallocate(ns_sb, ns_bn) == KERN_SUCCESS, "deallocate");
	ns_spin(&c->c_seed);
	if (!arm_first)
		MIPC_REQUIRE(
		    mipc_port_request_notification(ns_sa, c->c_port,
		        MACH_NOTIFY_NO_SENDERS, 0, c->c_notify,
		        MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev) == KERN_SUCCESS,
		    "arm");
	return NULL;
}

/* A receive with timeout 0 on name in ns_sa: its msgh_id, or -1. */
static int
ns_take(mach_port_name_t name)
{
	struct {
		mach_msg_header_t h;
		char body[96];
	} m;
	mach_msg_return_t mr =
	    mipc_msg(ns_sa, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	        name, 0, MACH_PORT_NULL);

	if (mr == MACH_RCV_TIMED_OUT)
		return -1;
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
	mipc_msg_destroy(ns_sa, &m.h);
	return m.h.msgh_id;
}

START_TEST(notify_threads_no_senders_waits_for_implicit_rights)
{
	mach_port_limits_t lim = { MACH_PORT_QLIMIT_MAX };
	long r, rounds = stress_iters(300);
	unsigned int seed = 12345;

	ck_assert_int_eq(mipc_space_create(&ns_sa), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&ns_sb), KERN_SUCCESS);
	for (r = 0; r < rounds; r++) {
		struct ns_ctl c = { 0, 0, seed + (unsigned int)r };
		mach_msg_type_name_t t;
		mach_port_status_t st;
		mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		pthread_t ts, tc;
		int id, n = 0;

		ck_assert_int_eq(mipc_port_allocate(
		                     ns_sa, MACH_PORT_RIGHT_RECEIVE, &c.c_port),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(ns_sa,
		                     MACH_PORT_RIGHT_RECEIVE, &c.c_notify),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_set_attributes(ns_sa, c.c_port,
		        MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
		        MACH_PORT_LIMITS_INFO_COUNT),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(ns_sa, c.c_port,
		        MACH_MSG_TYPE_MAKE_SEND, ns_sb, &ns_bn, &t),
		    KERN_SUCCESS);
		/* The port's ring, so that the sends take the fast path. */
		ns_sender(NULL);
		while (ns_take(c.c_port) >= 0)
			;
		ck_assert_int_eq(pthread_create(&ts, NULL, ns_sender, NULL), 0);
		ck_assert_int_eq(pthread_create(&tc, NULL, ns_control, &c), 0);
		pthread_join(ts, NULL);
		pthread_join(tc, NULL);

		ck_assert_int_eq(
		    mipc_port_get_attributes(ns_sa, c.c_port,
		        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
		    KERN_SUCCESS);
		if (st.mps_msgcount != 0) {
			ck_assert_msg(st.mps_srights,
			    "round %ld: %u messages with send rights queued, "
			    "mps_srights false",
			    r, st.mps_msgcount);
			id = ns_take(c.c_notify);
			ck_assert_msg(id < 0,
			    "round %ld: notification %d with %u messages "
			    "carrying send rights queued",
			    r, id, st.mps_msgcount);
		}
		while (ns_take(c.c_port) >= 0)
			n++;
		ck_assert_uint_eq((unsigned int)n, st.mps_msgcount);
		ck_assert_int_eq(ns_take(c.c_notify), MACH_NOTIFY_NO_SENDERS);
		ck_assert_int_eq(ns_take(c.c_notify), -1);
		ck_assert_int_eq(
		    mipc_port_destroy(ns_sa, c.c_port), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_destroy(ns_sa, c.c_notify), KERN_SUCCESS);
	}
	ck_assert_int_eq(mipc_space_destroy(ns_sb), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(ns_sa), KERN_SUCCESS);
}
END_TEST

static Suite *
notify_threads_suite(void)
{
	Suite *s = suite_create("notify_threads");
	TCase *tc = mipc_tcase("requests");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, notify_threads_every_request_fires_once);
	tcase_add_test(tc, notify_threads_no_senders_waits_for_implicit_rights);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(notify_threads_suite)
