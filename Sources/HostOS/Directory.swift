#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Directory listing: the one `readdir(3)` loop.
public enum Directory {
    /// The entry names of `path`, sorted (output and decisions do not depend on the file system's order),
    /// without `.` and `..`.
    public static func entries(_ path: String) throws(FileSystemError) -> [String] {
        guard let directory = opendir(path) else {
            throw FileSystemError(path: path, operation: "open the directory", errno: errno)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw FileSystemError(path: path, operation: "read the directory", errno: errno) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The names of the regular files (symbolic links followed) directly in `path`, sorted.
    public static func regularFiles(in path: String) throws(FileSystemError) -> [String] {
        try entries(path).filter { FileSystem.status(path + "/" + $0)?.kind == .regular }
    }
}
