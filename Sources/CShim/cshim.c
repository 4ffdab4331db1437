#define _GNU_SOURCE
#include "cshim.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

int cshim_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int cshim_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

pid_t cshim_peer_pid(int fd) {
    struct ucred credentials;
    socklen_t length = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    return credentials.pid;
}

short cshim_posix_spawn_setsid(void) { return POSIX_SPAWN_SETSID; }

int cshim_pending_bytes(int fd) {
    int n = 0;
    if (ioctl(fd, FIONREAD, &n) != 0) return -1;
    return n;
}

int cshim_receive_fd(int listener, int timeout_ms) {
    struct pollfd ready = {.fd = listener, .events = POLLIN};
    int rc;
    do {
        rc = poll(&ready, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) errno = ETIMEDOUT;
    if (rc <= 0) return -1;
    int connection = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (connection < 0) return -1;
    struct timeval limit = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    char byte[256];
    struct iovec vector = {.iov_base = byte, .iov_len = sizeof(byte)};
    union {
        struct cmsghdr header;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr message = {0};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof(control.bytes);
    ssize_t n;
    do {
        n = recvmsg(connection, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(connection);
    errno = saved;
    if (n < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof(fd));
            return fd;
        }
    }
    errno = EBADMSG;
    return -1;
}

int cshim_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = {.ws_row = rows, .ws_col = columns};
    return ioctl(fd, TIOCSWINSZ, &size);
}

int cshim_dup_cloexec(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }

int cshim_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int cshim_inotify_modify(const char *path) {
    int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return -1;
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

struct cshim_mount_request {
    const char *directory, *source, *target, *type, *data;
    unsigned long flags;
    int error;
};

static void *cshim_mount_thread(void *argument) {
    struct cshim_mount_request *request = argument;
    if (unshare(CLONE_FS) != 0 || chdir(request->directory) != 0 ||
        mount(request->source, request->target, request->type, request->flags, request->data) != 0) {
        request->error = errno;
    }
    // The thread ends here, and with it its private working directory.
    return NULL;
}

int cshim_mount_at(const char *directory, const char *source, const char *target, const char *type,
                   unsigned long flags, const char *data) {
    struct cshim_mount_request request = {directory, source, target, type, data, flags, 0};
    pthread_t thread;
    int error = pthread_create(&thread, NULL, cshim_mount_thread, &request);
    if (error != 0) return error;
    pthread_join(thread, NULL);
    return request.error;
}

int cshim_tune_malloc(void) {
    return mallopt(M_ARENA_MAX, 1) && mallopt(M_TRIM_THRESHOLD, 64 * 1024) && mallopt(M_TOP_PAD, 16 * 1024);
}

int cshim_trim_malloc(void) { return malloc_trim(0); }

// Swift concurrency's executor hooks (the runtime's ConcurrencyHooks.def): variables the runtime consults before
// its default executor. They use Swift's calling convention; the original implementation is passed last.
#define CSHIM_SWIFTCC __attribute__((swiftcall))
typedef CSHIM_SWIFTCC void (*cshim_enqueue_original)(void *job);
typedef CSHIM_SWIFTCC void (*cshim_delay_original)(unsigned long long delay, void *job);
typedef CSHIM_SWIFTCC void (*cshim_deadline_original)(long long sec, long long nsec, long long tsec,
                                                      long long tnsec, int clock, void *job);
extern CSHIM_SWIFTCC void (*swift_task_enqueueGlobal_hook)(void *job, cshim_enqueue_original original);
extern CSHIM_SWIFTCC void (*swift_task_enqueueMainExecutor_hook)(void *job, cshim_enqueue_original original);
extern CSHIM_SWIFTCC void (*swift_task_enqueueGlobalWithDelay_hook)(unsigned long long delay, void *job,
                                                                     cshim_delay_original original);
extern CSHIM_SWIFTCC void (*swift_task_enqueueGlobalWithDeadline_hook)(long long sec, long long nsec,
                                                                        long long tsec, long long tnsec,
                                                                        int clock, void *job,
                                                                        cshim_deadline_original original);
// The clock the deadline is on (Swift's _ClockID: continuous or suspending), read as the runtime reads it.
extern CSHIM_SWIFTCC void swift_get_time(long long *seconds, long long *nanoseconds, int clock);

static cshim_job_sink cshim_sink;

static CSHIM_SWIFTCC void cshim_enqueue_now(void *job, cshim_enqueue_original original) {
    (void)original;
    cshim_sink(job, 0);
}

static CSHIM_SWIFTCC void cshim_enqueue_after(unsigned long long delay, void *job, cshim_delay_original original) {
    (void)original;
    cshim_sink(job, delay);
}

static CSHIM_SWIFTCC void cshim_enqueue_at(long long sec, long long nsec, long long tsec, long long tnsec, int clock,
                                           void *job, cshim_deadline_original original) {
    (void)tsec, (void)tnsec, (void)original;
    long long now_sec = 0, now_nsec = 0;
    swift_get_time(&now_sec, &now_nsec, clock);
    long long delay = (sec - now_sec) * 1000000000LL + (nsec - now_nsec);
    cshim_sink(job, delay > 0 ? (unsigned long long)delay : 0);
}

void cshim_route_concurrency(cshim_job_sink sink) {
    cshim_sink = sink;
    swift_task_enqueueGlobal_hook = cshim_enqueue_now;
    swift_task_enqueueMainExecutor_hook = cshim_enqueue_now;
    swift_task_enqueueGlobalWithDelay_hook = cshim_enqueue_after;
    swift_task_enqueueGlobalWithDeadline_hook = cshim_enqueue_at;
}
