/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard.h -- Mach port guard exceptions (guard.c): raised where found,
 * delivered once the entry point has dropped its locks.
 */
#ifndef MIPC_CORE_GUARD_H
#define MIPC_CORE_GUARD_H

#include "thread.h"

#include <mipc/types.h>

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

#endif /* MIPC_CORE_GUARD_H */
