/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmsg_layout.c -- the kmsg's cache-line layout as a checked fact (kmsg.h,
 * PERF.md 3.5): its metadata is one line and every kmsg starts on one,
 * so a 64-byte simple message -- queued in the ring, or in a port's
 * handoff area -- spans exactly two lines; and a receiver writes nothing
 * into a simple message's kmsg.  A field that grows the metadata, an
 * allocation that loses the alignment, or a receive that writes into the
 * kmsg again fails here (the static asserts in kmsg.h catch the first at
 * build time as well).
 *
 * Includes core/internal.h for the kmsgs behind a port's queue.
 */
#include "check_mipc.h"

#include "internal.h"
#include "internal_helpers.h"
#include "mqueue.h"

#include <string.h>

#define LINE ((uintptr_t)ARCH_CACHELINE)

typedef struct {
	mach_msg_header_t h;
	char body[64 - sizeof(mach_msg_header_t)];
} msg64_t;

typedef struct {
	msg64_t m;
	mach_msg_max_trailer_t t;
} rbuf_t;

MIPC_STATIC_ASSERT(msg64_is_64_bytes, sizeof(msg64_t) == 64);

static mach_port_name_t rport;

/* Cache lines the bytes [p, p + n) touch. */
static uintptr_t
lines_spanned(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	return (a + n - 1) / LINE - a / LINE + 1;
}

/* Lines a queued kmsg of `size` message bytes occupies: metadata + message. */
static uintptr_t
kmsg_lines(struct ipc_kmsg *k, size_t size)
{
	return lines_spanned(k, (size_t)(ikm_bytes(k) - (char *)k) + size);
}

static struct imq_ring *
ring(void)
{
	struct ipc_port *p = port_of(mipc_thread_space(), rport);

	ck_assert_ptr_nonnull(p);
	return ck_pr_load_ptr(&p->ip_mq.imq_ring);
}

static void
fill(msg64_t *m, mach_msg_id_t id)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->h.msgh_id = id;
	m->h.msgh_size = sizeof(*m);
	for (i = 0; i < sizeof(m->body); i++)
		m->body[i] = (char)(id + (int)i);
}

static void
send_to(mach_port_name_t to, mach_msg_type_name_t disp, mach_msg_id_t id)
{
	msg64_t m;

	fill(&m, id);
	m.h.msgh_bits = MACH_MSGH_BITS(disp, 0);
	m.h.msgh_remote_port = to;
	ck_assert_int_eq(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0,
	                     MACH_PORT_NULL, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
}

/* A reply: MOVE_SEND_ONCE through a send-once right made from rport. */
static void
reply(mach_msg_id_t id)
{
	mach_port_name_t so;
	mach_msg_type_name_t t;

	ck_assert_int_eq(mach_port_extract_right(mach_task_self(), rport,
	                     MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t),
	    KERN_SUCCESS);
	send_to(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, id);
}

/* Receive message `id`, whole and as sent, with its header rewritten. */
static void
rcv_check(mach_msg_id_t id)
{
	msg64_t want;
	rbuf_t b;

	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(mach_msg(&b.m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	                     sizeof(b), rport, 0, MACH_PORT_NULL),
	    MACH_MSG_SUCCESS);
	fill(&want, id);
	ck_assert_int_eq(b.m.h.msgh_id, id);
	ck_assert_uint_eq(b.m.h.msgh_size, sizeof(msg64_t));
	ck_assert_uint_eq(b.m.h.msgh_local_port, rport);
	ck_assert_uint_eq(b.m.h.msgh_remote_port, MACH_PORT_NULL);
	ck_assert_int_eq(memcmp(b.m.body, want.body, sizeof(want.body)), 0);
	ck_assert_uint_eq(b.t.msgh_trailer_size, sizeof(mach_msg_trailer_t));
}

static void
setup(void)
{
	rport = receive_with_send();
	/* The first message makes the port's ring (the slow path's). */
	send_to(rport, MACH_MSG_TYPE_COPY_SEND, 1);
	rcv_check(1);
	ck_assert_ptr_nonnull(ring());
}

START_TEST(kmsg_metadata_is_one_line)
{
	ck_assert_uint_eq(offsetof(struct ipc_kmsg, ikm_header), LINE);
	/* A 64-byte message's descriptors would start on the third line. */
	ck_assert_uint_eq(ikm_desc_off_for(64), 2 * LINE);
}
END_TEST

START_TEST(kmsg_of_every_class_starts_on_a_line)
{
	static const uint32_t sizes[] = { 24, 64, 192, 500, 2000, 4000 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ipc_kmsg *k = ipc_kmsg_alloc(sizes[i], 0);

		ck_assert_ptr_nonnull(k);
		ck_assert_uint_eq((uintptr_t)k % LINE, 0);
		ck_assert_ptr_eq((char *)ikm_desc(k),
		    (char *)k + ikm_desc_off_for(sizes[i]));
		ipc_kmsg_free(k);
	}
}
END_TEST

START_TEST(kmsg_64_byte_simple_message_spans_two_lines)
{
	struct imq_ring *r = ring();
	struct ipc_kmsg *k;
	uint32_t pos;

	/* Queued through the send fast path, into the ring. */
	send_to(rport, MACH_MSG_TYPE_COPY_SEND, 2);
	pos = IMQ_CW_POS(ck_pr_load_64(&r->rg_c_word));
	ck_assert_uint_eq(ck_pr_load_32(&r->rg_p_tail), pos + 1);
	k = r->rg_slots[pos & r->rg_mask].ims_kmsg;
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->ikm_size, sizeof(msg64_t));
	ck_assert_uint_eq((uintptr_t)k % LINE, 0);
	ck_assert_uint_eq(kmsg_lines(k, k->ikm_size), 2);
	rcv_check(2);
}
END_TEST

START_TEST(kmsg_64_byte_handoff_spans_two_lines)
{
	struct imq_ring *r = ring();
	struct ipc_kmsg *k = &r->rg_ho.ho_kmsg;
	uint32_t pub = ck_pr_load_32(&r->rg_ho_pub);

	reply(3);
	ck_assert_uint_eq(ck_pr_load_32(&r->rg_ho_pub), pub + 1);
	ck_assert_uint_eq(k->ikm_kind, IKM_KIND_HANDOFF);
	ck_assert_uint_eq(k->ikm_size, sizeof(msg64_t));
	ck_assert_uint_eq((uintptr_t)k % LINE, 0);
	ck_assert_uint_eq(kmsg_lines(k, k->ikm_size), 2);
	rcv_check(3);
}
END_TEST

/*
 * The handoff area outlives its message, so what a receive wrote into the
 * kmsg can be seen afterwards: nothing, metadata or message (the reply's
 * destination right taken from a copy, the header built aside).
 */
START_TEST(kmsg_receive_writes_nothing_into_a_simple_message)
{
	struct imq_ring *r = ring();
	struct ipc_kmsg *k = &r->rg_ho.ho_kmsg;
	uint32_t pub = ck_pr_load_32(&r->rg_ho_pub);
	char before[2 * ARCH_CACHELINE];

	reply(4);
	ck_assert_uint_eq(ck_pr_load_32(&r->rg_ho_pub), pub + 1);
	memcpy(before, k, sizeof(before));
	rcv_check(4);
	ck_assert_int_eq(memcmp(before, k, sizeof(before)), 0);
	/* And the area still works. */
	reply(5);
	ck_assert_uint_eq(ck_pr_load_32(&r->rg_ho_pub), pub + 2);
	rcv_check(5);
}
END_TEST

/*
 * A 64-byte ring message is written into its slot's inline storage
 * (mqueue.c, Inline messages), which outlives it, so the same check holds
 * there: its borrowed destination right consumed, its header rewritten,
 * it is as its sender wrote it -- the storage's state included, which the
 * receive gives back on the ring's line, not in the kmsg.
 */
START_TEST(kmsg_receive_writes_nothing_into_a_ring_message)
{
	struct imq_ring *r = ring();
	char before[2 * ARCH_CACHELINE];
	struct ipc_kmsg *k;
	uint32_t pos;

	send_to(rport, MACH_MSG_TYPE_COPY_SEND, 6);
	pos = IMQ_CW_POS(ck_pr_load_64(&r->rg_c_word));
	ck_assert_uint_eq(ck_pr_load_32(&r->rg_p_tail), pos + 1);
	k = r->rg_slots[pos & r->rg_mask].ims_kmsg;
	ck_assert_ptr_eq(k, &imq_ring_inl(r, pos)->in_kmsg);
	ck_assert_uint_eq(k->ikm_kind, IKM_KIND_INLINE);
	ck_assert_uint_eq(k->ikm_flags & IKM_F_BORROWED, IKM_F_BORROWED);
	ck_assert_uint_eq(imq_inl_state(r, pos), IMQ_INL_USED);
	memcpy(before, k, sizeof(before));
	rcv_check(6);
	ck_assert_int_eq(memcmp(before, k, sizeof(before)), 0);
	ck_assert_uint_eq(imq_inl_state(r, pos), IMQ_INL_FREE);
}
END_TEST

static Suite *
kmsg_layout_suite(void)
{
	Suite *s = suite_create("kmsg_layout");
	TCase *tc = mipc_tcase("kmsg_layout");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, kmsg_metadata_is_one_line);
	tcase_add_test(tc, kmsg_of_every_class_starts_on_a_line);
	tcase_add_test(tc, kmsg_64_byte_simple_message_spans_two_lines);
	tcase_add_test(tc, kmsg_64_byte_handoff_spans_two_lines);
	tcase_add_test(tc, kmsg_receive_writes_nothing_into_a_simple_message);
	tcase_add_test(tc, kmsg_receive_writes_nothing_into_a_ring_message);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(kmsg_layout_suite)
