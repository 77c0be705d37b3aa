/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cache.c -- tests of core/cache.c: per-CPU caches, sized allocations,
 * live counters, failure injection; of core/witness.c; and of the ASan
 * poisoning of memory kept for reuse (cached objects, vm.c's regions);
 * of the ports a thread keeps for its own reuse (port.c, "Kept ports").
 * The "no_pcpu" case (check_mipc.h) runs only without rseq, where the
 * caches fall back to their depots.
 *
 * Includes core/internal.h: the caches and the witness are internal.
 */
#include "check_mipc.h"

#include "internal.h"

#include "internal_helpers.h"

#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t
live(enum ipc_kind k)
{
	return ipc_kind_live(k);
}

START_TEST(cache_objects_distinct_and_counted)
{
	enum { N = 2000 };
	static unsigned char *objs[N];
	struct mipc_stats st;
	int i, j;

	for (i = 0; i < N; i++) {
		objs[i] = ipc_cache_alloc(IPC_KIND_PORT);
		MIPC_REQUIRE(objs[i] != NULL, "allocation %d", i);
		memset(objs[i], (unsigned char)i, IPC_PORT_SIZE);
	}
	mipc_get_stats(&st);
	ck_assert_msg(st.ports == N, "ports live = %llu, want %d",
	    (unsigned long long)st.ports, N);
	/* Every object intact: no two share memory. */
	for (i = 0; i < N; i++) {
		for (j = 0; j < IPC_PORT_SIZE; j++)
			MIPC_REQUIRE(objs[i][j] == (unsigned char)i,
			    "object %d byte %d", i, j);
	}
	/* The port cache holds its objects constructed (port.c). */
	for (i = 0; i < N; i++) {
		ipc_port_construct(objs[i]);
		ipc_cache_free(IPC_KIND_PORT, objs[i]);
	}
	ck_assert_int_eq(live(IPC_KIND_PORT), 0);
}
END_TEST

START_TEST(cache_every_cached_kind_round_trips)
{
	static const enum ipc_kind kinds[] = { IPC_KIND_PORT, IPC_KIND_PSET,
		IPC_KIND_KMSG_S, IPC_KIND_KMSG_M, IPC_KIND_KMSG_L };
	static const size_t sizes[] = { IPC_PORT_SIZE, IPC_PSET_SIZE,
		IPC_KMSG_S_SIZE, IPC_KMSG_M_SIZE, IPC_KMSG_L_SIZE };
	size_t k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		void *a = ipc_cache_alloc(kinds[k]);
		void *b = ipc_cache_alloc(kinds[k]);

		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_ne(a, b);
		/* The whole object is ours (ASan checks the bounds). */
		memset(a, 0xa5, sizes[k]);
		memset(b, 0x5a, sizes[k]);
		ck_assert_int_eq(live(kinds[k]), 2);
		ipc_cache_free(kinds[k], a);
		ipc_cache_free(kinds[k], b);
		ck_assert_msg(live(kinds[k]) == 0, "%s still live",
		    ipc_kind_name(kinds[k]));
	}
}
END_TEST

START_TEST(cache_reuses_freed_objects)
{
	void *a = ipc_cache_alloc(IPC_KIND_PSET), *b;

	ipc_cache_free(IPC_KIND_PSET, a);
	b = ipc_cache_alloc(IPC_KIND_PSET);
	/* LIFO per CPU: the object just freed comes back first. */
	ck_assert_ptr_eq(a, b);
	ipc_cache_free(IPC_KIND_PSET, b);
}
END_TEST

START_TEST(cache_pcpu_round_trip_stays_on_the_inline_fast_path)
{
	static const enum ipc_kind kinds[] = { IPC_KIND_PORT, IPC_KIND_PSET,
		IPC_KIND_KMSG_S, IPC_KIND_KMSG_M, IPC_KIND_KMSG_L };
	size_t k;

	/*
	 * With per-CPU sections, a free followed by an allocation on the
	 * same CPU is one push and one pop in the caller (cache.h): no
	 * refill, no drain, nothing counted as a slow entry, and the object
	 * freed comes back.  A migration between the two may take the slow
	 * path once, so each kind gets a few tries; a fast path that always
	 * fell back (or lost the object) fails every one.
	 */
	ck_assert(arch_pcpu_available());
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		bool fast = false;
		int tries;

		for (tries = 0; tries < 100 && !fast; tries++) {
			void *a = ipc_cache_alloc(kinds[k]), *b;
			uint64_t before;

			ck_assert_ptr_nonnull(a);
			before = ipc_slow_entries;
			ipc_cache_free(kinds[k], a);
			b = ipc_cache_alloc(kinds[k]);
			ck_assert_ptr_nonnull(b);
			fast = ipc_slow_entries == before && a == b;
			/* The whole object is the caller's (ASan: bounds). */
			memset(b, 0x3c, ipc_cache_size(kinds[k]));
			ipc_cache_free(kinds[k], b);
		}
		ck_assert_msg(fast,
		    "%s: free+alloc never stayed on the fast path",
		    ipc_kind_name(kinds[k]));
		ck_assert_int_eq(live(kinds[k]), 0);
	}
}
END_TEST

START_TEST(cache_use_after_free_caught_at_the_last_byte)
{
	volatile unsigned char *p = ipc_cache_alloc(IPC_KIND_KMSG_L);

	ck_assert_ptr_nonnull((void *)p);
	ipc_cache_free(IPC_KIND_KMSG_L, (void *)p);
	/* The inline free poisons the whole object, not a prefix. */
	(void)p[IPC_KMSG_L_SIZE - 1];
}
END_TEST

START_TEST(cache_without_pcpu_goes_through_the_depot)
{
	void *a, *b;
	uint64_t before;

	/*
	 * No per-CPU sections (the runner turned rseq off): every free and
	 * every allocation of a cached kind takes the depot, under its lock,
	 * and the depot hands back the object freed last.
	 */
	ck_assert(!arch_pcpu_available());
	a = ipc_cache_alloc(IPC_KIND_PSET);
	ck_assert_ptr_nonnull(a);
	before = ipc_slow_entries;
	ipc_cache_free(IPC_KIND_PSET, a);
	ck_assert_msg(ipc_slow_entries > before, "a free skipped the depot");
	before = ipc_slow_entries;
	b = ipc_cache_alloc(IPC_KIND_PSET);
	ck_assert_msg(
	    ipc_slow_entries > before, "an allocation skipped the depot");
	ck_assert_ptr_eq(a, b);
	ipc_cache_free(IPC_KIND_PSET, b);
	ck_assert_int_eq(live(IPC_KIND_PSET), 0);
}
END_TEST

START_TEST(cache_burst_beyond_depot_returns_to_zero)
{
	enum { N = 20000 }; /* > per-CPU stacks + IPC_DEPOT_MAX */
	void **v = malloc(N * sizeof(*v));
	int i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < N; i++) {
		v[i] = ipc_cache_alloc(IPC_KIND_KMSG_S);
		MIPC_REQUIRE(v[i] != NULL, "allocation %d", i);
	}
	ck_assert_int_eq(live(IPC_KIND_KMSG_S), N);
	for (i = 0; i < N; i++)
		ipc_cache_free(IPC_KIND_KMSG_S, v[i]);
	ck_assert_int_eq(live(IPC_KIND_KMSG_S), 0);
	free(v);
}
END_TEST

START_TEST(cache_use_after_free_is_caught)
{
	volatile unsigned char *p = ipc_cache_alloc(IPC_KIND_PORT);

	ipc_cache_free(IPC_KIND_PORT, (void *)p);
	/* Cached objects are poisoned: ASan must stop this read. */
	(void)p[8];
}
END_TEST

START_TEST(vm_kept_region_use_after_release_is_caught)
{
	vm_address_t a = 0;
	volatile unsigned char *p;

	ck_assert_int_eq(
	    mipc_vm_allocate(mipc_thread_space(), &a, 100, VM_FLAGS_ANYWHERE),
	    KERN_SUCCESS);
	p = (volatile unsigned char *)a;
	ck_assert_int_eq(
	    mipc_vm_deallocate(mipc_thread_space(), a, 100), KERN_SUCCESS);
	/* vm.c keeps the pages for reuse, poisoned: ASan must stop this. */
	(void)p[8];
}
END_TEST

START_TEST(sized_alloc_counts_bytes_and_objects)
{
	struct mipc_stats st;
	void *t = ipc_alloc(IPC_KIND_TABLE, 4096);
	void *o = ipc_zalloc(IPC_KIND_OOL, 1000);
	size_t i;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(o);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(((unsigned char *)o)[i], 0);
	mipc_get_stats(&st);
	ck_assert_int_eq(st.tables, 1);
	ck_assert_int_eq(st.ool_bytes, 1000);
	ck_assert_int_eq(live(IPC_KIND_TABLE), 4096);
	ipc_free(IPC_KIND_TABLE, t, 4096);
	ipc_free(IPC_KIND_OOL, o, 1000);
	mipc_get_stats(&st);
	ck_assert_int_eq(st.tables, 0);
	ck_assert_int_eq(st.ool_bytes, 0);
	ck_assert_ptr_null(ipc_alloc(IPC_KIND_MISC, 0));
}
END_TEST

START_TEST(fail_nth_fails_exactly_that_allocation)
{
	void *p[4];
	int i;

	ipc_fail_nth(IPC_KIND_PORT, 3);
	for (i = 0; i < 4; i++)
		p[i] = ipc_cache_alloc(IPC_KIND_PORT);
	ck_assert_ptr_nonnull(p[0]);
	ck_assert_ptr_nonnull(p[1]);
	ck_assert_ptr_null(p[2]);
	ck_assert_ptr_nonnull(p[3]);
	/* A failed allocation is not counted live. */
	ck_assert_int_eq(live(IPC_KIND_PORT), 3);
	ipc_cache_free(IPC_KIND_PORT, p[0]);
	ipc_cache_free(IPC_KIND_PORT, p[1]);
	ipc_cache_free(IPC_KIND_PORT, p[3]);
}
END_TEST

START_TEST(fail_nth_other_kinds_unaffected)
{
	void *a, *b;

	ipc_fail_nth(IPC_KIND_PSET, 1);
	a = ipc_cache_alloc(IPC_KIND_PORT);
	ck_assert_ptr_nonnull(a);
	b = ipc_alloc(IPC_KIND_TABLE, 64);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(ipc_cache_alloc(IPC_KIND_PSET));
	ipc_cache_free(IPC_KIND_PORT, a);
	ipc_free(IPC_KIND_TABLE, b, 64);
}
END_TEST

START_TEST(fail_nth_any_kind_and_count)
{
	uint64_t before = ipc_alloc_count(IPC_KIND_ANY);
	void *a, *b;

	ipc_fail_nth(IPC_KIND_ANY, 2);
	a = ipc_alloc(IPC_KIND_TABLE, 64);
	b = ipc_cache_alloc(IPC_KIND_PORT);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(ipc_alloc_count(IPC_KIND_ANY) - before, 2);
	/* Disarmed after firing once. */
	b = ipc_cache_alloc(IPC_KIND_PORT);
	ck_assert_ptr_nonnull(b);
	ipc_free(IPC_KIND_TABLE, a, 64);
	ipc_cache_free(IPC_KIND_PORT, b);
}
END_TEST

START_TEST(fail_nth_zero_disarms)
{
	void *a;

	ipc_fail_nth(IPC_KIND_PORT, 1);
	ipc_fail_nth(IPC_KIND_PORT, 0);
	a = ipc_cache_alloc(IPC_KIND_PORT);
	ck_assert_ptr_nonnull(a);
	ipc_cache_free(IPC_KIND_PORT, a);
}
END_TEST

static const ipc_lock_t *hook_held, *hook_taking;

static void
record_hook(const ipc_lock_t *held, const ipc_lock_t *taking)
{
	hook_held = held;
	hook_taking = taking;
}

START_TEST(witness_catches_rank_inversion)
{
	ipc_lock_t port, space;

	ipc_lock_init(&port, IPC_RANK_PORT, "port");
	ipc_lock_init(&space, IPC_RANK_SPACE, "space");
	ipc_witness_hook = record_hook;

	ipc_lock(&space);
	ipc_lock(&port); /* increasing: fine */
	ck_assert_ptr_null(hook_taking);
	ipc_unlock(&port);
	ipc_unlock(&space);

	ipc_lock(&port);
	ipc_lock(&space); /* inversion */
	ck_assert_ptr_eq(hook_held, &port);
	ck_assert_ptr_eq(hook_taking, &space);
	ck_assert(ipc_witness_held(&space));
	ipc_unlock(&space);
	ipc_unlock(&port);
	ck_assert(!ipc_witness_held(&port));
}
END_TEST

START_TEST(witness_default_inversion_aborts)
{
	ipc_lock_t port, space;

	ipc_lock_init(&port, IPC_RANK_PORT, "port");
	ipc_lock_init(&space, IPC_RANK_SPACE, "space");
	ipc_lock(&port);
	ipc_lock(&space);
}
END_TEST

START_TEST(require_failure_aborts)
{
	ipc_require(live(IPC_KIND_PORT) == 12345, "a deliberately false claim");
}
END_TEST

START_TEST(unlock_not_held_aborts)
{
	ipc_lock_t l;

	ipc_lock_init(&l, IPC_RANK_PORT, "never taken");
	ipc_unlock(&l);
}
END_TEST

/*
 * Kept ports (port.c): a thread reuses the ports it freed, without the
 * cache; they count as neither live nor cached; they go back to the
 * cache when the thread exits; a forked child abandons them.
 */
static mach_port_name_t
kept_cycle(mipc_space_t sp, int n)
{
	mach_port_name_t name = MACH_PORT_NULL;
	int i;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &name),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(sp, name), KERN_SUCCESS);
	}
	mipc_quiesce(); /* the batch through its grace period */
	return name;
}

/* Live ports per the cache, less this thread's dead and kept ones. */
static uint64_t
ports_out(void)
{
	struct ipc_thread *th = ipc_thread_self();

	return live(IPC_KIND_PORT) - th->th_nretired - th->th_nkept;
}

START_TEST(kept_ports_reused_by_their_thread)
{
	struct ipc_thread *th = ipc_thread_self();
	mipc_space_t sp;
	mach_port_name_t name;
	struct ipc_port *kept;
	uint64_t out, before;
	struct mipc_stats st;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	(void)kept_cycle(sp, 40);
	ck_assert_uint_gt(th->th_nkept, 0);
	ck_assert_uint_le(th->th_nkept, 32);
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.ports, 0); /* kept: not live */
	out = ports_out();
	kept = th->th_kept;
	before = th->th_nkept;
	ck_assert_int_eq(mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &name),
	    KERN_SUCCESS);
	/* The first kept port, off the list; the cache not asked. */
	ck_assert_ptr_eq(port_of(sp, name), kept);
	ck_assert_uint_eq(th->th_nkept, before - 1);
	ck_assert_uint_eq(ports_out(), out + 1);
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.ports, 1);
	ck_assert_int_eq(mipc_port_destroy(sp, name), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

static void *
kept_thread(void *arg)
{
	mipc_space_t sp = arg;

	(void)kept_cycle(sp, 40);
	ck_assert_uint_gt(ipc_thread_self()->th_nkept, 0);
	return NULL;
}

/* This thread's kept list, walked: its length; each port on it is one of
 * ports[0..n) (if n) and is there once. */
static uint32_t
kept_walk(struct ipc_port *const *ports, int n)
{
	struct ipc_port *p;
	uint32_t len = 0;
	int i, hits;

	for (p = ipc_thread_self()->th_kept; p != NULL;
	     p = p->ip_retired_next) {
		ck_assert_uint_le(++len, 32);
		for (hits = 0, i = 0; i < n; i++)
			hits += ports[i] == p;
		ck_assert_int_eq(hits, n > 0 ? 1 : 0);
	}
	return len;
}

/*
 * A batch of bare ports joins its freeing thread's kept ports whole when
 * they all fit (port_free_batch): every port of the batch, each once, the
 * count right; when they do not, the list fills up to its bound and the
 * rest go back to the cache, none lost.  A bad join (its tail's link)
 * loses ports or links one twice.
 */
START_TEST(kept_ports_take_a_whole_batch)
{
	struct ipc_thread *th = ipc_thread_self();
	mach_port_name_t names[40];
	struct ipc_port *ports[40];
	mipc_space_t sp;
	uint64_t out;
	int i;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	mipc_quiesce();
	/* Empty the kept list first: ports allocated stay out. */
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &names[i]),
		    KERN_SUCCESS);
		ports[i] = port_of(sp, names[i]);
	}
	ck_assert_uint_eq(th->th_nkept, 0);
	ck_assert_uint_eq(th->th_nretired, 0);
	/* One batch (16) through its grace period: all kept, whole. */
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(mipc_port_destroy(sp, names[i]), KERN_SUCCESS);
	ck_assert_uint_eq(th->th_nretired, 0); /* the 16th flushed it */
	mipc_quiesce();
	ck_assert_uint_eq(th->th_nkept, 16);
	ck_assert_uint_eq(kept_walk(ports, 16), 16);
	/* Another: 32 kept, the list the two batches. */
	for (i = 16; i < 32; i++)
		ck_assert_int_eq(mipc_port_destroy(sp, names[i]), KERN_SUCCESS);
	mipc_quiesce();
	ck_assert_uint_eq(th->th_nkept, 32);
	ck_assert_uint_eq(kept_walk(ports, 32), 32);
	/* A batch that does not fit: to the cache, port by port. */
	out = ports_out();
	for (i = 32; i < 40; i++)
		ck_assert_int_eq(mipc_port_destroy(sp, names[i]), KERN_SUCCESS);
	ck_assert_uint_eq(th->th_nretired, 8);
	mipc_quiesce(); /* the batch of 8, flushed */
	ck_assert_uint_eq(th->th_nkept, 32);
	ck_assert_uint_eq(kept_walk(ports, 32), 32); /* the same 32 */
	ck_assert_uint_eq(ports_out(), out - 8);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

START_TEST(kept_ports_back_to_the_cache_at_thread_exit)
{
	mipc_space_t sp;
	pthread_t t;
	uint64_t out;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	mipc_quiesce();
	out = ports_out();
	ck_assert_int_eq(pthread_create(&t, NULL, kept_thread, sp), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	/* The thread's kept ports are cached again, not out. */
	ck_assert_uint_eq(ports_out(), out);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

START_TEST(kept_ports_abandoned_by_a_forked_child)
{
	mach_port_name_t name;
	mipc_space_t sp;
	pid_t pid;
	int status, i;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	(void)kept_cycle(sp, 40);
	for (i = 0; i < 3; i++) { /* three dead ports in the batch */
		ck_assert_int_eq(
		    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &name),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(sp, name), KERN_SUCCESS);
	}
	ck_assert_uint_gt(ipc_thread_self()->th_nkept, 0);
	ck_assert_uint_eq(ipc_thread_self()->th_nretired, 3);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ipc_thread *th = ipc_thread_self();
		struct mipc_stats st;
		mipc_space_t csp;

		/* The parent's ports: neither kept, retired nor counted. */
		if (th->th_nkept != 0 || th->th_kept != NULL ||
		    th->th_nretired != 0 || th->th_retired != NULL)
			_exit(2);
		if (mipc_space_create(&csp) != KERN_SUCCESS ||
		    mipc_port_allocate(csp, MACH_PORT_RIGHT_RECEIVE, &name) !=
		        KERN_SUCCESS)
			_exit(3);
		mipc_get_stats(&st);
		if (st.ports != 1)
			_exit(4);
		if (mipc_port_destroy(csp, name) != KERN_SUCCESS)
			_exit(5);
		mipc_quiesce();
		mipc_get_stats(&st);
		if (st.ports != 0)
			_exit(6);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = mipc_tcase("cache");
	TCase *dies = tcase_create("aborts");

	tcase_add_test(tc, cache_objects_distinct_and_counted);
	tcase_add_test(tc, cache_every_cached_kind_round_trips);
	tcase_add_test(tc, cache_reuses_freed_objects);
	tcase_add_test(tc, cache_burst_beyond_depot_returns_to_zero);
	tcase_add_test(tc, sized_alloc_counts_bytes_and_objects);
	tcase_add_test(tc, fail_nth_fails_exactly_that_allocation);
	tcase_add_test(tc, fail_nth_other_kinds_unaffected);
	tcase_add_test(tc, fail_nth_any_kind_and_count);
	tcase_add_test(tc, fail_nth_zero_disarms);
	tcase_add_test(tc, witness_catches_rank_inversion);
	tcase_add_test(tc, kept_ports_reused_by_their_thread);
	tcase_add_test(tc, kept_ports_take_a_whole_batch);
	tcase_add_test(tc, kept_ports_back_to_the_cache_at_thread_exit);
	tcase_add_test(tc, kept_ports_abandoned_by_a_forked_child);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("cache_pcpu");
	tcase_set_tags(tc, "pcpu");
	tcase_add_test(tc, cache_pcpu_round_trip_stays_on_the_inline_fast_path);
	suite_add_tcase(s, tc);

	tc = mipc_tcase("cache_no_pcpu");
	tcase_set_tags(tc, "no_pcpu");
	tcase_add_test(tc, cache_without_pcpu_goes_through_the_depot);
	suite_add_tcase(s, tc);

	/* ASan reports the use after free and exits with status 1. */
	if (MIPC_ASAN)
		tcase_add_exit_test(dies, cache_use_after_free_is_caught, 1);
	if (MIPC_ASAN)
		tcase_add_exit_test(
		    dies, cache_use_after_free_caught_at_the_last_byte, 1);
	if (MIPC_ASAN)
		tcase_add_exit_test(
		    dies, vm_kept_region_use_after_release_is_caught, 1);
	tcase_add_test_raise_signal(
	    dies, witness_default_inversion_aborts, SIGABRT);
	tcase_add_test_raise_signal(dies, require_failure_aborts, SIGABRT);
	tcase_add_test_raise_signal(dies, unlock_not_held_aborts, SIGABRT);
	suite_add_tcase(s, dies);
	return s;
}

MIPC_TEST_MAIN(cache_suite)
