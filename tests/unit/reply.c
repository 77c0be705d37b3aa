/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.c -- regression tests of core/reply.c found by the bootstrap
 * client (issue 14): mig_get_special_reply_port hands out the calling
 * thread's special reply port of its *current* space, made again when
 * the thread moved to another space or the port was destroyed.
 *
 * The conformance of special reply ports is s_special_reply.c.
 */
#include "check_mipc.h"
#include "conformance/conformance.h"

/* The name denotes a receive right in sp that carries a send right too. */
static void
assert_srp_in(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_type_t t = 0;

	ck_assert_msg(MACH_PORT_VALID(n), "a valid name (0x%x)", n);
	KR_OK(mipc_port_type(sp, n, &t));
	ck_assert_msg((t & MACH_PORT_TYPE_RECEIVE) != 0,
	    "0x%x is a receive right in that space (type 0x%x)", n, t);
}

START_TEST(reply_issue_14_mig_srp_follows_the_current_space)
{
	mipc_space_t a = mipc_thread_space(), b, prev;
	mach_port_name_t na, nb;

	na = mig_get_special_reply_port();
	assert_srp_in(a, na);
	VAL_EQ(mig_get_special_reply_port(), na); /* kept */
	KR_OK(mipc_space_create(&b));
	prev = mipc_thread_set_space(b);
	nb = mig_get_special_reply_port();
	assert_srp_in(b, nb);
	VAL_EQ(mig_get_special_reply_port(), nb);
	(void)mipc_thread_set_space(prev);
	KR_OK(mipc_space_destroy(b));
	KR_OK(mipc_port_mod_refs(a, na, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_deallocate(a, na));
}
END_TEST

START_TEST(reply_issue_14_mig_srp_made_again_after_destroy)
{
	mipc_space_t a = mipc_thread_space();
	mach_port_name_t n1, n2;

	n1 = mig_get_special_reply_port();
	assert_srp_in(a, n1);
	KR_OK(mipc_port_mod_refs(a, n1, MACH_PORT_RIGHT_RECEIVE, -1));
	n2 = mig_get_special_reply_port();
	assert_srp_in(a, n2);
	KR_OK(mipc_port_deallocate(a, n1)); /* the dead name */
	KR_OK(mipc_port_mod_refs(a, n2, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(mipc_port_deallocate(a, n2));
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = mipc_tcase("mig_srp");

	tcase_add_test(tc, reply_issue_14_mig_srp_follows_the_current_space);
	tcase_add_test(tc, reply_issue_14_mig_srp_made_again_after_destroy);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(reply_suite)
