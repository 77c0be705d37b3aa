/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmsg.c -- messages: validation and copyin of headers and descriptors,
 * copyout (and pseudo-receive), trailers, destruction.
 *
 * Owns:      struct ipc_kmsg and everything it carries: the destination and
 *            reply rights, the rights of port and OOL-ports descriptors,
 *            OOL regions (vm.c regions no space owns while in flight).
 * Locking:   copyin and copyout take the sending / receiving space's lock
 *            around right operations (right.c), never across memory copies
 *            of OOL data.  The receive fast path's copyout of a reply
 *            right (ipc_kmsg_copyout_reply_try) only tries it, inside the
 *            receiver's epoch section, and holds no space reference.
 *            Receive rights a message carries go in transit through
 *            port.c (ipc_kmsg_set_transit below walks them).
 * Lifetime:  a kmsg lives from copyin to copyout or destruction; it is then
 *            freed -- through the epoch when a receiver took it while
 *            mach_port_peek was reading it (IKM_KIND_PEEKED, mqueue.c).
 *            A kmsg in a ring's handoff area or inline storage is given
 *            back to it instead (IKM_KIND_HANDOFF, IKM_KIND_INLINE); a
 *            taker's copy of an inline one (IKM_KIND_COPY) is the
 *            taker's memory, and is destroyed at once, never queued.
 *            Destruction is iterative through a per-thread queue,
 *            so a cascade (a dying port's queue holding receive rights of
 *            ports whose queues hold more) never recurses (O1).
 * Choices:   * The message is kept as the user wrote it (ikm_header on),
 *              with the copied-in rights beside it in ipc_kdesc; copyout
 *              writes names and addresses into the receiver's buffer.
 *            * OOL memory sent with MACH_MSG_VIRTUAL_COPY and deallocate,
 *              from a region mipc handed out (vm_allocate, a received
 *              region) of exactly that size, moves without a copy: the
 *              receiver gets the same pages at the same address (one
 *              address space).  MACH_MSG_PHYSICAL_COPY always copies (then
 *              deallocates the source).  Any other memory is copied
 *              (ipc_vm_copyin_from, vm.c): from a region the sender holds
 *              with the region pinned against a concurrent release, from
 *              anything else or a region vm_protect made unreadable
 *              through a checked copy, so memory that is or becomes
 *              unreadable is MACH_SEND_INVALID_MEMORY rather than a
 *              crash.
 *            * Vouchers do not exist here: a voucher disposition with a
 *              non-null name is MACH_SEND_INVALID_VOUCHER (I7).
 *            * Audit tokens carry the pid in word 5 and the sending space's
 *              serial number in word 7 (XNU's pid version); kernel-made
 *              messages carry zeros and the sender token {0, 1}.  The
 *              process's ids are read once at load (no system call per
 *              message); a process that changes them later is not seen.
 *            * The message buffer itself must be readable for send_size
 *              bytes (it is copied with memcpy, as a kernel would fault);
 *              only out-of-line addresses are probed.
 */
#include "kmsg.h"

#include "cache.h"
#include "guard.h"
#include "port.h"
#include "reply.h"
#include "right.h"
#include "space.h"
#include "thread.h"
#include "vm.h"

#include <mipc/message.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

/*
 * The process's credentials for trailers, read once at load: tasks are
 * spaces of one process here, so every sender has these.  (C)
 */
static struct {
	unsigned int cr_uid, cr_euid, cr_gid, cr_egid;
	pid_t cr_pid;
} ipc_creds;

static void
kmsg_creds_read(void)
{
	ipc_creds.cr_uid = (unsigned int)getuid();
	ipc_creds.cr_euid = (unsigned int)geteuid();
	ipc_creds.cr_gid = (unsigned int)getgid();
	ipc_creds.cr_egid = (unsigned int)getegid();
	ipc_creds.cr_pid = getpid();
}

/* A forked child is another process: read them again there. */
__attribute__((constructor)) static void
kmsg_creds_init(void)
{
	kmsg_creds_read();
	(void)pthread_atfork(NULL, NULL, kmsg_creds_read);
}

/* ------------------------------------------------------------------ */
/* Allocation                                                          */

static size_t
kmsg_bytes(uint32_t size, uint32_t ndesc)
{
	return ikm_desc_off_for(size) +
	    (size_t)ndesc * sizeof(struct ipc_kdesc);
}

/*
 * ipc_kmsg_alloc
 *	A kmsg for a message of `size` bytes with `ndesc` descriptors, from
 *	the smallest size class that holds it.  NULL when out of memory.
 */
struct ipc_kmsg *
ipc_kmsg_alloc(uint32_t size, uint32_t ndesc)
{
	size_t bytes = kmsg_bytes(size, ndesc);
	enum ipc_kind kind;
	struct ipc_kmsg *k;

	if (bytes <= IPC_KMSG_S_SIZE)
		kind = IPC_KIND_KMSG_S;
	else if (bytes <= IPC_KMSG_M_SIZE)
		kind = IPC_KIND_KMSG_M;
	else if (bytes <= IPC_KMSG_L_SIZE)
		kind = IPC_KIND_KMSG_L;
	else
		kind = IPC_KIND_KMSG_HUGE;
	k = kind == IPC_KIND_KMSG_HUGE ? ipc_alloc(kind, bytes)
	                               : ipc_cache_alloc(kind);
	if (k == NULL)
		return NULL;
	ipc_kmsg_init(k, (uint32_t)bytes, (uint16_t)kind, size);
	return k;
}

/*
 * ipc_kmsg_free
 *	Give the memory back.  One comparison covers the two rare kinds (the
 *	huge one, and a peeked message: IKM_KIND_PEEKED is above every
 *	kind), so the common free costs what it did before peeking existed.
 */
void
ipc_kmsg_free(struct ipc_kmsg *k)
{
	if (k->ikm_kind == IKM_KIND_COPY)
		return; /* the taker's buffer (IKM_KIND_COPY) */
	if (k->ikm_kind == IKM_KIND_INLINE) {
		ipc_mqueue_inline_done(k); /* kept by its taker */
		return;
	}
	if (unlikely(k->ikm_kind >= IPC_KIND_KMSG_HUGE))
		ipc_kmsg_free_slow(k);
	else
		ipc_cache_free((enum ipc_kind)k->ikm_kind, k);
}

static void
kmsg_free_deferred(struct ipc_deferred *d)
{
	struct ipc_kmsg *k = ipc_container_of(d, struct ipc_kmsg, ikm_free);

	/* After the grace period: the peeker's reads are over. */
	k->ikm_kind &= (uint16_t)~IKM_KIND_PEEKED;
	ipc_kmsg_free(k);
}

/*
 * ipc_kmsg_free_slow
 *	A huge message, or one a peeker may still be reading: that one waits
 *	for every epoch section open now (the peeker's is) to close.  A thread
 *	with no state of its own is in no section: it waits for the readers.
 * Conditions: as ipc_kmsg_free.  The message's rights are gone (ikm_free
 *	overlays them).
 */
void
ipc_kmsg_free_slow(struct ipc_kmsg *k)
{
	struct ipc_thread *th;

	if (k->ikm_kind == IPC_KIND_KMSG_HUGE) {
		ipc_free(IPC_KIND_KMSG_HUGE, k, k->ikm_alloc);
		return;
	}
	if (k->ikm_kind == IKM_KIND_HANDOFF) {
		/* Its destination right is the caller's, in a copy: it goes
		 * after the area (IKM_KIND_HANDOFF). */
		ipc_mqueue_handoff_done(k);
		return;
	}
	ipc_require(k->ikm_kind & IKM_KIND_PEEKED, "a kmsg kind");
	th = ipc_thread_self();
	if (th != NULL) {
		ipc_epoch_defer(th, &k->ikm_free, kmsg_free_deferred);
		return;
	}
	ipc_epoch_wait_readers();
	kmsg_free_deferred(&k->ikm_free);
}

/* ------------------------------------------------------------------ */
/* Receive rights in transit (N)                                       */

/*
 * ipc_kmsg_set_transit
 *	Put the receive rights the message carries in transit towards its
 *	destination (port.c); true if that would make a cycle (N2,
 *	N3: the caller destroys the message).
 * Conditions:
 *	Nothing locked.  The message is copied in and not yet queued.
 */
bool
ipc_kmsg_set_transit(struct ipc_kmsg *k, struct ipc_port *dest)
{
	uint32_t i, j;

	for (i = 0; i < k->ikm_ndesc; i++) {
		struct ipc_kdesc *d = &ikm_desc(k)[i];
		struct ipc_right *r = NULL;
		uint32_t n = 1;

		if (d->kd_type == MACH_MSG_PORT_DESCRIPTOR ||
		    d->kd_type == MACH_MSG_GUARDED_PORT_DESCRIPTOR)
			r = &d->kd_port;
		else if (d->kd_type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
			r = d->kd_oolp.kd_rights;
			n = d->kd_oolp.kd_count;
		}
		for (j = 0; r != NULL && j < n; j++) {
			if (r[j].ir_port == NULL ||
			    r[j].ir_type != MACH_MSG_TYPE_PORT_RECEIVE)
				continue;
			if (ipc_port_check_circularity(r[j].ir_port, dest))
				return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Destruction (O1)                                                    */

static __thread struct ipc_kmsg *destroy_queue;
static __thread bool destroying;

/* A destination right used up by delivery: no notification (J3). */
static void
right_consume(struct ipc_right *r)
{
	if (r->ir_port == NULL)
		return;
	if (r->ir_type == MACH_MSG_TYPE_PORT_SEND_ONCE)
		ipc_port_release_sonce(r->ir_port);
	else
		ipc_port_release_send(r->ir_port);
	r->ir_port = NULL;
}

/*
 * The destination right a message taken from its queue still holds, as a
 * copy: none when it was borrowed (IKM_F_BORROWED), since whoever took
 * the message consumed that inside its section (msg.c, the drain in
 * mqueue.c).  Read into a copy so that a receiver writes nothing into
 * the kmsg (kmsg.h).
 */
static inline struct ipc_right
kmsg_taken_dest(const struct ipc_kmsg *k)
{
	struct ipc_right dest = k->ikm_dest;

	if (k->ikm_flags & IKM_F_BORROWED)
		dest.ir_port = NULL;
	return dest;
}

/*
 * J3: a delivered message's destination right is consumed, and the
 * message freed -- first, so that a handoff area (IKM_KIND_HANDOFF) is
 * given back before the right goes, since the right may hold the last
 * reference on the port the area belongs to.
 */
static inline void
kmsg_consume_free(struct ipc_kmsg *k)
{
	struct ipc_right dest = kmsg_taken_dest(k);

	ipc_kmsg_free(k);
	right_consume(&dest);
}

static void
right_destroy(struct ipc_right *r)
{
	if (r->ir_port != NULL && r->ir_type == MACH_MSG_TYPE_PORT_RECEIVE)
		ipc_port_release_transit(r->ir_port);
	ipc_right_discard(r);
}

/*
 * The rights of an out-of-line ports descriptor, held by the message:
 * message bytes, within the bound on queued bytes (cache.c).
 */
static struct ipc_right *
oolp_rights_alloc(uint32_t n)
{
	size_t bytes = (size_t)n * sizeof(struct ipc_right);
	struct ipc_right *rights;

	if (!ipc_queued_admit(bytes))
		return NULL;
	rights = ipc_alloc(IPC_KIND_TABLE, bytes);
	if (rights != NULL)
		ipc_queued_account((int64_t)bytes);
	return rights;
}

static void
oolp_rights_free(struct ipc_right *rights, uint32_t n)
{
	size_t bytes = (size_t)n * sizeof(struct ipc_right);

	if (rights == NULL)
		return;
	ipc_queued_account(-(int64_t)bytes);
	ipc_free(IPC_KIND_TABLE, rights, bytes);
}

/* Release descriptors [0, n). */
static void
kmsg_clean_body(struct ipc_kmsg *k, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i++) {
		struct ipc_kdesc *d = &ikm_desc(k)[i];

		switch (d->kd_type) {
		case MACH_MSG_PORT_DESCRIPTOR:
		case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
			right_destroy(&d->kd_port);
			break;
		case MACH_MSG_OOL_PORTS_DESCRIPTOR:
			for (j = 0; j < d->kd_oolp.kd_count; j++)
				right_destroy(&d->kd_oolp.kd_rights[j]);
			oolp_rights_free(
			    d->kd_oolp.kd_rights, d->kd_oolp.kd_count);
			d->kd_oolp.kd_rights = NULL;
			d->kd_oolp.kd_count = 0;
			break;
		default: /* OOL memory */
			if (d->kd_ool.kd_region != NULL)
				ipc_vm_free(d->kd_ool.kd_region);
			d->kd_ool.kd_region = NULL;
			break;
		}
	}
}

static void
kmsg_destroy_one(struct ipc_kmsg *k)
{
	struct ipc_right dest;

	if (unlikely(k->ikm_kind == IKM_KIND_HANDOFF)) {
		/* A simple message: the area goes, then the right (see
		 * IKM_KIND_HANDOFF). */
		dest = k->ikm_dest;
		k->ikm_dest.ir_port = NULL;
		ipc_kmsg_free(k);
		right_destroy(&dest);
		return;
	}
	/* A borrowed destination right went where it was taken. */
	dest = kmsg_taken_dest(k);
	right_destroy(&dest);
	right_destroy(&k->ikm_reply);
	kmsg_clean_body(k, k->ikm_ndesc);
	ipc_kmsg_free(k);
}

/*
 * ipc_kmsg_destroy
 *	Release everything a message carries, then the message.
 * Conditions:
 *	No port locked (rights are released; ports may die and drain their
 *	queues into this same function, which only queues them).
 */
void
ipc_kmsg_destroy(struct ipc_kmsg *k)
{
	if (unlikely(k->ikm_kind & (IKM_KIND_COPY | IKM_KIND_INLINE)) &&
	    destroying) {
		/* Its buffer is the caller's, or its storage is until the
		 * caller's section ends: at once (IKM_KIND_COPY).  A simple
		 * message: only its header rights go, and what their
		 * release destroys is queued as usual. */
		kmsg_destroy_one(k);
		return;
	}
	k->ikm_next = destroy_queue;
	destroy_queue = k;
	if (destroying)
		return;
	destroying = true;
	while ((k = destroy_queue) != NULL) {
		destroy_queue = k->ikm_next;
		kmsg_destroy_one(k);
	}
	destroying = false;
}

/*
 * ipc_kmsg_reuse
 *	Empty a message for reuse as a simple `size`-byte message (kobject.c
 *	turns a request into its error reply when memory for a reply is
 *	exhausted): what its body carries -- descriptors' rights, out-of-line
 *	memory -- is released; its header rights stay the caller's.
 * Conditions:
 *	Nothing locked; the message is no queue's.  Never allocates.
 * Returns:
 *	false, changing nothing, when its memory cannot hold `size` bytes.
 */
bool
ipc_kmsg_reuse(struct ipc_kmsg *k, uint32_t size)
{
	size_t room = k->ikm_alloc;

	if (k->ikm_kind &
	    (IKM_KIND_PEEKED | IKM_KIND_HANDOFF | IKM_KIND_INLINE |
	        IKM_KIND_COPY))
		return false; /* a peeker may still be reading it, or it is
		                 no memory of its own */
	if (k->ikm_kind == IPC_KIND_KMSG_S)
		room = IPC_KMSG_S_SIZE;
	else if (k->ikm_kind == IPC_KIND_KMSG_M)
		room = IPC_KMSG_M_SIZE;
	else if (k->ikm_kind == IPC_KIND_KMSG_L)
		room = IPC_KMSG_L_SIZE;
	if (kmsg_bytes(size, 0) > room)
		return false;
	kmsg_clean_body(k, k->ikm_ndesc);
	k->ikm_ndesc = 0;
	k->ikm_size = size;
	k->ikm_flags = 0;
	k->ikm_desc_off = ikm_desc_off_for(size);
	return true;
}

/* ------------------------------------------------------------------ */
/* Validation (I2-I8: nothing is consumed)                             */

static inline uint8_t
desc_type(const char *d)
{
	return (uint8_t)d[11];
}

static inline uint32_t
desc_size(uint8_t type)
{
	return type == MACH_MSG_PORT_DESCRIPTOR || type > 4 ? 12 : 16;
}

/*
 * Walk the descriptors: count, types, sizes, option fields, port count.
 * Returns MACH_MSG_SUCCESS with *ndesc, or the send error.
 */
static mach_msg_return_t
body_validate(const char *msg, mach_msg_size_t size, uint32_t *ndesc)
{
	const mach_msg_base_t *b = (const void *)msg;
	uint32_t count, i, off = sizeof(mach_msg_base_t);
	uint64_t ports = 0;

	if (size < sizeof(mach_msg_base_t))
		return MACH_SEND_MSG_TOO_SMALL;
	count = b->body.msgh_descriptor_count;
	if (count > (size - sizeof(mach_msg_base_t)) / 12)
		return MACH_SEND_MSG_TOO_SMALL;
	for (i = 0; i < count; i++) {
		const char *d = msg + off;
		uint8_t type;

		if (off + 12 > size)
			return MACH_SEND_MSG_TOO_SMALL;
		type = desc_type(d);
		if (type > MACH_MSG_DESCRIPTOR_MAX)
			return MACH_SEND_INVALID_TYPE;
		if (off + desc_size(type) > size)
			return MACH_SEND_MSG_TOO_SMALL;
		switch (type) {
		case MACH_MSG_PORT_DESCRIPTOR:
			/*
			 * No disposition check here: XNU's inflate takes any,
			 * and a bad one fails the copy-in of a real name with
			 * MACH_SEND_INVALID_RIGHT and M2's consequences (L4).
			 */
			ports++;
			break;
		case MACH_MSG_OOL_DESCRIPTOR:
		case MACH_MSG_OOL_VOLATILE_DESCRIPTOR: {
			const mach_msg_ool_descriptor_t *o = (const void *)d;

			if (o->copy != MACH_MSG_PHYSICAL_COPY &&
			    o->copy != MACH_MSG_VIRTUAL_COPY)
				return MACH_SEND_INVALID_TYPE;
			break;
		}
		case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
			const mach_msg_ool_ports_descriptor_t *o =
			    (const void *)d;

			if (o->copy != MACH_MSG_PHYSICAL_COPY &&
			    o->copy != MACH_MSG_VIRTUAL_COPY)
				return MACH_SEND_INVALID_TYPE;
			if (!MACH_MSG_TYPE_PORT_ANY(o->disposition))
				return MACH_SEND_INVALID_TYPE;
			ports += o->count;
			break;
		}
		default: { /* guarded port (L10) */
			const mach_msg_guarded_port_descriptor_t *g =
			    (const void *)d;

			if (g->disposition != MACH_MSG_TYPE_MOVE_RECEIVE ||
			    g->flags == 0 ||
			    (g->flags & ~MACH_MSG_GUARD_FLAGS_MASK) ||
			    ((g->flags &
			         MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND) &&
			        g->context != 0))
				return MACH_SEND_INVALID_TYPE;
			ports++;
			break;
		}
		}
		off += desc_size(type);
	}
	if (ports > MIPC_MSG_MAX_PORTS)
		return MACH_SEND_TOO_LARGE;
	*ndesc = count;
	return MACH_MSG_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Header copyin (I6-I15, C8)                                          */

/* Does `e` qualify for disposition msgt (I12, I13), dead names aside? */
static bool
entry_can(uint32_t type, mach_msg_type_name_t msgt)
{
	switch (msgt) {
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		return type & MACH_PORT_TYPE_RECEIVE;
	case MACH_MSG_TYPE_COPY_SEND:
	case MACH_MSG_TYPE_MOVE_SEND:
		return type & MACH_PORT_TYPE_SEND;
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		return type & MACH_PORT_TYPE_SEND_ONCE;
	default:
		return false;
	}
}

/* The destination may be an immovable send right (Q15). */
#define DEST_COPYIN                                            \
	(IPC_COPYIN_HEADER | IPC_COPYIN_ALLOW_IMMOVABLE_SEND | \
	    IPC_COPYIN_CHECKED)

/*
 * Check, then copy in, the destination and reply rights: all or nothing.
 * Conditions: space locked and active.
 * Returns MACH_MSG_SUCCESS, a send error, or (C8) MACH_SEND_INVALID_DEST
 * with *dead_sonce set: the destination was an unconverted send-once name
 * whose port died; its name has been freed and the send "succeeds".
 */
static mach_msg_return_t
header_copyin_locked(struct mipc_space *space, struct ipc_kmsg *k,
    mach_msg_bits_t bits, bool *dead_sonce)
{
	mach_port_name_t dn = k->ikm_header.msgh_remote_port;
	mach_port_name_t rn = k->ikm_header.msgh_local_port;
	mach_port_name_t vn = k->ikm_header.msgh_voucher_port;
	mach_msg_type_name_t dt = MACH_MSGH_BITS_REMOTE(bits);
	mach_msg_type_name_t rt = MACH_MSGH_BITS_LOCAL(bits);
	struct ipc_entry *de, *re = NULL;
	uint32_t dtype, rtype = 0;
	bool reply_first;

	ipc_lock_assert_held(&space->is_lock);
	kern_return_t kr;

again:
	/*
	 * XNU's order: the voucher, the destination entry (I11), the reply
	 * entry and its capability (I12), and only then the destination's
	 * capability (I13) -- C8 included, which applies to valid headers.
	 */
	/* I7: no name denotes a voucher object here. */
	if (MACH_MSGH_BITS_VOUCHER(bits) != 0 && MACH_PORT_VALID(vn)) {
		ipc_guard_raise(vn, kGUARD_EXC_SEND_INVALID_VOUCHER, 0);
		return MACH_SEND_INVALID_VOUCHER;
	}
	de = ipc_entry_lookup(space, dn);
	if (de == NULL)
		return MACH_SEND_INVALID_DEST;
	dtype = IE_BITS_TYPE(de->ie_bits);
	if (dtype == MACH_PORT_TYPE_PORT_SET ||
	    dtype == MACH_PORT_TYPE_DEAD_NAME)
		return MACH_SEND_INVALID_DEST; /* I11 */
	if (MACH_PORT_VALID(rn)) {
		re = ipc_entry_lookup(space, rn);
		if (re == NULL ||
		    IE_BITS_TYPE(re->ie_bits) == MACH_PORT_TYPE_PORT_SET) {
			ipc_guard_raise(rn, kGUARD_EXC_SEND_INVALID_REPLY, 0);
			return MACH_SEND_INVALID_REPLY;
		}
	}
	if (re != NULL) {
		(void)ipc_right_check(space, rn, re);
		rtype = IE_BITS_TYPE(re->ie_bits);
		if (rtype == MACH_PORT_TYPE_DEAD_NAME) {
			/* I12: the move/copy forms accept a dead name. */
			if (rt == MACH_MSG_TYPE_MAKE_SEND ||
			    rt == MACH_MSG_TYPE_MAKE_SEND_ONCE) {
				ipc_guard_raise(
				    rn, kGUARD_EXC_SEND_INVALID_REPLY, 0);
				return MACH_SEND_INVALID_REPLY;
			}
		} else if (!entry_can(rtype, rt)) {
			ipc_guard_raise(rn, kGUARD_EXC_SEND_INVALID_REPLY, 0);
			return MACH_SEND_INVALID_REPLY;
		} else if (rt != MACH_MSG_TYPE_MAKE_SEND &&
		    rt != MACH_MSG_TYPE_MAKE_SEND_ONCE &&
		    (ip_from_object(re->ie_object)->ip_cflags &
		        IP_F_IMMOVABLE_SEND)) {
			/* Q15: an immovable send right is no reply right
			 * (XNU's ipc_right_copyin_check_reply). */
			ipc_guard_raise(rn, kGUARD_EXC_IMMOVABLE, 0);
			return MACH_SEND_INVALID_REPLY;
		} else if ((ip_from_object(re->ie_object)->ip_cflags &
		               IP_F_REPLY_PORT) &&
		    rt != MACH_MSG_TYPE_MAKE_SEND_ONCE) {
			/* R2: a reply port replies only through a send-once
			 * right. */
			ipc_guard_raise(rn, kGUARD_EXC_SEND_INVALID_REPLY, 0);
			return MACH_SEND_INVALID_REPLY;
		}
	}
	dtype = IE_BITS_TYPE(de->ie_bits); /* the reply's check may convert */
	/*
	 * C8: an unconverted send-once name to a dead port, no request:
	 * the send "succeeds" -- the destination right is consumed, the
	 * rest is copied in as usual and the message is then destroyed.
	 */
	if (dt == MACH_MSG_TYPE_MOVE_SEND_ONCE &&
	    dtype == MACH_PORT_TYPE_SEND_ONCE && de->ie_index == 0 &&
	    !ip_active(ip_from_object(de->ie_object))) {
		kr = ipc_right_copyin(space, dn, dt,
		    IPC_COPYIN_DEAD_OK | IPC_COPYIN_ALLOW_IMMOVABLE_SEND,
		    &k->ikm_dest);
		ipc_require(kr == KERN_SUCCESS, "copyin of a send-once name");
		if (MACH_PORT_VALID(rn)) {
			kr = ipc_right_copyin(space, rn, rt,
			    IPC_COPYIN_HEADER | IPC_COPYIN_DEAD_OK,
			    &k->ikm_reply);
			ipc_require(kr == KERN_SUCCESS, "checked reply copyin");
		}
		*dead_sonce = true;
		return MACH_MSG_SUCCESS;
	}
	(void)ipc_right_check(space, dn, de);
	dtype = IE_BITS_TYPE(de->ie_bits);
	if (dtype == MACH_PORT_TYPE_PORT_SET ||
	    dtype == MACH_PORT_TYPE_DEAD_NAME || !entry_can(dtype, dt))
		return MACH_SEND_INVALID_DEST;
	/* I14: one send right named twice. */
	if (re == de && dt == MACH_MSG_TYPE_MOVE_SEND &&
	    rt == MACH_MSG_TYPE_MOVE_SEND && IE_BITS_UREFS(de->ie_bits) < 2)
		return MACH_SEND_INVALID_DEST;
	if (re != NULL) {
		struct ipc_port *dp = ip_from_object(de->ie_object);
		struct ipc_port *rp = rtype == MACH_PORT_TYPE_DEAD_NAME
		    ? NULL
		    : ip_from_object(re->ie_object);

		/* R5: an enforcing destination wants a reply port. */
		if ((dp->ip_cflags & IP_F_ENFORCE_REPLY) &&
		    (rp == NULL ||
		        !(rp->ip_cflags &
		            (IP_F_REPLY_PORT | IP_F_PROVISIONAL_REPLY)))) {
			ipc_guard_raise(
			    rn, kGUARD_EXC_REQUIRE_REPLY_PORT_SEMANTICS, 0);
			return MACH_SEND_INVALID_REPLY;
		}
	}
	{
		struct ipc_port *dp = ip_from_object(de->ie_object);

		/* R1: the send right of a reply port does not send. */
		if ((dp->ip_cflags & IP_F_REPLY_PORT) &&
		    (dt == MACH_MSG_TYPE_COPY_SEND ||
		        dt == MACH_MSG_TYPE_MOVE_SEND ||
		        dt == MACH_MSG_TYPE_MAKE_SEND)) {
			ipc_guard_raise(dn, kGUARD_EXC_INVALID_RIGHT, 0);
			return MACH_SEND_INVALID_DEST;
		}
	}

	/*
	 * --- checks done: the copyins below can fail only by the
	 * destination's death since its check (see dest_died) ---
	 * One name as both (I14): the right that does not consume goes
	 * first, so MOVE_SEND + COPY_SEND works with a single reference.
	 */
	reply_first = re == de && dt == MACH_MSG_TYPE_MOVE_SEND &&
	    rt != MACH_MSG_TYPE_MOVE_SEND;
	if (!reply_first) {
		kr = ipc_right_copyin(space, dn, dt, DEST_COPYIN, &k->ikm_dest);
		if (unlikely(kr != KERN_SUCCESS))
			goto dest_died;
	}
	if (MACH_PORT_VALID(rn)) {
		/* A reply whose port died since its check goes as dead. */
		kr = ipc_right_copyin(space, rn, rt,
		    IPC_COPYIN_HEADER | IPC_COPYIN_DEAD_OK, &k->ikm_reply);
		ipc_require(kr == KERN_SUCCESS, "checked reply copyin");
		if (reply_first) {
			kr = ipc_right_copyin(
			    space, dn, dt, DEST_COPYIN, &k->ikm_dest);
			if (unlikely(kr != KERN_SUCCESS)) {
				/* A copy of the same send right: give it
				 * back (the port is dead: no notification). */
				ipc_right_discard(&k->ikm_reply);
				goto dest_died;
			}
		}
	} else {
		/* J1: a null or dead reply keeps its (copied-in) type. */
		k->ikm_reply.ir_port = NULL;
		k->ikm_reply.ir_dead = rn == MACH_PORT_DEAD;
		k->ikm_reply.ir_type = rt == 0 ? 0
		    : MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(rt)
		    ? MACH_MSG_TYPE_PORT_SEND_ONCE
		    : MACH_MSG_TYPE_PORT_SEND;
	}
	/*
	 * S3 seam: a MAKE_SEND_ONCE reply made from a special reply port
	 * links that port to the destination for priority inheritance
	 * (XNU's ipc_kmsg_set_qos -> ipc_port_link_special_reply_port).  The
	 * link changes no return code; it waits for turnstile.c.  The send
	 * fast path (msg.c) takes such replies too, and must fall back here
	 * once linking exists.
	 */
	return MACH_MSG_SUCCESS;

dest_died:
	/*
	 * The destination's port died after the checks: a port dies under
	 * its own lock, not ours (found by fuzz_sched).  The copy-in changed
	 * nothing (or, when the reply went first through the same name,
	 * made it a dead name), so decide again, as if the port had died
	 * first: MACH_SEND_INVALID_DEST for a send right, C8 for a
	 * send-once right.  Each pass follows a death, so this ends.
	 */
	ipc_require(kr == KERN_ABORTED ||
	        (reply_first && kr == KERN_INVALID_RIGHT &&
	            IE_BITS_TYPE(de->ie_bits) == MACH_PORT_TYPE_DEAD_NAME),
	    "only a death fails a checked destination copy-in");
	goto again;
}

/* ------------------------------------------------------------------ */
/* Body copyin (L, M2)                                                 */

static mach_msg_return_t
desc_port_copyin(struct mipc_space *space, struct ipc_kmsg *k,
    mach_port_name_t name, mach_msg_type_name_t disp, struct ipc_right *r)
{
	kern_return_t kr;

	r->ir_port = NULL;
	r->ir_dead = false;
	r->ir_type = MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(disp)
	    ? MACH_MSG_TYPE_PORT_SEND_ONCE
	    : disp == MACH_MSG_TYPE_MOVE_RECEIVE ? MACH_MSG_TYPE_PORT_RECEIVE
	                                         : MACH_MSG_TYPE_PORT_SEND;
	if (!MACH_PORT_VALID(name)) {
		r->ir_dead = name == MACH_PORT_DEAD; /* L1: passes through */
		return MACH_MSG_SUCCESS;
	}
	is_lock(space);
	kr = ipc_right_copyin(space, name, disp, IPC_COPYIN_DEAD_OK, r);
	is_unlock(space);
	if (kr == KERN_SUCCESS) {
		if (r->ir_type == MACH_MSG_TYPE_PORT_RECEIVE)
			k->ikm_flags |= IKM_F_RECEIVE;
		return MACH_MSG_SUCCESS;
	}
	if (kr != KERN_INVALID_CAPABILITY)
		ipc_guard_raise(name, kGUARD_EXC_SEND_INVALID_RIGHT, 0);
	return MACH_SEND_INVALID_RIGHT;
}

/* L10: the guard a guarded descriptor must show. */
static mach_msg_return_t
guarded_check(struct mipc_space *space, mach_port_name_t name,
    const mach_msg_guarded_port_descriptor_t *g)
{
	struct ipc_entry *e;
	struct ipc_port *port;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;

	if (!MACH_PORT_VALID(name))
		return MACH_MSG_SUCCESS;
	is_lock(space);
	e = ipc_entry_lookup(space, name);
	if (e != NULL && (IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_RECEIVE)) {
		bool guarded, ok;

		port = ip_from_object(e->ie_object);
		ip_lock(port);
		guarded = port->ip_flags & IP_F_GUARDED;
		if (g->flags & MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND)
			ok = !guarded || port->ip_context == 0;
		else
			ok = guarded && port->ip_context == g->context;
		if (!ok) {
			ipc_guard_raise(
			    name, kGUARD_EXC_INCORRECT_GUARD, port->ip_context);
			mr = MACH_SEND_INVALID_RIGHT;
		} else if (port->ip_flags & IP_F_GUARD_IMMOVABLE) {
			/* The right guard moves a port its guard pins. */
			port->ip_flags &=
			    ~(IP_F_IMMOVABLE_RECEIVE | IP_F_GUARD_IMMOVABLE);
		}
		ip_unlock(port);
	}
	is_unlock(space);
	return mr;
}

/*
 * The sender released the region [addr, addr + len): if it held the
 * message buffer, the call must not write there any more (L8;
 * XNU takes the region out of the task's map, so its copyout fails).
 */
static void
user_buf_released(struct ipc_user_buf *ub, uintptr_t addr, size_t len)
{
	if (ub != NULL && addr < ub->ub_addr + ub->ub_len &&
	    ub->ub_addr < addr + len)
		ub->ub_gone = true;
}

/*
 * OOL memory: a region the sender holds, sent whole with deallocate and
 * virtual copy, moves without a copy (its pages go to the receiver);
 * anything else is copied into a fresh region through ipc_vm_copyin_from
 * (a plain copy from a region the sender holds, a checked one from other
 * memory), so memory that is or becomes unreadable is
 * MACH_SEND_INVALID_MEMORY, never a fault.  Only the sender's own regions
 * are taken or released.
 */
static mach_msg_return_t
desc_ool_copyin(struct mipc_space *space, struct ipc_kdesc *d,
    const mach_msg_ool_descriptor_t *o, struct ipc_user_buf *ub)
{
	const void *src = o->address;
	uint32_t size = o->size;
	struct ipc_vm_region *r;

	d->kd_ool.kd_region = NULL;
	d->kd_ool.kd_size = size;
	if (size == 0)
		return MACH_MSG_SUCCESS;
	if (o->deallocate && o->copy == MACH_MSG_VIRTUAL_COPY) {
		r = ipc_vm_take(space, src, size);
		if (r != NULL) {
			user_buf_released(ub, r->vr_addr, r->vr_len);
			d->kd_ool.kd_region = r;
			return MACH_MSG_SUCCESS;
		}
	}
	if (ipc_vm_alloc(NULL, size, true, &r) != KERN_SUCCESS)
		return MACH_SEND_NO_BUFFER;
	if (!ipc_vm_copyin_from(space, ipc_vm_addr(r), src, size)) {
		ipc_vm_free(r);
		return MACH_SEND_INVALID_MEMORY;
	}
	d->kd_ool.kd_region = r;
	if (o->deallocate &&
	    ipc_vm_release(space, (vm_address_t)src, size) == KERN_SUCCESS)
		user_buf_released(ub, (uintptr_t)src, ipc_vm_round(size));
	return MACH_MSG_SUCCESS;
}

static mach_msg_return_t
desc_oolp_copyin(struct mipc_space *space, struct ipc_kmsg *k,
    struct ipc_kdesc *d, const mach_msg_ool_ports_descriptor_t *o,
    struct ipc_user_buf *ub)
{
	mach_port_name_t *names;
	struct ipc_right *rights;
	uint32_t n = o->count, i;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;

	d->kd_oolp.kd_rights = NULL;
	d->kd_oolp.kd_count = 0;
	if (n == 0)
		return MACH_MSG_SUCCESS;
	names = ipc_alloc(IPC_KIND_MISC, n * sizeof(*names));
	rights = oolp_rights_alloc(n);
	if (names == NULL || rights == NULL) {
		ipc_free(IPC_KIND_MISC, names, n * sizeof(*names));
		oolp_rights_free(rights, n);
		return MACH_SEND_NO_BUFFER;
	}
	if (!ipc_vm_copyin(names, o->address, n * sizeof(*names))) {
		ipc_free(IPC_KIND_MISC, names, n * sizeof(*names));
		oolp_rights_free(rights, n);
		return MACH_SEND_INVALID_MEMORY;
	}
	for (i = 0; i < n; i++) {
		mr = desc_port_copyin(
		    space, k, names[i], o->disposition, &rights[i]);
		if (mr != MACH_MSG_SUCCESS)
			break;
	}
	if (mr != MACH_MSG_SUCCESS) {
		/* L9: those already copied in from this array go. */
		while (i-- > 0)
			right_destroy(&rights[i]);
		oolp_rights_free(rights, n);
	} else {
		d->kd_oolp.kd_rights = rights;
		d->kd_oolp.kd_count = n;
		if (o->deallocate &&
		    ipc_vm_release(space, (vm_address_t)o->address,
		        n * sizeof(*names)) == KERN_SUCCESS)
			user_buf_released(ub, (uintptr_t)o->address,
			    ipc_vm_round(n * sizeof(*names)));
	}
	ipc_free(IPC_KIND_MISC, names, n * sizeof(*names));
	return mr;
}

/*
 * Copy in the descriptors, in order.  On failure the descriptors before
 * the failing one are released (M2) and k->ikm_ndesc says how
 * many were kept (none).  Out of line: inlined, its registers cost every
 * message's ipc_kmsg_copyin (3 instructions on a send with a reply port).
 */
__attribute__((noinline)) static mach_msg_return_t
body_copyin(struct mipc_space *space, struct ipc_kmsg *k, uint32_t ndesc,
    struct ipc_user_buf *ub)
{
	char *msg = ikm_bytes(k);
	uint32_t off = sizeof(mach_msg_base_t), i;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;

	for (i = 0; i < ndesc; i++) {
		char *u = msg + off;
		struct ipc_kdesc *d = &ikm_desc(k)[i];
		uint8_t type = desc_type(u);

		d->kd_type = type == MACH_MSG_OOL_VOLATILE_DESCRIPTOR
		    ? MACH_MSG_OOL_DESCRIPTOR
		    : type;
		d->kd_offset = off;
		switch (type) {
		case MACH_MSG_PORT_DESCRIPTOR: {
			mach_msg_port_descriptor_t *p = (void *)u;

			mr = desc_port_copyin(
			    space, k, p->name, p->disposition, &d->kd_port);
			break;
		}
		case MACH_MSG_OOL_DESCRIPTOR:
		case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
			mr = desc_ool_copyin(space, d, (void *)u, ub);
			break;
		case MACH_MSG_OOL_PORTS_DESCRIPTOR:
			mr = desc_oolp_copyin(space, k, d, (void *)u, ub);
			break;
		default: {
			mach_msg_guarded_port_descriptor_t *g = (void *)u;

			mr = guarded_check(space, g->name, g);
			if (mr == MACH_MSG_SUCCESS)
				mr = desc_port_copyin(space, k, g->name,
				    g->disposition, &d->kd_port);
			break;
		}
		}
		if (mr != MACH_MSG_SUCCESS)
			break;
		k->ikm_ndesc = i + 1;
		off += desc_size(type);
	}
	if (mr != MACH_MSG_SUCCESS) {
		kmsg_clean_body(k, i);
		k->ikm_ndesc = 0;
	}
	return mr;
}

/*
 * Does the body carry port rights (for no-grant destinations)?  As XNU's
 * send_dsc_port_count: every port and guarded port descriptor counts,
 * whatever its name; an OOL ports descriptor counts its names.
 */
static bool
body_has_rights(const char *msg, uint32_t ndesc)
{
	uint32_t off = sizeof(mach_msg_base_t), i, count;

	for (i = 0; i < ndesc; i++) {
		uint8_t type = desc_type(msg + off);

		switch (type) {
		case MACH_MSG_OOL_DESCRIPTOR:
		case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
			break;
		case MACH_MSG_OOL_PORTS_DESCRIPTOR:
			memcpy(&count,
			    msg + off +
			        offsetof(
			            mach_msg_ool_ports_descriptor_t, count),
			    sizeof(count));
			if (count != 0)
				return true;
			break;
		default:
			return true;
		}
		off += desc_size(type);
	}
	return false;
}

/*
 * ipc_kmsg_copyin
 *	Copy a message in from `space` and validate it: `msg` is the user's
 *	buffer of send_size bytes, at any alignment, read once -- into the
 *	kmsg -- and everything checked and used is that copy, so that a
 *	thread rewriting the buffer meanwhile changes nothing validated.
 *	`ub`, if not NULL, is the user's buffer as the call may still write
 *	it: ub_gone is set if a descriptor released it (L8).
 * Conditions:
 *	Nothing locked.  Allocates.
 * Returns:
 *	MACH_MSG_SUCCESS with *kmsgp, or the send error.  Errors found
 *	before the header rights move consume nothing (M1); body errors
 *	destroy the header rights and earlier descriptors (M2).  A C8 send
 *	returns MACH_MSG_SUCCESS with *kmsgp NULL: nothing to deliver.
 */
mach_msg_return_t
ipc_kmsg_copyin(struct mipc_space *space, const void *msg,
    mach_msg_size_t send_size, struct ipc_user_buf *ub, struct ipc_kmsg **kmsgp)
{
	const mach_msg_header_t *h;
	mach_msg_bits_t bits;
	mach_msg_type_name_t dt, rt, vt;
	struct ipc_kmsg *k;
	uint32_t ndesc = 0;
	mach_msg_return_t mr;
	bool dead_sonce = false;

	*kmsgp = NULL;
	if (send_size < sizeof(mach_msg_header_t) || (send_size & 3) != 0)
		return MACH_SEND_MSG_TOO_SMALL;
	if (send_size > MIPC_MSG_MAX_BODY)
		return MACH_SEND_TOO_LARGE;
	k = ipc_kmsg_alloc(send_size, 0);
	if (k == NULL)
		return MACH_SEND_NO_BUFFER;
	ipc_copy_msg(ikm_bytes(k), msg, send_size);
	bits = k->ikm_header.msgh_bits & MACH_MSGH_BITS_USER; /* I5 */
	if (bits & MACH_MSGH_BITS_COMPLEX) {
		mr = body_validate(ikm_bytes(k), send_size, &ndesc);
		if (mr != MACH_MSG_SUCCESS) {
			ipc_kmsg_free(k);
			return mr;
		}
		if (ndesc != 0 && kmsg_bytes(send_size, ndesc) > k->ikm_alloc) {
			struct ipc_kmsg *big = ipc_kmsg_alloc(send_size, ndesc);

			if (big == NULL) {
				ipc_kmsg_free(k);
				return MACH_SEND_NO_BUFFER;
			}
			memcpy(ikm_bytes(big), ikm_bytes(k), send_size);
			ipc_kmsg_free(k);
			k = big;
		}
	}
	h = &k->ikm_header; /* the copy: what is checked is what is used */
	k->ikm_header.msgh_bits = bits;
	k->ikm_header.msgh_size = send_size; /* I3 */
	dt = MACH_MSGH_BITS_REMOTE(bits);
	rt = MACH_MSGH_BITS_LOCAL(bits);
	vt = MACH_MSGH_BITS_VOUCHER(bits);

	/* I6: the reply disposition. */
	mr = MACH_MSG_SUCCESS;
	if (rt == 0 ? h->msgh_local_port != MACH_PORT_NULL
	            : !MACH_MSG_TYPE_PORT_ANY_SEND(rt))
		mr = MACH_SEND_INVALID_HEADER;
	/* I7: vouchers (none exist). */
	else if (vt != 0 && vt != MACH_MSG_TYPE_MOVE_SEND &&
	    vt != MACH_MSG_TYPE_COPY_SEND)
		mr = MACH_SEND_INVALID_VOUCHER;
	else if (vt != 0 && h->msgh_voucher_port == MACH_PORT_DEAD)
		mr = MACH_SEND_INVALID_VOUCHER;
	/* I8, I9: the destination disposition, then its name. */
	else if (!MACH_MSG_TYPE_PORT_ANY_SEND(dt))
		mr = MACH_SEND_INVALID_HEADER;
	else if (!MACH_PORT_VALID(h->msgh_remote_port))
		mr = MACH_SEND_INVALID_DEST;
	/* I10: one name as destination and reply. */
	else if (h->msgh_remote_port == h->msgh_local_port &&
	    (dt == MACH_MSG_TYPE_MOVE_SEND_ONCE ||
	        rt == MACH_MSG_TYPE_MOVE_SEND_ONCE))
		mr = MACH_SEND_INVALID_DEST;
	/* I10: the voucher's name as destination or reply. */
	else if (vt != 0 && MACH_PORT_VALID(h->msgh_voucher_port) &&
	    h->msgh_remote_port == h->msgh_voucher_port &&
	    dt != MACH_MSG_TYPE_MOVE_SEND && dt != MACH_MSG_TYPE_COPY_SEND)
		mr = MACH_SEND_INVALID_DEST;
	else if (vt != 0 && MACH_PORT_VALID(h->msgh_voucher_port) &&
	    h->msgh_local_port == h->msgh_voucher_port)
		mr = MACH_SEND_INVALID_REPLY;
	if (mr != MACH_MSG_SUCCESS) {
		ipc_kmsg_free(k);
		return mr;
	}

	is_lock(space);
	mr = ipc_space_check(space) == KERN_SUCCESS
	    ? header_copyin_locked(space, k, bits, &dead_sonce)
	    : MACH_SEND_INVALID_DEST; /* W2 */
	k->ikm_sender = space->is_serial;
	is_unlock(space);
	if (vt != 0)
		k->ikm_header.msgh_voucher_port = MACH_PORT_NULL;
	if (mr != MACH_MSG_SUCCESS) {
		ipc_kmsg_free(k);
		return mr;
	}

	if (ndesc != 0) {
		struct ipc_port *dp = k->ikm_dest.ir_port;

		if (dp != NULL && (dp->ip_cflags & IP_F_NO_GRANT) &&
		    body_has_rights(ikm_bytes(k), ndesc)) {
			kmsg_destroy_one(k); /* header rights only (M2) */
			return MACH_SEND_NO_GRANT_DEST;
		}
		mr = body_copyin(space, k, ndesc, ub);
		if (mr != MACH_MSG_SUCCESS) {
			kmsg_destroy_one(k); /* M2 */
			return mr;
		}
	}
	if (dead_sonce) {
		/* C8: "pretend it got sent". */
		ipc_kmsg_destroy(k);
		return MACH_MSG_SUCCESS;
	}
	*kmsgp = k;
	return MACH_MSG_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Copyout (J1, J2, K8, L)                                             */

/* REQUESTED_TRAILER_SIZE (1.8, V2). */
mach_msg_size_t
ipc_trailer_size(mach_msg_option_t option)
{
	static const uint8_t sizes[16] = { 8, 12, 20, 52, 60, 68, 68, 68, 68,
		68, 68, 68, 68, 68, 68, 68 };

	return sizes[GET_RCV_ELEMENTS(option)];
}

/* The sender and audit tokens of a trailer t (zeroed by the caller). */
static inline void
trailer_tokens(mach_msg_max_trailer_t *t, bool kernel, uint32_t sender)
{
	if (kernel) {
		t->msgh_sender.val[0] = 0;
		t->msgh_sender.val[1] = 1;
	} else {
		t->msgh_sender.val[0] = ipc_creds.cr_euid;
		t->msgh_sender.val[1] = ipc_creds.cr_egid;
		t->msgh_audit.val[0] = ipc_creds.cr_uid;
		t->msgh_audit.val[1] = ipc_creds.cr_euid;
		t->msgh_audit.val[2] = ipc_creds.cr_egid;
		t->msgh_audit.val[3] = ipc_creds.cr_uid;
		t->msgh_audit.val[4] = ipc_creds.cr_gid;
		t->msgh_audit.val[5] = (unsigned int)ipc_creds.cr_pid;
		t->msgh_audit.val[7] = sender;
	}
}

/*
 * ipc_kmsg_peek_trailer
 *	The trailer XNU keeps with a queued message, which mach_port_peek
 *	copies (U6): format 0, msgh_trailer_size the minimum (8, what the
 *	kernel stores at send), the sender's tokens; the seqno is the
 *	caller's to fill.  kernel: made by mipc (IKM_F_KERNEL); sender: the
 *	sending space's serial (ikm_sender).
 */
void
ipc_kmsg_peek_trailer(mach_msg_max_trailer_t *t, bool kernel, uint32_t sender)
{
	memset(t, 0, sizeof(*t));
	t->msgh_trailer_type = MACH_MSG_TRAILER_FORMAT_0;
	t->msgh_trailer_size = MACH_MSG_TRAILER_MINIMUM_SIZE;
	trailer_tokens(t, kernel, sender);
}

/* Write the trailer at msgh_size: only `size` bytes (V1). */
static void
write_trailer(struct ipc_kmsg *k, char *at, mach_msg_size_t size,
    mach_msg_size_t bytes, uint32_t seqno, uint64_t context)
{
	mach_msg_max_trailer_t t;

	if (bytes == sizeof(mach_msg_trailer_t)) {
		/* The default trailer: two words, stored directly. */
		uint32_t w[2] = { MACH_MSG_TRAILER_FORMAT_0, size };

		memcpy(at, w, sizeof(w));
		return;
	}
	memset(&t, 0, sizeof(t));
	t.msgh_trailer_type = MACH_MSG_TRAILER_FORMAT_0;
	t.msgh_trailer_size = size;
	t.msgh_seqno = seqno;
	trailer_tokens(&t, (k->ikm_flags & IKM_F_KERNEL) != 0, k->ikm_sender);
	/* V4: the receiving port's context at receipt. */
	t.msgh_context = context;
	memcpy(at, &t, bytes);
}

/* Copy a right out into space; K9: a full space gives MACH_PORT_NULL. */
static mach_port_name_t
right_copyout(struct mipc_space *space, struct ipc_right *r, bool *nospace)
{
	mach_port_name_t name;
	kern_return_t kr;

	if (r->ir_port == NULL)
		return r->ir_dead ? MACH_PORT_DEAD : MACH_PORT_NULL;
	ipc_require(space != NULL, "a right copies out into a space held");
	if (r->ir_type == MACH_MSG_TYPE_PORT_RECEIVE) {
		/* Out of transit, in one step with cases 4-6: through a
		 * workloop, or a check-in's reply. */
		ipc_port_copyout_receive(r->ir_port);
	} else if (r->ir_type == MACH_MSG_TYPE_PORT_SEND_ONCE &&
	    unlikely(r->ir_port->ip_cflags & IP_F_SPECIAL_REPLY))
		/* S3: the reply right left for a plain receiver. */
		ipc_special_reply_copyout_sonce(r->ir_port);
	is_lock(space);
	kr = ipc_space_check(space) == KERN_SUCCESS
	    ? ipc_right_copyout(space, r, &name)
	    : KERN_INVALID_TASK;
	is_unlock(space);
	if (kr != KERN_SUCCESS) {
		ipc_right_discard(r);
		*nospace = true;
		return MACH_PORT_NULL;
	}
	return name;
}

/*
 * Hand an OOL region to the receiver; K9: when it cannot take it (its
 * space died meanwhile, or memory ran out) the region is released and the
 * descriptor gets no address.
 */
static void *
region_copyout(struct mipc_space *space, struct ipc_kdesc *d, bool *novm)
{
	struct ipc_vm_region *r = d->kd_ool.kd_region;

	d->kd_ool.kd_region = NULL;
	if (r == NULL)
		return NULL;
	if (!ipc_vm_give(space, r)) {
		*novm = true;
		return NULL;
	}
	return ipc_vm_addr(r);
}

/*
 * Rewrite the descriptors of the message image at `out` -- the kmsg's own
 * copy, aligned, copied to the user's buffer afterwards -- with the names
 * and addresses the receiver gets.  `uaddr` is the user's buffer address
 * (a guarded descriptor's new guard, L11).
 */
static mach_msg_return_t
body_copyout(struct mipc_space *space, struct ipc_kmsg *k, char *out,
    uintptr_t uaddr, mach_msg_option_t option, bool pseudo)
{
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	uint32_t i, j;

	for (i = 0; i < k->ikm_ndesc; i++) {
		struct ipc_kdesc *d = &ikm_desc(k)[i];
		char *u = out + d->kd_offset;
		bool nospace = false, novm = false;

		switch (d->kd_type) {
		case MACH_MSG_PORT_DESCRIPTOR: {
			mach_msg_port_descriptor_t *p = (void *)u;
			mach_msg_type_name_t t = d->kd_port.ir_type;

			p->name = right_copyout(space, &d->kd_port, &nospace);
			p->disposition = t;
			break;
		}
		case MACH_MSG_OOL_DESCRIPTOR: {
			mach_msg_ool_descriptor_t *o = (void *)u;

			o->address = region_copyout(space, d, &novm);
			o->size = d->kd_ool.kd_size;
			/* L8 quirk: deallocate exactly when virtual copy. */
			o->deallocate = o->copy == MACH_MSG_VIRTUAL_COPY;
			if (o->size == 0)
				o->address = NULL;
			break;
		}
		case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
			mach_msg_ool_ports_descriptor_t *o = (void *)u;
			uint32_t n = d->kd_oolp.kd_count;
			mach_port_name_t *names = NULL;
			mach_msg_type_name_t t = o->disposition;
			struct ipc_vm_region *r;

			t = MACH_MSG_TYPE_PORT_ANY_SEND_ONCE(t)
			    ? MACH_MSG_TYPE_PORT_SEND_ONCE
			    : t == MACH_MSG_TYPE_MOVE_RECEIVE
			    ? MACH_MSG_TYPE_PORT_RECEIVE
			    : MACH_MSG_TYPE_PORT_SEND;
			/* The array is the receiver's memory. */
			if (n != 0) {
				if (ipc_vm_alloc(space, n * sizeof(*names),
				        true, &r) == KERN_SUCCESS)
					names = ipc_vm_addr(r);
				else
					novm = true;
			}
			for (j = 0; j < n; j++) {
				mach_port_name_t nm = right_copyout(
				    space, &d->kd_oolp.kd_rights[j], &nospace);

				if (names != NULL)
					names[j] = nm;
			}
			oolp_rights_free(d->kd_oolp.kd_rights, n);
			d->kd_oolp.kd_rights = NULL;
			d->kd_oolp.kd_count = 0;
			o->address = names;
			o->deallocate = 1;
			o->copy = MACH_MSG_VIRTUAL_COPY;
			o->disposition = t;
			break;
		}
		default: { /* guarded port (L11, L12) */
			mach_msg_guarded_port_descriptor_t *g = (void *)u;
			struct ipc_port *port = d->kd_port.ir_port;
			mach_msg_guard_flags_t flags = g->flags;

			if (!pseudo && !(option & MACH_RCV_GUARDED_DESC)) {
				right_destroy(&d->kd_port);
				g->name = MACH_PORT_NULL;
				g->context = 0;
				g->disposition = MACH_MSG_TYPE_PORT_RECEIVE;
				break;
			}
			g->name = right_copyout(space, &d->kd_port, &nospace);
			g->disposition = MACH_MSG_TYPE_PORT_RECEIVE;
			g->flags =
			    flags & ~MACH_MSG_GUARD_FLAGS_UNGUARDED_ON_SEND;
			if (!nospace && port != NULL &&
			    (flags & MACH_MSG_GUARD_FLAGS_IMMOVABLE_RECEIVE)) {
				is_lock(space);
				ip_lock(port);
				if (ip_active(port) &&
				    ip_receiver(port) == space) {
					port->ip_context = (uint64_t)uaddr;
					port->ip_flags |= IP_F_GUARDED |
					    IP_F_IMMOVABLE_RECEIVE |
					    IP_F_GUARD_IMMOVABLE;
				}
				ip_unlock(port);
				is_unlock(space);
				g->context = (uint64_t)uaddr;
			} else {
				g->context = 0;
			}
			break;
		}
		}
		if (nospace && mr == MACH_MSG_SUCCESS)
			mr = MACH_RCV_BODY_ERROR | MACH_MSG_IPC_SPACE;
		if (novm && mr == MACH_MSG_SUCCESS)
			mr = MACH_RCV_BODY_ERROR | MACH_MSG_VM_SPACE;
	}
	k->ikm_ndesc = 0;
	return mr;
}

/* The header fields copyout changes lead the header (ipc_kmsg_copyout). */
MIPC_STATIC_ASSERT(copyout_changes_the_header_head,
    offsetof(mach_msg_header_t, msgh_bits) == 0 &&
        offsetof(mach_msg_header_t, msgh_size) <
            offsetof(mach_msg_header_t, msgh_voucher_port) &&
        offsetof(mach_msg_header_t, msgh_remote_port) <
            offsetof(mach_msg_header_t, msgh_voucher_port) &&
        offsetof(mach_msg_header_t, msgh_local_port) <
            offsetof(mach_msg_header_t, msgh_voucher_port));

/*
 * ipc_kmsg_copyout
 *	Deliver a message into `msg` (rcv_size already checked) and space:
 *	header swapped (J1), rights named (J2, K8), descriptors rewritten (L),
 *	trailer written at msgh_size (V1).  Consumes the kmsg.  A body's
 *	descriptors are rewritten in the kmsg's own (aligned) image, the
 *	image copied out, and the header fields copyout changes written over
 *	its copy from a local one: a user buffer at any alignment is legal
 *	(XNU copies out bytes), and a simple message's kmsg is only read,
 *	never written (kmsg.h).
 *	With msg NULL (the buffer was released by the call's own send, L8)
 *	the rights and memory still go to the space, nothing is written, and
 *	the receive answers MACH_RCV_INVALID_DATA, as XNU's failed copyout.
 * Conditions: nothing locked.  `context`: the context of the port the
 *	message was taken from, at receipt (V4).  A destination right the
 *	receiver consumed already (IKM_F_BORROWED, msg.c) is not looked at.
 */
mach_msg_return_t
ipc_kmsg_copyout(struct mipc_space *space, struct ipc_kmsg *k,
    mach_msg_header_t *msg, mach_port_name_t rcv, mach_msg_option_t option,
    uint32_t seqno, uint64_t context)
{
	mach_msg_header_t h; /* only what copyout changes: up to the voucher */
	mach_msg_type_name_t dest_t = k->ikm_dest.ir_type;
	struct ipc_right reply_r = k->ikm_reply;
	mach_msg_type_name_t reply_t = reply_r.ir_type;
	mach_port_name_t reply;
	mach_msg_return_t mr = MACH_MSG_SUCCESS;
	bool nospace = false;

	/* The reply right from a copy, the header built here: a simple
	 * message's kmsg is only read (kmsg.h). */
	reply = right_copyout(space, &reply_r, &nospace);
	if (nospace) {
		/* K9: header rights failed: not delivered (the reply right
		 * is gone with the copy). */
		k->ikm_reply.ir_port = NULL;
		ipc_kmsg_destroy(k);
		return MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE;
	}
	h.msgh_bits =
	    MACH_MSGH_BITS_SET(reply_t, dest_t, 0, k->ikm_header.msgh_bits);
	h.msgh_size = k->ikm_size;
	h.msgh_remote_port = reply;
	h.msgh_local_port = rcv;
	if (k->ikm_ndesc != 0)
		mr = body_copyout(
		    space, k, ikm_bytes(k), (uintptr_t)msg, option, false);
	if (likely(msg != NULL)) {
		ipc_copy_msg(msg, ikm_bytes(k), k->ikm_size);
		memcpy(msg, &h, offsetof(mach_msg_header_t, msgh_voucher_port));
		write_trailer(k, (char *)msg + k->ikm_size,
		    ipc_trailer_size(option), ipc_trailer_size(option), seqno,
		    context);
	} else {
		mr = MACH_RCV_INVALID_DATA;
	}
	kmsg_consume_free(k);
	return mr;
}

/*
 * ipc_kmsg_copyout_simple
 *	ipc_kmsg_copyout for the receive fast path (msg.c msg_receive_fp): a
 *	message with no descriptors, the default trailer (format 0, its own
 *	size: no seqno or context to write), a buffer that holds both.  The
 *	same bytes, rights and result; the header is made in place in the
 *	user's buffer instead of in the kmsg's image first.
 * Conditions: as ipc_kmsg_copyout; msg not NULL.
 */
mach_msg_return_t
ipc_kmsg_copyout_simple(struct mipc_space *space, struct ipc_kmsg *k,
    mach_msg_header_t *msg, mach_port_name_t rcv)
{
	mach_port_name_t reply_name;
	bool nospace = false;

	ipc_assert_slow(
	    k->ikm_ndesc == 0 && k->ikm_size >= sizeof(mach_msg_header_t),
	    "a simple message has a header and no descriptors");
	if (k->ikm_reply.ir_port == NULL) {
		/* right_copyout's first case, without the call. */
		reply_name =
		    k->ikm_reply.ir_dead ? MACH_PORT_DEAD : MACH_PORT_NULL;
	} else {
		/* From a copy: the kmsg is only read (kmsg.h). */
		struct ipc_right reply_r = k->ikm_reply;

		reply_name = right_copyout(space, &reply_r, &nospace);
		if (unlikely(nospace)) {
			/* K9: header rights failed: not delivered (the reply
			 * right is gone with the copy). */
			k->ikm_reply.ir_port = NULL;
			ipc_kmsg_destroy(k);
			return MACH_RCV_HEADER_ERROR | MACH_MSG_IPC_SPACE;
		}
	}
	ipc_kmsg_deliver_simple(k, msg, rcv, reply_name);
	kmsg_consume_free(k);
	return MACH_MSG_SUCCESS;
}

/*
 * ipc_kmsg_consume
 *	A message the receive fast path delivered itself (its reply right
 *	named by ipc_kmsg_copyout_reply_try): the destination right
 *	consumed and the kmsg freed, as ipc_kmsg_copyout_simple ends (J3).
 * Conditions: nothing locked; outside the section it was taken in.
 */
void
ipc_kmsg_consume(struct ipc_kmsg *k)
{
	kmsg_consume_free(k);
}

/*
 * ipc_kmsg_copyout_reply_try
 *	right_copyout of a simple message's reply right in its common case,
 *	for the receive fast path (msg.c msg_receive_fp) inside the section
 *	it took the message in: a live send-once right into a fresh entry of
 *	an active space with one free (K8), a special reply port's link
 *	moved as ipc_special_reply_copyout_sonce moves it in its inline
 *	cases (unlinked: left; PORT with no waiter: NO_LINKAGE) and before
 *	the name exists, as there.  The space's lock is only tried (a
 *	section never waits), and held, it keeps the space from its destroy
 *	(which takes it): no reference on the space.  Anything else -- the
 *	lock busy, a destroyed space, no free entry (growth allocates), a
 *	dead port, another link state, a workloop's servicer -- answers
 *	false with nothing changed, and the caller copies the message out
 *	the general way.  The kmsg is only read: its reply right moves into
 *	the entry (reference and send-once count), the message's copy of it
 *	is not the caller's to consume (as ipc_kmsg_copyout_simple's copy).
 * Conditions:
 *	Inside an epoch section; nothing locked; k taken, no descriptors,
 *	a reply right (ipc_kmsg_copyout_needs_space).
 * Returns:
 *	true: *namep the reply right's new name; *releasep the port a
 *	special reply port's link held a reference on (the caller releases
 *	it after the section), or NULL.
 */
bool
ipc_kmsg_copyout_reply_try(struct mipc_space *space, const struct ipc_kmsg *k,
    mach_port_name_t *namep, struct ipc_port **releasep)
{
	struct ipc_port *port = k->ikm_reply.ir_port;
	uintptr_t v = IPC_LINK_ANY;

	ipc_assert_slow(k->ikm_ndesc == 0 && port != NULL,
	    "a simple message with a reply right");
	if (unlikely(k->ikm_reply.ir_type != MACH_MSG_TYPE_PORT_SEND_ONCE ||
	        k->ikm_reply.ir_dead))
		return false;
	if (port->ip_cflags & IP_F_SPECIAL_REPLY) {
		struct ipc_thread *th = ipc_thread_cur;

		/* Through a workloop (cases 2, 3): right_copyout's. */
		if (unlikely(th != NULL && th->th_servicing != NULL))
			return false;
		v = ipc_link_load(port);
		if (v != IPC_LINK_ANY &&
		    (ipc_link_state(v) != IPC_LINK_PORT || (v & IPC_LINK_W)))
			return false;
	}
	/* Tests: the space destroyed between the take and its copyout (W2,
	 * then the general path's). */
	ipc_debug_yield(IPC_YIELD_LOCK);
	if (unlikely(!is_lock_try(space)))
		return false;
	if (unlikely(!space->is_active || space->is_free_head == 0 ||
	        !ip_active(port)))
		goto refuse;
	/* S3: the link breaks before the right has a name (right_copyout);
	 * a failed CAS changed nothing: the general path looks again. */
	if (v != IPC_LINK_ANY) {
		if (unlikely(!ipc_link_cas(port, &v, IPC_LINK_NO_LINKAGE)))
			goto refuse;
		*releasep = (struct ipc_port *)ipc_link_ptr(v);
	} else {
		*releasep = NULL;
	}
	*namep = ipc_right_copyout_sonce_locked(space, &port->ip_object);
	is_unlock(space);
	ipc_rcv_reply_note();
	return true;
refuse:
	is_unlock(space);
	return false;
}

/*
 * ipc_kmsg_copyout_pseudo
 *	Give a message that could not be sent back to its sender (item
 *	M3): rights return, header ports are not swapped, no trailer.  msg
 *	NULL: the send released the buffer (L8); only the rights return.
 */
void
ipc_kmsg_copyout_pseudo(
    struct mipc_space *space, struct ipc_kmsg *k, mach_msg_header_t *msg)
{
	mach_msg_header_t *h = &k->ikm_header;
	mach_msg_bits_t bits = h->msgh_bits;
	mach_msg_type_name_t dest_t = k->ikm_dest.ir_type;
	mach_msg_type_name_t reply_t = k->ikm_reply.ir_type;
	struct ipc_port *rp = k->ikm_reply.ir_port;
	mach_port_name_t dest, reply;
	bool nospace = false;

	dest = right_copyout(space, &k->ikm_dest, &nospace);
	if (rp != NULL && (rp->ip_cflags & IP_F_REPLY_PORT) &&
	    reply_t == MACH_MSG_TYPE_PORT_SEND_ONCE) {
		/* M3: a reply port's send-once right is quietly dropped. */
		mach_port_name_t rn = ip_receiver_name_hint(rp);

		right_consume(&k->ikm_reply);
		reply = rn;
		reply_t = MACH_MSG_TYPE_MAKE_SEND_ONCE;
	} else {
		reply = right_copyout(space, &k->ikm_reply, &nospace);
	}
	h->msgh_bits = MACH_MSGH_BITS_SET(dest_t, reply_t, 0, bits);
	h->msgh_remote_port = dest;
	h->msgh_local_port = reply;
	(void)body_copyout(space, k, ikm_bytes(k), (uintptr_t)msg,
	    MACH_RCV_GUARDED_DESC, true);
	/* A buffer this very send released gets nothing (L8). */
	if (msg != NULL)
		memcpy(msg, ikm_bytes(k), k->ikm_size);
	ipc_kmsg_free(k);
}

/*
 * ipc_kmsg_too_large
 *	MACH_RCV_TOO_LARGE without MACH_RCV_LARGE (K4): the message
 *	was taken and is destroyed; the buffer gets a bare header and as much
 *	trailer as fits.
 */
void
ipc_kmsg_too_large(struct ipc_kmsg *k, mach_msg_header_t *msg,
    mach_msg_size_t rcv_size, mach_port_name_t rcv, mach_msg_option_t option,
    uint32_t seqno, uint64_t context)
{
	mach_msg_header_t h = k->ikm_header;
	mach_msg_size_t tsize = ipc_trailer_size(option), want = tsize;
	struct ipc_right dest;

	h.msgh_bits = MACH_MSGH_BITS_SET(k->ikm_reply.ir_type,
	    k->ikm_dest.ir_type, 0, k->ikm_header.msgh_bits);
	h.msgh_size = sizeof(mach_msg_header_t);
	h.msgh_remote_port = MACH_PORT_NULL;
	h.msgh_local_port = rcv;
	if (msg != NULL && rcv_size >= sizeof(h)) {
		memcpy(msg, &h, sizeof(h));
		if (rcv_size - sizeof(h) < tsize)
			tsize = rcv_size - sizeof(h);
		if (tsize != 0)
			write_trailer(k, (char *)msg + sizeof(h), want, tsize,
			    seqno, context);
	}
	if (unlikely(k->ikm_kind == IKM_KIND_HANDOFF)) {
		kmsg_consume_free(k); /* K4: consumed normally; nothing else */
		return;
	}
	dest = kmsg_taken_dest(k);
	k->ikm_dest.ir_port = NULL;
	right_consume(&dest); /* K4: consumed normally */
	ipc_kmsg_destroy(k);
}
