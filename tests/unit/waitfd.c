/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitfd.c -- tests of core/waitfd.c: mipc_port_get_fd, the event-loop
 * descriptor of a port or a port set (issue 17).
 *
 * Readiness is read with poll(2) and epoll(7), never by reading the
 * descriptor.  Every test also checks, in a teardown, that the process
 * holds as many descriptors as before it (counted in /proc/self/fd): the
 * ones mipc keeps are closed when their ports go, the caller's by the
 * caller.
 *
 * Includes core/internal.h for ipc_waitfd_live (armed descriptors).
 */
#include "check_mipc.h"
#include "conformance/msg_helpers.h"

#include "internal.h"

#include <dirent.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* ---- descriptors ---------------------------------------------------- */

static int fds_before;

static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* opendir's own */
}

static void
fd_setup(void)
{
	fds_before = fd_count();
}

static void
fd_teardown(void)
{
	/* What the test left in mach_task_self() goes first. */
	mipc_default_space_reset();
	ck_assert_int_eq(ipc_waitfd_live(), 0);
	ck_assert_msg(fd_count() == fds_before,
	    "descriptor leak: %d open, %d before the test", fd_count(),
	    fds_before);
}

/* poll(2) events of fd now (0: none), among POLLIN | POLLOUT. */
static short
revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	ck_assert_int_ge(poll(&p, 1, 0), 0);
	return p.revents;
}

#define READABLE(fd) ck_assert_msg(revents(fd) & POLLIN, "%s not readable", #fd)
#define NOT_READABLE(fd) \
	ck_assert_msg(!(revents(fd) & POLLIN), "%s readable", #fd)
/* Vanished: readable for good, POLLOUT gone (the counter at its max). */
#define VANISHED(fd)                         \
	ck_assert_msg(revents(fd) == POLLIN, \
	    "%s: revents %#x, want POLLIN "  \
	    "alone",                         \
	    #fd, (unsigned)revents(fd))

static mach_port_name_t
port_new(mipc_space_t sp)
{
	mach_port_name_t n = MACH_PORT_NULL;

	KR_OK(mipc_port_allocate_init(sp, MIPC_PORT_INIT_MAKE_SEND_RIGHT, &n));
	return n;
}

static int
fd_of(mipc_space_t sp, mach_port_name_t name)
{
	int fd = -1;

	KR_OK(mipc_port_get_fd(sp, name, &fd));
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* ---- a port ---------------------------------------------------------- */

START_TEST(waitfd_level_triggered_until_drained)
{
	mipc_space_t sp;
	mach_port_name_t p;
	msg_buf_t b;
	int fd, i;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	fd = fd_of(sp, p);
	NOT_READABLE(fd);
	for (i = 0; i < 3; i++)
		SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 100 + i);
	/* Level: readable while anything is left, however often polled. */
	for (i = 0; i < 3; i++) {
		READABLE(fd);
		READABLE(fd);
		RECV_OK(sp, &b, p, 0);
		VAL_EQ(b.h.msgh_id, 100 + i);
	}
	NOT_READABLE(fd);
	RECV_EMPTY(sp, p);
	NOT_READABLE(fd);
	/* And again: a second round raises it again. */
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 7);
	READABLE(fd);
	RECV_OK(sp, &b, p, 0);
	NOT_READABLE(fd);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

START_TEST(waitfd_armed_with_messages_queued_is_readable)
{
	mipc_space_t sp;
	mach_port_name_t p;
	msg_buf_t b;
	int fd, fd2, i;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	/* Past the ring (16 slots): the overflow list counts too. */
	set_qlimit(sp, p, 64);
	for (i = 0; i < 40; i++)
		SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, i);
	fd = fd_of(sp, p);
	fd2 = fd_of(sp, p); /* a second caller: another descriptor */
	ck_assert_int_ne(fd, fd2);
	READABLE(fd);
	READABLE(fd2);
	for (i = 0; i < 40; i++) {
		READABLE(fd);
		RECV_OK(sp, &b, p, 0);
	}
	NOT_READABLE(fd);
	NOT_READABLE(fd2);
	/* Closing one copy changes nothing for the other. */
	close(fd);
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	READABLE(fd2);
	close(fd2);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

START_TEST(waitfd_epoll_beside_a_socket)
{
	struct epoll_event ev[4], e = { .events = EPOLLIN };
	mipc_space_t sp;
	mach_port_name_t p;
	msg_buf_t b;
	int ep, fd, sv[2], n;
	char c = 'x';

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	fd = fd_of(sp, p);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(ep, 0);
	e.data.u32 = 1;
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0);
	e.data.u32 = 2;
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e), 0);
	ck_assert_int_eq(epoll_wait(ep, ev, 4, 0), 0);

	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	n = epoll_wait(ep, ev, 4, 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ev[0].data.u32, 1);
	ck_assert_int_eq(write(sv[1], &c, 1), 1);
	ck_assert_int_eq(epoll_wait(ep, ev, 4, 0), 2);
	/* Level-triggered: still both until each is drained. */
	ck_assert_int_eq(epoll_wait(ep, ev, 4, 0), 2);
	RECV_OK(sp, &b, p, 0);
	n = epoll_wait(ep, ev, 4, 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ev[0].data.u32, 2);
	ck_assert_int_eq(read(sv[0], &c, 1), 1);
	ck_assert_int_eq(epoll_wait(ep, ev, 4, 0), 0);
	close(ep);
	close(sv[0]);
	close(sv[1]);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

struct waker {
	mipc_space_t w_sp;
	mach_port_name_t w_port;
	int w_n;
};

static void *
waker_main(void *arg)
{
	struct waker *w = arg;
	int i;

	for (i = 0; i < w->w_n; i++) {
		msg_buf_t b;

		/* Blocking (bounded) when the queue is full. */
		msg_init(&b, MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
		    w->w_port, MACH_PORT_NULL, i);
		MIPC_REQUIRE(
		    mipc_msg(w->w_sp, &b.h, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
		        HDR_SIZE, 0, MACH_PORT_NULL, 10000,
		        MACH_PORT_NULL) == MACH_MSG_SUCCESS,
		    "send %d", i);
	}
	return NULL;
}

/* An event loop in one thread, senders in another: nothing is lost. */
START_TEST(waitfd_epoll_loop_receives_every_message)
{
	struct epoll_event ev, e = { .events = EPOLLIN };
	struct waker w;
	mipc_space_t sp;
	msg_buf_t b;
	pthread_t t;
	int ep, fd, got = 0, idle = 0;

	KR_OK(mipc_space_create(&sp));
	w.w_sp = sp;
	w.w_port = port_new(sp);
	w.w_n = 3000;
	fd = fd_of(sp, w.w_port);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, waker_main, &w), 0);
	while (got < w.w_n && idle < 100) {
		/* Bounded: 100 empty 100 ms waits in a row end the test. */
		if (epoll_wait(ep, &ev, 1, 100) == 0) {
			idle++;
			continue;
		}
		idle = 0;
		while (msg_recv(sp, &b, sizeof(b), w.w_port, 0) ==
		    MACH_MSG_SUCCESS) {
			MIPC_REQUIRE(b.h.msgh_id == got, "message %d is %d",
			    got, b.h.msgh_id);
			got++;
		}
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(got, w.w_n);
	NOT_READABLE(fd);
	close(ep);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

/* An armed descriptor is a waiter that never sleeps: threads still wake. */
START_TEST(waitfd_armed_port_still_wakes_a_blocked_receiver)
{
	struct msg_worker wk;
	mipc_space_t sp;
	mach_port_name_t p;
	int fd;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	fd = fd_of(sp, p);
	worker_recv(&wk, sp, p, 10000);
	worker_start(&wk);
	ck_assert_msg(worker_blocked(&wk), "the receiver never blocked");
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 42);
	KR_EQ(worker_join(&wk), MACH_MSG_SUCCESS);
	VAL_EQ(wk.w_buf.h.msgh_id, 42);
	NOT_READABLE(fd);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

/* ---- vanishing ------------------------------------------------------- */

START_TEST(waitfd_port_destroyed_vanishes)
{
	mipc_space_t sp;
	mach_port_name_t p;
	msg_buf_t b;
	int fd;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	fd = fd_of(sp, p);
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	ck_assert_int_eq(revents(fd), POLLIN | POLLOUT);
	KR_OK(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE, -1));
	VANISHED(fd);
	VANISHED(fd); /* for good */
	ck_assert_int_eq(ipc_waitfd_live(), 0);
	KR_EQ(msg_recv(sp, &b, sizeof(b), p, 0), MACH_RCV_INVALID_NAME);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

START_TEST(waitfd_receive_right_moved_away_vanishes)
{
	mipc_space_t a, c;
	mach_port_name_t p, carrier, got;
	mach_msg_type_name_t t;
	int fd;

	KR_OK(mipc_space_create(&a));
	KR_OK(mipc_space_create(&c));
	p = port_new(a);
	fd = fd_of(a, p);
	/* The receive right leaves a for c (mipc_port_extract_right). */
	KR_OK(mipc_port_extract_right(
	    a, p, MACH_MSG_TYPE_MOVE_RECEIVE, c, &got, &t));
	VANISHED(fd);
	/* In c it is a new right: a new descriptor, which works. */
	carrier = got;
	close(fd);
	fd = fd_of(c, carrier);
	NOT_READABLE(fd);
	KR_OK(mipc_port_insert_right(
	    c, carrier, c, carrier, MACH_MSG_TYPE_MAKE_SEND));
	SEND_OK(c, carrier, MACH_MSG_TYPE_COPY_SEND, 3);
	READABLE(fd);
	KR_OK(mipc_space_destroy(c)); /* the space goes: so does it */
	VANISHED(fd);
	close(fd);
	KR_OK(mipc_space_destroy(a));
}
END_TEST

START_TEST(waitfd_receive_right_sent_in_a_message_vanishes)
{
	mipc_space_t sp;
	mach_port_name_t p, dest;
	mach_msg_port_descriptor_t d;
	mach_msg_size_t size;
	msg_buf_t b;
	int fd;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	dest = port_new(sp);
	fd = fd_of(sp, p);
	d = port_desc(p, MACH_MSG_TYPE_MOVE_RECEIVE);
	size = msg_init_ports(&b, dest, MACH_MSG_TYPE_COPY_SEND, 5, &d, 1);
	KR_EQ(msg_send(sp, &b, size), MACH_MSG_SUCCESS);
	VANISHED(fd);
	close(fd);
	KR_OK(mipc_space_destroy(sp)); /* destroys the message and p */
}
END_TEST

/* ---- a port set -------------------------------------------------------- */

START_TEST(waitfd_set_follows_members_that_come_and_go)
{
	mipc_space_t sp;
	mach_port_name_t set, a, c;
	msg_buf_t b;
	int fd;

	KR_OK(mipc_space_create(&sp));
	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set));
	a = port_new(sp);
	c = port_new(sp);
	fd = fd_of(sp, set);
	NOT_READABLE(fd);
	SEND_OK(sp, a, MACH_MSG_TYPE_COPY_SEND, 1);
	NOT_READABLE(fd); /* a is no member yet */
	KR_OK(mipc_port_insert_member(sp, a, set));
	READABLE(fd); /* a member with a message came */
	KR_OK(mipc_port_extract_member(sp, a, set));
	NOT_READABLE(fd); /* ... and went */
	KR_OK(mipc_port_insert_member(sp, c, set));
	NOT_READABLE(fd); /* an empty member */
	SEND_OK(sp, c, MACH_MSG_TYPE_COPY_SEND, 2);
	READABLE(fd);
	/* A receive through the set drains it. */
	RECV_OK(sp, &b, set, 0);
	VAL_EQ(b.h.msgh_id, 2);
	NOT_READABLE(fd);
	/* A receive on the member itself lowers the set's too. */
	SEND_OK(sp, c, MACH_MSG_TYPE_COPY_SEND, 3);
	READABLE(fd);
	RECV_OK(sp, &b, c, 0);
	NOT_READABLE(fd);
	/* Two members: readable until both are drained. */
	KR_OK(mipc_port_insert_member(sp, a, set)); /* a still holds 1 */
	SEND_OK(sp, c, MACH_MSG_TYPE_COPY_SEND, 4);
	READABLE(fd);
	RECV_OK(sp, &b, a, 0);
	READABLE(fd);
	RECV_OK(sp, &b, set, 0);
	VAL_EQ(b.h.msgh_id, 4);
	NOT_READABLE(fd);
	/* move_member out (no set), and a member destroyed with messages. */
	SEND_OK(sp, a, MACH_MSG_TYPE_COPY_SEND, 5);
	READABLE(fd);
	KR_OK(mipc_port_move_member(sp, a, MACH_PORT_NULL));
	NOT_READABLE(fd);
	SEND_OK(sp, c, MACH_MSG_TYPE_COPY_SEND, 6);
	READABLE(fd);
	KR_OK(mipc_port_mod_refs(sp, c, MACH_PORT_RIGHT_RECEIVE, -1));
	NOT_READABLE(fd);
	/* The set destroyed: the descriptor vanishes. */
	KR_OK(mipc_port_mod_refs(sp, set, MACH_PORT_RIGHT_PORT_SET, -1));
	VANISHED(fd);
	/* a left every set: its dequeues no longer call out. */
	RECV_OK(sp, &b, a, 0);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

/* A port with its own descriptor in a set with another. */
START_TEST(waitfd_port_and_its_set_both_armed)
{
	mipc_space_t sp;
	mach_port_name_t set, p;
	msg_buf_t b;
	int pfd, sfd;

	KR_OK(mipc_space_create(&sp));
	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set));
	p = port_new(sp);
	KR_OK(mipc_port_insert_member(sp, p, set));
	pfd = fd_of(sp, p);
	sfd = fd_of(sp, set);
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	READABLE(pfd);
	READABLE(sfd);
	RECV_OK(sp, &b, set, 0);
	NOT_READABLE(pfd);
	NOT_READABLE(sfd);
	/* The port's destruction vanishes its own, lowers the set's. */
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 2);
	KR_OK(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_RECEIVE, -1));
	VANISHED(pfd);
	NOT_READABLE(sfd);
	close(pfd);
	close(sfd);
	KR_OK(mipc_space_destroy(sp)); /* the set's vanishes here */
}
END_TEST

/* ---- errors and many ---------------------------------------------------- */

START_TEST(waitfd_names_that_receive_nothing)
{
	mipc_space_t sp, gone;
	mach_port_name_t p, dead, so;
	int fd = -7;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	KR_EQ(mipc_port_get_fd(sp, 0x1234567, &fd), KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_fd(sp, MACH_PORT_NULL, &fd), KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_fd(sp, MACH_PORT_DEAD, &fd), KERN_INVALID_NAME);
	KR_EQ(mipc_port_get_fd(sp, p, NULL), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_port_get_fd(NULL, p, &fd), MACH_SEND_INVALID_DEST);
	/* A send right (in another space), a send-once right, a dead name. */
	KR_OK(mipc_space_create(&gone));
	KR_OK(mipc_port_insert_right(gone, p, sp, p, MACH_MSG_TYPE_MAKE_SEND));
	KR_EQ(mipc_port_get_fd(gone, p, &fd), KERN_INVALID_RIGHT);
	so = MACH_PORT_NULL;
	{
		mach_msg_type_name_t t;

		KR_OK(mipc_port_extract_right(
		    sp, p, MACH_MSG_TYPE_MAKE_SEND_ONCE, gone, &so, &t));
	}
	KR_EQ(mipc_port_get_fd(gone, so, &fd), KERN_INVALID_RIGHT);
	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	KR_EQ(mipc_port_get_fd(sp, dead, &fd), KERN_INVALID_RIGHT);
	ck_assert_int_eq(fd, -7); /* untouched on failure */
	KR_OK(mipc_space_destroy(gone));
	KR_EQ(mipc_port_get_fd(gone, p, &fd), KERN_INVALID_TASK);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

#define MANY 300

START_TEST(waitfd_many_descriptors)
{
	static mach_port_name_t p[MANY];
	static int fd[MANY];
	mipc_space_t sp;
	msg_buf_t b;
	int i;

	KR_OK(mipc_space_create(&sp));
	for (i = 0; i < MANY; i++) {
		p[i] = port_new(sp);
		fd[i] = fd_of(sp, p[i]);
	}
	ck_assert_int_eq(ipc_waitfd_live(), MANY);
	for (i = 0; i < MANY; i += 3)
		SEND_OK(sp, p[i], MACH_MSG_TYPE_COPY_SEND, i);
	for (i = 0; i < MANY; i++)
		ck_assert_msg(!!(revents(fd[i]) & POLLIN) == (i % 3 == 0),
		    "descriptor %d readable: %d", i, revents(fd[i]) & POLLIN);
	for (i = 0; i < MANY; i += 3) {
		RECV_OK(sp, &b, p[i], 0);
		VAL_EQ(b.h.msgh_id, i);
	}
	for (i = 0; i < MANY; i++)
		NOT_READABLE(fd[i]);
	/* Half go with their ports, the rest with the space. */
	for (i = 0; i < MANY; i += 2)
		KR_OK(
		    mipc_port_mod_refs(sp, p[i], MACH_PORT_RIGHT_RECEIVE, -1));
	ck_assert_int_eq(ipc_waitfd_live(), MANY / 2);
	KR_OK(mipc_space_destroy(sp));
	for (i = 0; i < MANY; i++) {
		VANISHED(fd[i]);
		close(fd[i]);
	}
}
END_TEST

START_TEST(waitfd_counts_its_signals)
{
	struct mipc_stats s0, s1;
	mipc_space_t sp;
	mach_port_name_t p;
	msg_buf_t b;
	int fd, i;

	KR_OK(mipc_space_create(&sp));
	p = port_new(sp);
	fd = fd_of(sp, p);
	mipc_get_stats(&s0);
	/* Five messages in a row: one write, not five. */
	for (i = 0; i < 5; i++)
		SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, i);
	for (i = 0; i < 5; i++)
		RECV_OK(sp, &b, p, 0);
	mipc_get_stats(&s1);
	ck_assert_uint_eq(s1.fd_signals - s0.fd_signals, 1);
	close(fd);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

static Suite *
waitfd_suite(void)
{
	Suite *s = suite_create("waitfd");
	TCase *tc = mipc_tcase("port_get_fd");

	tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, waitfd_level_triggered_until_drained);
	tcase_add_test(tc, waitfd_armed_with_messages_queued_is_readable);
	tcase_add_test(tc, waitfd_epoll_beside_a_socket);
	tcase_add_test(tc, waitfd_epoll_loop_receives_every_message);
	tcase_add_test(tc, waitfd_armed_port_still_wakes_a_blocked_receiver);
	tcase_add_test(tc, waitfd_port_destroyed_vanishes);
	tcase_add_test(tc, waitfd_receive_right_moved_away_vanishes);
	tcase_add_test(tc, waitfd_receive_right_sent_in_a_message_vanishes);
	tcase_add_test(tc, waitfd_set_follows_members_that_come_and_go);
	tcase_add_test(tc, waitfd_port_and_its_set_both_armed);
	tcase_add_test(tc, waitfd_names_that_receive_nothing);
	tcase_add_test(tc, waitfd_many_descriptors);
	tcase_add_test(tc, waitfd_counts_its_signals);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(waitfd_suite)
