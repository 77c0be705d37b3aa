/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.h -- special reply ports and sync IPC linkage (reply.c): the
 * binding of a thread to its special reply port (SRP), the sync-link word
 * every port carries, and the receive turnstile of a client waiting for
 * its reply (the seed's ipc_port_recv_update_inheritor).
 */
#ifndef MIPC_CORE_REPLY_H
#define MIPC_CORE_REPLY_H

#include "base.h"
#include "port.h"
#include "thread.h"

#include <ck_pr.h>
#include <mipc/types.h>

struct ipc_thread;
struct ipc_ts_ctx;

/*
 * ip_sync_link, one word: a state, the W bit, and a pointer (16-byte
 * aligned objects).  XNU's ip_sync_link_state plus its inheritor union.
 *
 *   state (bits 0-2)       pointer            set by
 *   ANY         0          -                  nothing linked (linkable)
 *   PORT        1          the dest port (+1) a send with the SRP as
 *                                             MAKE_SEND_ONCE reply (S3),
 *                                             MACH_RCV_SYNC_WAIT (S4)
 *   KNOTE       2          workloop           (workloops)
 *   STASH       3          stash turnstile    (workloops)
 *   NO_LINKAGE  4          -                  the reply right left for a
 *                                             plain receiver (no push)
 *   RCV_THREAD  5          thread (+1)        (sync bootstrap check-in)
 *   PORT_PUSH   6          the dest port (+1) PORT, and the link holds a
 *                                             user count on the dest's
 *                                             send turnstile
 *   W (bit 3): a thread waits with its turnstile; from then on the word
 *   changes only under the port's lock.  Without W it changes by CAS.
 *   A dead SRP keeps W for good (IPC_LINK_DEAD): never linked again.
 */
#define IPC_LINK_ANY        0u
#define IPC_LINK_PORT       1u
#define IPC_LINK_KNOTE      2u
#define IPC_LINK_STASH      3u
#define IPC_LINK_NO_LINKAGE 4u
#define IPC_LINK_RCV_THREAD 5u
#define IPC_LINK_PORT_PUSH  6u
#define IPC_LINK_STATE_MASK 0x7u
#define IPC_LINK_W          0x8u
#define IPC_LINK_PTR_MASK   (~(uintptr_t)0xf)
/* A dead SRP's word: ANY with W set for good (reply.c, port death). */
#define IPC_LINK_DEAD IPC_LINK_W

static inline uint32_t
ipc_link_state(uintptr_t v)
{
	return (uint32_t)(v & IPC_LINK_STATE_MASK);
}

static inline void *
ipc_link_ptr(uintptr_t v)
{
	return (void *)(v & IPC_LINK_PTR_MASK);
}

/*
 * S4: may this thread receive on `port` with MACH_RCV_SYNC_WAIT and sync
 * peer `peer`?  Conditions: inside an epoch section.
 */
mach_msg_return_t ipc_special_reply_sync_wait(struct ipc_thread *th,
    struct mipc_space *space, struct ipc_port *port, mach_port_name_t peer);

/*
 * The client's side of the link (S3): its send with the SRP as
 * MAKE_SEND_ONCE reply links the SRP to the destination.  _fp is the
 * send fast path's lock-free form (false: not linked, the slow path
 * decides); both take their own reference on dest.
 * Conditions: nothing locked; the caller holds references on both.
 */
void ipc_special_reply_link(struct ipc_port *srp, struct ipc_port *dest);

static inline uintptr_t
ipc_link_load(struct ipc_port *port)
{
	return (uintptr_t)ck_pr_load_ptr(&port->ip_sync_link);
}

/* Relaxed (reply.c, Ordering).  On failure *v is the word found. */
static inline bool
ipc_link_cas(struct ipc_port *port, uintptr_t *v, uintptr_t n)
{
	void *found;
	/* Relaxed: the pointer's target is referenced (reply.c). */
	bool ok = ck_pr_cas_ptr_value(
	    &port->ip_sync_link, (void *)*v, (void *)n, &found);

	*v = (uintptr_t)found;
	return ok;
}

/* Conditions: srp is a special reply port, srp != dest. */
static inline bool
ipc_special_reply_link_fp(struct ipc_port *srp, struct ipc_port *dest)
{
	uintptr_t v = ipc_link_load(srp);

	if (v != IPC_LINK_ANY)
		return !(v & IPC_LINK_W); /* XNU links only from ANY */
	ip_reference(dest);
	if (ipc_link_cas(srp, &v, (uintptr_t)dest | IPC_LINK_PORT))
		return true;
	ip_release(dest);
	/* Another transition won: linked or not, W decides who retries. */
	return !(v & IPC_LINK_W);
}

/*
 * The server's side: a plain receive copied the send-once right of an SRP
 * out (no workloop): the link breaks (NO_LINKAGE), so a server is pushed
 * until it dequeues the request, not while it works on it.
 * Conditions: nothing locked.
 */
void ipc_special_reply_reset(struct ipc_port *srp, uint32_t state);
void ipc_special_reply_copyout_sonce_wl(
    struct ipc_port *srp, struct ipc_workloop *wl);

static inline void
ipc_special_reply_copyout_sonce(struct ipc_port *srp)
{
	uintptr_t v = ipc_link_load(srp);
	struct ipc_thread *th = ipc_thread_cur;

	/* Through a workloop: receive cases 2 and 3 (stash). */
	if (unlikely(th != NULL && th->th_servicing != NULL)) {
		ipc_special_reply_copyout_sonce_wl(srp, th->th_servicing);
		return;
	}
	/* XNU's not_special: an unlinked SRP stays as it is. */
	if (ipc_link_state(v) == IPC_LINK_ANY)
		return;
	/* The RPC's case, inline: PORT (no waiter, no push) -> NO_LINKAGE. */
	if (ipc_link_state(v) == IPC_LINK_PORT && !(v & IPC_LINK_W) &&
	    ipc_link_cas(srp, &v, IPC_LINK_NO_LINKAGE)) {
		ip_release((struct ipc_port *)ipc_link_ptr(v));
		return;
	}
	ipc_special_reply_reset(srp, IPC_LINK_NO_LINKAGE);
}

/* XNU's SR_RECEIVED_MSG: "a reply was sent" cleared (S7). */
static inline void
ipc_special_reply_msg_received(struct ipc_port *srp)
{
	/* XNU's SR_RECEIVED_MSG: the next request starts afresh. */
	if (unlikely(ck_pr_load_32(&srp->ip_sync_flags) & IP_SYNC_MSG_SENT))
		ck_pr_and_32(
		    &srp->ip_sync_flags, ~IP_SYNC_MSG_SENT); /* Relaxed */
}

/*
 * The client received on its SRP (XNU's receive completion,
 * SR_ALLOW_SYNC_LINKAGE): the link is reset to ANY, and then, if a
 * message was taken, "a reply was sent" is cleared.  In that order: a
 * servicer's re-enable cutting a workloop's link between the two steps
 * must find the flag still set, or it records a lost link for a reply
 * that was sent (XNU does both under the port lock; the link is
 * lock-free here).  The re-enable's side is
 * ipc_special_reply_unstash_locked.
 * Conditions: nothing locked; srp referenced.
 */
static inline void
ipc_special_reply_receive_complete(struct ipc_port *srp, bool got_msg)
{
	uintptr_t v = ipc_link_load(srp);

	/* The RPC's case, inline: NO_LINKAGE (nothing held) -> ANY. */
	if (v != IPC_LINK_ANY &&
	    !(v == IPC_LINK_NO_LINKAGE && ipc_link_cas(srp, &v, IPC_LINK_ANY)))
		ipc_special_reply_reset(srp, IPC_LINK_ANY);
	ipc_debug_yield(IPC_YIELD_LINK);
	if (got_msg) {
		/* [F56]: the link's reset before the flag's clear. */
		ck_pr_fence_atomic_load();
		ipc_special_reply_msg_received(srp);
	}
}

/*
 * Would ipc_special_reply_receive_complete(srp, false) change nothing
 * now?  A poll that found nothing skips it then (msg.c, rcv_poll_ends):
 * keep the two in step.  Conditions: srp's memory held (a section).
 */
static inline bool
ipc_special_reply_receive_idle(struct ipc_port *srp)
{
	return ipc_link_load(srp) == IPC_LINK_ANY;
}

/*
 * A message reaches an SRP stashed by a workloop: its reply is sent, so
 * severing the link later is no lost link (S7).
 * Conditions: nothing locked.
 */
void ipc_special_reply_msg_sent_slow(struct ipc_port *srp);

static inline void
ipc_special_reply_msg_sent(struct ipc_port *srp)
{
	uint32_t state = ipc_link_state(ipc_link_load(srp));

	if (unlikely(state == IPC_LINK_KNOTE || state == IPC_LINK_STASH))
		ipc_special_reply_msg_sent_slow(srp);
}

/*
 * An SRP stashed by wl's previous delivery: the link is cut, a lost link
 * recorded if no reply was sent.  Conditions: srp locked.
 */
struct ipc_workloop;
void ipc_special_reply_unstash_locked(struct ipc_port *srp,
    struct ipc_workloop *wl, struct ipc_ts_ctx *ctx, struct ipc_link_old *lo);

/*
 * A client about to sleep on its SRP donates its turnstile to the SRP's
 * receive turnstile and pushes through the link; _unblock undoes it when
 * the wait ends, whatever ended it.
 * Conditions: nothing locked; the caller holds a reference on srp.
 */
void ipc_special_reply_block(struct ipc_thread *th, struct ipc_port *srp);
void ipc_special_reply_unblock(struct ipc_thread *th, struct ipc_port *srp);

/*
 * What an old link held, released once every lock is dropped: a
 * reference on its destination and, for PORT_PUSH, a user count on that
 * destination's send turnstile; a thread reference (RCV_THREAD); the
 * bound owner's reference.
 */
struct ipc_link_old {
	struct ipc_port *lo_port;
	bool lo_push;
	struct ipc_thread *lo_thread;
	struct ipc_thread *lo_owner;
	struct ipc_workloop *lo_wl;  /* KNOTE */
	struct ipc_turnstile *lo_ts; /* STASH */
};

/* What the link word v held, into lo (any state). */
void ipc_link_old_collect(uintptr_t v, struct ipc_link_old *lo);

/* Conditions: nothing locked. */
void ipc_link_old_release_slow(struct ipc_link_old *lo);

static inline void
ipc_link_old_release(struct ipc_link_old *lo)
{
	if (unlikely(lo->lo_port != NULL || lo->lo_thread != NULL ||
	        lo->lo_owner != NULL || lo->lo_wl != NULL || lo->lo_ts != NULL))
		ipc_link_old_release_slow(lo);
}

/*
 * The SRP dies: the link goes (ANY, as XNU's ipc_port_destroy), its owner
 * is unbound.  Conditions: port locked and dead; what the link held is
 * collected in lo, for ipc_link_old_release once unlocked.
 */
void ipc_special_reply_port_dead_locked(
    struct ipc_port *srp, struct ipc_ts_ctx *ctx, struct ipc_link_old *lo);

/* The thread rebinds or exits: its SRP is unbound (UNLINK_THREAD). */
void ipc_special_reply_unbind(struct ipc_thread *th);

/*
 * What the receive turnstile of an SRP pushes on (receive case 1:
 * PORT_PUSH -> the dest's send turnstile).  Conditions: port locked.
 */
void ipc_special_reply_recompute_locked(
    struct ipc_port *srp, struct ipc_ts_ctx *ctx);

#endif /* MIPC_CORE_REPLY_H */
