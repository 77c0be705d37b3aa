/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fork.c -- what a forked child gets: a fresh, empty library.
 *
 * Owns:      the pthread_atfork handlers.
 * Locking:   prepare takes guard_lock (the one piece of state the child
 *            keeps, the guard handler); the child handler takes no lock.
 * Choices:   XNU's answer, not pthread_atfork locking of everything.  A
 *            task XNU forks gets a brand-new, empty IPC space
 *            (ipc_task_init; only special ports are copied, and mipc has
 *            none), so the child starts with no spaces: every handle of
 *            the parent is refused in the child (KERN_INVALID_TASK), its
 *            default space is new, nothing of the parent is counted live.
 *            Taking every lock around fork() could not work here: port
 *            and space locks are unbounded in number, and ring tickets,
 *            epoch sections and rseq sequences of threads that do not
 *            exist in the child are no locks at all.  So the child
 *            abandons the parent's objects (copy-on-write pages it never
 *            touches) and re-initialises every global: caches, the epoch
 *            (with the forking thread's record alone), space slots (all
 *            free, handles spent, so no task port of theirs survives:
 *            the child's first mach_task_self() makes its fresh default
 *            space's), the vm registry and region cache, the bootstrap
 *            namespace and the host port, the server loops' registry, the
 *            event-loop descriptors' table (the parent's eventfds stay
 *            open, unused), the leak records, the thread registry and
 *            counters, global locks.  The
 *            forking thread keeps its state, with the default space as
 *            its current space.  The parent is untouched.
 *            Not supported: fork() from a signal handler that interrupted
 *            a mipc call (mipc is not async-signal-safe, mipc.h); vfork
 *            and posix_spawn run no handlers and need none (the child
 *            only execs).
 */
#include "bootstrap.h"
#include "cache.h"
#include "guard.h"
#include "introspect.h"
#include "lock.h"
#include "port.h"
#include "server.h"
#include "space.h"
#include "task.h"
#include "thread.h"
#include "vm.h"
#include "waitfd.h"
#include "watchport.h"

#include <pthread.h>

static void
fork_prepare(void)
{
	ipc_guard_atfork_prepare();
}

static void
fork_parent(void)
{
	ipc_guard_atfork_after();
}

/* Order: counters first (later steps re-account what the child keeps). */
static void
fork_child(void)
{
	ipc_lock_atfork_child();
	ipc_guard_atfork_after();
	ipc_cache_atfork_child();
	ipc_thread_atfork_child();
	ipc_space_atfork_child();
	ipc_port_atfork_child();
	ipc_watchport_atfork_child();
	ipc_vm_atfork_child();
	ipc_bootstrap_atfork_child();
	ipc_task_atfork_child();
	ipc_server_atfork_child();
	ipc_waitfd_atfork_child();
	ipc_leak_atfork_child();
}

/*
 * Called from thread.c's constructor (a constructor alone would not pull
 * this file out of a static library).
 */
void
ipc_fork_init(void)
{
	ipc_require(pthread_atfork(fork_prepare, fork_parent, fork_child) == 0,
	    "pthread_atfork handlers");
}
