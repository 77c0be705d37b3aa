/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qemu_user.c -- what qemu-user lacks, supplied to `make test-aarch64`'s
 * binaries only (linked with -Wl,--wrap=process_vm_readv).
 *
 * core/ reads memory it does not own with process_vm_readv on its own pid
 * (vm.c: out-of-line data; bootstrap.c: a service name, split at a page
 * boundary), so that a bad address is an error code instead of a crash.
 * qemu-user (7.2) does not implement that system call (ENOSYS).  vm.c then
 * copies through a pipe of its own, but bootstrap.c's fallback trusts the
 * pointer, and bootstrap_name_at_an_unreadable_page dies of SIGSEGV.  The
 * wrapper passes every call through and, only when the kernel answers
 * ENOSYS for this very process, copies each remote iovec through a pipe
 * instead: write(2) from the source reads it with the same safety (EFAULT
 * or a short count on an unmapped page, never a fault).  As the system
 * call does, it counts whole remote iovecs only, stops at the first one it
 * cannot read, and fails with EFAULT when that is the first.  So under
 * qemu-user core/ runs its process_vm_readv paths, as on hardware, where
 * the call exists and nothing changes; vm.c's own fallback does not run.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t __real_process_vm_readv(pid_t pid, const struct iovec *local,
    unsigned long liovcnt, const struct iovec *remote, unsigned long riovcnt,
    unsigned long flags);
ssize_t __wrap_process_vm_readv(pid_t pid, const struct iovec *local,
    unsigned long liovcnt, const struct iovec *remote, unsigned long riovcnt,
    unsigned long flags);

enum { CHUNK = 4096 }; /* below the smallest pipe buffer: never blocks */

/* Where the next byte goes: local[li] at offset off. */
struct cursor {
	const struct iovec *iov;
	unsigned long n, li;
	size_t off;
};

/* Room at the cursor (0: every local iovec is full). */
static size_t
room(struct cursor *c)
{
	while (c->li < c->n && c->off == c->iov[c->li].iov_len) {
		c->li++;
		c->off = 0;
	}
	return c->li < c->n ? c->iov[c->li].iov_len - c->off : 0;
}

/*
 * Copy n bytes through the pipe to the cursor, counting them in *done:
 * 1 all of them, 0 a fault, -1 the local iovecs are full.
 */
static int
copy_one(
    int fds[2], struct cursor *c, const char *src, size_t n, size_t *done_out)
{
	size_t done = 0;

	while (done < n) {
		size_t want = room(c), got = 0;
		ssize_t w, r;

		*done_out = done;
		if (want == 0)
			return -1;
		if (want > n - done)
			want = n - done;
		if (want > CHUNK)
			want = CHUNK;
		w = write(fds[1], src + done, want);
		if (w <= 0)
			return 0;
		while (got < (size_t)w) {
			r = read(fds[0],
			    (char *)c->iov[c->li].iov_base + c->off + got,
			    (size_t)w - got);
			if (r <= 0)
				return 0;
			got += (size_t)r;
		}
		c->off += got;
		done += got;
		*done_out = done;
		if ((size_t)w < want)
			return 0;
	}
	return 1;
}

ssize_t
__wrap_process_vm_readv(pid_t pid, const struct iovec *local,
    unsigned long liovcnt, const struct iovec *remote, unsigned long riovcnt,
    unsigned long flags)
{
	ssize_t n = __real_process_vm_readv(
	    pid, local, liovcnt, remote, riovcnt, flags);
	struct cursor c = { local, liovcnt, 0, 0 };
	unsigned long ri;
	size_t total = 0;
	int fds[2], rc = 1;

	if (n >= 0 || errno != ENOSYS || pid != getpid())
		return n;
	if (flags != 0) {
		errno = EINVAL;
		return -1;
	}
	if (pipe(fds) != 0)
		return -1;
	for (ri = 0; ri < riovcnt && rc == 1; ri++) {
		size_t done = 0;

		rc = copy_one(
		    fds, &c, remote[ri].iov_base, remote[ri].iov_len, &done);
		if (rc != 0) /* whole, or as much as the local iovecs took */
			total += done;
	}
	close(fds[0]);
	close(fds[1]);
	if (rc == 0 && total == 0) {
		errno = EFAULT;
		return -1;
	}
	return (ssize_t)total;
}
