/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * right.h -- right arithmetic (right.c): copyin and copyout of single
 * rights, checks of entries, dead names, a space's rights at teardown.
 */
#ifndef MIPC_CORE_RIGHT_H
#define MIPC_CORE_RIGHT_H

#include "kmsg.h"
#include "space.h"

#include <mipc/types.h>

/* Copy-in flags */
#define IPC_COPYIN_DEAD_OK 0x1u /* dead names yield a dead right */
#define IPC_COPYIN_HEADER  0x2u /* in a message header (reply ports) */
#define IPC_COPYIN_ALLOW_IMMOVABLE_SEND \
	0x4u /* the right stays in its space (Q15) */
#define IPC_COPYIN_CHECKED \
	0x8u /* checked: a port dead since fails, KERN_ABORTED */
#define IPC_COPYIN_FOREIGN \
	0x10u /* not the caller's own space: no IMMOVABLE guard (Q15) */

bool ipc_right_check(
    struct mipc_space *space, mach_port_name_t name, struct ipc_entry *entry);
kern_return_t ipc_right_type_locked(struct mipc_space *space,
    mach_port_name_t name, struct ipc_entry *entry, mach_port_type_t *typep,
    mach_port_urefs_t *urefsp);
void ipc_right_peek_locked(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *e, mach_port_type_t *typep);
kern_return_t ipc_right_copyin(struct mipc_space *space, mach_port_name_t name,
    mach_msg_type_name_t msgt, uint32_t flags, struct ipc_right *out);
kern_return_t ipc_right_copyout(
    struct mipc_space *space, struct ipc_right *right, mach_port_name_t *namep);
kern_return_t ipc_right_copyout_name(
    struct mipc_space *space, struct ipc_right *right, mach_port_name_t name);
void ipc_right_discard(struct ipc_right *right);
void ipc_right_terminate(struct mipc_space *space, mach_port_name_t name,
    struct ipc_entry *entry, bool receive_pass);

/*
 * ipc_right_copyout_sonce_locked
 *	ipc_right_copyout of a live send-once right in its one common case:
 *	a fresh name from the free list (K8), the right installed in it
 *	with one user reference, as install_into does; the entry takes the
 *	right's port reference and send-once count.  The object is
 *	published before the bits ([R8]), so a lock-free reader that sees
 *	the type finds the port.  Inline for the receive fast path's
 *	(kmsg.c ipc_kmsg_copyout_reply_try).
 * Conditions:
 *	Space locked and active with a free entry (is_free_head != 0: no
 *	growth, no failure); o, the port, active when checked under the
 *	space lock.
 */
static inline mach_port_name_t
ipc_right_copyout_sonce_locked(struct mipc_space *space, struct ipc_object *o)
{
	mach_port_name_t name;
	struct ipc_entry *e;
	uint32_t bits;

	ipc_lock_assert_held(&space->is_lock);
	e = ipc_entry_alloc_next(space, &name, &bits);
	if (unlikely(e == NULL)) {
		kern_return_t kr = ipc_entry_alloc(space, &name, &e);

		ipc_require(kr == KERN_SUCCESS, "a free entry is allocated");
		bits = e->ie_bits;
	}
	ipc_entry_set_object(e, o);
	ck_pr_store_32(&e->ie_bits, bits | MACH_PORT_TYPE_SEND_ONCE | 1);
	return name;
}

#endif /* MIPC_CORE_RIGHT_H */
