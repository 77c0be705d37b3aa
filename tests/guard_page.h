/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guard_page.h -- buffers that touch a PROT_NONE page, for every test
 * tier: a read or write one byte past (or before) what the caller handed
 * mipc faults at once.  ASan cannot catch "read before validated" bugs
 * (an entry point that reads msgh_remote_port of a 12-byte message reads
 * the caller's stack or heap, which ASan thinks is fine); a guard page
 * can, and a fault is what a hostile caller would turn into a crash.
 *
 *   guard_tail(n)   n bytes ending exactly at a PROT_NONE page
 *   guard_head(n)   n bytes starting right after a PROT_NONE page
 *   guard_free(p)   release either
 *
 * Each buffer is its own mapping: [guard][data pages] for a head buffer,
 * [data pages][guard] for a tail buffer.  The data bytes are zeroed.  A
 * head buffer is page-aligned; a tail buffer starts at (page end - n), so
 * its alignment follows n (n % 8 == 4: 4-aligned).  Misaligned starts
 * (MACH.md: a header misaligned by 1-7 bytes is legal input) come from
 * guard_head(n + k) + k, or guard_tail(n) with n not a multiple of 8.
 *
 * Everything is static: each suite gets its own bookkeeping (Check forks
 * each test, so nothing leaks between tests).
 */
#ifndef MIPC_TESTS_GUARD_PAGE_H
#define MIPC_TESTS_GUARD_PAGE_H

#include <check.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_MAX 64 /* buffers live at once, per test */

static struct guard_map {
	char *gm_map;  /* the mapping, guard page included; NULL: free */
	size_t gm_len; /* its length */
	char *gm_lo;   /* lowest data address handed out */
	char *gm_hi;   /* one past the highest */
} guard_maps[GUARD_MAX];

static inline size_t
guard_pagesize(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static inline struct guard_map *
guard_slot(void)
{
	int i;

	for (i = 0; i < GUARD_MAX; i++)
		if (guard_maps[i].gm_map == NULL)
			return &guard_maps[i];
	ck_abort_msg("guard_page.h: more than %d buffers live", GUARD_MAX);
	return NULL;
}

/* One mapping of data pages for n bytes plus one guard page. */
static inline char *
guard_map_new(size_t n, struct guard_map **gp)
{
	size_t pg = guard_pagesize();
	size_t data = (n + pg - 1) / pg * pg;
	struct guard_map *g = guard_slot();
	char *m;

	if (data == 0)
		data = pg;
	m = mmap(NULL, data + pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_msg(m != MAP_FAILED, "guard_page.h: mmap failed");
	g->gm_map = m;
	g->gm_len = data + pg;
	*gp = g;
	return m;
}

/* n bytes whose last byte is the last before a PROT_NONE page. */
static inline void *
guard_tail(size_t n)
{
	size_t pg = guard_pagesize();
	struct guard_map *g;
	char *m = guard_map_new(n, &g);
	char *guard = m + g->gm_len - pg;

	ck_assert_msg(mprotect(guard, pg, PROT_NONE) == 0,
	    "guard_page.h: mprotect failed");
	g->gm_lo = guard - n;
	g->gm_hi = guard;
	return g->gm_lo;
}

/* n bytes whose first byte is the first after a PROT_NONE page. */
static inline void *
guard_head(size_t n)
{
	size_t pg = guard_pagesize();
	struct guard_map *g;
	char *m = guard_map_new(n, &g);

	ck_assert_msg(
	    mprotect(m, pg, PROT_NONE) == 0, "guard_page.h: mprotect failed");
	g->gm_lo = m + pg;
	g->gm_hi = m + pg + n;
	return g->gm_lo;
}

/* Release a buffer from guard_tail or guard_head (any pointer into it). */
static inline void
guard_free(void *p)
{
	char *c = p;
	int i;

	for (i = 0; i < GUARD_MAX; i++) {
		struct guard_map *g = &guard_maps[i];

		if (g->gm_map != NULL && c >= g->gm_lo && c <= g->gm_hi) {
			ck_assert_msg(munmap(g->gm_map, g->gm_len) == 0,
			    "guard_page.h: munmap failed");
			memset(g, 0, sizeof(*g));
			return;
		}
	}
	ck_abort_msg("guard_page.h: %p is no guard buffer", p);
}

/* A copy of `len` bytes of src in a fresh guard_tail buffer. */
static inline void *
guard_tail_copy(const void *src, size_t len)
{
	void *p = guard_tail(len);

	memcpy(p, src, len);
	return p;
}

#endif /* MIPC_TESTS_GUARD_PAGE_H */
