/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal.h -- types and helpers shared inside core/ (never installed).
 *
 * Owns:      the check tiers (ipc_require, ipc_assert_slow), the lock type
 *            with its rank witness, sanitizer annotations, the object kinds
 *            and the cache/allocation seam (cache.c), per-thread state and
 *            epoch sections (thread.c).
 * Locking:   ranks below, acquired in increasing order only.
 * Choices:   test builds (-DMIPC_TEST=1) turn on the hooks: failure
 *            injection, the lock witness, slow asserts.  They are gated by
 *            `static const bool`, never #ifdef, so every line always
 *            compiles (jemalloc's habit) and release builds drop them.
 *
 * Tests that look inside include this header and say why.
 */
#ifndef MIPC_CORE_INTERNAL_H
#define MIPC_CORE_INTERNAL_H

#include <arch.h>

#include <ck_epoch.h>
#include <ck_pr.h>
#include <ck_spinlock.h>

#include <mipc/mipc.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Compiler helpers                                                    */

#define likely(x)         __builtin_expect(!!(x), 1)
#define unlikely(x)       __builtin_expect(!!(x), 0)
#define IPC_COLD          __attribute__((cold, noinline))
#define IPC_NORETURN      __attribute__((noreturn))
#define IPC_PRINTF(a, b)  __attribute__((format(printf, a, b)))
#define IPC_CACHE_ALIGNED __attribute__((aligned(ARCH_CACHELINE)))

#define MIPC_STATIC_ASSERT(name, expr) _Static_assert(expr, #name)

#define ipc_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#ifndef MIPC_TEST
#define MIPC_TEST 0
#endif

/* Test hooks: failure injection, lock witness, slow asserts. */
static const bool ipc_test_hooks = MIPC_TEST;

/* ------------------------------------------------------------------ */
/* Check tiers (STYLE Rule 8)                                          */

/* Stops the process, naming the broken invariant.  Always on. */
IPC_NORETURN IPC_COLD IPC_PRINTF(1, 2) void ipc_panic(const char *fmt, ...);

#define ipc_require(cond, what)                                               \
	do {                                                                  \
		if (unlikely(!(cond)))                                        \
			ipc_panic("mipc: invariant broken: %s (%s) at %s:%d", \
			    what, #cond, __FILE__, __LINE__);                 \
	} while (0)

/* O(n) checks; compiled always, evaluated only in test builds. */
#define ipc_assert_slow(cond, what)              \
	do {                                     \
		if (ipc_test_hooks)              \
			ipc_require(cond, what); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Sanitizer annotations                                               */
/*
 * ThreadSanitizer does not see ck_pr's inline assembly nor the rseq
 * sequences, so it misses the happens-before edges they create.  We name
 * those edges at their publication points instead of suppressing reports
 * (liburcu's annotate.h): a release on the publishing side, an acquire on
 * the consuming side, on the same address.
 */
#if defined(__SANITIZE_THREAD__)
#define MIPC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MIPC_TSAN 1
#endif
#endif
#ifndef MIPC_TSAN
#define MIPC_TSAN 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define MIPC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIPC_ASAN 1
#endif
#endif
#ifndef MIPC_ASAN
#define MIPC_ASAN 0
#endif

void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);

static inline void
ipc_tsan_acquire(void *addr)
{
#if MIPC_TSAN
	__tsan_acquire(addr);
#else
	(void)addr;
#endif
}

static inline void
ipc_tsan_release(void *addr)
{
#if MIPC_TSAN
	__tsan_release(addr);
#else
	(void)addr;
#endif
}

static inline void
ipc_asan_poison(void *addr, size_t size)
{
#if MIPC_ASAN
	__asan_poison_memory_region(addr, size);
#else
	(void)addr;
	(void)size;
#endif
}

static inline void
ipc_asan_unpoison(void *addr, size_t size)
{
#if MIPC_ASAN
	__asan_unpoison_memory_region(addr, size);
#else
	(void)addr;
	(void)size;
#endif
}

/* ------------------------------------------------------------------ */
/* Locks and ranks (STYLE Rule 9)                                      */

enum ipc_lock_rank { /* acquire in increasing order only */
	IPC_RANK_NONE = 0,
	IPC_RANK_GLOBAL = 1,   /* registry of spaces / threads */
	IPC_RANK_SPACE,        /* space write lock (table growth, slow paths) */
	IPC_RANK_PORT,         /* port lock; the interlock of its turnstiles */
	IPC_RANK_TURNSTILE,    /* turnstile lock: ours, then the inheritor's */
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

void ipc_lock_init(ipc_lock_t *l, enum ipc_lock_rank rank, const char *name);
void ipc_witness_acquire(ipc_lock_t *l);
void ipc_witness_release(ipc_lock_t *l);
bool ipc_witness_held(const ipc_lock_t *l);

/* Called on a rank inversion (test builds); default: ipc_panic. */
typedef void (*ipc_witness_hook_t)(
    const ipc_lock_t *held, const ipc_lock_t *taking);
extern ipc_witness_hook_t ipc_witness_hook;

static inline void
ipc_lock(ipc_lock_t *l)
{
	if (ipc_test_hooks)
		ipc_witness_acquire(l);
	ck_spinlock_fas_lock(&l->il_lock);
	/* A: pairs with the release in ipc_unlock(); for TSan's benefit. */
	ipc_tsan_acquire(l);
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

#define ipc_lock_assert_not_held(l)                                          \
	do {                                                                 \
		if (ipc_test_hooks)                                          \
			ipc_require(                                         \
			    !ipc_witness_held(l), "lock not held on entry"); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Object kinds, caches and the allocation seam (cache.c)              */

/*
 * Every allocation in core/ names its kind: the kind picks the per-CPU
 * cache (fixed-size kinds) or goes straight to the backend (variable
 * size), keeps the live counter that mipc_get_stats() reports, and is the
 * unit of failure injection.
 */
enum ipc_kind {
	IPC_KIND_SPACE,     /* struct ipc_space            (cached) */
	IPC_KIND_PORT,      /* struct ipc_port             (cached) */
	IPC_KIND_PSET,      /* struct ipc_pset             (cached) */
	IPC_KIND_KMSG_S,    /* kmsg, small size class      (cached) */
	IPC_KIND_KMSG_M,    /* kmsg, medium size class     (cached) */
	IPC_KIND_KMSG_L,    /* kmsg, large size class      (cached) */
	IPC_KIND_KMSG_HUGE, /* kmsg beyond the classes     (sized) */
	IPC_KIND_TABLE,     /* name and request tables     (sized) */
	IPC_KIND_OOL,       /* out-of-line memory          (sized) */
	IPC_KIND_THREAD,    /* per-thread state            (sized) */
	IPC_KIND_MISC,      /* anything else               (sized) */
	IPC_KIND_COUNT,
	IPC_KIND_ANY = IPC_KIND_COUNT /* failure injection: any kind */
};

/* Object sizes of the cached kinds; each struct asserts it fits. */
#define IPC_SPACE_SIZE  256
#define IPC_PORT_SIZE   256
#define IPC_PSET_SIZE   128
#define IPC_KMSG_S_SIZE 256
#define IPC_KMSG_M_SIZE 1024
#define IPC_KMSG_L_SIZE 4096

/* Fixed-size objects of a cached kind; NULL when memory is exhausted. */
void *ipc_cache_alloc(enum ipc_kind kind);
void ipc_cache_free(enum ipc_kind kind, void *obj);

/*
 * The sized seam onto jemalloc (mallocx/sdallocx): every variable-size
 * allocation of core/ goes through it, so that kinds are counted and
 * failures can be injected.  ipc_free must be given the allocated size.
 */
void *ipc_alloc(enum ipc_kind kind, size_t size);
void *ipc_zalloc(enum ipc_kind kind, size_t size);
void ipc_free(enum ipc_kind kind, void *p, size_t size);

/* Live objects (cached kinds) or bytes (sized kinds) of one kind. */
uint64_t ipc_kind_live(enum ipc_kind kind);
const char *ipc_kind_name(enum ipc_kind kind);

/*
 * Failure injection (test builds; no-ops otherwise).
 * ipc_fail_nth(kind, n): the n-th allocation of `kind` from now fails
 * (n = 1 is the next one; 0 disarms).  IPC_KIND_ANY counts every kind.
 * ipc_alloc_count(kind): allocations attempted so far, for sweeps that
 * fail each allocation site in turn.
 */
void ipc_fail_nth(enum ipc_kind kind, uint64_t n);
uint64_t ipc_alloc_count(enum ipc_kind kind);
bool ipc_fail_check_slow(enum ipc_kind kind);

static inline bool
ipc_fail_check(enum ipc_kind kind)
{
	return ipc_test_hooks && ipc_fail_check_slow(kind);
}

/* ------------------------------------------------------------------ */
/* Per-thread state and epoch sections (thread.c)                      */

/*
 * (O) owning thread only.
 */
struct ipc_thread {
	ck_epoch_record_t *th_epoch; /* (O) our ck_epoch record */
	uint32_t th_defers;          /* (O) defers since last poll */
	void *th_space;              /* (O) current space (port.h) */
};

/* The calling thread's state, created on first use; NULL if out of memory. */
extern __thread struct ipc_thread *ipc_thread_cur
    __attribute__((tls_model("initial-exec")));
struct ipc_thread *ipc_thread_init_slow(void);

static inline struct ipc_thread *
ipc_thread_self(void)
{
	struct ipc_thread *th = ipc_thread_cur;

	if (likely(th != NULL))
		return th;
	return ipc_thread_init_slow();
}

/* Epoch sections: lock-free readers of tables and ports. */
#define IPC_EPOCH_POLL_EVERY 128 /* defers between reclamation polls */

extern ck_epoch_t ipc_epoch;
void ipc_epoch_poll_slow(struct ipc_thread *th);

/*
 * ipc_epoch_enter / ipc_epoch_exit
 *	Open and close a read section: objects retired through
 *	ipc_epoch_defer() are not freed while a section that could have seen
 *	them is open.  Sections nest.  Never block inside one.
 * Conditions:
 *	th is ipc_thread_self().  No lock needed; never allocates.
 *	Exit is a safe point: with no section left open it reclaims when
 *	IPC_EPOCH_POLL_EVERY frees are pending.
 */
static inline void
ipc_epoch_enter(struct ipc_thread *th)
{
	ck_epoch_begin(th->th_epoch, NULL);
}

static inline void
ipc_epoch_exit(struct ipc_thread *th)
{
	/* R: for TSan, pairs with the acquire before deferred frees run. */
	ipc_tsan_release(&ipc_epoch);
	ck_epoch_end(th->th_epoch, NULL);
	if (unlikely(th->th_defers >= IPC_EPOCH_POLL_EVERY))
		ipc_epoch_poll_slow(th);
}

static inline bool
ipc_epoch_inside(const struct ipc_thread *th)
{
	return th->th_epoch->active != 0;
}

/*
 * A retired object embeds one of these.  id_fn runs once the grace period
 * has passed, on whichever thread reclaims (usually the retiring one).
 */
struct ipc_deferred {
	ck_epoch_entry_t id_ck;
	void (*id_fn)(struct ipc_deferred *d);
};

/*
 * ipc_epoch_defer
 *	Run fn(d) once every section open now has closed.
 * Conditions:
 *	Any lock state; inside or outside a section.  Never blocks or
 *	allocates: d is embedded in the retired object.
 */
void ipc_epoch_defer(struct ipc_thread *th, struct ipc_deferred *d,
    void (*fn)(struct ipc_deferred *d));

/* Pending deferred frees of one thread (tests of the bound). */
unsigned int ipc_epoch_pending(const struct ipc_thread *th);

/* Threads with live state (mipc_get_stats). */
uint64_t ipc_thread_live(void);
uint64_t ipc_epoch_pending_all(void);

#endif /* MIPC_CORE_INTERNAL_H */
