import CCap
import CSeccomp
import Glibc
import Hardening

/// The probe's commands; see main.swift. Output is line-based so tests can compare it exactly.
enum HardeningProbe {
    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else { return fail("no command") }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "drop":
            guard let list = rest.first else { return fail("drop: no capabilities") }
            do {
                try drop(CapabilitySet(names: list.split(separator: ",").map(String.init)))
            } catch { return fail("drop: \(error)") }
            return run(Array(rest.dropFirst()))
        case "confine-log":
            do {
                let report = try SelfConfinement.load(mode: .log)
                print("confined mode=\(report.mode.rawValue)")
            } catch { return fail("confine-log: \(error)") }
            return run(rest)
        case "drop-unneeded":
            do {
                print("dropped=\(try CapabilityBoundingSet.dropUnneeded())")
            } catch { return fail("drop-unneeded: \(error)") }
            return run(rest)
        case "confine":
            do {
                let report = try SelfConfinement.load()
                print("confined allowed=\(report.allowedCount)")
            } catch { return fail("confine: \(error)") }
            return run(rest)
        case "exec":
            guard let path = rest.first else { return fail("exec: no path") }
            let argv = rest.map { strdup($0) } + [nil]
            fflush(nil)  // print's buffer would die with this process image
            execv(path, argv)
            return fail("exec \(path): \(String(cString: strerror(errno)))")
        case "caps":
            do {
                let caps = try ProcessCapabilities.current()
                print("effective=\(caps.effective)")
                print("permitted=\(caps.permitted)")
                print("bounding=\(caps.bounding)")
            } catch { return fail("caps: \(error)") }
            return 0
        case "check-runsc":
            var config: [String: String] = [:]
            for pair in rest {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return fail("check-runsc: expected KEY=VALUE, got \(pair)") }
                config[parts[0]] = parts[1]
            }
            do {
                let missing = RunscCapabilityNeeds(runscConfig: config).missing(in: try ProcessCapabilities.current())
                for requirement in missing { print("missing \(requirement.capability.ociName)") }
            } catch { return fail("check-runsc: \(error)") }
            return 0
        case "seccomp-mode":
            print("seccomp=\(SelfConfinement.currentMode().map(String.init) ?? "?")")
            return 0
        case "syscall":
            guard let name = rest.first else { return fail("syscall: no name") }
            guard let result = callDenied(name) else { return fail("syscall: no probe for \(name)") }
            print(result == 0 ? "\(name) ok" : "\(name) errno=\(result)")
            return 0
        default:
            return fail("unknown command \(command)")
        }
    }

    /// Drops from bounding (needs CAP_SETPCAP, which root has), then from the other sets.
    static func drop(_ set: CapabilitySet) throws(CapabilityError) {
        for capability in set where cap_drop_bound(capability.value) != 0 {
            throw .system(operation: "cap_drop_bound(\(capability.name))", errno: errno)
        }
        guard let caps = cap_get_proc() else { throw .system(operation: "cap_get_proc", errno: errno) }
        defer { cap_free(UnsafeMutableRawPointer(caps)) }
        var values = set.map(\.value)
        for flag in [CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE] {
            cap_set_flag(caps, flag, Int32(values.count), &values, CAP_CLEAR)
        }
        guard cap_set_proc(caps) == 0 else { throw .system(operation: "cap_set_proc", errno: errno) }
    }

    /// 0 on success, otherwise errno. Each call is harmless when it succeeds.
    static func callDenied(_ name: String) -> Int32? {
        let arguments: (Int, Int, Int)
        switch name {
        case "syslog": arguments = (10, 0, 0)  // SYSLOG_ACTION_SIZE_BUFFER
        case "userfaultfd": arguments = (Int(O_CLOEXEC), 0, 0)
        case "keyctl": arguments = (0, -3, 0)  // KEYCTL_GET_KEYRING_ID of the session keyring
        case "getpid": arguments = (0, 0, 0)
        // Outside the allow-list and the deny list: kcmp(getpid(), getpid(), KCMP_VM) compares this process's
        // memory with itself; nothing the shim or runsc does needs it.
        case "kcmp": arguments = (Int(getpid()), Int(getpid()), 1)
        default: return nil
        }
        let number = seccomp_syscall_resolve_name(name)
        guard number >= 0 else { return nil }
        let rc = cseccomp_raw_syscall3(Int(number), arguments.0, arguments.1, arguments.2)
        if name == "userfaultfd" && rc >= 0 { close(Int32(rc)) }
        return rc >= 0 ? 0 : errno
    }

    static func fail(_ message: String) -> Int32 {
        let line = Array("hardening-probe: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        return 2
    }
}
