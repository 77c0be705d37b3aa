/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model_core.c -- the reference model (see model.h): spaces, entries,
 * ports, port sets and messages, with every call answered the way
 * ../../shared/MACH.md prescribes.  Section letters (A1, B13, ...) cite
 * MACH.md; where MACH.md leaves an order of checks open, the order is
 * XNU's (osfmk/ipc/ipc_right.c, ipc_kmsg.c, mach_port.c), noted in place.
 *
 * Representation.
 *   - A space is a linked list of entries.  An entry holds a name, the
 *     type bits it has (MACH_PORT_TYPE_SEND / RECEIVE / SEND_ONCE /
 *     PORT_SET / DEAD_NAME), a user-reference count and a pointer to its
 *     port or port set.
 *   - A send or send-once entry whose port died is left as it is until an
 *     operation that looks at it converts it into a dead name (XNU's
 *     ipc_right_check): this is what makes C8 and the lookup order of I11
 *     observable, so the model keeps it exact.
 *   - Ports are never freed while the model lives (entries and rights may
 *     still point at dead ones); messages are freed when received or
 *     destroyed.
 *   - Counters that XNU maintains incrementally (send rights, send-once
 *     rights, queue length, set membership) are recomputed by scanning
 *     every space and every queue.  Slow and obviously right.
 *
 * Choices.
 *   - The scans (lookup, count_rights, ...) are MODEL_NO_COVERAGE
 *     (model.h): to libFuzzer their loops are noise, and they were most
 *     of the model's share of fuzz_ops's comparison tracing.
 *   - A dead name is accepted as a reply right for COPY_SEND / MOVE_SEND /
 *     MOVE_SEND_ONCE, as MACH.md I12 states (the newest XNU refuses it).
 *   - Message header bits outside MACH_MSGH_BITS_USER are stripped (I5).
 *   - A reply port name of MACH_PORT_NULL / MACH_PORT_DEAD with a non-zero
 *     disposition carries no right; the receiver's remote disposition is
 *     not checked for such messages (MACH.md does not say).
 */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_SEND    MACH_PORT_TYPE_SEND
#define T_RECV    MACH_PORT_TYPE_RECEIVE
#define T_SO      MACH_PORT_TYPE_SEND_ONCE
#define T_PSET    MACH_PORT_TYPE_PORT_SET
#define T_DEAD    MACH_PORT_TYPE_DEAD_NAME
#define UREFS_MAX MACH_PORT_UREFS_MAX

/* copyin flags (XNU's IPC_OBJECT_COPYIN_FLAGS_*) */
#define CI_DEADOK        0x1
#define CI_ALLOW_DEAD_SO 0x2

struct mmsg;

struct mport {
	int id;
	bool alive;
	int rcv_space;             /* space holding the receive right, or -1 */
	mach_port_name_t rcv_name; /* its name there */
	struct mmsg *carrier;      /* in transit: the message carrying it */
	uint32_t mscount, seqno, qlimit;
	uint64_t context;
	bool guarded, strict, immovable;
	struct mmsg *qhead, *qtail;
	struct mport *next;
};

#define PSET_MAX_MEMBERS 64

struct mpset {
	bool alive;
	int space;
	struct mport *members[PSET_MAX_MEMBERS];
	int nmembers;
	struct mpset *next;
};

/* A right held by a message: type is the copied-in form (16/17/18). */
struct mright {
	struct mport *port;
	mach_msg_type_name_t type; /* 0: none */
	bool dead; /* IO_DEAD: the receiver gets MACH_PORT_DEAD */
};

struct mdesc {
	bool pass; /* NULL/DEAD name: carried through, no right */
	mach_port_name_t pass_name;
	mach_msg_type_name_t pass_type;
	struct mright r;
};

struct mmsg {
	struct mmsg *next;
	mach_msg_size_t size;
	mach_msg_id_t id;
	bool complex;
	mach_port_name_t voucher_field;  /* carried through (voucher disp 0) */
	mach_msg_type_name_t reply_bits; /* copied-in reply disposition */
	mach_port_name_t reply_pass;     /* NULL / DEAD reply name, carried */
	struct mright dest, reply;
	int ndesc;
	struct mdesc desc[MODEL_MAX_DESC];
};

struct mentry {
	mach_port_name_t name;
	mach_port_type_t bits;
	uint32_t urefs;
	struct mport *port;
	struct mpset *pset;
	struct mentry *next;
};

struct mspace {
	bool alive;
	struct mentry *entries;
};

struct model {
	int nspaces;
	struct mspace sp[MODEL_MAX_SPACES];
	struct mport *ports;
	struct mpset *psets;
	int next_id;
	bool notify_so;
	unsigned send_bad; /* MODEL_BAD_* of the last send's header rights */
	kern_return_t
	    insert_alt; /* last insert_right: the other order's code */
	bool failed;
	char err[512];
};

/* ---- errors ----------------------------------------------------------- */

static void
fail(model_t *m, const char *fmt, ...)
{
	va_list ap;

	if (m->failed)
		return;
	m->failed = true;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

const char *
model_error(const model_t *m)
{
	return m->failed ? m->err : NULL;
}

void
model_clear_error(model_t *m)
{
	m->failed = false;
	m->err[0] = '\0';
}

/* ---- life cycle ------------------------------------------------------- */

model_t *
model_create(int nspaces)
{
	model_t *m = calloc(1, sizeof(*m));

	if (m == NULL)
		abort();
	if (nspaces > MODEL_MAX_SPACES)
		nspaces = MODEL_MAX_SPACES;
	m->nspaces = nspaces;
	m->notify_so = true;
	return m;
}

static void
msg_free_list(struct mmsg *q)
{
	while (q != NULL) {
		struct mmsg *next = q->next;
		free(q);
		q = next;
	}
}

void
model_free(model_t *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nspaces; i++) {
		struct mentry *e = m->sp[i].entries;
		while (e != NULL) {
			struct mentry *n = e->next;
			free(e);
			e = n;
		}
	}
	while (m->ports != NULL) {
		struct mport *p = m->ports;
		m->ports = p->next;
		msg_free_list(p->qhead);
		free(p);
	}
	while (m->psets != NULL) {
		struct mpset *s = m->psets;
		m->psets = s->next;
		free(s);
	}
	free(m);
}

void
model_set_notify_send_once(model_t *m, bool on)
{
	m->notify_so = on;
}

MODEL_NO_COVERAGE bool
model_space_alive(const model_t *m, int sp)
{
	return sp >= 0 && sp < m->nspaces && m->sp[sp].alive;
}

/* ---- entries ---------------------------------------------------------- */

MODEL_NO_COVERAGE static struct mentry *
lookup(const model_t *m, int sp, mach_port_name_t name)
{
	struct mentry *e;

	if (!MACH_PORT_VALID(name))
		return NULL;
	for (e = m->sp[sp].entries; e != NULL; e = e->next)
		if (e->name == name)
			return e;
	return NULL;
}

static struct mentry *
entry_new(model_t *m, int sp, mach_port_name_t name)
{
	struct mentry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		abort();
	e->name = name;
	e->next = m->sp[sp].entries;
	m->sp[sp].entries = e;
	return e;
}

static void
entry_free(model_t *m, int sp, struct mentry *e)
{
	struct mentry **pp;

	for (pp = &m->sp[sp].entries; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			free(e);
			return;
		}
	}
	fail(m, "model bug: freeing an entry not in space %d", sp);
}

/*
 * A new entry under the name the engine chose: it must be a legal name
 * not in use in the space.  Returns NULL (and records the error) if not.
 */
static struct mentry *
bind_new(model_t *m, int sp, mach_port_name_t engine, const char *what)
{
	if (!MACH_PORT_VALID(engine)) {
		fail(m,
		    "%s: engine returned name %#x for a new right in space "
		    "%d",
		    what, engine, sp);
		return NULL;
	}
	if (lookup(m, sp, engine) != NULL) {
		fail(m,
		    "%s: engine's new name %#x is already in use in space %d",
		    what, engine, sp);
		return NULL;
	}
	return entry_new(m, sp, engine);
}

/* The entry of sp with a send or receive right for port (ipc_right_reverse). */
MODEL_NO_COVERAGE static struct mentry *
reverse(const model_t *m, int sp, const struct mport *port)
{
	struct mentry *e;

	for (e = m->sp[sp].entries; e != NULL; e = e->next)
		if (e->port == port && (e->bits & (T_SEND | T_RECV)))
			return e;
	return NULL;
}

/*
 * XNU's ipc_right_check: a send / send-once entry whose port died becomes
 * a dead name with the same urefs (D4; no requests exist in the model).
 * Returns true if it converted.
 */
static bool
check_dead(struct mentry *e)
{
	if ((e->bits & (T_SEND | T_SO)) == 0 || (e->bits & T_RECV))
		return false;
	if (e->port->alive)
		return false;
	e->bits = T_DEAD;
	e->port = NULL;
	if (e->urefs == 0)
		e->urefs = 1;
	return true;
}

MODEL_NO_COVERAGE static bool
lazy_dead(const struct mentry *e)
{
	return (e->bits & (T_SEND | T_SO)) && !(e->bits & T_RECV) &&
	    !e->port->alive;
}

/* ---- ports and sets --------------------------------------------------- */

static struct mport *
port_new(model_t *m)
{
	struct mport *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->id = m->next_id++;
	p->alive = true;
	p->rcv_space = -1;
	p->qlimit = MACH_PORT_QLIMIT_DEFAULT;
	p->next = m->ports;
	m->ports = p;
	return p;
}

static struct mpset *
pset_new(model_t *m, int sp)
{
	struct mpset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		abort();
	s->alive = true;
	s->space = sp;
	s->next = m->psets;
	m->psets = s;
	return s;
}

MODEL_NO_COVERAGE static bool
pset_has(const struct mpset *s, const struct mport *p)
{
	int i;

	for (i = 0; i < s->nmembers; i++)
		if (s->members[i] == p)
			return true;
	return false;
}

static void
pset_remove(struct mpset *s, const struct mport *p)
{
	int i;

	for (i = 0; i < s->nmembers; i++) {
		if (s->members[i] == p) {
			s->members[i] = s->members[--s->nmembers];
			return;
		}
	}
}

static void
port_leave_sets(model_t *m, const struct mport *p)
{
	struct mpset *s;

	for (s = m->psets; s != NULL; s = s->next)
		if (s->alive)
			pset_remove(s, p);
}

static bool
port_in_a_set(const model_t *m, const struct mport *p)
{
	const struct mpset *s;

	for (s = m->psets; s != NULL; s = s->next)
		if (s->alive && pset_has(s, p))
			return true;
	return false;
}

static void
pset_destroy(struct mpset *s)
{
	s->alive = false;
	s->nmembers = 0; /* G10: members keep their messages and names */
}

/*
 * The receive right leaves its space (ipc_port_clear_receiver): E11, L2,
 * H8, U4 -- mscount and seqno reset, context and guard cleared, out of
 * every set.
 */
static void
port_clear_receiver(model_t *m, struct mport *p)
{
	port_leave_sets(m, p);
	p->rcv_space = -1;
	p->rcv_name = MACH_PORT_NULL;
	p->mscount = 0;
	p->seqno = 0;
	p->context = 0;
	p->guarded = false;
	p->strict = false;
	p->immovable = false;
}

MODEL_NO_COVERAGE static unsigned
queue_len(const struct mport *p)
{
	unsigned n = 0;
	const struct mmsg *q;

	for (q = p->qhead; q != NULL; q = q->next)
		n++;
	return n;
}

static void
enqueue(struct mport *p, struct mmsg *msg)
{
	msg->next = NULL;
	if (p->qtail != NULL)
		p->qtail->next = msg;
	else
		p->qhead = msg;
	p->qtail = msg;
}

static struct mmsg *
dequeue(struct mport *p)
{
	struct mmsg *msg = p->qhead;

	if (msg != NULL) {
		p->qhead = msg->next;
		if (p->qhead == NULL)
			p->qtail = NULL;
		msg->next = NULL;
	}
	return msg;
}

static struct mmsg *
msg_new(void)
{
	struct mmsg *msg = calloc(1, sizeof(*msg));

	if (msg == NULL)
		abort();
	return msg;
}

static void port_destroy(model_t *m, struct mport *p);

/* P25: a send-once right destroyed unused notifies its (live) port. */
static void
notify_send_once(model_t *m, struct mport *p)
{
	struct mmsg *n;

	if (!m->notify_so || p == NULL || !p->alive)
		return;
	n = msg_new();
	n->size = (mach_msg_size_t)sizeof(mach_msg_header_t);
	n->id = MACH_NOTIFY_SEND_ONCE;
	n->dest.port = p;
	n->dest.type = MACH_MSG_TYPE_PORT_SEND_ONCE;
	enqueue(p, n); /* notifications ignore qlimit (J6) */
}

/* O1: release one right a message (or a failed copy-out) holds. */
static void
right_destroy(model_t *m, struct mright *r)
{
	if (r->type == 0 || r->dead || r->port == NULL) {
		r->type = 0;
		return;
	}
	switch (r->type) {
	case MACH_MSG_TYPE_PORT_SEND:
		break; /* counted by scanning: nothing to do */
	case MACH_MSG_TYPE_PORT_SEND_ONCE:
		notify_send_once(m, r->port);
		break;
	case MACH_MSG_TYPE_PORT_RECEIVE:
		r->port->carrier = NULL;
		port_destroy(m, r->port); /* N5 */
		break;
	default:
		fail(m, "model bug: destroying right type %u", r->type);
	}
	r->type = 0;
}

/* O1: dest, reply, then every descriptor; frees the message. */
static void
msg_destroy(model_t *m, struct mmsg *msg)
{
	int i;

	right_destroy(m, &msg->dest);
	right_destroy(m, &msg->reply);
	for (i = 0; i < msg->ndesc; i++)
		if (!msg->desc[i].pass)
			right_destroy(m, &msg->desc[i].r);
	free(msg);
}

/* C6: the port dies; its queue is destroyed (cascading, N5). */
static void
port_destroy(model_t *m, struct mport *p)
{
	struct mmsg *q;

	if (!p->alive)
		return;
	port_clear_receiver(m, p);
	p->alive = false;
	p->carrier = NULL;
	q = p->qhead;
	p->qhead = p->qtail = NULL;
	while (q != NULL) {
		struct mmsg *next = q->next;
		msg_destroy(m, q);
		q = next;
	}
}

/* ---- counters (by scanning) -------------------------------------------- */

MODEL_NO_COVERAGE static unsigned
msg_count_rights(
    const struct mmsg *msg, const struct mport *p, mach_msg_type_name_t type)
{
	unsigned n = 0;
	int i;

	if (msg->dest.port == p && msg->dest.type == type && !msg->dest.dead)
		n++;
	if (msg->reply.port == p && msg->reply.type == type && !msg->reply.dead)
		n++;
	for (i = 0; i < msg->ndesc; i++) {
		const struct mright *r = &msg->desc[i].r;
		if (!msg->desc[i].pass && r->port == p && r->type == type &&
		    !r->dead)
			n++;
	}
	return n;
}

/* Send (or send-once) rights for p: one per name, plus those in messages. */
MODEL_NO_COVERAGE static unsigned
count_rights(const model_t *m, const struct mport *p, mach_msg_type_name_t type)
{
	mach_port_type_t bit = type == MACH_MSG_TYPE_PORT_SEND ? T_SEND : T_SO;
	const struct mport *q;
	unsigned n = 0;
	int i;

	for (i = 0; i < m->nspaces; i++) {
		const struct mentry *e;
		if (!m->sp[i].alive)
			continue;
		for (e = m->sp[i].entries; e != NULL; e = e->next)
			if (e->port == p && (e->bits & bit))
				n++;
	}
	for (q = m->ports; q != NULL; q = q->next) {
		const struct mmsg *msg;
		if (!q->alive)
			continue;
		for (msg = q->qhead; msg != NULL; msg = msg->next)
			n += msg_count_rights(msg, p, type);
	}
	return n;
}

/* ---- spaces ------------------------------------------------------------ */

void
model_space_create(model_t *m, int sp)
{
	if (m->sp[sp].alive)
		fail(m, "model: space %d created twice", sp);
	m->sp[sp].alive = true;
	m->sp[sp].entries = NULL;
}

/* W1: receive rights first, then send-once rights, sets, the rest. */
void
model_space_destroy(model_t *m, int sp)
{
	struct mentry *e;

	if (!m->sp[sp].alive)
		return;
	for (e = m->sp[sp].entries; e != NULL; e = e->next) {
		if (e->bits & T_RECV) {
			struct mport *p = e->port;
			e->bits &= ~T_RECV;
			if ((e->bits & T_SEND) == 0)
				e->port = NULL;
			port_destroy(m, p);
		}
	}
	m->sp[sp].alive = false; /* its send rights no longer count */
	for (e = m->sp[sp].entries; e != NULL; e = e->next) {
		if ((e->bits & T_SO) && e->port->alive)
			notify_send_once(m, e->port);
		if (e->bits & T_PSET)
			pset_destroy(e->pset);
	}
	while (m->sp[sp].entries != NULL) {
		e = m->sp[sp].entries;
		m->sp[sp].entries = e->next;
		free(e);
	}
}

/* ---- names chosen by the user (A6, E6) ---------------------------------- */

/*
 * Whether a user-chosen name may be (or already is) an entry: the checks of
 * ipc_entry_alloc_name.  SUCCESS means free or in use under exactly this
 * name.
 */
static kern_return_t
name_check(const model_t *m, int sp, mach_port_name_t name)
{
	const struct mentry *e;

	if (MACH_PORT_INDEX(name) >= MODEL_INDEX_LIMIT)
		return KERN_NO_SPACE; /* A6's order */
	if ((name | 3u) != name)
		return KERN_INVALID_VALUE;
	if (MACH_PORT_INDEX(name) == 0)
		return KERN_FAILURE;
	for (e = m->sp[sp].entries; e != NULL; e = e->next)
		if (MACH_PORT_INDEX(e->name) == MACH_PORT_INDEX(name) &&
		    e->name != name)
			return KERN_FAILURE; /* slot used under another generation */
	return KERN_SUCCESS;
}

/* ---- A: allocation ------------------------------------------------------- */

static kern_return_t
space_check(const model_t *m, int sp)
{
	return model_space_alive(m, sp) ? KERN_SUCCESS : KERN_INVALID_TASK;
}

kern_return_t
model_allocate(
    model_t *m, int sp, mach_port_right_t right, mach_port_name_t engine_name)
{
	struct mentry *e;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	switch (right) {
	case MACH_PORT_RIGHT_RECEIVE:
	case MACH_PORT_RIGHT_PORT_SET:
	case MACH_PORT_RIGHT_DEAD_NAME:
		break;
	default:
		return KERN_INVALID_VALUE; /* A4 */
	}
	e = bind_new(m, sp, engine_name, "mach_port_allocate");
	if (e == NULL)
		return KERN_SUCCESS;
	if (right == MACH_PORT_RIGHT_RECEIVE) { /* A1 */
		e->bits = T_RECV;
		e->port = port_new(m);
		e->port->rcv_space = sp;
		e->port->rcv_name = engine_name;
	} else if (right == MACH_PORT_RIGHT_PORT_SET) { /* A2 */
		e->bits = T_PSET;
		e->pset = pset_new(m, sp);
	} else { /* A3 */
		e->bits = T_DEAD;
		e->urefs = 1;
	}
	return KERN_SUCCESS;
}

kern_return_t
model_allocate_name(model_t *m, int sp, mach_port_right_t right,
    mach_port_name_t name, mach_port_name_t engine_dead_name)
{
	struct mentry *e;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_VALUE;
	switch (right) {
	case MACH_PORT_RIGHT_DEAD_NAME:
		/* A7: created under a name of the kernel's choosing. */
		return model_allocate(
		    m, sp, MACH_PORT_RIGHT_DEAD_NAME, engine_dead_name);
	case MACH_PORT_RIGHT_RECEIVE:
	case MACH_PORT_RIGHT_PORT_SET:
		break;
	default:
		return KERN_INVALID_VALUE;
	}
	kr = name_check(m, sp, name);
	if (kr != KERN_SUCCESS)
		return kr;
	if (lookup(m, sp, name) != NULL)
		return KERN_NAME_EXISTS;
	e = entry_new(m, sp, name);
	if (right == MACH_PORT_RIGHT_RECEIVE) {
		e->bits = T_RECV;
		e->port = port_new(m);
		e->port->rcv_space = sp;
		e->port->rcv_name = name;
	} else {
		e->bits = T_PSET;
		e->pset = pset_new(m, sp);
	}
	return KERN_SUCCESS;
}

static int
popcount32(uint32_t x)
{
	int n = 0;

	while (x) {
		n += (int)(x & 1u);
		x >>= 1;
	}
	return n;
}

/* Q1-Q5 */
kern_return_t
model_construct(model_t *m, int sp, const mach_port_options_t *opts,
    mach_port_context_t context, mach_port_name_t engine_name)
{
	uint32_t f = opts->flags;
	struct mentry *e;
	struct mport *p;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (popcount32(f &
	        (MPO_SERVICE_PORT | MPO_CONNECTION_PORT |
	            MPO_TG_BLOCK_TRACKING)) > 1 ||
	    popcount32(f &
	        (MPO_REPLY_PORT | MPO_ENFORCE_REPLY_PORT_SEMANTICS |
	            MPO_EXCEPTION_PORT | MPO_PROVISIONAL_REPLY_PORT)) > 1)
		return KERN_INVALID_ARGUMENT;
	if ((f & MPO_QLIMIT) && opts->mpl.mpl_qlimit > MACH_PORT_QLIMIT_MAX)
		return KERN_INVALID_VALUE; /* H7 */
	e = bind_new(m, sp, engine_name, "mach_port_construct");
	if (e == NULL)
		return KERN_SUCCESS;
	p = port_new(m);
	p->rcv_space = sp;
	p->rcv_name = engine_name;
	if (f & MPO_QLIMIT)
		p->qlimit = opts->mpl.mpl_qlimit;
	p->context = context;           /* Q2 */
	if (f & MPO_CONTEXT_AS_GUARD) { /* Q4 */
		p->guarded = true;
		p->strict = (f & MPO_STRICT) != 0;
		p->immovable = (f & MPO_IMMOVABLE_RECEIVE) != 0;
	}
	e->bits = T_RECV;
	e->port = p;
	if (f & MPO_INSERT_SEND_RIGHT) { /* Q3 */
		e->bits |= T_SEND;
		e->urefs = 1;
		p->mscount = 1;
	}
	return KERN_SUCCESS;
}

/* ---- B, C: refs, deallocate, destroy ------------------------------------ */

kern_return_t
model_type(model_t *m, int sp, mach_port_name_t name, mach_port_type_t *type)
{
	struct mentry *e;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (name == MACH_PORT_NULL)
		return KERN_INVALID_NAME; /* D1 */
	if (name == MACH_PORT_DEAD) {
		*type = T_DEAD;
		return KERN_SUCCESS;
	}
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	check_dead(e); /* ipc_right_info converts (D4) */
	*type = e->bits;
	return KERN_SUCCESS;
}

kern_return_t
model_get_refs(model_t *m, int sp, mach_port_name_t name,
    mach_port_right_t right, mach_port_urefs_t *refs)
{
	struct mentry *e;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (right >= MACH_PORT_RIGHT_NUMBER)
		return KERN_INVALID_VALUE; /* B1 */
	if (!MACH_PORT_VALID(name)) {      /* B2 */
		if (right == MACH_PORT_RIGHT_SEND ||
		    right == MACH_PORT_RIGHT_SEND_ONCE) {
			*refs = 1;
			return KERN_SUCCESS;
		}
		return KERN_INVALID_NAME;
	}
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	check_dead(e);
	if ((e->bits & MACH_PORT_TYPE(right)) == 0)
		*refs = 0; /* B4 */
	else if (right == MACH_PORT_RIGHT_SEND ||
	    right == MACH_PORT_RIGHT_DEAD_NAME)
		*refs = e->urefs;
	else
		*refs = 1; /* B5 */
	return KERN_SUCCESS;
}

/* Dead-name user reference release (B26; pinned counts stay, B13). */
static void
dead_dealloc(model_t *m, int sp, struct mentry *e)
{
	if (e->urefs == 1)
		entry_free(m, sp, e);
	else if (e->urefs < UREFS_MAX)
		e->urefs--;
}

kern_return_t
model_deallocate(model_t *m, int sp, mach_port_name_t name)
{
	struct mentry *e;
	struct mport *p;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_SUCCESS; /* B23 */
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	switch (e->bits) {
	case T_PSET: /* B29 */
		pset_destroy(e->pset);
		entry_free(m, sp, e);
		return KERN_SUCCESS;
	case T_DEAD:
		dead_dealloc(m, sp, e);
		return KERN_SUCCESS;
	case T_SO: /* B25, B27 */
		if (check_dead(e)) {
			dead_dealloc(m, sp, e);
			return KERN_SUCCESS;
		}
		p = e->port;
		entry_free(m, sp, e);
		notify_send_once(m, p);
		return KERN_SUCCESS;
	case T_SEND: /* B24, B27 */
		if (check_dead(e)) {
			dead_dealloc(m, sp, e);
			return KERN_SUCCESS;
		}
		if (e->urefs == 1)
			entry_free(m, sp, e);
		else if (e->urefs < UREFS_MAX)
			e->urefs--;
		return KERN_SUCCESS;
	case T_SEND | T_RECV: /* B28 */
		if (e->urefs == 1) {
			e->bits = T_RECV;
			e->urefs = 0;
		} else if (e->urefs < UREFS_MAX) {
			e->urefs--;
		}
		return KERN_SUCCESS;
	default: /* receive only: B28 */
		return KERN_INVALID_RIGHT;
	}
}

kern_return_t
model_destroy(model_t *m, int sp, mach_port_name_t name)
{
	struct mentry *e;
	struct mport *p;
	mach_port_type_t bits;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_SUCCESS; /* C1 */
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	bits = e->bits;
	if (bits == T_DEAD) {
		entry_free(m, sp, e);
		return KERN_SUCCESS;
	}
	if (bits == T_PSET) {
		pset_destroy(e->pset);
		entry_free(m, sp, e);
		return KERN_SUCCESS;
	}
	p = e->port;
	if (!p->alive) { /* C2: a right to an already-dead port */
		entry_free(m, sp, e);
		return KERN_SUCCESS;
	}
	if ((bits & T_RECV) && p->guarded && p->context != 0)
		return KERN_INVALID_RIGHT; /* C5: checked against guard 0 */
	entry_free(m, sp, e);
	if (bits & T_RECV)
		port_destroy(m, p); /* C3 */
	else if (bits & T_SO)
		notify_send_once(m, p);
	return KERN_SUCCESS;
}

/* B6-B22, in ipc_right_delta's order. */
kern_return_t
model_mod_refs(model_t *m, int sp, mach_port_name_t name,
    mach_port_right_t right, mach_port_delta_t delta)
{
	struct mentry *e;
	struct mport *p;
	int64_t urefs, d = delta;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (right >= MACH_PORT_RIGHT_NUMBER)
		return KERN_INVALID_VALUE;
	if (!MACH_PORT_VALID(name)) { /* B7 */
		if (right == MACH_PORT_RIGHT_SEND ||
		    right == MACH_PORT_RIGHT_SEND_ONCE)
			return KERN_SUCCESS;
		return KERN_INVALID_NAME;
	}
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;

	switch (right) {
	case MACH_PORT_RIGHT_PORT_SET: /* B21 */
		if ((e->bits & T_PSET) == 0)
			return KERN_INVALID_RIGHT;
		if (d == 0)
			return KERN_SUCCESS;
		if (d != -1)
			return KERN_INVALID_VALUE;
		pset_destroy(e->pset);
		entry_free(m, sp, e);
		return KERN_SUCCESS;

	case MACH_PORT_RIGHT_RECEIVE: /* B16-B18 */
		if ((e->bits & T_RECV) == 0)
			return KERN_INVALID_RIGHT;
		if (d == 0)
			return KERN_SUCCESS;
		if (d != -1)
			return KERN_INVALID_VALUE;
		p = e->port;
		if (p->guarded)
			return KERN_INVALID_RIGHT; /* B17 */
		if (e->bits & T_SEND) {
			e->bits = T_DEAD; /* B18: same urefs */
			e->port = NULL;
		} else {
			entry_free(m, sp, e);
		}
		port_destroy(m, p);
		return KERN_SUCCESS;

	case MACH_PORT_RIGHT_SEND_ONCE: /* B20 */
		if ((e->bits & T_SO) == 0)
			return KERN_INVALID_RIGHT;
		if (check_dead(e))
			return KERN_INVALID_RIGHT;
		if (d > 0 || d < -1)
			return KERN_INVALID_VALUE;
		if (d == 0)
			return KERN_SUCCESS;
		p = e->port;
		entry_free(m, sp, e);
		notify_send_once(m, p);
		return KERN_SUCCESS;

	case MACH_PORT_RIGHT_DEAD_NAME: /* B22 */
		if (e->bits & (T_SEND | T_SO)) {
			if (!check_dead(e))
				return KERN_INVALID_RIGHT;
		} else if ((e->bits & T_DEAD) == 0) {
			return KERN_INVALID_RIGHT;
		}
		goto delta;

	case MACH_PORT_RIGHT_SEND: /* B10-B15 */
		if ((e->bits & T_SEND) == 0)
			return KERN_INVALID_RIGHT;
		if (check_dead(e))
			return KERN_INVALID_RIGHT; /* B15 */
		goto delta;

	default: /* LABELH */
		return KERN_INVALID_RIGHT;
	}

delta:
	if (d > (int64_t)UREFS_MAX || d < -(int64_t)UREFS_MAX)
		return KERN_INVALID_VALUE; /* B12 */
	urefs = e->urefs;
	if (urefs == UREFS_MAX) {
		if (d != -(int64_t)UREFS_MAX)
			d = 0; /* B13: pinned */
	} else {
		if (d < 0 && -d > urefs)
			return KERN_INVALID_VALUE;
		if (d > 0 && urefs + d >= UREFS_MAX)
			d = UREFS_MAX - urefs;
	}
	if (urefs + d == 0) {
		if (e->bits == (T_SEND | T_RECV)) {
			e->bits = T_RECV;
			e->urefs = 0;
		} else {
			entry_free(m, sp, e);
		}
	} else {
		e->urefs = (uint32_t)(urefs + d);
	}
	return KERN_SUCCESS;
}

/* Q7 */
kern_return_t
model_destruct(model_t *m, int sp, mach_port_name_t name,
    mach_port_delta_t srdelta, mach_port_context_t guard)
{
	struct mentry *e;
	struct mport *p;
	int64_t d = srdelta, urefs;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	if ((e->bits & T_RECV) == 0)
		return KERN_INVALID_RIGHT;
	if (d != 0 && (e->bits & T_SEND) == 0)
		return KERN_INVALID_RIGHT;
	if (d > 0)
		return KERN_INVALID_VALUE;
	p = e->port;
	if (p->guarded && guard != p->context)
		return KERN_INVALID_ARGUMENT;
	if (d != 0) {
		urefs = e->urefs;
		if (-d > urefs)
			return KERN_INVALID_VALUE;
		if (urefs == UREFS_MAX && d != -(int64_t)UREFS_MAX)
			d = 0;
		if (urefs + d == 0) {
			e->bits &= ~T_SEND;
			e->urefs = 0;
		} else {
			e->urefs = (uint32_t)(urefs + d);
		}
	}
	if (e->bits & T_SEND) {
		e->bits = T_DEAD; /* Q8: a dead name with the remaining urefs */
		e->port = NULL;
	} else {
		entry_free(m, sp, e);
	}
	port_destroy(m, p);
	return KERN_SUCCESS;
}

/* ---- copyin / copyout of single rights ---------------------------------- */

static mach_msg_type_name_t
copyin_type(mach_msg_type_name_t disp)
{
	switch (disp) {
	case MACH_MSG_TYPE_MOVE_RECEIVE:
		return MACH_MSG_TYPE_PORT_RECEIVE;
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		return MACH_MSG_TYPE_PORT_SEND_ONCE;
	case MACH_MSG_TYPE_MOVE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_COPY_SEND:
		return MACH_MSG_TYPE_PORT_SEND;
	default:
		return MACH_MSG_TYPE_PORT_NONE;
	}
}

/*
 * ipc_right_copyin: take the right `disp` out of entry `name` of sp.
 * CI_DEADOK lets dead names through as IO_DEAD (L5, F5, E15);
 * CI_ALLOW_DEAD_SO is the destination's C8 exception.
 */
static kern_return_t
copyin(model_t *m, int sp, mach_port_name_t name, mach_msg_type_name_t disp,
    int flags, struct mright *out)
{
	struct mentry *e = lookup(m, sp, name);
	struct mport *p;

	memset(out, 0, sizeof(*out));
	if (e == NULL)
		return KERN_INVALID_NAME;
	p = e->port;

	switch (disp) {
	case MACH_MSG_TYPE_MAKE_SEND:
		if ((e->bits & T_RECV) == 0)
			return KERN_INVALID_RIGHT;
		p->mscount++; /* H8 */
		out->port = p;
		out->type = MACH_MSG_TYPE_PORT_SEND;
		return KERN_SUCCESS;

	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		if ((e->bits & T_RECV) == 0)
			return KERN_INVALID_RIGHT;
		out->port = p;
		out->type = MACH_MSG_TYPE_PORT_SEND_ONCE;
		return KERN_SUCCESS;

	case MACH_MSG_TYPE_MOVE_RECEIVE:
		if ((e->bits & T_RECV) == 0)
			return KERN_INVALID_RIGHT;
		if (p->immovable)
			return KERN_INVALID_CAPABILITY; /* E14, F7, Q14 */
		if (e->bits & T_SEND)
			e->bits &= ~T_RECV;
		else
			entry_free(m, sp, e);
		port_clear_receiver(m, p);
		out->port = p;
		out->type = MACH_MSG_TYPE_PORT_RECEIVE;
		return KERN_SUCCESS;

	case MACH_MSG_TYPE_COPY_SEND:
		if (e->bits & T_DEAD)
			goto copy_dead;
		if ((e->bits & (T_SEND | T_SO)) == 0)
			return KERN_INVALID_RIGHT;
		if (check_dead(e))
			goto copy_dead;
		if ((e->bits & T_SEND) == 0)
			return KERN_INVALID_RIGHT;
		out->port = p;
		out->type = MACH_MSG_TYPE_PORT_SEND;
		return KERN_SUCCESS;

	case MACH_MSG_TYPE_MOVE_SEND:
		if (e->bits & T_DEAD)
			goto move_dead;
		if ((e->bits & (T_SEND | T_SO)) == 0)
			return KERN_INVALID_RIGHT;
		if (check_dead(e))
			goto move_dead;
		if ((e->bits & T_SEND) == 0)
			return KERN_INVALID_RIGHT;
		if (e->urefs == 1) {
			if (e->bits & T_RECV) {
				e->bits = T_RECV;
				e->urefs = 0;
			} else {
				entry_free(m, sp, e);
			}
		} else if (e->urefs < UREFS_MAX) {
			e->urefs--;
		}
		out->port = p;
		out->type = MACH_MSG_TYPE_PORT_SEND;
		return KERN_SUCCESS;

	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		if (e->bits & T_DEAD)
			goto move_dead;
		if ((e->bits & (T_SEND | T_SO)) == 0)
			return KERN_INVALID_RIGHT;
		if (!((flags & CI_ALLOW_DEAD_SO) && (e->bits & T_SO)) &&
		    check_dead(e))
			goto move_dead;
		if ((e->bits & T_SO) == 0)
			return KERN_INVALID_RIGHT;
		entry_free(m, sp, e);
		out->port = p; /* possibly dead: C8 */
		out->type = MACH_MSG_TYPE_PORT_SEND_ONCE;
		return KERN_SUCCESS;

	default:
		return KERN_INVALID_RIGHT; /* E4 */
	}

copy_dead:
	if ((flags & CI_DEADOK) == 0)
		return KERN_INVALID_RIGHT;
	out->dead = true;
	out->type = copyin_type(disp);
	return KERN_SUCCESS;

move_dead:
	if ((flags & CI_DEADOK) == 0)
		return KERN_INVALID_RIGHT;
	dead_dealloc(m, sp, e);
	out->dead = true;
	out->type = copyin_type(disp);
	return KERN_SUCCESS;
}

/* Give the right to entry e (a merge, or a fresh entry). */
static void
right_into_entry(model_t *m, int sp, struct mentry *e, struct mright *r)
{
	struct mport *p = r->port;

	switch (r->type) {
	case MACH_MSG_TYPE_PORT_SEND:
		if (e->bits & T_SEND) {
			if (e->urefs < UREFS_MAX)
				e->urefs++; /* B13: stays pinned */
		} else {
			e->bits |= T_SEND;
			e->urefs = 1;
		}
		e->port = p;
		break;
	case MACH_MSG_TYPE_PORT_SEND_ONCE:
		e->bits = T_SO;
		e->urefs = 1;
		e->port = p;
		break;
	case MACH_MSG_TYPE_PORT_RECEIVE:
		e->bits |= T_RECV;
		e->port = p;
		p->rcv_space = sp;
		p->rcv_name = e->name;
		p->carrier = NULL;
		break;
	default:
		fail(m, "model bug: copyout of right type %u", r->type);
	}
	r->type = 0;
}

/*
 * ipc_object_copyout into sp (K8): send rights merge into the space's
 * existing name for the port, receive rights land on the send right's
 * name, send-once rights always get a new name; a right to a dead port
 * reads MACH_PORT_DEAD.  `engine` is the name the engine reported; the
 * model checks it and returns the name it expects.
 */
static mach_port_name_t
copyout(model_t *m, int sp, struct mright *r, mach_port_name_t engine,
    const char *what)
{
	struct mentry *e;

	if (r->type == 0)
		return MACH_PORT_NULL;
	if (r->dead || r->port == NULL || !r->port->alive) {
		r->type = 0;
		if (engine != MACH_PORT_DEAD)
			fail(m,
			    "%s: engine name %#x, model MACH_PORT_DEAD (dead "
			    "port)",
			    what, engine);
		return MACH_PORT_DEAD;
	}
	if (r->type != MACH_MSG_TYPE_PORT_SEND_ONCE) {
		e = reverse(m, sp, r->port);
		if (e != NULL) {
			if (engine != e->name)
				fail(m,
				    "%s: engine name %#x, model merges into "
				    "%#x (K8)",
				    what, engine, e->name);
			right_into_entry(m, sp, e, r);
			return e->name;
		}
	}
	e = bind_new(m, sp, engine, what);
	if (e == NULL) {
		right_destroy(m, r);
		return engine;
	}
	right_into_entry(m, sp, e, r);
	return engine;
}

/*
 * ipc_object_copyout_name (insert_right, E6-E13): the right goes under
 * `name` or the call fails; the caller destroys it then.
 */
static kern_return_t
copyout_name(model_t *m, int sp, struct mright *r, mach_port_name_t name)
{
	struct mentry *e;
	kern_return_t kr = name_check(m, sp, name);

	if (kr != KERN_SUCCESS) {
		/* The engine checks RIGHT_EXISTS first: model_insert_diag. */
		if (kr == KERN_FAILURE &&
		    r->type != MACH_MSG_TYPE_PORT_SEND_ONCE) {
			e = reverse(m, sp, r->port);
			if (e != NULL && e->name != name)
				m->insert_alt = KERN_RIGHT_EXISTS;
		}
		return kr;
	}
	if (r->type != MACH_MSG_TYPE_PORT_SEND_ONCE) {
		e = reverse(m, sp, r->port);
		if (e != NULL) {
			if (e->name != name)
				return KERN_RIGHT_EXISTS; /* E8, E12 */
			right_into_entry(m, sp, e, r);
			return KERN_SUCCESS;
		}
	}
	if (lookup(m, sp, name) != NULL)
		return KERN_NAME_EXISTS; /* E9, E10 */
	e = entry_new(m, sp, name);
	right_into_entry(m, sp, e, r);
	return KERN_SUCCESS;
}

/* ---- E, F: insert_right, extract_right ----------------------------------- */

kern_return_t
model_insert_right(model_t *m, int sp, mach_port_name_t name, int from,
    mach_port_name_t poly, mach_msg_type_name_t polyPoly)
{
	struct mright r;
	struct mentry *e;
	kern_return_t kr;

	m->insert_alt = KERN_SUCCESS;
	if (space_check(m, sp) || space_check(m, from))
		return KERN_INVALID_TASK;

	if (sp == from && name == poly &&
	    (polyPoly == MACH_MSG_TYPE_MAKE_SEND ||
	        polyPoly == MACH_MSG_TYPE_COPY_SEND)) {
		/* The trap's fast path (ipc_object_insert_send_right). */
		e = lookup(m, sp, poly);
		if (e == NULL)
			return KERN_INVALID_NAME;
		if (e->bits == T_DEAD)
			return KERN_INVALID_CAPABILITY; /* E3 */
		if (e->bits == T_PSET)
			return KERN_INVALID_RIGHT;
		if (!e->port->alive)
			return KERN_INVALID_CAPABILITY;
		if (polyPoly == MACH_MSG_TYPE_MAKE_SEND) { /* E1 */
			if ((e->bits & T_RECV) == 0)
				return KERN_INVALID_RIGHT;
			e->port->mscount++;
			if ((e->bits & T_SEND) == 0) {
				e->bits |= T_SEND;
				e->urefs = 1;
			} else if (e->urefs < UREFS_MAX) {
				e->urefs++;
			}
		} else { /* E2 */
			if ((e->bits & T_SEND) == 0)
				return KERN_INVALID_RIGHT;
			if (e->urefs < UREFS_MAX)
				e->urefs++;
		}
		return KERN_SUCCESS;
	}

	kr = copyin(m, from, poly, polyPoly, CI_DEADOK, &r);
	if (kr != KERN_SUCCESS)
		return kr; /* E4, E5 */
	if (!MACH_PORT_VALID(name)) {
		right_destroy(m, &r);
		return KERN_INVALID_VALUE; /* E6 */
	}
	if (r.dead) {
		/* E15, checked (in XNU) before the name's form (E6) */
		m->insert_alt = name_check(m, sp, name);
		return KERN_INVALID_CAPABILITY;
	}
	kr = copyout_name(m, sp, &r, name);
	if (kr != KERN_SUCCESS)
		right_destroy(m, &r);
	return kr;
}

kern_return_t
model_insert_diag(const model_t *m)
{
	return m->insert_alt;
}

kern_return_t
model_extract_right(model_t *m, int sp, mach_port_name_t name,
    mach_msg_type_name_t msgt_name, int to, mach_port_name_t engine_poly,
    mach_msg_type_name_t *polyPoly)
{
	struct mright r;
	kern_return_t kr;

	if (space_check(m, sp) || space_check(m, to))
		return KERN_INVALID_TASK;
	if (!MACH_MSG_TYPE_PORT_ANY(msgt_name))
		return KERN_INVALID_VALUE; /* F1 */
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT; /* F2 */
	kr = copyin(m, sp, name, msgt_name, CI_DEADOK, &r);
	if (kr != KERN_SUCCESS)
		return kr;                  /* F4, F7 */
	*polyPoly = copyin_type(msgt_name); /* F3 */
	copyout(m, to, &r, engine_poly, "mach_port_extract_right");
	return KERN_SUCCESS;
}

/* ---- G: port sets ------------------------------------------------------- */

/* ipc_object_translate_port_pset: both lookups, then both types. */
static kern_return_t
translate_port_pset(model_t *m, int sp, mach_port_name_t name,
    mach_port_name_t psname, struct mport **pp, struct mpset **sp_out)
{
	struct mentry *pe = lookup(m, sp, name);
	struct mentry *se = lookup(m, sp, psname);

	if (pe == NULL || se == NULL)
		return KERN_INVALID_NAME;
	if ((pe->bits & T_RECV) == 0)
		return KERN_INVALID_RIGHT;
	if ((se->bits & T_PSET) == 0)
		return KERN_INVALID_RIGHT;
	*pp = pe->port;
	*sp_out = se->pset;
	return KERN_SUCCESS;
}

kern_return_t
model_insert_member(
    model_t *m, int sp, mach_port_name_t name, mach_port_name_t pset)
{
	struct mport *p;
	struct mpset *s;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name) || !MACH_PORT_VALID(pset))
		return KERN_INVALID_RIGHT;
	kr = translate_port_pset(m, sp, name, pset, &p, &s);
	if (kr != KERN_SUCCESS)
		return kr;
	if (pset_has(s, p))
		return KERN_ALREADY_IN_SET;
	if (s->nmembers == PSET_MAX_MEMBERS) {
		fail(m, "model limit: too many members in a set");
		return KERN_SUCCESS;
	}
	s->members[s->nmembers++] = p; /* G4: several sets allowed */
	return KERN_SUCCESS;
}

kern_return_t
model_extract_member(
    model_t *m, int sp, mach_port_name_t name, mach_port_name_t pset)
{
	struct mport *p;
	struct mpset *s;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name) || !MACH_PORT_VALID(pset))
		return KERN_INVALID_RIGHT;
	kr = translate_port_pset(m, sp, name, pset, &p, &s);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!pset_has(s, p))
		return KERN_NOT_IN_SET;
	pset_remove(s, p);
	return KERN_SUCCESS;
}

kern_return_t
model_move_member(
    model_t *m, int sp, mach_port_name_t member, mach_port_name_t after)
{
	struct mentry *e;
	struct mport *p;
	struct mpset *s;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(member) || after == MACH_PORT_DEAD)
		return KERN_INVALID_RIGHT; /* G1 */
	if (after != MACH_PORT_NULL) {
		kr = translate_port_pset(m, sp, member, after, &p, &s);
		if (kr != KERN_SUCCESS)
			return kr;
		port_leave_sets(m, p); /* G2 */
		if (s->nmembers == PSET_MAX_MEMBERS) {
			fail(m, "model limit: too many members in a set");
			return KERN_SUCCESS;
		}
		s->members[s->nmembers++] = p;
		return KERN_SUCCESS;
	}
	e = lookup(m, sp, member);
	if (e == NULL)
		return KERN_INVALID_NAME;
	if ((e->bits & T_RECV) == 0)
		return KERN_INVALID_RIGHT;
	if (!port_in_a_set(m, e->port))
		return KERN_NOT_IN_SET; /* G3 */
	port_leave_sets(m, e->port);
	return KERN_SUCCESS;
}

static int
name_cmp(const void *a, const void *b)
{
	mach_port_name_t x = *(const mach_port_name_t *)a;
	mach_port_name_t y = *(const mach_port_name_t *)b;

	return x < y ? -1 : x > y;
}

kern_return_t
model_get_set_status(model_t *m, int sp, mach_port_name_t name,
    mach_port_name_t *members, unsigned *n)
{
	struct mentry *e;
	unsigned i, cap = *n;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT; /* G6 */
	e = lookup(m, sp, name);
	if (e == NULL)
		return KERN_INVALID_NAME;
	if ((e->bits & T_PSET) == 0)
		return KERN_INVALID_RIGHT;
	*n = 0;
	for (i = 0; i < (unsigned)e->pset->nmembers && i < cap; i++)
		members[(*n)++] = e->pset->members[i]->rcv_name;
	qsort(members, *n, sizeof(*members), name_cmp);
	return KERN_SUCCESS;
}

/* ---- H, Q: attributes, counters, context, guards ----------------------- */

/* ipc_port_translate_receive */
static kern_return_t
translate_receive(model_t *m, int sp, mach_port_name_t name, struct mport **pp)
{
	struct mentry *e = lookup(m, sp, name);

	if (e == NULL)
		return KERN_INVALID_NAME;
	if ((e->bits & T_RECV) == 0)
		return KERN_INVALID_RIGHT;
	*pp = e->port;
	return KERN_SUCCESS;
}

kern_return_t
model_set_attributes(model_t *m, int sp, mach_port_name_t name,
    mach_port_flavor_t flavor, const integer_t *info,
    mach_msg_type_number_t cnt)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	switch (flavor) {
	case MACH_PORT_LIMITS_INFO: /* H4 */
		if (cnt < MACH_PORT_LIMITS_INFO_COUNT)
			return KERN_FAILURE;
		if ((uint32_t)info[0] > MACH_PORT_QLIMIT_MAX)
			return KERN_INVALID_VALUE;
		if (!MACH_PORT_VALID(name))
			return KERN_INVALID_RIGHT;
		kr = translate_receive(m, sp, name, &p);
		if (kr == KERN_SUCCESS)
			p->qlimit = (uint32_t)info[0];
		return kr;
	case MACH_PORT_DNREQUESTS_SIZE: /* H6 */
		if (cnt < MACH_PORT_DNREQUESTS_SIZE_COUNT)
			return KERN_FAILURE;
		if (!MACH_PORT_VALID(name))
			return KERN_INVALID_RIGHT;
		return translate_receive(m, sp, name, &p);
	case MACH_PORT_TEMPOWNER:
	case MACH_PORT_IMPORTANCE_RECEIVER:
	case MACH_PORT_DENAP_RECEIVER:
		/* H6: importance flags, which the drivers do not compare */
		if (!MACH_PORT_VALID(name))
			return KERN_INVALID_RIGHT;
		return translate_receive(m, sp, name, &p);
	default:
		return KERN_INVALID_ARGUMENT;
	}
}

static void
port_status(const model_t *m, const struct mport *p, mach_port_status_t *st)
{
	memset(st, 0, sizeof(*st));
	st->mps_pset = port_in_a_set(m, p) ? 1 : 0; /* G5 */
	st->mps_seqno = p->seqno;
	st->mps_mscount = p->mscount;
	st->mps_qlimit = p->qlimit;
	st->mps_msgcount = queue_len(p);
	st->mps_sorights = count_rights(m, p, MACH_MSG_TYPE_PORT_SEND_ONCE);
	st->mps_srights = count_rights(m, p, MACH_MSG_TYPE_PORT_SEND) != 0;
	if (p->guarded) {
		st->mps_flags |= MACH_PORT_STATUS_FLAG_GUARDED;
		if (p->strict)
			st->mps_flags |= MACH_PORT_STATUS_FLAG_STRICT_GUARD;
		if (p->immovable) /* Q10: reported only while guarded */
			st->mps_flags |=
			    MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE;
	}
}

kern_return_t
model_get_attributes(model_t *m, int sp, mach_port_name_t name,
    mach_port_flavor_t flavor, integer_t *info, mach_msg_type_number_t *cnt)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	switch (flavor) {
	case MACH_PORT_LIMITS_INFO: /* H1 */
		if (*cnt < MACH_PORT_LIMITS_INFO_COUNT)
			return KERN_FAILURE;
		if (!MACH_PORT_VALID(name)) {
			*cnt = 0;
			return KERN_SUCCESS;
		}
		kr = translate_receive(m, sp, name, &p);
		if (kr != KERN_SUCCESS)
			return kr;
		info[0] = (integer_t)p->qlimit;
		*cnt = MACH_PORT_LIMITS_INFO_COUNT;
		return KERN_SUCCESS;
	case MACH_PORT_RECEIVE_STATUS: /* H2 */
		if (*cnt < MACH_PORT_RECEIVE_STATUS_COUNT)
			return KERN_FAILURE;
		if (!MACH_PORT_VALID(name))
			return KERN_INVALID_RIGHT;
		kr = translate_receive(m, sp, name, &p);
		if (kr != KERN_SUCCESS)
			return kr;
		port_status(m, p, (mach_port_status_t *)(void *)info);
		*cnt = MACH_PORT_RECEIVE_STATUS_COUNT;
		return KERN_SUCCESS;
	default:
		return KERN_INVALID_ARGUMENT;
	}
}

kern_return_t
model_set_mscount(
    model_t *m, int sp, mach_port_name_t name, mach_port_mscount_t mscount)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT; /* H8 */
	kr = translate_receive(m, sp, name, &p);
	if (kr == KERN_SUCCESS)
		p->mscount = mscount;
	return kr;
}

kern_return_t
model_set_seqno(
    model_t *m, int sp, mach_port_name_t name, mach_port_seqno_t seqno)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT; /* H10 */
	kr = translate_receive(m, sp, name, &p);
	if (kr == KERN_SUCCESS)
		p->seqno = seqno;
	return kr;
}

kern_return_t
model_get_srights(
    model_t *m, int sp, mach_port_name_t name, mach_port_rights_t *srights)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	kr = translate_receive(m, sp, name, &p);
	if (kr == KERN_SUCCESS)
		*srights =
		    count_rights(m, p, MACH_MSG_TYPE_PORT_SEND); /* H12 */
	return kr;
}

kern_return_t
model_get_context(
    model_t *m, int sp, mach_port_name_t name, mach_port_context_t *context)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT; /* H11 */
	kr = translate_receive(m, sp, name, &p);
	if (kr == KERN_SUCCESS)
		*context = p->strict ? 0 : p->context;
	return kr;
}

kern_return_t
model_set_context(
    model_t *m, int sp, mach_port_name_t name, mach_port_context_t context)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	kr = translate_receive(m, sp, name, &p);
	if (kr != KERN_SUCCESS)
		return kr;
	if (p->strict)
		return KERN_INVALID_ARGUMENT; /* H11 */
	p->context = context; /* replaces a non-strict guard's value */
	return KERN_SUCCESS;
}

/* Q9: mach_port_guard (flags MPG_STRICT) and mach_port_guard_with_flags. */
kern_return_t
model_guard(model_t *m, int sp, mach_port_name_t name,
    mach_port_context_t guard, uint64_t mpg_flags)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	kr = translate_receive(m, sp, name, &p);
	if (kr != KERN_SUCCESS)
		return kr;
	if (p->context != 0)
		return KERN_INVALID_ARGUMENT;
	p->context = guard;
	p->guarded = true;
	p->strict = (mpg_flags & MPG_STRICT) != 0;
	if (mpg_flags & MPG_IMMOVABLE_RECEIVE)
		p->immovable = true; /* sticky (Q10) */
	return KERN_SUCCESS;
}

kern_return_t
model_unguard(
    model_t *m, int sp, mach_port_name_t name, mach_port_context_t guard)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	kr = translate_receive(m, sp, name, &p);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!p->guarded || p->context != guard)
		return KERN_INVALID_ARGUMENT; /* Q10 */
	p->context = 0;
	p->guarded = false;
	p->strict = false;
	return KERN_SUCCESS;
}

kern_return_t
model_swap_guard(model_t *m, int sp, mach_port_name_t name,
    mach_port_context_t old_guard, mach_port_context_t new_guard)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_NAME;
	kr = translate_receive(m, sp, name, &p);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!p->guarded || p->strict || p->context != old_guard)
		return KERN_INVALID_ARGUMENT; /* Q11 */
	p->context = new_guard;
	return KERN_SUCCESS;
}

kern_return_t
model_assert_attributes(model_t *m, int sp, mach_port_name_t name,
    mach_port_flavor_t flavor, uint64_t guard, mach_msg_type_number_t cnt)
{
	struct mport *p;
	kern_return_t kr;

	if (space_check(m, sp))
		return KERN_INVALID_TASK;
	if (flavor != MACH_PORT_GUARD_INFO)
		return KERN_INVALID_ARGUMENT; /* Q12 */
	if (cnt < MACH_PORT_GUARD_INFO_COUNT)
		return KERN_FAILURE;
	if (!MACH_PORT_VALID(name))
		return KERN_INVALID_RIGHT;
	kr = translate_receive(m, sp, name, &p);
	if (kr != KERN_SUCCESS)
		return kr;
	if (!p->guarded || !p->strict || p->context != guard)
		return KERN_INVALID_ARGUMENT;
	return KERN_SUCCESS;
}

/* ---- I-O: messages ------------------------------------------------------ */

/* ipc_right_copyin_check_reply (I12), with MACH.md's dead-name rule. */
static bool
check_reply(const struct mentry *re, mach_msg_type_name_t reply_type)
{
	switch (reply_type) {
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		return (re->bits & T_RECV) != 0;
	case MACH_MSG_TYPE_COPY_SEND:
	case MACH_MSG_TYPE_MOVE_SEND:
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		if (re->bits & T_DEAD)
			return true;
		if ((re->bits & (T_SEND | T_SO)) == 0)
			return false;
		if (!re->port->alive)
			return true;
		if (reply_type == MACH_MSG_TYPE_MOVE_SEND_ONCE)
			return (re->bits & T_SO) != 0;
		return (re->bits & T_SEND) != 0;
	default:
		return false;
	}
}

/*
 * Would the destination's copy-in fail (I11, I13, I14)?  A side-effect
 * free restatement of copyin() for the destination, used only to tell a
 * caller that both header rights were bad (model_send_diag).
 */
static bool
dest_would_fail(const struct mentry *de, mach_msg_type_name_t dest_type,
    bool same, mach_msg_type_name_t reply_type)
{
	bool dead;

	if (de == NULL || (de->bits & (T_SEND | T_RECV | T_SO)) == 0)
		return true;
	dead = lazy_dead(de);
	if (same && dest_type == MACH_MSG_TYPE_MOVE_SEND &&
	    reply_type == MACH_MSG_TYPE_MOVE_SEND)
		return !(de->bits & T_SEND) || de->urefs < 2 || dead;
	switch (dest_type) {
	case MACH_MSG_TYPE_MAKE_SEND:
	case MACH_MSG_TYPE_MAKE_SEND_ONCE:
		return !(de->bits & T_RECV);
	case MACH_MSG_TYPE_COPY_SEND:
	case MACH_MSG_TYPE_MOVE_SEND:
		return !(de->bits & T_SEND) || dead;
	case MACH_MSG_TYPE_MOVE_SEND_ONCE:
		return !(de->bits & T_SO);
	default:
		return true;
	}
}

unsigned
model_send_diag(const model_t *m)
{
	return m->send_bad;
}

/* ipc_right_copyin_two_move_sends: dest and reply both MOVE_SEND, one name. */
static kern_return_t
copyin_two_move_sends(
    model_t *m, int sp, struct mentry *e, struct mright *a, struct mright *b)
{
	struct mport *p = e->port;

	if ((e->bits & T_SEND) == 0 || e->urefs < 2)
		return KERN_INVALID_RIGHT;
	if (check_dead(e))
		return KERN_INVALID_RIGHT;
	if (e->urefs > 2) {
		if (e->urefs < UREFS_MAX)
			e->urefs -= 2;
	} else if (e->bits & T_RECV) {
		e->bits = T_RECV;
		e->urefs = 0;
	} else {
		entry_free(m, sp, e);
	}
	a->port = b->port = p;
	a->type = b->type = MACH_MSG_TYPE_PORT_SEND;
	return KERN_SUCCESS;
}

/*
 * ipc_port_check_circularity (N2, N3): moving p's receive right into a
 * message for dest creates a cycle if dest is p or dest's chain of
 * in-transit destinations reaches p.
 */
static bool
circular(const model_t *m, const struct mport *p, const struct mport *dest)
{
	const struct mport *x = dest;
	int hops = 0;

	(void)m;
	while (x != NULL) {
		if (x == p)
			return true;
		if (!x->alive || x->rcv_space >= 0 || x->carrier == NULL)
			return false;
		x = x->carrier->dest.port;
		if (++hops > 100000)
			return true;
	}
	return false;
}

static uint32_t
rd32(const void *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)buf + off, sizeof(v));
	return v;
}

/*
 * M3: the message goes back to the sender as if received, header ports
 * not swapped.  The names come from the engine's rewritten buffer.
 */
static void
pseudo_receive(model_t *m, int sp, struct mmsg *msg, bool bind, const void *buf)
{
	const mach_msg_header_t *h = buf;
	mach_msg_bits_t want_bits;
	int i;

	if (!bind) {
		/* The engine disagreed: no names to bind, drop the rights. */
		msg_destroy(m, msg);
		return;
	}
	want_bits = (msg->complex ? MACH_MSGH_BITS_COMPLEX : 0) |
	    msg->dest.type | (msg->reply_bits << 8);
	if (msg->reply.type == 0 && MACH_MSGH_BITS_LOCAL(h->msgh_bits) == 0)
		want_bits &= ~MACH_MSGH_BITS_LOCAL_MASK; /* see "Choices" */
	if ((h->msgh_bits & ~MACH_MSGH_BITS_VOUCHER_MASK) != want_bits)
		fail(m,
		    "pseudo-receive: msgh_bits %#x, model %#x (M3: copied-in "
		    "types, unswapped)",
		    h->msgh_bits, want_bits);
	copyout(m, sp, &msg->dest, h->msgh_remote_port,
	    "pseudo-receive msgh_remote_port (dest)");
	if (msg->reply.type != 0)
		copyout(m, sp, &msg->reply, h->msgh_local_port,
		    "pseudo-receive msgh_local_port (reply)");
	else if (h->msgh_local_port != msg->reply_pass)
		fail(m, "pseudo-receive: msgh_local_port %#x, model %#x",
		    h->msgh_local_port, msg->reply_pass);
	for (i = 0; i < msg->ndesc; i++) {
		size_t off = sizeof(mach_msg_base_t) + 12u * (size_t)i;
		mach_port_name_t n = rd32(buf, off);
		mach_msg_type_name_t disp = (rd32(buf, off + 8) >> 16) & 0xff;
		struct mdesc *d = &msg->desc[i];
		char what[64];

		snprintf(what, sizeof(what), "pseudo-receive descriptor %d", i);
		if (d->pass) {
			if (n != d->pass_name)
				fail(m,
				    "%s: name %#x, model %#x (carried "
				    "through)",
				    what, n, d->pass_name);
			continue;
		}
		if (disp != d->r.type)
			fail(m, "%s: disposition %u, model %u", what, disp,
			    d->r.type);
		copyout(m, sp, &d->r, n, what);
	}
	free(msg);
}

mach_msg_return_t
model_msg_send(model_t *m, int sp, const struct model_msg_args *a,
    mach_msg_return_t engine_rc, const void *engine_buf)
{
	mach_msg_bits_t bits = a->bits & MACH_MSGH_BITS_USER; /* I5 */
	mach_msg_type_name_t dest_type = MACH_MSGH_BITS_REMOTE(bits);
	mach_msg_type_name_t reply_type = MACH_MSGH_BITS_LOCAL(bits);
	mach_msg_type_name_t vtype = MACH_MSGH_BITS_VOUCHER(bits);
	mach_port_name_t dest = a->remote, reply = a->local;
	mach_port_name_t voucher = MACH_PORT_NULL;
	bool complex = (bits & MACH_MSGH_BITS_COMPLEX) != 0;
	struct mentry *de, *re = NULL;
	struct mright dr, rr;
	struct mmsg *msg;
	struct mport *dport;
	bool circ = false;
	kern_return_t kr;
	uint32_t i;

	m->send_bad = 0;
	if (space_check(m, sp))
		return MACH_SEND_INVALID_DEST; /* W2 */

	/* I2, I4: sizes and descriptor shapes */
	if (a->send_size < sizeof(mach_msg_header_t) || (a->send_size & 3))
		return MACH_SEND_MSG_TOO_SMALL;
	if (complex) {
		if (a->send_size < sizeof(mach_msg_base_t))
			return MACH_SEND_MSG_TOO_SMALL;
		if (a->ndesc > (a->send_size - sizeof(mach_msg_base_t)) / 12)
			return MACH_SEND_MSG_TOO_SMALL;
		if (a->ndesc > MODEL_MAX_DESC) {
			fail(m, "model limit: %u descriptors", a->ndesc);
			return MACH_SEND_MSG_TOO_SMALL;
		}
		for (i = 0; i < a->ndesc; i++) {
			if (a->desc[i].type > MACH_MSG_DESCRIPTOR_MAX)
				return MACH_SEND_INVALID_TYPE;
			if (a->desc[i].type != MACH_MSG_PORT_DESCRIPTOR) {
				fail(m, "model limit: descriptor type %u",
				    a->desc[i].type);
				return MACH_SEND_INVALID_TYPE;
			}
		}
	}

	/* I6-I10: header validation (ipc_kmsg_copyin_header_validate) */
	if (reply_type == 0) {
		if (reply != MACH_PORT_NULL)
			return MACH_SEND_INVALID_HEADER;
	} else if (!MACH_MSG_TYPE_PORT_ANY_SEND(reply_type)) {
		return MACH_SEND_INVALID_HEADER;
	}
	switch (vtype) {
	case 0:
		break;
	case MACH_MSG_TYPE_MOVE_SEND:
	case MACH_MSG_TYPE_COPY_SEND:
		voucher = a->voucher;
		if (voucher == MACH_PORT_DEAD)
			return MACH_SEND_INVALID_VOUCHER;
		break;
	default:
		return MACH_SEND_INVALID_VOUCHER;
	}
	if (!MACH_MSG_TYPE_PORT_ANY_SEND(dest_type))
		return MACH_SEND_INVALID_HEADER; /* I8 */
	if (!MACH_PORT_VALID(dest))
		return MACH_SEND_INVALID_DEST; /* I9 */
	if (dest == voucher && dest_type != MACH_MSG_TYPE_MOVE_SEND &&
	    dest_type != MACH_MSG_TYPE_COPY_SEND)
		return MACH_SEND_INVALID_DEST;
	if (dest == reply &&
	    (dest_type == MACH_MSG_TYPE_MOVE_SEND_ONCE ||
	        reply_type == MACH_MSG_TYPE_MOVE_SEND_ONCE))
		return MACH_SEND_INVALID_DEST; /* I10 */
	if (MACH_PORT_VALID(reply) && reply == voucher)
		return MACH_SEND_INVALID_REPLY;

	/* Entry lookups (ipc_kmsg_copyin_header_rights step 1) */
	de = lookup(m, sp, dest);
	if (MACH_PORT_VALID(reply))
		re = reply == dest ? de : lookup(m, sp, reply);
	if (voucher != MACH_PORT_NULL)
		m->send_bad |= MODEL_BAD_VOUCHER;
	if (dest_would_fail(de, dest_type, reply == dest, reply_type))
		m->send_bad |= MODEL_BAD_DEST;
	if (MACH_PORT_VALID(reply) &&
	    (re == NULL || (re->bits & T_PSET) || !check_reply(re, reply_type)))
		m->send_bad |= MODEL_BAD_REPLY;
	if (voucher != MACH_PORT_NULL)
		return MACH_SEND_INVALID_VOUCHER; /* no voucher objects exist */
	if (de == NULL || (de->bits & (T_SEND | T_RECV | T_SO)) == 0)
		return MACH_SEND_INVALID_DEST; /* I11 */
	if (MACH_PORT_VALID(reply)) {
		if (re == NULL || (re->bits & T_PSET))
			return MACH_SEND_INVALID_REPLY; /* I12 */
		if (!check_reply(re, reply_type))
			return MACH_SEND_INVALID_REPLY;
	}

	/* Dest copy-in (I13, I14), then the reply's */
	memset(&dr, 0, sizeof(dr));
	memset(&rr, 0, sizeof(rr));
	if (re == de && dest_type != MACH_MSG_TYPE_MAKE_SEND &&
	    dest_type != MACH_MSG_TYPE_MAKE_SEND_ONCE &&
	    reply_type != MACH_MSG_TYPE_MAKE_SEND &&
	    reply_type != MACH_MSG_TYPE_MAKE_SEND_ONCE) {
		if (dest_type == MACH_MSG_TYPE_MOVE_SEND &&
		    reply_type == MACH_MSG_TYPE_MOVE_SEND) {
			kr = copyin_two_move_sends(m, sp, de, &dr, &rr);
		} else {
			mach_msg_type_name_t d =
			    (dest_type == MACH_MSG_TYPE_MOVE_SEND ||
			        reply_type == MACH_MSG_TYPE_MOVE_SEND)
			    ? MACH_MSG_TYPE_MOVE_SEND
			    : MACH_MSG_TYPE_COPY_SEND;
			kr = copyin(m, sp, dest, d, 0, &dr);
			rr = dr;
		}
		if (kr != KERN_SUCCESS)
			return MACH_SEND_INVALID_DEST;
	} else {
		kr = copyin(m, sp, dest, dest_type, CI_ALLOW_DEAD_SO, &dr);
		if (kr != KERN_SUCCESS)
			return MACH_SEND_INVALID_DEST;
		if (MACH_PORT_VALID(reply)) {
			kr = copyin(m, sp, reply, reply_type, CI_DEADOK, &rr);
			if (kr != KERN_SUCCESS) {
				fail(m,
				    "model bug: reply copy-in failed (%d) "
				    "after the check",
				    kr);
				right_destroy(m, &dr);
				return MACH_SEND_INVALID_REPLY;
			}
		}
	}

	msg = msg_new();
	msg->size = a->send_size;
	msg->id = a->id;
	msg->complex = complex;
	msg->voucher_field = vtype == 0 ? a->voucher : MACH_PORT_NULL;
	msg->reply_bits = copyin_type(reply_type);
	msg->reply_pass = MACH_PORT_VALID(reply) ? MACH_PORT_NULL : reply;
	msg->dest = dr;
	msg->reply = rr;
	dport = dr.port;

	/* Body copy-in, descriptor by descriptor (L1-L5, M2, N2) */
	if (complex) {
		for (i = 0; i < a->ndesc; i++) {
			struct mdesc *d = &msg->desc[i];
			mach_port_name_t n = a->desc[i].name;

			if (!MACH_PORT_VALID(n)) {
				d->pass = true;
				d->pass_name = n;
				d->pass_type = copyin_type(a->desc[i].disp);
				msg->ndesc = (int)i + 1;
				continue;
			}
			kr =
			    copyin(m, sp, n, a->desc[i].disp, CI_DEADOK, &d->r);
			if (kr != KERN_SUCCESS) {
				msg->ndesc = (int)i; /* M2: not atomic */
				msg_destroy(m, msg);
				return MACH_SEND_INVALID_RIGHT;
			}
			msg->ndesc = (int)i + 1;
			if (d->r.type == MACH_MSG_TYPE_PORT_RECEIVE) {
				if (circular(m, d->r.port, dport)) {
					circ = true; /* left in limbo */
				} else {
					d->r.port->carrier = msg;
				}
			}
		}
	}

	if (circ) {
		msg_destroy(m, msg); /* M4 */
		return MACH_MSG_SUCCESS;
	}
	if (!dport->alive) {
		/* C8, M5: "pretend it got sent", dest right not destroyed */
		msg->dest.type = 0;
		msg_destroy(m, msg);
		return MACH_MSG_SUCCESS;
	}
	if (dr.type == MACH_MSG_TYPE_PORT_SEND &&
	    queue_len(dport) >= dport->qlimit) {
		/* J5, J7: timeout 0 -> M3 pseudo-receive */
		pseudo_receive(
		    m, sp, msg, engine_rc == MACH_SEND_TIMED_OUT, engine_buf);
		return MACH_SEND_TIMED_OUT;
	}
	enqueue(dport, msg); /* J6: send-once messages ignore qlimit */
	return MACH_MSG_SUCCESS;
}

static mach_msg_size_t
trailer_size(mach_msg_option_t option)
{
	switch (GET_RCV_ELEMENTS((uint32_t)option)) {
	case MACH_RCV_TRAILER_NULL:
		return 8;
	case MACH_RCV_TRAILER_SEQNO:
		return 12;
	case MACH_RCV_TRAILER_SENDER:
		return 20;
	case MACH_RCV_TRAILER_AUDIT:
		return 52;
	case MACH_RCV_TRAILER_CTX:
		return 60;
	default:
		return 68; /* 1.8: 5, 6 and 7..15 select the max trailer */
	}
}

int
model_pset_ready_members(
    model_t *m, int sp, mach_port_name_t pset, mach_port_name_t *out, int max)
{
	struct mentry *e = lookup(m, sp, pset);
	int i, n = 0;

	if (!model_space_alive(m, sp) || e == NULL || !(e->bits & T_PSET))
		return 0;
	for (i = 0; i < e->pset->nmembers; i++) {
		struct mport *p = e->pset->members[i];
		if (p->qhead != NULL && n < max)
			out[n++] = p->rcv_name;
	}
	return n;
}

/* K3-K5: too large for rcv_size? */
static bool
too_large(
    const struct mmsg *msg, mach_msg_option_t option, mach_msg_size_t rcv_size)
{
	return (uint64_t)rcv_size < (uint64_t)msg->size + trailer_size(option);
}

/* Copy a received message out into sp and check the engine's buffer. */
static void
receive_copyout(model_t *m, int sp, struct mport *p, struct mmsg *msg,
    uint32_t seqno, mach_msg_option_t option, const void *buf)
{
	const mach_msg_header_t *h = buf;
	mach_msg_size_t tsize = trailer_size(option);
	mach_msg_bits_t want_bits, got_bits;
	int i;

	if (h->msgh_size != msg->size)
		fail(m, "receive: msgh_size %u, model %u", h->msgh_size,
		    msg->size);
	if (h->msgh_id != msg->id)
		fail(m, "receive: msgh_id %d, model %d", h->msgh_id, msg->id);
	if (h->msgh_local_port != p->rcv_name)
		fail(m, "receive: msgh_local_port %#x, model %#x (J1, G7)",
		    h->msgh_local_port, p->rcv_name);
	if (h->msgh_voucher_port != msg->voucher_field)
		fail(m, "receive: msgh_voucher_port %#x, model %#x (I7)",
		    h->msgh_voucher_port, msg->voucher_field);

	/* J1: swapped, received forms; voucher bits 0. */
	want_bits = (msg->complex ? MACH_MSGH_BITS_COMPLEX : 0) |
	    (msg->dest.type << 8) | msg->reply_bits;
	got_bits = h->msgh_bits;
	if (msg->reply.type == 0 && MACH_MSGH_BITS_REMOTE(got_bits) == 0)
		want_bits &= ~MACH_MSGH_BITS_REMOTE_MASK; /* see "Choices" */
	if (got_bits != want_bits)
		fail(m, "receive: msgh_bits %#x, model %#x (J1)", got_bits,
		    want_bits);

	/* J3: the destination right is consumed. */
	msg->dest.type = 0;

	if (msg->reply.type != 0) {
		copyout(m, sp, &msg->reply, h->msgh_remote_port,
		    "receive msgh_remote_port (reply, J2)");
	} else {
		mach_port_name_t want = msg->reply_pass;
		if (h->msgh_remote_port != want)
			fail(m, "receive: msgh_remote_port %#x, model %#x",
			    h->msgh_remote_port, want);
	}

	if (msg->complex) {
		uint32_t cnt = rd32(buf, sizeof(mach_msg_header_t));
		if ((int)cnt != msg->ndesc)
			fail(m, "receive: descriptor count %u, model %d", cnt,
			    msg->ndesc);
	}
	for (i = 0; i < msg->ndesc; i++) {
		size_t off = sizeof(mach_msg_base_t) + 12u * (size_t)i;
		mach_port_name_t n = rd32(buf, off);
		uint32_t w = rd32(buf, off + 8);
		mach_msg_type_name_t disp = (w >> 16) & 0xff;
		struct mdesc *d = &msg->desc[i];
		char what[64];

		snprintf(what, sizeof(what), "receive descriptor %d", i);
		if ((w >> 24) != MACH_MSG_PORT_DESCRIPTOR)
			fail(m, "%s: type %u, model 0", what, w >> 24);
		if (d->pass) {
			if (n != d->pass_name)
				fail(m, "%s: name %#x, model %#x (L1)", what, n,
				    d->pass_name);
			if (disp != d->pass_type)
				fail(m, "%s: disposition %u, model %u (L1)",
				    what, disp, d->pass_type);
			continue;
		}
		if (disp != d->r.type)
			fail(m, "%s: disposition %u, model %u (L1)", what, disp,
			    d->r.type);
		copyout(m, sp, &d->r, n, what);
	}

	/* V1, V2: the trailer at msgh_size; U1: the seqno. */
	if (rd32(buf, msg->size) != MACH_MSG_TRAILER_FORMAT_0 ||
	    rd32(buf, msg->size + 4) != tsize)
		fail(m, "receive: trailer type/size %u/%u, model 0/%u",
		    rd32(buf, msg->size), rd32(buf, msg->size + 4), tsize);
	if (tsize >= 12 && rd32(buf, msg->size + 8) != seqno)
		fail(m, "receive: trailer seqno %u, model %u (U1)",
		    rd32(buf, msg->size + 8), seqno);
	free(msg);
}

mach_msg_return_t
model_msg_receive(model_t *m, int sp, mach_port_name_t rcv_name,
    mach_msg_option_t option, mach_msg_size_t rcv_size, mach_port_name_t member,
    mach_msg_return_t engine_rc, const void *engine_buf)
{
	const mach_msg_header_t *h = engine_buf;
	struct mentry *e;
	struct mport *p = NULL;
	struct mmsg *msg;
	uint32_t seqno;
	bool large = (option & MACH_RCV_LARGE) != 0;

	if (space_check(m, sp))
		return MACH_RCV_INVALID_NAME;
	e = lookup(m, sp, rcv_name);
	if (e == NULL || (e->bits & (T_RECV | T_PSET)) == 0)
		return MACH_RCV_INVALID_NAME; /* K1 */

	if (e->bits & T_RECV) {
		p = e->port;
	} else {
		struct mpset *s = e->pset;
		int i;

		for (i = 0; i < s->nmembers; i++) {
			struct mport *c = s->members[i];
			if (c->qhead == NULL)
				continue;
			if (member != MACH_PORT_NULL) {
				if (c->rcv_name == member) {
					p = c;
					break;
				}
				continue;
			}
			/* No hint: with MACH_RCV_LARGE, any member whose
			 * message is too large and matches what the engine
			 * reported; else the first ready member. */
			if (large && engine_rc == MACH_RCV_TOO_LARGE) {
				if (!too_large(c->qhead, option, rcv_size))
					continue;
				if (rcv_size >= 8 &&
				    h->msgh_size != c->qhead->size)
					continue;
				if ((option & MACH_RCV_LARGE_IDENTITY) &&
				    rcv_size >= 16 &&
				    h->msgh_local_port != c->rcv_name)
					continue;
			}
			p = c;
			break;
		}
		if (p == NULL) {
			for (i = 0; i < s->nmembers; i++)
				if (s->members[i]->qhead != NULL)
					break;
			if (i == s->nmembers)
				return MACH_RCV_TIMED_OUT;
			if (member != MACH_PORT_NULL)
				fail(m,
				    "receive on set %#x: engine took a "
				    "message from %#x, not a member with "
				    "messages (G7)",
				    rcv_name, member);
			else
				fail(m,
				    "receive on set %#x: no member "
				    "consistent with the engine's answer",
				    rcv_name);
			p = s->members[i];
		}
	}

	msg = p->qhead;
	if (msg == NULL)
		return MACH_RCV_TIMED_OUT; /* K2 */

	if (too_large(msg, option, rcv_size)) {
		if (large) { /* K5, U2 */
			if (engine_rc == MACH_RCV_TOO_LARGE) {
				if (rcv_size >= 8 && h->msgh_size != msg->size)
					fail(m,
					    "MACH_RCV_LARGE: msgh_size %u, "
					    "model %u (K5)",
					    h->msgh_size, msg->size);
				if ((option & MACH_RCV_LARGE_IDENTITY) &&
				    rcv_size >= 16 &&
				    h->msgh_local_port != p->rcv_name)
					fail(m,
					    "MACH_RCV_LARGE_IDENTITY: "
					    "msgh_local_port %#x, model %#x",
					    h->msgh_local_port, p->rcv_name);
			}
			return MACH_RCV_TOO_LARGE;
		}
		/* K4, U1: dequeued and destroyed; dest consumed quietly */
		if (engine_rc == MACH_RCV_TOO_LARGE &&
		    rcv_size >= sizeof(mach_msg_header_t) &&
		    (h->msgh_id != msg->id ||
		        h->msgh_local_port != p->rcv_name ||
		        h->msgh_remote_port != MACH_PORT_NULL))
			fail(m,
			    "MACH_RCV_TOO_LARGE bare header: id %d local %#x "
			    "remote %#x, model %d %#x 0 (K4)",
			    h->msgh_id, h->msgh_local_port, h->msgh_remote_port,
			    msg->id, p->rcv_name);
		dequeue(p);
		p->seqno++;
		msg->dest.type = 0;
		msg_destroy(m, msg);
		return MACH_RCV_TOO_LARGE;
	}

	dequeue(p);
	seqno = p->seqno++;
	if (engine_rc == MACH_MSG_SUCCESS) {
		receive_copyout(m, sp, p, msg, seqno, option, engine_buf);
	} else {
		msg->dest.type = 0;
		msg_destroy(m, msg);
	}
	return MACH_MSG_SUCCESS;
}

/* ---- inspection ------------------------------------------------------- */

int
model_names(const model_t *m, int sp, struct model_name_info *out, int max)
{
	const struct mentry *e;
	int n = 0;

	if (!model_space_alive(m, sp))
		return 0;
	for (e = m->sp[sp].entries; e != NULL; e = e->next) {
		if (n < max) {
			out[n].name = e->name;
			out[n].lazy_dead = lazy_dead(e);
			out[n].type = out[n].lazy_dead ? T_DEAD : e->bits;
			out[n].held = e->bits;
		}
		n++;
	}
	return n;
}

bool
model_name(const model_t *m, int sp, mach_port_name_t name,
    struct model_name_info *out)
{
	const struct mentry *e;

	if (!model_space_alive(m, sp) || (e = lookup(m, sp, name)) == NULL)
		return false;
	out->name = e->name;
	out->lazy_dead = lazy_dead(e);
	out->type = out->lazy_dead ? T_DEAD : e->bits;
	out->held = e->bits;
	return true;
}

bool
model_receiver(const model_t *m, int sp, mach_port_name_t name, int *rsp,
    mach_port_name_t *rname)
{
	const struct mentry *e;
	const struct mport *p;

	if (!model_space_alive(m, sp) || (e = lookup(m, sp, name)) == NULL ||
	    (p = e->port) == NULL || !p->alive || p->rcv_space < 0)
		return false;
	*rsp = p->rcv_space;
	*rname = p->rcv_name;
	return true;
}

void
model_convert_dead_names(model_t *m, int sp)
{
	struct mentry *e;

	if (!model_space_alive(m, sp))
		return;
	for (e = m->sp[sp].entries; e != NULL; e = e->next)
		check_dead(e);
}

int64_t
model_port_seqno(const model_t *m, int sp, mach_port_name_t name)
{
	const struct mentry *e = lookup(m, sp, name);

	if (!model_space_alive(m, sp) || e == NULL || !(e->bits & T_RECV))
		return -1;
	return e->port->seqno;
}

void
model_counts(
    const model_t *m, unsigned *ports, unsigned *psets, unsigned *messages)
{
	const struct mport *p;
	const struct mpset *s;

	*ports = *psets = *messages = 0;
	for (p = m->ports; p != NULL; p = p->next) {
		if (p->alive) {
			(*ports)++;
			*messages += queue_len(p);
		}
	}
	for (s = m->psets; s != NULL; s = s->next)
		if (s->alive)
			(*psets)++;
}
