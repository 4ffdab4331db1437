// Small C bridges for Linux calls that Swift's Glibc module does not expose.
#ifndef GVISOR_CSHIM_H
#define GVISOR_CSHIM_H

#include <sys/types.h>

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process.
int cshim_set_child_subreaper(void);

/// prctl(PR_SET_PDEATHSIG, sig) in the calling process.
int cshim_set_pdeathsig(int sig);

/// The pid of a connected unix socket's peer (SO_PEERCRED), or -1.
pid_t cshim_peer_pid(int fd);

/// posix_spawn's POSIX_SPAWN_SETSID flag (glibc 2.26+), which Swift's Glibc module does not export.
short cshim_posix_spawn_setsid(void);

/// Bytes waiting to be read from a pipe or FIFO (FIONREAD), or -1.
int cshim_pending_bytes(int fd);

/// Accepts one connection on `listener` (waiting up to `timeout_ms`) and returns the descriptor the peer sent
/// with SCM_RIGHTS (runsc's `--console-socket` protocol for a pty master), or -1 with errno set.
int cshim_receive_fd(int listener, int timeout_ms);

/// ioctl(TIOCSWINSZ): sets a terminal's size.
int cshim_set_window_size(int fd, unsigned short rows, unsigned short columns);

/// fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate.
int cshim_dup_cloexec(int fd);

/// A non-blocking, close-on-exec eventfd (cgroup v1 OOM notifications).
int cshim_eventfd(void);

/// A non-blocking inotify descriptor watching `path` for IN_MODIFY (cgroup v2 `memory.events`).
int cshim_inotify_modify(const char *path);

/// mount(2) with relative paths in `data` resolved against `directory`: on a new thread that unshares its
/// filesystem context (CLONE_FS) and changes directory there, so the process's working directory never
/// moves (containerd's mountAt). Returns 0, or the errno of unshare, chdir or mount.
int cshim_mount_at(const char *directory, const char *source, const char *target, const char *type,
                   unsigned long flags, const char *data);

/// malloc for a small, long-lived, single-threaded daemon (Swift's Glibc module has no <malloc.h>): one arena
/// (M_ARENA_MAX 1), and freed memory at the top of the heap handed back to the kernel above 64 KiB
/// (M_TRIM_THRESHOLD) keeping no padding beyond 16 KiB (M_TOP_PAD), instead of glibc's 128 KiB of each.
/// Returns 1 when every setting took.
int cshim_tune_malloc(void);

/// malloc_trim(0): returns the free pages anywhere in the heap to the kernel. Returns 1 if any were.
int cshim_trim_malloc(void);

/// Where Swift concurrency's jobs go once ``cshim_route_concurrency`` ran: `job` is the runtime's `Job *`
/// (Swift's `UnownedJob`), to run after `delay_ns` nanoseconds (0: at once).
typedef void (*cshim_job_sink)(void *job, unsigned long long delay_ns);

/// Routes every job of Swift concurrency's global executor and main executor, delayed ones included, to
/// `sink`, through the runtime's enqueue hooks (swift_task_enqueueGlobal_hook and its siblings). The default
/// executor's threads (libdispatch's worker pool and its timer thread) then never start. Call once, before
/// any task exists.
void cshim_route_concurrency(cshim_job_sink sink);

#endif
