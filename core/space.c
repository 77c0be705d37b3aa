/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * space.c -- name spaces: entry tables, name allocation, lock-free lookup,
 * the reverse map port -> name, space life cycle, the threads' current
 * space and the process-wide default space.
 *
 * Owns:      struct mipc_space, its struct ipc_table and reverse map; the
 *            zombie list of destroyed spaces; the default space.
 * Locking:   is_lock (IPC_RANK_SPACE) serialises every change of a space's
 *            entries, free list and reverse map; port locks nest inside it.
 *            Readers look entries up without it, inside an epoch section.
 *            ipc_spaces_lock (IPC_RANK_GLOBAL) covers the zombie list.
 * Ordering:  [R5]/[A5]: a grown table is fully built before it is published
 *            (table_grow), and seen built by lock-free readers
 *            (ipc_entry_lookup).  Entries are written with ck_pr stores
 *            under is_lock and read with ck_pr loads by readers; a reader
 *            that needs a consistent (bits, object) pair rereads the bits.
 *            [R8]/[A8] (space.h): an entry's object is built before its
 *            pointer, the pointer stored before the bits.  [R6]/[A6]: the
 *            default space is built before the CAS that publishes it.
 * Lifetime:  a space is referenced by its creator and by every thread that
 *            has it as current space; mipc_space_destroy() tears the
 *            contents down at once and parks the struct on the zombie list,
 *            from which mipc_quiesce() frees it once unreferenced, so the
 *            handle answers KERN_INVALID_TASK until then.  Old tables are
 *            retired through the epoch.  When the last live space is
 *            destroyed, process-wide kernel objects (the bootstrap
 *            namespace) let go of what they hold (kobject.c).
 * Choices:   * Names as XNU makes them (1.3): index << 8 | gen, gen
 *              with its two low bits set, advancing by 4 per reuse and
 *              rolling back to 0x03 after a random period of 16/32/48/64
 *              uses; free indexes are linked in a random order (a random
 *              affine permutation of each new range), so names are not
 *              sequential.
 *            * The reverse map is a small open-addressing table of our own
 *              rather than ck_hs: it maps a port pointer to a 32-bit name
 *              and is only touched under is_lock.
 *            * Tables grow by doubling up to IPC_TABLE_MAX entries; beyond,
 *              allocation fails with KERN_NO_SPACE (A9).
 */
#include "space.h"

#include "cache.h"
#include "guard.h"
#include "introspect.h"
#include "kobject.h"
#include "lock.h"
#include "port.h"
#include "pset.h"
#include "right.h"
#include "task.h"
#include "thread.h"
#include "vm.h"
#include "workloop.h"

#include <mipc/mach.h>
#include <mipc/port.h>
#include <string.h>

static ipc_lock_t ipc_spaces_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_GLOBAL, "space registry");
static struct mipc_space *ipc_zombies;        /* (G) destroyed spaces */
static struct mipc_space *ipc_default_space;  /* (A) */
static uint32_t ipc_space_serials;            /* (A) */
static uint32_t ipc_spaces_live;              /* (A) created, not destroyed */
static uint32_t ipc_space_seed = 0x9e3779b9u; /* (A) */
static bool ipc_space_seed_fixed;             /* test builds: replayable */

#define IPC_RMAP_TOMB ((struct ipc_port *)1)

/* ------------------------------------------------------------------ */
/* Randomness for names                                                */

static uint32_t
space_rand(struct mipc_space *space)
{
	uint32_t x = space->is_rand;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	space->is_rand = x;
	return x;
}

static uint32_t
gcd32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */

static size_t
table_bytes(uint32_t size)
{
	return sizeof(struct ipc_table) +
	    (size_t)size * sizeof(struct ipc_entry);
}

static void
table_free(struct ipc_deferred *d)
{
	struct ipc_table *t = ipc_container_of(d, struct ipc_table, it_free);

	ipc_free(IPC_KIND_TABLE, t, table_bytes(t->it_size));
}

/*
 * Link the free entries [from, to) of t onto the free list, in the order
 * of a random affine permutation of the range.
 * Conditions: space locked (or not yet published).
 */
static void
table_link_free(
    struct mipc_space *space, struct ipc_table *t, uint32_t from, uint32_t to)
{
	uint32_t n = to - from, stride, start, k;

	if (n == 0)
		return;
	do {
		stride = space_rand(space) % n;
	} while (n > 1 && (stride == 0 || gcd32(stride, n) != 1));
	if (n == 1)
		stride = 1;
	start = space_rand(space) % n;
	for (k = n; k-- > 0;) {
		uint32_t idx =
		    from + (uint32_t)((start + (uint64_t)k * stride) % n);

		t->it_entries[idx].ie_index = space->is_free_head;
		space->is_free_head = idx;
	}
}

/*
 * Grow the table to at least `want` entries (a power of two, at most
 * IPC_TABLE_MAX).
 * Conditions: space locked and active.  Allocates.  The old table is
 * retired through the epoch (lock-free readers may still be in it).
 */
static kern_return_t
table_grow(struct mipc_space *space, uint32_t want)
{
	struct ipc_table *ot = space->is_table, *nt;
	uint32_t osize = ot->it_size, nsize = osize;

	ipc_lock_assert_held(&space->is_lock);
	while (nsize < want)
		nsize *= 2;
	if (nsize > IPC_TABLE_MAX || nsize <= osize)
		return KERN_NO_SPACE;
	nt = ipc_zalloc(IPC_KIND_TABLE, table_bytes(nsize));
	if (nt == NULL)
		return KERN_RESOURCE_SHORTAGE;
	nt->it_size = nsize;
	memcpy(nt->it_entries, ot->it_entries,
	    (size_t)osize * sizeof(struct ipc_entry));
	table_link_free(space, nt, osize, nsize);
	/* [R5]: the new table is built before readers can find it ([A5]). */
	ipc_tsan_release(nt);
	ck_pr_fence_store();
	ck_pr_store_ptr(&space->is_table, nt);
	ipc_epoch_defer(ipc_thread_self(), &ot->it_free, table_free);
	return KERN_SUCCESS;
}

/* Advance an entry's generation for a new use; returns the new bits. */
static uint32_t
entry_next_gen(struct mipc_space *space, uint32_t bits)
{
	uint32_t gen = bits >> 24,
	         roll = (bits & IE_BITS_ROLL_MASK) >> IE_BITS_ROLL_SHIFT;
	uint32_t k;

	if (gen == 0) {
		/* Never used: first generation, fresh roll point. */
		roll = space_rand(space) & 3;
		k = 0;
	} else {
		k = (gen >> 2) + 1;
		if (k >= 16 * (roll + 1)) {
			k = 0;
			roll = space_rand(space) & 3;
		}
	}
	return ((k << 2 | 3) << 24) | (roll << IE_BITS_ROLL_SHIFT);
}

/*
 * ipc_entry_alloc
 *	A fresh name and its entry (type 0: the caller sets the right).
 * Conditions:
 *	Space locked and active.  May grow the table (allocates).
 * Returns:
 *	KERN_SUCCESS, KERN_NO_SPACE (table at its maximum) or
 *	KERN_RESOURCE_SHORTAGE.
 */
kern_return_t
ipc_entry_alloc(struct mipc_space *space, mach_port_name_t *namep,
    struct ipc_entry **entryp)
{
	struct ipc_table *t;
	struct ipc_entry *e;
	uint32_t idx, bits;

	ipc_lock_assert_held(&space->is_lock);
	if (unlikely(space->is_free_head == 0)) {
		kern_return_t kr =
		    table_grow(space, space->is_table->it_size * 2);

		if (kr != KERN_SUCCESS)
			return kr;
	}
	t = space->is_table;
	idx = space->is_free_head;
	e = &t->it_entries[idx];
	space->is_free_head = e->ie_index;
	bits = entry_next_gen(space, e->ie_bits);
	e->ie_index = 0;
	ck_pr_store_ptr(&e->ie_object, NULL);
	/* Type still 0: invisible to lookups until the caller sets it. */
	ck_pr_store_32(&e->ie_bits, bits);
	*namep = MACH_PORT_MAKE(idx, bits & IE_BITS_GEN_MASK);
	*entryp = e;
	return KERN_SUCCESS;
}

/*
 * ipc_entry_alloc_name
 *	The entry for exactly `name` (A6 order of checks).
 * Conditions:
 *	Space locked and active.  May grow the table.
 * Returns:
 *	KERN_SUCCESS (entry free, type 0), KERN_INVALID_VALUE, KERN_NO_SPACE,
 *	KERN_FAILURE (index 0, or slot used under another generation),
 *	KERN_NAME_EXISTS, KERN_RESOURCE_SHORTAGE.
 */
kern_return_t
ipc_entry_alloc_name(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry **entryp)
{
	uint32_t idx = MACH_PORT_INDEX(name), *link, bits;
	struct ipc_entry *e;

	ipc_lock_assert_held(&space->is_lock);
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_VALUE;
	if (idx >= IPC_TABLE_MAX)
		return KERN_NO_SPACE;
	if ((name | 3) != name)
		return KERN_INVALID_VALUE;
	if (idx == 0)
		return KERN_FAILURE;
	if (idx >= space->is_table->it_size) {
		kern_return_t kr = table_grow(space, idx + 1);

		if (kr != KERN_SUCCESS)
			return kr;
	}
	e = &space->is_table->it_entries[idx];
	if (IE_BITS_TYPE(e->ie_bits) != 0) {
		if (IE_BITS_GEN(e->ie_bits) == MACH_PORT_GEN(name))
			return KERN_NAME_EXISTS;
		return KERN_FAILURE;
	}
	/* Unlink idx from the free list (rare: user-chosen names). */
	for (link = &space->is_free_head; *link != idx;
	     link = &space->is_table->it_entries[*link].ie_index)
		ipc_require(*link != 0, "a free entry is on the free list");
	*link = e->ie_index;
	e->ie_index = 0;
	bits = (e->ie_bits & IE_BITS_ROLL_MASK) | MACH_PORT_GEN(name);
	ck_pr_store_ptr(&e->ie_object, NULL);
	ck_pr_store_32(&e->ie_bits, bits);
	*entryp = e;
	return KERN_SUCCESS;
}

/*
 * ipc_entry_dealloc
 *	Free the entry of `name`; the name becomes invalid at once.
 * Conditions:
 *	Space locked.  The caller removed the object from the reverse map and
 *	releases the entry's reference on it afterwards, never before: a
 *	lock-free reader may find an object through an entry only while the
 *	entry holds a reference (object.h).
 */
void
ipc_entry_dealloc(
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

/* ------------------------------------------------------------------ */
/* Reverse map: port -> name of its send and/or receive right          */

static uint32_t
rmap_hash(const struct ipc_port *port)
{
	uint64_t h = (uint64_t)(uintptr_t)port;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

static struct ipc_rmap_slot *
rmap_find(struct mipc_space *space, const struct ipc_port *port)
{
	uint32_t i;

	if (space->is_rmap == NULL)
		return NULL;
	for (i = rmap_hash(port) & space->is_rmap_mask;;
	     i = (i + 1) & space->is_rmap_mask) {
		struct ipc_rmap_slot *s = &space->is_rmap[i];

		if (s->rs_port == port)
			return s;
		if (s->rs_port == NULL)
			return NULL;
	}
}

bool
ipc_rmap_lookup(struct mipc_space *space, const struct ipc_port *port,
    mach_port_name_t *namep)
{
	struct ipc_rmap_slot *s;

	ipc_lock_assert_held(&space->is_lock);
	s = rmap_find(space, port);
	if (s == NULL)
		return false;
	*namep = s->rs_name;
	return true;
}

static void
rmap_put(struct ipc_rmap_slot *slots, uint32_t mask, struct ipc_port *port,
    mach_port_name_t name)
{
	uint32_t i;

	for (i = rmap_hash(port) & mask;; i = (i + 1) & mask) {
		if (slots[i].rs_port == NULL ||
		    slots[i].rs_port == IPC_RMAP_TOMB) {
			slots[i].rs_port = port;
			slots[i].rs_name = name;
			return;
		}
	}
}

/* Rebuild at a size fitting `live` entries (load at most 1/2). */
static bool
rmap_resize(struct mipc_space *space, uint32_t live)
{
	uint32_t nslots = 16, i;
	struct ipc_rmap_slot *ns;

	while (nslots < 4 * (live + 1))
		nslots *= 2;
	ns = ipc_zalloc(IPC_KIND_TABLE, nslots * sizeof(*ns));
	if (ns == NULL)
		return false;
	if (space->is_rmap != NULL) {
		for (i = 0; i <= space->is_rmap_mask; i++) {
			struct ipc_rmap_slot *s = &space->is_rmap[i];

			if (s->rs_port != NULL && s->rs_port != IPC_RMAP_TOMB)
				rmap_put(
				    ns, nslots - 1, s->rs_port, s->rs_name);
		}
		ipc_free(IPC_KIND_TABLE, space->is_rmap,
		    (space->is_rmap_mask + 1) * sizeof(*ns));
	}
	space->is_rmap = ns;
	space->is_rmap_mask = nslots - 1;
	space->is_rmap_used = live;
	return true;
}

/*
 * ipc_rmap_insert
 *	Record that `name` holds port's send and/or receive right.
 * Conditions:
 *	Space locked; no mapping for port yet.  May allocate; returns false
 *	when out of memory (nothing changed).
 */
bool
ipc_rmap_insert(
    struct mipc_space *space, struct ipc_port *port, mach_port_name_t name)
{
	ipc_lock_assert_held(&space->is_lock);
	ipc_require(rmap_find(space, port) == NULL, "one name per port");
	if (space->is_rmap == NULL ||
	    2 * (space->is_rmap_used + 1) > space->is_rmap_mask + 1) {
		uint32_t live = 0, i;

		if (space->is_rmap != NULL) {
			for (i = 0; i <= space->is_rmap_mask; i++) {
				struct ipc_port *p = space->is_rmap[i].rs_port;

				live += p != NULL && p != IPC_RMAP_TOMB;
			}
		}
		if (!rmap_resize(space, live + 1))
			return false;
	}
	rmap_put(space->is_rmap, space->is_rmap_mask, port, name);
	space->is_rmap_used++;
	return true;
}

void
ipc_rmap_delete(struct mipc_space *space, const struct ipc_port *port)
{
	struct ipc_rmap_slot *s;

	ipc_lock_assert_held(&space->is_lock);
	s = rmap_find(space, port);
	ipc_require(s != NULL, "reverse map holds the port being removed");
	s->rs_port = IPC_RMAP_TOMB;
	s->rs_name = 0;
}

/* ------------------------------------------------------------------ */
/* Spaces                                                              */

static void
space_free(struct mipc_space *space)
{
	ipc_leak_forget(space);
	ipc_cache_free(IPC_KIND_SPACE, space);
}

kern_return_t
mipc_space_create(mipc_space_t *out)
{
	struct mipc_space *space;
	struct ipc_table *t;

	if (out == NULL)
		return KERN_INVALID_ARGUMENT;
	space = ipc_cache_alloc(IPC_KIND_SPACE);
	if (space == NULL)
		return KERN_RESOURCE_SHORTAGE;
	t = ipc_zalloc(IPC_KIND_TABLE, table_bytes(IPC_TABLE_MIN));
	if (t == NULL) {
		space_free(space);
		return KERN_RESOURCE_SHORTAGE;
	}
	memset(space, 0, sizeof(*space));
	ipc_lock_init(&space->is_lock, IPC_RANK_SPACE, "space");
	/* Relaxed: the seed only decorrelates spaces' name orders. */
	space->is_rand = ck_pr_faa_32(&ipc_space_seed, 0x6d2b79f5u);
	if (!(ipc_test_hooks && ipc_space_seed_fixed))
		space->is_rand ^=
		    (uint32_t)(uintptr_t)space ^ (uint32_t)arch_cycles();
	if (space->is_rand == 0)
		space->is_rand = 1;
	t->it_size = IPC_TABLE_MIN;
	table_link_free(space, t, 1, IPC_TABLE_MIN);
	space->is_table = t;
	space->is_active = 1;
	space->is_refs = 1;
	/* Relaxed: only uniqueness matters. */
	space->is_serial = ck_pr_faa_32(&ipc_space_serials, 1) + 1;
	ck_pr_inc_32(&ipc_spaces_live); /* Relaxed: a count, see destroy */
	/*
	 * [T6]: the space is built before another thread is handed it; the
	 * caller's own hand-over carries the edge (or [R6] for the default
	 * space), TSan learns it here.
	 */
	ipc_tsan_release(space);
	ipc_leak_note(IPC_KIND_SPACE, space);
	*out = space;
	return KERN_SUCCESS;
}

void
ipc_space_reference(struct mipc_space *space)
{
	/* Relaxed: the caller already holds a reference. */
	ck_pr_inc_32(&space->is_refs);
}

void
ipc_space_release(struct mipc_space *space)
{
	/* Relaxed: freeing happens in ipc_space_reap under its lock. */
	ck_pr_dec_32(&space->is_refs);
}

/*
 * Test builds: from now on, name orders follow from `seed` and the order
 * in which spaces are created, so that a fuzzer's input replays exactly.
 */
void
ipc_space_seed_set(uint32_t seed)
{
	ipc_space_seed_fixed = true;
	ck_pr_store_32(&ipc_space_seed, seed);
}

/*
 * Tear a space down as task termination does (W1): receive rights
 * first (their ports die or go to their backups), then every other right.
 * Conditions: nothing locked; takes is_lock.
 */
kern_return_t
mipc_space_destroy(mipc_space_t space)
{
	struct ipc_table *t;
	uint32_t i, pass;

	if (space == NULL)
		return KERN_INVALID_ARGUMENT;
	ipc_tsan_acquire(space); /* [T6] */
	is_lock(space);
	if (!space->is_active) {
		is_unlock(space);
		return KERN_INVALID_TASK;
	}
	ck_pr_store_32(&space->is_active, 0);
	for (pass = 0; pass < 2; pass++) {
		t = space->is_table;
		for (i = 1; i < t->it_size; i++) {
			struct ipc_entry *e = &t->it_entries[i];
			uint32_t bits = e->ie_bits;

			if (IE_BITS_TYPE(bits) == 0)
				continue;
			if (pass == 0 && !(bits & MACH_PORT_TYPE_RECEIVE))
				continue;
			ipc_right_terminate(space,
			    MACH_PORT_MAKE(i, IE_BITS_GEN(bits)), e, pass == 0);
		}
	}
	/* Their servicers parked in a receive wake: nothing to receive. */
	ipc_workloop_space_destroyed_locked(space);
	t = space->is_table;
	ck_pr_store_ptr(&space->is_table, NULL);
	ipc_epoch_defer(ipc_thread_self(), &t->it_free, table_free);
	if (space->is_rmap != NULL)
		ipc_free(IPC_KIND_TABLE, space->is_rmap,
		    (space->is_rmap_mask + 1) * sizeof(struct ipc_rmap_slot));
	space->is_rmap = NULL;
	is_unlock(space);
	ipc_guard_flush(space);
	/* Its task port dies: holders see a dead name (task.c). */
	ipc_task_space_destroyed(space);
	/* Its memory too, as task termination unmaps the task (W1). */
	ipc_vm_close(space);

	ipc_lock(&ipc_spaces_lock);
	space->is_zombie_next = ipc_zombies;
	ipc_zombies = space;
	ipc_unlock(&ipc_spaces_lock);
	ipc_space_release(space);
	/*
	 * The process's last space: process-wide kernel objects let go.
	 * Relaxed: a space created concurrently finds them made again on
	 * demand (bootstrap.c), whichever side of this it falls.
	 */
	if (ck_pr_faa_32(&ipc_spaces_live, (uint32_t)-1) == 1)
		ipc_kobject_spaces_gone();
	return KERN_SUCCESS;
}

/* Free destroyed spaces nobody references any more (mipc_quiesce). */
void
ipc_space_reap(void)
{
	struct mipc_space **link, *space;

	ipc_lock(&ipc_spaces_lock);
	for (link = &ipc_zombies; (space = *link) != NULL;) {
		if (ck_pr_load_32(&space->is_refs) == 0) {
			*link = space->is_zombie_next;
			space_free(space);
		} else {
			link = &space->is_zombie_next;
		}
	}
	ipc_unlock(&ipc_spaces_lock);
}

/* ------------------------------------------------------------------ */
/* Current and default spaces                                          */

static struct mipc_space *
default_space(void)
{
	struct mipc_space *space = ck_pr_load_ptr(&ipc_default_space);

	if (likely(space != NULL)) {
		ck_pr_fence_load_depends(); /* [A6]: through the pointer */
		ipc_tsan_acquire(space);
		return space;
	}
	if (mipc_space_create(&space) != KERN_SUCCESS)
		return NULL;
	/*
	 * [R6]: the space is built before the CAS publishes it (a CAS alone
	 * orders nothing on ARM64); the loser of a race drops its own.
	 */
	ck_pr_fence_store_atomic(); /* [R6] */
	if (!ck_pr_cas_ptr(&ipc_default_space, NULL, space)) {
		mipc_space_destroy(space);
		space = ck_pr_load_ptr(&ipc_default_space);
		ck_pr_fence_load_depends(); /* [A6] */
		ipc_tsan_acquire(space);
	}
	return space;
}

mipc_space_t
mipc_thread_space(void)
{
	struct ipc_thread *th = ipc_thread_self();

	if (th != NULL && th->th_space != NULL)
		return th->th_space;
	return default_space();
}

mipc_space_t
mipc_thread_set_space(mipc_space_t space)
{
	struct ipc_thread *th = ipc_thread_self();
	struct mipc_space *prev;

	if (th == NULL)
		return NULL;
	prev = th->th_space != NULL ? th->th_space : default_space();
	/* The default space is a role, not a handle: follow its resets. */
	if (space == ck_pr_load_ptr(&ipc_default_space))
		space = NULL;
	if (space != NULL)
		ipc_space_reference(space);
	if (th->th_space != NULL)
		ipc_space_release(th->th_space);
	th->th_space = space;
	return prev;
}

/* Called at thread exit (thread.c): drop the current-space reference. */
void
ipc_thread_space_exit(struct ipc_thread *th)
{
	if (th->th_space != NULL)
		ipc_space_release(th->th_space);
	th->th_space = NULL;
}

/* Is space the process-wide default space (mach_task_self)?  A snapshot. */
bool
ipc_space_is_default(const struct mipc_space *space)
{
	/* Relaxed: compared, never dereferenced. */
	return space == ck_pr_load_ptr(&ipc_default_space);
}

void
mipc_default_space_reset(void)
{
	/* Relaxed: the swap orders nothing; destroy takes the space lock. */
	struct mipc_space *space = ck_pr_fas_ptr(&ipc_default_space, NULL);

	if (space != NULL)
		mipc_space_destroy(space);
}

/*
 * ipc_space_caller
 *	The space of the thread making a call: where Mach's replies, and
 *	the memory they carry, land (mach_port_names' arrays).  `space` when
 *	the thread has none (out of memory).
 * Conditions: nothing locked (may create the default space).
 */
struct mipc_space *
ipc_space_caller(struct mipc_space *space)
{
	struct mipc_space *me = mipc_thread_space();

	return me != NULL ? me : space;
}

/* ------------------------------------------------------------------ */
/* mach_port_names                                                     */

kern_return_t
mipc_port_names(mipc_space_t space, mach_port_name_array_t *names,
    mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
    mach_msg_type_number_t *typesCnt)
{
	struct ipc_vm_region *rn = NULL, *rt = NULL;
	struct mipc_space *caller;
	mach_port_name_t *nv = NULL;
	mach_port_type_t *tv = NULL;
	uint32_t n = 0, i;
	struct ipc_table *t;
	kern_return_t kr;

	if (space == NULL)
		return MACH_SEND_INVALID_DEST;
	if (names == NULL || namesCnt == NULL || types == NULL ||
	    typesCnt == NULL)
		return KERN_INVALID_ARGUMENT;
	caller = ipc_space_caller(space);
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr != KERN_SUCCESS)
		goto out;
	t = space->is_table;
	for (i = 1; i < t->it_size; i++)
		n += IE_BITS_TYPE(t->it_entries[i].ie_bits) != 0;
	/*
	 * Arrays are handed out as Mach does, in memory the caller releases
	 * with vm_deallocate: the caller's (MIG's reply lands in the
	 * caller's task).  Made in flight here (the vm lock is a leaf:
	 * allocating under ours keeps the snapshot exact), given to the
	 * caller once we are unlocked.
	 */
	if (n != 0) {
		kr = ipc_vm_alloc(NULL, n * sizeof(*nv), true, &rn);
		if (kr == KERN_SUCCESS)
			kr = ipc_vm_alloc(NULL, n * sizeof(*tv), true, &rt);
		if (kr != KERN_SUCCESS) {
			kr = KERN_RESOURCE_SHORTAGE;
			goto out;
		}
		nv = ipc_vm_addr(rn);
		tv = ipc_vm_addr(rt);
	}
	n = 0;
	for (i = 1; i < t->it_size; i++) {
		struct ipc_entry *e = &t->it_entries[i];
		mach_port_name_t name;

		if (IE_BITS_TYPE(e->ie_bits) == 0)
			continue;
		name = MACH_PORT_MAKE(i, IE_BITS_GEN(e->ie_bits));
		/* D5: dead ports read as dead names, but are not converted. */
		ipc_right_peek_locked(space, name, e, &tv[n]);
		nv[n++] = name;
	}
out:
	is_unlock(space);
	ipc_guard_flush(space);
	if (kr != KERN_SUCCESS) {
		if (rn != NULL)
			ipc_vm_free(rn);
		if (rt != NULL)
			ipc_vm_free(rt);
		return kr;
	}
	if (rn != NULL) {
		/* A caller destroyed meanwhile gets nothing (released). */
		bool gave_n = ipc_vm_give(caller, rn);
		bool gave_t = ipc_vm_give(caller, rt);

		if (!gave_n || !gave_t) {
			if (gave_n)
				(void)ipc_vm_release(
				    caller, (vm_address_t)nv, n * sizeof(*nv));
			if (gave_t)
				(void)ipc_vm_release(
				    caller, (vm_address_t)tv, n * sizeof(*tv));
			return KERN_INVALID_TASK;
		}
	}
	*names = nv;
	*types = tv;
	*namesCnt = n;
	*typesCnt = n;
	return KERN_SUCCESS;
}
