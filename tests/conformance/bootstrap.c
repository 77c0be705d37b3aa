/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootstrap.c -- conformance of the bootstrap name service (<mipc/mach.h>,
 * launchd's behaviour without plists, issue 14): check-in, look-up,
 * register, create-service, names in use and unknown, services that die,
 * many spaces sharing one namespace, bootstrap_port in every space, bad
 * arguments (NULL pointers, long and unterminated names, a name at an
 * unreadable page), raw messages to the bootstrap port, the sync check-in
 * push (send cases 1 and 6), and allocation-failure sweeps.
 *
 * Includes core/bootstrap.h (message ids) and core/internal.h (failure
 * injection) for the raw-message and sweep cases; the sweeps are the test
 * case tagged "hooks" (check_mipc.h), which the run against the shipped
 * library excludes.
 */
#include "turnstile_helpers.h"

#include "bootstrap.h"
#include "internal.h"

#include <sys/mman.h>
#include <unistd.h>

static mipc_space_t task;

static void
setup(void)
{
	task = mipc_thread_space();
}

/* ---- helpers -------------------------------------------------------------- */

/* Send a message of id `id` to `to` in sp without blocking. */
static void
post(mipc_space_t sp, mach_port_name_t to, mach_msg_id_t id)
{
	KR_EQ(send_to(sp, to, MACH_MSG_TYPE_COPY_SEND, id), MACH_MSG_SUCCESS);
}

/* The id of the next message on `port` (must be one). */
static mach_msg_id_t
take(mipc_space_t sp, mach_port_name_t port)
{
	msg_buf_t b;

	RECV_OK(sp, &b, port, 0);
	return b.h.msgh_id;
}

static mach_port_msgcount_t
queued(mipc_space_t sp, mach_port_name_t port)
{
	return msgcount_of(sp, port);
}

/* Fill port `to` (a send right of sp) until a send would block. */
static unsigned
fill(mipc_space_t sp, mach_port_name_t to, mach_msg_id_t id)
{
	unsigned n = 0;

	while (send_to(sp, to, MACH_MSG_TYPE_COPY_SEND, id) == MACH_MSG_SUCCESS)
		n++;
	KR_EQ(
	    send_to(sp, to, MACH_MSG_TYPE_COPY_SEND, id), MACH_SEND_TIMED_OUT);
	return n;
}

/* Run fn in space sp as the calling thread's current space. */
#define IN_SPACE(sp, stmt)                                      \
	do {                                                    \
		mipc_space_t prev_ = mipc_thread_set_space(sp); \
		stmt;                                           \
		(void)mipc_thread_set_space(prev_);             \
	} while (0)

static void
destroy_receive(mipc_space_t sp, mach_port_name_t n)
{
	KR_OK(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE, -1));
}

/* ---- check-in, look-up ------------------------------------------------------ */

START_TEST(bootstrap_check_in_creates_the_service)
{
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL;

	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.a", &sp));
	VAL_EQ(type_of(task, sp), MACH_PORT_TYPE_RECEIVE);
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.a", &cl));
	/* The same port: the send right merges into the receive right. */
	VAL_EQ(cl, sp);
	VAL_EQ(type_of(task, sp), MACH_PORT_TYPE_SEND_RECEIVE);
	post(task, cl, 42);
	VAL_EQ(take(task, sp), 42);
	KR_OK(mipc_port_deallocate(task, cl));
	destroy_receive(task, sp);
}
END_TEST

START_TEST(bootstrap_check_in_twice_service_active)
{
	mach_port_t sp = MACH_PORT_NULL, sp2 = 0x1234;

	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.a", &sp));
	KR_EQ(bootstrap_check_in(bootstrap_port, "org.test.a", &sp2),
	    BOOTSTRAP_SERVICE_ACTIVE);
	VAL_EQ(sp2, 0x1234); /* untouched */
	destroy_receive(task, sp);
}
END_TEST

START_TEST(bootstrap_look_up_unknown_service)
{
	mach_port_t sp = 0x1234;

	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.none", &sp),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	VAL_EQ(sp, 0x1234);
	VAL_EQ(name_count(task), 2); /* bootstrap_port and our SRP */
}
END_TEST

START_TEST(bootstrap_codes_are_launchds)
{
	VAL_EQ(BOOTSTRAP_SUCCESS, 0);
	VAL_EQ(BOOTSTRAP_NOT_PRIVILEGED, 1100);
	VAL_EQ(BOOTSTRAP_NAME_IN_USE, 1101);
	VAL_EQ(BOOTSTRAP_UNKNOWN_SERVICE, 1102);
	VAL_EQ(BOOTSTRAP_SERVICE_ACTIVE, 1103);
	VAL_EQ(BOOTSTRAP_BAD_COUNT, 1104);
	VAL_EQ(BOOTSTRAP_NO_MEMORY, 1105);
	VAL_EQ(BOOTSTRAP_NO_CHILDREN, 1106);
	VAL_EQ(BOOTSTRAP_MAX_NAME_LEN, 128);
	VAL_EQ(sizeof(name_t), 128);
	ck_assert_str_eq(bootstrap_strerror(BOOTSTRAP_UNKNOWN_SERVICE),
	    "Unknown service name");
	ck_assert_str_eq(bootstrap_strerror(BOOTSTRAP_SUCCESS), "Success");
	ck_assert_ptr_nonnull(bootstrap_strerror(-12345));
}
END_TEST

/* ---- register --------------------------------------------------------------- */

START_TEST(bootstrap_register_then_look_up)
{
	mach_port_name_t p = tport_new(task, 5);
	mach_port_t cl = MACH_PORT_NULL;

	KR_OK(bootstrap_register(bootstrap_port, "org.test.reg", p));
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.reg", &cl));
	VAL_EQ(cl, p);
	post(task, cl, 7);
	VAL_EQ(take(task, p), 7);
	/* The bootstrap keeps a send right: ours are 1 + look-up's. */
	VAL_EQ(refs_of(task, p, MACH_PORT_RIGHT_SEND), 2);
	/* Removed by MACH_PORT_NULL; then unknown. */
	KR_OK(
	    bootstrap_register(bootstrap_port, "org.test.reg", MACH_PORT_NULL));
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.reg", &cl),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	KR_EQ(
	    bootstrap_register(bootstrap_port, "org.test.reg", MACH_PORT_NULL),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(mipc_port_destroy(task, p));
}
END_TEST

START_TEST(bootstrap_name_in_use)
{
	mach_port_name_t p = tport_new(task, 5);
	mach_port_t sp = MACH_PORT_NULL, d = MACH_PORT_NULL;

	KR_OK(bootstrap_register(bootstrap_port, "org.test.reg", p));
	KR_EQ(bootstrap_register(bootstrap_port, "org.test.reg", p),
	    BOOTSTRAP_NAME_IN_USE);
	KR_EQ(bootstrap_check_in(bootstrap_port, "org.test.reg", &sp),
	    BOOTSTRAP_SERVICE_ACTIVE);
	KR_EQ(bootstrap_create_service(bootstrap_port, "org.test.reg", &d),
	    BOOTSTRAP_NAME_IN_USE);
	/* A checked-in name: in use too, and register(NULL) may not drop it. */
	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.ci", &sp));
	KR_EQ(bootstrap_register(bootstrap_port, "org.test.ci", p),
	    BOOTSTRAP_NAME_IN_USE);
	KR_EQ(bootstrap_register(bootstrap_port, "org.test.ci", MACH_PORT_NULL),
	    BOOTSTRAP_NOT_PRIVILEGED);
	/* The refused register's send right went back: ours only. */
	VAL_EQ(refs_of(task, p, MACH_PORT_RIGHT_SEND), 1);
	destroy_receive(task, sp);
	KR_OK(mipc_port_destroy(task, p));
}
END_TEST

START_TEST(bootstrap_register_bad_rights)
{
	mach_port_name_t p = tport_new(task, 5), dead = tport_new(task, 5);

	/* Not a send right in our space: the send fails (MIG). */
	KR_EQ(bootstrap_register(bootstrap_port, "org.test.x", 0x77777),
	    MACH_SEND_INVALID_RIGHT);
	/* A dead name: refused. */
	KR_OK(mipc_port_mod_refs(task, dead, MACH_PORT_RIGHT_RECEIVE, -1));
	VAL_EQ(type_of(task, dead), MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(bootstrap_register(bootstrap_port, "org.test.x", dead),
	    KERN_INVALID_RIGHT);
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.x", &p),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(mipc_port_deallocate(task, dead));
	KR_OK(mipc_port_destroy(task, p));
}
END_TEST

/* ---- create_service: look up and send before the server checks in -------- */

START_TEST(bootstrap_create_service_queues_until_check_in)
{
	mipc_space_t client;
	mach_port_t d = MACH_PORT_NULL, cl = MACH_PORT_NULL,
	            sp = MACH_PORT_NULL;
	mach_msg_id_t id;

	KR_OK(bootstrap_create_service(bootstrap_port, "org.test.lazy", &d));
	VAL_EQ(type_of(task, d), MACH_PORT_TYPE_SEND);
	KR_OK(mipc_space_create(&client));
	IN_SPACE(client,
	    KR_OK(bootstrap_look_up(bootstrap_port, "org.test.lazy", &cl)));
	for (id = 1; id <= 3; id++)
		post(client, cl, id);
	post(task, d, 4);
	/* The server starts now: the messages were waiting for it. */
	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.lazy", &sp));
	VAL_EQ(sp, d); /* merged with our send right */
	VAL_EQ(queued(task, sp), 4);
	for (id = 1; id <= 4; id++)
		VAL_EQ(take(task, sp), id);
	KR_EQ(bootstrap_check_in(bootstrap_port, "org.test.lazy", &sp),
	    BOOTSTRAP_SERVICE_ACTIVE);
	KR_EQ(bootstrap_create_service(bootstrap_port, "org.test.lazy", &d),
	    BOOTSTRAP_NAME_IN_USE);
	KR_OK(mipc_space_destroy(client));
	KR_OK(mipc_port_destroy(task, sp));
}
END_TEST

/* A declared service nobody checks in: its queue dies with the namespace
 * (checked by the leak check: the last space goes). */
START_TEST(bootstrap_declared_service_released_with_last_space)
{
	mipc_space_t a;
	mach_port_t d = MACH_PORT_NULL, held = MACH_PORT_NULL;
	mach_port_name_t p;
	struct {
		mach_msg_base_t base;
		mach_msg_port_descriptor_t d;
	} m;

	KR_OK(mipc_space_create(&a));
	p = tport_new(a, 5);
	KR_OK(mipc_port_insert_right(task, p, a, p, MACH_MSG_TYPE_MAKE_SEND));
	held = p; /* task's send right to p */
	IN_SPACE(a,
	    KR_OK(bootstrap_create_service(
	        bootstrap_port, "org.test.orphan", &d)));
	/* Something that must die with it: a receive right in its queue. */
	memset(&m, 0, sizeof(m));
	m.base.header.msgh_bits =
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.base.header.msgh_remote_port = d;
	m.base.body.msgh_descriptor_count = 1;
	m.d.name = p;
	m.d.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(
	    mipc_msg(a, &m.base.header, MACH_SEND_MSG, sizeof(m), 0, 0, 0, 0));
	KR_OK(mipc_space_destroy(a));
	/* task still lives: so does the namespace, and p in its queue. */
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.orphan", &d));
	VAL_EQ(type_of(task, held), MACH_PORT_TYPE_SEND);
	KR_OK(mipc_port_deallocate(task, d));
	/* The leak check destroys task, the last space: p dies then. */
	KR_OK(mipc_port_deallocate(task, held));
}
END_TEST

/* ---- services that die ------------------------------------------------------ */

START_TEST(bootstrap_dead_service_unregistered)
{
	mipc_space_t server, client;
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL, prev;

	KR_OK(mipc_space_create(&server));
	KR_OK(mipc_space_create(&client));
	IN_SPACE(server,
	    KR_OK(bootstrap_check_in(bootstrap_port, "org.test.dies", &sp)));
	IN_SPACE(client,
	    KR_OK(bootstrap_look_up(bootstrap_port, "org.test.dies", &cl)));
	/* The client watches the server. */
	{
		mach_port_name_t n = MACH_PORT_NULL;

		KR_OK(mipc_port_allocate(client, MACH_PORT_RIGHT_RECEIVE, &n));
		KR_OK(mipc_port_request_notification(client, cl,
		    MACH_NOTIFY_DEAD_NAME, 0, n, MACH_MSG_TYPE_MAKE_SEND_ONCE,
		    &prev));
		/* The server destroys its receive right. */
		destroy_receive(server, sp);
		VAL_EQ(take(client, n), MACH_NOTIFY_DEAD_NAME);
		VAL_EQ(type_of(client, cl), MACH_PORT_TYPE_DEAD_NAME);
		KR_OK(
		    mipc_port_mod_refs(client, n, MACH_PORT_RIGHT_RECEIVE, -1));
	}
	IN_SPACE(client,
	    KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.dies", &cl),
	        BOOTSTRAP_UNKNOWN_SERVICE));
	/* The name is free again. */
	IN_SPACE(client,
	    KR_OK(bootstrap_check_in(bootstrap_port, "org.test.dies", &sp)));
	KR_OK(mipc_space_destroy(server));
	KR_OK(mipc_space_destroy(client));
}
END_TEST

START_TEST(bootstrap_server_space_destroyed_unregistered)
{
	mipc_space_t server;
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL;

	KR_OK(mipc_space_create(&server));
	IN_SPACE(server,
	    KR_OK(bootstrap_check_in(bootstrap_port, "org.test.gone", &sp)));
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.gone", &cl));
	post(task, cl, 1); /* a message dies with it */
	KR_OK(mipc_space_destroy(server));
	VAL_EQ(type_of(task, cl), MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.gone", &sp),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(mipc_port_deallocate(task, cl));
}
END_TEST

/* The right moved on to another space: still the service. */
START_TEST(bootstrap_moved_service_stays_registered)
{
	mipc_space_t other;
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL;
	mach_port_name_t there = MACH_PORT_NULL;
	mach_msg_type_name_t got;

	KR_OK(mipc_space_create(&other));
	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.moves", &sp));
	KR_OK(mipc_port_extract_right(
	    task, sp, MACH_MSG_TYPE_MOVE_RECEIVE, task, &there, &got));
	KR_OK(mipc_port_insert_right(other, sp, task, there, got));
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.moves", &cl));
	post(task, cl, 5);
	VAL_EQ(take(other, sp), 5);
	/* It dies there: unregistered all the same. */
	KR_OK(mipc_space_destroy(other));
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.moves", &sp),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(mipc_port_deallocate(task, cl));
}
END_TEST

START_TEST(bootstrap_registered_port_dies_unregistered)
{
	mach_port_name_t p = tport_new(task, 5);
	mach_port_t cl = MACH_PORT_NULL;

	KR_OK(bootstrap_register(bootstrap_port, "org.test.reg", p));
	KR_OK(mipc_port_deallocate(task, p));
	destroy_receive(task, p);
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.reg", &cl),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	KR_OK(bootstrap_register(
	    bootstrap_port, "org.test.reg", (p = tport_new(task, 5))));
	KR_OK(mipc_port_destroy(task, p));
}
END_TEST

/* A user cannot forge the notifications that unregister a name. */
START_TEST(bootstrap_forged_notifications_ignored)
{
	mach_port_name_t r = tport_new(task, 5);
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL;
	msg_buf_t b;
	uint32_t tok;

	KR_OK(bootstrap_register(bootstrap_port, "org.test.reg", r));
	for (tok = 4; tok < 64; tok += 4) {
		msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		    bootstrap_port, MACH_PORT_NULL, MACH_NOTIFY_DEAD_NAME);
		memcpy(b.bytes + 32, &tok, 4);
		KR_OK(msg_send(task, &b, 36));
	}
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.reg", &cl));
	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.ci", &sp));
	msg_init(&b,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    bootstrap_port, r, MACH_NOTIFY_PORT_DESTROYED);
	KR_OK(msg_send(task, &b, HDR_SIZE));
	VAL_EQ(take(task, r), MACH_NOTIFY_PORT_DESTROYED + 100); /* BAD_ID */
	KR_OK(bootstrap_look_up(bootstrap_port, "org.test.ci", &cl));
	KR_OK(mipc_port_deallocate(task, cl));
	destroy_receive(task, sp);
	KR_OK(mipc_port_destroy(task, r));
}
END_TEST

/* ---- many spaces, one namespace ---------------------------------------------- */

#define NSPACES 12

START_TEST(bootstrap_many_spaces_share_the_namespace)
{
	mipc_space_t sp[NSPACES];
	mach_port_t svc[NSPACES], peer;
	char name[64];
	int i, j;

	for (i = 0; i < NSPACES; i++) {
		KR_OK(mipc_space_create(&sp[i]));
		snprintf(name, sizeof(name), "org.test.space.%d", i);
		IN_SPACE(sp[i],
		    KR_OK(bootstrap_check_in(bootstrap_port, name, &svc[i])));
		set_qlimit(sp[i], svc[i], NSPACES);
	}
	/* Each space calls every other one, by name. */
	for (i = 0; i < NSPACES; i++) {
		for (j = 0; j < NSPACES; j++) {
			snprintf(name, sizeof(name), "org.test.space.%d", j);
			IN_SPACE(sp[i],
			    KR_OK(bootstrap_look_up(
			        bootstrap_port, name, &peer)));
			post(sp[i], peer, 1000 * i + j);
			KR_OK(mipc_port_deallocate(sp[i], peer));
		}
	}
	for (j = 0; j < NSPACES; j++) {
		VAL_EQ(queued(sp[j], svc[j]), NSPACES);
		for (i = 0; i < NSPACES; i++)
			VAL_EQ(take(sp[j], svc[j]), 1000 * i + j);
	}
	/* bootstrap_port: one name per space, kept. */
	for (i = 0; i < NSPACES; i++)
		VAL_EQ(mipc_bootstrap_port(sp[i]), mipc_bootstrap_port(sp[i]));
	for (i = 0; i < NSPACES; i++)
		KR_OK(mipc_space_destroy(sp[i]));
	for (i = 0; i < NSPACES; i++) {
		snprintf(name, sizeof(name), "org.test.space.%d", i);
		KR_EQ(bootstrap_look_up(bootstrap_port, name, &peer),
		    BOOTSTRAP_UNKNOWN_SERVICE);
	}
}
END_TEST

/* ---- bootstrap_port ------------------------------------------------------------ */

START_TEST(bootstrap_port_is_a_send_right_in_each_space)
{
	mipc_space_t other;
	mach_port_name_t b = bootstrap_port, b2;

	ck_assert(MACH_PORT_VALID(b));
	VAL_EQ(type_of(task, b), MACH_PORT_TYPE_SEND);
	VAL_EQ(refs_of(task, b, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(bootstrap_port, b); /* kept, no uref added */
	VAL_EQ(refs_of(task, b, MACH_PORT_RIGHT_SEND), 1);
	KR_OK(mipc_space_create(&other));
	b2 = mipc_bootstrap_port(other);
	VAL_EQ(type_of(other, b2), MACH_PORT_TYPE_SEND);
	/* The user drops it: the next use makes another. */
	KR_OK(mipc_port_deallocate(task, b));
	b = bootstrap_port;
	VAL_EQ(type_of(task, b), MACH_PORT_TYPE_SEND);
	KR_OK(mipc_space_destroy(other));
	VAL_EQ(mipc_bootstrap_port(other), MACH_PORT_NULL);
	VAL_EQ(mipc_bootstrap_port(NULL), MACH_PORT_NULL);
}
END_TEST

/* The namespace goes with the last space; a new one starts empty. */
START_TEST(bootstrap_namespace_ends_with_the_last_space)
{
	mipc_space_t a;
	mach_port_t sp = MACH_PORT_NULL, d = MACH_PORT_NULL;
	struct mipc_stats s;

	KR_OK(mipc_space_create(&a));
	IN_SPACE(a,
	    KR_OK(
	        bootstrap_create_service(bootstrap_port, "org.test.decl", &d)));
	IN_SPACE(
	    a, KR_OK(bootstrap_check_in(bootstrap_port, "org.test.ci", &sp)));
	mipc_default_space_reset(); /* task, the only other space */
	KR_OK(mipc_space_destroy(a));
	mipc_quiesce();
	mipc_get_stats(&s);
	VAL_EQ(s.spaces, 0);
	VAL_EQ(s.ports, 0);
	VAL_EQ(s.tables, 0);
	KR_OK(mipc_space_create(&a));
	IN_SPACE(a,
	    KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.decl", &sp),
	        BOOTSTRAP_UNKNOWN_SERVICE));
	KR_OK(mipc_space_destroy(a));
}
END_TEST

/* ---- bad arguments ------------------------------------------------------------- */

START_TEST(bootstrap_null_pointers)
{
	mach_port_t sp = 0;

	KR_EQ(bootstrap_check_in(bootstrap_port, "org.test.a", NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.a", NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_create_service(bootstrap_port, "org.test.a", NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_check_in(bootstrap_port, NULL, &sp),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_look_up(bootstrap_port, NULL, &sp),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_register(bootstrap_port, NULL, MACH_PORT_NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_create_service(bootstrap_port, NULL, &sp),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(
	    bootstrap_check_in(bootstrap_port, "", &sp), KERN_INVALID_ARGUMENT);
	KR_EQ(
	    bootstrap_look_up(bootstrap_port, "", &sp), KERN_INVALID_ARGUMENT);
	VAL_EQ(sp, 0);
}
END_TEST

START_TEST(bootstrap_bad_bootstrap_port)
{
	mach_port_t sp = 0;

	KR_EQ(bootstrap_look_up(MACH_PORT_NULL, "org.test.a", &sp),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(bootstrap_check_in(0x55503, "org.test.a", &sp),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(bootstrap_look_up(MACH_PORT_DEAD, "org.test.a", &sp),
	    MACH_SEND_INVALID_DEST);
}
END_TEST

START_TEST(bootstrap_long_names)
{
	char name[BOOTSTRAP_MAX_NAME_LEN + 8];
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL;

	/* 127 bytes and its NUL: the longest name. */
	memset(name, 'n', sizeof(name));
	name[BOOTSTRAP_MAX_NAME_LEN - 1] = '\0';
	KR_OK(bootstrap_check_in(bootstrap_port, name, &sp));
	KR_OK(bootstrap_look_up(bootstrap_port, name, &cl));
	VAL_EQ(cl, sp);
	/* 128 without a NUL in them. */
	name[BOOTSTRAP_MAX_NAME_LEN - 1] = 'n';
	name[BOOTSTRAP_MAX_NAME_LEN] = '\0';
	KR_EQ(bootstrap_look_up(bootstrap_port, name, &cl),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_check_in(bootstrap_port, name, &cl),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_register(bootstrap_port, name, sp),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(bootstrap_create_service(bootstrap_port, name, &cl),
	    KERN_INVALID_ARGUMENT);
	KR_OK(mipc_port_deallocate(task, cl));
	destroy_receive(task, sp);
}
END_TEST

/* Two pages, the second PROT_NONE; returns the boundary. */
static char *
guarded_pages(void **base, size_t *len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(mprotect(p + pg, pg, PROT_NONE), 0);
	*base = p;
	*len = 2 * pg;
	return p + pg;
}

START_TEST(bootstrap_name_at_an_unreadable_page)
{
	mach_port_t sp = MACH_PORT_NULL, cl = 0;
	void *base;
	size_t len;
	char *edge = guarded_pages(&base, &len), *name;

	/* A name whose NUL is the last readable byte: fine. */
	name = edge - 6;
	memcpy(name, "edge1", 6);
	KR_OK(bootstrap_check_in(bootstrap_port, name, &sp));
	KR_OK(bootstrap_look_up(bootstrap_port, "edge1", &cl));
	VAL_EQ(cl, sp);
	KR_OK(mipc_port_deallocate(task, cl));
	/* One that runs into the page: an error, not a crash. */
	name = edge - 5;
	memcpy(name, "edge2", 5);
	KR_EQ(
	    bootstrap_look_up(bootstrap_port, name, &cl), KERN_INVALID_ADDRESS);
	KR_EQ(bootstrap_check_in(bootstrap_port, name, &cl),
	    KERN_INVALID_ADDRESS);
	KR_EQ(
	    bootstrap_register(bootstrap_port, name, sp), KERN_INVALID_ADDRESS);
	KR_EQ(bootstrap_create_service(bootstrap_port, name, &cl),
	    KERN_INVALID_ADDRESS);
	/* The page itself. */
	KR_EQ(
	    bootstrap_look_up(bootstrap_port, edge, &cl), KERN_INVALID_ADDRESS);
	KR_EQ(bootstrap_look_up(bootstrap_port, (const char *)8, &cl),
	    KERN_INVALID_ADDRESS);
	ck_assert_int_eq(munmap(base, len), 0);
	destroy_receive(task, sp);
}
END_TEST

/* ---- raw messages to the bootstrap port ------------------------------------- */

/* A check-in request as the client sends it, reply to `reply`. */
struct raw_req {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	name_t name;
};

static void
raw_req_init(struct raw_req *r, mach_msg_id_t id, mach_port_name_t reply,
    const char *name)
{
	memset(r, 0, sizeof(*r));
	r->Head.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
	r->Head.msgh_remote_port = bootstrap_port;
	r->Head.msgh_local_port = reply;
	r->Head.msgh_id = id;
	r->NDR = NDR_record;
	strcpy(r->name, name);
}

START_TEST(bootstrap_raw_messages_mig_errors)
{
	mach_port_name_t r = tport_new(task, 5);
	struct raw_req q;
	msg_buf_t b;
	mig_reply_error_t e;

	/* An unknown routine. */
	raw_req_init(&q, 499, r, "org.test.a");
	KR_OK(mipc_msg(task, &q.Head, MACH_SEND_MSG, sizeof(q), 0, 0, 0, 0));
	RECV_OK(task, &b, r, 0);
	memcpy(&e, &b, sizeof(e));
	VAL_EQ(e.Head.msgh_id, 599);
	VAL_EQ(e.RetCode, MIG_BAD_ID);
	/* A short check-in: MIG's size check. */
	raw_req_init(&q, IPC_BOOTSTRAP_CHECK_IN, r, "org.test.a");
	KR_OK(
	    mipc_msg(task, &q.Head, MACH_SEND_MSG, sizeof(q) - 4, 0, 0, 0, 0));
	RECV_OK(task, &b, r, 0);
	memcpy(&e, &b, sizeof(e));
	VAL_EQ(e.Head.msgh_id, IPC_BOOTSTRAP_CHECK_IN + 100);
	VAL_EQ(e.RetCode, MIG_BAD_ARGUMENTS);
	/* An unterminated name. */
	raw_req_init(&q, IPC_BOOTSTRAP_LOOK_UP, r, "x");
	memset(q.name, 'x', sizeof(q.name));
	KR_OK(mipc_msg(task, &q.Head, MACH_SEND_MSG, sizeof(q), 0, 0, 0, 0));
	RECV_OK(task, &b, r, 0);
	memcpy(&e, &b, sizeof(e));
	VAL_EQ(e.RetCode, MIG_BAD_ARGUMENTS);
	/* A check-in with no reply port: made, then given back (its right
	 * dies with the undelivered reply, the name with it). */
	raw_req_init(&q, IPC_BOOTSTRAP_CHECK_IN, MACH_PORT_NULL, "org.test.nr");
	KR_OK(mipc_msg(task, &q.Head, MACH_SEND_MSG, sizeof(q), 0, 0, 0, 0));
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.test.nr", &r),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	RECV_EMPTY(task, r);
	KR_OK(mipc_port_destroy(task, r));
}
END_TEST

/* ---- the sync check-in push (send cases 1 and 6, TURNSTILES.md 1.15) ------ */

/*
 * A declared service, its queue full, a thread H (47) blocked sending to
 * it: while the bootstrap holds the receive right nobody is pushed.  The
 * checking-in thread C (4) is pushed from the moment the reply carrying
 * the right waits on its special reply port (case 1), keeps the push after
 * receiving the right (case 6), and loses it when it receives a message on
 * the port -- which lets H in.
 */
START_TEST(bootstrap_sync_check_in_pushes_the_checking_in_thread)
{
	mipc_thread_t me = mipc_thread_self();
	mach_port_t d = MACH_PORT_NULL, sp = MACH_PORT_NULL;
	mach_port_name_t srp;
	struct raw_req q;
	struct actor h;
	struct {
		mach_msg_base_t base;
		mach_msg_port_descriptor_t d;
		mach_msg_max_trailer_t t;
	} rep;

	KR_OK(mipc_thread_set_base_priority(me, 4));
	KR_OK(bootstrap_create_service(bootstrap_port, "org.test.launch", &d));
	VAL_EQ(fill(task, d, 1), MACH_PORT_QLIMIT_DEFAULT);
	actor_send(&h, 47, task, d, 2, 0);
	WAIT_BLOCKED(&h, MIPC_WAIT_SEND_FULL);
	EFF_EQ(me, 4); /* the bootstrap holds it: no push */
	/* Case 1: the check-in, sent alone; its reply waits on our SRP. */
	srp = mig_get_special_reply_port();
	raw_req_init(&q, IPC_BOOTSTRAP_CHECK_IN, srp, "org.test.launch");
	KR_OK(mipc_msg(task, &q.Head,
	    MACH_SEND_MSG | MACH_SEND_SYNC_BOOTSTRAP_CHECKIN, sizeof(q), 0, 0,
	    0, 0));
	EFF_EQ(me, 47);
	/* Case 6: received by a plain receive, the push stays. */
	memset(&rep, 0, sizeof(rep));
	KR_OK(mipc_msg(task, &rep.base.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	    0, sizeof(rep), srp, 0, 0));
	VAL_EQ(rep.base.header.msgh_id, IPC_BOOTSTRAP_CHECK_IN + 100);
	VAL_EQ(rep.d.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
	sp = rep.d.name;
	VAL_EQ(sp, d);
	EFF_EQ(me, 47);
	ck_assert(!actor_done(&h));
	/* A message received on the port: case 6 ends, H gets in. */
	VAL_EQ(take(task, sp), 1);
	AT_BASE(me);
	KR_EQ(WAIT_DONE(&h), MACH_MSG_SUCCESS);
	actors_end(&h, 1);
	KR_OK(mipc_port_destroy(task, sp));
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

/* The same through bootstrap_check_in itself (one combined call). */
START_TEST(bootstrap_check_in_call_keeps_the_push_until_a_receive)
{
	mipc_thread_t me = mipc_thread_self();
	mach_port_t d = MACH_PORT_NULL, sp = MACH_PORT_NULL;
	struct actor h;

	KR_OK(mipc_thread_set_base_priority(me, 4));
	KR_OK(bootstrap_create_service(bootstrap_port, "org.test.launch", &d));
	VAL_EQ(fill(task, d, 1), MACH_PORT_QLIMIT_DEFAULT);
	actor_send(&h, 47, task, d, 2, 0);
	WAIT_BLOCKED(&h, MIPC_WAIT_SEND_FULL);
	EFF_EQ(me, 4);
	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.launch", &sp));
	EFF_EQ(me, 47);
	VAL_EQ(take(task, sp), 1);
	AT_BASE(me);
	KR_EQ(WAIT_DONE(&h), MACH_MSG_SUCCESS);
	actors_end(&h, 1);
	KR_OK(mipc_port_destroy(task, sp));
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

/* Attached to a workloop instead: the push moves to its servicer (7). */
START_TEST(bootstrap_checked_in_port_attached_moves_the_push)
{
	mipc_thread_t me = mipc_thread_self();
	mach_port_t d = MACH_PORT_NULL, sp = MACH_PORT_NULL;
	mipc_workloop_t wl;
	struct actor h;

	KR_OK(mipc_thread_set_base_priority(me, 4));
	KR_OK(bootstrap_create_service(bootstrap_port, "org.test.launch", &d));
	VAL_EQ(fill(task, d, 1), MACH_PORT_QLIMIT_DEFAULT);
	actor_send(&h, 47, task, d, 2, 0);
	WAIT_BLOCKED(&h, MIPC_WAIT_SEND_FULL);
	KR_OK(bootstrap_check_in(bootstrap_port, "org.test.launch", &sp));
	EFF_EQ(me, 47);
	KR_OK(mipc_workloop_create(task, 0, &wl));
	KR_OK(mipc_workloop_attach(wl, sp));
	AT_BASE(me); /* case 6 ended: no servicer bound yet */
	KR_OK(mipc_workloop_detach(wl, sp));
	KR_OK(mipc_workloop_destroy(wl));
	VAL_EQ(take(task, sp), 1);
	KR_EQ(WAIT_DONE(&h), MACH_MSG_SUCCESS);
	actors_end(&h, 1);
	KR_OK(mipc_port_destroy(task, sp));
	KR_OK(mipc_thread_set_base_priority(me, MIPC_PRI_DEFAULT));
}
END_TEST

/* ---- allocation failure --------------------------------------------------------- */

/* Codes a bootstrap call may return when memory runs out somewhere. */
static bool
no_memory_code(kern_return_t kr)
{
	return kr == BOOTSTRAP_NO_MEMORY || kr == KERN_RESOURCE_SHORTAGE ||
	    kr == MACH_SEND_NO_BUFFER || kr == MIG_SERVER_DIED ||
	    kr == MACH_SEND_INVALID_REPLY ||
	    kr == (MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE) ||
	    kr == (MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE);
}

enum sweep_op {
	OP_CHECK_IN,
	OP_CHECK_IN_DECLARED,
	OP_LOOK_UP,
	OP_REGISTER,
	OP_CREATE
};

/*
 * Fail the n-th allocation of one call: it succeeds, or fails with a
 * memory code and changes nothing.  Either way the namespace stays
 * consistent, and the test restores it.  Returns whether the injected
 * failure was reached (else the sweep is over).
 */
static bool
sweep_once(enum sweep_op op, uint64_t n)
{
	mach_port_name_t p = tport_new(task, 5), d = MACH_PORT_NULL;
	mach_port_t sp = MACH_PORT_NULL, cl = MACH_PORT_NULL;
	uint64_t before, used;
	kern_return_t kr;

	if (op == OP_CHECK_IN_DECLARED)
		KR_OK(bootstrap_create_service(bootstrap_port, "org.sw", &d));
	if (op == OP_LOOK_UP)
		KR_OK(bootstrap_register(bootstrap_port, "org.sw", p));
	before = ipc_alloc_count(IPC_KIND_ANY);
	ipc_fail_nth(IPC_KIND_ANY, n);
	switch (op) {
	case OP_CHECK_IN:
	case OP_CHECK_IN_DECLARED:
		kr = bootstrap_check_in(bootstrap_port, "org.sw", &sp);
		break;
	case OP_LOOK_UP:
		kr = bootstrap_look_up(bootstrap_port, "org.sw", &cl);
		break;
	case OP_REGISTER:
		kr = bootstrap_register(bootstrap_port, "org.sw", p);
		break;
	default:
		kr = bootstrap_create_service(bootstrap_port, "org.sw", &cl);
		break;
	}
	ipc_fail_nth(IPC_KIND_ANY, 0);
	used = ipc_alloc_count(IPC_KIND_ANY) - before;
	ck_assert_msg(kr == KERN_SUCCESS || no_memory_code(kr),
	    "op %d, allocation %llu failing: 0x%x", op, (unsigned long long)n,
	    kr);
	switch (op) {
	case OP_CHECK_IN:
	case OP_CHECK_IN_DECLARED:
		if (kr == KERN_SUCCESS) {
			VAL_EQ(type_of(task, sp) & MACH_PORT_TYPE_RECEIVE,
			    MACH_PORT_TYPE_RECEIVE);
			KR_EQ(bootstrap_check_in(bootstrap_port, "org.sw", &cl),
			    BOOTSTRAP_SERVICE_ACTIVE);
			KR_OK(mipc_port_mod_refs(
			    task, sp, MACH_PORT_RIGHT_RECEIVE, -1));
		}
		/* Gone or still declared: never active without us. */
		kr = bootstrap_check_in(bootstrap_port, "org.sw", &sp);
		KR_OK(kr);
		KR_OK(
		    mipc_port_mod_refs(task, sp, MACH_PORT_RIGHT_RECEIVE, -1));
		if (d != MACH_PORT_NULL)
			(void)mipc_port_deallocate(task, d);
		break;
	case OP_LOOK_UP:
		if (kr == KERN_SUCCESS) {
			VAL_EQ(cl, p);
			KR_OK(mipc_port_deallocate(task, cl));
		}
		KR_OK(bootstrap_register(
		    bootstrap_port, "org.sw", MACH_PORT_NULL));
		break;
	case OP_REGISTER:
		if (kr == KERN_SUCCESS)
			KR_OK(bootstrap_register(
			    bootstrap_port, "org.sw", MACH_PORT_NULL));
		else
			KR_EQ(bootstrap_look_up(bootstrap_port, "org.sw", &cl),
			    BOOTSTRAP_UNKNOWN_SERVICE);
		break;
	default:
		if (kr == KERN_SUCCESS) {
			VAL_EQ(type_of(task, cl), MACH_PORT_TYPE_SEND);
			KR_OK(
			    bootstrap_check_in(bootstrap_port, "org.sw", &sp));
			VAL_EQ(sp, cl);
			KR_OK(mipc_port_destroy(task, sp));
		} else {
			KR_EQ(bootstrap_look_up(bootstrap_port, "org.sw", &cl),
			    BOOTSTRAP_UNKNOWN_SERVICE);
		}
		break;
	}
	KR_OK(mipc_port_destroy(task, p));
	/* Nothing left under the name. */
	KR_EQ(bootstrap_look_up(bootstrap_port, "org.sw", &cl),
	    BOOTSTRAP_UNKNOWN_SERVICE);
	return used >= n;
}

static void
sweep(enum sweep_op op)
{
	uint64_t n;

	(void)mig_get_special_reply_port(); /* made once, outside */
	(void)bootstrap_port;
	for (n = 1; n < 200; n++)
		if (!sweep_once(op, n))
			break;
	ck_assert_msg(n > 1 && n < 200, "op %d: %llu allocations", op,
	    (unsigned long long)n);
}

START_TEST(bootstrap_no_memory_sweep_check_in)
{
	sweep(OP_CHECK_IN);
}
END_TEST

START_TEST(bootstrap_no_memory_sweep_check_in_declared)
{
	sweep(OP_CHECK_IN_DECLARED);
}
END_TEST

START_TEST(bootstrap_no_memory_sweep_look_up)
{
	sweep(OP_LOOK_UP);
}
END_TEST

START_TEST(bootstrap_no_memory_sweep_register)
{
	sweep(OP_REGISTER);
}
END_TEST

START_TEST(bootstrap_no_memory_sweep_create_service)
{
	sweep(OP_CREATE);
}
END_TEST

/* bootstrap_port itself, out of memory: MACH_PORT_NULL, then fine. */
START_TEST(bootstrap_no_memory_sweep_bootstrap_port)
{
	mipc_space_t a;
	mach_port_name_t b;
	uint64_t n, before;

	for (n = 1; n < 64; n++) {
		KR_OK(mipc_space_create(&a));
		before = ipc_alloc_count(IPC_KIND_ANY);
		ipc_fail_nth(IPC_KIND_ANY, n);
		b = mipc_bootstrap_port(a);
		ipc_fail_nth(IPC_KIND_ANY, 0);
		if (b != MACH_PORT_NULL)
			VAL_EQ(type_of(a, b), MACH_PORT_TYPE_SEND);
		b = mipc_bootstrap_port(a);
		VAL_EQ(type_of(a, b), MACH_PORT_TYPE_SEND);
		KR_OK(mipc_space_destroy(a));
		if (ipc_alloc_count(IPC_KIND_ANY) - before < n)
			break;
	}
	ck_assert(n < 64);
}
END_TEST

static Suite *
bootstrap_suite(void)
{
	Suite *s = suite_create("bootstrap");
	TCase *tc = conf_tcase("calls");
	TCase *death = conf_tcase("death");
	TCase *args = conf_tcase("arguments");
	TCase *push = conf_tcase("sync_check_in");
	TCase *mem = conf_tcase("no_memory");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, bootstrap_check_in_creates_the_service);
	tcase_add_test(tc, bootstrap_check_in_twice_service_active);
	tcase_add_test(tc, bootstrap_look_up_unknown_service);
	tcase_add_test(tc, bootstrap_codes_are_launchds);
	tcase_add_test(tc, bootstrap_register_then_look_up);
	tcase_add_test(tc, bootstrap_name_in_use);
	tcase_add_test(tc, bootstrap_register_bad_rights);
	tcase_add_test(tc, bootstrap_create_service_queues_until_check_in);
	tcase_add_test(tc, bootstrap_declared_service_released_with_last_space);
	tcase_add_test(tc, bootstrap_many_spaces_share_the_namespace);
	tcase_add_test(tc, bootstrap_port_is_a_send_right_in_each_space);
	tcase_add_test(tc, bootstrap_namespace_ends_with_the_last_space);
	tcase_add_test(tc, bootstrap_raw_messages_mig_errors);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(death, setup, NULL);
	tcase_add_test(death, bootstrap_dead_service_unregistered);
	tcase_add_test(death, bootstrap_server_space_destroyed_unregistered);
	tcase_add_test(death, bootstrap_moved_service_stays_registered);
	tcase_add_test(death, bootstrap_registered_port_dies_unregistered);
	tcase_add_test(death, bootstrap_forged_notifications_ignored);
	suite_add_tcase(s, death);

	tcase_add_checked_fixture(args, setup, NULL);
	tcase_add_test(args, bootstrap_null_pointers);
	tcase_add_test(args, bootstrap_bad_bootstrap_port);
	tcase_add_test(args, bootstrap_long_names);
	tcase_add_test(args, bootstrap_name_at_an_unreadable_page);
	suite_add_tcase(s, args);

	tcase_add_checked_fixture(push, setup, NULL);
	tcase_add_test(
	    push, bootstrap_sync_check_in_pushes_the_checking_in_thread);
	tcase_add_test(
	    push, bootstrap_check_in_call_keeps_the_push_until_a_receive);
	tcase_add_test(push, bootstrap_checked_in_port_attached_moves_the_push);
	suite_add_tcase(s, push);

	tcase_add_checked_fixture(mem, setup, NULL);
	/* Failure injection: excluded from `make test-release`. */
	tcase_set_tags(mem, "hooks");
	tcase_set_timeout(mem, 120);
	tcase_add_test(mem, bootstrap_no_memory_sweep_check_in);
	tcase_add_test(mem, bootstrap_no_memory_sweep_check_in_declared);
	tcase_add_test(mem, bootstrap_no_memory_sweep_look_up);
	tcase_add_test(mem, bootstrap_no_memory_sweep_register);
	tcase_add_test(mem, bootstrap_no_memory_sweep_create_service);
	tcase_add_test(mem, bootstrap_no_memory_sweep_bootstrap_port);
	suite_add_tcase(s, mem);
	return s;
}

MIPC_TEST_MAIN(bootstrap_suite)
