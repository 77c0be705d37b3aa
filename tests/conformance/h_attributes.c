/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * h_attributes.c -- MACH.md area H: mach_port_get/set_attributes, queue
 * limit, make-send count, sequence number, send-right count, context.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<call>_<case>.  Everything here is read back
 * through mach_port_get_attributes (LIMITS_INFO, RECEIVE_STATUS,
 * DNREQUESTS_SIZE, INFO_EXT), mach_port_get_srights and
 * mach_port_get_context; nothing needs a message.
 */
#include "conformance.h"

#include "guard_page.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BUFN     32 /* integer_t words: more than any flavor's count */

/* Names of every kind but a receive right, for "not a receive" cases. */
struct others {
	mipc_space_t o_b;      /* holds the receive right behind o_send */
	mach_port_name_t o_rb; /* that receive right, in o_b */
	mach_port_name_t o_send;
	mach_port_name_t o_sonce;
	mach_port_name_t o_pset;
	mach_port_name_t o_dead;
	mach_port_name_t o_r; /* receive right behind o_sonce */
};

static void
others_make(mipc_space_t task, struct others *o)
{
	o->o_b = space_new();
	o->o_rb = recv_new(o->o_b);
	o->o_send = send_in(task, o->o_b, o->o_rb);
	o->o_r = recv_new(task);
	o->o_sonce = sonce_in(task, o->o_r);
	o->o_pset = pset_new(task);
	o->o_dead = dead_new(task);
}

static void
others_names(const struct others *o, mach_port_name_t out[4])
{
	out[0] = o->o_send;
	out[1] = o->o_sonce;
	out[2] = o->o_pset;
	out[3] = o->o_dead;
}

static void
others_done(struct others *o)
{
	KR_EQ(mipc_space_destroy(o->o_b), KERN_SUCCESS);
}

static kern_return_t
get_attr(mipc_space_t sp, mach_port_name_t n, mach_port_flavor_t flavor,
    integer_t *buf, mach_msg_type_number_t *cnt)
{
	return mipc_port_get_attributes(sp, n, flavor, buf, cnt);
}

static mach_port_msgcount_t
dnrequests_size(mipc_space_t sp, mach_port_name_t n)
{
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;

	buf[0] = 0x7777;
	KR_EQ(get_attr(sp, n, MACH_PORT_DNREQUESTS_SIZE, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_DNREQUESTS_SIZE_COUNT);
	return (mach_port_msgcount_t)buf[0];
}

static kern_return_t
set_flavor(mipc_space_t sp, mach_port_name_t n, mach_port_flavor_t flavor)
{
	integer_t v = 1;

	return mipc_port_set_attributes(sp, n, flavor, &v, 1);
}

/* ---- H1: LIMITS_INFO ---------------------------------------------------- */

START_TEST(H1_limits_info_count_zero_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = 0;

	KR_EQ(
	    mipc_port_get_attributes(task, r, MACH_PORT_LIMITS_INFO, buf, &cnt),
	    KERN_FAILURE);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H1_limits_info_null_dead_zero_count)
{
	mipc_space_t task = mipc_thread_space();
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;

	KR_EQ(mipc_port_get_attributes(
	          task, MACH_PORT_NULL, MACH_PORT_LIMITS_INFO, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, 0);
	cnt = MACH_PORT_LIMITS_INFO_COUNT;
	KR_EQ(mipc_port_get_attributes(
	          task, MACH_PORT_DEAD, MACH_PORT_LIMITS_INFO, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H1_limits_info_not_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++) {
		cnt = MACH_PORT_LIMITS_INFO_COUNT;
		KR_EQ(mipc_port_get_attributes(
		          task, names[i], MACH_PORT_LIMITS_INFO, buf, &cnt),
		    KERN_INVALID_RIGHT);
	}
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(H1_limits_info_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;

	KR_EQ(mipc_port_get_attributes(
	          task, unknown, MACH_PORT_LIMITS_INFO, buf, &cnt),
	    KERN_INVALID_NAME);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H1_limits_info_default_qlimit)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;

	KR_EQ(
	    mipc_port_get_attributes(task, r, MACH_PORT_LIMITS_INFO, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, 1);
	VAL_EQ(buf[0], MACH_PORT_QLIMIT_DEFAULT);
	/* A larger count comes back as the flavor's own. */
	cnt = BUFN;
	KR_EQ(
	    mipc_port_get_attributes(task, r, MACH_PORT_LIMITS_INFO, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_LIMITS_INFO_COUNT);
	VAL_EQ(buf[0], 5);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- H2: RECEIVE_STATUS ------------------------------------------------- */

START_TEST(H2_receive_status_count_too_small_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT - 1;

	KR_EQ(mipc_port_get_attributes(
	          task, r, MACH_PORT_RECEIVE_STATUS, buf, &cnt),
	    KERN_FAILURE);
	cnt = 0;
	KR_EQ(mipc_port_get_attributes(
	          task, r, MACH_PORT_RECEIVE_STATUS, buf, &cnt),
	    KERN_FAILURE);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H2_receive_status_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	KR_EQ(mipc_port_get_attributes(
	          task, MACH_PORT_NULL, MACH_PORT_RECEIVE_STATUS, buf, &cnt),
	    KERN_INVALID_RIGHT);
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_EQ(mipc_port_get_attributes(
	          task, MACH_PORT_DEAD, MACH_PORT_RECEIVE_STATUS, buf, &cnt),
	    KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H2_receive_status_not_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	mach_port_name_t unknown;
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++) {
		cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		KR_EQ(mipc_port_get_attributes(
		          task, names[i], MACH_PORT_RECEIVE_STATUS, buf, &cnt),
		    KERN_INVALID_RIGHT);
	}
	unknown = free_name(task);
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_EQ(mipc_port_get_attributes(
	          task, unknown, MACH_PORT_RECEIVE_STATUS, buf, &cnt),
	    KERN_INVALID_NAME);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(H2_receive_status_fresh_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st = status_of(task, r);

	VAL_EQ(st.mps_pset, 0);
	VAL_EQ(st.mps_seqno, 0);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(st.mps_msgcount, 0);
	VAL_EQ(st.mps_sorights, 0);
	VAL_EQ(st.mps_srights, 0);
	VAL_EQ(st.mps_pdrequest, 0);
	VAL_EQ(st.mps_nsrequest, 0);
	VAL_EQ(st.mps_flags, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H2_receive_status_count_clamped)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = BUFN;

	KR_EQ(mipc_port_get_attributes(
	          task, r, MACH_PORT_RECEIVE_STATUS, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_RECEIVE_STATUS_COUNT);
	VAL_EQ(((mach_port_status_t *)(void *)buf)->mps_qlimit, 5);
}
END_TEST

START_TEST(H2_receive_status_send_counts)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st;

	make_send(task, r);
	make_send(task, r);
	(void)sonce_in(task, r);
	(void)sonce_in(task, r);
	(void)sonce_in(task, r);
	st = status_of(task, r);
	VAL_EQ(st.mps_mscount, 2);
	VAL_EQ(st.mps_srights, 1); /* a boolean: one name, two urefs */
	VAL_EQ(st.mps_sorights, 3);
	VAL_EQ(st.mps_pdrequest, 0);
	VAL_EQ(st.mps_nsrequest, 0);
	VAL_EQ(st.mps_msgcount, 0);
}
END_TEST

START_TEST(H2_receive_status_srights_anywhere)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = send_in(b, task, r);

	/* The only send right is in another space. */
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_srights, 1);
	KR_EQ(mipc_port_deallocate(b, s), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_srights, 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(H2_get_attributes_null_out_pointers_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	KR_FAILS(mipc_port_get_attributes(
	    task, r, MACH_PORT_RECEIVE_STATUS, NULL, &cnt));
	KR_FAILS(mipc_port_get_attributes(
	    task, r, MACH_PORT_RECEIVE_STATUS, buf, NULL));
	KR_FAILS(mipc_port_get_attributes(
	    task, r, MACH_PORT_LIMITS_INFO, buf, NULL));
}
END_TEST

/* ---- H3: DNREQUESTS_SIZE, INFO_EXT, unknown flavors ---------------------- */

START_TEST(H3_dnrequests_size_count_zero_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = 0;

	KR_EQ(mipc_port_get_attributes(
	          task, r, MACH_PORT_DNREQUESTS_SIZE, buf, &cnt),
	    KERN_FAILURE);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H3_dnrequests_size_null_dead_zero)
{
	mipc_space_t task = mipc_thread_space();
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;

	buf[0] = 0x7777;
	KR_EQ(mipc_port_get_attributes(
	          task, MACH_PORT_NULL, MACH_PORT_DNREQUESTS_SIZE, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(buf[0], 0);
	buf[0] = 0x7777;
	cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;
	KR_EQ(mipc_port_get_attributes(
	          task, MACH_PORT_DEAD, MACH_PORT_DNREQUESTS_SIZE, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(buf[0], 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H3_dnrequests_size_zero_before_requests)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);

	VAL_EQ(dnrequests_size(task, r), 0);
	/* Send and send-once rights make no request table. */
	make_send(task, r);
	(void)send_in(b, task, r);
	(void)sonce_in(task, r);
	VAL_EQ(dnrequests_size(task, r), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(H3_dnrequests_size_not_receive_fails)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++) {
		cnt = MACH_PORT_DNREQUESTS_SIZE_COUNT;
		KR_FAILS(mipc_port_get_attributes(
		    task, names[i], MACH_PORT_DNREQUESTS_SIZE, buf, &cnt));
	}
	others_done(&o);
}
END_TEST

START_TEST(H3_info_ext_count_too_small_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_INFO_EXT_COUNT - 1;

	KR_EQ(mipc_port_get_attributes(task, r, MACH_PORT_INFO_EXT, buf, &cnt),
	    KERN_FAILURE);
	cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	KR_EQ(mipc_port_get_attributes(task, r, MACH_PORT_INFO_EXT, buf, &cnt),
	    KERN_FAILURE);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H3_info_ext_status_and_boost)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_info_ext_t ext;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_INFO_EXT_COUNT;

	make_send(task, r);
	(void)sonce_in(task, r);
	KR_EQ(mipc_port_set_seqno(task, r, 21), KERN_SUCCESS);
	set_qlimit(task, r, 12);
	memset(&ext, 0xa5, sizeof(ext));
	KR_EQ(mipc_port_get_attributes(task, r, MACH_PORT_INFO_EXT,
	          (mach_port_info_t)(void *)&ext, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_INFO_EXT_COUNT);
	st = status_of(task, r);
	VAL_EQ(ext.mpie_status.mps_pset, st.mps_pset);
	VAL_EQ(ext.mpie_status.mps_seqno, 21);
	VAL_EQ(ext.mpie_status.mps_mscount, 1);
	VAL_EQ(ext.mpie_status.mps_qlimit, 12);
	VAL_EQ(ext.mpie_status.mps_msgcount, 0);
	VAL_EQ(ext.mpie_status.mps_sorights, 1);
	VAL_EQ(ext.mpie_status.mps_srights, 1);
	VAL_EQ(ext.mpie_status.mps_pdrequest, 0);
	VAL_EQ(ext.mpie_status.mps_nsrequest, 0);
	VAL_EQ(ext.mpie_status.mps_flags, st.mps_flags);
	VAL_EQ(ext.mpie_boost_cnt, 0);
}
END_TEST

START_TEST(H3_info_ext_count_clamped)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = BUFN;

	KR_EQ(mipc_port_get_attributes(task, r, MACH_PORT_INFO_EXT, buf, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_INFO_EXT_COUNT);
}
END_TEST

START_TEST(H3_get_attributes_unknown_flavor_invalid_argument)
{
	static const mach_port_flavor_t bad[] = { 0, 10, 99, -1, 0x7fffffff };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		cnt = MACH_PORT_INFO_EXT_COUNT;
		KR_EQ(mipc_port_get_attributes(task, r, bad[i], buf, &cnt),
		    KERN_INVALID_ARGUMENT);
	}
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H3_get_attributes_guard_info_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x31);
	integer_t buf[BUFN];
	mach_msg_type_number_t cnt = MACH_PORT_GUARD_INFO_COUNT;

	KR_EQ(
	    mipc_port_get_attributes(task, r, MACH_PORT_GUARD_INFO, buf, &cnt),
	    KERN_INVALID_ARGUMENT);
	cnt = MACH_PORT_INFO_EXT_COUNT;
	KR_EQ(
	    mipc_port_get_attributes(task, r, MACH_PORT_GUARD_INFO, buf, &cnt),
	    KERN_INVALID_ARGUMENT);
	expect_no_fatal_guard();
}
END_TEST

/* ---- H4: set LIMITS_INFO ------------------------------------------------- */

START_TEST(H4_set_limits_count_zero_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_limits_t l = { 9 };

	KR_EQ(mipc_port_set_attributes(task, r, MACH_PORT_LIMITS_INFO,
	          (mach_port_info_t)(void *)&l, 0),
	    KERN_FAILURE);
	VAL_EQ(qlimit_of(task, r), 5);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H4_set_limits_above_max_invalid_value)
{
	static const mach_port_msgcount_t bad[] = { MACH_PORT_QLIMIT_MAX + 1,
		MACH_PORT_QLIMIT_KERNEL, 0xffffffffu };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t unknown = free_name(task);
	mach_port_limits_t l;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		l.mpl_qlimit = bad[i];
		KR_EQ(mipc_port_set_attributes(task, r, MACH_PORT_LIMITS_INFO,
		          (mach_port_info_t)(void *)&l,
		          MACH_PORT_LIMITS_INFO_COUNT),
		    KERN_INVALID_VALUE);
		/* Checked before the name is looked at. */
		KR_EQ(mipc_port_set_attributes(task, unknown,
		          MACH_PORT_LIMITS_INFO, (mach_port_info_t)(void *)&l,
		          MACH_PORT_LIMITS_INFO_COUNT),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_set_attributes(task, MACH_PORT_NULL,
		          MACH_PORT_LIMITS_INFO, (mach_port_info_t)(void *)&l,
		          MACH_PORT_LIMITS_INFO_COUNT),
		    KERN_INVALID_VALUE);
	}
	VAL_EQ(qlimit_of(task, r), 5);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H4_set_limits_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_limits_t l = { 3 };

	KR_EQ(mipc_port_set_attributes(task, MACH_PORT_NULL,
	          MACH_PORT_LIMITS_INFO, (mach_port_info_t)(void *)&l,
	          MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_set_attributes(task, MACH_PORT_DEAD,
	          MACH_PORT_LIMITS_INFO, (mach_port_info_t)(void *)&l,
	          MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H4_set_limits_not_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	mach_port_limits_t l = { 3 };
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++)
		KR_EQ(mipc_port_set_attributes(task, names[i],
		          MACH_PORT_LIMITS_INFO, (mach_port_info_t)(void *)&l,
		          MACH_PORT_LIMITS_INFO_COUNT),
		    KERN_INVALID_RIGHT);
	VAL_EQ(qlimit_of(o.o_b, o.o_rb), 5);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(H4_set_limits_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_limits_t l = { 3 };

	KR_EQ(mipc_port_set_attributes(task, unknown, MACH_PORT_LIMITS_INFO,
	          (mach_port_info_t)(void *)&l, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_INVALID_NAME);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H4_set_limits_zero_accepted)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	set_qlimit(task, r, MACH_PORT_QLIMIT_ZERO);
	VAL_EQ(qlimit_of(task, r), 0);
	VAL_EQ(status_of(task, r).mps_qlimit, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H4_set_limits_max_accepted)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	set_qlimit(task, r, MACH_PORT_QLIMIT_MAX);
	VAL_EQ(qlimit_of(task, r), 1024);
	VAL_EQ(status_of(task, r).mps_qlimit, 1024);
}
END_TEST

START_TEST(H4_set_limits_values)
{
	static const mach_port_msgcount_t q[] = { 1, 16, 1023, 0, 5 };
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(b);
	size_t i;

	for (i = 0; i < NELEM(q); i++) {
		set_qlimit(b, r, q[i]);
		VAL_EQ(qlimit_of(b, r), q[i]);
		VAL_EQ(status_of(b, r).mps_qlimit, q[i]);
	}
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- H6: the other settable flavors ------------------------------------ */

START_TEST(H6_set_dnrequests_size_no_effect)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t v = 64;

	KR_EQ(mipc_port_set_attributes(task, r, MACH_PORT_DNREQUESTS_SIZE, &v,
	          MACH_PORT_DNREQUESTS_SIZE_COUNT),
	    KERN_SUCCESS);
	VAL_EQ(dnrequests_size(task, r), 0);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H6_set_dnrequests_size_needs_receive)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	integer_t v = 64;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++)
		KR_FAILS(mipc_port_set_attributes(task, names[i],
		    MACH_PORT_DNREQUESTS_SIZE, &v,
		    MACH_PORT_DNREQUESTS_SIZE_COUNT));
	others_done(&o);
}
END_TEST

START_TEST(H6_set_tempowner_sets_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(set_flavor(task, r, MACH_PORT_TEMPOWNER), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_TEMPOWNER |
	        MACH_PORT_STATUS_FLAG_IMP_DONATION);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H6_set_importance_receiver_sets_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(set_flavor(task, r, MACH_PORT_IMPORTANCE_RECEIVER), KERN_SUCCESS);
	VAL_EQ(
	    status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_IMP_DONATION);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H6_set_denap_receiver_sets_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(set_flavor(task, r, MACH_PORT_DENAP_RECEIVER), KERN_SUCCESS);
	VAL_EQ(
	    status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_IMP_DONATION);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H6_set_importance_flavors_need_receive)
{
	static const mach_port_flavor_t fl[] = { MACH_PORT_TEMPOWNER,
		MACH_PORT_IMPORTANCE_RECEIVER, MACH_PORT_DENAP_RECEIVER };
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	size_t i, j;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(fl); i++)
		for (j = 0; j < NELEM(names); j++)
			KR_FAILS(set_flavor(task, names[j], fl[i]));
	VAL_EQ(status_of(o.o_b, o.o_rb).mps_flags, 0);
	others_done(&o);
}
END_TEST

START_TEST(H6_set_attributes_other_flavors_invalid_argument)
{
	static const mach_port_flavor_t bad[] = { MACH_PORT_RECEIVE_STATUS,
		MACH_PORT_INFO_EXT, MACH_PORT_GUARD_INFO, 0, 99, -1 };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t buf[BUFN];
	size_t i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < NELEM(bad); i++)
		KR_EQ(mipc_port_set_attributes(
		          task, r, bad[i], buf, MACH_PORT_INFO_EXT_COUNT),
		    KERN_INVALID_ARGUMENT);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	VAL_EQ(qlimit_of(task, r), 5);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H6_set_service_throttled_non_service_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	integer_t v = 1;

	KR_EQ(mipc_port_set_attributes(task, r, MACH_PORT_SERVICE_THROTTLED, &v,
	          MACH_PORT_SERVICE_THROTTLED_COUNT),
	    KERN_INVALID_CAPABILITY);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	expect_no_fatal_guard();
}
END_TEST

/* ---- H7: the queue limit at creation ------------------------------------ */

START_TEST(H7_new_port_default_qlimit)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = recv_new(task);
	mach_port_name_t c = construct_new(task, 0, 0);
	mach_port_name_t g = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	VAL_EQ(qlimit_of(task, a), MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(qlimit_of(task, c), MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(qlimit_of(task, g), MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(status_of(task, a).mps_qlimit, 5);
}
END_TEST

START_TEST(H7_construct_qlimit_sets_limit)
{
	static const mach_port_msgcount_t q[] = { 0, 1, 16, 1024 };
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n;
	size_t i;

	for (i = 0; i < NELEM(q); i++) {
		memset(&opts, 0, sizeof(opts));
		opts.flags = MPO_QLIMIT;
		opts.mpl.mpl_qlimit = q[i];
		n = MACH_PORT_NULL;
		KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_SUCCESS);
		VAL_EQ(qlimit_of(task, n), q[i]);
		VAL_EQ(status_of(task, n).mps_qlimit, q[i]);
	}
}
END_TEST

START_TEST(H7_construct_qlimit_above_max_no_port)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_QLIMIT;
	opts.mpl.mpl_qlimit = MACH_PORT_QLIMIT_MAX + 1;
	KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_INVALID_VALUE);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(H7_construct_qlimit_ignored_without_flag)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.mpl.mpl_qlimit = 9;
	KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_SUCCESS);
	VAL_EQ(qlimit_of(task, n), MACH_PORT_QLIMIT_DEFAULT);
}
END_TEST

/* ---- H8: the make-send count -------------------------------------------- */

START_TEST(H8_mscount_starts_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = recv_new(task);
	mach_port_name_t c = construct_new(task, 0, 0);

	VAL_EQ(status_of(task, a).mps_mscount, 0);
	VAL_EQ(status_of(task, c).mps_mscount, 0);
}
END_TEST

START_TEST(H8_mscount_insert_send_right_construct)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 1);
}
END_TEST

START_TEST(H8_mscount_counts_make_send)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	make_send(task, r);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 2);
	(void)send_in(b, task, r);
	VAL_EQ(status_of(task, r).mps_mscount, 3);
	KR_EQ(mipc_port_extract_right(
	          task, r, MACH_MSG_TYPE_MAKE_SEND, b, &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 4);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(H8_mscount_unchanged_by_copy_move_send_once)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly;
	mach_msg_type_name_t pt;

	make_send(task, r);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_COPY_SEND),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_COPY_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_SEND,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	(void)sonce_in(task, r);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 3);
}
END_TEST

START_TEST(H8_set_mscount)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_set_mscount(task, r, 42), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 42);
	/* Setting it creates no send right. */
	VAL_EQ(srights_of(task, r), 0);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	make_send(task, r);
	VAL_EQ(status_of(task, r).mps_mscount, 43);
	KR_EQ(mipc_port_set_mscount(task, r, 0), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 0);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_port_set_mscount(task, r, 0xffffffffu), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_mscount, 0xffffffffu);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H8_set_mscount_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();

	KR_EQ(
	    mipc_port_set_mscount(task, MACH_PORT_NULL, 1), KERN_INVALID_RIGHT);
	KR_EQ(
	    mipc_port_set_mscount(task, MACH_PORT_DEAD, 1), KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H8_set_mscount_non_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++)
		KR_EQ(mipc_port_set_mscount(task, names[i], 7),
		    KERN_INVALID_RIGHT);
	/* Not through o_send to the port behind it. */
	VAL_EQ(status_of(o.o_b, o.o_rb).mps_mscount, 1);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(H8_mscount_reset_on_move)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t pt;

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_extract_right(
	          task, r, MACH_MSG_TYPE_MOVE_RECEIVE, b, &n, &pt),
	    KERN_SUCCESS);
	VAL_EQ(status_of(b, n).mps_mscount, 0);
	/* The send right that stayed behind is still counted. */
	VAL_EQ(srights_of(b, n), 1);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- H9: the send-right count ------------------------------------------- */

START_TEST(H9_srights_one_per_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t a = space_new();
	mipc_space_t c = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t sa, sc;

	VAL_EQ(srights_of(task, r), 0);
	make_send(task, r);
	make_send(task, r);
	make_send(task, r);
	VAL_EQ(srights_of(task, r), 1);
	sa = send_in(a, task, r);
	VAL_EQ(srights_of(task, r), 2);
	/* Another send right into a merges with sa. */
	KR_EQ(mipc_port_insert_right(a, sa, task, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_insert_right(a, sa, task, r, MACH_MSG_TYPE_COPY_SEND),
	    KERN_SUCCESS);
	VAL_EQ(refs_of(a, sa, MACH_PORT_RIGHT_SEND), 3);
	VAL_EQ(srights_of(task, r), 2);
	sc = send_in(c, task, r);
	VAL_EQ(srights_of(task, r), 3);
	VAL_EQ(status_of(task, r).mps_srights, 1);
	KR_EQ(
	    mipc_port_mod_refs(a, sa, MACH_PORT_RIGHT_SEND, -3), KERN_SUCCESS);
	VAL_EQ(srights_of(task, r), 2);
	KR_EQ(mipc_port_deallocate(c, sc), KERN_SUCCESS);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	KR_EQ(mipc_space_destroy(c), KERN_SUCCESS);
}
END_TEST

START_TEST(H9_srights_last_uref_drop)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_deallocate(task, r), KERN_SUCCESS);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_port_deallocate(task, r), KERN_SUCCESS);
	VAL_EQ(srights_of(task, r), 0);
	VAL_EQ(status_of(task, r).mps_srights, 0);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(H9_srights_space_destroy_releases)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t a = space_new();
	mach_port_name_t r = recv_new(task);

	(void)send_in(a, task, r);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_space_destroy(a), KERN_SUCCESS);
	VAL_EQ(srights_of(task, r), 0);
	VAL_EQ(status_of(task, r).mps_srights, 0);
}
END_TEST

/* ---- H10: mach_port_set_seqno ------------------------------------------- */

START_TEST(H10_set_seqno)
{
	static const mach_port_seqno_t v[] = { 77, 0, 1, 0xffffffffu };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	size_t i;

	for (i = 0; i < NELEM(v); i++) {
		KR_EQ(mipc_port_set_seqno(task, r, v[i]), KERN_SUCCESS);
		VAL_EQ(status_of(task, r).mps_seqno, v[i]);
	}
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H10_set_seqno_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();

	KR_EQ(mipc_port_set_seqno(task, MACH_PORT_NULL, 1), KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_set_seqno(task, MACH_PORT_DEAD, 1), KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H10_set_seqno_non_receive_fails)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	mach_port_name_t unknown;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++)
		KR_FAILS(mipc_port_set_seqno(task, names[i], 8));
	unknown = free_name(task);
	KR_FAILS(mipc_port_set_seqno(task, unknown, 8));
	VAL_EQ(status_of(o.o_b, o.o_rb).mps_seqno, 0);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

/* ---- H11: context -------------------------------------------------------- */

START_TEST(H11_context_starts_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	VAL_EQ(ctx_of(task, r), 0);
}
END_TEST

START_TEST(H11_context_roundtrip)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_set_context(task, r, 0x1122334455667788ull),
	    KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0x1122334455667788ull);
	KR_EQ(mipc_port_set_context(task, r, 0xffffffffffffffffull),
	    KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0xffffffffffffffffull);
	KR_EQ(mipc_port_set_context(task, r, 0), KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0);
	/* A context is not a guard. */
	VAL_EQ(status_of(task, r).mps_flags, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H11_context_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_context_t c = 0;

	KR_EQ(mipc_port_get_context(task, MACH_PORT_NULL, &c),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_get_context(task, MACH_PORT_DEAD, &c),
	    KERN_INVALID_RIGHT);
	KR_EQ(
	    mipc_port_set_context(task, MACH_PORT_NULL, 1), KERN_INVALID_RIGHT);
	KR_EQ(
	    mipc_port_set_context(task, MACH_PORT_DEAD, 1), KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H11_context_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_context_t c = 0;

	KR_EQ(mipc_port_get_context(task, unknown, &c), KERN_INVALID_NAME);
	KR_EQ(mipc_port_set_context(task, unknown, 1), KERN_INVALID_NAME);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(H11_context_other_right_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	mach_port_context_t c = 0;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++) {
		KR_EQ(mipc_port_get_context(task, names[i], &c),
		    KERN_INVALID_RIGHT);
		KR_EQ(mipc_port_set_context(task, names[i], 5),
		    KERN_INVALID_RIGHT);
	}
	VAL_EQ(ctx_of(o.o_b, o.o_rb), 0);
	VAL_EQ(ctx_of(task, o.o_r), 0);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(H11_get_context_strict_guard_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t c =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x4444);

	KR_EQ(mipc_port_guard(task, r, 0x3333, TRUE), KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0);
	VAL_EQ(ctx_of(task, c), 0);
	/* A non-strict guard reads back. */
	KR_EQ(mipc_port_unguard(task, r, 0x3333), KERN_SUCCESS);
	KR_EQ(mipc_port_guard(task, r, 0x3333, FALSE), KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0x3333);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H11_set_context_strict_guard_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0x5151, TRUE), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_set_context(task, r, 0x6262), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_SET_CONTEXT, r);
	/* The guard value did not change. */
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0x5151), KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(H11_set_context_guarded_replaces_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0x1010, FALSE), KERN_SUCCESS);
	KR_EQ(mipc_port_set_context(task, r, 0x2020), KERN_SUCCESS);
	GUARD_NONE(__func__);
	VAL_EQ(ctx_of(task, r), 0x2020);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0x1010), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0x2020), KERN_SUCCESS);
	GUARD_NONE(__func__);
	VAL_EQ(status_of(task, r).mps_flags, 0);
}
END_TEST

START_TEST(H11_context_cleared_on_move)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t pt;

	KR_EQ(mipc_port_set_context(task, r, 0xabcdef), KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(
	          task, r, MACH_MSG_TYPE_MOVE_RECEIVE, b, &n, &pt),
	    KERN_SUCCESS);
	VAL_EQ(ctx_of(b, n), 0);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(H11_get_context_null_out_fails)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_FAILS(mipc_port_get_context(task, r, NULL));
}
END_TEST

/* ---- H12: mach_port_get_srights ----------------------------------------- */

START_TEST(H12_get_srights_counts)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s;

	VAL_EQ(srights_of(task, r), 0);
	(void)sonce_in(task, r); /* send-once rights are not counted */
	VAL_EQ(srights_of(task, r), 0);
	make_send(task, r);
	VAL_EQ(srights_of(task, r), 1);
	s = send_in(b, task, r);
	VAL_EQ(srights_of(task, r), 2);
	KR_EQ(mipc_port_deallocate(b, s), KERN_SUCCESS);
	VAL_EQ(srights_of(task, r), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(H12_get_srights_non_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t names[4];
	mach_port_rights_t n = 0;
	size_t i;

	others_make(task, &o);
	others_names(&o, names);
	for (i = 0; i < NELEM(names); i++)
		KR_EQ(mipc_port_get_srights(task, names[i], &n),
		    KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(H12_get_srights_bad_names_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);
	mach_port_name_t r = recv_new(task);
	mach_port_rights_t n = 0;

	KR_FAILS(mipc_port_get_srights(task, MACH_PORT_NULL, &n));
	KR_FAILS(mipc_port_get_srights(task, MACH_PORT_DEAD, &n));
	KR_FAILS(mipc_port_get_srights(task, unknown, &n));
	KR_FAILS(mipc_port_get_srights(task, r, NULL));
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

/* ---- issue 12: out-parameters at a guard page ----------------------------- */

/*
 * Every out-parameter of the attribute and query calls, in a buffer of
 * exactly its size ending at a PROT_NONE page: each call writes its count
 * of integers and not a byte more (and reads nothing past it).
 */
START_TEST(H3_out_params_written_within_count_at_guard_page)
{
	static const struct {
		mach_port_flavor_t flavor;
		mach_msg_type_number_t count;
	} fl[] = {
		{ MACH_PORT_LIMITS_INFO, MACH_PORT_LIMITS_INFO_COUNT },
		{ MACH_PORT_RECEIVE_STATUS, MACH_PORT_RECEIVE_STATUS_COUNT },
		{ MACH_PORT_DNREQUESTS_SIZE, MACH_PORT_DNREQUESTS_SIZE_COUNT },
		{ MACH_PORT_INFO_EXT, MACH_PORT_INFO_EXT_COUNT },
	};
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	size_t i;

	make_send(task, r);
	for (i = 0; i < NELEM(fl); i++) {
		size_t len = fl[i].count * sizeof(integer_t);
		mach_port_info_t info = guard_tail(len);
		mach_msg_type_number_t *cnt = guard_tail(sizeof(*cnt));

		*cnt = fl[i].count;
		KR_OK(
		    mipc_port_get_attributes(task, r, fl[i].flavor, info, cnt));
		VAL_EQ(*cnt, fl[i].count);
		guard_free(info);
		guard_free(cnt);
	}
	{
		mach_port_type_t *t = guard_tail(sizeof(*t));
		mach_port_urefs_t *u = guard_tail(sizeof(*u));
		mach_port_context_t *c = guard_tail(sizeof(*c));
		mach_port_rights_t *sr = guard_tail(sizeof(*sr));
		mach_port_name_array_t *na = guard_tail(sizeof(*na));
		mach_port_type_array_t *ta = guard_tail(sizeof(*ta));
		mach_msg_type_number_t *nc = guard_tail(sizeof(*nc));
		mach_msg_type_number_t *tc = guard_tail(sizeof(*tc));

		KR_OK(mipc_port_type(task, r, t));
		VAL_EQ(*t, MACH_PORT_TYPE_SEND_RECEIVE);
		KR_OK(mipc_port_get_refs(task, r, MACH_PORT_RIGHT_SEND, u));
		VAL_EQ(*u, 1);
		KR_OK(mipc_port_get_context(task, r, c));
		KR_OK(mipc_port_get_srights(task, r, sr));
		VAL_EQ(*sr, 1);
		/* r, and the task's own name (made now if it was not). */
		(void)conf_self_name(task);
		KR_OK(mipc_port_names(task, na, nc, ta, tc));
		VAL_EQ(*nc, 2);
		VAL_EQ(*tc, 2);
		KR_OK(mipc_vm_deallocate(
		    task, (vm_address_t)*na, 2 * sizeof(**na)));
		KR_OK(mipc_vm_deallocate(
		    task, (vm_address_t)*ta, 2 * sizeof(**ta)));
		guard_free(t);
		guard_free(u);
		guard_free(c);
		guard_free(sr);
		guard_free(na);
		guard_free(ta);
		guard_free(nc);
		guard_free(tc);
	}
	expect_no_fatal_guard();
}
END_TEST

static Suite *
h_attributes_suite(void)
{
	Suite *s = suite_create("H_attributes");
	TCase *tc;

	tc = conf_tcase("H1_H3_get_attributes");
	tcase_add_test(tc, H1_limits_info_count_zero_failure);
	tcase_add_test(tc, H1_limits_info_null_dead_zero_count);
	tcase_add_test(tc, H1_limits_info_not_receive_invalid_right);
	tcase_add_test(tc, H1_limits_info_unknown_invalid_name);
	tcase_add_test(tc, H1_limits_info_default_qlimit);
	tcase_add_test(tc, H2_receive_status_count_too_small_failure);
	tcase_add_test(tc, H2_receive_status_null_dead_invalid_right);
	tcase_add_test(tc, H2_receive_status_not_receive_invalid_right);
	tcase_add_test(tc, H2_receive_status_fresh_port);
	tcase_add_test(tc, H2_receive_status_count_clamped);
	tcase_add_test(tc, H2_receive_status_send_counts);
	tcase_add_test(tc, H2_receive_status_srights_anywhere);
	tcase_add_test(tc, H2_get_attributes_null_out_pointers_fail);
	tcase_add_test(tc, H3_dnrequests_size_count_zero_failure);
	tcase_add_test(tc, H3_dnrequests_size_null_dead_zero);
	tcase_add_test(tc, H3_dnrequests_size_zero_before_requests);
	tcase_add_test(tc, H3_dnrequests_size_not_receive_fails);
	tcase_add_test(tc, H3_info_ext_count_too_small_failure);
	tcase_add_test(tc, H3_info_ext_status_and_boost);
	tcase_add_test(tc, H3_info_ext_count_clamped);
	tcase_add_test(tc, H3_get_attributes_unknown_flavor_invalid_argument);
	tcase_add_test(tc, H3_get_attributes_guard_info_invalid_argument);
	suite_add_tcase(s, tc);

	tc = conf_tcase("H4_H7_set_attributes");
	tcase_add_test(tc, H4_set_limits_count_zero_failure);
	tcase_add_test(tc, H4_set_limits_above_max_invalid_value);
	tcase_add_test(tc, H4_set_limits_null_dead_invalid_right);
	tcase_add_test(tc, H4_set_limits_not_receive_invalid_right);
	tcase_add_test(tc, H4_set_limits_unknown_invalid_name);
	tcase_add_test(tc, H4_set_limits_zero_accepted);
	tcase_add_test(tc, H4_set_limits_max_accepted);
	tcase_add_test(tc, H4_set_limits_values);
	tcase_add_test(tc, H6_set_dnrequests_size_no_effect);
	tcase_add_test(tc, H6_set_dnrequests_size_needs_receive);
	tcase_add_test(tc, H6_set_tempowner_sets_flags);
	tcase_add_test(tc, H6_set_importance_receiver_sets_flags);
	tcase_add_test(tc, H6_set_denap_receiver_sets_flags);
	tcase_add_test(tc, H6_set_importance_flavors_need_receive);
	tcase_add_test(tc, H6_set_attributes_other_flavors_invalid_argument);
	tcase_add_test(
	    tc, H6_set_service_throttled_non_service_invalid_capability);
	tcase_add_test(tc, H7_new_port_default_qlimit);
	tcase_add_test(tc, H7_construct_qlimit_sets_limit);
	tcase_add_test(tc, H7_construct_qlimit_above_max_no_port);
	tcase_add_test(tc, H7_construct_qlimit_ignored_without_flag);
	suite_add_tcase(s, tc);

	tc = conf_tcase("H8_H12_counts_and_context");
	tcase_add_test(tc, H8_mscount_starts_zero);
	tcase_add_test(tc, H8_mscount_insert_send_right_construct);
	tcase_add_test(tc, H8_mscount_counts_make_send);
	tcase_add_test(tc, H8_mscount_unchanged_by_copy_move_send_once);
	tcase_add_test(tc, H8_set_mscount);
	tcase_add_test(tc, H8_set_mscount_null_dead_invalid_right);
	tcase_add_test(tc, H8_set_mscount_non_receive_invalid_right);
	tcase_add_test(tc, H8_mscount_reset_on_move);
	tcase_add_test(tc, H9_srights_one_per_space);
	tcase_add_test(tc, H9_srights_last_uref_drop);
	tcase_add_test(tc, H9_srights_space_destroy_releases);
	tcase_add_test(tc, H10_set_seqno);
	tcase_add_test(tc, H10_set_seqno_null_dead_invalid_right);
	tcase_add_test(tc, H10_set_seqno_non_receive_fails);
	tcase_add_test(tc, H11_context_starts_zero);
	tcase_add_test(tc, H11_context_roundtrip);
	tcase_add_test(tc, H11_context_null_dead_invalid_right);
	tcase_add_test(tc, H11_context_unknown_invalid_name);
	tcase_add_test(tc, H11_context_other_right_invalid_right);
	tcase_add_test(tc, H11_get_context_strict_guard_zero);
	tcase_add_test(tc, H11_set_context_strict_guard_invalid_argument);
	tcase_add_test(tc, H11_set_context_guarded_replaces_guard);
	tcase_add_test(tc, H11_context_cleared_on_move);
	tcase_add_test(tc, H11_get_context_null_out_fails);
	tcase_add_test(tc, H12_get_srights_counts);
	tcase_add_test(tc, H12_get_srights_non_receive_invalid_right);
	tcase_add_test(tc, H12_get_srights_bad_names_fail);
	suite_add_tcase(s, tc);

	tc = conf_tcase("issue_12_hostile_buffers");
	tcase_add_test(tc, H3_out_params_written_within_count_at_guard_page);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(h_attributes_suite)

/*
 * Deferred to the messages / notifications issues:
 *   H2   mps_msgcount > 0 (queued messages, reserved slots of woken
 *        senders), mps_pdrequest / mps_nsrequest = 1 (need
 *        mach_port_request_notification);
 *   H3   DNREQUESTS_SIZE after a dead-name request; mpie_boost_cnt > 0;
 *   H5   raising the qlimit releases blocked senders; lowering it below
 *        the queue length;
 *   H6   TEMPOWNER / IMPORTANCE_RECEIVER / DENAP_RECEIVER on a special
 *        reply port (no API to make one yet); SERVICE_THROTTLED on a
 *        service port (construct refuses MPO_SERVICE_PORT, Q6);
 *   H8   mscount from MAKE_SEND in message headers and descriptors, and
 *        its reset by a port-destroyed notification;
 *   H9   send rights carried in in-flight messages;
 *   H11  the CTX trailer of a strictly guarded port;
 *   H12  mach_port_dnrequest_info (not in the API).
 */
