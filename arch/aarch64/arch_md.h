/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aarch64/arch_md.h -- yield, cntvct_el0, rseq per-CPU sections.
 *
 * Same protocol as x86_64/arch_md.h (see its header): arm rseq_cs, read
 * cpu_id, work, one committing store; the abort handler at 4: is preceded by
 * glibc's signature instruction (BRK #0x45E0, RSEQ_SIG_CODE) and restarts.
 * ldr w9 zero-extends the CPU id into x9, so the index arithmetic is 64-bit.
 * Keep the sequences literal translations of the x86 ones: `make
 * test-aarch64` runs them under qemu-user, which has no rseq system call,
 * so there they run only on tests/unit/arch.c's private area (their logic
 * and the descriptor the kernel would read), never preempted or aborted.
 */
#ifndef MIPC_ARCH_H_INSIDE
#error "include arch.h, not arch_md.h"
#endif

#ifndef MIPC_ARCH_AARCH64_MD_H
#define MIPC_ARCH_AARCH64_MD_H

#define ARCH_NAME      "aarch64"
#define ARCH_CACHELINE 64
#define ARCH_HAS_RSEQ  1

#include "../generic/arch_rseq.h"

_Static_assert(RSEQ_SIG_CODE == 0xd428bc00, "glibc's aarch64 signature");

#define ARCH_HAVE_CPU_RELAX 1
static inline void
arch_cpu_relax(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}

#define ARCH_HAVE_CYCLES 1
static inline uint64_t
arch_cycles(void)
{
	uint64_t v;

	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
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
	    "adrp x9, 66b\n\t"
	    "add x9, x9, :lo12:66b\n\t"
	    "str x9, [%[rs], #8]\n"
	    "1:\n\t"
	    "ldr w9, [%[rs], #4]\n\t"
	    "cmp w9, %w[n]\n\t"
	    "b.hs 3f\n\t"
	    "add x9, %[stacks], x9, lsl #9\n\t"
	    "ldr x10, [x9, #8]\n\t"
	    "cbz x10, 3f\n\t"
	    "sub x10, x10, #1\n\t"
	    "add x11, x9, #16\n\t"
	    "ldr x12, [x11, x10, lsl #3]\n\t" /* ps_slots[count - 1] */
	    "str x10, [x9, #8]\n"             /* commit: ps_count-- */
	    "2:\n\t"
	    "b 5f\n\t"
	    ".inst 0xd428bc00\n"
	    "4:\n\t"
	    "b 0b\n"
	    "3:\n\t"
	    "mov x12, #0\n"
	    "5:\n\t"
	    "mov %[p], x12\n\t"
	    : [p] "=r"(p)
	    : [rs] "r"(rs), [stacks] "r"(stacks), [n] "r"(n)
	    : "x9", "x10", "x11", "x12", "memory", "cc");
	return p;
}

static inline bool
arch_rseq_push(
    struct rseq *rs, struct arch_pcpu_stack *stacks, uint32_t n, void *p)
{
	uint64_t ok;

	__asm__ __volatile__(
	    ".pushsection __rseq_cs, \"aw\"\n\t"
	    ".balign 32\n"
	    "66:\n\t"
	    ".long 0, 0\n\t"
	    ".quad 1f, 2f - 1f, 4f\n\t"
	    ".popsection\n"
	    "0:\n\t"
	    "adrp x9, 66b\n\t"
	    "add x9, x9, :lo12:66b\n\t"
	    "str x9, [%[rs], #8]\n"
	    "1:\n\t"
	    "ldr w9, [%[rs], #4]\n\t"
	    "cmp w9, %w[n]\n\t"
	    "b.hs 3f\n\t"
	    "add x9, %[stacks], x9, lsl #9\n\t"
	    "ldr x10, [x9, #8]\n\t"
	    "cmp x10, #62\n\t" /* ARCH_PCPU_SLOTS */
	    "b.hs 3f\n\t"
	    "add x11, x9, #16\n\t"
	    "str %[p], [x11, x10, lsl #3]\n\t" /* ps_slots[count] = p */
	    "add x10, x10, #1\n\t"
	    "str x10, [x9, #8]\n" /* commit: ps_count++ */
	    "2:\n\t"
	    "mov x12, #1\n\t"
	    "b 5f\n\t"
	    ".inst 0xd428bc00\n"
	    "4:\n\t"
	    "b 0b\n"
	    "3:\n\t"
	    "mov x12, #0\n"
	    "5:\n\t"
	    "mov %[ok], x12\n\t"
	    : [ok] "=r"(ok)
	    : [rs] "r"(rs), [stacks] "r"(stacks), [n] "r"(n), [p] "r"(p)
	    : "x9", "x10", "x11", "x12", "memory", "cc");
	return ok != 0;
}

#include "../generic/arch_md.h"

#endif /* MIPC_ARCH_AARCH64_MD_H */
