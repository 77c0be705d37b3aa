/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * introspect.h -- what a person reads about mipc's state (introspect.c):
 * mipc_space_dump, and the MIPC_DEBUG=leaks report at exit, whose
 * bookkeeping the object life cycles call into.
 *
 * Owns:      ipc_debug_leaks and the hooks below; each costs one load and
 *            a predicted branch where spaces, ports and sets are made and
 *            freed (never on a message path) when MIPC_DEBUG is unset.
 */
#ifndef MIPC_CORE_INTROSPECT_H
#define MIPC_CORE_INTROSPECT_H

#include "base.h"
#include "cache.h"

/* MIPC_DEBUG contains "leaks" (read once, before main). */
extern bool ipc_debug_leaks;

void ipc_leak_note_slow(enum ipc_kind kind, const void *obj);
void ipc_leak_forget_slow(const void *obj);

/* A space, port or set was made: remember where (MIPC_DEBUG=leaks). */
static inline void
ipc_leak_note(enum ipc_kind kind, const void *obj)
{
	if (unlikely(ipc_debug_leaks))
		ipc_leak_note_slow(kind, obj);
}

/* fork(): the child's report starts empty (fork.c). */
void ipc_leak_atfork_child(void);

/* ... is being freed. */
static inline void
ipc_leak_forget(const void *obj)
{
	if (unlikely(ipc_debug_leaks))
		ipc_leak_forget_slow(obj);
}

#endif /* MIPC_CORE_INTROSPECT_H */
