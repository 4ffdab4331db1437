import CSeccomp
import Glibc
import HostOS

/// The shim's own seccomp filter: an allow-list (``allowedSyscalls``, measured), loaded at daemon start and
/// inherited by every runsc process the shim starts (sandbox, gofer, CLI calls) and by their children.
///
/// Everything outside the list fails with EPERM; nothing is ever killed, so a path we did not foresee degrades to an
/// error message instead of a dead pod. The list is the union of what the daemon and runsc need, because a seccomp
/// filter cannot be lifted from a child: runsc runs under it. ``deniedSyscalls`` are never allowed whatever is
/// measured (each says why); `Mode.log` lets calls outside the list through and has the kernel log them, which is
/// how a new runsc release is measured before the list is extended (`scripts/measure-shim-syscalls.sh`).
public enum SelfConfinement {
    public struct DeniedSyscall: Sendable, Hashable {
        public var name: String
        public var reason: String
    }

    public static let deniedSyscalls: [DeniedSyscall] = {
        let groups: [([String], String)] = [
            (
                ["init_module", "finit_module", "delete_module"],
                "loads or removes kernel modules, i.e. arbitrary kernel code; the shim and runsc never do"
            ),
            (["kexec_load", "kexec_file_load"], "replaces the running kernel"),
            (["reboot"], "reboots or halts the node"),
            (["swapon", "swapoff"], "changes the node's swap configuration"),
            (
                ["add_key", "request_key", "keyctl"],
                "kernel keyrings are not namespaced and have a long CVE history; runsc uses none"
            ),
            (
                ["bpf"],
                "eBPF programs and maps; runsc 20221219 loads none (its own filters are classic BPF through "
                    + "seccomp(2), which stays allowed)"
            ),
            (
                ["perf_event_open"],
                "performance events expose kernel addresses and timing; runsc profiles with Go's pprof"
            ),
            (["userfaultfd"], "lets a process stall the kernel at chosen page faults, a staple of exploits"),
            (
                ["open_by_handle_at"],
                "opens files by handle around mount and chroot confinement (the \"shocker\" escape); "
                    + "the gofer opens by path"
            ),
            (["iopl", "ioperm"], "raw I/O port access"),
            (["acct"], "process accounting into a file of the caller's choice"),
            (["lookup_dcookie"], "kernel profiling interface"),
            (["quotactl", "quotactl_fd"], "filesystem quota administration"),
            (["syslog"], "reads or clears the kernel log (kernel addresses); runsc logs to its own files"),
            (
                ["settimeofday", "clock_settime", "clock_adjtime", "adjtimex"],
                "sets the node's clock; gVisor derives its clocks from the host's without changing them"
            ),
            (["vhangup"], "hangs up the controlling terminal"),
            (["uselib"], "obsolete a.out library loader"),
            (
                ["io_uring_setup", "io_uring_enter", "io_uring_register"],
                "a large kernel attack surface whose queued operations bypass seccomp; the shim uses epoll "
                    + "and runsc 20221219 no host io_uring"
            ),
        ]
        return groups.flatMap { names, reason in names.map { DeniedSyscall(name: $0, reason: reason) } }
    }()

    /// What happens to a call outside ``allowedSyscalls``.
    public enum Mode: String, Sendable, Hashable {
        /// It fails with EPERM.
        case enforce
        /// It runs and the kernel logs it (`audit: type=1326 ... syscall=N`); ``deniedSyscalls`` still fail.
        case log
    }

    /// What was loaded, for the start-up log line.
    public struct Report: Sendable, Hashable {
        public var mode: Mode
        public var allowedCount: Int
        public var deniedCount: Int
        /// libseccomp's architecture names the filter covers.
        public var architectures: [String]
        /// Whether no_new_privs was set (only without CAP_SYS_ADMIN; root keeps setuid semantics).
        public var noNewPrivileges: Bool
    }

    /// Loads the filter into every thread of the calling process (TSYNC) and, through inheritance,
    /// into everything it starts afterwards. One-way: there is no unload.
    ///
    /// Only the native architecture is allowed: the shim and runsc are native binaries, and a call through another
    /// ABI (32-bit x86, x32) fails with EPERM like any call outside the list.
    public static func load(mode: Mode = .enforce) throws(SeccompError) -> Report {
        let eperm = cseccomp_act_errno(UInt16(EPERM))
        let filter = try SeccompFilter(defaultAction: mode == .enforce ? eperm : SCMP_ACT_LOG)
        try filter.setAttribute(SCMP_FLTATR_ACT_BADARCH, eperm, "SCMP_FLTATR_ACT_BADARCH")
        try filter.setAttribute(SCMP_FLTATR_CTL_TSYNC, 1, "SCMP_FLTATR_CTL_TSYNC")
        // no_new_privs is what lets an unprivileged process load a filter; root does not need it,
        // and runsc (started as root) should see the node exactly as without the filter.
        let privileged = (try? ProcessCapabilities.current().effective.contains(.sysAdmin)) ?? false
        try filter.setAttribute(SCMP_FLTATR_CTL_NNP, privileged ? 0 : 1, "SCMP_FLTATR_CTL_NNP")
        let denied = Set(deniedSyscalls.map(\.name))
        let allowed = allowedSyscalls.filter { !denied.contains($0.name) }
        for entry in allowed {
            let number = seccomp_syscall_resolve_name(entry.name)
            guard number != __NR_SCMP_ERROR else { throw SeccompError.unknownSyscall(entry.name) }
            try filter.addRule(action: SCMP_ACT_ALLOW, syscall: number, name: entry.name)
        }
        // Under enforce the default already refuses them (libseccomp rejects a rule equal to the default action).
        if mode == .log {
            for entry in deniedSyscalls {
                let number = seccomp_syscall_resolve_name(entry.name)
                guard number != __NR_SCMP_ERROR else { throw SeccompError.unknownSyscall(entry.name) }
                try filter.addRule(action: eperm, syscall: number, name: entry.name)
            }
        }
        try filter.load()
        return Report(
            mode: mode, allowedCount: allowed.count,
            deniedCount: deniedSyscalls.count,
            architectures: [SeccompFilter.architectureName(cseccomp_arch_native())], noNewPrivileges: !privileged)
    }

    /// The calling process's seccomp mode from `/proc/self/status` (0 off, 1 strict, 2 filter).
    public static func currentMode(pid: Int32 = 0) -> Int? {
        let path = pid == 0 ? "/proc/self/status" : "/proc/\(pid)/status"
        guard let status = HostFile.readText(path) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Seccomp:") {
            return Int(line.dropFirst("Seccomp:".count).trimmingCharacters(in: " \t"))
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
