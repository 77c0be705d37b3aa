/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fastpath.c -- the uncontended send and receive paths take no lock, make
 * no allocator slow-path call and no system call (DESIGN.md 4), counted by
 * the test build's ipc_slow_entries over 10,000 send/receive pairs; and
 * the fast path and the slow path deliver the same message (the reply fast
 * path leaving dead-name requests and dead ports to the slow path).  An
 * uncontended RPC through a special reply port (issue 13): the client's
 * calls take no slow path, the link adds none to the server's, and no
 * turnstile is created or walked.  The 10,000 pairs and the RPCs need the
 * per-CPU sections (tag "pcpu", check_mipc.h).  The receive fast path
 * (msg.c msg_receive_fp): the common receives take it, counted by the
 * test build's ipc_rcv_fp_entries; what it leaves to the general path
 * gets the general path's results; a receive during a peek, and one
 * racing its space's destruction at each yield point (tests/
 * interleave.h), end as they must.
 *
 * Includes core/internal.h for the path counters and the yield hook.
 */
#include "check_mipc.h"

#include "internal.h"
#include "internal_helpers.h"
#include "interleave.h"
#include "mqueue.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

typedef struct {
	mach_msg_header_t h;
	char body[40];
} msg64_t;

typedef struct {
	msg64_t m;
	mach_msg_max_trailer_t t;
} rcv64_t;

static mach_port_name_t port, reply_port;

static void
setup(void)
{
	mach_port_options_t o = { .flags = MPO_INSERT_SEND_RIGHT };
	int cpu = sched_getcpu();
	cpu_set_t one;

	/*
	 * On one CPU: a thread that migrates frees on the new CPU what it
	 * took on the old, and the per-CPU stacks refill and spill -- slow
	 * entries the counts below would see (2 in 20,000 under load).
	 */
	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		(void)sched_setaffinity(0, sizeof(one), &one);
	}

	ck_assert_int_eq(
	    mach_port_construct(mach_task_self(), &o, 0, &port), KERN_SUCCESS);
	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_RECEIVE, &reply_port),
	    KERN_SUCCESS);
}

static mach_msg_return_t
send_one(int i, mach_msg_type_name_t reply)
{
	msg64_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, reply);
	m.h.msgh_remote_port = port;
	m.h.msgh_local_port = reply != 0 ? reply_port : MACH_PORT_NULL;
	m.h.msgh_id = i;
	memcpy(m.body, &i, sizeof(i));
	return mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
	    MACH_PORT_NULL);
}

static mach_msg_return_t
receive_one(rcv64_t *r)
{
	return mach_msg(
	    &r->m.h, MACH_RCV_MSG, 0, sizeof(*r), port, 0, MACH_PORT_NULL);
}

START_TEST(fastpath_10000_pairs_take_no_slow_path)
{
	rcv64_t r;
	uint64_t before;
	int i;

	/* Warm up: the port's ring, the per-CPU caches, thread state. */
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(send_one(i, 0), MACH_MSG_SUCCESS);
		ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	}
	before = ipc_slow_entries;
	for (i = 0; i < 10000; i++) {
		MIPC_REQUIRE(send_one(i, 0) == MACH_MSG_SUCCESS, "send %d", i);
		MIPC_REQUIRE(
		    receive_one(&r) == MACH_MSG_SUCCESS, "receive %d", i);
		MIPC_REQUIRE(r.m.h.msgh_id == i, "message %d in order", i);
	}
	ck_assert_msg(ipc_slow_entries == before,
	    "%llu slow-path entries over 10000 uncontended pairs",
	    (unsigned long long)(ipc_slow_entries - before));
}
END_TEST

START_TEST(fastpath_counter_sees_the_slow_path)
{
	rcv64_t r;
	uint64_t before;

	/* The counter works: a first send allocates the port's ring and
	 * takes the space lock on the slow path. */
	before = ipc_slow_entries;
	ck_assert_int_eq(send_one(1, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_msg(ipc_slow_entries > before, "the slow path was counted");
}
END_TEST

/* The receive status of `port`. */
static mach_port_status_t
port_status(void)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	ck_assert_int_eq(
	    mach_port_get_attributes(mach_task_self(), port,
	        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_SUCCESS);
	return st;
}

/* The queue's count (mps_msgcount) of `port`. */
static natural_t
msgcount(void)
{
	return port_status().mps_msgcount;
}

/* Set `port`'s queue limit. */
static void
set_qlimit(natural_t qlimit)
{
	mach_port_limits_t lim = { .mpl_qlimit = qlimit };

	ck_assert_int_eq(mach_port_set_attributes(mach_task_self(), port,
	                     MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
	                     MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
}

/*
 * A queue limit raised beyond the ring's slots once the ring exists
 * (mqueue.h: a ring is sized when it is made): the fast path admits the
 * messages the ring cannot take and queues them behind, in order, without
 * the slow path; the limit and mps_msgcount stay exact, and a send-once
 * message still gets in past the limit (J6).
 */
START_TEST(fastpath_beyond_the_ring_stays_fast_and_counts_exactly)
{
	mach_port_limits_t lim = { .mpl_qlimit = 4 * IMQ_RING_MIN };
	struct mipc_stats s0, s1;
	mach_port_name_t so;
	mach_msg_type_name_t t;
	msg64_t m;
	rcv64_t r;
	natural_t i;

	/* The ring exists after a first message (the slow path's), sized
	 * for the default limit. */
	ck_assert_int_eq(send_one(-1, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	set_qlimit(lim.mpl_qlimit);
	mipc_get_stats(&s0);
	for (i = 0; i < lim.mpl_qlimit; i++)
		MIPC_REQUIRE(
		    send_one((int)i, 0) == MACH_MSG_SUCCESS, "send %u", i);
	mipc_get_stats(&s1);
	ck_assert_uint_eq(s1.slow_paths, s0.slow_paths);
	ck_assert_uint_eq(msgcount(), lim.mpl_qlimit);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = port;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	                     sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_SEND_TIMED_OUT);
	ck_assert_uint_eq(msgcount(), lim.mpl_qlimit);
	/* J6: a send-once right's message is not held to the limit. */
	ck_assert_int_eq(mach_port_extract_right(mach_task_self(), port,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
	    KERN_SUCCESS);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = so;
	m.h.msgh_id = (mach_msg_id_t)lim.mpl_qlimit;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	                     sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_uint_eq(msgcount(), lim.mpl_qlimit + 1);
	for (i = 0; i <= lim.mpl_qlimit; i++) {
		MIPC_REQUIRE(
		    receive_one(&r) == MACH_MSG_SUCCESS, "receive %u", i);
		MIPC_REQUIRE(r.m.h.msgh_id == (mach_msg_id_t)i,
		    "message %u in order (got %d)", i, r.m.h.msgh_id);
	}
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/* The ring of `port` (white box): its slots, and the overflow count. */
static void
ring_look(uint32_t *slots, uint32_t *ovf)
{
	struct ipc_port *p = port_of(mipc_thread_space(), port);
	struct imq_ring *ring;

	ck_assert_ptr_nonnull(p);
	ring = ck_pr_load_ptr(&p->ip_mq.imq_ring);
	ck_assert_ptr_nonnull(ring);
	*slots = ring->rg_mask + 1;
	*ovf = ck_pr_load_32(&p->ip_mq.imq_ovf_n);
}

/*
 * A ring made for a large queue limit (PERF.md 3.3) has a slot for each
 * message the limit admits: a burst up to it never takes the overflow
 * list (its lock); a limit raised after the ring was made overflows.
 */
START_TEST(fastpath_ring_sized_to_the_limit_takes_a_burst_in_its_slots)
{
	natural_t n = 4 * IMQ_RING_MIN, i;
	uint32_t slots, ovf;
	rcv64_t r;

	set_qlimit(n);
	for (i = 0; i < n; i++)
		MIPC_REQUIRE(
		    send_one((int)i, 0) == MACH_MSG_SUCCESS, "send %u", i);
	ring_look(&slots, &ovf);
	ck_assert_uint_eq(slots, n);
	ck_assert_uint_eq(ovf, 0);
	ck_assert_uint_eq(msgcount(), n);
	for (i = 0; i < n; i++) {
		MIPC_REQUIRE(
		    receive_one(&r) == MACH_MSG_SUCCESS, "receive %u", i);
		MIPC_REQUIRE(r.m.h.msgh_id == (mach_msg_id_t)i,
		    "message %u in order", i);
	}
	/* Raised past the ring's slots: the rest overflows, in order. */
	set_qlimit(2 * n);
	for (i = 0; i < 2 * n; i++)
		MIPC_REQUIRE(
		    send_one((int)i, 0) == MACH_MSG_SUCCESS, "send %u", i);
	ring_look(&slots, &ovf);
	ck_assert_uint_eq(slots, n);
	ck_assert_uint_eq(ovf, n);
	ck_assert_uint_eq(msgcount(), 2 * n);
	for (i = 0; i < 2 * n; i++) {
		MIPC_REQUIRE(
		    receive_one(&r) == MACH_MSG_SUCCESS, "receive %u", i);
		MIPC_REQUIRE(r.m.h.msgh_id == (mach_msg_id_t)i,
		    "message %u in order", i);
	}
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

START_TEST(fastpath_and_slowpath_deliver_the_same)
{
	rcv64_t a, b;
	mach_msg_size_t off = offsetof(rcv64_t, t);

	/* Slow (first send: no ring yet) then fast, with a reply right. */
	ck_assert_int_eq(
	    send_one(7, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&a), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    send_one(7, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&b), MACH_MSG_SUCCESS);
	ck_assert_int_eq(a.m.h.msgh_bits, 0x1112);
	ck_assert_int_eq(b.m.h.msgh_bits, 0x1112);
	ck_assert_int_eq(a.m.h.msgh_size, b.m.h.msgh_size);
	ck_assert_int_eq(a.m.h.msgh_local_port, b.m.h.msgh_local_port);
	ck_assert_int_eq(a.m.h.msgh_id, b.m.h.msgh_id);
	ck_assert_mem_eq(a.m.body, b.m.body, sizeof(a.m.body));
	/* Send-once replies never merge: two distinct names. */
	ck_assert_int_ne(a.m.h.msgh_remote_port, b.m.h.msgh_remote_port);
	(void)off;
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), a.m.h.msgh_remote_port),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), b.m.h.msgh_remote_port),
	    KERN_SUCCESS);
}
END_TEST

/* ---- special reply port RPCs (issue 13) --------------------------------- */

/*
 * An RPC's client and server in one thread, the server's side done
 * between the client's calls.  The client's calls -- its send, which
 * links its special reply port to the server's port (S3), and its receive
 * of the reply, which resets the link (receive completion) -- are counted
 * apart from the server's receive, whose copy-out of the send-once reply
 * right breaks the link (N1).  The client's side must take no slow path
 * at all.  The server's side is not lock-free with any reply port: its
 * reply (MOVE_SEND_ONCE) takes the space lock; so its count is compared
 * with the same RPC through an ordinary receive right as reply port: the
 * special reply port's link adds nothing.  The server's receive alone
 * takes no slow path, with either reply port: the flat receive names the
 * send-once right it carries with the space lock only tried (kmsg.c
 * ipc_kmsg_copyout_reply_try), where the general copyout takes it.  No
 * turnstile is created or walked.
 */
static mach_port_name_t reply;
static uint64_t client_slow, server_slow, server_rcv_slow;

#define COUNTED(counter, call)                           \
	({                                               \
		uint64_t before_ = ipc_slow_entries;     \
		mach_msg_return_t mr_ = (call);          \
		(counter) += ipc_slow_entries - before_; \
		mr_;                                     \
	})

/* The request: to the server's port, `reply` as MAKE_SEND_ONCE reply. */
static void
request_init(msg64_t *m, int i)
{
	memset(m, 0, sizeof(*m));
	m->h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m->h.msgh_remote_port = port;
	m->h.msgh_local_port = reply;
	m->h.msgh_id = i;
}

/* The server takes request i and replies. */
static void
serve(int i)
{
	rcv64_t r;
	msg64_t m;

	MIPC_REQUIRE(
	    COUNTED(server_rcv_slow, receive_one(&r)) == MACH_MSG_SUCCESS,
	    "server receive %d", i);
	MIPC_REQUIRE(r.m.h.msgh_id == i, "request %d in order", i);
	MIPC_REQUIRE(MACH_MSGH_BITS_REMOTE(r.m.h.msgh_bits) ==
	        MACH_MSG_TYPE_PORT_SEND_ONCE,
	    "request %d has its reply right", i);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = r.m.h.msgh_remote_port;
	m.h.msgh_id = 100000 + i;
	MIPC_REQUIRE(
	    COUNTED(server_slow,
	        mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
	            MACH_PORT_NULL)) == MACH_MSG_SUCCESS,
	    "reply %d", i);
}

/* Client: send request i+1 and receive reply i in one call. */
static void
client_combined(int i)
{
	union {
		msg64_t m;
		rcv64_t r;
	} u;

	request_init(&u.m, i + 1);
	MIPC_REQUIRE(
	    COUNTED(client_slow,
	        mach_msg(&u.m.h, MACH_SEND_MSG | MACH_RCV_MSG, sizeof(u.m),
	            sizeof(u.r), reply, 0, MACH_PORT_NULL)) == MACH_MSG_SUCCESS,
	    "client call %d", i);
	MIPC_REQUIRE(u.r.m.h.msgh_id == 100000 + i, "reply %d", i);
}

/* Client: send request i, (server), receive reply i: separate calls. */
static void
client_split(int i)
{
	msg64_t m;
	rcv64_t r;

	request_init(&m, i);
	MIPC_REQUIRE(
	    COUNTED(client_slow,
	        mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
	            MACH_PORT_NULL)) == MACH_MSG_SUCCESS,
	    "client send %d", i);
	serve(i);
	MIPC_REQUIRE(COUNTED(client_slow,
	                 mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r), reply, 0,
	                     MACH_PORT_NULL)) == MACH_MSG_SUCCESS,
	    "client receive %d", i);
	MIPC_REQUIRE(r.m.h.msgh_id == 100000 + i, "reply %d", i);
}

static struct mipc_stats
stats(void)
{
	struct mipc_stats s;

	mipc_get_stats(&s);
	return s;
}

/*
 * 10,000 RPCs through `reply` (split or combined); the slow-path entries
 * of the client's and of the server's side.  Asserts that no turnstile
 * was created or walked.
 */
static void
rpcs(bool combined, uint64_t *client, uint64_t *server, uint64_t *server_rcv)
{
	struct mipc_stats a, b;
	rcv64_t r;
	msg64_t m;
	int i;

	if (combined) {
		request_init(&m, 0);
		ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0,
		                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
	}
	for (i = 0; i < 10100; i++) {
		if (i == 100) { /* warmed up: rings, caches, names */
			a = stats();
			client_slow = server_slow = server_rcv_slow = 0;
		}
		if (combined) {
			serve(i);
			client_combined(i);
		} else {
			client_split(i);
		}
	}
	b = stats();
	*client = client_slow;
	*server = server_slow + server_rcv_slow;
	*server_rcv = server_rcv_slow;
	ck_assert_uint_eq(b.turnstiles, a.turnstiles);
	ck_assert_uint_eq(b.turnstiles, b.threads);
	ck_assert_msg(b.ts_walks == a.ts_walks, "%llu turnstile walks",
	    (unsigned long long)(b.ts_walks - a.ts_walks));
	if (combined) {
		/* The last request's reply, to leave the queues empty. */
		serve(i);
		ck_assert_int_eq(mach_msg(&r.m.h, MACH_RCV_MSG, 0, sizeof(r),
		                     reply, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
	}
}

static void
srp_rpcs_match_plain(bool combined)
{
	uint64_t c_plain, s_plain, c_srp, s_srp, r_plain, r_srp;

	ck_assert_int_eq(mach_port_allocate(
	                     mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &reply),
	    KERN_SUCCESS);
	rpcs(combined, &c_plain, &s_plain, &r_plain);
	reply = thread_get_special_reply_port();
	ck_assert(MACH_PORT_VALID(reply));
	rpcs(combined, &c_srp, &s_srp, &r_srp);
	ck_assert_msg(c_srp == 0 && c_plain == 0,
	    "client side: %llu slow-path entries with the special reply port, "
	    "%llu with a plain one, over 10000 RPCs",
	    (unsigned long long)c_srp, (unsigned long long)c_plain);
	ck_assert_msg(r_srp == 0 && r_plain == 0,
	    "server receive: %llu slow-path entries with the special reply "
	    "port, %llu with a plain one, over 10000 RPCs",
	    (unsigned long long)r_srp, (unsigned long long)r_plain);
	ck_assert_msg(s_srp == s_plain,
	    "server side: %llu slow-path entries with the special reply port, "
	    "%llu with a plain one, over 10000 RPCs",
	    (unsigned long long)s_srp, (unsigned long long)s_plain);
}

START_TEST(fastpath_srp_rpc_split_adds_no_slow_path_no_turnstile)
{
	srp_rpcs_match_plain(false);
}
END_TEST

START_TEST(fastpath_srp_rpc_combined_adds_no_slow_path_no_turnstile)
{
	srp_rpcs_match_plain(true);
}
END_TEST

/* A send-once right to `dest`, under a name of its own. */
static mach_port_name_t
sonce_to(mach_port_name_t dest)
{
	mach_port_name_t so = MACH_PORT_NULL;
	mach_msg_type_name_t t;

	ck_assert_int_eq(mach_port_extract_right(mach_task_self(), dest,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
	    KERN_SUCCESS);
	ck_assert_uint_eq(t, MACH_MSG_TYPE_PORT_SEND_ONCE);
	return so;
}

static mach_msg_return_t
reply_through(mach_port_name_t so, int id)
{
	msg64_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = so;
	m.h.msgh_id = id;
	return mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0,
	    MACH_PORT_NULL);
}

static mach_port_type_t
type_of(mach_port_name_t name)
{
	mach_port_type_t t = 0;

	if (mach_port_type(mach_task_self(), name, &t) != KERN_SUCCESS)
		return 0;
	return t;
}

/*
 * The reply fast path (a MOVE_SEND_ONCE destination, msg.c
 * msg_send_fp_sonce) delivers like the slow path, and leaves what it does
 * not do to it: a dead-name request on the name (P18: PORT_DELETED), a
 * port that died (C8: the send succeeds, the name goes).  The ports have
 * their rings, so the fast path is the one asked first.
 */
START_TEST(fastpath_sonce_reply_leaves_requests_and_deaths_to_slow_path)
{
	mach_port_name_t so, prev = MACH_PORT_NULL, n, q;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	rcv64_t r;

	/* Rings for port and a notification port. */
	ck_assert_int_eq(send_one(1, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_SUCCESS);

	/* Plain: delivered, the name gone, no send-once right left. */
	so = sonce_to(port);
	ck_assert_int_eq(reply_through(so, 0x51), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(type_of(so), 0);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, 0x51);
	ck_assert_uint_eq(MACH_MSGH_BITS_LOCAL(r.m.h.msgh_bits),
	    MACH_MSG_TYPE_PORT_SEND_ONCE);
	ck_assert_int_eq(mach_port_get_attributes(mach_task_self(), port,
	                     MACH_PORT_RECEIVE_STATUS, (int *)&st, &cnt),
	    KERN_SUCCESS);
	ck_assert_uint_eq(st.mps_sorights, 0);
	ck_assert_uint_eq(st.mps_msgcount, 0);

	/* P18: a dead-name request on the name: PORT_DELETED, delivered. */
	so = sonce_to(port);
	ck_assert_int_eq(mach_port_request_notification(mach_task_self(), so,
	                     MACH_NOTIFY_DEAD_NAME, 0, n,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	ck_assert_int_eq(reply_through(so, 0x52), MACH_MSG_SUCCESS);
	ck_assert_int_eq(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(r), n, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, MACH_NOTIFY_PORT_DELETED);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, 0x52);

	/* C8: the port died: the send succeeds and consumes the name. */
	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &q),
	    KERN_SUCCESS);
	so = sonce_to(q);
	ck_assert_int_eq(reply_through(sonce_to(q), 0x53), MACH_MSG_SUCCESS);
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), q, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(reply_through(so, 0x54), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(type_of(so), 0);
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
}
END_TEST

/*
 * A message the fast path queued carries its send right without a port
 * reference of its own (IKM_F_BORROWED): no-senders still waits for the
 * last such message to be received (P11), and a port destroyed with such
 * messages queued drains them (teardown checks every counter).
 */
START_TEST(fastpath_borrowed_messages_hold_off_no_senders)
{
	mach_port_name_t n, prev = MACH_PORT_NULL;
	rcv64_t r;
	int i;

	ck_assert_int_eq(send_one(1, 0), MACH_MSG_SUCCESS); /* the ring */
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_SUCCESS);
	ck_assert_int_eq(mach_port_request_notification(mach_task_self(), port,
	                     MACH_NOTIFY_NO_SENDERS, 0, n,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(send_one(10 + i, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), port, MACH_PORT_RIGHT_SEND, -1),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(
		    mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(r), n, 0, MACH_PORT_NULL),
		    MACH_RCV_TIMED_OUT);
		ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
		ck_assert_int_eq(r.m.h.msgh_id, 10 + i);
	}
	ck_assert_int_eq(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(r), n, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, MACH_NOTIFY_NO_SENDERS);

	/* Queued borrowed messages on a port that dies. */
	ck_assert_int_eq(mach_port_insert_right(mach_task_self(), port, port,
	                     MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(send_one(20 + i, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    mach_port_destroy(mach_task_self(), port), KERN_SUCCESS);
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
}
END_TEST

/*
 * Sent with no no-senders request armed, the fast path's messages carry
 * implicit send rights, counted by their slots alone: they are send
 * rights all the same (mach_port_get_srights, mps_srights), a request
 * armed while they are queued does not fire at once (P10) but when the
 * last of them is received (P11).
 */
START_TEST(fastpath_implicit_send_rights_count_and_hold_off_no_senders)
{
	mach_port_name_t n, prev = MACH_PORT_NULL;
	mach_port_rights_t srights = 0;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	rcv64_t r;
	int i;

	ck_assert_int_eq(send_one(1, 0), MACH_MSG_SUCCESS); /* the ring */
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(send_one(30 + i, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), port, MACH_PORT_RIGHT_SEND, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_get_srights(mach_task_self(), port, &srights),
	    KERN_SUCCESS);
	ck_assert_uint_eq(srights, 3);
	ck_assert_int_eq(mach_port_get_attributes(mach_task_self(), port,
	                     MACH_PORT_RECEIVE_STATUS, (int *)&st, &cnt),
	    KERN_SUCCESS);
	ck_assert(st.mps_srights);
	ck_assert_int_eq(mach_port_request_notification(mach_task_self(), port,
	                     MACH_NOTIFY_NO_SENDERS, 0, n,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(
		    mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(r), n, 0, MACH_PORT_NULL),
		    MACH_RCV_TIMED_OUT);
		ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
		ck_assert_int_eq(r.m.h.msgh_id, 30 + i);
	}
	ck_assert_int_eq(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(r), n, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
	ck_assert_int_eq(
	    mach_port_get_srights(mach_task_self(), port, &srights),
	    KERN_SUCCESS);
	ck_assert_uint_eq(srights, 0);

	/* No sender left at all: a request fires at once (P10). */
	ck_assert_int_eq(mach_port_request_notification(mach_task_self(), port,
	                     MACH_NOTIFY_NO_SENDERS, 0, n,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	ck_assert_int_eq(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(r), n, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
}
END_TEST

/* The counters see a blocked client's wait and its turnstile walks. */
START_TEST(fastpath_srp_counters_see_a_wait)
{
	rcv64_t r;
	msg64_t m;
	uint64_t before;
	struct mipc_stats a, b;

	reply = thread_get_special_reply_port();
	request_init(&m, 1);
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	a = stats();
	before = ipc_slow_entries;
	/* Nobody replies: the client blocks (turnstile, futex), times out. */
	ck_assert_int_eq(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(r), reply, 1, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	b = stats();
	ck_assert_msg(ipc_slow_entries > before, "the wait was counted");
	ck_assert_msg(b.ts_walks > a.ts_walks, "the push was walked");
	ck_assert_uint_eq(b.turnstiles, b.threads);
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	mach_msg_destroy(&r.m.h);
}
END_TEST

/* ---- the receive fast path (PERF.md 3.8, msg.c msg_receive_fp) --------- */

/* A call's result, and how many receives the flat path completed in it. */
#define FLAT(nflat, call)                               \
	({                                              \
		uint64_t before_ = ipc_rcv_fp_entries;  \
		mach_msg_return_t mr_ = (call);         \
		(nflat) = ipc_rcv_fp_entries - before_; \
		mr_;                                    \
	})

static mach_msg_return_t
receive_opt(rcv64_t *r, mach_msg_option_t option, mach_msg_size_t size,
    mach_port_name_t name, mach_msg_timeout_t timeout)
{
	memset(r, 0xa5, sizeof(*r));
	return mach_msg(
	    &r->m.h, MACH_RCV_MSG | option, 0, size, name, timeout, 0);
}

/* The default trailer after a message of `size` bytes at `buf`. */
static void
assert_default_trailer(const void *buf, mach_msg_size_t size)
{
	mach_msg_trailer_t t;

	memcpy(&t, (const char *)buf + size, sizeof(t));
	ck_assert_uint_eq(t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	ck_assert_uint_eq(t.msgh_trailer_size, sizeof(t));
}

/*
 * The common receives take the flat path, and deliver what the general
 * path delivered (fastpath_and_slowpath_deliver_the_same compares them
 * for a reply right): no reply right, a send-once reply right, a
 * handoff-area reply, MACH_RCV_LARGE when the message fits, a buffer
 * that holds exactly message and trailer, at an odd address, and a
 * message with a descriptor (taken flat, copied out by the general
 * copyout).
 */
START_TEST(fastpath_receive_common_cases_take_the_flat_path)
{
	/* A byte, then message and trailer, then a byte. */
	char odd[1 + sizeof(msg64_t) + sizeof(mach_msg_trailer_t) + 1];
	struct {
		mach_msg_header_t h;
		mach_msg_body_t b;
		mach_msg_port_descriptor_t d;
		mach_msg_max_trailer_t t;
	} c;
	uint64_t n;
	rcv64_t r;
	int i;

	for (i = 0; i < 4; i++) { /* the ring, caches, thread state */
		ck_assert_int_eq(send_one(i, 0), MACH_MSG_SUCCESS);
		ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	}

	ck_assert_int_eq(send_one(101, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(FLAT(n, receive_one(&r)), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(
	    r.m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	ck_assert_uint_eq(r.m.h.msgh_size, sizeof(msg64_t));
	ck_assert_uint_eq(r.m.h.msgh_remote_port, MACH_PORT_NULL);
	ck_assert_uint_eq(r.m.h.msgh_local_port, port);
	ck_assert_int_eq(r.m.h.msgh_id, 101);
	i = 101;
	ck_assert_mem_eq(r.m.body, &i, sizeof(i));
	assert_default_trailer(&r, sizeof(msg64_t));

	/* A send-once reply right: a new name in the space. */
	ck_assert_int_eq(
	    send_one(102, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_MSG_SUCCESS);
	ck_assert_int_eq(FLAT(n, receive_one(&r)), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(r.m.h.msgh_bits,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
	ck_assert_uint_eq(
	    type_of(r.m.h.msgh_remote_port), MACH_PORT_TYPE_SEND_ONCE);
	ck_assert_int_eq(r.m.h.msgh_id, 102);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), r.m.h.msgh_remote_port),
	    KERN_SUCCESS);

	/* A reply to the empty queue, written in its handoff area. */
	ck_assert_int_eq(reply_through(sonce_to(port), 103), MACH_MSG_SUCCESS);
	ck_assert_int_eq(FLAT(n, receive_one(&r)), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(
	    r.m.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
	ck_assert_int_eq(r.m.h.msgh_id, 103);
	assert_default_trailer(&r, sizeof(msg64_t));
	ck_assert_uint_eq(msgcount(), 0);

	/* MACH_RCV_LARGE, and a message that fits. */
	ck_assert_int_eq(send_one(104, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(FLAT(n,
	                     receive_opt(&r, MACH_RCV_LARGE, sizeof(r), port,
	                         MACH_MSG_TIMEOUT_NONE)),
	    MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(r.m.h.msgh_id, 104);

	/* Exactly message + trailer, at an odd address. */
	ck_assert_int_eq(send_one(105, 0), MACH_MSG_SUCCESS);
	memset(odd, 0xa5, sizeof(odd));
	ck_assert_int_eq(FLAT(n,
	                     mach_msg((mach_msg_header_t *)(void *)(odd + 1),
	                         MACH_RCV_MSG, 0, sizeof(odd) - 2, port, 0, 0)),
	    MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq((unsigned char)odd[0], 0xa5);
	ck_assert_uint_eq((unsigned char)odd[sizeof(odd) - 1], 0xa5);
	{
		msg64_t got;

		memcpy(&got, odd + 1, sizeof(got));
		ck_assert_int_eq(got.h.msgh_id, 105);
		ck_assert_uint_eq(got.h.msgh_size, sizeof(msg64_t));
		ck_assert_uint_eq(got.h.msgh_local_port, port);
	}
	assert_default_trailer(odd + 1, sizeof(msg64_t));

	/* A descriptor: taken flat, copied out by ipc_kmsg_copyout. */
	memset(&c, 0, sizeof(c));
	c.h.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	c.h.msgh_remote_port = port;
	c.h.msgh_id = 106;
	c.b.msgh_descriptor_count = 1;
	c.d.name = port;
	c.d.disposition = MACH_MSG_TYPE_MAKE_SEND;
	c.d.type = MACH_MSG_PORT_DESCRIPTOR;
	ck_assert_int_eq(mach_msg(&c.h, MACH_SEND_MSG,
	                     offsetof(__typeof__(c), t), 0, 0, 0, 0),
	    MACH_MSG_SUCCESS);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(
	    FLAT(n, mach_msg(&c.h, MACH_RCV_MSG, 0, sizeof(c), port, 0, 0)),
	    MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(c.h.msgh_id, 106);
	ck_assert(MACH_MSGH_BITS_IS_COMPLEX(c.h.msgh_bits));
	ck_assert_uint_eq(c.d.name, port); /* the send right merges */
	ck_assert_uint_eq(c.d.disposition, MACH_MSG_TYPE_PORT_SEND);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);
}
END_TEST

static void *
send_later(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	ck_assert_int_eq(send_one(207, 0), MACH_MSG_SUCCESS);
	return NULL;
}

/*
 * What the flat path leaves to the general path gives the general path's
 * results, and the flat path did not take the message first: a port set,
 * a message too large (K4: taken and destroyed; K5: left, then taken
 * flat once the buffer is large enough), a trailer beyond the default
 * (its seqno), an empty queue (a poll, a wait that times out, a wait a
 * sender ends).
 */
START_TEST(fastpath_receive_fallbacks_give_the_general_results)
{
	mach_port_name_t set;
	mach_msg_seqno_trailer_t st;
	mach_port_seqno_t seq;
	pthread_t thr;
	uint64_t n;
	rcv64_t r;

	ck_assert_int_eq(send_one(200, 0), MACH_MSG_SUCCESS); /* the ring */
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);

	/* Through a set: the member's name, the general path. */
	ck_assert_int_eq(mach_port_allocate(
	                     mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_insert_member(mach_task_self(), port, set), KERN_SUCCESS);
	ck_assert_int_eq(send_one(201, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    FLAT(n, receive_opt(&r, 0, sizeof(r), set, MACH_MSG_TIMEOUT_NONE)),
	    MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(r.m.h.msgh_id, 201);
	ck_assert_uint_eq(r.m.h.msgh_local_port, port);
	assert_default_trailer(&r, sizeof(msg64_t));
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), set,
	                     MACH_PORT_RIGHT_PORT_SET, -1),
	    KERN_SUCCESS);

	/* K4: one byte short of the trailer: taken, destroyed, bare header. */
	ck_assert_int_eq(send_one(202, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    FLAT(n,
	        receive_opt(&r, 0,
	            sizeof(msg64_t) + sizeof(mach_msg_trailer_t) - 1, port,
	            MACH_MSG_TIMEOUT_NONE)),
	    MACH_RCV_TOO_LARGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(r.m.h.msgh_size, sizeof(mach_msg_header_t));
	ck_assert_int_eq(r.m.h.msgh_id, 202);
	ck_assert_uint_eq(msgcount(), 0);

	/* K5: MACH_RCV_LARGE leaves it, with its size; then it fits. */
	ck_assert_int_eq(send_one(203, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(FLAT(n,
	                     receive_opt(&r, MACH_RCV_LARGE, sizeof(msg64_t),
	                         port, MACH_MSG_TIMEOUT_NONE)),
	    MACH_RCV_TOO_LARGE);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(r.m.h.msgh_size, sizeof(msg64_t));
	ck_assert_uint_eq(msgcount(), 1);
	ck_assert_int_eq(FLAT(n, receive_one(&r)), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(r.m.h.msgh_id, 203);

	/* A trailer beyond the default: the seqno it carries. */
	seq = port_status().mps_seqno;
	ck_assert_int_eq(send_one(204, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(
	    FLAT(n,
	        receive_opt(&r,
	            MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
	                MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO),
	            sizeof(r), port, MACH_MSG_TIMEOUT_NONE)),
	    MACH_MSG_SUCCESS);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(r.m.h.msgh_id, 204);
	memcpy(&st, (char *)&r + sizeof(msg64_t), sizeof(st));
	ck_assert_uint_eq(st.msgh_trailer_size, sizeof(st));
	ck_assert_uint_eq(st.msgh_seqno, seq);

	/* Empty: a poll times out at once, a wait after its timeout. */
	ck_assert_int_eq(
	    FLAT(n, receive_opt(&r, MACH_RCV_TIMEOUT, sizeof(r), port, 0)),
	    MACH_RCV_TIMED_OUT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(
	    FLAT(n, receive_opt(&r, MACH_RCV_TIMEOUT, sizeof(r), port, 5)),
	    MACH_RCV_TIMED_OUT);
	ck_assert_uint_eq(n, 0);

	/* Empty, then a sender: the waiting receive gets the message. */
	ck_assert_int_eq(pthread_create(&thr, NULL, send_later, NULL), 0);
	ck_assert_int_eq(FLAT(n, receive_one(&r)), MACH_MSG_SUCCESS);
	ck_assert_int_eq(pthread_join(thr, NULL), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(r.m.h.msgh_id, 207);
	assert_default_trailer(&r, sizeof(msg64_t));
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/* ---- the reply right's name (kmsg.c ipc_kmsg_copyout_reply_try) ------- */

/* A space with a service port and a reply port (receive rights). */
struct rpc_space {
	mipc_space_t rs_sp;
	mach_port_name_t rs_svc, rs_rp;
};

static void
rpc_space_make(struct rpc_space *rs, uint32_t seed)
{
	ipc_space_seed_set(seed);
	ck_assert_int_eq(mipc_space_create(&rs->rs_sp), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(rs->rs_sp, MACH_PORT_RIGHT_RECEIVE, &rs->rs_svc),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(rs->rs_sp, MACH_PORT_RIGHT_RECEIVE, &rs->rs_rp),
	    KERN_SUCCESS);
}

/* Request i to the service port, MAKE_SEND_ONCE of the reply port. */
static void
rpc_request(struct rpc_space *rs, int i)
{
	msg64_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_remote_port = rs->rs_svc;
	m.h.msgh_local_port = rs->rs_rp;
	m.h.msgh_id = i;
	ck_assert_int_eq(mipc_msg(rs->rs_sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* The server's receive: the flat path's (default trailer) or not. */
static mach_msg_return_t
rpc_take(struct rpc_space *rs, rcv64_t *r, bool seqno_trailer)
{
	mach_msg_option_t o = seqno_trailer
	    ? MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
	        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO)
	    : 0;

	memset(r, 0, sizeof(*r));
	return mipc_msg(rs->rs_sp, &r->m.h, MACH_RCV_MSG | o, 0, sizeof(*r),
	    rs->rs_svc, 0, MACH_PORT_NULL);
}

static mach_port_rights_t
rpc_sorights(struct rpc_space *rs)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	ck_assert_int_eq(
	    mipc_port_get_attributes(rs->rs_sp, rs->rs_rp,
	        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_SUCCESS);
	return st.mps_sorights;
}

/*
 * n RPCs in a space seeded with `seed`, the server's receive flat or
 * general (asking for a seqno trailer); the reply rights' names in
 * names[].  Each name holds exactly the send-once right -- its type, one
 * user reference (read lock-free by get_refs), the port's send-once
 * count -- and dies with the reply sent through it.
 */
static void
rpc_reply_names(uint32_t seed, bool flat, mach_port_name_t *names, int n)
{
	struct rpc_space rs;
	mach_port_urefs_t refs;
	mach_port_type_t t;
	uint64_t nflat, named;
	rcv64_t r;
	msg64_t m;
	int i;

	rpc_space_make(&rs, seed);
	for (i = 0; i < n; i++) {
		rpc_request(&rs, i);
		named = ipc_rcv_reply_named;
		ck_assert_int_eq(
		    FLAT(nflat, rpc_take(&rs, &r, !flat)), MACH_MSG_SUCCESS);
		ck_assert_uint_eq(nflat, flat ? 1 : 0);
		ck_assert_uint_eq(ipc_rcv_reply_named - named, flat ? 1 : 0);
		ck_assert_int_eq(r.m.h.msgh_id, i);
		ck_assert_uint_eq(r.m.h.msgh_bits,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
		names[i] = r.m.h.msgh_remote_port;
		ck_assert(MACH_PORT_VALID(names[i]));
		ck_assert_int_eq(
		    mipc_port_type(rs.rs_sp, names[i], &t), KERN_SUCCESS);
		ck_assert_uint_eq(t, MACH_PORT_TYPE_SEND_ONCE);
		ck_assert_int_eq(mipc_port_get_refs(rs.rs_sp, names[i],
		                     MACH_PORT_RIGHT_SEND_ONCE, &refs),
		    KERN_SUCCESS);
		ck_assert_uint_eq(refs, 1);
		ck_assert_uint_eq(rpc_sorights(&rs), 1);

		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		m.h.msgh_remote_port = names[i];
		m.h.msgh_id = 1000 + i;
		ck_assert_int_eq(
		    mipc_msg(rs.rs_sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_type(rs.rs_sp, names[i], &t), KERN_INVALID_NAME);
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(mipc_msg(rs.rs_sp, &r.m.h, MACH_RCV_MSG, 0,
		                     sizeof(r), rs.rs_rp, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(r.m.h.msgh_id, 1000 + i);
		ck_assert_uint_eq(rpc_sorights(&rs), 0);
	}
	ck_assert_int_eq(mipc_space_destroy(rs.rs_sp), KERN_SUCCESS);
}

/*
 * The flat receive names a send-once reply right exactly as the general
 * copyout does (K8: a fresh name, never merged): two spaces seeded alike
 * give the same names, generation by generation, through 200 reuses of
 * the freed entry (past several roll points: a period of 16 to 64 uses).
 */
START_TEST(fastpath_reply_right_named_as_the_general_path_names_it)
{
	enum { N = 200 };
	mach_port_name_t flat[N], general[N];
	int i, rolls = 0;

	rpc_reply_names(0x5eed1234u, true, flat, N);
	rpc_reply_names(0x5eed1234u, false, general, N);
	for (i = 0; i < N; i++) {
		ck_assert_msg(flat[i] == general[i],
		    "reply %d: flat name 0x%x, general 0x%x", i, flat[i],
		    general[i]);
		if (i > 0 &&
		    MACH_PORT_GEN(flat[i]) < MACH_PORT_GEN(flat[i - 1]))
			rolls++;
	}
	ck_assert_int_ge(rolls, 3);
}
END_TEST

/*
 * What the flat copyout of a reply right leaves to the general one gets
 * its results: a table with no free entry (it grows), a reply port that
 * died (MACH_PORT_DEAD, the right destroyed: no send-once count left).
 */
START_TEST(fastpath_reply_right_fallbacks_give_the_general_results)
{
	struct rpc_space rs;
	struct mipc_space *space;
	mach_port_name_t pset;
	mach_port_type_t t;
	uint32_t size;
	uint64_t nflat, named;
	rcv64_t r;

	rpc_space_make(&rs, 0x77u);
	space = ipc_space_slot(rs.rs_sp);
	rpc_request(&rs, 1); /* the ring */
	ck_assert_int_eq(rpc_take(&rs, &r, false), MACH_MSG_SUCCESS);
	ck_assert_int_eq(mipc_port_deallocate(rs.rs_sp, r.m.h.msgh_remote_port),
	    KERN_SUCCESS);

	/* No free entry: the table grows for the name. */
	while (space->is_free_head != 0)
		ck_assert_int_eq(mipc_port_allocate(
		                     rs.rs_sp, MACH_PORT_RIGHT_PORT_SET, &pset),
		    KERN_SUCCESS);
	size = space->is_table->it_size;
	rpc_request(&rs, 2);
	named = ipc_rcv_reply_named;
	ck_assert_int_eq(
	    FLAT(nflat, rpc_take(&rs, &r, false)), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(nflat, 1);
	ck_assert_uint_eq(ipc_rcv_reply_named, named); /* the general's */
	ck_assert_int_eq(r.m.h.msgh_id, 2);
	ck_assert_uint_eq(space->is_table->it_size, 2 * size);
	ck_assert_int_eq(
	    mipc_port_type(rs.rs_sp, r.m.h.msgh_remote_port, &t), KERN_SUCCESS);
	ck_assert_uint_eq(t, MACH_PORT_TYPE_SEND_ONCE);
	ck_assert_uint_eq(MACH_PORT_INDEX(r.m.h.msgh_remote_port) >= size, 1);
	ck_assert_int_eq(mipc_port_deallocate(rs.rs_sp, r.m.h.msgh_remote_port),
	    KERN_SUCCESS);

	/* The reply port died with the request queued. */
	rpc_request(&rs, 3);
	ck_assert_int_eq(
	    mipc_port_mod_refs(rs.rs_sp, rs.rs_rp, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	named = ipc_rcv_reply_named;
	ck_assert_int_eq(
	    FLAT(nflat, rpc_take(&rs, &r, false)), MACH_MSG_SUCCESS);
	ck_assert_uint_eq(nflat, 1);
	ck_assert_uint_eq(ipc_rcv_reply_named, named); /* the general's */
	ck_assert_int_eq(r.m.h.msgh_id, 3);
	ck_assert_uint_eq(r.m.h.msgh_remote_port, MACH_PORT_DEAD);
	ck_assert_uint_eq(r.m.h.msgh_bits,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
	ck_assert_int_eq(mipc_space_destroy(rs.rs_sp), KERN_SUCCESS);
}
END_TEST

/*
 * A receive on the flat path while a peek is in progress (the hook word,
 * mqueue.c "Peeking at a message", set by hand as a peeker sets it):
 * delivered whole, and the kmsg retired through the epoch (ASan and the
 * teardown's counters see a free too early or a leak).
 * tests/unit/peek.c races a real peek against this path.
 */
START_TEST(fastpath_receive_during_a_peek_retires_the_kmsg)
{
	struct ipc_port *p;
	uint64_t n;
	rcv64_t r;

	ck_assert_int_eq(send_one(300, 0), MACH_MSG_SUCCESS); /* the ring */
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);
	p = port_of(mipc_thread_space(), port);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(send_one(301, 0), MACH_MSG_SUCCESS);
	ck_pr_or_32(&p->ip_rcv_hooks, IP_RCV_HOOK_PEEK);
	ck_assert_int_eq(FLAT(n, receive_one(&r)), MACH_MSG_SUCCESS);
	ck_pr_and_32(&p->ip_rcv_hooks, ~IP_RCV_HOOK_PEEK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(r.m.h.msgh_id, 301);
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/* ---- a send right's entry reused by a port set under the send --------- */

struct set_reuse {
	mipc_space_t sr_sp;
	mach_port_name_t sr_send, sr_set;
	mach_msg_return_t sr_mr;
};

static void
set_reuse_send(void *arg)
{
	struct set_reuse *sr = arg;
	msg64_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = sr->sr_send;
	m.h.msgh_id = 600;
	sr->sr_mr = mipc_msg(sr->sr_sp, &m.h, MACH_SEND_MSG, sizeof(m), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

static void
set_reuse_take(void *arg)
{
	struct set_reuse *sr = arg;

	MIPC_REQUIRE(
	    mipc_port_deallocate(sr->sr_sp, sr->sr_send) == KERN_SUCCESS,
	    "deallocating the send right");
	MIPC_REQUIRE(mipc_port_allocate(sr->sr_sp, MACH_PORT_RIGHT_PORT_SET,
	                 &sr->sr_set) == KERN_SUCCESS,
	    "allocating the port set");
}

/*
 * The send fast path read its destination's bits (a send right), the
 * right went and a port set took its entry, and the path loaded the
 * entry's object -- the set -- as a port: "object is a port" aborted
 * (the shape fuzz_sched found in get_refs, right.c).  At every yield
 * point of the send the message is queued whole (before) or the name is
 * refused (MACH_SEND_INVALID_DEST, after); the set's entry must have
 * been the send right's at least once.
 */
START_TEST(fastpath_send_right_entry_reused_by_a_port_set)
{
	unsigned int nth, before = 0, after = 0, same_entry = 0;
	bool reached = true;
	mipc_space_t owner;
	mach_port_name_t dest;

	ck_assert_int_eq(mipc_space_create(&owner), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(owner, MACH_PORT_RIGHT_RECEIVE, &dest),
	    KERN_SUCCESS);
	for (nth = 1; reached; nth++) {
		struct set_reuse sr = { 0 };
		mach_msg_type_name_t t;
		rcv64_t r;

		ck_assert_int_eq(mipc_space_create(&sr.sr_sp), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(owner, dest,
		        MACH_MSG_TYPE_MAKE_SEND, sr.sr_sp, &sr.sr_send, &t),
		    KERN_SUCCESS);
		reached = interleave_at(
		    nth, set_reuse_send, &sr, set_reuse_take, &sr);
		memset(&r, 0, sizeof(r));
		if (sr.sr_mr == MACH_MSG_SUCCESS) {
			ck_assert_int_eq(
			    mipc_msg(owner, &r.m.h,
			        MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r),
			        dest, 0, MACH_PORT_NULL),
			    MACH_MSG_SUCCESS);
			ck_assert_int_eq(r.m.h.msgh_id, 600);
			before++;
		} else {
			ck_assert_int_eq(sr.sr_mr, MACH_SEND_INVALID_DEST);
			after++;
		}
		ck_assert_int_eq(
		    mipc_msg(owner, &r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(r), dest, 0, MACH_PORT_NULL),
		    MACH_RCV_TIMED_OUT);
		if (reached &&
		    MACH_PORT_INDEX(sr.sr_set) == MACH_PORT_INDEX(sr.sr_send))
			same_entry++;
		ck_assert_int_eq(mipc_space_destroy(sr.sr_sp), KERN_SUCCESS);
	}
	ck_assert_uint_gt(same_entry, 0);
	ck_assert_uint_gt(before, 0);
	ck_assert_uint_gt(after, 0);
	ck_assert_int_eq(mipc_space_destroy(owner), KERN_SUCCESS);
}
END_TEST

/* ---- the receive fast path against a racing space destroy (W2) --------- */

struct race {
	mipc_space_t rc_space;
	mach_port_name_t rc_port;
	mach_msg_return_t rc_mr;
	kern_return_t rc_kr;
	uint64_t rc_flat;
	rcv64_t rc_r;
};

static void
race_receive(void *arg)
{
	struct race *rc = arg;
	uint64_t before = ipc_rcv_fp_entries;

	memset(&rc->rc_r, 0, sizeof(rc->rc_r));
	rc->rc_mr = mipc_msg(rc->rc_space, &rc->rc_r.m.h,
	    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(rc->rc_r), rc->rc_port,
	    0, MACH_PORT_NULL);
	rc->rc_flat = ipc_rcv_fp_entries - before;
}

static void
race_destroy(void *arg)
{
	struct race *rc = arg;

	rc->rc_kr = mipc_space_destroy(rc->rc_space);
}

/*
 * The receiver's space destroyed at each yield point of a flat-path
 * receive (a poll) of a message whose reply right needs the space (its
 * lock tried in the section, kmsg.c ipc_kmsg_copyout_reply_try; or its
 * reference and lock, right_copyout): the receive ends as it
 * would before or after the destroy, or with W2's error once it took the
 * message (MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE), or finds the
 * queue the destroy drained after its lookup; ASan and the teardown's
 * counters see a use after free or a leak.
 */
START_TEST(fastpath_receive_racing_a_space_destroy)
{
	unsigned int nth, before = 0, after = 0, w2 = 0;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct race rc;
		mach_port_name_t reply_to;
		msg64_t m;

		memset(&rc, 0, sizeof(rc));
		ck_assert_int_eq(mipc_space_create(&rc.rc_space), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(rc.rc_space,
		                     MACH_PORT_RIGHT_RECEIVE, &rc.rc_port),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(rc.rc_space,
		                     MACH_PORT_RIGHT_RECEIVE, &reply_to),
		    KERN_SUCCESS);
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(
		    MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		m.h.msgh_remote_port = rc.rc_port;
		m.h.msgh_local_port = reply_to;
		m.h.msgh_id = 500;
		ck_assert_int_eq(
		    mipc_msg(rc.rc_space, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);

		reached =
		    interleave_at(nth, race_receive, &rc, race_destroy, &rc);

		ck_assert_int_eq(rc.rc_kr, KERN_SUCCESS);
		if (rc.rc_mr == MACH_MSG_SUCCESS) {
			/* Received before the destroy: whole, flat. */
			ck_assert_int_eq(rc.rc_r.m.h.msgh_id, 500);
			ck_assert_uint_eq(rc.rc_flat, 1);
			ck_assert(
			    MACH_PORT_VALID(rc.rc_r.m.h.msgh_remote_port));
			before++;
		} else if (rc.rc_mr == MACH_RCV_INVALID_NAME) {
			/* The space went before the look. */
			ck_assert_uint_eq(rc.rc_flat, 0);
			after++;
		} else if (rc.rc_mr == MACH_RCV_TIMED_OUT) {
			/*
			 * The look found the port in its space, then its
			 * queue drained by the destroy (the general path's
			 * rcv_try answers the same).
			 */
			ck_assert_uint_eq(rc.rc_flat, 0);
		} else {
			/* Taken, then the copyout found the space gone (W2). */
			ck_assert_int_eq(rc.rc_mr,
			    MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE);
			w2++;
		}
	}
	ck_assert_uint_gt(before, 0);
	ck_assert_uint_gt(after, 0);
	ck_assert_uint_gt(w2, 0);
}
END_TEST

/* ---- a waiting receiver's spins (msg.c rcv_idle, waitq.h wh_idle) ------ */

/*
 * Something done in the receiver's own thread at its nth spin (the yield
 * point IPC_YIELD_SPIN of ipc_spin_step, between two looks: nothing
 * locked, no epoch section), then the spins it made after that counted.
 */
static struct spin_scene {
	unsigned int ss_at[2]; /* act at these spins (0: not) */
	void (*ss_act[2])(void);
	unsigned int ss_seen, ss_after, ss_acts;
	bool ss_acting;
} ss;

static void
spin_hook(enum ipc_yield_point point)
{
	int i;

	if (point != IPC_YIELD_SPIN || ss.ss_acting)
		return;
	ss.ss_seen++;
	if (ss.ss_acts == 2 || (ss.ss_acts == 1 && ss.ss_at[1] == 0)) {
		ss.ss_after++;
		return;
	}
	i = (int)ss.ss_acts;
	if (ss.ss_seen != ss.ss_at[i])
		return;
	ss.ss_acting = true;
	ss.ss_act[i]();
	ss.ss_acting = false;
	ss.ss_acts++;
}

/* A blocking receive on `port` with the acts done at its spins. */
static mach_msg_return_t
receive_spinning(rcv64_t *r, void (*act0)(void), unsigned int at0,
    void (*act1)(void), unsigned int at1)
{
	uint64_t idle = ipc_rcv_idle_spins;
	mach_msg_return_t mr;

	memset(&ss, 0, sizeof(ss));
	ss.ss_at[0] = at0;
	ss.ss_act[0] = act0;
	ss.ss_at[1] = at1;
	ss.ss_act[1] = act1;
	ipc_yield_hook = spin_hook;
	mr = receive_opt(r, MACH_RCV_TIMEOUT, sizeof(*r), port, 10000);
	ipc_yield_hook = NULL;
	ck_assert_uint_eq(ss.ss_acts, at1 != 0 ? 2 : 1);
	/* The spins before the first act looked at the ring only. */
	ck_assert_uint_ge(ipc_rcv_idle_spins - idle, at0 - 1);
	return mr;
}

static void
act_send(void)
{
	ck_assert_int_eq(send_one(400, 0), MACH_MSG_SUCCESS);
}

static void
act_reply(void)
{
	ck_assert_int_eq(reply_through(sonce_to(port), 401), MACH_MSG_SUCCESS);
}

static void
act_destroy(void)
{
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), port,
	                     MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
}

static mipc_space_t other;

static void
act_move_out(void)
{
	mach_port_name_t n;
	mach_msg_type_name_t t;

	ck_assert_int_eq(mipc_port_extract_right(mipc_thread_space(), port,
	                     MACH_MSG_TYPE_MOVE_RECEIVE, other, &n, &t),
	    KERN_SUCCESS);
}

static mach_port_name_t renamed;

static void
act_rename(void)
{
	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_DEAD_NAME, &renamed),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), renamed), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_insert_right(mipc_thread_space(), renamed,
	        mipc_thread_space(), port, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
}

static mach_port_name_t spin_set;

static void
act_join_set(void)
{
	ck_assert_int_eq(
	    mach_port_insert_member(mach_task_self(), port, spin_set),
	    KERN_SUCCESS);
}

/*
 * A receiver waiting on a port spins looking at the port's ring only
 * (no epoch section, lookup or peek), and still sees at its very next
 * spin -- no spin after it -- a message (ring or handoff area), its
 * port's death (K6) and its receive right moved to another space (K6).
 * A move under another name in the same space, which only the whole look
 * sees, ends the wait too (at the look before it sleeps); a set the port
 * joins does not disturb it (K6), and a message after that is its.
 */
START_TEST(fastpath_spinning_receiver_sees_each_change)
{
	mach_port_name_t dead;
	rcv64_t r;

	ck_assert_int_eq(send_one(399, 0), MACH_MSG_SUCCESS); /* the ring */
	ck_assert_int_eq(receive_one(&r), MACH_MSG_SUCCESS);

	ck_assert_int_eq(
	    receive_spinning(&r, act_send, 3, NULL, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, 400);
	ck_assert_uint_eq(ss.ss_after, 0);

	ck_assert_int_eq(
	    receive_spinning(&r, act_reply, 3, NULL, 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, 401);
	ck_assert_uint_eq(ss.ss_after, 0);

	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_PORT_SET, &spin_set),
	    KERN_SUCCESS);
	ck_assert_int_eq(receive_spinning(&r, act_join_set, 2, act_send, 5),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(r.m.h.msgh_id, 400);
	ck_assert_uint_eq(r.m.h.msgh_local_port, port);
	ck_assert_uint_eq(ss.ss_after, 0);
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), spin_set,
	                     MACH_PORT_RIGHT_PORT_SET, -1),
	    KERN_SUCCESS);

	/* Renamed: the receive right alone moves (no send right left). */
	ck_assert_int_eq(mach_port_mod_refs(
	                     mach_task_self(), port, MACH_PORT_RIGHT_SEND, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(receive_spinning(&r, act_rename, 3, NULL, 0),
	    MACH_RCV_PORT_CHANGED);
	ck_assert_uint_eq(type_of(port), 0);
	port = renamed;
	ck_assert_int_eq(mach_port_insert_right(mach_task_self(), port, port,
	                     MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	ck_assert_int_eq(receive_spinning(&r, act_move_out, 3, NULL, 0),
	    MACH_RCV_PORT_CHANGED);
	ck_assert_uint_eq(ss.ss_after, 0);
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), port), KERN_SUCCESS);

	ck_assert_int_eq(mach_port_allocate(
	                     mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &dead),
	    KERN_SUCCESS);
	port = dead;
	ck_assert_int_eq(receive_spinning(&r, act_destroy, 3, NULL, 0),
	    MACH_RCV_PORT_CHANGED);
	ck_assert_uint_eq(ss.ss_after, 0);
}
END_TEST

static Suite *
fastpath_suite(void)
{
	Suite *s = suite_create("fastpath");
	TCase *tc = mipc_tcase("fastpath");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, fastpath_counter_sees_the_slow_path);
	tcase_add_test(tc, fastpath_and_slowpath_deliver_the_same);
	tcase_add_test(
	    tc, fastpath_beyond_the_ring_stays_fast_and_counts_exactly);
	tcase_add_test(
	    tc, fastpath_ring_sized_to_the_limit_takes_a_burst_in_its_slots);
	tcase_add_test(
	    tc, fastpath_sonce_reply_leaves_requests_and_deaths_to_slow_path);
	tcase_add_test(tc, fastpath_borrowed_messages_hold_off_no_senders);
	tcase_add_test(
	    tc, fastpath_implicit_send_rights_count_and_hold_off_no_senders);
	tcase_add_test(tc, fastpath_receive_common_cases_take_the_flat_path);
	tcase_add_test(tc, fastpath_receive_fallbacks_give_the_general_results);
	tcase_add_test(tc, fastpath_receive_during_a_peek_retires_the_kmsg);
	tcase_add_test(
	    tc, fastpath_reply_right_named_as_the_general_path_names_it);
	tcase_add_test(
	    tc, fastpath_reply_right_fallbacks_give_the_general_results);
	tcase_add_test(tc, fastpath_spinning_receiver_sees_each_change);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("interleave");
	tcase_add_test(tc, fastpath_receive_racing_a_space_destroy);
	tcase_add_test(tc, fastpath_send_right_entry_reused_by_a_port_set);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("srp_counters");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, fastpath_srp_counters_see_a_wait);
	suite_add_tcase(s, tc);

	/* Without per-CPU sections every allocation takes a depot lock. */
	tc = mipc_tcase("fastpath_pcpu");
	tcase_set_tags(tc, "pcpu");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, fastpath_10000_pairs_take_no_slow_path);
	tcase_add_test(
	    tc, fastpath_srp_rpc_split_adds_no_slow_path_no_turnstile);
	tcase_add_test(
	    tc, fastpath_srp_rpc_combined_adds_no_slow_path_no_turnstile);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(fastpath_suite)
