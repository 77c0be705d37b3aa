/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pset.h -- port sets (pset.c): the set object and the membership links
 * shared by a set's member list and each port's list of sets.
 *
 * Owns:      struct ipc_pset, struct ipc_pset_link, each set's ready queue.
 * Locking:   the space lock covers both lists; readers walk them lock-free
 *            inside epoch sections.  ips_ready_lock (IPC_RANK_LEAF) covers
 *            the set's ready queue and its links' place in it (Q).
 */
#ifndef MIPC_CORE_PSET_H
#define MIPC_CORE_PSET_H

#include "cache.h"
#include "object.h"
#include "port.h"
#include "space.h"
#include "waitq.h"

/*
 * (S) space lock  (E) epoch-protected lock-free read  (Q) ips_ready_lock
 * (A) atomic, order named at each access.
 */
struct ipc_pset {
	struct ipc_object ips_object;
	struct mipc_space *ips_space;      /* (S) holder; NULL once destroyed */
	mach_port_name_t ips_name;         /* (S) its name there */
	struct ipc_pset_link *ips_members; /* (S, E) member ports */
	struct ipc_waitq ips_rcv_wq;       /* receivers waiting on the set */
	bool ips_unnamed;                  /* (C) a workloop's: in no entry */
	struct ipc_workloop *ips_wl;       /* (S, E) the workloop receiving
	                                      from this set, referenced */
	struct ipc_deferred ips_free;      /* retirement through the epoch */
	ipc_lock_t ips_ready_lock;         /* rank IPC_RANK_LEAF */
	struct ipc_pset_link *ips_ready;   /* (Q) members with messages */
	struct ipc_pset_link **ips_ready_tail; /* (Q) where the next goes */
};

MIPC_STATIC_ASSERT(
    pset_fits_its_cache, sizeof(struct ipc_pset) <= IPC_PSET_SIZE);

/* pl_ready: where a membership stands in its set's ready queue. */
enum ipc_pset_ready {
	IPC_PSET_IDLE,   /* not queued: the port had no message we know of */
	IPC_PSET_QUEUED, /* in the set's ready queue */
	IPC_PSET_GONE,   /* unlinked: never queued again, freed after a grace */
};

/* One membership: port in pset.  Both lists are (S). */
struct ipc_pset_link {
	struct ipc_port *pl_port;              /* (C) */
	struct ipc_pset *pl_pset;              /* (C) */
	struct ipc_pset_link *pl_next_in_port; /* (S, E) */
	struct ipc_pset_link *pl_next_in_pset; /* (S, E) */
	struct ipc_pset_link *pl_ready_next;   /* (Q) */
	struct ipc_pset_link **pl_ready_prev;  /* (Q) */
	uint32_t pl_ready;                     /* (Q) written, (A) hint read */
	struct ipc_deferred pl_free;           /* freed after a grace period */
};

static inline struct ipc_pset *
ips_from_object(struct ipc_object *o)
{
	ipc_require(
	    o == NULL || o->io_kind == IOT_PSET, "object is a port set");
	return (struct ipc_pset *)o;
}

/*
 * Member ports a set receive of the calling thread looked at (test
 * builds): tests/unit/pset.c bounds the work of a receive by it.
 */
extern __thread uint64_t ipc_pset_looks;

static inline void
ipc_pset_look_note(void)
{
	if (ipc_test_hooks)
		ipc_pset_looks++;
}

struct ipc_pset *ipc_pset_alloc(void);
/*
 * A new set under a fresh name or `want`.
 * Conditions: space locked and active.
 */
kern_return_t ipc_pset_install(
    struct mipc_space *space, mach_port_name_t want, mach_port_name_t *namep);
void ipc_pset_destroy_locked(struct mipc_space *space, struct ipc_pset *pset);
void ipc_pset_unlink_port_locked(
    struct mipc_space *space, struct ipc_port *port);
bool ipc_pset_has_port(
    const struct ipc_pset *pset, const struct ipc_port *port);
/* Is port in a set the user made (not a workloop's unnamed one)? */
bool ipc_pset_port_in_named_set(const struct ipc_port *port);
kern_return_t ipc_pset_add_member_locked(
    struct mipc_space *space, struct ipc_port *port, struct ipc_pset *pset);
kern_return_t ipc_pset_remove_member_locked(
    struct mipc_space *space, struct ipc_port *port, struct ipc_pset *pset);
void ipc_pset_ready_slow(struct ipc_pset_link *l);
struct ipc_pset_link *ipc_pset_ready_take(struct ipc_pset *pset);

/*
 * ipc_pset_ready
 *	A member has a message: queue its membership in its set's ready
 *	queue, unless it is there already (or gone).
 * Conditions:
 *	Nothing locked but the space's, or inside an epoch section (l is
 *	read lock-free).  The caller published the message and fenced
 *	([F13]) before this; it wakes the set's receivers after it.
 * Returns: true when l was queued now (the caller fences again before
 *	it looks for waiters: the queue is what they look at).
 */
static inline bool
ipc_pset_ready(struct ipc_pset_link *l)
{
	/* Relaxed: a hint; ipc_pset_ready_slow decides under the lock. */
	if (ck_pr_load_32(&l->pl_ready) != IPC_PSET_IDLE)
		return false;
	ipc_pset_ready_slow(l);
	return true;
}

/*
 * ipc_pset_remove_port_locked
 *	Take a port out of every set it is in (its receive right is leaving
 *	the space, or dying).
 * Conditions: the space that holds the receive right locked.
 */
static inline void
ipc_pset_remove_port_locked(struct mipc_space *space, struct ipc_port *port)
{
	ipc_lock_assert_held(&space->is_lock);
	if (port->ip_psets != NULL)
		ipc_pset_unlink_port_locked(space, port);
}

#endif /* MIPC_CORE_PSET_H */
