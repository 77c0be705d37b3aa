/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * echo_server.c -- the smallest mipc server: a service checked in with the
 * bootstrap, served by mach_msg_server on a workloop, and clients in
 * spaces of their own that look it up and call it.
 *
 * A space is a task: here the server and each client get one, as separate
 * processes would on macOS.  Each thread says which space it acts in
 * (mipc_thread_set_space); the Mach calls then work in it, bootstrap_port
 * included.
 *
 *   server thread   bootstrap_check_in("org.mipc.example.echo")
 *                   mipc_server_run(..., 2): mach_msg_server on two
 *                   threads, each on a workloop, until its port dies
 *   3 clients       bootstrap_look_up, then RPCs: request with a string,
 *                   reply on the thread's special reply port
 *   main            destroys the server's space: the port dies, the loop
 *                   returns, the name is gone from the bootstrap
 *
 * It checks what it prints and exits nonzero on any surprise; make test
 * runs it.  Build: cc echo_server.c $(pkg-config --cflags --libs mipc)
 */
#include <mipc/mipc.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE  "org.mipc.example.echo"
#define ECHO_ID  1000 /* the routine; its reply is 1100 (MIG: + 100) */
#define TEXT_MAX 256
#define CLIENTS  3
#define CALLS    100

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "echo_server: FAILED: ");          \
			fprintf(stderr, __VA_ARGS__);                      \
			fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__); \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* The messages, laid out as MIG lays them out. */
typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	mach_msg_type_number_t textCnt;
	char text[TEXT_MAX];
} echo_request_t;

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
	mach_msg_type_number_t textCnt;
	char text[TEXT_MAX];
} echo_reply_t;

static mipc_space_t server_space;
static sem_t server_ready;

/* ---- the server -------------------------------------------------------- */

/*
 * A MIG-style demux: fill the reply header from the request, serve known
 * ids, answer MIG_BAD_ID otherwise.  mach_msg_server sends the reply.
 */
static boolean_t
echo_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
	echo_request_t *req = (echo_request_t *)in;
	echo_reply_t *rep = (echo_reply_t *)out;
	mig_reply_error_t *err = (mig_reply_error_t *)out;

	out->msgh_bits =
	    MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0);
	out->msgh_remote_port = in->msgh_remote_port; /* the reply right */
	out->msgh_local_port = MACH_PORT_NULL;
	out->msgh_id = in->msgh_id + 100;
	out->msgh_size = sizeof(mig_reply_error_t);
	err->NDR = NDR_record;
	if (in->msgh_id != ECHO_ID) {
		err->RetCode = MIG_BAD_ID;
		return FALSE;
	}
	if (in->msgh_size != sizeof(*req) || req->textCnt > TEXT_MAX) {
		err->RetCode = MIG_BAD_ARGUMENTS;
		return TRUE;
	}
	rep->RetCode = KERN_SUCCESS;
	rep->textCnt = req->textCnt;
	memcpy(rep->text, req->text, req->textCnt);
	out->msgh_size = sizeof(*rep);
	return TRUE;
}

static void *
server_main(void *arg)
{
	mach_msg_return_t *result = arg;
	mach_port_t port = MACH_PORT_NULL;
	kern_return_t kr;

	(void)mipc_thread_set_space(server_space);
	kr = bootstrap_check_in(bootstrap_port, SERVICE, &port);
	CHECK(kr == BOOTSTRAP_SUCCESS, "check-in: %s (0x%x)",
	    bootstrap_strerror(kr), kr);
	sem_post(&server_ready);
	/*
	 * Serve until the port dies (its space is destroyed below): this
	 * thread and one more, each running mach_msg_server on a workloop,
	 * so a servicer runs a request at its client's priority.  One
	 * thread would be mach_msg_server(echo_demux, size, port, 0).
	 */
	*result = mipc_server_run(
	    server_space, echo_demux, sizeof(echo_reply_t), port, 0, 2);
	return NULL;
}

/* ---- a client ---------------------------------------------------------- */

/* One call: what a MIG user stub does. */
static kern_return_t
echo(mach_port_t service, const char *text, char *back)
{
	union {
		echo_request_t req;
		echo_reply_t rep;
		char buf[sizeof(echo_reply_t) + MAX_TRAILER_SIZE];
	} m;
	mach_port_t reply_port = mig_get_special_reply_port();
	mach_msg_return_t mr;

	memset(&m, 0, sizeof(m));
	m.req.Head.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.req.Head.msgh_remote_port = service;
	m.req.Head.msgh_local_port = reply_port;
	m.req.Head.msgh_id = ECHO_ID;
	m.req.NDR = NDR_record;
	m.req.textCnt = (mach_msg_type_number_t)strlen(text) + 1;
	memcpy(m.req.text, text, m.req.textCnt);
	mr = mach_msg(&m.req.Head, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(m.req),
	    sizeof(m), reply_port, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	if (m.rep.Head.msgh_id != ECHO_ID + 100)
		return MIG_REPLY_MISMATCH;
	if (m.rep.RetCode != KERN_SUCCESS)
		return m.rep.RetCode;
	memcpy(back, m.rep.text, m.rep.textCnt);
	return KERN_SUCCESS;
}

struct client {
	int c_id;
	mipc_space_t c_space;
	int c_ok;
};

static void *
client_main(void *arg)
{
	struct client *c = arg;
	mach_port_t service = MACH_PORT_NULL;
	char text[64], back[TEXT_MAX];
	kern_return_t kr;
	int i;

	(void)mipc_thread_set_space(c->c_space);
	kr = bootstrap_look_up(bootstrap_port, SERVICE, &service);
	CHECK(kr == BOOTSTRAP_SUCCESS, "client %d look-up: %s", c->c_id,
	    bootstrap_strerror(kr));
	for (i = 0; i < CALLS; i++) {
		snprintf(text, sizeof(text), "client %d says %d", c->c_id, i);
		kr = echo(service, text, back);
		CHECK(kr == KERN_SUCCESS, "client %d call %d: 0x%x", c->c_id, i,
		    kr);
		CHECK(strcmp(text, back) == 0, "echo of '%s' was '%s'", text,
		    back);
		c->c_ok++;
	}
	printf("client %d: %d echoes, last \"%s\"\n", c->c_id, c->c_ok, back);
	(void)mach_port_deallocate(mach_task_self(), service);
	(void)mipc_thread_set_space(NULL);
	return NULL;
}

/* ---- main -------------------------------------------------------------- */

int
main(void)
{
	struct client clients[CLIENTS];
	pthread_t server, threads[CLIENTS];
	mach_msg_return_t served = KERN_FAILURE;
	struct mipc_stats stats;
	mach_port_t gone = MACH_PORT_NULL;
	kern_return_t kr;
	int i;

	CHECK(mipc_space_create(&server_space) == KERN_SUCCESS, "space");
	sem_init(&server_ready, 0, 0);
	CHECK(pthread_create(&server, NULL, server_main, &served) == 0,
	    "server thread");
	sem_wait(&server_ready);
	printf("server: checked in as %s\n", SERVICE);

	for (i = 0; i < CLIENTS; i++) {
		clients[i].c_id = i;
		clients[i].c_ok = 0;
		CHECK(mipc_space_create(&clients[i].c_space) == KERN_SUCCESS,
		    "client space");
		CHECK(pthread_create(
		          &threads[i], NULL, client_main, &clients[i]) == 0,
		    "client thread");
	}
	for (i = 0; i < CLIENTS; i++) {
		pthread_join(threads[i], NULL);
		CHECK(clients[i].c_ok == CALLS, "client %d: %d calls", i,
		    clients[i].c_ok);
	}

	/* The server's task ends: its port dies, its loop returns. */
	CHECK(mipc_space_destroy(server_space) == KERN_SUCCESS, "destroy");
	pthread_join(server, NULL);
	CHECK(served == MACH_RCV_PORT_CHANGED,
	    "mipc_server_run returned 0x%x, want MACH_RCV_PORT_CHANGED",
	    served);
	printf("server: mipc_server_run returned MACH_RCV_PORT_CHANGED\n");

	/* ... and the bootstrap forgot the name. */
	(void)mipc_thread_set_space(clients[0].c_space);
	kr = bootstrap_look_up(bootstrap_port, SERVICE, &gone);
	CHECK(kr == BOOTSTRAP_UNKNOWN_SERVICE, "look-up after death: 0x%x", kr);
	printf("bootstrap: %s is gone (%s)\n", SERVICE, bootstrap_strerror(kr));
	(void)mipc_thread_set_space(NULL);

	for (i = 0; i < CLIENTS; i++)
		CHECK(mipc_space_destroy(clients[i].c_space) == KERN_SUCCESS,
		    "destroy client");
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&stats);
	CHECK(stats.spaces == 0 && stats.ports == 0 && stats.messages == 0,
	    "left behind: %llu spaces, %llu ports, %llu messages",
	    (unsigned long long)stats.spaces, (unsigned long long)stats.ports,
	    (unsigned long long)stats.messages);
	printf("echo_server: ok (%d clients x %d calls, nothing left)\n",
	    CLIENTS, CALLS);
	return 0;
}
