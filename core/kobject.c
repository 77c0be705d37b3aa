/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kobject.c -- kernel-object ports: ports whose receive right the library
 * holds and whose messages it serves itself, synchronously, in the thread
 * that sends them -- XNU's ipc_kobject_server (osfmk/kern/ipc_kobject.c),
 * with a table of servers indexed by the port's type.  The bootstrap name
 * service is one (bootstrap.c), task ports and the host port others
 * (task.c).
 *
 * Owns:      the type table; the life of a request to a kobject port from
 *            its copy-in to its reply; the rights and notification
 *            requests a kernel object holds on ports; MIG's NDR record
 *            (<mipc/mach.h>'s NDR_record).
 * States:    a kobject port is IN_LIMBO from birth to death (no space holds
 *            its receive right; its holder is the object's code) and never
 *            queues a message.  IP_F_KOBJECT and its type are fixed at
 *            creation (ip_cflags), its object in ip_kobject.
 * Locking:   none of its own.  A request is served with no mipc lock held
 *            (the send path calls us after copy-in); a notification
 *            (notify.c calls us before it would queue) may come with the
 *            lock of the space where a port died held, as every
 *            notification may.  So a server takes no space lock; it may
 *            take the locks ranked above (IPC_RANK_KOBJECT for its own
 *            state, then ports), allocate, and send -- to kobject ports
 *            too (a reply to a kobject is refused, as XNU refuses it, so
 *            such nesting stays one level deep).
 * Lifetime:  the request's destination right is consumed when it is
 *            served (released, no notification: XNU's "strange
 *            destination" rule); whatever the server did not take is
 *            destroyed; the reply goes to the request's reply right.
 * Choices:   XNU's ipc_kobject_server, step by step:
 *            * reply prepared as a mig_reply_error_t to the reply right,
 *              msgh_id + 100, RetCode 0; an unknown id answers MIG_BAD_ID;
 *              MIG_NO_REPLY sends nothing; an error RetCode (a simple
 *              reply) destroys the request's rights, a success lets the
 *              server keep what it took;
 *            * no reply without a valid reply right, none to a kobject
 *              port; a reply that cannot be queued (its port died, a full
 *              queue through a send right) is destroyed -- the library
 *              never blocks on a reply -- and the sender's send succeeded
 *              all the same;
 *            * departure: when no memory is left for the reply, XNU drops
 *              the request (the client sees its reply right die); we turn
 *              the request itself into the reply, RetCode
 *              KERN_RESOURCE_SHORTAGE, so an allocation failure is an
 *              error code, never a lost answer;
 *            * notifications to a kobject port (the requests a kernel
 *              object makes below) are served the same way, by notify.c's
 *              hook, before they would be queued.
 *            The send path's cost: msg.c's fast path already refuses a
 *            destination whose ip_cflags carries any of a few flags;
 *            IP_F_KOBJECT joins that mask (no extra instruction), and the
 *            slow path tests it once after copy-in.
 */
#include "kobject.h"

#include "bootstrap.h"
#include "cache.h"
#include "kmsg.h"
#include "lock.h"
#include "mqueue.h"
#include "notify.h"
#include "port.h"
#include "port_request.h"
#include "task.h"
#include "thread.h"

#include <mipc/mach.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The type table                                                      */

/* MIG's NDR_record: little-endian integers, ASCII, IEEE floats. */
const NDR_record_t mipc_ndr_record = { 0, 0, 0, 0, 1, 0, 0, 0 };

static const struct ipc_kobject_ops *const ipc_kobject_table[IKOT_COUNT] = {
	[IKOT_BOOTSTRAP] = &ipc_bootstrap_kobject_ops,
	[IKOT_TASK] = &ipc_task_kobject_ops,
	[IKOT_HOST] = &ipc_host_kobject_ops,
};

/* Set by tests only (test builds read it). */
const struct ipc_kobject_ops *ipc_kobject_test_ops;

static const struct ipc_kobject_ops *
kobject_type_ops(uint32_t type)
{
	if (type == IKOT_TEST)
		return ipc_test_hooks ? ipc_kobject_test_ops : NULL;
	return type < IKOT_COUNT ? ipc_kobject_table[type] : NULL;
}

static const struct ipc_kobject_ops *
kobject_ops(const struct ipc_port *port)
{
	return kobject_type_ops(ip_kotype(port));
}

struct ipc_port *
ipc_kobject_alloc(enum ipc_kotype type, void *kobject)
{
	struct ipc_port *port;

	ipc_require(type > IKOT_NONE && type < IKOT_COUNT &&
	        kobject_type_ops(type) != NULL,
	    "a kobject type with a server");
	port = ipc_port_alloc();
	if (port == NULL)
		return NULL;
	/* Not yet published: the caller hands out its first right later. */
	port->ip_cflags = IP_F_KOBJECT | ((uint32_t)type << IP_KOTYPE_SHIFT);
	port->ip_kobject = kobject;
	return port;
}

void
ipc_kobject_spaces_gone(void)
{
	uint32_t t;

	ipc_lock_assert_none_held();
	for (t = 0; t < IKOT_COUNT; t++) {
		const struct ipc_kobject_ops *ops = kobject_type_ops(t);

		if (ops != NULL && ops->iko_spaces_gone != NULL)
			ops->iko_spaces_gone();
	}
}

/* ------------------------------------------------------------------ */
/* Rights the library holds                                            */

void
ipc_kobject_make_send(struct ipc_port *port)
{
	ip_lock(port);
	port->ip_mscount++;
	ip_srights_inc(port);
	ip_reference(port);
	ip_unlock(port);
}

void
ipc_kobject_copy_send(struct ipc_port *port)
{
	/* We hold one already: the count cannot be zero (port.h). */
	ip_srights_inc(port);
	ip_reference(port);
}

void
ipc_kobject_make_send_once(struct ipc_port *port)
{
	ip_sorights_inc(port);
	ip_reference(port);
}

/* ------------------------------------------------------------------ */
/* Replies                                                             */

static mig_reply_error_t *
reply_body(struct ipc_kmsg *reply)
{
	return (mig_reply_error_t *)(void *)ikm_bytes(reply);
}

void
ipc_kobject_reply_error(struct ipc_kmsg *reply, kern_return_t kr)
{
	ipc_require(!(reply->ikm_header.msgh_bits & MACH_MSGH_BITS_COMPLEX),
	    "an error reply is simple");
	reply_body(reply)->RetCode = kr;
}

void
ipc_kobject_reply_port(
    struct ipc_kmsg *reply, struct ipc_port *port, mach_msg_type_name_t type)
{
	struct {
		mach_msg_base_t base;
		mach_msg_port_descriptor_t port;
	} *out = (void *)ikm_bytes(reply);
	struct ipc_kdesc *d = &ikm_desc(reply)[0];

	ipc_require(reply->ikm_ndesc == 0 &&
	        (char *)ikm_desc(reply) >= ikm_bytes(reply) + sizeof(*out),
	    "a reply with room for its descriptor (iko_reply_size)");
	out->base.header.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
	out->base.header.msgh_size = sizeof(*out);
	out->base.body.msgh_descriptor_count = 1;
	memset(&out->port, 0, sizeof(out->port));
	out->port.disposition = type;
	out->port.type = MACH_MSG_PORT_DESCRIPTOR;
	d->kd_type = MACH_MSG_PORT_DESCRIPTOR;
	d->kd_offset = sizeof(mach_msg_base_t);
	d->kd_port.ir_port = port;
	d->kd_port.ir_type = type;
	d->kd_port.ir_dead = false;
	reply->ikm_ndesc = 1;
	reply->ikm_size = sizeof(*out);
	if (type == MACH_MSG_TYPE_PORT_RECEIVE)
		reply->ikm_flags |= IKM_F_RECEIVE;
}

/* The reply XNU prepares: to the request's reply right, id + 100. */
static void
reply_init(struct ipc_kmsg *reply, struct ipc_right *to, mach_msg_id_t id)
{
	mig_reply_error_t *out = reply_body(reply);

	reply->ikm_flags = IKM_F_KERNEL;
	reply->ikm_sender = 0;
	reply->ikm_dest = *to;
	to->ir_port = NULL;
	to->ir_type = 0;
	to->ir_dead = false;
	reply->ikm_reply.ir_port = NULL;
	reply->ikm_reply.ir_type = 0;
	reply->ikm_reply.ir_dead = false;
	memset(out, 0, sizeof(*out));
	out->Head.msgh_bits = MACH_MSGH_BITS(reply->ikm_dest.ir_type, 0);
	out->Head.msgh_size = sizeof(*out);
	/* Unsigned: a hostile id near INT_MAX wraps as in XNU. */
	out->Head.msgh_id = (mach_msg_id_t)((uint32_t)id + 100u);
	out->NDR = NDR_record;
	out->RetCode = KERN_SUCCESS;
	reply->ikm_size = sizeof(*out);
}

/*
 * Queue a reply.  XNU's ipc_kmsg_send after a kernel reply: a reply that
 * cannot be delivered is destroyed, and the sender never hears of it.
 * Conditions: nothing locked.  Consumes reply.
 */
static void
reply_send(struct ipc_kmsg *reply)
{
	struct ipc_port *dest = reply->ikm_dest.ir_port;
	struct ipc_thread *th;

	if (dest == NULL || (dest->ip_cflags & IP_F_KOBJECT)) {
		ipc_kmsg_destroy(reply);
		return;
	}
	if ((reply->ikm_flags & IKM_F_RECEIVE) &&
	    ipc_kmsg_set_transit(reply, dest)) {
		ipc_kmsg_destroy(reply); /* N2: a cycle */
		return;
	}
	if (!ip_active(dest) || !ipc_mqueue_prepare(dest) ||
	    !ipc_mqueue_admit(
	        dest, reply->ikm_dest.ir_type == MACH_MSG_TYPE_PORT_SEND)) {
		ipc_kmsg_destroy(reply);
		return;
	}
	th = ipc_thread_self();
	if (th != NULL)
		ipc_epoch_enter(th);
	ipc_mqueue_enqueue(dest, reply);
	if (th != NULL)
		ipc_epoch_exit(th);
}

/* The destination right is used up by the call (no notification). */
static void
consume_dest(struct ipc_kmsg *request)
{
	struct ipc_right *d = &request->ikm_dest;

	if (d->ir_port == NULL)
		return;
	if (d->ir_type == MACH_MSG_TYPE_PORT_SEND_ONCE)
		ipc_port_release_sonce(d->ir_port);
	else
		ipc_port_release_send(d->ir_port);
	d->ir_port = NULL;
}

/*
 * No memory for a reply: the request becomes it (see Choices).  Its body
 * is released; KERN_RESOURCE_SHORTAGE goes back to its reply right.
 */
static void IPC_COLD
reply_no_memory(struct ipc_kmsg *request)
{
	struct ipc_right to = request->ikm_reply;
	mach_msg_id_t id = request->ikm_header.msgh_id;

	request->ikm_reply.ir_port = NULL;
	consume_dest(request);
	ipc_require(ipc_kmsg_reuse(request, sizeof(mig_reply_error_t)),
	    "a request's memory holds an error reply");
	reply_init(request, &to, id);
	ipc_kobject_reply_error(request, KERN_RESOURCE_SHORTAGE);
	reply_send(request);
}

void
ipc_kobject_server(struct ipc_kmsg *request)
{
	struct ipc_port *port = request->ikm_dest.ir_port;
	const struct ipc_kobject_ops *ops = kobject_ops(port);
	struct ipc_kmsg *reply;
	kern_return_t kr;

	/* A notification may come with its dying port's space locked. */
	ipc_lock_assert_rank_below(IPC_RANK_KOBJECT);
	/* A kobject that died since the copy-in: J9, destroyed. */
	if (ops == NULL || !ip_active(port)) {
		ipc_kmsg_destroy(request);
		return;
	}
	reply = ipc_kmsg_alloc(ops->iko_reply_size, ops->iko_reply_ndesc);
	if (unlikely(reply == NULL)) {
		reply_no_memory(request);
		return;
	}
	reply_init(reply, &request->ikm_reply, request->ikm_header.msgh_id);
	if (!ops->iko_server(port, port->ip_kobject, request, reply))
		ipc_kobject_reply_error(reply, MIG_BAD_ID);
	kr = (reply->ikm_header.msgh_bits & MACH_MSGH_BITS_COMPLEX)
	    ? KERN_SUCCESS
	    : reply_body(reply)->RetCode;
	consume_dest(request);
	/* What the server did not take: its own (success) or intact (an
	 * error), destroyed either way. */
	ipc_kmsg_destroy(request);
	if (kr == MIG_NO_REPLY) {
		ipc_kmsg_destroy(reply); /* a reply right left in it dies */
		return;
	}
	reply_send(reply);
}

/* ------------------------------------------------------------------ */
/* Notification requests of kernel objects                             */

kern_return_t
ipc_kobject_request_port_destroyed(
    struct ipc_port *port, struct ipc_port *notify)
{
	struct ipc_notify_req *req = ipc_alloc(IPC_KIND_TABLE, sizeof(*req));
	struct ipc_kmsg *k = ipc_notify_prealloc();

	if (req == NULL || k == NULL) {
		if (k != NULL)
			ipc_kmsg_free(k);
		if (req != NULL)
			ipc_free(IPC_KIND_TABLE, req, sizeof(*req));
		return KERN_RESOURCE_SHORTAGE;
	}
	ipc_kobject_make_send_once(notify);
	req->inr_port = notify;
	req->inr_msg = k;
	ip_lock(port);
	if (port->ip_pdrequest != NULL || !ip_active(port)) {
		ip_unlock(port);
		ipc_notify_req_discard(req);
		ipc_free(IPC_KIND_TABLE, req, sizeof(*req));
		return KERN_FAILURE;
	}
	port->ip_pdrequest = req;
	ip_unlock(port);
	return KERN_SUCCESS;
}

void
ipc_kobject_cancel_port_destroyed(
    struct ipc_port *port, struct ipc_port *notify)
{
	struct ipc_notify_req *req;

	ip_lock(port);
	req = port->ip_pdrequest;
	if (req != NULL && req->inr_port == notify)
		port->ip_pdrequest = NULL;
	else
		req = NULL; /* fired (or never ours): nothing to take */
	ip_unlock(port);
	if (req != NULL) {
		ipc_notify_req_discard(req);
		ipc_free(IPC_KIND_TABLE, req, sizeof(*req));
	}
}

uint32_t
ipc_kobject_request_dead_name(struct ipc_port *port, struct ipc_port *notify,
    mach_port_name_t token, bool *dead)
{
	struct ipc_kmsg *k = ipc_notify_prealloc();
	struct ipc_port_request *r;
	uint32_t index = 0;

	ipc_require((token & 3) == 0, "a token no space name can equal");
	*dead = false;
	if (k == NULL)
		return 0;
	/* The send-once right first: never two port locks at once. */
	ipc_kobject_make_send_once(notify);
	ip_lock(port);
	if (!ip_active(port))
		*dead = true;
	else
		index = ipc_port_request_alloc_locked(port);
	if (index != 0) {
		r = &port->ip_requests->irt_req[index];
		r->ipr_name = token;
		r->ipr_flags = 0;
		r->ipr_req.inr_port = notify;
		r->ipr_req.inr_msg = k;
		port->ip_requests->irt_used++;
	}
	ip_unlock(port);
	if (index == 0) {
		ipc_port_release_sonce(notify);
		ipc_kmsg_free(k);
	}
	return index;
}

void
ipc_kobject_cancel_dead_name(
    struct ipc_port *port, uint32_t index, mach_port_name_t token)
{
	struct ipc_notify_req req;

	ip_lock(port);
	req = ipc_port_request_take_locked(port, index, token);
	ip_unlock(port);
	if (req.inr_port != NULL)
		ipc_notify_req_discard(&req);
}
