/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cache.c -- per-CPU object caches over jemalloc, and the sized allocation
 * seam every other file of core/ allocates through.
 *
 * Owns:      ipc_caches[] (one per cached kind: per-CPU stacks, a depot,
 *            backend counters), the sized-kind counters and failure
 *            injection; the live counts mipc_get_stats() (thread.c) reads;
 *            the bound on queued message bytes and its counters
 *            (mipc_set_queued_bytes_limit).
 * Locking:   ic_lock (IPC_RANK_LEAF) covers one kind's depot; nothing nests
 *            inside it.  The per-CPU stacks take no lock: they are changed
 *            only inside arch_pcpu_pop/push, rseq critical sections (or the
 *            per-CPU lock of arch/generic).
 * Ordering:  [T1] TSan-only edges on each object handed between threads
 *            through a per-CPU stack (the rseq sequences are invisible to
 *            TSan).  The machine ordering is carried by the CPU itself
 *            (threads that share a per-CPU stack run on that CPU in turn,
 *            the kernel's context switch ordering them) or by ic_lock for
 *            the depot.
 * Lifetime:  objects are owned by their caller between alloc and free;
 *            cached objects are owned by the cache, poisoned under ASan.
 * Choices:   * Live counts cost nothing on the fast path: they are derived
 *              when read, as backend allocations - backend frees - objects
 *              in the depot - objects in the per-CPU stacks.  Exact when
 *              quiescent, a snapshot otherwise.
 *            * Sanitizer builds (-DMIPC_BACKEND_LIBC=1) allocate with
 *              malloc/free instead of mallocx/sdallocx, so that ASan sees
 *              every byte; the caching logic is the same.
 *            * Cached objects start on a cache line, with either
 *              backend (backend_alloc_line): a kmsg's line count is a
 *              fact, not luck (kmsg.h).
 *            * A thread without rseq (valgrind, glibc.pthread.rseq=0) skips
 *              the per-CPU stacks and uses the depot under its lock: mixing
 *              locked and rseq access to one stack would be unsound.
 *            * A kind may have a constructor (ki_construct), run on each
 *              object the cache takes from the backend, as SLAB's are:
 *              the cache then holds that kind's objects constructed, and
 *              its owner gives them back so (ports: port.c, "Constructed
 *              state"), which spares each allocation the stores.
 *            * The bound on queued message bytes (issue 12, item 20) costs
 *              nothing on the fast path either: it is checked where
 *              message memory grows -- a refill of a KMSG kind from the
 *              backend, a huge message, an out-of-line copy -- against
 *              the live bytes derived as above.  Messages reused from the
 *              caches are not checked; the caches bound what that lets
 *              through (IPC_DEPOT_MAX and the per-CPU stacks per class).
 *
 * Theory of operation
 *
 * The fast path is one restartable sequence: pop a pointer from the calling
 * CPU's stack (alloc) or push one (free).  No atomic instruction, no lock,
 * no function call: it is inline in the caller (cache.h), and only its
 * way out, ipc_cache_alloc_slow / ipc_cache_free_slow, is here.  When the stack is empty, alloc takes
 * a batch from the depot (or, when the depot is empty too, from the
 * backend), keeps one and pushes the rest; when it is full, free pops half
 * of it into the depot.  The depot is bounded: beyond IPC_DEPOT_MAX objects
 * frees go back to the backend, so a burst does not pin memory forever.
 * Objects move between CPUs freely: a thread may allocate on CPU 0,
 * migrate, and free on CPU 1; the stack of CPU 1 then holds it.
 *
 * Invariants
 *  1. An object is in at most one place: a caller, one per-CPU stack slot
 *     below ps_count, or the depot below ic_depot_n.
 *  2. backend_allocs - backend_frees = live + depot + per-CPU (quiescent).
 *  3. ic_depot_n <= IPC_DEPOT_MAX.
 */
#include "cache.h"

#include "lock.h"

#include <mipc/mipc.h>

#include <jemalloc/jemalloc.h>

#include <stdlib.h>
#include <string.h>

#ifndef MIPC_BACKEND_LIBC
#define MIPC_BACKEND_LIBC 0
#endif

#define IPC_BATCH     31   /* objects moved per depot exchange */
#define IPC_DEPOT_MAX 4096 /* objects a depot keeps at most */

struct ipc_cache {
	ipc_lock_t ic_lock;         /* rank IPC_RANK_LEAF; the depot */
	uint32_t ic_size;           /* (C) object size */
	uint32_t ic_depot_n;        /* (L) objects in ic_depot */
	void **ic_depot;            /* (L) [IPC_DEPOT_MAX] */
	uint64_t ic_backend_allocs; /* (A) objects from backend */
	uint64_t ic_backend_frees;  /* (A) objects to backend */
} IPC_CACHE_ALIGNED;

struct ipc_kind_info {
	const char *ki_name;
	uint32_t ki_size; /* object size; 0 for sized kinds */
	/* Cached kinds: what makes fresh memory an object of the kind's
	 * cache, or NULL (see Choices). */
	void (*ki_construct)(void *obj);
};

static const struct ipc_kind_info ipc_kinds[IPC_KIND_COUNT] = {
	[IPC_KIND_SPACE] = { "space", 0, NULL },
	[IPC_KIND_PORT] = { "port", IPC_PORT_SIZE, ipc_port_construct },
	[IPC_KIND_PSET] = { "pset", IPC_PSET_SIZE, NULL },
	[IPC_KIND_KMSG_S] = { "kmsg_s", IPC_KMSG_S_SIZE, NULL },
	[IPC_KIND_KMSG_M] = { "kmsg_m", IPC_KMSG_M_SIZE, NULL },
	[IPC_KIND_KMSG_L] = { "kmsg_l", IPC_KMSG_L_SIZE, NULL },
	[IPC_KIND_KMSG_HUGE] = { "kmsg_huge", 0, NULL },
	[IPC_KIND_TABLE] = { "table", 0, NULL },
	[IPC_KIND_OOL] = { "ool", 0, NULL },
	[IPC_KIND_THREAD] = { "thread", 0, NULL },
	[IPC_KIND_TURNSTILE] = { "turnstile", 0, NULL },
	[IPC_KIND_WORKLOOP] = { "workloop", 0, NULL },
	[IPC_KIND_MISC] = { "misc", 0, NULL },
};

MIPC_STATIC_ASSERT(cached_sizes_are_whole_lines,
    IPC_PORT_SIZE % ARCH_CACHELINE == 0 &&
        IPC_PSET_SIZE % ARCH_CACHELINE == 0 &&
        IPC_KMSG_S_SIZE % ARCH_CACHELINE == 0 &&
        IPC_KMSG_M_SIZE % ARCH_CACHELINE == 0 &&
        IPC_KMSG_L_SIZE % ARCH_CACHELINE == 0);

static struct ipc_cache ipc_caches[IPC_KIND_COUNT];

/* Per-CPU stacks: ipc_pcpu[kind][cpu], or NULL with ipc_ncpu == 0 (cache.h
 * reads them in the inline fast paths). */
struct arch_pcpu_stack *ipc_pcpu[IPC_KIND_COUNT];
uint32_t ipc_ncpu;

/* Sized kinds: live bytes and objects. (A) */
static uint64_t ipc_sized_bytes[IPC_KIND_COUNT];
static uint64_t ipc_sized_objs[IPC_KIND_COUNT];

/* The bound on queued message bytes and its counters. (A) */
static uint64_t ipc_queued_max = MIPC_QUEUED_BYTES_DEFAULT;
static uint64_t ipc_queued_other; /* bytes ipc_queued_account counts */
static uint64_t ipc_queued_refused;

/* Failure injection. (A) */
static uint64_t ipc_fail_countdown[IPC_KIND_COUNT + 1];
static uint64_t ipc_alloc_attempts[IPC_KIND_COUNT + 1];

static void *ipc_depot_store[IPC_KIND_COUNT][IPC_DEPOT_MAX];

/* ------------------------------------------------------------------ */
/* Backend                                                             */

static inline void *
backend_alloc(size_t size)
{
	if (MIPC_BACKEND_LIBC)
		return malloc(size);
	return mallocx(size, 0);
}

static inline void
backend_free(void *p, size_t size)
{
	if (MIPC_BACKEND_LIBC)
		free(p);
	else
		sdallocx(p, size, 0);
}

/*
 * Cached objects start on a cache line: a kmsg's metadata is one line and
 * its message the next (kmsg.h), a port's hot fields share its first.
 * jemalloc's size classes of these sizes are aligned already; the C
 * library's malloc is not.
 */
static inline void *
backend_alloc_line(size_t size)
{
	if (MIPC_BACKEND_LIBC)
		return aligned_alloc(ARCH_CACHELINE, size);
	return mallocx(size, MALLOCX_ALIGN(ARCH_CACHELINE));
}

static inline void
backend_free_line(void *p, size_t size)
{
	if (MIPC_BACKEND_LIBC)
		free(p);
	else
		sdallocx(p, size, MALLOCX_ALIGN(ARCH_CACHELINE));
}

static inline bool
kind_cached(enum ipc_kind kind)
{
	return ipc_kinds[kind].ki_size != 0;
}

/* The kinds that hold messages (the bound on queued bytes). */
static inline bool
kind_message(enum ipc_kind kind)
{
	return kind == IPC_KIND_KMSG_S || kind == IPC_KIND_KMSG_M ||
	    kind == IPC_KIND_KMSG_L || kind == IPC_KIND_KMSG_HUGE;
}

/* May this thread use the per-CPU stacks right now? */
static inline bool
pcpu_usable(void)
{
	return ipc_ncpu != 0 && arch_pcpu_available();
}

/* ------------------------------------------------------------------ */
/* Initialisation                                                      */

__attribute__((constructor)) static void
ipc_cache_init(void)
{
	uint32_t ncpu = arch_ncpu();
	size_t bytes = (size_t)ncpu * sizeof(struct arch_pcpu_stack);
	int k;

	for (k = 0; k < IPC_KIND_COUNT; k++) {
		struct ipc_cache *c = &ipc_caches[k];

		ipc_lock_init(&c->ic_lock, IPC_RANK_LEAF, "cache depot");
		c->ic_size = ipc_kinds[k].ki_size;
		/* The inline fast paths poison with cache.h's sizes. */
		ipc_require(c->ic_size == ipc_cache_size((enum ipc_kind)k),
		    "cache.h and cache.c agree on the object sizes");
		c->ic_depot = ipc_depot_store[k];
	}
	/*
	 * Per-CPU stacks come straight from the C library: they live as long
	 * as the process and must exist before any cache is used.  Without
	 * them every thread uses the depots (ipc_ncpu stays 0).
	 */
	for (k = 0; k < IPC_KIND_COUNT; k++) {
		if (!kind_cached((enum ipc_kind)k))
			continue;
		ipc_pcpu[k] = aligned_alloc(ARCH_CACHELINE, bytes);
		if (ipc_pcpu[k] == NULL)
			return;
		memset(ipc_pcpu[k], 0, bytes);
	}
	ipc_ncpu = ncpu;
}

/*
 * ipc_cache_atfork_child
 *	fork(): the child abandons every object of the parent (they are
 *	copies nothing in the child reaches), including those cached: other
 *	threads may have been changing a depot or a per-CPU stack when the
 *	process forked.  Caches start empty, counters at zero.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_cache_atfork_child(void)
{
	int k;

	for (k = 0; k < IPC_KIND_COUNT; k++) {
		struct ipc_cache *c = &ipc_caches[k];

		ipc_lock_init(&c->ic_lock, IPC_RANK_LEAF, "cache depot");
		c->ic_depot_n = 0;
		c->ic_backend_allocs = 0;
		c->ic_backend_frees = 0;
		if (ipc_pcpu[k] != NULL)
			memset(ipc_pcpu[k], 0,
			    (size_t)ipc_ncpu * sizeof(struct arch_pcpu_stack));
		ipc_sized_bytes[k] = 0;
		ipc_sized_objs[k] = 0;
	}
	/* The parent's messages are abandoned with everything else; the
	 * bound (a setting) is kept. */
	ipc_queued_other = 0;
	ipc_queued_refused = 0;
}

/* ------------------------------------------------------------------ */
/* Failure injection                                                   */

void
ipc_fail_nth(enum ipc_kind kind, uint64_t n)
{
	ipc_require(kind <= IPC_KIND_ANY, "failure injection kind in range");
	ck_pr_store_64(&ipc_fail_countdown[kind], n);
}

uint64_t
ipc_alloc_count(enum ipc_kind kind)
{
	ipc_require(kind <= IPC_KIND_ANY, "failure injection kind in range");
	return ck_pr_load_64(&ipc_alloc_attempts[kind]);
}

static bool
countdown_hits(uint64_t *cd)
{
	uint64_t v = ck_pr_load_64(cd);

	while (v != 0) {
		/* Relaxed use: the countdown orders nothing but itself. */
		if (ck_pr_cas_64_value(cd, v, v - 1, &v))
			return v == 1;
	}
	return false;
}

bool
ipc_fail_check_slow(enum ipc_kind kind)
{
	bool fail;

	ck_pr_inc_64(&ipc_alloc_attempts[kind]);
	ck_pr_inc_64(&ipc_alloc_attempts[IPC_KIND_ANY]);
	fail = countdown_hits(&ipc_fail_countdown[kind]);
	fail |= countdown_hits(&ipc_fail_countdown[IPC_KIND_ANY]);
	return fail;
}

/* ------------------------------------------------------------------ */
/* Cached kinds                                                        */

static inline void
obj_cached(struct ipc_cache *c, void *obj)
{
	ipc_asan_poison(obj, c->ic_size);
}

static inline void
obj_handed_out(struct ipc_cache *c, void *obj)
{
	ipc_asan_unpoison(obj, c->ic_size);
}

/*
 * Up to `want` objects from the backend into batch (cached: poisoned);
 * how many.  More message memory must stay within the bound on queued
 * bytes (see Choices).
 */
IPC_COLD static uint32_t
cache_grow(enum ipc_kind kind, void **batch, uint32_t want)
{
	struct ipc_cache *c = &ipc_caches[kind];
	uint32_t n = 0;

	if (kind_message(kind) && !ipc_queued_admit(c->ic_size))
		return 0;
	while (n < want) {
		void *o = backend_alloc_line(c->ic_size);

		if (o == NULL)
			break;
		ck_pr_inc_64(&c->ic_backend_allocs);
		if (ipc_kinds[kind].ki_construct != NULL)
			ipc_kinds[kind].ki_construct(o);
		obj_cached(c, o);
		batch[n++] = o;
	}
	return n;
}

/*
 * Refill: take up to IPC_BATCH objects from the depot, or from the backend
 * when the depot is empty; keep one for the caller, push the rest onto this
 * CPU's stack, and put back whatever does not fit.
 */
IPC_COLD static void *
cache_alloc_slow(enum ipc_kind kind)
{
	ipc_slow_note();
	struct ipc_cache *c = &ipc_caches[kind];
	/* A thread without per-CPU stacks takes one object at a time. */
	uint32_t want = pcpu_usable() ? IPC_BATCH : 1;
	void *batch[IPC_BATCH];
	uint32_t n = 0, i;

	ipc_lock(&c->ic_lock);
	while (n < want && c->ic_depot_n != 0)
		batch[n++] = c->ic_depot[--c->ic_depot_n];
	ipc_unlock(&c->ic_lock);

	if (n == 0) {
		n = cache_grow(kind, batch, want > 1 ? IPC_BATCH / 2 : 1);
		if (n == 0)
			return NULL;
	}

	for (i = 1; i < n; i++) {
		/* [T1]: see cache_free(); the object enters a per-CPU stack. */
		ipc_tsan_release(batch[i]);
		if (!arch_pcpu_push(ipc_pcpu[kind], ipc_ncpu, batch[i]))
			break;
	}
	if (i < n) {
		ipc_lock(&c->ic_lock);
		for (; i < n; i++) {
			if (c->ic_depot_n < IPC_DEPOT_MAX) {
				c->ic_depot[c->ic_depot_n++] = batch[i];
			} else {
				ipc_unlock(&c->ic_lock);
				obj_handed_out(c, batch[i]);
				backend_free_line(batch[i], c->ic_size);
				ck_pr_inc_64(&c->ic_backend_frees);
				ipc_lock(&c->ic_lock);
			}
		}
		ipc_unlock(&c->ic_lock);
	}
	obj_handed_out(c, batch[0]);
	return batch[0];
}

/*
 * Drain: the CPU's stack is full (or absent).  Move half of it, plus obj,
 * to the depot; what the depot cannot hold goes back to the backend.
 */
IPC_COLD static void
cache_free_slow(enum ipc_kind kind, void *obj)
{
	ipc_slow_note();
	struct ipc_cache *c = &ipc_caches[kind];
	void *batch[IPC_BATCH + 1];
	uint32_t n = 0, i;

	batch[n++] = obj;
	while (n < 1 + ARCH_PCPU_SLOTS / 2) {
		void *o = arch_pcpu_pop(ipc_pcpu[kind], ipc_ncpu);

		if (o == NULL)
			break;
		ipc_tsan_acquire(o); /* [T1]: as in ipc_cache_alloc() */
		batch[n++] = o;
	}

	ipc_lock(&c->ic_lock);
	i = 0;
	while (i < n && c->ic_depot_n < IPC_DEPOT_MAX)
		c->ic_depot[c->ic_depot_n++] = batch[i++];
	ipc_unlock(&c->ic_lock);

	for (; i < n; i++) {
		obj_handed_out(c, batch[i]);
		backend_free_line(batch[i], c->ic_size);
		ck_pr_inc_64(&c->ic_backend_frees);
	}
}

/*
 * ipc_cache_alloc_slow, ipc_cache_free_slow
 *	The inline fast paths' way out (cache.h: ipc_cache_alloc and
 *	ipc_cache_free pop and push in the caller): this CPU's stack was
 *	empty, full or unusable.
 * Conditions: as ipc_cache_alloc / ipc_cache_free.
 */
void *
ipc_cache_alloc_slow(enum ipc_kind kind)
{
	return cache_alloc_slow(kind);
}

void
ipc_cache_free_slow(enum ipc_kind kind, void *obj)
{
	cache_free_slow(kind, obj);
}

/* ------------------------------------------------------------------ */
/* Sized kinds                                                         */

/* ipc_alloc and ipc_alloc_line's one body, and their frees' (line: the
 * memory starts on a cache line, backend_alloc_line). */
static void *sized_alloc(enum ipc_kind kind, size_t size, bool line);
static void sized_free(enum ipc_kind kind, void *p, size_t size, bool line);

void *
ipc_alloc(enum ipc_kind kind, size_t size)
{
	return sized_alloc(kind, size, false);
}

void *
ipc_alloc_line(enum ipc_kind kind, size_t size)
{
	return sized_alloc(kind, size, true);
}

void
ipc_free_line(enum ipc_kind kind, void *p, size_t size)
{
	sized_free(kind, p, size, true);
}

static void *
sized_alloc(enum ipc_kind kind, size_t size, bool line)
{
	void *p;

	ipc_require(!kind_cached(kind), "ipc_alloc is for sized kinds");
	ipc_slow_note();
	if (unlikely(ipc_fail_check(kind)) || size == 0)
		return NULL;
	if (kind == IPC_KIND_KMSG_HUGE && !ipc_queued_admit(size))
		return NULL;
	p = line ? backend_alloc_line(size) : backend_alloc(size);
	if (p != NULL) {
		ck_pr_add_64(&ipc_sized_bytes[kind], size);
		ck_pr_inc_64(&ipc_sized_objs[kind]);
	}
	return p;
}

void *
ipc_zalloc(enum ipc_kind kind, size_t size)
{
	void *p = ipc_alloc(kind, size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
ipc_free(enum ipc_kind kind, void *p, size_t size)
{
	sized_free(kind, p, size, false);
}

static void
sized_free(enum ipc_kind kind, void *p, size_t size, bool line)
{
	if (p == NULL)
		return;
	ipc_require(!kind_cached(kind), "ipc_free is for sized kinds");
	ck_pr_sub_64(&ipc_sized_bytes[kind], size);
	ck_pr_dec_64(&ipc_sized_objs[kind]);
	if (line)
		backend_free_line(p, size);
	else
		backend_free(p, size);
}

/*
 * Account memory of a sized kind that does not come through ipc_alloc
 * (vm.c maps pages itself).  bytes may be negative.
 */
void
ipc_kind_account(enum ipc_kind kind, int64_t bytes)
{
	ipc_require(!kind_cached(kind), "accounting is for sized kinds");
	ck_pr_add_64(&ipc_sized_bytes[kind], (uint64_t)bytes);
	if (bytes > 0)
		ck_pr_inc_64(&ipc_sized_objs[kind]);
	else
		ck_pr_dec_64(&ipc_sized_objs[kind]);
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */

static uint64_t
cache_live(enum ipc_kind kind)
{
	struct ipc_cache *c = &ipc_caches[kind];
	uint64_t held = 0, live;
	uint32_t cpu;

	ipc_lock(&c->ic_lock);
	held = c->ic_depot_n;
	if (ipc_pcpu[kind] != NULL) {
		for (cpu = 0; cpu < ipc_ncpu; cpu++)
			held += ck_pr_load_64(&ipc_pcpu[kind][cpu].ps_count);
	}
	live = ck_pr_load_64(&c->ic_backend_allocs) -
	    ck_pr_load_64(&c->ic_backend_frees);
	ipc_unlock(&c->ic_lock);
	/* Racing refills can make the snapshot transiently negative. */
	return live > held ? live - held : 0;
}

uint64_t
ipc_kind_live(enum ipc_kind kind)
{
	ipc_require(kind < IPC_KIND_COUNT, "kind in range");
	if (kind_cached(kind))
		return cache_live(kind);
	return ck_pr_load_64(&ipc_sized_bytes[kind]);
}

uint64_t
ipc_kind_objects(enum ipc_kind kind)
{
	ipc_require(kind < IPC_KIND_COUNT, "kind in range");
	if (kind_cached(kind))
		return cache_live(kind);
	return ck_pr_load_64(&ipc_sized_objs[kind]);
}

const char *
ipc_kind_name(enum ipc_kind kind)
{
	ipc_require(kind < IPC_KIND_COUNT, "kind in range");
	return ipc_kinds[kind].ki_name;
}

/* ------------------------------------------------------------------ */
/* The bound on queued message bytes                                   */

/*
 * ipc_queued_bytes
 *	Bytes of messages live now: the message kinds (objects handed out
 *	times their size, huge messages' bytes) and what owners account.
 * Conditions: nothing locked but ranks below IPC_RANK_LEAF; O(ncpu).
 */
uint64_t
ipc_queued_bytes(void)
{
	return cache_live(IPC_KIND_KMSG_S) * IPC_KMSG_S_SIZE +
	    cache_live(IPC_KIND_KMSG_M) * IPC_KMSG_M_SIZE +
	    cache_live(IPC_KIND_KMSG_L) * IPC_KMSG_L_SIZE +
	    ck_pr_load_64(&ipc_sized_bytes[IPC_KIND_KMSG_HUGE]) +
	    ck_pr_load_64(&ipc_queued_other);
}

/* Objects of a cached kind the backend gave and got no back: >= live. */
static uint64_t
cache_held(enum ipc_kind kind)
{
	struct ipc_cache *c = &ipc_caches[kind];

	/* Relaxed: counters; a racing refill is the caller's to absorb. */
	return ck_pr_load_64(&c->ic_backend_allocs) -
	    ck_pr_load_64(&c->ic_backend_frees);
}

/* An upper bound of ipc_queued_bytes, in O(1) without a lock. */
static uint64_t
queued_held(void)
{
	return cache_held(IPC_KIND_KMSG_S) * IPC_KMSG_S_SIZE +
	    cache_held(IPC_KIND_KMSG_M) * IPC_KMSG_M_SIZE +
	    cache_held(IPC_KIND_KMSG_L) * IPC_KMSG_L_SIZE +
	    ck_pr_load_64(&ipc_sized_bytes[IPC_KIND_KMSG_HUGE]) +
	    ck_pr_load_64(&ipc_queued_other);
}

/*
 * ipc_queued_admit
 *	May `bytes` more of message memory be allocated?  A refusal is
 *	counted (queued_bytes_refusals).
 * Conditions: as ipc_queued_bytes.
 */
bool
ipc_queued_admit(size_t bytes)
{
	/* Relaxed: a bound read when memory grows, not an ordering. */
	uint64_t max = ck_pr_load_64(&ipc_queued_max);

	if (max == UINT64_MAX)
		return true;
	if (bytes <= max) {
		/* What the caches hold bounds what is live: no lock. */
		if (queued_held() <= max - bytes)
			return true;
		if (ipc_queued_bytes() <= max - bytes)
			return true;
	}
	ck_pr_inc_64(&ipc_queued_refused);
	return false;
}

/* Count (bytes > 0) or uncount message memory outside the message kinds. */
void
ipc_queued_account(int64_t bytes)
{
	/* Relaxed: a counter. */
	ck_pr_add_64(&ipc_queued_other, (uint64_t)bytes);
}

uint64_t
ipc_queued_limit(void)
{
	return ck_pr_load_64(&ipc_queued_max);
}

uint64_t
ipc_queued_refusals(void)
{
	return ck_pr_load_64(&ipc_queued_refused);
}

size_t
mipc_set_queued_bytes_limit(size_t bytes)
{
	uint64_t v = bytes == SIZE_MAX ? UINT64_MAX : (uint64_t)bytes;

	/* Relaxed: see ipc_queued_admit. */
	v = ck_pr_fas_64(&ipc_queued_max, v);
	return v == UINT64_MAX ? SIZE_MAX : (size_t)v;
}
