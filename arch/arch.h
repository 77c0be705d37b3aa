/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arch.h -- the CPU-specific primitives mipc needs beyond ConcurrencyKit.
 *
 * Owns:      nothing but declarations; each primitive is implemented in
 *            arch/<ARCH>/arch_md.h, selected by the Makefile (-Iarch/$(ARCH)
 *            from `uname -m`, override with ARCH=).  An arch_md.h defines
 *            what differs and then includes arch/generic/arch_md.h, which
 *            fills in the rest behind #ifndef guards (liburcu's pattern).
 * Choices:   ck_pr supplies every atomic and fence but two: ck's full
 *            fence is mfence on x86-64, and arch_fence_full is a cheaper
 *            one there; ck's 16-bit CAS is wrong on aarch64 (arch_cas_16).  No architecture #if may appear outside arch/.
 *
 * The primitive set:
 *
 *   ARCH_CACHELINE            bytes in a cache line, for padding shared data.
 *   ARCH_NAME                 "x86_64", "aarch64" or "generic".
 *   ARCH_HAS_RSEQ             1 when arch_pcpu_pop/push are rseq critical
 *                             sections, 0 when they take a per-CPU lock.
 *   arch_cpu_relax()          spin-wait hint (pause / yield).
 *   arch_fence_full()         a full fence, stores before later loads
 *                             included, for ordinary memory: what
 *                             ck_pr_fence_memory orders, at the cheapest
 *                             price (x86-64: a locked no-op on the stack,
 *                             not mfence; generic: ck's).
 *   arch_cycles()             a cheap monotonic cycle counter (rdtsc /
 *                             cntvct_el0 / CLOCK_MONOTONIC ns in generic).
 *   arch_cpu_id()             the CPU the thread runs on now, read from the
 *                             rseq area glibc registers (__rseq_offset,
 *                             __rseq_size), sched_getcpu() as fallback.  A
 *                             hint only: the thread may migrate right after.
 *   arch_counter_add(c, n)    *c += n for a 64-bit counter with one
 *                             writer and concurrent readers (relaxed
 *                             atomic loads): no locked instruction, never
 *                             a torn value (x86-64: one add to memory;
 *                             generic: a relaxed atomic load and store).
 *   arch_cas_16(p, old, new)  a relaxed CAS of a 16-bit word, true if it
 *                             stored: ck_pr_cas_16 is wrong on aarch64
 *                             (generic/arch_md.h says how), so mipc
 *                             never uses it.
 *   arch_ncpu()               number of possible CPU ids (ids are < it).
 *   arch_pcpu_available()     true when this thread may use the per-CPU
 *                             sections (rseq registered, or generic lock).
 *
 *   struct arch_pcpu_stack    one CPU's bounded LIFO of pointers; callers
 *                             keep an array of arch_ncpu() of them.
 *   arch_pcpu_pop(stacks, n)  the per-CPU critical section of cache.c: pop
 *                             one pointer from the calling CPU's stack, or
 *                             NULL when it is empty, when the CPU id is not
 *                             below n, or when no section is available.
 *   arch_pcpu_push(stacks, n, p)  push p onto the calling CPU's stack;
 *                             false when it is full or unavailable (the
 *                             caller keeps p).
 *   arch_rseq_pop(rs, stacks, n), arch_rseq_push(rs, stacks, n, p)
 *                             (ARCH_HAS_RSEQ only) the sequences behind
 *                             pop and push, on an explicit struct rseq:
 *                             pop and push pass the area glibc registered;
 *                             tests/unit/arch.c passes a private one the
 *                             kernel never sees, so the sequences' logic
 *                             runs even where rseq is unavailable
 *                             (qemu-user), though never aborted there.
 *
 * With rseq, pop and push are restartable sequences: the kernel aborts and
 * restarts them if the thread is preempted, migrated or signalled before the
 * single committing store, so a CPU's stack is only ever changed by one
 * uninterrupted sequence at a time, with no atomic instruction.  The
 * generic build takes the stack's own spinlock instead (ps_lock).
 */
#ifndef MIPC_ARCH_H
#define MIPC_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIPC_ARCH_H_INSIDE 1
#include <arch_md.h>
#undef MIPC_ARCH_H_INSIDE

#ifndef ARCH_NAME
#error "no architecture selected: build with -Iarch/<x86_64|aarch64|generic>"
#endif

#endif /* MIPC_ARCH_H */
