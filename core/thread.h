/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.h -- per-thread state (thread.c) and epoch sections: the
 * lock-free readers' protection and deferred frees.
 *
 * Owns:      struct ipc_thread, ipc_thread_self(), ipc_epoch_enter/exit,
 *            struct ipc_deferred and ipc_epoch_defer(), grace periods.
 */
#ifndef MIPC_CORE_THREAD_H
#define MIPC_CORE_THREAD_H

#include "base.h"

#include <ck_epoch.h>
#include <mipc/types.h>

struct mipc_space;

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

#endif /* MIPC_CORE_THREAD_H */
