/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qemu_user.c -- what qemu-user lacks, supplied to `make test-aarch64`'s
 * binaries only (linked with -Wl,--wrap=process_vm_readv).
 *
 * core/kmsg.c reads out-of-line memory it does not own with
 * process_vm_readv on its own pid, so that a bad address is
 * MACH_SEND_INVALID_MEMORY instead of a crash.  qemu-user (7.2) does not
 * implement that system call (ENOSYS), so without this every such send
 * would fail there.  The wrapper passes every call through and, only when
 * the kernel answers ENOSYS for a read of this very process, copies through
 * a pipe instead: write(2) from the source reads it with the same safety
 * (EFAULT or a short count on an unmapped page, never a fault), and the
 * result is the same partial count process_vm_readv would return.  On real
 * hardware the system call exists and the wrapper changes nothing.
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

/* Copy n bytes from src to dst through the pipe fds; bytes copied. */
static size_t
pipe_copy(int fds[2], char *dst, const char *src, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t want = n - done < CHUNK ? n - done : CHUNK;
		ssize_t w = write(fds[1], src + done, want), r, got = 0;

		if (w <= 0)
			break;
		while (got < w) {
			r = read(fds[0], dst + done + got, (size_t)(w - got));
			if (r <= 0)
				return done + (size_t)got;
			got += r;
		}
		done += (size_t)w;
		if ((size_t)w < want)
			break;
	}
	return done;
}

ssize_t
__wrap_process_vm_readv(pid_t pid, const struct iovec *local,
    unsigned long liovcnt, const struct iovec *remote, unsigned long riovcnt,
    unsigned long flags)
{
	ssize_t n = __real_process_vm_readv(
	    pid, local, liovcnt, remote, riovcnt, flags);
	int fds[2], saved;
	size_t got;

	if (n >= 0 || errno != ENOSYS || pid != getpid())
		return n;
	/* The one shape core/ uses: one local and one remote iovec. */
	if (liovcnt != 1 || riovcnt != 1 || flags != 0 ||
	    local->iov_len < remote->iov_len) {
		errno = ENOSYS;
		return -1;
	}
	if (pipe(fds) != 0)
		return -1;
	got =
	    pipe_copy(fds, local->iov_base, remote->iov_base, remote->iov_len);
	saved = errno;
	close(fds[0]);
	close(fds[1]);
	if (got == 0 && remote->iov_len != 0) {
		errno = saved == 0 ? EFAULT : saved;
		return -1;
	}
	return (ssize_t)got;
}
