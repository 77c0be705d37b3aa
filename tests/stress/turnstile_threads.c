/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * turnstile_threads.c -- priority inheritance under concurrency (issue
 * 13, TURNSTILES.md 4.5): clients doing RPCs through their special reply
 * ports with short timeouts, one-way sends blocking on small queues, base
 * priority changes and special reply ports destroyed and made anew;
 * servers that serve, destroy requests, and add and clear watchports on
 * themselves; a mover that serves a port whose receive right it keeps
 * moving -- into another space and back, and into transit (a message on a
 * port it watches) and back.  No return code may be unexpected; at the
 * end, with every thread stopped, every priority is at base, and once the
 * threads are joined only their own turnstiles are left, and nothing
 * leaks.  Run under ASan+UBSan and TSan.
 */
#include "stress.h"

#include <mipc/sync.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

enum { SERVERS = 2, CLIENTS = 2, MOVER = 1 };
#define NTHREADS (SERVERS + CLIENTS + MOVER)

typedef struct {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t d;
	char pad[16];
	mach_msg_max_trailer_t t;
} tmsg_t;

static mipc_space_t s_main, s_away;
static mach_port_name_t svc[SERVERS]; /* served by the servers */
static mach_port_name_t mob;          /* the mover's port, moving */
static mach_port_name_t park;         /* the mover's, watched: transit */
static atomic_int clients_left;
static mipc_thread_t handles[NTHREADS];
static pthread_barrier_t stopped, checked;
static long rounds;

static const int bases[] = { 4, 20, 31, 37, 47, 60, 80 };

/* A per-thread xorshift. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
publish_self(int slot)
{
	mipc_thread_t th = mipc_thread_self();

	MIPC_REQUIRE(th != NULL, "thread state");
	mipc_thread_retain(th);
	handles[slot] = th;
}

/* Stop: every thread at the barrier, the main thread reads priorities. */
static void
stop_and_wait(void)
{
	pthread_barrier_wait(&stopped);
	pthread_barrier_wait(&checked);
}

/*
 * Serve one message of `name` (waiting up to `ms`): reply to an RPC, or
 * destroy it now and then (its reply right dies: MACH_NOTIFY_SEND_ONCE to
 * the client); one-way messages are destroyed.  False if none came.
 */
static bool
serve_one(mach_port_name_t name, mach_msg_timeout_t ms, uint32_t *seed)
{
	tmsg_t m;
	mach_msg_return_t mr;

	memset(&m, 0, sizeof(m));
	mr = mipc_msg(s_main, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(m), name, ms, MACH_PORT_NULL);
	if (mr == MACH_RCV_TIMED_OUT || mr == MACH_RCV_INVALID_NAME ||
	    mr == MACH_RCV_PORT_CHANGED)
		return false; /* nothing, or the right is away (mover) */
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "serve receive: %#x", mr);
	/* K8: a client's SRP that died meanwhile comes out as DEAD. */
	if (MACH_MSGH_BITS_REMOTE(m.h.msgh_bits) ==
	        MACH_MSG_TYPE_PORT_SEND_ONCE &&
	    m.h.msgh_remote_port != MACH_PORT_DEAD && rnd(seed) % 8 != 0) {
		mach_msg_id_t id = m.h.msgh_id;
		mach_port_name_t so = m.h.msgh_remote_port;

		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_remote_port = so;
		m.h.msgh_id = id + 1;
		mr = mipc_msg(s_main, &m.h, MACH_SEND_MSG, sizeof(m.h), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "reply: %#x", mr);
	} else {
		mipc_msg_destroy(s_main, &m.h);
	}
	return true;
}

static void *
server(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint32_t seed = 0x9e3779b9u * (uint32_t)(id + 1);
	long n = 0;

	stress_pin(id);
	publish_self(id);
	while (atomic_load(&clients_left) > 0) {
		(void)serve_one(svc[id], 2, &seed);
		if (++n % 16 == 0) {
			mipc_thread_t me = handles[id];
			mach_port_name_t names[2] = { svc[id], mob };
			kern_return_t kr;

			if (rnd(&seed) % 2) {
				kr = mipc_thread_add_watchports(
				    me, s_main, names, 1 + rnd(&seed) % 2);
				MIPC_REQUIRE(kr == KERN_SUCCESS ||
				        kr == KERN_INVALID_ARGUMENT,
				    "add watchports: %#x", kr);
			} else {
				MIPC_REQUIRE(mipc_thread_clear_watchports(me) ==
				        KERN_SUCCESS,
				    "clear watchports");
			}
		}
	}
	stop_and_wait();
	return NULL;
}

/* A fresh special reply port; the old one destroyed (the owner's own). */
static mach_port_name_t
srp_renew(mach_port_name_t old)
{
	mach_port_name_t srp = thread_get_special_reply_port();

	MIPC_REQUIRE(MACH_PORT_VALID(srp), "special reply port");
	if (old != MACH_PORT_NULL)
		MIPC_REQUIRE(mipc_port_destroy(s_main, old) == KERN_SUCCESS,
		    "destroy the old special reply port");
	return srp;
}

static void
client_rpc(mach_port_name_t dest, mach_port_name_t srp, uint32_t id,
    mach_msg_timeout_t ms)
{
	tmsg_t m;
	mach_msg_return_t mr;
	int extra;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_remote_port = dest;
	m.h.msgh_local_port = srp;
	m.h.msgh_id = (mach_msg_id_t)id;
	mr = mipc_msg(s_main, &m.h,
	    MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	    sizeof(m.h), sizeof(m), srp, ms, MACH_PORT_NULL);
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS || mr == MACH_SEND_TIMED_OUT ||
	        mr == MACH_RCV_TIMED_OUT,
	    "rpc: %#x", mr);
	/* Late replies and send-once notifications of earlier RPCs. */
	for (extra = 0; mr == MACH_MSG_SUCCESS && extra < 64; extra++) {
		MIPC_REQUIRE(m.h.msgh_id == (mach_msg_id_t)id + 1 ||
		        (uint32_t)m.h.msgh_id >> 24 == id >> 24 ||
		        m.h.msgh_id == MACH_NOTIFY_SEND_ONCE,
		    "reply id %#x to rpc %#x", m.h.msgh_id, id);
		if (m.h.msgh_id == (mach_msg_id_t)id + 1)
			break;
		memset(&m, 0, sizeof(m));
		mr = mipc_msg(s_main, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		    sizeof(m), srp, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS || mr == MACH_RCV_TIMED_OUT,
		    "late reply: %#x", mr);
	}
}

static void *
client(void *arg)
{
	int id = (int)(intptr_t)arg, slot = SERVERS + id;
	uint32_t seed = 0x85ebca6bu * (uint32_t)(id + 7), seq = 0;
	mach_port_name_t srp;
	long i;

	stress_pin(id + 1);
	(void)mipc_thread_set_space(s_main);
	publish_self(slot);
	srp = srp_renew(MACH_PORT_NULL);
	for (i = 0; i < rounds; i++) {
		uint32_t r = rnd(&seed);
		mach_port_name_t dest = r % 3 == 2 ? mob : svc[r % 2];
		mach_msg_return_t mr;

		switch ((r >> 8) % 10) {
		case 0:
			MIPC_REQUIRE(
			    mipc_thread_set_base_priority(handles[slot],
			        bases[(r >> 16) % 7]) == KERN_SUCCESS,
			    "base");
			break;
		case 1: {
			/* One-way, blocking a little on a full queue. */
			tmsg_t m;

			memset(&m, 0, sizeof(m));
			m.h.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
			m.h.msgh_remote_port = dest;
			m.h.msgh_id = 7;
			mr = mipc_msg(s_main, &m.h,
			    MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m.h), 0,
			    MACH_PORT_NULL, (r >> 16) % 3, MACH_PORT_NULL);
			MIPC_REQUIRE(
			    mr == MACH_MSG_SUCCESS || mr == MACH_SEND_TIMED_OUT,
			    "one-way: %#x", mr);
			break;
		}
		case 2:
			if ((r >> 16) % 8 == 0)
				srp = srp_renew(srp);
			break;
		default:
			client_rpc(dest, srp,
			    ((uint32_t)(id + 1) << 24) | (seq += 2),
			    1 + (r >> 16) % 4);
			break;
		}
	}
	atomic_fetch_sub(&clients_left, 1);
	stop_and_wait();
	(void)mipc_thread_set_space(NULL);
	return NULL;
}

/* Move mob's receive right away and back: another space, or transit. */
static void
move_mob(uint32_t r)
{
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t t;
	tmsg_t m;
	mach_msg_return_t mr;

	if (r % 2) {
		MIPC_REQUIRE(mipc_port_extract_right(s_main, mob,
		                 MACH_MSG_TYPE_MOVE_RECEIVE, s_away, &n,
		                 &t) == KERN_SUCCESS,
		    "move away");
		MIPC_REQUIRE(mipc_port_extract_right(s_away, n,
		                 MACH_MSG_TYPE_MOVE_RECEIVE, s_main, &n,
		                 &t) == KERN_SUCCESS &&
		        n == mob,
		    "move back (name %#x)", n);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits =
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = park;
	m.h.msgh_id = 900;
	m.body.msgh_descriptor_count = 1;
	m.d.name = mob;
	m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	mr = mipc_msg(s_main, &m.h, MACH_SEND_MSG,
	    sizeof(m.h) + sizeof(m.body) + sizeof(m.d), 0, MACH_PORT_NULL, 0,
	    MACH_PORT_NULL);
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "into transit: %#x", mr);
	/* In transit a while: clients' pushes go to park, watched by us. */
	sched_yield();
	memset(&m, 0, sizeof(m));
	mr = mipc_msg(s_main, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(m), park, 1000, MACH_PORT_NULL);
	MIPC_REQUIRE(
	    mr == MACH_MSG_SUCCESS && m.h.msgh_id == 900 && m.d.name == mob,
	    "out of transit: %#x (name %#x)", mr, m.d.name);
}

static void *
mover(void *arg)
{
	int slot = SERVERS + CLIENTS;
	uint32_t seed = 0xc2b2ae35u;
	long n = 0;

	(void)arg;
	stress_pin(0);
	publish_self(slot);
	MIPC_REQUIRE(mipc_thread_add_watchports(
	                 handles[slot], s_main, &park, 1) == KERN_SUCCESS,
	    "watch park");
	while (atomic_load(&clients_left) > 0) {
		(void)serve_one(mob, 1, &seed);
		if (++n % 8 == 0)
			move_mob(rnd(&seed));
	}
	stop_and_wait();
	return NULL;
}

static mach_port_name_t
port_new(mach_port_msgcount_t qlimit)
{
	mach_port_name_t n = MACH_PORT_NULL;
	mach_port_limits_t l = { qlimit };

	ck_assert_int_eq(
	    mipc_port_allocate_init(s_main,
	        MIPC_PORT_INIT_MAKE_SEND_RIGHT | MIPC_PORT_INIT_MESSAGE_QUEUE,
	        &n),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_set_attributes(s_main, n, MACH_PORT_LIMITS_INFO,
	        (mach_port_info_t)&l, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
	return n;
}

START_TEST(turnstile_threads_rpcs_moves_and_base_changes)
{
	pthread_t pt[NTHREADS];
	struct mipc_stats s;
	int i;

	rounds = stress_iters(1500);
	ck_assert_int_eq(mipc_space_create(&s_main), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s_away), KERN_SUCCESS);
	for (i = 0; i < SERVERS; i++)
		svc[i] = port_new(2);
	mob = port_new(2);
	park = port_new(4);
	atomic_store(&clients_left, CLIENTS);
	ck_assert_int_eq(pthread_barrier_init(&stopped, NULL, NTHREADS + 1), 0);
	ck_assert_int_eq(pthread_barrier_init(&checked, NULL, NTHREADS + 1), 0);
	for (i = 0; i < SERVERS; i++)
		ck_assert_int_eq(
		    pthread_create(&pt[i], NULL, server, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < CLIENTS; i++)
		ck_assert_int_eq(pthread_create(&pt[SERVERS + i], NULL, client,
		                     (void *)(intptr_t)i),
		    0);
	ck_assert_int_eq(
	    pthread_create(&pt[SERVERS + CLIENTS], NULL, mover, NULL), 0);

	/* Everyone stopped, nobody blocked: nobody is pushed. */
	pthread_barrier_wait(&stopped);
	for (i = 0; i < NTHREADS; i++) {
		struct mipc_thread_priority p;
		struct mipc_wait_info w;

		ck_assert_int_eq(
		    mipc_thread_get_priority(handles[i], &p), KERN_SUCCESS);
		ck_assert_msg(p.effective == p.base && p.promotion == 0,
		    "thread %d: effective %u base %u promotion %u", i,
		    p.effective, p.base, p.promotion);
		ck_assert_int_eq(
		    mipc_thread_wait_info(handles[i], &w), KERN_SUCCESS);
		ck_assert_int_eq(w.wait_kind, MIPC_WAIT_NONE);
	}
	pthread_barrier_wait(&checked);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(pt[i], NULL), 0);
	for (i = 0; i < NTHREADS; i++)
		mipc_thread_release(handles[i]);
	pthread_barrier_destroy(&stopped);
	pthread_barrier_destroy(&checked);
	ck_assert_int_eq(mipc_space_destroy(s_away), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s_main), KERN_SUCCESS);
	mipc_quiesce();
	mipc_get_stats(&s);
	ck_assert_msg(s.turnstiles == s.threads,
	    "%llu turnstiles, %llu threads", (unsigned long long)s.turnstiles,
	    (unsigned long long)s.threads);
	ck_assert_msg(s.ts_walks > 0, "no push was ever walked");
}
END_TEST

static Suite *
turnstile_threads_suite(void)
{
	Suite *s = suite_create("turnstile_threads");
	TCase *tc = mipc_tcase("turnstile_threads");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, turnstile_threads_rpcs_moves_and_base_changes);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(turnstile_threads_suite)
