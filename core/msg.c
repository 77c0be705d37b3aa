/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg.c -- the mach_msg call: send (admission against the queue limit,
 * blocking, pseudo-receive), receive from a port or a port set (sizes,
 * MACH_RCV_LARGE, MACH_RCV_SYNC_WAIT, waiting, MACH_RCV_PORT_CHANGED), and
 * mach_msg_destroy.
 *
 * Owns:      no state; the orchestration of kmsg.c and mqueue.c.
 * Locking:   nothing held across a wait.  Receivers find their port or set
 *            inside an epoch section and take their message there; they
 *            wait outside it, holding a reference on what they wait on
 *            (the fast path's short watch of an empty ring, which never
 *            yields or sleeps, stays inside: rcv_fp_watch).
 * Ordering:  receive-right moves: a port's receive right that leaves a
 *            space changes its binding (ip_receiver) under locks, then the
 *            mover waits one grace period (ipc_epoch_wait_readers) before
 *            the right can reach anyone: a receiver that found the port
 *            under the old binding inside its section has finished taking
 *            its message by then, and later ones see the new binding.  So
 *            no stale receiver takes a message the new holder should get.
 *            [A36] the fast path reads a port's no-senders request before
 *            its send-right count, partner [R36] in port.c; [F36] a
 *            receiver's take before its look at the request's hook,
 *            partner port.c's count under the port lock.
 * Choices:   * MACH_RCV_INTERRUPT / MACH_SEND_INTERRUPT (J11) and
 *              mipc_thread_abort end a wait with MACH_RCV_INTERRUPTED /
 *              MACH_SEND_INTERRUPTED (waitq.c says when); an interrupted
 *              send is pseudo-received (M3), and an interrupted combined
 *              call whose send went through returns the receive's code,
 *              as libsyscall's receive-only retry would.
 *            * The send fast path's messages hold no port reference
 *              (IKM_F_BORROWED) and, while the destination has no
 *              no-senders request armed, no counted send right
 *              (IKM_F_IMPLICIT, port.c): a stream touches no counter of
 *              the port's but the queue's.  The receiver consumes such a
 *              right inside the section it took the message in.
 *            * mach_msg is a dispatcher with no frame: a plain send (no
 *              receive) goes by a tail call to msg_send_only, whose frame
 *              is a send's, a plain receive (no sync peer) to
 *              msg_receive_only, anything else to msg_call_any (PERF.md
 *              3.8).
 *            * The receive has a flat fast path (msg_receive_fp, PERF.md
 *              3.8) for its common case: a port's receive right, the
 *              default trailer, a head message that fits.  Anything else
 *              -- a set, a workloop, a larger trailer, a message too
 *              large, a sync wait, a name that receives nothing -- is the
 *              general path's, handed over before anything changed (an
 *              empty queue: after the first look, as rcv_try leaves it).
 *            * The receive fast path names a message's send-once reply
 *              right itself, inside its section, in the common case (a
 *              fresh entry, the space's lock free: kmsg.c
 *              ipc_kmsg_copyout_reply_try), and delivers the message
 *              there, from inline storage too: no space reference, no
 *              copy of an inline message.  Otherwise it references the
 *              space for the general copyout after the section.
 *            * A simple message of up to IMQ_INL_MAX bytes the send fast
 *              path queues in a ring slot goes into that slot's inline
 *              storage when it is free (mqueue.c, Inline messages), not
 *              a kmsg from the cache; the receive fast path copies such
 *              a message out inside its section, where the storage is
 *              sure to exist, when the copyout names nothing in the space,
 *              and takes a copy of it otherwise.
 *            * a receive on a set takes the member at the head of the set's
 *              ready queue (pset.c): O(1) on an empty set, ready members
 *              served in turn (G7).
 *            * A message for a kernel-object port is served by kobject.c
 *              in the sender's thread instead of queued: the fast path's
 *              flag test refuses such a destination for free, the slow
 *              path tests the flag only for a port without a queue (a
 *              kobject port never has one).
 *            * MACH_RCV_SYNC_WAIT (S4) follows XNU's mach_msg2 trap: the
 *              sync peer is `notify` for a receive-only call and the
 *              destination name for a combined send + receive; a null
 *              peer skips the checks (the trap's sync_send is null).
 *            * User buffers are read and written only with memcpy, at any
 *              alignment, and never past send_size / rcv_size / msgh_size
 *              (XNU copies headers in and messages out byte for byte).
 *            * A send whose OOL descriptor with deallocate releases the
 *              region holding the message buffer (L8) leaves the call no
 *              buffer: a pseudo-receive writes nothing, and the combined
 *              receive takes its message into the space and answers
 *              MACH_RCV_INVALID_DATA, as XNU's copyout to the region that
 *              left the task's map fails.
 */
#include "cache.h"
#include "guard.h"
#include "kmsg.h"
#include "kobject.h"
#include "mqueue.h"
#include "object.h"
#include "port.h"
#include "port_request.h"
#include "pset.h"
#include "reply.h"
#include "turnstile.h"
#include "space.h"
#include "thread.h"
#include "vm.h"
#include "waitq.h"
#include "workloop.h"

#include <limits.h>
#include <mipc/mach.h>
#include <mipc/message.h>
#include <mipc/sync.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Send                                                                */

/* Counted on the sender's own counters (thread.h): no shared line. */
static inline void
msg_sent(struct ipc_thread *th, mach_msg_size_t size)
{
	ipc_stat_add(th, IPC_STAT_SENT, 1);
	ipc_stat_add(th, IPC_STAT_BYTES_SENT, size);
}

/*
 * reserve_fp
 *	Admit a message through a send right below qlimit, while no sender
 *	is blocked (IMQ_FULL otherwise: the caller takes the slow path, which
 *	blocks or times out), and reserve its ring slot in the same CAS
 *	(mqueue.c, Counting) when the ring has room and the overflow list is
 *	empty (J4: ours would go behind those): IMQ_SLOT, a promise -- the
 *	caller commits the slot (commit_fp) without waiting for anything,
 *	since later senders wait for its publication.  Else IMQ_PENDING:
 *	admitted only, for ipc_mqueue_enqueue (or ipc_mqueue_unadmit).  With
 *	inl_size (a message of up to IMQ_INL_MAX bytes), IMQ_SLOT only with
 *	the slot's inline storage free: *inl, its kmsg, for the caller to
 *	make (ipc_kmsg_init_inline) and fill before the
 *	commit.
 *	Inlined into the send fast path (as take_fp into the receive's),
 *	from mqueue.h's ring internals: out of line in mqueue.c, with
 *	ipc_mqueue_commit, a send paid 18 instructions more for the calls and
 *	their spills (callgrind sr_send).
 * Conditions:
 *	Nothing locked; inside an epoch section; ring is the port's
 *	(ipc_mqueue_prepare), read through [A10].
 * Ordering:
 *	[A11]: imq_ovf_n read as 0 means every earlier message is in the
 *	ring ([R11] in mqueue.c's ovf_refill), so ours goes behind them (J4).
 */
static inline __attribute__((always_inline)) enum imq_admit
reserve_fp(struct ipc_port *port, struct imq_ring *ring, uint32_t *ticket,
    uint32_t inl_size, struct ipc_kmsg **inl)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	enum imq_admit room;
	bool want_slot;

	if (unlikely(ck_pr_load_32(&mq->imq_snd_wq.wq_waiters) != 0))
		return IMQ_FULL;
	want_slot = ck_pr_load_32(&mq->imq_ovf_n) == 0;
	imq_reserve_behind(ring);
	/* [A11]: the overflow count, then our reservation behind theirs. */
	ck_pr_fence_load_atomic();
	room = imq_admit_below(ring, ck_pr_load_32(&port->ip_qlimit), want_slot,
	    inl_size != 0, ticket);
	if (inl_size != 0 && room == IMQ_SLOT) {
		/* The storage was free before our reservation: ours.  Tests:
		 * later senders reserve here, before it is marked used. */
		ipc_debug_yield(IPC_YIELD_ENQUEUE);
		*inl = imq_inl_claim(ring, *ticket);
	}
	return room;
}

/*
 * commit_fp
 *	Queue a message in the slot reserve_fp gave it (size and flags: its
 *	ikm_size and ikm_flags, as the caller wrote them), and wake a receiver
 *	if one waits (ipc_mqueue_commit_wake, out of line, as a dead port's
 *	drain).  Inlined into the send fast path, with the ring's publication
 *	(mqueue.h, imq_ring_fill).
 * Conditions:
 *	As ipc_mqueue_enqueue, whose other ends it shares: consumes kmsg; a
 *	port found dead afterwards is drained.
 */
static inline __attribute__((always_inline)) void
commit_fp(struct ipc_port *port, struct imq_ring *ring, uint32_t ticket,
    struct ipc_kmsg *kmsg, uint32_t size, uint16_t flags)
{
	uint32_t sflags = (flags & IKM_F_IMPLICIT) ? IMS_IMPLICIT : 0;

	/* S7: a reply reaching an SRP a workloop stashed is no lost link. */
	if (unlikely(port->ip_cflags & IP_F_SPECIAL_REPLY))
		ipc_special_reply_msg_sent(port);
	ipc_tsan_release(kmsg); /* [R9]: no access to kmsg after this */
	imq_ring_fill(ring, ticket, kmsg, size, sflags);
	/*
	 * [F1]: the publication before the loads that show nobody to wake
	 * and nothing to drain (wake_receivers' own, the common case without
	 * its call); else ipc_mqueue_commit_wake loads them again, after it.
	 */
	ipc_waitq_fence(IPC_WAKE_AFTER_ATOMIC);
	if (likely(ck_pr_load_32(&port->ip_mq.imq_rcv_wq.wq_waiters) == 0 &&
	        ck_pr_load_ptr(&port->ip_psets) == NULL && ip_active(port)))
		return;
	ipc_mqueue_commit_wake(port);
}

/*
 * msg_send_fp_sonce
 *	The reply fast path (PERF.md 3.4a): a simple message with no reply
 *	right through a MOVE_SEND_ONCE destination -- a server's reply.  The
 *	send-once name is consumed under the space lock, as
 *	ipc_right_copyin does it for a name with no request registered,
 *	then the message is admitted (send-once: always, below
 *	MACH_PORT_QLIMIT_KERNEL, J6) and queued, without the generic
 *	copyin's layers.  Anything else -- a dead port (C8), a request on
 *	the name (P18), a port with no queue yet or a kernel object, a full
 *	kernel limit -- is the slow path's, before anything is consumed.
 *	A port that dies after the check gets the message drained by the
 *	enqueue, which is C8's outcome too (success, message destroyed).
 *	A reply to an empty queue (the special reply port's case) is
 *	written in the port's handoff area instead of a kmsg from the cache
 *	(mqueue.c, Handoff): queued all the same -- counted, numbered, in
 *	order -- for every reader of the queue, with no kmsg to allocate
 *	and free and no ring slot to fill and publish.
 * Returns:
 *	true when the message was sent.
 */
static bool
msg_send_fp_sonce(struct ipc_thread *th, mipc_space_t task,
    mach_port_name_t name, const void *msg, mach_msg_size_t send_size)
{
	struct mipc_space *space, *held IPC_SPACE_HELD = NULL;
	struct ipc_entry *e;
	struct ipc_port *dp;
	struct ipc_kmsg *k;
	bool admitted;

	if (send_size > IPC_KMSG_L_SIZE / 2 || !MACH_PORT_VALID(name))
		return false;
	/*
	 * The section holds the space (ipc_space_lookup), no reference: the
	 * space lock is only tried in it, never waited for (a holder may
	 * wait for readers, thread.c).  Busy: a reference holds the space
	 * while we wait for the lock outside the section, then a section
	 * again for the enqueue (ipc_space_acquire's price, 2 locked
	 * instructions, paid only then).  The slot before the section
	 * (never freed): its load is not on the path after the fence.
	 */
	space = ipc_space_slot(task);
	ipc_epoch_enter(th);
	space = ipc_space_lookup_slot(space, task);
	if (space == NULL)
		goto slow_out;
	if (unlikely(!is_lock_try(space))) {
		if (!ipc_space_tryref(space))
			goto slow_out;
		held = space;
		(void)held; /* read by its cleanup, which the analyzer misses */
		ipc_epoch_exit(th);
		is_lock(space);
		ipc_epoch_enter(th);
	}
	if (!space->is_active)
		goto slow;
	e = ipc_entry_lookup(space, name);
	if (e == NULL || IE_BITS_TYPE(e->ie_bits) != MACH_PORT_TYPE_SEND_ONCE ||
	    e->ie_index != 0)
		goto slow;
	dp = ip_from_object(e->ie_object);
	if (!ip_active(dp) || (dp->ip_cflags & IP_F_KOBJECT) ||
	    ck_pr_load_ptr(&dp->ip_mq.imq_ring) == NULL)
		goto slow;
	/*
	 * Admitted, into the handoff area when the queue was empty; else a
	 * kmsg from the cache (the depot's lock is a leaf: it nests in the
	 * space lock).
	 */
	k = ipc_mqueue_handoff_admit(dp, send_size, &admitted);
	if (!admitted)
		goto slow;
	if (k == NULL && (k = ipc_kmsg_alloc(send_size, 0)) == NULL) {
		ipc_mqueue_unadmit(dp);
		goto slow;
	}
	/* --- POINT OF NO RETURN: the entry's right and reference move --- */
	ipc_entry_dealloc(space, name, e);
	k->ikm_sender = space->is_serial;
	is_unlock(space);
	k->ikm_dest.ir_port = dp;
	k->ikm_dest.ir_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
	msg_sent(th, send_size);
	ipc_copy_msg(ikm_bytes(k), msg, send_size);
	/* The bits msg_send_fp's checks leave: a constant. */
	k->ikm_header.msgh_bits =
	    MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0);
	k->ikm_header.msgh_size = send_size;
	if (k->ikm_kind == IKM_KIND_HANDOFF)
		ipc_mqueue_handoff_commit(dp, k);
	else
		ipc_mqueue_enqueue(dp, k);
	ipc_epoch_exit(th);
	return true;
slow:
	is_unlock(space);
slow_out:
	ipc_epoch_exit(th);
	return false;
}

/*
 * msg_send_fp
 *	The send fast path: a simple message (no descriptors, no voucher)
 *	through a COPY_SEND destination, with no reply or a MAKE_SEND_ONCE
 *	reply from a receive right, to a port with room.  Reserve, then
 *	commit: cheap checks interleaved with reservations (the kmsg, a
 *	slot of queue room, a send right), each failure undoing what was
 *	reserved and falling back to the slow path (the specification),
 *	then a point of no return.  No lock, no allocator slow path, no
 *	system call unless a receiver sleeps.  msg_send_fp checked the
 *	header's bits (fp_bits) and hands over its names: dname the
 *	destination's, rname the reply's; `msg` is the user's buffer, read
 *	only for its send_size bytes, at any alignment.
 * Returns:
 *	true when the message was sent.
 */
static inline __attribute__((always_inline)) bool
msg_send_fp_to(struct ipc_thread *th, mipc_space_t task, mach_port_name_t dname,
    mach_port_name_t rname, const void *msg, mach_msg_size_t send_size,
    const bool with_reply)
{
	struct mipc_space *space;
	const mach_msg_bits_t fp_bits =
	    (mach_msg_bits_t)MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND,
	        with_reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
	struct ipc_entry *de, *re = NULL;
	struct ipc_port *dp, *rp = NULL;
	struct ipc_kmsg *k = NULL;
	struct imq_ring *ring;
	uint32_t dbits, ticket = 0;
	uint16_t flags = IKM_F_BORROWED;
	enum imq_admit room = IMQ_PENDING;
	bool link, inl = send_size <= IMQ_INL_MAX;

	if (with_reply != (rname != MACH_PORT_NULL) ||
	    send_size > IPC_KMSG_L_SIZE / 2 || !MACH_PORT_VALID(dname))
		return false;
	/* A small message waits for its slot: it may go in its storage. */
	if (!inl && (k = ipc_kmsg_alloc(send_size, 0)) == NULL)
		return false;
	/* The section holds the space: no reference (ipc_space_lookup).
	 * Its slot is found before the section (slots are never freed), so
	 * that the load of the directory is not among the loads that wait
	 * for the section's fence and depend on each other. */
	space = ipc_space_slot(task);
	ipc_epoch_enter(th);
	space = ipc_space_lookup_slot(space, task);
	if (space == NULL)
		goto slow;
	/* The bits the lookup checked: one load, type and name agree. */
	de = ipc_entry_lookup_bits(space, dname, &dbits);
	if (de == NULL)
		goto slow;
	if (!(IE_BITS_TYPE(dbits) & MACH_PORT_TYPE_SEND))
		goto slow;
	dp = ip_from_object(ipc_entry_load_kind(de, IOT_PORT));
	if (dp == NULL || !ip_active(dp) ||
	    (dp->ip_cflags &
	        (IP_F_REPLY_PORT | IP_F_ENFORCE_REPLY | IP_F_KOBJECT)))
		goto slow;
	ring = ck_pr_load_ptr(&dp->ip_mq.imq_ring);
	if (ring == NULL)
		goto slow;
	ck_pr_fence_load_depends(); /* [A10]: the ring through its pointer */
	ipc_tsan_acquire(ring);
	if (with_reply) {
		uint32_t rbits;

		re = ipc_entry_lookup_bits(space, rname, &rbits);
		if (re == NULL || re == de ||
		    !(IE_BITS_TYPE(rbits) & MACH_PORT_TYPE_RECEIVE))
			goto slow;
		rp = ip_from_object(ipc_entry_load_kind(re, IOT_PORT));
		if (rp == NULL || !ip_active(rp))
			goto slow;
		/* S3: a waiter on the SRP makes its link a locked change. */
		if (unlikely(rp->ip_cflags & IP_F_SPECIAL_REPLY) &&
		    ((uintptr_t)ck_pr_load_ptr(&rp->ip_sync_link) & IPC_LINK_W))
			goto slow;
	}
	/*
	 * References first, and only from live counts: the section keeps
	 * the memory of what the lookups saw, not the objects -- another
	 * thread may destroy the reply port's receive right, or dp's
	 * receive right and last send right, meanwhile, and their last
	 * references go (reply_srp_dead_before_linked_*).  The message
	 * itself takes none on dp: it borrows dp's existence
	 * (IKM_F_BORROWED, mqueue.c), and a dp dying meanwhile is drained
	 * by our enqueue inside this section.  S3: a special reply port's
	 * reply right links the SRP to dp (reply.c); the link holds a
	 * reference of its own.
	 */
	link = rp != NULL && (rp->ip_cflags & IP_F_SPECIAL_REPLY) &&
	    ipc_link_load(rp) == IPC_LINK_ANY;
	/* dp has a ring (above), which it keeps until it is freed: never
	 * quiet, so never erased (space.h), a plain try does. */
	if (link && !ipc_object_reference_try(&dp->ip_object))
		goto slow;
	if (rp != NULL && !ipc_port_reference_try_found(rp)) {
		rp = NULL;
		goto slow_unref;
	}
	/*
	 * The message's send right: implicit -- counted by no srights, only
	 * by its slot (port.c, "Implicit send rights") -- while no
	 * no-senders request is armed, the request read before the count
	 * (an arming waits for us to publish); else counted, a copy of a
	 * right that exists (ip_srights_inc_nonzero), after room was
	 * admitted (ipc_mqueue_admit: the count is not given back).  An
	 * implicit right's message reserves its room, and its slot as a
	 * rule, in one (reserve_fp), the point of no return -- a
	 * small one with the slot's inline storage as its kmsg if that is
	 * free (mqueue.h); behind a queue too deep for the storage
	 * (IMQ_DEEP), a kmsg from the cache first, then room and slot; else
	 * admitted only, and a kmsg from the cache (its failure gives the
	 * room back).  Full: the slow path blocks or times out.
	 */
	if (likely(ck_pr_load_ptr(&dp->ip_nsrequest) == NULL)) {
		ck_pr_fence_load(); /* [A36]: the request, then the count */
		if (ip_srights(dp) == 0)
			goto slow_unref;
		room = reserve_fp(dp, ring, &ticket, inl ? send_size : 0, &k);
		if (unlikely(room == IMQ_DEEP)) {
			/* A deep queue: a kmsg from the cache, then room and
			 * a slot for it in one (imq_admit_below). */
			inl = false;
			if ((k = ipc_kmsg_alloc(send_size, 0)) == NULL)
				goto slow_unref;
			room = reserve_fp(dp, ring, &ticket, 0, &k);
		}
		if (room == IMQ_FULL)
			goto slow_unref;
		if (unlikely(k == NULL) &&
		    (k = ipc_kmsg_alloc(send_size, 0)) == NULL) {
			ipc_require(room == IMQ_PENDING, "a slot has a kmsg");
			goto slow_room;
		}
		flags = IKM_F_BORROWED | IKM_F_IMPLICIT;
	} else {
		if (!ipc_mqueue_admit(dp, true))
			goto slow_unref;
		if (k == NULL && (k = ipc_kmsg_alloc(send_size, 0)) == NULL)
			goto slow_room;
		if (!ip_srights_inc_nonzero(dp))
			goto slow_room;
	}
	ipc_debug_yield(IPC_YIELD_ENQUEUE); /* room reserved */
	/* --- POINT OF NO RETURN: nothing below fails --- */
	if (inl && room == IMQ_SLOT) { /* the slot's storage (reserve_fp) */
		/* Its metadata line written only where it differs. */
		ipc_kmsg_init_inline(k, send_size,
		    IKM_F_BORROWED | IKM_F_IMPLICIT, dp, rp, space->is_serial);
	} else {
		k->ikm_flags = flags;
		k->ikm_dest.ir_port = dp;
		k->ikm_dest.ir_type = MACH_MSG_TYPE_PORT_SEND;
		if (rp != NULL) {
			k->ikm_reply.ir_port = rp;
			k->ikm_reply.ir_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
		}
		k->ikm_sender = space->is_serial;
	}
	if (rp != NULL) {
		ip_sorights_inc(rp);
		if (unlikely(link)) {
			uintptr_t v = IPC_LINK_ANY;

			if (!ipc_link_cas(
			        rp, &v, (uintptr_t)dp | IPC_LINK_PORT)) {
				ip_release(dp); /* not linked after all */
				if (v & IPC_LINK_W)
					ipc_special_reply_link(
					    rp, dp); /* rare */
			}
		}
	}
	msg_sent(th, send_size); /* while th and the size are at hand */
	ipc_copy_msg(ikm_bytes(k), msg, send_size);
	/* The bits msg_send_fp checked: a constant, not a value kept live
	 * (or spilt) across the path. */
	k->ikm_header.msgh_bits = fp_bits;
	k->ikm_header.msgh_size = send_size;
	/* A slot is reserve_fp's, only for an implicit right: flags as a
	 * constant, not a value kept live across the path. */
	ipc_assert_slow(
	    room != IMQ_SLOT || flags == (IKM_F_BORROWED | IKM_F_IMPLICIT),
	    "a slot's message carries an implicit right");
	if (likely(room == IMQ_SLOT))
		commit_fp(dp, ring, ticket, k, send_size,
		    IKM_F_BORROWED | IKM_F_IMPLICIT);
	else
		ipc_mqueue_enqueue(dp, k);
	/* The queue owns k now.  ipc_epoch_exit, spelt out: inlined even
	 * into mach_msg. */
	if (ipc_epoch_exit_poll_due(th))
		ipc_epoch_poll_slow(th);
	return true;
slow_room:
	ipc_mqueue_unadmit(dp); /* give the room back */
slow_unref:
	if (rp != NULL)
		ip_release(rp);
	if (link)
		ip_release(dp);
slow:
	ipc_epoch_exit(th);
	if (k != NULL)
		ipc_kmsg_free(k);
	return false;
}

/*
 * msg_send_fp_to made twice, with a reply right (MAKE_SEND_ONCE) and
 * without: a message with none (a stream's) carries no reply port, link
 * or reference through the path, and GCC has the registers for the rest
 * (callgrind sr_send 332 -> 321).  A reply through a MOVE_SEND_ONCE
 * destination (no reply right) is msg_send_fp_sonce's.  The three
 * shapes are the three values of the user bits the fast paths take (no
 * descriptors, no voucher).  The header's fields go by value (bits:
 * its user bits, dname and rname its remote and local ports), so that
 * no copy of the header need live in memory.
 */
static inline __attribute__((always_inline)) bool
msg_send_fp_hdr(struct ipc_thread *th, mipc_space_t task, mach_msg_bits_t bits,
    mach_port_name_t dname, mach_port_name_t rname, const void *msg,
    mach_msg_size_t send_size, const bool reply_first)
{
	const mach_msg_bits_t with_reply = MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);

	if (reply_first && bits == with_reply)
		return msg_send_fp_to(
		    th, task, dname, rname, msg, send_size, true);
	if (bits == MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0))
		return msg_send_fp_to(
		    th, task, dname, rname, msg, send_size, false);
	if (!reply_first && bits == with_reply)
		return msg_send_fp_to(
		    th, task, dname, rname, msg, send_size, true);
	if (bits == MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0))
		return rname == MACH_PORT_NULL &&
		    msg_send_fp_sonce(th, task, dname, msg, send_size);
	return false;
}

/* msg_send_fp_hdr from `h`, the caller's copy of the header (send_size
 * holds one, I2): a combined call's send (msg_call), whose common shape
 * is a client's, with a reply right, tested first (callgrind
 * rpc_call_poll 717 -> 710). */
static inline __attribute__((always_inline)) bool
msg_send_fp(struct ipc_thread *th, mipc_space_t task,
    const mach_msg_header_t *h, const void *msg, mach_msg_size_t send_size)
{
	return msg_send_fp_hdr(th, task, h->msgh_bits & MACH_MSGH_BITS_USER,
	    h->msgh_remote_port, h->msgh_local_port, msg, send_size, true);
}

/*
 * J15: a send with MACH_SEND_NOTIFY that finds the queue full arms the
 * send-possible request registered on its destination name, if any.
 */
static void
arm_send_possible(
    struct mipc_space *space, mach_port_name_t name, struct ipc_port *dest)
{
	struct ipc_entry *e;

	is_lock(space);
	e = ipc_entry_lookup(space, name);
	if (e != NULL && e->ie_index != 0 && e->ie_object == &dest->ip_object) {
		ip_lock(dest);
		(void)ipc_port_request_arm_sp(dest, e->ie_index);
		ip_unlock(dest);
	}
	is_unlock(space);
}

/*
 * Sent, but the send released the region holding the message buffer (an
 * OOL descriptor with deallocate naming it, L8): the call's
 * receive has no buffer.  Internal to this file, never returned.
 */
#define MSG_SENT_BUFFER_GONE ((mach_msg_return_t)0xffffffffu)

/*
 * The send slow path, the specification: copyin, admission, waiting,
 * pseudo-receive.  rcv_len: how much of the buffer the call's receive
 * may write (0 without one).  A send that releases the region holding
 * the buffer writes nothing there afterwards (no pseudo-receive bytes)
 * and returns MSG_SENT_BUFFER_GONE for success.  Inlined, as the fast
 * path and msg_send are: out of line, each call of it (a send-once reply)
 * paid about 10 instructions more, inlining nothing else cost the fast
 * path 3 (callgrind, cg op_send_recv_reply / op_send_recv64).
 */
static inline __attribute__((always_inline)) mach_msg_return_t
msg_send_slow(struct ipc_thread *th, struct mipc_space *space,
    const mach_msg_header_t *h, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_len, mach_msg_timeout_t timeout)
{
	struct ipc_user_buf ub;
	struct ipc_kmsg *k;
	struct ipc_port *dest;
	mach_msg_return_t mr, sent = MACH_MSG_SUCCESS;
	bool limited;

	ipc_stat_add(th, IPC_STAT_SLOW, 1);
	ub.ub_addr = (uintptr_t)msg;
	ub.ub_len = send_size > rcv_len ? send_size : rcv_len;
	ub.ub_gone = false;
	mr = ipc_kmsg_copyin(space, msg, send_size, &ub, &k);
	ipc_guard_flush(space);
	if (unlikely(ub.ub_gone)) {
		/* Not ours any more: a pseudo-receive writes none. */
		sent = MSG_SENT_BUFFER_GONE;
		msg = NULL;
	}
	if (mr != MACH_MSG_SUCCESS)
		return mr;
	if (k == NULL)
		return sent; /* C8 */
	dest = k->ikm_dest.ir_port;
	/* S3: a send-once reply right of an SRP links it to dest. */
	if (unlikely(k->ikm_reply.ir_port != NULL &&
	        k->ikm_reply.ir_type == MACH_MSG_TYPE_PORT_SEND_ONCE &&
	        (k->ikm_reply.ir_port->ip_cflags & IP_F_SPECIAL_REPLY))) {
		/* Case 1: a sync bootstrap check-in marks its SRP, even
		 * when the link itself is refused (XNU). */
		if (option & MACH_SEND_SYNC_BOOTSTRAP_CHECKIN)
			ck_pr_or_32(&k->ikm_reply.ir_port->ip_sync_flags,
			    IP_SYNC_BOOTSTRAP); /* Relaxed: a flag */
		ipc_special_reply_link(k->ikm_reply.ir_port, dest);
	}

	if (unlikely(k->ikm_flags & IKM_F_RECEIVE)) {
		/* See "Ordering" above: stale receivers finish first. */
		ipc_epoch_wait_readers();
		if (ipc_kmsg_set_transit(k, dest)) {
			/* N2, N3, M4: accepted, then destroyed. */
			ipc_kmsg_destroy(k);
			return sent;
		}
	}
	/*
	 * A port without a queue yet: make it -- or, for a kernel object,
	 * which never has one, serve the message now, in our thread
	 * (kobject.c).  Relaxed: a hint; ipc_mqueue_prepare() decides.
	 */
	if (unlikely(ck_pr_load_ptr(&dest->ip_mq.imq_ring) == NULL)) {
		if (unlikely(dest->ip_cflags & IP_F_KOBJECT)) {
			ipc_kobject_server(k);
			msg_sent(th, send_size);
			return MACH_MSG_SUCCESS;
		}
		if (!ipc_mqueue_prepare(dest)) {
			ipc_kmsg_copyout_pseudo(space, k, msg);
			return MACH_SEND_NO_BUFFER;
		}
	}
	limited = k->ikm_dest.ir_type == MACH_MSG_TYPE_PORT_SEND;
	if (unlikely(!ipc_mqueue_admit(dest, limited))) {
		struct timespec deadline;
		kern_return_t kr;

		if (!limited) {
			ipc_kmsg_copyout_pseudo(space, k, msg);
			return MACH_SEND_NO_BUFFER; /* J6: 65534 queued */
		}
		if (option & MACH_SEND_NOTIFY)
			arm_send_possible(space, h->msgh_remote_port, dest);
		if ((option & MACH_SEND_TIMEOUT) && timeout == 0) {
			kr = KERN_OPERATION_TIMED_OUT;
		} else {
			if (option & MACH_SEND_TIMEOUT)
				ipc_deadline(&deadline, timeout);
			/* What introspection names (mipc_thread_wait_info). */
			ck_pr_store_32(&th->th_wait_name, h->msgh_remote_port);
			kr = ipc_mqueue_send_wait(dest,
			    (option & MACH_SEND_TIMEOUT) ? &deadline : NULL,
			    (option & MACH_SEND_INTERRUPT)
			        ? IPC_WAIT_INTERRUPTIBLE
			        : 0);
		}
		if (kr == KERN_TERMINATED) {
			/* J9: the port died while we waited. */
			ipc_kmsg_destroy(k);
			msg_sent(th, send_size);
			return sent;
		}
		if (kr != KERN_SUCCESS) {
			/* M3: pseudo-receive (timed out, interrupted). */
			ipc_kmsg_copyout_pseudo(space, k, msg);
			return kr == MACH_SEND_INTERRUPTED
			    ? MACH_SEND_INTERRUPTED
			    : MACH_SEND_TIMED_OUT;
		}
	}
	ipc_epoch_enter(th);
	ipc_mqueue_enqueue(dest, k);
	k = NULL; /* the queue owns it now */
	ipc_epoch_exit(th);
	msg_sent(th, send_size);
	return sent;
}

/*
 * msg_send's slow path.  It holds the space for the whole call (issue 12
 * item 4): it may block for room, and its pseudo-receive (M3) copies the
 * rights back out into the space even if another thread destroyed it
 * meanwhile (they are destroyed then).  Returns as msg_send_slow.
 */
static inline __attribute__((always_inline)) mach_msg_return_t
msg_send_nofp(struct ipc_thread *th, mipc_space_t task,
    const mach_msg_header_t *h, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_len, mach_msg_timeout_t timeout)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;

	if (ipc_space_acquire(task, &space) != KERN_SUCCESS)
		return MACH_SEND_INVALID_DEST; /* W2, X1 */
	return msg_send_slow(
	    th, space, h, msg, option, send_size, rcv_len, timeout);
}

/*
 * Send the message at `msg` (header copied in `h`): the fast path, else
 * the slow path.  th: the calling thread's state if the caller has it at
 * hand (mach_msg read it finding the space), else NULL.  Returns as
 * msg_send_slow.
 */
static inline __attribute__((always_inline)) mach_msg_return_t
msg_send(struct ipc_thread *th, mipc_space_t task, const mach_msg_header_t *h,
    mach_msg_header_t *msg, mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_len, mach_msg_timeout_t timeout)
{
	if (unlikely(th == NULL) && (th = ipc_thread_self()) == NULL)
		return MACH_SEND_NO_BUFFER;
	if (likely(!(option & MACH_SEND_SYNC_BOOTSTRAP_CHECKIN)) &&
	    likely(msg_send_fp(th, task, h, msg, send_size)))
		return MACH_MSG_SUCCESS;
	return msg_send_nofp(
	    th, task, h, msg, option, send_size, rcv_len, timeout);
}

/*
 * The send half of a call, from the user's buffer: I2 before any byte of
 * the message is read; then one copy of the header, so that a buffer at
 * any alignment is legal (XNU copies the header in) and nothing past
 * send_size is ever read.  *dest: the destination name sent to.  Returns
 * as msg_send_slow.
 */
static inline __attribute__((always_inline)) mach_msg_return_t
msg_send_user(struct ipc_thread *th, mipc_space_t task, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_len, mach_msg_timeout_t timeout, mach_port_name_t *dest)
{
	mach_msg_header_t h;

	if (task == NULL)
		return MACH_SEND_INVALID_DEST;
	if (msg == NULL)
		return MACH_SEND_INVALID_DATA;
	if (unlikely(send_size < sizeof(h) || (send_size & 3)))
		return MACH_SEND_MSG_TOO_SMALL;
	memcpy(&h, msg, sizeof(h));
	*dest = h.msgh_remote_port;
	return msg_send(th, task, &h, msg, option, send_size, rcv_len, timeout);
}

/* ------------------------------------------------------------------ */
/* Receive                                                             */

/* What a receive found: a port or a set, by the name it has in space. */
struct rcv_target {
	struct ipc_object *rt_object;
	bool rt_is_set;
};

/* The entry bits that say which right a receive goes through. */
#define RCV_IDENTITY \
	(IE_BITS_GEN_MASK | MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET)

/*
 * Find what `name` receives from.  Conditions: inside an epoch section.
 * Returns false if the name holds neither a receive right nor a set.
 * Inlined into the receive fast path (msg_receive_fp); rcv_lookup is the
 * general path's call of it.
 */
static inline __attribute__((always_inline)) bool
rcv_lookup_inl(
    struct mipc_space *space, mach_port_name_t name, struct rcv_target *t)
{
	struct ipc_entry *e;
	struct ipc_object *o;
	uint32_t bits;

	if (!MACH_PORT_VALID(name))
		return false;
	/* The bits the lookup checked (type, generation): one load. */
	e = ipc_entry_lookup_bits(space, name, &bits);
	if (e == NULL)
		return false;
	o = ipc_entry_load_object(e);
	/* An object of another kind: the entry changes under us. */
	if (o == NULL ||
	    o->io_kind !=
	        (IE_BITS_TYPE(bits) == MACH_PORT_TYPE_PORT_SET ? IOT_PSET
	                                                       : IOT_PORT))
		return false;
	if (IE_BITS_TYPE(bits) == MACH_PORT_TYPE_PORT_SET) {
		struct ipc_pset *ps = ips_from_object(o);

		if (ck_pr_load_ptr(&ps->ips_space) != space)
			return false;
		t->rt_is_set = true;
	} else if (IE_BITS_TYPE(bits) & MACH_PORT_TYPE_RECEIVE) {
		struct ipc_port *p = ip_from_object(o);

		/* The binding, as the mover changes it (see Ordering). */
		if (ip_receiver(p) != space)
			return false;
		t->rt_is_set = false;
	} else {
		return false;
	}
	/*
	 * The snapshot holds if the name still holds the same right: same
	 * generation, and still the receive right (or the set).  Its send
	 * rights and user references are not what we receive through: other
	 * threads of the space make and drop send rights on a server's port
	 * name all the time (issue 12, item 21), and a receive must not read
	 * that as the right gone.  A reused entry has a new generation (the
	 * bits of its new use are stored before its new object, [R8]).
	 */
	ck_pr_fence_load(); /* [A8]: the object above before the bits again */
	if ((ck_pr_load_32(&e->ie_bits) ^ bits) & RCV_IDENTITY)
		return false;
	t->rt_object = o;
	return true;
}

static bool
rcv_lookup(
    struct mipc_space *space, mach_port_name_t name, struct rcv_target *t)
{
	return rcv_lookup_inl(space, name, t);
}

/* Did `name` hold a receive right once (XNU's MACH_PORT_TYPE_EX_RECEIVE)? */
static bool
rcv_name_was_receive(
    struct ipc_thread *th, mipc_space_t task, mach_port_name_t name)
{
	struct mipc_space *space;
	struct ipc_entry *e = NULL;
	bool was;

	if (!MACH_PORT_VALID(name))
		return false;
	ipc_epoch_enter(th);
	space = ipc_space_lookup(task);
	if (space != NULL)
		e = ipc_entry_lookup(space, name);
	was = e != NULL && (ck_pr_load_32(&e->ie_bits) & IE_BITS_EX_RECEIVE);
	ipc_epoch_exit(th);
	return was;
}

struct rcv_got {
	enum imq_result rg_result;
	struct ipc_kmsg *rg_kmsg;
	struct ipc_port *rg_port; /* valid inside the section that found it */
	mach_port_name_t rg_name; /* the receiver's name for rg_port */
	uint32_t rg_size;
	uint32_t rg_seqno;
	uint64_t rg_context;        /* rg_port's context at receipt (V4) */
	struct ipc_port *rg_nsport; /* referenced: its send rights reached
	                               zero with the message taken */
	struct imq_inl *rg_buf;     /* the taker's: rg_kmsg when it was
	                               inline (a copy, ipc_mqueue_peek_take) */
};

/*
 * A taken message whose destination right borrowed its port's existence
 * (IKM_F_BORROWED: no reference of its own) is consumed here, inside the
 * section that keeps the port's memory: its send right goes; when that
 * was the last, the receiver takes a reference to run the no-senders
 * check (P11) once out of the section (rcv_try).  A port retired meanwhile
 * (no reference left) is dead: no notification is owed.  The kmsg is not
 * written: the flag says the right is gone (kmsg.c, kmsg_taken_dest).
 * Always inlined: left out of line in the receive fast path, it cost 6
 * instructions a message (callgrind sr_recv).
 * Conditions: inside the epoch section the message was taken in.
 */
static inline __attribute__((always_inline)) void
consume_borrowed(
    struct ipc_port *port, struct ipc_kmsg *k, struct ipc_port **nsportp)
{
	bool last;

	/*
	 * An implicit right counted nowhere but in its slot: the one to
	 * take may be the last one a no-senders request waits for (the
	 * hook is set from its arming on; [F36]: after our take, port.c).
	 */
	if (k->ikm_flags & IKM_F_IMPLICIT) {
		ck_pr_fence_atomic_load(); /* [F36] */
		last =
		    (ck_pr_load_32(&port->ip_rcv_hooks) & IP_RCV_HOOK_NS) != 0;
	} else {
		last = ip_srights_dec(port) == 0;
	}
	if (unlikely(last) && ipc_object_reference_try(&port->ip_object))
		*nsportp = port;
}

/*
 * ipc_mqueue_peek_take (mqueue.c) for the receive fast path, its common
 * case inlined: the ring's head slot fits (else IMQ_LEFT, as leave_large
 * asks), taken at the first try, an inline message kept (keep_inline); a
 * handoff at the head is ipc_mqueue_take_handoff's; anything else -- no
 * ring, an overflow list to refill, a lost race -- is
 * ipc_mqueue_peek_take's from the start, and
 * what follows a claim beyond two loads (senders to admit, hooks, a copy)
 * ipc_mqueue_taken_slow's.  Ring internals are mqueue.h's.  seqno NULL
 * (a constant: the receive fast path's default trailer has none): the
 * sequence number is not computed on the inlined take, and the general
 * path's goes to a local (callgrind sr_recv 277.0 -> 271.0).
 * Conditions: as ipc_mqueue_peek_take.
 */
static inline __attribute__((always_inline)) enum imq_result
take_fp(struct ipc_port *port, uint32_t need_max, struct imq_inl *buf,
    struct ipc_kmsg **kmsgp, uint32_t *size, uint32_t *seqno)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring = ck_pr_load_ptr(&mq->imq_ring);
	struct imq_slot slot;
	uint32_t hooks, waiters, seqno_unused;
	enum imq_head at;
	uint64_t w;

	if (unlikely(ring == NULL))
		return IMQ_EMPTY;
	ck_pr_fence_load_depends(); /* [A10]: the ring through its pointer */
	ipc_tsan_acquire(ring);
	/* Unchecked: the claim checks the copy, or imq_head_still. */
	at = imq_head_look(ring, &slot, &w, false);
	if (at == HD_EMPTY && likely(ck_pr_load_32(&mq->imq_ovf_n) == 0))
		return IMQ_EMPTY;
	if (at == HD_HANDOFF) /* a reply, to a special reply port */
		return ipc_mqueue_take_handoff(port, need_max, buf, kmsgp, size,
		    seqno != NULL ? seqno : &seqno_unused);
	if (unlikely(at != HD_RING))
		goto general;
	if (unlikely(slot.ims_size > need_max)) {
		if (!imq_head_still(ring, w))
			goto general;
		*size = slot.ims_size;
		return IMQ_LEFT;
	}
	ipc_debug_yield(IPC_YIELD_DEQUEUE);
	/* [A9]: the unchecked copy before the claim that checks it. */
	ck_pr_fence_load();
	if (unlikely(!imq_ring_take(ring, w)))
		goto general;
	*size = slot.ims_size;
	ipc_tsan_acquire(slot.ims_kmsg); /* [A9]: pairs with [R9] */
	*kmsgp = slot.ims_kmsg;
	/* Sequence numbers: both halves of the c_word we took at. */
	if (seqno != NULL)
		*seqno = IMQ_CW_POS(w) + IMQ_CW_HO(w) -
		    ck_pr_load_32(&mq->imq_seq_base);
	/* [F1] [F58]: our claim (an atomic op) before both words. */
	ipc_waitq_fence(IPC_WAKE_AFTER_ATOMIC);
	waiters = ck_pr_load_32(&mq->imq_snd_wq.wq_waiters);
	hooks = ck_pr_load_32(&port->ip_rcv_hooks); /* [A57] */
	ipc_tsan_acquire(&port->ip_rcv_hooks);      /* [T57] */
	if (unlikely((waiters | hooks) != 0))
		ipc_mqueue_taken_slow(port, true, hooks, waiters, buf, kmsgp);
	return IMQ_TAKEN;
general:
	return ipc_mqueue_peek_take(port, need_max, true, true, buf, kmsgp,
	    size, seqno != NULL ? seqno : &seqno_unused);
}

static inline __attribute__((always_inline)) void
try_port(struct ipc_port *port, mach_port_name_t name, uint32_t need_max,
    bool leave_large, bool keep_inline, struct rcv_got *g)
{
	if (keep_inline && leave_large)
		g->rg_result = take_fp(port, need_max, g->rg_buf, &g->rg_kmsg,
		    &g->rg_size, &g->rg_seqno);
	else
		g->rg_result = ipc_mqueue_peek_take(port, need_max, leave_large,
		    keep_inline, g->rg_buf, &g->rg_kmsg, &g->rg_size,
		    &g->rg_seqno);
	if (g->rg_result != IMQ_EMPTY) {
		g->rg_port = port;
		g->rg_name = name;
		if (g->rg_result != IMQ_TAKEN)
			return;
		ipc_assert_slow(g->rg_kmsg->ikm_dest.ir_port == port,
		    "a queued message's destination is its port");
		/* V4: the context at receipt, while the port is ours. */
		g->rg_context = ck_pr_load_64(&port->ip_context);
		if (g->rg_kmsg->ikm_flags & IKM_F_BORROWED)
			consume_borrowed(port, g->rg_kmsg, &g->rg_nsport);
	}
}

/*
 * Take from the set's ready queue (pset.c): the member that has waited
 * longest.  A member still holding messages afterwards (or the one left in
 * place by MACH_RCV_LARGE) goes back to the tail, so ready members are
 * served in turn (G7); one drained meanwhile -- by a receive on its own
 * name, or another set receiver -- is dropped, and the next one tried.
 * Conditions: in an epoch section.
 */
static void
try_set(struct mipc_space *space, struct ipc_pset *ps, uint32_t need_max,
    bool leave_large, struct rcv_got *g)
{
	struct ipc_pset_link *l;

	g->rg_result = IMQ_EMPTY;
	while ((l = ipc_pset_ready_take(ps)) != NULL) {
		struct ipc_port *p = l->pl_port;
		mach_port_name_t name;

		/* [F13]: the link taken (idle) before the look (pset.c). */
		arch_fence_full();
		ipc_pset_look_note();
		/* Moved out or dying: it is leaving its sets. */
		if (!ip_receiver_name_in(p, space, &name))
			continue;
		try_port(p, name, need_max, leave_large, false, g);
		if (g->rg_result == IMQ_EMPTY)
			continue;
		/*
		 * Back to the tail while it holds messages; the receivers
		 * that found the queue empty meanwhile sleep: wake one.
		 */
		if ((g->rg_result == IMQ_LEFT || ipc_mqueue_count(p) != 0) &&
		    ipc_pset_ready(l)) {
			struct ipc_workloop *wl = ck_pr_load_ptr(&ps->ips_wl);

			ipc_waitq_wake(&ps->ips_rcv_wq, IPC_WAKE_AFTER_STORE,
			    IPC_WAKE_ONE);
			/* As wake_receivers (mqueue.c): its servicer too. */
			if (unlikely(wl != NULL))
				ipc_waitq_wake_fenced(
				    &wl->wl_pset->ips_rcv_wq, IPC_WAKE_ONE);
		}
		return;
	}
}

/* The waitq of what we receive from. */
static struct ipc_waitq *
rcv_waitq(struct ipc_object *o)
{
	if (o->io_kind == IOT_PSET)
		return &ips_from_object(o)->ips_rcv_wq;
	return &ip_from_object(o)->ip_mq.imq_rcv_wq;
}

/*
 * S4: a MACH_RCV_SYNC_WAIT receive must be on the thread's current special
 * reply port, with a valid sync peer (reply.c).  A name that receives
 * nothing is left to the receive itself (K1 comes first).
 */
static mach_msg_return_t
sync_wait_check(struct ipc_thread *th, mipc_space_t task,
    mach_port_name_t rcv_name, mach_port_name_t peer)
{
	struct mipc_space *space;
	struct rcv_target t;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;

	ipc_epoch_enter(th);
	space = ipc_space_lookup(task);
	if (space != NULL && rcv_lookup(space, rcv_name, &t))
		mr = ipc_special_reply_sync_wait(th, space,
		    t.rt_is_set ? NULL : ip_from_object(t.rt_object), peer);
	ipc_epoch_exit(th);
	return mr;
}

/*
 * A receive in progress: what it asks for and what it found.  A receive
 * by name holds no reference on its space while it looks or waits: each
 * look resolves the handle again inside its epoch section (which keeps
 * the space from being reused), and a space destroyed meanwhile takes the
 * port or set with it (K6).  Only a look that took a message whose
 * copyout needs the space (rights or descriptors to name there) takes a
 * reference, before it leaves its section: copyout takes the space's
 * lock, which no section may wait for (thread.c, ipc_epoch_wait_readers).
 * A receive through a workloop uses the space the workloop holds.
 */
struct rcv {
	struct ipc_thread *r_th;
	mipc_space_t r_task;        /* by name: the space's handle */
	struct mipc_space *r_space; /* the last look's space, or the wl's */
	struct mipc_space *r_held;  /* referenced for the copyout, or NULL */
	mach_port_name_t r_name;
	uint32_t r_need_max;
	bool r_leave_large;
	bool r_gone;                 /* the name receives nothing (now) */
	bool r_active;               /* ...and the space was not destroyed */
	bool r_dead;                 /* took a message; the space went */
	struct ipc_workloop *r_wl;   /* or: receive through this workloop */
	struct ipc_object *r_waited; /* referenced while we wait on it */
	struct ipc_port *r_srp;      /* r_waited, a special reply port */
	struct rcv_got r_got;
};

/*
 * One look: find what the name receives from and try to take a message.
 * The first look that finds the queue empty keeps a reference on what it
 * found, to wait on; later looks insist on finding the same object (K6,
 * G10: a port that died or moved, a set destroyed, is a change).
 * Conditions: nothing locked; outside any epoch section.
 */
/*
 * Receive through a workloop: the attached port with a message and the
 * highest push first (XNU delivers knotes by QoS bucket), then its named
 * sets.  Conditions: inside an epoch section.
 */
static void
try_workloop(struct mipc_space *space, struct ipc_workloop *wl,
    uint32_t need_max, bool leave_large, struct rcv_got *g)
{
	struct ipc_port *best = NULL;
	struct ipc_pset_link *l;
	mach_port_name_t name;
	int best_pri = -1;
	uint32_t i, n;

	g->rg_result = IMQ_EMPTY;
	/* [A12]: each link read through its pointer ([R12] in pset.c). */
	for (l = ck_pr_load_ptr(&wl->wl_pset->ips_members); l != NULL;
	     l = ck_pr_load_ptr(&l->pl_next_in_pset)) {
		struct ipc_port *p = ck_pr_load_ptr(&l->pl_port);
		int pri = 0;

		if (ip_receiver(p) != space || ipc_mqueue_count(p) == 0)
			continue;
		ip_lock(p);
		if (p->ip_send_ts != NULL)
			pri = ck_pr_load_8(&p->ip_send_ts->ts_priority);
		ip_unlock(p);
		if (pri > best_pri) {
			best = p;
			best_pri = pri;
		}
	}
	if (best != NULL && ip_receiver_name_in(best, space, &name)) {
		try_port(best, name, need_max, leave_large, false, g);
		if (g->rg_result != IMQ_EMPTY)
			return;
	}
	n = ck_pr_load_32(&wl->wl_nsets);
	for (i = 0; i < n && i < 8 && g->rg_result == IMQ_EMPTY; i++) {
		struct ipc_pset *ps = ck_pr_load_ptr(&wl->wl_sets[i]);

		if (ps != NULL)
			try_set(space, ps, need_max, leave_large, g);
	}
	if (g->rg_result == IMQ_EMPTY && best != NULL)
		try_set(space, wl->wl_pset, need_max, leave_large, g);
}

/* What r receives from: a name's port or set, or a workloop's set. */
static bool
rcv_target(struct rcv *r, struct rcv_target *t)
{
	struct ipc_pset *ps;

	if (likely(r->r_wl == NULL))
		return rcv_lookup(r->r_space, r->r_name, t);
	ps = r->r_wl->wl_pset;
	if (ck_pr_load_ptr(&ps->ips_space) != r->r_space ||
	    ck_pr_load_32(&r->r_space->is_active) == 0)
		return false; /* the workloop or its space was destroyed */
	t->rt_object = &ps->ips_object;
	t->rt_is_set = true;
	return true;
}

/*
 * A receive on a port ends with a message (taken) or without one: what
 * sync IPC keeps about it follows (XNU's results_complete for a special
 * reply port; a check-in's receive right stops pushing, case 6).
 */
static inline __attribute__((always_inline)) void
rcv_ended(struct ipc_port *p, bool taken)
{
	if (unlikely(p->ip_cflags & IP_F_SPECIAL_REPLY))
		ipc_special_reply_receive_complete(p, taken);
	else if (taken)
		ipc_port_sync_received(p);
}

/*
 * Must a receive from o that found nothing end with rcv_ended (a special
 * reply port with a link to reset)?  Conditions: inside the epoch section
 * that found o.
 */
static inline bool
rcv_poll_ends(struct ipc_object *o)
{
	struct ipc_port *p;

	if (o->io_kind != IOT_PORT)
		return false;
	p = ip_from_object(o);
	return (p->ip_cflags & IP_F_SPECIAL_REPLY) &&
	    !ipc_special_reply_receive_idle(p);
}

/* Is a receive with these a poll (timeout 0), which never waits? */
static inline bool
rcv_is_poll(mach_msg_option_t option, mach_msg_timeout_t timeout)
{
	return (option & MACH_RCV_TIMEOUT) && timeout == 0;
}

/* option, timeout: the call's (rcv_run); 0 for a look while waiting. */
static inline __attribute__((always_inline)) void
rcv_try(struct rcv *r, mach_msg_option_t option, mach_msg_timeout_t timeout)
{
	struct rcv_target t;

	ipc_epoch_enter(r->r_th);
	if (likely(r->r_wl == NULL))
		r->r_space = ipc_space_lookup(r->r_task);
	r->r_gone = r->r_space == NULL || !rcv_target(r, &t) ||
	    (r->r_waited != NULL && t.rt_object != r->r_waited);
	if (unlikely(r->r_gone)) {
		r->r_active = r->r_space != NULL &&
		    ck_pr_load_32(&r->r_space->is_active) != 0;
	} else {
		if (unlikely(r->r_wl != NULL)) {
			try_workloop(r->r_space, r->r_wl, r->r_need_max,
			    r->r_leave_large, &r->r_got);
			/* Nothing queued: an attachment that vanished is
			 * news (workloop.c). */
			if (r->r_got.rg_result == IMQ_EMPTY &&
			    ipc_workloop_take_vanish(r->r_wl)) {
				r->r_gone = true;
				goto out;
			}
		} else if (t.rt_is_set) {
			try_set(r->r_space, ips_from_object(t.rt_object),
			    r->r_need_max, r->r_leave_large, &r->r_got);
		} else {
			try_port(ip_from_object(t.rt_object), r->r_name,
			    r->r_need_max, r->r_leave_large, false, &r->r_got);
		}
		if (r->r_got.rg_result == IMQ_EMPTY && r->r_waited == NULL) {
			/*
			 * Found lock-free, the object may be dying (its
			 * receive right destroyed since, its last reference
			 * gone): then the name receives nothing now.  A poll
			 * waits on nothing, and its end (rcv_run) changes
			 * nothing unless it is a linked SRP's: it takes no
			 * reference -- a spinning client's every empty poll
			 * saves two atomics on its SRP's first line, which
			 * the server's reply writes.
			 */
			if (rcv_is_poll(option, timeout) &&
			    !rcv_poll_ends(t.rt_object)) {
				/* timed out at this look: nothing held */
			} else if (t.rt_is_set
			        ? ipc_object_reference_try(t.rt_object)
			        : ipc_port_reference_try_found(
			              ip_from_object(t.rt_object))) {
				r->r_waited = t.rt_object;
			} else {
				r->r_gone = true;
				r->r_active = r->r_space != NULL &&
				    ck_pr_load_32(&r->r_space->is_active) != 0;
			}
		} else if (r->r_got.rg_result != IMQ_EMPTY) {
			rcv_ended(
			    r->r_got.rg_port, r->r_got.rg_result == IMQ_TAKEN);
			if (r->r_got.rg_result == IMQ_TAKEN &&
			    r->r_wl == NULL &&
			    ipc_kmsg_copyout_needs_space(r->r_got.rg_kmsg)) {
				if (ipc_space_tryref(r->r_space))
					r->r_held = r->r_space;
				else
					r->r_dead = true;
			}
		}
	}
out:
	ipc_epoch_exit(r->r_th);
	if (unlikely(r->r_got.rg_nsport != NULL)) {
		ipc_port_ns_check(r->r_got.rg_nsport); /* P11 */
		ip_release(r->r_got.rg_nsport);
		r->r_got.rg_nsport = NULL;
	}
}

/*
 * ipc_waitq_wait's hooks: about to sleep, a client on its special reply
 * port pushes through the link (reply.c); any receiver shows in
 * introspection.  Unblock undoes it when the wait ends.
 */
static void
rcv_block(void *ctx)
{
	struct rcv *r = ctx;
	struct ipc_port *port;

	ck_pr_store_32(&r->r_th->th_wait_name, r->r_name);
	ck_pr_store_ptr(&r->r_th->th_wait_obj, r->r_waited);
	if (r->r_wl != NULL) {
		ck_pr_store_32(&r->r_th->th_wait_kind, MIPC_WAIT_RECEIVE);
		return;
	}
	if (r->r_waited->io_kind == IOT_PORT) {
		port = ip_from_object(r->r_waited);
		if (port->ip_cflags & IP_F_SPECIAL_REPLY) {
			r->r_srp = port;
			ipc_special_reply_block(r->r_th, port);
			ck_pr_store_32(
			    &r->r_th->th_wait_kind, MIPC_WAIT_SRP_REPLY);
			return;
		}
	}
	ck_pr_store_32(&r->r_th->th_wait_kind, MIPC_WAIT_RECEIVE);
}

static void
rcv_unblock(void *ctx)
{
	struct rcv *r = ctx;

	ck_pr_store_32(&r->r_th->th_wait_kind, MIPC_WAIT_NONE);
	ck_pr_store_ptr(&r->r_th->th_wait_obj, NULL);
	if (r->r_srp != NULL)
		ipc_special_reply_unblock(r->r_th, r->r_srp);
}

/*
 * Nothing to do yet for a receive waiting on port in space: still its
 * receiver, no message.  Lock-free looks only (a hint: the receive's
 * own check decides).
 */
static inline bool
rcv_port_quiet(struct ipc_port *port, struct mipc_space *space)
{
	return ip_receiver(port) == space && !ipc_mqueue_has_message(port);
}

/*
 * ipc_waitq_wait's hint between two spins (waitq.h): a port we wait on
 * still bound to the space we found it in (death and moves unbind it, as
 * rcv_lookup reads it), with nothing queued, holds nothing new for
 * rcv_check -- whose look (epoch section, lookup, peek) this saves.
 * The port is referenced (r_waited): its ring lives.  A move out and
 * back under another name, which only the lookup sees, is seen by the
 * looks that start each spin phase and precede each sleep.  Sets and
 * workloops: no hint.
 */
static bool
rcv_idle(void *ctx)
{
	struct rcv *r = ctx;
	struct ipc_port *p;

	if (r->r_wl != NULL || r->r_waited->io_kind != IOT_PORT)
		return false;
	p = ip_from_object(r->r_waited);
	if (!rcv_port_quiet(p, r->r_space))
		return false;
	ipc_rcv_idle_note();
	return true;
}

static const struct ipc_wait_hooks rcv_hooks = { rcv_block, rcv_unblock, false,
	rcv_idle };
/*
 * A client waiting on its special reply port pushes, and a workloop's
 * servicer is pushed: neither yields (waitq.h).  A servicer that yields
 * while it waits for the next request moves its deadline a slice later
 * each time (EEVDF's yield), so once that request raises it, the CPU hogs
 * it yielded to keep the CPU until the next tick: p99s of 4 ms for 500
 * us of work in bench/inversion.c's workloop kind.
 */
static const struct ipc_wait_hooks rcv_hooks_srp = { rcv_block, rcv_unblock,
	true, rcv_idle };

static const struct ipc_wait_hooks *
rcv_hooks_for(const struct rcv *r)
{
	struct ipc_object *o = r->r_waited;

	if (r->r_wl != NULL)
		return &rcv_hooks_srp;
	return o->io_kind == IOT_PORT &&
	        (ip_from_object(o)->ip_cflags & IP_F_SPECIAL_REPLY)
	    ? &rcv_hooks_srp
	    : &rcv_hooks;
}

/* ipc_waitq_wait's check: done once a look found anything but empty. */
static bool
rcv_check(void *ctx)
{
	struct rcv *r = ctx;

	rcv_try(r, 0, 0);
	return r->r_gone || r->r_got.rg_result != IMQ_EMPTY;
}

/* What the name's failed lookup means (K1, K6, G10). */
static mach_msg_return_t
rcv_gone(struct rcv *r)
{
	if (r->r_waited != NULL || r->r_wl != NULL)
		return MACH_RCV_PORT_CHANGED; /* what we waited on went */
	if (!r->r_active)
		return MACH_RCV_INVALID_NAME; /* W2 */
	/* K1: no guard if the name used to hold the right. */
	if (!rcv_name_was_receive(r->r_th, r->r_task, r->r_name)) {
		ipc_guard_raise(r->r_name, kGUARD_EXC_RCV_INVALID_NAME, 0);
		ipc_guard_flush_task(r->r_task);
	}
	return MACH_RCV_INVALID_NAME;
}

/* Copy out through the workloop: its rights stash there. */
static IPC_COLD mach_msg_return_t
rcv_finish_wl(struct rcv *r, mach_msg_header_t *msg, mach_msg_option_t option)
{
	struct rcv_got *g = &r->r_got;
	mach_msg_return_t mr;

	r->r_th->th_servicing = r->r_wl;
	mr = ipc_kmsg_copyout(r->r_space, g->rg_kmsg, msg, g->rg_name, option,
	    g->rg_seqno, g->rg_context);
	r->r_th->th_servicing = NULL;
	return mr;
}

/* Deliver what the look found: a message, or the reason there is none. */
static inline __attribute__((always_inline)) mach_msg_return_t
rcv_finish(struct rcv *r, mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t rcv_size)
{
	struct rcv_got *g = &r->r_got;

	if (r->r_gone)
		return rcv_gone(r);
	if (g->rg_result == IMQ_LEFT) {
		/*
		 * K5: the message stays; report what it needs, each field
		 * only if rcv_size covers it, at any alignment.  No buffer
		 * (L8): XNU's copyout of these fails.
		 */
		if (unlikely(msg == NULL))
			return MACH_RCV_INVALID_DATA;
		if (rcv_size >= offsetof(mach_msg_header_t, msgh_remote_port))
			memcpy((char *)msg +
			        offsetof(mach_msg_header_t, msgh_size),
			    &g->rg_size, sizeof(g->rg_size));
		if ((option & MACH_RCV_LARGE_IDENTITY) &&
		    rcv_size >= offsetof(mach_msg_header_t, msgh_voucher_port))
			memcpy((char *)msg +
			        offsetof(mach_msg_header_t, msgh_local_port),
			    &g->rg_name, sizeof(g->rg_name));
		return MACH_RCV_TOO_LARGE;
	}
	if (g->rg_size > r->r_need_max) {
		/* K4: taken, destroyed, bare header. */
		ipc_kmsg_too_large(g->rg_kmsg, msg, rcv_size, g->rg_name,
		    option, g->rg_seqno, g->rg_context);
		return msg != NULL ? MACH_RCV_TOO_LARGE : MACH_RCV_INVALID_DATA;
	}
	if (unlikely(r->r_wl != NULL))
		return rcv_finish_wl(r, msg, option);
	if (unlikely(r->r_dead)) {
		/* W2: the space was destroyed under us, as a copyout into
		 * a destroyed space would find it. */
		ipc_kmsg_destroy(g->rg_kmsg);
		return MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE;
	}
	/* r_held is NULL when the copyout names nothing in the space. */
	return ipc_kmsg_copyout(r->r_held, g->rg_kmsg, msg, g->rg_name, option,
	    g->rg_seqno, g->rg_context);
}

/* What a receive asks for, and holds nothing yet: before its first look. */
static inline __attribute__((always_inline)) void
rcv_init(struct rcv *r, mach_msg_option_t option, mach_msg_size_t rcv_size)
{
	mach_msg_size_t tsize = ipc_trailer_size(option);

	r->r_need_max = rcv_size >= tsize ? rcv_size - tsize : 0;
	r->r_leave_large = (option & MACH_RCV_LARGE) != 0;
	r->r_waited = NULL;
	r->r_srp = NULL;
	r->r_held = NULL;
	r->r_dead = false;
	r->r_got.rg_nsport = NULL;
}

/*
 * A receiver that found its port's queue empty, before it goes to wait:
 * the receive fast path (msg_receive_fp) watches the port's ring for up
 * to IPC_RCV_WATCH_NS, inside the epoch section of its look (no
 * reference taken, nothing written: a stream's sender reads the port's
 * lines, which a reference count's round trip would take from it), and
 * looks again once something changed -- a message published, or the
 * port no longer ours (death, a move: its mover waits for our section).
 * A streaming sender's next message is usually a fraction of a
 * microsecond away; the wait's general look and copyout and its own
 * setup cost more than the fast path's look.  The watch
 * reads what the spinning-receiver hint reads (rcv_idle) and writes
 * nothing.  Never for a poll (timeout 0), which must not wait at all.
 * A thread whose watches saw nothing IPC_RCV_WATCH_FAILS times in a row
 * skips the next IPC_RCV_WATCH_SKIP: a sender that shares our CPU
 * (bench's "RPC blocking, 1 CPU") cannot answer while we watch, and a
 * microsecond per wait would be pure loss there.
 * Conditions: nothing locked; inside the epoch section port was found
 *	in space in (a watch never yields or sleeps: ipc_spin_watch).
 * Returns: true when the caller should look again.
 */
#define IPC_RCV_WATCH_NS    1000u
#define IPC_RCV_WATCH_FAILS 2
#define IPC_RCV_WATCH_SKIP  16

/* Per thread: empty looks left that do not watch; watches in a row that
 * saw nothing. */
static __thread uint16_t rcv_watch_skip, rcv_watch_fails;

static bool
rcv_fp_watch(struct ipc_port *port, struct mipc_space *space)
{
	struct ipc_spin sp;

	if (rcv_watch_skip != 0) {
		rcv_watch_skip--;
		return false;
	}
	ipc_spin_watch_start(&sp,
	    ipc_test_hooks && ipc_rcv_watch_ns_test != 0 ? ipc_rcv_watch_ns_test
	                                                 : IPC_RCV_WATCH_NS);
	while (ipc_spin_watch(&sp))
		if (!rcv_port_quiet(port, space)) {
			rcv_watch_fails = 0;
			ipc_rcv_watch_note();
			return true;
		}
	if (sp.sp_counted)
		return false; /* a test's yield hook: no watch at all */
	if (++rcv_watch_fails >= IPC_RCV_WATCH_FAILS) {
		rcv_watch_fails = 0;
		rcv_watch_skip = IPC_RCV_WATCH_SKIP;
	}
	return false;
}

/*
 * The receive, once r names what it receives from.  looked: the fast
 * path made r's first look already (msg_receive_fp: it found the queue
 * empty, watched its ring (rcv_fp_watch), and holds what it waits on, as
 * rcv_try leaves r then).
 */
static inline __attribute__((always_inline)) mach_msg_return_t
rcv_run(struct rcv *rp, mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t rcv_size, mach_msg_timeout_t timeout, bool looked)
{
	struct timespec deadline;
	struct rcv r = *rp;
	struct imq_inl buf;
	mach_msg_return_t mr;

	r.r_got.rg_buf = &buf; /* rcv_try's and rcv_finish's */
	if (!looked) {
		rcv_init(&r, option, rcv_size);
		rcv_try(&r, option, timeout);
	}
	if (unlikely(!r.r_gone && r.r_got.rg_result == IMQ_EMPTY)) {
		enum ipc_wait_result w;

		if (rcv_is_poll(option, timeout)) {
			mr = MACH_RCV_TIMED_OUT; /* K2 */
			goto out;
		}
		ipc_stat_add(r.r_th, IPC_STAT_SLOW, 1);
		if (option & MACH_RCV_TIMEOUT)
			ipc_deadline(&deadline, timeout);
		w = ipc_waitq_wait(r.r_th, rcv_waitq(r.r_waited),
		    (option & MACH_RCV_TIMEOUT) ? &deadline : NULL,
		    (option & MACH_RCV_INTERRUPT) ? IPC_WAIT_INTERRUPTIBLE : 0,
		    rcv_check, &r, rcv_hooks_for(&r));
		if (w != IPC_WAIT_DONE) {
			/* A signal with MACH_RCV_INTERRUPT, or an abort. */
			mr = w == IPC_WAIT_TIMED_OUT ? MACH_RCV_TIMED_OUT
			                             : MACH_RCV_INTERRUPTED;
			goto out;
		}
	}
	mr = rcv_finish(&r, msg, option, rcv_size);
	if (likely(mr == MACH_MSG_SUCCESS)) {
		ipc_stat_add(r.r_th, IPC_STAT_RECEIVED, 1);
		ipc_stat_add(r.r_th, IPC_STAT_BYTES_RECEIVED, r.r_got.rg_size);
	}
out:
	if (r.r_waited != NULL) {
		/*
		 * A wait on an SRP that found nothing -- timed out,
		 * interrupted, PORT_CHANGED -- also ends its receive (XNU's
		 * mach_msg_receive_results_complete without a message); one
		 * that found something ended it in rcv_try.
		 */
		if (r.r_waited->io_kind == IOT_PORT &&
		    r.r_got.rg_result == IMQ_EMPTY)
			rcv_ended(ip_from_object(r.r_waited), false);
		ipc_object_release(r.r_waited);
	}
	if (r.r_held != NULL)
		ipc_space_release(r.r_held);
	if (r.r_wl == NULL)
		ipc_guard_flush_task(r.r_task);
	else
		ipc_guard_flush(r.r_space); /* the workloop holds it */
	return mr;
}

/* What the receive fast path did (msg_receive_fp). */
enum rcv_fp {
	RFP_DONE, /* the receive is over */
	RFP_SLOW, /* nothing done: the general path's */
	RFP_WAIT, /* first look made: the queue was empty (rcv_run) */
};

/*
 * msg_receive_fp
 *	The receive fast path (PERF.md 3.8): rcv_run, rcv_try, try_port and
 *	rcv_finish flattened for their common case -- a receive right (not a
 *	set) the caller's space holds, the default trailer, a buffer the
 *	head message fits -- with no struct rcv to fill and no branch for
 *	sets, workloops or too-large messages; a message with no
 *	descriptors is copied out by ipc_kmsg_copyout_simple.  Anything
 *	else is the general path's (the specification), handed over before
 *	anything changed: a name that receives nothing through a port (K1,
 *	G10, K6), a head message that does not fit (left in place: K4, K5).
 *	A message taken is delivered as rcv_try and rcv_finish deliver it:
 *	the borrowed right consumed in the section, rcv_ended, a send-once
 *	reply right named in the section when the space's lock is free
 *	(ipc_kmsg_copyout_reply_try), else the space referenced for a
 *	copyout that names something in it, no-senders
 *	after the section, a space destroyed meanwhile (W2), statistics,
 *	guards.  An empty queue: a poll that ends nothing times out here
 *	(K2; rcv_poll_ends); otherwise r is left as rcv_try leaves it after
 *	an empty first look -- the port referenced, to wait on -- and
 *	rcv_run goes on from there.  r: r_th, r_task, r_name and r_wl set.
 * Returns:
 *	RFP_DONE (*mrp the result), RFP_SLOW or RFP_WAIT.
 */
static inline __attribute__((always_inline)) enum rcv_fp
msg_receive_fp(struct rcv *r, mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t rcv_size, mach_msg_timeout_t timeout,
    mach_msg_return_t *mrp)
{
	struct ipc_thread *th = r->r_th;
	struct mipc_space *space, *held = NULL;
	struct rcv_target t;
	struct ipc_port *port, *link_dest, *nsport = NULL;
	struct ipc_kmsg *k, *taken;
	struct imq_inl buf;
	enum imq_result res;
	uint32_t size;
	mach_port_name_t reply_name;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	bool dead = false, watched = false;

	if (GET_RCV_ELEMENTS(option) != 0 ||
	    rcv_size < sizeof(mach_msg_header_t) + sizeof(mach_msg_trailer_t))
		return RFP_SLOW;
	ipc_assert_slow(ipc_trailer_size(option) == sizeof(mach_msg_trailer_t),
	    "the fast path's trailer is the default one");
	/* The slot before the section, as msg_send_fp_to finds it. */
	space = ipc_space_slot(r->r_task);
	ipc_epoch_enter(th);
	space = ipc_space_lookup_slot(space, r->r_task);
	if (space == NULL || !rcv_lookup_inl(space, r->r_name, &t) ||
	    t.rt_is_set)
		goto slow;
	/* Its kind checked by the lookup, before [A8]'s fence: not again. */
	port = ipc_container_of(t.rt_object, struct ipc_port, ip_object);
	/*
	 * try_port's take, spelt out with the results in locals (only the
	 * three take_fp writes have their address taken): left in place if
	 * it does not fit (as MACH_RCV_LARGE leaves it).
	 */
take:
	res = take_fp(port,
	    rcv_size - (mach_msg_size_t)sizeof(mach_msg_trailer_t), &buf,
	    &taken, &size, NULL);
	if (unlikely(res != IMQ_TAKEN)) {
		if (res == IMQ_LEFT)
			goto slow;
		if (rcv_is_poll(option, timeout) &&
		    !rcv_poll_ends(t.rt_object)) {
			/* K2: a poll that ends nothing holds nothing (rcv_try).
			 * ipc_epoch_exit, spelt out (a spinning client's). */
			if (ipc_epoch_exit_poll_due(th))
				ipc_epoch_poll_slow(th);
			mr = MACH_RCV_TIMED_OUT;
			goto out;
		}
		/* A wait to come: watch the ring first, in this section, and
		 * look again once (rcv_fp_watch). */
		if (unlikely(!watched) && !rcv_is_poll(option, timeout)) {
			watched = true;
			if (rcv_fp_watch(port, space))
				goto take;
		}
		/* Dying (rcv_try): the general path finds out what it means. */
		if (!ipc_port_reference_try_found(port))
			goto slow;
		ipc_epoch_exit(th);
		rcv_init(r, option, rcv_size);
		r->r_space = space;
		r->r_gone = false;
		r->r_waited = t.rt_object;
		r->r_got.rg_result = IMQ_EMPTY;
		return RFP_WAIT;
	}
	k = taken; /* a copy whose address is not taken: a register */
	ipc_assert_slow(k->ikm_dest.ir_port == port,
	    "a queued message's destination is its port");
	if (k->ikm_flags & IKM_F_BORROWED)
		consume_borrowed(port, k, &nsport);
	ipc_rcv_fp_note();
	rcv_ended(port, true);
	if (ipc_kmsg_copyout_needs_space(k)) {
		if (likely(k->ikm_ndesc == 0) &&
		    ipc_kmsg_copyout_reply_try(
		        space, k, &reply_name, &link_dest)) {
			/* Delivered here, from inline storage too, which
			 * goes back now (as below); any other kmsg is
			 * consumed after the section. */
			ipc_kmsg_deliver_simple(k, msg, r->r_name, reply_name);
			if (k->ikm_kind == IKM_KIND_INLINE) {
				ipc_assert_slow(k->ikm_flags & IKM_F_BORROWED,
				    "an inline message's destination right "
				    "is borrowed");
				ipc_mqueue_inline_done(k);
				k = NULL;
			}
			goto named;
		}
		/* A kmsg in inline storage is ours only in this section. */
		if (unlikely(k->ikm_kind == IKM_KIND_INLINE))
			k = ipc_mqueue_inline_copy(k, &buf);
		if (ipc_space_tryref(space))
			held = space;
		else
			dead = true;
	} else if (k->ikm_kind == IKM_KIND_INLINE) {
		/* Copied out from its storage, which goes back, here: it
		 * names nothing in the space (Inline messages, mqueue.c). */
		ipc_assert_slow(k->ikm_flags & IKM_F_BORROWED,
		    "an inline message's destination right is borrowed");
		ipc_kmsg_deliver_simple(k, msg, r->r_name,
		    k->ikm_reply.ir_dead ? MACH_PORT_DEAD : MACH_PORT_NULL);
		ipc_mqueue_inline_done(k);
		k = NULL; /* delivered */
	}
	/* ipc_epoch_exit, spelt out: inlined here, not called. */
	if (ipc_epoch_exit_poll_due(th))
		ipc_epoch_poll_slow(th);
	if (unlikely(nsport != NULL)) {
		ipc_port_ns_check(nsport); /* P11 */
		ip_release(nsport);
	}
	if (k == NULL)
		goto delivered;
	if (unlikely(dead)) {
		/* W2, as rcv_finish. */
		ipc_kmsg_destroy(k);
		mr = MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE;
		goto out;
	}
	/* The default trailer (checked first) holds no seqno and no
	 * context (V1, V4): none to read at the take, none to pass. */
	if (likely(k->ikm_ndesc == 0))
		mr = ipc_kmsg_copyout_simple(held, k, msg, r->r_name);
	else
		mr = ipc_kmsg_copyout(held, k, msg, r->r_name, option, 0, 0);
delivered:
	if (likely(mr == MACH_MSG_SUCCESS)) {
		ipc_stat_add(th, IPC_STAT_RECEIVED, 1);
		ipc_stat_add(th, IPC_STAT_BYTES_RECEIVED, size);
	}
	if (held != NULL)
		ipc_space_release(held);
out:
	ipc_guard_flush_task(r->r_task);
	*mrp = mr;
	return RFP_DONE;
named:
	/* Delivered in the section with its reply right named: what is
	 * left of it after the section (apart: the common paths above
	 * carry nothing more). */
	ipc_epoch_exit(th);
	if (unlikely(link_dest != NULL))
		ip_release(link_dest); /* the SRP's link held it */
	if (unlikely(nsport != NULL)) {
		ipc_port_ns_check(nsport); /* P11 */
		ip_release(nsport);
	}
	if (k != NULL)
		ipc_kmsg_consume(k); /* not inline: J3 */
	goto delivered;
slow:
	ipc_epoch_exit(th);
	return RFP_SLOW;
}

/*
 * Receive into msg: rcv_size bytes at any alignment; NULL when the call's
 * own send released the buffer (L8): a message is still taken and its
 * rights and memory copied out into the space, and the receive answers
 * MACH_RCV_INVALID_DATA, as XNU's copyout to an unmapped buffer.
 * th: the calling thread's state if the caller has it at hand, else NULL.
 * Inlined into both entry points (msg_call): out of line, each receive
 * paid 13 instructions more (callgrind, sr_recv).
 */
static inline __attribute__((always_inline)) mach_msg_return_t
msg_receive(struct ipc_thread *th, mipc_space_t task, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
    mach_port_name_t peer)
{
	enum rcv_fp fp = RFP_SLOW;
	struct rcv r;
	mach_msg_return_t mr;

	r.r_th = th != NULL ? th : ipc_thread_self();
	if (unlikely(r.r_th == NULL))
		return MACH_RCV_INVALID_NAME;
	r.r_task = task;
	r.r_space = NULL;
	r.r_name = rcv_name;
	r.r_wl = NULL;
	if (unlikely(peer != MACH_PORT_NULL)) {
		mr = sync_wait_check(r.r_th, task, rcv_name, peer);
		if (mr != MACH_MSG_SUCCESS)
			return mr;
	} else if (likely(msg != NULL)) {
		fp = msg_receive_fp(&r, msg, option, rcv_size, timeout, &mr);
		if (likely(fp == RFP_DONE))
			return mr;
	}
	return rcv_run(&r, msg, option, rcv_size, timeout, fp == RFP_WAIT);
}

/*
 * ipc_msg_send_workloop
 *	mipc_workloop_msg's send: mipc_msg's, with rcv_len the bytes of msg
 *	its receive may write (0: none).  *rcv_buf: msg, or NULL when the
 *	send released the buffer (L8), for ipc_msg_receive_workloop.
 */
mach_msg_return_t
ipc_msg_send_workloop(struct mipc_space *space, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_len, mach_msg_timeout_t timeout,
    mach_msg_header_t **rcv_buf)
{
	mach_port_name_t dest;
	mach_msg_return_t mr;

	*rcv_buf = msg;
	/* The workloop holds its space: its handle is live. */
	mr = msg_send_user(NULL, ipc_space_handle(space), msg, option,
	    send_size, rcv_len, timeout, &dest);
	if (mr == MSG_SENT_BUFFER_GONE) {
		*rcv_buf = NULL;
		mr = MACH_MSG_SUCCESS;
	}
	return mr;
}

/* Receive into msg (NULL: the call's send released it, L8). */
mach_msg_return_t
ipc_msg_receive_workloop(struct ipc_workloop *wl, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t rcv_size,
    mach_msg_timeout_t timeout)
{
	struct rcv r;

	r.r_th = ipc_thread_self();
	if (unlikely(r.r_th == NULL))
		return MACH_RCV_INVALID_NAME;
	r.r_task = NULL;
	r.r_space = wl->wl_space;
	r.r_name = MACH_PORT_NULL;
	r.r_wl = wl;
	return rcv_run(&r, msg, option, rcv_size, timeout, false);
}

/* ------------------------------------------------------------------ */
/* mach_msg                                                            */

/*
 * The call, inlined into both its entry points: mach_msg reaches it with
 * no call in between (through the PLT, mipc_msg and mipc_thread_space
 * cost it about 45 instructions a call).  th: the caller's thread state
 * if at hand (mach_msg's), else NULL.
 */
static inline __attribute__((always_inline)) mach_msg_return_t
msg_call(struct ipc_thread *th, mipc_space_t space, mach_msg_header_t *msg,
    mach_msg_option_t option, mach_msg_size_t send_size,
    mach_msg_size_t rcv_size, mach_port_name_t rcv_name,
    mach_msg_timeout_t timeout, mach_port_name_t notify)
{
	mach_port_name_t peer = MACH_PORT_NULL;
	mach_msg_header_t *rcv_buf = msg;
	mach_msg_return_t mr;

	if (option & MACH_SEND_MSG) {
		mach_port_name_t dest = MACH_PORT_NULL;

		mr = msg_send_user(th, space, msg, option, send_size,
		    (option & MACH_RCV_MSG) ? rcv_size : 0, timeout, &dest);
		if (unlikely(mr != MACH_MSG_SUCCESS)) {
			if (mr != MSG_SENT_BUFFER_GONE)
				return mr; /* J12: no receive after a failure */
			rcv_buf = NULL;    /* L8: released by the send */
		}
		/* S4: a combined call's sync peer is the destination sent. */
		if (unlikely(option & MACH_RCV_SYNC_WAIT))
			peer = dest;
	} else if (unlikely(option & MACH_RCV_SYNC_WAIT)) {
		peer = notify; /* S4, J14: the sync peer */
	}
	if (option & MACH_RCV_MSG) {
		if (space == NULL)
			return MACH_RCV_INVALID_NAME;
		if (msg == NULL)
			return MACH_RCV_INVALID_DATA;
		return msg_receive(th, space, rcv_buf, option, rcv_size,
		    rcv_name, timeout, peer);
	}
	return MACH_MSG_SUCCESS; /* I1 */
}

mach_msg_return_t
mipc_msg(mipc_space_t space, mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
    mach_port_name_t notify)
{
	return msg_call(NULL, space, msg, option, send_size, rcv_size, rcv_name,
	    timeout, notify);
}

/*
 * The thread's state, read once per call and handed to the send and the
 * receive; NULL on the thread's (or the process's) first call.
 */
static inline __attribute__((always_inline)) mipc_space_t
msg_cur_space(struct ipc_thread **thp)
{
	struct ipc_thread *th = ipc_thread_cur;

	*thp = th;
	return likely(th != NULL) ? ipc_thread_space(th) : NULL;
}

/*
 * mach_msg's tail calls' targets: out of line, and with the signature
 * written (GCC's noipa: no clone with arguments dropped), so that each
 * finds mach_msg's arguments in the registers mach_msg got them in.
 */
#if defined(__clang__)
#define MSG_ENTRY __attribute__((noinline))
#else
#define MSG_ENTRY __attribute__((noipa))
#endif

/* Any other call: a receive, or a send and a receive. */
static MSG_ENTRY mach_msg_return_t
msg_call_any(mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
    mach_port_name_t notify)
{
	struct ipc_thread *th;
	mipc_space_t space = msg_cur_space(&th);

	if (likely(space != NULL))
		return msg_call(th, space, msg, option, send_size, rcv_size,
		    rcv_name, timeout, notify);
	/* First call of the thread, or of the process: out of line. */
	return mipc_msg(mipc_thread_space(), msg, option, send_size, rcv_size,
	    rcv_name, timeout, notify);
}

/*
 * msg_send_only's slow path: the checks and the send again from the top,
 * the fast path left out (it declined, having changed nothing).  Out of
 * line and cold, so that msg_send_only keeps nothing alive across the
 * fast path but option and timeout, and its fast path has the registers
 * (PERF.md 3.8).
 */
static IPC_COLD mach_msg_return_t
msg_send_only_slow(mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_timeout_t timeout)
{
	struct ipc_thread *th;
	mipc_space_t space = msg_cur_space(&th);
	mach_msg_header_t h;
	mach_msg_return_t mr;

	if (msg == NULL)
		return MACH_SEND_INVALID_DATA;
	if (send_size < sizeof(h) || (send_size & 3))
		return MACH_SEND_MSG_TOO_SMALL;
	memcpy(&h, msg, sizeof(h));
	mr = msg_send_nofp(th, space, &h, msg, option, send_size, 0, timeout);
	/* L8: released by the send, and no receive to write it */
	return likely(mr != MSG_SENT_BUFFER_GONE) ? mr : MACH_MSG_SUCCESS;
}

/*
 * mach_msg's plain send (PERF.md 3.8): out of line with a frame of its
 * own size, reached from mach_msg by a tail call with mach_msg's own
 * arguments -- mach_msg itself has no frame.  Inlined into mach_msg, a
 * send paid for the frame and the spills of the receive inlined there.
 * The fast path here; anything it declines (and a buffer it does not
 * read) is msg_send_only_slow's, which checks the buffer again.
 */
static MSG_ENTRY mach_msg_return_t
msg_send_only(mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout)
{
	struct ipc_thread *th;
	mipc_space_t space = msg_cur_space(&th);

	if (unlikely(space == NULL)) /* first call: out of line */
		return msg_call_any(msg, option, send_size, rcv_size, rcv_name,
		    timeout, MACH_PORT_NULL);
	if (likely(msg != NULL && send_size >= sizeof(mach_msg_header_t) &&
	        !(send_size & 3) &&
	        !(option & MACH_SEND_SYNC_BOOTSTRAP_CHECKIN))) {
		/* The three fields the fast path reads, each read once (at
		 * any alignment), into registers: msg_send_user's copy. */
		mach_msg_bits_t bits;
		mach_port_name_t dname, rname;

		/* The slow path's arguments, kept in memory across the fast
		 * path, which has their registers. */
		__asm__("" : "+m"(option), "+m"(timeout));
		memcpy(&bits,
		    (const char *)msg + offsetof(mach_msg_header_t, msgh_bits),
		    sizeof(bits));
		memcpy(&dname,
		    (const char *)msg +
		        offsetof(mach_msg_header_t, msgh_remote_port),
		    sizeof(dname));
		memcpy(&rname,
		    (const char *)msg +
		        offsetof(mach_msg_header_t, msgh_local_port),
		    sizeof(rname));
		if (likely(
		        msg_send_fp_hdr(th, space, bits & MACH_MSGH_BITS_USER,
		            dname, rname, msg, send_size, false)))
			return MACH_MSG_SUCCESS;
	}
	return msg_send_only_slow(msg, option, send_size, timeout);
}

/*
 * mach_msg's plain receive (no send, no sync peer): msg_call's receive
 * alone, out of line as msg_send_only, with mach_msg's arguments but the
 * notify name it does not need (none on the stack).
 */
static MSG_ENTRY mach_msg_return_t
msg_receive_only(mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout)
{
	struct ipc_thread *th;
	mipc_space_t space = msg_cur_space(&th);

	if (unlikely(space == NULL)) /* first call: out of line */
		return msg_call_any(msg, option, send_size, rcv_size, rcv_name,
		    timeout, MACH_PORT_NULL);
	if (msg == NULL)
		return MACH_RCV_INVALID_DATA;
	return msg_receive(th, space, msg, option, rcv_size, rcv_name, timeout,
	    MACH_PORT_NULL);
}

mach_msg_return_t
mach_msg(mach_msg_header_t *msg, mach_msg_option_t option,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
    mach_port_name_t notify)
{
	/* One mask for both tests; a send with MACH_RCV_SYNC_WAIT (no
	 * receive: the flag means nothing) is msg_call_any's. */
	mach_msg_option_t kind =
	    option & (MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_SYNC_WAIT);

	if (kind == MACH_SEND_MSG)
		return msg_send_only(
		    msg, option, send_size, rcv_size, rcv_name, timeout);
	if (kind == MACH_RCV_MSG)
		return msg_receive_only(
		    msg, option, send_size, rcv_size, rcv_name, timeout);
	return msg_call_any(
	    msg, option, send_size, rcv_size, rcv_name, timeout, notify);
}

/* The header of a user buffer at any alignment (msg not NULL). */
static mach_msg_header_t
user_header(const mach_msg_header_t *msg)
{
	mach_msg_header_t h;

	memcpy(&h, msg, sizeof(h));
	return h;
}

mach_msg_return_t
mach_msg_send(mach_msg_header_t *msg)
{
	return mach_msg(msg, MACH_SEND_MSG,
	    msg != NULL ? user_header(msg).msgh_size : 0, 0, MACH_PORT_NULL,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

mach_msg_return_t
mach_msg_receive(mach_msg_header_t *msg)
{
	mach_msg_header_t h = { 0 };

	if (msg != NULL)
		h = user_header(msg);
	return mach_msg(msg, MACH_RCV_MSG, 0, h.msgh_size, h.msgh_local_port,
	    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

/* ------------------------------------------------------------------ */
/* mach_msg_destroy (O3)                                               */

static void
destroy_name(
    mipc_space_t space, mach_port_name_t name, mach_msg_type_name_t type)
{
	if (!MACH_PORT_VALID(name))
		return;
	if (type == MACH_MSG_TYPE_PORT_RECEIVE)
		(void)mipc_port_mod_refs(
		    space, name, MACH_PORT_RIGHT_RECEIVE, -1);
	else if (type == MACH_MSG_TYPE_PORT_SEND ||
	    type == MACH_MSG_TYPE_PORT_SEND_ONCE)
		(void)mipc_port_deallocate(space, name);
}

/*
 * An OOL ports array: only one the space holds, whole, is read (it is
 * taken out of the space's hands first, so no other thread releases it
 * meanwhile, and read with ipc_vm_copyin, so it cannot fault); its names
 * are destroyed and the array released.  Anything else -- an address mipc
 * never handed out, another space's memory, a count past the region --
 * is left alone.
 */
static void
destroy_name_array(struct mipc_space *space, const void *addr,
    mach_msg_size_t count, mach_msg_type_name_t type)
{
	mach_port_name_t chunk[64];
	struct ipc_vm_region *r;
	size_t i, n, done;

	if (addr == NULL || count == 0)
		return;
	r = ipc_vm_take(space, addr, (size_t)count * sizeof(chunk[0]));
	if (r == NULL)
		return;
	for (done = 0; done < count; done += n) {
		n = count - done < 64 ? count - done : 64;
		if (!ipc_vm_copyin(chunk, (const mach_port_name_t *)addr + done,
		        n * sizeof(chunk[0])))
			break;
		for (i = 0; i < n; i++)
			destroy_name(ipc_space_handle(space), chunk[i], type);
	}
	ipc_vm_free(r);
}

/*
 * mipc_msg_destroy
 *	libsyscall's mach_msg_destroy (O3) for a received message,
 *	trusting nothing in it: fields are read at any alignment, nothing at
 *	or past msgh_size is read (a header cut short names nothing; a
 *	descriptor count larger than the body, or a descriptor cut short,
 *	ends the walk there), and out-of-line memory is only released -- an
 *	OOL ports array only read -- when the space holds it (vm.c).
 */
void
mipc_msg_destroy(mipc_space_t task, mach_msg_header_t *msg)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	const char *m = (const char *)msg;
	mach_msg_header_t h;
	mach_msg_body_t body;
	uint32_t i, off = sizeof(mach_msg_base_t);

	if (msg == NULL || ipc_space_acquire(task, &space) != KERN_SUCCESS)
		return;
	/* msgh_bits and msgh_size, then the rest if msgh_size holds it. */
	memcpy(&h, m, offsetof(mach_msg_header_t, msgh_remote_port));
	if (h.msgh_size < sizeof(h))
		return;
	memcpy(&h, m, sizeof(h));
	destroy_name(
	    task, h.msgh_remote_port, MACH_MSGH_BITS_REMOTE(h.msgh_bits));
	if (!MACH_MSGH_BITS_IS_COMPLEX(h.msgh_bits) ||
	    h.msgh_size < sizeof(mach_msg_base_t))
		return;
	memcpy(&body, m + sizeof(h), sizeof(body));
	for (i = 0; i < body.msgh_descriptor_count; i++) {
		uint8_t type;

		/* Its type byte ends the 12 bytes every descriptor has. */
		if (h.msgh_size - off < 12)
			return;
		type = (uint8_t)m[off + 11];
		if (type != MACH_MSG_PORT_DESCRIPTOR && h.msgh_size - off < 16)
			return;
		switch (type) {
		case MACH_MSG_PORT_DESCRIPTOR: {
			mach_msg_port_descriptor_t p;

			memcpy(&p, m + off, sizeof(p));
			destroy_name(task, p.name, p.disposition);
			off += 12;
			break;
		}
		case MACH_MSG_OOL_DESCRIPTOR:
		case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
			mach_msg_ool_descriptor_t o;

			memcpy(&o, m + off, sizeof(o));
			if (o.address != NULL && o.size != 0)
				(void)ipc_vm_release(
				    space, (vm_address_t)o.address, o.size);
			off += 16;
			break;
		}
		case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
			mach_msg_ool_ports_descriptor_t o;

			memcpy(&o, m + off, sizeof(o));
			destroy_name_array(
			    space, o.address, o.count, o.disposition);
			off += 16;
			break;
		}
		case MACH_MSG_GUARDED_PORT_DESCRIPTOR: {
			mach_msg_guarded_port_descriptor_t g;

			memcpy(&g, m + off, sizeof(g));
			if (MACH_PORT_VALID(g.name))
				(void)mipc_port_destruct(
				    task, g.name, 0, g.context);
			off += 16;
			break;
		}
		default:
			return;
		}
	}
}

void
mach_msg_destroy(mach_msg_header_t *msg)
{
	mipc_msg_destroy(mipc_thread_space(), msg);
}
