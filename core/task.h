/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * task.h -- task ports and the host port (task.c): the kernel objects that
 * stand for a space and for the process, and the conversion of a task
 * name to its space that every Mach spelling taking a task makes.
 *
 * Owns:      the pinning rule of a space's own name for its task port.
 * Lifetime:  a task port's object is its space's handle, a value (space.h,
 *            "Handles"): a converted task is a handle, resolved again by
 *            the native call it is given to, never a pointer into a slot.
 */
#ifndef MIPC_CORE_TASK_H
#define MIPC_CORE_TASK_H

#include "kobject.h"
#include "space.h"

#include <mipc/port.h>
#include <mipc/types.h>

extern const struct ipc_kobject_ops ipc_task_kobject_ops;
extern const struct ipc_kobject_ops ipc_host_kobject_ops;

/*
 * ipc_task_convert
 *	The handle of the space whose task port `task` (a name in the
 *	calling thread's current space) holds a send right to.
 * Conditions:
 *	Nothing locked.  Takes the current space's lock and the port's.
 * Returns:
 *	KERN_SUCCESS (*out: the handle, holding nothing: the native call
 *	resolves it, and answers KERN_INVALID_TASK if the space died
 *	meanwhile); MACH_SEND_INVALID_DEST for a name that is not a live
 *	send right to a kernel object (what the send in a MIG-generated
 *	client routine answers in XNU); KERN_INVALID_TASK for a send right to another kernel
 *	object (what XNU's MIG server answers after convert_port_to_task
 *	fails).  A caller whose own space is destroyed gets that space's
 *	handle whatever the name: the native call answers KERN_INVALID_TASK.
 */
kern_return_t ipc_task_convert(mach_port_name_t task, mipc_space_t *out);

/*
 * The space's task port dies (space.c's mipc_space_destroy, after the
 * teardown and before the creator's reference goes, so that no live task
 * port ever holds a handle that stopped resolving): holders of send rights
 * get dead names and their dead-name notifications.
 * Conditions: nothing locked; the caller holds the space.
 */
void ipc_task_space_destroyed(struct mipc_space *space);

/* fork(): the child has no host port (fork.c).  Takes no lock. */
void ipc_task_atfork_child(void);

/*
 * Whether `port` is the space's own task port, whose last user reference
 * under its self name is pinned (task.c, "Pinning").
 * Conditions: space locked.
 */
static inline bool
ipc_task_pinned(struct mipc_space *space, const struct ipc_port *port)
{
	ipc_lock_assert_held(&space->is_lock);
	return port == space->is_task_port;
}

#endif /* MIPC_CORE_TASK_H */
