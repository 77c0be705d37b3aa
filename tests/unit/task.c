/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * task.c -- tests of core/task.c against space handles (space.c): a task
 * port's object is its space's handle, a conversion yields that handle and
 * holds nothing, so a task whose space went away -- destroyed, reclaimed,
 * its slot given to a new space -- answers as a dead task and never acts
 * on the space that now lives in the slot.  Includes core/internal.h to
 * see slots and the conversion.
 */
#include "check_mipc.h"

#include "internal.h"

#include <string.h>

#define KR_EQ(expr, want) ck_assert_int_eq((expr), (want))
#define KR_OK(expr)       KR_EQ((expr), KERN_SUCCESS)

enum { MAX_TRIES = 256 };

/* How many names `space` holds. */
static mach_msg_type_number_t
names_in(mipc_space_t space)
{
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t nc, tc;

	KR_OK(mipc_port_names(space, &names, &nc, &types, &tc));
	KR_OK(mipc_vm_deallocate(
	    mipc_thread_space(), (vm_address_t)names, nc * sizeof(*names)));
	KR_OK(mipc_vm_deallocate(
	    mipc_thread_space(), (vm_address_t)types, tc * sizeof(*types)));
	return nc;
}

/*
 * Destroy `old`, let its slot be reclaimed, and create spaces until one
 * takes that slot (the free list gives it back first; bounded).  The
 * others made on the way are destroyed.  The new space's handle.
 */
static mipc_space_t
reuse_slot_of(mipc_space_t old)
{
	mipc_space_t spare[MAX_TRIES], fresh = NULL;
	struct mipc_space *slot = ipc_space_slot(old);
	int i, n = 0;

	KR_OK(mipc_space_destroy(old));
	mipc_quiesce();
	for (i = 0; i < MAX_TRIES; i++) {
		KR_OK(mipc_space_create(&fresh));
		if (ipc_space_slot(fresh) == slot)
			break;
		spare[n++] = fresh;
		fresh = NULL;
	}
	while (n > 0)
		KR_OK(mipc_space_destroy(spare[--n]));
	ck_assert_msg(fresh != NULL, "the slot was never reused");
	ck_assert_ptr_ne(fresh, old);
	return fresh;
}

/*
 * A task name converted before its space died: the handle it gave is
 * refused after the slot went to a new space, which stays untouched; the
 * name itself is a dead name, converted to nothing (MIG's code for a dead
 * task port, MACH_SEND_INVALID_DEST).
 */
START_TEST(task_port_of_a_reused_slot_answers_dead_never_reaches_the_new_space)
{
	mipc_space_t s, h = NULL, fresh, self_space = mipc_thread_space();
	mach_port_name_t t = MACH_PORT_NULL, tf = MACH_PORT_NULL;
	mach_port_name_t r = MACH_PORT_NULL;
	mach_port_type_t type;
	struct ipc_entry *e;
	struct mipc_space *cur;

	KR_OK(mipc_space_create(&s));
	KR_OK(mipc_space_task_port(s, &t));
	/* The port's object is the handle, a value. */
	KR_OK(ipc_space_acquire(self_space, &cur));
	is_lock(cur);
	e = ipc_entry_lookup(cur, t);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(ip_from_object(e->ie_object)->ip_kobject, (void *)s);
	is_unlock(cur);
	ipc_space_release(cur);
	/* Converted while alive: the handle, nothing held. */
	KR_OK(ipc_task_convert(t, &h));
	ck_assert_ptr_eq(h, s);

	fresh = reuse_slot_of(s);
	/* The converted handle is refused; nothing lands in the slot. */
	KR_EQ(mipc_port_allocate(h, MACH_PORT_RIGHT_RECEIVE, &r),
	    KERN_INVALID_TASK);
	ck_assert_uint_eq(names_in(fresh), 0);
	/* The name: a dead task (MIG's code), never converted again. */
	KR_OK(mipc_port_type(self_space, t, &type));
	ck_assert_uint_eq(type, MACH_PORT_TYPE_DEAD_NAME);
	KR_EQ(ipc_task_convert(t, &h), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &r),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(
	    mach_port_names(t, NULL, NULL, NULL, NULL), MACH_SEND_INVALID_DEST);
	ck_assert_uint_eq(names_in(fresh), 0);
	/* The new space has its own task port, under another name. */
	KR_OK(mipc_space_task_port(fresh, &tf));
	ck_assert_uint_ne(tf, t);
	KR_OK(mach_port_allocate(tf, MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mipc_port_type(fresh, r, &type));
	ck_assert_uint_eq(type, MACH_PORT_TYPE_RECEIVE);
	KR_OK(mipc_space_destroy(fresh));
	KR_OK(mipc_port_mod_refs(self_space, t, MACH_PORT_RIGHT_DEAD_NAME, -1));
	KR_OK(
	    mipc_port_mod_refs(self_space, tf, MACH_PORT_RIGHT_DEAD_NAME, -1));
}
END_TEST

/*
 * A thread keeps its current space's self name (mach_task_self() answers
 * it after the space is destroyed, as libsyscall's cached mach_task_self_
 * does): the pair is keyed by the handle, so once the slot holds another
 * space the name still converts to the old handle, which is refused --
 * the new space in the slot never sees the call.
 */
START_TEST(task_self_kept_after_destroy_never_reaches_the_new_space)
{
	mipc_space_t s, prev, fresh;
	mach_port_name_t self, r = MACH_PORT_NULL;

	KR_OK(mipc_space_create(&s));
	prev = mipc_thread_set_space(s);
	self = mach_task_self();
	ck_assert(MACH_PORT_VALID(self));
	fresh = reuse_slot_of(s);
	ck_assert_uint_eq(mach_task_self(), self);
	KR_EQ(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r),
	    KERN_INVALID_TASK);
	KR_EQ(mach_port_allocate(0x1103, MACH_PORT_RIGHT_RECEIVE, &r),
	    KERN_INVALID_TASK);
	ck_assert_ptr_eq(mipc_thread_set_space(prev), s);
	ck_assert_uint_eq(names_in(fresh), 0);
	/* The new space, made current, answers with its own task port. */
	prev = mipc_thread_set_space(fresh);
	ck_assert(MACH_PORT_VALID(mach_task_self()));
	KR_OK(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &r));
	ck_assert_uint_eq(names_in(fresh), 2); /* its self name, r */
	mipc_thread_set_space(prev);
	KR_OK(mipc_space_destroy(fresh));
}
END_TEST

static Suite *
task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc = mipc_tcase("task");

	tcase_add_test(tc,
	    task_port_of_a_reused_slot_answers_dead_never_reaches_the_new_space);
	tcase_add_test(
	    tc, task_self_kept_after_destroy_never_reaches_the_new_space);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(task_suite)
