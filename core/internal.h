/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal.h -- types and helpers shared inside core/ (never installed).
 *
 * Owns:      the check tiers (ipc_require, ipc_assert_slow), the lock type
 *            with its rank witness, sanitizer annotations, the object kinds
 *            and the cache/allocation seam (cache.c), per-thread state and
 *            epoch sections (thread.c).
 * Locking:   ranks below, acquired in increasing order only.
 * Choices:   test builds (-DMIPC_TEST=1) turn on the hooks: failure
 *            injection, the lock witness, slow asserts.  They are gated by
 *            `static const bool`, never #ifdef, so every line always
 *            compiles (jemalloc's habit) and release builds drop them.
 *
 * Tests that look inside include this header and say why.
 */
#ifndef MIPC_CORE_INTERNAL_H
#define MIPC_CORE_INTERNAL_H

#include <arch.h>

#include <ck_epoch.h>
#include <ck_pr.h>
#include <ck_ring.h>
#include <ck_spinlock.h>

#include <mipc/mipc.h>
#include <mipc/port.h>
#include <mipc/mach.h>

#include <stdbool.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Compiler helpers                                                    */

#define likely(x)         __builtin_expect(!!(x), 1)
#define unlikely(x)       __builtin_expect(!!(x), 0)
#define IPC_COLD          __attribute__((cold, noinline))
#define IPC_NORETURN      __attribute__((noreturn))
#define IPC_PRINTF(a, b)  __attribute__((format(printf, a, b)))
#define IPC_CACHE_ALIGNED __attribute__((aligned(ARCH_CACHELINE)))

#define MIPC_STATIC_ASSERT(name, expr) _Static_assert(expr, #name)

#define ipc_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#ifndef MIPC_TEST
#define MIPC_TEST 0
#endif

/* Test hooks: failure injection, lock witness, slow asserts. */
static const bool ipc_test_hooks = MIPC_TEST;

/*
 * Slow-path entries of the calling thread (test builds): every lock taken,
 * allocator slow path and system call.  The fast paths must leave it
 * unchanged (tests/unit/fastpath.c).
 */
extern __thread uint64_t ipc_slow_entries;

static inline void
ipc_slow_note(void)
{
	if (ipc_test_hooks)
		ipc_slow_entries++;
}

/*
 * Yield points (test builds; STYLE Rule 13, after urcu's debug-yield.h):
 * where a deterministic scheduler (fuzz/fuzz_sched.c) may hand the CPU to
 * another thread, so that a schedule chosen by fuzzer input decides how
 * two threads' calls interleave.  IPC_YIELD_SPIN marks a wait for another
 * thread (a lock held, an earlier producer, a grace period): the hook must
 * let someone else run.  With no hook set (every normal test) they cost a
 * load; release builds drop them.
 */
enum ipc_yield_point {
	IPC_YIELD_LOCK,    /* about to take a lock */
	IPC_YIELD_SPIN,    /* waiting for another thread: must switch */
	IPC_YIELD_LOOKUP,  /* lock-free name lookup, entry bits read */
	IPC_YIELD_ENQUEUE, /* ring slot reserved, not yet published */
	IPC_YIELD_DEQUEUE, /* head slot copied, not yet claimed */
	IPC_YIELD_DESTROY, /* port marked dead, queue not yet drained */
	IPC_YIELD_BETWEEN, /* between two calls (the scheduler's own) */
};

typedef void (*ipc_yield_hook_t)(enum ipc_yield_point point);
extern ipc_yield_hook_t ipc_yield_hook; /* witness.c; set before threads */

static inline void
ipc_debug_yield(enum ipc_yield_point point)
{
	if (ipc_test_hooks && unlikely(ipc_yield_hook != NULL))
		ipc_yield_hook(point);
}

/* ------------------------------------------------------------------ */
/* Check tiers (STYLE Rule 8)                                          */

/* Stops the process, naming the broken invariant.  Always on. */
IPC_NORETURN IPC_COLD IPC_PRINTF(1, 2) void ipc_panic(const char *fmt, ...);

#define ipc_require(cond, what)                                               \
	do {                                                                  \
		if (unlikely(!(cond)))                                        \
			ipc_panic("mipc: invariant broken: %s (%s) at %s:%d", \
			    what, #cond, __FILE__, __LINE__);                 \
	} while (0)

/* O(n) checks; compiled always, evaluated only in test builds. */
#define ipc_assert_slow(cond, what)              \
	do {                                     \
		if (ipc_test_hooks)              \
			ipc_require(cond, what); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Sanitizer annotations                                               */
/*
 * ThreadSanitizer does not see ck_pr's inline assembly nor the rseq
 * sequences, so it misses the happens-before edges they create.  We name
 * those edges at their publication points instead of suppressing reports
 * (liburcu's annotate.h): a release on the publishing side, an acquire on
 * the consuming side, on the same address.
 */
#if defined(__SANITIZE_THREAD__)
#define MIPC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MIPC_TSAN 1
#endif
#endif
#ifndef MIPC_TSAN
#define MIPC_TSAN 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define MIPC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIPC_ASAN 1
#endif
#endif
#ifndef MIPC_ASAN
#define MIPC_ASAN 0
#endif

void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);

static inline void
ipc_tsan_acquire(void *addr)
{
#if MIPC_TSAN
	__tsan_acquire(addr);
#else
	(void)addr;
#endif
}

static inline void
ipc_tsan_release(void *addr)
{
#if MIPC_TSAN
	__tsan_release(addr);
#else
	(void)addr;
#endif
}

static inline void
ipc_asan_poison(void *addr, size_t size)
{
#if MIPC_ASAN
	__asan_poison_memory_region(addr, size);
#else
	(void)addr;
	(void)size;
#endif
}

static inline void
ipc_asan_unpoison(void *addr, size_t size)
{
#if MIPC_ASAN
	__asan_unpoison_memory_region(addr, size);
#else
	(void)addr;
	(void)size;
#endif
}

/* ------------------------------------------------------------------ */
/* Locks and ranks (STYLE Rule 9)                                      */

enum ipc_lock_rank { /* acquire in increasing order only */
	IPC_RANK_NONE = 0,
	IPC_RANK_GLOBAL = 1,   /* registry of spaces / threads */
	IPC_RANK_SPACE,        /* space write lock (table growth, slow paths) */
	IPC_RANK_TRANSIT,      /* in-transit ports, circularity (kmsg.c) */
	IPC_RANK_PORT,         /* port lock; the interlock of its turnstiles */
	IPC_RANK_TURNSTILE,    /* turnstile lock: ours, then the inheritor's */
	IPC_RANK_LEAF = 0x100, /* cache depot, stats: nothing nests inside */
};

/*
 * A spinlock with a rank.  Slow paths only: the fast paths are lock-free.
 * In test builds a per-thread witness checks that ranks only increase and
 * that _locked functions run with the lock held.
 */
typedef struct ipc_lock {
	ck_spinlock_fas_t il_lock;
	uint16_t il_rank;    /* (C) enum ipc_lock_rank */
	const char *il_name; /* (C) for witness reports */
} ipc_lock_t;

#define IPC_LOCK_INITIALIZER(rank, name)                    \
	{                                                   \
		CK_SPINLOCK_FAS_INITIALIZER, (rank), (name) \
	}

static inline void
ipc_lock_init(ipc_lock_t *l, enum ipc_lock_rank rank, const char *name)
{
	ck_spinlock_fas_init(&l->il_lock);
	l->il_rank = (uint16_t)rank;
	l->il_name = name;
}

void ipc_witness_acquire(ipc_lock_t *l);
void ipc_witness_release(ipc_lock_t *l);
bool ipc_witness_held(const ipc_lock_t *l);

/* Called on a rank inversion (test builds); default: ipc_panic. */
typedef void (*ipc_witness_hook_t)(
    const ipc_lock_t *held, const ipc_lock_t *taking);
extern ipc_witness_hook_t ipc_witness_hook;

static inline void
ipc_lock(ipc_lock_t *l)
{
	ipc_slow_note();
	if (ipc_test_hooks)
		ipc_witness_acquire(l);
	if (ipc_test_hooks && unlikely(ipc_yield_hook != NULL)) {
		/*
		 * A scheduled test: a busy lock's holder must get to run.
		 * Leaf locks (allocator depots, statistics) are no yield
		 * points: whether they are taken depends on cache history,
		 * not on the calls, and a schedule must replay exactly.
		 */
		if (l->il_rank != IPC_RANK_LEAF)
			ipc_yield_hook(IPC_YIELD_LOCK);
		while (!ck_spinlock_fas_trylock(&l->il_lock))
			ipc_yield_hook(IPC_YIELD_SPIN);
	} else {
		ck_spinlock_fas_lock(&l->il_lock);
	}
	/* A: pairs with the release in ipc_unlock(); for TSan's benefit. */
	ipc_tsan_acquire(l);
}

static inline bool
ipc_lock_try(ipc_lock_t *l)
{
	if (!ck_spinlock_fas_trylock(&l->il_lock))
		return false;
	ipc_tsan_acquire(l); /* A: as in ipc_lock() */
	if (ipc_test_hooks)
		ipc_witness_acquire(l);
	return true;
}

static inline void
ipc_unlock(ipc_lock_t *l)
{
	if (ipc_test_hooks)
		ipc_witness_release(l);
	ipc_tsan_release(l); /* R: pairs with the acquire in ipc_lock() */
	ck_spinlock_fas_unlock(&l->il_lock);
}

#define ipc_lock_assert_held(l)                                          \
	do {                                                             \
		if (ipc_test_hooks)                                      \
			ipc_require(ipc_witness_held(l),                 \
			    "lock held on entry to a _locked function"); \
	} while (0)

#define ipc_lock_assert_not_held(l)                                          \
	do {                                                                 \
		if (ipc_test_hooks)                                          \
			ipc_require(                                         \
			    !ipc_witness_held(l), "lock not held on entry"); \
	} while (0)

/* ------------------------------------------------------------------ */
/* Object kinds, caches and the allocation seam (cache.c)              */

/*
 * Every allocation in core/ names its kind: the kind picks the per-CPU
 * cache (fixed-size kinds) or goes straight to the backend (variable
 * size), keeps the live counter that mipc_get_stats() reports, and is the
 * unit of failure injection.
 */
enum ipc_kind {
	IPC_KIND_SPACE,     /* struct ipc_space            (cached) */
	IPC_KIND_PORT,      /* struct ipc_port             (cached) */
	IPC_KIND_PSET,      /* struct ipc_pset             (cached) */
	IPC_KIND_KMSG_S,    /* kmsg, small size class      (cached) */
	IPC_KIND_KMSG_M,    /* kmsg, medium size class     (cached) */
	IPC_KIND_KMSG_L,    /* kmsg, large size class      (cached) */
	IPC_KIND_KMSG_HUGE, /* kmsg beyond the classes     (sized) */
	IPC_KIND_TABLE,     /* name and request tables     (sized) */
	IPC_KIND_OOL,       /* out-of-line memory          (sized) */
	IPC_KIND_THREAD,    /* per-thread state            (sized) */
	IPC_KIND_MISC,      /* anything else               (sized) */
	IPC_KIND_COUNT,
	IPC_KIND_ANY = IPC_KIND_COUNT /* failure injection: any kind */
};

/* Object sizes of the cached kinds; each struct asserts it fits. */
#define IPC_SPACE_SIZE  256
#define IPC_PORT_SIZE   256
#define IPC_PSET_SIZE   128
#define IPC_KMSG_S_SIZE 256
#define IPC_KMSG_M_SIZE 1024
#define IPC_KMSG_L_SIZE 4096

/* Fixed-size objects of a cached kind; NULL when memory is exhausted. */
void *ipc_cache_alloc(enum ipc_kind kind);
void ipc_cache_free(enum ipc_kind kind, void *obj);

/*
 * The sized seam onto jemalloc (mallocx/sdallocx): every variable-size
 * allocation of core/ goes through it, so that kinds are counted and
 * failures can be injected.  ipc_free must be given the allocated size.
 */
void *ipc_alloc(enum ipc_kind kind, size_t size);
void *ipc_zalloc(enum ipc_kind kind, size_t size);
void ipc_free(enum ipc_kind kind, void *p, size_t size);

void ipc_kind_account(enum ipc_kind kind, int64_t bytes);

/* Live objects (cached kinds) or bytes (sized kinds) of one kind. */
uint64_t ipc_kind_live(enum ipc_kind kind);
const char *ipc_kind_name(enum ipc_kind kind);

/*
 * Failure injection (test builds; no-ops otherwise).
 * ipc_fail_nth(kind, n): the n-th allocation of `kind` from now fails
 * (n = 1 is the next one; 0 disarms).  IPC_KIND_ANY counts every kind.
 * ipc_alloc_count(kind): allocations attempted so far, for sweeps that
 * fail each allocation site in turn.
 */
void ipc_fail_nth(enum ipc_kind kind, uint64_t n);
uint64_t ipc_alloc_count(enum ipc_kind kind);
bool ipc_fail_check_slow(enum ipc_kind kind);

static inline bool
ipc_fail_check(enum ipc_kind kind)
{
	return ipc_test_hooks && ipc_fail_check_slow(kind);
}

/* ------------------------------------------------------------------ */
/* Per-thread state and epoch sections (thread.c)                      */

/*
 * (O) owning thread only.
 */
struct ipc_thread {
	ck_epoch_record_t *th_epoch; /* (O) our ck_epoch record */
	uint32_t th_defers;          /* (O) defers since last poll */
	struct mipc_space *th_space; /* (O) current space; NULL: default */
	uint32_t th_guard_n;         /* (O) guard violations pending */
	uint64_t th_srp_bind;        /* (O) special reply binding (reply.c) */
	struct ipc_guard_ev {
		mach_port_name_t ge_name;
		uint64_t ge_flavor;
		uint64_t ge_payload;
	} th_guard[4]; /* (O) raised under locks, delivered after (guard.c) */
};

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
	ck_epoch_begin(th->th_epoch, NULL);
}

static inline void
ipc_epoch_exit(struct ipc_thread *th)
{
	/* R: for TSan, pairs with the acquire before deferred frees run. */
	ipc_tsan_release(&ipc_epoch);
	ck_epoch_end(th->th_epoch, NULL);
	if (unlikely(th->th_defers >= IPC_EPOCH_POLL_EVERY))
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

void ipc_epoch_wait_readers(void);

/* Pending deferred frees of one thread (tests of the bound). */
unsigned int ipc_epoch_pending(const struct ipc_thread *th);

/* Threads with live state (mipc_get_stats). */
uint64_t ipc_thread_live(void);
uint64_t ipc_epoch_pending_all(void);

/* ------------------------------------------------------------------ */
/* Objects: ports and port sets                                        */
/*
 * Legend: (L) the object's lock  (S) the lock of the space holding the
 * receive right / the set  (A) atomic, order named at each access
 * (E) epoch-protected lock-free read  (C) constant after init.
 */

enum ipc_object_kind {
	IOT_PORT = 1,
	IOT_PSET = 2,
};

struct ipc_object {
	ipc_lock_t io_lock; /* rank IPC_RANK_PORT */
	uint32_t io_refs;   /* (A) references; the last frees via epoch */
	uint32_t io_kind;   /* (C) enum ipc_object_kind */
	struct ipc_deferred io_free; /* retirement through the epoch */
};

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
 * DEAD (ipc_port_destroy).  DEAD is final.
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

struct ipc_pset_link;
struct ipc_kmsg;

/* ---- notification requests (notify.c) ---- */

/*
 * A registered notification: the send-once right it fires through and the
 * message reserved for it at registration, so that once a request has
 * succeeded its notification cannot fail for lack of memory (XNU's
 * ip_premsg).
 */
struct ipc_notify_req {
	struct ipc_port *inr_port; /* send-once right: reference, sorights */
	struct ipc_kmsg *inr_msg;  /* the notification, preallocated */
};

/* One dead-name / send-possible request, indexed by the entry's ie_index. */
struct ipc_port_request {
	mach_port_name_t ipr_name;     /* the registrant's name */
	uint32_t ipr_flags;            /* IPR_* */
	struct ipc_notify_req ipr_req; /* inr_port NULL: slot free */
};

#define IPR_SEND_POSSIBLE 0x1u /* a send-possible request */
#define IPR_ARMED         0x2u /* armed: fires on the next dequeue */
#define IPR_DIED          0x4u /* fired DEAD_NAME when the port died */
#define IPR_FREE          0x8u /* free: ipr_name links the free list */

/* Slot 0 holds no request (ie_index 0 means "none"); its ipr_name heads
 * the free list. */
struct ipc_request_table {
	uint32_t irt_size; /* slots, including slot 0 */
	uint32_t irt_used; /* live requests */
	struct ipc_port_request irt_req[];
};

/* ---- message queues (mqueue.c) ---- */

/* One ring slot: the message and its size, for peeking without it. */
struct imq_slot {
	struct ipc_kmsg *ims_kmsg;
	uint32_t ims_size;
	uint32_t ims_pad;
};

#define IMQ_RING_SLOTS 16u /* power of two; overflow takes the rest */

struct imq_ring {
	ck_ring_t ir_ring;
	struct imq_slot ir_slots[IMQ_RING_SLOTS];
};

struct ipc_mqueue {
	uint32_t imq_count;            /* (A) messages queued */
	uint32_t imq_seq_base;         /* (A) ring position of seqno 0 */
	struct imq_ring *imq_ring;     /* (A) allocated on first send */
	uint32_t imq_rcv_seq;          /* (A) futex word of receivers */
	uint32_t imq_rcv_waiters;      /* (A) receivers about to sleep */
	uint32_t imq_snd_seq;          /* (A) futex word of blocked senders */
	uint32_t imq_snd_waiters;      /* (A) senders about to sleep */
	uint32_t imq_ovf_n;            /* (A) messages in the overflow list */
	ipc_lock_t imq_ovf_lock;       /* rank IPC_RANK_LEAF */
	struct ipc_kmsg *imq_ovf_head; /* (imq_ovf_lock) */
	struct ipc_kmsg *imq_ovf_tail; /* (imq_ovf_lock) */
};

enum imq_result { IMQ_EMPTY, IMQ_LEFT, IMQ_TAKEN };

/*
 * How a waiter waits before it sleeps: IPC_SPIN_PAUSES cheap re-checks (a
 * peer on another CPU usually answers within them), then IPC_SPIN_YIELDS
 * sched_yield()s, which on a shared CPU hand the slice to the very thread
 * we wait for instead of burning it, and cost one syscall elsewhere.
 */
#define IPC_SPIN_PAUSES 16
#define IPC_SPIN_YIELDS 8

/*
 * Copy a message body.  Mach messages are small and 4-byte multiples; a
 * 16-byte-chunk loop beats the string-move instruction a compiler emits
 * for a variable memcpy (its start-up cost is most of a 64-byte copy).
 */
static inline void
ipc_copy_msg(void *dst, const void *src, size_t size)
{
	char *d = dst;
	const char *s = src;

	if (size > 256) {
		memcpy(d, s, size);
		return;
	}
	for (; size >= 16; size -= 16, d += 16, s += 16)
		memcpy(d, s, 16);
	if (size >= 8) {
		memcpy(d, s, 8);
		size -= 8, d += 8, s += 8;
	}
	if (size >= 4) {
		memcpy(d, s, 4);
		size -= 4, d += 4, s += 4;
	}
	while (size-- > 0)
		*d++ = *s++;
}

/* One step of that wait; false when it is time to sleep. */
static inline bool
ipc_spin_step(unsigned int *spins)
{
	unsigned int n = (*spins)++;

	ipc_debug_yield(IPC_YIELD_SPIN);
	if (n < IPC_SPIN_PAUSES) {
		arch_cpu_relax();
		return true;
	}
	if (n < IPC_SPIN_PAUSES + IPC_SPIN_YIELDS) {
		sched_yield();
		return true;
	}
	return false;
}

/*
 * Field order is for the message path: what every send and receive
 * writes -- io_refs, ip_srights, imq_count -- shares the port's first
 * cache line with ip_state, so a message moves one port line between CPUs.
 */
struct ipc_port {
	struct ipc_object ip_object;
	uint32_t ip_state;                 /* (L) enum ipc_port_state */
	uint32_t ip_srights;               /* (A) send rights (H9) */
	struct ipc_mqueue ip_mq;           /* its own synchronisation */
	uint32_t ip_flags;                 /* (L) IP_F_* that change */
	uint32_t ip_cflags;                /* (C) IP_F_* fixed at creation */
	struct mipc_space *ip_receiver;    /* (L, A) IN_SPACE: the holder */
	mach_port_name_t ip_receiver_name; /* (L) IN_SPACE: its name there */
	uint32_t ip_mscount;               /* (L) make-send count */
	uint32_t ip_sorights;              /* (A) send-once rights */
	uint32_t ip_qlimit;                /* (L, A) queue limit */
	uint64_t ip_context;               /* (L) context, or guard value */
	struct ipc_port *ip_destination; /* (L) IN_TRANSIT: queue holding us */
	struct ipc_notify_req *ip_nsrequest; /* (L) no-senders request */
	struct ipc_notify_req *ip_pdrequest; /* (L) port-destroyed request */
	struct ipc_request_table
	    *ip_requests;               /* (L) dead-name, send-possible */
	uint32_t ip_sp_armed;           /* (A) armed send-possible */
	uint64_t ip_srp_bind;           /* (C) special reply binding, reply.c */
	struct ipc_pset_link *ip_psets; /* (S, E) sets we belong to */
};

MIPC_STATIC_ASSERT(
    port_fits_its_cache, sizeof(struct ipc_port) <= IPC_PORT_SIZE);

struct ipc_pset {
	struct ipc_object ips_object;
	struct mipc_space *ips_space;      /* (S) holder; NULL once destroyed */
	mach_port_name_t ips_name;         /* (S) its name there */
	struct ipc_pset_link *ips_members; /* (S, E) member ports */
	uint32_t ips_rcv_seq;              /* (A) futex word of receivers */
	uint32_t ips_rcv_waiters;          /* (A) receivers about to sleep */
	uint32_t ips_rotor;                /* (A) fairness: where to start */
};

MIPC_STATIC_ASSERT(
    pset_fits_its_cache, sizeof(struct ipc_pset) <= IPC_PSET_SIZE);

/* One membership: port in pset.  Both lists are (S). */
struct ipc_pset_link {
	struct ipc_port *pl_port;
	struct ipc_pset *pl_pset;
	struct ipc_pset_link *pl_next_in_port;
	struct ipc_pset_link *pl_next_in_pset;
	struct ipc_deferred pl_free; /* freed after a grace period */
};

static inline struct ipc_port *
ip_from_object(struct ipc_object *o)
{
	ipc_require(o == NULL || o->io_kind == IOT_PORT, "object is a port");
	return (struct ipc_port *)o;
}

static inline struct ipc_pset *
ips_from_object(struct ipc_object *o)
{
	ipc_require(
	    o == NULL || o->io_kind == IOT_PSET, "object is a port set");
	return (struct ipc_pset *)o;
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

static inline void
ip_set_receiver(
    struct ipc_port *port, struct mipc_space *space, mach_port_name_t name)
{
	ck_pr_store_ptr(&port->ip_receiver, space);
	port->ip_receiver_name = name;
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

void ipc_object_reference(struct ipc_object *o);
void ipc_object_release(struct ipc_object *o);

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

/* port.c */
struct ipc_port *ipc_port_alloc(void);
void ipc_port_destroy(struct ipc_port *port);
void ipc_port_clear_receiver_locked(struct ipc_port *port);
void ipc_port_release_send(struct ipc_port *port);
void ipc_port_destroy_sonce(struct ipc_port *port);
void ipc_port_srights_zero(struct ipc_port *port);
void ipc_port_release_sonce(struct ipc_port *port);
void ipc_port_release_receive(struct ipc_port *port);
void ipc_port_status_locked(struct ipc_port *port, mach_port_status_t *st);
kern_return_t ipc_port_alloc_init(struct mipc_space *space, uint32_t flags,
    uint64_t srp_bind, mach_port_name_t *namep);

/* reply.c */
mach_msg_return_t ipc_special_reply_sync_wait(
    struct ipc_thread *th, struct ipc_port *port, mach_port_name_t peer);

/* mqueue.c */
void ipc_mqueue_init(struct ipc_mqueue *mq);
void ipc_mqueue_fini(struct ipc_port *port);
bool ipc_mqueue_prepare(struct ipc_port *port);
bool ipc_mqueue_admit(struct ipc_port *port, bool limited);
void ipc_mqueue_enqueue(struct ipc_port *port, struct ipc_kmsg *kmsg);
enum imq_result ipc_mqueue_peek_take(struct ipc_port *port, uint32_t need_max,
    bool leave_large, struct ipc_kmsg **kmsgp, uint32_t *size, uint32_t *seqno);
uint32_t ipc_mqueue_count(struct ipc_port *port);
uint32_t ipc_mqueue_seqno(struct ipc_port *port);
void ipc_mqueue_set_seqno(struct ipc_port *port, uint32_t seqno);
void ipc_mqueue_set_qlimit(struct ipc_port *port, uint32_t qlimit);
void ipc_mqueue_drain(struct ipc_port *port);
void ipc_mqueue_wake_all(struct ipc_port *port);
kern_return_t ipc_mqueue_send_wait(
    struct ipc_port *port, const struct timespec *deadline);
bool ipc_futex_wait(
    uint32_t *word, uint32_t val, const struct timespec *deadline);
void ipc_futex_wake(uint32_t *word, int n);
void ipc_deadline(struct timespec *ts, uint32_t ms);

/* A right held by a call in progress: a port reference plus the right. */
struct ipc_right {
	struct ipc_port *ir_port; /* NULL with ir_dead: a dead right */
	mach_msg_type_name_t
	    ir_type;  /* MACH_MSG_TYPE_PORT_{RECEIVE,SEND,SEND_ONCE} */
	bool ir_dead; /* copied in from a dead name */
};

/* ---- messages (kmsg.c) ---- */

/* One descriptor after copyin. */
struct ipc_kdesc {
	uint32_t kd_type;   /* MACH_MSG_*_DESCRIPTOR */
	uint32_t kd_offset; /* of the user descriptor in the message */
	union {
		struct ipc_right kd_port; /* port and guarded port */
		struct {
			void *kd_addr; /* our vm region, or NULL */
			uint32_t kd_size;
		} kd_ool;
		struct {
			struct ipc_right *kd_rights; /* IPC_KIND_TABLE */
			uint32_t kd_count;
		} kd_oolp;
	};
};

#define IKM_F_RECEIVE 0x1u /* carries receive rights */
#define IKM_F_KERNEL  0x2u /* made by mipc: sender token {0, 1} */
#define IKM_F_LIMITED 0x4u /* admitted against qlimit */

/*
 * A message after copyin: rights and memory it carries are owned by it.
 * Followed by the message bytes as sent (header + body, ikm_size bytes),
 * then ikm_ndesc struct ipc_kdesc.
 */
struct ipc_kmsg {
	struct ipc_kmsg *ikm_next;  /* overflow list, destroy queue */
	uint32_t ikm_alloc;         /* bytes allocated */
	uint16_t ikm_kind;          /* enum ipc_kind it came from */
	uint16_t ikm_flags;         /* IKM_F_* */
	uint32_t ikm_size;          /* msgh_size: the send size */
	uint32_t ikm_ndesc;         /* copied-in descriptors */
	struct ipc_right ikm_dest;  /* the destination right */
	struct ipc_right ikm_reply; /* the reply right, if any */
	uint32_t ikm_sender;        /* sending space's serial */
	struct ipc_kdesc *ikm_desc; /* into this allocation */
	uint64_t ikm_pad;
	mach_msg_header_t ikm_header; /* followed by the body */
};

static inline char *
ikm_bytes(struct ipc_kmsg *k)
{
	return (char *)&k->ikm_header;
}

struct ipc_kmsg *ipc_kmsg_alloc(uint32_t size, uint32_t ndesc);
void ipc_kmsg_free(struct ipc_kmsg *kmsg);
void ipc_kmsg_destroy(struct ipc_kmsg *kmsg);
mach_msg_return_t ipc_kmsg_copyin(struct mipc_space *space,
    const mach_msg_header_t *msg, mach_msg_size_t send_size,
    mach_msg_option_t option, struct ipc_kmsg **kmsgp);
mach_msg_return_t ipc_kmsg_copyout(struct mipc_space *space,
    struct ipc_kmsg *kmsg, mach_msg_header_t *msg, mach_port_name_t rcv,
    mach_msg_option_t option, uint32_t seqno, struct ipc_port *port);
void ipc_kmsg_copyout_pseudo(
    struct mipc_space *space, struct ipc_kmsg *kmsg, mach_msg_header_t *msg);
void ipc_kmsg_too_large(struct ipc_kmsg *kmsg, mach_msg_header_t *msg,
    mach_msg_size_t rcv_size, mach_port_name_t rcv, mach_msg_option_t option,
    uint32_t seqno, struct ipc_port *port);
mach_msg_size_t ipc_trailer_size(mach_msg_option_t option);
bool ipc_port_check_circularity(struct ipc_port *port, struct ipc_port *dest);
void ipc_port_release_transit(struct ipc_port *port);
uint32_t ipc_space_serial(const struct mipc_space *space);

/* notify.c */
struct ipc_kmsg *ipc_notify_prealloc(void);
void ipc_notify_req_discard(struct ipc_notify_req *req);
void ipc_notify_req_send_once(struct ipc_notify_req *req);
void ipc_notify_send_once(struct ipc_port *port);
void ipc_notify_no_senders(struct ipc_notify_req *req, uint32_t mscount);
void ipc_notify_port_destroyed(
    struct ipc_notify_req *req, struct ipc_port *port);
void ipc_port_dnnotify(struct ipc_port *port);
void ipc_port_request_deleted(
    struct ipc_port *port, mach_port_name_t name, uint32_t index);
void ipc_port_spnotify(struct ipc_port *port);
bool ipc_port_request_arm_sp(struct ipc_port *port, uint32_t index);
uint32_t ipc_port_request_size(struct ipc_port *port);
bool ipc_port_request_is(
    struct ipc_port *port, mach_port_name_t name, uint32_t index, bool died);
void ipc_port_request_fini(struct ipc_port *port);

/* pset.c */
struct ipc_pset *ipc_pset_alloc(void);
void ipc_pset_destroy_locked(struct mipc_space *space, struct ipc_pset *pset);
void ipc_pset_unlink_port_locked(
    struct mipc_space *space, struct ipc_port *port);

bool ipc_pset_has_port(
    const struct ipc_pset *pset, const struct ipc_port *port);

/* ------------------------------------------------------------------ */
/* Spaces and entries (space.c)                                        */

/*
 * ie_bits encoding (XNU's ipc_entry.h masks):
 *   bits  0-15  user references (IE_BITS_UREFS)
 *   bits 16-20  MACH_PORT_TYPE_* of the rights held (IE_BITS_TYPE)
 *   bit  21     the name used to hold a receive right (IE_BITS_EX_RECEIVE,
 *               XNU's MACH_PORT_TYPE_EX_RECEIVE; never reported)
 *   bits 22-23  generation roll point: period 16 * (1 + value) uses
 *   bits 24-31  generation: the low byte of the name, (gen & 3) == 3
 * A free entry has type 0 and keeps its last generation.
 */
#define IE_BITS_UREFS_MASK 0x0000ffffu
#define IE_BITS_TYPE_MASK  0x001f0000u
#define IE_BITS_EX_RECEIVE 0x00200000u
#define IE_BITS_ROLL_MASK  0x00c00000u
#define IE_BITS_ROLL_SHIFT 22
#define IE_BITS_GEN_MASK   0xff000000u
#define IE_BITS_UREFS(b)   ((b)&IE_BITS_UREFS_MASK)
#define IE_BITS_TYPE(b)    ((b)&IE_BITS_TYPE_MASK)
#define IE_BITS_GEN(b)     ((b)&IE_BITS_GEN_MASK)

struct ipc_entry {
	struct ipc_object
	    *ie_object;    /* (S, E) port or set; NULL if dead/free */
	uint32_t ie_bits;  /* (S, E) see encoding above */
	uint32_t ie_index; /* (S) free: next free; used: request */
};

MIPC_STATIC_ASSERT(entry_is_16_bytes, sizeof(struct ipc_entry) == 16);

struct ipc_table {
	uint32_t it_size; /* (C) entries, a power of two */
	uint32_t it_pad;
	struct ipc_deferred it_free; /* retirement after growth */
	struct ipc_entry it_entries[];
};

#define IPC_TABLE_MIN 64u
#define IPC_TABLE_MAX (1u << 20) /* names index below this */

/* Reverse map port -> name, for send and receive rights (space.c). */
struct ipc_rmap_slot {
	struct ipc_port *rs_port; /* NULL: empty; IPC_RMAP_TOMB: deleted */
	mach_port_name_t rs_name;
	uint32_t rs_pad;
};

struct mipc_space {
	ipc_lock_t is_lock;                /* rank IPC_RANK_SPACE */
	struct ipc_table *is_table;        /* (S) writers, (E) readers */
	uint32_t is_active;                /* (S) 0 once destroyed; (A) hint */
	uint32_t is_free_head;             /* (S) first free index, 0: none */
	uint32_t is_refs;                  /* (A) creator + threads' current */
	uint32_t is_rand;                  /* (S) xorshift state */
	struct ipc_rmap_slot *is_rmap;     /* (S) open addressing */
	uint32_t is_rmap_mask;             /* (S) slots - 1 */
	uint32_t is_rmap_used;             /* (S) live + tombstones */
	struct mipc_space *is_zombie_next; /* (G) destroyed, waiting reap */
	uint32_t is_serial;                /* (C) for audit tokens */
};

MIPC_STATIC_ASSERT(
    space_fits_its_cache, sizeof(struct mipc_space) <= IPC_SPACE_SIZE);

static inline void
is_lock(struct mipc_space *space)
{
	ipc_lock(&space->is_lock);
}

static inline void
is_unlock(struct mipc_space *space)
{
	ipc_unlock(&space->is_lock);
}

/*
 * Active check for entry points.
 * Conditions: space locked.
 */
static inline kern_return_t
ipc_space_check(struct mipc_space *space)
{
	ipc_lock_assert_held(&space->is_lock);
	return space->is_active ? KERN_SUCCESS : KERN_INVALID_TASK;
}

/*
 * ipc_pset_remove_port_locked
 *	Take a port out of every set it is in (its receive right is leaving
 *	the space, or dying).
 * Conditions: the space that holds the receive right locked.
 */
static inline void
ipc_pset_remove_port_locked(struct mipc_space *space, struct ipc_port *port)
{
	ipc_lock_assert_held(&space->is_lock);
	if (port->ip_psets != NULL)
		ipc_pset_unlink_port_locked(space, port);
}

/*
 * ipc_entry_lookup
 *	The entry currently holding `name`, or NULL.
 * Conditions:
 *	Space locked, or the caller is inside an epoch section (then the
 *	entry may change under it: reread ie_bits to confirm a snapshot).
 *	A destroyed space has no table: every lookup fails.
 */
static inline struct ipc_entry *
ipc_entry_lookup(struct mipc_space *space, mach_port_name_t name)
{
	struct ipc_table *t = ck_pr_load_ptr(&space->is_table);
	uint32_t idx = MACH_PORT_INDEX(name), bits;
	struct ipc_entry *e;

	if (unlikely(t == NULL))
		return NULL;
	/* A5: pairs with R5 in table_grow(); the table is built. */
	ck_pr_fence_load();
	ipc_tsan_acquire(t);
	if (unlikely(idx - 1 >= t->it_size - 1))
		return NULL; /* index 0, or beyond the table */
	e = &t->it_entries[idx];
	bits = ck_pr_load_32(&e->ie_bits);
	ipc_debug_yield(IPC_YIELD_LOOKUP);
	if (unlikely(IE_BITS_TYPE(bits) == 0 ||
	        IE_BITS_GEN(bits) != MACH_PORT_GEN(name)))
		return NULL;
	return e;
}

/*
 * Publish an object in an entry (R8) / load it as a lock-free reader (A8):
 * the object is fully built before a reader can find it.  ck_pr is
 * invisible to TSan, hence the annotations.
 */
static inline void
ipc_entry_set_object(struct ipc_entry *e, struct ipc_object *o)
{
	if (o != NULL)
		ipc_tsan_release(o); /* R8 */
	ck_pr_store_ptr(&e->ie_object, o);
}

static inline struct ipc_object *
ipc_entry_load_object(const struct ipc_entry *e)
{
	struct ipc_object *o = ck_pr_load_ptr(&e->ie_object);

	if (o != NULL)
		ipc_tsan_acquire(o); /* A8: pairs with R8 */
	return o;
}
kern_return_t ipc_entry_alloc(struct mipc_space *space, mach_port_name_t *namep,
    struct ipc_entry **entryp);
kern_return_t ipc_entry_alloc_name(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry **entryp);
void ipc_entry_dealloc(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *entry);
bool ipc_rmap_lookup(struct mipc_space *space, const struct ipc_port *port,
    mach_port_name_t *namep);
bool ipc_rmap_insert(
    struct mipc_space *space, struct ipc_port *port, mach_port_name_t name);
void ipc_rmap_delete(struct mipc_space *space, const struct ipc_port *port);
void ipc_space_seed_set(uint32_t seed); /* test builds: replayable names */
void ipc_space_reap(void);
void ipc_thread_space_exit(struct ipc_thread *th);

/* ------------------------------------------------------------------ */
/* Rights (right.c)                                                    */

/* Copy-in flags */
#define IPC_COPYIN_DEAD_OK 0x1u /* dead names yield a dead right */
#define IPC_COPYIN_HEADER  0x2u /* in a message header (reply ports) */
#define IPC_COPYIN_ALLOW_IMMOVABLE_SEND \
	0x4u /* the right stays in its space (Q15) */
#define IPC_COPYIN_CHECKED \
	0x8u /* checked: a port dead since fails, KERN_ABORTED */

bool ipc_right_check(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *entry);
kern_return_t ipc_right_type_locked(struct mipc_space *space,
    mach_port_name_t name, struct ipc_entry *entry, mach_port_type_t *typep,
    mach_port_urefs_t *urefsp);
void ipc_right_peek_locked(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_type_t *typep);
kern_return_t ipc_right_copyin(struct mipc_space *space, mach_port_name_t name,
    mach_msg_type_name_t msgt, uint32_t flags, struct ipc_right *out);
kern_return_t ipc_right_copyout(
    struct mipc_space *space, struct ipc_right *right, mach_port_name_t *namep);
kern_return_t ipc_right_copyout_name(
    struct mipc_space *space, struct ipc_right *right, mach_port_name_t name);
void ipc_right_discard(struct ipc_right *right);
void ipc_right_terminate(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *entry, bool receive_pass);

/* ------------------------------------------------------------------ */
/* Guard exceptions (guard.c)                                          */

/* Record a violation; delivered by ipc_guard_flush() once unlocked. */
void ipc_guard_raise(mach_port_name_t name, uint64_t flavor, uint64_t payload);
void ipc_guard_deliver(struct mipc_space *space, struct ipc_thread *th);

/*
 * ipc_guard_flush
 *	Deliver the calling thread's pending violations, if any.
 * Conditions:
 *	Nothing locked (the handler may call into mipc).
 */
static inline void
ipc_guard_flush(struct mipc_space *space)
{
	struct ipc_thread *th = ipc_thread_cur;

	if (unlikely(th != NULL && th->th_guard_n != 0))
		ipc_guard_deliver(space, th);
}

/* ------------------------------------------------------------------ */
/* Exported Mach spellings                                             */

/* Export `mach` as another name of the native `native` (same TU). */
#define MIPC_MACH_ALIAS(native, mach)  \
	extern __typeof__(native) mach \
	    __attribute__((alias(#native), visibility("default")))

/* vm.c */
kern_return_t ipc_vm_alloc(vm_size_t size, void **out);
bool ipc_vm_owns(const void *addr, size_t size);
bool ipc_vm_take_region(void *addr, size_t size);
void ipc_vm_unregister(void *addr, size_t size);
void ipc_vm_register(void *addr, size_t size);
void ipc_vm_free_region(void *addr, size_t size);

#endif /* MIPC_CORE_INTERNAL_H */
