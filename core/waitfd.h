/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitfd.h -- event-loop descriptors (waitfd.c): an eventfd that polls
 * readable while a message can be received on a port or a port set, for
 * epoll, poll, libuv and libevent (mipc_port_get_fd, port.h).
 *
 * Owns:      the calls through which the message paths keep descriptors
 *            in step: a waker raises, a dequeue may lower, a membership
 *            change recomputes, a receive right that leaves its space (or a
 *            set that dies) vanishes.  Each is called only when a bit says
 *            a descriptor is armed (IPC_WAITQ_FD, IP_RCV_HOOK_FD), so
 *            nothing is paid where none is.
 */
#ifndef MIPC_CORE_WAITFD_H
#define MIPC_CORE_WAITFD_H

#include "base.h"
#include "port.h"
#include "waitq.h"

#include <ck_pr.h>

/*
 * A waker found IPC_WAITQ_FD in wq's waiter count after publishing: make
 * the descriptor readable if it is not.  Conditions: any lock state but a
 * LEAF lock; the caller fenced ([F1]).
 */
void ipc_waitfd_raise(struct ipc_waitq *wq);

/*
 * A receiver took a message from port, whose ip_rcv_hooks has
 * IP_RCV_HOOK_FD: the descriptors of the port and of its sets go
 * unreadable if nothing is left to receive.  Conditions: nothing locked
 * but possibly an epoch section.
 */
void ipc_waitfd_dequeued(struct ipc_port *port);

/*
 * wq's object goes away for its descriptor -- a receive right left its
 * space (moved, destroyed), a set was destroyed -- as XNU's
 * ipc_mqueue_changed vanishes a knote: the descriptor becomes readable
 * for good, its counter at the maximum (POLLOUT drops), and is detached.
 * A port's IP_RCV_HOOK_FD goes too (it is in no set by then).
 * Conditions: any lock state but a LEAF lock.
 */
void ipc_waitfd_vanish(struct ipc_waitq *wq);

/*
 * port joined or left the set whose waitq is set_wq: port's hook bit is
 * recomputed, the set's descriptor follows what the set now holds.
 * Conditions: the space holding both locked (pset.c).
 */
void ipc_waitfd_link_changed_slow(
    struct ipc_port *port, struct ipc_waitq *set_wq);

static inline void
ipc_waitfd_link_changed(struct ipc_port *port, struct ipc_waitq *set_wq)
{
	/* Relaxed: both bits change under the space lock we hold. */
	if (unlikely((ck_pr_load_32(&port->ip_rcv_hooks) & IP_RCV_HOOK_FD) ||
	        (ck_pr_load_32(&set_wq->wq_waiters) & IPC_WAITQ_FD)))
		ipc_waitfd_link_changed_slow(port, set_wq);
}

/* Armed descriptors (tests). */
uint64_t ipc_waitfd_live(void);

/* fork(): the child has no armed descriptor (fork.c). */
void ipc_waitfd_atfork_child(void);

#endif /* MIPC_CORE_WAITFD_H */
