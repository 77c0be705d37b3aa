/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cache.h -- object kinds, the per-CPU object caches (cache.c) and the
 * sized allocation seam onto jemalloc, with live counters and failure
 * injection per kind.
 *
 * Owns:      enum ipc_kind and the sizes of the cached kinds; every
 *            allocation of core/ goes through the calls below.
 * Choices:   the caches' fast paths (one rseq pop or push) are inline here,
 *            so that a caller pays no call and a constant kind folds; the
 *            refill, drain and everything else stay in cache.c.
 */
#ifndef MIPC_CORE_CACHE_H
#define MIPC_CORE_CACHE_H

#include "base.h"

/* ------------------------------------------------------------------ */
/* Object kinds, caches and the allocation seam (cache.c)              */

/*
 * Every allocation in core/ names its kind: the kind picks the per-CPU
 * cache (fixed-size kinds) or goes straight to the backend (variable
 * size), keeps the live counter that mipc_get_stats() reports, and is the
 * unit of failure injection.
 */
enum ipc_kind {
	IPC_KIND_SPACE,     /* space slots: space.c's own, never freed;
	                       the kind only names failure injection */
	IPC_KIND_PORT,      /* struct ipc_port             (cached) */
	IPC_KIND_PSET,      /* struct ipc_pset             (cached) */
	IPC_KIND_KMSG_S,    /* kmsg, small size class      (cached) */
	IPC_KIND_KMSG_M,    /* kmsg, medium size class     (cached) */
	IPC_KIND_KMSG_L,    /* kmsg, large size class      (cached) */
	IPC_KIND_KMSG_HUGE, /* kmsg beyond the classes     (sized) */
	IPC_KIND_TABLE,     /* name and request tables     (sized) */
	IPC_KIND_OOL,       /* out-of-line memory          (sized) */
	IPC_KIND_THREAD,    /* per-thread state            (sized) */
	IPC_KIND_TURNSTILE, /* turnstiles                  (sized) */
	IPC_KIND_WORKLOOP,  /* workloops                   (sized) */
	IPC_KIND_MISC,      /* anything else               (sized) */
	IPC_KIND_COUNT,
	IPC_KIND_ANY = IPC_KIND_COUNT /* failure injection: any kind */
};

/* Object sizes of the cached kinds; each struct asserts it fits. */
#define IPC_PORT_SIZE   256
#define IPC_PSET_SIZE   128
#define IPC_KMSG_S_SIZE 256
#define IPC_KMSG_M_SIZE 1024
#define IPC_KMSG_L_SIZE 4096

/*
 * The per-CPU stacks of the cached kinds (cache.c): ipc_pcpu[kind][cpu] for
 * cpu < ipc_ncpu, or ipc_ncpu == 0 without them.  (C) set by cache.c's
 * constructor (and cleared by a forked child's) before any other call;
 * only the inline fast paths below read them outside cache.c.
 */
extern struct arch_pcpu_stack *ipc_pcpu[IPC_KIND_COUNT];
extern uint32_t ipc_ncpu;

/* The port kind's constructor (port.c, "Constructed state"). */
void ipc_port_construct(void *obj);

/* The refill and drain paths behind the inline fast paths (cache.c). */
void *ipc_cache_alloc_slow(enum ipc_kind kind);
void ipc_cache_free_slow(enum ipc_kind kind, void *obj);
bool ipc_fail_check_slow(enum ipc_kind kind);

static inline bool
ipc_fail_check(enum ipc_kind kind)
{
	return ipc_test_hooks && ipc_fail_check_slow(kind);
}

/* Object size of a cached kind (a constant where kind is one). */
static inline uint32_t
ipc_cache_size(enum ipc_kind kind)
{
	switch (kind) {
	case IPC_KIND_PORT:
		return IPC_PORT_SIZE;
	case IPC_KIND_PSET:
		return IPC_PSET_SIZE;
	case IPC_KIND_KMSG_S:
		return IPC_KMSG_S_SIZE;
	case IPC_KIND_KMSG_M:
		return IPC_KMSG_M_SIZE;
	case IPC_KIND_KMSG_L:
		return IPC_KMSG_L_SIZE;
	default:
		return 0;
	}
}

/*
 * ipc_cache_alloc
 *	A fixed-size object of a cached kind, uninitialised (constructed,
 *	for a kind with a constructor).  ipc_cache_take is the same once
 *	the caller has made the failure-injection check (ipc_fail_check).
 * Conditions:
 *	Nothing locked.  Fast path: one rseq pop, inline in the caller (no
 *	call, no lock, no atomic).  Returns NULL when memory is exhausted
 *	(or injected to fail).
 */
static inline void *
ipc_cache_take(enum ipc_kind kind)
{
	void *o = arch_pcpu_pop(ipc_pcpu[kind], ipc_ncpu);

	if (unlikely(o == NULL))
		return ipc_cache_alloc_slow(kind);
	/* [T1]: pairs with ipc_cache_free() of the last owner (cache.c). */
	ipc_tsan_acquire(o);
	ipc_asan_unpoison(o, ipc_cache_size(kind));
	return o;
}

static inline void *
ipc_cache_alloc(enum ipc_kind kind)
{
	if (unlikely(ipc_fail_check(kind)))
		return NULL;
	return ipc_cache_take(kind);
}

/*
 * ipc_cache_free
 *	Give back an object of a cached kind.
 * Conditions:
 *	Nothing locked.  Fast path: one rseq push, inline in the caller.
 */
static inline void
ipc_cache_free(enum ipc_kind kind, void *obj)
{
	ipc_asan_poison(obj, ipc_cache_size(kind));
	/* [T1]: the next owner's ipc_cache_alloc() acquires (cache.c). */
	ipc_tsan_release(obj);
	if (likely(arch_pcpu_push(ipc_pcpu[kind], ipc_ncpu, obj)))
		return;
	ipc_cache_free_slow(kind, obj);
}

/*
 * The sized seam onto jemalloc (mallocx/sdallocx): every variable-size
 * allocation of core/ goes through it, so that kinds are counted and
 * failures can be injected.  ipc_free must be given the allocated size.
 */
void *ipc_alloc(enum ipc_kind kind, size_t size);
void *ipc_zalloc(enum ipc_kind kind, size_t size);
void ipc_free(enum ipc_kind kind, void *p, size_t size);
/* The same, starting on a cache line (a ring's lines: mqueue.h). */
void *ipc_alloc_line(enum ipc_kind kind, size_t size);
void ipc_free_line(enum ipc_kind kind, void *p, size_t size);

void ipc_kind_account(enum ipc_kind kind, int64_t bytes);

/*
 * The bound on queued message bytes (mipc_set_queued_bytes_limit, cache.c).
 * The message kinds (KMSG_*) are checked by the allocator itself when it
 * needs more memory; other memory a message carries (out-of-line regions
 * and port arrays in flight) is checked by its owner with
 * ipc_queued_admit before it allocates, and counted with
 * ipc_queued_account while the message holds it.
 */
bool ipc_queued_admit(size_t bytes);
void ipc_queued_account(int64_t bytes);
uint64_t ipc_queued_bytes(void);
uint64_t ipc_queued_limit(void);
uint64_t ipc_queued_refusals(void);

/* Live objects (cached kinds) or bytes (sized kinds) of one kind. */
uint64_t ipc_kind_live(enum ipc_kind kind);
/* Live objects of one kind, cached or sized. */
uint64_t ipc_kind_objects(enum ipc_kind kind);
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

void ipc_cache_atfork_child(void);

#endif /* MIPC_CORE_CACHE_H */
