/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard.c -- Mach port guard exceptions: recorded where a violation is
 * found (often under a space or port lock), delivered to the user's
 * handler once the entry point has dropped its locks.
 *
 * Owns:      the handler (mipc_set_guard_handler) and each thread's pending
 *            violations (struct ipc_thread th_guard).
 * Locking:   guard_lock (IPC_RANK_LEAF) covers the handler pair; the
 *            handler itself runs with no mipc lock held, so it may call
 *            into mipc.
 * Choices:   XNU delivers EXC_GUARD asynchronously (at AST) after the call
 *            returned its code; we call the handler just before returning.
 *            With no handler, fatal flavors (<= kGUARD_EXC_MSG_FILTERED,
 *            MACH.md 0) print and abort, as XNU terminates the task;
 *            optional and soft flavors are dropped, as a task without
 *            TASK_EXC_GUARD_MP_DELIVER sees.  At most four violations are
 *            kept per call; more are a bug (ipc_require).
 */
#include "guard.h"

#include "lock.h"
#include "space.h"
#include "thread.h"

#include <mipc/port.h>
#include <stdio.h>
#include <stdlib.h>

static ipc_lock_t guard_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "guard handler");
static mipc_guard_handler_t guard_fn; /* (guard_lock) */
static void *guard_ctx;               /* (guard_lock) */

void
mipc_set_guard_handler(mipc_guard_handler_t fn, void *ctx)
{
	ipc_lock(&guard_lock);
	guard_fn = fn;
	guard_ctx = ctx;
	ipc_unlock(&guard_lock);
}

/*
 * ipc_guard_raise
 *	Record a violation by the calling thread.
 * Conditions:
 *	Any locks held.  Never blocks or allocates.
 */
void
ipc_guard_raise(mach_port_name_t name, uint64_t flavor, uint64_t payload)
{
	struct ipc_thread *th = ipc_thread_cur;

	if (th == NULL)
		return; /* no state: no mipc call can be in progress */
	ipc_require(th->th_guard_n < 4, "guard violations per call");
	th->th_guard[th->th_guard_n].ge_name = name;
	th->th_guard[th->th_guard_n].ge_flavor = flavor;
	th->th_guard[th->th_guard_n].ge_payload = payload;
	th->th_guard_n++;
}

/*
 * ipc_guard_deliver
 *	Deliver the violations the calling thread recorded (ipc_guard_flush,
 *	guard.h, calls here when there are any).
 * Conditions:
 *	Nothing locked (the handler may call into mipc).
 */
void
ipc_guard_deliver(struct mipc_space *space, struct ipc_thread *th)
{
	mipc_guard_handler_t fn;
	void *ctx;
	uint32_t i, n;

	n = th->th_guard_n;
	th->th_guard_n = 0;
	ipc_lock(&guard_lock);
	fn = guard_fn;
	ctx = guard_ctx;
	ipc_unlock(&guard_lock);
	for (i = 0; i < n; i++) {
		struct ipc_guard_ev ev = th->th_guard[i];

		if (fn != NULL) {
			fn(space, ev.ge_name, ev.ge_flavor, ev.ge_payload, ctx);
		} else if (ev.ge_flavor <= kGUARD_EXC_MSG_FILTERED) {
			fprintf(stderr,
			    "mipc: fatal Mach port guard exception: flavor "
			    "%llu "
			    "on name 0x%x (payload 0x%llx); no handler set, "
			    "terminating as XNU would\n",
			    (unsigned long long)ev.ge_flavor, ev.ge_name,
			    (unsigned long long)ev.ge_payload);
			abort();
		}
	}
}
