/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * right.c -- right arithmetic on names: lazy dead-name conversion, copyin
 * and copyout of single rights, user references (mod_refs, deallocate,
 * destroy, destruct), type and refs queries, insert_right / extract_right,
 * and what a dying space does with each right.
 *
 * Owns:      the meaning of an entry's type bits and user references
 *            (behaviour items B-F, Q7, W).
 * Locking:   every function here runs with the space locked (is_lock),
 *            except mipc_port_get_refs's fast path, which reads one entry
 *            inside an epoch section and falls back to the locked path on
 *            anything but a settled answer, and receive_destroy_flat,
 *            which only tries the space lock, through the handle, and
 *            lets the port die once it has left it.  Port locks nest
 *            inside.
 * Lifetime:  an entry holding a port right holds exactly one reference on
 *            the port, whatever rights and user references it has; a right
 *            held by a call (struct ipc_right) holds one too, plus its
 *            count in ip_srights / ip_sorights.
 * Choices:   * Rights follow XNU's ipc_right.c case by case; where XNU
 *              raises a guard flavor it is raised (guard.c), with payload 0
 *              for name/right/value errors and the guard for guard errors.
 *            * A NULL out-pointer returns KERN_INVALID_ARGUMENT (XNU's MIG
 *              would fault).
 *            * Immovable send rights (Q15) pass only where XNU passes
 *              ALLOW_IMMOVABLE_SEND: a message's destination, insert_right
 *              within one space, extract_right COPY_SEND into the same
 *              space.  Elsewhere: KERN_INVALID_CAPABILITY, with the
 *              IMMOVABLE guard only when the right is in the caller's own
 *              space (XNU's space == current_space()).  The caller of
 *              mipc_port_extract_right is the space the right goes to
 *              (`to`; mach_port_extract_right's current space), as for
 *              ALLOW_IMMOVABLE_SEND.
 */
#include "right.h"

#include "guard.h"
#include "kmsg.h"
#include "lock.h"
#include "notify.h"
#include "object.h"
#include "port.h"
#include "port_request.h"
#include "pset.h"
#include "space.h"
#include "task.h"
#include "thread.h"
#include "turnstile.h"
#include "workloop.h"

#include <mipc/mach.h>
#include <mipc/port.h>
/* ------------------------------------------------------------------ */
/* Entry helpers                                                       */

static inline uint32_t
e_type(const struct ipc_entry *e)
{
	return IE_BITS_TYPE(e->ie_bits);
}

static inline uint32_t
e_urefs(const struct ipc_entry *e)
{
	return IE_BITS_UREFS(e->ie_bits);
}

/* Replace type and urefs, keeping generation and roll point. */
static inline void
e_set(struct ipc_entry *e, uint32_t type, uint32_t urefs)
{
	ipc_require(urefs <= MACH_PORT_UREFS_MAX, "urefs within 16 bits");
	ck_pr_store_32(&e->ie_bits,
	    (e->ie_bits &
	        (IE_BITS_GEN_MASK | IE_BITS_ROLL_MASK | IE_BITS_EX_RECEIVE)) |
	        type | urefs);
}

static inline struct ipc_port *
e_port(const struct ipc_entry *e)
{
	return ip_from_object(e->ie_object);
}

/* urefs + delta, saturating at MACH_PORT_UREFS_MAX (B13). */
static inline uint32_t
urefs_add(uint32_t urefs, uint32_t delta)
{
	return urefs + delta >= MACH_PORT_UREFS_MAX ? MACH_PORT_UREFS_MAX
	                                            : urefs + delta;
}

/*
 * |delta| of a negative delta, in unsigned arithmetic: -INT_MIN overflows
 * an int (issue 12); 0u - (uint32_t)INT_MIN is 2^31, an underflow like
 * any other (XNU's MACH_PORT_UREFS_UNDERFLOW, which the kernel computes
 * with wrapping arithmetic).
 */
static inline uint32_t
delta_magnitude(mach_port_delta_t delta)
{
	return 0u - (uint32_t)delta;
}

/*
 * Drop one send right without releasing a reference (the entry keeps its
 * reference for another right it holds).
 */
static void
srights_drop(struct ipc_port *port)
{
	if (ip_srights_dec(port) == 0)
		ipc_port_srights_zero(port);
}

/* ------------------------------------------------------------------ */
/* Lazy dead-name conversion (D4)                                      */

/*
 * ipc_right_check
 *	If the entry holds a send or send-once right to a port that died,
 *	turn it into a dead name now: same user references for a send right,
 *	one for a send-once right.
 * Conditions:
 *	Space locked.  Returns true when the entry was converted.
 */
bool
ipc_right_check(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	uint32_t type = e_type(e), urefs;
	struct ipc_port *port;

	ipc_lock_assert_held(&space->is_lock);
	if (!(type & MACH_PORT_TYPE_SEND_RIGHTS) ||
	    (type & MACH_PORT_TYPE_RECEIVE))
		return false;
	port = e_port(e);
	if (ip_active(port))
		return false;
	urefs = (type & MACH_PORT_TYPE_SEND) ? e_urefs(e) : 1;
	if (ipc_port_request_is(port, name, e->ie_index, true)) {
		/* D4, P17: the DEAD_NAME notification carries a reference. */
		if (urefs < MACH_PORT_UREFS_MAX)
			urefs++;
	}
	e->ie_index = 0;
	/*
	 * The entry forgets the port before its reference goes: that may be
	 * the last one, and a lock-free reader entering after the port's
	 * retirement must not find it here (object.h, [R7]).
	 */
	ck_pr_store_ptr(&e->ie_object, NULL);
	e_set(e, MACH_PORT_TYPE_DEAD_NAME, urefs);
	if (type & MACH_PORT_TYPE_SEND) {
		ipc_rmap_delete(space, port);
		ipc_port_release_send(port);
	} else {
		ipc_port_release_sonce(port);
	}
	return true;
}

/*
 * Type and user references of an entry, after conversion.
 * Conditions: space locked.
 */
kern_return_t
ipc_right_type_locked(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_type_t *typep, mach_port_urefs_t *urefsp)
{
	ipc_lock_assert_held(&space->is_lock);
	(void)ipc_right_check(space, name, e);
	ipc_right_peek_locked(space, name, e, typep);
	*urefsp = e_urefs(e);
	return KERN_SUCCESS;
}

/*
 * The same, without converting: a send or send-once right whose port died
 * reads as the dead name it will become, and the entry is left as it is
 * (XNU's mach_port_names, D5; C8 still applies to such a send-once name).
 * Conditions: space locked.
 */
void
ipc_right_peek_locked(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_type_t *typep)
{
	uint32_t type = e_type(e);

	ipc_lock_assert_held(&space->is_lock);
	if ((type & MACH_PORT_TYPE_SEND_RIGHTS) &&
	    !(type & MACH_PORT_TYPE_RECEIVE) && !ip_active(e_port(e))) {
		*typep = MACH_PORT_TYPE_DEAD_NAME;
		return;
	}
	*typep = type;
	/* D3: a live request shows as DNREQUEST. */
	if (e->ie_index != 0 && e->ie_object != NULL &&
	    ipc_port_request_is(e_port(e), name, e->ie_index, false))
		*typep |= MACH_PORT_TYPE_DNREQUEST;
}

/* ------------------------------------------------------------------ */
/* Removing rights from an entry                                       */

/* Free the entry of a name whose last right just went away. */
static void
entry_free(struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	uint32_t index = e->ie_index;
	struct ipc_object *o = e->ie_object;

	e->ie_index = 0;
	ipc_entry_dealloc(space, name, e);
	/* P18: a request on a name whose right goes: PORT_DELETED. */
	if (index != 0 && o != NULL && o->io_kind == IOT_PORT)
		ipc_port_request_deleted(ip_from_object(o), name, index);
}

/*
 * Take the receive right out of an entry: the port leaves its sets and
 * its receiver; the entry keeps a send right if it has one, else is freed.
 * Returns the port, IN_LIMBO, with one reference for the receive right.
 * Conditions: space locked; the entry holds the receive right.
 */
static struct ipc_port *
receive_take(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	struct ipc_workloop *wl;
	struct ipc_ts_ctx ctx;
	struct ipc_port *port = e_port(e);

	ipc_pset_remove_port_locked(space, port);
	ipc_ts_ctx_init(&ctx);
	ip_lock(port);
	wl = ipc_port_clear_receiver_locked(port, &ctx);
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	if (wl != NULL)
		ipc_workloop_release(wl);
	if (e_type(e) & MACH_PORT_TYPE_SEND) {
		/* The name keeps its send right and its own reference. */
		ip_reference(port);
		e_set(e, MACH_PORT_TYPE_SEND, e_urefs(e));
		ck_pr_store_32(&e->ie_bits, e->ie_bits | IE_BITS_EX_RECEIVE);
	} else {
		entry_free(space, name, e);
	}
	return port;
}

/*
 * Destroy the receive right of a receive-only entry: the name goes, the
 * port dies (one port lock, in ipc_port_destroy).
 * Conditions: space locked; the entry holds only the receive right.
 */
static inline __attribute__((always_inline)) void
receive_destroy(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	struct ipc_port *port = e_port(e);

	ipc_require(e_type(e) == MACH_PORT_TYPE_RECEIVE, "receive-only entry");
	ipc_pset_remove_port_locked(space, port);
	entry_free(space, name, e);
	ipc_port_destroy(port);
}

/*
 * Destroy the receive right held by an entry (mod_refs(RECEIVE, -1),
 * destruct): the port dies, and a send right under the same name becomes
 * a dead name with the same user references, with no no-senders
 * processing (B18, Q7).
 * Conditions: space locked; the entry holds the receive right.
 */
static void
receive_destroy_keep_name(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	struct ipc_port *port = e_port(e);
	uint32_t urefs = e_urefs(e);

	if (port->ip_pdrequest != NULL) {
		/* B19, Q7: the right goes to the backup; a send right stays. */
		port = receive_take(space, name, e);
		ipc_port_destroy(port);
		return;
	}
	if (e_type(e) & MACH_PORT_TYPE_SEND) {
		if (ipc_port_request_is(port, name, e->ie_index, false)) {
			/* B18, P19: DEAD_NAME fires and carries a reference. */
			if (urefs < MACH_PORT_UREFS_MAX)
				urefs++;
		}
		e->ie_index = 0;
		ipc_pset_remove_port_locked(space, port);
		ipc_rmap_delete(space, port);
		ip_lock(port);
		/* The name's send right goes silently with the port. */
		/* Relaxed: the port is dying; nothing may fire. */
		(void)ip_srights_dec(port);
		ip_unlock(port);
		ck_pr_store_ptr(&e->ie_object, NULL);
		e_set(e, MACH_PORT_TYPE_DEAD_NAME, urefs);
		ck_pr_store_32(&e->ie_bits, e->ie_bits | IE_BITS_EX_RECEIVE);
		ipc_port_destroy(port);
	} else {
		receive_destroy(space, name, e);
	}
}

/*
 * Remove the send right (all its user references) of an entry.  A
 * receive right under the same name stays.
 * Conditions: space locked; the entry holds a live send right.
 */
static void
send_remove(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	struct ipc_port *port = e_port(e);

	ipc_rmap_delete(space, port);
	if (e_type(e) & MACH_PORT_TYPE_RECEIVE) {
		e_set(e, MACH_PORT_TYPE_RECEIVE, 0);
		srights_drop(port);
	} else {
		entry_free(space, name, e);
		ipc_port_release_send(port);
	}
}

/* Remove a send-once right: it is destroyed unused. */
static void
sonce_remove(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	struct ipc_port *port = e_port(e);

	entry_free(space, name, e);
	ipc_port_destroy_sonce(port); /* B20, B25, P25 */
}

/* Remove a port set. */
static void
pset_remove(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	struct ipc_pset *pset = ips_from_object(e->ie_object);

	entry_free(space, name, e);
	ipc_pset_destroy_locked(space, pset);
}

/* Apply delta to a send or dead-name user count (B11-B13, B22). */
static kern_return_t
urefs_delta(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_delta_t delta)
{
	uint32_t urefs = e_urefs(e);
	bool dead = e_type(e) == MACH_PORT_TYPE_DEAD_NAME;

	if (delta == 0)
		return KERN_SUCCESS;
	if (delta > (mach_port_delta_t)MACH_PORT_UREFS_MAX ||
	    delta < -(mach_port_delta_t)MACH_PORT_UREFS_MAX) {
		ipc_guard_raise(name, kGUARD_EXC_INVALID_VALUE, 0);
		return KERN_INVALID_VALUE;
	}
	if (urefs == MACH_PORT_UREFS_MAX) {
		/* Pinned: only exactly -MAX removes the right. */
		if (delta != -(mach_port_delta_t)MACH_PORT_UREFS_MAX)
			return KERN_SUCCESS;
		urefs = 0;
	} else if (delta < 0) {
		if (delta_magnitude(delta) > urefs) {
			ipc_guard_raise(name, kGUARD_EXC_INVALID_VALUE, 0);
			return KERN_INVALID_VALUE;
		}
		urefs -= delta_magnitude(delta);
	} else {
		urefs = urefs_add(urefs, (uint32_t)delta);
	}
	if (urefs == 0 && !dead && ipc_task_pinned(space, e_port(e))) {
		/* The self name's last reference (task.c, "Pinning"). */
		ipc_guard_raise(name, kGUARD_EXC_MOD_REFS_NON_FATAL,
		    MPG_FLAGS_MOD_REFS_PINNED_DEALLOC);
		return KERN_INVALID_CAPABILITY;
	}
	if (urefs != 0) {
		e_set(e, e_type(e), urefs);
	} else if (dead) {
		entry_free(space, name, e);
	} else {
		send_remove(space, name, e);
	}
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The flat path of a receive right's destruction                      */

/*
 * The flat path's ways out that make calls, out of line so that the path
 * itself makes none and keeps no value across one (it saves no
 * register): a port not quiet (ipc_port_destroy_busy), one
 * referenced elsewhere (ipc_port_destroy); and ipc_port_retired_flush,
 * for a full retirement batch.  Void: the flat path's answer is true
 * after each, with nothing kept across the call.
 */
static IPC_NOINLINE void
receive_destroy_busy(mipc_space_t task, struct ipc_port *port)
{
	if (ipc_port_destroy_busy(port))
		ipc_port_flat_note();
	ipc_guard_flush_task(task);
}

static IPC_NOINLINE void
receive_destroy_general(mipc_space_t task, struct ipc_port *port)
{
	ipc_port_flat_note();
	ipc_port_destroy(port); /* the entry's reference with the right */
	ipc_guard_flush_task(task);
}

/*
 * receive_destroy_flat
 *	mach_port_destroy, mod_refs(RECEIVE, -1) and destruct(srdelta 0) of
 *	a quiet receive right, the common case: a receive-only entry with
 *	no request under its name, its port in no set, unguarded, context
 *	0, no special reply port, attached to no workloop and watched by no
 *	thread, with no port-destroyed, no-senders or dead-name request, no
 *	queue (ring) and no send right counted.  Every such call ends alike
 *	(receive_destroy): the name goes, the port dies.  One hold of the
 *	space lock, tried through the handle with neither a reference nor
 *	an epoch section (ipc_space_lock_try_hint: slots and their locks
 *	are type-stable; the thread's slot hint saves the directory), no
 *	layer between the entry and the port's death, and no call but the
 *	ways out above.
 *	  When the entry's reference is the port's only one (io_refs read
 *	1 under the space lock, after [F141]), the caller is the port's
 *	only user (object.h, Lifetime), and what the space lock does not
 *	settle is read once, exact, by ipc_port_quiet.  A quiet port's
 *	count is erased -- a store of 0, no atomic: a reader's reference_try
 *	landing meanwhile is told so by ipc_port_reference_try_found
 *	(space.h), as the bumped is_erase_seq shows it -- its entry goes in
 *	the same hold, and it dies unlocked (ipc_port_die_quiet).  One that
 *	is not quiet takes the general death with the entry's reference
 *	(ipc_port_destroy_busy, the port lock).  A port referenced
 *	elsewhere takes it (ipc_port_destroy) if the hints below say quiet.
 *	  Anything else returns false having done nothing: the general
 *	path, the specification, decides.
 * Conditions: nothing locked; name valid.
 */
static inline __attribute__((always_inline)) bool
receive_destroy_flat(mipc_space_t task, mach_port_name_t name)
{
	struct ipc_thread *th = ipc_thread_cur;
	struct mipc_space *space;
	struct ipc_entry *e;
	struct ipc_port *port;
	uint32_t bits;
	uintptr_t busy;

	if (unlikely(th == NULL))
		return false;
	/* A hold that may erase a count (space.h): marked, waits for
	 * nothing. */
	space = ipc_space_lock_try_hint(th, task, IPC_LOCK_ERASING);
	if (unlikely(space == NULL))
		return false;
	e = ipc_entry_lookup_bits(space, name, &bits);
	if (e == NULL || IE_BITS_TYPE(bits) != MACH_PORT_TYPE_RECEIVE ||
	    e->ie_index != 0)
		goto unlock;
	/* A receive right's entry names a port (ipc_entry_set_object). */
	port = (struct ipc_port *)e->ie_object;
	ipc_assert_slow(port->ip_object.io_kind == IOT_PORT, "a port");
	/*
	 * Set under the space lock (the receive right's): settled.  The
	 * guard too, but other bits of ip_flags change under the port lock
	 * alone; the special-reply bit is constant.  One test of them all.
	 */
	busy = (uintptr_t)port->ip_psets | (uintptr_t)port->ip_pdrequest |
	    (uintptr_t)port->ip_context |
	    (ck_pr_load_32(&port->ip_flags) & IP_F_GUARDED) |
	    (port->ip_cflags & IP_F_SPECIAL_REPLY);
	if (busy != 0)
		goto unlock;
	/* A reader's increment after our read of the count sees the lock
	 * held, or is_erase_seq moved (space.h). */
	ck_pr_fence_atomic_load(); /* [F141]: the lock word, then the count */
	if (likely(ck_pr_load_32(&port->ip_object.io_refs) == 1)) {
		if (unlikely(!ipc_port_quiet(port))) {
			ipc_entry_dealloc_inline(space, name, e);
			is_unlock(space);
			receive_destroy_busy(task, port);
			return true;
		}
		ipc_debug_yield(IPC_YIELD_DESTROY); /* tests: a reader here */
		/* [R142]: the count moved before the unlock ([A142]), after
		 * the lock word ([F141] above orders it on weak machines). */
		ck_pr_store_32(&space->is_erase_seq, space->is_erase_seq + 1);
		/* [R143]/[R153]: a store, not a CAS -- the erasure (space.h);
		 * the unlock's release orders it for readers that see it free
		 * (settle's [A143], the first look's [A153]). */
		ck_pr_store_32(&port->ip_object.io_refs, 0);
		ipc_entry_dealloc_inline(space, name, e); /* entry_free's */
		is_unlock(space);
		ipc_port_flat_note();
		/* No guard flush: a quiet death raises no violation, and
		 * every entry point delivers its own before it returns. */
		if (unlikely(ipc_port_die_quiet(th, port)))
			ipc_port_retired_flush(th);
		return true;
	}
	/*
	 * Referenced elsewhere: hints, read without the port lock (a
	 * workloop or watcher lets go, others clear the no-senders request,
	 * arm dead-name requests, make the ring and count send rights under
	 * the port lock alone); the port lock decides.
	 */
	busy = ck_pr_load_32(&port->ip_srights) |
	    (uintptr_t)ck_pr_load_ptr(&port->ip_workloop) |
	    (uintptr_t)ck_pr_load_ptr(&port->ip_watchport) |
	    (uintptr_t)ck_pr_load_ptr(&port->ip_nsrequest) |
	    (uintptr_t)ck_pr_load_ptr(&port->ip_requests) |
	    (uintptr_t)ck_pr_load_ptr(&port->ip_mq.imq_ring);
	if (busy != 0)
		goto unlock;
	ipc_entry_dealloc_inline(space, name, e); /* no request: entry_free's */
	is_unlock(space);
	receive_destroy_general(task, port);
	return true;
unlock:
	is_unlock(space);
	return false;
}

/* ------------------------------------------------------------------ */
/* mach_port_mod_refs (B6-B22)                                         */

static kern_return_t
invalid_right(mach_port_name_t name)
{
	ipc_guard_raise(name, kGUARD_EXC_INVALID_RIGHT, 0);
	return KERN_INVALID_RIGHT;
}

static kern_return_t
right_delta(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_right_t right, mach_port_delta_t delta)
{
	uint32_t type = e_type(e);
	struct ipc_port *port;

	switch (right) {
	case MACH_PORT_RIGHT_RECEIVE:
		if (!(type & MACH_PORT_TYPE_RECEIVE))
			return invalid_right(name);
		if (delta == 0)
			return KERN_SUCCESS;
		if (delta != -1)
			return KERN_INVALID_VALUE;
		port = e_port(e);
		if (port->ip_flags & IP_F_GUARDED) {
			/* B17: regardless of the guard value. */
			ipc_guard_raise(
			    name, kGUARD_EXC_DESTROY, port->ip_context);
			return KERN_INVALID_RIGHT;
		}
		receive_destroy_keep_name(space, name, e);
		return KERN_SUCCESS;

	case MACH_PORT_RIGHT_SEND_ONCE:
		if (ipc_right_check(space, name, e))
			return KERN_INVALID_RIGHT;
		if (!(type & MACH_PORT_TYPE_SEND_ONCE))
			return invalid_right(name);
		if (delta == 0)
			return KERN_SUCCESS;
		if (delta != -1)
			return KERN_INVALID_VALUE;
		sonce_remove(space, name, e);
		return KERN_SUCCESS;

	case MACH_PORT_RIGHT_PORT_SET:
		if (type != MACH_PORT_TYPE_PORT_SET)
			return invalid_right(name);
		if (delta == 0)
			return KERN_SUCCESS;
		if (delta != -1)
			return KERN_INVALID_VALUE;
		pset_remove(space, name, e);
		return KERN_SUCCESS;

	case MACH_PORT_RIGHT_DEAD_NAME:
		(void)ipc_right_check(space, name, e);
		if (e_type(e) != MACH_PORT_TYPE_DEAD_NAME)
			return invalid_right(name);
		return urefs_delta(space, name, e, delta);

	case MACH_PORT_RIGHT_SEND:
		if (ipc_right_check(space, name, e))
			return KERN_INVALID_RIGHT; /* B15: now a dead name */
		if (type == MACH_PORT_TYPE_DEAD_NAME)
			return KERN_INVALID_RIGHT; /* no guard (B9) */
		if (!(type & MACH_PORT_TYPE_SEND)) {
			/* B9/B14: no guard for SEND +k on a receive right. */
			if (delta > 0 && (type & MACH_PORT_TYPE_RECEIVE))
				return KERN_INVALID_RIGHT;
			return invalid_right(name);
		}
		return urefs_delta(space, name, e, delta);

	default: /* MACH_PORT_RIGHT_LABELH */
		return invalid_right(name);
	}
}

/*
 * The common shell of the name-level calls: validate the space, lock it,
 * look the name up, run fn, unlock, deliver guard violations.
 */
typedef kern_return_t (*name_op_t)(struct mipc_space *space,
    mach_port_name_t name, struct ipc_entry *e, void *arg);

static inline __attribute__((always_inline)) kern_return_t
with_name(struct mipc_space *space, mach_port_name_t name, bool guard_unknown,
    name_op_t fn, void *arg)
{
	struct ipc_entry *e;
	kern_return_t kr;

	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS) {
		e = ipc_entry_lookup(space, name);
		if (e == NULL) {
			if (guard_unknown)
				ipc_guard_raise(
				    name, kGUARD_EXC_INVALID_NAME, 0);
			kr = KERN_INVALID_NAME;
		} else {
			kr = fn(space, name, e, arg);
		}
	}
	is_unlock(space);
	ipc_guard_flush(space);
	return kr;
}

struct delta_arg {
	mach_port_right_t da_right;
	mach_port_delta_t da_delta;
};

static kern_return_t
op_mod_refs(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, void *arg)
{
	struct delta_arg *da = arg;

	return right_delta(space, name, e, da->da_right, da->da_delta);
}

/* The general path, out of line: the flat one saves fewer registers. */
static IPC_NOINLINE kern_return_t
mod_refs_slow(mipc_space_t task, mach_port_name_t name, mach_port_right_t right,
    mach_port_delta_t delta)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;
	struct delta_arg da = { right, delta };

	(void)ipc_thread_self(); /* state for receive_destroy_flat */
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (right >= MACH_PORT_RIGHT_NUMBER)
		return KERN_INVALID_VALUE;
	if (!MACH_PORT_VALID(name)) {
		/* B7: a send-type no-op on NULL / DEAD. */
		if (right == MACH_PORT_RIGHT_SEND ||
		    right == MACH_PORT_RIGHT_SEND_ONCE)
			return KERN_SUCCESS;
		return KERN_INVALID_NAME;
	}
	return with_name(space, name, true, op_mod_refs, &da);
}

kern_return_t
mipc_port_mod_refs(mipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_delta_t delta)
{
	if (right == MACH_PORT_RIGHT_RECEIVE && delta == -1 &&
	    MACH_PORT_VALID(name) && receive_destroy_flat(task, name))
		return KERN_SUCCESS;
	return mod_refs_slow(task, name, right, delta);
}

/* ------------------------------------------------------------------ */
/* mach_port_deallocate (B23-B29)                                      */

static kern_return_t
op_deallocate(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, void *arg)
{
	uint32_t type;

	(void)arg;
	(void)ipc_right_check(space, name, e); /* B27 */
	type = e_type(e);
	if (type == MACH_PORT_TYPE_DEAD_NAME || (type & MACH_PORT_TYPE_SEND))
		return urefs_delta(space, name, e, -1);
	if (type == MACH_PORT_TYPE_SEND_ONCE) {
		sonce_remove(space, name, e);
		return KERN_SUCCESS;
	}
	if (type == MACH_PORT_TYPE_PORT_SET) {
		pset_remove(space, name, e); /* B29 */
		return KERN_SUCCESS;
	}
	return invalid_right(name); /* B28: receive only */
}

kern_return_t
mipc_port_deallocate(mipc_space_t task, mach_port_name_t name)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!MACH_PORT_VALID(name))
		return KERN_SUCCESS;
	return with_name(space, name, true, op_deallocate, NULL);
}

/* ------------------------------------------------------------------ */
/* mach_port_destroy (C1-C5)                                           */

static kern_return_t
op_destroy(struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e,
    void *arg)
{
	struct ipc_port *port;
	uint32_t type;

	(void)arg;
	(void)ipc_right_check(space, name, e);
	type = e_type(e);
	if (type == MACH_PORT_TYPE_DEAD_NAME) {
		entry_free(space, name, e);
		return KERN_SUCCESS;
	}
	if (type == MACH_PORT_TYPE_PORT_SET) {
		pset_remove(space, name, e);
		return KERN_SUCCESS;
	}
	if (type == MACH_PORT_TYPE_SEND_ONCE) {
		sonce_remove(space, name, e);
		return KERN_SUCCESS;
	}
	if (!(type & MACH_PORT_TYPE_RECEIVE)) {
		if (ipc_task_pinned(space, e_port(e))) {
			ipc_guard_raise(name, kGUARD_EXC_MOD_REFS_NON_FATAL,
			    MPG_FLAGS_MOD_REFS_PINNED_DESTROY);
			return KERN_INVALID_CAPABILITY;
		}
		send_remove(space, name, e);
		return KERN_SUCCESS;
	}
	port = e_port(e);
	/* C5: destroy checks the guard against 0. */
	if ((port->ip_flags & IP_F_GUARDED) && port->ip_context != 0) {
		ipc_guard_raise(name, kGUARD_EXC_DESTROY, port->ip_context);
		return KERN_INVALID_RIGHT;
	}
	/* C4: the send right goes first (it may fire no-senders). */
	if (type & MACH_PORT_TYPE_SEND)
		send_remove(space, name, e);
	receive_destroy(space, name, e);
	return KERN_SUCCESS;
}

/* The general path, out of line: the flat one saves fewer registers. */
static IPC_NOINLINE kern_return_t
destroy_slow(mipc_space_t task, mach_port_name_t name)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	(void)ipc_thread_self(); /* state for receive_destroy_flat */
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!MACH_PORT_VALID(name))
		return KERN_SUCCESS;
	return with_name(space, name, true, op_destroy, NULL);
}

kern_return_t
mipc_port_destroy(mipc_space_t task, mach_port_name_t name)
{
	if (likely(MACH_PORT_VALID(name)) && receive_destroy_flat(task, name))
		return KERN_SUCCESS;
	return destroy_slow(task, name);
}

/* ------------------------------------------------------------------ */
/* mach_port_destruct (Q7, Q8)                                         */

struct destruct_arg {
	mach_port_delta_t dd_srdelta;
	mach_port_context_t dd_guard;
};

static kern_return_t
op_destruct(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, void *arg)
{
	struct destruct_arg *dd = arg;
	uint32_t type = e_type(e), urefs;
	struct ipc_port *port;

	if (!(type & MACH_PORT_TYPE_RECEIVE))
		return invalid_right(name);
	if (dd->dd_srdelta != 0 && !(type & MACH_PORT_TYPE_SEND))
		return invalid_right(name);
	if (dd->dd_srdelta > 0)
		return KERN_INVALID_VALUE;
	port = e_port(e);
	if ((port->ip_flags & IP_F_GUARDED) &&
	    port->ip_context != dd->dd_guard) {
		ipc_guard_raise(name, kGUARD_EXC_DESTROY, port->ip_context);
		return KERN_INVALID_ARGUMENT;
	}
	urefs = e_urefs(e);
	if (dd->dd_srdelta != 0) {
		uint32_t k = delta_magnitude(dd->dd_srdelta);

		if (k > urefs) {
			/* Q7: underflow is refused first, pinned or not. */
			ipc_guard_raise(name, kGUARD_EXC_INVALID_VALUE, 0);
			return KERN_INVALID_VALUE;
		} else if (urefs == MACH_PORT_UREFS_MAX) {
			/* Pinned: only exactly -MAX removes the right. */
			if (k == MACH_PORT_UREFS_MAX)
				urefs = 0;
		} else {
			urefs -= k;
		}
		if (urefs == 0)
			send_remove(space, name, e); /* may fire no-senders */
		else
			e_set(e, type, urefs);
	}
	receive_destroy_keep_name(space, name, e);
	return KERN_SUCCESS;
}

/* The general path, out of line: the flat one saves fewer registers. */
static IPC_NOINLINE kern_return_t
destruct_slow(mipc_space_t task, mach_port_name_t name,
    mach_port_delta_t srdelta, mach_port_context_t guard)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;
	struct destruct_arg dd = { srdelta, guard };

	(void)ipc_thread_self(); /* state for receive_destroy_flat */
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	return with_name(space, name, false, op_destruct, &dd);
}

kern_return_t
mipc_port_destruct(mipc_space_t task, mach_port_name_t name,
    mach_port_delta_t srdelta, mach_port_context_t guard)
{
	/* Guarded ports are not flat: the guard needs no check there. */
	if (srdelta == 0 && MACH_PORT_VALID(name) &&
	    receive_destroy_flat(task, name))
		return KERN_SUCCESS;
	return destruct_slow(task, name, srdelta, guard);
}

/* ------------------------------------------------------------------ */
/* mach_port_type and mach_port_get_refs (B1-B5, D1-D2)                */

static kern_return_t
op_type(struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e,
    void *arg)
{
	mach_port_urefs_t urefs;

	return ipc_right_type_locked(space, name, e, arg, &urefs);
}

kern_return_t
mipc_port_type(
    mipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (ptype == NULL)
		return KERN_INVALID_ARGUMENT;
	if (name == MACH_PORT_NULL)
		return KERN_INVALID_NAME;
	if (name == MACH_PORT_DEAD) {
		*ptype = MACH_PORT_TYPE_DEAD_NAME;
		return KERN_SUCCESS;
	}
	return with_name(space, name, false, op_type, ptype);
}

/* MACH_PORT_TYPE(right) by table: no variable shift (its count register)
 * on the lookup fast path. */
static const uint32_t right_type[MACH_PORT_RIGHT_NUMBER] = {
	MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND),
	MACH_PORT_TYPE(MACH_PORT_RIGHT_RECEIVE),
	MACH_PORT_TYPE(MACH_PORT_RIGHT_SEND_ONCE),
	MACH_PORT_TYPE(MACH_PORT_RIGHT_PORT_SET),
	MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME),
	MACH_PORT_TYPE(MACH_PORT_RIGHT_LABELH),
};

/* Conditions: right < MACH_PORT_RIGHT_NUMBER. */
static mach_port_urefs_t
refs_of(uint32_t type, uint32_t urefs, mach_port_right_t right)
{
	if (!(type & right_type[right]))
		return 0;
	switch (right) {
	case MACH_PORT_RIGHT_SEND:
	case MACH_PORT_RIGHT_DEAD_NAME:
		return urefs;
	default:
		return 1;
	}
}

struct refs_arg {
	mach_port_right_t ra_right;
	mach_port_urefs_t *ra_refs;
};

static kern_return_t
op_get_refs(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, void *arg)
{
	struct refs_arg *ra = arg;
	mach_port_type_t type;
	mach_port_urefs_t urefs;

	(void)ipc_right_type_locked(space, name, e, &type, &urefs);
	*ra->ra_refs = refs_of(type, urefs, ra->ra_right);
	return KERN_SUCCESS;
}

IPC_COLD static kern_return_t
get_refs_slow(mipc_space_t task, mach_port_name_t name, mach_port_right_t right,
    mach_port_urefs_t *refs)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct refs_arg ra = { right, refs };
	kern_return_t kr = ipc_space_acquire(task, &space);

	if (kr != KERN_SUCCESS)
		return kr;
	if (right >= MACH_PORT_RIGHT_NUMBER)
		return KERN_INVALID_VALUE; /* B1: before the name */
	if (refs == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!MACH_PORT_VALID(name)) {
		if (right == MACH_PORT_RIGHT_SEND ||
		    right == MACH_PORT_RIGHT_SEND_ONCE) {
			*refs = 1; /* B2 quirk */
			return KERN_SUCCESS;
		}
		return KERN_INVALID_NAME;
	}
	return with_name(space, name, false, op_get_refs, &ra);
}

/*
 * The fast path declined inside its section: close it, take the locked
 * path.  The caller's own arguments, unmoved: its tail call keeps them in
 * their registers all along.
 */
IPC_COLD static kern_return_t
get_refs_declined(mipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs)
{
	ipc_epoch_exit(ipc_thread_cur);
	return get_refs_slow(task, name, right, refs);
}

/*
 * The fast path's end for a send-only right, whose count is settled only
 * while its port lives (a dead port's needs the locked dead-name
 * conversion): inside the caller's section, the entry's snapshot `bits`.
 * Reached by a tail call, so that the other names' path needs no
 * register for the entry and saves none (each save is one more store for
 * the section's exchange to wait for).
 */
static IPC_NOINLINE kern_return_t
get_refs_send_only(mipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs, const struct ipc_entry *e,
    uint32_t bits)
{
	struct ipc_object *o = ipc_entry_load_kind(e, IOT_PORT);

	if (o == NULL || !ip_active(ip_from_object(o)) ||
	    ck_pr_load_32(&e->ie_bits) != bits)
		return get_refs_declined(task, name, right, refs);
	*refs = refs_of(IE_BITS_TYPE(bits), IE_BITS_UREFS(bits), right);
	ipc_epoch_exit(ipc_thread_cur);
	return KERN_SUCCESS;
}

/* The fast path's section closed, a reclamation poll due. */
IPC_COLD static kern_return_t
get_refs_poll(struct ipc_thread *th)
{
	ipc_epoch_poll_slow(th);
	return KERN_SUCCESS;
}

/* A thread's first call: its state, then the fast path. */
IPC_COLD static kern_return_t
get_refs_first(mipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs)
{
	if (ipc_thread_init_slow() == NULL)
		return get_refs_slow(task, name, right, refs);
	return mipc_port_get_refs(task, name, right, refs);
}

/*
 * get_refs_in
 *	The fast path's end, its space found: the entry, the answer.
 * Conditions:
 *	Inside the section get_refs_fast opened; th is ipc_thread_cur.
 */
static inline __attribute__((always_inline)) kern_return_t
get_refs_in(struct ipc_thread *th, struct mipc_space *space, mipc_space_t task,
    mach_port_name_t name, mach_port_right_t right, mach_port_urefs_t *refs)
{
	struct ipc_entry *e;
	uint32_t bits, type;

	e = ipc_entry_lookup_bits(space, name, &bits);
	if (unlikely(e == NULL))
		return get_refs_declined(task, name, right, refs);
	type = IE_BITS_TYPE(bits);
	if ((type & MACH_PORT_TYPE_SEND_RIGHTS) &&
	    !(type & MACH_PORT_TYPE_RECEIVE))
		return get_refs_send_only(task, name, right, refs, e, bits);
	/* Otherwise the 32 bits read at once are the whole answer. */
	*refs = refs_of(type, IE_BITS_UREFS(bits), right);
	if (unlikely(ipc_epoch_exit_poll_due(th)))
		return get_refs_poll(th);
	return KERN_SUCCESS;
}

/*
 * get_refs_resolve
 *	The fast path's space when the thread's hint (th_slot) is not the
 *	slot `task` names: the slot from the directory, kept as the next
 *	hint if the handle resolves.  A thread that alternates between
 *	spaces comes here each time: a directory load more than without
 *	the hint, and no second section.
 * Conditions:
 *	Inside the section get_refs_fast opened.
 */
static IPC_NOINLINE kern_return_t
get_refs_resolve(mipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs)
{
	struct ipc_thread *th = ipc_thread_cur;
	struct mipc_space *slot = ipc_space_slot(task);
	struct mipc_space *space = ipc_space_lookup_slot(slot, task);

	if (unlikely(space == NULL))
		return get_refs_declined(task, name, right, refs);
	th->th_slot = slot;
	return get_refs_in(th, space, task, name, right, refs);
}

/*
 * get_refs_fast
 *	The lookup fast path: one entry read inside an epoch section, no
 *	lock.  Anything unusual -- bad arguments, an unknown name, a send
 *	right whose port may have died (it needs the locked dead-name
 *	conversion), a destroyed space -- takes the locked path, which is the
 *	specification.  Every way out of the fast path is a tail call with
 *	the caller's own arguments, so that the path saves no register for a
 *	call it does not make.
 *	The space: the slot this thread resolved last (th_slot, loaded
 *	before the section: a slot is never freed), which
 *	ipc_space_lookup_slot accepts only if it is the slot `task` names;
 *	else get_refs_resolve finds it in the directory, in the same
 *	section.  The hint saves the directory load and the slot's address
 *	arithmetic on every call to the same space.
 *	Inlined twice: with `right` the constant MACH_PORT_RIGHT_SEND, the
 *	common query, whose refs_of folds to one bit test (no table load,
 *	no bounds check), and with any right (get_refs_any).
 */
static inline __attribute__((always_inline)) kern_return_t
get_refs_fast(mipc_space_t task, mach_port_name_t name, mach_port_right_t right,
    mach_port_urefs_t *refs)
{
	struct ipc_thread *th = ipc_thread_cur;
	struct mipc_space *slot, *space;

	/* Names 0 and MACH_PORT_DEAD (B2) index no entry: the lookup fails. */
	if (unlikely(task == NULL || right >= MACH_PORT_RIGHT_NUMBER ||
	        refs == NULL))
		return get_refs_slow(task, name, right, refs);
	if (unlikely(th == NULL))
		return get_refs_first(task, name, right, refs);
	/* An entry point inside a section is a re-entry (a signal handler):
	 * the locked path. */
	if (unlikely(ipc_epoch_inside(th)))
		return get_refs_slow(task, name, right, refs);
	slot = th->th_slot;
	ipc_epoch_enter_outer(th);
	space = ipc_space_lookup_slot(slot, task);
	if (unlikely(space == NULL))
		return get_refs_resolve(task, name, right, refs);
	return get_refs_in(th, space, task, name, right, refs);
}

/* get_refs_fast for a right other than MACH_PORT_RIGHT_SEND. */
static IPC_NOINLINE kern_return_t
get_refs_any(mipc_space_t task, mach_port_name_t name, mach_port_right_t right,
    mach_port_urefs_t *refs)
{
	return get_refs_fast(task, name, right, refs);
}

/*
 * mipc_port_get_refs
 *	get_refs_fast, compiled for MACH_PORT_RIGHT_SEND here and for any
 *	right in get_refs_any.
 */
kern_return_t
mipc_port_get_refs(mipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs)
{
	if (likely(right == MACH_PORT_RIGHT_SEND))
		return get_refs_fast(task, name, MACH_PORT_RIGHT_SEND, refs);
	return get_refs_any(task, name, right, refs);
}

/* ------------------------------------------------------------------ */
/* Copyin of one right (XNU ipc_right_copyin)                          */

/*
 * Q15: send and send-once rights of an immovable-send port stay in
 * their space, unless the caller says the right does (a message's
 * destination, a right copied back into the same space).  Set at
 * creation, so read without the port lock (XNU's ip_immovable_send).
 */
static inline bool
immovable_send_ok(const struct ipc_port *port, uint32_t flags)
{
	return !(port->ip_cflags & IP_F_IMMOVABLE_SEND) ||
	    (flags & IPC_COPYIN_ALLOW_IMMOVABLE_SEND);
}

/*
 * An immovable send right refused: the IMMOVABLE guard is the caller's
 * only when the right is in the caller's own space (XNU's
 * mach_port_guard_exception_immovable checks space == current_space());
 * extracting from another task's space fails quietly
 * (extract_right_soft_fail).
 */
static void
immovable_send_guard(mach_port_name_t name, uint32_t flags)
{
	if (!(flags & IPC_COPYIN_FOREIGN))
		ipc_guard_raise(name, kGUARD_EXC_IMMOVABLE, 0);
}

/*
 * ipc_right_copyin
 *	Take the right `msgt` (a disposition 16..21) out of `name`.
 * Conditions:
 *	Space locked and active.  On success out holds the right.  On
 *	failure nothing changed, except a dead-name conversion; out may have
 *	been written (its port and dead fields) and must be ignored.
 *	IPC_COPYIN_CHECKED: the caller checked (and converted) the right
 *	under this lock, but its port may have died since (a port dies under
 *	its own lock); then fail with KERN_ABORTED and convert nothing, so
 *	that the caller can decide again as if the port had died first.  A
 *	death after that look is ordered after this copyin: the right is
 *	taken as it was, and the message dies with its port (J9).
 * Returns:
 *	KERN_SUCCESS, KERN_INVALID_NAME, KERN_INVALID_RIGHT,
 *	KERN_INVALID_CAPABILITY (immovable or reply-port rules; Q14, Q15,
 *	R1, S2), with its guard exception raised; KERN_ABORTED (above).
 */
kern_return_t
ipc_right_copyin(struct mipc_space *space, mach_port_name_t name,
    mach_msg_type_name_t msgt, uint32_t flags, struct ipc_right *out)
{
	struct ipc_entry *e;
	struct ipc_port *port;
	uint32_t type, urefs;

	ipc_lock_assert_held(&space->is_lock);
	e = ipc_entry_lookup(space, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	if (!MACH_MSG_TYPE_PORT_ANY(msgt))
		return KERN_INVALID_RIGHT;
	if (flags & IPC_COPYIN_CHECKED) {
		/*
		 * One look at the port, not two: converting here too would
		 * let a death between the looks turn the checked right into
		 * a dead name the caller was told it is not.
		 */
		if ((e_type(e) & MACH_PORT_TYPE_SEND_RIGHTS) &&
		    !(e_type(e) & MACH_PORT_TYPE_RECEIVE) &&
		    !ip_active(e_port(e)))
			return KERN_ABORTED;
	} else {
		(void)ipc_right_check(space, name, e);
	}
	type = e_type(e);
	urefs = e_urefs(e);
	out->ir_port = NULL;
	out->ir_dead = false;

	if (type == MACH_PORT_TYPE_DEAD_NAME) {
		if (!(flags & IPC_COPYIN_DEAD_OK))
			return KERN_INVALID_RIGHT;
		switch (msgt) {
		case MACH_MSG_TYPE_COPY_SEND:
			break;
		case MACH_MSG_TYPE_MOVE_SEND:
		case MACH_MSG_TYPE_MOVE_SEND_ONCE:
			/* The MOVE forms consume a dead-name reference. */
			if (urefs == 1)
				entry_free(space, name, e);
			else if (urefs != MACH_PORT_UREFS_MAX)
				e_set(e, type, urefs - 1);
			break;
		default:
			return KERN_INVALID_RIGHT;
		}
		out->ir_dead = true;
		out->ir_type = msgt == MACH_MSG_TYPE_MOVE_SEND_ONCE
		    ? MACH_MSG_TYPE_PORT_SEND_ONCE
		    : MACH_MSG_TYPE_PORT_SEND;
		return KERN_SUCCESS;
	}
	if (type == MACH_PORT_TYPE_PORT_SET)
		return KERN_INVALID_RIGHT;
	port = e_port(e);

	switch (msgt) {
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		if (!(type & MACH_PORT_TYPE_RECEIVE))
			return KERN_INVALID_RIGHT;
		if ((port->ip_cflags & IP_F_REPLY_PORT) &&
		    (msgt == MACH_MSG_TYPE_MAKE_SEND ||
		        !(flags & IPC_COPYIN_HEADER))) {
			/* R1 */
			ipc_guard_raise(name, kGUARD_EXC_INVALID_RIGHT, 0);
			return KERN_INVALID_CAPABILITY;
		}
		ip_reference(port);
		ip_lock(port);
		if (msgt == MACH_MSG_TYPE_MAKE_SEND) {
			port->ip_mscount++;
			ip_srights_inc(port);
			out->ir_type = MACH_MSG_TYPE_PORT_SEND;
		} else {
			ip_sorights_inc(port);
			out->ir_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
		}
		ip_unlock(port);
		break;

	case MACH_MSG_TYPE_MOVE_RECEIVE:
		if (!(type & MACH_PORT_TYPE_RECEIVE))
			return KERN_INVALID_RIGHT;
		/* Q14, S2: a special reply port never moves, guard or not. */
		if ((port->ip_flags & IP_F_IMMOVABLE_RECEIVE) ||
		    (port->ip_cflags & IP_F_SPECIAL_REPLY)) {
			ipc_guard_raise(name, kGUARD_EXC_IMMOVABLE, 0);
			return KERN_INVALID_CAPABILITY;
		}
		port = receive_take(space, name, e);
		out->ir_type = MACH_MSG_TYPE_PORT_RECEIVE;
		break;

	case MACH_MSG_TYPE_COPY_SEND:
	case MACH_MSG_TYPE_MOVE_SEND:
		if (!(type & MACH_PORT_TYPE_SEND))
			return KERN_INVALID_RIGHT;
		if (port->ip_cflags & IP_F_REPLY_PORT) {
			ipc_guard_raise(name, kGUARD_EXC_INVALID_RIGHT, 0);
			return KERN_INVALID_CAPABILITY;
		}
		if (!immovable_send_ok(port, flags)) {
			immovable_send_guard(name, flags);
			return KERN_INVALID_CAPABILITY;
		}
		out->ir_type = MACH_MSG_TYPE_PORT_SEND;
		if (msgt == MACH_MSG_TYPE_COPY_SEND || urefs > 1) {
			/* A new send right; the name keeps its own. */
			if (msgt == MACH_MSG_TYPE_MOVE_SEND &&
			    urefs != MACH_PORT_UREFS_MAX)
				e_set(e, type, urefs - 1);
			ip_reference(port);
			ip_lock(port);
			ip_srights_inc(port);
			ip_unlock(port);
		} else if (ipc_task_pinned(space, port)) {
			/* The self name's last reference stays (task.c). */
			ipc_guard_raise(name, kGUARD_EXC_MOD_REFS_NON_FATAL,
			    MPG_FLAGS_MOD_REFS_PINNED_COPYIN);
			return KERN_INVALID_CAPABILITY;
		} else {
			/* The name's only send reference moves out. */
			ipc_rmap_delete(space, port);
			if (type & MACH_PORT_TYPE_RECEIVE) {
				e_set(e, MACH_PORT_TYPE_RECEIVE, 0);
				ip_reference(port);
			} else {
				entry_free(space, name, e);
			}
		}
		break;

	default: /* MACH_MSG_TYPE_MOVE_SEND_ONCE */
		if (type != MACH_PORT_TYPE_SEND_ONCE)
			return KERN_INVALID_RIGHT;
		if (!immovable_send_ok(port, flags)) {
			immovable_send_guard(name, flags);
			return KERN_INVALID_CAPABILITY;
		}
		entry_free(space, name, e);
		out->ir_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
		break;
	}
	out->ir_port = port;
	return KERN_SUCCESS;
}

/*
 * ipc_right_discard
 *	Destroy a right held by a call: send released, send-once destroyed
 *	unused, receive destroyed (the port dies).
 * Conditions: no port locked.
 */
void
ipc_right_discard(struct ipc_right *r)
{
	if (r->ir_dead || r->ir_port == NULL)
		return;
	switch (r->ir_type) {
	case MACH_MSG_TYPE_PORT_SEND:
		ipc_port_release_send(r->ir_port);
		break;
	case MACH_MSG_TYPE_PORT_SEND_ONCE:
		ipc_port_destroy_sonce(r->ir_port); /* P25 */
		break;
	default:
		ipc_port_release_receive(r->ir_port);
		break;
	}
	r->ir_port = NULL;
}

/* ------------------------------------------------------------------ */
/* Copyout of one right (XNU ipc_object_copyout / _copyout_name)       */

/* The name under which space already holds port's send/receive right. */
static bool
existing_name(
    struct mipc_space *space, struct ipc_port *port, mach_port_name_t *namep)
{
	if (ip_receiver(port) == space) {
		*namep = port->ip_receiver_name;
		return true;
	}
	return ipc_rmap_lookup(space, port, namep);
}

/*
 * Merge a send or receive right into the entry that already names its
 * port.  Conditions: space locked; the entry holds port's other right.
 */
static kern_return_t
merge_into(struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e,
    struct ipc_right *r)
{
	struct ipc_port *port = r->ir_port;
	uint32_t type = e_type(e);

	if (r->ir_type == MACH_MSG_TYPE_PORT_SEND) {
		if (type & MACH_PORT_TYPE_SEND) {
			/* Rights collapse: one per name (H9). */
			e_set(e, type, urefs_add(e_urefs(e), 1));
			ipc_port_release_send(port);
		} else {
			if (!ipc_rmap_insert(space, port, name))
				return KERN_RESOURCE_SHORTAGE;
			e_set(e, type | MACH_PORT_TYPE_SEND, 1);
			ip_release(port); /* the entry has its reference */
		}
	} else {
		/* A receive right lands on the name of its send right. */
		ip_lock(port);
		ip_set_receiver(port, space, name);
		ip_state_set(port, IP_IN_SPACE);
		ip_unlock(port);
		e_set(e, type | MACH_PORT_TYPE_RECEIVE, e_urefs(e));
		ip_release(port);
	}
	r->ir_port = NULL;
	return KERN_SUCCESS;
}

/* Install r in a fresh entry e (type 0) under name. */
static kern_return_t
install_into(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, struct ipc_right *r)
{
	struct ipc_port *port = r->ir_port;

	switch (r->ir_type) {
	case MACH_MSG_TYPE_PORT_SEND:
		if (!ipc_rmap_insert(space, port, name))
			return KERN_RESOURCE_SHORTAGE;
		e_set(e, MACH_PORT_TYPE_SEND, 1);
		break;
	case MACH_MSG_TYPE_PORT_SEND_ONCE:
		e_set(e, MACH_PORT_TYPE_SEND_ONCE, 1);
		break;
	default:
		ip_lock(port);
		ip_set_receiver(port, space, name);
		ip_state_set(port, IP_IN_SPACE);
		ip_unlock(port);
		e_set(e, MACH_PORT_TYPE_RECEIVE, 0);
		break;
	}
	ipc_entry_set_object(e, &port->ip_object);
	r->ir_port = NULL;
	return KERN_SUCCESS;
}

/*
 * ipc_right_copyout
 *	Give r to space under the name the rules pick (K8): a send
 *	right merges into the port's existing name, a send-once right gets a
 *	fresh name, a receive right lands on its send right's name or a
 *	fresh one; a right to a dead port becomes MACH_PORT_DEAD.
 * Conditions:
 *	Space locked and active.  Consumes r on success; on failure r is
 *	untouched and the caller discards it.
 */
kern_return_t
ipc_right_copyout(
    struct mipc_space *space, struct ipc_right *r, mach_port_name_t *namep)
{
	struct ipc_port *port = r->ir_port;
	mach_port_name_t name;
	struct ipc_entry *e;
	kern_return_t kr;

	ipc_lock_assert_held(&space->is_lock);
	if (r->ir_dead ||
	    (r->ir_type != MACH_MSG_TYPE_PORT_RECEIVE && !ip_active(port))) {
		ipc_right_discard(r);
		*namep = MACH_PORT_DEAD;
		return KERN_SUCCESS;
	}
	if (r->ir_type != MACH_MSG_TYPE_PORT_SEND_ONCE &&
	    existing_name(space, port, &name)) {
		e = ipc_entry_lookup(space, name);
		ipc_require(e != NULL && e_port(e) == port,
		    "the reverse map names a live entry of the port");
		kr = merge_into(space, name, e, r);
		if (kr == KERN_SUCCESS)
			*namep = name;
		return kr;
	}
	kr = ipc_entry_alloc(space, &name, &e);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = install_into(space, name, e, r);
	if (kr != KERN_SUCCESS) {
		ipc_entry_dealloc(space, name, e);
		return kr;
	}
	*namep = name;
	return KERN_SUCCESS;
}

/*
 * ipc_right_copyout_name
 *	Give r to space under exactly `name` (insert_right; E6-E13).
 * Conditions:
 *	Space locked and active.  Consumes r on success; on failure r is
 *	untouched and the caller discards it.
 */
kern_return_t
ipc_right_copyout_name(
    struct mipc_space *space, struct ipc_right *r, mach_port_name_t name)
{
	struct ipc_entry *e;
	mach_port_name_t have;
	kern_return_t kr;

	ipc_lock_assert_held(&space->is_lock);
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_VALUE;
	/*
	 * E15: XNU refuses a dead right before it looks at the name -- also
	 * one whose port died after its copy-in (a port dies under its own
	 * lock, not ours; found by fuzz_sched), as if it had died first.
	 */
	if (r->ir_dead ||
	    (r->ir_type != MACH_MSG_TYPE_PORT_RECEIVE &&
	        !ip_active(r->ir_port)))
		return KERN_INVALID_CAPABILITY;
	/* The name's own checks (ipc_entry_alloc_name's, A6)... */
	if (MACH_PORT_INDEX(name) >= IPC_TABLE_MAX)
		return KERN_NO_SPACE;
	if ((name | 3) != name)
		return KERN_INVALID_VALUE;
	if (MACH_PORT_INDEX(name) == 0)
		return KERN_FAILURE;
	if (MACH_PORT_INDEX(name) < space->is_table->it_size) {
		struct ipc_entry *slot =
		    &space->is_table->it_entries[MACH_PORT_INDEX(name)];

		if (IE_BITS_TYPE(slot->ie_bits) != 0 &&
		    IE_BITS_GEN(slot->ie_bits) != MACH_PORT_GEN(name))
			return KERN_FAILURE; /* in use, another generation */
	}
	/*
	 * ...then the reverse lookup, even if the port has died since the
	 * check above: its unconverted name is still the port's one name.
	 */
	if (r->ir_type != MACH_MSG_TYPE_PORT_SEND_ONCE &&
	    existing_name(space, r->ir_port, &have)) {
		/* The reverse lookup comes before "name in use" (E8). */
		if (have != name)
			return KERN_RIGHT_EXISTS;
		e = ipc_entry_lookup(space, name);
		return merge_into(space, name, e, r);
	}
	if (ipc_entry_lookup(space, name) != NULL)
		return KERN_NAME_EXISTS;
	kr = ipc_entry_alloc_name(space, name, &e);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = install_into(space, name, e, r);
	if (kr != KERN_SUCCESS)
		ipc_entry_dealloc(space, name, e);
	return kr;
}

/* ------------------------------------------------------------------ */
/* insert_right / extract_right (E, F)                                 */

/*
 * XNU's fast path for insert_right(task, n, n, MAKE_SEND | COPY_SEND) in
 * the caller's own space (ipc_object_insert_send_right).
 */
static kern_return_t
insert_send_same_name(
    struct mipc_space *space, mach_port_name_t name, mach_msg_type_name_t msgt)
{
	struct ipc_entry *e = ipc_entry_lookup(space, name);
	struct ipc_port *port;
	uint32_t type;

	if (e == NULL)
		return KERN_INVALID_NAME;
	type = e_type(e);
	/*
	 * XNU only asks whether the port lives: a name whose port died is
	 * refused but not converted (a later send may still be C8's).
	 */
	if (type == MACH_PORT_TYPE_DEAD_NAME ||
	    (type != MACH_PORT_TYPE_PORT_SET && !ip_active(e_port(e))))
		return KERN_INVALID_CAPABILITY;
	if (msgt == MACH_MSG_TYPE_MAKE_SEND ? !(type & MACH_PORT_TYPE_RECEIVE)
	                                    : !(type & MACH_PORT_TYPE_SEND))
		return KERN_INVALID_RIGHT;
	port = e_port(e);
	if (!(type & MACH_PORT_TYPE_SEND)) {
		if (!ipc_rmap_insert(space, port, name))
			return KERN_RESOURCE_SHORTAGE;
		ip_lock(port);
		ip_srights_inc(port);
		port->ip_mscount++;
		ip_unlock(port);
		e_set(e, type | MACH_PORT_TYPE_SEND, 1);
		return KERN_SUCCESS;
	}
	if (msgt == MACH_MSG_TYPE_MAKE_SEND) {
		ip_lock(port);
		port->ip_mscount++;
		ip_unlock(port);
	}
	e_set(e, type, urefs_add(e_urefs(e), 1));
	return KERN_SUCCESS;
}

kern_return_t
mipc_port_insert_right(mipc_space_t task, mach_port_name_t name,
    mipc_space_t from_task, mach_port_name_t poly,
    mach_msg_type_name_t polyPoly)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct mipc_space *from IPC_SPACE_HELD = NULL;
	struct ipc_right r;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr == KERN_SUCCESS)
		kr = ipc_space_acquire(from_task, &from);
	if (kr != KERN_SUCCESS)
		return kr;
	if (from == space && name == poly &&
	    (polyPoly == MACH_MSG_TYPE_MAKE_SEND ||
	        polyPoly == MACH_MSG_TYPE_COPY_SEND) &&
	    MACH_PORT_VALID(name)) {
		is_lock(space);
		kr = ipc_space_check(space);
		if (kr == KERN_SUCCESS)
			kr = insert_send_same_name(space, name, polyPoly);
		is_unlock(space);
		ipc_guard_flush(space);
		return kr;
	}

	/*
	 * Copy the right in from `from`...  Q15: an immovable send right may
	 * be inserted only into the space it is in (XNU's trap copies in
	 * with ALLOW_IMMOVABLE_SEND for the caller's own task only).
	 */
	if (!MACH_PORT_VALID(poly))
		return KERN_INVALID_NAME; /* E5 */
	is_lock(from);
	kr = ipc_space_check(from);
	if (kr == KERN_SUCCESS)
		kr = ipc_right_copyin(from, poly, polyPoly,
		    IPC_COPYIN_DEAD_OK |
		        (from == space ? IPC_COPYIN_ALLOW_IMMOVABLE_SEND : 0),
		    &r);
	is_unlock(from);
	if (kr != KERN_SUCCESS) {
		ipc_guard_flush(from);
		return kr;
	}
	if (r.ir_type == MACH_MSG_TYPE_PORT_RECEIVE)
		ipc_epoch_wait_readers(); /* see msg.c, Ordering */

	/* ...and out into `space` under `name`; on failure it is destroyed. */
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = ipc_right_copyout_name(space, &r, name);
	is_unlock(space);
	if (kr != KERN_SUCCESS)
		ipc_right_discard(&r);
	ipc_guard_flush(space);
	return kr;
}

kern_return_t
mipc_port_extract_right(mipc_space_t task, mach_port_name_t name,
    mach_msg_type_name_t msgt, mipc_space_t to_task, mach_port_name_t *poly,
    mach_msg_type_name_t *polyPoly)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct mipc_space *to IPC_SPACE_HELD = NULL;
	struct ipc_right r;
	mach_port_name_t out;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr == KERN_SUCCESS)
		kr = ipc_space_acquire(to_task, &to);
	if (kr != KERN_SUCCESS)
		return kr;
	if (poly == NULL || polyPoly == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!MACH_MSG_TYPE_PORT_ANY(msgt))
		return KERN_INVALID_VALUE; /* F1 */
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT; /* F2 */
	/*
	 * Q15: an immovable send right is COPY_SEND-extractable in place.
	 * The caller is `to` (XNU's current_space()): a right taken from
	 * any other space is the caller's own only there.
	 */
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS)
		kr = ipc_right_copyin(space, name, msgt,
		    IPC_COPYIN_DEAD_OK |
		        (space != to ? IPC_COPYIN_FOREIGN
		                : msgt == MACH_MSG_TYPE_COPY_SEND
		                ? IPC_COPYIN_ALLOW_IMMOVABLE_SEND
		                : 0),
		    &r);
	is_unlock(space);
	ipc_guard_flush(space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (r.ir_type == MACH_MSG_TYPE_PORT_RECEIVE)
		ipc_epoch_wait_readers(); /* see msg.c, Ordering */

	is_lock(to);
	kr = ipc_space_check(to);
	if (kr == KERN_SUCCESS)
		kr = ipc_right_copyout(to, &r, &out);
	is_unlock(to);
	if (kr != KERN_SUCCESS) {
		ipc_right_discard(&r);
		return kr;
	}
	*poly = out;
	*polyPoly = r.ir_type;
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Space termination (W1)                                              */

/*
 * ipc_right_terminate
 *	Release the rights of one entry of a dying space.  Pass one
 *	(receive_pass) destroys receive rights; pass two releases the rest.
 * Conditions:
 *	Space locked and already inactive.  The entry is freed.
 */
void
ipc_right_terminate(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, bool receive_pass)
{
	uint32_t type = e_type(e);

	ipc_lock_assert_held(&space->is_lock);
	if (receive_pass) {
		/* As mach_port_destroy: the send right goes first (C4). */
		if (type & MACH_PORT_TYPE_SEND)
			send_remove(space, name, e);
		receive_destroy(space, name, e);
		return;
	}
	(void)ipc_right_check(space, name, e);
	type = e_type(e);
	if (type == MACH_PORT_TYPE_DEAD_NAME)
		entry_free(space, name, e);
	else if (type == MACH_PORT_TYPE_PORT_SET)
		pset_remove(space, name, e);
	else if (type == MACH_PORT_TYPE_SEND_ONCE)
		sonce_remove(space, name, e);
	else
		send_remove(space, name, e);
}
