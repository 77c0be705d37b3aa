/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x_library.c -- MACH.md area X (library-level details that affect the
 * codes callers see), the constants of MACH.md section 1 that the
 * behaviour catalog relies on, and the API contracts of port.h / mach.h
 * the other suites build on: mach_task_self() as the thread's current
 * space, where insert/extract_right take and put names, and the vm_*
 * calls that release arrays handed out by mipc.
 *
 * X1: a NULL task makes libsyscall's fast trap and its MIG retry both fail
 * with MACH_SEND_INVALID_DEST, so every mach_port_* call returns that code
 * (not KERN_INVALID_TASK), whatever its other arguments, and does nothing.
 * port.h extends this to every space argument of the mipc_* calls.
 */
#include "conformance.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define NULL_TASK ((mach_port_t)MACH_PORT_NULL)

/* ---- X1: NULL task -------------------------------------------------------- */

START_TEST(X1_null_task_allocation_calls)
{
	mach_port_name_t n = MACH_PORT_NULL;
	mach_port_options_t opts;

	memset(&opts, 0, sizeof(opts));
	KR_EQ(mach_port_allocate(NULL_TASK, MACH_PORT_RIGHT_RECEIVE, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_allocate(NULL_TASK, MACH_PORT_RIGHT_PORT_SET, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_allocate(NULL_TASK, MACH_PORT_RIGHT_DEAD_NAME, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_allocate_name(
	          NULL_TASK, MACH_PORT_RIGHT_RECEIVE, 0x10103),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_construct(NULL_TASK, &opts, 0, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_destruct(NULL_TASK, 0x10103, 0, 0),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_deallocate(NULL_TASK, 0x10103), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_destroy(NULL_TASK, 0x10103), MACH_SEND_INVALID_DEST);
	ck_assert_uint_eq(name_count(mipc_thread_space()), 0);
	GUARD_NONE("calls with a NULL task");
}
END_TEST

START_TEST(X1_null_task_refs_type_names_calls)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_urefs_t refs;
	mach_port_type_t type;
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0;

	KR_EQ(mach_port_get_refs(NULL_TASK, r, MACH_PORT_RIGHT_RECEIVE, &refs),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_mod_refs(NULL_TASK, r, MACH_PORT_RIGHT_RECEIVE, -1),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_deallocate(NULL_TASK, r), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_destroy(NULL_TASK, r), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_type(NULL_TASK, r, &type), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_names(NULL_TASK, &names, &ncnt, &types, &tcnt),
	    MACH_SEND_INVALID_DEST);
	/* Nothing happened to the caller's own right. */
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	GUARD_NONE("calls with a NULL task");
}
END_TEST

START_TEST(X1_null_task_insert_extract_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t polyPoly = 0;

	KR_EQ(mach_port_insert_right(NULL_TASK, r, r, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_insert_right(
	          NULL_TASK, 0x10103, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_extract_right(
	          NULL_TASK, r, MACH_MSG_TYPE_MAKE_SEND, &poly, &polyPoly),
	    MACH_SEND_INVALID_DEST);
	/* The request never reached the kernel: nothing was made. */
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 0);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 0);
	ck_assert_uint_eq(srights_of(task, r), 0);
	ck_assert_uint_eq(name_count(task), 1);
}
END_TEST

START_TEST(X1_null_task_attribute_calls)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_port_limits_t lim = { 1 };
	mach_port_guard_info_t gi = { 0 };
	mach_port_rights_t sr;

	KR_EQ(mach_port_get_attributes(NULL_TASK, r, MACH_PORT_RECEIVE_STATUS,
	          (mach_port_info_t)&st, &cnt),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_set_attributes(NULL_TASK, r, MACH_PORT_LIMITS_INFO,
	          (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_assert_attributes(NULL_TASK, r, MACH_PORT_GUARD_INFO,
	          (mach_port_info_t)&gi, MACH_PORT_GUARD_INFO_COUNT),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_set_mscount(NULL_TASK, r, 9), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_set_seqno(NULL_TASK, r, 9), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_get_srights(NULL_TASK, r, &sr), MACH_SEND_INVALID_DEST);
	st = status_of(task, r);
	ck_assert_uint_eq(st.mps_qlimit, MACH_PORT_QLIMIT_DEFAULT);
	ck_assert_uint_eq(st.mps_mscount, 0);
	ck_assert_uint_eq(st.mps_seqno, 0);
}
END_TEST

START_TEST(X1_null_task_context_guard_calls)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_context_t ctx = 0;

	KR_EQ(
	    mach_port_get_context(NULL_TASK, r, &ctx), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_set_context(NULL_TASK, r, 42), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_guard(NULL_TASK, r, 42, TRUE), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_guard_with_flags(NULL_TASK, r, 42, MPG_STRICT),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_unguard(NULL_TASK, r, 42), MACH_SEND_INVALID_DEST);
	KR_EQ(
	    mach_port_swap_guard(NULL_TASK, r, 42, 43), MACH_SEND_INVALID_DEST);
	KR_OK(mipc_port_get_context(task, r, &ctx));
	ck_assert_msg(ctx == 0, "context %#llx after NULL-task calls",
	    (unsigned long long)ctx);
	ck_assert_uint_eq(status_of(task, r).mps_flags, 0);
	GUARD_NONE("guard calls with a NULL task");
}
END_TEST

START_TEST(X1_null_task_port_set_calls)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_array_t members = NULL;
	mach_msg_type_number_t cnt = 0;

	KR_EQ(
	    mach_port_insert_member(NULL_TASK, r, ps), MACH_SEND_INVALID_DEST);
	KR_EQ(
	    mach_port_extract_member(NULL_TASK, r, ps), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_move_member(NULL_TASK, r, ps), MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_get_set_status(NULL_TASK, ps, &members, &cnt),
	    MACH_SEND_INVALID_DEST);
	ck_assert_uint_eq(conf_set_count(task, ps), 0);
	ck_assert_uint_eq(status_of(task, r).mps_pset, 0);
}
END_TEST

/* The task is looked at first: bad rights, names and values do not matter. */
START_TEST(X1_null_task_checked_before_other_arguments)
{
	mach_port_urefs_t refs;
	mach_port_name_t n;
	mach_port_type_t type;

	KR_EQ(mach_port_get_refs(
	          NULL_TASK, MACH_PORT_NULL, MACH_PORT_RIGHT_NUMBER, &refs),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_mod_refs(NULL_TASK, 0x10103, MACH_PORT_RIGHT_NUMBER, 0),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_allocate(NULL_TASK, MACH_PORT_RIGHT_SEND, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_allocate_name(NULL_TASK, MACH_PORT_RIGHT_RECEIVE, 122),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_type(NULL_TASK, MACH_PORT_NULL, &type),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_deallocate(NULL_TASK, MACH_PORT_NULL),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mach_port_destroy(NULL_TASK, MACH_PORT_DEAD),
	    MACH_SEND_INVALID_DEST);
}
END_TEST

START_TEST(X1_null_space_mipc_spellings)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s2 = space_new();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t n = MACH_PORT_NULL, poly = MACH_PORT_NULL;
	mach_msg_type_name_t polyPoly = 0;
	mach_port_type_t type;

	KR_EQ(mipc_port_allocate(NULL_TASK, MACH_PORT_RIGHT_RECEIVE, &n),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_port_type(NULL_TASK, r, &type), MACH_SEND_INVALID_DEST);
	/* A NULL destination or source space for insert / extract. */
	KR_EQ(mipc_port_insert_right(
	          NULL_TASK, 0x10103, task, r, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_port_insert_right(
	          s2, 0x10103, NULL_TASK, r, MACH_MSG_TYPE_MAKE_SEND),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_port_extract_right(
	          NULL_TASK, r, MACH_MSG_TYPE_MAKE_SEND, s2, &poly, &polyPoly),
	    MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_port_extract_right(task, r, MACH_MSG_TYPE_MAKE_SEND,
	          NULL_TASK, &poly, &polyPoly),
	    MACH_SEND_INVALID_DEST);
	ck_assert_uint_eq(name_count(s2), 0);
	ck_assert_uint_eq(srights_of(task, r), 0);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(X1_null_task_vm_calls)
{
	mipc_space_t task = mipc_thread_space();
	vm_address_t a = 0;

	KR_EQ(vm_allocate(NULL_TASK, &a, 4096, VM_FLAGS_ANYWHERE),
	    MACH_SEND_INVALID_DEST);
	KR_OK(mipc_vm_allocate(task, &a, 4096, VM_FLAGS_ANYWHERE));
	KR_EQ(vm_deallocate(NULL_TASK, a, 4096), MACH_SEND_INVALID_DEST);
	/* The region is still there. */
	((volatile char *)a)[4095] = 1;
	KR_OK(mipc_vm_deallocate(task, a, 4096));
}
END_TEST

/* ---- MACH.md 1: constants the catalog relies on ----------------------------- */

START_TEST(sec1_1_kern_return_values)
{
	ck_assert_int_eq(KERN_SUCCESS, 0);
	ck_assert_int_eq(KERN_INVALID_ADDRESS, 1);
	ck_assert_int_eq(KERN_PROTECTION_FAILURE, 2);
	ck_assert_int_eq(KERN_NO_SPACE, 3);
	ck_assert_int_eq(KERN_INVALID_ARGUMENT, 4);
	ck_assert_int_eq(KERN_FAILURE, 5);
	ck_assert_int_eq(KERN_RESOURCE_SHORTAGE, 6);
	ck_assert_int_eq(KERN_NOT_RECEIVER, 7);
	ck_assert_int_eq(KERN_NO_ACCESS, 8);
	ck_assert_int_eq(KERN_MEMORY_FAILURE, 9);
	ck_assert_int_eq(KERN_MEMORY_ERROR, 10);
	ck_assert_int_eq(KERN_ALREADY_IN_SET, 11);
	ck_assert_int_eq(KERN_NOT_IN_SET, 12);
	ck_assert_int_eq(KERN_NAME_EXISTS, 13);
	ck_assert_int_eq(KERN_ABORTED, 14);
	ck_assert_int_eq(KERN_INVALID_NAME, 15);
	ck_assert_int_eq(KERN_INVALID_TASK, 16);
	ck_assert_int_eq(KERN_INVALID_RIGHT, 17);
	ck_assert_int_eq(KERN_INVALID_VALUE, 18);
	ck_assert_int_eq(KERN_UREFS_OVERFLOW, 19);
	ck_assert_int_eq(KERN_INVALID_CAPABILITY, 20);
	ck_assert_int_eq(KERN_RIGHT_EXISTS, 21);
	ck_assert_int_eq(KERN_INVALID_HOST, 22);
	ck_assert_int_eq(KERN_INVALID_OBJECT, 29);
	ck_assert_int_eq(KERN_ALREADY_WAITING, 30);
	ck_assert_int_eq(KERN_TERMINATED, 37);
	ck_assert_int_eq(KERN_NOT_SUPPORTED, 46);
	ck_assert_int_eq(KERN_OPERATION_TIMED_OUT, 49);
	ck_assert_int_eq(KERN_DENIED, 53);
	ck_assert_int_eq(KERN_NOT_FOUND, 56);
	ck_assert_int_eq(KERN_RETURN_MAX, 0x100);
	ck_assert_int_eq(MIG_TYPE_ERROR, -300);
	ck_assert_int_eq(MIG_BAD_ID, -303);
	ck_assert_int_eq(MIG_ARRAY_TOO_LARGE, -307);
	ck_assert_int_eq(MIG_TRAILER_ERROR, -309);
}
END_TEST

START_TEST(sec1_3_port_name_macros)
{
	mach_port_name_t n = (0x123456u << 8) | 0x47u;

	ck_assert_uint_eq(MACH_PORT_NULL, 0);
	ck_assert_uint_eq(MACH_PORT_DEAD, 0xffffffffu);
	ck_assert(!MACH_PORT_VALID(MACH_PORT_NULL));
	ck_assert(!MACH_PORT_VALID(MACH_PORT_DEAD));
	ck_assert(MACH_PORT_VALID(0x103u));
	ck_assert_uint_eq(MACH_PORT_INDEX(n), 0x123456u);
	ck_assert_uint_eq(MACH_PORT_GEN(n), 0x47000000u);
	ck_assert_uint_eq(MACH_PORT_MAKE(0x123456u, 0x47000000u), n);
}
END_TEST

START_TEST(sec1_4_right_values)
{
	ck_assert_uint_eq(MACH_PORT_RIGHT_SEND, 0);
	ck_assert_uint_eq(MACH_PORT_RIGHT_RECEIVE, 1);
	ck_assert_uint_eq(MACH_PORT_RIGHT_SEND_ONCE, 2);
	ck_assert_uint_eq(MACH_PORT_RIGHT_PORT_SET, 3);
	ck_assert_uint_eq(MACH_PORT_RIGHT_DEAD_NAME, 4);
	ck_assert_uint_eq(MACH_PORT_RIGHT_LABELH, 5);
	ck_assert_uint_eq(MACH_PORT_RIGHT_NUMBER, 6);
	ck_assert_uint_eq(MACH_PORT_TYPE(MACH_PORT_RIGHT_DEAD_NAME), 0x100000u);
	ck_assert_uint_eq(MACH_PORT_UREFS_MAX, 0xffffu);
	ck_assert(MACH_PORT_UREFS_OVERFLOW(1u, 65534));
	ck_assert(!MACH_PORT_UREFS_OVERFLOW(1u, 65533));
	ck_assert(MACH_PORT_UREFS_UNDERFLOW(2u, -3));
	ck_assert(!MACH_PORT_UREFS_UNDERFLOW(2u, -2));
}
END_TEST

START_TEST(sec1_5_disposition_values)
{
	ck_assert_uint_eq(MACH_MSG_TYPE_PORT_NONE, 0);
	ck_assert_uint_eq(MACH_MSG_TYPE_PORT_NAME, 15);
	ck_assert_uint_eq(MACH_MSG_TYPE_MOVE_RECEIVE, 16);
	ck_assert_uint_eq(MACH_MSG_TYPE_MOVE_SEND, 17);
	ck_assert_uint_eq(MACH_MSG_TYPE_MOVE_SEND_ONCE, 18);
	ck_assert_uint_eq(MACH_MSG_TYPE_COPY_SEND, 19);
	ck_assert_uint_eq(MACH_MSG_TYPE_MAKE_SEND, 20);
	ck_assert_uint_eq(MACH_MSG_TYPE_MAKE_SEND_ONCE, 21);
	ck_assert_uint_eq(MACH_MSG_TYPE_COPY_RECEIVE, 22);
	ck_assert_uint_eq(MACH_MSG_TYPE_DISPOSE_RECEIVE, 24);
	ck_assert_uint_eq(MACH_MSG_TYPE_DISPOSE_SEND, 25);
	ck_assert_uint_eq(MACH_MSG_TYPE_DISPOSE_SEND_ONCE, 26);
	ck_assert_uint_eq(MACH_MSG_TYPE_PORT_RECEIVE, 16);
	ck_assert_uint_eq(MACH_MSG_TYPE_PORT_SEND, 17);
	ck_assert_uint_eq(MACH_MSG_TYPE_PORT_SEND_ONCE, 18);
	ck_assert_uint_eq(MACH_MSG_TYPE_LAST, 22);
	ck_assert_uint_eq(MACH_MSG_TYPE_POLYMORPHIC, 0xffffffffu);
	ck_assert(!MACH_MSG_TYPE_PORT_ANY(15) && MACH_MSG_TYPE_PORT_ANY(16) &&
	    MACH_MSG_TYPE_PORT_ANY(21) && !MACH_MSG_TYPE_PORT_ANY(22));
	ck_assert(!MACH_MSG_TYPE_PORT_ANY_SEND(16) &&
	    MACH_MSG_TYPE_PORT_ANY_SEND(17) && MACH_MSG_TYPE_PORT_ANY_SEND(21));
	ck_assert(MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(18) &&
	    MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(21) &&
	    !MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(20));
	ck_assert(MACH_MSG_TYPE_PORT_ANY_RIGHT(16) &&
	    MACH_MSG_TYPE_PORT_ANY_RIGHT(18) &&
	    !MACH_MSG_TYPE_PORT_ANY_RIGHT(19));
}
END_TEST

START_TEST(sec1_7_struct_sizes_and_counts)
{
	ck_assert_uint_eq(sizeof(mach_port_status_t), 40);
	ck_assert_uint_eq(sizeof(mach_port_limits_t), 4);
	ck_assert_uint_eq(sizeof(mach_port_info_ext_t), 68);
	ck_assert_uint_eq(sizeof(mach_port_guard_info_t), 8);
	ck_assert_uint_eq(sizeof(mach_port_options_t), 24);
	ck_assert_uint_eq(sizeof(mach_port_name_t), 4);
	ck_assert_uint_eq(sizeof(mach_port_context_t), 8);
	ck_assert_uint_eq(MACH_PORT_LIMITS_INFO_COUNT, 1);
	ck_assert_uint_eq(MACH_PORT_RECEIVE_STATUS_COUNT, 10);
	ck_assert_uint_eq(MACH_PORT_DNREQUESTS_SIZE_COUNT, 1);
	ck_assert_uint_eq(MACH_PORT_INFO_EXT_COUNT, 17);
	ck_assert_uint_eq(MACH_PORT_GUARD_INFO_COUNT, 2);
	ck_assert_uint_eq(MACH_PORT_SERVICE_THROTTLED_COUNT, 1);
}
END_TEST

START_TEST(sec1_10_attribute_values)
{
	ck_assert_int_eq(MACH_PORT_LIMITS_INFO, 1);
	ck_assert_int_eq(MACH_PORT_RECEIVE_STATUS, 2);
	ck_assert_int_eq(MACH_PORT_DNREQUESTS_SIZE, 3);
	ck_assert_int_eq(MACH_PORT_TEMPOWNER, 4);
	ck_assert_int_eq(MACH_PORT_IMPORTANCE_RECEIVER, 5);
	ck_assert_int_eq(MACH_PORT_DENAP_RECEIVER, 6);
	ck_assert_int_eq(MACH_PORT_INFO_EXT, 7);
	ck_assert_int_eq(MACH_PORT_GUARD_INFO, 8);
	ck_assert_int_eq(MACH_PORT_SERVICE_THROTTLED, 9);
	ck_assert_int_eq(MACH_PORT_QLIMIT_ZERO, 0);
	ck_assert_int_eq(MACH_PORT_QLIMIT_BASIC, 5);
	ck_assert_int_eq(MACH_PORT_QLIMIT_SMALL, 16);
	ck_assert_int_eq(MACH_PORT_QLIMIT_LARGE, 1024);
	ck_assert_int_eq(MACH_PORT_QLIMIT_KERNEL, 65534);
	ck_assert_int_eq(MACH_PORT_QLIMIT_DEFAULT, 5);
	ck_assert_int_eq(MACH_PORT_QLIMIT_MAX, 1024);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_TEMPOWNER, 0x01);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_GUARDED, 0x02);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_STRICT_GUARD, 0x04);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_IMP_DONATION, 0x08);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_TASKPTR, 0x20);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE, 0x40);
	ck_assert_int_eq(MACH_PORT_STATUS_FLAG_NO_GRANT, 0x80);
	ck_assert_int_eq(MACH_PORT_SRIGHTS_NONE, 0);
	ck_assert_int_eq(MACH_PORT_SRIGHTS_PRESENT, 1);
}
END_TEST

START_TEST(sec1_11_construct_and_guard_flags)
{
	ck_assert_int_eq(MPO_CONTEXT_AS_GUARD, 0x01);
	ck_assert_int_eq(MPO_QLIMIT, 0x02);
	ck_assert_int_eq(MPO_TEMPOWNER, 0x04);
	ck_assert_int_eq(MPO_IMPORTANCE_RECEIVER, 0x08);
	ck_assert_int_eq(MPO_INSERT_SEND_RIGHT, 0x10);
	ck_assert_int_eq(MPO_STRICT, 0x20);
	ck_assert_int_eq(MPO_DENAP_RECEIVER, 0x40);
	ck_assert_int_eq(MPO_IMMOVABLE_RECEIVE, 0x80);
	ck_assert_int_eq(MPO_FILTER_MSG, 0x100);
	ck_assert_int_eq(MPO_TG_BLOCK_TRACKING, 0x200);
	ck_assert_int_eq(MPO_SERVICE_PORT, 0x400);
	ck_assert_int_eq(MPO_CONNECTION_PORT, 0x800);
	ck_assert_int_eq(MPO_REPLY_PORT, 0x1000);
	ck_assert_int_eq(MPO_ENFORCE_REPLY_PORT_SEMANTICS, 0x2000);
	ck_assert_int_eq(MPO_PROVISIONAL_REPLY_PORT, 0x4000);
	ck_assert_int_eq(MPO_EXCEPTION_PORT, 0x8000);
	ck_assert_int_eq(MPG_STRICT, 0x01);
	ck_assert_int_eq(MPG_IMMOVABLE_RECEIVE, 0x02);
	ck_assert_uint_eq(MPG_FLAGS_MOD_REFS_PINNED_DEALLOC, 0x01ull << 56);
	ck_assert_uint_eq(MPG_FLAGS_MOD_REFS_PINNED_DESTROY, 0x02ull << 56);
	ck_assert_uint_eq(MPG_FLAGS_MOD_REFS_PINNED_COPYIN, 0x04ull << 56);
	ck_assert_uint_eq(MPG_FLAGS_IMMOVABLE_PINNED, 0x01ull << 56);
}
END_TEST

START_TEST(sec1_12_guard_flavor_values)
{
	ck_assert_uint_eq(GUARD_TYPE_MACH_PORT, 1);
	ck_assert_uint_eq(kGUARD_EXC_DESTROY, 1);
	ck_assert_uint_eq(kGUARD_EXC_MOD_REFS, 2);
	ck_assert_uint_eq(kGUARD_EXC_INVALID_OPTIONS, 3);
	ck_assert_uint_eq(kGUARD_EXC_SET_CONTEXT, 4);
	ck_assert_uint_eq(kGUARD_EXC_THREAD_SET_STATE, 5);
	ck_assert_uint_eq(kGUARD_EXC_EXCEPTION_BEHAVIOR_ENFORCE, 6);
	ck_assert_uint_eq(kGUARD_EXC_SERVICE_PORT_VIOLATION_FATAL, 7);
	ck_assert_uint_eq(kGUARD_EXC_UNGUARDED, 8);
	ck_assert_uint_eq(kGUARD_EXC_INCORRECT_GUARD, 16);
	ck_assert_uint_eq(kGUARD_EXC_IMMOVABLE, 32);
	ck_assert_uint_eq(kGUARD_EXC_STRICT_REPLY, 64);
	ck_assert_uint_eq(kGUARD_EXC_MSG_FILTERED, 128);
	ck_assert_uint_eq(kGUARD_EXC_INVALID_RIGHT, 256);
	ck_assert_uint_eq(kGUARD_EXC_INVALID_NAME, 512);
	ck_assert_uint_eq(kGUARD_EXC_INVALID_VALUE, 1u << 10);
	ck_assert_uint_eq(kGUARD_EXC_INVALID_ARGUMENT, 1u << 11);
	ck_assert_uint_eq(kGUARD_EXC_RIGHT_EXISTS, 1u << 12);
	ck_assert_uint_eq(kGUARD_EXC_KERN_NO_SPACE, 1u << 13);
	ck_assert_uint_eq(kGUARD_EXC_KERN_FAILURE, 1u << 14);
	ck_assert_uint_eq(kGUARD_EXC_KERN_RESOURCE, 1u << 15);
	ck_assert_uint_eq(kGUARD_EXC_SEND_INVALID_REPLY, 1u << 16);
	ck_assert_uint_eq(kGUARD_EXC_SEND_INVALID_VOUCHER, 1u << 17);
	ck_assert_uint_eq(kGUARD_EXC_SEND_INVALID_RIGHT, 1u << 18);
	ck_assert_uint_eq(kGUARD_EXC_RCV_INVALID_NAME, 1u << 19);
	ck_assert_uint_eq(kGUARD_EXC_RCV_GUARDED_DESC, 0x00100000u);
	ck_assert_uint_eq(
	    kGUARD_EXC_SERVICE_PORT_VIOLATION_NON_FATAL, 0x00100001u);
	ck_assert_uint_eq(kGUARD_EXC_PROVISIONAL_REPLY_PORT, 0x00100002u);
	ck_assert_uint_eq(kGUARD_EXC_MOD_REFS_NON_FATAL, 1u << 21);
	ck_assert_uint_eq(kGUARD_EXC_IMMOVABLE_NON_FATAL, 1u << 22);
	ck_assert_uint_eq(kGUARD_EXC_REQUIRE_REPLY_PORT_SEMANTICS, 1u << 23);
	ck_assert_uint_eq(MAX_FATAL_kGUARD_EXC_CODE, 128);
	ck_assert_uint_eq(MAX_OPTIONAL_kGUARD_EXC_CODE, 1u << 19);
}
END_TEST

/* ---- port.h / mach.h contracts ---------------------------------------------- */

START_TEST(api_task_self_is_thread_space)
{
	mipc_space_t t = mipc_thread_space();

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_eq(t, mipc_thread_space());
	ck_assert_ptr_eq(t, mipc_thread_space());
}
END_TEST

START_TEST(api_thread_set_space_switches_task_self)
{
	mipc_space_t def = mipc_thread_space();
	mipc_space_t s = space_new();
	mipc_space_t prev;
	mach_port_name_t r;

	prev = mipc_thread_set_space(s);
	ck_assert_ptr_eq(prev, def);
	ck_assert_ptr_eq(mipc_thread_space(), s);
	ck_assert_ptr_eq(mipc_thread_space(), s);
	/* Rights made through mach_task_self() land in s. */
	r = recv_new(mipc_thread_space());
	ck_assert_ptr_eq(mipc_thread_set_space(prev), s);
	ck_assert_ptr_eq(mipc_thread_space(), def);
	TYPE_EQ(s, r, MACH_PORT_TYPE_RECEIVE);
	NAME_GONE(def, r);
	KR_OK(mipc_space_destroy(s));
}
END_TEST

static void *
task_self_of_thread(void *arg)
{
	*(mipc_space_t *)arg = mipc_thread_space();
	return NULL;
}

START_TEST(api_thread_space_is_per_thread)
{
	mipc_space_t def = mipc_thread_space();
	mipc_space_t s = space_new();
	mipc_space_t prev, seen = NULL;
	pthread_t th;

	prev = mipc_thread_set_space(s);
	ck_assert_int_eq(
	    pthread_create(&th, NULL, task_self_of_thread, &seen), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	/* Another thread still sees the process default space. */
	ck_assert_ptr_eq(seen, def);
	ck_assert_ptr_eq(mipc_thread_space(), s);
	mipc_thread_set_space(prev);
	KR_OK(mipc_space_destroy(s));
}
END_TEST

START_TEST(api_insert_right_poly_from_current_space)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t n = conf_unused_name(s2);
	mipc_space_t prev = mipc_thread_set_space(s1);

	KR_OK(mipc_port_insert_right(
	    s2, n, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND));
	mipc_thread_set_space(prev);
	TYPE_EQ(s2, n, MACH_PORT_TYPE_SEND);
	ck_assert_uint_eq(srights_of(s1, r), 1);
	KR_OK(mipc_space_destroy(s1));
	TYPE_EQ(s2, n, MACH_PORT_TYPE_DEAD_NAME);
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(api_extract_right_lands_in_current_space)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t s1 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t polyPoly = 0;

	KR_OK(mipc_port_extract_right(s1, r, MACH_MSG_TYPE_MAKE_SEND,
	    mipc_thread_space(), &poly, &polyPoly));
	ck_assert_uint_eq(polyPoly, MACH_MSG_TYPE_PORT_SEND);
	TYPE_EQ(task, poly, MACH_PORT_TYPE_SEND);
	ck_assert_uint_eq(srights_of(s1, r), 1);
	KR_OK(mipc_space_destroy(s1));
	TYPE_EQ(task, poly, MACH_PORT_TYPE_DEAD_NAME);
}
END_TEST

START_TEST(api_vm_allocate_zero_filled_page_aligned)
{
	mipc_space_t task = mipc_thread_space();
	long page = sysconf(_SC_PAGESIZE);
	vm_address_t a = 0, b = 0;
	size_t i;

	KR_OK(mipc_vm_allocate(task, &a, 100, VM_FLAGS_ANYWHERE));
	KR_OK(
	    mipc_vm_allocate(task, &b, 3 * (vm_size_t)page, VM_FLAGS_ANYWHERE));
	ck_assert_msg(a != 0 && a % (vm_address_t)page == 0,
	    "vm_allocate gave %#lx", (unsigned long)a);
	ck_assert_msg(b != 0 && b % (vm_address_t)page == 0,
	    "vm_allocate gave %#lx", (unsigned long)b);
	ck_assert_msg(a != b, "two regions at the same address");
	for (i = 0; i < 100; i++)
		ck_assert_msg(
		    ((const unsigned char *)a)[i] == 0, "byte %zu not zero", i);
	for (i = 0; i < 3 * (size_t)page; i++)
		ck_assert_msg(
		    ((const unsigned char *)b)[i] == 0, "byte %zu not zero", i);
	memset((void *)a, 0xa5, 100);
	memset((void *)b, 0x5a, 3 * (size_t)page);
	KR_OK(mipc_vm_deallocate(task, a, 100));
	KR_OK(mipc_vm_deallocate(task, b, 3 * (vm_size_t)page));
}
END_TEST

/*
 * Released small regions are kept for reuse (vm.c, Choices): a region
 * handed out again is zero-filled as a fresh mapping is, and counts as
 * released while it waits.
 */
START_TEST(api_vm_reused_region_is_zero_filled)
{
	mipc_space_t task = mipc_thread_space();
	long page = sysconf(_SC_PAGESIZE);
	vm_address_t a = 0, b = 0, c = 0;
	struct mipc_stats st;
	size_t i;

	KR_OK(
	    mipc_vm_allocate(task, &a, 2 * (vm_size_t)page, VM_FLAGS_ANYWHERE));
	memset((void *)a, 0xa5, 2 * (size_t)page);
	KR_OK(mipc_vm_deallocate(task, a, 2 * (vm_size_t)page));
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.ool_bytes, 0);
	/* A region of another size does not take the kept pages... */
	KR_OK(mipc_vm_allocate(task, &c, (vm_size_t)page, VM_FLAGS_ANYWHERE));
	ck_assert_msg(c < a || c >= a + 2 * (vm_address_t)page,
	    "a 1-page region %#lx inside the kept 2-page one %#lx",
	    (unsigned long)c, (unsigned long)a);
	KR_OK(
	    mipc_vm_allocate(task, &b, 2 * (vm_size_t)page, VM_FLAGS_ANYWHERE));
	/* ...one of the same size does (the point of keeping them)... */
	ck_assert_msg(b == a, "region %#lx not reused (got %#lx)",
	    (unsigned long)a, (unsigned long)b);
	/* ...with none of what the last holder wrote. */
	for (i = 0; i < 2 * (size_t)page; i++)
		ck_assert_msg(
		    ((const unsigned char *)b)[i] == 0, "byte %zu not zero", i);
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.ool_bytes, 3 * (uint64_t)page);
	KR_OK(mipc_vm_deallocate(task, c, (vm_size_t)page));
	KR_OK(mipc_vm_deallocate(task, b, 2 * (vm_size_t)page));
	/* Released again: a second release is an unknown address. */
	KR_EQ(mipc_vm_deallocate(task, b, 2 * (vm_size_t)page),
	    KERN_INVALID_ADDRESS);
}
END_TEST

/* Is [a, a + len) mapped?  mincore fails with ENOMEM on unmapped pages. */
static bool
mapped(vm_address_t a, size_t len)
{
	unsigned char vec[64];

	ck_assert_uint_le(len / (size_t)sysconf(_SC_PAGESIZE), sizeof(vec));
	if (mincore((void *)a, len, vec) == 0)
		return true;
	ck_assert_int_eq(errno, ENOMEM);
	return false;
}

/*
 * What is kept is bounded (vm.c, Choices): regions up to 256 KiB, 4 MiB
 * of them in all; a bigger region, and one past the budget, go back to
 * the system at once.
 */
START_TEST(api_vm_release_beyond_kept_unmaps)
{
	mipc_space_t task = mipc_thread_space();
	vm_size_t page = (vm_size_t)sysconf(_SC_PAGESIZE);
	vm_size_t big = 256 * 1024, huge = big + page;
	vm_address_t r[17], b = 0;
	int i;

	/* 16 regions of 256 KiB fill the 4 MiB budget; the 17th is not kept. */
	for (i = 0; i < 17; i++)
		KR_OK(mipc_vm_allocate(task, &r[i], big, VM_FLAGS_ANYWHERE));
	for (i = 0; i < 17; i++)
		KR_OK(mipc_vm_deallocate(task, r[i], big));
	for (i = 0; i < 16; i++)
		ck_assert_msg(mapped(r[i], page), "kept region %d unmapped", i);
	ck_assert_msg(!mapped(r[16], page), "a region past the budget kept");
	/* Past 256 KiB nothing is kept. */
	KR_OK(mipc_vm_allocate(task, &b, huge, VM_FLAGS_ANYWHERE));
	ck_assert_msg(mapped(b, page), "a fresh region not mapped");
	KR_OK(mipc_vm_deallocate(task, b, huge));
	ck_assert_msg(!mapped(b, page), "a region above 256 KiB kept");
	/* The latest kept comes back first. */
	b = 0;
	KR_OK(mipc_vm_allocate(task, &b, big, VM_FLAGS_ANYWHERE));
	ck_assert_msg(b == r[15], "the latest kept region not reused");
	KR_OK(mipc_vm_deallocate(task, b, big));
}
END_TEST

/* Size 0: success, and the address is 0 (nothing to release). */
START_TEST(api_vm_allocate_zero_size)
{
	mipc_space_t task = mipc_thread_space();
	vm_address_t a = 0x1000;
	struct mipc_stats st;

	KR_OK(mipc_vm_allocate(task, &a, 0, VM_FLAGS_ANYWHERE));
	ck_assert_uint_eq(a, 0);
	mipc_get_stats(&st);
	ck_assert_uint_eq(st.ool_bytes, 0);
	KR_OK(mipc_vm_deallocate(task, a, 0));
}
END_TEST

START_TEST(api_vm_allocate_fixed_invalid_argument)
{
	mipc_space_t task = mipc_thread_space();
	vm_address_t a = 0x10000;

	KR_EQ(mipc_vm_allocate(task, &a, 4096, VM_FLAGS_FIXED),
	    KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(api_vm_deallocate_unknown_or_mismatched_invalid_address)
{
	mipc_space_t task = mipc_thread_space();
	long page = sysconf(_SC_PAGESIZE);
	vm_address_t a = 0;
	static char not_mipc[64];

	KR_OK(mipc_vm_allocate(task, &a, 100, VM_FLAGS_ANYWHERE));
	KR_EQ(
	    mipc_vm_deallocate(task, (vm_address_t)not_mipc, sizeof(not_mipc)),
	    KERN_INVALID_ADDRESS);
	KR_EQ(mipc_vm_deallocate(task, a + 16, 84), KERN_INVALID_ADDRESS);
	KR_EQ(mipc_vm_deallocate(task, a, 3 * (vm_size_t)page),
	    KERN_INVALID_ADDRESS);
	/* Size 0 is a no-op. */
	KR_OK(mipc_vm_deallocate(task, a, 0));
	/* None of that touched the region. */
	memset((void *)a, 0x11, 100);
	KR_OK(mipc_vm_deallocate(task, a, 100));
	/* Released: a second release is an unknown address. */
	KR_EQ(mipc_vm_deallocate(task, a, 100), KERN_INVALID_ADDRESS);
}
END_TEST

/*
 * No handler set: a fatal flavor prints and aborts, as XNU terminates the
 * task (MACH.md 0; the guard-exception contract).
 */
START_TEST(api_guard_no_handler_fatal_flavor_aborts)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_CONTEXT_AS_GUARD;
	KR_OK(mipc_port_construct(task, &opts, 0x1234, &n));
	mipc_set_guard_handler(NULL, NULL);
	/* kGUARD_EXC_DESTROY (fatal): this call does not return. */
	(void)mipc_port_destroy(task, n);
	ck_abort_msg("a fatal guard violation with no handler returned");
}
END_TEST

/* No handler set: an optional flavor is dropped and the call answers. */
START_TEST(api_guard_no_handler_optional_flavor_dropped)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t never = (0x123u << 8) | 3u;

	mipc_set_guard_handler(NULL, NULL);
	/* kGUARD_EXC_INVALID_NAME (optional): the code, and no abort. */
	KR_EQ(mipc_port_destroy(task, never), KERN_INVALID_NAME);
	KR_EQ(mipc_port_destroy(task, never), KERN_INVALID_NAME);
}
END_TEST

/* ---- issue 12, item 10: regions belong to a space ------------------------- */

/*
 * Send `len` bytes at `src` from `from` to receive right `r` of `to` as
 * one OOL descriptor (physical copy, deallocate as given); receive it in
 * `to` and return the region it arrived in.
 */
static void *
x_ool_xfer(mipc_space_t from, mipc_space_t to, mach_port_name_t r,
    const void *src, mach_msg_size_t len, boolean_t dealloc)
{
	struct {
		mach_msg_header_t h;
		mach_msg_body_t body;
		mach_msg_ool_descriptor_t ool;
		mach_msg_max_trailer_t t;
	} m;
	memset(&m, 0, sizeof(m));
	if (from == to) {
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
		m.h.msgh_remote_port = r;
	} else {
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0);
		m.h.msgh_remote_port = conf_give_send(from, to, r, 1);
	}
	m.h.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
	m.body.msgh_descriptor_count = 1;
	m.ool.address = (void *)(uintptr_t)src;
	m.ool.size = len;
	m.ool.deallocate = dealloc;
	m.ool.copy = MACH_MSG_PHYSICAL_COPY;
	m.ool.type = MACH_MSG_OOL_DESCRIPTOR;
	KR_EQ(mipc_msg(from, &m.h, MACH_SEND_MSG, sizeof(m) - sizeof(m.t), 0,
	          MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	memset(&m, 0, sizeof(m));
	KR_EQ(mipc_msg(to, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	          r, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	VAL_EQ(m.ool.size, len);
	return m.ool.address;
}

/*
 * vm_deallocate of a region another space holds -- one it received, one
 * it allocated -- is KERN_INVALID_ADDRESS and leaves the region alone; its
 * holder releases it.  An array a query hands out belongs to the caller
 * (the thread's space, MIG's reply), not to the space queried.  Sending
 * another space's region with deallocate copies it and leaves it there.
 */
START_TEST(api_vm_region_of_another_space_invalid_address)
{
	mipc_space_t task = mipc_thread_space();
	mipc_space_t b = space_new();
	mach_port_name_t rb = recv_new(b), rt = recv_new(task);
	long page = sysconf(_SC_PAGESIZE);
	char data[100];
	vm_address_t got, own = 0;
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t nn = 0, nt = 0;
	void *copy;

	memset(data, 0x5a, sizeof(data));
	got = (vm_address_t)x_ool_xfer(task, b, rb, data, sizeof(data), FALSE);
	KR_EQ(
	    mipc_vm_deallocate(task, got, sizeof(data)), KERN_INVALID_ADDRESS);
	ck_assert(memcmp((void *)got, data, sizeof(data)) == 0);
	KR_OK(mipc_vm_allocate(b, &own, (vm_size_t)page, VM_FLAGS_ANYWHERE));
	KR_EQ(mipc_vm_deallocate(task, own, (vm_size_t)page),
	    KERN_INVALID_ADDRESS);
	memset((void *)own, 0x33, (size_t)page);
	/* b's region sent by the task, deallocate: copied, not taken. */
	copy = x_ool_xfer(
	    task, task, rt, (void *)own, (mach_msg_size_t)page, TRUE);
	ck_assert(((unsigned char *)copy)[page - 1] == 0x33);
	ck_assert(((unsigned char *)own)[0] == 0x33);
	KR_OK(mipc_vm_deallocate(task, (vm_address_t)copy, (vm_size_t)page));
	KR_OK(mipc_vm_deallocate(b, got, sizeof(data)));
	KR_OK(mipc_vm_deallocate(b, own, (vm_size_t)page));
	/* mach_port_names(b) from the task: the arrays are the task's. */
	KR_OK(mipc_port_names(b, &names, &nn, &types, &nt));
	VAL_EQ(nn, 1);
	KR_EQ(mipc_vm_deallocate(b, (vm_address_t)names, sizeof(*names)),
	    KERN_INVALID_ADDRESS);
	KR_OK(mipc_vm_deallocate(task, (vm_address_t)names, sizeof(*names)));
	KR_OK(mipc_vm_deallocate(task, (vm_address_t)types, sizeof(*types)));
	KR_OK(mipc_space_destroy(b));
}
END_TEST

/* A destroyed space's handle allocates and frees nothing. */
START_TEST(api_vm_calls_on_destroyed_space_invalid_task)
{
	mipc_space_t b = space_new();
	mipc_space_t prev;
	vm_address_t a = 0, keep = 0;

	KR_OK(mipc_vm_allocate(b, &keep, 4096, VM_FLAGS_ANYWHERE));
	/* Current, so that the handle outlives the destroy (W2). */
	prev = mipc_thread_set_space(b);
	KR_OK(mipc_space_destroy(b));
	KR_EQ(mipc_vm_allocate(b, &a, 4096, VM_FLAGS_ANYWHERE),
	    KERN_INVALID_TASK);
	VAL_EQ(a, 0);
	KR_EQ(mipc_vm_deallocate(b, keep, 4096), KERN_INVALID_TASK);
	(void)mipc_thread_set_space(prev);
}
END_TEST

static Suite *
x_library_suite(void)
{
	Suite *s = suite_create("X_library");
	TCase *x1 = conf_tcase("X1");
	TCase *consts = conf_tcase("sec1_constants");
	TCase *api = conf_tcase("api");

	tcase_add_test(x1, X1_null_task_allocation_calls);
	tcase_add_test(x1, X1_null_task_refs_type_names_calls);
	tcase_add_test(x1, X1_null_task_insert_extract_right);
	tcase_add_test(x1, X1_null_task_attribute_calls);
	tcase_add_test(x1, X1_null_task_context_guard_calls);
	tcase_add_test(x1, X1_null_task_port_set_calls);
	tcase_add_test(x1, X1_null_task_checked_before_other_arguments);
	tcase_add_test(x1, X1_null_space_mipc_spellings);
	tcase_add_test(x1, X1_null_task_vm_calls);
	suite_add_tcase(s, x1);

	tcase_add_test(consts, sec1_1_kern_return_values);
	tcase_add_test(consts, sec1_3_port_name_macros);
	tcase_add_test(consts, sec1_4_right_values);
	tcase_add_test(consts, sec1_5_disposition_values);
	tcase_add_test(consts, sec1_7_struct_sizes_and_counts);
	tcase_add_test(consts, sec1_10_attribute_values);
	tcase_add_test(consts, sec1_11_construct_and_guard_flags);
	tcase_add_test(consts, sec1_12_guard_flavor_values);
	suite_add_tcase(s, consts);

	tcase_add_test(api, api_task_self_is_thread_space);
	tcase_add_test(api, api_thread_set_space_switches_task_self);
	tcase_add_test(api, api_thread_space_is_per_thread);
	tcase_add_test(api, api_insert_right_poly_from_current_space);
	tcase_add_test(api, api_extract_right_lands_in_current_space);
	tcase_add_test(api, api_vm_allocate_zero_filled_page_aligned);
	tcase_add_test(api, api_vm_reused_region_is_zero_filled);
	tcase_add_test(api, api_vm_release_beyond_kept_unmaps);
	tcase_add_test(api, api_vm_allocate_zero_size);
	tcase_add_test(api, api_vm_allocate_fixed_invalid_argument);
	tcase_add_test(
	    api, api_vm_deallocate_unknown_or_mismatched_invalid_address);
	tcase_add_test(api, api_vm_region_of_another_space_invalid_address);
	tcase_add_test(api, api_vm_calls_on_destroyed_space_invalid_task);
	tcase_add_test_raise_signal(
	    api, api_guard_no_handler_fatal_flavor_aborts, SIGABRT);
	tcase_add_test(api, api_guard_no_handler_optional_flavor_dropped);
	suite_add_tcase(s, api);
	return s;
}

MIPC_TEST_MAIN(x_library_suite)

/*
 * Not here:
 *   X2 mach_port_rename / mach_port_kernel_object -> MIG_BAD_ID: mipc has
 *      no such calls.
 *   X3, X4 mach_msg_send / mach_msg_receive wrappers and mach_msg2 value
 *      semantics: the messages issue.
 *   1.2, 1.6-1.9 message-side constants (message.h is a later issue).
 */
