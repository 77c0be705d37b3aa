/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.h -- the one wait/wake protocol (waitq.c): every thread that
 * blocks in mipc -- a receiver on an empty port or set, a sender on a full
 * queue -- waits on a struct ipc_waitq, and everything that could end such
 * a wait wakes that waitq.
 *
 * Owns:      struct ipc_waitq (embedded in what is waited on), the spin
 *            policy, futex words and deadlines, interruption (signals,
 *            mipc_thread_abort).
 * Ordering:  [F1], the lost-wake-up handshake (Dekker), see waitq.c:
 *            a waker publishes, fences, then reads wq_waiters; a waiter
 *            counts itself in wq_waiters, fences, then looks again.
 *            An armed event-loop descriptor (waitfd.c) counts as a waiter
 *            that never leaves: IPC_WAITQ_FD in wq_waiters.
 */
#ifndef MIPC_CORE_WAITQ_H
#define MIPC_CORE_WAITQ_H

#include "base.h"

#include <ck_pr.h>
#include <limits.h>
#include <sched.h>
#include <time.h>

/*
 * What is waited on: a futex word every wake bumps, and the number of
 * threads between prepare and leaving -- the gate that lets a waker with
 * nobody waiting skip the system call (the fast path's case).
 */
struct ipc_waitq {
	uint32_t wq_seq;     /* (A) futex word; bumped by each wake */
	uint32_t wq_waiters; /* (A) threads announced, not yet left; plus
	                        IPC_WAITQ_FD while a descriptor is armed */
};

/*
 * A descriptor mirrors this waitq (waitfd.c): wakers find the waiter count
 * non-zero, as for a sleeping thread, and the slow wake raises it.  So an
 * armed descriptor costs the send path nothing more than a receiver
 * parked in the kernel would, and an unarmed one nothing at all.
 */
#define IPC_WAITQ_FD 0x80000000u

#define IPC_WAITQ_INITIALIZER \
	{                     \
		0, 0          \
	}

static inline void
ipc_waitq_init(struct ipc_waitq *wq)
{
	wq->wq_seq = 0;
	wq->wq_waiters = 0;
}

/*
 * How the waker published what a waiter looks for; it picks the [F1] fence.
 * After an atomic read-modify-write (a ring commit's swap, a counter's
 * decrement) the fence is ck_pr_fence_atomic_load: free on x86, where the
 * locked op is already a full barrier.  After plain stores it is a full
 * fence.
 */
enum ipc_wake_after {
	IPC_WAKE_AFTER_ATOMIC,
	IPC_WAKE_AFTER_STORE,
};

#define IPC_WAKE_ONE 1
#define IPC_WAKE_ALL INT_MAX

/*
 * ipc_waitq_fence
 *	[F1], waker side: the publication before any wq_waiters load.
 */
static inline void
ipc_waitq_fence(enum ipc_wake_after after)
{
	if (after == IPC_WAKE_AFTER_ATOMIC)
		ck_pr_fence_atomic_load(); /* [F1]: pairs with wait_prepare (waitq.c) */
	else
		arch_fence_full(); /* [F1]: pairs with wait_prepare (waitq.c) */
}

void ipc_waitq_wake_slow(struct ipc_waitq *wq, int n);

/*
 * ipc_waitq_wake_fenced
 *	Wake up to n waiters (IPC_WAKE_ONE, IPC_WAKE_ALL) if any announced
 *	itself; the caller has already issued ipc_waitq_fence() after its
 *	publication (one fence may serve several waitqs).
 * Conditions:
 *	Any lock state, but prefer none: when a waiter is found the wake is
 *	a system call.  (Set membership changes and receive-right moves
 *	still wake under the space lock.)
 */
static inline void
ipc_waitq_wake_fenced(struct ipc_waitq *wq, int n)
{
	if (unlikely(ck_pr_load_32(&wq->wq_waiters) != 0))
		ipc_waitq_wake_slow(wq, n);
}

/* Publication already made: fence, then wake up to n waiters if any. */
static inline void
ipc_waitq_wake(struct ipc_waitq *wq, enum ipc_wake_after after, int n)
{
	ipc_waitq_fence(after);
	ipc_waitq_wake_fenced(wq, n);
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */

/*
 * How a waiter waits before it sleeps: it re-checks, pausing between two
 * looks, for IPC_SPIN_NS (a peer on another CPU usually answers within
 * it), then makes IPC_SPIN_YIELDS sched_yield()s, which on a shared CPU
 * hand the slice to the very thread we wait for instead of burning it,
 * and cost one syscall elsewhere.  A woken waiter pauses half as long
 * before it sleeps again.  The pausing is measured in time, not in looks
 * (waitq.c, struct ipc_spin): a cheaper look must not shorten the window
 * in which a peer's answer saves a sleep.  Its length is about what 16
 * whole receive looks took before, warm (the pusher's: 80).  Measured
 * (bench-ab against the count-based policy, quiet machine): where the
 * peer shares our CPU every pause is lost -- rpc_block_1cpu 1.55x with
 * 2.5 / 12 us, 1.09x with 2 / 5 us, 1.00x with 1.5 / 4 us -- and across
 * CPUs a window too short sleeps: rpc_block 10x the sleeps with 1 / 5
 * us, 1.9x (0.3% of round trips) and 1.02x the time with 1.5 / 4 us.
 *
 * A waiter that pushes its priority (a blocked sender, a client on its
 * special reply port) or is pushed (a workloop's servicer waiting for
 * its next request, msg.c) never yields: it pauses for
 * IPC_SPIN_PUSHER_NS instead (about the time the yields take on an idle
 * CPU, so an RPC whose reply comes within microseconds neither pushes
 * nor sleeps), then pushes, then sleeps, as XNU's waiter blocks once it
 * must.  Under CFS a yield hands the slice to the runnable
 * thread with the least vruntime -- with CPU hogs about, rarely the
 * low-priority thread we wait for, even once pushed: bench/inversion.c
 * measured p99s of 9-50 ms with the yields, 143 us (W = 100 us) without.
 * Under EEVDF a yield moves the yielder's deadline a slice later, so a
 * servicer raised by a request that comes while it still yields loses
 * the CPU to the hogs until the next tick (4 ms p99 for W = 500 us).
 *
 * A thread learns when its pausing is lost because the peer shares its
 * CPU: a plain waiter whose pausing ran out and whose first yield brought
 * the answer (the CPU went to the peer, which answered at once) counts
 * one; after IPC_SPIN_FAILS of those in a row its next IPC_SPIN_SKIP
 * phases do not pause (they yield at once), and then one more such phase
 * skips again.  A pausing that the answer ended, or an answer that came
 * later (a slow peer elsewhere), starts the count over; a phase answered
 * at its first look (a woken waiter's) or after a sleep teaches nothing,
 * and a pusher, which never yields, never skips.  Waiters report the
 * answer with ipc_spin_answered().  On one CPU every pause was pure loss
 * (bench-ab rpc_block_1cpu, pausing 1 ns instead of 1.5 / 4 us: 10.5 ->
 * 6.3 us a round trip).  Counting every pausing that ran out instead
 * (the first try) also skipped across CPUs under load: a loaded machine's
 * cross-core rpc_block slept 5x as often.  ipc_spin_forget() drops what
 * the calling thread learnt.
 *
 * Under a test's yield hook (fuzz/fuzz_sched.c's deterministic
 * scheduler: every pause hands the baton over) the budget counts pauses,
 * IPC_SPIN_PAUSES and IPC_SPIN_PUSHER_PAUSES, so that a schedule stays a
 * function of its input, and nothing is learnt.
 */
#define IPC_SPIN_NS            1500u
#define IPC_SPIN_PUSHER_NS     4000u
#define IPC_SPIN_YIELDS        8
#define IPC_SPIN_PAUSES        16
#define IPC_SPIN_PUSHER_PAUSES 80
#define IPC_SPIN_FAILS         8
#define IPC_SPIN_SKIP          16

/*
 * One spin phase (ipc_spin_start, then ipc_spin_step until it says
 * sleep).  sp_start and sp_budget are in arch_cycles() ticks, or in
 * CLOCK_MONOTONIC nanoseconds (sp_clock) before the tick rate is known.
 */
struct ipc_spin {
	uint64_t sp_start;     /* when the pausing began */
	uint64_t sp_budget;    /* how long it lasts */
	unsigned int sp_n;     /* steps taken */
	unsigned int sp_limit; /* under a yield hook: pauses allowed */
	bool sp_pusher;        /* pause longer, never yield */
	bool sp_clock;         /* times are nanoseconds, not ticks */
	bool sp_counted;       /* the budget counts pauses (a yield hook) */
	bool sp_yielding;      /* the pausing is over */
	bool sp_learn;         /* how the pausing ends counts (above) */
};

enum ipc_wait_result {
	IPC_WAIT_DONE,        /* the check found what it waited for */
	IPC_WAIT_TIMED_OUT,   /* the deadline passed first */
	IPC_WAIT_INTERRUPTED, /* a signal, with IPC_WAIT_INTERRUPTIBLE */
	IPC_WAIT_ABORTED,     /* mipc_thread_abort (consumed) */
};

/*
 * Wait flags.  Without IPC_WAIT_INTERRUPTIBLE a signal handler that runs
 * during the wait restarts it transparently (with what remains of the
 * deadline), as libsyscall's mach_msg retries without MACH_*_INTERRUPT.
 * An abort (mipc_thread_abort) ends any wait.
 */
#define IPC_WAIT_INTERRUPTIBLE 0x1u

/*
 * The check a waiter repeats: true when the wait is over, for any reason
 * the caller records in ctx (a message taken, a port dead, room made).
 * It runs with nothing locked; it may be called while the waiter is
 * announced, so it must not block.
 */
typedef bool (*ipc_wait_check_t)(void *ctx);

/*
 * ipc_waitq_wait
 *	Wait on wq until check(ctx) returns true or the deadline passes:
 *	spin (pauses, then yields), then announce, look again, sleep; repeat.
 *	hooks (or NULL) run around the sleeping part: the place where a
 *	waiter donates its turnstile and pushes (turnstile.c); their
 *	wh_idle (or NULL) stands in for check between two spins.  A pending or
 *	arriving abort of th ends the wait, as does a signal when flags say
 *	IPC_WAIT_INTERRUPTIBLE.
 * Conditions:
 *	Nothing locked; outside any epoch section (we may sleep).  The caller
 *	keeps wq's memory alive (a reference on its object).  th is the
 *	calling thread's state.
 * Returns:
 *	IPC_WAIT_DONE (check returned true), IPC_WAIT_TIMED_OUT,
 *	IPC_WAIT_INTERRUPTED or IPC_WAIT_ABORTED (check returned false).
 */
struct ipc_wait_hooks {
	void (*wh_block)(void *ctx);   /* once, before the first sleep */
	void (*wh_unblock)(void *ctx); /* when the wait ends, if blocked */
	bool wh_pusher;                /* wh_block pushes: no yields */
	/*
	 * Or NULL: a cheap hint, true when check would find nothing new.
	 * While it says so, a spin skips check; the first look of each spin
	 * phase and the look after the waiter is announced, before it
	 * sleeps, are check's, so a change the hint misses is only seen
	 * later, never lost.
	 */
	bool (*wh_idle)(void *ctx);
};
struct ipc_thread;
enum ipc_wait_result ipc_waitq_wait(struct ipc_thread *th, struct ipc_waitq *wq,
    const struct timespec *deadline, unsigned int flags, ipc_wait_check_t check,
    void *ctx, const struct ipc_wait_hooks *hooks);

/*
 * A spin phase: start it (woken: a waiter woken from a sleep, half the
 * budget), then call step between two looks; step pauses or yields and
 * returns true, or returns false when it is time to sleep.
 */
void ipc_spin_start(struct ipc_spin *sp, bool pusher, bool woken);
bool ipc_spin_step(struct ipc_spin *sp);
void ipc_spin_answered(const struct ipc_spin *sp);
void ipc_spin_forget(void);
/* Test builds: the calling thread's spin yields (ipc_spin_step). */
extern __thread uint32_t ipc_spin_yields_test;

/*
 * A short watch, pauses only: ipc_spin_watch_start(sp, ns), then
 * ipc_spin_watch(sp) between two looks until it returns false (ns have
 * passed).  It never yields and never sleeps, so a caller may watch from
 * inside an epoch section.  Under a test's yield hook it ends at once:
 * a deterministic schedule cannot hand the CPU over from there.
 */
void ipc_spin_watch_start(struct ipc_spin *sp, uint32_t ns);
bool ipc_spin_watch(struct ipc_spin *sp);

/* Has the phase stopped pausing (a plain waiter now yields)? */
static inline bool
ipc_spin_yielding(const struct ipc_spin *sp)
{
	return sp->sp_yielding;
}

/*
 * Parking: ordered waits (blocked senders, admitted highest priority
 * first) sleep on their own thread's word, th_park; whoever decides for a
 * waiter sets its th_park_state, then unparks it (ipc_unpark bumps the
 * word and wakes it).  The waiter:
 *	seen = ipc_park_prepare(th);
 *	if (state still waiting && !ipc_abort_pending(th)) ipc_park_wait
 * [R17]/[A17]: the waker's state (or an aborter's th_abort) before its
 * bump; the waiter's load of the word before its loads of the state.
 * ipc_park_wait returns IPC_WAIT_DONE when woken (or spuriously),
 * IPC_WAIT_TIMED_OUT, or IPC_WAIT_INTERRUPTED (a signal, only with
 * IPC_WAIT_INTERRUPTIBLE; else the caller simply looks again).
 */
uint32_t ipc_park_prepare(struct ipc_thread *th);
enum ipc_wait_result ipc_park_wait(struct ipc_thread *th, uint32_t seen,
    const struct timespec *deadline, unsigned int flags);
void ipc_unpark(struct ipc_thread *th);

/*
 * Aborts (mipc_thread_abort, waitq.c).  ipc_abort_pending: an abort waits
 * to interrupt th's next wait (a load; waiters call it after their [A17]
 * or [A33] fence).  ipc_abort_take: consume it; true if there was one.
 * Conditions: th is the calling thread's state.
 */
bool ipc_abort_pending(struct ipc_thread *th);
bool ipc_abort_take(struct ipc_thread *th);

/* Deadline `ms` milliseconds from now (CLOCK_MONOTONIC). */
void ipc_deadline(struct timespec *ts, uint32_t ms);

#endif /* MIPC_CORE_WAITQ_H */
