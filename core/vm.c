/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm.c -- memory handed across the API: vm_allocate / vm_deallocate, the
 * arrays mach_port_names returns, and (with messages) out-of-line regions;
 * and the copy from user memory that may vanish while it is read.
 *
 * Owns:      struct ipc_vm_region (one per region handed out), the
 *            registry of held regions (address -> region), each space's
 *            list of the regions it holds (struct ipc_vm_holder), and the
 *            cache of released regions kept mapped for reuse.
 * Locking:   vm_lock (IPC_RANK_LEAF) covers the registry, every holder's
 *            list and closed flag, and the cache.  Memory is mapped,
 *            zeroed and unmapped outside it.
 * Lifetime:  a region is held by exactly one space (registered, on that
 *            space's list) or is in flight (vr_space NULL, owned by the
 *            message or the call that carries it, found by nobody).  Held
 *            -> in flight: ipc_vm_take (sent with deallocate and virtual
 *            copy: the pages move).  In flight -> held: ipc_vm_give (the
 *            receiver gets them).  Either -> released: ipc_vm_release
 *            (vm_deallocate) or ipc_vm_free (a destroyed message), and
 *            ipc_vm_close (the holder is destroyed, as task termination
 *            unmaps a task's address space).
 * Choices:   * Regions are anonymous mappings, page-aligned and zero-filled
 *              as Mach's are, so that out-of-line memory can move between
 *              spaces by handing over whole pages.
 *            * A region belongs to the space that allocated or received
 *              it (the caller's space for arrays a query hands out, as
 *              MIG's reply lands in the caller's task).  vm_deallocate
 *              checks what it is given: only a region the space holds, by
 *              its start address and a size that rounds to the region's
 *              pages, is released; anything else -- another space's
 *              region, an address mipc never handed out -- returns
 *              KERN_INVALID_ADDRESS and touches nothing.  Mach would unmap
 *              whatever is there; a library must not unmap its host's heap
 *              nor another task's memory.  Partial deallocation is not
 *              supported (same code).  A destroyed space's handle answers
 *              KERN_INVALID_TASK.
 *            * Live bytes count as ool_bytes in mipc_get_stats(); bytes in
 *              flight are message bytes too (queued_bytes), and a copy
 *              into a message is refused beyond the bound on them
 *              (mipc_set_queued_bytes_limit, cache.c).
 *            * Released regions of at most VM_CACHE_REGION (256 KiB) stay
 *              mapped, with their records, on a LIFO list per size in
 *              pages, as long as all of them together stay within
 *              VM_CACHE_BUDGET (4 MiB; both in mipc_get_stats:
 *              ool_cached_bytes, ool_cache_budget); beyond it a released
 *              region is unmapped, as is one whose pages vm_protect
 *              changed (they may not be writable).  An mmap + first touch + munmap costs 1.5 us per
 *              page on a VM (PERF.md 2.5) where a memset of a page costs
 *              tens of nanoseconds: out-of-line messages in steady state
 *              make no system call for their memory and take no fault.
 *              A region handed out again is zeroed -- all of it for
 *              vm_allocate, only the tail past what the caller writes for
 *              a copy into a message or an array a query fills
 *              (ipc_vm_alloc's overwrite) -- so it never shows what a
 *              previous holder wrote.  Kept regions count as released
 *              (ool_bytes) and are poisoned under ASan (a touch after
 *              vm_deallocate is caught, as munmap would make it fault).
 *            * Copies into messages read user memory two ways.  From a
 *              region the sender holds (the usual out-of-line source),
 *              a plain memcpy with the region pinned (ipc_vm_copyin_from):
 *              a vm_deallocate meanwhile -- another thread's, or a move
 *              of the region in another message -- defers its unmap to
 *              the last unpin, so the copy happened before the release,
 *              as XNU's vm_map_copyin under the map lock; no system call.
 *              A region vm_protect took read access from, and any other
 *              memory, is read with process_vm_readv on our own pid
 *              (ipc_vm_copyin): memory that another thread unmaps or
 *              protects while we copy fails the call (EFAULT) instead of
 *              faulting the process, and the sender gets
 *              MACH_SEND_INVALID_MEMORY, as from vm_map_copyin.  One
 *              system call per such descriptor (about 1 us per page on
 *              this project's VM, 6x a memcpy).  Where a sandbox refuses
 *              process_vm_readv, the bytes go through a pipe (write()
 *              faults no more than it does).  The contract this rests on:
 *              memory mipc hands out is protected with vm_protect and
 *              released with vm_deallocate -- mprotect(2) or munmap(2) of
 *              it is the caller's breach, as free(3) of memory malloc did
 *              not give.
 */
#include "vm.h"

#include "cache.h"
#include "lock.h"
#include "space.h"

#include <errno.h>
#include <fcntl.h>
#include <mipc/mach.h>
#include <mipc/port.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static ipc_lock_t vm_lock = IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "vm registry");
static struct ipc_vm_region **vm_slots; /* (vm_lock) open addressing */
static uint32_t vm_mask;                /* (vm_lock) slots - 1 */
static uint32_t vm_used;                /* (vm_lock) live + deleted */

#define VM_TOMB ((struct ipc_vm_region *)1)

/*
 * The region cache (Choices): released regions of at most VM_CACHE_REGION
 * bytes stay mapped, with their records, on a LIFO list per size in
 * pages, as long as all of them together stay within VM_CACHE_BUDGET.
 */
#define VM_CACHE_REGION  ((size_t)256 * 1024)
#define VM_CACHE_BUDGET  ((size_t)4 * 1024 * 1024)
#define VM_CACHE_CLASSES 64 /* sizes 1..64 pages (4 KiB pages) */

static struct ipc_vm_region *vm_cache[VM_CACHE_CLASSES]; /* (vm_lock) */
static size_t vm_cache_bytes;                            /* (vm_lock, A) */

/* Our pid, for process_vm_readv (read again in a forked child). */
static pid_t vm_self;
static uint8_t vm_readv_refused; /* (A) process_vm_readv gave EPERM/ENOSYS */

#define VM_PIPE_CHUNK ((size_t)65536) /* a default pipe's capacity */

static void
vm_self_read(void)
{
	vm_self = getpid();
}

__attribute__((constructor)) static void
vm_module_init(void)
{
	vm_self_read();
	(void)pthread_atfork(NULL, NULL, vm_self_read);
}

/*
 * ipc_vm_atfork_child
 *	fork(): the child's spaces are new, so no region belongs to it.
 *	Regions handed out in the parent stay mapped in the child, unknown to
 *	mipc (vm_deallocate answers KERN_INVALID_ADDRESS; munmap them); the
 *	registry, which another thread may have been changing, starts empty.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_vm_atfork_child(void)
{
	ipc_lock_init(&vm_lock, IPC_RANK_LEAF, "vm registry");
	vm_slots = NULL;
	vm_mask = 0;
	vm_used = 0;
	/* The cache's regions stay mapped, abandoned with the rest. */
	memset(vm_cache, 0, sizeof(vm_cache));
	vm_cache_bytes = 0;
}

static size_t
vm_page(void)
{
	static size_t page;

	/* Relaxed: every thread computes the same value. */
	if (ck_pr_load_64((uint64_t *)&page) == 0)
		ck_pr_store_64(
		    (uint64_t *)&page, (uint64_t)sysconf(_SC_PAGESIZE));
	return (size_t)ck_pr_load_64((uint64_t *)&page);
}

static size_t
round_page(size_t size)
{
	size_t pg = vm_page();

	return (size + pg - 1) & ~(pg - 1);
}

/* The length of the region `size` bytes of memory take (whole pages). */
size_t
ipc_vm_round(size_t size)
{
	return round_page(size);
}

/* ------------------------------------------------------------------ */
/* Registry: address -> held region                                    */

static uint32_t
vm_hash(uintptr_t addr)
{
	uint64_t h = addr >> 12;

	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

/* The registry slot of the region at addr, or NULL.  Conditions: vm_lock. */
static struct ipc_vm_region **
vm_find(uintptr_t addr)
{
	uint32_t i;

	if (vm_slots == NULL)
		return NULL;
	for (i = vm_hash(addr) & vm_mask;; i = (i + 1) & vm_mask) {
		struct ipc_vm_region *r = vm_slots[i];

		if (r == NULL)
			return NULL;
		if (r != VM_TOMB && r->vr_addr == addr)
			return &vm_slots[i];
	}
}

static void
vm_put(struct ipc_vm_region **slots, uint32_t mask, struct ipc_vm_region *r)
{
	uint32_t i;

	for (i = vm_hash(r->vr_addr) & mask;; i = (i + 1) & mask) {
		if (slots[i] == NULL || slots[i] == VM_TOMB) {
			slots[i] = r;
			return;
		}
	}
}

/*
 * Make room for one more region (grow or rebuild the table).
 * Conditions: vm_lock held.  Returns false when out of memory.
 */
static bool
vm_reserve_locked(void)
{
	uint32_t live = 0, n = 64, i;
	struct ipc_vm_region **ns;

	ipc_lock_assert_held(&vm_lock);
	if (vm_slots != NULL && 2 * (vm_used + 1) <= vm_mask + 1)
		return true;
	for (i = 0; vm_slots != NULL && i <= vm_mask; i++)
		live += vm_slots[i] != NULL && vm_slots[i] != VM_TOMB;
	while (n < 4 * (live + 1))
		n *= 2;
	ns = ipc_zalloc(IPC_KIND_MISC, n * sizeof(*ns));
	if (ns == NULL)
		return false;
	for (i = 0; vm_slots != NULL && i <= vm_mask; i++) {
		if (vm_slots[i] != NULL && vm_slots[i] != VM_TOMB)
			vm_put(ns, n - 1, vm_slots[i]);
	}
	if (vm_slots != NULL)
		ipc_free(
		    IPC_KIND_MISC, vm_slots, (vm_mask + 1) * sizeof(*vm_slots));
	vm_slots = ns;
	vm_mask = n - 1;
	vm_used = live;
	return true;
}

/* Hold r in holder.  Conditions: vm_lock held, room reserved. */
static void
hold_locked(struct mipc_space *holder, struct ipc_vm_region *r)
{
	struct ipc_vm_holder *h = &holder->is_vm;

	ipc_lock_assert_held(&vm_lock);
	vm_put(vm_slots, vm_mask, r);
	vm_used++;
	r->vr_space = holder;
	r->vr_next = h->vh_head;
	r->vr_prevp = &h->vh_head;
	if (h->vh_head != NULL)
		h->vh_head->vr_prevp = &r->vr_next;
	h->vh_head = r;
}

/* Stop holding the region in *slot.  Conditions: vm_lock held. */
static struct ipc_vm_region *
unhold_locked(struct ipc_vm_region **slot)
{
	struct ipc_vm_region *r = *slot;

	ipc_lock_assert_held(&vm_lock);
	*slot = VM_TOMB;
	*r->vr_prevp = r->vr_next;
	if (r->vr_next != NULL)
		r->vr_next->vr_prevp = r->vr_prevp;
	r->vr_space = NULL;
	r->vr_next = NULL;
	r->vr_prevp = NULL;
	return r;
}

/* ------------------------------------------------------------------ */
/* Mappings                                                            */

/* The cache's list for regions of len bytes, or -1: not cached. */
static int
cache_class(size_t len)
{
	size_t pages = len / vm_page();

	if (len > VM_CACHE_REGION || pages == 0 || pages > VM_CACHE_CLASSES)
		return -1;
	return (int)pages - 1;
}

/* A cached region of exactly `len` bytes, or NULL (the latest first). */
static struct ipc_vm_region *
cache_take(size_t len)
{
	int c = cache_class(len);
	struct ipc_vm_region *r = NULL;

	if (c < 0)
		return NULL;
	ipc_lock(&vm_lock);
	r = vm_cache[c];
	if (r != NULL) {
		vm_cache[c] = r->vr_next;
		r->vr_next = NULL;
		ck_pr_store_64((uint64_t *)&vm_cache_bytes,
		    (uint64_t)(vm_cache_bytes - len)); /* Relaxed: stats */
	}
	ipc_unlock(&vm_lock);
	if (r != NULL)
		ipc_asan_unpoison((void *)r->vr_addr, len);
	return r;
}

/*
 * Keep a region nobody holds any more, mapping and record, if it is small
 * and the budget has room.  Returns false: the caller unmaps and frees it.
 * Conditions: vm_lock held.
 */
static bool
cache_keep_locked(struct ipc_vm_region *r)
{
	int c = cache_class(r->vr_len);

	ipc_lock_assert_held(&vm_lock);
	/* Pages vm_protect changed may not be writable: not reused. */
	if (c < 0 || r->vr_reprotected ||
	    vm_cache_bytes + r->vr_len > VM_CACHE_BUDGET)
		return false;
	/* As munmap would, under ASan: a late touch is caught. */
	ipc_asan_poison((void *)r->vr_addr, r->vr_len);
	r->vr_next = vm_cache[c];
	vm_cache[c] = r;
	ck_pr_store_64((uint64_t *)&vm_cache_bytes,
	    (uint64_t)(vm_cache_bytes + r->vr_len)); /* Relaxed: stats */
	return true;
}

/* Bytes the cache keeps mapped now, and its bound (mipc_get_stats). */
size_t
ipc_vm_cached_bytes(void)
{
	return (size_t)ck_pr_load_64((uint64_t *)&vm_cache_bytes);
}

size_t
ipc_vm_cache_budget(void)
{
	return VM_CACHE_BUDGET;
}

static void
region_unmap(struct ipc_vm_region *r)
{
	munmap((void *)r->vr_addr, r->vr_len);
	ipc_free(IPC_KIND_MISC, r, sizeof(*r));
}

/*
 * The region is released: uncounted, its memory and record cached or
 * unmapped and freed -- or, while a copy reads it (pinned), left to the
 * last unpin.  Conditions: nothing locked; nobody holds r.
 */
static void
region_release(struct ipc_vm_region *r)
{
	size_t len = r->vr_len;
	bool kept = false, later;

	ipc_lock(&vm_lock);
	later = r->vr_pins != 0;
	if (later)
		r->vr_dead = true;
	else
		kept = cache_keep_locked(r);
	ipc_unlock(&vm_lock);
	ipc_kind_account(IPC_KIND_OOL, -(int64_t)len);
	if (!later && !kept)
		region_unmap(r);
}

/* Regions in flight are message bytes (the bound on queued bytes). */
static void
inflight_add(int64_t bytes)
{
	ipc_queued_account(bytes);
}

/* ------------------------------------------------------------------ */
/* Regions                                                             */

/*
 * ipc_vm_alloc
 *	A zero-filled region of at least `size` bytes, held by `holder`, or
 *	in flight when holder is NULL.
 * Conditions:
 *	Any lock of rank below IPC_RANK_LEAF may be held.  One mmap call,
 *	or none when a kept region of the same size is there.
 * Returns:
 *	KERN_SUCCESS with *out; KERN_INVALID_ARGUMENT (size 0 or too big),
 *	KERN_INVALID_TASK (the holder was destroyed), KERN_RESOURCE_SHORTAGE.
 */
kern_return_t
ipc_vm_alloc(struct mipc_space *holder, vm_size_t size, bool overwrite,
    struct ipc_vm_region **out)
{
	size_t len = round_page(size);
	struct ipc_vm_region *r;

	if (size == 0 || len < size)
		return KERN_INVALID_ARGUMENT;
	if (ipc_fail_check(IPC_KIND_OOL))
		return KERN_RESOURCE_SHORTAGE;
	/* A copy into a message: within the bound on queued bytes. */
	if (holder == NULL && !ipc_queued_admit(len))
		return KERN_RESOURCE_SHORTAGE;
	r = cache_take(len);
	if (r != NULL) {
		/*
		 * Zero-filled, as a fresh mapping -- all of it, or only what
		 * the caller's copy will not overwrite.
		 */
		if (overwrite)
			memset((char *)r->vr_addr + size, 0, len - size);
		else
			memset((void *)r->vr_addr, 0, len);
	} else {
		void *p;

		r = ipc_alloc(IPC_KIND_MISC, sizeof(*r));
		if (r == NULL)
			return KERN_RESOURCE_SHORTAGE;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			ipc_free(IPC_KIND_MISC, r, sizeof(*r));
			return KERN_RESOURCE_SHORTAGE;
		}
		r->vr_addr = (uintptr_t)p;
		r->vr_len = len;
		r->vr_pins = 0;
		r->vr_dead = false;
		r->vr_protected = false;
		r->vr_reprotected = false;
	}
	ipc_kind_account(IPC_KIND_OOL, (int64_t)len);
	r->vr_space = NULL;
	r->vr_next = NULL;
	r->vr_prevp = NULL;
	if (holder == NULL) {
		inflight_add((int64_t)len);
	} else {
		kern_return_t kr = KERN_SUCCESS;

		ipc_lock(&vm_lock);
		if (holder->is_vm.vh_closed)
			kr = KERN_INVALID_TASK;
		else if (!vm_reserve_locked())
			kr = KERN_RESOURCE_SHORTAGE;
		else
			hold_locked(holder, r);
		ipc_unlock(&vm_lock);
		if (kr != KERN_SUCCESS) {
			region_release(r);
			return kr;
		}
	}
	*out = r;
	return KERN_SUCCESS;
}

/*
 * ipc_vm_take
 *	Take the region holder holds at addr, of exactly `size` (rounded to
 *	its pages), out of its hands: in flight now, the caller's.
 * Conditions: nothing locked.
 * Returns: the region, or NULL (no such region of the holder's).
 */
struct ipc_vm_region *
ipc_vm_take(struct mipc_space *holder, const void *addr, vm_size_t size)
{
	struct ipc_vm_region **slot, *r = NULL;

	ipc_lock(&vm_lock);
	slot = vm_find((uintptr_t)addr);
	if (slot != NULL && (*slot)->vr_space == holder &&
	    round_page(size) == (*slot)->vr_len && size != 0)
		r = unhold_locked(slot);
	ipc_unlock(&vm_lock);
	if (r != NULL)
		inflight_add((int64_t)r->vr_len);
	return r;
}

/*
 * ipc_vm_give
 *	A region in flight is handed to holder (a receiver).
 * Conditions: nothing locked.
 * Returns: true; false when holder was destroyed or the registry could not
 *	grow: the region is released and the caller reports no address.
 */
bool
ipc_vm_give(struct mipc_space *holder, struct ipc_vm_region *r)
{
	bool ok;

	ipc_require(r->vr_space == NULL, "a region in flight");
	inflight_add(-(int64_t)r->vr_len);
	ipc_lock(&vm_lock);
	ok = !holder->is_vm.vh_closed && vm_reserve_locked();
	if (ok)
		hold_locked(holder, r);
	ipc_unlock(&vm_lock);
	if (!ok)
		region_release(r);
	return ok;
}

/* Release a region in flight (its message was destroyed). */
void
ipc_vm_free(struct ipc_vm_region *r)
{
	ipc_require(r->vr_space == NULL, "a region in flight");
	inflight_add(-(int64_t)r->vr_len);
	region_release(r);
}

/*
 * ipc_vm_release
 *	Release a region holder holds (vm_deallocate's work, also used for
 *	the deallocate option of OOL descriptors).  size 0 does nothing.
 * Conditions:
 *	Nothing locked.
 * Returns:
 *	KERN_SUCCESS; KERN_INVALID_ADDRESS for an address holder does not
 *	hold or a size that does not match its region's; KERN_INVALID_TASK
 *	when holder was destroyed.
 */
kern_return_t
ipc_vm_release(struct mipc_space *holder, vm_address_t address, vm_size_t size)
{
	struct ipc_vm_region **slot, *r = NULL;
	kern_return_t kr = KERN_INVALID_ADDRESS;

	ipc_lock(&vm_lock);
	if (holder->is_vm.vh_closed) {
		kr = KERN_INVALID_TASK;
	} else if (size == 0) {
		kr = KERN_SUCCESS;
	} else {
		slot = vm_find(address);
		if (slot != NULL && (*slot)->vr_space == holder &&
		    round_page(size) == (*slot)->vr_len) {
			r = unhold_locked(slot);
			kr = KERN_SUCCESS;
		}
	}
	ipc_unlock(&vm_lock);
	if (r != NULL)
		region_release(r);
	return kr;
}

/*
 * ipc_vm_close
 *	The space is being destroyed: release every region it holds, and
 *	refuse it any more (task termination unmaps the task's memory).
 * Conditions: nothing locked.  Once per space.
 */
void
ipc_vm_close(struct mipc_space *space)
{
	struct ipc_vm_region *list, *r;

	ipc_lock(&vm_lock);
	space->is_vm.vh_closed = true;
	list = space->is_vm.vh_head;
	for (r = list; r != NULL; r = r->vr_next) {
		struct ipc_vm_region **slot = vm_find(r->vr_addr);

		ipc_require(slot != NULL && *slot == r, "a held region");
		*slot = VM_TOMB;
		r->vr_space = NULL;
	}
	space->is_vm.vh_head = NULL;
	ipc_unlock(&vm_lock);
	while ((r = list) != NULL) {
		list = r->vr_next;
		region_release(r);
	}
}

/*
 * Where process_vm_readv is refused (a seccomp profile, EPERM or ENOSYS):
 * write() the bytes into a pipe and read them back.  write() reports
 * memory it cannot read as EFAULT (or a short count) instead of faulting,
 * as process_vm_readv does.  Non-blocking, drained after every write: a
 * pipe smaller than the copy never blocks us.  Three system calls per
 * 64 KiB more, and a pipe per copy: a fallback, not the rule.
 */
static bool
copy_through_pipe(void *dst, const void *src, size_t size)
{
	size_t done = 0;
	bool ok = true;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return false;
	while (ok && done < size) {
		ssize_t w = write(fds[1], (const char *)src + done,
		    size - done > VM_PIPE_CHUNK ? VM_PIPE_CHUNK : size - done);
		size_t got = 0;

		if (w <= 0) {
			ok = false;
			break;
		}
		while (got < (size_t)w) {
			ssize_t r = read(
			    fds[0], (char *)dst + done + got, (size_t)w - got);

			if (r <= 0) {
				ok = false;
				break;
			}
			got += (size_t)r;
		}
		done += got;
	}
	close(fds[0]);
	close(fds[1]);
	return ok;
}

/*
 * ipc_vm_copyin
 *	Copy `size` bytes of user memory at src (any memory: a region mipc
 *	handed out or not) into dst, without faulting if src is or becomes
 *	unreadable meanwhile (another thread unmapped or protected it).
 * Conditions: nothing locked (one system call).  dst is ours.
 * Returns: true, or false when src could not be read whole.
 */
bool
ipc_vm_copyin(void *dst, const void *src, size_t size)
{
	size_t done = 0;

	if (src == NULL)
		return false;
	ipc_slow_note();
	/* Relaxed: a one-way switch; either copy is correct. */
	if (unlikely(ck_pr_load_8(&vm_readv_refused)))
		return copy_through_pipe(dst, src, size);
	while (done < size) {
		struct iovec local = { (char *)dst + done, size - done };
		struct iovec remote = { (char *)(uintptr_t)src + done,
			size - done };
		ssize_t n = process_vm_readv(vm_self, &local, 1, &remote, 1, 0);

		if (n < 0 && (errno == EPERM || errno == ENOSYS)) {
			/* A sandbox refuses the call: the pipe from now on. */
			ck_pr_store_8(&vm_readv_refused, 1);
			return copy_through_pipe((char *)dst + done,
			    (const char *)src + done, size - done);
		}
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/*
 * ipc_vm_copyin_from
 *	ipc_vm_copyin for a message of holder's: when src lies at the start
 *	of a region holder holds and nobody took a right from it with
 *	vm_protect, a plain memcpy -- no system call -- with the region
 *	pinned, so that a vm_deallocate meanwhile (another thread's, or a
 *	move of it in another message) leaves its pages mapped until the
 *	copy ends: the copy then happened before the release.  Anything
 *	else goes through ipc_vm_copyin.
 * Conditions: nothing locked.
 * Returns: as ipc_vm_copyin.
 */
bool
ipc_vm_copyin_from(
    struct mipc_space *holder, void *dst, const void *src, size_t size)
{
	struct ipc_vm_region **slot, *r = NULL;
	bool unmap = false, kept = false;

	ipc_lock(&vm_lock);
	slot = vm_find((uintptr_t)src);
	if (slot != NULL && (*slot)->vr_space == holder &&
	    size <= (*slot)->vr_len && !(*slot)->vr_protected) {
		r = *slot;
		r->vr_pins++;
	}
	ipc_unlock(&vm_lock);
	if (r == NULL)
		return ipc_vm_copyin(dst, src, size);
	ipc_debug_yield(IPC_YIELD_COPY);
	memcpy(dst, src, size);
	ipc_lock(&vm_lock);
	if (--r->vr_pins == 0 && r->vr_dead) {
		/* Released while we read: the release ends here. */
		r->vr_dead = false;
		kept = cache_keep_locked(r);
		unmap = !kept;
	}
	ipc_unlock(&vm_lock);
	if (unmap)
		region_unmap(r);
	return true;
}

/* ------------------------------------------------------------------ */
/* vm_allocate / vm_deallocate / vm_protect                            */

kern_return_t
mipc_vm_allocate(
    mipc_space_t task, vm_address_t *address, vm_size_t size, int flags)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_vm_region *r;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (address == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!(flags & VM_FLAGS_ANYWHERE))
		return KERN_INVALID_ARGUMENT;
	if (ck_pr_load_32(&space->is_active) == 0)
		return KERN_INVALID_TASK; /* Relaxed: ipc_vm_alloc rechecks */
	if (size == 0) {
		*address = 0;
		return KERN_SUCCESS;
	}
	kr = ipc_vm_alloc(space, size, false, &r);
	if (kr != KERN_SUCCESS)
		return kr == KERN_INVALID_ARGUMENT || kr == KERN_INVALID_TASK
		    ? kr
		    : KERN_NO_SPACE;
	*address = r->vr_addr;
	return KERN_SUCCESS;
}

kern_return_t
mipc_vm_deallocate(mipc_space_t task, vm_address_t address, vm_size_t size)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	kern_return_t kr;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (ck_pr_load_32(&space->is_active) == 0)
		return KERN_INVALID_TASK; /* Relaxed: ipc_vm_release rechecks */
	return ipc_vm_release(space, address, size);
}

/*
 * vm_protect on a region mipc handed out: the pages' protection changes
 * (mprotect) and the region is marked, so that copies from it go through
 * the checked copy and answer MACH_SEND_INVALID_MEMORY where it cannot
 * be read, as XNU's vm_map_copyin does.  The range must lie inside one
 * region the space holds (KERN_INVALID_ADDRESS otherwise).  set_maximum
 * lowers the current protection too (mipc keeps no maximum apart).
 * Memory mipc hands out is protected with vm_protect, not mprotect: the
 * fast copy from a region (ipc_vm_copyin_from) trusts what it knows.
 */
kern_return_t
mipc_vm_protect(mipc_space_t task, vm_address_t address, vm_size_t size,
    boolean_t set_maximum, vm_prot_t new_protection)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_vm_region *r;
	kern_return_t kr;
	int prot = PROT_NONE;

	(void)set_maximum;
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = KERN_INVALID_ADDRESS;
	if (new_protection & ~VM_PROT_ALL)
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_SUCCESS;
	if (new_protection & VM_PROT_READ)
		prot |= PROT_READ;
	if (new_protection & VM_PROT_WRITE)
		prot |= PROT_READ | PROT_WRITE; /* x86 and ARM64: W implies R */
	if (new_protection & VM_PROT_EXECUTE)
		prot |= PROT_EXEC;
	for (;;) {
		bool busy = false;

		ipc_lock(&vm_lock);
		if (space->is_vm.vh_closed) {
			ipc_unlock(&vm_lock);
			return KERN_INVALID_TASK;
		}
		for (r = space->is_vm.vh_head; r != NULL; r = r->vr_next) {
			if (address >= r->vr_addr &&
			    address - r->vr_addr < r->vr_len &&
			    size <= r->vr_len - (address - r->vr_addr))
				break;
		}
		if (r == NULL) {
			ipc_unlock(&vm_lock);
			return KERN_INVALID_ADDRESS;
		}
		/*
		 * Marked first: no new copy pins it.  Copies already reading
		 * it finish before the protection changes (XNU's vm_protect
		 * waits for the map lock a copy-in holds).
		 */
		if ((new_protection & VM_PROT_READ) == 0)
			r->vr_protected = true;
		busy = r->vr_pins != 0;
		if (!busy) {
			kr = mprotect((void *)(address & ~(vm_page() - 1)),
			         round_page(size + (address & (vm_page() - 1))),
			         prot) == 0
			    ? KERN_SUCCESS
			    : KERN_PROTECTION_FAILURE;
			r->vr_reprotected = true;
		}
		ipc_unlock(&vm_lock);
		if (!busy)
			return kr;
		sched_yield();
	}
}
