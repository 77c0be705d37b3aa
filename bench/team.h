/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * team.h -- pinned partner threads for the cross-thread cases of base.c,
 * msg.c and peers.c.
 *
 * Owns:      struct team: the benchmark thread pinned to the first CPU of
 *            its affinity mask ("rank 0"), and up to TEAM_MAX partner
 *            threads each pinned to the CPU of a given rank.
 * Choices:   * Ranks count the CPUs of the mask in order; rank 1 is the
 *              second usable CPU.  On the 2-CPU runner ranks 0 and 1 are
 *              two cores, hence "(cross core)"; a partner at rank 0 shares
 *              the benchmark thread's CPU, "(same core)".
 *            * Partners are started and joined outside the timed loop; a
 *              case must make its partners return (a stop message, a flag,
 *              a gate) before team_join().
 */
#ifndef MIPC_BENCH_TEAM_H
#define MIPC_BENCH_TEAM_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#define TEAM_MAX 4

/* Shared words of a case sit alone on their cache line. */
#define TEAM_LINE_ALIGNED __attribute__((aligned(64)))

/* Where a case's partner runs relative to the benchmark thread. */
enum team_place {
	TEAM_CROSS_CORE = 1, /* partner rank */
	TEAM_SAME_CORE = 0,
};

struct team {
	int tm_n;                      /* partners started */
	bool tm_pinned;                /* the caller is pinned */
	pthread_t tm_thread[TEAM_MAX]; /* [0, tm_n) */
	cpu_set_t tm_saved;            /* the caller's mask before */
};

/* Usable CPUs in the calling thread's affinity mask (at least 1). */
int team_cpus(void);

/* The CPU number of `rank` in the calling thread's mask, or -1. */
int team_cpu_of_rank(int rank);

/* "cross core" or "same core", for case names. */
const char *team_place_name(enum team_place place);

/*
 * Two senders to one receiver at rank 0: the second sender's rank (its own
 * CPU when there is a third, else the first sender's), and the placement
 * text naming it.
 */
int team_second_sender_rank(void);
const char *team_senders_place_name(int second_rank);

/*
 * Pin the calling thread to the CPU of rank 0.  Returns NULL, or why it
 * could not (the team is then empty and team_join() a no-op).
 */
const char *team_pin_self(struct team *t);

/*
 * Start fn(arg) pinned to the CPU of `rank`.  Returns NULL, or why it could
 * not (nothing started).
 */
const char *team_start(
    struct team *t, int rank, void *(*fn)(void *), void *arg);

/* Join every started partner, then restore the caller's affinity. */
void team_join(struct team *t);

/*
 * Context switches around a case's timed loop, from getrusage: the
 * calling thread's (RUSAGE_THREAD) and the rest of the process's
 * (RUSAGE_SELF less the caller's: its partners, joined or not).
 * Voluntary switches are sleeps (a futex wait, a blocking read);
 * involuntary ones are preemptions (another task, a sched_yield).
 * team_cs_begin() before the loop, team_cs_end() after it; the fields
 * then hold the differences.
 */
struct team_cs {
	long cs_vol, cs_invol;                 /* the calling thread */
	long cs_partner_vol, cs_partner_invol; /* the others */
};

void team_cs_begin(struct team_cs *cs);
void team_cs_end(struct team_cs *cs);

#endif /* MIPC_BENCH_TEAM_H */
