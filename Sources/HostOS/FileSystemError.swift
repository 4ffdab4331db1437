#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A host file-system call failed: which operation, on which file, and the system's `errno`.
///
/// Why one type: every library here reports file problems the same way (`<path>: <operation> failed: <reason>`),
/// and wraps this into its own error where its callers expect one, keeping the path and the system's words.
public struct FileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file the operation was about: the target of an atomic write, not its temporary file.
    public var path: String
    /// The call or step that failed, in words (`open`, `read`, `rename into place`).
    public var operation: String
    /// The `errno` value.
    public var code: Int32

    public init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    /// The system's message for ``code`` (`strerror(3)`).
    public var systemMessage: String { String(cString: strerror(code)) }

    /// The operation and the system's message, without the path: `open failed: No such file or directory`.
    public var reason: String { "\(operation) failed: \(systemMessage)" }

    public var description: String { "\(path): \(reason)" }

    /// Whether the file (or a directory on its path) does not exist.
    public var isNotFound: Bool { code == ENOENT }
}
