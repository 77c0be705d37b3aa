/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * object.h -- what ports and port sets share: the object header with its
 * lock, reference count and kind, and inline reference counting.
 *
 * Owns:      struct ipc_object.  The last release retires the object
 *            through the epoch (ipc_object_retire, port.c), because
 *            lock-free readers may still be looking at it.
 * Lifetime:  a lock-free reader may reach an object only through a
 *            pointer that holds a reference (an entry, a queued message,
 *            a set link of a live member): whoever drops such a reference
 *            unpublishes the pointer first, so that no reader can find the
 *            object after its last reference went and its grace period
 *            began.  A reader that holds no reference (inside a section)
 *            takes one only with ipc_object_reference_try.  Whoever locks
 *            a port holds a reference, or the lock of a space whose entry
 *            names it (until the port is unlocked), or reaches it through
 *            a set link (msg.c's member scan); whoever waits on its
 *            queues holds a reference; a waitfd mirroring them shows in
 *            its waiter count.  So the holder of the lock of the space
 *            whose entry holds a port's one reference (and names it in no
 *            set) that reads the count 1 is the port's only user
 *            (receive_destroy_flat, right.c).  If the port is quiet
 *            (ipc_port_quiet, port.h) it stores 0 -- a store, not a CAS:
 *            a reference_try landing between that read and that store is
 *            erased, and readers that find a port lock-free take their
 *            references with ipc_port_reference_try_found (space.h),
 *            which tells an erased one from a real one -- and
 *            unpublishes the entry in the same hold: a reader finding the
 *            port afterwards fails its reference_try, as for a port whose
 *            receive right is gone, which it is once the lock drops.
 * Ordering:  [R7]/[A7]: every releaser's accesses to the object happen before
 *            the retirement.  The release fence before the decrement
 *            orders a non-final releaser's accesses before its decrement;
 *            the acquire fence after the final decrement orders it after
 *            every other one.  (Free on x86: a locked decrement is a full
 *            barrier and ck's TSO table makes both fences no-ops.)  The
 *            grace period then covers readers that hold no reference.
 */
#ifndef MIPC_CORE_OBJECT_H
#define MIPC_CORE_OBJECT_H

#include "lock.h"
#include "thread.h"

#include <ck_pr.h>

/*
 * Legend: (L) the object's lock  (S) the lock of the space holding the
 * receive right / the set  (A) atomic, order named at each access
 * (E) epoch-protected lock-free read  (C) constant after init.
 */

enum ipc_object_kind {
	IOT_PORT = 1,
	IOT_PSET = 2,
};

/*
 * 24 bytes, so that the fields every message touches fit beside it in
 * the object's first cache line; the cold retirement entry lives at the
 * end of each kind's struct (ip_free, ips_free).
 */
struct ipc_object {
	ipc_lock_t io_lock; /* rank IPC_RANK_PORT */
	uint32_t io_refs;   /* (A) references; the last frees via epoch */
	uint32_t io_kind;   /* (C) enum ipc_object_kind */
};

/* The last reference went: retire through the epoch (port.c). */
void ipc_object_retire(struct ipc_object *o);

/*
 * ipc_object_reference
 *	Take another reference.
 * Conditions:
 *	The caller holds a reference already (or reads under a section
 *	that saw a live entry naming the object).  Any lock state.
 */
static inline void
ipc_object_reference(struct ipc_object *o)
{
	/* Relaxed: the caller holds a reference already. */
	uint32_t was = ck_pr_faa_32(&o->io_refs, 1);

	ipc_require(was != 0, "reference a live object");
}

/* n references at once (a message and a link take two in one atomic). */
static inline void
ipc_object_reference_n(struct ipc_object *o, uint32_t n)
{
	/* Relaxed: the caller holds a reference already. */
	uint32_t was = ck_pr_faa_32(&o->io_refs, n);

	ipc_require(was != 0, "reference a live object");
}

/*
 * ipc_object_reference_try
 *	Take a reference unless the count already reached zero (the object
 *	is being retired): for lock-free readers that found the object
 *	through a pointer holding no reference of theirs.
 * Conditions: inside an epoch section (the memory stays valid).
 */
static inline bool
ipc_object_reference_try(struct ipc_object *o)
{
	uint32_t n = ck_pr_load_32(&o->io_refs);

	while (n != 0) {
		/* Relaxed: the section keeps the memory; nothing else. */
		if (ck_pr_cas_32_value(&o->io_refs, n, n + 1, &n))
			return true;
	}
	return false;
}

/* n references at once, unless the count already reached zero. */
static inline bool
ipc_object_reference_try_n(struct ipc_object *o, uint32_t n)
{
	uint32_t v = ck_pr_load_32(&o->io_refs);

	while (v != 0) {
		/* Relaxed: the section keeps the memory; nothing else. */
		if (ck_pr_cas_32_value(&o->io_refs, v, v + n, &v))
			return true;
	}
	return false;
}

/*
 * ipc_object_release
 *	Drop a reference; the last one retires the object.
 * Conditions:
 *	Any locks but the object's own.  Never blocks.
 */
static inline void
ipc_object_release(struct ipc_object *o)
{
	bool zero;

	/* [R7]: our accesses to o before the decrement (pairs with [A7]). */
	ipc_tsan_release(o);
	ck_pr_fence_release();
	ck_pr_dec_32_zero(&o->io_refs, &zero);
	if (likely(!zero))
		return;
	/* [A7]: every releaser's accesses before the retirement ([R7]). */
	ck_pr_fence_acquire();
	ipc_tsan_acquire(o);
	ipc_object_retire(o);
}

#endif /* MIPC_CORE_OBJECT_H */
