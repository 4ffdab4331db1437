// Small C bridges for Linux calls that Swift's Glibc module does not expose.
#ifndef GVISOR_CSHIM_H
#define GVISOR_CSHIM_H

#include <sys/types.h>

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process.
int cshim_set_child_subreaper(void);

/// prctl(PR_SET_PDEATHSIG, sig) in the calling process.
int cshim_set_pdeathsig(int sig);

#endif
