/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard.c -- Mach port guard exceptions: recorded where a violation is
 * found (often under a space or port lock), delivered to the user's
 * handler once the entry point has dropped its locks.
 *
 * Owns:      the handler (mipc_set_guard_handler) and each thread's pending
 *            violations (ipc_guard_pending, thread-local: a thread with no
 *            struct ipc_thread yet -- its first mipc call -- records its
 *            violations all the same, and recording never allocates).
 * Locking:   guard_lock (IPC_RANK_LEAF) covers the handler pair; the
 *            handler itself runs with no mipc lock held, so it may call
 *            into mipc.
 * Choices:   XNU delivers EXC_GUARD asynchronously (at AST) after the call
 *            returned its code; we call the handler just before returning.
 *            With no handler, fatal flavors (<= kGUARD_EXC_MSG_FILTERED)
 *            print and abort, as XNU terminates the task;
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
#include <string.h>

__thread struct ipc_guard_pending ipc_guard_pending
    __attribute__((tls_model("initial-exec")));

static ipc_lock_t guard_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "guard handler");
static mipc_guard_handler_t guard_fn; /* (guard_lock) */
static void *guard_ctx;               /* (guard_lock) */

/*
 * fork(): the handler pair is kept in the child, so it must not be caught
 * half-written: the forking thread holds guard_lock across fork().
 */
void
ipc_guard_atfork_prepare(void)
{
	ipc_lock(&guard_lock);
}

void
ipc_guard_atfork_after(void)
{
	ipc_unlock(&guard_lock);
}

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
	struct ipc_guard_pending *gp = &ipc_guard_pending;

	ipc_require(
	    gp->gp_n < IPC_GUARD_PENDING_MAX, "guard violations per call");
	ipc_stat_note(IPC_STAT_GUARDS, 1);
	gp->gp_ev[gp->gp_n].ge_name = name;
	gp->gp_ev[gp->gp_n].ge_flavor = flavor;
	gp->gp_ev[gp->gp_n].ge_payload = payload;
	gp->gp_n++;
}

/*
 * ipc_guard_deliver
 *	Deliver the violations the calling thread recorded (ipc_guard_flush,
 *	guard.h, calls here when there are any).
 * Conditions:
 *	Nothing locked (the handler may call into mipc).
 */
void
ipc_guard_deliver(struct mipc_space *space)
{
	/* The caller holds the space: its handle is still the live one. */
	ipc_guard_deliver_task(space != NULL ? ipc_space_handle(space) : NULL);
}

void
ipc_guard_deliver_task(mipc_space_t task)
{
	struct ipc_guard_ev ev[IPC_GUARD_PENDING_MAX];
	mipc_guard_handler_t fn;
	void *ctx;
	uint32_t i, n;

	/* Taken out first: the handler may call into mipc and raise more. */
	n = ipc_guard_pending.gp_n;
	memcpy(ev, ipc_guard_pending.gp_ev, n * sizeof(ev[0]));
	ipc_guard_pending.gp_n = 0;
	ipc_lock(&guard_lock);
	fn = guard_fn;
	ctx = guard_ctx;
	ipc_unlock(&guard_lock);
	for (i = 0; i < n; i++) {
		if (fn != NULL) {
			fn(task, ev[i].ge_name, ev[i].ge_flavor,
			    ev[i].ge_payload, ctx);
		} else if (ev[i].ge_flavor <= kGUARD_EXC_MSG_FILTERED) {
			fprintf(stderr,
			    "mipc: fatal Mach port guard exception: flavor "
			    "%llu "
			    "on name 0x%x (payload 0x%llx); no handler set, "
			    "terminating as XNU would\n",
			    (unsigned long long)ev[i].ge_flavor, ev[i].ge_name,
			    (unsigned long long)ev[i].ge_payload);
			abort();
		}
	}
}
