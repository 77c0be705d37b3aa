/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm.h -- out-of-line regions (vm.c): page-aligned memory mipc hands out,
 * tracked so that deallocation can check what it is given.
 */
#ifndef MIPC_CORE_VM_H
#define MIPC_CORE_VM_H

#include "base.h"

#include <mipc/types.h>

kern_return_t ipc_vm_alloc(vm_size_t size, void **out);
bool ipc_vm_copyin(void *dst, const void *src, size_t size);
bool ipc_vm_take_region(void *addr, size_t size);
void ipc_vm_unregister(void *addr, size_t size);
void ipc_vm_register(void *addr, size_t size);
void ipc_vm_free_region(void *addr, size_t size);
kern_return_t ipc_vm_release(vm_address_t address, vm_size_t size);

#endif /* MIPC_CORE_VM_H */
