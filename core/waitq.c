/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.c -- the one wait/wake protocol: every blocking path of mipc
 * waits here, and every event that could end a wait wakes here.
 *
 * Owns:      the spin-then-yield-then-futex policy, the [F1] handshake,
 *            futex system calls and deadlines.
 * Locking:   none; never called with a lock held (a futex wait or wake
 *            under a spinlock would stall every other taker).
 * Ordering:  [F1] (both sides below).
 * Choices:   * A waitq is a futex word plus a waiter count, not a list of
 *              threads: every wake bumps the word and wakes up to n
 *              sleepers, who re-check and sleep again if the event was
 *              not for them.  Receivers and blocked senders are few per
 *              port; a spurious wake costs a re-check.
 *            * A signal that interrupts a futex wait restarts the wait
 *              after a re-check (MACH_RCV_INTERRUPT is not honoured yet).
 *
 * Theory of operation: lost wake-ups ([F1])
 *
 *	waker                             waiter (ipc_waitq_wait)
 *	publish (enqueue, free room,      prepare: inc wq_waiters
 *	  mark dead, ...)                 fence [F1]
 *	fence [F1]                        seq = load wq_seq
 *	load wq_waiters                   check again: done? -> leave
 *	  > 0: inc wq_seq, futex_wake     futex_wait(wq_seq, seq)
 *	                                  leave: dec wq_waiters
 *
 * Dekker: either the waker sees the waiter's announcement (and bumps the
 * word the waiter sleeps on, so its futex_wait returns at once or is
 * woken), or the waiter's second check sees the publication.  A waker that
 * finds wq_waiters == 0 -- every uncontended send and receive -- makes no
 * system call and no locked instruction beyond its publication.
 *
 * Turnstiles (priority inheritance) attach at prepare and leave: a thread
 * that decides to sleep donates its turnstile and pushes on the inheritor
 * of what it waits on; leaving takes them back (turnstile.c).
 */
#include "waitq.h"

#include "lock.h"
#include "thread.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long
futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	ipc_slow_note();
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/*
 * Sleep while *word == val, until woken or the deadline (CLOCK_MONOTONIC,
 * NULL: none).  Returns false when the deadline passed.
 */
static bool
futex_wait(uint32_t *word, uint32_t val, const struct timespec *deadline)
{
	struct timespec rel, now;

	if (deadline == NULL) {
		futex(word, FUTEX_WAIT_PRIVATE, val, NULL);
		return true;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	rel.tv_sec = deadline->tv_sec - now.tv_sec;
	rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (rel.tv_nsec < 0) {
		rel.tv_nsec += 1000000000;
		rel.tv_sec--;
	}
	if (rel.tv_sec < 0)
		return false;
	if (futex(word, FUTEX_WAIT_PRIVATE, val, &rel) != 0 &&
	    errno == ETIMEDOUT)
		return false;
	return true;
}

void
ipc_deadline(struct timespec *ts, uint32_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_nsec -= 1000000000;
		ts->tv_sec++;
	}
}

/* ------------------------------------------------------------------ */
/* Waking                                                              */

/*
 * ipc_waitq_wake_slow
 *	Someone announced itself on wq: move the word it sleeps on, and wake
 *	up to n sleepers.
 * Conditions:
 *	Nothing locked; the caller fenced after its publication ([F1]).
 */
IPC_COLD void
ipc_waitq_wake_slow(struct ipc_waitq *wq, int n)
{
	/* Relaxed: [F1] ordered the publication; the futex orders the rest. */
	ck_pr_inc_32(&wq->wq_seq);
	futex(&wq->wq_seq, FUTEX_WAKE_PRIVATE, (uint32_t)n, NULL);
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */

bool
ipc_wait_spin_step(unsigned int *spins, bool pusher)
{
	unsigned int n = (*spins)++;

	ipc_debug_yield(IPC_YIELD_SPIN);
	if (n < (pusher ? IPC_SPIN_PAUSES + IPC_SPIN_PUSHER_PAUSES
	                : IPC_SPIN_PAUSES)) {
		arch_cpu_relax();
		return true;
	}
	if (!pusher && n < IPC_SPIN_PAUSES + IPC_SPIN_YIELDS) {
		sched_yield();
		return true;
	}
	return false;
}

/* Announce the waiter: [F1], waiter side.  Returns the word's snapshot. */
static uint32_t
wait_prepare(struct ipc_waitq *wq)
{
	ck_pr_inc_32(&wq->wq_waiters);
	/* [F1]: the announcement before the second look (ipc_waitq_fence). */
	ck_pr_fence_memory();
	return ck_pr_load_32(&wq->wq_seq);
}

static void
wait_leave(struct ipc_waitq *wq)
{
	ck_pr_dec_32(&wq->wq_waiters); /* Relaxed: a hint for wakers */
}

enum ipc_wait_result
ipc_waitq_wait(struct ipc_waitq *wq, const struct timespec *deadline,
    ipc_wait_check_t check, void *ctx, const struct ipc_wait_hooks *hooks)
{
	enum ipc_wait_result res;
	unsigned int spins = 0;
	bool blocked = false;
	bool pusher = hooks != NULL && hooks->wh_pusher;

	ipc_lock_assert_none_held();
	for (;;) {
		uint32_t seq;
		bool in_time;

		do {
			if (check(ctx)) {
				res = IPC_WAIT_DONE;
				goto out;
			}
			/* A plain waiter shows as blocked before it yields. */
			if (!blocked && hooks != NULL && !pusher &&
			    spins >= IPC_SPIN_PAUSES) {
				hooks->wh_block(ctx);
				blocked = true;
			}
		} while (ipc_wait_spin_step(&spins, pusher));

		if (!blocked && hooks != NULL) {
			hooks->wh_block(ctx); /* a pusher: the push */
			blocked = true;
		}
		seq = wait_prepare(wq);
		if (check(ctx)) {
			wait_leave(wq);
			res = IPC_WAIT_DONE;
			goto out;
		}
		in_time = futex_wait(&wq->wq_seq, seq, deadline);
		wait_leave(wq);
		if (!in_time) {
			res = IPC_WAIT_TIMED_OUT;
			goto out;
		}
		spins = IPC_SPIN_PAUSES / 2; /* woken: a shorter spin */
	}
out:
	if (blocked)
		hooks->wh_unblock(ctx);
	return res;
}

/* ------------------------------------------------------------------ */
/* Parking                                                             */

uint32_t
ipc_park_prepare(struct ipc_thread *th)
{
	uint32_t seen = ck_pr_load_32(&th->th_park);

	ck_pr_fence_load(); /* [A17]: the word, then the state it guards */
	return seen;
}

bool
ipc_park_wait(
    struct ipc_thread *th, uint32_t seen, const struct timespec *deadline)
{
	ipc_lock_assert_none_held();
	return futex_wait(&th->th_park, seen, deadline);
}

void
ipc_unpark(struct ipc_thread *th)
{
	/* [R17]: the state the waker set, before the word moves. */
	ck_pr_fence_store_atomic();
	ck_pr_inc_32(&th->th_park);
	futex(&th->th_park, FUTEX_WAKE_PRIVATE, 1, NULL);
}
