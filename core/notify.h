/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h -- building and sending notifications (notify.c).
 */
#ifndef MIPC_CORE_NOTIFY_H
#define MIPC_CORE_NOTIFY_H

#include "base.h"

#include <mipc/message.h>
#include <mipc/types.h>

struct ipc_kmsg;
struct ipc_notify_req;
struct ipc_port;

struct ipc_kmsg *ipc_notify_prealloc(void);
void ipc_notify_req_discard(struct ipc_notify_req *req);
void ipc_notify_req_send_once(struct ipc_notify_req *req);
void ipc_notify_send_once(struct ipc_port *port);
void ipc_notify_no_senders(struct ipc_notify_req *req, uint32_t mscount);
void ipc_notify_port_destroyed(
    struct ipc_notify_req *req, struct ipc_port *port);

void ipc_notify_send_name(
    struct ipc_notify_req *req, mach_msg_id_t id, mach_port_name_t name);

#endif /* MIPC_CORE_NOTIFY_H */
