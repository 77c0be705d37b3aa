/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * interleave.h -- run one call, and another thread's call at a chosen
 * yield point of it (core/internal.h's ipc_yield_hook, test builds).
 *
 * interleave_at(n, call, other) runs call() in this thread; when it passes
 * its nth yield point (locks, lock-free lookups, ring reservations, port
 * deaths; not spins), other() starts in a second thread and call() waits
 * for it -- up to 100 ms, for other() may need a lock call() holds, and
 * then finishes after it.  A test sweeps n from 1 until a call no longer
 * reaches n, and so tries the other call at every place the engine can be
 * interrupted.  Returns whether the nth point was reached; if not, other()
 * ran after call().
 *
 * Needs core/internal.h (included first by the suite, which says why).
 */
#ifndef MIPC_TESTS_INTERLEAVE_H
#define MIPC_TESTS_INTERLEAVE_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct interleave {
	void (*il_other)(void *);
	void *il_arg;
	unsigned int il_at, il_seen;
	bool il_started;
	uint32_t il_done; /* (A) */
	pthread_t il_thread;
};

static struct interleave interleave_cur;
static __thread bool interleave_counting;

static void *
interleave_thread(void *arg)
{
	struct interleave *il = arg;

	il->il_other(il->il_arg);
	ck_pr_store_32(&il->il_done, 1);
	return NULL;
}

static void
interleave_hook(enum ipc_yield_point point)
{
	struct interleave *il = &interleave_cur;
	struct timespec pause = { 0, 1000000 };
	int i;

	if (!interleave_counting || point == IPC_YIELD_SPIN || il->il_started ||
	    ++il->il_seen != il->il_at)
		return;
	il->il_started = true;
	if (pthread_create(&il->il_thread, NULL, interleave_thread, il) != 0)
		abort();
	for (i = 0; i < 100 && !ck_pr_load_32(&il->il_done); i++)
		nanosleep(&pause, NULL);
}

static inline bool
interleave_at(unsigned int nth, void (*call)(void *), void *arg,
    void (*other)(void *), void *oarg)
{
	struct interleave *il = &interleave_cur;
	bool reached;

	il->il_other = other;
	il->il_arg = oarg;
	il->il_at = nth;
	il->il_seen = 0;
	il->il_started = false;
	ck_pr_store_32(&il->il_done, 0);
	ipc_yield_hook = interleave_hook;
	interleave_counting = true;
	call(arg);
	interleave_counting = false;
	reached = il->il_started;
	/* The hook goes once other()'s thread is joined: its last locks (at
	 * its exit, thread.c) still read it (TSan). */
	if (reached)
		pthread_join(il->il_thread, NULL);
	ipc_yield_hook = NULL;
	if (!reached)
		other(oarg);
	return reached;
}

#endif /* MIPC_TESTS_INTERLEAVE_H */
