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
#include "port.h"
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

/*
 * A space.  Its handle (mipc_space_t) is not its address: spaces live in
 * slots that are never freed (type-stable), found by the handle's index,
 * and a handle is honoured only while the slot's is_handle equals it (see
 * space.c, "Handles").  The first four fields are what resolution reads
 * lock-free; they stay meaningful while the slot is free.  The rest is the
 * space proper, poisoned under ASan while the slot is free (but for
 * is_erase_seq, which readers of a port's receiver read, below).
 *
 * Legend: (A) atomic, order named at each access  (F) ipc_slots_lock
 * (S) is_lock  (E) epoch-protected read  (C) constant while in use.
 */
struct mipc_space {
	uint64_t is_handle;                /* (A) live handle; 0: none */
	uint64_t is_gen;                   /* (A) last generation issued */
	uint32_t is_refs;                  /* (A) creator + calls holding it */
	uint32_t is_index;                 /* (C) the slot's index */
	struct mipc_space *is_next_free;   /* (F) slot free list */
	uint64_t is_live;                  /* (A; S to clear) the handle while
	                                    active, 0 from the destroy on */
	ipc_lock_t is_lock;                /* rank IPC_RANK_SPACE */
	uint32_t is_erase_seq;             /* (S to write, A to read) quiet
	                                    deaths that erased a count
	                                    (right.c); never reset */
	uint32_t is_serial;                /* (C) for audit tokens */
	struct ipc_table *is_table;        /* (S) writers, (E) readers */
	uint32_t is_active;                /* (S) 0 once destroyed; (A) hint */
	uint32_t is_free_head;             /* (S) first free index, 0: none */
	uint32_t is_rand;                  /* (S) xorshift state */
	uint32_t is_rmap_mask;             /* (S) slots - 1 */
	struct ipc_rmap_slot *is_rmap;     /* (S) open addressing */
	uint32_t is_rmap_used;             /* (S) live + tombstones */
	mach_port_name_t is_bootstrap;     /* (S) its bootstrap_port name
	                                    (bootstrap.c), 0 until used */
	struct ipc_vm_holder is_vm;        /* (vm.c's lock) regions held */
	struct ipc_workloop *is_workloops; /* (S) its workloops (workloop.c) */
	struct ipc_port *is_task_port;     /* (S) its task port (task.c), made
	                                    on first use; NULL after destroy */
	mach_port_name_t is_task_name;     /* (S, A) its own pinned name for
	                                    it (mach_task_self), 0 until made */
	struct ipc_deferred is_reclaim;    /* the slot's retirement */
} IPC_CACHE_ALIGNED;

MIPC_STATIC_ASSERT(space_slot_is_small, sizeof(struct mipc_space) <= 256);

/*
 * Handles: (generation << IPC_SPACE_IDX_BITS) | slot index.  Generations
 * start at 1 (no handle is 0) and only grow; a slot whose generation would
 * wrap is retired for ever, so no handle is ever issued twice.
 */
#define IPC_SPACE_IDX_BITS    20 /* at most 1M spaces live at once */
#define IPC_SPACE_IDX_MASK    ((1u << IPC_SPACE_IDX_BITS) - 1)
#define IPC_SPACE_CHUNK_SHIFT 6 /* slots come 64 at a time */
#define IPC_SPACE_CHUNK       (1u << IPC_SPACE_CHUNK_SHIFT)
#define IPC_SPACE_GEN_MAX     (UINTPTR_MAX >> IPC_SPACE_IDX_BITS)

/* Slot chunks, by index >> IPC_SPACE_CHUNK_SHIFT (space.c). */
extern struct mipc_space
    *ipc_space_dir[1u << (IPC_SPACE_IDX_BITS - IPC_SPACE_CHUNK_SHIFT)];

/* A handle's value, as is_handle holds it. */
static inline uint64_t
ipc_space_bits(mipc_space_t task)
{
	return (uint64_t)(uintptr_t)task;
}

/* The slot a handle names, or NULL if its chunk does not exist. */
static inline struct mipc_space *
ipc_space_slot(mipc_space_t task)
{
	uintptr_t h = (uintptr_t)task;
	uint32_t idx = (uint32_t)(h & IPC_SPACE_IDX_MASK);
	struct mipc_space *chunk =
	    ck_pr_load_ptr(&ipc_space_dir[idx >> IPC_SPACE_CHUNK_SHIFT]);

	if (unlikely(chunk == NULL))
		return NULL;
	/* [A51]: pairs with [R51] in slot_grow_locked(); the chunk's slots
	 * are zeroed (an address dependency orders it but on Alpha). */
	ck_pr_fence_load_depends();
	return &chunk[idx & (IPC_SPACE_CHUNK - 1)];
}

/*
 * ipc_space_lookup_slot
 *	The live space `task` names, given its slot (ipc_space_slot(task),
 *	which may be found before the section: slots and their directory are
 *	never freed), without taking a reference.  `space` may also be a
 *	guess (a slot a thread found for a handle before, or NULL): a
 *	handle's low bits are its slot's index, so no other slot's
 *	is_handle ever equals it, and a wrong guess returns NULL.
 * Conditions:
 *	Inside an epoch section: a slot is reused only a grace period after
 *	its handle stopped resolving, so what this returns stays this
 *	space (possibly destroyed: is_table NULL) until the section ends.
 * Returns:
 *	The space, or NULL (NULL handle, never issued, destroyed and
 *	released).
 */
static inline struct mipc_space *
ipc_space_lookup_slot(struct mipc_space *space, mipc_space_t task)
{
	if (unlikely(space == NULL ||
	        ck_pr_load_64(&space->is_handle) != ipc_space_bits(task) ||
	        task == NULL))
		return NULL;
	/* [A50]: pairs with [R50] in mipc_space_create(); it is built. */
	ck_pr_fence_load();
	ipc_tsan_acquire(space); /* [T50] */
	return space;
}

/* ipc_space_lookup_slot of the slot `task` names: the same conditions. */
static inline struct mipc_space *
ipc_space_lookup(mipc_space_t task)
{
	return ipc_space_lookup_slot(ipc_space_slot(task), task);
}

/*
 * ipc_space_lock_try_handle
 *	The active space `task` names, locked, found with neither an epoch
 *	section nor a reference: a slot, its lock and is_live are
 *	type-stable (never freed; made once, with the chunk,
 *	slot_grow_locked; outside the body a new space clears), so a stale
 *	handle can only lock a slot that holds a destroyed space, another
 *	space or none, and is_live reread under the lock tells.  Not
 *	is_handle: a destroyed space's handle resolves until its last
 *	reference goes, which takes no lock, and its slot may be reused
 *	meanwhile.  is_live matching under the lock means the destroy has
 *	not run (it clears is_live under the lock), so the creator's
 *	reference holds the slot until the caller unlocks.
 * Conditions:
 *	Nothing needed; never waits (the lock is only tried).
 * Returns:
 *	The space locked and active, or NULL (not found, destroyed, or the
 *	lock busy): the caller takes its general path.
 */
/*
 * The lock-try paths' end: the slot just locked still holds the space its
 * handle names (is_live reread under the lock), else it is unlocked and
 * NULL returned; then [A50] makes the space's construction visible.
 */
static inline __attribute__((always_inline)) struct mipc_space *
space_locked_still(struct mipc_space *space, uint64_t bits)
{
	if (unlikely(ck_pr_load_64(&space->is_live) != bits)) {
		ipc_unlock(&space->is_lock); /* destroyed or reused: not ours */
		return NULL;
	}
	/* [A50]: pairs with [R50] in mipc_space_create(); it is built. */
	ck_pr_fence_load();
	ipc_tsan_acquire(space); /* [T50] */
	return space;
}

static inline struct mipc_space *
ipc_space_lock_try_handle(mipc_space_t task)
{
	struct mipc_space *space = ipc_space_slot(task);
	uint64_t bits = ipc_space_bits(task);

	if (unlikely(space == NULL || task == NULL ||
	        ck_pr_load_64(&space->is_live) != bits))
		return NULL;
	ipc_debug_yield(IPC_YIELD_LOOKUP); /* tests: the slot reused here */
	if (unlikely(!ipc_lock_try(&space->is_lock)))
		return NULL;
	return space_locked_still(space, bits);
}

/*
 * ipc_space_lock_try_hint
 *	ipc_space_lock_try_handle for a thread with state (th, the caller's
 *	ipc_thread_cur): the slot tried first is th_slot, the one this
 *	thread resolved last (a hint: NULL or any slot, type-stable), which
 *	is_live accepts only if it is the slot `task` names (a handle's low
 *	bits are its slot's index: no other slot's is_live equals it); else
 *	the directory's, kept as the next hint.  The lock token comes from
 *	the thread's first lock: a thread with none yet returns NULL (the
 *	caller's general path takes one), so that the flat paths make no
 *	call before the lock and keep no value across one.  mark: 0, or
 *	IPC_LOCK_ERASING for a hold that may erase a port's count (space.h,
 *	below): such a hold never waits for anything.
 * Conditions and returns: as ipc_space_lock_try_handle.
 */
static inline __attribute__((always_inline)) struct mipc_space *
ipc_space_lock_try_hint(struct ipc_thread *th, mipc_space_t task, uint32_t mark)
{
	struct mipc_space *space = th->th_slot;
	uint64_t bits = ipc_space_bits(task);
	uint32_t token = ipc_lock_self;

	if (unlikely(task == NULL || token == 0))
		return NULL;
	if (unlikely(space == NULL || ck_pr_load_64(&space->is_live) != bits)) {
		space = ipc_space_slot(task);
		if (unlikely(space == NULL ||
		        ck_pr_load_64(&space->is_live) != bits))
			return NULL;
		th->th_slot = space;
	}
	ipc_debug_yield(IPC_YIELD_LOOKUP); /* tests: the slot reused here */
	if (unlikely(!ipc_lock_cas(&space->is_lock, token | mark)))
		return NULL;
	ipc_tsan_acquire(&space->is_lock); /* A: as in ipc_lock() */
	if (ipc_test_hooks)
		ipc_witness_acquire(&space->is_lock);
	return space_locked_still(space, bits);
}

/* The default space's handle, or NULL before its first use (space.c). */
extern mipc_space_t ipc_default_space;

/*
 * ipc_thread_space
 *	mipc_thread_space without its call, for a thread with state (th, the
 *	caller's ipc_thread_cur, not NULL): mach_msg's every call (msg.c).
 *	NULL before the default space exists (then call mipc_thread_space).
 */
static inline mipc_space_t
ipc_thread_space(struct ipc_thread *th)
{
	return th->th_space != NULL ? th->th_space
	                            : ck_pr_load_ptr(&ipc_default_space);
}

kern_return_t ipc_space_acquire(mipc_space_t task, struct mipc_space **out);
bool ipc_space_tryref(struct mipc_space *space);
void ipc_space_reference(struct mipc_space *space);
void ipc_space_release(struct mipc_space *space);
bool ipc_space_issued(mipc_space_t task);

/* The handle of a space the caller holds (a reference or a section). */
static inline mipc_space_t
ipc_space_handle(const struct mipc_space *space)
{
	return (mipc_space_t)(uintptr_t)ck_pr_load_64(&space->is_handle);
}

/*
 * A reference held for the scope of a variable: an entry point declares
 * `struct mipc_space *space IPC_SPACE_HELD = NULL;`, fills it with
 * ipc_space_acquire(), and every return releases it.
 */
static inline void
ipc_space_release_scoped(struct mipc_space **spacep)
{
	if (*spacep != NULL)
		ipc_space_release(*spacep);
}
#define IPC_SPACE_HELD __attribute__((cleanup(ipc_space_release_scoped)))

static inline void
is_lock(struct mipc_space *space)
{
	ipc_lock(&space->is_lock);
}

/* Never waits: the one way to take it inside an epoch section. */
static inline bool
is_lock_try(struct mipc_space *space)
{
	return ipc_lock_try(&space->is_lock);
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
 * ipc_entry_lookup_bits
 *	The entry currently holding `name`, or NULL; *bitsp is the one load
 *	of its ie_bits the answer was checked on (type and generation).
 * Conditions:
 *	Space locked, or the caller is inside an epoch section (then the
 *	entry may change under it: *bitsp is a snapshot, reread ie_bits to
 *	confirm it after reading anything else of the entry).
 *	A destroyed space has no table: every lookup fails.
 */
static inline struct ipc_entry *
ipc_entry_lookup_bits(
    struct mipc_space *space, mach_port_name_t name, uint32_t *bitsp)
{
	struct ipc_table *t = ck_pr_load_ptr(&space->is_table);
	uint32_t idx = MACH_PORT_INDEX(name), bits;
	struct ipc_entry *e;

	if (unlikely(t == NULL))
		return NULL;
	/* [A5]: pairs with [R5] in table_grow(); the table is built. */
	ck_pr_fence_load();
	ipc_tsan_acquire(t);
	/* Index 0 passes: its entry is never used (the free list starts at
	 * 1 and 0 ends it; ipc_entry_alloc_name refuses it), so its bits
	 * stay 0 and the type check refuses it. */
	if (unlikely(idx >= t->it_size))
		return NULL;
	e = &t->it_entries[idx];
	bits = ck_pr_load_32(&e->ie_bits);
	ipc_debug_yield(IPC_YIELD_LOOKUP);
	/* The generation compared as the bytes it is (one register). */
	if (unlikely(IE_BITS_TYPE(bits) == 0 ||
	        (uint8_t)(bits >> 24) != (uint8_t)name))
		return NULL;
	*bitsp = bits;
	return e;
}

/*
 * ipc_entry_lookup
 *	The entry currently holding `name`, or NULL.
 * Conditions:
 *	As ipc_entry_lookup_bits (inside a section: reread ie_bits to
 *	confirm a snapshot).
 */
static inline struct ipc_entry *
ipc_entry_lookup(struct mipc_space *space, mach_port_name_t name)
{
	uint32_t bits;

	return ipc_entry_lookup_bits(space, name, &bits);
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
/*
 * ipc_entry_load_kind
 *	ipc_entry_load_object for a lock-free reader that will use the
 *	object as the kind its snapshot of the bits promised: NULL unless
 *	the object is of that kind.  The entry may have been freed and
 *	taken by an object of another kind (a port set in a send right's
 *	entry) between the bits and this load; the reader rereads the bits
 *	after it, but uses the object before (fuzz_sched's
 *	get_refs_entry_reused_by_set).  io_kind is constant while the
 *	section keeps the memory.
 * Conditions:
 *	Inside an epoch section.
 */
static inline struct ipc_object *
ipc_entry_load_kind(const struct ipc_entry *e, uint32_t kind)
{
	struct ipc_object *o = ipc_entry_load_object(e);

	if (o == NULL || unlikely(o->io_kind != kind))
		return NULL;
	return o;
}

/*
 * ipc_entry_gen_next
 *	An entry's bits for its next use, type 0: its generation advanced
 *	within its roll period (XNU's IE_BITS_ROLL: after 16 * (roll + 1)
 *	uses the count starts again from a fresh roll point).  0 when the
 *	next use needs that fresh point, a random draw (space.c
 *	entry_next_gen), or the entry was never used.
 */
static inline uint32_t
ipc_entry_gen_next(uint32_t bits)
{
	/* The generation's count of uses, bits 26-31, advanced in place (in
	 * 64 bits: a count of 63 + 1 does not wrap); its top two bits are
	 * the count / 16, which must stay within the roll point's. */
	uint64_t next = (uint64_t)bits + (1u << 26);

	if (unlikely((bits >> 24) == 0 ||
	        (next >> 30) >
	            ((bits & IE_BITS_ROLL_MASK) >> IE_BITS_ROLL_SHIFT)))
		return 0;
	return (uint32_t)next & (IE_BITS_GEN_MASK | IE_BITS_ROLL_MASK);
}

/*
 * ipc_entry_alloc_next
 *	ipc_entry_alloc's common case, inline: the free list's head, with
 *	its next generation (ipc_entry_gen_next, no random draw).  The same
 *	entry, name and generation as ipc_entry_alloc; its bits are the
 *	caller's to store (*bitsp: generation and roll point, type 0), after
 *	the object.
 * Conditions:
 *	Space locked and active.
 * Returns:
 *	The entry, or NULL with nothing changed (no free entry, a first
 *	use, a roll): ipc_entry_alloc's.
 */
static inline struct ipc_entry *
ipc_entry_alloc_next(
    struct mipc_space *space, mach_port_name_t *namep, uint32_t *bitsp)
{
	uint32_t idx = space->is_free_head, bits;
	struct ipc_entry *e;

	ipc_lock_assert_held(&space->is_lock);
	if (unlikely(idx == 0))
		return NULL;
	e = &space->is_table->it_entries[idx];
	bits = ipc_entry_gen_next(e->ie_bits);
	if (unlikely(bits == 0))
		return NULL;
	space->is_free_head = e->ie_index;
	e->ie_index = 0;
	*bitsp = bits;
	*namep = MACH_PORT_MAKE(idx, bits & IE_BITS_GEN_MASK);
	return e;
}

/*
 * ipc_entry_dealloc_inline (ipc_entry_dealloc: its call)
 *	Free the entry of `name`; the name becomes invalid at once.
 * Conditions:
 *	Space locked.  The caller removed the object from the reverse map and
 *	releases the entry's reference on it afterwards, never before: a
 *	lock-free reader may find an object through an entry only while the
 *	entry holds a reference (object.h).
 */
static inline void
ipc_entry_dealloc_inline(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	ipc_lock_assert_held(&space->is_lock);
	/* Test builds: a lookup per free, a third of a quiet destroy's. */
	ipc_assert_slow(
	    ipc_entry_lookup(space, name) == e, "entry of its name");
	ck_pr_store_32(&e->ie_bits,
	    e->ie_bits &
	        ~(IE_BITS_TYPE_MASK | IE_BITS_EX_RECEIVE | IE_BITS_UREFS_MASK));
	ck_pr_store_ptr(&e->ie_object, NULL);
	e->ie_index = space->is_free_head;
	space->is_free_head = MACH_PORT_INDEX(name);
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
uint64_t ipc_space_live(void);
bool ipc_space_is_default(const struct mipc_space *space);
void ipc_space_atfork_child(void);

struct mipc_space *ipc_space_caller(struct mipc_space *space);

/*
 * References taken lock-free on a port that may die quietly.  The flat
 * destruction of a quiet receive right (receive_destroy_flat, right.c)
 * takes no atomic on the port: under the lock of the space holding the
 * receive right, it reads io_refs == 1 (the entry's reference alone) and
 * stores 0.  An ipc_object_reference_try that lands between that load
 * and that store is erased by it: the reader took a reference that no
 * longer counts.  So a reader that found a port lock-free -- through an
 * entry, a link or a message, inside an epoch section, holding no
 * reference that keeps io_refs above 1 -- takes its reference with
 * ipc_port_reference_try_found, which tells an erased one from a real
 * one:
 *   * The erasing hold is one hold of the lock of the port's receiver,
 *     taken with IPC_LOCK_ERASING in the lock word (ip_receiver is that
 *     space from before the hold until after the store: it changes
 *     under that lock, and the quiet death clears it after the unlock).
 *     It reads io_refs after its lock word is visible ([F141]: the
 *     lock's CAS on x86), and bumps the space's is_erase_seq before it
 *     unlocks.  It never waits for anything while it holds the lock.
 *   * The reader reads the receiver, its is_erase_seq and its lock word
 *     before its reference_try, and the three again after it ([F141]).
 *     An erasing hold around its increment shows as the lock held with
 *     IPC_LOCK_ERASING then, or, once unlocked, as is_erase_seq moved
 *     ([A142]/[R142]: the count before the unlock, read after the lock
 *     word), or as another receiver.  None of these, before and after:
 *     no hold erased it.  Other holds of the lock are no matter: they
 *     erase nothing.  The first look comes before the increment
 *     ([A153]/[R153]): a lock word read free after an erasing hold's
 *     unlock makes the increment read the count that hold left (0: it
 *     fails).  Unordered -- a plain load before an RMW, which arm64
 *     may perform after it -- an increment could land inside the hold
 *     while the first look saw it over and its is_erase_seq already
 *     moved: the second look, the same, would take it for real.
 *   * Otherwise (ipc_port_reference_settle, port.c) the reader waits
 *     until no erasing hold can still be on -- the receiver NULL, or
 *     its lock word seen without IPC_LOCK_ERASING with the receiver
 *     unchanged: a wait for a short hold that waits for nothing, never
 *     for a holder that may wait for the reader's epoch section to end
 *     (ipc_epoch_wait_readers) -- and reads io_refs: 0 means it was
 *     erased (nothing raises a count from 0, and the epoch section keeps
 *     the memory from reuse), anything else counts the reader's
 *     reference.  An erased reader gets false, as if its reference_try
 *     had failed: the port's receive right is gone.
 * The erasure happens only to a quiet port (ipc_port_quiet, checked in
 * the same hold), never to a special reply port (whose references need
 * no more than reference_try), so that no one but erased readers -- who
 * touch nothing before they know -- could have used it.  Space slots are
 * type-stable: the receiver read is always a slot.
 */
bool ipc_port_reference_settle(struct ipc_port *port);

static inline __attribute__((always_inline)) bool
ipc_port_reference_try_found(struct ipc_port *port)
{
	struct mipc_space *sp;
	uint32_t seq = 0, held = IPC_LOCK_ERASING;

	/* A special reply port never dies quietly (receive_destroy_flat). */
	if (port->ip_cflags & IP_F_SPECIAL_REPLY)
		return ipc_object_reference_try(&port->ip_object);
	sp = ck_pr_load_ptr(&port->ip_receiver);
	if (likely(sp != NULL)) {
		seq = ck_pr_load_32(&sp->is_erase_seq);
		ck_pr_fence_load(); /* [A142]: the count, then the lock word */
		held = ck_pr_load_32(&sp->is_lock.il_owner);
		/* [A153]: the lock word, then io_refs, our increment's read
		 * (a load before an RMW: free on x86, not on arm64). */
		ck_pr_fence_load();
	}
	if (!ipc_object_reference_try(&port->ip_object))
		return false;
	ipc_debug_yield(IPC_YIELD_LOOKUP); /* tests: an erasing hold here */
	/* [F141]: our increment before the second look (free on x86). */
	ck_pr_fence_atomic_load();
	if (likely(!(held & IPC_LOCK_ERASING)) &&
	    ck_pr_load_ptr(&port->ip_receiver) == sp &&
	    !(ck_pr_load_32(&sp->is_lock.il_owner) & IPC_LOCK_ERASING)) {
		ck_pr_fence_load(); /* [A142]: the lock word, then the count */
		if (likely(ck_pr_load_32(&sp->is_erase_seq) == seq))
			return true;
	}
	return ipc_port_reference_settle(port);
}

#endif /* MIPC_CORE_SPACE_H */
