/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * generic/arch_rseq.h -- Linux restartable sequences, as glibc registers them.
 *
 * Included by an architecture's arch_md.h that implements the per-CPU
 * sections with rseq.  glibc (2.35 and later) registers one struct rseq per
 * thread at the thread pointer plus __rseq_offset and publishes its size in
 * __rseq_size (0 when registration is disabled, e.g. by the tunable
 * glibc.pthread.rseq=0).  The kernel keeps cpu_id current; a negative value
 * means "not registered" or "registration failed" (valgrind, old kernels).
 * Every abort handler must be preceded by RSEQ_SIG, the signature glibc
 * registered, or the kernel kills the thread.
 */
#ifndef MIPC_ARCH_H_INSIDE
#error "include arch.h, not arch_rseq.h"
#endif

#ifndef MIPC_ARCH_RSEQ_H
#define MIPC_ARCH_RSEQ_H

#include <sched.h>
#include <sys/rseq.h>

static inline struct rseq *
arch_rseq_area(void)
{
	return (
	    struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* True when the kernel keeps this thread's rseq area current. */
static inline bool
arch_pcpu_available(void)
{
	/* Relaxed: cpu_id is written by the kernel on this thread only. */
	return __rseq_size != 0 &&
	    (int32_t)__atomic_load_n(
	        &arch_rseq_area()->cpu_id, __ATOMIC_RELAXED) >= 0;
}

#define ARCH_HAVE_CPU_ID 1
static inline uint32_t
arch_cpu_id(void)
{
	if (__rseq_size != 0) {
		/* Relaxed: kernel-written, single-copy atomic, own thread. */
		int32_t c = (int32_t)__atomic_load_n(
		    &arch_rseq_area()->cpu_id, __ATOMIC_RELAXED);

		if (c >= 0)
			return (uint32_t)c;
	}
	{
		int c = sched_getcpu();

		return c >= 0 ? (uint32_t)c : 0;
	}
}

#endif /* MIPC_ARCH_RSEQ_H */
