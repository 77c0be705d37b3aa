/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * msg_helpers.h -- what the message conformance suites (MACH.md areas I,
 * J, K, U, V) share on top of conformance.h: a message buffer, senders and
 * receivers that never block (MACH_SEND_TIMEOUT / MACH_RCV_TIMEOUT with 0
 * ms), readers of received headers, descriptors and trailers, and worker
 * threads for the cases that need a blocked sender or receiver.
 *
 * Calls go through msg_call(): the Mach spelling mach_msg() when the space
 * is the calling thread's current one, mipc_msg() otherwise, so both entry
 * points are exercised.
 *
 * Buffers are filled with MSG_FILL before a receive, so a test can check
 * that nothing past what Mach writes was touched (V1, K5).
 *
 * Worker threads always pass their space explicitly (mipc_msg) and use
 * bounded timeouts; a test joins every worker it starts.  To know that a
 * worker is blocked inside mach_msg, wait_sleeping() polls the thread's
 * state in /proc (Linux): no mipc call exposes blocked waiters.
 */
#ifndef MIPC_TESTS_CONFORMANCE_MSG_HELPERS_H
#define MIPC_TESTS_CONFORMANCE_MSG_HELPERS_H

#include "conformance.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- buffers ------------------------------------------------------------ */

#define MSG_BUF_BYTES 2048
#define MSG_FILL      0xa5 /* what receive buffers hold before a receive */
#define HDR_SIZE      ((mach_msg_size_t)sizeof(mach_msg_header_t)) /* 24 */
#define BASE_SIZE     ((mach_msg_size_t)sizeof(mach_msg_base_t))   /* 28 */

typedef union {
	mach_msg_header_t h;
	mach_msg_base_t base;
	uint64_t align_;
	unsigned char bytes[MSG_BUF_BYTES];
} msg_buf_t;

static inline void
msg_fill(msg_buf_t *b, unsigned char c)
{
	memset(b, c, sizeof(*b));
}

/* A zeroed buffer holding a header; msgh_size says 24 (ignored, I3). */
static inline void
msg_init(msg_buf_t *b, mach_msg_bits_t bits, mach_port_name_t remote,
    mach_port_name_t local, mach_msg_id_t id)
{
	msg_fill(b, 0);
	b->h.msgh_bits = bits;
	b->h.msgh_size = HDR_SIZE;
	b->h.msgh_remote_port = remote;
	b->h.msgh_local_port = local;
	b->h.msgh_voucher_port = MACH_PORT_NULL;
	b->h.msgh_id = id;
}

/* Bytes [from, to) of the buffer all equal c. */
static inline bool
bytes_are(const msg_buf_t *b, size_t from, size_t to, unsigned char c)
{
	size_t i;

	for (i = from; i < to && i < sizeof(*b); i++)
		if (b->bytes[i] != c)
			return false;
	return true;
}

/* Nothing at or after byte `off` was written (the buffer held MSG_FILL). */
#define UNTOUCHED_FROM(b, off)                                       \
	ck_assert_msg(bytes_are((b), (off), sizeof(*(b)), MSG_FILL), \
	    "receive buffer written at or after byte %zu", (size_t)(off))

/* ---- calls -------------------------------------------------------------- */

/* mach_msg in `sp`: the Mach spelling when sp is the current space. */
static inline mach_msg_return_t
msg_call(mipc_space_t sp, mach_msg_header_t *h, mach_msg_option_t opt,
    mach_msg_size_t send_size, mach_msg_size_t rcv_size,
    mach_port_name_t rcv_name, mach_msg_timeout_t timeout,
    mach_port_name_t notify)
{
	if (sp == mipc_thread_space())
		return mach_msg(
		    h, opt, send_size, rcv_size, rcv_name, timeout, notify);
	return mipc_msg(
	    sp, h, opt, send_size, rcv_size, rcv_name, timeout, notify);
}

/* Send `size` bytes of b without blocking (MACH_SEND_TIMEOUT, 0 ms). */
static inline mach_msg_return_t
msg_send(mipc_space_t sp, msg_buf_t *b, mach_msg_size_t size)
{
	return msg_call(sp, &b->h, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size, 0,
	    MACH_PORT_NULL, 0, MACH_PORT_NULL);
}

/* Send a bare 24-byte message without blocking; returns the code. */
static inline mach_msg_return_t
send_hdr(mipc_space_t sp, mach_msg_bits_t bits, mach_port_name_t remote,
    mach_port_name_t local, mach_msg_id_t id)
{
	msg_buf_t b;

	msg_init(&b, bits, remote, local, id);
	return msg_send(sp, &b, HDR_SIZE);
}

/* Same with only a destination right. */
static inline mach_msg_return_t
send_to(mipc_space_t sp, mach_port_name_t dest, mach_msg_type_name_t disp,
    mach_msg_id_t id)
{
	return send_hdr(sp, MACH_MSGH_BITS(disp, 0), dest, MACH_PORT_NULL, id);
}

/* A send that must succeed (not for loops: it asserts). */
#define SEND_OK(sp, dest, disp, id) \
	KR_EQ(send_to((sp), (dest), (disp), (id)), MACH_MSG_SUCCESS)

/*
 * A send that must fail with `want` and, being a header/size error
 * (MACH.md M1), leave the whole buffer as it was.
 */
#define SEND_FAILS(sp, b, size, want)                                        \
	do {                                                                 \
		msg_buf_t copy_;                                             \
		memcpy(&copy_, (b), sizeof(copy_));                          \
		KR_EQ(msg_send((sp), (b), (size)), (want));                  \
		ck_assert_msg(memcmp(&copy_, (b), sizeof(copy_)) == 0,       \
		    "the failed send (%s) modified the send buffer", #want); \
	} while (0)

/*
 * Receive on `name` without blocking (MACH_RCV_TIMEOUT, 0 ms), `opt`
 * added (trailer request, MACH_RCV_LARGE...).  The buffer is not cleared.
 */
static inline mach_msg_return_t
msg_recv(mipc_space_t sp, msg_buf_t *b, mach_msg_size_t rcv_size,
    mach_port_name_t name, mach_msg_option_t opt)
{
	return msg_call(sp, &b->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | opt, 0,
	    rcv_size, name, 0, MACH_PORT_NULL);
}

/* Receive into a MSG_FILL-filled buffer of full size; must succeed. */
#define RECV_OK(sp, b, name, opt)                                        \
	do {                                                             \
		msg_fill((b), MSG_FILL);                                 \
		KR_EQ(msg_recv((sp), (b), (mach_msg_size_t)sizeof(*(b)), \
		          (name), (opt)),                                \
		    MACH_MSG_SUCCESS);                                   \
	} while (0)

/* The queue of `name` is empty: a non-blocking receive times out. */
#define RECV_EMPTY(sp, name)                                                  \
	do {                                                                  \
		msg_buf_t e_;                                                 \
		KR_EQ(msg_recv(                                               \
		          (sp), &e_, (mach_msg_size_t)sizeof(e_), (name), 0), \
		    MACH_RCV_TIMED_OUT);                                      \
	} while (0)

/* A received header, field by field. */
#define HDR_EQ(b, bits, remote, local, size, id)           \
	do {                                               \
		VAL_EQ((b)->h.msgh_bits, (bits));          \
		VAL_EQ((b)->h.msgh_remote_port, (remote)); \
		VAL_EQ((b)->h.msgh_local_port, (local));   \
		VAL_EQ((b)->h.msgh_size, (size));          \
		VAL_EQ((b)->h.msgh_id, (id));              \
	} while (0)

/* ---- trailers ----------------------------------------------------------- */

/* The (max-size view of the) trailer at byte offset `off`. */
static inline mach_msg_max_trailer_t
trailer_at(const msg_buf_t *b, size_t off)
{
	mach_msg_max_trailer_t t;

	MIPC_REQUIRE(off + sizeof(t) <= sizeof(*b), "trailer offset %zu", off);
	memcpy(&t, b->bytes + off, sizeof(t));
	return t;
}

/* The trailer of a received message: at msgh_size (V1). */
static inline mach_msg_max_trailer_t
msg_trailer(const msg_buf_t *b)
{
	return trailer_at(b, b->h.msgh_size);
}

/* Trailer request options (MACH.md 1.8). */
#define RCV_ELEMENTS(e)                                       \
	((mach_msg_option_t)(MACH_RCV_TRAILER_TYPE(           \
	                         MACH_MSG_TRAILER_FORMAT_0) | \
	    MACH_RCV_TRAILER_ELEMENTS(e)))

/* ---- descriptors -------------------------------------------------------- */

static inline mach_msg_port_descriptor_t
port_desc(mach_port_name_t name, mach_msg_type_name_t disp)
{
	mach_msg_port_descriptor_t d;

	memset(&d, 0, sizeof(d));
	d.name = name;
	d.disposition = disp;
	d.type = MACH_MSG_PORT_DESCRIPTOR;
	return d;
}

/*
 * A complex message to `dest` carrying n port descriptors; returns its
 * size (28 + 12 n).
 */
static inline mach_msg_size_t
msg_init_ports(msg_buf_t *b, mach_port_name_t dest,
    mach_msg_type_name_t dest_disp, mach_msg_id_t id,
    const mach_msg_port_descriptor_t *d, unsigned n)
{
	mach_msg_size_t size = BASE_SIZE + n * (mach_msg_size_t)sizeof(*d);

	msg_init(b, MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(dest_disp, 0), dest,
	    MACH_PORT_NULL, id);
	b->base.body.msgh_descriptor_count = n;
	memcpy(b->bytes + BASE_SIZE, d, n * sizeof(*d));
	b->h.msgh_size = size;
	return size;
}

/* The i-th descriptor of a received message made of port descriptors. */
static inline mach_msg_port_descriptor_t
rcv_port_desc(const msg_buf_t *b, unsigned i)
{
	mach_msg_port_descriptor_t d;

	memcpy(&d, b->bytes + BASE_SIZE + i * sizeof(d), sizeof(d));
	return d;
}

/* ---- port state --------------------------------------------------------- */

static inline mach_port_msgcount_t
msgcount_of(mipc_space_t sp, mach_port_name_t n)
{
	return status_of(sp, n).mps_msgcount;
}

static inline mach_port_seqno_t
seqno_of(mipc_space_t sp, mach_port_name_t n)
{
	return status_of(sp, n).mps_seqno;
}

static inline mach_port_mscount_t
mscount_of(mipc_space_t sp, mach_port_name_t n)
{
	return status_of(sp, n).mps_mscount;
}

static inline mach_port_rights_t
sorights_of(mipc_space_t sp, mach_port_name_t n)
{
	return status_of(sp, n).mps_sorights;
}

static inline void
set_seqno(mipc_space_t sp, mach_port_name_t n, mach_port_seqno_t seqno)
{
	KR_EQ(mipc_port_set_seqno(sp, n, seqno), KERN_SUCCESS);
}

/* A send-once right in `dst` to receive right `r` of `src`. */
static inline mach_port_name_t
sonce_in_other(mipc_space_t dst, mipc_space_t src, mach_port_name_t r)
{
	mach_port_name_t n = free_name(dst);

	KR_EQ(mipc_port_insert_right(
	          dst, n, src, r, MACH_MSG_TYPE_MAKE_SEND_ONCE),
	    KERN_SUCCESS);
	return n;
}

/* Move receive right `r` of `from` into `to`; its name there. */
static inline mach_port_name_t
move_receive(mipc_space_t from, mach_port_name_t r, mipc_space_t to)
{
	mach_port_name_t n = MACH_PORT_NULL;
	mach_msg_type_name_t t = 0;

	KR_EQ(mipc_port_extract_right(
	          from, r, MACH_MSG_TYPE_MOVE_RECEIVE, to, &n, &t),
	    KERN_SUCCESS);
	VAL_EQ(t, MACH_MSG_TYPE_PORT_RECEIVE);
	ck_assert_msg(MACH_PORT_VALID(n), "moved receive right named 0x%x", n);
	return n;
}

/* Live-object counts after a grace period (no worker may be running). */
static inline struct mipc_stats
stats_now(void)
{
	struct mipc_stats s;

	mipc_quiesce();
	mipc_get_stats(&s);
	return s;
}

/* ---- threads ------------------------------------------------------------ */

static inline void
sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static inline pid_t
thread_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Thread `tid` of this process is asleep in the kernel (state S or D). */
static inline bool
tid_sleeping(pid_t tid)
{
	char path[64], line[512];
	const char *p;
	FILE *f;
	bool r = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(line, sizeof(line), f) != NULL) {
		p = strrchr(line, ')');
		if (p != NULL && p[1] == ' ')
			r = p[2] == 'S' || p[2] == 'D';
	}
	fclose(f);
	return r;
}

/*
 * Wait (at most about 2 s) until thread `tid` sleeps, and still sleeps
 * 20 ms later: it is then blocked in mach_msg, not on a passing lock.
 */
static inline bool
wait_sleeping(pid_t tid)
{
	int i;

	for (i = 0; i < 400; i++) {
		if (tid_sleeping(tid)) {
			sleep_ms(20);
			if (tid_sleeping(tid))
				return true;
		}
		sleep_ms(5);
	}
	return false;
}

/* One mach_msg call made by another thread. */
struct msg_worker {
	pthread_t w_thread;
	mipc_space_t w_space;
	mach_msg_option_t w_option;
	mach_msg_size_t w_send_size;
	mach_msg_size_t w_rcv_size;
	mach_port_name_t w_rcv_name;
	mach_msg_timeout_t w_timeout;
	msg_buf_t w_buf;
	atomic_int w_tid;
	atomic_int w_done;
	mach_msg_return_t w_ret;
	bool w_started;
};

static inline void *
msg_worker_main(void *arg)
{
	struct msg_worker *w = arg;

	atomic_store(&w->w_tid, (int)thread_tid());
	w->w_ret =
	    mipc_msg(w->w_space, &w->w_buf.h, w->w_option, w->w_send_size,
	        w->w_rcv_size, w->w_rcv_name, w->w_timeout, MACH_PORT_NULL);
	atomic_store(&w->w_done, 1);
	return NULL;
}

/* A worker receiving on `name` of `sp` for at most `timeout` ms. */
static inline void
worker_recv(struct msg_worker *w, mipc_space_t sp, mach_port_name_t name,
    mach_msg_timeout_t timeout)
{
	memset(w, 0, sizeof(*w));
	msg_fill(&w->w_buf, MSG_FILL);
	w->w_space = sp;
	w->w_option = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	w->w_rcv_size = (mach_msg_size_t)sizeof(w->w_buf);
	w->w_rcv_name = name;
	w->w_timeout = timeout;
}

/*
 * A worker sending a 24-byte message from `sp`, waiting for room at most
 * `timeout` ms (MACH_SEND_TIMEOUT), or forever when `blocking`.
 */
static inline void
worker_send(struct msg_worker *w, mipc_space_t sp, mach_port_name_t dest,
    mach_msg_type_name_t disp, mach_msg_id_t id, mach_msg_timeout_t timeout,
    bool blocking)
{
	memset(w, 0, sizeof(*w));
	msg_init(&w->w_buf, MACH_MSGH_BITS(disp, 0), dest, MACH_PORT_NULL, id);
	w->w_space = sp;
	w->w_option =
	    blocking ? MACH_SEND_MSG : (MACH_SEND_MSG | MACH_SEND_TIMEOUT);
	w->w_send_size = HDR_SIZE;
	w->w_timeout = timeout;
}

static inline void
worker_start(struct msg_worker *w)
{
	atomic_store(&w->w_tid, 0);
	atomic_store(&w->w_done, 0);
	MIPC_REQUIRE(
	    pthread_create(&w->w_thread, NULL, msg_worker_main, w) == 0,
	    "pthread_create failed");
	w->w_started = true;
}

static inline bool
worker_done(struct msg_worker *w)
{
	return atomic_load(&w->w_done) != 0;
}

/* The worker is (still) blocked inside its mach_msg call. */
static inline bool
worker_blocked(struct msg_worker *w)
{
	int i;

	for (i = 0; i < 400 && atomic_load(&w->w_tid) == 0; i++)
		sleep_ms(5);
	if (atomic_load(&w->w_tid) == 0 || worker_done(w))
		return false;
	return wait_sleeping((pid_t)atomic_load(&w->w_tid)) && !worker_done(w);
}

/* Join the worker; its mach_msg return code. */
static inline mach_msg_return_t
worker_join(struct msg_worker *w)
{
	if (w->w_started) {
		MIPC_REQUIRE(pthread_join(w->w_thread, NULL) == 0,
		    "pthread_join failed");
		w->w_started = false;
	}
	return w->w_ret;
}

/* How many of the n workers have returned. */
static inline unsigned
workers_done(struct msg_worker *w, unsigned n)
{
	unsigned i, c = 0;

	for (i = 0; i < n; i++)
		c += worker_done(&w[i]) ? 1 : 0;
	return c;
}

/* Wait (at most about 2 s) until at least `want` of the n returned. */
static inline unsigned
wait_workers_done(struct msg_worker *w, unsigned n, unsigned want)
{
	int i;

	for (i = 0; i < 400 && workers_done(w, n) < want; i++)
		sleep_ms(5);
	return workers_done(w, n);
}

#endif /* MIPC_TESTS_CONFORMANCE_MSG_HELPERS_H */
