/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard.h -- Mach port guard exceptions (guard.c): raised where found,
 * delivered once the entry point has dropped its locks.
 */
#ifndef MIPC_CORE_GUARD_H
#define MIPC_CORE_GUARD_H

#include "base.h"

#include <mipc/port.h>
#include <mipc/types.h>

struct mipc_space;

#define IPC_GUARD_PENDING_MAX 4 /* violations one call may raise */

/*
 * The calling thread's violations raised and not yet delivered: guard.c's
 * own thread-local storage, not struct ipc_thread, so that a violation is
 * recorded on any thread -- one whose first mipc call this is has no
 * per-thread state yet -- and recording never allocates.  (O)
 */
struct ipc_guard_pending {
	uint32_t gp_n;
	struct ipc_guard_ev {
		mach_port_name_t ge_name;
		uint64_t ge_flavor;
		uint64_t ge_payload;
	} gp_ev[IPC_GUARD_PENDING_MAX];
};

extern __thread struct ipc_guard_pending ipc_guard_pending
    __attribute__((tls_model("initial-exec")));

/* Record a violation; delivered by ipc_guard_flush() once unlocked. */
void ipc_guard_raise(mach_port_name_t name, uint64_t flavor, uint64_t payload);
void ipc_guard_deliver(struct mipc_space *space);
void ipc_guard_deliver_task(mipc_space_t task);

/*
 * ipc_guard_flush
 *	Deliver the calling thread's pending violations, if any.
 * Conditions:
 *	Nothing locked (the handler may call into mipc).
 */
static inline void
ipc_guard_flush(struct mipc_space *space)
{
	if (unlikely(ipc_guard_pending.gp_n != 0))
		ipc_guard_deliver(space);
}

/*
 * ipc_guard_flush_task
 *	As ipc_guard_flush, for a caller that holds no reference on the space
 *	any more (a lock-free receive): the handler gets the handle it used.
 */
static inline void
ipc_guard_flush_task(mipc_space_t task)
{
	if (unlikely(ipc_guard_pending.gp_n != 0))
		ipc_guard_deliver_task(task);
}

void ipc_guard_atfork_prepare(void);
void ipc_guard_atfork_after(void);

#endif /* MIPC_CORE_GUARD_H */
