/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kobject.h -- kernel-object ports (kobject.c): ports whose receive right
 * the library holds and whose messages it serves itself, synchronously,
 * in the sending thread (XNU's ipc_kobject_server), through a table of
 * servers indexed by the port's type.
 *
 * Owns:      enum ipc_kotype, struct ipc_kobject_ops, the table.
 */
#ifndef MIPC_CORE_KOBJECT_H
#define MIPC_CORE_KOBJECT_H

#include "base.h"

#include <mipc/message.h>
#include <mipc/types.h>

struct ipc_kmsg;
struct ipc_notify_req;
struct ipc_port;

/* Kernel-object types; a port's is fixed at its creation. */
enum ipc_kotype {
	IKOT_NONE = 0,
	IKOT_BOOTSTRAP = 1, /* the bootstrap name service (bootstrap.c) */
	IKOT_TEST = 2,      /* test builds: ipc_kobject_test_ops */
	IKOT_TASK = 3,      /* a space's task port (task.c) */
	IKOT_HOST = 4,      /* the host port (task.c) */
	IKOT_COUNT
};

/*
 * One kobject type.  iko_server handles a request: XNU's MIG routine table
 * and ipc_kobject_notify in one.
 *
 *   request  the message in kernel form: its rights are port pointers in
 *            ikm_desc() (its destination and reply rights already taken out
 *            of it); receive rights are in transit to `port`.  The server
 *            takes what it keeps (clears ir_port; a receive right it takes
 *            leaves transit with ipc_port_release_transit); what is left
 *            is destroyed after it returns.
 *   reply    prepared as XNU prepares it: a mig_reply_error_t (NDR,
 *            RetCode 0), msgh_id = the request's + 100, destined to the
 *            request's reply right (ikm_dest; none: no reply is sent),
 *            room for iko_reply_size bytes and iko_reply_ndesc
 *            descriptors (ipc_kobject_reply_port fills one).
 *
 * It returns false for a msgh_id it does not serve: the reply then says
 * MIG_BAD_ID.  A RetCode of MIG_NO_REPLY sends nothing; a server that
 * answers later takes the reply right out of `reply` first (else it is
 * destroyed: a send-once notification).
 *
 * Conditions: called in whatever thread sent the message, with no mipc
 * lock held -- or, for a notification, possibly the lock of the space
 * where a port died, and inside an epoch section -- possibly nested
 * inside another kobject call or a message's destruction.  It may
 * allocate, take its own lock (IPC_RANK_KOBJECT) and port locks, destroy
 * ports and send messages; it takes no space lock and never blocks
 * waiting for another thread.
 */
typedef bool (*ipc_kobject_server_t)(struct ipc_port *port, void *kobject,
    struct ipc_kmsg *request, struct ipc_kmsg *reply);

struct ipc_kobject_ops {
	const char *iko_name;
	ipc_kobject_server_t iko_server;
	uint32_t iko_reply_size;  /* largest reply, bytes (>= 36) */
	uint32_t iko_reply_ndesc; /* descriptors it may carry */
	/* The process's last space was destroyed (NULL: nothing to do).
	 * Conditions: nothing locked. */
	void (*iko_spaces_gone)(void);
};

/* Test builds: the server of IKOT_TEST ports (tests/unit/kobject.c). */
extern const struct ipc_kobject_ops *ipc_kobject_test_ops;

/*
 * A new kernel-object port of `type` standing for `kobject`: its receive
 * right held by the caller (IN_LIMBO, one reference), no send right yet.
 * NULL when memory is exhausted.
 */
struct ipc_port *ipc_kobject_alloc(enum ipc_kotype type, void *kobject);

/*
 * The send path's hook (msg.c, notify.c): a message copied in for a
 * kobject port is served here instead of queued.  Consumes request.  The
 * send has succeeded whatever happens next (XNU: the reply, or its
 * absence, is the answer).
 * Conditions: no lock of rank IPC_RANK_KOBJECT or above (see
 * ipc_kobject_server_t).
 */
void ipc_kobject_server(struct ipc_kmsg *request);

/* The process's last space was destroyed (space.c).  Nothing locked. */
void ipc_kobject_spaces_gone(void);

/* ---- rights the library holds (for servers) --------------------------- */

/*
 * A send right made from a receive right the caller holds (mscount + 1),
 * or copied from a send right it holds; a send-once right made from a
 * receive right it holds.  Each takes a port reference.
 * Conditions: nothing locked (takes the port lock).
 */
void ipc_kobject_make_send(struct ipc_port *port);
void ipc_kobject_copy_send(struct ipc_port *port);
void ipc_kobject_make_send_once(struct ipc_port *port);

/*
 * Make `reply` a complex reply carrying one port descriptor with the
 * right `port`/`type` (MACH_MSG_TYPE_PORT_RECEIVE, _SEND, _SEND_ONCE),
 * which it consumes.
 */
void ipc_kobject_reply_port(
    struct ipc_kmsg *reply, struct ipc_port *port, mach_msg_type_name_t type);

/* The reply's RetCode (a simple reply: mig_reply_error_t). */
void ipc_kobject_reply_error(struct ipc_kmsg *reply, kern_return_t kr);

/*
 * Notification requests a kernel object makes on ports, delivered to its
 * own port `notify` (a kobject port whose receive right it holds).
 *
 * port_destroyed: on a port whose receive right the caller holds (in
 * limbo); when the right is later destroyed wherever it went, it comes
 * back to `notify` in MACH_NOTIFY_PORT_DESTROYED.  KERN_RESOURCE_SHORTAGE,
 * or KERN_FAILURE when the port has one already.  _cancel takes it back
 * if it is still ours and unfired.
 *
 * dead_name: MACH_NOTIFY_DEAD_NAME(token) when `port` dies; token must not
 * be a name a space could hold (its low two bits clear: names always have
 * them set), so no entry's request can be mistaken for it.  Returns the
 * request's index, or 0: no memory (KERN_RESOURCE_SHORTAGE), or the port
 * is dead already (*dead set).  _cancel takes it back if unfired.
 *
 * Conditions: nothing locked; they allocate.
 */
kern_return_t ipc_kobject_request_port_destroyed(
    struct ipc_port *port, struct ipc_port *notify);
void ipc_kobject_cancel_port_destroyed(
    struct ipc_port *port, struct ipc_port *notify);
uint32_t ipc_kobject_request_dead_name(struct ipc_port *port,
    struct ipc_port *notify, mach_port_name_t token, bool *dead);
void ipc_kobject_cancel_dead_name(
    struct ipc_port *port, uint32_t index, mach_port_name_t token);

#endif /* MIPC_CORE_KOBJECT_H */
