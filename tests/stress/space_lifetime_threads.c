/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * space_lifetime_threads.c -- how long a space lives while other threads
 * use it (issue 12, items 4, 5, 12 and 13):
 *
 *   - a thread blocked in mipc_msg through an explicit space handle, while
 *     another thread destroys that space and calls mipc_quiesce(): the
 *     blocked call must still hold what it uses when it wakes (the
 *     timeout's pseudo-receive, the receiver's retry);
 *   - mipc_default_space_reset() + mipc_quiesce() racing calls through
 *     mipc_thread_space() and mach_task_self(): the default space is
 *     handed out, so it must not be freed under a call that got it;
 *   - spaces destroyed and recreated under traffic through handles other
 *     threads still hold: a stale handle is refused, never acts on the
 *     space created next;
 *   - a server with one space per client, run for many clients with no
 *     mipc_quiesce(): destroyed spaces are reclaimed at safe points, so
 *     live spaces stay bounded (a count, never a timing).
 *
 * Public headers only; messages and blocked-worker helpers come from the
 * conformance suites' msg_helpers.h (a worker's state is read in /proc).
 * Bounded: fixed iterations (stress_iters), timeouts on every receive and
 * on every send that may block, and the tcase timeout.
 */
#include "stress.h"

#include "conformance/msg_helpers.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

/* ---- item 4: a call blocked through a space that is destroyed --------- */

/*
 * A port `*port` in a fresh space `*rs` with queue limit 1 and one message
 * queued, and a send right to it in space `s` (returned): the next send
 * from `s` blocks.
 */
static mach_port_name_t
full_port_for(mipc_space_t s, mipc_space_t *rs, mach_port_name_t *port)
{
	mach_port_name_t dest;

	*rs = space_new();
	*port = recv_new(*rs);
	set_qlimit(*rs, *port, 1);
	dest = conf_give_send(s, *rs, *port, 2);
	SEND_OK(s, dest, MACH_MSG_TYPE_COPY_SEND, 1);
	return dest;
}

/* Spaces created after the destroy reuse what the old one freed. */
#define REUSERS 8

START_TEST(blocked_sender_survives_space_destroy_and_quiesce)
{
	int round;

	for (round = 0; round < 3; round++) {
		mipc_space_t s = space_new(), rs, reuse[REUSERS];
		mach_port_name_t port, dest, reply;
		struct msg_worker w;
		mach_msg_return_t mr;
		int i;

		dest = full_port_for(s, &rs, &port);
		/* A reply right, so the pseudo-receive copies out into s. */
		reply = recv_new(s);
		worker_send(
		    &w, s, dest, MACH_MSG_TYPE_COPY_SEND, 2, 400, false);
		w.w_buf.h.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		w.w_buf.h.msgh_local_port = reply;
		worker_start(&w);
		ck_assert_msg(worker_blocked(&w), "the sender did not block");

		/* Destroy the sender's space under it, and reclaim. */
		KR_OK(mipc_space_destroy(s));
		mipc_quiesce();
		for (i = 0; i < REUSERS; i++)
			reuse[i] = space_new();

		/* The timeout's pseudo-receive goes to the destroyed space. */
		mr = worker_join(&w);
		KR_EQ(mr, MACH_SEND_TIMED_OUT);
		for (i = 0; i < REUSERS; i++) {
			ck_assert_msg(name_count(reuse[i]) == 0,
			    "the blocked call put a right into space %d "
			    "created after its own was destroyed",
			    i);
			KR_OK(mipc_space_destroy(reuse[i]));
		}
		/* The queued message is intact, nothing else arrived. */
		ck_assert_uint_eq(msgcount_of(rs, port), 1);
		KR_OK(mipc_space_destroy(rs));
	}
}
END_TEST

/*
 * Put thread t on our CPU at SCHED_IDLE, and pin ourselves there: it runs
 * only while we sleep.  Best effort (a failure only widens no window).
 */
static void
run_after_us(pthread_t t)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	(void)pthread_setaffinity_np(t, sizeof(set), &set);
	(void)pthread_setschedparam(t, SCHED_IDLE, &sp);
}

START_TEST(blocked_receiver_survives_space_destroy_and_quiesce)
{
	int round;

	for (round = 0; round < 10; round++) {
		mipc_space_t s = space_new(), reuse[REUSERS];
		mach_port_name_t port = recv_new(s);
		struct msg_worker w;
		mach_msg_return_t mr;
		int i;

		worker_recv(&w, s, port, 2000);
		worker_start(&w);
		ck_assert_msg(worker_blocked(&w), "the receiver did not block");
		/*
		 * Odd rounds: the receiver shares our CPU at idle priority,
		 * so once woken it runs only after we reclaimed the space
		 * and sleep in the join (ASan then sees any read of the
		 * freed space).  Even rounds: it runs when it can.
		 */
		if (round & 1)
			run_after_us(w.w_thread);

		/* The port dies with its space; the receiver wakes, while
		 * we reclaim the space and hand its memory out again. */
		KR_OK(mipc_space_destroy(s));
		mipc_quiesce();
		if (!(round & 1)) {
			for (i = 0; i < REUSERS; i++)
				reuse[i] = space_new();
		}
		mr = worker_join(&w);
		if (round & 1) {
			for (i = 0; i < REUSERS; i++)
				reuse[i] = space_new();
		}
		KR_EQ(mr, MACH_RCV_PORT_CHANGED); /* K6 */
		for (i = 0; i < REUSERS; i++) {
			ck_assert_uint_eq(name_count(reuse[i]), 0);
			KR_OK(mipc_space_destroy(reuse[i]));
		}
	}
}
END_TEST

/* ---- item 5: the default space reset under calls that use it ---------- */

static atomic_int reset_stop;
static atomic_long reset_calls;

/*
 * Alternately through the native handle (mipc_thread_space()) and the Mach
 * spelling (mach_task_self(), the default space's name for its task port).
 * A reset between a call's look at the default space and its use answers
 * as for a destroyed space; the Mach spelling may also find that its task
 * name, read before the reset, names nothing in the new default space
 * (MACH_SEND_INVALID_DEST, a stale task name's code).  Never a crash.
 */
static void *
task_self_caller(void *arg)
{
	unsigned k = 0;

	(void)arg;
	while (!atomic_load(&reset_stop)) {
		mach_port_name_t n = MACH_PORT_NULL;
		bool mach = (k++ & 1) != 0;
		kern_return_t kr;

		kr = mach ? mach_port_allocate(
		                mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n)
		          : mipc_port_allocate(mipc_thread_space(),
		                MACH_PORT_RIGHT_RECEIVE, &n);
		MIPC_REQUIRE(kr == KERN_SUCCESS || kr == KERN_INVALID_TASK ||
		        (mach && kr == MACH_SEND_INVALID_DEST),
		    "allocate in the default space (%s): %s (%#x)",
		    mach ? "mach_task_self()" : "mipc_thread_space()",
		    conf_kr_name(kr), (unsigned)kr);
		if (kr == KERN_SUCCESS) {
			/* A reset in between destroyed it with the space. */
			kr = mach ? mach_port_mod_refs(mach_task_self(), n,
			                MACH_PORT_RIGHT_RECEIVE, -1)
			          : mipc_port_mod_refs(mipc_thread_space(), n,
			                MACH_PORT_RIGHT_RECEIVE, -1);
			MIPC_REQUIRE(kr == KERN_SUCCESS ||
			        kr == KERN_INVALID_NAME ||
			        kr == KERN_INVALID_RIGHT ||
			        kr == KERN_INVALID_TASK ||
			        (mach && kr == MACH_SEND_INVALID_DEST),
			    "release in the default space (%s): %s (%#x)",
			    mach ? "mach_task_self()" : "mipc_thread_space()",
			    conf_kr_name(kr), (unsigned)kr);
		}
		atomic_fetch_add(&reset_calls, 1);
	}
	return NULL;
}

START_TEST(default_space_reset_races_task_self_calls)
{
	enum { CALLERS = 2 };
	pthread_t t[CALLERS];
	long i, resets = stress_iters(2000);

	atomic_store(&reset_stop, 0);
	atomic_store(&reset_calls, 0);
	for (i = 0; i < CALLERS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, task_self_caller, NULL), 0);
	/* Until both sides did their share (bounded: the callers run). */
	for (i = 0; i < 100 * resets &&
	     (i < resets || atomic_load(&reset_calls) < resets);
	     i++) {
		mipc_default_space_reset();
		mipc_quiesce();
		/* Let the callers in between resets. */
		if ((i & 15) == 0)
			sched_yield();
	}
	atomic_store(&reset_stop, 1);
	for (i = 0; i < CALLERS; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_ge(atomic_load(&reset_calls), resets);
}
END_TEST

/* ---- items 4, 12: spaces destroyed and recreated under traffic -------- */

enum { SLOTS = 4, WORKERS = 3 };

/* Handles the workers read; the destroyer replaces them. */
static _Atomic(mipc_space_t) slot[SLOTS];
static atomic_int traffic_stop;

static bool
kr_in(kern_return_t kr, const kern_return_t *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (kr == ok[i])
			return true;
	return false;
}

/*
 * One round of a worker: a port in one space, a send right to it in
 * another, a message through it, received; whichever space is destroyed
 * meanwhile makes calls fail with the codes of a destroyed space.
 */
static void
traffic_round(unsigned *seed)
{
	static const kern_return_t port_ok[] = { KERN_SUCCESS,
		KERN_INVALID_TASK, KERN_INVALID_NAME, KERN_INVALID_RIGHT,
		KERN_INVALID_CAPABILITY, KERN_NAME_EXISTS };
	mipc_space_t a = atomic_load(&slot[rand_r(seed) % SLOTS]);
	mipc_space_t b = atomic_load(&slot[rand_r(seed) % SLOTS]);
	mach_port_name_t r = MACH_PORT_NULL, n = MACH_PORT_NULL;
	mach_msg_type_name_t t;
	msg_buf_t m;
	kern_return_t kr;

	kr = mipc_port_allocate(a, MACH_PORT_RIGHT_RECEIVE, &r);
	MIPC_REQUIRE(kr == KERN_SUCCESS || kr == KERN_INVALID_TASK,
	    "allocate: %s (%#x)", conf_kr_name(kr), (unsigned)kr);
	if (kr != KERN_SUCCESS)
		return;
	kr = mipc_port_extract_right(a, r, MACH_MSG_TYPE_MAKE_SEND, b, &n, &t);
	MIPC_REQUIRE(kr_in(kr, port_ok, 6), "extract_right: %s (%#x)",
	    conf_kr_name(kr), (unsigned)kr);
	if (kr == KERN_SUCCESS) {
		msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0), n,
		    MACH_PORT_NULL, 7);
		kr = mipc_msg(b, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		    HDR_SIZE, 0, MACH_PORT_NULL, 10, MACH_PORT_NULL);
		MIPC_REQUIRE(kr == MACH_MSG_SUCCESS ||
		        kr == MACH_SEND_INVALID_DEST ||
		        kr == MACH_SEND_TIMED_OUT,
		    "send: %#x", (unsigned)kr);
		if (kr != MACH_MSG_SUCCESS)
			(void)mipc_port_deallocate(b, n);
		msg_fill(&m, MSG_FILL);
		kr = mipc_msg(a, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		    sizeof(m), r, 10, MACH_PORT_NULL);
		MIPC_REQUIRE(kr == MACH_MSG_SUCCESS ||
		        kr == MACH_RCV_TIMED_OUT ||
		        kr == MACH_RCV_INVALID_NAME ||
		        kr == MACH_RCV_PORT_CHANGED,
		    "receive: %#x", (unsigned)kr);
		MIPC_REQUIRE(kr != MACH_MSG_SUCCESS || m.h.msgh_id == 7,
		    "received a message nobody sent here (id %d)", m.h.msgh_id);
	}
	kr = mipc_port_mod_refs(a, r, MACH_PORT_RIGHT_RECEIVE, -1);
	MIPC_REQUIRE(kr_in(kr, port_ok, 6), "release: %s (%#x)",
	    conf_kr_name(kr), (unsigned)kr);
}

static void *
traffic_worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;

	stress_pin((int)(uintptr_t)arg);
	while (!atomic_load(&traffic_stop))
		traffic_round(&seed);
	return NULL;
}

START_TEST(space_destroy_under_traffic_never_acts_on_another_space)
{
	pthread_t t[WORKERS];
	long i, cycles = stress_iters(400);
	int k;

	atomic_store(&traffic_stop, 0);
	for (k = 0; k < SLOTS; k++)
		atomic_store(&slot[k], space_new());
	for (k = 0; k < WORKERS; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, traffic_worker,
		                     (void *)(uintptr_t)k),
		    0);
	for (i = 0; i < cycles; i++) {
		mipc_space_t fresh = space_new(), old;

		/* The fresh space is empty before anyone may find it. */
		MIPC_REQUIRE(name_count(fresh) == 0, "a new space has names");
		old = atomic_exchange(&slot[i % SLOTS], fresh);
		MIPC_REQUIRE(mipc_space_destroy(old) == KERN_SUCCESS,
		    "destroy a published space");
		mipc_quiesce();
	}
	atomic_store(&traffic_stop, 1);
	for (k = 0; k < WORKERS; k++)
		pthread_join(t[k], NULL);
	for (k = 0; k < SLOTS; k++)
		KR_OK(mipc_space_destroy(atomic_load(&slot[k])));
}
END_TEST

/* ---- item 13: one space per client, no mipc_quiesce() ------------------ */

/*
 * Live spaces allowed beyond those in use: what reclamation at safe points
 * may keep waiting for a grace period.  Far below the clients served, so
 * spaces left for mipc_quiesce() to free are caught.
 */
#define SPACES_SLACK 256

enum { CLIENTS = 2 };

static mipc_space_t srv_space;
static mach_port_name_t srv_port;
static atomic_int srv_stop;
static atomic_long max_spaces;

static void *
server(void *arg)
{
	(void)arg;
	stress_pin(0);
	while (!atomic_load(&srv_stop)) {
		msg_buf_t m;
		mach_msg_return_t mr;

		msg_fill(&m, MSG_FILL);
		mr = mipc_msg(srv_space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    0, sizeof(m), srv_port, 20, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "server receive: %#x", mr);
		/* Reply through the client's send-once right. */
		msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0),
		    m.h.msgh_remote_port, MACH_PORT_NULL, m.h.msgh_id + 100);
		mr =
		    mipc_msg(srv_space, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		        HDR_SIZE, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "server reply: %#x", mr);
	}
	return NULL;
}

static void *
client(void *arg)
{
	long i, n = stress_iters(3000);

	stress_pin((int)(uintptr_t)arg + 1);
	for (i = 0; i < n; i++) {
		mipc_space_t c;
		mach_port_name_t to_srv = MACH_PORT_NULL, reply;
		mach_msg_type_name_t t;
		struct mipc_stats st;
		msg_buf_t m;
		mach_msg_return_t mr;

		MIPC_REQUIRE(mipc_space_create(&c) == KERN_SUCCESS, "create");
		MIPC_REQUIRE(mipc_port_extract_right(srv_space, srv_port,
		                 MACH_MSG_TYPE_MAKE_SEND, c, &to_srv,
		                 &t) == KERN_SUCCESS,
		    "a send right to the server");
		MIPC_REQUIRE(mipc_port_allocate(c, MACH_PORT_RIGHT_RECEIVE,
		                 &reply) == KERN_SUCCESS,
		    "reply port");
		msg_init(&m,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
		    to_srv, reply, (mach_msg_id_t)i);
		mr = mipc_msg(c, &m.h, MACH_SEND_MSG | MACH_RCV_MSG, HDR_SIZE,
		    sizeof(m), reply, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "rpc: %#x", mr);
		MIPC_REQUIRE(m.h.msgh_id == (mach_msg_id_t)i + 100,
		    "reply id %d for request %ld", m.h.msgh_id, i);
		/* The client goes away: its space with it. */
		MIPC_REQUIRE(mipc_space_destroy(c) == KERN_SUCCESS, "destroy");

		mipc_get_stats(&st);
		if ((long)st.spaces > atomic_load(&max_spaces))
			atomic_store(&max_spaces, (long)st.spaces);
		MIPC_REQUIRE(st.spaces <= 2 + CLIENTS + SPACES_SLACK,
		    "%llu spaces live after %ld clients served: destroyed "
		    "spaces wait for mipc_quiesce()",
		    (unsigned long long)st.spaces, i + 1);
	}
	return NULL;
}

START_TEST(one_space_per_client_server_reclaims_without_quiesce)
{
	pthread_t st, ct[CLIENTS];
	int k;

	atomic_store(&srv_stop, 0);
	atomic_store(&max_spaces, 0);
	srv_space = space_new();
	srv_port = recv_new(srv_space);
	ck_assert_int_eq(pthread_create(&st, NULL, server, NULL), 0);
	for (k = 0; k < CLIENTS; k++)
		ck_assert_int_eq(
		    pthread_create(&ct[k], NULL, client, (void *)(uintptr_t)k),
		    0);
	for (k = 0; k < CLIENTS; k++)
		pthread_join(ct[k], NULL);
	atomic_store(&srv_stop, 1);
	pthread_join(st, NULL);
	KR_OK(mipc_space_destroy(srv_space));
	ck_assert_int_le(atomic_load(&max_spaces), 2 + CLIENTS + SPACES_SLACK);
}
END_TEST

static Suite *
space_lifetime_suite(void)
{
	Suite *s = suite_create("space_lifetime_threads");
	TCase *tc = mipc_tcase("lifetime");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, blocked_sender_survives_space_destroy_and_quiesce);
	tcase_add_test(tc, blocked_receiver_survives_space_destroy_and_quiesce);
	tcase_add_test(tc, default_space_reset_races_task_self_calls);
	tcase_add_test(
	    tc, space_destroy_under_traffic_never_acts_on_another_space);
	tcase_add_test(
	    tc, one_space_per_client_server_reclaims_without_quiesce);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(space_lifetime_suite)
