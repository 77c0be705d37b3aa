/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_u_peek.c -- MACH.md U6: mach_port_peek, looking at a queued message
 * without receiving it.
 *
 * Written the way Mach code calls it: `mach_port_t task =
 * mach_task_self()` and the Mach spelling, except where a test needs a
 * second space (mipc_port_peek with its handle).  Each test checks that
 * the peeked message is still there afterwards, with the sequence number
 * and id the peek reported.
 */
#include "msg_helpers.h"

#include <unistd.h>

#define SEQNO_OPT RCV_ELEMENTS(MACH_RCV_TRAILER_SEQNO)

/* XNU's kernel header is 8 bytes longer than the user's on LP64. */
#define PEEK_DELTA ((mach_msg_size_t)(sizeof(void *) == 8 ? 8 : 0))

/* The answer of one peek, with the trailer XNU copies out. */
struct peeked {
	kern_return_t kr;
	mach_port_seqno_t seqno;
	mach_msg_size_t size;
	mach_msg_id_t id;
	mach_msg_type_number_t tcnt;
	mach_msg_max_trailer_t t;
};

/* Peek at `seqno` on `name` through the Mach spelling, AUDIT trailer. */
static struct peeked
peek_at(mach_port_t task, mach_port_name_t name, mach_port_seqno_t seqno,
    unsigned elements)
{
	struct peeked p;

	memset(&p, 0xcd, sizeof(p));
	p.seqno = seqno;
	p.tcnt = (mach_msg_type_number_t)sizeof(p.t);
	p.kr = mach_port_peek(task, name,
	    MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
	        MACH_RCV_TRAILER_ELEMENTS(elements),
	    &p.seqno, &p.size, &p.id, (mach_msg_trailer_info_t)&p.t, &p.tcnt);
	return p;
}

/* Send a message of `size` bytes (header + zero body) with `id`. */
static void
send_sized(mipc_space_t sp, mach_port_name_t dest, mach_msg_id_t id,
    mach_msg_size_t size)
{
	msg_buf_t m;

	msg_init(&m, MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0), dest,
	    MACH_PORT_NULL, id);
	m.h.msgh_size = size;
	KR_EQ(msg_send(sp, &m, size), MACH_MSG_SUCCESS);
}

/* Receive the next message of `name`: it must be `id` with `seqno`. */
static void
recv_expect(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t id,
    mach_port_seqno_t seqno)
{
	msg_buf_t in;

	RECV_OK(sp, &in, name, SEQNO_OPT);
	VAL_EQ(in.h.msgh_id, id);
	VAL_EQ(msg_trailer(&in).msgh_seqno, seqno);
}

/* ---- what a peek reports ------------------------------------------------- */

/* XNU's tests/ipc/port_peek.c, as written there. */
START_TEST(U6_peek_reports_id_and_kernel_size)
{
	mach_port_t task = mach_task_self();
	mach_port_t port = MACH_PORT_NULL;
	struct {
		mach_msg_header_t header;
		char data[512];
		char trailer[128];
	} msg;
	mach_msg_size_t send_size = sizeof(msg) - 128;
	mach_port_seqno_t seqno = 0;
	mach_msg_audit_trailer_t audit_trailer;
	mach_msg_type_number_t size = sizeof(audit_trailer);
	mach_msg_size_t incoming_size = 0;
	mach_msg_id_t incoming_id = 0;

	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port));
	memset(&msg, 0, sizeof(msg));
	msg.header.msgh_remote_port = port;
	msg.header.msgh_id = 0x41414141;
	msg.header.msgh_bits =
	    MACH_MSGH_BITS_SET(MACH_MSG_TYPE_MAKE_SEND, 0, 0, 0);
	msg.header.msgh_size = send_size;
	KR_OK(mach_msg(&msg.header, MACH_SEND_MSG, send_size, 0, MACH_PORT_NULL,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL));
	KR_OK(mach_port_peek(task, port,
	    MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0) |
	        MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT),
	    &seqno, &incoming_size, &incoming_id,
	    (mach_msg_trailer_info_t)&audit_trailer, &size));
	VAL_EQ(incoming_id, 0x41414141);
	VAL_EQ(incoming_size, send_size + PEEK_DELTA);
	VAL_EQ(size, sizeof(mach_msg_audit_trailer_t));
	KR_OK(mach_msg(&msg.header, MACH_RCV_MSG, 0, sizeof(msg), port,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL));
	VAL_EQ(msg.header.msgh_id, 0x41414141);
	KR_OK(mach_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

START_TEST(U6_peek_head_stays_queued_and_trailer_filled)
{
	mach_port_t task = mach_task_self();
	mach_port_name_t r = recv_new(mipc_thread_space());
	struct peeked p;

	send_sized(mipc_thread_space(), r, 601, HDR_SIZE);
	send_sized(mipc_thread_space(), r, 602, HDR_SIZE + 40);
	p = peek_at(task, r, 0, MACH_RCV_TRAILER_AUDIT);
	KR_OK(p.kr);
	VAL_EQ(p.seqno, 0);
	VAL_EQ(p.id, 601);
	VAL_EQ(p.size, HDR_SIZE + PEEK_DELTA);
	VAL_EQ(p.tcnt, sizeof(mach_msg_audit_trailer_t));
	/* XNU's stored trailer: format 0, the minimum size at send. */
	VAL_EQ(p.t.msgh_trailer_type, MACH_MSG_TRAILER_FORMAT_0);
	VAL_EQ(p.t.msgh_trailer_size, MACH_MSG_TRAILER_MINIMUM_SIZE);
	VAL_EQ(p.t.msgh_seqno, 0);
	VAL_EQ(p.t.msgh_sender.val[0], geteuid());
	VAL_EQ(p.t.msgh_sender.val[1], getegid());
	VAL_EQ(p.t.msgh_audit.val[1], geteuid());
	VAL_EQ(p.t.msgh_audit.val[5], (unsigned)getpid());
	/* Only the audit trailer's 52 bytes were written. */
	VAL_EQ(p.t.msgh_context, 0xcdcdcdcdcdcdcdcdull);
	/* Peeking twice is the same; nothing was dequeued. */
	p = peek_at(task, r, 0, MACH_RCV_TRAILER_AUDIT);
	KR_OK(p.kr);
	VAL_EQ(p.id, 601);
	VAL_EQ(seqno_of(mipc_thread_space(), r), 0);
	VAL_EQ(msgcount_of(mipc_thread_space(), r), 2);
	recv_expect(mipc_thread_space(), r, 601, 0);
	/* The next head: seqno 1, its own size. */
	p = peek_at(task, r, 0, MACH_RCV_TRAILER_SEQNO);
	KR_OK(p.kr);
	VAL_EQ(p.seqno, 1);
	VAL_EQ(p.id, 602);
	VAL_EQ(p.size, HDR_SIZE + 40 + PEEK_DELTA);
	VAL_EQ(p.tcnt, sizeof(mach_msg_seqno_trailer_t));
	VAL_EQ(p.t.msgh_seqno, 1);
	/* Past the 12 bytes asked for, nothing was written. */
	VAL_EQ(p.t.msgh_sender.val[0], 0xcdcdcdcdu);
	recv_expect(mipc_thread_space(), r, 602, 1);
}
END_TEST

START_TEST(U6_peek_seqno_selects_message)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);
	struct peeked p;

	send_sized(sp, r, 701, HDR_SIZE);
	send_sized(sp, r, 702, HDR_SIZE + 8);
	send_sized(sp, r, 703, HDR_SIZE + 16);
	recv_expect(sp, r, 701, 0);
	/* Queued: seqnos 1 and 2. */
	p = peek_at(task, r, 2, MACH_RCV_TRAILER_NULL);
	KR_OK(p.kr);
	VAL_EQ(p.seqno, 2);
	VAL_EQ(p.id, 703);
	VAL_EQ(p.size, HDR_SIZE + 16 + PEEK_DELTA);
	VAL_EQ(p.tcnt, sizeof(mach_msg_trailer_t));
	p = peek_at(task, r, 1, MACH_RCV_TRAILER_SEQNO);
	KR_OK(p.kr);
	VAL_EQ(p.id, 702);
	VAL_EQ(p.t.msgh_seqno, 1);
	/* Beyond the queue, and already received: not queued. */
	KR_EQ(peek_at(task, r, 3, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	KR_EQ(peek_at(task, r, 1000, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	/* seqno 0 is "the head", not the long-gone message 0. */
	p = peek_at(task, r, 0, MACH_RCV_TRAILER_NULL);
	KR_OK(p.kr);
	VAL_EQ(p.seqno, 1);
	VAL_EQ(p.id, 702);
	recv_expect(sp, r, 702, 1);
	KR_EQ(peek_at(task, r, 1, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	recv_expect(sp, r, 703, 2);
	GUARD_NONE("peeks of absent messages");
}
END_TEST

START_TEST(U6_peek_follows_set_seqno)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);
	struct peeked p;

	send_sized(sp, r, 801, HDR_SIZE);
	send_sized(sp, r, 802, HDR_SIZE);
	KR_OK(mach_port_set_seqno(task, r, 10));
	KR_EQ(peek_at(task, r, 9, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	p = peek_at(task, r, 11, MACH_RCV_TRAILER_SEQNO);
	KR_OK(p.kr);
	VAL_EQ(p.id, 802);
	VAL_EQ(p.t.msgh_seqno, 11);
	p = peek_at(task, r, 0, MACH_RCV_TRAILER_NULL);
	KR_OK(p.kr);
	VAL_EQ(p.seqno, 10);
	VAL_EQ(p.id, 801);
	KR_EQ(peek_at(task, r, 12, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	recv_expect(sp, r, 801, 10);
	recv_expect(sp, r, 802, 11);
}
END_TEST

/* More messages than the ring holds: the rest wait in the overflow list. */
START_TEST(U6_peek_reaches_overflowed_messages)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);
	const mach_msg_id_t n = 40;
	struct peeked p;
	mach_msg_id_t i;

	set_qlimit(sp, r, MACH_PORT_QLIMIT_MAX);
	for (i = 0; i < n; i++)
		send_sized(sp, r, 900 + i, HDR_SIZE + 4 * (mach_msg_size_t)i);
	for (i = n - 1; i >= 0; i--) {
		p = peek_at(
		    task, r, (mach_port_seqno_t)i, MACH_RCV_TRAILER_SEQNO);
		if (i == 0) {
			/* seqno 0 is the head, which is message 0 here. */
			VAL_EQ(p.seqno, 0);
		}
		KR_OK(p.kr);
		VAL_EQ(p.id, 900 + i);
		VAL_EQ(p.size, HDR_SIZE + 4 * (mach_msg_size_t)i + PEEK_DELTA);
		VAL_EQ(p.t.msgh_seqno, (mach_port_seqno_t)i);
	}
	KR_EQ(peek_at(task, r, (mach_port_seqno_t)n, MACH_RCV_TRAILER_NULL).kr,
	    KERN_FAILURE);
	for (i = 0; i < n; i++) {
		p = peek_at(task, r, 0, MACH_RCV_TRAILER_NULL);
		KR_OK(p.kr);
		VAL_EQ(p.seqno, (mach_port_seqno_t)i);
		VAL_EQ(p.id, 900 + i);
		recv_expect(sp, r, 900 + i, (mach_port_seqno_t)i);
	}
	KR_EQ(peek_at(task, r, 0, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
}
END_TEST

/* A message mipc made: the kernel's sender token, no audit data. */
START_TEST(U6_peek_kernel_message_trailer)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);
	mach_port_name_t so = sonce_in(sp, r);
	struct peeked p;

	KR_OK(mach_port_deallocate(task, so)); /* P25: a notification */
	p = peek_at(task, r, 0, MACH_RCV_TRAILER_AUDIT);
	KR_OK(p.kr);
	VAL_EQ(p.id, MACH_NOTIFY_SEND_ONCE);
	VAL_EQ(p.size, HDR_SIZE + PEEK_DELTA);
	VAL_EQ(p.t.msgh_sender.val[0], 0);
	VAL_EQ(p.t.msgh_sender.val[1], 1);
	VAL_EQ(p.t.msgh_audit.val[5], 0);
	conf_take_send_once_notification(sp, r);
}
END_TEST

/* ---- failures ------------------------------------------------------------ */

START_TEST(U6_peek_empty_queue_fails)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);

	/* Never sent to (no queue memory yet), then drained. */
	KR_EQ(peek_at(task, r, 0, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	send_sized(sp, r, 1001, HDR_SIZE);
	recv_expect(sp, r, 1001, 0);
	KR_EQ(peek_at(task, r, 0, MACH_RCV_TRAILER_NULL).kr, KERN_FAILURE);
	GUARD_NONE("an empty queue");
}
END_TEST

START_TEST(U6_peek_names_without_receive_right)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mipc_space_t other = space_new();
	mach_port_name_t r = recv_new(other);
	mach_port_name_t snd = send_in(sp, other, r);
	mach_port_name_t ps = pset_new(sp);
	mach_port_name_t dead = dead_new(sp);
	mach_port_name_t unknown = conf_unused_name(sp);
	struct peeked p;

	send_sized(other, r, 1101, HDR_SIZE);
	/* NULL and DEAD: KERN_INVALID_RIGHT, before anything else. */
	KR_EQ(peek_at(task, MACH_PORT_NULL, 0, 15).kr, KERN_INVALID_RIGHT);
	KR_EQ(peek_at(task, MACH_PORT_DEAD, 0, 15).kr, KERN_INVALID_RIGHT);
	GUARD_NONE("NULL and DEAD names");
	KR_EQ(peek_at(task, snd, 0, MACH_RCV_TRAILER_NULL).kr,
	    KERN_INVALID_RIGHT);
	GUARD_ONE(sp, kGUARD_EXC_INVALID_RIGHT, snd);
	/* A port set is no receive right (ipc_port_translate_receive). */
	KR_EQ(
	    peek_at(task, ps, 0, MACH_RCV_TRAILER_NULL).kr, KERN_INVALID_RIGHT);
	GUARD_ONE(sp, kGUARD_EXC_INVALID_RIGHT, ps);
	KR_EQ(peek_at(task, dead, 0, MACH_RCV_TRAILER_NULL).kr,
	    KERN_INVALID_RIGHT);
	GUARD_ONE(sp, kGUARD_EXC_INVALID_RIGHT, dead);
	KR_EQ(peek_at(task, unknown, 0, MACH_RCV_TRAILER_NULL).kr,
	    KERN_INVALID_NAME);
	GUARD_ONE(sp, kGUARD_EXC_INVALID_NAME, unknown);
	/* The holder of the receive right sees the message. */
	memset(&p, 0, sizeof(p));
	p.tcnt = sizeof(p.t);
	KR_OK(mipc_port_peek(other, r, 0, &p.seqno, &p.size, &p.id,
	    (mach_msg_trailer_info_t)&p.t, &p.tcnt));
	VAL_EQ(p.id, 1101);
	KR_OK(mipc_space_destroy(other));
}
END_TEST

START_TEST(U6_peek_bad_trailer_request)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);
	mach_port_name_t unknown = conf_unused_name(sp);
	unsigned e;
	struct peeked p;

	send_sized(sp, r, 1201, HDR_SIZE);
	/* Elements beyond AUDIT (context, AV, labels, 15). */
	for (e = MACH_RCV_TRAILER_CTX; e <= 15; e++) {
		KR_EQ(peek_at(task, r, 0, e).kr, KERN_INVALID_VALUE);
		GUARD_ONE(sp, kGUARD_EXC_INVALID_VALUE, r);
	}
	/* Checked before the name is looked up. */
	KR_EQ(peek_at(task, unknown, 0, MACH_RCV_TRAILER_CTX).kr,
	    KERN_INVALID_VALUE);
	GUARD_ONE(sp, kGUARD_EXC_INVALID_VALUE, unknown);
	/* A buffer smaller than the requested trailer. */
	memset(&p, 0, sizeof(p));
	p.tcnt = sizeof(mach_msg_audit_trailer_t) - 1;
	KR_EQ(mach_port_peek(task, r,
	          MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), &p.seqno,
	          &p.size, &p.id, (mach_msg_trailer_info_t)&p.t, &p.tcnt),
	    KERN_INVALID_VALUE);
	GUARD_ONE(sp, kGUARD_EXC_INVALID_VALUE, r);
	VAL_EQ(p.tcnt, sizeof(mach_msg_audit_trailer_t) - 1);
	/* A larger one: the count becomes the trailer's size. */
	p.tcnt = sizeof(p.t);
	KR_OK(mach_port_peek(task, r,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SENDER), &p.seqno,
	    &p.size, &p.id, (mach_msg_trailer_info_t)&p.t, &p.tcnt));
	VAL_EQ(p.tcnt, sizeof(mach_msg_security_trailer_t));
	/* Missing out-parameters: an error, not a crash. */
	KR_EQ(mach_port_peek(task, r, 0, NULL, &p.size, &p.id,
	          (mach_msg_trailer_info_t)&p.t, &p.tcnt),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(
	    mach_port_peek(task, r, 0, &p.seqno, &p.size, &p.id, NULL, &p.tcnt),
	    KERN_INVALID_ARGUMENT);
	recv_expect(sp, r, 1201, 0);
}
END_TEST

/* A task name that is no task: what the MIG layer answers (task.c). */
START_TEST(U6_peek_bad_task)
{
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t r = recv_new(sp);
	struct peeked p;

	send_sized(sp, r, 1301, HDR_SIZE);
	p = peek_at(r, r, 0, MACH_RCV_TRAILER_NULL);
	KR_EQ(p.kr, MACH_SEND_INVALID_DEST);
	p = peek_at(MACH_PORT_NULL, r, 0, MACH_RCV_TRAILER_NULL);
	KR_EQ(p.kr, MACH_SEND_INVALID_DEST);
	recv_expect(sp, r, 1301, 0);
}
END_TEST

/* The receive right moved away: the old holder has nothing to peek. */
START_TEST(U6_peek_after_receive_right_moved)
{
	mach_port_t task = mach_task_self();
	mipc_space_t sp = mipc_thread_space();
	mipc_space_t other = space_new();
	mach_port_name_t r = recv_new(sp);
	mach_port_name_t moved = MACH_PORT_NULL;
	mach_msg_type_name_t t = 0;
	struct peeked p;

	send_sized(sp, r, 1401, HDR_SIZE);
	KR_OK(mipc_port_extract_right(
	    sp, r, MACH_MSG_TYPE_MOVE_RECEIVE, other, &moved, &t));
	KR_EQ(peek_at(task, r, 0, MACH_RCV_TRAILER_NULL).kr, KERN_INVALID_NAME);
	guard_reset();
	/* U4: the move reset the numbering; the message is seqno 0 there. */
	memset(&p, 0, sizeof(p));
	p.tcnt = sizeof(p.t);
	KR_OK(mipc_port_peek(other, moved,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_SEQNO), &p.seqno,
	    &p.size, &p.id, (mach_msg_trailer_info_t)&p.t, &p.tcnt));
	VAL_EQ(p.id, 1401);
	VAL_EQ(p.t.msgh_seqno, 0);
	KR_OK(mipc_space_destroy(other));
}
END_TEST

static Suite *
msg_u_peek_suite(void)
{
	Suite *s = suite_create("msg_u_peek");
	TCase *tc = conf_tcase("U6");

	tcase_add_test(tc, U6_peek_reports_id_and_kernel_size);
	tcase_add_test(tc, U6_peek_head_stays_queued_and_trailer_filled);
	tcase_add_test(tc, U6_peek_seqno_selects_message);
	tcase_add_test(tc, U6_peek_follows_set_seqno);
	tcase_add_test(tc, U6_peek_reaches_overflowed_messages);
	tcase_add_test(tc, U6_peek_kernel_message_trailer);
	tcase_add_test(tc, U6_peek_empty_queue_fails);
	tcase_add_test(tc, U6_peek_names_without_receive_right);
	tcase_add_test(tc, U6_peek_bad_trailer_request);
	tcase_add_test(tc, U6_peek_bad_task);
	tcase_add_test(tc, U6_peek_after_receive_right_moved);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(msg_u_peek_suite)
