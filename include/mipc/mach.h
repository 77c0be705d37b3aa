/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mach.h -- the Mach spellings, over mipc's native API: what code written
 * for Mach (<mach/mach.h>) calls.  A task is a port: a send right to a
 * space's task port (a kernel object).  mach_task_self() is the calling
 * thread's current space's own name for its task port; every call below
 * that takes a task looks the name up in the calling thread's current
 * space and acts on the space it stands for (MIG's convert_port_to_task).
 * A name that is not a live send right to a task port answers
 * MACH_SEND_INVALID_DEST (what libsyscall's MIG retry returns when the
 * fast trap refuses the task), a send right to another kernel object
 * KERN_INVALID_TASK (XNU's MIG server).
 *
 * Each function here is exported under its Mach name with Mach's signature
 * and XNU's behaviour and return codes.  Documented in doc/man/: mipc(7)
 * for the model, a page per call (man 3 mach_msg, man 3 mach_port_allocate,
 * ...), each with every return code and the differences from XNU.  The
 * overlay (include/mach-overlay: <mach/mach.h> ...) maps Mach's headers
 * onto this one.
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

/* As Mach's user headers declare them (mach/mach_types.h). */
typedef mach_port_t ipc_space_t;
typedef mach_port_t task_t;
typedef mach_port_t task_name_t;
typedef mach_port_t ipc_space_port_t;
typedef mach_port_t vm_map_t;
typedef mach_port_t host_t;
typedef mach_port_t host_priv_t;

/*
 * The calling thread's current space's name for its own task port: one
 * fixed name per space, made on first use, holding a send right whose
 * last user reference is pinned (deallocating, destroying or moving it
 * answers KERN_INVALID_CAPABILITY with a kGUARD_EXC_MOD_REFS_NON_FATAL
 * guard, as XNU >= 7195's pinned task port).  MACH_PORT_NULL when no
 * memory is left.  Calls through it on a destroyed current space answer
 * KERN_INVALID_TASK; a thread that asked before the space was destroyed
 * keeps getting the same name, as libsyscall caches mach_task_self_.  A
 * forked child's is its own fresh default space's (<mipc/port.h>).
 */
MIPC_API mach_port_t mach_task_self(void);

/*
 * A send right to the process's host port (a kernel object with no
 * routines served: messages to it answer MIG_BAD_ID), one more user
 * reference on each call, as host_self_trap gives.  MACH_PORT_NULL when
 * no memory is left.
 */
MIPC_API mach_port_t mach_host_self(void);

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
MIPC_API kern_return_t mach_port_peek(ipc_space_t task, mach_port_name_t name,
    mach_msg_trailer_type_t trailer_type, mach_port_seqno_t *request_seqnop,
    mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
    mach_msg_trailer_info_t trailer_infop,
    mach_msg_type_number_t *trailer_infopCnt);
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
 * The calling thread's special reply port (thread_get_special_reply_port(3)):
 * a fresh name in the thread's current space holding RECEIVE + SEND (1 uref),
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
 * After a failed RPC through it (libsyscall's, as MIG-generated client
 * routines call it): the calling thread's special reply port is destroyed, in case a
 * stale answer waits in it; the next mig_get_special_reply_port makes a
 * new one.  migport, if it is another name, is deallocated.
 */
MIPC_API void mig_dealloc_special_reply_port(mach_port_t migport);

/*
 * Whether the link of the calling thread's special reply
 * port `name` was lost since the last call (a server's workloop moved on
 * without replying), and clear that.  The flag is always maintained,
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

/* ---- MIG conventions (mach/mig_errors.h, mach/ndr.h) ------------------ */

/* The reply of a routine that returns only a code, and what a server's
 * demux fills for an error (RetCode). */
typedef struct {
	mach_msg_header_t Head;
	NDR_record_t NDR;
	kern_return_t RetCode;
} mig_reply_error_t;

MIPC_API extern const NDR_record_t mipc_ndr_record;
#define NDR_record mipc_ndr_record

typedef integer_t mach_msg_options_t;

/* ---- server loops (libsyscall's mach_msg.c) ----------------------------- */

/*
 * Receive requests on rcv_name (a receive right or a port set of the
 * calling thread's current space), hand each to demux(request, reply),
 * send the reply, as libsyscall's mach_msg_server: RetCode MIG_NO_REPLY
 * sends nothing; another error RetCode in a simple reply destroys the
 * request (not its reply right); a reply through a send-once right is
 * sent without timeout, through a send right with MACH_SEND_TIMEOUT 0; a
 * reply that cannot be sent because its port is gone, or would block, is
 * destroyed (MACH_SEND_INVALID_DEST, MACH_SEND_TIMED_OUT); MACH_RCV_LARGE
 * in options grows the buffer for a larger request; other options
 * (MACH_RCV_TRAILER_*, MACH_RCV_TIMEOUT, MACH_SEND_TRAILER...) go to both
 * halves.  The buffers hold max_size bytes (rounded to pages) plus the
 * trailer.
 *
 * The loop runs on a workloop (sync.h) made for the call, with rcv_name
 * attached, so the servicing thread inherits the priority of the clients
 * waiting on it, and replies and receives in one mipc_workloop_msg.  If
 * rcv_name is already attached to another workloop (another thread runs
 * a server loop on it) the port is received through a private port set
 * of this loop's workloop instead: several threads running
 * mach_msg_server on one port form a pool (mipc_server_run); a request's
 * push then reaches the thread that dequeued it.  When the receive fails
 * -- the port or set died or left the space (MACH_RCV_PORT_CHANGED), a
 * timeout asked for in options, a too-large request without
 * MACH_RCV_LARGE -- or a reply send fails otherwise, the error is
 * returned.  mach_msg_server_once serves one request.
 */
MIPC_API mach_msg_return_t mach_msg_server_once(
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options);
MIPC_API mach_msg_return_t mach_msg_server(
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_t rcv_name, mach_msg_options_t options);

/*
 * A pool: nthreads servicers (1..64) run mach_msg_server on rcv_name in
 * `space` -- the calling thread and nthreads - 1 threads it starts, each
 * on its own workloop.  The first servicer's workloop has the port
 * attached (blocked senders and clients waiting on queued requests push
 * on it); the others receive it through a port set each.  Returns when
 * every servicer has returned: the first error any of them returned
 * (MACH_RCV_PORT_CHANGED when the port went away).  KERN_INVALID_ARGUMENT
 * for a NULL demux or nthreads out of range, KERN_RESOURCE_SHORTAGE when
 * threads cannot be started.
 */
MIPC_API mach_msg_return_t mipc_server_run(mipc_space_t space,
    boolean_t (*demux)(mach_msg_header_t *, mach_msg_header_t *),
    mach_msg_size_t max_size, mach_port_name_t rcv_name,
    mach_msg_options_t options, uint32_t nthreads);

/* ---- the bootstrap name service (servers/bootstrap.h) ------------------ */

/*
 * One namespace of service names for every space of the process, served
 * by the library itself (a kernel-object port; launchd's bootstrap
 * server without plists).  Names are 1..127 bytes, NUL-terminated within
 * name_t; a NULL, empty or unterminated name is KERN_INVALID_ARGUMENT, one
 * that runs into unreadable memory KERN_INVALID_ADDRESS, a NULL sp
 * KERN_INVALID_ARGUMENT.  Each call is a MIG-style RPC on the calling
 * thread's special reply port in its current space (bp a send right
 * there); transport errors are mach_msg's.
 *
 *   bootstrap_check_in      the receive right of `name`: a name nobody
 *                           declared is created (launchd's non-strict
 *                           check-in); one created by
 *                           bootstrap_create_service comes with the
 *                           messages already sent to it; one checked in
 *                           or registered is BOOTSTRAP_SERVICE_ACTIVE.
 *                           Sent with MACH_SEND_SYNC_BOOTSTRAP_CHECKIN:
 *                           threads blocked sending to the service push
 *                           on the checking-in thread until it receives a
 *                           message on the port (sync check-in, sync.h).
 *   bootstrap_look_up       a send right to `name`'s port, or
 *                           BOOTSTRAP_UNKNOWN_SERVICE.
 *   bootstrap_register      `name` -> the send right sp (deprecated in
 *                           Mach, still used): BOOTSTRAP_NAME_IN_USE if
 *                           the name exists.  sp MACH_PORT_NULL removes a
 *                           name registered so (BOOTSTRAP_UNKNOWN_SERVICE
 *                           if none, BOOTSTRAP_NOT_PRIVILEGED for a
 *                           checked-in or declared one).
 *   bootstrap_create_service  declare `name`: the bootstrap holds its
 *                           receive right until someone checks in; *sp a
 *                           send right, so clients can send before the
 *                           server starts.  BOOTSTRAP_NAME_IN_USE if it
 *                           exists.
 *
 * A service whose receive right dies (its holder destroys it, or its
 * space goes) is unregistered: the bootstrap gets the right back in a
 * port-destroyed notification and destroys the port, so its senders hold
 * dead names; a registered send right's port that dies is unregistered
 * by a dead-name notification.  Out of memory: BOOTSTRAP_NO_MEMORY (or
 * KERN_RESOURCE_SHORTAGE, MACH_SEND_NO_BUFFER).  The namespace lasts while
 * the process has a space: when the last space is destroyed, every name
 * goes and the bootstrap's rights are released.
 *
 * bootstrap_port is an expression: the calling thread's current space's
 * send right to the bootstrap port, made there on first use and kept
 * (MACH_PORT_NULL in a destroyed space or without memory).
 */
#define BOOTSTRAP_MAX_NAME_LEN     128
#define BOOTSTRAP_SUCCESS          0
#define BOOTSTRAP_NOT_PRIVILEGED   1100
#define BOOTSTRAP_NAME_IN_USE      1101
#define BOOTSTRAP_UNKNOWN_SERVICE  1102
#define BOOTSTRAP_SERVICE_ACTIVE   1103
#define BOOTSTRAP_BAD_COUNT        1104
#define BOOTSTRAP_NO_MEMORY        1105
#define BOOTSTRAP_NO_CHILDREN      1106
#define BOOTSTRAP_STATUS_INACTIVE  0
#define BOOTSTRAP_STATUS_ACTIVE    1
#define BOOTSTRAP_STATUS_ON_DEMAND 2

typedef char name_t[BOOTSTRAP_MAX_NAME_LEN];

/* `space`'s send right to the bootstrap port (see bootstrap_port). */
MIPC_API mach_port_t mipc_bootstrap_port(mipc_space_t space);
#define bootstrap_port (mipc_bootstrap_port(mipc_thread_space()))

/*
 * Apple declares service_name `const name_t` (check_in, look_up) and
 * `name_t` (register, create_service): the same types as these after
 * parameter adjustment.  Spelled as pointers so that GCC does not take
 * the array bound for a promise to read 128 bytes and warn about a
 * shorter string literal.
 */
MIPC_API kern_return_t bootstrap_check_in(
    mach_port_t bp, const char *service_name, mach_port_t *sp);
MIPC_API kern_return_t bootstrap_look_up(
    mach_port_t bp, const char *service_name, mach_port_t *sp);
MIPC_API kern_return_t bootstrap_register(
    mach_port_t bp, char *service_name, mach_port_t sp);
MIPC_API kern_return_t bootstrap_create_service(
    mach_port_t bp, char *service_name, mach_port_t *sp);
MIPC_API const char *bootstrap_strerror(kern_return_t r);

MIPC_API kern_return_t vm_allocate(
    vm_map_t target, vm_address_t *address, vm_size_t size, int flags);
MIPC_API kern_return_t vm_deallocate(
    vm_map_t target, vm_address_t address, vm_size_t size);
MIPC_API kern_return_t vm_protect(vm_map_t target_task, vm_address_t address,
    vm_size_t size, boolean_t set_maximum, vm_prot_t new_protection);

/* mach/mach_vm.h: the same with 64-bit addresses and sizes. */
typedef uint64_t mach_vm_address_t;
typedef uint64_t mach_vm_size_t;
MIPC_API kern_return_t mach_vm_allocate(vm_map_t target,
    mach_vm_address_t *address, mach_vm_size_t size, int flags);
MIPC_API kern_return_t mach_vm_deallocate(
    vm_map_t target, mach_vm_address_t address, mach_vm_size_t size);
MIPC_API kern_return_t mach_vm_protect(vm_map_t target_task,
    mach_vm_address_t address, mach_vm_size_t size, boolean_t set_maximum,
    vm_prot_t new_protection);

/* ---- the rest of libsyscall's mach/ routines (core/machlib.c) ---------- */

/*
 * mach_msg with distinct send and receive buffers (libsyscall's): msg is
 * sent, the reply is received into rcv_msg (rcv_size bytes); rcv_msg NULL
 * or msg itself is mach_msg.  With distinct buffers a combined
 * send + receive is a send, then (if it succeeded) a receive.
 * rcv_limit (the old scatter size) is ignored, as libsyscall ignores it.
 */
MIPC_API mach_msg_return_t mach_msg_overwrite(mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
    mach_msg_timeout_t timeout, mach_port_name_t notify,
    mach_msg_header_t *rcv_msg, mach_msg_size_t rcv_limit);

/*
 * MIG's per-thread reply port (libsyscall's mig_reply_port.c): made on
 * first use in the calling thread's current space, as
 * mach_port_construct(MPO_REPLY_PORT) makes it (a reply port: only
 * send-once rights are made from it, and only in a header), and kept
 * while it lives in that space.  mig_dealloc_reply_port destroys it (after a failed RPC
 * a late reply may wait in it) and deallocates migport if it is another
 * name; the next mig_get_reply_port makes a new one.  mig_put_reply_port
 * does nothing, as libsyscall's.  mach_reply_port() is the trap: a fresh
 * receive right each call.  MACH_PORT_NULL when out of memory.
 */
MIPC_API mach_port_t mig_get_reply_port(void);
MIPC_API void mig_dealloc_reply_port(mach_port_t reply_port);
MIPC_API void mig_put_reply_port(mach_port_t reply_port);
MIPC_API mach_port_name_t mach_reply_port(void);

/* mach/error.h: how an error code is composed. */
typedef kern_return_t mach_error_t;
typedef mach_error_t (*mach_error_fn_t)(void);
#define err_none            (mach_error_t)0
#define ERR_SUCCESS         (mach_error_t)0
#define ERR_ROUTINE_NIL     (mach_error_fn_t)0
#define err_system(x)       ((signed)((((unsigned)(x)) & 0x3f) << 26))
#define err_sub(x)          (((x)&0xfff) << 14)
#define err_get_system(err) (((err) >> 26) & 0x3f)
#define err_get_sub(err)    (((err) >> 14) & 0xfff)
#define err_get_code(err)   ((err)&0x3fff)
#define system_emask        (err_system(0x3f))
#define sub_emask           (err_sub(0xfff))
#define code_emask          (0x3fff)
#define err_kern            err_system(0x0)
#define err_us              err_system(0x1)
#define err_server          err_system(0x2)
#define err_ipc             err_system(0x3)
#define err_mach_ipc        err_system(0x4)
#define err_dipc            err_system(0x7)
#define err_local           err_system(0x3e)
#define err_ipc_compat      err_system(0x3f)
#define err_max_system      0x3f
#define unix_err(errno)     (err_kern | err_sub(3) | (errno))

/*
 * libsyscall's error strings: "(os/kern) invalid argument",
 * "(ipc/send) invalid destination port", "(ipc/mig) bad request message
 * ID" ... for the kernel (system 0, subsystem 0) and Mach IPC codes
 * (system 4, and the old -1xx..-3xx numbers it maps there), "unknown
 * error code" for another code of a known subsystem, "(?/?) unknown error
 * system" and the like beyond (as for the bootstrap codes, which
 * bootstrap_strerror names).  mach_error_type names the subsystem
 * ("(os/kern)", "(ipc/send)" ..., "(?/?)").  mach_error prints
 * "<str> <string>" to stderr, with the type and the code in hex for a
 * code it cannot name.  The strings are constant: never write to them.
 */
MIPC_API char *mach_error_string(mach_error_t error_value);
MIPC_API void mach_error(const char *str, mach_error_t error_value);
MIPC_API char *mach_error_type(mach_error_t error_value);

/* ---- space introspection (mach_debug/ipc_info.h, mach_port.defs) ------- */

typedef mach_port_t ipc_space_read_t;
typedef mach_port_t ipc_space_inspect_t;

typedef struct ipc_info_space {
	natural_t iis_genno_mask; /* generation number mask */
	natural_t iis_table_size; /* size of table */
	natural_t iis_table_next; /* next possible size of table (unused) */
	natural_t iis_tree_size;  /* (unused) */
	natural_t iis_tree_small; /* (unused) */
	natural_t iis_tree_hash;  /* (unused) */
} ipc_info_space_t;

typedef struct ipc_info_space_basic {
	natural_t iisb_genno_mask;  /* generation number mask */
	natural_t iisb_table_size;  /* size of table */
	natural_t iisb_table_next;  /* (unused) */
	natural_t iisb_table_inuse; /* number of entries in use */
	natural_t iisb_reserved[2];
} ipc_info_space_basic_t;

typedef struct ipc_info_name {
	mach_port_name_t iin_name; /* port name, including gen number */
	integer_t iin_collision;   /* (always 0) */
	mach_port_type_t iin_type; /* straight port type */
	mach_port_urefs_t iin_urefs;
	natural_t iin_object; /* object identifier: equal for one port */
	natural_t iin_next;   /* free entries: next free index */
	natural_t iin_hash;   /* (always 0) */
} ipc_info_name_t;

typedef ipc_info_name_t *ipc_info_name_array_t;

typedef struct ipc_info_tree_name {
	ipc_info_name_t iitn_name;
	mach_port_name_t iitn_lchild;
	mach_port_name_t iitn_rchild;
} ipc_info_tree_name_t;

typedef ipc_info_tree_name_t *ipc_info_tree_name_array_t;

/*
 * What lsmp prints: one ipc_info_name_t per slot of the space's table
 * (free slots too: type 0, and index 0), in memory the caller releases
 * with vm_deallocate (as mach_port_names' arrays); the tree is always
 * empty (NULL, 0).  iin_type is mach_port_type's (a dead port reads as a
 * dead name, D5) with MACH_PORT_TYPE_DNREQUEST when the name has a
 * dead-name request; iin_object is the same for every name of one port,
 * across spaces, and 0 for a dead name.  KERN_INVALID_ARGUMENT for a NULL
 * out-pointer, KERN_INVALID_TASK for a destroyed space, the conversion's
 * codes for a bad task (mach.h's header comment).
 */
MIPC_API kern_return_t mach_port_space_info(ipc_space_read_t space,
    ipc_info_space_t *space_info, ipc_info_name_array_t *table_info,
    mach_msg_type_number_t *table_infoCnt,
    ipc_info_tree_name_array_t *tree_info,
    mach_msg_type_number_t *tree_infoCnt);
MIPC_API kern_return_t mach_port_space_basic_info(
    ipc_space_inspect_t task, ipc_info_space_basic_t *basic_info);

/*
 * The kernel object a send or receive right names: *object_type is
 * XNU's IKOT_* number -- 2 (IKOT_TASK_CONTROL) for a task port, 3
 * (IKOT_HOST) for the host port, 0 (IKOT_NONE) for any other port (the
 * bootstrap port too, a user-space port in macOS); *object_addr is 0, as
 * release kernels report it.  KERN_INVALID_NAME for an unknown name,
 * KERN_INVALID_RIGHT for a dead name, port set or send-once right.
 */
MIPC_API kern_return_t mach_port_kobject(ipc_space_read_t task,
    mach_port_name_t name, natural_t *object_type,
    mach_vm_address_t *object_addr);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_MACH_H */
