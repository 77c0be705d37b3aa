/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * turnstile.c -- priority inheritance: XNU's turnstiles in user space.
 * A thread that blocks donates its turnstile to what it blocks on; the
 * waiters' priorities push on the turnstile's inheritor (a thread, or
 * another turnstile), and the push propagates hop by hop along chains of
 * blocked threads.
 *
 * Owns:      every struct ipc_turnstile, the priority lists, each thread's
 *            promotion, the propagation walk and its counters, the OS
 *            priority policy and its application.
 * Locking:   ranks, acquired in this order (lock.h):
 *              interlock  the primitive's lock: a port (IPC_RANK_PORT) or a
 *                         workloop (IPC_RANK_WORKLOOP); it covers which
 *                         turnstile the primitive has, its donors, and the
 *                         choice of inheritor;
 *              ts_lock    IPC_RANK_TURNSTILE: the turnstile's lists,
 *                         priority and inheritor;
 *              then at most ONE more: the inheritor's ts_lock (the same
 *                         rank, taken with ipc_lock_hop: "ours, then the
 *                         inheritor's", as XNU's turnstile.h states), or
 *                         the inheritor thread's th_lock (IPC_RANK_THREAD).
 *            A walk never holds an interlock and never more than two
 *            locks.  The one hop against this order, from a thread to the
 *            turnstile it waits on, uses a try-lock; when that fails the
 *            walker drops the thread, takes both in order and checks that
 *            the thread still waits there with the same generation (XNU's
 *            waitq_lock_reserve + gencount; Linux rtmutex's step [5]).
 * Ordering:  locks only; priorities read without a lock (introspection)
 *            are relaxed snapshots.
 * Lifetime:  turnstiles and threads are reference counted: an inheritor
 *            link holds a reference on what it points to, a collected walk
 *            on where it starts, a walker on the turnstile it is about to
 *            lock.  A thread owns one turnstile from creation to exit; a
 *            port's send turnstile used by non-waiters (links, ports in
 *            transit) is allocated for them and freed when the last goes.
 * Choices:   * A push is the waiter's effective priority (XNU pushes
 *              base_pri, which includes promotions), so chains are
 *              transitive.  A thread's promotion is its highest push,
 *              capped at 63 (MAXPRI_USER) unless the turnstile that
 *              pushes allows more (workloops with INHERIT_RT).
 *            * Walks stop when a node's priority does not change, after
 *              10 thread hops (XNU's turnstile_max_hop) or 64 hops in all.
 *              A user-level deadlock (a cycle through threads) therefore
 *              ends the walk instead of hanging it.
 *            * The priority lists are sorted linked lists: waiters per
 *              turnstile and pushes per thread are few.
 *            * The OS policy (os_apply) gives each thread its effective
 *              priority after the walk, coalescing concurrent appliers;
 *              a thread lowering itself does it outside their busy
 *              flag, and a thread may hold its OS priority from falling
 *              (ipc_thread_os_hold: a workloop servicer from a delivery
 *              until it parks, workloop.c) -- the engine's priorities
 *              are never held.
 *
 * Theory of operation
 *
 *   State changes (a waiter added or removed, an inheritor changed) are
 *   made under the primitive's interlock and the turnstile's lock; the
 *   priorities they change are then walked after every interlock is
 *   dropped (ipc_ts_ctx_finish), as XNU's _complete/cleanup do.  A walk:
 *
 *     [R] node = where the change happened (a turnstile or a thread)
 *     [P1] turnstile T, locked: pri = max(first waiter, first pushing
 *          turnstile).  Unchanged: stop.  No
 *          inheritor: stop.  Lock the inheritor I (hop), requeue T's node
 *          in I's queue at pri (capped for a thread), unlock T, node = I.
 *     [P2] thread H, locked: promotion = first pushing node,
 *          effective = max(base, promotion).  Unchanged: stop.  Note H for
 *          the OS.  Thread hops > limit: stop.  H waits on nothing: stop.
 *          Else W = H's turnstile: try-lock W (else the reserve dance
 *          above), requeue H's waiter node at effective, unlock H,
 *          node = W, go to [P1].
 *     [L] unlock the last node; drop references; apply the OS priority.
 *
 *   A walk that races another change sees either state: each change
 *   walks itself, and the last walker of a node recomputes it from its
 *   lists, so the final priorities equal the maxima over the final
 *   graph (within the hop limits).
 */
#include "turnstile.h"

#include "cache.h"
#include "lock.h"
#include "thread.h"

#include <ck_pr.h>
#include <errno.h>
#include <mipc/sync.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TS_MAX_THREAD_HOPS 10 /* XNU's TURNSTILE_MAX_HOP_DEFAULT */
#define TS_MAX_HOPS        64 /* a safety bound on any walk */

static struct ipc_ts_stats ts_stats; /* (A) */

/* ------------------------------------------------------------------ */
/* Priority lists                                                      */

void
ipc_plist_insert(struct ipc_plist *l, struct ipc_plist_node *n, uint8_t pri)
{
	struct ipc_plist_node **pp = &l->pl_head, *prev = NULL;

	ipc_require(!n->pn_linked, "a node is on one list at a time");
	/* After every node of higher or equal priority: FIFO among equals. */
	while (*pp != NULL && (*pp)->pn_pri >= pri) {
		prev = *pp;
		pp = &(*pp)->pn_next;
	}
	n->pn_pri = pri;
	n->pn_next = *pp;
	n->pn_prev = prev;
	if (*pp != NULL)
		(*pp)->pn_prev = n;
	*pp = n;
	n->pn_linked = true;
}

void
ipc_plist_remove(struct ipc_plist *l, struct ipc_plist_node *n)
{
	ipc_require(n->pn_linked, "removing a linked node");
	if (n->pn_prev != NULL)
		n->pn_prev->pn_next = n->pn_next;
	else
		l->pl_head = n->pn_next;
	if (n->pn_next != NULL)
		n->pn_next->pn_prev = n->pn_prev;
	n->pn_next = n->pn_prev = NULL;
	n->pn_linked = false;
}

/* Move n to priority pri (keeps its place among equals only if equal). */
static void
plist_requeue(struct ipc_plist *l, struct ipc_plist_node *n, uint8_t pri)
{
	if (n->pn_pri == pri)
		return;
	ipc_plist_remove(l, n);
	ipc_plist_insert(l, n, pri);
}

/* ------------------------------------------------------------------ */
/* Allocation and references                                           */

struct ipc_turnstile *
ipc_turnstile_alloc(void)
{
	struct ipc_turnstile *ts = ipc_zalloc(IPC_KIND_TURNSTILE, sizeof(*ts));

	if (ts == NULL)
		return NULL;
	ipc_lock_init(&ts->ts_lock, IPC_RANK_TURNSTILE, "turnstile");
	ts->ts_refs = 1;
	ts->ts_type = IPC_TS_OWNED;
	ts->ts_cap = IPC_TS_CAP_USER;
	return ts;
}

void
ipc_turnstile_reference(struct ipc_turnstile *ts)
{
	uint32_t was = ck_pr_faa_32(&ts->ts_refs, 1); /* Relaxed: held */

	ipc_require(was != 0, "reference a live turnstile");
}

void
ipc_turnstile_release(struct ipc_turnstile *ts)
{
	bool zero;

	/* [R13]: our accesses before the free, as object.h's [R7]. */
	ipc_tsan_release(ts);
	ck_pr_fence_release();
	ck_pr_dec_32_zero(&ts->ts_refs, &zero);
	if (likely(!zero))
		return;
	ck_pr_fence_acquire(); /* [A13]: pairs with [R13] */
	ipc_tsan_acquire(ts);
	ipc_require(ts->ts_waiters.pl_head == NULL &&
	        ts->ts_inheritor_q.pl_head == NULL &&
	        ts->ts_inheritor == NULL && ts->ts_free == NULL,
	    "a freed turnstile is idle");
	ipc_free(IPC_KIND_TURNSTILE, ts, sizeof(*ts));
}

/*
 * fork(): the forking thread keeps its own turnstile, idle (the thread is
 * not blocked); the child's caches restarted their counts at zero and its
 * lock may have been caught held by a thread that does not exist there.
 */
void
ipc_turnstile_atfork_keep(struct ipc_turnstile *ts)
{
	ipc_lock_init(&ts->ts_lock, IPC_RANK_TURNSTILE, "turnstile");
	ipc_kind_account(IPC_KIND_TURNSTILE, (int64_t)sizeof(*ts));
}

static void
obj_reference(uint8_t kind, void *obj)
{
	if (kind == IPC_TSI_THREAD)
		ipc_thread_reference(obj);
	else
		ipc_turnstile_reference(obj);
}

static void
obj_release(uint8_t kind, void *obj)
{
	if (kind == IPC_TSI_THREAD)
		ipc_thread_release(obj);
	else
		ipc_turnstile_release(obj);
}

/* ------------------------------------------------------------------ */
/* Collected work                                                      */

static void ctx_walk(uint8_t kind, void *obj);

/* Record a walk from obj; the context takes its own reference. */
static void
ctx_add(struct ipc_ts_ctx *ctx, uint8_t kind, void *obj)
{
	uint32_t i;

	for (i = 0; i < ctx->tc_n; i++) {
		if (ctx->tc_walk[i].tw_obj == obj)
			return;
	}
	ipc_require(ctx->tc_n < IPC_TS_CTX_MAX, "turnstile work fits");
	obj_reference(kind, obj);
	ctx->tc_walk[ctx->tc_n].tw_kind = kind;
	ctx->tc_walk[ctx->tc_n].tw_obj = obj;
	ctx->tc_n++;
}

void
ipc_ts_ctx_add_thread(struct ipc_ts_ctx *ctx, struct ipc_thread *th)
{
	ctx_add(ctx, IPC_TSI_THREAD, th);
}

void
ipc_ts_ctx_add_turnstile(struct ipc_ts_ctx *ctx, struct ipc_turnstile *ts)
{
	ctx_add(ctx, IPC_TSI_TURNSTILE, ts);
}

void
ipc_ts_ctx_finish_slow(struct ipc_ts_ctx *ctx)
{
	uint32_t i;

	/* No interlock (a call-serialising global lock is fine). */
	ipc_lock_assert_rank_below(IPC_RANK_WORKLOOP);
	for (i = 0; i < ctx->tc_n; i++) {
		ctx_walk(ctx->tc_walk[i].tw_kind, ctx->tc_walk[i].tw_obj);
		obj_release(ctx->tc_walk[i].tw_kind, ctx->tc_walk[i].tw_obj);
	}
	ctx->tc_n = 0;
}

/* ------------------------------------------------------------------ */
/* Donation                                                            */

struct ipc_turnstile *
ipc_turnstile_prepare(struct ipc_turnstile **slot, struct ipc_turnstile *mine,
    const void *proprietor, uint8_t type)
{
	struct ipc_turnstile *ts = *slot;

	ipc_require(mine != NULL && mine->ts_free == NULL &&
	        mine->ts_donors == 0 && mine->ts_inheritor == NULL,
	    "a donated turnstile is idle");
	if (ts == NULL) {
		/* The first donor's turnstile becomes the primitive's. */
		ipc_lock(&mine->ts_lock);
		mine->ts_gen++;
		mine->ts_type = type;
		mine->ts_proprietor = proprietor;
		mine->ts_cap = IPC_TS_CAP_USER;
		mine->ts_floor = 0;
		mine->ts_priority = 0;
		ipc_unlock(&mine->ts_lock);
		*slot = ts = mine;
	} else {
		mine->ts_free = ts->ts_free;
		ts->ts_free = mine;
	}
	ts->ts_donors++;
	return ts;
}

struct ipc_turnstile *
ipc_turnstile_complete(struct ipc_turnstile **slot, struct ipc_ts_ctx *ctx)
{
	struct ipc_turnstile *ts = *slot, *back;

	ipc_require(ts != NULL && ts->ts_donors > 0, "a donor leaves");
	ts->ts_donors--;
	if (ts->ts_free != NULL) {
		back = ts->ts_free;
		ts->ts_free = back->ts_free;
		back->ts_free = NULL;
		return back;
	}
	/* The last donor takes the primitive's own turnstile back. */
	ipc_require(ts->ts_donors == 0 && ts->ts_prim_count == 0,
	    "the primitive's turnstile goes with its last donor");
	ipc_turnstile_set_inheritor(ts, IPC_TSI_NONE, NULL, ctx);
	ipc_lock(&ts->ts_lock);
	ipc_require(ts->ts_waiters.pl_head == NULL &&
	        ts->ts_inheritor_q.pl_head == NULL,
	    "an idle turnstile goes back");
	ts->ts_gen++;
	ts->ts_type = IPC_TS_OWNED;
	ts->ts_proprietor = NULL;
	ts->ts_priority = 0;
	ipc_unlock(&ts->ts_lock);
	*slot = NULL;
	return ts;
}

/* ------------------------------------------------------------------ */
/* Waiters and inheritors                                              */

static uint8_t
ts_compute(const struct ipc_turnstile *ts)
{
	uint8_t w = ipc_plist_max(&ts->ts_waiters);
	uint8_t q = ipc_plist_max(&ts->ts_inheritor_q);

	uint8_t m = w > q ? w : q;

	return m > ts->ts_floor ? m : ts->ts_floor;
}

/* What ts pushes on a thread: its priority, capped. */
static uint8_t
ts_push_on_thread(const struct ipc_turnstile *ts, uint8_t pri)
{
	return pri > ts->ts_cap ? ts->ts_cap : pri;
}

void
ipc_turnstile_wait_add(
    struct ipc_turnstile *ts, struct ipc_thread *th, struct ipc_ts_ctx *ctx)
{
	ipc_lock(&ts->ts_lock);
	ipc_lock(&th->th_lock);
	ipc_require(th->th_blocked_on == NULL, "a thread waits on one thing");
	ipc_plist_insert(&ts->ts_waiters, &th->th_wait_node, th->th_effective);
	ck_pr_store_ptr(&th->th_blocked_on, ts);
	ipc_unlock(&th->th_lock);
	ipc_unlock(&ts->ts_lock);
	ctx_add(ctx, IPC_TSI_TURNSTILE, ts);
}

void
ipc_turnstile_wait_remove(
    struct ipc_turnstile *ts, struct ipc_thread *th, struct ipc_ts_ctx *ctx)
{
	ipc_lock(&ts->ts_lock);
	ipc_lock(&th->th_lock);
	ipc_require(th->th_blocked_on == ts, "a waiter leaves its turnstile");
	ipc_plist_remove(&ts->ts_waiters, &th->th_wait_node);
	ck_pr_store_ptr(&th->th_blocked_on, NULL);
	ipc_unlock(&th->th_lock);
	ipc_unlock(&ts->ts_lock);
	ctx_add(ctx, IPC_TSI_TURNSTILE, ts);
}

struct ipc_thread *
ipc_turnstile_first_waiter(struct ipc_turnstile *ts)
{
	struct ipc_plist_node *n;

	ipc_lock(&ts->ts_lock);
	n = ts->ts_waiters.pl_head;
	ipc_unlock(&ts->ts_lock);
	return n != NULL ? ipc_container_of(n, struct ipc_thread, th_wait_node)
	                 : NULL;
}

/* Lock what ts pushes on (ts locked): a hop to the same rank or up. */
static void
inheritor_lock(uint8_t kind, void *obj)
{
	if (kind == IPC_TSI_THREAD)
		ipc_lock(&((struct ipc_thread *)obj)->th_lock);
	else
		ipc_lock_hop(&((struct ipc_turnstile *)obj)->ts_lock);
}

static void
inheritor_unlock(uint8_t kind, void *obj)
{
	if (kind == IPC_TSI_THREAD)
		ipc_unlock(&((struct ipc_thread *)obj)->th_lock);
	else
		ipc_unlock(&((struct ipc_turnstile *)obj)->ts_lock);
}

static struct ipc_plist *
inheritor_queue(uint8_t kind, void *obj)
{
	if (kind == IPC_TSI_THREAD)
		return &((struct ipc_thread *)obj)->th_inheritor_q;
	return &((struct ipc_turnstile *)obj)->ts_inheritor_q;
}

void
ipc_turnstile_set_inheritor(
    struct ipc_turnstile *ts, uint8_t kind, void *obj, struct ipc_ts_ctx *ctx)
{
	uint8_t okind;
	void *old;

	ipc_require(kind != IPC_TSI_TURNSTILE || obj != ts,
	    "a turnstile does not push on itself");
	ipc_lock(&ts->ts_lock);
	okind = ts->ts_inh_kind;
	old = ts->ts_inheritor;
	if (old == obj && (obj == NULL || okind == kind)) {
		ipc_unlock(&ts->ts_lock);
		return;
	}
	if (old != NULL) {
		inheritor_lock(okind, old);
		ipc_plist_remove(inheritor_queue(okind, old), &ts->ts_inh_node);
		inheritor_unlock(okind, old);
		/* Its demotion is walked later; our link's reference goes
		 * to the context, which drops it after the walk. */
		ctx_add(ctx, okind, old);
		obj_release(okind, old);
	}
	ts->ts_inheritor = obj;
	ts->ts_inh_kind = obj != NULL ? kind : IPC_TSI_NONE;
	if (obj != NULL) {
		uint8_t pri = ts_compute(ts);

		obj_reference(kind, obj);
		ts->ts_priority = pri;
		inheritor_lock(kind, obj);
		ipc_plist_insert(inheritor_queue(kind, obj), &ts->ts_inh_node,
		    kind == IPC_TSI_THREAD ? ts_push_on_thread(ts, pri) : pri);
		inheritor_unlock(kind, obj);
		ctx_add(ctx, kind, obj);
	}
	ipc_unlock(&ts->ts_lock);
}

/* ------------------------------------------------------------------ */
/* Propagation                                                         */

/* Recompute a thread's promotion and effective priority (th locked). */
static bool
thread_recompute_locked(struct ipc_thread *th)
{
	uint8_t promo = ipc_plist_max(&th->th_inheritor_q);
	uint8_t eff = th->th_base > promo ? th->th_base : promo;

	ipc_lock_assert_held(&th->th_lock);
	th->th_promotion = promo;
	if (eff == th->th_effective)
		return false;
	ck_pr_store_8(&th->th_effective, eff); /* Relaxed: snapshots */
	return true;
}

/* Threads whose effective priority a walk changed, for the OS. */
struct os_note {
	struct ipc_thread *on_th[TS_MAX_THREAD_HOPS + 2];
	uint32_t on_n;
};

static void os_apply(struct ipc_thread *th, bool letgo);
static uint32_t os_policy_active(void);

static void
os_note_locked(struct os_note *on, struct ipc_thread *th)
{
	ipc_lock_assert_held(&th->th_lock);
	if (os_policy_active() == MIPC_OS_POLICY_NONE ||
	    on->on_n == sizeof(on->on_th) / sizeof(on->on_th[0]))
		return;
	ck_pr_store_8(&th->th_os_want, th->th_effective);
	ipc_thread_reference(th);
	on->on_th[on->on_n++] = th;
}

/*
 * Walk from a locked thread (step [P2] of the essay) or a locked
 * turnstile ([P1]).  Unlocks what it holds, then applies the OS priority
 * of the threads it changed.
 * Conditions: no interlock held; obj locked and referenced by the caller
 * until we return.
 */
static void
walk_locked(uint8_t kind, void *obj)
{
	uint32_t hops = 0, thread_hops = 0, i;
	struct ipc_turnstile *ts = NULL;
	struct ipc_thread *th = NULL;
	struct os_note on;

	ipc_lock_assert_held(kind == IPC_TSI_THREAD
	        ? &((struct ipc_thread *)obj)->th_lock
	        : &((struct ipc_turnstile *)obj)->ts_lock);
	ipc_require(obj != NULL, "a walk starts at a thread or turnstile");
	on.on_n = 0;
	ck_pr_inc_64(&ts_stats.tss_walks); /* Relaxed: a counter */
	if (kind == IPC_TSI_THREAD)
		th = obj;
	else
		ts = obj;
	for (;;) {
		if (++hops > TS_MAX_HOPS)
			break;
		ck_pr_inc_64(&ts_stats.tss_hops); /* Relaxed: a counter */
		if (ts != NULL) {
			/* [P1] */
			uint8_t pri = ts_compute(ts);
			uint8_t ikind = ts->ts_inh_kind;
			void *inh = ts->ts_inheritor;

			if (pri == ts->ts_priority)
				break;
			ts->ts_priority = pri;
			if (inh == NULL)
				break;
			inheritor_lock(ikind, inh);
			plist_requeue(inheritor_queue(ikind, inh),
			    &ts->ts_inh_node,
			    ikind == IPC_TSI_THREAD ? ts_push_on_thread(ts, pri)
			                            : pri);
			ipc_unlock(&ts->ts_lock);
			if (ikind == IPC_TSI_THREAD) {
				th = inh;
				ts = NULL;
			} else {
				ts = inh;
			}
			continue;
		}
		/* [P2] */
		struct ipc_turnstile *w;

		if (!thread_recompute_locked(th))
			break;
		os_note_locked(&on, th);
		w = th->th_blocked_on;
		if (w == NULL)
			break;
		if (++thread_hops > ipc_turnstile_max_hops()) {
			ck_pr_inc_64(&ts_stats.tss_hop_limit); /* Relaxed */
			break;
		}
		if (!ipc_lock_try_unordered(&w->ts_lock)) {
			/* Against the order: drop, take both, recheck. */
			uint32_t gen = w->ts_gen;

			ipc_turnstile_reference(w);
			ipc_thread_reference(th);
			ipc_unlock(&th->th_lock);
			ipc_lock(&w->ts_lock);
			ipc_lock(&th->th_lock);
			/*
			 * Our references end here: while we hold w's lock no
			 * donor can take it back, and th, still waiting on w,
			 * cannot exit.
			 */
			ipc_turnstile_release(w);
			ipc_thread_release(th);
			if (th->th_blocked_on != w || w->ts_gen != gen) {
				ipc_unlock(&th->th_lock);
				ts = w;
				th = NULL;
				break; /* it moved: its own change walks */
			}
		}
		plist_requeue(
		    &w->ts_waiters, &th->th_wait_node, th->th_effective);
		ipc_unlock(&th->th_lock);
		ts = w;
		th = NULL;
	}
	if (ts != NULL)
		ipc_unlock(&ts->ts_lock);
	else
		ipc_unlock(&th->th_lock);
	for (i = 0; i < on.on_n; i++) {
		os_apply(on.on_th[i], false);
		ipc_thread_release(on.on_th[i]);
	}
}

static void
ctx_walk(uint8_t kind, void *obj)
{
	if (kind == IPC_TSI_THREAD)
		ipc_lock(&((struct ipc_thread *)obj)->th_lock);
	else
		ipc_lock(&((struct ipc_turnstile *)obj)->ts_lock);
	walk_locked(kind, obj);
}

uint32_t
ipc_turnstile_max_hops(void)
{
	return TS_MAX_THREAD_HOPS;
}

void
ipc_turnstile_stats(struct ipc_ts_stats *out)
{
	out->tss_walks = ck_pr_load_64(&ts_stats.tss_walks);
	out->tss_hops = ck_pr_load_64(&ts_stats.tss_hops);
	out->tss_hop_limit = ck_pr_load_64(&ts_stats.tss_hop_limit);
	out->tss_os_applies = ck_pr_load_64(&ts_stats.tss_os_applies);
	out->tss_os_errors = ck_pr_load_64(&ts_stats.tss_os_errors);
}

/* ------------------------------------------------------------------ */
/* The OS priority policy (sync.h: mipc_set_os_policy)                 */

static uint32_t os_policy;    /* (A) enum mipc_os_policy */
static mipc_os_apply_t os_fn; /* (os_policy) set before it */
static void *os_ctx;          /* (os_policy) set before it */

static uint32_t
os_policy_active(void)
{
	return ck_pr_load_32(&os_policy);
}

/* XNU priority -> nice anchors (TURNSTILES.md 2.4), interpolated. */
static const struct {
	int pa_pri, pa_nice;
} os_anchors[] = {
	{ 4, 19 },
	{ 20, 10 },
	{ 31, 0 },
	{ 37, -5 },
	{ 47, -10 },
	{ 63, -20 },
};
#define OS_NANCHORS (sizeof(os_anchors) / sizeof(os_anchors[0]))

int
mipc_priority_to_nice(int pri)
{
	uint32_t i;

	if (pri <= os_anchors[0].pa_pri)
		return os_anchors[0].pa_nice;
	for (i = 1; i < OS_NANCHORS; i++) {
		int p0 = os_anchors[i - 1].pa_pri, p1 = os_anchors[i].pa_pri;
		int n0 = os_anchors[i - 1].pa_nice, n1 = os_anchors[i].pa_nice;

		if (pri <= p1) {
			/* Rounded to the nearest, halves away from zero. */
			int num = (n1 - n0) * (pri - p0), den = p1 - p0;

			return n0 +
			    (num >= 0 ? (num + den / 2) / den
			              : -((-num + den / 2) / den));
		}
	}
	return os_anchors[OS_NANCHORS - 1].pa_nice;
}

/* The inverse: a thread starting at nice n pushes as this priority. */
int
ipc_priority_from_nice(int nice)
{
	uint32_t i;

	if (nice >= os_anchors[0].pa_nice)
		return os_anchors[0].pa_pri;
	for (i = 1; i < OS_NANCHORS; i++) {
		int p0 = os_anchors[i - 1].pa_pri, p1 = os_anchors[i].pa_pri;
		int n0 = os_anchors[i - 1].pa_nice, n1 = os_anchors[i].pa_nice;

		if (nice >= n1) {
			int num = (p1 - p0) * (n0 - nice), den = n0 - n1;

			return p0 + (num + den / 2) / den;
		}
	}
	return os_anchors[OS_NANCHORS - 1].pa_pri;
}

/* SCHED: priorities from 64 up run SCHED_FIFO. */
static int
os_fifo_priority(int pri)
{
	return pri < 96 ? 1 + (pri - 64) : 33 + (pri - 96);
}

static int
os_set(uint32_t policy, pid_t tid, int pri)
{
	struct sched_param sp = { 0 };

	switch (policy) {
	case MIPC_OS_POLICY_CUSTOM:
		return os_fn(tid, pri, os_ctx) == 0 ? 0 : -1;
	case MIPC_OS_POLICY_SCHED:
		if (pri >= 64) {
			sp.sched_priority = os_fifo_priority(pri);
			return sched_setscheduler(tid, SCHED_FIFO, &sp);
		}
		if (sched_getscheduler(tid) != SCHED_OTHER &&
		    sched_setscheduler(tid, SCHED_OTHER, &sp) != 0)
			return -1;
		/* FALLTHROUGH */
	case MIPC_OS_POLICY_NICE:
		return setpriority(
		    PRIO_PROCESS, (id_t)tid, mipc_priority_to_nice(pri));
	default:
		return 0;
	}
}

/* th_os_applied: what the OS has is not known (above any priority). */
#define OS_UNKNOWN 0xff

/*
 * What the OS should have for th, which has `applied`: its latest
 * effective priority, or while th holds (ipc_thread_os_hold), no lower
 * than what it has.
 */
static uint8_t
os_target(const struct ipc_thread *th, uint8_t applied)
{
	uint8_t want = ck_pr_load_8(&th->th_os_want);

	if (want < applied && applied != OS_UNKNOWN &&
	    ck_pr_load_8(&th->th_os_hold))
		return applied;
	return want;
}

/*
 * os_set_unbusy
 *	A call of th's own (a lowering, or a let-go's) made without
 *	th_os_busy: it leaves th_os_stale, so that the next holder applies
 *	afresh, then [F2] orders the flag before the caller's next look at
 *	the busy flag.
 */
static void
os_set_unbusy(uint32_t policy, struct ipc_thread *th, uint8_t want)
{
	ck_pr_inc_64(&ts_stats.tss_os_applies); /* Relaxed */
	if (os_set(policy, th->th_tid, want) != 0)
		ck_pr_inc_64(&ts_stats.tss_os_errors);
	ck_pr_store_32(&th->th_os_stale, 1);
	/* [F2]: the flag, then a look at the busy flag. */
	arch_fence_full();
}

/*
 * os_apply
 *	Give the OS thread its latest effective priority.  Appliers
 *	coalesce: whoever holds th_os_busy applies th_os_want until it stops
 *	changing, so the last value always wins (binder's restore races are
 *	why).  A thread that holds (ipc_thread_os_hold) keeps a fall for
 *	itself to apply when it lets go.  An exiting thread takes
 *	th_os_busy for good before its tid can be reused, so no call ever
 *	reaches a dead tid.
 *
 *	A thread lowering its own priority makes the call without
 *	th_os_busy: the OS preempts it as the call returns if others now
 *	outrank it, and at its lowered priority beside other load it may
 *	not run again for many ms -- every other applier, finding
 *	th_os_busy taken, would have left its raise to it meanwhile
 *	(bench/inversion.c measured 10 ms).  Its call may then land after
 *	another applier's, so it leaves th_os_stale: the next holder
 *	(itself, if nobody applied in between: th_os_gen) applies afresh.
 *	[F2] pairs the flag with the busy flag as it pairs the want.
 *
 *	letgo: th is the caller, letting go of its hold, and must be lowered
 *	before it returns (workloop.c: a servicer returning with no
 *	delivery).  Finding th_os_busy taken -- its client, woken by its
 *	reply, walking it -- it does not leave its fall to the holder, who
 *	may not run again soon: it makes its own call, without th_os_busy,
 *	once per want, and leaves th_os_stale as above (what the OS had is
 *	then not known: the holder applies afresh).
 * Conditions: nothing locked; the caller holds a reference on th.
 */
static void
os_apply(struct ipc_thread *th, bool letgo)
{
	uint32_t policy = os_policy_active();
	uint32_t gen = 0;
	uint8_t want, applied, mine = OS_UNKNOWN, own = OS_UNKNOWN;

	if (policy == MIPC_OS_POLICY_NONE)
		return;
	ck_pr_fence_load(); /* [A15]: the policy's fn and ctx after it */
	/*
	 * Our noted want before we look at the busy flag; an applier that
	 * holds it looks at the want after releasing it.
	 */
	arch_fence_full(); /* [F2] */
	for (;;) {
		/* [A14]: the busy flag is ours: the last applier's writes
		 * before. */
		if (ck_pr_fas_32(&th->th_os_busy, 1) != 0) {
			/* Its holder applies the want after its release. */
			want = ck_pr_load_8(&th->th_os_want);
			if (!letgo || want == own)
				break;
			/* Letting go: our own call, now (not under it). */
			own = want;
			mine = OS_UNKNOWN;
			os_set_unbusy(policy, th, want);
			continue;
		}
		ck_pr_fence_acquire(); /* [A14] */
		ipc_tsan_acquire(&th->th_os_busy);
		if (ck_pr_fas_32(&th->th_os_stale, 0) != 0) {
			/* A lowering of th by itself may have landed last. */
			th->th_os_applied =
			    mine != OS_UNKNOWN && th->th_os_gen == gen
			    ? mine
			    : OS_UNKNOWN;
		}
		mine = OS_UNKNOWN;
		want = os_target(th, th->th_os_applied);
		if (want < th->th_os_applied && th == ipc_thread_cur) {
			/* Lowering ourselves (or not known): not under
			 * th_os_busy. */
			mine = want;
			gen = th->th_os_gen;
			th->th_os_applied = OS_UNKNOWN;
			ipc_tsan_release(&th->th_os_busy);
			ck_pr_fence_release(); /* [R14] */
			ck_pr_store_32(&th->th_os_busy, 0);
			os_set_unbusy(policy, th, want);
			continue;
		}
		if (want != th->th_os_applied) {
			ck_pr_inc_64(&ts_stats.tss_os_applies); /* Relaxed */
			if (os_set(policy, th->th_tid, want) != 0)
				ck_pr_inc_64(&ts_stats.tss_os_errors);
			th->th_os_applied = want;
			th->th_os_gen++;
		}
		/* th_os_applied is the busy holder's: ours no more below. */
		applied = th->th_os_applied;
		/* [R14]: our apply before the next applier's. */
		ipc_tsan_release(&th->th_os_busy);
		ck_pr_fence_release();
		ck_pr_store_32(&th->th_os_busy, 0);
		/* [F2]: the release, then a look for a newer want. */
		arch_fence_full();
		if (os_target(th, applied) == applied &&
		    ck_pr_load_32(&th->th_os_stale) == 0)
			break;
	}
}

/*
 * ipc_thread_os_hold
 *	While th holds, a fall of its effective priority is not given to
 *	the OS (rises are); letting go applies the latest before it returns
 *	(os_apply's letgo).  A workloop
 *	servicer holds from a delivery until its next call returns without
 *	one or gets one of its own (workloop.c).
 * Conditions: th is the caller; nothing locked.
 */
void
ipc_thread_os_hold(struct ipc_thread *th, bool hold)
{
	if (ck_pr_load_8(&th->th_os_hold) == (uint8_t)hold)
		return;
	/* Relaxed store: os_apply's [F2] orders it before its look at
	 * th_os_busy, and a busy applier looks at it after its release. */
	ck_pr_store_8(&th->th_os_hold, (uint8_t)hold);
	if (!hold)
		os_apply(th, true);
}

/*
 * ipc_thread_os_fini
 *	The thread exits: no OS call may reach its tid from now on.
 * Conditions: called by the exiting thread; nothing locked.
 */
void
ipc_thread_os_fini(struct ipc_thread *th)
{
	/* Relaxed: taken for good; an applier in flight finishes first. */
	while (ck_pr_fas_32(&th->th_os_busy, 1) != 0)
		arch_cpu_relax();
}

/* May this process raise a thread's priority (probe on ourselves)? */
static bool
os_may_raise(uint32_t policy)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	struct sched_param sp = { 0 }, old_sp;
	int old_pol, nice, err;

	if (policy == MIPC_OS_POLICY_SCHED) {
		old_pol = sched_getscheduler(tid);
		if (old_pol < 0 || sched_getparam(tid, &old_sp) != 0)
			return false;
		sp.sched_priority = 1;
		if (sched_setscheduler(tid, SCHED_FIFO, &sp) != 0)
			return false;
		(void)sched_setscheduler(tid, old_pol, &old_sp);
	}
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)tid);
	if (nice == -1 && errno != 0)
		return false;
	if (nice <= -20)
		return true; /* someone privileged put us at the top */
	err = setpriority(PRIO_PROCESS, (id_t)tid, nice - 1);
	if (err != 0)
		return false;
	(void)setpriority(
	    PRIO_PROCESS, (id_t)tid, nice); /* lowering: allowed */
	return true;
}

kern_return_t
mipc_set_os_policy(enum mipc_os_policy policy, mipc_os_apply_t fn, void *ctx)
{
	switch (policy) {
	case MIPC_OS_POLICY_NONE:
		break;
	case MIPC_OS_POLICY_CUSTOM:
		if (fn == NULL)
			return KERN_INVALID_ARGUMENT;
		break;
	case MIPC_OS_POLICY_NICE:
	case MIPC_OS_POLICY_SCHED:
		if (!os_may_raise(policy))
			return KERN_NO_ACCESS;
		break;
	default:
		return KERN_INVALID_ARGUMENT;
	}
	/* fn and ctx before the policy that makes them used. */
	ck_pr_store_ptr(&os_fn, fn);
	ck_pr_store_ptr(&os_ctx, ctx);
	ck_pr_fence_store(); /* [R15] */
	ck_pr_store_32(&os_policy, (uint32_t)policy);
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Introspection (sync.h)                                              */

/* How a turnstile shows in a chain. */
static uint32_t
ts_hop_kind(const struct ipc_turnstile *ts)
{
	switch (ts->ts_type) {
	case IPC_TS_WORKLOOP:
	case IPC_TS_STASH:
		return MIPC_OWNER_WORKLOOP;
	case IPC_TS_SEND:
		/* A send turnstile pushing on another send turnstile: its
		 * port is in transit (case 2).  One pushing on a workloop's
		 * turnstile is an ordinary port (cases 4, 5, 7).  The
		 * inheritor's type never changes while we hold ts's lock,
		 * which keeps the reference ts holds on it. */
		return ts->ts_inh_kind == IPC_TSI_TURNSTILE &&
		        ((const struct ipc_turnstile *)ts->ts_inheritor)
		                ->ts_type == IPC_TS_SEND
		    ? MIPC_OWNER_TRANSIT
		    : MIPC_OWNER_PORT;
	default:
		return MIPC_OWNER_PORT;
	}
}

static pid_t
th_tid(const struct ipc_thread *th)
{
	return th->th_tid;
}

/*
 * Walk th's chain of pushes, one lock at a time (a snapshot: the chain
 * may change as we go), holding a reference on each next hop.  Stops
 * after max hops, TS_MAX_HOPS, or on coming back to th (a cycle).
 */
static uint32_t
chain_walk(struct ipc_thread *th, struct mipc_push_hop *hops, uint32_t max)
{
	struct ipc_turnstile *ts;
	struct ipc_thread *cur = th;
	uint32_t n = 0, steps = 0;
	uint8_t kind;
	void *obj;

	ipc_thread_reference(cur);
	while (n < max && steps++ < TS_MAX_HOPS) {
		/* A thread: record it, go to what it waits on. */
		ipc_lock(&cur->th_lock);
		hops[n].kind = MIPC_OWNER_THREAD;
		hops[n].object = cur;
		hops[n].tid = th_tid(cur);
		hops[n].priority = cur->th_effective;
		n++;
		ts = cur->th_blocked_on;
		if (ts != NULL)
			ipc_turnstile_reference(ts);
		ipc_unlock(&cur->th_lock);
		ipc_thread_release(cur);
		cur = NULL;
		if (ts == NULL || (n > 1 && hops[n - 1].object == th))
			goto done_ts;
		/* Turnstiles: record each, until a thread or nothing. */
		for (;;) {
			if (n >= max || steps++ >= TS_MAX_HOPS)
				goto done_ts;
			ipc_lock(&ts->ts_lock);
			hops[n].kind = ts_hop_kind(ts);
			hops[n].object = ts->ts_proprietor;
			hops[n].tid = 0;
			hops[n].priority = ts->ts_priority;
			n++;
			kind = ts->ts_inh_kind;
			obj = ts->ts_inheritor;
			if (obj != NULL)
				obj_reference(kind, obj);
			ipc_unlock(&ts->ts_lock);
			ipc_turnstile_release(ts);
			ts = NULL;
			if (obj == NULL)
				return n;
			if (kind == IPC_TSI_THREAD) {
				cur = obj;
				break;
			}
			ts = obj;
		}
	}
done_ts:
	if (ts != NULL)
		ipc_turnstile_release(ts);
	if (cur != NULL)
		ipc_thread_release(cur);
	return n;
}

uint32_t
mipc_thread_push_chain(
    mipc_thread_t handle, struct mipc_push_hop *hops, uint32_t max)
{
	struct ipc_thread *th = (struct ipc_thread *)(void *)handle;

	if (th == NULL || hops == NULL || max == 0)
		return 0;
	return chain_walk(th, hops, max);
}

kern_return_t
mipc_thread_wait_info(mipc_thread_t handle, struct mipc_wait_info *out)
{
	struct ipc_thread *th = (struct ipc_thread *)(void *)handle;
	struct mipc_push_hop hops[TS_MAX_HOPS];
	uint32_t n, i;
	bool dead;

	if (th == NULL || out == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_lock(&th->th_lock);
	dead = th->th_dead;
	out->wait_kind = ck_pr_load_32(&th->th_wait_kind);
	out->name = out->wait_kind != MIPC_WAIT_NONE
	    ? ck_pr_load_32(&th->th_wait_name)
	    : MACH_PORT_NULL;
	out->push = th->th_blocked_on != NULL ? th->th_effective : 0;
	ipc_unlock(&th->th_lock);
	if (dead)
		return KERN_TERMINATED;
	out->owner_kind = MIPC_OWNER_NONE;
	out->owner_tid = 0;
	if (out->push == 0)
		return KERN_SUCCESS;
	n = chain_walk(th, hops, TS_MAX_HOPS);
	/* hops[1] is what it waits on; the push leaves it thus: */
	if (n > 2) {
		out->owner_kind = hops[1].kind == MIPC_OWNER_TRANSIT
		    ? MIPC_OWNER_TRANSIT
		    : hops[2].kind;
	}
	for (i = 1; i < n; i++) {
		if (hops[i].kind == MIPC_OWNER_THREAD) {
			out->owner_tid = hops[i].tid;
			break;
		}
	}
	return KERN_SUCCESS;
}
