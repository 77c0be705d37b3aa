/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * right.h -- right arithmetic (right.c): copyin and copyout of single
 * rights, checks of entries, dead names, a space's rights at teardown.
 */
#ifndef MIPC_CORE_RIGHT_H
#define MIPC_CORE_RIGHT_H

#include "kmsg.h"
#include "space.h"

#include <mipc/types.h>

/* Copy-in flags */
#define IPC_COPYIN_DEAD_OK 0x1u /* dead names yield a dead right */
#define IPC_COPYIN_HEADER  0x2u /* in a message header (reply ports) */
#define IPC_COPYIN_ALLOW_IMMOVABLE_SEND \
	0x4u /* the right stays in its space (Q15) */
#define IPC_COPYIN_CHECKED \
	0x8u /* checked: a port dead since fails, KERN_ABORTED */
#define IPC_COPYIN_FOREIGN \
	0x10u /* not the caller's own space: no IMMOVABLE guard (Q15) */

bool ipc_right_check(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *entry);
kern_return_t ipc_right_type_locked(struct mipc_space *space,
    mach_port_name_t name, struct ipc_entry *entry, mach_port_type_t *typep,
    mach_port_urefs_t *urefsp);
void ipc_right_peek_locked(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_type_t *typep);
kern_return_t ipc_right_copyin(struct mipc_space *space, mach_port_name_t name,
    mach_msg_type_name_t msgt, uint32_t flags, struct ipc_right *out);
kern_return_t ipc_right_copyout(
    struct mipc_space *space, struct ipc_right *right, mach_port_name_t *namep);
mach_port_name_t ipc_right_copyout_sonce_locked(
    struct mipc_space *space, struct ipc_port *port);
kern_return_t ipc_right_copyout_name(
    struct mipc_space *space, struct ipc_right *right, mach_port_name_t name);
void ipc_right_discard(struct ipc_right *right);
void ipc_right_terminate(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *entry, bool receive_pass);

#endif /* MIPC_CORE_RIGHT_H */
