/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm.h -- out-of-line regions (vm.c): page-aligned memory mipc hands out,
 * each held by one space (or in flight inside a message), so that
 * deallocation can check what it is given and who gives it.
 */
#ifndef MIPC_CORE_VM_H
#define MIPC_CORE_VM_H

#include "base.h"

#include <mipc/types.h>

struct mipc_space;

/*
 * A region mipc handed out: [vr_addr, vr_addr + vr_len), held by the space
 * vr_space -- registered under its address, on its holder's list -- or,
 * with vr_space NULL, in flight: owned by the message that carries it and
 * found by nobody else.
 * Synchronization: (V) vm_lock; (C) constant.
 */
struct ipc_vm_region {
	uintptr_t vr_addr;               /* (C) page-aligned */
	size_t vr_len;                   /* (C) rounded to pages */
	struct mipc_space *vr_space;     /* (V) holder; NULL: in flight */
	struct ipc_vm_region *vr_next;   /* (V) holder's list; the cache's */
	struct ipc_vm_region **vr_prevp; /* (V) holder's list */
	uint32_t vr_pins;                /* (V) copies reading it now */
	bool vr_dead;                    /* (V) released while pinned */
	bool vr_protected;               /* (V) vm_protect took a right away */
	bool vr_reprotected;             /* (V) vm_protect changed its pages:
	                                    unmapped when released, not cached */
};

/* What a space keeps for vm.c: its regions.  Embedded in mipc_space. */
struct ipc_vm_holder {
	struct ipc_vm_region *vh_head; /* (V) regions held */
	bool vh_closed;                /* (V) destroyed: holds nothing more */
};

/* overwrite: the caller writes all `size` bytes; only the rest is zeroed. */
kern_return_t ipc_vm_alloc(struct mipc_space *holder, vm_size_t size,
    bool overwrite, struct ipc_vm_region **out);
struct ipc_vm_region *ipc_vm_take(
    struct mipc_space *holder, const void *addr, vm_size_t size);
bool ipc_vm_give(struct mipc_space *holder, struct ipc_vm_region *r);
void ipc_vm_free(struct ipc_vm_region *r);
kern_return_t ipc_vm_release(
    struct mipc_space *holder, vm_address_t address, vm_size_t size);
void ipc_vm_close(struct mipc_space *space);
bool ipc_vm_copyin(void *dst, const void *src, size_t size);
bool ipc_vm_copyin_from(
    struct mipc_space *holder, void *dst, const void *src, size_t size);
size_t ipc_vm_cached_bytes(void);
size_t ipc_vm_cache_budget(void);
size_t ipc_vm_round(size_t size);

static inline void *
ipc_vm_addr(const struct ipc_vm_region *r)
{
	return (void *)r->vr_addr;
}

void ipc_vm_atfork_child(void);

#endif /* MIPC_CORE_VM_H */
