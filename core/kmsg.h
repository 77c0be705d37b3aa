/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmsg.h -- messages after copyin (kmsg.c): the rights and memory a
 * message carries, its descriptors, allocation, copyin, copyout and
 * destruction.
 *
 * Owns:      struct ipc_right (a right held by a call or a message),
 *            struct ipc_kdesc, struct ipc_kmsg.
 */
#ifndef MIPC_CORE_KMSG_H
#define MIPC_CORE_KMSG_H

#include "base.h"
#include "thread.h"

#include <mipc/message.h>
#include <mipc/types.h>

struct ipc_port;
struct ipc_vm_region;
struct mipc_space;

/*
 * The caller's message buffer, as far as the call may write into it (the
 * receive of a combined call, a pseudo-receive).  When an out-of-line
 * descriptor with deallocate releases the region that holds it, ub_gone
 * is set: the buffer is not the caller's any more and nothing may be
 * written there (XNU took the region out of the task's map: its copyout
 * fails, MACH_RCV_INVALID_DATA).
 */
struct ipc_user_buf {
	uintptr_t ub_addr;
	size_t ub_len;
	bool ub_gone;
};

/*
 * Copy a message body.  Mach messages are small and 4-byte multiples; a
 * few 16-byte moves beat the string-move instruction a compiler emits
 * for a variable memcpy (its start-up cost is most of a 64-byte copy).
 * Up to 64 bytes, two or four moves with no loop: the first and last 16
 * (or 32) bytes, overlapping in the middle if need be; beyond, out of
 * line, a loop of 16-byte chunks whose last chunk ends at the end.  The
 * short case is inlined: out of line,
 * the call was a sixth of a 64-byte message's copy (callgrind sr_send).
 * dst and src never overlap.
 */
static __attribute__((noinline, unused)) void
ipc_copy_msg_long(char *d, const char *s, size_t size)
{
	size_t i;

	if (size > 256) {
		memcpy(d, s, size);
		return;
	}
	for (i = 0; i + 16 < size; i += 16)
		memcpy(d + i, s + i, 16);
	memcpy(d + size - 16, s + size - 16, 16);
}

static inline __attribute__((always_inline)) void
ipc_copy_msg(void *dst, const void *src, size_t size)
{
	char *d = dst;
	const char *s = src;

	if (size > 64) {
		ipc_copy_msg_long(d, s, size);
		return;
	}
	if (size >= 32) {
		memcpy(d, s, 32);
		memcpy(d + size - 32, s + size - 32, 32);
		return;
	}
	if (size >= 16) {
		memcpy(d, s, 16);
		memcpy(d + size - 16, s + size - 16, 16);
		return;
	}
	if (size >= 8) {
		memcpy(d, s, 8);
		size -= 8, d += 8, s += 8;
	}
	if (size >= 4) {
		memcpy(d, s, 4);
		size -= 4, d += 4, s += 4;
	}
	while (size-- > 0)
		*d++ = *s++;
}

/* A right held by a call in progress: a port reference plus the right. */
struct ipc_right {
	struct ipc_port *ir_port; /* NULL with ir_dead: a dead right */
	mach_msg_type_name_t
	    ir_type;  /* MACH_MSG_TYPE_PORT_{RECEIVE,SEND,SEND_ONCE} */
	bool ir_dead; /* copied in from a dead name */
};

/* One descriptor after copyin. */
struct ipc_kdesc {
	uint32_t kd_type;   /* MACH_MSG_*_DESCRIPTOR */
	uint32_t kd_offset; /* of the user descriptor in the message */
	union {
		struct ipc_right kd_port; /* port and guarded port */
		struct {
			struct ipc_vm_region *kd_region; /* in flight */
			uint32_t kd_size;
		} kd_ool;
		struct {
			struct ipc_right *kd_rights; /* IPC_KIND_TABLE */
			uint32_t kd_count;
		} kd_oolp;
	};
};

#define IKM_F_RECEIVE 0x1u /* carries receive rights */
#define IKM_F_KERNEL  0x2u /* made by mipc: sender token {0, 1} */
#define IKM_F_LIMITED 0x4u /* admitted against qlimit */
/*
 * Queued, its destination send right holds no port reference: the queue
 * borrows the port's existence (a dead port is drained before its last
 * reference goes, mqueue.c).  Set by the send fast path (msg.c); the
 * receiver consumes the right inside the section it took it in.  Out of
 * its queue, the flag says that right is gone: ikm_dest is left as it was
 * (kmsg.c, kmsg_taken_dest), so the receiver writes nothing there.
 */
#define IKM_F_BORROWED 0x8u
/*
 * Queued, its destination send right is implicit: counted by no
 * ip_srights, but by ipc_mqueue_count_implicit (the fast path's sends to
 * a port with no no-senders request armed, msg.c; port.c says why that
 * is exact).  Always with IKM_F_BORROWED.
 */
#define IKM_F_IMPLICIT 0x10u

/*
 * ikm_kind's top bit: a receiver took the message while mach_port_peek
 * was reading it (mqueue.c), so ipc_kmsg_free retires it through the epoch
 * and ipc_kmsg_reuse refuses it.
 */
#define IKM_KIND_PEEKED 0x8000u

/*
 * ikm_kind of the one kmsg a port's ring embeds, its handoff area
 * (mqueue.c, Handoff): never from the cache.  Freeing it gives the area
 * back (ipc_mqueue_handoff_done); whoever releases its destination right
 * does that after the free, since that right may hold the last reference
 * on the port the area belongs to.
 */
#define IKM_KIND_HANDOFF 0x4000u

/*
 * ikm_kind of a kmsg in a ring position's inline storage (mqueue.h,
 * struct imq_inl): a simple message of up to IMQ_INL_MAX bytes its
 * sender wrote there instead of into a kmsg from the cache.  It never
 * leaves its queue but for the section of the one that takes it: a taker
 * (ipc_mqueue_peek_take) gets a copy, of kind IKM_KIND_COPY, and the
 * storage goes back to the ring -- or, asking for it (the receive fast
 * path), the kmsg itself, which it frees inside that section (freeing it
 * gives the storage back; destroying it is done at once, never queued).
 */
#define IKM_KIND_INLINE 0x2000u

/*
 * ikm_kind of such a copy: in the taker's own buffer (a receiver's
 * stack), so freeing it is nothing, and destroying it is done at once
 * rather than queued behind a cascade that may outlive the buffer
 * (ipc_kmsg_destroy).  Not reusable (ipc_kmsg_reuse).
 */
#define IKM_KIND_COPY 0x1000u

/*
 * A message after copyin: rights and memory it carries are owned by it.
 * Followed by the message bytes as sent (header + body, ikm_size bytes),
 * then ikm_ndesc struct ipc_kdesc at ikm_desc_off.
 *
 * The metadata is one cache line, and every kmsg starts on a line (the
 * caches' backend aligns them, cache.c), so a message of up to 64 bytes
 * -- header included -- spans two lines (PERF.md 3.5; asserted below and
 * by tests/unit/kmsg_layout.c).  Its sender writes both (into inline
 * storage, the metadata only where it differs: ipc_kmsg_init_inline); a
 * receiver only reads them: it takes the destination and reply rights
 * into copies of its own (msg.c, ipc_kmsg_copyout) and builds the header
 * it delivers in the user's buffer.  The handoff area and each ring
 * slot's inline storage (mqueue.h) embed one.
 */
struct ipc_kmsg {
	struct ipc_kmsg *ikm_next; /* overflow list, destroy queue */
	uint32_t ikm_alloc;        /* bytes allocated */
	uint16_t ikm_kind;         /* enum ipc_kind it came from */
	uint16_t ikm_flags;        /* IKM_F_* */
	uint32_t ikm_size;         /* msgh_size: the send size */
	uint32_t ikm_ndesc;        /* copied-in descriptors */
	union {
		struct {
			struct ipc_right ikm_dest;  /* destination right */
			struct ipc_right ikm_reply; /* reply right, if any */
		};
		/* A peeked message's retirement, once both rights are gone
		 * (ipc_kmsg_free; a peeker reads neither). */
		struct ipc_deferred ikm_free;
	};
	uint32_t ikm_sender;   /* sending space's serial */
	uint32_t ikm_desc_off; /* the descriptors' offset in this allocation */
	mach_msg_header_t ikm_header; /* followed by the body */
};

MIPC_STATIC_ASSERT(kmsg_metadata_is_one_line,
    offsetof(struct ipc_kmsg, ikm_header) == ARCH_CACHELINE);
MIPC_STATIC_ASSERT(
    kmsg_alignment_within_a_line, _Alignof(struct ipc_kmsg) <= ARCH_CACHELINE);
MIPC_STATIC_ASSERT(kmsg_descriptors_align,
    _Alignof(struct ipc_kdesc) <= 8 &&
        offsetof(struct ipc_kmsg, ikm_header) % 8 == 0);

static inline char *
ikm_bytes(struct ipc_kmsg *k)
{
	return (char *)&k->ikm_header;
}

/* The descriptors after copyin: ikm_ndesc of them. */
static inline struct ipc_kdesc *
ikm_desc(struct ipc_kmsg *k)
{
	return (struct ipc_kdesc *)(void *)((char *)k + k->ikm_desc_off);
}

/* Where the descriptors of a `size`-byte message go: after it, aligned. */
static inline uint32_t
ikm_desc_off_for(uint32_t size)
{
	return (uint32_t)offsetof(struct ipc_kmsg, ikm_header) +
	    ((size + 7u) & ~7u);
}

/*
 * The layout both initialisers below store (but ikm_alloc, ikm_ndesc and
 * ikm_desc_off, which inline storage keeps).
 */
static inline void
ikm_init_fields(struct ipc_kmsg *k, uint16_t kind, uint32_t size)
{
	k->ikm_kind = kind;
	k->ikm_flags = 0;
	k->ikm_size = size;
	k->ikm_dest.ir_port = NULL;
	k->ikm_dest.ir_dead = false;
	k->ikm_reply.ir_port = NULL;
	k->ikm_reply.ir_dead = false;
	k->ikm_reply.ir_type = 0;
}

/*
 * A fresh kmsg's metadata: `alloc` bytes of memory of `kind`, for a
 * message of `size` bytes, no rights, no descriptors yet.  The one place
 * that lays it out, for a cached or huge kmsg (ipc_kmsg_alloc) and the
 * reply handoff area's (mqueue.c); ipc_kmsg_init_inline, below, is its
 * variant for a ring slot's inline storage.
 */
static inline void
ipc_kmsg_init(struct ipc_kmsg *k, uint32_t alloc, uint16_t kind, uint32_t size)
{
	k->ikm_next = NULL;
	k->ikm_alloc = alloc;
	ikm_init_fields(k, kind, size);
	k->ikm_ndesc = 0;
	k->ikm_desc_off = ikm_desc_off_for(size);
	k->ikm_sender = 0;
}

/*
 * ipc_kmsg_init for a ring slot's inline storage (mqueue.h, struct
 * imq_inl), holding a simple message its sender is about to write (the
 * send fast path, msg.c), with what that sender would store next: the
 * message's flags, its destination send right (dest), its send-once
 * reply right (reply, or NULL) and its sender's serial.  The same layout
 * as ipc_kmsg_init's, but each field is stored only if it differs from
 * what the storage holds: in a stream, a storage's messages have the
 * same metadata, so its metadata line is only read, by senders and
 * receivers alike, stays in both CPUs' caches, and a 64-byte message
 * moves one line of its storage, the message's, not two (PERF.md 3.5).
 * The storage is ours (its reservation saw it given back, [A81]): what
 * we read is what the last writer left.  Not compared: ikm_next (set by
 * whoever links a kmsg on a list; an inline kmsg is on none, and
 * ipc_kmsg_destroy sets it before reading it) and three fields the
 * storage keeps from the ring's making on (mqueue.c, ring_get):
 * ikm_alloc, its bytes; ikm_ndesc, 0 (an inline message is simple, and
 * nothing gives it descriptors); and ikm_desc_off, since no descriptors
 * follow, the way back to the storage's give-back count (mqueue.h,
 * imq_inl_back).  One branch for all fields: the differences OR-ed,
 * read as words where fields share one -- the kind with the flags, each
 * right's type with its dead flag and the bytes that pad them, which
 * every write here leaves zero (a nonzero pad would only send us to the
 * writes, which zero it): callgrind sr_send 321.8 -> 312.8.
 */
MIPC_STATIC_ASSERT(ikm_inline_words,
    offsetof(struct ipc_kmsg, ikm_flags) ==
            offsetof(struct ipc_kmsg, ikm_kind) + 2 &&
        offsetof(struct ipc_right, ir_dead) ==
            offsetof(struct ipc_right, ir_type) + 4 &&
        sizeof(struct ipc_right) == offsetof(struct ipc_right, ir_type) + 8);

/* A right's type, its dead flag (false) and their pad, as one word. */
static inline __attribute__((always_inline)) uint64_t
ikm_right_word(uint32_t type)
{
	unsigned char b[8] = { 0 };
	uint64_t w;

	memcpy(b, &type, sizeof(type));
	memcpy(&w, b, sizeof(w));
	return w;
}

/* The word at offset off of k's metadata line. */
static inline __attribute__((always_inline)) uint64_t
ikm_word(const struct ipc_kmsg *k, size_t off)
{
	uint64_t w;

	memcpy(&w, (const char *)k + off, sizeof(w));
	return w;
}

static inline __attribute__((always_inline)) void
ipc_kmsg_init_inline(struct ipc_kmsg *k, uint32_t size, uint16_t flags,
    struct ipc_port *dest, struct ipc_port *reply, uint32_t sender)
{
	const size_t dw = offsetof(struct ipc_kmsg, ikm_dest) +
	    offsetof(struct ipc_right, ir_type);
	const size_t rw = offsetof(struct ipc_kmsg, ikm_reply) +
	    offsetof(struct ipc_right, ir_type);
	const uint64_t dword = ikm_right_word(MACH_MSG_TYPE_PORT_SEND);
	const uint64_t rword =
	    ikm_right_word(reply != NULL ? MACH_MSG_TYPE_PORT_SEND_ONCE : 0);
	const uint16_t kf[2] = { IKM_KIND_INLINE, flags };
	uint32_t kfword, kfhave;
	uint64_t diff;

	memcpy(&kfword, kf, sizeof(kfword));
	memcpy(&kfhave, &k->ikm_kind, sizeof(kfhave));
	diff = (uint64_t)(kfhave ^ kfword) | (k->ikm_size ^ size) |
	    ((uintptr_t)k->ikm_dest.ir_port ^ (uintptr_t)dest) |
	    (ikm_word(k, dw) ^ dword) |
	    ((uintptr_t)k->ikm_reply.ir_port ^ (uintptr_t)reply) |
	    (ikm_word(k, rw) ^ rword) | (k->ikm_sender ^ sender);
	if (likely(diff == 0))
		return;
	ikm_init_fields(k, IKM_KIND_INLINE, size);
	k->ikm_flags = flags;
	k->ikm_dest.ir_port = dest;
	memcpy((char *)k + dw, &dword, sizeof(dword));
	k->ikm_reply.ir_port = reply;
	memcpy((char *)k + rw, &rword, sizeof(rword));
	k->ikm_sender = sender;
}

/*
 * Deliver a simple message whose reply right became reply_name (a name in
 * the receiver's space, MACH_PORT_NULL or MACH_PORT_DEAD): the header as
 * the receiver sees it, the body and the default trailer (format 0, its
 * own size) into msg, which holds them.  The kmsg is only read (see
 * struct ipc_kmsg).  ipc_kmsg_copyout_simple's, and the receive fast
 * path's for an inline message (msg.c), inside its section.
 */
/* ipc_kmsg_deliver_simple copies these two as one. */
MIPC_STATIC_ASSERT(header_voucher_then_id,
    offsetof(mach_msg_header_t, msgh_id) ==
        offsetof(mach_msg_header_t, msgh_voucher_port) + 4);

static inline __attribute__((always_inline)) void
ipc_kmsg_deliver_simple(struct ipc_kmsg *k, mach_msg_header_t *msg,
    mach_port_name_t rcv, mach_port_name_t reply_name)
{
	const uint32_t trailer[2] = { MACH_MSG_TRAILER_FORMAT_0,
		sizeof(mach_msg_trailer_t) };
	const mach_msg_header_t *kh = &k->ikm_header;
	uint32_t size = k->ikm_size;
	/* The header field by field, at any alignment of msg: a copy of
	 * the whole, changed and stored, cost 4 instructions more. */
	mach_msg_bits_t bits = MACH_MSGH_BITS_SET(
	    k->ikm_reply.ir_type, k->ikm_dest.ir_type, 0, kh->msgh_bits);
	char *m = (char *)msg;

	memcpy(m + offsetof(mach_msg_header_t, msgh_bits), &bits, 4);
	memcpy(m + offsetof(mach_msg_header_t, msgh_size), &size, 4);
	memcpy(
	    m + offsetof(mach_msg_header_t, msgh_remote_port), &reply_name, 4);
	memcpy(m + offsetof(mach_msg_header_t, msgh_local_port), &rcv, 4);
	/* msgh_voucher_port and msgh_id as they came */
	memcpy(m + offsetof(mach_msg_header_t, msgh_voucher_port),
	    &kh->msgh_voucher_port, 8);
	ipc_copy_msg(
	    m + sizeof(*kh), ikm_bytes(k) + sizeof(*kh), size - sizeof(*kh));
	memcpy(m + size, trailer, sizeof(trailer));
}

struct ipc_kmsg *ipc_kmsg_alloc(uint32_t size, uint32_t ndesc);
void ipc_kmsg_free(struct ipc_kmsg *kmsg);
void ipc_kmsg_free_slow(struct ipc_kmsg *kmsg);
void ipc_kmsg_peek_trailer(
    mach_msg_max_trailer_t *t, bool kernel, uint32_t sender);
void ipc_kmsg_destroy(struct ipc_kmsg *kmsg);
bool ipc_kmsg_reuse(struct ipc_kmsg *kmsg, uint32_t size);
mach_msg_return_t ipc_kmsg_copyin(struct mipc_space *space, const void *msg,
    mach_msg_size_t send_size, struct ipc_user_buf *ub,
    struct ipc_kmsg **kmsgp);
mach_msg_return_t ipc_kmsg_copyout(struct mipc_space *space,
    struct ipc_kmsg *kmsg, mach_msg_header_t *msg, mach_port_name_t rcv,
    mach_msg_option_t option, uint32_t seqno, uint64_t context);
mach_msg_return_t ipc_kmsg_copyout_simple(struct mipc_space *space,
    struct ipc_kmsg *kmsg, mach_msg_header_t *msg, mach_port_name_t rcv);

/*
 * Does copying kmsg out name anything in the receiver's space (a reply
 * right, descriptors)?  If not, ipc_kmsg_copyout never touches the space
 * and may be given NULL: a receive then needs no reference on it.
 */
static inline bool
ipc_kmsg_copyout_needs_space(const struct ipc_kmsg *kmsg)
{
	return kmsg->ikm_reply.ir_port != NULL || kmsg->ikm_ndesc != 0;
}
bool ipc_kmsg_copyout_reply_try(struct mipc_space *space,
    const struct ipc_kmsg *kmsg, mach_port_name_t *namep,
    struct ipc_port **releasep);
void ipc_kmsg_consume(struct ipc_kmsg *kmsg);
void ipc_kmsg_copyout_pseudo(
    struct mipc_space *space, struct ipc_kmsg *kmsg, mach_msg_header_t *msg);
void ipc_kmsg_too_large(struct ipc_kmsg *kmsg, mach_msg_header_t *msg,
    mach_msg_size_t rcv_size, mach_port_name_t rcv, mach_msg_option_t option,
    uint32_t seqno, uint64_t context);
mach_msg_size_t ipc_trailer_size(mach_msg_option_t option);

/*
 * Put the receive rights a message carries in transit towards its
 * destination; true if that would make a cycle (N2, N3).
 */
bool ipc_kmsg_set_transit(struct ipc_kmsg *kmsg, struct ipc_port *dest);

#endif /* MIPC_CORE_KMSG_H */
