/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * turnstile.h -- priority inheritance (turnstile.c): turnstiles, the
 * priority lists they and threads keep, donation, inheritors and the
 * propagation of pushes along chains of blocked threads.
 *
 * Owns:      struct ipc_turnstile, struct ipc_plist, struct ipc_ts_ctx.
 * Locking:   see turnstile.c: the primitive's interlock (a port lock or a
 *            workloop lock), then the turnstile's lock, then its
 *            inheritor's (a turnstile's lock, equal rank, or a thread's
 *            priority lock).  Walks run after every interlock is dropped.
 */
#ifndef MIPC_CORE_TURNSTILE_H
#define MIPC_CORE_TURNSTILE_H

#include "lock.h"

#include <mipc/types.h>

struct ipc_thread;

/* ------------------------------------------------------------------ */
/* Priority lists                                                      */

/*
 * A list ordered by priority, highest first, FIFO among equals: O(1) max
 * and removal, O(entries of higher or equal priority) insertion.  Both
 * turnstiles (waiters, pushing turnstiles) and threads (pushing
 * turnstiles) keep them; the lists are short (a few waiters per port).
 */
struct ipc_plist_node {
	struct ipc_plist_node *pn_next;
	struct ipc_plist_node *pn_prev;
	uint8_t pn_pri;
	bool pn_linked;
};

struct ipc_plist {
	struct ipc_plist_node *pl_head;
};

static inline uint8_t
ipc_plist_max(const struct ipc_plist *l)
{
	return l->pl_head != NULL ? l->pl_head->pn_pri : 0;
}

void ipc_plist_insert(
    struct ipc_plist *l, struct ipc_plist_node *n, uint8_t pri);
void ipc_plist_remove(struct ipc_plist *l, struct ipc_plist_node *n);

/* ------------------------------------------------------------------ */
/* Turnstiles                                                          */

enum ipc_ts_type {
	IPC_TS_SEND = 1, /* a port's send turnstile */
	IPC_TS_RECEIVE,  /* a special reply port's receive turnstile */
	IPC_TS_WORKLOOP, /* a workloop's turnstile */
	IPC_TS_STASH,    /* a workloop delivery's stash turnstile */
	IPC_TS_OWNED,    /* a thread's own, not donated */
};

enum ipc_ts_inheritor_kind {
	IPC_TSI_NONE,
	IPC_TSI_THREAD,
	IPC_TSI_TURNSTILE,
};

/*
 * Legend: (I) the primitive's interlock  (T) ts_lock  (H) the lock of
 * the object we push on  (A) atomic.
 */
struct ipc_turnstile {
	ipc_lock_t ts_lock;                /* IPC_RANK_TURNSTILE */
	struct ipc_plist ts_waiters;       /* (T) blocked threads, by push */
	struct ipc_plist ts_inheritor_q;   /* (T) turnstiles pushing on us */
	struct ipc_plist_node ts_inh_node; /* (H) our node in the inheritor's
	                                      queue */
	void *ts_inheritor;                /* (I, T) thread or turnstile,
	                                      referenced */
	uint8_t ts_inh_kind; /* (I, T) enum ipc_ts_inheritor_kind */
	uint8_t ts_priority; /* (T) what we push: max of both
	                                      lists; 0 for none */
	uint8_t ts_type;     /* (I) enum ipc_ts_type */
	uint8_t ts_cap;      /* (I) highest push given to a
	                                      thread: MAXPRI_USER or 127 */
	uint8_t ts_floor;    /* (T) pushed with no waiter: a workloop's floor */
	uint32_t ts_refs;    /* (A) owner, inheritor links, walks */
	uint32_t ts_gen;     /* (T) bumped at each donation */
	uint32_t ts_prim_count;        /* (I) non-waiter users (send) */
	uint32_t ts_donors;            /* (I) turnstiles donated to it,
	                                      itself included */
	const void *ts_proprietor;     /* (I) the port or workloop */
	struct ipc_turnstile *ts_free; /* (I) donated spares */
};

#define IPC_TS_CAP_USER 63 /* MAXPRI_USER */

struct ipc_turnstile *ipc_turnstile_alloc(void);
void ipc_turnstile_reference(struct ipc_turnstile *ts);
void ipc_turnstile_release(struct ipc_turnstile *ts);

/*
 * Work collected under an interlock and done once it is dropped (XNU's
 * turnstile_update_inheritor_complete and turnstile_cleanup): walks from
 * the objects whose priority may have changed, and the releases of the
 * references they hold.  On the caller's stack.
 */
#define IPC_TS_CTX_MAX 6

struct ipc_ts_ctx {
	struct {
		uint8_t tw_kind; /* IPC_TSI_THREAD / _TURNSTILE */
		void *tw_obj;    /* referenced */
	} tc_walk[IPC_TS_CTX_MAX];
	uint32_t tc_n;
};

/* No initialiser: a zeroed array would cost every caller a memset. */
static inline void
ipc_ts_ctx_init(struct ipc_ts_ctx *ctx)
{
	ctx->tc_n = 0;
}

/*
 * ipc_ts_ctx_finish
 *	Run the collected walks and drop their references; apply the OS
 *	priority of every thread whose effective priority changed.
 * Conditions:
 *	Nothing locked.  Never blocks (bounded walks, spinlocks only); may
 *	make setpriority()-like system calls (the OS policy).
 */
void ipc_ts_ctx_finish_slow(struct ipc_ts_ctx *ctx);

static inline void
ipc_ts_ctx_finish(struct ipc_ts_ctx *ctx)
{
	if (unlikely(ctx->tc_n != 0))
		ipc_ts_ctx_finish_slow(ctx);
}

/*
 * Donation (XNU's turnstile_prepare / turnstile_complete).  A blocking
 * thread (or a group of non-waiter users, see ts_prim_count) donates one
 * turnstile to the primitive: the first becomes the primitive's, later
 * ones wait on its free list; each leaver takes one back, the last the
 * primitive's own, after its inheritor is cleared.  So turnstiles are
 * never allocated on the blocking path and their number is the number
 * of threads plus the primitives held by non-waiters.
 * Conditions: the primitive's interlock held.
 */
struct ipc_turnstile *ipc_turnstile_prepare(struct ipc_turnstile **slot,
    struct ipc_turnstile *mine, const void *proprietor, uint8_t type);
struct ipc_turnstile *ipc_turnstile_complete(
    struct ipc_turnstile **slot, struct ipc_ts_ctx *ctx);

/*
 * Waiters.  Conditions: the primitive's interlock held; ts is its
 * turnstile.  The push changes are walked by ipc_ts_ctx_finish.
 */
void ipc_turnstile_wait_add(
    struct ipc_turnstile *ts, struct ipc_thread *th, struct ipc_ts_ctx *ctx);
void ipc_turnstile_wait_remove(
    struct ipc_turnstile *ts, struct ipc_thread *th, struct ipc_ts_ctx *ctx);
/* The highest waiter (FIFO among equals), or NULL. */
struct ipc_thread *ipc_turnstile_first_waiter(struct ipc_turnstile *ts);

/*
 * ipc_turnstile_set_inheritor
 *	Make ts push on `obj` (a thread or a turnstile, referenced here) or
 *	on nothing (IPC_TSI_NONE).
 * Conditions:
 *	The primitive's interlock held.  The walks (the old inheritor's
 *	demotion, the new one's promotion) run in ipc_ts_ctx_finish.
 */
void ipc_turnstile_set_inheritor(
    struct ipc_turnstile *ts, uint8_t kind, void *obj, struct ipc_ts_ctx *ctx);

/* Record a walk from a thread whose base priority changed, or from a
 * turnstile whose floor changed. */
void ipc_ts_ctx_add_thread(struct ipc_ts_ctx *ctx, struct ipc_thread *th);
void ipc_ts_ctx_add_turnstile(struct ipc_ts_ctx *ctx, struct ipc_turnstile *ts);

/* ------------------------------------------------------------------ */
/* Statistics                                                          */

struct ipc_ts_stats {
	uint64_t tss_walks;      /* propagation walks */
	uint64_t tss_hops;       /* hops taken by them */
	uint64_t tss_hop_limit;  /* walks stopped by the thread-hop limit */
	uint64_t tss_os_applies; /* OS priority changes applied */
	uint64_t tss_os_errors;  /* ... that the OS refused */
};

void ipc_turnstile_stats(struct ipc_ts_stats *out);
uint32_t ipc_turnstile_max_hops(void);

void ipc_turnstile_atfork_keep(struct ipc_turnstile *ts);

#endif /* MIPC_CORE_TURNSTILE_H */
