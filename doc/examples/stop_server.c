/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stop_server.c -- stopping a server without destroying its port, and
 * reading mipc's state: what the README's "Stopping a server" and
 * "Reading the state" sections show.
 *
 *   server thread   mipc_server_run(space, demux, ..., 3): itself and two
 *                   more threads, each mach_msg_server on a workloop
 *   main            one RPC (a counter); then mipc_thread_abort(server):
 *                   the calling thread of mipc_server_run is the pool's
 *                   primary, so its loop returns MACH_RCV_INTERRUPTED and
 *                   the two others end with it.  The port is untouched:
 *                   a message sent meanwhile waits in its queue, and a
 *                   new server run serves it.
 *   then            mipc_space_dump of the server's space, and the
 *                   counters of mipc_get_stats.
 *
 * It checks every step and exits nonzero on a surprise; make test runs it.
 */
#include <mipc/mipc.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, what)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "stop_server: FAILED: %s\n", what); \
			exit(1);                                            \
		}                                                           \
	} while (0)

#define COUNT_ID 2000

static mipc_space_t space;
static mach_port_t service;
static mipc_thread_t server_thread;
static sem_t ready;
static unsigned int counter;

/* MIG-style: the reply carries the counter in RetCode's place. */
static boolean_t
count_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
	mig_reply_error_t *rep = (mig_reply_error_t *)out;

	out->msgh_bits =
	    MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0);
	out->msgh_remote_port = in->msgh_remote_port;
	out->msgh_local_port = MACH_PORT_NULL;
	out->msgh_id = in->msgh_id + 100;
	out->msgh_size = sizeof(*rep);
	rep->NDR = NDR_record;
	if (in->msgh_id != COUNT_ID) {
		rep->RetCode = MIG_BAD_ID;
		return FALSE;
	}
	rep->RetCode = (kern_return_t)++counter;
	return TRUE;
}

static void *
server_main(void *arg)
{
	mach_msg_return_t *result = arg;

	server_thread = mipc_thread_self();
	mipc_thread_retain(server_thread); /* used by main after we exit */
	sem_post(&ready);
	*result = mipc_server_run(
	    space, count_demux, sizeof(mig_reply_error_t), service, 0, 3);
	return NULL;
}

/* One call: request, reply on the thread's special reply port. */
static kern_return_t
call(void)
{
	union {
		mach_msg_header_t req;
		struct {
			mig_reply_error_t rep;
			mach_msg_max_trailer_t trailer;
		} r;
	} m;
	mach_msg_return_t mr;

	memset(&m, 0, sizeof(m));
	m.req.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.req.msgh_remote_port = service;
	m.req.msgh_local_port = mig_get_special_reply_port();
	m.req.msgh_id = COUNT_ID;
	mr = mach_msg(&m.req, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(m.req),
	    sizeof(m.r), m.req.msgh_local_port, MACH_MSG_TIMEOUT_NONE,
	    MACH_PORT_NULL);
	return mr != MACH_MSG_SUCCESS ? mr : m.r.rep.RetCode;
}

static void
run_and_stop(unsigned int calls)
{
	mach_msg_return_t result = KERN_FAILURE;
	pthread_t t;
	unsigned int i;

	CHECK(pthread_create(&t, NULL, server_main, &result) == 0, "thread");
	sem_wait(&ready);
	for (i = 0; i < calls; i++)
		CHECK(call() == (kern_return_t)counter, "a call's answer");
	/* Stop the pool: one abort of the thread that called it. */
	CHECK(mipc_thread_abort(server_thread) == KERN_SUCCESS, "abort");
	pthread_join(t, NULL);
	CHECK(result == MACH_RCV_INTERRUPTED, "server_run's return");
	mipc_thread_release(server_thread);
	printf("server stopped: mipc_server_run returned "
	       "MACH_RCV_INTERRUPTED after %u calls\n",
	    counter);
}

int
main(void)
{
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t trailer;
	} m;
	struct mipc_stats before, after;
	mach_port_type_t type;

	sem_init(&ready, 0, 0);
	CHECK(mipc_space_create(&space) == KERN_SUCCESS, "space");
	CHECK(mipc_port_allocate(space, MACH_PORT_RIGHT_RECEIVE, &service) ==
	        KERN_SUCCESS,
	    "port");
	CHECK(mipc_port_insert_right(space, service, space, service,
	          MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
	    "send right");
	(void)mipc_thread_set_space(space);
	mipc_get_stats(&before);

	run_and_stop(10);
	/* The port lives on: still a receive right, and it queues. */
	CHECK(mipc_port_type(space, service, &type) == KERN_SUCCESS &&
	        (type & MACH_PORT_TYPE_RECEIVE),
	    "the port survives the stop");
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = service;
	m.h.msgh_id = 7;
	CHECK(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m.h), 0,
	          MACH_PORT_NULL, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS,
	    "queue while stopped");
	printf("state of the server's space while stopped:\n");
	CHECK(mipc_space_dump(space, stdout) == KERN_SUCCESS, "dump");
	CHECK(mipc_msg(space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	          sizeof(m), service, 0, MACH_PORT_NULL) == MACH_MSG_SUCCESS &&
	        m.h.msgh_id == 7,
	    "the queued message");
	run_and_stop(5); /* and it serves again */

	mipc_get_stats(&after);
	printf("messages sent %llu, received %llu, blocks %llu, "
	       "interrupts %llu\n",
	    (unsigned long long)(after.msgs_sent - before.msgs_sent),
	    (unsigned long long)(after.msgs_received - before.msgs_received),
	    (unsigned long long)(after.blocks - before.blocks),
	    (unsigned long long)(after.interrupts - before.interrupts));
	/* 15 requests + 15 replies + 1 queued message. */
	CHECK(after.msgs_sent - before.msgs_sent == 31, "msgs_sent");
	CHECK(after.interrupts - before.interrupts >= 2, "interrupts");

	(void)mipc_thread_set_space(NULL);
	CHECK(mipc_space_destroy(space) == KERN_SUCCESS, "destroy");
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&after);
	CHECK(after.spaces == 0 && after.ports == 0, "nothing left");
	printf("after teardown: %llu spaces, %llu ports live\n",
	    (unsigned long long)after.spaces, (unsigned long long)after.ports);
	sem_destroy(&ready);
	return 0;
}
