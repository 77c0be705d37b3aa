/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.c -- notifications: building and sending them, the no-senders and
 * port-destroyed requests that arm them, and mach_port_request_notification
 * (P).  Dead-name and send-possible requests live in each port's
 * request table (port_request.c).
 *
 * Owns:      struct ipc_notify_req (a request's send-once right and the
 *            message reserved for it).
 * Locking:   a port's requests are (L) under its lock; registering one
 *            also holds the space of the registering name (IPC_RANK_SPACE
 *            before IPC_RANK_PORT).  Sending a notification takes no lock:
 *            it enqueues through mqueue.c, ignoring the queue limit.
 * Lifetime:  a request owns a send-once right to the notify port and a
 *            preallocated message; firing turns them into a queued
 *            notification, cancelling returns the right as `previous` and
 *            frees the message.
 * Choices:   every request reserves its notification message when it is
 *            made (KERN_RESOURCE_SHORTAGE then), and the notify port's
 *            queue is prepared then too, so firing never allocates.  A
 *            send-once right destroyed unused outside any request allocates
 *            its MACH_NOTIFY_SEND_ONCE at that moment; when memory is
 *            exhausted that one is dropped.  A notification to a
 *            kernel-object port (a kernel object's own request) is served
 *            by kobject.c at once, never queued.
 */
#include "notify.h"

#include "cache.h"
#include "guard.h"
#include "kmsg.h"
#include "kobject.h"
#include "mqueue.h"
#include "port.h"
#include "port_request.h"
#include "right.h"
#include "space.h"
#include "thread.h"

#include <mipc/notify.h>
#include <mipc/port.h>
#include <string.h>

/* NDR_record for little-endian integers (MIG's). */
static const NDR_record_t ipc_ndr = { 0, 0, 0, 0, 1, 0, 0, 0 };

#define NOTIFY_BYTES 40 /* the largest notification, port-destroyed */

/* ------------------------------------------------------------------ */
/* Messages                                                            */

struct ipc_kmsg *
ipc_notify_prealloc(void)
{
	return ipc_kmsg_alloc(NOTIFY_BYTES, 1);
}

/*
 * Turn a reserved message into notification `id` through the send-once
 * right `soport` (consumed) and queue it.
 * Conditions: nothing of soport locked.  Never allocates or fails: a dead
 * or full destination destroys it (P25).
 */
static void
notify_send(struct ipc_port *soport, struct ipc_kmsg *k, mach_msg_id_t id,
    uint32_t size, const void *body, uint32_t body_size)
{
	struct ipc_thread *th = ipc_thread_self();

	k->ikm_size = size;
	k->ikm_flags = IKM_F_KERNEL | (k->ikm_ndesc != 0 ? IKM_F_RECEIVE : 0);
	k->ikm_dest.ir_port = soport;
	k->ikm_dest.ir_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
	k->ikm_dest.ir_dead = false;
	memset(&k->ikm_header, 0, sizeof(k->ikm_header));
	k->ikm_header.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0) |
	    (k->ikm_ndesc != 0 ? MACH_MSGH_BITS_COMPLEX : 0);
	k->ikm_header.msgh_size = size;
	k->ikm_header.msgh_id = id;
	if (body_size != 0)
		memcpy(
		    ikm_bytes(k) + sizeof(mach_msg_header_t), body, body_size);
	if (unlikely(soport->ip_cflags & IP_F_KOBJECT)) {
		/* A kernel object's own request fired: served now. */
		ipc_kobject_server(k);
		return;
	}
	if (!ip_active(soport) || !ipc_mqueue_prepare(soport) ||
	    !ipc_mqueue_admit(soport, false)) {
		/* Undeliverable: the right goes silently, the rest dies. */
		ipc_port_release_sonce(soport);
		k->ikm_dest.ir_port = NULL;
		ipc_kmsg_destroy(k);
		return;
	}
	if (th != NULL)
		ipc_epoch_enter(th);
	ipc_mqueue_enqueue(soport, k);
	if (th != NULL)
		ipc_epoch_exit(th);
	ipc_stat_note(IPC_STAT_NOTIFICATIONS, 1);
}

/*
 * ipc_notify_send_name
 *	Fire a request with a name-carrying notification (dead-name,
 *	port-deleted, send-possible): its right and message are consumed.
 * Conditions: nothing locked.
 */
void
ipc_notify_send_name(
    struct ipc_notify_req *req, mach_msg_id_t id, mach_port_name_t name)
{
	struct {
		NDR_record_t ndr;
		uint32_t value;
	} __attribute__((packed)) body = { ipc_ndr, name };

	notify_send(req->inr_port, req->inr_msg, id, MIPC_NOTIFY_NAME_SIZE,
	    &body, sizeof(body));
	req->inr_port = NULL;
	req->inr_msg = NULL;
}

/* A send-once right destroyed unused (P25).  Consumes the right. */
void
ipc_notify_send_once(struct ipc_port *port)
{
	struct ipc_kmsg *k = ipc_notify_prealloc();

	if (k == NULL) {
		/* Out of memory: the notification is dropped (Choices). */
		ipc_port_release_sonce(port);
		return;
	}
	notify_send(port, k, MACH_NOTIFY_SEND_ONCE, MIPC_NOTIFY_SEND_ONCE_SIZE,
	    NULL, 0);
}

/* A request's right destroyed unused: MACH_NOTIFY_SEND_ONCE, reserved. */
void
ipc_notify_req_send_once(struct ipc_notify_req *req)
{
	notify_send(req->inr_port, req->inr_msg, MACH_NOTIFY_SEND_ONCE,
	    MIPC_NOTIFY_SEND_ONCE_SIZE, NULL, 0);
	req->inr_port = NULL;
	req->inr_msg = NULL;
}

/* Cancel without sending: the right and the message go. */
void
ipc_notify_req_discard(struct ipc_notify_req *req)
{
	if (req->inr_msg != NULL)
		ipc_kmsg_free(req->inr_msg);
	if (req->inr_port != NULL)
		ipc_port_release_sonce(req->inr_port);
	req->inr_port = NULL;
	req->inr_msg = NULL;
}

void
ipc_notify_no_senders(struct ipc_notify_req *req, uint32_t mscount)
{
	struct {
		NDR_record_t ndr;
		uint32_t count;
	} __attribute__((packed)) body = { ipc_ndr, mscount };

	notify_send(req->inr_port, req->inr_msg, MACH_NOTIFY_NO_SENDERS,
	    MIPC_NOTIFY_NO_SENDERS_SIZE, &body, sizeof(body));
	ipc_free(IPC_KIND_TABLE, req, sizeof(*req));
}

/*
 * ipc_notify_port_destroyed
 *	Send port's receive right to the backup in a port-destroyed
 *	notification (P6); if that would be circular or the backup is dead,
 *	the notification is destroyed and the port dies after all (P8, N4).
 * Conditions: nothing locked; port IN_LIMBO, its receive right held by
 * the caller (consumed).  Frees req.
 */
void
ipc_notify_port_destroyed(struct ipc_notify_req *req, struct ipc_port *port)
{
	struct ipc_kmsg *k = req->inr_msg;
	mach_msg_port_descriptor_t d;
	struct {
		mach_msg_body_t b;
		mach_msg_port_descriptor_t d;
	} __attribute__((packed)) body;

	memset(&d, 0, sizeof(d));
	d.disposition = MACH_MSG_TYPE_PORT_RECEIVE;
	d.type = MACH_MSG_PORT_DESCRIPTOR;
	body.b.msgh_descriptor_count = 1;
	body.d = d;
	k->ikm_ndesc = 1;
	ikm_desc(k)[0].kd_type = MACH_MSG_PORT_DESCRIPTOR;
	ikm_desc(k)[0].kd_offset = sizeof(mach_msg_base_t);
	ikm_desc(k)[0].kd_port.ir_port = port;
	ikm_desc(k)[0].kd_port.ir_type = MACH_MSG_TYPE_PORT_RECEIVE;
	ikm_desc(k)[0].kd_port.ir_dead = false;
	if (ipc_port_check_circularity(port, req->inr_port)) {
		/* Destroying the message destroys the right: the port dies. */
		k->ikm_dest.ir_port = req->inr_port;
		k->ikm_dest.ir_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
		k->ikm_dest.ir_dead = false;
		k->ikm_size = MIPC_NOTIFY_DESTROYED_SIZE;
		ipc_kmsg_destroy(k);
	} else {
		notify_send(req->inr_port, k, MACH_NOTIFY_PORT_DESTROYED,
		    MIPC_NOTIFY_DESTROYED_SIZE, &body, sizeof(body));
	}
	ipc_free(IPC_KIND_TABLE, req, sizeof(*req));
}

/* ------------------------------------------------------------------ */
/* mach_port_request_notification (P1-P24)                             */

struct request {
	struct mipc_space *rq_space;
	mach_port_name_t rq_name;
	mach_msg_id_t rq_id;
	uint32_t rq_sync;
	struct ipc_notify_req rq_new; /* copied-in right, its message */
	struct ipc_notify_req rq_old; /* replaced: back as `previous` */
	mach_msg_id_t rq_fire_now;    /* P21, P24: what to send now */
	uint32_t rq_mscount;          /* for an immediate no-senders */
	struct ipc_port *rq_ns_port;  /* no-senders armed: referenced */
	bool rq_ns_now;               /* P10: it may fire at once */
};

/*
 * Receive-right checks shared by port-destroyed and no-senders.
 * Conditions: the requesting space locked.
 */
static kern_return_t
request_receive_locked(
    struct request *rq, struct ipc_entry *e, struct ipc_port **portp)
{
	struct ipc_port *port;

	ipc_lock_assert_held(&rq->rq_space->is_lock);
	if (!(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE))
		return KERN_INVALID_RIGHT;
	port = ip_from_object(e->ie_object);
	if (port->ip_cflags & (IP_F_REPLY_PORT | IP_F_SPECIAL_REPLY)) {
		ipc_guard_raise(rq->rq_name, kGUARD_EXC_INVALID_RIGHT, 0);
		return KERN_INVALID_RIGHT; /* P5, P9, R3 */
	}
	*portp = port;
	return KERN_SUCCESS;
}

static kern_return_t
request_locked(struct request *rq)
{
	struct mipc_space *space = rq->rq_space;
	struct ipc_notify_req *slot;
	struct ipc_entry *e;
	struct ipc_port *port;
	kern_return_t kr;

	ipc_lock_assert_held(&space->is_lock);
	switch (rq->rq_id) {
	case MACH_NOTIFY_PORT_DESTROYED:
	case MACH_NOTIFY_NO_SENDERS:
		if (!MACH_PORT_VALID(rq->rq_name))
			return KERN_INVALID_RIGHT;
		e = ipc_entry_lookup(space, rq->rq_name);
		if (e == NULL)
			return KERN_INVALID_NAME;
		kr = request_receive_locked(rq, e, &port);
		if (kr != KERN_SUCCESS)
			return kr;
		ip_lock(port);
		if (rq->rq_id == MACH_NOTIFY_PORT_DESTROYED) {
			if (port->ip_pdrequest != NULL) {
				/* P5: one, for good. */
				ip_unlock(port);
				ipc_guard_raise(
				    rq->rq_name, kGUARD_EXC_KERN_FAILURE, 0);
				return KERN_FAILURE;
			}
			if (rq->rq_new.inr_port != NULL) {
				slot = ipc_alloc(IPC_KIND_TABLE, sizeof(*slot));
				if (slot == NULL) {
					ip_unlock(port);
					return KERN_RESOURCE_SHORTAGE;
				}
				*slot = rq->rq_new;
				rq->rq_new.inr_port = NULL;
				rq->rq_new.inr_msg = NULL;
				port->ip_pdrequest = slot;
			}
			ip_unlock(port);
			return KERN_SUCCESS;
		}
		/*
		 * No-senders (P10, P11).  A new request is stored even when
		 * it may fire at once: it stops the send fast path's implicit
		 * send rights, and the decision waits until those in flight
		 * are queued (port.c, "Implicit send rights"; the caller runs
		 * ipc_port_ns_armed after a grace period).  The request
		 * pointer never reads NULL in between (senders read it
		 * without the lock).
		 */
		slot = NULL;
		if (rq->rq_new.inr_port != NULL) {
			slot = ipc_alloc(IPC_KIND_TABLE, sizeof(*slot));
			if (slot == NULL) {
				ip_unlock(port);
				return KERN_RESOURCE_SHORTAGE;
			}
		}
		if (port->ip_nsrequest != NULL) {
			rq->rq_old = *port->ip_nsrequest;
			ipc_free(IPC_KIND_TABLE, port->ip_nsrequest,
			    sizeof(struct ipc_notify_req));
		}
		if (slot != NULL) {
			*slot = rq->rq_new;
			rq->rq_new.inr_port = NULL;
			rq->rq_new.inr_msg = NULL;
			ck_pr_store_ptr(&port->ip_nsrequest, slot);
			ck_pr_or_32(&port->ip_rcv_hooks, IP_RCV_HOOK_NS);
			port->ip_flags |= IP_F_NS_ARMING;
			rq->rq_ns_now = rq->rq_sync <= port->ip_mscount;
			rq->rq_ns_port = port;
			ip_reference(port);
		} else {
			ck_pr_store_ptr(&port->ip_nsrequest, NULL);
			ck_pr_and_32(&port->ip_rcv_hooks, ~IP_RCV_HOOK_NS);
		}
		ip_unlock(port);
		return KERN_SUCCESS;

	default: { /* dead-name, send-possible (P15-P24) */
		struct ipc_port_request *r;
		uint32_t type, index;

		if (!MACH_PORT_VALID(rq->rq_name))
			return KERN_INVALID_ARGUMENT;
	again:
		e = ipc_entry_lookup(space, rq->rq_name);
		if (e == NULL)
			return KERN_INVALID_NAME;
		type = IE_BITS_TYPE(e->ie_bits);
		if (type == MACH_PORT_TYPE_PORT_SET)
			return KERN_INVALID_RIGHT;
		(void)ipc_right_check(space, rq->rq_name, e);
		type = IE_BITS_TYPE(e->ie_bits);
		if (type == MACH_PORT_TYPE_DEAD_NAME) {
			/* P24: send-possible on a dead name: DEAD_NAME now. */
			if (rq->rq_id == MACH_NOTIFY_SEND_POSSIBLE &&
			    rq->rq_new.inr_port != NULL) {
				uint32_t u = IE_BITS_UREFS(e->ie_bits);

				if (u < MACH_PORT_UREFS_MAX)
					ck_pr_store_32(
					    &e->ie_bits, e->ie_bits + 1);
				rq->rq_fire_now = MACH_NOTIFY_DEAD_NAME;
				return KERN_SUCCESS;
			}
			return KERN_INVALID_ARGUMENT; /* P15 */
		}
		port = ip_from_object(e->ie_object);
		ip_lock(port);
		if (unlikely(
		        !ip_active(port) && !(type & MACH_PORT_TYPE_RECEIVE))) {
			/*
			 * The port died after ipc_right_check(): a port dies
			 * under its own lock, not the space's (found by
			 * fuzz_sched).  Its dead-name notifications may be
			 * gone already, so it takes no request: decide again,
			 * now on the dead name.
			 */
			ip_unlock(port);
			goto again;
		}
		index = e->ie_index;
		if (index != 0)
			rq->rq_old = ipc_port_request_take_locked(
			    port, index, rq->rq_name);
		e->ie_index = 0;
		if (rq->rq_new.inr_port == NULL) {
			ip_unlock(port);
			return KERN_SUCCESS; /* cancelled */
		}
		if (rq->rq_id == MACH_NOTIFY_SEND_POSSIBLE &&
		    rq->rq_sync != 0 &&
		    ((type & MACH_PORT_TYPE_SEND_ONCE) ||
		        ipc_mqueue_count(port) <
		            ck_pr_load_32(&port->ip_qlimit))) {
			/* P21: there is room now. */
			ip_unlock(port);
			rq->rq_fire_now = MACH_NOTIFY_SEND_POSSIBLE;
			return KERN_SUCCESS;
		}
		index = ipc_port_request_alloc_locked(port);
		if (index == 0) {
			ip_unlock(port);
			return KERN_RESOURCE_SHORTAGE;
		}
		r = &port->ip_requests->irt_req[index];
		r->ipr_name = rq->rq_name;
		r->ipr_flags = rq->rq_id == MACH_NOTIFY_SEND_POSSIBLE
		    ? IPR_SEND_POSSIBLE
		    : 0;
		r->ipr_req = rq->rq_new;
		rq->rq_new.inr_port = NULL;
		rq->rq_new.inr_msg = NULL;
		port->ip_requests->irt_used++;
		if (rq->rq_id == MACH_NOTIFY_SEND_POSSIBLE && rq->rq_sync != 0)
			(void)ipc_port_request_arm_sp(port, index); /* P21 */
		e->ie_index = index;
		ip_unlock(port);
		return KERN_SUCCESS;
	}
	}
}

kern_return_t
mipc_port_request_notification(mipc_space_t task, mach_port_name_t name,
    mach_msg_id_t msgid, mach_port_mscount_t sync, mach_port_name_t notify,
    mach_msg_type_name_t notifyPoly, mach_port_name_t *previous)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct request rq;
	struct ipc_right r;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (previous == NULL)
		return KERN_INVALID_ARGUMENT;
	if (notify == MACH_PORT_DEAD)
		return KERN_INVALID_CAPABILITY;
	if (notify != MACH_PORT_NULL &&
	    notifyPoly != MACH_MSG_TYPE_MAKE_SEND_ONCE &&
	    notifyPoly != MACH_MSG_TYPE_MOVE_SEND_ONCE)
		return MIG_TYPE_ERROR; /* P1: the MIG type check */

	memset(&rq, 0, sizeof(rq));
	rq.rq_space = space;
	rq.rq_name = name;
	rq.rq_id = msgid;
	rq.rq_sync = sync;
	if (notify != MACH_PORT_NULL) {
		/* Reserve first: a request that succeeds never fails later. */
		rq.rq_new.inr_msg = ipc_notify_prealloc();
		if (rq.rq_new.inr_msg == NULL)
			return KERN_RESOURCE_SHORTAGE;
	}

	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS && notify != MACH_PORT_NULL) {
		kr = ipc_right_copyin(
		    space, notify, notifyPoly, IPC_COPYIN_DEAD_OK, &r);
		if (kr == KERN_SUCCESS && r.ir_dead)
			kr = KERN_INVALID_CAPABILITY; /* consumed, as XNU */
		else if (kr == KERN_SUCCESS)
			rq.rq_new.inr_port = r.ir_port;
	}
	/* P1, P5: checked once the notify right is in (P2). */
	if (kr == KERN_SUCCESS && msgid != MACH_NOTIFY_PORT_DESTROYED &&
	    msgid != MACH_NOTIFY_NO_SENDERS && msgid != MACH_NOTIFY_DEAD_NAME &&
	    msgid != MACH_NOTIFY_SEND_POSSIBLE)
		kr = KERN_INVALID_VALUE;
	if (kr == KERN_SUCCESS && msgid == MACH_NOTIFY_PORT_DESTROYED &&
	    sync != 0)
		kr = KERN_INVALID_VALUE;
	if (kr == KERN_SUCCESS && rq.rq_new.inr_port != NULL &&
	    !ipc_mqueue_prepare(rq.rq_new.inr_port))
		kr = KERN_RESOURCE_SHORTAGE;
	if (kr == KERN_SUCCESS)
		kr = request_locked(&rq);
	is_unlock(space);

	if (kr != KERN_SUCCESS) {
		/* P2: a refused request's right is destroyed unused. */
		if (rq.rq_new.inr_port != NULL)
			ipc_notify_req_send_once(&rq.rq_new);
		else
			ipc_notify_req_discard(&rq.rq_new);
		ipc_guard_flush(space);
		return kr;
	}
	if (rq.rq_ns_port != NULL) {
		/* Implicit senders in flight publish first (port.c). */
		ipc_epoch_wait_readers();
		ipc_port_ns_armed(rq.rq_ns_port, rq.rq_ns_now);
		ip_release(rq.rq_ns_port);
	}
	if (rq.rq_fire_now != 0)
		ipc_notify_send_name(&rq.rq_new, rq.rq_fire_now,
		    rq.rq_fire_now == MACH_NOTIFY_NO_SENDERS ? rq.rq_mscount
		                                             : name);
	ipc_notify_req_discard(&rq.rq_new); /* unused reservation */

	/* P3: the replaced registration comes back, never fires. */
	*previous = MACH_PORT_NULL;
	if (rq.rq_old.inr_port != NULL) {
		struct ipc_right old = { rq.rq_old.inr_port,
			MACH_MSG_TYPE_PORT_SEND_ONCE, false };
		mach_port_name_t pn;

		if (rq.rq_old.inr_msg != NULL)
			ipc_kmsg_free(rq.rq_old.inr_msg);
		is_lock(space);
		kr = ipc_space_check(space) == KERN_SUCCESS
		    ? ipc_right_copyout(space, &old, &pn)
		    : KERN_INVALID_TASK;
		is_unlock(space);
		if (kr == KERN_SUCCESS)
			*previous = pn;
		else
			ipc_right_discard(&old);
	}
	ipc_guard_flush(space);
	return KERN_SUCCESS;
}

static kern_return_t
dnrequest_info_locked(struct mipc_space *space, mach_port_name_t name,
    unsigned int *total, unsigned int *used)
{
	struct ipc_entry *e;
	struct ipc_port *port;

	ipc_lock_assert_held(&space->is_lock);
	e = ipc_entry_lookup(space, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	if (!(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE))
		return KERN_INVALID_RIGHT;
	port = ip_from_object(e->ie_object);
	ip_lock(port);
	*total = ipc_port_request_size(port);
	*used = port->ip_requests != NULL ? port->ip_requests->irt_used : 0;
	ip_unlock(port);
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_dnrequest_info(mipc_space_t task, mach_port_name_t name,
    unsigned int *dnr_total, unsigned int *dnr_used)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (dnr_total == NULL || dnr_used == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = dnrequest_info_locked(space, name, dnr_total, dnr_used);
	is_unlock(space);
	return kr;
}
