/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port_request.c -- a port's table of dead-name and send-possible
 * requests (the seed's ipc_port_request_*): slots, growth, lookup by the
 * registrant's entry index, and firing them at death (dead-name) or when
 * a receiver makes room (send-possible).
 *
 * Owns:      struct ipc_request_table of each port (ip_requests).
 * Locking:   all under the port lock (IPC_RANK_PORT).  ipc_port_dnnotify
 *            and ipc_port_spnotify drop and retake it around each
 *            notification they send (sending enqueues and may wake), and
 *            reload the table after retaking it.
 * Lifetime:  a table lives as long as its port: at death the dead-name
 *            notifications are sent and their slots kept, marked IPR_DIED,
 *            so that a name converting to a dead name later still finds
 *            its extra reference (D4).  An entry's ie_index may go stale
 *            (fired, replaced): every use checks the slot still holds that
 *            name.
 * Choices:   tables start at 4 slots (slot 0 unused, as XNU's) and
 *            double, as the seed's ipc_port_request_grow does.  Free slots
 *            form a list through ipr_name, headed by slot 0's.
 */
#include "port_request.h"

#include "cache.h"
#include "lock.h"
#include "notify.h"
#include "port.h"

#include <mipc/notify.h>
#include <string.h>

static size_t
table_bytes(uint32_t size)
{
	return sizeof(struct ipc_request_table) +
	    (size_t)size * sizeof(struct ipc_port_request);
}

uint32_t
ipc_port_request_size(struct ipc_port *port)
{
	struct ipc_request_table *t = port->ip_requests;

	return t != NULL ? t->irt_size : 0;
}

/*
 * Free slots form a list through ipr_name, headed by slot 0's ipr_name
 * (XNU's ipr_next), so a request is placed in O(1) however many a port
 * carries.  A free slot is marked IPR_FREE, so its link is never taken
 * for a registrant's name.
 */
static void
slot_free_locked(
    struct ipc_port *port, struct ipc_request_table *t, uint32_t index)
{
	struct ipc_port_request *r = &t->irt_req[index];

	ipc_lock_assert_held(&port->ip_object.io_lock);

	memset(r, 0, sizeof(*r));
	r->ipr_flags = IPR_FREE;
	r->ipr_name = t->irt_req[0].ipr_name;
	t->irt_req[0].ipr_name = index;
}

/*
 * ipc_port_request_alloc_locked
 *	A free slot, growing the table by doubling (ipc_port_request_grow).
 * Conditions:
 *	Port locked and alive.  Allocates; returns 0 when out of memory.
 */
uint32_t
ipc_port_request_alloc_locked(struct ipc_port *port)
{
	struct ipc_request_table *t = port->ip_requests, *nt;
	uint32_t i, nsize, osize = t != NULL ? t->irt_size : 1;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (t != NULL && (i = t->irt_req[0].ipr_name) != 0) {
		t->irt_req[0].ipr_name = t->irt_req[i].ipr_name;
		memset(&t->irt_req[i], 0, sizeof(t->irt_req[i]));
		return i;
	}
	nsize = t != NULL ? t->irt_size * 2 : 4;
	nt = ipc_zalloc(IPC_KIND_TABLE, table_bytes(nsize));
	if (nt == NULL)
		return 0;
	nt->irt_size = nsize;
	if (t != NULL) {
		memcpy(nt->irt_req, t->irt_req,
		    t->irt_size * sizeof(struct ipc_port_request));
		nt->irt_used = t->irt_used;
		ipc_free(IPC_KIND_TABLE, t, table_bytes(t->irt_size));
	}
	/* The old table was full: its free list is empty. */
	for (i = nsize - 1; i > osize; i--)
		slot_free_locked(port, nt, i);
	port->ip_requests = nt;
	return osize; /* the first new slot */
}

/*
 * ipc_port_request_take_locked
 *	Take request `index` out of the table, if it still is `name`'s (an
 *	entry's ie_index goes stale when its request fires or is replaced;
 *	this is XNU's ipc_port_request_type check).
 * Conditions:
 *	Port locked.
 */
struct ipc_notify_req
ipc_port_request_take_locked(
    struct ipc_port *port, uint32_t index, mach_port_name_t name)
{
	struct ipc_request_table *t = port->ip_requests;
	struct ipc_notify_req req = { NULL, NULL };
	struct ipc_port_request *r;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (t == NULL || index == 0 || index >= t->irt_size)
		return req;
	r = &t->irt_req[index];
	if (r->ipr_req.inr_port == NULL || r->ipr_name != name)
		return req;
	req = r->ipr_req;
	if ((r->ipr_flags & (IPR_SEND_POSSIBLE | IPR_ARMED)) ==
	    (IPR_SEND_POSSIBLE | IPR_ARMED))
		ck_pr_dec_32(&port->ip_rcv_hooks); /* the count: port.h */
	t->irt_used--;
	slot_free_locked(port, t, index);
	return req;
}

/*
 * Is request `index` `name`'s?  live: registered now (MACH_PORT_TYPE_
 * DNREQUEST, D3); died: it fired DEAD_NAME when the port died (the name's
 * extra reference, D4).  Conditions: nothing locked.
 */
bool
ipc_port_request_is(
    struct ipc_port *port, mach_port_name_t name, uint32_t index, bool died)
{
	struct ipc_request_table *t;
	bool is = false;

	if (index == 0)
		return false;
	ip_lock(port);
	t = port->ip_requests;
	if (t != NULL && index < t->irt_size &&
	    !(t->irt_req[index].ipr_flags & IPR_FREE) &&
	    t->irt_req[index].ipr_name == name) {
		struct ipc_port_request *r = &t->irt_req[index];

		is = died ? (r->ipr_flags & IPR_DIED) != 0
		          : r->ipr_req.inr_port != NULL;
	}
	ip_unlock(port);
	return is;
}

/* The port is being freed: its table goes. */
void
ipc_port_request_fini(struct ipc_port *port)
{
	struct ipc_request_table *t = port->ip_requests;

	port->ip_requests = NULL;
	if (t != NULL)
		ipc_free(IPC_KIND_TABLE, t, table_bytes(t->irt_size));
}

/*
 * ipc_port_request_deleted
 *	The right `name` had a request on went away while the port lives:
 *	MACH_NOTIFY_PORT_DELETED(name) through it (P18, B24, C3).
 * Conditions: the registrant's space may be locked; the port is not.
 */
void
ipc_port_request_deleted(
    struct ipc_port *port, mach_port_name_t name, uint32_t index)
{
	struct ipc_notify_req req;

	ip_lock(port);
	req = ipc_port_request_take_locked(port, index, name);
	ip_unlock(port);
	if (req.inr_port != NULL)
		ipc_notify_send_name(&req, MACH_NOTIFY_PORT_DELETED, name);
}

/*
 * ipc_port_dnnotify
 *	The port died: every dead-name and send-possible request fires
 *	MACH_NOTIFY_DEAD_NAME(name) (C6(e), P17, P24).  The table goes.
 * Conditions: nothing locked; the port is dead.
 */
void
ipc_port_dnnotify(struct ipc_port *port)
{
	struct ipc_request_table *t;
	uint32_t i;

	ip_lock(port);
	ipc_require(
	    port->ip_state == IP_DEAD, "dead-name notifications at death");
	t = port->ip_requests;
	/* Relaxed: the count goes; a descriptor's bit is waitfd.c's. */
	ck_pr_and_32(&port->ip_rcv_hooks, IP_RCV_HOOK_FD);
	for (i = 1; t != NULL && i < t->irt_size; i++) {
		struct ipc_port_request *r = &t->irt_req[i];
		struct ipc_notify_req req = r->ipr_req;

		if (req.inr_port == NULL)
			continue;
		/* Kept, marked: the name's conversion adds a reference. */
		r->ipr_req.inr_port = NULL;
		r->ipr_req.inr_msg = NULL;
		r->ipr_flags = IPR_DIED;
		t->irt_used--;
		ip_unlock(port);
		ipc_notify_send_name(&req, MACH_NOTIFY_DEAD_NAME, r->ipr_name);
		ip_lock(port);
	}
	ip_unlock(port);
}

/*
 * ipc_port_spnotify
 *	A receiver made room: every armed send-possible request fires (P23).
 * Conditions: nothing locked.
 */
void
ipc_port_spnotify(struct ipc_port *port)
{
	struct ipc_request_table *t;
	uint32_t i;

	ip_lock(port);
	t = port->ip_requests;
	/* A port that died meanwhile owes DEAD_NAME instead (P24). */
	for (i = 1; t != NULL && ip_active(port) && i < t->irt_size; i++) {
		struct ipc_port_request *r = &t->irt_req[i];
		struct ipc_notify_req req;
		mach_port_name_t name = r->ipr_name;

		if (r->ipr_req.inr_port == NULL ||
		    (r->ipr_flags & (IPR_SEND_POSSIBLE | IPR_ARMED)) !=
		        (IPR_SEND_POSSIBLE | IPR_ARMED))
			continue;
		req = ipc_port_request_take_locked(port, i, name);
		ip_unlock(port);
		ipc_notify_send_name(&req, MACH_NOTIFY_SEND_POSSIBLE, name);
		ip_lock(port);
		t = port->ip_requests;
	}
	ip_unlock(port);
}

/* Arm send-possible request `index` (J15).  Conditions: port locked. */
bool
ipc_port_request_arm_sp(struct ipc_port *port, uint32_t index)
{
	struct ipc_request_table *t = port->ip_requests;
	struct ipc_port_request *r;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (t == NULL || index == 0 || index >= t->irt_size)
		return false;
	r = &t->irt_req[index];
	if (r->ipr_req.inr_port == NULL || !(r->ipr_flags & IPR_SEND_POSSIBLE))
		return false;
	if (!(r->ipr_flags & IPR_ARMED)) {
		r->ipr_flags |= IPR_ARMED;
		ck_pr_inc_32(&port->ip_rcv_hooks); /* the count: port.h */
	}
	return true;
}
