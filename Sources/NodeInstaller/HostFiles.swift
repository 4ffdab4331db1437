import HostOS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// HostOS's file operations with the installer's errors: reads fail as ``InstallerError/unreadable(path:reason:)``,
/// writes and removals as ``InstallerError/writeFailed(path:reason:)``, each naming the host file.
enum HostFiles {
    /// Binaries (runsc, the shim) are the largest files the installer copies; a file bigger than this in the
    /// content directory is not one of them.
    static let sizeLimit = 1 << 30

    /// The file's bytes, or `nil` when nothing is there (a dangling symbolic link is there, and unreadable).
    static func read(_ path: String) throws(InstallerError) -> [UInt8]? {
        guard FileSystem.exists(path) else { return nil }
        do {
            return try HostFile.read(path, sizeLimit: sizeLimit)
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

    /// Regular files directly in `directory`, sorted; empty when it does not exist.
    static func regularFiles(in directory: String) -> [String] {
        (try? Directory.regularFiles(in: directory)) ?? []
    }

    /// Replaces `path` with `bytes` atomically (HostOS: temporary file, fsync, rename). A running program keeps
    /// its old inode across the rename, so replacing a binary never disturbs a shim executing it. Missing
    /// directories are created.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws(InstallerError) {
        do {
            try FileSystem.makeDirectories(FileSystem.parent(of: path))
            try HostFile.writeAtomically(bytes, to: path, mode: mode)
        } catch {
            throw .writeFailed(path: error.path, reason: error.reason)
        }
    }

    /// Removes a file; `false` when there was none.
    @discardableResult
    static func remove(_ path: String) throws(InstallerError) -> Bool {
        do {
            return try FileSystem.remove(path)
        } catch {
            throw .writeFailed(path: path, reason: error.reason)
        }
    }
}
