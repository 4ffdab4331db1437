/// The shim daemon's seccomp allow-list: every call the daemon and everything it starts (runsc CLI calls, the
/// sandbox, the gofer) make, grouped by why. Anything else fails with EPERM (``SelfConfinement/load(mode:)``).
///
/// Measured with `scripts/measure-shim-syscalls.sh`: `perf trace` over containerd and every descendant during the
/// integration tests of the shim (10-shim, 25-cri, 50-hardening, 60-task-api), with runsc 20221219 (ptrace) and
/// runsc 20240729 (systrap). perf, not strace: runsc's platforms ptrace their stubs, which fails under strace.
/// The filter is inherited by runsc, so its calls are part of the list; to that measurement come the calls of
/// gVisor's own sentry and gofer filter tables (`runsc/boot/filter/config`) for configurations the suite cannot
/// run here (network=sandbox and host, directfs, AIO, timers), so that a valid runsc.toml never hits the filter.
extension SelfConfinement {
    /// One allowed syscall and why.
    public struct AllowedSyscall: Sendable, Hashable {
        public var name: String
        public var reason: String
    }

    /// Built on each access and not kept: the daemon reads it once, to load its filter, and a retained copy of
    /// ~450 entries would stay in every idle shim's heap (issue 19).
    public static var allowedSyscalls: [AllowedSyscall] {
        let groups: [([String], String)] = [
            (
                [
                    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "membarrier", "mlock",
                    "munlock", "msync", "memfd_create",
                ],
                "memory of the Swift and Go runtimes; the sentry maps its memory file and locks stub pages"
            ),
            (
                [
                    "futex", "rseq", "set_robust_list", "get_robust_list", "set_tid_address", "arch_prctl",
                    "sched_yield", "sched_getaffinity", "getcpu", "getrandom", "uname", "sysinfo", "getrusage",
                    "restart_syscall", "exit", "exit_group",
                ],
                "threads and runtime start-up of every process (glibc, Swift and Go runtimes)"
            ),
            (
                [
                    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
                    "timerfd_create", "timerfd_settime", "timerfd_gettime", "setitimer", "getitimer", "timer_create",
                    "timer_settime", "timer_gettime", "timer_delete",
                ],
                "clocks and timers (NIO's timers, Go's scheduler, the sentry's CPU-time timers)"
            ),
            (
                [
                    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
                    "rt_sigqueueinfo", "sigaltstack", "kill", "tgkill", "tkill", "pidfd_open", "pidfd_send_signal",
                ],
                "signals: the reaper's SIGCHLD and SIGTERM, Kill of containers, Go's preemption signals"
            ),
            (
                [
                    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll",
                    "ppoll", "select", "pselect6", "eventfd", "eventfd2", "pipe", "pipe2", "inotify_init1",
                    "inotify_add_watch", "inotify_rm_watch",
                ],
                "event loops (NIO, Go's netpoller), relays of the container's stdio, OOM events"
            ),
            (
                [
                    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
                    "pwritev2", "lseek", "sendfile", "copy_file_range", "splice", "tee", "close", "close_range",
                    "dup", "dup2", "dup3", "fcntl", "flock", "ioctl", "fsync", "fdatasync", "sync_file_range",
                    "ftruncate", "truncate", "fallocate", "fadvise64", "io_setup", "io_destroy", "io_submit",
                    "io_getevents",
                ],
                "file descriptor I/O: bundles, logs, FIFOs, terminals (ioctl TIOCSWINSZ), the sentry's memory "
                    + "file and AIO"
            ),
            (
                [
                    "open", "openat", "openat2", "creat", "stat", "lstat", "fstat", "newfstatat", "statx", "statfs",
                    "fstatfs", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64",
                    "getcwd", "chdir", "fchdir", "umask", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown",
                    "fchownat", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "link", "linkat", "symlink",
                    "symlinkat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "utimensat", "getxattr",
                    "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr",
                    "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "name_to_handle_at",
                ],
                "paths: the shim's bundles, state and logs; the gofer serves the container's files (directfs)"
            ),
            (
                [
                    "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname",
                    "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
                    "recvmmsg", "shutdown",
                ],
                "sockets: ttrpc to containerd, runsc's control and console sockets, netlink and AF_PACKET for "
                    + "network=sandbox, host sockets for network=host"
            ),
            (
                [
                    "clone", "clone3", "fork", "vfork", "execve", "execveat", "wait4", "waitid", "getpid", "getppid",
                    "gettid", "getpgrp", "getpgid", "setpgid", "getsid", "setsid", "getpriority", "setpriority",
                    "prlimit64", "getrlimit", "setrlimit", "prctl",
                ],
                "processes: the shim starts runsc (posix_spawn), reaps it as subreaper; runsc starts the sandbox "
                    + "and the gofer and sets their rlimits, names and death signals"
            ),
            (
                [
                    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid",
                    "setgid", "setresuid", "setresgid", "setgroups", "capget", "capset",
                ],
                "credentials: runsc changes user and group ids and capabilities of the sandbox and the gofer"
            ),
            (
                [
                    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "sethostname", "seccomp",
                    "sched_setaffinity",
                ],
                "the sandbox's confinement, set up by runsc: namespaces, an empty root, its own seccomp filters"
            ),
            (
                ["ptrace", "process_vm_readv", "process_vm_writev"],
                "platform=ptrace traces the stub processes; systrap attaches to them once at creation"
            ),
        ]
        return groups.flatMap { names, reason in names.map { AllowedSyscall(name: $0, reason: reason) } }
    }
}
