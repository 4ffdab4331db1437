#define _GNU_SOURCE
#include "cshim.h"

#include <spawn.h>
#include <sys/socket.h>

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
