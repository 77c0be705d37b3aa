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
 * Ordering:  [A54]/[R54]: the CAS that takes a lock and the store that drops
 *            it, with CK's lock fences (ck_pr_fence_lock/unlock).
 * Choices:   the lock word holds its owner's token (the thread id, cached
 *            per thread), not 1: a thread that spins on a lock it holds
 *            itself -- mipc re-entered from a signal handler that
 *            interrupted a mipc call, as mipc is not async-signal-safe --
 *            is caught and stops the process with a message saying so,
 *            instead of spinning for ever.  It costs nothing over a test-
 *            and-set: the token is one TLS load, the check runs only
 *            while spinning.
 */
#ifndef MIPC_CORE_LOCK_H
#define MIPC_CORE_LOCK_H

#include "base.h"

#include <ck_pr.h>

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
	uint32_t il_owner;   /* (A) 0: free; else the holder's token */
	uint16_t il_rank;    /* (C) enum ipc_lock_rank */
	const char *il_name; /* (C) for witness reports */
} ipc_lock_t;

#define IPC_LOCK_INITIALIZER(rank, name) \
	{                                \
		0, (rank), (name)        \
	}

static inline void
ipc_lock_init(ipc_lock_t *l, enum ipc_lock_rank rank, const char *name)
{
	ck_pr_store_32(&l->il_owner, 0); /* Relaxed: not yet shared */
	l->il_rank = (uint16_t)rank;
	l->il_name = name;
}

/*
 * The calling thread's lock token: its thread id, never 0, unique among
 * the process's live threads.  Cached per thread (witness.c); a forked
 * child's thread gets its own again (ipc_lock_atfork_child).
 */
extern __thread uint32_t ipc_lock_self
    __attribute__((tls_model("initial-exec")));

/*
 * Or'ed into the token by a holder that may erase a port's count (the
 * flat destruction, right.c; space.h says what readers make of it).  A
 * thread id is below 2^22 (PID_MAX_LIMIT), so no token has this bit.
 */
#define IPC_LOCK_ERASING 0x80000000u
uint32_t ipc_lock_token_slow(void);
void ipc_lock_atfork_child(void);

static inline uint32_t
ipc_lock_token(void)
{
	uint32_t t = ipc_lock_self;

	return likely(t != 0) ? t : ipc_lock_token_slow();
}

/* A thread spins on a lock it holds itself: report it (witness.c). */
IPC_NORETURN IPC_COLD void ipc_lock_reentered(const ipc_lock_t *l);

static inline bool
ipc_lock_cas(ipc_lock_t *l, uint32_t token)
{
	/* [A54]: the CAS takes the lock; the fence orders what follows. */
	if (!ck_pr_cas_32(&l->il_owner, 0, token))
		return false;
	ck_pr_fence_lock(); /* [A54]: pairs with [R54] in ipc_unlock() */
	return true;
}

/*
 * The contended path (witness.c): spin until l is ours; never returns if
 * this thread holds it already (re-entered).  hook: the yield hook of a
 * scheduled test (the holder must get to run).
 */
IPC_COLD void ipc_lock_spin(
    ipc_lock_t *l, uint32_t token, ipc_yield_hook_t hook);

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
	uint32_t token = ipc_lock_token();

	ipc_slow_note();
	if (ipc_test_hooks)
		ipc_witness_acquire(l);
	/*
	 * A scheduled test: a busy lock's holder must get to run (the wait
	 * yields).  Leaf locks (allocator depots, statistics) are no yield
	 * points: whether they are taken depends on cache history, not on
	 * the calls, and a schedule must replay exactly.
	 */
	if (unlikely(hook != NULL) && l->il_rank != IPC_RANK_LEAF)
		hook(IPC_YIELD_LOCK);
	if (unlikely(!ipc_lock_cas(l, token)))
		ipc_lock_spin(l, token, hook);
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
	uint32_t token = ipc_lock_token();

	ipc_slow_note();
	if (ipc_test_hooks)
		ipc_witness_acquire_hop(l);
	/* Scheduled: the holder must get to run (as in ipc_lock). */
	if (unlikely(!ipc_lock_cas(l, token)))
		ipc_lock_spin(l, token, hook);
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
	if (!ipc_lock_cas(l, ipc_lock_token()))
		return false;
	ipc_tsan_acquire(l); /* A: as in ipc_lock() */
	if (ipc_test_hooks)
		ipc_witness_acquire_unordered(l);
	return true;
}

static inline bool
ipc_lock_try(ipc_lock_t *l)
{
	if (!ipc_lock_cas(l, ipc_lock_token()))
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
	ipc_tsan_release(l);  /* R: pairs with the acquire in ipc_lock() */
	ck_pr_fence_unlock(); /* [R54]: pairs with [A54] in ipc_lock_cas() */
	ck_pr_store_32(&l->il_owner, 0);
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
