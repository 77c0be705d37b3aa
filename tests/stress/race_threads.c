/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * race_threads.c -- races outside workloops that the workloop stress
 * (workloop_threads.c) ran into, each reproduced on its own:
 *
 *   * a blocked sender admitted by one waker may see it was admitted
 *     before that waker has unparked it (its timeout fired), return, send
 *     again, block again and be admitted by a second waker while the
 *     first still holds it (e18adfa keeps the wakers' lists off the
 *     threads; this reproduced the old link race within seconds);
 *   * two appliers of one thread's OS priority: the one that leaves must
 *     not read what the next one writes;
 *   * a receive that finds its port or set empty keeps a reference to
 *     wait on: the object may have died (its last reference gone) since
 *     the lookup.
 *
 * The window of the sender's race is widened by a slow OS policy: a
 * watcher thread watches the port, so every waker's priority walk ends
 * in an apply, between the port's unlock and the waker's walk of its
 * list.
 *
 * Bounded; every message sent is received once; nothing is left.
 */
#include "stress.h"

#include <mipc/sync.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>

enum { SENDERS = 3, RECEIVERS = 2 };

static mipc_space_t sp;
static mach_port_name_t port;
static long per_sender;
static long sent, received; /* (A) */
static int senders_left;    /* (A) */
static mipc_thread_t watcher_th;
static sem_t watcher_ready;

static void
nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

static int
slow_apply(pid_t tid, int pri, void *ctx)
{
	(void)tid;
	(void)pri;
	(void)ctx;
	nap_us(100);
	return 0;
}

static void *
watcher(void *arg)
{
	(void)arg;
	watcher_th = mipc_thread_self();
	mipc_thread_retain(watcher_th);
	sem_post(&watcher_ready);
	while (__atomic_load_n(&senders_left, __ATOMIC_ACQUIRE) > 0)
		nap_us(1000);
	return NULL;
}

/* A port of sp with a send right and queue limit q. */
static mach_port_name_t
port_new(mach_port_msgcount_t q)
{
	mach_port_limits_t lim = { q };
	mach_port_name_t n = MACH_PORT_NULL;

	ck_assert_int_eq(
	    mipc_port_allocate_init(sp, MIPC_PORT_INIT_MAKE_SEND_RIGHT, &n),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_set_attributes(sp, n, MACH_PORT_LIMITS_INFO,
	        (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
	return n;
}

static int
uref_of(void)
{
	mach_port_urefs_t r = 0;

	(void)mipc_port_get_refs(sp, port, MACH_PORT_RIGHT_SEND, &r);
	return (int)r;
}

static void *
sender(void *arg)
{
	long id = (long)(intptr_t)arg, i;

	stress_pin((int)id);
	/* Different pushes: the watcher's priority moves with each. */
	(void)mipc_thread_set_base_priority(
	    mipc_thread_self(), 30 + 8 * (int)id);
	for (i = 0; i < per_sender; i++) {
		mach_msg_header_t h;
		mach_msg_return_t mr;

		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		h.msgh_remote_port = port;
		h.msgh_size = sizeof(h);
		/* 0 or 1 ms: the timeout races the admission. */
		mr = mipc_msg(sp, &h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		    sizeof(h), 0, MACH_PORT_NULL, (mach_msg_timeout_t)(i & 1),
		    MACH_PORT_NULL);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS || mr == MACH_SEND_TIMED_OUT,
		    "send: 0x%x", mr);
		if (mr == MACH_MSG_SUCCESS)
			__atomic_fetch_add(&sent, 1, __ATOMIC_RELAXED);
		/* A timed-out send's right may come back (M3): one uref
		 * more, dropped -- while receivers use the name. */
		else
			(void)mipc_port_mod_refs(sp, port, MACH_PORT_RIGHT_SEND,
			    -1 * (uref_of() > 1));
	}
	__atomic_fetch_sub(&senders_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *
receiver(void *arg)
{
	long id = (long)(intptr_t)arg;

	stress_pin((int)id + 1);
	for (;;) {
		struct {
			mach_msg_header_t h;
			mach_msg_max_trailer_t t;
		} m;
		int left = __atomic_load_n(&senders_left, __ATOMIC_ACQUIRE);
		mach_msg_return_t mr;

		mr = mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		    sizeof(m), port, 1, MACH_PORT_NULL);
		if (mr == MACH_MSG_SUCCESS) {
			__atomic_fetch_add(&received, 1, __ATOMIC_RELAXED);
			continue;
		}
		MIPC_REQUIRE(mr == MACH_RCV_TIMED_OUT, "receive: 0x%x", mr);
		if (left == 0)
			break; /* no sender left, and the queue was empty */
	}
	return NULL;
}

START_TEST(admitted_sender_blocks_again_before_its_waker_ran)
{
	pthread_t st[SENDERS], rt[RECEIVERS], wt;
	long i;

	per_sender = stress_iters(4000);
	sent = received = 0;
	senders_left = SENDERS;
	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	port = port_new(1);
	ck_assert_int_eq(sem_init(&watcher_ready, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&wt, NULL, watcher, NULL), 0);
	ck_assert_int_eq(sem_wait(&watcher_ready), 0);
	ck_assert_int_eq(
	    mipc_thread_add_watchports(watcher_th, sp, &port, 1), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, slow_apply, NULL),
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
	pthread_join(wt, NULL);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL), KERN_SUCCESS);
	mipc_thread_release(watcher_th);
	sem_destroy(&watcher_ready);
	ck_assert_msg(
	    sent == received, "%ld sent, %ld received", sent, received);
	ck_assert_msg(sent > 0, "nothing was ever sent");
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

/* Base priority changes of one thread from several threads at once. */
static void *
base_churn(void *arg)
{
	long id = (long)(intptr_t)arg, i, n = stress_iters(3000);

	for (i = 0; i < n; i++)
		(void)mipc_thread_set_base_priority(
		    watcher_th, (int)(10 + (i + id) % 40));
	return NULL;
}

START_TEST(concurrent_applies_to_one_thread)
{
	pthread_t ct[3], wt;
	long i;

	senders_left = 1;
	ck_assert_int_eq(sem_init(&watcher_ready, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&wt, NULL, watcher, NULL), 0);
	ck_assert_int_eq(sem_wait(&watcher_ready), 0);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, slow_apply, NULL),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&ct[i], NULL, base_churn,
		                     (void *)(intptr_t)i),
		    0);
	for (i = 0; i < 3; i++)
		pthread_join(ct[i], NULL);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL), KERN_SUCCESS);
	__atomic_store_n(&senders_left, 0, __ATOMIC_RELEASE);
	pthread_join(wt, NULL);
	mipc_thread_release(watcher_th);
	sem_destroy(&watcher_ready);
}
END_TEST

/* Sets and ports made and destroyed under a receiver's feet. */
static mach_port_name_t victim; /* (A) */

static void *
victim_churn(void *arg)
{
	long i, n = (long)(intptr_t)arg;

	for (i = 0; i < n; i++) {
		mach_port_name_t v = MACH_PORT_NULL;

		MIPC_REQUIRE(mipc_port_allocate(sp,
		                 (i & 1) ? MACH_PORT_RIGHT_PORT_SET
		                         : MACH_PORT_RIGHT_RECEIVE,
		                 &v) == KERN_SUCCESS,
		    "allocate");
		__atomic_store_n(&victim, v, __ATOMIC_RELEASE);
		sched_yield();
		MIPC_REQUIRE(
		    mipc_port_destroy(sp, v) == KERN_SUCCESS, "destroy");
	}
	__atomic_store_n(&senders_left, 0, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(receive_while_its_set_or_port_dies)
{
	pthread_t ct;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	victim = MACH_PORT_NULL;
	senders_left = 1;
	ck_assert_int_eq(pthread_create(&ct, NULL, victim_churn,
	                     (void *)(intptr_t)stress_iters(20000)),
	    0);
	while (__atomic_load_n(&senders_left, __ATOMIC_ACQUIRE) != 0) {
		struct {
			mach_msg_header_t h;
			mach_msg_max_trailer_t t;
		} m;
		mach_msg_return_t mr =
		    mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(m), __atomic_load_n(&victim, __ATOMIC_ACQUIRE),
		        0, MACH_PORT_NULL);

		MIPC_REQUIRE(mr == MACH_RCV_TIMED_OUT ||
		        mr == MACH_RCV_INVALID_NAME ||
		        mr == MACH_RCV_PORT_CHANGED,
		    "receive: 0x%x", mr);
	}
	pthread_join(ct, NULL);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

static Suite *
race_threads_suite(void)
{
	Suite *s = suite_create("race_threads");
	TCase *tc = mipc_tcase("races");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, admitted_sender_blocks_again_before_its_waker_ran);
	tcase_add_test(tc, concurrent_applies_to_one_thread);
	tcase_add_test(tc, receive_while_its_set_or_port_dies);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(race_threads_suite)
