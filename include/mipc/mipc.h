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
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Statistics: live-object counts, then monotonic counters.
 *
 * Live counts are exact when no other thread is using mipc and
 * mipc_quiesce() has returned; otherwise each is a snapshot that may lag
 * by the objects other threads are freeing right now.  Counters count from
 * the start of the process and only grow; each thread keeps its own and
 * mipc_get_stats adds them up, so reading them costs the fast paths
 * nothing shared (rates: read twice, subtract).
 *
 * The struct is versioned by its size: `size` is set by the caller to the
 * sizeof(struct mipc_stats) it was compiled with (the mipc_get_stats macro
 * below does it), so a program built against an older, shorter struct
 * keeps working against a newer library and vice versa.  The library
 * fills the fields both sides know, zeroes the ones only the caller knows,
 * and returns in `size` the bytes it filled and in `version` its
 * MIPC_STATS_VERSION.  Fields are only ever appended.
 */
#define MIPC_STATS_VERSION 3

struct mipc_stats {
	uint32_t size;    /* in: sizeof the caller's struct; out: bytes
	                     filled by the library */
	uint32_t version; /* out: the library's MIPC_STATS_VERSION */
	/* Live counts (version 1) */
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
	/* Monotonic counters (version 2) */
	uint64_t msgs_sent;        /* messages sent: queued or delivered */
	uint64_t msgs_received;    /* messages received (copied out) */
	uint64_t bytes_sent;       /* their msgh_size, summed */
	uint64_t bytes_received;   /* ... */
	uint64_t slow_paths;       /* sends the fast path declined, receives
	                              that found nothing and had to wait */
	uint64_t blocks;           /* sleeps in the kernel (futex waits) */
	uint64_t wakes;            /* wake-up system calls */
	uint64_t notifications;    /* notifications queued */
	uint64_t guard_exceptions; /* guard exceptions raised */
	uint64_t interrupts;       /* waits ended by a signal (the
	                              MACH_*_INTERRUPT options) or by
	                              mipc_thread_abort */
	uint64_t fd_signals;       /* event-loop descriptors made readable
	                              (mipc_port_get_fd) */
	/* Out-of-line memory kept mapped for reuse (version 3) */
	uint64_t ool_cached_bytes; /* bytes of released regions kept */
	uint64_t ool_cache_budget; /* the most it keeps (4 MiB) */
};

/* The smallest size accepted: the header and the version-1 counts. */
#define MIPC_STATS_SIZE_MIN 144u

/*
 * Fill *out (see above).  KERN_INVALID_ARGUMENT for NULL or a size below
 * MIPC_STATS_SIZE_MIN.  C and C++ callers write mipc_get_stats(&st): the
 * macro stores sizeof(st) in st.size first.  A caller through a function
 * pointer or another language sets size itself.
 */
MIPC_API kern_return_t mipc_get_stats(struct mipc_stats *out);

static inline kern_return_t
mipc_get_stats_sized_(struct mipc_stats *out)
{
	if (out != NULL)
		out->size = (uint32_t)sizeof(*out);
	return (mipc_get_stats)(out);
}
#define mipc_get_stats(out) mipc_get_stats_sized_(out)

/*
 * Print the state of `space` to `out`, one line per name, in the manner of
 * macOS's lsmp: its rights and user references; for a receive right the
 * queue (messages, limit, next sequence number), the send and send-once
 * rights outstanding, the requests armed, and the threads blocked on it
 * (receiving, waiting for a reply, or sending to a full queue, by OS
 * thread id); for a send right where its receive right lives; for a port
 * set its members.  The format is documented beside the implementation
 * (introspect.c) and stable for parsers: a header line, a column line,
 * then one whitespace-separated line per name.  KERN_INVALID_ARGUMENT for
 * a NULL stream, MACH_SEND_INVALID_DEST for a NULL space,
 * KERN_INVALID_TASK for a destroyed one (a line saying so is printed),
 * KERN_RESOURCE_SHORTAGE when out of memory.
 *
 * MIPC_DEBUG=leaks in the environment makes mipc print, at exit, every
 * live space, port and port set -- its kind, the space and name holding
 * it, and the stack that made it -- after the live counts (stderr).
 */
MIPC_API kern_return_t mipc_space_dump(mipc_space_t space, FILE *out);

/*
 * The bound on queued message bytes, for the whole process: the bytes of
 * every message sent and not yet received or destroyed -- the message
 * itself and the out-of-line memory copied for it -- as Mach bounds them
 * with the size of its kernel zones.  A send (or a notification request,
 * whose message is reserved in advance) that would need more fails:
 * MACH_SEND_NO_BUFFER (KERN_RESOURCE_SHORTAGE), and queued_bytes_refusals
 * in mipc_get_stats() counts it.  This is what stops send-once messages,
 * which no queue limit holds back (mipc(7), QUEUE LIMITS).
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
