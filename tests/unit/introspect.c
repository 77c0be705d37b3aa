/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * introspect.c -- tests of what a person reads about mipc (issue 17):
 * the versioned mipc_get_stats and its counters (core/thread.c),
 * mipc_space_dump (core/introspect.c) parsed field by field, and the
 * MIPC_DEBUG=leaks report, read from a child process (this very binary,
 * re-executed with MIPC_DEBUG=leaks and a scenario to run).
 *
 * Includes core/internal.h for ipc_debug_leaks.
 */
#include "check_mipc.h"
#include "conformance/turnstile_helpers.h"

#include "internal.h"

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- mipc_get_stats ------------------------------------------------------ */

START_TEST(stats_versioned_by_size)
{
	struct mipc_stats full, *small;
	unsigned char buf[sizeof(struct mipc_stats) + 64];

	/* The macro sets the size: the whole struct, this version. */
	memset(&full, 0xee, sizeof(full));
	KR_OK(mipc_get_stats(&full));
	VAL_EQ(full.size, sizeof(full));
	VAL_EQ(full.version, MIPC_STATS_VERSION);
	/* An older caller's struct: only the fields it knows are written. */
	memset(buf, 0xee, sizeof(buf));
	small = (struct mipc_stats *)(void *)buf;
	small->size = MIPC_STATS_SIZE_MIN;
	KR_OK((mipc_get_stats)(small));
	VAL_EQ(small->size, MIPC_STATS_SIZE_MIN);
	ck_assert_uint_eq(buf[MIPC_STATS_SIZE_MIN], 0xee);
	ck_assert_uint_eq(
	    offsetof(struct mipc_stats, msgs_sent), MIPC_STATS_SIZE_MIN);
	/* A newer caller's: ours filled, the rest zeroed, size says ours. */
	memset(buf, 0xee, sizeof(buf));
	small->size = sizeof(buf);
	KR_OK((mipc_get_stats)(small));
	VAL_EQ(small->size, sizeof(struct mipc_stats));
	ck_assert_uint_eq(buf[sizeof(struct mipc_stats)], 0);
	ck_assert_uint_eq(buf[sizeof(buf) - 1], 0);
	/* Too small to be a struct mipc_stats at all. */
	small->size = 8;
	KR_EQ((mipc_get_stats)(small), KERN_INVALID_ARGUMENT);
	KR_EQ((mipc_get_stats)(NULL), KERN_INVALID_ARGUMENT);
	KR_EQ(mipc_get_stats(NULL), KERN_INVALID_ARGUMENT);
}
END_TEST

static void
sender_thread_body(struct actor *a)
{
	mach_port_name_t dest = a->a_dest;
	int i;

	for (i = 0; i < 10; i++)
		MIPC_REQUIRE(send_to(a->a_space, dest, MACH_MSG_TYPE_COPY_SEND,
		                 i) == MACH_MSG_SUCCESS,
		    "send %d", i);
}

START_TEST(stats_count_messages_bytes_and_exited_threads)
{
	mipc_space_t sp;
	struct mipc_stats s0, s1;
	struct actor a;
	mach_port_name_t p;
	msg_buf_t b;
	int i;

	KR_OK(mipc_space_create(&sp));
	p = tport_new(sp, 16);
	mipc_get_stats(&s0);
	/* Another thread sends ten 24-byte messages, then exits. */
	actor_init(&a, ACT_FN, -1);
	a.a_fn = sender_thread_body;
	a.a_space = sp;
	a.a_dest = p;
	actor_start(&a);
	(void)WAIT_DONE(&a);
	actor_end(&a);
	for (i = 0; i < 10; i++)
		RECV_OK(sp, &b, p, 0);
	mipc_get_stats(&s1);
	ck_assert_uint_eq(s1.msgs_sent - s0.msgs_sent, 10);
	ck_assert_uint_eq(s1.bytes_sent - s0.bytes_sent, 10 * HDR_SIZE);
	ck_assert_uint_eq(s1.msgs_received - s0.msgs_received, 10);
	ck_assert_uint_eq(s1.bytes_received - s0.bytes_received, 10 * HDR_SIZE);
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

START_TEST(stats_count_blocks_wakes_and_slow_paths)
{
	struct mipc_stats s0, s1;
	struct actor r;
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);

	mipc_get_stats(&s0);
	actor_init(&r, ACT_RECV, -1);
	r.a_rcv = p;
	actor_start(&r);
	WAIT_BLOCKED(&r, MIPC_WAIT_RECEIVE);
	ck_assert(wait_sleeping(r.a_tid)); /* past its spin, in futex() */
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	VAL_EQ(WAIT_DONE(&r), MACH_MSG_SUCCESS);
	mipc_get_stats(&s1);
	/* The receiver waited (slow), slept (block), and was woken. */
	ck_assert_uint_ge(s1.slow_paths - s0.slow_paths, 1);
	ck_assert_uint_ge(s1.blocks - s0.blocks, 1);
	ck_assert_uint_ge(s1.wakes - s0.wakes, 1);
	actor_end(&r);
	KR_OK(mipc_port_destroy(sp, p));
}
END_TEST

START_TEST(stats_count_notifications_and_guards)
{
	struct mipc_stats s0, s1;
	mipc_space_t sp = mipc_thread_space();
	mach_port_name_t p = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);
	mach_port_name_t nport = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);
	mach_port_name_t prev = MACH_PORT_NULL;
	msg_buf_t b;

	mipc_get_stats(&s0);
	/* A no-senders notification: armed, then the send right goes. */
	KR_OK(mipc_port_request_notification(sp, p, MACH_NOTIFY_NO_SENDERS, 0,
	    nport, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(mipc_port_mod_refs(sp, p, MACH_PORT_RIGHT_SEND, -1));
	RECV_OK(sp, &b, nport, 0);
	VAL_EQ(b.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
	/* A guard exception: an unguard with the wrong guard. */
	KR_OK(mipc_port_guard(sp, p, 0x1234, 0));
	KR_EQ(mipc_port_unguard(sp, p, 0x4321), KERN_INVALID_ARGUMENT);
	mipc_get_stats(&s1);
	ck_assert_uint_eq(s1.notifications - s0.notifications, 1);
	ck_assert_uint_eq(s1.guard_exceptions - s0.guard_exceptions, 1);
	KR_OK(mipc_port_unguard(sp, p, 0x1234));
	KR_OK(mipc_port_destroy(sp, p));
	KR_OK(mipc_port_destroy(sp, nport));
}
END_TEST

/* ---- mipc_space_dump ------------------------------------------------------ */

#define DUMP_MAX 64

struct dump_line {
	char f[12][256]; /* the twelve fields */
	int nf;
};

struct dump {
	unsigned serial;
	char state[16];
	unsigned names;
	int n;
	struct dump_line l[DUMP_MAX];
};

/* Dump sp into memory and split it into lines and fields. */
static void
dump_parse(mipc_space_t sp, struct dump *d, kern_return_t want)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	void *addr;
	int k;

	ck_assert_ptr_nonnull(m);
	KR_EQ(mipc_space_dump(sp, m), want);
	fclose(m);
	memset(d, 0, sizeof(*d));
	line = strtok_r(buf, "\n", &save);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(sscanf(line, "mipc space #%u %p %15s names %u",
	                     &d->serial, &addr, d->state, &d->names),
	    4);
	line = strtok_r(NULL, "\n", &save);
	if (line != NULL)
		ck_assert_str_eq(line,
		    "name rights urefs msgs qlimit seqno srights sorights reqs "
		    "flags blocked detail");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *f, *fs = NULL;

		ck_assert_int_lt(d->n, DUMP_MAX);
		for (f = strtok_r(line, " ", &fs), k = 0; f != NULL && k < 12;
		     f = strtok_r(NULL, " ", &fs), k++)
			snprintf(
			    d->l[d->n].f[k], sizeof(d->l[d->n].f[k]), "%s", f);
		ck_assert_msg(k == 12 && f == NULL, "a line of %d fields", k);
		d->l[d->n].nf = k;
		d->n++;
	}
	free(buf);
}

static const struct dump_line *
dump_find(const struct dump *d, mach_port_name_t name)
{
	char s[16];
	int i;

	snprintf(s, sizeof(s), "0x%08x", name);
	for (i = 0; i < d->n; i++)
		if (strcmp(d->l[i].f[0], s) == 0)
			return &d->l[i];
	ck_abort_msg("name %s not in the dump", s);
	return NULL;
}

/* Field i of name's line is `want`. */
#define FIELD_EQ(d, name, i, want) \
	ck_assert_str_eq(dump_find((d), (name))->f[i], (want))

START_TEST(dump_every_name_with_its_state)
{
	mipc_space_t sp, other;
	struct dump d;
	struct actor r;
	mach_port_name_t p, set, dead, remote, so, q;
	mach_port_name_t prev = MACH_PORT_NULL;
	mach_msg_type_name_t t;
	char want[64];

	KR_OK(mipc_space_create(&sp));
	KR_OK(mipc_space_create(&other));
	/* p: receive + send, 2 queued of qlimit 3, a no-senders request. */
	p = tport_new(sp, 3);
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 1);
	SEND_OK(sp, p, MACH_MSG_TYPE_COPY_SEND, 2);
	q = tport_new(sp, MACH_PORT_QLIMIT_DEFAULT);
	KR_OK(mipc_port_request_notification(sp, p, MACH_NOTIFY_NO_SENDERS, 0,
	    q, MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	/* set: holds q, a thread blocked receiving on it. */
	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_PORT_SET, &set));
	KR_OK(mipc_port_insert_member(sp, q, set));
	/* remote: a send right to a port of other; so: a send-once right. */
	remote = tport_new(other, MACH_PORT_QLIMIT_DEFAULT);
	KR_OK(mipc_port_insert_right(
	    sp, remote, other, remote, MACH_MSG_TYPE_COPY_SEND));
	KR_OK(mipc_port_extract_right(
	    other, remote, MACH_MSG_TYPE_MAKE_SEND_ONCE, sp, &so, &t));
	KR_OK(mipc_port_allocate(sp, MACH_PORT_RIGHT_DEAD_NAME, &dead));
	actor_init(&r, ACT_RECV, -1);
	r.a_space = sp;
	r.a_rcv = set;
	actor_start(&r);
	WAIT_BLOCKED(&r, MIPC_WAIT_RECEIVE);

	dump_parse(sp, &d, KERN_SUCCESS);
	ck_assert_str_eq(d.state, "active");
	VAL_EQ(d.names, 6);
	VAL_EQ(d.n, 6);
	FIELD_EQ(&d, p, 1, "recv,send");
	FIELD_EQ(&d, p, 2, "1");
	FIELD_EQ(&d, p, 3, "2"); /* msgs */
	FIELD_EQ(&d, p, 4, "3"); /* qlimit */
	FIELD_EQ(&d, p, 5, "0"); /* seqno */
	FIELD_EQ(&d, p, 6, "3"); /* srights: the name's, and 2 queued */
	FIELD_EQ(&d, p, 7, "0"); /* sorights */
	FIELD_EQ(&d, p, 8, "-N-");
	FIELD_EQ(&d, p, 10, "-");
	FIELD_EQ(&d, q, 7, "1"); /* the request's send-once right */
	FIELD_EQ(&d, set, 1, "set");
	snprintf(want, sizeof(want), "rcv:%d", (int)r.a_tid);
	FIELD_EQ(&d, set, 10, want);
	snprintf(want, sizeof(want), "members=0x%08x", q);
	FIELD_EQ(&d, set, 11, want);
	FIELD_EQ(&d, remote, 1, "send");
	FIELD_EQ(&d, remote, 3, "-");
	snprintf(want, sizeof(want), "dest=#%u:0x%08x", 0u, remote);
	{
		struct dump od;

		dump_parse(other, &od, KERN_SUCCESS);
		snprintf(
		    want, sizeof(want), "dest=#%u:0x%08x", od.serial, remote);
		FIELD_EQ(&od, remote, 7, "1"); /* the send-once right */
	}
	FIELD_EQ(&d, remote, 11, want);
	FIELD_EQ(&d, so, 1, "sonce");
	FIELD_EQ(&d, so, 11, want);
	FIELD_EQ(&d, dead, 1, "dead");
	FIELD_EQ(&d, dead, 11, "-");

	/* The receiver takes a message: no longer blocked, one fewer. */
	SEND_OK(sp, q, MACH_MSG_TYPE_MAKE_SEND, 9);
	VAL_EQ(WAIT_DONE(&r), MACH_MSG_SUCCESS);
	mipc_msg_destroy(sp, &r.a_buf.h);
	dump_parse(sp, &d, KERN_SUCCESS);
	FIELD_EQ(&d, set, 10, "-");
	actor_end(&r);
	KR_OK(mipc_space_destroy(other));
	/* The send right's port died: a dead name now. */
	dump_parse(sp, &d, KERN_SUCCESS);
	FIELD_EQ(&d, remote, 1, "dead");
	KR_OK(mipc_space_destroy(sp));
	dump_parse(sp, &d, KERN_INVALID_TASK);
	ck_assert_str_eq(d.state, "destroyed");
	KR_EQ(mipc_space_dump(NULL, stdout), MACH_SEND_INVALID_DEST);
	KR_EQ(mipc_space_dump(sp, NULL), KERN_INVALID_ARGUMENT);
}
END_TEST

/* A blocked sender shows on the receive right and on its own send right. */
START_TEST(dump_shows_blocked_senders)
{
	mipc_space_t sp, cl;
	struct dump d;
	struct actor h;
	mach_port_name_t p;
	char want[32];

	KR_OK(mipc_space_create(&sp));
	KR_OK(mipc_space_create(&cl));
	p = tport_new(sp, 1);
	KR_OK(mipc_port_insert_right(cl, p, sp, p, MACH_MSG_TYPE_MAKE_SEND));
	tport_fill(sp, p, 1);
	actor_send(&h, -1, cl, p, 2, 0);
	WAIT_BLOCKED(&h, MIPC_WAIT_SEND_FULL);
	snprintf(want, sizeof(want), "snd:%d", (int)h.a_tid);
	dump_parse(sp, &d, KERN_SUCCESS);
	FIELD_EQ(&d, p, 10, want);
	FIELD_EQ(&d, p, 3, "1");
	dump_parse(cl, &d, KERN_SUCCESS);
	FIELD_EQ(&d, p, 10, want);
	VAL_EQ(tport_take(sp, p), 1);
	VAL_EQ(WAIT_DONE(&h), MACH_MSG_SUCCESS);
	VAL_EQ(tport_take(sp, p), 2);
	actor_end(&h);
	KR_OK(mipc_space_destroy(cl));
	KR_OK(mipc_space_destroy(sp));
}
END_TEST

/* ---- MIPC_DEBUG=leaks ------------------------------------------------------ */

#define LEAK_CHILD_ENV "MIPC_TEST_LEAK_CHILD"

/*
 * The child's scenarios (run by main before Check): "port" leaks a space
 * holding one receive right and prints its name; "task" the same in the
 * default space; "none" cleans up.
 */
static int
leak_child(const char *what)
{
	mipc_space_t sp;
	mach_port_name_t p;

	if (strcmp(what, "task") == 0) {
		if (mach_port_allocate(mach_task_self(),
		        MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
			return 2;
		printf("0x%08x\n", p);
		return 0;
	}
	if (mipc_space_create(&sp) != KERN_SUCCESS ||
	    mipc_port_allocate(sp, MACH_PORT_RIGHT_RECEIVE, &p) != KERN_SUCCESS)
		return 2;
	printf("0x%08x\n", p);
	fflush(stdout);
	if (strcmp(what, "none") == 0) {
		mipc_space_destroy(sp);
		mipc_quiesce();
	}
	return 0;
}

/* Run this binary as a child with env; its stdout and stderr. */
static void
run_child(const char *scenario, bool leaks, char *out, size_t outsz, char *err,
    size_t errsz)
{
	char *argv[] = { "introspect", NULL };
	char env_child[64], *envp[4];
	int po[2], pe[2], st, n = 0;
	posix_spawn_file_actions_t fa;
	size_t got;
	pid_t pid;
	FILE *f;

	snprintf(env_child, sizeof(env_child), LEAK_CHILD_ENV "=%s", scenario);
	envp[n++] = env_child;
	if (leaks)
		envp[n++] = "MIPC_DEBUG=leaks";
	envp[n++] = "ASAN_OPTIONS=detect_leaks=0"; /* leaks on purpose */
	envp[n] = NULL;
	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	posix_spawn_file_actions_addclose(&fa, po[0]);
	posix_spawn_file_actions_addclose(&fa, pe[0]);
	ck_assert_int_eq(
	    posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	f = fdopen(po[0], "r");
	got = fread(out, 1, outsz - 1, f);
	out[got] = '\0';
	fclose(f);
	f = fdopen(pe[0], "r");
	got = fread(err, 1, errsz - 1, f);
	err[got] = '\0';
	fclose(f);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the child failed (status %#x): %s", st, err);
}

START_TEST(leaks_report_names_the_leaked_port)
{
	static char out[256], err[16384];
	char want[128];
	unsigned name;

	/* Here, unset: the hooks cost a load and nothing else. */
	ck_assert(!ipc_debug_leaks);
	run_child("port", true, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(sscanf(out, "%x", &name), 1);
	ck_assert_msg(strstr(err, "live at exit: 1 spaces, 1 ports") != NULL,
	    "no counts in: %s", err);
	snprintf(
	    want, sizeof(want), "receive right name 0x%08x in space #", name);
	ck_assert_msg(strstr(err, want) != NULL, "port 0x%08x not named in: %s",
	    name, err);
	ck_assert_msg(strstr(err, "mipc: leak: space #") != NULL,
	    "space not listed in: %s", err);
	ck_assert_msg(strstr(err, "made at:") != NULL, "no stack in: %s", err);
	ck_assert_msg(strstr(err, "2 objects listed") != NULL,
	    "not exactly the space and the port: %s", err);
}
END_TEST

START_TEST(leaks_report_says_which_space_is_the_default)
{
	static char out[256], err[16384];
	char want[128];
	unsigned name;

	run_child("task", true, out, sizeof(out), err, sizeof(err));
	ck_assert_int_eq(sscanf(out, "%x", &name), 1);
	ck_assert_msg(
	    strstr(err, "(the default space, mach_task_self)") != NULL, "%s",
	    err);
	snprintf(want, sizeof(want), "receive right name 0x%08x", name);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
}
END_TEST

START_TEST(leaks_report_quiet_when_nothing_leaks_or_unset)
{
	static char out[256], err[16384];

	run_child("none", true, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(strstr(err, "live at exit: 0 spaces, 0 ports") != NULL,
	    "counts: %s", err);
	ck_assert_msg(strstr(err, "0 objects listed") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "mipc: leak:") == NULL, "%s", err);
	/* Without MIPC_DEBUG: no report at all, leak or not. */
	run_child("port", false, out, sizeof(out), err, sizeof(err));
	ck_assert_msg(strstr(err, "mipc:") == NULL, "unasked report: %s", err);
}
END_TEST

static Suite *
introspect_suite(void)
{
	Suite *s = suite_create("introspect");
	TCase *st = conf_tcase("stats");
	TCase *du = mipc_tcase("dump");
	TCase *lk = mipc_tcase("leaks");

	tcase_add_test(st, stats_versioned_by_size);
	tcase_add_test(st, stats_count_messages_bytes_and_exited_threads);
	tcase_add_test(st, stats_count_blocks_wakes_and_slow_paths);
	tcase_add_test(st, stats_count_notifications_and_guards);
	suite_add_tcase(s, st);
	tcase_set_timeout(du, 60);
	tcase_add_test(du, dump_every_name_with_its_state);
	tcase_add_test(du, dump_shows_blocked_senders);
	suite_add_tcase(s, du);
	tcase_set_timeout(lk, 60);
	/* Each case runs this binary again through /proc/self/exe, which
	 * under qemu-user is qemu itself: not in test-aarch64. */
	tcase_set_tags(lk, "reexec");
	tcase_add_test(lk, leaks_report_names_the_leaked_port);
	tcase_add_test(lk, leaks_report_says_which_space_is_the_default);
	tcase_add_test(lk, leaks_report_quiet_when_nothing_leaks_or_unset);
	suite_add_tcase(s, lk);
	return s;
}

int
main(void)
{
	const char *child = getenv(LEAK_CHILD_ENV);
	SRunner *sr;
	int nf;

	if (child != NULL)
		return leak_child(child);
	sr = srunner_create(introspect_suite());
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
