/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.c -- tests of core/thread.c: per-thread state, epoch sections,
 * deferred frees and reclamation at safe points (single-threaded cases;
 * the cross-thread ones are tests/stress/epoch_threads.c).
 *
 * Includes core/internal.h: the epoch is internal.
 */
#include "check_mipc.h"

#include "internal.h"

#include "internal_helpers.h"

#include <pthread.h>
#include <unistd.h>

struct retiree {
	struct ipc_deferred r_entry;
	int *r_counter;
};

static void
retiree_free(struct ipc_deferred *e)
{
	struct retiree *r = ipc_container_of(e, struct retiree, r_entry);

	(*r->r_counter)++;
	ipc_cache_free(IPC_KIND_KMSG_S, r);
}

static void
retire(struct ipc_thread *th, int *counter)
{
	struct retiree *r = ipc_cache_alloc(IPC_KIND_KMSG_S);

	ck_assert_ptr_nonnull(r);
	r->r_counter = counter;
	ipc_epoch_defer(th, &r->r_entry, retiree_free);
}

START_TEST(thread_state_is_per_thread_and_stable)
{
	struct ipc_thread *a = ipc_thread_self();

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(ipc_thread_self(), a);
	ck_assert_ptr_nonnull(a->th_epoch);
	ck_assert(!ipc_epoch_inside(a));
}
END_TEST

START_TEST(epoch_sections_nest)
{
	struct ipc_thread *th = ipc_thread_self();

	ipc_epoch_enter(th);
	ipc_epoch_enter(th);
	ck_assert(ipc_epoch_inside(th));
	ipc_epoch_exit(th);
	ck_assert(ipc_epoch_inside(th));
	ipc_epoch_exit(th);
	ck_assert(!ipc_epoch_inside(th));
}
END_TEST

START_TEST(epoch_no_reclaim_inside_section)
{
	struct ipc_thread *th = ipc_thread_self();
	int freed = 0, i;

	ipc_epoch_enter(th);
	/* Enough defers to trigger a poll, but we are inside: none run. */
	for (i = 0; i < 3 * IPC_EPOCH_POLL_EVERY; i++)
		retire(th, &freed);
	ck_assert_int_eq(freed, 0);
	ck_assert_int_eq(ipc_epoch_pending(th), 3 * IPC_EPOCH_POLL_EVERY);
	/* The section's exit is the safe point: everything goes. */
	ipc_epoch_exit(th);
	ck_assert_int_eq(freed, 3 * IPC_EPOCH_POLL_EVERY);
	ck_assert_int_eq(ipc_epoch_pending(th), 0);
}
END_TEST

START_TEST(epoch_quiesce_runs_pending)
{
	struct ipc_thread *th = ipc_thread_self();
	struct mipc_stats st;
	int freed = 0;

	retire(th, &freed);
	retire(th, &freed);
	mipc_get_stats(&st);
	ck_assert_int_eq(st.epoch_pending, 2);
	ck_assert_int_eq(st.messages, 2);
	mipc_quiesce();
	ck_assert_int_eq(freed, 2);
	mipc_get_stats(&st);
	ck_assert_int_eq(st.epoch_pending, 0);
	ck_assert_int_eq(st.messages, 0);
}
END_TEST

START_TEST(epoch_quiesce_inside_section_aborts)
{
	struct ipc_thread *th = ipc_thread_self();

	ipc_epoch_enter(th);
	mipc_quiesce();
}
END_TEST

/*
 * 10 million retirements through a pool of POOL entries reused round
 * robin: an entry may be retired again only once its last retirement has
 * been reclaimed, so the pool itself bounds what may stay pending.
 */
enum { POOL = 4 * IPC_EPOCH_POLL_EVERY };

struct pooled {
	struct ipc_deferred p_entry;
	int p_pending;
};

static void
pooled_done(struct ipc_deferred *d)
{
	struct pooled *p = ipc_container_of(d, struct pooled, p_entry);

	p->p_pending = 0;
}

static void *
retire_many(void *arg)
{
	static struct pooled pool[POOL];
	struct ipc_thread *th = ipc_thread_self();
	unsigned int *max_pending = arg, p;
	long i;

	for (i = 0; i < 10 * 1000 * 1000; i++) {
		struct pooled *e = &pool[i % POOL];

		MIPC_REQUIRE(!e->p_pending,
		    "retirement %ld: entry still pending %d retires later", i,
		    POOL);
		e->p_pending = 1;
		ipc_epoch_defer(th, &e->p_entry, pooled_done);
		p = ipc_epoch_pending(th);
		if (p > *max_pending)
			*max_pending = p;
	}
	mipc_quiesce();
	return NULL;
}

START_TEST(epoch_garbage_bounded_over_10m_retires)
{
	pthread_t t;
	unsigned int max_pending = 0;

	ck_assert_int_eq(
	    pthread_create(&t, NULL, retire_many, &max_pending), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* Polled every IPC_EPOCH_POLL_EVERY defers, with no other reader. */
	ck_assert_msg(max_pending <= 2 * IPC_EPOCH_POLL_EVERY,
	    "pending peaked at %u", max_pending);
}
END_TEST

static void *
retire_and_exit(void *arg)
{
	int i;

	for (i = 0; i < 5; i++)
		retire(ipc_thread_self(), arg);
	return NULL;
}

START_TEST(thread_exit_runs_its_pending_frees)
{
	struct mipc_stats before, after;
	pthread_t t;
	int freed = 0;

	mipc_get_stats(&before);
	ck_assert_int_eq(pthread_create(&t, NULL, retire_and_exit, &freed), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* The key destructor ran a barrier before releasing the state. */
	ck_assert_int_eq(freed, 5);
	mipc_get_stats(&after);
	ck_assert_int_eq(after.threads, before.threads);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bare ports retire in batches (port.c, ipc_port_retired_flush)       */

struct churn {
	mipc_space_t c_sp;
	mach_port_name_t c_name; /* the reader's port: destroyed first */
	struct ipc_port *c_watched;
	int c_rounds;
	int c_reused;    /* allocations that got c_watched's memory */
	int c_retired;   /* th_nretired when done */
	uint32_t c_done; /* (A) */
	uint32_t c_go;   /* (A) may exit */
};

/* Destroy the reader's port, then churn bare ports through batches. */
static void *
churn_ports(void *arg)
{
	struct churn *c = arg;
	mach_port_name_t n;
	int i;

	ck_assert_int_eq(mipc_port_destroy(c->c_sp, c->c_name), KERN_SUCCESS);
	for (i = 0; i < c->c_rounds; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate(c->c_sp, MACH_PORT_RIGHT_RECEIVE, &n),
		    KERN_SUCCESS);
		c->c_reused += port_of(c->c_sp, n) == c->c_watched;
		ck_assert_int_eq(mipc_port_destroy(c->c_sp, n), KERN_SUCCESS);
	}
	c->c_retired = (int)ck_pr_load_32(&ipc_thread_self()->th_nretired);
	ck_pr_store_32(&c->c_done, 1);
	/* Our exit's barrier would wait for the reader: not before it. */
	while (!ck_pr_load_32(&c->c_go))
		usleep(1000);
	return NULL;
}

static void
churn_wait(struct churn *c)
{
	while (!ck_pr_load_32(&c->c_done))
		usleep(1000);
}

/*
 * A reader inside its section holds a port that another thread destroys
 * and whose batch that thread fills, retires and polls many times over:
 * its memory is neither reused nor handed back to the cache (which would
 * poison it under ASan) until the reader leaves.
 */
START_TEST(port_batch_waits_for_readers)
{
	struct ipc_thread *th = ipc_thread_self();
	struct churn c = { .c_rounds = 8 * 16 + 5 };
	struct ipc_entry *e;
	pthread_t t;

	ck_assert_int_eq(mipc_space_create(&c.c_sp), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(c.c_sp, MACH_PORT_RIGHT_RECEIVE, &c.c_name),
	    KERN_SUCCESS);
	ipc_epoch_enter(th);
	e = ipc_entry_lookup(ipc_space_lookup(c.c_sp), c.c_name);
	ck_assert_ptr_nonnull(e);
	c.c_watched = ip_from_object(ipc_entry_load_object(e));
	ck_assert_int_eq(pthread_create(&t, NULL, churn_ports, &c), 0);
	churn_wait(&c);
	/* Dead, unreferenced, and still a port's memory. */
	ck_assert_int_eq(c.c_reused, 0);
	ck_assert_int_eq(c.c_watched->ip_object.io_kind, IOT_PORT);
	ck_assert_int_eq(ck_pr_load_32(&c.c_watched->ip_state), IP_DEAD);
	ck_assert_int_eq(ck_pr_load_32(&c.c_watched->ip_object.io_refs), 0);
	ck_assert_int_eq(c.c_retired, (8 * 16 + 5 + 1) % 16);
	ipc_epoch_exit(th);
	ck_pr_store_32(&c.c_go, 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(mipc_space_destroy(c.c_sp), KERN_SUCCESS);
}
END_TEST

/*
 * Ports waiting in a live thread's batch are dead: mipc_get_stats counts
 * them neither as live ports nor as pending frees, and the thread's exit
 * frees them.
 */
START_TEST(port_batch_of_live_thread_not_counted)
{
	struct churn c = { .c_rounds = 3 };
	struct mipc_stats st;
	pthread_t t;

	ck_assert_int_eq(mipc_space_create(&c.c_sp), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(c.c_sp, MACH_PORT_RIGHT_RECEIVE, &c.c_name),
	    KERN_SUCCESS);
	ck_assert_int_eq(pthread_create(&t, NULL, churn_ports, &c), 0);
	churn_wait(&c);
	ck_assert_int_eq(c.c_retired, 4);
	mipc_quiesce();
	st.size = sizeof(st);
	ck_assert_int_eq(mipc_get_stats(&st), KERN_SUCCESS);
	ck_assert_int_eq(st.ports, 0);
	ck_assert_int_eq(st.epoch_pending, 0);
	ck_pr_store_32(&c.c_go, 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(mipc_space_destroy(c.c_sp), KERN_SUCCESS);
}
END_TEST

/* The batch holds only bare ports: one that had a queue retires alone. */
START_TEST(port_with_queue_not_batched)
{
	struct ipc_thread *th = ipc_thread_self();
	mipc_space_t sp;
	mach_port_name_t n;
	uint32_t before;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
	ck_assert(ipc_mqueue_prepare(port_of(sp, n)));
	before = th->th_nretired;
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_int_eq(th->th_nretired, before);
	ck_assert_int_eq(
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_destroy(sp, n), KERN_SUCCESS);
	ck_assert_int_eq(th->th_nretired, (before + 1) % 16);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

static Suite *
thread_suite(void)
{
	Suite *s = suite_create("thread");
	TCase *tc = mipc_tcase("epoch");
	TCase *dies = tcase_create("aborts");

	tcase_set_timeout(tc, 120); /* 10 M retires under ASan */
	tcase_add_test(tc, thread_state_is_per_thread_and_stable);
	tcase_add_test(tc, epoch_sections_nest);
	tcase_add_test(tc, epoch_no_reclaim_inside_section);
	tcase_add_test(tc, epoch_quiesce_runs_pending);
	tcase_add_test(tc, epoch_garbage_bounded_over_10m_retires);
	tcase_add_test(tc, thread_exit_runs_its_pending_frees);
	tcase_add_test(tc, port_batch_waits_for_readers);
	tcase_add_test(tc, port_batch_of_live_thread_not_counted);
	tcase_add_test(tc, port_with_queue_not_batched);
	suite_add_tcase(s, tc);
	tcase_add_test_raise_signal(
	    dies, epoch_quiesce_inside_section_aborts, SIGABRT);
	suite_add_tcase(s, dies);
	return s;
}

MIPC_TEST_MAIN(thread_suite)
