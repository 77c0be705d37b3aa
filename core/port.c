/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port.c -- port objects: life cycle, right counters, destruction,
 * receive rights in transit; port creation (allocate, allocate_init,
 * construct) and the per-port calls: attributes, make-send count, sequence
 * number, peeking at a queued message, context and guards.
 *
 * Owns:      struct ipc_port, the retirement of objects (ports and sets,
 *            object.h), ipc_transit_lock and the ip_destination chains.
 * States:    see enum ipc_port_state in port.h (IN_SPACE, IN_LIMBO,
 *            IN_TRANSIT, DEAD); every change goes through ip_state_set()
 *            or, from a state a flat path settled, ip_state_move().
 * Locking:   ip_lock (IPC_RANK_PORT) covers the (L) fields; it nests inside
 *            the lock of the space that holds the receive right, never the
 *            reverse.  The receiver fields change only under both.
 *            ipc_transit_lock (IPC_RANK_TRANSIT) serialises IN_LIMBO <->
 *            IN_TRANSIT and the circularity walk; it nests inside space
 *            locks and outside port locks.
 * Ordering:  [R36]/[A36] a no-senders request taken after the zero
 *            send-right count is read (ns_take_locked), partner the send
 *            fast path's request-then-count reads (msg.c); [F36] the
 *            request's hook stored before implicit rights are counted,
 *            partner a receiver's take before its hook load (msg.c).
 *            See "Implicit send rights" below.
 * Lifetime:  each entry naming the port, each right held by a call or a
 *            message, holds one reference -- except the destination right
 *            of a message the send fast path queued, which borrows the
 *            port's existence (IKM_F_BORROWED, mqueue.c); the last release
 *            retires the port through the epoch (lock-free lookups may be
 *            reading it), a bare one in a batch of its thread's
 *            (ipc_object_retire); after its grace period its memory goes
 *            to the freeing thread's kept ports ("Kept ports") or to the
 *            port cache.  A port is dead before its last reference
 *            goes -- or, for a quiet port whose entry holds the only
 *            reference, its count goes to zero first, by a store under
 *            the space lock that erases any reference_try landing since
 *            the destroyer read it (space.h, "References taken lock-free
 *            on a port that may die quietly"), and it dies unlocked just
 *            after (ipc_port_quiet, ipc_port_die_quiet).
 * Choices:   * mach_port_allocate(RECEIVE) makes the port first, then
 *              installs it in one try of the space lock, with no epoch
 *              section (mipc_port_allocate); a busy or unusual space
 *              takes the general path with that port.
 *            * Ports are kept constructed in their cache, as SLAB
 *              constructors keep objects: a port's death and free leave
 *              most fields as a new port has them, and ipc_port_alloc
 *              stores only the others ("Constructed state" below).
 *            * MPO_REPLY_PORT makes an enforced reply port (the hardened
 *              runtime's behaviour, R1), not a provisional one.
 *            * MPO_SERVICE_PORT and MPO_TG_BLOCK_TRACKING are privileged
 *              in XNU and refused here as for an ordinary task
 *              (KERN_DENIED, Q6); so no service port exists, and
 *              MPO_CONNECTION_PORT fails with XNU's code for the service
 *              name it is given (connection_service_check).
 *            * mipc_port_allocate_init offers the kernel's ipc_port_init
 *              flags to users, plus immovable send and no-grant (XNU's
 *              kobject options).  A special reply port is marked as an
 *              enforced reply port, as a platform binary's is (S2): the
 *              same choice as for MPO_REPLY_PORT.
 */
#include "port.h"

#include "cache.h"
#include "guard.h"
#include "introspect.h"
#include "kmsg.h"
#include "lock.h"
#include "mqueue.h"
#include "notify.h"
#include "object.h"
#include "port_request.h"
#include "pset.h"
#include "reply.h"
#include "space.h"
#include "thread.h"
#include "turnstile.h"
#include "watchport.h"
#include "workloop.h"

#include <mipc/mach.h>
#include <mipc/port.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* References (object.h)                                               */

__thread uint64_t ipc_port_flat_ops;

/* Test builds: four lines no other path of a free touches. */
static inline bool
port_unlinked(struct ipc_port *port)
{
	return port->ip_send_ts == NULL &&
	    (port->ip_sync_link == NULL ||
	        ((port->ip_cflags & IP_F_SPECIAL_REPLY) &&
	            ipc_link_load(port) == IPC_LINK_DEAD)) &&
	    port->ip_rcv_ts == NULL && port->ip_srp_owner == NULL;
}

/*
 * Constructed state.  A port in the port cache is constructed, as a SLAB
 * constructor leaves an object: the fields below hold their initial
 * values, so that ipc_port_alloc stores only those a port's life may
 * leave changed.  Fresh memory is constructed by ipc_port_construct
 * (cache.c calls it on each port it takes from the backend).  A port's
 * death and free leave each of these as they found it: its locks are
 * free, its receiver is cleared by its destruction, its context, requests
 * and sets are gone before it dies (ipc_port_destroy, C6; the quiet path
 * refuses a port with any), nothing links it (port_unlinked), and its
 * free gives back and clears the ring and the request table
 * (port_free_one).  Test builds check the state at every free and every
 * allocation: a path that breaks it stops there.
 */
static inline bool
port_constructed(const struct ipc_port *port)
{
	const struct ipc_mqueue *mq = &port->ip_mq;

	return port->ip_object.io_lock.il_owner == 0 &&
	    port->ip_object.io_lock.il_rank == IPC_RANK_PORT &&
	    port->ip_object.io_kind == IOT_PORT && port->ip_receiver == NULL &&
	    port->ip_receiver_name == MACH_PORT_NULL && port->ip_context == 0 &&
	    port->ip_nsrequest == NULL && port->ip_pdrequest == NULL &&
	    port->ip_requests == NULL && port->ip_psets == NULL &&
	    port->ip_send_ts == NULL && port->ip_rcv_ts == NULL &&
	    port->ip_srp_owner == NULL && mq->imq_ring == NULL &&
	    mq->imq_ovf_n == 0 && mq->imq_ovf_lock.il_owner == 0 &&
	    mq->imq_ovf_lock.il_rank == IPC_RANK_LEAF &&
	    mq->imq_ovf_head == NULL && mq->imq_ovf_tail == NULL;
}

/*
 * ipc_port_construct
 *	Fresh port memory into its constructed state (above).
 * Conditions: the object is the caller's (cache.c, cache_grow).
 */
void
ipc_port_construct(void *obj)
{
	struct ipc_port *port = obj;

	memset(port, 0, sizeof(*port));
	ipc_lock_init(&port->ip_object.io_lock, IPC_RANK_PORT, "port");
	port->ip_object.io_kind = IOT_PORT;
	ipc_mqueue_init(&port->ip_mq);
}

/*
 * Kept ports.  A thread keeps up to IPC_PORT_KEEP freed ports for its next
 * allocations (th_kept, its own list: a push and a pop with no atomic,
 * where the port cache's per-CPU stacks cost an rseq sequence each way,
 * or without rseq a lock).  A port is kept by the thread that frees it,
 * after its grace period -- most often the one that retired it, whose
 * epoch poll runs the batch (port_free_batch) -- so a thread that makes
 * and destroys ports reuses its own.  Kept ports are constructed, and
 * poisoned under ASan as cached ones are (but for their link); they
 * count as neither live nor cached (mipc_get_stats subtracts them,
 * thread.c).  A thread gives its kept ports back to the cache when it
 * exits (ipc_port_kept_drain); a forked child abandons them with the
 * rest of the parent's objects (thread.c).
 * Failure injection sees every allocation, kept or not.
 */
#define IPC_PORT_KEEP 32

/*
 * ASan: a kept port is poisoned but for its link, which LeakSanitizer
 * must see to find the ports after the list's first.
 */
static inline void
port_kept_poison(struct ipc_port *port, bool poison)
{
	size_t at = offsetof(struct ipc_port, ip_retired_next),
	       after = at + sizeof(port->ip_retired_next);
	char *p = (char *)port;

	if (poison) {
		ipc_asan_poison(p, at);
		ipc_asan_poison(p + after, IPC_PORT_SIZE - after);
	} else {
		ipc_asan_unpoison(p, IPC_PORT_SIZE);
	}
}

/* A freed port to the calling thread's kept ports, or to the cache. */
static inline void
port_give_back(struct ipc_port *port)
{
	struct ipc_thread *th = ipc_thread_cur;
	uint32_t n;

	if (unlikely(th == NULL) || (n = th->th_nkept) >= IPC_PORT_KEEP) {
		ipc_cache_free(IPC_KIND_PORT, port);
		return;
	}
	port->ip_retired_next = th->th_kept;
	port_kept_poison(port, true);
	th->th_kept = port;
	ck_pr_store_32(&th->th_nkept, n + 1); /* (A): mipc_get_stats */
}

/*
 * ipc_port_kept_drain
 *	th's kept ports back to the port cache.
 * Conditions: th is the calling thread's, exiting (thread.c).
 */
void
ipc_port_kept_drain(struct ipc_thread *th)
{
	struct ipc_port *port;

	while ((port = th->th_kept) != NULL) {
		port_kept_poison(port, false);
		th->th_kept = port->ip_retired_next;
		ck_pr_store_32(&th->th_nkept, th->th_nkept - 1);
		ipc_cache_free(IPC_KIND_PORT, port);
	}
}

/* One port's memory back to its cache (a grace period after its death). */
static void
port_free_one(struct ipc_port *port)
{
	ipc_assert_slow(port_unlinked(port),
	    "a freed port pushes and is pushed by nothing");
	ipc_mqueue_fini(port);       /* clears imq_ring */
	ipc_port_request_fini(port); /* clears ip_requests */
	ipc_assert_slow(
	    port_constructed(port), "a freed port is in its constructed state");
	ipc_leak_forget(port);
	port_give_back(port);
}

static void
port_free(struct ipc_deferred *d)
{
	port_free_one(ipc_container_of(d, struct ipc_port, ip_free));
}

/*
 * A batch of bare ports (ipc_port_retired_flush), the head's entry.  When
 * the calling thread can keep them all, the batch joins its kept ports
 * whole: one walk to its tail, no per-port work (but the checks, the
 * leak report and the poisoning of test, leak-reporting and ASan builds).
 */
static void
port_free_batch(struct ipc_deferred *d)
{
	struct ipc_port *port = ipc_container_of(d, struct ipc_port, ip_free);
	struct ipc_thread *th = ipc_thread_cur;
	struct ipc_port *next, *tail = port;
	uint32_t n = 1, k;

	while (tail->ip_retired_next != NULL) {
		tail = tail->ip_retired_next;
		n++;
	}
	if (likely(th != NULL) && (k = th->th_nkept) + n <= IPC_PORT_KEEP) {
		if (ipc_test_hooks || MIPC_ASAN || unlikely(ipc_debug_leaks)) {
			for (next = port; next != NULL;
			     next = next->ip_retired_next) {
				ipc_assert_slow(port_unlinked(next) &&
				        port_constructed(next),
				    "a freed port is unlinked and in its "
				    "constructed state");
				ipc_leak_forget(next);
				port_kept_poison(next, true); /* but the link */
			}
		}
		tail->ip_retired_next = th->th_kept;
		th->th_kept = port;
		ck_pr_store_32(&th->th_nkept, k + n); /* (A): mipc_get_stats */
		return;
	}
	for (; port != NULL; port = next) {
		next = port->ip_retired_next;
		/* Bare (port_bare): nothing but its memory to give back. */
		ipc_assert_slow(port_unlinked(port) && port_constructed(port),
		    "a freed port is unlinked and in its constructed state");
		ipc_leak_forget(port);
		port_give_back(port);
	}
}

static void
pset_free(struct ipc_deferred *d)
{
	struct ipc_pset *pset = ipc_container_of(d, struct ipc_pset, ips_free);

	ipc_leak_forget(pset);
	ipc_cache_free(IPC_KIND_PSET, pset);
}

/*
 * Bare ports retire in batches: IPC_PORT_RETIRE_BATCH of them through one
 * deferral, whose two locked instructions (ck_epoch_call_strict's push
 * and count) would otherwise be a third of a quiet port's allocate +
 * destroy.  A port is bare when its free only gives its memory back: it
 * never had a queue (a ring) or a request table, so that what waits in a
 * batch holds no memory another kind counts.  The batch is the retiring
 * thread's own list (no atomics); it goes through the epoch when full,
 * when the thread exits and when it calls mipc_quiesce.  Until then its
 * ports count neither as live ports nor as pending frees (mipc_get_stats
 * subtracts them, thread.c): they are dead and unreferenced, and at most
 * IPC_PORT_RETIRE_BATCH - 1 per thread wait so (port.h,
 * ipc_port_retire_bare, the push).
 */

/*
 * ipc_port_retired_flush
 *	Retire th's batch of bare ports (if any) through the epoch.
 * Conditions: th is the calling thread's; any lock state.
 */
void
ipc_port_retired_flush(struct ipc_thread *th)
{
	struct ipc_port *head = th->th_retired;
	uint32_t n = th->th_nretired;

	if (head == NULL)
		return;
	th->th_retired = NULL;
	ck_pr_store_32(&th->th_nretired, 0); /* (A): mipc_get_stats reads */
	ipc_epoch_defer_n(th, &head->ip_free, port_free_batch, n);
}

static inline bool
port_bare(const struct ipc_port *port)
{
	return port->ip_mq.imq_ring == NULL && port->ip_requests == NULL;
}

/*
 * ipc_port_retire_orphan
 *	ipc_port_retire_bare's case of a thread with no state (exiting):
 *	through the epoch alone.
 */
void
ipc_port_retire_orphan(struct ipc_port *port)
{
	ipc_epoch_defer(NULL, &port->ip_free, port_free);
}

/*
 * ipc_object_retire
 *	The last reference went (ipc_object_release): free the object once
 *	lock-free readers that may still see it are gone.
 * Conditions:
 *	Any lock but the object's own.  Never blocks or allocates.
 */
void
ipc_object_retire(struct ipc_object *o)
{
	struct ipc_thread *th = ipc_thread_self();

	if (o->io_kind == IOT_PORT) {
		struct ipc_port *port = ip_from_object(o);

		ipc_require(port->ip_state == IP_DEAD,
		    "a port's last reference goes after its death");
		if (likely(th != NULL) && port_bare(port)) {
			ipc_port_retire_bare(th, port);
		} else {
			ipc_epoch_defer(th, &port->ip_free, port_free);
		}
	} else {
		ipc_epoch_defer(th, &ips_from_object(o)->ips_free, pset_free);
	}
	ipc_debug_yield(IPC_YIELD_RETIRE);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */

/*
 * ipc_port_alloc
 *	A new port in state IN_LIMBO with one reference and no rights
 *	counted; the caller installs its receive right.
 * Conditions:
 *	Nothing needed.  Allocates; NULL when out of memory.
 */
/*
 * port_init_inline
 *	A constructed port's creation: only what a life may leave changed is
 *	stored, field by field (a memset of the whole struct compiles to
 *	rep stos, which costs more than the rest of port creation).
 */
static inline __attribute__((always_inline)) void
port_init_inline(struct ipc_port *port)
{
	ipc_assert_slow(port_constructed(port),
	    "a cached port is in its constructed state");
	port->ip_object.io_refs = 1;
	port->ip_state = IP_IN_LIMBO; /* born in its creator's hands */
	port->ip_srights = 0;
	port->ip_sync_link = NULL; /* a special reply port's dies LINK_DEAD */
	port->ip_cflags = 0;
	port->ip_flags = 0;
	port->ip_mq.imq_seq_base = 0;
	ipc_waitq_init(&port->ip_mq.imq_rcv_wq);
	ipc_waitq_init(&port->ip_mq.imq_snd_wq);
	port->ip_mscount = 0;
	port->ip_sorights = 0;
	port->ip_qlimit = MACH_PORT_QLIMIT_DEFAULT;
	port->ip_destination = NULL; /* was ip_retired_next */
	port->ip_rcv_hooks = 0;
	port->ip_sync_flags = 0;
	port->ip_srp_bind = 0;
}

/* A port off th's kept list (th_kept not NULL). */
static inline __attribute__((always_inline)) struct ipc_port *
port_kept_take(struct ipc_thread *th)
{
	struct ipc_port *port = th->th_kept;

	/* One of ours (above): off our list. */
	port_kept_poison(port, false);
	th->th_kept = port->ip_retired_next;
	ck_pr_store_32(&th->th_nkept, th->th_nkept - 1); /* (A) */
	return port;
}

static inline __attribute__((always_inline)) struct ipc_port *
port_alloc_inline(void)
{
	struct ipc_thread *th = ipc_thread_cur;
	struct ipc_port *port;

	if (unlikely(ipc_fail_check(IPC_KIND_PORT)))
		return NULL;
	if (likely(th != NULL) && likely(th->th_kept != NULL)) {
		port = port_kept_take(th);
	} else {
		port = ipc_cache_take(IPC_KIND_PORT);
		if (port == NULL)
			return NULL;
	}
	port_init_inline(port);
	ipc_leak_note(IPC_KIND_PORT, port);
	return port;
}

struct ipc_port *
ipc_port_alloc(void)
{
	return port_alloc_inline();
}

/*
 * ipc_port_clear_receiver_locked
 *	The receive right leaves its holder (moved, or about to die): reset
 *	what does not travel with it (L2, P6; the seed's
 *	ipc_port_clear_receiver, which also clears the immovable bit).
 * Conditions:
 *	Port locked and alive; the caller already unlinked it from its
 *	sets under the holder's space lock.  Returns the reference of the
 *	workloop it was attached to, for the caller to release, and the
 *	walk of its new inheritor in ctx.
 */
struct ipc_workloop *
ipc_port_clear_receiver_locked(struct ipc_port *port, struct ipc_ts_ctx *ctx)
{
	struct ipc_workloop *wl;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	ipc_require(port->ip_state != IP_DEAD, "clearing a live receiver");
	ipc_require(port->ip_psets == NULL, "port left its sets first");
	ip_set_receiver(port, NULL, MACH_PORT_NULL);
	port->ip_mscount = 0;
	ipc_mqueue_set_seqno(port, 0);
	port->ip_context = 0;
	port->ip_flags &= ~(IP_F_GUARDED | IP_F_STRICT);
	ip_state_set(port, IP_IN_LIMBO);
	/* A workloop receiving from it in the old space lets go (case 7). */
	wl = ipc_workloop_detach_port_locked(port, ctx);
	/* K6: receivers waiting under the old binding give up. */
	ipc_mqueue_wake_receivers(port);
	return wl;
}

/*
 * ipc_port_destroy
 *	Destroy a receive right: the port dies (C6).
 * Conditions:
 *	Nothing of the port locked; the space that held the right may be.
 *	The caller owns the receive right: the port is IN_LIMBO, or IN_SPACE
 *	with its entry already removed under the locked space; it left its
 *	sets.  The caller gives up the reference it held.
 */
/*
 * A dying port with sync state: no push survives its reason, a dead port
 * pushes nowhere.  Out of line: most ports never had any.
 * Conditions: port locked and dead; returns with it unlocked.
 */
static IPC_COLD void
port_destroy_sync(struct ipc_port *port)
{
	struct ipc_ts_ctx ctx;
	struct ipc_link_old lo = { 0 };
	struct ipc_workloop *wl;
	struct ipc_port *watched;

	ipc_ts_ctx_init(&ctx);
	watched = ipc_watchport_clear_locked(port);
	wl = ipc_workloop_detach_port_locked(port, &ctx);
	ipc_port_sync_reset_locked(port, &lo);
	if (port->ip_cflags & IP_F_SPECIAL_REPLY)
		ipc_special_reply_port_dead_locked(port, &ctx, &lo);
	ipc_port_send_turnstile_recompute_locked(port, &ctx);
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
	if (watched != NULL)
		ip_release(watched);
	if (wl != NULL)
		ipc_workloop_release(wl);
}

void
ipc_port_destroy(struct ipc_port *port)
{
	struct ipc_notify_req *pd, *ns;
	bool requests;

	ip_lock(port);
	ipc_require(
	    port->ip_state == IP_IN_LIMBO || port->ip_state == IP_IN_SPACE,
	    "destroying a receive right held by the caller");
	ipc_require(port->ip_psets == NULL, "a dying port is in no set");
	ip_set_receiver(port, NULL, MACH_PORT_NULL);
	port->ip_mscount = 0;
	port->ip_context = 0;
	port->ip_flags &= ~(IP_F_GUARDED | IP_F_STRICT);
	pd = port->ip_pdrequest;
	if (pd != NULL) {
		/* Its sequence restarts with its next holder (a dead port
		 * has none: no call reads it). */
		ipc_mqueue_set_seqno(port, 0);
		/*
		 * P6: instead of dying, the port goes to its backup, with
		 * its queue, qlimit, no-senders request and every right held
		 * elsewhere; the immovable bit goes (the seed's
		 * ipc_port_clear_receiver).
		 */
		port->ip_pdrequest = NULL;
		port->ip_flags &=
		    ~(IP_F_IMMOVABLE_RECEIVE | IP_F_GUARD_IMMOVABLE);
		if (port->ip_state != IP_IN_LIMBO)
			ip_state_set(port, IP_IN_LIMBO);
		ip_unlock(port);
		ipc_mqueue_wake_receivers(port); /* K6: PORT_CHANGED */
		if (ipc_thread_cur == NULL || !ipc_epoch_inside(ipc_thread_cur))
			ipc_epoch_wait_readers(); /* see msg.c, Ordering */
		ipc_notify_port_destroyed(pd, port);
		return;
	}
	ns = port->ip_nsrequest;
	if (ns != NULL) {
		ck_pr_store_ptr(&port->ip_nsrequest, NULL);
		/* The hook goes with its request (set together, notify.c):
		 * a port that never had one pays no locked op here. */
		ck_pr_and_32(&port->ip_rcv_hooks, ~IP_RCV_HOOK_NS);
	}
	/* Exact: once dead, the port takes no request (notify.c). */
	requests = port->ip_requests != NULL;
	ip_state_set_dead(port); /* [F1] for ipc_mqueue_wake_all */
	if (unlikely(port_has_sync_state(port)))
		port_destroy_sync(port);
	else
		ip_unlock(port);
	ipc_debug_yield(IPC_YIELD_DESTROY);
	/* C6(c)(d): waiters wake; (b) queued messages are destroyed. */
	ipc_mqueue_wake_all(port);
	/*
	 * [F1] (the swap, fenced in wake_all) orders our IP_DEAD before this
	 * load: a port with
	 * no ring yet has no message, and a sender that makes the ring
	 * later sees IP_DEAD after it publishes and drains itself.
	 */
	if (ck_pr_load_ptr(&port->ip_mq.imq_ring) != NULL)
		ipc_mqueue_drain(port);
	if (requests)
		ipc_port_dnnotify(port); /* C6(e) */
	if (ns != NULL) {
		/* C6(g): the armed no-senders right dies unused. */
		ipc_notify_req_send_once(ns);
		ipc_free(IPC_KIND_TABLE, ns, sizeof(*ns));
	}
	ip_release(port);
}

/*
 * The port has none of the state receive_destroy_flat (right.c) reads as
 * hints of a port that is not quiet: requests, a queue, send rights, a
 * workloop or a watcher.  Only its tests look at which path a port took
 * (ipc_port_flat_ops, port.h).
 */
static bool
port_quiet_hint(const struct ipc_port *port)
{
	return ((uintptr_t)ck_pr_load_ptr(&port->ip_nsrequest) |
	           (uintptr_t)ck_pr_load_ptr(&port->ip_requests) |
	           (uintptr_t)ck_pr_load_ptr(&port->ip_mq.imq_ring) |
	           ck_pr_load_32(&port->ip_srights) |
	           (uintptr_t)ck_pr_load_ptr(&port->ip_workloop) |
	           (uintptr_t)ck_pr_load_ptr(&port->ip_watchport)) == 0;
}

/*
 * ipc_port_reference_settle
 *	ipc_port_reference_try_found's case of a reference it cannot yet
 *	tell from an erased one (space.h, "References taken lock-free on a
 *	port that may die quietly"): wait until no erasing hold of the
 *	receiver's lock is on (such a hold waits for nothing; other holds
 *	are not waited for: one may be waiting for our section to end),
 *	then read the count.  An erasing hold of the calling thread's own
 *	(mipc re-entered from a signal handler) is reported as any lock
 *	re-entered (lock.h), not waited for.  Returns whether
 *	the caller's reference counts (else it was erased: the caller holds
 *	nothing, the port's receive right is gone).
 * Conditions: inside the epoch section the port was found in; the
 *	caller's reference_try succeeded; nothing locked that a space-lock
 *	holder may wait for.
 */
bool
ipc_port_reference_settle(struct ipc_port *port)
{
	struct mipc_space *sp;

	for (;;) {
		uint32_t o;

		sp = ck_pr_load_ptr(&port->ip_receiver);
		if (sp == NULL)
			break; /* no receiver: no erasing hold is on */
		o = ck_pr_load_32(&sp->is_lock.il_owner);
		if (!(o & IPC_LOCK_ERASING)) {
			/* [A143]: no erasing hold, then the holder */
			ck_pr_fence_load();
			if (ck_pr_load_ptr(&port->ip_receiver) == sp)
				break; /* an erasing hold around ours is over */
			continue;
		}
		/* Our own hold (a signal handler's call): it never ends. */
		if (unlikely((o & ~IPC_LOCK_ERASING) == ipc_lock_self))
			ipc_lock_reentered(&sp->is_lock);
		ipc_debug_yield(IPC_YIELD_SPIN);
		ck_pr_stall();
	}
	/* [A143]: after the hold's unlock, the count it left. */
	ck_pr_fence_load();
	return ck_pr_load_32(&port->ip_object.io_refs) != 0;
}

/*
 * ipc_port_destroy_busy
 *	The flat destruction's case (right.c) of a port whose entry held its
 *	only reference but that ipc_port_quiet found not quiet: the general
 *	death, with the entry's reference.  Returns port_quiet_hint() as it
 *	was before the death.
 * Conditions: nothing locked; the caller holds the entry's reference,
 *	its entry gone.
 */
bool
ipc_port_destroy_busy(struct ipc_port *port)
{
	bool hint = port_quiet_hint(port);

	ipc_port_destroy(port);
	return hint;
}

/*
 * Implicit send rights.  A message the send fast path queues to a port
 * with no no-senders request armed carries its send right implicitly
 * (IKM_F_IMPLICIT): ip_srights does not count it, its ring slot does
 * (ipc_mqueue_count_implicit), so that a stream's messages touch no
 * counter of the port's.  The port's send rights are ip_srights plus
 * those.  No-senders (P11) must fire only when both are zero -- after the
 * last message carrying a send right is dequeued or destroyed:
 *   * Once a request is armed, no new implicit message is made: the
 *     sender reads ip_nsrequest before ip_srights ([A36] in msg.c), and
 *     the arming thread (notify.c) waits one grace period after storing
 *     the request -- senders that saw none have published by then --
 *     before it decides (ipc_port_ns_armed); meanwhile IP_F_NS_ARMING
 *     makes everyone else leave the decision to it.
 *   * From its arming on, IP_RCV_HOOK_NS tells a receiver that takes an
 *     implicit message to look (ipc_port_ns_check): [F36] the take (an
 *     atomic) before the hook load, and here the count under the port
 *     lock after the hook store, so either the count misses the taken
 *     message or its receiver looks after us.
 *   * Explicit rights reaching zero (ipc_port_srights_zero) count the
 *     implicit ones under the port lock.
 * The request is taken under the port lock, so it fires once.
 */

/*
 * Take the armed no-senders request if the port has no senders left.
 * Conditions: port locked.
 */
static struct ipc_notify_req *
ns_take_locked(struct ipc_port *port, uint32_t *mscount)
{
	struct ipc_notify_req *req = port->ip_nsrequest;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	/* Recheck: a MAKE_SEND may have raised it again meanwhile. */
	if (req == NULL || port->ip_state == IP_DEAD || ip_srights(port) != 0)
		return NULL;
	if (port->ip_flags & IP_F_NS_ARMING) {
		port->ip_flags |= IP_F_NS_ZERO; /* its arming thread decides */
		return NULL;
	}
	if (ipc_mqueue_count_implicit(port) != 0)
		return NULL;
	/*
	 * [R36]: the zero count read before the request goes: a sender that
	 * reads no request then reads the count ([A36], msg.c) sees zero
	 * (or a later MAKE_SEND's) and sends no implicit right after P11.
	 */
	arch_fence_full(); /* [R36] */
	ck_pr_store_ptr(&port->ip_nsrequest, NULL);
	ck_pr_and_32(&port->ip_rcv_hooks, ~IP_RCV_HOOK_NS);
	*mscount = port->ip_mscount;
	return req;
}

/*
 * ipc_port_srights_zero
 *	The send-right count just reached zero.  Takes the port lock: here
 *	the no-senders request, when armed, fires -- unless messages with
 *	implicit send rights are still queued (see above).
 * Conditions: no port locked.
 */
void
ipc_port_srights_zero(struct ipc_port *port)
{
	struct ipc_notify_req *req;
	uint32_t mscount = 0;

	ip_lock(port);
	req = ns_take_locked(port, &mscount);
	ip_unlock(port);
	if (req != NULL)
		ipc_notify_no_senders(req, mscount); /* P11 */
}

/*
 * ipc_port_ns_check
 *	A receiver took a message whose send right was the port's last
 *	explicit one, or an implicit one with a request armed: the request
 *	fires if no sender is left.  Conditions: no port locked.
 */
void
ipc_port_ns_check(struct ipc_port *port)
{
	ipc_port_srights_zero(port);
}

/*
 * ipc_port_ns_armed
 *	The request the caller armed (IP_F_NS_ARMING set) now applies to
 *	every send right: one grace period has passed since.  It fires now
 *	if the port has no senders and either `now` (P10: the request's
 *	sync is at most the make-send count) or the send rights reached
 *	zero meanwhile.  Conditions: no port locked; outside any section.
 */
void
ipc_port_ns_armed(struct ipc_port *port, bool now)
{
	struct ipc_notify_req *req = NULL;
	uint32_t mscount = 0;

	ip_lock(port);
	if (port->ip_flags & IP_F_NS_ZERO)
		now = true;
	port->ip_flags &= ~(IP_F_NS_ARMING | IP_F_NS_ZERO);
	if (now)
		req = ns_take_locked(port, &mscount);
	ip_unlock(port);
	if (req != NULL)
		ipc_notify_no_senders(req, mscount); /* P10, P11 */
}

/*
 * ipc_port_srights_total
 *	The port's send rights: counted ones and the implicit ones its queue
 *	holds (XNU's ip_srights counts both).  Conditions: port locked.
 */
uint32_t
ipc_port_srights_total(struct ipc_port *port)
{
	return ip_srights(port) + ipc_mqueue_count_implicit(port);
}

/*
 * ipc_port_release_send
 *	Drop one send right and its reference.
 * Conditions:
 *	Nothing of the port locked.
 */
void
ipc_port_release_send(struct ipc_port *port)
{
	if (ip_srights_dec(port) == 0)
		ipc_port_srights_zero(port);
	ip_release(port);
}

/*
 * ipc_port_release_sonce
 *	Destroy an unused send-once right and drop its reference.
 * Conditions:
 *	Nothing of the port locked.
 */
void
ipc_port_release_sonce(struct ipc_port *port)
{
	ip_sorights_dec(port);
	ip_release(port);
}

/*
 * ipc_port_destroy_sonce
 *	A send-once right destroyed unused: MACH_NOTIFY_SEND_ONCE to its port
 *	if that lives (P25), else it just goes.  Consumes the right.
 */
void
ipc_port_destroy_sonce(struct ipc_port *port)
{
	if (ip_active(port))
		ipc_notify_send_once(port);
	else
		ipc_port_release_sonce(port);
}

/* A receive right held by a call is discarded: the port dies. */
void
ipc_port_release_receive(struct ipc_port *port)
{
	ipc_port_destroy(port);
}

/* Conditions: port locked. */
void
ipc_port_status_locked(struct ipc_port *port, mach_port_status_t *st)
{
	uint32_t f = port->ip_flags;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	memset(st, 0, sizeof(*st));
	st->mps_pset = ipc_pset_port_in_named_set(port);
	st->mps_seqno = ipc_mqueue_seqno(port);
	st->mps_mscount = port->ip_mscount;
	st->mps_qlimit = port->ip_qlimit;
	st->mps_msgcount = ipc_mqueue_count(port);
	st->mps_sorights = ck_pr_load_32(&port->ip_sorights);
	st->mps_srights = ipc_port_srights_total(port) > 0;
	st->mps_pdrequest = port->ip_pdrequest != NULL;
	st->mps_nsrequest = port->ip_nsrequest != NULL;
	if (f & IP_F_TEMPOWNER)
		st->mps_flags |= MACH_PORT_STATUS_FLAG_TEMPOWNER;
	if (f & IP_F_GUARDED)
		st->mps_flags |= MACH_PORT_STATUS_FLAG_GUARDED;
	if (f & IP_F_STRICT)
		st->mps_flags |= MACH_PORT_STATUS_FLAG_STRICT_GUARD;
	if (f & IP_F_IMP_DONATION)
		st->mps_flags |= MACH_PORT_STATUS_FLAG_IMP_DONATION;
	/* Q10: the immovable bit shows only while guarded. */
	if ((f & IP_F_GUARDED) && (f & IP_F_IMMOVABLE_RECEIVE))
		st->mps_flags |= MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE;
	if (port->ip_cflags & IP_F_NO_GRANT)
		st->mps_flags |= MACH_PORT_STATUS_FLAG_NO_GRANT;
}

/* ------------------------------------------------------------------ */
/* Receive rights in transit (N)                                       */

/*
 * ipc_transit_lock serialises the IN_LIMBO <-> IN_TRANSIT transitions and
 * the circularity walk along ip_destination chains (XNU's
 * ipc_port_multiple_lock).  Rank IPC_RANK_TRANSIT: above any space lock,
 * below every port lock.
 */
static ipc_lock_t ipc_transit_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_TRANSIT, "in-transit ports");

/* fork(): the parent's ports are abandoned; the lock may have been held. */
void
ipc_port_atfork_child(void)
{
	ipc_lock_init(&ipc_transit_lock, IPC_RANK_TRANSIT, "in-transit ports");
}

/*
 * ipc_port_check_circularity
 *	Would putting port's receive right in a message queued on dest make
 *	a cycle (dest is port, or dest's chain of in-transit destinations
 *	reaches port)?  If not, port goes IN_TRANSIT towards dest.
 * Conditions:
 *	Nothing locked.  port is IN_LIMBO, held by the caller's message.
 * Returns:
 *	true when circular (nothing changed: the caller destroys the message).
 */
bool
ipc_port_check_circularity(struct ipc_port *port, struct ipc_port *dest)
{
	struct ipc_link_old lo = { 0 };
	struct ipc_ts_ctx ctx;
	struct ipc_port *p, *watched;
	bool push;

	ipc_ts_ctx_init(&ctx);
	/*
	 * Send case 2: a port in transit pushes on its destination's send
	 * turnstile, held for it from now until it leaves the message (XNU
	 * prepares it here too); outside our locks: it may allocate.
	 */
	push = ipc_port_send_turnstile_prepare(dest);
	ipc_lock(&ipc_transit_lock);
	for (p = dest; p != NULL; p = p->ip_destination) {
		if (p == port) {
			ipc_unlock(&ipc_transit_lock);
			if (push)
				ipc_port_send_turnstile_complete(dest);
			return true;
		}
		if (ck_pr_load_32(&p->ip_state) != IP_IN_TRANSIT)
			break;
	}
	ip_reference(dest);
	ip_lock(port);
	ipc_require(port->ip_state == IP_IN_LIMBO, "a moved receive right");
	port->ip_destination = dest;
	ip_state_set(port, IP_IN_TRANSIT);
	if (push)
		port->ip_flags |= IP_F_TRANSIT_PUSH;
	/* A watched port's receive right went in a message (T6). */
	watched = ipc_watchport_clear_locked(port);
	/* Its sync link goes (ANY); a check-in's reply marks it (case 6). */
	ipc_port_sync_reset_locked(port, &lo);
	if ((dest->ip_cflags & IP_F_SPECIAL_REPLY) &&
	    (ck_pr_load_32(&dest->ip_sync_flags) & IP_SYNC_BOOTSTRAP))
		port->ip_flags |= IP_F_CHECKIN_RIGHT;
	ipc_port_send_turnstile_recompute_locked(port, &ctx);
	ip_unlock(port);
	ipc_unlock(&ipc_transit_lock);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
	if (watched != NULL)
		ip_release(watched);
	return false;
}

/*
 * A receive right leaves transit (port locked, the transit lock held):
 * back to IN_LIMBO.  Returns its old destination, whose reference (and
 * send-turnstile use, *push) the caller drops once unlocked; NULL if it
 * was not in transit.  The caller recomputes the port's inheritor.
 */
static struct ipc_port *
transit_leave_locked(struct ipc_port *port, bool *push)
{
	struct ipc_port *dest;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	*push = false;
	if (port->ip_state != IP_IN_TRANSIT)
		return NULL;
	dest = port->ip_destination;
	ipc_require(dest != NULL, "a port in transit has a destination");
	port->ip_destination = NULL;
	*push = (port->ip_flags & IP_F_TRANSIT_PUSH) != 0;
	port->ip_flags &= ~IP_F_TRANSIT_PUSH;
	ip_state_set(port, IP_IN_LIMBO);
	return dest;
}

/* What transit_leave_locked returned, dropped.  Nothing locked. */
static void
transit_left(struct ipc_port *dest, bool push)
{
	if (dest == NULL)
		return; /* it was not in transit (push is false) */
	if (push)
		ipc_port_send_turnstile_complete(dest);
	ip_release(dest);
}

/*
 * ipc_port_release_transit
 *	A receive right leaves its message (destroyed): back to IN_LIMBO,
 *	dropping the reference on its old destination.
 * Conditions: nothing locked.
 */
void
ipc_port_release_transit(struct ipc_port *port)
{
	struct ipc_ts_ctx ctx;
	struct ipc_port *dest;
	bool push;

	ipc_ts_ctx_init(&ctx);
	ipc_lock(&ipc_transit_lock);
	ip_lock(port);
	dest = transit_leave_locked(port, &push);
	/* Stop pushing on dest before its turnstile may go. */
	if (dest != NULL)
		ipc_port_send_turnstile_recompute_locked(port, &ctx);
	ip_unlock(port);
	ipc_unlock(&ipc_transit_lock);
	ipc_ts_ctx_finish(&ctx);
	transit_left(dest, push);
}

/* ------------------------------------------------------------------ */
/* Send turnstiles (the seed's ipc_port_send_update_inheritor)         */

/*
 * Whom the send turnstile of a port pushes on: the first of the seed's
 * seven cases that applies.
 *
 *   1  a special reply port of a sync bootstrap check-in: its bound
 *      thread                                  (workloops and check-in)
 *   2  in transit: the destination's send turnstile
 *   3  watched: the watching thread (watchport.c)
 *   4  sync link KNOTE: the workloop's turnstile   (workloops)
 *   5  sync link STASH: the stash turnstile        (workloops)
 *   6  sync link RCV_THREAD: that thread           (check-in)
 *   7  attached to a workloop: its turnstile       (workloops)
 *
 * An inactive port pushes nowhere; a plain thread receiving is never an
 * inheritor (T1).
 */
static void
send_inheritor_locked(struct ipc_port *port, uint8_t *kind, void **obj)
{
	struct ipc_thread *th;
	uintptr_t link;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	*kind = IPC_TSI_NONE;
	*obj = NULL;
	if (!ip_active(port))
		return;
	if (port->ip_cflags & IP_F_SPECIAL_REPLY) {
		/* Case 1: a sync bootstrap check-in's SRP: its thread. */
		if ((ck_pr_load_32(&port->ip_sync_flags) & IP_SYNC_BOOTSTRAP) &&
		    port->ip_srp_owner != NULL) {
			*kind = IPC_TSI_THREAD;
			*obj = port->ip_srp_owner;
			return;
		}
	}
	if (port->ip_state == IP_IN_TRANSIT) { /* case 2 */
		if (port->ip_flags & IP_F_TRANSIT_PUSH) {
			*kind = IPC_TSI_TURNSTILE;
			*obj = port->ip_destination->ip_send_ts;
		}
		return;
	}
	th = ipc_watchport_thread_locked(port); /* case 3 */
	if (th != NULL) {
		*kind = IPC_TSI_THREAD;
		*obj = th;
		return;
	}
	if (port->ip_cflags & IP_F_SPECIAL_REPLY)
		return;
	link = (uintptr_t)port->ip_sync_link;
	switch (ipc_link_state(link)) {
	case IPC_LINK_KNOTE: /* case 4 */
	case IPC_LINK_STASH: /* case 5 */
		*kind = IPC_TSI_TURNSTILE;
		*obj = ipc_workloop_link_turnstile(link);
		return;
	case IPC_LINK_RCV_THREAD: /* case 6 */
		*kind = IPC_TSI_THREAD;
		*obj = ipc_link_ptr(link);
		return;
	default:
		break;
	}
	if (port->ip_workloop != NULL) { /* case 7 */
		*kind = IPC_TSI_TURNSTILE;
		*obj = port->ip_workloop->wl_ts;
	}
}

/* ------------------------------------------------------------------ */
/* A port's sync link (send cases 4-6; an SRP's is reply.c's)          */

/*
 * ipc_port_sync_reset_locked
 *	The port's link goes back to ANY (XNU's ipc_port_adjust_port_locked
 *	for attach, watchport, transit): what it held goes in lo.
 * Conditions: port locked; the caller recomputes the inheritor.
 */
void
ipc_port_sync_reset_locked(struct ipc_port *port, struct ipc_link_old *lo)
{
	uintptr_t v = (uintptr_t)port->ip_sync_link;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (v == IPC_LINK_ANY || (port->ip_cflags & IP_F_SPECIAL_REPLY))
		return;
	ipc_link_old_collect(v, lo);
	ck_pr_store_ptr(&port->ip_sync_link, NULL); /* Relaxed: (L) */
}

/*
 * ipc_port_sync_unstash
 *	Re-enable: a right stashed by wl's previous delivery stops pushing
 *	on it.  A port's link goes back to ANY, an SRP's to NO_LINKAGE.
 * Conditions: nothing locked; port referenced.
 */
void
ipc_port_sync_unstash(struct ipc_port *port, struct ipc_workloop *wl)
{
	struct ipc_link_old lo = { 0 };
	struct ipc_ts_ctx ctx;
	uintptr_t v;

	ipc_ts_ctx_init(&ctx);
	ip_lock(port);
	if (port->ip_cflags & IP_F_SPECIAL_REPLY) {
		ipc_special_reply_unstash_locked(port, wl, &ctx, &lo);
	} else {
		v = (uintptr_t)port->ip_sync_link;
		if ((ipc_link_state(v) == IPC_LINK_KNOTE &&
		        ipc_link_ptr(v) == (void *)wl) ||
		    (ipc_link_state(v) == IPC_LINK_STASH &&
		        ipc_link_ptr(v) == (void *)wl->wl_stash_ts)) {
			ipc_port_sync_reset_locked(port, &lo);
			ipc_port_send_turnstile_recompute_locked(port, &ctx);
		}
	}
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
}

/*
 * ipc_port_copyout_receive
 *	A receive right leaves its message for a space (XNU's copy-out of
 *	RECEIVE): out of transit and, in the same step, through a workloop
 *	it is stashed there (cases 4, 5); the receive right of a sync
 *	bootstrap check-in's reply keeps pushing on the thread that
 *	received it (case 6); else its link is ANY.  One recompute moves
 *	the push from the old destination to the new inheritor, so it is
 *	never dropped in between (TURNSTILES.md 1.15; XNU does it under one
 *	port lock hold).
 * Conditions: nothing locked; the port is in transit in the caller's
 * message (or IN_LIMBO).
 */
void
ipc_port_copyout_receive(struct ipc_port *port)
{
	struct ipc_thread *th = ipc_thread_cur;
	struct ipc_workloop *wl = th != NULL ? th->th_servicing : NULL;
	struct ipc_link_old lo = { 0 };
	struct ipc_port *dest;
	struct ipc_ts_ctx ctx;
	uintptr_t n;
	bool push;

	/* The message's, in transit: the flag and the link are stable. */
	if (wl == NULL && port->ip_sync_link == NULL &&
	    !(port->ip_flags & IP_F_CHECKIN_RIGHT)) {
		ipc_port_release_transit(port);
		return;
	}
	ipc_ts_ctx_init(&ctx);
	ipc_lock(&ipc_transit_lock);
	ip_lock(port);
	dest = transit_leave_locked(port, &push);
	ipc_port_sync_reset_locked(port, &lo);
	if (wl != NULL) {
		n = ipc_workloop_stash_locked(wl, port);
	} else if (th != NULL && (port->ip_flags & IP_F_CHECKIN_RIGHT)) {
		ipc_thread_reference(th);
		n = (uintptr_t)th | IPC_LINK_RCV_THREAD;
	} else {
		n = IPC_LINK_ANY;
	}
	port->ip_flags &= ~IP_F_CHECKIN_RIGHT;
	ck_pr_store_ptr(&port->ip_sync_link, (void *)n); /* Relaxed: (L) */
	ipc_port_send_turnstile_recompute_locked(port, &ctx);
	ip_unlock(port);
	ipc_unlock(&ipc_transit_lock);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
	transit_left(dest, push);
}

/*
 * ipc_port_sync_received
 *	A message was received on the port: a check-in's receive right
 *	stops pushing on the thread that checked in (case 6 ends).
 * Conditions: nothing locked (an epoch section may be open).
 */
void
ipc_port_sync_received_slow(struct ipc_port *port)
{
	struct ipc_link_old lo = { 0 };
	struct ipc_ts_ctx ctx;

	ipc_ts_ctx_init(&ctx);
	ip_lock(port);
	if (ipc_link_state((uintptr_t)port->ip_sync_link) ==
	    IPC_LINK_RCV_THREAD) {
		ipc_port_sync_reset_locked(port, &lo);
		ipc_port_send_turnstile_recompute_locked(port, &ctx);
	}
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	ipc_link_old_release(&lo);
}

void
ipc_port_send_turnstile_recompute_slow(
    struct ipc_port *port, struct ipc_ts_ctx *ctx)
{
	uint8_t kind;
	void *obj;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	send_inheritor_locked(port, &kind, &obj);
	ipc_turnstile_set_inheritor(port->ip_send_ts, kind, obj, ctx);
}

/*
 * ipc_port_send_turnstile_prepare / _complete
 *	Count a user of the port's send turnstile that is no waiter (XNU's
 *	ts_prim_count): a linked special reply port, a port in transit.
 *	The first such user donates a turnstile of its own (allocated here,
 *	outside the lock), the last takes one back and frees it, so that
 *	waiters keep donating and taking back one each.
 */
bool
ipc_port_send_turnstile_prepare(struct ipc_port *port)
{
	struct ipc_ts_ctx ctx;
	struct ipc_turnstile *spare = NULL, *ts;

	ipc_ts_ctx_init(&ctx);
	for (;;) {
		ip_lock(port);
		ts = port->ip_send_ts;
		if (ts != NULL && ts->ts_prim_count != 0)
			break;
		if (spare != NULL) {
			ts = ipc_turnstile_prepare(
			    &port->ip_send_ts, spare, port, IPC_TS_SEND);
			spare = NULL;
			ipc_port_send_turnstile_recompute_locked(port, &ctx);
			break;
		}
		ip_unlock(port);
		spare = ipc_turnstile_alloc();
		if (spare == NULL)
			return false; /* no memory: no push, same codes */
	}
	ts->ts_prim_count++;
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	if (spare != NULL)
		ipc_turnstile_release(spare);
	return true;
}

void
ipc_port_send_turnstile_complete(struct ipc_port *port)
{
	struct ipc_ts_ctx ctx;
	struct ipc_turnstile *ts, *back = NULL;

	ipc_ts_ctx_init(&ctx);
	ip_lock(port);
	ts = port->ip_send_ts;
	ipc_require(ts != NULL && ts->ts_prim_count != 0,
	    "a send-turnstile user completes once");
	if (--ts->ts_prim_count == 0)
		back = ipc_turnstile_complete(&port->ip_send_ts, &ctx);
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	if (back != NULL)
		ipc_turnstile_release(back);
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */

/*
 * The receive right (and with_send, one send right) of a new port into
 * the fresh entry e of `name`, published last ([R8]).
 * Conditions: space locked and active; e allocated, type 0.
 */
/*
 * port_publish with the entry's bits given: its generation and roll point
 * (type 0), which the entry may not hold yet (ipc_entry_alloc_next leaves
 * them to this one store).
 */
static inline __attribute__((always_inline)) void
port_publish_bits(struct mipc_space *space, struct ipc_port *port,
    struct ipc_entry *e, mach_port_name_t name, bool with_send, uint32_t bits)
{
	ip_set_receiver(port, space, name);
	ip_state_move(port, IP_IN_LIMBO, IP_IN_SPACE); /* new: its maker's */
	if (with_send) {
		ck_pr_store_32(&port->ip_srights, 1);
		port->ip_mscount = 1;
	}
	ipc_entry_set_object(e, &port->ip_object);
	ck_pr_store_32(&e->ie_bits,
	    IE_BITS_GEN(bits) | (bits & IE_BITS_ROLL_MASK) |
	        MACH_PORT_TYPE_RECEIVE |
	        (with_send ? MACH_PORT_TYPE_SEND | 1 : 0));
}

static inline __attribute__((always_inline)) void
port_publish(struct mipc_space *space, struct ipc_port *port,
    struct ipc_entry *e, mach_port_name_t name, bool with_send)
{
	port_publish_bits(space, port, e, name, with_send, e->ie_bits);
}

/*
 * Install a new port's receive right under a fresh name or `want`.
 * Conditions: space locked and active.  On failure nothing changed and
 * the port is freed.
 */
static kern_return_t
port_install(struct mipc_space *space, struct ipc_port *port, bool with_send,
    mach_port_name_t want, mach_port_name_t *namep)
{
	struct ipc_entry *e;
	mach_port_name_t name = want;
	kern_return_t kr;

	if (want != MACH_PORT_NULL)
		kr = ipc_entry_alloc_name(space, want, &e);
	else
		kr = ipc_entry_alloc(space, &name, &e);
	if (kr == KERN_SUCCESS && with_send &&
	    !ipc_rmap_insert(space, port, name)) {
		ipc_entry_dealloc(space, name, e);
		kr = KERN_RESOURCE_SHORTAGE;
	}
	if (kr != KERN_SUCCESS) {
		ip_state_set(port, IP_DEAD);
		ip_release(port);
		return kr;
	}
	port_publish(space, port, e, name, with_send);
	*namep = name;
	return KERN_SUCCESS;
}

/* A dead name with one user reference (A3, A7). */
static kern_return_t
dead_name_install(struct mipc_space *space, mach_port_name_t *namep)
{
	struct ipc_entry *e;
	kern_return_t kr = ipc_entry_alloc(space, namep, &e);

	if (kr == KERN_SUCCESS)
		ck_pr_store_32(
		    &e->ie_bits, e->ie_bits | MACH_PORT_TYPE_DEAD_NAME | 1);
	return kr;
}

static kern_return_t
allocate_common(struct mipc_space *space, mach_port_right_t right,
    mach_port_name_t want, mach_port_name_t *namep)
{
	struct ipc_port *port;
	kern_return_t kr;

	if (right != MACH_PORT_RIGHT_RECEIVE &&
	    right != MACH_PORT_RIGHT_PORT_SET &&
	    right != MACH_PORT_RIGHT_DEAD_NAME)
		return KERN_INVALID_VALUE;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr != KERN_SUCCESS)
		goto out;
	switch (right) {
	case MACH_PORT_RIGHT_RECEIVE:
		port = ipc_port_alloc();
		if (port == NULL) {
			kr = KERN_RESOURCE_SHORTAGE;
			break;
		}
		kr = port_install(space, port, false, want, namep);
		break;
	case MACH_PORT_RIGHT_PORT_SET:
		kr = ipc_pset_install(space, want, namep);
		break;
	default:
		/* A7: the requested name is ignored. */
		kr = dead_name_install(space, namep);
		break;
	}
out:
	is_unlock(space);
	return kr;
}

/*
 * allocate_common's RECEIVE case for a port made already (NULL: making
 * it failed), in the same order of checks.  Consumes the port.
 * Conditions: nothing locked.
 */
static IPC_COLD kern_return_t
receive_allocate_slow(
    mipc_space_t task, struct ipc_port *port, mach_port_name_t *namep)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr == KERN_SUCCESS) {
		is_lock(space);
		kr = ipc_space_check(space);
		if (kr == KERN_SUCCESS && port == NULL) {
			kr = KERN_RESOURCE_SHORTAGE;
		} else if (kr == KERN_SUCCESS) {
			/* On failure port_install frees the port. */
			kr = port_install(
			    space, port, false, MACH_PORT_NULL, namep);
			port = NULL;
		}
		is_unlock(space);
	}
	if (port != NULL) {
		ip_state_set(port, IP_DEAD);
		ip_release(port);
	}
	return kr;
}

/* The other rights, out of line: the flat path saves fewer registers. */
static IPC_NOINLINE kern_return_t
allocate_slow(
    mipc_space_t task, mach_port_right_t right, mach_port_name_t *name)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (name == NULL)
		return KERN_INVALID_ARGUMENT;
	return allocate_common(space, right, MACH_PORT_NULL, name);
}

/*
 * receive_allocate_locked
 *	The flat path's install when the free list's head cannot take the
 *	right by itself (ipc_entry_alloc_next: a first use, a roll): out of
 *	line, so that the flat path makes no call while it holds the space
 *	lock.  An empty free list unlocks and takes the general path.
 * Conditions: space locked and active (ipc_space_lock_try_hint); port
 *	new, IN_LIMBO.
 */
static IPC_NOINLINE kern_return_t
receive_allocate_locked(mipc_space_t task, struct mipc_space *space,
    struct ipc_port *port, mach_port_name_t *namep)
{
	struct ipc_entry *e;
	mach_port_name_t name;
	kern_return_t kr;

	ipc_lock_assert_held(&space->is_lock);
	if (unlikely(space->is_free_head == 0)) {
		is_unlock(space);
		return receive_allocate_slow(task, port, namep);
	}
	kr = ipc_entry_alloc(space, &name, &e);
	ipc_require(kr == KERN_SUCCESS, "a free entry takes the right");
	port_publish_bits(space, port, e, name, false, e->ie_bits);
	*namep = name;
	is_unlock(space);
	ipc_port_flat_note();
	return KERN_SUCCESS;
}

/*
 * The flat allocation's tail once the lock was tried (space: held, or
 * NULL for receive_allocate_slow) and the port is in hand
 * (mipc_port_allocate, below, and receive_allocate_cached): the free
 * entry's next generation, the port published.  Inlined in both, so that
 * neither makes a call on its way to success.
 */
static inline __attribute__((always_inline)) kern_return_t
receive_allocate_flat(mipc_space_t task, struct mipc_space *space,
    struct ipc_port *port, mach_port_name_t *namep)
{
	struct ipc_entry *e;
	mach_port_name_t name;
	uint32_t bits;

	if (unlikely(space == NULL))
		return receive_allocate_slow(task, port, namep);
	e = ipc_entry_alloc_next(space, &name, &bits);
	if (unlikely(e == NULL))
		return receive_allocate_locked(task, space, port, namep);
	port_publish_bits(space, port, e, name, false, bits);
	*namep = name;
	is_unlock(space);
	ipc_port_flat_note();
	return KERN_SUCCESS;
}

/* RECEIVE with a port from the cache: port_alloc_inline, then as flat. */
static IPC_NOINLINE kern_return_t
receive_allocate_cached(mipc_space_t task, mach_port_name_t *namep)
{
	struct ipc_thread *th = ipc_thread_self(); /* NULL: no memory */
	struct ipc_port *port = port_alloc_inline();

	if (unlikely(port == NULL || th == NULL))
		return receive_allocate_slow(task, port, namep);
	return receive_allocate_flat(
	    task, ipc_space_lock_try_hint(th, task, 0), port, namep);
}

/*
 * mipc_port_allocate
 *	RECEIVE's flat path: one hold of the space lock, tried through the
 *	handle with neither a reference nor an epoch section
 *	(ipc_space_lock_try_hint: slots and their locks are type-stable;
 *	four locked instructions fewer than ipc_space_acquire + release,
 *	one fewer than a section), the thread's slot hint saving the
 *	directory; then a port off the thread's kept list, made under the
 *	lock -- after the lock's CAS, which so has fewer stores to wait for
 *	(5 % of the pair's time, PERF.md's machine).  port_install's case of a
 *	fresh name and no send right, one-shot: the free entry's next
 *	generation (ipc_entry_alloc_next) goes into the entry with the
 *	right, one store of the bits after the object ([R8]); until then
 *	the entry is free (type 0) to lookups.  Every other case leaves by
 *	a tail call (the path makes no call, so saves no register): no
 *	kept port, failure injection or leak notes (receive_allocate_cached,
 *	the same with the port cache), a space that is not found, busy or
 *	destroyed (receive_allocate_slow, the specification, takes the
 *	port), a first use or a roll of the free entry
 *	(receive_allocate_locked), another right (allocate_slow).
 * Conditions: nothing locked.
 */
kern_return_t
mipc_port_allocate(
    mipc_space_t task, mach_port_right_t right, mach_port_name_t *namep)
{
	struct ipc_thread *th = ipc_thread_cur;
	struct mipc_space *space;
	struct ipc_port *port;

	if (unlikely(right != MACH_PORT_RIGHT_RECEIVE || namep == NULL))
		return allocate_slow(task, right, namep);
	if (unlikely(th == NULL || th->th_kept == NULL ||
	        ipc_fail_check(IPC_KIND_PORT) || ipc_debug_leaks))
		return receive_allocate_cached(task, namep);
	/* The lock first: its CAS waits for fewer stores to drain. */
	space = ipc_space_lock_try_hint(th, task, 0);
	port = port_kept_take(th);
	port_init_inline(port);
	return receive_allocate_flat(task, space, port, namep);
}

kern_return_t
mipc_port_allocate_name(
    mipc_space_t task, mach_port_right_t right, mach_port_name_t name)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;
	mach_port_name_t got;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_VALUE;
	/* A7: a dead name ignores the requested name. */
	return allocate_common(space, right,
	    right == MACH_PORT_RIGHT_DEAD_NAME ? MACH_PORT_NULL : name, &got);
}

/*
 * MPO_CONNECTION_PORT names its service port by a send right in the
 * caller's space; XNU translates it (ipc_service_port_derive_sblabel ->
 * ipc_port_translate_send) before making anything: 0 ->
 * KERN_INVALID_ARGUMENT (mach_port_construct's own check), MACH_PORT_DEAD
 * or a name the space does not use -> KERN_INVALID_NAME, a name without a
 * send right -> KERN_INVALID_RIGHT, a send right to a port that is no
 * service port -> KERN_INVALID_CAPABILITY.  No service port exists here
 * (MPO_SERVICE_PORT is refused), so a translation that succeeds ends in
 * KERN_INVALID_CAPABILITY.  A dead name, or a send right whose port died
 * (it reads as a dead name), answers KERN_INVALID_RIGHT; nothing is
 * converted.
 * Conditions: nothing locked.
 */
static kern_return_t
connection_service_check(struct mipc_space *space, mach_port_name_t name)
{
	struct ipc_entry *e;
	kern_return_t kr;

	if (name == MACH_PORT_NULL)
		return KERN_INVALID_ARGUMENT;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS) {
		e = ipc_entry_lookup(space, name);
		if (e == NULL)
			kr = KERN_INVALID_NAME;
		else if (!(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_SEND) ||
		    !ip_active(ip_from_object(e->ie_object)))
			kr = KERN_INVALID_RIGHT;
		else
			kr = KERN_INVALID_CAPABILITY;
	}
	is_unlock(space);
	return kr;
}

kern_return_t
mipc_port_construct(mipc_space_t task, mach_port_options_t *options,
    mach_port_context_t context, mach_port_name_t *name)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	const uint32_t service =
	    MPO_SERVICE_PORT | MPO_CONNECTION_PORT | MPO_TG_BLOCK_TRACKING;
	const uint32_t reply = MPO_REPLY_PORT |
	    MPO_ENFORCE_REPLY_PORT_SEMANTICS | MPO_EXCEPTION_PORT |
	    MPO_PROVISIONAL_REPLY_PORT;
	struct ipc_port *port;
	uint32_t f;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (options == NULL || name == NULL)
		return KERN_INVALID_ARGUMENT;
	f = options->flags;
	/* Q1: at most one of each group. */
	if (__builtin_popcount(f & service) > 1 ||
	    __builtin_popcount(f & reply) > 1)
		return KERN_INVALID_ARGUMENT;
	/* Q6: privileged kinds, refused as for an ordinary task. */
	if (f & (MPO_TG_BLOCK_TRACKING | MPO_SERVICE_PORT))
		return KERN_DENIED;
	if (f & MPO_CONNECTION_PORT)
		return connection_service_check(
		    space, options->service_port_name);
	/* XNU checks the limit's value after the kinds above. */
	if ((f & MPO_QLIMIT) && options->mpl.mpl_qlimit > MACH_PORT_QLIMIT_MAX)
		return KERN_INVALID_VALUE;

	port = ipc_port_alloc();
	if (port == NULL)
		return KERN_RESOURCE_SHORTAGE;
	if (f & MPO_QLIMIT)
		port->ip_qlimit = options->mpl.mpl_qlimit;
	port->ip_context = context;
	if (f & MPO_CONTEXT_AS_GUARD) {
		port->ip_flags |= IP_F_GUARDED;
		if (f & MPO_STRICT)
			port->ip_flags |= IP_F_STRICT;
		if (f & MPO_IMMOVABLE_RECEIVE)
			port->ip_flags |= IP_F_IMMOVABLE_RECEIVE;
	}
	if (f & MPO_TEMPOWNER)
		port->ip_flags |= IP_F_TEMPOWNER | IP_F_IMP_DONATION;
	if (f & (MPO_IMPORTANCE_RECEIVER | MPO_DENAP_RECEIVER))
		port->ip_flags |= IP_F_IMP_DONATION;
	if (f & MPO_REPLY_PORT)
		port->ip_flags |= IP_F_IMMOVABLE_RECEIVE;
	if (f & MPO_REPLY_PORT)
		port->ip_cflags |= IP_F_REPLY_PORT;
	if (f & MPO_PROVISIONAL_REPLY_PORT)
		port->ip_cflags |= IP_F_PROVISIONAL_REPLY;
	if (f & MPO_ENFORCE_REPLY_PORT_SEMANTICS)
		port->ip_cflags |= IP_F_ENFORCE_REPLY;
	if (f & MPO_EXCEPTION_PORT)
		port->ip_cflags |= IP_F_EXCEPTION_PORT;

	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = port_install(space, port, (f & MPO_INSERT_SEND_RIGHT) != 0,
		    MACH_PORT_NULL, name);
	else {
		ip_state_set(port, IP_DEAD);
		ip_release(port);
	}
	is_unlock(space);
	return kr;
}

#define PORT_INIT_KNOWN                                                    \
	(MIPC_PORT_INIT_MAKE_SEND_RIGHT | MIPC_PORT_INIT_MESSAGE_QUEUE |   \
	    MIPC_PORT_INIT_SPECIAL_REPLY | MIPC_PORT_INIT_IMMOVABLE_SEND | \
	    MIPC_PORT_INIT_NO_GRANT)

/*
 * ipc_port_alloc_init
 *	A receive right under a fresh name, made as XNU's ipc_port_init
 *	makes it for `flags` (MIPC_PORT_INIT_*, already validated), with
 *	srp_bind as its special-reply binding (reply.c; 0: none).
 * Conditions:
 *	Nothing locked.  Allocates.  On failure nothing was made.
 */
kern_return_t
ipc_port_alloc_init(struct mipc_space *space, uint32_t flags, uint64_t srp_bind,
    mach_port_name_t *namep)
{
	struct ipc_port *port;
	kern_return_t kr;

	ipc_require((flags & ~PORT_INIT_KNOWN) == 0, "validated init flags");
	port = ipc_port_alloc();
	if (port == NULL)
		return KERN_RESOURCE_SHORTAGE;
	if (flags & MIPC_PORT_INIT_SPECIAL_REPLY) {
		/*
		 * S2: immovable, and a reply port as MPO_REPLY_PORT
		 * makes one (the hardened runtime's marking, see Choices).
		 */
		port->ip_flags |= IP_F_IMMOVABLE_RECEIVE;
		port->ip_cflags |= IP_F_SPECIAL_REPLY | IP_F_REPLY_PORT;
		port->ip_srp_bind = srp_bind;
	}
	if (flags & MIPC_PORT_INIT_IMMOVABLE_SEND)
		port->ip_cflags |= IP_F_IMMOVABLE_SEND;
	if (flags & MIPC_PORT_INIT_NO_GRANT)
		port->ip_cflags |= IP_F_NO_GRANT;
	/* The queue now, so that no send to the port allocates. */
	if ((flags & MIPC_PORT_INIT_MESSAGE_QUEUE) &&
	    !ipc_mqueue_prepare(port)) {
		ip_state_set(port, IP_DEAD);
		ip_release(port);
		return KERN_RESOURCE_SHORTAGE;
	}
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = port_install(space, port,
		    (flags & MIPC_PORT_INIT_MAKE_SEND_RIGHT) != 0,
		    MACH_PORT_NULL, namep);
	else {
		ip_state_set(port, IP_DEAD);
		ip_release(port);
	}
	is_unlock(space);
	return kr;
}

kern_return_t
mipc_port_allocate_init(
    mipc_space_t task, uint32_t flags, mach_port_name_t *name)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (name == NULL || (flags & ~PORT_INIT_KNOWN) != 0)
		return KERN_INVALID_ARGUMENT;
	return ipc_port_alloc_init(space, flags, 0, name);
}

/* ------------------------------------------------------------------ */
/* Per-port calls                                                      */

/*
 * Find the port whose receive right `name` holds, and lock it.
 * Conditions: space locked and active.  On success the port is locked.
 * Returns nullcode for MACH_PORT_NULL / MACH_PORT_DEAD (it varies by call),
 * KERN_INVALID_NAME for an unknown name, KERN_INVALID_RIGHT otherwise.
 */
static kern_return_t
receive_lookup_locked(struct mipc_space *space, mach_port_name_t name,
    kern_return_t nullcode, struct ipc_port **portp)
{
	struct ipc_entry *e;
	struct ipc_port *port;

	ipc_lock_assert_held(&space->is_lock);
	if (!MACH_PORT_VALID(name))
		return nullcode;
	e = ipc_entry_lookup(space, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	if (!(IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE))
		return KERN_INVALID_RIGHT;
	port = ip_from_object(e->ie_object);
	ip_lock(port);
	ipc_require(
	    ip_receiver(port) == space && port->ip_receiver_name == name,
	    "a receive entry names its port's receiver");
	*portp = port;
	return KERN_SUCCESS;
}

/*
 * The shape of most per-port calls: lock the space, find and lock the
 * receive right, run fn, unlock, deliver guard violations.
 */
typedef kern_return_t (*port_op_t)(
    struct ipc_port *port, mach_port_name_t name, void *arg);

static kern_return_t
with_receive_held(struct mipc_space *space, mach_port_name_t name,
    kern_return_t nullcode, port_op_t fn, void *arg)
{
	struct ipc_port *port = NULL;
	kern_return_t kr;

	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = receive_lookup_locked(space, name, nullcode, &port);
	if (kr == KERN_SUCCESS) {
		kr = fn(port, name, arg);
		ip_unlock(port);
	}
	is_unlock(space);
	ipc_guard_flush(space);
	return kr;
}

static kern_return_t
with_receive(mipc_space_t task, mach_port_name_t name, kern_return_t nullcode,
    port_op_t fn, void *arg)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr = ipc_space_acquire(task, &space);

	if (kr != KERN_SUCCESS)
		return kr;
	return with_receive_held(space, name, nullcode, fn, arg);
}

static kern_return_t
op_set_mscount(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	(void)name;
	port->ip_mscount = *(mach_port_mscount_t *)arg;
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_set_mscount(
    mipc_space_t task, mach_port_name_t name, mach_port_mscount_t mscount)
{
	return with_receive(
	    task, name, KERN_INVALID_RIGHT, op_set_mscount, &mscount);
}

static kern_return_t
op_set_seqno(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	(void)name;
	ipc_mqueue_set_seqno(port, *(mach_port_seqno_t *)arg);
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_set_seqno(
    mipc_space_t task, mach_port_name_t name, mach_port_seqno_t seqno)
{
	return with_receive(
	    task, name, KERN_INVALID_RIGHT, op_set_seqno, &seqno);
}

static kern_return_t
op_get_srights(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	(void)name;
	*(mach_port_rights_t *)arg = ipc_port_srights_total(port);
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_get_srights(
    mipc_space_t task, mach_port_name_t name, mach_port_rights_t *srights)
{
	if (srights == NULL)
		return KERN_INVALID_ARGUMENT;
	return with_receive(
	    task, name, KERN_INVALID_RIGHT, op_get_srights, srights);
}

/*
 * Peeking at a queued message (U6).  XNU reports the size of its own copy
 * of the message, whose header is 8 bytes longer than the user's on LP64
 * (its port fields are pointers): XNU's tests/ipc/port_peek.c checks send
 * size + 8.  Descriptors keep their user size here.
 */
#define PEEK_SIZE_DELTA (sizeof(void *) == 8 ? 8u : 0u)

kern_return_t
mipc_port_peek(mipc_space_t task, mach_port_name_t name,
    mach_msg_trailer_type_t trailer_type, mach_port_seqno_t *request_seqnop,
    mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
    mach_msg_trailer_info_t trailer_infop,
    mach_msg_type_number_t *trailer_sizep)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_port *port = NULL;
	struct ipc_thread *th;
	mach_msg_max_trailer_t t;
	mach_msg_size_t tsize;
	struct imq_peek pk;
	bool found = false;
	kern_return_t kr;

	if (request_seqnop == NULL || msg_sizep == NULL || msg_idp == NULL ||
	    trailer_infop == NULL || trailer_sizep == NULL)
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	/* No trailer beyond the audit token (XNU: no context leaks). */
	tsize = ipc_trailer_size((mach_msg_option_t)trailer_type);
	if (GET_RCV_ELEMENTS(trailer_type) > MACH_RCV_TRAILER_AUDIT ||
	    tsize > *trailer_sizep) {
		ipc_guard_raise(name, kGUARD_EXC_INVALID_VALUE, 0);
		ipc_guard_flush(space);
		return KERN_INVALID_VALUE;
	}
	*trailer_sizep = tsize;
	th = ipc_thread_self();
	if (th == NULL)
		return KERN_RESOURCE_SHORTAGE;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = receive_lookup_locked(
		    space, name, KERN_INVALID_RIGHT, &port);
	if (kr == KERN_SUCCESS) {
		/*
		 * The section keeps a message a receiver takes meanwhile;
		 * it closes once nothing is locked (a safe point may run
		 * frees that take locks).
		 */
		ipc_epoch_enter(th);
		found = ipc_mqueue_peek_locked(port, *request_seqnop, &pk);
		ip_unlock(port);
	}
	is_unlock(space);
	if (kr == KERN_SUCCESS)
		ipc_epoch_exit(th);
	else if (kr == KERN_INVALID_NAME || kr == KERN_INVALID_RIGHT)
		ipc_guard_raise(name,
		    kr == KERN_INVALID_NAME ? kGUARD_EXC_INVALID_NAME
		                            : kGUARD_EXC_INVALID_RIGHT,
		    0);
	ipc_guard_flush(space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!found)
		return KERN_FAILURE;
	*request_seqnop = pk.ipk_seqno;
	*msg_sizep = pk.ipk_size + PEEK_SIZE_DELTA;
	*msg_idp = pk.ipk_id;
	ipc_kmsg_peek_trailer(&t, pk.ipk_kernel, pk.ipk_sender);
	t.msgh_seqno = pk.ipk_seqno;
	memcpy(trailer_infop, &t, tsize);
	return KERN_SUCCESS;
}

/* Context and guards (H11, Q9-Q12). */

static kern_return_t
op_get_context(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	(void)name;
	*(mach_port_context_t *)arg =
	    (port->ip_flags & IP_F_STRICT) ? 0 : port->ip_context;
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_get_context(
    mipc_space_t task, mach_port_name_t name, mach_port_context_t *context)
{
	if (context == NULL)
		return KERN_INVALID_ARGUMENT;
	return with_receive(
	    task, name, KERN_INVALID_RIGHT, op_get_context, context);
}

static kern_return_t
op_set_context(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	if (port->ip_flags & IP_F_STRICT) {
		ipc_guard_raise(name, kGUARD_EXC_SET_CONTEXT, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	/* A non-strict guard is simply replaced (H11). */
	port->ip_context = *(mach_port_context_t *)arg;
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_set_context(
    mipc_space_t task, mach_port_name_t name, mach_port_context_t context)
{
	return with_receive(
	    task, name, KERN_INVALID_RIGHT, op_set_context, &context);
}

struct guard_arg {
	mach_port_context_t ga_guard;
	mach_port_context_t ga_new;
	uint64_t ga_flags;
};

static kern_return_t
op_guard(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	struct guard_arg *ga = arg;

	if (port->ip_context != 0) {
		ipc_guard_raise(
		    name, kGUARD_EXC_INVALID_ARGUMENT, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	port->ip_context = ga->ga_guard;
	port->ip_flags |= IP_F_GUARDED;
	/* Strictness is the new guard's, as XNU assigns ip_strict_guard. */
	if (ga->ga_flags & MPG_STRICT)
		port->ip_flags |= IP_F_STRICT;
	else
		port->ip_flags &= ~IP_F_STRICT;
	if (ga->ga_flags & MPG_IMMOVABLE_RECEIVE)
		port->ip_flags |= IP_F_IMMOVABLE_RECEIVE | IP_F_GUARD_IMMOVABLE;
	return KERN_SUCCESS;
}

/* Q9: NULL, DEAD and unknown names are all KERN_INVALID_NAME. */
static kern_return_t
guard_common(mipc_space_t task, mach_port_name_t name, port_op_t fn,
    struct guard_arg *ga)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr = ipc_space_acquire(task, &space);

	if (kr != KERN_SUCCESS)
		return kr;
	if (!MACH_PORT_VALID(name)) {
		ipc_guard_raise(name, kGUARD_EXC_INVALID_NAME, 0);
		ipc_guard_flush(space);
		return KERN_INVALID_NAME;
	}
	kr = with_receive_held(space, name, KERN_INVALID_NAME, fn, ga);
	if (kr == KERN_INVALID_NAME) {
		ipc_guard_raise(name, kGUARD_EXC_INVALID_NAME, 0);
		ipc_guard_flush(space);
	}
	return kr;
}

kern_return_t
mipc_port_guard(mipc_space_t space, mach_port_name_t name,
    mach_port_context_t guard, boolean_t strict)
{
	struct guard_arg ga = { guard, 0, strict ? MPG_STRICT : 0 };

	return guard_common(space, name, op_guard, &ga);
}

kern_return_t
mipc_port_guard_with_flags(mipc_space_t space, mach_port_name_t name,
    mach_port_context_t guard, uint64_t flags)
{
	struct guard_arg ga = { guard, 0, flags };

	if (flags & ~(uint64_t)(MPG_STRICT | MPG_IMMOVABLE_RECEIVE))
		return KERN_INVALID_ARGUMENT;
	return guard_common(space, name, op_guard, &ga);
}

static kern_return_t
op_unguard(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	struct guard_arg *ga = arg;

	if (!(port->ip_flags & IP_F_GUARDED)) {
		ipc_guard_raise(name, kGUARD_EXC_UNGUARDED, ga->ga_guard);
		return KERN_INVALID_ARGUMENT;
	}
	if (port->ip_context != ga->ga_guard) {
		ipc_guard_raise(
		    name, kGUARD_EXC_INCORRECT_GUARD, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	/* Q10: immovability outlives the guard. */
	port->ip_context = 0;
	port->ip_flags &= ~(IP_F_GUARDED | IP_F_STRICT);
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_unguard(
    mipc_space_t task, mach_port_name_t name, mach_port_context_t guard)
{
	struct guard_arg ga = { guard, 0, 0 };

	return guard_common(task, name, op_unguard, &ga);
}

static kern_return_t
op_swap_guard(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	struct guard_arg *ga = arg;

	if (!(port->ip_flags & IP_F_GUARDED)) {
		ipc_guard_raise(name, kGUARD_EXC_UNGUARDED, ga->ga_guard);
		return KERN_INVALID_ARGUMENT;
	}
	if (port->ip_flags & IP_F_STRICT) {
		ipc_guard_raise(name, kGUARD_EXC_SET_CONTEXT, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	if (port->ip_context != ga->ga_guard) {
		ipc_guard_raise(
		    name, kGUARD_EXC_INCORRECT_GUARD, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	port->ip_context = ga->ga_new;
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_swap_guard(mipc_space_t space, mach_port_name_t name,
    mach_port_context_t old_guard, mach_port_context_t new_guard)
{
	struct guard_arg ga = { old_guard, new_guard, 0 };

	return guard_common(space, name, op_swap_guard, &ga);
}

/* ------------------------------------------------------------------ */
/* Attributes (H1-H6, Q12)                                             */

struct attr_arg {
	mach_port_flavor_t aa_flavor;
	mach_port_info_t aa_info;
	mach_msg_type_number_t *aa_cnt;
	mach_msg_type_number_t aa_incnt;
	struct ipc_port *aa_raised; /* referenced: its limit rose (H5) */
};

static kern_return_t
op_get_attr(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	struct attr_arg *aa = arg;
	mach_port_info_ext_t ext;

	(void)name;
	switch (aa->aa_flavor) {
	case MACH_PORT_LIMITS_INFO:
		((mach_port_limits_t *)(void *)aa->aa_info)->mpl_qlimit =
		    port->ip_qlimit;
		*aa->aa_cnt = MACH_PORT_LIMITS_INFO_COUNT;
		break;
	case MACH_PORT_RECEIVE_STATUS:
		ipc_port_status_locked(
		    port, (mach_port_status_t *)(void *)aa->aa_info);
		*aa->aa_cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		break;
	case MACH_PORT_DNREQUESTS_SIZE:
		aa->aa_info[0] = (integer_t)ipc_port_request_size(port);
		*aa->aa_cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;
		break;
	default: /* MACH_PORT_INFO_EXT */
		memset(&ext, 0, sizeof(ext));
		ipc_port_status_locked(port, &ext.mpie_status);
		memcpy(aa->aa_info, &ext, sizeof(ext));
		*aa->aa_cnt = MACH_PORT_INFO_EXT_COUNT;
		break;
	}
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_get_attributes(mipc_space_t task, mach_port_name_t name,
    mach_port_flavor_t flavor, mach_port_info_t info,
    mach_msg_type_number_t *cnt)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct attr_arg aa = { flavor, info, cnt, 0, NULL };
	kern_return_t kr;
	mach_msg_type_number_t need;
	kern_return_t nullcode;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (info == NULL || cnt == NULL)
		return KERN_INVALID_ARGUMENT;
	/* The trap clamps the caller's count (H3). */
	if (*cnt > MACH_PORT_INFO_EXT_COUNT)
		*cnt = MACH_PORT_INFO_EXT_COUNT;
	switch (flavor) {
	case MACH_PORT_LIMITS_INFO:
		need = MACH_PORT_LIMITS_INFO_COUNT;
		nullcode = KERN_SUCCESS;
		break;
	case MACH_PORT_RECEIVE_STATUS:
		need = MACH_PORT_RECEIVE_STATUS_COUNT;
		nullcode = KERN_INVALID_RIGHT;
		break;
	case MACH_PORT_DNREQUESTS_SIZE:
		need = MACH_PORT_DNREQUESTS_SIZE_COUNT;
		nullcode = KERN_SUCCESS;
		break;
	case MACH_PORT_INFO_EXT:
		need = MACH_PORT_INFO_EXT_COUNT;
		nullcode = KERN_INVALID_RIGHT;
		break;
	default:
		return KERN_INVALID_ARGUMENT;
	}
	if (*cnt < need)
		return KERN_FAILURE;
	if (!MACH_PORT_VALID(name) && nullcode == KERN_SUCCESS) {
		/* H1/H3 quirks: success with nothing to report. */
		if (flavor == MACH_PORT_DNREQUESTS_SIZE) {
			info[0] = 0;
			*cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;
		} else {
			*cnt = 0;
		}
		return KERN_SUCCESS;
	}
	return with_receive_held(space, name, nullcode, op_get_attr, &aa);
}

static kern_return_t
op_set_attr(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	struct attr_arg *aa = arg;

	(void)name;
	switch (aa->aa_flavor) {
	case MACH_PORT_LIMITS_INFO:
		if (ipc_mqueue_set_qlimit_locked(port,
		        ((mach_port_limits_t *)(void *)aa->aa_info)
		            ->mpl_qlimit)) {
			/* H5: blocked senders get the room once unlocked. */
			ip_reference(port);
			aa->aa_raised = port;
		}
		return KERN_SUCCESS;
	case MACH_PORT_DNREQUESTS_SIZE:
		return KERN_SUCCESS;
	case MACH_PORT_TEMPOWNER:
	case MACH_PORT_IMPORTANCE_RECEIVER:
	case MACH_PORT_DENAP_RECEIVER:
		if (port->ip_cflags & IP_F_SPECIAL_REPLY)
			return KERN_INVALID_ARGUMENT;
		port->ip_flags |= IP_F_IMP_DONATION;
		if (aa->aa_flavor == MACH_PORT_TEMPOWNER)
			port->ip_flags |= IP_F_TEMPOWNER;
		return KERN_SUCCESS;
	default: /* MACH_PORT_SERVICE_THROTTLED */
		return KERN_INVALID_CAPABILITY;
	}
}

kern_return_t
mipc_port_set_attributes(mipc_space_t task, mach_port_name_t name,
    mach_port_flavor_t flavor, mach_port_info_t info,
    mach_msg_type_number_t cnt)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct attr_arg aa = { flavor, info, NULL, cnt, NULL };
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	switch (flavor) {
	case MACH_PORT_LIMITS_INFO:
		if (cnt < MACH_PORT_LIMITS_INFO_COUNT)
			return KERN_FAILURE;
		if (info == NULL)
			return KERN_INVALID_ARGUMENT;
		if (((mach_port_limits_t *)(void *)info)->mpl_qlimit >
		    MACH_PORT_QLIMIT_MAX)
			return KERN_INVALID_VALUE;
		break;
	case MACH_PORT_DNREQUESTS_SIZE:
		if (cnt < MACH_PORT_DNREQUESTS_SIZE_COUNT)
			return KERN_FAILURE;
		break;
	case MACH_PORT_TEMPOWNER:
	case MACH_PORT_IMPORTANCE_RECEIVER:
	case MACH_PORT_DENAP_RECEIVER:
	case MACH_PORT_SERVICE_THROTTLED:
		break;
	default:
		return KERN_INVALID_ARGUMENT;
	}
	kr = with_receive_held(
	    space, name, KERN_INVALID_RIGHT, op_set_attr, &aa);
	if (aa.aa_raised != NULL) {
		ipc_mqueue_admit_senders(aa.aa_raised);
		ip_release(aa.aa_raised);
	}
	return kr;
}

static kern_return_t
op_assert_attr(struct ipc_port *port, mach_port_name_t name, void *arg)
{
	struct attr_arg *aa = arg;
	mach_port_guard_info_t gi;

	memcpy(&gi, aa->aa_info, sizeof(gi));
	if (!(port->ip_flags & IP_F_GUARDED)) {
		ipc_guard_raise(name, kGUARD_EXC_UNGUARDED, gi.mpgi_guard);
		return KERN_INVALID_ARGUMENT;
	}
	if (!(port->ip_flags & IP_F_STRICT) ||
	    port->ip_context != gi.mpgi_guard) {
		ipc_guard_raise(
		    name, kGUARD_EXC_INCORRECT_GUARD, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_assert_attributes(mipc_space_t task, mach_port_name_t name,
    mach_port_flavor_t flavor, mach_port_info_t info,
    mach_msg_type_number_t cnt)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct attr_arg aa = { flavor, info, NULL, cnt, NULL };
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (flavor != MACH_PORT_GUARD_INFO)
		return KERN_INVALID_ARGUMENT;
	if (cnt < MACH_PORT_GUARD_INFO_COUNT)
		return KERN_FAILURE;
	if (info == NULL)
		return KERN_INVALID_ARGUMENT;
	return with_receive_held(
	    space, name, KERN_INVALID_RIGHT, op_assert_attr, &aa);
}
