/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * base.h -- what every core/ file needs first: compiler helpers, the
 * check tiers (ipc_require, ipc_assert_slow), test hooks and yield points,
 * sanitizer annotations, and the alias macro that exports Mach spellings.
 *
 * Owns:      no state.  ipc_panic(), the path counters (ipc_slow_entries,
 *            ipc_rcv_fp_entries, ipc_rcv_idle_spins, ipc_rcv_watch_hits)
 *            and ipc_yield_hook are defined in witness.c, the file of the
 *            debugging support.
 * Choices:   test builds (-DMIPC_TEST=1) turn on the hooks: failure
 *            injection, the lock witness, slow asserts, yield points.  They
 *            are gated by `static const bool`, never #ifdef, so every line
 *            always compiles (jemalloc's habit) and release builds drop
 *            them.
 */
#ifndef MIPC_CORE_BASE_H
#define MIPC_CORE_BASE_H

#include <arch.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Compiler helpers                                                    */

#define likely(x)         __builtin_expect(!!(x), 1)
#define unlikely(x)       __builtin_expect(!!(x), 0)
#define IPC_COLD          __attribute__((cold, noinline))
#define IPC_NOINLINE      __attribute__((noinline))
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

/*
 * Slow-path entries of the calling thread (test builds): every lock taken,
 * allocator slow path and system call.  The fast paths must leave it
 * unchanged (tests/unit/fastpath.c).
 */
extern __thread uint64_t ipc_slow_entries;

static inline void
ipc_slow_note(void)
{
	if (ipc_test_hooks)
		ipc_slow_entries++;
}

/*
 * Receives the flat fast path completed (msg.c msg_receive_fp), per
 * thread, in test builds: tests/unit/fastpath.c checks which path a
 * receive took.
 */
extern __thread uint64_t ipc_rcv_fp_entries;

static inline void
ipc_rcv_fp_note(void)
{
	if (ipc_test_hooks)
		ipc_rcv_fp_entries++;
}

/*
 * Reply rights the receive fast path named itself (kmsg.c
 * ipc_kmsg_copyout_reply_try), per thread, in test builds.
 */
extern __thread uint64_t ipc_rcv_reply_named;

static inline void
ipc_rcv_reply_note(void)
{
	if (ipc_test_hooks)
		ipc_rcv_reply_named++;
}

/*
 * Spins of a waiting receiver that looked only at its ring (msg.c
 * rcv_idle), per thread, in test builds.
 */
extern __thread uint64_t ipc_rcv_idle_spins;

static inline void
ipc_rcv_idle_note(void)
{
	if (ipc_test_hooks)
		ipc_rcv_idle_spins++;
}

/*
 * Receives whose empty first look watched the ring and then looked again
 * (msg.c rcv_fp_watch), per thread, in test builds.
 */
extern __thread uint64_t ipc_rcv_watch_hits;
/* Test builds: a watch of this many ns instead of msg.c's (0: msg.c's). */
extern uint32_t ipc_rcv_watch_ns_test;
/* Test builds: watches begun (ipc_spin_watch_start), every thread: a
 * test waits for another thread's watch by it, not by a sleep. */
extern uint32_t ipc_spin_watches_test;

static inline void
ipc_rcv_watch_note(void)
{
	if (ipc_test_hooks)
		ipc_rcv_watch_hits++;
}

/*
 * Yield points (test builds; STYLE Rule 13, after urcu's debug-yield.h):
 * where a deterministic scheduler (fuzz/fuzz_sched.c) may hand the CPU to
 * another thread, so that a schedule chosen by fuzzer input decides how
 * two threads' calls interleave.  IPC_YIELD_SPIN marks a wait for another
 * thread (a lock held, an earlier producer, a grace period): the hook must
 * let someone else run.  With no hook set (every normal test) they cost a
 * load; release builds drop them.
 */
enum ipc_yield_point {
	IPC_YIELD_LOCK,    /* about to take a lock */
	IPC_YIELD_SPIN,    /* waiting for another thread: must switch */
	IPC_YIELD_LOOKUP,  /* lock-free name lookup, entry bits read */
	IPC_YIELD_ENQUEUE, /* ring slot reserved, not yet published */
	IPC_YIELD_DEQUEUE, /* head slot copied, not yet claimed */
	IPC_YIELD_DESTROY, /* port marked dead, queue not yet drained */
	IPC_YIELD_RETIRE,  /* an object's last reference gone, free deferred */
	IPC_YIELD_COPY,    /* an OOL copy reading a pinned region */
	IPC_YIELD_LINK,    /* an SRP's receive completing: link, sent flag */
	IPC_YIELD_PEEK,    /* a peek found its message, not yet read */
	IPC_YIELD_BETWEEN, /* between two calls (the scheduler's own) */
};

typedef void (*ipc_yield_hook_t)(enum ipc_yield_point point);
extern ipc_yield_hook_t ipc_yield_hook; /* witness.c; set before threads */

static inline void
ipc_debug_yield(enum ipc_yield_point point)
{
	/* One load: a test may clear the hook while another thread runs. */
	ipc_yield_hook_t hook = ipc_test_hooks ? ipc_yield_hook : NULL;

	if (unlikely(hook != NULL))
		hook(point);
}

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
/* Exported Mach spellings                                             */

/* Export `mach` as another name of the native `native` (same TU). */
#define MIPC_MACH_ALIAS(native, mach)  \
	extern __typeof__(native) mach \
	    __attribute__((alias(#native), visibility("default")))

#endif /* MIPC_CORE_BASE_H */
