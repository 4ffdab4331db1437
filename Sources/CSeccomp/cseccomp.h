// libseccomp (Debian's libseccomp-dev) for Swift. Linked statically by the Hardening target
// (`-l:libseccomp.a`), so the shipped binaries do not need libseccomp on the node.
#ifndef GVISOR_CSECCOMP_H
#define GVISOR_CSECCOMP_H

#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <unistd.h>

// Function-like macros Swift cannot import.
static inline uint32_t cseccomp_act_errno(uint16_t error) { return SCMP_ACT_ERRNO(error); }
static inline uint32_t cseccomp_act_trace(uint16_t message) { return SCMP_ACT_TRACE(message); }

// The architecture token of the running kernel (SCMP_ARCH_NATIVE resolved).
static inline uint32_t cseccomp_arch_native(void) { return seccomp_arch_native(); }

// Architecture tokens (their macros are expressions Swift cannot import).
static inline uint32_t cseccomp_arch_x86_64(void) { return SCMP_ARCH_X86_64; }
static inline uint32_t cseccomp_arch_x86(void) { return SCMP_ARCH_X86; }
static inline uint32_t cseccomp_arch_x32(void) { return SCMP_ARCH_X32; }
static inline uint32_t cseccomp_arch_aarch64(void) { return SCMP_ARCH_AARCH64; }
static inline uint32_t cseccomp_arch_arm(void) { return SCMP_ARCH_ARM; }

// A raw system call by number (Swift cannot call the variadic syscall(2)); the tests use it to
// show what a filter does to a call.
static inline long cseccomp_raw_syscall3(long number, long a, long b, long c) { return syscall(number, a, b, c); }

#endif
