/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mach.h -- the Mach spellings, over mipc's native API: what code written
 * for Mach (<mach/mach.h>) calls.  A task is a mipc space; mach_task_self()
 * is the calling thread's current space (mipc_thread_space()).
 *
 * Each function here is exported under its Mach name with Mach's signature
 * and XNU's behaviour and return codes (see ../shared/MACH.md).
 */
#ifndef MIPC_MACH_H
#define MIPC_MACH_H

#include <mipc/types.h>
#include <mipc/port.h>
#include <mipc/message.h>
#include <mipc/notify.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef mipc_space_t ipc_space_t;
typedef mipc_space_t task_t;
typedef mipc_space_t ipc_space_port_t;
typedef mipc_space_t vm_map_t;

MIPC_API mipc_space_t mach_task_self(void);

MIPC_API kern_return_t mach_port_allocate(
    ipc_space_t task, mach_port_right_t right, mach_port_name_t *name);
MIPC_API kern_return_t mach_port_allocate_name(
    ipc_space_t task, mach_port_right_t right, mach_port_name_t name);
MIPC_API kern_return_t mach_port_construct(ipc_space_t task,
    mach_port_options_t *options, mach_port_context_t context,
    mach_port_name_t *name);
MIPC_API kern_return_t mach_port_destruct(ipc_space_t task,
    mach_port_name_t name, mach_port_delta_t srdelta,
    mach_port_context_t guard);
MIPC_API kern_return_t mach_port_deallocate(
    ipc_space_t task, mach_port_name_t name);
MIPC_API kern_return_t mach_port_destroy(
    ipc_space_t task, mach_port_name_t name);
MIPC_API kern_return_t mach_port_mod_refs(ipc_space_t task,
    mach_port_name_t name, mach_port_right_t right, mach_port_delta_t delta);
MIPC_API kern_return_t mach_port_get_refs(ipc_space_t task,
    mach_port_name_t name, mach_port_right_t right, mach_port_urefs_t *refs);
MIPC_API kern_return_t mach_port_type(
    ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype);
MIPC_API kern_return_t mach_port_names(ipc_space_t task,
    mach_port_name_array_t *names, mach_msg_type_number_t *namesCnt,
    mach_port_type_array_t *types, mach_msg_type_number_t *typesCnt);
/* poly is a name in the calling thread's current space. */
MIPC_API kern_return_t mach_port_insert_right(ipc_space_t task,
    mach_port_name_t name, mach_port_t poly, mach_msg_type_name_t polyPoly);
/* *poly comes back as a name in the calling thread's current space. */
MIPC_API kern_return_t mach_port_extract_right(ipc_space_t task,
    mach_port_name_t name, mach_msg_type_name_t msgt_name, mach_port_t *poly,
    mach_msg_type_name_t *polyPoly);
MIPC_API kern_return_t mach_port_get_context(
    ipc_space_t task, mach_port_name_t name, mach_port_context_t *context);
MIPC_API kern_return_t mach_port_set_context(
    ipc_space_t task, mach_port_name_t name, mach_port_context_t context);
MIPC_API kern_return_t mach_port_guard(ipc_space_t task, mach_port_name_t name,
    mach_port_context_t guard, boolean_t strict);
MIPC_API kern_return_t mach_port_guard_with_flags(ipc_space_t task,
    mach_port_name_t name, mach_port_context_t guard, uint64_t flags);
MIPC_API kern_return_t mach_port_unguard(
    ipc_space_t task, mach_port_name_t name, mach_port_context_t guard);
MIPC_API kern_return_t mach_port_swap_guard(ipc_space_t task,
    mach_port_name_t name, mach_port_context_t old_guard,
    mach_port_context_t new_guard);
MIPC_API kern_return_t mach_port_get_attributes(ipc_space_t task,
    mach_port_name_t name, mach_port_flavor_t flavor,
    mach_port_info_t port_info_out, mach_msg_type_number_t *port_info_outCnt);
MIPC_API kern_return_t mach_port_set_attributes(ipc_space_t task,
    mach_port_name_t name, mach_port_flavor_t flavor,
    mach_port_info_t port_info, mach_msg_type_number_t port_infoCnt);
MIPC_API kern_return_t mach_port_assert_attributes(ipc_space_t task,
    mach_port_name_t name, mach_port_flavor_t flavor, mach_port_info_t info,
    mach_msg_type_number_t infoCnt);
MIPC_API kern_return_t mach_port_set_mscount(
    ipc_space_t task, mach_port_name_t name, mach_port_mscount_t mscount);
MIPC_API kern_return_t mach_port_set_seqno(
    ipc_space_t task, mach_port_name_t name, mach_port_seqno_t seqno);
MIPC_API kern_return_t mach_port_get_srights(
    ipc_space_t task, mach_port_name_t name, mach_port_rights_t *srights);
MIPC_API kern_return_t mach_port_insert_member(
    ipc_space_t task, mach_port_name_t name, mach_port_name_t pset);
MIPC_API kern_return_t mach_port_extract_member(
    ipc_space_t task, mach_port_name_t name, mach_port_name_t pset);
MIPC_API kern_return_t mach_port_move_member(
    ipc_space_t task, mach_port_name_t member, mach_port_name_t after);
MIPC_API kern_return_t mach_port_get_set_status(ipc_space_t task,
    mach_port_name_t name, mach_port_name_array_t *members,
    mach_msg_type_number_t *membersCnt);
/* In the calling thread's current space. */
MIPC_API mach_msg_return_t mach_msg(mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
    mach_msg_timeout_t timeout, mach_port_name_t notify);
MIPC_API mach_msg_return_t mach_msg_send(mach_msg_header_t *msg);
MIPC_API mach_msg_return_t mach_msg_receive(mach_msg_header_t *msg);
MIPC_API void mach_msg_destroy(mach_msg_header_t *msg);

MIPC_API kern_return_t mach_port_request_notification(ipc_space_t task,
    mach_port_name_t name, mach_msg_id_t msgid, mach_port_mscount_t sync,
    mach_port_t notify, mach_msg_type_name_t notifyPoly, mach_port_t *previous);
MIPC_API kern_return_t mach_port_dnrequest_info(ipc_space_t task,
    mach_port_name_t name, unsigned int *dnr_total, unsigned int *dnr_used);

/*
 * The calling thread's special reply port (MACH.md S1, S2, S4): a fresh
 * name in the thread's current space holding RECEIVE + SEND (1 uref),
 * made with MIPC_PORT_INIT_SPECIAL_REPLY | _MAKE_SEND_RIGHT |
 * _MESSAGE_QUEUE and bound to the thread; the previous one is unbound but
 * stays allocated.  A receive with MACH_RCV_SYNC_WAIT must name the bound
 * one.  MACH_PORT_NULL on failure (no space, destroyed space, no memory).
 */
MIPC_API mach_port_name_t thread_get_special_reply_port(void);

/*
 * The calling thread's special reply port, made on first use and kept
 * (libsyscall's MIG convention) while it lives in the thread's current
 * space: a thread that moved to another space, or whose port was
 * destroyed, gets a new one (thread_get_special_reply_port).
 */
MIPC_API mach_port_t mig_get_special_reply_port(void);

/*
 * MACH.md S6: whether the link of the calling thread's special reply
 * port `name` was lost since the last call (a server's workloop moved on
 * without replying, S7), and clear that.  The flag is always maintained,
 * as XNU's DEVELOPMENT kernels do.  Codes: KERN_INVALID_TASK for another
 * space than the caller's current one; KERN_INVALID_NAME for NULL / DEAD
 * or an unknown name; KERN_INVALID_VALUE when the thread has no special
 * reply port; KERN_INVALID_RIGHT without a receive right;
 * KERN_INVALID_ARGUMENT when it is not the thread's special reply port.
 */
MIPC_API kern_return_t mach_port_special_reply_port_reset_link(
    task_t task, mach_port_name_t name, boolean_t *srp_lost_link);
/* libsyscall's wrappers: start takes a send reference on the special
 * reply port and resets its link; stop reports in_effect = !lost and
 * drops the reference. */
MIPC_API kern_return_t mach_sync_ipc_link_monitoring_start(
    mach_port_t *special_reply_port);
MIPC_API kern_return_t mach_sync_ipc_link_monitoring_stop(
    mach_port_t special_reply_port, boolean_t *in_effect);

MIPC_API kern_return_t vm_allocate(
    vm_map_t target, vm_address_t *address, vm_size_t size, int flags);
MIPC_API kern_return_t vm_deallocate(
    vm_map_t target, vm_address_t address, vm_size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_MACH_H */
