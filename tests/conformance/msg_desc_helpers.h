/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_desc_helpers.h -- what the message suites of MACH.md areas L, M, N
 * and O share: a builder for complex messages in the packed LP64 user
 * layout (MACH.md 1.7), readers that walk a received message's
 * descriptors by their type byte, send and receive wrappers that never
 * block, and readers of the live-object counters.
 *
 * Descriptors are copied in and out of the buffer with memcpy: inside a
 * message they are only 4-byte aligned.  Every helper asserts with
 * MIPC_REQUIRE (no system call when it passes), so helpers may be called
 * inside loops.
 */
#ifndef MIPC_TESTS_CONFORMANCE_MSG_DESC_HELPERS_H
#define MIPC_TESTS_CONFORMANCE_MSG_DESC_HELPERS_H

#include "conformance.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* ---- building messages --------------------------------------------------- */

#define MD_BYTES 4096

/* A message buffer, for sending or receiving, and its send size. */
struct md_msg {
	union {
		mach_msg_header_t hdr;
		uint8_t bytes[MD_BYTES];
	} u;
	mach_msg_size_t size; /* send size: bytes built so far */
	mach_msg_size_t inl;  /* inline bytes after the descriptors */
};

#define MD_HDR(m) (&(m)->u.hdr)

/* Header only: remote (dest) and local (reply) with their dispositions. */
static inline void
md_init(struct md_msg *m, mach_port_name_t remote, mach_msg_type_name_t rdisp,
    mach_port_name_t local, mach_msg_type_name_t ldisp, mach_msg_id_t id)
{
	memset(m, 0, sizeof(*m));
	m->u.hdr.msgh_bits = MACH_MSGH_BITS(rdisp, ldisp);
	m->u.hdr.msgh_size = (mach_msg_size_t)sizeof(mach_msg_header_t);
	m->u.hdr.msgh_remote_port = remote;
	m->u.hdr.msgh_local_port = local;
	m->u.hdr.msgh_id = id;
	m->size = (mach_msg_size_t)sizeof(mach_msg_header_t);
}

/* The descriptor count of a complex message. */
static inline mach_msg_size_t
md_count(const mach_msg_header_t *h)
{
	mach_msg_body_t body;

	memcpy(&body, (const uint8_t *)h + sizeof(*h), sizeof(body));
	return body.msgh_descriptor_count;
}

static inline void
md_set_count(mach_msg_header_t *h, mach_msg_size_t n)
{
	mach_msg_body_t body = { n };

	memcpy((uint8_t *)h + sizeof(*h), &body, sizeof(body));
}

/* Turn a header-only message into a complex one with no descriptors. */
static inline void
md_complex(struct md_msg *m)
{
	MIPC_REQUIRE(m->size == sizeof(mach_msg_header_t),
	    "md_complex after the body was built (size %u)", m->size);
	m->u.hdr.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
	md_set_count(&m->u.hdr, 0);
	m->size += (mach_msg_size_t)sizeof(mach_msg_body_t);
	m->u.hdr.msgh_size = m->size;
}

static inline void
md_append_desc(struct md_msg *m, const void *d, size_t len)
{
	if (!MACH_MSGH_BITS_IS_COMPLEX(m->u.hdr.msgh_bits))
		md_complex(m);
	MIPC_REQUIRE(m->inl == 0, "descriptor added after inline data");
	MIPC_REQUIRE(m->size + len + MAX_TRAILER_SIZE <= MD_BYTES,
	    "message buffer full (%u + %zu)", m->size, len);
	memcpy(m->u.bytes + m->size, d, len);
	m->size += (mach_msg_size_t)len;
	m->u.hdr.msgh_size = m->size;
	md_set_count(&m->u.hdr, md_count(&m->u.hdr) + 1);
}

static inline void
md_add_port(struct md_msg *m, mach_port_name_t name, mach_msg_type_name_t disp)
{
	mach_msg_port_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.name = name;
	d.disposition = disp;
	d.type = MACH_MSG_PORT_DESCRIPTOR;
	md_append_desc(m, &d, sizeof(d));
}

static inline void
md_add_ool(struct md_msg *m, const void *addr, mach_msg_size_t size,
    boolean_t dealloc, mach_msg_copy_options_t copy)
{
	mach_msg_ool_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.address = (void *)(uintptr_t)addr;
	d.deallocate = dealloc;
	d.copy = copy;
	d.type = MACH_MSG_OOL_DESCRIPTOR;
	d.size = size;
	md_append_desc(m, &d, sizeof(d));
}

static inline void
md_add_ool_ports(struct md_msg *m, const mach_port_name_t *names,
    mach_msg_size_t count, mach_msg_type_name_t disp, boolean_t dealloc,
    mach_msg_copy_options_t copy)
{
	mach_msg_ool_ports_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.address = (void *)(uintptr_t)names;
	d.deallocate = dealloc;
	d.copy = copy;
	d.disposition = disp;
	d.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;
	d.count = count;
	md_append_desc(m, &d, sizeof(d));
}

static inline void
md_add_guarded(struct md_msg *m, mach_port_name_t name,
    mach_msg_type_name_t disp, mach_msg_guard_flags_t flags,
    mach_port_context_t context)
{
	mach_msg_guarded_port_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.context = context;
	d.flags = flags;
	d.disposition = disp;
	d.type = MACH_MSG_GUARDED_PORT_DESCRIPTOR;
	d.name = name;
	md_append_desc(m, &d, sizeof(d));
}

/* A 12-byte descriptor of an arbitrary (possibly invalid) type. */
static inline void
md_add_raw(struct md_msg *m, mach_msg_descriptor_type_t type)
{
	mach_msg_type_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.type = type;
	md_append_desc(m, &d, sizeof(d));
}

/* Inline data after the descriptors (a multiple of 4 bytes). */
static inline void
md_add_inline(struct md_msg *m, const void *data, size_t len)
{
	MIPC_REQUIRE(len % 4 == 0, "inline data of %zu bytes", len);
	MIPC_REQUIRE(m->size + len + MAX_TRAILER_SIZE <= MD_BYTES,
	    "message buffer full (%u + %zu)", m->size, len);
	memcpy(m->u.bytes + m->size, data, len);
	m->size += (mach_msg_size_t)len;
	m->inl += (mach_msg_size_t)len;
	m->u.hdr.msgh_size = m->size;
}

/* ---- reading received descriptors ---------------------------------------- */

static inline size_t
md_desc_len(unsigned type)
{
	switch (type) {
	case MACH_MSG_OOL_DESCRIPTOR:
	case MACH_MSG_OOL_PORTS_DESCRIPTOR:
	case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
	case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
		return 16;
	default:
		return 12;
	}
}

/* Descriptor i of a complex message, found by the type byte (offset 11). */
static inline const uint8_t *
md_desc_ptr(const mach_msg_header_t *h, unsigned i)
{
	const uint8_t *p = (const uint8_t *)h + sizeof(mach_msg_header_t) +
	    sizeof(mach_msg_body_t);
	unsigned k;

	MIPC_REQUIRE(MACH_MSGH_BITS_IS_COMPLEX(h->msgh_bits),
	    "message bits 0x%x are not complex", h->msgh_bits);
	MIPC_REQUIRE(i < md_count(h), "descriptor %u of %u", i, md_count(h));
	for (k = 0; k < i; k++)
		p += md_desc_len(p[11]);
	return p;
}

static inline unsigned
md_type_at(const mach_msg_header_t *h, unsigned i)
{
	return md_desc_ptr(h, i)[11];
}

static inline mach_msg_port_descriptor_t
md_port_at(const mach_msg_header_t *h, unsigned i)
{
	mach_msg_port_descriptor_t d;

	memcpy(&d, md_desc_ptr(h, i), sizeof(d));
	MIPC_REQUIRE(d.type == MACH_MSG_PORT_DESCRIPTOR,
	    "descriptor %u has type %u, want MACH_MSG_PORT_DESCRIPTOR", i,
	    (unsigned)d.type);
	return d;
}

static inline mach_msg_ool_descriptor_t
md_ool_at(const mach_msg_header_t *h, unsigned i)
{
	mach_msg_ool_descriptor_t d;

	memcpy(&d, md_desc_ptr(h, i), sizeof(d));
	MIPC_REQUIRE(d.type == MACH_MSG_OOL_DESCRIPTOR,
	    "descriptor %u has type %u, want MACH_MSG_OOL_DESCRIPTOR", i,
	    (unsigned)d.type);
	return d;
}

static inline mach_msg_ool_ports_descriptor_t
md_ool_ports_at(const mach_msg_header_t *h, unsigned i)
{
	mach_msg_ool_ports_descriptor_t d;

	memcpy(&d, md_desc_ptr(h, i), sizeof(d));
	MIPC_REQUIRE(d.type == MACH_MSG_OOL_PORTS_DESCRIPTOR,
	    "descriptor %u has type %u, want MACH_MSG_OOL_PORTS_DESCRIPTOR", i,
	    (unsigned)d.type);
	return d;
}

static inline mach_msg_guarded_port_descriptor_t
md_guarded_at(const mach_msg_header_t *h, unsigned i)
{
	mach_msg_guarded_port_descriptor_t d;

	memcpy(&d, md_desc_ptr(h, i), sizeof(d));
	MIPC_REQUIRE(d.type == MACH_MSG_GUARDED_PORT_DESCRIPTOR,
	    "descriptor %u has type %u, want MACH_MSG_GUARDED_PORT_DESCRIPTOR",
	    i, (unsigned)d.type);
	return d;
}

/* Element k of a received OOL ports array. */
static inline mach_port_name_t
md_name_in(const mach_msg_ool_ports_descriptor_t *d, unsigned k)
{
	mach_port_name_t n;

	MIPC_REQUIRE(d->address != NULL && k < d->count,
	    "OOL ports element %u of %u at %p", k, d->count, d->address);
	memcpy(&n, (const uint8_t *)d->address + k * sizeof(n), sizeof(n));
	return n;
}

/* ---- sending and receiving, never blocking -------------------------------- */

/* Send with MACH_SEND_TIMEOUT: a full queue fails rather than blocks. */
static inline mach_msg_return_t
md_send_to(mipc_space_t sp, struct md_msg *m, mach_msg_timeout_t timeout)
{
	return mipc_msg(sp, &m->u.hdr, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	    m->size, 0, MACH_PORT_NULL, timeout, MACH_PORT_NULL);
}

static inline mach_msg_return_t
md_send(mipc_space_t sp, struct md_msg *m)
{
	return md_send_to(sp, m, 0);
}

/* Receive on `rcv` with a zero timeout, into all of `m` or rcv_size. */
static inline mach_msg_return_t
md_recv_sized(mipc_space_t sp, struct md_msg *m, mach_port_name_t rcv,
    mach_msg_option_t extra, mach_msg_size_t rcv_size)
{
	memset(m, 0, sizeof(*m));
	return mipc_msg(sp, &m->u.hdr, MACH_RCV_MSG | MACH_RCV_TIMEOUT | extra,
	    0, rcv_size, rcv, 0, MACH_PORT_NULL);
}

static inline mach_msg_return_t
md_recv(mipc_space_t sp, struct md_msg *m, mach_port_name_t rcv,
    mach_msg_option_t extra)
{
	return md_recv_sized(sp, m, rcv, extra, (mach_msg_size_t)MD_BYTES);
}

#define SEND_OK(sp, m)    KR_EQ(md_send((sp), (m)), MACH_MSG_SUCCESS)
#define RECV_OK(sp, m, r) KR_EQ(md_recv((sp), (m), (r), 0), MACH_MSG_SUCCESS)
#define RECV_EMPTY(sp, m, r) \
	KR_EQ(md_recv((sp), (m), (r), 0), MACH_RCV_TIMED_OUT)

/* A header-only message to `dest`. */
static inline mach_msg_return_t
md_send_simple(mipc_space_t sp, mach_port_name_t dest,
    mach_msg_type_name_t disp, mach_msg_id_t id)
{
	struct md_msg m;

	md_init(&m, dest, disp, MACH_PORT_NULL, 0, id);
	return md_send(sp, &m);
}

/*
 * Dequeue every message queued on `r` and release what each carries;
 * returns how many there were.
 */
static inline unsigned
md_drain(mipc_space_t sp, mach_port_name_t r)
{
	struct md_msg m;
	mach_msg_return_t mr;
	unsigned n;

	for (n = 0; n < 256; n++) {
		mr = md_recv(sp, &m, r, 0);
		if (mr == MACH_RCV_TIMED_OUT)
			break;
		MIPC_REQUIRE(mr == MACH_MSG_SUCCESS,
		    "draining 0x%x: receive returned 0x%x", r, (unsigned)mr);
		mipc_msg_destroy(sp, &m.u.hdr);
	}
	MIPC_REQUIRE(n < 256, "port 0x%x never drains", r);
	return n;
}

/*
 * `destroyed` send-once rights for receive right `r` of `sp` were
 * destroyed unused.  Each yields a MACH_NOTIFY_SEND_ONCE (MACH.md P25),
 * and mps_sorights falls only when that message is dequeued, so either
 * nothing is queued yet and the count already fell, or one notification
 * per right is queued and the count falls once they are drained.  The
 * notification's contents belong to the notifications issue.
 */
static inline void
md_expect_sonce_gone(mipc_space_t sp, mach_port_name_t r,
    mach_port_rights_t others, unsigned destroyed)
{
	mach_port_status_t st = status_of(sp, r);

	ck_assert_msg(st.mps_msgcount == 0 || st.mps_msgcount == destroyed,
	    "%u messages queued on 0x%x, want 0 or %u notifications",
	    st.mps_msgcount, r, destroyed);
	ck_assert_msg(st.mps_sorights == others + st.mps_msgcount,
	    "mps_sorights %u with %u notifications queued, want %u + %u",
	    st.mps_sorights, st.mps_msgcount, others, st.mps_msgcount);
	md_drain(sp, r);
	VAL_EQ(status_of(sp, r).mps_sorights, others);
}

/* ---- counters and memory --------------------------------------------------- */

static inline struct mipc_stats
md_stats(void)
{
	struct mipc_stats s;

	mipc_quiesce();
	mipc_get_stats(&s);
	return s;
}

static inline size_t
md_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline void
md_fill(void *p, size_t n, unsigned seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Index of the first byte that differs from md_fill(seed), or n. */
static inline size_t
md_diff(const void *p, size_t n, unsigned seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != (uint8_t)(seed + i * 7 + (i >> 8)))
			return i;
	}
	return n;
}

#define CONTENTS_EQ(addr, n, seed)                                    \
	do {                                                          \
		size_t md_at_ = md_diff((addr), (n), (seed));         \
		ck_assert_msg(md_at_ == (size_t)(n),                  \
		    "OOL contents differ at byte %zu of %zu", md_at_, \
		    (size_t)(n));                                     \
	} while (0)

/* A region `sp` allocates (vm_allocate), filled with md_fill(seed). */
static inline void *
md_region_in(mipc_space_t sp, size_t size, unsigned seed)
{
	vm_address_t a = 0;

	KR_EQ(mipc_vm_allocate(sp, &a, size, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
	ck_assert_msg(a != 0, "vm_allocate returned address 0");
	md_fill((void *)a, size, seed);
	return (void *)a;
}

/* The same in the test's task. */
static inline void *
md_region(size_t size, unsigned seed)
{
	return md_region_in(mipc_thread_space(), size, seed);
}

/*
 * Release memory `sp` holds -- it received or allocated it: a region
 * belongs to one space (vm.c) -- which must succeed.
 */
#define VM_FREE_IN(sp, addr, size)                                             \
	KR_EQ(                                                                 \
	    mipc_vm_deallocate((sp), (vm_address_t)(addr), (vm_size_t)(size)), \
	    KERN_SUCCESS)

/* The region is no longer `sp`'s (it was handed over or freed). */
#define VM_GONE_IN(sp, addr, size)                                             \
	KR_EQ(                                                                 \
	    mipc_vm_deallocate((sp), (vm_address_t)(addr), (vm_size_t)(size)), \
	    KERN_INVALID_ADDRESS)

/* The same for the test's task (mach_task_self()). */
#define VM_FREE(addr, size) VM_FREE_IN(mipc_thread_space(), (addr), (size))
#define VM_GONE(addr, size) VM_GONE_IN(mipc_thread_space(), (addr), (size))

/* ---- two spaces: the test's task sends, space b receives ------------------ */

struct md_pair {
	mipc_space_t task;  /* mach_task_self(): the sender */
	mipc_space_t b;     /* the receiver */
	mach_port_name_t d; /* receive right in b */
	mach_port_name_t s; /* the task's send right to d (1 uref) */
};

static inline void
md_pair_open(struct md_pair *x)
{
	x->task = mipc_thread_space();
	x->b = space_new();
	x->d = recv_new(x->b);
	x->s = send_in(x->task, x->b, x->d);
}

static inline void
md_pair_close(struct md_pair *x)
{
	KR_EQ(mipc_space_destroy(x->b), KERN_SUCCESS);
}

/* A message from the task to d through COPY_SEND s, no reply. */
static inline void
md_pair_msg(const struct md_pair *x, struct md_msg *m, mach_msg_id_t id)
{
	md_init(m, x->s, MACH_MSG_TYPE_COPY_SEND, MACH_PORT_NULL, 0, id);
}

/* Send m from the task and receive it in b into r; both must succeed. */
static inline void
md_pair_xfer(const struct md_pair *x, struct md_msg *m, struct md_msg *r)
{
	mach_msg_return_t mr = md_send(x->task, m);

	MIPC_REQUIRE(
	    mr == MACH_MSG_SUCCESS, "send returned 0x%x, want 0", (unsigned)mr);
	mr = md_recv(x->b, r, x->d, 0);
	MIPC_REQUIRE(mr == MACH_MSG_SUCCESS, "receive returned 0x%x, want 0",
	    (unsigned)mr);
}

/* One port descriptor (name, disp) sent to b; the received descriptor. */
static inline mach_msg_port_descriptor_t
md_pair_port(
    const struct md_pair *x, mach_port_name_t name, mach_msg_type_name_t disp)
{
	struct md_msg m, r;

	md_pair_msg(x, &m, 0x4d44);
	md_add_port(&m, name, disp);
	md_pair_xfer(x, &m, &r);
	MIPC_REQUIRE(md_count(MD_HDR(&r)) == 1, "received %u descriptors",
	    md_count(MD_HDR(&r)));
	return md_port_at(MD_HDR(&r), 0);
}

/*
 * A witness: a send right in a separate space to receive right `r` of
 * `sp`, so a test can see the port die (the witness name turns into a
 * dead name) wherever the receive right has gone.
 */
static inline mach_port_name_t
md_watch(mipc_space_t w, mipc_space_t sp, mach_port_name_t r)
{
	return send_in(w, sp, r);
}

/* mach_port_type without an assertion, for loops: ~0u when it fails. */
static inline mach_port_type_t
md_type(mipc_space_t sp, mach_port_name_t n)
{
	mach_port_type_t t = 0;

	if (mipc_port_type(sp, n, &t) != KERN_SUCCESS)
		return ~(mach_port_type_t)0;
	return t;
}

#define IS_DEAD(sp, n)      VAL_EQ(type_of((sp), (n)), MACH_PORT_TYPE_DEAD_NAME)
#define IS_LIVE_SEND(sp, n) VAL_EQ(type_of((sp), (n)), MACH_PORT_TYPE_SEND)

#endif /* MIPC_TESTS_CONFORMANCE_MSG_DESC_HELPERS_H */
