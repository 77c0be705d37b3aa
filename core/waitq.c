/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.c -- the one wait/wake protocol: every blocking path of mipc
 * waits here, and every event that could end a wait wakes here.
 *
 * Owns:      the spin-then-yield-then-futex policy, its time budget and
 *            what a thread learns of it (spin_fails, spin_skip),
 *            the [F1] handshake,
 *            futex system calls and deadlines, interruption by signals
 *            and aborts (mipc_thread_abort).
 * Locking:   waiting never holds a lock.  A waiter names its waitq in
 *            th_waitq under its th_lock, which an aborter takes to find
 *            it (so the waitq stays alive while the aborter bumps it).
 * Ordering:  [F1] (both sides below).  [R33]/[A33]: an aborter's
 *            th_abort before its bump of the waiter's word; the waiter's
 *            load of the word before its load of th_abort.
 * Choices:   * A waitq is a futex word plus a waiter count, not a list of
 *              threads: every wake bumps the word and wakes up to n
 *              sleepers, who re-check and sleep again if the event was
 *              not for them.  Receivers and blocked senders are few per
 *              port; a spurious wake costs a re-check.
 *            * Signals (J11).  Without IPC_WAIT_INTERRUPTIBLE
 *              (MACH_RCV_INTERRUPT / MACH_SEND_INTERRUPT) a signal
 *              handler that runs during a futex wait restarts the wait
 *              after a re-check, with what remains of the deadline
 *              (libsyscall's retry passes the whole timeout again; an
 *              absolute deadline cannot grow).  With it, the wait ends
 *              IPC_WAIT_INTERRUPTED, whether or not the handler has
 *              SA_RESTART -- a Mach trap does not look at SA_RESTART.  An
 *              untimed futex wait is restarted inside the kernel under
 *              SA_RESTART, so an interruptible wait always passes a
 *              timeout (IPC_WAIT_FAR_MS when the caller has none): a
 *              timed futex wait returns EINTR whenever a handler ran.
 *              A signal that arrives while we spin is not seen; the
 *              wait is interrupted only once it sleeps.
 *            * Between spins a waiter may consult a cheap hint
 *              (wh_idle: a receiver's look at its ring's positions, msg.c)
 *              instead of its whole check.  The check still decides: it
 *              starts every spin phase and runs again once the waiter is
 *              announced, before it sleeps ([F1]), so a hint that misses
 *              a change only delays what the next check sees.
 *            * Aborts (mipc_thread_abort).  XNU's thread_abort makes the
 *              thread's current interruptible wait return
 *              THREAD_INTERRUPTED (mach_msg: MACH_RCV_INTERRUPTED /
 *              MACH_SEND_INTERRUPTED) and libsyscall retries unless the
 *              INTERRUPT option was given; the abort is forgotten once
 *              the thread returns to user space.  We differ twice, so
 *              that a server can stop its threads: an abort ends any wait
 *              in mipc, option or not; and an abort of a thread that is
 *              not waiting is remembered until it ends that thread's next
 *              wait (`stop = 1; mipc_thread_abort(th)` cannot lose the
 *              race with a thread about to block).  Calls that complete
 *              without waiting leave it pending.
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
 * Woken waiters.  A sleeper takes microseconds to run again and leave;
 * meanwhile a streaming sender found it counted at every send, and made
 * a futex_wake system call each time: 30 to 300 wakes per sleep in
 * bench-ab's stream_1to1.  So the word's low bit says "every thread
 * counted has been woken since it announced itself": a wake-all makes
 * the word odd, an announcement makes it even (a wake-one adds 2), and a
 * waker that finds it odd skips the bump and the system call.  That is
 * safe because each counted thread will look again before it sleeps:
 *
 *	waker                             waiter (wait_prepare)
 *	publish; fence [F1]               inc wq_waiters
 *	waiters > 0: load wq_seq          CAS wq_seq to even (always a write)
 *	  odd: skip                       fence [F1]; load wq_seq; check
 *	  even: CAS +1 (all) / +2 (one),
 *	    futex_wake
 *
 * A waker that read the word odd read it before the waiter's CAS, so the
 * waiter's check, after its fence, sees the publication (the same Dekker
 * argument, on wq_seq).  A waiter sleeps on the even value its own CAS
 * wrote, so the wake that made the word odd after that write ends its
 * sleep (the value differs, or the futex_wake finds it), and it announces
 * again, making the word even, before it sleeps again.  An abort's bump
 * (mipc_thread_abort) adds 2: it wakes, it does not mark.
 *
 * Turnstiles (priority inheritance) attach at prepare and leave: a thread
 * that decides to sleep donates its turnstile and pushes on the inheritor
 * of what it waits on; leaving takes them back (turnstile.c).
 */
#include "waitq.h"

#include "lock.h"
#include "thread.h"
#include "waitfd.h"

#include <mipc/sync.h>

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

static void
futex_wake(uint32_t *uaddr, int n)
{
	ipc_stat_note(IPC_STAT_WAKES, 1);
	futex(uaddr, FUTEX_WAKE_PRIVATE, (uint32_t)n, NULL);
}

/* An interruptible wait without a deadline sleeps at most this long. */
#define IPC_WAIT_FAR_MS (3600u * 1000u)

/*
 * Sleep while *word == val, until woken, the deadline (CLOCK_MONOTONIC,
 * NULL: none) or, with IPC_WAIT_INTERRUPTIBLE, a signal handler (see
 * Choices).  Returns IPC_WAIT_DONE when woken, spuriously or not, or when
 * an interruptible wait's own far deadline passed.
 */
static enum ipc_wait_result
futex_wait(uint32_t *word, uint32_t val, const struct timespec *deadline,
    unsigned int flags)
{
	struct timespec rel, now, far;
	bool own_deadline = false;

	if (deadline == NULL && (flags & IPC_WAIT_INTERRUPTIBLE)) {
		ipc_deadline(&far, IPC_WAIT_FAR_MS);
		deadline = &far;
		own_deadline = true;
	}
	ipc_stat_note(IPC_STAT_BLOCKS, 1);
	if (deadline == NULL) {
		/* EINTR (no SA_RESTART): the caller looks again. */
		futex(word, FUTEX_WAIT_PRIVATE, val, NULL);
		return IPC_WAIT_DONE;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	rel.tv_sec = deadline->tv_sec - now.tv_sec;
	rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (rel.tv_nsec < 0) {
		rel.tv_nsec += 1000000000;
		rel.tv_sec--;
	}
	if (rel.tv_sec < 0)
		return own_deadline ? IPC_WAIT_DONE : IPC_WAIT_TIMED_OUT;
	if (futex(word, FUTEX_WAIT_PRIVATE, val, &rel) != 0) {
		if (errno == ETIMEDOUT && !own_deadline)
			return IPC_WAIT_TIMED_OUT;
		if (errno == EINTR && (flags & IPC_WAIT_INTERRUPTIBLE))
			return IPC_WAIT_INTERRUPTED;
	}
	return IPC_WAIT_DONE;
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
	/*
	 * Reloaded after the caller's [F1] fence, so no older than the
	 * count it tested: a thread missing from it sees the publication
	 * (Dekker), and a descriptor alone needs no futex call.
	 */
	uint32_t w = ck_pr_load_32(&wq->wq_waiters), s;

	if (w & IPC_WAITQ_FD)
		ipc_waitfd_raise(wq);
	if ((w & ~IPC_WAITQ_FD) == 0)
		return;
	/*
	 * An odd word: every thread counted has been woken since it
	 * announced itself, and looks again before it sleeps (Theory,
	 * woken waiters).  WAKE_ALL makes it odd; WAKE_ONE keeps its parity.
	 */
	s = ck_pr_load_32(&wq->wq_seq);
	do {
		if (s & 1)
			return;
		/* [F1]: the publication was before; Relaxed otherwise. */
	} while (!ck_pr_cas_32_value(
	    &wq->wq_seq, s, n == IPC_WAKE_ALL ? s + 1 : s + 2, &s));
	futex_wake(&wq->wq_seq, n);
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */

/*
 * The spin budget's clock.  arch_cycles() is the cheap counter (rdtsc,
 * cntvct_el0, CLOCK_MONOTONIC in the generic build) but its rate is not
 * known: the library's constructor notes a (ticks, ns) pair, and the
 * first spin at least SPIN_CAL_NS later derives ticks per microsecond
 * from a second pair.  Until then a spin phase reads CLOCK_MONOTONIC
 * itself.  A counter that goes backwards (a migration between unsynced
 * TSCs) ends the pausing early: a wait sleeps sooner, it never spins on.
 */
#define SPIN_CAL_NS 1000000u

static uint64_t spin_cal_ticks, spin_cal_ns; /* the constructor's pair */
static uint64_t spin_ticks_per_us;           /* (A) 0: not known yet */

static uint64_t
spin_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((constructor)) static void
ipc_spin_cal_init(void)
{
	spin_cal_ns = spin_clock_ns();
	spin_cal_ticks = arch_cycles();
}

/* Ticks per microsecond, or 0 while the constructor's pair is too young. */
static uint64_t
spin_rate(void)
{
	uint64_t r = ck_pr_load_64(&spin_ticks_per_us); /* Relaxed: a hint */
	uint64_t ns, ticks;

	if (likely(r != 0))
		return r;
	ns = spin_clock_ns();
	ticks = arch_cycles();
	if (ns - spin_cal_ns < SPIN_CAL_NS || ticks <= spin_cal_ticks)
		return 0;
	r = (ticks - spin_cal_ticks) * 1000u / (ns - spin_cal_ns);
	if (r == 0)
		r = 1; /* a counter slower than 1 MHz: a budget of >= 1 tick */
	/* Relaxed: every thread derives about the same rate. */
	ck_pr_store_64(&spin_ticks_per_us, r);
	return r;
}

static inline uint64_t
spin_now(const struct ipc_spin *sp)
{
	return sp->sp_clock ? spin_clock_ns() : arch_cycles();
}

/*
 * A spin phase of ns nanoseconds -- or, under a test's yield hook, of
 * `pauses` pauses -- that yields afterwards unless pusher.
 */
static void
spin_begin(struct ipc_spin *sp, uint64_t ns, unsigned int pauses, bool pusher)
{
	uint64_t rate;

	sp->sp_n = 0;
	sp->sp_pusher = pusher;
	sp->sp_yielding = false;
	sp->sp_learn = false;
	sp->sp_counted = ipc_test_hooks && ipc_yield_hook != NULL;
	if (sp->sp_counted) {
		sp->sp_limit = pauses;
		sp->sp_clock = false;
		sp->sp_start = sp->sp_budget = 0;
		return;
	}
	sp->sp_limit = 0;
	rate = spin_rate();
	sp->sp_clock = rate == 0;
	sp->sp_budget = sp->sp_clock ? ns : ns * rate / 1000u;
	sp->sp_start = spin_now(sp);
}

/* Per thread (waitq.h, "A thread learns"): lost pausings counted, and
 * phases left that skip theirs. */
static __thread uint8_t spin_fails, spin_skip;
__thread uint32_t ipc_spin_yields_test;

void
ipc_spin_start(struct ipc_spin *sp, bool pusher, bool woken)
{
	uint64_t ns = pusher ? IPC_SPIN_PUSHER_NS : IPC_SPIN_NS;
	unsigned int pauses = pusher ? IPC_SPIN_PUSHER_PAUSES : IPC_SPIN_PAUSES;

	if (woken) {
		ns /= 2;
		pauses /= 2;
	}
	spin_begin(sp, ns, pauses, pusher);
	sp->sp_learn = !sp->sp_counted;
	if (sp->sp_learn && spin_skip != 0) {
		spin_skip--;
		sp->sp_learn = false; /* a skipped pausing teaches nothing */
		sp->sp_budget = 0;    /* over at the first step */
	}
}

void
ipc_spin_answered(const struct ipc_spin *sp)
{
	if (!sp->sp_learn || sp->sp_n == 0)
		return; /* skipped, or no pause nor yield: nothing to learn */
	if (!sp->sp_yielding || sp->sp_n > 1) {
		spin_fails = 0; /* the pausing paid, or the peer is slow */
		return;
	}
	/* The first yield brought the answer: the peer shares our CPU. */
	if (++spin_fails >= IPC_SPIN_FAILS) {
		/* After the skips, one more such phase skips again. */
		spin_fails = IPC_SPIN_FAILS - 1;
		spin_skip = IPC_SPIN_SKIP;
	}
}

void
ipc_spin_forget(void)
{
	spin_fails = spin_skip = 0;
}

void
ipc_spin_watch_start(struct ipc_spin *sp, uint32_t ns)
{
	/* A watch never yields, and under a yield hook does not run
	 * (ipc_spin_watch): no pauses. */
	spin_begin(sp, ns, 0, true);
	if (ipc_test_hooks)
		ck_pr_inc_32(&ipc_spin_watches_test); /* Relaxed: a count */
}

/* Is the pausing over? */
static inline bool
spin_paused_out(const struct ipc_spin *sp)
{
	if (unlikely(sp->sp_counted))
		return sp->sp_n >= sp->sp_limit;
	/* Unsigned: a counter gone backwards reads as a budget spent. */
	return spin_now(sp) - sp->sp_start >= sp->sp_budget;
}

bool
ipc_spin_watch(struct ipc_spin *sp)
{
	if (sp->sp_counted || spin_paused_out(sp))
		return false;
	sp->sp_n++;
	arch_cpu_relax();
	return true;
}

bool
ipc_spin_step(struct ipc_spin *sp)
{
	ipc_debug_yield(IPC_YIELD_SPIN);
	if (!sp->sp_yielding && !spin_paused_out(sp)) {
		sp->sp_n++;
		arch_cpu_relax();
		return true;
	}
	if (!sp->sp_yielding) {
		sp->sp_yielding = true;
		sp->sp_n = 0;
	}
	if (!sp->sp_pusher && sp->sp_n < IPC_SPIN_YIELDS) {
		sp->sp_n++;
		sched_yield();
		if (ipc_test_hooks)
			ipc_spin_yields_test++;
		return true;
	}
	return false;
}

/*
 * Announce the waiter: [F1], waiter side.  Returns the word's snapshot.
 * The word is made even (re-armed: we were not woken yet) by a
 * read-modify-write even when it is even already, so that a waker that
 * read it odd, and skipped its system call, read it before our write
 * (Theory, woken waiters).
 */
static uint32_t
wait_prepare(struct ipc_waitq *wq)
{
	uint32_t s;

	ck_pr_inc_32(&wq->wq_waiters);
	s = ck_pr_load_32(&wq->wq_seq);
	/* [F1]: with the fence below, before the second look. */
	while (!ck_pr_cas_32_value(&wq->wq_seq, s, s + (s & 1), &s))
		;
	/* [F1]: the announcement before the second look (ipc_waitq_fence). */
	arch_fence_full();
	/*
	 * What we wrote, not a later load: a word a wake-all made odd after
	 * our write must not be slept on -- that wake may not cover our
	 * second look, and the wakers after it would skip us.
	 */
	return s + (s & 1);
}

static void
wait_leave(struct ipc_waitq *wq)
{
	ck_pr_dec_32(&wq->wq_waiters); /* Relaxed: a hint for wakers */
}

/* Name the waitq we sleep on, for aborters; false if one is pending. */
static bool
wait_register(struct ipc_thread *th, struct ipc_waitq *wq)
{
	bool pending;

	ipc_lock(&th->th_lock);
	th->th_waitq = wq;
	pending = ipc_abort_pending(th);
	ipc_unlock(&th->th_lock);
	return !pending;
}

static void
wait_unregister(struct ipc_thread *th)
{
	ipc_lock(&th->th_lock);
	th->th_waitq = NULL;
	ipc_unlock(&th->th_lock);
}

/* The hooks' hint that a check would find nothing (waitq.h). */
static inline bool
wait_idle(const struct ipc_wait_hooks *hooks, void *ctx)
{
	return hooks != NULL && hooks->wh_idle != NULL && hooks->wh_idle(ctx);
}

enum ipc_wait_result
ipc_waitq_wait(struct ipc_thread *th, struct ipc_waitq *wq,
    const struct timespec *deadline, unsigned int flags, ipc_wait_check_t check,
    void *ctx, const struct ipc_wait_hooks *hooks)
{
	enum ipc_wait_result res;
	struct ipc_spin sp;
	bool blocked = false, registered = false, woken = false;
	bool pusher = hooks != NULL && hooks->wh_pusher;

	ipc_lock_assert_none_held();
	for (;;) {
		bool look = true; /* each spin phase starts with check */
		uint32_t seq;

		ipc_spin_start(&sp, pusher, woken);
		do {
			if ((look || !wait_idle(hooks, ctx)) && check(ctx)) {
				ipc_spin_answered(&sp);
				res = IPC_WAIT_DONE;
				goto out;
			}
			look = false;
			if (unlikely(ipc_abort_pending(th))) {
				res = IPC_WAIT_ABORTED;
				goto out;
			}
			/* A plain waiter shows as blocked before it yields. */
			if (!blocked && hooks != NULL && !pusher &&
			    ipc_spin_yielding(&sp)) {
				hooks->wh_block(ctx);
				blocked = true;
			}
		} while (ipc_spin_step(&sp));

		if (!blocked && hooks != NULL) {
			hooks->wh_block(ctx); /* a pusher: the push */
			blocked = true;
		}
		if (!registered) {
			registered = true;
			if (!wait_register(th, wq)) {
				res = IPC_WAIT_ABORTED;
				goto out;
			}
		}
		seq = wait_prepare(wq);
		if (check(ctx)) {
			wait_leave(wq);
			res = IPC_WAIT_DONE;
			goto out;
		}
		ck_pr_fence_load(); /* [A33]: the word, then th_abort */
		if (unlikely(ipc_abort_pending(th))) {
			wait_leave(wq);
			res = IPC_WAIT_ABORTED;
			goto out;
		}
		res = futex_wait(&wq->wq_seq, seq, deadline, flags);
		wait_leave(wq);
		if (res != IPC_WAIT_DONE)
			goto out;
		woken = true; /* a shorter spin next */
	}
out:
	if (registered)
		wait_unregister(th);
	if (blocked)
		hooks->wh_unblock(ctx);
	if (res == IPC_WAIT_ABORTED)
		(void)ipc_abort_take(th);
	if (res == IPC_WAIT_ABORTED || res == IPC_WAIT_INTERRUPTED)
		ipc_stat_add(th, IPC_STAT_INTERRUPTS, 1);
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

enum ipc_wait_result
ipc_park_wait(struct ipc_thread *th, uint32_t seen,
    const struct timespec *deadline, unsigned int flags)
{
	ipc_lock_assert_none_held();
	return futex_wait(&th->th_park, seen, deadline, flags);
}

void
ipc_unpark(struct ipc_thread *th)
{
	/* [R17]: the state the waker set, before the word moves. */
	ck_pr_fence_store_atomic();
	ck_pr_inc_32(&th->th_park);
	futex_wake(&th->th_park, 1);
}

/* ------------------------------------------------------------------ */
/* Aborts                                                              */

bool
ipc_abort_pending(struct ipc_thread *th)
{
	/* Ordered by the caller's [A17] / [A33] fence, or th_lock. */
	return ck_pr_load_32(&th->th_abort) != 0;
}

bool
ipc_abort_take(struct ipc_thread *th)
{
	/* Relaxed: only th consumes; the aborter's store is seen already. */
	return ck_pr_fas_32(&th->th_abort, 0) != 0;
}

/*
 * mipc_thread_abort (sync.h)
 *	Mark th aborted, then wake it wherever it may sleep: the waitq it
 *	named (receivers), its own parking word (blocked senders).  A thread
 *	that is not waiting finds the mark at its next wait (Choices).
 */
kern_return_t
mipc_thread_abort(mipc_thread_t handle)
{
	struct ipc_thread *th = (struct ipc_thread *)(void *)handle;
	struct ipc_waitq *wq;

	if (th == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_lock(&th->th_lock);
	if (th->th_dead) {
		ipc_unlock(&th->th_lock);
		return KERN_TERMINATED;
	}
	ck_pr_store_32(&th->th_abort, 1);
	wq = th->th_waitq;
	if (wq != NULL) {
		/* [R33]: th_abort before the word moves (pairs with [A33]). */
		ck_pr_fence_store_atomic();
		ck_pr_add_32(&wq->wq_seq, 2); /* parity kept: see Theory */
		/* All: the others look again and sleep on (a spurious wake). */
		futex_wake(&wq->wq_seq, IPC_WAKE_ALL);
	}
	ipc_unlock(&th->th_lock);
	/* A blocked sender: [R17] orders th_abort before its word moves. */
	ipc_unpark(th);
	return KERN_SUCCESS;
}
