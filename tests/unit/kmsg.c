/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmsg.c -- tests of core/kmsg.c that need an interleaving: a port dies
 * while a message naming it is being copied in.
 *
 * A send runs while another thread destroys the destination's receive
 * right at the send's Nth yield point (tests/interleave.h); N sweeps every
 * yield point a send has.  Each outcome must be one that a death just
 * before or just after the send gives.
 *
 * Includes core/internal.h for the yield hook.
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

struct victim {
	mipc_space_t v_space;
	mach_port_name_t v_name;
};

static void
kill_victim(void *arg)
{
	struct victim *v = arg;

	MIPC_REQUIRE(mipc_port_destroy(v->v_space, v->v_name) == KERN_SUCCESS,
	    "destroying the victim");
}

/* A port of space b with a send right in space a, made by `how`. */
static mach_port_name_t
victim_setup(
    mipc_space_t a, mipc_space_t b, mach_msg_type_name_t how, struct victim *v)
{
	mach_port_name_t n;
	mach_msg_type_name_t t;

	ck_assert_int_eq(
	    mipc_port_allocate(b, MACH_PORT_RIGHT_RECEIVE, &v->v_name),
	    KERN_SUCCESS);
	v->v_space = b;
	ck_assert_int_eq(mipc_port_extract_right(b, v->v_name, how, a, &n, &t),
	    KERN_SUCCESS);
	return n;
}

struct send {
	mipc_space_t s_space;
	mach_msg_header_t s_h;
	mach_msg_return_t s_mr;
};

static void
do_send(void *arg)
{
	struct send *s = arg;

	s->s_mr =
	    mipc_msg(s->s_space, &s->s_h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	        sizeof(s->s_h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/*
 * Send through `n` of space a (dest disposition dt, reply rt through the
 * same name when rt is not 0) while the port dies at the Nth yield point.
 * Returns the send's code; *reached says the send got to that point.
 */
static mach_msg_return_t
send_while_dying(mipc_space_t a, mach_port_name_t n, mach_msg_type_name_t dt,
    mach_msg_type_name_t rt, struct victim *v, unsigned int nth, bool *reached)
{
	struct send s = {
		.s_space = a,
		.s_h = {
			.msgh_bits = MACH_MSGH_BITS(dt, rt),
			.msgh_remote_port = n,
			.msgh_local_port = rt != 0 ? n : MACH_PORT_NULL,
		},
	};

	*reached = interleave_at(nth, do_send, &s, kill_victim, v);
	return s.s_mr;
}

/*
 * What the name holds after the send: nothing (-1) or the dead name's
 * user references.
 */
static int
dead_urefs(mipc_space_t a, mach_port_name_t n)
{
	mach_port_type_t type;
	mach_port_urefs_t refs;

	if (mipc_port_type(a, n, &type) == KERN_INVALID_NAME)
		return -1;
	ck_assert_uint_eq(type, MACH_PORT_TYPE_DEAD_NAME);
	ck_assert_int_eq(
	    mipc_port_get_refs(a, n, MACH_PORT_RIGHT_DEAD_NAME, &refs),
	    KERN_SUCCESS);
	return (int)refs;
}

/* What a send that raced its destination's death ended with. */
struct outcomes {
	unsigned int invalid; /* MACH_SEND_INVALID_DEST, dead name of 1 uref */
	unsigned int sent;    /* MACH_MSG_SUCCESS, the name consumed */
};

/*
 * Send through a right made by `how` (dest dt, reply rt through the same
 * name when not 0) while its port dies at each yield point in turn; every
 * outcome must be one of the two above.
 */
static struct outcomes
sweep_send(
    mach_msg_type_name_t how, mach_msg_type_name_t dt, mach_msg_type_name_t rt)
{
	struct outcomes o = { 0, 0 };
	unsigned int nth;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		mipc_space_t a, b;
		struct victim v;
		mach_port_name_t n;
		mach_msg_return_t mr;
		int refs;

		ck_assert_int_eq(mipc_space_create(&a), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_create(&b), KERN_SUCCESS);
		n = victim_setup(a, b, how, &v);
		mr = send_while_dying(a, n, dt, rt, &v, nth, &reached);
		refs = dead_urefs(a, n);
		if (mr == MACH_SEND_INVALID_DEST && refs == 1)
			o.invalid++;
		else if (mr == MACH_MSG_SUCCESS && refs == -1)
			o.sent++;
		else
			ck_abort_msg("yield %u: %#x, %d urefs", nth, mr, refs);
		ck_assert_int_eq(mipc_space_destroy(a), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_destroy(b), KERN_SUCCESS);
	}
	return o;
}

/*
 * Found by fuzz_sched (fuzz/findings/fuzz_sched/dest_dies_after_checks):
 * the header's checks passed, then the destination's port died before
 * its copy-in, which then failed an invariant ("checked destination
 * copyin") and aborted.  A death anywhere in the send must leave either
 * the send done (MOVE_SEND consumed the right) or MACH_SEND_INVALID_DEST
 * with a dead name keeping its reference.
 */
START_TEST(kmsg_dest_dies_between_checks_and_copyin)
{
	struct outcomes o =
	    sweep_send(MACH_MSG_TYPE_MAKE_SEND, MACH_MSG_TYPE_MOVE_SEND, 0);

	ck_assert_msg(o.invalid > 0 && o.sent > 0, "%u invalid, %u sent",
	    o.invalid, o.sent);
}
END_TEST

/*
 * The same, with the reply copied in first: dest MOVE_SEND and reply
 * COPY_SEND through one name with one reference (I14).  A reply right
 * taken before the death must be given back when the destination fails.
 */
START_TEST(kmsg_dest_dies_after_same_name_reply_copyin)
{
	struct outcomes o = sweep_send(MACH_MSG_TYPE_MAKE_SEND,
	    MACH_MSG_TYPE_MOVE_SEND, MACH_MSG_TYPE_COPY_SEND);

	ck_assert_msg(o.invalid > 0 && o.sent > 0, "%u invalid, %u sent",
	    o.invalid, o.sent);
}
END_TEST

/*
 * A send-once destination that dies during the send: C8 if it died
 * first (the right is consumed, the send succeeds), a plain send if
 * after.  Either way the send succeeds and the name is gone.
 */
START_TEST(kmsg_send_once_dest_dies_during_send)
{
	struct outcomes o = sweep_send(
	    MACH_MSG_TYPE_MAKE_SEND_ONCE, MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);

	ck_assert_msg(o.invalid == 0 && o.sent > 0, "%u invalid, %u sent",
	    o.invalid, o.sent);
}
END_TEST

static Suite *
kmsg_suite(void)
{
	Suite *s = suite_create("kmsg");
	TCase *tc = mipc_tcase("port_death_during_copyin");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kmsg_dest_dies_between_checks_and_copyin);
	tcase_add_test(tc, kmsg_dest_dies_after_same_name_reply_copyin);
	tcase_add_test(tc, kmsg_send_once_dest_dies_during_send);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(kmsg_suite)
