/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * right.c -- tests of core/right.c that need an interleaving: a port dies
 * while a right to it moves between spaces, a name is converted to a dead
 * name while lock-free readers look (tests/interleave.h sweeps the other
 * call over every yield point of the call).
 *
 * Includes core/internal.h for the yield hook.
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

struct insert {
	mipc_space_t owner, holder;
	mach_port_name_t receive, send, to;
	kern_return_t kr;
};

static void
insert_copy(void *arg)
{
	struct insert *in = arg;

	in->kr = mipc_port_insert_right(
	    in->holder, in->to, in->holder, in->send, MACH_MSG_TYPE_COPY_SEND);
}

static void
kill_port(void *arg)
{
	struct insert *in = arg;

	MIPC_REQUIRE(mipc_port_destroy(in->owner, in->receive) == KERN_SUCCESS,
	    "destroying the port");
}

/*
 * Found by fuzz_sched (fuzz/findings/fuzz_sched/insert_right_port_dies):
 * insert_right copied a send right in, its port died, and the copy-out
 * skipped the "one name per port" lookup for a dead port, installed a
 * second name and broke the reverse map's invariant (abort).  Whenever
 * the port dies, inserting a copy under another name must be refused:
 * KERN_RIGHT_EXISTS while the port lives (E8), KERN_INVALID_CAPABILITY
 * once it is dead (E15), and the other name never appears.
 */
START_TEST(right_insert_copy_races_port_death)
{
	unsigned int nth, exists = 0, dead = 0;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct insert in = { 0 };
		mach_msg_type_name_t t;
		mach_port_type_t type;

		ck_assert_int_eq(mipc_space_create(&in.owner), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_create(&in.holder), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(in.owner,
		                     MACH_PORT_RIGHT_RECEIVE, &in.receive),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(in.owner, in.receive,
		        MACH_MSG_TYPE_MAKE_SEND, in.holder, &in.send, &t),
		    KERN_SUCCESS);
		in.to = in.send != 0x2003 ? 0x2003 : 0x3003; /* a free name */
		ck_assert_uint_ne(in.to, in.send);
		reached = interleave_at(nth, insert_copy, &in, kill_port, &in);
		if (in.kr == KERN_RIGHT_EXISTS) {
			exists++;
		} else {
			ck_assert_msg(in.kr == KERN_INVALID_CAPABILITY,
			    "yield %u: %#x", nth, in.kr);
			dead++;
		}
		ck_assert_int_eq(
		    mipc_port_type(in.holder, in.to, &type), KERN_INVALID_NAME);
		ck_assert_int_eq(mipc_space_destroy(in.holder), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_destroy(in.owner), KERN_SUCCESS);
	}
	ck_assert_msg(
	    exists > 0 && dead > 0, "%u exists, %u dead", exists, dead);
}
END_TEST

struct convert {
	mipc_space_t holder;
	mach_port_name_t send;
	mach_port_type_t type;
	mach_port_urefs_t refs;
};

static void
convert_by_type(void *arg)
{
	struct convert *cv = arg;

	MIPC_REQUIRE(
	    mipc_port_type(cv->holder, cv->send, &cv->type) == KERN_SUCCESS,
	    "mach_port_type of the dead port's name");
}

/* A grace period, then a lock-free look at the name. */
static void
quiesce_and_read(void *arg)
{
	struct convert *cv = arg;

	mipc_quiesce();
	MIPC_REQUIRE(mipc_port_get_refs(cv->holder, cv->send,
	                 MACH_PORT_RIGHT_DEAD_NAME, &cv->refs) == KERN_SUCCESS,
	    "get_refs of the name being converted");
}

/*
 * Found by the rights_threads stress suite (ASan use-after-poison in
 * mipc_port_get_refs' lock-free path): the lazy dead-name conversion
 * (ipc_right_check) dropped the entry's reference on the dead port --
 * its last, retiring the port -- before clearing the entry.  A reader
 * entering its epoch section after the retirement found the entry still
 * naming the port and read it after the grace period had freed it.  An
 * object must be unreachable before its last reference goes: at every
 * yield point of the conversion, a grace period followed by a lock-free
 * read must see either the send right or the dead name, never a freed
 * port.
 */
START_TEST(right_check_clears_entry_before_last_release)
{
	unsigned int nth;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct convert cv = { 0 };
		mipc_space_t owner;
		mach_port_name_t receive;
		mach_msg_type_name_t t;

		ck_assert_int_eq(mipc_space_create(&owner), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_create(&cv.holder), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(
		                     owner, MACH_PORT_RIGHT_RECEIVE, &receive),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(owner, receive,
		        MACH_MSG_TYPE_MAKE_SEND, cv.holder, &cv.send, &t),
		    KERN_SUCCESS);
		/* The holder's name now has the port's last reference. */
		ck_assert_int_eq(
		    mipc_port_destroy(owner, receive), KERN_SUCCESS);
		reached = interleave_at(
		    nth, convert_by_type, &cv, quiesce_and_read, &cv);
		ck_assert_uint_eq(cv.type, MACH_PORT_TYPE_DEAD_NAME);
		ck_assert_uint_eq(cv.refs, 1);
		ck_assert_int_eq(mipc_space_destroy(cv.holder), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_destroy(owner), KERN_SUCCESS);
	}
}
END_TEST

static Suite *
right_suite(void)
{
	Suite *s = suite_create("right");
	TCase *tc = mipc_tcase("port_death_during_insert");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, right_insert_copy_races_port_death);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("dead_name_conversion");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, right_check_clears_entry_before_last_release);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(right_suite)
