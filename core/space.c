/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * space.c -- name spaces: entry tables, name allocation, lock-free lookup,
 * the reverse map port -> name, space life cycle, the threads' current
 * space and the process-wide default space.
 *
 * Owns:      struct mipc_space, its struct ipc_table and reverse map; the
 *            space slots (chunks, free list, directory) and handles; the
 *            default space's handle.
 * Locking:   is_lock (IPC_RANK_SPACE) serialises every change of a space's
 *            entries, free list and reverse map; port locks nest inside it.
 *            Readers look entries up without it, inside an epoch section.
 *            ipc_slots_lock (IPC_RANK_LEAF) covers the slot free list and
 *            the growth of the directory (slots are freed from deferred
 *            callbacks, which run in any lock state).
 * Ordering:  [R5]/[A5]: a grown table is fully built before it is published
 *            (table_grow), and seen built by lock-free readers
 *            (ipc_entry_lookup).  Entries are written with ck_pr stores
 *            under is_lock and read with ck_pr loads by readers; a reader
 *            that needs a consistent (bits, object) pair rereads the bits.
 *            [R8]/[A8] (space.h): an entry's object is built before its
 *            pointer, the pointer stored before the bits.
 *            [R50]/[A50]: a space is built before its handle resolves
 *            (mipc_space_create, ipc_space_lookup,
 *            ipc_space_lock_try_handle).  [R51]/[A51]: a chunk of slots
 *            is zeroed, its locks made, before the directory publishes
 *            it.
 *            [R52]/[A52]: a reissued slot's count is stored after its
 *            previous life ended; an acquirer that counted on it sees the
 *            handle change (ipc_space_acquire).  [R53]/[A53]: every
 *            holder's use of a space before its slot retires.
 * Lifetime:  Handles.  A mipc_space_t is (generation << 20 | slot index),
 *            not an address.  Slots are type-stable: chunks of 64 from
 *            the C library, never freed, found through ipc_space_dir; a
 *            slot's lock is made once with its chunk and kept through
 *            every life of the slot, so that the flat allocate and
 *            destroy (port.c, right.c) try it through a handle with no
 *            epoch section and reread is_live (the handle until the
 *            destroy) under it (ipc_space_lock_try_handle).  A
 *            handle resolves while its slot's is_handle equals it; the
 *            slot's generation only grows (a slot whose generations are
 *            spent is retired for ever), so no handle is issued twice and
 *            a destroyed one is refused for ever, never aliasing the next
 *            space (issue 12, item 12).
 *            References.  is_refs counts the creator (dropped by
 *            mipc_space_destroy) and every call that holds the space
 *            across something an epoch section may not span: slow paths,
 *            blocking sends, copyouts (ipc_space_acquire / release; the
 *            IPC_SPACE_HELD scope).  Fast paths hold no reference: they
 *            resolve the handle inside their epoch section.  A thread's
 *            current space and the default space are handles, not
 *            references (issue 12, items 4 and 5).
 *            Reclamation.  The last reference stops the handle resolving
 *            and retires the slot through the epoch: it is reused a grace
 *            period later, at the releasing thread's next safe point, with
 *            no mipc_quiesce() (issue 12, item 13).  A space's task port
 *            (task.c) holds its handle, no reference: mipc_space_destroy
 *            kills the port before it drops the creator's reference, so
 *            no live task port outlives its handle's resolving.  Tables are retired
 *            through the epoch at destroy.  When the last live space
 *            is destroyed, process-wide kernel objects (the bootstrap
 *            namespace) let go of what they hold (kobject.c).
 *            fork(): the child gets every slot free and every parent
 *            handle spent (ipc_space_atfork_child; fork.c).
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
#include <stdlib.h>
#include <string.h>

/*
 * Slots.  (F) ipc_slots_lock, a leaf: slots are recycled from deferred
 * callbacks, which run in any lock state.
 */
static ipc_lock_t ipc_slots_lock =
    IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "space slots");
struct mipc_space *ipc_space_dir[1u
    << (IPC_SPACE_IDX_BITS - IPC_SPACE_CHUNK_SHIFT)]; /* (F, A) */
static uint32_t ipc_slots_chunks;                     /* (F) chunks allocated */
static struct mipc_space *ipc_slots_free;             /* (F) free slots */
static uint64_t ipc_slots_used; /* (A) created - reclaimed */

mipc_space_t ipc_default_space;               /* (A) its handle, or NULL */
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
 * of a random affine permutation of the range.  Never a stride of 1 or
 * n - 1: that permutation is index order, up or down (a range of 6 or
 * fewer may have no other; ranges here are 63 and powers of two).
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
	} while (n > 1 &&
	    (stride == 0 || gcd32(stride, n) != 1 ||
	        (n > 6 && (stride == 1 || stride == n - 1))));
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

/*
 * Advance an entry's generation for a new use; returns the new bits.  The
 * common case is ipc_entry_gen_next's (space.h, shared with the inline
 * ipc_entry_alloc_next); a first use or a roll draws a fresh roll point.
 */
static uint32_t
entry_next_gen(struct mipc_space *space, uint32_t bits)
{
	uint32_t next = ipc_entry_gen_next(bits);

	if (likely(next != 0))
		return next;
	/* Never used, or its period over: first generation, fresh roll. */
	return (3u << 24) | ((space_rand(space) & 3) << IE_BITS_ROLL_SHIFT);
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

/* ipc_entry_dealloc_inline's call (space.h). */
void
ipc_entry_dealloc(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *e)
{
	ipc_entry_dealloc_inline(space, name, e);
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
/* Slots and handles                                                   */

/*
 * The part of a slot that is the space proper (poisoned while free).  The
 * lock and is_live before it are the slot's: a flat path may read and try
 * them through a stale handle (ipc_space_lock_try_handle), in any life of
 * the slot; so is is_erase_seq, which a reference taken lock-free reads
 * through a port's receiver (ipc_port_reference_try_found, space.h).
 */
#define SPACE_BODY_OFF offsetof(struct mipc_space, is_serial)
#define SPACE_BODY_LEN (sizeof(struct mipc_space) - SPACE_BODY_OFF)

static void
slot_poison(struct mipc_space *slot)
{
	ipc_asan_poison((char *)slot + SPACE_BODY_OFF, SPACE_BODY_LEN);
}

static void
slot_unpoison(struct mipc_space *slot)
{
	ipc_asan_unpoison((char *)slot + SPACE_BODY_OFF, SPACE_BODY_LEN);
}

/*
 * Add a chunk of free slots.
 * Conditions: ipc_slots_lock held; allocates (from the C library: chunks
 * are never freed, as ck keeps epoch records).  false when out of memory
 * or out of indexes.
 */
static bool
slot_grow_locked(void)
{
	struct mipc_space *chunk;
	uint32_t c = ipc_slots_chunks, i;
	size_t bytes = IPC_SPACE_CHUNK * sizeof(*chunk);

	ipc_lock_assert_held(&ipc_slots_lock);
	if (c >= sizeof(ipc_space_dir) / sizeof(ipc_space_dir[0]))
		return false;
	chunk = aligned_alloc(ARCH_CACHELINE, bytes);
	if (chunk == NULL)
		return false;
	memset(chunk, 0, bytes);
	for (i = IPC_SPACE_CHUNK; i-- > 0;) {
		chunk[i].is_index = c << IPC_SPACE_CHUNK_SHIFT | i;
		/* Once, for every life of the slot (type-stable, space.h). */
		ipc_lock_init(&chunk[i].is_lock, IPC_RANK_SPACE, "space");
		chunk[i].is_next_free = ipc_slots_free;
		ipc_slots_free = &chunk[i];
		slot_poison(&chunk[i]);
	}
	/* [R51]: the slots are zeroed and their locks made before a
	 * resolver can reach them. */
	ck_pr_fence_store();
	ck_pr_store_ptr(&ipc_space_dir[c], chunk);
	ipc_slots_chunks = c + 1;
	return true;
}

/* A free slot with its next generation chosen; NULL when none is left. */
static struct mipc_space *
slot_alloc(uintptr_t *handlep)
{
	struct mipc_space *slot;

	ipc_lock(&ipc_slots_lock);
	if (ipc_slots_free == NULL && !slot_grow_locked()) {
		ipc_unlock(&ipc_slots_lock);
		return NULL;
	}
	slot = ipc_slots_free;
	ipc_slots_free = slot->is_next_free;
	slot->is_next_free = NULL;
	*handlep = (slot->is_gen + 1) << IPC_SPACE_IDX_BITS | slot->is_index;
	ipc_unlock(&ipc_slots_lock);
	return slot;
}

/* Give a slot back (its handle no longer resolves). */
static void
slot_free(struct mipc_space *slot)
{
	slot_poison(slot);
	ipc_lock(&ipc_slots_lock);
	/* A slot whose generations are spent is never reused. */
	if (slot->is_gen < IPC_SPACE_GEN_MAX) {
		slot->is_next_free = ipc_slots_free;
		ipc_slots_free = slot;
	}
	ipc_unlock(&ipc_slots_lock);
}

/* The grace period after the last reference has passed. */
static void
slot_reclaim(struct ipc_deferred *d)
{
	struct mipc_space *space =
	    ipc_container_of(d, struct mipc_space, is_reclaim);

	ipc_require(space->is_table == NULL && space->is_rmap == NULL,
	    "a reclaimed space was destroyed");
	ipc_leak_forget(space);
	slot_free(space);
	ck_pr_dec_64(&ipc_slots_used); /* Relaxed: a statistic */
}

/*
 * ipc_space_issued
 *	Was `task` ever a space's handle (live or destroyed)?  NULL and
 *	values mipc never handed out are not (X1 answers them
 *	MACH_SEND_INVALID_DEST); destroyed handles are (KERN_INVALID_TASK).
 * Conditions: none; reads only what stays meaningful in a free slot.
 */
bool
ipc_space_issued(mipc_space_t task)
{
	uintptr_t h = (uintptr_t)task, gen = h >> IPC_SPACE_IDX_BITS;
	struct mipc_space *slot = task != NULL ? ipc_space_slot(task) : NULL;

	/* Relaxed: generations only grow; a race reads an older one. */
	return slot != NULL && gen != 0 && gen <= ck_pr_load_64(&slot->is_gen);
}

/*
 * ipc_space_acquire
 *	Take a reference on the space `task` names, for a call that may
 *	block, wait for readers or otherwise leave an epoch section.
 * Conditions:
 *	Nothing required.  Never blocks or allocates.
 * Ordering:
 *	[A52]: the reference is taken with a CAS that only succeeds on a
 *	non-zero count (a space whose last reference is gone stays gone),
 *	then the handle is checked again: the slot may have been reclaimed
 *	and reissued in between, and then we hold a reference on another
 *	space, which we drop.
 * Returns:
 *	KERN_SUCCESS (*out holds a reference: ipc_space_release it),
 *	MACH_SEND_INVALID_DEST (NULL, or never a handle: X1),
 *	KERN_INVALID_TASK (destroyed and released).  A destroyed space that
 *	is still referenced is returned: callers check is_active.
 */
kern_return_t
ipc_space_acquire(mipc_space_t task, struct mipc_space **out)
{
	struct mipc_space *space = task != NULL ? ipc_space_slot(task) : NULL;
	uint32_t n;

	*out = NULL;
	if (space == NULL)
		return MACH_SEND_INVALID_DEST;
	n = ck_pr_load_32(&space->is_refs);
	do {
		if (n == 0 ||
		    ck_pr_load_64(&space->is_handle) != ipc_space_bits(task))
			return ipc_space_issued(task) ? KERN_INVALID_TASK
			                              : MACH_SEND_INVALID_DEST;
		/* [A52]: never from 0; the fence below orders the rest. */
	} while (!ck_pr_cas_32_value(&space->is_refs, n, n + 1, &n));
	/* [A52]: the count before the handle's recheck ([R52]). */
	ck_pr_fence_atomic_load();
	if (ck_pr_load_64(&space->is_handle) != ipc_space_bits(task)) {
		ipc_space_release(space);
		return KERN_INVALID_TASK;
	}
	ipc_tsan_acquire(space); /* [T50] */
	*out = space;
	return KERN_SUCCESS;
}

/*
 * ipc_space_tryref
 *	A reference on a space found by ipc_space_lookup, unless its last
 *	reference is already gone (then it is destroyed and going away).
 * Conditions:
 *	Inside the epoch section of the lookup (the slot is not reused).
 */
bool
ipc_space_tryref(struct mipc_space *space)
{
	uint32_t n = ck_pr_load_32(&space->is_refs);

	/* The section keeps the slot; the count never rises from 0. */
	while (n != 0) {
		/* Relaxed: the caller's section orders its reads. */
		if (ck_pr_cas_32_value(&space->is_refs, n, n + 1, &n))
			return true;
	}
	return false;
}

/* Another reference on a space the caller holds one on. */
void
ipc_space_reference(struct mipc_space *space)
{
	ck_pr_inc_32(&space->is_refs); /* Relaxed: we hold one */
}

/*
 * ipc_space_release
 *	Drop a reference.  The last one (the space is destroyed by then:
 *	the creator's reference goes in mipc_space_destroy) stops the handle
 *	from resolving and retires the slot through the epoch: it is reused
 *	once every section that may have looked the handle up has closed.
 * Conditions: any lock state (the retirement only defers).
 */
void
ipc_space_release(struct mipc_space *space)
{
	uint32_t n;

	/* [R53]: our use of the space before the drop. */
	ipc_tsan_release(space);
	ck_pr_fence_atomic();
	n = ck_pr_faa_32(&space->is_refs, (uint32_t)-1);
	ipc_require(n != 0, "space references never underflow");
	if (n != 1)
		return;
	/* [A53]: every holder's use is over before the slot retires. */
	ck_pr_fence_atomic_load();
	ipc_tsan_acquire(space);
	ck_pr_store_64(&space->is_handle, 0);
	ipc_epoch_defer(ipc_thread_cur, &space->is_reclaim, slot_reclaim);
}

uint64_t
ipc_space_live(void)
{
	return ck_pr_load_64(&ipc_slots_used);
}

/* ------------------------------------------------------------------ */
/* Spaces                                                              */

kern_return_t
mipc_space_create(mipc_space_t *out)
{
	struct mipc_space *space;
	struct ipc_table *t;
	uintptr_t h;

	if (out == NULL)
		return KERN_INVALID_ARGUMENT;
	if (ipc_fail_check(IPC_KIND_SPACE))
		return KERN_RESOURCE_SHORTAGE;
	t = ipc_zalloc(IPC_KIND_TABLE, table_bytes(IPC_TABLE_MIN));
	if (t == NULL)
		return KERN_RESOURCE_SHORTAGE;
	space = slot_alloc(&h);
	if (space == NULL) {
		ipc_free(IPC_KIND_TABLE, t, table_bytes(IPC_TABLE_MIN));
		return KERN_RESOURCE_SHORTAGE;
	}
	slot_unpoison(space);
	/* Not the lock: a stale handle's holder may have it (space.h). */
	memset((char *)space + SPACE_BODY_OFF, 0, SPACE_BODY_LEN);
	/* Relaxed: the seed only decorrelates spaces' name orders. */
	space->is_rand = ck_pr_faa_32(&ipc_space_seed, 0x6d2b79f5u);
	if (!(ipc_test_hooks && ipc_space_seed_fixed))
		space->is_rand ^= (uint32_t)h ^ (uint32_t)arch_cycles();
	if (space->is_rand == 0)
		space->is_rand = 1;
	t->it_size = IPC_TABLE_MIN;
	table_link_free(space, t, 1, IPC_TABLE_MIN);
	space->is_table = t;
	space->is_active = 1;
	/* Relaxed: only uniqueness matters. */
	space->is_serial = ck_pr_faa_32(&ipc_space_serials, 1) + 1;
	ck_pr_inc_32(&ipc_spaces_live); /* Relaxed: a count, see destroy */
	/*
	 * The creator's reference.  [R52]: stored after the slot's previous
	 * life ended (the free list's lock and the grace period order that),
	 * so a stale acquirer whose CAS counts on it sees the handle change.
	 */
	ck_pr_fence_store(); /* [R52] */
	ck_pr_store_32(&space->is_refs, 1);
	ck_pr_store_64(&space->is_gen, h >> IPC_SPACE_IDX_BITS);
	/* Noted before the handle resolves: its reclamation forgets it. */
	ipc_leak_note(IPC_KIND_SPACE, space);
	/* [R50]: the space is built before its handle resolves ([A50]). */
	ipc_tsan_release(space); /* [T50] */
	ck_pr_fence_store();
	ck_pr_store_64(&space->is_live, h); /* after [R50]'s fence too */
	ck_pr_store_64(&space->is_handle, h);
	ck_pr_inc_64(&ipc_slots_used); /* Relaxed: a statistic */
	*out = (mipc_space_t)h;
	return KERN_SUCCESS;
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
 * The creator's reference goes with it; calls holding the space finish
 * against the destroyed space, and the last of them retires the slot.
 * Conditions: nothing locked; takes is_lock.
 */
kern_return_t
mipc_space_destroy(mipc_space_t task)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_table *t;
	uint32_t i, pass;
	kern_return_t kr;

	if (task == NULL)
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr == MACH_SEND_INVALID_DEST ? KERN_INVALID_ARGUMENT
		                                    : kr;
	is_lock(space);
	if (!space->is_active) {
		is_unlock(space);
		return KERN_INVALID_TASK;
	}
	ck_pr_store_32(&space->is_active, 0);
	/* Relaxed: read under this lock (ipc_space_lock_try_handle). */
	ck_pr_store_64(&space->is_live, 0);
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
	ipc_space_release(space); /* the creator's */
	/*
	 * The process's last space: process-wide kernel objects let go.
	 * Relaxed: a space created concurrently finds them made again on
	 * demand (bootstrap.c), whichever side of this it falls.
	 */
	if (ck_pr_faa_32(&ipc_spaces_live, (uint32_t)-1) == 1)
		ipc_kobject_spaces_gone();
	return KERN_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Current and default spaces                                          */

/*
 * The default space's handle, created on first use; NULL if no memory.
 * A loop: a reset may empty the role between a lost race and our look.
 */
static mipc_space_t
default_space(void)
{
	for (;;) {
		mipc_space_t task = ck_pr_load_ptr(&ipc_default_space);

		if (likely(task != NULL))
			return task;
		if (mipc_space_create(&task) != KERN_SUCCESS)
			return NULL;
		/* The loser of a race drops its own.  Relaxed: a handle is a
		 * value; calls that resolve it order themselves ([A50]). */
		if (ck_pr_cas_ptr(&ipc_default_space, NULL, task))
			return task;
		mipc_space_destroy(task);
	}
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
	mipc_space_t prev;

	if (th == NULL)
		return NULL;
	prev = th->th_space != NULL ? th->th_space : default_space();
	/* The default space is a role, not a handle: follow its resets. */
	if (space == ck_pr_load_ptr(&ipc_default_space))
		space = NULL;
	/* A handle, not a reference: a destroyed current space is refused
	 * like any other destroyed handle, and pins nothing. */
	th->th_space = space;
	return prev;
}

/* Is space the process-wide default space (mach_task_self)?  A snapshot. */
bool
ipc_space_is_default(const struct mipc_space *space)
{
	mipc_space_t task = ipc_space_handle(space);

	/* Relaxed: handles compared, never dereferenced. */
	return task != NULL && task == ck_pr_load_ptr(&ipc_default_space);
}

void
mipc_default_space_reset(void)
{
	/* Relaxed: the swap orders nothing; destroy resolves the handle. */
	mipc_space_t task = ck_pr_fas_ptr(&ipc_default_space, NULL);

	if (task != NULL)
		mipc_space_destroy(task);
}

/*
 * ipc_space_caller
 *	The space of the thread making a call: where Mach's replies, and
 *	the memory they carry, land (mach_port_names' arrays).  `space`
 *	(held by the caller) when the thread's current space cannot be had:
 *	out of memory, or destroyed and gone.
 * Conditions: nothing locked (may create the default space).
 * Returns: a reference (ipc_space_release it; IPC_SPACE_HELD).
 */
struct mipc_space *
ipc_space_caller(struct mipc_space *space)
{
	struct mipc_space *me;

	if (ipc_space_acquire(mipc_thread_space(), &me) == KERN_SUCCESS)
		return me;
	ipc_space_reference(space);
	return space;
}

/*
 * ipc_space_atfork_child
 *	fork(): the child starts with a fresh, empty set of spaces (XNU's
 *	ipc_task_init gives a forked task a new IPC space).  Every slot is
 *	made free and its handle stops resolving, so the parent's handles
 *	are refused for ever (their generations stay issued); the spaces'
 *	contents are abandoned (copies the child never touches).
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_space_atfork_child(void)
{
	uint32_t c, i;

	ipc_lock_init(&ipc_slots_lock, IPC_RANK_LEAF, "space slots");
	ipc_slots_free = NULL;
	for (c = ipc_slots_chunks; c-- > 0;) {
		struct mipc_space *chunk = ipc_space_dir[c];

		for (i = IPC_SPACE_CHUNK; i-- > 0;) {
			struct mipc_space *slot = &chunk[i];

			slot->is_handle = 0;
			slot->is_live = 0;
			slot->is_refs = 0;
			/* A parent's thread may have held it at the fork. */
			ipc_lock_init(&slot->is_lock, IPC_RANK_SPACE, "space");
			slot_poison(slot);
			if (slot->is_gen < IPC_SPACE_GEN_MAX) {
				slot->is_next_free = ipc_slots_free;
				ipc_slots_free = slot;
			}
		}
	}
	ipc_spaces_live = 0;
	ipc_slots_used = 0;
	ipc_default_space = NULL;
}

/* ------------------------------------------------------------------ */
/* mach_port_names                                                     */

kern_return_t
mipc_port_names(mipc_space_t task, mach_port_name_array_t *names,
    mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
    mach_msg_type_number_t *typesCnt)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct mipc_space *caller IPC_SPACE_HELD = NULL;
	struct ipc_vm_region *rn = NULL, *rt = NULL;
	mach_port_name_t *nv = NULL;
	mach_port_type_t *tv = NULL;
	uint32_t n = 0, i;
	struct ipc_table *t;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
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
