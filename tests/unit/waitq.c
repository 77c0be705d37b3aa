/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.c -- tests of core/waitq.c's spin policy: the budget a waiter
 * spends pausing before it yields or sleeps is time, not a number of
 * looks (a cheaper look must not shorten it), it ends, and under a test's
 * yield hook it counts pauses so that a scheduled run stays a function of
 * its input.  A woken waiter costs one wake system call however many
 * wakes come before it sleeps again; a spinning receiver none.
 *
 * The time assertions are lower bounds only (a loaded machine lengthens a
 * phase, never shortens it), with slack for the tick rate's calibration.
 * Includes core/internal.h for struct ipc_spin.
 */
#include "check_mipc.h"

#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <string.h>
#include <time.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One spin phase with looks that cost nothing: how it went. */
struct phase {
	uint64_t ph_paused_ns; /* from the start to the first yield or end */
	unsigned int ph_yields;
	bool ph_clock;
};

static struct phase
run_phase(bool pusher, bool woken)
{
	struct phase ph = { 0, 0, false };
	struct ipc_spin sp;
	uint64_t t0 = now_ns();
	bool more;

	ipc_spin_forget(); /* each phase as a thread's first */
	ipc_spin_start(&sp, pusher, woken);
	ph.ph_clock = sp.sp_clock;
	do {
		bool was_yielding = ipc_spin_yielding(&sp);

		more = ipc_spin_step(&sp);
		if (!was_yielding && ipc_spin_yielding(&sp))
			ph.ph_paused_ns = now_ns() - t0;
		if (more && ipc_spin_yielding(&sp))
			ph.ph_yields++;
	} while (more);
	if (ph.ph_paused_ns == 0)
		ph.ph_paused_ns = now_ns() - t0;
	return ph;
}

/* 90%: the tick rate is measured over a millisecond or more. */
#define AT_LEAST(ns) (9 * (ns) / 10)

/*
 * A plain waiter pauses for IPC_SPIN_NS however cheap its looks, then
 * yields IPC_SPIN_YIELDS times, then it is time to sleep; a woken one
 * pauses half as long.  Before the tick rate is known (the first
 * millisecond of the process) the phase reads CLOCK_MONOTONIC; after,
 * the cheap counter.
 */
START_TEST(waitq_spin_budget_is_time_not_looks)
{
	struct timespec ms2 = { 0, 2000000 };
	struct phase ph;
	int i;

	for (i = 0; i < 2; i++) {
		ph = run_phase(false, false);
		ck_assert_uint_ge(ph.ph_paused_ns, AT_LEAST(IPC_SPIN_NS));
		ck_assert_uint_eq(ph.ph_yields, IPC_SPIN_YIELDS);
		if (i == 1)
			ck_assert_msg(!ph.ph_clock,
			    "2 ms after the start the tick rate is known");
		ph = run_phase(false, true);
		ck_assert_uint_ge(ph.ph_paused_ns, AT_LEAST(IPC_SPIN_NS / 2));
		ck_assert_uint_eq(ph.ph_yields, IPC_SPIN_YIELDS);
		nanosleep(&ms2, NULL);
	}
}
END_TEST

/* A pusher pauses for IPC_SPIN_PUSHER_NS and never yields. */
START_TEST(waitq_spin_pusher_pauses_longer_never_yields)
{
	struct phase ph = run_phase(true, false);

	ck_assert_uint_ge(ph.ph_paused_ns, AT_LEAST(IPC_SPIN_PUSHER_NS));
	ck_assert_uint_eq(ph.ph_yields, 0);
	ph = run_phase(true, true);
	ck_assert_uint_ge(ph.ph_paused_ns, AT_LEAST(IPC_SPIN_PUSHER_NS / 2));
	ck_assert_uint_eq(ph.ph_yields, 0);
}
END_TEST

/*
 * One phase whose looks cost nothing; when the answer comes (below), the
 * waiter reports it as ipc_waitq_wait does.  Returns 1 if the phase had
 * a pausing (it was not skipped), 0 if it was skipped, or UINT_MAX if a
 * pausing meant to be answered ran out first (the test thread lost its
 * CPU: try again).  A skip is read off the budget, not counted in pauses:
 * under qemu a pausing can run out before its first pause.
 */
enum answer {
	ANS_NEVER = -1, /* the phase runs out: a pusher sleeps */
	ANS_FIRST_LOOK = 0,
	ANS_PAUSED = 2, /* after two pauses */
	ANS_FIRST_YIELD = 100,
	ANS_LATE_YIELD = 103, /* after three yields */
};

static unsigned int
phase(bool pusher, enum answer answer)
{
	struct ipc_spin sp;
	unsigned int pauses = 0, yields = 0, paused;

	ipc_spin_start(&sp, pusher, false);
	paused = sp.sp_budget != 0;
	if (answer == ANS_FIRST_LOOK) {
		ipc_spin_answered(&sp);
		return paused;
	}
	while (ipc_spin_step(&sp)) {
		if (!ipc_spin_yielding(&sp)) {
			if (++pauses == (unsigned int)answer) {
				ipc_spin_answered(&sp);
				return paused;
			}
			continue;
		}
		if (answer == ANS_PAUSED)
			return UINT_MAX;
		if (++yields == (unsigned int)answer - 99) {
			ipc_spin_answered(&sp);
			break;
		}
	}
	return paused;
}

/*
 * Where the peer shares our CPU every pause is lost (bench-ab
 * rpc_block_1cpu): after IPC_SPIN_FAILS phases in a row whose pausing ran
 * out and whose first yield brought the answer, the next IPC_SPIN_SKIP
 * phases do not pause; then one phase pauses, and if it goes the same
 * way the skipping starts again.  An answer within the pausing or after
 * more yields starts the count over; one at the first look teaches
 * nothing; a pusher never skips.  False: retry (phase() above).
 */
static bool
skip_scenario(void)
{
	int i, round;

	ipc_spin_forget();
	for (i = 0; i < IPC_SPIN_FAILS; i++) {
		ck_assert_uint_eq(phase(false, ANS_FIRST_LOOK), 1);
		ck_assert_uint_gt(phase(false, ANS_FIRST_YIELD), 0);
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < IPC_SPIN_SKIP; i++)
			ck_assert_msg(phase(false, ANS_FIRST_YIELD) == 0,
			    "phase %d of the skips paused", i);
		ck_assert_uint_gt(phase(false, ANS_FIRST_YIELD), 0);
	}
	/* Through the skips, then an answer within the pausing. */
	for (i = 0; i < IPC_SPIN_SKIP; i++)
		ck_assert_uint_eq(phase(false, ANS_FIRST_YIELD), 0);
	if (phase(false, ANS_PAUSED) == UINT_MAX)
		return false;
	for (i = 0; i < IPC_SPIN_FAILS - 1; i++)
		ck_assert_msg(phase(false, ANS_FIRST_YIELD) > 0,
		    "phase %d after an answered pausing did not pause", i);
	/* A late answer starts over too. */
	ck_assert_uint_gt(phase(false, ANS_LATE_YIELD), 0);
	for (i = 0; i < IPC_SPIN_FAILS; i++)
		ck_assert_msg(phase(false, ANS_FIRST_YIELD) > 0,
		    "phase %d after a late answer did not pause", i);
	ck_assert_uint_eq(phase(false, ANS_FIRST_YIELD), 0);

	/* A pusher's pausing runs out, it sleeps: it never skips. */
	ipc_spin_forget();
	for (i = 0; i < 2 * IPC_SPIN_FAILS; i++)
		ck_assert_uint_gt(phase(true, ANS_NEVER), 0);
	return true;
}

START_TEST(waitq_spin_skips_pausing_where_the_first_yield_answers)
{
	int tries = 0;

	while (!skip_scenario())
		ck_assert_int_lt(++tries, 20);
}
END_TEST

/*
 * The waits themselves: a waiter whose first yield brings the answer (its
 * peer shares its CPU; here the check answers once the waiter has
 * yielded) stops pausing in ipc_waitq_wait.
 */
static bool
after_a_yield(void *ctx)
{
	return ipc_spin_yields_test != *(uint32_t *)ctx;
}

START_TEST(waitq_wait_learns_its_pausing_is_lost)
{
	struct ipc_thread *th = ipc_thread_self();
	struct ipc_waitq wq;
	struct ipc_spin sp;
	uint32_t y0;
	int i;

	ck_assert_ptr_nonnull(th);
	ipc_waitq_init(&wq);
	ipc_spin_forget();
	for (i = 0; i < IPC_SPIN_FAILS; i++) {
		y0 = ipc_spin_yields_test;
		ck_assert_int_eq(
		    ipc_waitq_wait(th, &wq, NULL, 0, after_a_yield, &y0, NULL),
		    IPC_WAIT_DONE);
		ck_assert_uint_eq(ipc_spin_yields_test - y0, 1);
	}
	ipc_spin_start(&sp, false, false);
	ck_assert_uint_eq(sp.sp_budget, 0);
}
END_TEST

static unsigned int hook_spins;

static void
count_hook(enum ipc_yield_point point)
{
	if (point == IPC_YIELD_SPIN)
		hook_spins++;
}

/*
 * Under a yield hook (a deterministic scheduler) the budget is a count of
 * pauses, whatever the time: the same pauses and yields every run.
 */
START_TEST(waitq_spin_budget_counts_pauses_under_a_yield_hook)
{
	struct timespec ms1 = { 0, 1000000 };
	struct ipc_spin sp;
	unsigned int steps = 0, paused = 0;

	ipc_yield_hook = count_hook;
	ipc_spin_start(&sp, false, false);
	ck_assert(sp.sp_counted);
	while (ipc_spin_step(&sp)) {
		steps++;
		if (!ipc_spin_yielding(&sp)) {
			paused++;
			nanosleep(&ms1, NULL); /* time does not end it */
		}
	}
	ipc_yield_hook = NULL;
	ck_assert_uint_eq(paused, IPC_SPIN_PAUSES);
	ck_assert_uint_eq(steps, IPC_SPIN_PAUSES + IPC_SPIN_YIELDS);
	ck_assert_uint_eq(hook_spins, steps + 1);

	ipc_yield_hook = count_hook;
	ipc_spin_start(&sp, true, true);
	steps = 0;
	while (ipc_spin_step(&sp))
		steps++;
	ipc_yield_hook = NULL;
	ck_assert_uint_eq(steps, IPC_SPIN_PUSHER_PAUSES / 2);
}
END_TEST

/* ---- woken waiters: one wake system call per sleep -------------------- */

static uint64_t
wakes_now(void)
{
	struct mipc_stats st;

	ck_assert_int_eq(mipc_get_stats(&st), KERN_SUCCESS);
	return st.wakes;
}

static uint64_t
blocks_now(void)
{
	struct mipc_stats st;

	ck_assert_int_eq(mipc_get_stats(&st), KERN_SUCCESS);
	return st.blocks;
}

/*
 * The waiter thread: T below.  Its spins pass through the yield hook;
 * once main has woken it (ww_hold), its first spin after the sleep holds
 * it there until main is done, so main's later wakes find it woken and
 * not yet announced again.
 */
static struct ipc_waitq ww_wq;
static int ww_flag, ww_hold, ww_held, ww_go;
static __thread bool ww_is_waiter;

static bool
ww_check(void *ctx)
{
	(void)ctx;
	return ck_pr_load_int(&ww_flag) != 0;
}

static void
ww_hook(enum ipc_yield_point point)
{
	if (point != IPC_YIELD_SPIN || !ww_is_waiter ||
	    !ck_pr_load_int(&ww_hold))
		return;
	ck_pr_store_int(&ww_held, 1);
	while (!ck_pr_load_int(&ww_go))
		sched_yield();
}

static void *
ww_waiter(void *arg)
{
	(void)arg;
	ww_is_waiter = true;
	return (void *)(intptr_t)ipc_waitq_wait(
	    ipc_thread_self(), &ww_wq, NULL, 0, ww_check, NULL, NULL);
}

/*
 * A waiter asleep on a waitq, woken by one wake-all, is woken once: the
 * 99 wakes that follow while it is woken and has not announced itself
 * again make no system call (the word is odd).  Once it has announced
 * again, the next wake makes one.  Before, each of the 100 was a
 * futex_wake while the woken thread was still counted.
 */
START_TEST(waitq_woken_waiter_costs_one_wake_system_call)
{
	struct timespec ms1 = { 0, 1000000 };
	uint64_t w0, b0;
	pthread_t t;
	void *res;
	int i;

	ipc_waitq_init(&ww_wq);
	ipc_yield_hook = ww_hook;
	b0 = blocks_now();
	ck_assert_int_eq(pthread_create(&t, NULL, ww_waiter, NULL), 0);
	/* Asleep: counted, and its futex wait counted. */
	while (ck_pr_load_32(&ww_wq.wq_waiters) == 0 || blocks_now() == b0)
		nanosleep(&ms1, NULL);
	ck_pr_store_int(&ww_hold, 1);
	w0 = wakes_now();
	for (i = 0; i < 100; i++)
		ipc_waitq_wake(&ww_wq, IPC_WAKE_AFTER_STORE, IPC_WAKE_ALL);
	ck_assert_uint_eq(wakes_now() - w0, 1);
	ck_assert_uint_eq(ck_pr_load_32(&ww_wq.wq_seq) & 1, 1);
	while (!ck_pr_load_int(&ww_held))
		nanosleep(&ms1, NULL);
	/* Held in its spin: not counted now, and the wakes cost nothing. */
	ck_assert_uint_eq(ck_pr_load_32(&ww_wq.wq_waiters), 0);
	for (i = 0; i < 100; i++)
		ipc_waitq_wake(&ww_wq, IPC_WAKE_AFTER_STORE, IPC_WAKE_ALL);
	ck_assert_uint_eq(wakes_now() - w0, 1);

	/* Let it sleep again: its announcement re-arms the word. */
	ck_pr_store_int(&ww_hold, 0);
	ck_pr_store_int(&ww_go, 1);
	b0 = blocks_now();
	while (ck_pr_load_32(&ww_wq.wq_waiters) == 0 || blocks_now() == b0)
		nanosleep(&ms1, NULL);
	ck_assert_uint_eq(ck_pr_load_32(&ww_wq.wq_seq) & 1, 0);
	ck_pr_store_int(&ww_flag, 1);
	ipc_waitq_wake(&ww_wq, IPC_WAKE_AFTER_STORE, IPC_WAKE_ALL);
	ck_assert_int_eq(pthread_join(t, &res), 0);
	ipc_yield_hook = NULL;
	ck_assert_int_eq((int)(intptr_t)res, IPC_WAIT_DONE);
	ck_assert_uint_eq(wakes_now() - w0, 2);
}
END_TEST

/*
 * Two sleepers, a token and a wake-one at a time (a message and the
 * wake of a set's receivers: any waiter may take it): each wake is a
 * system call (the word stays even), and both sleepers end their waits
 * -- a wake-one marks no one woken but the one it wakes.
 */
static int wo_tokens;
static struct ipc_waitq wo_wq;

static bool
wo_check(void *ctx)
{
	int n = ck_pr_load_int(&wo_tokens);

	(void)ctx;
	while (n > 0)
		/* Relaxed: the token alone */
		if (ck_pr_cas_int_value(&wo_tokens, n, n - 1, &n))
			return true;
	return false;
}

static void *
wo_waiter(void *arg)
{
	return (void *)(intptr_t)ipc_waitq_wait(
	    ipc_thread_self(), &wo_wq, NULL, 0, wo_check, arg, NULL);
}

START_TEST(waitq_wake_one_wakes_each_sleeper)
{
	struct timespec ms1 = { 0, 1000000 };
	uint64_t b0 = blocks_now(), w0;
	pthread_t t[2];
	void *res;
	int i;

	ipc_waitq_init(&wo_wq);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, wo_waiter, NULL), 0);
	/* Both asleep: announced, and two futex waits counted. */
	while (ck_pr_load_32(&wo_wq.wq_waiters) < 2 || blocks_now() - b0 < 2)
		nanosleep(&ms1, NULL);
	w0 = wakes_now();
	for (i = 0; i < 2; i++) {
		ck_pr_inc_int(&wo_tokens);
		ipc_waitq_wake(&wo_wq, IPC_WAKE_AFTER_STORE, IPC_WAKE_ONE);
		ck_assert_uint_eq(ck_pr_load_32(&wo_wq.wq_seq) & 1, 0);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_int_eq((int)(intptr_t)res, IPC_WAIT_DONE);
	}
	ck_assert_int_eq(ck_pr_load_int(&wo_tokens), 0);
	ck_assert_uint_ge(wakes_now() - w0, 1);
}
END_TEST

/* ---- a spinning receiver and a send: no system call ------------------- */

static mach_port_name_t sr_port;
static mipc_space_t sr_space;
static int sr_spins, sr_sent;
static __thread bool sr_is_receiver;

/* At the receiver's 3rd spin, main sends; the receiver waits for that. */
static void
sr_hook(enum ipc_yield_point point)
{
	if (point != IPC_YIELD_SPIN || !sr_is_receiver)
		return;
	if (ck_pr_faa_int(&sr_spins, 1) + 1 == 3)
		while (!ck_pr_load_int(&sr_sent))
			sched_yield();
}

struct sr_msg {
	mach_msg_header_t h;
	char body[64];
	mach_msg_trailer_t t;
};

static void *
sr_receiver(void *arg)
{
	struct sr_msg m;

	(void)arg;
	sr_is_receiver = true;
	mipc_thread_set_space(sr_space);
	return (void *)(intptr_t)mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m),
	    sr_port, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/*
 * A receiver that waits spinning on its port's ring is not counted on
 * the waitq: the send that ends its wait is found at its next spin, with
 * no futex wake and no sleep.
 */
START_TEST(waitq_spinning_receiver_takes_a_send_without_system_calls)
{
	struct timespec ms1 = { 0, 1000000 };
	struct sr_msg m;
	uint64_t w0, b0;
	pthread_t t;
	void *res;

	sr_space = mipc_thread_space();
	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_RECEIVE, &sr_port),
	    KERN_SUCCESS);
	ck_assert_int_eq(mach_port_insert_right(mach_task_self(), sr_port,
	                     sr_port, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	ipc_yield_hook = sr_hook;
	w0 = wakes_now();
	b0 = blocks_now();
	ck_assert_int_eq(pthread_create(&t, NULL, sr_receiver, NULL), 0);
	while (ck_pr_load_int(&sr_spins) < 3)
		nanosleep(&ms1, NULL);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_size = sizeof(m.h) + sizeof(m.body);
	m.h.msgh_remote_port = sr_port;
	m.h.msgh_id = 77;
	ck_assert_int_eq(
	    mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0, MACH_PORT_NULL,
	        MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_pr_store_int(&sr_sent, 1);
	ck_assert_int_eq(pthread_join(t, &res), 0);
	ipc_yield_hook = NULL;
	ck_assert_int_eq((int)(intptr_t)res, MACH_MSG_SUCCESS);
	ck_assert_int_eq(ck_pr_load_int(&sr_spins), 3); /* seen at once */
	ck_assert_uint_eq(wakes_now() - w0, 0);
	ck_assert_uint_eq(blocks_now() - b0, 0);
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), sr_port,
	                     MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), sr_port), KERN_SUCCESS);
}
END_TEST

/* ---- the flat receive's watch of an empty ring (msg.c rcv_fp_watch) --- */

#define WATCH_MSGS 20

static mach_port_name_t wr_port;
static mipc_space_t wr_space;
static int wr_sent, wr_want;

/* Sends message i once the receiver is in its i-th receive. */
static void *
wr_sender(void *arg)
{
	struct sr_msg m;
	int i;

	(void)arg;
	mipc_thread_set_space(wr_space);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
	m.h.msgh_size = sizeof(m.h) + sizeof(m.body);
	for (i = 0; i < WATCH_MSGS; i++) {
		while (ck_pr_load_int(&wr_want) <= i)
			ck_pr_stall(); /* runnable: a yield may wait for hogs */
		m.h.msgh_remote_port = wr_port;
		m.h.msgh_id = i;
		if (mach_msg(&m.h, MACH_SEND_MSG, m.h.msgh_size, 0,
		        MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE,
		        MACH_PORT_NULL) == MACH_MSG_SUCCESS)
			ck_pr_inc_int(&wr_sent);
	}
	return NULL;
}

/*
 * A receiver that finds its port's ring empty watches it (inside the
 * section that found the port) and takes a message a sender publishes
 * meanwhile without waiting, in order.  A poll (timeout 0) never
 * watches.  The watch is lengthened to 50 ms here (sanitizers, a loaded
 * machine); tagged "timing" all the same: the sender must run within it
 * some of the time.
 */
START_TEST(waitq_empty_ring_watched_then_taken_in_order)
{
	uint64_t hits, slow0;
	struct sr_msg m;
	pthread_t t;
	int i;

	wr_space = mipc_thread_space();
	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_RECEIVE, &wr_port),
	    KERN_SUCCESS);
	ck_assert_int_eq(mach_port_insert_right(mach_task_self(), wr_port,
	                     wr_port, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	ipc_rcv_watch_ns_test = 50000000;

	/* A poll of the empty port: timed out at once, no watch. */
	hits = ipc_rcv_watch_hits;
	ck_assert_int_eq(mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(m), wr_port, 0, MACH_PORT_NULL),
	    MACH_RCV_TIMED_OUT);
	ck_assert_uint_eq(ipc_rcv_watch_hits, hits);

	slow0 = ipc_thread_self()->th_stats[IPC_STAT_SLOW];
	ck_assert_int_eq(pthread_create(&t, NULL, wr_sender, NULL), 0);
	for (i = 0; i < WATCH_MSGS; i++) {
		ck_pr_store_int(&wr_want, i + 1);
		ck_assert_int_eq(
		    mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), wr_port,
		        MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);
		ck_assert_int_eq(m.h.msgh_id, i);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ipc_rcv_watch_ns_test = 0;
	ck_assert_int_eq(ck_pr_load_int(&wr_sent), WATCH_MSGS);
	/* Receives found the ring empty, watched, and saw the message. */
	ck_assert_uint_ge(ipc_rcv_watch_hits - hits, 1);
	/* Those did not wait: our waits are the receives that did not
	 * watch (a sender descheduled for 50 ms, twice in a row). */
	ck_assert_uint_le(ipc_thread_self()->th_stats[IPC_STAT_SLOW] - slow0,
	    WATCH_MSGS - (ipc_rcv_watch_hits - hits));
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), wr_port,
	                     MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mach_port_deallocate(mach_task_self(), wr_port), KERN_SUCCESS);
}
END_TEST

static uint64_t wd_hits;
static mach_msg_return_t wd_mr;

static void *
wd_receiver(void *arg)
{
	struct sr_msg m;
	uint64_t h = ipc_rcv_watch_hits;

	(void)arg;
	mipc_thread_set_space(wr_space);
	wd_mr = mach_msg(&m.h, MACH_RCV_MSG, 0, sizeof(m), wr_port,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
	wd_hits = ipc_rcv_watch_hits - h;
	return NULL;
}

/*
 * The port dies while a receiver watches its empty ring: the watch sees
 * it, the receive looks again and finds the name gone -- as a receive
 * issued after the destroy (MACH_RCV_INVALID_NAME, no guard: the name
 * held the right), never a hang or a message from nowhere.  The destroy
 * waits for the watch to begin (ipc_spin_watches_test), which then lasts
 * up to 4 s: a loaded machine delays the destroy, never misses the
 * watch (a 5-ms sleep did, at load 6).
 */
START_TEST(waitq_port_destroyed_during_the_watch)
{
	struct timespec ms = { 0, 1000000 };
	uint32_t w0;
	pthread_t t;
	int i;

	wr_space = mipc_thread_space();
	ck_assert_int_eq(mach_port_allocate(mach_task_self(),
	                     MACH_PORT_RIGHT_RECEIVE, &wr_port),
	    KERN_SUCCESS);
	ipc_rcv_watch_ns_test = 4000000000u; /* 4 s */
	w0 = ck_pr_load_32(&ipc_spin_watches_test);
	ck_assert_int_eq(pthread_create(&t, NULL, wd_receiver, NULL), 0);
	for (i = 0; i < 10000 && ck_pr_load_32(&ipc_spin_watches_test) == w0;
	     i++)
		nanosleep(&ms, NULL);
	ck_assert_msg(ck_pr_load_32(&ipc_spin_watches_test) != w0,
	    "the receiver did not begin its watch in 10 s");
	ck_assert_int_eq(mach_port_mod_refs(mach_task_self(), wr_port,
	                     MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ipc_rcv_watch_ns_test = 0;
	ck_assert_uint_eq(wd_hits, 1);
	ck_assert_int_eq(wd_mr, MACH_RCV_INVALID_NAME);
}
END_TEST

static Suite *
waitq_suite(void)
{
	Suite *s = suite_create("waitq");
	TCase *tc = mipc_tcase("spin");

	tcase_add_test(tc, waitq_spin_budget_is_time_not_looks);
	tcase_add_test(tc, waitq_spin_pusher_pauses_longer_never_yields);
	tcase_add_test(tc, waitq_spin_budget_counts_pauses_under_a_yield_hook);
	tcase_add_test(
	    tc, waitq_spin_skips_pausing_where_the_first_yield_answers);
	tcase_add_test(tc, waitq_wait_learns_its_pausing_is_lost);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("wake");
	tcase_add_test(tc, waitq_woken_waiter_costs_one_wake_system_call);
	tcase_add_test(tc, waitq_wake_one_wakes_each_sleeper);
	tcase_add_test(
	    tc, waitq_spinning_receiver_takes_a_send_without_system_calls);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("watch");
	tcase_set_tags(tc, "timing");
	tcase_add_test(tc, waitq_empty_ring_watched_then_taken_in_order);
	tcase_add_test(tc, waitq_port_destroyed_during_the_watch);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(waitq_suite)
