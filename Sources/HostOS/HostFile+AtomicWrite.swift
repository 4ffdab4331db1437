#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension HostFile {
    /// Replaces `path` atomically: a new temporary file next to it (``createTemporary(prefix:mode:)``), written,
    /// given `mode`, fsynced, renamed over `path`. Readers (containerd, the shim, a running program) see the old
    /// file or the new one, never half of one; a program executing the old file keeps its inode. On failure the
    /// temporary file is removed and `path` is untouched. The directory must exist.
    ///
    /// `durable: false` skips the fsync: still never half a file for readers, but the content may not survive a
    /// power loss. For files that do not outlive the machine anyway (the shim's `address` and `shim.pid` in
    /// containerd's state directory, tmpfs under /run on a node), where the fsync cost 8-38 ms of the shim's
    /// `start` on a disk-backed state directory (issue 21).
    public static func writeAtomically(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = true
    ) throws(FileSystemError) {
        let fd: Int32
        let temporary: String
        do {
            (fd, temporary) = try createTemporary(prefix: temporaryPrefix(for: path), mode: mode)
        } catch {
            throw FileSystemError(path: path, operation: error.operation, errno: error.code)
        }
        var failure: FileSystemError?
        var remaining = bytes[...]
        while failure == nil, !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno != EINTR { failure = FileSystemError(path: path, operation: "write", errno: errno) }
            } else {
                remaining = remaining.dropFirst(written)
            }
        }
        // The mode passed to open(2) is reduced by the umask; the file gets exactly `mode`.
        if failure == nil, fchmod(fd, mode) != 0 {
            failure = FileSystemError(path: path, operation: "chmod", errno: errno)
        }
        if failure == nil, durable, fsync(fd) != 0 {
            failure = FileSystemError(path: path, operation: "fsync", errno: errno)
        }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 {
            failure = FileSystemError(path: path, operation: "rename into place", errno: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// ``writeAtomically(_:to:mode:)`` for text, written as UTF-8.
    public static func writeAtomically(
        _ text: String, to path: String, mode: mode_t = 0o644, durable: Bool = true
    ) throws(FileSystemError) {
        try writeAtomically(Array(text.utf8), to: path, mode: mode, durable: durable)
    }

    /// Creates a new file `<prefix><16 random hex digits>` with `O_CREAT|O_EXCL|O_NOFOLLOW`, returning its
    /// descriptor and path.
    ///
    /// Why: a predictable name (`<path>.tmp-<pid>`) opened without `O_EXCL` follows a symlink planted there by
    /// anyone who can write the directory (a bundle, a host config directory) and truncates its target.
    public static func createTemporary(prefix: String, mode: mode_t) throws(FileSystemError) -> (
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
        throw FileSystemError(path: prefix + "*", operation: "create a temporary file", errno: code)
    }

    /// `<directory>/.<name>.tmp-`: hidden, in the target's directory so that rename(2) stays on one file system.
    static func temporaryPrefix(for path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return FileSystem.parent(of: path) + "/.\(name).tmp-"
    }
}
