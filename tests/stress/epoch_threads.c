/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * epoch_threads.c -- epoch reclamation across threads: a deferred free
 * waits for every section open when it was retired; mipc_quiesce() runs
 * the garbage of threads that are still alive; readers racing with
 * retirement never see a freed object.  Issue 12 (item 19): a record
 * recycled from an exited thread, and mipc_quiesce() racing retirement,
 * carry their happens-before edges (TSan).
 *
 * Includes core/internal.h: the epoch is internal.
 */
#include "stress.h"

#include "internal.h"

#include <string.h>

struct retiree {
	struct ipc_deferred r_entry;
	int *r_counter;
	uint64_t r_magic;
};

#define MAGIC 0x6d697063u

static void
retiree_free(struct ipc_deferred *e)
{
	struct retiree *r = ipc_container_of(e, struct retiree, r_entry);

	ck_pr_inc_int(r->r_counter);
	r->r_magic = 0;
	ipc_cache_free(IPC_KIND_KMSG_S, r);
}

static struct retiree *
make(int *counter)
{
	struct retiree *r = ipc_cache_alloc(IPC_KIND_KMSG_S);

	MIPC_REQUIRE(r != NULL, "allocation");
	r->r_counter = counter;
	r->r_magic = MAGIC;
	return r;
}

static pthread_barrier_t bar;
static int reader_inside, reader_release;

static void *
reader_holds_section(void *arg)
{
	struct ipc_thread *th = ipc_thread_self();

	(void)arg;
	ipc_epoch_enter(th);
	ck_pr_store_int(&reader_inside, 1);
	while (ck_pr_load_int(&reader_release) == 0)
		arch_cpu_relax();
	ipc_epoch_exit(th);
	return NULL;
}

static void *
quiescer(void *arg)
{
	(void)arg;
	mipc_quiesce();
	return NULL;
}

START_TEST(epoch_free_waits_for_open_section)
{
	struct ipc_thread *th = ipc_thread_self();
	pthread_t r, q;
	int freed = 0;

	ck_assert_int_eq(
	    pthread_create(&r, NULL, reader_holds_section, NULL), 0);
	while (ck_pr_load_int(&reader_inside) == 0)
		arch_cpu_relax();
	ipc_epoch_defer(th, &make(&freed)->r_entry, retiree_free);
	ck_assert_int_eq(pthread_create(&q, NULL, quiescer, NULL), 0);
	usleep(50 * 1000);
	/* The reader is still inside: nothing may have been freed. */
	ck_assert_int_eq(ck_pr_load_int(&freed), 0);
	ck_pr_store_int(&reader_release, 1);
	pthread_join(q, NULL);
	pthread_join(r, NULL);
	ck_assert_int_eq(ck_pr_load_int(&freed), 1);
}
END_TEST

static int live_freed;

static void *
retire_then_wait(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10; i++) /* below the poll threshold */
		ipc_epoch_defer(ipc_thread_self(), &make(&live_freed)->r_entry,
		    retiree_free);
	pthread_barrier_wait(&bar); /* retired */
	pthread_barrier_wait(&bar); /* main has quiesced */
	return NULL;
}

START_TEST(epoch_quiesce_takes_live_threads_garbage)
{
	struct mipc_stats st;
	pthread_t t;

	pthread_barrier_init(&bar, NULL, 2);
	ck_assert_int_eq(pthread_create(&t, NULL, retire_then_wait, NULL), 0);
	pthread_barrier_wait(&bar);
	mipc_get_stats(&st);
	ck_assert_int_eq(st.epoch_pending, 10);
	mipc_quiesce();
	ck_assert_int_eq(ck_pr_load_int(&live_freed), 10);
	mipc_get_stats(&st);
	ck_assert_int_eq(st.epoch_pending, 0);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&bar);
}
END_TEST

/*
 * Readers follow a shared pointer inside sections and check the object's
 * magic; a writer swaps in a new object and retires the old one.  A free
 * before the grace period would show up as a bad magic (or as an ASan /
 * TSan report on the freed memory).
 */
static struct retiree *shared;
static int stop, writer_freed;

static void *
reader(void *arg)
{
	struct ipc_thread *th = ipc_thread_self();
	long n = 0;

	stress_pin((int)(intptr_t)arg);
	while (!ck_pr_load_int(&stop)) {
		struct retiree *r;

		ipc_epoch_enter(th);
		r = ck_pr_load_ptr(&shared);
		/* A3: pairs with R3 in writer(); sees the object built. */
		ipc_tsan_acquire(r);
		MIPC_REQUIRE(r->r_magic == MAGIC, "read a freed object");
		ipc_epoch_exit(th);
		n++;
	}
	return (void *)(intptr_t)n;
}

static void *
writer(void *arg)
{
	struct ipc_thread *th = ipc_thread_self();
	long i, rounds = *(long *)arg;

	stress_pin(0);
	for (i = 0; i < rounds; i++) {
		struct retiree *n = make(&writer_freed), *old;

		ipc_tsan_release(n);             /* R3 */
		old = ck_pr_fas_ptr(&shared, n); /* R3: publish n */
		ipc_epoch_defer(th, &old->r_entry, retiree_free);
	}
	ck_pr_store_int(&stop, 1);
	return NULL;
}

START_TEST(epoch_readers_never_see_freed)
{
	long rounds = stress_iters(100000);
	pthread_t w, r[2];
	int i;

	shared = make(&writer_freed);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, reader,
		                     (void *)(intptr_t)(i + 1)),
		    0);
	ck_assert_int_eq(pthread_create(&w, NULL, writer, &rounds), 0);
	pthread_join(w, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	retiree_free(&shared->r_entry);
	mipc_quiesce();
	ck_assert_int_eq(ck_pr_load_int(&writer_freed), rounds + 1);
}
END_TEST

/*
 * issue 12, item 19: a thread's record, released at its exit, recycled by
 * a thread that never synchronised with it except through mipc (the
 * record's free state, a CAS TSan does not see).  The new owner's first
 * section must be ordered after everything the old owner did.
 */
static int recycle_go;

static void *
old_owner(void *arg)
{
	mipc_space_t sp = arg;
	mach_port_name_t n = MACH_PORT_NULL;

	MIPC_REQUIRE(
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n) == KERN_SUCCESS,
	    "allocate");
	MIPC_REQUIRE(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE, -1) ==
	        KERN_SUCCESS,
	    "destroy");
	return NULL;
}

static mipc_space_t recycle_space;
static mach_port_name_t recycle_port;

static void *
new_owner(void *arg)
{
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;

	(void)arg;
	/* ck_pr: no edge TSan can see from the old owner's exit. */
	while (ck_pr_load_int(&recycle_go) == 0)
		arch_cpu_relax();
	/* First call: a lock-free receive, a section before any lock. */
	MIPC_REQUIRE(mipc_msg(recycle_space, &m.h,
	                 MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	                 recycle_port, 0, MACH_PORT_NULL) == MACH_RCV_TIMED_OUT,
	    "receive on an empty port");
	return NULL;
}

START_TEST(epoch_record_recycled_from_exited_thread)
{
	long i, rounds = stress_iters(50);
	mipc_space_t sp;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(&recycle_space), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_allocate(recycle_space,
	                     MACH_PORT_RIGHT_RECEIVE, &recycle_port),
	    KERN_SUCCESS);
	for (i = 0; i < rounds; i++) {
		pthread_t o, n;

		ck_pr_store_int(&recycle_go, 0);
		/* The new owner exists before the old one: no create edge. */
		ck_assert_int_eq(pthread_create(&n, NULL, new_owner, NULL), 0);
		ck_assert_int_eq(pthread_create(&o, NULL, old_owner, sp), 0);
		pthread_join(o, NULL);
		ck_pr_store_int(&recycle_go, 1);
		pthread_join(n, NULL);
	}
	ck_assert_int_eq(mipc_space_destroy(recycle_space), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

/*
 * issue 12, item 19: mipc_quiesce() running while other threads retire
 * objects: it pops their pending entries (ck_stack, invisible to TSan) and
 * runs them; each entry must be seen as built.
 */
static int defer_stop;

static void *
deferrer(void *arg)
{
	mipc_space_t sp = arg;

	stress_pin(1);
	while (!ck_pr_load_int(&defer_stop)) {
		mach_port_name_t n = MACH_PORT_NULL;

		/* A port's last reference retires it through the epoch. */
		MIPC_REQUIRE(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE,
		                 &n) == KERN_SUCCESS,
		    "allocate");
		MIPC_REQUIRE(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE,
		                 -1) == KERN_SUCCESS,
		    "destroy");
	}
	return NULL;
}

START_TEST(epoch_quiesce_while_threads_retire)
{
	long i, rounds = stress_iters(2000);
	mipc_space_t sp;
	pthread_t t[2];
	int k;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	ck_pr_store_int(&defer_stop, 0);
	for (k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, deferrer, sp), 0);
	stress_pin(0);
	for (i = 0; i < rounds; i++)
		mipc_quiesce();
	ck_pr_store_int(&defer_stop, 1);
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

static Suite *
epoch_threads_suite(void)
{
	Suite *s = suite_create("epoch_threads");
	TCase *tc = mipc_tcase("epoch");

	tcase_set_timeout(tc, stress_timeout(180));
	tcase_add_test(tc, epoch_free_waits_for_open_section);
	tcase_add_test(tc, epoch_quiesce_takes_live_threads_garbage);
	tcase_add_test(tc, epoch_readers_never_see_freed);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("issue_12");
	tcase_set_timeout(tc, stress_timeout(120));
	tcase_add_test(tc, epoch_record_recycled_from_exited_thread);
	tcase_add_test(tc, epoch_quiesce_while_threads_retire);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(epoch_threads_suite)
