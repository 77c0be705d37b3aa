/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.c -- special reply ports and sync IPC linkage: each thread's
 * binding to the special reply port (SRP) it waits for replies on
 * (thread_get_special_reply_port, MACH.md S1, S2, S5) and the checks of a
 * MACH_RCV_SYNC_WAIT receive (S4).
 *
 * Owns:      the binding serials: ipc_srp_serial, each thread's
 *            th_srp_bind, each special reply port's ip_srp_bind.
 * Locking:   none.  A thread's binding is read and written by that thread
 *            only (O); a port's is set before the port is published (C,
 *            [R8] in space.h orders it before any lookup finds the port).
 * Ordering:  the serial counter is relaxed: it only has to be unique.
 * Lifetime:  a binding holds no reference on the port nor the port on the
 *            thread, so a port outlives its thread and a thread its port
 *            with nothing to undo (S5), and no test teardown finds a port
 *            kept alive by a thread that merely called in once.
 * Choices:   * The SRP is made with MIPC_PORT_INIT_SPECIAL_REPLY |
 *              _MAKE_SEND_RIGHT | _MESSAGE_QUEUE, XNU's flags, in the
 *              calling thread's current space; port.c gives it the
 *              hardened runtime's reply-port marking (as MPO_REPLY_PORT).
 *            * The previous SRP is unbound before the new one is made, as
 *              XNU does, so a failed call leaves the thread with none.
 *            * S3's priority linkage waits for turnstiles (turnstile.c);
 *              its seams are marked "S3 seam" here, in kmsg.c's header
 *              copyin and in msg.c.  Nothing it does changes a return
 *              code, so S1-S5 hold without it.
 *
 * Theory of operation
 *
 * XNU keeps a counted pointer from the thread to its SRP
 * (ith_special_reply_port) and sync-link state on the port; rebinding and
 * thread termination unbind.  What the IPC calls need from that today is
 * one question: "is this port the calling thread's current SRP?" (S4).  We
 * answer it with a binding serial instead of a pointer:
 *
 *   1. thread_get_special_reply_port() takes a fresh 64-bit serial from
 *      ipc_srp_serial, stores it in the new port (ip_srp_bind, constant
 *      from before publication) and, once the port is installed, in the
 *      thread (th_srp_bind).
 *   2. A port is the thread's current SRP iff both serials are equal and
 *      not zero.  Ports made any other way carry 0 (even with
 *      MIPC_PORT_INIT_SPECIAL_REPLY: binding is this file's job, as it is
 *      thread_get_special_reply_port's in XNU).
 *   3. Rebinding overwrites th_srp_bind: the previous SRP is unbound
 *      without being touched (it stays allocated, S1).
 *
 * Invariants:
 *   I1. Serials are never reused (2^64 of them), so a port freed and a new
 *       one allocated at the same address cannot pass for the old binding:
 *       the check compares serials, never addresses.
 *   I2. th_srp_bind names at most one live port: only the port made with
 *       that serial carries it, and receive rights of an SRP never move
 *       (S2), so it is found only in the space it was made in.
 *   I3. Nothing is released at thread exit or port death; a thread whose
 *       SRP died keeps a serial that matches nothing.
 *
 * When turnstile.c arrives, the thread will need a counted pointer to its
 * SRP as well (to push on the server's turnstile) and XNU's unbind steps
 * at rebinding and thread exit; the serial stays the identity check.
 */
#include "reply.h"

#include "port.h"
#include "space.h"
#include "thread.h"

#include <mipc/mach.h>
static uint64_t ipc_srp_serial; /* (A) last binding serial handed out */

/*
 * ipc_special_reply_sync_wait
 *	S4: may this thread receive on `port` with MACH_RCV_SYNC_WAIT and
 *	sync peer `peer` (not MACH_PORT_NULL)?
 * Conditions:
 *	Inside an epoch section; port is what the receive name denotes
 *	(NULL for a port set).  Never blocks or allocates.
 * Returns:
 *	MACH_MSG_SUCCESS, or MACH_RCV_INVALID_NOTIFY when the port is not
 *	the thread's current SRP or the peer is MACH_PORT_DEAD.
 */
mach_msg_return_t
ipc_special_reply_sync_wait(
    struct ipc_thread *th, struct ipc_port *port, mach_port_name_t peer)
{
	if (port == NULL || port->ip_srp_bind == 0 ||
	    port->ip_srp_bind != th->th_srp_bind)
		return MACH_RCV_INVALID_NOTIFY;
	if (!MACH_PORT_VALID(peer))
		return MACH_RCV_INVALID_NOTIFY;
	/*
	 * S3 seam: if `peer` names a send right in the receiving space,
	 * XNU links the SRP to that port (ipc_port_link_special_reply_port)
	 * so that the waiting thread pushes on its receiver; any other name
	 * proceeds unlinked.  Either way the receive goes on.
	 */
	return MACH_MSG_SUCCESS;
}

mach_port_name_t
thread_get_special_reply_port(void)
{
	struct ipc_thread *th = ipc_thread_self();
	struct mipc_space *space;
	mach_port_name_t name = MACH_PORT_NULL;
	uint64_t bind;

	if (th == NULL)
		return MACH_PORT_NULL;
	space = mipc_thread_space();
	/* S1: the previous SRP is unbound first; it stays allocated. */
	th->th_srp_bind = 0;
	if (space == NULL)
		return MACH_PORT_NULL;
	/* Relaxed: the serial need only be unique (I1). */
	bind = ck_pr_faa_64(&ipc_srp_serial, 1) + 1;
	if (ipc_port_alloc_init(space,
	        MIPC_PORT_INIT_SPECIAL_REPLY | MIPC_PORT_INIT_MAKE_SEND_RIGHT |
	            MIPC_PORT_INIT_MESSAGE_QUEUE,
	        bind, &name) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	th->th_srp_bind = bind;
	return name;
}
