import GVisorConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// POSIX file operations for node files: whole-file reads, atomic replacement (temporary file in the same
/// directory, fsync, rename), removal. A running program keeps its old inode across a rename, so replacing a
/// binary never disturbs a shim that is executing it.
enum HostFiles {
    /// The file's bytes, or `nil` when it does not exist.
    static func read(_ path: String) throws(InstallerError) -> [UInt8]? {
        guard exists(path) else { return nil }
        do {
            return try ConfigFile.readBytes(path)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
    }

    static func readText(_ path: String) throws(InstallerError) -> String? {
        guard let bytes = try read(path) else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        return text
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    /// Regular files directly in `directory`, sorted; empty when it does not exist.
    static func regularFiles(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var info = stat()
            if stat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { names.append(name) }
        }
        return names.sorted()
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws(InstallerError) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .writeFailed(path: current, reason: "mkdir failed: \(String(cString: strerror(errno)))")
            }
            if !isDirectory(current) {
                throw .writeFailed(path: current, reason: "exists and is not a directory")
            }
        }
    }

    /// Replaces `path` with `bytes` atomically; the directory is created when missing.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws(InstallerError) {
        try makeDirectories(parent(of: path))
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let fd: Int32
        let temporary: String
        do {
            (fd, temporary) = try ConfigFile.createTemporary(
                prefix: parent(of: path) + "/.\(name).gvisor-node-", mode: mode)
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
        var failure: String?
        var remaining = bytes[...]
        while failure == nil, !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno != EINTR { failure = "write: \(String(cString: strerror(errno)))" }
            } else {
                remaining = remaining.dropFirst(written)
            }
        }
        if failure == nil, fchmod(fd, mode) != 0 { failure = "chmod: \(String(cString: strerror(errno)))" }
        if failure == nil, fsync(fd) != 0 { failure = "fsync: \(String(cString: strerror(errno)))" }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = "rename: \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(temporary)
            throw .writeFailed(path: path, reason: failure)
        }
    }

    /// Removes a file; `false` when there was none.
    @discardableResult
    static func remove(_ path: String) throws(InstallerError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw .writeFailed(path: path, reason: "unlink: \(String(cString: strerror(errno)))")
    }

    /// Removes an empty directory; leaves it when something else is inside.
    static func removeDirectoryIfEmpty(_ path: String) {
        rmdir(path)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
