/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * base.c -- foundation baselines: the mechanisms every mipc fast path is
 * built from, each beside the peer a reader would compare it with.
 *
 * Owns:      alloc_free/... mipc's per-CPU object cache vs jemalloc
 *                           (plain and sized) and glibc, 256-byte objects;
 *            epoch/...      a mipc read section vs a bare ck_epoch one;
 *            pingpong/...   cross-core round trips over two ck_ring SPSC
 *                           or MPMC rings, and over one spinning cache
 *                           line (the hardware floor for a handoff).
 * Choices:   * We include core/internal.h: these cases measure internal
 *              mechanisms (the object cache, epoch sections) that have no
 *              public API.
 *            * jemalloc is called as malloc/free, as an application would.
 *              The binary links -ljemalloc, which normally interposes
 *              glibc's malloc; each run first proves it with jemalloc's
 *              per-thread byte counter (thread.allocatedp) and skips
 *              otherwise.  glibc is reached through __libc_malloc and
 *              __libc_free, which no interposer replaces.
 *            * Ping-pong cases measure latency: one round trip per
 *              iteration, in real time, between the benchmark thread and a
 *              partner pthread pinned to another CPU.  The partner is
 *              started before the timed loop and joined after it (team.c:
 *              ranks 0 and 1 of our affinity mask; on the 2-CPU runner
 *              they are two cores, hence "(cross core)").
 *            * Spinning waits with ck_pr_stall() (pause), as a real
 *              spinning consumer would.
 */
#include "internal.h" /* benchmarks of internal mechanisms, see above */

#include "gbench.h"
#include "team.h"

#include <ck_epoch.h>
#include <ck_pr.h>
#include <ck_ring.h>
#include <jemalloc/jemalloc.h>

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

/* glibc's own allocator, exported under these names whoever owns malloc. */
void *__libc_malloc(size_t size);
void __libc_free(void *p);

#define OBJ_SIZE IPC_PORT_SIZE /* every alloc_free case: 256 bytes */

/* ------------------------------------------------------------------ */
/* alloc_free                                                          */

static void
bm_alloc_mipc_cache(gb_state *st, void *arg)
{
	(void)arg;
	GB_LOOP(st, i)
	{
		void *p = ipc_cache_alloc(IPC_KIND_PORT);

		if (unlikely(p == NULL)) {
			gb_skip_with_error(st, "ipc_cache_alloc: no memory");
			break;
		}
		gb_do_not_optimize(p);
		ipc_cache_free(IPC_KIND_PORT, p);
	}
}

/*
 * Does malloc reach jemalloc?  jemalloc counts the bytes each thread
 * allocates; a malloc that does not move the counter is someone else's.
 */
static bool
malloc_is_jemalloc(void)
{
	uint64_t *allocated, before, after;
	size_t sz = sizeof(allocated);
	void *p;

	if (mallctl("thread.allocatedp", &allocated, &sz, NULL, 0) != 0)
		return false;
	before = *allocated;
	p = malloc(OBJ_SIZE);
	gb_do_not_optimize(p); /* also: reread *allocated below */
	after = *allocated;
	free(p);
	return p != NULL && after - before >= OBJ_SIZE;
}

static void
bm_alloc_jemalloc(gb_state *st, void *arg)
{
	(void)arg;
	if (!malloc_is_jemalloc()) {
		gb_skip_with_error(st, "malloc is not jemalloc's");
		return;
	}
	GB_LOOP(st, i)
	{
		void *p = malloc(OBJ_SIZE);

		if (unlikely(p == NULL)) {
			gb_skip_with_error(st, "malloc: out of memory");
			break;
		}
		gb_do_not_optimize(p);
		free(p);
	}
	gb_counter(st, "cpu", (double)sched_getcpu()); /* where it ran, last */
}

static void
bm_alloc_jemalloc_sized(gb_state *st, void *arg)
{
	(void)arg;
	GB_LOOP(st, i)
	{
		void *p = mallocx(OBJ_SIZE, 0);

		if (unlikely(p == NULL)) {
			gb_skip_with_error(st, "mallocx: out of memory");
			break;
		}
		gb_do_not_optimize(p);
		sdallocx(p, OBJ_SIZE, 0);
	}
}

static void
bm_alloc_glibc(gb_state *st, void *arg)
{
	(void)arg;
	GB_LOOP(st, i)
	{
		void *p = __libc_malloc(OBJ_SIZE);

		if (unlikely(p == NULL)) {
			gb_skip_with_error(st, "__libc_malloc: out of memory");
			break;
		}
		gb_do_not_optimize(p);
		__libc_free(p);
	}
}

/* ------------------------------------------------------------------ */
/* epoch                                                               */

static ck_epoch_t bench_epoch;
static ck_epoch_record_t bench_record; /* registered by the main thread */

/* What every mipc call pays: find our thread state, open, close. */
static void
bm_epoch_mipc_section(gb_state *st, void *arg)
{
	(void)arg;
	if (ipc_thread_self() == NULL) {
		gb_skip_with_error(st, "ipc_thread_self: out of memory");
		return;
	}
	GB_LOOP(st, i)
	{
		struct ipc_thread *th = ipc_thread_self();

		ipc_epoch_enter(th);
		ipc_epoch_exit(th);
	}
}

static void
bm_epoch_ck_bare(gb_state *st, void *arg)
{
	(void)arg;
	GB_LOOP(st, i)
	{
		ck_epoch_begin(&bench_record, NULL);
		ck_epoch_end(&bench_record, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* pingpong: a partner thread on the other CPU                         */

/*
 * Pin the calling thread to the first CPU of its mask and start fn(arg)
 * pinned to the second (team.c).  Returns NULL, or why it could not.
 */
static const char *
partner_start(struct team *t, void *(*fn)(void *), void *arg)
{
	const char *err = team_pin_self(t);

	if (err == NULL &&
	    (err = team_start(t, TEAM_CROSS_CORE, fn, arg)) != NULL)
		team_join(t); /* restores our affinity */
	return err;
}

/* ck_ring: ping carries i + 1 to the partner, pong brings it back. */
#define RING_SLOTS 64 /* power of two; one entry is ever in flight */
#define PP_STOP    ((void *)~(uintptr_t)0)

struct ring_pp {
	ck_ring_t rp_ping IPC_CACHE_ALIGNED;
	ck_ring_t rp_pong IPC_CACHE_ALIGNED;
	ck_ring_buffer_t rp_ping_buf[RING_SLOTS] IPC_CACHE_ALIGNED;
	ck_ring_buffer_t rp_pong_buf[RING_SLOTS] IPC_CACHE_ALIGNED;
	bool rp_mpmc; /* (C) which ck_ring flavour */
};

static struct ring_pp ring_spsc = { .rp_mpmc = false };
static struct ring_pp ring_mpmc = { .rp_mpmc = true };

/* The ring's own fences order the entries; we only spin. */
static inline void
ring_put(ck_ring_t *ring, ck_ring_buffer_t *buf, void *v, bool mpmc)
{
	while (!(mpmc ? ck_ring_enqueue_mpmc(ring, buf, v)
	              : ck_ring_enqueue_spsc(ring, buf, v)))
		ck_pr_stall();
}

static inline void *
ring_get(ck_ring_t *ring, ck_ring_buffer_t *buf, bool mpmc)
{
	void *v;

	while (!(mpmc ? ck_ring_dequeue_mpmc(ring, buf, &v)
	              : ck_ring_dequeue_spsc(ring, buf, &v)))
		ck_pr_stall();
	return v;
}

static void *
ring_partner(void *arg)
{
	struct ring_pp *r = arg;
	const bool mpmc = r->rp_mpmc;
	void *v;

	while ((v = ring_get(&r->rp_ping, r->rp_ping_buf, mpmc)) != PP_STOP)
		ring_put(&r->rp_pong, r->rp_pong_buf, v, mpmc);
	return NULL;
}

static void
bm_pingpong_ring(gb_state *st, void *arg)
{
	struct ring_pp *r = arg;
	const bool mpmc = r->rp_mpmc;
	struct team pt;
	struct team_cs cs;
	const char *err;

	ck_ring_init(&r->rp_ping, RING_SLOTS);
	ck_ring_init(&r->rp_pong, RING_SLOTS);
	if ((err = partner_start(&pt, ring_partner, r)) != NULL) {
		gb_skip_with_error(st, err);
		return;
	}
	team_cs_begin(&cs);
	GB_LOOP(st, i)
	{
		void *out = (void *)(uintptr_t)(i + 1);

		ring_put(&r->rp_ping, r->rp_ping_buf, out, mpmc);
		if (unlikely(
		        ring_get(&r->rp_pong, r->rp_pong_buf, mpmc) != out)) {
			gb_skip_with_error(st, "pong carried the wrong value");
			break;
		}
	}
	team_cs_end(&cs);
	gb_cs_counters(st, cs.cs_vol, cs.cs_invol, cs.cs_partner_vol,
	    cs.cs_partner_invol, gb_max_iterations(st));
	ring_put(&r->rp_ping, r->rp_ping_buf, PP_STOP, mpmc);
	team_join(&pt);
}

/*
 * One cache line: we store an odd value 2i + 1, the partner answers
 * 2i + 2.  Relaxed loads and stores are enough: the word carries no data,
 * each side only waits for the other's next value.
 */
#define SPIN_STOP UINT64_MAX /* odd, never reached by 2i + 1 */

static struct spin_line {
	uint64_t sl_word; /* (A) relaxed; alone on its line */
} spin_line IPC_CACHE_ALIGNED;

static void *
spin_partner(void *arg)
{
	uint64_t *w = arg, want = 1, v;

	for (;;) {
		while ((v = ck_pr_load_64(w)) != want && v != SPIN_STOP)
			ck_pr_stall();
		if (v == SPIN_STOP)
			return NULL;
		ck_pr_store_64(w, want + 1);
		want += 2;
	}
}

static void
bm_pingpong_spin(gb_state *st, void *arg)
{
	uint64_t *w = &spin_line.sl_word;
	struct team pt;
	const char *err;

	(void)arg;
	ck_pr_store_64(w, 0); /* the partner is not running yet */
	if ((err = partner_start(&pt, spin_partner, w)) != NULL) {
		gb_skip_with_error(st, err);
		return;
	}
	GB_LOOP(st, i)
	{
		ck_pr_store_64(w, 2 * i + 1);
		while (ck_pr_load_64(w) != 2 * i + 2)
			ck_pr_stall();
	}
	ck_pr_store_64(w, SPIN_STOP);
	team_join(&pt);
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

void
bench_base_register(void)
{
	static const struct gb_opts latency = { .real_time = true };

	gb_register("alloc_free/mipc_cache", bm_alloc_mipc_cache, NULL, NULL);
	gb_register("alloc_free/jemalloc", bm_alloc_jemalloc, NULL, NULL);
	gb_register(
	    "alloc_free/jemalloc_sized", bm_alloc_jemalloc_sized, NULL, NULL);
	gb_register("alloc_free/glibc", bm_alloc_glibc, NULL, NULL);

	ck_epoch_init(&bench_epoch);
	ck_epoch_register(&bench_epoch, &bench_record, NULL);
	gb_register("epoch/mipc_section", bm_epoch_mipc_section, NULL, NULL);
	gb_register("epoch/ck_bare", bm_epoch_ck_bare, NULL, NULL);

	gb_register("pingpong/ck_ring_spsc (cross core)", bm_pingpong_ring,
	    &ring_spsc, &latency);
	gb_register("pingpong/ck_ring_mpmc (cross core)", bm_pingpong_ring,
	    &ring_mpmc, &latency);
	gb_register("pingpong/atomic_spin (cross core)", bm_pingpong_spin, NULL,
	    &latency);
}
