/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mach_assert.h -- what the conformance suites of MACH.md areas E, F, G, H
 * and Q share: assertions that name the Mach constant they expect, checked
 * readers of a right's state, a recorder of guard exceptions, and names
 * that a test may choose for itself.
 *
 * Every reader asserts that the call it wraps succeeds, so a test body
 * only states the behaviour under test.  Helpers are static inline so a
 * suite that does not use one does not warn.
 *
 * Names: the engine picks names at random (MACH.md 1.3), so a test never
 * assumes a value.  A name for a user-chosen insert comes from
 * free_name(): a kernel-chosen name whose right was just released, so its
 * slot is free and a user insert under exactly that name is legal (A6).
 * A later kernel-chosen allocation may take the slot again, so a test
 * uses such a name before it allocates anything else in that space.
 */
#ifndef MIPC_TESTS_CONFORMANCE_MACH_ASSERT_H
#define MIPC_TESTS_CONFORMANCE_MACH_ASSERT_H

#include "check_mipc.h"

#include <stdint.h>
#include <string.h>

/* ---- assertions -------------------------------------------------------- */

/* `call` returns exactly `want`, spelled with Mach's constant name. */
#define KR_EQ(call, want)                                              \
	do {                                                           \
		kern_return_t kr_ = (call);                            \
		ck_assert_msg(kr_ == (kern_return_t)(want),            \
		    "%s returned %d (0x%x), want %s (%d)", #call, kr_, \
		    (unsigned)kr_, #want, (int)(want));                \
	} while (0)

/* `call` fails, with whatever code (MACH.md pins none). */
#define KR_FAILS(call)                                                  \
	do {                                                            \
		kern_return_t kr_ = (call);                             \
		ck_assert_msg(kr_ != KERN_SUCCESS,                      \
		    "%s returned KERN_SUCCESS, want a failure", #call); \
	} while (0)

/* A value read back equals what Mach specifies. */
#define VAL_EQ(got, want)                                                  \
	do {                                                               \
		unsigned long long g_ = (unsigned long long)(got);         \
		unsigned long long w_ = (unsigned long long)(want);        \
		ck_assert_msg(g_ == w_,                                    \
		    "%s is 0x%llx (%llu), want %s = 0x%llx", #got, g_, g_, \
		    #want, w_);                                            \
	} while (0)

#define VAL_NE(got, other)                                                   \
	do {                                                                 \
		unsigned long long g_ = (unsigned long long)(got);           \
		unsigned long long o_ = (unsigned long long)(other);         \
		ck_assert_msg(g_ != o_, "%s is 0x%llx, must differ from %s", \
		    #got, g_, #other);                                       \
	} while (0)

/* ---- guard exceptions -------------------------------------------------- */

#define GUARD_REC_MAX 8

struct guard_event {
	mipc_space_t ge_space;
	mach_port_name_t ge_name;
	uint64_t ge_flavor;
	uint64_t ge_payload;
};

struct guard_rec {
	unsigned gr_count;
	struct guard_event gr_ev[GUARD_REC_MAX];
};

/* One per test process (each test is a forked child). */
static struct guard_rec guard_rec;

static inline void
guard_record(mipc_space_t space, mach_port_name_t name, uint64_t flavor,
    uint64_t payload, void *ctx)
{
	struct guard_rec *r = ctx;

	if (r->gr_count < GUARD_REC_MAX) {
		struct guard_event *e = &r->gr_ev[r->gr_count];

		e->ge_space = space;
		e->ge_name = name;
		e->ge_flavor = flavor;
		e->ge_payload = payload;
	}
	r->gr_count++;
}

/* Forget what was recorded, before the call that is expected to raise. */
static inline void
guard_reset(void)
{
	memset(&guard_rec, 0, sizeof(guard_rec));
}

static inline void
guard_setup(void)
{
	guard_reset();
	mipc_set_guard_handler(guard_record, &guard_rec);
}

/* Exactly one guard exception since guard_reset(), of this flavor, name. */
static inline void
expect_guard(uint64_t flavor, mach_port_name_t name)
{
	ck_assert_msg(guard_rec.gr_count == 1,
	    "%u guard exceptions raised, want exactly one (flavor %llu)",
	    guard_rec.gr_count, (unsigned long long)flavor);
	ck_assert_msg(guard_rec.gr_ev[0].ge_flavor == flavor,
	    "guard flavor %llu, want %llu",
	    (unsigned long long)guard_rec.gr_ev[0].ge_flavor,
	    (unsigned long long)flavor);
	ck_assert_msg(guard_rec.gr_ev[0].ge_name == name,
	    "guard raised on name 0x%x, want 0x%x", guard_rec.gr_ev[0].ge_name,
	    name);
}

static inline void
expect_guard_payload(uint64_t flavor, mach_port_name_t name, uint64_t payload)
{
	expect_guard(flavor, name);
	ck_assert_msg(guard_rec.gr_ev[0].ge_payload == payload,
	    "guard payload 0x%llx, want 0x%llx",
	    (unsigned long long)guard_rec.gr_ev[0].ge_payload,
	    (unsigned long long)payload);
}

static inline void
expect_no_guard(void)
{
	ck_assert_msg(guard_rec.gr_count == 0,
	    "%u guard exceptions raised (first flavor %llu), want none",
	    guard_rec.gr_count,
	    (unsigned long long)guard_rec.gr_ev[0].ge_flavor);
}

/*
 * No fatal flavor (<= kGUARD_EXC_MSG_FILTERED) was raised: XNU would have
 * killed the task, and MACH.md marks every such case.  Optional flavors
 * may be raised where MACH.md is silent.
 */
static inline void
expect_no_fatal_guard(void)
{
	unsigned i;

	for (i = 0; i < guard_rec.gr_count && i < GUARD_REC_MAX; i++)
		ck_assert_msg(
		    guard_rec.gr_ev[i].ge_flavor > MAX_FATAL_kGUARD_EXC_CODE,
		    "fatal guard flavor %llu raised on 0x%x",
		    (unsigned long long)guard_rec.gr_ev[i].ge_flavor,
		    guard_rec.gr_ev[i].ge_name);
}

/* Every flavor raised since guard_reset() (if any) is `flavor`. */
static inline void
expect_only_guard(uint64_t flavor)
{
	unsigned i;

	for (i = 0; i < guard_rec.gr_count && i < GUARD_REC_MAX; i++)
		ck_assert_msg(guard_rec.gr_ev[i].ge_flavor == flavor,
		    "guard flavor %llu raised, want only %llu",
		    (unsigned long long)guard_rec.gr_ev[i].ge_flavor,
		    (unsigned long long)flavor);
}

/* A test case with the leak check and the guard recorder installed. */
static inline TCase *
conf_tcase(const char *name)
{
	TCase *tc = mipc_tcase(name);

	tcase_add_checked_fixture(tc, guard_setup, NULL);
	return tc;
}

/* ---- making rights ------------------------------------------------------ */

static inline mach_port_name_t
recv_new(mipc_space_t sp)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_EQ(
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &n), KERN_SUCCESS);
	ck_assert_msg(MACH_PORT_VALID(n), "allocated name 0x%x", n);
	return n;
}

static inline mach_port_name_t
pset_new(mipc_space_t sp)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_EQ(
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &n), KERN_SUCCESS);
	ck_assert_msg(MACH_PORT_VALID(n), "allocated name 0x%x", n);
	return n;
}

static inline mach_port_name_t
dead_new(mipc_space_t sp)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_EQ(mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &n),
	    KERN_SUCCESS);
	ck_assert_msg(MACH_PORT_VALID(n), "allocated name 0x%x", n);
	return n;
}

/* A receive right made by mach_port_construct with these flags. */
static inline mach_port_name_t
construct_new(mipc_space_t sp, uint32_t flags, mach_port_context_t ctx)
{
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = flags;
	KR_EQ(mipc_port_construct(sp, &opts, ctx, &n), KERN_SUCCESS);
	ck_assert_msg(MACH_PORT_VALID(n), "constructed name 0x%x", n);
	return n;
}

/* A name whose slot is free right now (see the header comment). */
static inline mach_port_name_t
free_name(mipc_space_t sp)
{
	mach_port_name_t n = recv_new(sp);
	mach_port_type_t t;

	KR_EQ(mipc_port_mod_refs(sp, n, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_SUCCESS);
	KR_EQ(mipc_port_type(sp, n, &t), KERN_INVALID_NAME);
	return n;
}

/* A new space; the test destroys it with mipc_space_destroy. */
static inline mipc_space_t
space_new(void)
{
	mipc_space_t sp = NULL;

	KR_EQ(mipc_space_create(&sp), KERN_SUCCESS);
	ck_assert_ptr_nonnull(sp);
	return sp;
}

/* Make `r` in `sp` a send+receive name (one more uref, mscount + 1). */
static inline void
make_send(mipc_space_t sp, mach_port_name_t r)
{
	KR_EQ(mipc_port_insert_right(sp, r, sp, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
}

/* A send right in `dst`, under a name chosen there, to receive `r` of src. */
static inline mach_port_name_t
send_in(mipc_space_t dst, mipc_space_t src, mach_port_name_t r)
{
	mach_port_name_t n = free_name(dst);

	KR_EQ(mipc_port_insert_right(dst, n, src, r, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	return n;
}

/* A send-once right in `sp` to receive right `r` of the same space. */
static inline mach_port_name_t
sonce_in(mipc_space_t sp, mach_port_name_t r)
{
	mach_port_name_t n = free_name(sp);

	KR_EQ(
	    mipc_port_insert_right(sp, n, sp, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_SUCCESS);
	return n;
}

/* ---- reading state ------------------------------------------------------ */

static inline mach_port_type_t
type_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_type_t t = 0xdeadbeef;

	KR_EQ(mipc_port_type(sp, n, &t), KERN_SUCCESS);
	return t;
}

/* The name denotes nothing in the space. */
static inline void
expect_unknown(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_type_t t;

	KR_EQ(mipc_port_type(sp, n, &t), KERN_INVALID_NAME);
}

static inline mach_port_urefs_t
refs_of(mipc_space_t sp, mach_port_name_t n, mach_port_right_t right)
{
	mach_port_urefs_t r = 0xdeadbeef;

	KR_EQ(mipc_port_get_refs(sp, n, right, &r), KERN_SUCCESS);
	return r;
}

static inline mach_port_status_t
status_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	memset(&st, 0xa5, sizeof(st));
	KR_EQ(mipc_port_get_attributes(sp, n, MACH_PORT_RECEIVE_STATUS,
	          (mach_port_info_t)(void *)&st, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_RECEIVE_STATUS_COUNT);
	return st;
}

static inline mach_port_context_t
ctx_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_context_t c = 0xdeadbeefdeadbeefull;

	KR_EQ(mipc_port_get_context(sp, n, &c), KERN_SUCCESS);
	return c;
}

static inline mach_port_rights_t
srights_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_rights_t r = 0xdeadbeef;

	KR_EQ(mipc_port_get_srights(sp, n, &r), KERN_SUCCESS);
	return r;
}

static inline mach_port_msgcount_t
qlimit_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_limits_t l = { 0xdeadbeef };
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;

	KR_EQ(mipc_port_get_attributes(sp, n, MACH_PORT_LIMITS_INFO,
	          (mach_port_info_t)(void *)&l, &cnt),
	    KERN_SUCCESS);
	VAL_EQ(cnt, MACH_PORT_LIMITS_INFO_COUNT);
	return l.mpl_qlimit;
}

static inline void
set_qlimit(mipc_space_t sp, mach_port_name_t n, mach_port_msgcount_t q)
{
	mach_port_limits_t l = { q };

	KR_EQ(mipc_port_set_attributes(sp, n, MACH_PORT_LIMITS_INFO,
	          (mach_port_info_t)(void *)&l, MACH_PORT_LIMITS_INFO_COUNT),
	    KERN_SUCCESS);
}

/*
 * The members of set `ps`, copied into out[0..max) (the count is returned,
 * at most max are copied); the returned array is released.
 */
static inline mach_msg_type_number_t
members_of(mipc_space_t sp, mach_port_name_t ps, mach_port_name_t *out,
    mach_msg_type_number_t max)
{
	mach_port_name_array_t m = NULL;
	mach_msg_type_number_t cnt = 0xdeadbeef, i;

	KR_EQ(mipc_port_get_set_status(sp, ps, &m, &cnt), KERN_SUCCESS);
	ck_assert_msg(cnt < 0x10000, "member count %u", cnt);
	for (i = 0; i < cnt && i < max; i++)
		out[i] = m[i];
	if (cnt > 0) {
		ck_assert_ptr_nonnull(m);
		KR_EQ(mipc_vm_deallocate(
		          sp, (vm_address_t)m, cnt * sizeof(mach_port_name_t)),
		    KERN_SUCCESS);
	}
	return cnt;
}

/* How many names the space holds (mach_port_names). */
static inline mach_msg_type_number_t
name_count(mipc_space_t sp)
{
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0;

	KR_EQ(mipc_port_names(sp, &names, &ncnt, &types, &tcnt), KERN_SUCCESS);
	VAL_EQ(tcnt, ncnt);
	if (ncnt > 0) {
		KR_EQ(mipc_vm_deallocate(sp, (vm_address_t)names,
		          ncnt * sizeof(mach_port_name_t)),
		    KERN_SUCCESS);
		KR_EQ(mipc_vm_deallocate(sp, (vm_address_t)types,
		          tcnt * sizeof(mach_port_type_t)),
		    KERN_SUCCESS);
	}
	return ncnt;
}

/* Live port objects, exact after a grace period (no other thread runs). */
static inline uint64_t
live_ports(void)
{
	struct mipc_stats s;

	mipc_quiesce();
	mipc_get_stats(&s);
	return s.ports;
}

#endif /* MIPC_TESTS_CONFORMANCE_MACH_ASSERT_H */
