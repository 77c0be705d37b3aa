/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lock.h -- the one lock type of core/: a ranked spinlock, the rank
 * enum in acquisition order, and the witness that checks it in test builds
 * (witness.c).
 *
 * Owns:      ipc_lock_t, enum ipc_lock_rank, ipc_lock/unlock/try and the
 *            assertions every `_locked` function opens with.
 * Locking:   ranks increase strictly along any acquisition chain, except
 *            LEAF locks, one of which may be held above everything else.
 */
#ifndef MIPC_CORE_LOCK_H
#define MIPC_CORE_LOCK_H

#include "base.h"

#include <ck_spinlock.h>

/* ------------------------------------------------------------------ */
/* Locks and ranks (STYLE Rule 9)                                      */

enum ipc_lock_rank { /* acquire in increasing order only */
	IPC_RANK_NONE = 0,
	IPC_RANK_GLOBAL = 1,   /* registry of spaces / threads */
	IPC_RANK_SPACE,        /* space write lock (table growth, slow paths) */
	IPC_RANK_KOBJECT,      /* a kernel object's own state (kobject.c:
	                          the bootstrap namespace); port locks nest
	                          inside, never a space lock */
	IPC_RANK_TRANSIT,      /* in-transit ports, circularity (port.c) */
	IPC_RANK_WORKLOOP,     /* workloop: servicer binding, attach list */
	IPC_RANK_PORT,         /* port lock; the interlock of its turnstiles */
	IPC_RANK_TURNSTILE,    /* turnstile lock: ours, then the inheritor's
	                          (ipc_lock_hop: two at most) */
	IPC_RANK_THREAD,       /* a thread's priority lock (turnstile.c) */
	IPC_RANK_LEAF = 0x100, /* cache depot, stats: nothing nests inside */
};

/*
 * A spinlock with a rank.  Slow paths only: the fast paths are lock-free.
 * In test builds a per-thread witness checks that ranks only increase and
 * that _locked functions run with the lock held.
 */
typedef struct ipc_lock {
	ck_spinlock_fas_t il_lock;
	uint16_t il_rank;    /* (C) enum ipc_lock_rank */
	const char *il_name; /* (C) for witness reports */
} ipc_lock_t;

#define IPC_LOCK_INITIALIZER(rank, name)                    \
	{                                                   \
		CK_SPINLOCK_FAS_INITIALIZER, (rank), (name) \
	}

static inline void
ipc_lock_init(ipc_lock_t *l, enum ipc_lock_rank rank, const char *name)
{
	ck_spinlock_fas_init(&l->il_lock);
	l->il_rank = (uint16_t)rank;
	l->il_name = name;
}

void ipc_witness_acquire(ipc_lock_t *l);
void ipc_witness_acquire_hop(ipc_lock_t *l);
void ipc_witness_acquire_unordered(ipc_lock_t *l);
void ipc_witness_release(ipc_lock_t *l);
bool ipc_witness_held(const ipc_lock_t *l);
unsigned int ipc_witness_held_count(void);
unsigned int ipc_witness_max_rank(void); /* IPC_RANK_NONE: none held */

/* Called on a rank inversion (test builds); default: ipc_panic. */
typedef void (*ipc_witness_hook_t)(
    const ipc_lock_t *held, const ipc_lock_t *taking);
extern ipc_witness_hook_t ipc_witness_hook;

static inline void
ipc_lock(ipc_lock_t *l)
{
	/* One load: a test may clear the hook while we wait (base.h). */
	ipc_yield_hook_t hook = ipc_test_hooks ? ipc_yield_hook : NULL;

	ipc_slow_note();
	if (ipc_test_hooks)
		ipc_witness_acquire(l);
	if (unlikely(hook != NULL)) {
		/*
		 * A scheduled test: a busy lock's holder must get to run.
		 * Leaf locks (allocator depots, statistics) are no yield
		 * points: whether they are taken depends on cache history,
		 * not on the calls, and a schedule must replay exactly.
		 */
		if (l->il_rank != IPC_RANK_LEAF)
			hook(IPC_YIELD_LOCK);
		while (!ck_spinlock_fas_trylock(&l->il_lock))
			hook(IPC_YIELD_SPIN);
	} else {
		ck_spinlock_fas_lock(&l->il_lock);
	}
	/* A: pairs with the release in ipc_unlock(); for TSan's benefit. */
	ipc_tsan_acquire(l);
}

/*
 * ipc_lock_hop
 *	Take a turnstile lock while holding exactly one other: a
 *	propagation hop, "ours, then the inheritor's" (turnstile.c).  The
 *	witness allows the equal rank here and nowhere else.
 */
static inline void
ipc_lock_hop(ipc_lock_t *l)
{
	ipc_yield_hook_t hook = ipc_test_hooks ? ipc_yield_hook : NULL;

	ipc_slow_note();
	if (ipc_test_hooks)
		ipc_witness_acquire_hop(l);
	/* Scheduled: the holder must get to run (as in ipc_lock). */
	if (unlikely(hook != NULL)) {
		while (!ck_spinlock_fas_trylock(&l->il_lock))
			hook(IPC_YIELD_SPIN);
	} else {
		ck_spinlock_fas_lock(&l->il_lock);
	}
	ipc_tsan_acquire(l); /* A: as in ipc_lock() */
}

/*
 * ipc_lock_try_unordered
 *	Try a lock against the rank order: safe, since it never waits.  The
 *	caller copes with failure (turnstile.c's thread-to-turnstile hop).
 */
static inline bool
ipc_lock_try_unordered(ipc_lock_t *l)
{
	if (!ck_spinlock_fas_trylock(&l->il_lock))
		return false;
	ipc_tsan_acquire(l); /* A: as in ipc_lock() */
	if (ipc_test_hooks)
		ipc_witness_acquire_unordered(l);
	return true;
}

static inline bool
ipc_lock_try(ipc_lock_t *l)
{
	if (!ck_spinlock_fas_trylock(&l->il_lock))
		return false;
	ipc_tsan_acquire(l); /* A: as in ipc_lock() */
	if (ipc_test_hooks)
		ipc_witness_acquire(l);
	return true;
}

static inline void
ipc_unlock(ipc_lock_t *l)
{
	if (ipc_test_hooks)
		ipc_witness_release(l);
	ipc_tsan_release(l); /* R: pairs with the acquire in ipc_lock() */
	ck_spinlock_fas_unlock(&l->il_lock);
}

#define ipc_lock_assert_held(l)                                          \
	do {                                                             \
		if (ipc_test_hooks)                                      \
			ipc_require(ipc_witness_held(l),                 \
			    "lock held on entry to a _locked function"); \
	} while (0)

/* First statement of a "nothing locked" function that may block. */
#define ipc_lock_assert_none_held()                                     \
	do {                                                            \
		if (ipc_test_hooks)                                     \
			ipc_require(ipc_witness_held_count() == 0,      \
			    "no lock held where the thread may block"); \
	} while (0)

/* Every lock held ranks below `rank` (e.g. no interlock held). */
#define ipc_lock_assert_rank_below(rank)                              \
	do {                                                          \
		if (ipc_test_hooks)                                   \
			ipc_require(ipc_witness_max_rank() < (rank),  \
			    "no lock of this rank or above is held"); \
	} while (0)

#define ipc_lock_assert_not_held(l)                                          \
	do {                                                                 \
		if (ipc_test_hooks)                                          \
			ipc_require(                                         \
			    !ipc_witness_held(l), "lock not held on entry"); \
	} while (0)

#endif /* MIPC_CORE_LOCK_H */
