/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mqueue.h -- message queues (mqueue.c): the ring of slots each port
 * embeds, its overflow list, counters and waiter words.
 *
 * Owns:      struct ipc_mqueue and its ring (with the handoff area and
 *            the inline storage); see mqueue.c's essay for the order,
 *            counting, sequence-number, handoff, inline-message and
 *            wake-up arguments.  The receive fast path's look and take
 *            (imq_head_look, imq_ring_take), the send fast path's
 *            reservation and publication (imq_reserve_behind,
 *            imq_admit_below, imq_ring_fill)
 *            and an inline message's give-back are here, inline, for
 *            msg.c.
 */
#ifndef MIPC_CORE_MQUEUE_H
#define MIPC_CORE_MQUEUE_H

#include "kmsg.h"
#include "lock.h"
#include "waitq.h"

#include "base.h"

#include <mipc/types.h>
#include <time.h>

struct ipc_port;

/*
 * One ring slot: the message and its size, for peeking without it, and
 * whether it carries an implicit send right (IMS_IMPLICIT), for counting
 * them without touching the messages (ipc_mqueue_count_implicit).
 */
struct imq_slot {
	struct ipc_kmsg *ims_kmsg;
	uint32_t ims_size;
	uint32_t ims_flags;
};

#define IMS_IMPLICIT 0x1u

/*
 * Slots of a ring: the next power of two at or above the port's queue
 * limit when the ring is made, between these; the overflow list takes
 * what a ring cannot (a limit raised later, send-once messages).
 */
#define IMQ_RING_MIN 16u
#define IMQ_RING_MAX 1024u /* MACH_PORT_QLIMIT_MAX */

/*
 * The handoff area (mqueue.c, Handoff): one send-once message at a time,
 * written in place by its sender -- a kmsg of kind IKM_KIND_HANDOFF with
 * up to IMQ_HO_MAX message bytes -- instead of a kmsg from the cache and
 * a ring slot.  Cache-aligned: a line of kmsg, then the message.
 */
#define IMQ_HO_MAX 192u /* message bytes, header included */

/*
 * Inline storage (mqueue.c, Inline messages): IMQ_INL_SLOTS storages per
 * ring (fewer for a smaller ring), position p's being p mod their number,
 * each room for a kmsg of kind IKM_KIND_INLINE holding a simple message
 * of up to IMQ_INL_MAX bytes, header included -- a line of kmsg, a line
 * of message -- written there by the sender that reserved the position
 * instead of a kmsg from the cache.  Bounded so that a port's memory
 * does not grow with its queue limit (2 KiB of storage at most, what a
 * ring of IMQ_RING_MIN slots has): a deep queue's later messages take
 * kmsgs from the cache.  A storage's state is two counts of its uses,
 * 16 bits each, neither on the storage's lines: rg_inl_use[i], the uses
 * its senders made, on the ring's senders' line, and rg_inl_done[i], the
 * uses its takers gave back, on the receivers' line -- each side writes
 * only the line it writes for every message anyway, and a storage's lines
 * are written by senders alone (PERF.md 3.5).  Free while the two agree
 * (they differ by one at most: no wrap-around matters).  A receiver that
 * holds the storage for a peeker defers its give-back and marks the kmsg
 * IMQ_INL_HELD_KIND meanwhile.  imq_inl_state names the three states.
 * Conditions: the sender that reserved position p may use the storage of
 * p only if, read before its reservation (by itself or another sender:
 * the senders' snapshot, mqueue.c), fewer than IMQ_INL_SLOTS positions
 * were queued ahead of p (so every earlier position sharing the storage
 * was taken, and its sender's count store is seen) and the counts agreed
 * -- with no position sharing the storage reserved since; it then counts
 * its use (imq_inl_claim) and holds the
 * storage until a receiver takes the message (no other sender can
 * reserve a position with the same storage before p is taken: it would
 * find p queued ahead); the receiver that takes the message copies it
 * out of the storage (ipc_mqueue_peek_take's buffer, a kmsg of kind
 * IKM_KIND_COPY) inside the section it took it in, then gives the
 * storage back (rg_inl_done, found through ikm_desc_off: imq_inl_back).
 * So an inline kmsg never leaves its queue, and nothing outlives its
 * storage.
 */
#define IMQ_INL_MAX   64u          /* message bytes, header included */
#define IMQ_INL_SLOTS IMQ_RING_MIN /* storages per ring, at most */
#define IMQ_INL_FREE  0u           /* imq_inl_state: the counts agree */
#define IMQ_INL_USED  1u           /* a use not given back */
#define IMQ_INL_HELD  2u           /* held for a peeker */
/* ikm_kind of a storage held for a peeker (a peeker may be reading it). */
#define IMQ_INL_HELD_KIND ((uint16_t)(IKM_KIND_INLINE | IKM_KIND_PEEKED))

struct imq_inl {
	struct ipc_kmsg in_kmsg;
	char in_bytes[IMQ_INL_MAX - sizeof(mach_msg_header_t)];
};

MIPC_STATIC_ASSERT(
    imq_inl_is_two_lines, sizeof(struct imq_inl) == 2 * ARCH_CACHELINE);

struct imq_handoff {
	struct ipc_kmsg ho_kmsg;
	char ho_bytes[IMQ_HO_MAX - sizeof(mach_msg_header_t)];
} __attribute__((aligned(ARCH_CACHELINE)));

/* Four lines: a line of kmsg and IMQ_HO_MAX bytes fill them, no more. */
MIPC_STATIC_ASSERT(imq_handoff_fills_four_lines,
    sizeof(struct imq_handoff) == 4 * ARCH_CACHELINE &&
        offsetof(struct imq_handoff, ho_bytes) +
                sizeof(((struct imq_handoff *)0)->ho_bytes) ==
            4 * ARCH_CACHELINE);

/*
 * The ring: positions only grow (mod 2^32); slot pos & rg_mask.  Receivers
 * own c_word's line, senders the next one, and p_tail has a line of its
 * own (mqueue.c, Lines of the ring).  rg_c_word packs the next position
 * to take (low half) with the count of handoff messages taken (high half),
 * so that one CAS takes either and numbers it (Sequence numbers).
 * rg_p_head packs the next position to reserve (low half) with the count
 * of admitted messages not in the ring (high half: waiting to be queued,
 * in the overflow list, or in the handoff area), so that one CAS both
 * admits a message against the queue limit and reserves its slot
 * (mqueue.c, Counting).  The handoff counters sit on the receivers' line:
 * an empty poll reads them with c_word, and only a handoff writes them.
 * Each side keeps, on its own line, what it last learnt of the other's:
 * rg_c_tail, a p_tail a receiver read (Receivers' tail), and rg_s_snap,
 * c_head and the free storages as a sender read them (Senders' snapshot);
 * and each reads the ring's size from its own line (rg_mask, rg_s_mask).
 */
struct imq_ring {
	uint64_t rg_c_word;  /* (A) IMQ_CW(next position, handoffs taken) */
	uint32_t rg_mask;    /* (C) slots - 1 */
	uint32_t rg_ho_pub;  /* (A) handoff messages published */
	uint32_t rg_ho_free; /* (A) handoff areas given back */
	uint32_t rg_ho_size; /* (A) the published one's msgh_size */
	uint32_t rg_c_tail;  /* (A) a p_tail a receiver saw (imq_head_look) */
	uint32_t rg_pad1;
	uint16_t rg_inl_done[IMQ_INL_SLOTS]; /* (A) storages' uses given back */
	uint32_t rg_s_mask; /* (C) slots - 1: the senders' copy */
	uint32_t rg_pad2;
	uint64_t rg_p_head;    /* (A) IMQ_HEAD(next position, pending) */
	uint64_t rg_s_snap;    /* (A) IMQ_SNAP(c_head, storages free) */
	uint32_t rg_ho_id;     /* (A) the handoff's msgh_id (mach_port_peek) */
	uint32_t rg_ho_sender; /* (A) its sender's serial (mach_port_peek) */
	uint16_t rg_inl_use[IMQ_INL_SLOTS]; /* (A) storages' uses by senders */
	uint32_t rg_p_tail /* (A) positions below it are published */
	    __attribute__((aligned(ARCH_CACHELINE)));
	struct imq_handoff rg_ho;   /* (rg_ho_pub / rg_ho_free) */
	struct imq_slot rg_slots[]; /* rg_mask + 1, then the inline storage:
	                               IMQ_INL_SLOTS struct imq_inl, from
	                               the next line on (imq_ring_inl) */
};

/*
 * The receivers' line, the senders', then p_tail's: each a line of its
 * own (Lines of the ring, mqueue.c).
 */
MIPC_STATIC_ASSERT(imq_ring_lines,
    offsetof(struct imq_ring, rg_s_mask) == ARCH_CACHELINE &&
        offsetof(struct imq_ring, rg_inl_use) + IMQ_INL_SLOTS * 2 ==
            2 * ARCH_CACHELINE &&
        offsetof(struct imq_ring, rg_p_tail) == 2 * ARCH_CACHELINE &&
        offsetof(struct imq_ring, rg_ho) == 3 * ARCH_CACHELINE);

/* The two counts' arrays are read 8 bytes at a time (ipc_mqueue_snap_read). */
MIPC_STATIC_ASSERT(imq_ring_counts_aligned,
    offsetof(struct imq_ring, rg_inl_done) % 8 == 0 &&
        offsetof(struct imq_ring, rg_inl_use) % 8 == 0 &&
        IMQ_INL_SLOTS % 4 == 0);

/*
 * The slots start on a line (a ring does: ipc_alloc_line), four to a
 * line.  Slot pos & rg_mask: a sender a few messages ahead of its
 * receiver writes the line the receiver reads, and still that is the
 * faster layout -- measured, stream 1->1: 1.06x slower with consecutive
 * positions spread over different lines (a line moved per message, not
 * per four).
 */
MIPC_STATIC_ASSERT(imq_ring_slots_on_a_line,
    offsetof(struct imq_ring, rg_slots) % ARCH_CACHELINE == 0 &&
        ARCH_CACHELINE == 4 * sizeof(struct imq_slot));

/* Where a ring of `slots` slots has its inline storage: the next line. */
static inline size_t
imq_ring_inl_offset(uint32_t slots)
{
	size_t off = offsetof(struct imq_ring, rg_slots) +
	    (size_t)slots * sizeof(struct imq_slot);

	return (off + ARCH_CACHELINE - 1) & ~(size_t)(ARCH_CACHELINE - 1);
}

/* Every ring has IMQ_INL_SLOTS storages: it has as many slots at least. */
MIPC_STATIC_ASSERT(imq_ring_has_every_storage, IMQ_RING_MIN >= IMQ_INL_SLOTS);
#define IMQ_INL_MASK (IMQ_INL_SLOTS - 1u)

/* The inline storages of a ring of `slots` slots. */
static inline uint32_t
imq_ring_inl_count(uint32_t slots)
{
	(void)slots;
	return IMQ_INL_SLOTS;
}

/* The bytes of a ring of `slots` slots, its inline storage included. */
static inline size_t
imq_ring_bytes(uint32_t slots)
{
	return imq_ring_inl_offset(slots) +
	    (size_t)imq_ring_inl_count(slots) * sizeof(struct imq_inl);
}

/*
 * The inline storage of a ring with slots mask + 1 (rg_mask, or the
 * senders' copy rg_s_mask: each side reads its own line's).
 */
static inline struct imq_inl *
imq_ring_inl_at(struct imq_ring *ring, uint32_t mask)
{
	return (struct imq_inl *)(void *)((char *)ring +
	    imq_ring_inl_offset(mask + 1));
}

/* The inline storage of position pos (struct imq_inl). */
static inline struct imq_inl *
imq_ring_inl(struct imq_ring *ring, uint32_t pos)
{
	return imq_ring_inl_at(ring, ring->rg_mask) + (pos & IMQ_INL_MASK);
}

#define IMQ_CW(pos, ho) (((uint64_t)(ho) << 32) | (uint32_t)(pos))
#define IMQ_CW_POS(w)   ((uint32_t)(w))
#define IMQ_CW_HO(w)    ((uint32_t)((w) >> 32))

#define IMQ_HEAD(pos, pend) (((uint64_t)(pend) << 32) | (uint32_t)(pos))
#define IMQ_POS(h)          ((uint32_t)(h))
#define IMQ_PEND(h)         ((uint32_t)((h) >> 32))
#define IMQ_PEND_ONE        (1ull << 32) /* added: pending + 1 */

/* What a receiver finds first (imq_head_look). */
enum imq_head { HD_EMPTY, HD_HANDOFF, HD_RING };

/*
 * Look at the head of the queue (mqueue.c; here for the receive fast
 * path, msg.c): a handoff published and not taken goes
 * first (HD_HANDOFF, for take_handoff; Handoff), else the ring's head
 * slot (HD_RING).  Out, for HD_RING: a copy of the slot and c_word as the
 * copy was validated against: c_word did not move while we copied, so no
 * receiver took the message and no producer could have reused the slot.
 * Unless !checked: then the copy is validated only by what follows -- a
 * claim at c_word (imq_ring_take) succeeds only if c_word did not move,
 * so what it claims is what we copied; before any other use of the copy
 * the caller calls imq_head_still.
 */
static inline __attribute__((always_inline)) enum imq_head
imq_head_look(
    struct imq_ring *ring, struct imq_slot *out, uint64_t *wp, bool checked)
{
	uint32_t consumer, producer;
	struct imq_slot *s;
	uint64_t w;

	for (;;) {
		w = ck_pr_load_64(&ring->rg_c_word);
		consumer = IMQ_CW_POS(w);
		/* [A9]: c_head before the tail (imq_ring_commit's [R9]). */
		ck_pr_fence_load();
		/*
		 * Positions below a tail a receiver saw are published
		 * (Receivers' tail): the senders' line only when it shows
		 * none beyond c_head, or more than a ring (p_tail never is
		 * that far ahead: a copy stored late, a wrap ago).
		 */
		producer = ck_pr_load_32(&ring->rg_c_tail);
		if ((uint32_t)(producer - consumer - 1) > ring->rg_mask) {
			producer = ck_pr_load_32(&ring->rg_p_tail);
			/* What p_tail published (acquired: an acquire, so that
			 * we pass it on), then our copy of it. */
			ck_pr_fence_acqrel(); /* [A9] [R124] */
			ck_pr_store_32(&ring->rg_c_tail, producer);
		}
		/* The tail before the handoff count (Handoff) and before what
		 * it publishes (a receivers' tail: Receivers' tail). */
		ck_pr_fence_load(); /* [A61] [A124] */
		if (unlikely(ck_pr_load_32(&ring->rg_ho_pub) != IMQ_CW_HO(w)))
			return HD_HANDOFF;
		if (consumer == producer)
			return HD_EMPTY;
		ck_pr_fence_load(); /* [A9]: slot after p_tail */
		s = &ring->rg_slots[consumer & ring->rg_mask];
		out->ims_kmsg = ck_pr_load_ptr(&s->ims_kmsg);
		out->ims_size = ck_pr_load_32(&s->ims_size);
		*wp = w;
		if (!checked)
			return HD_RING;
		ck_pr_fence_load(); /* [A9]: c_word reread after the copy */
		if (ck_pr_load_64(&ring->rg_c_word) == w)
			return HD_RING;
	}
}

/* Is an unchecked copy (imq_head_look) of the head at c_word w good? */
static inline bool
imq_head_still(struct imq_ring *ring, uint64_t w)
{
	ck_pr_fence_load(); /* [A9]: c_word reread after the copy */
	return ck_pr_load_64(&ring->rg_c_word) == w;
}

/*
 * Take the ring's head head_look found at c_word w; false if another
 * receiver took something meanwhile.
 */
static inline __attribute__((always_inline)) bool
imq_ring_take(struct imq_ring *ring, uint64_t w)
{
	/* [A9]: the CAS claims the slot we copied (fence_store_atomic). */
	ck_pr_fence_store_atomic();
	/* [R19]: the CAS also takes the message out of the count. */
	return ck_pr_cas_64(
	    &ring->rg_c_word, w, IMQ_CW(IMQ_CW_POS(w) + 1, IMQ_CW_HO(w)));
}

void ipc_mqueue_commit_wait(struct imq_ring *ring, uint32_t ticket);
void ipc_mqueue_reserve_wait(struct imq_ring *ring);

/*
 * Before reserving: a reservation ahead not yet published (p_tail behind
 * p_head) is, on a shared CPU, a sender preempted in its window.  Taking
 * the next position now would leave our commit waiting for it, and the
 * two senders would hand the CPU to each other once a message (each
 * reserving while the other sits yielded in its commit_wait): we let it
 * publish first (ipc_mqueue_reserve_wait, bounded).  Relaxed: a hint;
 * the order is still imq_ring_commit's.
 */
static inline __attribute__((always_inline)) void
imq_reserve_behind(struct imq_ring *ring)
{
	if (unlikely(ck_pr_load_32(&ring->rg_p_tail) !=
	        IMQ_POS(ck_pr_load_64(&ring->rg_p_head))))
		ipc_mqueue_reserve_wait(ring);
}

/*
 * What a reservation got (imq_admit_below): no room, room and a slot, room
 * only; or nothing yet, the slot's inline storage being out of reach.
 */
enum imq_admit { IMQ_FULL, IMQ_SLOT, IMQ_PENDING, IMQ_DEEP };

/* The next position to take: c_word's low half. */
static inline __attribute__((always_inline)) uint32_t
imq_ring_c_head(struct imq_ring *ring)
{
	return IMQ_CW_POS(ck_pr_load_64(&ring->rg_c_word));
}

/*
 * Messages in the ring by head h, c_head read after h (Counting): a
 * signed difference, negative only when receivers took, between the two
 * loads, messages reserved after h.
 */
static inline int32_t
imq_ring_count(struct imq_ring *ring, uint64_t h)
{
	ck_pr_fence_load(); /* [A19]: the head, then c_head */
	return (int32_t)(IMQ_POS(h) - imq_ring_c_head(ring));
}

/*
 * The senders' snapshot of the receivers' line (Senders' snapshot):
 * c_head (low half) and which storages were free (high half, bit i for
 * storage i), read in that order.
 */
#define IMQ_SNAP(c, free) (((uint64_t)(free) << 32) | (uint32_t)(c))
#define IMQ_SNAP_C(s)     ((uint32_t)(s))
#define IMQ_SNAP_FREE(s)  ((uint32_t)((s) >> 32))

/*
 * How far behind the head a reservation that does not use the snapshot
 * (ring_reserve_admitted) lets it fall before it leaves a new one: far
 * from a wrap, and rare (Senders' snapshot).
 */
#define IMQ_SNAP_FAR (1u << 30)

/*
 * Read the receivers' line afresh -- c_head, after the head the caller
 * holds ([A19], as imq_ring_count), then each storage's two counts --
 * and leave it for the next sender in rg_s_snap.  A storage is free if
 * its counts agree: read after c_head, the last message that used it,
 * if taken, had its sender's use count seen ([R9]), and its receiver's
 * give-back, if made, too ([A81]).  No load from the storages' own
 * lines: the last receiver read them, and a sender that must load them
 * before its reservation waits for them to come back (measured:
 * stream_1to1 0.90 against a count kept in the kmsg).
 */
uint64_t ipc_mqueue_snap_read(struct imq_ring *ring);

/*
 * Is the inline storage of position pos -- the next one, head h's --
 * free by snapshot s (ipc_mqueue_snap_read)?  Only if fewer than
 * IMQ_INL_SLOTS positions lie between the snapshot's c_head and pos, and
 * the storage was free then: every earlier position sharing it was taken
 * before the snapshot (its use counted in it), and none reserved since
 * shares it (Senders' snapshot).
 * Conditions: s loaded before [A123] (imq_admit_below), or read by
 *	ipc_mqueue_snap_read, whose fence orders it.
 */
static inline __attribute__((always_inline)) bool
imq_inl_free(struct imq_ring *ring, uint64_t s, uint32_t pos)
{
	uint32_t i = pos & IMQ_INL_MASK;

	if ((uint32_t)(pos - IMQ_SNAP_C(s)) > IMQ_INL_MASK ||
	    !(IMQ_SNAP_FREE(s) & (1u << i)))
		return false;
	ipc_tsan_acquire(
	    imq_ring_inl_at(ring, ring->rg_s_mask) + i); /* [T81] */
	return true;
}

/*
 * The storage of position pos, found free by its reservation
 * (imq_admit_below, IMQ_SLOT): ours, one use more.  Only the sender that
 * holds it counts, and no other sender trusts the count before our
 * message is taken (it would find it queued ahead; a snapshot that reads
 * it meanwhile is not trusted for a position sharing the storage until
 * then: Senders' snapshot): not an atomic increment; published with the
 * message ([R9]).
 */
static inline __attribute__((always_inline)) struct ipc_kmsg *
imq_inl_claim(struct imq_ring *ring, uint32_t pos)
{
	uint32_t i = pos & IMQ_INL_MASK;
	uint16_t *use = &ring->rg_inl_use[i];

	ck_pr_store_16(use, (uint16_t)(ck_pr_load_16(use) + 1));
	return &imq_ring_inl_at(ring, ring->rg_s_mask)[i].in_kmsg;
}

/*
 * The state of position pos's storage (IMQ_INL_FREE, IMQ_INL_USED,
 * IMQ_INL_HELD), for tests: a snapshot.
 */
static inline uint32_t
imq_inl_state(struct imq_ring *ring, uint32_t pos)
{
	struct ipc_kmsg *k = &imq_ring_inl(ring, pos)->in_kmsg;

	if (ck_pr_load_16(&k->ikm_kind) == IMQ_INL_HELD_KIND)
		return IMQ_INL_HELD;
	return ck_pr_load_16(&ring->rg_inl_done[pos & IMQ_INL_MASK]) ==
	        ck_pr_load_16(&ring->rg_inl_use[pos & IMQ_INL_MASK])
	    ? IMQ_INL_FREE
	    : IMQ_INL_USED;
}

/*
 * An inline kmsg's ikm_desc_off (no descriptors follow an inline
 * message), written once with the ring (mqueue.c, ring_get): the way
 * from the kmsg to its storage's give-back count, for the taker, which
 * knows only the kmsg (ipc_mqueue_inline_done).  A signed distance (the
 * count is before the storage), so that the taker adds it in an address.
 */
static inline uint32_t
imq_inl_back(struct imq_ring *ring, uint32_t i)
{
	return (uint32_t)(int32_t)((char *)&ring->rg_inl_done[i] -
	    (char *)&imq_ring_inl_at(ring, ring->rg_mask)[i].in_kmsg);
}

/* An inline kmsg's give-back count (imq_inl_back). */
static inline uint16_t *
imq_inl_done_of(struct ipc_kmsg *kmsg)
{
	return (uint16_t *)(void *)((char *)kmsg + (int32_t)kmsg->ikm_desc_off);
}

/*
 * Give a storage back: one more use given back.  Only its taker, or the
 * one that ends its hold, gives it back, once per use: not an atomic
 * increment.
 * Conditions: [R81] fenced before.
 */
static inline __attribute__((always_inline)) void
imq_inl_give(struct ipc_kmsg *kmsg)
{
	uint16_t *d = imq_inl_done_of(kmsg);

	ck_pr_store_16(d, (uint16_t)(ck_pr_load_16(d) + 1));
}

/*
 * One more message below limit, by a CAS on the head: the next position
 * (IMQ_SLOT, with want_slot and room in the ring: *ticket is its slot,
 * which the caller fills, imq_ring_fill) or pending + 1 (IMQ_PENDING: the
 * message is queued later, ipc_mqueue_enqueue).  IMQ_FULL at the limit.
 * With inl, a slot only with its inline storage free; and IMQ_DEEP, with
 * nothing reserved, when the ring would give a slot but IMQ_INL_SLOTS or
 * more messages are queued ahead, so that its storage is out of reach:
 * the caller takes a kmsg first, and reserves again without inl, one CAS
 * for room and slot (not IMQ_PENDING's second one, ipc_mqueue_enqueue).
 * The count and the storage are the senders' snapshot's (Senders'
 * snapshot): a c_head some sender read, so at least the count.  At the
 * limit by it, and less than a ring behind, c_head is read afresh for
 * the count; any other answer
 * short of a slot with its storage -- the limit reached still, no room
 * in the ring, the storage not free by the map -- is
 * ipc_mqueue_admit_below's, which reads the receivers' line afresh after
 * the head (ipc_mqueue_snap_read), so that a refusal is exact at the
 * head's load (Counting).  A negative count (a head older than the
 * c_head read) is a huge unsigned one: one test sends it to the rare
 * branch, which looks again.
 */
enum imq_admit ipc_mqueue_admit_below(struct imq_ring *ring, uint32_t limit,
    bool want_slot, bool inl, uint32_t *ticket);

static inline __attribute__((always_inline)) enum imq_admit
imq_admit_below(struct imq_ring *ring, uint32_t limit, bool want_slot, bool inl,
    uint32_t *ticket)
{
	uint64_t h = ck_pr_load_64(&ring->rg_p_head);
	uint64_t s = ck_pr_load_64(&ring->rg_s_snap);
	uint32_t n = IMQ_POS(h) - IMQ_SNAP_C(s);

	/*
	 * What the snapshot's c_head and map say was done -- the reads of
	 * the slot and the storage we may reuse -- before our writes.
	 */
	ck_pr_fence_acquire(); /* [A123] */

	/*
	 * At the limit by the snapshot: the count by c_head itself (a small
	 * limit's case, a port's default); the storage still by the
	 * snapshot, whose map goes with its own c_head.  Only while the
	 * snapshot is less than a ring behind: one further behind goes to
	 * ipc_mqueue_admit_below, which leaves a new one, so that no stream
	 * leaves the snapshot to fall a wrap of the positions behind, where
	 * it would read as just behind the head (Senders' snapshot).
	 */
	if (unlikely(n >= limit - IMQ_PEND(h)) && n <= ring->rg_s_mask)
		n = (uint32_t)imq_ring_count(ring, h);
	if (likely(want_slot && IMQ_PEND(h) < limit &&
	        n < limit - IMQ_PEND(h) && n <= ring->rg_s_mask &&
	        (!inl || imq_inl_free(ring, s, IMQ_POS(h))))) {
		/* Relaxed: imq_ring_commit publishes a slot. */
		if (likely(ck_pr_cas_64(&ring->rg_p_head, h,
		        IMQ_HEAD(IMQ_POS(h) + 1, IMQ_PEND(h))))) {
			*ticket = IMQ_POS(h);
			return IMQ_SLOT;
		}
	}
	return ipc_mqueue_admit_below(ring, limit, want_slot, inl, ticket);
}

/* A message's slot flags, read while it is still ours ([R9]). */
static inline uint32_t
imq_slot_flags(const struct ipc_kmsg *kmsg)
{
	return (kmsg->ikm_flags & IKM_F_IMPLICIT) ? IMS_IMPLICIT : 0;
}

static inline __attribute__((always_inline)) void
imq_ring_commit(struct imq_ring *ring, uint32_t ticket)
{
	if (unlikely(ck_pr_load_32(&ring->rg_p_tail) != ticket))
		ipc_mqueue_commit_wait(ring, ticket);
	/*
	 * p_tail publishes the slot; the store fence orders it, and a
	 * handoff this thread published before (Handoff).
	 */
	ck_pr_fence_store(); /* [R9] [R61] */
	/*
	 * [F1], sender side: an atomic swap rather than a store, so that the
	 * fence before the waiter-count load can be fence_atomic_load (free
	 * on x86, where a locked op is already a full barrier) instead of a
	 * full fence on every send.
	 */
	(void)ck_pr_fas_32(&ring->rg_p_tail, ticket + 1); /* [R9] [F1] */
}

/*
 * Write reserved slot `ticket` and publish it.  The slot is a TSan sync
 * object ([R9]/[A9]): each writer acquires it from the reader that
 * emptied it and releases it to the next reader, since the ring's own
 * edges are invisible to TSan.
 */
static inline __attribute__((always_inline)) void
imq_ring_fill(struct imq_ring *ring, uint32_t ticket, struct ipc_kmsg *kmsg,
    uint32_t size, uint32_t sflags)
{
	struct imq_slot *slot = &ring->rg_slots[ticket & ring->rg_s_mask];

	/*
	 * Slots are read speculatively (head_look validates its copy after
	 * the fact, seqlock-style), so they are accessed through ck_pr on
	 * both sides; the kmsg itself carries the TSan edge ([R9]/[A9]).
	 */
	ipc_debug_yield(IPC_YIELD_ENQUEUE);
	ck_pr_store_ptr(&slot->ims_kmsg, kmsg);
	ck_pr_store_32(&slot->ims_size, size);
	ck_pr_store_32(&slot->ims_flags, sflags);
	imq_ring_commit(ring, ticket);
}

struct ipc_mqueue {
	uint32_t imq_seq_base;         /* (A) ring position of seqno 0 */
	struct imq_ring *imq_ring;     /* (A) allocated on first send */
	struct ipc_waitq imq_rcv_wq;   /* receivers waiting for a message */
	struct ipc_waitq imq_snd_wq;   /* senders waiting for room */
	uint32_t imq_ovf_n;            /* (A) messages in the overflow list */
	ipc_lock_t imq_ovf_lock;       /* rank IPC_RANK_LEAF */
	struct ipc_kmsg *imq_ovf_head; /* (imq_ovf_lock) */
	struct ipc_kmsg *imq_ovf_tail; /* (imq_ovf_lock) */
};

enum imq_result { IMQ_EMPTY, IMQ_LEFT, IMQ_TAKEN };

/* What mach_port_peek reports of a queued message (U6). */
struct imq_peek {
	uint32_t ipk_seqno;  /* its sequence number */
	uint32_t ipk_size;   /* the send size (ikm_size) */
	int32_t ipk_id;      /* msgh_id */
	uint32_t ipk_sender; /* the sending space's serial (ikm_sender) */
	bool ipk_kernel;     /* made by mipc (IKM_F_KERNEL) */
};

void ipc_mqueue_init(struct ipc_mqueue *mq);
void ipc_mqueue_fini(struct ipc_port *port);
bool ipc_mqueue_prepare(struct ipc_port *port);
bool ipc_mqueue_admit(struct ipc_port *port, bool limited);
void ipc_mqueue_unadmit(struct ipc_port *port);
void ipc_mqueue_enqueue(struct ipc_port *port, struct ipc_kmsg *kmsg);
struct ipc_kmsg *ipc_mqueue_handoff_admit(
    struct ipc_port *port, uint32_t size, bool *admitted);
void ipc_mqueue_handoff_commit(struct ipc_port *port, struct ipc_kmsg *kmsg);
void ipc_mqueue_handoff_done(struct ipc_kmsg *kmsg);
void ipc_mqueue_commit_wake(struct ipc_port *port);
enum imq_result ipc_mqueue_peek_take(struct ipc_port *port, uint32_t need_max,
    bool leave_large, bool keep_inline, struct imq_inl *buf,
    struct ipc_kmsg **kmsgp, uint32_t *size, uint32_t *seqno);
enum imq_result ipc_mqueue_take_handoff(struct ipc_port *port,
    uint32_t need_max, struct imq_inl *buf, struct ipc_kmsg **kmsgp,
    uint32_t *size, uint32_t *seqno);
void ipc_mqueue_taken_slow(struct ipc_port *port, bool keep_inline,
    uint32_t hooks, uint32_t waiters, struct imq_inl *buf,
    struct ipc_kmsg **kmsgp);
struct ipc_kmsg *ipc_mqueue_inline_copy(
    struct ipc_kmsg *kmsg, struct imq_inl *buf);
uint32_t ipc_mqueue_count(const struct ipc_port *port);
uint32_t ipc_mqueue_count_implicit(struct ipc_port *port);
uint32_t ipc_mqueue_seqno(struct ipc_port *port);
void ipc_mqueue_set_seqno(struct ipc_port *port, uint32_t seqno);
bool ipc_mqueue_set_qlimit_locked(struct ipc_port *port, uint32_t qlimit);
void ipc_mqueue_admit_senders(struct ipc_port *port);
void ipc_mqueue_drain(struct ipc_port *port);
void ipc_mqueue_wake_receivers(struct ipc_port *port);
void ipc_mqueue_wake_all(struct ipc_port *port);
kern_return_t ipc_mqueue_send_wait(
    struct ipc_port *port, const struct timespec *deadline, unsigned int flags);
bool ipc_mqueue_has_message(struct ipc_port *port);
bool ipc_mqueue_peek_locked(
    struct ipc_port *port, uint32_t seqno, struct imq_peek *pk);

/*
 * ipc_mqueue_inline_done
 *	A taker that kept an inline message is done with it (ipc_kmsg_free
 *	of IKM_KIND_INLINE): its storage goes back to the ring.  No peeker
 *	saw it (a kept one had no hook at its take).
 * Conditions: inside the section it was taken in.
 * Ordering:
 *	[R81]: our reads of it before the storage goes.
 */
static inline __attribute__((always_inline)) void
ipc_mqueue_inline_done(struct ipc_kmsg *kmsg)
{
	struct imq_inl *in = ipc_container_of(kmsg, struct imq_inl, in_kmsg);

	ipc_tsan_release(in);  /* [T81] */
	ck_pr_fence_release(); /* [R81]: our reads, then the storage */
	imq_inl_give(kmsg);
}

#endif /* MIPC_CORE_MQUEUE_H */
