/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port_flat.c -- the flat paths of mach_port_allocate(RECEIVE) and of a
 * quiet receive right's destruction by name (destroy, mod_refs(RECEIVE,
 * -1), destruct with srdelta 0): they are taken in the common case, never
 * in the cases they leave to the general path, and each of those still
 * ends as Mach says (the conformance suites cover them at length; here
 * the outcome that the flat path would get wrong).  A sweep runs a
 * receive, an allocation and a lookup by the same name from another
 * thread at every yield point of a flat destruction.
 *
 * Includes core/internal.h for ipc_port_flat_ops, the calling thread's
 * count of flat allocations and destructions (test builds).
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"
#include "internal_helpers.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

static mipc_space_t sp;

/* Before the leak check (check_mipc.h). */
static void
destroy_space(void)
{
	if (sp != NULL)
		ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
	sp = NULL;
}

static void
setup(void)
{
	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	mipc_check_before_leaks = destroy_space;
}

static mach_port_name_t
receive_in(mipc_space_t s)
{
	mach_port_name_t n = MACH_PORT_NULL;

	ck_assert_int_eq(
	    mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
	return n;
}

static mach_port_type_t
type_of(mipc_space_t s, mach_port_name_t n, kern_return_t *kr)
{
	mach_port_type_t t = 0;

	*kr = mipc_port_type(s, n, &t);
	return t;
}

static void
expect_gone(mipc_space_t s, mach_port_name_t n)
{
	kern_return_t kr;

	(void)type_of(s, n, &kr);
	ck_assert_int_eq(kr, KERN_INVALID_NAME);
}

/* One message (id `id`) expected on receive right n of s; its rights go. */
static void
expect_msg(mipc_space_t s, mach_port_name_t n, mach_msg_id_t id)
{
	union {
		mach_msg_header_t h;
		char b[512];
	} m;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(mipc_msg(s, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(m), n, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(m.h.msgh_id, id);
	mipc_msg_destroy(s, &m.h);
}

static void
send_make_send(mipc_space_t s, mach_port_name_t n)
{
	mach_msg_header_t h;

	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = n;
	h.msgh_id = 77;
	ck_assert_int_eq(mipc_msg(s, &h, MACH_SEND_MSG, sizeof(h), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* The calls that end a receive right by name, each with its own check. */
enum kill { K_DESTROY, K_MOD_REFS, K_DESTRUCT, K_NKILL };

static kern_return_t
kill_right(mipc_space_t s, mach_port_name_t n, enum kill k)
{
	switch (k) {
	case K_DESTROY:
		return mipc_port_destroy(s, n);
	case K_MOD_REFS:
		return mipc_port_mod_refs(s, n, MACH_PORT_RIGHT_RECEIVE, -1);
	default:
		return mipc_port_destruct(s, n, 0, 0);
	}
}

/*
 * The common case goes flat, by every spelling: one count for the
 * allocation, one for the destruction, and the name is gone after.
 */
START_TEST(flat_taken_for_a_quiet_receive_right)
{
	enum kill k;

	for (k = K_DESTROY; k < K_NKILL; k++) {
		uint64_t before = ipc_port_flat_ops;
		mach_port_name_t n = receive_in(sp);

		ck_assert_uint_eq(ipc_port_flat_ops, before + 1);
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before + 2);
		expect_gone(sp, n);
	}
}
END_TEST

/*
 * A name the space does not know, a destroyed space, a bad right: the
 * general path's codes, and nothing counted as flat.
 */
START_TEST(flat_not_taken_for_bad_names_or_spaces)
{
	mach_port_name_t n = receive_in(sp), set;
	uint64_t before;
	mipc_space_t dead;

	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n + 4), KERN_INVALID_NAME);
	ck_assert_int_eq(
	    mipc_port_mod_refs(sp, set, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	ck_assert_int_eq(mipc_port_destruct(sp, set, 0, 0), KERN_INVALID_RIGHT);
	ck_assert_int_eq(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE, -2),
	    KERN_INVALID_VALUE);
	ck_assert_int_eq(mipc_port_destroy(sp, MACH_PORT_NULL), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_destroy(NULL, n), MACH_SEND_INVALID_DEST);
	ck_assert_uint_eq(ipc_port_flat_ops, before);

	ck_assert_int_eq(mipc_space_create(&dead), KERN_SUCCESS);
	n = receive_in(dead);
	ck_assert_int_eq(mipc_space_destroy(dead), KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_allocate(dead, MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_INVALID_TASK);
	ck_assert_int_eq(mipc_port_destroy(dead, n), KERN_INVALID_TASK);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
}
END_TEST

/* C4, B18: a send right under the same name is the general path's. */
START_TEST(flat_not_taken_with_a_send_right_under_the_name)
{
	enum kill k;

	for (k = K_DESTROY; k < K_NKILL; k++) {
		mach_port_name_t n = receive_in(sp);
		mach_port_type_t t;
		uint64_t before;
		kern_return_t kr;

		ck_assert_int_eq(mipc_port_insert_right(
		                     sp, n, sp, n, MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
		before = ipc_port_flat_ops;
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before);
		t = type_of(sp, n, &kr);
		if (k == K_DESTROY) {
			ck_assert_int_eq(kr, KERN_INVALID_NAME); /* C4 */
		} else {
			/* B18, Q7: the send right stays, a dead name. */
			ck_assert_int_eq(kr, KERN_SUCCESS);
			ck_assert_uint_eq(t, MACH_PORT_TYPE_DEAD_NAME);
			ck_assert_int_eq(
			    mipc_port_deallocate(sp, n), KERN_SUCCESS);
		}
	}
}
END_TEST

/* A send right in another space: it becomes a dead name there (C6). */
START_TEST(flat_not_taken_with_a_send_right_elsewhere)
{
	mach_port_name_t n = receive_in(sp), far = 0x1103;
	mach_port_type_t t;
	mipc_space_t other;
	uint64_t before;
	kern_return_t kr;

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_insert_right(other, far, sp, n, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	t = type_of(other, far, &kr);
	ck_assert_int_eq(kr, KERN_SUCCESS);
	ck_assert_uint_eq(t, MACH_PORT_TYPE_DEAD_NAME);
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
}
END_TEST

/*
 * Armed requests: no-senders (sync 1, so that it stays armed; C6(g):
 * its send-once right dies unused),
 * port-destroyed (P6: the right goes to the backup instead of dying),
 * dead-name from a space holding a send right (C6(e)).
 */
START_TEST(flat_not_taken_with_requests_armed)
{
	mach_port_name_t n, nf = receive_in(sp), prev, far = 0x2203, fnf;
	mipc_space_t other;
	uint64_t before;

	n = receive_in(sp);
	ck_assert_int_eq(
	    mipc_port_request_notification(sp, n, MACH_NOTIFY_NO_SENDERS, 1, nf,
	        MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_msg(sp, nf, MACH_NOTIFY_SEND_ONCE);

	n = receive_in(sp);
	ck_assert_int_eq(
	    mipc_port_request_notification(sp, n, MACH_NOTIFY_PORT_DESTROYED, 0,
	        nf, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_gone(sp, n);
	/* The receive right arrives in the notification; destroyed with it. */
	expect_msg(sp, nf, MACH_NOTIFY_PORT_DESTROYED);

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	n = receive_in(sp);
	ck_assert_int_eq(
	    mipc_port_insert_right(other, far, sp, n, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	/* After the fixed name is taken: a random name could have been it. */
	fnf = receive_in(other);
	ck_assert_int_eq(
	    mipc_port_request_notification(other, far, MACH_NOTIFY_DEAD_NAME, 0,
	        fnf, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destruct(sp, n, 0, 0), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_msg(other, fnf, MACH_NOTIFY_DEAD_NAME);
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
}
END_TEST

/* A queued message (C6(b): destroyed with the port), a set (C3). */
START_TEST(flat_not_taken_with_a_queue_or_a_set)
{
	mach_port_name_t n = receive_in(sp), set, *members = NULL;
	mach_msg_type_number_t cnt = 99;
	mach_port_status_t st;
	mach_msg_type_number_t scnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	uint64_t before;

	send_make_send(sp, n); /* the send right goes with the message */
	ck_assert_int_eq(
	    mipc_port_get_attributes(
	        sp, n, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &scnt),
	    KERN_SUCCESS);
	ck_assert_uint_eq(st.mps_msgcount, 1);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_gone(sp, n);

	n = receive_in(sp);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_insert_member(sp, n, set), KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	ck_assert_int_eq(
	    mipc_port_get_set_status(sp, set, &members, &cnt), KERN_SUCCESS);
	ck_assert_uint_eq(cnt, 0);
	if (members != NULL)
		(void)vm_deallocate(mach_task_self(), (vm_address_t)members, 0);
}
END_TEST

static unsigned int guards_seen;

static void
guard_count(mipc_space_t space, mach_port_name_t name, uint64_t flavor,
    uint64_t payload, void *ctx)
{
	(void)space;
	(void)name;
	(void)payload;
	(void)ctx;
	if (flavor == kGUARD_EXC_DESTROY)
		guards_seen++;
}

/* A guarded port (C5, B17, Q8) and a context without a guard. */
START_TEST(flat_not_taken_guarded_or_with_context)
{
	mach_port_options_t o;
	mach_port_name_t n;
	uint64_t before;

	mipc_set_guard_handler(guard_count, NULL);
	memset(&o, 0, sizeof(o));
	o.flags = MPO_CONTEXT_AS_GUARD;
	ck_assert_int_eq(mipc_port_construct(sp, &o, 0x77, &n), KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_INVALID_RIGHT); /* C5 */
	ck_assert_int_eq(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT); /* B17 */
	ck_assert_int_eq(
	    mipc_port_destruct(sp, n, 0, 0x76), KERN_INVALID_ARGUMENT); /* Q8 */
	ck_assert_uint_eq(guards_seen, 3);
	ck_assert_int_eq(mipc_port_destruct(sp, n, 0, 0x77), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_gone(sp, n);

	n = receive_in(sp);
	ck_assert_int_eq(mipc_port_set_context(sp, n, 0x55), KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_gone(sp, n);
	ck_assert_uint_eq(guards_seen, 3);
	mipc_set_guard_handler(NULL, NULL);
}
END_TEST

/* A special reply port (S2): its death unlinks it, the general path's. */
START_TEST(flat_not_taken_for_a_special_reply_port)
{
	mach_port_name_t n;
	uint64_t before;

	ck_assert_int_eq(
	    mipc_port_allocate_init(sp, MIPC_PORT_INIT_SPECIAL_REPLY, &n),
	    KERN_SUCCESS);
	before = ipc_port_flat_ops;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops, before);
	expect_gone(sp, n);
}
END_TEST

/*
 * An allocation whose table must grow takes the general path with the
 * port already made; every name is distinct and each port dies flat.
 */
START_TEST(flat_allocate_falls_back_when_the_table_grows)
{
	enum { N = 200 };
	mach_port_name_t n[N];
	uint64_t before = ipc_port_flat_ops;
	int i, j;

	for (i = 0; i < N; i++) {
		n[i] = receive_in(sp);
		for (j = 0; j < i; j++)
			MIPC_REQUIRE(n[j] != n[i], "name %#x twice", n[i]);
	}
	ck_assert_uint_lt(ipc_port_flat_ops - before, N);
	ck_assert_uint_gt(ipc_port_flat_ops - before, N / 2);
	before = ipc_port_flat_ops;
	for (i = 0; i < N; i++)
		ck_assert_int_eq(mipc_port_destroy(sp, n[i]), KERN_SUCCESS);
	ck_assert_uint_eq(ipc_port_flat_ops - before, N);
}
END_TEST

/* ---- the port's death without its lock (ipc_port_destroy_quiet) ----- */

/*
 * A send-once right elsewhere holds a reference the flat path's checks
 * under the space lock do not look at: the port must die through the
 * general path (its lock), the send-once right turning into a dead name.
 * Dying unlocked and unreferenced instead, it would be freed under that
 * right (ASan) and the right would not see its death.
 */
START_TEST(flat_destroy_with_a_send_once_right_elsewhere_kills_it)
{
	enum kill k;
	mipc_space_t other;

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	for (k = K_DESTROY; k < K_NKILL; k++) {
		mach_port_name_t n = receive_in(sp), so = MACH_PORT_NULL;
		mach_msg_type_name_t t;
		uint64_t before;
		kern_return_t kr;

		ck_assert_int_eq(
		    mipc_port_extract_right(
		        sp, n, MACH_MSG_TYPE_MAKE_SEND_ONCE, other, &so, &t),
		    KERN_SUCCESS);
		before = ipc_port_flat_ops;
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before + 1);
		expect_gone(sp, n);
		mipc_quiesce(); /* a port retired early would be freed now */
		ck_assert_uint_eq(
		    type_of(other, so, &kr), MACH_PORT_TYPE_DEAD_NAME);
		ck_assert_int_eq(kr, KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_deallocate(other, so), KERN_SUCCESS);
	}
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
}
END_TEST

/*
 * A waitfd mirrors the port's queue with no reference of its own: the
 * port is the flat path's and its reference the only one, but the
 * descriptor must vanish with it -- the recheck after the port became
 * the caller's alone finds it and gives the death to the general path.
 */
START_TEST(flat_destroy_of_a_port_with_a_waitfd_vanishes_it)
{
	enum kill k;

	for (k = K_DESTROY; k < K_NKILL; k++) {
		mach_port_name_t n = receive_in(sp);
		struct pollfd p = { .events = POLLIN | POLLOUT };
		uint64_t before;
		int fd = -1;

		ck_assert_int_eq(mipc_port_get_fd(sp, n, &fd), KERN_SUCCESS);
		p.fd = fd;
		ck_assert_int_eq(poll(&p, 1, 0), 1);
		ck_assert_int_eq(p.revents, POLLOUT); /* nothing queued */
		before = ipc_port_flat_ops;
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before + 1);
		expect_gone(sp, n);
		/* Vanished: readable for good, POLLOUT gone. */
		ck_assert_int_eq(poll(&p, 1, 0), 1);
		ck_assert_int_eq(p.revents, POLLIN);
		ck_assert_uint_eq(ipc_waitfd_live(), 0);
		close(fd);
	}
}
END_TEST

/*
 * What only the recheck after the CAS sees (ipc_port_quiet): for each
 * state a port whose entry holds its only reference can be in, the
 * destruction must give the port the general death, which
 *   - destroys a message queued by the send fast path (it borrows the
 *     port: no reference) -- its send-once reply right dies, and the
 *     reply port gets MACH_NOTIFY_SEND_ONCE;
 *   - drops an armed no-senders request (its send-once right dies
 *     unused: MACH_NOTIFY_SEND_ONCE on the notify port);
 *   - and a port that never had either dies quietly (the flat count).
 * A quiet death of the first two would lose the notification (and leak
 * the message: ASan).  Each kill spelling, each state.
 */
static void
send_with_reply(mipc_space_t s, mach_port_name_t n, mach_port_name_t reply)
{
	mach_msg_header_t h;

	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
	    reply != MACH_PORT_NULL ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = n;
	h.msgh_local_port = reply;
	h.msgh_id = 78;
	ck_assert_int_eq(mipc_msg(s, &h, MACH_SEND_MSG, sizeof(h), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

START_TEST(flat_destroy_recheck_finds_each_busy_state)
{
	enum kill k;
	mach_port_name_t nf = receive_in(sp), far = 0x4403, fnf;
	mipc_space_t other;

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	fnf = receive_in(other);
	for (k = K_DESTROY; k < K_NKILL; k++) {
		mach_port_name_t n = receive_in(sp), prev;
		mach_port_status_t st;
		mach_msg_type_number_t scnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		uint64_t before;

		/* A queued message whose reply right must die with it, sent
		 * through a send right that is gone since. */
		ck_assert_int_eq(mipc_port_insert_right(other, far, sp, n,
		                     MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
		/* The first message makes the ring (the general send path);
		 * the second takes the fast path, which borrows the port. */
		send_with_reply(other, far, MACH_PORT_NULL);
		expect_msg(sp, n, 78);
		send_with_reply(other, far, fnf);
		ck_assert_int_eq(
		    mipc_port_deallocate(other, far), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_get_attributes(sp, n, MACH_PORT_RECEIVE_STATUS,
		        (mach_port_info_t)&st, &scnt),
		    KERN_SUCCESS);
		ck_assert_uint_eq(st.mps_msgcount, 1);
		before = ipc_port_flat_ops;
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before);
		expect_gone(sp, n);
		expect_msg(other, fnf, MACH_NOTIFY_SEND_ONCE);

		/* An armed no-senders request: its right dies unused. */
		n = receive_in(sp);
		ck_assert_int_eq(mipc_port_request_notification(sp, n,
		                     MACH_NOTIFY_NO_SENDERS, 1, nf,
		                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
		    KERN_SUCCESS);
		before = ipc_port_flat_ops;
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before);
		expect_gone(sp, n);
		expect_msg(sp, nf, MACH_NOTIFY_SEND_ONCE);

		/* Neither: quiet. */
		n = receive_in(sp);
		before = ipc_port_flat_ops;
		ck_assert_int_eq(kill_right(sp, n, k), KERN_SUCCESS);
		ck_assert_uint_eq(ipc_port_flat_ops, before + 1);
		expect_gone(sp, n);
	}
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
}
END_TEST

/* ---- a stale handle whose slot holds the next space ----------------- */

/*
 * The flat paths find their space through its handle with neither a
 * reference nor an epoch section and reread the handle under the space
 * lock (ipc_space_lock_try_handle).  Here the slot is reused between the
 * first read and the lock: the old handle must be refused as destroyed
 * and the new space left untouched.  Without the reread the allocation
 * would land in the new space and the destruction would kill its port.
 */
struct reuse {
	mipc_space_t old, fresh;
	mach_port_name_t name; /* installed in fresh when not NULL */
	bool armed;
	unsigned int hits;
};

static struct reuse *reuse_now;

static void
reuse_hook(enum ipc_yield_point point)
{
	struct reuse *r = reuse_now;

	if (point != IPC_YIELD_LOOKUP || r == NULL || !r->armed)
		return;
	r->armed = false;
	r->hits++;
	ck_assert_int_eq(mipc_space_destroy(r->old), KERN_SUCCESS);
	mipc_quiesce(); /* the old slot back on the free list */
	ck_assert_int_eq(mipc_space_create(&r->fresh), KERN_SUCCESS);
	ck_assert_uint_eq((uintptr_t)r->fresh & IPC_SPACE_IDX_MASK,
	    (uintptr_t)r->old & IPC_SPACE_IDX_MASK);
	ck_assert_ptr_ne(r->fresh, r->old);
	if (r->name != MACH_PORT_NULL)
		ck_assert_int_eq(mipc_port_allocate_name(r->fresh,
		                     MACH_PORT_RIGHT_RECEIVE, r->name),
		    KERN_SUCCESS);
}

static mach_msg_type_number_t
names_in(mipc_space_t s)
{
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n = 0, nt = 0;

	ck_assert_int_eq(
	    mipc_port_names(s, &names, &n, &types, &nt), KERN_SUCCESS);
	if (n != 0)
		ck_assert_int_eq(mipc_vm_deallocate(mipc_thread_space(),
		                     (vm_address_t)names, n * sizeof(*names)),
		    KERN_SUCCESS);
	if (nt != 0)
		ck_assert_int_eq(mipc_vm_deallocate(mipc_thread_space(),
		                     (vm_address_t)types, nt * sizeof(*types)),
		    KERN_SUCCESS);
	return n;
}

START_TEST(flat_allocate_through_a_reused_slot_refused)
{
	struct reuse r = { 0 };
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t kr;

	ck_assert_int_eq(mipc_space_create(&r.old), KERN_SUCCESS);
	reuse_now = &r;
	ipc_yield_hook = reuse_hook;
	r.armed = true;
	kr = mipc_port_allocate(r.old, MACH_PORT_RIGHT_RECEIVE, &n);
	ipc_yield_hook = NULL;
	reuse_now = NULL;
	ck_assert_uint_eq(r.hits, 1);
	ck_assert_int_eq(kr, KERN_INVALID_TASK);
	ck_assert_uint_eq(names_in(r.fresh), 0);
	/* The old handle stays refused, flat or not. */
	ck_assert_int_eq(mipc_port_allocate(r.old, MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_INVALID_TASK);
	ck_assert_uint_eq(names_in(r.fresh), 0);
	ck_assert_int_eq(mipc_space_destroy(r.fresh), KERN_SUCCESS);
}
END_TEST

START_TEST(flat_destroy_through_a_reused_slot_refused)
{
	struct reuse r = { 0 };
	kern_return_t kr;

	ck_assert_int_eq(mipc_space_create(&r.old), KERN_SUCCESS);
	r.name = receive_in(r.old);
	reuse_now = &r;
	ipc_yield_hook = reuse_hook;
	r.armed = true;
	kr = mipc_port_destroy(r.old, r.name);
	ipc_yield_hook = NULL;
	reuse_now = NULL;
	ck_assert_uint_eq(r.hits, 1);
	ck_assert_int_eq(kr, KERN_INVALID_TASK);
	/* The fresh space's right under the same name is alive. */
	ck_assert_uint_eq(
	    type_of(r.fresh, r.name, &kr), MACH_PORT_TYPE_RECEIVE);
	ck_assert_int_eq(kr, KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_destroy(r.old, r.name), KERN_INVALID_TASK);
	ck_assert_uint_eq(
	    type_of(r.fresh, r.name, &kr), MACH_PORT_TYPE_RECEIVE);
	ck_assert_int_eq(mipc_space_destroy(r.fresh), KERN_SUCCESS);
}
END_TEST

/* ---- another thread at every yield point of a flat destruction ------ */

struct race {
	mach_port_name_t victim, fresh;
	kern_return_t kr, akr, tkr;
	mach_msg_return_t mr;
	mach_port_type_t type;
	uint64_t flat;
};

static void
race_destroy(void *arg)
{
	struct race *r = arg;
	uint64_t before = ipc_port_flat_ops;

	r->kr = mipc_port_destroy(sp, r->victim);
	r->flat = ipc_port_flat_ops - before;
}

/* A receive from sp's n of up to 256 bytes, waiting at most ms. */
static mach_msg_return_t
receive_within(mach_port_name_t n, mach_msg_timeout_t ms)
{
	union {
		mach_msg_header_t h;
		char b[256];
	} m;

	memset(&m, 0, sizeof(m));
	return mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    n, ms, MACH_PORT_NULL);
}

static void
race_users(void *arg)
{
	struct race *r = arg;

	r->mr = receive_within(r->victim, 0);
	r->tkr = mipc_port_type(sp, r->victim, &r->type);
	r->akr = mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &r->fresh);
}

START_TEST(flat_destroy_races_users_of_the_name)
{
	unsigned int nth;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct race r = { 0 };
		kern_return_t kr;

		r.victim = receive_in(sp);
		reached = interleave_at(nth, race_destroy, &r, race_users, &r);
		ck_assert_int_eq(r.kr, KERN_SUCCESS);
		ck_assert_uint_eq(r.flat, 1);
		ck_assert_msg(r.mr == MACH_RCV_TIMED_OUT ||
		        r.mr == MACH_RCV_INVALID_NAME ||
		        r.mr == MACH_RCV_PORT_DIED,
		    "yield point %u: receive returned %#x", nth, r.mr);
		ck_assert_msg(r.tkr == KERN_INVALID_NAME ||
		        (r.tkr == KERN_SUCCESS &&
		            r.type == MACH_PORT_TYPE_RECEIVE),
		    "yield point %u: type returned %#x, %#x", nth, r.tkr,
		    r.type);
		ck_assert_int_eq(r.akr, KERN_SUCCESS);
		ck_assert_uint_ne(r.fresh, r.victim);
		expect_gone(sp, r.victim);
		ck_assert_uint_eq(
		    type_of(sp, r.fresh, &kr), MACH_PORT_TYPE_RECEIVE);
		ck_assert_int_eq(kr, KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(sp, r.fresh), KERN_SUCCESS);
	}
	ck_assert_uint_gt(nth, 3);
}
END_TEST

/*
 * A quiet port's count is erased, not CASed (space.h, "References taken
 * lock-free on a port that may die quietly"): a blocking receive by its
 * name, whose lock-free reference_try may land between the destroyer's
 * read of the count and its store of 0, must tell that its reference was
 * erased and find the name gone -- or hold a real one and be woken by the
 * death (K6).  Erased but believed, it would wait on a dead port that nobody
 * wakes (MACH_RCV_TIMED_OUT) with a reference that no longer counts.  The
 * sweep runs the receive at every yield point of the flat destruction,
 * one of them between the destroyer's read and its store.
 */
static void
race_blocking_receive(void *arg)
{
	struct race *r = arg;

	r->mr = receive_within(r->victim, 500);
}

START_TEST(flat_destroy_erased_reference_is_told)
{
	unsigned int nth;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct race r = { 0 };

		r.victim = receive_in(sp);
		reached = interleave_at(
		    nth, race_destroy, &r, race_blocking_receive, &r);
		ck_assert_int_eq(r.kr, KERN_SUCCESS);
		/* K6: a receiver blocked on it when it dies: PORT_CHANGED. */
		ck_assert_msg(r.mr == MACH_RCV_INVALID_NAME ||
		        r.mr == MACH_RCV_PORT_DIED ||
		        r.mr == MACH_RCV_PORT_CHANGED,
		    "yield point %u: receive returned %#x", nth, r.mr);
		expect_gone(sp, r.victim);
	}
	ck_assert_uint_gt(nth, 3);
}
END_TEST

/*
 * The same for the send fast path's reference on a reply port made from a
 * receive right (MAKE_SEND_ONCE): the message is sent with the reply right
 * (a real reference: the reply right dies with the message) or refused
 * (MACH_SEND_INVALID_REPLY).  Erased but believed, the message would carry
 * a reference the port no longer counts, released after the port's memory
 * went back (ASan), or never (the leak check).
 */
static void
race_send_with_reply(void *arg)
{
	struct race *r = arg;
	mach_msg_header_t h;

	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = r->fresh;
	h.msgh_local_port = r->victim;
	h.msgh_id = 78;
	r->mr = mipc_msg(sp, &h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0,
	    MACH_PORT_NULL);
}

START_TEST(flat_destroy_erased_reply_reference_is_told)
{
	mach_port_name_t dest = receive_in(sp);
	unsigned int nth;
	bool reached = true;

	ck_assert_int_eq(
	    mipc_port_insert_right(sp, dest, sp, dest, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	/* The general send path makes the ring; the race's sends are fast. */
	send_with_reply(sp, dest, MACH_PORT_NULL);
	expect_msg(sp, dest, 78);
	for (nth = 1; reached; nth++) {
		struct race r = { .fresh = dest };

		r.victim = receive_in(sp);
		reached = interleave_at(
		    nth, race_destroy, &r, race_send_with_reply, &r);
		ck_assert_int_eq(r.kr, KERN_SUCCESS);
		ck_assert_msg(
		    r.mr == MACH_MSG_SUCCESS || r.mr == MACH_SEND_INVALID_REPLY,
		    "yield point %u: send returned %#x", nth, r.mr);
		expect_gone(sp, r.victim);
		/* Retired ports freed (poisoned while kept, ASan): a release
		 * of an erased reference below would touch one. */
		mipc_quiesce();
		if (r.mr == MACH_MSG_SUCCESS)
			expect_msg(sp, dest, 78); /* the reply right dies */
	}
	ck_assert_uint_gt(nth, 3);
}
END_TEST

/*
 * Only erasing holds are waited for.  A reader whose reference_try saw
 * its port's space locked by another holder -- here a destroy that sends
 * a receive right to its port-destroyed backup, which waits one grace
 * period with that space's lock held (ipc_epoch_wait_readers) -- must not
 * wait for that hold inside its epoch section: the holder waits for the
 * section.  The receive (a real reference, on another port of the space)
 * times out; a reader that waited for any hold would deadlock with the
 * destroy (the case's timeout).  The sweep runs the receive at every
 * yield point of the destroy.
 */
struct pd_race {
	mach_port_name_t victim, backup, other;
	kern_return_t kr;
	mach_msg_return_t mr;
};

static void
pd_race_destroy(void *arg)
{
	struct pd_race *r = arg;

	r->kr = mipc_port_destroy(sp, r->victim);
}

static void
pd_race_receive(void *arg)
{
	struct pd_race *r = arg;

	r->mr = receive_within(r->other, 20);
}

START_TEST(reader_does_not_wait_for_a_hold_that_waits_for_readers)
{
	struct pd_race r = { 0 };
	unsigned int nth;
	bool reached = true;

	r.backup = receive_in(sp);
	r.other = receive_in(sp);
	for (nth = 1; reached; nth++) {
		mach_port_name_t prev = MACH_PORT_NULL;
		union {
			mach_msg_header_t h;
			char b[256];
		} m;

		r.victim = receive_in(sp);
		ck_assert_int_eq(mipc_port_request_notification(sp, r.victim,
		                     MACH_NOTIFY_PORT_DESTROYED, 0, r.backup,
		                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
		    KERN_SUCCESS);
		reached = interleave_at(
		    nth, pd_race_destroy, &r, pd_race_receive, &r);
		ck_assert_int_eq(r.kr, KERN_SUCCESS);
		ck_assert_msg(r.mr == MACH_RCV_TIMED_OUT,
		    "yield point %u: receive returned %#x", nth, r.mr);
		/* The backup has the receive right: destroyed with it. */
		memset(&m, 0, sizeof(m));
		ck_assert_int_eq(
		    mipc_msg(sp, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(m), r.backup, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(m.h.msgh_id, MACH_NOTIFY_PORT_DESTROYED);
		mipc_msg_destroy(sp, &m.h);
	}
	ck_assert_uint_gt(nth, 3);
}
END_TEST

/*
 * A port's memory goes back to the port cache in its constructed state
 * (port.c, "Constructed state"), and ipc_port_alloc stores only what a
 * life may leave changed: ports that lived every kind of life -- a queue
 * (ring), a dead-name request (request table), a set, a context, a strict
 * guard, a qlimit, a sequence number, a make-send count, a no-senders
 * request, an immovable receive right, the reply-port flags -- die, their
 * memory is freed (mipc_quiesce), and the ports made next, on the same
 * memory as the caches are LIFO, all start as new.  Test builds also
 * check the state at each free and allocation.
 */
START_TEST(ports_reused_after_full_lives_start_new)
{
	enum { LIVES = 11, NEW = 64 };
	mach_port_name_t n[LIVES], nf, fnf, set, far = 0x3303, prev;
	mach_port_limits_t lim = { .mpl_qlimit = 3 };
	mach_port_options_t o;
	mipc_space_t other;
	int i;

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	nf = receive_in(sp);
	for (i = 0; i < LIVES; i++) {
		memset(&o, 0, sizeof(o));
		if (i == 4)
			o.flags = MPO_CONTEXT_AS_GUARD | MPO_STRICT;
		else if (i == 9)
			o.flags = MPO_IMMOVABLE_RECEIVE;
		else if (i == 10)
			o.flags = MPO_REPLY_PORT;
		ck_assert_int_eq(
		    mipc_port_construct(sp, &o, i == 4 ? 0x99 : 0, &n[i]),
		    KERN_SUCCESS);
	}
	send_make_send(sp, n[0]); /* a ring, a message left queued */
	ck_assert_int_eq(mipc_port_insert_right(
	                     other, far, sp, n[1], MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	fnf = receive_in(other); /* after far: a random name could be it */
	ck_assert_int_eq(
	    mipc_port_request_notification(other, far, MACH_NOTIFY_DEAD_NAME, 0,
	        fnf, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_insert_member(sp, n[2], set), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_set_context(sp, n[3], 0x55), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_set_attributes(sp, n[5], MACH_PORT_LIMITS_INFO,
	        (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_set_seqno(sp, n[6], 1234), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_insert_right(sp, n[7], sp, n[7], MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_deallocate(sp, n[7]), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_request_notification(sp, n[8], MACH_NOTIFY_NO_SENDERS, 1,
	        nf, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	for (i = 0; i < LIVES; i++) {
		if (i == 4)
			ck_assert_int_eq(mipc_port_destruct(sp, n[i], 0, 0x99),
			    KERN_SUCCESS);
		else
			ck_assert_int_eq(
			    mipc_port_destroy(sp, n[i]), KERN_SUCCESS);
	}
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
	mipc_quiesce(); /* their memory back to the cache */

	for (i = 0; i < NEW; i++) {
		mach_port_status_t st;
		mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		mach_port_context_t ctx = 1;
		struct ipc_port *port;

		n[0] = receive_in(sp);
		port = port_of(sp, n[0]);
		ck_assert_int_eq(
		    mipc_port_get_attributes(sp, n[0], MACH_PORT_RECEIVE_STATUS,
		        (mach_port_info_t)&st, &cnt),
		    KERN_SUCCESS);
		ck_assert_uint_eq(st.mps_seqno, 0);
		ck_assert_uint_eq(st.mps_mscount, 0);
		ck_assert_uint_eq(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
		ck_assert_uint_eq(st.mps_msgcount, 0);
		ck_assert_uint_eq(st.mps_sorights, 0);
		ck_assert(
		    !st.mps_srights && !st.mps_pdrequest && !st.mps_nsrequest);
		ck_assert_uint_eq(st.mps_flags, 0);
		ck_assert_int_eq(
		    mipc_port_get_context(sp, n[0], &ctx), KERN_SUCCESS);
		ck_assert_uint_eq(ctx, 0);
		ck_assert_ptr_null(port->ip_mq.imq_ring);
		ck_assert_ptr_null(port->ip_requests);
		ck_assert_ptr_null(port->ip_psets);
		ck_assert_uint_eq(port->ip_flags, 0);
		ck_assert_uint_eq(port->ip_cflags, 0);
		ck_assert_uint_eq(port->ip_object.io_refs, 1);
	}
	expect_msg(sp, nf, MACH_NOTIFY_SEND_ONCE); /* n[8]'s request */
}
END_TEST

static Suite *
port_flat_suite(void)
{
	Suite *s = suite_create("port_flat");
	TCase *tc = mipc_tcase("taken");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, flat_taken_for_a_quiet_receive_right);
	tcase_add_test(tc, flat_not_taken_for_bad_names_or_spaces);
	tcase_add_test(tc, flat_not_taken_with_a_send_right_under_the_name);
	tcase_add_test(tc, flat_not_taken_with_a_send_right_elsewhere);
	tcase_add_test(tc, flat_not_taken_with_requests_armed);
	tcase_add_test(tc, flat_not_taken_with_a_queue_or_a_set);
	tcase_add_test(tc, flat_not_taken_guarded_or_with_context);
	tcase_add_test(tc, flat_not_taken_for_a_special_reply_port);
	tcase_add_test(tc, flat_allocate_falls_back_when_the_table_grows);
	tcase_add_test(
	    tc, flat_destroy_with_a_send_once_right_elsewhere_kills_it);
	tcase_add_test(tc, flat_destroy_of_a_port_with_a_waitfd_vanishes_it);
	tcase_add_test(tc, flat_destroy_recheck_finds_each_busy_state);
	tcase_add_test(tc, flat_allocate_through_a_reused_slot_refused);
	tcase_add_test(tc, flat_destroy_through_a_reused_slot_refused);
	tcase_add_test(tc, ports_reused_after_full_lives_start_new);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("races");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, flat_destroy_races_users_of_the_name);
	tcase_add_test(tc, flat_destroy_erased_reference_is_told);
	tcase_add_test(tc, flat_destroy_erased_reply_reference_is_told);
	tcase_add_test(
	    tc, reader_does_not_wait_for_a_hold_that_waits_for_readers);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(port_flat_suite)
