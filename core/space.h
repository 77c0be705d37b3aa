/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * space.h -- spaces and their entries (space.c): the name table, its
 * lock-free lookup, the reverse map port -> name, and the space object.
 *
 * Owns:      ie_bits encoding, struct ipc_entry, struct ipc_table, the
 *            reverse map, struct mipc_space.
 * Locking:   is_lock (IPC_RANK_SPACE) for writers; readers look names up
 *            inside epoch sections.
 */
#ifndef MIPC_CORE_SPACE_H
#define MIPC_CORE_SPACE_H

#include "cache.h"
#include "lock.h"
#include "object.h"
#include "thread.h"
#include "vm.h"

#include <ck_pr.h>
#include <mipc/port.h>
#include <mipc/types.h>

struct ipc_port;
struct ipc_workloop;

/*
 * ie_bits encoding (XNU's ipc_entry.h masks):
 *   bits  0-15  user references (IE_BITS_UREFS)
 *   bits 16-20  MACH_PORT_TYPE_* of the rights held (IE_BITS_TYPE)
 *   bit  21     the name used to hold a receive right (IE_BITS_EX_RECEIVE,
 *               XNU's MACH_PORT_TYPE_EX_RECEIVE; never reported)
 *   bits 22-23  generation roll point: period 16 * (1 + value) uses
 *   bits 24-31  generation: the low byte of the name, (gen & 3) == 3
 * A free entry has type 0 and keeps its last generation.
 */
#define IE_BITS_UREFS_MASK 0x0000ffffu
#define IE_BITS_TYPE_MASK  0x001f0000u
#define IE_BITS_EX_RECEIVE 0x00200000u
#define IE_BITS_ROLL_MASK  0x00c00000u
#define IE_BITS_ROLL_SHIFT 22
#define IE_BITS_GEN_MASK   0xff000000u
#define IE_BITS_UREFS(b)   ((b)&IE_BITS_UREFS_MASK)
#define IE_BITS_TYPE(b)    ((b)&IE_BITS_TYPE_MASK)
#define IE_BITS_GEN(b)     ((b)&IE_BITS_GEN_MASK)

struct ipc_entry {
	struct ipc_object
	    *ie_object;    /* (S, E) port or set; NULL if dead/free */
	uint32_t ie_bits;  /* (S, E) see encoding above */
	uint32_t ie_index; /* (S) free: next free; used: request */
};

MIPC_STATIC_ASSERT(entry_is_16_bytes, sizeof(struct ipc_entry) == 16);

struct ipc_table {
	uint32_t it_size; /* (C) entries, a power of two */
	uint32_t it_pad;
	struct ipc_deferred it_free; /* retirement after growth */
	struct ipc_entry it_entries[];
};

#define IPC_TABLE_MIN 64u
#define IPC_TABLE_MAX (1u << 20) /* names index below this */

/* Reverse map port -> name, for send and receive rights (space.c). */
struct ipc_rmap_slot {
	struct ipc_port *rs_port; /* NULL: empty; IPC_RMAP_TOMB: deleted */
	mach_port_name_t rs_name;
	uint32_t rs_pad;
};

struct mipc_space {
	ipc_lock_t is_lock;                /* rank IPC_RANK_SPACE */
	struct ipc_table *is_table;        /* (S) writers, (E) readers */
	uint32_t is_active;                /* (S) 0 once destroyed; (A) hint */
	uint32_t is_free_head;             /* (S) first free index, 0: none */
	uint32_t is_refs;                  /* (A) creator + threads' current */
	uint32_t is_rand;                  /* (S) xorshift state */
	struct ipc_rmap_slot *is_rmap;     /* (S) open addressing */
	uint32_t is_rmap_mask;             /* (S) slots - 1 */
	uint32_t is_rmap_used;             /* (S) live + tombstones */
	struct mipc_space *is_zombie_next; /* (G) destroyed, waiting reap */
	uint32_t is_serial;                /* (C) for audit tokens */
	mach_port_name_t is_bootstrap;     /* (S) its bootstrap_port name
	                                      (bootstrap.c), 0 until used */
	struct ipc_vm_holder is_vm;        /* (vm.c's lock) regions held */
	struct ipc_workloop *is_workloops; /* (S) its workloops (workloop.c) */
	struct ipc_port *is_task_port;     /* (S) its task port (task.c), made
	                                      on first use; NULL after destroy */
	mach_port_name_t is_task_name;     /* (S, A) its own pinned name for
	                                      it (mach_task_self), 0 until made */
};

MIPC_STATIC_ASSERT(
    space_fits_its_cache, sizeof(struct mipc_space) <= IPC_SPACE_SIZE);

static inline void
is_lock(struct mipc_space *space)
{
	ipc_lock(&space->is_lock);
}

static inline void
is_unlock(struct mipc_space *space)
{
	ipc_unlock(&space->is_lock);
}

/*
 * Active check for entry points.
 * Conditions: space locked.
 */
static inline kern_return_t
ipc_space_check(struct mipc_space *space)
{
	ipc_lock_assert_held(&space->is_lock);
	return space->is_active ? KERN_SUCCESS : KERN_INVALID_TASK;
}

/*
 * ipc_entry_lookup
 *	The entry currently holding `name`, or NULL.
 * Conditions:
 *	Space locked, or the caller is inside an epoch section (then the
 *	entry may change under it: reread ie_bits to confirm a snapshot).
 *	A destroyed space has no table: every lookup fails.
 */
static inline struct ipc_entry *
ipc_entry_lookup(struct mipc_space *space, mach_port_name_t name)
{
	struct ipc_table *t = ck_pr_load_ptr(&space->is_table);
	uint32_t idx = MACH_PORT_INDEX(name), bits;
	struct ipc_entry *e;

	if (unlikely(t == NULL))
		return NULL;
	/* [A5]: pairs with [R5] in table_grow(); the table is built. */
	ck_pr_fence_load();
	ipc_tsan_acquire(t);
	if (unlikely(idx - 1 >= t->it_size - 1))
		return NULL; /* index 0, or beyond the table */
	e = &t->it_entries[idx];
	bits = ck_pr_load_32(&e->ie_bits);
	ipc_debug_yield(IPC_YIELD_LOOKUP);
	if (unlikely(IE_BITS_TYPE(bits) == 0 ||
	        IE_BITS_GEN(bits) != MACH_PORT_GEN(name)))
		return NULL;
	return e;
}

/*
 * ipc_entry_set_object
 *	Publish an object in an entry ([R8]): the object is fully built
 *	before its pointer is stored, and the pointer before the entry's
 *	bits, which the caller stores next (a reader that sees the new type
 *	and generation finds the new object, built).
 * Conditions:
 *	Space locked.
 */
static inline void
ipc_entry_set_object(struct ipc_entry *e, struct ipc_object *o)
{
	if (o != NULL) {
		ipc_tsan_release(o);
		ck_pr_fence_store(); /* [R8]: the object before its pointer */
	}
	ck_pr_store_ptr(&e->ie_object, o);
	ck_pr_fence_store(); /* [R8]: the pointer before the caller's bits */
}

/*
 * ipc_entry_load_object
 *	The object of an entry whose bits this lock-free reader has just
 *	loaded (ipc_entry_lookup): [A8] orders that load before this one;
 *	the object's fields are then read through the pointer (address
 *	dependency).  NULL if the entry was cleared meanwhile.
 * Conditions:
 *	Inside an epoch section, or space locked.
 */
static inline struct ipc_object *
ipc_entry_load_object(const struct ipc_entry *e)
{
	struct ipc_object *o;

	ck_pr_fence_load(); /* [A8]: the bits before the object ([R8]) */
	o = ck_pr_load_ptr(&e->ie_object);
	if (o != NULL)
		ipc_tsan_acquire(o);
	return o;
}
kern_return_t ipc_entry_alloc(struct mipc_space *space, mach_port_name_t *namep,
    struct ipc_entry **entryp);
kern_return_t ipc_entry_alloc_name(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry **entryp);
void ipc_entry_dealloc(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *entry);
bool ipc_rmap_lookup(struct mipc_space *space, const struct ipc_port *port,
    mach_port_name_t *namep);
bool ipc_rmap_insert(
    struct mipc_space *space, struct ipc_port *port, mach_port_name_t name);
void ipc_rmap_delete(struct mipc_space *space, const struct ipc_port *port);
void ipc_space_seed_set(uint32_t seed); /* test builds: replayable names */
/* Keep a space's memory (not its contents) alive: a destroyed space's
 * handle answers KERN_INVALID_TASK until the last reference goes. */
void ipc_space_reference(struct mipc_space *space);
void ipc_space_release(struct mipc_space *space);
void ipc_space_reap(void);
bool ipc_space_is_default(const struct mipc_space *space);
void ipc_thread_space_exit(struct ipc_thread *th);

struct mipc_space *ipc_space_caller(struct mipc_space *space);

#endif /* MIPC_CORE_SPACE_H */
