import CCap
import Glibc

/// A Linux capability, named the way libcap names it.
///
/// Names come from libcap (`cap_to_name`/`cap_from_name`), not from a table of ours, so the shim,
/// `gvisor-node doctor` and the OCI spec checks agree with the C tools on every node (`capsh`,
/// `getpcaps`). The OCI runtime spec spells the same names upper case (`CAP_NET_RAW`).
public struct Capability: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The kernel's number (`CAP_SYS_ADMIN` is 21).
    public let value: Int32

    /// Any number the kernel may use (0...63); names of numbers libcap does not know are the number.
    public init?(value: Int32) {
        guard (0..<64).contains(value) else { return nil }
        self.value = value
    }

    private init(known value: Int32) { self.value = value }

    /// Parses a capability name with libcap: `cap_net_raw`, `CAP_NET_RAW` (any case). Numbers and
    /// `all` are refused: configuration must name capabilities, never count them.
    public init(name: String) throws(CapabilityError) {
        let isNameLike =
            name.lowercased().hasPrefix("cap_")
            && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isalnum(Int32($0)) != 0 }
        var value: cap_value_t = -1
        guard isNameLike, cap_from_name(name, &value) == 0, (0..<64).contains(value) else {
            throw CapabilityError.unknownName(name)
        }
        self.value = value
    }

    /// Parses the OCI runtime spec's spelling only: `CAP_` and upper case (runsc rejects others).
    public init(ociName: String) throws(CapabilityError) {
        guard ociName.hasPrefix("CAP_"), ociName == ociName.uppercased() else {
            throw CapabilityError.unknownName(ociName)
        }
        try self.init(name: ociName)
    }

    /// libcap's name, e.g. `cap_sys_admin` (the number for one libcap does not know).
    public var name: String {
        guard let pointer = cap_to_name(value) else { return String(value) }
        defer { cap_free(pointer) }
        return String(cString: pointer)
    }

    /// The OCI runtime spec's name, e.g. `CAP_SYS_ADMIN`.
    public var ociName: String { name.uppercased() }

    public var description: String { ociName }

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.value < rhs.value }

    /// Every capability the running kernel supports (0..<`cap_max_bits()`).
    public static var supported: [Capability] {
        (0..<Int32(cap_max_bits())).map { Capability(known: $0) }
    }

    public static let chown = Capability(known: CAP_CHOWN)
    public static let dacOverride = Capability(known: CAP_DAC_OVERRIDE)
    public static let dacReadSearch = Capability(known: CAP_DAC_READ_SEARCH)
    public static let fowner = Capability(known: CAP_FOWNER)
    public static let fsetid = Capability(known: CAP_FSETID)
    public static let kill = Capability(known: CAP_KILL)
    public static let setgid = Capability(known: CAP_SETGID)
    public static let setuid = Capability(known: CAP_SETUID)
    public static let netBindService = Capability(known: CAP_NET_BIND_SERVICE)
    public static let netAdmin = Capability(known: CAP_NET_ADMIN)
    public static let netRaw = Capability(known: CAP_NET_RAW)
    public static let sysChroot = Capability(known: CAP_SYS_CHROOT)
    public static let sysPtrace = Capability(known: CAP_SYS_PTRACE)
    public static let sysAdmin = Capability(known: CAP_SYS_ADMIN)
    public static let sysResource = Capability(known: CAP_SYS_RESOURCE)
    public static let mknod = Capability(known: CAP_MKNOD)
}

/// Why capabilities could not be named or read.
public enum CapabilityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not a capability name libcap knows (the text as given).
    case unknownName(String)
    /// A libcap or system call failed.
    case system(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .unknownName(let name):
            "\"\(name)\" is not a capability name known to libcap (expected a name such as CAP_NET_RAW)"
        case .system(let operation, let errno):
            "\(operation): \(String(cString: strerror(errno)))"
        }
    }
}
