/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cache_threads.c -- the object caches across threads and CPUs: objects
 * allocated on one CPU and freed on another, and mixed traffic from several
 * threads; contents intact, live counts back to zero.
 *
 * Includes core/internal.h: the caches are internal.
 */
#include "stress.h"

#include "internal.h"

#include <string.h>

enum { QCAP = 256 };

/* A mutex-protected handoff queue: the test's own synchronisation. */
struct handoff {
	pthread_mutex_t h_lock;
	pthread_cond_t h_cond;
	void *h_q[QCAP];
	int h_head, h_n;
	int h_done;
};

static struct handoff hq = { PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_COND_INITIALIZER, { 0 }, 0, 0, 0 };

static void
put(void *p)
{
	pthread_mutex_lock(&hq.h_lock);
	while (hq.h_n == QCAP)
		pthread_cond_wait(&hq.h_cond, &hq.h_lock);
	hq.h_q[(hq.h_head + hq.h_n++) % QCAP] = p;
	pthread_cond_broadcast(&hq.h_cond);
	pthread_mutex_unlock(&hq.h_lock);
}

static void *
get(void)
{
	void *p = NULL;

	pthread_mutex_lock(&hq.h_lock);
	while (hq.h_n == 0 && !hq.h_done)
		pthread_cond_wait(&hq.h_cond, &hq.h_lock);
	if (hq.h_n != 0) {
		p = hq.h_q[hq.h_head];
		hq.h_head = (hq.h_head + 1) % QCAP;
		hq.h_n--;
		pthread_cond_broadcast(&hq.h_cond);
	}
	pthread_mutex_unlock(&hq.h_lock);
	return p;
}

static void *
producer(void *arg)
{
	long i, n = *(long *)arg;

	stress_pin(0);
	for (i = 0; i < n; i++) {
		uint64_t *o = ipc_cache_alloc(IPC_KIND_PORT);

		MIPC_REQUIRE(o != NULL, "allocation %ld", i);
		o[0] = (uint64_t)i;
		o[IPC_PORT_SIZE / 8 - 1] = ~(uint64_t)i;
		put(o);
	}
	pthread_mutex_lock(&hq.h_lock);
	hq.h_done = 1;
	pthread_cond_broadcast(&hq.h_cond);
	pthread_mutex_unlock(&hq.h_lock);
	return NULL;
}

static void *
consumer(void *arg)
{
	long *got = arg;
	uint64_t *o;

	stress_pin(1);
	while ((o = get()) != NULL) {
		MIPC_REQUIRE(o[IPC_PORT_SIZE / 8 - 1] == ~o[0],
		    "object %p corrupted in transit", (void *)o);
		(*got)++;
		ipc_cache_free(IPC_KIND_PORT, o);
	}
	return NULL;
}

START_TEST(cache_alloc_on_one_cpu_free_on_another)
{
	long n = stress_iters(200000), got = 0;
	pthread_t p, c;

	ck_assert_int_eq(pthread_create(&p, NULL, producer, &n), 0);
	ck_assert_int_eq(pthread_create(&c, NULL, consumer, &got), 0);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(ipc_kind_live(IPC_KIND_PORT), 0);
}
END_TEST

static void *
churn(void *arg)
{
	long id = (long)(intptr_t)arg, i, rounds = stress_iters(100000);
	void *held[64] = { 0 };
	unsigned int seed = (unsigned int)id * 7919u + 1;

	stress_pin((int)id);
	for (i = 0; i < rounds; i++) {
		int k = (int)(rand_r(&seed) % 64);
		enum ipc_kind kind = (k & 1) ? IPC_KIND_KMSG_S : IPC_KIND_PORT;

		if (held[k] != NULL) {
			MIPC_REQUIRE(*(long *)held[k] == id * 1000 + k,
			    "object %d corrupted", k);
			ipc_cache_free(kind, held[k]);
			held[k] = NULL;
		} else {
			held[k] = ipc_cache_alloc(kind);
			MIPC_REQUIRE(held[k] != NULL, "allocation");
			*(long *)held[k] = id * 1000 + k;
		}
		if ((i & 4095) == 0)
			stress_pin((int)(id + i / 4096)); /* migrate */
	}
	for (i = 0; i < 64; i++) {
		if (held[i] != NULL)
			ipc_cache_free(
			    (i & 1) ? IPC_KIND_KMSG_S : IPC_KIND_PORT, held[i]);
	}
	return NULL;
}

START_TEST(cache_churn_threads_migrating)
{
	pthread_t t[4];
	long i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(ipc_kind_live(IPC_KIND_PORT), 0);
	ck_assert_int_eq(ipc_kind_live(IPC_KIND_KMSG_S), 0);
}
END_TEST

static Suite *
cache_threads_suite(void)
{
	Suite *s = suite_create("cache_threads");
	TCase *tc = mipc_tcase("cross_cpu");

	tcase_set_timeout(tc, stress_timeout(180));
	tcase_add_test(tc, cache_alloc_on_one_cpu_free_on_another);
	tcase_add_test(tc, cache_churn_threads_migrating);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(cache_threads_suite)
