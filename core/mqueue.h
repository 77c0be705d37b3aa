/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mqueue.h -- message queues (mqueue.c): the ring of slots each port
 * embeds, its overflow list, counters and waiter words.
 *
 * Owns:      struct ipc_mqueue and its ring; see mqueue.c's essay for the
 *            order, counting, sequence-number and wake-up arguments.
 */
#ifndef MIPC_CORE_MQUEUE_H
#define MIPC_CORE_MQUEUE_H

#include "lock.h"
#include "waitq.h"

#include <ck_ring.h>
#include <mipc/types.h>
#include <time.h>

struct ipc_kmsg;
struct ipc_port;

/*
 * One ring slot: the message and its size, for peeking without it, and
 * whether it carries an implicit send right (IMS_IMPLICIT), for counting
 * them without touching the messages (ipc_mqueue_count_implicit).
 */
struct imq_slot {
	struct ipc_kmsg *ims_kmsg;
	uint32_t ims_size;
	uint32_t ims_flags;
};

#define IMS_IMPLICIT 0x1u

#define IMQ_RING_SLOTS 16u /* power of two; overflow takes the rest */

struct imq_ring {
	ck_ring_t rg_ring;
	struct imq_slot rg_slots[IMQ_RING_SLOTS];
};

struct ipc_mqueue {
	uint32_t imq_count;            /* (A) messages queued */
	uint32_t imq_seq_base;         /* (A) ring position of seqno 0 */
	struct imq_ring *imq_ring;     /* (A) allocated on first send */
	struct ipc_waitq imq_rcv_wq;   /* receivers waiting for a message */
	struct ipc_waitq imq_snd_wq;   /* senders waiting for room */
	uint32_t imq_ovf_n;            /* (A) messages in the overflow list */
	ipc_lock_t imq_ovf_lock;       /* rank IPC_RANK_LEAF */
	struct ipc_kmsg *imq_ovf_head; /* (imq_ovf_lock) */
	struct ipc_kmsg *imq_ovf_tail; /* (imq_ovf_lock) */
};

enum imq_result { IMQ_EMPTY, IMQ_LEFT, IMQ_TAKEN };

/* What mach_port_peek reports of a queued message (U6). */
struct imq_peek {
	uint32_t ipk_seqno;  /* its sequence number */
	uint32_t ipk_size;   /* the send size (ikm_size) */
	int32_t ipk_id;      /* msgh_id */
	uint32_t ipk_sender; /* the sending space's serial (ikm_sender) */
	bool ipk_kernel;     /* made by mipc (IKM_F_KERNEL) */
};

void ipc_mqueue_init(struct ipc_mqueue *mq);
void ipc_mqueue_fini(struct ipc_port *port);
bool ipc_mqueue_prepare(struct ipc_port *port);
bool ipc_mqueue_admit(struct ipc_port *port, bool limited);
void ipc_mqueue_enqueue(struct ipc_port *port, struct ipc_kmsg *kmsg);
enum imq_result ipc_mqueue_peek_take(struct ipc_port *port, uint32_t need_max,
    bool leave_large, struct ipc_kmsg **kmsgp, uint32_t *size, uint32_t *seqno);
uint32_t ipc_mqueue_count(struct ipc_port *port);
uint32_t ipc_mqueue_count_implicit(struct ipc_port *port);
uint32_t ipc_mqueue_seqno(struct ipc_port *port);
void ipc_mqueue_set_seqno(struct ipc_port *port, uint32_t seqno);
bool ipc_mqueue_set_qlimit_locked(struct ipc_port *port, uint32_t qlimit);
void ipc_mqueue_admit_senders(struct ipc_port *port);
void ipc_mqueue_drain(struct ipc_port *port);
void ipc_mqueue_wake_receivers(struct ipc_port *port);
void ipc_mqueue_wake_all(struct ipc_port *port);
kern_return_t ipc_mqueue_send_wait(
    struct ipc_port *port, const struct timespec *deadline, unsigned int flags);
bool ipc_mqueue_has_message(struct ipc_port *port);
bool ipc_mqueue_peek_locked(
    struct ipc_port *port, uint32_t seqno, struct imq_peek *pk);

#endif /* MIPC_CORE_MQUEUE_H */
