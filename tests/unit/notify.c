/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.c -- tests of core/notify.c's memory rules: every allocation a
 * request makes is failed in turn (the request then fails with
 * KERN_RESOURCE_SHORTAGE and registers nothing); once a request has
 * succeeded, firing it allocates nothing it needs, so it cannot be lost to
 * memory exhaustion.  (A port-destroyed notification carries a receive
 * right, which pushes on the notify port's send turnstile; that turnstile
 * may be allocated then, best effort, as XNU does: its failure costs the
 * push, never the notification -- tested with the turnstile failed.)
 *
 * Also: a request racing its port's death, at every yield point
 * (tests/interleave.h).
 *
 * Includes core/internal.h for failure injection, allocation counts and
 * the yield hook.
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

#include <string.h>

static mipc_space_t task;

static void
setup(void)
{
	task = mipc_thread_space();
}

/* Receive one message from `port` (timeout 0); returns its id or -1. */
static int
take(mach_port_name_t port)
{
	struct {
		mach_msg_header_t h;
		char body[64];
		mach_msg_max_trailer_t t;
	} m;

	memset(&m, 0, sizeof(m));
	if (mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m), port,
	        0, MACH_PORT_NULL) != MACH_MSG_SUCCESS)
		return -1;
	return m.h.msgh_id;
}

/* Allocations that delivering a notification depends on: all but the
 * best-effort turnstile of priority inheritance. */
static uint64_t
needed_allocs(void)
{
	return ipc_alloc_count(IPC_KIND_ANY) -
	    ipc_alloc_count(IPC_KIND_TURNSTILE);
}

static mach_port_name_t
receive_right(void)
{
	mach_port_name_t n;

	ck_assert_int_eq(mipc_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, &n),
	    KERN_SUCCESS);
	return n;
}

/*
 * One kind of request, with the n-th allocation failing: the request
 * either fails cleanly (nothing registered; the notify right, if it was
 * copied in, comes back as MACH_NOTIFY_SEND_ONCE) or succeeds, and then
 * firing allocates nothing and delivers.  Returns whether it succeeded.
 */
static bool
sweep_once(mach_msg_id_t kind, uint64_t n)
{
	mach_port_name_t port = receive_right(), notify = receive_right();
	mach_port_name_t name = port, prev;
	mach_port_type_t type;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	uint64_t before;
	kern_return_t kr;
	int id;

	if (kind == MACH_NOTIFY_DEAD_NAME)
		ck_assert_int_eq(mipc_port_insert_right(task, port, task, port,
		                     MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
	ipc_fail_nth(IPC_KIND_ANY, n);
	/* sync 1 arms no-senders without firing; port-destroyed wants 0. */
	kr = mipc_port_request_notification(task, name, kind,
	    kind == MACH_NOTIFY_PORT_DESTROYED ? 0 : 1, notify,
	    MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
	ipc_fail_nth(IPC_KIND_ANY, 0);
	if (kr != KERN_SUCCESS) {
		ck_assert_int_eq(kr, KERN_RESOURCE_SHORTAGE);
		ck_assert_int_eq(
		    mipc_port_type(task, name, &type), KERN_SUCCESS);
		ck_assert(!(type & MACH_PORT_TYPE_DNREQUEST));
		ck_assert_int_eq(
		    mipc_port_get_attributes(task, port,
		        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
		    KERN_SUCCESS);
		ck_assert(!st.mps_nsrequest && !st.mps_pdrequest);
		/* P2: a refused right is destroyed unused; or never made. */
		id = take(notify);
		ck_assert(id == -1 || id == MACH_NOTIFY_SEND_ONCE);
		ck_assert_int_eq(take(notify), -1);
		ck_assert_int_eq(mipc_port_destroy(task, port), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(task, notify), KERN_SUCCESS);
		return false;
	}
	/* Fire: no allocation may happen on the way. */
	before = needed_allocs();
	if (kind == MACH_NOTIFY_NO_SENDERS) {
		/* sync 1 > mscount 0: armed; a made send right, then none. */
		ck_assert_int_eq(mipc_port_insert_right(task, port, task, port,
		                     MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
		before = needed_allocs();
		ck_assert_int_eq(
		    mipc_port_deallocate(task, port), KERN_SUCCESS);
	} else if (kind == MACH_NOTIFY_PORT_DESTROYED) {
		/* Its push's turnstile fails: the notification still goes. */
		ipc_fail_nth(IPC_KIND_TURNSTILE, 1);
		ck_assert_int_eq(mipc_port_destroy(task, port), KERN_SUCCESS);
		ipc_fail_nth(IPC_KIND_TURNSTILE, 0);
	} else {
		ck_assert_int_eq(
		    mipc_port_mod_refs(task, port, MACH_PORT_RIGHT_RECEIVE, -1),
		    KERN_SUCCESS);
	}
	ck_assert_msg(needed_allocs() == before,
	    "firing %d allocated %llu times", kind,
	    (unsigned long long)(needed_allocs() - before));
	id = take(notify);
	ck_assert_int_eq(id, kind);
	ck_assert_int_eq(take(notify), -1);
	return true;
}

static void
sweep(mach_msg_id_t kind)
{
	uint64_t n;

	/* Fail the 1st, 2nd, ... allocation until a request goes through. */
	for (n = 1; n < 64; n++) {
		if (sweep_once(kind, n))
			break;
	}
	ck_assert_msg(n > 1, "the request allocates (it reserves)");
	ck_assert_msg(n < 64, "the request succeeded eventually");
	mipc_default_space_reset();
}

START_TEST(notify_failure_sweep_dead_name)
{
	sweep(MACH_NOTIFY_DEAD_NAME);
}
END_TEST

START_TEST(notify_failure_sweep_no_senders)
{
	sweep(MACH_NOTIFY_NO_SENDERS);
}
END_TEST

START_TEST(notify_failure_sweep_port_destroyed)
{
	sweep(MACH_NOTIFY_PORT_DESTROYED);
}
END_TEST

START_TEST(notify_request_table_grows)
{
	mach_port_name_t port = receive_right(), notify = receive_right();
	mach_port_name_t names[20], prev;
	mipc_space_t spaces[20];
	unsigned int total, used;
	mach_msg_type_name_t t;
	int i;

	ck_assert_int_eq(
	    mipc_port_dnrequest_info(task, port, &total, &used), KERN_SUCCESS);
	ck_assert_uint_eq(total, 0);
	/* Requests from many names (one per space entry), so the table of
	 * this one port grows by doubling. */
	for (i = 0; i < 20; i++) {
		mipc_space_t sp;
		mach_port_name_t so;

		ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
		spaces[i] = sp;
		ck_assert_int_eq(
		    mipc_port_extract_right(
		        task, port, MACH_MSG_TYPE_MAKE_SEND, sp, &names[i], &t),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_extract_right(task, notify,
		                     MACH_MSG_TYPE_MAKE_SEND_ONCE, sp, &so, &t),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_request_notification(sp, names[i],
		                     MACH_NOTIFY_DEAD_NAME, 0, so,
		                     MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_dnrequest_info(task, port, &total, &used),
		    KERN_SUCCESS);
		ck_assert_uint_eq(used, (unsigned)i + 1);
		ck_assert_msg(total > used && (total & (total - 1)) == 0,
		    "capacity %u for %u requests", total, used);
	}
	ck_assert_int_eq(mipc_port_destroy(task, port), KERN_SUCCESS);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(take(notify), MACH_NOTIFY_DEAD_NAME);
	ck_assert_int_eq(take(notify), -1);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(mipc_space_destroy(spaces[i]), KERN_SUCCESS);
}
END_TEST

/* A space with a send right to `port` and a dead-name request on it. */
static mipc_space_t
requester(mach_port_name_t port, mach_port_name_t notify, mach_port_name_t *n)
{
	mach_port_name_t so, prev;
	mach_msg_type_name_t t;
	mipc_space_t sp;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_extract_right(
	                     task, port, MACH_MSG_TYPE_MAKE_SEND, sp, n, &t),
	    KERN_SUCCESS);
	ck_assert_int_eq(mipc_port_extract_right(task, notify,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, sp, &so, &t),
	    KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_request_notification(sp, *n, MACH_NOTIFY_DEAD_NAME, 0, so,
	        MACH_MSG_TYPE_MOVE_SEND_ONCE, &prev),
	    KERN_SUCCESS);
	return sp;
}

/*
 * Request slots come from a free list threaded through the table (placing
 * a request used to scan it, O(N^2) for N requests on one port: a cost
 * only the dead_name/10000 benchmark shows).  The list must hand out
 * freed slots before the table grows, and every live request still fires
 * exactly once.
 */
START_TEST(notify_request_slots_reused_before_growth)
{
	mach_port_name_t port = receive_right(), notify = receive_right();
	mach_port_name_t names[11], prev;
	mipc_space_t spaces[11];
	unsigned int total, used;
	int i;

	for (i = 0; i < 7; i++)
		spaces[i] = requester(port, notify, &names[i]);
	ck_assert_int_eq(
	    mipc_port_dnrequest_info(task, port, &total, &used), KERN_SUCCESS);
	ck_assert_uint_eq(total, 8); /* slots 1..7 in use */
	ck_assert_uint_eq(used, 7);
	/* Cancel three: their send-once rights come back as `previous`. */
	for (i = 1; i < 7; i += 2) {
		ck_assert_int_eq(
		    mipc_port_request_notification(spaces[i], names[i],
		        MACH_NOTIFY_DEAD_NAME, 0, MACH_PORT_NULL,
		        MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_deallocate(spaces[i], prev), KERN_SUCCESS);
		ck_assert_int_eq(take(notify), MACH_NOTIFY_SEND_ONCE);
	}
	/* Three new requests fill the freed slots: no growth. */
	for (i = 7; i < 10; i++)
		spaces[i] = requester(port, notify, &names[i]);
	ck_assert_int_eq(
	    mipc_port_dnrequest_info(task, port, &total, &used), KERN_SUCCESS);
	ck_assert_uint_eq(total, 8);
	ck_assert_uint_eq(used, 7);
	/* One more: now it doubles. */
	spaces[10] = requester(port, notify, &names[10]);
	ck_assert_int_eq(
	    mipc_port_dnrequest_info(task, port, &total, &used), KERN_SUCCESS);
	ck_assert_uint_eq(total, 16);
	ck_assert_uint_eq(used, 8);
	/* Death: each of the 8 live requests fires once, nothing else. */
	ck_assert_int_eq(mipc_port_destroy(task, port), KERN_SUCCESS);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(take(notify), MACH_NOTIFY_DEAD_NAME);
	ck_assert_int_eq(take(notify), -1);
	for (i = 0; i < 11; i++)
		ck_assert_int_eq(mipc_space_destroy(spaces[i]), KERN_SUCCESS);
}
END_TEST

struct dn_request {
	mach_port_name_t name, notify;
	kern_return_t kr;
	mipc_space_t owner; /* holds the receive right */
	mach_port_name_t receive;
};

static void
request_dead_name(void *arg)
{
	struct dn_request *r = arg;
	mach_port_name_t prev = MACH_PORT_NULL;

	r->kr =
	    mipc_port_request_notification(task, r->name, MACH_NOTIFY_DEAD_NAME,
	        0, r->notify, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev);
	MIPC_REQUIRE(prev == MACH_PORT_NULL, "no previous request");
}

static void
kill_owner_port(void *arg)
{
	struct dn_request *r = arg;

	MIPC_REQUIRE(mipc_port_destroy(r->owner, r->receive) == KERN_SUCCESS,
	    "destroying the port");
}

/*
 * Found by fuzz_sched (fuzz/findings/fuzz_sched/request_on_dying_port):
 * a dead-name request checked its port alive, then registered it under
 * the port lock without looking again; a port that died in between took
 * the request after its dead-name notifications had gone, and the
 * request's send-once right and preallocated message leaked.  Whenever
 * the port dies, the request must either fire DEAD_NAME or be refused as
 * a request on a dead name (P15), whose send-once right then dies unused
 * (MACH_NOTIFY_SEND_ONCE).
 */
START_TEST(notify_dead_name_request_races_port_death)
{
	unsigned int nth, fired = 0, refused = 0;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct dn_request r = { 0 };
		mach_msg_type_name_t t;
		int id;

		ck_assert_int_eq(mipc_space_create(&r.owner), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(r.owner,
		                     MACH_PORT_RIGHT_RECEIVE, &r.receive),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(r.owner, r.receive,
		        MACH_MSG_TYPE_MAKE_SEND, task, &r.name, &t),
		    KERN_SUCCESS);
		r.notify = receive_right();
		reached = interleave_at(
		    nth, request_dead_name, &r, kill_owner_port, &r);
		id = take(r.notify);
		if (r.kr == KERN_SUCCESS) {
			ck_assert_msg(id == MACH_NOTIFY_DEAD_NAME,
			    "yield %u: notification %d", nth, id);
			fired++;
		} else {
			ck_assert_msg(r.kr == KERN_INVALID_ARGUMENT &&
			        id == MACH_NOTIFY_SEND_ONCE,
			    "yield %u: %#x, notification %d", nth, r.kr, id);
			refused++;
		}
		ck_assert_int_eq(take(r.notify), -1);
		ck_assert_int_eq(mipc_port_destroy(task, r.name), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_destroy(task, r.notify), KERN_SUCCESS);
		ck_assert_int_eq(mipc_space_destroy(r.owner), KERN_SUCCESS);
	}
	ck_assert_msg(
	    fired > 0 && refused > 0, "%u fired, %u refused", fired, refused);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = mipc_tcase("notify");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, notify_failure_sweep_dead_name);
	tcase_add_test(tc, notify_failure_sweep_no_senders);
	tcase_add_test(tc, notify_failure_sweep_port_destroyed);
	tcase_add_test(tc, notify_request_table_grows);
	tcase_add_test(tc, notify_request_slots_reused_before_growth);
	tcase_add_test(tc, notify_dead_name_request_races_port_death);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(notify_suite)
