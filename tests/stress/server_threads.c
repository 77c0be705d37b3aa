/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server_threads.c -- servers and clients coming and going at once:
 * server threads check names in with the bootstrap and serve them with
 * mach_msg_server (or a mipc_server_run pool) on workloops; client
 * threads, each in a space of its own, look names up, call them, drop
 * them, register and create names of their own, and sometimes destroy
 * their own space in the middle; a killer destroys servers' spaces while
 * they are being called.  Every call ends with its answer or with a code
 * that says the server is gone -- never a hang, never a wrong answer --
 * every loop ends when its space goes (MACH_RCV_PORT_CHANGED, or the
 * copy-out error of a request it was taking then), and every object is
 * released at the end (the leak check, with the namespace torn down by
 * the last space).
 *
 * Bounded by rounds (stress_iters) and by timeouts on every blocking
 * call; run under TSan by make test.
 */
#include "stress.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { SERVERS = 3, CLIENTS = 3, NAMES = SERVERS, CALL_MS = 5000 };

#define ID_ECHO 700

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
	uint32_t word;
} echo_t;

static boolean_t
echo_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
	echo_t *req = (echo_t *)in, *rep = (echo_t *)out;

	out->msgh_bits =
	    MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0);
	out->msgh_remote_port = in->msgh_remote_port;
	out->msgh_local_port = MACH_PORT_NULL;
	out->msgh_id = in->msgh_id + 100;
	rep->NDR = NDR_record;
	if (in->msgh_id != ID_ECHO || in->msgh_size != sizeof(echo_t)) {
		rep->RetCode = MIG_BAD_ID;
		out->msgh_size = sizeof(mig_reply_error_t);
		return FALSE;
	}
	rep->RetCode = KERN_SUCCESS;
	rep->word = req->word;
	out->msgh_size = sizeof(echo_t);
	return TRUE;
}

/* ---- servers ------------------------------------------------------------ */

struct server {
	pthread_t sv_pt;
	int sv_id;
	_Atomic(mipc_space_t) sv_space; /* NULL once the killer took it */
	atomic_int sv_ready;
	mach_msg_return_t sv_mr;
};

static struct server servers[SERVERS];
static atomic_long calls_ok, calls_gone, loops_ended;

static void *
server_main(void *arg)
{
	struct server *sv = arg;
	mipc_space_t sp = atomic_load(&sv->sv_space);
	mach_port_t port = MACH_PORT_NULL;
	char name[32];
	kern_return_t kr;
	int tries;

	stress_pin(sv->sv_id);
	(void)mipc_thread_set_space(sp);
	snprintf(name, sizeof(name), "org.stress.%d", sv->sv_id % NAMES);
	/* A previous server of that name may still be dying. */
	for (tries = 0; tries < 5000; tries++) {
		kr = bootstrap_check_in(bootstrap_port, name, &port);
		if (kr != BOOTSTRAP_SERVICE_ACTIVE)
			break;
		sched_yield();
	}
	MIPC_REQUIRE(kr == KERN_SUCCESS, "server check-in: 0x%x", kr);
	atomic_store(&sv->sv_ready, 1);
	if (sv->sv_id % 2 == 0)
		sv->sv_mr =
		    mach_msg_server(echo_demux, sizeof(echo_t), port, 0);
	else
		sv->sv_mr =
		    mipc_server_run(sp, echo_demux, sizeof(echo_t), port, 0, 2);
	atomic_fetch_add(&loops_ended, 1);
	(void)mipc_thread_set_space(NULL);
	return NULL;
}

static void
server_start(struct server *sv, int id)
{
	mipc_space_t sp;

	MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS, "space");
	sv->sv_id = id;
	atomic_store(&sv->sv_space, sp);
	atomic_store(&sv->sv_ready, 0);
	MIPC_REQUIRE(pthread_create(&sv->sv_pt, NULL, server_main, sv) == 0,
	    "server thread");
	while (!atomic_load(&sv->sv_ready))
		sched_yield();
}

/* Kill it: its space goes, its loop returns. */
static void
server_kill(struct server *sv)
{
	mipc_space_t sp = atomic_exchange(&sv->sv_space, NULL);

	MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "kill");
	pthread_join(sv->sv_pt, NULL);
	/* Its port died -- or its space, under a request it was taking
	 * (the reply right could not be named there, K9), or before its
	 * loop began (the name receives nothing). */
	MIPC_REQUIRE(sv->sv_mr == MACH_RCV_PORT_CHANGED ||
	        sv->sv_mr == MACH_RCV_INVALID_NAME ||
	        sv->sv_mr == (MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE) ||
	        sv->sv_mr == (MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE),
	    "server loop returned 0x%x", sv->sv_mr);
}

/* ---- clients ---------------------------------------------------------- */

/* An answer that says the server went away. */
static bool
gone(kern_return_t kr)
{
	return kr == MIG_SERVER_DIED || kr == MACH_SEND_INVALID_DEST ||
	    kr == BOOTSTRAP_UNKNOWN_SERVICE;
}

static kern_return_t
call(mach_port_t to, uint32_t word)
{
	mach_port_t reply = mig_get_special_reply_port();
	union {
		echo_t m;
		char buf[sizeof(echo_t) + MAX_TRAILER_SIZE];
	} u;
	mach_msg_return_t mr;

	memset(&u, 0, sizeof(u));
	u.m.Head.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	u.m.Head.msgh_remote_port = to;
	u.m.Head.msgh_local_port = reply;
	u.m.Head.msgh_id = ID_ECHO;
	u.m.word = word;
	mr = mach_msg(&u.m.Head,
	    MACH_SEND_MSG | MACH_RCV_MSG | MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT,
	    sizeof(echo_t), sizeof(u), reply, CALL_MS, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS) {
		mig_dealloc_special_reply_port(reply);
		return mr;
	}
	if (u.m.Head.msgh_id == MACH_NOTIFY_SEND_ONCE)
		return MIG_SERVER_DIED;
	MIPC_REQUIRE(u.m.Head.msgh_id == ID_ECHO + 100 &&
	        u.m.RetCode == KERN_SUCCESS && u.m.word == word,
	    "a wrong answer: id %d ret 0x%x word %u/%u", u.m.Head.msgh_id,
	    u.m.RetCode, u.m.word, word);
	return KERN_SUCCESS;
}

static atomic_int clients_done;

static void *
client_main(void *arg)
{
	long id = (long)(intptr_t)arg, i, rounds = stress_iters(300);
	unsigned int seed = (unsigned int)id * 104729u + 11;
	mipc_space_t sp = NULL;
	char name[32], own[64];
	mach_port_t to, mine;
	kern_return_t kr;

	stress_pin((int)id + 1);
	for (i = 0; i < rounds; i++) {
		if (sp == NULL) {
			MIPC_REQUIRE(mipc_space_create(&sp) == KERN_SUCCESS,
			    "client space");
			(void)mipc_thread_set_space(sp);
		}
		snprintf(name, sizeof(name), "org.stress.%d",
		    (int)(rand_r(&seed) % NAMES));
		switch (rand_r(&seed) % 8) {
		case 0: /* a name of our own, then dropped */
			snprintf(own, sizeof(own), "org.client.%ld.%ld", id, i);
			if (mach_port_allocate(mach_task_self(),
			        MACH_PORT_RIGHT_RECEIVE, &mine) != KERN_SUCCESS)
				break;
			(void)mach_port_insert_right(mach_task_self(), mine,
			    mine, MACH_MSG_TYPE_MAKE_SEND);
			kr = bootstrap_register(bootstrap_port, own, mine);
			MIPC_REQUIRE(kr == KERN_SUCCESS, "register 0x%x", kr);
			if (rand_r(&seed) % 2)
				(void)bootstrap_register(
				    bootstrap_port, own, MACH_PORT_NULL);
			(void)mach_port_destroy(mach_task_self(), mine);
			break;
		case 1: /* declared, never checked in: dies with us */
			snprintf(own, sizeof(own), "org.decl.%ld.%ld", id, i);
			kr = bootstrap_create_service(
			    bootstrap_port, own, &mine);
			MIPC_REQUIRE(kr == KERN_SUCCESS, "create 0x%x", kr);
			break;
		case 2: /* our space dies, in the middle of things */
			(void)mipc_thread_set_space(NULL);
			MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS,
			    "client space destroy");
			sp = NULL;
			break;
		default: /* look up and call */
			kr = bootstrap_look_up(bootstrap_port, name, &to);
			if (kr != KERN_SUCCESS) {
				MIPC_REQUIRE(gone(kr), "look-up 0x%x", kr);
				atomic_fetch_add(&calls_gone, 1);
				break;
			}
			kr = call(to, (uint32_t)i);
			MIPC_REQUIRE(
			    kr == KERN_SUCCESS || gone(kr), "call: 0x%x", kr);
			atomic_fetch_add(
			    kr == KERN_SUCCESS ? &calls_ok : &calls_gone, 1);
			(void)mach_port_deallocate(mach_task_self(), to);
			break;
		}
	}
	(void)mipc_thread_set_space(NULL);
	if (sp != NULL)
		MIPC_REQUIRE(mipc_space_destroy(sp) == KERN_SUCCESS, "final");
	atomic_fetch_add(&clients_done, 1);
	return NULL;
}

START_TEST(server_threads_come_and_go)
{
	pthread_t clients[CLIENTS];
	mipc_space_t keep;
	long k;
	int i;

	/* One space the whole time: the namespace outlives the churn. */
	MIPC_REQUIRE(mipc_space_create(&keep) == KERN_SUCCESS, "keep");
	for (i = 0; i < SERVERS; i++)
		server_start(&servers[i], i);
	for (i = 0; i < CLIENTS; i++)
		MIPC_REQUIRE(pthread_create(&clients[i], NULL, client_main,
		                 (void *)(intptr_t)i) == 0,
		    "client");
	/* The killer: a server dies, another takes its name, until the
	 * clients are through (at least a few times). */
	for (k = 0; k < 4 || atomic_load(&clients_done) < CLIENTS; k++) {
		struct timespec nap = { 0, 2000000 };
		int v = (int)(k % SERVERS);

		nanosleep(&nap, NULL);
		server_kill(&servers[v]);
		server_start(&servers[v], v);
	}
	for (i = 0; i < CLIENTS; i++)
		pthread_join(clients[i], NULL);
	for (i = 0; i < SERVERS; i++)
		server_kill(&servers[i]);
	MIPC_REQUIRE(atomic_load(&loops_ended) == SERVERS + k,
	    "loops ended: %ld of %ld", atomic_load(&loops_ended), SERVERS + k);
	MIPC_REQUIRE(atomic_load(&calls_ok) > 0, "no call got through");
	MIPC_REQUIRE(mipc_space_destroy(keep) == KERN_SUCCESS, "keep");
}
END_TEST

static Suite *
server_threads_suite(void)
{
	Suite *s = suite_create("server_threads");
	TCase *tc = mipc_tcase("come_and_go");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, server_threads_come_and_go);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(server_threads_suite)
