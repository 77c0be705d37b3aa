/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * os_apply_threads.c -- one thread's OS priority applied by many threads
 * at once, itself among them (turnstile.c's os_apply): a thread lowering
 * its own priority makes that call without the appliers' busy flag (the
 * OS may preempt it right there, and the others must not wait for it),
 * so its call can land after another applier's.  Whatever the
 * interleaving, once every caller has returned the last priority the OS
 * was given is the thread's effective priority: under churn from the
 * target and two others (last_apply_is_the_effective_priority), and in
 * the race itself, forced round after round
 * (own_lowering_landing_last_is_corrected: without th_os_stale nearly
 * every round ends wrong).
 *
 * A CUSTOM policy records the calls for the target thread; it naps in
 * each (the target's own calls ten times longer) to widen the windows.
 * Bounded.
 */
#include "stress.h"

#include <mipc/sync.h>
#include <semaphore.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

enum { OTHERS = 2 };

static mipc_thread_t target_th;
static pid_t target_tid;
static sem_t target_ready, target_go, target_done;
static long iters;
static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static int last_pri = -1; /* (last_mu) the target's, last landed */

static pid_t
tid_self(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int
record_apply(pid_t tid, int pri, void *ctx)
{
	/* The target's own calls are the slow ones: others land inside. */
	struct timespec ts = { 0, tid_self() == tid ? 200000 : 20000 };

	(void)ctx;
	nanosleep(&ts, NULL);
	if (tid == target_tid) {
		pthread_mutex_lock(&last_mu);
		last_pri = pri;
		pthread_mutex_unlock(&last_mu);
	}
	return 0;
}

/* The target: changes its own base, up and down, then waits. */
static void *
target(void *arg)
{
	long i;

	(void)arg;
	target_th = mipc_thread_self();
	MIPC_REQUIRE(target_th != NULL, "thread state");
	mipc_thread_retain(target_th);
	target_tid = tid_self();
	sem_post(&target_ready);
	MIPC_REQUIRE(sem_wait(&target_go) == 0, "sem_wait");
	for (i = 0; i < iters; i++) {
		struct timespec ts = { 0, 20000 };

		(void)mipc_thread_set_base_priority(
		    target_th, (int)(4 + (i * 7) % 60));
		nanosleep(&ts, NULL);
	}
	sem_post(&target_done);
	/* Alive (its tid valid) until the check is made. */
	MIPC_REQUIRE(sem_wait(&target_go) == 0, "sem_wait");
	return NULL;
}

static void *
other(void *arg)
{
	long id = (long)(intptr_t)arg, i;

	for (i = 0; i < iters; i++) {
		struct timespec ts = { 0, 30000 };

		(void)mipc_thread_set_base_priority(
		    target_th, (int)(10 + (i * 3 + id * 11) % 50));
		nanosleep(&ts, NULL); /* room for the target's own calls */
	}
	return NULL;
}

START_TEST(last_apply_is_the_effective_priority)
{
	struct mipc_thread_priority p;
	pthread_t tt, ot[OTHERS];
	long i;

	iters = stress_iters(2000);
	ck_assert_int_eq(sem_init(&target_ready, 0, 0), 0);
	ck_assert_int_eq(sem_init(&target_go, 0, 0), 0);
	ck_assert_int_eq(sem_init(&target_done, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&tt, NULL, target, NULL), 0);
	ck_assert_int_eq(sem_wait(&target_ready), 0);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, NULL),
	    KERN_SUCCESS);
	sem_post(&target_go);
	for (i = 0; i < OTHERS; i++)
		ck_assert_int_eq(
		    pthread_create(&ot[i], NULL, other, (void *)(intptr_t)i),
		    0);
	for (i = 0; i < OTHERS; i++)
		pthread_join(ot[i], NULL);
	ck_assert_int_eq(sem_wait(&target_done), 0);
	/* Every applier has returned: the OS has the effective priority. */
	ck_assert_int_eq(mipc_thread_get_priority(target_th, &p), KERN_SUCCESS);
	pthread_mutex_lock(&last_mu);
	ck_assert_msg(last_pri == (int)p.effective,
	    "last applied %d, effective %u (base %u)", last_pri, p.effective,
	    p.base);
	pthread_mutex_unlock(&last_mu);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL), KERN_SUCCESS);
	sem_post(&target_go);
	pthread_join(tt, NULL);
	mipc_thread_release(target_th);
	sem_destroy(&target_ready);
	sem_destroy(&target_go);
	sem_destroy(&target_done);
}
END_TEST

/*
 * The race itself, round after round: the target lowers itself (60 ->
 * 10, its call slow) and, inside that call, another thread sets its base
 * to 40.  The other's call lands first; the target's, stale, after it:
 * the target must put 40 back before it returns.
 */
static sem_t round_go, round_done;
static int round_stop; /* (A) */

static void *
round_target(void *arg)
{
	(void)arg;
	target_th = mipc_thread_self();
	MIPC_REQUIRE(target_th != NULL, "thread state");
	mipc_thread_retain(target_th);
	target_tid = tid_self();
	sem_post(&target_ready);
	for (;;) {
		MIPC_REQUIRE(sem_wait(&round_go) == 0, "sem_wait");
		if (__atomic_load_n(&round_stop, __ATOMIC_ACQUIRE))
			break;
		(void)mipc_thread_set_base_priority(target_th, 10);
		sem_post(&round_done);
	}
	return NULL;
}

static void *
round_other(void *arg)
{
	struct timespec ts = { 0, 50000 }; /* inside the target's call */

	(void)arg;
	for (;;) {
		MIPC_REQUIRE(sem_wait(&round_go) == 0, "sem_wait");
		if (__atomic_load_n(&round_stop, __ATOMIC_ACQUIRE))
			break;
		nanosleep(&ts, NULL);
		(void)mipc_thread_set_base_priority(target_th, 40);
		sem_post(&round_done);
	}
	return NULL;
}

START_TEST(own_lowering_landing_last_is_corrected)
{
	struct mipc_thread_priority p;
	pthread_t tt, ot;
	long r, rounds = stress_iters(200), bad = 0;

	ck_assert_int_eq(sem_init(&target_ready, 0, 0), 0);
	ck_assert_int_eq(sem_init(&round_go, 0, 0), 0);
	ck_assert_int_eq(sem_init(&round_done, 0, 0), 0);
	round_stop = 0;
	ck_assert_int_eq(pthread_create(&tt, NULL, round_target, NULL), 0);
	ck_assert_int_eq(sem_wait(&target_ready), 0);
	ck_assert_int_eq(pthread_create(&ot, NULL, round_other, NULL), 0);
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_CUSTOM, record_apply, NULL),
	    KERN_SUCCESS);
	for (r = 0; r < rounds; r++) {
		ck_assert_int_eq(
		    mipc_thread_set_base_priority(target_th, 60), KERN_SUCCESS);
		sem_post(&round_go);
		sem_post(&round_go);
		ck_assert_int_eq(sem_wait(&round_done), 0);
		ck_assert_int_eq(sem_wait(&round_done), 0);
		ck_assert_int_eq(
		    mipc_thread_get_priority(target_th, &p), KERN_SUCCESS);
		pthread_mutex_lock(&last_mu);
		bad += last_pri != (int)p.effective;
		pthread_mutex_unlock(&last_mu);
	}
	ck_assert_int_eq(
	    mipc_set_os_policy(MIPC_OS_POLICY_NONE, NULL, NULL), KERN_SUCCESS);
	__atomic_store_n(&round_stop, 1, __ATOMIC_RELEASE);
	sem_post(&round_go);
	sem_post(&round_go);
	pthread_join(tt, NULL);
	pthread_join(ot, NULL);
	ck_assert_msg(bad == 0,
	    "%ld of %ld rounds ended with the OS at a "
	    "priority the target no longer had",
	    bad, rounds);
	mipc_thread_release(target_th);
	sem_destroy(&target_ready);
	sem_destroy(&round_go);
	sem_destroy(&round_done);
}
END_TEST

static Suite *
os_apply_threads_suite(void)
{
	Suite *s = suite_create("os_apply_threads");
	TCase *tc = mipc_tcase("os_apply");

	tcase_set_timeout(tc, stress_timeout(240));
	tcase_add_loop_test(tc, last_apply_is_the_effective_priority, 0, 4);
	tcase_add_test(tc, own_lowering_landing_last_is_corrected);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(os_apply_threads_suite)
