/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * s_special_reply.c -- MACH.md area S (special reply ports: S1, S2, S4,
 * S5), the port-creation flags that make them (mipc_port_allocate_init),
 * immovable send rights (Q15) and no-grant ports (M2's
 * MACH_SEND_NO_GRANT_DEST).
 *
 * One test per numbered behaviour and case, named <item>_<case>; INIT_*
 * for mipc_port_allocate_init, NO_GRANT_* for no-grant ports.  Guard
 * exceptions are recorded by the handler conformance.h installs; a test
 * that expects one resets the recorder just before the violating call.
 * S3 (priority linkage) needs turnstiles, not built yet: nothing here
 * depends on it, as no return code does.
 *
 * The INIT_message_queue tests include core/internal.h: a queue allocated
 * at creation is visible only as memory (the IPC_KIND_MISC counter) and as
 * a first send that no allocation failure can stop (failure injection).
 * They and S1_no_memory_null form the test case tagged "hooks", which the
 * run against the shipped library excludes (check_mipc.h).
 */
#include "msg_helpers.h"

#include "internal.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ALL_INIT_FLAGS                                                     \
	(MIPC_PORT_INIT_MAKE_SEND_RIGHT | MIPC_PORT_INIT_MESSAGE_QUEUE |   \
	    MIPC_PORT_INIT_SPECIAL_REPLY | MIPC_PORT_INIT_IMMOVABLE_SEND | \
	    MIPC_PORT_INIT_NO_GRANT)

/* ---- helpers -------------------------------------------------------------- */

static mach_port_name_t
init_new(mipc_space_t sp, uint32_t flags)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_EQ(mipc_port_allocate_init(sp, flags, &n), KERN_SUCCESS);
	ck_assert_msg(MACH_PORT_VALID(n), "allocate_init gave 0x%x", n);
	return n;
}

static mach_port_name_t
srp_new(void)
{
	mach_port_name_t n = thread_get_special_reply_port();

	ck_assert_msg(MACH_PORT_VALID(n), "special reply port 0x%x", n);
	return n;
}

/* A MACH_RCV_SYNC_WAIT receive on `name` with sync peer `peer`, no wait. */
static mach_msg_return_t
sync_recv(
    mipc_space_t sp, msg_buf_t *b, mach_port_name_t name, mach_port_name_t peer)
{
	msg_fill(b, MSG_FILL);
	return msg_call(sp, &b->h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_SYNC_WAIT, 0,
	    (mach_msg_size_t)sizeof(*b), name, 0, peer);
}

/* Drain and destroy every message queued on `r`; how many there were. */
static unsigned
drain(mipc_space_t sp, mach_port_name_t r)
{
	msg_buf_t b;
	unsigned n = 0;

	while (msg_recv(sp, &b, (mach_msg_size_t)sizeof(b), r, 0) ==
	    MACH_MSG_SUCCESS) {
		mipc_msg_destroy(sp, &b.h);
		n++;
	}
	return n;
}

/* A complex message to `dest` (COPY_SEND) with one OOL ports descriptor. */
static mach_msg_size_t
msg_init_ool_ports(msg_buf_t *b, mach_port_name_t dest, mach_port_name_t *names,
    mach_msg_size_t count, mach_msg_type_name_t disp)
{
	mach_msg_ool_ports_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.address = names;
	d.count = count;
	d.disposition = disp;
	d.copy = MACH_MSG_PHYSICAL_COPY;
	d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	msg_init(b,
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    dest, MACH_PORT_NULL, 7);
	b->base.body.msgh_descriptor_count = 1;
	memcpy(b->bytes + BASE_SIZE, &d, sizeof(d));
	b->h.msgh_size = BASE_SIZE + (mach_msg_size_t)sizeof(d);
	return b->h.msgh_size;
}

/* The same slot under the next generation: a legal name naming nothing. */
static mach_port_name_t
other_gen(mach_port_name_t name)
{
	return (name & ~0xffu) | ((name + 4u) & 0xffu);
}

/*
 * A send-once right to the special reply port `s` of `sp`, made the only
 * way R1 allows: as the MAKE_SEND_ONCE reply of a request, here to a
 * helper port of `sp` (*helper, receive + send).
 */
static mach_port_name_t
srp_send_once(mipc_space_t sp, mach_port_name_t s, mach_port_name_t *helper)
{
	msg_buf_t b;

	*helper = init_new(sp, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	KR_EQ(send_hdr(sp,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	          *helper, s, 1),
	    MACH_MSG_SUCCESS);
	RECV_OK(sp, &b, *helper, 0);
	VAL_EQ(type_of(sp, b.h.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
	return b.h.msgh_remote_port;
}

/* An immovable-send port: receive + send (1 uref) in `sp`. */
static mach_port_name_t
imm_new(mipc_space_t sp)
{
	return init_new(
	    sp, MIPC_PORT_INIT_IMMOVABLE_SEND | MIPC_PORT_INIT_MAKE_SEND_RIGHT);
}

/* c still holds exactly its receive right and one send uref. */
static void
imm_intact(mipc_space_t sp, mach_port_name_t c)
{
	VAL_EQ(type_of(sp, c), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(sp, c, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(sp, c), 1);
}

/* ---- mipc_port_allocate_init ---------------------------------------------- */

START_TEST(INIT_no_flags_plain_receive_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = init_new(task, 0);
	mach_port_status_t st = status_of(task, r);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_srights, 0);
	VAL_EQ(st.mps_flags, 0);
	VAL_EQ(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(name_count(task), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(INIT_make_send_right_one_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_RECEIVE), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 1);
	/* An ordinary send right: it sends, and goes with one deallocate. */
	SEND_OK(task, r, MACH_MSG_TYPE_COPY_SEND, 1);
	VAL_EQ(drain(task, r), 1);
	KR_EQ(mipc_port_deallocate(task, r), KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(srights_of(task, r), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(INIT_message_queue_allocated_at_creation)
{
	mipc_space_t task = mipc_thread_space();
	uint64_t before = ipc_kind_live(IPC_KIND_MISC);
	mach_port_name_t plain = init_new(task, 0);
	mach_port_name_t q;

	VAL_EQ(ipc_kind_live(IPC_KIND_MISC), before);
	q = init_new(task, MIPC_PORT_INIT_MESSAGE_QUEUE);
	/* A ring of IMQ_RING_MIN slots: the default queue limit's (with
	 * their inline storage, mqueue.h). */
	VAL_EQ(ipc_kind_live(IPC_KIND_MISC),
	    before + imq_ring_bytes(IMQ_RING_MIN));
	VAL_EQ(type_of(task, q), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(msgcount_of(task, q), 0);
	VAL_EQ(type_of(task, plain), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(INIT_message_queue_first_send_cannot_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t q = init_new(task,
	    MIPC_PORT_INIT_MESSAGE_QUEUE | MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t lazy = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);

	/* Every queue allocation fails from here on. */
	ipc_fail_nth(IPC_KIND_MISC, 1);
	SEND_OK(task, q, MACH_MSG_TYPE_COPY_SEND, 1);
	ipc_fail_nth(IPC_KIND_MISC, 1);
	KR_EQ(send_to(task, lazy, MACH_MSG_TYPE_COPY_SEND, 2),
	    MACH_SEND_NO_BUFFER);
	ipc_fail_nth(IPC_KIND_MISC, 0);
	VAL_EQ(drain(task, q), 1);
	VAL_EQ(msgcount_of(task, lazy), 0);
	/* M3: the pseudo-receive gave the copied send right back. */
	VAL_EQ(refs_of(task, lazy, MACH_PORT_RIGHT_SEND), 2);
}
END_TEST

START_TEST(INIT_message_queue_no_memory_makes_nothing)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t n = 0x1234;

	ipc_fail_nth(IPC_KIND_MISC, 1);
	KR_EQ(mipc_port_allocate_init(task,
	          MIPC_PORT_INIT_MESSAGE_QUEUE | MIPC_PORT_INIT_MAKE_SEND_RIGHT,
	          &n),
	    KERN_RESOURCE_SHORTAGE);
	ipc_fail_nth(IPC_KIND_MISC, 0);
	VAL_EQ(n, 0x1234);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(INIT_unknown_flags_invalid_argument)
{
	static const uint32_t bad[] = { 0x8u, 0x10u, 0x20u, 0x40u, 0x80u,
		0x400u, 0x1000u, 0x80000000u };
	mipc_space_t task = mipc_thread_space();
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		mach_port_name_t n = MACH_PORT_NULL;

		KR_EQ(
		    mipc_port_allocate_init(task, bad[i] | ALL_INIT_FLAGS, &n),
		    KERN_INVALID_ARGUMENT);
		VAL_EQ(n, MACH_PORT_NULL);
	}
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(INIT_null_name_invalid_argument)
{
	KR_EQ(mipc_port_allocate_init(mipc_thread_space(), 0, NULL),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(
	    mipc_port_allocate_init(mipc_thread_space(), ALL_INIT_FLAGS, NULL),
	    KERN_INVALID_ARGUMENT);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(INIT_null_space_as_allocate)
{
	mach_port_name_t n = MACH_PORT_NULL;

	/* The same code mipc_port_allocate gives (port.h, MACH.md X1). */
	KR_EQ(mipc_port_allocate(NULL, MACH_PORT_RIGHT_RECEIVE, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_port_allocate_init(NULL, 0, &n), MACH_SEND_INVALID_DEST);
	VAL_EQ(n, MACH_PORT_NULL);
}
END_TEST

START_TEST(INIT_destroyed_space_invalid_task)
{
	mipc_space_t b = space_new();
	mach_port_name_t n = MACH_PORT_NULL;

	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	KR_EQ(mipc_port_allocate_init(b, MIPC_PORT_INIT_MESSAGE_QUEUE, &n),
	    KERN_INVALID_TASK);
	VAL_EQ(n, MACH_PORT_NULL);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(INIT_no_grant_status_flag)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_NO_GRANT);

	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_NO_GRANT);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(INIT_special_reply_is_immovable_and_unbound)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_SPECIAL_REPLY);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;
	msg_buf_t m;

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	guard_reset();
	KR_EQ(mipc_port_extract_right(
	          task, r, MACH_MSG_TYPE_MOVE_RECEIVE, b, &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	/* Binding a port to a thread is thread_get_special_reply_port's. */
	KR_EQ(sync_recv(task, &m, r, r), MACH_RCV_INVALID_NOTIFY);
	VAL_EQ(name_count(b), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(INIT_all_flags_together)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = init_new(task, ALL_INIT_FLAGS);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_NO_GRANT);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(live_ports(), 0);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- S1: thread_get_special_reply_port ------------------------------------ */

START_TEST(S1_fresh_name_each_call)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = srp_new(), b = srp_new(), c = srp_new();

	VAL_NE(a, b);
	VAL_NE(b, c);
	VAL_NE(a, c);
	VAL_EQ(type_of(task, a), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(type_of(task, c), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(name_count(task), 3);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S1_receive_and_send_one_uref)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_status_t st = status_of(task, s);

	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_RECEIVE), 1);
	VAL_EQ(st.mps_mscount, 1);
	VAL_EQ(st.mps_srights, 1);
	VAL_EQ(st.mps_sorights, 0);
	VAL_EQ(st.mps_msgcount, 0);
	VAL_EQ(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(st.mps_flags, 0);
}
END_TEST

START_TEST(S1_previous_unbound_stays_allocated)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t peer = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t old = srp_new(), cur;
	msg_buf_t m;

	KR_EQ(sync_recv(task, &m, old, peer), MACH_RCV_TIMED_OUT);
	cur = srp_new();
	/* The old one is no longer the thread's, but it is still there. */
	KR_EQ(sync_recv(task, &m, old, peer), MACH_RCV_INVALID_NOTIFY);
	KR_EQ(sync_recv(task, &m, cur, peer), MACH_RCV_TIMED_OUT);
	VAL_EQ(type_of(task, old), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, old, MACH_PORT_RIGHT_SEND), 1);
	/* An ordinary receive on it still works. */
	RECV_EMPTY(task, old);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S1_fresh_name_after_destroying_previous)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = srp_new(), b;
	msg_buf_t m;

	KR_EQ(mipc_port_destroy(task, a), KERN_SUCCESS);
	NAME_GONE(task, a);
	b = srp_new();
	VAL_EQ(type_of(task, b), MACH_PORT_TYPE_SEND_RECEIVE);
	KR_EQ(sync_recv(task, &m, b, b), MACH_RCV_TIMED_OUT);
	VAL_EQ(name_count(task), 1);
}
END_TEST

START_TEST(S1_made_in_the_current_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mipc_space_t prev = mipc_thread_set_space(b);
	mach_port_name_t s = srp_new();
	msg_buf_t m;

	VAL_EQ(type_of(b, s), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(name_count(task), 0);
	KR_EQ(sync_recv(b, &m, s, s), MACH_RCV_TIMED_OUT);
	mipc_thread_set_space(prev);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(S1_destroyed_space_null_and_unbinds)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t old = srp_new(), peer = recv_new(task);
	mipc_space_t prev = mipc_thread_set_space(b);
	msg_buf_t m;

	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	VAL_EQ(thread_get_special_reply_port(), MACH_PORT_NULL);
	mipc_thread_set_space(prev);
	/* XNU unbinds before it allocates: the thread has no SRP now. */
	KR_EQ(sync_recv(task, &m, old, peer), MACH_RCV_INVALID_NOTIFY);
	VAL_EQ(type_of(task, old), MACH_PORT_TYPE_SEND_RECEIVE);
}
END_TEST

START_TEST(S1_no_memory_null)
{
	mipc_space_t task = mipc_thread_space();

	ipc_fail_nth(IPC_KIND_PORT, 1);
	VAL_EQ(thread_get_special_reply_port(), MACH_PORT_NULL);
	ipc_fail_nth(IPC_KIND_PORT, 0);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
}
END_TEST

/* ---- S2: immovable, reply-port marking, no requests, no importance -------- */

START_TEST(S2_move_receive_descriptor_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_msg_port_descriptor_t d = port_desc(s, MACH_MSG_TYPE_MOVE_RECEIVE);
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ports(&b, r, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);

	guard_reset();
	KR_EQ(msg_send(task, &b, size), MACH_SEND_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, s);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(msgcount_of(task, r), 0);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1); /* M2: copied */
}
END_TEST

START_TEST(S2_insert_move_receive_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t s = srp_new();
	mach_port_name_t n = free_name(b);

	guard_reset();
	KR_EQ(mipc_port_insert_right(b, n, task, s, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, s);
	VAL_EQ(name_count(b), 0);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND_RECEIVE);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(S2_extract_move_receive_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	guard_reset();
	KR_EQ(mipc_port_extract_right(task, s, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, s);
	VAL_EQ(poly, MACH_PORT_NULL);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_SEND_RECEIVE);
}
END_TEST

START_TEST(S2_port_destroyed_request_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new(), nr = recv_new(task);
	mach_port_t prev = 0x1234;

	guard_reset();
	KR_EQ(
	    mipc_port_request_notification(task, s, MACH_NOTIFY_PORT_DESTROYED,
	        0, nr, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_INVALID_RIGHT, s);
	VAL_EQ(status_of(task, s).mps_pdrequest, 0);
	/* The copied-in notify right died unused (P25). */
	VAL_EQ(drain(task, nr), 1);
	VAL_EQ(sorights_of(task, nr), 0);
}
END_TEST

START_TEST(S2_importance_attributes_invalid_argument)
{
	static const mach_port_flavor_t flavors[] = { MACH_PORT_TEMPOWNER,
		MACH_PORT_IMPORTANCE_RECEIVER, MACH_PORT_DENAP_RECEIVER };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new(), r = recv_new(task);
	integer_t info[1] = { 0 };
	size_t i;

	for (i = 0; i < NELEM(flavors); i++) {
		KR_EQ(mipc_port_set_attributes(task, s, flavors[i], info, 0),
		    KERN_INVALID_ARGUMENT);
		/* An ordinary receive right takes them. */
		KR_EQ(mipc_port_set_attributes(task, r, flavors[i], info, 0),
		    KERN_SUCCESS);
	}
	VAL_EQ(status_of(task, s).mps_flags, 0);
}
END_TEST

START_TEST(S2_reply_port_send_right_does_not_send)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();

	/* R1 marking: its send right neither sends nor moves. */
	guard_reset();
	KR_EQ(send_to(task, s, MACH_MSG_TYPE_COPY_SEND, 1),
	    MACH_SEND_INVALID_DEST);
	GUARD_IS(kGUARD_EXC_INVALID_RIGHT, s);
	VAL_EQ(msgcount_of(task, s), 0);
	VAL_EQ(refs_of(task, s, MACH_PORT_RIGHT_SEND), 1);
}
END_TEST

START_TEST(S2_reply_only_as_make_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);

	guard_reset();
	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND),
	          r, s, 1),
	    MACH_SEND_INVALID_REPLY);
	GUARD_IS(kGUARD_EXC_SEND_INVALID_REPLY, s);
	VAL_EQ(msgcount_of(task, r), 0);
	VAL_EQ(status_of(task, s).mps_mscount, 1);
}
END_TEST

/* The synchronous RPC a special reply port exists for, in one thread. */
START_TEST(S2_rpc_round_trip_through_send_once_reply)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t srv = space_new();
	mach_port_name_t sr = recv_new(srv);
	mach_port_name_t to_srv = send_in(task, srv, sr);
	mach_port_name_t s = srp_new();
	msg_buf_t b;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	          to_srv, s, 100),
	    MACH_MSG_SUCCESS);
	VAL_EQ(sorights_of(task, s), 1);
	RECV_OK(srv, &b, sr, 0);
	VAL_EQ(
	    MACH_MSGH_BITS_REMOTE(b.h.msgh_bits), MACH_MSG_TYPE_PORT_SEND_ONCE);
	VAL_EQ(type_of(srv, b.h.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
	KR_EQ(send_to(
	          srv, b.h.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, 200),
	    MACH_MSG_SUCCESS);
	KR_EQ(sync_recv(task, &b, s, to_srv), MACH_MSG_SUCCESS);
	VAL_EQ(b.h.msgh_id, 200);
	VAL_EQ(b.h.msgh_local_port, s);
	VAL_EQ(sorights_of(task, s), 0);
	VAL_EQ(name_count(srv), 1);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(srv), KERN_SUCCESS);
}
END_TEST

/* ---- S4: MACH_RCV_SYNC_WAIT ------------------------------------------------ */

START_TEST(S4_current_srp_valid_peer_receives)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t peer = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t s = srp_new(), h;
	mach_port_name_t so = srp_send_once(task, s, &h);
	msg_buf_t m;

	KR_EQ(sync_recv(task, &m, s, peer), MACH_RCV_TIMED_OUT);
	KR_EQ(send_to(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 4),
	    MACH_MSG_SUCCESS);
	KR_EQ(sync_recv(task, &m, s, peer), MACH_MSG_SUCCESS);
	VAL_EQ(m.h.msgh_id, 4);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_not_an_srp_invalid_notify)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t so = sonce_in(task, r);
	msg_buf_t m;

	KR_EQ(send_to(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 4),
	    MACH_MSG_SUCCESS);
	KR_EQ(sync_recv(task, &m, r, s), MACH_RCV_INVALID_NOTIFY);
	/* Refused before the queue is looked at: the message stays. */
	VAL_EQ(msgcount_of(task, r), 1);
	VAL_EQ(drain(task, r), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_port_set_invalid_notify)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new(), ps = pset_new(task);
	msg_buf_t m;

	KR_EQ(mipc_port_insert_member(task, s, ps), KERN_SUCCESS);
	KR_EQ(sync_recv(task, &m, ps, s), MACH_RCV_INVALID_NOTIFY);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_dead_peer_invalid_notify)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	msg_buf_t m;

	KR_EQ(sync_recv(task, &m, s, MACH_PORT_DEAD), MACH_RCV_INVALID_NOTIFY);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_peer_without_send_right_proceeds)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_name_t peers[4];
	msg_buf_t m;
	size_t i;

	peers[0] = recv_new(task);      /* receive only */
	peers[1] = dead_new(task);      /* dead name */
	peers[2] = pset_new(task);      /* port set */
	peers[3] = other_gen(peers[0]); /* names nothing */
	for (i = 0; i < NELEM(peers); i++)
		KR_EQ(sync_recv(task, &m, s, peers[i]), MACH_RCV_TIMED_OUT);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_null_peer_no_sync_checks)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	msg_buf_t m;

	/* mach_msg2: a null sync peer means no linkage and no check. */
	KR_EQ(sync_recv(task, &m, r, MACH_PORT_NULL), MACH_RCV_TIMED_OUT);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_invalid_receive_name_comes_first)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new(), r = recv_new(task);
	mach_port_name_t stale = other_gen(r);
	msg_buf_t m;

	guard_reset();
	KR_EQ(sync_recv(task, &m, stale, s), MACH_RCV_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_RCV_INVALID_NAME, stale);
	guard_reset();
	KR_EQ(sync_recv(task, &m, MACH_PORT_NULL, MACH_PORT_DEAD),
	    MACH_RCV_INVALID_NAME);
}
END_TEST

struct srp_thread {
	pthread_t st_thread;
	mach_port_name_t st_name;
};

static void *
srp_thread_main(void *arg)
{
	struct srp_thread *t = arg;

	t->st_name = thread_get_special_reply_port();
	return NULL;
}

/* Another thread makes a special reply port in our space and exits. */
static mach_port_name_t
srp_from_exited_thread(void)
{
	struct srp_thread t = { 0 };

	MIPC_REQUIRE(
	    pthread_create(&t.st_thread, NULL, srp_thread_main, &t) == 0,
	    "pthread_create");
	MIPC_REQUIRE(pthread_join(t.st_thread, NULL) == 0, "pthread_join");
	ck_assert_msg(
	    MACH_PORT_VALID(t.st_name), "thread's SRP 0x%x", t.st_name);
	return t.st_name;
}

START_TEST(S4_other_threads_srp_invalid_notify)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t mine = srp_new();
	mach_port_name_t theirs = srp_from_exited_thread();
	msg_buf_t m;

	VAL_EQ(type_of(task, theirs), MACH_PORT_TYPE_SEND_RECEIVE);
	KR_EQ(sync_recv(task, &m, theirs, mine), MACH_RCV_INVALID_NOTIFY);
	KR_EQ(sync_recv(task, &m, mine, mine), MACH_RCV_TIMED_OUT);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S4_combined_send_receive_peer_is_destination)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_new();
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	msg_buf_t b;

	/* SRP and destination valid: sent, then the receive times out. */
	msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 9);
	KR_EQ(msg_call(task, &b.h,
	          MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT |
	              MACH_RCV_SYNC_WAIT,
	          HDR_SIZE, (mach_msg_size_t)sizeof(b), s, 0, MACH_PORT_DEAD),
	    MACH_RCV_TIMED_OUT);
	VAL_EQ(msgcount_of(task, r), 1);
	/* Receiving on a port that is not the SRP: sent, then refused. */
	msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0), r,
	    MACH_PORT_NULL, 10);
	KR_EQ(msg_call(task, &b.h,
	          MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT |
	              MACH_RCV_SYNC_WAIT,
	          HDR_SIZE, (mach_msg_size_t)sizeof(b), r, 0, MACH_PORT_NULL),
	    MACH_RCV_INVALID_NOTIFY);
	VAL_EQ(drain(task, r), 2);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- S5: destruction, an exited owner -------------------------------------- */

START_TEST(S5_destroyed_like_any_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = srp_new(), b = srp_new(), c = srp_new(), h;
	mach_port_name_t so = srp_send_once(task, c, &h);

	KR_EQ(mipc_port_destroy(task, a), KERN_SUCCESS);
	NAME_GONE(task, a);
	KR_EQ(mipc_port_mod_refs(task, b, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	/* Its own send right outlives it as a dead name (C6). */
	VAL_EQ(type_of(task, b), MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(mipc_port_deallocate(task, b), KERN_SUCCESS);
	KR_EQ(mipc_port_destruct(task, c, -1, 0), KERN_SUCCESS);
	NAME_GONE(task, c);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	KR_EQ(mipc_port_destruct(task, h, -1, 0), KERN_SUCCESS);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(S5_owner_exited_receive_times_out)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t s = srp_from_exited_thread();
	msg_buf_t b;

	msg_fill(&b, MSG_FILL);
	KR_EQ(msg_call(task, &b.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	          (mach_msg_size_t)sizeof(b), s, 20, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	UNTOUCHED_FROM(&b, 0);
	KR_EQ(mipc_port_destroy(task, s), KERN_SUCCESS);
	VAL_EQ(name_count(task), 0);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- Q15: immovable send rights ------------------------------------------- */

START_TEST(Q15_port_descriptor_copy_send_invalid_right)
{
	static const mach_msg_type_name_t disps[] = { MACH_MSG_TYPE_COPY_SEND,
		MACH_MSG_TYPE_MOVE_SEND };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	size_t i;

	for (i = 0; i < NELEM(disps); i++) {
		mach_msg_port_descriptor_t d = port_desc(c, disps[i]);
		msg_buf_t b;
		mach_msg_size_t size =
		    msg_init_ports(&b, r, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);

		guard_reset();
		KR_EQ(msg_send(task, &b, size), MACH_SEND_INVALID_RIGHT);
		GUARD_IS(kGUARD_EXC_IMMOVABLE, c);
		imm_intact(task, c);
		VAL_EQ(msgcount_of(task, r), 0);
		VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	}
}
END_TEST

START_TEST(Q15_ool_ports_descriptor_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t names[1] = { c };
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ool_ports(&b, r, names, 1, MACH_MSG_TYPE_COPY_SEND);

	guard_reset();
	KR_EQ(msg_send(task, &b, size), MACH_SEND_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, c);
	imm_intact(task, c);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

START_TEST(Q15_send_once_descriptor_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t so = sonce_in(task, c);
	mach_msg_port_descriptor_t d =
	    port_desc(so, MACH_MSG_TYPE_MOVE_SEND_ONCE);
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ports(&b, r, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);

	guard_reset();
	KR_EQ(msg_send(task, &b, size), MACH_SEND_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, so);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(sorights_of(task, c), 1);
	/* Still a destination: the send-once right is used up in place. */
	KR_EQ(send_to(task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 3),
	    MACH_MSG_SUCCESS);
	VAL_EQ(drain(task, c), 1);
	VAL_EQ(sorights_of(task, c), 0);
	VAL_EQ(msgcount_of(task, r), 0);
}
END_TEST

START_TEST(Q15_make_send_descriptor_lands_immovable)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t rb = recv_new(b);
	mach_port_name_t to_b = send_in(task, b, rb);
	mach_port_name_t rb2 = init_new(b, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_msg_port_descriptor_t d = port_desc(c, MACH_MSG_TYPE_MAKE_SEND);
	msg_buf_t m;
	mach_msg_size_t size =
	    msg_init_ports(&m, to_b, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);
	mach_port_name_t got;

	/* Minting from the receive right is not moving one (XNU). */
	KR_EQ(msg_send(task, &m, size), MACH_MSG_SUCCESS);
	VAL_EQ(status_of(task, c).mps_mscount, 2);
	RECV_OK(b, &m, rb, 0);
	got = rcv_port_desc(&m, 0).name;
	VAL_EQ(type_of(b, got), MACH_PORT_TYPE_SEND);
	/* It is a destination there, but it stays there. */
	KR_EQ(send_to(b, got, MACH_MSG_TYPE_COPY_SEND, 5), MACH_MSG_SUCCESS);
	VAL_EQ(drain(task, c), 1);
	d = port_desc(got, MACH_MSG_TYPE_COPY_SEND);
	size = msg_init_ports(&m, rb2, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);
	guard_reset();
	KR_EQ(msg_send(b, &m, size), MACH_SEND_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, got);
	VAL_EQ(refs_of(b, got, MACH_PORT_RIGHT_SEND), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
	VAL_EQ(srights_of(task, c), 1);
}
END_TEST

START_TEST(Q15_destination_copy_and_move_send_allowed)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	msg_buf_t b;

	KR_EQ(send_to(task, c, MACH_MSG_TYPE_COPY_SEND, 1), MACH_MSG_SUCCESS);
	VAL_EQ(refs_of(task, c, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(task, c), 2); /* one queued in the message */
	KR_EQ(send_to(task, c, MACH_MSG_TYPE_MOVE_SEND, 2), MACH_MSG_SUCCESS);
	VAL_EQ(type_of(task, c), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(srights_of(task, c), 2);
	RECV_OK(task, &b, c, 0);
	VAL_EQ(b.h.msgh_id, 1);
	RECV_OK(task, &b, c, 0);
	VAL_EQ(b.h.msgh_id, 2);
	VAL_EQ(srights_of(task, c), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q15_reply_send_right_invalid_reply)
{
	static const mach_msg_type_name_t disps[] = { MACH_MSG_TYPE_COPY_SEND,
		MACH_MSG_TYPE_MOVE_SEND };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	size_t i;

	for (i = 0; i < NELEM(disps); i++) {
		msg_buf_t b, copy;

		msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, disps[i]),
		    r, c, 1);
		memcpy(&copy, &b, sizeof(b));
		guard_reset();
		KR_EQ(msg_send(task, &b, HDR_SIZE), MACH_SEND_INVALID_REPLY);
		GUARD_IS(kGUARD_EXC_IMMOVABLE, c);
		/* M1: nothing moved, the buffer is as it was. */
		ck_assert(memcmp(&copy, &b, sizeof(b)) == 0);
		imm_intact(task, c);
		VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
		VAL_EQ(msgcount_of(task, r), 0);
	}
}
END_TEST

START_TEST(Q15_reply_send_once_right_invalid_reply)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t so = sonce_in(task, c);

	guard_reset();
	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MOVE_SEND_ONCE),
	          r, so, 1),
	    MACH_SEND_INVALID_REPLY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, so);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	VAL_EQ(drain(task, c), 1); /* P25: its send-once notification */
}
END_TEST

START_TEST(Q15_reply_make_send_once_allowed)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t r = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	msg_buf_t b;

	KR_EQ(send_hdr(task,
	          MACH_MSGH_BITS(
	              MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	          r, c, 1),
	    MACH_MSG_SUCCESS);
	RECV_OK(task, &b, r, 0);
	VAL_EQ(type_of(task, b.h.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
	KR_EQ(send_to(
	          task, b.h.msgh_remote_port, MACH_MSG_TYPE_MOVE_SEND_ONCE, 2),
	    MACH_MSG_SUCCESS);
	VAL_EQ(drain(task, c), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q15_insert_into_other_space_invalid_capability)
{
	static const mach_msg_type_name_t disps[] = { MACH_MSG_TYPE_COPY_SEND,
		MACH_MSG_TYPE_MOVE_SEND };
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t so = sonce_in(task, c);
	mach_port_name_t n = free_name(b);
	size_t i;

	for (i = 0; i < NELEM(disps); i++) {
		guard_reset();
		KR_EQ(mipc_port_insert_right(
		          b, n, mipc_thread_space(), c, disps[i]),
		    KERN_INVALID_CAPABILITY);
		GUARD_IS(kGUARD_EXC_IMMOVABLE, c);
		imm_intact(task, c);
	}
	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          b, n, task, so, MACH_MSG_TYPE_MOVE_SEND_ONCE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, so);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(name_count(b), 0);
	KR_EQ(mipc_port_deallocate(task, so), KERN_SUCCESS);
	VAL_EQ(drain(task, c), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(Q15_insert_within_its_space_allowed)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t so = sonce_in(task, c);
	mach_port_name_t n = free_name(task);

	KR_EQ(mipc_port_insert_right(
	          task, c, mipc_thread_space(), c, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	imm_intact(task, c);
	KR_EQ(mipc_port_insert_right(
	          task, c, mipc_thread_space(), c, MACH_MSG_TYPE_COPY_SEND),
	    KERN_SUCCESS);
	VAL_EQ(refs_of(task, c, MACH_PORT_RIGHT_SEND), 2);
	KR_EQ(mipc_port_insert_right(task, n, mipc_thread_space(), so,
	          MACH_MSG_TYPE_MOVE_SEND_ONCE),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_SEND_ONCE);
	NAME_GONE(task, so);
	VAL_EQ(sorights_of(task, c), 1);
	KR_EQ(mipc_port_deallocate(task, n), KERN_SUCCESS);
	VAL_EQ(drain(task, c), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q15_extract_copy_send_same_space_allowed)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	KR_EQ(mipc_port_extract_right(task, c, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(poly, c);
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(refs_of(task, c, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, c), 1);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q15_extract_into_other_space_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	/*
	 * The caller is b (the space the right would land in): the right is
	 * not in its own space, so no guard (item 15, below).
	 */
	guard_reset();
	KR_EQ(mipc_port_extract_right(
	          task, c, MACH_MSG_TYPE_COPY_SEND, b, &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	GUARD_NONE(__func__);
	VAL_EQ(poly, MACH_PORT_NULL);
	VAL_EQ(name_count(b), 0);
	imm_intact(task, c);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(Q15_extract_move_send_same_space_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t c = imm_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;

	/* Only COPY_SEND is extractable in place (XNU). */
	guard_reset();
	KR_EQ(mipc_port_extract_right(task, c, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, c);
	imm_intact(task, c);
}
END_TEST

/*
 * issue 12, item 15: extracting an immovable send right from another
 * task's space fails with KERN_INVALID_CAPABILITY but raises no guard on
 * the caller: XNU's mach_port_guard_exception_immovable raises only when
 * the space is the caller's own (space == current_space()).  Found by
 * XNU's extract_right_soft_fail test.  The caller of
 * mipc_port_extract_right is the space the right would land in (`to`),
 * as for XNU's ALLOW_IMMOVABLE_SEND condition.
 */
START_TEST(Q15_extract_from_other_space_raises_no_guard)
{
	static const mach_msg_type_name_t disps[] = { MACH_MSG_TYPE_COPY_SEND,
		MACH_MSG_TYPE_MOVE_SEND };
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t c = imm_new(b);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt = 0;
	size_t i;

	for (i = 0; i < NELEM(disps); i++) {
		guard_reset();
		KR_EQ(mipc_port_extract_right(
		          b, c, disps[i], mipc_thread_space(), &poly, &pt),
		    KERN_INVALID_CAPABILITY);
		GUARD_NONE(__func__);
		KR_EQ(mipc_port_extract_right(b, c, disps[i], task, &poly, &pt),
		    KERN_INVALID_CAPABILITY);
		GUARD_NONE(__func__);
		VAL_EQ(poly, MACH_PORT_NULL);
		VAL_EQ(type_of(b, c), MACH_PORT_TYPE_SEND_RECEIVE);
		VAL_EQ(refs_of(b, c, MACH_PORT_RIGHT_SEND), 1);
	}
	VAL_EQ(name_count(task), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- NO_GRANT: no rights to a no-grant port ------------------------------- */

START_TEST(NO_GRANT_port_descriptor_no_grant_dest)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ng = init_new(
	    task, MIPC_PORT_INIT_NO_GRANT | MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t reply = recv_new(task);
	mach_port_name_t x = init_new(task, MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_msg_port_descriptor_t d = port_desc(x, MACH_MSG_TYPE_MOVE_SEND);
	msg_buf_t b;
	mach_msg_size_t size =
	    msg_init_ports(&b, ng, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);

	b.h.msgh_bits |= MACH_MSGH_BITS(0, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	b.h.msgh_local_port = reply;
	KR_EQ(msg_send(task, &b, size), MACH_SEND_NO_GRANT_DEST);
	/* M2: the header rights are destroyed, the body's are not. */
	VAL_EQ(msgcount_of(task, ng), 0);
	VAL_EQ(refs_of(task, ng, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(srights_of(task, ng), 1);
	VAL_EQ(type_of(task, x), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, x, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(drain(task, reply), 1); /* the reply's send-once notification */
	VAL_EQ(sorights_of(task, reply), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(NO_GRANT_moved_destination_lost)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t ng = init_new(b, MIPC_PORT_INIT_NO_GRANT);
	mach_port_name_t to_ng = send_in(task, b, ng);
	mach_port_name_t x = recv_new(task);
	mach_msg_port_descriptor_t d = port_desc(x, MACH_MSG_TYPE_MAKE_SEND);
	msg_buf_t m;
	mach_msg_size_t size =
	    msg_init_ports(&m, to_ng, MACH_MSG_TYPE_MOVE_SEND, 1, &d, 1);

	KR_EQ(msg_send(task, &m, size), MACH_SEND_NO_GRANT_DEST);
	NAME_GONE(task, to_ng);
	VAL_EQ(srights_of(b, ng), 0);
	VAL_EQ(status_of(task, x).mps_mscount, 0);
	VAL_EQ(msgcount_of(b, ng), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(NO_GRANT_ool_ports_and_guarded_refused)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ng = init_new(
	    task, MIPC_PORT_INIT_NO_GRANT | MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	mach_port_name_t x = recv_new(task);
	mach_port_name_t names[2] = { MACH_PORT_NULL, MACH_PORT_NULL };
	mach_msg_guarded_port_descriptor_t g;
	mach_msg_port_descriptor_t d =
	    port_desc(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND);
	msg_buf_t b;
	mach_msg_size_t size;

	size = msg_init_ool_ports(&b, ng, names, 2, MACH_MSG_TYPE_COPY_SEND);
	KR_EQ(msg_send(task, &b, size), MACH_SEND_NO_GRANT_DEST);
	/* A port descriptor counts whatever its name (XNU). */
	size = msg_init_ports(&b, ng, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);
	KR_EQ(msg_send(task, &b, size), MACH_SEND_NO_GRANT_DEST);
	memset(&g, 0, sizeof(g));
	g.name = x;
	g.disposition = MACH_MSG_TYPE_MOVE_RECEIVE;
	g.flags = MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
	g.type = MACH_MSG_GUARDED_PORT_DESCRIPTOR;
	size = msg_init_ports(&b, ng, MACH_MSG_TYPE_COPY_SEND, 1, &d, 1);
	memcpy(b.bytes + BASE_SIZE, &g, sizeof(g));
	size = b.h.msgh_size = BASE_SIZE + (mach_msg_size_t)sizeof(g);
	KR_EQ(msg_send(task, &b, size), MACH_SEND_NO_GRANT_DEST);
	VAL_EQ(type_of(task, x), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(msgcount_of(task, ng), 0);
	VAL_EQ(refs_of(task, ng, MACH_PORT_RIGHT_SEND), 1);
}
END_TEST

START_TEST(NO_GRANT_data_only_messages_accepted)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ng = init_new(
	    task, MIPC_PORT_INIT_NO_GRANT | MIPC_PORT_INIT_MAKE_SEND_RIGHT);
	static const char data[64] = "no rights here";
	mach_msg_ool_descriptor_t o;
	msg_buf_t b;
	mach_msg_size_t size;

	SEND_OK(task, ng, MACH_MSG_TYPE_COPY_SEND, 1);
	/* OOL memory is data, not rights. */
	msg_init(&b,
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
	    ng, MACH_PORT_NULL, 2);
	memset(&o, 0, sizeof(o));
	o.address = (void *)(uintptr_t)data;
	o.size = sizeof(data);
	o.copy = MACH_MSG_PHYSICAL_COPY;
	o.type = MACH_MSG_OOL_DESCRIPTOR;
	b.base.body.msgh_descriptor_count = 1;
	memcpy(b.bytes + BASE_SIZE, &o, sizeof(o));
	size = b.h.msgh_size = BASE_SIZE + (mach_msg_size_t)sizeof(o);
	KR_EQ(msg_send(task, &b, size), MACH_MSG_SUCCESS);
	/* An empty OOL ports array carries no right either. */
	size = msg_init_ool_ports(&b, ng, NULL, 0, MACH_MSG_TYPE_COPY_SEND);
	KR_EQ(msg_send(task, &b, size), MACH_MSG_SUCCESS);
	VAL_EQ(drain(task, ng), 3);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- suite ------------------------------------------------------------------ */

static Suite *
s_special_reply_suite(void)
{
	Suite *s = suite_create("S_special_reply");
	TCase *tc;

	tc = conf_tcase("INIT_allocate_init");
	tcase_add_test(tc, INIT_no_flags_plain_receive_right);
	tcase_add_test(tc, INIT_make_send_right_one_uref);
	tcase_add_test(tc, INIT_unknown_flags_invalid_argument);
	tcase_add_test(tc, INIT_null_name_invalid_argument);
	tcase_add_test(tc, INIT_null_space_as_allocate);
	tcase_add_test(tc, INIT_destroyed_space_invalid_task);
	tcase_add_test(tc, INIT_no_grant_status_flag);
	tcase_add_test(tc, INIT_special_reply_is_immovable_and_unbound);
	tcase_add_test(tc, INIT_all_flags_together);
	suite_add_tcase(s, tc);

	tc = conf_tcase("S1_S2_special_reply_port");
	tcase_add_test(tc, S1_fresh_name_each_call);
	tcase_add_test(tc, S1_receive_and_send_one_uref);
	tcase_add_test(tc, S1_previous_unbound_stays_allocated);
	tcase_add_test(tc, S1_fresh_name_after_destroying_previous);
	tcase_add_test(tc, S1_made_in_the_current_space);
	tcase_add_test(tc, S1_destroyed_space_null_and_unbinds);
	tcase_add_test(tc, S2_move_receive_descriptor_invalid_right);
	tcase_add_test(tc, S2_insert_move_receive_invalid_capability);
	tcase_add_test(tc, S2_extract_move_receive_invalid_capability);
	tcase_add_test(tc, S2_port_destroyed_request_invalid_right);
	tcase_add_test(tc, S2_importance_attributes_invalid_argument);
	tcase_add_test(tc, S2_reply_port_send_right_does_not_send);
	tcase_add_test(tc, S2_reply_only_as_make_send_once);
	tcase_add_test(tc, S2_rpc_round_trip_through_send_once_reply);
	suite_add_tcase(s, tc);

	tc = conf_tcase("S4_S5_sync_wait_and_death");
	tcase_add_test(tc, S4_current_srp_valid_peer_receives);
	tcase_add_test(tc, S4_not_an_srp_invalid_notify);
	tcase_add_test(tc, S4_port_set_invalid_notify);
	tcase_add_test(tc, S4_dead_peer_invalid_notify);
	tcase_add_test(tc, S4_peer_without_send_right_proceeds);
	tcase_add_test(tc, S4_null_peer_no_sync_checks);
	tcase_add_test(tc, S4_invalid_receive_name_comes_first);
	tcase_add_test(tc, S4_other_threads_srp_invalid_notify);
	tcase_add_test(tc, S4_combined_send_receive_peer_is_destination);
	tcase_add_test(tc, S5_destroyed_like_any_port);
	tcase_add_test(tc, S5_owner_exited_receive_times_out);
	suite_add_tcase(s, tc);

	tc = conf_tcase("Q15_immovable_send");
	tcase_add_test(tc, Q15_port_descriptor_copy_send_invalid_right);
	tcase_add_test(tc, Q15_ool_ports_descriptor_invalid_right);
	tcase_add_test(tc, Q15_send_once_descriptor_invalid_right);
	tcase_add_test(tc, Q15_make_send_descriptor_lands_immovable);
	tcase_add_test(tc, Q15_destination_copy_and_move_send_allowed);
	tcase_add_test(tc, Q15_reply_send_right_invalid_reply);
	tcase_add_test(tc, Q15_reply_send_once_right_invalid_reply);
	tcase_add_test(tc, Q15_reply_make_send_once_allowed);
	tcase_add_test(tc, Q15_insert_into_other_space_invalid_capability);
	tcase_add_test(tc, Q15_insert_within_its_space_allowed);
	tcase_add_test(tc, Q15_extract_copy_send_same_space_allowed);
	tcase_add_test(tc, Q15_extract_into_other_space_invalid_capability);
	tcase_add_test(tc, Q15_extract_move_send_same_space_invalid_capability);
	tcase_add_test(tc, Q15_extract_from_other_space_raises_no_guard);
	suite_add_tcase(s, tc);

	/* Test-build hooks: excluded from `make test-release`. */
	tc = conf_tcase("test_hooks");
	tcase_set_tags(tc, "hooks");
	tcase_add_test(tc, INIT_message_queue_allocated_at_creation);
	tcase_add_test(tc, INIT_message_queue_first_send_cannot_fail);
	tcase_add_test(tc, INIT_message_queue_no_memory_makes_nothing);
	tcase_add_test(tc, S1_no_memory_null);
	suite_add_tcase(s, tc);

	tc = conf_tcase("NO_GRANT");
	tcase_add_test(tc, NO_GRANT_port_descriptor_no_grant_dest);
	tcase_add_test(tc, NO_GRANT_moved_destination_lost);
	tcase_add_test(tc, NO_GRANT_ool_ports_and_guarded_refused);
	tcase_add_test(tc, NO_GRANT_data_only_messages_accepted);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(s_special_reply_suite)
