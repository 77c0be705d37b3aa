/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * y_task_ports.c -- tasks are ports (issue 16), through the Mach
 * spellings only, as Mach code writes them (`mach_port_t task =
 * mach_task_self();`): the self name and its pinning, another space's task
 * port (mipc_space_task_port, the in-process task_for_pid) used by every
 * kind of call, task ports moved in messages, a task port that dies with
 * its space (dead name, dead-name notification), bogus task names and the
 * codes XNU's MIG layer gives them, the host port; and the calls of
 * core/machlib.c: mach_error_string / mach_error / mach_error_type,
 * mach_msg_overwrite, MIG's reply port, mach_port_space_info,
 * mach_port_space_basic_info and mach_port_kobject.
 */
#include "conformance.h"

#include <unistd.h>

/* XNU's IKOT_* numbers as mach_port_kobject reports them. */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define IKOT_NONE_         0
#define IKOT_TASK_CONTROL_ 2
#define IKOT_HOST_         3

static void
setup(void)
{
	conf_guard_install();
}

/* A send right, in the caller's current space, to `s`'s task port. */
static mach_port_t
task_of(mipc_space_t s)
{
	mach_port_name_t t = MACH_PORT_NULL;

	KR_OK(mipc_space_task_port(s, &t));
	ck_assert_msg(MACH_PORT_VALID(t), "task port name 0x%x", t);
	return t;
}

static mach_port_type_t
mtype(mach_port_t task, mach_port_name_t n)
{
	mach_port_type_t t = 0;

	KR_OK(mach_port_type(task, n, &t));
	return t;
}

static mach_port_urefs_t
msend_refs(mach_port_t task, mach_port_name_t n)
{
	mach_port_urefs_t r = 0;

	KR_OK(mach_port_get_refs(task, n, MACH_PORT_RIGHT_SEND, &r));
	return r;
}

struct port_msg {
	mach_msg_header_t h;
	mach_msg_body_t body;
	mach_msg_port_descriptor_t port;
};

struct port_rcv {
	struct port_msg m;
	mach_msg_max_trailer_t trailer;
};

/*
 * Send `what` (disposition disp) in a message to `dest` (a receive right,
 * or with the high bit of disp, a send right).
 */
#define TO_SEND_RIGHT 0x80000000u

static void
send_port(mach_port_t dest, mach_port_t what, mach_msg_type_name_t disp)
{
	struct port_msg m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS_COMPLEX |
	    MACH_MSGH_BITS(disp & TO_SEND_RIGHT ? MACH_MSG_TYPE_COPY_SEND
	                                        : MACH_MSG_TYPE_MAKE_SEND,
	        0);
	disp &= ~TO_SEND_RIGHT;
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = dest;
	m.h.msgh_id = 77;
	m.body.msgh_descriptor_count = 1;
	m.port.name = what;
	m.port.disposition = disp;
	m.port.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0,
	          MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* Receive the port a send_port message on `rcv` carries. */
static mach_port_t
recv_port(mach_port_t rcv)
{
	struct port_rcv r;

	memset(&r, 0, sizeof(r));
	KR_EQ(mach_msg(&r.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(r),
	          rcv, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	VAL_EQ(r.m.h.msgh_id, 77);
	VAL_EQ(r.m.port.disposition, MACH_MSG_TYPE_PORT_SEND);
	return r.m.port.name;
}

/* ---- the self name ------------------------------------------------------- */

START_TEST(task_self_is_a_send_right_to_a_task_port)
{
	mach_port_t task = mach_task_self();
	natural_t kotype = 99;
	mach_vm_address_t addr = 1;
	mach_port_name_t r = MACH_PORT_NULL;

	ck_assert(MACH_PORT_VALID(task));
	VAL_EQ(mach_task_self(), task); /* one fixed name */
	VAL_EQ(mtype(task, task), MACH_PORT_TYPE_SEND);
	VAL_EQ(msend_refs(task, task), 1);
	KR_OK(mach_port_kobject(task, task, &kotype, &addr));
	VAL_EQ(kotype, IKOT_TASK_CONTROL_);
	VAL_EQ(addr, 0);
	/* It works where a task is taken. */
	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &r));
	VAL_EQ(mtype(task, r), MACH_PORT_TYPE_RECEIVE);
	KR_OK(mach_port_kobject(task, r, &kotype, &addr));
	VAL_EQ(kotype, IKOT_NONE_);
	KR_OK(mach_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
	/* Another space has its own. */
	{
		mipc_space_t s = space_new();
		mipc_space_t prev = mipc_thread_set_space(s);
		mach_port_t other = mach_task_self();

		ck_assert(MACH_PORT_VALID(other));
		VAL_EQ(mtype(other, other), MACH_PORT_TYPE_SEND);
		mipc_thread_set_space(prev);
		KR_OK(mipc_space_destroy(s));
	}
	GUARD_NONE("the self name used");
}
END_TEST

START_TEST(task_self_last_reference_is_pinned)
{
	mach_port_t task = mach_task_self();

	/* XNU >= 7195: KERN_INVALID_CAPABILITY and a soft MOD_REFS guard. */
	KR_EQ(mach_port_deallocate(task, task), KERN_INVALID_CAPABILITY);
	GUARD_IS_PAYLOAD(kGUARD_EXC_MOD_REFS_NON_FATAL, task,
	    MPG_FLAGS_MOD_REFS_PINNED_DEALLOC);
	guard_reset();
	KR_EQ(mach_port_mod_refs(task, task, MACH_PORT_RIGHT_SEND, -1),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS_PAYLOAD(kGUARD_EXC_MOD_REFS_NON_FATAL, task,
	    MPG_FLAGS_MOD_REFS_PINNED_DEALLOC);
	guard_reset();
	KR_EQ(mach_port_destroy(task, task), KERN_INVALID_CAPABILITY);
	GUARD_IS_PAYLOAD(kGUARD_EXC_MOD_REFS_NON_FATAL, task,
	    MPG_FLAGS_MOD_REFS_PINNED_DESTROY);
	guard_reset();
	VAL_EQ(msend_refs(task, task), 1);
	/* References beyond the pinned one come and go. */
	KR_OK(mach_port_mod_refs(task, task, MACH_PORT_RIGHT_SEND, 2));
	VAL_EQ(msend_refs(task, task), 3);
	KR_OK(mach_port_deallocate(task, task));
	KR_OK(mach_port_mod_refs(task, task, MACH_PORT_RIGHT_SEND, -1));
	VAL_EQ(msend_refs(task, task), 1);
	KR_EQ(mach_port_mod_refs(task, task, MACH_PORT_RIGHT_SEND, -1),
	    KERN_INVALID_CAPABILITY);
	guard_reset();
	/* Still the task. */
	VAL_EQ(mtype(task, task), MACH_PORT_TYPE_SEND);
	GUARD_NONE("after the refusals");
}
END_TEST

START_TEST(task_self_last_reference_cannot_move)
{
	mach_port_t task = mach_task_self(), r = MACH_PORT_NULL, got;
	struct port_msg m;

	KR_OK(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &r));
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits =
	    MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = r;
	m.body.msgh_descriptor_count = 1;
	m.port.name = task;
	m.port.disposition = MACH_MSG_TYPE_MOVE_SEND;
	m.port.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_EQ(mach_msg(&m.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, sizeof(m), 0,
	          MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_SEND_INVALID_RIGHT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_MOD_REFS_NON_FATAL, task,
	    MPG_FLAGS_MOD_REFS_PINNED_COPYIN);
	guard_reset();
	VAL_EQ(msend_refs(task, task), 1);
	/* COPY_SEND moves a copy: the task comes back under its name. */
	send_port(r, task, MACH_MSG_TYPE_COPY_SEND);
	got = recv_port(r);
	VAL_EQ(got, task);
	VAL_EQ(msend_refs(task, task), 2);
	KR_OK(mach_port_deallocate(task, task));
	KR_OK(mach_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
	GUARD_NONE("a copy moved");
}
END_TEST

/* ---- another space's task port ---------------------------------------- */

START_TEST(task_port_of_another_space_takes_every_call)
{
	mach_port_t self = mach_task_self();
	mipc_space_t s = space_new();
	mach_port_t t = task_of(s);
	mach_port_name_t r = MACH_PORT_NULL, ps = MACH_PORT_NULL, n;
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0;
	mach_port_type_t ty = 0;
	mach_port_context_t ctx = 0;
	vm_address_t a = 0;
	mach_msg_type_name_t pt = 0;
	mach_port_t poly = MACH_PORT_NULL;
	natural_t kotype = 0;
	mach_vm_address_t addr = 1;

	VAL_NE(t, self);
	VAL_EQ(mtype(self, t), MACH_PORT_TYPE_SEND);
	KR_OK(mach_port_kobject(self, t, &kotype, &addr));
	VAL_EQ(kotype, IKOT_TASK_CONTROL_);
	/* The rights land in s, not here. */
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mipc_port_type(s, r, &ty));
	VAL_EQ(ty, MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(mtype(t, r), MACH_PORT_TYPE_RECEIVE);
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_PORT_SET, &ps));
	KR_OK(mach_port_insert_member(t, r, ps));
	KR_OK(mach_port_set_context(t, r, 0x1234));
	KR_OK(mach_port_get_context(t, r, &ctx));
	VAL_EQ(ctx, 0x1234);
	/* insert_right takes poly from the caller's space (MIG's copy-in). */
	{
		mach_port_name_t mine = MACH_PORT_NULL;

		KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &mine));
		KR_OK(mach_port_insert_right(
		    t, 0x20203, mine, MACH_MSG_TYPE_MAKE_SEND));
		VAL_EQ(mtype(t, 0x20203), MACH_PORT_TYPE_SEND);
		KR_OK(mach_port_mod_refs(
		    self, mine, MACH_PORT_RIGHT_RECEIVE, -1));
		VAL_EQ(mtype(t, 0x20203), MACH_PORT_TYPE_DEAD_NAME);
		KR_OK(mach_port_deallocate(t, 0x20203));
	}
	/* extract_right brings a right here, to the caller. */
	KR_OK(
	    mach_port_extract_right(t, r, MACH_MSG_TYPE_MAKE_SEND, &poly, &pt));
	VAL_EQ(pt, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(mtype(self, poly), MACH_PORT_TYPE_SEND);
	KR_OK(mach_port_deallocate(self, poly));
	KR_OK(mach_port_names(t, &names, &ncnt, &types, &tcnt));
	VAL_EQ(ncnt, 3); /* r, ps, and s's own name for its task port */
	KR_OK(vm_deallocate(self, (vm_address_t)names, ncnt * sizeof(*names)));
	KR_OK(vm_deallocate(self, (vm_address_t)types, tcnt * sizeof(*types)));
	/* vm_allocate through t: s's memory. */
	KR_OK(vm_allocate(t, &a, 4096, VM_FLAGS_ANYWHERE));
	KR_OK(vm_deallocate(t, a, 4096));
	{
		mach_vm_address_t ma = 0;

		KR_OK(mach_vm_allocate(t, &ma, 8192, VM_FLAGS_ANYWHERE));
		ck_assert_uint_ne(ma, 0);
		KR_OK(mach_vm_protect(t, ma, 8192, FALSE, VM_PROT_READ));
		KR_OK(mach_vm_deallocate(t, ma, 8192));
		KR_EQ(mach_vm_allocate(t, NULL, 8192, VM_FLAGS_ANYWHERE),
		    KERN_INVALID_ARGUMENT);
		KR_EQ(mach_vm_allocate(
		          MACH_PORT_NULL, &ma, 8192, VM_FLAGS_ANYWHERE),
		    MACH_SEND_INVALID_DEST);
	}
	KR_OK(mach_port_destroy(t, ps));
	KR_OK(mach_port_mod_refs(t, r, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_EQ(mach_port_type(t, r, &ty), KERN_INVALID_NAME);
	/* A second task_for gives the same name, one more reference. */
	n = task_of(s);
	VAL_EQ(n, t);
	VAL_EQ(msend_refs(self, t), 2);
	KR_OK(mach_port_mod_refs(self, t, MACH_PORT_RIGHT_SEND, -2));
	KR_OK(mipc_space_destroy(s));
	GUARD_NONE("calls through another task");
}
END_TEST

/* RECEIVE_STATUS of `n` in `s`, read natively. */
static mach_port_status_t
status_in(mipc_space_t s, mach_port_name_t n)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	memset(&st, 0, sizeof(st));
	KR_OK(mipc_port_get_attributes(
	    s, n, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt));
	return st;
}

/*
 * Every Mach spelling that takes a task, through another space's task
 * name: each acts on that space (read back natively there), none on ours.
 */
START_TEST(task_port_every_call_acts_on_its_space)
{
	mach_port_t self = mach_task_self();
	mipc_space_t s = space_new();
	mach_port_t t = task_of(s);
	mach_port_options_t opts;
	mach_port_name_t r = MACH_PORT_NULL, g = MACH_PORT_NULL;
	mach_port_name_t ps = MACH_PORT_NULL, ps2 = MACH_PORT_NULL;
	mach_port_name_array_t members = NULL;
	mach_msg_type_number_t cnt = 0;
	mach_port_limits_t lim;
	mach_port_rights_t srights = 9;
	mach_port_type_t ty = 0;
	unsigned int total = 0, used = 0;
	mach_port_t prev = MACH_PORT_NULL, so;
	mach_msg_type_name_t pt;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_INSERT_SEND_RIGHT;
	KR_OK(mach_port_construct(t, &opts, 0, &r));
	KR_OK(mipc_port_type(s, r, &ty));
	VAL_EQ(ty, MACH_PORT_TYPE_SEND_RECEIVE);
	KR_OK(mach_port_get_srights(t, r, &srights));
	VAL_EQ(srights, 1);
	KR_OK(mach_port_set_mscount(t, r, 7));
	VAL_EQ(status_in(s, r).mps_mscount, 7);
	KR_OK(mach_port_set_seqno(t, r, 11));
	VAL_EQ(status_in(s, r).mps_seqno, 11);
	lim.mpl_qlimit = 3;
	KR_OK(mach_port_set_attributes(t, r, MACH_PORT_LIMITS_INFO,
	    (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT));
	VAL_EQ(status_in(s, r).mps_qlimit, 3);
	/* Guards, on a receive right of s. */
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &g));
	KR_OK(mach_port_guard(t, g, 0x77, FALSE));
	VAL_EQ(status_in(s, g).mps_flags & MACH_PORT_STATUS_FLAG_GUARDED,
	    MACH_PORT_STATUS_FLAG_GUARDED);
	KR_OK(mach_port_swap_guard(t, g, 0x77, 0x88));
	KR_OK(mach_port_unguard(t, g, 0x88));
	KR_OK(mach_port_guard_with_flags(t, g, 0x99, MPG_STRICT));
	{
		mach_port_guard_info_t gi = { 0x99 };

		KR_OK(mach_port_assert_attributes(t, g, MACH_PORT_GUARD_INFO,
		    (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT));
	}
	KR_OK(mach_port_unguard(t, g, 0x99));
	/* Sets. */
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_PORT_SET, &ps));
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_PORT_SET, &ps2));
	KR_OK(mach_port_insert_member(t, g, ps));
	KR_OK(mach_port_move_member(t, g, ps2));
	KR_OK(mach_port_get_set_status(t, ps2, &members, &cnt));
	VAL_EQ(cnt, 1);
	VAL_EQ(members[0], g);
	KR_OK(vm_deallocate(self, (vm_address_t)members, sizeof(*members)));
	KR_OK(mach_port_extract_member(t, g, ps2));
	KR_OK(mipc_port_get_set_status(s, ps2, &members, &cnt));
	VAL_EQ(cnt, 0);
	/* A dead-name request in s, reported by dnrequest_info. */
	KR_OK(mach_port_extract_right(
	    t, g, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &pt));
	KR_OK(mach_port_request_notification(t, r, MACH_NOTIFY_DEAD_NAME, 0, g,
	    MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mach_port_dnrequest_info(t, r, &total, &used));
	VAL_EQ(used, 1);
	ck_assert_uint_ge(total, used);
	KR_OK(mach_port_destruct(t, r, -1, 0));
	KR_EQ(mipc_port_type(s, r, &ty), KERN_INVALID_NAME);
	KR_OK(mach_port_deallocate(self, so));
	/* Nothing landed here but the two names we asked for. */
	ck_assert_uint_eq(name_count(mipc_thread_space()), 1); /* t */
	KR_OK(mach_port_deallocate(self, t));
	KR_OK(mipc_space_destroy(s));
	GUARD_NONE("every call through another task");
}
END_TEST

START_TEST(task_port_of_own_space_is_the_self_name)
{
	mach_port_t task = mach_task_self();
	mach_port_t t = task_of(mipc_thread_space());

	VAL_EQ(t, task);
	VAL_EQ(msend_refs(task, task), 2);
	KR_OK(mach_port_deallocate(task, t));
	KR_EQ(mach_port_deallocate(task, t), KERN_INVALID_CAPABILITY);
	guard_reset();
}
END_TEST

START_TEST(task_port_send_right_deallocated)
{
	mach_port_t self = mach_task_self();
	mipc_space_t s = space_new();
	mach_port_t t = task_of(s), r = MACH_PORT_NULL;

	/* Not pinned here: only s's own name for it is. */
	KR_OK(mach_port_deallocate(self, t));
	KR_EQ(mach_port_type(self, t, NULL), KERN_INVALID_ARGUMENT);
	{
		mach_port_type_t ty;

		KR_EQ(mach_port_type(self, t, &ty), KERN_INVALID_NAME);
	}
	KR_EQ(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &r),
	    MACH_SEND_INVALID_DEST);
	VAL_EQ(r, MACH_PORT_NULL);
	/* The space lives on; its task port too. */
	t = task_of(s);
	KR_OK(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mach_port_mod_refs(t, r, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_deallocate(self, t));
	KR_OK(mipc_space_destroy(s));
	GUARD_NONE("a task send right deallocated");
}
END_TEST

START_TEST(task_port_errors_of_mipc_space_task_port)
{
	mipc_space_t s = space_new();
	mach_port_name_t n = 0x1234;

	KR_EQ(mipc_space_task_port(NULL, &n), MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_space_task_port(s, NULL), KERN_INVALID_ARGUMENT);
	VAL_EQ(n, 0x1234);
	KR_OK(mipc_space_destroy(s));
	KR_EQ(mipc_space_task_port(s, &n), KERN_INVALID_TASK);
	VAL_EQ(n, 0x1234);
}
END_TEST

/* ---- task ports in messages -------------------------------------------- */

START_TEST(task_port_moves_in_a_message)
{
	mipc_space_t target = space_new(), server = space_new(), prev;
	mach_port_t self = mach_task_self(), t = task_of(target), srv;
	mach_port_t st, sr, got, r = MACH_PORT_NULL;
	mach_msg_type_name_t pt;
	mach_port_type_t ty;

	/* A server space with a receive right; we get a send right to it. */
	st = task_of(server);
	KR_OK(mach_port_allocate(st, MACH_PORT_RIGHT_RECEIVE, &sr));
	KR_OK(mach_port_extract_right(
	    st, sr, MACH_MSG_TYPE_MAKE_SEND, &srv, &pt));
	/* We hand the server the target's task (MOVE_SEND: ours goes). */
	send_port(srv, t, MACH_MSG_TYPE_MOVE_SEND | TO_SEND_RIGHT);
	KR_EQ(mach_port_type(self, t, &ty), KERN_INVALID_NAME);
	/* The server, in its own space, receives it and acts on target. */
	prev = mipc_thread_set_space(server);
	got = recv_port(sr);
	KR_OK(mach_port_allocate(got, MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mipc_port_type(target, r, &ty));
	VAL_EQ(ty, MACH_PORT_TYPE_RECEIVE);
	KR_OK(mach_port_deallocate(mach_task_self(), got));
	mipc_thread_set_space(prev);
	KR_OK(mach_port_deallocate(self, srv));
	KR_OK(mach_port_deallocate(self, st));
	KR_OK(mipc_space_destroy(server));
	KR_OK(mipc_space_destroy(target));
	GUARD_NONE("a task port moved");
}
END_TEST

/* ---- death --------------------------------------------------------------- */

START_TEST(task_port_dies_with_its_space)
{
	mach_port_t self = mach_task_self();
	mipc_space_t s = space_new();
	mach_port_t t = task_of(s), notify = MACH_PORT_NULL;
	mach_port_t prev = MACH_PORT_NULL, r = MACH_PORT_NULL;
	struct {
		mach_dead_name_notification_t n;
		mach_msg_max_trailer_t trailer;
	} dn;

	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &notify));
	KR_OK(mach_port_request_notification(self, t, MACH_NOTIFY_DEAD_NAME, 0,
	    notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	VAL_EQ(prev, MACH_PORT_NULL);
	VAL_EQ(mtype(self, t), MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DNREQUEST);
	KR_OK(mipc_space_destroy(s));
	/* A Mach server learns its client task died. */
	memset(&dn, 0, sizeof(dn));
	KR_EQ(mach_msg(&dn.n.not_header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	          sizeof(dn), notify, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	VAL_EQ(dn.n.not_header.msgh_id, MACH_NOTIFY_DEAD_NAME);
	VAL_EQ(dn.n.not_port, t);
	VAL_EQ(mtype(self, t), MACH_PORT_TYPE_DEAD_NAME);
	/* What MIG's send through a dead name gives. */
	KR_EQ(mach_port_allocate(t, MACH_PORT_RIGHT_RECEIVE, &r),
	    MACH_SEND_INVALID_DEST);
	/* The notification's own reference and ours. */
	KR_OK(mach_port_mod_refs(self, t, MACH_PORT_RIGHT_DEAD_NAME, -2));
	KR_OK(mach_port_mod_refs(self, notify, MACH_PORT_RIGHT_RECEIVE, -1));
	GUARD_NONE("a task died");
}
END_TEST

START_TEST(task_self_of_a_destroyed_current_space)
{
	mipc_space_t s = space_new(), prev = mipc_thread_set_space(s);
	mach_port_t task = mach_task_self(), r = MACH_PORT_NULL;

	ck_assert(MACH_PORT_VALID(task));
	KR_OK(mipc_space_destroy(s));
	VAL_EQ(mach_task_self(), task);
	KR_EQ(mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &r),
	    KERN_INVALID_TASK);
	KR_EQ(mach_port_allocate(0x1103, MACH_PORT_RIGHT_RECEIVE, &r),
	    KERN_INVALID_TASK);
	mipc_thread_set_space(prev);
}
END_TEST

/* ---- bad task names ---------------------------------------------------- */

START_TEST(task_bogus_names_give_mig_codes)
{
	mach_port_t self = mach_task_self(), recv = MACH_PORT_NULL;
	mach_port_t snd, dead = MACH_PORT_NULL, host = mach_host_self();
	mach_port_t bad[6], r = MACH_PORT_NULL;
	mach_msg_type_name_t pt;
	vm_address_t a = 0;
	size_t i;

	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &recv));
	KR_OK(mach_port_extract_right(
	    self, recv, MACH_MSG_TYPE_MAKE_SEND_ONCE, &snd, &pt));
	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	bad[0] = MACH_PORT_NULL;
	bad[1] = MACH_PORT_DEAD;
	bad[2] = conf_stale_name(mipc_thread_space());
	bad[3] = recv; /* a receive right: no send right to copy */
	bad[4] = snd;  /* a send-once right to a plain port */
	bad[5] = dead;
	for (i = 0; i < NELEM(bad); i++) {
		KR_EQ(mach_port_allocate(bad[i], MACH_PORT_RIGHT_RECEIVE, &r),
		    MACH_SEND_INVALID_DEST);
		KR_EQ(vm_allocate(bad[i], &a, 4096, VM_FLAGS_ANYWHERE),
		    MACH_SEND_INVALID_DEST);
		KR_EQ(
		    mach_port_deallocate(bad[i], recv), MACH_SEND_INVALID_DEST);
	}
	/* A send right to a plain port: XNU would queue the request. */
	KR_OK(
	    mach_port_insert_right(self, recv, recv, MACH_MSG_TYPE_MAKE_SEND));
	KR_EQ(mach_port_allocate(recv, MACH_PORT_RIGHT_RECEIVE, &r),
	    MACH_SEND_INVALID_DEST);
	/* Another kernel object: XNU's MIG server's convert fails. */
	KR_EQ(mach_port_allocate(host, MACH_PORT_RIGHT_RECEIVE, &r),
	    KERN_INVALID_TASK);
	VAL_EQ(r, MACH_PORT_NULL);
	VAL_EQ(mtype(self, recv), MACH_PORT_TYPE_SEND_RECEIVE);
	KR_OK(mach_port_destroy(self, recv));
	KR_OK(mach_port_deallocate(self, snd));
	KR_OK(mach_port_deallocate(self, dead));
	KR_OK(mach_port_deallocate(self, host));
	GUARD_NONE("bogus task names");
}
END_TEST

/* A message to a task or host port answers MIG_BAD_ID. */
static void
expect_bad_id(mach_port_t kobject)
{
	mach_port_t self = mach_task_self(), reply = MACH_PORT_NULL;
	struct {
		mig_reply_error_t r;
		mach_msg_max_trailer_t trailer;
	} m;

	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &reply));
	memset(&m, 0, sizeof(m));
	m.r.Head.msgh_bits = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.r.Head.msgh_size = sizeof(mach_msg_header_t);
	m.r.Head.msgh_remote_port = kobject;
	m.r.Head.msgh_local_port = reply;
	m.r.Head.msgh_id = 3400;
	KR_EQ(
	    mach_msg(&m.r.Head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	        sizeof(mach_msg_header_t), sizeof(m), reply, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	VAL_EQ(m.r.Head.msgh_id, 3500);
	VAL_EQ(m.r.RetCode, MIG_BAD_ID);
	KR_OK(mach_port_mod_refs(self, reply, MACH_PORT_RIGHT_RECEIVE, -1));
}

START_TEST(task_and_host_ports_serve_no_routine)
{
	mach_port_t self = mach_task_self(), host = mach_host_self(), h2;
	natural_t kotype = 0;
	mach_vm_address_t addr = 1;

	expect_bad_id(self);
	expect_bad_id(host);
	KR_OK(mach_port_kobject(self, host, &kotype, &addr));
	VAL_EQ(kotype, IKOT_HOST_);
	/* host_self_trap: one more reference per call, one name. */
	h2 = mach_host_self();
	VAL_EQ(h2, host);
	VAL_EQ(msend_refs(self, host), 2);
	KR_OK(mach_port_mod_refs(self, host, MACH_PORT_RIGHT_SEND, -2));
	GUARD_NONE("kernel objects");
}
END_TEST

/* ---- error strings ------------------------------------------------------ */

START_TEST(mach_error_strings_are_libsyscalls)
{
	int fds[2], saved;
	char buf[512];
	ssize_t n;

	ck_assert_str_eq(
	    mach_error_string(KERN_SUCCESS), "(os/kern) successful");
	ck_assert_str_eq(mach_error_string(KERN_INVALID_ARGUMENT),
	    "(os/kern) invalid argument");
	ck_assert_str_eq(mach_error_string(KERN_INVALID_CAPABILITY),
	    "(os/kern) invalid capability");
	ck_assert_str_eq(
	    mach_error_string(KERN_NOT_FOUND), "(os/kern) result not found");
	ck_assert_str_eq(mach_error_string(MACH_SEND_INVALID_DEST),
	    "(ipc/send) invalid destination port");
	ck_assert_str_eq(
	    mach_error_string(MACH_SEND_TIMED_OUT), "(ipc/send) timed out");
	ck_assert_str_eq(
	    mach_error_string(MACH_RCV_TIMED_OUT), "(ipc/rcv) timed out");
	ck_assert_str_eq(
	    mach_error_string(MACH_RCV_PORT_CHANGED), "(ipc/rcv) port changed");
	ck_assert_str_eq(
	    mach_error_string(MIG_BAD_ID), "(ipc/mig) bad request message ID");
	ck_assert_str_eq(
	    mach_error_string(MIG_SERVER_DIED), "(ipc/mig) server died");
	ck_assert_str_eq(
	    mach_error_string(KERN_NOT_FOUND + 1), "unknown error code");
	ck_assert_str_eq(
	    mach_error_string(BOOTSTRAP_UNKNOWN_SERVICE), "unknown error code");
	ck_assert_str_eq(
	    mach_error_string(err_system(0x20)), "(?/?) unknown error system");
	ck_assert_str_eq(mach_error_type(KERN_FAILURE), "(os/kern)");
	ck_assert_str_eq(mach_error_type(MACH_RCV_INVALID_NAME), "(ipc/rcv)");
	ck_assert_str_eq(mach_error_type(MIG_TYPE_ERROR), "(ipc/mig)");
	ck_assert_str_eq(mach_error_type(err_system(0x20)), "(?/?)");
	VAL_EQ(err_get_system(MACH_SEND_INVALID_DEST), 4);
	VAL_EQ(err_get_sub(MACH_RCV_TIMED_OUT), 1);
	VAL_EQ(err_get_code(MACH_RCV_TIMED_OUT), 3);
	/* mach_error prints "<str> <string>" on stderr. */
	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fds[1], 2), 0);
	mach_error("allocate:", KERN_NO_SPACE);
	mach_error("odd:", KERN_NOT_FOUND + 1);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf,
	    "allocate: (os/kern) no space available\n"
	    "odd: (os/kern) unknown error code (39)\n");
}
END_TEST

/* ---- mach_msg_overwrite ------------------------------------------------- */

START_TEST(mach_msg_overwrite_receives_into_its_own_buffer)
{
	mach_port_t self = mach_task_self(), r = MACH_PORT_NULL;
	struct {
		mach_msg_header_t h;
		uint32_t v;
	} out;
	struct {
		mach_msg_header_t h;
		uint32_t v;
		mach_msg_max_trailer_t trailer;
	} in;

	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r));
	memset(&out, 0, sizeof(out));
	memset(&in, 0, sizeof(in));
	out.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	out.h.msgh_size = sizeof(out);
	out.h.msgh_remote_port = r;
	out.h.msgh_id = 1234;
	out.v = 0xfeedu;
	/* Send from out, receive (the same message) into in. */
	KR_EQ(mach_msg_overwrite(&out.h,
	          MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof(out),
	          sizeof(in), r, 0, MACH_PORT_NULL, &in.h, 0),
	    MACH_MSG_SUCCESS);
	VAL_EQ(in.h.msgh_id, 1234);
	VAL_EQ(in.v, 0xfeedu);
	VAL_EQ(out.h.msgh_remote_port, r); /* the send buffer untouched */
	/* NULL rcv_msg: mach_msg (the send buffer receives). */
	out.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	KR_EQ(mach_msg_overwrite(&out.h, MACH_SEND_MSG, sizeof(out), 0,
	          MACH_PORT_NULL, 0, MACH_PORT_NULL, NULL, 0),
	    MACH_MSG_SUCCESS);
	KR_EQ(mach_msg_overwrite(&in.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	          sizeof(in), r, 0, MACH_PORT_NULL, NULL, 0),
	    MACH_MSG_SUCCESS);
	VAL_EQ(in.v, 0xfeedu);
	/* A failed send receives nothing. */
	out.h.msgh_remote_port = MACH_PORT_NULL;
	KR_EQ(mach_msg_overwrite(&out.h,
	          MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, sizeof(out),
	          sizeof(in), r, 0, MACH_PORT_NULL, &in.h, 0),
	    MACH_SEND_INVALID_DEST);
	KR_OK(mach_port_mod_refs(self, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

/* ---- MIG's reply port ---------------------------------------------------- */

START_TEST(mig_reply_port_is_per_thread_and_kept)
{
	mach_port_t self = mach_task_self();
	mach_port_t p = mig_get_reply_port(), q, r;

	ck_assert(MACH_PORT_VALID(p));
	VAL_EQ(mig_get_reply_port(), p);
	VAL_EQ(mtype(self, p), MACH_PORT_TYPE_RECEIVE);
	/* A reply port: no send right is extracted from it (R1). */
	{
		mach_port_t snd;
		mach_msg_type_name_t pt;

		KR_EQ(mach_port_extract_right(
		          self, p, MACH_MSG_TYPE_MAKE_SEND, &snd, &pt),
		    KERN_INVALID_CAPABILITY);
		guard_reset();
	}
	mig_put_reply_port(p);
	VAL_EQ(mig_get_reply_port(), p);
	mig_dealloc_reply_port(p);
	{
		mach_port_type_t ty;

		KR_EQ(mach_port_type(self, p, &ty), KERN_INVALID_NAME);
	}
	q = mig_get_reply_port();
	ck_assert(MACH_PORT_VALID(q));
	VAL_EQ(mtype(self, q), MACH_PORT_TYPE_RECEIVE);
	/* Destroyed behind its back: the next call makes another. */
	KR_OK(mach_port_mod_refs(self, q, MACH_PORT_RIGHT_RECEIVE, -1));
	r = mig_get_reply_port();
	VAL_EQ(mtype(self, r), MACH_PORT_TYPE_RECEIVE);
	mig_dealloc_reply_port(r);
	/* mach_reply_port: a fresh receive right each call. */
	p = mach_reply_port();
	q = mach_reply_port();
	VAL_NE(p, q);
	VAL_EQ(mtype(self, p), MACH_PORT_TYPE_RECEIVE);
	KR_OK(mach_port_mod_refs(self, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_mod_refs(self, q, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

/* ---- space introspection ------------------------------------------------ */

static const ipc_info_name_t *
info_find(
    const ipc_info_name_t *t, mach_msg_type_number_t n, mach_port_name_t name)
{
	mach_msg_type_number_t i;

	for (i = 0; i < n; i++)
		if (t[i].iin_name == name && t[i].iin_type != 0)
			return &t[i];
	return NULL;
}

START_TEST(space_info_lists_every_name_like_lsmp)
{
	mach_port_t self = mach_task_self();
	mipc_space_t s = space_new();
	mach_port_t t = task_of(s);
	mach_port_name_t r = MACH_PORT_NULL, snd, dead = MACH_PORT_NULL;
	ipc_info_space_t info;
	ipc_info_name_array_t table = NULL;
	ipc_info_tree_name_array_t tree = (void *)1;
	mach_msg_type_number_t n = 0, tn = 9;
	ipc_info_space_basic_t basic;
	const ipc_info_name_t *e, *es;
	mach_msg_type_name_t pt;
	unsigned used = 0, i;

	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mach_port_insert_right(self, r, r, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mach_port_allocate(self, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	/* A send right to r in s, through s's task port. */
	KR_OK(mach_port_allocate_name(t, MACH_PORT_RIGHT_RECEIVE, 0x10103));
	KR_OK(mach_port_mod_refs(t, 0x10103, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mach_port_insert_right(t, 0x10103, r, MACH_MSG_TYPE_MAKE_SEND));
	snd = 0x10103;
	KR_OK(mach_port_space_info(self, &info, &table, &n, &tree, &tn));
	VAL_EQ(tree, NULL);
	VAL_EQ(tn, 0);
	VAL_EQ(info.iis_genno_mask, 0xff);
	VAL_EQ(info.iis_table_size, n);
	ck_assert_uint_ge(n, 4);
	e = info_find(table, n, r);
	ck_assert_ptr_nonnull(e);
	VAL_EQ(e->iin_type, MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(e->iin_urefs, 1);
	ck_assert_uint_ne(e->iin_object, 0);
	es = info_find(table, n, self);
	ck_assert_ptr_nonnull(es);
	VAL_EQ(es->iin_type, MACH_PORT_TYPE_SEND);
	ck_assert_ptr_nonnull(info_find(table, n, t));
	es = info_find(table, n, dead);
	ck_assert_ptr_nonnull(es);
	VAL_EQ(es->iin_type, MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(es->iin_object, 0);
	for (i = 0; i < n; i++)
		used += table[i].iin_type != 0;
	VAL_EQ(used, 4); /* r, self, t, dead */
	VAL_EQ(table[0].iin_type, 0);
	{
		natural_t obj = e->iin_object;

		KR_OK(vm_deallocate(
		    self, (vm_address_t)table, n * sizeof(*table)));
		/* The same port in s: the same object. */
		KR_OK(mach_port_space_info(t, &info, &table, &n, &tree, &tn));
		es = info_find(table, n, snd);
		ck_assert_ptr_nonnull(es);
		VAL_EQ(es->iin_type, MACH_PORT_TYPE_SEND);
		VAL_EQ(es->iin_object, obj);
		KR_OK(vm_deallocate(
		    self, (vm_address_t)table, n * sizeof(*table)));
	}
	KR_OK(mach_port_space_basic_info(self, &basic));
	VAL_EQ(basic.iisb_table_inuse, 4);
	VAL_EQ(basic.iisb_genno_mask, 0xff);
	/* Bad arguments. */
	KR_EQ(mach_port_space_info(self, NULL, &table, &n, &tree, &tn),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(mach_port_space_info(self, &info, &table, &n, NULL, &tn),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(
	    mach_port_space_info(MACH_PORT_NULL, &info, &table, &n, &tree, &tn),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_space_basic_info(self, NULL), KERN_INVALID_ARGUMENT);
	KR_EQ(mach_port_kobject(self, conf_stale_name(mipc_thread_space()), &i,
	          (mach_vm_address_t *)&tree),
	    KERN_INVALID_NAME);
	KR_EQ(mach_port_kobject(self, dead, &i, (mach_vm_address_t *)&tree),
	    KERN_INVALID_RIGHT);
	KR_EQ(mach_port_kobject(self, r, NULL, NULL), KERN_INVALID_ARGUMENT);
	(void)pt;
	KR_OK(mach_port_destroy(self, r));
	KR_OK(mach_port_deallocate(self, dead));
	KR_OK(mach_port_deallocate(self, t));
	KR_OK(mipc_space_destroy(s));
	/* A destroyed space. */
	{
		mipc_space_t d = space_new();
		mach_port_t dt = task_of(d);
		mipc_space_t prev = mipc_thread_set_space(d);

		(void)dt;
		KR_OK(mipc_space_destroy(d));
		KR_EQ(mach_port_space_info(
		          mach_task_self(), &info, &table, &n, &tree, &tn),
		    KERN_INVALID_TASK);
		mipc_thread_set_space(prev);
		KR_OK(mach_port_mod_refs(
		    self, dt, MACH_PORT_RIGHT_DEAD_NAME, -1));
	}
}
END_TEST

static Suite *
task_suite(void)
{
	Suite *s = suite_create("Y_task_ports");
	TCase *tc = mipc_tcase("task");
	TCase *lib = mipc_tcase("machlib");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, task_self_is_a_send_right_to_a_task_port);
	tcase_add_test(tc, task_self_last_reference_is_pinned);
	tcase_add_test(tc, task_self_last_reference_cannot_move);
	tcase_add_test(tc, task_port_of_another_space_takes_every_call);
	tcase_add_test(tc, task_port_every_call_acts_on_its_space);
	tcase_add_test(tc, task_port_of_own_space_is_the_self_name);
	tcase_add_test(tc, task_port_send_right_deallocated);
	tcase_add_test(tc, task_port_errors_of_mipc_space_task_port);
	tcase_add_test(tc, task_port_moves_in_a_message);
	tcase_add_test(tc, task_port_dies_with_its_space);
	tcase_add_test(tc, task_self_of_a_destroyed_current_space);
	tcase_add_test(tc, task_bogus_names_give_mig_codes);
	tcase_add_test(tc, task_and_host_ports_serve_no_routine);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(lib, setup, NULL);
	tcase_add_test(lib, mach_error_strings_are_libsyscalls);
	tcase_add_test(lib, mach_msg_overwrite_receives_into_its_own_buffer);
	tcase_add_test(lib, mig_reply_port_is_per_thread_and_kept);
	tcase_add_test(lib, space_info_lists_every_name_like_lsmp);
	suite_add_tcase(s, lib);
	return s;
}

MIPC_TEST_MAIN(task_suite)
