/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * team.c -- pinned partner threads (see team.h).
 */
#include "team.h"

#include <string.h>
#include <sys/resource.h>

/* The CPU of `rank` in *mask, or -1. */
static int
cpu_of_rank(const cpu_set_t *mask, int rank)
{
	int c, n = 0;

	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, mask) && n++ == rank)
			return c;
	return -1;
}

int
team_cpus(void)
{
	cpu_set_t mask;
	int n;

	if (pthread_getaffinity_np(pthread_self(), sizeof(mask), &mask) != 0)
		return 1;
	n = CPU_COUNT(&mask);
	return n > 0 ? n : 1;
}

int
team_cpu_of_rank(int rank)
{
	cpu_set_t mask;

	if (pthread_getaffinity_np(pthread_self(), sizeof(mask), &mask) != 0)
		return -1;
	return cpu_of_rank(&mask, rank);
}

const char *
team_place_name(enum team_place place)
{
	return place == TEAM_SAME_CORE ? "same core" : "cross core";
}

int
team_second_sender_rank(void)
{
	return team_cpus() >= 3 ? 2 : 1;
}

const char *
team_senders_place_name(int second_rank)
{
	return second_rank == 1 ? "senders share a core, cross core"
	                        : "cross core";
}

const char *
team_pin_self(struct team *t)
{
	cpu_set_t set;
	int cpu;

	memset(t, 0, sizeof(*t));
	if (pthread_getaffinity_np(
	        pthread_self(), sizeof(t->tm_saved), &t->tm_saved) != 0)
		return "pthread_getaffinity_np failed";
	if ((cpu = cpu_of_rank(&t->tm_saved, 0)) < 0)
		return "no usable CPU";
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		return "cannot pin the benchmark thread";
	t->tm_pinned = true;
	return NULL;
}

const char *
team_start(struct team *t, int rank, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int cpu, rc;

	if (!t->tm_pinned)
		return "team_start before team_pin_self";
	if (t->tm_n >= TEAM_MAX)
		return "too many partner threads";
	if ((cpu = cpu_of_rank(&t->tm_saved, rank)) < 0)
		return rank == 1 ? "needs 2 usable CPUs for a cross-core case"
		                 : "needs 3 usable CPUs for this placement";
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_attr_init(&attr) != 0)
		return "pthread_attr_init failed";
	rc = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (rc == 0)
		rc = pthread_create(&t->tm_thread[t->tm_n], &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return "cannot start the pinned partner thread";
	t->tm_n++;
	return NULL;
}

void
team_join(struct team *t)
{
	while (t->tm_n > 0)
		pthread_join(t->tm_thread[--t->tm_n], NULL);
	if (t->tm_pinned)
		pthread_setaffinity_np(
		    pthread_self(), sizeof(t->tm_saved), &t->tm_saved);
	t->tm_pinned = false;
}

/* Thread and process switch counts now, the process's less the thread's. */
static void
cs_now(struct team_cs *cs)
{
	struct rusage th, all;

	memset(cs, 0, sizeof(*cs));
	if (getrusage(RUSAGE_THREAD, &th) != 0 ||
	    getrusage(RUSAGE_SELF, &all) != 0)
		return;
	cs->cs_vol = th.ru_nvcsw;
	cs->cs_invol = th.ru_nivcsw;
	cs->cs_partner_vol = all.ru_nvcsw - th.ru_nvcsw;
	cs->cs_partner_invol = all.ru_nivcsw - th.ru_nivcsw;
}

void
team_cs_begin(struct team_cs *cs)
{
	cs_now(cs);
}

void
team_cs_end(struct team_cs *cs)
{
	struct team_cs now;

	cs_now(&now);
	cs->cs_vol = now.cs_vol - cs->cs_vol;
	cs->cs_invol = now.cs_invol - cs->cs_invol;
	cs->cs_partner_vol = now.cs_partner_vol - cs->cs_partner_vol;
	cs->cs_partner_invol = now.cs_partner_invol - cs->cs_partner_invol;
}
