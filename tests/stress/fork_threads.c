/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fork_threads.c -- fork() while other threads are inside mipc (issue 12,
 * item 7).  Threads run RPCs between spaces, create and destroy spaces and
 * use the default space while the main thread forks again and again; each
 * child must get a usable library: the parent's spaces are not its own
 * (their handles are refused), nothing of the parent is counted live, and
 * a full life cycle -- spaces, rights, messages, a second thread, the
 * default space, mipc_quiesce() -- works and ends with every count at zero.
 *
 * A child that hangs (a lock, a ring ticket or an epoch section of a
 * thread that does not exist in the child) is killed by its alarm() and
 * fails the test; CI never hangs.  Public headers only.
 *
 * Under AddressSanitizer the threads that allocate park between two calls
 * while the main thread forks (the child still inherits their spaces,
 * messages and epoch records, and the RPC server keeps running): gcc 12's
 * libasan takes no allocator lock around fork(), so a child whose parent
 * had another thread inside malloc hangs in its own first malloc, whatever
 * mipc does.  ThreadSanitizer locks its allocator around fork(): there
 * every thread runs through it.
 */
#include "stress.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#if defined(__SANITIZE_ADDRESS__)
#define FORK_GATE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FORK_GATE 1
#endif
#endif
#ifndef FORK_GATE
#define FORK_GATE 0
#endif

/* ThreadSanitizer refuses new threads in a child of a threaded process. */
#if defined(__SANITIZE_THREAD__)
#define CHILD_THREADS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHILD_THREADS 0
#endif
#endif
#ifndef CHILD_THREADS
#define CHILD_THREADS 1
#endif

typedef struct {
	mach_msg_header_t h;
	uint32_t payload;
	mach_msg_max_trailer_t trailer;
} rpc_msg_t;

static atomic_int stop, srv_stop; /* the server stops last */
static atomic_long progress;

/* FORK_GATE: allocating threads park here while the main thread forks. */
static atomic_int gate, parked;

static void
gate_check(void)
{
	if (!FORK_GATE || !atomic_load(&gate))
		return;
	atomic_fetch_add(&parked, 1);
	while (atomic_load(&gate))
		sched_yield();
	atomic_fetch_sub(&parked, 1);
}

/* ---- parent traffic ----------------------------------------------------- */

static mipc_space_t srv_space, cli_space;
static mach_port_name_t srv_port; /* receive right in srv_space */
static mach_port_name_t srv_send; /* send right to it in cli_space */

static void *
rpc_server(void *arg)
{
	(void)arg;
	stress_pin(0);
	while (!atomic_load(&srv_stop)) {
		rpc_msg_t m;
		mach_msg_return_t mr;

		memset(&m, 0, sizeof(m));
		mr = mipc_msg(srv_space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    0, sizeof(m), srv_port, 10, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "server receive %#x", mr);
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_local_port = MACH_PORT_NULL;
		m.h.msgh_size = sizeof(m.h) + sizeof(m.payload);
		m.payload++;
		mr =
		    mipc_msg(srv_space, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		        m.h.msgh_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "server reply %#x", mr);
	}
	return NULL;
}

static void *
rpc_client(void *arg)
{
	mach_port_name_t reply;
	uint32_t i = 0;

	(void)arg;
	stress_pin(1);
	MIPC_REQUIRE(mipc_port_allocate(cli_space, MACH_PORT_RIGHT_RECEIVE,
	                 &reply) == KERN_SUCCESS,
	    "reply port");
	while (!atomic_load(&stop)) {
		rpc_msg_t m;
		mach_msg_return_t mr;

		gate_check();
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_size = sizeof(m.h) + sizeof(m.payload);
		m.h.msgh_remote_port = srv_send;
		m.h.msgh_local_port = reply;
		m.payload = i;
		mr = mipc_msg(cli_space, &m.h,
		    MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    m.h.msgh_size, sizeof(m), reply, 5000, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "rpc %#x", mr);
		MIPC_REQUIRE(m.payload == i + 1, "rpc answer");
		i++;
		atomic_fetch_add(&progress, 1);
	}
	MIPC_REQUIRE(mipc_port_mod_refs(cli_space, reply,
	                 MACH_PORT_RIGHT_RECEIVE, -1) == KERN_SUCCESS,
	    "release the reply port");
	return NULL;
}

/* Spaces made and destroyed, each with a port and a queued message. */
static void *
space_churn(void *arg)
{
	(void)arg;
	stress_pin(1);
	while (!atomic_load(&stop)) {
		mipc_space_t s;
		mach_port_name_t r;
		mach_msg_header_t h;

		gate_check();
		MIPC_REQUIRE(mipc_space_create(&s) == KERN_SUCCESS, "create");
		MIPC_REQUIRE(mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE,
		                 &r) == KERN_SUCCESS,
		    "allocate");
		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		h.msgh_size = sizeof(h);
		h.msgh_remote_port = r;
		MIPC_REQUIRE(mipc_msg(s, &h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		                 sizeof(h), 0, MACH_PORT_NULL, 0,
		                 MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "send");
		MIPC_REQUIRE(mipc_space_destroy(s) == KERN_SUCCESS, "destroy");
		atomic_fetch_add(&progress, 1);
	}
	return NULL;
}

/* Rights in the default space, through mach_task_self(). */
static void *
default_user(void *arg)
{
	(void)arg;
	stress_pin(0);
	while (!atomic_load(&stop)) {
		mach_port_name_t r;

		gate_check();
		MIPC_REQUIRE(mach_port_allocate(mach_task_self(),
		                 MACH_PORT_RIGHT_RECEIVE, &r) == KERN_SUCCESS,
		    "allocate in the default space");
		MIPC_REQUIRE(mach_port_insert_right(mach_task_self(), r, r,
		                 MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
		    "make send");
		MIPC_REQUIRE(
		    mach_port_destroy(mach_task_self(), r) == KERN_SUCCESS,
		    "destroy");
		atomic_fetch_add(&progress, 1);
	}
	return NULL;
}

/* ---- the child ---------------------------------------------------------- */

enum {
	CHILD_OK = 0,
	CHILD_PARENT_USABLE = 10,
	CHILD_CALL_FAILED,
	CHILD_THREAD_FAILED,
	CHILD_LEAK,
};

#define CHILD_CHECK(cond, code)      \
	do {                         \
		if (!(cond))         \
			_exit(code); \
	} while (0)

static mipc_space_t child_space;
static mach_port_name_t child_port;

/* A second thread of the child answers one RPC. */
static void *
child_server(void *arg)
{
	rpc_msg_t m;

	(void)arg;
	memset(&m, 0, sizeof(m));
	if (mipc_msg(child_space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	        sizeof(m), child_port, 5000,
	        MACH_PORT_NULL) != MACH_MSG_SUCCESS)
		return (void *)1;
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_local_port = MACH_PORT_NULL;
	m.h.msgh_size = sizeof(m.h) + sizeof(m.payload);
	m.payload *= 2;
	if (mipc_msg(child_space, &m.h, MACH_SEND_MSG, m.h.msgh_size, 0,
	        MACH_PORT_NULL, 0, MACH_PORT_NULL) != MACH_MSG_SUCCESS)
		return (void *)1;
	return NULL;
}

static void
child_body(void)
{
	mach_port_name_t r = MACH_PORT_NULL, to_srv, reply;
	mach_msg_type_name_t t;
	mach_port_type_t type;
	struct mipc_stats st;
	rpc_msg_t m;

	/* Check's own SIGALRM handler would kill the whole group. */
	signal(SIGALRM, SIG_DFL);
	alarm(10); /* a hang fails the test instead of hanging CI */
	CHILD_CHECK(
	    mipc_space_create(&child_space) == KERN_SUCCESS, CHILD_CALL_FAILED);
	CHILD_CHECK(mipc_port_allocate(child_space, MACH_PORT_RIGHT_RECEIVE,
	                &child_port) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(mipc_port_extract_right(child_space, child_port,
	                MACH_MSG_TYPE_MAKE_SEND, mipc_thread_space(), &to_srv,
	                &t) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	CHILD_CHECK(mach_port_allocate(mach_task_self(),
	                MACH_PORT_RIGHT_RECEIVE, &reply) == KERN_SUCCESS,
	    CHILD_CALL_FAILED);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_size = sizeof(m.h) + sizeof(m.payload);
	m.h.msgh_remote_port = to_srv;
	m.h.msgh_local_port = reply;
	m.payload = 21;
	if (CHILD_THREADS) {
		pthread_t th;
		void *ret;

		CHILD_CHECK(pthread_create(&th, NULL, child_server, NULL) == 0,
		    CHILD_THREAD_FAILED);
		CHILD_CHECK(
		    mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG, m.h.msgh_size,
		        sizeof(m), reply, MACH_MSG_TIMEOUT_NONE,
		        MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    CHILD_CALL_FAILED);
		CHILD_CHECK(m.payload == 42, CHILD_THREAD_FAILED);
		CHILD_CHECK(pthread_join(th, &ret) == 0 && ret == NULL,
		    CHILD_THREAD_FAILED);
	} else {
		CHILD_CHECK(
		    mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    CHILD_CALL_FAILED);
		CHILD_CHECK(child_server(NULL) == NULL, CHILD_CALL_FAILED);
		memset(&m, 0, sizeof(m));
		CHILD_CHECK(mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), reply,
		                MACH_MSG_TIMEOUT_NONE,
		                MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    CHILD_CALL_FAILED);
		CHILD_CHECK(m.payload == 42, CHILD_CALL_FAILED);
	}
	CHILD_CHECK(
	    mipc_space_destroy(child_space) == KERN_SUCCESS, CHILD_CALL_FAILED);

	/* The parent's spaces are not the child's. */
	CHILD_CHECK(
	    mipc_port_type(srv_space, srv_port, &type) == KERN_INVALID_TASK,
	    CHILD_PARENT_USABLE);
	CHILD_CHECK(mipc_port_allocate(cli_space, MACH_PORT_RIGHT_RECEIVE,
	                &r) == KERN_INVALID_TASK,
	    CHILD_PARENT_USABLE);

	/* Nothing of the parent is counted, and the child leaked nothing. */
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	CHILD_CHECK(st.spaces == 0 && st.ports == 0 && st.messages == 0 &&
	        st.tables == 0 && st.epoch_pending == 0,
	    CHILD_LEAK);
	_exit(CHILD_OK);
}

static int
child_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

START_TEST(fork_under_traffic_children_get_a_usable_library)
{
	enum { TRAFFIC = 4 };
	void *(*fn[TRAFFIC])(
	    void *) = { rpc_server, rpc_client, space_churn, default_user };
	pthread_t t[TRAFFIC];
	int forks = (int)stress_iters(20), i, done, bad = 0, hung = 0;
	int first_bad = 0;
	mach_msg_type_name_t mt;

	atomic_store(&stop, 0);
	atomic_store(&srv_stop, 0);
	atomic_store(&progress, 0);
	atomic_store(&gate, 0);
	atomic_store(&parked, 0);
	ck_assert_int_eq(mipc_space_create(&srv_space), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&cli_space), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(srv_space, MACH_PORT_RIGHT_RECEIVE, &srv_port),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_extract_right(srv_space, srv_port,
	        MACH_MSG_TYPE_MAKE_SEND, cli_space, &srv_send, &mt),
	    KERN_SUCCESS);
	for (i = 0; i < TRAFFIC; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fn[i], NULL), 0);

	for (done = 0; done < forks; done++) {
		long seen = atomic_load(&progress);
		pid_t pid;
		int code;

		/* Fork in the middle of traffic, not between bursts. */
		while (atomic_load(&progress) < seen + 50)
			sched_yield();
		if (FORK_GATE) {
			atomic_store(&gate, 1);
			while (atomic_load(&parked) < TRAFFIC - 1)
				sched_yield();
		}
		pid = fork();
		atomic_store(&gate, 0);
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			child_body();
		code = child_status(pid);
		if (code == 128 + SIGALRM)
			hung++;
		if (code != CHILD_OK && bad++ == 0)
			first_bad = code;
		if (bad == 3)
			break; /* enough to tell; each hang costs its alarm */
	}
	/* The clients first: a request sent after the server left would
	 * never be answered. */
	atomic_store(&stop, 1);
	for (i = 1; i < TRAFFIC; i++)
		pthread_join(t[i], NULL);
	atomic_store(&srv_stop, 1);
	pthread_join(t[0], NULL);
	ck_assert_msg(bad == 0,
	    "%d of %d children failed, %d hung; first: %d (10 parent usable, "
	    "11 a call failed, 12 thread, 13 leak or parent's objects "
	    "counted, 142 hung)",
	    bad, done < forks ? done + 1 : forks, hung, first_bad);
	ck_assert_int_eq(mipc_space_destroy(cli_space), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(srv_space), KERN_SUCCESS);
}
END_TEST

static Suite *
fork_threads_suite(void)
{
	Suite *s = suite_create("fork_threads");
	TCase *tc = mipc_tcase("fork");

	/* qemu-user cannot fork a guest with threads running (its TCG
	 * asserts in the child): not in test-aarch64. */
	tcase_set_tags(tc, "mtfork");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, fork_under_traffic_children_get_a_usable_library);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(fork_threads_suite)
