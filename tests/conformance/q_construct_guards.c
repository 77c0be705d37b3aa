/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * q_construct_guards.c -- MACH.md area Q: mach_port_construct / destruct,
 * guards (guard, guard_with_flags, unguard, swap_guard, assert_attributes
 * GUARD_INFO), context and immovable receive rights.
 *
 * One test per numbered behaviour (several where an item lists several
 * cases), named <item>_<call>_<case>.  Guard exceptions are recorded by
 * the handler conformance.h installs; a test that expects one resets the
 * recorder just before the violating call and then checks that exactly
 * one of the expected flavor was raised on the expected name (and the
 * payload where MACH.md gives it).
 */
#include "conformance.h"

#include <limits.h>
#include <pthread.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A construct that must fail, and leave no name and no port behind. */
static void
expect_construct_fails(uint32_t flags, kern_return_t want)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t kr;

	memset(&opts, 0, sizeof(opts));
	opts.flags = flags;
	kr = mipc_port_construct(task, &opts, 0, &n);
	ck_assert_msg(kr == want, "construct(flags 0x%x) returned %d, want %d",
	    flags, kr, want);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
}

static kern_return_t
assert_guard(mipc_space_t sp, mach_port_name_t n, uint64_t guard,
    mach_msg_type_number_t cnt)
{
	mach_port_guard_info_t gi = { guard };

	return mipc_port_assert_attributes(
	    sp, n, MACH_PORT_GUARD_INFO, (mach_port_info_t)(void *)&gi, cnt);
}

/* A send-only name in task, a send-once, a set and a dead name. */
struct others {
	mipc_space_t o_b;
	mach_port_name_t o_names[4];
};

static void
others_make(mipc_space_t task, struct others *o)
{
	mach_port_name_t rb, r;

	o->o_b = space_new();
	rb = recv_new(o->o_b);
	o->o_names[0] = send_in(task, o->o_b, rb);
	r = recv_new(task);
	o->o_names[1] = sonce_in(task, r);
	o->o_names[2] = pset_new(task);
	o->o_names[3] = dead_new(task);
}

static void
others_done(struct others *o)
{
	KR_EQ(mipc_space_destroy(o->o_b), KERN_SUCCESS);
}

/* ---- Q1: flag combinations --------------------------------------------- */

START_TEST(Q1_construct_two_system_kinds_invalid_argument)
{
	expect_construct_fails(
	    MPO_SERVICE_PORT | MPO_CONNECTION_PORT, KERN_INVALID_ARGUMENT);
	expect_construct_fails(
	    MPO_SERVICE_PORT | MPO_TG_BLOCK_TRACKING, KERN_INVALID_ARGUMENT);
	expect_construct_fails(
	    MPO_CONNECTION_PORT | MPO_TG_BLOCK_TRACKING, KERN_INVALID_ARGUMENT);
	expect_construct_fails(
	    MPO_SERVICE_PORT | MPO_CONNECTION_PORT | MPO_TG_BLOCK_TRACKING,
	    KERN_INVALID_ARGUMENT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q1_construct_two_reply_kinds_invalid_argument)
{
	static const uint32_t kinds[] = { MPO_REPLY_PORT,
		MPO_ENFORCE_REPLY_PORT_SEMANTICS, MPO_EXCEPTION_PORT,
		MPO_PROVISIONAL_REPLY_PORT };
	size_t i, j;

	for (i = 0; i < NELEM(kinds); i++)
		for (j = i + 1; j < NELEM(kinds); j++)
			expect_construct_fails(
			    kinds[i] | kinds[j], KERN_INVALID_ARGUMENT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q1_construct_unknown_flags_ignored)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, 0x00010000u | 0x00100000u | 0x80000000u, 0);
	mach_port_status_t st = status_of(task, r);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(st.mps_flags, 0);
	VAL_EQ(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(st.mps_mscount, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q1_construct_qlimit_above_max_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_QLIMIT | MPO_INSERT_SEND_RIGHT;
	opts.mpl.mpl_qlimit = 1025;
	KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_INVALID_VALUE);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	opts.mpl.mpl_qlimit = 1024;
	KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_SUCCESS);
	VAL_EQ(qlimit_of(task, n), 1024);
}
END_TEST

START_TEST(Q1_construct_null_pointers_fail)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	KR_FAILS(mipc_port_construct(task, NULL, 0, &n));
	KR_FAILS(mipc_port_construct(task, &opts, 0, NULL));
	VAL_EQ(name_count(task), 0);
}
END_TEST

/* ---- Q2: plain construct stores the context ----------------------------- */

START_TEST(Q2_construct_plain_stores_context)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, 0, 0xabcdef0123456789ull);
	mach_port_status_t st = status_of(task, r);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_RECEIVE), 1);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 0);
	VAL_EQ(ctx_of(task, r), 0xabcdef0123456789ull);
	VAL_EQ(st.mps_pset, 0);
	VAL_EQ(st.mps_seqno, 0);
	VAL_EQ(st.mps_mscount, 0);
	VAL_EQ(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	VAL_EQ(st.mps_msgcount, 0);
	VAL_EQ(st.mps_sorights, 0);
	VAL_EQ(st.mps_srights, 0);
	VAL_EQ(st.mps_flags, 0); /* a context, not a guard */
	/* Not guarded: mod_refs(RECEIVE, -1) destroys it. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	NAME_GONE(task, r);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q2_construct_plain_zero_context)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, 0, 0);

	VAL_EQ(ctx_of(task, r), 0);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	VAL_EQ(name_count(task), 1);
}
END_TEST

START_TEST(Q2_construct_native_other_space)
{
	mipc_space_t b = space_new();
	mach_port_name_t r = construct_new(b, 0, 0x77);

	VAL_EQ(type_of(b, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(ctx_of(b, r), 0x77);
	VAL_EQ(name_count(b), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- Q3: MPO_INSERT_SEND_RIGHT ------------------------------------------- */

START_TEST(Q3_construct_insert_send_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);
	mach_port_status_t st = status_of(task, r);

	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(st.mps_mscount, 1);
	VAL_EQ(st.mps_srights, 1);
	VAL_EQ(srights_of(task, r), 1);
	VAL_EQ(name_count(task), 1);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- Q4: MPO_CONTEXT_AS_GUARD, MPO_STRICT, MPO_IMMOVABLE_RECEIVE --------- */

START_TEST(Q4_construct_context_as_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_CONTEXT_AS_GUARD, 0x1357);

	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	VAL_EQ(ctx_of(task, r), 0x1357);
	/* Guarded with 0x1357: destruct needs that value. */
	guard_reset();
	KR_EQ(mipc_port_destruct(task, r, 0, 0x2468), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_DESTROY, r);
	guard_reset();
	KR_EQ(mipc_port_destruct(task, r, 0, 0x1357), KERN_SUCCESS);
	GUARD_NONE(__func__);
	NAME_GONE(task, r);
}
END_TEST

START_TEST(Q4_construct_strict_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x2222);

	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	VAL_EQ(ctx_of(task, r), 0); /* hidden by the strict guard */
	KR_EQ(assert_guard(task, r, 0x2222, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q4_construct_immovable_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, 0x3333);
	mach_port_name_t n;

	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	VAL_EQ(ctx_of(task, r), 0x3333);
	n = free_name(task);
	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(Q4_construct_strict_immovable_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task,
	    MPO_CONTEXT_AS_GUARD | MPO_STRICT | MPO_IMMOVABLE_RECEIVE, 0x4444);

	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	VAL_EQ(ctx_of(task, r), 0);
}
END_TEST

START_TEST(Q4_construct_strict_without_guard_no_effect)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_STRICT, 0x5555);

	VAL_EQ(status_of(task, r).mps_flags, 0);
	VAL_EQ(ctx_of(task, r), 0x5555);
	KR_EQ(mipc_port_set_context(task, r, 0x6666), KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0x6666);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q4_construct_immovable_without_guard_no_effect)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_IMMOVABLE_RECEIVE, 0);
	mach_port_name_t n;

	VAL_EQ(status_of(task, r).mps_flags, 0);
	n = free_name(task);
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(type_of(task, n), MACH_PORT_TYPE_RECEIVE);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- Q5: importance flags ------------------------------------------------ */

START_TEST(Q5_construct_tempowner_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_TEMPOWNER, 0);

	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_TEMPOWNER |
	        MACH_PORT_STATUS_FLAG_IMP_DONATION);
}
END_TEST

START_TEST(Q5_construct_importance_receiver_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_IMPORTANCE_RECEIVER, 0);

	VAL_EQ(
	    status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_IMP_DONATION);
}
END_TEST

START_TEST(Q5_construct_denap_receiver_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_DENAP_RECEIVER, 0);

	VAL_EQ(
	    status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_IMP_DONATION);
}
END_TEST

START_TEST(Q5_construct_importance_with_guard_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_TEMPOWNER | MPO_CONTEXT_AS_GUARD, 0x12);

	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_TEMPOWNER |
	        MACH_PORT_STATUS_FLAG_IMP_DONATION |
	        MACH_PORT_STATUS_FLAG_GUARDED);
}
END_TEST

/* ---- Q6: privileged kinds ------------------------------------------------ */

START_TEST(Q6_construct_tg_block_tracking_denied)
{
	expect_construct_fails(MPO_TG_BLOCK_TRACKING, KERN_DENIED);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q6_construct_service_port_denied)
{
	/* mach_service_port_info_data_t: a 255-byte name and a domain. */
	static char info[256] = "com.example.mipc.test";
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_SERVICE_PORT;
	opts.service_port_info = info;
	KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_DENIED);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q6_construct_service_port_without_info_fails)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t kr;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_SERVICE_PORT;
	kr = mipc_port_construct(task, &opts, 0, &n);
	/* MACH.md: denied for ordinary tasks; invalid without service info. */
	ck_assert_msg(kr == KERN_DENIED || kr == KERN_INVALID_ARGUMENT,
	    "construct(MPO_SERVICE_PORT, no info) returned %d", kr);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q6_construct_connection_port_without_service_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_CONNECTION_PORT;
	opts.service_port_name = MACH_PORT_NULL;
	KR_EQ(mipc_port_construct(task, &opts, 0, &n), KERN_INVALID_ARGUMENT);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	expect_no_fatal_guard();
}
END_TEST

/* ---- Q7: mach_port_destruct ---------------------------------------------- */

START_TEST(Q7_destruct_null_dead_invalid_name)
{
	mipc_space_t task = mipc_thread_space();

	KR_EQ(
	    mipc_port_destruct(task, MACH_PORT_NULL, 0, 0), KERN_INVALID_NAME);
	KR_EQ(
	    mipc_port_destruct(task, MACH_PORT_DEAD, 0, 0), KERN_INVALID_NAME);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q7_destruct_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);

	KR_EQ(mipc_port_destruct(task, unknown, 0, 0), KERN_INVALID_NAME);
	KR_EQ(mipc_port_destruct(task, unknown, -1, 0), KERN_INVALID_NAME);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q7_destruct_not_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	size_t i;

	others_make(task, &o);
	for (i = 0; i < NELEM(o.o_names); i++)
		KR_EQ(mipc_port_destruct(task, o.o_names[i], 0, 0),
		    KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, o.o_names[0]), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(task, o.o_names[1]), MACH_PORT_TYPE_SEND_ONCE);
	VAL_EQ(type_of(task, o.o_names[2]), MACH_PORT_TYPE_PORT_SET);
	VAL_EQ(type_of(task, o.o_names[3]), MACH_PORT_TYPE_DEAD_NAME);
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(Q7_destruct_srdelta_without_send_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_destruct(task, r, -1, 0), KERN_INVALID_RIGHT);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q7_destruct_positive_srdelta_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	KR_EQ(mipc_port_destruct(task, r, 1, 0), KERN_INVALID_VALUE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q7_destruct_wrong_guard_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_INSERT_SEND_RIGHT, 0x1111);

	guard_reset();
	KR_EQ(mipc_port_destruct(task, r, 0, 0x2222), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_DESTROY, r);
	guard_reset();
	KR_EQ(mipc_port_destruct(task, r, -1, 0), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_DESTROY, r);
	/* Nothing changed. */
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	VAL_EQ(ctx_of(task, r), 0x1111);
	guard_reset();
	KR_EQ(mipc_port_destruct(task, r, -1, 0x1111), KERN_SUCCESS);
	GUARD_NONE(__func__);
	NAME_GONE(task, r);
}
END_TEST

START_TEST(Q7_destruct_unguarded_ignores_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t c = construct_new(task, 0, 0x8888);

	KR_EQ(mipc_port_destruct(task, r, 0, 0xdeadbeef), KERN_SUCCESS);
	NAME_GONE(task, r);
	/* A plain context is not a guard either. */
	KR_EQ(mipc_port_destruct(task, c, 0, 0x1), KERN_SUCCESS);
	NAME_GONE(task, c);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q7_destruct_srdelta_underflow_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	make_send(task, r);
	KR_EQ(mipc_port_destruct(task, r, -3, 0), KERN_INVALID_VALUE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 2);
	VAL_EQ(srights_of(task, r), 1);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q7_destruct_leaves_dead_name_with_urefs)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_destruct(task, r, -1, 0), KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_DEAD_NAME), 2);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q7_destruct_all_urefs_frees_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	make_send(task, r);
	make_send(task, r);
	make_send(task, r);
	KR_EQ(mipc_port_destruct(task, r, -3, 0), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
}
END_TEST

START_TEST(Q7_destruct_receive_only_frees_name)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = send_in(b, task, r);

	KR_EQ(mipc_port_destruct(task, r, 0, 0), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	/* The port died: b's send right reads as a dead name. */
	VAL_EQ(type_of(b, s), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(b, s, MACH_PORT_RIGHT_DEAD_NAME), 1);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(Q7_destruct_pinned_urefs_need_exact)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r1 = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);
	mach_port_name_t r2 = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	KR_EQ(mipc_port_mod_refs(task, r1, MACH_PORT_RIGHT_SEND, 65534),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_mod_refs(task, r2, MACH_PORT_RIGHT_SEND, 65534),
	    KERN_SUCCESS);
	VAL_EQ(refs_of(task, r1, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
	/* A pinned count ignores -1: the name stays, dead, still pinned. */
	KR_EQ(mipc_port_destruct(task, r1, -1, 0), KERN_SUCCESS);
	VAL_EQ(type_of(task, r1), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(
	    refs_of(task, r1, MACH_PORT_RIGHT_DEAD_NAME), MACH_PORT_UREFS_MAX);
	/* Exactly -65535 removes them all. */
	KR_EQ(mipc_port_destruct(task, r2, -65535, 0), KERN_SUCCESS);
	NAME_GONE(task, r2);
}
END_TEST

/*
 * Regression (fuzz_ops finding destruct_pinned_srdelta_underflow): on a
 * pinned count, an srdelta beyond the urefs was taken for "pinned, ignore"
 * and the port destroyed; Q7's underflow check comes first.
 */
START_TEST(Q7_destruct_pinned_srdelta_underflow_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 65534),
	    KERN_SUCCESS);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
	KR_EQ(mipc_port_destruct(task, r, -65536, 0), KERN_INVALID_VALUE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
	expect_no_fatal_guard();
}
END_TEST

/*
 * Regression (fuzz_ops finding reguard_zero_keeps_strict): a strict guard
 * of value 0 leaves the context 0, so Q9 lets the port be guarded again;
 * the new guard's strictness is its own (XNU assigns ip_strict_guard),
 * but the old strict bit used to stay.
 */
START_TEST(Q9_reguard_after_zero_strict_guard_takes_new_strictness)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_context_t ctx = 1;

	KR_EQ(mipc_port_guard(task, r, 0, TRUE), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	KR_EQ(mipc_port_guard_with_flags(task, r, 0xfeed, 0), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	/* Not strict: the guard reads back as the context (H11). */
	KR_EQ(mipc_port_get_context(task, r, &ctx), KERN_SUCCESS);
	VAL_EQ(ctx, 0xfeed);
	KR_EQ(mipc_port_unguard(task, r, 0xfeed), KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q7_destruct_right_guard_succeeds)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = construct_new(task, MPO_CONTEXT_AS_GUARD, 0xa1);
	mach_port_name_t b =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0xb2);
	mach_port_name_t c = recv_new(task);

	KR_EQ(mipc_port_guard(task, c, 0xc3, TRUE), KERN_SUCCESS);
	KR_EQ(mipc_port_destruct(task, a, 0, 0xa1), KERN_SUCCESS);
	KR_EQ(mipc_port_destruct(task, b, 0, 0xb2), KERN_SUCCESS);
	KR_EQ(mipc_port_destruct(task, c, 0, 0xc3), KERN_SUCCESS);
	NAME_GONE(task, a);
	NAME_GONE(task, b);
	NAME_GONE(task, c);
	VAL_EQ(live_ports(), 0);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- Q8: destruct idioms ------------------------------------------------ */

START_TEST(Q8_destruct_insert_send_right_minus_one_releases_all)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(
	    task, MPO_INSERT_SEND_RIGHT | MPO_CONTEXT_AS_GUARD, 0xfeed);

	KR_EQ(mipc_port_destruct(task, r, -1, 0xfeed), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	VAL_EQ(live_ports(), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q8_destruct_insert_send_right_zero_leaves_dead_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(
	    task, MPO_INSERT_SEND_RIGHT | MPO_CONTEXT_AS_GUARD, 0xbeef);

	KR_EQ(mipc_port_destruct(task, r, 0, 0xbeef), KERN_SUCCESS);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_DEAD_NAME);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_DEAD_NAME), 1);
	KR_EQ(mipc_port_deallocate(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(name_count(task), 0);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- Q9: mach_port_guard / guard_with_flags ------------------------------ */

START_TEST(Q9_guard_null_dead_invalid_name)
{
	mipc_space_t task = mipc_thread_space();

	guard_reset();
	KR_EQ(
	    mipc_port_guard(task, MACH_PORT_NULL, 1, FALSE), KERN_INVALID_NAME);
	KR_EQ(
	    mipc_port_guard(task, MACH_PORT_DEAD, 1, FALSE), KERN_INVALID_NAME);
	expect_only_guard(kGUARD_EXC_INVALID_NAME);
}
END_TEST

START_TEST(Q9_guard_unknown_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t unknown = free_name(task);

	guard_reset();
	KR_EQ(mipc_port_guard(task, unknown, 1, FALSE), KERN_INVALID_NAME);
	GUARD_IS(kGUARD_EXC_INVALID_NAME, unknown);
}
END_TEST

START_TEST(Q9_guard_not_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	size_t i;

	others_make(task, &o);
	for (i = 0; i < NELEM(o.o_names); i++) {
		KR_EQ(mipc_port_guard(task, o.o_names[i], 7, FALSE),
		    KERN_INVALID_RIGHT);
		KR_EQ(mipc_port_guard_with_flags(
		          task, o.o_names[i], 7, MPG_STRICT),
		    KERN_INVALID_RIGHT);
	}
	expect_no_fatal_guard();
	others_done(&o);
}
END_TEST

START_TEST(Q9_guard_already_guarded_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0x77, FALSE), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_guard(task, r, 0x88, FALSE), KERN_INVALID_ARGUMENT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_INVALID_ARGUMENT, r, 0x77);
	/* The same value does not help. */
	guard_reset();
	KR_EQ(mipc_port_guard(task, r, 0x77, TRUE), KERN_INVALID_ARGUMENT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_INVALID_ARGUMENT, r, 0x77);
	VAL_EQ(ctx_of(task, r), 0x77);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
}
END_TEST

START_TEST(Q9_guard_already_strict_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x99);

	guard_reset();
	KR_EQ(mipc_port_guard(task, r, 0x42, FALSE), KERN_INVALID_ARGUMENT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_INVALID_ARGUMENT, r, 0x99);
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
}
END_TEST

START_TEST(Q9_guard_context_set_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t c = construct_new(task, 0, 0x5a5a);

	KR_EQ(mipc_port_set_context(task, r, 0x99), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_guard(task, r, 0x42, FALSE), KERN_INVALID_ARGUMENT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_INVALID_ARGUMENT, r, 0x99);
	VAL_EQ(ctx_of(task, r), 0x99);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	/* A construct context counts the same. */
	guard_reset();
	KR_EQ(mipc_port_guard_with_flags(task, c, 0x42, 0),
	    KERN_INVALID_ARGUMENT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_INVALID_ARGUMENT, c, 0x5a5a);
	VAL_EQ(status_of(task, c).mps_flags, 0);
}
END_TEST

START_TEST(Q9_guard_sets_flags)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0x1234, FALSE), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	VAL_EQ(ctx_of(task, r), 0x1234);
	KR_EQ(mipc_port_guard(task, s, 0x5678, TRUE), KERN_SUCCESS);
	VAL_EQ(status_of(task, s).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD);
	VAL_EQ(ctx_of(task, s), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q9_guard_zero_accepted_then_reguard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0, FALSE), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	VAL_EQ(ctx_of(task, r), 0);
	/* The context is still 0, so guarding again succeeds. */
	KR_EQ(mipc_port_guard(task, r, 5, FALSE), KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 5);
	KR_EQ(mipc_port_unguard(task, r, 5), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q9_guard_with_flags)
{
	static const struct {
		uint64_t flags;
		natural_t status;
	} cases[] = {
		{ MPG_FLAGS_NONE, MACH_PORT_STATUS_FLAG_GUARDED },
		{ MPG_STRICT,
		    MACH_PORT_STATUS_FLAG_GUARDED |
		        MACH_PORT_STATUS_FLAG_STRICT_GUARD },
		{ MPG_IMMOVABLE_RECEIVE,
		    MACH_PORT_STATUS_FLAG_GUARDED |
		        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE },
		{ MPG_STRICT | MPG_IMMOVABLE_RECEIVE,
		    MACH_PORT_STATUS_FLAG_GUARDED |
		        MACH_PORT_STATUS_FLAG_STRICT_GUARD |
		        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE },
	};
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		r = recv_new(task);
		KR_EQ(mipc_port_guard_with_flags(
		          task, r, 0x100 + i, cases[i].flags),
		    KERN_SUCCESS);
		VAL_EQ(status_of(task, r).mps_flags, cases[i].status);
		VAL_EQ(ctx_of(task, r),
		    (cases[i].flags & MPG_STRICT) ? 0 : 0x100 + i);
		/* Only a strict guard passes assert_attributes (Q12). */
		guard_reset();
		if (cases[i].flags & MPG_STRICT) {
			KR_EQ(assert_guard(task, r, 0x100 + i,
			          MACH_PORT_GUARD_INFO_COUNT),
			    KERN_SUCCESS);
			GUARD_NONE(__func__);
		} else {
			KR_EQ(assert_guard(task, r, 0x100 + i,
			          MACH_PORT_GUARD_INFO_COUNT),
			    KERN_INVALID_ARGUMENT);
			GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
		}
	}
}
END_TEST

START_TEST(Q9_guard_with_flags_already_guarded_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard_with_flags(task, r, 0x31, MPG_STRICT),
	    KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_guard_with_flags(task, r, 0x32, MPG_STRICT),
	    KERN_INVALID_ARGUMENT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_INVALID_ARGUMENT, r, 0x31);
	KR_EQ(assert_guard(task, r, 0x31, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_SUCCESS);
}
END_TEST

/* ---- Q10: mach_port_unguard ---------------------------------------------- */

START_TEST(Q10_unguard_not_guarded_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t c = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_UNGUARDED, r);
	/* A plain context is not a guard. */
	KR_EQ(mipc_port_set_context(task, c, 0x44), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, c, 0x44), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_UNGUARDED, c);
	VAL_EQ(ctx_of(task, c), 0x44);
}
END_TEST

START_TEST(Q10_unguard_wrong_guard_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0xaa, FALSE), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0xbb), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
	VAL_EQ(ctx_of(task, r), 0xaa);
}
END_TEST

START_TEST(Q10_unguard_clears_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0xcc, FALSE), KERN_SUCCESS);
	KR_EQ(mipc_port_unguard(task, r, 0xcc), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	VAL_EQ(ctx_of(task, r), 0);
	/* Unguarded for every purpose. */
	KR_EQ(mipc_port_guard(task, r, 0xdd, FALSE), KERN_SUCCESS);
	KR_EQ(mipc_port_unguard(task, r, 0xdd), KERN_SUCCESS);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	NAME_GONE(task, r);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q10_unguard_strict_with_right_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0xee);

	KR_EQ(mipc_port_unguard(task, r, 0xee), KERN_SUCCESS);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	VAL_EQ(ctx_of(task, r), 0);
	KR_EQ(mipc_port_set_context(task, r, 0x12), KERN_SUCCESS);
	VAL_EQ(ctx_of(task, r), 0x12);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q10_unguard_immovable_is_sticky)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n, poly;
	mach_msg_type_name_t pt;

	KR_EQ(mipc_port_guard_with_flags(task, r, 0xf0, MPG_IMMOVABLE_RECEIVE),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_unguard(task, r, 0xf0), KERN_SUCCESS);
	/* The 0x40 flag is only reported while guarded. */
	VAL_EQ(status_of(task, r).mps_flags, 0);
	n = free_name(task);
	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          task, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	guard_reset();
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MOVE_RECEIVE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	expect_only_guard(kGUARD_EXC_IMMOVABLE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(Q10_unguard_bad_names_fail)
{
	mipc_space_t task = mipc_thread_space();
	struct others o;
	mach_port_name_t unknown;
	size_t i;

	others_make(task, &o);
	KR_FAILS(mipc_port_unguard(task, MACH_PORT_NULL, 0));
	KR_FAILS(mipc_port_unguard(task, MACH_PORT_DEAD, 0));
	for (i = 0; i < NELEM(o.o_names); i++)
		KR_FAILS(mipc_port_unguard(task, o.o_names[i], 0));
	unknown = free_name(task);
	KR_FAILS(mipc_port_unguard(task, unknown, 0));
	others_done(&o);
}
END_TEST

/* ---- Q11: mach_port_swap_guard ------------------------------------------- */

START_TEST(Q11_swap_guard_not_guarded_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_swap_guard(task, r, 0, 1), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_UNGUARDED, r);
	VAL_EQ(status_of(task, r).mps_flags, 0);
	VAL_EQ(ctx_of(task, r), 0);
}
END_TEST

START_TEST(Q11_swap_guard_strict_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0x61, TRUE), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_swap_guard(task, r, 0x61, 0x62), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_SET_CONTEXT, r);
	/* Still guarded with the old value. */
	KR_EQ(assert_guard(task, r, 0x61, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_unguard(task, r, 0x61), KERN_SUCCESS);
}
END_TEST

START_TEST(Q11_swap_guard_wrong_old_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0x71, FALSE), KERN_SUCCESS);
	guard_reset();
	KR_EQ(mipc_port_swap_guard(task, r, 0x70, 0x72), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
	VAL_EQ(ctx_of(task, r), 0x71);
}
END_TEST

START_TEST(Q11_swap_guard_replaces_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	/* tests/ipc/immovable_rights.c: 0x11, swapped to 0xde18. */
	KR_EQ(mipc_port_guard_with_flags(task, r, 0x11, MPG_IMMOVABLE_RECEIVE),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_swap_guard(task, r, 0x11, 0xde18), KERN_SUCCESS);
	GUARD_NONE(__func__);
	VAL_EQ(ctx_of(task, r), 0xde18);
	VAL_EQ(status_of(task, r).mps_flags,
	    MACH_PORT_STATUS_FLAG_GUARDED |
	        MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0x11), KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
	guard_reset();
	KR_EQ(mipc_port_unguard(task, r, 0xde18), KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

/* ---- Q12: assert_attributes(MACH_PORT_GUARD_INFO) ------------------------ */

START_TEST(Q12_assert_guard_info_count_too_small_failure)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x81);

	KR_EQ(assert_guard(task, r, 0x81, MACH_PORT_GUARD_INFO_COUNT - 1),
	    KERN_FAILURE);
	KR_EQ(assert_guard(task, r, 0x81, 0), KERN_FAILURE);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q12_assert_guard_info_null_dead_invalid_right)
{
	mipc_space_t task = mipc_thread_space();

	KR_EQ(assert_guard(task, MACH_PORT_NULL, 0, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_INVALID_RIGHT);
	KR_EQ(assert_guard(task, MACH_PORT_DEAD, 0, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_INVALID_RIGHT);
	expect_no_fatal_guard();
}
END_TEST

START_TEST(Q12_assert_guard_info_unguarded_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(assert_guard(task, r, 0, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_UNGUARDED, r);
}
END_TEST

START_TEST(Q12_assert_guard_info_not_strict_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_CONTEXT_AS_GUARD, 0x91);

	guard_reset();
	KR_EQ(assert_guard(task, r, 0x91, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
}
END_TEST

START_TEST(Q12_assert_guard_info_wrong_value_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0xa1);

	guard_reset();
	KR_EQ(assert_guard(task, r, 0xa2, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_INVALID_ARGUMENT);
	GUARD_IS(kGUARD_EXC_INCORRECT_GUARD, r);
}
END_TEST

START_TEST(Q12_assert_guard_info_strict_match_succeeds)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0xb1);
	mach_port_name_t g = recv_new(task);

	KR_EQ(assert_guard(task, r, 0xb1, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_guard(task, g, 0xb2, TRUE), KERN_SUCCESS);
	KR_EQ(assert_guard(task, g, 0xb2, MACH_PORT_GUARD_INFO_COUNT),
	    KERN_SUCCESS);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q12_assert_attributes_other_flavor_invalid_argument)
{
	static const mach_port_flavor_t bad[] = { MACH_PORT_LIMITS_INFO,
		MACH_PORT_RECEIVE_STATUS, MACH_PORT_DNREQUESTS_SIZE,
		MACH_PORT_INFO_EXT, 0, 99 };
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0xc1);
	integer_t buf[32];
	size_t i;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < NELEM(bad); i++)
		KR_EQ(mipc_port_assert_attributes(
		          task, r, bad[i], buf, MACH_PORT_INFO_EXT_COUNT),
		    KERN_INVALID_ARGUMENT);
	expect_no_fatal_guard();
}
END_TEST

/* ---- Q13: guarded receive rights resist destruction ---------------------- */

START_TEST(Q13_guarded_mod_refs_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t s =
	    construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0xface);

	KR_EQ(mipc_port_guard(task, r, 0xfade, FALSE), KERN_SUCCESS);
	/* Delta 0 is still fine. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, 0),
	    KERN_SUCCESS);
	GUARD_NONE(__func__);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_DESTROY, r, 0xfade);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, s, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_DESTROY, s, 0xface);
	VAL_EQ(type_of(task, s), MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(Q13_guarded_destroy_nonzero_guard_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_CONTEXT_AS_GUARD, 0x7e);

	guard_reset();
	KR_EQ(mipc_port_destroy(task, r), KERN_INVALID_RIGHT);
	GUARD_IS(kGUARD_EXC_DESTROY, r);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_flags, MACH_PORT_STATUS_FLAG_GUARDED);
}
END_TEST

START_TEST(Q13_guarded_destroy_zero_guard_succeeds)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_guard(task, r, 0, FALSE), KERN_SUCCESS);
	KR_EQ(mipc_port_destroy(task, r), KERN_SUCCESS);
	NAME_GONE(task, r);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q13_guarded_moved_arrives_unguarded)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = construct_new(task, MPO_CONTEXT_AS_GUARD, 0x5e);
	mach_port_name_t n = free_name(b);

	KR_EQ(mipc_port_insert_right(
	          b, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_SUCCESS);
	NAME_GONE(task, r);
	VAL_EQ(status_of(b, n).mps_flags, 0);
	VAL_EQ(ctx_of(b, n), 0);
	KR_EQ(mipc_port_mod_refs(b, n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	NAME_GONE(b, n);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- Q14: immovable receive rights -------------------------------------- */

START_TEST(Q14_immovable_insert_move_receive_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = construct_new(task,
	    MPO_CONTEXT_AS_GUARD | MPO_STRICT | MPO_IMMOVABLE_RECEIVE, 0x14);
	mach_port_name_t n = free_name(b);

	guard_reset();
	KR_EQ(mipc_port_insert_right(
	          b, n, mipc_thread_space(), r, MACH_MSG_TYPE_MOVE_RECEIVE),
	    KERN_INVALID_CAPABILITY);
	GUARD_IS(kGUARD_EXC_IMMOVABLE, r);
	VAL_EQ(name_count(b), 0);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(Q14_immovable_extract_move_receive_invalid_capability)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, 0x15);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t pt;

	guard_reset();
	KR_EQ(mipc_port_extract_right(
	          task, r, MACH_MSG_TYPE_MOVE_RECEIVE, b, &poly, &pt),
	    KERN_INVALID_CAPABILITY);
	expect_only_guard(kGUARD_EXC_IMMOVABLE);
	VAL_EQ(name_count(b), 0);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

START_TEST(Q14_immovable_destruct_in_place_allowed)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t a = construct_new(task,
	    MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE |
	        MPO_INSERT_SEND_RIGHT,
	    0x16);
	mach_port_name_t b = recv_new(task);

	KR_EQ(mipc_port_destruct(task, a, -1, 0x16), KERN_SUCCESS);
	NAME_GONE(task, a);
	KR_EQ(mipc_port_guard_with_flags(task, b, 0, MPG_IMMOVABLE_RECEIVE),
	    KERN_SUCCESS);
	/* Guard 0: even mach_port_destroy may destroy it. */
	KR_EQ(mipc_port_destroy(task, b), KERN_SUCCESS);
	NAME_GONE(task, b);
	VAL_EQ(live_ports(), 0);
	GUARD_NONE(__func__);
}
END_TEST

START_TEST(Q14_immovable_still_makes_send_rights)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t r = construct_new(
	    task, MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE, 0x17);
	mach_port_name_t poly = MACH_PORT_NULL, n;
	mach_msg_type_name_t pt;

	KR_EQ(mipc_port_insert_right(
	          task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	          mipc_thread_space(), &poly, &pt),
	    KERN_SUCCESS);
	VAL_EQ(type_of(task, poly), MACH_PORT_TYPE_SEND_ONCE);
	/* Only the receive right is immovable: its send right moves. */
	n = free_name(b);
	KR_EQ(mipc_port_insert_right(b, n, task, r, MACH_MSG_TYPE_MOVE_SEND),
	    KERN_SUCCESS);
	VAL_EQ(type_of(b, n), MACH_PORT_TYPE_SEND);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_RECEIVE);
	VAL_EQ(status_of(task, r).mps_mscount, 1);
	VAL_EQ(srights_of(task, r), 1);
	GUARD_NONE(__func__);
	KR_EQ(mipc_space_destroy(b), KERN_SUCCESS);
}
END_TEST

/* ---- suite -------------------------------------------------------------- */

/* ---- issue 12: items 14, 16, 17 ------------------------------------------- */

struct q_fresh {
	mipc_space_t space;
	mach_port_name_t name;
	kern_return_t kr;
};

/* A thread whose first mipc call violates a guard. */
static void *
q_fresh_destroy(void *arg)
{
	struct q_fresh *f = arg;

	f->kr = mipc_port_destroy(f->space, f->name);
	return NULL;
}

/*
 * Q13 on a thread that never called mipc before: the violation reaches
 * the handler all the same (mipc keeps no per-thread state yet when the
 * guard is raised).
 */
START_TEST(Q13_guarded_destroy_on_fresh_thread_raises_guard)
{
	mipc_space_t task = mipc_thread_space();
	struct q_fresh f;
	pthread_t t;

	f.space = task;
	f.name = construct_new(task, MPO_CONTEXT_AS_GUARD | MPO_STRICT, 0x1214);
	f.kr = KERN_SUCCESS;
	guard_reset();
	ck_assert_int_eq(pthread_create(&t, NULL, q_fresh_destroy, &f), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	KR_EQ(f.kr, KERN_INVALID_RIGHT);
	GUARD_IS_PAYLOAD(kGUARD_EXC_DESTROY, f.name, 0x1214);
	VAL_EQ(type_of(task, f.name), MACH_PORT_TYPE_RECEIVE);
	KR_OK(mipc_port_destruct(task, f.name, 0, 0x1214));
}
END_TEST

/* construct(MPO_CONNECTION_PORT | extra) naming `service`: its code. */
static kern_return_t
q_connection(
    mipc_space_t sp, mach_port_name_t service, uint32_t extra, uint32_t qlimit)
{
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t kr;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_CONNECTION_PORT | extra;
	opts.mpl.mpl_qlimit = qlimit;
	opts.service_port_name = service;
	kr = mipc_port_construct(sp, &opts, 0, &n);
	VAL_EQ(n, MACH_PORT_NULL);
	return kr;
}

/*
 * Q6: MPO_CONNECTION_PORT with a bad service port name, XNU's codes
 * (mach_port_construct -> ipc_service_port_derive_sblabel ->
 * ipc_port_translate_send): 0 -> KERN_INVALID_ARGUMENT; MACH_PORT_DEAD or
 * a name the space does not use -> KERN_INVALID_NAME; a dead name, or a
 * name without a send right -> KERN_INVALID_RIGHT; a send right to a port
 * that is no service port -> KERN_INVALID_CAPABILITY.  The service port is
 * checked before MPO_QLIMIT's value.  Nothing is made.
 */
START_TEST(Q6_construct_connection_port_bad_service_name_codes)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t recv = recv_new(task);
	mach_port_name_t send = recv_new(task);
	mach_port_name_t dead = dead_new(task);
	mach_port_name_t pset = pset_new(task);
	mipc_space_t b = space_new();
	mach_port_name_t gone = recv_new(b);
	mach_port_name_t so, sgone;
	unsigned names;

	make_send(task, send);
	so = sonce_in(task, send);
	/* A send right whose port died: reads as a dead name. */
	sgone = send_in(task, b, gone);
	KR_OK(mipc_port_mod_refs(b, gone, MACH_PORT_RIGHT_RECEIVE, -1));
	VAL_EQ(type_of(task, sgone), MACH_PORT_TYPE_DEAD_NAME);
	names = name_count(task);

	KR_EQ(q_connection(task, MACH_PORT_NULL, 0, 0), KERN_INVALID_ARGUMENT);
	KR_EQ(q_connection(task, MACH_PORT_DEAD, 0, 0), KERN_INVALID_NAME);
	KR_EQ(q_connection(task, conf_unused_name(task), 0, 0),
	    KERN_INVALID_NAME);
	KR_EQ(
	    q_connection(task, conf_other_gen(send), 0, 0), KERN_INVALID_NAME);
	KR_EQ(q_connection(task, dead, 0, 0), KERN_INVALID_RIGHT);
	KR_EQ(q_connection(task, sgone, 0, 0), KERN_INVALID_RIGHT);
	KR_EQ(q_connection(task, recv, 0, 0), KERN_INVALID_RIGHT);
	KR_EQ(q_connection(task, so, 0, 0), KERN_INVALID_RIGHT);
	KR_EQ(q_connection(task, pset, 0, 0), KERN_INVALID_RIGHT);
	KR_EQ(q_connection(task, send, 0, 0), KERN_INVALID_CAPABILITY);
	/* Before the queue limit's value (XNU's order). */
	KR_EQ(q_connection(task, MACH_PORT_NULL, MPO_QLIMIT, 5000),
	    KERN_INVALID_ARGUMENT);
	KR_EQ(q_connection(task, send, MPO_QLIMIT, 5000),
	    KERN_INVALID_CAPABILITY);
	/* Nothing was made, nothing consumed. */
	VAL_EQ(name_count(task), names);
	VAL_EQ(refs_of(task, send, MACH_PORT_RIGHT_SEND), 1);
	VAL_EQ(type_of(task, so), MACH_PORT_TYPE_SEND_ONCE);
	expect_no_fatal_guard();
	KR_OK(mipc_port_deallocate(task, so));
	KR_OK(mipc_space_destroy(b));
}
END_TEST

/*
 * Q7: srdelta = INT_MIN is an underflow like any other (its magnitude is
 * computed without the signed negation overflow UBSan catches).
 */
START_TEST(Q7_destruct_srdelta_int_min_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = construct_new(task, MPO_INSERT_SEND_RIGHT, 0);

	KR_EQ(mipc_port_destruct(task, r, INT_MIN, 0), KERN_INVALID_VALUE);
	VAL_EQ(type_of(task, r), MACH_PORT_TYPE_SEND_RECEIVE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), 1);
	conf_pin(task, r, MACH_PORT_RIGHT_SEND);
	KR_EQ(mipc_port_destruct(task, r, INT_MIN, 0), KERN_INVALID_VALUE);
	VAL_EQ(refs_of(task, r, MACH_PORT_RIGHT_SEND), MACH_PORT_UREFS_MAX);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, INT_MIN),
	    KERN_INVALID_VALUE);
	expect_no_fatal_guard();
}
END_TEST

static Suite *
q_construct_guards_suite(void)
{
	Suite *s = suite_create("Q_construct_guards");
	TCase *tc;

	tc = conf_tcase("Q1_Q6_construct");
	tcase_add_test(tc, Q1_construct_two_system_kinds_invalid_argument);
	tcase_add_test(tc, Q1_construct_two_reply_kinds_invalid_argument);
	tcase_add_test(tc, Q1_construct_unknown_flags_ignored);
	tcase_add_test(tc, Q1_construct_qlimit_above_max_invalid_value);
	tcase_add_test(tc, Q1_construct_null_pointers_fail);
	tcase_add_test(tc, Q2_construct_plain_stores_context);
	tcase_add_test(tc, Q2_construct_plain_zero_context);
	tcase_add_test(tc, Q2_construct_native_other_space);
	tcase_add_test(tc, Q3_construct_insert_send_right);
	tcase_add_test(tc, Q4_construct_context_as_guard);
	tcase_add_test(tc, Q4_construct_strict_guard);
	tcase_add_test(tc, Q4_construct_immovable_guard);
	tcase_add_test(tc, Q4_construct_strict_immovable_guard);
	tcase_add_test(tc, Q4_construct_strict_without_guard_no_effect);
	tcase_add_test(tc, Q4_construct_immovable_without_guard_no_effect);
	tcase_add_test(tc, Q5_construct_tempowner_flags);
	tcase_add_test(tc, Q5_construct_importance_receiver_flags);
	tcase_add_test(tc, Q5_construct_denap_receiver_flags);
	tcase_add_test(tc, Q5_construct_importance_with_guard_flags);
	tcase_add_test(tc, Q6_construct_tg_block_tracking_denied);
	tcase_add_test(tc, Q6_construct_service_port_denied);
	tcase_add_test(tc, Q6_construct_service_port_without_info_fails);
	tcase_add_test(
	    tc, Q6_construct_connection_port_without_service_invalid_argument);
	suite_add_tcase(s, tc);

	tc = conf_tcase("Q7_Q8_destruct");
	tcase_add_test(tc, Q7_destruct_null_dead_invalid_name);
	tcase_add_test(tc, Q7_destruct_unknown_invalid_name);
	tcase_add_test(tc, Q7_destruct_not_receive_invalid_right);
	tcase_add_test(tc, Q7_destruct_srdelta_without_send_invalid_right);
	tcase_add_test(tc, Q7_destruct_positive_srdelta_invalid_value);
	tcase_add_test(tc, Q7_destruct_wrong_guard_invalid_argument);
	tcase_add_test(tc, Q7_destruct_unguarded_ignores_guard);
	tcase_add_test(tc, Q7_destruct_srdelta_underflow_invalid_value);
	tcase_add_test(tc, Q7_destruct_pinned_srdelta_underflow_invalid_value);
	tcase_add_test(
	    tc, Q9_reguard_after_zero_strict_guard_takes_new_strictness);
	tcase_add_test(tc, Q7_destruct_leaves_dead_name_with_urefs);
	tcase_add_test(tc, Q7_destruct_all_urefs_frees_name);
	tcase_add_test(tc, Q7_destruct_receive_only_frees_name);
	tcase_add_test(tc, Q7_destruct_pinned_urefs_need_exact);
	tcase_add_test(tc, Q7_destruct_right_guard_succeeds);
	tcase_add_test(
	    tc, Q8_destruct_insert_send_right_minus_one_releases_all);
	tcase_add_test(tc, Q8_destruct_insert_send_right_zero_leaves_dead_name);
	suite_add_tcase(s, tc);

	tc = conf_tcase("Q9_Q12_guards");
	tcase_add_test(tc, Q9_guard_null_dead_invalid_name);
	tcase_add_test(tc, Q9_guard_unknown_invalid_name);
	tcase_add_test(tc, Q9_guard_not_receive_invalid_right);
	tcase_add_test(tc, Q9_guard_already_guarded_invalid_argument);
	tcase_add_test(tc, Q9_guard_already_strict_invalid_argument);
	tcase_add_test(tc, Q9_guard_context_set_invalid_argument);
	tcase_add_test(tc, Q9_guard_sets_flags);
	tcase_add_test(tc, Q9_guard_zero_accepted_then_reguard);
	tcase_add_test(tc, Q9_guard_with_flags);
	tcase_add_test(
	    tc, Q9_guard_with_flags_already_guarded_invalid_argument);
	tcase_add_test(tc, Q10_unguard_not_guarded_invalid_argument);
	tcase_add_test(tc, Q10_unguard_wrong_guard_invalid_argument);
	tcase_add_test(tc, Q10_unguard_clears_guard);
	tcase_add_test(tc, Q10_unguard_strict_with_right_value);
	tcase_add_test(tc, Q10_unguard_immovable_is_sticky);
	tcase_add_test(tc, Q10_unguard_bad_names_fail);
	tcase_add_test(tc, Q11_swap_guard_not_guarded_invalid_argument);
	tcase_add_test(tc, Q11_swap_guard_strict_invalid_argument);
	tcase_add_test(tc, Q11_swap_guard_wrong_old_invalid_argument);
	tcase_add_test(tc, Q11_swap_guard_replaces_value);
	tcase_add_test(tc, Q12_assert_guard_info_count_too_small_failure);
	tcase_add_test(tc, Q12_assert_guard_info_null_dead_invalid_right);
	tcase_add_test(tc, Q12_assert_guard_info_unguarded_invalid_argument);
	tcase_add_test(tc, Q12_assert_guard_info_not_strict_invalid_argument);
	tcase_add_test(tc, Q12_assert_guard_info_wrong_value_invalid_argument);
	tcase_add_test(tc, Q12_assert_guard_info_strict_match_succeeds);
	tcase_add_test(tc, Q12_assert_attributes_other_flavor_invalid_argument);
	suite_add_tcase(s, tc);

	tc = conf_tcase("Q13_Q14_protection");
	tcase_add_test(tc, Q13_guarded_mod_refs_receive_invalid_right);
	tcase_add_test(tc, Q13_guarded_destroy_nonzero_guard_invalid_right);
	tcase_add_test(tc, Q13_guarded_destroy_zero_guard_succeeds);
	tcase_add_test(tc, Q13_guarded_moved_arrives_unguarded);
	tcase_add_test(
	    tc, Q14_immovable_insert_move_receive_invalid_capability);
	tcase_add_test(
	    tc, Q14_immovable_extract_move_receive_invalid_capability);
	tcase_add_test(tc, Q14_immovable_destruct_in_place_allowed);
	tcase_add_test(tc, Q14_immovable_still_makes_send_rights);
	suite_add_tcase(s, tc);

	tc = conf_tcase("issue_12");
	tcase_add_test(tc, Q13_guarded_destroy_on_fresh_thread_raises_guard);
	tcase_add_test(tc, Q6_construct_connection_port_bad_service_name_codes);
	tcase_add_test(tc, Q7_destruct_srdelta_int_min_invalid_value);
	suite_add_tcase(s, tc);

	return s;
}

MIPC_TEST_MAIN(q_construct_guards_suite)

/*
 * Deferred to the messages / notifications issues:
 *   Q2   the CTX trailer reporting the construct context;
 *   Q7   the DEAD_NAME notification (and extra uref) when a dead-name
 *        request is registered on the destructed name, and the live send
 *        right left when a port-destroyed request exists;
 *   Q13  guarded ports moved in plain port descriptors
 *        (kGUARD_EXC_RCV_GUARDED_DESC on receive);
 *   Q14  MOVE_RECEIVE of an immovable right in a descriptor
 *        (MACH_SEND_INVALID_RIGHT, M2 consequences); immovability of
 *        reply, service and connection ports.  Special reply ports
 *        (descriptor, insert and extract) are in s_special_reply.c;
 *   Q15  immovable send rights (mipc_port_allocate_init's
 *        MIPC_PORT_INIT_IMMOVABLE_SEND) are in s_special_reply.c.
 */
