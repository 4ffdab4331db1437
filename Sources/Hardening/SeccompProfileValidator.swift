import CSeccomp
import FoundationEssentials
import Glibc

/// Checks an OCI spec's `linux.seccomp` with libseccomp before runsc sees it (runsc's
/// `oci-seccomp` flag). runsc would otherwise fail inside the sandbox with a message that names
/// neither the container nor the field; here every error names the field, and for syscalls the
/// name: `linux.seccomp.syscalls[3].names[1]: "frobnicate" is not a syscall on x86_64, x86, x32`.
///
/// The profile is compiled with libseccomp exactly as a runtime would (architectures, rules,
/// argument comparisons) and then released, never loaded. Rules whose action equals the default
/// action are skipped, as runc does.
public enum SeccompProfileValidator {
    /// What a valid profile holds.
    public struct Summary: Sendable, Hashable {
        public var defaultAction: String
        /// libseccomp's names of the architectures the filter covers (native first).
        public var architectures: [String]
        /// Syscall names with a rule (duplicates counted once per rule).
        public var ruleCount: Int
    }

    /// Validates `linux.seccomp` of a whole spec; nil when the spec has none.
    public static func validate(spec: [UInt8]) throws(OCISpecError) -> Summary? {
        let document: SpecDocument
        do { document = try JSONDecoder().decode(SpecDocument.self, from: Data(spec)) } catch {
            throw OCISpecError(decoding: error)
        }
        guard let profile = document.linux?.seccomp else { return nil }
        return try validate(profile)
    }

    static let actionNames = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
    ]
    static let operators: [String: scmp_compare] = [
        "SCMP_CMP_NE": SCMP_CMP_NE, "SCMP_CMP_LT": SCMP_CMP_LT, "SCMP_CMP_LE": SCMP_CMP_LE,
        "SCMP_CMP_EQ": SCMP_CMP_EQ, "SCMP_CMP_GE": SCMP_CMP_GE, "SCMP_CMP_GT": SCMP_CMP_GT,
        "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ,
    ]
    static let flagNames = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]

    private static func validate(_ profile: Profile) throws(OCISpecError) -> Summary {
        let base = "linux.seccomp"
        let defaultAction = try action(
            profile.defaultAction, errno: profile.defaultErrnoRet, field: "\(base).defaultAction",
            errnoField: "\(base).defaultErrnoRet")
        let filter: SeccompFilter
        do { filter = try SeccompFilter(defaultAction: defaultAction) } catch {
            throw OCISpecError(field: "\(base).defaultAction", message: "\(error)")
        }

        var architectures = [cseccomp_arch_native()]
        for (index, name) in (profile.architectures ?? []).enumerated() {
            let field = "\(base).architectures[\(index)]"
            let lower = name.hasPrefix("SCMP_ARCH_") ? String(name.dropFirst("SCMP_ARCH_".count)).lowercased() : ""
            let token = lower.isEmpty ? 0 : seccomp_arch_resolve_name(lower)
            guard token != 0 else {
                throw OCISpecError(
                    field: field, message: "\"\(name)\" is not an architecture libseccomp knows (e.g. SCMP_ARCH_X86_64)"
                )
            }
            do { try filter.addArchitecture(token) } catch { throw OCISpecError(field: field, message: "\(error)") }
            if !architectures.contains(token) { architectures.append(token) }
        }
        for (index, flag) in (profile.flags ?? []).enumerated() where !flagNames.contains(flag) {
            throw OCISpecError(
                field: "\(base).flags[\(index)]",
                message:
                    "\"\(flag)\" is not a seccomp filter flag (expected one of \(flagNames.joined(separator: ", ")))"
            )
        }

        let architectureNames = architectures.map(SeccompFilter.architectureName)
        var ruleCount = 0
        for (ruleIndex, rule) in (profile.syscalls ?? []).enumerated() {
            let field = "\(base).syscalls[\(ruleIndex)]"
            let ruleAction = try action(
                rule.action, errno: rule.errnoRet, field: "\(field).action", errnoField: "\(field).errnoRet")
            guard !rule.names.isEmpty else {
                throw OCISpecError(field: "\(field).names", message: "expected at least one syscall name")
            }
            let comparisons = try comparisons(rule.args ?? [], field: field)
            for (nameIndex, name) in rule.names.enumerated() {
                let nameField = "\(field).names[\(nameIndex)]"
                let number = seccomp_syscall_resolve_name(name)
                let resolves = architectures.contains { seccomp_syscall_resolve_name_arch($0, name) >= 0 }
                guard number != __NR_SCMP_ERROR, resolves else {
                    throw OCISpecError(
                        field: nameField,
                        message: "\"\(name)\" is not a syscall on \(architectureNames.joined(separator: ", "))")
                }
                if ruleAction == defaultAction { continue }
                // Several comparisons of one argument are alternatives (runc's reading): one rule each.
                let indexes = comparisons.map(\.arg)
                let groups = Set(indexes).count == indexes.count ? [comparisons] : comparisons.map { [$0] }
                for group in groups {
                    do { try filter.addRule(action: ruleAction, syscall: number, name: name, arguments: group) } catch {
                        throw OCISpecError(
                            field: nameField, message: "libseccomp refused the rule for \"\(name)\": \(error)")
                    }
                }
                ruleCount += 1
            }
        }
        return Summary(defaultAction: profile.defaultAction, architectures: architectureNames, ruleCount: ruleCount)
    }

    /// libseccomp's action value; `errnoRet` only goes with SCMP_ACT_ERRNO and SCMP_ACT_TRACE.
    private static func action(_ name: String, errno: UInt32?, field: String, errnoField: String)
        throws(OCISpecError) -> UInt32
    {
        if let errno, errno > UInt32(UInt16.max) {
            throw OCISpecError(field: errnoField, message: "\(errno) is out of range 0...65535")
        }
        let code = UInt16(errno ?? UInt32(EPERM))
        switch name {
        case "SCMP_ACT_ERRNO": return cseccomp_act_errno(code)
        case "SCMP_ACT_TRACE": return cseccomp_act_trace(code)
        default: break
        }
        if errno != nil, actionNames.contains(name) {
            throw OCISpecError(field: errnoField, message: "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno")
        }
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return SCMP_ACT_KILL_THREAD
        case "SCMP_ACT_KILL_PROCESS": return SCMP_ACT_KILL_PROCESS
        case "SCMP_ACT_TRAP": return SCMP_ACT_TRAP
        case "SCMP_ACT_ALLOW": return SCMP_ACT_ALLOW
        case "SCMP_ACT_LOG": return SCMP_ACT_LOG
        case "SCMP_ACT_NOTIFY":
            throw OCISpecError(
                field: field, message: "SCMP_ACT_NOTIFY is not supported by runsc (no seccomp user notification)")
        default:
            throw OCISpecError(
                field: field,
                message: "\"\(name)\" is not a seccomp action (expected one of \(actionNames.joined(separator: ", ")))")
        }
    }

    private static func comparisons(_ args: [Argument], field: String) throws(OCISpecError) -> [scmp_arg_cmp] {
        var result: [scmp_arg_cmp] = []
        for (index, arg) in args.enumerated() {
            let argField = "\(field).args[\(index)]"
            guard arg.index < 6 else {
                throw OCISpecError(field: "\(argField).index", message: "\(arg.index) is out of range 0...5")
            }
            guard let op = operators[arg.op] else {
                let known = operators.keys.sorted().joined(separator: ", ")
                throw OCISpecError(
                    field: "\(argField).op", message: "\"\(arg.op)\" is not a comparison (expected one of \(known))")
            }
            result.append(scmp_arg_cmp(arg: UInt32(arg.index), op: op, datum_a: arg.value, datum_b: arg.valueTwo ?? 0))
        }
        return result
    }

    // The part of the OCI runtime spec read here; unknown fields are ignored.
    struct SpecDocument: Decodable {
        var linux: Linux?
    }
    struct Linux: Decodable {
        var seccomp: Profile?
    }
    struct Profile: Decodable {
        var defaultAction: String
        var defaultErrnoRet: UInt32?
        var architectures: [String]?
        var flags: [String]?
        var syscalls: [Rule]?
    }
    struct Rule: Decodable {
        var names: [String]
        var action: String
        var errnoRet: UInt32?
        var args: [Argument]?
    }
    struct Argument: Decodable {
        var index: UInt32
        var value: UInt64
        var valueTwo: UInt64?
        var op: String
    }
}
