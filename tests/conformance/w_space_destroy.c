/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * w_space_destroy.c -- MACH.md area W: tearing a space down
 * (mipc_space_destroy, as task termination does) and calls on a destroyed
 * space.
 *
 * W1 is observed from the other side: send names in surviving spaces turn
 * into dead names (receive rights destroyed), and the receiver's
 * send-right / send-once counts drop (send and send-once rights released).
 * W2 follows port.h: a destroyed space's handle stays valid for calls,
 * which return KERN_INVALID_TASK, while some thread still has it as its
 * current space -- so each W2 test makes the space current first and
 * switches back at the end (after which the handle is gone).
 */
#include "conformance.h"

/* ---- W1 ------------------------------------------------------------------ */

START_TEST(W1_destroy_space_kills_its_receive_rights)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r1 = recv_new(s1);
	mach_port_name_t r2 = recv_new(s1);
	mach_port_name_t ps = conf_alloc(s1, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t n1, n2, so2;

	conf_make_send(s1, r2, 2);
	KR_OK(mipc_port_insert_member(s1, r1, ps));
	conf_alloc(s1, MACH_PORT_RIGHT_DEAD_NAME);
	n1 = conf_give_send(s2, s1, r1, 3);
	n2 = conf_give_send(s2, s1, r2, 1);
	so2 = conf_give_send_once(s2, s1, r2);

	KR_OK(mipc_space_destroy(s1));
	TYPE_EQ(s2, n1, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, n1, MACH_PORT_RIGHT_DEAD_NAME, 3);
	TYPE_EQ(s2, n2, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, n2, MACH_PORT_RIGHT_DEAD_NAME, 1);
	TYPE_EQ(s2, so2, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, so2, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(W1_destroy_space_releases_its_send_rights)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new(), s3 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n3;

	conf_give_send(s2, task, r, 7);
	n3 = conf_give_send(s3, task, r, 1);
	conf_pin(s3, n3, MACH_PORT_RIGHT_SEND);
	ck_assert_uint_eq(srights_of(task, r), 2);
	ck_assert_int_eq(status_of(task, r).mps_srights, 1);

	KR_OK(mipc_space_destroy(s2));
	ck_assert_uint_eq(srights_of(task, r), 1);
	ck_assert_int_eq(status_of(task, r).mps_srights, 1);
	/* A pinned count is still one send right, and it is released. */
	KR_OK(mipc_space_destroy(s3));
	ck_assert_uint_eq(srights_of(task, r), 0);
	ck_assert_int_eq(status_of(task, r).mps_srights, 0);
	/* The port itself lives on. */
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 2);
}
END_TEST

START_TEST(W1_destroy_space_destroys_its_send_once_rights)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);

	conf_give_send_once(s2, task, r);
	conf_give_send_once(s2, task, r);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 2);
	KR_OK(mipc_space_destroy(s2));
	conf_take_send_once_notification(task, r);
	conf_take_send_once_notification(task, r);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 0);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(W1_destroy_space_releases_every_object)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r1 = recv_new(s2);
	mach_port_name_t r2 = recv_new(s2);
	mach_port_name_t ps = conf_alloc(s2, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t dn = conf_alloc(s2, MACH_PORT_RIGHT_DEAD_NAME);
	mach_port_name_t other = recv_new(s1);
	struct mipc_stats st;

	conf_make_send(s2, r1, 3);
	conf_give_send_once(s2, s2, r2);
	KR_OK(mipc_port_insert_member(s2, r1, ps));
	KR_OK(mipc_port_insert_member(s2, r2, ps));
	KR_OK(mipc_port_mod_refs(s2, dn, MACH_PORT_RIGHT_DEAD_NAME, 4));
	/* s2 also holds rights to a port of s1, and s1 to one of s2. */
	conf_give_send(s2, s1, other, 2);
	conf_give_send_once(s2, s1, other);
	conf_give_send(s1, s2, r2, 1);
	KR_OK(mipc_space_destroy(s2));
	KR_OK(mipc_space_destroy(s1));
	/* Nothing survives both spaces: every port and set is freed (but
	 * our own task port: live_ports). */
	ck_assert_msg(live_ports() == 0,
	    "%llu ports live after both spaces died",
	    (unsigned long long)live_ports());
	mipc_get_stats(&st);
	ck_assert_msg(
	    st.psets == 0, "%llu port sets live", (unsigned long long)st.psets);
}
END_TEST

START_TEST(W1_destroy_space_guarded_receive_no_guard_exception)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t g = conf_guarded(s1, 0xc0ffee, 0);
	mach_port_name_t gs = conf_guarded(s1, 0xc0ffef, MPO_STRICT);
	mach_port_name_t n = conf_give_send(s2, s1, g, 1);
	mach_port_name_t ns = conf_give_send(s2, s1, gs, 1);

	guard_reset();
	KR_OK(mipc_space_destroy(s1));
	GUARD_NONE("space destroy with guarded receive rights");
	TYPE_EQ(s2, n, MACH_PORT_TYPE_DEAD_NAME);
	TYPE_EQ(s2, ns, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(W1_destroy_space_holding_rights_to_dead_ports)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);

	conf_give_send(s2, s1, r, 2);
	conf_give_send_once(s2, s1, r);
	conf_kill(s1, r);
	/* s2's names were never converted; teardown must cope. */
	KR_OK(mipc_space_destroy(s2));
	KR_OK(mipc_space_destroy(s1));
}
END_TEST

START_TEST(W1_default_space_reset_releases_rights)
{
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(mipc_thread_space());
	mach_port_name_t n = conf_give_send(s2, mipc_thread_space(), r, 2);
	mach_port_name_t r2 = recv_new(s2);

	conf_give_send(mipc_thread_space(), s2, r2, 1);
	ck_assert_uint_eq(srights_of(s2, r2), 1);
	mipc_default_space_reset();
	TYPE_EQ(s2, n, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, n, MACH_PORT_RIGHT_DEAD_NAME, 2);
	ck_assert_uint_eq(srights_of(s2, r2), 0);
	/* The next use gets a fresh, empty default space. */
	ck_assert_uint_eq(name_count(mipc_thread_space()), 0);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/*
 * W1, issue 12 item 11: the memory a space holds -- regions it received
 * (OOL memory, OOL port arrays), allocated (vm_allocate) or was handed by
 * a query it made (mach_port_names) -- is released with it, as task
 * termination unmaps a task's address space.
 */
START_TEST(W1_destroy_space_releases_its_regions)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b), t = recv_new(task);
	mach_port_name_t s = conf_give_send(task, b, rb, 1);
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t ool;
		mach_msg_ool_ports_descriptor_t ports;
		mach_msg_max_trailer_t t;
	} m;
	static char data[10000];
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t nn = 0, nt = 0;
	vm_address_t a = 0;
	struct mipc_stats st;
	uint64_t ool0;
	mipc_space_t prev;

	mipc_quiesce();
	mipc_get_stats(&st);
	ool0 = st.ool_bytes;
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_remote_port = s;
	m.body.msgh_descriptor_count = 2;
	m.ool.address = data;
	m.ool.size = sizeof(data);
	m.ool.copy = MACH_MSG_PHYSICAL_COPY;
	m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
	m.ports.address = &t;
	m.ports.count = 1;
	m.ports.disposition = MACH_MSG_TYPE_MAKE_SEND;
	m.ports.copy = MACH_MSG_PHYSICAL_COPY;
	m.ports.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m) - sizeof(m.t), 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL));
	memset(&m, 0, sizeof(m));
	KR_OK(mipc_msg(b, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    rb, 0, MACH_PORT_NULL));
	ck_assert_ptr_nonnull(m.ool.address);
	ck_assert_ptr_nonnull(m.ports.address);
	KR_OK(mipc_vm_allocate(b, &a, 3 * 4096, VM_FLAGS_ANYWHERE));
	prev = mipc_thread_set_space(b);
	KR_OK(mipc_port_names(b, &names, &nn, &types, &nt));
	(void)mipc_thread_set_space(prev);
	mipc_get_stats(&st);
	ck_assert_msg(st.ool_bytes > ool0, "no region counted");
	/* None released by hand: destroying b releases them all. */
	KR_OK(mipc_space_destroy(b));
	mipc_quiesce();
	mipc_get_stats(&st);
	VAL_EQ(st.ool_bytes, ool0);
	VAL_EQ(status_of(task, t).mps_srights, 0);
}
END_TEST

/* ---- W2 ------------------------------------------------------------------ */

START_TEST(W2_calls_on_destroyed_space_invalid_task)
{
	mipc_space_t live = space_new();
	mipc_space_t s = space_new();
	mach_port_name_t r = recv_new(s);
	mach_port_name_t ps = conf_alloc(s, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t lr = recv_new(live);
	mach_port_name_t name = MACH_PORT_NULL, poly = MACH_PORT_NULL;
	mach_port_name_t free_name = conf_unused_name(s);
	mach_port_urefs_t refs;
	mach_port_type_t type;
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_port_limits_t lim = { 3 };
	mach_port_rights_t sr;
	mach_port_context_t ctx;
	mach_msg_type_name_t polyPoly;
	mach_port_options_t opts;
	mipc_space_t prev;

	memset(&opts, 0, sizeof(opts));
	prev = mipc_thread_set_space(s);
	ck_assert_ptr_eq(mipc_thread_space(), s);
	KR_OK(mipc_space_destroy(s));
	ck_assert_ptr_eq(mipc_thread_space(), s);

	KR_EQ(mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &name),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_allocate(s, MACH_PORT_RIGHT_PORT_SET, &name),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_allocate(s, MACH_PORT_RIGHT_DEAD_NAME, &name),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_allocate_name(s, MACH_PORT_RIGHT_RECEIVE, free_name),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_construct(s, &opts, 0, &name), KERN_INVALID_TASK);
	KR_EQ(mipc_port_destruct(s, r, 0, 0), KERN_INVALID_TASK);
	KR_EQ(mipc_port_deallocate(s, r), KERN_INVALID_TASK);
	KR_EQ(mipc_port_destroy(s, r), KERN_INVALID_TASK);
	KR_EQ(mipc_port_mod_refs(s, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_get_refs(s, r, MACH_PORT_RIGHT_RECEIVE, &refs),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_type(s, r, &type), KERN_INVALID_TASK);
	KR_EQ(mipc_port_names(s, &names, &ncnt, &types, &tcnt),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_insert_right(
	          s, free_name, live, lr, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_extract_right(
	          s, r, MACH_MSG_TYPE_MAKE_SEND, live, &poly, &polyPoly),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_get_attributes(
	          s, r, MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_set_attributes(s, r, MACH_PORT_LIMITS_INFO,
	          (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_INVALID_TASK);
	KR_EQ(mipc_port_set_mscount(s, r, 1), KERN_INVALID_TASK);
	KR_EQ(mipc_port_set_seqno(s, r, 1), KERN_INVALID_TASK);
	KR_EQ(mipc_port_get_srights(s, r, &sr), KERN_INVALID_TASK);
	KR_EQ(mipc_port_get_context(s, r, &ctx), KERN_INVALID_TASK);
	KR_EQ(mipc_port_set_context(s, r, 5), KERN_INVALID_TASK);
	KR_EQ(mipc_port_guard(s, r, 5, FALSE), KERN_INVALID_TASK);
	KR_EQ(mipc_port_unguard(s, r, 5), KERN_INVALID_TASK);
	KR_EQ(mipc_port_insert_member(s, r, ps), KERN_INVALID_TASK);
	KR_EQ(mipc_port_extract_member(s, r, ps), KERN_INVALID_TASK);
	KR_EQ(mipc_port_move_member(s, r, ps), KERN_INVALID_TASK);
	KR_EQ(
	    mipc_port_get_set_status(s, ps, &names, &ncnt), KERN_INVALID_TASK);

	ck_assert_ptr_eq(mipc_thread_set_space(prev), s);
	/* A right copied in for the failed insert was destroyed again. */
	TYPE_EQ(live, lr, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(srights_of(live, lr), 0);
	ck_assert_uint_eq(name_count(live), 1);
	KR_OK(mipc_space_destroy(live));
}
END_TEST

START_TEST(W2_destroyed_space_mach_task_self_calls)
{
	mipc_space_t s = space_new();
	mipc_space_t prev = mipc_thread_set_space(s);
	mach_port_name_t r = MACH_PORT_NULL;

	/* Code written for Mach: everything goes through mach_task_self(). */
	KR_OK(
	    mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &r));
	KR_OK(mipc_space_destroy(mipc_thread_space()));
	KR_EQ(mach_port_insert_right(
	          mach_task_self(), r, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_INVALID_TASK);
	KR_EQ(mach_port_mod_refs(
	          mach_task_self(), r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_TASK);
	mipc_thread_set_space(prev);
}
END_TEST

START_TEST(W2_space_destroy_twice_invalid_task)
{
	mipc_space_t s = space_new();
	mipc_space_t prev = mipc_thread_set_space(s);

	KR_OK(mipc_space_destroy(s));
	KR_EQ(mipc_space_destroy(s), KERN_INVALID_TASK);
	mipc_thread_set_space(prev);
}
END_TEST

static Suite *
w_space_destroy_suite(void)
{
	Suite *s = suite_create("W_space_destroy");
	TCase *tc = conf_tcase("W");

	tcase_add_test(tc, W1_destroy_space_kills_its_receive_rights);
	tcase_add_test(tc, W1_destroy_space_releases_its_send_rights);
	tcase_add_test(tc, W1_destroy_space_destroys_its_send_once_rights);
	tcase_add_test(tc, W1_destroy_space_releases_every_object);
	tcase_add_test(tc, W1_destroy_space_guarded_receive_no_guard_exception);
	tcase_add_test(tc, W1_destroy_space_holding_rights_to_dead_ports);
	tcase_add_test(tc, W1_default_space_reset_releases_rights);
	tcase_add_test(tc, W1_destroy_space_releases_its_regions);
	tcase_add_test(tc, W2_calls_on_destroyed_space_invalid_task);
	tcase_add_test(tc, W2_destroyed_space_mach_task_self_calls);
	tcase_add_test(tc, W2_space_destroy_twice_invalid_task);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(w_space_destroy_suite)

/*
 * Deferred to the messages / notifications issues:
 *   W1 port-destroyed requests honoured when the receive rights die; the
 *      NO_SENDERS sent when a released send right was the last (only if
 *      the notify port is alive); MACH_NOTIFY_SEND_ONCE for each destroyed
 *      send-once right; the space's own dead-name requests cancelled with
 *      PORT_DELETED.
 *   W2 MACH_SEND_INVALID_DEST (send copy-in) and
 *      MACH_RCV_HEADER_ERROR|MACH_MSG_IPC_SPACE (receive copy-out) on a
 *      dead space: mach_msg.
 */
