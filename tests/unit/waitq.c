/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.c -- tests of core/waitq.c's spin policy: the budget a waiter
 * spends pausing before it yields or sleeps is time, not a number of
 * looks (a cheaper look must not shorten it), it ends, and under a test's
 * yield hook it counts pauses so that a scheduled run stays a function of
 * its input.
 *
 * The time assertions are lower bounds only (a loaded machine lengthens a
 * phase, never shortens it), with slack for the tick rate's calibration.
 * Includes core/internal.h for struct ipc_spin.
 */
#include "check_mipc.h"

#include "internal.h"

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
	unsigned int ph_pauses;
	unsigned int ph_yields;
	bool ph_clock;
};

static struct phase
run_phase(bool pusher, bool woken)
{
	struct phase ph = { 0, 0, 0, false };
	struct ipc_spin sp;
	uint64_t t0 = now_ns();
	bool more;

	ipc_spin_start(&sp, pusher, woken);
	ph.ph_clock = sp.sp_clock;
	do {
		bool was_yielding = ipc_spin_yielding(&sp);

		more = ipc_spin_step(&sp);
		if (!was_yielding && ipc_spin_yielding(&sp))
			ph.ph_paused_ns = now_ns() - t0;
		if (more && ipc_spin_yielding(&sp))
			ph.ph_yields++;
		else if (more)
			ph.ph_pauses++;
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
		ck_assert_uint_ge(ph.ph_pauses, 1);
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

static Suite *
waitq_suite(void)
{
	Suite *s = suite_create("waitq");
	TCase *tc = mipc_tcase("spin");

	tcase_add_test(tc, waitq_spin_budget_is_time_not_looks);
	tcase_add_test(tc, waitq_spin_pusher_pauses_longer_never_yields);
	tcase_add_test(tc, waitq_spin_budget_counts_pauses_under_a_yield_hook);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(waitq_suite)
