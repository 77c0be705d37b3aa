/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * user.c -- a program as a user writes it against the *installed* mipc:
 * <mipc/mipc.h> and pkg-config only.  `make test-install` builds it from a
 * staged install four ways: static (`pkg-config --static`), shared, and
 * with -fsanitize=thread / -fsanitize=address against the instrumented
 * libraries of `make install SANITIZE=...`, where it must run without a
 * sanitizer report from inside mipc.
 *
 * CLIENTS threads each make ROUNDS remote procedure calls to one server
 * thread through the default space: a request carrying out-of-line bytes
 * and a send-once reply right, a reply carrying their sum.  Ports, kmsgs
 * and regions are handed between threads all the time, which is what the
 * library's TSan annotations (core/base.h, MIPC_TSAN) exist for.  Exit
 * status 0 only when every reply was right and every object was released.
 */
#include <mipc/mipc.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CLIENTS = 3, ROUNDS = 300, BYTES = 96, QUIT = 0x7177 };

typedef struct {
	mach_msg_header_t hdr;
	mach_msg_body_t body;
	mach_msg_ool_descriptor_t ool;
	uint32_t round;
} request_t;

typedef struct {
	request_t m;
	mach_msg_max_trailer_t trailer;
} request_rcv_t;

typedef struct {
	mach_msg_header_t hdr;
	uint32_t sum;
} reply_t;

typedef struct {
	reply_t m;
	mach_msg_max_trailer_t trailer;
} reply_rcv_t;

static mach_port_name_t server_port;
static int failures;

static void
fail(const char *what, int code)
{
	fprintf(stderr, "user: %s (0x%x)\n", what, code);
	__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
}

static void *
server(void *arg)
{
	(void)arg;
	for (;;) {
		request_rcv_t r;
		reply_t rep;
		mach_msg_return_t mr;
		const unsigned char *p;
		uint32_t sum = 0, i;

		mr = mach_msg(&r.m.hdr, MACH_RCV_MSG, 0, sizeof(r), server_port,
		    0, MACH_PORT_NULL);
		if (mr != MACH_MSG_SUCCESS) {
			fail("server receive", mr);
			return NULL;
		}
		if (r.m.hdr.msgh_id == QUIT)
			return NULL;
		p = r.m.ool.address;
		for (i = 0; i < r.m.ool.size; i++)
			sum += p[i];
		if (vm_deallocate(mach_task_self(), (vm_address_t)p,
		        r.m.ool.size) != KERN_SUCCESS)
			fail("vm_deallocate of a received region", 0);
		memset(&rep, 0, sizeof(rep));
		rep.hdr.msgh_bits =
		    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		rep.hdr.msgh_remote_port = r.m.hdr.msgh_remote_port;
		rep.hdr.msgh_id = r.m.hdr.msgh_id + 100;
		rep.sum = sum;
		mr = mach_msg(&rep.hdr, MACH_SEND_MSG, sizeof(rep), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		if (mr != MACH_MSG_SUCCESS)
			fail("server reply", mr);
	}
}

static void *
client(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg, round, i;
	unsigned char bytes[BYTES];
	mach_port_name_t reply_port;
	kern_return_t kr;

	kr = mach_port_allocate(
	    mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply_port);
	if (kr != KERN_SUCCESS) {
		fail("reply port", kr);
		return NULL;
	}
	for (round = 0; round < ROUNDS; round++) {
		union {
			request_t q;
			reply_rcv_t r;
		} b;
		uint32_t sum = 0;
		mach_msg_return_t mr;

		for (i = 0; i < BYTES; i++) {
			bytes[i] = (unsigned char)(id * 31 + round + i);
			sum += bytes[i];
		}
		memset(&b, 0, sizeof(b));
		b.q.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
		                        MACH_MSG_TYPE_MAKE_SEND_ONCE) |
		    MACH_MSGH_BITS_COMPLEX;
		b.q.hdr.msgh_remote_port = server_port;
		b.q.hdr.msgh_local_port = reply_port;
		b.q.hdr.msgh_id = (mach_msg_id_t)id;
		b.q.body.msgh_descriptor_count = 1;
		b.q.ool.address = bytes;
		b.q.ool.size = BYTES;
		b.q.ool.copy = MACH_MSG_PHYSICAL_COPY;
		b.q.ool.type = MACH_MSG_OOL_DESCRIPTOR;
		b.q.round = round;
		/* One call: send the request, receive the reply in place. */
		mr = mach_msg(&b.q.hdr, MACH_SEND_MSG | MACH_RCV_MSG,
		    sizeof(b.q), sizeof(b), reply_port, 0, MACH_PORT_NULL);
		if (mr != MACH_MSG_SUCCESS) {
			fail("client call", mr);
			break;
		}
		if (b.r.m.hdr.msgh_id != (mach_msg_id_t)id + 100 ||
		    b.r.m.sum != sum)
			fail("wrong reply", (int)b.r.m.sum);
	}
	kr = mach_port_mod_refs(
	    mach_task_self(), reply_port, MACH_PORT_RIGHT_RECEIVE, -1);
	if (kr != KERN_SUCCESS)
		fail("release the reply port", kr);
	return NULL;
}

int
main(void)
{
	pthread_t srv, cl[CLIENTS];
	mach_msg_header_t quit;
	struct mipc_stats st;
	kern_return_t kr;
	uintptr_t i;

	kr = mach_port_allocate(
	    mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &server_port);
	if (kr == KERN_SUCCESS)
		kr = mach_port_insert_right(mach_task_self(), server_port,
		    server_port, MACH_MSG_TYPE_MAKE_SEND);
	if (kr != KERN_SUCCESS) {
		fail("server port", kr);
		return 1;
	}
	pthread_create(&srv, NULL, server, NULL);
	for (i = 0; i < CLIENTS; i++)
		pthread_create(&cl[i], NULL, client, (void *)i);
	for (i = 0; i < CLIENTS; i++)
		pthread_join(cl[i], NULL);
	memset(&quit, 0, sizeof(quit));
	quit.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	quit.msgh_remote_port = server_port;
	quit.msgh_id = QUIT;
	if (mach_msg(&quit, MACH_SEND_MSG, sizeof(quit), 0, MACH_PORT_NULL, 0,
	        MACH_PORT_NULL) != MACH_MSG_SUCCESS)
		fail("quit", 0);
	pthread_join(srv, NULL);
	mach_port_deallocate(mach_task_self(), server_port);
	mach_port_mod_refs(
	    mach_task_self(), server_port, MACH_PORT_RIGHT_RECEIVE, -1);
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	if (st.ports != 0 || st.messages != 0 || st.ool_bytes != 0)
		fail("objects left", (int)(st.ports + st.messages));
	printf("user: %d calls from %d threads, %s\n", CLIENTS * ROUNDS,
	    CLIENTS, failures == 0 ? "all answered, nothing left" : "FAILED");
	return failures == 0 ? 0 : 1;
}
