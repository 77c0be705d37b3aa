/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * generic/arch_md.h -- portable fallbacks for every primitive of arch.h.
 *
 * Included last by each architecture's arch_md.h; every definition is
 * guarded, so an architecture overrides by defining first.  Used alone with
 * ARCH=generic.  The per-CPU section here is a per-CPU spinlock (ps_lock):
 * correct on any CPU, slower than rseq, and still per-CPU so that threads
 * on different CPUs do not contend.  An rseq architecture (ARCH_HAS_RSEQ)
 * defines only its sequences, arch_rseq_pop/push on an explicit area; the
 * sections here run them on the thread's registered area.
 */
#ifndef MIPC_ARCH_H_INSIDE
#error "include arch.h, not arch_md.h"
#endif

#ifndef MIPC_ARCH_GENERIC_MD_H
#define MIPC_ARCH_GENERIC_MD_H

#include <sched.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#ifndef ARCH_NAME
#define ARCH_NAME "generic"
#endif

#ifndef ARCH_CACHELINE
#define ARCH_CACHELINE 64
#endif

#ifndef ARCH_HAS_RSEQ
#define ARCH_HAS_RSEQ 0
#endif

#ifndef ARCH_HAVE_CPU_RELAX
static inline void
arch_cpu_relax(void)
{
	__asm__ __volatile__("" ::: "memory");
}
#endif

#ifndef ARCH_HAVE_COUNTER_ADD
static inline void
arch_counter_add(uint64_t *c, uint64_t n)
{
	/* Relaxed: one writer; readers load atomically (a load and a store). */
	__atomic_store_n(
	    c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
#endif

#ifndef ARCH_HAVE_CAS_16
/*
 * Relaxed.  Not ck_pr_cas_16: on aarch64 it compares the zero-extended
 * halfword it loads with a register the compiler may leave sign-extended
 * (0xa000 as 0xffffa000), so it fails to store and still returns true.
 */
static inline bool
arch_cas_16(uint16_t *p, uint16_t old, uint16_t new)
{
	return __atomic_compare_exchange_n(
	    p, &old, new, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}
#endif

#ifndef ARCH_HAVE_FENCE_FULL
#include <ck_pr.h>

/* ck's own (dmb ish on aarch64); GCC refuses atomic_thread_fence with
 * -fsanitize=thread. */
static inline void
arch_fence_full(void)
{
	ck_pr_fence_memory();
}
#endif

#ifndef ARCH_HAVE_CYCLES
static inline uint64_t
arch_cycles(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

static inline uint32_t
arch_ncpu(void)
{
	static uint32_t ncpu;
	uint32_t n = __atomic_load_n(&ncpu, __ATOMIC_RELAXED);

	/* Relaxed is enough: every thread computes the same value. */
	if (n == 0) {
		int c = get_nprocs_conf();

		n = c > 0 ? (uint32_t)c : 1;
		__atomic_store_n(&ncpu, n, __ATOMIC_RELAXED);
	}
	return n;
}

#ifndef ARCH_HAVE_CPU_ID
static inline uint32_t
arch_cpu_id(void)
{
	int c = sched_getcpu();

	return c >= 0 ? (uint32_t)c : 0;
}
#endif

/*
 * One CPU's stack: exactly 512 bytes, so that the rseq sequences index the
 * array with a shift.  ps_lock is used only by the generic section.
 */
#define ARCH_PCPU_SLOTS       62
#define ARCH_PCPU_STACK_SHIFT 9

struct arch_pcpu_stack {
	uint64_t ps_lock;  /* generic only: 0 free, 1 held */
	uint64_t ps_count; /* slots in use; changed only in a section */
	void *ps_slots[ARCH_PCPU_SLOTS];
} __attribute__((aligned(ARCH_CACHELINE)));

_Static_assert(sizeof(struct arch_pcpu_stack) == 1u << ARCH_PCPU_STACK_SHIFT,
    "arch_pcpu_stack must be 1 << ARCH_PCPU_STACK_SHIFT bytes");
_Static_assert(offsetof(struct arch_pcpu_stack, ps_count) == 8,
    "the rseq sequences hard-code ps_count at offset 8");
_Static_assert(offsetof(struct arch_pcpu_stack, ps_slots) == 16,
    "the rseq sequences hard-code ps_slots at offset 16");

#if ARCH_HAS_RSEQ
/*
 * An rseq architecture's sections: its sequences (arch_rseq_pop/push) on
 * the area glibc registered for this thread, or nothing without one.
 */
static inline void *
arch_pcpu_pop(struct arch_pcpu_stack *stacks, uint32_t n)
{
	if (__rseq_size == 0)
		return NULL;
	return arch_rseq_pop(arch_rseq_area(), stacks, n);
}

static inline bool
arch_pcpu_push(struct arch_pcpu_stack *stacks, uint32_t n, void *p)
{
	if (__rseq_size == 0)
		return false;
	return arch_rseq_push(arch_rseq_area(), stacks, n, p);
}
#else  /* !ARCH_HAS_RSEQ */
static inline bool
arch_pcpu_available(void)
{
	return true;
}

static inline struct arch_pcpu_stack *
arch_pcpu_lock(struct arch_pcpu_stack *stacks, uint32_t n)
{
	uint32_t cpu = arch_cpu_id();
	struct arch_pcpu_stack *s;

	if (cpu >= n)
		return NULL;
	s = &stacks[cpu];
	/* A: acquire pairs with the release in arch_pcpu_unlock(). */
	while (__atomic_exchange_n(&s->ps_lock, 1, __ATOMIC_ACQUIRE) != 0)
		arch_cpu_relax();
	return s;
}

static inline void
arch_pcpu_unlock(struct arch_pcpu_stack *s)
{
	/* R: publishes the stack to the next holder (arch_pcpu_lock). */
	__atomic_store_n(&s->ps_lock, 0, __ATOMIC_RELEASE);
}

static inline void *
arch_pcpu_pop(struct arch_pcpu_stack *stacks, uint32_t n)
{
	struct arch_pcpu_stack *s = arch_pcpu_lock(stacks, n);
	void *p = NULL;

	if (s == NULL)
		return NULL;
	if (s->ps_count != 0)
		p = s->ps_slots[--s->ps_count];
	arch_pcpu_unlock(s);
	return p;
}

static inline bool
arch_pcpu_push(struct arch_pcpu_stack *stacks, uint32_t n, void *p)
{
	struct arch_pcpu_stack *s = arch_pcpu_lock(stacks, n);
	bool ok = false;

	if (s == NULL)
		return false;
	if (s->ps_count < ARCH_PCPU_SLOTS) {
		s->ps_slots[s->ps_count++] = p;
		ok = true;
	}
	arch_pcpu_unlock(s);
	return ok;
}
#endif /* !ARCH_HAS_RSEQ */

#endif /* MIPC_ARCH_GENERIC_MD_H */
