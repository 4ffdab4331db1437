import CSeccomp
import Glibc

/// A libseccomp filter context (`scmp_filter_ctx`), released on deinit. Internal: callers see
/// `SelfConfinement` and `SeccompProfileValidator`.
final class SeccompFilter {
    let context: scmp_filter_ctx

    init(defaultAction: UInt32) throws(SeccompError) {
        guard let context = seccomp_init(defaultAction) else {
            throw .libseccomp(operation: "seccomp_init", errno: EINVAL)
        }
        self.context = context
    }

    deinit { seccomp_release(context) }

    func setAttribute(_ attribute: scmp_filter_attr, _ value: UInt32, _ name: String) throws(SeccompError) {
        let rc = seccomp_attr_set(context, attribute, value)
        guard rc == 0 else { throw .libseccomp(operation: "seccomp_attr_set(\(name))", errno: -rc) }
    }

    /// Adds `architecture` unless the filter has it already.
    func addArchitecture(_ architecture: UInt32) throws(SeccompError) {
        let rc = seccomp_arch_add(context, architecture)
        guard rc == 0 || rc == -EEXIST else {
            throw .libseccomp(operation: "seccomp_arch_add(\(Self.architectureName(architecture)))", errno: -rc)
        }
    }

    func addRule(action: UInt32, syscall: Int32, name: String, arguments: [scmp_arg_cmp] = [])
        throws(SeccompError)
    {
        let rc = arguments.withUnsafeBufferPointer {
            seccomp_rule_add_array(context, action, syscall, UInt32($0.count), $0.baseAddress)
        }
        guard rc == 0 else { throw .rule(syscall: name, errno: -rc) }
    }

    func load() throws(SeccompError) {
        let rc = seccomp_load(context)
        guard rc == 0 else { throw .libseccomp(operation: "seccomp_load", errno: -rc) }
    }

    /// libseccomp's name (`x86_64`, `x86`, `x32`, `aarch64`, ...).
    static func architectureName(_ token: UInt32) -> String {
        architectures.first { $0.token == token }?.name ?? "0x" + String(token, radix: 16)
    }

    /// The OCI spelling (`SCMP_ARCH_X86_64`) and libseccomp's name of the architectures this
    /// package knows tokens for; `seccomp_arch_resolve_name` maps the names to tokens.
    static let architectures: [(oci: String, name: String, token: UInt32)] = [
        ("SCMP_ARCH_X86_64", "x86_64", cseccomp_arch_x86_64()), ("SCMP_ARCH_X86", "x86", cseccomp_arch_x86()),
        ("SCMP_ARCH_X32", "x32", cseccomp_arch_x32()), ("SCMP_ARCH_AARCH64", "aarch64", cseccomp_arch_aarch64()),
        ("SCMP_ARCH_ARM", "arm", cseccomp_arch_arm()),
    ]
}

/// A seccomp filter could not be built or loaded.
public enum SeccompError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A syscall name this libseccomp does not know for any architecture.
    case unknownSyscall(String)
    /// libseccomp refused a rule for the named syscall.
    case rule(syscall: String, errno: Int32)
    case libseccomp(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .unknownSyscall(let name): "syscall \"\(name)\" is unknown to libseccomp"
        case .rule(let name, let errno): "seccomp rule for \(name): \(String(cString: strerror(errno)))"
        case .libseccomp(let operation, let errno): "\(operation): \(String(cString: strerror(errno)))"
        }
    }
}
