/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.h -- waiting (waitq.c): futex words, deadlines and the spin
 * policy every blocking path follows before it sleeps.
 */
#ifndef MIPC_CORE_WAITQ_H
#define MIPC_CORE_WAITQ_H

#include "base.h"

#include <sched.h>
#include <time.h>

/*
 * How a waiter waits before it sleeps: IPC_SPIN_PAUSES cheap re-checks (a
 * peer on another CPU usually answers within them), then IPC_SPIN_YIELDS
 * sched_yield()s, which on a shared CPU hand the slice to the very thread
 * we wait for instead of burning it, and cost one syscall elsewhere.
 */
#define IPC_SPIN_PAUSES 16
#define IPC_SPIN_YIELDS 8

/* One step of that wait; false when it is time to sleep. */
static inline bool
ipc_spin_step(unsigned int *spins)
{
	unsigned int n = (*spins)++;

	ipc_debug_yield(IPC_YIELD_SPIN);
	if (n < IPC_SPIN_PAUSES) {
		arch_cpu_relax();
		return true;
	}
	if (n < IPC_SPIN_PAUSES + IPC_SPIN_YIELDS) {
		sched_yield();
		return true;
	}
	return false;
}

/*
 * Wait while *word == val, until woken or the deadline (CLOCK_MONOTONIC,
 * NULL: none).  Returns false when the deadline passed.
 */
bool ipc_futex_wait(
    uint32_t *word, uint32_t val, const struct timespec *deadline);
void ipc_futex_wake(uint32_t *word, int n);
/* Deadline `ms` milliseconds from now. */
void ipc_deadline(struct timespec *ts, uint32_t ms);

#endif /* MIPC_CORE_WAITQ_H */
