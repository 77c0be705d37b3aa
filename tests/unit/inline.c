/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * inline.c -- inline messages (mqueue.c, Inline messages; PERF.md 3.5): a
 * simple message of up to IMQ_INL_MAX bytes sent through the fast path is
 * written into the inline storage of the ring position it reserved, not
 * into a kmsg from the cache, and is a queued message like any other:
 * received whole, peeked, left in place by MACH_RCV_LARGE, destroyed by a
 * too-large receive or its port's death, received through a set, with
 * its reply right.  The storage must not be reused while anything may
 * still read the message it held: a taker that kept it (the receive fast
 * path) or a peeker.  Those tests hold a storage and then send until the
 * ring comes round to it: the sender must take a kmsg from the cache, and
 * the held message must be intact.  Each test checks that its messages
 * did go through the storage, so none passes by testing the cache path.
 * A ring has at most IMQ_INL_SLOTS storages, shared by positions that far
 * apart: a sender preempted between its reservation and its storage's
 * init must not find its storage taken by a later position's sender.
 * Ring positions wrap mod 2^32, on every ring size, messages in order.
 *
 * Includes core/internal.h for the port behind a name, its ring and the
 * queue's take.
 */
#include "check_mipc.h"

#include "internal.h"
#include "internal_helpers.h"
#include "mqueue.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

typedef struct {
	mach_msg_header_t h;
	char body[256];
} msg_t;

typedef struct {
	msg_t m;
	mach_msg_max_trailer_t t;
} rbuf_t;

static mach_port_name_t rport;

static struct imq_ring *
ring(void)
{
	struct ipc_port *p = port_of(mipc_thread_space(), rport);
	struct imq_ring *r;

	ck_assert_ptr_nonnull(p);
	r = ck_pr_load_ptr(&p->ip_mq.imq_ring);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* The kmsg queued at ring position pos (single-threaded: a snapshot). */
static struct ipc_kmsg *
kmsg_at(uint32_t pos)
{
	struct imq_ring *r = ring();

	ck_assert_int_lt((int)(pos - IMQ_CW_POS(r->rg_c_word)), 16 * 64);
	return r->rg_slots[pos & r->rg_mask].ims_kmsg;
}

/* The next position a sender reserves. */
static uint32_t
next_pos(void)
{
	return IMQ_POS(ck_pr_load_64(&ring()->rg_p_head));
}

static uint32_t
head_pos(void)
{
	return IMQ_CW_POS(ck_pr_load_64(&ring()->rg_c_word));
}

static uint32_t
inl_state(uint32_t pos)
{
	return imq_inl_state(ring(), pos);
}

/* Was the message at pos written into its own inline storage? */
static bool
is_inline_at(uint32_t pos)
{
	struct ipc_kmsg *k = kmsg_at(pos);

	return k == &imq_ring_inl(ring(), pos)->in_kmsg &&
	    k->ikm_kind == IKM_KIND_INLINE;
}

static void
fill(msg_t *m, mach_msg_id_t id, mach_msg_size_t size)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->h.msgh_id = id;
	m->h.msgh_size = size;
	for (i = 0; i + sizeof(mach_msg_header_t) < size; i++)
		m->body[i] = (char)(id * 7 + (int)i);
}

/* COPY_SEND to rport, with a MAKE_SEND_ONCE reply from `reply` if set. */
static void
send_reply(mach_msg_id_t id, mach_msg_size_t size, mach_port_name_t reply)
{
	msg_t m;

	fill(&m, id, size);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
	    reply != MACH_PORT_NULL ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
	m.h.msgh_remote_port = rport;
	m.h.msgh_local_port = reply;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size,
	                     0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

static void
send_copy(mach_msg_id_t id, mach_msg_size_t size)
{
	send_reply(id, size, MACH_PORT_NULL);
}

static mach_msg_return_t
rcv(mach_port_name_t from, rbuf_t *b, mach_msg_size_t rcv_size,
    mach_msg_option_t extra)
{
	memset(b, 0, sizeof(*b));
	return mach_msg(&b->m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra, 0,
	    rcv_size, from, 0, MACH_PORT_NULL);
}

/* Receive message `id` of `size` bytes from `from`, whole. */
static void
rcv_check_from(mach_port_name_t from, mach_msg_id_t id, mach_msg_size_t size)
{
	rbuf_t b;
	msg_t want;

	ck_assert_int_eq(rcv(from, &b, sizeof(b), 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, id);
	ck_assert_uint_eq(b.m.h.msgh_size, size);
	fill(&want, id, size);
	ck_assert_int_eq(
	    memcmp(b.m.body, want.body, size - sizeof(mach_msg_header_t)), 0);
	ck_assert_uint_eq(b.m.h.msgh_local_port, rport);
}

static void
rcv_check(mach_msg_id_t id, mach_msg_size_t size)
{
	rcv_check_from(rport, id, size);
}

/* mach_port_peek's size is the kernel's (XNU adds 8 on 64-bit). */
#define PEEK_DELTA ((mach_msg_size_t)(sizeof(void *) == 8 ? 8 : 0))

/* Peek at the head of rport; KERN_FAILURE if empty. */
static kern_return_t
peek(mach_msg_size_t *size, mach_msg_id_t *id)
{
	mach_msg_seqno_trailer_t t;
	mach_msg_type_number_t tcnt = sizeof(t);
	mach_port_seqno_t want = 0;

	return mach_port_peek(mach_task_self(), rport,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &want, size, id,
	    (mach_msg_trailer_info_t)&t, &tcnt);
}

static void
set_qlimit(natural_t qlimit)
{
	mach_port_limits_t lim = { .mpl_qlimit = qlimit };

	ck_assert_int_eq(mach_port_set_attributes(mach_task_self(), rport,
	                     MACH_PORT_LIMITS_INFO, (mach_port_info_t)&lim,
	                     MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
}

static natural_t
msgcount(void)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	ck_assert_int_eq(
	    mach_port_get_attributes(mach_task_self(), rport,
	        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_SUCCESS);
	return st.mps_msgcount;
}

#define SMALL ((mach_msg_size_t)IMQ_INL_MAX)
#define SLOTS (ring()->rg_mask + 1)

/*
 * rport: a new receive right with a send right, and its ring, made by a
 * first message (the slow path's) under qlimit if not 0.
 */
static void
new_rport(natural_t qlimit)
{
	rport = receive_with_send();
	if (qlimit != 0)
		set_qlimit(qlimit);
	send_copy(0, sizeof(mach_msg_header_t));
	rcv_check(0, sizeof(mach_msg_header_t));
}

/* A deep port (1024 slots) for a test, in place of setup's rport. */
static mach_port_name_t
deep_rport_begin(void)
{
	mach_port_name_t shallow = rport;

	new_rport(MACH_PORT_QLIMIT_MAX);
	ck_assert_uint_eq(msgcount(), 0);
	return shallow;
}

static void
deep_rport_end(mach_port_name_t shallow)
{
	ck_assert_uint_eq(msgcount(), 0);
	ck_assert_int_eq(
	    mach_port_destroy(mach_task_self(), rport), KERN_SUCCESS);
	rport = shallow;
}

static void
setup(void)
{
	new_rport(0);
	/* The ring has IMQ_RING_MIN slots: fill it whole. */
	ck_assert_uint_eq(SLOTS, IMQ_RING_MIN);
	set_qlimit(IMQ_RING_MIN);
}

START_TEST(inline_small_message_goes_in_its_slot_storage)
{
	uint32_t p = next_pos();

	send_copy(1, SMALL);
	send_copy(2, sizeof(mach_msg_header_t));
	send_copy(3, SMALL + 4); /* too large for the storage */
	ck_assert(is_inline_at(p));
	ck_assert(is_inline_at(p + 1));
	ck_assert(!is_inline_at(p + 2));
	ck_assert_uint_eq(inl_state(p), IMQ_INL_USED);
	ck_assert_uint_eq(inl_state(p + 2), IMQ_INL_FREE);
	rcv_check(1, SMALL);
	rcv_check(2, sizeof(mach_msg_header_t));
	rcv_check(3, SMALL + 4);
	/* Every storage back. */
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	ck_assert_uint_eq(inl_state(p + 1), IMQ_INL_FREE);
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/*
 * A taker that kept the storage's kmsg (the receive fast path does, for
 * its section): a sender whose position comes round to that storage takes
 * a kmsg from the cache; the kept message is intact until freed.
 */
START_TEST(inline_kept_storage_not_reused_until_freed)
{
	struct ipc_port *port = port_of(mipc_thread_space(), rport);
	struct ipc_thread *th = ipc_thread_self();
	struct imq_inl buf;
	struct ipc_kmsg *k;
	uint32_t p = next_pos(), size, seqno, i;
	msg_t want;

	send_copy(10, SMALL);
	ck_assert(is_inline_at(p));
	ipc_epoch_enter(th);
	ck_assert_int_eq(ipc_mqueue_peek_take(port, UINT32_MAX, false, true,
	                     &buf, &k, &size, &seqno),
	    IMQ_TAKEN);
	ck_assert_ptr_eq(k, &imq_ring_inl(ring(), p)->in_kmsg);
	ck_assert_uint_eq(k->ikm_kind, IKM_KIND_INLINE);
	/* The queue comes round: position p + SLOTS has p's storage. */
	for (i = 1; i <= SLOTS; i++)
		send_copy((mach_msg_id_t)(10 + i), SMALL);
	ck_assert(!is_inline_at(p + SLOTS));
	ck_assert(is_inline_at(p + SLOTS - 1));
	fill(&want, 10, SMALL);
	ck_assert_int_eq(k->ikm_header.msgh_id, 10);
	ck_assert_int_eq(memcmp(ikm_bytes(k) + sizeof(mach_msg_header_t),
	                     want.body, SMALL - sizeof(mach_msg_header_t)),
	    0);
	/* Its borrowed destination right, as a receiver consumes it. */
	if (!(k->ikm_flags & IKM_F_IMPLICIT))
		(void)ip_srights_dec(port);
	ipc_kmsg_free(k);
	ipc_epoch_exit(th);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	for (i = 1; i <= SLOTS; i++)
		rcv_check((mach_msg_id_t)(10 + i), SMALL);
	/* The storage serves again. */
	p = next_pos();
	send_copy(40, SMALL);
	ck_assert(is_inline_at(p));
	rcv_check(40, SMALL);
}
END_TEST

/*
 * A receiver that took an inline message while a peeker may be reading it
 * holds the storage (IMQ_INL_HELD) until the peeker is done: the sender
 * that comes round to it uses the cache, and the peeker's end gives it
 * back.
 */
START_TEST(inline_peeked_storage_held_until_the_peeker_is_done)
{
	struct ipc_port *port = port_of(mipc_thread_space(), rport);
	mach_msg_size_t psize;
	mach_msg_id_t pid;
	uint32_t p = next_pos(), i;

	send_copy(50, SMALL);
	ck_assert(is_inline_at(p));
	/* A peeker inside its reads, as mach_port_peek sets it. */
	ck_pr_or_32(&port->ip_rcv_hooks, IP_RCV_HOOK_PEEK);
	rcv_check(50, SMALL);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_HELD);
	for (i = 1; i <= SLOTS; i++)
		send_copy((mach_msg_id_t)(50 + i), SMALL);
	ck_assert(!is_inline_at(p + SLOTS));
	/* The peeker leaves; the next peek's end gives held storage back. */
	ck_pr_and_32(&port->ip_rcv_hooks, ~IP_RCV_HOOK_PEEK);
	ck_assert_int_eq(peek(&psize, &pid), KERN_SUCCESS);
	ck_assert_int_eq(pid, 51);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	for (i = 1; i <= SLOTS; i++)
		rcv_check((mach_msg_id_t)(50 + i), SMALL);
}
END_TEST

/*
 * A storage's lines are written by its senders alone (mqueue.c, Inline
 * messages: Reuse): its taker gives it back on the ring's receivers'
 * line, not in the kmsg -- whether it kept the storage's kmsg (the
 * receive fast path) or took a copy (ipc_mqueue_peek_take).
 */
START_TEST(inline_storage_not_written_by_its_taker)
{
	struct ipc_port *port = port_of(mipc_thread_space(), rport);
	struct ipc_thread *th = ipc_thread_self();
	struct imq_inl before, buf;
	struct ipc_kmsg *k;
	uint32_t p, size, seqno;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		p = next_pos();
		send_copy(70 + pass, SMALL);
		ck_assert(is_inline_at(p));
		ck_assert_uint_eq(inl_state(p), IMQ_INL_USED);
		memcpy(&before, imq_ring_inl(ring(), p), sizeof(before));
		if (pass == 0) {
			rcv_check(70, SMALL); /* the fast path keeps it */
		} else {
			ipc_epoch_enter(th);
			ck_assert_int_eq(
			    ipc_mqueue_peek_take(port, UINT32_MAX, false, false,
			        &buf, &k, &size, &seqno),
			    IMQ_TAKEN);
			ck_assert_ptr_eq(k, &buf.in_kmsg); /* a copy */
			ck_assert_int_eq(k->ikm_header.msgh_id, 71);
			if (!(k->ikm_flags & IKM_F_IMPLICIT))
				(void)ip_srights_dec(port);
			ipc_kmsg_free(k);
			ipc_epoch_exit(th);
		}
		ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
		ck_assert_int_eq(
		    memcmp(&before, imq_ring_inl(ring(), p), sizeof(before)),
		    0);
	}
}
END_TEST

/*
 * A storage's two use counts are 16 bits (room on the ring's two lines):
 * going past 0xffff together, they leave it free after each give-back,
 * and it serves again.
 */
START_TEST(inline_storage_use_counts_wrap_around)
{
	struct imq_ring *r = ring();
	uint32_t p = next_pos(), i = p & IMQ_INL_MASK, n;

	/* Single-threaded: the storage free, its counts about to wrap. */
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	ck_pr_store_16(&r->rg_inl_use[i], 0xffffu);
	ck_pr_store_16(&r->rg_inl_done[i], 0xffffu);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	for (n = 0; n < 3; n++) {
		send_copy((mach_msg_id_t)(80 + n), SMALL);
		ck_assert(is_inline_at(p));
		ck_assert_uint_eq(inl_state(p), IMQ_INL_USED);
		rcv_check((mach_msg_id_t)(80 + n), SMALL);
		ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
		ck_assert_uint_eq(ck_pr_load_16(&r->rg_inl_done[i]),
		    (uint16_t)(0xffffu + n + 1));
		/* Round to p's storage again: the positions between. */
		while (next_pos() != p + IMQ_INL_SLOTS) {
			send_copy(90, sizeof(mach_msg_header_t));
			rcv_check(90, sizeof(mach_msg_header_t));
		}
		p = next_pos();
	}
}
END_TEST

START_TEST(inline_peeked_and_left_then_received_whole)
{
	mach_msg_size_t psize = 0;
	mach_msg_id_t pid = 0;
	uint32_t p = next_pos();

	send_copy(60, SMALL - 8);
	send_copy(61, SMALL);
	ck_assert(is_inline_at(p));
	ck_assert_int_eq(peek(&psize, &pid), KERN_SUCCESS);
	ck_assert_int_eq(pid, 60);
	ck_assert_uint_eq(psize, SMALL - 8 + PEEK_DELTA);
	/* Left in place, untouched; the peek held nothing. */
	ck_assert_uint_eq(inl_state(p), IMQ_INL_USED);
	ck_assert_uint_eq(msgcount(), 2);
	rcv_check(60, SMALL - 8);
	rcv_check(61, SMALL);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	ck_assert_uint_eq(inl_state(p + 1), IMQ_INL_FREE);
}
END_TEST

START_TEST(inline_rcv_large_leaves_it_and_too_large_destroys_it)
{
	uint32_t p = next_pos(), i;
	rbuf_t b;

	send_copy(70, SMALL);
	ck_assert(is_inline_at(p));
	/* Left in place (K5), the ring filled behind it. */
	ck_assert_int_eq(
	    rcv(rport, &b, sizeof(mach_msg_header_t) + 16, MACH_RCV_LARGE),
	    MACH_RCV_TOO_LARGE);
	ck_assert_uint_eq(b.m.h.msgh_size, SMALL);
	ck_assert_uint_eq(head_pos(), p);
	for (i = 1; i < SLOTS; i++)
		send_copy((mach_msg_id_t)(70 + i), SMALL);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_USED);
	rcv_check(70, SMALL);
	/* Taken and destroyed (K4): the storage goes back, the rest whole. */
	ck_assert_int_eq(rcv(rport, &b, sizeof(mach_msg_header_t) + 16, 0),
	    MACH_RCV_TOO_LARGE);
	ck_assert_uint_eq(inl_state(p + 1), IMQ_INL_FREE);
	for (i = 2; i < SLOTS; i++)
		rcv_check((mach_msg_id_t)(70 + i), SMALL);
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/* Queued inline messages carrying send-once rights die with the port. */
START_TEST(inline_destroyed_with_its_port_releases_their_rights)
{
	mach_port_name_t rp;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	uint32_t p = next_pos(), i;

	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &rp),
	    KERN_SUCCESS);
	for (i = 0; i < 3; i++)
		send_reply((mach_msg_id_t)(80 + i), SMALL, rp);
	for (i = 0; i < 3; i++)
		ck_assert(is_inline_at(p + i));
	ck_assert_int_eq(
	    mach_port_get_attributes(mach_task_self(), rp,
	        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_SUCCESS);
	ck_assert_uint_eq(st.mps_sorights, 3);
	ck_assert_int_eq(
	    mach_port_destroy(mach_task_self(), rport), KERN_SUCCESS);
	/* Each send-once right destroyed sent a send-once notification
	 * through itself (XNU's ipc_notify_send_once). */
	for (i = 0; i < 3; i++) {
		rbuf_t b;

		memset(&b, 0, sizeof(b));
		ck_assert_int_eq(
		    mach_msg(&b.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
		        sizeof(b), rp, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(b.m.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
	}
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	ck_assert_int_eq(
	    mach_port_get_attributes(mach_task_self(), rp,
	        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_SUCCESS);
	ck_assert_uint_eq(st.mps_sorights, 0);
	ck_assert_int_eq(mach_port_destroy(mach_task_self(), rp), KERN_SUCCESS);
}
END_TEST

START_TEST(inline_received_through_a_set)
{
	mach_port_name_t set;
	uint32_t p = next_pos();

	ck_assert_int_eq(mach_port_allocate(
	                     mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	send_copy(90, SMALL);
	ck_assert_int_eq(mach_port_insert_member(mach_task_self(), rport, set),
	    KERN_SUCCESS);
	send_copy(91, SMALL);
	ck_assert(is_inline_at(p));
	ck_assert(is_inline_at(p + 1));
	rcv_check_from(set, 90, SMALL);
	rcv_check_from(set, 91, SMALL);
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	ck_assert_uint_eq(inl_state(p + 1), IMQ_INL_FREE);
	ck_assert_int_eq(
	    mach_port_destroy(mach_task_self(), set), KERN_SUCCESS);
}
END_TEST

/* Its reply right is copied out after the section (a copy of the kmsg). */
START_TEST(inline_with_a_reply_right_delivers_it)
{
	mach_port_name_t rp;
	uint32_t p = next_pos();
	rbuf_t b;
	msg_t m;

	ck_assert_int_eq(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &rp),
	    KERN_SUCCESS);
	send_reply(95, SMALL, rp);
	ck_assert(is_inline_at(p));
	ck_assert_int_eq(rcv(rport, &b, sizeof(b), 0), MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, 95);
	ck_assert_uint_eq(b.m.h.msgh_bits,
	    MACH_MSGH_BITS(
	        MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
	ck_assert(MACH_PORT_VALID(b.m.h.msgh_remote_port));
	ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	/* The reply right works. */
	fill(&m, 96, SMALL);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	m.h.msgh_remote_port = b.m.h.msgh_remote_port;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, SMALL, 0, MACH_PORT_NULL,
	                     0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(mach_msg(&b.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(b), rp, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.m.h.msgh_id, 96);
	ck_assert_int_eq(mach_port_destroy(mach_task_self(), rp), KERN_SUCCESS);
}
END_TEST

/*
 * A storage's metadata line is written only where a message's metadata
 * differs from what the storage holds (kmsg.h, ipc_kmsg_init_inline).
 * Messages through the same storages whose reply right and sending space
 * change every IMQ_INL_SLOTS positions: each must arrive with its own --
 * a reply right or none, its own sender in the audit trailer -- whatever
 * the storage's previous message had.  Fails if a field is left out of
 * the comparison (the storage keeps the previous message's value).
 */
static void
send_from(mipc_space_t from, mach_msg_id_t id, mach_port_name_t reply)
{
	msg_t m;

	if (from == NULL) {
		send_reply(id, SMALL, reply);
		return;
	}
	fill(&m, id, SMALL);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = rport;
	ck_assert_int_eq(mipc_msg(from, &m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	                     SMALL, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/*
 * Receive id with the audit trailer: its sender's serial (val[7]).  With
 * a reply right (reply not null), the right sends to reply.
 */
static unsigned int
rcv_audit(mach_msg_id_t id, mach_port_name_t reply)
{
	rbuf_t rb;
	struct {
		mach_msg_header_t h;
		char body[SMALL - sizeof(mach_msg_header_t)];
		mach_msg_audit_trailer_t t;
	} b;

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(
	    mach_msg(&b.h,
	        MACH_RCV_MSG | MACH_RCV_TIMEOUT |
	            MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
	        0, sizeof(b), rport, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(b.h.msgh_id, id);
	ck_assert_uint_eq(b.h.msgh_size, SMALL);
	ck_assert_uint_eq(b.h.msgh_local_port, rport);
	if (reply != MACH_PORT_NULL) {
		ck_assert_uint_eq(b.h.msgh_bits,
		    MACH_MSGH_BITS(
		        MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND));
		ck_assert(MACH_PORT_VALID(b.h.msgh_remote_port));
		/* The right is reply's: an empty message through it. */
		memset(&rb, 0, sizeof(rb));
		rb.m.h.msgh_bits =
		    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
		rb.m.h.msgh_size = sizeof(mach_msg_header_t);
		rb.m.h.msgh_remote_port = b.h.msgh_remote_port;
		rb.m.h.msgh_id = id;
		ck_assert_int_eq(
		    mach_msg(&rb.m.h, MACH_SEND_MSG, sizeof(mach_msg_header_t),
		        0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(
		    rcv(reply, &rb, sizeof(rb), 0), MACH_MSG_SUCCESS);
		ck_assert_int_eq(rb.m.h.msgh_id, id);
	} else {
		ck_assert_uint_eq(
		    b.h.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
		ck_assert_uint_eq(b.h.msgh_remote_port, MACH_PORT_NULL);
	}
	return b.t.msgh_audit.val[7];
}

START_TEST(inline_storage_metadata_follows_each_message)
{
	mipc_space_t other;
	mach_port_name_t rp[2];
	unsigned int mine, theirs, got;
	int round, i;

	ck_assert_int_eq(mipc_space_create(&other), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_insert_right(other, rport, mipc_thread_space(), rport,
	        MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(mach_port_allocate(mach_task_self(),
		                     MACH_PORT_RIGHT_RECEIVE, &rp[i]),
		    KERN_SUCCESS);
	/* Each space's serial as the trailer gives it. */
	send_from(NULL, 1, MACH_PORT_NULL);
	mine = rcv_audit(1, MACH_PORT_NULL);
	send_from(other, 2, MACH_PORT_NULL);
	theirs = rcv_audit(2, MACH_PORT_NULL);
	ck_assert_uint_ne(mine, theirs);
	/* Rounds of IMQ_INL_SLOTS messages: every storage once per round,
	 * from us with a reply right (rp[0], then rp[1] the next time),
	 * from us with another, from us without, from the other space. */
	for (round = 0; round < 8; round++)
		for (i = 0; i < (int)IMQ_INL_SLOTS; i++) {
			uint32_t p = next_pos();
			mach_msg_id_t id = 100 + round * 100 + i;
			mach_port_name_t reply = round % 4 < 2
			    ? rp[(round / 4 + round % 4) % 2]
			    : MACH_PORT_NULL;
			bool ours = round % 4 != 3;

			send_from(ours ? NULL : other, id, reply);
			ck_assert(is_inline_at(p));
			got = rcv_audit(id, reply);
			ck_assert_uint_eq(got, ours ? mine : theirs);
		}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(
		    mach_port_destroy(mach_task_self(), rp[i]), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(other), KERN_SUCCESS);
}
END_TEST

/*
 * A limit raised past the ring: what the ring cannot hold goes through
 * the overflow list in kmsgs from the cache, in order behind the inline
 * ones.
 */
START_TEST(inline_then_overflow_after_a_qlimit_raise_keeps_fifo)
{
	uint32_t p = next_pos(), i, n = 3 * IMQ_RING_MIN;

	set_qlimit(n);
	for (i = 0; i < n; i++)
		send_copy((mach_msg_id_t)(100 + i), SMALL);
	for (i = 0; i < SLOTS; i++)
		ck_assert(is_inline_at(p + i));
	ck_assert_uint_eq(msgcount(), n);
	for (i = 0; i < n; i++)
		rcv_check((mach_msg_id_t)(100 + i), SMALL);
	for (i = 0; i < SLOTS; i++)
		ck_assert_uint_eq(inl_state(p + i), IMQ_INL_FREE);
}
END_TEST

/*
 * A ring made for a deep queue (qlimit MACH_PORT_QLIMIT_MAX: 1024 slots)
 * has IMQ_INL_SLOTS storages, not one per slot, so a port's memory does
 * not grow with its limit.  A message reserves its position's storage
 * only while fewer than IMQ_INL_SLOTS are queued ahead of it (every
 * earlier position sharing the storage taken): the messages past that
 * depth take kmsgs from the cache; all arrive whole and in order.  Then
 * a send-receive stream goes round the storages many times, every message
 * inline.  The ring and its storage start on cache lines.
 */
START_TEST(inline_deep_ring_has_bounded_storage_shared_by_positions)
{
	mach_port_name_t shallow = deep_rport_begin();
	struct imq_ring *r;
	uint32_t p, i, n = 3 * IMQ_INL_SLOTS;

	r = ring();
	ck_assert_uint_eq(r->rg_mask + 1, IMQ_RING_MAX);
	ck_assert_uint_eq(IMQ_INL_SLOTS, IMQ_INL_SLOTS);
	ck_assert_uint_eq((uintptr_t)r % ARCH_CACHELINE, 0);
	ck_assert_uint_eq((uintptr_t)imq_ring_inl(r, 0) % ARCH_CACHELINE, 0);
	ck_assert_uint_le(imq_ring_bytes(IMQ_RING_MAX),
	    IMQ_RING_MAX * sizeof(struct imq_slot) + 4096);

	p = next_pos();
	for (i = 0; i < n; i++)
		send_copy((mach_msg_id_t)(200 + i), SMALL);
	for (i = 0; i < n; i++)
		ck_assert(is_inline_at(p + i) == (i < IMQ_INL_SLOTS));
	for (i = 0; i < n; i++)
		rcv_check((mach_msg_id_t)(200 + i), SMALL);
	for (i = 0; i < IMQ_INL_SLOTS; i++)
		ck_assert_uint_eq(inl_state(p + i), IMQ_INL_FREE);

	for (i = 0; i < 4 * IMQ_INL_SLOTS; i++) {
		p = next_pos();
		send_copy((mach_msg_id_t)(300 + i), SMALL);
		ck_assert(is_inline_at(p));
		rcv_check((mach_msg_id_t)(300 + i), SMALL);
		ck_assert_uint_eq(inl_state(p), IMQ_INL_FREE);
	}
	deep_rport_end(shallow);
}
END_TEST

/*
 * A small message behind IMQ_INL_SLOTS or more queued ones cannot use its
 * storage (Inline messages): it takes a kmsg from the cache first and then
 * room and a slot in one reservation (imq_admit_below's IMQ_DEEP), not
 * room only, pending, and a second reservation for its slot at the
 * enqueue.  Seen at the send's first yield point after its reservation:
 * its position taken, nothing pending.  All arrive whole and in order.
 */
static bool deep_seen;
static uint64_t deep_head;

static void
deep_hook(enum ipc_yield_point point)
{
	if (point != IPC_YIELD_ENQUEUE || deep_seen)
		return;
	deep_seen = true;
	deep_head = ck_pr_load_64(&ring()->rg_p_head);
}

START_TEST(inline_deep_send_reserves_room_and_slot_at_once)
{
	mach_port_name_t shallow = deep_rport_begin();
	uint32_t p = next_pos(), i;

	for (i = 0; i < IMQ_INL_SLOTS; i++)
		send_copy((mach_msg_id_t)(600 + i), SMALL);
	deep_seen = false;
	ipc_yield_hook = deep_hook;
	send_copy((mach_msg_id_t)(600 + IMQ_INL_SLOTS), SMALL);
	ipc_yield_hook = NULL;
	ck_assert(deep_seen);
	ck_assert_uint_eq(IMQ_POS(deep_head), p + IMQ_INL_SLOTS + 1);
	ck_assert_uint_eq(IMQ_PEND(deep_head), 0);
	ck_assert(!is_inline_at(p + IMQ_INL_SLOTS));
	ck_assert(is_inline_at(p + IMQ_INL_SLOTS - 1));
	ck_assert_uint_eq(msgcount(), IMQ_INL_SLOTS + 1);
	for (i = 0; i <= IMQ_INL_SLOTS; i++)
		rcv_check((mach_msg_id_t)(600 + i), SMALL);
	/* Drained: the next small message is inline again. */
	p = next_pos();
	send_copy(700, SMALL);
	ck_assert(is_inline_at(p));
	rcv_check(700, SMALL);
	deep_rport_end(shallow);
}
END_TEST

/*
 * The bound's reason (mqueue.c, Inline messages, Reuse): a sender that
 * reserved position p and was preempted before marking its storage used,
 * while 16 more senders reserve p+1 .. p+16 -- p+16 shares p's storage.
 * The last one must not take that storage (16 are queued ahead of it):
 * had it read the state, it would have found it free and written its
 * message where p's sender then writes its own.  Each later sender is a
 * thread of its own (each waits in its commit for p's); the main thread
 * holds p at the yield point between its reservation and its storage's
 * init.  Every message must arrive once and whole.
 */
#define RACE_SENDERS ((int)IMQ_INL_SLOTS)

static pthread_t race_main, race_t[RACE_SENDERS + 1];
static atomic_bool race_armed;
static uint32_t race_pos;

static void *
race_sender(void *arg)
{
	send_copy((mach_msg_id_t)(500 + (intptr_t)arg), SMALL);
	return NULL;
}

static void
race_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void
race_hook(enum ipc_yield_point point)
{
	intptr_t k;
	int waited;

	if (point != IPC_YIELD_ENQUEUE ||
	    !pthread_equal(pthread_self(), race_main) ||
	    !atomic_exchange(&race_armed, false))
		return;
	/* Our position p is reserved, its storage not yet marked. */
	ck_assert_uint_eq(next_pos(), race_pos + 1);
	for (k = 1; k <= RACE_SENDERS; k++) {
		ck_assert_int_eq(
		    pthread_create(&race_t[k], NULL, race_sender, (void *)k),
		    0);
		for (waited = 0; next_pos() != race_pos + 1 + (uint32_t)k;
		     waited++) {
			ck_assert_int_lt(waited, 5000);
			race_sleep_ms(1);
		}
	}
	/* Let the last one write its storage, if it (wrongly) took one. */
	race_sleep_ms(20);
	ck_assert(!is_inline_at(race_pos + RACE_SENDERS));
	ipc_yield_hook = NULL; /* the threads finish once we commit */
}

START_TEST(inline_storage_not_taken_by_a_position_sixteen_ahead)
{
	mach_port_name_t shallow = deep_rport_begin();
	mach_msg_id_t i;

	ck_assert_uint_gt(SLOTS, RACE_SENDERS + 1);

	race_main = pthread_self();
	race_pos = next_pos();
	atomic_store(&race_armed, true);
	ipc_yield_hook = race_hook;
	send_copy(500, SMALL);
	ipc_yield_hook = NULL;
	ck_assert(!atomic_load(&race_armed));
	ck_assert(is_inline_at(race_pos));
	/* All sixteen commit behind ours: then every one arrives whole. */
	for (i = 1; i <= RACE_SENDERS; i++)
		ck_assert_int_eq(pthread_join(race_t[i], NULL), 0);
	for (i = 0; i <= RACE_SENDERS; i++)
		rcv_check(500 + i, SMALL);
	deep_rport_end(shallow);
}
END_TEST

/*
 * The receive fast path copies the head slot and claims it later, by a
 * CAS at the c_word it copied at, without reading c_word again between
 * (take_fp, imq_head_look unchecked): between copy and claim (the
 * yield point), another receiver takes the head and senders come round
 * to its slot -- the same slot and the same inline storage, now holding
 * another message at the very address the copy points to.  The claim
 * must fail, and the receive take the next message, not the one its
 * stale copy names.
 */
static struct ipc_port *steal_port;
static bool steal_armed;
static mach_msg_id_t steal_id;
static uint32_t steal_pos;

static void
steal_hook(enum ipc_yield_point point)
{
	struct imq_inl buf;
	struct ipc_kmsg *k;
	uint32_t size, seqno, i;

	if (point != IPC_YIELD_DEQUEUE || !steal_armed)
		return;
	steal_armed = false;
	ck_assert_int_eq(ipc_mqueue_peek_take(steal_port, UINT32_MAX, false,
	                     false, &buf, &k, &size, &seqno),
	    IMQ_TAKEN);
	steal_id = k->ikm_header.msgh_id;
	if (!(k->ikm_flags & IKM_F_IMPLICIT))
		(void)ip_srights_dec(steal_port);
	ipc_kmsg_free(k);
	for (i = 1; i <= SLOTS; i++)
		send_copy((mach_msg_id_t)(200 + i), SMALL);
	/* The head's slot and storage again, another message in them. */
	ck_assert(is_inline_at(steal_pos + SLOTS));
}

START_TEST(inline_head_taken_and_slot_reused_before_the_claim)
{
	uint32_t i;

	steal_port = port_of(mipc_thread_space(), rport);
	steal_pos = next_pos();
	send_copy(200, SMALL);
	ck_assert(is_inline_at(steal_pos));
	steal_armed = true;
	ipc_yield_hook = steal_hook;
	rcv_check(201, SMALL);
	ipc_yield_hook = NULL;
	ck_assert(!steal_armed);
	ck_assert_int_eq(steal_id, 200);
	for (i = 2; i <= SLOTS; i++)
		rcv_check((mach_msg_id_t)(200 + i), SMALL);
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/*
 * Two senders sharing a CPU (bench stream 2->1): one preempted between
 * its reservation and its publication while the other reserves the next
 * position made the other's commit wait for it, and each, yielding in its
 * commit with its slot filled, then made the first one wait in turn -- a
 * context switch per message, for good.  A sender that finds a
 * reservation ahead unpublished lets it publish before it reserves
 * (imq_reserve_behind): the main thread holds position p at its yield
 * point; the second sender's first wait must come with p + 1 still the
 * next position (not in its commit, p + 1 reserved).  Both arrive in
 * order.
 */
static pthread_t behind_main, behind_t;
static atomic_bool behind_armed;
static uint32_t behind_pos;
static _Atomic uint32_t behind_seen; /* next_pos() + 1 at its first wait */

static void *
behind_sender(void *arg)
{
	(void)arg;
	send_copy(801, SMALL);
	return NULL;
}

static void
behind_hook(enum ipc_yield_point point)
{
	int waited;

	if (point == IPC_YIELD_SPIN &&
	    pthread_equal(pthread_self(), behind_t)) {
		uint32_t none = 0;

		atomic_compare_exchange_strong(
		    &behind_seen, &none, next_pos() + 1);
		return;
	}
	if (point != IPC_YIELD_ENQUEUE ||
	    !pthread_equal(pthread_self(), behind_main) ||
	    !atomic_exchange(&behind_armed, false))
		return;
	ck_assert_uint_eq(next_pos(), behind_pos + 1);
	ck_assert_int_eq(
	    pthread_create(&behind_t, NULL, behind_sender, NULL), 0);
	for (waited = 0; atomic_load(&behind_seen) == 0; waited++) {
		ck_assert_int_lt(waited, 5000);
		race_sleep_ms(1);
	}
}

START_TEST(inline_sender_lets_an_unpublished_reservation_ahead_publish)
{
	uint32_t seen;

	behind_main = pthread_self();
	behind_pos = next_pos();
	atomic_store(&behind_seen, 0);
	atomic_store(&behind_armed, true);
	ipc_yield_hook = behind_hook;
	send_copy(800, SMALL);
	ck_assert_int_eq(pthread_join(behind_t, NULL), 0);
	ipc_yield_hook = NULL;
	ck_assert(!atomic_load(&behind_armed));
	/* Its first wait: before its reservation, ours still unpublished. */
	seen = atomic_load(&behind_seen);
	ck_assert_uint_eq(seen, behind_pos + 1 + 1);
	rcv_check(800, SMALL);
	rcv_check(801, SMALL);
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/* ipc_copy_msg (kmsg.h): exactly size bytes, for every size, none past. */
START_TEST(inline_copy_msg_copies_every_size_exactly)
{
	char src[320], dst[340];
	size_t size, i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (char)(i * 13 + 1);
	for (size = 0; size <= 300; size++) {
		memset(dst, 0x5a, sizeof(dst));
		ipc_copy_msg(dst + 8, src, size);
		for (i = 0; i < 8; i++)
			ck_assert_int_eq(dst[i], 0x5a);
		ck_assert_int_eq(memcmp(dst + 8, src, size), 0);
		for (i = 8 + size; i < sizeof(dst); i++)
			ck_assert_int_eq(dst[i], 0x5a);
	}
}
END_TEST

/*
 * Move an empty ring's positions to pos (single-threaded): c_head, the
 * head and the tail (the receivers' copy, the senders' snapshot: no
 * storage known free), and the seqno base with them, so that seqnos do
 * not change.  Every storage is free (its counts agree), so any position may
 * use its own.
 */
static void
ring_move_to(uint32_t pos)
{
	struct ipc_port *p = port_of(mipc_thread_space(), rport);
	struct imq_ring *r = ring();
	uint64_t w = ck_pr_load_64(&r->rg_c_word);
	uint32_t delta = pos - IMQ_CW_POS(w);

	ck_assert_uint_eq(msgcount(), 0);
	ck_assert_uint_eq(IMQ_PEND(ck_pr_load_64(&r->rg_p_head)), 0);
	ck_pr_store_64(&r->rg_c_word, IMQ_CW(pos, IMQ_CW_HO(w)));
	ck_pr_store_64(&r->rg_p_head, IMQ_HEAD(pos, 0));
	ck_pr_store_32(&r->rg_p_tail, pos);
	/* The receivers' tail and the senders' snapshot go with them. */
	ck_pr_store_32(&r->rg_c_tail, pos);
	ck_pr_store_64(&r->rg_s_snap, IMQ_SNAP(pos, 0));
	ck_pr_store_32(&p->ip_mq.imq_seq_base,
	    ck_pr_load_32(&p->ip_mq.imq_seq_base) + delta);
}

/*
 * Positions wrap mod 2^32: on a ring of every size (IMQ_RING_MIN to
 * IMQ_RING_MAX slots; its slots start on a line), with its positions
 * moved to just below 2^32, a full ring's messages, some inline, then a
 * stream running three ahead, every message inline, go across the wrap
 * whole and in order, each in the slot of its position.
 */
START_TEST(ring_positions_wrap_past_2_32_in_order_every_size)
{
	mach_port_name_t shallow = rport;
	uint32_t slots, pos, i, n, start;
	struct imq_ring *r;

	for (slots = IMQ_RING_MIN; slots <= IMQ_RING_MAX; slots <<= 1) {
		new_rport(slots);
		r = ring();
		ck_assert_uint_eq(r->rg_mask + 1, slots);
		ck_assert_uint_eq((uintptr_t)r->rg_slots % ARCH_CACHELINE, 0);

		/* A full ring across the wrap: its positions, then in order. */
		start = 0u - slots / 2 - 3;
		ring_move_to(start);
		for (i = 0; i < slots; i++)
			send_copy((mach_msg_id_t)(1000 + i),
			    i % 3 == 0 ? SMALL : sizeof(mach_msg_header_t) + 8);
		ck_assert_uint_eq(msgcount(), slots);
		ck_assert_uint_eq(next_pos(), start + slots);
		for (i = 0; i < slots; i++)
			ck_assert_uint_eq(
			    (uint32_t)kmsg_at(start + i)->ikm_header.msgh_id,
			    1000 + i);
		ck_assert(is_inline_at(start));
		for (i = 0; i < slots; i++)
			rcv_check((mach_msg_id_t)(1000 + i),
			    i % 3 == 0 ? SMALL : sizeof(mach_msg_header_t) + 8);

		/* A stream three ahead across the wrap, every message inline. */
		ring_move_to(0u - 5);
		for (i = 0, n = 0; i < 16 + 3; i++) {
			if (i < 16) {
				pos = next_pos();
				send_copy((mach_msg_id_t)(5000 + i), SMALL);
				ck_assert(is_inline_at(pos));
			}
			if (i >= 3)
				rcv_check((mach_msg_id_t)(5000 + n++), SMALL);
		}
		ck_assert_uint_eq(n, 16);
		ck_assert_uint_eq(head_pos(), 11);
		ck_assert_uint_eq(msgcount(), 0);
		ck_assert_int_eq(
		    mach_port_destroy(mach_task_self(), rport), KERN_SUCCESS);
	}
	rport = shallow;
}
END_TEST

/*
 * Receivers' tail (mqueue.c): a receiver takes positions below the tail a
 * receiver saw (rg_c_tail) without reading p_tail.  Another receiver may
 * store a tail it read long ago, behind c_head: that says nothing about
 * the positions from c_head on.  Here the tail is left two behind c_head
 * while a sender has reserved c_head's position and not published it
 * (the yield point after its reservation): a receive, fast path and
 * general, finds the queue empty -- not the slot's stale contents, a
 * message taken long ago -- and then the message once published.
 */
static bool tail_armed;
static uint32_t tail_pos;
static uint32_t tail_stale; /* the copy left: tail_pos - tail_stale */
static mach_msg_return_t tail_fp_mr;
static enum imq_result tail_take;

static void
tail_hook(enum ipc_yield_point point)
{
	struct ipc_thread *th = ipc_thread_self();
	struct ipc_port *port;
	struct imq_inl buf;
	struct ipc_kmsg *k = NULL;
	uint32_t size, seqno;
	rbuf_t b;

	if (point != IPC_YIELD_ENQUEUE || !tail_armed)
		return;
	tail_armed = false;
	port = port_of(mipc_thread_space(), rport);
	/* Ours reserved, not published; the receivers' tail behind. */
	ck_assert_uint_eq(next_pos(), tail_pos + 1);
	ck_assert_uint_eq(ck_pr_load_32(&ring()->rg_p_tail), tail_pos);
	ck_pr_store_32(&ring()->rg_c_tail, tail_pos - tail_stale);
	tail_fp_mr = rcv(rport, &b, sizeof(b), 0);
	ck_pr_store_32(&ring()->rg_c_tail, tail_pos - tail_stale);
	ipc_epoch_enter(th);
	tail_take = ipc_mqueue_peek_take(
	    port, UINT32_MAX, false, false, &buf, &k, &size, &seqno);
	ipc_epoch_exit(th);
}

static void
tail_behind_round(uint32_t stale)
{
	mach_msg_id_t i;

	/* A round of the ring first: every slot holds a taken message. */
	for (i = 0; i < (mach_msg_id_t)SLOTS; i++) {
		send_copy(600 + i, SMALL);
		rcv_check(600 + i, SMALL);
	}
	tail_pos = next_pos();
	tail_stale = stale;
	ck_assert_uint_eq(head_pos(), tail_pos);
	tail_armed = true;
	ipc_yield_hook = tail_hook;
	send_copy(700, SMALL);
	ipc_yield_hook = NULL;
	ck_assert(!tail_armed);
	ck_assert_int_eq(tail_fp_mr, MACH_RCV_TIMED_OUT);
	ck_assert_int_eq(tail_take, IMQ_EMPTY);
	ck_assert_uint_eq(head_pos(), tail_pos);
	rcv_check(700, SMALL);
	ck_assert_uint_eq(msgcount(), 0);
}

START_TEST(receivers_tail_behind_c_head_takes_nothing_unpublished)
{
	tail_behind_round(2);
}
END_TEST

/*
 * A copy of p_tail stored more than 2^31 positions late (its receiver
 * preempted between its load of p_tail and its store, a stream going on
 * meanwhile) reads, by a signed difference, as ahead of c_head.  The
 * receivers' tail is trusted only up to a ring ahead of c_head -- p_tail
 * never is further -- so this one, 2^31 - 1 "ahead", is not: a receive
 * finds the queue empty, not the slot's stale message.
 */
START_TEST(receivers_tail_stored_2_31_late_takes_nothing_unpublished)
{
	tail_behind_round(0x80000001u);
}
END_TEST

/*
 * Senders' snapshot (mqueue.c): a sender trusts the snapshot's storage
 * map only for a position fewer than IMQ_INL_SLOTS past the snapshot's
 * own c_head -- not past a c_head read later (the count's fallback at a
 * small limit), nor at any distance.  Here the snapshot is read with the
 * queue empty (every storage free), then position p uses its storage and
 * a taker keeps it (the receive fast path's section); the senders come
 * round to p + IMQ_INL_SLOTS, whose storage the map still calls free
 * while the queue is short and c_head is past p.  That sender must take
 * a kmsg from the cache, and the kept message stay whole: at the default
 * small limit (the count read afresh) and on a deep ring.
 */
START_TEST(senders_snapshot_does_not_free_a_storage_used_after_it)
{
	struct ipc_thread *th = ipc_thread_self();
	mach_port_name_t shallow = rport;
	struct ipc_port *port;
	struct imq_inl buf;
	struct ipc_kmsg *k;
	uint32_t p, size, seqno, i;
	natural_t qlimit;
	msg_t want;

	for (qlimit = IMQ_RING_MIN; qlimit <= IMQ_RING_MAX;
	     qlimit = IMQ_RING_MAX) {
		new_rport(qlimit);
		port = port_of(mipc_thread_space(), rport);
		p = next_pos();
		ck_assert_uint_eq(head_pos(), p);
		(void)ipc_mqueue_snap_read(ring());
		send_copy(900, SMALL);
		ck_assert(is_inline_at(p));
		ipc_epoch_enter(th);
		ck_assert_int_eq(ipc_mqueue_peek_take(port, UINT32_MAX, false,
		                     true, &buf, &k, &size, &seqno),
		    IMQ_TAKEN);
		ck_assert_ptr_eq(k, &imq_ring_inl(ring(), p)->in_kmsg);
		for (i = 1; i <= IMQ_INL_SLOTS; i++)
			send_copy((mach_msg_id_t)(900 + i), SMALL);
		ck_assert(is_inline_at(p + IMQ_INL_SLOTS - 1));
		ck_assert(!is_inline_at(p + IMQ_INL_SLOTS));
		fill(&want, 900, SMALL);
		ck_assert_int_eq(k->ikm_header.msgh_id, 900);
		ck_assert_int_eq(
		    memcmp(ikm_bytes(k) + sizeof(mach_msg_header_t), want.body,
		        SMALL - sizeof(mach_msg_header_t)),
		    0);
		if (!(k->ikm_flags & IKM_F_IMPLICIT))
			(void)ip_srights_dec(port);
		ipc_kmsg_free(k);
		ipc_epoch_exit(th);
		for (i = 1; i <= IMQ_INL_SLOTS; i++)
			rcv_check((mach_msg_id_t)(900 + i), SMALL);
		ck_assert_uint_eq(msgcount(), 0);
		ck_assert_int_eq(
		    mach_port_destroy(mach_task_self(), rport), KERN_SUCCESS);
		if (qlimit == IMQ_RING_MAX)
			break;
	}
	rport = shallow;
}
END_TEST

/*
 * The senders' snapshot is conservative for the count too: a stale one
 * (a c_head far behind) makes a sender read c_head afresh, never refuse
 * room the queue has -- here at the limit by the snapshot, the queue
 * empty -- and a full queue is refused exactly at its limit.
 */
START_TEST(senders_snapshot_stale_count_admits_up_to_the_limit)
{
	struct imq_ring *r = ring();
	mach_msg_id_t i;
	msg_t m;

	/* A snapshot IMQ_RING_MIN positions stale: at the limit by it. */
	ck_pr_store_64(&r->rg_s_snap, IMQ_SNAP(next_pos() - IMQ_RING_MIN, 0));
	for (i = 0; i < (mach_msg_id_t)IMQ_RING_MIN; i++)
		send_copy(950 + i, SMALL);
	ck_assert_uint_eq(msgcount(), IMQ_RING_MIN);
	fill(&m, 999, SMALL);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = rport;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	                     SMALL, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_SEND_TIMED_OUT);
	for (i = 0; i < (mach_msg_id_t)IMQ_RING_MIN; i++)
		rcv_check(950 + i, SMALL);
	ck_assert_uint_eq(msgcount(), 0);
}
END_TEST

/*
 * The senders' snapshot must not be trusted a wrap of the positions after
 * it was read.  A c_head 2^32 positions old is, mod 2^32, a c_head just
 * behind the head: by it the queue looks nearly empty, whatever it holds.
 * Nothing may leave the snapshot that old while the positions go round:
 * not the fast path at the limit, which reads the count afresh (a stream
 * of messages too large to go inline), nor send-once messages, which
 * reserve their slots without the snapshot (ring_reserve_admitted).  Each
 * round below is such traffic, one kind a port, and a move of the
 * positions by 2^29 - 64 (as that many send-once messages, which leave a
 * snapshot alone while it is less than 2^30 behind, would move them);
 * after a wrap, the queue is filled to its limit by the same traffic
 * with the head just behind the first snapshot's c_head, and one more
 * send through the send right must be refused (MACH_SEND_TIMED_OUT), not
 * admitted past the limit (into the slot of the message at the head, when
 * the ring is full).
 */
#define BIG ((mach_msg_size_t)sizeof(mach_msg_header_t) + 100)

static void
send_once(mach_msg_id_t id, mach_msg_size_t size)
{
	msg_t m;

	fill(&m, id, size);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0);
	m.h.msgh_remote_port = rport;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size,
	                     0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* ring_move_to, the senders' snapshot left as it was. */
static void
ring_move_keep_snap(uint32_t pos)
{
	uint64_t s = ck_pr_load_64(&ring()->rg_s_snap);

	ring_move_to(pos);
	ck_pr_store_64(&ring()->rg_s_snap, s);
}

/*
 * Round after round of one kind of traffic (send_copy or send_once) and
 * moves of 2^29 - 64 positions, until the head is just behind the first
 * snapshot's c_head again, a wrap later; then the queue is filled to its
 * limit by the same traffic and one more send through the send right must
 * be refused.
 */
static void
snapshot_wrap_round(void (*send)(mach_msg_id_t, mach_msg_size_t))
{
	uint32_t s0 = IMQ_SNAP_C(ck_pr_load_64(&ring()->rg_s_snap));
	uint32_t end = s0 - 8, n = 0;
	mach_msg_id_t i;
	msg_t m;

	for (;;) {
		for (i = 0; i < 16; i++)
			send(2000 + i, BIG);
		for (i = 0; i < 16; i++)
			rcv_check(2000 + i, BIG);
		if (end - next_pos() <= (1u << 29))
			break;
		ring_move_keep_snap(next_pos() + (1u << 29) - 64);
		n++;
	}
	ck_assert_uint_ge(n, 7); /* the positions went round */
	ring_move_keep_snap(end);
	for (i = 0; i < (mach_msg_id_t)IMQ_RING_MIN; i++)
		send(4000 + i, BIG);
	ck_assert_uint_eq(msgcount(), IMQ_RING_MIN);
	fill(&m, 4999, BIG);
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_remote_port = rport;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, BIG,
	                     0, MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_SEND_TIMED_OUT);
	ck_assert_uint_eq(msgcount(), IMQ_RING_MIN);
	for (i = 0; i < (mach_msg_id_t)IMQ_RING_MIN; i++)
		rcv_check(4000 + i, BIG);
	ck_assert_uint_eq(msgcount(), 0);
}

START_TEST(senders_snapshot_not_trusted_a_wrap_after_it)
{
	mach_port_name_t shallow = rport;

	/* The fast path at the limit, messages too large to go inline. */
	new_rport(IMQ_RING_MIN);
	snapshot_wrap_round(send_copy);
	ck_assert_int_eq(
	    mach_port_destroy(mach_task_self(), rport), KERN_SUCCESS);
	/* Send-once messages (ring_reserve_admitted). */
	new_rport(IMQ_RING_MIN);
	snapshot_wrap_round(send_once);
	ck_assert_int_eq(
	    mach_port_destroy(mach_task_self(), rport), KERN_SUCCESS);
	rport = shallow;
}
END_TEST

static Suite *
inline_suite(void)
{
	Suite *s = suite_create("inline");
	TCase *tc = mipc_tcase("inline");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, inline_small_message_goes_in_its_slot_storage);
	tcase_add_test(tc, inline_kept_storage_not_reused_until_freed);
	tcase_add_test(tc, inline_peeked_storage_held_until_the_peeker_is_done);
	tcase_add_test(tc, inline_peeked_and_left_then_received_whole);
	tcase_add_test(tc, inline_storage_not_written_by_its_taker);
	tcase_add_test(tc, inline_storage_use_counts_wrap_around);
	tcase_add_test(tc, inline_head_taken_and_slot_reused_before_the_claim);
	tcase_add_test(
	    tc, inline_rcv_large_leaves_it_and_too_large_destroys_it);
	tcase_add_test(
	    tc, inline_destroyed_with_its_port_releases_their_rights);
	tcase_add_test(tc, inline_received_through_a_set);
	tcase_add_test(tc, inline_with_a_reply_right_delivers_it);
	tcase_add_test(tc, inline_storage_metadata_follows_each_message);
	tcase_add_test(
	    tc, inline_then_overflow_after_a_qlimit_raise_keeps_fifo);
	tcase_add_test(
	    tc, inline_deep_ring_has_bounded_storage_shared_by_positions);
	tcase_add_test(
	    tc, inline_storage_not_taken_by_a_position_sixteen_ahead);
	tcase_add_test(tc, inline_copy_msg_copies_every_size_exactly);
	tcase_add_test(tc, inline_deep_send_reserves_room_and_slot_at_once);
	tcase_add_test(
	    tc, inline_sender_lets_an_unpublished_reservation_ahead_publish);
	tcase_add_test(tc, ring_positions_wrap_past_2_32_in_order_every_size);
	tcase_add_test(
	    tc, receivers_tail_behind_c_head_takes_nothing_unpublished);
	tcase_add_test(
	    tc, receivers_tail_stored_2_31_late_takes_nothing_unpublished);
	tcase_add_test(
	    tc, senders_snapshot_does_not_free_a_storage_used_after_it);
	tcase_add_test(tc, senders_snapshot_stale_count_admits_up_to_the_limit);
	tcase_add_test(tc, senders_snapshot_not_trusted_a_wrap_after_it);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(inline_suite)
