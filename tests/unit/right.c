/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * right.c -- tests of core/right.c that need an interleaving: a port dies
 * while a right to it moves between spaces, a name is converted to a dead
 * name while lock-free readers look (tests/interleave.h sweeps the other
 * call over every yield point of the call); the lock-free path of
 * mipc_port_get_refs answers as the locked one, taking no slow entry.
 *
 * Includes core/internal.h for the yield hook and ipc_slow_entries.
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * A receiver found its port by name inside its epoch section; another
 * thread destroys the port, churns bare ports through whole batches (their
 * retirements, polls) and makes a new port with a message queued.  The
 * port's memory must not come back as the new port while the receiver is
 * still in its section (port.c, ipc_port_retired_flush): had it been
 * reused, the receiver would take the new port's message.  At every yield
 * point of the receive, the receive takes nothing, and the new port keeps
 * its message.
 */
struct reuse {
	mipc_space_t sp;
	mach_port_name_t old, fresh;
	uintptr_t old_addr, fresh_addr;
	mach_msg_return_t mr;
	uint64_t t0;  /* the receive began (monotonic ns) */
	bool in_time; /* the new port was made while the receive waited */
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
receive_old(void *arg)
{
	struct reuse *ru = arg;
	struct {
		mach_msg_header_t h;
		mach_msg_max_trailer_t t;
	} m;
	mipc_space_t prev = mipc_thread_set_space(ru->sp);

	memset(&m, 0, sizeof(m));
	ru->t0 = mono_ns();
	ru->mr = mach_msg(&m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(m),
	    ru->old, 0, MACH_PORT_NULL);
	mipc_thread_set_space(prev);
}

static uintptr_t
port_addr(mipc_space_t sp, mach_port_name_t name)
{
	struct ipc_thread *th = ipc_thread_self();
	struct ipc_entry *e;
	uintptr_t a = 0;

	ipc_epoch_enter(th);
	e = ipc_entry_lookup(ipc_space_lookup(sp), name);
	if (e != NULL)
		a = (uintptr_t)ipc_entry_load_object(e);
	ipc_epoch_exit(th);
	return a;
}

static void
destroy_and_reuse(void *arg)
{
	struct reuse *ru = arg;
	mipc_space_t prev = mipc_thread_set_space(ru->sp);
	mach_msg_header_t h;
	mach_port_name_t n;
	int i;

	ck_assert_int_eq(mipc_port_destroy(ru->sp, ru->old), KERN_SUCCESS);
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(
		    mipc_port_allocate(ru->sp, MACH_PORT_RIGHT_RECEIVE, &n),
		    KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_destroy(ru->sp, n), KERN_SUCCESS);
	}
	ck_assert_int_eq(
	    mipc_port_allocate(ru->sp, MACH_PORT_RIGHT_RECEIVE, &ru->fresh),
	    KERN_SUCCESS);
	ru->fresh_addr = port_addr(ru->sp, ru->fresh);
	/*
	 * The yield hook waits at least 100 ms (interleave.h) from after t0
	 * for us to finish: made before t0 + 100 ms, the new port was made
	 * while the receive still waited at its yield point.
	 */
	ru->in_time = mono_ns() - ru->t0 < 100000000u;
	memset(&h, 0, sizeof(h));
	h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND, 0);
	h.msgh_size = sizeof(h);
	h.msgh_remote_port = ru->fresh;
	ck_assert_int_eq(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	mipc_thread_set_space(prev);
}

START_TEST(receive_races_port_free_and_reuse)
{
	unsigned int nth, raced = 0;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct reuse ru = { 0 };
		mach_port_status_t st;
		mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;

		ck_assert_int_eq(mipc_space_create(&ru.sp), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_allocate(ru.sp, MACH_PORT_RIGHT_RECEIVE, &ru.old),
		    KERN_SUCCESS);
		ru.old_addr = port_addr(ru.sp, ru.old);
		reached = interleave_at(
		    nth, receive_old, &ru, destroy_and_reuse, &ru);
		raced += reached && ru.in_time;
		ck_assert_msg(ru.mr == MACH_RCV_TIMED_OUT ||
		        ru.mr == MACH_RCV_INVALID_NAME ||
		        ru.mr == MACH_RCV_PORT_CHANGED,
		    "yield point %u: receive returned %#x", nth, ru.mr);
		if (reached && ru.in_time)
			ck_assert_msg(ru.fresh_addr != ru.old_addr,
			    "yield point %u: the port's memory was reused "
			    "under a reader",
			    nth);
		ck_assert_int_eq(
		    mipc_port_get_attributes(ru.sp, ru.fresh,
		        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st, &cnt),
		    KERN_SUCCESS);
		ck_assert_uint_eq(st.mps_msgcount, 1);
		ck_assert_int_eq(mipc_space_destroy(ru.sp), KERN_SUCCESS);
	}
	ck_assert_uint_gt(raced, 0);
}
END_TEST

/* get_refs(name, right), with the slow entries it took in *slow. */
static mach_port_urefs_t
refs_counted(mipc_space_t sp, mach_port_name_t name, mach_port_right_t right,
    uint64_t *slow)
{
	mach_port_urefs_t refs = 77;
	uint64_t before = ipc_slow_entries;

	MIPC_REQUIRE(mipc_port_get_refs(sp, name, right, &refs) == KERN_SUCCESS,
	    "get_refs %#x right %u", name, right);
	*slow = ipc_slow_entries - before;
	return refs;
}

/*
 * Two new spaces and a port in *a, its receive right *rcv: b holds a
 * send right to it with 3 user references, under rcv's own name
 * (same_name) or one of b's (*snd); with a_send, a holds 2 send
 * references beside its receive right.
 */
static void
two_spaces_with_sends(mipc_space_t *a, mipc_space_t *b, mach_port_name_t *rcv,
    mach_port_name_t *snd, bool a_send, bool same_name)
{
	mach_msg_type_name_t t;

	ck_assert_int_eq(mipc_space_create(a), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_create(b), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(*a, MACH_PORT_RIGHT_RECEIVE, rcv), KERN_SUCCESS);
	if (a_send) {
		ck_assert_int_eq(mipc_port_insert_right(*a, *rcv, *a, *rcv,
		                     MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_mod_refs(*a, *rcv, MACH_PORT_RIGHT_SEND, 1),
		    KERN_SUCCESS);
	}
	if (same_name) {
		*snd = *rcv;
		ck_assert_int_eq(mipc_port_insert_right(*b, *snd, *a, *rcv,
		                     MACH_MSG_TYPE_MAKE_SEND),
		    KERN_SUCCESS);
	} else {
		ck_assert_int_eq(mipc_port_extract_right(*a, *rcv,
		                     MACH_MSG_TYPE_MAKE_SEND, *b, snd, &t),
		    KERN_SUCCESS);
	}
	ck_assert_int_eq(mipc_port_mod_refs(*b, *snd, MACH_PORT_RIGHT_SEND, 2),
	    KERN_SUCCESS);
}

struct first_call {
	mipc_space_t sp;
	mach_port_name_t name;
	mach_port_urefs_t first, second;
	uint64_t second_slow;
};

static void *
first_call_thread(void *arg)
{
	struct first_call *fc = arg;
	uint64_t slow;

	/* No mipc state yet: get_refs is this thread's first call. */
	fc->first = refs_counted(fc->sp, fc->name, MACH_PORT_RIGHT_SEND, &slow);
	fc->second = refs_counted(
	    fc->sp, fc->name, MACH_PORT_RIGHT_SEND, &fc->second_slow);
	return NULL;
}

/*
 * mipc_port_get_refs' lock-free path: a receive right, a live send-only
 * right, every right asked of them -- the locked path's answers, with no
 * lock taken (no slow entry).  Dead names, bad names and stale names go
 * to the locked path and get its answers; a thread's first call creates
 * its state and its next call is lock-free.
 */
START_TEST(get_refs_lock_free_answers_without_slow_entries)
{
	static const mach_port_urefs_t want_rs[MACH_PORT_RIGHT_NUMBER] = {
		[MACH_PORT_RIGHT_SEND] = 2, [MACH_PORT_RIGHT_RECEIVE] = 1
	};
	static const mach_port_urefs_t want_s[MACH_PORT_RIGHT_NUMBER] = {
		[MACH_PORT_RIGHT_SEND] = 3
	};
	mipc_space_t a, b;
	mach_port_name_t rs, s, dead;
	mach_port_urefs_t refs;
	mach_port_right_t r;
	struct first_call fc;
	pthread_t thr;
	uint64_t slow;

	two_spaces_with_sends(&a, &b, &rs, &s, true, false);

	/*
	 * This thread's first lock-free call makes its mipc state (none of
	 * the calls above needs it: they lock, and a flat allocate needs no
	 * section); first_call_thread below counts that call.  One call
	 * first, so that the counted ones are the steady state.
	 */
	(void)refs_counted(a, rs, MACH_PORT_RIGHT_SEND, &slow);
	for (r = 0; r < MACH_PORT_RIGHT_NUMBER; r++) {
		refs = refs_counted(a, rs, r, &slow);
		ck_assert_msg(refs == want_rs[r] && slow == 0,
		    "receive+send right %u: %u refs, %llu slow entries", r,
		    refs, (unsigned long long)slow);
		refs = refs_counted(b, s, r, &slow);
		ck_assert_msg(refs == want_s[r] && slow == 0,
		    "send-only right %u: %u refs, %llu slow entries", r, refs,
		    (unsigned long long)slow);
	}

	/*
	 * The fast path's exit is a safe point like every section's: with a
	 * reclamation poll due, it polls (the counter of frees since the
	 * last poll starts again).
	 */
	ipc_thread_self()->th_defers = IPC_EPOCH_POLL_EVERY;
	ck_assert_uint_eq(refs_counted(a, rs, MACH_PORT_RIGHT_SEND, &slow), 2);
	ck_assert_uint_eq(ipc_thread_self()->th_defers, 0);
	ipc_thread_self()->th_defers = IPC_EPOCH_POLL_EVERY;
	ck_assert_uint_eq(refs_counted(b, s, MACH_PORT_RIGHT_SEND, &slow), 3);
	ck_assert_uint_eq(ipc_thread_self()->th_defers, 0);

	/* B2: MACH_PORT_NULL and MACH_PORT_DEAD count one send right. */
	ck_assert_uint_eq(
	    refs_counted(a, MACH_PORT_NULL, MACH_PORT_RIGHT_SEND, &slow), 1);
	ck_assert_uint_eq(
	    refs_counted(a, MACH_PORT_DEAD, MACH_PORT_RIGHT_SEND_ONCE, &slow),
	    1);
	ck_assert_int_eq(mipc_port_get_refs(
	                     a, MACH_PORT_DEAD, MACH_PORT_RIGHT_RECEIVE, &refs),
	    KERN_INVALID_NAME);
	/* The same index under another generation is not the name. */
	ck_assert_int_eq(
	    mipc_port_get_refs(a, rs ^ 0x04u, MACH_PORT_RIGHT_SEND, &refs),
	    KERN_INVALID_NAME);
	ck_assert_int_eq(
	    mipc_port_get_refs(a, rs, MACH_PORT_RIGHT_NUMBER, &refs),
	    KERN_INVALID_VALUE);

	/* The port dies: b's send right reads as a dead name (locked). */
	ck_assert_int_eq(mipc_port_destroy(a, rs), KERN_SUCCESS);
	dead = s;
	ck_assert_uint_eq(
	    refs_counted(b, dead, MACH_PORT_RIGHT_SEND, &slow), 0);
	ck_assert_uint_eq(
	    refs_counted(b, dead, MACH_PORT_RIGHT_DEAD_NAME, &slow), 3);

	/* A fresh thread's first call, then its lock-free one. */
	ck_assert_int_eq(
	    mipc_port_allocate(a, MACH_PORT_RIGHT_RECEIVE, &rs), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_insert_right(a, rs, a, rs, MACH_MSG_TYPE_MAKE_SEND),
	    KERN_SUCCESS);
	memset(&fc, 0, sizeof(fc));
	fc.sp = a;
	fc.name = rs;
	ck_assert_int_eq(pthread_create(&thr, NULL, first_call_thread, &fc), 0);
	ck_assert_int_eq(pthread_join(thr, NULL), 0);
	ck_assert_uint_eq(fc.first, 1);
	ck_assert_uint_eq(fc.second, 1);
	ck_assert_msg(fc.second_slow == 0, "second call: %llu slow entries",
	    (unsigned long long)fc.second_slow);

	ck_assert_int_eq(mipc_space_destroy(b), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(a), KERN_SUCCESS);
}
END_TEST

/* ---- a send right's entry reused by a port set under a lock-free reader - */

struct reuse_set {
	mipc_space_t sp;
	mach_port_name_t send, set;
	kern_return_t kr;
	mach_port_urefs_t refs;
};

static void
reuse_get_refs(void *arg)
{
	struct reuse_set *rs = arg;

	rs->refs = 77;
	rs->kr = mipc_port_get_refs(
	    rs->sp, rs->send, MACH_PORT_RIGHT_SEND, &rs->refs);
}

static void
reuse_as_set(void *arg)
{
	struct reuse_set *rs = arg;

	MIPC_REQUIRE(mipc_port_deallocate(rs->sp, rs->send) == KERN_SUCCESS,
	    "deallocating the send right");
	MIPC_REQUIRE(mipc_port_allocate(rs->sp, MACH_PORT_RIGHT_PORT_SET,
	                 &rs->set) == KERN_SUCCESS,
	    "allocating the port set");
}

/*
 * Found by fuzz_sched (fuzz/findings/fuzz_sched/get_refs_entry_reused_by_set):
 * get_refs' lock-free path read a send right's bits, the right went and
 * a port set took its entry, and the path loaded the entry's object --
 * now the set -- as a port before rereading the bits: "object is a port"
 * aborted.  At every yield point of the call the answer is the one
 * before the deallocation (one send right) or after it (the name is
 * gone); the set's entry must have been the send right's at least once.
 */
START_TEST(get_refs_send_right_entry_reused_by_a_port_set)
{
	unsigned int nth, before = 0, after = 0, same_entry = 0;
	bool reached = true;
	mipc_space_t owner;
	mach_port_name_t port;

	ck_assert_int_eq(mipc_space_create(&owner), KERN_SUCCESS);
	ck_assert_int_eq(
	    mipc_port_allocate(owner, MACH_PORT_RIGHT_RECEIVE, &port),
	    KERN_SUCCESS);
	for (nth = 1; reached; nth++) {
		struct reuse_set rs = { 0 };
		mach_msg_type_name_t t;

		ck_assert_int_eq(mipc_space_create(&rs.sp), KERN_SUCCESS);
		ck_assert_int_eq(
		    mipc_port_extract_right(owner, port,
		        MACH_MSG_TYPE_MAKE_SEND, rs.sp, &rs.send, &t),
		    KERN_SUCCESS);
		/* A thread's first call makes its state: not the one raced. */
		ck_assert_int_eq(mipc_port_get_refs(rs.sp, rs.send,
		                     MACH_PORT_RIGHT_SEND, &rs.refs),
		    KERN_SUCCESS);
		reached =
		    interleave_at(nth, reuse_get_refs, &rs, reuse_as_set, &rs);
		if (rs.kr == KERN_SUCCESS) {
			ck_assert_uint_eq(rs.refs, 1);
			before++;
		} else {
			ck_assert_int_eq(rs.kr, KERN_INVALID_NAME);
			after++;
		}
		if (reached &&
		    MACH_PORT_INDEX(rs.set) == MACH_PORT_INDEX(rs.send))
			same_entry++;
		ck_assert_int_eq(mipc_space_destroy(rs.sp), KERN_SUCCESS);
	}
	ck_assert_uint_gt(same_entry, 0);
	ck_assert_uint_gt(before, 0);
	ck_assert_uint_gt(after, 0);
	ck_assert_int_eq(mipc_space_destroy(owner), KERN_SUCCESS);
}
END_TEST

/*
 * The entry past the end of sp's table, made to look like a live name:
 * sp's table is swapped for a copy with one entry more (past_end_swap),
 * whose bits past_end_mark sets to a dead name's of generation gen -- a
 * lookup bounded one too late (idx > size) finds it there instead of the
 * allocator's padding, which reads as a free entry.  past_end_restore
 * puts the space's own table back before anything else uses the space
 * (the copy is never grown or retired).  The test is the space's only
 * thread.
 */
static struct ipc_table *
past_end_swap(mipc_space_t sp)
{
	struct mipc_space *space = ipc_space_slot(sp);
	struct ipc_table *t = space->is_table, *copy;
	size_t bytes =
	    sizeof(*t) + (size_t)t->it_size * sizeof(t->it_entries[0]);

	copy = calloc(1, bytes + sizeof(t->it_entries[0]));
	MIPC_REQUIRE(copy != NULL, "calloc");
	memcpy(copy, t, bytes);
	ck_pr_store_ptr(&space->is_table, copy);
	return t;
}

static void
past_end_mark(mipc_space_t sp, uint32_t gen)
{
	struct ipc_table *t = ipc_space_slot(sp)->is_table;

	t->it_entries[t->it_size].ie_bits =
	    gen << 24 | MACH_PORT_TYPE_DEAD_NAME | 1;
}

static void
past_end_restore(mipc_space_t sp, struct ipc_table *own)
{
	struct mipc_space *space = ipc_space_slot(sp);
	struct ipc_table *copy = space->is_table;

	ck_pr_store_ptr(&space->is_table, own);
	free(copy);
}

/*
 * The lookup's bounds (ipc_entry_lookup_bits): names of index 0 (1-255,
 * valid names) and the first index past the table are no names, for
 * every right of get_refs' lock-free path and for mach_port_type; the
 * lookup lets index 0 through to its entry, whose bits must stay 0.  The
 * entry past the end looks live (past_end_mark), so that a bound one too
 * late answers.  After the table grows (the old entries copied, entry 0
 * with them), the same, at the grown table's end.
 */
START_TEST(get_refs_names_of_index_0_and_past_the_table_are_invalid)
{
	mipc_space_t sp;
	mach_port_name_t name, last = 0;
	mach_port_type_t type;
	mach_port_urefs_t refs;
	mach_port_right_t r;
	struct ipc_table *own;
	uint32_t size, round, gen;

	ck_assert_int_eq(mipc_space_create(&sp), KERN_SUCCESS);
	for (round = 0; round < 2; round++) {
		if (round == 1) {
			/* Grow the table: fill it, one more. */
			size = ipc_space_slot(sp)->is_table->it_size;
			while (ipc_space_slot(sp)->is_table->it_size == size)
				ck_assert_int_eq(
				    mipc_port_allocate(
				        sp, MACH_PORT_RIGHT_PORT_SET, &last),
				    KERN_SUCCESS);
		}
		size = ipc_space_slot(sp)->is_table->it_size;
		own = past_end_swap(sp);
		for (gen = 1; gen < 256; gen++) {
			name = gen; /* index 0 */
			past_end_mark(sp, gen);
			ck_assert_int_eq(
			    ipc_space_slot(sp)->is_table->it_entries[0].ie_bits,
			    0);
			for (r = 0; r < MACH_PORT_RIGHT_NUMBER; r++) {
				ck_assert_int_eq(
				    mipc_port_get_refs(sp, name, r, &refs),
				    KERN_INVALID_NAME);
				ck_assert_int_eq(
				    mipc_port_get_refs(
				        sp, (size << 8 | gen), r, &refs),
				    KERN_INVALID_NAME);
			}
			ck_assert_int_eq(
			    mipc_port_type(sp, name, &type), KERN_INVALID_NAME);
			ck_assert_int_eq(
			    mipc_port_type(sp, (size << 8 | gen), &type),
			    KERN_INVALID_NAME);
		}
		past_end_restore(sp, own);
		/* A name allocated by the growth still answers. */
		if (round == 1) {
			ck_assert_int_eq(mipc_port_get_refs(sp, last,
			                     MACH_PORT_RIGHT_PORT_SET, &refs),
			    KERN_SUCCESS);
			ck_assert_uint_eq(refs, 1);
		}
	}
	ck_assert_int_eq(mipc_space_destroy(sp), KERN_SUCCESS);
}
END_TEST

/*
 * get_refs' per-thread hint (th_slot, the slot it resolved last): a
 * thread alternating between two spaces that hold the same name gets
 * each space's own answer, lock-free (the directory in the same
 * section); a destroyed space's handle is refused even while its slot is
 * the hint, and once a new space has the slot, the old handle is still
 * refused and the new one answers.
 */
START_TEST(get_refs_hint_alternating_spaces_answer_from_their_own)
{
	mipc_space_t a, b, c = NULL, extra[64];
	mach_port_name_t n, nb, m;
	mach_port_urefs_t ra, rb;
	struct mipc_space *slot_b;
	uint64_t slow;
	unsigned int i, nextra = 0;

	/* b holds a send right under the same name, 3 references. */
	two_spaces_with_sends(&a, &b, &n, &nb, false, true);
	(void)refs_counted(a, n, MACH_PORT_RIGHT_SEND, &slow); /* state */
	slot_b = ipc_space_slot(b);
	for (i = 0; i < 100; i++) {
		ra = refs_counted(a, n, MACH_PORT_RIGHT_SEND, &slow);
		ck_assert_uint_eq(ra, 0);
		ck_assert_uint_eq(slow, 0);
		ck_assert_ptr_eq(ipc_thread_self()->th_slot, ipc_space_slot(a));
		rb = refs_counted(b, n, MACH_PORT_RIGHT_SEND, &slow);
		ck_assert_uint_eq(rb, 3);
		ck_assert_uint_eq(slow, 0);
		ck_assert_ptr_eq(ipc_thread_self()->th_slot, slot_b);
		/* The other rights' instance keeps the same hint. */
		ck_assert_uint_eq(
		    refs_counted(a, n, MACH_PORT_RIGHT_RECEIVE, &slow), 1);
		ck_assert_uint_eq(slow, 0);
		ck_assert_uint_eq(
		    refs_counted(b, n, MACH_PORT_RIGHT_RECEIVE, &slow), 0);
		ck_assert_uint_eq(slow, 0);
	}

	/* b destroyed, its slot still the hint: the handle is refused. */
	ck_assert_int_eq(mipc_space_destroy(b), KERN_SUCCESS);
	ck_assert_ptr_eq(ipc_thread_self()->th_slot, slot_b);
	ck_assert_int_eq(mipc_port_get_refs(b, n, MACH_PORT_RIGHT_SEND, &rb),
	    KERN_INVALID_TASK);
	ck_assert_uint_eq(refs_counted(a, n, MACH_PORT_RIGHT_SEND, &slow), 0);

	/* A new space in b's slot (after the grace period). */
	mipc_quiesce();
	while (c == NULL && nextra < 64) {
		ck_assert_int_eq(
		    mipc_space_create(&extra[nextra]), KERN_SUCCESS);
		if (ipc_space_slot(extra[nextra]) == slot_b)
			c = extra[nextra];
		nextra++;
	}
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(
	    mipc_port_allocate(c, MACH_PORT_RIGHT_PORT_SET, &m), KERN_SUCCESS);
	ipc_thread_self()->th_slot = slot_b;
	ck_assert_int_eq(mipc_port_get_refs(b, n, MACH_PORT_RIGHT_SEND, &rb),
	    KERN_INVALID_TASK);
	ck_assert_int_eq(
	    mipc_port_get_refs(b, m, MACH_PORT_RIGHT_PORT_SET, &rb),
	    KERN_INVALID_TASK);
	ck_assert_uint_eq(
	    refs_counted(c, m, MACH_PORT_RIGHT_PORT_SET, &slow), 1);
	ck_assert_uint_eq(slow, 0);
	ck_assert_ptr_eq(ipc_thread_self()->th_slot, slot_b);

	for (i = 0; i < nextra; i++)
		ck_assert_int_eq(mipc_space_destroy(extra[i]), KERN_SUCCESS);
	ck_assert_int_eq(mipc_space_destroy(a), KERN_SUCCESS);
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
	tc = mipc_tcase("get_refs_lock_free");
	tcase_add_test(tc, get_refs_lock_free_answers_without_slow_entries);
	tcase_add_test(tc, get_refs_send_right_entry_reused_by_a_port_set);
	tcase_add_test(
	    tc, get_refs_names_of_index_0_and_past_the_table_are_invalid);
	tcase_add_test(
	    tc, get_refs_hint_alternating_spaces_answer_from_their_own);
	suite_add_tcase(s, tc);
	tc = mipc_tcase("port_memory_reuse");
	/* It needs the racing thread's 40 ports within the yield hook's
	 * 100 ms: qemu-user is too slow for that (test-aarch64 skips it). */
	tcase_set_tags(tc, "timing");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, receive_races_port_free_and_reuse);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(right_suite)
