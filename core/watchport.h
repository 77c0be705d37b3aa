/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watchport.h -- watchports (watchport.c): ports whose pushes land on a
 * thread, XNU's posix_spawn importance watch ports (send case 3).
 */
#ifndef MIPC_CORE_WATCHPORT_H
#define MIPC_CORE_WATCHPORT_H

#include "base.h"
#include "port.h"

struct ipc_thread;
struct ipc_ts_ctx;

/* One watched port of a thread's set. */
struct ipc_watchport {
	struct ipc_watchports *wp_set; /* (C) */
	struct ipc_port *wp_port;      /* (tw_thread's th_lock) referenced;
	                                  NULL once detached */
};

/* A thread's watchports, XNU's struct task_watchports. */
struct ipc_watchports {
	struct ipc_thread *tw_thread; /* (C) referenced */
	uint32_t tw_count;            /* (C) */
	struct ipc_watchport tw_elem[];
};

/*
 * The thread a watched port pushes on (case 3), or NULL.
 * Conditions: port locked.
 */
struct ipc_thread *ipc_watchport_thread_locked(struct ipc_port *port);

/*
 * ipc_watchport_clear_locked
 *	The port stops being watched: it dies, or its receive right goes in
 *	transit (T6).  Its send turnstile's inheritor is recomputed
 *	by the caller.
 * Conditions:
 *	Port locked.  Returns the port reference the watchport held, for
 *	the caller to release once unlocked (NULL if none).
 */
struct ipc_port *ipc_watchport_clear_slow(struct ipc_port *port);

static inline struct ipc_port *
ipc_watchport_clear_locked(struct ipc_port *port)
{
	ipc_lock_assert_held(&port->ip_object.io_lock);
	if (likely(port->ip_cflags & IP_F_SPECIAL_REPLY) ||
	    likely(port->ip_watchport == NULL))
		return NULL;
	return ipc_watchport_clear_slow(port);
}

/* Clear a thread's watchports (mipc_thread_clear_watchports, exit). */
void ipc_watchports_clear(struct ipc_thread *th);

void ipc_watchport_atfork_child(void);

#endif /* MIPC_CORE_WATCHPORT_H */
