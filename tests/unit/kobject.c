/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kobject.c -- tests of core/kobject.c: a port whose messages the library
 * serves in the sender's thread, step by step as XNU's ipc_kobject_server
 * (reply to the reply right, id + 100, MIG_BAD_ID, MIG_NO_REPLY, an error
 * RetCode destroying the request, no reply to a dead port or a kobject,
 * what the sender gets back), the kernel objects' notification requests,
 * and the reply made of the request when memory runs out.
 *
 * Includes core/internal.h: kobject ports are internal; a test server is
 * installed as IKOT_TEST (ipc_kobject_test_ops, test builds).
 */
#include "check_mipc.h"
#include "conformance/msg_helpers.h"

#include "internal.h"

#include "internal_helpers.h"

#include <limits.h>

/* ---- a test kernel object ------------------------------------------------ */

#define TK_SERVE    1 /* RetCode tk_ret; takes its reply right if asked */
#define TK_COMPLEX  2 /* a complex reply: a send right to tk_give */
#define TK_KEEP_ARG 3 /* takes the request's first port right, succeeds */

struct tko {
	int tk_calls;
	mach_msg_id_t tk_last_id;
	uint16_t tk_last_flags;
	kern_return_t tk_ret;
	bool tk_take_reply;
	struct ipc_right tk_reply; /* taken with MIG_NO_REPLY */
	struct ipc_right tk_kept;  /* TK_KEEP_ARG */
	struct ipc_port *tk_give;  /* TK_COMPLEX: copied send right */
	struct ipc_port *tk_recv;  /* a port-destroyed right came back */
	mach_port_name_t tk_dead;  /* a dead-name token came */
};

static struct tko tk;

static bool
tk_server(struct ipc_port *port, void *kobject, struct ipc_kmsg *request,
    struct ipc_kmsg *reply)
{
	struct tko *t = kobject;
	struct ipc_kdesc *d;

	(void)port;
	t->tk_calls++;
	t->tk_last_id = request->ikm_header.msgh_id;
	t->tk_last_flags = request->ikm_flags;
	switch (request->ikm_header.msgh_id) {
	case TK_SERVE:
		ipc_kobject_reply_error(reply, t->tk_ret);
		if (t->tk_take_reply) {
			t->tk_reply = reply->ikm_dest;
			reply->ikm_dest.ir_port = NULL;
		}
		return true;
	case TK_COMPLEX:
		ipc_kobject_copy_send(t->tk_give);
		ipc_kobject_reply_port(
		    reply, t->tk_give, MACH_MSG_TYPE_PORT_SEND);
		return true;
	case TK_KEEP_ARG:
		if (request->ikm_ndesc >= 1) {
			t->tk_kept = ikm_desc(request)[0].kd_port;
			ikm_desc(request)[0].kd_port.ir_port = NULL;
		}
		return true;
	case MACH_NOTIFY_DEAD_NAME:
		t->tk_dead = ((struct {
			mach_msg_header_t h;
			NDR_record_t ndr;
			mach_port_name_t name;
		} *)(void *)ikm_bytes(request))
		                 ->name;
		return true;
	case MACH_NOTIFY_PORT_DESTROYED:
		d = &ikm_desc(request)[0];
		t->tk_recv = d->kd_port.ir_port;
		d->kd_port.ir_port = NULL;
		ipc_port_release_transit(t->tk_recv);
		return true;
	default:
		return false;
	}
}

static const struct ipc_kobject_ops tk_ops = {
	.iko_name = "test",
	.iko_server = tk_server,
	.iko_reply_size =
	    sizeof(mach_msg_base_t) + sizeof(mach_msg_port_descriptor_t),
	.iko_reply_ndesc = 1,
};

static mipc_space_t task;
static struct ipc_port *tk_port; /* its receive right: the test's */
static mach_port_name_t tk_name; /* a send right to it in task */

static mach_port_name_t
insert_send(struct ipc_port *port)
{
	struct ipc_right r = { port, MACH_MSG_TYPE_PORT_SEND, false };
	mach_port_name_t name = MACH_PORT_NULL;
	struct mipc_space *sp;
	kern_return_t kr;

	ipc_kobject_make_send(port);
	KR_OK(ipc_space_acquire(task, &sp));
	is_lock(sp);
	kr = ipc_right_copyout(sp, &r, &name);
	is_unlock(sp);
	ipc_space_release(sp);
	ck_assert_int_eq(kr, KERN_SUCCESS);
	return name;
}

static void
tk_setup(void)
{
	task = mipc_thread_space();
	memset(&tk, 0, sizeof(tk));
	ipc_kobject_test_ops = &tk_ops;
	tk_port = ipc_kobject_alloc(IKOT_TEST, &tk);
	ck_assert_ptr_nonnull(tk_port);
	tk_name = insert_send(tk_port);
}

static void
tk_teardown(void)
{
	if (tk_port != NULL)
		ipc_port_destroy(tk_port);
	tk_port = NULL;
}

static mach_port_name_t
recv_right(void)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &n));
	return n;
}

/* Send a bare request to the test kobject, reply right (name, disp). */
static mach_msg_return_t
tk_call(mach_msg_id_t id, mach_port_name_t reply, mach_msg_type_name_t disp)
{
	return send_hdr(task,
	    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, reply ? disp : 0), tk_name,
	    reply, id);
}

/* Receive what came to `port`, or fail if nothing did. */
static mig_reply_error_t
reply_on(mach_port_name_t port)
{
	msg_buf_t b;
	mig_reply_error_t r;

	RECV_OK(task, &b, port, 0);
	memcpy(&r, &b, sizeof(r));
	return r;
}

/* A port with a no-senders request: tells whether a send right died. */
static void
arm_no_senders(mach_port_name_t port, mach_port_name_t notify)
{
	mach_port_name_t prev = MACH_PORT_NULL;

	KR_OK(mipc_port_request_notification(task, port, MACH_NOTIFY_NO_SENDERS,
	    1, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
}

/* A request carrying a port descriptor (disp) of `arg`. */
static mach_msg_return_t
tk_call_with(mach_msg_id_t id, mach_port_name_t reply, mach_port_name_t arg,
    mach_msg_type_name_t disp)
{
	struct {
		mach_msg_base_t base;
		mach_msg_port_descriptor_t d;
	} m;

	memset(&m, 0, sizeof(m));
	m.base.header.msgh_bits = MACH_MSGH_BITS_COMPLEX |
	    MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
	        reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
	m.base.header.msgh_remote_port = tk_name;
	m.base.header.msgh_local_port = reply;
	m.base.header.msgh_id = id;
	m.base.body.msgh_descriptor_count = 1;
	m.d.name = arg;
	m.d.disposition = disp;
	m.d.type = MACH_MSG_PORT_DESCRIPTOR;
	return mipc_msg(task, &m.base.header, MACH_SEND_MSG, sizeof(m), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* ---- replies ------------------------------------------------------------- */

START_TEST(kobject_unknown_id_answers_mig_bad_id)
{
	mach_port_name_t r = recv_right();
	mig_reply_error_t rep;

	KR_EQ(tk_call(77, r, MACH_MSG_TYPE_MAKE_SEND_ONCE), MACH_MSG_SUCCESS);
	VAL_EQ(tk.tk_calls, 1);
	rep = reply_on(r);
	VAL_EQ(rep.Head.msgh_id, 177);
	VAL_EQ(rep.Head.msgh_size, sizeof(mig_reply_error_t));
	VAL_EQ(rep.Head.msgh_bits,
	    MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND_ONCE));
	VAL_EQ(rep.Head.msgh_remote_port, MACH_PORT_NULL);
	VAL_EQ(rep.Head.msgh_local_port, r);
	VAL_EQ(rep.RetCode, MIG_BAD_ID);
	VAL_EQ(rep.NDR.int_rep, NDR_record.int_rep);
	RECV_EMPTY(task, r);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

START_TEST(kobject_reply_carries_the_routines_code)
{
	mach_port_name_t r = recv_right();

	tk.tk_ret = KERN_INVALID_VALUE;
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).RetCode, KERN_INVALID_VALUE);
	tk.tk_ret = KERN_SUCCESS;
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).RetCode, KERN_SUCCESS);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

START_TEST(kobject_complex_reply_carries_a_right)
{
	mach_port_name_t r = recv_right(), give = recv_right();
	struct {
		mach_msg_base_t base;
		mach_msg_port_descriptor_t d;
		mach_msg_max_trailer_t t;
	} m;

	/* The kobject's own send right to `give`, made from our name. */
	tk.tk_give = port_of(task, give);
	ipc_kobject_make_send(tk.tk_give);
	KR_EQ(tk_call(TK_COMPLEX, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_MSG_SUCCESS);
	memset(&m, 0, sizeof(m));
	KR_OK(mipc_msg(task, &m.base.header, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	    sizeof(m), r, 0, MACH_PORT_NULL));
	VAL_EQ(m.base.header.msgh_id, TK_COMPLEX + 100);
	ck_assert(m.base.header.msgh_bits & MACH_MSGH_BITS_COMPLEX);
	VAL_EQ(m.base.body.msgh_descriptor_count, 1);
	VAL_EQ(m.d.disposition, MACH_MSG_TYPE_PORT_SEND);
	VAL_EQ(m.d.name, give); /* merged into our receive right's name */
	ipc_port_release_send(tk.tk_give);
	KR_OK(mipc_port_deallocate(task, give));
	KR_OK(mipc_port_mod_refs(task, give, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

/* XNU: an error destroys the request -- a made send right in it dies. */
START_TEST(kobject_error_destroys_the_request)
{
	mach_port_name_t r = recv_right(), p = recv_right(), n = recv_right();

	arm_no_senders(p, n);
	tk.tk_ret = KERN_FAILURE;
	KR_EQ(tk_call_with(TK_SERVE, r, p, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).RetCode, KERN_FAILURE);
	VAL_EQ(reply_on(n).Head.msgh_id, MACH_NOTIFY_NO_SENDERS);
	/* An unknown id likewise (a moved receive right dies). */
	KR_EQ(tk_call_with(99, r, p, MACH_MSG_TYPE_MOVE_RECEIVE),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).RetCode, MIG_BAD_ID);
	KR_EQ(mipc_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_NAME);
	KR_OK(mipc_port_mod_refs(task, n, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

/* A server keeps what it takes; what it leaves is destroyed. */
START_TEST(kobject_success_keeps_taken_rights_destroys_the_rest)
{
	mach_port_name_t r = recv_right(), p = recv_right(), n = recv_right();

	arm_no_senders(p, n);
	KR_EQ(tk_call_with(TK_KEEP_ARG, r, p, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).RetCode, KERN_SUCCESS);
	ck_assert_ptr_nonnull(tk.tk_kept.ir_port);
	RECV_EMPTY(task, n); /* kept: alive */
	ipc_right_discard(&tk.tk_kept);
	VAL_EQ(reply_on(n).Head.msgh_id, MACH_NOTIFY_NO_SENDERS);
	tk.tk_ret = KERN_SUCCESS;
	KR_EQ(tk_call_with(TK_SERVE, r, p, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).RetCode, KERN_SUCCESS);
	arm_no_senders(p, n); /* not taken: destroyed already */
	VAL_EQ(reply_on(n).Head.msgh_id, MACH_NOTIFY_NO_SENDERS);
	KR_OK(mipc_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_mod_refs(task, n, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

START_TEST(kobject_no_reply_sends_nothing)
{
	mach_port_name_t r = recv_right();

	tk.tk_ret = MIG_NO_REPLY;
	tk.tk_take_reply = true;
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_MSG_SUCCESS);
	RECV_EMPTY(task, r);
	/* The server holds the reply right: its answer comes later. */
	ck_assert_ptr_nonnull(tk.tk_reply.ir_port);
	ipc_right_discard(&tk.tk_reply);
	VAL_EQ(reply_on(r).Head.msgh_id, MACH_NOTIFY_SEND_ONCE);
	/* Not taken: the reply right dies with the unsent reply. */
	tk.tk_take_reply = false;
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).Head.msgh_id, MACH_NOTIFY_SEND_ONCE);
	RECV_EMPTY(task, r);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

START_TEST(kobject_no_reply_right_no_reply)
{
	struct mipc_stats s;

	KR_EQ(tk_call(TK_SERVE, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
	KR_EQ(tk_call(77, MACH_PORT_NULL, 0), MACH_MSG_SUCCESS);
	VAL_EQ(tk.tk_calls, 2);
	mipc_get_stats(&s);
	VAL_EQ(s.messages, 0);
}
END_TEST

/* A reply right whose port died: the reply goes nowhere, the send works. */
START_TEST(kobject_reply_to_a_dead_port_is_destroyed)
{
	mach_port_name_t r = recv_right();
	struct mipc_stats s;

	KR_OK(mipc_port_insert_right(
	    task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
	/* r is a dead name now: COPY_SEND of it is a dead reply (I12). */
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
	VAL_EQ(tk.tk_calls, 1);
	mipc_get_stats(&s);
	VAL_EQ(s.messages, 0);
	KR_OK(mipc_port_deallocate(task, r));
}
END_TEST

/* Through a send right: a full queue drops the reply (no blocking). */
START_TEST(kobject_reply_through_send_right_never_blocks)
{
	mach_port_name_t r = recv_right();
	mach_port_limits_t lim = { 1 };
	mig_reply_error_t rep;

	KR_OK(mipc_port_insert_right(
	    task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND));
	KR_OK(mipc_port_set_attributes(task, r, MACH_PORT_LIMITS_INFO,
	    (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT));
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
	KR_EQ(tk_call(TK_SERVE, r, MACH_MSG_TYPE_COPY_SEND), MACH_MSG_SUCCESS);
	VAL_EQ(tk.tk_calls, 2);
	rep = reply_on(r); /* the first; the second found it full */
	VAL_EQ(rep.Head.msgh_bits, MACH_MSGH_BITS(0, MACH_MSG_TYPE_PORT_SEND));
	RECV_EMPTY(task, r);
	KR_OK(mipc_port_destroy(task, r));
}
END_TEST

/* XNU refuses replies to kobject ports: no second call. */
START_TEST(kobject_reply_to_a_kobject_is_refused)
{
	struct mipc_stats s;

	KR_EQ(tk_call(TK_SERVE, tk_name, MACH_MSG_TYPE_COPY_SEND),
	    MACH_MSG_SUCCESS);
	VAL_EQ(tk.tk_calls, 1);
	mipc_get_stats(&s);
	VAL_EQ(s.messages, 0);
}
END_TEST

START_TEST(kobject_id_overflow_wraps)
{
	mach_port_name_t r = recv_right();

	KR_EQ(tk_call(INT_MAX, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_MSG_SUCCESS);
	VAL_EQ(reply_on(r).Head.msgh_id, (mach_msg_id_t)(INT_MIN + 99));
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

/* No memory for a reply: the request itself answers. */
START_TEST(kobject_no_memory_answers_resource_shortage)
{
	mach_port_name_t r = recv_right(), p = recv_right(), n = recv_right();
	mig_reply_error_t rep;

	uint64_t before, allocs;

	/* A dry run counts the call's small kmsgs: the reply is the last. */
	tk.tk_ret = KERN_SUCCESS;
	before = ipc_alloc_count(IPC_KIND_KMSG_S);
	KR_EQ(tk_call_with(TK_SERVE, r, p, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_MSG_SUCCESS);
	allocs = ipc_alloc_count(IPC_KIND_KMSG_S) - before;
	VAL_EQ(reply_on(r).RetCode, KERN_SUCCESS);
	VAL_EQ(tk.tk_calls, 1);
	arm_no_senders(p, n);
	ipc_fail_nth(IPC_KIND_KMSG_S, allocs);
	KR_EQ(tk_call_with(TK_KEEP_ARG, r, p, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_MSG_SUCCESS);
	ipc_fail_nth(IPC_KIND_KMSG_S, 0);
	VAL_EQ(tk.tk_calls, 1); /* never reached the server */
	rep = reply_on(r);
	VAL_EQ(rep.Head.msgh_id, TK_KEEP_ARG + 100);
	VAL_EQ(rep.RetCode, KERN_RESOURCE_SHORTAGE);
	VAL_EQ(reply_on(n).Head.msgh_id, MACH_NOTIFY_NO_SENDERS);
	KR_OK(mipc_port_mod_refs(task, p, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_mod_refs(task, n, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
}
END_TEST

START_TEST(kobject_dead_kobject_is_a_dead_name)
{
	ipc_port_destroy(tk_port);
	tk_port = NULL;
	KR_EQ(tk_call(TK_SERVE, MACH_PORT_NULL, 0), MACH_SEND_INVALID_DEST);
	VAL_EQ(tk.tk_calls, 0);
	KR_OK(mipc_port_deallocate(task, tk_name));
}
END_TEST

/* ---- notification requests ------------------------------------------------ */

START_TEST(kobject_dead_name_request_served)
{
	struct ipc_port *p = ipc_port_alloc();
	uint32_t idx;
	bool dead = true;

	ck_assert_ptr_nonnull(p);
	ipc_kobject_make_send(p);
	idx = ipc_kobject_request_dead_name(p, tk_port, 8, &dead);
	ck_assert(idx != 0 && !dead);
	ipc_port_destroy(p); /* our receive right */
	VAL_EQ(tk.tk_calls, 1);
	VAL_EQ(tk.tk_last_id, MACH_NOTIFY_DEAD_NAME);
	ck_assert(tk.tk_last_flags & IKM_F_KERNEL);
	VAL_EQ(tk.tk_dead, 8);
	/* Cancelling a fired request is harmless; a dead port takes none. */
	ipc_kobject_cancel_dead_name(p, idx, 8);
	VAL_EQ(ipc_kobject_request_dead_name(p, tk_port, 12, &dead), 0);
	ck_assert(dead);
	ipc_port_release_send(p);
}
END_TEST

START_TEST(kobject_dead_name_request_cancelled)
{
	struct ipc_port *p = ipc_port_alloc();
	uint32_t idx;
	bool dead;

	ck_assert_ptr_nonnull(p);
	idx = ipc_kobject_request_dead_name(p, tk_port, 4, &dead);
	ck_assert(idx != 0);
	ipc_kobject_cancel_dead_name(p, idx, 4);
	ipc_port_destroy(p);
	VAL_EQ(tk.tk_calls, 0);
}
END_TEST

START_TEST(kobject_port_destroyed_request_returns_the_right)
{
	struct ipc_port *p = ipc_port_alloc();

	ck_assert_ptr_nonnull(p);
	KR_OK(ipc_kobject_request_port_destroyed(p, tk_port));
	KR_EQ(ipc_kobject_request_port_destroyed(p, tk_port), KERN_FAILURE);
	ipc_port_destroy(p); /* comes back instead of dying */
	VAL_EQ(tk.tk_last_id, MACH_NOTIFY_PORT_DESTROYED);
	ck_assert_ptr_eq(tk.tk_recv, p);
	ck_assert(ip_active(p));
	ipc_port_destroy(tk.tk_recv); /* now it dies */
	VAL_EQ(tk.tk_calls, 1);
	/* Cancelled: it dies at once. */
	p = ipc_port_alloc();
	ck_assert_ptr_nonnull(p);
	KR_OK(ipc_kobject_request_port_destroyed(p, tk_port));
	ipc_kobject_cancel_port_destroyed(p, tk_port);
	ipc_port_destroy(p);
	VAL_EQ(tk.tk_calls, 1);
}
END_TEST

/* Notifications are believed from the kernel only (bootstrap.c checks
 * IKM_F_KERNEL): a user's forged one arrives without it. */
START_TEST(kobject_forged_notification_is_not_kernel)
{
	KR_EQ(tk_call(MACH_NOTIFY_DEAD_NAME, MACH_PORT_NULL, 0),
	    MACH_MSG_SUCCESS);
	VAL_EQ(tk.tk_last_id, MACH_NOTIFY_DEAD_NAME);
	ck_assert(!(tk.tk_last_flags & IKM_F_KERNEL));
}
END_TEST

static Suite *
kobject_suite(void)
{
	Suite *s = suite_create("kobject");
	TCase *tc = tcase_create("server");
	TCase *nt = tcase_create("requests");

	/* Check runs teardowns last added first: the kobject goes before
	 * the leak check. */
	tcase_add_checked_fixture(tc, NULL, mipc_check_no_leaks);
	tcase_add_checked_fixture(tc, tk_setup, tk_teardown);
	tcase_add_test(tc, kobject_unknown_id_answers_mig_bad_id);
	tcase_add_test(tc, kobject_reply_carries_the_routines_code);
	tcase_add_test(tc, kobject_complex_reply_carries_a_right);
	tcase_add_test(tc, kobject_error_destroys_the_request);
	tcase_add_test(
	    tc, kobject_success_keeps_taken_rights_destroys_the_rest);
	tcase_add_test(tc, kobject_no_reply_sends_nothing);
	tcase_add_test(tc, kobject_no_reply_right_no_reply);
	tcase_add_test(tc, kobject_reply_to_a_dead_port_is_destroyed);
	tcase_add_test(tc, kobject_reply_through_send_right_never_blocks);
	tcase_add_test(tc, kobject_reply_to_a_kobject_is_refused);
	tcase_add_test(tc, kobject_id_overflow_wraps);
	tcase_add_test(tc, kobject_no_memory_answers_resource_shortage);
	tcase_add_test(tc, kobject_dead_kobject_is_a_dead_name);
	tcase_add_test(tc, kobject_forged_notification_is_not_kernel);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(nt, NULL, mipc_check_no_leaks);
	tcase_add_checked_fixture(nt, tk_setup, tk_teardown);
	tcase_add_test(nt, kobject_dead_name_request_served);
	tcase_add_test(nt, kobject_dead_name_request_cancelled);
	tcase_add_test(nt, kobject_port_destroyed_request_returns_the_right);
	suite_add_tcase(s, nt);
	return s;
}

MIPC_TEST_MAIN(kobject_suite)
