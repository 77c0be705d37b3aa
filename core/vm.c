/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm.c -- memory handed across the API: vm_allocate / vm_deallocate, the
 * arrays mach_port_names returns, and (with messages) received
 * out-of-line regions.
 *
 * Owns:      the registry of regions mipc handed out (address -> size),
 *            and a few released small regions kept for reuse (vm_spare).
 * Locking:   vm_lock (IPC_RANK_LEAF) covers the registry and the spares.
 * Choices:   * Regions are anonymous mappings, page-aligned and zero-filled
 *              as Mach's are, so that out-of-line memory can later move
 *              between spaces by handing over whole pages.
 *            * vm_deallocate checks what it is given: only a region mipc
 *              handed out, by its start address and a size that rounds to
 *              the region's pages, is released; anything else returns
 *              KERN_INVALID_ADDRESS and touches nothing.  Mach would unmap
 *              whatever is there; a library must not unmap its host's heap.
 *              Partial deallocation is not supported (same code).
 *            * Live bytes count as ool_bytes in mipc_get_stats().
 *            * User memory is read with process_vm_readv on our own pid
 *              (ipc_vm_copyin), never with memcpy: memory that another
 *              thread unmaps or protects while we copy -- a region it
 *              vm_deallocates, anything it munmaps -- fails the call
 *              (EFAULT) instead of faulting the process, and the sender
 *              gets MACH_SEND_INVALID_MEMORY, as from XNU's
 *              vm_map_copyin.  One system call per out-of-line
 *              descriptor; inline message bytes never come here.
 *            * Up to VM_SPARE_MAX released regions of at most
 *              VM_SPARE_BYTES stay mapped and go to the next request of
 *              the same size, zeroed: mach_port_names arrays and small
 *              out-of-line regions come and go in pairs, and an
 *              mmap + first touch + munmap costs microseconds where a
 *              memset of a page costs tens of nanoseconds.  Kept regions
 *              count as released (ool_bytes), are poisoned under ASan
 *              (a touch after vm_deallocate is caught, as munmap would
 *              make it fault) and are never handed out with anything a
 *              previous holder wrote.
 */
#include "vm.h"

#include "cache.h"
#include "lock.h"

#include <mipc/mach.h>
#include <mipc/port.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

struct vm_slot {
	uintptr_t vs_addr; /* 0: empty; 1: deleted */
	size_t vs_size;    /* rounded to pages */
};

static ipc_lock_t vm_lock = IPC_LOCK_INITIALIZER(IPC_RANK_LEAF, "vm registry");
static struct vm_slot *vm_slots; /* (vm_lock) */
static uint32_t vm_mask;         /* (vm_lock) slots - 1 */
static uint32_t vm_used;         /* (vm_lock) live + deleted */

#define VM_TOMB ((uintptr_t)1)

#define VM_SPARE_MAX   8
#define VM_SPARE_BYTES (16 * 1024)

static struct vm_slot vm_spare[VM_SPARE_MAX]; /* (vm_lock) */
static uint32_t vm_spare_n;                   /* (vm_lock) */

/* Our pid, for process_vm_readv (read again in a forked child). */
static pid_t vm_self;

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

static uint32_t
vm_hash(uintptr_t addr)
{
	uint64_t h = addr >> 12;

	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

static struct vm_slot *
vm_find(uintptr_t addr)
{
	uint32_t i;

	if (vm_slots == NULL)
		return NULL;
	for (i = vm_hash(addr) & vm_mask;; i = (i + 1) & vm_mask) {
		if (vm_slots[i].vs_addr == addr)
			return &vm_slots[i];
		if (vm_slots[i].vs_addr == 0)
			return NULL;
	}
}

static void
vm_put(struct vm_slot *slots, uint32_t mask, uintptr_t addr, size_t size)
{
	uint32_t i;

	for (i = vm_hash(addr) & mask;; i = (i + 1) & mask) {
		if (slots[i].vs_addr == 0 || slots[i].vs_addr == VM_TOMB) {
			slots[i].vs_addr = addr;
			slots[i].vs_size = size;
			return;
		}
	}
}

/* Conditions: vm_lock held.  Returns false when out of memory. */
static bool
vm_insert(uintptr_t addr, size_t size)
{
	if (vm_slots == NULL || 2 * (vm_used + 1) > vm_mask + 1) {
		uint32_t live = 0, n = 64, i;
		struct vm_slot *ns;

		for (i = 0; vm_slots != NULL && i <= vm_mask; i++)
			live += vm_slots[i].vs_addr > VM_TOMB;
		while (n < 4 * (live + 1))
			n *= 2;
		ns = ipc_zalloc(IPC_KIND_MISC, n * sizeof(*ns));
		if (ns == NULL)
			return false;
		for (i = 0; vm_slots != NULL && i <= vm_mask; i++) {
			if (vm_slots[i].vs_addr > VM_TOMB)
				vm_put(ns, n - 1, vm_slots[i].vs_addr,
				    vm_slots[i].vs_size);
		}
		if (vm_slots != NULL)
			ipc_free(IPC_KIND_MISC, vm_slots,
			    (vm_mask + 1) * sizeof(*vm_slots));
		vm_slots = ns;
		vm_mask = n - 1;
		vm_used = live;
	}
	vm_put(vm_slots, vm_mask, addr, size);
	vm_used++;
	return true;
}

/* A kept region of exactly `len` bytes, or NULL (the latest first). */
static void *
spare_take(size_t len)
{
	void *p = NULL;
	uint32_t i;

	if (len > VM_SPARE_BYTES)
		return NULL;
	ipc_lock(&vm_lock);
	for (i = vm_spare_n; i-- > 0;) {
		if (vm_spare[i].vs_size == len) {
			p = (void *)vm_spare[i].vs_addr;
			vm_spare[i] = vm_spare[--vm_spare_n];
			ipc_asan_unpoison(p, len);
			break;
		}
	}
	ipc_unlock(&vm_lock);
	return p;
}

/*
 * Keep a region nobody holds any more (it left the registry) for reuse,
 * if it is small and there is room.  Returns false: the caller unmaps it.
 * Conditions: vm_lock held.
 */
static bool
spare_keep_locked(void *addr, size_t len)
{
	ipc_lock_assert_held(&vm_lock);
	if (len > VM_SPARE_BYTES || vm_spare_n == VM_SPARE_MAX)
		return false;
	/* As munmap would, under ASan: a late touch is caught. */
	ipc_asan_poison(addr, len);
	vm_spare[vm_spare_n].vs_addr = (uintptr_t)addr;
	vm_spare[vm_spare_n].vs_size = len;
	vm_spare_n++;
	return true;
}

/* The region is released: kept, or unmapped; either way uncounted. */
static void
region_released(void *addr, size_t len, bool kept)
{
	if (!kept)
		munmap(addr, len);
	ipc_kind_account(IPC_KIND_OOL, -(int64_t)len);
}

/*
 * ipc_vm_alloc
 *	A zero-filled region of at least `size` bytes, registered.
 * Conditions:
 *	Any lock of rank below IPC_RANK_LEAF may be held.  One mmap call,
 *	or none when a kept region of the same size is there.
 */
kern_return_t
ipc_vm_alloc(vm_size_t size, void **out)
{
	size_t len = round_page(size);
	void *p;

	if (size == 0 || len < size)
		return KERN_INVALID_ARGUMENT;
	if (ipc_fail_check(IPC_KIND_OOL))
		return KERN_RESOURCE_SHORTAGE;
	p = spare_take(len);
	if (p != NULL) {
		/* Zero-filled, as a fresh mapping; not yet anyone's. */
		memset(p, 0, len);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return KERN_RESOURCE_SHORTAGE;
	}
	ipc_lock(&vm_lock);
	if (!vm_insert((uintptr_t)p, len)) {
		ipc_unlock(&vm_lock);
		munmap(p, len);
		return KERN_RESOURCE_SHORTAGE;
	}
	ipc_unlock(&vm_lock);
	ipc_kind_account(IPC_KIND_OOL, (int64_t)len);
	*out = p;
	return KERN_SUCCESS;
}

/*
 * Regions in flight (OOL memory inside a message) belong to no space:
 * unregistered, still counted in ool_bytes, registered again when a
 * receiver gets them, or freed with their message.
 */

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
	while (done < size) {
		struct iovec local = { (char *)dst + done, size - done };
		struct iovec remote = { (char *)(uintptr_t)src + done,
			size - done };
		ssize_t n = process_vm_readv(vm_self, &local, 1, &remote, 1, 0);

		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* Take a whole region out of the registry (moved in a message). */
bool
ipc_vm_take_region(void *addr, size_t size)
{
	struct vm_slot *s;
	bool ok = false;

	ipc_lock(&vm_lock);
	s = vm_find((uintptr_t)addr);
	if (s != NULL && round_page(size) == s->vs_size) {
		s->vs_addr = VM_TOMB;
		s->vs_size = 0;
		ok = true;
	}
	ipc_unlock(&vm_lock);
	return ok;
}

void
ipc_vm_unregister(void *addr, size_t size)
{
	ipc_require(ipc_vm_take_region(addr, size), "unregistering a region");
}

/* A region in flight is handed to a receiver. */
void
ipc_vm_register(void *addr, size_t size)
{
	bool ok;

	ipc_lock(&vm_lock);
	ok = vm_insert((uintptr_t)addr, round_page(size));
	ipc_unlock(&vm_lock);
	/*
	 * The registry could not grow: the memory still reaches the
	 * receiver, who cannot give it back with vm_deallocate; count it
	 * as released rather than leak the count.
	 */
	if (!ok)
		ipc_kind_account(IPC_KIND_OOL, -(int64_t)round_page(size));
}

/* Free a region in flight (its message was destroyed). */
void
ipc_vm_free_region(void *addr, size_t size)
{
	size_t len = round_page(size);
	bool kept;

	ipc_lock(&vm_lock);
	kept = spare_keep_locked(addr, len);
	ipc_unlock(&vm_lock);
	region_released(addr, len, kept);
}

kern_return_t
mipc_vm_allocate(
    mipc_space_t space, vm_address_t *address, vm_size_t size, int flags)
{
	void *p;
	kern_return_t kr;

	if (space == NULL)
		return MACH_SEND_INVALID_DEST;
	if (address == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!(flags & VM_FLAGS_ANYWHERE))
		return KERN_INVALID_ARGUMENT;
	if (size == 0) {
		*address = 0;
		return KERN_SUCCESS;
	}
	kr = ipc_vm_alloc(size, &p);
	if (kr != KERN_SUCCESS)
		return kr == KERN_INVALID_ARGUMENT ? KERN_INVALID_ARGUMENT
		                                   : KERN_NO_SPACE;
	*address = (vm_address_t)p;
	return KERN_SUCCESS;
}
MIPC_MACH_ALIAS(mipc_vm_allocate, vm_allocate);

/*
 * ipc_vm_release
 *	Release a region mipc handed out (vm_deallocate's work, also used
 *	for the deallocate option of OOL descriptors).  size 0 does nothing.
 * Conditions:
 *	Nothing locked.
 * Returns:
 *	KERN_SUCCESS, or KERN_INVALID_ADDRESS for an address mipc did not
 *	hand out or a size that does not match its region's.
 */
kern_return_t
ipc_vm_release(vm_address_t address, vm_size_t size)
{
	struct vm_slot *s;
	size_t len;
	bool kept;

	if (size == 0)
		return KERN_SUCCESS;
	ipc_lock(&vm_lock);
	s = vm_find(address);
	if (s == NULL || round_page(size) != s->vs_size) {
		ipc_unlock(&vm_lock);
		return KERN_INVALID_ADDRESS;
	}
	len = s->vs_size;
	s->vs_addr = VM_TOMB;
	s->vs_size = 0;
	kept = spare_keep_locked((void *)address, len);
	ipc_unlock(&vm_lock);
	region_released((void *)address, len, kept);
	return KERN_SUCCESS;
}

kern_return_t
mipc_vm_deallocate(mipc_space_t space, vm_address_t address, vm_size_t size)
{
	if (space == NULL)
		return MACH_SEND_INVALID_DEST;
	return ipc_vm_release(address, size);
}
MIPC_MACH_ALIAS(mipc_vm_deallocate, vm_deallocate);
