/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.c -- per-thread state: the epoch record, deferred frees,
 * reclamation at safe points, quiescence, the registry of live threads
 * and their counters, and the library-wide calls mipc_get_stats() and
 * mipc_quiesce().
 *
 * Owns:      struct ipc_thread of every thread that called into mipc
 *            (its special reply binding, th_srp_bind, is reply.c's), the
 *            global ck_epoch (ipc_epoch) and its records.
 * Locking:   ipc_threads_lock (IPC_RANK_LEAF: state is made on first use,
 *            under whatever locks the caller holds) covers the registry of
 *            live threads and the counters exited threads left
 *            (ipc_stats_exited).  Records are found by ck_epoch_recycle /
 *            registered with ck's lock-free list; a thread's state is
 *            touched only by that thread (O), except its record's pending
 *            stacks, which mipc_quiesce() drains with atomic pops, and its
 *            counters, which mipc_get_stats() reads.
 * Ordering:  TSan-only edges ([T<n>]: the machine ordering is carried by
 *            ck, in code TSan cannot see):
 *            [T2] from every section exit and every defer (release on
 *                 &ipc_epoch) to every deferred free (acquire in
 *                 deferred_run): the grace period, carried by
 *                 ck_epoch_begin/end/synchronize's fences;
 *            [T4] a record's initialisation before another thread walks
 *                 it, carried by ck_epoch_register's ck_stack push (a
 *                 store fence before its CAS);
 *            [T5] everything a record's last owner did before the thread
 *                 that recycles it uses it (ck_epoch_begin reads its
 *                 fields), carried by ck_epoch_unregister's store of the
 *                 free state (after a fence) and ck_epoch_recycle's CAS.
 *            The links of a record's pending stacks are published by
 *            ck_stack's CAS too; mipc_quiesce() reads and relinks them
 *            only through ck_pr, as ck does, never with an access TSan
 *            would pair with the pusher's plain stores (the payload is
 *            [T2]'s).
 *            [R55]/[A55] a deferred entry is written before the CAS that
 *            pushes it (epoch_call, our ck_epoch_call_strict) and popped
 *            after (ck's batch pop); [T6], the same edge for TSan: the
 *            entry's last plain writes, released before that CAS,
 *            acquired where it runs -- so an entry whose memory is reused
 *            after another thread ran it (mipc_quiesce) is ordered too.
 * Lifetime:  state is created on first use (ipc_thread_self) and released
 *            at thread exit by a pthread key destructor, after barriers
 *            have run the thread's deferred frees and those they defer in
 *            turn (ck_epoch_unregister would drop any left).  Records are
 *            never freed (ck keeps them listed); a new thread recycles a
 *            released one.  A thread is in the registry from creation
 *            until its exit, where its counters are added to
 *            ipc_stats_exited.
 * Choices:   counters are per thread, not per CPU (cache.c's machinery):
 *            the message paths already hold their thread's state in a
 *            register, so a count is a relaxed load-add-store on a line
 *            nobody else writes, with no rseq section; the price is a
 *            walk of the live threads on each mipc_get_stats.
 *
 * Theory of operation
 *
 * Readers bracket lock-free lookups with ipc_epoch_enter/exit, a bare
 * ck_epoch_begin/end on the thread's record.  Writers unlink an object and
 * retire it with ipc_epoch_defer(), which pushes it on the record's pending
 * stack for the current epoch (ck_epoch_call_strict: an atomic push, so that
 * another thread may drain the stack, see mipc_quiesce).
 *
 * Reclamation happens at safe points only, never inside a section (ck's
 * poll rewrites the record's epoch, which would be unsound while the record
 * protects references): when a defer happens outside any section, or when
 * the section that a defer happened in closes, and IPC_EPOCH_POLL_EVERY
 * frees are pending, we ck_epoch_poll().  Poll never blocks; it dispatches
 * what is at least two epochs old, or everything when no thread is inside
 * a section.  A thread's garbage is therefore bounded by roughly
 * IPC_EPOCH_POLL_EVERY times the epochs other threads hold back, which is
 * bounded as long as no thread stays inside a section, and none may block
 * there.
 *
 * mipc_quiesce() makes counts exact: it pops every pending stack of every
 * record (atomic batch pops, safe against the owners' concurrent pushes),
 * waits one full grace period (ck_epoch_synchronize) -- every popped object
 * was retired before the wait began, so no reader can still hold it -- and
 * then runs the callbacks itself.
 */
#include "thread.h"

#include "cache.h"
#include "guard.h"
#include "lock.h"
#include "port.h"
#include "reply.h"
#include "space.h"
#include "turnstile.h"
#include "vm.h"
#include "watchport.h"
#include "workloop.h"

#include <errno.h>
#include <mipc/mipc.h>
#include <mipc/sync.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread struct ipc_thread *ipc_thread_cur
    __attribute__((tls_model("initial-exec")));

ck_epoch_t ipc_epoch;

static pthread_key_t ipc_thread_key;
/* Defers of threads that could not get state (out of memory). */
static ck_epoch_record_t ipc_orphans;
static uint64_t ipc_threads_live; /* (A) */

/* Registry of live threads, and what exited ones counted. */
static ipc_lock_t ipc_threads_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "thread registry");
static struct ipc_thread *ipc_threads;            /* (ipc_threads_lock) */
static uint64_t ipc_stats_exited[IPC_STAT_COUNT]; /* (ipc_threads_lock) */
static uint64_t ipc_stats_orphan[IPC_STAT_COUNT]; /* (A) no thread state */

static void ipc_thread_exit(void *arg);

__attribute__((constructor)) static void
ipc_thread_module_init(void)
{
	ck_epoch_init(&ipc_epoch);
	ck_epoch_register(&ipc_epoch, &ipc_orphans, NULL);
	ipc_require(pthread_key_create(&ipc_thread_key, ipc_thread_exit) == 0,
	    "pthread key for per-thread state");
	ipc_fork_init();
}

static ck_epoch_record_t *
epoch_record_get(void)
{
	ck_epoch_record_t *r = ck_epoch_recycle(&ipc_epoch, NULL);

	if (r != NULL) {
		/* [T5]: all its last owner did, before we use it. */
		ipc_tsan_acquire(r);
		return r;
	}
	/*
	 * Records are never freed (ck_epoch keeps every one it has seen in
	 * its list), so they come from the C library, outside the counted
	 * kinds, and are recycled by later threads.
	 */
	r = aligned_alloc(ARCH_CACHELINE,
	    (sizeof(*r) + ARCH_CACHELINE - 1) & ~(size_t)(ARCH_CACHELINE - 1));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	/* [T4]: pairs with record_of()'s acquire. */
	ipc_tsan_release(r);
	ck_epoch_register(&ipc_epoch, r, NULL);
	return r;
}

/*
 * ipc_thread_init_slow
 *	Create the calling thread's state, with the turnstile it owns (so
 *	that blocking never allocates) and a base priority read from the
 *	OS: a thread started at nice n pushes as the priority NICE maps to n
 *	(nice 0: 31).
 * Conditions:
 *	Nothing locked; allocates.  Returns NULL when out of memory (the
 *	caller reports KERN_RESOURCE_SHORTAGE).
 */
IPC_COLD struct ipc_thread *
ipc_thread_init_slow(void)
{
	struct ipc_thread *th;
	int nice;

	th = ipc_zalloc(IPC_KIND_THREAD, sizeof(*th));
	if (th == NULL)
		return NULL;
	th->th_turnstile = ipc_turnstile_alloc();
	if (th->th_turnstile == NULL) {
		ipc_free(IPC_KIND_THREAD, th, sizeof(*th));
		return NULL;
	}
	th->th_epoch = epoch_record_get();
	if (th->th_epoch == NULL) {
		ipc_turnstile_release(th->th_turnstile);
		ipc_free(IPC_KIND_THREAD, th, sizeof(*th));
		return NULL;
	}
	if (pthread_setspecific(ipc_thread_key, th) != 0) {
		ck_epoch_unregister(th->th_epoch);
		ipc_turnstile_release(th->th_turnstile);
		ipc_free(IPC_KIND_THREAD, th, sizeof(*th));
		return NULL;
	}
	th->th_refs = 1; /* the thread's own, until it exits */
	ipc_lock_init(&th->th_lock, IPC_RANK_THREAD, "thread");
	th->th_tid = (pid_t)syscall(SYS_gettid);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, (id_t)th->th_tid);
	th->th_base = (uint8_t)ipc_priority_from_nice(
	    nice == -1 && errno != 0 ? 0 : nice);
	th->th_qos = ipc_qos_for_priority(th->th_base);
	th->th_effective = th->th_base;
	th->th_os_want = th->th_os_applied = th->th_base;
	ck_pr_inc_64(&ipc_threads_live);
	ipc_lock(&ipc_threads_lock);
	th->th_reg_next = ipc_threads;
	ipc_threads = th;
	ipc_unlock(&ipc_threads_lock);
	ipc_thread_cur = th;
	return th;
}

/* Conditions: ipc_threads_lock held. */
static void
registry_remove_locked(struct ipc_thread *th)
{
	struct ipc_thread **pp;
	unsigned int i;

	ipc_lock_assert_held(&ipc_threads_lock);
	for (pp = &ipc_threads; *pp != th; pp = &(*pp)->th_reg_next)
		ipc_require(*pp != NULL, "an exiting thread is registered");
	*pp = th->th_reg_next;
	for (i = 0; i < IPC_STAT_COUNT; i++)
		ipc_stats_exited[i] += th->th_stats[i];
}

void
ipc_thread_foreach(void (*fn)(struct ipc_thread *th, void *arg), void *arg)
{
	struct ipc_thread *th;

	ipc_lock(&ipc_threads_lock);
	for (th = ipc_threads; th != NULL; th = th->th_reg_next)
		fn(th, arg);
	ipc_unlock(&ipc_threads_lock);
}

void
ipc_stat_add_orphan(enum ipc_stat s, uint64_t n)
{
	/* Relaxed: a counter. */
	ck_pr_add_64(&ipc_stats_orphan[s], n);
}

void
ipc_thread_reference(struct ipc_thread *th)
{
	uint32_t was = ck_pr_faa_32(&th->th_refs, 1); /* Relaxed: held */

	ipc_require(was != 0, "reference a live thread state");
}

/*
 * ipc_thread_release
 *	Drop a reference; the last frees the state of an exited thread.
 * Conditions: nothing of the thread locked.
 */
void
ipc_thread_release(struct ipc_thread *th)
{
	bool zero;

	/* [R16]: our accesses before the free. */
	ipc_tsan_release(th);
	ck_pr_fence_release();
	ck_pr_dec_32_zero(&th->th_refs, &zero);
	if (likely(!zero))
		return;
	ck_pr_fence_acquire(); /* [A16]: pairs with [R16] */
	ipc_tsan_acquire(th);
	ipc_require(th->th_dead && th->th_inheritor_q.pl_head == NULL &&
	        th->th_blocked_on == NULL && th->th_turnstile == NULL,
	    "a freed thread state exited and is pushed by nothing");
	ipc_free(IPC_KIND_THREAD, th, sizeof(*th));
}

/* Key destructor: the thread is exiting. */
static void
ipc_thread_exit(void *arg)
{
	struct ipc_thread *th = arg;

	ipc_require(th == ipc_thread_cur, "thread state belongs to its thread");
	ipc_require(
	    !ipc_epoch_inside(th), "thread exits inside an epoch section");
	/* What pushed because of us, or on us, goes (turnstile unwinding). */
	ipc_workloop_thread_exit(th);
	ipc_special_reply_unbind(th);
	ipc_watchports_clear(th);
	ipc_thread_os_fini(th);
	ipc_lock(&th->th_lock);
	th->th_dead = true;
	ipc_unlock(&th->th_lock);
	ipc_lock(&ipc_threads_lock);
	registry_remove_locked(th);
	ipc_unlock(&ipc_threads_lock);
	/*
	 * Every free still pending on the record runs before it is
	 * unregistered (ck_epoch_unregister empties its pending stacks),
	 * including those the barrier's frees defer in turn: a workloop's
	 * free drops the last reference on its space, which retires the
	 * space's slot (space.c), and a free may retire bare ports into our
	 * batch (port.c), flushed each round.  Each round runs what the
	 * previous one deferred; chains of frees are finite.
	 */
	do {
		ipc_port_retired_flush(th);
		ck_epoch_barrier(th->th_epoch);
	} while (ck_pr_load_uint(&th->th_epoch->n_pending) != 0 ||
	    th->th_retired != NULL);
	ipc_port_kept_drain(th); /* what those frees kept, for others */
	/* [T5]: pairs with epoch_record_get()'s acquire after a recycle. */
	ipc_tsan_release(th->th_epoch);
	ck_epoch_unregister(th->th_epoch);
	th->th_epoch = NULL;
	ipc_turnstile_release(th->th_turnstile);
	th->th_turnstile = NULL;
	ipc_thread_cur = NULL;
	ck_pr_dec_64(&ipc_threads_live);
	ipc_thread_release(th);
}

/* ------------------------------------------------------------------ */
/* Handles and priorities (sync.h)                                     */

/* XNU's thread_qos_policy_params.qos_pri, with the 47 for UI. */
static const uint8_t qos_pri[] = {
	[MIPC_QOS_UNSPECIFIED] = 31,
	[MIPC_QOS_MAINTENANCE] = 4,
	[MIPC_QOS_BACKGROUND] = 4,
	[MIPC_QOS_UTILITY] = 20,
	[MIPC_QOS_DEFAULT] = 31,
	[MIPC_QOS_USER_INITIATED] = 37,
	[MIPC_QOS_USER_INTERACTIVE] = 47,
};

/* XNU's thread_user_promotion_qos_for_pri. */
uint8_t
ipc_qos_for_priority(uint8_t pri)
{
	uint8_t qos;

	for (qos = MIPC_QOS_USER_INTERACTIVE; qos > MIPC_QOS_MAINTENANCE;
	     qos--) {
		if (qos_pri[qos] <= pri)
			return qos;
	}
	return MIPC_QOS_MAINTENANCE;
}

/*
 * XNU's thread_qos_scaled_relative_priority: relpri -15..0 scaled into
 * (the next lower class's priority, this class's], -15 just above.
 */
static int
qos_scaled_relpri(mipc_qos_t qos, int relpri)
{
	static const uint8_t lower[] = {
		[MIPC_QOS_MAINTENANCE] = 0,
		[MIPC_QOS_BACKGROUND] = 0,
		[MIPC_QOS_UTILITY] = MIPC_QOS_BACKGROUND,
		[MIPC_QOS_DEFAULT] = MIPC_QOS_UTILITY,
		[MIPC_QOS_USER_INITIATED] = MIPC_QOS_DEFAULT,
		[MIPC_QOS_USER_INTERACTIVE] = MIPC_QOS_USER_INITIATED,
	};
	int max = qos_pri[qos], min = lower[qos] ? qos_pri[lower[qos]] : 0;

	if (relpri == 0)
		return 0;
	return -(((max - min) * -relpri) >> 4);
}

static struct ipc_thread *
th_of(mipc_thread_t handle)
{
	return (struct ipc_thread *)(void *)handle;
}

mipc_thread_t
mipc_thread_self(void)
{
	return (mipc_thread_t)(void *)ipc_thread_self();
}

void
mipc_thread_retain(mipc_thread_t handle)
{
	if (handle != NULL)
		ipc_thread_reference(th_of(handle));
}

void
mipc_thread_release(mipc_thread_t handle)
{
	if (handle != NULL)
		ipc_thread_release(th_of(handle));
}

/* Set th's base priority; its pushes follow (turnstile.c walks). */
static kern_return_t
thread_set_base(struct ipc_thread *th, uint8_t base, uint8_t qos)
{
	struct ipc_ts_ctx ctx;

	ipc_ts_ctx_init(&ctx);
	ipc_lock(&th->th_lock);
	if (th->th_dead) {
		ipc_unlock(&th->th_lock);
		return KERN_TERMINATED;
	}
	th->th_base = base;
	th->th_qos = qos;
	ipc_unlock(&th->th_lock);
	ipc_ts_ctx_add_thread(&ctx, th);
	ipc_ts_ctx_finish(&ctx);
	return KERN_SUCCESS;
}

kern_return_t
mipc_thread_set_base_priority(mipc_thread_t handle, int pri)
{
	if (handle == NULL || pri < MIPC_PRI_MIN || pri > MIPC_PRI_MAX)
		return KERN_INVALID_ARGUMENT;
	return thread_set_base(
	    th_of(handle), (uint8_t)pri, ipc_qos_for_priority((uint8_t)pri));
}

kern_return_t
mipc_thread_set_qos(mipc_thread_t handle, mipc_qos_t qos, int relpri)
{
	if (handle == NULL || qos > MIPC_QOS_USER_INTERACTIVE || relpri < -15 ||
	    relpri > 0 || (qos == MIPC_QOS_UNSPECIFIED && relpri != 0))
		return KERN_INVALID_ARGUMENT;
	return thread_set_base(th_of(handle),
	    (uint8_t)(qos_pri[qos] + qos_scaled_relpri(qos, relpri)), qos);
}

kern_return_t
mipc_thread_get_priority(mipc_thread_t handle, struct mipc_thread_priority *out)
{
	struct ipc_thread *th = th_of(handle);

	if (th == NULL || out == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_lock(&th->th_lock);
	if (th->th_dead) {
		ipc_unlock(&th->th_lock);
		return KERN_TERMINATED;
	}
	out->base = th->th_base;
	out->promotion = th->th_promotion;
	out->effective = th->th_effective;
	out->qos = th->th_qos;
	out->effective_qos = ipc_qos_for_priority(th->th_effective);
	ipc_unlock(&th->th_lock);
	return KERN_SUCCESS;
}

/*
 * ipc_thread_atfork_child
 *	fork(): the child's only thread is the one that forked.  The other
 *	threads' records (perhaps inside sections, holding back grace periods
 *	for ever) and every pending deferred free belong to a world the child
 *	abandons: a fresh epoch, with the forking thread's record and the
 *	orphans' registered anew, empty.
 * Conditions: the only thread of a fresh child, outside any section (a
 *	fork from a signal handler that interrupted mipc is not supported).
 */
void
ipc_thread_atfork_child(void)
{
	struct ipc_thread *th = ipc_thread_cur;

	ck_epoch_init(&ipc_epoch);
	memset(&ipc_orphans, 0, sizeof(ipc_orphans));
	ck_epoch_register(&ipc_epoch, &ipc_orphans, NULL);
	ipc_threads_live = 0;
	/* Violations the parent raised are the parent's to deliver. */
	ipc_guard_pending.gp_n = 0;
	/* The registry: the forking thread alone; counters from zero. */
	ipc_lock_init(&ipc_threads_lock, IPC_RANK_LEAF, "thread registry");
	ipc_threads = NULL;
	memset(ipc_stats_exited, 0, sizeof(ipc_stats_exited));
	memset(ipc_stats_orphan, 0, sizeof(ipc_stats_orphan));
	if (th == NULL)
		return;
	th->th_reg_next = NULL;
	ipc_threads = th;
	memset(th->th_stats, 0, sizeof(th->th_stats));
	memset(th->th_epoch, 0, sizeof(*th->th_epoch));
	ck_epoch_register(&ipc_epoch, th->th_epoch, NULL);
	th->th_defers = 0;
	th->th_space = NULL;      /* the child's (new) default space */
	th->th_task_space = NULL; /* a parent's handle: never matches */
	th->th_task_name = MACH_PORT_NULL;
	/* Its special reply port, watchports, workloop: the parent's. */
	th->th_srp_bind = 0;
	th->th_srp_name = MACH_PORT_NULL;
	th->th_srp = NULL;
	th->th_watchports = NULL;
	/* Its kept and retired ports: the parent's, abandoned with the
	 * cache's (counted, they would make the child's live count wrong). */
	th->th_kept = NULL;
	th->th_nkept = 0;
	th->th_retired = NULL;
	th->th_nretired = 0;
	th->th_servicing = NULL;
	th->th_bound_wl = NULL;
	/*
	 * Priorities: pushes came from the parent's objects; the thread is
	 * not blocked (it is forking), and has another id.  Its own
	 * turnstile is idle and stays.  th_refs stays too: handles the user
	 * holds still count (a reference a parent object held is leaked).
	 */
	ipc_lock_init(&th->th_lock, IPC_RANK_THREAD, "thread");
	th->th_tid = (pid_t)syscall(SYS_gettid);
	th->th_promotion = 0;
	th->th_effective = th->th_base;
	th->th_inheritor_q.pl_head = NULL;
	th->th_blocked_on = NULL;
	th->th_wait_kind = MIPC_WAIT_NONE;
	th->th_wait_name = MACH_PORT_NULL;
	th->th_wait_obj = NULL;
	th->th_waitq = NULL;
	th->th_abort = 0;
	th->th_park = 0;
	th->th_park_state = 0;
	th->th_os_busy = 0;
	th->th_os_want = th->th_base;
	th->th_os_hold = 0;
	th->th_os_stale = 0;
	ipc_threads_live = 1;
	/* What the child keeps, counted again (caches restarted at 0). */
	ipc_kind_account(IPC_KIND_THREAD, (int64_t)sizeof(*th));
	if (th->th_turnstile != NULL)
		ipc_turnstile_atfork_keep(th->th_turnstile);
}

uint64_t
ipc_thread_live(void)
{
	return ck_pr_load_64(&ipc_threads_live);
}

/* ------------------------------------------------------------------ */
/* Deferred frees                                                      */

IPC_COLD void
ipc_epoch_poll_slow(struct ipc_thread *th)
{
	if (ipc_epoch_inside(th))
		return; /* not a safe point; the section's exit is */
	th->th_defers = 0;
	ck_epoch_poll(th->th_epoch);
}

/*
 * Every deferred free runs through here, so that TSan learns of the grace
 * period at the moment it matters: after ck_epoch has established it.
 */
static void
deferred_run(ck_epoch_entry_t *e)
{
	struct ipc_deferred *d =
	    ipc_container_of(e, struct ipc_deferred, id_ck);

	ipc_tsan_acquire(&ipc_epoch); /* [T2] */
	ipc_tsan_acquire(e); /* [T6]: the entry as epoch_call left it */
	d->id_fn(d);
}

/*
 * epoch_call
 *	ck_epoch_call_strict, with one difference TSan needs: the entry's
 *	link is written through ck_pr, and [T6] releases the entry between
 *	its last plain write and the CAS that publishes it.  ck's own push
 *	writes the link with a plain store after anything we could annotate:
 *	when mipc_quiesce() ran another thread's frees and the memory was
 *	reused, TSan saw the old and the new owner's writes of that link
 *	unordered (space_lifetime_threads).
 * Conditions: any; the push is atomic, others may pop concurrently.
 */
static void
epoch_call(ck_epoch_record_t *r, ck_epoch_entry_t *e)
{
	unsigned int epoch = ck_pr_load_uint(&r->global->epoch);
	ck_stack_t *target = &r->pending[epoch & (CK_EPOCH_LENGTH - 1)];
	ck_stack_entry_t *head;

	ck_pr_inc_uint(&r->n_pending); /* Relaxed: a counter, as ck's */
	e->function = deferred_run;
	head = ck_pr_load_ptr(&target->head);
	for (;;) {
		ck_pr_store_ptr(&e->stack_entry.next, head);
		ipc_tsan_release(e); /* [T6]: pairs with deferred_run() */
		ck_pr_fence_store(); /* [R55]: the entry, then the CAS */
		/* [R55]: publishes it (ck_stack_push_upmc's order). */
		if (ck_pr_cas_ptr_value(
		        &target->head, head, &e->stack_entry, &head))
			break;
	}
}

void
ipc_epoch_defer(struct ipc_thread *th, struct ipc_deferred *d,
    void (*fn)(struct ipc_deferred *d))
{
	ipc_epoch_defer_n(th, d, fn, 1);
}

void
ipc_epoch_defer_n(struct ipc_thread *th, struct ipc_deferred *d,
    void (*fn)(struct ipc_deferred *d), uint32_t objects)
{
	d->id_fn = fn;
	/* [T2]: pairs with deferred_run()'s acquire, on any thread. */
	ipc_tsan_release(&ipc_epoch);
	if (unlikely(th == NULL)) {
		/* No state: the shared orphan record (pushes are atomic);
		 * mipc_quiesce() drains it. */
		epoch_call(&ipc_orphans, &d->id_ck);
		return;
	}
	epoch_call(th->th_epoch, &d->id_ck);
	th->th_defers += objects;
	if (th->th_defers >= IPC_EPOCH_POLL_EVERY)
		ipc_epoch_poll_slow(th);
}

/*
 * A grace-period wait (ck_epoch_synchronize).  Under a scheduled test the
 * sections we wait for belong to threads that only run when we yield
 * (IPC_YIELD_SPIN); ck calls us back on every round it waits.
 */
static void
epoch_wait_yield(ck_epoch_t *global, ck_epoch_record_t *cr, void *ct)
{
	(void)global;
	(void)cr;
	(void)ct;
	ipc_debug_yield(IPC_YIELD_SPIN);
}

static void
epoch_synchronize(void)
{
	ck_epoch_synchronize_wait(&ipc_epoch,
	    ipc_test_hooks && ipc_yield_hook != NULL ? epoch_wait_yield : NULL,
	    NULL);
}

/*
 * ipc_epoch_wait_readers
 *	Wait until every epoch section open now has closed (no dispatch).
 *	A receive right that changed binding uses it so that no receiver
 *	that found it under the old binding is still taking messages (see
 *	msg.c, Ordering).
 * Conditions:
 *	Outside any section.  Usually nothing locked; the port-destroyed
 *	path (ipc_port_destroy sending a receive right to its backup) may
 *	hold the space lock of the right's old holder.  That cannot
 *	deadlock: no epoch section waits for a space or port lock (inside
 *	sections only the leaf overflow and depot locks are taken, never
 *	held across a grace period; the reply fast path only tries a space
 *	lock there, msg.c).  It only makes that space's other callers wait
 *	one grace period.
 */
void
ipc_epoch_wait_readers(void)
{
	struct ipc_thread *th = ipc_thread_self();

	/* A thread with no record of its own (out of memory) waits too. */
	ipc_require(th == NULL || !ipc_epoch_inside(th),
	    "waiting for readers in a section");
	epoch_synchronize();
}

unsigned int
ipc_epoch_pending(const struct ipc_thread *th)
{
	return ck_pr_load_uint(&th->th_epoch->n_pending);
}

/* [T4]: a record found on ck's list was published built. */
static ck_epoch_record_t *
record_of(ck_stack_entry_t *cursor)
{
	ck_epoch_record_t *r =
	    ipc_container_of(cursor, ck_epoch_record_t, record_next);

	ipc_tsan_acquire(r);
	return r;
}

#define entry_of(cursor) ipc_container_of(cursor, ck_epoch_entry_t, stack_entry)

/* The next entry of a popped pending stack (see Ordering above). */
static ck_stack_entry_t *
stack_next(ck_stack_entry_t *e)
{
	return ck_pr_load_ptr(&e->next);
}

uint64_t
ipc_epoch_pending_all(void)
{
	ck_stack_entry_t *cursor;
	uint64_t n = 0;

	CK_STACK_FOREACH(&ipc_epoch.records, cursor)
	{
		ck_epoch_record_t *r = record_of(cursor);

		n += ck_pr_load_uint(&r->n_pending);
	}
	return n;
}

/*
 * One round of quiescence: steps 1-3 of the essay above.  Returns whether
 * any callback ran (a callback may retire more objects).
 */
static bool
quiesce_round(void)
{
	ck_stack_entry_t *cursor, *grabbed = NULL, *next;
	unsigned int i;

	/* 1. Take every pending free of every record. */
	CK_STACK_FOREACH(&ipc_epoch.records, cursor)
	{
		ck_epoch_record_t *r = record_of(cursor);

		for (i = 0; i < CK_EPOCH_LENGTH; i++) {
			ck_stack_entry_t *head, *tail;
			unsigned int n = 0;

			/* [A55]: ck's batch pop (swap, load fence). */
			head = ck_stack_batch_pop_upmc(&r->pending[i]);
			if (head == NULL)
				continue;
			/* Links through ck_pr: see Ordering above. */
			for (tail = head;; tail = stack_next(tail)) {
				n++;
				if (stack_next(tail) == NULL)
					break;
			}
			ck_pr_store_ptr(&tail->next, grabbed);
			grabbed = head;
			ck_pr_sub_uint(&r->n_pending, n);
		}
	}

	/* 2. One full grace period after the last of them was retired. */
	epoch_synchronize();

	/* 3. Run them here (every entry is ipc_epoch_defer's). */
	for (cursor = grabbed; cursor != NULL; cursor = next) {
		next = stack_next(cursor);
		deferred_run(entry_of(cursor));
	}
	return grabbed != NULL;
}

/*
 * Live ports: what the port cache has handed out, less the dead ones that
 * wait in live threads' batches (port.c, ipc_port_retired_flush) and the
 * freed ones they keep (port.c, "Kept ports").
 */
static uint64_t
ports_live(void)
{
	uint64_t live = ipc_kind_live(IPC_KIND_PORT), waiting = 0;
	struct ipc_thread *th;

	ipc_lock(&ipc_threads_lock);
	for (th = ipc_threads; th != NULL; th = th->th_reg_next)
		waiting += ck_pr_load_32(&th->th_nretired) +
		    ck_pr_load_32(&th->th_nkept);
	ipc_unlock(&ipc_threads_lock);
	/* A snapshot: a batch may be flushed between the two reads. */
	return live > waiting ? live - waiting : 0;
}

/* Fold every thread's counters: the exited ones' and the live ones'. */
static void
stats_fold(uint64_t sum[IPC_STAT_COUNT])
{
	struct ipc_thread *th;
	unsigned int i;

	ipc_lock(&ipc_threads_lock);
	for (i = 0; i < IPC_STAT_COUNT; i++)
		sum[i] =
		    ipc_stats_exited[i] + ck_pr_load_64(&ipc_stats_orphan[i]);
	for (th = ipc_threads; th != NULL; th = th->th_reg_next) {
		for (i = 0; i < IPC_STAT_COUNT; i++)
			sum[i] +=
			    __atomic_load_n(&th->th_stats[i], __ATOMIC_RELAXED);
	}
	ipc_unlock(&ipc_threads_lock);
}

MIPC_STATIC_ASSERT(stats_v1_ends_at_size_min,
    offsetof(struct mipc_stats, msgs_sent) == MIPC_STATS_SIZE_MIN);

/*
 * mipc_get_stats (mipc.h): the caller's struct may be older (smaller) or
 * newer (larger) than ours: we fill the fields both know, zero the ones
 * only the caller knows, and say in out->size how many bytes are ours.
 * The parentheses keep mipc.h's macro, which sets out->size, away.
 */
kern_return_t(mipc_get_stats)(struct mipc_stats *out)
{
	struct mipc_stats st;
	struct ipc_ts_stats ts;
	uint64_t c[IPC_STAT_COUNT];
	size_t size;

	if (out == NULL || out->size < MIPC_STATS_SIZE_MIN)
		return KERN_INVALID_ARGUMENT;
	size = out->size;
	memset(&st, 0, sizeof(st));
	st.spaces = ipc_space_live();
	st.ports = ports_live();
	st.psets = ipc_kind_live(IPC_KIND_PSET);
	st.messages = ipc_kind_live(IPC_KIND_KMSG_S) +
	    ipc_kind_live(IPC_KIND_KMSG_M) + ipc_kind_live(IPC_KIND_KMSG_L) +
	    ipc_kind_objects(IPC_KIND_KMSG_HUGE);
	st.ool_bytes = ipc_kind_live(IPC_KIND_OOL);
	st.tables = ipc_kind_objects(IPC_KIND_TABLE);
	st.threads = ipc_thread_live();
	st.epoch_pending = ipc_epoch_pending_all();
	st.turnstiles = ipc_kind_objects(IPC_KIND_TURNSTILE);
	ipc_turnstile_stats(&ts);
	st.ts_walks = ts.tss_walks;
	st.ts_hops = ts.tss_hops;
	st.ts_hop_limit = ts.tss_hop_limit;
	st.os_applies = ts.tss_os_applies;
	st.os_apply_errors = ts.tss_os_errors;
	st.queued_bytes = ipc_queued_bytes();
	st.queued_bytes_limit = ipc_queued_limit();
	st.queued_bytes_refusals = ipc_queued_refusals();
	stats_fold(c);
	st.msgs_sent = c[IPC_STAT_SENT];
	st.msgs_received = c[IPC_STAT_RECEIVED];
	st.bytes_sent = c[IPC_STAT_BYTES_SENT];
	st.bytes_received = c[IPC_STAT_BYTES_RECEIVED];
	st.slow_paths = c[IPC_STAT_SLOW];
	st.blocks = c[IPC_STAT_BLOCKS];
	st.wakes = c[IPC_STAT_WAKES];
	st.notifications = c[IPC_STAT_NOTIFICATIONS];
	st.guard_exceptions = c[IPC_STAT_GUARDS];
	st.interrupts = c[IPC_STAT_INTERRUPTS];
	st.fd_signals = c[IPC_STAT_FD_SIGNALS];
	st.ool_cached_bytes = ipc_vm_cached_bytes();
	st.ool_cache_budget = ipc_vm_cache_budget();
	st.version = MIPC_STATS_VERSION;
	if (size > sizeof(st)) {
		memset((char *)out + sizeof(st), 0, size - sizeof(st));
		size = sizeof(st);
	}
	st.size = (uint32_t)size;
	memcpy(out, &st, size);
	return KERN_SUCCESS;
}

void
mipc_quiesce(void)
{
	struct ipc_thread *th = ipc_thread_self();
	int round;

	if (th == NULL)
		return;
	ipc_require(!ipc_epoch_inside(th),
	    "mipc_quiesce inside an epoch section (called from a signal "
	    "handler that interrupted a mipc call? mipc is not "
	    "async-signal-safe, see mipc.h)");
	ipc_port_retired_flush(th);
	/*
	 * Freeing an object may retire others (a table and its ports), so
	 * repeat while rounds find work; bounded, in case other threads keep
	 * retiring while we run.
	 */
	for (round = 0; round < 16; round++) {
		if (!quiesce_round())
			break;
	}
	th->th_defers = 0;
}
