/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * b_refs.c -- MACH.md area B: mach_port_get_refs, mach_port_mod_refs and
 * mach_port_deallocate, per right kind; uref saturation; what a dead port
 * does to send and send-once names; and the swift-system idioms of
 * MACH.md 3.3.
 *
 * Send-only names need the receive right in another space: they are made
 * with mipc_port_insert_right(S2, name, S1, r, MAKE_SEND).  Guard
 * exceptions are recorded (conformance.h) and asserted where MACH.md marks
 * them, or says that none is raised.
 */
#include "conformance.h"

#include <limits.h>

/* Fixture of most tests: r in `rs`, a send right for it in `ss`. */
struct pair {
	mipc_space_t rs; /* holds the receive right */
	mipc_space_t ss; /* holds the send right */
	mach_port_name_t r;
	mach_port_name_t s;
};

static struct pair
pair_make(unsigned urefs)
{
	struct pair p;

	p.rs = mipc_thread_space();
	p.ss = space_new();
	p.r = recv_new(p.rs);
	p.s = conf_give_send(p.ss, p.rs, p.r, urefs);
	return p;
}

static void
pair_done(struct pair *p)
{
	KR_OK(mipc_space_destroy(p->ss));
}

/* A send-once right for `r`, in the same space. */
static mach_port_name_t
send_once_for(mipc_space_t space, mach_port_name_t r)
{
	return conf_give_send_once(space, space, r);
}

/* ---- B1-B5: mach_port_get_refs ---------------------------------------- */

START_TEST(B1_get_refs_right_out_of_range_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t unknown = conf_unused_name(task);
	static const mach_port_right_t bad[] = { MACH_PORT_RIGHT_NUMBER,
		MACH_PORT_RIGHT_NUMBER + 1, 100, 0xffffffffu };
	mach_port_urefs_t refs;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KR_EQ(mipc_port_get_refs(task, r, bad[i], &refs),
		    KERN_INVALID_VALUE);
		/* Checked before the name is looked at. */
		KR_EQ(mipc_port_get_refs(task, unknown, bad[i], &refs),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_get_refs(task, MACH_PORT_NULL, bad[i], &refs),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_get_refs(task, MACH_PORT_DEAD, bad[i], &refs),
		    KERN_INVALID_VALUE);
	}
}
END_TEST

START_TEST(B2_get_refs_null_dead_send_reports_one)
{
	mipc_space_t task = mipc_thread_space();

	REFS_EQ(task, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND, 1);
	REFS_EQ(task, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND_ONCE, 1);
	REFS_EQ(task, MACH_PORT_DEAD, MACH_PORT_RIGHT_SEND, 1);
	REFS_EQ(task, MACH_PORT_DEAD, MACH_PORT_RIGHT_SEND_ONCE, 1);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(B2_get_refs_null_dead_other_rights_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	static const mach_port_right_t rights[] = { MACH_PORT_RIGHT_RECEIVE,
		MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME,
		MACH_PORT_RIGHT_LABELH };
	mach_port_urefs_t refs;
	unsigned i;

	for (i = 0; i < sizeof(rights) / sizeof(rights[0]); i++) {
		KR_EQ(
		    mipc_port_get_refs(task, MACH_PORT_NULL, rights[i], &refs),
		    KERN_INVALID_NAME);
		KR_EQ(
		    mipc_port_get_refs(task, MACH_PORT_DEAD, rights[i], &refs),
		    KERN_INVALID_NAME);
	}
}
END_TEST

START_TEST(B3_get_refs_unknown_name_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t stale = conf_stale_name(task);
	mach_port_name_t unknown = conf_unused_name(task);
	mach_port_urefs_t refs;
	mach_port_right_t right;

	for (right = 0; right < MACH_PORT_RIGHT_NUMBER; right++) {
		KR_EQ(mipc_port_get_refs(task, unknown, right, &refs),
		    KERN_INVALID_NAME);
		KR_EQ(mipc_port_get_refs(task, stale, right, &refs),
		    KERN_INVALID_NAME);
	}
}
END_TEST

START_TEST(B3_get_refs_name_of_other_space_invalid_name)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_urefs_t refs;

	KR_EQ(mipc_port_get_refs(s2, r, MACH_PORT_RIGHT_RECEIVE, &refs),
	    KERN_INVALID_NAME);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

START_TEST(B4_get_refs_absent_right_on_receive_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND_ONCE, 0);
	REFS_EQ(task, r, MACH_PORT_RIGHT_PORT_SET, 0);
	REFS_EQ(task, r, MACH_PORT_RIGHT_DEAD_NAME, 0);
	REFS_EQ(task, r, MACH_PORT_RIGHT_LABELH, 0);
}
END_TEST

START_TEST(B4_get_refs_absent_right_on_port_set_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);

	REFS_EQ(task, ps, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_RECEIVE, 0);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_SEND_ONCE, 0);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_DEAD_NAME, 0);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_LABELH, 0);
}
END_TEST

START_TEST(B4_get_refs_absent_right_on_send_zero)
{
	struct pair p = pair_make(3);

	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_RECEIVE, 0);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND_ONCE, 0);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_PORT_SET, 0);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 0);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_LABELH, 0);
	pair_done(&p);
}
END_TEST

START_TEST(B4_get_refs_absent_right_on_send_once_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);

	REFS_EQ(task, so, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, so, MACH_PORT_RIGHT_RECEIVE, 0);
	REFS_EQ(task, so, MACH_PORT_RIGHT_PORT_SET, 0);
	REFS_EQ(task, so, MACH_PORT_RIGHT_DEAD_NAME, 0);
	REFS_EQ(task, so, MACH_PORT_RIGHT_LABELH, 0);
}
END_TEST

START_TEST(B4_get_refs_absent_right_on_dead_name_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	REFS_EQ(task, dn, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_RECEIVE, 0);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_SEND_ONCE, 0);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_PORT_SET, 0);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_LABELH, 0);
}
END_TEST

START_TEST(B5_get_refs_receive_port_set_send_once_one)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t so = send_once_for(task, r);

	REFS_EQ(task, r, MACH_PORT_RIGHT_RECEIVE, 1);
	REFS_EQ(task, ps, MACH_PORT_RIGHT_PORT_SET, 1);
	REFS_EQ(task, so, MACH_PORT_RIGHT_SEND_ONCE, 1);
	/* Send urefs on the same name do not change the receive count. */
	conf_make_send(task, r, 5);
	REFS_EQ(task, r, MACH_PORT_RIGHT_RECEIVE, 1);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 5);
}
END_TEST

START_TEST(B5_get_refs_send_counts_urefs)
{
	struct pair p = pair_make(1);

	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 9));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 10);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 60000));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 60010);
	pair_done(&p);
}
END_TEST

START_TEST(B5_get_refs_dead_name_counts_urefs)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 9));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 10);
}
END_TEST

START_TEST(B5_get_refs_null_refs_pointer_fails)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_FAILS(mipc_port_get_refs(task, r, MACH_PORT_RIGHT_RECEIVE, NULL));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

/* ---- B6-B9: mach_port_mod_refs argument errors -------------------------- */

START_TEST(B6_mod_refs_right_out_of_range_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t unknown = conf_unused_name(task);
	static const mach_port_right_t bad[] = { MACH_PORT_RIGHT_NUMBER,
		MACH_PORT_RIGHT_NUMBER + 1, 0xffffffffu };
	unsigned i, j;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KR_EQ(mipc_port_mod_refs(task, r, bad[i], -1),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_mod_refs(task, unknown, bad[i], -1),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_mod_refs(task, MACH_PORT_NULL, bad[i], 0),
		    KERN_INVALID_VALUE);
		KR_EQ(mipc_port_mod_refs(task, MACH_PORT_DEAD, bad[i], 1),
		    KERN_INVALID_VALUE);
	}
	/* Before the name lookup: no INVALID_NAME guard for `unknown`. */
	for (j = 0; j < conf_guards.count && j < CONF_GUARD_MAX; j++)
		ck_assert_msg(
		    conf_guards.ev[j].flavor != kGUARD_EXC_INVALID_NAME,
		    "right checked after the name lookup (INVALID_NAME guard)");
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(B6_mod_refs_labelh_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);
	mach_port_name_t sr = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);
	const mach_port_name_t names[] = { r, ps, dn, sr, so };
	static const mach_port_delta_t deltas[] = { -1, 0, 1 };
	unsigned i, j;

	conf_make_send(task, sr, 2);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++)
			KR_EQ(mipc_port_mod_refs(task, names[i],
			          MACH_PORT_RIGHT_LABELH, deltas[j]),
			    KERN_INVALID_RIGHT);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	TYPE_EQ(task, ps, MACH_PORT_TYPE_PORT_SET);
	TYPE_EQ(task, dn, MACH_PORT_TYPE_DEAD_NAME);
	TYPE_EQ(task, sr, MACH_PORT_TYPE_SEND_RECEIVE);
	TYPE_EQ(task, so, MACH_PORT_TYPE_SEND_ONCE);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 1);
	REFS_EQ(task, sr, MACH_PORT_RIGHT_SEND, 2);
}
END_TEST

START_TEST(B7_mod_refs_null_dead_send_success_no_effect)
{
	mipc_space_t task = mipc_thread_space();
	static const mach_port_delta_t deltas[] = { 0, 1, -1, 65535, -65535,
		65536, -65536, INT_MAX, INT_MIN };
	const mach_port_name_t names[] = { MACH_PORT_NULL, MACH_PORT_DEAD };
	unsigned i, j;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
			KR_OK(mipc_port_mod_refs(
			    task, names[i], MACH_PORT_RIGHT_SEND, deltas[j]));
			KR_OK(mipc_port_mod_refs(task, names[i],
			    MACH_PORT_RIGHT_SEND_ONCE, deltas[j]));
		}
	}
	ck_assert_uint_eq(name_count(task), 0);
	REFS_EQ(task, MACH_PORT_DEAD, MACH_PORT_RIGHT_SEND, 1);
}
END_TEST

START_TEST(B7_mod_refs_null_dead_other_rights_invalid_name)
{
	mipc_space_t task = mipc_thread_space();
	static const mach_port_right_t rights[] = { MACH_PORT_RIGHT_RECEIVE,
		MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME,
		MACH_PORT_RIGHT_LABELH };
	unsigned i;

	for (i = 0; i < sizeof(rights) / sizeof(rights[0]); i++) {
		KR_EQ(mipc_port_mod_refs(task, MACH_PORT_NULL, rights[i], -1),
		    KERN_INVALID_NAME);
		KR_EQ(mipc_port_mod_refs(task, MACH_PORT_DEAD, rights[i], -1),
		    KERN_INVALID_NAME);
	}
}
END_TEST

START_TEST(B8_mod_refs_unknown_name_invalid_name_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t stale = conf_stale_name(task);
	mach_port_name_t unknown = conf_unused_name(task);

	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, unknown, MACH_PORT_RIGHT_SEND, -1),
	    KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, unknown);
	KR_EQ(mipc_port_mod_refs(task, stale, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, stale);
	KR_EQ(mipc_port_mod_refs(task, stale, MACH_PORT_RIGHT_DEAD_NAME, 1),
	    KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, stale);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(B9_mod_refs_absent_right_on_receive_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, r);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_PORT_SET, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, r);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_DEAD_NAME, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, r);
	/* Codes only: XNU's delta path raises no guard for these two. */
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND_ONCE, -1),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_LABELH, -1),
	    KERN_INVALID_RIGHT);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_RECEIVE, 1);
}
END_TEST

START_TEST(B9_mod_refs_absent_right_on_port_set_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);

	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_SEND, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, ps);
	KR_EQ(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, ps);
	KR_EQ(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_DEAD_NAME, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, ps);
	KR_EQ(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_SEND_ONCE, -1),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_LABELH, -1),
	    KERN_INVALID_RIGHT);
	TYPE_EQ(task, ps, MACH_PORT_TYPE_PORT_SET);
}
END_TEST

START_TEST(B9_mod_refs_send_on_dead_name_no_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 1));
	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_SEND, -1),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_SEND, 0),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_SEND, 1),
	    KERN_INVALID_RIGHT);
	GUARD_NONE("mod_refs(SEND) on a dead name");
	TYPE_EQ(task, dn, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 2);
}
END_TEST

START_TEST(B9_mod_refs_send_plus_one_on_receive_no_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 1),
	    KERN_INVALID_RIGHT);
	GUARD_NONE("mod_refs(SEND, +1) on a receive-only name");
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

/* ---- B10-B13: send urefs -------------------------------------------------- */

START_TEST(B10_mod_refs_send_zero_no_change)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct pair p = pair_make(1);

	conf_make_send(task, r, 3);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 0));
	TYPE_EQ(task, r, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 3);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 0));
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	GUARD_NONE("mod_refs(SEND, 0)");
	pair_done(&p);
}
END_TEST

START_TEST(B11_mod_refs_send_add_and_remove)
{
	struct pair p = pair_make(1);

	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 4));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 5);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -2));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 3);
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	pair_done(&p);
}
END_TEST

START_TEST(B11_mod_refs_send_to_zero_frees_send_name)
{
	struct pair p = pair_make(3);

	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -3));
	NAME_GONE(p.ss, p.s);
	ck_assert_uint_eq(name_count(p.ss), 0);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 0);
	ck_assert_int_eq(status_of(p.rs, p.r).mps_srights, 0);
	/* The port itself is untouched. */
	TYPE_EQ(p.rs, p.r, MACH_PORT_TYPE_RECEIVE);
	pair_done(&p);
}
END_TEST

START_TEST(B11_mod_refs_send_to_zero_send_receive_reverts_to_receive)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	conf_make_send(task, r, 4);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, -4));
	TYPE_EQ(task, r, 0x00020000u);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(task, r, MACH_PORT_RIGHT_RECEIVE, 1);
	ck_assert_uint_eq(srights_of(task, r), 0);
	ck_assert_int_eq(status_of(task, r).mps_srights, 0);
}
END_TEST

START_TEST(B11_mod_refs_send_right_count_drops_by_one)
{
	struct pair p = pair_make(5);

	conf_make_send(p.rs, p.r, 2);
	/* One send right per name holding urefs (MACH.md H9). */
	ck_assert_uint_eq(srights_of(p.rs, p.r), 2);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -3));
	ck_assert_uint_eq(srights_of(p.rs, p.r), 2);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -2));
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	ck_assert_int_eq(status_of(p.rs, p.r).mps_srights, 1);
	KR_OK(mipc_port_mod_refs(p.rs, p.r, MACH_PORT_RIGHT_SEND, -2));
	ck_assert_uint_eq(srights_of(p.rs, p.r), 0);
	ck_assert_int_eq(status_of(p.rs, p.r).mps_srights, 0);
	pair_done(&p);
}
END_TEST

START_TEST(B12_send_urefs_underflow_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct pair p = pair_make(1);

	conf_make_send(task, r, 2);
	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, -3),
	    KERN_INVALID_VALUE);
	GUARD_ONE(task, kGUARD_EXC_INVALID_VALUE, r);
	TYPE_EQ(task, r, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 2);

	KR_EQ(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -2),
	    KERN_INVALID_VALUE);
	GUARD_ONE(p.ss, kGUARD_EXC_INVALID_VALUE, p.s);
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	ck_assert_uint_eq(srights_of(task, r), 1);
	pair_done(&p);
}
END_TEST

START_TEST(B12_send_delta_beyond_urefs_max_invalid_value)
{
	struct pair p = pair_make(1);
	static const mach_port_delta_t deltas[] = { 65536, -65536, INT_MAX,
		INT_MIN, INT_MIN + 1 };
	unsigned i;

	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		KR_EQ(mipc_port_mod_refs(
		          p.ss, p.s, MACH_PORT_RIGHT_SEND, deltas[i]),
		    KERN_INVALID_VALUE);
		REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1);
	}
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	pair_done(&p);
}
END_TEST

START_TEST(B13_send_urefs_saturate)
{
	struct pair p = pair_make(1);

	/* 1 + 65534 reaches MACH_PORT_UREFS_MAX: pinned, no error. */
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65534));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, MACH_PORT_UREFS_MAX);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1000));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	/* And beyond in one step: still KERN_SUCCESS, not UREFS_OVERFLOW. */
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	pair_done(&p);
}
END_TEST

START_TEST(B13_send_urefs_overshoot_saturates)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	conf_make_send(task, r, 100);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 65535));
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 65535);
	TYPE_EQ(task, r, MACH_PORT_TYPE_SEND_RECEIVE);
}
END_TEST

START_TEST(B13_send_urefs_below_max_not_pinned)
{
	struct pair p = pair_make(1);

	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65533));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65534);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -1));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65533);
	/* Two single steps up: the second reaches the maximum and pins. */
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1));
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -1));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	pair_done(&p);
}
END_TEST

START_TEST(B13_pinned_send_ignores_deltas)
{
	struct pair p = pair_make(1);
	static const mach_port_delta_t deltas[] = { 0, 1, -1, -2, -65534, 65535,
		-100 };
	unsigned i;

	conf_pin(p.ss, p.s, MACH_PORT_RIGHT_SEND);
	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		KR_OK(mipc_port_mod_refs(
		    p.ss, p.s, MACH_PORT_RIGHT_SEND, deltas[i]));
		REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	}
	GUARD_NONE("deltas on a pinned send right");
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	pair_done(&p);
}
END_TEST

START_TEST(B13_pinned_send_minus_max_removes_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct pair p = pair_make(1);

	conf_make_send(task, r, 1);
	conf_pin(task, r, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, -65535));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(srights_of(task, r), 0);

	conf_pin(p.ss, p.s, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, -65535));
	NAME_GONE(p.ss, p.s);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 0);
	pair_done(&p);
}
END_TEST

START_TEST(B13_pinned_send_deallocate_noop)
{
	struct pair p = pair_make(1);
	unsigned i;

	conf_pin(p.ss, p.s, MACH_PORT_RIGHT_SEND);
	for (i = 0; i < 3; i++) {
		KR_OK(mipc_port_deallocate(p.ss, p.s));
		REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	}
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	pair_done(&p);
}
END_TEST

START_TEST(B13_pinned_send_stays_pinned_on_copyin_and_merge)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct pair p = pair_make(1);

	conf_make_send(task, r, 1);
	conf_pin(task, r, MACH_PORT_RIGHT_SEND);
	/* MAKE_SEND merges into the pinned name (mscount still counts). */
	KR_OK(
	    mipc_port_insert_right(task, r, task, r, MACH_MSG_TYPE_MAKE_SEND));
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 65535);
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 2);
	KR_OK(
	    mipc_port_insert_right(task, r, task, r, MACH_MSG_TYPE_COPY_SEND));
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 65535);
	/* MOVE_SEND copyin of a pinned count leaves it pinned. */
	KR_OK(
	    mipc_port_insert_right(task, r, task, r, MACH_MSG_TYPE_MOVE_SEND));
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 65535);
	TYPE_EQ(task, r, MACH_PORT_TYPE_SEND_RECEIVE);

	/* A send right received into another space's pinned name. */
	conf_pin(p.ss, p.s, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_port_insert_right(
	    p.ss, p.s, p.rs, p.r, MACH_MSG_TYPE_MAKE_SEND));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 65535);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	pair_done(&p);
}
END_TEST

START_TEST(B14_mod_refs_send_never_creates_send_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_SEND, 1),
	    KERN_INVALID_RIGHT);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 0);
	ck_assert_uint_eq(srights_of(task, r), 0);
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 0);
}
END_TEST

/* mod_refs(SEND, delta) on a send name whose port died. */
static void
expect_send_on_dead_port(mach_port_delta_t delta)
{
	struct pair p = pair_make(3);

	conf_kill(p.rs, p.r);
	KR_EQ(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, delta),
	    KERN_INVALID_RIGHT);
	/* Converted, urefs untouched by the failed call. */
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 3);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 0);
	KR_EQ(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, delta),
	    KERN_INVALID_RIGHT);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 3);
	/* Usable as a dead name afterwards. */
	KR_OK(mipc_port_deallocate(p.ss, p.s));
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, -2));
	NAME_GONE(p.ss, p.s);
	pair_done(&p);
}

START_TEST(B15_mod_refs_send_dead_port_invalid_right_converts)
{
	expect_send_on_dead_port(-1);
	expect_send_on_dead_port(0);
	expect_send_on_dead_port(1);
}
END_TEST

/* ---- B16-B19: RECEIVE ------------------------------------------------------ */

START_TEST(B16_mod_refs_receive_zero_success)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t g = conf_guarded(task, 0x5eed5eedull, 0);

	guard_reset();
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, 0));
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	/* Even on a guarded port. */
	KR_OK(mipc_port_mod_refs(task, g, MACH_PORT_RIGHT_RECEIVE, 0));
	TYPE_EQ(task, g, MACH_PORT_TYPE_RECEIVE);
	ck_assert_msg(
	    status_of(task, g).mps_flags & MACH_PORT_STATUS_FLAG_GUARDED,
	    "port no longer guarded");
	GUARD_NONE("mod_refs(RECEIVE, 0)");
}
END_TEST

START_TEST(B16_mod_refs_receive_minus_one_destroys_port)
{
	struct pair p = pair_make(2);

	KR_OK(mipc_port_mod_refs(p.rs, p.r, MACH_PORT_RIGHT_RECEIVE, -1));
	NAME_GONE(p.rs, p.r);
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 2);
	pair_done(&p);
}
END_TEST

START_TEST(B16_mod_refs_receive_other_delta_invalid_value)
{
	struct pair p = pair_make(1);
	static const mach_port_delta_t deltas[] = { 1, 2, -2, 65535, -65535,
		INT_MIN };
	unsigned i;

	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		KR_EQ(mipc_port_mod_refs(
		          p.rs, p.r, MACH_PORT_RIGHT_RECEIVE, deltas[i]),
		    KERN_INVALID_VALUE);
		TYPE_EQ(p.rs, p.r, MACH_PORT_TYPE_RECEIVE);
	}
	/* The port is alive: the send name elsewhere is still a send right. */
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	pair_done(&p);
}
END_TEST

START_TEST(B17_mod_refs_receive_guarded_invalid_right_guard_destroy)
{
	mipc_space_t task = mipc_thread_space();
	const uint64_t guard = 0xfeedface12345678ull;
	mach_port_name_t g = conf_guarded(task, guard, 0);
	mach_port_name_t gs = conf_guarded(task, guard + 1, MPO_STRICT);

	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, g, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE_PAYLOAD(task, kGUARD_EXC_DESTROY, g, guard);
	TYPE_EQ(task, g, MACH_PORT_TYPE_RECEIVE);
	ck_assert_msg(
	    status_of(task, g).mps_flags & MACH_PORT_STATUS_FLAG_GUARDED,
	    "port no longer guarded");

	KR_EQ(mipc_port_mod_refs(task, gs, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE_PAYLOAD(task, kGUARD_EXC_DESTROY, gs, guard + 1);
	TYPE_EQ(task, gs, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(B17_mod_refs_receive_guard_zero_still_fails)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t g = conf_guarded(task, 0, 0);

	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, g, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE_PAYLOAD(task, kGUARD_EXC_DESTROY, g, 0);
	TYPE_EQ(task, g, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(B17_mod_refs_receive_guarded_send_receive_unchanged)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t g = conf_guarded(task, 0x77, 0);

	conf_make_send(task, g, 2);
	guard_reset();
	KR_EQ(mipc_port_mod_refs(task, g, MACH_PORT_RIGHT_RECEIVE, -1),
	    KERN_INVALID_RIGHT);
	GUARD_ONE_PAYLOAD(task, kGUARD_EXC_DESTROY, g, 0x77);
	TYPE_EQ(task, g, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(task, g, MACH_PORT_RIGHT_SEND, 2);
}
END_TEST

START_TEST(B18_mod_refs_receive_on_send_receive_leaves_dead_name)
{
	struct pair p = pair_make(4);

	conf_make_send(p.rs, p.r, 3);
	KR_OK(mipc_port_mod_refs(p.rs, p.r, MACH_PORT_RIGHT_RECEIVE, -1));
	/* The name stays, as a dead name with the same urefs. */
	TYPE_EQ(p.rs, p.r, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(p.rs, p.r, MACH_PORT_RIGHT_DEAD_NAME, 3);
	REFS_EQ(p.rs, p.r, MACH_PORT_RIGHT_SEND, 0);
	REFS_EQ(p.rs, p.r, MACH_PORT_RIGHT_RECEIVE, 0);
	/* The port died: other spaces' send names read as dead. */
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 4);
	KR_OK(mipc_port_mod_refs(p.rs, p.r, MACH_PORT_RIGHT_DEAD_NAME, -3));
	NAME_GONE(p.rs, p.r);
	pair_done(&p);
}
END_TEST

START_TEST(B18_mod_refs_receive_pinned_send_receive_keeps_urefs)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	conf_make_send(task, r, 1);
	conf_pin(task, r, MACH_PORT_RIGHT_SEND);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
	TYPE_EQ(task, r, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(task, r, MACH_PORT_RIGHT_DEAD_NAME, 65535);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_DEAD_NAME, -65535));
	NAME_GONE(task, r);
}
END_TEST

/* ---- B20: SEND_ONCE -------------------------------------------------------- */

START_TEST(B20_mod_refs_send_once_zero_success)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);

	KR_OK(mipc_port_mod_refs(task, so, MACH_PORT_RIGHT_SEND_ONCE, 0));
	TYPE_EQ(task, so, MACH_PORT_TYPE_SEND_ONCE);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 1);
}
END_TEST

START_TEST(B20_mod_refs_send_once_minus_one_destroys)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);

	ck_assert_uint_eq(status_of(task, r).mps_sorights, 1);
	KR_OK(mipc_port_mod_refs(task, so, MACH_PORT_RIGHT_SEND_ONCE, -1));
	NAME_GONE(task, so);
	conf_take_send_once_notification(task, r);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 0);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(B20_mod_refs_send_once_bad_delta_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);
	static const mach_port_delta_t deltas[] = { 1, 2, -2, -65535, INT_MIN };
	unsigned i;

	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		KR_EQ(mipc_port_mod_refs(
		          task, so, MACH_PORT_RIGHT_SEND_ONCE, deltas[i]),
		    KERN_INVALID_VALUE);
		TYPE_EQ(task, so, MACH_PORT_TYPE_SEND_ONCE);
	}
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 1);
}
END_TEST

START_TEST(B20_mod_refs_send_once_dead_port_invalid_right_converts)
{
	mipc_space_t s1 = space_new(), s2 = space_new();
	mach_port_name_t r = recv_new(s1);
	mach_port_name_t so = conf_give_send_once(s2, s1, r);

	conf_kill(s1, r);
	KR_EQ(mipc_port_mod_refs(s2, so, MACH_PORT_RIGHT_SEND_ONCE, -1),
	    KERN_INVALID_RIGHT);
	TYPE_EQ(s2, so, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(s2, so, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_port_deallocate(s2, so));
	NAME_GONE(s2, so);
	KR_OK(mipc_space_destroy(s1));
	KR_OK(mipc_space_destroy(s2));
}
END_TEST

/* ---- B21: PORT_SET --------------------------------------------------------- */

START_TEST(B21_mod_refs_port_set_zero_success)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);

	KR_OK(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_PORT_SET, 0));
	TYPE_EQ(task, ps, MACH_PORT_TYPE_PORT_SET);
}
END_TEST

START_TEST(B21_mod_refs_port_set_minus_one_destroys)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);

	KR_OK(mipc_port_mod_refs(task, ps, MACH_PORT_RIGHT_PORT_SET, -1));
	NAME_GONE(task, ps);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(B21_mod_refs_port_set_bad_delta_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	static const mach_port_delta_t deltas[] = { 1, 2, -2, 65535, INT_MIN };
	unsigned i;

	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		KR_EQ(mipc_port_mod_refs(
		          task, ps, MACH_PORT_RIGHT_PORT_SET, deltas[i]),
		    KERN_INVALID_VALUE);
		TYPE_EQ(task, ps, MACH_PORT_TYPE_PORT_SET);
	}
}
END_TEST

/* ---- B22: DEAD_NAME -------------------------------------------------------- */

START_TEST(B22_mod_refs_dead_name_on_live_send_rights_invalid_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);
	struct pair p = pair_make(2);

	conf_make_send(task, r, 1);
	KR_EQ(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_DEAD_NAME, -1),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_mod_refs(task, so, MACH_PORT_RIGHT_DEAD_NAME, -1),
	    KERN_INVALID_RIGHT);
	KR_EQ(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 1),
	    KERN_INVALID_RIGHT);
	TYPE_EQ(task, r, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 1);
	TYPE_EQ(task, so, MACH_PORT_TYPE_SEND_ONCE);
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 2);
	pair_done(&p);
}
END_TEST

START_TEST(B22_mod_refs_dead_name_underflow_invalid_value)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 1));
	KR_EQ(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, -3),
	    KERN_INVALID_VALUE);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 2);
	KR_EQ(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 65536),
	    KERN_INVALID_VALUE);
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 2);
}
END_TEST

START_TEST(B22_mod_refs_dead_name_saturates)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 65535));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 65535);
	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, -1));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 65535);
	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 7));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 65535);
	KR_OK(mipc_port_deallocate(task, dn));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 65535);
	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, -65535));
	NAME_GONE(task, dn);
}
END_TEST

START_TEST(B22_mod_refs_dead_name_to_zero_frees)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 4));
	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 0));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 5);
	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, -5));
	NAME_GONE(task, dn);
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(B22_mod_refs_dead_name_on_dead_port_converts_first)
{
	struct pair p = pair_make(3);
	mach_port_name_t so = conf_give_send_once(p.ss, p.rs, p.r);

	conf_kill(p.rs, p.r);
	/* Send name: converted, then -1 applies. */
	KR_OK(mipc_port_mod_refs(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, -1));
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 2);
	/* Send-once name: one uref once converted, so -1 frees it. */
	KR_OK(mipc_port_mod_refs(p.ss, so, MACH_PORT_RIGHT_DEAD_NAME, -1));
	NAME_GONE(p.ss, so);
	pair_done(&p);
}
END_TEST

/* ---- B23-B29: mach_port_deallocate ------------------------------------------ */

START_TEST(B23_deallocate_null_dead_success)
{
	mipc_space_t task = mipc_thread_space();

	KR_OK(mipc_port_deallocate(task, MACH_PORT_NULL));
	KR_OK(mipc_port_deallocate(task, MACH_PORT_DEAD));
	ck_assert_uint_eq(name_count(task), 0);
}
END_TEST

START_TEST(B23_deallocate_unknown_invalid_name_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t stale = conf_stale_name(task);
	mach_port_name_t unknown = conf_unused_name(task);

	guard_reset();
	KR_EQ(mipc_port_deallocate(task, unknown), KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, unknown);
	KR_EQ(mipc_port_deallocate(task, stale), KERN_INVALID_NAME);
	GUARD_ONE(task, kGUARD_EXC_INVALID_NAME, stale);
}
END_TEST

START_TEST(B24_deallocate_send_removes_one_uref)
{
	struct pair p = pair_make(3);

	KR_OK(mipc_port_deallocate(p.ss, p.s));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 2);
	KR_OK(mipc_port_deallocate(p.ss, p.s));
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	KR_OK(mipc_port_deallocate(p.ss, p.s));
	NAME_GONE(p.ss, p.s);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 0);
	TYPE_EQ(p.rs, p.r, MACH_PORT_TYPE_RECEIVE);
	pair_done(&p);
}
END_TEST

START_TEST(B25_deallocate_send_once_destroys_right)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);

	KR_OK(mipc_port_deallocate(task, so));
	NAME_GONE(task, so);
	conf_take_send_once_notification(task, r);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 0);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(B26_deallocate_dead_name_one_uref_at_a_time)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t dn = conf_alloc(task, MACH_PORT_RIGHT_DEAD_NAME);

	KR_OK(mipc_port_mod_refs(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 2));
	KR_OK(mipc_port_deallocate(task, dn));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 2);
	KR_OK(mipc_port_deallocate(task, dn));
	REFS_EQ(task, dn, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_port_deallocate(task, dn));
	NAME_GONE(task, dn);
}
END_TEST

START_TEST(B27_deallocate_send_dead_port_as_dead_name)
{
	struct pair p = pair_make(2);
	mach_port_name_t so = conf_give_send_once(p.ss, p.rs, p.r);

	conf_kill(p.rs, p.r);
	guard_reset();
	KR_OK(mipc_port_deallocate(p.ss, p.s));
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_DEAD_NAME);
	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_DEAD_NAME, 1);
	KR_OK(mipc_port_deallocate(p.ss, p.s));
	NAME_GONE(p.ss, p.s);
	KR_OK(mipc_port_deallocate(p.ss, so));
	NAME_GONE(p.ss, so);
	ck_assert_uint_eq(name_count(p.ss), 0);
	GUARD_NONE("deallocate of rights to a dead port");
	pair_done(&p);
}
END_TEST

START_TEST(B28_deallocate_receive_invalid_right_guard)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);

	guard_reset();
	KR_EQ(mipc_port_deallocate(task, r), KERN_INVALID_RIGHT);
	GUARD_ONE(task, kGUARD_EXC_INVALID_RIGHT, r);
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	REFS_EQ(task, r, MACH_PORT_RIGHT_RECEIVE, 1);
}
END_TEST

START_TEST(B28_deallocate_send_receive_removes_send_uref)
{
	struct pair p = pair_make(1);

	conf_make_send(p.rs, p.r, 2);
	KR_OK(mipc_port_deallocate(p.rs, p.r));
	TYPE_EQ(p.rs, p.r, MACH_PORT_TYPE_SEND_RECEIVE);
	REFS_EQ(p.rs, p.r, MACH_PORT_RIGHT_SEND, 1);
	KR_OK(mipc_port_deallocate(p.rs, p.r));
	TYPE_EQ(p.rs, p.r, MACH_PORT_TYPE_RECEIVE);
	REFS_EQ(p.rs, p.r, MACH_PORT_RIGHT_RECEIVE, 1);
	/* The port is alive. */
	TYPE_EQ(p.ss, p.s, MACH_PORT_TYPE_SEND);
	ck_assert_uint_eq(srights_of(p.rs, p.r), 1);
	pair_done(&p);
}
END_TEST

START_TEST(B29_deallocate_port_set_destroys_set)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t ps = conf_alloc(task, MACH_PORT_RIGHT_PORT_SET);
	mach_port_name_t r = recv_new(task);

	KR_OK(mipc_port_insert_member(task, r, ps));
	ck_assert_uint_eq(status_of(task, r).mps_pset, 1);
	KR_OK(mipc_port_deallocate(task, ps));
	NAME_GONE(task, ps);
	/* The member keeps its name and leaves the set. */
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	ck_assert_uint_eq(status_of(task, r).mps_pset, 0);
}
END_TEST

/* ---- MACH.md 3.3: swift-system MachPortTests idioms ------------------------- */

START_TEST(swift_receive_refcount_one_then_released)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_urefs_t refs;

	REFS_EQ(task, r, MACH_PORT_RIGHT_RECEIVE, 1);
	KR_OK(mipc_port_mod_refs(task, r, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_EQ(mipc_port_get_refs(task, r, MACH_PORT_RIGHT_RECEIVE, &refs),
	    KERN_INVALID_NAME);
}
END_TEST

START_TEST(swift_send_refcount_one_then_zero)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	struct pair p = pair_make(1);
	mach_port_urefs_t refs;

	conf_make_send(task, r, 1);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 1);
	KR_OK(mipc_port_deallocate(task, r));
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 0);

	REFS_EQ(p.ss, p.s, MACH_PORT_RIGHT_SEND, 1);
	KR_OK(mipc_port_deallocate(p.ss, p.s));
	KR_EQ(mipc_port_get_refs(p.ss, p.s, MACH_PORT_RIGHT_SEND, &refs),
	    KERN_INVALID_NAME);
	pair_done(&p);
}
END_TEST

START_TEST(swift_make_send_count)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so;

	ck_assert_uint_eq(status_of(task, r).mps_mscount, 0);
	KR_OK(mipc_port_set_mscount(task, r, 7));
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 7);
	KR_OK(mipc_port_insert_right(
	    task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND));
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 8);
	KR_OK(mipc_port_insert_right(
	    task, r, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND));
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 9);
	so = conf_unused_name(task);
	KR_OK(mipc_port_insert_right(
	    task, so, mipc_thread_space(), r, MACH_MSG_TYPE_MAKE_SEND_ONCE));
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 9);
	KR_OK(mipc_port_insert_right(
	    task, r, mipc_thread_space(), r, MACH_MSG_TYPE_COPY_SEND));
	ck_assert_uint_eq(status_of(task, r).mps_mscount, 9);
	REFS_EQ(task, r, MACH_PORT_RIGHT_SEND, 3);
}
END_TEST

START_TEST(swift_send_once_name_differs_from_receive)
{
	mipc_space_t task = mipc_thread_space();
	mach_port_name_t r = recv_new(task);
	mach_port_name_t so = send_once_for(task, r);

	ck_assert_msg(so != r, "send-once right merged into the receive name");
	TYPE_EQ(task, r, MACH_PORT_TYPE_RECEIVE);
	TYPE_EQ(task, so, MACH_PORT_TYPE_SEND_ONCE);
	ck_assert_uint_eq(status_of(task, r).mps_sorights, 1);
}
END_TEST

static Suite *
b_refs_suite(void)
{
	Suite *s = suite_create("B_refs");
	TCase *get = conf_tcase("B_get_refs");
	TCase *mod = conf_tcase("B_mod_refs");
	TCase *dealloc = conf_tcase("B_deallocate");
	TCase *swift = conf_tcase("swift_system");

	tcase_add_test(get, B1_get_refs_right_out_of_range_invalid_value);
	tcase_add_test(get, B2_get_refs_null_dead_send_reports_one);
	tcase_add_test(get, B2_get_refs_null_dead_other_rights_invalid_name);
	tcase_add_test(get, B3_get_refs_unknown_name_invalid_name);
	tcase_add_test(get, B3_get_refs_name_of_other_space_invalid_name);
	tcase_add_test(get, B4_get_refs_absent_right_on_receive_zero);
	tcase_add_test(get, B4_get_refs_absent_right_on_port_set_zero);
	tcase_add_test(get, B4_get_refs_absent_right_on_send_zero);
	tcase_add_test(get, B4_get_refs_absent_right_on_send_once_zero);
	tcase_add_test(get, B4_get_refs_absent_right_on_dead_name_zero);
	tcase_add_test(get, B5_get_refs_receive_port_set_send_once_one);
	tcase_add_test(get, B5_get_refs_send_counts_urefs);
	tcase_add_test(get, B5_get_refs_dead_name_counts_urefs);
	tcase_add_test(get, B5_get_refs_null_refs_pointer_fails);
	suite_add_tcase(s, get);

	tcase_add_test(mod, B6_mod_refs_right_out_of_range_invalid_value);
	tcase_add_test(mod, B6_mod_refs_labelh_invalid_right);
	tcase_add_test(mod, B7_mod_refs_null_dead_send_success_no_effect);
	tcase_add_test(mod, B7_mod_refs_null_dead_other_rights_invalid_name);
	tcase_add_test(mod, B8_mod_refs_unknown_name_invalid_name_guard);
	tcase_add_test(mod, B9_mod_refs_absent_right_on_receive_invalid_right);
	tcase_add_test(mod, B9_mod_refs_absent_right_on_port_set_invalid_right);
	tcase_add_test(mod, B9_mod_refs_send_on_dead_name_no_guard);
	tcase_add_test(mod, B9_mod_refs_send_plus_one_on_receive_no_guard);
	tcase_add_test(mod, B10_mod_refs_send_zero_no_change);
	tcase_add_test(mod, B11_mod_refs_send_add_and_remove);
	tcase_add_test(mod, B11_mod_refs_send_to_zero_frees_send_name);
	tcase_add_test(
	    mod, B11_mod_refs_send_to_zero_send_receive_reverts_to_receive);
	tcase_add_test(mod, B11_mod_refs_send_right_count_drops_by_one);
	tcase_add_test(mod, B12_send_urefs_underflow_invalid_value);
	tcase_add_test(mod, B12_send_delta_beyond_urefs_max_invalid_value);
	tcase_add_test(mod, B13_send_urefs_saturate);
	tcase_add_test(mod, B13_send_urefs_overshoot_saturates);
	tcase_add_test(mod, B13_send_urefs_below_max_not_pinned);
	tcase_add_test(mod, B13_pinned_send_ignores_deltas);
	tcase_add_test(mod, B13_pinned_send_minus_max_removes_right);
	tcase_add_test(mod, B13_pinned_send_deallocate_noop);
	tcase_add_test(mod, B13_pinned_send_stays_pinned_on_copyin_and_merge);
	tcase_add_test(mod, B14_mod_refs_send_never_creates_send_right);
	tcase_add_test(mod, B15_mod_refs_send_dead_port_invalid_right_converts);
	tcase_add_test(mod, B16_mod_refs_receive_zero_success);
	tcase_add_test(mod, B16_mod_refs_receive_minus_one_destroys_port);
	tcase_add_test(mod, B16_mod_refs_receive_other_delta_invalid_value);
	tcase_add_test(
	    mod, B17_mod_refs_receive_guarded_invalid_right_guard_destroy);
	tcase_add_test(mod, B17_mod_refs_receive_guard_zero_still_fails);
	tcase_add_test(
	    mod, B17_mod_refs_receive_guarded_send_receive_unchanged);
	tcase_add_test(
	    mod, B18_mod_refs_receive_on_send_receive_leaves_dead_name);
	tcase_add_test(
	    mod, B18_mod_refs_receive_pinned_send_receive_keeps_urefs);
	tcase_add_test(mod, B20_mod_refs_send_once_zero_success);
	tcase_add_test(mod, B20_mod_refs_send_once_minus_one_destroys);
	tcase_add_test(mod, B20_mod_refs_send_once_bad_delta_invalid_value);
	tcase_add_test(
	    mod, B20_mod_refs_send_once_dead_port_invalid_right_converts);
	tcase_add_test(mod, B21_mod_refs_port_set_zero_success);
	tcase_add_test(mod, B21_mod_refs_port_set_minus_one_destroys);
	tcase_add_test(mod, B21_mod_refs_port_set_bad_delta_invalid_value);
	tcase_add_test(
	    mod, B22_mod_refs_dead_name_on_live_send_rights_invalid_right);
	tcase_add_test(mod, B22_mod_refs_dead_name_underflow_invalid_value);
	tcase_add_test(mod, B22_mod_refs_dead_name_saturates);
	tcase_add_test(mod, B22_mod_refs_dead_name_to_zero_frees);
	tcase_add_test(mod, B22_mod_refs_dead_name_on_dead_port_converts_first);
	suite_add_tcase(s, mod);

	tcase_add_test(dealloc, B23_deallocate_null_dead_success);
	tcase_add_test(dealloc, B23_deallocate_unknown_invalid_name_guard);
	tcase_add_test(dealloc, B24_deallocate_send_removes_one_uref);
	tcase_add_test(dealloc, B25_deallocate_send_once_destroys_right);
	tcase_add_test(dealloc, B26_deallocate_dead_name_one_uref_at_a_time);
	tcase_add_test(dealloc, B27_deallocate_send_dead_port_as_dead_name);
	tcase_add_test(dealloc, B28_deallocate_receive_invalid_right_guard);
	tcase_add_test(dealloc, B28_deallocate_send_receive_removes_send_uref);
	tcase_add_test(dealloc, B29_deallocate_port_set_destroys_set);
	suite_add_tcase(s, dealloc);

	tcase_add_test(swift, swift_receive_refcount_one_then_released);
	tcase_add_test(swift, swift_send_refcount_one_then_zero);
	tcase_add_test(swift, swift_make_send_count);
	tcase_add_test(swift, swift_send_once_name_differs_from_receive);
	suite_add_tcase(s, swift);
	return s;
}

MIPC_TEST_MAIN(b_refs_suite)

/*
 * Deferred to the messages / notifications issues (need mach_msg,
 * mach_port_request_notification or mach_port_peek):
 *   B18 the extra uref (and DEAD_NAME notification) when a dead-name
 *       request was registered on the name; "no no-senders processing".
 *   B19 mod_refs(RECEIVE, -1) with a port-destroyed request (right goes to
 *       the backup port).
 *   B20 the MACH_NOTIFY_SEND_ONCE delivered when a send-once right is
 *       destroyed by mod_refs.
 *   B24 MACH_NOTIFY_PORT_DELETED for a request on the last send uref.
 *   B25 MACH_NOTIFY_SEND_ONCE / PORT_DELETED on deallocating a send-once
 *       right.
 *   B27 the extra uref of a converted name that carried a dead-name
 *       request.
 * Not asserted: guard exceptions for mod_refs SEND_ONCE / LABELH on a
 * receive right or port set (MACH.md B9 lists them; XNU's ipc_right_delta
 * raises none for these two), and the INVALID_RIGHT guard payloads.
 */
