/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mqueue.c -- message queues: a ring per port (many senders, many
 * receivers; ck_ring's MPMC algorithm, with the queue count folded into
 * its producer head), an overflow list for what the ring cannot hold, a
 * handoff area for a send-once reply to an empty queue, queue limits, and
 * the waits on them (spin policy and futex in waitq.c).
 *
 * Owns:      struct ipc_mqueue (embedded in each port) and its ring.
 * Locking:   no lock on the ring.  imq_ovf_lock (IPC_RANK_LEAF) covers the
 *            overflow list.  The ring's heads and futex words are
 *            atomics.
 * Ordering:  [R9]/[A9]   ring slots: a slot is written before p_tail
 *                        publishes it (imq_ring_commit's store fence), and
 *                        read after p_tail and before c_head is reread
 *                        (head_look's load fences); TSan learns it from
 *                        annotations on the kmsg.
 *            [R10]/[A10] a ring is built before the CAS that publishes it
 *                        (ring_get); readers reach it through that pointer
 *                        (address dependency).
 *            [R11]       imq_ovf_n drops only after the ring has the
 *                        message; partner [A11] in ipc_mqueue_enqueue.
 *            [R19]/[A19] a dequeue's c_word CAS drops the count; counts
 *                        read rg_p_head before c_head (imq_ring_count; see
 *                        Counting).
 *            [R59]/[A59] a handoff message is written before rg_ho_pub
 *                        publishes it, and read after (Handoff).
 *            [R60]/[A60] its receiver's reads of the area before
 *                        rg_ho_free gives it back; the next handoff's
 *                        writes after.
 *            [R61]/[A61] a sender's handoff publication before its later
 *                        ring commits (imq_ring_commit's store fence); a
 *                        receiver's p_tail load before its look at the
 *                        handoff count: FIFO across the two (Handoff).
 *            [R81]/[A81] a taker's reads of an inline message before it
 *                        gives the storage back; the next sender's writes
 *                        after it sees it free (Inline messages).
 *            [R123]/[A123] a sender's reads of the receivers' line
 *                        (c_head, the give-backs) before the snapshot it
 *                        leaves; a sender that trusts a snapshot, its
 *                        load before its writes (Senders' snapshot).
 *            [R124]/[A124] a receiver's p_tail load before the copy it
 *                        leaves in rg_c_tail; a receiver that trusts the
 *                        copy, its load before the slot's and the handoff
 *                        count's (Receivers' tail).
 *            [R120]/[A120] a taker's reads of an inline message (its
 *                        copy, its kind) before its hold; the peeker that
 *                        ends the hold after it sees it (Inline messages).
 *            [F82]       a receiver's hold of inline storage for a
 *                        peeker before its second look at the hook; the
 *                        peeker's clear of the hook before its look at
 *                        held storage (Inline messages).
 *            [F1]        waiter handshakes (waitq.c) after every
 *                        publication; see Lost wake-ups.
 *            [F58]       a peeker's hook before its look at c_head, a
 *                        receiver's claim before its look at the hook;
 *                        [R57]/[A57] the peeker's reads before the hook
 *                        goes ([T57] for TSan).  See Peeking at a message.
 * Lifetime:  the ring is allocated on the first enqueue (the seed's
 *            "message queue on demand"), with a slot per message the
 *            queue limit then admits (16 to 1024: PERF.md 3.3), and
 *            freed with the port; the handoff area and the inline
 *            storage (IMQ_INL_SLOTS storages of 128 bytes at most) are part of it;
 *            a ring starts on a cache line (ipc_alloc_line).
 *            Messages in the queue belong to it; a dead port's queue is
 *            drained by whoever sees it dead (the destroyer, or a late
 *            sender).
 *            A queued message marked IKM_F_BORROWED holds no reference on
 *            its port: the queue borrows the port's existence.  That holds
 *            because a port's last reference goes only after its death
 *            and the destroyer's drain (port.c), a late sender drains
 *            inside its own epoch section, and receivers consume such a
 *            right inside the section they took it in (msg.c).
 *
 * Theory of operation
 *
 * Order.  The ring is the front of the queue, the overflow list its back:
 * a sender appends to the overflow list whenever it is not empty or the
 * ring is full, and receivers refill the ring from the overflow list (under
 * its lock, decrementing imq_ovf_n only once a message is in the ring).  A
 * sender that sees imq_ovf_n == 0 therefore knows every earlier message is
 * already in the ring, so messages a thread sends arrive in order (J4).
 *
 * Counting.  The queued count is the ring's occupancy (next position
 * reserved minus c_head) plus the messages admitted but not in the ring:
 * those waiting to be queued, the overflow list's and a handoff (below),
 * counted in the high half of rg_p_head, beside the position.  So one CAS
 * on rg_p_head admits against the limit and reserves a slot
 * (msg.c's reserve_fp: the send fast path's messages, with the ring's room
 * and an empty overflow list), or admits a message queued later
 * (ipc_mqueue_admit: pending + 1; its enqueue, or a refill from the
 * overflow list, moves it from pending to a position), and a receiver's
 * c_word CAS takes one out (a handoff's receiver gives its pending count
 * back after): no other counter is touched per message.  A send through a
 * send right is admitted only while the count < qlimit (J5, J7); send-once
 * messages and notifications are always admitted (J6), up to
 * MACH_PORT_QLIMIT_KERNEL.  After taking
 * a message a receiver admits blocked senders (J8).  A limit larger than
 * the ring is honoured through the overflow list.  An admission reads
 * the head, then c_head ([A19]), then CASes the head: a refusal is exact
 * at the first load (c_head only grows, so the count then was at least
 * what it computed), and a successful CAS means the head had not moved,
 * so the count stayed below the limit.  A negative occupancy (receivers
 * took, between the loads, messages reserved after the first) is looked
 * at again.  The send fast path counts by the senders' snapshot's c_head
 * instead (below), read at some time before: at least the count, so a
 * message it admits is admitted; anything short of a slot sends it to the
 * reading above (ipc_mqueue_admit_below), so a refusal stays exact.
 *
 * Blocked senders.  A sender that finds the queue full spins, then blocks
 * on the port's send turnstile: it donates its turnstile, pushes its
 * priority on the port's inheritor (turnstile.c) and parks on its own
 * word.  Room goes to blocked senders before anyone else, highest priority
 * first, FIFO among equals (XNU wakes the turnstile's top waiter): while
 * imq_snd_wq counts a blocked sender, ipc_mqueue_admit refuses send-right
 * messages, and whoever makes room -- a dequeue, a raised limit -- takes
 * the port lock, reserves the room for the top waiters and unparks them.
 *
 * Sequence numbers.  A message's sequence number is its ring position plus
 * the handoffs taken before it, minus imq_seq_base: c_word packs the two
 * counts a take moves (the next position, the handoffs taken), so each
 * take's CAS numbers it: dequeue order and seqno order agree even with
 * several receivers (U1), and a handoff message gets the number the ring
 * would have given it.  set_seqno and moves rebase (U3, U4).
 *
 * Peeking.  Slots carry the message size, so a receiver checks whether the
 * head fits (K3-K5) from its copy of the slot, validated by c_head being
 * unchanged, without touching a kmsg that another receiver may be
 * destroying.  MACH_RCV_LARGE leaves the message in place.
 *
 * Peeking at a message (mach_port_peek, U6).  A receiver frees the
 * message it takes as soon as it has copied it out; a peeker reading a
 * queued message's header must not see it freed (or reused) meanwhile.
 * The peeker -- one per port at a time: it holds the port lock, which no
 * receiver takes -- sets IP_RCV_HOOK_PEEK in the hook word every dequeue
 * reads anyway, fences, then finds the message and checks c_head has not
 * passed it.  A receiver claims with its CAS on c_head and then, after
 * the [F1] fence it already has, loads the hook word.  That is the
 * store-buffering pattern ([F58]): either the peeker sees the claim (and
 * leaves the message alone, or looks again) or the receiver sees the hook
 * and marks the message IKM_KIND_PEEKED, so that ipc_kmsg_free retires it
 * through the epoch, after the peeker's section.  A receiver that sees
 * the hook already cleared sees it after the peeker's reads ([R57]/[A57]:
 * a release fence before the clear; the receiver's free is a store behind
 * the branch on that load).  Receivers pay nothing: the hook word was
 * loaded and tested before peeking existed.  Messages in the overflow
 * list are read under imq_ovf_lock, which keeps them from the ring.
 *
 * Handoff (PERF.md 3.4b).  A send-once reply to an empty queue -- the
 * special reply port's case: one client polling or parked -- is written
 * in place into the ring's handoff area, a kmsg of kind IKM_KIND_HANDOFF
 * with room for IMQ_HO_MAX message bytes, instead of a kmsg from the
 * cache and a ring slot: no allocation and free, no slot to fill and
 * publish.  It is a queued message like any other: admitted as pending in
 * rg_p_head (so counted, mps_msgcount, with the limits' arithmetic
 * unchanged), taken by the same CAS on c_word as a ring slot (the handoff
 * count moving instead of the position), numbered as the ring would have
 * numbered it, left in place by MACH_RCV_LARGE with its size in
 * rg_ho_size as a slot's, found by peek, drained by a death.  What takes
 * it gets the area's kmsg, and freeing it gives the area back
 * (ipc_mqueue_handoff_done; kmsg.c releases the destination right after
 * that, since the right may hold the last reference on the port).
 *   A sender uses the area only when its admission finds the queue empty
 * -- nothing pending, every earlier position taken -- and the last
 * handoff given back (rg_ho_free == rg_ho_pub).  So at most one handoff
 * is in the area, and its sender writes it alone: every other sender was
 * admitted after it (the pending count it added was in their head) or
 * after its receiver took it; whoever finds the area still being copied
 * out uses the ring.  The area is published by rg_ho_pub and taken while
 * rg_ho_pub differs from c_word's handoff count.
 *   Order: nothing queued before a handoff is still in the queue, so a
 * published handoff goes first (head_look looks at it before the ring's
 * head).  A later message of the same sender, in the ring, is committed
 * after the handoff's publication ([R61]); a receiver that sees it
 * (p_tail) sees the handoff ([A61]), so it takes the handoff first (J4).
 *   Why a kmsg in the area rather than the brief's bare header + body
 * beside a sequence word, outside the ring: a message that bypassed the
 * ring's positions would need its own numbering and ordering against the
 * ring's (every reader of the queue, peek, drain, sets, descriptors
 * taught about it), and copyout, too-large and destruction a second
 * implementation.  In the ring's numbering and as a kmsg, every reader
 * and consumer stays as it was; the price is the kmsg's line of
 * metadata in the area (2 lines for a 64-byte message, not 1).
 *
 * Inline messages (PERF.md 3.5).  A ring has up to IMQ_INL_SLOTS
 * storages of 128 bytes (mqueue.h, struct imq_inl), position p's being
 * p mod their number: a line of kmsg and a line of message.  A simple message of up to IMQ_INL_MAX bytes that the send
 * fast path queues in a slot is written there, as a kmsg of kind
 * IKM_KIND_INLINE, instead of a kmsg from the cache: no allocation, free
 * or cross-CPU depot traffic, and a message moves one line of it, its
 * message's: its sender writes the kmsg's line only where the metadata
 * differs from what the storage holds (kmsg.h, ipc_kmsg_init_inline), so
 * in a stream that line stays in both sides' caches.  Its slot
 * publishes a pointer to it as to any kmsg, so peek, seqno, sets, waitfd,
 * counting, death and drain see a kmsg like any other.
 *   Reuse.  A receiver's c_word CAS frees the position, so the next sender
 * at the position that shares the storage may reserve it while the
 * receiver still reads the message.  So the storage has a state of its
 * own: the uses its senders made of it (rg_inl_use[i], on the ring's
 * senders' line) and the uses its takers gave back (rg_inl_done[i], on
 * the receivers' line), free while they agree.  The sender that reserves
 * a position uses its storage only if, read before its reservation,
 * fewer positions than storages were queued ahead of it -- so every
 * earlier position sharing the storage was taken, after its sender
 * counted its use ([A9]) -- and the counts agreed (imq_admit_below reads
 * both, through the senders' snapshot, before the head it reserves at;
 * only the sender of that position
 * can count a use, and the sender of a later position that shares the
 * storage cannot pass the first test before this one is taken); it counts
 * its use after its CAS, before its commit (imq_inl_claim).  Else it is
 * admitted without a slot and takes a kmsg from the cache (its failure
 * gives the room back: nothing is promised before).  The taker gives the
 * storage back ([R81]) once nothing reads the message any more, found
 * from the kmsg alone through its ikm_desc_off (imq_inl_back).  Why
 * counts on the ring's two lines rather than a state word in the kmsg:
 * a taker writing the kmsg's line made the next sender there read the
 * line back from the taker's core before its reservation; the taker now
 * writes only the line its c_word CAS writes for every message anyway,
 * the sender only the line its head CAS does, and a storage's lines go
 * one way, from senders to receivers (PERF.md 3.5).
 *   Lifetime.  An inline kmsg never leaves its queue but for the section
 * of its taker: ipc_mqueue_peek_take copies it into the taker's buffer
 * (kind IKM_KIND_COPY: freeing it is nothing) and gives the storage back,
 * or -- the receive fast path, when no hook was set at the take -- hands
 * over the storage's kmsg itself, which the taker copies out and frees
 * (gives back) before its section ends.  Sections keep the port, so the
 * ring, alive: no inline message outlives its storage, whatever follows
 * (a too-large receive, a death, a drain behind a cascade, a set).
 *   Peekers.  A peeker reads a queued message's kmsg: a receiver that saw
 * the peek hook at its take ([F58]) must not let the storage be reused
 * until the peeker is done.  It marks the storage held (its kmsg's kind
 * IMQ_INL_HELD_KIND) instead of giving it back, fences ([F82]) and looks
 * at the hook again: clear, the peeker that could have read the message
 * is done (one peeker at a time; it clears the hook after its reads,
 * [R57]), and the receiver ends the hold.  The peeker, after clearing the
 * hook, fences ([F82]) and ends every hold: store-buffering, so one of
 * the two sees the other.  Whoever ends a hold (a CAS of the kind back to
 * IKM_KIND_INLINE) gives the storage back, so it is given back once.
 *   Cost: 2 KiB of storage per ring whatever its size (a ring of 16
 * slots: 2.7 KiB in all; of 1024: 18.4 KiB), a deep queue's messages past
 * the sixteenth in cache kmsgs, and a receiver outside the fast path
 * copies 128 bytes.
 *
 * Lines of the ring.  Every line both sides write makes each side wait
 * for the other's core in turn: a locked instruction (the head's CAS, the
 * tail's swap, c_word's CAS) waits for every line the other side pulled
 * to itself since our last write (x86 drains the store buffer).  So the
 * receivers' line (c_word, the handoff counts, the give-backs) is written
 * by receivers only, the senders' line (the head, the use counts) by
 * senders only, and p_tail -- which an empty receiver polls -- is alone
 * on a third line, so that the polling takes only it from the sender,
 * not the line of the head its next CAS needs.  And each side reads the
 * other's line only when what it last learnt of it runs out:
 *
 * Receivers' tail (PERF.md 2.3; ZeroMQ's ypipe reads its writer's
 * pointer once for every item published before it).  A receiver that
 * reads p_tail leaves it in rg_c_tail, on the receivers' line ([R124]:
 * an acquire of what p_tail published, then a release to whoever reads
 * the copy); a receiver takes the positions below the copy without
 * reading p_tail again ([A124], the fence head_look had for p_tail, so
 * the slot, and the handoff count of Handoff's FIFO argument, come
 * after).  Any value p_tail had is good forever: p_tail only grows, so
 * positions below it stay published.  Receivers race to store it, so the
 * copy may go back (a receiver stores an older value than another's), or
 * fall behind c_head: a receiver uses it only while it is ahead of c_head
 * by a ring at most (p_tail never is further: a position is reserved only
 * with its slot taken), else reads p_tail -- the empty case, where
 * nothing is saved and nothing lost.  A copy stored late by a receiver
 * preempted between its load of p_tail and its store is then misread
 * only if the positions that passed meanwhile come within a ring of a
 * multiple of 2^32 -- the wrap c_word's 32-bit positions allow its CAS
 * already -- not, as a signed difference would have it, any number past
 * 2^31.
 *
 * Senders' snapshot.  A sender needs from the receivers' line the count
 * (c_head, for the limit and the ring's room) and whether its storage is
 * free (the give-backs, Inline messages), and both only grow: a stale
 * reading errs on the safe side.  So a sender that reads them leaves what
 * it read in rg_s_snap, on the senders' line: the c_head, then a map of
 * the storages whose counts agreed, in one word ([R123], after an
 * acquire of the give-backs); the send fast path admits and reserves by
 * the snapshot ([A123]) and reads the receivers' line afresh only when
 * the snapshot gives less than a slot with its storage (imq_admit_below,
 * ipc_mqueue_admit_below, ipc_mqueue_snap_read): in a stream, once for
 * every IMQ_INL_SLOTS messages at most, not once a message.  The map is
 * trusted for the next position P only when P is fewer than
 * IMQ_INL_SLOTS past the snapshot's own c_head: then every earlier
 * position sharing P's storage was taken before the snapshot was read, so
 * its use was counted in it ([A9], as the direct look had it), and no
 * position reserved since shares the storage (it would be P or beyond).
 * Free then, not used since: free now.  Never past a c_head read later
 * (a small limit's count, read afresh on the fast path, says nothing of
 * uses made after the map).  A sender storing a snapshot it read long
 * ago only makes the others look again; the distance is unsigned, so a
 * snapshot must not be read 2^32 positions before it is stored -- nor be
 * left that long: 2^32 positions on, its c_head reads as one just behind
 * the head, and the fast path would admit past the limit into slots and
 * storages in use.  So every reservation keeps it close: the fast path
 * trusts it, even for its fallback count at the limit, only less than a
 * ring behind (further, the slow path leaves a new one), and a
 * reservation made without it (ring_reserve_admitted: send-once
 * messages, refills) leaves a new one once it is IMQ_SNAP_FAR behind.
 *
 * Lost wake-ups.  Receivers wait on imq_rcv_wq (and on their set's
 * ips_rcv_wq) with waitq.c's protocol ([F1]); blocked senders count
 * themselves in imq_snd_wq the same way.  Each publication here -- a ring
 * commit, an overflow append, room made by a dequeue, a death -- is
 * followed by ipc_waitq_fence and a look at the waiter count.  Where the
 * publication is itself an atomic op (the p_tail swap, the c_head CAS)
 * the fence is free on x86.  An
 * uncontended send or receive finds no waiter and makes no system call.
 */
#include "mqueue.h"

#include "cache.h"
#include "kmsg.h"
#include "lock.h"
#include "port.h"
#include "port_request.h"
#include "pset.h"
#include "reply.h"
#include "thread.h"
#include "turnstile.h"
#include "waitfd.h"
#include "waitq.h"
#include "workloop.h"

#include <mipc/sync.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Ring                                                                */

static void
ring_free(struct imq_ring *ring)
{
	ipc_free_line(IPC_KIND_MISC, ring, imq_ring_bytes(ring->rg_mask + 1));
}

/*
 * The ring, allocated on first use, with room for `qlimit` messages
 * (IMQ_RING_MIN to IMQ_RING_MAX slots).  Returns NULL only when memory
 * is exhausted.
 */
static struct imq_ring *
ring_get(struct ipc_mqueue *mq, uint32_t qlimit)
{
	struct imq_ring *ring = ck_pr_load_ptr(&mq->imq_ring), *mine;
	uint32_t slots = IMQ_RING_MIN, i;

	if (likely(ring != NULL)) {
		/* [A10]: the ring's fields through its pointer ([R10]). */
		ck_pr_fence_load_depends();
		ipc_tsan_acquire(ring);
		return ring;
	}
	while (slots < qlimit && slots < IMQ_RING_MAX)
		slots <<= 1;
	mine = ipc_alloc_line(IPC_KIND_MISC, imq_ring_bytes(slots));
	if (mine == NULL)
		return NULL;
	memset(mine, 0, imq_ring_bytes(slots));
	mine->rg_mask = slots - 1;
	mine->rg_s_mask = slots - 1;
	/* The snapshot of an empty ring: every storage free (zero counts). */
	mine->rg_s_snap = IMQ_SNAP(0, (1u << IMQ_INL_SLOTS) - 1);
	/* What senders do not write (ipc_kmsg_init_inline); ikm_ndesc 0. */
	for (i = 0; i < IMQ_INL_SLOTS; i++) {
		struct imq_inl *in = imq_ring_inl_at(mine, slots - 1) + i;

		in->in_kmsg.ikm_alloc = sizeof(struct imq_inl);
		in->in_kmsg.ikm_desc_off = imq_inl_back(mine, i);
	}
	ipc_tsan_release(mine);
	/*
	 * [R10]: the ring is built before the CAS publishes it (on ARM64 a
	 * CAS orders nothing by itself: ck_stack_push_upmc fences likewise).
	 * The loser of a race frees its own.
	 */
	ck_pr_fence_store_atomic(); /* [R10] */
	if (!ck_pr_cas_ptr(&mq->imq_ring, NULL, mine)) {
		ring_free(mine);
		ring = ck_pr_load_ptr(&mq->imq_ring);
		ck_pr_fence_load_depends(); /* [A10] */
		ipc_tsan_acquire(ring);
		return ring;
	}
	return mine;
}

/*
 * Publishing reserved slot `ticket` (imq_ring_commit, mqueue.h): commits
 * are in ticket order, so we wait for the producer before us; this is ck_ring's commit loop, except that
 * a producer preempted between reserve and commit (two senders sharing a
 * CPU) would leave us spinning out our whole time slice, so after
 * IMQ_COMMIT_SPINS pauses we yield the CPU to it.  Yielding alone does
 * not end it: the one we yield to reserves its next position before we
 * have published, so each then waits for the other, a switch per message
 * (stream 2->1: 0.74 involuntary switches and 3.1 us a message).  A
 * sender on the fast path therefore waits the same way before reserving
 * while a reservation ahead is unpublished (imq_reserve_behind, a hint).
 */
#define IMQ_COMMIT_SPINS 64

/* imq_ring_commit's wait for the producer before us, out of its way. */
__attribute__((noinline, cold)) void
ipc_mqueue_commit_wait(struct imq_ring *ring, uint32_t ticket)
{
	unsigned int spins = 0;

	while (ck_pr_load_32(&ring->rg_p_tail) != ticket) {
		ipc_debug_yield(IPC_YIELD_SPIN);
		if (++spins < IMQ_COMMIT_SPINS) {
			ck_pr_stall();
		} else {
			spins = 0;
			sched_yield();
		}
	}
}

/*
 * imq_reserve_behind's wait: as commit_wait's, IMQ_COMMIT_SPINS pauses
 * for a sender on another CPU, then one yield for one preempted on ours;
 * then we reserve anyway (a hint: nothing waits on it for good).
 */
__attribute__((noinline, cold)) void
ipc_mqueue_reserve_wait(struct imq_ring *ring)
{
	unsigned int spins;

	for (spins = 0; spins < IMQ_COMMIT_SPINS; spins++) {
		if (ck_pr_load_32(&ring->rg_p_tail) ==
		    IMQ_POS(ck_pr_load_64(&ring->rg_p_head)))
			return;
		ipc_debug_yield(IPC_YIELD_SPIN);
		ck_pr_stall();
	}
	sched_yield();
}

/* imq_admit_below's look at the receivers' line (mqueue.h), out of its way. */
__attribute__((noinline)) uint64_t
ipc_mqueue_snap_read(struct imq_ring *ring)
{
	const uint64_t *done =
	    (const uint64_t *)(const void *)ring->rg_inl_done;
	const uint64_t *use = (const uint64_t *)(const void *)ring->rg_inl_use;
	const uint64_t low = 0x7fff7fff7fff7fffull;
	uint64_t gather = 0x0000200040008001ull, s, busy = 0;
	uint32_t c, j;

	ck_pr_fence_load(); /* [A19]: the head, then c_head */
	c = imq_ring_c_head(ring);
	ck_pr_fence_load(); /* [A9]: the use counts after c_head */
	/*
	 * Four counts at a time: a lane of done ^ use is nonzero (its top
	 * bit set below) when the two differ; one multiplication gathers
	 * the four top bits into bits 45-48 (no two products overlap; those
	 * above land past bit 15 of the map, cut below).  The constant kept
	 * out of the compiler's sight: one multiplication, not six shifts.
	 */
	__asm__("" : "+r"(gather));
	for (j = 0; j < IMQ_INL_SLOTS / 4; j++) {
		uint64_t x = ck_pr_load_64(&done[j]) ^ ck_pr_load_64(&use[j]);

		x = (((x & low) + low) | x) & ~low;
		busy |= ((x >> 15) * gather) >> 45 << (4 * j);
	}
	s = IMQ_SNAP(c, ~(uint32_t)busy & ((1u << IMQ_INL_SLOTS) - 1));
	/* A sender that trusts the snapshot trusts our reads: what made
	 * them (the give-backs), then the snapshot (Senders' snapshot). */
	ck_pr_fence_acqrel(); /* [A81] the give-backs seen; [R123] then s */
	ck_pr_store_64(&ring->rg_s_snap, s);
	return s;
}

/*
 * imq_admit_below (mqueue.h) when the senders' snapshot gives less than a
 * slot, or another sender moved the head: its answer from the receivers'
 * line read afresh after the head, each time round (Counting: a refusal
 * is exact at the head's load).
 */
__attribute__((noinline)) enum imq_admit
ipc_mqueue_admit_below(struct imq_ring *ring, uint32_t limit, bool want_slot,
    bool inl, uint32_t *ticket)
{
	uint64_t h = ck_pr_load_64(&ring->rg_p_head), next, s;

	for (;;) {
		int32_t n;

		s = ipc_mqueue_snap_read(ring); /* [A19] inside */
		n = (int32_t)(IMQ_POS(h) - IMQ_SNAP_C(s));
		if (IMQ_PEND(h) < limit && (uint32_t)n < limit - IMQ_PEND(h)) {
			bool slot = want_slot && (uint32_t)n <= ring->rg_s_mask;

			if (inl && slot) {
				if ((uint32_t)n > IMQ_INL_MASK)
					return IMQ_DEEP;
				slot = imq_inl_free(ring, s, IMQ_POS(h));
			}
			next = slot ? IMQ_HEAD(IMQ_POS(h) + 1, IMQ_PEND(h))
			            : IMQ_HEAD(IMQ_POS(h), IMQ_PEND(h) + 1);
			/* Relaxed: imq_ring_commit publishes a slot. */
			if (ck_pr_cas_64_value(&ring->rg_p_head, h, next, &h)) {
				*ticket = IMQ_POS(h);
				return slot ? IMQ_SLOT : IMQ_PENDING;
			}
		} else if (n >= 0) {
			return IMQ_FULL;
		} else {
			h = ck_pr_load_64(&ring->rg_p_head);
		}
	}
}

/*
 * Reserve the next slot for a message admitted already (counted as
 * pending in rg_p_head): one CAS moves it from pending to the ring.
 * False when the ring is full.
 */
static inline __attribute__((always_inline)) bool
ring_reserve_admitted(struct imq_ring *ring, uint32_t *ticket)
{
	uint64_t h = ck_pr_load_64(&ring->rg_p_head);

	for (;;) {
		uint32_t c;

		ck_pr_fence_load(); /* [A19]: the head, then c_head */
		c = imq_ring_c_head(ring);
		/* Stale c (smaller) only makes the ring look fuller. */
		if (IMQ_POS(h) - c > ring->rg_s_mask) {
			uint64_t again = ck_pr_load_64(&ring->rg_p_head);

			if (again == h)
				return false;
			h = again;
			continue;
		}
		ipc_require(IMQ_PEND(h) != 0, "an admitted message is pending");
		/* Relaxed: the slot is ours; imq_ring_commit publishes it. */
		if (ck_pr_cas_64_value(&ring->rg_p_head, h,
		        IMQ_HEAD(IMQ_POS(h) + 1, IMQ_PEND(h) - 1), &h)) {
			*ticket = IMQ_POS(h);
			/* Positions that pass the senders' snapshot by: a new
			 * one before it falls a wrap behind (Senders'
			 * snapshot).  Relaxed: a look at how far. */
			c = IMQ_SNAP_C(ck_pr_load_64(&ring->rg_s_snap));
			if (unlikely(IMQ_POS(h) - c > IMQ_SNAP_FAR))
				(void)ipc_mqueue_snap_read(ring);
			return true;
		}
	}
}

/* Put an admitted message in the ring, or return false when it is full. */
static inline __attribute__((always_inline)) bool
ring_put(struct imq_ring *ring, struct ipc_kmsg *kmsg, uint32_t size,
    uint32_t sflags)
{
	uint32_t ticket;

	if (!ring_reserve_admitted(ring, &ticket))
		return false;
	imq_ring_fill(ring, ticket, kmsg, size, sflags);
	return true;
}

/*
 * Take the handoff message head_look found (Handoff) -- or leave it, as
 * MACH_RCV_LARGE asks of one larger than need_max (IMQ_LEFT, *size set).
 * IMQ_EMPTY: another receiver took it or something else meanwhile; look
 * again.
 */
static inline __attribute__((always_inline)) enum imq_result
take_handoff(struct ipc_mqueue *mq, struct imq_ring *ring, uint32_t need_max,
    bool leave_large, struct ipc_kmsg **kmsgp, uint32_t *size, uint32_t *seqno)
{
	uint64_t w = ck_pr_load_64(&ring->rg_c_word);
	uint32_t sz;

	/* [A61]: c_word, then the handoff count (as head_look). */
	ck_pr_fence_load();
	if (ck_pr_load_32(&ring->rg_ho_pub) == IMQ_CW_HO(w))
		return IMQ_EMPTY; /* taken meanwhile */
	ck_pr_fence_load();       /* [A59]: its size after its publication */
	sz = ck_pr_load_32(&ring->rg_ho_size);
	ck_pr_fence_load(); /* [A9]: c_word reread after the copy */
	if (ck_pr_load_64(&ring->rg_c_word) != w)
		return IMQ_EMPTY;
	*size = sz;
	if (sz > need_max && leave_large)
		return IMQ_LEFT;
	ipc_debug_yield(IPC_YIELD_DEQUEUE);
	/* [A9]: the CAS claims what we validated (fence_store_atomic). */
	ck_pr_fence_store_atomic();
	/* [A59]: the claim; the area is ours to read from here. */
	if (!ck_pr_cas_64(
	        &ring->rg_c_word, w, IMQ_CW(IMQ_CW_POS(w), IMQ_CW_HO(w) + 1)))
		return IMQ_EMPTY;
	ipc_tsan_acquire(&ring->rg_ho); /* [T59] */
	*kmsgp = &ring->rg_ho.ho_kmsg;
	/* Sequence numbers: both halves of the c_word we took at. */
	*seqno =
	    IMQ_CW_POS(w) + IMQ_CW_HO(w) - ck_pr_load_32(&mq->imq_seq_base);
	/* It was pending (Counting): the count drops now.  Relaxed: the
	 * caller's [F1] orders this room as the ring's CAS. */
	ck_pr_sub_64(&ring->rg_p_head, IMQ_PEND_ONE);
	return IMQ_TAKEN;
}

/* ------------------------------------------------------------------ */
/* Overflow                                                            */

/* Conditions: imq_ovf_lock held. */
static void
ovf_append_locked(struct ipc_mqueue *mq, struct ipc_kmsg *kmsg)
{
	ipc_lock_assert_held(&mq->imq_ovf_lock);
	kmsg->ikm_next = NULL;
	if (mq->imq_ovf_tail != NULL)
		mq->imq_ovf_tail->ikm_next = kmsg;
	else
		mq->imq_ovf_head = kmsg;
	mq->imq_ovf_tail = kmsg;
	ck_pr_inc_32(&mq->imq_ovf_n); /* Relaxed: the lock orders the list */
}

/*
 * Move overflowed messages into the ring while it has room; imq_ovf_n
 * drops only once a message is in the ring (the ordering argument above).
 * Returns whether anything moved.
 */
static __attribute__((noinline)) bool
ovf_move(struct ipc_mqueue *mq, struct imq_ring *ring)
{
	bool moved = false;

	ipc_lock(&mq->imq_ovf_lock);
	while (mq->imq_ovf_head != NULL) {
		struct ipc_kmsg *k = mq->imq_ovf_head;
		uint32_t size = k->ikm_size;
		uint32_t sflags = imq_slot_flags(k);
		struct ipc_kmsg *next = k->ikm_next;

		/* [R9]: our reads of k are over before a receiver has it. */
		ipc_tsan_release(k);
		if (!ring_put(ring, k, size, sflags))
			break;
		mq->imq_ovf_head = next;
		if (mq->imq_ovf_head == NULL)
			mq->imq_ovf_tail = NULL;
		/* [R11]: the ring has it (imq_ring_commit) before the count drops. */
		ck_pr_fence_store_atomic();
		ck_pr_dec_32(&mq->imq_ovf_n);
		moved = true;
	}
	ipc_unlock(&mq->imq_ovf_lock);
	return moved;
}

/*
 * Refill the ring from the overflow list if it has anything (ovf_move): a
 * receiver polling an empty queue only looks at the count.
 */
static inline bool
ovf_refill(struct ipc_mqueue *mq, struct imq_ring *ring)
{
	if (ring == NULL || ck_pr_load_32(&mq->imq_ovf_n) == 0)
		return false;
	return ovf_move(mq, ring);
}

/* ------------------------------------------------------------------ */
/* Enqueue                                                             */

void
ipc_mqueue_init(struct ipc_mqueue *mq)
{
	memset(mq, 0, sizeof(*mq));
	ipc_lock_init(&mq->imq_ovf_lock, IPC_RANK_LEAF, "mqueue overflow");
}

/*
 * ipc_mqueue_prepare
 *	Make sure the port has its ring before a message is admitted; false
 *	when memory is exhausted (the sender reports MACH_SEND_NO_BUFFER).
 *	Once it exists, no enqueue can fail.
 */
bool
ipc_mqueue_prepare(struct ipc_port *port)
{
	return ring_get(&port->ip_mq, ck_pr_load_32(&port->ip_qlimit)) != NULL;
}

/* The ring of a port that has one (ipc_mqueue_prepare), else NULL. */
static inline struct imq_ring *
ring_of(const struct ipc_mqueue *mq)
{
	struct imq_ring *ring = ck_pr_load_ptr(&mq->imq_ring);

	ck_pr_fence_load_depends(); /* [A10] */
	ipc_tsan_acquire(ring);
	return ring;
}

/*
 * ipc_mqueue_admit
 *	Reserve room for one message: with `limited` (a send through a send
 *	right) only below qlimit, and only while no sender is blocked --
 *	blocked senders are admitted first, highest priority first -- else
 *	below MACH_PORT_QLIMIT_KERNEL.
 * Conditions:
 *	Nothing locked.  Never blocks.  Returns false when full.
 */
bool
ipc_mqueue_admit(struct ipc_port *port, bool limited)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring = ring_of(mq);
	uint32_t ticket;

	ipc_require(ring != NULL, "ipc_mqueue_prepare() before admit");
	if (!limited) {
		/*
		 * Far below the kernel limit as a rule: add, then look (a
		 * count over it is given back; racing a concurrent admission
		 * at the limit, both may be).  Relaxed: as imq_admit_below.
		 */
		uint64_t h = ck_pr_faa_64(&ring->rg_p_head, IMQ_PEND_ONE);
		int32_t n = imq_ring_count(ring, h);

		if (likely((uint32_t)(n < 0 ? 0 : n) + IMQ_PEND(h) <
		        MACH_PORT_QLIMIT_KERNEL))
			return true;
		ipc_mqueue_unadmit(port);
		return false;
	}
	if (unlikely(ck_pr_load_32(&mq->imq_snd_wq.wq_waiters) != 0))
		return false;
	return imq_admit_below(ring, ck_pr_load_32(&port->ip_qlimit), false,
	           false, &ticket) != IMQ_FULL;
}

/*
 * ipc_mqueue_unadmit
 *	Give back the room an ipc_mqueue_admit reserved for a message that
 *	is not sent after all; a sender that blocked meanwhile gets it.
 * Conditions: nothing locked (an epoch section may be open).
 */
void
ipc_mqueue_unadmit(struct ipc_port *port)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring = ring_of(mq);

	/* Relaxed: [F1] below orders it for waiters.  No borrow: pending
	 * counts our admission. */
	ck_pr_sub_64(&ring->rg_p_head, IMQ_PEND_ONE);
	/* [F1]: the freed room (an atomic op) before looking for senders. */
	ipc_waitq_fence(IPC_WAKE_AFTER_ATOMIC);
	if (unlikely(ck_pr_load_32(&mq->imq_snd_wq.wq_waiters) != 0))
		ipc_mqueue_admit_senders(port);
}

/*
 * Wake receivers after a message was published: the port's own, and
 * those of every set the port is in -- whose ready queue gets the port
 * first if it is not there (pset.c).
 * Conditions: inside an epoch section (the set links are read lock-free).
 */
static inline __attribute__((always_inline)) void
wake_receivers(struct ipc_port *port, bool atomic_publication)
{
	struct ipc_pset_link *l;

	/*
	 * [F1]: the publication before any waiter count (waitq.c); the same
	 * fence is [F13]'s: the message before a set link's ready flag.
	 */
	ipc_waitq_fence(
	    atomic_publication ? IPC_WAKE_AFTER_ATOMIC : IPC_WAKE_AFTER_STORE);
	ipc_waitq_wake_fenced(&port->ip_mq.imq_rcv_wq, IPC_WAKE_ALL);
	/* [A12]: each link read through its pointer ([R12] in pset.c). */
	for (l = ck_pr_load_ptr(&port->ip_psets); l != NULL;
	     l = ck_pr_load_ptr(&l->pl_next_in_port)) {
		struct ipc_pset *ps = ck_pr_load_ptr(&l->pl_pset);
		struct ipc_workloop *wl = ck_pr_load_ptr(&ps->ips_wl);

		/* Queued now: fence again, the queue is what they see. */
		if (ipc_pset_ready(l))
			ipc_waitq_wake(&ps->ips_rcv_wq, IPC_WAKE_AFTER_STORE,
			    IPC_WAKE_ALL);
		else
			ipc_waitq_wake_fenced(&ps->ips_rcv_wq, IPC_WAKE_ALL);
		/* A named set a workloop receives from wakes its servicer
		 * (the workloop is freed after a grace period). */
		if (unlikely(wl != NULL))
			ipc_waitq_wake_fenced(
			    &wl->wl_pset->ips_rcv_wq, IPC_WAKE_ALL);
	}
}

/*
 * ipc_mqueue_enqueue
 *	Append an admitted message and wake a receiver if one waits.
 * Conditions:
 *	Nothing locked; inside an epoch section.  Consumes kmsg.  If the
 *	port is found dead afterwards, the queue is drained (the message is
 *	destroyed with the rest, M5 / J9).
 * Ordering:
 *	[R9]: the ring publication releases the kmsg to the receiver ([A9]).
 *	[A11]: imq_ovf_n read as 0 means every earlier message is in the
 *	ring ([R11] in ovf_refill), so ours goes behind them (J4).
 */
void
ipc_mqueue_enqueue(struct ipc_port *port, struct ipc_kmsg *kmsg)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring = ring_of(mq);
	uint32_t size = kmsg->ikm_size;
	uint32_t sflags = imq_slot_flags(kmsg);
	bool in_ring = false;

	ipc_require(ring != NULL, "ipc_mqueue_prepare() before enqueue");
	/* S7: a reply reaching an SRP a workloop stashed is no lost link. */
	if (unlikely(port->ip_cflags & IP_F_SPECIAL_REPLY))
		ipc_special_reply_msg_sent(port);
	ipc_tsan_release(kmsg); /* [R9]: no access to kmsg after this */
	if (likely(ck_pr_load_32(&mq->imq_ovf_n) == 0)) {
		/* [A11]: the count, then our reservation behind theirs. */
		ck_pr_fence_load_atomic();
		in_ring = ring_put(ring, kmsg, size, sflags);
	}
	if (unlikely(!in_ring)) {
		ipc_lock(&mq->imq_ovf_lock);
		ovf_append_locked(mq, kmsg);
		ipc_unlock(&mq->imq_ovf_lock);
		/* The ring may have emptied meanwhile: move forward. */
		ovf_refill(mq, ring);
	}
	wake_receivers(port, in_ring);
	/* [F1] (above) also orders our publication before this state load. */
	if (unlikely(!ip_active(port)))
		ipc_mqueue_drain(port);
}

/*
 * ipc_mqueue_commit_wake
 *	The send fast path's (msg.c, commit_fp) after its publication, when
 *	there is anyone to wake or a dead port to drain.
 * Conditions: after the publication's [F1].
 */
__attribute__((noinline)) void
ipc_mqueue_commit_wake(struct ipc_port *port)
{
	wake_receivers(port, true);
	/* [F1] (above) also orders our publication before this state load. */
	if (unlikely(!ip_active(port)))
		ipc_mqueue_drain(port);
}

/*
 * ipc_mqueue_handoff_admit
 *	Admit a send-once message (J6: below MACH_PORT_QLIMIT_KERNEL, as
 *	ipc_mqueue_admit) and, when it makes the queue's count go from 0 to
 *	1 and the handoff area is free, give it the area (Handoff): its kmsg,
 *	made as ipc_kmsg_alloc makes one of `size` bytes, for the caller to
 *	fill and publish (ipc_mqueue_handoff_commit).  NULL otherwise:
 *	*admitted says whether the message was admitted all the same (it is
 *	queued the usual way, ipc_mqueue_enqueue) or refused.
 * Conditions:
 *	Nothing locked but the sender's space; inside an epoch section; the
 *	port has its ring (ipc_mqueue_prepare).
 * Ordering:
 *	[A60]: the area given back (rg_ho_free) before we write it.
 */
struct ipc_kmsg *
ipc_mqueue_handoff_admit(struct ipc_port *port, uint32_t size, bool *admitted)
{
	struct imq_ring *ring = ring_of(&port->ip_mq);
	uint64_t h = ck_pr_faa_64(&ring->rg_p_head, IMQ_PEND_ONE); /* Relaxed */
	int32_t n = imq_ring_count(ring, h);
	struct ipc_kmsg *k;
	uint32_t pub;

	if (unlikely((uint32_t)(n < 0 ? 0 : n) + IMQ_PEND(h) >=
	        MACH_PORT_QLIMIT_KERNEL)) {
		ipc_mqueue_unadmit(port);
		*admitted = false;
		return NULL;
	}
	*admitted = true;
	/*
	 * Empty when we were admitted: nothing pending (that half of h is
	 * exact), and every position reserved before us taken (c_head,
	 * read after h, has reached h's).  The handoff goes first from now
	 * on (head_look), behind nothing that was queued before it.
	 */
	if (n != 0 || IMQ_PEND(h) != 0 || size > IMQ_HO_MAX)
		return NULL;
	pub = ck_pr_load_32(&ring->rg_ho_pub);
	if (ck_pr_load_32(&ring->rg_ho_free) != pub)
		return NULL;   /* the last one's receiver is still copying */
	ck_pr_fence_acquire(); /* [A60]: given back, then ours to write */
	ipc_tsan_acquire(&ring->rg_ho.ho_bytes); /* [T60] */
	k = &ring->rg_ho.ho_kmsg;
	ipc_kmsg_init(k, (uint32_t)sizeof(ring->rg_ho), IKM_KIND_HANDOFF, size);
	return k;
}

/*
 * ipc_mqueue_handoff_commit
 *	Publish the handoff message ipc_mqueue_handoff_admit gave the area
 *	to, and wake a receiver if one waits.
 * Conditions:
 *	As ipc_mqueue_enqueue, whose other ends it shares: a port found
 *	dead afterwards is drained, the handoff with the rest.
 * Ordering:
 *	[R59]: the area and its numbers before rg_ho_pub publishes them.
 */
void
ipc_mqueue_handoff_commit(struct ipc_port *port, struct ipc_kmsg *kmsg)
{
	struct imq_ring *ring = ring_of(&port->ip_mq);
	uint32_t pub = ck_pr_load_32(&ring->rg_ho_pub);

	/* S7: a reply reaching an SRP a workloop stashed is no lost link. */
	if (unlikely(port->ip_cflags & IP_F_SPECIAL_REPLY))
		ipc_special_reply_msg_sent(port);
	ck_pr_store_32(&ring->rg_ho_size, kmsg->ikm_size);
	ck_pr_store_32(&ring->rg_ho_id, (uint32_t)kmsg->ikm_header.msgh_id);
	ck_pr_store_32(&ring->rg_ho_sender, kmsg->ikm_sender);
	ipc_tsan_release(&ring->rg_ho); /* [T59] */
	ck_pr_fence_store(); /* [R59]: the message before its publication */
	/* [F1]: a swap, as imq_ring_commit's, for wake_receivers' fence. */
	(void)ck_pr_fas_32(&ring->rg_ho_pub, pub + 1); /* [R59] [F1] */
	wake_receivers(port, true);
	/* [F1] (above) also orders our publication before this state load. */
	if (unlikely(!ip_active(port)))
		ipc_mqueue_drain(port);
}

/*
 * ipc_mqueue_handoff_done
 *	The receiver (or destroyer) of a handoff message is done with the
 *	area: the next handoff may have it.  Its destination right is the
 *	caller's to release after this (it may hold the port's last
 *	reference, and the area is the port's).
 * Ordering:
 *	[R60]: our reads of the area before it is given back.
 */
void
ipc_mqueue_handoff_done(struct ipc_kmsg *kmsg)
{
	struct imq_ring *ring =
	    ipc_container_of(kmsg, struct imq_ring, rg_ho.ho_kmsg);
	uint32_t pub = ck_pr_load_32(&ring->rg_ho_pub);

	ipc_tsan_release(&ring->rg_ho.ho_bytes); /* [T60] */
	ck_pr_fence_release(); /* [R60]: our reads, then the area goes */
	ck_pr_store_32(&ring->rg_ho_free, pub);
}

/* ------------------------------------------------------------------ */
/* Dequeue                                                             */

/*
 * A receiver took a message from a port with hooks (ip_rcv_hooks):
 * P23: armed send-possible requests fire on a receiver's dequeue -- not on
 * a dead port's drain, where they owe DEAD_NAME (P24); descriptors of the
 * port and its sets may have to go unreadable (waitfd.c).
 */
static IPC_COLD void
dequeued_slow(struct ipc_port *port, struct ipc_kmsg *kmsg, uint32_t hooks)
{
	/*
	 * A peeker may be reading it: retired through the epoch.  Not a
	 * handoff message: a peeker reads only the ring's copies of its
	 * numbers (peek_ring), never the area.  Not a copy of an inline
	 * one: its storage is held instead (inl_give_back).
	 */
	if ((hooks & IP_RCV_HOOK_PEEK) &&
	    !(kmsg->ikm_kind & (IKM_KIND_HANDOFF | IKM_KIND_COPY)))
		kmsg->ikm_kind |= IKM_KIND_PEEKED;
	if ((hooks & IP_RCV_HOOK_SP_MASK) != 0 && ip_active(port))
		ipc_port_spnotify(port);
	if (hooks & IP_RCV_HOOK_FD)
		ipc_waitfd_dequeued(port);
}

/*
 * An inline message's storage, copied out by its taker, goes back to the
 * ring (Inline messages) -- unless a peeker may be reading the message
 * (hooks, loaded after the take: [F58]): then it is held until the hook
 * is seen clear, by us after [F82] or by the peeker after its own
 * (ipc_mqueue_peek_locked, inl_release_held).
 * Ordering:
 *	[R81]: our copy before the storage goes (imq_inl_free's [A81]).
 *	[R120]: our copy before the hold (inl_release_held's [A120]).
 */
static inline __attribute__((always_inline)) void
inl_give_back(struct ipc_port *port, struct imq_inl *in, uint32_t hooks)
{
	ipc_tsan_release(in); /* [T81] */
	if (likely(!(hooks & IP_RCV_HOOK_PEEK))) {
		ck_pr_fence_release(); /* [R81]: our copy, then the storage */
		imq_inl_give(&in->in_kmsg);
		return;
	}
	ck_pr_fence_release(); /* [R120]: our copy, then the hold */
	ck_pr_store_16(&in->in_kmsg.ikm_kind, IMQ_INL_HELD_KIND);
	/* [F82]: held before we look at the hook again; the peeker clears
	 * the hook before it looks at the storage. */
	arch_fence_full();
	/*
	 * [R81]: (the fence above) the peeker's reads are over ([A57]: it
	 * cleared the hook after them).  Whoever ends the hold gives back.
	 */
	if (ck_pr_load_32(&port->ip_rcv_hooks) & IP_RCV_HOOK_PEEK)
		return; /* the peeker ends the hold */
	/* Relaxed: which of the two ends it (the fence above orders). */
	if (arch_cas_16(
	        &in->in_kmsg.ikm_kind, IMQ_INL_HELD_KIND, IKM_KIND_INLINE)) {
		ipc_tsan_release(in); /* [T81] */
		/* [R81]: the kind back before the storage goes (a later
		 * taker reads it). */
		ck_pr_fence_release();
		imq_inl_give(&in->in_kmsg);
	}
}

/*
 * A peeker done with the queue (its hook cleared) gives back the inline
 * storage receivers held for it (inl_give_back).
 * Conditions: port locked (the one peeker), the hook cleared, [F82].
 */
static void
inl_release_held(struct imq_ring *ring)
{
	uint32_t i;

	for (i = 0; i < IMQ_INL_SLOTS; i++) {
		struct ipc_kmsg *k = &imq_ring_inl(ring, i)->in_kmsg;

		if (ck_pr_load_16(&k->ikm_kind) != IMQ_INL_HELD_KIND)
			continue;
		ck_pr_fence_acquire(); /* [A120]: the taker is done with it */
		ipc_tsan_acquire(imq_ring_inl(ring, i)); /* [T81] */
		/* Relaxed: which of the two ends it ([F82] orders). */
		if (arch_cas_16(
		        &k->ikm_kind, IMQ_INL_HELD_KIND, IKM_KIND_INLINE)) {
			ipc_tsan_release(imq_ring_inl(ring, i)); /* [T81] */
			/* [R81]: our reads (the [F82] fence) and the kind
			 * back before the storage goes. */
			ck_pr_fence_release();
			imq_inl_give(k);
		}
	}
}

/*
 * ipc_mqueue_taken_slow
 *	What a take (ipc_mqueue_peek_take, the receive fast path's) does
 *	after its claim beyond looking at two words: admit blocked senders
 *	(waiters, loaded after [F1]), run the receive hooks (hooks, loaded
 *	after [F58]), and copy an inline message into buf -- unless the
 *	taker keeps it (keep_inline) and no hook was set -- giving its
 *	storage back (Inline messages).  *kmsgp: the message taken, then
 *	what the taker has.
 * Conditions: as ipc_mqueue_peek_take, right after the claim.
 */
void
ipc_mqueue_taken_slow(struct ipc_port *port, bool keep_inline, uint32_t hooks,
    uint32_t waiters, struct imq_inl *buf, struct ipc_kmsg **kmsgp)
{
	struct imq_inl *in = NULL;

	if (waiters != 0)
		ipc_mqueue_admit_senders(port);
	if ((*kmsgp)->ikm_kind == IKM_KIND_INLINE &&
	    !(keep_inline && hooks == 0)) {
		/* Ours until given back (Inline messages): a copy. */
		in = ipc_container_of(*kmsgp, struct imq_inl, in_kmsg);
		memcpy(buf, in, sizeof(*buf));
		buf->in_kmsg.ikm_kind = IKM_KIND_COPY;
		*kmsgp = &buf->in_kmsg;
	}
	if (hooks != 0)
		dequeued_slow(port, *kmsgp, hooks);
	if (in != NULL)
		inl_give_back(port, in, hooks);
}

/*
 * ipc_mqueue_inline_copy
 *	Copy an inline message its taker kept (ipc_mqueue_peek_take with
 *	keep_inline) into buf -- a kmsg of kind IKM_KIND_COPY, returned --
 *	and give its storage back: for a taker that must go on with it
 *	after its section.
 * Conditions: inside the section it was taken in.
 */
struct ipc_kmsg *
ipc_mqueue_inline_copy(struct ipc_kmsg *kmsg, struct imq_inl *buf)
{
	struct imq_inl *in = ipc_container_of(kmsg, struct imq_inl, in_kmsg);

	memcpy(buf, in, sizeof(*buf));
	buf->in_kmsg.ikm_kind = IKM_KIND_COPY;
	ipc_mqueue_inline_done(kmsg);
	return &buf->in_kmsg;
}

/*
 * After a claim: [F1]: that room (an atomic op) before looking for
 * senders; [F58]: the claim before the hook word.  An inline message is
 * the taker's to be done with in its section if it keeps it and no hook
 * ran; else a copy (ipc_mqueue_taken_slow).
 */
static inline __attribute__((always_inline)) void
taken_tail(struct ipc_port *port, bool keep, bool inl, struct imq_inl *buf,
    struct ipc_kmsg **kmsgp)
{
	uint32_t waiters, hooks;

	ipc_waitq_fence(IPC_WAKE_AFTER_ATOMIC);
	waiters = ck_pr_load_32(&port->ip_mq.imq_snd_wq.wq_waiters);
	/* Armed send-possible requests, event-loop descriptors, a peeker. */
	hooks = ck_pr_load_32(&port->ip_rcv_hooks); /* [A57] */
	ipc_tsan_acquire(&port->ip_rcv_hooks);      /* [T57] */
	if (unlikely((waiters | hooks) != 0) || (inl && !keep))
		ipc_mqueue_taken_slow(port, keep, hooks, waiters, buf, kmsgp);
}

/*
 * ipc_mqueue_peek_take
 *	Look at the head message and take it -- unless it is larger than
 *	need_max and leave_large asks to leave such a message in place
 *	(MACH_RCV_LARGE).  A message in inline storage is copied into buf
 *	(a kmsg of kind IKM_KIND_COPY; *kmsgp points there) and the storage
 *	given back before we return (Inline messages) -- unless keep_inline
 *	asks for the storage's kmsg itself (IKM_KIND_INLINE), which we give
 *	when no hook was set at the take: the caller frees it (or copies it,
 *	ipc_mqueue_inline_copy) inside this section.
 * Conditions:
 *	Nothing locked; inside an epoch section.  buf is the caller's
 *	until it is done with the message.
 * Returns:
 *	IMQ_EMPTY, IMQ_LEFT (head left in place: *size is its size), or
 *	IMQ_TAKEN (*kmsgp and *seqno filled; the caller owns the message).
 */
enum imq_result
ipc_mqueue_peek_take(struct ipc_port *port, uint32_t need_max, bool leave_large,
    bool keep_inline, struct imq_inl *buf, struct ipc_kmsg **kmsgp,
    uint32_t *size, uint32_t *seqno)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring = ring_of(mq);
	struct imq_inl *in = NULL;
	struct imq_slot slot;
	enum imq_result r;
	enum imq_head at;
	uint64_t w;

	if (ring == NULL)
		return IMQ_EMPTY;
	for (;;) {
		at = imq_head_look(ring, &slot, &w, true);
		if (unlikely(at == HD_HANDOFF)) {
			r = take_handoff(mq, ring, need_max, leave_large, kmsgp,
			    size, seqno);
			if (r == IMQ_TAKEN)
				break;
			if (r == IMQ_LEFT)
				return IMQ_LEFT;
			continue; /* gone meanwhile */
		}
		if (at == HD_EMPTY) {
			if (ovf_refill(mq, ring))
				continue;
			return IMQ_EMPTY;
		}
		*size = slot.ims_size;
		if (slot.ims_size > need_max && leave_large)
			return IMQ_LEFT;
		ipc_debug_yield(IPC_YIELD_DEQUEUE);
		if (!imq_ring_take(ring, w))
			continue;                /* another receiver took it */
		ipc_tsan_acquire(slot.ims_kmsg); /* [A9]: pairs with [R9] */
		*kmsgp = slot.ims_kmsg;
		if (slot.ims_kmsg->ikm_kind == IKM_KIND_INLINE) {
			/* Ours until given back (Inline messages). */
			in = ipc_container_of(
			    slot.ims_kmsg, struct imq_inl, in_kmsg);
		}
		/* Sequence numbers: both halves of the c_word we took at. */
		*seqno = IMQ_CW_POS(w) + IMQ_CW_HO(w) -
		    ck_pr_load_32(&mq->imq_seq_base);
		break;
	}
	/*
	 * No count to drop for a ring message: the c_word CAS took it out
	 * of the count (Counting).  [F1]: that room (an atomic op) before
	 * looking for senders; [F58]: our claim (ring_take's CAS) before the
	 * hook word.
	 */
	taken_tail(port, keep_inline, in != NULL, buf, kmsgp);
	return IMQ_TAKEN;
}

/*
 * ipc_mqueue_take_handoff
 *	ipc_mqueue_peek_take for a receive fast path that found a handoff
 *	message at the head (imq_head_look): take it -- or leave it if it is
 *	larger than need_max (IMQ_LEFT) -- without looking again; gone
 *	meanwhile, ipc_mqueue_peek_take's from the start.
 * Conditions: as ipc_mqueue_peek_take (leave_large, keep_inline).
 */
enum imq_result
ipc_mqueue_take_handoff(struct ipc_port *port, uint32_t need_max,
    struct imq_inl *buf, struct ipc_kmsg **kmsgp, uint32_t *size,
    uint32_t *seqno)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	enum imq_result r =
	    take_handoff(mq, ring_of(mq), need_max, true, kmsgp, size, seqno);

	if (r == IMQ_EMPTY)
		return ipc_mqueue_peek_take(
		    port, need_max, true, true, buf, kmsgp, size, seqno);
	if (r == IMQ_TAKEN)
		taken_tail(port, true, false, buf, kmsgp);
	return r;
}

/* Where a peek found its message (peek_ring, peek_overflow). */
enum imq_peek_at { PK_FOUND, PK_ABSENT, PK_BEYOND, PK_AGAIN };

static void
peek_fill(struct ipc_kmsg *k, uint32_t seqno, struct imq_peek *pk)
{
	pk->ipk_seqno = seqno;
	pk->ipk_size = k->ikm_size;
	pk->ipk_id = k->ikm_header.msgh_id;
	pk->ipk_kernel = (k->ikm_flags & IKM_F_KERNEL) != 0;
	pk->ipk_sender = k->ikm_sender;
}

/*
 * The message seqno selects (the head for 0) -- the handoff message, which
 * goes first, or the one at its ring position -- read while it is still
 * queued.  PK_BEYOND: not in the ring (yet).
 * Conditions: as ipc_mqueue_peek_locked, IP_RCV_HOOK_PEEK set ([F58]).
 */
static enum imq_peek_at
peek_ring(struct ipc_mqueue *mq, struct imq_ring *ring, uint32_t seqno,
    struct imq_peek *pk)
{
	/* The port lock holds the numbering (set_seqno, moves). */
	uint32_t base = ck_pr_load_32(&mq->imq_seq_base);
	uint32_t c, p, pos, ho, lead;
	struct ipc_kmsg *k;
	uint64_t w;

	for (;;) {
		w = ck_pr_load_64(&ring->rg_c_word);
		c = IMQ_CW_POS(w);
		ho = IMQ_CW_HO(w);
		ck_pr_fence_load(); /* [A9]: c_head before p_tail */
		p = ck_pr_load_32(&ring->rg_p_tail);
		ck_pr_fence_load(); /* [A61]: p_tail before the handoff count */
		lead = ck_pr_load_32(&ring->rg_ho_pub) != ho;
		if (lead && (seqno == 0 || seqno == c + ho - base)) {
			/* The handoff message: the ring's copies of its
			 * numbers, good while c_word stays (no claim). */
			ck_pr_fence_load(); /* [A59]: after its publication */
			pk->ipk_seqno = c + ho - base;
			pk->ipk_size = ck_pr_load_32(&ring->rg_ho_size);
			pk->ipk_id = (int32_t)ck_pr_load_32(&ring->rg_ho_id);
			pk->ipk_sender = ck_pr_load_32(&ring->rg_ho_sender);
			pk->ipk_kernel = false;
			ck_pr_fence_load(); /* [A9]: c_word reread after */
			if (ck_pr_load_64(&ring->rg_c_word) == w)
				return PK_FOUND;
			continue; /* taken meanwhile: look again */
		}
		pos = seqno == 0 ? c : base + seqno - ho - lead;
		if ((int)(pos - c) < 0)
			return PK_ABSENT; /* taken already */
		if ((int)(pos - p) >= 0)
			return PK_BEYOND;
		ck_pr_fence_load(); /* [A9]: the slot after p_tail */
		k = ck_pr_load_ptr(
		    &ring->rg_slots[pos & ring->rg_mask].ims_kmsg);
		ck_pr_fence_load(); /* [A9]: c_head reread after the copy */
		w = ck_pr_load_64(&ring->rg_c_word);
		if (IMQ_CW_HO(w) != ho)
			continue; /* a handoff taken: numbered again */
		c = IMQ_CW_POS(w);
		if ((int)(pos - c) >= 0) {
			/* Still queued after our hook: ours to read. */
			ipc_debug_yield(IPC_YIELD_PEEK);
			break;
		}
		if (seqno != 0)
			return PK_ABSENT; /* taken meanwhile */
	}
	ipc_tsan_acquire(k); /* [A9]: pairs with the sender's [R9] */
	peek_fill(k, pos + ho + lead - base, pk);
	return PK_FOUND;
}

/*
 * The message seqno selects among those in the overflow list, read under
 * its lock (no refill moves one meanwhile).  Each goes into the ring at
 * the next reservation, in list order, so the list's first message has
 * position p_head -- unless a sender that saw the list empty just before
 * it filled reserves ahead of them (J4 orders one sender's messages
 * only): the answer is then a snapshot one position early.  PK_AGAIN:
 * the position is the ring's now (reserved, or moved there meanwhile).
 */
static enum imq_peek_at
peek_overflow(struct ipc_mqueue *mq, struct imq_ring *ring, uint32_t seqno,
    struct imq_peek *pk)
{
	uint32_t base = ck_pr_load_32(&mq->imq_seq_base);
	enum imq_peek_at at = PK_ABSENT;
	struct ipc_kmsg *k;
	uint32_t head, pos, i, ho, lead;
	uint64_t w;

	ipc_lock(&mq->imq_ovf_lock);
	/* The next position reserved (the head's low half, Counting). */
	head = IMQ_POS(ck_pr_load_64(&ring->rg_p_head));
	/* Handoffs taken, and one waiting, shift the numbering. */
	w = ck_pr_load_64(&ring->rg_c_word);
	ho = IMQ_CW_HO(w);
	ck_pr_fence_load(); /* [A61]: c_word before the handoff count */
	lead = ck_pr_load_32(&ring->rg_ho_pub) != ho;
	base -= ho + lead;
	pos = seqno == 0 ? head : base + seqno;
	if ((int)(pos - head) < 0) {
		at = PK_AGAIN;
	} else {
		k = mq->imq_ovf_head;
		for (i = pos - head; k != NULL && i > 0; i--)
			k = k->ikm_next;
		if (k != NULL) {
			peek_fill(k, pos - base, pk);
			at = PK_FOUND;
		}
	}
	ipc_unlock(&mq->imq_ovf_lock);
	return at;
}

/*
 * ipc_mqueue_peek_locked
 *	Look at the queued message with sequence number seqno (0: the head)
 *	without taking it (U6); false when there is none.
 * Conditions:
 *	Port locked (one peeker per port), active; inside an epoch section,
 *	which keeps a message a receiver takes meanwhile from being freed.
 * Ordering:
 *	[F58], [R57], [T57]: see Peeking at a message.
 */
bool
ipc_mqueue_peek_locked(
    struct ipc_port *port, uint32_t seqno, struct imq_peek *pk)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring;
	enum imq_peek_at at;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	ring = ck_pr_load_ptr(&mq->imq_ring);
	if (ring == NULL)
		return false;
	ck_pr_fence_load_depends(); /* [A10] */
	ipc_tsan_acquire(ring);
	/* Relaxed RMW: the fence below orders it. */
	ck_pr_or_32(&port->ip_rcv_hooks, IP_RCV_HOOK_PEEK);
	arch_fence_full(); /* [F58]: the hook before c_head */
	for (;;) {
		at = peek_ring(mq, ring, seqno, pk);
		if (at == PK_BEYOND)
			at = peek_overflow(mq, ring, seqno, pk);
		if (at != PK_AGAIN)
			break;
		ck_pr_stall(); /* a sender commits its reserved slot */
	}
	ipc_tsan_release(&port->ip_rcv_hooks); /* [T57] */
	ck_pr_fence_release(); /* [R57]: our reads before the hook goes */
	ck_pr_and_32(&port->ip_rcv_hooks, ~IP_RCV_HOOK_PEEK);
	/* [F82]: the hook cleared before we look at held storage. */
	arch_fence_full();
	inl_release_held(ring);
	return at == PK_FOUND;
}

/*
 * ipc_mqueue_has_message
 *	Whether a receiver would find a message now (published in the ring
 *	or the overflow list): what an event-loop descriptor mirrors.
 * Conditions: any; a snapshot.
 */
bool
ipc_mqueue_has_message(struct ipc_port *port)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring;
	uint64_t w;

	if (ck_pr_load_32(&mq->imq_ovf_n) != 0)
		return true;
	ring = ring_of(mq);
	if (ring == NULL)
		return false;
	w = ck_pr_load_64(&ring->rg_c_word);
	return IMQ_CW_POS(w) != ck_pr_load_32(&ring->rg_p_tail) ||
	    ck_pr_load_32(&ring->rg_ho_pub) != IMQ_CW_HO(w);
}

/*
 * Messages queued (mps_msgcount), with those admitted and not yet queued:
 * a snapshot, exact when nobody sends or receives meanwhile.
 */
uint32_t
ipc_mqueue_count(const struct ipc_port *port)
{
	struct imq_ring *ring = ring_of(&port->ip_mq);
	uint64_t h;
	int32_t n;

	if (ring == NULL)
		return 0;
	do {
		h = ck_pr_load_64(&ring->rg_p_head);
		n = imq_ring_count(ring, h);
	} while (unlikely(n < 0));
	return (uint32_t)n + IMQ_PEND(h);
}

/*
 * ipc_mqueue_count_implicit
 *	How many queued messages carry an implicit send right (IKM_F_IMPLICIT:
 *	counted by no ip_srights, msg.c) -- the overflow list and the ring
 *	read under the overflow lock, so that no message moves from one to
 *	the other unseen.  Receivers may take messages meanwhile: a slot
 *	counts only if c_head, reread after the slots, has not passed it.
 * Conditions: port locked (no implicit message is in flight once a
 *	no-senders request is armed, port.c), or a snapshot for reports.
 */
uint32_t
ipc_mqueue_count_implicit(struct ipc_port *port)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct imq_ring *ring = ring_of(mq);
	uint32_t c1, c2, p, pos;
	uint32_t tags[IMQ_RING_MAX / 32] = { 0 }, n = 0;
	struct ipc_kmsg *k;

	if (ring == NULL)
		return 0;
	ipc_lock(&mq->imq_ovf_lock);
	for (k = mq->imq_ovf_head; k != NULL; k = k->ikm_next)
		if (k->ikm_flags & IKM_F_IMPLICIT)
			n++;
	c1 = imq_ring_c_head(ring);
	ck_pr_fence_load(); /* [A9]: c_head before p_tail */
	p = ck_pr_load_32(&ring->rg_p_tail);
	ck_pr_fence_load(); /* [A9]: slots after p_tail */
	/* One bit per position from c1 (at most IMQ_RING_MAX). */
	for (pos = c1; pos != p; pos++) {
		struct imq_slot *sl = &ring->rg_slots[pos & ring->rg_mask];

		if (ck_pr_load_32(&sl->ims_flags) & IMS_IMPLICIT)
			tags[(pos - c1) / 32] |= 1u << ((pos - c1) % 32);
	}
	ck_pr_fence_load(); /* [A9]: c_head reread after the slots */
	c2 = imq_ring_c_head(ring);
	ipc_unlock(&mq->imq_ovf_lock);
	for (pos = c1; pos != p; pos++)
		if ((int)(pos - c2) >= 0 &&
		    (tags[(pos - c1) / 32] & (1u << ((pos - c1) % 32))))
			n++;
	return n;
}

/* Positions and handoffs taken: what seqnos count (Sequence numbers). */
static uint32_t
taken(const struct ipc_port *port)
{
	struct imq_ring *ring = ck_pr_load_ptr(&port->ip_mq.imq_ring);
	uint64_t w = ring != NULL ? ck_pr_load_64(&ring->rg_c_word) : 0;

	return IMQ_CW_POS(w) + IMQ_CW_HO(w);
}

/* Next sequence number (mps_seqno). */
uint32_t
ipc_mqueue_seqno(struct ipc_port *port)
{
	return taken(port) - ck_pr_load_32(&port->ip_mq.imq_seq_base);
}

/* Make the next sequence number `seqno` (U3; 0 on moves, U4). */
void
ipc_mqueue_set_seqno(struct ipc_port *port, uint32_t seqno)
{
	/* Relaxed: receivers racing a set_seqno get either numbering. */
	ck_pr_store_32(&port->ip_mq.imq_seq_base, taken(port) - seqno);
}

/*
 * ipc_mqueue_drain
 *	Destroy every queued message of a dead port (C6(b), O2).
 * Conditions:
 *	Nothing locked.  The port is dead.  Safe against concurrent drains
 *	and receivers: each message goes to exactly one of them.
 */
void
ipc_mqueue_drain(struct ipc_port *port)
{
	struct imq_inl buf;
	struct ipc_kmsg *k;
	uint32_t size, seqno;

	while (ipc_mqueue_peek_take(port, UINT32_MAX, false, false, &buf, &k,
	           &size, &seqno) == IMQ_TAKEN) {
		/*
		 * A borrowed destination right (no reference) goes here,
		 * while the caller keeps the port: the destruction may be
		 * queued behind a cascade that outlives it.  The port is
		 * dead: its send rights reaching zero owe nothing (P11).
		 */
		if (k->ikm_flags & IKM_F_BORROWED) {
			if (!(k->ikm_flags & IKM_F_IMPLICIT))
				(void)ip_srights_dec(port);
			k->ikm_dest.ir_port = NULL;
		}
		ipc_kmsg_destroy(k);
	}
}

/* Free the ring of a port being freed.  Conditions: no other user. */
void
ipc_mqueue_fini(struct ipc_port *port)
{
	struct imq_ring *ring = port->ip_mq.imq_ring;

	ipc_require(port->ip_mq.imq_ovf_head == NULL,
	    "a freed port's overflow list is empty");
	if (ring != NULL) {
		ipc_require(IMQ_CW_POS(ring->rg_c_word) == ring->rg_p_tail &&
		        IMQ_PEND(ring->rg_p_head) == 0 &&
		        IMQ_CW_HO(ring->rg_c_word) == ring->rg_ho_pub &&
		        ring->rg_ho_free == ring->rg_ho_pub,
		    "a freed port's queue is empty");
		ring_free(ring);
		/* The port's constructed state (port.c) has none. */
		port->ip_mq.imq_ring = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Waiting                                                             */

/*
 * The receive right left its space (moved, or dying): a descriptor armed
 * on the port vanishes -- readable for good (waitfd.c; XNU's
 * ipc_mqueue_changed delivers EV_EOF / EV_VANISHED) -- and receivers wake.
 * w: the waiter count, read after [F1].
 */
static IPC_COLD void
receivers_changed_slow(struct ipc_port *port, uint32_t w)
{
	if (w & IPC_WAITQ_FD)
		ipc_waitfd_vanish(&port->ip_mq.imq_rcv_wq);
	ipc_waitq_wake_slow(&port->ip_mq.imq_rcv_wq, IPC_WAKE_ALL);
}

/*
 * ipc_mqueue_wake_receivers
 *	Receivers look again: the port died or moved (K6).
 * Conditions:
 *	The change is made (ip_state, ip_receiver stored).  Any lock state:
 *	the wake may be a system call, made under the caller's locks.
 * Ordering:
 *	[F1]: a full fence orders the change before the waiter count.
 */
void
ipc_mqueue_wake_receivers(struct ipc_port *port)
{
	uint32_t w;

	ipc_waitq_fence(IPC_WAKE_AFTER_STORE); /* [F1] */
	w = ck_pr_load_32(&port->ip_mq.imq_rcv_wq.wq_waiters);
	if (unlikely(w != 0))
		receivers_changed_slow(port, w);
}

/*
 * ipc_mqueue_wake_all
 *	Wake everything waiting on a dying port: receivers, and blocked
 *	senders (J9), who look again and see it dead.
 * Conditions:
 *	The port is dead, by ip_state_set_dead's atomic swap.  Nothing
 *	locked.
 * Ordering:
 *	[F1]: the swap and one fence after an atomic (free on x86) order the
 *	death before both waiter counts; they also order it before
 *	ipc_port_destroy's look at imq_ring.
 */
static void senders_wake(struct ipc_port *port, bool admit);

void
ipc_mqueue_wake_all(struct ipc_port *port)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	uint32_t w;

	ipc_waitq_fence(IPC_WAKE_AFTER_ATOMIC); /* [F1]: after the swap */
	w = ck_pr_load_32(&mq->imq_rcv_wq.wq_waiters);
	if (unlikely(w != 0))
		receivers_changed_slow(port, w);
	if (unlikely(ck_pr_load_32(&mq->imq_snd_wq.wq_waiters) != 0))
		senders_wake(port, false);
}

/* ------------------------------------------------------------------ */
/* Blocked senders                                                     */

/* Why a parked sender was woken (th_park_state). */
#define SND_WAITING  1u
#define SND_ADMITTED 2u /* room reserved for it: it enqueues */
#define SND_RETRY    3u /* look again (the port died) */

/*
 * Threads to unpark once every lock is dropped, each referenced.  An
 * array on the waker's stack, not a list through the threads: a sender
 * sees its new state as soon as the waker sets it (under the port lock)
 * and may leave, send again and be picked by another waker while this
 * one still walks its list (a link in the thread would be overwritten).
 */
#define SND_WAKE_BATCH 16

struct snd_wake {
	uint32_t sw_n;
	struct ipc_thread *sw_th[SND_WAKE_BATCH];
};

static bool
snd_wake_full(const struct snd_wake *sw)
{
	return sw->sw_n == SND_WAKE_BATCH;
}

static void
snd_wake_add(struct snd_wake *sw, struct ipc_thread *th, uint32_t why)
{
	ck_pr_store_32(&th->th_park_state, why); /* [R17] in ipc_unpark */
	ipc_thread_reference(th);
	sw->sw_th[sw->sw_n++] = th;
}

static void
snd_wake_run(struct snd_wake *sw)
{
	uint32_t i;

	for (i = 0; i < sw->sw_n; i++) {
		ipc_unpark(sw->sw_th[i]);
		ipc_thread_release(sw->sw_th[i]);
	}
	sw->sw_n = 0;
}

/*
 * Admit blocked senders, highest priority first (FIFO among equals), as
 * long as there is room: XNU wakes its send turnstile's top waiter.
 * Returns true when the batch filled first: the caller runs it and
 * comes back for more.
 * Conditions: port locked.
 */
static bool
admit_waiters_locked(
    struct ipc_port *port, struct snd_wake *sw, struct ipc_ts_ctx *ctx)
{
	struct ipc_turnstile *ts = port->ip_send_ts;
	struct imq_ring *ring = ring_of(&port->ip_mq);
	struct ipc_thread *th;
	uint32_t ticket;

	ipc_lock_assert_held(&port->ip_object.io_lock);
	/* A blocked sender's port has its ring (ipc_mqueue_prepare). */
	while (ts != NULL && (th = ipc_turnstile_first_waiter(ts)) != NULL &&
	    imq_admit_below(ring, ck_pr_load_32(&port->ip_qlimit), false, false,
	        &ticket) != IMQ_FULL) {
		if (snd_wake_full(sw))
			return true;
		ipc_turnstile_wait_remove(ts, th, ctx);
		snd_wake_add(sw, th, SND_ADMITTED);
	}
	return false;
}

/*
 * Wake blocked senders: admit what fits (admit), or all to look again
 * (the port died).  Conditions: nothing locked.
 */
static void
senders_wake(struct ipc_port *port, bool admit)
{
	struct ipc_ts_ctx ctx;
	struct snd_wake sw = { 0 };
	struct ipc_thread *th;
	bool more;

	do {
		ipc_ts_ctx_init(&ctx);
		more = false;
		ip_lock(port);
		if (admit) {
			more = admit_waiters_locked(port, &sw, &ctx);
		} else {
			while (port->ip_send_ts != NULL &&
			    (th = ipc_turnstile_first_waiter(
			         port->ip_send_ts)) != NULL) {
				if ((more = snd_wake_full(&sw)))
					break;
				ipc_turnstile_wait_remove(
				    port->ip_send_ts, th, &ctx);
				snd_wake_add(&sw, th, SND_RETRY);
			}
		}
		ip_unlock(port);
		ipc_ts_ctx_finish(&ctx);
		snd_wake_run(&sw);
	} while (more);
}

/*
 * ipc_mqueue_admit_senders
 *	Room appeared (a dequeue, a raised limit): the top blocked senders
 *	get it.
 * Conditions: nothing locked (an epoch section may be open).
 */
void
ipc_mqueue_admit_senders(struct ipc_port *port)
{
	senders_wake(port, true);
}

/*
 * Block on the port's send turnstile until admitted, woken to look again,
 * the deadline, or an interruption.  Returns KERN_SUCCESS (admitted),
 * KERN_ABORTED (look again), KERN_TERMINATED (dead),
 * KERN_OPERATION_TIMED_OUT, MACH_SEND_INTERRUPTED (a signal with
 * IPC_WAIT_INTERRUPTIBLE, or an abort: our place in the turnstile and our
 * push are given up, as on a timeout).
 */
static kern_return_t
send_block(struct ipc_thread *th, struct ipc_port *port,
    const struct timespec *deadline, unsigned int flags)
{
	struct ipc_mqueue *mq = &port->ip_mq;
	struct ipc_ts_ctx ctx;
	struct snd_wake sw = { 0 };
	struct ipc_turnstile *ts;
	bool more;
	kern_return_t kr;
	uint32_t state;

	ipc_ts_ctx_init(&ctx);
	ip_lock(port);
	if (!ip_active(port)) {
		ip_unlock(port);
		return KERN_TERMINATED;
	}
	ck_pr_store_32(&th->th_park_state, SND_WAITING);
	ts = ipc_turnstile_prepare(
	    &port->ip_send_ts, th->th_turnstile, port, IPC_TS_SEND);
	th->th_turnstile = NULL;
	ipc_port_send_turnstile_recompute_locked(port, &ctx);
	ipc_turnstile_wait_add(ts, th, &ctx);
	ck_pr_inc_32(&mq->imq_snd_wq.wq_waiters);
	/* [F1]: announced before we look for room (pairs with dequeues). */
	arch_fence_full();
	more = admit_waiters_locked(port, &sw, &ctx);
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	snd_wake_run(&sw);
	if (unlikely(more))
		senders_wake(port, true);
	/* Blocked, pushing: what introspection reports from now. */
	ck_pr_store_ptr(&th->th_wait_obj, port);
	ck_pr_store_32(&th->th_wait_kind, MIPC_WAIT_SEND_FULL);

	/* Pushing now; a pusher has spun already and never yields. */
	kr = KERN_SUCCESS;
	for (;;) {
		uint32_t seen = ipc_park_prepare(th);
		enum ipc_wait_result w;

		if (ck_pr_load_32(&th->th_park_state) != SND_WAITING)
			break;
		if (unlikely(ipc_abort_pending(th))) {
			kr = MACH_SEND_INTERRUPTED;
			break;
		}
		w = ipc_park_wait(th, seen, deadline, flags);
		if (w == IPC_WAIT_TIMED_OUT) {
			kr = KERN_OPERATION_TIMED_OUT;
			break;
		}
		if (w == IPC_WAIT_INTERRUPTED) {
			kr = MACH_SEND_INTERRUPTED;
			break;
		}
	}

	ip_lock(port);
	state = ck_pr_load_32(&th->th_park_state);
	if (state == SND_WAITING) {
		/* Timed out or interrupted: still on the turnstile. */
		ipc_turnstile_wait_remove(port->ip_send_ts, th, &ctx);
	} else {
		/* Decided for us meanwhile: that wins over the timeout. */
		kr = state == SND_ADMITTED ? KERN_SUCCESS : KERN_ABORTED;
	}
	th->th_turnstile = ipc_turnstile_complete(&port->ip_send_ts, &ctx);
	ck_pr_dec_32(&mq->imq_snd_wq.wq_waiters);
	ck_pr_store_32(&th->th_wait_kind, MIPC_WAIT_NONE);
	ck_pr_store_ptr(&th->th_wait_obj, NULL);
	ip_unlock(port);
	ipc_ts_ctx_finish(&ctx);
	return kr;
}

/*
 * ipc_mqueue_send_wait
 *	Block a sender until the port admits a send-right message, the port
 *	dies, the deadline passes or the wait is interrupted: a bounded
 *	spin, then the port's send turnstile, where the sender pushes its
 *	priority on the port's inheritor and is admitted in priority order.
 *	flags: IPC_WAIT_INTERRUPTIBLE (MACH_SEND_INTERRUPT).
 * Conditions:
 *	Nothing locked; outside any epoch section; the caller holds a port
 *	reference.
 * Returns:
 *	KERN_SUCCESS (admitted), KERN_TERMINATED (port died),
 *	KERN_OPERATION_TIMED_OUT, MACH_SEND_INTERRUPTED (a signal with
 *	IPC_WAIT_INTERRUPTIBLE, or mipc_thread_abort: the abort is consumed).
 */
kern_return_t
ipc_mqueue_send_wait(
    struct ipc_port *port, const struct timespec *deadline, unsigned int flags)
{
	struct ipc_thread *th = ipc_thread_self();
	kern_return_t kr;

	ipc_require(th != NULL, "a sender has thread state");
	for (;;) {
		struct ipc_spin sp;

		ipc_spin_start(&sp, true, false);
		do {
			if (!ip_active(port))
				return KERN_TERMINATED;
			if (ipc_mqueue_admit(port, true))
				return KERN_SUCCESS;
			if (unlikely(ipc_abort_pending(th))) {
				kr = MACH_SEND_INTERRUPTED;
				goto interrupted;
			}
		} while (ipc_spin_step(&sp));
		kr = send_block(th, port, deadline, flags);
		if (kr == MACH_SEND_INTERRUPTED)
			goto interrupted;
		if (kr != KERN_ABORTED)
			return kr;
	}
interrupted:
	(void)ipc_abort_take(th);
	ipc_stat_add(th, IPC_STAT_INTERRUPTS, 1);
	return kr;
}

/*
 * ipc_mqueue_set_qlimit_locked
 *	Raise or lower the queue limit (H4, H5); true when it rose and
 *	blocked senders may now fit: the caller calls
 *	ipc_mqueue_admit_senders once unlocked.
 * Conditions: port locked.
 */
bool
ipc_mqueue_set_qlimit_locked(struct ipc_port *port, uint32_t qlimit)
{
	/* Relaxed swap: the port lock and [F1] order it for waiters. */
	uint32_t old = ck_pr_fas_32(&port->ip_qlimit, qlimit);

	ipc_lock_assert_held(&port->ip_object.io_lock);
	return qlimit > old;
}
