/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mpmm_ping.c -- a multi-threaded Mach ping server in the manner of XNU's
 * MPMMtest: the server checks a service in with the bootstrap and several
 * threads receive on one port with mach_msg; client threads look it up
 * and make round trips, each request carrying a send-once right to the
 * client's MIG reply port; the server replies to it and counts.  At the
 * end the server destroys its port: its threads' receives fail with
 * MACH_RCV_PORT_CHANGED, the clients' send rights become dead names.
 *
 * Written for <mach/mach.h> and <servers/bootstrap.h> as on macOS; on
 * Linux:  cc mpmm_ping.c $(pkg-config --cflags --libs mipc-mach) -pthread
 * Exits nonzero on any surprise; make test runs it.
 */
#include <mach/mach.h>
#include <mach/mach_error.h>
#include <servers/bootstrap.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE "org.mipc.example.mpmm"
#define PING_ID 4242
#define SERVERS 2
#define CLIENTS 3
#define ROUNDS  2000

typedef struct {
	mach_msg_header_t header;
	mach_msg_body_t body;
	uint32_t seq;
	uint32_t client;
} ping_t;

typedef struct {
	ping_t msg;
	mach_msg_max_trailer_t trailer;
} ping_rcv_t;

static mach_port_t service;
static int served[SERVERS];
static int errors;
static pthread_mutex_t errlock = PTHREAD_MUTEX_INITIALIZER;

static void
fail(const char *what, kern_return_t kr)
{
	pthread_mutex_lock(&errlock);
	mach_error(what, kr);
	errors++;
	pthread_mutex_unlock(&errlock);
}

static void *
server(void *arg)
{
	int me = (int)(intptr_t)arg;
	ping_rcv_t in;
	ping_t out;
	kern_return_t kr;

	for (;;) {
		memset(&in, 0, sizeof(in));
		kr = mach_msg(&in.msg.header, MACH_RCV_MSG, 0, sizeof(in),
		    service, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr == MACH_RCV_PORT_CHANGED || kr == MACH_RCV_INVALID_NAME)
			break; /* the port is gone: done */
		if (kr != MACH_MSG_SUCCESS) {
			fail("server: mach_msg receive:", kr);
			break;
		}
		if (in.msg.header.msgh_id != PING_ID) {
			mach_msg_destroy(&in.msg.header);
			continue;
		}
		memset(&out, 0, sizeof(out));
		out.header.msgh_bits =
		    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		out.header.msgh_size = sizeof(out);
		out.header.msgh_remote_port = in.msg.header.msgh_remote_port;
		out.header.msgh_id = PING_ID + 100;
		out.seq = in.msg.seq + 1;
		out.client = in.msg.client;
		kr = mach_msg(&out.header, MACH_SEND_MSG, sizeof(out), 0,
		    MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS)
			fail("server: mach_msg reply:", kr);
		served[me]++;
	}
	return NULL;
}

static void *
client(void *arg)
{
	uint32_t me = (uint32_t)(intptr_t)arg, i;
	mach_port_t port = MACH_PORT_NULL, reply = mig_get_reply_port();
	ping_rcv_t m;
	kern_return_t kr;

	kr = bootstrap_look_up(bootstrap_port, SERVICE, &port);
	if (kr != KERN_SUCCESS) {
		fail("client: bootstrap_look_up:", kr);
		return NULL;
	}
	for (i = 0; i < ROUNDS; i++) {
		memset(&m, 0, sizeof(m));
		m.msg.header.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.msg.header.msgh_size = sizeof(m.msg);
		m.msg.header.msgh_remote_port = port;
		m.msg.header.msgh_local_port = reply;
		m.msg.header.msgh_id = PING_ID;
		m.msg.seq = i;
		m.msg.client = me;
		kr = mach_msg(&m.msg.header, MACH_SEND_MSG | MACH_RCV_MSG,
		    sizeof(m.msg), sizeof(m), reply, MACH_MSG_TIMEOUT_NONE,
		    MACH_PORT_NULL);
		if (kr != MACH_MSG_SUCCESS) {
			fail("client: mach_msg rpc:", kr);
			break;
		}
		if (m.msg.header.msgh_id != PING_ID + 100 ||
		    m.msg.seq != i + 1 || m.msg.client != me) {
			fail("client: wrong reply", KERN_FAILURE);
			break;
		}
	}
	kr = mach_port_deallocate(mach_task_self(), port);
	if (kr != KERN_SUCCESS)
		fail("client: mach_port_deallocate:", kr);
	mig_dealloc_reply_port(reply);
	return NULL;
}

int
main(void)
{
	pthread_t s[SERVERS], c[CLIENTS];
	mach_port_t task = mach_task_self();
	kern_return_t kr;
	int i, total = 0;

	kr = bootstrap_check_in(bootstrap_port, SERVICE, &service);
	if (kr != KERN_SUCCESS) {
		fprintf(
		    stderr, "bootstrap_check_in: %s\n", bootstrap_strerror(kr));
		return EXIT_FAILURE;
	}
	for (i = 0; i < SERVERS; i++)
		pthread_create(&s[i], NULL, server, (void *)(intptr_t)i);
	for (i = 0; i < CLIENTS; i++)
		pthread_create(&c[i], NULL, client, (void *)(intptr_t)i);
	for (i = 0; i < CLIENTS; i++)
		pthread_join(c[i], NULL);
	/* Done: the port dies, the servers' receives return. */
	kr = mach_port_mod_refs(task, service, MACH_PORT_RIGHT_RECEIVE, -1);
	if (kr != KERN_SUCCESS)
		fail("main: mach_port_mod_refs:", kr);
	for (i = 0; i < SERVERS; i++) {
		pthread_join(s[i], NULL);
		total += served[i];
	}
	{
		mach_port_t gone = MACH_PORT_NULL;

		kr = bootstrap_look_up(bootstrap_port, SERVICE, &gone);
		if (kr != BOOTSTRAP_UNKNOWN_SERVICE)
			fail("main: the service outlived its port:", kr);
	}
	if (total != CLIENTS * ROUNDS) {
		fprintf(stderr, "served %d pings, want %d\n", total,
		    CLIENTS * ROUNDS);
		errors++;
	}
	printf("mpmm_ping: %d round trips by %d clients through %d server "
	       "threads: %s\n",
	    total, CLIENTS, SERVERS, errors ? "FAILED" : "ok");
	return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}
