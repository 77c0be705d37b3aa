/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_msg.c -- raw messages through copy-in and copy-out (STYLE Rule 14's
 * fuzz_kmsg_copyin / fuzz_kmsg_copyout, in one harness).
 *
 * Each input is a message buffer plus a few control bytes.  A sending space
 * holds real rights (a receive right with a send right, a plain receive
 * right, a send-once right, a port set, a dead name, a guarded immovable
 * receive right, a send right to a port of a second space); control bytes
 * put their names (or MACH_PORT_NULL / MACH_PORT_DEAD / what the input
 * says) into the header and into each descriptor, and point out-of-line
 * descriptors only at memory the harness owns (or at NULL / 0x1, which the
 * engine reads through a safe probe).  The message is sent with
 * MACH_SEND_TIMEOUT 0 and arbitrary other option bits, then every port is
 * drained with MACH_RCV_TIMEOUT 0 and arbitrary rcv_size / options.
 *
 * Checked: no crash or sanitizer report, the receive never writes past
 * rcv_size (the receive buffer is exactly rcv_size bytes), every return
 * code is one of Mach's (MACH.md 1.2, optionally with MACH_MSG_MASK bits),
 * and after tearing both spaces down and mipc_quiesce() nothing is left:
 * no space, port, set, message, OOL byte or table.
 *
 * Input layout (missing bytes read as zero):
 *   [0]      send options (low byte), see send_option()
 *   [1]      send size selector
 *   [2..4]   header name selectors: remote, local, voucher
 *   [5]      receive options
 *   [6]      receive size selector
 *   [7]      queue limit of the plain receive right (low 2 bits), how
 *            many times the message is sent (high 2 bits, 1..4)
 *   [8..15]  descriptor selectors (one per descriptor, cycled)
 *   [16..]   the message bytes (header first; msgh_size is ignored)
 */
#include <mipc/mipc.h>

#include "harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CTL_BYTES 16
#define MSG_MAX   2048
#define OOL_BYTES (64u * 1024u)
#define OOL_NAMES 32
#define NNAMES    10
#define DRAIN_MAX 16

static uint8_t ool_buf[OOL_BYTES];
static mach_port_name_t ool_names[OOL_NAMES];
static int trace = -1; /* MIPC_FUZZ_TRACE set: print the codes */

static void
fail(const char *what, unsigned long value)
{
	fprintf(stderr, "fuzz_msg: %s (%#lx)\n", what, value);
	abort();
}

/* Every code mach_msg may return (MACH.md 1.2), space bits aside. */
static void
check_code(const char *call, mach_msg_return_t mr)
{
	if (mach_msg_code_ok(mr))
		return;
	fprintf(stderr, "fuzz_msg: %s returned %#x, not a Mach code\n", call,
	    (unsigned)mr);
	abort();
}

static uint8_t
byte_at(const uint8_t *data, size_t size, size_t i)
{
	return i < size ? data[i] : 0;
}

struct world {
	mipc_space_t s, t;
	mach_port_name_t names[NNAMES]; /* in s */
	mach_port_name_t r1, r2, ps, g, r3_in_t;
	vm_address_t region;
};

static void
world_init(struct world *w, uint8_t qlimit)
{
	mach_port_options_t opts;
	mach_port_limits_t lim = { qlimit % 4 };
	mach_msg_type_name_t pp;
	mach_port_name_t so = MACH_PORT_NULL, dn = MACH_PORT_NULL;
	mach_port_name_t s3 = MACH_PORT_NULL;

	memset(w, 0, sizeof(*w));
	if (mipc_space_create(&w->s) != KERN_SUCCESS ||
	    mipc_space_create(&w->t) != KERN_SUCCESS)
		fail("mipc_space_create", 0);
	memset(&opts, 0, sizeof(opts));
	opts.flags = MPO_INSERT_SEND_RIGHT;
	if (mipc_port_construct(w->s, &opts, 0, &w->r1) != KERN_SUCCESS)
		fail("construct r1", 0);
	if (mipc_port_allocate(w->s, MACH_PORT_RIGHT_RECEIVE, &w->r2) !=
	    KERN_SUCCESS)
		fail("allocate r2", 0);
	(void)mipc_port_set_attributes(w->s, w->r2, MACH_PORT_LIMITS_INFO,
	    (mach_port_info_t)&lim, MACH_PORT_LIMITS_INFO_COUNT);
	if (mipc_port_extract_right(w->s, w->r1, MACH_MSG_TYPE_MAKE_SEND_ONCE,
	        w->s, &so, &pp) != KERN_SUCCESS)
		fail("make send-once", 0);
	if (mipc_port_allocate(w->s, MACH_PORT_RIGHT_PORT_SET, &w->ps) !=
	        KERN_SUCCESS ||
	    mipc_port_insert_member(w->s, w->r1, w->ps) != KERN_SUCCESS)
		fail("port set", 0);
	if (mipc_port_allocate(w->s, MACH_PORT_RIGHT_DEAD_NAME, &dn) !=
	    KERN_SUCCESS)
		fail("dead name", 0);
	opts.flags = MPO_CONTEXT_AS_GUARD | MPO_IMMOVABLE_RECEIVE;
	if (mipc_port_construct(w->s, &opts, 0x1234, &w->g) != KERN_SUCCESS)
		fail("construct g", 0);
	if (mipc_port_allocate(w->t, MACH_PORT_RIGHT_RECEIVE, &w->r3_in_t) !=
	        KERN_SUCCESS ||
	    mipc_port_extract_right(w->t, w->r3_in_t, MACH_MSG_TYPE_MAKE_SEND,
	        w->s, &s3, &pp) != KERN_SUCCESS)
		fail("r3", 0);
	if (mipc_vm_allocate(w->s, &w->region, 4096, VM_FLAGS_ANYWHERE) !=
	    KERN_SUCCESS)
		w->region = 0;
	w->names[0] = w->r1;
	w->names[1] = w->r2;
	w->names[2] = so;
	w->names[3] = w->ps;
	w->names[4] = dn;
	w->names[5] = s3;
	w->names[6] = w->g;
	w->names[7] = MACH_PORT_NULL;
	w->names[8] = MACH_PORT_DEAD;
	w->names[9] = w->r1 + 4; /* another generation: stale */
}

/* A name for a header or descriptor field: selector < 0xa0 picks one. */
static mach_port_name_t
pick(const struct world *w, uint8_t sel, mach_port_name_t raw)
{
	if (sel < 0xa0)
		return w->names[sel % NNAMES];
	return raw;
}

static mach_msg_option_t
send_option(uint8_t b)
{
	static const mach_msg_option_t extra[] = { 0, MACH_SEND_OVERRIDE,
		MACH_SEND_INTERRUPT, MACH_SEND_NOTIFY, MACH_SEND_TRAILER,
		MACH_SEND_NOIMPORTANCE, MACH_SEND_PROPAGATE_QOS,
		MACH_MSG_STRICT_REPLY };
	mach_msg_option_t opt = MACH_SEND_MSG | MACH_SEND_TIMEOUT;

	opt |= extra[b & 7];
	if (b & 0x08)
		opt |= MACH_SEND_SYNC_OVERRIDE;
	if (b & 0x10) /* combined send and receive (J12) */
		opt |= MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	return opt;
}

static mach_msg_size_t
size_from(uint8_t sel, size_t avail)
{
	static const mach_msg_size_t fixed[] = { 0, 4, 20, 24, 26, 28, 32, 40,
		44, 52, 56, 64, 68, 100, 128, 256 };

	if (sel < 0x80)
		return (mach_msg_size_t)(avail > MSG_MAX ? MSG_MAX : avail) &
		    ~3u; /* the bytes given, rounded down */
	if (sel < 0xc0)
		return fixed[sel & 15];
	return (mach_msg_size_t)((sel & 0x3f) * 4u + 24u);
}

static mach_msg_size_t
rcv_size_from(uint8_t sel)
{
	static const mach_msg_size_t fixed[] = { 0, 8, 16, 23, 24, 32, 36, 40,
		64, 100, 128, 256, 512, 1024, 2048, 4096 };

	return fixed[sel & 15] + ((sel & 0x10) ? 68u : 0u);
}

static mach_msg_option_t
rcv_option(uint8_t b)
{
	mach_msg_option_t opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;

	if (b & 0x01)
		opt |= MACH_RCV_LARGE;
	if (b & 0x02)
		opt |= MACH_RCV_LARGE_IDENTITY;
	if (b & 0x04)
		opt |= MACH_RCV_GUARDED_DESC;
	if (b & 0x08)
		opt |= MACH_RCV_VOUCHER;
	opt |= MACH_RCV_TRAILER_ELEMENTS((b >> 4) & 0xf);
	return opt;
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Put real names and owned addresses into the descriptors, parsing them
 * the way MACH.md 1.7 says a parser finds each one's size.
 */
static void
patch_descriptors(const struct world *w, uint8_t *msg, mach_msg_size_t len,
    const uint8_t *ctl)
{
	uint32_t count, i, off = sizeof(mach_msg_base_t);

	if (len < sizeof(mach_msg_base_t))
		return;
	count = rd32(msg + sizeof(mach_msg_header_t));
	for (i = 0; i < count && i < 64; i++) {
		uint8_t sel = ctl[i % 8];
		uint8_t type;

		if (off + 12 > len)
			return;
		type = msg[off + 11];
		switch (type) {
		case MACH_MSG_PORT_DESCRIPTOR:
			wr32(msg + off, pick(w, sel, rd32(msg + off)));
			off += 12;
			break;
		case MACH_MSG_OOL_DESCRIPTOR:
		case MACH_MSG_OOL_VOLATILE_DESCRIPTOR:
		case MACH_MSG_OOL_PORTS_DESCRIPTOR: {
			uint32_t n;
			uint64_t addr;

			if (off + 16 > len)
				return;
			n = rd32(msg + off + 12);
			switch (sel & 7) {
			case 0:
				addr = 0;
				break;
			case 1:
				addr = 1; /* bogus: read through the probe */
				break;
			case 2:
				if (w->region != 0) {
					addr = w->region;
					if (type ==
					    MACH_MSG_OOL_PORTS_DESCRIPTOR)
						n %= 4096 / 4 + 1;
					else
						n %= 4096 + 1;
					break;
				}
				/* FALLTHROUGH */
			default:
				if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
					addr = (uint64_t)(uintptr_t)ool_names;
					n %= OOL_NAMES + 1;
				} else {
					uint32_t skew = (sel >> 3) & 7;
					addr = (uint64_t)(uintptr_t)(ool_buf +
					    skew);
					n %= OOL_BYTES - skew + 1;
				}
				break;
			}
			if ((sel & 7) <= 1 && n > 65536)
				n %= 65537;
			wr64(msg + off, addr);
			wr32(msg + off + 12, n);
			off += 16;
			break;
		}
		case MACH_MSG_GUARDED_PORT_DESCRIPTOR:
			if (off + 16 > len)
				return;
			wr32(
			    msg + off + 12, pick(w, sel, rd32(msg + off + 12)));
			off += 16;
			break;
		default:
			return; /* the engine rejects it: MACH_SEND_INVALID_TYPE */
		}
	}
}

/* Release what a received (or pseudo-received) message carries. */
static void
release(mipc_space_t s, uint8_t *buf, mach_msg_size_t len)
{
	if (len >= sizeof(mach_msg_header_t))
		mipc_msg_destroy(s, (mach_msg_header_t *)(void *)buf);
}

/* Receive everything queued on `name`, `rsize`-byte buffers first. */
static void
drain(mipc_space_t s, mach_port_name_t name, mach_msg_option_t opt,
    mach_msg_size_t rsize)
{
	int i;

	for (i = 0; i < DRAIN_MAX; i++) {
		mach_msg_size_t sz = i == 0 ? rsize : 4096 + 68;
		uint8_t *buf = malloc(sz ? sz : 1);
		mach_msg_return_t mr;

		if (buf == NULL)
			abort();
		memset(buf, 0xa5, sz);
		mr = mipc_msg(s, (mach_msg_header_t *)(void *)buf,
		    i == 0 ? opt : (opt & ~MACH_RCV_LARGE), 0, sz, name, 0,
		    MACH_PORT_NULL);
		check_code("mach_msg(receive)", mr);
		if (trace && mr != MACH_RCV_TIMED_OUT)
			fprintf(stderr,
			    "fuzz_msg: receive on %#x size %u: %#x\n", name, sz,
			    (unsigned)mr);
		if (mr == MACH_MSG_SUCCESS)
			release(s, buf, sz);
		free(buf);
		if (mr == MACH_RCV_TIMED_OUT || mr == MACH_RCV_INVALID_NAME)
			break;
	}
}

static void
teardown(struct world *w)
{
	if (w->region != 0)
		(void)mipc_vm_deallocate(w->s, w->region, 4096);
	if (mipc_space_destroy(w->s) != KERN_SUCCESS ||
	    mipc_space_destroy(w->t) != KERN_SUCCESS)
		fail("mipc_space_destroy", 0);
	mipc_default_space_reset();
	harness_check_no_leaks("fuzz_msg");
}

/* Build the message in buf (buflen bytes) and send it once. */
static void
send_one(const struct world *w, const uint8_t *ctl, const uint8_t *body,
    size_t blen, uint8_t *buf, mach_msg_size_t buflen, mach_msg_option_t sopt,
    mach_msg_size_t ssize, mach_msg_size_t rsize)
{
	mach_msg_header_t *h = (mach_msg_header_t *)(void *)buf;
	mach_msg_return_t mr;

	memset(buf, 0, buflen);
	if (body != NULL)
		memcpy(buf, body, blen < buflen ? blen : buflen);
	h->msgh_remote_port = pick(w, ctl[2], h->msgh_remote_port);
	h->msgh_local_port = pick(w, ctl[3], h->msgh_local_port);
	h->msgh_voucher_port = pick(w, ctl[4], h->msgh_voucher_port);
	if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX)
		patch_descriptors(
		    w, buf, ssize < buflen ? ssize : buflen, ctl + 8);

	mr = mipc_msg(w->s, h, sopt, ssize, (sopt & MACH_RCV_MSG) ? rsize : 0,
	    pick(w, ctl[5] >> 1, w->r1), 0, MACH_PORT_NULL);
	check_code("mach_msg(send)", mr);
	if (trace)
		fprintf(stderr, "fuzz_msg: send option %#x size %u: %#x\n",
		    (unsigned)sopt, ssize, (unsigned)mr);
	switch ((uint32_t)mr & ~(uint32_t)MACH_MSG_MASK) {
	case MACH_MSG_SUCCESS:
		if (sopt & MACH_RCV_MSG)
			release(w->s, buf, buflen); /* received in place */
		break;
	case MACH_SEND_TIMED_OUT:
	case MACH_SEND_INTERRUPTED:
	case MACH_SEND_NO_BUFFER:
		release(w->s, buf, buflen); /* pseudo-receive (M3) */
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body = size > CTL_BYTES ? data + CTL_BYTES : NULL;
	size_t blen = size > CTL_BYTES ? size - CTL_BYTES : 0;
	uint8_t ctl[CTL_BYTES];
	struct world w;
	mach_msg_option_t sopt, ropt;
	mach_msg_size_t ssize, rsize, buflen, i;
	unsigned n;
	uint8_t *buf;

	if (trace < 0)
		trace = getenv("MIPC_FUZZ_TRACE") != NULL;
	for (i = 0; i < CTL_BYTES; i++)
		ctl[i] = byte_at(data, size, i);
	mipc_set_guard_handler(harness_guard_ignore, NULL);
	world_init(&w, ctl[7]);
	for (i = 0; i < OOL_NAMES; i++)
		ool_names[i] = pick(&w, (uint8_t)(i * 37u), 0x777703u);

	sopt = send_option(ctl[0]);
	ssize = size_from(ctl[1], blen);
	ropt = rcv_option(ctl[5]);
	rsize = rcv_size_from(ctl[6]);

	/* The buffer is exactly as large as the call may touch. */
	buflen = ssize > sizeof(mach_msg_header_t) ? ssize
	                                           : sizeof(mach_msg_header_t);
	if ((sopt & MACH_RCV_MSG) && rsize > buflen)
		buflen = rsize;
	buf = malloc(buflen);
	if (buf == NULL)
		abort();
	/* The same message, 1 to 4 times: fills queues (J5, M3). */
	for (n = 0; n <= (unsigned)(ctl[7] >> 6); n++)
		send_one(&w, ctl, body, blen, buf, buflen, sopt, ssize, rsize);
	free(buf);

	drain(w.s, w.r1, ropt, rsize);
	drain(w.s, w.r2, ropt, rsize);
	drain(w.s, w.ps, ropt, rsize);
	drain(w.s, w.g, ropt, rsize);
	drain(w.t, w.r3_in_t, ropt, rsize);

	teardown(&w);
	mipc_set_guard_handler(NULL, NULL);
	return 0;
}
