/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mach_spelling.h -- run a conformance suite through the Mach spellings.
 *
 * A suite is written against the native calls (mipc_port_*(space, ...)).
 * Built with -DCONF_MACH_SPELLING=1 (the Makefile's <suite>-mach
 * binaries), every such call whose space is the calling thread's current
 * one becomes the Mach call a Mach program makes, with its task name:
 *
 *	mipc_port_mod_refs(space, n, r, d)
 *	    -> mach_port_mod_refs(mach_task_self(), n, r, d)
 *
 * so the same assertions hold the task-name conversion (task.c) to the
 * native behaviour.  Calls on any other space, or naming a second space
 * that is not the current one (insert_right's and extract_right's right
 * space), stay native: a Mach task name for another space would be a send
 * right in the current space, one more name in the counts the suites
 * check.  The task's own name, which mach_task_self() makes on first use,
 * is the one name the helpers leave out of their counts
 * (conf_self_name, conformance.h).
 *
 * Each wrapper evaluates its space argument once and calls the native
 * function by its parenthesised name, which no macro expands.
 */
#ifndef MIPC_TESTS_CONFORMANCE_MACH_SPELLING_H
#define MIPC_TESTS_CONFORMANCE_MACH_SPELLING_H

#include <mipc/mach.h>
#include <mipc/message.h>
#include <mipc/port.h>

#if CONF_MACH_SPELLING

/* The space is the caller's current one: the Mach spelling applies. */
static inline int
conf_spell_mach(mipc_space_t sp)
{
	return sp != NULL && sp == mipc_thread_space();
}

#define CONF_SPELL_(fn, sp, ...)                                    \
	__extension__({                                             \
		mipc_space_t sp_ = (sp);                            \
		conf_spell_mach(sp_)                                \
		    ? mach_port_##fn(mach_task_self(), __VA_ARGS__) \
		    : (mipc_port_##fn)(sp_, __VA_ARGS__);           \
	})

#define mipc_port_allocate(sp, ...) CONF_SPELL_(allocate, sp, __VA_ARGS__)
#define mipc_port_allocate_name(sp, ...) \
	CONF_SPELL_(allocate_name, sp, __VA_ARGS__)
#define mipc_port_construct(sp, ...)   CONF_SPELL_(construct, sp, __VA_ARGS__)
#define mipc_port_destruct(sp, ...)    CONF_SPELL_(destruct, sp, __VA_ARGS__)
#define mipc_port_deallocate(sp, ...)  CONF_SPELL_(deallocate, sp, __VA_ARGS__)
#define mipc_port_destroy(sp, ...)     CONF_SPELL_(destroy, sp, __VA_ARGS__)
#define mipc_port_mod_refs(sp, ...)    CONF_SPELL_(mod_refs, sp, __VA_ARGS__)
#define mipc_port_get_refs(sp, ...)    CONF_SPELL_(get_refs, sp, __VA_ARGS__)
#define mipc_port_type(sp, ...)        CONF_SPELL_(type, sp, __VA_ARGS__)
#define mipc_port_names(sp, ...)       CONF_SPELL_(names, sp, __VA_ARGS__)
#define mipc_port_get_context(sp, ...) CONF_SPELL_(get_context, sp, __VA_ARGS__)
#define mipc_port_set_context(sp, ...) CONF_SPELL_(set_context, sp, __VA_ARGS__)
#define mipc_port_guard(sp, ...)       CONF_SPELL_(guard, sp, __VA_ARGS__)
#define mipc_port_guard_with_flags(sp, ...) \
	CONF_SPELL_(guard_with_flags, sp, __VA_ARGS__)
#define mipc_port_unguard(sp, ...)    CONF_SPELL_(unguard, sp, __VA_ARGS__)
#define mipc_port_swap_guard(sp, ...) CONF_SPELL_(swap_guard, sp, __VA_ARGS__)
#define mipc_port_get_attributes(sp, ...) \
	CONF_SPELL_(get_attributes, sp, __VA_ARGS__)
#define mipc_port_set_attributes(sp, ...) \
	CONF_SPELL_(set_attributes, sp, __VA_ARGS__)
#define mipc_port_assert_attributes(sp, ...) \
	CONF_SPELL_(assert_attributes, sp, __VA_ARGS__)
#define mipc_port_set_mscount(sp, ...) CONF_SPELL_(set_mscount, sp, __VA_ARGS__)
#define mipc_port_set_seqno(sp, ...)   CONF_SPELL_(set_seqno, sp, __VA_ARGS__)
#define mipc_port_get_srights(sp, ...) CONF_SPELL_(get_srights, sp, __VA_ARGS__)
#define mipc_port_peek(sp, ...)        CONF_SPELL_(peek, sp, __VA_ARGS__)
#define mipc_port_insert_member(sp, ...) \
	CONF_SPELL_(insert_member, sp, __VA_ARGS__)
#define mipc_port_extract_member(sp, ...) \
	CONF_SPELL_(extract_member, sp, __VA_ARGS__)
#define mipc_port_move_member(sp, ...) CONF_SPELL_(move_member, sp, __VA_ARGS__)
#define mipc_port_get_set_status(sp, ...) \
	CONF_SPELL_(get_set_status, sp, __VA_ARGS__)
#define mipc_port_request_notification(sp, ...) \
	CONF_SPELL_(request_notification, sp, __VA_ARGS__)
#define mipc_port_dnrequest_info(sp, ...) \
	CONF_SPELL_(dnrequest_info, sp, __VA_ARGS__)
/* Calls that name a right in a second space: both must be current. */
#define mipc_port_insert_right(sp, name, sp2, poly, disp)                    \
	__extension__({                                                      \
		mipc_space_t sp_ = (sp), sp2_ = (sp2);                       \
		conf_spell_mach(sp_) && sp2_ == sp_                          \
		    ? mach_port_insert_right(                                \
		          mach_task_self(), name, poly, disp)                \
		    : (mipc_port_insert_right)(sp_, name, sp2_, poly, disp); \
	})
#define mipc_port_extract_right(sp, name, msgt, sp2, poly, polyt)            \
	__extension__({                                                      \
		mipc_space_t sp_ = (sp), sp2_ = (sp2);                       \
		conf_spell_mach(sp_) && sp2_ == sp_                          \
		    ? mach_port_extract_right(                               \
		          mach_task_self(), name, msgt, poly, polyt)         \
		    : (mipc_port_extract_right)(sp_, name, msgt, sp2_, poly, \
		          polyt);                                            \
	})

#endif /* CONF_MACH_SPELLING */

#endif /* MIPC_TESTS_CONFORMANCE_MACH_SPELLING_H */
