/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pset.c -- port sets: creation, membership, destruction.
 *
 * Owns:      struct ipc_pset and the membership links (struct
 *            ipc_pset_link, one per port-in-set pair).
 * Locking:   a set and every member's receive right live in one space, so
 *            the space lock (IPC_RANK_SPACE) covers sets and both
 *            membership lists; a port that leaves its space (moved or
 *            destroyed) leaves its sets first, under that lock.  Senders
 *            (waking set receivers) and set receivers walk the lists
 *            lock-free inside epoch sections: list pointers are stored
 *            with ck_pr, links freed after a grace period.
 *            ips_ready_lock (IPC_RANK_LEAF) covers the ready queue.
 * Ordering:  [F13] a member's message and its place in the ready queue
 *            (Dekker): a sender publishes the message, fences ([F1] in
 *            mqueue.c serves), then reads pl_ready and queues the link
 *            if it is idle; a set receiver takes the link (pl_ready idle,
 *            under the lock), fences, then looks at the port.  Either the
 *            sender sees the link idle and queues it again, or the
 *            receiver sees the message.
 *            [A12] the set receiver's read of a taken link pairs with
 *            [R12] (add_member): the link was built before anyone found
 *            it; for TSan, an acquire on the link.
 * Lifetime:  the entry naming a set holds its only reference.
 * Choices:   * a port may be in several sets at once (modern XNU, item
 *              G4); move_member removes it from all others.  Links are
 *              counted as tables in mipc_get_stats().
 *            * A set keeps a ready queue of its members that have
 *              messages, oldest first: a sender queues the
 *              membership when it finds it idle, a set receiver takes the
 *              head, and puts it back at the tail while the port still
 *              has messages, so ready members are served in turn (item
 *              G7, XNU's rotation).  A receive costs O(ready members it
 *              finds drained by others), an empty set O(1) whatever its
 *              size (issue 12: the scan of every member was O(n^2)).  The
 *              queue is a hint: a queued member may have been drained by
 *              a receive on its own name (G9); the receiver drops it.
 *            * Every link made or unmade tells waitfd.c (a set's
 *              event-loop descriptor follows its members), at the cost of
 *              a load of two words when no descriptor is armed.
 */
#include "pset.h"

#include "cache.h"
#include "guard.h"
#include "introspect.h"
#include "lock.h"
#include "mqueue.h"
#include "object.h"
#include "port.h"
#include "space.h"
#include "thread.h"
#include "vm.h"
#include "waitfd.h"
#include "waitq.h"
#include "workloop.h"

#include <mipc/mach.h>
#include <mipc/port.h>
#include <stdlib.h>
#include <string.h>

__thread uint64_t ipc_pset_looks;

struct ipc_pset *
ipc_pset_alloc(void)
{
	struct ipc_pset *pset = ipc_cache_alloc(IPC_KIND_PSET);

	if (pset == NULL)
		return NULL;
	memset(pset, 0, sizeof(*pset));
	ipc_lock_init(&pset->ips_object.io_lock, IPC_RANK_PORT, "pset");
	ipc_lock_init(&pset->ips_ready_lock, IPC_RANK_LEAF, "pset ready");
	pset->ips_ready_tail = &pset->ips_ready;
	pset->ips_object.io_refs = 1;
	pset->ips_object.io_kind = IOT_PSET;
	ipc_leak_note(IPC_KIND_PSET, pset);
	return pset;
}

/*
 * ipc_pset_install
 *	A new set under a fresh name or `want`.
 * Conditions:
 *	Space locked and active.  Allocates.
 */
kern_return_t
ipc_pset_install(
    struct mipc_space *space, mach_port_name_t want, mach_port_name_t *namep)
{
	struct ipc_pset *pset = ipc_pset_alloc();
	mach_port_name_t name = want;
	struct ipc_entry *e;
	kern_return_t kr;

	if (pset == NULL)
		return KERN_RESOURCE_SHORTAGE;
	if (want != MACH_PORT_NULL)
		kr = ipc_entry_alloc_name(space, want, &e);
	else
		kr = ipc_entry_alloc(space, &name, &e);
	if (kr != KERN_SUCCESS) {
		ipc_object_release(&pset->ips_object);
		return kr;
	}
	pset->ips_space = space;
	pset->ips_name = name;
	ipc_entry_set_object(e, &pset->ips_object);
	ck_pr_store_32(&e->ie_bits, e->ie_bits | MACH_PORT_TYPE_PORT_SET);
	*namep = name;
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The ready queue                                                      */

/* Append l.  Conditions: ips_ready_lock held; l idle. */
static void
ready_append_locked(struct ipc_pset *pset, struct ipc_pset_link *l)
{
	ipc_lock_assert_held(&pset->ips_ready_lock);
	l->pl_ready_next = NULL;
	l->pl_ready_prev = pset->ips_ready_tail;
	*pset->ips_ready_tail = l;
	pset->ips_ready_tail = &l->pl_ready_next;
	ck_pr_store_32(&l->pl_ready, IPC_PSET_QUEUED);
}

/* Take l out of the queue.  Conditions: ips_ready_lock held; l queued. */
static void
ready_remove_locked(struct ipc_pset *pset, struct ipc_pset_link *l)
{
	ipc_lock_assert_held(&pset->ips_ready_lock);
	*l->pl_ready_prev = l->pl_ready_next;
	if (l->pl_ready_next != NULL)
		l->pl_ready_next->pl_ready_prev = l->pl_ready_prev;
	else
		pset->ips_ready_tail = l->pl_ready_prev;
	l->pl_ready_next = NULL;
	l->pl_ready_prev = NULL;
}

/*
 * ipc_pset_ready_slow
 *	Queue l at the tail of its set's ready queue if it is idle.
 * Conditions: as ipc_pset_ready (pset.h); takes ips_ready_lock.
 */
void
ipc_pset_ready_slow(struct ipc_pset_link *l)
{
	struct ipc_pset *pset;

	ipc_tsan_acquire(l); /* [A12]: reached lock-free (see Ordering) */
	pset = l->pl_pset;
	ipc_lock(&pset->ips_ready_lock);
	if (l->pl_ready == IPC_PSET_IDLE)
		ready_append_locked(pset, l);
	ipc_unlock(&pset->ips_ready_lock);
}

/*
 * ipc_pset_ready_take
 *	The membership at the head of the set's ready queue, now idle; NULL
 *	when no member is ready.
 * Conditions:
 *	Inside an epoch section (the link stays readable until it closes).
 *	Takes ips_ready_lock.  The caller fences ([F13]) before it looks
 *	at the port.
 */
struct ipc_pset_link *
ipc_pset_ready_take(struct ipc_pset *pset)
{
	struct ipc_pset_link *l;

	/* Relaxed: an empty queue is seen without the lock. */
	if (ck_pr_load_ptr(&pset->ips_ready) == NULL)
		return NULL;
	ipc_lock(&pset->ips_ready_lock);
	l = pset->ips_ready;
	if (l != NULL) {
		ready_remove_locked(pset, l);
		ck_pr_store_32(&l->pl_ready, IPC_PSET_IDLE);
	}
	ipc_unlock(&pset->ips_ready_lock);
	if (l != NULL)
		ipc_tsan_acquire(l); /* [A12]: see Ordering */
	return l;
}

/* The link leaves its set: out of the queue, never queued again. */
static void
ready_forget(struct ipc_pset_link *l)
{
	struct ipc_pset *pset = l->pl_pset;

	ipc_lock(&pset->ips_ready_lock);
	if (l->pl_ready == IPC_PSET_QUEUED)
		ready_remove_locked(pset, l);
	ck_pr_store_32(&l->pl_ready, IPC_PSET_GONE);
	ipc_unlock(&pset->ips_ready_lock);
}

/* ------------------------------------------------------------------ */
/* Links                                                                */

static void
link_free_now(struct ipc_deferred *d)
{
	struct ipc_pset_link *l =
	    ipc_container_of(d, struct ipc_pset_link, pl_free);

	ipc_free(IPC_KIND_TABLE, l, sizeof(*l));
}

/*
 * An unlinked membership: out of the ready queue now, event-loop
 * descriptors follow (waitfd.c); links are read lock-free (senders, set
 * receivers): freed after a grace period.
 * Conditions: space locked.
 */
static void
link_free(struct ipc_pset_link *l)
{
	ready_forget(l);
	ipc_waitfd_link_changed(l->pl_port, &l->pl_pset->ips_rcv_wq);
	ipc_epoch_defer(ipc_thread_self(), &l->pl_free, link_free_now);
}

/* Unlink l from its set's member list. Conditions: space locked. */
static void
unlink_from_pset(struct ipc_pset_link *l)
{
	struct ipc_pset_link **pp;

	for (pp = &l->pl_pset->ips_members; *pp != l;
	     pp = &(*pp)->pl_next_in_pset)
		ipc_require(*pp != NULL, "link on its set's list");
	ck_pr_store_ptr(pp, l->pl_next_in_pset);
}

/* Unlink l from its port's set list. Conditions: space locked. */
static void
unlink_from_port(struct ipc_pset_link *l)
{
	struct ipc_pset_link **pp;

	for (pp = &l->pl_port->ip_psets; *pp != l; pp = &(*pp)->pl_next_in_port)
		ipc_require(*pp != NULL, "link on its port's list");
	ck_pr_store_ptr(pp, l->pl_next_in_port);
}

bool
ipc_pset_has_port(const struct ipc_pset *pset, const struct ipc_port *port)
{
	const struct ipc_pset_link *l;

	for (l = port->ip_psets; l != NULL; l = l->pl_next_in_port) {
		if (l->pl_pset == pset)
			return true;
	}
	return false;
}

/*
 * ipc_pset_unlink_port_locked
 *	Take port out of every set (G11: its receive right is
 *	leaving the space, or dying); ipc_pset_remove_port_locked
 *	(pset.h) calls here for a port in any set.
 * Conditions: the space holding port's receive right is locked.
 */
void
ipc_pset_unlink_port_locked(struct mipc_space *space, struct ipc_port *port)
{
	struct ipc_pset_link *l;

	ipc_lock_assert_held(&space->is_lock);
	while ((l = port->ip_psets) != NULL) {
		ck_pr_store_ptr(&port->ip_psets, l->pl_next_in_port);
		unlink_from_pset(l);
		link_free(l);
	}
}

/*
 * ipc_pset_destroy_locked
 *	Destroy a set whose entry the caller removed: members are unlinked
 *	and keep their messages and names (G10).  Consumes the
 *	entry's reference.
 * Conditions: space locked.
 */
void
ipc_pset_destroy_locked(struct mipc_space *space, struct ipc_pset *pset)
{
	struct ipc_workloop *wl;
	struct ipc_pset_link *l;

	ipc_lock_assert_held(&space->is_lock);
	/* Its descriptor vanishes first: members' hook bits then follow. */
	if (unlikely(
	        ck_pr_load_32(&pset->ips_rcv_wq.wq_waiters) & IPC_WAITQ_FD))
		ipc_waitfd_vanish(&pset->ips_rcv_wq);
	wl = ipc_workloop_detach_pset_locked(pset);
	if (wl != NULL)
		ipc_workloop_release(wl);
	while ((l = pset->ips_members) != NULL) {
		ck_pr_store_ptr(&pset->ips_members, l->pl_next_in_pset);
		unlink_from_port(l);
		link_free(l);
	}
	ck_pr_store_ptr(&pset->ips_space, NULL);
	/* G10: receivers blocked on the set get MACH_RCV_PORT_CHANGED. */
	ipc_waitq_wake(&pset->ips_rcv_wq, IPC_WAKE_AFTER_STORE, IPC_WAKE_ALL);
	ipc_object_release(&pset->ips_object);
}

/* ------------------------------------------------------------------ */
/* Membership calls (G1-G6)                                            */

/*
 * Translate (port name, set name) as ipc_object_translate_port_pset does.
 * Conditions: space locked and active.  pset_name may be MACH_PORT_NULL
 * when allow_null (move_member's "no set").
 */
static kern_return_t
translate_member(struct mipc_space *space, mach_port_name_t name,
    mach_port_name_t pset_name, bool allow_null, struct ipc_port **portp,
    struct ipc_pset **psetp)
{
	struct ipc_entry *pe, *se = NULL;

	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	if (pset_name == MACH_PORT_DEAD ||
	    (pset_name == MACH_PORT_NULL && !allow_null))
		return KERN_INVALID_RIGHT;
	pe = ipc_entry_lookup(space, name);
	if (pset_name != MACH_PORT_NULL)
		se = ipc_entry_lookup(space, pset_name);
	if (pe == NULL || (pset_name != MACH_PORT_NULL && se == NULL)) {
		ipc_guard_raise(
		    pe == NULL ? name : pset_name, kGUARD_EXC_INVALID_NAME, 0);
		return KERN_INVALID_NAME;
	}
	if (!(IE_BITS_TYPE(pe->ie_bits) & MACH_PORT_TYPE_RECEIVE))
		return KERN_INVALID_RIGHT;
	if (se != NULL && IE_BITS_TYPE(se->ie_bits) != MACH_PORT_TYPE_PORT_SET)
		return KERN_INVALID_RIGHT;
	*portp = ip_from_object(pe->ie_object);
	*psetp = se != NULL ? ips_from_object(se->ie_object) : NULL;
	return KERN_SUCCESS;
}

static kern_return_t
add_member(struct ipc_port *port, struct ipc_pset *pset)
{
	struct ipc_pset_link *l = ipc_alloc(IPC_KIND_TABLE, sizeof(*l));

	if (l == NULL)
		return KERN_RESOURCE_SHORTAGE;
	l->pl_port = port;
	l->pl_pset = pset;
	l->pl_next_in_port = port->ip_psets;
	l->pl_next_in_pset = pset->ips_members;
	l->pl_ready_next = NULL;
	l->pl_ready_prev = NULL;
	l->pl_ready = IPC_PSET_IDLE;
	/* [R12]: the link is built before lock-free readers find it. */
	ipc_tsan_release(l);
	ck_pr_fence_store();
	ck_pr_store_ptr(&port->ip_psets, l);
	ck_pr_store_ptr(&pset->ips_members, l);
	ipc_waitfd_link_changed(port, &pset->ips_rcv_wq);
	/*
	 * G8: a member with messages is ready at once and wakes the set's
	 * receivers.  [F13]: the link is published (above) before we look
	 * at the count; a sender that enqueues meanwhile finds the link.
	 */
	arch_fence_full(); /* [F13] */
	if (ipc_mqueue_count(port) != 0) {
		(void)ipc_pset_ready(l);
		ipc_waitq_wake(
		    &pset->ips_rcv_wq, IPC_WAKE_AFTER_STORE, IPC_WAKE_ALL);
	}
	return KERN_SUCCESS;
}

static kern_return_t
remove_member(struct ipc_port *port, struct ipc_pset *pset)
{
	struct ipc_pset_link *l;

	for (l = port->ip_psets; l != NULL; l = l->pl_next_in_port) {
		if (l->pl_pset == pset) {
			unlink_from_port(l);
			unlink_from_pset(l);
			link_free(l);
			return KERN_SUCCESS;
		}
	}
	return KERN_NOT_IN_SET;
}

/*
 * Leave every named set but keep (NULL: all of them).  Workloops' unnamed
 * sets are no port sets to the user: move_member leaves them alone.
 * Conditions: space locked.
 */
static void
leave_named_sets_except(struct ipc_port *port, struct ipc_pset *keep)
{
	struct ipc_pset_link **pp = &port->ip_psets, *l;

	while ((l = *pp) != NULL) {
		if (l->pl_pset == keep || l->pl_pset->ips_unnamed) {
			pp = &l->pl_next_in_port;
			continue;
		}
		ck_pr_store_ptr(pp, l->pl_next_in_port);
		unlink_from_pset(l);
		link_free(l);
	}
}

bool
ipc_pset_port_in_named_set(const struct ipc_port *port)
{
	const struct ipc_pset_link *l;

	for (l = port->ip_psets; l != NULL; l = l->pl_next_in_port) {
		if (!l->pl_pset->ips_unnamed)
			return true;
	}
	return false;
}

/* Workloops' membership (workloop.c).  Conditions: space locked. */
kern_return_t
ipc_pset_add_member_locked(
    struct mipc_space *space, struct ipc_port *port, struct ipc_pset *pset)
{
	ipc_lock_assert_held(&space->is_lock);
	return ipc_pset_has_port(pset, port) ? KERN_ALREADY_IN_SET
	                                     : add_member(port, pset);
}

kern_return_t
ipc_pset_remove_member_locked(
    struct mipc_space *space, struct ipc_port *port, struct ipc_pset *pset)
{
	ipc_lock_assert_held(&space->is_lock);
	return remove_member(port, pset);
}

enum member_op { MEMBER_INSERT, MEMBER_EXTRACT, MEMBER_MOVE };

static kern_return_t
member_call(mipc_space_t task, mach_port_name_t name,
    mach_port_name_t pset_name, enum member_op op)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_port *port;
	struct ipc_pset *pset;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = translate_member(
		    space, name, pset_name, op == MEMBER_MOVE, &port, &pset);
	if (kr != KERN_SUCCESS)
		goto out;
	switch (op) {
	case MEMBER_INSERT:
		kr = ipc_pset_has_port(pset, port) ? KERN_ALREADY_IN_SET
		                                   : add_member(port, pset);
		break;
	case MEMBER_EXTRACT:
		kr = remove_member(port, pset);
		break;
	case MEMBER_MOVE:
		/* G2: into pset (allocated first: on failure nothing changes),
		 * out of every other set; pset NULL: out of all of them. */
		if (pset == NULL)
			kr = ipc_pset_port_in_named_set(port) ? KERN_SUCCESS
			                                      : KERN_NOT_IN_SET;
		else if (!ipc_pset_has_port(pset, port))
			kr = add_member(port, pset);
		if (kr == KERN_SUCCESS)
			leave_named_sets_except(port, pset);
		break;
	}
out:
	is_unlock(space);
	ipc_guard_flush(space);
	return kr;
}

kern_return_t
mipc_port_insert_member(
    mipc_space_t space, mach_port_name_t name, mach_port_name_t pset)
{
	return member_call(space, name, pset, MEMBER_INSERT);
}

kern_return_t
mipc_port_extract_member(
    mipc_space_t space, mach_port_name_t name, mach_port_name_t pset)
{
	return member_call(space, name, pset, MEMBER_EXTRACT);
}

kern_return_t
mipc_port_move_member(
    mipc_space_t space, mach_port_name_t member, mach_port_name_t after)
{
	return member_call(space, member, after, MEMBER_MOVE);
}

static int
name_cmp(const void *a, const void *b)
{
	mach_port_name_t x = *(const mach_port_name_t *)a;
	mach_port_name_t y = *(const mach_port_name_t *)b;

	return x < y ? -1 : x > y;
}

kern_return_t
mipc_port_get_set_status(mipc_space_t task, mach_port_name_t name,
    mach_port_name_array_t *members, mach_msg_type_number_t *membersCnt)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct mipc_space *caller IPC_SPACE_HELD = NULL;
	struct ipc_vm_region *r = NULL;
	mach_port_name_t *v = NULL;
	struct ipc_pset_link *l;
	struct ipc_pset *pset;
	struct ipc_entry *e;
	uint32_t n = 0;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (members == NULL || membersCnt == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	caller = ipc_space_caller(space);
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr != KERN_SUCCESS)
		goto out;
	e = ipc_entry_lookup(space, name);
	if (e == NULL) {
		kr = KERN_INVALID_NAME;
		goto out;
	}
	if (IE_BITS_TYPE(e->ie_bits) != MACH_PORT_TYPE_PORT_SET) {
		kr = KERN_INVALID_RIGHT;
		goto out;
	}
	pset = ips_from_object(e->ie_object);
	for (l = pset->ips_members; l != NULL; l = l->pl_next_in_pset)
		n++;
	if (n != 0) {
		/* The caller's memory, as mach_port_names' (space.c). */
		kr = ipc_vm_alloc(NULL, n * sizeof(*v), true, &r);
		if (kr != KERN_SUCCESS) {
			kr = KERN_RESOURCE_SHORTAGE;
			goto out;
		}
		v = ipc_vm_addr(r);
		n = 0;
		for (l = pset->ips_members; l != NULL; l = l->pl_next_in_pset)
			v[n++] = l->pl_port->ip_receiver_name;
		qsort(v, n, sizeof(*v), name_cmp);
	}
out:
	is_unlock(space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (r != NULL && !ipc_vm_give(caller, r))
		return KERN_INVALID_TASK; /* a caller destroyed meanwhile */
	*members = v;
	*membersCnt = n;
	return KERN_SUCCESS;
}
