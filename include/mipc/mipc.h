/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mipc.h -- umbrella header, and the library-wide calls: statistics,
 * quiescence and the bound on queued message bytes.
 *
 * mipc is Mach port IPC as a user-space library: spaces of port names,
 * receive / send / send-once rights, messages, notifications and port sets
 * with XNU's semantics and return codes.  Include <mipc/mach.h> for the
 * Mach spellings; this header declares what has no Mach equivalent.
 *
 * Threads: every call is thread-safe.  Space handles and how long they
 * are honoured, and what a forked child gets: <mipc/port.h>.
 *
 * Signals: no mipc call is async-signal-safe: calls take locks and
 * allocate memory, as malloc does.  A signal handler may call mipc only
 * when the code it interrupted is inside neither mipc nor the memory
 * allocator -- the rule for malloc.  A handler that re-enters mipc on a
 * thread already inside a mipc call is not supported; where it would
 * deadlock on a lock its own thread holds, the process stops instead with
 * a message naming the cause (test builds: the lock witness reports it at
 * the first lock).  To act on a signal, hand it to a thread --
 * signalfd(2), sigwait(3), or a pipe the handler write(2)s to -- and send
 * the message from there.
 */
#ifndef MIPC_MIPC_H
#define MIPC_MIPC_H

#include <mipc/types.h>
#include <mipc/port.h>
#include <mipc/message.h>
#include <mipc/notify.h>
#include <mipc/sync.h>
#include <mipc/mach.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Live-object counts.  Each is exact when no other thread is using mipc and
 * mipc_quiesce() has returned; otherwise it is a snapshot that may lag by
 * the objects other threads are freeing right now.  Fields for objects a
 * build does not have read 0.  Only ever appended to.
 */
struct mipc_stats {
	uint64_t spaces;        /* live spaces (tasks) */
	uint64_t ports;         /* live port objects, dead or alive */
	uint64_t psets;         /* live port sets */
	uint64_t messages;      /* messages queued, in flight or held */
	uint64_t ool_bytes;     /* bytes of out-of-line memory held */
	uint64_t tables;        /* name tables and request tables */
	uint64_t threads;       /* threads with mipc per-thread state */
	uint64_t epoch_pending; /* frees waiting for a grace period */
	/* Priority inheritance (sync.h) */
	uint64_t turnstiles;      /* live turnstiles: one per thread, plus
	                             ports' send turnstiles held by links */
	uint64_t ts_walks;        /* propagation walks (monotonic) */
	uint64_t ts_hops;         /* hops those walks took (monotonic) */
	uint64_t ts_hop_limit;    /* walks stopped by the hop limit */
	uint64_t os_applies;      /* OS priority changes applied */
	uint64_t os_apply_errors; /* ... that the OS refused */
	/* The bound on queued message bytes (mipc_set_queued_bytes_limit): */
	uint64_t queued_bytes;          /* message bytes queued or in flight */
	uint64_t queued_bytes_limit;    /* the bound; UINT64_MAX: none */
	uint64_t queued_bytes_refusals; /* allocations the bound refused */
};

/* Fill *out with the current live counts. */
MIPC_API void mipc_get_stats(struct mipc_stats *out);

/*
 * The bound on queued message bytes, for the whole process: the bytes of
 * every message sent and not yet received or destroyed -- the message
 * itself and the out-of-line memory copied for it -- as Mach bounds them
 * with the size of its kernel zones.  A send (or a notification request,
 * whose message is reserved in advance) that would need more fails:
 * MACH_SEND_NO_BUFFER (KERN_RESOURCE_SHORTAGE), and queued_bytes_refusals
 * in mipc_get_stats() counts it.  This is what stops send-once messages,
 * which no queue limit holds back (MACH.md J6).
 *
 * The bound is checked whenever mipc needs more memory for messages, so
 * that a send reused from a cache of recently freed messages is not
 * checked: queued bytes may pass the bound by what those caches hold (at
 * most a few MiB).  Out-of-line memory the sender gives away
 * (deallocate with a virtual copy) moves and is counted but never
 * refused: it was the sender's already.
 *
 * mipc_set_queued_bytes_limit sets the bound (SIZE_MAX: none) and returns
 * the previous one.  It starts at MIPC_QUEUED_BYTES_DEFAULT.  Lowering it
 * below what is queued refuses new messages until enough are received.
 */
#define MIPC_QUEUED_BYTES_DEFAULT ((size_t)1 << 30) /* 1 GiB */

MIPC_API size_t mipc_set_queued_bytes_limit(size_t bytes);

/*
 * Wait for a grace period and run every deferred free, of every thread,
 * so that mipc_get_stats() is exact afterwards.  Blocks while another
 * thread is inside a short mipc call; must not be called from inside one
 * (a guard-exception handler, for instance).
 */
MIPC_API void mipc_quiesce(void);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_MIPC_H */
