/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workloop.h -- workloops (workloop.c): the kqworkloop + EVFILT_MACHPORT
 * analog.  A serial event loop bound to ports: its servicer thread is the
 * inheritor of every push on those ports, and rights it receives push on
 * it until it moves on to the next message.
 */
#ifndef MIPC_CORE_WORKLOOP_H
#define MIPC_CORE_WORKLOOP_H

#include "lock.h"
#include "thread.h"
#include "turnstile.h"

#include <mipc/message.h>
#include <mipc/types.h>

struct ipc_port;
struct ipc_pset;
struct mipc_space;

#define IPC_WL_STASH_MAX 64 /* rights stashed by one delivery */

/*
 * Legend: (W) wl_lock  (C) constant after create  (A) atomic
 * (S) the space lock of wl_space.
 */
struct ipc_workloop {
	ipc_lock_t wl_lock;                /* IPC_RANK_WORKLOOP */
	uint32_t wl_refs;                  /* (A) handle, links, attached */
	uint32_t wl_flags;                 /* (C) MIPC_WORKLOOP_* */
	struct mipc_space *wl_space;       /* (C) referenced */
	struct ipc_pset *wl_pset;          /* (C) unnamed set: the attached
	                                     ports are its members (S) */
	struct ipc_turnstile *wl_ts;       /* (C) inheritor: the servicer */
	struct ipc_turnstile *wl_stash_ts; /* (C) pushes of a delivery's
	                                      2nd+ rights; inheritor wl_ts */
	struct ipc_thread *wl_servicer;    /* (W) bound, referenced */
	uint8_t wl_min_pri;                /* (W) servicer floor */
	bool wl_dead;                      /* (W) destroyed */
	bool wl_knote_used;                /* (W) the delivery's first right
	                                     took the KNOTE slot */
	uint32_t wl_vanished;              /* (A) vanish events not yet
	                                      delivered (workloop.c) */
	uint32_t wl_nstash;                /* (W) rights of this delivery */
	struct ipc_port *wl_stash[IPC_WL_STASH_MAX]; /* (W) referenced */
	struct ipc_workloop *wl_space_next;          /* (S) is_workloops */
	struct ipc_workloop **wl_space_prevp;        /* (S) */
	uint32_t wl_nsets;           /* (S) named sets attached */
	struct ipc_pset *wl_sets[8]; /* (S) referenced */
	struct ipc_deferred wl_free; /* freed after a grace period */
};

void ipc_workloop_reference(struct ipc_workloop *wl);
void ipc_workloop_release(struct ipc_workloop *wl);

/*
 * A right copied out through the workloop that the calling thread
 * services (th_servicing): XNU's filt_machport_stash_port.  The first
 * right of a delivery links KNOTE (pushes on wl_ts), later ones STASH
 * (on wl_stash_ts); re-enabling severs them all.  Returns the link word
 * the caller stores (state and pointer, referenced), or 0 when the
 * stash is full (the caller then links nothing).
 * Conditions: port locked (the right's port); wl not locked.
 */
uintptr_t ipc_workloop_stash_locked(
    struct ipc_workloop *wl, struct ipc_port *port);

/* Where a KNOTE / STASH link pushes (the turnstile to inherit). */
struct ipc_turnstile *ipc_workloop_link_turnstile(uintptr_t link);

/*
 * Detach the workloop from a port leaving its space or dying (port
 * locked; recomputes its inheritor into ctx), or from a named set
 * destroyed (space locked): each is a vanish event for the workloop's
 * servicer (XNU's knote_vanish).  Each returns the workloop reference
 * the caller drops once unlocked (NULL if none was attached).
 */
struct ipc_workloop *ipc_workloop_detach_port_locked(
    struct ipc_port *port, struct ipc_ts_ctx *ctx);
struct ipc_workloop *ipc_workloop_detach_pset_locked(struct ipc_pset *pset);

/*
 * A vanish event pending?  Takes one (the receive reports it as
 * MACH_RCV_PORT_CHANGED).  Conditions: any.
 */
bool ipc_workloop_take_vanish(struct ipc_workloop *wl);

/*
 * The send of mipc_workloop_msg (msg.c): *rcv_buf is msg, or NULL when
 * the send released the buffer's region (MACH.md L8).
 */
mach_msg_return_t ipc_msg_send_workloop(struct mipc_space *space,
    mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_len, mach_msg_timeout_t timeout,
    mach_msg_header_t **rcv_buf);

/*
 * The space is being destroyed (its entries are gone): each of its
 * workloops' unnamed sets dies, so a servicer parked in a receive wakes
 * with MACH_RCV_PORT_CHANGED.  Conditions: space locked.
 */
void ipc_workloop_space_destroyed_locked(struct mipc_space *space);

/*
 * The thread exits: the workloop it services (th_bound_wl) re-enables
 * and unbinds it, as XNU unbinds a terminating thread.  Conditions: th
 * is the calling thread; nothing locked.
 */
void ipc_workloop_thread_exit(struct ipc_thread *th);

/* Receive through the workloop (msg.c): highest push first, stashing. */
mach_msg_return_t ipc_msg_receive_workloop(struct ipc_workloop *wl,
    mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t rcv_size,
    mach_msg_timeout_t timeout);

#endif /* MIPC_CORE_WORKLOOP_H */
