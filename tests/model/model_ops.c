/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model_ops.c -- the op decoder and the engine-vs-model step (model_ops.h).
 *
 * Decoding.  The input is a sequence of MOPS_RECORD-byte records, one per
 * step: the operation, the space, then one byte per argument; reading past
 * the record (or the input) yields zeros, so every input is a valid
 * program and a mutation stays within its step.  A name is mostly one the
 * model says holds the right the call needs (pick_typed), else a slot of
 * the space (names the engine returned, maybe stale by now) or a special
 * one: NULL, DEAD, another space's name, bad low bits, another
 * generation, index 0, an index beyond any table, never allocated (index
 * 0x700..0x7ff: beyond the tables the engine grows on its own, yet a
 * program that creates one keeps a table of 2048 entries, which every
 * full comparison and teardown scans).  Dispositions are mostly 16..21,
 * sometimes anything in 0..31.  Names and outcomes never depend on the
 * engine's (random) name values, except where a user-chosen name happens
 * to collide with one.  A receive whose option byte has bits 2..5 at
 * 10..15 (6 in 16; no op_table entry of its own, so that older inputs
 * keep their ops) is a combined send+receive, one mach_msg call (J12):
 * the same receive, and a send decoded from the bytes after it as a send
 * is.  The model sends; only if both sides' sends went through does it
 * receive, and that code is the call's.
 *
 * Comparison.  The full comparison follows every step by default; after
 * mops_set_full_every(n), every n-th step, every full-check step
 * (OP_CHECK_ALL, which also compares names whose port died) and the end
 * of the program:
 *   - the return code of the call, and its outputs;
 *   - for every live space, mach_port_names (names and types);
 *   - for every name: mach_port_type and mach_port_get_refs for rights
 *     0..5, except on a send / send-once name whose port died and that
 *     this step did not touch: those queries convert the name into a dead
 *     name (D4), which would hide MACH.md C8 from later steps;
 *   - for every receive right: RECEIVE_STATUS (pset, seqno, mscount,
 *     qlimit, msgcount, sorights, srights, pdrequest, nsrequest, guard
 *     flags -- the importance flags 0x01 / 0x08 are masked),
 *     mach_port_get_srights and mach_port_get_context;
 *   - for every port set: mach_port_get_set_status;
 *   - received and pseudo-received messages field by field (the model),
 *     and that a receive wrote nothing it should not (check_untouched).
 * The other steps get a focused comparison (check_focused): return code,
 * outputs and messages as above; then, without mach_port_names, the names
 * the step touched (type, refs, status or members as above; one the model
 * does not hold must fail mach_port_type as the model's does) and the
 * receive rights of their ports, where they were before the step and
 * where they are after it.  Effects further away -- a port dying with
 * messages queued, a set losing a member, a name the engine made up --
 * wait for the next full comparison.  (mach_port_names maps and unmaps
 * two arrays per space: comparing everything after every step took four
 * fifths of the fuzzer's time in programs.)  When a program with focused
 * steps diverges, mops_run runs it again with the full comparison after
 * every step and reports that run's first divergent step.
 *
 * Known gaps: engine behaviours that differed from XNU's where MACH.md is
 * silent, or that contradicted MACH.md, found by these drivers and
 * reported (one input each in fuzz/findings/).  While a gap is open the
 * decoder steers around it, or accepts either answer, so that the fuzzer
 * does not stop on it again; MIPC_FUZZ_GAPS lists the gaps to explore
 * strictly instead ("all", "none", or a comma-separated list of the
 * bracketed names).  Unset, every gap the engine has closed is explored
 * (GAPS_FIXED): today that is all of them.
 *   - [desc_disp] (fixed with the commit that moved the check to copy-in)
 *     a port descriptor with a disposition outside 16..21 and a real name:
 *     XNU fails the body copy-in (MACH_SEND_INVALID_RIGHT, with M2's
 *     consequences); the engine rejected the descriptor up front
 *     (MACH_SEND_INVALID_TYPE).  Steered: such dispositions are made valid.
 *   - [reguard] (fixed in 3bb37ba) a strict guard of value 0 leaves the
 *     context 0, so the port may be guarded again (Q9); XNU takes
 *     strictness from the new call, the engine kept the old strict bit.
 *     Steered: no strict guard of value 0.
 *   - [destruct_pin] (fixed in 3bb37ba) mach_port_destruct with srdelta
 *     below -65535 on a pinned (65535) send count: XNU fails the underflow
 *     check first (Q7: |srdelta| > urefs, KERN_INVALID_VALUE); the engine
 *     let the pin ignore the delta and destroyed the port.  Steered: no
 *     srdelta below -65535.
 *   - [c8_reply] (fixed in 31005e8) a send through a send-once name whose
 *     port died (C8) with a reply right that fails its check (I12): XNU
 *     fails with MACH_SEND_INVALID_REPLY and changes nothing (I15); the
 *     engine skipped the reply check, consumed the send-once name and
 *     reported success.  Steered: such sends carry no reply.
 *   - [check_order] (fixed in 31005e8) two or more of voucher, destination
 *     and reply bad: XNU looks the voucher, the destination and the reply
 *     up, then checks the reply's capability, then copies the destination
 *     in (MACH.md I); the engine checked a destination naming nothing
 *     before the voucher, a reply naming nothing or a set before a
 *     destination that is a set or a dead name, and the destination's
 *     capability before the reply's.  Steered: either code accepted.
 *   - [insert_order] (fixed in 2623244) insert_right of a dead name's
 *     right (E15) under a malformed name (E6): XNU reports
 *     KERN_INVALID_CAPABILITY (the right is checked before the name); and
 *     of a right the space holds under another name (E8) to a name whose
 *     slot is in use under another generation (A6): XNU reports
 *     KERN_FAILURE (ipc_entry_alloc_name before the reverse lookup); the
 *     engine reported the other code.  Steered: either code accepted.
 *   - [names_convert] (fixed in 2623244) the engine's mach_port_names
 *     converted send / send-once names whose port died into dead names
 *     (XNU's only reports them as dead, D5), which turned a later C8 send
 *     into MACH_SEND_INVALID_DEST.  Steered: mach_port_names is skipped
 *     for a space holding such names except in a full check, after which
 *     the model converts them too.
 *
 * Notifications: nothing ever requests one.  MACH_NOTIFY_SEND_ONCE for
 * send-once rights destroyed unused (P25) is modelled; a probe at the
 * first run tells whether the engine delivers them, and the model follows.
 */
#include "model.h"
#include "model_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSP       MOPS_NSPACES
#define NSLOT     MOPS_NSLOTS
#define MAX_NAMES 256
#define HIST      24
#define BUF_BYTES 4096
#define STATUS_FLAGS_CHECKED                                                  \
	(MACH_PORT_STATUS_FLAG_GUARDED | MACH_PORT_STATUS_FLAG_STRICT_GUARD | \
	    MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE)

struct touched {
	int sp;
	mach_port_name_t name;
};

struct mops {
	model_t *m;
	mipc_space_t sp[NSP];
	mach_port_name_t slot[NSP][NSLOT];
	const uint8_t *data;
	size_t len, pos, rec_end;
	unsigned step;
	char what[256];
	char hist[HIST][256];
	char *err;
	size_t errlen;
	bool failed;
	struct touched touched[64]; /* names this step used */
	int ntouched;
	struct touched related[64]; /* receive rights it may change */
	int nrelated;
	struct touched done[128]; /* checked by check_focused */
	int ndone;
	bool check_all;      /* this step: full check, converting lazy names */
	unsigned full_every; /* full check after every this many steps */
	bool focused;        /* some step was checked without enumeration */
	union {
		mach_msg_header_t h;
		uint8_t b[BUF_BYTES];
		uint64_t align;
	} buf;
};

static struct mops_stats g_stats;
static unsigned long g_guards;
static int g_notify_so = -1; /* probed once: does the engine deliver P25? */
/*
 * Known gaps explored (MIPC_FUZZ_GAPS: "all", or a comma-separated list of
 * the names below); see "Known gaps" above.
 */
enum {
	GAP_DESC_DISP = 0x01,    /* desc_disp */
	GAP_REGUARD = 0x02,      /* reguard */
	GAP_CHECK_ORDER = 0x04,  /* check_order */
	GAP_INSERT_ORDER = 0x08, /* insert_order */
	GAP_NAMES = 0x10,        /* names_convert */
	GAP_C8_REPLY = 0x20,     /* c8_reply */
	GAP_DESTRUCT = 0x40,     /* destruct_pin */
};
/* Gaps the engine has since closed: explored unless MIPC_FUZZ_GAPS says. */
#define GAPS_FIXED                                                      \
	(GAP_REGUARD | GAP_CHECK_ORDER | GAP_INSERT_ORDER | GAP_NAMES | \
	    GAP_C8_REPLY | GAP_DESTRUCT | GAP_DESC_DISP)
static int g_gaps = -1;
static int g_trace = -1; /* MIPC_FUZZ_TRACE set: print every step */
static int g_hist = -1;  /* MOPS_HIST set: print send / receive codes */
/* Full comparison after every n-th step (mops_set_full_every). */
static unsigned g_full_every = 1;
static int g_full_env = -1; /* MIPC_FUZZ_FULL_EVERY: -1 unread, -2 unset */

void
mops_get_stats(struct mops_stats *out)
{
	*out = g_stats;
	out->guard_exceptions = g_guards;
}

/* ---- names of codes, for messages --------------------------------------- */

static const char *
krname(kern_return_t kr)
{
	static const struct {
		kern_return_t kr;
		const char *name;
	} t[] = {
		{ KERN_SUCCESS, "SUCCESS" },
		{ KERN_NO_SPACE, "KERN_NO_SPACE" },
		{ KERN_INVALID_ARGUMENT, "KERN_INVALID_ARGUMENT" },
		{ KERN_FAILURE, "KERN_FAILURE" },
		{ KERN_ALREADY_IN_SET, "KERN_ALREADY_IN_SET" },
		{ KERN_NOT_IN_SET, "KERN_NOT_IN_SET" },
		{ KERN_NAME_EXISTS, "KERN_NAME_EXISTS" },
		{ KERN_INVALID_NAME, "KERN_INVALID_NAME" },
		{ KERN_INVALID_TASK, "KERN_INVALID_TASK" },
		{ KERN_INVALID_RIGHT, "KERN_INVALID_RIGHT" },
		{ KERN_INVALID_VALUE, "KERN_INVALID_VALUE" },
		{ KERN_UREFS_OVERFLOW, "KERN_UREFS_OVERFLOW" },
		{ KERN_INVALID_CAPABILITY, "KERN_INVALID_CAPABILITY" },
		{ KERN_RIGHT_EXISTS, "KERN_RIGHT_EXISTS" },
		{ KERN_DENIED, "KERN_DENIED" },
		{ MACH_SEND_INVALID_DATA, "MACH_SEND_INVALID_DATA" },
		{ MACH_SEND_INVALID_DEST, "MACH_SEND_INVALID_DEST" },
		{ MACH_SEND_TIMED_OUT, "MACH_SEND_TIMED_OUT" },
		{ MACH_SEND_INVALID_VOUCHER, "MACH_SEND_INVALID_VOUCHER" },
		{ MACH_SEND_MSG_TOO_SMALL, "MACH_SEND_MSG_TOO_SMALL" },
		{ MACH_SEND_INVALID_REPLY, "MACH_SEND_INVALID_REPLY" },
		{ MACH_SEND_INVALID_RIGHT, "MACH_SEND_INVALID_RIGHT" },
		{ MACH_SEND_INVALID_MEMORY, "MACH_SEND_INVALID_MEMORY" },
		{ MACH_SEND_NO_BUFFER, "MACH_SEND_NO_BUFFER" },
		{ MACH_SEND_TOO_LARGE, "MACH_SEND_TOO_LARGE" },
		{ MACH_SEND_INVALID_TYPE, "MACH_SEND_INVALID_TYPE" },
		{ MACH_SEND_INVALID_HEADER, "MACH_SEND_INVALID_HEADER" },
		{ MACH_RCV_INVALID_NAME, "MACH_RCV_INVALID_NAME" },
		{ MACH_RCV_TIMED_OUT, "MACH_RCV_TIMED_OUT" },
		{ MACH_RCV_TOO_LARGE, "MACH_RCV_TOO_LARGE" },
		{ MACH_RCV_PORT_CHANGED, "MACH_RCV_PORT_CHANGED" },
		{ MACH_RCV_HEADER_ERROR, "MACH_RCV_HEADER_ERROR" },
		{ MACH_RCV_BODY_ERROR, "MACH_RCV_BODY_ERROR" },
		{ MACH_RCV_INVALID_ARGUMENTS, "MACH_RCV_INVALID_ARGUMENTS" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].kr == kr)
			return t[i].name;
	return "?";
}

/* ---- reporting -------------------------------------------------------- */

MODEL_NO_COVERAGE static void
mismatch(struct mops *o, const char *fmt, ...)
{
	char msg[512];
	size_t off;
	va_list ap;
	unsigned i, first;

	if (o->failed)
		return;
	o->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	off = (size_t)snprintf(o->err, o->errlen,
	    "engine/model divergence at step %u: %s\n  %s\n", o->step, o->what,
	    msg);
	if (off >= o->errlen)
		return;
	off += (size_t)snprintf(o->err + off, o->errlen - off,
	    "  previous steps (oldest first):\n");
	first = o->step > HIST ? o->step - HIST : 0;
	for (i = first; i < o->step && off < o->errlen; i++)
		off += (size_t)snprintf(o->err + off, o->errlen - off,
		    "    %u: %s\n", i, o->hist[i % HIST]);
}

MODEL_NO_COVERAGE static void
expect_kr(
    struct mops *o, const char *call, kern_return_t eng, kern_return_t mod)
{
	if (eng != mod)
		mismatch(o, "%s returned %s (%#x), model says %s (%#x)", call,
		    krname(eng), (unsigned)eng, krname(mod), (unsigned)mod);
}

MODEL_NO_COVERAGE static void
expect_u(struct mops *o, const char *what, uint64_t eng, uint64_t mod)
{
	if (eng != mod)
		mismatch(o, "%s: engine %#llx, model %#llx", what,
		    (unsigned long long)eng, (unsigned long long)mod);
}

/*
 * expect_kr / expect_u for the state comparison, which makes thousands of
 * them per program: the description is formatted only on a mismatch.
 */
MODEL_NO_COVERAGE __attribute__((format(printf, 4, 5))) static void
expect_kr_at(
    struct mops *o, kern_return_t eng, kern_return_t mod, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	if (eng == mod)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	expect_kr(o, what, eng, mod);
}

MODEL_NO_COVERAGE __attribute__((format(printf, 4, 5))) static void
expect_u_at(struct mops *o, uint64_t eng, uint64_t mod, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	if (eng == mod)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	expect_u(o, what, eng, mod);
}

MODEL_NO_COVERAGE static void
model_check(struct mops *o)
{
	const char *e = model_error(o->m);

	if (e != NULL)
		mismatch(o, "%s", e);
}

/* ---- decoding --------------------------------------------------------- */

/* The next byte of the current step's record; zeros past its end. */
static uint8_t
nb(struct mops *o)
{
	return o->pos < o->rec_end ? o->data[o->pos++] : 0;
}

static int
pick_sp(struct mops *o)
{
	return nb(o) % NSP;
}

/* A receive right whose state the step may change: check it afterwards. */
static void
relate(struct mops *o, int sp, mach_port_name_t name)
{
	if (MACH_PORT_VALID(name) && o->nrelated < 64) {
		o->related[o->nrelated].sp = sp;
		o->related[o->nrelated].name = name;
		o->nrelated++;
	}
}

/* A name the step uses; also relates its port's receive right. */
static void
touch(struct mops *o, int sp, mach_port_name_t name)
{
	mach_port_name_t rname;
	int rsp;

	if (MACH_PORT_VALID(name) && o->ntouched < 64) {
		o->touched[o->ntouched].sp = sp;
		o->touched[o->ntouched].name = name;
		o->ntouched++;
	}
	if (model_receiver(o->m, sp, name, &rsp, &rname))
		relate(o, rsp, rname);
}

static mach_port_name_t
special_name(struct mops *o, int sp, uint8_t b)
{
	mach_port_name_t n = o->slot[sp][nb(o) % NSLOT];

	switch (b & 7) {
	case 0:
		return MACH_PORT_NULL;
	case 1:
		return MACH_PORT_DEAD;
	case 2:
		return o->slot[(sp + 1 + (b >> 3) % (NSP - 1)) % NSP]
		              [nb(o) % NSLOT];
	case 3:
		return n & ~3u; /* bad low bits */
	case 4:
		return (n & ~0xffu) | ((n + 4u) & 0xffu); /* other generation */
	case 5:
		return 0x3u; /* index 0 */
	case 6:
		return (0xFFFFFFu << 8) | 3u; /* beyond any table */
	default:
		return ((0x700u + nb(o)) << 8) | 3u; /* never allocated */
	}
}

/* A filled slot of sp (a name once valid there; maybe stale by now). */
static mach_port_name_t
slot_name(const struct mops *o, int sp, uint8_t b)
{
	int filled[NSLOT], n = 0, i;

	for (i = 0; i < NSLOT; i++)
		if (o->slot[sp][i] != MACH_PORT_NULL)
			filled[n++] = i;
	return n == 0 ? MACH_PORT_NULL : o->slot[sp][filled[b % n]];
}

/* An existing name, mostly. */
static mach_port_name_t
pick_name_b(struct mops *o, int sp, uint8_t b)
{
	mach_port_name_t n;

	if (b < 0xc8)
		n = slot_name(o, sp, b);
	else
		n = special_name(o, sp, b);
	touch(o, sp, n);
	return n;
}

static mach_port_name_t
pick_name(struct mops *o, int sp)
{
	return pick_name_b(o, sp, nb(o));
}

/* The receive / send / send-once / set types a disposition copies in from. */
static mach_port_type_t
disp_source(mach_msg_type_name_t disp)
{
	switch (disp) {
	case MACH_MSG_TYPE_MOVE_RECEIVE:
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		return MACH_PORT_TYPE_RECEIVE;
	case MACH_MSG_TYPE_MOVE_SEND:
	case MACH_MSG_TYPE_COPY_SEND:
		return MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_DEAD_NAME;
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		return MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DEAD_NAME;
	default:
		return MACH_PORT_TYPE_ALL_RIGHTS;
	}
}

/*
 * Byte b: if b & 3, the ((b >> 2) % n)th of the n names the model says
 * hold one of `types` (in the model's entry order, newest first, which
 * depends only on the program); else pick_name with the next byte.  So
 * random programs make far more calls that succeed.
 */
static mach_port_name_t
pick_typed(struct mops *o, int sp, mach_port_type_t types)
{
	static struct model_name_info mi[MAX_NAMES];
	uint8_t b = nb(o);
	int n, i, k = 0;
	mach_port_name_t cand[MAX_NAMES];

	if ((b & 3) == 0)
		return pick_name(o, sp); /* the next byte says which */
	n = model_names(o->m, sp, mi, MAX_NAMES);
	for (i = 0; i < n && i < MAX_NAMES; i++)
		if (mi[i].type & types)
			cand[k++] = mi[i].name;
	if (k == 0)
		return pick_name(o, sp);
	touch(o, sp, cand[(b >> 2) % k]);
	return cand[(b >> 2) % k];
}

/* A name for allocate_name / insert_right to create. */
static mach_port_name_t
pick_user_name(struct mops *o, int sp)
{
	uint8_t b = nb(o);
	mach_port_name_t n;

	if (b < 0x50)
		n = slot_name(o, sp, b);
	else if (b < 0xd0)
		n = ((0x100u + (b & 0x3fu)) << 8) | 3u;
	else
		n = special_name(o, sp, b);
	touch(o, sp, n);
	return n;
}

/* A header disposition: mostly one of the five send forms (I6, I8). */
static mach_msg_type_name_t
pick_send_disp(struct mops *o)
{
	uint8_t b = nb(o);

	if (b < 0xf0)
		return MACH_MSG_TYPE_MOVE_SEND + b % 5;
	return b % 32;
}

static mach_msg_type_name_t
pick_disp(struct mops *o)
{
	uint8_t b = nb(o);

	if (b < 0xe0)
		return MACH_MSG_TYPE_MOVE_RECEIVE + b % 6;
	return b % 32;
}

static void
store(struct mops *o, int sp, mach_port_name_t name)
{
	uint8_t b = nb(o);

	if (MACH_PORT_VALID(name))
		o->slot[sp][b % NSLOT] = name;
	if (g_trace)
		fprintf(stderr, "    new name %#x in space %d\n", name, sp);
	touch(o, sp, name);
}

static const mach_port_right_t right_tab[] = { MACH_PORT_RIGHT_RECEIVE,
	MACH_PORT_RIGHT_RECEIVE, MACH_PORT_RIGHT_RECEIVE,
	MACH_PORT_RIGHT_PORT_SET, MACH_PORT_RIGHT_DEAD_NAME,
	MACH_PORT_RIGHT_RECEIVE };

static mach_port_right_t
pick_alloc_right(struct mops *o)
{
	uint8_t b = nb(o);

	if (b < 0xe0)
		return right_tab[b % 6];
	return b % 8; /* SEND, SEND_ONCE, LABELH, NUMBER, 7: A4 */
}

static const mach_port_delta_t delta_tab[] = { 0, 1, -1, 2, -2, 3, -3, 65535,
	-65535, 65534, -65534, 65536, -65536, 100, -100, 0x7fffffff,
	(mach_port_delta_t)0x80000000u, 1 };

static const uint32_t value_tab[] = { 0, 1, 2, 5, 7, 1024, 1025, 0xffffffffu };

static const uint64_t guard_tab[] = { 0, 1, 0xfeed, 0xdead0000beefull };

/* ---- engine calls with names ------------------------------------------ */

MODEL_NO_COVERAGE static void
vm_release(void *addr, mach_msg_type_number_t cnt, size_t elem)
{
	if (addr != NULL && cnt != 0)
		(void)vm_deallocate(mach_task_self(), (vm_address_t)addr,
		    (vm_size_t)cnt * elem);
}

/* The engine's names of space sp, sorted by name; returns the count. */
MODEL_NO_COVERAGE static int
engine_names(struct mops *o, int sp, mach_port_name_t *names,
    mach_port_type_t *types, int max)
{
	mach_port_name_array_t na = NULL;
	mach_port_type_array_t ta = NULL;
	mach_msg_type_number_t nc = 0, tc = 0, i;
	kern_return_t kr;

	kr = mipc_port_names(o->sp[sp], &na, &nc, &ta, &tc);
	if (kr != KERN_SUCCESS) {
		mismatch(
		    o, "mach_port_names(space %d) returned %s", sp, krname(kr));
		return 0;
	}
	if (nc != tc)
		mismatch(o, "mach_port_names(space %d): %u names, %u types", sp,
		    nc, tc);
	for (i = 0; i < nc && (int)i < max; i++) {
		names[i] = na[i];
		types[i] = ta[i];
	}
	vm_release(na, nc, sizeof(*na));
	vm_release(ta, tc, sizeof(*ta));
	return (int)nc;
}

/* ---- state comparison ---------------------------------------------------- */

MODEL_NO_COVERAGE static bool
was_touched(const struct mops *o, int sp, mach_port_name_t name)
{
	int i;

	for (i = 0; i < o->ntouched; i++)
		if (o->touched[i].sp == sp && o->touched[i].name == name)
			return true;
	return false;
}

MODEL_NO_COVERAGE static void
compare_status(struct mops *o, int sp, mach_port_name_t name)
{
	mach_port_status_t es, ms;
	mach_msg_type_number_t ec = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_msg_type_number_t mc = MACH_PORT_RECEIVE_STATUS_COUNT;
	mach_port_rights_t esr = 0, msr = 0;
	mach_port_context_t ectx = 0, mctx = 0;
	kern_return_t ekr, mkr;

	memset(&es, 0, sizeof(es));
	memset(&ms, 0, sizeof(ms));
	ekr = mipc_port_get_attributes(o->sp[sp], name,
	    MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&es, &ec);
	mkr = model_get_attributes(
	    o->m, sp, name, MACH_PORT_RECEIVE_STATUS, (integer_t *)&ms, &mc);
	expect_kr_at(
	    o, ekr, mkr, "RECEIVE_STATUS of %#x in space %d", name, sp);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS) {
#define CMP(f) expect_u_at(o, es.f, ms.f, "%s of %#x in space %d", #f, name, sp)
		CMP(mps_pset);
		CMP(mps_seqno);
		CMP(mps_mscount);
		CMP(mps_qlimit);
		CMP(mps_msgcount);
		CMP(mps_sorights);
		CMP(mps_srights);
		CMP(mps_pdrequest);
		CMP(mps_nsrequest);
#undef CMP
		expect_u_at(o, es.mps_flags & STATUS_FLAGS_CHECKED,
		    ms.mps_flags & STATUS_FLAGS_CHECKED,
		    "mps_flags (guard bits) of %#x in space %d", name, sp);
	}
	ekr = mipc_port_get_srights(o->sp[sp], name, &esr);
	mkr = model_get_srights(o->m, sp, name, &msr);
	expect_kr_at(o, ekr, mkr, "get_srights(%#x) in space %d", name, sp);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
		expect_u_at(
		    o, esr, msr, "get_srights(%#x) in space %d", name, sp);
	ekr = mipc_port_get_context(o->sp[sp], name, &ectx);
	mkr = model_get_context(o->m, sp, name, &mctx);
	expect_kr_at(o, ekr, mkr, "get_context(%#x) in space %d", name, sp);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
		expect_u_at(
		    o, ectx, mctx, "get_context(%#x) in space %d", name, sp);
}

MODEL_NO_COVERAGE static void
compare_set(struct mops *o, int sp, mach_port_name_t name)
{
	mach_port_name_array_t em = NULL;
	mach_msg_type_number_t ecnt = 0, i;
	mach_port_name_t mm[64];
	unsigned mcnt = 64;
	kern_return_t ekr, mkr;

	ekr = mipc_port_get_set_status(o->sp[sp], name, &em, &ecnt);
	mkr = model_get_set_status(o->m, sp, name, mm, &mcnt);
	expect_kr_at(o, ekr, mkr, "get_set_status(%#x) in space %d", name, sp);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS) {
		if (ecnt != mcnt) {
			mismatch(o,
			    "get_set_status(%#x) in space %d: %u members, "
			    "model %u",
			    name, sp, ecnt, mcnt);
		} else {
			for (i = 0; i < ecnt; i++)
				if (em[i] != mm[i])
					mismatch(o,
					    "get_set_status(%#x) in space "
					    "%d: member %u is %#x, model %#x",
					    name, sp, i, em[i], mm[i]);
		}
	}
	if (ekr == KERN_SUCCESS)
		vm_release(em, ecnt, sizeof(*em));
}

/* type and refs: these convert a send / send-once name whose port died. */
MODEL_NO_COVERAGE static void
compare_name(struct mops *o, int sp, mach_port_name_t name)
{
	mach_port_type_t et = 0, mt = 0;
	mach_port_urefs_t eu, mu;
	mach_port_right_t r;
	kern_return_t ekr, mkr;

	ekr = mipc_port_type(o->sp[sp], name, &et);
	mkr = model_type(o->m, sp, name, &mt);
	expect_kr_at(o, ekr, mkr, "mach_port_type(%#x) in space %d", name, sp);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
		expect_u_at(
		    o, et, mt, "mach_port_type(%#x) in space %d", name, sp);
	for (r = 0; r <= MACH_PORT_RIGHT_LABELH; r++) {
		eu = mu = 0;
		ekr = mipc_port_get_refs(o->sp[sp], name, r, &eu);
		mkr = model_get_refs(o->m, sp, name, r, &mu);
		expect_kr_at(o, ekr, mkr, "get_refs(%#x, right %u) in space %d",
		    name, r, sp);
		if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
			expect_u_at(o, eu, mu,
			    "get_refs(%#x, right %u) in space %d", name, r, sp);
	}
}

MODEL_NO_COVERAGE static int
find_name(const mach_port_name_t *names, int n, mach_port_name_t name)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] == name)
			return i;
	return -1;
}

/* The full comparison: every live space, its names enumerated on both sides. */
MODEL_NO_COVERAGE static void
check_state(struct mops *o)
{
	static struct model_name_info mi[MAX_NAMES];
	static mach_port_name_t en[MAX_NAMES];
	static mach_port_type_t et[MAX_NAMES];
	int sp, i, nm, ne, k;

	for (sp = 0; sp < NSP && !o->failed; sp++) {
		bool lazy = false;

		if (o->sp[sp] == NULL)
			continue;
		nm = model_names(o->m, sp, mi, MAX_NAMES);
		for (i = 0; i < nm && i < MAX_NAMES; i++)
			lazy |= mi[i].lazy_dead;
		if (lazy && !(g_gaps & GAP_NAMES) && !o->check_all) {
			/* see "Known gaps": names would convert them */
			ne = -1;
		} else {
			ne = engine_names(o, sp, en, et, MAX_NAMES);
			if (lazy && !(g_gaps & GAP_NAMES)) {
				model_convert_dead_names(o->m, sp);
				nm = model_names(o->m, sp, mi, MAX_NAMES);
			}
		}
		if (nm > MAX_NAMES || ne > MAX_NAMES) {
			mismatch(
			    o, "too many names to compare (%d/%d)", ne, nm);
			return;
		}
		for (i = 0; i < ne; i++) {
			int j;
			for (j = 0; j < nm; j++)
				if (mi[j].name == en[i])
					break;
			if (j == nm)
				mismatch(o,
				    "space %d: engine has name %#x (type "
				    "%#x), model does not",
				    sp, en[i], et[i]);
		}
		for (i = 0; i < nm && ne >= 0; i++) {
			k = find_name(en, ne, mi[i].name);
			if (k < 0) {
				mismatch(o,
				    "space %d: model has name %#x (type "
				    "%#x), engine does not",
				    sp, mi[i].name, mi[i].type);
				continue;
			}
			if (et[k] != mi[i].type)
				mismatch(o,
				    "space %d: mach_port_names type of "
				    "%#x is %#x, model %#x",
				    sp, mi[i].name, et[k], mi[i].type);
		}
		for (i = 0; i < nm && !o->failed; i++) {
			mach_port_name_t n = mi[i].name;
			if (!mi[i].lazy_dead || o->check_all ||
			    was_touched(o, sp, n))
				compare_name(o, sp, n);
			if (mi[i].type & MACH_PORT_TYPE_RECEIVE)
				compare_status(o, sp, n);
			if (mi[i].type & MACH_PORT_TYPE_PORT_SET)
				compare_set(o, sp, n);
		}
	}
	model_check(o);
}

/*
 * One name of the focused comparison, as check_state would compare it;
 * a name the model does not hold must be unknown to the engine as well.
 * `touched`: the step named it (compare_name even if its port died).
 */
MODEL_NO_COVERAGE static void
check_one(struct mops *o, int sp, mach_port_name_t name, bool touched)
{
	struct model_name_info mi;
	mach_port_type_t t = 0;
	int i;

	if (o->sp[sp] == NULL || !MACH_PORT_VALID(name))
		return;
	for (i = 0; i < o->ndone; i++)
		if (o->done[i].sp == sp && o->done[i].name == name)
			return;
	if (o->ndone < (int)(sizeof(o->done) / sizeof(o->done[0]))) {
		o->done[o->ndone].sp = sp;
		o->done[o->ndone].name = name;
		o->ndone++;
	}
	if (!model_name(o->m, sp, name, &mi)) {
		/* Nothing for the query to convert: no such name. */
		expect_kr_at(o, mipc_port_type(o->sp[sp], name, &t),
		    model_type(o->m, sp, name, &t),
		    "mach_port_type(%#x) in space %d, a name the model does "
		    "not hold",
		    name, sp);
		return;
	}
	if (!mi.lazy_dead || touched)
		compare_name(o, sp, name);
	if (mi.type & MACH_PORT_TYPE_RECEIVE)
		compare_status(o, sp, name);
	if (mi.type & MACH_PORT_TYPE_PORT_SET)
		compare_set(o, sp, name);
}

/*
 * The focused comparison (see "Comparison" above): the names the step
 * touched, the receive rights of their ports -- where they were before
 * the step (o->related) and where they are now -- and nothing else.
 */
MODEL_NO_COVERAGE static void
check_focused(struct mops *o)
{
	mach_port_name_t rname;
	int i, rsp;

	o->ndone = 0;
	for (i = 0; i < o->ntouched && !o->failed; i++)
		check_one(o, o->touched[i].sp, o->touched[i].name, true);
	for (i = 0; i < o->ntouched && !o->failed; i++)
		if (model_receiver(o->m, o->touched[i].sp, o->touched[i].name,
		        &rsp, &rname))
			check_one(o, rsp, rname, false);
	for (i = 0; i < o->nrelated && !o->failed; i++)
		check_one(o, o->related[i].sp, o->related[i].name, false);
	model_check(o);
}

/* ---- operations --------------------------------------------------------- */

#define SPACE(o, i)  ((o)->sp[(i)])
#define DESC(o, ...) snprintf((o)->what, sizeof((o)->what), __VA_ARGS__)

static void
op_allocate(struct mops *o, int sp)
{
	mach_port_right_t right = pick_alloc_right(o);
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t ekr, mkr;

	DESC(o, "mach_port_allocate(space %d, right %u)", sp, right);
	ekr = mipc_port_allocate(SPACE(o, sp), right, &n);
	mkr = model_allocate(o->m, sp, right, n);
	expect_kr(o, "mach_port_allocate", ekr, mkr);
	if (ekr == KERN_SUCCESS)
		store(o, sp, n);
}

/* A7: find the dead name the engine created under a name of its own. */
static mach_port_name_t
new_engine_name(struct mops *o, int sp)
{
	static struct model_name_info mi[MAX_NAMES];
	static mach_port_name_t en[MAX_NAMES];
	static mach_port_type_t et[MAX_NAMES];
	mach_port_name_t found = MACH_PORT_NULL;
	int ne, nm, i, j, nfound = 0;

	ne = engine_names(o, sp, en, et, MAX_NAMES);
	if (!(g_gaps & GAP_NAMES))
		model_convert_dead_names(o->m, sp); /* see "Known gaps" */
	nm = model_names(o->m, sp, mi, MAX_NAMES);
	for (i = 0; i < ne && i < MAX_NAMES; i++) {
		for (j = 0; j < nm && j < MAX_NAMES; j++)
			if (mi[j].name == en[i])
				break;
		if (j == nm) {
			found = en[i];
			nfound++;
		}
	}
	if (nfound != 1)
		mismatch(o,
		    "allocate_name(DEAD_NAME) succeeded but %d new "
		    "names appeared (A7: exactly one)",
		    nfound);
	return found;
}

static void
op_allocate_name(struct mops *o, int sp)
{
	mach_port_right_t right = pick_alloc_right(o);
	mach_port_name_t name = pick_user_name(o, sp), dn = MACH_PORT_NULL;
	kern_return_t ekr, mkr;

	DESC(o, "mach_port_allocate_name(space %d, right %u, %#x)", sp, right,
	    name);
	ekr = mipc_port_allocate_name(SPACE(o, sp), right, name);
	if (ekr == KERN_SUCCESS && right == MACH_PORT_RIGHT_DEAD_NAME)
		dn = new_engine_name(o, sp);
	mkr = model_allocate_name(o->m, sp, right, name, dn);
	expect_kr(o, "mach_port_allocate_name", ekr, mkr);
	if (ekr == KERN_SUCCESS)
		store(o, sp, right == MACH_PORT_RIGHT_DEAD_NAME ? dn : name);
}

static void
op_construct(struct mops *o, int sp)
{
	mach_port_options_t opts;
	mach_port_context_t ctx;
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t ekr, mkr;
	uint8_t conflict;

	memset(&opts, 0, sizeof(opts));
	opts.flags = nb(o);
	conflict = nb(o) & 7;
	opts.mpl.mpl_qlimit = value_tab[nb(o) % 8];
	ctx = guard_tab[nb(o) % 4];
	if (conflict >= 5) {
		static const uint32_t pairs[] = { MPO_SERVICE_PORT |
			    MPO_CONNECTION_PORT,
			MPO_REPLY_PORT | MPO_ENFORCE_REPLY_PORT_SEMANTICS,
			MPO_EXCEPTION_PORT | MPO_PROVISIONAL_REPLY_PORT };
		opts.flags |= pairs[conflict - 5];
		if (opts.mpl.mpl_qlimit > MACH_PORT_QLIMIT_MAX)
			opts.mpl.mpl_qlimit = 1; /* one error at a time */
	}
	if (!(g_gaps & GAP_REGUARD) && ctx == 0 &&
	    (opts.flags & (MPO_CONTEXT_AS_GUARD | MPO_STRICT)) ==
	        (MPO_CONTEXT_AS_GUARD | MPO_STRICT))
		ctx = 1; /* see "Known gaps" */
	DESC(o,
	    "mach_port_construct(space %d, flags %#x, qlimit %u, ctx "
	    "%#llx)",
	    sp, opts.flags, opts.mpl.mpl_qlimit, (unsigned long long)ctx);
	ekr = mipc_port_construct(SPACE(o, sp), &opts, ctx, &n);
	mkr = model_construct(o->m, sp, &opts, ctx, n);
	expect_kr(o, "mach_port_construct", ekr, mkr);
	if (ekr == KERN_SUCCESS)
		store(o, sp, n);
}

static void
op_deallocate(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);

	DESC(o, "mach_port_deallocate(space %d, %#x)", sp, n);
	expect_kr(o, "mach_port_deallocate",
	    mipc_port_deallocate(SPACE(o, sp), n),
	    model_deallocate(o->m, sp, n));
}

static void
op_destroy(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);

	DESC(o, "mach_port_destroy(space %d, %#x)", sp, n);
	expect_kr(o, "mach_port_destroy", mipc_port_destroy(SPACE(o, sp), n),
	    model_destroy(o->m, sp, n));
}

static void
op_mod_refs(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	mach_port_right_t r = nb(o) % 8;
	mach_port_delta_t d =
	    delta_tab[nb(o) % (sizeof(delta_tab) / sizeof(delta_tab[0]))];

	DESC(o, "mach_port_mod_refs(space %d, %#x, right %u, delta %d)", sp, n,
	    r, d);
	expect_kr(o, "mach_port_mod_refs",
	    mipc_port_mod_refs(SPACE(o, sp), n, r, d),
	    model_mod_refs(o->m, sp, n, r, d));
}

static void
op_get_refs(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	mach_port_right_t r = nb(o) % 8;
	mach_port_urefs_t eu = 0, mu = 0;
	kern_return_t ekr, mkr;

	DESC(o, "mach_port_get_refs(space %d, %#x, right %u)", sp, n, r);
	ekr = mipc_port_get_refs(SPACE(o, sp), n, r, &eu);
	mkr = model_get_refs(o->m, sp, n, r, &mu);
	expect_kr(o, "mach_port_get_refs", ekr, mkr);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
		expect_u(o, "urefs", eu, mu);
}

static void
op_type(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	mach_port_type_t et = 0, mt = 0;
	kern_return_t ekr, mkr;

	DESC(o, "mach_port_type(space %d, %#x)", sp, n);
	ekr = mipc_port_type(SPACE(o, sp), n, &et);
	mkr = model_type(o->m, sp, n, &mt);
	expect_kr(o, "mach_port_type", ekr, mkr);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
		expect_u(o, "type", et, mt);
}

static void
op_insert_right(struct mops *o, int sp)
{
	uint8_t b = nb(o);
	int from = (b & 1) ? sp : pick_sp(o);
	mach_port_name_t poly, name;
	mach_msg_type_name_t disp;
	kern_return_t ekr, mkr;

	if (SPACE(o, from) == NULL)
		from = sp;
	disp = pick_disp(o);
	poly = pick_typed(o, from, disp_source(disp));
	name = (b & 2) && from == sp ? poly : pick_user_name(o, sp);
	DESC(o,
	    "mipc_port_insert_right(space %d, name %#x, from %d, poly "
	    "%#x, disp %u)",
	    sp, name, from, poly, disp);
	ekr = mipc_port_insert_right(
	    SPACE(o, sp), name, SPACE(o, from), poly, disp);
	mkr = model_insert_right(o->m, sp, name, from, poly, disp);
	if (!(g_gaps & GAP_INSERT_ORDER) &&
	    model_insert_diag(o->m) != KERN_SUCCESS &&
	    ekr == model_insert_diag(o->m))
		mkr = ekr; /* see "Known gaps" */
	expect_kr(o, "mach_port_insert_right", ekr, mkr);
	touch(o, from, poly);
	touch(o, sp, name);
	if (ekr == KERN_SUCCESS)
		store(o, sp, name);
}

static void
op_extract_right(struct mops *o, int sp)
{
	mach_msg_type_name_t disp = pick_disp(o);
	mach_port_name_t n = pick_typed(o, sp, disp_source(disp));
	int to = pick_sp(o);
	mach_port_name_t poly = MACH_PORT_NULL;
	mach_msg_type_name_t epp = 0, mpp = 0;
	kern_return_t ekr, mkr;

	if (SPACE(o, to) == NULL)
		to = sp;
	DESC(o, "mipc_port_extract_right(space %d, %#x, disp %u, to %d)", sp, n,
	    disp, to);
	ekr = mipc_port_extract_right(
	    SPACE(o, sp), n, disp, SPACE(o, to), &poly, &epp);
	mkr = model_extract_right(o->m, sp, n, disp, to, poly, &mpp);
	expect_kr(o, "mach_port_extract_right", ekr, mkr);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS) {
		expect_u(o, "extract_right polyPoly", epp, mpp);
		store(o, to, poly);
	}
}

static void
op_member(struct mops *o, int sp, int which)
{
	mach_port_name_t n = pick_typed(o, sp, MACH_PORT_TYPE_RECEIVE);
	mach_port_name_t ps = pick_typed(o, sp, MACH_PORT_TYPE_PORT_SET);
	kern_return_t ekr, mkr;

	switch (which) {
	case 0:
		DESC(o, "mach_port_insert_member(space %d, %#x, %#x)", sp, n,
		    ps);
		ekr = mipc_port_insert_member(SPACE(o, sp), n, ps);
		mkr = model_insert_member(o->m, sp, n, ps);
		break;
	case 1:
		DESC(o, "mach_port_extract_member(space %d, %#x, %#x)", sp, n,
		    ps);
		ekr = mipc_port_extract_member(SPACE(o, sp), n, ps);
		mkr = model_extract_member(o->m, sp, n, ps);
		break;
	default:
		if (nb(o) < 0x40)
			ps = MACH_PORT_NULL;
		DESC(o, "mach_port_move_member(space %d, %#x, %#x)", sp, n, ps);
		ekr = mipc_port_move_member(SPACE(o, sp), n, ps);
		mkr = model_move_member(o->m, sp, n, ps);
		break;
	}
	expect_kr(o, o->what, ekr, mkr);
}

static void
op_set_attributes(struct mops *o, int sp)
{
	static const mach_port_flavor_t flavors[] = { MACH_PORT_LIMITS_INFO,
		MACH_PORT_LIMITS_INFO, MACH_PORT_LIMITS_INFO,
		MACH_PORT_DNREQUESTS_SIZE, MACH_PORT_TEMPOWNER,
		MACH_PORT_IMPORTANCE_RECEIVER, MACH_PORT_DENAP_RECEIVER,
		MACH_PORT_RECEIVE_STATUS, MACH_PORT_INFO_EXT,
		MACH_PORT_GUARD_INFO, 0, 100 };
	static const mach_msg_type_number_t cnts[] = { 1, 1, 1, 0, 2, 10 };
	mach_port_name_t n = pick_name(o, sp);
	mach_port_flavor_t fl = flavors[nb(o) % 12];
	mach_msg_type_number_t cnt = cnts[nb(o) % 6];
	integer_t info[17];

	memset(info, 0, sizeof(info));
	info[0] = (integer_t)value_tab[nb(o) % 8];
	if (fl >= MACH_PORT_TEMPOWNER && fl <= MACH_PORT_DENAP_RECEIVER &&
	    cnt == 0)
		cnt = 1;
	DESC(o,
	    "mach_port_set_attributes(space %d, %#x, flavor %d, [%u], "
	    "cnt %u)",
	    sp, n, fl, (unsigned)info[0], cnt);
	expect_kr(o, "mach_port_set_attributes",
	    mipc_port_set_attributes(SPACE(o, sp), n, fl, info, cnt),
	    model_set_attributes(o->m, sp, n, fl, info, cnt));
}

static void
op_get_attributes(struct mops *o, int sp)
{
	static const mach_msg_type_number_t cnts[] = { 0, 1, 9, 10, 17 };
	mach_port_name_t n = pick_name(o, sp);
	mach_port_flavor_t fl =
	    (nb(o) & 1) ? MACH_PORT_RECEIVE_STATUS : MACH_PORT_LIMITS_INFO;
	mach_msg_type_number_t ec = cnts[nb(o) % 5], mc = ec;
	integer_t einfo[17], minfo[17];
	kern_return_t ekr, mkr;
	unsigned i;

	memset(einfo, 0, sizeof(einfo));
	memset(minfo, 0, sizeof(minfo));
	DESC(o, "mach_port_get_attributes(space %d, %#x, flavor %d, cnt %u)",
	    sp, n, fl, ec);
	ekr = mipc_port_get_attributes(SPACE(o, sp), n, fl, einfo, &ec);
	mkr = model_get_attributes(o->m, sp, n, fl, minfo, &mc);
	expect_kr(o, "mach_port_get_attributes", ekr, mkr);
	if (ekr != KERN_SUCCESS || mkr != KERN_SUCCESS)
		return;
	expect_u(o, "get_attributes count", ec, mc);
	if (fl == MACH_PORT_RECEIVE_STATUS) {
		einfo[9] &= STATUS_FLAGS_CHECKED;
		minfo[9] &= STATUS_FLAGS_CHECKED;
	}
	for (i = 0; i < mc && i < 17; i++)
		expect_u(o, "get_attributes value", (uint32_t)einfo[i],
		    (uint32_t)minfo[i]);
}

static void
op_set_counter(struct mops *o, int sp, bool seqno)
{
	mach_port_name_t n = pick_name(o, sp);
	uint32_t v = value_tab[nb(o) % 8];

	if (seqno) {
		DESC(o, "mach_port_set_seqno(space %d, %#x, %u)", sp, n, v);
		expect_kr(o, "mach_port_set_seqno",
		    mipc_port_set_seqno(SPACE(o, sp), n, v),
		    model_set_seqno(o->m, sp, n, v));
	} else {
		DESC(o, "mach_port_set_mscount(space %d, %#x, %u)", sp, n, v);
		expect_kr(o, "mach_port_set_mscount",
		    mipc_port_set_mscount(SPACE(o, sp), n, v),
		    model_set_mscount(o->m, sp, n, v));
	}
}

static void
op_guard(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	uint64_t g = guard_tab[nb(o) % 4];
	uint8_t v = nb(o);
	kern_return_t ekr;
	uint64_t flags;

	if (!(g_gaps & GAP_REGUARD) && g == 0 &&
	    ((v & 3) == 1 || ((v & 3) >= 2 && (v & 4))))
		g = 1; /* see "Known gaps" */
	if ((v & 3) < 2) {
		flags = (v & 1) ? MPG_STRICT : 0;
		DESC(o, "mach_port_guard(space %d, %#x, %#llx, strict %d)", sp,
		    n, (unsigned long long)g, v & 1);
		ekr = mipc_port_guard(SPACE(o, sp), n, g, v & 1);
	} else {
		flags = (v >> 2) & 3;
		DESC(o,
		    "mach_port_guard_with_flags(space %d, %#x, %#llx, "
		    "%#llx)",
		    sp, n, (unsigned long long)g, (unsigned long long)flags);
		ekr = mipc_port_guard_with_flags(SPACE(o, sp), n, g, flags);
	}
	expect_kr(
	    o, "mach_port_guard", ekr, model_guard(o->m, sp, n, g, flags));
}

static void
op_unguard(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	uint64_t g = guard_tab[nb(o) % 4];

	DESC(o, "mach_port_unguard(space %d, %#x, %#llx)", sp, n,
	    (unsigned long long)g);
	expect_kr(o, "mach_port_unguard", mipc_port_unguard(SPACE(o, sp), n, g),
	    model_unguard(o->m, sp, n, g));
}

static void
op_swap_guard(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	uint64_t a = guard_tab[nb(o) % 4], b = guard_tab[nb(o) % 4];

	DESC(o, "mach_port_swap_guard(space %d, %#x, %#llx, %#llx)", sp, n,
	    (unsigned long long)a, (unsigned long long)b);
	expect_kr(o, "mach_port_swap_guard",
	    mipc_port_swap_guard(SPACE(o, sp), n, a, b),
	    model_swap_guard(o->m, sp, n, a, b));
}

static void
op_context(struct mops *o, int sp)
{
	mach_port_name_t n = pick_name(o, sp);
	uint8_t v = nb(o);
	uint64_t c = guard_tab[v % 4];
	mach_port_context_t ec = 0, mc = 0;
	kern_return_t ekr, mkr;

	if (v & 4) {
		DESC(o, "mach_port_set_context(space %d, %#x, %#llx)", sp, n,
		    (unsigned long long)c);
		expect_kr(o, "mach_port_set_context",
		    mipc_port_set_context(SPACE(o, sp), n, c),
		    model_set_context(o->m, sp, n, c));
		return;
	}
	DESC(o, "mach_port_get_context(space %d, %#x)", sp, n);
	ekr = mipc_port_get_context(SPACE(o, sp), n, &ec);
	mkr = model_get_context(o->m, sp, n, &mc);
	expect_kr(o, "mach_port_get_context", ekr, mkr);
	if (ekr == KERN_SUCCESS && mkr == KERN_SUCCESS)
		expect_u(o, "context", ec, mc);
}

static void
op_assert_attributes(struct mops *o, int sp)
{
	static const mach_msg_type_number_t cnts[] = { 2, 2, 1, 0 };
	mach_port_name_t n = pick_name(o, sp);
	uint8_t v = nb(o);
	mach_port_flavor_t fl =
	    (v & 7) == 7 ? MACH_PORT_LIMITS_INFO : MACH_PORT_GUARD_INFO;
	mach_msg_type_number_t cnt = cnts[(v >> 3) % 4];
	mach_port_guard_info_t gi;

	gi.mpgi_guard = guard_tab[nb(o) % 4];
	DESC(o,
	    "mach_port_assert_attributes(space %d, %#x, flavor %d, guard "
	    "%#llx, cnt %u)",
	    sp, n, fl, (unsigned long long)gi.mpgi_guard, cnt);
	expect_kr(o, "mach_port_assert_attributes",
	    mipc_port_assert_attributes(
	        SPACE(o, sp), n, fl, (mach_port_info_t)&gi, cnt),
	    model_assert_attributes(o->m, sp, n, fl, gi.mpgi_guard, cnt));
}

static void
op_destruct(struct mops *o, int sp)
{
	static const mach_port_delta_t srd[] = { 0, -1, 0, -2, 1, -65535,
		-65536, 0 };
	mach_port_name_t n = pick_name(o, sp);
	mach_port_delta_t d = srd[nb(o) % 8];
	uint64_t g = guard_tab[nb(o) % 4];

	if (!(g_gaps & GAP_DESTRUCT) && d < -65535)
		d = -65535; /* see "Known gaps" */

	DESC(o, "mach_port_destruct(space %d, %#x, srdelta %d, guard %#llx)",
	    sp, n, d, (unsigned long long)g);
	expect_kr(o, "mach_port_destruct",
	    mipc_port_destruct(SPACE(o, sp), n, d, g),
	    model_destruct(o->m, sp, n, d, g));
}

/* ---- messages ------------------------------------------------------------ */

static void
wr32(void *buf, size_t off, uint32_t v)
{
	memcpy((uint8_t *)buf + off, &v, sizeof(v));
}

static uint32_t
rd32(const void *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)buf + off, sizeof(v));
	return v;
}

/* Store the names a pseudo-receive or a receive created. */
static void
store_msg_names(struct mops *o, int sp, bool header_remote, bool header_local,
    uint32_t ndesc)
{
	uint32_t i;

	if (header_remote)
		store(o, sp, o->buf.h.msgh_remote_port);
	if (header_local)
		store(o, sp, o->buf.h.msgh_local_port);
	for (i = 0; i < ndesc && i < MODEL_MAX_DESC; i++)
		store(o, sp, rd32(o->buf.b, sizeof(mach_msg_base_t) + 12u * i));
}

/* A send-once name of sp whose port died, not yet converted (C8)? */
static bool
lazy_send_once(struct mops *o, int sp, mach_port_name_t name)
{
	static struct model_name_info mi[MAX_NAMES];
	int n = model_names(o->m, sp, mi, MAX_NAMES), i;

	for (i = 0; i < n && i < MAX_NAMES; i++)
		if (mi[i].name == name)
			return mi[i].lazy_dead &&
			    (mi[i].held & MACH_PORT_TYPE_SEND_ONCE);
	return false;
}

static unsigned
header_bad_bit(mach_msg_return_t mr)
{
	switch (mr) {
	case MACH_SEND_INVALID_VOUCHER:
		return MODEL_BAD_VOUCHER;
	case MACH_SEND_INVALID_DEST:
		return MODEL_BAD_DEST;
	case MACH_SEND_INVALID_REPLY:
		return MODEL_BAD_REPLY;
	default:
		return 0;
	}
}

/*
 * A send as op_send and op_send_receive decode it: the model's arguments
 * in *a, the message in the first 512 bytes of o->buf and, in desc, what
 * the step's description says of it.
 */
static void
decode_send(struct mops *o, int sp, struct model_msg_args *a, char *desc,
    size_t desclen)
{
	mach_msg_type_name_t dd, rd;
	uint8_t v = nb(o), w = nb(o);
	uint32_t base, i;
	size_t off;
	char d[160];

	memset(a, 0, sizeof(*a));
	dd = pick_send_disp(o);
	a->remote = pick_typed(o, sp, disp_source(dd));
	if (v & 1) {
		rd = pick_send_disp(o);
		a->local =
		    (v & 2) ? a->remote : pick_typed(o, sp, disp_source(rd));
	} else {
		a->local = MACH_PORT_NULL;
		rd = (v & 2) ? pick_send_disp(o) : 0;
	}
	if (!(g_gaps & GAP_C8_REPLY) && dd == MACH_MSG_TYPE_MOVE_SEND_ONCE &&
	    MACH_PORT_VALID(a->local) && a->local != a->remote &&
	    lazy_send_once(o, sp, a->remote))
		a->local = MACH_PORT_NULL; /* see "Known gaps" */
	a->bits = MACH_MSGH_BITS(dd, rd);
	if ((w & 0x0f) == 0x0f) { /* I7 */
		static const mach_msg_type_name_t vt[] = { 17, 19, 18, 0 };
		a->bits |= vt[(w >> 4) & 3] << 16;
		a->voucher = (w & 0x40) ? MACH_PORT_NULL : pick_name(o, sp);
	} else if ((w & 0x0f) == 0x0e) {
		a->voucher =
		    0x1234567u; /* carried through with disposition 0 */
	}
	if ((w & 0x1f) == 0x1d)
		a->bits |= 0x60e0e000u; /* I5: non-user bits are stripped */
	a->id = (mach_msg_id_t)nb(o);
	a->ndesc = (v >> 2) & 3;
	if (a->ndesc != 0 || (v & 0x10))
		a->bits |= MACH_MSGH_BITS_COMPLEX;
	for (i = 0; i < a->ndesc; i++) {
		uint8_t t = nb(o);
		a->desc[i].disp = pick_disp(o);
		a->desc[i].name =
		    pick_typed(o, sp, disp_source(a->desc[i].disp));
		if (!MACH_MSG_TYPE_PORT_ANY(a->desc[i].disp) &&
		    (!(g_gaps & GAP_DESC_DISP) ||
		        !MACH_PORT_VALID(a->desc[i].name)))
			a->desc[i].disp = MACH_MSG_TYPE_MOVE_RECEIVE +
			    a->desc[i].disp % 6; /* see "Known gaps" */
		a->desc[i].type = t >= 0xf8 ? (uint8_t)(5 + (t & 7)) : 0;
	}
	base = (a->bits & MACH_MSGH_BITS_COMPLEX)
	    ? (uint32_t)sizeof(mach_msg_base_t) + 12u * a->ndesc
	    : (uint32_t)sizeof(mach_msg_header_t);
	switch ((v >> 5) & 7) {
	case 5:
	case 6:
		a->send_size = base + 4u * (1u + (w >> 5)); /* body bytes */
		break;
	case 7:
		if ((w & 0x30) == 0x30)
			a->send_size = (w & 0x40) ? base - 4u : base + 2u;
		else if ((w & 0x30) == 0x20)
			a->send_size = (w & 0x40) ? 20u : 0u;
		else
			a->send_size = base;
		break;
	default:
		a->send_size = base;
		break;
	}

	memset(o->buf.b, 0, 512);
	o->buf.h.msgh_bits = a->bits;
	o->buf.h.msgh_size = base;
	o->buf.h.msgh_remote_port = a->remote;
	o->buf.h.msgh_local_port = a->local;
	o->buf.h.msgh_voucher_port = a->voucher;
	o->buf.h.msgh_id = a->id;
	if (a->bits & MACH_MSGH_BITS_COMPLEX)
		wr32(o->buf.b, sizeof(mach_msg_header_t), a->ndesc);
	for (i = 0; i < a->ndesc; i++) {
		off = sizeof(mach_msg_base_t) + 12u * i;
		wr32(o->buf.b, off, a->desc[i].name);
		wr32(o->buf.b, off + 8,
		    (a->desc[i].disp << 16) |
		        ((uint32_t)a->desc[i].type << 24));
	}
	for (i = base; i < 512 && i < a->send_size; i++)
		o->buf.b[i] = (uint8_t)(0x40 + i);

	off = 0;
	d[0] = '\0';
	for (i = 0; i < a->ndesc; i++)
		off +=
		    (size_t)snprintf(d + off, sizeof(d) - off, " [%#x/%u t%u]",
		        a->desc[i].name, a->desc[i].disp, a->desc[i].type);
	snprintf(desc, desclen,
	    "bits %#x, dest %#x, reply %#x, voucher %#x, id %d, size %u, "
	    "ndesc %u%s",
	    a->bits, a->remote, a->local, a->voucher, a->id, a->send_size,
	    a->ndesc, d);
}

/*
 * The model's send, after the engine's that returned emr (for a combined
 * call, the code of its send part); `call` names the call in a report.
 * Returns the model's code.
 */
static mach_msg_return_t
check_send(struct mops *o, int sp, const struct model_msg_args *a,
    mach_msg_return_t emr, const char *call)
{
	mach_msg_return_t mmr;

	mmr = model_msg_send(o->m, sp, a, emr, o->buf.b);
	if (!(g_gaps & GAP_CHECK_ORDER) && emr != mmr &&
	    (header_bad_bit(emr) & model_send_diag(o->m)) &&
	    (header_bad_bit(mmr) & model_send_diag(o->m)))
		mmr = emr; /* see "Known gaps" */
	expect_kr(o, call, emr, mmr);
	if (emr == MACH_MSG_SUCCESS)
		g_stats.sends_ok++;
	if (g_hist)
		fprintf(stderr, "SENDRC %#x\n", (unsigned)emr);
	if (emr == MACH_SEND_TIMED_OUT && mmr == MACH_SEND_TIMED_OUT)
		store_msg_names(o, sp, true, true,
		    (a->bits & MACH_MSGH_BITS_COMPLEX) ? a->ndesc : 0);
	return mmr;
}

static void
op_send(struct mops *o, int sp)
{
	struct model_msg_args a;
	mach_msg_return_t emr;
	char d[224];

	decode_send(o, sp, &a, d, sizeof(d));
	DESC(o, "send(space %d, %s)", sp, d);

	g_stats.sends++;
	emr =
	    mipc_msg(SPACE(o, sp), &o->buf.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
	        a.send_size, 0, MACH_PORT_NULL, 0, MACH_PORT_NULL);
	check_send(o, sp, &a, emr, "mach_msg(send)");
}

/* A buffer of 0xa5 bytes: what op_receive fills its buffer with. */
MODEL_NO_COVERAGE static const uint8_t *
a5_bytes(void)
{
	static uint8_t a5[BUF_BYTES];

	if (a5[0] != 0xa5)
		memset(a5, 0xa5, sizeof(a5));
	return a5;
}

/* Bytes from..to of the buffer still hold what they held before (pre). */
MODEL_NO_COVERAGE static bool
filled(const struct mops *o, const uint8_t *pre, size_t from, size_t to)
{
	if (to > BUF_BYTES)
		to = BUF_BYTES;
	return from >= to ||
	    memcmp(o->buf.b + from, pre + from, to - from) == 0;
}

/*
 * What a receive may write (K3-K5, V1): a received message and its
 * trailer; for MACH_RCV_TOO_LARGE without MACH_RCV_LARGE a bare header and
 * as much trailer as fits in rcv_size; with MACH_RCV_LARGE only msgh_size
 * and (LARGE_IDENTITY) msgh_local_port; otherwise nothing.  `pre` is what
 * the buffer held before the call: 0xa5 bytes for op_receive, the message
 * sent (and 0xa5 bytes after it) for op_send_receive.
 */
MODEL_NO_COVERAGE static void
check_untouched(struct mops *o, const uint8_t *pre, mach_msg_return_t mr,
    mach_msg_option_t opt, mach_msg_size_t rcv_size)
{
	static const mach_msg_size_t tsizes[16] = { 8, 12, 20, 52, 60, 68, 68,
		68, 68, 68, 68, 68, 68, 68, 68, 68 };
	mach_msg_size_t tsize = tsizes[GET_RCV_ELEMENTS((uint32_t)opt)];
	size_t end;

	switch (mr) {
	case MACH_MSG_SUCCESS:
		end = (size_t)o->buf.h.msgh_size + tsize;
		if (!filled(o, pre, end, BUF_BYTES))
			mismatch(o,
			    "receive wrote past msgh_size + trailer "
			    "(%zu bytes, V1)",
			    end);
		break;
	case MACH_RCV_TOO_LARGE:
		if (opt & MACH_RCV_LARGE) {
			if (!filled(o, pre, 0, 4) || !filled(o, pre, 8, 12) ||
			    !filled(o, pre, 16, BUF_BYTES) ||
			    (rcv_size < 8 && !filled(o, pre, 4, 8)) ||
			    ((rcv_size < 16 ||
			         !(opt & MACH_RCV_LARGE_IDENTITY)) &&
			        !filled(o, pre, 12, 16)))
				mismatch(o,
				    "MACH_RCV_LARGE receive wrote more "
				    "than msgh_size / msgh_local_port "
				    "(K5)");
		} else if (!filled(o, pre, rcv_size, BUF_BYTES)) {
			mismatch(o,
			    "MACH_RCV_TOO_LARGE wrote past rcv_size "
			    "%u (K4)",
			    rcv_size);
		}
		break;
	default:
		if (!filled(o, pre, 0, BUF_BYTES))
			mismatch(o, "failed receive (%#x) wrote to the buffer",
			    (unsigned)mr);
		break;
	}
}

/* A receive as op_receive decodes it, and what the comparison needs. */
struct rcv {
	mach_port_name_t name;
	mach_msg_size_t size;
	mach_msg_option_t opt; /* MACH_RCV_MSG | MACH_RCV_TIMEOUT | ... */
	/* G7: members of the set `name` holding messages, their seqnos */
	mach_port_name_t cands[16];
	int64_t before[16];
	int nc;
};

/*
 * Decode a receive into *r; returns its option byte, whose bits 2..5
 * also select send+receive (op_receive).
 */
static uint8_t
decode_receive(struct mops *o, int sp, struct rcv *r)
{
	static const mach_msg_size_t sizes[] = { 0, 8, 16, 23, 24, 31, 32, 36,
		40, 48, 64, 76, 100, 128, 256, 1024 };
	static const unsigned elems[] = { 0, 0, 1, 1, 2, 3, 4, 7, 5, 8 };
	uint8_t v;

	memset(r, 0, sizeof(*r));
	r->name =
	    pick_typed(o, sp, MACH_PORT_TYPE_RECEIVE | MACH_PORT_TYPE_PORT_SET);
	r->size = sizes[nb(o) % 16];
	v = nb(o);
	r->opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT;
	if (v & 1)
		r->opt |= MACH_RCV_LARGE;
	if (v & 2)
		r->opt |= MACH_RCV_LARGE_IDENTITY;
	r->opt |= MACH_RCV_TRAILER_ELEMENTS(elems[(v >> 2) % 10]);
	if ((v >> 6) == 3)
		r->size = 2048;
	return v;
}

/*
 * Just before the engine's receive, with the model in the state the
 * engine's receive starts from: the members of a set that hold messages
 * (the engine may take from any of them, G7) and their seqnos.
 */
static void
receive_candidates(struct mops *o, int sp, struct rcv *r)
{
	int i;

	r->nc = model_pset_ready_members(o->m, sp, r->name, r->cands, 16);
	for (i = 0; i < r->nc; i++) {
		r->before[i] = model_port_seqno(o->m, sp, r->cands[i]);
		relate(o, sp, r->cands[i]);
	}
}

/*
 * The model's receive after the engine's that returned emr; `pre` is what
 * the buffer held before the call (check_untouched).
 */
static void
check_receive(struct mops *o, int sp, const struct rcv *r,
    mach_msg_return_t emr, const uint8_t *pre, const char *call)
{
	mach_port_name_t member = MACH_PORT_NULL;
	mach_msg_return_t mmr;
	int i;

	/* G7: which member did the engine take the message from? */
	if (r->nc > 0 &&
	    (emr == MACH_MSG_SUCCESS ||
	        (emr == MACH_RCV_TOO_LARGE && !(r->opt & MACH_RCV_LARGE)))) {
		for (i = 0; i < r->nc; i++) {
			mach_port_status_t st;
			mach_msg_type_number_t cnt =
			    MACH_PORT_RECEIVE_STATUS_COUNT;
			if (mipc_port_get_attributes(SPACE(o, sp), r->cands[i],
			        MACH_PORT_RECEIVE_STATUS, (mach_port_info_t)&st,
			        &cnt) == KERN_SUCCESS &&
			    (int64_t)st.mps_seqno != r->before[i]) {
				member = r->cands[i];
				break;
			}
		}
	}
	mmr = model_msg_receive(
	    o->m, sp, r->name, r->opt, r->size, member, emr, o->buf.b);
	expect_kr(o, call, emr, mmr);
	if (emr == mmr)
		check_untouched(o, pre, emr, r->opt, r->size);
	if (g_hist)
		fprintf(stderr, "RCVRC %#x\n", (unsigned)emr);
	if (emr == MACH_MSG_SUCCESS && mmr == MACH_MSG_SUCCESS) {
		g_stats.receives_ok++;
		store_msg_names(o, sp, true, false,
		    (o->buf.h.msgh_bits & MACH_MSGH_BITS_COMPLEX)
		        ? rd32(o->buf.b, sizeof(mach_msg_header_t))
		        : 0);
	}
}

/* A MACH_RCV_* code (maybe with MACH_MSG_MASK bits): the receive's own. */
static bool
is_rcv_code(mach_msg_return_t mr)
{
	return ((uint32_t)mr & 0xffffc000u) ==
	    (MACH_RCV_IN_PROGRESS & ~0x3fffu);
}

/*
 * mach_msg(MACH_SEND_MSG | MACH_RCV_MSG), one engine call (J12): the send
 * (decoded after the receive, as op_send decodes one) happens first; if
 * it fails, the receive is skipped and the call returns the send's code;
 * else the receive runs on r->name with r->size into the same buffer and
 * its code is the call's.  The model runs model_msg_send, then, only if
 * that succeeded, model_msg_receive.  Touched / related: both halves'.
 */
static void
op_send_receive(struct mops *o, int sp, struct rcv *r)
{
	static uint8_t pre[BUF_BYTES];
	struct model_msg_args a;
	mach_msg_return_t emr, esend, msend;
	char d[224], call[112];

	memset(o->buf.b, 0xa5, sizeof(o->buf.b));
	decode_send(o, sp, &a, d, sizeof(d));
	/* The receive first: a long send is what gets cut. */
	DESC(o,
	    "send+receive(space %d, rcv %#x, rcv_size %u, option %#x; "
	    "send %.160s)",
	    sp, r->name, r->size, (unsigned)r->opt, d);
	memcpy(pre, o->buf.b, sizeof(pre));

	g_stats.sends++;
	emr = mipc_msg(SPACE(o, sp), &o->buf.h,
	    MACH_SEND_MSG | MACH_SEND_TIMEOUT | r->opt, a.send_size, r->size,
	    r->name, 0, MACH_PORT_NULL);
	/* A receive's code (or success): the send part went through. */
	if (emr == MACH_MSG_SUCCESS || is_rcv_code(emr)) {
		esend = MACH_MSG_SUCCESS;
		snprintf(call, sizeof(call),
		    "mach_msg(send+receive) returned %s (%#x), so its send "
		    "part",
		    krname(emr), (unsigned)emr);
	} else {
		esend = emr;
		snprintf(
		    call, sizeof(call), "mach_msg(send+receive), send part,");
	}
	msend = check_send(o, sp, &a, esend, call);
	if (esend != MACH_MSG_SUCCESS || msend != MACH_MSG_SUCCESS)
		return; /* J12: no receive (or a divergence, reported) */

	g_stats.receives++;
	receive_candidates(o, sp, r);
	check_receive(o, sp, r, emr, pre, "mach_msg(send+receive)");
}

/*
 * A receive; bits 2..5 of its option byte at 10..15 make it a combined
 * send+receive (op_send_receive) with the same receive options, the
 * trailer elements still (v >> 2) % 10 of the whole byte.
 */
static void
op_receive(struct mops *o, int sp)
{
	struct rcv r;
	uint8_t v = decode_receive(o, sp, &r);
	mach_msg_return_t emr;

	if (((v >> 2) & 0xf) >= 10) {
		op_send_receive(o, sp, &r);
		return;
	}
	DESC(o, "receive(space %d, %#x, rcv_size %u, option %#x)", sp, r.name,
	    r.size, (unsigned)r.opt);

	receive_candidates(o, sp, &r);
	memset(o->buf.b, 0xa5, sizeof(o->buf.b));
	g_stats.receives++;
	emr = mipc_msg(SPACE(o, sp), &o->buf.h, r.opt, 0, r.size, r.name, 0,
	    MACH_PORT_NULL);
	check_receive(o, sp, &r, emr, a5_bytes(), "mach_msg(receive)");
}

/* ---- spaces -------------------------------------------------------------- */

static void
op_space(struct mops *o, int sp)
{
	mipc_space_t s = SPACE(o, sp), prev;
	uint8_t probe = nb(o);
	mach_port_name_t n = MACH_PORT_NULL;
	kern_return_t kr;

	if (s == NULL) {
		DESC(o, "mipc_space_create(slot %d)", sp);
		kr = mipc_space_create(&o->sp[sp]);
		if (kr != KERN_SUCCESS) {
			mismatch(
			    o, "mipc_space_create returned %s", krname(kr));
			o->sp[sp] = NULL;
			return;
		}
		model_space_create(o->m, sp);
		return;
	}
	DESC(o, "mipc_space_destroy(space %d), then a call on it", sp);
	/* W2: the handle stays usable while it is the thread's space. */
	prev = mipc_thread_set_space(s);
	kr = mipc_space_destroy(s);
	model_space_destroy(o->m, sp);
	o->sp[sp] = NULL;
	expect_kr(o, "mipc_space_destroy", kr, KERN_SUCCESS);
	switch (probe % 3) {
	case 0:
		expect_kr(o, "mach_port_allocate on a destroyed space",
		    mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &n),
		    KERN_INVALID_TASK);
		break;
	case 1:
		/* A valid name: XNU answers NULL / DEAD before the space. */
		n = o->slot[sp][probe % NSLOT];
		if (!MACH_PORT_VALID(n))
			n = (0x103u << 8) | 3u;
		expect_kr(o, "mach_port_mod_refs on a destroyed space",
		    mipc_port_mod_refs(s, n, MACH_PORT_RIGHT_SEND, -1),
		    KERN_INVALID_TASK);
		break;
	default:
		memset(o->buf.b, 0, 64);
		o->buf.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0);
		o->buf.h.msgh_remote_port = o->slot[sp][probe % NSLOT];
		expect_kr(o, "mach_msg(send) on a destroyed space",
		    mipc_msg(s, &o->buf.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		        sizeof(mach_msg_header_t), 0, MACH_PORT_NULL, 0,
		        MACH_PORT_NULL),
		    MACH_SEND_INVALID_DEST);
		break;
	}
	mipc_thread_set_space(prev);
}

/* ---- the step ------------------------------------------------------------ */

enum {
	OP_ALLOCATE,
	OP_ALLOCATE_NAME,
	OP_CONSTRUCT,
	OP_DEALLOCATE,
	OP_DESTROY,
	OP_MOD_REFS,
	OP_GET_REFS,
	OP_TYPE,
	OP_INSERT_RIGHT,
	OP_EXTRACT_RIGHT,
	OP_INSERT_MEMBER,
	OP_EXTRACT_MEMBER,
	OP_MOVE_MEMBER,
	OP_SET_ATTRIBUTES,
	OP_GET_ATTRIBUTES,
	OP_SET_MSCOUNT,
	OP_SET_SEQNO,
	OP_GUARD,
	OP_UNGUARD,
	OP_SWAP_GUARD,
	OP_CONTEXT,
	OP_ASSERT_ATTRIBUTES,
	OP_DESTRUCT,
	OP_SEND,
	OP_RECEIVE,
	OP_SPACE,
	OP_CHECK_ALL,
	OP_NUM
};

/* Byte -> op: sends, receives and right moves weigh more. */
static const uint8_t op_table[] = { OP_ALLOCATE, OP_ALLOCATE, OP_ALLOCATE_NAME,
	OP_CONSTRUCT, OP_CONSTRUCT, OP_DEALLOCATE, OP_DEALLOCATE, OP_DESTROY,
	OP_MOD_REFS, OP_MOD_REFS, OP_GET_REFS, OP_TYPE, OP_INSERT_RIGHT,
	OP_INSERT_RIGHT, OP_INSERT_RIGHT, OP_EXTRACT_RIGHT, OP_EXTRACT_RIGHT,
	OP_INSERT_MEMBER, OP_EXTRACT_MEMBER, OP_MOVE_MEMBER, OP_SET_ATTRIBUTES,
	OP_GET_ATTRIBUTES, OP_SET_MSCOUNT, OP_SET_SEQNO, OP_GUARD, OP_UNGUARD,
	OP_SWAP_GUARD, OP_CONTEXT, OP_ASSERT_ATTRIBUTES, OP_DESTRUCT, OP_SEND,
	OP_SEND, OP_SEND, OP_SEND, OP_SEND, OP_RECEIVE, OP_RECEIVE, OP_RECEIVE,
	OP_RECEIVE, OP_SPACE, OP_CHECK_ALL, OP_SEND };

static void
step(struct mops *o)
{
	size_t rec = o->pos;
	uint8_t op;
	int sp;

	o->rec_end = rec + MOPS_RECORD < o->len ? rec + MOPS_RECORD : o->len;
	op = op_table[nb(o) % sizeof(op_table)];
	sp = pick_sp(o);

	o->ntouched = 0;
	o->nrelated = 0;
	o->check_all = false;
	snprintf(o->what, sizeof(o->what), "(op %u)", op);
	if (SPACE(o, sp) == NULL && op != OP_SPACE) {
		/* A dead slot: the only thing to do is to recreate it. */
		op = OP_SPACE;
	}
	switch (op) {
	case OP_ALLOCATE:
		op_allocate(o, sp);
		break;
	case OP_ALLOCATE_NAME:
		op_allocate_name(o, sp);
		break;
	case OP_CONSTRUCT:
		op_construct(o, sp);
		break;
	case OP_DEALLOCATE:
		op_deallocate(o, sp);
		break;
	case OP_DESTROY:
		op_destroy(o, sp);
		break;
	case OP_MOD_REFS:
		op_mod_refs(o, sp);
		break;
	case OP_GET_REFS:
		op_get_refs(o, sp);
		break;
	case OP_TYPE:
		op_type(o, sp);
		break;
	case OP_INSERT_RIGHT:
		op_insert_right(o, sp);
		break;
	case OP_EXTRACT_RIGHT:
		op_extract_right(o, sp);
		break;
	case OP_INSERT_MEMBER:
		op_member(o, sp, 0);
		break;
	case OP_EXTRACT_MEMBER:
		op_member(o, sp, 1);
		break;
	case OP_MOVE_MEMBER:
		op_member(o, sp, 2);
		break;
	case OP_SET_ATTRIBUTES:
		op_set_attributes(o, sp);
		break;
	case OP_GET_ATTRIBUTES:
		op_get_attributes(o, sp);
		break;
	case OP_SET_MSCOUNT:
		op_set_counter(o, sp, false);
		break;
	case OP_SET_SEQNO:
		op_set_counter(o, sp, true);
		break;
	case OP_GUARD:
		op_guard(o, sp);
		break;
	case OP_UNGUARD:
		op_unguard(o, sp);
		break;
	case OP_SWAP_GUARD:
		op_swap_guard(o, sp);
		break;
	case OP_CONTEXT:
		op_context(o, sp);
		break;
	case OP_ASSERT_ATTRIBUTES:
		op_assert_attributes(o, sp);
		break;
	case OP_DESTRUCT:
		op_destruct(o, sp);
		break;
	case OP_SEND:
		op_send(o, sp);
		break;
	case OP_RECEIVE:
		op_receive(o, sp);
		break;
	case OP_SPACE:
		op_space(o, sp);
		break;
	default:
		DESC(o, "full check (type / refs of every name)");
		o->check_all = true;
		break;
	}
	model_check(o);
	if (o->failed) {
		/* reported */
	} else if (o->check_all || o->full_every <= 1 ||
	    (o->step + 1) % o->full_every == 0) {
		check_state(o);
	} else {
		check_focused(o);
		o->focused = true;
	}
	if (g_trace)
		fprintf(stderr, "mops %u: %s\n", o->step, o->what);
	memcpy(o->hist[o->step % HIST], o->what, sizeof(o->hist[0]));
	o->step++;
	o->pos = rec + MOPS_RECORD;
}

/* ---- generating programs ---------------------------------------------- */

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint8_t
op_byte(uint8_t op)
{
	uint8_t i;

	for (i = 0; i < sizeof(op_table); i++)
		if (op_table[i] == op)
			return i;
	return 0;
}

/* A record: op, space, then `n` given bytes, then random ones. */
static void
gen_record(uint8_t *rec, uint64_t *x, uint8_t op, int sp, const uint8_t *args,
    size_t n)
{
	size_t i;

	rec[0] = op_byte(op);
	rec[1] = (uint8_t)sp;
	for (i = 2; i < MOPS_RECORD; i++)
		rec[i] = (uint8_t)xorshift(x);
	for (i = 0; i < n && i + 2 < MOPS_RECORD; i++)
		rec[2 + i] = args[i];
}

size_t
mops_generate(uint64_t seed, uint8_t *out, size_t cap)
{
	/* op weights for the body of the program */
	static const struct {
		uint8_t op, weight;
	} w[] = { { OP_SEND, 30 }, { OP_RECEIVE, 18 }, { OP_INSERT_RIGHT, 8 },
		{ OP_EXTRACT_RIGHT, 8 }, { OP_CONSTRUCT, 4 },
		{ OP_ALLOCATE, 3 }, { OP_DEALLOCATE, 3 }, { OP_DESTROY, 2 },
		{ OP_MOD_REFS, 4 }, { OP_MOVE_MEMBER, 2 },
		{ OP_INSERT_MEMBER, 2 }, { OP_EXTRACT_MEMBER, 1 },
		{ OP_SET_ATTRIBUTES, 2 }, { OP_GUARD, 1 }, { OP_UNGUARD, 1 },
		{ OP_DESTRUCT, 1 }, { OP_CONTEXT, 1 }, { OP_SET_SEQNO, 1 },
		{ OP_SET_MSCOUNT, 1 }, { OP_ALLOCATE_NAME, 1 }, { OP_SPACE, 1 },
		{ OP_CHECK_ALL, 1 }, { OP_TYPE, 1 }, { OP_GET_REFS, 1 },
		{ OP_GET_ATTRIBUTES, 1 }, { OP_SWAP_GUARD, 1 },
		{ OP_ASSERT_ATTRIBUTES, 1 } };
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x1234567ull;
	size_t nrec = cap / MOPS_RECORD, r = 0, i;
	unsigned total = 0;
	int sp;

	if (x == 0)
		x = 1;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		total += w[i].weight;
	/* Prologue: in each space a receive right with a send right, a
	 * plain receive right and a port set. */
	for (sp = 0; sp < NSP && r + 3 <= nrec; sp++) {
		uint8_t c[] = { (uint8_t)(MPO_INSERT_SEND_RIGHT |
			            (xorshift(&x) & MPO_QLIMIT)),
			0, (uint8_t)(xorshift(&x) % 6), 0, (uint8_t)r };
		uint8_t a[] = { 0,
			(uint8_t)(r + 1) }; /* right_tab[0]: RECEIVE */
		uint8_t p[] = { 3,
			(uint8_t)(r + 2) }; /* right_tab[3]: PORT_SET */
		gen_record(out + MOPS_RECORD * r++, &x, OP_CONSTRUCT, sp, c,
		    sizeof(c));
		gen_record(
		    out + MOPS_RECORD * r++, &x, OP_ALLOCATE, sp, a, sizeof(a));
		gen_record(
		    out + MOPS_RECORD * r++, &x, OP_ALLOCATE, sp, p, sizeof(p));
	}
	for (; r < nrec; r++) {
		unsigned pick = (unsigned)(xorshift(&x) % total);
		for (i = 0; pick >= w[i].weight; i++)
			pick -= w[i].weight;
		gen_record(out + MOPS_RECORD * r, &x, w[i].op,
		    (int)(xorshift(&x) % NSP), NULL, 0);
	}
	return nrec * MOPS_RECORD;
}

/* ---- run ---------------------------------------------------------------- */

static void
guard_record(mipc_space_t space, mach_port_name_t name, uint64_t flavor,
    uint64_t payload, void *ctx)
{
	(void)space;
	(void)name;
	(void)flavor;
	(void)payload;
	++*(unsigned long *)ctx;
}

/*
 * P25 probe: does the engine turn a send-once right destroyed unused into
 * a MACH_NOTIFY_SEND_ONCE on its port?
 */
static int
probe_notify_send_once(void)
{
	mipc_space_t s;
	mach_port_name_t r = MACH_PORT_NULL, so = MACH_PORT_NULL;
	mach_msg_type_name_t pp;
	mach_port_status_t st;
	mach_msg_type_number_t cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
	int on = 0;

	if (mipc_space_create(&s) != KERN_SUCCESS)
		return 0;
	if (mipc_port_allocate(s, MACH_PORT_RIGHT_RECEIVE, &r) ==
	        KERN_SUCCESS &&
	    mipc_port_extract_right(s, r, MACH_MSG_TYPE_MAKE_SEND_ONCE, s, &so,
	        &pp) == KERN_SUCCESS &&
	    mipc_port_deallocate(s, so) == KERN_SUCCESS &&
	    mipc_port_get_attributes(s, r, MACH_PORT_RECEIVE_STATUS,
	        (mach_port_info_t)&st, &cnt) == KERN_SUCCESS)
		on = st.mps_msgcount == 1;
	mipc_space_destroy(s);
	return on;
}

static int
parse_gaps(const char *v)
{
	static const struct {
		const char *name;
		int bit;
	} t[] = { { "desc_disp", GAP_DESC_DISP }, { "reguard", GAP_REGUARD },
		{ "check_order", GAP_CHECK_ORDER },
		{ "insert_order", GAP_INSERT_ORDER },
		{ "names_convert", GAP_NAMES }, { "c8_reply", GAP_C8_REPLY },
		{ "destruct_pin", GAP_DESTRUCT } };
	int gaps = 0;
	size_t i;

	if (v == NULL)
		return GAPS_FIXED;
	if (strcmp(v, "all") == 0 || strcmp(v, "1") == 0)
		return ~0;
	if (strcmp(v, "none") == 0)
		return 0;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strstr(v, t[i].name) != NULL)
			gaps |= t[i].bit;
	return gaps;
}

static void
teardown(struct mops *o)
{
	struct mipc_stats st;
	unsigned ports, psets, msgs;
	int i;

	for (i = 0; i < NSP; i++) {
		if (o->sp[i] != NULL) {
			kern_return_t kr = mipc_space_destroy(o->sp[i]);
			if (kr != KERN_SUCCESS)
				mismatch(o,
				    "mipc_space_destroy(space %d) "
				    "returned %s",
				    i, krname(kr));
			o->sp[i] = NULL;
		}
		model_space_destroy(o->m, i);
	}
	model_counts(o->m, &ports, &psets, &msgs);
	if (ports || psets || msgs)
		mismatch(o,
		    "model bug: %u ports, %u sets, %u messages live "
		    "after every space was destroyed",
		    ports, psets, msgs);
	mipc_thread_set_space(NULL);
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&st);
	if (st.spaces || st.ports || st.psets || st.messages || st.ool_bytes ||
	    st.tables)
		mismatch(o,
		    "leak after teardown: spaces %llu ports %llu psets "
		    "%llu messages %llu ool_bytes %llu tables %llu",
		    (unsigned long long)st.spaces, (unsigned long long)st.ports,
		    (unsigned long long)st.psets,
		    (unsigned long long)st.messages,
		    (unsigned long long)st.ool_bytes,
		    (unsigned long long)st.tables);
}

/* One run of the program; true if engine and model agreed throughout. */
static bool
run_program(struct mops *o, const uint8_t *data, size_t size, char *err,
    size_t errlen, unsigned full_every)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->data = data;
	o->len = size;
	o->err = err;
	o->errlen = errlen;
	o->full_every = full_every;
	if (errlen > 0)
		err[0] = '\0';
	o->m = model_create(NSP);
	model_set_notify_send_once(o->m, g_notify_so == 1);
	for (i = 0; i < NSP; i++) {
		if (mipc_space_create(&o->sp[i]) != KERN_SUCCESS)
			abort();
		model_space_create(o->m, i);
	}
	while (o->pos < o->len && o->step < MOPS_MAX_STEPS && !o->failed) {
		step(o);
		g_stats.steps++;
	}
	if (!o->failed) {
		snprintf(o->what, sizeof(o->what), "final full check");
		o->ntouched = 0;
		o->check_all = true;
		check_state(o);
	}
	snprintf(o->what, sizeof(o->what), "teardown");
	teardown(o);
	model_free(o->m);
	return !o->failed;
}

void
mops_set_full_every(unsigned n)
{
	g_full_every = n;
}

int
mops_run(const uint8_t *data, size_t size, char *err, size_t errlen)
{
	static struct mops o; /* 13 KiB: not on the stack */
	static char first[8192];
	const char *v;
	bool ok;

	if (g_notify_so < 0)
		g_notify_so = probe_notify_send_once();
	if (g_gaps < 0)
		g_gaps = parse_gaps(getenv("MIPC_FUZZ_GAPS"));
	if (g_trace < 0)
		g_trace = getenv("MIPC_FUZZ_TRACE") != NULL;
	if (g_hist < 0)
		g_hist = getenv("MOPS_HIST") != NULL;
	if (g_full_env == -1) {
		v = getenv("MIPC_FUZZ_FULL_EVERY");
		g_full_env = v != NULL && atoi(v) >= 0 ? atoi(v) : -2;
	}
	mipc_set_guard_handler(guard_record, &g_guards);
	g_stats.runs++;
	ok = run_program(&o, data, size, err, errlen,
	    g_full_env >= 0 ? (unsigned)g_full_env : g_full_every);
	if (!ok && o.focused) {
		/*
		 * Some steps were checked only in part: the divergence may
		 * have begun before the step that reported it.  Run again
		 * with the full comparison after every step to name the
		 * first diverging step; keep the first report if the second
		 * run does not fail (engine names are random, so a rare
		 * program may not repeat itself exactly).
		 */
		snprintf(first, sizeof(first), "%s", errlen > 0 ? err : "");
		if (g_trace)
			fprintf(stderr, "mops: re-running with full checks\n");
		if (run_program(&o, data, size, err, errlen, 1))
			snprintf(err, errlen,
			    "%s  (a re-run comparing the whole state after "
			    "every step did not diverge)\n",
			    first);
		else if (errlen > 0 && strlen(err) + 80 < errlen)
			strcat(err,
			    "  (from a re-run comparing the whole state "
			    "after every step)\n");
	}
	mipc_set_guard_handler(NULL, NULL);
	return ok ? 0 : -1;
}
