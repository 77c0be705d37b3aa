/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_threads.c -- messages under concurrency: two senders and two
 * receivers on one port, and on a port set of two ports, with the default
 * queue limit (senders block), each message carrying a sequence number
 * and a moved send right.  No message may be lost or duplicated, each
 * receiver must see every sender's messages in order, and every right and
 * byte must be released at the end.
 *
 * Issue 12's cases: a receiver on its own port while other threads churn
 * send rights on its name (item 21), and OOL source memory deallocated or
 * made unreadable while a send copies it (item 3).  Issue 15's: a queue
 * limit above the ring's slots under senders racing a lagging receiver.
 */
#include "stress.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { SENDERS = 2, RECEIVERS = 2 };

typedef struct {
	mach_msg_header_t hdr;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t right;
	uint32_t sender;
	uint32_t seq;
} token_msg_t;

typedef struct {
	token_msg_t m;
	mach_msg_max_trailer_t trailer;
} token_rcv_t;

static mipc_space_t s_send, s_rcv;
static mach_port_name_t dest[2];    /* send rights in s_send */
static mach_port_name_t rcv_name;   /* port or set in s_rcv */
static mach_port_name_t token_recv; /* a receive right in s_send */
static long per_sender;
static unsigned char *seen;
static int received;
static int ndest;

static void *
sender(void *arg)
{
	uint32_t id = (uint32_t)(intptr_t)arg;
	long i;

	stress_pin((int)id);
	for (i = 0; i < per_sender; i++) {
		token_msg_t m;
		mach_msg_return_t mr;

		/* One more send uref, then move it in the message. */
		MIPC_REQUIRE(
		    mipc_port_insert_right(s_send, token_recv, s_send,
		        token_recv, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
		    "make a send right");
		memset(&m, 0, sizeof(m));
		m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) |
		    MACH_MSGH_BITS_COMPLEX;
		m.hdr.msgh_remote_port = dest[(id + (uint32_t)i) % ndest];
		m.body.msgh_descriptor_count = 1;
		m.right.name = token_recv;
		m.right.disposition = MACH_MSG_TYPE_MOVE_SEND;
		m.right.type = MACH_MSG_PORT_DESCRIPTOR;
		m.sender = id;
		m.seq = (uint32_t)i;
		mr = mipc_msg(s_send, &m.hdr, MACH_SEND_MSG, sizeof(m), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "send: 0x%x", mr);
	}
	return NULL;
}

static void *
receiver(void *arg)
{
	int id = (int)(intptr_t)arg;
	int64_t last[SENDERS] = { -1, -1 };
	long total = (long)SENDERS * per_sender;

	stress_pin(id + 1);
	while (__atomic_load_n(&received, __ATOMIC_ACQUIRE) < total) {
		token_rcv_t r;
		mach_msg_return_t mr;
		uint32_t s, q;

		mr = mipc_msg(s_rcv, &r.m.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    0, sizeof(r), rcv_name, 20, MACH_PORT_NULL);
		if (mr == MACH_RCV_TIMED_OUT)
			continue;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
		s = r.m.sender;
		q = r.m.seq;
		MIPC_REQUIRE(
		    s < SENDERS && q < per_sender, "garbage %u/%u", s, q);
		/* One queue per destination: per-sender order holds per
		 * destination; with one destination it holds overall. */
		if (ndest == 1)
			MIPC_REQUIRE((int64_t)q > last[s],
			    "sender %u: %u after %lld", s, q,
			    (long long)last[s]);
		last[s] = q;
		MIPC_REQUIRE(__atomic_exchange_n(&seen[s * per_sender + q], 1,
		                 __ATOMIC_ACQ_REL) == 0,
		    "message %u/%u twice", s, q);
		MIPC_REQUIRE(r.m.right.disposition == MACH_MSG_TYPE_PORT_SEND &&
		        MACH_PORT_VALID(r.m.right.name),
		    "moved right arrived");
		MIPC_REQUIRE(
		    mipc_port_deallocate(s_rcv, r.m.right.name) == KERN_SUCCESS,
		    "release the moved right");
		__atomic_fetch_add(&received, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
run(bool use_set)
{
	pthread_t st[SENDERS], rt[RECEIVERS];
	mach_port_name_t ports[2];
	mach_port_rights_t sr;
	mach_msg_type_name_t t;
	long i;
	int d;

	per_sender = stress_iters(3000);
	ck_assert_int_eq(mipc_space_create(&s_send), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&s_rcv), KERN_SUCCESS);
	seen = calloc((size_t)SENDERS * per_sender, 1);
	received = 0;
	ndest = use_set ? 2 : 1;
	for (d = 0; d < ndest; d++) {
		ck_assert_int_eq(mipc_port_allocate(
		                     s_rcv, MACH_PORT_RIGHT_RECEIVE, &ports[d]),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(s_rcv, ports[d],
		        MACH_MSG_TYPE_MAKE_SEND, s_send, &dest[d], &t),
		    KERN_SUCCESS);
	}
	rcv_name = ports[0];
	if (use_set) {
		ck_assert_int_eq(mipc_port_allocate(s_rcv,
		                     MACH_PORT_RIGHT_PORT_SET, &rcv_name),
		    KERN_SUCCESS);
		for (d = 0; d < 2; d++)
			ck_assert_int_eq(
			    mipc_port_insert_member(s_rcv, ports[d], rcv_name),
			    KERN_SUCCESS);
	}
	ck_assert_int_eq(
	    mipc_port_allocate(s_send, MACH_PORT_RIGHT_RECEIVE, &token_recv),
	    KERN_SUCCESS);

	for (i = 0; i < RECEIVERS; i++)
		ck_assert_int_eq(
		    pthread_create(&rt[i], NULL, receiver, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < SENDERS; i++)
		ck_assert_int_eq(
		    pthread_create(&st[i], NULL, sender, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < SENDERS; i++)
		pthread_join(st[i], NULL);
	for (i = 0; i < RECEIVERS; i++)
		pthread_join(rt[i], NULL);

	ck_assert_int_eq(received, SENDERS * per_sender);
	for (i = 0; i < SENDERS * per_sender; i++)
		MIPC_REQUIRE(seen[i] == 1, "message %ld lost", i);
	/* Every moved send right was released by its receiver. */
	ck_assert_int_eq(
	    mipc_port_get_srights(s_send, token_recv, &sr), KERN_SUCCESS);
	ck_assert_int_eq(sr, 0);
	for (d = 0; d < ndest; d++) {
		mach_port_status_t ps;
		mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

		ck_assert_int_eq(
		    mipc_port_get_attributes(s_rcv, ports[d],
		        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&ps, &cnt),
		    KERN_SUCCESS);
		ck_assert_int_eq(ps.mps_msgcount, 0);
	}
	free(seen);
	ck_assert_int_eq(mipc_space_destroy(s_send), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(s_rcv), KERN_SUCCESS);
}

START_TEST(msg_threads_two_by_two_on_a_port)
{
	run(false);
}
END_TEST

START_TEST(msg_threads_two_by_two_on_a_set)
{
	run(true);
}
END_TEST

/* ---- issue 12, item 21: a receiver amid send-right churn on its name ------ */

/*
 * One space; a thread receives on its own receive right `port` (timeouts
 * of 0 and 1 ms, so it both polls and sleeps) while other threads of the
 * same space make send rights to that name and drop them (insert_right
 * and extract_right MAKE_SEND, then deallocate) and a sender keeps
 * messages coming.  The receive right never moves or dies, so the receiver
 * must never be told MACH_RCV_INVALID_NAME or MACH_RCV_PORT_CHANGED: the
 * name's user references change, its receive right does not.
 */
static mipc_space_t churn_space;
static mach_port_name_t churn_port;
static int churn_stop;

static void *
churn_insert(void *arg)
{
	long n = 0;

	(void)arg;
	stress_pin(1);
	while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE)) {
		MIPC_REQUIRE(
		    mipc_port_insert_right(churn_space, churn_port, churn_space,
		        churn_port, MACH_MSG_TYPE_MAKE_SEND) == KERN_SUCCESS,
		    "insert_right MAKE_SEND");
		MIPC_REQUIRE(mipc_port_deallocate(churn_space, churn_port) ==
		        KERN_SUCCESS,
		    "deallocate");
		n++;
	}
	return (void *)(intptr_t)n;
}

static void *
churn_extract(void *arg)
{
	long n = 0;

	(void)arg;
	stress_pin(2);
	while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE)) {
		mach_port_name_t got = MACH_PORT_NULL;
		mach_msg_type_name_t t = 0;

		MIPC_REQUIRE(mipc_port_extract_right(churn_space, churn_port,
		                 MACH_MSG_TYPE_MAKE_SEND, churn_space, &got,
		                 &t) == KERN_SUCCESS &&
		        got == churn_port,
		    "extract_right MAKE_SEND into the same space");
		MIPC_REQUIRE(mipc_port_deallocate(churn_space, churn_port) ==
		        KERN_SUCCESS,
		    "deallocate");
		n++;
	}
	return (void *)(intptr_t)n;
}

static void *
churn_sender(void *arg)
{
	long n = 0;

	(void)arg;
	stress_pin(3);
	while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE)) {
		mach_msg_header_t h;
		mach_msg_return_t mr;

		memset(&h, 0, sizeof(h));
		h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		h.msgh_remote_port = churn_port;
		mr =
		    mipc_msg(churn_space, &h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		        sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS || mr == MACH_SEND_TIMED_OUT,
		    "send: 0x%x", mr);
		if ((++n & 7) == 0)
			usleep(100);
	}
	return (void *)(intptr_t)n;
}

START_TEST(msg_threads_receive_on_own_port_amid_send_right_churn)
{
	long i, rounds = stress_iters(5000);
	pthread_t t[3];
	void *(*fn[3])(void *) = { churn_insert, churn_extract, churn_sender };
	int k;

	ck_assert_int_eq(mipc_space_create(&churn_space), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate(
	                     churn_space, MACH_PORT_RIGHT_RECEIVE, &churn_port),
	    KERN_SUCCESS);
	churn_stop = 0;
	for (k = 0; k < 3; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, fn[k], NULL), 0);
	stress_pin(0);
	for (i = 0; i < rounds; i++) {
		struct {
			mach_msg_header_t h;
			mach_msg_max_trailer_t t;
		} m;
		mach_msg_return_t mr;

		mr = mipc_msg(churn_space, &m.h,
		    MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), churn_port,
		    (i & 15) == 0 ? 1 : 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS || mr == MACH_RCV_TIMED_OUT,
		    "receive %ld on a live receive right: 0x%x", i, mr);
	}
	__atomic_store_n(&churn_stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < 3; k++)
		pthread_join(t[k], NULL);
	ck_assert_int_eq(mipc_space_destroy(churn_space), KERN_SUCCESS);
}
END_TEST

/* ---- issue 12, item 3: OOL source memory that goes away mid-copy ----------- */

/*
 * A sender sends 1 MiB of OOL memory (physical copy, from a region the
 * space vm_allocated) while another thread vm_deallocates that region, or
 * makes it unreadable (vm_protect VM_PROT_NONE), at a random moment.  The send
 * answers MACH_MSG_SUCCESS with every byte, or MACH_SEND_INVALID_MEMORY
 * (XNU's answer when vm_map_copyin finds the memory gone) -- never a
 * fault, never a message with part of the data.
 */
#define OOL_RACE_BYTES (1u << 20)

static mipc_space_t ool_space;
static mach_port_name_t ool_port;
static vm_address_t ool_region;
static pthread_barrier_t ool_bar;
static long ool_rounds;

static void *
ool_remover(void *arg)
{
	unsigned int seed = 12345;
	long i;

	(void)arg;
	stress_pin(1);
	for (i = 0; i < ool_rounds; i++) {
		unsigned int spin = rand_r(&seed) % 20000, k;

		pthread_barrier_wait(&ool_bar); /* region ready */
		for (k = 0; k < spin; k++)
			__asm__ __volatile__("" ::: "memory");
		if (i & 1)
			MIPC_REQUIRE(mipc_vm_protect(ool_space, ool_region,
			                 OOL_RACE_BYTES, FALSE,
			                 VM_PROT_NONE) == KERN_SUCCESS,
			    "vm_protect");
		else
			MIPC_REQUIRE(mipc_vm_deallocate(ool_space, ool_region,
			                 OOL_RACE_BYTES) == KERN_SUCCESS,
			    "vm_deallocate");
		pthread_barrier_wait(&ool_bar); /* round over */
	}
	return NULL;
}

START_TEST(msg_threads_ool_source_removed_during_send)
{
	long i, ok = 0, gone = 0;
	pthread_t t;

	ool_rounds = stress_iters(200);
	ck_assert_int_eq(mipc_space_create(&ool_space), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(ool_space, MACH_PORT_RIGHT_RECEIVE, &ool_port),
	    KERN_SUCCESS);
	pthread_barrier_init(&ool_bar, NULL, 2);
	ck_assert_int_eq(pthread_create(&t, NULL, ool_remover, NULL), 0);
	stress_pin(0);
	for (i = 0; i < ool_rounds; i++) {
		struct {
			mach_msg_header_t h;
			mach_msg_body_t body;
			mach_msg_ool_descriptor_t ool;
			mach_msg_max_trailer_t t;
		} m;
		mach_msg_return_t mr;
		size_t k, zero;

		ck_assert_int_eq(mipc_vm_allocate(ool_space, &ool_region,
		                     OOL_RACE_BYTES, VM_FLAGS_ANYWHERE),
		    KERN_SUCCESS);
		memset((void *)ool_region, (int)(i & 0xff) | 1, OOL_RACE_BYTES);
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0) |
		    MACH_MSGH_BITS_COMPLEX;
		m.h.msgh_remote_port = ool_port;
		m.body.msgh_descriptor_count = 1;
		m.ool.address = (void *)ool_region;
		m.ool.size = OOL_RACE_BYTES;
		m.ool.copy = MACH_MSG_PHYSICAL_COPY;
		m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
		pthread_barrier_wait(&ool_bar);
		mr = mipc_msg(ool_space, &m.h, MACH_SEND_MSG,
		    sizeof(m) - sizeof(m.t), 0, MACH_PORT_NULL, 0,
		    MACH_PORT_NULL);
		pthread_barrier_wait(&ool_bar);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS || mr == MACH_SEND_INVALID_MEMORY,
		    "send %ld: 0x%x", i, mr);
		if (i & 1) {
			/* Readable again, then released. */
			MIPC_REQUIRE(mipc_vm_protect(ool_space, ool_region,
			                 OOL_RACE_BYTES, FALSE,
			                 VM_PROT_DEFAULT) == KERN_SUCCESS,
			    "vm_protect");
			MIPC_REQUIRE(mipc_vm_deallocate(ool_space, ool_region,
			                 OOL_RACE_BYTES) == KERN_SUCCESS,
			    "vm_deallocate");
		}
		if (mr != MACH_MSG_SUCCESS) {
			gone++;
			continue;
		}
		ok++;
		mr = mipc_msg(ool_space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		    0, sizeof(m), ool_port, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
		MIPC_REQUIRE(m.ool.size == OOL_RACE_BYTES, "size");
		/*
		 * Every byte sent; or, when the region was released before
		 * the copy began and mipc's own new mapping took its
		 * address (one address space), every byte of what is there
		 * now (zeros).  Never a mix: that is a torn copy.
		 */
		for (k = 0, zero = 0; k < OOL_RACE_BYTES; k += 4096) {
			unsigned char c = ((unsigned char *)m.ool.address)[k];

			zero += c == 0;
			MIPC_REQUIRE(c == (unsigned char)((i & 0xff) | 1) ||
			        (c == 0 && !(i & 1)),
			    "round %ld: byte %zu not what was sent", i, k);
		}
		MIPC_REQUIRE(zero == 0 || zero == OOL_RACE_BYTES / 4096,
		    "round %ld: a torn copy (%zu zero pages)", i, zero);
		MIPC_REQUIRE(
		    mipc_vm_deallocate(ool_space, (vm_address_t)m.ool.address,
		        OOL_RACE_BYTES) == KERN_SUCCESS,
		    "release the received region");
	}
	pthread_join(t, NULL);
	pthread_barrier_destroy(&ool_bar);
	ck_assert_int_eq(ok + gone, ool_rounds);
	ck_assert_int_eq(mipc_space_destroy(ool_space), KERN_SUCCESS);
}
END_TEST

/*
 * Issue 15 (item 2a): a queue limit above the ring's 16 slots (raised after
 * the ring was made for the default limit), two senders
 * that never wait (MACH_SEND_TIMEOUT 0), each from its own space, and a
 * receiver that lags now and then, so that admissions race receives at
 * the limit and messages go through the overflow list.  The count never
 * passes the limit (admission and the ring reservation are one CAS),
 * each sender's messages arrive in order, and what was sent arrives.
 */
enum { QL_LIMIT = 24, QL_SENDERS = 2 };

typedef struct {
	mach_msg_header_t hdr;
	uint32_t sender;
	uint32_t seq;
} ql_msg_t;

static mipc_space_t ql_rs, ql_ss[QL_SENDERS];
static mach_port_name_t ql_port, ql_dest[QL_SENDERS];
static long ql_per_sender;
static uint32_t ql_sent[QL_SENDERS];
static int ql_senders_left;

static void *
ql_sender(void *arg)
{
	uint32_t id = (uint32_t)(intptr_t)arg, seq = 0;
	long i;

	stress_pin((int)id);
	for (i = 0; i < ql_per_sender; i++) {
		ql_msg_t m;
		mach_msg_return_t mr;
		mach_port_urefs_t u = 0;

		memset(&m, 0, sizeof(m));
		m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		m.hdr.msgh_remote_port = ql_dest[id];
		m.hdr.msgh_size = sizeof(m);
		m.sender = id;
		m.seq = seq;
		mr = mipc_msg(ql_ss[id], &m.hdr,
		    MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0,
		    MACH_PORT_NULL, 0, MACH_PORT_NULL);
		MIPC_REQUIRE(
		    mr == MACH_MSG_SUCCESS || mr == MACH_SEND_TIMED_OUT,
		    "send: 0x%x", mr);
		if (mr == MACH_MSG_SUCCESS) {
			seq++;
			continue;
		}
		sched_yield(); /* full: let the receiver run */
		/* M3: the copied right came back to the name: drop it. */
		MIPC_REQUIRE(mipc_port_get_refs(ql_ss[id], ql_dest[id],
		                 MACH_PORT_RIGHT_SEND, &u) == KERN_SUCCESS,
		    "urefs");
		if (u > 1)
			MIPC_REQUIRE(
			    mipc_port_mod_refs(ql_ss[id], ql_dest[id],
			        MACH_PORT_RIGHT_SEND, -1) == KERN_SUCCESS,
			    "drop the returned uref");
	}
	__atomic_store_n(&ql_sent[id], seq, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&ql_senders_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *
ql_receiver(void *arg)
{
	uint32_t next[QL_SENDERS] = { 0 }, got = 0;

	(void)arg;
	stress_pin(QL_SENDERS);
	for (;;) {
		struct {
			ql_msg_t m;
			mach_msg_max_trailer_t t;
		} r;
		mach_msg_return_t mr =
		    mipc_msg(ql_rs, &r.m.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
		        0, sizeof(r), ql_port, 10, MACH_PORT_NULL);

		if (mr == MACH_RCV_TIMED_OUT) {
			if (__atomic_load_n(
			        &ql_senders_left, __ATOMIC_ACQUIRE) == 0 &&
			    got == ql_sent[0] + ql_sent[1])
				break;
			continue;
		}
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive: 0x%x", mr);
		MIPC_REQUIRE(
		    r.m.sender < QL_SENDERS && r.m.seq == next[r.m.sender],
		    "sender %u: %u, expected %u", r.m.sender, r.m.seq,
		    next[r.m.sender % QL_SENDERS]);
		next[r.m.sender]++;
		got++;
		/* Lag now and then: the queue fills past the ring. */
		if ((got & 63) == 0)
			usleep(200);
	}
	return NULL;
}

/* One message through the port and back: the port's ring is made. */
static void
ql_first_message(void)
{
	struct {
		ql_msg_t m;
		mach_msg_max_trailer_t t;
	} r;

	memset(&r, 0, sizeof(r));
	r.m.hdr.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	r.m.hdr.msgh_remote_port = ql_dest[0];
	r.m.hdr.msgh_size = sizeof(r.m);
	ck_assert_int_eq(mipc_msg(ql_ss[0], &r.m.hdr, MACH_SEND_MSG,
	                     sizeof(r.m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(mipc_msg(ql_rs, &r.m.hdr, MACH_RCV_MSG, 0, sizeof(r),
	                     ql_port, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

START_TEST(msg_threads_qlimit_above_the_ring_holds_under_races)
{
	mach_port_limits_t lim = { QL_LIMIT };
	pthread_t st[QL_SENDERS], rt;
	mach_msg_type_name_t t;
	uint32_t i, over = 0;

	ql_per_sender = stress_iters(20000);
	ql_senders_left = QL_SENDERS;
	ck_assert_int_eq(mipc_space_create(&ql_rs), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(ql_rs, MACH_PORT_RIGHT_RECEIVE, &ql_port),
	    KERN_SUCCESS);
	for (i = 0; i < QL_SENDERS; i++) {
		ck_assert_int_eq(mipc_space_create(&ql_ss[i]), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(ql_rs, ql_port,
		        MACH_MSG_TYPE_MAKE_SEND, ql_ss[i], &ql_dest[i], &t),
		    KERN_SUCCESS);
	}
	/* A first message makes the ring, sized for the default limit; the
	 * limit raised after it is above its slots. */
	ql_first_message();
	ck_assert_int_eq(
	    mipc_port_set_attributes(ql_rs, ql_port, MACH_PORT_LIMITS_INFO,
	        (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
	ck_assert_int_eq(pthread_create(&rt, NULL, ql_receiver, NULL), 0);
	for (i = 0; i < QL_SENDERS; i++)
		ck_assert_int_eq(pthread_create(&st[i], NULL, ql_sender,
		                     (void *)(intptr_t)i),
		    0);
	/* The count, sampled meanwhile: never past the limit. */
	while (__atomic_load_n(&ql_senders_left, __ATOMIC_ACQUIRE) != 0) {
		mach_port_status_t ps;
		mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

		ck_assert_int_eq(
		    mipc_port_get_attributes(ql_rs, ql_port,
		        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&ps, &cnt),
		    KERN_SUCCESS);
		if (ps.mps_msgcount > QL_LIMIT)
			over = ps.mps_msgcount;
		usleep(50);
	}
	for (i = 0; i < QL_SENDERS; i++)
		pthread_join(st[i], NULL);
	pthread_join(rt, NULL);
	ck_assert_msg(
	    over == 0, "%u messages queued, limit %d", over, QL_LIMIT);
	for (i = 0; i < QL_SENDERS; i++) {
		ck_assert_uint_gt(ql_sent[i], 0);
		ck_assert_int_eq(mipc_space_destroy(ql_ss[i]), KERN_SUCCESS);
	}
	ck_assert_int_eq(mipc_space_destroy(ql_rs), KERN_SUCCESS);
}
END_TEST

static Suite *
msg_threads_suite(void)
{
	Suite *s = suite_create("msg_threads");
	TCase *tc = mipc_tcase("senders_receivers");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_test(tc, msg_threads_two_by_two_on_a_port);
	tcase_add_test(tc, msg_threads_two_by_two_on_a_set);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("issue_12");
	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(
	    tc, msg_threads_receive_on_own_port_amid_send_right_churn);
	tcase_add_test(tc, msg_threads_ool_source_removed_during_send);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("issue_15");
	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, msg_threads_qlimit_above_the_ring_holds_under_races);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(msg_threads_suite)
