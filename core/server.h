/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * server.h -- the server loops (server.c): mach_msg_server and
 * mipc_server_run; what the rest of the library needs of them.
 */
#ifndef MIPC_CORE_SERVER_H
#define MIPC_CORE_SERVER_H

/* fork(): the child runs none of its parent's loops (fork.c). */
void ipc_server_atfork_child(void);

#endif /* MIPC_CORE_SERVER_H */
