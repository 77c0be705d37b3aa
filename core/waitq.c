/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.c -- waiting: futex words and deadlines.
 *
 * Owns:      no state; the system calls every blocking path makes.
 * Locking:   none; never called with a lock held (a futex wait under a
 *            spinlock would stall every other taker).
 */
#include "waitq.h"

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

bool
ipc_futex_wait(uint32_t *word, uint32_t val, const struct timespec *deadline)
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
ipc_futex_wake(uint32_t *word, int n)
{
	futex(word, FUTEX_WAKE_PRIVATE, (uint32_t)n, NULL);
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
