/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port_request.h -- a port's notification requests (port_request.c):
 * the no-senders and port-destroyed request slots' type, and the table of
 * dead-name and send-possible requests indexed by the registrant's entry.
 *
 * Owns:      struct ipc_notify_req, struct ipc_port_request,
 *            struct ipc_request_table.  All under the port lock.
 */
#ifndef MIPC_CORE_PORT_REQUEST_H
#define MIPC_CORE_PORT_REQUEST_H

#include "base.h"

#include <mipc/types.h>

struct ipc_kmsg;
struct ipc_port;

/*
 * A registered notification: the send-once right it fires through and the
 * message reserved for it at registration, so that once a request has
 * succeeded its notification cannot fail for lack of memory (XNU's
 * ip_premsg).
 */
struct ipc_notify_req {
	struct ipc_port *inr_port; /* send-once right: reference, sorights */
	struct ipc_kmsg *inr_msg;  /* the notification, preallocated */
};

/* One dead-name / send-possible request, indexed by the entry's ie_index. */
struct ipc_port_request {
	mach_port_name_t ipr_name;     /* the registrant's name */
	uint32_t ipr_flags;            /* IPR_* */
	struct ipc_notify_req ipr_req; /* inr_port NULL: slot free */
};

#define IPR_SEND_POSSIBLE 0x1u /* a send-possible request */
#define IPR_ARMED         0x2u /* armed: fires on the next dequeue */
#define IPR_DIED          0x4u /* fired DEAD_NAME when the port died */
#define IPR_FREE          0x8u /* free: ipr_name links the free list */

/* Slot 0 holds no request (ie_index 0 means "none"); its ipr_name heads
 * the free list. */
struct ipc_request_table {
	uint32_t irt_size; /* slots, including slot 0 */
	uint32_t irt_used; /* live requests */
	struct ipc_port_request irt_req[];
};

/*
 * A free slot in port's request table, growing it by doubling; 0 when out
 * of memory.  Conditions: port locked and alive.
 */
uint32_t ipc_port_request_alloc_locked(struct ipc_port *port);
/*
 * Take request `index` out of the table if it still is `name`'s; an empty
 * request (no port) otherwise.  Conditions: port locked.
 */
struct ipc_notify_req ipc_port_request_take_locked(
    struct ipc_port *port, uint32_t index, mach_port_name_t name);
void ipc_port_dnnotify(struct ipc_port *port);
void ipc_port_request_deleted(
    struct ipc_port *port, mach_port_name_t name, uint32_t index);
void ipc_port_spnotify(struct ipc_port *port);
bool ipc_port_request_arm_sp(struct ipc_port *port, uint32_t index);
uint32_t ipc_port_request_size(struct ipc_port *port);
bool ipc_port_request_is(
    struct ipc_port *port, mach_port_name_t name, uint32_t index, bool died);
void ipc_port_request_fini(struct ipc_port *port);

#endif /* MIPC_CORE_PORT_REQUEST_H */
