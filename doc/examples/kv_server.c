/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kv_server.c -- a key-value server with subscriptions, and the Mach
 * idioms a real one needs:
 *
 *   - the server checks in with the bootstrap and serves a port set (its
 *     service port and one port per subscription) with mach_msg_server;
 *   - a client subscribes by sending a send right to its inbox in a port
 *     descriptor, and gets back a send right to a subscription port made
 *     for it: its handle;
 *   - the server arms a no-senders notification on each subscription
 *     port: when the client drops its handle -- or dies, and its space
 *     releases it -- the server hears MACH_NOTIFY_NO_SENDERS on that very
 *     port and cleans the subscription up;
 *   - every client arms a dead-name notification on its send right to
 *     the service: when the server dies, it hears MACH_NOTIFY_DEAD_NAME.
 *
 * Three clients, each in a space of its own, subscribe to "color" and put
 * values; each sees every change.  Client 0 then drops its handle, client
 * 1 dies (main destroys its space), client 2 watches the server die.  It
 * checks each step, prints what happened, and exits nonzero on any
 * surprise; make test runs it.
 *
 * Build: cc kv_server.c $(pkg-config --cflags --libs mipc)
 */
#include <mipc/mipc.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERVICE "org.mipc.example.kv"
#define KEY_MAX 32
#define CLIENTS 3

/* Routines (replies: + 100) and the change event. */
#define KV_PUT       2000
#define KV_GET       2001
#define KV_SUBSCRIBE 2002
#define KV_COUNT     2003 /* how many subscriptions are live */
#define KV_CHANGED   3000 /* server -> subscriber, no reply */

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "kv_server: FAILED: ");            \
			fprintf(stderr, __VA_ARGS__);                      \
			fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__); \
			exit(1);                                           \
		}                                                          \
	} while (0)

/* ---- messages (MIG's layouts) ------------------------------------------- */

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	char key[KEY_MAX];
	int64_t value;
} kv_put_t; /* KV_PUT request, KV_CHANGED event */

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	char key[KEY_MAX];
} kv_key_t; /* KV_GET, KV_COUNT requests */

typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
	int64_t value;
} kv_value_reply_t; /* KV_GET, KV_COUNT replies */

typedef struct {
	mach_msg_header_t Head;
	mach_msg_body_t msgh_body;
	mach_msg_port_descriptor_t inbox;
	NDR_record_t NDR;
	char key[KEY_MAX];
} kv_subscribe_t;

typedef struct {
	mach_msg_header_t Head;
	mach_msg_body_t msgh_body;
	mach_msg_port_descriptor_t handle;
} kv_handle_reply_t;

/* ---- the server ------------------------------------------------------- */

struct sub {
	mach_port_t s_port;  /* its subscription port (receive right) */
	mach_port_t s_inbox; /* a send right to the subscriber's inbox */
	char s_key[KEY_MAX];
};

static struct {
	mipc_space_t space;
	mach_port_t service, set;
	pthread_mutex_t lock; /* the loop is one servicer; still, be safe */
	char key[KEY_MAX];
	int64_t value;
	int has_value;
	struct sub subs[16];
	int nsubs;
	int dropped; /* subscriptions cleaned up by no-senders */
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static sem_t server_ready;

static int
key_ok(const char *key)
{
	return memchr(key, '\0', KEY_MAX) != NULL;
}

/* Tell every subscriber of key; a full inbox loses the event. */
static void
publish(const char *key, int64_t value)
{
	kv_put_t ev;
	int i;

	for (i = 0; i < srv.nsubs; i++) {
		if (strcmp(srv.subs[i].s_key, key) != 0)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		ev.Head.msgh_remote_port = srv.subs[i].s_inbox;
		ev.Head.msgh_id = KV_CHANGED;
		ev.NDR = NDR_record;
		strcpy(ev.key, key);
		ev.value = value;
		(void)mach_msg(&ev.Head, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		    sizeof(ev), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
	}
}

/* A subscription port: in our set, no-senders armed on itself. */
static kern_return_t
subscribe(const char *key, mach_port_t inbox, mach_port_t *handle)
{
	mach_port_t self = mach_task_self();
	mach_port_t port = MACH_PORT_NULL, prev;
	kern_return_t kr;

	if (srv.nsubs == (int)(sizeof(srv.subs) / sizeof(srv.subs[0])))
		return KERN_RESOURCE_SHORTAGE;
	kr = mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &port);
	if (kr != KERN_SUCCESS)
		return kr;
	/* sync 1: fires when the handle we are about to make goes. */
	kr = mach_port_request_notification(self, port, MACH_NOTIFY_NO_SENDERS,
	    1, port, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
	if (kr == KERN_SUCCESS)
		kr = mach_port_insert_member(self, port, srv.set);
	if (kr != KERN_SUCCESS) {
		(void)mach_port_mod_refs(
		    self, port, MACH_PORT_RIGHT_RECEIVE, -1);
		return kr;
	}
	srv.subs[srv.nsubs].s_port = port;
	srv.subs[srv.nsubs].s_inbox = inbox;
	strcpy(srv.subs[srv.nsubs].s_key, key);
	srv.nsubs++;
	*handle = port;
	return KERN_SUCCESS;
}

/* MACH_NOTIFY_NO_SENDERS on a subscription port: its client is gone. */
static void
unsubscribe(mach_port_t port)
{
	mach_port_t self = mach_task_self();
	int i;

	for (i = 0; i < srv.nsubs; i++) {
		if (srv.subs[i].s_port != port)
			continue;
		(void)mach_port_deallocate(self, srv.subs[i].s_inbox);
		(void)mach_port_mod_refs(
		    self, port, MACH_PORT_RIGHT_RECEIVE, -1);
		srv.subs[i] = srv.subs[--srv.nsubs];
		srv.dropped++;
		return;
	}
}

static boolean_t
kv_demux(mach_msg_header_t *in, mach_msg_header_t *out)
{
	mig_reply_error_t *err = (mig_reply_error_t *)out;
	kv_value_reply_t *val = (kv_value_reply_t *)out;
	kv_handle_reply_t *hdl = (kv_handle_reply_t *)out;
	kv_put_t *put = (kv_put_t *)in;
	kv_key_t *get = (kv_key_t *)in;
	kv_subscribe_t *sub = (kv_subscribe_t *)in;
	mach_port_t handle;
	kern_return_t kr;

	out->msgh_bits =
	    MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(in->msgh_bits), 0);
	out->msgh_remote_port = in->msgh_remote_port;
	out->msgh_local_port = MACH_PORT_NULL;
	out->msgh_id = in->msgh_id + 100;
	out->msgh_size = sizeof(*err);
	err->NDR = NDR_record;
	err->RetCode = KERN_SUCCESS;
	pthread_mutex_lock(&srv.lock);
	switch (in->msgh_id) {
	case MACH_NOTIFY_NO_SENDERS:
		/* Arrives on the subscription port itself: msgh_local_port. */
		unsubscribe(in->msgh_local_port);
		err->RetCode = MIG_NO_REPLY;
		break;
	case KV_PUT:
		if (in->msgh_size != sizeof(*put) || !key_ok(put->key)) {
			err->RetCode = MIG_BAD_ARGUMENTS;
			break;
		}
		strcpy(srv.key, put->key);
		srv.value = put->value;
		srv.has_value = 1;
		publish(put->key, put->value);
		break;
	case KV_GET:
		if (in->msgh_size != sizeof(*get) || !key_ok(get->key)) {
			err->RetCode = MIG_BAD_ARGUMENTS;
			break;
		}
		if (!srv.has_value || strcmp(srv.key, get->key) != 0) {
			err->RetCode = KERN_INVALID_NAME;
			break;
		}
		val->value = srv.value;
		out->msgh_size = sizeof(*val);
		break;
	case KV_COUNT:
		val->value = srv.nsubs;
		out->msgh_size = sizeof(*val);
		break;
	case KV_SUBSCRIBE:
		if (!(in->msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
		    in->msgh_size != sizeof(*sub) ||
		    sub->inbox.disposition != MACH_MSG_TYPE_PORT_SEND ||
		    !key_ok(sub->key)) {
			err->RetCode = MIG_BAD_ARGUMENTS; /* destroys it */
			break;
		}
		kr = subscribe(sub->key, sub->inbox.name, &handle);
		if (kr != KERN_SUCCESS) {
			err->RetCode = kr;
			break;
		}
		/* The handle: a send right made from the subscription port. */
		out->msgh_bits |= MACH_MSGH_BITS_COMPLEX;
		out->msgh_size = sizeof(*hdl);
		hdl->msgh_body.msgh_descriptor_count = 1;
		hdl->handle.name = handle;
		hdl->handle.disposition = MACH_MSG_TYPE_MAKE_SEND;
		hdl->handle.type = MACH_MSG_PORT_DESCRIPTOR;
		break;
	default:
		err->RetCode = MIG_BAD_ID;
		pthread_mutex_unlock(&srv.lock);
		return FALSE;
	}
	pthread_mutex_unlock(&srv.lock);
	return TRUE;
}

static void *
server_main(void *arg)
{
	mach_msg_return_t *result = arg;
	mach_port_t self;
	kern_return_t kr;

	(void)mipc_thread_set_space(srv.space);
	self = mach_task_self();
	kr = bootstrap_check_in(bootstrap_port, SERVICE, &srv.service);
	CHECK(kr == BOOTSTRAP_SUCCESS, "check-in: %s", bootstrap_strerror(kr));
	kr = mach_port_allocate(self, MACH_PORT_RIGHT_PORT_SET, &srv.set);
	CHECK(kr == KERN_SUCCESS, "port set: 0x%x", kr);
	kr = mach_port_insert_member(self, srv.service, srv.set);
	CHECK(kr == KERN_SUCCESS, "insert member: 0x%x", kr);
	sem_post(&server_ready);
	/* Until the set goes (the server's space is destroyed). */
	*result = mach_msg_server(kv_demux, 512, srv.set, 0);
	return NULL;
}

/* ---- a client ----------------------------------------------------------- */

union kv_msg {
	mach_msg_header_t Head;
	kv_put_t put;
	kv_key_t key;
	kv_subscribe_t sub;
	mig_reply_error_t err;
	kv_value_reply_t val;
	kv_handle_reply_t hdl;
	char buf[sizeof(kv_subscribe_t) + MAX_TRAILER_SIZE];
};

/* A MIG-style call: request in m (send_size), reply into m. */
static kern_return_t
call(mach_port_t service, union kv_msg *m, mach_msg_size_t send_size)
{
	mach_port_t reply = mig_get_special_reply_port();
	mach_msg_id_t id = m->Head.msgh_id;
	mach_msg_return_t mr;

	m->Head.msgh_bits |= MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m->Head.msgh_remote_port = service;
	m->Head.msgh_local_port = reply;
	mr = mach_msg(&m->Head, MACH_SEND_MSG | MACH_RCV_MSG, send_size,
	    sizeof(*m), reply, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS) {
		mig_dealloc_special_reply_port(reply);
		return mr;
	}
	if (m->Head.msgh_id != id + 100)
		return MIG_REPLY_MISMATCH;
	if (!(m->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
	    m->err.RetCode != KERN_SUCCESS)
		return m->err.RetCode;
	return KERN_SUCCESS;
}

static kern_return_t
kv_put(mach_port_t service, const char *key, int64_t value)
{
	union kv_msg m;

	memset(&m, 0, sizeof(m));
	m.put.Head.msgh_id = KV_PUT;
	m.put.NDR = NDR_record;
	strcpy(m.put.key, key);
	m.put.value = value;
	return call(service, &m, sizeof(m.put));
}

static kern_return_t
kv_query(mach_port_t service, mach_msg_id_t id, const char *key, int64_t *v)
{
	union kv_msg m;
	kern_return_t kr;

	memset(&m, 0, sizeof(m));
	m.key.Head.msgh_id = id;
	m.key.NDR = NDR_record;
	strcpy(m.key.key, key);
	kr = call(service, &m, sizeof(m.key));
	if (kr == KERN_SUCCESS)
		*v = m.val.value;
	return kr;
}

static kern_return_t
kv_subscribe(mach_port_t service, const char *key, mach_port_t inbox,
    mach_port_t *handle)
{
	union kv_msg m;
	kern_return_t kr;

	memset(&m, 0, sizeof(m));
	m.sub.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
	m.sub.Head.msgh_id = KV_SUBSCRIBE;
	m.sub.msgh_body.msgh_descriptor_count = 1;
	m.sub.inbox.name = inbox;
	m.sub.inbox.disposition = MACH_MSG_TYPE_MAKE_SEND;
	m.sub.inbox.type = MACH_MSG_PORT_DESCRIPTOR;
	m.sub.NDR = NDR_record;
	strcpy(m.sub.key, key);
	kr = call(service, &m, sizeof(m.sub));
	if (kr == KERN_SUCCESS)
		*handle = m.hdl.handle.name;
	return kr;
}

/* The next message in the inbox (waits at most 5 s); its id. */
static mach_msg_id_t
next_event(mach_port_t inbox, union kv_msg *m)
{
	mach_msg_return_t mr;

	memset(m, 0, sizeof(*m));
	mr = mach_msg(&m->Head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*m),
	    inbox, 5000, MACH_PORT_NULL);
	CHECK(mr == MACH_MSG_SUCCESS, "inbox receive: 0x%x", mr);
	return m->Head.msgh_id;
}

/* How many subscriptions the server holds, once it reached `want`. */
static int64_t
wait_count(mach_port_t service, int64_t want)
{
	struct timespec nap = { 0, 1000000 };
	int64_t n = -1;
	int i;

	for (i = 0; i < 5000; i++) {
		CHECK(kv_query(service, KV_COUNT, "", &n) == KERN_SUCCESS,
		    "count");
		if (n == want)
			break;
		nanosleep(&nap, NULL); /* the notification is on its way */
	}
	return n;
}

struct client {
	int c_id;
	mipc_space_t c_space;
	mach_port_t c_service, c_inbox, c_handle;
};

static pthread_barrier_t subscribed, published;
static sem_t client2_watch;

static void *
client_main(void *arg)
{
	struct client *c = arg;
	mach_port_t self;
	mach_port_t prev;
	union kv_msg m;
	int64_t seen[CLIENTS] = { 0 }, v = -1;
	kern_return_t kr;
	int i;

	(void)mipc_thread_set_space(c->c_space);
	self = mach_task_self();
	kr = bootstrap_look_up(bootstrap_port, SERVICE, &c->c_service);
	CHECK(kr == KERN_SUCCESS, "client %d look-up: 0x%x", c->c_id, kr);
	CHECK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &c->c_inbox) ==
	        KERN_SUCCESS,
	    "inbox");
	/* Tell me when the server dies. */
	kr = mach_port_request_notification(self, c->c_service,
	    MACH_NOTIFY_DEAD_NAME, 0, c->c_inbox, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	    &prev);
	CHECK(kr == KERN_SUCCESS, "dead-name request: 0x%x", kr);
	kr = kv_subscribe(c->c_service, "color", c->c_inbox, &c->c_handle);
	CHECK(kr == KERN_SUCCESS, "client %d subscribe: 0x%x", c->c_id, kr);
	pthread_barrier_wait(&subscribed);

	CHECK(kv_put(c->c_service, "color", 100 + c->c_id) == KERN_SUCCESS,
	    "put");
	for (i = 0; i < CLIENTS; i++) {
		CHECK(next_event(c->c_inbox, &m) == KV_CHANGED, "an event");
		CHECK(strcmp(m.put.key, "color") == 0, "key %s", m.put.key);
		CHECK(m.put.value >= 100 && m.put.value < 100 + CLIENTS,
		    "value %lld", (long long)m.put.value);
		seen[m.put.value - 100]++;
	}
	for (i = 0; i < CLIENTS; i++)
		CHECK(seen[i] == 1, "client %d saw put %d %lld times", c->c_id,
		    i, (long long)seen[i]);
	CHECK(kv_query(c->c_service, KV_GET, "color", &v) == KERN_SUCCESS &&
	        v >= 100 && v < 100 + CLIENTS,
	    "get: %lld", (long long)v);
	CHECK(kv_query(c->c_service, KV_GET, "shape", &v) == KERN_INVALID_NAME,
	    "get of an unknown key");
	printf(
	    "client %d: saw all %d changes of \"color\"\n", c->c_id, CLIENTS);
	pthread_barrier_wait(&published);

	if (c->c_id == 0) {
		/* Drop the handle: the server hears no-senders. */
		(void)mach_port_deallocate(self, c->c_handle);
		CHECK(wait_count(c->c_service, CLIENTS - 1) == CLIENTS - 1,
		    "no-senders cleanup");
		printf("client 0: dropped its handle, the server let go\n");
	} else if (c->c_id == 2) {
		/* Wait for the server's death. */
		sem_post(&client2_watch);
		CHECK(next_event(c->c_inbox, &m) == MACH_NOTIFY_DEAD_NAME,
		    "dead-name notification");
		CHECK(((mach_dead_name_notification_t *)&m)->not_port ==
		        c->c_service,
		    "the dead name is the service");
		printf("client 2: the server died (MACH_NOTIFY_DEAD_NAME)\n");
		(void)mach_port_deallocate(self, c->c_service); /* +1 of D4 */
	}
	(void)mipc_thread_set_space(NULL);
	return NULL;
}

/* ---- main ----------------------------------------------------------------- */

int
main(void)
{
	struct client clients[CLIENTS];
	pthread_t server, threads[CLIENTS];
	mach_msg_return_t served = KERN_FAILURE;
	struct mipc_stats stats;
	int64_t n = -1;
	int i;

	CHECK(mipc_space_create(&srv.space) == KERN_SUCCESS, "space");
	sem_init(&server_ready, 0, 0);
	sem_init(&client2_watch, 0, 0);
	pthread_barrier_init(&subscribed, NULL, CLIENTS);
	pthread_barrier_init(&published, NULL, CLIENTS);
	CHECK(
	    pthread_create(&server, NULL, server_main, &served) == 0, "server");
	sem_wait(&server_ready);
	printf("server: checked in as %s\n", SERVICE);

	for (i = 0; i < CLIENTS; i++) {
		memset(&clients[i], 0, sizeof(clients[i]));
		clients[i].c_id = i;
		CHECK(mipc_space_create(&clients[i].c_space) == KERN_SUCCESS,
		    "client space");
		CHECK(pthread_create(
		          &threads[i], NULL, client_main, &clients[i]) == 0,
		    "client");
	}
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);

	/* Client 1 "crashes": its space goes, with its handle. */
	CHECK(mipc_space_destroy(clients[1].c_space) == KERN_SUCCESS,
	    "destroy client 1");
	(void)mipc_thread_set_space(clients[2].c_space);
	n = wait_count(clients[2].c_service, 1);
	CHECK(n == 1, "after client 1 died: %lld subscriptions", (long long)n);
	(void)mipc_thread_set_space(NULL);
	printf("server: client 1 died, its subscription went (%d cleaned)\n",
	    srv.dropped);

	/* The server "crashes": client 2 hears of it. */
	sem_wait(&client2_watch);
	CHECK(mipc_space_destroy(srv.space) == KERN_SUCCESS, "destroy server");
	pthread_join(server, NULL);
	CHECK(served == MACH_RCV_PORT_CHANGED, "mach_msg_server returned 0x%x",
	    served);
	pthread_join(threads[2], NULL);

	CHECK(mipc_space_destroy(clients[0].c_space) == KERN_SUCCESS, "c0");
	CHECK(mipc_space_destroy(clients[2].c_space) == KERN_SUCCESS, "c2");
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&stats);
	CHECK(stats.spaces == 0 && stats.ports == 0 && stats.messages == 0,
	    "left behind: %llu spaces, %llu ports, %llu messages",
	    (unsigned long long)stats.spaces, (unsigned long long)stats.ports,
	    (unsigned long long)stats.messages);
	printf("kv_server: ok (subscriptions cleaned by no-senders, server "
	       "death seen by dead-name)\n");
	return 0;
}
