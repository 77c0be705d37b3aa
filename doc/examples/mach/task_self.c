/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * task_self.c -- Mach code as it is written for macOS: the task is a
 * mach_port_t, every call takes it, errors are printed with mach_error.
 * The calls and codes of XNU's tests/mach_port_insert_right.c and
 * mach_port_deallocate_21692215.c, written for <mach/mach.h>.
 *
 * Built unchanged on macOS (cc task_self.c) and on Linux against mipc's
 * overlay:  cc task_self.c $(pkg-config --cflags --libs mipc-mach)
 * Exits nonzero on any surprise; make test runs it.
 */
#include <mach/mach.h>
#include <mach/mach_error.h>

#include <stdio.h>
#include <stdlib.h>

static int failures;

#define EXPECT(call, want)                                                     \
	do {                                                                   \
		kern_return_t kr_ = (call);                                    \
		if (kr_ != (want)) {                                           \
			fprintf(                                               \
			    stderr, "%s:%d: %s\n", __FILE__, __LINE__, #call); \
			mach_error("  returned", kr_);                         \
			mach_error("  wanted  ", (want));                      \
			failures++;                                            \
		}                                                              \
	} while (0)

int
main(void)
{
	mach_port_t task = mach_task_self();
	mach_port_t port = MACH_PORT_NULL, port2 = MACH_PORT_NULL;
	mach_port_t set = MACH_PORT_NULL;
	mach_port_type_t type = 0;
	mach_port_urefs_t refs = 0;
	mach_port_t members[4];
	int i;

	/* mach_port_insert_right.c */
	EXPECT(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port),
	    KERN_SUCCESS);
	EXPECT(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &port2),
	    KERN_SUCCESS);
	EXPECT(
	    mach_port_insert_right(task, port, port, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	EXPECT(mach_port_type(task, port, &type), KERN_SUCCESS);
	if (type != MACH_PORT_TYPE_SEND_RECEIVE) {
		fprintf(stderr, "type %#x, want SEND_RECEIVE\n", type);
		failures++;
	}
	EXPECT(mach_port_insert_right(task, 123, port, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_FAILURE);
	EXPECT(mach_port_insert_right(task, 122, port, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_VALUE);
	EXPECT(
	    mach_port_insert_right(task, port, port2, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_RIGHT_EXISTS);
	EXPECT(mach_port_get_refs(task, port, MACH_PORT_RIGHT_SEND, &refs),
	    KERN_SUCCESS);
	if (refs != 1) {
		fprintf(stderr, "send urefs %u, want 1\n", refs);
		failures++;
	}
	EXPECT(mach_port_deallocate(task, port), KERN_SUCCESS);
	EXPECT(mach_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	EXPECT(mach_port_mod_refs(task, port2, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);

	/* mach_port_deallocate_21692215.c: receive rights in a set, then
	 * destroyed; deallocating the set succeeds. */
	EXPECT(mach_port_allocate(task, MACH_PORT_RIGHT_PORT_SET, &set),
	    KERN_SUCCESS);
	for (i = 0; i < 4; i++) {
		EXPECT(mach_port_allocate(
		           task, MACH_PORT_RIGHT_RECEIVE, &members[i]),
		    KERN_SUCCESS);
		EXPECT(
		    mach_port_move_member(task, members[i], set), KERN_SUCCESS);
	}
	for (i = 0; i < 4; i++)
		EXPECT(mach_port_mod_refs(
		           task, members[i], MACH_PORT_RIGHT_RECEIVE, -1),
		    KERN_SUCCESS);
	EXPECT(mach_port_deallocate(task, set), KERN_SUCCESS);

	/* The task port itself: a send right, pinned. */
	EXPECT(mach_port_type(task, task, &type), KERN_SUCCESS);
	if (type != MACH_PORT_TYPE_SEND) {
		fprintf(stderr, "task type %#x, want SEND\n", type);
		failures++;
	}
	EXPECT(mach_port_deallocate(task, task), KERN_INVALID_CAPABILITY);
	EXPECT(
	    mach_port_allocate(MACH_PORT_NULL, MACH_PORT_RIGHT_RECEIVE, &port),
	    MACH_SEND_INVALID_DEST);

	/* vm_allocate, as MIG hands out arrays. */
	{
		vm_address_t a = 0;

		EXPECT(vm_allocate(task, &a, 4096, VM_FLAGS_ANYWHERE),
		    KERN_SUCCESS);
		((char *)a)[4095] = 1;
		EXPECT(vm_deallocate(task, a, 4096), KERN_SUCCESS);
	}

	printf("task_self: %s (task port 0x%x)\n", failures ? "FAILED" : "ok",
	    task);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
