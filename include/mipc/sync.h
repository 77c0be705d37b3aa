/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sync.h -- threads, priorities and priority inheritance: XNU's
 * turnstiles carry a blocked thread's priority to whoever must run for it
 * to unblock (doc/mipc_sync.3).
 *
 * Priorities use XNU's scale, 0..127 (default 31).  A thread has a base
 * priority (set directly or from a QoS class), a promotion (the highest
 * push it receives, capped at 63, XNU's MAXPRI_USER) and an effective
 * priority, the larger of the two.  A thread blocked in mipc pushes its
 * effective priority on whatever it waits for:
 *
 *   - a sender blocked on a full queue pushes on that port;
 *   - a client blocked receiving its reply on its special reply port,
 *     after sending a request with that port as MAKE_SEND_ONCE reply,
 *     pushes on the request's destination port;
 *   - a port pushes on the send turnstile of the port whose queue holds
 *     its receive right (in transit), or on the thread watching it
 *     (watchports, below).
 *
 * As in XNU, a thread blocked in a plain receive is never pushed: servers
 * are pushed through watchports (and workloops).  Pushes propagate hop by
 * hop along chains of blocked threads, up to 10 thread hops.  When a
 * blocked thread wakes, times out or gives up, every push it caused goes.
 *
 * Priorities live in mipc and are readable with mipc_thread_get_priority;
 * mipc_set_os_policy makes them move the OS threads too.
 */
#ifndef MIPC_SYNC_H
#define MIPC_SYNC_H

#include <mipc/message.h>
#include <mipc/port.h>
#include <mipc/types.h>

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- threads ----------------------------------------------------------- */

/*
 * A handle on a thread's mipc state.  mipc_thread_self() returns the
 * calling thread's (creating it on first use: NULL only when memory is
 * exhausted); the handle it returns is borrowed: retain it to keep it
 * past the thread's exit.  A handle outlives its thread safely: calls on
 * the handle of a thread that has exited return KERN_TERMINATED.
 */
typedef struct mipc_thread *mipc_thread_t;

MIPC_API mipc_thread_t mipc_thread_self(void);
MIPC_API void mipc_thread_retain(mipc_thread_t th);
MIPC_API void mipc_thread_release(mipc_thread_t th);

/* ---- cancellation ------------------------------------------------------ */

/*
 * Interrupt th's wait in mipc, as XNU's thread_abort does: a thread
 * blocked receiving (mach_msg, MACH_RCV_SYNC_WAIT, mipc_workloop_msg)
 * returns MACH_RCV_INTERRUPTED, a thread blocked sending to a full queue
 * MACH_SEND_INTERRUPTED (the message comes back, as on a timeout) -- with
 * or without the MACH_*_INTERRUPT options, so that a server can stop its
 * threads without destroying its ports.  Pushes the waiter made are
 * withdrawn and a blocked sender gives up its place in the queue of
 * senders.  If th is not waiting, the abort is remembered and ends th's
 * next wait in mipc at once (a call that completes without waiting leaves
 * it pending); XNU instead forgets it when the thread next returns to
 * user space, which would lose the race with a thread about to block.
 * One abort ends one wait.
 *
 * Signals: with MACH_RCV_INTERRUPT / MACH_SEND_INTERRUPT, a signal handler
 * that runs while the thread sleeps in mipc ends the call with
 * MACH_RCV_INTERRUPTED / MACH_SEND_INTERRUPTED, SA_RESTART or not; without
 * them the wait resumes with what remains of its timeout (libsyscall's
 * retry, MACH.md J11).  A handler that runs before the thread sleeps --
 * while mipc still spins in user space -- ends nothing (XNU would
 * interrupt the wait that follows): to stop a thread reliably, abort it.
 *
 * KERN_SUCCESS; KERN_INVALID_ARGUMENT for NULL; KERN_TERMINATED for a
 * thread that has exited.
 */
MIPC_API kern_return_t mipc_thread_abort(mipc_thread_t th);

/* ---- priorities -------------------------------------------------------- */

/* XNU's priority bands. */
#define MIPC_PRI_MIN              0
#define MIPC_PRI_THROTTLE         4 /* MAXPRI_THROTTLE */
#define MIPC_PRI_UTILITY          20
#define MIPC_PRI_DEFAULT          31 /* BASEPRI_DEFAULT */
#define MIPC_PRI_USER_INITIATED   37
#define MIPC_PRI_USER_INTERACTIVE 47
#define MIPC_PRI_USER_MAX         63 /* MAXPRI_USER: the cap of pushes */
#define MIPC_PRI_MAX              127

/* XNU's THREAD_QOS_* classes. */
typedef uint8_t mipc_qos_t;
#define MIPC_QOS_UNSPECIFIED      0
#define MIPC_QOS_MAINTENANCE      1
#define MIPC_QOS_BACKGROUND       2
#define MIPC_QOS_UTILITY          3
#define MIPC_QOS_DEFAULT          4
#define MIPC_QOS_USER_INITIATED   5
#define MIPC_QOS_USER_INTERACTIVE 6

/*
 * Set the base priority, 0..127 (else KERN_INVALID_ARGUMENT).  The QoS
 * class becomes the one XNU maps that priority to.  A blocked thread's
 * pushes follow at once.  KERN_TERMINATED on an exited thread's handle.
 */
MIPC_API kern_return_t mipc_thread_set_base_priority(mipc_thread_t th, int pri);

/*
 * Set the base priority from a QoS class and a relative priority -15..0,
 * as XNU does: MAINTENANCE 4, BACKGROUND 4, UTILITY 20, DEFAULT 31,
 * USER_INITIATED 37, USER_INTERACTIVE 47 (UNSPECIFIED: 31), the relative
 * priority scaled into the range above the next lower class.
 * KERN_INVALID_ARGUMENT for a class or relpri out of range.
 */
MIPC_API kern_return_t mipc_thread_set_qos(
    mipc_thread_t th, mipc_qos_t qos, int relpri);

struct mipc_thread_priority {
	uint8_t base;      /* set by the user (or from the OS at start) */
	uint8_t promotion; /* highest push received, capped; 0: none */
	uint8_t effective; /* max(base, promotion) */
	mipc_qos_t qos;    /* the base's class */
	mipc_qos_t effective_qos; /* the effective priority's class */
};

MIPC_API kern_return_t mipc_thread_get_priority(
    mipc_thread_t th, struct mipc_thread_priority *out);

/* ---- what mipc does to OS threads -------------------------------------- */

/*
 * When a thread's effective priority changes, after every mipc lock is
 * dropped (never on a thread that has exited):
 *
 *   NONE    nothing (the default): priorities are bookkeeping, readable;
 *   NICE    setpriority() on the thread's tid: priority -> nice by XNU's
 *           anchors (0-4: 19, 20: 10, 31: 0, 37: -5, 47: -10, 63+: -20,
 *           linear between them);
 *   SCHED   as NICE below 64; 64 and above become SCHED_FIFO (64-95 ->
 *           FIFO 1-32, 96-127 -> 33-64);
 *   CUSTOM  fn(tid, effective_pri, ctx); its return value is ignored.
 *
 * NICE and SCHED probe first whether the process may raise a thread's
 * priority (CAP_SYS_NICE or a sufficient RLIMIT_NICE / RLIMIT_RTPRIO):
 * KERN_NO_ACCESS when not, and the policy stays as it was.  CUSTOM
 * without fn: KERN_INVALID_ARGUMENT.
 */
enum mipc_os_policy {
	MIPC_OS_POLICY_NONE,
	MIPC_OS_POLICY_NICE,
	MIPC_OS_POLICY_SCHED,
	MIPC_OS_POLICY_CUSTOM,
};
typedef int (*mipc_os_apply_t)(pid_t tid, int effective_pri, void *ctx);
MIPC_API kern_return_t mipc_set_os_policy(
    enum mipc_os_policy policy, mipc_os_apply_t fn, void *ctx);

/* The nice value NICE applies for a priority (the table above). */
MIPC_API int mipc_priority_to_nice(int pri);

/* ---- workloops (kqworkloop + EVFILT_MACHPORT) --------------------------- */

/*
 * A workloop is a serial event loop bound to ports: at most one servicer
 * thread is bound at a time, and it is the inheritor of every push on the
 * attached ports -- the way a Mach server gets pushed (a plain thread in
 * a mach_msg receive never is).
 *
 * mipc_workloop_attach: a receive right (its pushes land on the
 * servicer: send case 7); a port set (received from, no push); a special
 * reply port: KERN_NOT_SUPPORTED; anything else: KERN_INVALID_RIGHT (an
 * unknown name KERN_INVALID_NAME).  A port attached to another workloop:
 * KERN_INVALID_ARGUMENT; to this one: KERN_SUCCESS.  A receive right
 * that leaves the space is detached.
 *
 * mipc_workloop_msg: an optional send (MACH_SEND_MSG, typically the
 * reply; a failed send returns its code and receives nothing), then
 * re-enable (rights received through the previous delivery stop pushing:
 * a special reply port whose reply was not sent records a lost link,
 * MACH.md S7), bind the caller as servicer, and with MACH_RCV_MSG receive
 * from the attached ports -- the one pushed hardest first -- copying the
 * message out through the workloop: a receive right or a special reply
 * port's send-once right it carries keeps pushing on the servicer until
 * the next call (the first as XNU's KNOTE, later ones through the stash).
 * msg, rcv_size, timeout and the MACH_RCV_* options are mach_msg's; a
 * second thread calling while one is bound gets KERN_ALREADY_WAITING; a
 * workloop whose space was destroyed MACH_RCV_PORT_CHANGED; a thread
 * bound to another workloop KERN_INVALID_ARGUMENT (a thread services one
 * at a time).  A servicer that exits is unbound, as by
 * mipc_workloop_end.  An attached port or set that vanishes without
 * mipc_workloop_detach -- dies, leaves the space, is destroyed -- is an
 * event (XNU's EV_VANISHED): the receive that finds no message returns
 * MACH_RCV_PORT_CHANGED, once per vanished attachment.
 *
 * mipc_workloop_destroy: its ports are detached (they and their messages
 * stay the space's).  Destroyed by another thread than its bound
 * servicer, it stays valid for that servicer only -- attach, destroy and
 * set_min_priority answer KERN_TERMINATED, msg MACH_RCV_PORT_CHANGED,
 * detach KERN_NOT_IN_SET -- until the servicer calls
 * mipc_workloop_end: a servicer parked in mipc_workloop_msg wakes with
 * MACH_RCV_PORT_CHANGED, a running one gets it from its next call (after
 * that call's send: the reply still goes).
 *
 * When the workloop's space is destroyed, its ports go with it and a
 * servicer parked in mipc_workloop_msg wakes with MACH_RCV_PORT_CHANGED;
 * attach answers KERN_INVALID_TASK; destroy it still.
 *
 * mipc_workloop_end: the bound servicer re-enables and unbinds.
 * mipc_workloop_set_min_priority: a floor for the servicer while bound.
 * MIPC_WORKLOOP_INHERIT_RT: pushes above 63 reach the servicer.
 */
typedef struct mipc_workloop *mipc_workloop_t;
#define MIPC_WORKLOOP_INHERIT_RT 0x1u
MIPC_API kern_return_t mipc_workloop_create(
    mipc_space_t space, uint32_t flags, mipc_workloop_t *out);
MIPC_API kern_return_t mipc_workloop_destroy(mipc_workloop_t wl);
MIPC_API kern_return_t mipc_workloop_set_min_priority(
    mipc_workloop_t wl, int pri);
MIPC_API kern_return_t mipc_workloop_attach(
    mipc_workloop_t wl, mach_port_name_t name);
MIPC_API kern_return_t mipc_workloop_detach(
    mipc_workloop_t wl, mach_port_name_t name);
MIPC_API mach_msg_return_t mipc_workloop_msg(mipc_workloop_t wl,
    mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_size, mach_msg_timeout_t timeout);
MIPC_API void mipc_workloop_end(mipc_workloop_t wl);

/* ---- watchports -------------------------------------------------------- */

/*
 * Make th the inheritor of pushes on the ports named by `names` in
 * `space` (send rights there): until a port's receive right is sent in a
 * message, the port dies, th exits or the watchports are cleared, a
 * thread blocked sending to it boosts th (XNU's posix_spawn watchports,
 * send case 3).  At most 128 names (else KERN_INVALID_ARGUMENT);
 * KERN_INVALID_ARGUMENT if th has watchports already.  A name that does
 * not denote a send right fails the call (KERN_INVALID_NAME,
 * KERN_INVALID_RIGHT) and adds nothing; ports that cannot be watched --
 * dead (a dead name too), special reply ports, receive rights not in a
 * space -- and MACH_PORT_NULL / MACH_PORT_DEAD are skipped, as XNU skips
 * them.  A port watched by another thread moves to
 * th.  MACH_SEND_INVALID_DEST for a NULL space, KERN_INVALID_TASK for a
 * destroyed one, KERN_TERMINATED for an exited thread.
 */
#define MIPC_MAX_WATCHPORTS 128
MIPC_API kern_return_t mipc_thread_add_watchports(mipc_thread_t th,
    mipc_space_t space, const mach_port_name_t *names, uint32_t count);
MIPC_API kern_return_t mipc_thread_clear_watchports(mipc_thread_t th);

/* ---- introspection ----------------------------------------------------- */

/* What a thread is blocked on in mipc (wait_kind). */
#define MIPC_WAIT_NONE      0 /* not blocked in mipc */
#define MIPC_WAIT_SEND_FULL 1 /* sending: the destination's queue is full */
#define MIPC_WAIT_SRP_REPLY \
	2                   /* receiving its reply on its special reply port */
#define MIPC_WAIT_RECEIVE 3 /* receiving on a port or port set */

/* What receives the push of that wait, first hop (owner_kind, hop kind). */
#define MIPC_OWNER_NONE     0 /* nobody: the push goes nowhere */
#define MIPC_OWNER_THREAD   1 /* a thread (owner_tid) */
#define MIPC_OWNER_PORT     2 /* a port's send turnstile (its pushers) */
#define MIPC_OWNER_TRANSIT  3 /* a port in transit: its destination's */
#define MIPC_OWNER_WORKLOOP 4 /* a workloop's servicer */

struct mipc_wait_info {
	uint32_t wait_kind;    /* MIPC_WAIT_* */
	mach_port_name_t name; /* what it waits on, by its name in the
	                          thread's space (0 if unknown) */
	uint32_t owner_kind;   /* MIPC_OWNER_*, the first hop of the push */
	pid_t owner_tid;       /* the first thread the push reaches, or 0 */
	uint8_t push;          /* the priority it pushes with (0: none) */
};

/* KERN_TERMINATED for an exited thread, KERN_INVALID_ARGUMENT for NULL. */
MIPC_API kern_return_t mipc_thread_wait_info(
    mipc_thread_t th, struct mipc_wait_info *out);

/*
 * The chain of pushes from th: hops[0] is th itself (kind THREAD), then
 * each object its push passes through, then the thread(s) it reaches.
 * kind is MIPC_OWNER_*; object identifies a turnstile's owner (a port, a
 * workloop) for comparison only; tid is set for threads; priority is the
 * push there.  Returns the number of hops written (at most max).  The
 * walk stops at a cycle (a user-level deadlock) after one full turn.
 */
struct mipc_push_hop {
	uint32_t kind;
	const void *object;
	pid_t tid;
	uint8_t priority;
};
MIPC_API uint32_t mipc_thread_push_chain(
    mipc_thread_t th, struct mipc_push_hop *hops, uint32_t max);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_SYNC_H */
