/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port.h -- port objects (port.c): states and their one transition
 * function, flags, struct ipc_port, lock-free accessors and right
 * counters, life cycle, and receive rights in transit.
 *
 * Owns:      struct ipc_port and the port state machine.
 * Locking:   ip_lock (IPC_RANK_PORT) covers the (L) fields; it nests
 *            inside the lock of the space holding the receive right.
 */
#ifndef MIPC_CORE_PORT_H
#define MIPC_CORE_PORT_H

#include "cache.h"
#include "mqueue.h"
#include "object.h"

#include <ck_pr.h>
#include <mipc/port.h>
#include <mipc/types.h>

struct ipc_notify_req;
struct ipc_pset_link;
struct ipc_request_table;
struct ipc_thread;
struct mipc_space;

/*
 * Port states (ip_state), one encoding table:
 *
 *   state         ip_receiver   ip_destination   meaning
 *   IN_SPACE      space         NULL             receive right under a name
 *   IN_LIMBO      NULL          NULL             receive right copied in,
 *                                                held by a call in progress
 *   IN_TRANSIT    NULL          port             receive right in a message
 *                                                queued on ip_destination
 *   DEAD          NULL          NULL             destroyed; names lazily die
 *
 * Transitions: IN_SPACE <-> IN_LIMBO (copyin / copyout of the receive
 * right), IN_LIMBO <-> IN_TRANSIT (enqueue / dequeue), any live state ->
 * DEAD (ipc_port_destroy).  DEAD is final.  Every change goes through
 * ip_state_set(), which checks the transition is one of these, or
 * ip_state_move() (flat paths: from a state they settled, checked when
 * compiled).
 */
enum ipc_port_state {
	IP_IN_SPACE = 1,
	IP_IN_LIMBO,
	IP_IN_TRANSIT,
	IP_DEAD,
};

/*
 * IP_F_* bits: the first four and TEMPOWNER / IMP_DONATION live in ip_flags
 * (L) and change; the rest are set once at creation in ip_cflags (C).
 */
#define IP_F_GUARDED           0x0001u /* context is a guard */
#define IP_F_STRICT            0x0002u /* strict guard */
#define IP_F_IMMOVABLE_RECEIVE 0x0004u /* receive right may not move */
#define IP_F_GUARD_IMMOVABLE   0x0008u /* immovable set through a guard */
#define IP_F_NO_GRANT          0x0010u /* no rights may be sent to it */
#define IP_F_TEMPOWNER         0x0020u /* importance: temp owner */
#define IP_F_IMP_DONATION      0x0040u /* importance donation */
#define IP_F_REPLY_PORT        0x0080u /* MPO_REPLY_PORT */
#define IP_F_PROVISIONAL_REPLY 0x0100u /* MPO_PROVISIONAL_REPLY_PORT */
#define IP_F_ENFORCE_REPLY     0x0200u /* MPO_ENFORCE_REPLY_PORT_SEMANTICS */
#define IP_F_SPECIAL_REPLY     0x0400u /* thread special reply port */
#define IP_F_EXCEPTION_PORT    0x0800u /* MPO_EXCEPTION_PORT */
#define IP_F_CONNECTION_PORT   0x1000u /* MPO_CONNECTION_PORT */
#define IP_F_IMMOVABLE_SEND    0x2000u /* send rights stay in their space */
/* (L) in transit, holding a push link on its destination's turnstile */
#define IP_F_TRANSIT_PUSH 0x4000u
/* (L) the receive right of a sync bootstrap check-in's reply (case 6) */
#define IP_F_CHECKIN_RIGHT 0x8000u
/* (L) a no-senders request is being armed (notify.c): its arming thread
 * decides once implicit senders in flight have published (port.c) */
#define IP_F_NS_ARMING 0x20000u
/* (L) the send rights reached zero while it was being armed */
#define IP_F_NS_ZERO 0x40000u
/*
 * (C) a kernel-object port (kobject.c): its receive right is held by the
 * library, its messages served in the sender's thread.  Its type (enum
 * ipc_kotype) is in the top byte of ip_cflags, its object in ip_kobject.
 */
#define IP_F_KOBJECT    0x10000u
#define IP_KOTYPE_SHIFT 24
#define ip_kotype(port) ((port)->ip_cflags >> IP_KOTYPE_SHIFT)

/*
 * ip_rcv_hooks (A): a receiver's dequeue looks at this one word and calls
 * out only when it is non-zero (mqueue.c): the count of armed
 * send-possible requests (port_request.c), and IP_RCV_HOOK_FD while an
 * event-loop descriptor mirrors the port or a set it is in (waitfd.c,
 * under the holder's space lock), and IP_RCV_HOOK_PEEK while
 * mach_port_peek reads a queued message (set and cleared under the port
 * lock, so one peeker at a time: mqueue.c, "Peeking at a message").
 */
#define IP_RCV_HOOK_FD      0x80000000u
#define IP_RCV_HOOK_NS      0x40000000u /* a no-senders request armed */
#define IP_RCV_HOOK_PEEK    0x20000000u /* a peek in progress */
#define IP_RCV_HOOK_SP_MASK 0x1fffffffu

/* ip_sync_flags (A): sync IPC state that lock-free paths set. */
#define IP_SYNC_MSG_SENT \
	0x1u /* SRP: a message reached it since its
                                  owner last received (lost links) */
#define IP_SYNC_LOST_LINK \
	0x2u /* SRP: its link was cut before a reply
                                  (S6, S7: reset_link reports it) */
#define IP_SYNC_BOOTSTRAP \
	0x4u /* SRP: a sync bootstrap check-in's
                                  (case 1); port: received in its reply
                                  (case 6) */

/*
 * Field order is for the message path: what every send and receive
 * writes -- io_refs, ip_srights, and an RPC's sync link --
 * shares the port's first cache line with ip_state and the constant
 * flags both paths test, so a message moves one port line between CPUs.
 */
struct ipc_port {
	struct ipc_object ip_object;
	uint32_t ip_state;              /* (L) enum ipc_port_state */
	uint32_t ip_srights;            /* (A) send rights (H9) */
	void *ip_sync_link;             /* (A; L once W) special reply port: its
	                        sync-IPC link word (reply.c) */
	uint32_t ip_cflags;             /* (C) IP_F_* fixed at creation */
	uint32_t ip_flags;              /* (L) IP_F_* that change */
	struct ipc_mqueue ip_mq;        /* its own synchronisation */
	struct mipc_space *ip_receiver; /* (L, A) IN_SPACE: the holder */
	mach_port_name_t ip_receiver_name; /* (L, A) IN_SPACE: its name there */
	uint32_t ip_mscount;               /* (L) make-send count */
	uint32_t ip_sorights;              /* (A) send-once rights */
	uint32_t ip_qlimit;                /* (L, A) queue limit */
	uint64_t ip_context;               /* (L) context, or guard value */
	union {
		struct ipc_port *ip_destination;  /* (L) IN_TRANSIT: queue
		                                     holding us */
		struct ipc_port *ip_retired_next; /* dead and unreferenced:
		                                     the next of its batch
		                                     (port.c, the retiring
		                                     thread's) */
	};
	struct ipc_notify_req *ip_nsrequest; /* (L) no-senders request */
	struct ipc_notify_req *ip_pdrequest; /* (L) port-destroyed request */
	struct ipc_request_table
	    *ip_requests;       /* (L) dead-name, send-possible */
	uint32_t ip_rcv_hooks;  /* (A) what a dequeue must tell:
	                           IP_RCV_HOOK_* */
	uint32_t ip_sync_flags; /* (A) IP_SYNC_*, sync IPC (reply.c) */
	union {
		uint64_t ip_srp_bind; /* (C) special reply port: its
		                         binding (reply.c) */
		void *ip_kobject;     /* (C) kobject port: the object it
		                         stands for (kobject.c) */
	};
	struct ipc_pset_link *ip_psets;   /* (S, E) sets we belong to */
	struct ipc_turnstile *ip_send_ts; /* (L) blocked senders and pushes
	                                     on the port (send cases) */
	union {
		struct ipc_turnstile *ip_rcv_ts;    /* (L) special reply port:
		                                       its waiter's turnstile */
		struct ipc_watchport *ip_watchport; /* (L) other ports: the
		                                       thread watching it */
	};
	union {
		struct ipc_thread *ip_srp_owner;  /* (L) special reply port:
		                                    bound thread, referenced */
		struct ipc_workloop *ip_workloop; /* (L) other ports: the
		                                     workloop attached (case 7),
		                                     referenced (workloop.c) */
	};
	struct ipc_deferred ip_free; /* retirement through the epoch */
};

MIPC_STATIC_ASSERT(port_hot_fields_share_a_line,
    offsetof(struct ipc_port, ip_mq) + sizeof(uint32_t) <= 64);

MIPC_STATIC_ASSERT(
    port_fits_its_cache, sizeof(struct ipc_port) <= IPC_PORT_SIZE);

static inline struct ipc_port *
ip_from_object(struct ipc_object *o)
{
	ipc_require(o == NULL || o->io_kind == IOT_PORT, "object is a port");
	return (struct ipc_port *)o;
}

static inline void
ip_lock(struct ipc_port *port)
{
	ipc_lock(&port->ip_object.io_lock);
}

static inline void
ip_unlock(struct ipc_port *port)
{
	ipc_unlock(&port->ip_object.io_lock);
}

/*
 * The space holding port's receive right.  Written under the port lock and
 * the holder's space lock; read without the port lock by a space that only
 * asks "is it me?" -- the answer cannot change without its own lock.
 */
static inline struct mipc_space *
ip_receiver(const struct ipc_port *port)
{
	/* Relaxed: see above. */
	return ck_pr_load_ptr(&port->ip_receiver);
}

/*
 * Bind or unbind the receive right.  Conditions: port locked, and the
 * space lock of the holder (old or new).  A set receiver reads the
 * binding lock-free (ip_receiver_name_in): the name is stored before the
 * holder that makes it valid, and the holder cleared before the name.
 */
static inline void
ip_set_receiver(
    struct ipc_port *port, struct mipc_space *space, mach_port_name_t name)
{
	if (space != NULL) {
		ck_pr_store_32(&port->ip_receiver_name, name);
		ck_pr_fence_store(); /* [R14]: the name before the holder */
		ck_pr_store_ptr(&port->ip_receiver, space);
	} else {
		ck_pr_store_ptr(&port->ip_receiver, NULL);
		ck_pr_fence_store(); /* [R14]: the holder cleared first */
		ck_pr_store_32(&port->ip_receiver_name, name);
	}
}

/*
 * The receive right's name, read without the port lock by a receiver that
 * found the port in its space inside an epoch section: a port dying (or
 * moving) meanwhile may give the old name or none, never a torn one.  A
 * set receiver needs the name that goes with the holder it checked:
 * ip_receiver_name_in.
 */
static inline mach_port_name_t
ip_receiver_name_hint(const struct ipc_port *port)
{
	/* Relaxed: see above. */
	return ck_pr_load_32(&port->ip_receiver_name);
}

/*
 * ip_receiver_name_in
 *	Is port's receive right held by space, and under which name?  Read
 *	lock-free by a set receiver (msg.c try_set) that holds neither lock:
 *	the holder, the name, the holder again -- the name is the one of a
 *	binding to space that held across the read.
 * Conditions: inside an epoch section (port is a set member's).
 */
static inline bool
ip_receiver_name_in(const struct ipc_port *port, struct mipc_space *space,
    mach_port_name_t *namep)
{
	if (ck_pr_load_ptr(&port->ip_receiver) != space)
		return false;
	ck_pr_fence_load(); /* [A14]: the holder before its name */
	*namep = ck_pr_load_32(&port->ip_receiver_name);
	ck_pr_fence_load(); /* [A14]: the name before the holder again */
	return ck_pr_load_ptr(&port->ip_receiver) == space;
}

static inline bool
ip_active(const struct ipc_port *port)
{
	/* Relaxed: a hint outside the lock; decisions retake it. */
	return ck_pr_load_32(&port->ip_state) != IP_DEAD;
}

/*
 * Right counters.  Atomic, so that the fast paths copy and consume send
 * rights without the port lock.  A copy of an existing send right uses
 * ip_srights_inc_nonzero: it cannot raise a count that reached zero (and
 * may have fired no-senders), so a copy racing the last release either
 * happened before it or fails over to the locked path, where the name is
 * gone.  Only a MAKE_SEND, under the port lock, raises it from zero.
 * ip_srights does not count the implicit send rights of messages the send
 * fast path queued (port.c, "Implicit send rights"): the port's send
 * rights are ipc_port_srights_total.
 */
static inline void
ip_srights_inc(struct ipc_port *port)
{
	ck_pr_inc_32(&port->ip_srights); /* Relaxed: a counter */
}

static inline bool
ip_srights_inc_nonzero(struct ipc_port *port)
{
	uint32_t n = ck_pr_load_32(&port->ip_srights);

	while (n != 0) {
		/* Relaxed use: the count orders nothing by itself. */
		if (ck_pr_cas_32_value(&port->ip_srights, n, n + 1, &n))
			return true;
	}
	return false;
}

/* Returns the count after the decrement. */
static inline uint32_t
ip_srights_dec(struct ipc_port *port)
{
	uint32_t n = ck_pr_faa_32(&port->ip_srights, (uint32_t)-1);

	ipc_require(n != 0, "send rights never underflow");
	return n - 1;
}

static inline uint32_t
ip_srights(const struct ipc_port *port)
{
	return ck_pr_load_32(&port->ip_srights);
}

static inline void
ip_sorights_inc(struct ipc_port *port)
{
	ck_pr_inc_32(&port->ip_sorights); /* Relaxed: a counter */
}

static inline void
ip_sorights_dec(struct ipc_port *port)
{
	uint32_t n = ck_pr_faa_32(&port->ip_sorights, (uint32_t)-1);

	ipc_require(n != 0, "send-once rights never underflow");
}

static inline void
ip_reference(struct ipc_port *port)
{
	ipc_object_reference(&port->ip_object);
}

static inline void
ip_release(struct ipc_port *port)
{
	ipc_object_release(&port->ip_object);
}

/* Whether from -> to is one of the transitions of the table above. */
static inline __attribute__((always_inline)) bool
ip_state_legal(uint32_t from, enum ipc_port_state to)
{
	switch (to) {
	case IP_IN_SPACE:
	case IP_IN_TRANSIT:
		return from == IP_IN_LIMBO;
	case IP_IN_LIMBO:
		return from == IP_IN_SPACE || from == IP_IN_TRANSIT;
	case IP_DEAD:
		return from == IP_IN_SPACE || from == IP_IN_LIMBO;
	default:
		return false;
	}
}

/*
 * ip_state_set
 *	Move port to state `to`; the transition must be one of the table
 *	above (an illegal one is a bug and stops the process).
 * Conditions:
 *	Port locked, or not yet published (a new port in its creator's
 *	hands, or one whose creation failed), or unreferenced
 *	(ipc_port_die_quiet: its caller is its only user).
 */
static inline void
ip_state_set(struct ipc_port *port, enum ipc_port_state to)
{
	ipc_require(ip_state_legal(port->ip_state, to),
	    "a legal port state transition");
	/*
	 * Relaxed: lock-free readers take ip_state as a hint (ip_active) and
	 * decide under the lock; a port's death is published to them by
	 * ip_state_set_dead's swap ([F1]).
	 */
	ck_pr_store_32(&port->ip_state, to);
}

/*
 * ip_state_move
 *	ip_state_set from the state `from` that the caller's path settled
 *	(a constant: the transition's legality folds when compiled, and
 *	test builds check the port is in it), for the flat paths: a
 *	port they just made (IN_LIMBO), or the port of a receive right
 *	under a name (IN_SPACE).
 * Conditions: as ip_state_set's.
 */
static inline __attribute__((always_inline)) void
ip_state_move(
    struct ipc_port *port, enum ipc_port_state from, enum ipc_port_state to)
{
	ipc_assert_slow(port->ip_state == from, "the state the path settled");
	ipc_require(ip_state_legal(from, to), "a legal port state transition");
	ck_pr_store_32(&port->ip_state, to); /* Relaxed: as ip_state_set */
}

/*
 * ip_state_set_dead
 *	A receive right's destruction: the port goes DEAD by an atomic swap,
 *	the one fenced step of its death.  [F1]: ipc_mqueue_wake_all reads
 *	the waiter counts after it with IPC_WAKE_AFTER_ATOMIC's fence, free
 *	on x86 (a full fence after a plain store cost a quarter of a quiet
 *	port's allocate + destroy there).
 * Conditions: port locked, IN_SPACE or IN_LIMBO (ipc_port_destroy).
 */
static inline void
ip_state_set_dead(struct ipc_port *port)
{
	uint32_t from = port->ip_state;

	ipc_require(from == IP_IN_SPACE || from == IP_IN_LIMBO,
	    "a legal port state transition");
	(void)ck_pr_fas_32(&port->ip_state, IP_DEAD); /* [F1] */
}

struct ipc_port *ipc_port_alloc(void);
void ipc_port_destroy(struct ipc_port *port);
bool ipc_port_destroy_busy(struct ipc_port *port);

/*
 * Whether a port has anything port_destroy_sync undoes: a special reply
 * port, a watchport or workloop (unions with the SRP's fields), a sync
 * link, a send turnstile.
 */
static inline bool
port_has_sync_state(const struct ipc_port *port)
{
	return (port->ip_cflags & IP_F_SPECIAL_REPLY) ||
	    port->ip_watchport != NULL || port->ip_workloop != NULL ||
	    port->ip_sync_link != NULL || port->ip_send_ts != NULL;
}

/* Bare ports retire in batches of this many (port.c says why). */
#define IPC_PORT_RETIRE_BATCH 16

void ipc_port_retired_flush(struct ipc_thread *th);
void ipc_port_retire_orphan(struct ipc_port *port);

/*
 * ipc_port_retire_bare
 *	A bare port's retirement: into th's batch (th may be NULL: a thread
 *	that is exiting, through the epoch alone).
 * Conditions: port dead, bare, its last reference gone.
 */
static inline void
ipc_port_retire_bare(struct ipc_thread *th, struct ipc_port *port)
{
	uint32_t n;

	if (unlikely(th == NULL)) {
		ipc_port_retire_orphan(port);
		return;
	}
	n = th->th_nretired + 1;
	port->ip_retired_next = th->th_retired;
	th->th_retired = port;
	/* (A): mipc_get_stats reads it. */
	ck_pr_store_32(&th->th_nretired, n);
	if (n == IPC_PORT_RETIRE_BATCH)
		ipc_port_retired_flush(th);
}

/*
 * ipc_port_quiet
 *	Whether the port of a receive right whose entry holds its only
 *	reference (receive_destroy_flat, right.c: it read io_refs == 1
 *	under the lock of the space holding the entry, and saw no set,
 *	port-destroyed request, context, guard or special reply port) is
 *	quiet.  The count 1 makes the caller the port's only user: whoever
 *	takes the port lock, waits on its queues or mirrors them in a
 *	waitfd holds a reference or shows in the waiter counts (object.h,
 *	Lifetime), and a reader whose reference_try lands after the read is
 *	erased and touches nothing (space.h) -- so what the space lock does
 *	not settle is exact here, and nobody writes it: plain loads, after
 *	[A7], which the compiler folds into the test.  A port with anything
 *	more (a send right or request, a queue, waiters or a waitfd, sync
 *	state but a special reply port's, which the caller excluded) is not
 *	quiet: the caller gives it ipc_port_destroy_busy (the general death
 *	under the port lock, with the entry's reference).  Otherwise the
 *	caller erases the count (space.h) and ipc_port_die_quiet.
 * Conditions: the space lock held; io_refs read 1; the caller saw no
 *	special reply port.
 */
static inline __attribute__((always_inline)) bool
ipc_port_quiet(struct ipc_port *port)
{
	const struct ipc_mqueue *mq = &port->ip_mq;
	uintptr_t busy;

	/* [A7]: every releaser's accesses before the count the caller read
	 * ([R7]). */
	ck_pr_fence_acquire();
	ipc_tsan_acquire(&port->ip_object);
	busy = (uintptr_t)port->ip_nsrequest | (uintptr_t)port->ip_requests |
	    (uintptr_t)mq->imq_ring | (uintptr_t)port->ip_watchport |
	    (uintptr_t)port->ip_workloop | (uintptr_t)port->ip_sync_link |
	    (uintptr_t)port->ip_send_ts |
	    (port->ip_srights | mq->imq_ovf_n | mq->imq_rcv_wq.wq_waiters |
	        mq->imq_snd_wq.wq_waiters | port->ip_rcv_hooks);
	return busy == 0;
}

/*
 * ipc_port_die_quiet
 *	A quiet port's death (ipc_port_quiet said so, its count erased to 0
 *	and its entry gone, under the space lock now dropped): DEAD with a
 *	plain store (no waiter to order against: [F1] is for waiters), into
 *	th's retirement batch at once.  Readers that still see the port through
 *	a stale entry find it unreferenceable, then DEAD, with no queue:
 *	they take their general paths, which find the entry gone.  Returns
 *	whether the batch is full: the caller then calls
 *	ipc_port_retired_flush(th) (after its own work: the flat path's
 *	only call).
 * Conditions: nothing locked; ipc_port_quiet returned true, the count
 *	erased, the entry gone; th the calling thread's state.
 */
static inline __attribute__((always_inline)) bool
ipc_port_die_quiet(struct ipc_thread *th, struct ipc_port *port)
{
	uint32_t n;

	ip_set_receiver(port, NULL, MACH_PORT_NULL);
	ip_state_move(port, IP_IN_SPACE, IP_DEAD); /* its receive right's */
	ipc_debug_yield(IPC_YIELD_DESTROY);
	/* ipc_object_retire, whose tests ipc_port_quiet made: a port, dead,
	 * bare.  ipc_port_retire_bare, the flush left to the caller. */
	n = th->th_nretired + 1;
	port->ip_retired_next = th->th_retired;
	th->th_retired = port;
	/* (A): mipc_get_stats reads it. */
	ck_pr_store_32(&th->th_nretired, n);
	ipc_debug_yield(IPC_YIELD_RETIRE);
	return n == IPC_PORT_RETIRE_BATCH;
}

/*
 * Receive rights the calling thread made (mach_port_allocate RECEIVE,
 * port.c) or destroyed by name (destroy, mod_refs RECEIVE -1, destruct,
 * right.c) by their flat paths (test builds): tests/unit/right.c checks
 * which cases take them.
 */
extern __thread uint64_t ipc_port_flat_ops;

static inline void
ipc_port_flat_note(void)
{
	if (ipc_test_hooks)
		ipc_port_flat_ops++;
}
void ipc_port_kept_drain(struct ipc_thread *th);
struct ipc_ts_ctx;
struct ipc_workloop;
struct ipc_workloop *ipc_port_clear_receiver_locked(
    struct ipc_port *port, struct ipc_ts_ctx *ctx);
void ipc_port_release_send(struct ipc_port *port);
void ipc_port_destroy_sonce(struct ipc_port *port);
void ipc_port_srights_zero(struct ipc_port *port);
void ipc_port_ns_check(struct ipc_port *port);
void ipc_port_ns_armed(struct ipc_port *port, bool now);
uint32_t ipc_port_srights_total(struct ipc_port *port);
void ipc_port_release_sonce(struct ipc_port *port);
void ipc_port_release_receive(struct ipc_port *port);
void ipc_port_status_locked(struct ipc_port *port, mach_port_status_t *st);
kern_return_t ipc_port_alloc_init(struct mipc_space *space, uint32_t flags,
    uint64_t srp_bind, mach_port_name_t *namep);

/*
 * Send turnstiles (turnstile.c, the seed's ipc_port_send_update_inheritor).
 * prepare/complete count a non-waiter user of the port's send turnstile
 * (a linked special reply port, a port in transit to it): prepare may
 * allocate one (false when memory is exhausted: then no push).
 * Conditions: nothing locked; the caller holds a port reference.
 */
bool ipc_port_send_turnstile_prepare(struct ipc_port *port);
void ipc_port_send_turnstile_complete(struct ipc_port *port);
/*
 * Recompute whom the send turnstile pushes on, if the port has one.
 * Conditions: port locked; the walk runs in ipc_ts_ctx_finish.
 */
struct ipc_ts_ctx;
void ipc_port_send_turnstile_recompute_slow(
    struct ipc_port *port, struct ipc_ts_ctx *ctx);

static inline void
ipc_port_send_turnstile_recompute_locked(
    struct ipc_port *port, struct ipc_ts_ctx *ctx)
{
	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (unlikely(port->ip_send_ts != NULL))
		ipc_port_send_turnstile_recompute_slow(port, ctx);
}

/* A port's sync link (send cases 4-6): port.c. */
struct ipc_link_old;
void ipc_port_sync_reset_locked(struct ipc_port *port, struct ipc_link_old *lo);
void ipc_port_sync_unstash(struct ipc_port *port, struct ipc_workloop *wl);
void ipc_port_copyout_receive(struct ipc_port *port);
void ipc_port_sync_received_slow(struct ipc_port *port);

/* A message was received on port: case 6 ends (check-in rights). */
static inline void
ipc_port_sync_received(struct ipc_port *port)
{
	if (unlikely(port->ip_sync_link != NULL) &&
	    !(port->ip_cflags & IP_F_SPECIAL_REPLY))
		ipc_port_sync_received_slow(port);
}

/* Receive rights in transit (N). */
bool ipc_port_check_circularity(struct ipc_port *port, struct ipc_port *dest);
void ipc_port_release_transit(struct ipc_port *port);

void ipc_port_atfork_child(void);

#endif /* MIPC_CORE_PORT_H */
