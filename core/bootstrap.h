/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootstrap.h -- the bootstrap name service (bootstrap.c): a kernel
 * object (kobject.c) whose port every space reaches through
 * bootstrap_port; the calls are <mipc/mach.h>'s bootstrap_*.
 */
#ifndef MIPC_CORE_BOOTSTRAP_H
#define MIPC_CORE_BOOTSTRAP_H

#include "kobject.h"

/* Its entry in the kobject table (IKOT_BOOTSTRAP). */
extern const struct ipc_kobject_ops ipc_bootstrap_kobject_ops;

/* fork(): the child's namespace starts empty (fork.c). */
void ipc_bootstrap_atfork_child(void);

/* Message ids of its routines (subsystem 400, replies + 100). */
#define IPC_BOOTSTRAP_CHECK_IN       400
#define IPC_BOOTSTRAP_REGISTER       401
#define IPC_BOOTSTRAP_LOOK_UP        402
#define IPC_BOOTSTRAP_CREATE_SERVICE 403

#endif /* MIPC_CORE_BOOTSTRAP_H */
