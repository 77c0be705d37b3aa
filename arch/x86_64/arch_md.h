/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64/arch_md.h -- pause, rdtsc, the full fence as a locked no-op,
 * 64-byte lines, rseq per-CPU sections.
 *
 * The two sequences below follow the shape of librseq's per-CPU list
 * operations (Mathieu Desnoyers, "Restartable sequences", LPC 2016): store
 * the address of a struct rseq_cs descriptor into the thread's rseq area,
 * read cpu_id, do side-effect-free work, and finish with exactly one
 * committing store.  The descriptor names [1:, 2:) as the critical region
 * and 4: as the abort handler, preceded by RSEQ_SIG.  If the kernel
 * preempts, migrates or signals the thread while its instruction pointer is
 * in the region, it moves it to the abort handler, which restarts the whole
 * sequence (re-arming rseq_cs, which the kernel cleared).  Leaving the
 * region by a branch (empty, full, CPU out of range) needs no cleanup: the
 * kernel ignores a descriptor whose region does not contain the IP.
 *
 * Offsets: struct rseq has cpu_id at 4 and rseq_cs at 8; arch_pcpu_stack
 * has ps_count at 8 and ps_slots at 16 and is 512 bytes (asserted in the
 * generic header).
 */
#ifndef MIPC_ARCH_H_INSIDE
#error "include arch.h, not arch_md.h"
#endif

#ifndef MIPC_ARCH_X86_64_MD_H
#define MIPC_ARCH_X86_64_MD_H

#define ARCH_NAME      "x86_64"
#define ARCH_CACHELINE 64
#define ARCH_HAS_RSEQ  1

#include "../generic/arch_rseq.h"

_Static_assert(RSEQ_SIG == 0x53053053, "glibc's x86 rseq signature");

#define ARCH_HAVE_CPU_RELAX 1
static inline void
arch_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

#define ARCH_HAVE_CYCLES 1
static inline uint64_t
arch_cycles(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * One add to memory, not locked: the counter has one writer, and an
 * aligned 8-byte store is single-copy atomic for its readers.  Invisible
 * to TSan, as every asm is; the readers' loads are atomic.
 */
#define ARCH_HAVE_COUNTER_ADD 1
static inline void
arch_counter_add(uint64_t *c, uint64_t n)
{
	__asm__ __volatile__("addq %1, %0" : "+m"(*c) : "er"(n));
}

/*
 * A locked no-op on the word at the stack pointer: a full barrier for
 * ordinary (write-back) memory, as every locked instruction is, and about
 * a tenth of mfence's price on the KVM guest measured (15 against 125 ns
 * in a tight loop).  mfence also orders non-temporal and write-combining
 * stores, which no ordering of mipc's involves (glibc's non-temporal
 * copies end in their own sfence).  The word keeps its value: the stack
 * is the thread's own.
 */
#define ARCH_HAVE_FENCE_FULL 1
static inline void
arch_fence_full(void)
{
	__asm__ __volatile__("lock; orl $0, (%%rsp)" ::: "memory", "cc");
}

struct arch_pcpu_stack;

static inline void *
arch_rseq_pop(struct rseq *rs, struct arch_pcpu_stack *stacks, uint32_t n)
{
	void *p;

	__asm__ __volatile__(
	    ".pushsection __rseq_cs, \"aw\"\n\t"
	    ".balign 32\n"
	    "66:\n\t"
	    ".long 0, 0\n\t"
	    ".quad 1f, 2f - 1f, 4f\n\t"
	    ".popsection\n"
	    "0:\n\t"
	    "leaq 66b(%%rip), %%rax\n\t"
	    "movq %%rax, 8(%[rs])\n"
	    "1:\n\t"
	    "movl 4(%[rs]), %%eax\n\t"
	    "cmpl %[n], %%eax\n\t"
	    "jae 3f\n\t"
	    "shlq $9, %%rax\n\t"
	    "addq %[stacks], %%rax\n\t"
	    "movq 8(%%rax), %%rcx\n\t"
	    "testq %%rcx, %%rcx\n\t"
	    "jz 3f\n\t"
	    "movq 8(%%rax,%%rcx,8), %%rdx\n\t" /* ps_slots[count - 1] */
	    "subq $1, %%rcx\n\t"
	    "movq %%rcx, 8(%%rax)\n" /* commit: ps_count-- */
	    "2:\n\t"
	    "jmp 5f\n\t"
	    ".long 0x53053053\n"
	    "4:\n\t"
	    "jmp 0b\n"
	    "3:\n\t"
	    "xorl %%edx, %%edx\n"
	    "5:\n\t"
	    "movq %%rdx, %[p]\n\t"
	    : [p] "=r"(p)
	    : [rs] "r"(rs), [stacks] "r"(stacks), [n] "r"(n)
	    : "rax", "rcx", "rdx", "memory", "cc");
	return p;
}

static inline bool
arch_rseq_push(
    struct rseq *rs, struct arch_pcpu_stack *stacks, uint32_t n, void *p)
{
	uint32_t ok;

	__asm__ __volatile__(
	    ".pushsection __rseq_cs, \"aw\"\n\t"
	    ".balign 32\n"
	    "66:\n\t"
	    ".long 0, 0\n\t"
	    ".quad 1f, 2f - 1f, 4f\n\t"
	    ".popsection\n"
	    "0:\n\t"
	    "leaq 66b(%%rip), %%rax\n\t"
	    "movq %%rax, 8(%[rs])\n"
	    "1:\n\t"
	    "movl 4(%[rs]), %%eax\n\t"
	    "cmpl %[n], %%eax\n\t"
	    "jae 3f\n\t"
	    "shlq $9, %%rax\n\t"
	    "addq %[stacks], %%rax\n\t"
	    "movq 8(%%rax), %%rcx\n\t"
	    "cmpq $62, %%rcx\n\t" /* ARCH_PCPU_SLOTS */
	    "jae 3f\n\t"
	    "movq %[p], 16(%%rax,%%rcx,8)\n\t" /* ps_slots[count] = p */
	    "addq $1, %%rcx\n\t"
	    "movq %%rcx, 8(%%rax)\n" /* commit: ps_count++ */
	    "2:\n\t"
	    "movl $1, %%edx\n\t"
	    "jmp 5f\n\t"
	    ".long 0x53053053\n"
	    "4:\n\t"
	    "jmp 0b\n"
	    "3:\n\t"
	    "xorl %%edx, %%edx\n"
	    "5:\n\t"
	    "movl %%edx, %[ok]\n\t"
	    : [ok] "=r"(ok)
	    : [rs] "r"(rs), [stacks] "r"(stacks), [n] "r"(n), [p] "r"(p)
	    : "rax", "rcx", "rdx", "memory", "cc");
	return ok != 0;
}

#include "../generic/arch_md.h"

#endif /* MIPC_ARCH_X86_64_MD_H */
