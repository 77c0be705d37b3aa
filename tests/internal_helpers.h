/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal_helpers.h -- what suites that look inside the engine share
 * (they include core/internal.h first, and say why).
 */
#ifndef MIPC_TESTS_INTERNAL_HELPERS_H
#define MIPC_TESTS_INTERNAL_HELPERS_H

/*
 * The port a name in sp holds, as a lock-free reader sees it; NULL if
 * the name holds none.  The caller keeps it alive (it holds a right).
 */
static inline struct ipc_port *
port_of(mipc_space_t sp, mach_port_name_t name)
{
	struct ipc_thread *th = ipc_thread_self();
	struct ipc_entry *e;
	struct ipc_port *p = NULL;

	ipc_epoch_enter(th);
	e = ipc_entry_lookup(ipc_space_lookup(sp), name);
	if (e != NULL)
		p = ip_from_object(ipc_entry_load_object(e));
	ipc_epoch_exit(th);
	return p;
}

/* A new receive right in the task's space, with a send right. */
static inline mach_port_name_t
receive_with_send(void)
{
	mach_port_name_t name;

	ck_assert_int_eq(mach_port_allocate(
	                     mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &name),
	    KERN_SUCCESS);
	ck_assert_int_eq(mach_port_insert_right(mach_task_self(), name, name,
	                     MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	return name;
}

#endif /* MIPC_TESTS_INTERNAL_HELPERS_H */
