/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port.h -- spaces, ports, rights, attributes and guards: mipc's native
 * API.  Every call takes the space first and behaves exactly as the Mach
 * call of the same suffix (<mipc/mach.h> spells them mach_port_*); the
 * only differences are the explicit source / destination spaces of
 * mipc_port_insert_right and mipc_port_extract_right.  One call has no
 * Mach counterpart: mipc_port_allocate_init, the kernel's port-creation
 * options (special reply, immovable send, no-grant ports).
 *
 * A space is a Mach task's IPC space: a private table of port names.  All
 * calls are thread-safe, on any space, from any thread.  A call on a
 * destroyed space returns KERN_INVALID_TASK; a NULL space argument, or a
 * value that was never a space handle, returns MACH_SEND_INVALID_DEST, as
 * libsyscall's MIG fallback does (mipc(7)).
 *
 * What a handle is, and how long it lives:
 *
 *  - mipc_space_t names one space for ever.  It is not an address: it
 *    carries the space's slot and a generation, checked on every call, and
 *    no two spaces are ever given the same handle.
 *  - After mipc_space_destroy() the handle is refused for ever: calls
 *    through it return KERN_INVALID_TASK (mach_port_*, vm_*),
 *    MACH_SEND_INVALID_DEST (sends) or MACH_RCV_INVALID_NAME (receives) --
 *    also after mipc_quiesce(), after any number of spaces were created
 *    since, and in a forked child.  It never acts on another space.
 *  - A handle is a value: copy it, pass it between threads, keep it after
 *    destroy.  A call racing mipc_space_destroy() either completes on the
 *    live space or answers as for a destroyed one; it never faults.
 *  - A call in progress holds the space it was given.  Destroying the
 *    space under it tears the space's rights down at once; the call then
 *    finishes against the destroyed space: a send blocked for room times
 *    out into it (the rights it carried are destroyed, M3), a receive on
 *    one of its ports returns MACH_RCV_PORT_CHANGED (K6).
 *  - A destroyed space's memory is reclaimed by the library at its next
 *    safe points (no mipc_quiesce() needed), once no call holds it.
 *  - fork(): the child starts with a fresh, empty set of spaces, as a task
 *    XNU forks gets a new IPC space (ipc_task_init); every handle of the
 *    parent is refused there, the child's default space is new, and the
 *    forking thread's current space is the default again.  The parent's
 *    rights, messages, bootstrap services and received out-of-line
 *    regions do not exist in the child (regions stay mapped there, unknown
 *    to mipc: munmap them); descriptors from mipc_port_get_fd stay open in
 *    the child but are never written again (close them).
 */
#ifndef MIPC_PORT_H
#define MIPC_PORT_H

#include <mipc/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An opaque handle; never dereferenced, never an address (see above). */
typedef struct mipc_space_handle *mipc_space_t;

/* ---- spaces ------------------------------------------------------------ */

/* A new, empty space (KERN_RESOURCE_SHORTAGE when out of memory). */
MIPC_API kern_return_t mipc_space_create(mipc_space_t *out);

/*
 * Tear the space down as task termination does (mipc_space_create(3)): receive rights
 * are destroyed first (port-destroyed requests honoured), then send rights
 * released, send-once rights destroyed, port sets destroyed, dead names
 * dropped.  From then on the handle is refused (see above); a second
 * destroy returns KERN_INVALID_TASK.
 */
MIPC_API kern_return_t mipc_space_destroy(mipc_space_t space);

/*
 * The calling thread's current space: the process-wide default space
 * (created on first use) until the thread sets another.  NULL only when
 * memory is exhausted.
 */
MIPC_API mipc_space_t mipc_thread_space(void);

/*
 * Make `space` the calling thread's current space; returns the previous.
 * NULL, or the default space itself, selects "the default space", which
 * follows mipc_default_space_reset().  A current space that is destroyed
 * stays current (calls through mach_task_self() then return
 * KERN_INVALID_TASK) until the thread switches away; it pins no memory.
 */
MIPC_API mipc_space_t mipc_thread_set_space(mipc_space_t space);

/*
 * The process-wide default space, destroyed and replaced by a fresh one on
 * the next use (for test teardown: every right it held is released).  A
 * handle to the old one obtained before (mach_task_self()) is refused
 * afterwards, as any destroyed space's.
 */
MIPC_API void mipc_default_space_reset(void);

/*
 * The in-process task_for_pid: a send right to `space`'s task port (a
 * kernel object, made on first use), given to the calling thread's
 * current space; *name is its name there (an existing name for the port
 * gains a user reference).  Mach calls through it act on `space`; when
 * `space` is destroyed its task port dies, so the name becomes a dead
 * name and dead-name notifications fire.  MACH_SEND_INVALID_DEST for a
 * NULL space or a value never a handle, KERN_INVALID_TASK for a destroyed
 * one (the name converts to a dead task once the space went: its handle,
 * never reused, is what the port holds), KERN_INVALID_ARGUMENT
 * for a NULL name, KERN_RESOURCE_SHORTAGE / KERN_NO_SPACE when out of
 * memory or names.
 */
MIPC_API kern_return_t mipc_space_task_port(
    mipc_space_t space, mach_port_name_t *name);

/* ---- guard exceptions -------------------------------------------------- */

/*
 * Called on every Mach port guard violation, with XNU's flavor code
 * (kGUARD_EXC_*), the name concerned and the payload XNU reports (often
 * the guard value).  The call that violated still returns its Mach code.
 * With no handler set, fatal flavors (<= kGUARD_EXC_MSG_FILTERED) print
 * a message and abort, as XNU terminates the task; others are ignored.
 */
typedef void (*mipc_guard_handler_t)(mipc_space_t space, mach_port_name_t name,
    uint64_t flavor, uint64_t payload, void *ctx);
MIPC_API void mipc_set_guard_handler(mipc_guard_handler_t fn, void *ctx);

/* ---- ports and rights -------------------------------------------------- */

MIPC_API kern_return_t mipc_port_allocate(
    mipc_space_t space, mach_port_right_t right, mach_port_name_t *name);
MIPC_API kern_return_t mipc_port_allocate_name(
    mipc_space_t space, mach_port_right_t right, mach_port_name_t name);
MIPC_API kern_return_t mipc_port_construct(mipc_space_t space,
    mach_port_options_t *options, mach_port_context_t context,
    mach_port_name_t *name);

/*
 * A receive right made with the port-creation options XNU's kernel gives
 * itself (the seed's ipc_port_init flags; the first three keep XNU's
 * IPC_PORT_INIT_* values).  flags is any OR of:
 *
 *   MAKE_SEND_RIGHT  the name also holds a send right, 1 uref (mscount 1)
 *   MESSAGE_QUEUE    the message queue is allocated now, so the first
 *                    send neither allocates nor can fail for memory
 *   SPECIAL_REPLY    a special reply port (thread_get_special_reply_port(3)):
 *                    receive right immovable, marked as a reply port (as
 *                    MPO_REPLY_PORT), no PORT_DESTROYED / NO_SENDERS
 *                    requests, no importance attributes.  Not bound to
 *                    any thread: thread_get_special_reply_port binds.
 *   IMMOVABLE_SEND   send and send-once rights never leave the space that
 *                    holds them (XNU's kernel control ports):
 *                    usable as a message destination and COPY_SEND-
 *                    extractable into the same space; anything else is
 *                    KERN_INVALID_CAPABILITY / MACH_SEND_INVALID_RIGHT /
 *                    MACH_SEND_INVALID_REPLY with a kGUARD_EXC_IMMOVABLE.
 *   NO_GRANT         messages to it may carry no port rights:
 *                    MACH_SEND_NO_GRANT_DEST (mipc_msg(3)); status flag
 *                    MACH_PORT_STATUS_FLAG_NO_GRANT.
 *
 * Returns KERN_INVALID_ARGUMENT for an unknown flag or a NULL name,
 * MACH_SEND_INVALID_DEST for a NULL space (as mipc_port_allocate),
 * KERN_INVALID_TASK for a destroyed one, KERN_RESOURCE_SHORTAGE when out
 * of memory (then nothing was made).
 */
#define MIPC_PORT_INIT_MAKE_SEND_RIGHT 0x0001u
#define MIPC_PORT_INIT_MESSAGE_QUEUE   0x0002u
#define MIPC_PORT_INIT_SPECIAL_REPLY   0x0004u
#define MIPC_PORT_INIT_IMMOVABLE_SEND  0x0100u
#define MIPC_PORT_INIT_NO_GRANT        0x0200u
MIPC_API kern_return_t mipc_port_allocate_init(
    mipc_space_t space, uint32_t flags, mach_port_name_t *name);

MIPC_API kern_return_t mipc_port_destruct(mipc_space_t space,
    mach_port_name_t name, mach_port_delta_t srdelta,
    mach_port_context_t guard);
MIPC_API kern_return_t mipc_port_deallocate(
    mipc_space_t space, mach_port_name_t name);
MIPC_API kern_return_t mipc_port_destroy(
    mipc_space_t space, mach_port_name_t name);
MIPC_API kern_return_t mipc_port_mod_refs(mipc_space_t space,
    mach_port_name_t name, mach_port_right_t right, mach_port_delta_t delta);
MIPC_API kern_return_t mipc_port_get_refs(mipc_space_t space,
    mach_port_name_t name, mach_port_right_t right, mach_port_urefs_t *refs);
MIPC_API kern_return_t mipc_port_type(
    mipc_space_t space, mach_port_name_t name, mach_port_type_t *ptype);
/* Arrays come from vm_allocate; release them with vm_deallocate. */
MIPC_API kern_return_t mipc_port_names(mipc_space_t space,
    mach_port_name_array_t *names, mach_msg_type_number_t *namesCnt,
    mach_port_type_array_t *types, mach_msg_type_number_t *typesCnt);

/*
 * Copy the right named `poly` in `from` (with disposition polyPoly) into
 * `space` under `name`.  mach_port_insert_right(task, name, poly, polyPoly)
 * is this with from = the calling thread's current space.
 */
MIPC_API kern_return_t mipc_port_insert_right(mipc_space_t space,
    mach_port_name_t name, mipc_space_t from, mach_port_name_t poly,
    mach_msg_type_name_t polyPoly);
/*
 * Take the right named `name` out of `space` (disposition msgt_name) and
 * copy it out into `to`, returning its name there and its received type.
 * mach_port_extract_right is this with to = the calling thread's space.
 */
MIPC_API kern_return_t mipc_port_extract_right(mipc_space_t space,
    mach_port_name_t name, mach_msg_type_name_t msgt_name, mipc_space_t to,
    mach_port_name_t *poly, mach_msg_type_name_t *polyPoly);

MIPC_API kern_return_t mipc_port_get_context(
    mipc_space_t space, mach_port_name_t name, mach_port_context_t *context);
MIPC_API kern_return_t mipc_port_set_context(
    mipc_space_t space, mach_port_name_t name, mach_port_context_t context);
MIPC_API kern_return_t mipc_port_guard(mipc_space_t space,
    mach_port_name_t name, mach_port_context_t guard, boolean_t strict);
MIPC_API kern_return_t mipc_port_guard_with_flags(mipc_space_t space,
    mach_port_name_t name, mach_port_context_t guard, uint64_t flags);
MIPC_API kern_return_t mipc_port_unguard(
    mipc_space_t space, mach_port_name_t name, mach_port_context_t guard);
MIPC_API kern_return_t mipc_port_swap_guard(mipc_space_t space,
    mach_port_name_t name, mach_port_context_t old_guard,
    mach_port_context_t new_guard);

MIPC_API kern_return_t mipc_port_get_attributes(mipc_space_t space,
    mach_port_name_t name, mach_port_flavor_t flavor,
    mach_port_info_t port_info, mach_msg_type_number_t *port_info_cnt);
MIPC_API kern_return_t mipc_port_set_attributes(mipc_space_t space,
    mach_port_name_t name, mach_port_flavor_t flavor,
    mach_port_info_t port_info, mach_msg_type_number_t port_info_cnt);
MIPC_API kern_return_t mipc_port_assert_attributes(mipc_space_t space,
    mach_port_name_t name, mach_port_flavor_t flavor,
    mach_port_info_t port_info, mach_msg_type_number_t port_info_cnt);
MIPC_API kern_return_t mipc_port_set_mscount(
    mipc_space_t space, mach_port_name_t name, mach_port_mscount_t mscount);
MIPC_API kern_return_t mipc_port_set_seqno(
    mipc_space_t space, mach_port_name_t name, mach_port_seqno_t seqno);
MIPC_API kern_return_t mipc_port_get_srights(
    mipc_space_t space, mach_port_name_t name, mach_port_rights_t *srights);

/* ---- port sets ---------------------------------------------------------- */

MIPC_API kern_return_t mipc_port_insert_member(
    mipc_space_t space, mach_port_name_t name, mach_port_name_t pset);
MIPC_API kern_return_t mipc_port_extract_member(
    mipc_space_t space, mach_port_name_t name, mach_port_name_t pset);
MIPC_API kern_return_t mipc_port_move_member(
    mipc_space_t space, mach_port_name_t member, mach_port_name_t after);
/* Member names, sorted ascending; release with vm_deallocate. */
MIPC_API kern_return_t mipc_port_get_set_status(mipc_space_t space,
    mach_port_name_t name, mach_port_name_array_t *members,
    mach_msg_type_number_t *membersCnt);

/* ---- event loops --------------------------------------------------------- */

/*
 * A file descriptor for epoll, poll, select, libuv or libevent that polls
 * readable (POLLIN / EPOLLIN) while a message can be received on `name`, a
 * receive right or a port set of `space` -- level-triggered, as nng's
 * NNG_OPT_RECVFD: readable as long as a message is queued, not readable
 * once the queue (every member's queue, for a set) is drained.  Wait on
 * it, then receive with MACH_RCV_TIMEOUT and timeout 0 until
 * MACH_RCV_TIMED_OUT.  Never read or write the descriptor.
 *
 * Each call returns a new descriptor (close-on-exec) that the caller owns
 * and must close(); closing it does not disarm anything, and it may be
 * closed before or after the port goes.  mipc keeps its own for as long as
 * the receive right stays in the space or the set lives, and closes it
 * then.  When the receive right leaves the space (destroyed, moved in a
 * message, its space destroyed) or the set is destroyed, the descriptor
 * vanishes, as XNU's EVFILT_MACHPORT knote does: it stays readable for
 * good, with POLLOUT gone (its counter is at its maximum), and a receive
 * on the name says why (MACH_RCV_INVALID_NAME).  A right that comes back
 * needs a new call.
 *
 * While armed, a send to the port costs a little more (a lookup under a
 * lock, one eventfd write when the descriptor goes from unreadable to
 * readable) and so does the receive that empties it (one eventfd read);
 * ports and sets without one cost nothing more.
 *
 * Returns KERN_SUCCESS; KERN_INVALID_NAME for a name the space does not
 * hold (MACH_PORT_NULL, MACH_PORT_DEAD included); KERN_INVALID_RIGHT for
 * a send, send-once or dead name; KERN_INVALID_ARGUMENT for a NULL fd;
 * MACH_SEND_INVALID_DEST for a NULL space, KERN_INVALID_TASK for a
 * destroyed one; KERN_RESOURCE_SHORTAGE when out of memory or descriptors.
 */
MIPC_API kern_return_t mipc_port_get_fd(
    mipc_space_t space, mach_port_name_t name, int *fd);

/* ---- memory handed across the API -------------------------------------- */

#define VM_FLAGS_FIXED    0x0000
#define VM_FLAGS_ANYWHERE 0x0001

/*
 * Zero-filled, page-aligned memory of at least `size` bytes, tracked so
 * that mipc_vm_deallocate can check what it is given.  Only
 * VM_FLAGS_ANYWHERE is supported (KERN_INVALID_ARGUMENT otherwise).
 */
MIPC_API kern_return_t mipc_vm_allocate(
    mipc_space_t space, vm_address_t *address, vm_size_t size, int flags);
/*
 * Release a region from mipc_vm_allocate (or one mipc handed out: name
 * arrays, received out-of-line memory).  size 0 is a no-op; an address
 * mipc did not hand out, or a size that does not match the region's,
 * returns KERN_INVALID_ADDRESS and touches nothing.
 */
MIPC_API kern_return_t mipc_vm_deallocate(
    mipc_space_t space, vm_address_t address, vm_size_t size);

/* Mach's <mach/vm_prot.h>. */
typedef int vm_prot_t;
#define VM_PROT_NONE    ((vm_prot_t)0x00)
#define VM_PROT_READ    ((vm_prot_t)0x01)
#define VM_PROT_WRITE   ((vm_prot_t)0x02)
#define VM_PROT_EXECUTE ((vm_prot_t)0x04)
#define VM_PROT_DEFAULT (VM_PROT_READ | VM_PROT_WRITE)
#define VM_PROT_ALL     (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

/*
 * Change the protection of [address, address + size), which must lie in
 * one region mipc handed out to `space` (KERN_INVALID_ADDRESS otherwise;
 * KERN_INVALID_ARGUMENT for bits beyond VM_PROT_ALL).  Sending from a
 * region that cannot be read answers MACH_SEND_INVALID_MEMORY.  Protect
 * mipc's regions with this call, not mprotect(2): a copy from a region
 * mipc believes readable reads it directly.  set_maximum lowers the
 * current protection as well (no separate maximum is kept).
 */
MIPC_API kern_return_t mipc_vm_protect(mipc_space_t space, vm_address_t address,
    vm_size_t size, boolean_t set_maximum, vm_prot_t new_protection);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_PORT_H */
