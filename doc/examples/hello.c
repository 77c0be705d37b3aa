/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hello.c -- the first program of the README: two spaces (two "tasks"),
 * one finds the other through the bootstrap and sends it a message.
 * make test builds and runs it; it exits nonzero if a call fails.
 */
#include <mipc/mipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
ok(kern_return_t kr, const char *what)
{
	if (kr != KERN_SUCCESS) {
		fprintf(stderr, "hello: %s failed: 0x%x\n", what, kr);
		exit(1);
	}
}

int
main(void)
{
	mipc_space_t server, client;
	mach_port_t service, to_server;
	struct {
		mach_msg_header_t h;
		char text[16];
		mach_msg_max_trailer_t trailer; /* room for the receive */
	} m = { 0 };

	ok(mipc_space_create(&server), "create");
	ok(mipc_space_create(&client), "create");
	/* The server names its port; the client finds it by that name. */
	mipc_thread_set_space(server); /* Mach calls now act in `server` */
	ok(bootstrap_check_in(bootstrap_port, "org.example.hello", &service),
	    "check in");
	mipc_thread_set_space(client);
	ok(bootstrap_look_up(bootstrap_port, "org.example.hello", &to_server),
	    "look up");

	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = to_server;
	strcpy(m.text, "hello, mipc");
	ok(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m.h) + sizeof(m.text), 0,
	       MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
	    "send");

	memset(&m, 0, sizeof(m));
	ok(mipc_msg(server, &m.h, MACH_RCV_MSG, 0, sizeof(m), service,
	       MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
	    "receive");
	printf("server received \"%s\" (%u bytes)\n", m.text, m.h.msgh_size);

	mipc_thread_set_space(NULL);
	ok(mipc_space_destroy(client), "destroy"); /* and all it held */
	ok(mipc_space_destroy(server), "destroy");
	return strcmp(m.text, "hello, mipc") != 0;
}
