import CSeccomp
import Hardening
import Testing

@Suite struct SelfConfinementTests {
    let names = SelfConfinement.deniedSyscalls.map(\.name)

    @Test func everyDeniedSyscallResolvesAndHasAReason() {
        #expect(Set(names).count == names.count, "duplicates in \(names)")
        for entry in SelfConfinement.deniedSyscalls {
            #expect(seccomp_syscall_resolve_name(entry.name) >= 0, "\(entry.name) is not a syscall here")
            #expect(entry.reason.count > 10, "\(entry.name) has no reason")
        }
    }

    @Test func theIssuesListIsDenied() {
        for name in [
            "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
            "swapoff", "add_key", "request_key", "keyctl", "bpf", "perf_event_open", "userfaultfd",
            "open_by_handle_at", "iopl", "ioperm", "acct",
        ] {
            #expect(names.contains(name), "\(name) is not denied")
        }
    }

    /// What runsc (ptrace platform) and the shim need must never be on the list.
    @Test func whatRunscNeedsStaysAllowed() {
        for name in [
            "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "clone", "clone3", "fork", "vfork",
            "execve", "execveat", "ptrace", "seccomp", "prctl", "wait4", "waitid", "kill", "tgkill", "mmap",
            "mprotect", "memfd_create", "epoll_wait", "epoll_pwait", "eventfd2", "timerfd_create", "socket",
            "sendmsg", "recvmsg", "setuid", "setgid", "setresuid", "setresgid", "capset", "sethostname",
            "process_vm_readv", "process_vm_writev", "name_to_handle_at", "mknodat", "fchownat", "setrlimit",
            "prlimit64", "getrandom", "futex", "clock_gettime", "clock_nanosleep",
        ] {
            #expect(!names.contains(name), "\(name) is denied but runsc or the shim needs it")
        }
    }

    /// The README's table is the operator's view of the list; it must not drift from the code.
    @Test func theReadmeListsEveryDeniedSyscall() throws {
        let readme =
            String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))
            + "/README.md"
        let bytes = try #require(readWholeFile(readme), "cannot read \(readme)")
        let text = String(decoding: bytes, as: UTF8.self)
        let section = try #require(text.split(separator: "## Hardening").dropFirst().first, "no Hardening section")
        let table = section.split(separator: "\n").filter { $0.hasPrefix("| `") }
        let listed = table.flatMap { row in
            row.split(separator: "|")[0].split(separator: ",").map { String($0.filter { $0 != "`" && $0 != " " }) }
        }
        #expect(Set(listed) == Set(names), "README: \(listed.sorted()), code: \(names.sorted())")
    }

    @Test func childrenStartedUnderTheFilterGetEPERM() throws {
        try #require(isRoot, "root can make these calls unfiltered, which the control case needs")
        let probe = try probePath()
        // Unfiltered, root may make these calls.
        #expect(try self.probe(["syscall", "syslog"]) == ["syslog ok"])
        #expect(try self.probe(["syscall", "userfaultfd"]) == ["userfaultfd ok"])
        #expect(try self.probe(["seccomp-mode"]) == ["seccomp=0"])
        // Filtered: the probe loads the filter, then execs a fresh process image that makes the call.
        let header = "confined denied=\(names.count)"
        for name in ["syslog", "userfaultfd", "keyctl"] {
            #expect(try self.probe(["confine", "exec", probe, "syscall", name]) == [header, "\(name) errno=1"])
        }
        #expect(try self.probe(["confine", "exec", probe, "syscall", "getpid"]) == [header, "getpid ok"])
        #expect(try self.probe(["confine", "exec", probe, "seccomp-mode"]) == [header, "seccomp=2"])
    }

    @Test func aDeniedCallFailsInTheConfinedProcessItself() throws {
        try #require(isRoot, "root can make these calls unfiltered")
        #expect(try probe(["confine", "syscall", "syslog"]) == ["confined denied=\(names.count)", "syslog errno=1"])
    }

    private func probe(_ arguments: [String]) throws -> [String] { try HardeningTests.probe(arguments) }
}
