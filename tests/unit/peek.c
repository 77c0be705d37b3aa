/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peek.c -- tests of mach_port_peek (core/mqueue.c, "Peeking at a
 * message") that need an interleaving: a receiver takes, copies out and
 * frees the very message a peek is looking at.
 *
 * The peek runs while another thread receives the message at the peek's
 * Nth yield point (tests/interleave.h); N sweeps every point a peek has,
 * among them IPC_YIELD_PEEK, between the peek finding the message and
 * reading it.  Each outcome must be one that a receive just before or
 * just after the peek gives, and the message a receiver took mid-peek
 * must outlive the peek's reads (ASan reports the use of a freed kmsg).
 * The receive is the flat fast path's (msg.c msg_receive_fp).
 *
 * Includes core/internal.h for the yield hook and the fast path's counter.
 */
#include "check_mipc.h"

#include "internal.h"

#include "interleave.h"

#define PEEK_ID 4242

struct scene {
	mipc_space_t sc_space;
	mach_port_name_t sc_port;
	/* the peek's answer */
	kern_return_t sc_kr;
	mach_msg_id_t sc_id;
	mach_msg_size_t sc_size;
	mach_port_seqno_t sc_seqno;
	bool sc_taken_meanwhile; /* the receive was over when the peek was */
	/* the receive's */
	mach_msg_return_t sc_rcv_mr;
	mach_msg_id_t sc_rcv_id;
	uint64_t sc_rcv_flat; /* it took the flat path (msg_receive_fp) */
};

static void
do_peek(void *arg)
{
	struct scene *sc = arg;
	mach_msg_audit_trailer_t t;
	mach_msg_type_number_t tcnt = sizeof(t);

	sc->sc_seqno = 0;
	sc->sc_kr = mipc_port_peek(sc->sc_space, sc->sc_port,
	    MACH_RCV_TRAILER_ELEMENTS(MACH_RCV_TRAILER_AUDIT), &sc->sc_seqno,
	    &sc->sc_size, &sc->sc_id, (mach_msg_trailer_info_t)&t, &tcnt);
	sc->sc_taken_meanwhile = ck_pr_load_32(&interleave_cur.il_done) != 0;
}

static void
do_receive(void *arg)
{
	struct scene *sc = arg;
	struct {
		mach_msg_header_t h;
		char body[64];
		mach_msg_max_trailer_t t;
	} m;

	uint64_t before = ipc_rcv_fp_entries;

	memset(&m, 0, sizeof(m));
	sc->sc_rcv_mr =
	    mipc_msg(sc->sc_space, &m.h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
	        sizeof(m), sc->sc_port, 0, MACH_PORT_NULL);
	sc->sc_rcv_id = m.h.msgh_id;
	sc->sc_rcv_flat = ipc_rcv_fp_entries - before;
}

START_TEST(peek_while_receiver_takes_and_frees)
{
	unsigned int nth, found = 0, gone = 0, mid = 0;
	bool reached = true;

	for (nth = 1; reached; nth++) {
		struct scene sc;
		struct {
			mach_msg_header_t h;
			char body[32];
		} m;

		memset(&sc, 0, sizeof(sc));
		ck_assert_int_eq(mipc_space_create(&sc.sc_space), KERN_SUCCESS);
		ck_assert_int_eq(mipc_port_allocate(sc.sc_space,
		                     MACH_PORT_RIGHT_RECEIVE, &sc.sc_port),
		    KERN_SUCCESS);
		memset(&m, 0, sizeof(m));
		m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND_ONCE, 0);
		m.h.msgh_remote_port = sc.sc_port;
		m.h.msgh_id = PEEK_ID;
		ck_assert_int_eq(
		    mipc_msg(sc.sc_space, &m.h, MACH_SEND_MSG, sizeof(m), 0,
		        MACH_PORT_NULL, 0, MACH_PORT_NULL),
		    MACH_MSG_SUCCESS);

		reached = interleave_at(nth, do_peek, &sc, do_receive, &sc);

		/* The receive always gets the message, whenever it ran,
		 * on the receive fast path. */
		ck_assert_int_eq(sc.sc_rcv_mr, MACH_MSG_SUCCESS);
		ck_assert_int_eq(sc.sc_rcv_id, PEEK_ID);
		ck_assert_uint_eq(sc.sc_rcv_flat, 1);
		if (sc.sc_kr == KERN_SUCCESS) {
			/* Seen whole: the message as sent. */
			ck_assert_int_eq(sc.sc_id, PEEK_ID);
			ck_assert_uint_eq(sc.sc_seqno, 0);
			ck_assert_uint_eq(sc.sc_size,
			    sizeof(m) + (sizeof(void *) == 8 ? 8 : 0));
			found++;
			mid += sc.sc_taken_meanwhile;
		} else {
			/* Taken before the peek looked. */
			ck_assert_int_eq(sc.sc_kr, KERN_FAILURE);
			gone++;
		}
		ck_assert_int_eq(mipc_space_destroy(sc.sc_space), KERN_SUCCESS);
	}
	ck_assert_uint_gt(found, 0);
	ck_assert_uint_gt(gone, 0);
	/* Some receive took and freed the message during a peek's look. */
	ck_assert_uint_gt(mid, 0);
}
END_TEST

static Suite *
peek_suite(void)
{
	Suite *s = suite_create("peek");
	TCase *tc = mipc_tcase("interleave");

	tcase_add_test(tc, peek_while_receiver_takes_and_frees);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(peek_suite)
