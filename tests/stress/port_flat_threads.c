/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port_flat_threads.c -- the flat paths of mach_port_allocate(RECEIVE) and
 * of a receive right's destruction (destroy, mod_refs(RECEIVE, -1),
 * destruct) race users of the same names in the same space: two threads
 * make and end receive rights, publishing each name for a while; two
 * others look the published names up (type, get_refs' lock-free path),
 * receive on them, send to them with MAKE_SEND (which makes a queue and
 * a send right in flight), copy a send right into a second space and
 * arm a dead-name request there.  Every call returns a code from its
 * documented set, every destruction succeeds, the flat paths were taken
 * under the race, and every object is released when the spaces go.
 * And stale handles: spaces destroyed and their slots reused by the next
 * space while two threads allocate and destroy through the old handles.
 *
 * Includes core/internal.h for ipc_port_flat_ops (test builds).
 */
#include "stress.h"

#include "internal.h"

#include <string.h>

enum { SLOTS = 8, MAKERS = 2, USERS = 2 };

static mipc_space_t s0, s1;
static mach_port_name_t slot[SLOTS]; /* (A) published receive names in s0 */
static uint32_t makers_left;         /* (A) */
static uint64_t flat_total;          /* (A) the makers' flat counts */
/*
 * The users' notify ports in s1, made before they start: made by a user,
 * one could take the index the other's far name just freed.
 */
static mach_port_name_t notify_ports[USERS];

static void
require_in(kern_return_t kr, const kern_return_t *allowed, const char *what)
{
	int i;

	for (i = 0; allowed[i] != -1; i++) {
		if (kr == allowed[i])
			return;
	}
	ck_abort_msg("%s returned 0x%x", what, kr);
}

static void *
maker(void *arg)
{
	long id = (long)(intptr_t)arg, i, rounds = stress_iters(4000);
	unsigned int seed = (unsigned int)id * 2654435761u + 1;
	uint64_t before = ipc_port_flat_ops;

	stress_pin((int)id);
	for (i = 0; i < rounds; i++) {
		unsigned int k = (unsigned int)rand_r(&seed) % SLOTS;
		mach_port_name_t n = MACH_PORT_NULL, old;
		kern_return_t kr;

		MIPC_REQUIRE(mipc_port_allocate(s0, MACH_PORT_RIGHT_RECEIVE,
		                 &n) == KERN_SUCCESS,
		    "allocate");
		/* Publish n, take back whatever the slot held. */
		old = ck_pr_fas_32(&slot[k], n);
		if (old == MACH_PORT_NULL)
			continue;
		switch (rand_r(&seed) % 3) {
		case 0:
			kr = mipc_port_destroy(s0, old);
			break;
		case 1:
			kr = mipc_port_mod_refs(
			    s0, old, MACH_PORT_RIGHT_RECEIVE, -1);
			break;
		default:
			kr = mipc_port_destruct(s0, old, 0, 0);
			break;
		}
		MIPC_REQUIRE(kr == KERN_SUCCESS, "ending 0x%x: 0x%x", old, kr);
	}
	ck_pr_add_64(&flat_total, ipc_port_flat_ops - before);
	ck_pr_dec_32(&makers_left);
	return NULL;
}

static const kern_return_t type_codes[] = { KERN_SUCCESS, KERN_INVALID_NAME,
	-1 };
static const mach_msg_return_t rcv_codes[] = { MACH_MSG_SUCCESS,
	MACH_RCV_TIMED_OUT, MACH_RCV_INVALID_NAME, MACH_RCV_PORT_DIED,
	MACH_RCV_PORT_CHANGED, -1 };
static const mach_msg_return_t send_codes[] = { MACH_MSG_SUCCESS,
	MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT, -1 };
static const kern_return_t insert_codes[] = { KERN_SUCCESS, KERN_INVALID_NAME,
	KERN_INVALID_RIGHT, KERN_INVALID_CAPABILITY,
	KERN_RIGHT_EXISTS /* the other user put it in s1 first (E8) */, -1 };
static const kern_return_t request_codes[] = { KERN_SUCCESS,
	KERN_INVALID_ARGUMENT, -1 };

/* Drain the notify port of s1: dead-name notifications, send-once ones. */
static void
drain(mach_port_name_t nport)
{
	union {
		mach_msg_header_t h;
		char b[256];
	} m;

	for (;;) {
		memset(&m, 0, sizeof(m));
		if (mipc_msg(s1, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(m), nport, 0,
		        MACH_PORT_NULL) != MACH_MSG_SUCCESS)
			return;
		mipc_msg_destroy(s1, &m.h);
	}
}

static void *
user(void *arg)
{
	long id = (long)(intptr_t)arg;
	unsigned int seed = (unsigned int)id * 2246822519u + 3;
	mach_port_name_t far = (mach_port_name_t)((0x300 + id) << 8 | 3);
	mach_port_name_t nport = notify_ports[id - MAKERS], prev;
	union {
		mach_msg_header_t h;
		char b[256];
	} m;

	stress_pin((int)id);
	while (ck_pr_load_32(&makers_left) != 0) {
		mach_port_name_t n =
		    ck_pr_load_32(&slot[rand_r(&seed) % SLOTS]);
		mach_port_urefs_t refs;
		mach_port_type_t t;
		kern_return_t kr;

		if (n == MACH_PORT_NULL)
			continue;
		switch (rand_r(&seed) % 5) {
		case 0:
			require_in(
			    mipc_port_type(s0, n, &t), type_codes, "type");
			require_in(mipc_port_get_refs(
			               s0, n, MACH_PORT_RIGHT_RECEIVE, &refs),
			    type_codes, "get_refs");
			break;
		case 1:
			memset(&m, 0, sizeof(m));
			require_in(
			    mipc_msg(s0, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
			        0, sizeof(m), n, 0, MACH_PORT_NULL),
			    rcv_codes, "receive");
			break;
		case 2:
			memset(&m, 0, sizeof(m));
			m.h.msgh_bits =
			    MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
			m.h.msgh_size = sizeof(m.h);
			m.h.msgh_remote_port = n;
			require_in(
			    mipc_msg(s0, &m.h,
			        MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m.h),
			        0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
			    send_codes, "send");
			break;
		default:
			/* A send right elsewhere, a dead-name request on it. */
			kr = mipc_port_insert_right(
			    s1, far, s0, n, MACH_MSG_TYPE_MAKE_SEND);
			require_in(kr, insert_codes, "insert_right");
			if (kr != KERN_SUCCESS)
				break;
			require_in(mipc_port_request_notification(s1, far,
			               MACH_NOTIFY_DEAD_NAME, 0, nport,
			               MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
			    request_codes, "request_notification");
			/* Send or dead name, all its references go. */
			MIPC_REQUIRE(mipc_port_destroy(s1, far) == KERN_SUCCESS,
			    "destroying the far name");
			drain(nport);
			break;
		}
	}
	drain(nport);
	MIPC_REQUIRE(mipc_port_destroy(s1, nport) == KERN_SUCCESS, "notify");
	return NULL;
}

START_TEST(port_flat_threads_race_users_of_names)
{
	pthread_t th[MAKERS + USERS];
	long i;

	ck_assert_int_eq(mipc_space_create(&s0), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s1), KERN_SUCCESS);
	for (i = 0; i < USERS; i++)
		ck_assert_int_eq(mipc_port_allocate(s1, MACH_PORT_RIGHT_RECEIVE,
		                     &notify_ports[i]),
		    KERN_SUCCESS);
	ck_pr_store_32(&makers_left, MAKERS);
	for (i = 0; i < MAKERS + USERS; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, i < MAKERS ? maker : user,
		        (void *)(intptr_t)i),
		    0);
	for (i = 0; i < MAKERS + USERS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	/* Most allocations and destructions found a quiet, idle space. */
	ck_assert_uint_gt(ck_pr_load_64(&flat_total), stress_iters(4000) / 2);
	for (i = 0; i < SLOTS; i++) {
		if (slot[i] != MACH_PORT_NULL)
			ck_assert_int_eq(
			    mipc_port_destroy(s0, slot[i]), KERN_SUCCESS);
		slot[i] = MACH_PORT_NULL;
	}
	ck_assert_int_eq(mipc_space_destroy(s1), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s0), KERN_SUCCESS);
}
END_TEST

/* ---- stale handles: a space destroyed and its slot reused ---------- */

/*
 * The flat paths find their space through the handle with neither a
 * reference nor an epoch section, and reread the handle under the space
 * lock (ipc_space_lock_try_handle).  Two churners make and end receive
 * rights through the handles in `live` while the main thread destroys
 * those spaces and at once creates the next, which takes the freed slot,
 * and fills it with sentinel receive rights before publishing it.  A
 * churner whose handle died under it must get KERN_INVALID_TASK, never
 * act on the next space: an allocation there would add a name before
 * the space is published, a destruction there would remove a sentinel
 * (the next space's names start at the same generations as the old one's,
 * so a stale name often names a sentinel).
 */
enum { LIVE = 2, CHURNERS = 2, SENTINELS = 32 };

static mipc_space_t live[LIVE]; /* (A) */
static uint32_t churn_stop;     /* (A) */
static uint64_t churn_flat;     /* (A) the churners' flat counts */

static void *
churner(void *arg)
{
	static const kern_return_t alloc_ok[] = { KERN_SUCCESS,
		KERN_INVALID_TASK, -1 };
	static const kern_return_t end_ok[] = { KERN_SUCCESS, KERN_INVALID_TASK,
		KERN_INVALID_NAME, KERN_INVALID_RIGHT, -1 };
	long id = (long)(intptr_t)arg, i;
	uint64_t before = ipc_port_flat_ops;

	stress_pin((int)id);
	for (i = 0; ck_pr_load_32(&churn_stop) == 0; i++) {
		mipc_space_t h = ck_pr_load_ptr(&live[i % LIVE]);
		mach_port_name_t n = MACH_PORT_NULL;
		kern_return_t kr;

		kr = mipc_port_allocate(h, MACH_PORT_RIGHT_RECEIVE, &n);
		require_in(kr, alloc_ok, "allocate");
		if (kr != KERN_SUCCESS)
			continue;
		/* The space may die meanwhile: the right goes with it. */
		if (i & 2)
			kr = mipc_port_mod_refs(
			    h, n, MACH_PORT_RIGHT_RECEIVE, -1);
		else
			kr = mipc_port_destroy(h, n);
		require_in(kr, end_ok, "destroy");
	}
	ck_pr_add_64(&churn_flat, ipc_port_flat_ops - before);
	return NULL;
}

struct sentineled {
	mipc_space_t sp;
	mach_port_name_t names[SENTINELS];
};

static void
sentineled_new(struct sentineled *s)
{
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n = 0, nt = 0;
	int i;

	ck_assert_int_eq(mipc_space_create(&s->sp), KERN_SUCCESS);
	for (i = 0; i < SENTINELS; i++)
		ck_assert_int_eq(mipc_port_allocate(s->sp,
		                     MACH_PORT_RIGHT_RECEIVE, &s->names[i]),
		    KERN_SUCCESS);
	/* Unpublished: only a stale handle could have added a name. */
	ck_assert_int_eq(
	    mipc_port_names(s->sp, &names, &n, &types, &nt), KERN_SUCCESS);
	ck_assert_uint_eq(n, SENTINELS);
	ck_assert_int_eq(mipc_vm_deallocate(mipc_thread_space(),
	                     (vm_address_t)names, n * sizeof(*names)),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_vm_deallocate(mipc_thread_space(),
	                     (vm_address_t)types, nt * sizeof(*types)),
	    KERN_SUCCESS);
}

/* Every sentinel still a receive right, then the space goes. */
static void
sentineled_end(struct sentineled *s)
{
	int i;

	for (i = 0; i < SENTINELS; i++) {
		mach_port_type_t t = 0;

		ck_assert_int_eq(
		    mipc_port_type(s->sp, s->names[i], &t), KERN_SUCCESS);
		ck_assert_uint_eq(t, MACH_PORT_TYPE_RECEIVE);
	}
	ck_assert_int_eq(mipc_space_destroy(s->sp), KERN_SUCCESS);
}

START_TEST(port_flat_threads_stale_handles_never_reach_the_next_space)
{
	struct sentineled sp[LIVE];
	pthread_t th[CHURNERS];
	long i, cycles = stress_iters(300), reused = 0;

	for (i = 0; i < LIVE; i++) {
		sentineled_new(&sp[i]);
		ck_pr_store_ptr(&live[i], sp[i].sp);
	}
	ck_pr_store_32(&churn_stop, 0);
	ck_pr_store_64(&churn_flat, 0);
	for (i = 0; i < CHURNERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, churner,
		                     (void *)(intptr_t)(i + 1)),
		    0);
	for (i = 0; i < cycles; i++) {
		struct sentineled *s = &sp[i % LIVE];
		mipc_space_t old = s->sp;

		/* Destroyed while published: churners hold its handle. */
		sentineled_end(s);
		mipc_quiesce(); /* its slot free for the next space */
		sentineled_new(s);
		reused += ((uintptr_t)s->sp & IPC_SPACE_IDX_MASK) ==
		    ((uintptr_t)old & IPC_SPACE_IDX_MASK);
		ck_pr_store_ptr(&live[i % LIVE], s->sp);
	}
	ck_pr_store_32(&churn_stop, 1);
	for (i = 0; i < CHURNERS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (i = 0; i < LIVE; i++)
		sentineled_end(&sp[i]);
	/* The race was the one meant: slots reused, the flat paths taken. */
	ck_assert_int_gt(reused, cycles / 2);
	ck_assert_uint_gt(ck_pr_load_64(&churn_flat), (uint64_t)cycles);
}
END_TEST

static Suite *
port_flat_threads_suite(void)
{
	Suite *s = suite_create("port_flat_threads");
	TCase *tc = mipc_tcase("race");

	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, port_flat_threads_race_users_of_names);
	tcase_add_test(
	    tc, port_flat_threads_stale_handles_never_reach_the_next_space);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(port_flat_threads_suite)
