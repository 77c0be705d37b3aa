/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * notify.h -- notification messages (osfmk/mach/notify.h): ids, layouts
 * and sizes as a receiver sees them, and mipc_port_request_notification.
 * All arrive through a send-once right registered with the request: bits
 * 0x00001200 (0x80001200 for port-destroyed), remote port MACH_PORT_NULL,
 * local port the receiver's name for the notify port, sender token {0, 1}.
 */
#ifndef MIPC_NOTIFY_H
#define MIPC_NOTIFY_H

#include <mipc/types.h>
#include <mipc/port.h>
#include <mipc/message.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MACH_NOTIFY_FIRST          0100
#define MACH_NOTIFY_PORT_DELETED   (MACH_NOTIFY_FIRST + 001)
#define MACH_NOTIFY_SEND_POSSIBLE  (MACH_NOTIFY_FIRST + 002)
#define MACH_NOTIFY_PORT_DESTROYED (MACH_NOTIFY_FIRST + 005)
#define MACH_NOTIFY_NO_SENDERS     (MACH_NOTIFY_FIRST + 006)
#define MACH_NOTIFY_SEND_ONCE      (MACH_NOTIFY_FIRST + 007)
#define MACH_NOTIFY_DEAD_NAME      (MACH_NOTIFY_FIRST + 010)
#define MACH_NOTIFY_LAST           (MACH_NOTIFY_FIRST + 015)

typedef mach_port_t notify_port_t;

#pragma pack(push, 4)

typedef struct {
	mach_msg_header_t not_header;
	NDR_record_t NDR;
	mach_port_name_t not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_port_deleted_notification_t;

typedef struct {
	mach_msg_header_t not_header;
	NDR_record_t NDR;
	mach_port_name_t not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_send_possible_notification_t;

typedef struct {
	mach_msg_header_t not_header;
	mach_msg_body_t not_body;
	mach_msg_port_descriptor_t not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_port_destroyed_notification_t;

typedef struct {
	mach_msg_header_t not_header;
	NDR_record_t NDR;
	mach_msg_type_number_t not_count;
	mach_msg_format_0_trailer_t trailer;
} mach_no_senders_notification_t;

typedef struct {
	mach_msg_header_t not_header;
	mach_msg_format_0_trailer_t trailer;
} mach_send_once_notification_t;

typedef struct {
	mach_msg_header_t not_header;
	NDR_record_t NDR;
	mach_port_name_t not_port;
	mach_msg_format_0_trailer_t trailer;
} mach_dead_name_notification_t;

#pragma pack(pop)

/* msgh_size of each, as delivered. */
#define MIPC_NOTIFY_NAME_SIZE       36u /* deleted, send-possible, dead */
#define MIPC_NOTIFY_DESTROYED_SIZE  40u /* port-destroyed */
#define MIPC_NOTIFY_NO_SENDERS_SIZE 36u /* no-senders */
#define MIPC_NOTIFY_SEND_ONCE_SIZE  24u /* send-once */

/*
 * Register (or, with notify MACH_PORT_NULL, cancel) a notification about
 * `name` in `space` (mipc_port_request_notification(3)): msgid one of
 * MACH_NOTIFY_SEND_POSSIBLE, _PORT_DESTROYED, _NO_SENDERS, _DEAD_NAME;
 * `notify` names a right in the same space, given as
 * MACH_MSG_TYPE_MAKE_SEND_ONCE (a receive right) or
 * MACH_MSG_TYPE_MOVE_SEND_ONCE (a send-once right).  The replaced
 * registration's send-once right comes back in *previous as a new name
 * (MACH_PORT_NULL if none).  Once a request succeeded its notification is
 * never lost for lack of memory.
 */
MIPC_API kern_return_t mipc_port_request_notification(mipc_space_t space,
    mach_port_name_t name, mach_msg_id_t msgid, mach_port_mscount_t sync,
    mach_port_name_t notify, mach_msg_type_name_t notifyPoly,
    mach_port_name_t *previous);

/* Request-table capacity and live requests. */
MIPC_API kern_return_t mipc_port_dnrequest_info(mipc_space_t space,
    mach_port_name_t name, unsigned int *dnr_total, unsigned int *dnr_used);

#ifdef __cplusplus
}
#endif

#endif /* MIPC_NOTIFY_H */
