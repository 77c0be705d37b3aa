/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * machlib.c -- the rest of libsyscall's mach/ routines that Mach programs
 * call: mach_msg_overwrite, MIG's per-thread reply port, the error
 * strings (mach_error_string, mach_error, mach_error_type), and the
 * space introspection lsmp uses (mach_port_space_info,
 * mach_port_space_basic_info, mach_port_kobject).
 *
 * Owns:      each thread's MIG reply port (mig_reply, thread-local); the
 *            error string tables.
 * Locking:   space_info and kobject read a space's table under its
 *            is_lock (port locks inside, through ipc_right_peek_locked);
 *            nothing else here locks.
 * Choices:   * The error strings are libsyscall's, for the codes mipc
 *              returns: the kernel's (system 0, subsystem 0) and Mach
 *              IPC's (system 4: send, receive, MIG), with libsyscall's
 *              mapping of the old numbers (-100.., -200.., -300..) onto
 *              system 4.  Other systems answer a generic string; a code
 *              beyond a known subsystem's table "unknown error code", as
 *              libsyscall does (so the bootstrap codes, 1100.., read as
 *              kernel codes it cannot name: use bootstrap_strerror).
 *            * mach_msg_overwrite with distinct buffers and both
 *              MACH_SEND_MSG and MACH_RCV_MSG is a send, then a receive
 *              into rcv_msg: the engine receives into the buffer it sends
 *              from.  The special reply port's link (sync IPC) is made by
 *              the send, so the receive still pushes on the server.
 *            * MIG's reply port is made with MPO_REPLY_PORT, as
 *              libsyscall makes it today (xnu-6153 used mach_reply_port,
 *              a plain receive right); it is checked on each use, so that
 *              a thread moved to another space, or whose port was
 *              destroyed, gets a new one instead of a stale name.
 *            * iin_object is a mix of the object's address (XNU reports a
 *              keyed hash of it): equal for the names of one port in every
 *              space, which is what lsmp pairs send and receive rights by.
 */
#include "base.h"
#include "lock.h"
#include "port.h"
#include "right.h"
#include "space.h"
#include "task.h"
#include "vm.h"

#include <mipc/mach.h>
#include <mipc/port.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* mach_msg_overwrite                                                  */

mach_msg_return_t
mach_msg_overwrite(mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
    mach_port_name_t notify, mach_msg_header_t *rcv_msg,
    mach_msg_size_t rcv_limit)
{
	mach_msg_return_t mr;

	(void)rcv_limit;
	if (rcv_msg == NULL || rcv_msg == msg || !(option & MACH_RCV_MSG))
		return mach_msg(msg, option, send_size, rcv_size, rcv_name,
		    timeout, notify);
	if (option & MACH_SEND_MSG) {
		mr = mach_msg(msg, option & ~(mach_msg_option_t)MACH_RCV_MSG,
		    send_size, 0, MACH_PORT_NULL, timeout, notify);
		if (mr != MACH_MSG_SUCCESS)
			return mr;
	}
	return mach_msg(rcv_msg, option & ~(mach_msg_option_t)MACH_SEND_MSG, 0,
	    rcv_size, rcv_name, timeout, notify);
}

/* ------------------------------------------------------------------ */
/* MIG's reply port                                                    */

/* (O) the calling thread's MIG reply port and the space it lives in. */
static __thread struct {
	mach_port_name_t mr_name;
	mipc_space_t mr_space;
} mig_reply;

mach_port_name_t
mach_reply_port(void)
{
	mach_port_name_t name = MACH_PORT_NULL;
	mipc_space_t space = mipc_thread_space();

	if (space == NULL ||
	    mipc_port_allocate(space, MACH_PORT_RIGHT_RECEIVE, &name) !=
	        KERN_SUCCESS)
		return MACH_PORT_NULL;
	return name;
}

mach_port_t
mig_get_reply_port(void)
{
	mipc_space_t space = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_type_t type;
	mach_port_name_t name = MACH_PORT_NULL;

	if (space == NULL)
		return MACH_PORT_NULL;
	if (mig_reply.mr_name != MACH_PORT_NULL &&
	    mig_reply.mr_space == space &&
	    mipc_port_type(space, mig_reply.mr_name, &type) == KERN_SUCCESS &&
	    (type & MACH_PORT_TYPE_RECEIVE))
		return mig_reply.mr_name;
	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_REPLY_PORT;
	if (mipc_port_construct(space, &opts, 0, &name) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	mig_reply.mr_name = name;
	mig_reply.mr_space = space;
	return name;
}

void
mig_dealloc_reply_port(mach_port_t migport)
{
	mach_port_name_t port = mig_reply.mr_name;
	mipc_space_t space = mig_reply.mr_space;

	if (port == MACH_PORT_NULL)
		return;
	mig_reply.mr_name = MACH_PORT_NULL;
	mig_reply.mr_space = NULL;
	(void)mipc_port_mod_refs(space, port, MACH_PORT_RIGHT_RECEIVE, -1);
	if (migport != port)
		(void)mach_port_deallocate(mach_task_self(), migport);
}

void
mig_put_reply_port(mach_port_t reply_port)
{
	(void)reply_port;
}

/* ------------------------------------------------------------------ */
/* Error strings                                                       */

#define NELEM(a)      (sizeof(a) / sizeof((a)[0]))
#define NO_SUCH_ERROR "unknown error code"

static const char *const kern_strings[] = {
	"(os/kern) successful",
	"(os/kern) invalid address",
	"(os/kern) protection failure",
	"(os/kern) no space available",
	"(os/kern) invalid argument",
	"(os/kern) failure",
	"(os/kern) resource shortage",
	"(os/kern) not receiver",
	"(os/kern) no access",
	"(os/kern) memory failure",
	"(os/kern) memory error",
	"(os/kern) already in set",
	"(os/kern) not in set",
	"(os/kern) name exists",
	"(os/kern) aborted",
	"(os/kern) invalid name",
	"(os/kern) invalid task",
	"(os/kern) invalid right",
	"(os/kern) invalid value",
	"(os/kern) urefs overflow",
	"(os/kern) invalid capability",
	"(os/kern) right exists",
	"(os/kern) invalid host",
	"(os/kern) memory present",
	"(os/kern) memory data moved",
	"(os/kern) memory restart copy",
	"(os/kern) invalid processor set",
	"(os/kern) policy limit",
	"(os/kern) invalid policy",
	"(os/kern) invalid object",
	"(os/kern) already waiting",
	"(os/kern) default set",
	"(os/kern) exception protected",
	"(os/kern) invalid ledger",
	"(os/kern) invalid memory control",
	"(os/kern) invalid security",
	"(os/kern) not depressed",
	"(os/kern) object terminated",
	"(os/kern) lock set destroyed",
	"(os/kern) lock unstable",
	"(os/kern) lock owned by another",
	"(os/kern) lock owned by self",
	"(os/kern) semaphore destroyed",
	"(os/kern) RPC terminated",
	"(os/kern) terminate orphan",
	"(os/kern) let orphan continue",
	"(os/kern) service not supported",
	"(os/kern) remote node down",
	"(os/kern) thread not waiting",
	"(os/kern) operation timed out",
	"(os/kern) code signing error",
	"(os/kern) policy is static",
	"(os/kern) insufficient input buffer size",
	"(os/kern) denied by security policy",
	"(os/kern) missing kernel collection",
	"(os/kern) invalid kernel collection",
	"(os/kern) result not found",
};

static const char *const send_strings[] = {
	"(ipc/send) no error",
	"(ipc/send) send in progress",
	"(ipc/send) invalid data",
	"(ipc/send) invalid destination port",
	"(ipc/send) timed out",
	"(ipc/send) invalid voucher",
	"(ipc/send) unused error",
	"(ipc/send) interrupted",
	"(ipc/send) msg too small",
	"(ipc/send) invalid reply port",
	"(ipc/send) invalid port right",
	"(ipc/send) invalid notify port",
	"(ipc/send) invalid memory",
	"(ipc/send) no msg buffer",
	"(ipc/send) msg too large",
	"(ipc/send) invalid msg-type",
	"(ipc/send) invalid msg-header",
	"(ipc/send) invalid msg-trailer",
	"(ipc/send) invalid context for reply",
	"(ipc/send) unused error",
	"(ipc/send) unused error",
	"(ipc/send) out-of-line buffer too large",
	"(ipc/send) destination does not accept OOL ports",
};

static const char *const rcv_strings[] = {
	"(ipc/rcv) no error",
	"(ipc/rcv) receive in progress",
	"(ipc/rcv) invalid name",
	"(ipc/rcv) timed out",
	"(ipc/rcv) msg too large",
	"(ipc/rcv) interrupted",
	"(ipc/rcv) port changed",
	"(ipc/rcv) invalid notify port",
	"(ipc/rcv) invalid data",
	"(ipc/rcv) port died",
	"(ipc/rcv) port in set",
	"(ipc/rcv) header error",
	"(ipc/rcv) body error",
	"(ipc/rcv) invalid scatter list entry",
	"(ipc/rcv) overwrite region too small",
	"(ipc/rcv) invalid msg-trailer",
	"(ipc/rcv) DIPC transport error",
};

static const char *const mig_strings[] = {
	"(ipc/mig) client type check failure",
	"(ipc/mig) wrong reply message ID",
	"(ipc/mig) server detected error",
	"(ipc/mig) bad request message ID",
	"(ipc/mig) server type check failure",
	"(ipc/mig) no reply should be sent",
	"(ipc/mig) server raised exception",
	"(ipc/mig) array not large enough",
	"(ipc/mig) server died",
	"(ipc/mig) unknown trailer format",
};

struct err_sub {
	const char *es_name;
	const char *const *es_codes;
	unsigned es_n;
};

static const struct err_sub kern_subs[] = {
	{ "(os/kern)", kern_strings, NELEM(kern_strings) },
};

static const struct err_sub mach_ipc_subs[] = {
	{ "(ipc/send)", send_strings, NELEM(send_strings) },
	{ "(ipc/rcv)", rcv_strings, NELEM(rcv_strings) },
	{ "(ipc/mig)", mig_strings, NELEM(mig_strings) },
};

/* libsyscall's do_compat: the old IPC numbers are system 4's codes. */
static mach_error_t
err_compat(mach_error_t err)
{
	if (err > -200 && err <= -100)
		return -(err + 100) | err_mach_ipc | err_sub(0);
	if (err > -300 && err <= -200)
		return -(err + 200) | err_mach_ipc | err_sub(1);
	if (err > -400 && err <= -300)
		return -(err + 300) | err_mach_ipc | err_sub(2);
	return err;
}

/* The subsystem of err, or NULL with *bad naming what is wrong. */
static const struct err_sub *
err_lookup(mach_error_t err, const char **bad)
{
	int sys = err_get_system(err), sub = err_get_sub(err);

	*bad = "(?/?) unknown error system";
	if (sys == err_get_system(err_kern)) {
		*bad = "(operating system/?) unknown subsystem error";
		return (unsigned)sub < NELEM(kern_subs) ? &kern_subs[sub]
		                                        : NULL;
	}
	if (sys == err_get_system(err_mach_ipc)) {
		*bad = "(ipc/?) unknown subsystem";
		return (unsigned)sub < NELEM(mach_ipc_subs)
		    ? &mach_ipc_subs[sub]
		    : NULL;
	}
	return NULL;
}

/* The string, and whether it names the code (libsyscall's !diag). */
static const char *
err_string(mach_error_t err, bool *named)
{
	const struct err_sub *s;
	const char *bad;
	unsigned code;

	err = err_compat(err);
	*named = false;
	s = err_lookup(err, &bad);
	if (s == NULL)
		return bad;
	code = (unsigned)err_get_code(err);
	if (code >= s->es_n)
		return NO_SUCH_ERROR;
	*named = true;
	return s->es_codes[code];
}

char *
mach_error_string(mach_error_t error_value)
{
	bool named;

	/* Apple's signature says char *: the strings are constant. */
	return (char *)(uintptr_t)err_string(error_value, &named);
}

char *
mach_error_type(mach_error_t error_value)
{
	const struct err_sub *s;
	const char *bad;

	s = err_lookup(err_compat(error_value), &bad);
	return (char *)(uintptr_t)(s != NULL ? s->es_name : "(?/?)");
}

void
mach_error(const char *str, mach_error_t error_value)
{
	bool named;
	const char *msg = err_string(error_value, &named);

	if (named)
		fprintf(stderr, "%s %s\n", str, msg);
	else
		fprintf(stderr, "%s %s %s (%x)\n", str,
		    mach_error_type(error_value), msg, (unsigned)error_value);
}

/* ------------------------------------------------------------------ */
/* Space introspection                                                 */

/* The same for every name of one object, in every space. */
static natural_t
object_id(const void *o)
{
	uint64_t h = (uint64_t)(uintptr_t)o;

	if (o == NULL)
		return 0;
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (natural_t)h | 1; /* never 0: that is "no object" */
}

static kern_return_t
space_info(mipc_space_t task, ipc_info_space_t *info,
    ipc_info_name_array_t *table, mach_msg_type_number_t *tableCnt)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct mipc_space *caller IPC_SPACE_HELD = NULL;
	struct ipc_vm_region *r = NULL;
	ipc_info_name_t *v = NULL;
	struct ipc_table *t;
	kern_return_t kr;
	uint32_t i, n = 0;

	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	caller = ipc_space_caller(space);
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr != KERN_SUCCESS)
		goto out;
	t = space->is_table;
	n = t->it_size;
	/* As mach_port_names: the caller's memory, made under our lock. */
	kr = ipc_vm_alloc(NULL, (vm_size_t)n * sizeof(*v), true, &r);
	if (kr != KERN_SUCCESS) {
		kr = KERN_RESOURCE_SHORTAGE;
		goto out;
	}
	v = ipc_vm_addr(r);
	memset(v, 0, (size_t)n * sizeof(*v));
	for (i = 0; i < n; i++) {
		struct ipc_entry *e = &t->it_entries[i];
		uint32_t bits = i == 0 ? IE_BITS_GEN_MASK : e->ie_bits;
		ipc_info_name_t *in = &v[i];

		in->iin_name = MACH_PORT_MAKE(i, IE_BITS_GEN(bits));
		if (i == 0 || IE_BITS_TYPE(bits) == 0) {
			in->iin_next = i == 0 ? 0 : e->ie_index;
			continue;
		}
		ipc_right_peek_locked(space, in->iin_name, e, &in->iin_type);
		in->iin_urefs = IE_BITS_UREFS(bits);
		if (in->iin_type != MACH_PORT_TYPE_DEAD_NAME)
			in->iin_object = object_id(e->ie_object);
	}
	info->iis_genno_mask = MACH_PORT_GEN(MACH_PORT_DEAD) >> 24;
	info->iis_table_size = n;
	info->iis_table_next = 0;
	info->iis_tree_size = 0;
	info->iis_tree_small = 0;
	info->iis_tree_hash = 0;
out:
	is_unlock(space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!ipc_vm_give(caller, r))
		return KERN_INVALID_TASK; /* the caller went meanwhile */
	*table = v;
	*tableCnt = n;
	return KERN_SUCCESS;
}

kern_return_t
mach_port_space_info(ipc_space_read_t task, ipc_info_space_t *space_info_out,
    ipc_info_name_array_t *table_info, mach_msg_type_number_t *table_infoCnt,
    ipc_info_tree_name_array_t *tree_info, mach_msg_type_number_t *tree_infoCnt)
{
	mipc_space_t space;
	kern_return_t kr;

	kr = ipc_task_convert(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	if (space_info_out == NULL || table_info == NULL ||
	    table_infoCnt == NULL || tree_info == NULL || tree_infoCnt == NULL)
		kr = KERN_INVALID_ARGUMENT;
	else
		kr = space_info(
		    space, space_info_out, table_info, table_infoCnt);
	if (kr == KERN_SUCCESS) {
		*tree_info = NULL;
		*tree_infoCnt = 0;
	}
	return kr;
}

kern_return_t
mach_port_space_basic_info(
    ipc_space_inspect_t task, ipc_info_space_basic_t *basic_info)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_table *t;
	mipc_space_t handle;
	kern_return_t kr;
	uint32_t i, used = 0;

	kr = ipc_task_convert(task, &handle);
	if (kr != KERN_SUCCESS)
		return kr;
	if (basic_info == NULL)
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(handle, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr == KERN_SUCCESS) {
		t = space->is_table;
		for (i = 1; i < t->it_size; i++)
			used += IE_BITS_TYPE(t->it_entries[i].ie_bits) != 0;
		memset(basic_info, 0, sizeof(*basic_info));
		basic_info->iisb_genno_mask =
		    MACH_PORT_GEN(MACH_PORT_DEAD) >> 24;
		basic_info->iisb_table_size = t->it_size;
		basic_info->iisb_table_inuse = used;
	}
	is_unlock(space);
	return kr;
}

/* XNU's numbers (kern/ipc_kobject.h), for what mipc has. */
#define XNU_IKOT_NONE         0
#define XNU_IKOT_TASK_CONTROL 2
#define XNU_IKOT_HOST         3

kern_return_t
mach_port_kobject(ipc_space_read_t task, mach_port_name_t name,
    natural_t *object_type, mach_vm_address_t *object_addr)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_entry *e;
	struct ipc_port *port;
	mipc_space_t handle;
	kern_return_t kr;

	kr = ipc_task_convert(task, &handle);
	if (kr != KERN_SUCCESS)
		return kr;
	if (object_type == NULL || object_addr == NULL)
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(handle, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	is_lock(space);
	kr = ipc_space_check(space);
	if (kr != KERN_SUCCESS)
		goto out;
	e = MACH_PORT_VALID(name) ? ipc_entry_lookup(space, name) : NULL;
	if (e == NULL) {
		kr = KERN_INVALID_NAME;
		goto out;
	}
	(void)ipc_right_check(space, name, e);
	if (!(IE_BITS_TYPE(e->ie_bits) &
	        (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE))) {
		kr = KERN_INVALID_RIGHT;
		goto out;
	}
	port = ip_from_object(e->ie_object);
	*object_type = XNU_IKOT_NONE;
	if (port->ip_cflags & IP_F_KOBJECT) {
		if (ip_kotype(port) == IKOT_TASK)
			*object_type = XNU_IKOT_TASK_CONTROL;
		else if (ip_kotype(port) == IKOT_HOST)
			*object_type = XNU_IKOT_HOST;
	}
	*object_addr = 0;
out:
	is_unlock(space);
	return kr;
}
