/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.c -- special reply ports and sync IPC linkage: each thread's
 * binding to the special reply port (SRP) it waits for replies on
 * (thread_get_special_reply_port, S1, S2, S5), the checks of a
 * MACH_RCV_SYNC_WAIT receive (S4), and the link that lets a client waiting
 * for its reply push on the server (S3, T2: receive case 1 of the seed's
 * ipc_port_recv_update_inheritor).
 *
 * Owns:      the binding serials (ipc_srp_serial, th_srp_bind,
 *            ip_srp_bind), the bound pointers (th_srp, weak; ip_srp_owner,
 *            counted), each SRP's sync-link word (ip_sync_link, encoding
 *            in reply.h) and its receive turnstile (ip_rcv_ts).
 * Locking:   the SRP's port lock is the interlock of its receive turnstile
 *            and of the link word once W is set; without W the word
 *            changes by CAS only.  Port lock, then the owner's th_lock
 *            (IPC_RANK_THREAD).  Never two port locks: the destination's
 *            send turnstile is prepared and completed outside the SRP's
 *            lock, as XNU does.
 * Ordering:  the link word's CASes carry no ordering of their own: what a
 *            link points to is referenced, and every reader of the
 *            pointer takes its own reference inside an epoch section
 *            ("Relaxed" below); W orders through the port lock.
 *            [F56]: the client's receive completion resets the link,
 *            then clears IP_SYNC_MSG_SENT; a re-enable reads the flag,
 *            then cuts the link (S7: no lost link for a sent reply).
 * Lifetime:  a link PORT/PORT_PUSH holds a reference on its destination
 *            (and PORT_PUSH a user count on the destination's send
 *            turnstile); the SRP holds one on its owner thread; the thread
 *            points to its SRP weakly, cleared when the SRP dies, so a
 *            thread that merely called in keeps no port alive.
 * Choices:   * The SRP is made with MIPC_PORT_INIT_SPECIAL_REPLY |
 *              _MAKE_SEND_RIGHT | _MESSAGE_QUEUE, XNU's flags, in the
 *              calling thread's current space; port.c gives it the
 *              hardened runtime's reply-port marking (as MPO_REPLY_PORT).
 *            * The link is set lock-free on the send fast path and broken
 *              lock-free by the server's copy-out and the client's receive
 *              completion; the destination's send turnstile is prepared
 *              only when the client really blocks (PORT -> PORT_PUSH), not
 *              at every send as XNU does, so an RPC that does not block
 *              takes no lock and allocates nothing.
 *            * Like XNU, every receive on an SRP that returns -- a reply,
 *              a timeout, a poll that found nothing -- resets the link to
 *              ANY (mach_msg_receive_results_complete).
 *            * mig_get_special_reply_port keeps libsyscall's cached port
 *              only while it lives in the thread's current space (a mipc
 *              thread may change spaces); mig_dealloc_special_reply_port
 *              destroys it after a failed RPC, as MIG-generated client
 *              routines do.
 *
 * Theory of operation
 *
 *   client send (S3)      ANY --CAS--> PORT|dest          (+1 dest ref)
 *   server plain copy-out PORT* --CAS--> NO_LINKAGE      (releases dest)
 *   client receive ends   any --CAS--> ANY                (releases)
 *   client blocks         lock; set W; PORT -> PORT_PUSH if the dest's
 *                         send turnstile was prepared; donate the thread's
 *                         turnstile to ip_rcv_ts; inheritor = dest's send
 *                         turnstile (receive case 1); unlock; walk
 *   client wakes          lock; leave ip_rcv_ts; last waiter clears W
 *   SRP dies              lock; -> ANY|W for good (DEAD); owner unbound
 *   owner rebinds / exits lock; owner cleared; non-ANY -> NO_LINKAGE
 *
 * While W is set every transition takes the SRP's lock and recomputes the
 * receive turnstile's inheritor, so a push never outlives its link; a
 * CAS that finds W set retries under the lock.
 *
 * The binding's identity (S4: "is this port the calling thread's current
 * SRP?") is a 64-bit serial, never reused: a port freed and another
 * allocated at the same address cannot pass for the old binding.
 */
#include "reply.h"

#include "port.h"
#include "space.h"
#include "task.h"
#include "thread.h"
#include "turnstile.h"
#include "workloop.h"

#include <ck_pr.h>
#include <mipc/mach.h>
#include <mipc/sync.h>

static uint64_t ipc_srp_serial; /* (A) last binding serial handed out */

/* ------------------------------------------------------------------ */
/* Link targets                                                        */

/*
 * What an old link held, released once every lock is dropped: a
 * reference on its destination, a user count on that destination's send
 * turnstile, a thread reference.
 */
void
ipc_link_old_collect(uintptr_t v, struct ipc_link_old *lo)
{
	switch (ipc_link_state(v)) {
	case IPC_LINK_KNOTE:
		lo->lo_wl = ipc_link_ptr(v);
		break;
	case IPC_LINK_STASH:
		lo->lo_ts = ipc_link_ptr(v);
		break;
	case IPC_LINK_PORT:
		lo->lo_port = ipc_link_ptr(v);
		break;
	case IPC_LINK_PORT_PUSH:
		lo->lo_port = ipc_link_ptr(v);
		lo->lo_push = true;
		break;
	case IPC_LINK_RCV_THREAD:
		lo->lo_thread = ipc_link_ptr(v);
		break;
	default:
		break;
	}
}

void
ipc_link_old_release_slow(struct ipc_link_old *lo)
{
	if (lo->lo_port != NULL) {
		if (lo->lo_push)
			ipc_port_send_turnstile_complete(lo->lo_port);
		ip_release(lo->lo_port);
	}
	if (lo->lo_thread != NULL)
		ipc_thread_release(lo->lo_thread);
	if (lo->lo_owner != NULL)
		ipc_thread_release(lo->lo_owner);
	if (lo->lo_wl != NULL)
		ipc_workloop_release(lo->lo_wl);
	if (lo->lo_ts != NULL)
		ipc_turnstile_release(lo->lo_ts);
	lo->lo_port = NULL;
	lo->lo_thread = lo->lo_owner = NULL;
	lo->lo_wl = NULL;
	lo->lo_ts = NULL;
}

void
ipc_special_reply_recompute_locked(struct ipc_port *srp, struct ipc_ts_ctx *ctx)
{
	uintptr_t v = ipc_link_load(srp);
	struct ipc_turnstile *ts = srp->ip_rcv_ts;
	struct ipc_port *dp;

	ipc_lock_assert_held(&srp->ip_object.io_lock);
	if (ts == NULL)
		return;
	if (!ip_active(srp)) {
		ipc_turnstile_set_inheritor(ts, IPC_TSI_NONE, NULL, ctx);
		return;
	}
	switch (ipc_link_state(v)) {
	case IPC_LINK_PORT_PUSH:
		/* Case 1: the dest's send turnstile, stable: the link's user
		 * count keeps it (XNU reads it so). */
		dp = ipc_link_ptr(v);
		ipc_turnstile_set_inheritor(
		    ts, IPC_TSI_TURNSTILE, dp->ip_send_ts, ctx);
		break;
	case IPC_LINK_KNOTE: /* case 2: the workloop that dequeued it */
	case IPC_LINK_STASH: /* case 3: its delivery's stash turnstile */
		ipc_turnstile_set_inheritor(
		    ts, IPC_TSI_TURNSTILE, ipc_workloop_link_turnstile(v), ctx);
		break;
	default:
		ipc_turnstile_set_inheritor(ts, IPC_TSI_NONE, NULL, ctx);
		break;
	}
}

/*
 * ipc_special_reply_reset
 *	Move the link to `state` (no pointer), whatever it was; keeps W.
 *	Lock-free while W is clear, under the lock once it is set.  The
 *	server's copy-out (NO_LINKAGE) and the client's receive completion
 *	(ANY) come here when the link is not already in that state.
 * Conditions: nothing locked; srp referenced.
 */
void
ipc_special_reply_reset(struct ipc_port *srp, uint32_t state)
{
	struct ipc_ts_ctx ctx;
	struct ipc_link_old lo = { 0 };
	uintptr_t v = ipc_link_load(srp);

	ipc_ts_ctx_init(&ctx);
	for (;;) {
		if (ipc_link_state(v) == state && ipc_link_ptr(v) == NULL)
			return;
		if (v & IPC_LINK_W)
			break;
		if (ipc_link_cas(srp, &v, state)) {
			/* The RPC's case (a spinning client's first poll):
			 * PORT held a reference on its destination only. */
			if (ipc_link_state(v) == IPC_LINK_PORT) {
				ip_release((struct ipc_port *)ipc_link_ptr(v));
				return;
			}
			ipc_link_old_collect(v, &lo);
			ipc_link_old_release(&lo);
			return;
		}
	}
	ip_lock(srp);
	v = ipc_link_load(srp);
	if (v != IPC_LINK_DEAD) { /* a dead SRP's word stays as it is */
		while (!ipc_link_cas(srp, &v, state | (v & IPC_LINK_W)))
			;
		ipc_link_old_collect(v, &lo);
		ipc_special_reply_recompute_locked(srp, &ctx);
	}
	ip_unlock(srp);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
}

/* ------------------------------------------------------------------ */
/* The client's link (S3)                                              */

/* XNU links only towards ordinary ports (not to kernel objects). */
static bool
link_eligible(struct ipc_port *srp, struct ipc_port *dest)
{
	return srp != dest && (srp->ip_cflags & IP_F_SPECIAL_REPLY);
}

void
ipc_special_reply_link(struct ipc_port *srp, struct ipc_port *dest)
{
	struct ipc_ts_ctx ctx;
	bool prepared, used = false;
	uintptr_t v;

	ipc_ts_ctx_init(&ctx);
	if (!link_eligible(srp, dest) || ipc_special_reply_link_fp(srp, dest))
		return;
	/* A thread waits on the SRP (W): link as XNU does, under its lock,
	 * with the dest's send turnstile prepared first. */
	prepared = ipc_port_send_turnstile_prepare(dest);
	ip_lock(srp);
	v = ipc_link_load(srp);
	while (ipc_link_state(v) == IPC_LINK_ANY && ip_active(srp)) {
		if (!ipc_link_cas(srp, &v,
		        (uintptr_t)dest | (v & IPC_LINK_W) |
		            (prepared ? IPC_LINK_PORT_PUSH : IPC_LINK_PORT)))
			continue;
		ip_reference(dest);
		used = prepared;
		ipc_special_reply_recompute_locked(srp, &ctx);
		break;
	}
	ip_unlock(srp);
	ipc_ts_ctx_finish(&ctx);
	if (prepared && !used)
		ipc_port_send_turnstile_complete(dest);
}

/* ------------------------------------------------------------------ */
/* The server's copy-out and the client's completion                   */

/* ------------------------------------------------------------------ */
/* The client blocks                                                   */

void
ipc_special_reply_block(struct ipc_thread *th, struct ipc_port *srp)
{
	struct ipc_ts_ctx ctx;
	struct ipc_port *dp = NULL;
	struct ipc_turnstile *ts;
	bool prepared = false, used = false;
	uintptr_t v;

	ipc_ts_ctx_init(&ctx);
	if (th->th_turnstile == NULL)
		return; /* already waiting on something: no second push */
	/* The link's destination, if any: referenced, its send turnstile
	 * prepared, outside our lock (never two port locks). */
	ipc_epoch_enter(th);
	v = ipc_link_load(srp);
	if (ipc_link_state(v) == IPC_LINK_PORT) {
		dp = ipc_link_ptr(v);
		/* The link's reference may be going: a reference of our
		 * own, told from an erased one (space.h). */
		if (!ipc_port_reference_try_found(dp))
			dp = NULL;
	}
	ipc_epoch_exit(th);
	if (dp != NULL)
		prepared = ipc_port_send_turnstile_prepare(dp);

	ip_lock(srp);
	/* W: from now on the word changes only under our lock. */
	v = ipc_link_load(srp);
	for (;;) {
		uintptr_t n = v | IPC_LINK_W;

		used = prepared && ipc_link_state(v) == IPC_LINK_PORT &&
		    ipc_link_ptr(v) == dp;
		if (used) /* the link holds the user count now */
			n = (uintptr_t)dp | IPC_LINK_PORT_PUSH | IPC_LINK_W;
		if (ipc_link_cas(srp, &v, n))
			break;
	}
	ts = ipc_turnstile_prepare(
	    &srp->ip_rcv_ts, th->th_turnstile, srp, IPC_TS_RECEIVE);
	th->th_turnstile = NULL;
	ipc_special_reply_recompute_locked(srp, &ctx);
	ipc_turnstile_wait_add(ts, th, &ctx);
	ip_unlock(srp);
	ipc_ts_ctx_finish(&ctx);
	if (prepared && !used)
		ipc_port_send_turnstile_complete(dp);
	if (dp != NULL)
		ip_release(dp);
}

void
ipc_special_reply_unblock(struct ipc_thread *th, struct ipc_port *srp)
{
	struct ipc_ts_ctx ctx;
	uintptr_t v;

	ipc_ts_ctx_init(&ctx);
	if (th->th_turnstile != NULL)
		return; /* it did not block with a push */
	ip_lock(srp);
	ipc_turnstile_wait_remove(srp->ip_rcv_ts, th, &ctx);
	th->th_turnstile = ipc_turnstile_complete(&srp->ip_rcv_ts, &ctx);
	if (srp->ip_rcv_ts == NULL && ip_active(srp)) {
		/* The last waiter: the word goes back to CAS transitions
		 * (not on a dead SRP: its W stays, see port_dead_locked). */
		v = ipc_link_load(srp);
		while (!ipc_link_cas(srp, &v, v & ~(uintptr_t)IPC_LINK_W))
			;
	}
	ip_unlock(srp);
	ipc_ts_ctx_finish(&ctx);
}

/* ------------------------------------------------------------------ */
/* Through a workloop: stash, re-enable, lost links (S6, S7)           */

/*
 * ipc_special_reply_copyout_sonce_wl
 *	A server copies an SRP's send-once right out through the workloop
 *	it services: a linked SRP (non-ANY) pushes on that workloop from
 *	now until re-enable (receive cases 2, 3); ANY stays ANY (XNU).
 * Conditions: nothing locked; srp referenced; the caller is wl's
 * servicer.
 */
void
ipc_special_reply_copyout_sonce_wl(
    struct ipc_port *srp, struct ipc_workloop *wl)
{
	struct ipc_link_old lo = { 0 };
	struct ipc_ts_ctx ctx;
	uintptr_t v, n;

	ipc_ts_ctx_init(&ctx);
	ip_lock(srp);
	v = ipc_link_load(srp);
	if (ipc_link_state(v) != IPC_LINK_ANY && ip_active(srp)) {
		n = ipc_workloop_stash_locked(wl, srp);
		if (n == 0)
			n = IPC_LINK_NO_LINKAGE; /* a knote that cannot push */
		while (!ipc_link_cas(srp, &v, n | (v & IPC_LINK_W)))
			;
		ipc_link_old_collect(v, &lo);
		ipc_special_reply_recompute_locked(srp, &ctx);
	}
	ip_unlock(srp);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
}

void
ipc_special_reply_msg_sent_slow(struct ipc_port *srp)
{
	/* Relaxed: read under the port lock by the re-enable. */
	ck_pr_or_32(&srp->ip_sync_flags, IP_SYNC_MSG_SENT);
}

/*
 * The link of an SRP stashed by wl's previous delivery is cut
 * (NO_LINKAGE): a lost link if its reply was not sent.
 * Conditions: srp locked; returns what the link held in lo.
 */
void
ipc_special_reply_unstash_locked(struct ipc_port *srp, struct ipc_workloop *wl,
    struct ipc_ts_ctx *ctx, struct ipc_link_old *lo)
{
	uintptr_t v = ipc_link_load(srp);
	uint32_t sent;

	ipc_lock_assert_held(&srp->ip_object.io_lock);
	/*
	 * "A reply was sent" read before the cut and after it.  Before: the
	 * client's receive completion resets the link before it clears the
	 * flag ([F56]), so if our cut wins, this read precedes that clear
	 * and sees our own reply's flag.  After: a reply another thread
	 * queues while we cut.
	 */
	sent = ck_pr_load_32(&srp->ip_sync_flags);
	ck_pr_fence_load_atomic(); /* [F56] */
	for (;;) {
		if (!((ipc_link_state(v) == IPC_LINK_KNOTE &&
		          ipc_link_ptr(v) == (void *)wl) ||
		        (ipc_link_state(v) == IPC_LINK_STASH &&
		            ipc_link_ptr(v) == (void *)wl->wl_stash_ts)))
			return; /* linked elsewhere since: not ours */
		if (ipc_link_cas(
		        srp, &v, IPC_LINK_NO_LINKAGE | (v & IPC_LINK_W)))
			break;
	}
	ipc_link_old_collect(v, lo);
	sent |= ck_pr_load_32(&srp->ip_sync_flags);
	/* S7 (DEVELOPMENT kernels' bookkeeping, always kept here). */
	if (!(sent & IP_SYNC_MSG_SENT))
		ck_pr_or_32(
		    &srp->ip_sync_flags, IP_SYNC_LOST_LINK); /* Relaxed */
	ipc_special_reply_recompute_locked(srp, ctx);
}

/*
 * MACH_RCV_SYNC_WAIT (S4): the SRP links to the sync peer when it names a
 * send right of the receiving space; any other name proceeds unlinked.
 * Conditions: inside an epoch section.
 */
static void
sync_wait_link(
    struct mipc_space *space, struct ipc_port *srp, mach_port_name_t peer)
{
	struct ipc_entry *e = ipc_entry_lookup(space, peer);
	struct ipc_port *dp;

	if (e == NULL ||
	    !(IE_BITS_TYPE(ck_pr_load_32(&e->ie_bits)) & MACH_PORT_TYPE_SEND))
		return;
	dp = ip_from_object(ipc_entry_load_kind(e, IOT_PORT));
	if (dp == NULL || dp == srp || !ipc_port_reference_try_found(dp))
		return;
	if (ip_active(dp))
		(void)ipc_special_reply_link_fp(srp, dp);
	ip_release(dp);
}

kern_return_t
mach_port_special_reply_port_reset_link(
    task_t task, mach_port_name_t name, boolean_t *srp_lost_link)
{
	struct ipc_thread *th = ipc_thread_self();
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_port *port = NULL;
	struct ipc_entry *e;
	mipc_space_t handle;
	kern_return_t kr;

	kr = ipc_task_convert(task, &handle);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = ipc_space_acquire(handle, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (th == NULL || handle != mipc_thread_space())
		return KERN_INVALID_TASK; /* the caller's own space only */
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	if (th->th_srp_bind == 0)
		return KERN_INVALID_VALUE;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS) {
		e = ipc_entry_lookup(space, name);
		if (e == NULL)
			kr = KERN_INVALID_NAME;
		else if (!(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE))
			kr = KERN_INVALID_RIGHT;
		else
			port = ip_from_object(e->ie_object);
	}
	if (kr == KERN_SUCCESS && port->ip_srp_bind != th->th_srp_bind)
		kr = KERN_INVALID_ARGUMENT;
	if (kr == KERN_SUCCESS) {
		/* Report and clear, atomically. */
		uint32_t was = ck_pr_load_32(&port->ip_sync_flags);

		/* Relaxed: a flag. */
		while (!ck_pr_cas_32_value(
		    &port->ip_sync_flags, was, was & ~IP_SYNC_LOST_LINK, &was))
			;
		if (srp_lost_link != NULL)
			*srp_lost_link = (was & IP_SYNC_LOST_LINK) != 0;
	}
	is_unlock(space);
	return kr;
}

/*
 * Is th's bound special reply port alive and in `space`?  (A thread may
 * change spaces, which a Mach thread cannot: the port libsyscall caches
 * must then be made again where the thread now is.)
 */
static bool
srp_bound_in(struct ipc_thread *th, mipc_space_t task)
{
	struct mipc_space *rs;
	bool in;

	ipc_lock(&th->th_lock);
	/* Alive while bound: its death clears th_srp under this lock; an
	 * SRP is immovable (S2), so its receiver is stable, and holding
	 * it, alive: its handle is the live one. */
	rs = th->th_srp != NULL ? ip_receiver(th->th_srp) : NULL;
	in = rs != NULL && ipc_space_handle(rs) == task;
	ipc_unlock(&th->th_lock);
	return in;
}

mach_port_t
mig_get_special_reply_port(void)
{
	struct ipc_thread *th = ipc_thread_self();

	if (th == NULL)
		return MACH_PORT_NULL;
	if (th->th_srp_bind == 0 || th->th_srp_name == MACH_PORT_NULL ||
	    !srp_bound_in(th, mipc_thread_space()))
		(void)thread_get_special_reply_port();
	return th->th_srp_name;
}

/*
 * libsyscall's: after a failed RPC the special reply port may hold a stale
 * answer (a send-once notification of a destroyed request): it is
 * destroyed, and the next mig_get_special_reply_port makes another.
 */
void
mig_dealloc_special_reply_port(mach_port_t migport)
{
	struct ipc_thread *th = ipc_thread_self();
	mipc_space_t space = mipc_thread_space();
	mach_port_name_t srp;

	if (th == NULL || space == NULL)
		return;
	srp = th->th_srp_name;
	if (!MACH_PORT_VALID(srp) || !srp_bound_in(th, space))
		return;
	(void)mipc_port_destroy(space, srp);
	if (migport != srp)
		(void)mipc_port_deallocate(space, migport);
	th->th_srp_name = MACH_PORT_NULL;
}

kern_return_t
mach_sync_ipc_link_monitoring_start(mach_port_t *special_reply_port)
{
	mipc_space_t self = mipc_thread_space();
	boolean_t link_broken;
	mach_port_t srp;
	kern_return_t kr;

	if (special_reply_port == NULL)
		return KERN_INVALID_ARGUMENT;
	*special_reply_port = MACH_PORT_DEAD;
	srp = mig_get_special_reply_port();
	kr = mipc_port_mod_refs(self, srp, MACH_PORT_RIGHT_SEND, 1);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = mach_port_special_reply_port_reset_link(
	    mach_task_self(), srp, &link_broken);
	if (kr != KERN_SUCCESS) {
		(void)mipc_port_deallocate(self, srp);
		return kr;
	}
	*special_reply_port = srp;
	return KERN_SUCCESS;
}

kern_return_t
mach_sync_ipc_link_monitoring_stop(mach_port_t srp, boolean_t *in_effect)
{
	mipc_space_t self = mipc_thread_space();
	boolean_t link_broken = TRUE;
	kern_return_t kr;

	kr = mach_port_special_reply_port_reset_link(
	    mach_task_self(), srp, &link_broken);
	if (in_effect != NULL)
		*in_effect = kr == KERN_SUCCESS && !link_broken;
	(void)mipc_port_deallocate(self, srp);
	return kr;
}

/* ------------------------------------------------------------------ */
/* Death, binding and unbinding                                        */

void
ipc_special_reply_port_dead_locked(
    struct ipc_port *srp, struct ipc_ts_ctx *ctx, struct ipc_link_old *lo)
{
	struct ipc_thread *owner = srp->ip_srp_owner;
	uintptr_t v;

	ipc_lock_assert_held(&srp->ip_object.io_lock);
	/*
	 * XNU's ipc_port_destroy: the link goes back to ANY -- and W stays
	 * set for good, so the lock-free transitions from ANY (the client's
	 * send, S3) fail from now on and retry under the lock, where the
	 * port is seen dead: a dead SRP is never linked again
	 * (reply_srp_dead_before_linked_*).
	 */
	v = ipc_link_load(srp);
	while (!ipc_link_cas(srp, &v, IPC_LINK_DEAD))
		;
	ipc_link_old_collect(v, lo);
	ipc_special_reply_recompute_locked(srp, ctx);
	/* The owner's weak pointer goes before our last reference can. */
	if (owner != NULL) {
		ipc_lock(&owner->th_lock);
		if (owner->th_srp == srp)
			owner->th_srp = NULL;
		ipc_unlock(&owner->th_lock);
		srp->ip_srp_owner = NULL;
		lo->lo_owner = owner;
	}
}

void
ipc_special_reply_unbind(struct ipc_thread *th)
{
	struct ipc_ts_ctx ctx;
	struct ipc_link_old lo = { 0 };
	struct ipc_thread *owner = NULL;
	struct ipc_port *srp;
	uintptr_t v;

	ipc_ts_ctx_init(&ctx);
	th->th_srp_bind = 0;
	th->th_srp_name = MACH_PORT_NULL;
	ipc_lock(&th->th_lock);
	srp = th->th_srp;
	th->th_srp = NULL;
	/* Alive: its death would have cleared th_srp under this lock. */
	if (srp != NULL)
		ip_reference(srp);
	ipc_unlock(&th->th_lock);
	if (srp == NULL)
		return;
	ip_lock(srp);
	if (srp->ip_srp_owner == th) {
		/* XNU's UNLINK_THREAD: non-ANY -> NO_LINKAGE. */
		owner = th;
		srp->ip_srp_owner = NULL;
		v = ipc_link_load(srp);
		while (ipc_link_state(v) != IPC_LINK_ANY) {
			if (!ipc_link_cas(srp, &v,
			        IPC_LINK_NO_LINKAGE | (v & IPC_LINK_W)))
				continue;
			ipc_link_old_collect(v, &lo);
			ipc_special_reply_recompute_locked(srp, &ctx);
			break;
		}
	}
	ip_unlock(srp);
	ipc_ts_ctx_finish(&ctx);
	lo.lo_owner = owner;
	ipc_link_old_release(&lo);
	ip_release(srp);
}

/* Bind port as th's SRP.  Conditions: nothing locked; port referenced. */
static void
srp_bind(struct ipc_thread *th, struct ipc_port *port)
{
	ip_lock(port);
	if (ip_active(port) && port->ip_srp_owner == NULL) {
		ipc_thread_reference(th);
		port->ip_srp_owner = th;
		ipc_lock(&th->th_lock);
		th->th_srp = port;
		ipc_unlock(&th->th_lock);
	}
	ip_unlock(port);
}

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
ipc_special_reply_sync_wait(struct ipc_thread *th, struct mipc_space *space,
    struct ipc_port *port, mach_port_name_t peer)
{
	if (port == NULL || port->ip_srp_bind == 0 ||
	    port->ip_srp_bind != th->th_srp_bind)
		return MACH_RCV_INVALID_NOTIFY;
	if (!MACH_PORT_VALID(peer))
		return MACH_RCV_INVALID_NOTIFY;
	sync_wait_link(space, port, peer);
	return MACH_MSG_SUCCESS;
}

mach_port_name_t
thread_get_special_reply_port(void)
{
	struct ipc_thread *th = ipc_thread_self();
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	mach_port_name_t name = MACH_PORT_NULL;
	struct ipc_entry *e;
	struct ipc_port *port = NULL;
	uint64_t bind;

	if (th == NULL)
		return MACH_PORT_NULL;
	/* S1: the previous SRP is unbound first; it stays allocated. */
	ipc_special_reply_unbind(th);
	if (ipc_space_acquire(mipc_thread_space(), &space) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	/* Relaxed: the serial need only be unique. */
	bind = ck_pr_faa_64(&ipc_srp_serial, 1) + 1;
	if (ipc_port_alloc_init(space,
	        MIPC_PORT_INIT_SPECIAL_REPLY | MIPC_PORT_INIT_MAKE_SEND_RIGHT |
	            MIPC_PORT_INIT_MESSAGE_QUEUE,
	        bind, &name) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	th->th_srp_bind = bind;
	th->th_srp_name = name;
	/* The port, to bind its owner (a destroy may have raced us). */
	is_lock(space);
	e = ipc_entry_lookup(space, name);
	if (e != NULL && (IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE)) {
		port = ip_from_object(e->ie_object);
		if (port->ip_srp_bind == bind)
			ip_reference(port);
		else
			port = NULL;
	}
	is_unlock(space);
	if (port != NULL) {
		srp_bind(th, port);
		ip_release(port);
	}
	return name;
}
