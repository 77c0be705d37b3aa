/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bootstrap.c -- the bootstrap name service: launchd's bootstrap server
 * (check-in, look-up, register, create-service), without plists, as a
 * kernel object inside the library, and the client calls of
 * <servers/bootstrap.h> that reach it with MIG-style RPCs.
 *
 * Owns:      the namespace (struct bootstrap, one per process, static) and
 *            its service records; the bootstrap kobject port; each space's
 *            bootstrap_port name (is_bootstrap, under the space's lock).
 * States:    a service record is
 *              DECLARED    bootstrap_create_service: we hold its receive
 *                          right (in limbo) and a send right; messages
 *                          sent to it wait in its queue;
 *              ACTIVE      checked in: its receive right went to the
 *                          checker in the reply, carrying our
 *                          port-destroyed request; we keep a send right;
 *              REGISTERED  bootstrap_register: we hold the send right we
 *                          were given, with a dead-name request on it.
 *            DECLARED -> ACTIVE at check-in; ACTIVE / REGISTERED -> gone
 *            when the port-destroyed / dead-name notification arrives, or
 *            register(name, MACH_PORT_NULL) for REGISTERED; all -> gone at
 *            teardown.
 * Locking:   bs_lock (IPC_RANK_KOBJECT) covers the namespace and bs_port;
 *            port locks nest inside it (making rights, arming requests,
 *            which allocate: short and rare).  Nothing that can send a
 *            message to a kobject -- destroying a port or a message,
 *            releasing a right -- runs under it, so a notification to our
 *            own port, served in this very thread, never finds it held.
 * Lifetime:  Where the bootstrap's rights live: not in any space (it has
 *            none).  The kobject port's receive right and the receive
 *            rights of DECLARED names are held by this file, in limbo; the
 *            send rights of every record are counted rights held by the
 *            record.  They are released when the process's last space is
 *            destroyed (ipc_kobject_spaces_gone from space.c): the
 *            namespace then goes, every DECLARED port dies with its queue,
 *            our requests are cancelled and the bootstrap port dies, so a
 *            program (or a test's teardown, tests/check_mipc.h) that has
 *            destroyed every space holds nothing of ours.  The next
 *            bootstrap_port makes a new, empty namespace.  The struct
 *            itself is static: a late message to a dead bootstrap port
 *            finds it (and answers MACH_SEND_INVALID_DEST), never freed
 *            memory.
 * Choices:   * Behaviour is launchd's (job_mig_check_in, _look_up,
 *              _register2, _create_service) with one job and no plists:
 *              check-in of an undeclared name creates it (non-strict);
 *              check-in of an active one is BOOTSTRAP_SERVICE_ACTIVE;
 *              register or create of an existing one
 *              BOOTSTRAP_NAME_IN_USE; an unknown look-up
 *              BOOTSTRAP_UNKNOWN_SERVICE.  launchd keeps a service whose
 *              job died (its receive right returns, for a relaunch); we
 *              have no jobs to relaunch, so a returned or dead service is
 *              unregistered and its port destroyed: clients see a dead
 *              name, not a queue nobody will read.
 *            * Every call is a real RPC: check-in is sent with
 *              MACH_SEND_SYNC_BOOTSTRAP_CHECKIN and the thread's special
 *              reply port (mig_get_special_reply_port), and the receive
 *              right travels in the reply as a port descriptor, so send
 *              cases 1 and 6 (sync.h, port.c) follow from real use.
 *            * Names are validated on both sides: the client reads the
 *              caller's name without faulting (process_vm_readv, split at
 *              the page boundary: a name ending before an unreadable page
 *              is fine, one running into it is KERN_INVALID_ADDRESS); the
 *              server re-checks what arrives (MIG_BAD_ARGUMENTS), since
 *              anyone may send raw messages to bootstrap_port.
 *            * Notifications are believed only from the kernel
 *              (IKM_F_KERNEL): a forged MACH_NOTIFY_DEAD_NAME cannot
 *              unregister a name.
 *            * Message ids are our own (subsystem 400); the formats are
 *              MIG's: NDR record, name_t inline, replies
 *              mig_reply_error_t or one port descriptor.
 */
#include "bootstrap.h"

#include "cache.h"
#include "kmsg.h"
#include "kobject.h"
#include "lock.h"
#include "port.h"
#include "right.h"
#include "space.h"

#include <errno.h>
#include <mipc/mach.h>
#include <mipc/notify.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Messages                                                            */

#pragma pack(push, 4)
struct bs_request { /* check_in, look_up, create_service */
	mach_msg_header_t Head;
	NDR_record_t NDR;
	name_t service_name;
};

struct bs_register_request {
	mach_msg_header_t Head;
	mach_msg_body_t msgh_body;
	mach_msg_port_descriptor_t service_port;
	NDR_record_t NDR;
	name_t service_name;
};

struct bs_port_reply {
	mach_msg_header_t Head;
	mach_msg_body_t msgh_body;
	mach_msg_port_descriptor_t service_port;
};

struct bs_dead_name { /* MACH_NOTIFY_DEAD_NAME's layout */
	mach_msg_header_t Head;
	NDR_record_t NDR;
	mach_port_name_t name;
};
#pragma pack(pop)

MIPC_STATIC_ASSERT(bs_request_is_mig_s, sizeof(struct bs_request) == 160);
MIPC_STATIC_ASSERT(
    bs_register_is_mig_s, sizeof(struct bs_register_request) == 176);
MIPC_STATIC_ASSERT(bs_port_reply_is_mig_s, sizeof(struct bs_port_reply) == 40);

/* ------------------------------------------------------------------ */
/* The namespace                                                       */

enum bs_state {
	BS_DECLARED = 1,
	BS_ACTIVE,
	BS_REGISTERED,
};

#define BS_BUCKETS 64 /* a power of two */

/* Legend: (B) bs_lock */
struct bs_service {
	struct bs_service *bss_next; /* (B) hash chain */
	struct ipc_port *bss_port;   /* (B) our send right (counted) */
	uint32_t bss_state;          /* (B) enum bs_state */
	uint32_t bss_hash;           /* (B) of bss_name */
	mach_port_name_t bss_token;  /* (B) REGISTERED: dead-name token */
	uint32_t bss_dn_index;       /* (B) REGISTERED: its request slot */
	char bss_name[BOOTSTRAP_MAX_NAME_LEN]; /* (B) NUL-terminated */
};

static struct bootstrap {
	ipc_lock_t bs_lock;       /* IPC_RANK_KOBJECT */
	struct ipc_port *bs_port; /* (B) the kobject port; NULL: none */
	uint32_t bs_tokens;       /* (B) last dead-name token */
	struct bs_service *bs_buckets[BS_BUCKETS]; /* (B) */
} ipc_bootstrap = {
	.bs_lock = IPC_LOCK_INITIALIZER(IPC_RANK_KOBJECT, "bootstrap"),
};

/*
 * ipc_bootstrap_atfork_child
 *	fork(): the child has none of its parent's spaces, so none of its
 *	services either: the namespace starts empty and the next
 *	bootstrap_port makes a new one.  The parent's records and ports are
 *	abandoned (copies the child never touches); bs_lock may have been
 *	held by a thread the child does not have.
 * Conditions: the only thread of a fresh child; takes no lock.
 */
void
ipc_bootstrap_atfork_child(void)
{
	struct bootstrap *bs = &ipc_bootstrap;

	ipc_lock_init(&bs->bs_lock, IPC_RANK_KOBJECT, "bootstrap");
	bs->bs_port = NULL;
	memset(bs->bs_buckets, 0, sizeof(bs->bs_buckets));
}

static uint32_t
bs_hash(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

static struct bs_service **
bs_bucket(struct bootstrap *bs, uint32_t hash)
{
	return &bs->bs_buckets[hash & (BS_BUCKETS - 1)];
}

/* Conditions: bs_lock held. */
static struct bs_service *
bs_find_locked(struct bootstrap *bs, const char *name, uint32_t hash)
{
	struct bs_service *s;

	ipc_lock_assert_held(&bs->bs_lock);
	for (s = *bs_bucket(bs, hash); s != NULL; s = s->bss_next)
		if (s->bss_hash == hash && strcmp(s->bss_name, name) == 0)
			return s;
	return NULL;
}

/* The record whose port is `port` in `state`.  Conditions: bs_lock. */
static struct bs_service *
bs_find_port_locked(
    struct bootstrap *bs, const struct ipc_port *port, uint32_t state)
{
	struct bs_service *s;
	uint32_t i;

	ipc_lock_assert_held(&bs->bs_lock);
	for (i = 0; i < BS_BUCKETS; i++)
		for (s = bs->bs_buckets[i]; s != NULL; s = s->bss_next)
			if (s->bss_port == port && s->bss_state == state)
				return s;
	return NULL;
}

static struct bs_service *
bs_find_token_locked(struct bootstrap *bs, mach_port_name_t token)
{
	struct bs_service *s;
	uint32_t i;

	ipc_lock_assert_held(&bs->bs_lock);
	for (i = 0; i < BS_BUCKETS; i++)
		for (s = bs->bs_buckets[i]; s != NULL; s = s->bss_next)
			if (s->bss_state == BS_REGISTERED &&
			    s->bss_token == token)
				return s;
	return NULL;
}

static void
bs_insert_locked(struct bootstrap *bs, struct bs_service *s)
{
	struct bs_service **b = bs_bucket(bs, s->bss_hash);

	ipc_lock_assert_held(&bs->bs_lock);
	s->bss_next = *b;
	*b = s;
}

static void
bs_unlink_locked(struct bootstrap *bs, struct bs_service *s)
{
	struct bs_service **l;

	ipc_lock_assert_held(&bs->bs_lock);
	for (l = bs_bucket(bs, s->bss_hash); *l != s; l = &(*l)->bss_next)
		ipc_require(*l != NULL, "a bootstrap record is in its bucket");
	*l = s->bss_next;
	s->bss_next = NULL;
}

static struct bs_service *
bs_record_alloc(const char *name, uint32_t hash)
{
	struct bs_service *s = ipc_zalloc(IPC_KIND_TABLE, sizeof(*s));

	if (s != NULL) {
		s->bss_hash = hash;
		memcpy(s->bss_name, name, strlen(name) + 1);
	}
	return s;
}

static void
bs_record_free(struct bs_service *s)
{
	if (s != NULL)
		ipc_free(IPC_KIND_TABLE, s, sizeof(*s));
}

/*
 * What a record holds, released once bs_lock is dropped (the releases
 * may send notifications, which may come back to us).
 * Conditions: nothing locked; the record is unlinked.
 */
static void
bs_record_release(struct ipc_port *bsport, struct bs_service *s)
{
	struct ipc_port *p = s->bss_port;

	switch (s->bss_state) {
	case BS_DECLARED:
		/* Our receive right: the port dies with what it queued. */
		ipc_port_release_send(p);
		ipc_port_destroy(p);
		break;
	case BS_ACTIVE:
		if (bsport != NULL)
			ipc_kobject_cancel_port_destroyed(p, bsport);
		ipc_port_release_send(p);
		break;
	case BS_REGISTERED:
		ipc_kobject_cancel_dead_name(p, s->bss_dn_index, s->bss_token);
		ipc_port_release_send(p);
		break;
	default:
		ipc_require(0, "a bootstrap record's state");
	}
	bs_record_free(s);
}

/*
 * The bootstrap port, made on first use; referenced for the caller.
 * NULL when memory is exhausted.  Conditions: nothing locked.
 */
static struct ipc_port *
bs_port_get(void)
{
	struct bootstrap *bs = &ipc_bootstrap;
	struct ipc_port *p, *fresh = NULL;

	for (;;) {
		ipc_lock(&bs->bs_lock);
		p = bs->bs_port;
		if (p == NULL && fresh != NULL) {
			bs->bs_port = p = fresh;
			fresh = NULL;
		}
		if (p != NULL)
			ip_reference(p);
		ipc_unlock(&bs->bs_lock);
		if (fresh != NULL)
			ipc_port_destroy(fresh); /* lost a race: never seen */
		if (p != NULL)
			return p;
		fresh = ipc_kobject_alloc(IKOT_BOOTSTRAP, bs);
		if (fresh == NULL)
			return NULL;
	}
}

/*
 * The process's last space went (kobject.c): the namespace goes.  What it
 * holds is released outside the lock; the port dies last.
 */
static void
bs_spaces_gone(void)
{
	struct bootstrap *bs = &ipc_bootstrap;
	struct bs_service *list = NULL, *s;
	struct ipc_port *port;
	uint32_t i;

	ipc_lock(&bs->bs_lock);
	port = bs->bs_port;
	bs->bs_port = NULL;
	for (i = 0; i < BS_BUCKETS; i++) {
		while ((s = bs->bs_buckets[i]) != NULL) {
			bs->bs_buckets[i] = s->bss_next;
			s->bss_next = list;
			list = s;
		}
	}
	ipc_unlock(&bs->bs_lock);
	while ((s = list) != NULL) {
		list = s->bss_next;
		bs_record_release(port, s);
	}
	if (port != NULL)
		ipc_port_destroy(port);
}

/* ------------------------------------------------------------------ */
/* The server                                                          */

/* A name as it arrived: NUL-terminated within name_t and not empty. */
static bool
bs_name_ok(const char *name)
{
	return name[0] != '\0' &&
	    memchr(name, '\0', BOOTSTRAP_MAX_NAME_LEN) != NULL;
}

/* The request of a simple routine, checked as MIG checks it. */
static const char *
bs_simple_name(struct ipc_kmsg *request)
{
	struct bs_request *in = (void *)ikm_bytes(request);

	if ((in->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
	    request->ikm_size != sizeof(*in) || !bs_name_ok(in->service_name))
		return NULL;
	return in->service_name;
}

/*
 * A new port whose receive right we hold, and a record for `name`, made
 * before the lock is taken (both are used only if the name is new).
 */
struct bs_cand {
	struct bs_service *c_rec;
	struct ipc_port *c_port;
};

static void
bs_cand_make(struct bs_cand *c, const char *name, uint32_t hash)
{
	c->c_rec = bs_record_alloc(name, hash);
	c->c_port = ipc_port_alloc();
}

static void
bs_cand_drop(struct bs_cand *c)
{
	bs_record_free(c->c_rec);
	if (c->c_port != NULL)
		ipc_port_destroy(c->c_port); /* never seen by anyone */
}

/*
 * Declare the candidate: a DECLARED record for its port, with our send
 * right.  Conditions: bs_lock held; the candidate is complete.
 */
static struct bs_service *
bs_declare_locked(struct bootstrap *bs, struct bs_cand *c)
{
	struct bs_service *s = c->c_rec;

	ipc_lock_assert_held(&bs->bs_lock);
	s->bss_port = c->c_port;
	s->bss_state = BS_DECLARED;
	ipc_kobject_make_send(s->bss_port);
	bs_insert_locked(bs, s);
	c->c_rec = NULL;
	c->c_port = NULL;
	return s;
}

static void
bs_check_in(struct bootstrap *bs, struct ipc_port *bsport,
    struct ipc_kmsg *request, struct ipc_kmsg *reply)
{
	const char *name = bs_simple_name(request);
	struct bs_cand c = { NULL, NULL };
	struct bs_service *s, *undo = NULL;
	struct ipc_port *p = NULL;
	kern_return_t kr;
	uint32_t hash;

	if (name == NULL) {
		ipc_kobject_reply_error(reply, MIG_BAD_ARGUMENTS);
		return;
	}
	hash = bs_hash(name);
	bs_cand_make(&c, name, hash);
	ipc_lock(&bs->bs_lock);
	if (bs->bs_port != bsport) {
		kr = MACH_SEND_INVALID_DEST; /* a namespace torn down */
		goto out;
	}
	s = bs_find_locked(bs, name, hash);
	if (s == NULL) {
		if (c.c_rec == NULL || c.c_port == NULL) {
			kr = BOOTSTRAP_NO_MEMORY;
			goto out;
		}
		s = undo = bs_declare_locked(bs, &c);
	} else if (s->bss_state != BS_DECLARED) {
		kr = BOOTSTRAP_SERVICE_ACTIVE;
		goto out;
	}
	/*
	 * launchd's machservice_request_notifications: the right comes
	 * back to us when it is destroyed, wherever it went.
	 */
	kr = ipc_kobject_request_port_destroyed(s->bss_port, bsport);
	if (kr != KERN_SUCCESS) {
		kr = BOOTSTRAP_NO_MEMORY;
		if (undo != NULL)
			bs_unlink_locked(
			    bs, undo); /* just made: released below */
		goto out;
	}
	undo = NULL;
	s->bss_state = BS_ACTIVE;
	p = s->bss_port; /* our receive right: into the reply */
out:
	ipc_unlock(&bs->bs_lock);
	if (undo != NULL)
		bs_record_release(NULL, undo);
	bs_cand_drop(&c);
	if (p != NULL)
		ipc_kobject_reply_port(reply, p, MACH_MSG_TYPE_PORT_RECEIVE);
	else
		ipc_kobject_reply_error(reply, kr);
}

static void
bs_look_up(struct bootstrap *bs, struct ipc_port *bsport,
    struct ipc_kmsg *request, struct ipc_kmsg *reply)
{
	const char *name = bs_simple_name(request);
	struct ipc_port *p = NULL;
	struct bs_service *s;
	kern_return_t kr = BOOTSTRAP_UNKNOWN_SERVICE;

	if (name == NULL) {
		ipc_kobject_reply_error(reply, MIG_BAD_ARGUMENTS);
		return;
	}
	ipc_lock(&bs->bs_lock);
	if (bs->bs_port != bsport) {
		kr = MACH_SEND_INVALID_DEST;
	} else {
		s = bs_find_locked(bs, name, bs_hash(name));
		if (s != NULL) {
			p = s->bss_port;
			ipc_kobject_copy_send(p);
		}
	}
	ipc_unlock(&bs->bs_lock);
	if (p != NULL)
		ipc_kobject_reply_port(reply, p, MACH_MSG_TYPE_PORT_SEND);
	else
		ipc_kobject_reply_error(reply, kr);
}

static void
bs_create_service(struct bootstrap *bs, struct ipc_port *bsport,
    struct ipc_kmsg *request, struct ipc_kmsg *reply)
{
	const char *name = bs_simple_name(request);
	struct bs_cand c = { NULL, NULL };
	struct ipc_port *p = NULL;
	struct bs_service *s;
	kern_return_t kr;
	uint32_t hash;

	if (name == NULL) {
		ipc_kobject_reply_error(reply, MIG_BAD_ARGUMENTS);
		return;
	}
	hash = bs_hash(name);
	bs_cand_make(&c, name, hash);
	ipc_lock(&bs->bs_lock);
	if (bs->bs_port != bsport) {
		kr = MACH_SEND_INVALID_DEST;
	} else if (bs_find_locked(bs, name, hash) != NULL) {
		kr = BOOTSTRAP_NAME_IN_USE;
	} else if (c.c_rec == NULL || c.c_port == NULL) {
		kr = BOOTSTRAP_NO_MEMORY;
	} else {
		s = bs_declare_locked(bs, &c);
		p = s->bss_port;
		ipc_kobject_make_send(p); /* the caller's */
		kr = KERN_SUCCESS;
	}
	ipc_unlock(&bs->bs_lock);
	bs_cand_drop(&c);
	if (p != NULL)
		ipc_kobject_reply_port(reply, p, MACH_MSG_TYPE_PORT_SEND);
	else
		ipc_kobject_reply_error(reply, kr);
}

/* bootstrap_register(name, MACH_PORT_NULL): remove a registration. */
static kern_return_t
bs_unregister(struct bootstrap *bs, struct ipc_port *bsport, const char *name)
{
	struct bs_service *s = NULL;
	kern_return_t kr;

	ipc_lock(&bs->bs_lock);
	if (bs->bs_port != bsport) {
		kr = MACH_SEND_INVALID_DEST;
	} else {
		s = bs_find_locked(bs, name, bs_hash(name));
		if (s == NULL) {
			kr = BOOTSTRAP_UNKNOWN_SERVICE;
		} else if (s->bss_state != BS_REGISTERED) {
			kr = BOOTSTRAP_NOT_PRIVILEGED;
			s = NULL;
		} else {
			bs_unlink_locked(bs, s);
			kr = KERN_SUCCESS;
		}
	}
	ipc_unlock(&bs->bs_lock);
	if (s != NULL)
		bs_record_release(bsport, s);
	return kr;
}

static void
bs_register(struct bootstrap *bs, struct ipc_port *bsport,
    struct ipc_kmsg *request, struct ipc_kmsg *reply)
{
	struct bs_register_request *in = (void *)ikm_bytes(request);
	struct ipc_right *sp = &ikm_desc(request)[0].kd_port;
	struct bs_service *rec = NULL;
	kern_return_t kr;
	uint32_t hash;
	bool dead;

	/* MIG's checks: shape, then the descriptor's type. */
	if (!(in->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) ||
	    request->ikm_size != sizeof(*in) || request->ikm_ndesc != 1 ||
	    in->msgh_body.msgh_descriptor_count != 1 ||
	    !bs_name_ok(in->service_name)) {
		ipc_kobject_reply_error(reply, MIG_BAD_ARGUMENTS);
		return;
	}
	if (ikm_desc(request)[0].kd_type != MACH_MSG_PORT_DESCRIPTOR ||
	    (sp->ir_port != NULL && sp->ir_type != MACH_MSG_TYPE_PORT_SEND)) {
		ipc_kobject_reply_error(reply, MIG_TYPE_ERROR);
		return;
	}
	if (sp->ir_port == NULL) {
		kr = sp->ir_dead ? KERN_INVALID_RIGHT
		                 : bs_unregister(bs, bsport, in->service_name);
		ipc_kobject_reply_error(reply, kr);
		return;
	}
	hash = bs_hash(in->service_name);
	rec = bs_record_alloc(in->service_name, hash);
	ipc_lock(&bs->bs_lock);
	if (bs->bs_port != bsport) {
		kr = MACH_SEND_INVALID_DEST;
	} else if (bs_find_locked(bs, in->service_name, hash) != NULL) {
		kr = BOOTSTRAP_NAME_IN_USE;
	} else if (rec == NULL) {
		kr = BOOTSTRAP_NO_MEMORY;
	} else {
		/* Tokens: low two bits clear, never a space's name. */
		bs->bs_tokens += 4;
		if (bs->bs_tokens == 0)
			bs->bs_tokens = 4;
		rec->bss_token = bs->bs_tokens;
		rec->bss_dn_index = ipc_kobject_request_dead_name(
		    sp->ir_port, bsport, rec->bss_token, &dead);
		if (rec->bss_dn_index == 0) {
			kr = dead ? KERN_INVALID_RIGHT : BOOTSTRAP_NO_MEMORY;
		} else {
			/* The request's send right is ours now. */
			rec->bss_port = sp->ir_port;
			sp->ir_port = NULL;
			rec->bss_state = BS_REGISTERED;
			bs_insert_locked(bs, rec);
			rec = NULL;
			kr = KERN_SUCCESS;
		}
	}
	ipc_unlock(&bs->bs_lock);
	bs_record_free(rec);
	ipc_kobject_reply_error(reply, kr);
}

/*
 * MACH_NOTIFY_PORT_DESTROYED: a checked-in service's receive right came
 * back.  The service goes, and so does its port (see Choices).
 */
static void
bs_port_destroyed(
    struct bootstrap *bs, struct ipc_port *bsport, struct ipc_kmsg *request)
{
	struct ipc_kdesc *d = &ikm_desc(request)[0];
	struct bs_service *s = NULL;
	struct ipc_port *p;

	if (request->ikm_ndesc != 1 || d->kd_type != MACH_MSG_PORT_DESCRIPTOR ||
	    d->kd_port.ir_type != MACH_MSG_TYPE_PORT_RECEIVE ||
	    d->kd_port.ir_port == NULL)
		return; /* the message's destruction destroys it */
	p = d->kd_port.ir_port;
	d->kd_port.ir_port = NULL;
	ipc_port_release_transit(p); /* ours, in limbo */
	ipc_lock(&bs->bs_lock);
	if (bs->bs_port == bsport) {
		s = bs_find_port_locked(bs, p, BS_ACTIVE);
		if (s != NULL)
			bs_unlink_locked(bs, s);
	}
	ipc_unlock(&bs->bs_lock);
	ipc_port_destroy(p);
	if (s != NULL) {
		ipc_port_release_send(s->bss_port); /* dead now */
		bs_record_free(s);
	}
}

/* MACH_NOTIFY_DEAD_NAME(token): a registered send right's port died. */
static void
bs_dead_name(
    struct bootstrap *bs, struct ipc_port *bsport, struct ipc_kmsg *request)
{
	struct bs_dead_name *in = (void *)ikm_bytes(request);
	struct bs_service *s = NULL;

	if (request->ikm_size != sizeof(*in))
		return;
	ipc_lock(&bs->bs_lock);
	if (bs->bs_port == bsport) {
		s = bs_find_token_locked(bs, in->name);
		if (s != NULL)
			bs_unlink_locked(bs, s);
	}
	ipc_unlock(&bs->bs_lock);
	if (s != NULL) {
		/* The request fired: nothing to cancel. */
		ipc_port_release_send(s->bss_port);
		bs_record_free(s);
	}
}

static bool
bs_server(struct ipc_port *port, void *kobject, struct ipc_kmsg *request,
    struct ipc_kmsg *reply)
{
	struct bootstrap *bs = kobject;

	switch (request->ikm_header.msgh_id) {
	case IPC_BOOTSTRAP_CHECK_IN:
		bs_check_in(bs, port, request, reply);
		return true;
	case IPC_BOOTSTRAP_REGISTER:
		bs_register(bs, port, request, reply);
		return true;
	case IPC_BOOTSTRAP_LOOK_UP:
		bs_look_up(bs, port, request, reply);
		return true;
	case IPC_BOOTSTRAP_CREATE_SERVICE:
		bs_create_service(bs, port, request, reply);
		return true;
	case MACH_NOTIFY_PORT_DESTROYED:
		if (!(request->ikm_flags & IKM_F_KERNEL))
			return false; /* forged */
		bs_port_destroyed(bs, port, request);
		return true;
	case MACH_NOTIFY_DEAD_NAME:
		if (!(request->ikm_flags & IKM_F_KERNEL))
			return false;
		bs_dead_name(bs, port, request);
		return true;
	default:
		return false;
	}
}

const struct ipc_kobject_ops ipc_bootstrap_kobject_ops = {
	.iko_name = "bootstrap",
	.iko_server = bs_server,
	.iko_reply_size = sizeof(struct bs_port_reply),
	.iko_reply_ndesc = 1,
	.iko_spaces_gone = bs_spaces_gone,
};

/* ------------------------------------------------------------------ */
/* bootstrap_port                                                      */

mach_port_t
mipc_bootstrap_port(mipc_space_t task)
{
	struct mipc_space *space IPC_SPACE_HELD = NULL;
	struct ipc_right r = { NULL, MACH_MSG_TYPE_PORT_SEND, false };
	mach_port_name_t name = MACH_PORT_NULL;
	struct ipc_port *bp;
	struct ipc_entry *e;

	if (ipc_space_acquire(task, &space) != KERN_SUCCESS)
		return MACH_PORT_NULL;
	bp = bs_port_get();
	if (bp == NULL)
		return MACH_PORT_NULL;
	is_lock(space);
	if (ipc_space_check(space) != KERN_SUCCESS)
		goto out;
	/* Kept while it still names a send right to today's port. */
	name = space->is_bootstrap;
	e = MACH_PORT_VALID(name) ? ipc_entry_lookup(space, name) : NULL;
	if (e != NULL && (IE_BITS_TYPE(e->ie_bits) & MACH_PORT_TYPE_SEND) &&
	    e->ie_object == &bp->ip_object)
		goto out;
	name = MACH_PORT_NULL;
	ipc_kobject_make_send(bp);
	r.ir_port = bp;
	if (ipc_right_copyout(space, &r, &name) == KERN_SUCCESS) {
		r.ir_port = NULL; /* the space's now */
		space->is_bootstrap = name;
	}
out:
	is_unlock(space);
	ipc_right_discard(&r);
	ip_release(bp);
	return name;
}

/* ------------------------------------------------------------------ */
/* The client calls (what MIG generates for a client)                 */

/*
 * Copy the caller's name into a request, reading it without faulting:
 * process_vm_readv stops at the first unreadable iovec, and the read is
 * split at the page boundary, so a name that ends before an unreadable
 * page is read whole and one that runs into it is caught.
 */
static kern_return_t
bs_copy_name(char *dst, const char *src)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)src;
	struct iovec local = { dst, BOOTSTRAP_MAX_NAME_LEN }, remote[2];
	size_t first;
	ssize_t got;
	char *nul;

	if (src == NULL)
		return KERN_INVALID_ARGUMENT;
	first = (size_t)(page - (a & (page - 1)));
	if (first > BOOTSTRAP_MAX_NAME_LEN)
		first = BOOTSTRAP_MAX_NAME_LEN;
	remote[0].iov_base = (void *)a;
	remote[0].iov_len = first;
	remote[1].iov_base = (void *)(a + first);
	remote[1].iov_len = BOOTSTRAP_MAX_NAME_LEN - first;
	memset(dst, 0, BOOTSTRAP_MAX_NAME_LEN);
	got = process_vm_readv(getpid(), &local, 1, remote,
	    first < BOOTSTRAP_MAX_NAME_LEN ? 2 : 1, 0);
	if (got < 0 && errno == EFAULT)
		return KERN_INVALID_ADDRESS;
	if (got < 0) {
		/* Not permitted here (a seccomp filter): read it as MIG's
		 * mig_strncpy would, trusting the pointer. */
		got = (ssize_t)strnlen(src, BOOTSTRAP_MAX_NAME_LEN);
		memcpy(dst, src, (size_t)got);
		if (got < BOOTSTRAP_MAX_NAME_LEN)
			got++; /* its NUL, already in dst */
	}
	nul = memchr(dst, '\0', (size_t)got);
	if (nul == NULL)
		return got < BOOTSTRAP_MAX_NAME_LEN ? KERN_INVALID_ADDRESS
		                                    : KERN_INVALID_ARGUMENT;
	if (nul == dst)
		return KERN_INVALID_ARGUMENT; /* empty */
	memset(nul, 0, BOOTSTRAP_MAX_NAME_LEN - (size_t)(nul - dst));
	return KERN_SUCCESS;
}

union bs_msg {
	mach_msg_header_t Head;
	struct bs_request req;
	struct bs_register_request reg;
	mig_reply_error_t err;
	struct bs_port_reply port;
	uint8_t buf[sizeof(struct bs_register_request) + MAX_TRAILER_SIZE];
};

/*
 * One RPC: the request in m (its size send_size), the reply into m.
 * want: the disposition of the port the reply carries (0: none, the
 * routine returns only a code).  The reply is checked as MIG's
 * generated client routines check it.
 */
static kern_return_t
bs_rpc(mach_port_t bp, union bs_msg *m, mach_msg_size_t send_size,
    mach_msg_option_t extra, mach_msg_type_name_t want, mach_port_t *sp)
{
	mach_msg_id_t id = m->Head.msgh_id;
	mach_port_t srp = mig_get_special_reply_port();
	mach_msg_return_t mr;

	if (!MACH_PORT_VALID(srp))
		return MACH_SEND_INVALID_REPLY;
	m->Head.msgh_bits |= MACH_MSGH_BITS(
	    MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m->Head.msgh_remote_port = bp;
	m->Head.msgh_local_port = srp;
	m->Head.msgh_voucher_port = MACH_PORT_NULL;
	mr = mach_msg(&m->Head, MACH_SEND_MSG | MACH_RCV_MSG | extra, send_size,
	    (mach_msg_size_t)sizeof(*m), srp, MACH_MSG_TIMEOUT_NONE,
	    MACH_PORT_NULL);
	if (mr != MACH_MSG_SUCCESS) {
		/* MIG's: a stale answer may wait there (a send-once
		 * notification of the request a failed send destroyed). */
		mig_dealloc_special_reply_port(srp);
		return mr;
	}
	if (m->Head.msgh_id != id + 100) {
		if (m->Head.msgh_id == MACH_NOTIFY_SEND_ONCE)
			return MIG_SERVER_DIED;
		mach_msg_destroy(&m->Head);
		return MIG_REPLY_MISMATCH;
	}
	if (!(m->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)) {
		if (m->Head.msgh_size == sizeof(m->err) &&
		    (want == 0 || m->err.RetCode != KERN_SUCCESS))
			return m->err.RetCode;
		mach_msg_destroy(&m->Head);
		return MIG_TYPE_ERROR;
	}
	if (want == 0 || m->Head.msgh_size != sizeof(m->port) ||
	    m->port.msgh_body.msgh_descriptor_count != 1 ||
	    m->port.service_port.type != MACH_MSG_PORT_DESCRIPTOR ||
	    m->port.service_port.disposition != want) {
		mach_msg_destroy(&m->Head);
		return MIG_TYPE_ERROR;
	}
	*sp = m->port.service_port.name;
	return KERN_SUCCESS;
}

/* A simple routine: name in, a port out. */
static kern_return_t
bs_call(mach_port_t bp, mach_msg_id_t id, const char *name,
    mach_msg_option_t extra, mach_msg_type_name_t want, mach_port_t *sp)
{
	union bs_msg m;
	kern_return_t kr;

	if (sp == NULL)
		return KERN_INVALID_ARGUMENT;
	memset(&m.req, 0, sizeof(m.req));
	kr = bs_copy_name(m.req.service_name, name);
	if (kr != KERN_SUCCESS)
		return kr;
	m.req.NDR = NDR_record;
	m.req.Head.msgh_id = id;
	return bs_rpc(bp, &m, sizeof(m.req), extra, want, sp);
}

kern_return_t
bootstrap_check_in(mach_port_t bp, const char *service_name, mach_port_t *sp)
{
	return bs_call(bp, IPC_BOOTSTRAP_CHECK_IN, service_name,
	    MACH_SEND_SYNC_BOOTSTRAP_CHECKIN, MACH_MSG_TYPE_PORT_RECEIVE, sp);
}

kern_return_t
bootstrap_look_up(mach_port_t bp, const char *service_name, mach_port_t *sp)
{
	return bs_call(bp, IPC_BOOTSTRAP_LOOK_UP, service_name, 0,
	    MACH_MSG_TYPE_PORT_SEND, sp);
}

kern_return_t
bootstrap_create_service(mach_port_t bp, char *service_name, mach_port_t *sp)
{
	return bs_call(bp, IPC_BOOTSTRAP_CREATE_SERVICE, service_name, 0,
	    MACH_MSG_TYPE_PORT_SEND, sp);
}

kern_return_t
bootstrap_register(mach_port_t bp, char *service_name, mach_port_t sp)
{
	union bs_msg m;
	kern_return_t kr;

	memset(&m.reg, 0, sizeof(m.reg));
	kr = bs_copy_name(m.reg.service_name, service_name);
	if (kr != KERN_SUCCESS)
		return kr;
	m.reg.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
	m.reg.Head.msgh_id = IPC_BOOTSTRAP_REGISTER;
	m.reg.msgh_body.msgh_descriptor_count = 1;
	m.reg.service_port.name = sp;
	m.reg.service_port.disposition = MACH_MSG_TYPE_COPY_SEND;
	m.reg.service_port.type = MACH_MSG_PORT_DESCRIPTOR;
	m.reg.NDR = NDR_record;
	return bs_rpc(bp, &m, sizeof(m.reg), 0, 0, NULL);
}

const char *
bootstrap_strerror(kern_return_t r)
{
	switch (r) {
	case BOOTSTRAP_SUCCESS:
		return "Success";
	case BOOTSTRAP_NOT_PRIVILEGED:
		return "Permission denied";
	case BOOTSTRAP_NAME_IN_USE:
	case BOOTSTRAP_SERVICE_ACTIVE:
		return "Service name already exists";
	case BOOTSTRAP_UNKNOWN_SERVICE:
		return "Unknown service name";
	case BOOTSTRAP_BAD_COUNT:
		return "Too many lookups were requested in one request";
	case BOOTSTRAP_NO_MEMORY:
		return "Out of memory";
	case BOOTSTRAP_NO_CHILDREN:
		return "No children";
	default:
		return "Unknown error";
	}
}
