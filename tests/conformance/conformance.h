/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conformance.h -- what every MACH.md conformance suite shares (directly,
 * or through msg_helpers.h, msg_desc_helpers.h and notify_helpers.h):
 * return-code and value assertions that print Mach's constant names, a
 * recorder of guard exceptions and the assertions over it, checked readers
 * of a right's state (mach_port_type, mach_port_get_refs, RECEIVE_STATUS,
 * mach_port_names, ...), makers of rights, and names a test may choose.
 *
 * Everything here is static (inline), so a suite that uses part of it
 * still builds under -Werror.  Every reader and maker asserts that the
 * call it wraps succeeds, so a test body only states the behaviour under
 * test.  Assertions are macros where that matters, so a failure reports
 * the line of the test, not of this header.
 *
 * Conventions the suites rely on:
 *   - Names are never assumed: the engine picks them at random (MACH.md
 *     1.3); a test checks only the properties MACH.md states.
 *   - A user-chosen name (allocate_name, insert_right) comes from one of
 *     two helpers.  conf_unused_name() builds it from an index no live
 *     name of the space uses, generation byte 0xff, so it is legal
 *     ((n & 3) == 3, index != 0) and free -- and stays unknown when the
 *     engine later takes that slot: a first use gets generation 0x03,
 *     and 0xff only a slot's 64th use (MACH.md 1.3's roll).  free_name() takes a
 *     kernel-chosen name whose right was just released, so its slot is
 *     free and a user insert under exactly that name is legal (A6); a
 *     later kernel-chosen allocation may take the slot again, so a test
 *     uses such a name before it allocates anything else in that space.
 *   - Built with CONF_MACH_SPELLING (mach_spelling.h), the calls on the
 *     current space go through the Mach spellings with mach_task_self().
 *   - Arrays from mach_port_names / get_set_status are released with
 *     vm_deallocate(mach_task_self(), addr, count * sizeof(elem)), the Mach
 *     idiom (the memory belongs to the caller, not to the space queried).
 */
#ifndef MIPC_TESTS_CONFORMANCE_H
#define MIPC_TESTS_CONFORMANCE_H

#include "check_mipc.h"
#include "mach_spelling.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- Mach constant names, for failure messages ------------------------ */

static inline const char *
conf_kr_name(kern_return_t kr)
{
	switch (kr) {
	case KERN_SUCCESS:
		return "KERN_SUCCESS";
	case KERN_INVALID_ADDRESS:
		return "KERN_INVALID_ADDRESS";
	case KERN_PROTECTION_FAILURE:
		return "KERN_PROTECTION_FAILURE";
	case KERN_NO_SPACE:
		return "KERN_NO_SPACE";
	case KERN_INVALID_ARGUMENT:
		return "KERN_INVALID_ARGUMENT";
	case KERN_FAILURE:
		return "KERN_FAILURE";
	case KERN_RESOURCE_SHORTAGE:
		return "KERN_RESOURCE_SHORTAGE";
	case KERN_NOT_RECEIVER:
		return "KERN_NOT_RECEIVER";
	case KERN_NO_ACCESS:
		return "KERN_NO_ACCESS";
	case KERN_ALREADY_IN_SET:
		return "KERN_ALREADY_IN_SET";
	case KERN_NOT_IN_SET:
		return "KERN_NOT_IN_SET";
	case KERN_NAME_EXISTS:
		return "KERN_NAME_EXISTS";
	case KERN_ABORTED:
		return "KERN_ABORTED";
	case KERN_INVALID_NAME:
		return "KERN_INVALID_NAME";
	case KERN_INVALID_TASK:
		return "KERN_INVALID_TASK";
	case KERN_INVALID_RIGHT:
		return "KERN_INVALID_RIGHT";
	case KERN_INVALID_VALUE:
		return "KERN_INVALID_VALUE";
	case KERN_UREFS_OVERFLOW:
		return "KERN_UREFS_OVERFLOW";
	case KERN_INVALID_CAPABILITY:
		return "KERN_INVALID_CAPABILITY";
	case KERN_RIGHT_EXISTS:
		return "KERN_RIGHT_EXISTS";
	case KERN_INVALID_OBJECT:
		return "KERN_INVALID_OBJECT";
	case KERN_TERMINATED:
		return "KERN_TERMINATED";
	case KERN_NOT_SUPPORTED:
		return "KERN_NOT_SUPPORTED";
	case KERN_DENIED:
		return "KERN_DENIED";
	case KERN_NOT_FOUND:
		return "KERN_NOT_FOUND";
	case MIG_BAD_ID:
		return "MIG_BAD_ID";
	case MIG_BAD_ARGUMENTS:
		return "MIG_BAD_ARGUMENTS";
	case MACH_SEND_INVALID_DEST:
		return "MACH_SEND_INVALID_DEST";
	default:
		return "(other)";
	}
}

/*
 * `expr` must return exactly `want`.  The code returned is printed by its
 * Mach name (conf_kr_name), the code wanted as the test spells it.
 */
#define KR_EQ(expr, want)                                            \
	do {                                                         \
		kern_return_t kr_got_ = (expr);                      \
		kern_return_t kr_want_ = (want);                     \
		ck_assert_msg(kr_got_ == kr_want_,                   \
		    "%s returned %s (%#x), want %s (%#x)", #expr,    \
		    conf_kr_name(kr_got_), (unsigned)kr_got_, #want, \
		    (unsigned)kr_want_);                             \
	} while (0)

#define KR_OK(expr) KR_EQ(expr, KERN_SUCCESS)

/* Any Mach error, never KERN_SUCCESS (MACH.md pins no code). */
#define KR_FAILS(expr)                                                 \
	do {                                                           \
		kern_return_t kr_got_ = (expr);                        \
		ck_assert_msg(kr_got_ != KERN_SUCCESS,                 \
		    "%s returned KERN_SUCCESS, want an error", #expr); \
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

/* ---- guard exceptions --------------------------------------------------- */

struct conf_guard_event {
	mipc_space_t space;
	mach_port_name_t name;
	uint64_t flavor;
	uint64_t payload;
};

#define CONF_GUARD_MAX 32

struct conf_guard_log {
	unsigned count; /* events raised, even past CONF_GUARD_MAX */
	struct conf_guard_event ev[CONF_GUARD_MAX];
};

/* One per test process (each test is a forked child). */
static struct conf_guard_log conf_guards;

/* The handler: records, never calls back into mipc. */
static inline void
conf_guard_record(mipc_space_t space, mach_port_name_t name, uint64_t flavor,
    uint64_t payload, void *ctx)
{
	struct conf_guard_log *log = ctx;

	if (log->count < CONF_GUARD_MAX) {
		log->ev[log->count].space = space;
		log->ev[log->count].name = name;
		log->ev[log->count].flavor = flavor;
		log->ev[log->count].payload = payload;
	}
	log->count++;
}

/* Forget what was recorded, before the call that is expected to raise. */
static inline void
guard_reset(void)
{
	memset(&conf_guards, 0, sizeof(conf_guards));
}

/* Checked setup: every conformance test records guards from the start. */
static inline void
conf_guard_install(void)
{
	guard_reset();
	mipc_set_guard_handler(conf_guard_record, &conf_guards);
}

/* No guard exception since the last reset. */
#define GUARD_NONE(what)                                                \
	ck_assert_msg(conf_guards.count == 0,                           \
	    "%s: %u guard exception(s) raised (first: flavor %#llx on " \
	    "0x%x), want none",                                         \
	    (what), conf_guards.count,                                  \
	    (unsigned long long)conf_guards.ev[0].flavor,               \
	    conf_guards.ev[0].name)

/*
 * Exactly one guard exception since the last reset, of `flavor` on
 * `name`, in whichever space; the record is kept.
 */
#define GUARD_IS(flavor_, name_)                                            \
	do {                                                                \
		ck_assert_msg(conf_guards.count == 1,                       \
		    "%u guard exceptions raised, want one %s on 0x%x",      \
		    conf_guards.count, #flavor_, (unsigned)(name_));        \
		ck_assert_msg(conf_guards.ev[0].flavor == (flavor_),        \
		    "guard flavor %#llx, want %s (%#llx)",                  \
		    (unsigned long long)conf_guards.ev[0].flavor, #flavor_, \
		    (unsigned long long)(flavor_));                         \
		ck_assert_msg(conf_guards.ev[0].name == (name_),            \
		    "guard %s raised on name 0x%x, want 0x%x", #flavor_,    \
		    conf_guards.ev[0].name, (unsigned)(name_));             \
	} while (0)

/* The payload XNU reports with the guard exception (e.g. the guard). */
#define GUARD_PAYLOAD_EQ_(flavor_, got_, payload_)          \
	ck_assert_msg((got_) == (uint64_t)(payload_),       \
	    "guard %s payload %#llx, want %#llx", #flavor_, \
	    (unsigned long long)(got_), (unsigned long long)(payload_))

/* GUARD_IS, and its payload. */
#define GUARD_IS_PAYLOAD(flavor_, name_, payload_)                 \
	do {                                                       \
		GUARD_IS(flavor_, name_);                          \
		GUARD_PAYLOAD_EQ_(                                 \
		    flavor_, conf_guards.ev[0].payload, payload_); \
	} while (0)

/* GUARD_IS, raised for `space`; then resets. */
#define GUARD_ONE(space_, flavor_, name_)                           \
	do {                                                        \
		GUARD_IS(flavor_, name_);                           \
		ck_assert_msg(conf_guards.ev[0].space == (space_),  \
		    "guard %s raised for another space", #flavor_); \
		guard_reset();                                      \
	} while (0)

/* GUARD_ONE, and its payload. */
#define GUARD_ONE_PAYLOAD(space_, flavor_, name_, payload_)           \
	do {                                                          \
		uint64_t guard_payload_ = conf_guards.ev[0].payload;  \
		GUARD_ONE(space_, flavor_, name_);                    \
		GUARD_PAYLOAD_EQ_(flavor_, guard_payload_, payload_); \
	} while (0)

/*
 * No fatal flavor (<= kGUARD_EXC_MSG_FILTERED) was raised: XNU would have
 * killed the task, and MACH.md marks every such case.  Optional flavors
 * may be raised where MACH.md is silent.
 */
static inline void
expect_no_fatal_guard(void)
{
	unsigned i;

	for (i = 0; i < conf_guards.count && i < CONF_GUARD_MAX; i++)
		ck_assert_msg(
		    conf_guards.ev[i].flavor > MAX_FATAL_kGUARD_EXC_CODE,
		    "fatal guard flavor %llu raised on 0x%x",
		    (unsigned long long)conf_guards.ev[i].flavor,
		    conf_guards.ev[i].name);
}

/* Every flavor raised since guard_reset() (if any) is `flavor`. */
static inline void
expect_only_guard(uint64_t flavor)
{
	unsigned i;

	for (i = 0; i < conf_guards.count && i < CONF_GUARD_MAX; i++)
		ck_assert_msg(conf_guards.ev[i].flavor == flavor,
		    "guard flavor %llu raised, want only %llu",
		    (unsigned long long)conf_guards.ev[i].flavor,
		    (unsigned long long)flavor);
}

/* A test case with the leak check and the guard recorder installed. */
static inline TCase *
conf_tcase(const char *name)
{
	TCase *tc = mipc_tcase(name);

	tcase_add_checked_fixture(tc, conf_guard_install, NULL);
	return tc;
}

/* ---- reading state ------------------------------------------------------ */

static inline mach_port_type_t
type_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_type_t t = 0xdeadbeef;

	KR_OK(mipc_port_type(sp, n, &t));
	return t;
}

/* mach_port_type must succeed and report exactly `want`. */
#define TYPE_EQ(space, name, want)                                           \
	do {                                                                 \
		mach_port_name_t type_name_ = (name);                        \
		mach_port_type_t type_got_ = type_of((space), type_name_);   \
		ck_assert_msg(type_got_ == (mach_port_type_t)(want),         \
		    "mach_port_type(0x%x) = %#x, want %s (%#x)", type_name_, \
		    type_got_, #want, (unsigned)(want));                     \
	} while (0)

/* The name denotes nothing in the space (any more). */
#define NAME_GONE(space, name)                                   \
	do {                                                     \
		mach_port_type_t gone_t_;                        \
		KR_EQ(mipc_port_type((space), (name), &gone_t_), \
		    KERN_INVALID_NAME);                          \
	} while (0)

static inline mach_port_urefs_t
refs_of(mipc_space_t sp, mach_port_name_t n, mach_port_right_t right)
{
	mach_port_urefs_t r = 0xdeadbeef;

	KR_OK(mipc_port_get_refs(sp, n, right, &r));
	return r;
}

/* mach_port_get_refs must succeed and report exactly `want`. */
#define REFS_EQ(space, name, right, want)                                   \
	do {                                                                \
		mach_port_name_t refs_name_ = (name);                       \
		mach_port_urefs_t refs_got_ =                               \
		    refs_of((space), refs_name_, (right));                  \
		ck_assert_msg(refs_got_ == (mach_port_urefs_t)(want),       \
		    "get_refs(0x%x, %s) = %u, want %u", refs_name_, #right, \
		    refs_got_, (unsigned)(want));                           \
	} while (0)

static inline mach_port_status_t
status_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

	memset(&st, 0xa5, sizeof(st));
	KR_OK(mipc_port_get_attributes(sp, n, MACH_PORT_RECEIVE_STATUS,
	    (mach_port_info_t)(void *)&st, &cnt));
	VAL_EQ(cnt, MACH_PORT_RECEIVE_STATUS_COUNT);
	return st;
}

static inline mach_port_context_t
ctx_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_context_t c = 0xdeadbeefdeadbeefull;

	KR_OK(mipc_port_get_context(sp, n, &c));
	return c;
}

static inline mach_port_rights_t
srights_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_rights_t r = 0xdeadbeef;

	KR_OK(mipc_port_get_srights(sp, n, &r));
	return r;
}

static inline mach_port_msgcount_t
qlimit_of(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_limits_t l = { 0xdeadbeef };
	mach_msg_type_number_t cnt = MACH_PORT_LIMITS_INFO_COUNT;

	KR_OK(mipc_port_get_attributes(
	    sp, n, MACH_PORT_LIMITS_INFO, (mach_port_info_t)(void *)&l, &cnt));
	VAL_EQ(cnt, MACH_PORT_LIMITS_INFO_COUNT);
	return l.mpl_qlimit;
}

static inline void
set_qlimit(mipc_space_t sp, mach_port_name_t n, mach_port_msgcount_t q)
{
	mach_port_limits_t l = { q };

	KR_OK(mipc_port_set_attributes(sp, n, MACH_PORT_LIMITS_INFO,
	    (mach_port_info_t)(void *)&l, MACH_PORT_LIMITS_INFO_COUNT));
}

/*
 * P25: a send-once right destroyed unused sends MACH_NOTIFY_SEND_ONCE to
 * its port; the right is counted in mps_sorights until that notification
 * is received.  Receive exactly one such notification from `name`.
 */
static inline void
conf_take_send_once_notification(mipc_space_t space, mach_port_name_t name)
{
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(mipc_msg(space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT,
	                     0, sizeof(m), name, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	ck_assert_int_eq(m.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
	ck_assert_uint_eq(m.h.msgh_bits, 0x00001200u);
	ck_assert_uint_eq(m.h.msgh_size, 24);
	ck_assert_uint_eq(m.h.msgh_remote_port, MACH_PORT_NULL);
	ck_assert_uint_eq(m.h.msgh_local_port, name);
}

/* Release an array mipc handed out (name lists, set members). */
static inline void
conf_vm_release(void *addr, mach_msg_type_number_t cnt, size_t elem)
{
	KR_OK(vm_deallocate(
	    mach_task_self(), (vm_address_t)addr, (vm_size_t)cnt * elem));
}

/*
 * The space's own name for its task port when it is the caller's current
 * space (made here if it had none), else MACH_PORT_NULL: every task holds
 * one (mach_task_self), and the counts below leave it out, so that a test
 * counts the names it made.
 */
static inline mach_port_name_t
conf_self_name(mipc_space_t space)
{
	return space == mipc_thread_space() ? mach_task_self() : MACH_PORT_NULL;
}

/*
 * mach_port_names of `space`: returns the count, the space's own task
 * name (conf_self_name) left out; if `name` is found, *found is set and
 * *type gets its type.  Checks both arrays have the same length and
 * releases them.
 */
static inline unsigned
conf_names_find(mipc_space_t space, mach_port_name_t name, bool *found,
    mach_port_type_t *type)
{
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0xdeadbeefu, tcnt = 0xdeadbeefu;
	mach_port_name_t self = conf_self_name(space);
	unsigned i, hits = 0, selves = 0;

	KR_OK(mipc_port_names(space, &names, &ncnt, &types, &tcnt));
	ck_assert_msg(
	    ncnt == tcnt, "mach_port_names: %u names but %u types", ncnt, tcnt);
	if (ncnt > 0)
		ck_assert_msg(names != NULL && types != NULL,
		    "mach_port_names: %u entries but a NULL array", ncnt);
	for (i = 0; i < ncnt; i++) {
		selves += names[i] == self && self != MACH_PORT_NULL;
		if (names[i] == name && name != MACH_PORT_NULL) {
			hits++;
			if (type != NULL)
				*type = types[i];
		}
	}
	ck_assert_msg(
	    hits <= 1, "mach_port_names lists 0x%x %u times", name, hits);
	if (found != NULL)
		*found = hits == 1;
	conf_vm_release(names, ncnt, sizeof(*names));
	conf_vm_release(types, tcnt, sizeof(*types));
	return ncnt - selves;
}

/* How many names the space holds (mach_port_names). */
static inline unsigned
name_count(mipc_space_t space)
{
	return conf_names_find(space, MACH_PORT_NULL, NULL, NULL);
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

	KR_OK(mipc_port_get_set_status(sp, ps, &m, &cnt));
	ck_assert_msg(cnt < 0x10000, "member count %u", cnt);
	for (i = 0; i < cnt && i < max; i++)
		out[i] = m[i];
	if (cnt > 0) {
		ck_assert_ptr_nonnull(m);
		/* The caller's memory (see the header comment). */
		KR_OK(vm_deallocate(mach_task_self(), (vm_address_t)m,
		    cnt * sizeof(mach_port_name_t)));
	}
	return cnt;
}

/* Number of members of port set `pset`. */
static inline mach_msg_type_number_t
conf_set_count(mipc_space_t space, mach_port_name_t pset)
{
	return members_of(space, pset, NULL, 0);
}

/* Live port objects, exact after a grace period (no other thread runs). */
static inline uint64_t
live_ports(void)
{
	struct mipc_stats s;

	/* The current space's task port, made now if need be, is not
	 * counted: every task has one. */
	uint64_t own = conf_self_name(mipc_thread_space()) != MACH_PORT_NULL;

	mipc_quiesce();
	mipc_get_stats(&s);
	return s.ports - own;
}

/* A legal name (index != 0, low bits 0b11) whose slot no live name uses. */
static inline mach_port_name_t
conf_unused_name(mipc_space_t space)
{
	mach_port_name_array_t names = NULL;
	mach_port_type_array_t types = NULL;
	mach_msg_type_number_t ncnt = 0, tcnt = 0, i;
	uint32_t idx;

	(void)conf_self_name(space); /* made now, not in the slot we pick */
	KR_OK(mipc_port_names(space, &names, &ncnt, &types, &tcnt));
	for (idx = 1;; idx++) {
		for (i = 0; i < ncnt; i++) {
			if (MACH_PORT_INDEX(names[i]) == idx)
				break;
		}
		if (i == ncnt)
			break;
	}
	conf_vm_release(names, ncnt, sizeof(*names));
	conf_vm_release(types, tcnt, sizeof(*types));
	/* Not 0x03: the next allocation could make exactly this name
	 * (C1 failed so, 1 run in about 40). */
	return (mach_port_name_t)((idx << 8) | 0xffu);
}

/* The same slot under the next generation: a different, legal name. */
static inline mach_port_name_t
conf_other_gen(mach_port_name_t name)
{
	return (name & ~0xffu) | ((name + 4u) & 0xffu);
}

/* ---- making rights ------------------------------------------------------ */

/* A new space; the test destroys it with mipc_space_destroy. */
static inline mipc_space_t
space_new(void)
{
	mipc_space_t s = NULL;

	KR_OK(mipc_space_create(&s));
	ck_assert_ptr_nonnull(s);
	return s;
}

static inline mach_port_name_t
conf_alloc(mipc_space_t space, mach_port_right_t right)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate(space, right, &n));
	ck_assert_msg(MACH_PORT_VALID(n), "allocate gave invalid name 0x%x", n);
	return n;
}

static inline mach_port_name_t
recv_new(mipc_space_t space)
{
	return conf_alloc(space, MACH_PORT_RIGHT_RECEIVE);
}

static inline mach_port_name_t
pset_new(mipc_space_t space)
{
	return conf_alloc(space, MACH_PORT_RIGHT_PORT_SET);
}

static inline mach_port_name_t
dead_new(mipc_space_t space)
{
	return conf_alloc(space, MACH_PORT_RIGHT_DEAD_NAME);
}

/* A receive right made by mach_port_construct with these flags. */
static inline mach_port_name_t
construct_new(mipc_space_t space, uint32_t flags, mach_port_context_t ctx)
{
	mach_port_options_t opts;
	mach_port_name_t n = MACH_PORT_NULL;

	memset(&opts, 0, sizeof(opts));
	opts.flags = flags;
	KR_OK(mipc_port_construct(space, &opts, ctx, &n));
	ck_assert_msg(
	    MACH_PORT_VALID(n), "construct gave invalid name 0x%x", n);
	return n;
}

/* A receive right guarded with `guard` (mach_port_construct). */
static inline mach_port_name_t
conf_guarded(mipc_space_t space, uint64_t guard, uint32_t extra_flags)
{
	return construct_new(space, MPO_CONTEXT_AS_GUARD | extra_flags, guard);
}

/* A name that was valid and was freed (slot free, generation stale). */
static inline mach_port_name_t
conf_stale_name(mipc_space_t space)
{
	mach_port_name_t n = recv_new(space);

	KR_OK(mipc_port_mod_refs(space, n, MACH_PORT_RIGHT_RECEIVE, -1));
	return n;
}

/* A name whose slot is free right now (see the header comment). */
static inline mach_port_name_t
free_name(mipc_space_t space)
{
	mach_port_name_t n = conf_stale_name(space);

	NAME_GONE(space, n);
	return n;
}

/* Make `r` in `sp` a send+receive name (one more uref, mscount + 1). */
static inline void
make_send(mipc_space_t sp, mach_port_name_t r)
{
	KR_OK(mipc_port_insert_right(sp, r, sp, r, MACH_MSG_TYPE_MAKE_SEND));
}

/* Add `urefs` send urefs to the receive right `r` (MAKE_SEND, same name). */
static inline void
conf_make_send(mipc_space_t space, mach_port_name_t r, unsigned urefs)
{
	unsigned i;

	for (i = 0; i < urefs; i++)
		make_send(space, r);
}

/*
 * A send right in `dst`, under a free_name() chosen there, to receive `r`
 * of `src`.
 */
static inline mach_port_name_t
send_in(mipc_space_t dst, mipc_space_t src, mach_port_name_t r)
{
	mach_port_name_t n = free_name(dst);

	KR_OK(mipc_port_insert_right(dst, n, src, r, MACH_MSG_TYPE_MAKE_SEND));
	return n;
}

/* A send-once right in `sp`, under a free_name(), to receive right `r`. */
static inline mach_port_name_t
sonce_in(mipc_space_t sp, mach_port_name_t r)
{
	mach_port_name_t n = free_name(sp);

	KR_OK(
	    mipc_port_insert_right(sp, n, sp, r, MACH_MSG_TYPE_MAKE_SEND_ONCE));
	return n;
}

/*
 * Give space `to` a send right (with `urefs` urefs) for the receive right
 * `r` of space `from`, under a conf_unused_name(); returns its name in `to`.
 */
static inline mach_port_name_t
conf_give_send(
    mipc_space_t to, mipc_space_t from, mach_port_name_t r, unsigned urefs)
{
	mach_port_name_t n = conf_unused_name(to);

	KR_OK(mipc_port_insert_right(to, n, from, r, MACH_MSG_TYPE_MAKE_SEND));
	if (urefs > 1)
		KR_OK(mipc_port_mod_refs(to, n, MACH_PORT_RIGHT_SEND,
		    (mach_port_delta_t)(urefs - 1)));
	return n;
}

/*
 * A send-once right in `to`, under a conf_unused_name(), for the receive
 * right `r` of `from`.
 */
static inline mach_port_name_t
conf_give_send_once(mipc_space_t to, mipc_space_t from, mach_port_name_t r)
{
	mach_port_name_t n = conf_unused_name(to);

	KR_OK(mipc_port_insert_right(
	    to, n, from, r, MACH_MSG_TYPE_MAKE_SEND_ONCE));
	return n;
}

/* Pin the send (or dead-name) urefs of `name` at MACH_PORT_UREFS_MAX. */
static inline void
conf_pin(mipc_space_t space, mach_port_name_t name, mach_port_right_t right)
{
	KR_OK(mipc_port_mod_refs(
	    space, name, right, (mach_port_delta_t)MACH_PORT_UREFS_MAX));
}

/* Kill the port whose receive right is `r` in `space` (receive-only). */
static inline void
conf_kill(mipc_space_t space, mach_port_name_t r)
{
	KR_OK(mipc_port_destroy(space, r));
}

#endif /* MIPC_TESTS_CONFORMANCE_H */
