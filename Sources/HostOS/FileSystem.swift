#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Existence and type checks, directory creation and removal.
public enum FileSystem {
    /// `stat(2)`, following symbolic links (udev links device nodes, hosts link config files); nil when it fails.
    public static func status(_ path: String) -> FileStatus? {
        var info = stat()
        return stat(path, &info) == 0 ? FileStatus(info) : nil
    }

    /// `lstat(2)`: a symbolic link is reported as one; nil when it fails.
    public static func linkStatus(_ path: String) -> FileStatus? {
        var info = stat()
        return lstat(path, &info) == 0 ? FileStatus(info) : nil
    }

    /// Whether anything is at `path`, a dangling symbolic link included.
    public static func exists(_ path: String) -> Bool { linkStatus(path) != nil }

    /// Whether `path` is a directory or a symbolic link to one.
    public static func isDirectory(_ path: String) -> Bool { status(path)?.kind == .directory }

    /// Whether `path` is a regular file (or a link to one) this process may execute.
    public static func isExecutableFile(_ path: String) -> Bool {
        status(path)?.kind == .regular && access(path, X_OK) == 0
    }

    /// `mkdir -p`: creates the missing directories of `path` with `mode`; relative paths start at the current
    /// directory. Fails when a component exists and is not a directory.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileSystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 {
                let code = errno
                guard code == EEXIST else { throw FileSystemError(path: current, operation: "mkdir", errno: code) }
                guard isDirectory(current) else {
                    throw FileSystemError(path: current, operation: "mkdir", errno: ENOTDIR)
                }
            }
        }
    }

    /// Removes a file (not a directory); `false` when there was none.
    @discardableResult
    public static func remove(_ path: String) throws(FileSystemError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw FileSystemError(path: path, operation: "unlink", errno: errno)
    }

    /// Removes a directory when it is empty; leaves it (and says false) otherwise.
    @discardableResult
    public static func removeDirectoryIfEmpty(_ path: String) -> Bool { rmdir(path) == 0 }

    /// The directory part of `path`: `/a/b` → `/a`, `/a` → `/`, `a` → `.`.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
