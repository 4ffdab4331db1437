// libcap (Debian's libcap-dev) for Swift. Linked statically by the Hardening target
// (`-l:libcap.a`), so the shipped binaries do not need libcap on the node.
#ifndef GVISOR_CCAP_H
#define GVISOR_CCAP_H

#include <sys/capability.h>

#endif
