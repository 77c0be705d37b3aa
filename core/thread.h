/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.h -- per-thread state (thread.c): the epoch record and sections
 * (the lock-free readers' protection, deferred frees), priorities and the
 * turnstile each thread owns (turnstile.c), parking, handles.
 *
 * Owns:      struct ipc_thread, ipc_thread_self(), ipc_epoch_enter/exit,
 *            struct ipc_deferred and ipc_epoch_defer(), grace periods, the
 *            registry of live threads, the per-thread counters
 *            (ipc_stat_*) that mipc_get_stats folds.
 * Locking:   th_lock (IPC_RANK_THREAD, above every turnstile lock) covers
 *            the priority fields, the pushes the thread receives and the
 *            waitq it sleeps on (th_waitq, for mipc_thread_abort).
 *            ipc_threads_lock (IPC_RANK_LEAF) covers the registry.
 * Lifetime:  a thread's state is created on first use and referenced by
 *            the thread itself until it exits, by user handles
 *            (mipc_thread_retain) and by every turnstile that pushes on
 *            it; the last reference frees it.
 */
#ifndef MIPC_CORE_THREAD_H
#define MIPC_CORE_THREAD_H

#include "base.h"
#include "lock.h"
#include "turnstile.h"

#include <ck_epoch.h>
#include <mipc/port.h>
#include <mipc/types.h>
#include <sys/types.h>

struct ipc_port;
struct ipc_waitq;
struct ipc_watchports;
struct mipc_space;

/*
 * Monotonic counters (mipc_get_stats).  Each thread counts its own, on a
 * line no other thread writes: the message paths pay a plain load-add-store
 * and no locked instruction; mipc_get_stats folds the live threads' with
 * what exited threads left (thread.c).
 */
enum ipc_stat {
	IPC_STAT_SENT,           /* messages sent (queued or delivered) */
	IPC_STAT_RECEIVED,       /* messages received (copied out) */
	IPC_STAT_BYTES_SENT,     /* their sizes (msgh_size) */
	IPC_STAT_BYTES_RECEIVED, /* ... */
	IPC_STAT_SLOW,           /* sends the fast path declined, receives
	                            that found nothing and waited */
	IPC_STAT_BLOCKS,         /* sleeps in the kernel (futex waits) */
	IPC_STAT_WAKES,          /* wake-up system calls made */
	IPC_STAT_NOTIFICATIONS,  /* notifications queued */
	IPC_STAT_GUARDS,         /* guard exceptions raised */
	IPC_STAT_INTERRUPTS,     /* waits ended by a signal or an abort */
	IPC_STAT_FD_SIGNALS,     /* event-loop fd writes (waitfd.c) */
	IPC_STAT_COUNT
};

/*
 * Legend: (O) owning thread only  (H) th_lock  (A) atomic  (C) constant
 * (W) the lock of the turnstile the thread waits on.
 */
struct ipc_thread {
	ck_epoch_record_t *th_epoch; /* (O) our ck_epoch record */
	uint32_t th_defers;          /* (O) defers since last poll */
	uint32_t th_nretired;        /* (O) writes, (A) reads: th_retired's */
	uint32_t th_nkept;           /* (O) writes, (A) reads: th_kept's */
	struct ipc_port *th_kept;    /* (O) freed ports kept for our next
	                                allocations (port.c) */
	struct ipc_port *th_retired; /* (O) dead bare ports waiting to
	                                be retired as one batch (port.c) */
	uint32_t th_refs;            /* (A) self until exit, handles, pushes */
	mipc_space_t th_space;       /* (O) current space; NULL: default */
	mipc_space_t th_task_space;  /* (O) the space th_task_name is of */
	mach_port_name_t th_task_name; /* (O) its self name, as found last
	                                  (task.c's cache; never stale) */
	uint64_t th_srp_bind;          /* (O) special reply binding (reply.c) */
	mach_port_name_t
	    th_srp_name; /* (O) its name (mig_get_special_reply_port) */
	struct mipc_space *th_slot; /* (O) the slot of the space handle
	                               get_refs or a flat allocate/destroy
	                               resolved last: a hint, NULL or any
	                               slot (right.c, space.h) */

	/* Priorities (turnstile.c) */
	ipc_lock_t th_lock;                  /* IPC_RANK_THREAD */
	pid_t th_tid;                        /* (C) the OS thread */
	uint8_t th_base;                     /* (H) set by the user */
	uint8_t th_qos;                      /* (H) the base's QoS class */
	uint8_t th_promotion;                /* (H) max push received, capped */
	uint8_t th_effective;                /* (H, A) max(base, promotion) */
	bool th_dead;                        /* (H, A) exited */
	struct ipc_plist th_inheritor_q;     /* (H) turnstiles pushing on us */
	struct ipc_plist_node th_wait_node;  /* (W) our node in its waiters */
	struct ipc_turnstile *th_blocked_on; /* (H, W) what we wait on */
	struct ipc_turnstile *th_turnstile;  /* (O) ours; NULL while donated */
	struct ipc_watchports *th_watchports; /* (H) watchport.c */
	struct ipc_port *th_srp; /* (H) bound special reply port, weak:
	                                   cleared by its death (reply.c) */
	struct ipc_workloop *th_servicing; /* (O) the workloop we copy out
	                                      through (XNU's ith_knote) */
	struct ipc_workloop *th_bound_wl;  /* (O) the workloop we service,
	                                      bound (XNU's uu_kqr_bound) */

	/* What we are blocked on, for introspection (sync.h) */
	uint32_t th_wait_kind;         /* (A) MIPC_WAIT_* */
	mach_port_name_t th_wait_name; /* (A) its name in our space */

	/* Parking: blocked senders sleep on their own word (waitq.c) */
	uint32_t th_park;       /* (A) futex word */
	uint32_t th_park_state; /* (A) why we were woken */

	/* OS priority, applied after locks are dropped (turnstile.c) */
	uint32_t th_os_busy;   /* (A) an applier runs */
	uint8_t th_os_want;    /* (A) effective to apply */
	uint8_t th_os_applied; /* (th_os_busy) what the OS has */
	uint8_t th_os_hold;    /* (O) writes, (A) reads: the OS keeps
	                          th_os_applied from falling (a bound
	                          servicer's delivery, workloop.c) */
	uint32_t th_os_stale;  /* (A) our own lowering, made without
	                          th_os_busy, may have landed after the
	                          call th_os_applied says */
	uint32_t th_os_gen;    /* (th_os_busy) calls made under it */

	/* Cancellation (waitq.c): mipc_thread_abort */
	uint32_t th_abort;          /* (A) an abort is pending */
	struct ipc_waitq *th_waitq; /* (H) the waitq we sleep on, if any */
	const void *th_wait_obj;    /* (A) the port or set we are blocked
	                                on, compared only (mipc_space_dump) */

	/* Registry and counters (thread.c) */
	struct ipc_thread *th_reg_next;    /* (ipc_threads_lock) live list */
	uint64_t th_stats[IPC_STAT_COUNT]; /* (O) writes, (A) reads */
};

void ipc_thread_reference(struct ipc_thread *th);
void ipc_thread_release(struct ipc_thread *th);

/* XNU's priority -> QoS class (thread_user_promotion_qos_for_pri). */
uint8_t ipc_qos_for_priority(uint8_t pri);
/* The priority a thread at nice `nice` starts with (turnstile.c). */
int ipc_priority_from_nice(int nice);
/* The thread exits: no OS priority call reaches it again (turnstile.c). */
void ipc_thread_os_fini(struct ipc_thread *th);
/*
 * The calling thread's OS priority stops falling (hold) or follows its
 * effective priority again, the deferred fall applied now (turnstile.c).
 */
void ipc_thread_os_hold(struct ipc_thread *th, bool hold);

/* The calling thread's state, created on first use; NULL if out of memory. */
extern __thread struct ipc_thread *ipc_thread_cur
    __attribute__((tls_model("initial-exec")));
struct ipc_thread *ipc_thread_init_slow(void);

static inline struct ipc_thread *
ipc_thread_self(void)
{
	struct ipc_thread *th = ipc_thread_cur;

	if (likely(th != NULL))
		return th;
	return ipc_thread_init_slow();
}

/* Epoch sections: lock-free readers of tables and ports. */
#define IPC_EPOCH_POLL_EVERY 32 /* defers between reclamation polls */

extern ck_epoch_t ipc_epoch;
void ipc_epoch_poll_slow(struct ipc_thread *th);

/*
 * ipc_epoch_enter / ipc_epoch_exit
 *	Open and close a read section: objects retired through
 *	ipc_epoch_defer() are not freed while a section that could have seen
 *	them is open.  Sections nest.  Never block inside one.
 * Conditions:
 *	th is ipc_thread_self().  No lock needed; never allocates.
 *	Exit is a safe point: with no section left open it reclaims when
 *	IPC_EPOCH_POLL_EVERY frees are pending.
 */
static inline void
ipc_epoch_enter(struct ipc_thread *th)
{
	ck_epoch_record_t *r = th->th_epoch;

	/* Nested sections are rare: ck's exchange on the straight path. */
	if (likely(r->active == 0)) {
		ck_epoch_begin(r, NULL);
		return;
	}
	ck_epoch_begin(r, NULL);
}

/*
 * ipc_epoch_enter_outer
 *	ipc_epoch_enter for a caller that has just found ipc_epoch_inside(th)
 *	false: ck's nesting test folds away, its exchange on the straight
 *	path.  (active changes only on this thread, and a signal handler's
 *	sections close before it returns.)
 */
static inline void
ipc_epoch_enter_outer(struct ipc_thread *th)
{
	ck_epoch_record_t *r = th->th_epoch;

	if (r->active != 0)
		__builtin_unreachable();
	ck_epoch_begin(r, NULL);
}

/*
 * ipc_epoch_exit_poll_due
 *	ipc_epoch_exit but its poll: true when the caller must now call
 *	ipc_epoch_poll_slow(th) (a fast path that ends in that call as a
 *	tail call, keeping no frame for it).
 */
static inline bool
ipc_epoch_exit_poll_due(struct ipc_thread *th)
{
	/* R: for TSan, pairs with the acquire before deferred frees run. */
	ipc_tsan_release(&ipc_epoch);
	ck_epoch_end(th->th_epoch, NULL);
	return unlikely(th->th_defers >= IPC_EPOCH_POLL_EVERY);
}

static inline void
ipc_epoch_exit(struct ipc_thread *th)
{
	if (ipc_epoch_exit_poll_due(th))
		ipc_epoch_poll_slow(th);
}

static inline bool
ipc_epoch_inside(const struct ipc_thread *th)
{
	return th->th_epoch->active != 0;
}

/*
 * A retired object embeds one of these.  id_fn runs once the grace period
 * has passed, on whichever thread reclaims (usually the retiring one).
 */
struct ipc_deferred {
	ck_epoch_entry_t id_ck;
	void (*id_fn)(struct ipc_deferred *d);
};

/*
 * ipc_epoch_defer
 *	Run fn(d) once every section open now has closed.
 * Conditions:
 *	Any lock state; inside or outside a section.  Never blocks or
 *	allocates: d is embedded in the retired object.
 */
void ipc_epoch_defer(struct ipc_thread *th, struct ipc_deferred *d,
    void (*fn)(struct ipc_deferred *d));
/*
 * The same for d standing for `objects` objects freed together (a batch):
 * reclamation is polled as often as if each had been deferred alone.
 */
void ipc_epoch_defer_n(struct ipc_thread *th, struct ipc_deferred *d,
    void (*fn)(struct ipc_deferred *d), uint32_t objects);

void ipc_epoch_wait_readers(void);

/* Pending deferred frees of one thread (tests of the bound). */
unsigned int ipc_epoch_pending(const struct ipc_thread *th);

/* Threads with live state (mipc_get_stats). */
uint64_t ipc_thread_live(void);
uint64_t ipc_epoch_pending_all(void);

void ipc_thread_atfork_child(void);
void ipc_fork_init(void); /* fork.c */

/*
 * ipc_stat_add
 *	Count n events of kind s on th's own counters: arch_counter_add, no
 *	locked instruction (one add to memory on x86-64) -- th is the only
 *	writer, mipc_get_stats a reader (relaxed atomic loads).
 * Conditions: th is the calling thread's state.
 */
static inline void
ipc_stat_add(struct ipc_thread *th, enum ipc_stat s, uint64_t n)
{
	arch_counter_add(&th->th_stats[s], n);
}

/* A thread without state (out of memory) counts in a shared atomic. */
void ipc_stat_add_orphan(enum ipc_stat s, uint64_t n);

/* Count on the calling thread, whatever its state. */
static inline void
ipc_stat_note(enum ipc_stat s, uint64_t n)
{
	struct ipc_thread *th = ipc_thread_cur;

	if (likely(th != NULL))
		ipc_stat_add(th, s, n);
	else
		ipc_stat_add_orphan(s, n);
}

/*
 * ipc_thread_foreach
 *	Call fn(th, arg) for every thread with live state, under the
 *	registry lock (IPC_RANK_LEAF: fn takes no lock; it reads (A) fields).
 *	th stays valid during the call.
 */
void ipc_thread_foreach(
    void (*fn)(struct ipc_thread *th, void *arg), void *arg);

#endif /* MIPC_CORE_THREAD_H */
