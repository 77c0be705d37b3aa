/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workloop.c -- workloops: the kqworkloop + EVFILT_MACHPORT analog.  A
 * workloop is a serial event loop bound to ports: at most one servicer
 * thread at a time receives from them, and a workloop is the way a server
 * gets pushed (a plain thread in mach_msg receive never is, T1).
 *
 * Owns:      struct ipc_workloop: its turnstile (wl_ts, inheritor: the
 *            bound servicer), its stash turnstile, the unnamed port set
 *            whose members are the attached ports, the named sets it
 *            receives from, and the stash of the current delivery.
 * Locking:   wl_lock (IPC_RANK_WORKLOOP, below port locks) is the
 *            interlock of wl_ts and wl_stash_ts, the servicer binding and
 *            wl_dead.  Membership (the unnamed set, wl_sets) is under the
 *            space lock, as every set's is, and so is the space's list of
 *            its workloops (is_workloops, for its destruction); a port's
 *            ip_workloop under its port lock.  The stash (wl_stash,
 *            wl_knote_used) is touched only by the bound servicer, so it
 *            takes no lock.
 * Lifetime:  a workloop is referenced by its handle (until destroy), by
 *            its servicer's binding, by each attached port (ip_workloop)
 *            and named set (ips_wl), and by each KNOTE link; freed after a
 *            grace period, since wakers reach it through set links inside
 *            epoch sections.
 * Choices:   XNU's semantics, with a thread instead of a kevent:
 *            * attach(port) = EVFILT_MACHPORT with MACH_RCV_MSG and
 *              EV_DISPATCH: the port's send turnstile pushes on wl_ts (send
 *              case 7); a port set can be attached to receive from, with
 *              no push (XNU has none for set knotes); a special reply port
 *              is refused (KERN_NOT_SUPPORTED, XNU's ENOTSUP); a port is
 *              attached to one workloop at a time (KERN_INVALID_ARGUMENT
 *              for a second); re-attaching to the same one succeeds.  A
 *              receive right that leaves the space is detached.
 *            * mipc_workloop_msg = [send the reply] + re-enable (the
 *              previous delivery's stash is severed: a special reply port
 *              whose reply was not sent records a lost link, S7) + bind
 *              the caller + receive, highest-pushing port first + copy out
 *              through the workloop (stash: the first right KNOTE, later
 *              ones STASH).  A parked servicer stays the inheritor, so it
 *              wakes boosted.  A second thread calling while one is bound
 *              gets KERN_ALREADY_WAITING: a workloop is serial.
 *            * An attachment that goes away by itself (the port dies or
 *              leaves the space, the named set is destroyed) is a vanish
 *              event: the servicer's next receive that finds no message
 *              returns MACH_RCV_PORT_CHANGED, once per attachment (XNU's
 *              knote_vanish / EV_EOF), so a server loop ends when its port
 *              goes; the user's own detach is no event.
 *            * The servicer's OS priority (wl_os_hold): from a delivery
 *              until it parks again or returns with none, it never falls
 *              -- rises apply at once -- so that a servicer that has
 *              replied does not sit runnable, lowered by its woken
 *              client, beside other load; what it wakes to serve then
 *              sets it.  The engine's priorities are XNU's throughout.
 *              Its receive spins without yielding (msg.c: a yield puts a
 *              fair scheduler's deadline behind the load's).
 *            * min_priority is a floor of wl_ts while a servicer is bound
 *              (binder's node min_priority); MIPC_WORKLOOP_INHERIT_RT lets
 *              pushes above 63 through (binder's inherit_rt).
 *            * destroy by another thread than the bound servicer kills the
 *              workloop for everyone else at once (attachments, floor; a
 *              parked servicer wakes with MACH_RCV_PORT_CHANGED, as a
 *              receiver on a destroyed set, G10) but leaves the binding
 *              and the stash, which only their thread touches, to the
 *              servicer: its next call re-enables and answers
 *              MACH_RCV_PORT_CHANGED, its end unbinds, and the binding's
 *              reference keeps the workloop until then.  XNU has no
 *              explicit destroy: a kqworkloop lives while its bound thread
 *              or a knote references it.
 */
#include "workloop.h"

#include "cache.h"
#include "kmsg.h"
#include "lock.h"
#include "object.h"
#include "port.h"
#include "pset.h"
#include "reply.h"
#include "space.h"
#include "thread.h"
#include "turnstile.h"
#include "waitq.h"

#include <mipc/message.h>
#include <mipc/sync.h>

/* ------------------------------------------------------------------ */
/* References                                                          */

static void
wl_free_now(struct ipc_deferred *d)
{
	struct ipc_workloop *wl =
	    ipc_container_of(d, struct ipc_workloop, wl_free);

	ipc_turnstile_release(wl->wl_ts);
	ipc_turnstile_release(wl->wl_stash_ts);
	ipc_space_release(wl->wl_space);
	ipc_free(IPC_KIND_WORKLOOP, wl, sizeof(*wl));
}

void
ipc_workloop_reference(struct ipc_workloop *wl)
{
	uint32_t was = ck_pr_faa_32(&wl->wl_refs, 1); /* Relaxed: held */

	ipc_require(was != 0, "reference a live workloop");
}

void
ipc_workloop_release(struct ipc_workloop *wl)
{
	bool zero;

	/* [R18]: our accesses before the free. */
	ipc_tsan_release(wl);
	ck_pr_fence_release();
	ck_pr_dec_32_zero(&wl->wl_refs, &zero);
	if (likely(!zero))
		return;
	ck_pr_fence_acquire(); /* [A18]: pairs with [R18] */
	ipc_tsan_acquire(wl);
	ipc_epoch_defer(ipc_thread_self(), &wl->wl_free, wl_free_now);
}

static struct ipc_workloop *
wl_of(mipc_workloop_t handle)
{
	return (struct ipc_workloop *)(void *)handle;
}

/* ------------------------------------------------------------------ */
/* Stash and re-enable                                                 */

uintptr_t
ipc_workloop_stash_locked(struct ipc_workloop *wl, struct ipc_port *port)
{
	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (wl->wl_nstash == IPC_WL_STASH_MAX)
		return 0; /* full: no push, as a knote that cannot push */
	ip_reference(port);
	wl->wl_stash[wl->wl_nstash++] = port;
	if (!wl->wl_knote_used) {
		wl->wl_knote_used = true;
		ipc_workloop_reference(wl);
		return (uintptr_t)wl | IPC_LINK_KNOTE;
	}
	ipc_turnstile_reference(wl->wl_stash_ts);
	return (uintptr_t)wl->wl_stash_ts | IPC_LINK_STASH;
}

struct ipc_turnstile *
ipc_workloop_link_turnstile(uintptr_t link)
{
	if (ipc_link_state(link) == IPC_LINK_KNOTE)
		return ((struct ipc_workloop *)ipc_link_ptr(link))->wl_ts;
	return ipc_link_ptr(link);
}

/*
 * Re-enable: every right of the previous delivery stops pushing on us
 * (XNU's filt_machport_turnstile_complete_port): a port's link goes back
 * to ANY, a special reply port's to NO_LINKAGE, recording a lost link if
 * its reply was not sent (S7).  Conditions: the bound servicer; nothing
 * locked.
 */
static void
wl_reenable(struct ipc_workloop *wl)
{
	uint32_t i;

	for (i = 0; i < wl->wl_nstash; i++) {
		struct ipc_port *port = wl->wl_stash[i];

		ipc_port_sync_unstash(port, wl);
		ip_release(port);
	}
	wl->wl_nstash = 0;
	wl->wl_knote_used = false;
}

/*
 * The servicer's OS priority (policies NICE, SCHED, CUSTOM): the
 * priority it served a request at stays its own until it parks again or
 * returns with no delivery.  From a delivery on it holds
 * (ipc_thread_os_hold): a fall of its effective priority -- its client
 * woken by the reply leaves the special reply port, the re-enable severs
 * the stash -- is kept from the OS, and at its next call's receive what
 * it wakes to serve decides: a request that pushes on it (nothing to
 * apply), or one that does not (it lowers itself then).  The engine's
 * priorities follow XNU exactly; only the OS call is deferred, as XNU's
 * servicer, still at its request's QoS, replies and parks inside one
 * kernel call.  Lowered by another thread while it still ran its reply,
 * the servicer sat runnable beside the CPU hogs at its own nice 10 (5%
 * of the CPU) and, once raised again, had the debt of its boosted run to
 * pay first: a fair scheduler's lag (EEVDF) survives a weight change
 * (bench/inversion.c, workloop kind: p99s of 2-8 ms for 100-500 us of
 * work, not one look seeing it unpushed).  Conditions: th is the caller,
 * wl's servicer.
 */
static void
wl_os_hold(struct ipc_thread *th)
{
	ipc_thread_os_hold(th, true);
}

static void
wl_os_release(struct ipc_thread *th)
{
	ipc_thread_os_hold(th, false);
}

/* ------------------------------------------------------------------ */
/* Binding                                                             */

/*
 * Bind th as the servicer: wl_ts pushes on it.  The binding holds a
 * reference on each: the workloop outlives a destroy by another thread
 * until its servicer unbinds.  wl locked.
 */
static void
wl_bind_locked(
    struct ipc_workloop *wl, struct ipc_thread *th, struct ipc_ts_ctx *ctx)
{
	ipc_lock_assert_held(&wl->wl_lock);
	ipc_thread_reference(th);
	ipc_workloop_reference(wl);
	wl->wl_servicer = th;
	th->th_bound_wl = wl; /* (O): th is the caller */
	ipc_lock(&wl->wl_ts->ts_lock);
	wl->wl_ts->ts_floor = wl->wl_min_pri;
	ipc_unlock(&wl->wl_ts->ts_lock);
	ipc_turnstile_set_inheritor(wl->wl_ts, IPC_TSI_THREAD, th, ctx);
}

/*
 * Unbind the servicer; returns it for the caller to release, with the
 * binding's workloop reference (wl_unbind does both).
 */
static struct ipc_thread *
wl_unbind_locked(struct ipc_workloop *wl, struct ipc_ts_ctx *ctx)
{
	struct ipc_thread *th = wl->wl_servicer;

	ipc_lock_assert_held(&wl->wl_lock);
	if (th == NULL)
		return NULL;
	ipc_require(th == ipc_thread_cur, "a servicer unbinds itself");
	th->th_bound_wl = NULL;
	wl->wl_servicer = NULL;
	ipc_lock(&wl->wl_ts->ts_lock);
	wl->wl_ts->ts_floor = 0;
	ipc_unlock(&wl->wl_ts->ts_lock);
	ipc_turnstile_set_inheritor(wl->wl_ts, IPC_TSI_NONE, NULL, ctx);
	return th;
}

/*
 * A destroyed workloop's stash turnstile stops pushing on its own, once
 * nothing can be stashed any more (no servicer).  wl locked.
 */
static void
wl_retire_stash_locked(struct ipc_workloop *wl, struct ipc_ts_ctx *ctx)
{
	ipc_lock_assert_held(&wl->wl_lock);
	if (wl->wl_dead && wl->wl_servicer == NULL)
		ipc_turnstile_set_inheritor(
		    wl->wl_stash_ts, IPC_TSI_NONE, NULL, ctx);
}

/*
 * The calling thread, bound, stops servicing: its delivery's rights
 * stop pushing (re-enable), it is unbound, and the binding's references
 * go -- the workloop's last one, after a destroy.  Conditions: nothing
 * locked; th is wl's servicer.
 */
static void
wl_unbind(struct ipc_workloop *wl)
{
	struct ipc_thread *was;
	struct ipc_ts_ctx ctx;

	ipc_ts_ctx_init(&ctx);
	wl_reenable(wl);
	ipc_lock(&wl->wl_lock);
	was = wl_unbind_locked(wl, &ctx);
	wl_retire_stash_locked(wl, &ctx);
	ipc_unlock(&wl->wl_lock);
	ipc_ts_ctx_finish(&ctx);
	if (was != NULL) {
		wl_os_release(was); /* was is the caller */
		ipc_thread_release(was);
		ipc_workloop_release(wl);
	}
}

void
ipc_workloop_space_destroyed_locked(struct mipc_space *space)
{
	struct ipc_workloop *wl;

	ipc_lock_assert_held(&space->is_lock);
	for (wl = space->is_workloops; wl != NULL; wl = wl->wl_space_next) {
		/* Its ports and named sets went with their entries. */
		ck_pr_store_ptr(&wl->wl_pset->ips_space, NULL);
		ipc_waitq_wake(&wl->wl_pset->ips_rcv_wq, IPC_WAKE_AFTER_STORE,
		    IPC_WAKE_ALL);
	}
}

void
ipc_workloop_thread_exit(struct ipc_thread *th)
{
	if (th->th_bound_wl != NULL)
		wl_unbind(th->th_bound_wl);
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */

kern_return_t
mipc_workloop_create(mipc_space_t task, uint32_t flags, mipc_workloop_t *out)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_workloop *wl;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (out == NULL || (flags & ~MIPC_WORKLOOP_INHERIT_RT))
		return KERN_INVALID_ARGUMENT;
	wl = ipc_zalloc(IPC_KIND_WORKLOOP, sizeof(*wl));
	if (wl == NULL)
		return KERN_RESOURCE_SHORTAGE;
	wl->wl_ts = ipc_turnstile_alloc();
	wl->wl_stash_ts = ipc_turnstile_alloc();
	wl->wl_pset = ipc_pset_alloc();
	if (wl->wl_ts == NULL || wl->wl_stash_ts == NULL ||
	    wl->wl_pset == NULL) {
		if (wl->wl_ts != NULL)
			ipc_turnstile_release(wl->wl_ts);
		if (wl->wl_stash_ts != NULL)
			ipc_turnstile_release(wl->wl_stash_ts);
		if (wl->wl_pset != NULL)
			ipc_object_release(&wl->wl_pset->ips_object);
		ipc_free(IPC_KIND_WORKLOOP, wl, sizeof(*wl));
		return KERN_RESOURCE_SHORTAGE;
	}
	ipc_lock_init(&wl->wl_lock, IPC_RANK_WORKLOOP, "workloop");
	wl->wl_refs = 1;
	wl->wl_flags = flags;
	wl->wl_ts->ts_type = IPC_TS_WORKLOOP;
	wl->wl_ts->ts_proprietor = wl;
	wl->wl_ts->ts_cap =
	    (flags & MIPC_WORKLOOP_INHERIT_RT) ? MIPC_PRI_MAX : IPC_TS_CAP_USER;
	wl->wl_stash_ts->ts_type = IPC_TS_STASH;
	wl->wl_stash_ts->ts_proprietor = wl;
	is_lock(space);
	if (ipc_space_check(space) != KERN_SUCCESS) {
		is_unlock(space);
		ipc_turnstile_release(wl->wl_ts);
		ipc_turnstile_release(wl->wl_stash_ts);
		ipc_object_release(&wl->wl_pset->ips_object);
		ipc_free(IPC_KIND_WORKLOOP, wl, sizeof(*wl));
		return KERN_INVALID_TASK;
	}
	ipc_space_reference(space);
	wl->wl_space = space;
	wl->wl_pset->ips_space = space; /* unnamed: in no entry */
	wl->wl_pset->ips_unnamed = true;
	wl->wl_space_next = space->is_workloops;
	if (wl->wl_space_next != NULL)
		wl->wl_space_next->wl_space_prevp = &wl->wl_space_next;
	wl->wl_space_prevp = &space->is_workloops;
	space->is_workloops = wl;
	is_unlock(space);
	/* The stash turnstile pushes on ours, for good. */
	{
		struct ipc_ts_ctx ctx;

		ipc_ts_ctx_init(&ctx);
		ipc_lock(&wl->wl_lock);
		ipc_turnstile_set_inheritor(
		    wl->wl_stash_ts, IPC_TSI_TURNSTILE, wl->wl_ts, &ctx);
		ipc_unlock(&wl->wl_lock);
		ipc_ts_ctx_finish(&ctx);
	}
	*out = (mipc_workloop_t)(void *)wl;
	return KERN_SUCCESS;
}

kern_return_t
mipc_workloop_set_min_priority(mipc_workloop_t handle, int pri)
{
	struct ipc_workloop *wl = wl_of(handle);
	struct ipc_ts_ctx ctx;

	if (wl == NULL || pri < MIPC_PRI_MIN || pri > MIPC_PRI_MAX)
		return KERN_INVALID_ARGUMENT;
	ipc_ts_ctx_init(&ctx);
	ipc_lock(&wl->wl_lock);
	if (wl->wl_dead) {
		ipc_unlock(&wl->wl_lock);
		return KERN_TERMINATED;
	}
	wl->wl_min_pri = (uint8_t)pri;
	if (wl->wl_servicer != NULL) {
		ipc_lock(&wl->wl_ts->ts_lock);
		wl->wl_ts->ts_floor = (uint8_t)pri;
		ipc_unlock(&wl->wl_ts->ts_lock);
		ipc_ts_ctx_add_turnstile(&ctx, wl->wl_ts);
	}
	ipc_unlock(&wl->wl_lock);
	ipc_ts_ctx_finish(&ctx);
	return KERN_SUCCESS;
}

/*
 * What `name` attaches: a port's receive right (not a special reply
 * port's) or a port set.  Conditions: space locked and active.
 */
static kern_return_t
attach_lookup(struct mipc_space *space, mach_port_name_t name,
    struct ipc_port **portp, struct ipc_pset **psetp)
{
	struct ipc_entry *e;
	uint32_t type;

	*portp = NULL;
	*psetp = NULL;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	e = ipc_entry_lookup(space, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	type = IE_BITS_TYPE(e->ie_bits);
	if (type != MACH_PORT_TYPE_PORT_SET && !(type & MACH_PORT_TYPE_RECEIVE))
		return KERN_INVALID_RIGHT;
	ipc_require(
	    e->ie_object != NULL, "a receive or set right has its object");
	if (type == MACH_PORT_TYPE_PORT_SET) {
		*psetp = ips_from_object(e->ie_object);
		return KERN_SUCCESS;
	}
	*portp = ip_from_object(e->ie_object);
	if ((*portp)->ip_cflags & IP_F_SPECIAL_REPLY)
		return KERN_NOT_SUPPORTED;
	return KERN_SUCCESS;
}

kern_return_t
mipc_workloop_attach(mipc_workloop_t handle, mach_port_name_t name)
{
	struct ipc_workloop *wl = wl_of(handle);
	struct ipc_link_old lo = { 0 };
	struct mipc_space *space;
	struct ipc_ts_ctx ctx;
	struct ipc_port *port;
	struct ipc_pset *pset;
	kern_return_t kr;

	if (wl == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_ts_ctx_init(&ctx);
	space = wl->wl_space;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = attach_lookup(space, name, &port, &pset);
	if (kr == KERN_SUCCESS && ck_pr_load_8((uint8_t *)&wl->wl_dead))
		kr = KERN_TERMINATED;
	if (kr != KERN_SUCCESS)
		goto out;
	if (pset != NULL) {
		/* Receive only: a set's members get no push (XNU). */
		if (pset->ips_wl == wl)
			goto out;
		if (pset->ips_wl != NULL) {
			kr = KERN_INVALID_ARGUMENT;
			goto out;
		}
		if (wl->wl_nsets ==
		    sizeof(wl->wl_sets) / sizeof(wl->wl_sets[0])) {
			kr = KERN_NO_SPACE;
			goto out;
		}
		ipc_object_reference(&pset->ips_object);
		wl->wl_sets[wl->wl_nsets++] = pset;
		ipc_workloop_reference(wl);
		ck_pr_store_ptr(&pset->ips_wl, wl); /* Relaxed: see pset.h */
		goto out;
	}
	ip_lock(port);
	if (port->ip_workloop == wl) {
		ip_unlock(port);
		goto out;
	}
	if (port->ip_workloop != NULL) {
		ip_unlock(port);
		kr = KERN_INVALID_ARGUMENT;
		goto out;
	}
	ip_unlock(port);
	kr = ipc_pset_add_member_locked(space, port, wl->wl_pset);
	if (kr != KERN_SUCCESS)
		goto out;
	ip_lock(port);
	ipc_workloop_reference(wl);
	port->ip_workloop = wl;
	/* XNU's filt_portattach: a non-ANY link goes ANY, then case 7. */
	ipc_port_sync_reset_locked(port, &lo);
	ipc_port_send_turnstile_recompute_locked(port, &ctx);
	ip_unlock(port);
out:
	is_unlock(space);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
	return kr;
}

/*
 * A port or set attached to wl went away without the user detaching it
 * (died, left the space, destroyed): a vanish event (XNU delivers
 * EV_VANISHED / EV_EOF on the knote, knote_vanish).  A servicer waiting
 * in ipc_msg_receive_workloop wakes and returns MACH_RCV_PORT_CHANGED;
 * one that is not waiting gets it from its next receive that finds no
 * message, so a server loop learns of it however the race falls.
 * Conditions: any lock; never blocks.
 */
static void
wl_vanish(struct ipc_workloop *wl)
{
	ck_pr_inc_32(&wl->wl_vanished);
	/* [F1] after the atomic increment (waitq.c): the receiver's check
	 * (ipc_workloop_take_vanish) then sees it. */
	ipc_waitq_wake(
	    &wl->wl_pset->ips_rcv_wq, IPC_WAKE_AFTER_ATOMIC, IPC_WAKE_ALL);
}

bool
ipc_workloop_take_vanish(struct ipc_workloop *wl)
{
	uint32_t n = ck_pr_load_32(&wl->wl_vanished);

	while (n != 0) {
		/* Relaxed use: the count orders nothing by itself. */
		if (ck_pr_cas_32_value(&wl->wl_vanished, n, n - 1, &n))
			return true;
	}
	return false;
}

/* Take wl off port (port locked); returns wl's reference to drop. */
static struct ipc_workloop *
wl_detach_port_locked(
    struct ipc_port *port, struct ipc_ts_ctx *ctx, bool vanish)
{
	struct ipc_workloop *wl;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (port->ip_cflags & IP_F_SPECIAL_REPLY)
		return NULL;
	wl = port->ip_workloop;
	if (wl != NULL) {
		port->ip_workloop = NULL;
		ipc_port_send_turnstile_recompute_locked(port, ctx);
		if (vanish)
			wl_vanish(wl);
	}
	return wl;
}

/* The port dies or leaves its space (port.c): a vanish event. */
struct ipc_workloop *
ipc_workloop_detach_port_locked(struct ipc_port *port, struct ipc_ts_ctx *ctx)
{
	ipc_lock_assert_held(&port->ip_object.io_lock);
	return wl_detach_port_locked(port, ctx, true);
}

/* Take wl off a named set.  Conditions: its space locked. */
static struct ipc_workloop *
wl_detach_pset_locked(struct ipc_pset *pset, bool vanish)
{
	struct ipc_workloop *wl = pset->ips_wl;
	uint32_t i;

	ipc_lock_assert_held(&pset->ips_space->is_lock);
	if (wl == NULL)
		return NULL;
	ck_pr_store_ptr(&pset->ips_wl, NULL);
	for (i = 0; i < wl->wl_nsets; i++) {
		if (wl->wl_sets[i] == pset) {
			wl->wl_sets[i] = wl->wl_sets[--wl->wl_nsets];
			/* The set's reference: the caller's entry holds one. */
			ipc_object_release(&pset->ips_object);
			break;
		}
	}
	if (vanish)
		wl_vanish(wl);
	return wl;
}

/* The named set is destroyed (pset.c): a vanish event. */
struct ipc_workloop *
ipc_workloop_detach_pset_locked(struct ipc_pset *pset)
{
	ipc_lock_assert_held(&pset->ips_space->is_lock);
	return wl_detach_pset_locked(pset, true);
}

kern_return_t
mipc_workloop_detach(mipc_workloop_t handle, mach_port_name_t name)
{
	struct ipc_workloop *wl = wl_of(handle), *drop = NULL;
	struct mipc_space *space;
	struct ipc_ts_ctx ctx;
	struct ipc_port *port;
	struct ipc_pset *pset;
	kern_return_t kr;

	if (wl == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_ts_ctx_init(&ctx);
	space = wl->wl_space;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = attach_lookup(space, name, &port, &pset);
	if (kr != KERN_SUCCESS)
		goto out;
	if (pset != NULL) {
		if (pset->ips_wl != wl)
			kr = KERN_NOT_IN_SET;
		else
			drop = wl_detach_pset_locked(pset, false);
		goto out;
	}
	if (!ipc_pset_has_port(wl->wl_pset, port)) {
		kr = KERN_NOT_IN_SET;
		goto out;
	}
	(void)ipc_pset_remove_member_locked(space, port, wl->wl_pset);
	ip_lock(port);
	drop = wl_detach_port_locked(port, &ctx, false);
	ip_unlock(port);
out:
	is_unlock(space);
	ipc_ts_ctx_finish(&ctx);
	if (drop != NULL)
		ipc_workloop_release(drop);
	return kr;
}

void
mipc_workloop_end(mipc_workloop_t handle)
{
	struct ipc_workloop *wl = wl_of(handle);
	struct ipc_thread *th = ipc_thread_cur;
	bool bound;

	if (wl == NULL || th == NULL)
		return;
	ipc_lock(&wl->wl_lock);
	bound = wl->wl_servicer == th;
	ipc_unlock(&wl->wl_lock);
	if (bound) /* only the bound servicer ends its service */
		wl_unbind(wl);
}

kern_return_t
mipc_workloop_destroy(mipc_workloop_t handle)
{
	struct ipc_workloop *wl = wl_of(handle);
	struct ipc_thread *th = ipc_thread_cur;
	struct ipc_workloop *drops[64];
	struct mipc_space *space;
	struct ipc_pset_link *l;
	struct ipc_ts_ctx ctx;
	uint32_t ndrops = 0, i;
	bool mine;

	if (wl == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_ts_ctx_init(&ctx);
	ipc_lock(&wl->wl_lock);
	if (wl->wl_dead) {
		ipc_unlock(&wl->wl_lock);
		return KERN_TERMINATED;
	}
	wl->wl_dead = true;
	/*
	 * Another thread's binding, and its delivery's stash, stay its own
	 * until its next call (which answers MACH_RCV_PORT_CHANGED) or its
	 * end; the floor goes now.
	 */
	mine = wl->wl_servicer == NULL || wl->wl_servicer == th;
	if (!mine) {
		ipc_lock(&wl->wl_ts->ts_lock);
		wl->wl_ts->ts_floor = 0;
		ipc_unlock(&wl->wl_ts->ts_lock);
		ipc_ts_ctx_add_turnstile(&ctx, wl->wl_ts);
	}
	ipc_unlock(&wl->wl_lock);
	ipc_ts_ctx_finish(&ctx);
	/* Its last delivery's rights stop pushing, then its servicer. */
	if (mine)
		wl_unbind(wl);
	/* Detach everything: ports (case 7 ends), named sets. */
	space = wl->wl_space;
	is_lock(space);
	while ((l = wl->wl_pset->ips_members) != NULL && ndrops < 64) {
		struct ipc_port *port = l->pl_port;

		(void)ipc_pset_remove_member_locked(space, port, wl->wl_pset);
		ip_lock(port);
		drops[ndrops] = wl_detach_port_locked(port, &ctx, false);
		ip_unlock(port);
		if (drops[ndrops] != NULL)
			ndrops++;
	}
	while (wl->wl_nsets > 0 && ndrops < 64)
		drops[ndrops++] = wl_detach_pset_locked(wl->wl_sets[0], false);
	/* A servicer parked in its receive wakes: MACH_RCV_PORT_CHANGED. */
	if (ck_pr_load_ptr(&wl->wl_pset->ips_space) != NULL)
		ipc_pset_destroy_locked(space, wl->wl_pset);
	else /* killed with its space: only its reference is left */
		ipc_object_release(&wl->wl_pset->ips_object);
	*wl->wl_space_prevp = wl->wl_space_next;
	if (wl->wl_space_next != NULL)
		wl->wl_space_next->wl_space_prevp = wl->wl_space_prevp;
	is_unlock(space);
	ipc_ts_ctx_finish(&ctx);
	for (i = 0; i < ndrops; i++)
		ipc_workloop_release(drops[i]);
	ipc_lock(&wl->wl_lock);
	wl_retire_stash_locked(wl, &ctx);
	ipc_unlock(&wl->wl_lock);
	ipc_ts_ctx_finish(&ctx);
	ipc_workloop_release(wl); /* the handle's */
	return KERN_SUCCESS;
}

mach_msg_return_t
mipc_workloop_msg(mipc_workloop_t handle, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_size, mach_msg_timeout_t timeout)
{
	struct ipc_workloop *wl = wl_of(handle);
	mach_msg_header_t *rcv_buf = msg;
	struct ipc_thread *th;
	struct ipc_ts_ctx ctx;
	mach_msg_return_t mr;
	bool dead, delivered = false;

	if (wl == NULL)
		return MACH_RCV_INVALID_NAME;
	th = ipc_thread_self();
	if (th == NULL)
		return MACH_RCV_INVALID_NAME;
	/* A thread services one workloop at a time (XNU: uu_kqr_bound). */
	if (th->th_bound_wl != NULL && th->th_bound_wl != wl)
		return KERN_INVALID_ARGUMENT;
	/* Serial: bind the caller, or refuse a second thread. */
	ipc_ts_ctx_init(&ctx);
	ipc_lock(&wl->wl_lock);
	if (wl->wl_servicer != th && (wl->wl_servicer != NULL || wl->wl_dead)) {
		mr = wl->wl_dead ? MACH_RCV_PORT_CHANGED : KERN_ALREADY_WAITING;
		ipc_unlock(&wl->wl_lock);
		return mr;
	}
	if (wl->wl_servicer == NULL)
		wl_bind_locked(wl, th, &ctx);
	dead = wl->wl_dead;
	ipc_unlock(&wl->wl_lock);
	ipc_ts_ctx_finish(&ctx);
	if (option & MACH_SEND_MSG) {
		/*
		 * The reply first, while the request's rights still push.  A
		 * send that released the buffer (L8) leaves the receive none.
		 */
		mr = ipc_msg_send_workloop(wl->wl_space, msg,
		    option &
		        ~(MACH_RCV_MSG | MACH_RCV_LARGE |
		            MACH_RCV_LARGE_IDENTITY | MACH_RCV_TIMEOUT |
		            MACH_RCV_SYNC_WAIT),
		    send_size, (option & MACH_RCV_MSG) ? rcv_size : 0, timeout,
		    &rcv_buf);
		if (mr != MACH_MSG_SUCCESS)
			return mr; /* J12: no receive after a failed send */
	}
	/* Re-enable: the previous delivery's rights stop pushing. */
	wl_reenable(wl);
	/* Destroyed under its servicer: the reply went; nothing more (a
	 * destroy from now on makes the receive find its set gone). */
	if (dead) {
		mr = MACH_RCV_PORT_CHANGED;
	} else if (!(option & MACH_RCV_MSG)) {
		mr = MACH_MSG_SUCCESS;
	} else if (msg == NULL) {
		mr = MACH_RCV_INVALID_DATA;
	} else {
		/* We park still holding the last delivery's OS priority. */
		mr = ipc_msg_receive_workloop(
		    wl, rcv_buf, option, rcv_size, timeout);
		delivered = mr == MACH_MSG_SUCCESS;
	}
	/* What we return to serve, if anything, sets it (wl_os_hold). */
	wl_os_release(th);
	if (delivered)
		wl_os_hold(th);
	return mr;
}
