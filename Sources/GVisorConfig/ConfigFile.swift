#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small POSIX file helpers so the library needs no Foundation for its own I/O.
public enum ConfigFile {
    /// Reads a whole file; `-` reads standard input.
    public static func readBytes(_ path: String) throws(ConfigFileError) -> [UInt8] {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ConfigFileError(path: path, operation: "open", errno: errno) }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigFileError(path: path, operation: "read", errno: errno)
            }
            if count == 0 { return result }
            result.append(contentsOf: buffer[0..<count])
        }
    }

    /// Replaces `path` atomically: write a temporary file next to it, fsync, rename. Readers (containerd, the
    /// shim) see the old or the new file, never half of one. The temporary file is new and randomly named (see
    /// ``createTemporary(prefix:mode:)``).
    public static func writeAtomically(_ text: String, to path: String, mode: mode_t = 0o644)
        throws(ConfigFileError)
    {
        let (fd, temporary) = try createTemporary(prefix: path + ".tmp-", mode: mode)
        var failure: ConfigFileError?
        var bytes = Array(text.utf8)[...]
        while failure == nil, !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno != EINTR { failure = ConfigFileError(path: temporary, operation: "write", errno: errno) }
            } else {
                bytes = bytes.dropFirst(written)
            }
        }
        if failure == nil, fchmod(fd, mode) != 0 {
            failure = ConfigFileError(path: temporary, operation: "chmod", errno: errno)
        }
        if failure == nil, fsync(fd) != 0 {
            failure = ConfigFileError(path: temporary, operation: "fsync", errno: errno)
        }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 {
            failure = ConfigFileError(path: path, operation: "rename into place", errno: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }
}

extension ConfigFile {
    /// Creates a new file `<prefix><16 random hex digits>` with `O_CREAT|O_EXCL|O_NOFOLLOW`, returning its
    /// descriptor and path.
    ///
    /// Why: a predictable name (`<path>.tmp-<pid>`) opened without `O_EXCL` follows a symlink planted there by
    /// anyone who can write the directory (a bundle, a host config directory) and truncates its target.
    public static func createTemporary(prefix: String, mode: mode_t) throws(ConfigFileError) -> (
        fd: Int32, path: String
    ) {
        var code = EEXIST
        for _ in 0..<16 {
            let random = String(UInt64.random(in: .min ... .max), radix: 16)
            let candidate = prefix + String(repeating: "0", count: 16 - random.count) + random
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { return (fd, candidate) }
            code = errno
            if code != EEXIST && code != EINTR { break }
        }
        throw ConfigFileError(path: prefix + "*", operation: "create", errno: code)
    }
}

/// A file operation failed; ``reason`` is the system's message.
public struct ConfigFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32

    public init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var reason: String { "\(operation) failed: \(String(cString: strerror(code)))" }

    public var description: String { "\(path): \(reason)" }
}
