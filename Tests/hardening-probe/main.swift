// A test helper for HardeningTests: changes its own privileges, then reports what it sees.
//   hardening-probe drop CAP[,CAP...] COMMAND...   drop from every set (bounding too), then COMMAND
//   hardening-probe confine COMMAND...             load the shim's seccomp filter, then COMMAND
//   hardening-probe exec PATH ARGS...              execv (proves inheritance across exec)
//   hardening-probe caps                           effective/permitted/bounding, one line each
//   hardening-probe check-runsc KEY=VALUE...       missing runsc capabilities, one per line
//   hardening-probe seccomp-mode                   the Seccomp line of /proc/self/status
//   hardening-probe syscall NAME                   a harmless call of a denied syscall; prints its errno
import Glibc
import Hardening

exit(HardeningProbe.run(Array(CommandLine.arguments.dropFirst())))
