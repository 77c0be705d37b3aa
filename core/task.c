/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * task.c -- task ports and the host port: a space is a task, and a task
 * is a port (XNU's itk_self, IKOT_TASK_CONTROL), so that Mach code stores
 * tasks in mach_port_t, sends them in messages, and learns that a task
 * died from a dead name.  Every Mach spelling that takes a task
 * (mach_port_*, vm_*) converts the name here, as MIG's
 * convert_port_to_task does, and calls the native API (mipc_port_*),
 * which stays the fast, explicit form.
 *
 * Owns:      a space's task port and its self name (is_task_port,
 *            is_task_name, under is_lock); the host port (host_lock); the
 *            Mach spellings that take a task.
 * States:    a task port is a kernel-object port (kobject.c), made on
 *            the space's first mach_task_self() or mipc_space_task_port()
 *            and destroyed by mipc_space_destroy() after the teardown.
 *            Its ip_kobject is the space's handle (mipc_space_t), fixed.
 * Locking:   is_lock of the space orders the making of its port and self
 *            name; a conversion looks the name up under the caller's
 *            is_lock, then the port lock (port locks nest inside).  The
 *            fast conversion (the caller's own self name) and
 *            mach_task_self() read is_task_name in an epoch section,
 *            without a lock or a reference (ipc_space_lookup).
 *            host_lock (IPC_RANK_KOBJECT) covers host_port.
 * Lifetime:  the space holds its task port's receive right (in limbo, as
 *            every kobject port); the port holds no reference on the
 *            space: its object is the handle, a value (space.h,
 *            "Handles").  A conversion yields that handle and holds
 *            nothing; the native call it is given to resolves it, so a
 *            space destroyed after the conversion answers
 *            KERN_INVALID_TASK and a slot reused since is never reached
 *            (its generation differs).  mipc_space_destroy() kills the
 *            task port before it drops the creator's reference, so while
 *            a task port is active its handle resolves (the analogue of
 *            XNU's task_reference under ip_lock); a converted handle
 *            stops resolving only after its port died.  Calls that work
 *            on a space here (space info, the port's making) hold it with
 *            ipc_space_acquire for their scope.
 *            fork(): a child has none of its parent's spaces, so none of
 *            their task ports (abandoned with them) nor the host port
 *            (ipc_task_atfork_child); its first mach_task_self() makes
 *            the task port of its fresh default space.
 * Choices:   * Pinning.  The self name holds one user reference, given once
 *              (libsyscall caches mach_task_self_; we never add more).
 *              Removing the last reference is refused as XNU >= 7195
 *              refuses it for its pinned task port: mach_port_deallocate,
 *              mod_refs(SEND, -n) and a MOVE_SEND copy-in return
 *              KERN_INVALID_CAPABILITY, mach_port_destroy too, each with
 *              a kGUARD_EXC_MOD_REFS_NON_FATAL guard exception (payload
 *              MPG_FLAGS_MOD_REFS_PINNED_DEALLOC / _DESTROY / _COPYIN):
 *              XNU's soft pinning, the default outside platform
 *              binaries, delivered only to a handler (guard.c).
 *              xnu-6153 had no pinning: task_self_trap added a
 *              reference on each call, and deallocating the last one
 *              lost the name (later calls through mach_task_self_ then
 *              failed with MACH_SEND_INVALID_DEST).  More references
 *              than the pinned one (a send right received back, or
 *              mipc_space_task_port into the space itself) come and go
 *              freely.  Other spaces' send rights are never pinned.
 *            * Unlike XNU >= 7195's immovable self port, the task port
 *              moves in messages (COPY_SEND of the self name; XNU 6153's
 *              behaviour): that is how Mach servers are handed tasks.
 *            * Bad task names (X1): libsyscall's fast trap fails
 *              and the MIG retry's send fails, so user code sees
 *              MACH_SEND_INVALID_DEST for MACH_PORT_NULL / DEAD, an
 *              unknown name, a dead name, a receive-only name.  A send
 *              right to a live kernel object of another type reaches
 *              XNU's MIG server, whose convert_port_to_task fails:
 *              KERN_INVALID_TASK.  A send right to a plain port would
 *              in XNU queue the MIG request there and wait for a reply
 *              that never comes; we answer MACH_SEND_INVALID_DEST.
 *            * Messages sent to a task or host port are answered
 *              MIG_BAD_ID: the task and host MIG subsystems are not
 *              served (the Mach spellings convert directly).
 *            * mach_host_self() is a process-wide kernel-object port,
 *              made on first use and destroyed with the last space (as
 *              the bootstrap port is); each call adds a user reference
 *              to the caller's name for it, as host_self_trap does.
 *              mach_thread_self() is not provided: threads are not
 *              kernel objects here (mipc_thread_t is a handle).
 */
#include "task.h"

#include "guard.h"
#include "kmsg.h"
#include "lock.h"
#include "port.h"
#include "right.h"
#include "space.h"
#include "thread.h"

#include <mipc/mach.h>
#include <mipc/port.h>

/* ------------------------------------------------------------------ */
/* The kernel objects                                                  */

/* No task or host routine is served: every id answers MIG_BAD_ID. */
static bool
task_server(struct ipc_port *port, void *kobject, struct ipc_kmsg *request,
    struct ipc_kmsg *reply)
{
	(void)port;
	(void)kobject;
	(void)request;
	(void)reply;
	return false;
}

const struct ipc_kobject_ops ipc_task_kobject_ops = {
	.iko_name = "task",
	.iko_server = task_server,
	.iko_reply_size = sizeof(mig_reply_error_t),
	.iko_reply_ndesc = 0,
	.iko_spaces_gone = NULL,
};

static ipc_lock_t host_lock = IPC_LOCK_INITIALIZER(IPC_RANK_KOBJECT, "host");
static struct ipc_port *host_port; /* (host_lock) */

/*
 * ipc_task_atfork_child
 *	fork(): the host port, like every port of the parent, is abandoned
 *	(a copy the child never touches); the child's first mach_host_self()
 *	makes a new one.  host_lock may have been held by a thread the child
 *	does not have.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_task_atfork_child(void)
{
	ipc_lock_init(&host_lock, IPC_RANK_KOBJECT, "host");
	host_port = NULL;
}

static void
host_spaces_gone(void)
{
	struct ipc_port *port;

	ipc_lock(&host_lock);
	port = host_port;
	host_port = NULL;
	ipc_unlock(&host_lock);
	if (port != NULL)
		ipc_port_destroy(port);
}

const struct ipc_kobject_ops ipc_host_kobject_ops = {
	.iko_name = "host",
	.iko_server = task_server,
	.iko_reply_size = sizeof(mig_reply_error_t),
	.iko_reply_ndesc = 0,
	.iko_spaces_gone = host_spaces_gone,
};

/* The host port, made on first use; a send right for the caller. */
static struct ipc_port *
host_port_send(void)
{
	struct ipc_port *p, *fresh = NULL;

	for (;;) {
		ipc_lock(&host_lock);
		if (host_port == NULL && fresh != NULL) {
			host_port = fresh;
			fresh = NULL;
		}
		p = host_port;
		if (p != NULL)
			ipc_kobject_make_send(p);
		ipc_unlock(&host_lock);
		if (fresh != NULL)
			ipc_port_destroy(fresh); /* lost a race: never seen */
		if (p != NULL)
			return p;
		fresh = ipc_kobject_alloc(IKOT_HOST, NULL);
		if (fresh == NULL)
			return NULL;
	}
}

/* ------------------------------------------------------------------ */
/* A space's task port                                                 */

/*
 * The space's task port, made with its self name if it has none yet.
 * *selfp: the self name; *portp (if asked): the port, referenced.
 * Conditions: nothing locked; the caller holds the space; allocates.
 * Returns: KERN_SUCCESS, KERN_INVALID_TASK (destroyed space),
 * KERN_RESOURCE_SHORTAGE, KERN_NO_SPACE.
 */
static kern_return_t
task_port_get(
    struct mipc_space *space, mach_port_name_t *selfp, struct ipc_port **portp)
{
	struct ipc_port *fresh = NULL, *port;
	kern_return_t kr;

	for (;;) {
		is_lock(space);
		kr = ipc_space_check(space);
		if (kr != KERN_SUCCESS)
			break;
		if (space->is_task_port == NULL && fresh != NULL) {
			struct ipc_right r = { fresh, MACH_MSG_TYPE_PORT_SEND,
				false };
			mach_port_name_t name;

			ipc_kobject_make_send(fresh);
			kr = ipc_right_copyout(space, &r, &name);
			if (kr != KERN_SUCCESS) {
				ipc_right_discard(&r);
				break;
			}
			space->is_task_port = fresh;
			fresh = NULL;
			/* Read lock-free by mach_task_self(); relaxed: a name
			 * orders nothing, the entry is published ([R8]). */
			ck_pr_store_32(&space->is_task_name, name);
		}
		port = space->is_task_port;
		if (port != NULL) {
			*selfp = space->is_task_name;
			if (portp != NULL) {
				ip_reference(port);
				*portp = port;
			}
			break;
		}
		is_unlock(space);
		/* The handle, a value: the port pins nothing (Lifetime). */
		fresh = ipc_kobject_alloc(
		    IKOT_TASK, (void *)ipc_space_handle(space));
		if (fresh == NULL)
			return KERN_RESOURCE_SHORTAGE;
	}
	is_unlock(space);
	if (fresh != NULL)
		ipc_port_destroy(fresh); /* never seen by anyone */
	return kr;
}

void
ipc_task_space_destroyed(struct mipc_space *space)
{
	struct ipc_port *port;

	is_lock(space);
	port = space->is_task_port;
	space->is_task_port = NULL;
	is_unlock(space);
	if (port != NULL)
		ipc_port_destroy(port); /* holders: dead names */
}

/*
 * The self name of the space `task` names.  A space's self name is set
 * once, under is_lock, and never changes (it is pinned), and a handle is
 * never issued twice: so the pair (handle, name) stays true for ever, and
 * each thread keeps the last pair it found (th_task_space, th_task_name)
 * -- the fast path of mach_task_self() and of every conversion of the
 * caller's own task, and the answer mach_task_self() keeps giving once
 * the space is destroyed, as libsyscall's cached mach_task_self_ does.
 * Otherwise the name is read in an epoch section (the section keeps the
 * slot).  MACH_PORT_NULL when not made yet, or when the handle no longer
 * resolves and the thread never saw its name.
 */
static inline mach_port_name_t
task_self_name(struct ipc_thread *th, mipc_space_t task)
{
	struct mipc_space *space;
	mach_port_name_t name = MACH_PORT_NULL;

	if (likely(th->th_task_space == task))
		return th->th_task_name;
	ipc_epoch_enter(th);
	space = ipc_space_lookup(task);
	/* Relaxed: set once; a name orders nothing ([R8] publishes the
	 * entry it names). */
	if (likely(space != NULL))
		name = ck_pr_load_32(&space->is_task_name);
	ipc_epoch_exit(th);
	if (name != MACH_PORT_NULL) {
		th->th_task_space = task;
		th->th_task_name = name;
	}
	return name;
}

mach_port_t
mach_task_self(void)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_thread *th = ipc_thread_self();
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t name;

	if (unlikely(task == NULL))
		return MACH_PORT_NULL;
	if (likely(th != NULL)) {
		name = task_self_name(th, task);
		if (likely(name != MACH_PORT_NULL))
			return name;
	}
	if (ipc_space_acquire(task, &space) != KERN_SUCCESS ||
	    task_port_get(space, &name, NULL) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	if (likely(th != NULL)) {
		th->th_task_space = task;
		th->th_task_name = name;
	}
	return name;
}

kern_return_t
mipc_space_task_port(mipc_space_t task, mach_port_name_t *name)
{
	struct ipc_right r = { NULL, MACH_MSG_TYPE_PORT_SEND, false };
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct mipc_space *caller IPC_SPACE_HELD = NULL;
	struct ipc_port *port;
	mach_port_name_t self;
	kern_return_t kr;
	bool active;

	if (task == NULL)
		return MACH_SEND_INVALID_DEST;
	if (name == NULL)
		return KERN_INVALID_ARGUMENT;
	kr = ipc_space_acquire(mipc_thread_space(), &caller);
	if (kr != KERN_SUCCESS) /* NULL: no default space could be made */
		return kr == MACH_SEND_INVALID_DEST ? KERN_RESOURCE_SHORTAGE
		                                    : kr;
	kr = ipc_space_acquire(task, &space);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = task_port_get(space, &self, &port);
	if (kr != KERN_SUCCESS)
		return kr;
	ip_lock(port);
	active = ip_active(port);
	if (active) {
		port->ip_mscount++;
		ip_srights_inc(port);
		ip_reference(port);
	}
	ip_unlock(port);
	ip_release(port);
	if (!active)
		return KERN_INVALID_TASK; /* destroyed meanwhile */
	r.ir_port = port;
	is_lock(caller);
	kr = ipc_space_check(caller);
	if (kr == KERN_SUCCESS)
		kr = ipc_right_copyout(caller, &r, name);
	if (kr == KERN_SUCCESS)
		r.ir_port = NULL;
	is_unlock(caller);
	if (r.ir_port != NULL)
		ipc_right_discard(&r);
	return kr;
}

mach_port_t
mach_host_self(void)
{
	struct ipc_right r = { NULL, MACH_MSG_TYPE_PORT_SEND, false };
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	mach_port_name_t name = MACH_PORT_NULL;

	if (ipc_space_acquire(mipc_thread_space(), &space) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	r.ir_port = host_port_send();
	if (r.ir_port == NULL)
		return MACH_PORT_NULL;
	is_lock(space);
	if (ipc_space_check(space) == KERN_SUCCESS &&
	    ipc_right_copyout(space, &r, &name) == KERN_SUCCESS)
		r.ir_port = NULL;
	else
		name = MACH_PORT_NULL;
	is_unlock(space);
	if (r.ir_port != NULL)
		ipc_right_discard(&r);
	return name;
}

/* ------------------------------------------------------------------ */
/* Conversion (MIG's convert_port_to_task)                             */

static kern_return_t IPC_COLD
task_convert_slow(mipc_space_t cur, mach_port_name_t task, mipc_space_t *out)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_entry *e;
	struct ipc_port *port;
	kern_return_t kr;

	kr = ipc_space_acquire(cur, &space);
	if (kr == KERN_SUCCESS) {
		is_lock(space);
		if (!space->is_active)
			kr = KERN_INVALID_TASK;
	}
	if (kr != KERN_SUCCESS) {
		if (space != NULL)
			is_unlock(space);
		if (kr != KERN_INVALID_TASK)
			return MACH_SEND_INVALID_DEST; /* never a space */
		/* Our own task is gone, whatever the name: the native call
		 * says so (KERN_INVALID_TASK). */
		*out = cur;
		return KERN_SUCCESS;
	}
	kr = MACH_SEND_INVALID_DEST;
	e = MACH_PORT_VALID(task) ? ipc_entry_lookup(space, task) : NULL;
	if (e != NULL && (IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_SEND)) {
		port = ip_from_object(e->ie_object);
		if (port->ip_cflags & IP_F_KOBJECT) {
			ip_lock(port);
			if (!ip_active(port)) {
				kr = MACH_SEND_INVALID_DEST;
			} else if (ip_kotype(port) == IKOT_TASK) {
				/* Active: its space's creator reference is
				 * not dropped yet (Lifetime). */
				*out = (mipc_space_t)port->ip_kobject;
				kr = KERN_SUCCESS;
			} else {
				kr = KERN_INVALID_TASK;
			}
			ip_unlock(port);
		}
	}
	is_unlock(space);
	return kr;
}

kern_return_t
ipc_task_convert(mach_port_name_t task, mipc_space_t *out)
{
	struct ipc_thread *th = ipc_thread_self();
	mipc_space_t cur = mipc_thread_space();

	*out = NULL;
	if (unlikely(cur == NULL))
		return MACH_SEND_INVALID_DEST;
	/* Our own task: its fixed name. */
	if (likely(th != NULL && task != MACH_PORT_NULL &&
	        task == task_self_name(th, cur))) {
		*out = cur;
		return KERN_SUCCESS;
	}
	return task_convert_slow(cur, task, out);
}

/* ------------------------------------------------------------------ */
/* The Mach spellings that take a task                                 */

/*
 * Convert `task`, make `call` with SPACE standing for its space's handle.
 * A failed conversion is the answer.
 */
#define TASK_CALL(task, call)                                         \
	do {                                                          \
		mipc_space_t task_;                                   \
		kern_return_t kr_ = ipc_task_convert((task), &task_); \
		if (kr_ != KERN_SUCCESS)                              \
			return kr_;                                   \
		return (call);                                        \
	} while (0)
#define SPACE (task_)

kern_return_t
mach_port_allocate(
    ipc_space_t task, mach_port_right_t right, mach_port_name_t *name)
{
	TASK_CALL(task, mipc_port_allocate(SPACE, right, name));
}

kern_return_t
mach_port_allocate_name(
    ipc_space_t task, mach_port_right_t right, mach_port_name_t name)
{
	TASK_CALL(task, mipc_port_allocate_name(SPACE, right, name));
}

kern_return_t
mach_port_construct(ipc_space_t task, mach_port_options_t *options,
    mach_port_context_t context, mach_port_name_t *name)
{
	TASK_CALL(task, mipc_port_construct(SPACE, options, context, name));
}

kern_return_t
mach_port_destruct(ipc_space_t task, mach_port_name_t name,
    mach_port_delta_t srdelta, mach_port_context_t guard)
{
	TASK_CALL(task, mipc_port_destruct(SPACE, name, srdelta, guard));
}

kern_return_t
mach_port_deallocate(ipc_space_t task, mach_port_name_t name)
{
	TASK_CALL(task, mipc_port_deallocate(SPACE, name));
}

kern_return_t
mach_port_destroy(ipc_space_t task, mach_port_name_t name)
{
	TASK_CALL(task, mipc_port_destroy(SPACE, name));
}

kern_return_t
mach_port_mod_refs(ipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_delta_t delta)
{
	TASK_CALL(task, mipc_port_mod_refs(SPACE, name, right, delta));
}

kern_return_t
mach_port_get_refs(ipc_space_t task, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs)
{
	TASK_CALL(task, mipc_port_get_refs(SPACE, name, right, refs));
}

kern_return_t
mach_port_type(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype)
{
	TASK_CALL(task, mipc_port_type(SPACE, name, ptype));
}

kern_return_t
mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
    mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
    mach_msg_type_number_t *typesCnt)
{
	TASK_CALL(
	    task, mipc_port_names(SPACE, names, namesCnt, types, typesCnt));
}

kern_return_t
mach_port_insert_right(ipc_space_t task, mach_port_name_t name,
    mach_port_t poly, mach_msg_type_name_t polyPoly)
{
	TASK_CALL(task,
	    mipc_port_insert_right(
	        SPACE, name, mipc_thread_space(), poly, polyPoly));
}

kern_return_t
mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
    mach_msg_type_name_t msgt_name, mach_port_t *poly,
    mach_msg_type_name_t *polyPoly)
{
	TASK_CALL(task,
	    mipc_port_extract_right(
	        SPACE, name, msgt_name, mipc_thread_space(), poly, polyPoly));
}

kern_return_t
mach_port_get_context(
    ipc_space_t task, mach_port_name_t name, mach_port_context_t *context)
{
	TASK_CALL(task, mipc_port_get_context(SPACE, name, context));
}

kern_return_t
mach_port_set_context(
    ipc_space_t task, mach_port_name_t name, mach_port_context_t context)
{
	TASK_CALL(task, mipc_port_set_context(SPACE, name, context));
}

kern_return_t
mach_port_guard(ipc_space_t task, mach_port_name_t name,
    mach_port_context_t guard, boolean_t strict)
{
	TASK_CALL(task, mipc_port_guard(SPACE, name, guard, strict));
}

kern_return_t
mach_port_guard_with_flags(ipc_space_t task, mach_port_name_t name,
    mach_port_context_t guard, uint64_t flags)
{
	TASK_CALL(task, mipc_port_guard_with_flags(SPACE, name, guard, flags));
}

kern_return_t
mach_port_unguard(
    ipc_space_t task, mach_port_name_t name, mach_port_context_t guard)
{
	TASK_CALL(task, mipc_port_unguard(SPACE, name, guard));
}

kern_return_t
mach_port_swap_guard(ipc_space_t task, mach_port_name_t name,
    mach_port_context_t old_guard, mach_port_context_t new_guard)
{
	TASK_CALL(
	    task, mipc_port_swap_guard(SPACE, name, old_guard, new_guard));
}

kern_return_t
mach_port_get_attributes(ipc_space_t task, mach_port_name_t name,
    mach_port_flavor_t flavor, mach_port_info_t port_info_out,
    mach_msg_type_number_t *port_info_outCnt)
{
	TASK_CALL(task,
	    mipc_port_get_attributes(
	        SPACE, name, flavor, port_info_out, port_info_outCnt));
}

kern_return_t
mach_port_set_attributes(ipc_space_t task, mach_port_name_t name,
    mach_port_flavor_t flavor, mach_port_info_t port_info,
    mach_msg_type_number_t port_infoCnt)
{
	TASK_CALL(task,
	    mipc_port_set_attributes(
	        SPACE, name, flavor, port_info, port_infoCnt));
}

kern_return_t
mach_port_assert_attributes(ipc_space_t task, mach_port_name_t name,
    mach_port_flavor_t flavor, mach_port_info_t info,
    mach_msg_type_number_t infoCnt)
{
	TASK_CALL(task,
	    mipc_port_assert_attributes(SPACE, name, flavor, info, infoCnt));
}

kern_return_t
mach_port_set_mscount(
    ipc_space_t task, mach_port_name_t name, mach_port_mscount_t mscount)
{
	TASK_CALL(task, mipc_port_set_mscount(SPACE, name, mscount));
}

kern_return_t
mach_port_set_seqno(
    ipc_space_t task, mach_port_name_t name, mach_port_seqno_t seqno)
{
	TASK_CALL(task, mipc_port_set_seqno(SPACE, name, seqno));
}

kern_return_t
mach_port_get_srights(
    ipc_space_t task, mach_port_name_t name, mach_port_rights_t *srights)
{
	TASK_CALL(task, mipc_port_get_srights(SPACE, name, srights));
}

kern_return_t
mach_port_peek(ipc_space_t task, mach_port_name_t name,
    mach_msg_trailer_type_t trailer_type, mach_port_seqno_t *request_seqnop,
    mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
    mach_msg_trailer_info_t trailer_infop,
    mach_msg_type_number_t *trailer_infopCnt)
{
	TASK_CALL(task,
	    mipc_port_peek(SPACE, name, trailer_type, request_seqnop, msg_sizep,
	        msg_idp, trailer_infop, trailer_infopCnt));
}

kern_return_t
mach_port_insert_member(
    ipc_space_t task, mach_port_name_t name, mach_port_name_t pset)
{
	TASK_CALL(task, mipc_port_insert_member(SPACE, name, pset));
}

kern_return_t
mach_port_extract_member(
    ipc_space_t task, mach_port_name_t name, mach_port_name_t pset)
{
	TASK_CALL(task, mipc_port_extract_member(SPACE, name, pset));
}

kern_return_t
mach_port_move_member(
    ipc_space_t task, mach_port_name_t member, mach_port_name_t after)
{
	TASK_CALL(task, mipc_port_move_member(SPACE, member, after));
}

kern_return_t
mach_port_get_set_status(ipc_space_t task, mach_port_name_t name,
    mach_port_name_array_t *members, mach_msg_type_number_t *membersCnt)
{
	TASK_CALL(
	    task, mipc_port_get_set_status(SPACE, name, members, membersCnt));
}

kern_return_t
mach_port_request_notification(ipc_space_t task, mach_port_name_t name,
    mach_msg_id_t msgid, mach_port_mscount_t sync, mach_port_t notify,
    mach_msg_type_name_t notifyPoly, mach_port_t *previous)
{
	TASK_CALL(task,
	    mipc_port_request_notification(
	        SPACE, name, msgid, sync, notify, notifyPoly, previous));
}

kern_return_t
mach_port_dnrequest_info(ipc_space_t task, mach_port_name_t name,
    unsigned int *dnr_total, unsigned int *dnr_used)
{
	TASK_CALL(
	    task, mipc_port_dnrequest_info(SPACE, name, dnr_total, dnr_used));
}

kern_return_t
vm_allocate(vm_map_t target, vm_address_t *address, vm_size_t size, int flags)
{
	TASK_CALL(target, mipc_vm_allocate(SPACE, address, size, flags));
}

kern_return_t
vm_deallocate(vm_map_t target, vm_address_t address, vm_size_t size)
{
	TASK_CALL(target, mipc_vm_deallocate(SPACE, address, size));
}

kern_return_t
vm_protect(vm_map_t target_task, vm_address_t address, vm_size_t size,
    boolean_t set_maximum, vm_prot_t new_protection)
{
	TASK_CALL(target_task,
	    mipc_vm_protect(SPACE, address, size, set_maximum, new_protection));
}

kern_return_t
mach_vm_allocate(
    vm_map_t target, mach_vm_address_t *address, mach_vm_size_t size, int flags)
{
	vm_address_t a;
	kern_return_t kr;

	if (address == NULL)
		return KERN_INVALID_ARGUMENT;
	if (size > (mach_vm_size_t)(vm_size_t)-1)
		return KERN_NO_SPACE;
	a = (vm_address_t)*address;
	kr = vm_allocate(target, &a, (vm_size_t)size, flags);
	if (kr == KERN_SUCCESS)
		*address = a;
	return kr;
}

kern_return_t
mach_vm_deallocate(
    vm_map_t target, mach_vm_address_t address, mach_vm_size_t size)
{
	if (address > (mach_vm_address_t)(vm_address_t)-1 ||
	    size > (mach_vm_size_t)(vm_size_t)-1)
		return KERN_INVALID_ARGUMENT;
	return vm_deallocate(target, (vm_address_t)address, (vm_size_t)size);
}

kern_return_t
mach_vm_protect(vm_map_t target_task, mach_vm_address_t address,
    mach_vm_size_t size, boolean_t set_maximum, vm_prot_t new_protection)
{
	if (address > (mach_vm_address_t)(vm_address_t)-1 ||
	    size > (mach_vm_size_t)(vm_size_t)-1)
		return KERN_INVALID_ADDRESS;
	return vm_protect(target_task, (vm_address_t)address, (vm_size_t)size,
	    set_maximum, new_protection);
}
