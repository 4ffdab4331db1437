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

#endif
