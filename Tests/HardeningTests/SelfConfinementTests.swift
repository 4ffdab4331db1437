import CSeccomp
import Hardening
import Testing

@Suite struct SelfConfinementTests {
    let names = SelfConfinement.deniedSyscalls.map(\.name)
    let allowed = SelfConfinement.allowedSyscalls.map(\.name)
    var header: String { "confined allowed=\(allowed.count)" }

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

    /// What runsc (ptrace platform) and the shim need must be allowed and never denied.
    @Test func whatRunscNeedsStaysAllowed() {
        for name in [
            "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "clone", "clone3", "fork", "vfork",
            "execve", "execveat", "ptrace", "seccomp", "prctl", "wait4", "waitid", "kill", "tgkill", "mmap",
            "mprotect", "memfd_create", "epoll_wait", "epoll_pwait", "eventfd2", "timerfd_create", "socket",
            "sendmsg", "recvmsg", "setuid", "setgid", "setresuid", "setresgid", "capset", "sethostname",
            "process_vm_readv", "process_vm_writev", "name_to_handle_at", "mknodat", "fchownat", "setrlimit",
            "prlimit64", "getrandom", "futex", "clock_gettime", "clock_nanosleep", "rt_sigreturn", "exit",
        ] {
            #expect(!names.contains(name), "\(name) is denied but runsc or the shim needs it")
            #expect(allowed.contains(name), "\(name) is not allowed but runsc or the shim needs it")
        }
    }

    @Test func everyAllowedSyscallResolvesHasAReasonAndIsNotDenied() {
        #expect(Set(allowed).count == allowed.count, "duplicates in \(allowed)")
        #expect(Set(allowed).isDisjoint(with: names), "both allowed and denied: \(Set(allowed).intersection(names))")
        for entry in SelfConfinement.allowedSyscalls {
            #expect(seccomp_syscall_resolve_name(entry.name) != __NR_SCMP_ERROR, "\(entry.name) is unknown")
            #expect(entry.reason.count > 10, "\(entry.name) has no reason")
        }
    }

    /// The committed measurements (scripts/measure-shim-syscalls.sh over the shim's integration tests) are covered:
    /// every call measured is allowed, or denied on purpose with a reason.
    @Test(arguments: ["runsc-20221219-ptrace.txt", "runsc-20240729-systrap.txt"])
    func everyMeasuredSyscallIsAllowedOrDeniedOnPurpose(file: String) throws {
        let path =
            String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/"))
            + "/Measured/" + file
        let bytes = try #require(readWholeFile(path), "cannot read \(path)")
        let measured = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        #expect(measured.count > 80, "\(file) holds only \(measured.count) calls")
        let uncovered = Set(measured).subtracting(allowed).subtracting(names)
        #expect(uncovered.isEmpty, "measured but neither allowed nor denied: \(uncovered.sorted())")
    }

    /// The README's table is the operator's view of the list; it must not drift from the code.
    @Test func theReadmeListsEveryDeniedSyscall() throws {
        let readme =
            String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))
            + "/README.md"
        let bytes = try #require(readWholeFile(readme), "cannot read \(readme)")
        let text = String(decoding: bytes, as: UTF8.self)
        let after = try #require(text.split(separator: "\n## Hardening\n").dropFirst().first, "no Hardening section")
        let section = after.split(separator: "\n## ").first ?? after
        let table = section.split(separator: "\n").filter { $0.hasPrefix("| `") }
        // Rows of the denied-syscall table: the first cell holds syscall names only (other tables in the section,
        // e.g. the threat model's, start with backticks too).
        let listed = table.flatMap { row -> [String] in
            let names = row.split(separator: "|")[0].split(separator: ",").map {
                String($0.filter { $0 != "`" && $0 != " " })
            }
            let isSyscallName = { (name: String) in name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } }
            return names.allSatisfy(isSyscallName) ? names : []
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
        for name in ["syslog", "userfaultfd", "keyctl"] {
            #expect(try self.probe(["confine", "exec", probe, "syscall", name]) == [header, "\(name) errno=1"])
        }
        #expect(try self.probe(["confine", "exec", probe, "syscall", "getpid"]) == [header, "getpid ok"])
        #expect(try self.probe(["confine", "exec", probe, "seccomp-mode"]) == [header, "seccomp=2"])
    }

    @Test func aDeniedCallFailsInTheConfinedProcessItself() throws {
        try #require(isRoot, "root can make these calls unfiltered")
        #expect(try probe(["confine", "syscall", "syslog"]) == [header, "syslog errno=1"])
    }

    /// Issue 17: the old filter was a deny list over allow-all, so any call not on it (kcmp here) went through.
    /// Under the allow-list a call on neither list fails with EPERM, in the process and in what it execs.
    @Test func aCallOutsideTheAllowListFailsWithEPERM() throws {
        try #require(isRoot, "the control case compares this process's own memory")
        #expect(!allowed.contains("kcmp") && !names.contains("kcmp"))
        #expect(try probe(["syscall", "kcmp"]) == ["kcmp ok"])
        #expect(try probe(["confine", "syscall", "kcmp"]) == [header, "kcmp errno=1"])
        #expect(try probe(["confine", "exec", probePath(), "syscall", "kcmp"]) == [header, "kcmp errno=1"])
    }

    /// Log mode, for measuring a new runsc: calls outside the list run (and are logged), denied ones still fail.
    @Test func logModeLetsUnlistedCallsThroughButNotDeniedOnes() throws {
        try #require(isRoot, "root can make these calls unfiltered")
        #expect(try probe(["confine-log", "syscall", "kcmp"]) == ["confined mode=log", "kcmp ok"])
        #expect(try probe(["confine-log", "syscall", "syslog"]) == ["confined mode=log", "syslog errno=1"])
    }

    private func probe(_ arguments: [String]) throws -> [String] { try HardeningTests.probe(arguments) }
}
