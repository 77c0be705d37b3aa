/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify_helpers.h -- what the notification suites (MACH.md area P and
 * the notifying items of B, C, D, E, O, W) share on top of msg_helpers.h:
 * a wrapper of mach_port_request_notification that exercises both
 * spellings, registration short-hands, an exact checker of received
 * notification messages, and readers of the request state.
 *
 * Every notification is received with MACH_RCV_TIMEOUT, timeout 0, and an
 * audit trailer, into a buffer filled with MSG_FILL, and checked field by
 * field against MACH.md 1.9 / P27:
 *   msgh_bits        0x00001200 (0x80001200 for MACH_NOTIFY_PORT_DESTROYED)
 *   msgh_size        36 (name kinds, no-senders), 40 (port-destroyed),
 *                    24 (send-once)
 *   msgh_remote_port MACH_PORT_NULL
 *   msgh_local_port  the notify port's name in the receiving space
 *   msgh_voucher_port 0
 *   body             NDR record {0,0,0,0,1,0,0,0} + the name or mscount;
 *                    for port-destroyed one port descriptor carrying a
 *                    receive right (disposition 16)
 *   trailer          format 0, 52 bytes, sender {0, 1}, audit all zero,
 *                    and nothing written after it.
 * NT_ONLY also requires that nothing else is queued (a second receive
 * times out); NT_GOT leaves the rest of the queue alone.
 *
 * The checkers fail with the caller's file and line, and use MIPC_REQUIRE
 * (no system call when they pass), so they may be called in loops.
 */
#ifndef MIPC_TESTS_CONFORMANCE_NOTIFY_HELPERS_H
#define MIPC_TESTS_CONFORMANCE_NOTIFY_HELPERS_H

#include "msg_helpers.h"

#include <stdbool.h>
#include <string.h>

/* ---- constants ------------------------------------------------------------ */

#define NT_BITS         0x00001200u /* remote 0, local PORT_SEND_ONCE */
#define NT_BITS_COMPLEX 0x80001200u /* port-destroyed */
#define NT_TRAILER_SIZE ((mach_msg_size_t)sizeof(mach_msg_audit_trailer_t))
#define NT_RCV_OPT      RCV_ELEMENTS(MACH_RCV_TRAILER_AUDIT)

/* What `previous` holds before a call, to see that the call wrote it. */
#define NT_PREV_UNSET ((mach_port_name_t)0xfeedfacfu)

static inline const char *
nt_id_name(mach_msg_id_t id)
{
	switch (id) {
	case MACH_NOTIFY_PORT_DELETED:
		return "MACH_NOTIFY_PORT_DELETED";
	case MACH_NOTIFY_SEND_POSSIBLE:
		return "MACH_NOTIFY_SEND_POSSIBLE";
	case MACH_NOTIFY_PORT_DESTROYED:
		return "MACH_NOTIFY_PORT_DESTROYED";
	case MACH_NOTIFY_NO_SENDERS:
		return "MACH_NOTIFY_NO_SENDERS";
	case MACH_NOTIFY_SEND_ONCE:
		return "MACH_NOTIFY_SEND_ONCE";
	case MACH_NOTIFY_DEAD_NAME:
		return "MACH_NOTIFY_DEAD_NAME";
	default:
		return "(not a notification)";
	}
}

/* ---- requests ------------------------------------------------------------- */

/*
 * mach_port_request_notification in `sp`: the Mach spelling when sp is
 * the calling thread's current space, mipc_port_request_notification
 * otherwise.  `notify` names a right in sp.
 */
static inline kern_return_t
nt_request(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t id,
    mach_port_mscount_t sync, mach_port_name_t notify,
    mach_msg_type_name_t poly, mach_port_name_t *previous)
{
	if (sp == mipc_thread_space())
		return mipc_port_request_notification(
		    sp, name, id, sync, notify, poly, previous);
	return mipc_port_request_notification(
	    sp, name, id, sync, notify, poly, previous);
}

/*
 * Register `id` on `name` with a send-once right made from receive right
 * `notify` (MAKE_SEND_ONCE); must succeed and replace nothing.
 */
static inline void
nt_arm(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t id,
    mach_port_mscount_t sync, mach_port_name_t notify)
{
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(nt_request(sp, name, id, sync, notify,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	VAL_EQ(prev, MACH_PORT_NULL);
}

/* Same, moving the send-once right named `so` (MOVE_SEND_ONCE). */
static inline void
nt_arm_moved(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t id,
    mach_port_mscount_t sync, mach_port_name_t so)
{
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(nt_request(
	          sp, name, id, sync, so, MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	VAL_EQ(prev, MACH_PORT_NULL);
}

/* Register (MAKE_SEND_ONCE from `notify`), returning `previous`. */
static inline mach_port_name_t
nt_rearm(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t id,
    mach_port_mscount_t sync, mach_port_name_t notify)
{
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(nt_request(sp, name, id, sync, notify,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	ck_assert_msg(prev != NT_PREV_UNSET, "previous was not written");
	return prev;
}

/* Cancel (notify MACH_PORT_NULL), returning `previous`. */
static inline mach_port_name_t
nt_cancel(mipc_space_t sp, mach_port_name_t name, mach_msg_id_t id)
{
	mach_port_name_t prev = NT_PREV_UNSET;

	KR_EQ(nt_request(sp, name, id, 0, MACH_PORT_NULL,
	          MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	ck_assert_msg(prev != NT_PREV_UNSET, "previous was not written");
	return prev;
}

/* ---- receiving and checking notifications --------------------------------- */

#define NT_REQUIRE(file, line, cond, fmt, ...) \
	MIPC_REQUIRE(cond, "%s:%d: " fmt, file, line, __VA_ARGS__)

static inline mach_msg_size_t
nt_size_of(mach_msg_id_t id)
{
	switch (id) {
	case MACH_NOTIFY_PORT_DESTROYED:
		return MIPC_NOTIFY_DESTROYED_SIZE;
	case MACH_NOTIFY_SEND_ONCE:
		return MIPC_NOTIFY_SEND_ONCE_SIZE;
	case MACH_NOTIFY_NO_SENDERS:
		return MIPC_NOTIFY_NO_SENDERS_SIZE;
	default:
		return MIPC_NOTIFY_NAME_SIZE;
	}
}

/*
 * Receive the next message on `n` (a receive right of `sp`) and check
 * that it is exactly notification `id` carrying `val` (the name for
 * DEAD_NAME / PORT_DELETED / SEND_POSSIBLE, the mscount for NO_SENDERS,
 * ignored for SEND_ONCE and PORT_DESTROYED).  With `only`, nothing may
 * follow it.  Returns the name of the received receive right for
 * PORT_DESTROYED, `val` otherwise; *seqno (if non-NULL) gets the
 * trailer's sequence number.
 */
static inline mach_port_name_t
nt_check_(mipc_space_t sp, mach_port_name_t n, mach_msg_id_t id, natural_t val,
    bool only, mach_port_seqno_t *seqno, const char *file, int line)
{
	msg_buf_t b;
	mach_msg_return_t mr;
	mach_msg_max_trailer_t t;
	/* The NDR record of every MIG message (MACH.md 1.7: int_rep 1). */
	static const unsigned char nt_ndr[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	mach_msg_size_t size = nt_size_of(id);
	mach_msg_bits_t bits =
	    id == MACH_NOTIFY_PORT_DESTROYED ? NT_BITS_COMPLEX : NT_BITS;
	mach_port_name_t ret = val;
	natural_t body;
	unsigned i;

	msg_fill(&b, MSG_FILL);
	mr = msg_recv(sp, &b, (mach_msg_size_t)sizeof(b), n, NT_RCV_OPT);
	NT_REQUIRE(file, line, mr == MACH_MSG_SUCCESS,
	    "want %s on 0x%x: receive returned 0x%x", nt_id_name(id), n,
	    (unsigned)mr);
	NT_REQUIRE(file, line, b.h.msgh_id == id,
	    "msgh_id %d (%s) on 0x%x, want %d (%s)", b.h.msgh_id,
	    nt_id_name(b.h.msgh_id), n, id, nt_id_name(id));
	NT_REQUIRE(file, line, b.h.msgh_bits == bits,
	    "%s: msgh_bits 0x%x, want 0x%x", nt_id_name(id), b.h.msgh_bits,
	    bits);
	NT_REQUIRE(file, line, b.h.msgh_size == size,
	    "%s: msgh_size %u, want %u", nt_id_name(id), b.h.msgh_size, size);
	NT_REQUIRE(file, line, b.h.msgh_remote_port == MACH_PORT_NULL,
	    "%s: msgh_remote_port 0x%x, want MACH_PORT_NULL", nt_id_name(id),
	    b.h.msgh_remote_port);
	NT_REQUIRE(file, line, b.h.msgh_local_port == n,
	    "%s: msgh_local_port 0x%x, want the notify port 0x%x",
	    nt_id_name(id), b.h.msgh_local_port, n);
	NT_REQUIRE(file, line, b.h.msgh_voucher_port == MACH_PORT_NULL,
	    "%s: msgh_voucher_port 0x%x, want 0", nt_id_name(id),
	    b.h.msgh_voucher_port);

	if (id == MACH_NOTIFY_PORT_DESTROYED) {
		mach_msg_port_descriptor_t d = rcv_port_desc(&b, 0);
		mach_port_type_t ty = 0;

		NT_REQUIRE(file, line, b.base.body.msgh_descriptor_count == 1,
		    "port-destroyed: %u descriptors, want 1",
		    b.base.body.msgh_descriptor_count);
		NT_REQUIRE(file, line, d.type == MACH_MSG_PORT_DESCRIPTOR,
		    "port-destroyed: descriptor type %u, want %u",
		    (unsigned)d.type, MACH_MSG_PORT_DESCRIPTOR);
		NT_REQUIRE(file, line,
		    d.disposition == MACH_MSG_TYPE_PORT_RECEIVE,
		    "port-destroyed: disposition %u, want %u",
		    (unsigned)d.disposition, MACH_MSG_TYPE_PORT_RECEIVE);
		NT_REQUIRE(file, line, MACH_PORT_VALID(d.name),
		    "port-destroyed: carried name 0x%x", d.name);
		NT_REQUIRE(file, line,
		    mipc_port_type(sp, d.name, &ty) == KERN_SUCCESS &&
		        (ty & MACH_PORT_TYPE_RECEIVE) != 0,
		    "port-destroyed: carried name 0x%x has type 0x%x, "
		    "want a receive right",
		    d.name, ty);
		ret = d.name;
	} else if (id != MACH_NOTIFY_SEND_ONCE) {
		for (i = 0; i < sizeof(nt_ndr); i++)
			NT_REQUIRE(file, line,
			    b.bytes[HDR_SIZE + i] == nt_ndr[i],
			    "%s: NDR byte %u is %u, want %u", nt_id_name(id), i,
			    b.bytes[HDR_SIZE + i], nt_ndr[i]);
		memcpy(
		    &body, b.bytes + HDR_SIZE + sizeof(nt_ndr), sizeof(body));
		NT_REQUIRE(file, line, body == val, "%s: body 0x%x, want 0x%x",
		    nt_id_name(id), body, val);
	}

	t = msg_trailer(&b);
	NT_REQUIRE(file, line,
	    t.msgh_trailer_type == MACH_MSG_TRAILER_FORMAT_0 &&
	        t.msgh_trailer_size == NT_TRAILER_SIZE,
	    "%s: trailer type %u size %u, want 0 and %u", nt_id_name(id),
	    t.msgh_trailer_type, t.msgh_trailer_size, NT_TRAILER_SIZE);
	NT_REQUIRE(file, line,
	    t.msgh_sender.val[0] == 0 && t.msgh_sender.val[1] == 1,
	    "%s: sender token {%u, %u}, want the kernel's {0, 1}",
	    nt_id_name(id), t.msgh_sender.val[0], t.msgh_sender.val[1]);
	for (i = 0; i < 8; i++)
		NT_REQUIRE(file, line, t.msgh_audit.val[i] == 0,
		    "%s: audit token word %u is 0x%x, want 0", nt_id_name(id),
		    i, t.msgh_audit.val[i]);
	NT_REQUIRE(file, line,
	    bytes_are(&b, (size_t)size + NT_TRAILER_SIZE, sizeof(b), MSG_FILL),
	    "%s: bytes written after the %u-byte trailer", nt_id_name(id),
	    NT_TRAILER_SIZE);
	if (seqno != NULL)
		*seqno = t.msgh_seqno;

	if (only) {
		mr = msg_recv(sp, &b, (mach_msg_size_t)sizeof(b), n, 0);
		NT_REQUIRE(file, line, mr == MACH_RCV_TIMED_OUT,
		    "after %s, 0x%x holds another message (receive 0x%x, "
		    "msgh_id %d)",
		    nt_id_name(id), n, (unsigned)mr,
		    mr == MACH_MSG_SUCCESS ? b.h.msgh_id : 0);
	}
	return ret;
}

/* The next message on n is notification id(val); more may follow. */
#define NT_GOT(sp, n, id, val) \
	nt_check_((sp), (n), (id), (val), false, NULL, __FILE__, __LINE__)
/* ... and it is the only message queued. */
#define NT_ONLY(sp, n, id, val) \
	nt_check_((sp), (n), (id), (val), true, NULL, __FILE__, __LINE__)
/* NT_GOT, storing the trailer's sequence number in *seq. */
#define NT_GOT_SEQ(sp, n, id, val, seq) \
	nt_check_((sp), (n), (id), (val), false, (seq), __FILE__, __LINE__)

/* Nothing is queued on n: no notification arrived. */
static inline void
nt_none_(mipc_space_t sp, mach_port_name_t n, const char *file, int line)
{
	msg_buf_t b;
	mach_msg_return_t mr;

	msg_fill(&b, MSG_FILL);
	mr = msg_recv(sp, &b, (mach_msg_size_t)sizeof(b), n, 0);
	NT_REQUIRE(file, line, mr == MACH_RCV_TIMED_OUT,
	    "0x%x holds a message (receive 0x%x, msgh_id %d = %s), want none",
	    n, (unsigned)mr, mr == MACH_MSG_SUCCESS ? b.h.msgh_id : 0,
	    mr == MACH_MSG_SUCCESS ? nt_id_name(b.h.msgh_id) : "-");
}

#define NT_NONE(sp, n) nt_none_((sp), (n), __FILE__, __LINE__)

/* Receive an ordinary message with this msgh_id (a filler). */
static inline void
nt_recv_id_(mipc_space_t sp, mach_port_name_t n, mach_msg_id_t id,
    const char *file, int line)
{
	msg_buf_t b;
	mach_msg_return_t mr;

	msg_fill(&b, MSG_FILL);
	mr = msg_recv(sp, &b, (mach_msg_size_t)sizeof(b), n, 0);
	NT_REQUIRE(file, line, mr == MACH_MSG_SUCCESS,
	    "receive on 0x%x returned 0x%x, want message %d", n, (unsigned)mr,
	    id);
	NT_REQUIRE(file, line, b.h.msgh_id == id,
	    "received msgh_id %d (%s) on 0x%x, want %d", b.h.msgh_id,
	    nt_id_name(b.h.msgh_id), n, id);
}

#define NT_RECV_ID(sp, n, id) nt_recv_id_((sp), (n), (id), __FILE__, __LINE__)

/* ---- state ---------------------------------------------------------------- */

/* A send+receive name: receive right plus one send uref (mscount 1). */
static inline mach_port_name_t
nt_recv_send_new(mipc_space_t sp)
{
	mach_port_name_t r = recv_new(sp);

	make_send(sp, r);
	return r;
}

static inline boolean_t
nt_nsrequest_of(mipc_space_t sp, mach_port_name_t r)
{
	return status_of(sp, r).mps_nsrequest;
}

static inline boolean_t
nt_pdrequest_of(mipc_space_t sp, mach_port_name_t r)
{
	return status_of(sp, r).mps_pdrequest;
}

/* mach_port_dnrequest_info on receive right r (both spellings). */
static inline void
nt_dnr_info(
    mipc_space_t sp, mach_port_name_t r, unsigned *total, unsigned *used)
{
	*total = 0xdeadbeef;
	*used = 0xdeadbeef;
	if (sp == mipc_thread_space())
		KR_EQ(
		    mipc_port_dnrequest_info(sp, r, total, used), KERN_SUCCESS);
	else
		KR_EQ(
		    mipc_port_dnrequest_info(sp, r, total, used), KERN_SUCCESS);
}

/* get_attributes(MACH_PORT_DNREQUESTS_SIZE) on receive right r. */
static inline int
nt_dnr_size_of(mipc_space_t sp, mach_port_name_t r)
{
	int v = (int)0xdeadbeef;
	mach_msg_type_number_t cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;

	KR_EQ(mipc_port_get_attributes(sp, r, MACH_PORT_DNREQUESTS_SIZE,
	          (mach_port_info_t)(void *)&v, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_DNREQUESTS_SIZE_COUNT);
	return v;
}

/* The number of live dead-name / send-possible requests on port r. */
static inline unsigned
nt_dnr_used(mipc_space_t sp, mach_port_name_t r)
{
	unsigned total, used;

	nt_dnr_info(sp, r, &total, &used);
	return used;
}

/*
 * Fill the queue of receive right r (qlimit 1, one message id `id` sent
 * from `from` through its send right `s`).  A further COPY_SEND send
 * times out.
 */
static inline void
nt_fill_queue(mipc_space_t rsp, mach_port_name_t r, mipc_space_t from,
    mach_port_name_t s, mach_msg_id_t id)
{
	set_qlimit(rsp, r, 1);
	SEND_OK(from, s, MACH_MSG_TYPE_COPY_SEND, id);
	VAL_EQ(msgcount_of(rsp, r), 1);
	KR_EQ(send_to(from, s, MACH_MSG_TYPE_COPY_SEND, id + 1),
	    MACH_SEND_TIMED_OUT);
}

/* The name is a dead name with `urefs` user references. */
#define EXPECT_DEAD(sp, n, urefs)                                            \
	do {                                                                 \
		VAL_EQ(type_of((sp), (n)), MACH_PORT_TYPE_DEAD_NAME);        \
		VAL_EQ(                                                      \
		    refs_of((sp), (n), MACH_PORT_RIGHT_DEAD_NAME), (urefs)); \
	} while (0)

/* A port p in a new space *b and the task's send right to it. */
static inline mach_port_name_t
peer_send(mipc_space_t *b, mach_port_name_t *p)
{
	*b = space_new();
	*p = recv_new(*b);
	return send_in(mipc_thread_space(), *b, *p);
}

#endif /* MIPC_TESTS_CONFORMANCE_NOTIFY_HELPERS_H */
