/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * witness.c -- broken invariants and the lock-rank witness.
 *
 * Owns:      ipc_panic(), the per-thread list of held locks (test builds),
 *            ipc_witness_hook, ipc_yield_hook (the scheduler of yield
 *            points, base.h; set only by fuzz/fuzz_sched.c).
 * Locking:   none; the witness list is thread-local.
 * Choices:   the witness is jemalloc's witness.c in miniature: ranks must
 *            strictly increase, except IPC_RANK_LEAF locks, of which one
 *            may be held at a time above everything else.  Two exceptions,
 *            each through its own call: a turnstile hop (ipc_lock_hop)
 *            takes a second turnstile lock, allowed only with exactly one
 *            held and on top; a try-lock against the order
 *            (ipc_lock_try_unordered) is recorded unchecked, since it
 *            never waits.  Compiled always, called only when
 *            ipc_test_hooks is set.
 */
#include "lock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define WITNESS_MAX 8

__thread uint64_t ipc_slow_entries;

static __thread const ipc_lock_t *witness_held[WITNESS_MAX];
static __thread unsigned int witness_n;

static void
witness_default_hook(const ipc_lock_t *held, const ipc_lock_t *taking)
{
	ipc_panic("mipc: lock order: taking \"%s\" (rank %u) while holding "
	          "\"%s\" (rank %u)",
	    taking->il_name, taking->il_rank, held->il_name, held->il_rank);
}

ipc_witness_hook_t ipc_witness_hook = witness_default_hook;
ipc_yield_hook_t ipc_yield_hook;

void
ipc_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void
ipc_witness_acquire(ipc_lock_t *l)
{
	if (witness_n != 0) {
		const ipc_lock_t *top = witness_held[witness_n - 1];

		if (top->il_rank >= l->il_rank)
			ipc_witness_hook(top, l);
	}
	ipc_require(witness_n < WITNESS_MAX, "witness: too many locks held");
	witness_held[witness_n++] = l;
}

/* A turnstile hop: exactly one turnstile lock held, on top. */
void
ipc_witness_acquire_hop(ipc_lock_t *l)
{
	unsigned int i, ts = 0;

	for (i = 0; i < witness_n; i++)
		ts += witness_held[i]->il_rank == IPC_RANK_TURNSTILE;
	if (l->il_rank != IPC_RANK_TURNSTILE || witness_n == 0 || ts != 1 ||
	    witness_held[witness_n - 1]->il_rank != IPC_RANK_TURNSTILE)
		ipc_witness_hook(
		    witness_n != 0 ? witness_held[witness_n - 1] : l, l);
	ipc_require(witness_n < WITNESS_MAX, "witness: too many locks held");
	witness_held[witness_n++] = l;
}

/* A try-lock never waits: record it without an order check. */
void
ipc_witness_acquire_unordered(ipc_lock_t *l)
{
	ipc_require(witness_n < WITNESS_MAX, "witness: too many locks held");
	witness_held[witness_n++] = l;
}

void
ipc_witness_release(ipc_lock_t *l)
{
	unsigned int i;

	for (i = witness_n; i-- > 0;) {
		if (witness_held[i] == l) {
			for (; i + 1 < witness_n; i++)
				witness_held[i] = witness_held[i + 1];
			witness_n--;
			return;
		}
	}
	ipc_panic("mipc: unlocking \"%s\", which this thread does not hold",
	    l->il_name);
}

unsigned int
ipc_witness_held_count(void)
{
	return witness_n;
}

unsigned int
ipc_witness_max_rank(void)
{
	unsigned int i, max = IPC_RANK_NONE;

	for (i = 0; i < witness_n; i++) {
		if (witness_held[i]->il_rank > max)
			max = witness_held[i]->il_rank;
	}
	return max;
}

bool
ipc_witness_held(const ipc_lock_t *l)
{
	unsigned int i;

	for (i = 0; i < witness_n; i++) {
		if (witness_held[i] == l)
			return true;
	}
	return false;
}
