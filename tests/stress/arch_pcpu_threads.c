/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arch_pcpu_threads.c -- the per-CPU sections under preemption: several
 * threads pinned to the same CPU push and pop unique tokens on shared
 * per-CPU stacks.  rseq must abort and restart any sequence a context
 * switch interrupts, so no token may be lost or duplicated.
 *
 * Tokens are integers, never dereferenced, so TSan has nothing to report
 * about the stack slots themselves (it cannot see the rseq sequences).
 */
#include "stress.h"

#include <arch.h>

#include <string.h>

enum { THREADS = 4, TOKENS_PER_THREAD = 40 };

static struct arch_pcpu_stack *stacks;
static uint32_t ncpu;
static pthread_barrier_t start;
static unsigned char seen[THREADS * TOKENS_PER_THREAD + 1];

struct worker {
	int w_id;
	int w_cpu;
	long w_rounds;
	uintptr_t w_held[TOKENS_PER_THREAD];
	int w_nheld;
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	long r;
	int i;

	stress_pin(w->w_cpu);
	for (i = 0; i < TOKENS_PER_THREAD; i++)
		w->w_held[i] = (uintptr_t)(w->w_id * TOKENS_PER_THREAD + i + 1);
	w->w_nheld = TOKENS_PER_THREAD;
	pthread_barrier_wait(&start);
	for (r = 0; r < w->w_rounds; r++) {
		/* Push some of ours, pop some of anybody's. */
		while (w->w_nheld > 0 &&
		    arch_pcpu_push(
		        stacks, ncpu, (void *)w->w_held[w->w_nheld - 1]))
			w->w_nheld--;
		for (i = 0;
		     i < (int)(r % 7) + 1 && w->w_nheld < TOKENS_PER_THREAD;
		     i++) {
			void *p = arch_pcpu_pop(stacks, ncpu);

			if (p == NULL)
				break;
			w->w_held[w->w_nheld++] = (uintptr_t)p;
		}
		if ((r & 1023) == 0)
			sched_yield();
	}
	return NULL;
}

static void
run(int same_cpu)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	uint32_t c;
	int i, j, total = 0;

	ncpu = arch_ncpu();
	stacks = aligned_alloc(ARCH_CACHELINE, ncpu * sizeof(*stacks));
	ck_assert_ptr_nonnull(stacks);
	memset(stacks, 0, ncpu * sizeof(*stacks));
	memset(seen, 0, sizeof(seen));
	pthread_barrier_init(&start, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		w[i].w_id = i;
		w[i].w_cpu = same_cpu ? 0 : i;
		w[i].w_rounds = stress_iters(200000);
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);

	/* Every token exactly once: held by a worker or left on a stack. */
	for (i = 0; i < THREADS; i++) {
		for (j = 0; j < w[i].w_nheld; j++) {
			ck_assert_msg(seen[w[i].w_held[j]]++ == 0,
			    "token %lu duplicated",
			    (unsigned long)w[i].w_held[j]);
			total++;
		}
	}
	for (c = 0; c < ncpu; c++) {
		ck_assert(stacks[c].ps_count <= ARCH_PCPU_SLOTS);
		for (j = 0; j < (int)stacks[c].ps_count; j++) {
			uintptr_t v = (uintptr_t)stacks[c].ps_slots[j];

			ck_assert_msg(
			    v >= 1 && v <= THREADS * TOKENS_PER_THREAD,
			    "garbage token %lu on CPU %u", (unsigned long)v, c);
			ck_assert_msg(seen[v]++ == 0, "token %lu duplicated",
			    (unsigned long)v);
			total++;
		}
	}
	ck_assert_int_eq(total, THREADS * TOKENS_PER_THREAD);
	free(stacks);
}

START_TEST(pcpu_threads_one_cpu_no_loss)
{
	run(1);
}
END_TEST

START_TEST(pcpu_threads_spread_no_loss)
{
	run(0);
}
END_TEST

static Suite *
pcpu_suite(void)
{
	Suite *s = suite_create("arch_pcpu_threads");
	TCase *tc = tcase_create("pcpu");

	/* Without per-CPU sections every push fails: nothing to test. */
	tcase_set_tags(tc, "pcpu");
	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, pcpu_threads_one_cpu_no_loss);
	tcase_add_test(tc, pcpu_threads_spread_no_loss);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(pcpu_suite)
