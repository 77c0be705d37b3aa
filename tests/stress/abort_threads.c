/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abort_threads.c -- cancellation and event-loop descriptors under
 * concurrency (issue 17), bounded, for TSan:
 *
 *   abort:  a sender and two receivers on one port with a small queue
 *           limit (senders and receivers both block), while a fourth
 *           thread aborts them at random (mipc_thread_abort).  Every call
 *           ends in success or in the INTERRUPTED code; an interrupted
 *           send is retried, so every message arrives exactly once; no
 *           push is left behind.
 *   waitfd: two senders, one receiver in an epoll loop on the port's
 *           descriptor and one plain receiver stealing messages under it:
 *           every message is received exactly once, the loop never waits
 *           on an unreadable descriptor while messages remain (it would
 *           idle out), and the drained port's descriptor reads unready.
 */
#include "stress.h"

#include <mipc/mipc.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>

typedef struct {
	mach_msg_header_t hdr;
	uint32_t seq;
} seq_msg_t;

typedef struct {
	seq_msg_t m;
	mach_msg_max_trailer_t trailer;
} seq_rcv_t;

static mipc_space_t s_sp;
static mach_port_name_t s_port;
static long s_n;
static unsigned char *s_seen;
static atomic_long s_received;
static atomic_long s_interrupts;
static atomic_int s_stop;
static mipc_thread_t s_th[3];
static atomic_int s_ready;

static mach_msg_return_t
send_seq(uint32_t seq, mach_msg_option_t opt)
{
	seq_msg_t m;

	memset(&m, 0, sizeof(m));
	m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.hdr.msgh_size = sizeof(m);
	m.hdr.msgh_remote_port = s_port;
	m.seq = seq;
	return mipc_msg(s_sp, &m.hdr, MACH_SEND_MSG | opt, sizeof(m), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static void
note_received(const seq_rcv_t *r)
{
	MIPC_REQUIRE(r->m.seq < (uint32_t)s_n, "seq %u out of range", r->m.seq);
	MIPC_REQUIRE(
	    __atomic_exchange_n(&s_seen[r->m.seq], 1, __ATOMIC_RELAXED) == 0,
	    "message %u received twice", r->m.seq);
	atomic_fetch_add(&s_received, 1);
}

/* ---- abort ---------------------------------------------------------------- */

static void *
ab_sender(void *arg)
{
	uint32_t i;

	(void)arg;
	stress_pin(0);
	s_th[0] = mipc_thread_self();
	mipc_thread_retain(s_th[0]);
	atomic_fetch_add(&s_ready, 1);
	for (i = 0; i < (uint32_t)s_n;) {
		mach_msg_return_t mr = send_seq(i, 0);

		if (mr == MACH_SEND_INTERRUPTED) {
			atomic_fetch_add(&s_interrupts, 1);
			continue; /* the message came back: again */
		}
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "send: %#x", mr);
		i++;
	}
	return NULL;
}

static void *
ab_receiver(void *arg)
{
	int id = (int)(intptr_t)arg;

	stress_pin(id);
	s_th[id] = mipc_thread_self();
	mipc_thread_retain(s_th[id]);
	atomic_fetch_add(&s_ready, 1);
	while (atomic_load(&s_stop) == 0) {
		seq_rcv_t r;
		mach_msg_return_t mr = mipc_msg(s_sp, &r.m.hdr, MACH_RCV_MSG, 0,
		    sizeof(r), s_port, 0, MACH_PORT_NULL);

		if (mr == MACH_RCV_INTERRUPTED) {
			atomic_fetch_add(&s_interrupts, 1);
			continue;
		}
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: %#x", mr);
		note_received(&r);
	}
	return NULL;
}

START_TEST(abort_races_wakeups)
{
	struct mipc_stats st;
	pthread_t snd, rcv[2];
	unsigned int k = 1;
	int i;

	s_n = stress_iters(2000);
	s_seen = calloc((size_t)s_n, 1);
	atomic_store(&s_received, 0);
	atomic_store(&s_interrupts, 0);
	atomic_store(&s_stop, 0);
	atomic_store(&s_ready, 0);
	ck_assert_int_eq(mipc_space_create(&s_sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate_init(
	                     s_sp, MIPC_PORT_INIT_MAKE_SEND_RIGHT, &s_port),
	    KERN_SUCCESS);
	{
		mach_port_limits_t l = { .mpl_qlimit = 2 };

		ck_assert_int_eq(
		    mipc_port_set_attributes(s_sp, s_port,
		        MACH_PORT_LIMITS_INFO, (mach_port_info_t)&l,
		        MACH_PORT_LIMITS_INFO_COUNT),
		    KERN_SUCCESS);
	}
	ck_assert_int_eq(pthread_create(&snd, NULL, ab_sender, NULL), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&rcv[i], NULL, ab_receiver,
		                     (void *)(intptr_t)(i + 1)),
		    0);
	while (atomic_load(&s_ready) < 3)
		sched_yield();
	/* The aborter: at random, until every message arrived. */
	while (atomic_load(&s_received) < s_n) {
		kern_return_t kr;

		k = k * 1103515245u + 12345u;
		kr = mipc_thread_abort(s_th[(k >> 16) % 3]);
		/* The sender may have sent all and exited. */
		MIPC_REQUIRE(kr == KERN_SUCCESS ||
		        (kr == KERN_TERMINATED && (k >> 16) % 3 == 0),
		    "abort: %#x", kr);
		if ((k >> 8) & 1)
			sched_yield();
	}
	ck_assert_int_eq(pthread_join(snd, NULL), 0);
	/* Stop the receivers the way a server would. */
	atomic_store(&s_stop, 1);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(mipc_thread_abort(s_th[i + 1]), KERN_SUCCESS);
		ck_assert_int_eq(pthread_join(rcv[i], NULL), 0);
	}
	ck_assert_int_eq(atomic_load(&s_received), s_n);
	for (i = 0; i < s_n; i++)
		MIPC_REQUIRE(s_seen[i] == 1, "message %d lost", i);
	for (i = 0; i < 3; i++)
		mipc_thread_release(s_th[i]);
	ck_assert_int_eq(mipc_space_destroy(s_sp), KERN_SUCCESS);
	/* Every interrupted sender took its turnstile back. */
	mipc_quiesce();
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.turnstiles, st.threads);
	ck_assert_uint_ge(st.interrupts, (uint64_t)atomic_load(&s_interrupts));
	free(s_seen);
}
END_TEST

/* ---- waitfd ------------------------------------------------------------------ */

static void *
fd_sender(void *arg)
{
	uint32_t base = (uint32_t)(intptr_t)arg, i;

	stress_pin((int)base);
	for (i = base; i < (uint32_t)s_n; i += 2)
		MIPC_REQUIRE(send_seq(i, 0) == MACH_MSG_SUCCESS, "send %u", i);
	return NULL;
}

static void *
fd_thief(void *arg)
{
	(void)arg;
	stress_pin(1);
	while (atomic_load(&s_stop) == 0) {
		seq_rcv_t r;

		if (mipc_msg(s_sp, &r.m.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(r), s_port, 1,
		        MACH_PORT_NULL) == MACH_MSG_SUCCESS)
			note_received(&r);
	}
	return NULL;
}

START_TEST(waitfd_epoll_loop_with_a_thief)
{
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t snd[2], thief;
	struct pollfd p;
	int ep, fd, i, idle = 0;

	s_n = stress_iters(4000);
	s_seen = calloc((size_t)s_n, 1);
	atomic_store(&s_received, 0);
	atomic_store(&s_stop, 0);
	ck_assert_int_eq(mipc_space_create(&s_sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate_init(
	                     s_sp, MIPC_PORT_INIT_MAKE_SEND_RIGHT, &s_port),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_get_fd(s_sp, s_port, &fd), KERN_SUCCESS);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&snd[i], NULL, fd_sender,
		                     (void *)(intptr_t)i),
		    0);
	ck_assert_int_eq(pthread_create(&thief, NULL, fd_thief, NULL), 0);
	stress_pin(0);
	/*
	 * The loop: wait, then drain.  A descriptor left unready while a
	 * message waits would make it idle 50 x 100 ms while senders are
	 * blocked on the full queue: the test would fail on the count.
	 */
	while (atomic_load(&s_received) < s_n && idle < 50) {
		seq_rcv_t r;

		if (epoll_wait(ep, &ev, 1, 100) == 0) {
			idle++;
			continue;
		}
		idle = 0;
		while (mipc_msg(s_sp, &r.m.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		           0, sizeof(r), s_port, 0,
		           MACH_PORT_NULL) == MACH_MSG_SUCCESS)
			note_received(&r);
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(snd[i], NULL), 0);
	atomic_store(&s_stop, 1);
	ck_assert_int_eq(pthread_join(thief, NULL), 0);
	ck_assert_int_eq(atomic_load(&s_received), s_n);
	p.fd = fd;
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 0), 0); /* drained: unready */
	close(ep);
	close(fd);
	ck_assert_int_eq(mipc_space_destroy(s_sp), KERN_SUCCESS);
	free(s_seen);
}
END_TEST

static Suite *
abort_suite(void)
{
	Suite *s = suite_create("abort_threads");
	TCase *ab = mipc_tcase("abort");
	TCase *fd = mipc_tcase("waitfd");

	tcase_set_timeout(ab, stress_timeout(120));
	tcase_add_test(ab, abort_races_wakeups);
	suite_add_tcase(s, ab);
	tcase_set_timeout(fd, stress_timeout(120));
	tcase_add_test(fd, waitfd_epoll_loop_with_a_thief);
	suite_add_tcase(s, fd);
	return s;
}

MIPC_TEST_MAIN(abort_suite)
