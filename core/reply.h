/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.h -- special reply ports and sync IPC linkage (reply.c).
 */
#ifndef MIPC_CORE_REPLY_H
#define MIPC_CORE_REPLY_H

#include "base.h"

#include <mipc/types.h>

struct ipc_port;
struct ipc_thread;

mach_msg_return_t ipc_special_reply_sync_wait(
    struct ipc_thread *th, struct ipc_port *port, mach_port_name_t peer);

#endif /* MIPC_CORE_REPLY_H */
