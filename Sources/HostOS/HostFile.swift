#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole-file reads and atomic writes on plain POSIX calls, with `EINTR` handled.
public enum HostFile {
    /// The largest file ``read(_:sizeLimit:)`` returns unless told otherwise: far above any config, spec or
    /// `/proc` file read here, low enough that a wrong path (a device, a huge log) cannot exhaust memory.
    public static let defaultSizeLimit = 64 << 20

    /// The whole file; `-` reads standard input (the command-line convention of `gvisor-node` and the shim).
    /// Files over `sizeLimit` bytes fail with `EFBIG` instead of being read.
    public static func read(_ path: String, sizeLimit: Int = defaultSizeLimit) throws(FileSystemError) -> [UInt8] {
        if path == "-" { return try read(descriptor: STDIN_FILENO, path: path, sizeLimit: sizeLimit) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        return try read(descriptor: fd, path: path, sizeLimit: sizeLimit)
    }

    /// The whole file as text (invalid UTF-8 repaired), or nil when it cannot be read: for optional host facts
    /// (`/proc`, `/sys`) where a missing file simply means "not here".
    public static func readText(_ path: String, sizeLimit: Int = defaultSizeLimit) -> String? {
        (try? read(path, sizeLimit: sizeLimit)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Everything left on an open descriptor, which stays open; `path` only names it in errors.
    public static func read(descriptor fd: Int32, path: String, sizeLimit: Int = defaultSizeLimit)
        throws(FileSystemError) -> [UInt8]
    {
        var result: [UInt8] = []
        var info = stat()
        // `/proc` files report size 0; regular files are read into one allocation.
        if fstat(fd, &info) == 0, info.st_size > 0, info.st_size <= sizeLimit {
            result.reserveCapacity(Int(info.st_size) + 1)
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { readSome(fd, $0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, operation: "read", errno: errno)
            }
            if count == 0 { return result }
            guard result.count + count <= sizeLimit else {
                throw FileSystemError(path: path, operation: "read (over \(sizeLimit) bytes)", errno: EFBIG)
            }
            result.append(contentsOf: buffer[0..<count])
        }
    }
}

/// read(2), outside ``HostFile`` whose `read` methods hide the C function.
private func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}
