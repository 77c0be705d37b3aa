/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * witness.c -- broken invariants, the lock-rank witness, and the
 * contended path of the lock (where a re-entered thread is caught).
 *
 * Owns:      ipc_panic(), the per-thread list of held locks and the
 *            path counters (test builds; base.h),
 *            ipc_witness_hook, ipc_yield_hook (the scheduler of yield
 *            points, base.h; set only by fuzz/fuzz_sched.c), the threads'
 *            lock tokens (lock.h) and ipc_lock_spin.
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
#include <unistd.h>

#define WITNESS_MAX 8

__thread uint64_t ipc_slow_entries;
__thread uint64_t ipc_rcv_fp_entries;
__thread uint64_t ipc_rcv_reply_named;
__thread uint64_t ipc_rcv_idle_spins;
__thread uint64_t ipc_rcv_watch_hits;
uint32_t ipc_rcv_watch_ns_test;
uint32_t ipc_spin_watches_test;

static __thread const ipc_lock_t *witness_held[WITNESS_MAX];
static __thread unsigned int witness_n;

__thread uint32_t ipc_lock_self __attribute__((tls_model("initial-exec")));

/* What re-entry from a signal handler looks like, in every report. */
#define REENTERED                                                        \
	"mipc was re-entered on this thread, most likely from a signal " \
	"handler that interrupted a mipc call: mipc calls are not "      \
	"async-signal-safe (see mipc.h)"

uint32_t
ipc_lock_token_slow(void)
{
	ipc_lock_self = (uint32_t)gettid();
	ipc_require(!(ipc_lock_self & IPC_LOCK_ERASING),
	    "a thread id leaves the eraser bit clear");
	return ipc_lock_self;
}

/* fork(): the child's thread has another id. */
void
ipc_lock_atfork_child(void)
{
	ipc_lock_self = 0;
}

void
ipc_lock_spin(ipc_lock_t *l, uint32_t token, ipc_yield_hook_t hook)
{
	do {
		uint32_t o;

		/* Relaxed: a hint; the CAS ([A54]) decides. */
		while ((o = ck_pr_load_32(&l->il_owner)) != 0) {
			if (unlikely((o & ~IPC_LOCK_ERASING) == token))
				ipc_lock_reentered(l);
			if (unlikely(hook != NULL))
				hook(IPC_YIELD_SPIN);
			else
				ck_pr_stall();
		}
	} while (!ipc_lock_cas(l, token));
}

void
ipc_lock_reentered(const ipc_lock_t *l)
{
	ipc_panic(
	    "mipc: taking \"%s\", which this thread already holds: " REENTERED,
	    l->il_name);
}

static void
witness_default_hook(const ipc_lock_t *held, const ipc_lock_t *taking)
{
	if (held == taking)
		ipc_lock_reentered(taking);
	ipc_panic("mipc: lock order: taking \"%s\" (rank %u) while holding "
	          "\"%s\" (rank %u) -- a bug in mipc, or " REENTERED,
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
	if (ipc_witness_held(l))
		ipc_witness_hook(l, l); /* held == taking: re-entered */
	else if (witness_n != 0) {
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
