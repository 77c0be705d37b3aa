/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rights.c -- benchmarks of the name and right paths (issue 3): port
 * allocate+destroy, insert_right MAKE_SEND + deallocate, and get_refs on a
 * hot name (the lock-free lookup) from one and two threads, each against
 * the baseline it is judged by, in the same run.
 *
 * Includes core/internal.h for the baseline's bare ck_epoch record: the
 * lookup target is "a ck_epoch_begin/end pair plus one array load".
 */
#include "gbench.h"

#include "internal.h"

#include <ck_epoch.h>
#include <pthread.h>
#include <stdlib.h>

/* ---- port allocate + destroy --------------------------------------- */

static void
bm_port_alloc_destroy(gb_state *st, void *arg)
{
	mipc_space_t sp;
	mach_port_name_t n;

	(void)arg;
	if (mipc_space_create(&sp) != KERN_SUCCESS) {
		gb_skip_with_error(st, "mipc_space_create failed");
		return;
	}
	GB_LOOP(st, i)
	{
		(void)i;
		mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n);
		mipc_port_destroy(sp, n);
	}
	mipc_space_destroy(sp);
	mipc_quiesce();
}

/* ---- insert_right MAKE_SEND + deallocate ---------------------------- */

static void
bm_insert_send_dealloc(gb_state *st, void *arg)
{
	mipc_space_t sp;
	mach_port_name_t n;

	(void)arg;
	if (mipc_space_create(&sp) != KERN_SUCCESS ||
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n) !=
	        KERN_SUCCESS) {
		gb_skip_with_error(st, "setup failed");
		return;
	}
	GB_LOOP(st, i)
	{
		(void)i;
		mipc_port_insert_right(sp, n, sp, n, MACH_MSG_TYPE_MAKE_SEND);
		mipc_port_deallocate(sp, n);
	}
	mipc_space_destroy(sp);
	mipc_quiesce();
}

/* ---- get_refs on a hot name ----------------------------------------- */

static mipc_space_t hot_space;
static mach_port_name_t hot_name;
static pthread_once_t hot_once = PTHREAD_ONCE_INIT;

static void
hot_init(void)
{
	if (mipc_space_create(&hot_space) != KERN_SUCCESS)
		abort();
	if (mipc_port_allocate(hot_space, MACH_PORT_RIGHT_RECEIVE, &hot_name) !=
	    KERN_SUCCESS)
		abort();
	if (mipc_port_insert_right(hot_space, hot_name, mipc_thread_space(),
	        hot_name, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
		/* mach_port_insert_right takes poly from the thread's space. */
		if (mipc_port_insert_right(hot_space, hot_name, hot_space,
		        hot_name, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
			abort();
	}
}

static void
bm_get_refs(gb_state *st, void *arg)
{
	mach_port_urefs_t refs = 0;

	(void)arg;
	pthread_once(&hot_once, hot_init);
	GB_LOOP(st, i)
	{
		(void)i;
		mipc_port_get_refs(
		    hot_space, hot_name, MACH_PORT_RIGHT_SEND, &refs);
		gb_do_not_optimize(&refs);
	}
	if (refs != 1)
		gb_skip_with_error(st, "get_refs returned the wrong count");
}

/* The baseline: a bare ck_epoch section around one array load. */
static ck_epoch_t base_epoch;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;
static uint64_t base_array[64];

static void
base_init(void)
{
	ck_epoch_init(&base_epoch);
}

static void
bm_epoch_array_load(gb_state *st, void *arg)
{
	ck_epoch_record_t *rec;
	uint64_t v = 0;
	volatile unsigned int idx = 17;

	(void)arg;
	pthread_once(&base_once, base_init);
	rec = aligned_alloc(64, (sizeof(*rec) + 63) & ~(size_t)63);
	ck_epoch_register(&base_epoch, rec, NULL);
	GB_LOOP(st, i)
	{
		(void)i;
		ck_epoch_begin(rec, NULL);
		v += ck_pr_load_64(&base_array[idx]);
		ck_epoch_end(rec, NULL);
	}
	gb_do_not_optimize(&v);
	ck_epoch_unregister(rec);
	/* Records stay on ck's list: not freed, recycled by nobody. */
}

void
bench_rights_register(void)
{
	static const struct gb_opts two = { .threads = 2, .real_time = false };

	gb_register(
	    "port_alloc_destroy/mipc", bm_port_alloc_destroy, NULL, NULL);
	gb_register(
	    "insert_send_dealloc/mipc", bm_insert_send_dealloc, NULL, NULL);
	gb_register("lookup/mipc_get_refs", bm_get_refs, NULL, NULL);
	gb_register("lookup/mipc_get_refs", bm_get_refs, NULL, &two);
	gb_register(
	    "lookup/ck_epoch_array_load", bm_epoch_array_load, NULL, NULL);
	gb_register(
	    "lookup/ck_epoch_array_load", bm_epoch_array_load, NULL, &two);
}
